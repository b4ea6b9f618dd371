#include "dp/nat64.h"

#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "dp/cgn_fast.h"
#include "dp/cgn_mech.h"
#include "dp/cgn_rewrite.h"
#include "dp/napt_rewrite.h"
#include "dp/pipeline.h"
#include "dp/softwire.h"
#include "dp/stages.h"
#include "lib/err.h"
#include "lib/rfc6052.h"
#include "lib/xlat_fast.h"

#define S46_NAT64_NAME(n, d) #n,
static const char *const counter_names[] = {S46_NAT64_COUNTERS(S46_NAT64_NAME)};
#undef S46_NAT64_NAME

static const s46_dp_desc nat64_desc = {
    counter_names, S46_NAT64_NCOUNTERS, {S46_NAT64_v4_out, S46_NAT64_v6_out},
    S46_NAT64_icmp_errors_sent, S46_NAT64_drop_icmp_ratelimited, S46_NAT64_fragments_held,
    S46_NAT64_reassembled, S46_NAT64_drop_reassembly_failed, S46_NAT64_fragmented,
    S46_NAT64_drop_no_buffer, 256,
};

static const uint16_t nat64_ev[S46_EV_N] = {
    [S46_EV_IN4] = S46_EVC(S46_NAT64_v4_in),
    [S46_EV_IN6] = S46_EVC(S46_NAT64_v6_in),
    [S46_EV_V4_MALFORMED] = S46_EVC(S46_NAT64_drop_v4_malformed),
    [S46_EV_V6_MALFORMED] = S46_EVC(S46_NAT64_drop_v6_malformed),
    [S46_EV_HAIRPINNED] = S46_EVC(S46_NAT64_hairpinned),
    [S46_EV_TTL_EXPIRED] = S46_EVC(S46_NAT64_drop_ttl_expired),
    [S46_EV_UNFINISHED] = S46_EVC(S46_NAT64_drop_unfinished),
};

static const uint16_t nat64_why[S46_XR_N] = {
    [S46_XR_OK] = S46_NAT64_drop_unfinished,
    [S46_XR_MALFORMED] = S46_NAT64_drop_xlat_malformed,
    [S46_XR_TTL] = S46_NAT64_drop_ttl_expired,
    [S46_XR_TOO_BIG] = S46_NAT64_drop_too_big,
    [S46_XR_SRC_ROUTE] = S46_NAT64_drop_source_route,
    [S46_XR_SEG_LEFT] = S46_NAT64_drop_segments_left,
    [S46_XR_NO_MAPPING] = S46_NAT64_drop_no_mapping,
    [S46_XR_ICMP_TYPE] = S46_NAT64_drop_icmp_untranslatable,
    [S46_XR_ICMP_FRAGMENT] = S46_NAT64_drop_icmp_fragment,
    [S46_XR_QUOTE] = S46_NAT64_drop_quote,
    [S46_XR_UDP_ZERO] = S46_NAT64_drop_udp_zero_checksum,
    [S46_XR_NO_ROOM] = S46_NAT64_drop_no_room,
};

static const uint16_t nat64_cw[S46_CW_N] = {
    [S46_CW_UNSUPPORTED] = S46_NAT64_drop_unsupported_proto,
    [S46_CW_ICMP_NO_MAPPING] = S46_NAT64_drop_icmp_no_mapping,
    [S46_CW_NO_ADDRESS] = S46_NAT64_drop_no_address,
    [S46_CW_NO_BLOCK] = S46_NAT64_drop_no_block,
    [S46_CW_SUB_MAPPINGS] = S46_NAT64_drop_sub_mappings,
    [S46_CW_SUB_SESSIONS] = S46_NAT64_drop_sub_sessions,
    [S46_CW_SUB_RATE] = S46_NAT64_drop_sub_rate,
    [S46_CW_FULL] = S46_NAT64_drop_table_full,
    [S46_CW_LOG_REFUSED] = S46_NAT64_drop_log_refused,
    [S46_CW_IN_MALFORMED] = S46_NAT64_drop_in_malformed,
    [S46_CW_IN_NO_MAPPING] = S46_NAT64_drop_in_no_mapping,
    [S46_CW_IN_FILTERED] = S46_NAT64_drop_in_filtered,
    [S46_CW_IN_NOT_OURS] = S46_NAT64_drop_in_not_ours,
    [S46_CW_LOG_UNSYNCED] = S46_NAT64_drop_log_unsynced,
    [S46_CW_HAIRPIN_OFF] = S46_NAT64_drop_hairpin_off,
    [S46_CW_HAIRPIN_MALFORMED] = S46_NAT64_drop_xlat_malformed,
};

