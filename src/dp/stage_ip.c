/* Classifying stages (stages.h): parsing, our addresses, reassembly, the
 * router hop's TTL and the tunnel's MTU. */
#include <string.h>

#include "dp/pipeline.h"
#include "dp/stages.h"
#include "lib/icmp.h"
#include "lib/parse.h"

static inline void parse4(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    if (s46_parse_ipv4(c->p->data, c->p->len, &c->l3) < 0)
        return s46_sw_drop_ev(sw, c, S46_EV_V4_MALFORMED);
    c->p->len = c->l3.l3_len + c->l3.l4_len;
}
S46_STAGE(s46_st_parse4, "parse4", parse4);

static inline void parse6(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    if (s46_parse_ipv6(c->p->data, c->p->len, &c->l3) < 0)
        return s46_sw_drop_ev(sw, c, S46_EV_V6_MALFORMED);
    c->p->len = c->l3.l3_len + c->l3.l4_len;
}
S46_STAGE(s46_st_parse6, "parse6", parse6);

static inline void local6(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    if (memcmp(c->p->data + 24, sw->local.b, 16) != 0)
        return s46_sw_drop_ev(sw, c, S46_EV_NOT_LOCAL);
    memcpy(c->peer.b, c->p->data + 8, 16);
}
S46_STAGE(s46_st_local6, "local6", local6);

static inline void local6_any(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    const uint8_t *d = c->p->data + 24;
    unsigned i = 0;
    while (i < sw->nlocals && memcmp(d, sw->locals[i].b, 16) != 0)
        i++;
    if (i == sw->nlocals)
        return s46_sw_drop_ev(sw, c, S46_EV_NOT_LOCAL);
    c->local_idx = (uint8_t)i;
    c->src = &sw->locals[i];
    memcpy(c->peer.b, c->p->data + 8, 16);
}
S46_STAGE(s46_st_local6_any, "local6_any", local6_any);

/* RFC 5095 §3: a Routing header of type 0 is handled as one of an unknown
 * type (RFC 8200 §4.4), and s46 implements no type: with Segments Left 0 it
 * is skipped (the parser did), else the packet is discarded and an ICMPv6
 * Parameter Problem, code 0, pointing at the Routing Type goes back to the
 * source (from the address the packet came to; rate limited, and not when
 * no error may be sent about it: a non-first fragment, an error, a
 * multicast source). Counted ROUTING_HEADER either way. */
static inline void rh6(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    unsigned off = c->l3.rh_off;
    if (!off)
        return;
    const s46_ip6 *from = c->src ? c->src : &sw->local;
    if (s46_icmp6_may_error(c->p->data, &c->l3)) {
        if (!s46_ratelimit_take(&sw->dp.icmp_rl, now)) {
            sw->dp.cnt[sw->dp.desc->icmp_ratelimited]++;
        } else if (s46_icmp6_error(&sw->dp.scratch, from, 4, 0, off + 2, c->p->data,
                                   c->p->len) == 0) {
            s46_sw_count(sw, sw->ev[S46_EV_ROUTING_HEADER] ? S46_EV_ROUTING_HEADER
                                                           : S46_EV_V6_MALFORMED);
            s46_dp_take_scratch(&sw->dp, c->p);
            return s46_sw_out(sw, c, 1);
        }
    }
    s46_sw_drop_ev_or(sw, c, S46_EV_ROUTING_HEADER, S46_EV_V6_MALFORMED);
}
S46_STAGE(s46_st_rh6, "routing_header6", rh6);

static inline void self4(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    if (!sw->self4 || s46_get32(c->p->data + 16) != sw->self4)
        return;
    const s46_l3 *l = &c->l3;
    if (l->proto == S46_PROTO_ICMP && l->has_ports && l->icmp_type == 8 && !l->is_fragment) {
        /* no reply to a broadcast, multicast or otherwise unusable source */
        if (!s46_ip4_is_unicast(s46_get32(c->p->data + 12)))
            return s46_sw_drop_ev_or(sw, c, S46_EV_ECHO_NOT_UNICAST, S46_EV_TO_SELF4);
        s46_icmp4_echo_reply(c->p, l);
        s46_sw_count(sw, S46_EV_ECHO_REPLIES);
        return s46_sw_out(sw, c, 0);
    }
    s46_sw_drop_ev(sw, c, S46_EV_TO_SELF4);
}
S46_STAGE(s46_st_self4, "self4", self4);

static inline void reasm4(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    c->was_fragment = c->l3.is_fragment && !c->fixed;
    if (c->l3.is_fragment && !c->fixed && !s46_dp_reasm(&sw->dp, false, c->p, &c->l3, now))
        c->done = true; /* held or refused, counted */
}
S46_STAGE(s46_st_reasm4, "reassemble4", reasm4);

static inline void reasm6(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    c->was_fragment = c->l3.is_fragment;
    if (c->l3.is_fragment && !s46_dp_reasm(&sw->dp, true, c->p, &c->l3, now))
        c->done = true;
}
S46_STAGE(s46_st_reasm6, "reassemble6", reasm6);

static inline void share4(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    if (!c->was_fragment || sw->nat.shares <= 1)
        return;
    unsigned o = s46_steer_napt_out(c->p->data, c->p->len, sw->nat.shares);
    if (o != sw->nat.share) {
        c->done = true;
        s46_pkt_redirect(c->p, o);
    }
}
S46_STAGE(s46_st_share4, "share4", share4);

static inline void share6(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    if (!c->was_fragment || sw->nat.shares <= 1)
        return;
    unsigned o;
    if (c->l3.proto == S46_PROTO_IPIP)
        o = s46_steer_napt_in(c->p->data + c->l3.l3_len, c->l3.l4_len, sw->nat.shares,
                              sw->nat.share);
    else if (c->l3.has_ports && (c->l3.proto == S46_PROTO_TCP || c->l3.proto == S46_PROTO_UDP))
        o = s46_napt_port_owner(c->l3.dport, sw->nat.shares); /* MAP-T */
    else
        return;
    if (o != sw->nat.share) {
        c->done = true;
        s46_pkt_redirect(c->p, o);
    }
}
S46_STAGE(s46_st_share6, "share6", share6);

static inline void ttl4(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    if (!sw->ttl_decrement || c->l3.ttl > 1)
        return;
    if (!s46_sw_error4(sw, c, &c->l3, 11, 0, 0, now))
        s46_sw_drop_ev(sw, c, S46_EV_TTL_EXPIRED);
}
S46_STAGE(s46_st_ttl4, "ttl4", ttl4);

static inline void mtu4(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    unsigned room = s46_sw_room(sw, &c->peer);
    if (c->p->len <= room || !c->l3.df)
        return;
    /* the error quotes the packet as it arrived */
    if (!s46_sw_error4(sw, c, &c->l3, 3, 4, room, now))
        s46_sw_drop_ev(sw, c, S46_EV_TOO_BIG);
}
S46_STAGE(s46_st_mtu4, "mtu4", mtu4);
