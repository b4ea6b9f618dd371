#include "dp/br_mapt.h"

#include <stdlib.h>
#include <string.h>

#include "dp/map_domain.h"
#include "dp/softwire.h"
#include "dp/stages.h"
#include "lib/csum.h"
#include "lib/err.h"
#include "lib/parse.h"
#include "lib/rfc6052.h"
#include "lib/xlat_fast.h"

#define S46_BRT_NAME(n, d) #n,
static const char *const counter_names[] = {S46_BRT_COUNTERS(S46_BRT_NAME)};
#undef S46_BRT_NAME

static const s46_dp_desc brt_desc = {
    counter_names, S46_BRT_NCOUNTERS, {S46_BRT_v4_out, S46_BRT_v6_out},
    S46_BRT_icmp_errors_sent, S46_BRT_drop_icmp_ratelimited, S46_BRT_fragments_held,
    S46_BRT_reassembled, S46_BRT_drop_reassembly_failed, S46_BRT_fragmented,
    S46_BRT_drop_no_buffer, 64,
};

/* The shared stages' events as the MAP-T BR counts them. */
static const uint16_t brt_ev[S46_EV_N] = {
    [S46_EV_IN4] = S46_EVC(S46_BRT_v4_in),
    [S46_EV_IN6] = S46_EVC(S46_BRT_v6_in),
    [S46_EV_V4_MALFORMED] = S46_EVC(S46_BRT_drop_v4_malformed),
    [S46_EV_V6_MALFORMED] = S46_EVC(S46_BRT_drop_v6_malformed),
    [S46_EV_TO_SELF4] = S46_EVC(S46_BRT_drop_v4_to_br),
    [S46_EV_ECHO_REPLIES] = S46_EVC(S46_BRT_echo_replies),
    [S46_EV_ECHO_NOT_UNICAST] = S46_EVC(S46_BRT_drop_echo_not_unicast),
    [S46_EV_NOT_LOCAL] = S46_EVC(S46_BRT_drop_v6_not_dmr),
    [S46_EV_DECAPSULATED] = S46_EVC(S46_BRT_translated6),
    [S46_EV_HAIRPINNED] = S46_EVC(S46_BRT_hairpinned),
    [S46_EV_INNER_MALFORMED] = S46_EVC(S46_BRT_drop_xlat_malformed),
    [S46_EV_MAP_NO_RULE4] = S46_EVC(S46_BRT_drop_v4_no_rule),
    [S46_EV_MAP_PORT_EXCLUDED] = S46_EVC(S46_BRT_drop_v4_port_excluded),
    [S46_EV_MAP_UNMAPPABLE4] = S46_EVC(S46_BRT_drop_v4_icmp_unmappable),
    [S46_EV_MAP_SRC_NO_RULE] = S46_EVC(S46_BRT_drop_v6_src_no_rule),
    [S46_EV_MAP_SRC_NOT_MAP] = S46_EVC(S46_BRT_drop_v6_src_not_map_address),
    /* the IPv4 source is the CE's by translation: never raised */
    [S46_EV_MAP_SPOOFED_ADDR] = S46_EVC(S46_BRT_drop_v6_src_not_map_address),
    [S46_EV_MAP_SPOOFED_PORT] = S46_EVC(S46_BRT_drop_v6_spoofed_port),
    [S46_EV_MAP_NO_PORT] = S46_EVC(S46_BRT_drop_v6_no_port),
    [S46_EV_MAP_UNVERIFIABLE] = S46_EVC(S46_BRT_drop_v6_icmp_unverifiable),
    [S46_EV_MAP_DST_IN_DOMAIN] = S46_EVC(S46_BRT_drop_dst_in_domain),
    [S46_EV_UNFINISHED] = S46_EVC(S46_BRT_drop_unfinished),
};

