#include "dp/clat.h"

#include <stdlib.h>
#include <string.h>

#include "dp/napt_json.h"
#include "dp/napt_rewrite.h"
#include "dp/pipeline.h"
#include "dp/softwire.h"
#include "dp/stages.h"
#include "lib/csum.h"
#include "lib/err.h"
#include "lib/mss.h"
#include "lib/parse.h"
#include "lib/rfc6052.h"
#include "lib/xlat.h"

#define S46_CLAT_NAME(n, d) #n,
static const char *const counter_names[] = {S46_CLAT_COUNTERS(S46_CLAT_NAME)};
#undef S46_CLAT_NAME

static const s46_dp_desc clat_desc = {
    counter_names, S46_CLAT_NCOUNTERS, {S46_CLAT_lan_out, S46_CLAT_wan_out},
    S46_CLAT_icmp_errors_sent, S46_CLAT_drop_icmp_ratelimited, S46_CLAT_fragments_held,
    S46_CLAT_reassembled, S46_CLAT_drop_reassembly_failed, S46_CLAT_fragmented,
    S46_CLAT_drop_no_buffer, 32,
};

/* The shared stages' events as the CLAT counts them. */
static const uint16_t clat_ev[S46_EV_N] = {
    [S46_EV_IN4] = S46_EVC(S46_CLAT_lan_in),
    [S46_EV_IN6] = S46_EVC(S46_CLAT_wan_in),
    [S46_EV_V4_MALFORMED] = S46_EVC(S46_CLAT_drop_lan_malformed),
    [S46_EV_V6_MALFORMED] = S46_EVC(S46_CLAT_drop_wan_malformed),
    [S46_EV_TO_SELF4] = S46_EVC(S46_CLAT_drop_lan_to_ce),
    [S46_EV_NOT_LOCAL] = S46_EVC(S46_CLAT_drop_wan_not_clat_address),
    [S46_EV_ECHO_REPLIES] = S46_EVC(S46_CLAT_echo_replies),
    [S46_EV_TTL_EXPIRED] = S46_EVC(S46_CLAT_drop_lan_ttl_expired),
    [S46_EV_TOO_BIG] = S46_EVC(S46_CLAT_drop_lan_too_big),
    [S46_EV_UNSUPPORTED] = S46_EVC(S46_CLAT_drop_lan_unsupported_proto),
    [S46_EV_NAT_OUT] = S46_EVC(S46_CLAT_napt_out),
    [S46_EV_NAT_IN] = S46_EVC(S46_CLAT_napt_in),
    [S46_EV_NAT_CREATED] = S46_EVC(S46_CLAT_napt_mappings_created),
    [S46_EV_HAIRPINNED] = S46_EVC(S46_CLAT_hairpinned),
    [S46_EV_HAIRPIN_NO_MAPPING] = S46_EVC(S46_CLAT_drop_hairpin_no_mapping),
    [S46_EV_UNFINISHED] = S46_EVC(S46_CLAT_drop_unfinished),
};

/* What the NAPT's refusals are counted as. */
static const uint16_t nx_why[] = S46_NX_DROP_REASONS(S46_CLAT_);

/* What the translator's refusals are counted as. */
static const uint16_t xlat_why[S46_XR_N] = {
    [S46_XR_OK] = S46_CLAT_drop_unfinished,
    [S46_XR_MALFORMED] = S46_CLAT_drop_xlat_malformed,
    [S46_XR_TTL] = S46_CLAT_drop_ttl_expired,
    [S46_XR_TOO_BIG] = S46_CLAT_drop_too_big,
    [S46_XR_SRC_ROUTE] = S46_CLAT_drop_source_route,
    [S46_XR_SEG_LEFT] = S46_CLAT_drop_segments_left,
    [S46_XR_NO_MAPPING] = S46_CLAT_drop_no_mapping,
    [S46_XR_ICMP_TYPE] = S46_CLAT_drop_icmp_untranslatable,
    [S46_XR_ICMP_FRAGMENT] = S46_CLAT_drop_icmp_fragment,
    [S46_XR_QUOTE] = S46_CLAT_drop_quote,
    [S46_XR_UDP_ZERO] = S46_CLAT_drop_udp_zero_checksum,
    [S46_XR_NO_ROOM] = S46_CLAT_drop_no_room,
};

struct s46_clat {
    s46_sw sw;                 /* first: the stages get it */
    s46_clat_conf c;
    s46_napt *napt;
    s46_xlat x;
    uint64_t cnt[S46_CLAT_NCOUNTERS];
};

