#include "io/afpacket.h"
#include "io/ether.h"
#include "io/port.h"
#include "lib/csum.h"
#include "lib/err.h"
#include "lib/parse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int s46_afp_open(s46_afp *a, const char *ifname, const char *peer_mac, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    a->fd = -1;
    if (strlen(ifname) >= sizeof a->name) {
        s46_seterr(err, errlen, "interface name '%s' too long", ifname);
        return -1;
    }
    strcpy(a->name, ifname);
    if (peer_mac) {
        if (s46_mac_parse(peer_mac, a->peer) < 0) {
            s46_seterr(err, errlen, "'%s' is not a MAC address", peer_mac);
            return -1;
        }
        a->peer_known = a->peer_fixed = true;
    }
    a->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (a->fd < 0) {
        s46_seterr(err, errlen, "AF_PACKET socket: %s", strerror(errno));
        return -1;
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, ifname);
    if (ioctl(a->fd, SIOCGIFINDEX, &ifr) < 0) {
        s46_seterr(err, errlen, "%s: %s", ifname, strerror(errno));
        goto fail;
    }
    a->ifindex = ifr.ifr_ifindex;
    if (ioctl(a->fd, SIOCGIFHWADDR, &ifr) < 0) {
        s46_seterr(err, errlen, "%s: no hardware address: %s", ifname, strerror(errno));
        goto fail;
    }
    memcpy(a->mac, ifr.ifr_hwaddr.sa_data, 6);
    struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
                              .sll_ifindex = a->ifindex};
    if (bind(a->fd, (struct sockaddr *)&sll, sizeof sll) < 0) {
        s46_seterr(err, errlen, "bind %s: %s", ifname, strerror(errno));
        goto fail;
    }
    int one = 1;
    setsockopt(a->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
    setsockopt(a->fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof one);
    return 0;
fail:
    close(a->fd);
    a->fd = -1;
    return -1;
}

void s46_afp_close(s46_afp *a)
{
    if (a->fd >= 0)
        close(a->fd);
    a->fd = -1;
}

/* A frame the local stack sent with checksum offload (veth, TP_STATUS_
 * CSUMNOTREADY) carries only the pseudo-header sum: complete it. */
static void complete_csum(s46_pkt *p)
{
    s46_l3 l3;
    uint8_t *d = p->data;
    bool v4 = (d[0] >> 4) == 4;
    if ((v4 ? s46_parse_ipv4(d, p->len, &l3) : s46_parse_ipv6(d, p->len, &l3)) < 0 ||
        l3.is_fragment)
        return;
    unsigned at = l3.proto == S46_PROTO_TCP ? 16 : l3.proto == S46_PROTO_UDP ? 6 : 0;
    if (!at || l3.l4_len < at + 2)
        return;
    uint8_t *l4 = d + l3.l3_len;
    s46_put16(l4 + at, 0);
    uint32_t sum = v4 ? s46_csum_pseudo4(d + 12, d + 16, l3.proto, l3.l4_len)
                      : s46_csum_pseudo6(d + 8, d + 24, l3.proto, l3.l4_len);
    uint16_t c = s46_csum_fold(s46_csum_add(sum, l4, l3.l4_len));
    s46_put16(l4 + at, l3.proto == S46_PROTO_UDP && c == 0 ? 0xffff : c);
}

