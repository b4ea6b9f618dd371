#include "dp/aftr.h"

#include <stdlib.h>
#include <string.h>

#include "dp/cgn_fast.h"
#include "dp/cgn_mech.h"
#include "dp/cgn_rewrite.h"
#include "dp/pipeline.h"
#include "dp/softwire.h"
#include "dp/stages.h"
#include "lib/err.h"
#include "lib/tunnel.h"

#define S46_AFTR_NAME(n, d) #n,
static const char *const counter_names[] = {S46_AFTR_COUNTERS(S46_AFTR_NAME)};
#undef S46_AFTR_NAME

static const s46_dp_desc aftr_desc = {
    counter_names, S46_AFTR_NCOUNTERS, {S46_AFTR_v4_out, S46_AFTR_v6_out},
    S46_AFTR_icmp_errors_sent, S46_AFTR_drop_icmp_ratelimited, S46_AFTR_fragments_held,
    S46_AFTR_reassembled, S46_AFTR_drop_reassembly_failed, S46_AFTR_fragmented,
    S46_AFTR_drop_no_buffer, 256,
};

/* The shared stages' events as the AFTR counts them. */
static const uint16_t aftr_ev[S46_EV_N] = {
    [S46_EV_IN4] = S46_EVC(S46_AFTR_v4_in),
    [S46_EV_IN6] = S46_EVC(S46_AFTR_v6_in),
    [S46_EV_V4_MALFORMED] = S46_EVC(S46_AFTR_drop_v4_malformed),
    [S46_EV_V6_MALFORMED] = S46_EVC(S46_AFTR_drop_v6_malformed),
    [S46_EV_TO_SELF4] = S46_EVC(S46_AFTR_drop_v4_to_aftr),
    [S46_EV_NOT_LOCAL] = S46_EVC(S46_AFTR_drop_v6_not_aftr_address),
    [S46_EV_ECHO_REPLIES] = S46_EVC(S46_AFTR_echo_replies),
    [S46_EV_TTL_EXPIRED] = S46_EVC(S46_AFTR_drop_v4_ttl_expired),
    [S46_EV_TOO_BIG] = S46_EVC(S46_AFTR_drop_v4_too_big),
    [S46_EV_ENCAPSULATED] = S46_EVC(S46_AFTR_encapsulated),
    [S46_EV_DECAPSULATED] = S46_EVC(S46_AFTR_decapsulated),
    [S46_EV_NOT_IPIP] = S46_EVC(S46_AFTR_drop_v6_not_ipip),
    [S46_EV_ICMPV6_OTHER] = S46_EVC(S46_AFTR_drop_icmpv6_other),
    [S46_EV_INNER_MALFORMED] = S46_EVC(S46_AFTR_drop_inner_malformed),
    [S46_EV_INNER_TTL_EXPIRED] = S46_EVC(S46_AFTR_drop_inner_ttl_expired),
    [S46_EV_HAIRPINNED] = S46_EVC(S46_AFTR_hairpinned),
    [S46_EV_ECHO_NOT_UNICAST] = S46_EVC(S46_AFTR_drop_echo_not_unicast),
    [S46_EV_ROUTING_HEADER] = S46_EVC(S46_AFTR_drop_v6_routing_header),
    [S46_EV_UNFINISHED] = S46_EVC(S46_AFTR_drop_unfinished),
};

struct s46_aftr {
    s46_cgn_mech m;            /* the softwire and its CGN (first: stages get it) */
    s46_aftr_conf c;
    uint64_t cnt[S46_AFTR_NCOUNTERS];
    uint8_t hdr6[48];          /* the encapsulation's template (s46_encap_write) */
};

static bool v4_fast(s46_sw *sw, s46_pkt *p);
static bool v6_fast(s46_sw *sw, s46_pkt *p);
static s46_cgn_fast_class cand4(const void *arg, const s46_pkt *p, s46_l3 *l, s46_cgn_flow *f);
static s46_cgn_fast_class cand6(const void *arg, const s46_pkt *p, s46_l3 *l, s46_cgn_flow *f);

void s46_aftr_conf_default(s46_aftr_conf *c)
{
    memset(c, 0, sizeof *c);
    c->ipv6_mtu = 1500;
    c->ipv4_mtu = 1500;
    c->hop_limit = 64;
    c->encap_limit = -1;
    c->ttl_decrement = true;
    c->hairpin = true;
    c->icmp_rate = 1000;
    s46_cgn_config_default(&c->cgn);
}

static const s46_stage *const aftr_stages4[], *const aftr_stages6[];

