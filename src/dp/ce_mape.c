#include "dp/ce_mape.h"
#include "dp/softwire.h"
#include "dp/stages.h"
#include "dp/icmp_quote.h"
#include "dp/pipeline.h"
#include "dp/napt_json.h"
#include "dp/napt_rewrite.h"
#include "dp/tunnel_icmp.h"
#include "lib/ce_params_json.h"
#include "lib/csum.h"
#include "lib/err.h"
#include "lib/frag.h"
#include "lib/icmp.h"
#include "lib/mss.h"
#include "lib/parse.h"
#include "lib/rfc6052.h"
#include "lib/tunnel.h"

#include <stdlib.h>
#include <string.h>

#define S46_CE_NAME(n, d) #n,
static const char *const counter_names[] = {S46_CE_COUNTERS(S46_CE_NAME)};
#undef S46_CE_NAME

static const s46_dp_desc ce_desc = {
    counter_names, S46_CE_NCOUNTERS, {S46_CE_lan_out, S46_CE_wan_out}, S46_CE_icmp_errors_sent,
    S46_CE_drop_icmp_ratelimited, S46_CE_fragments_held, S46_CE_reassembled,
    S46_CE_drop_reassembly_failed, S46_CE_fragmented, S46_CE_drop_no_buffer, 32,
};

/* The shared stages' events as the MAP-E CE counts them. */
static const uint16_t ce_ev[S46_EV_N] = {
    [S46_EV_IN4] = S46_EVC(S46_CE_lan_in),
    [S46_EV_IN6] = S46_EVC(S46_CE_wan_in),
    [S46_EV_V4_MALFORMED] = S46_EVC(S46_CE_drop_lan_malformed),
    [S46_EV_V6_MALFORMED] = S46_EVC(S46_CE_drop_wan_malformed),
    [S46_EV_TO_SELF4] = S46_EVC(S46_CE_drop_lan_to_ce),
    [S46_EV_NOT_LOCAL] = S46_EVC(S46_CE_drop_wan_not_map_address),
    [S46_EV_ECHO_REPLIES] = S46_EVC(S46_CE_echo_replies),
    [S46_EV_TTL_EXPIRED] = S46_EVC(S46_CE_drop_lan_ttl_expired),
    [S46_EV_TOO_BIG] = S46_EVC(S46_CE_drop_lan_too_big),
    [S46_EV_ENCAPSULATED] = S46_EVC(S46_CE_encapsulated),
    [S46_EV_DECAPSULATED] = S46_EVC(S46_CE_decapsulated),
    [S46_EV_NOT_IPIP] = S46_EVC(S46_CE_drop_wan_not_ipip),
    [S46_EV_ICMPV6_OTHER] = S46_EVC(S46_CE_drop_wan_icmpv6),
    [S46_EV_ICMP6_RELAYED] = S46_EVC(S46_CE_icmp6_relayed),
    [S46_EV_INNER_MALFORMED] = S46_EVC(S46_CE_drop_inner_malformed),
    [S46_EV_MSS_CLAMPED] = S46_EVC(S46_CE_mss_clamped),
    [S46_EV_UNSUPPORTED] = S46_EVC(S46_CE_drop_lan_unsupported_proto),
    [S46_EV_NAT_CREATED] = S46_EVC(S46_CE_napt_mappings_created),
    [S46_EV_HAIRPINNED] = S46_EVC(S46_CE_hairpinned),
    [S46_EV_HAIRPIN_NO_MAPPING] = S46_EVC(S46_CE_drop_hairpin_no_mapping),
    [S46_EV_UNFINISHED] = S46_EVC(S46_CE_drop_unfinished),
};

