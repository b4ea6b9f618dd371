#include "io/afpacket.h"
#include "lib/clock.h"
#include "io/fanout.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "io/ether.h"
#include "io/take.h"
#include "lib/coalesce.h"
#include "lib/csum.h"
#include "lib/err.h"
#include "lib/gso.h"
#include "lib/parse.h"

#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5
#endif

/* rx: a TPACKET_V3 ring of blocks of RX_BLOCK bytes, ring_frames x 2 KiB
 * in all (default 4096 frames: 8 MiB); a block that is not full is handed
 * over after RX_TIMEOUT_MS, which bounds the latency at low rates. Blocks
 * are small (32 KiB: still above the largest frame) so that at low rates,
 * where each block leaves with a few frames, the ring still covers a long
 * stall of the reader (256 blocks: a quarter of a second); 256 KiB blocks
 * lost packets at 5000 packets/s when a worker was descheduled for 40 ms.
 * tx: sendmmsg() of the whole batch, the Ethernet header written in each
 * packet's headroom. Measured against a TPACKET_V3 tx ring with one send()
 * per batch on veth (kernel 6.18, one sender pinned to a core, the machine
 * shared with other jobs): 64-byte packets 0.48-0.67 Mpps with sendmmsg,
 * 0.14-0.18 Mpps with the tx ring; 1500 bytes 0.37-0.40 against 0.11-0.13
 * (the ring's skbs point into the ring's pages, and every frame is handed
 * back through a destructor: dearer on veth than copying). */
#define RX_BLOCK (32u * 1024)
/* With the virtio header (spec->offloads): a block holds a whole 64 KiB
 * super-packet with its ring headers; blocks are allocated as powers of
 * two pages anyway. At least RX_VNET_MIN_BLOCKS of them: at low rates each
 * block still leaves with a few frames after RX_TIMEOUT_MS. */
#define RX_BLOCK_VNET (128u * 1024)
#define RX_VNET_MIN_BLOCKS 64u
#define RX_FRAME 2048u
#define RX_TIMEOUT_MS 1
#define DEFAULT_FRAMES 4096u
#define SCRATCH 256 /* ARP / NS frames not for the data plane are read here */
#define VHDR ((uint32_t)sizeof(struct virtio_net_hdr))
#define PRE (VHDR + S46_ETHER_HLEN_MAX) /* in front of each sent packet, at most */
#define TXPOOL 16 /* buffers for cutting a super-packet in software on tx */
#define TX_IOV (2 * S46_BATCH_MAX + 2)

/* The messages of one sendmmsg() being built. */
typedef struct txq {
    struct mmsghdr mm[S46_BATCH_MAX];
    struct iovec iov[TX_IOV];
    uint8_t hdr[S46_BATCH_MAX][PRE]; /* for packets without headroom */
    uint32_t pkts[S46_BATCH_MAX];    /* packets each message carries */
    uint64_t bytes[S46_BATCH_MAX];   /* their IP bytes */
    uint32_t k, niov;
} txq;

typedef struct afp_port {
    s46_port port;
    s46_ether *eth;
    s46_take *take;               /* the tc ingress filter (NULL: none) */
    uint8_t *rx;
    size_t rx_len;
    uint32_t rx_block_size;
    uint32_t rx_blocks, rx_block; /* count, the one read now */
    uint32_t rx_left;             /* frames left in rx_block; 0: not opened */
    uint8_t *rx_frame;            /* the next frame of rx_block */
    uint32_t tx_max;              /* largest frame (MTU + Ethernet header) */
    uint32_t l2;                  /* Ethernet header sent: 14, 18 with a VLAN */
    bool vnet;                    /* PACKET_VNET_HDR: super-packets in and out */
    bool pending;                 /* rx_frame is a super-packet being cut */
    s46_gso gso;                  /* its segmentation (data in the ring) */
    s46_pktpool *txpool;
    txq q;
    uint8_t scratch[SCRATCH];
} afp_port;

/* ---- tx ---- */