/* What each CGN outcome (stage_cgn.c) is counted as. */
static const uint16_t aftr_cw[S46_CW_N] = {
    [S46_CW_UNSUPPORTED] = S46_AFTR_drop_unsupported_proto,
    [S46_CW_ICMP_NO_MAPPING] = S46_AFTR_drop_icmp_no_mapping,
    [S46_CW_NO_ADDRESS] = S46_AFTR_drop_no_address,
    [S46_CW_NO_BLOCK] = S46_AFTR_drop_no_block,
    [S46_CW_SUB_MAPPINGS] = S46_AFTR_drop_sub_mappings,
    [S46_CW_SUB_SESSIONS] = S46_AFTR_drop_sub_sessions,
    [S46_CW_SUB_RATE] = S46_AFTR_drop_sub_rate,
    [S46_CW_FULL] = S46_AFTR_drop_table_full,
    [S46_CW_LOG_REFUSED] = S46_AFTR_drop_log_refused,
    [S46_CW_IN_MALFORMED] = S46_AFTR_drop_in_malformed,
    [S46_CW_IN_NO_MAPPING] = S46_AFTR_drop_in_no_mapping,
    [S46_CW_IN_FILTERED] = S46_AFTR_drop_in_filtered,
    [S46_CW_IN_NOT_OURS] = S46_AFTR_drop_in_not_ours,
    [S46_CW_LOG_UNSYNCED] = S46_AFTR_drop_log_unsynced,
    [S46_CW_HAIRPIN_OFF] = S46_AFTR_drop_hairpin_off,
    [S46_CW_HAIRPIN_MALFORMED] = S46_AFTR_drop_inner_malformed,
};

/* A hairpinned packet, translated in again: the router hop, then through
 * the softwire of the B4 holding the destination port. */
static void hairpin_out(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    if (sw->ttl_decrement && s46_ipv4_dec_ttl(c->p->data) == 0)
        return s46_sw_drop(sw, c, S46_AFTR_drop_inner_ttl_expired);
    s46_ip6 to = c->peer;
    s46_sw_encap_out(sw, c, &to, S46_EV_HAIRPINNED, S46_EV_INNER_MALFORMED);
}

static int check(const s46_aftr_conf *c, char *err, size_t errlen)
{
    static const s46_ip6 unspecified;
    if (c->aftr6.b[0] == 0xff || s46_ip6_eq(&c->aftr6, &unspecified)) {
        s46_seterr(err, errlen, "the AFTR address must be a unicast IPv6 address");
        return -1;
    }
    if (c->ipv6_mtu < 1280 || c->hop_limit == 0 || c->encap_limit < -1 || c->encap_limit > 255) {
        s46_seterr(err, errlen, "ipv6_mtu below 1280, hop_limit 0 or encap_limit out of range");
        return -1;
    }
    return 0;
}

static void apply(s46_aftr *a, const s46_aftr_conf *c)
{
    s46_sw *sw = &a->m.sw;
    a->c = *c;
    s46_ratelimit_init(&sw->dp.icmp_rl, c->icmp_rate, c->icmp_rate ? c->icmp_rate : 1);
    sw->dp.enc = (s46_encap){.src = c->aftr6, .hop_limit = c->hop_limit,
                             .encap_limit = c->encap_limit};
    sw->local = c->aftr6;
    sw->self4 = c->aftr4;
    sw->icmp_src = c->aftr4;
    sw->ttl_decrement = c->ttl_decrement;
    sw->ipv4_mtu = c->ipv4_mtu;
    sw->reasm_inner_all = true; /* the CGN needs every datagram's ports */
    s46_pmtu_init(&sw->pmtu, c->ipv6_mtu);
    static const uint8_t zero[16];
    s46_encap_write(a->hdr6, &sw->dp.enc, 0, 0, zero);
    a->m.writer.log = c->log;
    sw->cgn.hairpin = c->hairpin;
}

static const s46_cgn_mech_kind aftr_kind = {
    &aftr_desc, aftr_ev, aftr_cw, {aftr_stages4, aftr_stages6}, {v4_fast, v6_fast},
    {cand4, cand6}, hairpin_out,
};