/* The MAP-T CE's: the same, translation in place of the tunnel. */
static const uint16_t cet_ev[S46_EV_N] = {
    [S46_EV_IN4] = S46_EVC(S46_CE_lan_in),
    [S46_EV_IN6] = S46_EVC(S46_CE_wan_in),
    [S46_EV_V4_MALFORMED] = S46_EVC(S46_CE_drop_lan_malformed),
    [S46_EV_V6_MALFORMED] = S46_EVC(S46_CE_drop_wan_malformed),
    [S46_EV_TO_SELF4] = S46_EVC(S46_CE_drop_lan_to_ce),
    [S46_EV_NOT_LOCAL] = S46_EVC(S46_CE_drop_wan_not_map_address),
    [S46_EV_ECHO_REPLIES] = S46_EVC(S46_CE_echo_replies),
    [S46_EV_TTL_EXPIRED] = S46_EVC(S46_CE_drop_lan_ttl_expired),
    [S46_EV_TOO_BIG] = S46_EVC(S46_CE_drop_lan_too_big),
    [S46_EV_DECAPSULATED] = S46_EVC(S46_CE_translated6),
    [S46_EV_INNER_MALFORMED] = S46_EVC(S46_CE_drop_inner_malformed),
    [S46_EV_MSS_CLAMPED] = S46_EVC(S46_CE_mss_clamped),
    [S46_EV_UNSUPPORTED] = S46_EVC(S46_CE_drop_lan_unsupported_proto),
    [S46_EV_NAT_CREATED] = S46_EVC(S46_CE_napt_mappings_created),
    [S46_EV_HAIRPINNED] = S46_EVC(S46_CE_hairpinned),
    [S46_EV_HAIRPIN_NO_MAPPING] = S46_EVC(S46_CE_drop_hairpin_no_mapping),
    [S46_EV_MAP_SPOOFED_ADDR] = S46_EVC(S46_CE_drop_wan_spoofed_address),
    [S46_EV_MAP_SPOOFED_PORT] = S46_EVC(S46_CE_drop_wan_spoofed_port),
    [S46_EV_MAP_NO_PORT] = S46_EVC(S46_CE_drop_inner_malformed),
    [S46_EV_MAP_UNVERIFIABLE] = S46_EVC(S46_CE_drop_inner_malformed),
    [S46_EV_UNFINISHED] = S46_EVC(S46_CE_drop_unfinished),
};

/* What each refusal of the MAP-T CE's translator is counted as. */
static const uint16_t cet_why[S46_XR_N] = {
    [S46_XR_OK] = S46_CE_drop_unfinished,
    [S46_XR_MALFORMED] = S46_CE_drop_xlat_malformed,
    [S46_XR_TTL] = S46_CE_drop_wan_hop_limit,
    [S46_XR_TOO_BIG] = S46_CE_drop_xlat_other,
    [S46_XR_SRC_ROUTE] = S46_CE_drop_xlat_other,
    [S46_XR_SEG_LEFT] = S46_CE_drop_xlat_other,
    [S46_XR_NO_MAPPING] = S46_CE_drop_xlat_no_mapping,
    [S46_XR_ICMP_TYPE] = S46_CE_drop_xlat_icmp,
    [S46_XR_ICMP_FRAGMENT] = S46_CE_drop_xlat_icmp,
    [S46_XR_QUOTE] = S46_CE_drop_xlat_icmp,
    [S46_XR_UDP_ZERO] = S46_CE_drop_xlat_udp_zero,
    [S46_XR_NO_ROOM] = S46_CE_drop_xlat_other,
};

/* Drop reasons of the NAPT translation outcomes. */
static const uint16_t nx_reason[] = S46_NX_DROP_REASONS(S46_CE_);

struct s46_ce {
    s46_sw sw;                 /* the softwire pipeline (first: stages get it) */
    s46_ce_conf c;
    s46_maprule *rules;
    s46_ruleset *rs;
    s46_ce_params me;
    uint32_t ext;              /* the address the NAPT maps onto */
    s46_napt *napt;
    s46_xlat x;                /* MAP-T: the translator */
    uint64_t cnt[S46_CE_NCOUNTERS];
};

