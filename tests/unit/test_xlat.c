/* The translator (lib/xlat.h), RFC 6052 addresses, the EAM table.
 * Packet vectors: input and expected bytes generated once with scapy (its
 * own header, checksum and ICMP encodings, independent of this code) and
 * pasted here as hex; the ICMP tables are written by hand from RFC 7915
 * §4.2 and §5.2, the address examples from RFC 6052 §2.4. */
#include "t.h"

#include "lib/csum.h"
#include "lib/eam.h"
#include "lib/rfc6052.h"
#include "lib/xlat.h"
#include "lib/xlat_map.h"

static s46_ip6 ip6(const char *s)
{
    s46_ip6 a;
    if (s46_ip6_parse(s, &a) < 0)
        abort();
    return a;
}

static s46_pfx6 pfx6(const char *s)
{
    s46_pfx6 p;
    if (s46_pfx6_parse(s, &p, NULL, 0) < 0)
        abort();
    return p;
}

static s46_pfx4 pfx4(const char *s)
{
    s46_pfx4 p;
    if (s46_pfx4_parse(s, &p, NULL, 0) < 0)
        abort();
    return p;
}

/* RFC 6052 §2.4, Table 2: 192.0.2.33 in each prefix length. */
TEST(rfc6052_examples)
{
    static const struct { const char *pfx, *addr; } ex[] = {
        {"2001:db8::/32", "2001:db8:c000:221::"},
        {"2001:db8:100::/40", "2001:db8:1c0:2:21::"},
        {"2001:db8:122::/48", "2001:db8:122:c000:2:2100::"},
        {"2001:db8:122:300::/56", "2001:db8:122:3c0:0:221::"},
        {"2001:db8:122:344::/64", "2001:db8:122:344:c0:2:2100::"},
        {"2001:db8:122:344::/96", "2001:db8:122:344::c000:221"},
        {"64:ff9b::/96", "64:ff9b::c000:221"},
    };
    for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++) {
        s46_pfx6 p = pfx6(ex[i].pfx);
        CHECK(s46_rfc6052_len_ok(p.len));
        s46_ip6 got, want = ip6(ex[i].addr);
        s46_rfc6052_embed(&p, 0xc0000221, &got);
        CHECK(s46_ip6_eq(&got, &want));
        uint32_t a4 = 0;
        CHECK(s46_rfc6052_extract(&p, &want, &a4));
        CHECK_INT(a4, 0xc0000221);
    }
    s46_pfx6 p = pfx6("64:ff9b::/96");
    s46_ip6 other = ip6("2001:db8::1");
    uint32_t a4;
    CHECK(!s46_rfc6052_extract(&p, &other, &a4));
    CHECK(!s46_rfc6052_len_ok(36));
    CHECK(!s46_rfc6052_len_ok(128));
}

TEST(eam_longest_match)
{
    s46_eam t;
    s46_eam_init(&t);
    s46_pfx4 a = pfx4("198.51.100.0/24"), b = pfx4("198.51.100.8/29");
    s46_pfx6 a6 = pfx6("2001:db8:6::/120"), b6 = pfx6("2001:db8:7::/125");
    char e[S46_ERRLEN];
    CHECK_INT(s46_eam_add(&t, &a, &a6, e, sizeof e), 0);
    CHECK_INT(s46_eam_add(&t, &b, &b6, e, sizeof e), 0);
    s46_pfx6 bad = pfx6("2001:db8:8::/96");
    CHECK_INT(s46_eam_add(&t, &a, &bad, e, sizeof e), -1); /* suffix lengths differ */
    CHECK_INT(s46_eam_add(&t, &a, &a6, e, sizeof e), -1);  /* twice */
    s46_ip6 o;
    CHECK(s46_eam_to6(&t, 0xc6336405, &o)); /* .5: the /24 */
    s46_ip6 w = ip6("2001:db8:6::5");
    CHECK(s46_ip6_eq(&o, &w));
    CHECK(s46_eam_to6(&t, 0xc633640a, &o)); /* .10: the /29 wins */
    w = ip6("2001:db8:7::2");
    CHECK(s46_ip6_eq(&o, &w));
    uint32_t v;
    w = ip6("2001:db8:7::2");
    CHECK(s46_eam_to4(&t, &w, &v));
    CHECK_INT(v, 0xc633640a);
    w = ip6("2001:db8:6::ff");
    CHECK(s46_eam_to4(&t, &w, &v));
    CHECK_INT(v, 0xc63364ff);
    CHECK(!s46_eam_to6(&t, 0xc6336500, &o));
    w = ip6("2001:db8:6::1:0");
    CHECK(!s46_eam_to4(&t, &w, &v));
    s46_eam_free(&t);
}

