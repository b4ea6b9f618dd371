#include "dp/br_mape.h"
#include "dp/map_domain.h"
#include "dp/softwire.h"
#include "dp/stages.h"
#include "dp/icmp_quote.h"
#include "lib/csum.h"
#include "lib/frag.h"
#include "lib/icmp.h"
#include "lib/parse.h"
#include "lib/tunnel.h"

#include <stdlib.h>
#include <string.h>

#define S46_BR_NAME(n, d) #n,
static const char *const counter_names[] = {S46_BR_COUNTERS(S46_BR_NAME)};
#undef S46_BR_NAME

static const s46_dp_desc br_desc = {
    counter_names, S46_BR_NCOUNTERS, {S46_BR_v4_out, S46_BR_v6_out}, S46_BR_icmp_errors_sent,
    S46_BR_drop_icmp_ratelimited, S46_BR_fragments_held, S46_BR_reassembled,
    S46_BR_drop_reassembly_failed, S46_BR_fragmented, S46_BR_drop_no_buffer, 64,
};

/* The shared stages' events as the BR counts them. */
static const uint16_t br_ev[S46_EV_N] = {
    [S46_EV_IN4] = S46_EVC(S46_BR_v4_in),
    [S46_EV_IN6] = S46_EVC(S46_BR_v6_in),
    [S46_EV_V4_MALFORMED] = S46_EVC(S46_BR_drop_v4_malformed),
    [S46_EV_V6_MALFORMED] = S46_EVC(S46_BR_drop_v6_malformed),
    [S46_EV_TO_SELF4] = S46_EVC(S46_BR_drop_v4_to_br),
    [S46_EV_NOT_LOCAL] = S46_EVC(S46_BR_drop_v6_not_br_address),
    [S46_EV_ECHO_REPLIES] = S46_EVC(S46_BR_echo_replies),
    [S46_EV_TTL_EXPIRED] = S46_EVC(S46_BR_drop_v4_ttl_expired),
    [S46_EV_TOO_BIG] = S46_EVC(S46_BR_drop_v4_too_big),
    [S46_EV_ENCAPSULATED] = S46_EVC(S46_BR_v4_encapsulated),
    [S46_EV_DECAPSULATED] = S46_EVC(S46_BR_v6_decapsulated),
    [S46_EV_NOT_IPIP] = S46_EVC(S46_BR_drop_v6_not_ipip),
    [S46_EV_ICMPV6_OTHER] = S46_EVC(S46_BR_drop_icmpv6_other),
    [S46_EV_ICMP6_RELAYED] = S46_EVC(S46_BR_icmp_relayed),
    [S46_EV_INNER_MALFORMED] = S46_EVC(S46_BR_drop_inner_malformed),
    [S46_EV_INNER_TTL_EXPIRED] = S46_EVC(S46_BR_drop_inner_ttl_expired),
    [S46_EV_HAIRPINNED] = S46_EVC(S46_BR_hairpinned),
    [S46_EV_ECHO_NOT_UNICAST] = S46_EVC(S46_BR_drop_echo_not_unicast),
    [S46_EV_ROUTING_HEADER] = S46_EVC(S46_BR_drop_v6_routing_header),
    [S46_EV_ICMP6_SPOOFED] = S46_EVC(S46_BR_drop_icmpv6_spoofed),
    [S46_EV_PTB_TOO_SMALL] = S46_EVC(S46_BR_drop_icmpv6_ptb_too_small),
    [S46_EV_MAP_NO_RULE4] = S46_EVC(S46_BR_drop_v4_no_rule),
    [S46_EV_MAP_PORT_EXCLUDED] = S46_EVC(S46_BR_drop_v4_port_excluded),
    [S46_EV_MAP_UNMAPPABLE4] = S46_EVC(S46_BR_drop_v4_icmp_unmappable),
    [S46_EV_MAP_SRC_NO_RULE] = S46_EVC(S46_BR_drop_v6_src_no_rule),
    [S46_EV_MAP_SRC_NOT_MAP] = S46_EVC(S46_BR_drop_v6_src_not_map_address),
    [S46_EV_MAP_SPOOFED_ADDR] = S46_EVC(S46_BR_drop_inner_spoofed_address),
    [S46_EV_MAP_SPOOFED_PORT] = S46_EVC(S46_BR_drop_inner_spoofed_port),
    [S46_EV_MAP_NO_PORT] = S46_EVC(S46_BR_drop_inner_no_port),
    [S46_EV_MAP_UNVERIFIABLE] = S46_EVC(S46_BR_drop_inner_icmp_unverifiable),
    [S46_EV_MAP_DST_IN_DOMAIN] = S46_EVC(S46_BR_drop_inner_dst_in_domain),
    [S46_EV_UNFINISHED] = S46_EVC(S46_BR_drop_unfinished),
};

