/* The established-flow shortcut of the center mechanisms (the DS-Lite
 * AFTR, the NAT64) through their CGN (lib/cgn.h s46_cgn_hint_*, est_*),
 * used by their fast paths (softwire.h sw->fast): the commonest packet,
 * one of a known flow, parsed, looked up and rewritten in one pass instead
 * of the stages.
 *  - s46_cgn_fast_prepare, before the batch runs: the mechanism's class
 *    function sorts each packet (s46_cgn_fast_class); the flow of each
 *    candidate, and of each packet whose stages may touch a flow's state,
 *    is hashed once and its index slot prefetched as soon as it is sorted
 *    (the miss overlapping with sorting the next packets); then the
 *    batch's slots are read and the mappings they name prefetched;
 *  - s46_cgn_fast_next, from the fast path, once per packet in the batch's
 *    order: a candidate's flow looked up from its mapping (which arrived
 *    while the earlier packets were handled); true only when the
 *    CGN stage would translate it as a packet of its mapping's live first
 *    session (outbound: to no pool address, which hairpins), and no
 *    earlier packet of the batch left to the stages may touch that mapping
 *    (the stages run after the fast path: a flow's packets keep their
 *    order). Nothing changed yet: the fast path makes its own checks, then
 *    commits (else the packet goes to the stages like the others);
 *  - s46_cgn_fast_commit: the CGN's refresh and the address and port
 *    rewritten (RFC 1624 incremental checksums), as the CGN stage does.
 * Anything else is left to the stages, unchanged. */
#ifndef S46_DP_CGN_FAST_H
#define S46_DP_CGN_FAST_H
#include <stdbool.h>
#include <stdint.h>

#include <string.h>

#include "dp/napt_rewrite.h"
#include "lib/cgn.h"
#include "lib/csum.h"
#include "lib/parse.h"
#include "lib/pkt.h"

/* What the stages may do with a packet's CGN state. */
typedef enum s46_cgn_fast_class {
    S46_CGN_FAST_NONE = 0, /* nothing: dropped, answered, an ICMP error's lookup */
    S46_CGN_FAST_CAND,     /* a candidate for the fast path; flow filled */
    S46_CGN_FAST_FLOW,     /* the stages' (options, sizes...): touches flow f */
    S46_CGN_FAST_ANY,      /* may touch any flow (a fragment: whose datagram?) */
} s46_cgn_fast_class;

typedef struct s46_cgn_fast {
    uint32_t now;                 /* the batch's time (CGN seconds) */
    uint16_t side;                /* 0: inbound (IPv4 side), 1: outbound */
    unsigned i, n;                /* the next packet, the batch's packets */
    bool wild;                    /* a packet that may touch any flow went to the stages */
    bool pending;                 /* next() said true: the packet may still go there */
    uint32_t pend_tag;
    unsigned nslow;               /* the flows earlier packets took to the stages */
    uint32_t slow[S46_BATCH_MAX];
    const s46_pkt *p[S46_BATCH_MAX];
    uint8_t cls[S46_BATCH_MAX];   /* s46_cgn_fast_class */
    uint8_t k[S46_BATCH_MAX];     /* its flow, when it has one */
    s46_l3 l3[S46_BATCH_MAX];     /* per flow: the packet as parsed */
    s46_cgn_flow f[S46_BATCH_MAX];
    s46_cgn_hint h[S46_BATCH_MAX];
    uint32_t m[S46_BATCH_MAX];    /* per flow: s46_cgn_est_slot's answer */
    const s46_cgn *g;
} s46_cgn_fast;

/* The class of packet p (arrived on the side prepared), with *l (the
 * packet as parsed) and *f (its flow, s46_cgn_flow_out/in) for CAND and
 * FLOW. Read-only; arg is the mechanism. */
typedef s46_cgn_fast_class (*s46_cgn_fast_cand)(const void *arg, const s46_pkt *p, s46_l3 *l,
                                                s46_cgn_flow *f);

/* The class of the IPv4 packet at ip (avail bytes) as far as it is IPv4's:
 * NONE when the stages cannot parse it or it has no flow (an ICMP error, a
 * protocol without ports), ANY for a fragment, CAND for a flow's packet
 * without options (TCP, UDP, an ICMP echo: a request from the subscriber
 * when sub is given, a reply to it otherwise), FLOW with options.
 * s46_cgn_fast_class4 answers the commonest kind inline and leaves the
 * others to s46_cgn_fast_class4_any (the general parser). */
s46_cgn_fast_class s46_cgn_fast_class4_any(const uint8_t *ip, unsigned avail,
                                           const s46_cgn_key *sub, s46_l3 *l,
                                           s46_cgn_flow *f);

/* The commonest packet, parsed as s46_parse_ipv4 and s46_cgn_flow_out/in
 * would parse it, without their generality: an unfragmented option-less
 * TCP or UDP packet, or an ICMP echo (a request outbound, a reply
 * inbound), whose transport header is all there. False: another kind. */
