/* The stage machinery of dp/softwire.h: stages run in order over a batch,
 * a finished packet goes to no later stage, a packet no stage finished is
 * dropped and counted, the fast path takes packets first, events count
 * through the mechanism's table, and show lists the stages. */
#include <jansson.h>

#include "dp/br_mape.h"
#include "dp/softwire.h"
#include "dp/stages.h"
#include "lib/pkt.h"
#include "lib/ruleset.h"
#include "t.h"

enum { C_IN4, C_IN6, C_OUT4, C_OUT6, C_ICMP, C_RL, C_HELD, C_REASM, C_RFAIL, C_FRAG,
       C_NOBUF, C_SEEN_A, C_SEEN_B, C_DROP_ODD, C_UNFINISHED, C_N };
static const char *const names[C_N] = {
    "in4", "in6", "out4", "out6", "icmp", "rl", "held", "reasm", "rfail", "frag",
    "nobuf", "seen_a", "seen_b", "drop_odd", "unfinished",
};
static const s46_dp_desc desc = {names, C_N, {C_OUT4, C_OUT6}, C_ICMP, C_RL, C_HELD, C_REASM,
                                 C_RFAIL, C_FRAG, C_NOBUF, 4};
static const uint16_t ev[S46_EV_N] = {
    [S46_EV_IN4] = S46_EVC(C_IN4),
    [S46_EV_IN6] = S46_EVC(C_IN6),
    [S46_EV_UNFINISHED] = S46_EVC(C_UNFINISHED),
};

/* a: counts every packet it sees, drops odd-length ones */
static inline void st_a(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    sw->dp.cnt[C_SEEN_A]++;
    if (c->p->len & 1)
        s46_sw_drop(sw, c, C_DROP_ODD);
}
S46_STAGE_LOCAL(stage_a, "a", st_a);
/* b: counts what it sees, sends lengths divisible by 4 out of side 1 */
static inline void st_b(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    sw->dp.cnt[C_SEEN_B]++;
    if (c->p->len % 4 == 0)
        s46_sw_out(sw, c, 1);
}
S46_STAGE_LOCAL(stage_b, "b", st_b);
/* the fast path takes packets of length 100 */
static bool fast(s46_sw *sw, s46_pkt *p)
{
    (void)sw;
    if (p->len != 100)
        return false;
    p->verdict = S46_V_FORWARD;
    p->out_port = 0;
    return true;
}

static const s46_stage *const list[] = {&stage_a, &stage_b, NULL};

TEST(stages_in_order_and_unfinished_counted)
{
    static s46_sw sw;
    uint64_t cnt[C_N] = {0};
    CHECK(s46_sw_init(&sw, &desc, cnt, ev, 0, 1) == 0);
    sw.stages[0] = sw.stages[1] = list;
    sw.fast[0] = fast;
    s46_pktpool *pool = s46_pktpool_new(8);
    CHECK(pool);
    /* 100: fast path; 7: dropped by a; 8: out by b; 10: unfinished */
    static const uint32_t lens[] = {100, 7, 8, 10};
    s46_batch b = {0};
    for (unsigned i = 0; i < 4; i++) {
        s46_pkt *p = s46_pkt_alloc(pool);
        CHECK(p);
        s46_pkt_reset(p);
        memset(p->data, 0, lens[i]);
        p->len = lens[i];
        b.pkts[b.count++] = p;
    }
    s46_sw_process(&sw, &b, 0, 0);
    CHECK_INT(cnt[C_IN4], 4);
    CHECK_INT(cnt[C_SEEN_A], 3);      /* not the fast path's */
    CHECK_INT(cnt[C_SEEN_B], 2);      /* not the one a dropped */
    CHECK_INT(cnt[C_DROP_ODD], 1);
    CHECK_INT(cnt[C_OUT6], 1);
    CHECK_INT(cnt[C_UNFINISHED], 1);
    CHECK_INT(b.pkts[0]->verdict, S46_V_FORWARD);
    CHECK_INT(b.pkts[0]->out_port, 0);
    CHECK_INT(b.pkts[1]->verdict, S46_V_DROP);
    CHECK_INT(b.pkts[1]->reason, C_DROP_ODD);
    CHECK_INT(b.pkts[2]->verdict, S46_V_FORWARD);
    CHECK_INT(b.pkts[2]->out_port, 1);
    CHECK_INT(b.pkts[3]->verdict, S46_V_DROP);
    CHECK_INT(b.pkts[3]->reason, C_UNFINISHED);
    /* side 1: no fast path there */
    for (unsigned i = 0; i < 4; i++) {
        s46_pkt_reset(b.pkts[i]);
        b.pkts[i]->len = lens[i];
    }
    s46_sw_process(&sw, &b, 1, 0);
    CHECK_INT(cnt[C_IN6], 4);
    CHECK_INT(cnt[C_SEEN_A], 7);
    CHECK_INT(b.pkts[0]->out_port, 1); /* 100 % 4 == 0: out by b */
    json_t *j = s46_sw_stages_json(&sw);
    char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    CHECK_STR(s, "{\"ipv4\":[\"fast_path\",\"a\",\"b\"],\"ipv6\":[\"a\",\"b\"]}");
    free(s);
    json_decref(j);
    for (unsigned i = 0; i < 4; i++)
        s46_pkt_release(pool, b.pkts[i]);
    s46_pktpool_free(pool);
    s46_sw_fini(&sw);
}

/* The BR's composition as show prints it, fast paths on and off. */
TEST(br_lists_its_stages)
{
    char err[128];
    s46_ruleset *rs = s46_ruleset_new(NULL, 0, err, sizeof err);
    CHECK(rs);
    s46_br_conf c;
    s46_br_conf_default(&c);
    c.rules = rs;
    s46_br *br = s46_br_new(&c);
    CHECK(br);
    json_t *j = s46_br_stages_json(br);
    char *s = json_dumps(json_object_get(j, "ipv4"), JSON_COMPACT);
    CHECK_STR(s, "[\"fast_path\",\"parse4\",\"self4\",\"reassemble4\",\"map_dst4\",\"ttl4\","
                 "\"mtu4\",\"encap\"]");
    free(s);
    json_decref(j);
    s46_br_set_fast_paths(br, false);
    j = s46_br_stages_json(br);
    s = json_dumps(json_object_get(j, "ipv6"), JSON_COMPACT);
    CHECK_STR(s, "[\"parse6\",\"local6\",\"routing_header6\",\"reassemble6\",\"echo6\",\"relay6\",\"ipip6\","
                 "\"map_src6\",\"inner4\",\"decap\",\"map_inner_src\",\"hairpin\",\"ttl4_back\","
                 "\"out4\"]");
    free(s);
    json_decref(j);
    s46_br_free(br);
    s46_ruleset_free(rs);
}

T_MAIN(T_CASE(stages_in_order_and_unfinished_counted), T_CASE(br_lists_its_stages))