/* RFC 7915 §4.2 and §5.2, every code of the error types. */
TEST(icmp_tables)
{
    s46_xlat x;
    s46_xlat_default(&x);
    static const struct { uint8_t t, c; int t6, c6; uint32_t w6; } v4[] = {
        {3, 0, 1, 0, 0}, {3, 1, 1, 0, 0}, {3, 2, 4, 1, 6}, {3, 3, 1, 4, 0}, {3, 5, 1, 0, 0},
        {3, 6, 1, 0, 0}, {3, 7, 1, 0, 0}, {3, 8, 1, 0, 0}, {3, 9, 1, 1, 0}, {3, 10, 1, 1, 0},
        {3, 11, 1, 0, 0}, {3, 12, 1, 0, 0}, {3, 13, 1, 1, 0}, {3, 14, -1, 0, 0},
        {3, 15, 1, 1, 0}, {3, 16, -1, 0, 0}, {11, 0, 3, 0, 0}, {11, 1, 3, 1, 0},
        {12, 1, -1, 0, 0}, {4, 0, -1, 0, 0}, {5, 0, -1, 0, 0}, {6, 0, -1, 0, 0},
        {9, 0, -1, 0, 0}, {10, 0, -1, 0, 0}, {13, 0, -1, 0, 0}, {15, 0, -1, 0, 0},
        {17, 0, -1, 0, 0},
    };
    for (size_t i = 0; i < sizeof v4 / sizeof v4[0]; i++) {
        uint8_t t6 = 0, c6 = 0;
        uint32_t w6 = 0;
        bool ok = s46_xlat_icmp4to6(&x, v4[i].t, v4[i].c, 0, 0, &t6, &c6, &w6);
        CHECK_INT(ok, v4[i].t6 >= 0);
        if (ok) {
            CHECK_INT(t6, v4[i].t6);
            CHECK_INT(c6, v4[i].c6);
            CHECK_INT(w6, v4[i].w6);
        }
    }
    static const struct { uint8_t t, c; int t4, c4; } v6[] = {
        {1, 0, 3, 1}, {1, 1, 3, 10}, {1, 2, 3, 1}, {1, 3, 3, 1}, {1, 4, 3, 3}, {1, 5, -1, 0},
        {1, 6, -1, 0}, {3, 0, 11, 0}, {3, 1, 11, 1}, {4, 1, 3, 2}, {4, 2, -1, 0},
        {130, 0, -1, 0}, {135, 0, -1, 0}, {5, 0, -1, 0}, {100, 0, -1, 0},
    };
    for (size_t i = 0; i < sizeof v6 / sizeof v6[0]; i++) {
        uint8_t t4 = 0, c4 = 0;
        uint32_t w4 = 0;
        bool ok = s46_xlat_icmp6to4(&x, v6[i].t, v6[i].c, 0, false, &t4, &c4, &w4);
        CHECK_INT(ok, v6[i].t4 >= 0);
        if (ok) {
            CHECK_INT(t4, v6[i].t4);
            CHECK_INT(c4, v6[i].c4);
        }
    }
    /* parameter problem pointers, both tables whole */
    static const int p46[20] = {0, 1, 4, 4, -1, -1, -1, -1, 7, 6, -1, -1, 8, 8, 8, 8,
                                24, 24, 24, 24};
    for (unsigned p = 0; p < 20; p++)
        CHECK_INT(s46_xlat_ptr4to6(p), p46[p]);
    CHECK_INT(s46_xlat_ptr4to6(20), -1);
    /* §5.2: 2 and 3 (flow label) have no IPv4 field */
    static const int p64[8] = {0, 1, -1, -1, 2, 2, 9, 8};
    for (unsigned p = 0; p < 8; p++)
        CHECK_INT(s46_xlat_ptr6to4(p), p64[p]);
    CHECK_INT(s46_xlat_ptr6to4(8), 12);
    CHECK_INT(s46_xlat_ptr6to4(23), 12);
    CHECK_INT(s46_xlat_ptr6to4(24), 16);
    CHECK_INT(s46_xlat_ptr6to4(39), 16);
    CHECK_INT(s46_xlat_ptr6to4(40), -1);
    uint8_t t, c;
    uint32_t w;
    CHECK(s46_xlat_icmp4to6(&x, 12, 0, 9u << 24, 0, &t, &c, &w));
    CHECK_INT(w, 6);
    CHECK(!s46_xlat_icmp4to6(&x, 12, 0, 5u << 24, 0, &t, &c, &w));
    CHECK(s46_xlat_icmp6to4(&x, 4, 0, 24, false, &t, &c, &w));
    CHECK_INT(w, 16u << 24);
}