/* A reply frame (ARP, NA) built by io/ether. */
static bool tx_frame(afp_port *a, const uint8_t *frame, uint32_t len)
{
    if (len > a->tx_max)
        return false;
    if (!a->vnet)
        return send(a->port.fd, frame, len, MSG_DONTWAIT) == (ssize_t)len;
    struct virtio_net_hdr vh;
    memset(&vh, 0, sizeof vh);
    struct iovec iov[2] = {{&vh, VHDR}, {(void *)frame, len}};
    struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};
    return sendmsg(a->port.fd, &m, MSG_DONTWAIT) == (ssize_t)(VHDR + len);
}

/* Sends the messages queued; returns the packets they carried that left
 * (counted in tx_packets), the others are counted in tx_errors. */
static uint32_t flush(afp_port *a)
{
    txq *q = &a->q;
    s46_port_stats *st = &a->port.st;
    uint32_t sent = 0;
    for (uint32_t done = 0; done < q->k;) {
        int r = sendmmsg(a->port.fd, q->mm + done, q->k - done, MSG_DONTWAIT);
        if (r > 0) {
            for (uint32_t i = done; i < done + (uint32_t)r; i++) {
                st->tx_packets += q->pkts[i];
                st->tx_bytes += q->bytes[i];
                sent += q->pkts[i];
            }
            done += (uint32_t)r;
        } else if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR) {
            for (uint32_t i = done; i < q->k; i++)
                st->tx_errors += q->pkts[i]; /* socket buffer full */
            break;
        } else {
            st->tx_errors += q->pkts[done]; /* this one refused (device down, ...) */
            done++;
        }
    }
    q->k = q->niov = 0;
    return sent;
}

/* Queues a message: [virtio header] Ethernet header, then p's bytes (in
 * its headroom when there is room, else a second iovec). false when no
 * next hop is known. */
static bool msg_start(afp_port *a, s46_pkt *p, const struct virtio_net_hdr *vh)
{
    txq *q = &a->q;
    uint32_t pre = (a->vnet ? VHDR : 0) + a->l2;
    bool room = p->buf && p->data >= p->buf + pre;
    uint8_t *h = room ? p->data - pre : q->hdr[q->k];
    if (s46_ether_header(a->eth, h + pre - a->l2, p->data, p->len) < 0)
        return false;
    if (a->vnet)
        memcpy(h, vh, VHDR);
    struct iovec *v = q->iov + q->niov;
    v[0].iov_base = h;
    v[0].iov_len = room ? pre + p->len : pre;
    v[1].iov_base = p->data;
    v[1].iov_len = p->len;
    q->mm[q->k].msg_hdr = (struct msghdr){.msg_iov = v, .msg_iovlen = room ? 1 : 2};
    q->mm[q->k].msg_len = 0;
    q->pkts[q->k] = 1;
    q->bytes[q->k] = p->len;
    q->niov += room ? 1 : 2;
    q->k++;
    return true;
}

/* Appends bytes to the last message queued. */
static void msg_add(afp_port *a, const uint8_t *data, uint32_t len)
{
    txq *q = &a->q;
    q->iov[q->niov].iov_base = (void *)data;
    q->iov[q->niov].iov_len = len;
    q->niov++;
    q->mm[q->k - 1].msg_hdr.msg_iovlen++;
}

/* Room for a message of `iovs` more iovecs, flushing first if needed. */
static uint32_t make_room(afp_port *a, uint32_t iovs)
{
    return a->q.k == S46_BATCH_MAX || a->q.niov + iovs > TX_IOV ? flush(a) : 0;
}

/* The virtio header of a super-packet p (gso_size, gso_type set; the
 * checksum field partial) with headers of hdrlen bytes, L4 at l4off. */
static void gso_header(struct virtio_net_hdr *vh, const s46_pkt *p, uint32_t l4off,
                       uint32_t hdrlen, uint32_t l2)
{
    memset(vh, 0, sizeof *vh);
    bool udp = p->gso_type == S46_GSO_UDP_L4;
    vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    vh->gso_type = p->gso_type == S46_GSO_TCP4   ? VIRTIO_NET_HDR_GSO_TCPV4
                   : p->gso_type == S46_GSO_TCP6 ? VIRTIO_NET_HDR_GSO_TCPV6
                                                 : VIRTIO_NET_HDR_GSO_UDP_L4;
    if (!udp && (p->data[l4off + 13] & 0x80))
        vh->gso_type |= VIRTIO_NET_HDR_GSO_ECN; /* CWR: on the first segment only */
    vh->hdr_len = (uint16_t)(l2 + hdrlen);
    vh->gso_size = p->gso_size;
    vh->csum_start = (uint16_t)(l2 + l4off);
    vh->csum_offset = udp ? 6 : 16;
}