/* What each refusal of the translator is counted as. */
static const uint16_t brt_why[S46_XR_N] = {
    [S46_XR_OK] = S46_BRT_drop_unfinished,
    [S46_XR_MALFORMED] = S46_BRT_drop_xlat_malformed,
    [S46_XR_TTL] = S46_BRT_drop_ttl_expired,
    [S46_XR_TOO_BIG] = S46_BRT_drop_too_big,
    [S46_XR_SRC_ROUTE] = S46_BRT_drop_source_route,
    [S46_XR_SEG_LEFT] = S46_BRT_drop_segments_left,
    [S46_XR_NO_MAPPING] = S46_BRT_drop_no_mapping,
    [S46_XR_ICMP_TYPE] = S46_BRT_drop_icmp_untranslatable,
    [S46_XR_ICMP_FRAGMENT] = S46_BRT_drop_icmp_fragment,
    [S46_XR_QUOTE] = S46_BRT_drop_quote,
    [S46_XR_UDP_ZERO] = S46_BRT_drop_udp_zero_checksum,
    [S46_XR_NO_ROOM] = S46_BRT_drop_no_room,
};

struct s46_brt {
    s46_sw sw;               /* first: the stages get it */
    s46_brt_conf c;
    s46_pfx6 dmr;
    /* the DMR for the fast paths: the prefix as a number and its mask, the
     * byte of each IPv4 byte in an embedded address (RFC 6052) */
    s46_u128 dmr128, dmr_mask;
    uint8_t dmr_pos[4];
    uint32_t dmr_sum;        /* the prefix's one's complement sum */
    bool dmr_contig;         /* the IPv4 bytes are contiguous (/32, /64, /96): */
    uint8_t dmr_shift;       /* a4 << dmr_shift in the prefix's number, */
    bool dmr_odd;            /* starting at an odd byte (/64) */
    s46_xlat x;
    bool fast_wanted;        /* the fast paths (off only in tests) */
    uint64_t cnt[S46_BRT_NCOUNTERS];
};

void s46_brt_conf_default(s46_brt_conf *c)
{
    memset(c, 0, sizeof *c);
    c->ipv4_mtu = c->ipv6_mtu = 1500;
    c->lowest_ipv6_mtu = 1280;
    c->hairpin = true;
    c->ttl_decrement = true;
    c->icmp_unreachable = true;
    c->icmp_rate = 1000;
}

/* The DMR (RFC 6052): every address outside the domain, both ways. */
static bool dmr_to6(const void *arg, uint32_t a4, s46_ip6 *out)
{
    s46_rfc6052_embed(arg, a4, out);
    return true;
}

static bool dmr_to4(const void *arg, const s46_ip6 *a6, uint32_t *out)
{
    return s46_rfc6052_extract(arg, a6, out);
}

/* The CE end of the packet: 4->6 its destination is c->peer (map_dst4 or
 * hairpin chose it by address and port); 6->4 its source is c->peer, the
 * CE map_src6 checked, whose IPv4 address is c->dom.ipv4. A CE with an IPv4
 * prefix has no address of its own in its interface identifier: none. */
static bool brt_fix(s46_sw *sw, const s46_ctx *c, s46_xlat *x, bool from6)
{
    (void)sw;
    if (from6) {
        x->fix_dst6 = NULL;
        x->fix_src6 = &c->peer;
        x->fix_src4 = c->dom.ipv4;
        return c->dom.ipv4_len == 32;
    }
    uint32_t d4 = s46_get32(c->p->data + 16);
    x->fix_src6 = NULL;
    x->fix_dst6 = &c->peer;
    x->fix_dst4 = d4;
    return s46_get32(c->peer.b + 10) == d4; /* RFC 7597 §6: the IID's address */
}

/* Only packets to the DMR prefix are the BR's; c->peer = the sender. */
static inline void dmr6(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    s46_brt *b = sw->mech;
    const uint8_t *d = c->p->data;
    s46_ip6 dst;
    memcpy(dst.b, d + 24, 16);
    if (!s46_pfx6_contains(&b->dmr, &dst))
        return s46_sw_drop_ev(sw, c, S46_EV_NOT_LOCAL);
    memcpy(c->peer.b, d + 8, 16);
}
S46_STAGE_LOCAL(st_dmr6, "dmr6", dmr6);

