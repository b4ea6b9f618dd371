#include "io/tun.h"
#include "io/port.h"
#include "lib/err.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int tun_open(s46_tun *t, const char *name, unsigned mtu, bool multi, char *err,
                    size_t errlen)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    if (strlen(name) >= IFNAMSIZ) {
        s46_seterr(err, errlen, "interface name '%s' too long", name);
        return -1;
    }
    t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (t->fd < 0) {
        s46_seterr(err, errlen, "/dev/net/tun: %s", strerror(errno));
        return -1;
    }
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (multi ? IFF_MULTI_QUEUE : 0);
    strcpy(ifr.ifr_name, name);
    if (ioctl(t->fd, TUNSETIFF, &ifr) < 0) {
        s46_seterr(err, errlen, "TUNSETIFF %s: %s", name, strerror(errno));
        goto fail;
    }
    snprintf(t->name, sizeof t->name, "%s", ifr.ifr_name);
    /* no link-local address on the device: the kernel then sends no router
     * solicitations or MLD reports into the data plane */
    char path[96];
    snprintf(path, sizeof path, "/proc/sys/net/ipv6/conf/%s/addr_gen_mode", t->name);
    int g = open(path, O_WRONLY | O_CLOEXEC);
    bool quiet = g >= 0 && write(g, "1", 1) == 1; /* best effort */
    (void)quiet;
    if (g >= 0)
        close(g);
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
        s46_seterr(err, errlen, "socket: %s", strerror(errno));
        goto fail;
    }
    ifr.ifr_mtu = (int)mtu;
    int r = ioctl(s, SIOCSIFMTU, &ifr);
    if (r == 0 && (r = ioctl(s, SIOCGIFFLAGS, &ifr)) == 0) {
        ifr.ifr_flags |= IFF_UP;
        r = ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    int e = errno;
    close(s);
    if (r < 0) {
        s46_seterr(err, errlen, "%s: cannot set MTU %u / bring up: %s", t->name, mtu,
                   strerror(e));
        goto fail;
    }
    return 0;
fail:
    close(t->fd);
    t->fd = -1;
    return -1;
}

int s46_tun_open(s46_tun *t, const char *name, unsigned mtu, char *err, size_t errlen)
{
    return tun_open(t, name, mtu, false, err, errlen);
}

void s46_tun_close(s46_tun *t)
{
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
}

uint32_t s46_tun_rx(s46_tun *t, s46_pktpool *pool, s46_batch *b, uint32_t max)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    uint32_t n = 0;
    while (n < max && b->count < S46_BATCH_MAX) {
        s46_pkt *p = s46_pkt_alloc(pool);
        if (!p)
            break;
        ssize_t r = read(t->fd, p->data, S46_PKT_MAXDATA);
        if (r <= 0) {
            s46_pkt_release(pool, p);
            break;
        }
        p->len = (uint32_t)r;
        p->ts_ns = now;
        b->pkts[b->count++] = p;
        n++;
    }
    return n;
}

int s46_tun_tx(s46_tun *t, const s46_pkt *p)
{
    return write(t->fd, p->data, p->len) == (ssize_t)p->len ? 0 : -1;
}

/* The port interface over the device above (one read/write per packet). */
typedef struct tun_port {
    s46_port port;
    s46_tun t;
} tun_port;

static uint32_t tun_port_rx(s46_port *pp, s46_pktpool *pool, s46_batch *b, uint32_t max)
{
    tun_port *p = (tun_port *)pp;
    uint32_t first = b->count, n = s46_tun_rx(&p->t, pool, b, max);
    for (uint32_t i = first; i < b->count; i++) {
        pp->st.rx_packets++;
        pp->st.rx_bytes += b->pkts[i]->len;
    }
    return n;
}

static uint32_t tun_port_tx(s46_port *pp, s46_pkt *const *pkts, uint32_t n)
{
    tun_port *p = (tun_port *)pp;
    uint32_t sent = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (s46_tun_tx(&p->t, pkts[i]) == 0) {
            sent++;
            pp->st.tx_packets++;
            pp->st.tx_bytes += pkts[i]->len;
        } else {
            pp->st.tx_errors++;
        }
    }
    return sent;
}

static void tun_port_close(s46_port *pp)
{
    tun_port *p = (tun_port *)pp;
    s46_tun_close(&p->t);
    free(p);
}

static const s46_port_ops tun_ops = {
    .kind = S46_PORT_TUN, .rx = tun_port_rx, .tx = tun_port_tx, .close = tun_port_close};

s46_port *s46_port_open_tun(const s46_port_spec *spec, unsigned queue, char *err, size_t errlen)
{
    tun_port *p = calloc(1, sizeof *p);
    if (!p) {
        s46_seterr(err, errlen, "out of memory");
        return NULL;
    }
    if (tun_open(&p->t, spec->ifname, spec->mtu ? spec->mtu : 1500, spec->queues > 1, err,
                 errlen) < 0) {
        free(p);
        return NULL;
    }
    p->port.ops = &tun_ops;
    p->port.fd = p->t.fd;
    p->port.queue = queue;
    snprintf(p->port.name, sizeof p->port.name, "%s", p->t.name);
    return &p->port;
}