/* A super-packet from the data plane: whole to the kernel with its GSO
 * metadata when the virtio header can say what it is (TCP or UDP right
 * after the IP header), else cut here. Returns the packets that left. */
static uint32_t tx_super(afp_port *a, s46_pkt *p)
{
    s46_gso g;
    s46_port_stats *st = &a->port.st;
    if (s46_gso_begin(&g, p) < 0) {
        st->tx_errors++; /* not a super-packet anyone can cut */
        return 0;
    }
    uint32_t sent = 0;
    if (a->vnet && !g.inner && (uint32_t)g.hdrlen + p->gso_size + a->l2 <= a->tx_max) {
        sent += make_room(a, 2);
        if (!(p->csum_partial && p->csum_start == g.l4off)) {
            /* the kernel wants the partial sum over the whole length */
            uint8_t *d = p->data, *l4 = d + g.l4off;
            uint32_t l4len = p->len - g.l4off;
            uint8_t proto = p->gso_type == S46_GSO_UDP_L4 ? S46_PROTO_UDP : S46_PROTO_TCP;
            uint32_t sum = g.v6 ? s46_csum_pseudo6(d + 8, d + 24, proto, l4len)
                                : s46_csum_pseudo4(d + 12, d + 16, proto, l4len);
            if (proto == S46_PROTO_UDP)
                s46_put16(l4 + 4, (uint16_t)l4len);
            s46_put16(l4 + (proto == S46_PROTO_UDP ? 6 : 16), (uint16_t)~s46_csum_fold(sum));
        }
        struct virtio_net_hdr vh;
        gso_header(&vh, p, g.l4off, g.hdrlen, a->l2);
        if (msg_start(a, p, &vh))
            st->tx_gso++;
        else
            st->tx_errors++;
        return sent;
    }
    sent += flush(a); /* what came before leaves first */
    struct virtio_net_hdr vh;
    memset(&vh, 0, sizeof vh);
    while (s46_gso_left(&g) > 0) {
        s46_pkt *seg[TXPOOL];
        uint32_t m = s46_gso_next(&g, a->txpool, seg, TXPOOL);
        if (m == 0)
            break;
        for (uint32_t i = 0; i < m; i++) {
            if (seg[i]->len + a->l2 > a->tx_max || !msg_start(a, seg[i], &vh))
                st->tx_errors++;
        }
        uint32_t out = flush(a);
        for (uint32_t i = 0; i < m; i++)
            s46_pkt_release(a->txpool, seg[i]);
        if (out)
            sent = 1;
    }
    return sent;
}

static uint32_t afp_tx(s46_port *pp, s46_pkt *const *pkts, uint32_t n)
{
    afp_port *a = (afp_port *)pp;
    uint32_t sent = 0;
    struct virtio_net_hdr vh;
    a->q.k = a->q.niov = 0;
    for (uint32_t i = 0; i < n;) {
        s46_pkt *p = pkts[i];
        if (p->gso_size) {
            sent += tx_super(a, p);
            i++;
            continue;
        }
        /* a run of one flow's TCP segments leaves as one super-packet,
         * which the kernel (or the NIC) cuts back into the same segments */
        s46_coalesce c;
        uint32_t m = a->vnet ? s46_coalesce_run(pkts + i, n - i, S46_BATCH_MAX, &c) : 1;
        if (m > 1 && (uint32_t)c.hdrlen + c.gso_size + a->l2 <= a->tx_max) {
            sent += make_room(a, m + 1);
            s46_coalesce_head(pkts + i, &c);
            gso_header(&vh, p, c.l4off, c.hdrlen, a->l2);
            if (msg_start(a, p, &vh)) {
                for (uint32_t j = 1; j < m; j++) {
                    s46_pkt *x = pkts[i + j];
                    msg_add(a, x->data + c.hdrlen, x->len - c.hdrlen);
                    a->q.bytes[a->q.k - 1] += x->len;
                }
                a->q.pkts[a->q.k - 1] = m;
                pp->st.tx_gso++;
                pp->st.tx_coalesced += m - 1;
            } else {
                pp->st.tx_errors += m; /* no next hop */
            }
            i += m;
            continue;
        }
        i++;
        sent += make_room(a, 2);
        memset(&vh, 0, sizeof vh);
        if (p->csum_partial) {
            vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
            vh.csum_start = (uint16_t)(a->l2 + p->csum_start);
            vh.csum_offset = p->csum_off;
            if (!a->vnet && s46_csum_complete(p) < 0) {
                pp->st.tx_errors++;
                continue;
            }
        }
        if (p->len + a->l2 > a->tx_max || !msg_start(a, p, &vh))
            pp->st.tx_errors++; /* too large for the link, or no next hop */
    }
    return sent + flush(a);
}

