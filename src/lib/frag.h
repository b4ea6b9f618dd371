/* Fragmentation and reassembly.
 *  - s46_frag6: splits an IPv6 packet (a 40-byte header followed by the
 *    fragmentable part: what an RFC 2473 encapsulator emits) into fragments
 *    that fit an MTU (RFC 8200 §4.5): the first stays in p, the others come
 *    from a pool.
 *  - s46_reasm: a reassembly table for IPv4 (RFC 791) and IPv6 (RFC 8200)
 *    with bounded memory: a fixed number of contexts, each with one buffer,
 *    allocated at creation; nothing allocated per packet. A datagram
 *    completes only when every payload byte from 0 to its end came, exactly
 *    once, in its own fragments; the rebuilt packet holds nothing else
 *    (a context's buffer is zeroed between datagrams). Any overlap, an exact
 *    duplicate included, drops the whole datagram, IPv4 and IPv6 alike
 *    (RFC 5722, RFC 8200 §4.5), and so do data past the end the last
 *    fragment sets and a second last fragment; a dropped datagram keeps its
 *    context until the timeout and its later fragments are dropped too. A
 *    fragment that is not the last must carry a multiple of 8 bytes (else
 *    it alone is dropped, as a fragment bigger than a packet buffer is). An
 *    atomic fragment (offset 0, M = 0) is a datagram of its own (RFC 6946).
 *    A datagram not complete within the timeout is dropped; when every
 *    context is busy the one created first is recycled. Results are named
 *    outcomes for the counters; s46_reasm_get_stats counts each of them. */
#ifndef S46_FRAG_H
#define S46_FRAG_H
#include "lib/parse.h"
#include "lib/pkt.h"

/* Fragments p (IPv4, DF clear, total length = p->len) to fit mtu (RFC 791):
 * payloads of multiples of 8 bytes, later fragments with only the options
 * whose copied flag is set; a fragment is cut again keeping its offset and
 * M. Writes up to max further fragments to extra (from pool). Returns how
 * many went to extra, or -1 (p unchanged) when it cannot be fragmented. */
int s46_frag4(s46_pkt *p, unsigned mtu, s46_pktpool *pool, s46_pkt **extra, unsigned max);
/* Fragments p (IPv6) to fit mtu; writes up to max further fragments to
 * extra (allocated from pool). Returns how many went to extra, or -1 (p
 * unchanged) when the pool ran dry or max is too small. */
int s46_frag6(s46_pkt *p, unsigned mtu, uint32_t id, s46_pktpool *pool, s46_pkt **extra,
              unsigned max);

typedef enum s46_reasm_result {
    S46_REASM_DONE = 0,      /* p now holds the whole datagram */
    S46_REASM_HELD,          /* stored; p may be reused */
    S46_REASM_OVERLAP,       /* overlapping fragments: datagram dropped */
    S46_REASM_TOO_BIG,       /* larger than a packet buffer */
    S46_REASM_BAD,           /* malformed fragment (length, offset, header): it alone dropped */
    S46_REASM_BEYOND_END,    /* data past the datagram's end: datagram dropped */
    S46_REASM_END_MISMATCH,  /* a second last fragment, another end: datagram dropped */
    S46_REASM_DROPPED,       /* fragment of a datagram dropped before (until its timeout) */
} s46_reasm_result;

/* What a table did, each counted once: fragments by outcome, datagrams
 * completed or lost incomplete. */
typedef struct s46_reasm_stats {
    uint64_t done;           /* datagrams completed (atomic fragments included) */
    uint64_t held;           /* fragments stored */
    uint64_t overlap;        /* datagrams dropped for overlapping fragments (duplicates too) */
    uint64_t beyond_end;     /* datagrams dropped for data past their end */
    uint64_t end_mismatch;   /* datagrams dropped for a second last fragment with another end */
    uint64_t dropped;        /* fragments of an already dropped datagram */
    uint64_t bad;            /* malformed fragments (not the last and not 8-byte multiple, ...) */
    uint64_t too_big;        /* fragments ending past what a packet buffer holds */
    uint64_t timed_out;      /* incomplete datagrams dropped at their timeout */
    uint64_t evicted;        /* incomplete datagrams recycled for a new one */
} s46_reasm_stats;

typedef struct s46_reasm s46_reasm;
/* contexts: datagrams in reassembly at once; timeout_ns: their lifetime. */
s46_reasm *s46_reasm_new(unsigned contexts, uint64_t timeout_ns);
void s46_reasm_free(s46_reasm *r);
/* Offers the fragment in p (parsed into l3; IPv4 or IPv6 by version). */
s46_reasm_result s46_reasm_add(s46_reasm *r, s46_pkt *p, const s46_l3 *l3, uint64_t now_ns);
/* For pipelines: offers a fragment and, when it completes a datagram,
 * re-parses p into l3. Returns DONE (p whole, l3 valid), HELD, or a failure
 * (also when the rebuilt datagram does not parse). */
s46_reasm_result s46_reasm_offer(s46_reasm *r, s46_pkt *p, s46_l3 *l3, uint64_t now_ns);
/* The same for an IPv4 fragment that came through a tunnel: tag (16 bytes,
 * the tunnel's far end) is part of the datagram's key, so fragments from
 * two tunnels never meet in one datagram even when their inner headers are
 * the same (DS-Lite B4s all use 192.0.0.2; CEs share an IPv4 address). */
s46_reasm_result s46_reasm_offer_tagged(s46_reasm *r, s46_pkt *p, s46_l3 *l3,
                                        const uint8_t *tag, uint64_t now_ns);
/* For pipelines: fragments p (already FORWARD) to mtu and appends the other
 * fragments to b from pool. Returns how many were appended, -1 when out of
 * buffers or batch room (p is then unchanged). */
int s46_frag6_into_batch(s46_batch *b, s46_pkt *p, unsigned mtu, uint32_t id,
                         s46_pktpool *pool);
/* The same for IPv4 (s46_frag4). */
int s46_frag4_into_batch(s46_batch *b, s46_pkt *p, unsigned mtu, s46_pktpool *pool);
/* Datagrams dropped because they timed out or were pushed out. */
uint64_t s46_reasm_expired(const s46_reasm *r);
const s46_reasm_stats *s46_reasm_get_stats(const s46_reasm *r);
#endif