/* a4 in the DMR, as s46_rfc6052_embed puts it. */
static inline void dmr_embed(const s46_brt *b, uint32_t a4, s46_ip6 *out)
{
    if (b->dmr_contig)
        return s46_ip6_from_u128(out, b->dmr128 | (s46_u128)a4 << b->dmr_shift);
    s46_ip6_from_u128(out, b->dmr128);
    out->b[b->dmr_pos[0]] = (uint8_t)(a4 >> 24);
    out->b[b->dmr_pos[1]] = (uint8_t)(a4 >> 16);
    out->b[b->dmr_pos[2]] = (uint8_t)(a4 >> 8);
    out->b[b->dmr_pos[3]] = (uint8_t)a4;
}

/* The IPv4 address of a in the DMR; false: a is outside it. */
static inline bool dmr_extract(const s46_brt *b, const s46_ip6 *a, uint32_t *a4)
{
    s46_u128 v = s46_ip6_u128(a);
    if ((v & b->dmr_mask) != b->dmr128)
        return false;
    if (b->dmr_contig) {
        *a4 = (uint32_t)(v >> b->dmr_shift);
        return true;
    }
    *a4 = (uint32_t)a->b[b->dmr_pos[0]] << 24 | (uint32_t)a->b[b->dmr_pos[1]] << 16 |
          (uint32_t)a->b[b->dmr_pos[2]] << 8 | a->b[b->dmr_pos[3]];
    return true;
}

/* The commonest IPv4 -> IPv6 packet without the stages: option-less,
 * unfragmented TCP or UDP (with a checksum) to a CE of a rule, not to
 * br_ipv4, with TTL to spare, that fits the IPv6 MTU. Anything else, and
 * anything the stages would drop or answer, returns false having changed
 * nothing (the rule memo aside); true: the packet and the counters are as
 * the stages leave them. */
static bool v4_fast(s46_sw *sw, s46_pkt *p)
{
    s46_brt *b = sw->mech;
    uint8_t *d = p->data;
    if (p->len < 28 || d[0] != 0x45)
        return false;
    unsigned tot = s46_get16(d + 2), proto = d[9];
    if (tot > p->len || (s46_get16(d + 6) & 0x3fff) != 0 ||
        !(proto == S46_PROTO_UDP ? tot >= 28 && s46_get16(d + 26) != 0
                                 : proto == S46_PROTO_TCP && tot >= 40) ||
        !s46_csum_ok20(d))
        return false;
    uint32_t dst = s46_get32(d + 16);
    /* sources RFC 7915 §4.1 drops, and DF clear beyond the lowest IPv6
     * MTU (cut into fragments): the stages */
    if (d[12] == 0 || d[12] == 127 || d[12] >= 224 ||
        (!(d[6] & 0x40) && tot + 20 > s46_xlat_lowest6(&b->x)))
        return false;
    if ((b->c.br4 && dst == b->c.br4) || (b->c.ttl_decrement && d[8] <= 1) ||
        tot + 20 > b->c.ipv6_mtu || s46_pkt_headroom(p) < 20)
        return false;
    s46_ip6 ce;
    s46_ev why;
    if (!s46_sw_map_ce(&sw->map, dst, s46_get16(d + 22), &ce, &why) ||
        s46_get32(ce.b + 10) != dst)
        return false;
    uint8_t *ck = d + 20 + (proto == S46_PROTO_TCP ? 16 : 6);
    /* the sums from the values, not re-read from where they were just
     * written: the DMR address's is the prefix's plus the IPv4 bytes at
     * their places (a byte at an even place is a word's high byte) */
    uint32_t s4 = s46_get32(d + 12), ss = b->dmr_sum;
    if (!b->dmr_contig) {
#pragma GCC unroll 4
        for (unsigned i = 0; i < 4; i++)
            ss += (uint32_t)(uint8_t)(s4 >> (24 - 8 * i)) << (b->dmr_pos[i] & 1 ? 0 : 8);
    } else if (b->dmr_odd) { /* bytes 9..12: a low byte, a word, a high byte */
        ss += (s4 >> 24) + ((s4 >> 8) & 0xffff) + ((s4 & 0xff) << 8);
    } else {
        ss += (s4 >> 16) + (s4 & 0xffff);
    }
    s46_xf_fix_csum(ck, s46_xf_sum4n(d + 12, 8), ss + s46_xf_sum4n(ce.b, 16),
                    proto == S46_PROTO_UDP);
    uint8_t tos = d[1], ttl = (uint8_t)(b->c.ttl_decrement ? d[8] - 1 : d[8]);
    p->len = tot;
    uint8_t *h = s46_pkt_push(p, 20);
    s46_xf_put6(h, tos, tot - 20, (uint8_t)proto, ttl);
    /* written in place (no copy of bytes just stored: store forwarding) */
    dmr_embed(b, s4, (s46_ip6 *)(h + 8));
    memcpy(h + 24, ce.b, 8);
    memcpy(h + 32, ce.b + 8, 8);
    p->verdict = S46_V_FORWARD;
    p->out_port = 1;
    b->cnt[S46_BRT_translated4]++;
    b->cnt[S46_BRT_v6_out]++;
    return true;
}