/* ---- rx ring ---- */

static struct tpacket_block_desc *rx_block_at(afp_port *a, uint32_t i)
{
    return (struct tpacket_block_desc *)(a->rx + (size_t)i * a->rx_block_size);
}

enum { RX_NONE, RX_PKT, RX_SUPER };

/* The 802.1Q tag the kernel took off the frame (it does on receive), or
 * S46_ETHER_NO_TAG. */
static int rx_tci(const struct tpacket3_hdr *h)
{
    return h->tp_status & TP_STATUS_VLAN_VALID ? (int)h->hv1.tp_vlan_tci : S46_ETHER_NO_TAG;
}

/* A super-packet (the virtio header says GSO) of len bytes at frame, in
 * the ring: prepared to be cut into pool packets straight from there. */
static int rx_super(afp_port *a, const struct tpacket3_hdr *h, uint8_t *frame, uint32_t len,
                    const struct virtio_net_hdr *vh, uint64_t ts)
{
    s46_port_stats *st = &a->port.st;
    uint32_t off, n;
    s46_ether_class c = s46_ether_rx_tagged(a->eth, frame, len, len, rx_tci(h), &off, &n);
    if (c != S46_ETHER_IP) {
        if (c == S46_ETHER_OTHER_VLAN)
            st->rx_vlan_dropped++;
        else
            st->rx_ignored++;
        return RX_NONE;
    }
    uint8_t gt = vh->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
    s46_pkt sp;
    memset(&sp, 0, sizeof sp);
    sp.data = frame + off;
    sp.len = n;
    sp.ts_ns = ts;
    sp.gso_size = vh->gso_size;
    sp.gso_type = gt == VIRTIO_NET_HDR_GSO_TCPV4    ? S46_GSO_TCP4
                  : gt == VIRTIO_NET_HDR_GSO_TCPV6  ? S46_GSO_TCP6
                  : gt == VIRTIO_NET_HDR_GSO_UDP_L4 ? S46_GSO_UDP_L4
                                                    : 0xff;
    if (s46_gso_begin(&a->gso, &sp) < 0) {
        st->rx_ignored++; /* a kind we cannot cut */
        return RX_NONE;
    }
    st->rx_gso_split++;
    return RX_SUPER;
}

/* One frame of the ring: RX_PKT when it became a packet in b (then *spare
 * was used), RX_SUPER when it is a super-packet to cut (a->gso). */
