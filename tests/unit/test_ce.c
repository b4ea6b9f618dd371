/* The CE pipeline as a library: NAPT into the port set, encapsulation,
 * reverse path, and reconfiguration that flushes the NAPT only when the
 * IPv4 address or port set changes. */
#include "dp/ce_mape.h"
#include "lib/csum.h"
#include "t.h"

static s46_maprule rule;
static s46_ce_conf conf(const char *prefix)
{
    memset(&rule, 0, sizeof rule);
    s46_pfx6_parse("2001:db8::/40", &rule.ipv6, NULL, 0);
    s46_pfx4_parse("192.0.2.0/24", &rule.ipv4, NULL, 0);
    rule.ea_len = 16;
    rule.psid_offset = 6;
    s46_ce_conf c;
    s46_ce_conf_default(&c);
    c.rules = &rule;
    c.nrules = 1;
    c.layout = S46_IID_RFC7597;
    s46_pfx6_parse(prefix, &c.eu_prefix, NULL, 0);
    s46_ip6_parse("2001:db8:ffff::1", &c.br);
    return c;
}

/* one UDP packet from the LAN through the CE; returns the external port */
static int send_lan(s46_ce *ce, s46_pktpool *pool, uint16_t sport, uint64_t now, uint8_t *out6)
{
    s46_pkt *p = s46_pkt_alloc(pool);
    uint8_t *h = p->data;
    memset(h, 0, 28);
    h[0] = 0x45;
    s46_put16(h + 2, 28);
    h[8] = 64;
    h[9] = 17;
    s46_put32(h + 12, 0xc0a80102);
    s46_put32(h + 16, 0xc6336450);
    s46_put16(h + 10, s46_csum_fold(s46_csum_add(0, h, 20)));
    s46_put16(h + 20, sport);
    s46_put16(h + 22, 53);
    s46_put16(h + 24, 8);
    p->len = 28;
    s46_batch b = {1, {p}};
    s46_ce_process(ce, &b, S46_CE_PORT_LAN, now);
    int port = -1;
    if (p->verdict == S46_V_FORWARD && p->len == 68 && p->data[6] == 4) {
        port = s46_get16(p->data + 40 + 20);
        if (out6)
            memcpy(out6, p->data + 8, 16);
        /* the inner source is the CE's address, checksum still valid */
        if (s46_get32(p->data + 40 + 12) != 0xc0000212 || !s46_csum_ok(p->data + 40, 20))
            port = -2;
    }
    s46_pkt_release(pool, p);
    return port;
}

TEST(ce_outbound_napt_and_encap)
{
    s46_ce_conf c = conf("2001:db8:12:3400::/56");
    s46_ce *ce = s46_ce_new(&c, NULL, 0);
    s46_pktpool *pool = s46_pktpool_new(8);
    CHECK(ce && pool);
    uint8_t src6[16];
    int port = send_lan(ce, pool, 5000, 1000000000ull, src6);
    CHECK(port > 0);
    CHECK(s46_port_in_set(6, 8, 0x34, (uint16_t)port));
    s46_ip6 want;
    s46_ip6_parse("2001:db8:12:3400:0:c000:212:34", &want);
    CHECK(memcmp(src6, want.b, 16) == 0);
    CHECK_INT(send_lan(ce, pool, 5000, 2000000000ull, NULL), port); /* same mapping */
    s46_ce_free(ce);
    s46_pktpool_free(pool);
}

TEST(ce_reconfigure_flushes_only_on_change)
{
    s46_ce_conf c = conf("2001:db8:12:3400::/56");
    char e[S46_ERRLEN];
    s46_ce *ce = s46_ce_new(&c, e, sizeof e);
    s46_pktpool *pool = s46_pktpool_new(8);
    uint64_t t = 1000000000ull;
    CHECK(send_lan(ce, pool, 5000, t, NULL) > 0);
    json_t *j = s46_ce_show(ce, t, 10);
    CHECK_INT(json_integer_value(json_object_get(json_object_get(j, "napt"), "mappings")), 1);
    json_decref(j);
    /* same address and port set (a new BR address): mappings stay */
    s46_ip6_parse("2001:db8:ffff::2", &c.br);
    CHECK_INT(s46_ce_reconfigure(ce, &c, e, sizeof e), 0);
    j = s46_ce_show(ce, t, 10);
    CHECK_INT(json_integer_value(json_object_get(json_object_get(j, "napt"), "mappings")), 1);
    CHECK_STR(json_string_value(json_object_get(j, "br")), "2001:db8:ffff::2");
    json_decref(j);
    /* a new prefix: new PSID, flushed, ports from the new set */
    c = conf("2001:db8:12:d100::/56");
    CHECK_INT(s46_ce_reconfigure(ce, &c, e, sizeof e), 0);
    j = s46_ce_show(ce, t, 10);
    CHECK_INT(json_integer_value(json_object_get(json_object_get(j, "napt"), "mappings")), 0);
    CHECK_INT(json_integer_value(json_object_get(j, "psid")), 0xd1);
    json_decref(j);
    int port = send_lan(ce, pool, 5000, t, NULL);
    CHECK(port > 0 && s46_port_in_set(6, 8, 0xd1, (uint16_t)port));
    /* an impossible configuration is refused and the running one kept */
    c = conf("2001:db9::/56");
    CHECK(s46_ce_reconfigure(ce, &c, e, sizeof e) < 0);
    CHECK(strstr(e, "no rule") != NULL);
    CHECK_INT(s46_ce_params_get(ce)->psid, 0xd1);
    s46_ce_free(ce);
    s46_pktpool_free(pool);
}

T_MAIN(T_CASE(ce_outbound_napt_and_encap), T_CASE(ce_reconfigure_flushes_only_on_change))