/* The commonest IPv6 -> IPv4 packet without the stages: TCP or UDP (with
 * a checksum) without extension headers, to the DMR prefix, from a CE's
 * MAP address with a whole or shared IPv4 address and a source port of its
 * set, hop limit to spare, fitting the IPv4 MTU, to an address outside the
 * domain. The same contract as v4_fast. */
static bool v6_fast(s46_sw *sw, s46_pkt *p)
{
    s46_brt *b = sw->mech;
    uint8_t *d = p->data;
    if (p->len < 48 || d[0] >> 4 != 6)
        return false;
    unsigned plen = s46_get16(d + 4), nh = d[6];
    if (p->len < 40 + plen ||
        !(nh == S46_PROTO_UDP ? plen >= 8 && s46_get16(d + 46) != 0
                              : nh == S46_PROTO_TCP && plen >= 20) ||
        (b->c.ttl_decrement && d[7] <= 1) || plen + 20 > b->c.ipv4_mtu)
        return false;
    s46_ip6 src, dst;
    memcpy(src.b, d + 8, 16);
    memcpy(dst.b, d + 24, 16);
    uint32_t d4, v4a;
    uint8_t v4len;
    uint16_t psid;
    const s46_rule_shape *sh;
    if (!dmr_extract(b, &dst, &d4))
        return false;
    const s46_maprule *r = s46_sw_map_rule6(&sw->map, &src, &sh);
    if (!r || !s46_map_check_src(r, sh, &src, S46_IID_RFC7597, &v4a, &v4len, &psid) ||
        v4len != 32 ||
        (sh->psid_len &&
         !s46_port_in_set(sh->psid_offset, sh->psid_len, psid, s46_get16(d + 40))) ||
        s46_ruleset_covers4(sw->map.rules, d4))
        return false;
    unsigned total = 20 + plen;
    uint8_t *h = d + 20;
    uint8_t *ck = d + 40 + (nh == S46_PROTO_TCP ? 16 : 6);
    s46_xf_fix_csum(ck, s46_xf_sum4n(d + 8, 32), s46_xf_sum32(v4a) + s46_xf_sum32(d4),
                    nh == S46_PROTO_UDP);
    uint8_t tos = (uint8_t)((d[0] & 15) << 4 | d[1] >> 4),
            ttl = (uint8_t)(b->c.ttl_decrement ? d[7] - 1 : d[7]);
    s46_xf_put4(&b->x, h, tos, total, ttl, (uint8_t)nh, v4a, d4);
    p->data = h;
    p->len = total;
    p->verdict = S46_V_FORWARD;
    p->out_port = 0;
    b->cnt[S46_BRT_translated6]++;
    b->cnt[S46_BRT_v4_out]++;
    return true;
}