s46_aftr *s46_aftr_new(const s46_aftr_conf *c, unsigned share, unsigned shares, char *err,
                       size_t errlen)
{
    if (check(c, err, errlen) < 0)
        return NULL;
    s46_aftr *a = calloc(1, sizeof *a);
    if (!a || s46_cgn_mech_init(&a->m, &aftr_kind, a, a->cnt, c->icmp_rate, share, shares) < 0) {
        free(a);
        s46_seterr(err, errlen, "out of memory");
        return NULL;
    }
    apply(a, c);
    if (s46_cgn_mech_open(&a->m, &c->cgn, c->hairpin, err, errlen) < 0) {
        s46_aftr_free(a);
        return NULL;
    }
    return a;
}

void s46_aftr_free(s46_aftr *a)
{
    if (!a)
        return;
    s46_cgn_mech_fini(&a->m);
    free(a);
}

int s46_aftr_reconfigure(s46_aftr *a, const s46_aftr_conf *c, char *err, size_t errlen)
{
    if (check(c, err, errlen) < 0)
        return -1;
    if (c->log != a->c.log) {
        s46_seterr(err, errlen, "the port-block log cannot change while running");
        return -1;
    }
    apply(a, c);
    s46_cgn_set_policy(a->m.sw.cgn.g, &c->cgn);
    return 0;
}

const s46_counters *s46_aftr_counters(const s46_aftr *a) { return &a->m.sw.dp.counters; }

const s46_cgn *s46_aftr_cgn(const s46_aftr *a) { return a->m.sw.cgn.g; }

void s46_aftr_tick(s46_aftr *a, uint64_t now_ns)
{
    s46_sw_cgn_tick(&a->m.sw, now_ns);
}

/* ---- IPv6 -> IPv4 ---- */

/* ICMPv6 to the AFTR address other than echo requests (answered before). */
static inline void icmp6(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    if (c->l3.proto == S46_PROTO_ICMPV6)
        s46_sw_drop_ev(sw, c, S46_EV_ICMPV6_OTHER);
}
S46_STAGE_LOCAL(st_icmp6, "icmp6_other", icmp6);


/* The AFTR's composition. */
static const s46_stage *const aftr_stages4[] = {
    &s46_st_parse4, &s46_st_self4, &s46_st_reasm4, &s46_st_owner4,    &s46_st_ttl4,
    &s46_st_mtu4,   &s46_st_cgn_in,    &s46_st_encap,  &s46_st_log_sync,  NULL,
};
static const s46_stage *const aftr_stages6[] = {
    &s46_st_parse6, &s46_st_local6,    &s46_st_rh6,       &s46_st_reasm6,
    &s46_st_echo6,  &st_icmp6,         &s46_st_ipip6,     &s46_st_inner4,
    &s46_st_decap,  &s46_st_reasm_inner4, &s46_st_cgn_out,       &s46_st_ttl4_back,
    &s46_st_out4,   &s46_st_log_sync,      NULL,
};

/* ---- the fast paths: established flows without the stages ---- */

/* IPv4-in-IPv6 without extension headers to the AFTR address: its inner
 * packet's class (cgn_fast.h), the flow the B4's. Extension headers may
 * hide a fragment (any flow); anything else to no CGN state. */
static s46_cgn_fast_class cand6(const void *arg, const s46_pkt *p, s46_l3 *l, s46_cgn_flow *f)
{
    const s46_aftr *a = arg;
    const uint8_t *d = p->data;
    if (p->len < 40 || d[0] >> 4 != 6 || 40u + s46_get16(d + 4) > p->len)
        return S46_CGN_FAST_NONE;
    if (d[6] != S46_PROTO_IPIP)
        return d[6] == S46_PROTO_HOPOPT || d[6] == S46_PROTO_ROUTING ||
                       d[6] == S46_PROTO_FRAG || d[6] == S46_PROTO_DSTOPT
                   ? S46_CGN_FAST_ANY
                   : S46_CGN_FAST_NONE;
    if (memcmp(d + 24, a->m.sw.local.b, 16) != 0)
        return S46_CGN_FAST_NONE;
    /* the B4's address as the key, in place (a key is 16 bytes, unaligned) */
    return s46_cgn_fast_class4(d + 40, s46_get16(d + 4), (const s46_cgn_key *)(d + 8), l, f);
}

/* An IPv4 packet's class, but to the AFTR's own address (answered). */
static s46_cgn_fast_class cand4(const void *arg, const s46_pkt *p, s46_l3 *l, s46_cgn_flow *f)
{
    const s46_aftr *a = arg;
    const uint8_t *d = p->data;
    if (a->m.sw.self4 && p->len >= 20 && s46_get32(d + 16) == a->m.sw.self4)
        return S46_CGN_FAST_NONE;
    return s46_cgn_fast_class4(d, p->len, NULL, l, f);
}

