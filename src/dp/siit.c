#include "dp/siit.h"

#include <stdlib.h>
#include <string.h>

#include "dp/softwire.h"
#include "dp/stages.h"
#include "lib/err.h"

#define S46_SIIT_NAME(n, d) #n,
static const char *const counter_names[] = {S46_SIIT_COUNTERS(S46_SIIT_NAME)};
#undef S46_SIIT_NAME

static const s46_dp_desc siit_desc = {
    counter_names, S46_SIIT_NCOUNTERS, {S46_SIIT_v4_out, S46_SIIT_v6_out},
    S46_SIIT_icmp_errors_sent, S46_SIIT_drop_icmp_ratelimited, S46_SIIT_fragments_held,
    S46_SIIT_reassembled, S46_SIIT_drop_reassembly_failed, S46_SIIT_fragmented,
    S46_SIIT_drop_no_buffer, 64,
};

static const uint16_t siit_ev[S46_EV_N] = {
    [S46_EV_IN4] = S46_EVC(S46_SIIT_v4_in),
    [S46_EV_IN6] = S46_EVC(S46_SIIT_v6_in),
    [S46_EV_V4_MALFORMED] = S46_EVC(S46_SIIT_drop_v4_malformed),
    [S46_EV_V6_MALFORMED] = S46_EVC(S46_SIIT_drop_v6_malformed),
    [S46_EV_TO_SELF4] = S46_EVC(S46_SIIT_drop_v4_to_self),
    [S46_EV_ECHO_REPLIES] = S46_EVC(S46_SIIT_echo_replies),
    [S46_EV_UNFINISHED] = S46_EVC(S46_SIIT_drop_unfinished),
};

/* What each refusal of the translator is counted as. */
static const uint16_t siit_why[S46_XR_N] = {
    [S46_XR_OK] = S46_SIIT_drop_unfinished,
    [S46_XR_MALFORMED] = S46_SIIT_drop_xlat_malformed,
    [S46_XR_TTL] = S46_SIIT_drop_ttl_expired,
    [S46_XR_TOO_BIG] = S46_SIIT_drop_too_big,
    [S46_XR_SRC_ROUTE] = S46_SIIT_drop_source_route,
    [S46_XR_SEG_LEFT] = S46_SIIT_drop_segments_left,
    [S46_XR_NO_MAPPING] = S46_SIIT_drop_no_mapping,
    [S46_XR_ICMP_TYPE] = S46_SIIT_drop_icmp_untranslatable,
    [S46_XR_ICMP_FRAGMENT] = S46_SIIT_drop_icmp_fragment,
    [S46_XR_QUOTE] = S46_SIIT_drop_quote,
    [S46_XR_UDP_ZERO] = S46_SIIT_drop_udp_zero_checksum,
    [S46_XR_NO_ROOM] = S46_SIIT_drop_no_room,
};

struct s46_siit {
    s46_sw sw;               /* first: the stages get it */
    s46_siit_map map;
    s46_xlat x;
    uint64_t cnt[S46_SIIT_NCOUNTERS];
};

void s46_siit_conf_default(s46_siit_conf *c)
{
    memset(c, 0, sizeof *c);
    s46_eam_init(&c->map.eam);
    c->ipv4_mtu = c->ipv6_mtu = 1500;
    c->lowest_ipv6_mtu = 1280;
    c->ttl_decrement = true;
    c->icmp_rate = 1000;
}

void s46_siit_conf_free(s46_siit_conf *c) { s46_eam_free(&c->map.eam); }

static const s46_stage *const siit_stages4[] = {
    &s46_st_parse4, &s46_st_self4, &s46_st_xlat_reasm, &s46_st_xlat4to6, NULL,
};
static const s46_stage *const siit_stages6[] = {
    &s46_st_parse6, &s46_st_xlat_reasm, &s46_st_xlat6to4, NULL,
};

