/* Settings parsing (src/conf): the typed getters, the tunnel settings the
 * BR and the CE share, the BR's document (map_e members before the
 * document's), the CE's options. */
#include "conf/br_conf.h"
#include "conf/ce_conf.h"
#include "conf/json_get.h"
#include "lib/err.h"
#include "t.h"

TEST(getters_keep_absent_and_name_bad_members)
{
    char e[S46_ERRLEN];
    json_t *o = json_loads("{\"n\": 70000, \"b\": 1, \"a\": \"192.0.2.1\", \"z\": null,"
                           " \"l\": 7, \"s\": \"\"}", 0, NULL);
    uint16_t v16 = 5;
    CHECK_INT(s46_json_u16(o, "absent", 1, 10, &v16, e, sizeof e), 0);
    CHECK_INT(v16, 5);
    CHECK_INT(s46_json_u16(o, "n", 0, 65535, &v16, e, sizeof e), -1);
    CHECK_STR(e, "n: must be an integer 0..65535");
    uint32_t v32 = 0;
    CHECK_INT(s46_json_u32(o, "n", 0, 100000, &v32, e, sizeof e), 0);
    CHECK_INT(v32, 70000);
    bool b = false;
    CHECK_INT(s46_json_bool(o, "b", &b, e, sizeof e), -1);
    CHECK_STR(e, "b: must be true or false");
    CHECK_INT(s46_json_ip4(o, "a", &v32, e, sizeof e), 0);
    CHECK_INT(v32, 0xc0000201);
    s46_ip6 a6;
    CHECK_INT(s46_json_ip6(o, "a", &a6, e, sizeof e), -1);
    CHECK_STR(e, "a: must be an IPv6 address");
    int16_t lim = 4;
    CHECK_INT(s46_json_u8_or_null(o, "z", 0, 255, &lim, e, sizeof e), 0);
    CHECK_INT(lim, -1);
    CHECK_INT(s46_json_u8_or_null(o, "l", 0, 255, &lim, e, sizeof e), 0);
    CHECK_INT(lim, 7);
    CHECK_INT(s46_json_u8_or_null(o, "absent", 0, 255, &lim, e, sizeof e), 0);
    CHECK_INT(lim, 7);
    char *s = NULL;
    CHECK_INT(s46_json_str(o, "s", &s, e, sizeof e), -1);
    CHECK_STR(e, "s: must be a non-empty string");
    json_decref(o);
}

#define MAPE "\"br\": \"2001:db8:ffff::1\", \"rules\": [{\"ipv6\": \"2001:db8::/40\"," \
             " \"ipv4\": \"192.0.2.0/24\", \"ea_length\": 16, \"psid_offset\": 6}]"

TEST(br_settings_map_e_members_first)
{
    char e[S46_ERRLEN];
    s46_br_conf c;
    json_t *d = json_loads("{\"ipv6_mtu\": 1400, \"hop_limit\": 9, \"encap_limit\": 3,"
                           " \"br_ipv4\": \"192.0.0.1\", \"map_e\": {" MAPE
                           ", \"ipv6_mtu\": 1300, \"encap_limit\": null}}", 0, NULL);
    CHECK_INT(s46_br_conf_from_json(d, &c, e, sizeof e), 0);
    CHECK_INT(c.ipv6_mtu, 1300);
    CHECK_INT(c.hop_limit, 9);
    CHECK_INT(c.encap_limit, -1);
    CHECK_INT(c.br4, 0xc0000001);
    CHECK(c.hairpin && c.icmp_unreachable && c.icmp_rate == 1000);
    s46_ruleset_free(c.rules);
    json_decref(d);
    d = json_loads("{" MAPE ", \"ipv6_mtu\": 1000}", 0, NULL);
    CHECK_INT(s46_br_conf_from_json(d, &c, e, sizeof e), -1);
    CHECK_STR(e, "ipv6_mtu: must be an integer 1280..9000");
    json_decref(d);
}

TEST(ce_options)
{
    char e[S46_ERRLEN];
    s46_ce_conf c;
    s46_ce_conf_default(&c);
    json_t *d = json_loads("{\"ipv6_mtu\": 1460, \"encap_limit\": 0, \"filter\": \"eif\","
                           " \"lan_ipv4\": \"192.168.1.1\", \"udp_timeout\": 300}", 0, NULL);
    CHECK_INT(s46_ce_options_from_json(d, &c, e, sizeof e), 0);
    CHECK_INT(c.ipv6_mtu, 1460);
    CHECK_INT(c.hop_limit, 64);
    CHECK_INT(c.encap_limit, 0);
    CHECK_INT(c.lan_ipv4, 0xc0a80101);
    CHECK_INT(c.napt.filter, S46_NAPT_FILTER_EIF);
    CHECK_INT(c.napt.udp_timeout, 300);
    json_decref(d);
    d = json_loads("{\"hop_limit\": 0}", 0, NULL);
    CHECK_INT(s46_ce_options_from_json(d, &c, e, sizeof e), -1);
    CHECK_STR(e, "hop_limit: must be an integer 1..255");
    json_decref(d);
}

T_MAIN(T_CASE(getters_keep_absent_and_name_bad_members), T_CASE(br_settings_map_e_members_first),
       T_CASE(ce_options))