void s46_clat_conf_default(s46_clat_conf *c)
{
    memset(c, 0, sizeof *c);
    c->clat4 = S46_CLAT_IPV4_DEFAULT;
    c->rfc6791 = S46_CLAT_RFC6791_DEFAULT;
    c->ipv6_mtu = c->lan_mtu = 1500;
    c->lowest_ipv6_mtu = 1280;
    s46_napt_config_default(&c->napt);
}

static uint32_t secs(uint64_t ns) { return (uint32_t)(ns / 1000000000ull); }

/* The CLAT's address map: its IPv4 address <-> its IPv6 address, every
 * other address embedded in (extracted from) the NAT64 prefix. */
static bool to6(const void *arg, uint32_t a4, s46_ip6 *out)
{
    const s46_clat *x = arg;
    if (a4 == x->c.clat4)
        *out = x->c.clat6;
    else
        s46_rfc6052_embed(&x->c.nat64, a4, out);
    return true;
}

static bool to4(const void *arg, const s46_ip6 *a6, uint32_t *out)
{
    const s46_clat *x = arg;
    if (s46_ip6_eq(a6, &x->c.clat6)) {
        *out = x->c.clat4;
        return true;
    }
    return s46_rfc6052_extract(&x->c.nat64, a6, out);
}

static int check(const s46_clat_conf *c, char *err, size_t errlen)
{
    static const s46_ip6 unspecified;
    if (!s46_rfc6052_len_ok(c->nat64.len)) {
        s46_seterr(err, errlen, "nat64prefix: length must be 32, 40, 48, 56, 64 or 96");
        return -1;
    }
    if (c->clat6.b[0] == 0xff || s46_ip6_eq(&c->clat6, &unspecified) ||
        s46_pfx6_contains(&c->nat64, &c->clat6)) {
        s46_seterr(err, errlen, "the CLAT IPv6 address must be unicast and outside the NAT64 prefix");
        return -1;
    }
    if (c->clat4 == 0) {
        s46_seterr(err, errlen, "no CLAT IPv4 address");
        return -1;
    }
    if (c->ipv6_mtu < 1280 || c->lan_mtu < 68 || c->lowest_ipv6_mtu < 1280) {
        s46_seterr(err, errlen, "ipv6_mtu or lowest_ipv6_mtu below 1280, or lan_mtu below 68");
        return -1;
    }
    return 0;
}

static const s46_stage *const clat_stages4[], *const clat_stages6[];

static void apply(s46_clat *x, const s46_clat_conf *c)
{
    s46_sw *sw = &x->sw;
    x->c = *c;
    s46_ip6_mask(&x->c.nat64.addr, x->c.nat64.len);
    uint16_t id = x->x.next_id;
    s46_xlat_default(&x->x);
    x->x.next_id = id;
    x->x.to6 = to6;
    x->x.to4 = to4;
    x->x.arg = x;
    x->x.rfc6791_src = c->rfc6791;
    x->x.mtu4 = c->lan_mtu;
    x->x.mtu6 = c->ipv6_mtu;
    x->x.lowest_mtu6 = c->lowest_ipv6_mtu;
    x->x.ttl_decrement = c->ttl_decrement;
    sw->local = c->clat6;
    sw->self4 = c->lan_ipv4;
    sw->icmp_src = c->lan_ipv4 ? c->lan_ipv4 : c->clat4;
    sw->ttl_decrement = c->ttl_decrement;
    sw->ipv4_mtu = c->lan_mtu;
    sw->xlat_keep6to4 = true; /* translated, then the reverse NAPT */
    sw->nat = (s46_sw_nat){x->napt, c->clat4, c->clat4, 32, 0, 0, 0,
                           c->napt.share, c->napt.shares, nx_why};
    sw->xlat = (s46_sw_xlat){&x->x, xlat_why, S46_CLAT_translated4, S46_CLAT_translated6,
                             S46_CLAT_drop_frag_too_big, NULL, NULL};
    sw->stages[0] = clat_stages4;
    sw->stages[1] = clat_stages6;
}

s46_clat *s46_clat_new(const s46_clat_conf *c, char *err, size_t errlen)
{
    if (check(c, err, errlen) < 0)
        return NULL;
    s46_clat *x = calloc(1, sizeof *x);
    if (!x) {
        s46_seterr(err, errlen, "out of memory");
        return NULL;
    }
    if (s46_sw_init(&x->sw, &clat_desc, x->cnt, clat_ev, 100, 100) < 0) {
        s46_seterr(err, errlen, "out of memory");
        free(x);
        return NULL;
    }
    x->sw.mech = x;
    s46_napt_config nc = c->napt;
    nc.ext_addr = c->clat4;
    nc.psid_offset = nc.psid_len = 0;
    nc.psid = 0;
    if (!(x->napt = s46_napt_new(&nc))) {
        s46_seterr(err, errlen, "cannot create the NAPT table (capacities?)");
        s46_clat_free(x);
        return NULL;
    }
    apply(x, c);
    return x;
}