/* The IPv4 stand-in of the IPv6 host between translation and the CGN. */
#define HOST4 0x00000001u

struct s46_nat64 {
    s46_cgn_mech m;            /* the softwire and its CGN (first: stages get it) */
    s46_nat64_conf c;
    s46_xlat x;
    uint64_t cnt[S46_NAT64_NCOUNTERS];
    uint32_t pool6_sum;        /* pool6 /96: its 12 bytes' sum, folded (else unused) */
};

static bool v4_fast(s46_sw *sw, s46_pkt *p);
static bool v6_fast(s46_sw *sw, s46_pkt *p);
static s46_cgn_fast_class cand4(const void *arg, const s46_pkt *p, s46_l3 *l, s46_cgn_flow *f);
static s46_cgn_fast_class cand6(const void *arg, const s46_pkt *p, s46_l3 *l, s46_cgn_flow *f);

void s46_nat64_conf_default(s46_nat64_conf *c)
{
    memset(c, 0, sizeof *c);
    c->ipv4_mtu = c->ipv6_mtu = 1500;
    c->lowest_ipv6_mtu = 1280;
    c->ttl_decrement = true;
    c->hairpin = true;
    c->icmp_rate = 1000;
    s46_cgn_config_default(&c->cgn);
}

static bool in_pool6(const s46_nat64 *n, const uint8_t *a)
{
    uint32_t a4; /* the prefix compared as the extraction compares it */
    return s46_rfc6052_extract(&n->c.pool6, (const s46_ip6 *)a, &a4);
}

/* The translator's map: pool6 <-> any IPv4 address; every other IPv6
 * address is the host, HOST4 inside (the host of the packet being
 * translated: the CGN put it in c->peer). */
static bool map_to6(const void *arg, uint32_t a4, s46_ip6 *out)
{
    const s46_nat64 *n = arg;
    if (a4 == HOST4 && n->m.sw.xlat_cur) {
        *out = n->m.sw.xlat_cur->peer;
        return true;
    }
    s46_rfc6052_embed(&n->c.pool6, a4, out);
    return true;
}
static bool map_to4(const void *arg, const s46_ip6 *a6, uint32_t *out)
{
    const s46_nat64 *n = arg;
    if (!s46_rfc6052_extract(&n->c.pool6, a6, out))
        *out = HOST4;
    return true;
}

/* ---- IPv6 -> IPv4 ---- */

/* To pool6 from a unicast host outside it; the CGN's subscriber (c->peer)
 * is the source, or for an ICMPv6 error the quote's destination (the host
 * the quoted packet went to: a router's error is about it). */
static inline void check6(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    s46_nat64 *n = sw->mech;
    const uint8_t *d = c->p->data;
    static const uint8_t zero[16];
    uint32_t dst4;
    s46_ip6 dst;
    memcpy(dst.b, d + 24, 16);
    /* 0/8 inside pool6 is no IPv4 destination (and 0.0.0.1 the host's stand-in) */
    if (!s46_rfc6052_extract(&n->c.pool6, &dst, &dst4) || dst4 >> 24 == 0)
        return s46_sw_drop(sw, c, S46_NAT64_drop_v6_not_pool6);
    if (in_pool6(n, d + 8) || d[8] == 0xff || !memcmp(d + 8, zero, 16))
        return s46_sw_drop(sw, c, S46_NAT64_drop_v6_bad_source);
    memcpy(c->peer.b, d + 8, 16);
    if (c->l3.proto == S46_PROTO_ICMPV6 && c->l3.icmp_type < 128 &&
        c->l3.l4_len >= 8 + 40)
        memcpy(c->peer.b, d + c->l3.l3_len + 8 + 24, 16);
}
S46_STAGE_LOCAL(st_check6, "nat64_check6", check6);