void s46_ce_conf_default(s46_ce_conf *c)
{
    memset(c, 0, sizeof *c);
    c->ipv6_mtu = 1500;
    c->lowest_ipv6_mtu = 1280;
    c->hop_limit = 64;
    c->encap_limit = -1;
    s46_napt_config_default(&c->napt);
}

static uint32_t now_s(uint64_t ns) { return (uint32_t)(ns / 1000000000ull); }

static int setup(s46_ce *ce, const s46_ce_conf *c, s46_ruleset **rs_out, s46_maprule **rules_out,
                 s46_ce_params *me, char *err, size_t errlen)
{
    char e[S46_ERRLEN];
    s46_maprule *rules = malloc((c->nrules ? c->nrules : 1) * sizeof *rules);
    if (!rules) {
        s46_seterr(err, errlen, "out of memory");
        return -1;
    }
    if (c->nrules)
        memcpy(rules, c->rules, c->nrules * sizeof *rules);
    s46_ruleset *rs = s46_ruleset_new(rules, c->nrules, e, sizeof e);
    if (!rs) {
        s46_seterr(err, errlen, "rules: %s", e);
        free(rules);
        return -1;
    }
    const s46_maprule *bmr = s46_ruleset_bmr(rs, &c->eu_prefix);
    if (!bmr) {
        char b[S46_PFX6_STRLEN];
        s46_seterr(err, errlen, "no rule matches the End-user prefix %s",
                   s46_pfx6_format(&c->eu_prefix, b));
        goto fail;
    }
    if (s46_maprule_derive(bmr, &c->eu_prefix, c->mapt ? S46_IID_RFC7597 : c->layout, me, err,
                           errlen) < 0)
        goto fail;
    if (c->mapt && me->ipv4_len != 32) {
        s46_seterr(err, errlen, "map_t: the rule gives an IPv4 prefix (/%u), MAP-T needs an "
                   "address", me->ipv4_len);
        goto fail;
    }
    (void)ce;
    *rs_out = rs;
    *rules_out = rules;
    return 0;
fail:
    s46_ruleset_free(rs);
    free(rules);
    return -1;
}

int s46_ce_params_of(const s46_ce_conf *c, s46_ce_params *out, char *err, size_t errlen)
{
    s46_ruleset *rs;
    s46_maprule *rules;
    if (setup(NULL, c, &rs, &rules, out, err, errlen) < 0)
        return -1;
    s46_ruleset_free(rs);
    free(rules);
    return 0;
}

static bool peer_ok(const void *arg, const s46_ip6 *peer);
static const s46_stage *const ce_stages4[], *const ce_stages6[];
static const s46_stage *const cet_stages4[], *const cet_stages6[];
static bool cet_fix(s46_sw *sw, const s46_ctx *c, s46_xlat *x, bool from6);

/* MAP-T: every address but the CEs' by the DMR (RFC 6052). */
static bool dmr_to6(const void *arg, uint32_t a4, s46_ip6 *out)
{
    s46_rfc6052_embed(arg, a4, out);
    return true;
}

static bool dmr_to4(const void *arg, const s46_ip6 *a6, uint32_t *out)
{
    return s46_rfc6052_extract(arg, a6, out);
}

