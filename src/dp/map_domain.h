/* A MAP domain as the MAP mechanisms' shared stages see it (s46_sw_map in
 * dp/softwire.h): which CE owns an IPv4 address and port, which rule an
 * IPv6 source falls under, each with a one-entry memo per side (a batch
 * usually holds many packets of one domain). Inline: on every packet's
 * path, fast paths included. Lookups allocate nothing. */
#ifndef S46_DP_MAP_DOMAIN_H
#define S46_DP_MAP_DOMAIN_H
#include "dp/softwire.h"

/* m for these rules (which must outlive m), memos reset. */
void s46_sw_map_set(s46_sw_map *m, const s46_ruleset *rules, s46_iid_layout layout,
                    bool hairpin, bool icmp_unreachable);

/* The MAP address of the CE owning dst:port; false with the event saying
 * why not (MAP_NO_RULE4: no rule; MAP_PORT_EXCLUDED: a port of no CE). */
static inline bool s46_sw_map_ce(s46_sw_map *m, uint32_t dst, uint16_t port, s46_ip6 *ce,
                                 s46_ev *why)
{
    const s46_maprule *r;
    const s46_rule_shape *sh;
    if (m->memo4) {
        uint32_t k = dst & m->mask4;
        if (k != m->last4_key) {
            m->last4_key = k;
            m->last4_rule = s46_ruleset_match4(m->rules, dst, port);
            m->last4_shape = m->last4_rule ? s46_ruleset_shape(m->rules, m->last4_rule) : NULL;
        }
        r = m->last4_rule;
        sh = m->last4_shape;
    } else {
        r = s46_ruleset_match4(m->rules, dst, port);
        sh = r ? s46_ruleset_shape(m->rules, r) : NULL;
    }
    if (!r) {
        *why = S46_EV_MAP_NO_RULE4;
        return false;
    }
    if (!s46_map_ce_addr(r, sh, dst, port, m->layout, ce)) {
        *why = S46_EV_MAP_PORT_EXCLUDED;
        return false;
    }
    return true;
}

/* The rule (longest match) of an IPv6 source, with its shape; NULL: none. */
static inline const s46_maprule *s46_sw_map_rule6(s46_sw_map *m, const s46_ip6 *src,
                                                  const s46_rule_shape **sh)
{
    s46_u128 k = s46_ip6_u128(src) & m->mask6;
    if (k != m->last6_key) {
        m->last6_key = k;
        m->last6_rule = s46_ruleset_match6(m->rules, src);
        m->last6_shape = m->last6_rule ? s46_ruleset_shape(m->rules, m->last6_rule) : NULL;
    }
    *sh = m->last6_shape;
    return m->last6_rule;
}
#endif