/* A hairpinned packet, translated in again: back out to its host. */
static void hairpin_out(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    c->l3 = c->in;
    if (s46_sw_xlat_hairpin6(sw, c, now))
        s46_sw_count(sw, S46_EV_HAIRPINNED);
}

/* The translator refused a hairpinned packet on its way back to the
 * receiving host (too big for ipv6_mtu, hop limit). The sender is one of
 * our hosts: the ICMPv4 error about it goes to the sender as one from the
 * IPv4 side would, through the CGN's inbound step (the quote's source,
 * the sender's external endpoint, finds its host) and the translator,
 * quoting the packet as it left the CGN outbound: its destination, the
 * receiver's internal endpoint by now, is set back to the external one the
 * sender addressed. Another worker's sender: the error handed to it as an
 * IPv4 packet. Not out of the IPv4 side toward the pool address. */
static bool hairpin_error4(s46_sw *sw, s46_ctx *c, const s46_xlat_info *info, uint64_t now)
{
    s46_nat64 *n = sw->mech;
    uint8_t *d = c->p->data;
    uint32_t secs = s46_sw_secs(now), ext_addr;
    uint16_t ext_port;
    s46_cgn_key rk;
    memcpy(rk.b, c->peer.b, 16);
    uint8_t proto = c->l3.proto == S46_PROTO_TCP ? S46_CGN_TCP : S46_CGN_UDP;
    if ((c->l3.proto != S46_PROTO_TCP && c->l3.proto != S46_PROTO_UDP) || c->l3.l4_len < 4 ||
        !s46_cgn_lookup_int(n->m.sw.cgn.g, proto, &rk, s46_get32(d + 16),
                            s46_get16(d + c->l3.l3_len + 2), &ext_addr, &ext_port, secs)) {
        s46_sw_drop(sw, c, S46_NAT64_drop_hairpin_error);
        return true;
    }
    s46_napt_rewrite(d, &c->l3, false, ext_addr, true, ext_port);
    if (!sw->icmp_src || !s46_dp_icmp4_error(&sw->dp, c->p, &c->l3, sw->icmp_src, info->type,
                                             info->code, info->extra, now))
        return false;
    uint16_t port;
    if (s46_parse_ipv4(c->p->data, c->p->len, &c->l3) < 0 ||
        !s46_cgn_in_port(c->p->data, &c->l3, &port)) {
        s46_sw_drop(sw, c, S46_NAT64_drop_hairpin_error);
        return true;
    }
    if (s46_sw_cgn_hand_over(sw, c, port))
        return true;
    s46_cgn_key sub;
    if (s46_cgn_xlate_in(n->m.sw.cgn.g, c->p->data, &c->l3, secs, &sub) != S46_CX_OK) {
        s46_sw_drop(sw, c, S46_NAT64_drop_hairpin_error);
        return true;
    }
    memcpy(c->peer.b, sub.b, 16);
    s46_sw_xlat_out6(sw, c, now, false, S46_EV_NONE);
    return true;
}

/* ---- IPv4 -> IPv6 ---- */

static inline void check4(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    if (c->p->data[12] == 0)
        s46_sw_drop(sw, c, S46_NAT64_drop_v4_bad_source);
}
S46_STAGE_LOCAL(st_check4, "nat64_check4", check4);

/* DF and too big for the IPv6 MTU once translated (20 bytes longer):
 * ICMPv4 3/4 before the CGN, so that the error quotes the packet as it
 * arrived, never the host's stand-in. */
static inline void mtu4(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    s46_nat64 *n = sw->mech;
    if (!c->l3.df || c->p->len + 20 <= n->c.ipv6_mtu)
        return;
    if (!s46_sw_error4(sw, c, &c->l3, 3, 4, (uint32_t)(n->c.ipv6_mtu - 20), now))
        s46_sw_drop(sw, c, S46_NAT64_drop_too_big);
}
S46_STAGE_LOCAL(st_mtu4, "nat64_mtu4", mtu4);

