#include "t.h"
#include "prov/query.h"

TEST(vendorid_formats)
{
    CHECK(s46_q_vendorid_ok("acde48"));
    CHECK(s46_q_vendorid_ok("acde48-v6pc_swg_hgw"));
    CHECK(s46_q_vendorid_ok("ACDE48-x"));
    CHECK(!s46_q_vendorid_ok("acde4"));
    CHECK(!s46_q_vendorid_ok("acde48-"));
    CHECK(!s46_q_vendorid_ok("acde48x"));
    CHECK(!s46_q_vendorid_ok("acde48-a-b"));
    CHECK(s46_q_vendorid_ok("acde48-123456789012345678901234"));
    CHECK(!s46_q_vendorid_ok("acde48-1234567890123456789012345"));
    CHECK(!s46_q_vendorid_ok(""));
    CHECK(!s46_q_vendorid_ok(NULL));
}

TEST(product_version_cred)
{
    CHECK(s46_q_product_ok("V6MIG-ROUTER"));
    CHECK(!s46_q_product_ok(""));
    CHECK(!s46_q_product_ok("a b"));
    CHECK(s46_q_product_ok("12345678901234567890123456789012"));
    CHECK(!s46_q_product_ok("123456789012345678901234567890123"));
    CHECK(s46_q_version_ok("1_32"));
    CHECK(!s46_q_version_ok("1.32"));
    CHECK(!s46_q_version_ok("a"));
    CHECK(s46_q_cred_ok("user-1_X"));
    CHECK(!s46_q_cred_ok("p@ss"));
    CHECK(!s46_q_cred_ok("\xc3\xa9"));
}

TEST(token_format)
{
    char t[66];
    memset(t, 'a', 64);
    t[64] = 0;
    CHECK(s46_q_token_ok(t));
    t[3] = 'A';
    CHECK(!s46_q_token_ok(t));
    t[3] = 'g';
    CHECK(!s46_q_token_ok(t));
    t[3] = '0';
    t[64] = '0';
    t[65] = 0;
    CHECK(!s46_q_token_ok(t));
    t[63] = 0;
    CHECK(!s46_q_token_ok(t));
}

TEST(capability_parse)
{
    CHECK_INT(s46_q_capability_parse("map_e,dslite,lw4o6,hubspoke"),
              S46_CAP_MAPE | S46_CAP_DSLITE | S46_CAP_LW4O6 | S46_CAP_HUBSPOKE);
    CHECK_INT(s46_q_capability_parse(""), 0);
    CHECK_INT(s46_q_capability_parse("future_thing,map_t,,464xlat"),
              S46_CAP_MAPT | S46_CAP_464XLAT);
    CHECK_INT(s46_q_capability_parse("MAP_E"), -1);
    CHECK_INT(s46_q_capability_parse("map e"), -1);
    CHECK_STR(s46_q_cap_name(S46_CAP_MAPE), "map_e");
    CHECK(s46_q_cap_name(S46_CAP_MESH) == NULL);
}

TEST(pct_decode)
{
    char out[16];
    CHECK_INT(s46_q_pct_decode("map_e%2Cdslite", 14, out, sizeof out), 0);
    CHECK_STR(out, "map_e,dslite");
    CHECK_INT(s46_q_pct_decode("%2c", 3, out, sizeof out), 0);
    CHECK_STR(out, ",");
    CHECK_INT(s46_q_pct_decode("%2", 2, out, sizeof out), -1);
    CHECK_INT(s46_q_pct_decode("%", 1, out, sizeof out), -1);
    CHECK_INT(s46_q_pct_decode("%zz", 3, out, sizeof out), -1);
    CHECK_INT(s46_q_pct_decode("%00", 3, out, sizeof out), -1);
    CHECK_INT(s46_q_pct_decode("0123456789abcdef", 16, out, sizeof out), -1);
    CHECK_INT(s46_q_pct_decode("0123456789abcde", 15, out, sizeof out), 0);
}

T_MAIN(T_CASE(vendorid_formats), T_CASE(product_version_cred), T_CASE(token_format),
       T_CASE(capability_parse), T_CASE(pct_decode))
