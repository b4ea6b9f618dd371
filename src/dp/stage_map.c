/* The MAP domain stages (stages.h) a MAP BR composes, whatever carries its
 * packets (RFC 2473 for MAP-E, RFC 7915 translation for MAP-T): the CE of
 * an IPv4 destination, the checks of a CE's packets (RFC 7597 §8, RFC 7599
 * §8.3), hairpinning between CEs. Drops are counted through the
 * mechanism's events (S46_EV_MAP_*). */
#include "dp/icmp_quote.h"
#include "dp/map_domain.h"
#include "dp/stages.h"
#include "lib/tunnel.h"

void s46_sw_map_set(s46_sw_map *m, const s46_ruleset *rules, s46_iid_layout layout,
                    bool hairpin, bool icmp_unreachable)
{
    m->rules = rules;
    m->layout = layout;
    m->hairpin = hairpin;
    m->icmp_unreachable = icmp_unreachable;
    /* start with the answer for the addresses whose masked bits are all 0 */
    s46_ip6 zero = {{0}};
    m->mask6 = s46_mask128(s46_ruleset_longest6(rules));
    m->last6_key = 0;
    m->last6_rule = s46_ruleset_match6(rules, &zero);
    m->last6_shape = m->last6_rule ? s46_ruleset_shape(rules, m->last6_rule) : NULL;
    m->memo4 = !s46_ruleset_shared4(rules);
    m->mask4 = m->last4_key = 0;
    m->last4_rule = NULL;
    m->last4_shape = NULL;
    if (m->memo4) {
        m->mask4 = s46_mask4(s46_ruleset_longest4(rules));
        m->last4_rule = s46_ruleset_match4(rules, 0, 0);
        m->last4_shape = m->last4_rule ? s46_ruleset_shape(rules, m->last4_rule) : NULL;
    }
}

/* Toward the CEs: the MAP address of the CE owning the destination address
 * and port (ICMP query: identifier; ICMP error: the quoted packet's source
 * port) becomes c->peer; no rule: ICMPv4 host unreachable when configured. */
static inline void map_dst4(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    uint16_t port;
    if (!s46_dst_port4(c->p->data, &c->l3, &port))
        return s46_sw_drop_ev(sw, c, S46_EV_MAP_UNMAPPABLE4);
    s46_ev why;
    if (s46_sw_map_ce(&sw->map, s46_get32(c->p->data + 16), port, &c->peer, &why))
        return;
    if (why == S46_EV_MAP_NO_RULE4 && sw->map.icmp_unreachable &&
        s46_sw_error4(sw, c, &c->l3, 3, 1, 0, now))
        return;
    s46_sw_drop_ev(sw, c, why);
}
S46_STAGE(s46_st_map_dst4, "map_dst4", map_dst4);

/* The sender (c->peer: the outer source, MAP-E; the source, MAP-T) must be
 * exactly the MAP address of a CE of a rule; c->dom gets that CE's address
 * and port set. */
static inline void map_src6(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    const s46_rule_shape *sh;
    const s46_maprule *r = s46_sw_map_rule6(&sw->map, &c->peer, &sh);
    if (!r)
        return s46_sw_drop_ev(sw, c, S46_EV_MAP_SRC_NO_RULE);
    if (!s46_map_check_src(r, sh, &c->peer, sw->map.layout, &c->dom.ipv4, &c->dom.ipv4_len,
                           &c->dom.psid))
        return s46_sw_drop_ev(sw, c, S46_EV_MAP_SRC_NOT_MAP);
    c->dom.psid_len = sh->psid_len;
    c->dom.psid_offset = sh->psid_offset;
}
S46_STAGE(s46_st_map_src6, "map_src6", map_src6);

/* The IPv4 packet (p->data, parsed in c->in: decapsulated or translated)
 * must come from that CE's address and ports. */
static inline void map_inner_src(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    const s46_ce_params *cp = &c->dom;
    uint8_t *v4 = c->p->data;
    if ((s46_get32(v4 + 12) & s46_mask4(cp->ipv4_len)) != cp->ipv4)
        return s46_sw_drop_ev(sw, c, S46_EV_MAP_SPOOFED_ADDR);
    if (!cp->psid_len)
        return; /* a whole address: anything */
    /* a shared address: only what shows the port that tells its CEs apart */
    uint16_t sport;
    switch (s46_src_port4(v4, &c->in, &sport)) {
    case S46_SP_PORT:
        if (!s46_port_in_set(cp->psid_offset, cp->psid_len, cp->psid, sport))
            return s46_sw_drop_ev(sw, c, S46_EV_MAP_SPOOFED_PORT);
        return;
    case S46_SP_NONE: /* a later fragment: every composition makes a shared address's
                         datagram whole before this stage (reassemble_inner4, reassemble6) */
    case S46_SP_MALFORMED: return s46_sw_drop_ev(sw, c, S46_EV_INNER_MALFORMED);
    case S46_SP_NO_QUOTE: return s46_sw_drop_ev(sw, c, S46_EV_MAP_UNVERIFIABLE);
    case S46_SP_PORTLESS: return s46_sw_drop_ev(sw, c, S46_EV_MAP_NO_PORT);
    }
}
S46_STAGE(s46_st_map_inner_src, "map_inner_src", map_inner_src);

/* A destination inside the domain: back to its CE (hub and spoke), by the
 * mechanism's transport (translation when it has a translator, else
 * RFC 2473), or dropped. The router hop is this one: a translator already
 * counted it, encapsulation counts it here. */
static inline void hairpin(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    uint32_t idst = s46_get32(c->p->data + 16);
    if (!s46_ruleset_covers4(sw->map.rules, idst))
        return;
    s46_ev why;
    uint16_t dport;
    if (!sw->map.hairpin || c->in.is_fragment || !s46_dst_port4(c->p->data, &c->in, &dport) ||
        !s46_sw_map_ce(&sw->map, idst, dport, &c->peer, &why))
        return s46_sw_drop_ev(sw, c, S46_EV_MAP_DST_IN_DOMAIN);
    if (sw->xlat.x)
        return s46_sw_xlat_out6(sw, c, now, false, S46_EV_HAIRPINNED);
    if (sw->ttl_decrement && s46_ipv4_dec_ttl(c->p->data) == 0)
        return s46_sw_drop_ev(sw, c, S46_EV_INNER_TTL_EXPIRED);
    s46_sw_encap_out(sw, c, &c->peer, S46_EV_HAIRPINNED, S46_EV_INNER_MALFORMED);
}
S46_STAGE(s46_st_map_hairpin, "hairpin", hairpin);
