#include "io/afpacket.h"
#include "lib/clock.h"
#include "io/fanout.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
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
#include "lib/csum.h"
#include "lib/err.h"
#include "lib/parse.h"

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
#define RX_FRAME 2048u
#define RX_TIMEOUT_MS 1
#define DEFAULT_FRAMES 4096u
#define SCRATCH 256 /* ARP / NS frames not for the data plane are read here */

typedef struct afp_port {
    s46_port port;
    s46_ether *eth;
    uint8_t *rx;
    size_t rx_len;
    uint32_t rx_blocks, rx_block; /* count, the one read now */
    uint32_t rx_left;             /* frames left in rx_block; 0: not opened */
    uint8_t *rx_frame;            /* the next frame of rx_block */
    uint32_t tx_max;              /* largest frame (MTU + Ethernet header) */
    uint8_t scratch[SCRATCH];
} afp_port;

/* ---- tx ---- */

/* A reply frame (ARP, NA) built by io/ether. */
static bool tx_frame(afp_port *a, const uint8_t *frame, uint32_t len)
{
    return len <= a->tx_max && send(a->port.fd, frame, len, MSG_DONTWAIT) == (ssize_t)len;
}

static uint32_t afp_tx(s46_port *pp, s46_pkt *const *pkts, uint32_t n)
{
    afp_port *a = (afp_port *)pp;
    struct mmsghdr mm[S46_BATCH_MAX];
    struct iovec iov[S46_BATCH_MAX][2];
    uint8_t hdr[S46_BATCH_MAX][S46_ETHER_HLEN];
    uint32_t sent = 0;
    while (n) {
        uint32_t k = 0, take = n < S46_BATCH_MAX ? n : S46_BATCH_MAX;
        for (uint32_t i = 0; i < take; i++) {
            s46_pkt *p = pkts[i];
            /* the header goes in the headroom (p->data stays where it is);
             * a packet without headroom gets a second iovec */
            bool room = s46_pkt_headroom(p) >= S46_ETHER_HLEN;
            uint8_t *h = room ? p->data - S46_ETHER_HLEN : hdr[k];
            if (p->len + S46_ETHER_HLEN > a->tx_max ||
                s46_ether_header(a->eth, h, p->data, p->len) < 0) {
                pp->st.tx_errors++; /* too large for the link, or no next hop */
                continue;
            }
            iov[k][0].iov_base = h;
            iov[k][0].iov_len = room ? p->len + S46_ETHER_HLEN : S46_ETHER_HLEN;
            iov[k][1].iov_base = p->data;
            iov[k][1].iov_len = p->len;
            mm[k].msg_hdr = (struct msghdr){.msg_iov = iov[k], .msg_iovlen = room ? 1 : 2};
            mm[k].msg_len = 0;
            k++;
        }
        for (uint32_t done = 0; done < k;) {
            int r = sendmmsg(pp->fd, mm + done, k - done, MSG_DONTWAIT);
            if (r > 0) {
                for (uint32_t i = done; i < done + (uint32_t)r; i++) {
                    pp->st.tx_packets++;
                    pp->st.tx_bytes += mm[i].msg_len - S46_ETHER_HLEN;
                }
                sent += (uint32_t)r;
                done += (uint32_t)r;
            } else if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR) {
                pp->st.tx_errors += k - done; /* socket buffer full */
                break;
            } else {
                pp->st.tx_errors++; /* this one refused (device down, ...) */
                done++;
            }
        }
        pkts += take;
        n -= take;
    }
    return sent;
}

/* ---- rx ring ---- */

static struct tpacket_block_desc *rx_block_at(afp_port *a, uint32_t i)
{
    return (struct tpacket_block_desc *)(a->rx + (size_t)i * RX_BLOCK);
}

/* A frame the local stack sent with checksum offload (veth, TP_STATUS_
 * CSUMNOTREADY) carries only the pseudo-header sum: complete it. */
static bool complete_csum(s46_pkt *p)
{
    s46_l3 l3;
    uint8_t *d = p->data;
    bool v4 = (d[0] >> 4) == 4;
    if ((v4 ? s46_parse_ipv4(d, p->len, &l3) : s46_parse_ipv6(d, p->len, &l3)) < 0 ||
        l3.is_fragment)
        return false;
    unsigned at = l3.proto == S46_PROTO_TCP ? 16 : l3.proto == S46_PROTO_UDP ? 6 : 0;
    if (!at || l3.l4_len < at + 2)
        return false;
    uint8_t *l4 = d + l3.l3_len;
    s46_put16(l4 + at, 0);
    uint32_t sum = v4 ? s46_csum_pseudo4(d + 12, d + 16, l3.proto, l3.l4_len)
                      : s46_csum_pseudo6(d + 8, d + 24, l3.proto, l3.l4_len);
    uint16_t c = s46_csum_fold(s46_csum_add(sum, l4, l3.l4_len));
    s46_put16(l4 + at, l3.proto == S46_PROTO_UDP && c == 0 ? 0xffff : c);
    return true;
}

/* One frame of the ring; true when it became a packet in b (then *spare
 * was used). */