void s46_clat_free(s46_clat *x)
{
    if (!x)
        return;
    s46_napt_free(x->napt);
    s46_sw_fini(&x->sw);
    free(x);
}

int s46_clat_reconfigure(s46_clat *x, const s46_clat_conf *c, char *err, size_t errlen)
{
    if (check(c, err, errlen) < 0)
        return -1;
    bool flush = c->clat4 != x->c.clat4;
    s46_napt_set_policy(x->napt, &c->napt);
    if (flush)
        s46_napt_reset(x->napt, c->clat4, 0, 0, 0);
    apply(x, c);
    return 0;
}

void s46_clat_process(s46_clat *x, s46_batch *b, uint16_t side, uint64_t now_ns)
{
    s46_sw_process(&x->sw, b, side, now_ns);
}

void s46_clat_tick(s46_clat *x, uint64_t now_ns) { s46_napt_expire(x->napt, secs(now_ns), 4096); }

const s46_counters *s46_clat_counters(const s46_clat *x) { return &x->sw.dp.counters; }

/* What the translator would refuse with an ICMPv4 error, answered to the
 * LAN host before the NAPT hides its address: an unexpired source route
 * (3/5, RFC 7915 §4.1), DF set and too big once translated (20 bytes
 * more: Fragmentation Needed with that MTU). */
static inline void errors4(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    const s46_clat *x = sw->mech;
    if (c->l3.l3_len > 20 && s46_xlat_source_route(c->p->data + 20, c->l3.l3_len - 20u)) {
        if (!s46_sw_error4(sw, c, &c->l3, 3, 5, 0, now))
            s46_sw_drop(sw, c, S46_CLAT_drop_source_route);
        return;
    }
    unsigned room = x->c.ipv6_mtu - 20u;
    if (c->p->len <= room || !c->l3.df)
        return;
    if (!s46_sw_error4(sw, c, &c->l3, 3, 4, room, now))
        s46_sw_drop_ev(sw, c, S46_EV_TOO_BIG);
}
S46_STAGE_LOCAL(st_errors4, "clat_errors4", errors4);

/* TCP MSS to what fits the IPv6 MTU (40 + 20 bytes of headers). */
static inline void clamp(s46_sw *sw, s46_ctx *c, const s46_l3 *l3)
{
    const s46_clat *x = sw->mech;
    if (l3->proto == S46_PROTO_TCP && l3->first_fragment &&
        s46_tcp_clamp_mss(c->p->data, l3, (uint16_t)(x->c.ipv6_mtu - 60u)))
        sw->dp.cnt[S46_CLAT_mss_clamped]++;
}
static inline void mss4(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    clamp(sw, c, &c->l3);
}
S46_STAGE_LOCAL(st_mss4, "clat_mss_out", mss4);
static inline void mss6(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    clamp(sw, c, &c->in);
}
S46_STAGE_LOCAL(st_mss6, "clat_mss_in", mss6);

/* The CLAT takes translated traffic from the NAT64 prefix only; ICMPv6
 * errors (a router's Packet Too Big, Time Exceeded) from any other address
 * are translated with the RFC 6791 source when one is set. Nothing comes
 * from our own address. */
static inline void src6(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    const s46_clat *x = sw->mech;
    s46_ip6 s;
    memcpy(s.b, c->p->data + 8, 16);
    if (s46_pfx6_contains(&x->c.nat64, &s))
        return;
    if (!s46_ip6_eq(&s, &x->c.clat6) && x->c.rfc6791 && c->l3.proto == S46_PROTO_ICMPV6 &&
        !c->l3.is_fragment && c->l3.l4_len >= 8 && c->p->data[c->l3.l3_len] < 128) {
        sw->dp.cnt[S46_CLAT_wan_rfc6791]++;
        return;
    }
    s46_sw_drop(sw, c, S46_CLAT_drop_wan_src_not_nat64);
}
S46_STAGE_LOCAL(st_src6, "clat_src6", src6);

