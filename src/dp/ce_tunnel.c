#include "dp/ce_tunnel.h"
#include "dp/softwire.h"
#include "dp/stages.h"
#include "dp/pipeline.h"
#include "dp/tunnel_icmp.h"
#include "dp/napt_json.h"
#include "dp/napt_rewrite.h"
#include "lib/csum.h"
#include "lib/err.h"
#include "lib/icmp.h"
#include "lib/mss.h"
#include "lib/tunnel.h"

#include <stdlib.h>
#include <string.h>

#define S46_CET_NAME(n, d) #n,
static const char *const cet_counter_names[] = {S46_CET_COUNTERS(S46_CET_NAME)};
#undef S46_CET_NAME

#define B4_WELL_KNOWN 0xc0000002u /* 192.0.0.2 (RFC 6333 §5.7) */

static const s46_dp_desc cet_desc = {
    cet_counter_names, S46_CET_NCOUNTERS, {S46_CET_lan_out, S46_CET_wan_out},
    S46_CET_icmp_errors_sent, S46_CET_drop_icmp_ratelimited, S46_CET_fragments_held,
    S46_CET_reassembled, S46_CET_drop_reassembly_failed, S46_CET_fragmented,
    S46_CET_drop_no_buffer, 32,
};

/* The shared stages' events as the tunnel CE counts them. */
static const uint16_t cet_ev[S46_EV_N] = {
    [S46_EV_IN4] = S46_EVC(S46_CET_lan_in),
    [S46_EV_IN6] = S46_EVC(S46_CET_wan_in),
    [S46_EV_V4_MALFORMED] = S46_EVC(S46_CET_drop_lan_malformed),
    [S46_EV_V6_MALFORMED] = S46_EVC(S46_CET_drop_wan_malformed),
    [S46_EV_TO_SELF4] = S46_EVC(S46_CET_drop_lan_to_ce),
    [S46_EV_NOT_LOCAL] = S46_EVC(S46_CET_drop_wan_not_local),
    [S46_EV_ECHO_REPLIES] = S46_EVC(S46_CET_echo_replies),
    [S46_EV_TTL_EXPIRED] = S46_EVC(S46_CET_drop_lan_ttl_expired),
    [S46_EV_TOO_BIG] = S46_EVC(S46_CET_drop_lan_too_big),
    [S46_EV_ENCAPSULATED] = S46_EVC(S46_CET_encapsulated),
    [S46_EV_DECAPSULATED] = S46_EVC(S46_CET_decapsulated),
    [S46_EV_NOT_IPIP] = S46_EVC(S46_CET_drop_wan_not_ipip),
    [S46_EV_ICMPV6_OTHER] = S46_EVC(S46_CET_drop_wan_icmpv6),
    [S46_EV_ICMP6_RELAYED] = S46_EVC(S46_CET_icmp6_relayed),
    [S46_EV_INNER_MALFORMED] = S46_EVC(S46_CET_drop_inner_malformed),
    [S46_EV_MSS_CLAMPED] = S46_EVC(S46_CET_mss_clamped),
    [S46_EV_UNSUPPORTED] = S46_EVC(S46_CET_drop_lan_unsupported_proto),
    [S46_EV_NAT_OUT] = S46_EVC(S46_CET_lan_napt),
    [S46_EV_NAT_IN] = S46_EVC(S46_CET_wan_napt),
    [S46_EV_NAT_CREATED] = S46_EVC(S46_CET_napt_mappings_created),
    [S46_EV_HAIRPINNED] = S46_EVC(S46_CET_hairpinned),
    [S46_EV_HAIRPIN_NO_MAPPING] = S46_EVC(S46_CET_drop_hairpin_no_mapping),
    [S46_EV_UNFINISHED] = S46_EVC(S46_CET_drop_unfinished),
};

/* Drop reasons of the NAPT translation outcomes. */
static const uint16_t nx_why[] = S46_NX_DROP_REASONS(S46_CET_);

struct s46_cet {
    s46_sw sw;                 /* the softwire pipeline (first: stages get it) */
    s46_cet_conf c;
    uint32_t nat;              /* ipip: the address the NAPT maps onto */
    s46_napt *napt;            /* ipip only */
    uint64_t cnt[S46_CET_NCOUNTERS];
};