static int rx_one(afp_port *a, const struct tpacket3_hdr *h, s46_pkt **spare, s46_batch *b,
                  uint64_t ts)
{
    const struct sockaddr_ll *sll =
        (const struct sockaddr_ll *)((const uint8_t *)h +
                                     TPACKET_ALIGN(sizeof(struct tpacket3_hdr)));
    uint8_t *frame = (uint8_t *)h + h->tp_mac;
    uint32_t len = h->tp_snaplen, off, n;
    uint8_t pt = sll->sll_pkttype;
    s46_port_stats *st = &a->port.st;
    if (len < h->tp_len || len < S46_ETHER_HLEN ||
        (pt != PACKET_HOST && pt != PACKET_BROADCAST && pt != PACKET_MULTICAST)) {
        st->rx_ignored++; /* other hosts', or truncated (larger than the ring's blocks) */
        return RX_NONE;
    }
    uint16_t et = s46_get16(frame + 12);
    uint32_t l2 = et == ETH_P_8021Q ? 18 : 14;
    if (len >= l2 && l2 == 18)
        et = s46_get16(frame + 16);
    s46_ether_class c;
    uint8_t *out;
    if (pt == PACKET_HOST && (et == ETH_P_IP || et == ETH_P_IPV6)) {
        if (a->vnet) {
            struct virtio_net_hdr vh;
            memcpy(&vh, frame - VHDR, VHDR);
            if (vh.gso_type != VIRTIO_NET_HDR_GSO_NONE)
                return rx_super(a, h, frame, len, &vh, ts);
        }
        if (len - l2 > S46_PKT_MAXDATA) {
            st->rx_ignored++; /* does not fit a packet buffer */
            return RX_NONE;
        }
        s46_pkt *p = *spare;
        s46_pkt_reset(p);
        out = p->buf + S46_PKT_HEADROOM - l2;
        memcpy(out, frame, len);
        c = s46_ether_rx_tagged(a->eth, out, len, S46_PKT_BUFSIZE - (S46_PKT_HEADROOM - l2),
                                rx_tci(h), &off, &n);
        if (c == S46_ETHER_IP) {
            p->data = out + off;
            p->len = n;
            p->ts_ns = ts;
            if ((h->tp_status & TP_STATUS_CSUMNOTREADY) && s46_csum_fill(p))
                st->rx_csum_completed++;
            st->rx_packets++;
            st->rx_bytes += n;
            b->pkts[b->count++] = p;
            *spare = NULL;
            return RX_PKT;
        }
    } else if (et == ETH_P_ARP || et == ETH_P_IPV6) {
        if (len > SCRATCH) {
            st->rx_ignored++;
            return RX_NONE;
        }
        out = a->scratch;
        memcpy(out, frame, len);
        c = s46_ether_rx_tagged(a->eth, out, len, SCRATCH, rx_tci(h), &off, &n);
    } else {
        st->rx_ignored++;
        return RX_NONE;
    }
    if (c == S46_ETHER_ARP_REPLY || c == S46_ETHER_NA) {
        if (tx_frame(a, out + off, n)) {
            if (c == S46_ETHER_ARP_REPLY)
                st->arp_replies++;
            else
                st->nd_adverts++;
        } else {
            st->tx_errors++;
        }
    } else if (c == S46_ETHER_OTHER_VLAN) {
        st->rx_vlan_dropped++;
    } else {
        st->rx_ignored++;
    }
    return RX_NONE;
}

/* The current block back to the kernel; on to the next. */
static void block_done(afp_port *a)
{
    struct tpacket_block_desc *bd = rx_block_at(a, a->rx_block);
    __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    a->rx_block = a->rx_block + 1 == a->rx_blocks ? 0 : a->rx_block + 1;
    a->rx_left = 0;
}

static void frame_done(afp_port *a)
{
    a->rx_frame += ((const struct tpacket3_hdr *)a->rx_frame)->tp_next_offset;
    if (--a->rx_left == 0)
        block_done(a);
}

