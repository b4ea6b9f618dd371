/* The lw4o6 lwB4 (dp/ce_lw4o6.h) and the HB46PP lw4o6 object
 * (prov/lw4o6.h): the object's checks, the B4 address from the binding
 * prefix, NAPT into the PSID's port set (offset 0 too), encapsulation from
 * the B4 address to the lwAFTR, the source and destination checks on the
 * way back. Packets are built here byte by byte. */
#include "dp/ce_lw4o6.h"
#include "lib/csum.h"
#include "lib/maprule.h"
#include "prov/lw4o6.h"
#include "t.h"

#define B4 "2001:db8:1:100::b4"
#define LWAFTR "2001:db8:ffff::1"
#define MINE 0xc0000201u    /* 192.0.2.1 */
#define LANHOST 0xc0a80102u /* 192.168.1.2 */
#define REMOTE4 0xc6336450u /* 198.51.100.80 */
#define SEC 1000000000ull

static s46_pktpool *pool;

static s46_pkt *udp4(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport)
{
    if (!pool)
        pool = s46_pktpool_new(64);
    s46_pkt *p = s46_pkt_alloc(pool);
    uint8_t *h = p->data;
    unsigned len = 40;
    memset(h, 0, len);
    h[0] = 0x45;
    s46_put16(h + 2, (uint16_t)len);
    h[8] = 64;
    h[9] = 17;
    s46_put32(h + 12, src);
    s46_put32(h + 16, dst);
    s46_put16(h + 10, s46_csum_fold(s46_csum_add(0, h, 20)));
    uint8_t *l4 = h + 20;
    s46_put16(l4, sport);
    s46_put16(l4 + 2, dport);
    s46_put16(l4 + 4, (uint16_t)(len - 20));
    uint32_t s = s46_csum_pseudo4(h + 12, h + 16, 17, len - 20);
    s46_put16(l4 + 6, s46_csum_fold(s46_csum_add(s, l4, len - 20)));
    p->len = len;
    return p;
}

static s46_pkt *wrap(s46_pkt *p, const char *src, const char *dst)
{
    uint32_t plen = p->len;
    uint8_t *h = s46_pkt_push(p, 40);
    s46_ip6 a;
    memset(h, 0, 40);
    h[0] = 0x60;
    s46_put16(h + 4, (uint16_t)plen);
    h[6] = 4;
    h[7] = 60;
    s46_ip6_parse(src, &a);
    memcpy(h + 8, a.b, 16);
    s46_ip6_parse(dst, &a);
    memcpy(h + 24, a.b, 16);
    return p;
}

static bool ip6_is(const uint8_t *b, const char *s)
{
    s46_ip6 a;
    s46_ip6_parse(s, &a);
    return memcmp(b, a.b, 16) == 0;
}

static s46_lwb4_conf conf(uint8_t off, uint8_t len, uint16_t psid)
{
    s46_lwb4_conf c;
    s46_lwb4_conf_default(&c);
    s46_ip6_parse(B4, &c.b4);
    s46_ip6_parse(LWAFTR, &c.lwaftr);
    c.ipv4 = MINE;
    c.psid_offset = off;
    c.psid_len = len;
    c.psid = psid;
    return c;
}

/* Runs p through b; the packet goes back to the pool at the next run. */
static void run1(s46_lwb4 *b, s46_pkt *p, uint16_t port)
{
    static s46_pkt *last;
    if (last)
        s46_pkt_release(pool, last);
    s46_batch bt = {1, {p}};
    s46_lwb4_process(b, &bt, port, SEC);
    last = p;
}

static uint64_t cnt(const s46_lwb4 *b, unsigned i) { return s46_lwb4_counters(b)->v[i]; }

static json_t *obj(const char *text)
{
    return json_loads(text, 0, NULL);
}