/* The NAT64's composition. */
static const s46_stage *const nat64_stages4[] = {
    &s46_st_parse4, &st_check4,     &s46_st_reasm4,   &s46_st_owner4,   &s46_st_ttl4,
    &st_mtu4,       &s46_st_cgn_in, &s46_st_xlat4to6, &s46_st_log_sync, NULL,
};
static const s46_stage *const nat64_stages6[] = {
    &s46_st_parse6,   &s46_st_reasm6,   &st_check6,       &s46_st_xlat6to4,
    &s46_st_cgn_out,  &s46_st_xlat_out4, &s46_st_log_sync, NULL,
};

static int check(const s46_nat64_conf *c, char *err, size_t errlen)
{
    if (!s46_rfc6052_len_ok(c->pool6.len)) {
        s46_seterr(err, errlen, "pool6: length must be 32, 40, 48, 56, 64 or 96");
        return -1;
    }
    if (c->ipv4_mtu < 68 || c->ipv6_mtu < 1280 || c->lowest_ipv6_mtu < 1280) {
        s46_seterr(err, errlen,
                   "ipv4_mtu must be at least 68, ipv6_mtu and lowest_ipv6_mtu at least 1280");
        return -1;
    }
    if (!c->ipv4 && !c->cgn.npool) {
        s46_seterr(err, errlen, "pool4: required");
        return -1;
    }
    return 0;
}

static void apply(s46_nat64 *n, const s46_nat64_conf *c)
{
    s46_sw *sw = &n->m.sw;
    n->c = *c;
    n->c.ipv4 = s46_nat64_icmp4_source(c);
    static const s46_ip6 none;
    if (s46_ip6_eq(&n->c.ipv6, &none))
        s46_rfc6052_embed(&n->c.pool6, n->c.ipv4, &n->c.ipv6);
    s46_ip6 p0;
    s46_rfc6052_embed(&n->c.pool6, 0, &p0);
    n->pool6_sum = s46_xf_sum4n(p0.b, 16); /* with /96, an address's sum less its IPv4 part */
    uint16_t id = n->x.next_id;
    s46_xlat_default(&n->x);
    n->x.to6 = map_to6;
    n->x.to4 = map_to4;
    n->x.arg = n;
    n->x.next_id = id;
    n->x.mtu4 = c->ipv4_mtu;
    n->m.sw.ipv4_mtu = c->ipv4_mtu;
    n->x.mtu6 = c->ipv6_mtu;
    n->x.lowest_mtu6 = c->lowest_ipv6_mtu;
    n->x.tos_zero = c->tos_zero;
    n->x.ttl_decrement = c->ttl_decrement;
    s46_ratelimit_init(&sw->dp.icmp_rl, c->icmp_rate, c->icmp_rate ? c->icmp_rate : 1);
    sw->icmp_src = n->c.ipv4;
    sw->local = n->c.ipv6;
    sw->ttl_decrement = c->ttl_decrement;
    sw->xlat = (s46_sw_xlat){&n->x, nat64_why, S46_NAT64_translated4, S46_NAT64_translated6,
                             S46_NAT64_drop_frag_too_big, NULL, hairpin_error4};
    sw->xlat_keep6to4 = true;
    n->m.writer.log = c->log;
    sw->cgn.hairpin = c->hairpin;
}

static const s46_cgn_mech_kind nat64_kind = {
    &nat64_desc, nat64_ev, nat64_cw, {nat64_stages4, nat64_stages6}, {v4_fast, v6_fast},
    {cand4, cand6}, hairpin_out,
};

s46_nat64 *s46_nat64_new(const s46_nat64_conf *c, unsigned share, unsigned shares, char *err,
                         size_t errlen)
{
    if (check(c, err, errlen) < 0)
        return NULL;
    s46_nat64 *n = calloc(1, sizeof *n);
    if (!n ||
        s46_cgn_mech_init(&n->m, &nat64_kind, n, n->cnt, c->icmp_rate, share, shares) < 0) {
        free(n);
        s46_seterr(err, errlen, "out of memory");
        return NULL;
    }
    apply(n, c);
    if (s46_cgn_mech_open(&n->m, &c->cgn, c->hairpin, err, errlen) < 0) {
        s46_nat64_free(n);
        return NULL;
    }
    return n;
}