struct s46_br {
    s46_sw sw;                 /* the softwire pipeline (first: stages get it) */
    s46_br_conf c;
    uint64_t cnt[S46_BR_NCOUNTERS];
    bool fast_ok;              /* the fast paths can be taken with this conf */
    bool fast_wanted;          /* off only in tests */
    /* The outer header(s) of every packet toward a CE but for the payload
     * length and the destination, as s46_tunnel_encap writes them. */
    uint8_t hdr6[48];
    unsigned hdr6_len;
};

void s46_br_conf_default(s46_br_conf *c)
{
    memset(c, 0, sizeof *c);
    c->ipv6_mtu = 1500;
    c->ipv4_mtu = 1500;
    c->hop_limit = 64;
    c->encap_limit = -1;
    c->hairpin = true;
    c->ttl_decrement = true;
    c->icmp_unreachable = true;
    c->icmp_rate = 1000;
}

static bool v4_fast(s46_sw *sw, s46_pkt *p);
static bool v6_fast(s46_sw *sw, s46_pkt *p);
static bool quote_ok(const void *arg, unsigned local, const s46_ip6 *peer, const s46_quote *q4);
static const s46_stage *const br_stages4[], *const br_stages6[];

/* Everything that follows from the configuration (rules, addresses,
 * encapsulation, rate limit); counters, pools and reassembly stay. */
static void apply_conf(s46_br *br, const s46_br_conf *c)
{
    s46_sw *sw = &br->sw;
    br->c = *c;
    s46_ratelimit_init(&sw->dp.icmp_rl, c->icmp_rate, c->icmp_rate ? c->icmp_rate : 1);
    sw->dp.enc = (s46_encap){.src = c->br6, .hop_limit = c->hop_limit,
                             .encap_limit = c->encap_limit};
    sw->local = c->br6;
    sw->self4 = c->br4;
    sw->icmp_src = c->br4;
    sw->ttl_decrement = c->ttl_decrement;
    sw->ipv4_mtu = c->ipv4_mtu;
    s46_pmtu_init(&sw->pmtu, c->ipv6_mtu);
    /* ICMPv6 errors about our tunnel packets: only about one we could have
     * sent; the BR stays stateless (no MTU learned) */
    sw->ti = (s46_tunnel_icmp){.local = &br->c.br6, .arg = br, .icmp_src = c->br4,
                               .nlocal = 1, .quote_ok = quote_ok, .stateless = true};
    s46_sw_map_set(&sw->map, c->rules, c->layout, c->hairpin, c->icmp_unreachable);
    /* the header template (the TOS is not copied into it: no fast path
     * when the encapsulation copies it) */
    static const uint8_t zero[16];
    br->fast_ok = !sw->dp.enc.copy_tos;
    br->hdr6_len = s46_encap_overhead(&sw->dp.enc);
    s46_encap_write(br->hdr6, &sw->dp.enc, 0, 0, zero);
    bool fast = br->fast_ok && br->fast_wanted;
    sw->fast[0] = fast ? v4_fast : NULL;
    sw->fast[1] = fast ? v6_fast : NULL;
}

s46_br *s46_br_new(const s46_br_conf *c)
{
    s46_br *br = calloc(1, sizeof *br);
    if (!br)
        return NULL;
    if (s46_sw_init(&br->sw, &br_desc, br->cnt, br_ev, c->icmp_rate,
                    c->icmp_rate ? c->icmp_rate : 1) < 0) {
        free(br);
        return NULL;
    }
    br->sw.mech = br;
    br->sw.stages[0] = br_stages4;
    br->sw.stages[1] = br_stages6;
    br->fast_wanted = true;
    apply_conf(br, c);
    return br;
}

