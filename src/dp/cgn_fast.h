/* The established-flow shortcut of the center mechanisms (the DS-Lite
 * AFTR, the NAT64) through their CGN (lib/cgn.h s46_cgn_hint_*, est_*),
 * used by their fast paths (softwire.h sw->fast): the commonest packet,
 * one of a known flow, parsed, looked up and rewritten in one pass instead
 * of the stages.
 *  - s46_cgn_fast_prepare, before the batch runs: each packet the
 *    mechanism's candidate function accepts (its own checks, its IPv4
 *    packet parsed by s46_cgn_fast_ip4, its flow) is hashed once, its
 *    index slot and mapping prefetched with the batch's others;
 *  - s46_cgn_fast_next, from the fast path, once per packet in the batch's
 *    order: the flow looked up from that hash; true only when the CGN
 *    stage would translate it as a packet of its mapping's live first
 *    session (outbound: to no pool address, which hairpins). Nothing
 *    changed yet: the fast path makes its own checks, then commits;
 *  - s46_cgn_fast_commit: the CGN's refresh and the address and port
 *    rewritten (RFC 1624 incremental checksums), as the CGN stage does.
 * Anything else is left to the stages, unchanged. */
#ifndef S46_DP_CGN_FAST_H
#define S46_DP_CGN_FAST_H
#include <stdbool.h>
#include <stdint.h>

#include "lib/cgn.h"
#include "lib/parse.h"
#include "lib/pkt.h"

#define S46_CGN_FAST_NONE 0xff

typedef struct s46_cgn_fast {
    uint32_t now;                 /* the batch's time (CGN seconds) */
    uint16_t side;                /* 0: inbound (IPv4 side), 1: outbound */
    unsigned i, n;                /* the next packet, the batch's packets */
    const s46_pkt *p[S46_BATCH_MAX];
    uint8_t k[S46_BATCH_MAX];     /* its candidate, or S46_CGN_FAST_NONE */
    s46_l3 l3[S46_BATCH_MAX];     /* per candidate: its IPv4 packet */
    s46_cgn_flow f[S46_BATCH_MAX];
    s46_cgn_hint h[S46_BATCH_MAX];
} s46_cgn_fast;

/* Whether p (arrived on the side prepared) may take the fast path: true
 * with *l its IPv4 packet (s46_cgn_fast_ip4) and *f its flow
 * (s46_cgn_flow_out/in). Read-only; arg is the mechanism. */
typedef bool (*s46_cgn_fast_cand)(const void *arg, const s46_pkt *p, s46_l3 *l,
                                  s46_cgn_flow *f);

/* An IPv4 packet at ip (avail bytes) of the fast path's shape: as
 * s46_parse_ipv4 parses it into l, without options, not a fragment, TCP,
 * UDP or an ICMP echo (a request when out, a reply otherwise) with its
 * ports. */
bool s46_cgn_fast_ip4(const uint8_t *ip, unsigned avail, bool out, s46_l3 *l);

void s46_cgn_fast_prepare(s46_cgn_fast *x, const s46_cgn *g, const s46_batch *b, uint16_t side,
                          uint32_t now, s46_cgn_fast_cand cand, const void *arg);
/* The next packet p's established flow; false when it has none here or
 * was not prepared. *l and *f point into x. */
bool s46_cgn_fast_next(s46_cgn_fast *x, const s46_cgn *g, const s46_pkt *p, const s46_l3 **l,
                       s46_cgn_flow **f, uint32_t *ref);
/* The CGN's part for the packet at ip that next() accepted: state
 * refreshed, outbound its source, inbound its destination rewritten. */
void s46_cgn_fast_commit(s46_cgn_fast *x, s46_cgn *g, uint8_t *ip, const s46_l3 *l,
                         const s46_cgn_flow *f, uint32_t ref);
/* Ends the batch (next() answers false until the next prepare). */
static inline void s46_cgn_fast_end(s46_cgn_fast *x) { x->n = 0; }
#endif