void s46_nat64_free(s46_nat64 *n)
{
    if (!n)
        return;
    s46_cgn_mech_fini(&n->m);
    free(n);
}

int s46_nat64_reconfigure(s46_nat64 *n, const s46_nat64_conf *c, char *err, size_t errlen)
{
    if (check(c, err, errlen) < 0)
        return -1;
    if (c->log != n->c.log) {
        s46_seterr(err, errlen, "the port-block log cannot change while running");
        return -1;
    }
    if (c->pool6.len != n->c.pool6.len || !s46_ip6_eq(&c->pool6.addr, &n->c.pool6.addr)) {
        s46_seterr(err, errlen, "pool6 cannot change while running");
        return -1;
    }
    apply(n, c);
    s46_cgn_set_policy(n->m.sw.cgn.g, &c->cgn);
    return 0;
}

/* ---- the fast paths: established flows without the stages ---- */

/* An IPv6 packet from a host outside pool6 (not ::, multicast) to a
 * pool6 address, TCP, UDP or an echo request: its flow, the host's; a
 * candidate (cgn_fast.h) without extension headers, with a UDP checksum,
 * from a source other than ::1, that the translator sends whole (hop limit
 * to spare, within the IPv4 MTU). A fragment may be any flow's. */
static s46_cgn_fast_class cand6(const void *arg, const s46_pkt *p, s46_l3 *l, s46_cgn_flow *f)
{
    const s46_nat64 *n = arg;
    const uint8_t *d = p->data;
    if (p->len < 40 || d[0] >> 4 != 6)
        return S46_CGN_FAST_NONE;
    if (d[6] == S46_PROTO_TCP || d[6] == S46_PROTO_UDP || d[6] == S46_PROTO_ICMPV6) {
        /* no extension header: s46_parse_ipv6's result without its walk */
        unsigned plen = s46_get16(d + 4);
        if (40u + plen > p->len)
            return S46_CGN_FAST_NONE;
        *l = (s46_l3){.l3_len = 40, .l4_len = (uint16_t)plen, .proto = d[6], .ttl = d[7],
                      .first_fragment = true, .encap_limit = -1};
        s46_parse_l4(d + 40, plen, false, l);
    } else if (s46_parse_ipv6(d, p->len, l) < 0) {
        return S46_CGN_FAST_NONE;
    }
    if (l->is_fragment)
        return S46_CGN_FAST_ANY;
    int proto = l->proto == S46_PROTO_TCP ? S46_CGN_TCP
                : l->proto == S46_PROTO_UDP ? S46_CGN_UDP
                : l->proto == S46_PROTO_ICMPV6 && l->icmp_type == 128 ? S46_CGN_ICMP : -1;
    s46_ip6 dst;
    uint32_t dst4;
    memcpy(dst.b, d + 24, 16);
    uint64_t s_hi, s_lo; /* the source: unspecified, loopback? */
    memcpy(&s_hi, d + 8, 8);
    memcpy(&s_lo, d + 16, 8);
    if (proto < 0 || !l->has_ports || !s46_rfc6052_extract(&n->c.pool6, &dst, &dst4) ||
        dst4 >> 24 == 0 || in_pool6(n, d + 8) || d[8] == 0xff || (s_hi | s_lo) == 0)
        return S46_CGN_FAST_NONE;
    memcpy(f->sub.b, d + 8, 16);
    f->proto = (uint8_t)proto;
    f->int_addr = HOST4;
    f->int_port = l->sport;
    f->rem_addr = dst4;
    f->rem_port = proto == S46_CGN_ICMP ? 0 : l->dport;
    bool whole = l->l3_len == 40 && 20u + l->l4_len <= n->x.mtu4 &&
                 !(n->x.ttl_decrement && d[7] <= 1) &&
                 !(proto == S46_CGN_UDP && s46_get16(d + 46) == 0) &&
                 !(s_hi == 0 && s_lo == htobe64(1)); /* ::1 */
    return whole ? S46_CGN_FAST_CAND : S46_CGN_FAST_FLOW;
}

