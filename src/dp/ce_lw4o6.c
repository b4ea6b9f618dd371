#include "dp/ce_lw4o6.h"
#include "dp/softwire.h"
#include "dp/stages.h"
#include "dp/pipeline.h"
#include "dp/napt_json.h"
#include "dp/napt_rewrite.h"
#include "dp/tunnel_icmp.h"
#include "lib/ce_params_json.h"
#include "lib/err.h"
#include "lib/maprule.h"
#include "lib/tunnel.h"

#include <stdlib.h>
#include <string.h>

#define S46_LWB4_NAME(n, d) #n,
static const char *const lwb4_counter_names[] = {S46_LWB4_COUNTERS(S46_LWB4_NAME)};
#undef S46_LWB4_NAME

static const s46_dp_desc lwb4_desc = {
    lwb4_counter_names, S46_LWB4_NCOUNTERS, {S46_LWB4_lan_out, S46_LWB4_wan_out},
    S46_LWB4_icmp_errors_sent, S46_LWB4_drop_icmp_ratelimited, S46_LWB4_fragments_held,
    S46_LWB4_reassembled, S46_LWB4_drop_reassembly_failed, S46_LWB4_fragmented,
    S46_LWB4_drop_no_buffer, 32,
};

/* The shared stages' events as the lwB4 counts them. */
static const uint16_t lwb4_ev[S46_EV_N] = {
    [S46_EV_IN4] = S46_EVC(S46_LWB4_lan_in),
    [S46_EV_IN6] = S46_EVC(S46_LWB4_wan_in),
    [S46_EV_V4_MALFORMED] = S46_EVC(S46_LWB4_drop_lan_malformed),
    [S46_EV_V6_MALFORMED] = S46_EVC(S46_LWB4_drop_wan_malformed),
    [S46_EV_TO_SELF4] = S46_EVC(S46_LWB4_drop_lan_to_ce),
    [S46_EV_NOT_LOCAL] = S46_EVC(S46_LWB4_drop_wan_not_b4_address),
    [S46_EV_ECHO_REPLIES] = S46_EVC(S46_LWB4_echo_replies),
    [S46_EV_TTL_EXPIRED] = S46_EVC(S46_LWB4_drop_lan_ttl_expired),
    [S46_EV_TOO_BIG] = S46_EVC(S46_LWB4_drop_lan_too_big),
    [S46_EV_ENCAPSULATED] = S46_EVC(S46_LWB4_encapsulated),
    [S46_EV_DECAPSULATED] = S46_EVC(S46_LWB4_decapsulated),
    [S46_EV_NOT_IPIP] = S46_EVC(S46_LWB4_drop_wan_not_ipip),
    [S46_EV_ICMPV6_OTHER] = S46_EVC(S46_LWB4_drop_wan_icmpv6),
    [S46_EV_ICMP6_RELAYED] = S46_EVC(S46_LWB4_icmp6_relayed),
    [S46_EV_INNER_MALFORMED] = S46_EVC(S46_LWB4_drop_inner_malformed),
    [S46_EV_MSS_CLAMPED] = S46_EVC(S46_LWB4_mss_clamped),
    [S46_EV_UNSUPPORTED] = S46_EVC(S46_LWB4_drop_lan_unsupported_proto),
    [S46_EV_NAT_OUT] = S46_EVC(S46_LWB4_napt_out),
    [S46_EV_NAT_IN] = S46_EVC(S46_LWB4_napt_in),
    [S46_EV_NAT_CREATED] = S46_EVC(S46_LWB4_napt_mappings_created),
    [S46_EV_HAIRPINNED] = S46_EVC(S46_LWB4_hairpinned),
    [S46_EV_HAIRPIN_NO_MAPPING] = S46_EVC(S46_LWB4_drop_hairpin_no_mapping),
    [S46_EV_UNFINISHED] = S46_EVC(S46_LWB4_drop_unfinished),
};

/* Drop reasons of the NAPT translation outcomes. */
static const uint16_t nx_why[] = S46_NX_DROP_REASONS(S46_LWB4_);

struct s46_lwb4 {
    s46_sw sw;                 /* the softwire pipeline (first: stages get it) */
    s46_lwb4_conf c;
    s46_napt *napt;
    uint64_t cnt[S46_LWB4_NCOUNTERS];
};

void s46_lwb4_conf_default(s46_lwb4_conf *c)
{
    memset(c, 0, sizeof *c);
    c->ipv6_mtu = 1500;
    c->hop_limit = 64;
    c->encap_limit = -1;
    s46_napt_config_default(&c->napt);
}

static uint32_t secs(uint64_t ns) { return (uint32_t)(ns / 1000000000ull); }

static bool unicast6(const s46_ip6 *a)
{
    static const s46_ip6 unspecified;
    return a->b[0] != 0xff && !s46_ip6_eq(a, &unspecified);
}