void s46_cet_conf_default(s46_cet_conf *c)
{
    memset(c, 0, sizeof *c);
    c->kind = S46_CET_DSLITE;
    c->ipv6_mtu = 1500;
    c->hop_limit = 64;
    c->encap_limit = -1;
    c->ttl_decrement = true;
    s46_napt_config_default(&c->napt);
}

static uint32_t secs(uint64_t ns) { return (uint32_t)(ns / 1000000000ull); }

static bool unicast6(const s46_ip6 *a)
{
    static const s46_ip6 unspecified;
    return a->b[0] != 0xff && !s46_ip6_eq(a, &unspecified);
}

/* Validates c; *nat gets the NAT address (ipip), else 0. */
static int check(const s46_cet_conf *c, uint32_t *nat, char *err, size_t errlen)
{
    char b[S46_PFX4_STRLEN], a4[S46_IP4_STRLEN];
    *nat = 0;
    if (c->kind != S46_CET_DSLITE && c->kind != S46_CET_IPIP) {
        s46_seterr(err, errlen, "unknown tunnel mechanism %d", (int)c->kind);
        return -1;
    }
    if (!unicast6(&c->local) || !unicast6(&c->remote)) {
        s46_seterr(err, errlen, "tunnel endpoints must be unicast IPv6 addresses");
        return -1;
    }
    if (s46_ip6_eq(&c->local, &c->remote)) {
        s46_seterr(err, errlen, "the local and remote tunnel endpoints are the same address");
        return -1;
    }
    if (c->ipv6_mtu < 1280 || c->hop_limit == 0 || c->encap_limit < -1 ||
        c->encap_limit > 255) {
        s46_seterr(err, errlen, "ipv6_mtu below 1280, hop_limit 0 or encap_limit out of range");
        return -1;
    }
    if (c->kind == S46_CET_DSLITE)
        return 0;
    if (c->ipv4.len == 0 || c->ipv4.len > 32 || (c->ipv4.addr & ~s46_mask4(c->ipv4.len))) {
        s46_seterr(err, errlen, "ipv4: a prefix of length 1..32 without host bits is needed");
        return -1;
    }
    uint32_t a = c->nat_addr ? c->nat_addr : c->ipv4.addr + (c->ipv4.len <= 30 ? 1u : 0u);
    if (!s46_pfx4_contains(&c->ipv4, a)) {
        s46_seterr(err, errlen, "nat address %s is outside %s", s46_ip4_format(a, a4),
                   s46_pfx4_format(&c->ipv4, b));
        return -1;
    }
    *nat = a;
    return 0;
}

static unsigned tun_mtu(const s46_cet *t) { return s46_sw_mtu(&t->sw, &t->c.remote); }
static uint16_t mss_max(const s46_cet *t) { return (uint16_t)(s46_sw_room(&t->sw, &t->c.remote) - 40); }

static bool is_remote(const void *arg, const s46_ip6 *peer)
{
    return s46_ip6_eq(&((const s46_cet *)arg)->c.remote, peer);
}

static const s46_stage *const dslite_stages4[], *const dslite_stages6[], *const ipip_stages4[],
    *const ipip_stages6[];

static void apply(s46_cet *t, const s46_cet_conf *c, uint32_t nat)
{
    s46_sw *sw = &t->sw;
    bool ipip = c->kind == S46_CET_IPIP;
    t->c = *c;
    t->nat = nat;
    /* RFC 6333 §5.2/§7.1: the traffic class follows the IPv4 TOS */
    sw->dp.enc = (s46_encap){.src = c->local, .dst = c->remote, .hop_limit = c->hop_limit,
                             .encap_limit = c->encap_limit, .copy_tos = true};
    sw->local = c->local;
    sw->self4 = c->lan_ipv4; /* pings to the CE answered (Ethernet LAN) */
    sw->icmp_src = c->lan_ipv4 ? c->lan_ipv4 : ipip ? nat : B4_WELL_KNOWN;
    sw->ttl_decrement = c->ttl_decrement;
    s46_pmtu_init(&sw->pmtu, c->ipv6_mtu);
    sw->ti = (s46_tunnel_icmp){&sw->local, is_remote, t, sw->icmp_src, S46_CET_path_mtu_lowered,
                               1, NULL, false};
    sw->nat = (s46_sw_nat){ipip ? t->napt : NULL, nat, nat, 32, 0, 0, 0,
                           c->napt.share, c->napt.shares, nx_why};
    sw->stages[0] = ipip ? ipip_stages4 : dslite_stages4;
    sw->stages[1] = ipip ? ipip_stages6 : dslite_stages6;
}