/* An IPv4 packet's class, a candidate from a source the translator takes
 * (UDP without a checksum: when it computes one) that fits the IPv6 MTU
 * once translated (whole: DF set, or within the lowest IPv6 MTU) with TTL
 * to spare. */
static s46_cgn_fast_class cand4(const void *arg, const s46_pkt *p, s46_l3 *l, s46_cgn_flow *f)
{
    const s46_nat64 *n = arg;
    const uint8_t *d = p->data;
    if (p->len >= 20 && d[12] == 0)
        return S46_CGN_FAST_NONE; /* check4 drops it */
    s46_cgn_fast_class c = s46_cgn_fast_class4(d, p->len, NULL, l, f);
    if (c != S46_CGN_FAST_CAND)
        return c;
    unsigned lim = l->df ? n->x.mtu6 : s46_xlat_lowest6(&n->x);
    if (lim > n->x.mtu6)
        lim = n->x.mtu6;
    bool whole = d[12] != 127 && d[12] < 224 &&
                 !(l->proto == S46_PROTO_UDP && s46_get16(d + 26) == 0 && n->x.udp_zero_drop) &&
                 !(n->x.ttl_decrement && d[8] <= 1) && 20u + l->l3_len + l->l4_len <= lim;
    return whole ? S46_CGN_FAST_CAND : S46_CGN_FAST_FLOW;
}

/* A host's packet of an established flow translated and NAPTed in one
 * pass, without the stages; the same contract as the AFTR's. The
 * translation is lib/xlat_fast.h's (cand6 made the translator's checks:
 * no extension header, whole, TCP, UDP with a checksum or an echo
 * request): the IPv4 header with HOST4 as the source, as the translator
 * writes it, then the CGN's rewrite, as the stages do, so both leave the
 * same bytes. */
static bool v6_fast(s46_sw *sw, s46_pkt *p)
{
    s46_nat64 *n = sw->mech;
    const s46_l3 *l6;
    s46_cgn_flow *f;
    uint32_t ref;
    if (!s46_cgn_fast_next(&n->m.fast, p, &l6, &f, &ref))
        return false;
    uint8_t *d = p->data, *l4 = d + 40;
    unsigned plen = l6->l4_len, total = 20 + plen;
    uint8_t nh = d[6], proto = nh;
    uint32_t d4 = f->rem_addr; /* cand6: the destination's IPv4 address */
    /* translated straight to the flow's external address and port (the
     * stages translate to HOST4, then the CGN rewrites: the same bytes) */
    uint8_t *pp = l4 + (nh == S46_PROTO_ICMPV6 ? 4 : 0); /* source port, echo id */
    uint16_t oport = s46_get16(pp), eport = f->ext_port;
    s46_put16(pp, eport);
    if (nh == S46_PROTO_ICMPV6) { /* echo request: type 128 -> 8, no pseudo-header */
        uint32_t minus = (uint32_t)(128u << 8 | l4[1]) + oport +
                         s46_csum_pseudo6(d + 8, d + 24, S46_PROTO_ICMPV6, plen);
        s46_xf_fix_csum(l4 + 2, minus, (8u << 8 | l4[1]) + eport, false);
        l4[0] = 8;
        proto = S46_PROTO_ICMP;
    } else {
        uint32_t dsum = n->c.pool6.len == 96 /* cand6: the destination is pool6 + d4 */
                            ? n->pool6_sum + s46_xf_sum32(d4)
                            : s46_xf_sum4n(d + 24, 16);
        s46_xf_fix_csum(l4 + (nh == S46_PROTO_TCP ? 16 : 6), s46_xf_sum4n(d + 8, 16) + dsum + oport,
                        s46_xf_sum32(f->ext_addr) + s46_xf_sum32(d4) + eport,
                        nh == S46_PROTO_UDP);
    }
    uint8_t tos = n->x.tos_zero ? 0 : (uint8_t)((d[0] & 15) << 4 | d[1] >> 4),
            ttl = (uint8_t)(n->x.ttl_decrement ? d[7] - 1 : d[7]);
    uint8_t *h = d + 20;
    s46_xf_put4(&n->x, h, tos, total, ttl, proto, f->ext_addr, d4);
    p->data = h;
    p->len = total;
    s46_cgn_fast_touch(&n->m.fast, n->m.sw.cgn.g, l6, ref);
    sw->dp.cnt[S46_NAT64_translated6]++;
    s46_dp_out(&sw->dp, p, 0);
    return true;
}