uint32_t s46_afp_rx(s46_afp *a, s46_pktpool *pool, s46_batch *b, uint32_t max)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    uint32_t n = 0;
    while (n < max && b->count < S46_BATCH_MAX) {
        s46_pkt *p = s46_pkt_alloc(pool);
        if (!p)
            break;
        struct sockaddr_ll from;
        uint8_t *frame = p->data - 14;
        union {
            struct cmsghdr c;
            char buf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
        } ctrl;
        struct iovec iov = {frame, S46_PKT_MAXDATA + 14};
        struct msghdr mh = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov,
                            .msg_iovlen = 1, .msg_control = &ctrl, .msg_controllen = sizeof ctrl};
        ssize_t r = recvmsg(a->fd, &mh, 0);
        bool partial = false;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); r > 0 && c; c = CMSG_NXTHDR(&mh, c)) {
            if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA) {
                struct tpacket_auxdata aux;
                memcpy(&aux, CMSG_DATA(c), sizeof aux);
                partial = aux.tp_status & TP_STATUS_CSUMNOTREADY;
            }
        }
        if (r <= 0) {
            s46_pkt_release(pool, p);
            break;
        }
        unsigned et = r >= 14 ? (unsigned)(frame[12] << 8 | frame[13]) : 0;
        if (from.sll_pkttype != PACKET_HOST || (et != 0x0800 && et != 0x86dd) || r <= 14) {
            a->rx_ignored++;
            s46_pkt_release(pool, p);
            continue;
        }
        if (!a->peer_fixed) {
            memcpy(a->peer, frame + 6, 6);
            a->peer_known = true;
        }
        p->len = (uint32_t)(r - 14);
        p->ts_ns = now;
        if (partial) {
            complete_csum(p);
            a->rx_csum_completed++;
        }
        b->pkts[b->count++] = p;
        n++;
    }
    return n;
}

int s46_afp_tx(s46_afp *a, s46_pkt *p)
{
    if (!a->peer_known || p->len == 0) {
        a->tx_errors++;
        return -1;
    }
    uint8_t *h = s46_pkt_push(p, 14);
    if (!h) {
        a->tx_errors++;
        return -1;
    }
    memcpy(h, a->peer, 6);
    memcpy(h + 6, a->mac, 6);
    h[12] = (h[14] >> 4) == 6 ? 0x86 : 0x08;
    h[13] = (h[14] >> 4) == 6 ? 0xdd : 0x00;
    ssize_t w = send(a->fd, h, p->len, 0);
    s46_pkt_pull(p, 14);
    if (w != (ssize_t)p->len + 14) {
        a->tx_errors++;
        return -1;
    }
    return 0;
}

/* The port interface over the socket above (one socket, recvmsg/send per
 * packet). */
typedef struct afp_port {
    s46_port port;
    s46_afp a;
} afp_port;

static uint32_t afp_port_rx(s46_port *pp, s46_pktpool *pool, s46_batch *b, uint32_t max)
{
    afp_port *p = (afp_port *)pp;
    uint32_t first = b->count, n = s46_afp_rx(&p->a, pool, b, max);
    for (uint32_t i = first; i < b->count; i++) {
        pp->st.rx_packets++;
        pp->st.rx_bytes += b->pkts[i]->len;
    }
    pp->st.rx_ignored = p->a.rx_ignored;
    pp->st.rx_csum_completed = p->a.rx_csum_completed;
    return n;
}

static uint32_t afp_port_tx(s46_port *pp, s46_pkt *const *pkts, uint32_t n)
{
    afp_port *p = (afp_port *)pp;
    uint32_t sent = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t len = pkts[i]->len;
        if (s46_afp_tx(&p->a, pkts[i]) == 0) {
            sent++;
            pp->st.tx_packets++;
            pp->st.tx_bytes += len;
        }
    }
    pp->st.tx_errors = p->a.tx_errors;
    return sent;
}

static void afp_port_close(s46_port *pp)
{
    afp_port *p = (afp_port *)pp;
    s46_afp_close(&p->a);
    free(p);
}

static const s46_port_ops afp_ops = {
    .kind = S46_PORT_AFPACKET, .rx = afp_port_rx, .tx = afp_port_tx, .close = afp_port_close};

s46_port *s46_port_open_afpacket(const s46_port_spec *spec, unsigned queue, char *err,
                                 size_t errlen)
{
    afp_port *p = calloc(1, sizeof *p);
    if (!p) {
        s46_seterr(err, errlen, "out of memory");
        return NULL;
    }
    if (s46_afp_open(&p->a, spec->ifname, spec->peer_mac, err, errlen) < 0) {
        free(p);
        return NULL;
    }
    p->port.ops = &afp_ops;
    p->port.fd = p->a.fd;
    p->port.queue = queue;
    p->port.ethernet = true;
    snprintf(p->port.name, sizeof p->port.name, "%s", spec->ifname);
    return &p->port;
}