/* Packet Too Big / Fragmentation Needed arithmetic. */
TEST(mtu_arithmetic)
{
    s46_xlat x;
    s46_xlat_default(&x);
    x.mtu4 = 1500;
    x.mtu6 = 1500;
    uint8_t t, c;
    uint32_t w;
    CHECK(s46_xlat_icmp4to6(&x, 3, 4, 1400, 1500, &t, &c, &w));
    CHECK_INT(t, 2);
    CHECK_INT(w, 1420);
    CHECK(s46_xlat_icmp4to6(&x, 3, 4, 1496, 1500, &t, &c, &w));
    CHECK_INT(w, 1500); /* the IPv6 next hop's MTU caps it */
    CHECK(s46_xlat_icmp4to6(&x, 3, 4, 0, 2000, &t, &c, &w));
    CHECK_INT(w, 1500); /* plateau 1492 + 20, capped */
    x.mtu6 = 9000;
    x.mtu4 = 9000;
    CHECK(s46_xlat_icmp4to6(&x, 3, 4, 0, 9000, &t, &c, &w));
    CHECK_INT(w, 8186); /* plateau 8166 + 20 */
    CHECK(s46_xlat_icmp4to6(&x, 3, 4, 0, 1400, &t, &c, &w));
    CHECK_INT(w, 1280); /* plateau 1006 + 20, raised to IPv6's minimum (§5) */
    CHECK(s46_xlat_icmp4to6(&x, 3, 4, 0, 4000, &t, &c, &w));
    CHECK_INT(w, 2022); /* plateau 2002 + 20 */
    CHECK(s46_xlat_icmp4to6(&x, 3, 4, 0, 60, &t, &c, &w));
    CHECK_INT(w, 1280); /* no plateau below 60 bytes */
    CHECK(s46_xlat_icmp4to6(&x, 3, 4, 576, 1500, &t, &c, &w));
    CHECK_INT(w, 1280); /* an IPv4 MTU of 576: never below 1280 for IPv6 (§5) */
    CHECK(s46_xlat_icmp4to6(&x, 3, 4, 1260, 1500, &t, &c, &w));
    CHECK_INT(w, 1280);
    CHECK(s46_xlat_icmp4to6(&x, 3, 4, 1261, 1500, &t, &c, &w));
    CHECK_INT(w, 1281);
    x.mtu4 = x.mtu6 = 1500;
    CHECK(s46_xlat_icmp6to4(&x, 2, 0, 1400, false, &t, &c, &w));
    CHECK_INT(t, 3);
    CHECK_INT(c, 4);
    CHECK_INT(w, 1380);
    CHECK(s46_xlat_icmp6to4(&x, 2, 0, 1400, true, &t, &c, &w));
    CHECK_INT(w, 1372); /* the quoted packet had a Fragment header */
    x.mtu4 = 1300;
    CHECK(s46_xlat_icmp6to4(&x, 2, 0, 9000, false, &t, &c, &w));
    CHECK_INT(w, 1300);
}

