/* Transport stages (stages.h): RFC 2473 IPv4-in-IPv6 in and out, and the
 * ICMPv6 addressed to the tunnel endpoint. */
#include <string.h>

#include "dp/napt_rewrite.h"
#include "dp/stages.h"
#include "lib/icmp.h"
#include "lib/parse.h"
#include "lib/tunnel.h"

static inline void echo6(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    const s46_l3 *l = &c->l3;
    if (l->proto != S46_PROTO_ICMPV6 || !l->has_ports || l->icmp_type != 128)
        return;
    if (!s46_ip6_is_unicast(c->p->data + 8))
        return s46_sw_drop_ev_or(sw, c, S46_EV_ECHO_NOT_UNICAST, S46_EV_ICMPV6_OTHER);
    s46_icmp6_echo_reply(c->p, l);
    s46_sw_count(sw, S46_EV_ECHO_REPLIES);
    s46_sw_out(sw, c, 1);
}
S46_STAGE(s46_st_echo6, "echo6", echo6);

static inline void relay6(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    if (c->l3.proto != S46_PROTO_ICMPV6)
        return;
    switch (s46_tunnel_icmp6(&sw->ti, &sw->dp, &sw->pmtu, c->p, &c->l3, now)) {
    case S46_TI_RELAYED: break;
    case S46_TI_SPOOFED:
        return s46_sw_drop_ev_or(sw, c, S46_EV_ICMP6_SPOOFED, S46_EV_ICMPV6_OTHER);
    case S46_TI_PTB_TOO_SMALL:
        return s46_sw_drop_ev_or(sw, c, S46_EV_PTB_TOO_SMALL, S46_EV_ICMPV6_OTHER);
    default: return s46_sw_drop_ev(sw, c, S46_EV_ICMPV6_OTHER);
    }
    /* the ICMPv4 error now in p goes to the quoted packet's source: back
     * through the NAT when that was our external address */
    s46_l3 el;
    uint8_t *ip = c->p->data;
    if (s46_parse_ipv4(ip, c->p->len, &el) < 0)
        return s46_sw_drop_ev(sw, c, S46_EV_ICMPV6_OTHER);
    const s46_sw_nat *n = &sw->nat;
    if (n->t && s46_get32(ip + 16) == n->ext &&
        s46_napt_xlate_in(n->t, n->psid_offset, n->psid_len, n->psid, ip, &el,
                          s46_sw_secs(now)) != S46_NX_OK)
        return s46_sw_drop_ev(sw, c, S46_EV_ICMPV6_OTHER);
    s46_sw_count(sw, S46_EV_ICMP6_RELAYED);
    s46_sw_out(sw, c, 0);
}
S46_STAGE(s46_st_relay6, "relay6", relay6);

static inline void ipip6(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    if (c->l3.proto != S46_PROTO_IPIP)
        s46_sw_drop_ev(sw, c, S46_EV_NOT_IPIP);
}
S46_STAGE(s46_st_ipip6, "ipip6", ipip6);

static inline void inner4(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    if (s46_parse_ipv4(c->p->data + c->l3.l3_len, c->l3.l4_len, &c->in) < 0)
        s46_sw_drop_ev(sw, c, S46_EV_INNER_MALFORMED);
}
S46_STAGE(s46_st_inner4, "inner4", inner4);

static inline void decap(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)sw;
    (void)now;
    s46_tunnel_decap(c->p, &c->l3);
    c->p->len = c->in.l3_len + c->in.l4_len;
}
S46_STAGE(s46_st_decap, "decap", decap);

static inline void reasm_inner4(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    if (!c->in.is_fragment || !(sw->reasm_inner_all || c->dom.psid_len))
        return;
    if (!s46_dp_reasm_inner4(&sw->dp, c->p, &c->in, c->peer.b, now))
        c->done = true; /* held or refused, counted */
}
S46_STAGE(s46_st_reasm_inner4, "reassemble_inner4", reasm_inner4);

static inline void out4(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    s46_sw_count(sw, S46_EV_DECAPSULATED);
    s46_sw_out4(sw, c);
}
S46_STAGE(s46_st_out4, "out4", out4);

static inline void encap(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    if (sw->ttl_decrement)
        s46_ipv4_dec_ttl(c->p->data);
    if (c->peer_ctr)
        sw->dp.cnt[c->peer_ctr - 1]++;
    s46_sw_encap_out(sw, c, &c->peer, S46_EV_ENCAPSULATED, S46_EV_V4_MALFORMED);
}
S46_STAGE(s46_st_encap, "encap", encap);

/* The IPv4 router hop on the way out of the tunnel: a TTL that expires gets
 * Time Exceeded back through the tunnel to the sender. */
static inline void ttl4_back(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    if (!sw->ttl_decrement || s46_ipv4_dec_ttl(c->p->data) != 0)
        return;
    if (!sw->icmp_src ||
        !s46_dp_icmp4_error(&sw->dp, c->p, &c->in, sw->icmp_src, 11, 0, 0, now))
        return s46_sw_drop_ev(sw, c, S46_EV_INNER_TTL_EXPIRED);
    s46_sw_encap_out(sw, c, &c->peer, S46_EV_NONE, S46_EV_INNER_TTL_EXPIRED);
}
S46_STAGE(s46_st_ttl4_back, "ttl4_back", ttl4_back);
