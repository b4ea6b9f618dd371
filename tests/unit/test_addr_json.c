/* Addresses (strict parsing, RFC 5952 output) and the HB46PP map_e model. */
#include "lib/addr.h"
#include "prov/mape.h"
#include "t.h"

static const char *rt6(const char *in)
{
    static char b[S46_IP6_STRLEN];
    s46_ip6 a;
    if (s46_ip6_parse(in, &a) < 0)
        return "(parse error)";
    return s46_ip6_format(&a, b);
}

TEST(addr_rfc5952_output)
{
    CHECK_STR(rt6("2001:0db8:0000:0000:0000:0000:0000:0001"), "2001:db8::1");
    CHECK_STR(rt6("::"), "::");
    CHECK_STR(rt6("::1"), "::1");
    CHECK_STR(rt6("1::"), "1::");
    CHECK_STR(rt6("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1"); /* no :: for one hextet */
    CHECK_STR(rt6("2001:0:0:1:0:0:0:1"), "2001:0:0:1::1");           /* longest run */
    CHECK_STR(rt6("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");     /* first of equal runs */
    CHECK_STR(rt6("2001:DB8::ABCD"), "2001:db8::abcd");              /* lowercase */
    CHECK_STR(rt6("2001:db8:12:3400:0000:c000:0212:0034"), "2001:db8:12:3400:0:c000:212:34");
    CHECK_STR(rt6("1:2:3:4:5:6:7:8"), "1:2:3:4:5:6:7:8");
    CHECK_STR(rt6("0:0:1:0:0:0:0:0"), "0:0:1::");
}

TEST(addr_strict_parsing)
{
    uint32_t a;
    s46_ip6 b;
    s46_pfx4 p4;
    s46_pfx6 p6;
    char e[S46_ERRLEN];
    CHECK_INT(s46_ip4_parse("192.0.2.1", &a), 0);
    CHECK_INT(a, 0xc0000201);
    const char *bad4[] = {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4 ",
                          "1..2.3", "-1.2.3.4", "1.2.3.0x4", "1234.1.1.1"};
    for (size_t i = 0; i < sizeof bad4 / sizeof *bad4; i++)
        CHECK(s46_ip4_parse(bad4[i], &a) < 0);
    const char *bad6[] = {"", ":::", "1::2::3", "12345::", "g::", "1:2:3:4:5:6:7:8:9"};
    for (size_t i = 0; i < sizeof bad6 / sizeof *bad6; i++)
        CHECK(s46_ip6_parse(bad6[i], &b) < 0);
    CHECK_INT(s46_pfx4_parse("192.0.2.0/24", &p4, e, sizeof e), 0);
    CHECK_INT(p4.len, 24);
    CHECK(s46_pfx4_parse("192.0.2.1/24", &p4, e, sizeof e) < 0);
    CHECK(strstr(e, "beyond /24") != NULL);
    CHECK(s46_pfx4_parse("192.0.2.0/33", &p4, e, sizeof e) < 0);
    CHECK(s46_pfx4_parse("192.0.2.0", &p4, e, sizeof e) < 0);
    CHECK(strstr(e, "missing /length") != NULL);
    CHECK(s46_pfx4_parse("192.0.2.0/024", &p4, e, sizeof e) < 0);
    CHECK_INT(s46_pfx6_parse("2001:db8::/32", &p6, e, sizeof e), 0);
    CHECK(s46_pfx6_parse("2001:db8::/129", &p6, e, sizeof e) < 0);
    CHECK(s46_pfx6_parse("2001:db8::1/64", &p6, e, sizeof e) < 0);
    CHECK(s46_pfx6_parse("/64", &p6, e, sizeof e) < 0);
    CHECK(s46_pfx6_parse("2001:db8::/", &p6, e, sizeof e) < 0);
    CHECK(s46_pfx6_parse("2001:db8::/6x", &p6, e, sizeof e) < 0);
}

TEST(addr_bits)
{
    s46_ip6 a;
    s46_ip6_parse("2001:db8:12:3400::", &a);
    CHECK_INT(s46_ip6_get_bits(&a, 40, 16), 0x1234);
    CHECK_INT(s46_ip6_get_bits(&a, 0, 64), 0x20010db800123400ULL);
    s46_ip6_set_bits(&a, 60, 8, 0xff);
    CHECK_INT(s46_ip6_get_bits(&a, 56, 16), 0x0ff0);
    s46_ip6_mask(&a, 41);
    CHECK_INT(s46_ip6_get_bits(&a, 32, 16), 0x0000);
}

static json_t *parse(const char *s)
{
    json_error_t je;
    return json_loads(s, JSON_REJECT_DUPLICATES, &je);
}

static int mape_err(const char *doc, char *e, size_t n)
{
    json_t *j = parse(doc);
    s46_mape_cfg c;
    if (!j) {
        snprintf(e, n, "(json)");
        return 0;
    }
    int r = s46_mape_from_json(s46_mape_find(j), 256, &c, e, n);
    if (r == 0)
        s46_mape_free(&c);
    json_decref(j);
    return r;
}

TEST(mape_example_and_round_trip)
{
    char e[S46_ERRLEN];
    json_t *doc = s46_json_load_file("examples/hb46pp-example.json", e, sizeof e);
    CHECK(doc);
    s46_mape_cfg c, d;
    CHECK_INT(s46_mape_from_json(s46_mape_find(doc), 256, &c, e, sizeof e), 0);
    json_decref(doc);
    CHECK_INT(c.version, 0);
    CHECK(c.mesh);
    CHECK_INT(c.nrules, 1);
    CHECK_INT(c.rules[0].ea_len, 12);
    CHECK_INT(c.rules[0].psid_offset, 4);
    CHECK(s46_mape_layout(&c) == S46_IID_DRAFT03);
    json_t *out = s46_mape_to_json(&c);
    CHECK(out);
    CHECK(json_is_true(json_object_get(out, "mesh")));
    CHECK_INT(s46_mape_from_json(out, 256, &d, e, sizeof e), 0);
    json_decref(out);
    CHECK_INT(d.nrules, 1);
    CHECK(memcmp(&c.rules[0], &d.rules[0], sizeof c.rules[0]) == 0);
    CHECK(s46_ip6_eq(&c.br, &d.br));
    s46_mape_free(&c);
    s46_mape_free(&d);
}

TEST(mape_fields_and_errors)
{
    char e[S46_ERRLEN];
    const char *ok = "{\"br\":\"2001:db8::1\",\"rules\":[{\"ipv6\":\"2001:db8::/40\","
                     "\"ipv4\":\"192.0.2.0/24\",\"ea_length\":16,\"psid_offset\":6}]}";
    CHECK_INT(mape_err(ok, e, sizeof e), 0);
    json_t *j = parse(ok);
    s46_mape_cfg c;
    CHECK_INT(s46_mape_from_json(j, 256, &c, e, sizeof e), 0);
    CHECK_INT(c.version, 0); /* absent = draft-03 */
    CHECK(!c.mesh);          /* absent = hub and spoke */
    s46_mape_free(&c);
    json_object_set_new(j, "mesh", json_integer(1));
    json_object_set_new(j, "version", json_integer(1));
    CHECK_INT(s46_mape_from_json(j, 256, &c, e, sizeof e), 0);
    CHECK(c.mesh);
    CHECK(s46_mape_layout(&c) == S46_IID_RFC7597);
    s46_mape_free(&c);
    CHECK(s46_mape_from_json(j, 0, &c, e, sizeof e) < 0);
    CHECK(strstr(e, "at most 0") != NULL);
    json_decref(j);

    struct { const char *doc, *want; } bad[] = {
        {"[]", "map_e: must be an object"},
        {"{\"rules\":[]}", "map_e.br: missing"},
        {"{\"br\":\"x\",\"rules\":[]}", "map_e.br: 'x' is not an IPv6 address"},
        {"{\"br\":\"::1\",\"rules\":[]}", "map_e.rules: must be a non-empty array"},
        {"{\"br\":\"::1\",\"version\":2,\"rules\":[{}]}", "map_e.version: must be an integer 0..1"},
        {"{\"br\":\"::1\",\"mesh\":\"yes\",\"rules\":[{}]}", "map_e.mesh"},
        {"{\"br\":\"::1\",\"rules\":[1]}", "map_e.rules[0]: must be an object"},
        {"{\"br\":\"::1\",\"rules\":[{\"ipv4\":\"192.0.2.0/24\"}]}", "map_e.rules[0].ipv6: missing"},
        {"{\"br\":\"::1\",\"rules\":[{\"ipv6\":7}]}", "map_e.rules[0].ipv6: must be a string"},
        {"{\"br\":\"::1\",\"rules\":[{\"ipv6\":\"2001:db8::1/40\"}]}", "map_e.rules[0].ipv6: '2001:db8::1/40' has address bits set beyond /40"},
        {"{\"br\":\"::1\",\"rules\":[{\"ipv6\":\"2001:db8::/40\",\"ipv4\":\"1.2.3.4/33\"}]}", "map_e.rules[0].ipv4"},
        {"{\"br\":\"::1\",\"rules\":[{\"ipv6\":\"2001:db8::/40\",\"ipv4\":\"192.0.2.0/24\",\"ea_length\":16.5,\"psid_offset\":6}]}", "map_e.rules[0].ea_length: must be an integer 0..48"},
        {"{\"br\":\"::1\",\"rules\":[{\"ipv6\":\"2001:db8::/40\",\"ipv4\":\"192.0.2.0/24\",\"ea_length\":16}]}", "map_e.rules[0].psid_offset: missing"},
        {"{\"br\":\"::1\",\"rules\":[{\"ipv6\":\"2001:db8::/40\",\"ipv4\":\"192.0.2.0/24\",\"ea_length\":16,\"psid_offset\":16}]}", "map_e.rules[0].psid_offset: must be an integer 0..15"},
        {"{\"br\":\"::1\",\"rules\":[{\"ipv6\":\"2001:db8::/40\",\"ipv4\":\"192.0.2.0/24\",\"ea_length\":24,\"psid_offset\":6}]}", "map_e.rules[0]: psid_offset 6 + PSID length 16 exceeds 16"},
        {"{\"br\":\"::1\",\"rules\":[{\"ipv6\":\"2001:db8::/40\",\"ipv4\":\"192.0.0.0/8\",\"ea_length\":48,\"psid_offset\":0}]}", "map_e.rules[0]: ea_length 48 with IPv4 prefix /8 gives PSID length 24"},
        {"{\"br\":\"::1\",\"rules\":[{\"ipv6\":\"2001:db8::/100\",\"ipv4\":\"192.0.2.0/24\",\"ea_length\":30,\"psid_offset\":0}]}", "exceeds 128"},
        {"{\"br\":\"::1\",\"rules\":[{\"ipv6\":\"2001:db8::/40\",\"ipv4\":\"192.0.2.0/24\",\"ea_length\":16,\"psid_offset\":6,\"psid_length\":8,\"psid\":1}]}", "explicit PSID needs ea_length 0"},
        {"{\"br\":\"::1\",\"rules\":[{\"ipv6\":\"2001:db8::/40\",\"ipv4\":\"192.0.2.0/24\",\"ea_length\":0,\"psid_offset\":6,\"psid_length\":8,\"psid\":1}]}", "needs a full IPv4 address"},
        {"{\"br\":\"::1\",\"rules\":[{\"ipv6\":\"2001:db8::/40\",\"ipv4\":\"192.0.2.1/32\",\"ea_length\":0,\"psid_offset\":6,\"psid_length\":4,\"psid\":16}]}", "PSID 16 does not fit in PSID length 4"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        e[0] = 0;
        if (mape_err(bad[i].doc, e, sizeof e) == 0 || !strstr(e, bad[i].want)) {
            printf("FAIL %s: case %zu: got '%s', want '%s'\n", t_name_, i, e, bad[i].want);
            *t_failed_ = 1;
            return;
        }
    }
}

TEST(mape_rule_limit)
{
    char e[S46_ERRLEN];
    json_t *m = json_pack("{s:s,s:[]}", "br", "2001:db8::1", "rules");
    json_t *rules = json_object_get(m, "rules");
    for (int i = 0; i < 257; i++) {
        char v6[64], v4[32];
        snprintf(v6, sizeof v6, "2001:db8:%x::/48", i);
        snprintf(v4, sizeof v4, "10.%d.%d.0/24", i / 256, i % 256);
        json_array_append_new(rules, json_pack("{s:s,s:s,s:i,s:i}", "ipv6", v6, "ipv4", v4,
                                               "ea_length", 8, "psid_offset", 6));
    }
    s46_mape_cfg c;
    CHECK(s46_mape_from_json(m, S46_HB46PP_MAX_MAPE_RULES, &c, e, sizeof e) < 0);
    CHECK(strstr(e, "257 rules, at most 256") != NULL);
    json_array_remove(rules, 256);
    CHECK_INT(s46_mape_from_json(m, S46_HB46PP_MAX_MAPE_RULES, &c, e, sizeof e), 0);
    CHECK_INT(c.nrules, 256);
    s46_mape_free(&c);
    json_decref(m);
}

T_MAIN(T_CASE(addr_rfc5952_output), T_CASE(addr_strict_parsing), T_CASE(addr_bits),
       T_CASE(mape_example_and_round_trip), T_CASE(mape_fields_and_errors), T_CASE(mape_rule_limit))