static int check(const s46_lwb4_conf *c, char *err, size_t errlen)
{
    if (!unicast6(&c->b4) || !unicast6(&c->lwaftr)) {
        s46_seterr(err, errlen, "the B4 and lwAFTR addresses must be unicast IPv6 addresses");
        return -1;
    }
    if (s46_ip6_eq(&c->b4, &c->lwaftr)) {
        s46_seterr(err, errlen, "the B4 and lwAFTR addresses are the same address");
        return -1;
    }
    if (c->ipv4 == 0) {
        s46_seterr(err, errlen, "no IPv4 address");
        return -1;
    }
    if (c->psid_len > 16 || c->psid_offset > 15 || c->psid_offset + c->psid_len > 16) {
        s46_seterr(err, errlen, "psid_offset + psid_length must be at most 16");
        return -1;
    }
    if (c->psid_len < 16 && c->psid >= (1u << c->psid_len)) {
        s46_seterr(err, errlen, "psid %u does not fit in psid_length %u bits", c->psid,
                   c->psid_len);
        return -1;
    }
    if (c->ipv6_mtu < 1280 || c->hop_limit == 0 || c->encap_limit < -1 ||
        c->encap_limit > 255) {
        s46_seterr(err, errlen, "ipv6_mtu below 1280, hop_limit 0 or encap_limit out of range");
        return -1;
    }
    return 0;
}

static bool is_lwaftr(const void *arg, const s46_ip6 *peer)
{
    return s46_ip6_eq(&((const s46_lwb4 *)arg)->c.lwaftr, peer);
}

static const s46_stage *const lwb4_stages4[], *const lwb4_stages6[];

static void apply(s46_lwb4 *b, const s46_lwb4_conf *c)
{
    s46_sw *sw = &b->sw;
    b->c = *c;
    sw->dp.enc = (s46_encap){.src = c->b4, .dst = c->lwaftr, .hop_limit = c->hop_limit,
                             .encap_limit = c->encap_limit};
    sw->local = c->b4;
    sw->self4 = c->lan_ipv4; /* pings to the CE answered (Ethernet LAN) */
    sw->icmp_src = c->lan_ipv4 ? c->lan_ipv4 : c->ipv4;
    sw->ttl_decrement = c->ttl_decrement;
    s46_pmtu_init(&sw->pmtu, c->ipv6_mtu);
    sw->ti = (s46_tunnel_icmp){&sw->local, is_lwaftr, b, sw->icmp_src,
                               S46_LWB4_path_mtu_lowered, 1, NULL, false};
    sw->nat = (s46_sw_nat){b->napt,         c->ipv4,         c->ipv4,
                           32,              c->psid_offset,  c->psid_len,
                           c->psid,         c->napt.share,   c->napt.shares,
                           nx_why};
    sw->stages[0] = lwb4_stages4;
    sw->stages[1] = lwb4_stages6;
}

s46_lwb4 *s46_lwb4_new(const s46_lwb4_conf *c, char *err, size_t errlen)
{
    if (check(c, err, errlen) < 0)
        return NULL;
    s46_lwb4 *b = calloc(1, sizeof *b);
    if (!b) {
        s46_seterr(err, errlen, "out of memory");
        return NULL;
    }
    if (s46_sw_init(&b->sw, &lwb4_desc, b->cnt, lwb4_ev, 100, 100) < 0) {
        s46_seterr(err, errlen, "out of memory");
        free(b);
        return NULL;
    }
    b->sw.mech = b;
    s46_napt_config nc = c->napt;
    nc.ext_addr = c->ipv4;
    nc.psid_offset = c->psid_offset;
    nc.psid_len = c->psid_len;
    nc.psid = c->psid;
    if (!(b->napt = s46_napt_new(&nc))) {
        s46_seterr(err, errlen, "cannot create the NAPT table (capacities?)");
        s46_lwb4_free(b);
        return NULL;
    }
    apply(b, c);
    return b;
}

void s46_lwb4_free(s46_lwb4 *b)
{
    if (!b)
        return;
    s46_napt_free(b->napt);
    s46_sw_fini(&b->sw);
    free(b);
}

int s46_lwb4_reconfigure(s46_lwb4 *b, const s46_lwb4_conf *c, char *err, size_t errlen)
{
    if (check(c, err, errlen) < 0)
        return -1;
    bool flush = c->ipv4 != b->c.ipv4 || c->psid != b->c.psid || c->psid_len != b->c.psid_len ||
                 c->psid_offset != b->c.psid_offset;
    s46_napt_set_policy(b->napt, &c->napt);
    if (flush) /* RFC 7596 §5.1: a new address or port set flushes the NAPT */
        s46_napt_reset(b->napt, c->ipv4, c->psid_offset, c->psid_len, c->psid);
    apply(b, c);
    return 0;
}

const s46_counters *s46_lwb4_counters(const s46_lwb4 *b) { return &b->sw.dp.counters; }