static uint32_t afp_rx(s46_port *pp, s46_pktpool *pool, s46_batch *b, uint32_t max)
{
    afp_port *a = (afp_port *)pp;
    uint32_t got = 0;
    uint64_t ts = 0;
    s46_pkt *spare = NULL;
    while (got < max && b->count < S46_BATCH_MAX) {
        if (a->pending) { /* segments of the super-packet at rx_frame */
            uint32_t room = S46_BATCH_MAX - b->count, first = b->count;
            if (room > max - got)
                room = max - got;
            uint32_t k = s46_gso_next(&a->gso, pool, b->pkts + b->count, room);
            b->count += k;
            got += k;
            for (uint32_t i = first; i < b->count; i++) {
                pp->st.rx_packets++;
                pp->st.rx_bytes += b->pkts[i]->len;
            }
            if (s46_gso_left(&a->gso) > 0)
                break; /* batch full or pool dry: the rest on the next call */
            a->pending = false;
            frame_done(a);
            continue;
        }
        if (!a->rx_left) {
            struct tpacket_block_desc *bd = rx_block_at(a, a->rx_block);
            if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) &
                  TP_STATUS_USER))
                break;
            a->rx_left = bd->hdr.bh1.num_pkts;
            a->rx_frame = (uint8_t *)bd + bd->hdr.bh1.offset_to_first_pkt;
            if (!a->rx_left) {
                block_done(a);
                continue;
            }
        }
        if (!spare && !(spare = s46_pkt_alloc(pool)))
            break;
        if (!ts)
            ts = s46_now_ns();
        int r = rx_one(a, (const struct tpacket3_hdr *)a->rx_frame, &spare, b, ts);
        if (r == RX_SUPER) {
            a->pending = true; /* the frame stays in the ring until cut */
            continue;
        }
        if (r == RX_PKT)
            got++;
        frame_done(a);
    }
    if (spare)
        s46_pkt_release(pool, spare);
    return got;
}

static void afp_sync(s46_port *pp)
{
    struct tpacket_stats_v3 s;
    socklen_t l = sizeof s;
    if (getsockopt(pp->fd, SOL_PACKET, PACKET_STATISTICS, &s, &l) == 0)
        pp->st.rx_dropped += s.tp_drops; /* the kernel resets them on read */
}

static int afp_own(s46_port *pp, int family, const void *addr)
{
    afp_port *a = (afp_port *)pp;
    if (s46_ether_own(a->eth, family, addr) < 0)
        return -1;
    return a->take ? s46_take_own(a->take, family, addr) : 0;
}

static int afp_own_prefix6(s46_port *pp, const uint8_t addr[16], unsigned plen)
{
    afp_port *a = (afp_port *)pp;
    return a->take ? s46_take_own_prefix6(a->take, addr, plen) : 0;
}

static void afp_close(s46_port *pp)
{
    afp_port *a = (afp_port *)pp;
    if (a->rx)
        munmap(a->rx, a->rx_len);
    s46_take_put(a->take);
    if (pp->fd >= 0)
        close(pp->fd);
    s46_ether_put(a->eth);
    s46_pktpool_free(a->txpool);
    free(a);
}

static int afp_spread(s46_port *pp, s46_spread how, unsigned queues)
{
    struct sock_filter f[S46_FANOUT_MAX_INSNS];
    struct sock_fprog prog = {.len = (unsigned short)s46_fanout_prog(how, queues, f), .filter = f};
    return setsockopt(pp->fd, SOL_PACKET, PACKET_FANOUT_DATA, &prog, sizeof prog);
}

static const s46_port_ops afp_ops = {.kind = S46_PORT_AFPACKET,
                                     .rx = afp_rx,
                                     .tx = afp_tx,
                                     .sync = afp_sync,
                                     .own = afp_own,
                                     .own_prefix6 = afp_own_prefix6,
                                     .spread = afp_spread,
                                     .close = afp_close};

static int sopt(int fd, int name, int v)
{
    return setsockopt(fd, SOL_PACKET, name, &v, sizeof v);
}