static bool rx_one(afp_port *a, const struct tpacket3_hdr *h, s46_pkt **spare, s46_batch *b,
                   uint64_t ts)
{
    const struct sockaddr_ll *sll =
        (const struct sockaddr_ll *)((const uint8_t *)h +
                                     TPACKET_ALIGN(sizeof(struct tpacket3_hdr)));
    const uint8_t *frame = (const uint8_t *)h + h->tp_mac;
    uint32_t len = h->tp_snaplen, off, n;
    uint8_t pt = sll->sll_pkttype;
    s46_port_stats *st = &a->port.st;
    if (len < h->tp_len || len < S46_ETHER_HLEN ||
        (pt != PACKET_HOST && pt != PACKET_BROADCAST && pt != PACKET_MULTICAST)) {
        st->rx_ignored++; /* other hosts', or truncated (larger than the ring's blocks) */
        return false;
    }
    uint16_t et = s46_get16(frame + 12);
    uint32_t l2 = et == ETH_P_8021Q ? 18 : 14;
    if (len >= l2 && l2 == 18)
        et = s46_get16(frame + 16);
    s46_ether_class c;
    uint8_t *out;
    if (pt == PACKET_HOST && (et == ETH_P_IP || et == ETH_P_IPV6)) {
        if (len - l2 > S46_PKT_MAXDATA) {
            st->rx_ignored++; /* does not fit a packet buffer */
            return false;
        }
        s46_pkt *p = *spare;
        s46_pkt_reset(p);
        out = p->buf + S46_PKT_HEADROOM - l2;
        memcpy(out, frame, len);
        c = s46_ether_rx(a->eth, out, len, S46_PKT_BUFSIZE - (S46_PKT_HEADROOM - l2), &off, &n);
        if (c == S46_ETHER_IP) {
            p->data = out + off;
            p->len = n;
            p->ts_ns = ts;
            if ((h->tp_status & TP_STATUS_CSUMNOTREADY) && complete_csum(p))
                st->rx_csum_completed++;
            st->rx_packets++;
            st->rx_bytes += n;
            b->pkts[b->count++] = p;
            *spare = NULL;
            return true;
        }
    } else if (et == ETH_P_ARP || et == ETH_P_IPV6) {
        if (len > SCRATCH) {
            st->rx_ignored++;
            return false;
        }
        out = a->scratch;
        memcpy(out, frame, len);
        c = s46_ether_rx(a->eth, out, len, SCRATCH, &off, &n);
    } else {
        st->rx_ignored++;
        return false;
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
    } else {
        st->rx_ignored++;
    }
    return false;
}

static uint32_t afp_rx(s46_port *pp, s46_pktpool *pool, s46_batch *b, uint32_t max)
{
    afp_port *a = (afp_port *)pp;
    uint32_t got = 0;
    uint64_t ts = 0;
    s46_pkt *spare = NULL;
    while (got < max && b->count < S46_BATCH_MAX) {
        struct tpacket_block_desc *bd = rx_block_at(a, a->rx_block);
        if (!a->rx_left) {
            if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) &
                  TP_STATUS_USER))
                break;
            a->rx_left = bd->hdr.bh1.num_pkts;
            a->rx_frame = (uint8_t *)bd + bd->hdr.bh1.offset_to_first_pkt;
        }
        if (a->rx_left) {
            if (!spare && !(spare = s46_pkt_alloc(pool)))
                break;
            if (!ts)
                ts = s46_now_ns();
            const struct tpacket3_hdr *h = (const struct tpacket3_hdr *)a->rx_frame;
            if (rx_one(a, h, &spare, b, ts))
                got++;
            a->rx_frame += h->tp_next_offset;
            a->rx_left--;
        }
        if (!a->rx_left) { /* block done: back to the kernel */
            __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
            a->rx_block = a->rx_block + 1 == a->rx_blocks ? 0 : a->rx_block + 1;
        }
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
    return s46_ether_own(((afp_port *)pp)->eth, family, addr);
}

static void afp_close(s46_port *pp)
{
    afp_port *a = (afp_port *)pp;
    if (a->rx)
        munmap(a->rx, a->rx_len);
    if (pp->fd >= 0)
        close(pp->fd);
    s46_ether_put(a->eth);
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
    a->port.ops = &afp_ops;
    a->port.queue = queue;
    a->port.ethernet = true;
    snprintf(a->port.name, sizeof a->port.name, "%s", spec->ifname);
    a->port.fd = -1;
    a->eth = s46_ether_get(spec->ifname, spec->peer_mac, err, errlen);
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

    unsigned frames = spec->ring_frames ? spec->ring_frames : DEFAULT_FRAMES;
    a->rx_blocks = (frames * RX_FRAME + RX_BLOCK - 1) / RX_BLOCK;
    if (a->rx_blocks < 2)
        a->rx_blocks = 2;
    struct tpacket_req3 rq = {.tp_block_size = RX_BLOCK,
                              .tp_block_nr = a->rx_blocks,
                              .tp_frame_size = RX_FRAME,
                              .tp_frame_nr = a->rx_blocks * (RX_BLOCK / RX_FRAME),
                              .tp_retire_blk_tov = RX_TIMEOUT_MS};
    what = "PACKET_RX_RING";
    if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &rq, sizeof rq) < 0)
        goto fail;
    a->tx_max = mtu + S46_ETHER_HLEN;
    a->rx_len = (size_t)a->rx_blocks * RX_BLOCK;
    what = "mmap";
    void *m = mmap(NULL, a->rx_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
    if (m == MAP_FAILED)
        goto fail;
    a->rx = m;

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
    return &a->port;
fail:
    s46_seterr(err, errlen, "afpacket %s: %s: %s", spec->ifname, what, strerror(errno));
fail_quiet:
    afp_close(&a->port);
    return NULL;
}
