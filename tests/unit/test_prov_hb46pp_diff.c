/* Differential test of the HB46PP validator (issue 16): random answers
 * built from small pools of prefixes, lengths and endpoints (so that
 * duplicate IPv6 prefixes, shared IPv4 prefixes with overlapping or
 * distinct port sets, BRs inside rule prefixes and non-unicast endpoints
 * all come up often); every answer the validator accepts must build a
 * rule set, CEs and tunnels (tests/fuzz/hb46pp_diff.h). Also counts that
 * both outcomes occur, so the generator keeps testing something. */
#include "t.h"
#include "../fuzz/hb46pp_diff.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static const char *pick(const char *const *a, size_t n) { return a[rnd((unsigned)n)]; }
#define PICK(a) pick(a, sizeof a / sizeof a[0])

static const char *const v6[] = {"2001:db8::/40", "2001:db8:100::/40", "2001:db8:1:2000::/52",
                                 "2001:db8:200::/56", "2001:db8:201::/56", "2001:db8::/32",
                                 "2001:db8:300::/48"};
static const char *const v4[] = {"192.0.2.0/24", "198.18.0.0/24", "203.0.113.1/32",
                                 "203.0.113.0/28", "10.0.0.0/16"};
static const char *const endpoints[] = {
    "2001:db8:ffff::1", "2001:db8::1", "2001:db8:1:2000::1", "ff02::1", "::", "::1", "fe80::1",
    "::ffff:192.0.2.1", "2001:db8:200::7", "fd00::1", "2001:db8:1:2000:0:c000:200:1"};

static json_t *rule(void)
{
    json_t *r = json_pack("{s:s,s:s,s:i,s:i}", "ipv6", PICK(v6), "ipv4", PICK(v4), "ea_length",
                          (int)rnd(4) * 8, "psid_offset", (int)rnd(8));
    if (rnd(3) == 0) {
        json_object_set_new(r, "ea_length", json_integer(0));
        json_object_set_new(r, "psid_length", json_integer((int)rnd(5)));
        json_object_set_new(r, "psid", json_integer((int)rnd(4)));
    }
    return r;
}

static json_t *answer(void)
{
    json_t *order = json_array(), *a = json_object();
    if (rnd(4)) {
        json_t *rules = json_array();
        for (unsigned i = 0, n = 1 + rnd(4); i < n; i++)
            json_array_append_new(rules, rule());
        json_object_set_new(a, "map_e", json_pack("{s:i,s:b,s:s,s:o}", "version", (int)rnd(2),
                                                  "mesh", (int)rnd(2), "br", PICK(endpoints),
                                                  "rules", rules));
        json_array_append_new(order, json_string("map_e"));
    }
    if (rnd(3) == 0) {
        json_t *rules = json_array();
        for (unsigned i = 0, n = 1 + rnd(3); i < n; i++)
            json_array_append_new(rules, rule());
        json_object_set_new(a, "map_t", json_pack("{s:s,s:o}", "dmr", "64:ff9b::/64", "rules",
                                                  rules));
        json_array_append_new(order, json_string("map_t"));
    }
    if (rnd(2)) {
        json_object_set_new(a, "dslite", json_pack("{s:s}", "aftr", rnd(4) ? PICK(endpoints)
                                                                           : "aftr.example.net"));
        json_array_append_new(order, json_string("dslite"));
    }
    if (rnd(2)) {
        static const char *const p4[] = {"203.0.113.0/29", "0.0.0.0/0", "192.0.2.1",
                                         "198.18.0.0/31"};
        json_object_set_new(a, "ipip", json_pack("[{s:s,s:s,s:s}]", "ipv6_local", PICK(endpoints),
                                                 "ipv6_remote", PICK(endpoints), "ipv4", PICK(p4)));
        json_array_append_new(order, json_string("ipip"));
    }
    if (rnd(5) == 0)
        json_object_set_new(a, "token", json_string(rnd(2) ? "XYZ" : "ab"));
    json_object_set_new(a, "order", order);
    return a;
}

TEST(accepted_answers_build_and_run)
{
    unsigned accepted = 0, refused = 0;
    char why[S46_ERRLEN], err[S46_ERRLEN];
    for (unsigned i = 0; i < 10000; i++) {
        json_t *a = answer();
        why[0] = 0;
        const char *bad = hb46pp_diff_check(a, i % 64 == 0, i, why, sizeof why);
        if (bad) {
            char *t = json_dumps(a, JSON_COMPACT);
            printf("FAIL %s: %s (%s): %s\n", t_name_, bad, why, t);
            free(t);
            json_decref(a);
            CHECK(!bad);
        }
        if (s46_hb46pp_validate(a, S46_HB46PP_LENIENT_TOKEN, NULL, err, sizeof err) == 0)
            accepted++;
        else
            refused++;
        json_decref(a);
    }
    printf("# %u accepted, %u refused\n", accepted, refused);
    CHECK(accepted > 500 && refused > 500);
}

T_MAIN(T_CASE(accepted_answers_build_and_run))