/* The way back: the CGN's rewrite (the destination becomes HOST4, as in
 * the stages), then the translation by hand (cand4 made the translator's
 * checks; an ICMP candidate is an echo reply, s46_cgn_flow_in; a UDP
 * datagram without checksum, whose checksum the translator computes over
 * the whole datagram, goes through lib/xlat). */
static bool v4_fast(s46_sw *sw, s46_pkt *p)
{
    s46_nat64 *n = sw->mech;
    const s46_l3 *l;
    s46_cgn_flow *f;
    uint32_t ref;
    if (s46_pkt_headroom(p) < 20 || !s46_cgn_fast_next(&n->m.fast, p, &l, &f, &ref))
        return false;
    uint8_t *d = p->data, *l4 = d + 20;
    unsigned tot = (unsigned)l->l3_len + l->l4_len;
    p->len = tot;
    if (l->proto == S46_PROTO_UDP && s46_get16(l4 + 6) == 0) {
        s46_cgn_fast_commit(&n->m.fast, n->m.sw.cgn.g, d, l, f, ref, false);
        s46_ctx c; /* the host the translator puts in place of HOST4 */
        s46_xlat_info info;
        memcpy(c.peer.b, f->sub.b, 16);
        sw->xlat_cur = &c;
        s46_xlat_res r = s46_xlat_4to6(&n->x, p, &info);
        sw->xlat_cur = NULL;
        if (r != S46_XR_OK) { /* cand4 leaves no reason: as the stage would */
            s46_dp_drop(&sw->dp, p, nat64_why[r]);
            return true;
        }
    } else {
        /* the stages NAPT to HOST4 and the host's port, then translate
         * HOST4 away: the port rewritten here, and the address replaced
         * as the translation replaces the header (the same bytes) */
        s46_cgn_fast_touch(&n->m.fast, n->m.sw.cgn.g, l, ref);
        s46_ip6 s6;
        s46_rfc6052_embed(&n->c.pool6, s46_get32(d + 12), &s6);
        unsigned plen = tot - 20;
        uint8_t nh = l->proto;
        uint8_t *pp = l4 + (nh == S46_PROTO_ICMP ? 4 : 2); /* destination port, echo id */
        uint16_t oport = s46_get16(pp), iport = f->int_port;
        s46_put16(pp, iport);
        if (nh == S46_PROTO_ICMP) { /* echo reply: type 0 -> 129, pseudo-header added */
            nh = S46_PROTO_ICMPV6;
            uint32_t plus = (uint32_t)(129u << 8 | l4[1]) + iport +
                            s46_csum_pseudo6(s6.b, f->sub.b, S46_PROTO_ICMPV6, plen);
            s46_xf_fix_csum(l4 + 2, (uint32_t)l4[1] + oport, plus, false);
            l4[0] = 129;
        } else {
            uint32_t ssum = n->c.pool6.len == 96 ? n->pool6_sum + s46_xf_sum32(s46_get32(d + 12))
                                                 : s46_xf_sum4n(s6.b, 16);
            s46_xf_fix_csum(l4 + (nh == S46_PROTO_TCP ? 16 : 6), s46_xf_sum4n(d + 12, 8) + oport,
                            ssum + s46_xf_sum4n(f->sub.b, 16) + iport, nh == S46_PROTO_UDP);
        }
        uint8_t tos = n->x.tos_zero ? 0 : d[1],
                ttl = (uint8_t)(n->x.ttl_decrement ? d[8] - 1 : d[8]);
        uint8_t *h = s46_pkt_push(p, 20);
        s46_xf_put6(h, tos, plen, nh, ttl);
        memcpy(h + 8, s6.b, 16);
        memcpy(h + 24, f->sub.b, 16);
    }
    sw->dp.cnt[S46_NAT64_translated4]++;
    s46_dp_out(&sw->dp, p, 1);
    return true;
}