/* The MAP-T BR's composition. IPv4 in: to the BR itself, reassembly, the
 * CE by the rules, translation toward it. IPv6 in: to the DMR, from a CE's
 * MAP address, reassembly, translation, the CE's ports, CE-to-CE
 * hairpinned, out to IPv4. */
static const s46_stage *const brt_stages4[] = {
    &s46_st_parse4, &s46_st_self4, &s46_st_reasm4, &s46_st_map_dst4, &s46_st_xlat4to6, NULL,
};
static const s46_stage *const brt_stages6[] = {
    &s46_st_parse6,         &st_dmr6,          &s46_st_map_src6,
    &s46_st_reasm6,         &s46_st_xlat6to4_hold, &s46_st_map_inner_src,
    &s46_st_map_hairpin,    &s46_st_out4,      NULL,
};

static int apply_conf(s46_brt *b, const s46_brt_conf *c, char *err, size_t errlen)
{
    if (c->ipv4_mtu < 68 || c->ipv6_mtu < 1280 || c->lowest_ipv6_mtu < 1280) {
        s46_seterr(err, errlen, "map_t: ipv4_mtu must be at least 68, ipv6_mtu and "
                                "lowest_ipv6_mtu at least 1280");
        return -1;
    }
    if (!s46_rfc6052_len_ok(c->dmr.len)) {
        s46_seterr(err, errlen, "map_t.dmr: length must be 32, 40, 48, 56, 64 or 96 (RFC 6052)");
        return -1;
    }
    if (!c->rules) {
        s46_seterr(err, errlen, "map_t: no rules");
        return -1;
    }
    b->c = *c;
    b->dmr = c->dmr;
    b->dmr_mask = s46_mask128(c->dmr.len);
    b->dmr128 = s46_ip6_u128(&c->dmr.addr) & b->dmr_mask;
    for (unsigned i = 0, k = c->dmr.len / 8; i < 4; i++, k++) {
        if (k == 8)
            k++; /* the u octet */
        b->dmr_pos[i] = (uint8_t)k;
    }
    b->dmr_contig = b->dmr_pos[3] == b->dmr_pos[0] + 3;
    b->dmr_shift = (uint8_t)(8 * (15 - b->dmr_pos[3]));
    b->dmr_odd = b->dmr_pos[0] & 1;
    s46_ip6 z;
    s46_ip6_from_u128(&z, b->dmr128);
    b->dmr_sum = s46_xf_sum4n(z.b, 16);
    uint16_t id = b->x.next_id;
    s46_xlat_default(&b->x);
    b->x.to6 = dmr_to6;
    b->x.to4 = dmr_to4;
    b->x.arg = &b->dmr;
    b->x.next_id = id;
    b->x.mtu4 = c->ipv4_mtu;
    b->sw.ipv4_mtu = c->ipv4_mtu;
    b->x.mtu6 = c->ipv6_mtu;
    b->x.lowest_mtu6 = c->lowest_ipv6_mtu;
    b->x.ttl_decrement = c->ttl_decrement;
    s46_sw *sw = &b->sw;
    s46_ratelimit_init(&sw->dp.icmp_rl, c->icmp_rate, c->icmp_rate ? c->icmp_rate : 1);
    sw->self4 = c->br4;
    sw->icmp_src = c->br4;
    sw->local = c->br6;
    sw->ttl_decrement = c->ttl_decrement;
    sw->xlat = (s46_sw_xlat){&b->x, brt_why, S46_BRT_translated4, S46_BRT_translated6,
                             S46_BRT_drop_frag_too_big, brt_fix, NULL};
    s46_sw_map_set(&sw->map, c->rules, S46_IID_RFC7597, c->hairpin, c->icmp_unreachable);
    sw->fast[0] = b->fast_wanted ? v4_fast : NULL;
    sw->fast[1] = b->fast_wanted ? v6_fast : NULL;
    return 0;
}

