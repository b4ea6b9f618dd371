#include "io/tun.h"
#include "lib/clock.h"
#include "io/port.h"
#include "lib/coalesce.h"
#include "lib/csum.h"
#include "lib/err.h"
#include "lib/gso.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* Newer than some installed kernel headers (Linux 6.2 and 5.18 ABI). */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6 0x40
#endif
#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5
#endif

/* Opens /dev/net/tun and attaches to (or creates) device `name`. The fd,
 * or -1 with err; the kernel's name for the device goes to ifname. */
static int tun_attach(const char *name, short flags, char ifname[IFNAMSIZ], char *err,
                      size_t errlen)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    if (strlen(name) >= IFNAMSIZ) {
        s46_seterr(err, errlen, "interface name '%s' too long", name);
        return -1;
    }
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        s46_seterr(err, errlen, "/dev/net/tun: %s", strerror(errno));
        return -1;
    }
    ifr.ifr_flags = flags;
    strcpy(ifr.ifr_name, name);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        s46_seterr(err, errlen, "TUNSETIFF %s: %s%s", name, strerror(errno),
                   errno == EINVAL ? " (a device of that name with other flags exists?)" : "");
        close(fd);
        return -1;
    }
    memcpy(ifname, ifr.ifr_name, IFNAMSIZ);
    ifname[IFNAMSIZ - 1] = 0;
    return fd;
}

/* No link-local address (the kernel then sends no router solicitations or
 * MLD reports into the data plane), the MTU, up. 0 or -1 with err. */