static void apply(s46_ce *ce, const s46_ce_conf *c)
{
    s46_sw *sw = &ce->sw;
    ce->c = *c;
    ce->c.rules = ce->rules;
    if (c->mapt) {
        ce->c.layout = S46_IID_RFC7597; /* RFC 7599 §6 */
        memset(&ce->c.br, 0, sizeof ce->c.br);
        uint16_t id = ce->x.next_id;
        s46_xlat_default(&ce->x);
        ce->x.to6 = dmr_to6;
        ce->x.to4 = dmr_to4;
        ce->x.arg = &ce->c.dmr;
        ce->x.next_id = id;
        ce->x.mtu4 = 65535; /* the LAN's MTU is the kernel's business */
        ce->x.mtu6 = c->ipv6_mtu;
        ce->x.lowest_mtu6 = c->lowest_ipv6_mtu;
        ce->x.ttl_decrement = c->ttl_decrement;
        sw->xlat = (s46_sw_xlat){&ce->x, cet_why, S46_CE_translated4, S46_CE_translated6,
                                 S46_CE_drop_xlat_other, cet_fix, NULL};
    }
    sw->dp.enc = (s46_encap){.src = ce->me.map_addr, .dst = c->br, .hop_limit = c->hop_limit,
                             .encap_limit = c->encap_limit};
    /* an IPv4 prefix: NAPT onto its first host address */
    ce->ext = ce->me.ipv4_len == 32 ? ce->me.ipv4
                                    : ce->me.ipv4 + (ce->me.ipv4_len <= 30 ? 1u : 0u);
    sw->local = ce->me.map_addr;
    sw->self4 = c->lan_ipv4; /* pings to the CE answered (Ethernet LAN) */
    sw->icmp_src = c->lan_ipv4 ? c->lan_ipv4 : ce->ext;
    sw->ttl_decrement = c->ttl_decrement;
    s46_pmtu_init(&sw->pmtu, c->ipv6_mtu);
    sw->ti = (s46_tunnel_icmp){&sw->local, peer_ok, ce, sw->icmp_src, S46_CE_path_mtu_lowered, 1,
                               NULL, false};
    sw->nat = (s46_sw_nat){ce->napt,          ce->ext,          ce->me.ipv4,
                           ce->me.ipv4_len,   ce->me.psid_offset, ce->me.psid_len,
                           ce->me.psid,       c->napt.share,    c->napt.shares,
                           nx_reason};
}

s46_ce *s46_ce_new(const s46_ce_conf *c, char *err, size_t errlen)
{
    s46_ce *ce = calloc(1, sizeof *ce);
    if (!ce) {
        s46_seterr(err, errlen, "out of memory");
        return NULL;
    }
    if (s46_sw_init(&ce->sw, &ce_desc, ce->cnt, c->mapt ? cet_ev : ce_ev, 100, 100) < 0) {
        s46_seterr(err, errlen, "out of memory");
        free(ce);
        return NULL;
    }
    ce->sw.mech = ce;
    ce->sw.stages[0] = c->mapt ? cet_stages4 : ce_stages4;
    ce->sw.stages[1] = c->mapt ? cet_stages6 : ce_stages6;
    if (setup(ce, c, &ce->rs, &ce->rules, &ce->me, err, errlen) < 0) {
        s46_ce_free(ce);
        return NULL;
    }
    apply(ce, c);
    s46_napt_config nc = c->napt;
    nc.ext_addr = ce->ext;
    nc.psid_offset = ce->me.psid_offset;
    nc.psid_len = ce->me.psid_len;
    nc.psid = ce->me.psid;
    ce->napt = s46_napt_new(&nc);
    if (!ce->napt) {
        s46_seterr(err, errlen, "cannot create the NAPT table (capacities?)");
        s46_ce_free(ce);
        return NULL;
    }
    ce->sw.nat.t = ce->napt;
    return ce;
}

int s46_ce_reconfigure(s46_ce *ce, const s46_ce_conf *c, char *err, size_t errlen)
{
    s46_ruleset *rs;
    s46_maprule *rules;
    s46_ce_params me;
    if (c->mapt != ce->c.mapt) {
        s46_seterr(err, errlen, "MAP-E and MAP-T: a new CE, not a reconfiguration");
        return -1;
    }
    if (setup(ce, c, &rs, &rules, &me, err, errlen) < 0)
        return -1;
    bool flush = me.ipv4 != ce->me.ipv4 || me.ipv4_len != ce->me.ipv4_len ||
                 me.psid != ce->me.psid || me.psid_len != ce->me.psid_len ||
                 me.psid_offset != ce->me.psid_offset;
    s46_ruleset_free(ce->rs);
    free(ce->rules);
    ce->rs = rs;
    ce->rules = rules;
    ce->me = me;
    apply(ce, c);
    s46_napt_set_policy(ce->napt, &c->napt);
    if (flush) /* RFC 7596 §5.1: a new address or port set flushes the NAPT */
        s46_napt_reset(ce->napt, ce->ext, me.psid_offset, me.psid_len, me.psid);
    return 0;
}