/* A datagram reassembled here goes to the worker owning its port. */
static inline void share6(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    if (!c->was_fragment || sw->nat.shares <= 1)
        return;
    unsigned o = s46_steer_clat6(c->p, sw->nat.shares, sw->nat.share);
    if (o != sw->nat.share) {
        c->done = true;
        s46_pkt_redirect(c->p, o);
    }
}
S46_STAGE_LOCAL(st_share6, "clat_share6", share6);

/* The CLAT's composition. LAN in: reassembly, what the NAPT translates,
 * the router hop, a source route and the IPv6 MTU (errors to the LAN
 * host, before the NAPT),
 * the NAPT onto the CLAT IPv4 address (hairpinning), MSS, RFC 7915 toward
 * the NAT64 prefix. WAN in: to the CLAT IPv6 address, from the NAT64
 * prefix, reassembly (handed to the worker owning the port), RFC 7915 back
 * to IPv4, the reverse NAPT, MSS, to the LAN (a datagram that came in
 * fragments cut to lan_mtu again by out4). */
static const s46_stage *const clat_stages4[] = {
    &s46_st_parse4, &s46_st_self4,    &s46_st_reasm4, &s46_st_share4, &s46_st_napt_check, &s46_st_ttl4,
    &st_errors4,    &s46_st_napt_out, &st_mss4,       &s46_st_xlat4to6,   NULL,
};
static const s46_stage *const clat_stages6[] = {
    &s46_st_parse6, &s46_st_local6,   &st_src6, &s46_st_reasm6, &st_share6,
    &s46_st_xlat6to4,      &s46_st_napt_in,  &st_mss6, &s46_st_out4,   NULL,
};

unsigned s46_steer_clat6(const s46_pkt *p, unsigned workers, unsigned self)
{
    unsigned owner;
    if (workers < 2)
        return self;
    if (s46_steer_fragment(p, workers, &owner))
        return owner;
    s46_l3 l3;
    if (s46_parse_ipv6(p->data, p->len, &l3) < 0 || !l3.first_fragment)
        return self;
    const uint8_t *l4 = p->data + l3.l3_len;
    if (l3.proto == S46_PROTO_TCP || l3.proto == S46_PROTO_UDP)
        return l3.has_ports ? s46_napt_port_owner(l3.dport, workers) : self;
    if (l3.proto != S46_PROTO_ICMPV6 || l3.l4_len < 8)
        return self;
    if (l4[0] == 129) /* echo reply: its identifier */
        return s46_napt_port_owner(s46_get16(l4 + 4), workers);
    if (l4[0] >= 128 || l3.l4_len < 8 + 40 + 8)
        return self;
    const uint8_t *q = l4 + 8; /* the quoted packet is ours: its source port */
    if (q[6] == S46_PROTO_TCP || q[6] == S46_PROTO_UDP)
        return s46_napt_port_owner(s46_get16(q + 40), workers);
    if (q[6] == S46_PROTO_ICMPV6 && q[40] == 128)
        return s46_napt_port_owner(s46_get16(q + 44), workers);
    return self;
}

json_t *s46_clat_show(const s46_clat *x, uint64_t now_ns, unsigned max_mappings)
{
    char b6[S46_PFX6_STRLEN], b4[S46_IP4_STRLEN];
    json_t *o = json_object(), *maps = s46_napt_mappings_json(x->napt, max_mappings);
    if (!o || !maps) {
        json_decref(o);
        json_decref(maps);
        return NULL;
    }
    json_object_set_new(o, "mechanism", json_string("464xlat"));
    json_object_set_new(o, "nat64prefix", json_string(s46_pfx6_format(&x->c.nat64, b6)));
    json_object_set_new(o, "clat_ipv6", json_string(s46_ip6_format(&x->c.clat6, b6)));
    json_object_set_new(o, "clat_ipv4", json_string(s46_ip4_format(x->c.clat4, b4)));
    if (x->c.rfc6791)
        json_object_set_new(o, "rfc6791_ipv4", json_string(s46_ip4_format(x->c.rfc6791, b4)));
    json_object_set_new(o, "ipv6_mtu", json_integer(x->c.ipv6_mtu));
    json_object_set_new(o, "lan_mtu", json_integer(x->c.lan_mtu));
    json_object_set_new(o, "now", json_integer(secs(now_ns)));
    json_object_set_new(o, "napt", s46_napt_state_json(x->napt, x->c.napt.filter));
    json_object_set_new(o, "mappings", maps);
    json_object_set_new(o, "stages", s46_sw_stages_json(&x->sw));
    json_object_set_new(o, "counters", s46_counters_json(&x->sw.dp.counters));
    return o;
}