void s46_nat64_set_fast_paths(s46_nat64 *n, bool on) { s46_cgn_mech_set_fast(&n->m, on); }

const s46_cgn *s46_nat64_cgn(const s46_nat64 *n) { return n->m.sw.cgn.g; }

void s46_nat64_process(s46_nat64 *n, s46_batch *b, uint16_t side, uint64_t now_ns)
{
    n->m.sw.xlat_cur = NULL;
    s46_cgn_mech_process(&n->m, b, side, now_ns);
}

void s46_nat64_tick(s46_nat64 *n, uint64_t now_ns)
{
    s46_sw_cgn_tick(&n->m.sw, now_ns);
}

unsigned s46_nat64_steer(const s46_nat64 *n, const s46_pkt *p, uint16_t side)
{
    const s46_sw_cgn *g = &n->m.sw.cgn;
    if (side != S46_SIDE_V6)
        return s46_cgn_mech_steer4(&n->m, p);
    if (g->shares <= 1)
        return 0;
    if (p->len < 40)
        return g->share;
    s46_cgn_key k;
    /* an ICMPv6 error goes with the host its quote went to */
    const uint8_t *d = p->data;
    bool err = d[6] == S46_PROTO_ICMPV6 && p->len >= 40 + 8 + 40 && d[40] < 128;
    memcpy(k.b, err ? d + 40 + 8 + 24 : d + 8, 16);
    /* a subscriber's hosts on one worker: its blocks and limits are there */
    if (n->c.cgn.sub_len && n->c.cgn.sub_len < 128)
        k = s46_cgn_key_prefix(&k, n->c.cgn.sub_len);
    return s46_cgn_owner_out(&k, g->shares);
}

const s46_counters *s46_nat64_counters(const s46_nat64 *n) { return &n->m.sw.dp.counters; }

json_t *s46_nat64_show(const s46_nat64 *n, unsigned max_blocks)
{
    char s6[S46_PFX6_STRLEN];
    json_t *own = json_pack("{s:s}", "pool6", s46_pfx6_format(&n->c.pool6, s6));
    return s46_cgn_mech_show(&n->m, "nat64", own, max_blocks);
}

/* ---- as a pipeline (dp/pipeline.h) ---- */

static void *pl_create(const void *conf, const s46_pipeline_env *env, char *err, size_t errlen)
{
    return s46_nat64_new(conf, env->worker, env->workers, err, errlen);
}
static int pl_reconfigure(void *self, const void *conf, char *err, size_t errlen)
{
    return s46_nat64_reconfigure(self, conf, err, errlen);
}
static unsigned pl_steer(const void *self, const s46_pkt *p, uint16_t side)
{
    return s46_nat64_steer(self, p, side);
}
static void pl_process(void *self, s46_batch *b, uint16_t side, uint64_t now)
{
    s46_nat64_process(self, b, side, now);
}
static void pl_tick(void *self, uint64_t now) { s46_nat64_tick(self, now); }
static json_t *pl_show(const void *self, uint64_t now)
{
    (void)now;
    return s46_nat64_show(self, 64);
}
static const s46_counters *pl_counters(const void *self) { return s46_nat64_counters(self); }
static void pl_destroy(void *self) { s46_nat64_free(self); }

const s46_pipeline_ops s46_pl_nat64 = {
    .name = "nat64",
    .create = pl_create,
    .reconfigure = pl_reconfigure,
    .steer = pl_steer,
    .process = pl_process,
    .tick = pl_tick,
    .show = pl_show,
    .counters = pl_counters,
    .destroy = pl_destroy,
};