void s46_ce_free(s46_ce *ce)
{
    if (!ce)
        return;
    s46_napt_free(ce->napt);
    s46_sw_fini(&ce->sw);
    s46_ruleset_free(ce->rs);
    free(ce->rules);
    free(ce);
}

const s46_ce_params *s46_ce_params_get(const s46_ce *ce) { return &ce->me; }
const s46_counters *s46_ce_counters(const s46_ce *ce) { return &ce->sw.dp.counters; }
json_t *s46_ce_stages_json(const s46_ce *ce) { return s46_sw_stages_json(&ce->sw); }

void s46_ce_tick(s46_ce *ce, uint64_t now_ns)
{
    s46_napt_expire(ce->napt, now_s(now_ns), 4096);
    s46_pmtu_expire(&ce->sw.pmtu, now_ns);
}

/* Where an IPv4 destination goes: an FMR's CE (mesh, true) or the BR. */
static bool tunnel_dst(const s46_ce *ce, uint32_t dst, uint16_t dport, s46_ip6 *to)
{
    if (ce->c.mesh) {
        const s46_maprule *r = s46_ruleset_match4(ce->rs, dst, dport);
        s46_ce_params peer;
        if (r && s46_maprule_reverse(r, dst, dport, ce->c.layout, &peer, NULL, 0) == 0) {
            *to = peer.map_addr;
            return true;
        }
    }
    *to = ce->c.br;
    return false;
}

/* Domain lookup of a LAN packet, before its translation: the tunnel peer
 * where it goes (an ICMP error: where the packet it quotes came from), an
 * FMR's CE in mesh mode or the BR. */
static inline void peer4(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    const s46_ce *ce = sw->mech;
    const s46_l3 *l3 = &c->l3;
    uint8_t *ip = c->p->data;
    s46_quote q;
    bool fmr;
    if (l3->proto == S46_PROTO_ICMP && s46_icmp4_is_error(l3->icmp_type)) {
        if (!s46_icmp_quote(ip, l3, &q)) { /* the NAPT refuses it */
            c->peer = ce->c.br;
            fmr = false;
        } else {
            fmr = tunnel_dst(ce, s46_get32(q.ip + 12), q.l3.sport, &c->peer);
        }
    } else {
        fmr = tunnel_dst(ce, s46_get32(ip + 16), l3->dport, &c->peer);
    }
    c->peer_ctr = S46_EVC(fmr ? S46_CE_to_fmr : S46_CE_to_br);
}
S46_STAGE_LOCAL(st_peer4, "map_peer4", peer4);

/* Is a an FMR CE's MAP address (mesh)? Its parameters in *peer. */
static bool fmr_peer(const s46_ce *ce, const s46_ip6 *a, s46_ce_params *peer)
{
    const s46_maprule *r = ce->c.mesh ? s46_ruleset_match6(ce->rs, a) : NULL;
    if (!r)
        return false;
    s46_pfx6 eu = {*a, (uint8_t)(r->ipv6.len + r->ea_len)};
    s46_ip6_mask(&eu.addr, eu.len);
    return s46_maprule_derive(r, &eu, ce->c.layout, peer, NULL, 0) == 0 &&
           s46_ip6_eq(&peer->map_addr, a);
}

/* The peers our tunnel packets go to: the BR, and FMR CEs in mesh mode. */
static bool peer_ok(const void *arg, const s46_ip6 *peer)
{
    const s46_ce *ce = arg;
    s46_ce_params p;
    return s46_ip6_eq(peer, &ce->c.br) || fmr_peer(ce, peer, &p);
}