static inline bool s46_cgn_fast_common_(const uint8_t *ip, unsigned avail,
                                        const s46_cgn_key *sub, s46_l3 *l, s46_cgn_flow *f)
{
    if (avail < 28 || ip[0] != 0x45)
        return false;
    unsigned tot = s46_get16(ip + 2), proto = ip[9];
    uint16_t ff = s46_get16(ip + 6);
    uint8_t cp;
    if (tot < 28 || tot > avail || (ff & 0x3fff) || !s46_csum_ok20(ip))
        return false;
    if (proto == S46_PROTO_UDP)
        cp = S46_CGN_UDP;
    else if (proto == S46_PROTO_TCP && tot >= 40)
        cp = S46_CGN_TCP;
    else if (proto == S46_PROTO_ICMP && ip[20] == (sub ? 8 : 0))
        cp = S46_CGN_ICMP;
    else
        return false;
    const uint8_t *l4 = ip + 20;
    bool icmp = cp == S46_CGN_ICMP;
    uint16_t sport = s46_get16(l4 + (icmp ? 4 : 0)), dport = s46_get16(l4 + (icmp ? 4 : 2));
    *l = (s46_l3){.l3_len = 20, .l4_len = (uint16_t)(tot - 20), .proto = (uint8_t)proto,
                  .ttl = ip[8], .df = ff & 0x4000, .first_fragment = true,
                  .encap_limit = -1, .has_ports = true, .sport = sport, .dport = dport,
                  .icmp_type = icmp ? l4[0] : 0, .icmp_code = icmp ? l4[1] : 0,
                  .tcp_flags = cp == S46_CGN_TCP ? l4[13] : 0};
    if (sub)
        *f = (s46_cgn_flow){.sub = *sub, .proto = cp, .int_addr = s46_get32(ip + 12),
                            .int_port = sport, .rem_addr = s46_get32(ip + 16),
                            .rem_port = icmp ? 0 : dport};
    else
        *f = (s46_cgn_flow){.proto = cp, .ext_addr = s46_get32(ip + 16), .ext_port = dport,
                            .rem_addr = s46_get32(ip + 12), .rem_port = icmp ? 0 : sport};
    return true;
}

static inline s46_cgn_fast_class s46_cgn_fast_class4(const uint8_t *ip, unsigned avail,
                                                     const s46_cgn_key *sub, s46_l3 *l,
                                                     s46_cgn_flow *f)
{
    if (s46_cgn_fast_common_(ip, avail, sub, l, f))
        return S46_CGN_FAST_CAND;
    return s46_cgn_fast_class4_any(ip, avail, sub, l, f);
}

void s46_cgn_fast_prepare(s46_cgn_fast *x, const s46_cgn *g, const s46_batch *b, uint16_t side,
                          uint32_t now, s46_cgn_fast_cand cand, const void *arg);
static inline bool s46_cgn_fast_slow_has_(const s46_cgn_fast *x, uint32_t tag)
{
    for (unsigned j = 0; j < x->nslow; j++)
        if (x->slow[j] == tag)
            return true;
    return false;
}

/* The next packet p's established flow; false when it has none here, was
 * not prepared or must keep its place behind a packet of its mapping. *l
 * and *f point into x. */
static inline bool s46_cgn_fast_next(s46_cgn_fast *x, const s46_pkt *p, const s46_l3 **l,
                                     s46_cgn_flow **f, uint32_t *ref)
{
    unsigned i = x->i++;
    if (x->pending) /* the last one went to the stages after all */
        x->slow[x->nslow++] = x->pend_tag;
    x->pending = false;
    if (i >= x->n || x->p[i] != p) {
        x->wild = true;
        return false;
    }
    s46_cgn_fast_class c = (s46_cgn_fast_class)x->cls[i];
    if (c == S46_CGN_FAST_ANY)
        x->wild = true;
    if (c != S46_CGN_FAST_CAND && c != S46_CGN_FAST_FLOW)
        return false;
    unsigned k = x->k[i];
    uint32_t tag = x->h[k].h;
    *l = &x->l3[k];
    *f = &x->f[k];
    *ref = S46_CGN_NOREF;
    if (c == S46_CGN_FAST_CAND && !x->wild && !s46_cgn_fast_slow_has_(x, tag))
        *ref = s46_cgn_est_one(x->g, &x->f[k], &x->h[k], x->m[k], x->side, x->now);
    bool ok = *ref != S46_CGN_NOREF;
    if (ok) {
        x->pending = true;
        x->pend_tag = tag;
    } else {
        x->slow[x->nslow++] = tag;
    }
    return ok;
}

/* The CGN's state part only, for a fast path that writes the flow's
 * address and port itself (a translator, as it builds the new headers). */
static inline void s46_cgn_fast_touch(s46_cgn_fast *x, s46_cgn *g, const s46_l3 *l,
                                      uint32_t ref)
{
    x->pending = false;
    if (x->side || l->proto == S46_PROTO_TCP) /* inbound UDP and ICMP refresh nothing */
        s46_cgn_est_touch(g, ref, l->tcp_flags, x->side, x->now);
}

/* The CGN's part for the packet at ip that next() accepted, parsed into l:
 * state refreshed, outbound its source, inbound its destination address
 * and port rewritten (s46_napt_rewrite_ttl: a candidate is whole), with
 * ttl_dec its TTL decremented too (the caller saw it above 1). */
static inline __attribute__((always_inline)) void
s46_cgn_fast_commit(s46_cgn_fast *x, s46_cgn *g, uint8_t *ip, const s46_l3 *l,
                    const s46_cgn_flow *f, uint32_t ref, bool ttl_dec)
{
    s46_cgn_fast_touch(x, g, l, ref);
    if (x->side)
        s46_napt_rewrite_ttl(ip, l, true, f->ext_addr, true, f->ext_port, ttl_dec, true);
    else
        s46_napt_rewrite_ttl(ip, l, false, f->int_addr, true, f->int_port, ttl_dec, true);
}
/* Ends the batch (next() answers false until the next prepare). */
static inline void s46_cgn_fast_end(s46_cgn_fast *x) { x->n = 0; }
#endif
