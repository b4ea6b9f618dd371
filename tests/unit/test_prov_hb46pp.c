#include "t.h"
#include "prov/hb46pp.h"
#include "lib/addr.h"

static const char *good =
    "{ \"enabler_name\": \"A VNE\", \"service_name\": \"Highspeed\", \"isp_name\": \"ISP-A\","
    "  \"ttl\": 86400, \"auth\": \"ok\","
    "  \"token\": \"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\","
    "  \"order\": [\"464xlat\", \"map_e\", \"dslite\", \"lw4o6\", \"map_t\", \"ipip\"],"
    "  \"map_e\": { \"version\": 0, \"mesh\": true, \"br\": \"2001:db8:1::1\","
    "    \"rules\": [ { \"ipv6\": \"2001:db8:1:2000::/52\", \"ipv4\": \"203.0.113.0/24\","
    "                  \"ea_length\": 12, \"psid_offset\": 4 } ] },"
    "  \"map_t\": { \"dmr\": \"64:ff9b::/64\","
    "    \"rules\": [ { \"ipv6\": \"2001:db8:2:2000::/52\", \"ipv4\": \"198.51.100.0/24\","
    "                  \"ea_length\": 12, \"psid_offset\": 4 } ] },"
    "  \"dslite\": { \"aftr\": \"aftr.example.net\" },"
    "  \"lw4o6\": { \"lwaftr\": \"2001:db8:3::1\", \"ipv6\": \"2001:db8:3:100::/56\","
    "    \"ipv4\": \"192.0.2.7\", \"psid\": 5, \"psid_length\": 6, \"psid_offset\": 4 },"
    "  \"464xlat\": { \"nat64prefix\": \"64:ff9b::/96\" },"
    "  \"ipip\": [ { \"ipv6_local\": \"2001:db8:7:100::7\", \"ipv6_remote\": \"2001:db8:7::1\","
    "              \"ipv4\": \"203.0.113.0/29\" } ],"
    "  \"future\": 1 }";

static int check_mut(const char *path_key, json_t *val, const char *errprefix)
{
    char err[S46_ERRLEN];
    json_t *j = s46_hb46pp_parse(good, strlen(good), 0, err, sizeof err);
    if (!j)
        return 0;
    /* path_key: "a" or "a.b" */
    char k[64];
    snprintf(k, sizeof k, "%s", path_key);
    char *dot = strchr(k, '.');
    json_t *o = j;
    if (dot) {
        *dot = 0;
        o = json_object_get(j, k);
        if (json_is_array(o))
            o = json_array_get(o, 0);
        json_object_set_new(o, dot + 1, val);
    } else if (val) {
        json_object_set_new(j, k, val);
    } else {
        json_object_del(j, k);
    }
    int rc = s46_hb46pp_validate(j, 0, NULL, err, sizeof err);
    json_decref(j);
    if (rc == 0) {
        printf("accepted mutation of %s\n", path_key);
        return 0;
    }
    if (strncmp(err, errprefix, strlen(errprefix)) != 0) {
        printf("error \"%s\" does not start with \"%s\"\n", err, errprefix);
        return 0;
    }
    return 1;
}

TEST(valid_full_example)
{
    char err[S46_ERRLEN];
    json_t *j = s46_hb46pp_parse(good, strlen(good), 0, err, sizeof err);
    if (!j)
        printf("err: %s\n", err);
    CHECK(j != NULL);
    json_decref(j);
}

TEST(empty_order_ok)
{
    char err[S46_ERRLEN];
    const char *t = "{\"order\": [], \"auth\": \"bad\"}";
    json_t *j = s46_hb46pp_parse(t, strlen(t), 0, err, sizeof err);
    CHECK(j != NULL);
    json_decref(j);
    t = "{\"ttl\": 5}";
    CHECK(s46_hb46pp_parse(t, strlen(t), 0, err, sizeof err) == NULL);
    CHECK_STR(err, "order: missing");
    t = "{\"order\": [], \"order\": []}";
    CHECK(s46_hb46pp_parse(t, strlen(t), 0, err, sizeof err) == NULL);
}