/* Source validation (RFC 7597 §8.1): the BR, or an FMR's CE whose inner
 * source address and port are its own. */
static inline void src6(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    const s46_ce *ce = sw->mech;
    if (s46_ip6_eq(&c->peer, &ce->c.br))
        return;
    s46_ce_params peer;
    const s46_l3 *in = &c->in;
    const uint8_t *ip = c->p->data + c->l3.l3_len;
    if (!fmr_peer(ce, &c->peer, &peer))
        return s46_sw_drop(sw, c, S46_CE_drop_wan_src_unknown);
    if ((s46_get32(ip + 12) & s46_mask4(peer.ipv4_len)) != peer.ipv4)
        return s46_sw_drop(sw, c, S46_CE_drop_wan_spoofed_address);
    if (peer.psid_len && in->has_ports && !s46_icmp4_is_error(in->icmp_type) &&
        !s46_port_in_set(peer.psid_offset, peer.psid_len, peer.psid, in->sport))
        return s46_sw_drop(sw, c, S46_CE_drop_wan_spoofed_port);
}
S46_STAGE_LOCAL(st_src6, "map_src6", src6);

/* The inner destination must be our address (or prefix). */
static inline void mine4(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    const s46_ce *ce = sw->mech;
    uint32_t dst = s46_get32(c->p->data + 16); /* decapsulated */
    if ((dst & s46_mask4(ce->me.ipv4_len)) != ce->me.ipv4)
        s46_sw_drop(sw, c, S46_CE_drop_inner_not_my_ipv4);
}
S46_STAGE_LOCAL(st_mine4, "mine4", mine4);

/* The MAP-E CE's composition. LAN in: reassembly, what the NAPT can
 * translate, the peer (BR or FMR CE), the router hop, the tunnel MTU, the
 * NAPT (hairpinning to ourselves), MSS, RFC 2473 from the MAP address.
 * WAN in: to the MAP address, reassembly (handed to the worker owning the
 * NAPT share), ICMPv6, IPv4-in-IPv6 from the BR or a consistent FMR CE to
 * our address, out of the tunnel, the reverse NAPT, MSS, to the LAN. */
static const s46_stage *const ce_stages4[] = {
    &s46_st_parse4, &s46_st_self4, &s46_st_reasm4, &s46_st_share4,   &s46_st_napt_check, &st_peer4,     &s46_st_ttl4,
    &s46_st_mtu4,   &s46_st_napt_out, &s46_st_mss_out,    &s46_st_encap, NULL,
};
static const s46_stage *const ce_stages6[] = {
    &s46_st_parse6, &s46_st_local6, &s46_st_reasm6, &s46_st_share6, &s46_st_echo6,
    &s46_st_relay6, &s46_st_ipip6,  &s46_st_inner4, &st_src6,       &s46_st_decap,
    &st_mine4,      &s46_st_napt_in, &s46_st_mss_in, &s46_st_out4,  NULL,
};

/* MAP-T (RFC 7599 §8.2): the sender is an address in the DMR prefix, or in
 * mesh mode an FMR CE's MAP address (whose address and ports map_inner_src
 * checks once translated); c->dom describes it (nothing to check for the
 * DMR). */
static inline void dmr_or_fmr6(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    const s46_ce *ce = sw->mech;
    memset(&c->dom, 0, sizeof c->dom);
    if (s46_pfx6_contains(&ce->c.dmr, &c->peer))
        return;
    s46_ce_params peer;
    if (!fmr_peer(ce, &c->peer, &peer))
        return s46_sw_drop(sw, c, S46_CE_drop_wan_src_unknown);
    c->dom = peer;
}
S46_STAGE_LOCAL(st_dmr_or_fmr6, "dmr_or_fmr6", dmr_or_fmr6);

/* The MAP-T CE's ends of a packet: 4->6 the source is our MAP address (the
 * NAPT made it ours), the destination an FMR CE's address when map_peer4
 * found one (else the DMR); 6->4 the destination is ours, the source an FMR
 * CE's when dmr_or_fmr6 found one. */