void s46_br_free(s46_br *br)
{
    if (!br)
        return;
    s46_sw_fini(&br->sw);
    free(br);
}

const s46_counters *s46_br_counters(const s46_br *br) { return &br->sw.dp.counters; }

json_t *s46_br_stages_json(const s46_br *br) { return s46_sw_stages_json(&br->sw); }

/* The commonest IPv4 -> IPv6 packet without the stages: an option-less,
 * unfragmented TCP or UDP packet with its ports, to a CE of a rule, with
 * TTL to spare, that fits the IPv6 MTU once encapsulated. Any other packet,
 * and any packet the stages would drop or answer, makes it return false
 * having changed nothing (the rule memo aside): the stages then handle it.
 * When it returns true the packet and the counters are exactly as the
 * stages leave them. */
static bool v4_fast(s46_sw *sw, s46_pkt *p)
{
    s46_br *br = sw->mech;
    const uint8_t *d = p->data;
    if (p->len < 28 || d[0] != 0x45)
        return false;
    unsigned tot = s46_get16(d + 2), proto = d[9];
    /* not a fragment; TCP with a whole header or UDP: has_ports */
    if (tot > p->len || (s46_get16(d + 6) & 0x3fff) != 0 ||
        !(proto == S46_PROTO_UDP ? tot >= 28 : proto == S46_PROTO_TCP && tot >= 40) ||
        !s46_csum_ok20(d))
        return false;
    uint32_t dst = s46_get32(d + 16);
    unsigned room = br->c.ipv6_mtu - br->hdr6_len;
    if ((br->c.br4 && dst == br->c.br4) || (br->c.ttl_decrement && d[8] <= 1) || tot > room)
        return false;
    s46_ip6 ce;
    s46_ev why;
    if (!s46_sw_map_ce(&sw->map, dst, s46_get16(d + 22), &ce, &why))
        return false;
    unsigned over = br->hdr6_len;
    if (s46_pkt_headroom(p) < over)
        return false;
    /* s46_tunnel_encap's header, from the template */
    p->len = tot;
    s46_encap_push_template(p, br->hdr6, over, ce.b);
    if (br->c.ttl_decrement)
        s46_ipv4_dec_ttl(p->data + over);
    p->verdict = S46_V_FORWARD;
    p->out_port = S46_BR_PORT_V6;
    br->cnt[S46_BR_v4_encapsulated]++;
    br->cnt[S46_BR_v6_out]++;
    return true;
}

/* Could the BR have sent the IPv4 packet q4 (quoted in an ICMPv6 error)
 * from its address to peer? Only when peer is the MAP address of the CE
 * that owns its destination address and port, and its source is outside
 * the domain (not a CE's, which the BR never encapsulates toward a CE but
 * hairpinned: no error goes back into the domain) and not br_ipv4 (the BR's
 * own errors). The rules are looked up without the memo: not a fast path. */
static bool quote_ok(const void *arg, unsigned local, const s46_ip6 *peer, const s46_quote *q4)
{
    (void)local;
    const s46_br *br = arg;
    uint32_t isrc = s46_get32(q4->ip + 12), idst = s46_get32(q4->ip + 16);
    uint16_t port;
    if (isrc == br->c.br4 || s46_ruleset_covers4(br->c.rules, isrc) ||
        !s46_quote_dst_port4(q4, &port))
        return false;
    const s46_maprule *r = s46_ruleset_match4(br->c.rules, idst, port);
    s46_ip6 ce;
    return r && s46_map_ce_addr(r, s46_ruleset_shape(br->c.rules, r), idst, port, br->c.layout,
                                &ce) &&
           s46_ip6_eq(&ce, peer);
}

/* The commonest IPv6 -> IPv4 packet without the stages: IPv4 in IPv6
 * without extension headers, to the BR address from a MAP address,
 * holding an option-less, unfragmented TCP or UDP packet from that CE's
 * address and ports with TTL to spare, to a destination outside the
 * domain. The same contract as v4_fast. */