TEST(bad_fields_named)
{
    CHECK(check_mut("ttl", json_integer(604801), "ttl:"));
    CHECK(check_mut("ttl", json_string("1"), "ttl:"));
    CHECK(check_mut("auth", json_string("maybe"), "auth:"));
    CHECK(check_mut("token", json_string("ABC"), "token:"));
    CHECK(check_mut("order", json_pack("[s]", "pptp"), "order[0]:"));
    CHECK(check_mut("order", json_pack("[s,s]", "map_e", "map_e"), "order[1]:"));
    CHECK(check_mut("dslite", NULL, "order[2]:"));
    CHECK(check_mut("dslite.aftr", json_string("bad name!"), "dslite.aftr:"));
    CHECK(check_mut("lw4o6.psid", json_integer(64), "lw4o6.psid:"));
    CHECK(check_mut("lw4o6.ipv4", json_string("300.1.1.1"), "lw4o6.ipv4:"));
    CHECK(check_mut("464xlat.nat64prefix", json_string("64:ff9b::/33"), "464xlat.nat64prefix:"));
    CHECK(check_mut("map_t.dmr", json_string("nope"), "map_t.dmr:"));
    CHECK(check_mut("ipip.ipv6_local", json_string("1.2.3.4"), "ipip[0].ipv6_local:"));
    CHECK(check_mut("map_e.br", json_string("x"), "map_e"));
    CHECK(check_mut("isp_name", json_string(
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"), "isp_name:"));
}

/* Each name field: S46_HB46PP_MAX_NAME (254) bytes accepted, one more refused. */
TEST(name_length_boundary)
{
    static const char *const fields[] = {"enabler_name", "service_name", "isp_name"};
    char name[S46_HB46PP_MAX_NAME + 2];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = 0;
    for (size_t i = 0; i < 3; i++) {
        char err[S46_ERRLEN];
        json_t *j = s46_hb46pp_parse(good, strlen(good), 0, err, sizeof err);
        CHECK(j != NULL);
        if (!j)
            return;
        json_object_set_new(j, fields[i], json_stringn(name, S46_HB46PP_MAX_NAME));
        CHECK_INT(s46_hb46pp_validate(j, 0, NULL, err, sizeof err), 0);
        json_decref(j);
        CHECK(check_mut(fields[i], json_stringn(name, S46_HB46PP_MAX_NAME + 1), fields[i]));
    }
}

TEST(lenient_token)
{
    char err[S46_ERRLEN];
    bool dropped = false;
    json_t *j = json_pack("{s:s,s:[]}", "token", "XYZ", "order");
    CHECK(s46_hb46pp_validate(j, S46_HB46PP_LENIENT_TOKEN, &dropped, err, sizeof err) == 0);
    CHECK(dropped);
    json_decref(j);
}

static json_t *rules(size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        char v6[64], v4[32];
        snprintf(v6, sizeof v6, "2001:db8:%zx::/48", i);
        snprintf(v4, sizeof v4, "10.%zu.%zu.0/24", i / 256, i % 256);
        json_array_append_new(a, json_pack("{s:s,s:s,s:i,s:i}", "ipv6", v6, "ipv4", v4,
                                           "ea_length", 8, "psid_offset", 4));
    }
    return a;
}

TEST(rule_limits)
{
    char err[S46_ERRLEN];
    json_t *j = json_pack("{s:[s],s:{s:s,s:o}}", "order", "map_e", "map_e", "br",
                          "2001:db9::1", "rules", rules(256));
    CHECK(s46_hb46pp_validate(j, 0, NULL, err, sizeof err) == 0);
    json_array_append_new(json_object_get(json_object_get(j, "map_e"), "rules"),
                          json_pack("{s:s,s:s,s:i,s:i}", "ipv6", "2001:db8:ffff::/48",
                                    "ipv4", "11.0.0.0/24", "ea_length", 8, "psid_offset", 4));
    CHECK(s46_hb46pp_validate(j, 0, NULL, err, sizeof err) < 0);
    json_decref(j);
    j = json_pack("{s:[s],s:{s:s,s:o}}", "order", "map_t", "map_t", "dmr", "64:ff9b::/64",
                  "rules", rules(200));
    CHECK(s46_hb46pp_validate(j, 0, NULL, err, sizeof err) == 0);
    json_object_set_new(json_object_get(j, "map_t"), "rules", rules(201));
    CHECK(s46_hb46pp_validate(j, 0, NULL, err, sizeof err) < 0);
    CHECK(strncmp(err, "map_t.rules", 11) == 0);
    json_decref(j);
}

/* issue 16 item 2: rules the rule-set builder refuses are refused by the
 * validator (not later, when the CE builds them). */
TEST(conflicting_rules_refused)
{
    char err[S46_ERRLEN];
    const char *r1 = "{\"ipv6\":\"2001:db8::/40\",\"ipv4\":\"192.0.2.0/24\",\"ea_length\":16,"
                     "\"psid_offset\":6}";
    const char *same6 = "{\"ipv6\":\"2001:db8::/40\",\"ipv4\":\"198.18.0.0/24\",\"ea_length\":16,"
                        "\"psid_offset\":6}";
    const char *same4 = "{\"ipv6\":\"2001:db8:100::/40\",\"ipv4\":\"192.0.2.0/24\",\"ea_length\":16,"
                        "\"psid_offset\":6}";
    /* one IPv4 address, explicit PSIDs: distinct PSIDs are fine, equal ones overlap */
    const char *p1 = "{\"ipv6\":\"2001:db8:200::/56\",\"ipv4\":\"203.0.113.1/32\",\"ea_length\":0,"
                     "\"psid_offset\":6,\"psid_length\":4,\"psid\":1}";
    const char *p2 = "{\"ipv6\":\"2001:db8:201::/56\",\"ipv4\":\"203.0.113.1/32\",\"ea_length\":0,"
                     "\"psid_offset\":6,\"psid_length\":4,\"psid\":2}";
    const char *p1b = "{\"ipv6\":\"2001:db8:202::/56\",\"ipv4\":\"203.0.113.1/32\",\"ea_length\":0,"
                      "\"psid_offset\":6,\"psid_length\":4,\"psid\":1}";
    struct { const char *a, *b; int ok; const char *msg; } c[] = {
        {r1, same6, 0, "map_e.rules: rules 0 and 1 have the same IPv6 prefix"},
        {r1, same4, 0, "map_e.rules: rules 0 and 1 have the same IPv4 prefix and overlapping ports"},
        {p1, p2, 1, NULL},
        {p1, p1b, 0, "map_e.rules: rules 0 and 1 have the same IPv4 prefix and overlapping ports"},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        char text[1024];
        snprintf(text, sizeof text, "{\"order\":[\"map_e\"],\"map_e\":{\"br\":\"2001:db8:ffff::1\","
                 "\"rules\":[%s,%s]}}", c[i].a, c[i].b);
        json_t *j = s46_hb46pp_parse(text, strlen(text), 0, err, sizeof err);
        CHECK((j != NULL) == c[i].ok);
        if (!c[i].ok)
            CHECK_STR(err, c[i].msg);
        json_decref(j);
        /* map_t rules go through the same builder */
        snprintf(text, sizeof text, "{\"order\":[\"map_t\"],\"map_t\":{\"dmr\":\"64:ff9b::/64\","
                 "\"rules\":[%s,%s]}}", c[i].a, c[i].b);
        j = s46_hb46pp_parse(text, strlen(text), 0, err, sizeof err);
        CHECK((j != NULL) == c[i].ok);
        if (!c[i].ok)
            CHECK(strncmp(err, "map_t.rules: rules 0 and 1", 26) == 0);
        json_decref(j);
    }
}

/* issue 16 item 8: tunnel endpoints are global unicast, and a BR is not
 * inside a Rule IPv6 prefix (there it would be a CE's, e.g. the CE's own
 * MAP address). */
TEST(endpoints_global_unicast)
{
    static const char *const bad[] = {"ff02::1", "::", "::1", "fe80::1", "::ffff:192.0.2.1",
                                      "::192.0.2.1", "fec0::1", "ff0e::101"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(check_mut("map_e.br", json_string(bad[i]), "map_e.br: "));
        CHECK(check_mut("dslite.aftr", json_string(bad[i]), "dslite.aftr: "));
        CHECK(check_mut("lw4o6.lwaftr", json_string(bad[i]), "lw4o6.lwaftr: "));
        CHECK(check_mut("ipip.ipv6_remote", json_string(bad[i]), "ipip[0].ipv6_remote: "));
        CHECK(check_mut("ipip.ipv6_local", json_string(bad[i]), "ipip[0].ipv6_local: "));
    }
    /* the example's rule 2001:db8:1:2000::/52 holds its CEs' MAP addresses
     * (e.g. a CE's draft-03 one): no address of it may be the BR */
    CHECK(check_mut("map_e.br", json_string("2001:db8:1:2340:0:cb00:7134:0"),
                    "map_e.br: inside rules[0]'s IPv6 prefix"));
    CHECK(check_mut("map_e.br", json_string("2001:db8:1:2fff::1"),
                    "map_e.br: inside rules[0]'s IPv6 prefix"));
    CHECK(check_mut("ipip.ipv6_remote", json_string("2001:db8:7:100::7"),
                    "ipip[0].ipv6_remote: the same address as ipv6_local"));
    CHECK(check_mut("ipip.ipv4", json_string("0.0.0.0/0"), "ipip[0].ipv4: "));
    /* names and global addresses stay fine */
    char err[S46_ERRLEN];
    json_t *j = s46_hb46pp_parse(good, strlen(good), 0, err, sizeof err);
    CHECK(j != NULL);
    json_object_set_new(json_object_get(j, "dslite"), "aftr", json_string("2001:db8:ff::2"));
    json_object_set_new(json_object_get(j, "map_e"), "br", json_string("fd00::1"));
    CHECK(s46_hb46pp_validate(j, 0, NULL, err, sizeof err) == 0);
    json_decref(j);
    s46_ip6 a;
    CHECK(s46_ip6_parse("2001:db8::1", &a) == 0 && s46_hb46pp_endpoint_bad(&a) == NULL);
    CHECK(s46_ip6_parse("::ffff:0:1", &a) == 0 && s46_hb46pp_endpoint_bad(&a) != NULL);
}

TEST(fqdn)
{
    CHECK(s46_hb46pp_fqdn_ok("aftr.example.net"));
    CHECK(s46_hb46pp_fqdn_ok("aftr.example.net."));
    CHECK(!s46_hb46pp_fqdn_ok("-a.example"));
    CHECK(!s46_hb46pp_fqdn_ok("a..b"));
    CHECK(!s46_hb46pp_fqdn_ok("."));
    CHECK(!s46_hb46pp_fqdn_ok(""));
}

/* 464xlat.nat64prefix: optional (RFC 7050 discovery), RFC 6052 lengths,
 * global unicast, the Well-Known Prefix only as 64:ff9b::/96. */
static int xlat_ok(const char *prefix)
{
    char err[S46_ERRLEN];
    json_t *j = json_loads(good, 0, NULL);
    json_t *x = json_object_get(j, "464xlat");
    if (prefix)
        json_object_set_new(x, "nat64prefix", json_string(prefix));
    else
        json_object_del(x, "nat64prefix");
    int rc = s46_hb46pp_validate(j, 0, NULL, err, sizeof err);
    json_decref(j);
    if (rc < 0 && strncmp(err, "464xlat.nat64prefix:", 20) != 0)
        printf("unexpected error: %s\n", err);
    return rc == 0;
}

TEST(nat64prefix_rules)
{
    CHECK(xlat_ok(NULL));
    CHECK(xlat_ok("64:ff9b::/96"));
    static const char *const good_len[] = {"2001:db8::/32", "2001:db8:100::/40", "2001:db8:122::/48",
                                           "2001:db8:122:300::/56", "2001:db8:122:344::/64",
                                           "2001:db8:122:344::/96", "64:ff9b:1::/48"};
    for (size_t i = 0; i < sizeof good_len / sizeof good_len[0]; i++)
        CHECK(xlat_ok(good_len[i]));
    static const char *const bad[] = {"2001:db8::/33", "2001:db8::/128", "64:ff9b::/64",
                                      "64:ff9b::/32", "fe80::/64", "ff0e::/32", "::/96",
                                      "::ffff:0:0/96", "fec0::/48", "nope"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(!xlat_ok(bad[i]));
}

T_MAIN(T_CASE(valid_full_example), T_CASE(empty_order_ok), T_CASE(bad_fields_named),
       T_CASE(name_length_boundary),
       T_CASE(lenient_token), T_CASE(rule_limits), T_CASE(fqdn),
       T_CASE(conflicting_rules_refused), T_CASE(endpoints_global_unicast),
       T_CASE(nat64prefix_rules))