static const struct vec { const char *name; int six; const char *in, *out; } vecs[] = {
    {"udp_4to6", 0,
     "45100022000140004011d476cb007105c633640a03e807d0000e448a766563746f72",
     "61000000000e113f0064ff9b0000000000000000cb00710520010db800060000000000000000000a03e807d0000e40ff766563746f72"},
    {"tcp_6to4", 1,
     "60000000001a060920010db800060000000000000000000a0064ff9b0000000000000000cb007105005003e8000000050000000650182000d8680000766563746f72",
     "4500002e0000000008064c87c633640acb007105005003e8000000050000000650182000dbf30000766563746f72"},
    {"echo_4to6", 0,
     "450000220009000005014f8fcb007105c633640a0800aeac00030004766563746f72",
     "60000000000e3a040064ff9b0000000000000000cb00710520010db800060000000000000000000a8000cc9400030004766563746f72"},
    {"err_4to6", 0,
     "4500003e0002000040018e1cc0000263c633640a0301636200000000450000220004000007114d84c633640acb00710507d003e8000e448a766563746f72",
     "60000000003e3a3f0064ff9b0000000000000000c000026320010db800060000000000000000000a01009d640000000060000000000e110720010db800060000000000000000000a0064ff9b0000000000000000cb00710507d003e8000e40ff766563746f72"},
};

static size_t unhex(const char *h, uint8_t *out)
{
    size_t n = 0;
    for (; h[0] && h[1]; h += 2)
        out[n++] = (uint8_t)strtoul((char[3]){h[0], h[1], 0}, NULL, 16);
    return n;
}

static s46_siit_map g_map;
static s46_xlat g_x;

static void setup(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    s46_eam_init(&g_map.eam);
    s46_pfx4 a = pfx4("198.51.100.0/24");
    s46_pfx6 a6 = pfx6("2001:db8:6::/120");
    if (s46_eam_add(&g_map.eam, &a, &a6, NULL, 0) < 0)
        abort();
    g_map.pool6 = pfx6("64:ff9b::/96");
    g_map.has_pool6 = true;
    s46_xlat_default(&g_x);
    s46_siit_attach(&g_x, &g_map);
}

/* Each vector: the input translated in a packet buffer gives the expected
 * bytes exactly. */
TEST(packet_vectors)
{
    setup();
    static uint8_t buf[S46_PKT_BUFSIZE];
    uint8_t want[2048];
    for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++) {
        s46_pkt p;
        s46_pkt_init(&p, buf);
        s46_pkt_reset(&p);
        p.len = (uint32_t)unhex(vecs[i].in, p.data);
        size_t wl = unhex(vecs[i].out, want);
        s46_xlat_info info;
        g_x.next_id = 0;
        s46_xlat_res r = vecs[i].six ? s46_xlat_6to4(&g_x, &p, &info) : s46_xlat_4to6(&g_x, &p, &info);
        if (r != S46_XR_OK)
            printf("# %s: %s\n", vecs[i].name, s46_xlat_res_name(r));
        CHECK_INT(r, S46_XR_OK);
        CHECK_INT(p.len, wl);
        if (memcmp(p.data, want, wl) != 0)
            printf("# %s differs\n", vecs[i].name);
        CHECK(memcmp(p.data, want, wl) == 0);
    }
}

/* The translator refuses without touching the packet: the bytes stay. */
TEST(refusals_leave_packet)
{
    setup();
    static uint8_t buf[S46_PKT_BUFSIZE];
    s46_pkt p;
    s46_pkt_init(&p, buf);
    s46_pkt_reset(&p);
    p.len = (uint32_t)unhex(vecs[0].in, p.data);
    p.data[8] = 1; /* TTL 1 */
    uint8_t copy[256];
    memcpy(copy, p.data, p.len);
    s46_xlat_info info;
    CHECK_INT(s46_xlat_4to6(&g_x, &p, &info), S46_XR_TTL);
    CHECK_INT(info.type, 11);
    CHECK(memcmp(copy, p.data, p.len) == 0);
    /* no headroom for the longer header */
    p.data = buf;
    p.len = (uint32_t)unhex(vecs[0].in, p.data);
    CHECK_INT(s46_xlat_4to6(&g_x, &p, &info), S46_XR_NO_ROOM);
}

/* Property: random UDP, TCP and echo packets, 4->6, the result's
 * checksums verified from scratch (the incremental update against a full
 * sum), then the mirror packet 6->4 and back gives what RFC 7915 keeps:
 * addresses, ports, TOS, payload, TTL less one per hop. */