s46_brt *s46_brt_new(const s46_brt_conf *c, char *err, size_t errlen)
{
    s46_brt *b = calloc(1, sizeof *b);
    if (!b || s46_sw_init(&b->sw, &brt_desc, b->cnt, brt_ev, c->icmp_rate,
                          c->icmp_rate ? c->icmp_rate : 1) < 0) {
        free(b);
        s46_seterr(err, errlen, "out of memory");
        return NULL;
    }
    b->sw.mech = b;
    b->sw.stages[0] = brt_stages4;
    b->sw.stages[1] = brt_stages6;
    b->fast_wanted = true;
    if (apply_conf(b, c, err, errlen) < 0) {
        s46_brt_free(b);
        return NULL;
    }
    return b;
}

void s46_brt_free(s46_brt *b)
{
    if (!b)
        return;
    s46_sw_fini(&b->sw);
    free(b);
}

int s46_brt_reconfigure(s46_brt *b, const s46_brt_conf *c, char *err, size_t errlen)
{
    return apply_conf(b, c, err, errlen);
}

void s46_brt_process(s46_brt *b, s46_batch *batch, uint16_t side, uint64_t now_ns)
{
    s46_sw_process(&b->sw, batch, side, now_ns);
}

const s46_counters *s46_brt_counters(const s46_brt *b) { return &b->sw.dp.counters; }

void s46_brt_set_fast_paths(s46_brt *b, bool on)
{
    b->fast_wanted = on;
    b->sw.fast[0] = on ? v4_fast : NULL;
    b->sw.fast[1] = on ? v6_fast : NULL;
}

json_t *s46_brt_show(const s46_brt *b)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    char s[S46_PFX6_STRLEN];
    json_object_set_new(o, "mechanism", json_string("map_t_br"));
    json_object_set_new(o, "dmr", json_string(s46_pfx6_format(&b->dmr, s)));
    json_object_set_new(o, "rules", json_integer((json_int_t)s46_ruleset_count(b->c.rules)));
    json_object_set_new(o, "stages", s46_sw_stages_json(&b->sw));
    return o;
}

/* As a pipeline: stateless but for reassembly, so with several workers
 * only fragments are steered (by datagram). */
#include "dp/pipeline.h"

typedef struct brt_pl {
    s46_brt *b;
    s46_pipeline_env env;
} brt_pl;

static void *pl_create(const void *conf, const s46_pipeline_env *env, char *err, size_t errlen)
{
    brt_pl *p = calloc(1, sizeof *p);
    if (!p) {
        s46_seterr(err, errlen, "out of memory");
        return NULL;
    }
    if (!(p->b = s46_brt_new(conf, err, errlen))) {
        free(p);
        return NULL;
    }
    p->env = *env;
    return p;
}

static int pl_reconfigure(void *self, const void *conf, char *err, size_t errlen)
{
    return s46_brt_reconfigure(((brt_pl *)self)->b, conf, err, errlen);
}

static unsigned pl_steer(const void *self, const s46_pkt *p, uint16_t side)
{
    const brt_pl *l = self;
    unsigned owner;
    (void)side;
    return s46_steer_fragment(p, l->env.workers, &owner) ? owner : l->env.worker;
}

static void pl_process(void *self, s46_batch *b, uint16_t side, uint64_t now)
{
    s46_brt_process(((brt_pl *)self)->b, b, side, now);
}

static json_t *pl_show(const void *self, uint64_t now)
{
    (void)now;
    return s46_brt_show(((const brt_pl *)self)->b);
}

static const s46_counters *pl_counters(const void *self)
{
    return s46_brt_counters(((const brt_pl *)self)->b);
}

static void pl_destroy(void *self)
{
    brt_pl *p = self;
    s46_brt_free(p->b);
    free(p);
}

const s46_pipeline_ops s46_pl_br_mapt = {
    .name = "br_mapt",
    .create = pl_create,
    .reconfigure = pl_reconfigure,
    .steer = pl_steer,
    .process = pl_process,
    .show = pl_show,
    .counters = pl_counters,
    .destroy = pl_destroy,
};