static bool v6_fast(s46_sw *sw, s46_pkt *p)
{
    s46_br *br = sw->mech;
    const uint8_t *d = p->data;
    if (p->len < 60 || d[0] >> 4 != 6 || d[6] != S46_PROTO_IPIP)
        return false;
    unsigned plen = s46_get16(d + 4);
    if (p->len < 40 + plen || memcmp(d + 24, br->c.br6.b, 16) != 0)
        return false;
    s46_ip6 src;
    memcpy(src.b, d + 8, 16);
    const s46_rule_shape *sh;
    const s46_maprule *r = s46_sw_map_rule6(&sw->map, &src, &sh);
    uint32_t v4a;
    uint8_t v4len;
    uint16_t psid;
    if (!r || !s46_map_check_src(r, sh, &src, br->c.layout, &v4a, &v4len, &psid))
        return false;
    const uint8_t *v4 = d + 40;
    if (plen < 28 || v4[0] != 0x45)
        return false;
    unsigned tot = s46_get16(v4 + 2), proto = v4[9];
    if (tot > plen || (s46_get16(v4 + 6) & 0x3fff) != 0 ||
        (sw->ipv4_mtu && tot > sw->ipv4_mtu) || /* out4 cuts it: the stages */
        !(proto == S46_PROTO_UDP ? tot >= 28 : proto == S46_PROTO_TCP && tot >= 40) ||
        !s46_csum_ok20(v4))
        return false;
    uint32_t isrc = s46_get32(v4 + 12), idst = s46_get32(v4 + 16);
    if ((isrc & s46_mask4(v4len)) != v4a ||
        (sh->psid_len && !s46_port_in_set(sh->psid_offset, sh->psid_len, psid,
                                          s46_get16(v4 + 20))) ||
        (br->c.ttl_decrement && v4[8] <= 1) || s46_ruleset_covers4(br->c.rules, idst))
        return false;
    p->data += 40;
    p->len = tot;
    if (br->c.ttl_decrement)
        s46_ipv4_dec_ttl(p->data);
    p->verdict = S46_V_FORWARD;
    p->out_port = S46_BR_PORT_V4;
    br->cnt[S46_BR_v6_decapsulated]++;
    br->cnt[S46_BR_v4_out]++;
    return true;
}

/* The BR's composition. IPv4 in: to the BR itself, reassembly, the CE by
 * the rules, the router hop, the tunnel MTU, RFC 2473 toward the CE.
 * IPv6 in: to the BR address, no Routing header to act on, reassembly,
 * ICMPv6 (echo; errors about packets it could have sent), only IPv4-in-IPv6 from
 * a MAP address, out of the tunnel (inner fragments from a shared address
 * made whole first: a later fragment shows no port), with the CE's own
 * inner address and ports, CE-to-CE hairpinned, the router hop, out to
 * IPv4. */
static const s46_stage *const br_stages4[] = {
    &s46_st_parse4, &s46_st_self4, &s46_st_reasm4, &s46_st_map_dst4,
    &s46_st_ttl4,   &s46_st_mtu4,  &s46_st_encap,  NULL,
};
static const s46_stage *const br_stages6[] = {
    &s46_st_parse6, &s46_st_local6,    &s46_st_rh6,     &s46_st_reasm6,
    &s46_st_echo6,  &s46_st_relay6,    &s46_st_ipip6,   &s46_st_map_src6,
    &s46_st_inner4, &s46_st_decap,     &s46_st_reasm_inner4, &s46_st_map_inner_src,
    &s46_st_map_hairpin, &s46_st_ttl4_back, &s46_st_out4, NULL,
};

void s46_br_process(s46_br *br, s46_batch *b, uint16_t in_port, uint64_t now_ns)
{
    s46_sw_process(&br->sw, b, in_port, now_ns);
}

void s46_br_set_fast_paths(s46_br *br, bool on)
{
    br->fast_wanted = on;
    br->sw.fast[0] = on && br->fast_ok ? v4_fast : NULL;
    br->sw.fast[1] = on && br->fast_ok ? v6_fast : NULL;
}

void s46_br_reconfigure(s46_br *br, const s46_br_conf *c) { apply_conf(br, c); }