TEST(round_trip_property)
{
    setup();
    static uint8_t buf[S46_PKT_BUFSIZE];
    uint32_t seed = 12345;
    for (int n = 0; n < 2000; n++) {
        s46_pkt p;
        s46_pkt_init(&p, buf);
        s46_pkt_reset(&p);
        uint8_t *d = p.data;
#define RND() (seed = seed * 1103515245u + 12345u, (seed >> 8) & 0xffffff)
        uint8_t proto = (uint8_t[]){6, 17, 1}[RND() % 3];
        size_t pay = RND() % 200, l4 = proto == 6 ? 20 : 8, len = 20 + l4 + pay;
        memset(d, 0, len);
        p.len = (uint32_t)len;
        d[0] = 0x45;
        d[1] = (uint8_t)RND();
        s46_put16(d + 2, (uint16_t)len);
        s46_put16(d + 4, (uint16_t)RND());
        d[8] = (uint8_t)(3 + RND() % 250);
        d[9] = proto;
        s46_put32(d + 12, 0xcb007100 | (RND() & 0xff));
        s46_put32(d + 16, 0xc6336400 | (RND() & 0xff));
        s46_put16(d + 10, s46_csum_fold(s46_csum_add(0, d, 20)));
        uint8_t *t = d + 20;
        for (size_t i = 0; i < l4 + pay; i++)
            t[i] = (uint8_t)RND();
        size_t ck = proto == 6 ? 16 : proto == 17 ? 6 : 2;
        if (proto == 6)
            t[12] = 0x50;
        if (proto == 17)
            s46_put16(t + 4, (uint16_t)(l4 + pay));
        if (proto == 1) {
            t[0] = 8;
            t[1] = 0;
        }
        s46_put16(t + ck, 0);
        uint32_t s = proto == 1 ? 0 : s46_csum_pseudo4(d + 12, d + 16, proto, (uint32_t)(l4 + pay));
        uint16_t v = s46_csum_fold(s46_csum_add(s, t, l4 + pay));
        s46_put16(t + ck, proto == 17 && !v ? 0xffff : v);
        uint8_t orig[512];
        memcpy(orig, d, len);
        s46_xlat_info info;
        s46_xlat_res xr = s46_xlat_4to6(&g_x, &p, &info);
        if (xr != S46_XR_OK)
            printf("# n=%d proto=%u len=%zu ttl=%u\n", n, proto, len, orig[8]);
        CHECK_INT(xr, S46_XR_OK);
        CHECK_INT(p.len, len + 20);
        uint8_t *q = p.data;
        uint8_t nh = proto == 1 ? 58 : proto;
        CHECK_INT(q[6], nh);
        uint32_t ps = s46_csum_pseudo6(q + 8, q + 24, nh, (uint32_t)(l4 + pay));
        CHECK_INT(s46_csum_fold(s46_csum_add(ps, q + 40, l4 + pay)), 0);
        /* the mirror: swap addresses (and ports / echo -> reply) */
        uint8_t tmp[16];
        memcpy(tmp, q + 8, 16);
        memcpy(q + 8, q + 24, 16);
        memcpy(q + 24, tmp, 16);
        CHECK_INT(s46_xlat_6to4(&g_x, &p, &info), S46_XR_OK);
        uint8_t *r = p.data;
        CHECK_INT(p.len, len);
        CHECK_INT(r[1], orig[1]);
        CHECK_INT(r[8], orig[8] - 2);
        CHECK_INT(r[9], proto);
        CHECK(memcmp(r + 12, orig + 16, 4) == 0);
        CHECK(memcmp(r + 16, orig + 12, 4) == 0);
        CHECK(s46_csum_ok20(r));
        /* the transport bytes come back identical but for the checksum
         * (whose pseudo-header now has the addresses swapped: same sum) */
        CHECK(memcmp(r + 20, orig + 20, l4 + pay) == 0);
    }
}

T_MAIN(T_CASE(rfc6052_examples), T_CASE(eam_longest_match), T_CASE(icmp_tables),
       T_CASE(mtu_arithmetic), T_CASE(packet_vectors), T_CASE(refusals_leave_packet),
       T_CASE(round_trip_property))
