/* MAP-T addresses: the examples of RFC 7599 Appendix A (rules, CE
 * addresses, DMR addresses by RFC 6052) and the MAP-T BR's settings. The
 * BR's packets are tested by tests/mapt_golden.py. */
#include "conf/mapt_conf.h"
#include "dp/br_mapt.h"
#include "lib/maprule.h"
#include "lib/rfc6052.h"
#include "lib/ruleset.h"
#include "t.h"

static s46_maprule rule(const char *v6, const char *v4, unsigned ea, unsigned a)
{
    s46_maprule r;
    memset(&r, 0, sizeof r);
    if (s46_pfx6_parse(v6, &r.ipv6, NULL, 0) || s46_pfx4_parse(v4, &r.ipv4, NULL, 0))
        abort();
    r.ea_len = (uint8_t)ea;
    r.psid_offset = (uint8_t)a;
    return r;
}

static s46_pfx6 pfx(const char *s)
{
    s46_pfx6 p;
    if (s46_pfx6_parse(s, &p, NULL, 0))
        abort();
    return p;
}

static uint32_t ip4(const char *s)
{
    uint32_t a;
    if (s46_ip4_parse(s, &a))
        abort();
    return a;
}

static const char *fmt6(const s46_ip6 *a)
{
    static char b[4][S46_IP6_STRLEN];
    static int i;
    return s46_ip6_format(a, b[i++ & 3]);
}

/* Example 1, the BMR: 2001:db8:12:3400::/56 under 2001:db8::/40,
 * 192.0.2.0/24, 16 EA bits: 192.0.2.18, PSID 0x34, ports 1232-1235 ...
 * 64720-64723, CE address 2001:db8:12:3400:0:c000:212:34. */
TEST(rfc7599_a_example1_bmr)
{
    s46_maprule r = rule("2001:db8::/40", "192.0.2.0/24", 16, 6);
    s46_pfx6 eu = pfx("2001:db8:12:3400::/56");
    s46_ce_params p;
    CHECK(s46_maprule_derive(&r, &eu, S46_IID_RFC7597, &p, NULL, 0) == 0);
    CHECK_INT(p.ipv4, ip4("192.0.2.18"));
    CHECK_INT(p.ipv4_len, 32);
    CHECK_INT(p.psid, 0x34);
    CHECK_INT(p.psid_len, 8);
    CHECK_STR(fmt6(&p.map_addr), "2001:db8:12:3400:0:c000:212:34");
    s46_port_range rg[64];
    CHECK_INT(s46_portset_ranges(6, 8, 0x34, rg, 64), 63);
    CHECK_INT(rg[0].first, 1232);
    CHECK_INT(rg[0].last, 1235);
    CHECK_INT(rg[1].first, 2256);
    CHECK_INT(rg[62].first, 64720);
    CHECK_INT(rg[62].last, 64723);
}

/* Example 2, the BR: 10.2.3.4:80 -> 192.0.2.18:1232 with the DMR
 * 2001:db8:ffff::/64: source 2001:db8:ffff:0:a:203:400::, destination the
 * CE of example 1. */
TEST(rfc7599_a_example2_br)
{
    s46_maprule r = rule("2001:db8::/40", "192.0.2.0/24", 16, 6);
    s46_rule_shape sh;
    s46_maprule_shape(&r, &sh);
    s46_ip6 ce, src;
    CHECK(s46_map_ce_addr(&r, &sh, ip4("192.0.2.18"), 1232, S46_IID_RFC7597, &ce));
    CHECK_STR(fmt6(&ce), "2001:db8:12:3400:0:c000:212:34");
    s46_pfx6 dmr = pfx("2001:db8:ffff::/64");
    s46_rfc6052_embed(&dmr, ip4("10.2.3.4"), &src);
    CHECK_STR(fmt6(&src), "2001:db8:ffff:0:a:203:400:0");
    /* and the BR checks the CE's packets back against the same rule */
    uint32_t v4;
    uint8_t len;
    uint16_t psid;
    CHECK(s46_map_check_src(&r, &sh, &ce, S46_IID_RFC7597, &v4, &len, &psid));
    CHECK_INT(v4, ip4("192.0.2.18"));
    CHECK_INT(psid, 0x34);
}

/* Example 3: the CE toward 10.2.3.4 by the DMR (0.0.0.0/0): from its MAP
 * address to the DMR address; and back, the DMR address decodes. */