static int apply_conf(s46_siit *s, const s46_siit_conf *c, char *err, size_t errlen)
{
    if (c->ipv4_mtu < 68 || c->ipv6_mtu < 1280 || c->lowest_ipv6_mtu < 1280) {
        s46_seterr(err, errlen, "siit: ipv4_mtu must be at least 68, ipv6_mtu and "
                                "lowest_ipv6_mtu at least 1280");
        return -1;
    }
    s46_siit_map m = {.pool6 = c->map.pool6, .has_pool6 = c->map.has_pool6};
    s46_eam_init(&m.eam);
    if (s46_eam_copy(&m.eam, &c->map.eam) < 0) {
        s46_seterr(err, errlen, "out of memory");
        return -1;
    }
    s46_eam_free(&s->map.eam);
    s->map = m;
    uint16_t id = s->x.next_id;
    s46_xlat_default(&s->x);
    s46_siit_attach(&s->x, &s->map);
    s->x.next_id = id;
    s->x.rfc6791_src = c->rfc6791;
    s->x.mtu4 = c->ipv4_mtu;
    s->sw.ipv4_mtu = c->ipv4_mtu;
    s->x.mtu6 = c->ipv6_mtu;
    s->x.lowest_mtu6 = c->lowest_ipv6_mtu;
    s->x.tos_zero = c->tos_zero;
    s->x.udp_zero_drop = c->udp_zero_drop;
    s->x.ttl_decrement = c->ttl_decrement;
    s46_sw *sw = &s->sw;
    s46_ratelimit_init(&sw->dp.icmp_rl, c->icmp_rate, c->icmp_rate ? c->icmp_rate : 1);
    sw->self4 = c->ipv4;
    sw->icmp_src = c->ipv4;
    sw->local = c->ipv6;
    sw->ttl_decrement = c->ttl_decrement;
    sw->xlat = (s46_sw_xlat){&s->x, siit_why, S46_SIIT_translated4, S46_SIIT_translated6,
                             S46_SIIT_drop_frag_too_big, NULL, NULL};
    return 0;
}

s46_siit *s46_siit_new(const s46_siit_conf *c, char *err, size_t errlen)
{
    s46_siit *s = calloc(1, sizeof *s);
    if (!s || s46_sw_init(&s->sw, &siit_desc, s->cnt, siit_ev, c->icmp_rate,
                          c->icmp_rate ? c->icmp_rate : 1) < 0) {
        free(s);
        s46_seterr(err, errlen, "out of memory");
        return NULL;
    }
    s->sw.mech = s;
    s->sw.stages[0] = siit_stages4;
    s->sw.stages[1] = siit_stages6;
    if (apply_conf(s, c, err, errlen) < 0) {
        s46_siit_free(s);
        return NULL;
    }
    return s;
}

void s46_siit_free(s46_siit *s)
{
    if (!s)
        return;
    s46_sw_fini(&s->sw);
    s46_eam_free(&s->map.eam);
    free(s);
}

int s46_siit_reconfigure(s46_siit *s, const s46_siit_conf *c, char *err, size_t errlen)
{
    return apply_conf(s, c, err, errlen);
}

void s46_siit_process(s46_siit *s, s46_batch *b, uint16_t side, uint64_t now_ns)
{
    s46_sw_process(&s->sw, b, side, now_ns);
}

void s46_siit_tick(s46_siit *s, uint64_t now_ns)
{
    (void)s;
    (void)now_ns;
}

const s46_counters *s46_siit_counters(const s46_siit *s) { return &s->sw.dp.counters; }

json_t *s46_siit_show(const s46_siit *s)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "mechanism", json_string("siit"));
    if (s->map.has_pool6) {
        char b[S46_PFX6_STRLEN];
        json_object_set_new(o, "pool6", json_string(s46_pfx6_format(&s->map.pool6, b)));
    }
    json_object_set_new(o, "eam", json_integer((json_int_t)s->map.eam.n));
    json_object_set_new(o, "stages", s46_sw_stages_json(&s->sw));
    return o;
}