static int tun_configure(const char *ifname, unsigned mtu, char *err, size_t errlen)
{
    char path[96];
    snprintf(path, sizeof path, "/proc/sys/net/ipv6/conf/%s/addr_gen_mode", ifname);
    int g = open(path, O_WRONLY | O_CLOEXEC);
    bool quiet = g >= 0 && write(g, "1", 1) == 1; /* best effort */
    (void)quiet;
    if (g >= 0)
        close(g);
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
        s46_seterr(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
    ifr.ifr_mtu = (int)mtu;
    int r = ioctl(s, SIOCSIFMTU, &ifr);
    if (r == 0 && (r = ioctl(s, SIOCGIFFLAGS, &ifr)) == 0) {
        ifr.ifr_flags |= IFF_UP;
        r = ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    int e = errno;
    close(s);
    if (r < 0) {
        s46_seterr(err, errlen, "%s: cannot set MTU %u / bring up: %s", ifname, mtu, strerror(e));
        return -1;
    }
    return 0;
}

int s46_tun_open(s46_tun *t, const char *name, unsigned mtu, char *err, size_t errlen)
{
    char ifname[IFNAMSIZ];
    t->fd = tun_attach(name, IFF_TUN | IFF_NO_PI, ifname, err, errlen);
    if (t->fd < 0)
        return -1;
    snprintf(t->name, sizeof t->name, "%s", ifname);
    if (tun_configure(t->name, mtu, err, errlen) < 0) {
        s46_tun_close(t);
        return -1;
    }
    return 0;
}

void s46_tun_close(s46_tun *t)
{
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
}

uint32_t s46_tun_rx(s46_tun *t, s46_pktpool *pool, s46_batch *b, uint32_t max)
{
    uint64_t now = s46_now_ns();
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

/* ---- the port ---- */

#define VHDR ((uint32_t)sizeof(struct virtio_net_hdr))
/* A super-packet read whole: the part that does not fit a pool buffer
 * lands here, after room for the part that does. */
#define BIG_SIZE (S46_GSO_MAXLEN + 1024)
#define TXPOOL 16 /* buffers for cutting a super-packet in software on tx */

typedef struct tun_port {
    s46_port port;
    int tfd;             /* the queue's TUN fd */
    int efd, evfd;       /* offloads: epoll set (port.fd) of tfd and evfd */
    bool vnet;           /* IFF_VNET_HDR */
    unsigned offl;       /* TUN_F_* the kernel took */
    uint8_t *big;        /* BIG_SIZE */
    s46_pkt bigpkt;      /* the super-packet in big */
    s46_gso gso;         /* its segmentation under way (data in big) */
    bool pending, signalled;
    s46_pktpool *txpool;
    uint64_t drop_base;  /* queue 0: the device's drop count at open */
    char ifname[IFNAMSIZ];
} tun_port;

/* The device's count of packets it could not queue for its reader (the
 * kernel's tx_dropped of the device, /proc/net/dev: this namespace). */
static uint64_t dev_drops(const char *ifname)
{
    FILE *f = fopen("/proc/net/dev", "re");
    if (!f)
        return 0;
    char line[512];
    uint64_t v = 0;
    size_t n = strlen(ifname);
    while (fgets(line, sizeof line, f)) {
        char *s = line;
        while (*s == ' ')
            s++;
        if (strncmp(s, ifname, n) != 0 || s[n] != ':')
            continue;
        unsigned long long c[12];
        if (sscanf(s + n + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
                   &c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6], &c[7], &c[8], &c[9], &c[10],
                   &c[11]) == 12)
            v = c[11];
        break;
    }
    fclose(f);
    return v;
}

/* Segments are pending beyond what rx returned: keep port.fd readable so
 * that the loop calls rx again even if the device has nothing new. */
static void set_signal(tun_port *p, bool on)
{
    if (p->signalled == on)
        return;
    uint64_t v = 1;
    ssize_t r = on ? write(p->evfd, &v, sizeof v) : read(p->evfd, &v, sizeof v);
    (void)r;
    p->signalled = on;
}

static void account_rx(tun_port *p, s46_batch *b, uint32_t from)
{
    for (uint32_t i = from; i < b->count; i++) {
        p->port.st.rx_packets++;
        p->port.st.rx_bytes += b->pkts[i]->len;
    }
}

/* Produces pending segments into b (at most max); ends the super-packet
 * when all are out. Returns how many. */
static uint32_t emit(tun_port *p, s46_pktpool *pool, s46_batch *b, uint32_t max)
{
    uint32_t room = S46_BATCH_MAX - b->count;
    if (room > max)
        room = max;
    uint32_t first = b->count;
    uint32_t n = s46_gso_next(&p->gso, pool, b->pkts + b->count, room);
    b->count += n;
    account_rx(p, b, first);
    if (s46_gso_left(&p->gso) == 0)
        p->pending = false;
    return n;
}

static uint32_t tun_rx_plain(s46_port *pp, s46_pktpool *pool, s46_batch *b, uint32_t max)
{
    tun_port *p = (tun_port *)pp;
    s46_tun t = {.fd = p->tfd};
    uint32_t first = b->count, n = s46_tun_rx(&t, pool, b, max);
    account_rx(p, b, first);
    return n;
}

static uint32_t tun_rx_vnet(s46_port *pp, s46_pktpool *pool, s46_batch *b, uint32_t max)
{
    tun_port *p = (tun_port *)pp;
    uint32_t n = 0;
    if (p->pending)
        n += emit(p, pool, b, max);
    uint64_t now = s46_now_ns();
    while (!p->pending && n < max && b->count < S46_BATCH_MAX) {
        s46_pkt *k = s46_pkt_alloc(pool);
        if (!k)
            break;
        /* header and packet into the pool buffer (the header in its
         * headroom); a super-packet's rest into big, after room to move
         * the first part in front of it */
        struct iovec iov[2] = {{k->data - VHDR, VHDR + S46_PKT_MAXDATA},
                               {p->big + S46_PKT_MAXDATA, BIG_SIZE - S46_PKT_MAXDATA}};
        ssize_t r = readv(p->tfd, iov, 2);
        if (r <= 0) {
            s46_pkt_release(pool, k);
            break;
        }
        if ((size_t)r < VHDR + 20) {
            s46_pkt_release(pool, k);
            pp->st.rx_ignored++;
            continue;
        }
        struct virtio_net_hdr h;
        memcpy(&h, k->data - VHDR, VHDR);
        uint32_t len = (uint32_t)r - VHDR;
        s46_pkt *s = k;
        if (len > S46_PKT_MAXDATA) {
            memcpy(p->big, k->data, S46_PKT_MAXDATA);
            s = &p->bigpkt;
            s->data = p->big;
            s->in_port = 0;
        }
        s->len = len;
        s->ts_ns = now;
        s->csum_partial = (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) != 0;
        s->csum_start = h.csum_start;
        s->csum_off = h.csum_offset;
        uint8_t gt = h.gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
        if (gt != VIRTIO_NET_HDR_GSO_NONE) {
            s->gso_size = h.gso_size;
            s->gso_type = gt == VIRTIO_NET_HDR_GSO_TCPV4   ? S46_GSO_TCP4
                          : gt == VIRTIO_NET_HDR_GSO_TCPV6 ? S46_GSO_TCP6
                          : gt == VIRTIO_NET_HDR_GSO_UDP_L4 ? S46_GSO_UDP_L4
                                                            : 0xff;
            if (s46_gso_begin(&p->gso, s) < 0) {
                pp->st.rx_ignored++;
                s46_pkt_release(pool, k);
                continue;
            }
            pp->st.rx_gso_split++;
            p->pending = true;
            n += emit(p, pool, b, max - n);
            if (p->pending && s == k) { /* the rest on a later call: keep no pool buffer */
                memcpy(p->big, k->data, len);
                p->gso.data = p->big;
            }
            s46_pkt_release(pool, k);
            continue;
        }
        if (s != k) { /* larger than a buffer and no super-packet */
            pp->st.rx_ignored++;
            s46_pkt_release(pool, k);
            continue;
        }
        if (k->csum_partial) {
            if (s46_csum_complete(k) < 0) {
                pp->st.rx_ignored++;
                s46_pkt_release(pool, k);
                continue;
            }
            pp->st.rx_csum_completed++;
        }
        b->pkts[b->count++] = k;
        pp->st.rx_packets++;
        pp->st.rx_bytes += len;
        n++;
    }
    set_signal(p, p->pending);
    return n;
}

/* Writes one packet with virtio header h in front (in its headroom when
 * there is room, else with a second iovec). */
static bool write_vnet(tun_port *p, const s46_pkt *k, const struct virtio_net_hdr *h)
{
    ssize_t want = (ssize_t)(k->len + VHDR), r;
    if (k->buf && k->data >= k->buf + VHDR && k->data <= k->buf + S46_PKT_BUFSIZE) {
        memcpy(k->data - VHDR, h, VHDR);
        r = write(p->tfd, k->data - VHDR, (size_t)want);
    } else {
        struct iovec iov[2] = {{(void *)h, VHDR}, {k->data, k->len}};
        r = writev(p->tfd, iov, 2);
    }
    return r == want;
}

static bool write_one(tun_port *p, s46_pkt *k)
{
    if (!p->vnet) {
        if (k->csum_partial && s46_csum_complete(k) < 0)
            return false;
        return write(p->tfd, k->data, k->len) == (ssize_t)k->len;
    }
    struct virtio_net_hdr h;
    memset(&h, 0, sizeof h);
    if (k->csum_partial) {
        h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
        h.csum_start = k->csum_start;
        h.csum_offset = k->csum_off;
    }
    return write_vnet(p, k, &h);
}

/* A super-packet: the kernel segments it when it can take this kind with a
 * partial checksum; otherwise it is cut here. Packets sent, 0 on failure. */
static uint32_t write_super(tun_port *p, s46_pkt *k)
{
    s46_gso g;
    if (s46_gso_begin(&g, k) < 0)
        return 0;
    unsigned need = k->gso_type == S46_GSO_TCP4   ? TUN_F_TSO4
                    : k->gso_type == S46_GSO_TCP6 ? TUN_F_TSO6
                    : (k->data[0] >> 4) == 4      ? TUN_F_USO4
                                                  : TUN_F_USO6;
    if (p->vnet && !g.inner && (p->offl & need) && k->csum_partial && k->csum_start == g.l4off) {
        struct virtio_net_hdr h = {
            .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
            .gso_type = k->gso_type == S46_GSO_TCP4   ? VIRTIO_NET_HDR_GSO_TCPV4
                        : k->gso_type == S46_GSO_TCP6 ? VIRTIO_NET_HDR_GSO_TCPV6
                                                      : VIRTIO_NET_HDR_GSO_UDP_L4,
            .hdr_len = g.hdrlen,
            .gso_size = k->gso_size,
            .csum_start = k->csum_start,
            .csum_offset = k->csum_off};
        if (k->gso_type != S46_GSO_UDP_L4 && (k->data[g.l4off + 13] & 0x80) &&
            (p->offl & TUN_F_TSO_ECN))
            h.gso_type |= VIRTIO_NET_HDR_GSO_ECN; /* CWR: on the first segment only */
        if (!write_vnet(p, k, &h))
            return 0;
        p->port.st.tx_gso++;
        return 1;
    }
    uint32_t sent = 0;
    while (s46_gso_left(&g) > 0) {
        s46_pkt *seg[TXPOOL];
        uint32_t m = s46_gso_next(&g, p->txpool, seg, TXPOOL);
        if (m == 0)
            break;
        for (uint32_t i = 0; i < m; i++) {
            if (write_one(p, seg[i])) {
                sent++;
                p->port.st.tx_packets++;
                p->port.st.tx_bytes += seg[i]->len;
            } else {
                p->port.st.tx_errors++;
            }
            s46_pkt_release(p->txpool, seg[i]);
        }
    }
    return sent;
}

/* A run of one flow's TCP segments at pkts[0] (lib/coalesce) written as
 * one super-packet that the kernel cuts back into the same segments: one
 * system call and one trip through the kernel's forwarding for the run
 * instead of one per packet, and a receiver on this host gets it whole.
 * Returns the packets that left (0: none, or no run worth merging: the
 * caller sends pkts[0] alone). */
static uint32_t write_run(tun_port *p, s46_pkt *const *pkts, uint32_t n)
{
    if (!p->vnet || n < 2)
        return 0;
    s46_coalesce c;
    uint32_t m = s46_coalesce_run(pkts, n, S46_BATCH_MAX, &c);
    if (m < 2 || !(p->offl & (c.gso_type == S46_GSO_TCP4 ? TUN_F_TSO4 : TUN_F_TSO6)))
        return 0;
    s46_pkt *k = pkts[0];
    s46_coalesce_head(pkts, &c);
    struct virtio_net_hdr h = {
        .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
        .gso_type = c.gso_type == S46_GSO_TCP4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6,
        .hdr_len = c.hdrlen,
        .gso_size = c.gso_size,
        .csum_start = c.l4off,
        .csum_offset = 16};
    if ((k->data[c.l4off + 13] & 0x80) && (p->offl & TUN_F_TSO_ECN))
        h.gso_type |= VIRTIO_NET_HDR_GSO_ECN; /* CWR: on the first segment only */
    struct iovec iov[S46_BATCH_MAX + 2];
    iov[0] = (struct iovec){&h, VHDR};
    iov[1] = (struct iovec){k->data, k->len};
    uint64_t bytes = k->len;
    for (uint32_t j = 1; j < m; j++) {
        s46_pkt *x = pkts[j];
        iov[j + 1] = (struct iovec){x->data + c.hdrlen, x->len - c.hdrlen};
        bytes += x->len;
    }
    ssize_t want = (ssize_t)VHDR + c.len;
    if (writev(p->tfd, iov, (int)m + 1) != want) {
        p->port.st.tx_errors += m;
        return m; /* consumed: counted as errors */
    }
    p->port.st.tx_gso++;
    p->port.st.tx_coalesced += m - 1;
    p->port.st.tx_packets += m;
    p->port.st.tx_bytes += bytes;
    return m;
}

static uint32_t tun_tx(s46_port *pp, s46_pkt *const *pkts, uint32_t n)
{
    tun_port *p = (tun_port *)pp;
    uint32_t sent = 0;
    for (uint32_t i = 0; i < n; i++) {
        s46_pkt *k = pkts[i];
        if (!k->gso_size) {
            uint64_t errs = pp->st.tx_errors;
            uint32_t m = write_run(p, pkts + i, n - i);
            if (m) {
                if (pp->st.tx_errors == errs)
                    sent += m;
                i += m - 1;
                continue;
            }
        }
        if (k->gso_size) {
            uint64_t before = pp->st.tx_packets;
            uint32_t m = write_super(p, k);
            if (m == 0) {
                pp->st.tx_errors++;
            } else {
                sent++;
                if (pp->st.tx_packets == before) { /* whole, to the kernel */
                    pp->st.tx_packets++;
                    pp->st.tx_bytes += k->len;
                }
            }
            continue;
        }
        if (write_one(p, k)) {
            sent++;
            pp->st.tx_packets++;
            pp->st.tx_bytes += k->len;
        } else {
            pp->st.tx_errors++;
        }
    }
    return sent;
}

static void tun_sync(s46_port *pp)
{
    tun_port *p = (tun_port *)pp;
    if (pp->queue != 0)
        return;
    uint64_t d = dev_drops(p->ifname);
    pp->st.rx_dropped = d >= p->drop_base ? d - p->drop_base : 0;
}

static void tun_close(s46_port *pp)
{
    tun_port *p = (tun_port *)pp;
    if (p->tfd >= 0)
        close(p->tfd);
    if (p->efd >= 0)
        close(p->efd);
    if (p->evfd >= 0)
        close(p->evfd);
    s46_pktpool_free(p->txpool);
    free(p->big);
    free(p);
}

static const s46_port_ops tun_plain_ops = {.kind = S46_PORT_TUN,
                                           .rx = tun_rx_plain,
                                           .tx = tun_tx,
                                           .sync = tun_sync,
                                           .close = tun_close};
static const s46_port_ops tun_vnet_ops = {.kind = S46_PORT_TUN,
                                          .rx = tun_rx_vnet,
                                          .tx = tun_tx,
                                          .sync = tun_sync,
                                          .close = tun_close};

/* IFF_VNET_HDR set up: header size and offloads (USO if the kernel has
 * it). 0 or -1 with err. */
static int setup_offloads(tun_port *p, char *err, size_t errlen)
{
    int sz = (int)VHDR;
    if (ioctl(p->tfd, TUNSETVNETHDRSZ, &sz) < 0) {
        s46_seterr(err, errlen, "%s: TUNSETVNETHDRSZ: %s", p->ifname, strerror(errno));
        return -1;
    }
    unsigned base = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
    unsigned want = base | TUN_F_USO4 | TUN_F_USO6;
    if (ioctl(p->tfd, TUNSETOFFLOAD, (unsigned long)want) == 0) {
        p->offl = want;
    } else if (ioctl(p->tfd, TUNSETOFFLOAD, (unsigned long)base) == 0) {
        p->offl = base;
    } else {
        s46_seterr(err, errlen, "%s: TUNSETOFFLOAD: %s", p->ifname, strerror(errno));
        return -1;
    }
    p->big = malloc(BIG_SIZE);
    p->efd = epoll_create1(EPOLL_CLOEXEC);
    p->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (!p->big || p->efd < 0 || p->evfd < 0) {
        s46_seterr(err, errlen, "%s: out of memory or descriptors", p->ifname);
        return -1;
    }
    struct epoll_event ev = {.events = EPOLLIN};
    ev.data.fd = p->tfd;
    int r = epoll_ctl(p->efd, EPOLL_CTL_ADD, p->tfd, &ev);
    ev.data.fd = p->evfd;
    if (r == 0)
        r = epoll_ctl(p->efd, EPOLL_CTL_ADD, p->evfd, &ev);
    if (r < 0) {
        s46_seterr(err, errlen, "%s: epoll: %s", p->ifname, strerror(errno));
        return -1;
    }
    s46_pkt_init(&p->bigpkt, NULL);
    return 0;
}

s46_port *s46_port_open_tun(const s46_port_spec *spec, unsigned queue, char *err, size_t errlen)
{
    unsigned queues = spec->queues ? spec->queues : 1;
    unsigned mtu = spec->mtu ? spec->mtu : 1500;
    if (!spec->ifname || !*spec->ifname) {
        s46_seterr(err, errlen, "tun: no device name");
        return NULL;
    }
    if (queue >= queues) {
        s46_seterr(err, errlen, "tun %s: queue %u of %u", spec->ifname, queue, queues);
        return NULL;
    }
    if (mtu < 68 || mtu > S46_PKT_MAXDATA) {
        s46_seterr(err, errlen, "tun %s: MTU %u outside 68..%u", spec->ifname, mtu,
                   (unsigned)S46_PKT_MAXDATA);
        return NULL;
    }
    tun_port *p = calloc(1, sizeof *p);
    if (!p) {
        s46_seterr(err, errlen, "out of memory");
        return NULL;
    }
    p->tfd = p->efd = p->evfd = -1;
    short flags = IFF_TUN | IFF_NO_PI;
    if (queues > 1)
        flags |= IFF_MULTI_QUEUE;
    if (spec->offloads)
        flags |= IFF_VNET_HDR;
    p->tfd = tun_attach(spec->ifname, flags, p->ifname, err, errlen);
    if (p->tfd < 0)
        goto fail;
    p->vnet = spec->offloads;
    if (p->vnet && setup_offloads(p, err, errlen) < 0)
        goto fail;
    p->txpool = s46_pktpool_new(TXPOOL);
    if (!p->txpool) {
        s46_seterr(err, errlen, "out of memory");
        goto fail;
    }
    if (queue == 0) {
        if (tun_configure(p->ifname, mtu, err, errlen) < 0)
            goto fail;
        p->drop_base = dev_drops(p->ifname);
    }
    p->port.ops = p->vnet ? &tun_vnet_ops : &tun_plain_ops;
    p->port.fd = p->vnet ? p->efd : p->tfd;
    p->port.queue = queue;
    snprintf(p->port.name, sizeof p->port.name, "%s", p->ifname);
    return &p->port;
fail:
    tun_close(&p->port);
    return NULL;
}