static bool cet_fix(s46_sw *sw, const s46_ctx *c, s46_xlat *x, bool from6)
{
    const s46_ce *ce = sw->mech;
    if (from6) {
        x->fix_dst6 = &ce->me.map_addr;
        x->fix_dst4 = ce->ext;
        x->fix_src6 = c->dom.ipv4_len ? &c->peer : NULL;
        x->fix_src4 = c->dom.ipv4;
        return c->dom.ipv4_len == 0 || c->dom.ipv4_len == 32;
    }
    x->fix_src6 = &ce->me.map_addr;
    x->fix_src4 = ce->ext;
    bool fmr = c->peer_ctr == S46_EVC(S46_CE_to_fmr);
    x->fix_dst6 = fmr ? &c->peer : NULL;
    x->fix_dst4 = s46_get32(c->p->data + 16);
    if (fmr && s46_get32(c->peer.b + 10) != x->fix_dst4)
        return false; /* an FMR CE with an IPv4 prefix */
    return true;
}

/* The MAP-T CE's composition. LAN in: as MAP-E's up to the NAPT, then
 * translation (the DF and MSS limits of mtu4 and mss_out leave 20 bytes
 * for the IPv6 header, s46_sw_room). WAN in: to the MAP address,
 * reassembly (handed to the worker owning the NAPT share), echo requests
 * answered, from the DMR or a consistent FMR CE, translated, the reverse
 * NAPT, MSS, to the LAN. */
static const s46_stage *const cet_stages4[] = {
    &s46_st_parse4, &s46_st_self4,    &s46_st_reasm4, &s46_st_share4,  &s46_st_napt_check, &st_peer4,
    &s46_st_ttl4,   &s46_st_mtu4,     &s46_st_napt_out, &s46_st_mss_out,   &s46_st_xlat4to6,
    NULL,
};
static const s46_stage *const cet_stages6[] = {
    &s46_st_parse6,         &s46_st_local6,         &s46_st_reasm6,  &s46_st_share6,
    &s46_st_echo6,          &st_dmr_or_fmr6,        &s46_st_xlat6to4_hold,
    &s46_st_map_inner_src,  &s46_st_napt_in,        &s46_st_mss_in,  &s46_st_out4,
    NULL,
};

void s46_ce_process(s46_ce *ce, s46_batch *b, uint16_t in_port, uint64_t now_ns)
{
    s46_sw_process(&ce->sw, b, in_port, now_ns);
}

json_t *s46_ce_show(const s46_ce *ce, uint64_t now_ns, unsigned max_mappings)
{
    char b[S46_IP6_STRLEN];
    json_t *o = s46_ce_params_json(&ce->me, ce->c.layout);
    json_t *maps = s46_napt_mappings_json(ce->napt, max_mappings);
    if (!o || !maps) {
        json_decref(o);
        json_decref(maps);
        return NULL;
    }
    json_object_set_new(o, "mechanism", json_string(ce->c.mapt ? "map_t" : "map_e"));
    if (ce->c.mapt) {
        char d[S46_PFX6_STRLEN];
        json_object_set_new(o, "dmr", json_string(s46_pfx6_format(&ce->c.dmr, d)));
    } else {
        json_object_set_new(o, "br", json_string(s46_ip6_format(&ce->c.br, b)));
    }
    json_object_set_new(o, "mesh", json_boolean(ce->c.mesh));
    json_object_set_new(o, "now", json_integer(now_s(now_ns)));
    json_object_set_new(o, "napt", s46_napt_state_json(ce->napt, ce->c.napt.filter));
    json_object_set_new(o, "mappings", maps);
    json_object_set_new(o, "stages", s46_sw_stages_json(&ce->sw));
    json_object_set_new(o, "counters", s46_counters_json(&ce->sw.dp.counters));
    return o;
}