s46_port *s46_port_open_afpacket(const s46_port_spec *spec, unsigned queue, char *err,
                                 size_t errlen)
{
    unsigned queues = spec->queues ? spec->queues : 1;
    if (queue >= queues) {
        s46_seterr(err, errlen, "afpacket: queue %u of %u", queue, queues);
        return NULL;
    }
    afp_port *a = calloc(1, sizeof *a);
    if (!a) {
        s46_seterr(err, errlen, "out of memory");
        return NULL;
    }
    s46_seterr(err, errlen, "%s", "");
    a->port.ops = &afp_ops;
    a->port.queue = queue;
    a->port.ethernet = true;
    snprintf(a->port.name, sizeof a->port.name, "%s", spec->ifname);
    a->port.fd = -1;
    a->eth = s46_ether_get(spec->ifname, spec->peer_mac, spec->vlan, err, errlen);
    if (!a->eth)
        goto fail_quiet;
    const char *what = "socket";
    /* protocol 0: nothing is received until bind() names the interface */
    a->port.fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (a->port.fd < 0)
        goto fail;
    int fd = a->port.fd;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", spec->ifname);
    what = "SIOCGIFMTU";
    if (ioctl(fd, SIOCGIFMTU, &ifr) < 0)
        goto fail;
    unsigned mtu = (unsigned)ifr.ifr_mtu;
    if (mtu > S46_PKT_MAXDATA)
        mtu = S46_PKT_MAXDATA;
    what = "TPACKET_V3";
    if (sopt(fd, PACKET_VERSION, TPACKET_V3) < 0)
        goto fail;
    /* best effort: straight to the driver, and room for a few batches
     * in flight */
    sopt(fd, PACKET_QDISC_BYPASS, 1);
    int sndbuf = 4 << 20;
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf) < 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);

    /* offloads: frames carry a virtio header (before the ring is set up),
     * so the kernel hands over and takes TCP/UDP super-packets whole;
     * a kernel without it gets plain frames */
    a->vnet = spec->offloads && sopt(fd, PACKET_VNET_HDR, 1) == 0;
    a->rx_block_size = a->vnet ? RX_BLOCK_VNET : RX_BLOCK;
    unsigned frames = spec->ring_frames ? spec->ring_frames : DEFAULT_FRAMES;
    a->rx_blocks = (frames * RX_FRAME + a->rx_block_size - 1) / a->rx_block_size;
    if (a->rx_blocks < 2)
        a->rx_blocks = 2;
    if (a->vnet && !spec->ring_frames && a->rx_blocks < RX_VNET_MIN_BLOCKS)
        a->rx_blocks = RX_VNET_MIN_BLOCKS;
    struct tpacket_req3 rq = {.tp_block_size = a->rx_block_size,
                              .tp_block_nr = a->rx_blocks,
                              .tp_frame_size = RX_FRAME,
                              .tp_frame_nr = a->rx_blocks * (a->rx_block_size / RX_FRAME),
                              .tp_retire_blk_tov = RX_TIMEOUT_MS};
    what = "PACKET_RX_RING";
    if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &rq, sizeof rq) < 0)
        goto fail;
    a->l2 = s46_ether_hlen(a->eth);
    a->tx_max = mtu + a->l2; /* a tag does not count against the MTU */
    a->rx_len = (size_t)a->rx_blocks * a->rx_block_size;
    what = "mmap";
    void *m = mmap(NULL, a->rx_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
    if (m == MAP_FAILED)
        goto fail;
    a->rx = m;
    what = "packet pool";
    errno = ENOMEM;
    if (!(a->txpool = s46_pktpool_new(TXPOOL)))
        goto fail;

    what = "PACKET_IGNORE_OUTGOING";
    if (sopt(fd, PACKET_IGNORE_OUTGOING, 1) < 0)
        goto fail;
    struct sockaddr_ll sll = {.sll_family = AF_PACKET,
                              .sll_protocol = htons(ETH_P_ALL),
                              .sll_ifindex = s46_ether_ifindex(a->eth)};
    what = "bind";
    if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0)
        goto fail;
    if (queues > 1) {
        /* one group per interface and process */
        unsigned id = ((unsigned)getpid() * 2654435761u + (unsigned)sll.sll_ifindex) & 0xffff;
        /* a classic BPF program picks the socket: by flow until a pipeline
         * asks for its own spread (io/fanout.h) */
        what = "PACKET_FANOUT";
        if (sopt(fd, PACKET_FANOUT,
                 (int)(id | (unsigned)(PACKET_FANOUT_CBPF | PACKET_FANOUT_FLAG_DEFRAG) << 16)) < 0)
            goto fail;
        what = "PACKET_FANOUT_DATA";
        if (afp_spread(&a->port, S46_SPREAD_FLOW, queues) < 0)
            goto fail;
    }
    /* with the tap bound, the kernel's receive of what it takes is cut
     * off (io/take.h); without it the port works as well */
    a->take = s46_take_get(sll.sll_ifindex, spec->ifname, spec->vlan, err, errlen);
    return &a->port;
fail:
    s46_seterr(err, errlen, "afpacket %s: %s: %s", spec->ifname, what, strerror(errno));
fail_quiet:
    afp_close(&a->port);
    return NULL;
}