/* A B4's packet of an established flow, decapsulated, NAPTed and sent out
 * in one pass: when its TTL does not expire here and it needs no IPv4
 * fragmentation. Otherwise (false) nothing changed: the stages take it.
 * When true, the packet and the counters are as the stages leave them. */
static bool v6_fast(s46_sw *sw, s46_pkt *p)
{
    s46_aftr *a = sw->mech;
    const s46_l3 *l;
    s46_cgn_flow *f;
    uint32_t ref;
    if (!s46_cgn_fast_next(&a->m.fast, p, &l, &f, &ref))
        return false;
    uint8_t *ip = p->data + 40;
    unsigned tot = (unsigned)l->l3_len + l->l4_len;
    if ((sw->ttl_decrement && ip[8] <= 1) || (sw->ipv4_mtu && tot > sw->ipv4_mtu))
        return false;
    s46_cgn_fast_commit(&a->m.fast, a->m.sw.cgn.g, ip, l, f, ref, sw->ttl_decrement);
    p->data = ip;
    p->len = tot;
    s46_sw_count(sw, S46_EV_DECAPSULATED);
    s46_dp_out(&sw->dp, p, 0);
    return true;
}

/* An IPv4 packet of an established flow NAPTed back and encapsulated to
 * its B4 in one pass: when its TTL does not expire here and it fits the
 * tunnel (the mtu4 stage's check toward the default peer, then the B4's
 * path MTU: no outer fragment). The same contract as v6_fast. */
static bool v4_fast(s46_sw *sw, s46_pkt *p)
{
    s46_aftr *a = sw->mech;
    const s46_l3 *l;
    s46_cgn_flow *f;
    uint32_t ref;
    if (!s46_cgn_fast_next(&a->m.fast, p, &l, &f, &ref))
        return false;
    uint8_t *ip = p->data;
    unsigned tot = (unsigned)l->l3_len + l->l4_len, over = s46_encap_overhead(&sw->dp.enc);
    const s46_ip6 *peer = (const s46_ip6 *)f->sub.b; /* the B4: 16 bytes, unaligned */
    if ((sw->ttl_decrement && ip[8] <= 1) ||
        (l->df && tot > s46_sw_room(sw, &sw->dp.enc.dst)) ||
        tot + over > s46_sw_mtu(sw, peer) || s46_pkt_headroom(p) < over ||
        sw->dp.enc.copy_tos /* the template has a fixed traffic class */)
        return false;
    s46_cgn_fast_commit(&a->m.fast, a->m.sw.cgn.g, ip, l, f, ref, sw->ttl_decrement);
    p->len = tot;
    /* s46_sw_encap_out's work, from the template (the AFTR's traffic
     * class is fixed): the checks above leave no outer fragment and no
     * refusal (room, at most the MTU's bytes) */
    s46_encap_push_template(p, a->hdr6, over, peer->b);
    s46_sw_count(sw, S46_EV_ENCAPSULATED);
    s46_dp_out(&sw->dp, p, 1);
    return true;
}

void s46_aftr_set_fast_paths(s46_aftr *a, bool on) { s46_cgn_mech_set_fast(&a->m, on); }

void s46_aftr_process(s46_aftr *a, s46_batch *b, uint16_t side, uint64_t now_ns)
{
    s46_cgn_mech_process(&a->m, b, side, now_ns);
}

unsigned s46_aftr_steer(const s46_aftr *a, const s46_pkt *p, uint16_t side)
{
    const s46_sw_cgn *g = &a->m.sw.cgn;
    if (side != S46_SIDE_V6)
        return s46_cgn_mech_steer4(&a->m, p);
    if (g->shares <= 1)
        return 0;
    if (p->len < 40)
        return g->share;
    s46_cgn_key k;
    memcpy(k.b, p->data + 8, 16);
    return s46_cgn_owner_out(&k, g->shares);
}

json_t *s46_aftr_show(const s46_aftr *a, uint64_t now_ns, unsigned max_blocks)
{
    (void)now_ns;
    char s6[S46_IP6_STRLEN], s4[S46_IP4_STRLEN];
    json_t *own = json_object();
    if (own) {
        json_object_set_new(own, "aftr", json_string(s46_ip6_format(&a->c.aftr6, s6)));
        json_object_set_new(own, "aftr_ipv4",
                            a->c.aftr4 ? json_string(s46_ip4_format(a->c.aftr4, s4))
                                       : json_null());
    }
    return s46_cgn_mech_show(&a->m, "aftr", own, max_blocks);
}