TEST(rfc7599_a_example3_dmr)
{
    s46_pfx6 dmr = pfx("2001:db8:ffff::/64");
    s46_ip6 dst;
    s46_rfc6052_embed(&dmr, ip4("10.2.3.4"), &dst);
    CHECK_STR(fmt6(&dst), "2001:db8:ffff:0:a:203:400:0");
    uint32_t back;
    CHECK(s46_rfc6052_extract(&dmr, &dst, &back));
    CHECK_INT(back, ip4("10.2.3.4"));
}

/* Example 4: no EA bits, no sharing: 2001:db8:12:3400::/56 with
 * 192.0.2.1/32 gives 2001:db8:12:3400:0:c000:201:0 (the example's text
 * names the address 192.0.2.18, its CE address has 192.0.2.1). */
TEST(rfc7599_a_example4_no_ea_bits)
{
    s46_maprule r = rule("2001:db8:12:3400::/56", "192.0.2.1/32", 0, 6);
    s46_pfx6 eu = pfx("2001:db8:12:3400::/56");
    s46_ce_params p;
    CHECK(s46_maprule_derive(&r, &eu, S46_IID_RFC7597, &p, NULL, 0) == 0);
    CHECK_INT(p.ipv4, ip4("192.0.2.1"));
    CHECK_INT(p.psid_len, 0);
    CHECK_STR(fmt6(&p.map_addr), "2001:db8:12:3400:0:c000:201:0");
}

/* Example 5: no EA bits, a provisioned PSID 0x34 of length 8 on
 * 192.0.2.18/32: the ports and CE address of example 1. */
TEST(rfc7599_a_example5_explicit_psid)
{
    s46_maprule r = rule("2001:db8:12:3400::/56", "192.0.2.18/32", 0, 6);
    r.explicit_psid = true;
    r.psid_len = 8;
    r.psid = 0x34;
    s46_pfx6 eu = pfx("2001:db8:12:3400::/56");
    s46_ce_params p;
    CHECK(s46_maprule_derive(&r, &eu, S46_IID_RFC7597, &p, NULL, 0) == 0);
    CHECK_INT(p.ipv4, ip4("192.0.2.18"));
    CHECK_INT(p.psid, 0x34);
    CHECK_STR(fmt6(&p.map_addr), "2001:db8:12:3400:0:c000:212:34");
    CHECK(s46_port_in_set(6, 8, 0x34, 1232));
    CHECK(!s46_port_in_set(6, 8, 0x34, 1236));
}

static json_t *doc(const char *dmr)
{
    return json_pack("{s:{s:s,s:[{s:s,s:s,s:i,s:i}]},s:s}", "map_t", "dmr", dmr, "rules", "ipv6",
                     "2001:db8::/40", "ipv4", "192.0.2.0/24", "ea_length", 16, "psid_offset", 6,
                     "br_ipv4", "198.51.100.1");
}

/* The settings: RFC 6052 DMR lengths only, br_ipv6 defaulting to br_ipv4
 * inside the DMR, errors naming the field. */
TEST(mapt_br_settings)
{
    char err[256];
    s46_brt_conf c;
    json_t *d = doc("2001:db8:ffff::/64");
    CHECK(s46_mapt_conf_is(d));
    CHECK(s46_brt_conf_from_json(d, &c, err, sizeof err) == 0);
    CHECK_STR(fmt6(&c.br6), "2001:db8:ffff:0:c6:3364:100:0");
    CHECK_INT(s46_ruleset_count(c.rules), 1);
    s46_ruleset_free(c.rules);
    json_decref(d);
    static const char *const bad[] = {"2001:db8:ffff::/72", "2001:db8:ffff:0:100::/64", "x"};
    for (size_t i = 0; i < 3; i++) {
        d = doc(bad[i]);
        CHECK(s46_brt_conf_from_json(d, &c, err, sizeof err) < 0);
        CHECK(strncmp(err, "map_t.dmr", 9) == 0);
        json_decref(d);
    }
    /* an HB46PP answer with both map_e and map_t is the MAP-E BR's */
    d = doc("2001:db8:ffff::/64");
    json_object_set_new(d, "map_e", json_object());
    CHECK(!s46_mapt_conf_is(d));
    json_decref(d);
}

T_MAIN(T_CASE(rfc7599_a_example1_bmr), T_CASE(rfc7599_a_example2_br),
       T_CASE(rfc7599_a_example3_dmr), T_CASE(rfc7599_a_example4_no_ea_bits),
       T_CASE(rfc7599_a_example5_explicit_psid), T_CASE(mapt_br_settings))
