/* Packet buffers and batches, the currency of every data plane.
 *
 * A packet is a small descriptor and one fixed-size buffer with
 * S46_PKT_HEADROOM bytes reserved in
 * front of the data, so an encapsulator prepends a 40-byte IPv6 header (plus
 * options) by moving `data` back, without copying. Packets are IP datagrams
 * (no link-layer header): ports strip and add link headers.
 * Buffers come from a pool allocated once; nothing allocates per packet.
 * A pipeline gives each packet of a batch a verdict: forward it out of a port,
 * drop it with a named reason (counted), or it was rewritten in place into a
 * reply (e.g. an ICMP error) that leaves by `out_port`. */
#ifndef S46_PKT_H
#define S46_PKT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define S46_PKT_HEADROOM 192
#define S46_PKT_BUFSIZE 10240 /* headroom + data: jumbo frames fit */
#define S46_PKT_MAXDATA (S46_PKT_BUFSIZE - S46_PKT_HEADROOM)
#define S46_BATCH_MAX 64
/* Callers hand pipelines at most S46_BATCH_IN packets; a pipeline may append
 * packets it creates (outer fragments) up to S46_BATCH_MAX. */
#define S46_BATCH_IN 32

struct s46_pktpool;

/* s46_pkt.mark: the CE's NAPT translated the source of a packet hairpinned
 * to a port of another worker's share; that worker does the rest. */
enum { S46_MARK_NONE = 0, S46_MARK_HAIRPIN = 1 };

enum { S46_GSO_NONE = 0, S46_GSO_TCP4, S46_GSO_TCP6, S46_GSO_UDP_L4 };

/* How packets of one side should be spread over the workers, so that they
 * land where their state is (dp/pipeline.h steering) and are seldom handed
 * over: by flow (the kernel's hash), by an IPv4 packet's NAPT internal
 * endpoint (a CE's LAN: s46_steer_napt_out), or by the inner packet's NAPT
 * port of IPv4-in-IPv6 (a CE's WAN: s46_steer_napt_in). Ports that choose
 * the queue use it. */
typedef enum s46_spread {
    S46_SPREAD_FLOW = 0,
    S46_SPREAD_NAPT_OUT,
    S46_SPREAD_NAPT_IN,
} s46_spread;

typedef enum s46_verdict {
    S46_V_FORWARD = 0, /* send out of out_port */
    S46_V_DROP,        /* drop; reason says why */
    S46_V_REDIRECT,    /* another worker owns its state: the run loop hands
                          it to worker out_port, whose pipeline processes it
                          as if it had arrived there on in_port */
} s46_verdict;

typedef struct s46_pkt {
    uint8_t *data;      /* first byte of the IP header */
    uint32_t len;       /* bytes from data */
    uint16_t in_port;   /* where it arrived (pipeline-defined index) */
    uint16_t out_port;  /* where it leaves, with S46_V_FORWARD */
    uint8_t verdict;    /* s46_verdict */
    uint16_t reason;    /* drop reason index, pipeline-defined */
    uint64_t ts_ns;     /* arrival time (CLOCK_MONOTONIC or pcap time) */
    /* Offload metadata (TUN with IFF_VNET_HDR); all 0 for a plain packet.
     * gso_size != 0: a TCP/UDP super-packet to be cut into segments of
     * gso_size payload bytes (gso_type: S46_GSO_*). csum_partial: the L4
     * checksum at csum_start + csum_off holds only the pseudo-header sum. */
    uint16_t gso_size;
    uint8_t gso_type;
    /* Set by a pipeline on a packet it hands to another worker (REDIRECT)
     * to say how far it got (S46_MARK_*); the run loop carries it over; 0
     * on every other packet. */
    uint8_t mark;
    bool csum_partial;
    uint16_t csum_start, csum_off;
    struct s46_pktpool *owner; /* the pool it returns to */
    uint8_t *buf;       /* S46_PKT_BUFSIZE bytes; the metadata stays dense,
                           apart from the data */
} s46_pkt;

/* Prepares a packet that lives outside a pool on a buffer of its own. */
static inline void s46_pkt_init(struct s46_pkt *p, uint8_t *buf)
{
    p->buf = buf;
    p->owner = 0;
    p->ts_ns = 0;
}

typedef struct s46_batch {
    uint32_t count;
    s46_pkt *pkts[S46_BATCH_MAX];
} s46_batch;

/* Resets a packet to empty data at the standard headroom. */
static inline void s46_pkt_reset(s46_pkt *p)
{
    p->data = p->buf + S46_PKT_HEADROOM;
    p->len = 0;
    p->verdict = S46_V_FORWARD;
    p->reason = 0;
    p->out_port = 0;
    p->gso_size = 0;
    p->gso_type = 0;
    p->mark = 0;
    p->csum_partial = false;
}
static inline size_t s46_pkt_headroom(const s46_pkt *p) { return (size_t)(p->data - p->buf); }
static inline size_t s46_pkt_tailroom(const s46_pkt *p)
{
    return S46_PKT_BUFSIZE - s46_pkt_headroom(p) - p->len;
}
/* Grows the front by n bytes; NULL (nothing changed) without headroom. */
static inline uint8_t *s46_pkt_push(s46_pkt *p, size_t n)
{
    if (s46_pkt_headroom(p) < n)
        return NULL;
    p->data -= n;
    p->len += (uint32_t)n;
    return p->data;
}
/* Removes n bytes from the front; NULL when shorter than n. */
static inline uint8_t *s46_pkt_pull(s46_pkt *p, size_t n)
{
    if (p->len < n)
        return NULL;
    p->data += n;
    p->len -= (uint32_t)n;
    return p->data;
}
static inline void s46_pkt_drop(s46_pkt *p, uint16_t reason)
{
    p->verdict = S46_V_DROP;
    p->reason = reason;
}

/* A fixed pool of packet buffers (a free stack). */
typedef struct s46_pktpool s46_pktpool;
s46_pktpool *s46_pktpool_new(uint32_t count);
void s46_pktpool_free(s46_pktpool *pool);
s46_pkt *s46_pkt_alloc(s46_pktpool *pool);      /* NULL when empty */
/* Returns p to the pool it came from (its owner; pool is used for packets
 * that have none). */
void s46_pkt_release(s46_pktpool *pool, s46_pkt *p);
uint32_t s46_pktpool_available(const s46_pktpool *pool);
#endif