void s46_lwb4_tick(s46_lwb4 *b, uint64_t now_ns)
{
    s46_napt_expire(b->napt, secs(now_ns), 4096);
    s46_pmtu_expire(&b->sw.pmtu, now_ns);
}

/* Only the lwAFTR's fragments take up reassembly room. */
static inline void lwaftr_frag6(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    if (c->l3.is_fragment && !is_lwaftr(sw->mech, &c->peer))
        s46_sw_drop(sw, c, S46_LWB4_drop_wan_src_not_lwaftr);
}
S46_STAGE_LOCAL(st_lwaftr_frag6, "lwaftr_fragments6", lwaftr_frag6);

/* Source check (RFC 7596 §5.2): IPv4-in-IPv6 only from the lwAFTR. */
static inline void lwaftr6(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    if (!is_lwaftr(sw->mech, &c->peer))
        s46_sw_drop(sw, c, S46_LWB4_drop_wan_src_not_lwaftr);
}
S46_STAGE_LOCAL(st_lwaftr6, "lwaftr6", lwaftr6);

/* Destination check: the inner destination must be our IPv4 address (its
 * port is checked by the reverse NAPT). */
static inline void mine4(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    const s46_lwb4 *b = sw->mech;
    if (s46_get32(c->p->data + c->l3.l3_len + 16) != b->c.ipv4)
        s46_sw_drop(sw, c, S46_LWB4_drop_inner_not_my_ipv4);
}
S46_STAGE_LOCAL(st_mine4, "mine4", mine4);

/* The lwB4's composition. LAN in: reassembly, what the NAPT can translate,
 * the router hop, the tunnel MTU, the NAPT into the port set (hairpinning
 * to ourselves), MSS, RFC 2473 from the B4 address to the lwAFTR.
 * WAN in: to the B4 address, the lwAFTR's fragments reassembled (handed to
 * the worker owning the NAPT share), ICMPv6, IPv4-in-IPv6 from the lwAFTR
 * to our IPv4 address, out of the tunnel, the reverse NAPT, MSS, to the
 * LAN. */
static const s46_stage *const lwb4_stages4[] = {
    &s46_st_parse4, &s46_st_self4,    &s46_st_reasm4, &s46_st_share4,  &s46_st_napt_check, &s46_st_ttl4,
    &s46_st_mtu4,   &s46_st_napt_out, &s46_st_mss_out, &s46_st_encap,      NULL,
};
static const s46_stage *const lwb4_stages6[] = {
    &s46_st_parse6, &s46_st_local6,  &st_lwaftr_frag6, &s46_st_reasm6, &s46_st_share6,
    &s46_st_echo6,  &s46_st_relay6,  &s46_st_ipip6,    &s46_st_inner4, &st_lwaftr6,
    &st_mine4,      &s46_st_decap,   &s46_st_napt_in,  &s46_st_mss_in, &s46_st_out4,
    NULL,
};

void s46_lwb4_process(s46_lwb4 *b, s46_batch *batch, uint16_t in_port, uint64_t now_ns)
{
    s46_sw_process(&b->sw, batch, in_port, now_ns);
}

json_t *s46_lwb4_show(const s46_lwb4 *b, uint64_t now_ns, unsigned max_mappings)
{
    char b6[S46_IP6_STRLEN];
    /* the port set as `s46 calc` shows it */
    s46_ce_params cp = {.eu_prefix = {b->c.b4, 128}, .ipv4 = b->c.ipv4, .ipv4_len = 32,
                        .psid = b->c.psid, .psid_len = b->c.psid_len,
                        .psid_offset = b->c.psid_offset, .map_addr = b->c.b4};
    json_t *o = s46_ce_params_json(&cp, S46_IID_RFC7597);
    json_t *maps = s46_napt_mappings_json(b->napt, max_mappings);
    if (!o || !maps) {
        json_decref(o);
        json_decref(maps);
        return NULL;
    }
    json_object_del(o, "prefix");
    json_object_del(o, "iid");
    json_object_del(o, "ipv4_prefix_len");
    json_object_del(o, "ce_ipv6");
    json_object_set_new(o, "mechanism", json_string("lw4o6"));
    json_object_set_new(o, "b4", json_string(s46_ip6_format(&b->c.b4, b6)));
    json_object_set_new(o, "lwaftr", json_string(s46_ip6_format(&b->c.lwaftr, b6)));
    json_object_set_new(o, "ipv6_mtu", json_integer(b->c.ipv6_mtu));
    json_object_set_new(o, "path_mtu", json_integer(s46_sw_mtu(&b->sw, &b->c.lwaftr)));
    json_object_set_new(o, "now", json_integer(secs(now_ns)));
    json_object_set_new(o, "napt", s46_napt_state_json(b->napt, b->c.napt.filter));
    json_object_set_new(o, "mappings", maps);
    json_object_set_new(o, "stages", s46_sw_stages_json(&b->sw));
    json_object_set_new(o, "counters", s46_counters_json(&b->sw.dp.counters));
    return o;
}