/* The NAPT of an ipip CE: the NAT address with the whole port space. */
static s46_napt *new_napt(const s46_cet_conf *c, uint32_t nat)
{
    s46_napt_config nc = c->napt;
    nc.ext_addr = nat;
    nc.psid_offset = 0;
    nc.psid_len = 0;
    nc.psid = 0;
    return s46_napt_new(&nc);
}

s46_cet *s46_cet_new(const s46_cet_conf *c, char *err, size_t errlen)
{
    uint32_t nat;
    if (check(c, &nat, err, errlen) < 0)
        return NULL;
    s46_cet *t = calloc(1, sizeof *t);
    if (!t) {
        s46_seterr(err, errlen, "out of memory");
        return NULL;
    }
    if (s46_sw_init(&t->sw, &cet_desc, t->cnt, cet_ev, 100, 100) < 0) {
        s46_seterr(err, errlen, "out of memory");
        free(t);
        return NULL;
    }
    t->sw.mech = t;
    if (c->kind == S46_CET_IPIP && !(t->napt = new_napt(c, nat))) {
        s46_seterr(err, errlen, "cannot allocate the NAPT table (capacities?)");
        s46_cet_free(t);
        return NULL;
    }
    apply(t, c, nat);
    return t;
}

void s46_cet_free(s46_cet *t)
{
    if (!t)
        return;
    s46_napt_free(t->napt);
    s46_sw_fini(&t->sw);
    free(t);
}

int s46_cet_reconfigure(s46_cet *t, const s46_cet_conf *c, char *err, size_t errlen)
{
    uint32_t nat;
    if (check(c, &nat, err, errlen) < 0)
        return -1;
    if (c->kind != S46_CET_IPIP) {
        s46_napt_free(t->napt);
        t->napt = NULL;
    } else if (!t->napt) {
        if (!(t->napt = new_napt(c, nat))) {
            s46_seterr(err, errlen, "cannot allocate the NAPT table (capacities?)");
            return -1;
        }
    } else {
        s46_napt_set_policy(t->napt, &c->napt);
        if (nat != t->nat) /* mappings onto the old address are worthless */
            s46_napt_reset(t->napt, nat, 0, 0, 0);
    }
    apply(t, c, nat);
    return 0;
}

const s46_counters *s46_cet_counters(const s46_cet *t) { return &t->sw.dp.counters; }

void s46_cet_tick(s46_cet *t, uint64_t now_ns)
{
    if (t->napt)
        s46_napt_expire(t->napt, secs(now_ns), 4096);
    s46_pmtu_expire(&t->sw.pmtu, now_ns);
}

/* ipip: a LAN source inside the fixed prefix (but the NAT address) is sent
 * unchanged; any other goes through the NAPT. */
static inline void fixed4(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    const s46_cet *t = sw->mech;
    uint32_t src = s46_get32(c->p->data + 12);
    if (src != t->nat && s46_pfx4_contains(&t->c.ipv4, src)) {
        c->fixed = true;
        t->sw.dp.cnt[S46_CET_lan_fixed_source]++;
    }
}
S46_STAGE_LOCAL(st_fixed4, "fixed_src4", fixed4);

/* Only the tunnel's own fragments take up reassembly room. */
static inline void remote_frag6(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    const s46_cet *t = sw->mech;
    if (c->l3.is_fragment && !s46_ip6_eq(&c->peer, &t->c.remote))
        s46_sw_drop(sw, c, S46_CET_drop_wan_src_not_remote);
}
S46_STAGE_LOCAL(st_remote_frag6, "remote_fragments6", remote_frag6);

/* Everything but ICMPv6 must come from the remote endpoint. */
static inline void remote6(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    const s46_cet *t = sw->mech;
    if (!s46_ip6_eq(&c->peer, &t->c.remote))
        s46_sw_drop(sw, c, S46_CET_drop_wan_src_not_remote);
}
S46_STAGE_LOCAL(st_remote6, "remote6", remote6);

/* ipip: where a decapsulated packet may go: an address of the fixed prefix
 * unchanged, the NAT address through the reverse NAPT (its fragments
 * reassembled first), anything else dropped. */