TEST(object_checks)
{
    char e[S46_ERRLEN];
    s46_lw4o6_cfg c;
    json_t *o = obj("{\"lwaftr\": \"2001:db8:ffff::1\", \"ipv6\": \"2001:db8:1:100::/56\","
                    " \"ipv4\": \"192.0.2.1\", \"psid\": 1, \"psid_length\": 6,"
                    " \"psid_offset\": 0}");
    CHECK(s46_lw4o6_from_json(o, &c, e, sizeof e) == 0);
    CHECK(c.lwaftr_literal && c.ipv4 == MINE && c.psid == 1 && c.psid_len == 6 &&
          c.psid_offset == 0 && c.ipv6.len == 56);
    static const struct { const char *key, *val, *err; } bad[] = {
        {"lwaftr", "\"2001:db8:1:100::1\"", "lw4o6.lwaftr: inside"},
        {"lwaftr", "\"fe80::1\"", "lw4o6.lwaftr: a link-local"},
        {"lwaftr", "\"bad_name!\"", "lw4o6.lwaftr: must be"},
        {"ipv4", "\"224.0.0.1\"", "lw4o6.ipv4: not a unicast"},
        {"ipv4", "\"0.0.0.0\"", "lw4o6.ipv4: not a unicast"},
        {"ipv6", "\"::1/128\"", "lw4o6.ipv6: the loopback"},
        {"psid_offset", "11", "lw4o6.psid_length: psid_offset + psid_length > 16"},
        {"psid", "64", "lw4o6.psid: does not fit"},
        {"psid_length", "17", "lw4o6.psid_length: must be"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *m = json_deep_copy(o);
        json_object_set_new(m, bad[i].key, json_loads(bad[i].val, JSON_DECODE_ANY, NULL));
        int rc = s46_lw4o6_from_json(m, &c, e, sizeof e);
        json_decref(m);
        if (rc == 0 || strncmp(e, bad[i].err, strlen(bad[i].err)) != 0)
            printf("  %s=%s: %s\n", bad[i].key, bad[i].val, rc == 0 ? "accepted" : e);
        CHECK(rc < 0 && strncmp(e, bad[i].err, strlen(bad[i].err)) == 0);
    }
    json_object_del(o, "psid");
    CHECK(s46_lw4o6_from_json(o, &c, e, sizeof e) < 0 && !strcmp(e, "lw4o6.psid: missing"));
    json_decref(o);
}

TEST(b4_address)
{
    char e[S46_ERRLEN], b[S46_IP6_STRLEN];
    s46_lw4o6_cfg c = {.ipv4 = MINE, .psid = 0x34, .psid_len = 6};
    s46_pfx6 eu;
    s46_ip6 a;
    /* the binding prefix is the End-user prefix: RFC 7597 §6 IID */
    s46_pfx6_parse("2001:db8:1:100::/56", &c.ipv6, NULL, 0);
    s46_pfx6_parse("2001:db8:1:100::/56", &eu, NULL, 0);
    CHECK(s46_lw4o6_b4(&c, &eu, &a, e, sizeof e) == 0);
    CHECK_STR(s46_ip6_format(&a, b), "2001:db8:1:100:0:c000:201:34");
    /* a shorter binding prefix containing it: built in the End-user prefix */
    s46_pfx6_parse("2001:db8:1::/48", &c.ipv6, NULL, 0);
    CHECK(s46_lw4o6_b4(&c, &eu, &a, e, sizeof e) == 0);
    CHECK_STR(s46_ip6_format(&a, b), "2001:db8:1:100:0:c000:201:34");
    /* a /64 inside it */
    s46_pfx6_parse("2001:db8:1:1ff::/64", &c.ipv6, NULL, 0);
    CHECK(s46_lw4o6_b4(&c, &eu, &a, e, sizeof e) == 0);
    CHECK_STR(s46_ip6_format(&a, b), "2001:db8:1:1ff:0:c000:201:34");
    /* a /128 is used as it is */
    s46_pfx6_parse("2001:db8:1:100::b4/128", &c.ipv6, NULL, 0);
    CHECK(s46_lw4o6_b4(&c, &eu, &a, e, sizeof e) == 0);
    CHECK_STR(s46_ip6_format(&a, b), "2001:db8:1:100::b4");
    /* another CE's */
    s46_pfx6_parse("2001:db8:1:200::b4/128", &c.ipv6, NULL, 0);
    CHECK(s46_lw4o6_b4(&c, &eu, &a, e, sizeof e) < 0 && strstr(e, "not inside"));
    s46_pfx6_parse("2001:db8:2::/48", &c.ipv6, NULL, 0);
    CHECK(s46_lw4o6_b4(&c, &eu, &a, e, sizeof e) < 0);
}

TEST(conf_refused)
{
    char e[S46_ERRLEN];
    s46_lwb4_conf c = conf(0, 6, 64);
    CHECK(!s46_lwb4_new(&c, e, sizeof e) && strstr(e, "does not fit"));
    c = conf(12, 6, 1);
    CHECK(!s46_lwb4_new(&c, e, sizeof e));
    c = conf(0, 6, 1);
    c.lwaftr = c.b4;
    CHECK(!s46_lwb4_new(&c, e, sizeof e));
    c = conf(0, 6, 1);
    c.ipv4 = 0;
    CHECK(!s46_lwb4_new(&c, e, sizeof e));
}

/* LAN out through the NAPT into the port set, encapsulated from the B4
 * address to the lwAFTR; the answer comes back to the LAN host. */
TEST(out_and_back)
{
    s46_lwb4_conf c = conf(0, 6, 1); /* offset 0: ports 1024-2047 */
    s46_lwb4 *b = s46_lwb4_new(&c, NULL, 0);
    CHECK(b);
    s46_pkt *p = udp4(LANHOST, REMOTE4, 40000, 53);
    run1(b, p, 0);
    CHECK_INT(p->verdict, S46_V_FORWARD);
    CHECK_INT(p->out_port, 1);
    CHECK_INT(p->len, 80);
    CHECK(p->data[6] == 4 && ip6_is(p->data + 8, B4) && ip6_is(p->data + 24, LWAFTR));
    uint8_t *in = p->data + 40;
    CHECK_INT(s46_get32(in + 12), MINE);
    uint16_t ext = s46_get16(in + 20);
    CHECK(ext >= 1024 && ext <= 2047);
    CHECK_INT(cnt(b, S46_LWB4_encapsulated), 1);
    CHECK_INT(cnt(b, S46_LWB4_napt_mappings_created), 1);

    /* the answer */
    p = wrap(udp4(REMOTE4, MINE, 53, ext), LWAFTR, B4);
    run1(b, p, 1);
    CHECK_INT(p->verdict, S46_V_FORWARD);
    CHECK_INT(p->out_port, 0);
    CHECK_INT(p->len, 40);
    CHECK_INT(s46_get32(p->data + 16), LANHOST);
    CHECK_INT(s46_get16(p->data + 22), 40000);
    CHECK_INT(cnt(b, S46_LWB4_decapsulated), 1);

    /* from another source than the lwAFTR */
    p = wrap(udp4(REMOTE4, MINE, 53, ext), "2001:db8:ffff::2", B4);
    run1(b, p, 1);
    CHECK_INT(p->verdict, S46_V_DROP);
    CHECK_INT(cnt(b, S46_LWB4_drop_wan_src_not_lwaftr), 1);
    /* to another IPv4 address */
    p = wrap(udp4(REMOTE4, MINE + 1, 53, ext), LWAFTR, B4);
    run1(b, p, 1);
    CHECK_INT(p->verdict, S46_V_DROP);
    CHECK_INT(cnt(b, S46_LWB4_drop_inner_not_my_ipv4), 1);
    /* to a port outside the set */
    p = wrap(udp4(REMOTE4, MINE, 53, 3000), LWAFTR, B4);
    run1(b, p, 1);
    CHECK_INT(p->verdict, S46_V_DROP);
    CHECK_INT(cnt(b, S46_LWB4_drop_inner_port_not_mine), 1);
    /* to another IPv6 address */
    p = wrap(udp4(REMOTE4, MINE, 53, ext), LWAFTR, "2001:db8:1:100::b5");
    run1(b, p, 1);
    CHECK_INT(p->verdict, S46_V_DROP);
    CHECK_INT(cnt(b, S46_LWB4_drop_wan_not_b4_address), 1);
    s46_lwb4_free(b);
}

/* Offset 0, PSID 0: ports 0-1023 are the set (RFC 7597 §5.1 with a = 0);
 * every flow gets one of them but port 0. With offset 6 the set has 63
 * ranges, none in 0-1023. */
TEST(port_sets)
{
    static const struct { uint8_t off, len; uint16_t psid; } sets[] = {{0, 6, 0}, {6, 6, 5}};
    for (size_t k = 0; k < 2; k++) {
        s46_lwb4_conf c = conf(sets[k].off, sets[k].len, sets[k].psid);
        s46_lwb4 *b = s46_lwb4_new(&c, NULL, 0);
        CHECK(b);
        for (unsigned i = 0; i < 300; i++) {
            s46_pkt *p = udp4(LANHOST, REMOTE4, (uint16_t)(20000 + i), 53);
            run1(b, p, 0);
            CHECK_INT(p->verdict, S46_V_FORWARD);
            uint16_t ext = s46_get16(p->data + 60);
            CHECK(ext != 0 && s46_port_in_set(c.psid_offset, c.psid_len, c.psid, ext));
            if (k == 0)
                CHECK(ext < 1024);
            else
                CHECK(ext >= 1024);
        }
        CHECK_INT(cnt(b, S46_LWB4_napt_mappings_created), 300);
        s46_lwb4_free(b);
    }
}

/* A new port set flushes the NAPT; the same one keeps it. */
TEST(reconfigure)
{
    s46_lwb4_conf c = conf(0, 6, 1);
    s46_lwb4 *b = s46_lwb4_new(&c, NULL, 0);
    CHECK(b);
    s46_pkt *p = udp4(LANHOST, REMOTE4, 40000, 53);
    run1(b, p, 0);
    uint16_t ext = s46_get16(p->data + 60);
    CHECK(s46_lwb4_reconfigure(b, &c, NULL, 0) == 0);
    p = wrap(udp4(REMOTE4, MINE, 53, ext), LWAFTR, B4);
    run1(b, p, 1);
    CHECK_INT(p->verdict, S46_V_FORWARD);
    c.psid = 2;
    CHECK(s46_lwb4_reconfigure(b, &c, NULL, 0) == 0);
    p = udp4(LANHOST, REMOTE4, 40000, 53);
    run1(b, p, 0);
    ext = s46_get16(p->data + 60);
    CHECK(ext >= 2048 && ext <= 3071);
    CHECK_INT(cnt(b, S46_LWB4_encapsulated), 2); /* counters kept */
    s46_lwb4_free(b);
}

T_MAIN(T_CASE(object_checks), T_CASE(b4_address), T_CASE(conf_refused), T_CASE(out_and_back),
       T_CASE(port_sets), T_CASE(reconfigure))
