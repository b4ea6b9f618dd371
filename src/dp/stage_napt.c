/* NAT stages (stages.h): the CE's port-set NAPT44 around lib/napt.h and
 * dp/napt_rewrite.h, and TCP MSS clamping to the tunnel. */
#include "dp/napt_rewrite.h"
#include "dp/pipeline.h"
#include "lib/icmp.h"
#include "dp/stages.h"
#include "lib/mss.h"
#include "lib/tunnel.h"

static inline void napt_check(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    if (sw->nat.t && !c->fixed && (s46_napt_proto_of(c->l3.proto) < 0 || !c->l3.has_ports))
        s46_sw_drop_ev(sw, c, S46_EV_UNSUPPORTED);
}
S46_STAGE(s46_st_napt_check, "napt_check", napt_check);

static inline void napt_out(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    const s46_sw_nat *n = &sw->nat;
    if (!n->t || c->fixed)
        return;
    uint8_t *ip = c->p->data;
    uint32_t t = s46_sw_secs(now);
    s46_nx_out o;
    if (c->p->mark == S46_MARK_HAIRPIN) {
        /* another worker translated the source, the destination port's
         * mapping is in our share */
        c->p->mark = S46_MARK_NONE;
        o = (s46_nx_out){.ext_port = c->l3.sport};
        goto hairpin;
    }
    s46_nx_result r = s46_napt_xlate_out(n->t, n->ext, ip, &c->l3, t, &o);
    if (r != S46_NX_OK)
        return s46_sw_drop(sw, c, n->why[r]);
    s46_sw_count(sw, S46_EV_NAT_OUT);
    if (o.created)
        s46_sw_count(sw, S46_EV_NAT_CREATED);
    /* hairpinning (RFC 4787 REQ-9): to our own address and ports */
    if (o.error || (o.dst & s46_mask4(n->mine_len)) != n->mine ||
        !s46_port_in_set(n->psid_offset, n->psid_len, n->psid, c->l3.dport))
        return;
    /* the destination port's mapping is in another worker's share: the
     * packet goes there with its source translated here (so the other
     * host sees this host's mapping, RFC 4787 REQ-9) */
    if (n->shares > 1 && c->l3.proto != S46_PROTO_ICMP) {
        unsigned owner = s46_napt_port_owner(c->l3.dport, n->shares);
        if (owner != n->share) {
            c->done = true;
            c->p->mark = S46_MARK_HAIRPIN;
            return s46_pkt_redirect(c->p, owner);
        }
    }
hairpin:
    if (s46_napt_xlate_hairpin(n->t, n->ext, ip, &c->l3, &o, t) != S46_NX_OK)
        return s46_sw_drop_ev(sw, c, S46_EV_HAIRPIN_NO_MAPPING);
    if (sw->ttl_decrement)
        s46_ipv4_dec_ttl(ip);
    s46_sw_count(sw, S46_EV_HAIRPINNED);
    s46_sw_out(sw, c, 0);
}
S46_STAGE(s46_st_napt_out, "napt_out", napt_out);

static inline void napt_in(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    const s46_sw_nat *n = &sw->nat;
    if (!n->t || c->fixed)
        return;
    s46_nx_result r = s46_napt_xlate_in(n->t, n->psid_offset, n->psid_len, n->psid,
                                        c->p->data, &c->in, s46_sw_secs(now));
    if (r != S46_NX_OK)
        return s46_sw_drop(sw, c, n->why[r]);
    s46_sw_count(sw, S46_EV_NAT_IN);
}
S46_STAGE(s46_st_napt_in, "napt_in", napt_in);

static inline void clamp(s46_sw *sw, s46_ctx *c, const s46_l3 *l3)
{
    if (l3->proto == S46_PROTO_TCP && l3->first_fragment &&
        s46_tcp_clamp_mss(c->p->data, l3, (uint16_t)(s46_sw_room(sw, &c->peer) - 40)))
        s46_sw_count(sw, S46_EV_MSS_CLAMPED);
}
static inline void mss_out(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    clamp(sw, c, &c->l3);
}
S46_STAGE(s46_st_mss_out, "mss_out", mss_out);
static inline void mss_in(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    clamp(sw, c, &c->in);
}
S46_STAGE(s46_st_mss_in, "mss_in", mss_in);