static inline void fixed_dst4(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    const s46_cet *t = sw->mech;
    uint32_t dst = s46_get32(c->p->data + 16);
    if (dst != t->nat) {
        if (!s46_pfx4_contains(&t->c.ipv4, dst))
            return s46_sw_drop(sw, c, S46_CET_drop_inner_not_my_ipv4);
        c->fixed = true;
        sw->dp.cnt[S46_CET_wan_fixed_destination]++;
        return;
    }
    if (c->in.is_fragment && !s46_dp_reasm(&sw->dp, false, c->p, &c->in, now))
        c->done = true;
}
S46_STAGE_LOCAL(st_fixed_dst4, "fixed_dst4", fixed_dst4);

/* DS-Lite B4: LAN packets of any protocol, fragments as they are, into the
 * tunnel to the AFTR (which does the NAT); the AFTR's packets to the LAN. */
static const s46_stage *const dslite_stages4[] = {
    &s46_st_parse4, &s46_st_self4, &s46_st_ttl4, &s46_st_mtu4, &s46_st_mss_out, &s46_st_encap, NULL,
};
static const s46_stage *const dslite_stages6[] = {
    &s46_st_parse6, &s46_st_local6, &st_remote_frag6, &s46_st_reasm6, &s46_st_echo6,
    &s46_st_relay6, &st_remote6,    &s46_st_ipip6,    &s46_st_inner4, &s46_st_decap,
    &s46_st_mss_in, &s46_st_out4,   NULL,
};
/* ipip: the same with the NAPT for the sources outside the fixed prefix. */
static const s46_stage *const ipip_stages4[] = {
    &s46_st_parse4, &s46_st_self4, &st_fixed4,       &s46_st_reasm4, &s46_st_share4,  &s46_st_napt_check, &s46_st_ttl4,
    &s46_st_mtu4,   &s46_st_napt_out, &s46_st_mss_out, &s46_st_encap,      NULL,
};
static const s46_stage *const ipip_stages6[] = {
    &s46_st_parse6, &s46_st_local6, &st_remote_frag6, &s46_st_reasm6,  &s46_st_share6,
    &s46_st_echo6,  &s46_st_relay6, &st_remote6,      &s46_st_ipip6,   &s46_st_inner4,
    &s46_st_decap,  &st_fixed_dst4, &s46_st_napt_in,  &s46_st_mss_in,  &s46_st_out4,
    NULL,
};

void s46_cet_process(s46_cet *t, s46_batch *b, uint16_t in_port, uint64_t now_ns)
{
    s46_sw_process(&t->sw, b, in_port, now_ns);
}

json_t *s46_cet_show(const s46_cet *t, uint64_t now_ns, unsigned max_mappings)
{
    char b6[S46_IP6_STRLEN], b4[S46_PFX4_STRLEN];
    bool ipip = t->c.kind == S46_CET_IPIP;
    json_t *o = json_object();
    json_t *maps = ipip ? s46_napt_mappings_json(t->napt, max_mappings) : json_array();
    if (!o || !maps) {
        json_decref(o);
        json_decref(maps);
        return NULL;
    }
    json_object_set_new(o, "mechanism", json_string(ipip ? "ipip" : "dslite"));
    json_object_set_new(o, "local", json_string(s46_ip6_format(&t->c.local, b6)));
    json_object_set_new(o, "remote", json_string(s46_ip6_format(&t->c.remote, b6)));
    json_object_set_new(o, "ipv4",
                        ipip ? json_string(s46_pfx4_format(&t->c.ipv4, b4)) : json_null());
    json_object_set_new(o, "nat_address",
                        ipip ? json_string(s46_ip4_format(t->nat, b4)) : json_null());
    json_object_set_new(o, "ipv6_mtu", json_integer(t->c.ipv6_mtu));
    json_object_set_new(o, "path_mtu", json_integer(tun_mtu(t)));
    json_object_set_new(o, "mss", json_integer(mss_max(t)));
    json_object_set_new(o, "now", json_integer(secs(now_ns)));
    json_object_set_new(o, "napt",
                        ipip ? s46_napt_state_json(t->napt, t->c.napt.filter) : json_null());
    json_object_set_new(o, "mappings", maps);
    json_object_set_new(o, "stages", s46_sw_stages_json(&t->sw));
    json_object_set_new(o, "counters", s46_counters_json(&t->sw.dp.counters));
    return o;
}
