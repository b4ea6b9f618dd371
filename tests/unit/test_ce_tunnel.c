/* The tunnel CE (DS-Lite B4 and HB46PP ipip) as a library: outer header
 * bytes, decapsulation, endpoint checks, the fixed prefix and the NAPT,
 * MTU handling (ICMPv4 3/4, outer fragments, reassembly), TTL, MSS,
 * reconfiguration, malformed input; and the ICMPv6 errors about the tunnel
 * (Packet Too Big, the others) the MAP-E CE handles as the tunnel CE does.
 * Packets are built here byte by byte. */
#include "dp/ce_mape.h"
#include "dp/ce_tunnel.h"
#include "lib/csum.h"
#include "t.h"

#define B4 "2001:db8:f001::2"
#define AFTR "2001:db8:ffff::1"
#define LANHOST 0xc0a80102u  /* 192.168.1.2 */
#define REMOTE4 0xc6336450u  /* 198.51.100.80 */
#define FIX0 0xcb007100u     /* 203.0.113.0 */
#define SEC 1000000000ull

static s46_pktpool *pool;

static s46_pkt *alloc(void)
{
    if (!pool)
        pool = s46_pktpool_new(16);
    return s46_pkt_alloc(pool);
}

static s46_cet_conf conf(s46_cet_kind kind)
{
    s46_cet_conf c;
    s46_cet_conf_default(&c);
    c.kind = kind;
    s46_ip6_parse(B4, &c.local);
    s46_ip6_parse(AFTR, &c.remote);
    if (kind == S46_CET_IPIP)
        s46_pfx4_parse("203.0.113.0/29", &c.ipv4, NULL, 0);
    return c;
}

static uint64_t cnt(const s46_cet *t, unsigned i) { return s46_cet_counters(t)->v[i]; }

/* An IPv4 packet: proto UDP/TCP (ports) or ICMP (echo request, id sport),
 * total length len (at least the headers), TOS 0xb8. */
static s46_pkt *ip4(uint32_t src, uint32_t dst, uint8_t proto, uint16_t sport, uint16_t dport,
                    uint8_t ttl, bool df, unsigned len)
{
    s46_pkt *p = alloc();
    uint8_t *h = p->data;
    memset(h, 0, len);
    for (unsigned i = 28; i < len; i++)
        h[i] = (uint8_t)i;
    h[0] = 0x45;
    h[1] = 0xb8;
    s46_put16(h + 2, (uint16_t)len);
    s46_put16(h + 4, 0x1234);
    s46_put16(h + 6, df ? 0x4000 : 0);
    h[8] = ttl;
    h[9] = proto;
    s46_put32(h + 12, src);
    s46_put32(h + 16, dst);
    s46_put16(h + 10, s46_csum_fold(s46_csum_add(0, h, 20)));
    uint8_t *l4 = h + 20;
    unsigned l4len = len - 20;
    if (proto == 17) {
        s46_put16(l4, sport);
        s46_put16(l4 + 2, dport);
        s46_put16(l4 + 4, (uint16_t)l4len);
        uint32_t s = s46_csum_pseudo4(h + 12, h + 16, 17, l4len);
        s46_put16(l4 + 6, s46_csum_fold(s46_csum_add(s, l4, l4len)));
    } else if (proto == 6) {
        s46_put16(l4, sport);
        s46_put16(l4 + 2, dport);
        l4[12] = 6 << 4; /* 24-byte header: MSS option */
        l4[13] = S46_TCP_SYN;
        l4[20] = 2;
        l4[21] = 4;
        s46_put16(l4 + 22, 1460);
        s46_put16(l4 + 16, 0);
        uint32_t s = s46_csum_pseudo4(h + 12, h + 16, 6, l4len);
        s46_put16(l4 + 16, s46_csum_fold(s46_csum_add(s, l4, l4len)));
    } else if (proto == 1) {
        l4[0] = 8;
        s46_put16(l4 + 4, sport);
        s46_put16(l4 + 2, s46_csum_fold(s46_csum_add(0, l4, l4len)));
    }
    p->len = len;
    return p;
}

/* Prepends an outer IPv6 header (next header nh) to what p holds. */
static s46_pkt *wrap(s46_pkt *p, const char *src, const char *dst, uint8_t nh)
{
    uint32_t plen = p->len;
    uint8_t *h = s46_pkt_push(p, 40);
    s46_ip6 a;
    memset(h, 0, 40);
    h[0] = 0x60;
    s46_put16(h + 4, (uint16_t)plen);
    h[6] = nh;
    h[7] = 60;
    s46_ip6_parse(src, &a);
    memcpy(h + 8, a.b, 16);
    s46_ip6_parse(dst, &a);
    memcpy(h + 24, a.b, 16);
    return p;
}

static void run1(s46_cet *t, s46_pkt *p, uint16_t port, uint64_t now)
{
    s46_batch b = {1, {p}};
    s46_cet_process(t, &b, port, now);
}

/* The TCP/UDP/ICMP checksum of the IPv4 packet at h verifies. */
static bool l4_ok(const uint8_t *h)
{
    unsigned ihl = (h[0] & 15u) * 4, len = s46_get16(h + 2) - ihl;
    uint32_t s = h[9] == 1 ? 0 : s46_csum_pseudo4(h + 12, h + 16, h[9], len);
    return s46_csum_fold(s46_csum_add(s, h + ihl, len)) == 0;
}

static bool ip6_is(const uint8_t *b, const char *s)
{
    s46_ip6 a;
    s46_ip6_parse(s, &a);
    return memcmp(b, a.b, 16) == 0;
}

TEST(dslite_encapsulation_bytes)
{
    s46_cet_conf c = conf(S46_CET_DSLITE);
    s46_cet *t = s46_cet_new(&c, NULL, 0);
    CHECK(t);
    s46_pkt *p = ip4(LANHOST, REMOTE4, 17, 5000, 53, 64, true, 100);
    uint8_t orig[100];
    memcpy(orig, p->data, 100);
    run1(t, p, S46_CET_PORT_LAN, SEC);
    CHECK_INT(p->verdict, S46_V_FORWARD);
    CHECK_INT(p->out_port, S46_CET_PORT_WAN);
    CHECK_INT(p->len, 140);
    const uint8_t *h = p->data;
    CHECK_INT(h[0] >> 4, 6);
    CHECK_INT((h[0] & 15) << 4 | h[1] >> 4, 0xb8); /* traffic class = TOS */
    CHECK_INT(h[1] & 15, 0);
    CHECK_INT(h[2] | h[3], 0);                      /* flow label 0 */
    CHECK_INT(s46_get16(h + 4), 100);
    CHECK_INT(h[6], 4);
    CHECK_INT(h[7], 64);
    CHECK(ip6_is(h + 8, B4));
    CHECK(ip6_is(h + 24, AFTR));
    const uint8_t *in = h + 40;
    CHECK_INT(in[8], 63);                           /* the router hop */
    CHECK(s46_csum_ok(in, 20));
    CHECK(memcmp(in, orig, 8) == 0);
    CHECK(memcmp(in + 12, orig + 12, 100 - 12) == 0); /* addresses, payload unchanged */
    CHECK(l4_ok(in));
    CHECK_INT(cnt(t, S46_CET_encapsulated), 1);
    CHECK_INT(cnt(t, S46_CET_wan_out), 1);
    CHECK_INT(cnt(t, S46_CET_lan_in), 1);
    s46_pkt_release(pool, p);

    /* any protocol goes through unchanged (GRE) */
    p = ip4(LANHOST, REMOTE4, 47, 0, 0, 64, false, 60);
    run1(t, p, S46_CET_PORT_LAN, SEC);
    CHECK_INT(p->verdict, S46_V_FORWARD);
    CHECK_INT(p->data[40 + 9], 47);
    s46_pkt_release(pool, p);
    s46_cet_free(t);
}

TEST(dslite_decapsulation)
{
    s46_cet_conf c = conf(S46_CET_DSLITE);
    s46_cet *t = s46_cet_new(&c, NULL, 0);
    s46_pkt *p = ip4(REMOTE4, LANHOST, 17, 53, 5000, 50, false, 80);
    uint8_t orig[80];
    memcpy(orig, p->data, 80);
    wrap(p, AFTR, B4, 4);
    run1(t, p, S46_CET_PORT_WAN, SEC);
    CHECK_INT(p->verdict, S46_V_FORWARD);
    CHECK_INT(p->out_port, S46_CET_PORT_LAN);
    CHECK_INT(p->len, 80);
    CHECK(memcmp(p->data, orig, 80) == 0);
    CHECK_INT(cnt(t, S46_CET_decapsulated), 1);
    CHECK_INT(cnt(t, S46_CET_lan_out), 1);
    s46_pkt_release(pool, p);
    s46_cet_free(t);
}

/* One packet from the WAN that must be dropped for reason why. */
static bool wan_dropped(s46_cet *t, s46_pkt *p, unsigned why)
{
    uint64_t before = cnt(t, why);
    run1(t, p, S46_CET_PORT_WAN, SEC);
    bool ok = p->verdict == S46_V_DROP && p->reason == why && cnt(t, why) == before + 1;
    s46_pkt_release(pool, p);
    return ok;
}

TEST(wrong_outer_header_dropped)
{
    for (int k = 0; k < 2; k++) {
        s46_cet_conf c = conf(k ? S46_CET_IPIP : S46_CET_DSLITE);
        s46_cet *t = s46_cet_new(&c, NULL, 0);
        uint32_t dst = k ? FIX0 + 3 : LANHOST;
        CHECK(wan_dropped(t, wrap(ip4(REMOTE4, dst, 17, 53, 53, 64, false, 40), AFTR,
                                  "2001:db8:f001::99", 4), S46_CET_drop_wan_not_local));
        CHECK(wan_dropped(t, wrap(ip4(REMOTE4, dst, 17, 53, 53, 64, false, 40),
                                  "2001:db8:ffff::66", B4, 4), S46_CET_drop_wan_src_not_remote));
        /* a UDP datagram from the remote: not IPv4-in-IPv6 */
        CHECK(wan_dropped(t, wrap(ip4(REMOTE4, dst, 17, 53, 53, 64, false, 40), AFTR, B4, 17),
                          S46_CET_drop_wan_not_ipip));
        CHECK(wan_dropped(t, wrap(ip4(REMOTE4, dst, 17, 53, 53, 64, false, 40), AFTR, B4, 41),
                          S46_CET_drop_wan_not_ipip));
        CHECK_INT(cnt(t, S46_CET_decapsulated), 0);
        s46_cet_free(t);
    }
}

TEST(malformed_counted)
{
    s46_cet_conf c = conf(S46_CET_IPIP);
    s46_cet *t = s46_cet_new(&c, NULL, 0);
    /* LAN: too short, bad header checksum, not IPv4 */
    s46_pkt *p = ip4(LANHOST, REMOTE4, 17, 1, 2, 64, false, 40);
    p->len = 12;
    run1(t, p, S46_CET_PORT_LAN, SEC);
    CHECK(p->verdict == S46_V_DROP && p->reason == S46_CET_drop_lan_malformed);
    s46_pkt_release(pool, p);
    p = ip4(LANHOST, REMOTE4, 17, 1, 2, 64, false, 40);
    p->data[10] ^= 1;
    run1(t, p, S46_CET_PORT_LAN, SEC);
    CHECK(p->reason == S46_CET_drop_lan_malformed);
    s46_pkt_release(pool, p);
    p = ip4(LANHOST, REMOTE4, 17, 1, 2, 64, false, 40);
    p->data[0] = 0x65;
    run1(t, p, S46_CET_PORT_LAN, SEC);
    CHECK(p->reason == S46_CET_drop_lan_malformed);
    s46_pkt_release(pool, p);
    CHECK_INT(cnt(t, S46_CET_drop_lan_malformed), 3);
    /* a private source with a protocol the NAPT cannot translate */
    p = ip4(LANHOST, REMOTE4, 47, 0, 0, 64, false, 40);
    run1(t, p, S46_CET_PORT_LAN, SEC);
    CHECK(p->verdict == S46_V_DROP && p->reason == S46_CET_drop_lan_unsupported_proto);
    s46_pkt_release(pool, p);
    /* WAN: truncated IPv6, payload length beyond the packet */
    p = wrap(ip4(REMOTE4, FIX0 + 3, 17, 1, 2, 64, false, 40), AFTR, B4, 4);
    p->len = 30;
    CHECK(wan_dropped(t, p, S46_CET_drop_wan_malformed));
    p = wrap(ip4(REMOTE4, FIX0 + 3, 17, 1, 2, 64, false, 40), AFTR, B4, 4);
    s46_put16(p->data + 4, 400);
    CHECK(wan_dropped(t, p, S46_CET_drop_wan_malformed));
    /* inner: bad checksum, truncated, not IPv4 */
    p = wrap(ip4(REMOTE4, FIX0 + 3, 17, 1, 2, 64, false, 40), AFTR, B4, 4);
    p->data[40 + 10] ^= 0x40;
    CHECK(wan_dropped(t, p, S46_CET_drop_inner_malformed));
    p = ip4(REMOTE4, FIX0 + 3, 17, 1, 2, 64, false, 40);
    p->len = 16;
    CHECK(wan_dropped(t, wrap(p, AFTR, B4, 4), S46_CET_drop_inner_malformed));
    p = wrap(ip4(REMOTE4, FIX0 + 3, 17, 1, 2, 64, false, 40), AFTR, B4, 4);
    p->data[40] = 0x60;
    CHECK(wan_dropped(t, p, S46_CET_drop_inner_malformed));
    /* an ICMPv6 that is not an echo request */
    p = ip4(REMOTE4, FIX0 + 3, 17, 1, 2, 64, false, 40);
    p->data[0] = 1; /* type 1: destination unreachable */
    CHECK(wan_dropped(t, wrap(p, AFTR, B4, 58), S46_CET_drop_wan_icmpv6));
    CHECK_INT(cnt(t, S46_CET_lan_out) + cnt(t, S46_CET_wan_out), 0);
    s46_cet_free(t);
}

TEST(ipip_fixed_source_passes_unchanged)
{
    s46_cet_conf c = conf(S46_CET_IPIP);
    s46_cet *t = s46_cet_new(&c, NULL, 0);
    CHECK(t);
    s46_pkt *p = ip4(FIX0 + 3, REMOTE4, 17, 5000, 53, 64, false, 60);
    uint8_t orig[60];
    memcpy(orig, p->data, 60);
    run1(t, p, S46_CET_PORT_LAN, SEC);
    CHECK_INT(p->verdict, S46_V_FORWARD);
    CHECK_INT(p->out_port, S46_CET_PORT_WAN);
    CHECK_INT(p->len, 100);
    CHECK_INT(p->data[0] >> 4, 6);
    CHECK_INT(s46_get16(p->data + 4), 60);
    CHECK_INT(p->data[6], 4);
    CHECK_INT(p->data[7], 64);
    CHECK(ip6_is(p->data + 8, B4) && ip6_is(p->data + 24, AFTR));
    CHECK_INT(p->data[40 + 8], 63);
    CHECK(s46_csum_ok(p->data + 40, 20));
    CHECK(memcmp(p->data + 40 + 12, orig + 12, 48) == 0); /* source, ports kept */
    CHECK_INT(cnt(t, S46_CET_lan_fixed_source), 1);
    CHECK_INT(cnt(t, S46_CET_lan_napt), 0);
    s46_pkt_release(pool, p);
    json_t *j = s46_cet_show(t, SEC, 10);
    CHECK_INT(json_integer_value(json_object_get(json_object_get(j, "napt"), "mappings")), 0);
    CHECK_STR(json_string_value(json_object_get(j, "mechanism")), "ipip");
    CHECK_STR(json_string_value(json_object_get(j, "nat_address")), "203.0.113.1");
    CHECK_STR(json_string_value(json_object_get(j, "ipv4")), "203.0.113.0/29");
    CHECK_STR(json_string_value(json_object_get(j, "local")), B4);
    CHECK_INT(json_integer_value(json_object_get(json_object_get(j, "napt"), "ports_total")),
              65536);
    json_decref(j);
    s46_cet_free(t);
}

/* A private LAN source out through the NAPT; returns the external port. */
static int napt_out(s46_cet *t, uint8_t proto, uint16_t sport, uint32_t nat, uint64_t now)
{
    s46_pkt *p = ip4(LANHOST, REMOTE4, proto, sport, 53, 64, false, 60);
    run1(t, p, S46_CET_PORT_LAN, now);
    int port = -1;
    const uint8_t *in = p->data + 40;
    if (p->verdict == S46_V_FORWARD && p->len == 100 && p->data[6] == 4 &&
        s46_get32(in + 12) == nat && s46_get32(in + 16) == REMOTE4 && s46_csum_ok(in, 20) &&
        l4_ok(in))
        port = proto == 1 ? s46_get16(in + 24) : s46_get16(in + 20);
    s46_pkt_release(pool, p);
    return port;
}

TEST(ipip_private_source_napt_both_ways)
{
    s46_cet_conf c = conf(S46_CET_IPIP);
    s46_cet *t = s46_cet_new(&c, NULL, 0);
    int port = napt_out(t, 17, 5000, FIX0 + 1, SEC);
    CHECK(port > 0);
    CHECK_INT(napt_out(t, 17, 5000, FIX0 + 1, 2 * SEC), port); /* same mapping */
    CHECK_INT(cnt(t, S46_CET_napt_mappings_created), 1);
    CHECK_INT(cnt(t, S46_CET_lan_napt), 2);
    int id = napt_out(t, 1, 777, FIX0 + 1, 2 * SEC);
    CHECK(id > 0);

    /* the answer comes back to the private host */
    s46_pkt *p = wrap(ip4(REMOTE4, FIX0 + 1, 17, 53, (uint16_t)port, 50, false, 60), AFTR, B4, 4);
    run1(t, p, S46_CET_PORT_WAN, 3 * SEC);
    CHECK_INT(p->verdict, S46_V_FORWARD);
    CHECK_INT(p->out_port, S46_CET_PORT_LAN);
    CHECK_INT(p->len, 60);
    CHECK_INT(s46_get32(p->data + 16), LANHOST);
    CHECK_INT(s46_get16(p->data + 22), 5000);
    CHECK_INT(s46_get32(p->data + 12), REMOTE4);
    CHECK(s46_csum_ok(p->data, 20) && l4_ok(p->data));
    CHECK_INT(cnt(t, S46_CET_wan_napt), 1);
    s46_pkt_release(pool, p);
    /* echo reply to the identifier */
    p = ip4(REMOTE4, FIX0 + 1, 1, (uint16_t)id, 0, 50, false, 60);
    p->data[20] = 0;
    s46_put16(p->data + 22, 0);
    s46_put16(p->data + 22, s46_csum_fold(s46_csum_add(0, p->data + 20, 40)));
    run1(t, wrap(p, AFTR, B4, 4), S46_CET_PORT_WAN, 3 * SEC);
    CHECK_INT(p->verdict, S46_V_FORWARD);
    CHECK_INT(s46_get16(p->data + 24), 777);
    CHECK(l4_ok(p->data));
    s46_pkt_release(pool, p);
    /* address-dependent filtering (the default): another remote is refused */
    CHECK(wan_dropped(t, wrap(ip4(REMOTE4 + 1, FIX0 + 1, 17, 53, (uint16_t)port, 50, false, 60),
                              AFTR, B4, 4), S46_CET_drop_napt_filtered));
    /* nothing mapped at that port */
    CHECK(wan_dropped(t, wrap(ip4(REMOTE4, FIX0 + 1, 17, 53, (uint16_t)(port ^ 0x100), 50,
                                  false, 60), AFTR, B4, 4), S46_CET_drop_napt_no_mapping));
    s46_cet_free(t);
}

TEST(ipip_inbound_by_destination)
{
    s46_cet_conf c = conf(S46_CET_IPIP);
    s46_cet *t = s46_cet_new(&c, NULL, 0);
    /* another address of the prefix: to the LAN unchanged */
    s46_pkt *p = ip4(REMOTE4, FIX0 + 5, 17, 443, 40000, 50, true, 60);
    uint8_t orig[60];
    memcpy(orig, p->data, 60);
    run1(t, wrap(p, AFTR, B4, 4), S46_CET_PORT_WAN, SEC);
    CHECK_INT(p->verdict, S46_V_FORWARD);
    CHECK_INT(p->out_port, S46_CET_PORT_LAN);
    CHECK(p->len == 60 && memcmp(p->data, orig, 60) == 0);
    CHECK_INT(cnt(t, S46_CET_wan_fixed_destination), 1);
    s46_pkt_release(pool, p);
    /* outside the prefix: dropped */
    CHECK(wan_dropped(t, wrap(ip4(REMOTE4, LANHOST, 17, 53, 5000, 50, false, 60), AFTR, B4, 4),
                      S46_CET_drop_inner_not_my_ipv4));
    CHECK(wan_dropped(t, wrap(ip4(REMOTE4, FIX0 + 8, 17, 53, 5000, 50, false, 60), AFTR, B4, 4),
                      S46_CET_drop_inner_not_my_ipv4));
    s46_cet_free(t);
}

TEST(df_too_big_gets_icmp_3_4)
{
    for (int k = 0; k < 2; k++) {
        s46_cet_conf c = conf(k ? S46_CET_IPIP : S46_CET_DSLITE);
        c.ipv6_mtu = 1280;
        s46_cet *t = s46_cet_new(&c, NULL, 0);
        uint32_t src = k ? FIX0 + 2 : LANHOST;
        s46_pkt *p = ip4(src, REMOTE4, 17, 5000, 53, 64, true, 1241);
        run1(t, p, S46_CET_PORT_LAN, SEC);
        CHECK_INT(p->verdict, S46_V_FORWARD);
        CHECK_INT(p->out_port, S46_CET_PORT_LAN);
        const uint8_t *h = p->data;
        CHECK_INT(h[9], 1);
        CHECK_INT(s46_get32(h + 16), src);
        CHECK_INT(s46_get32(h + 12), k ? FIX0 + 1 : 0xc0000002u);
        CHECK_INT(h[20], 3);
        CHECK_INT(h[21], 4);
        CHECK_INT(s46_get16(h + 26), 1240); /* next-hop MTU: 1280 - 40 */
        CHECK(s46_csum_ok(h, 20) && l4_ok(h));
        CHECK_INT(s46_get32(h + 28 + 12), src); /* quotes the packet as sent */
        CHECK_INT(cnt(t, S46_CET_icmp_errors_sent), 1);
        s46_pkt_release(pool, p);
        /* exactly the room fits */
        p = ip4(src, REMOTE4, 17, 5000, 53, 64, true, 1240);
        run1(t, p, S46_CET_PORT_LAN, SEC);
        CHECK(p->verdict == S46_V_FORWARD && p->out_port == S46_CET_PORT_WAN && p->len == 1280);
        s46_pkt_release(pool, p);
        s46_cet_free(t);
    }
}

TEST(df0_too_big_two_outer_fragments_reassembled)
{
    s46_cet_conf c = conf(S46_CET_DSLITE);
    c.ipv6_mtu = 1280;
    s46_cet *t = s46_cet_new(&c, NULL, 0);
    /* the far end: the same tunnel seen from the AFTR */
    s46_cet_conf fc = conf(S46_CET_DSLITE);
    s46_ip6_parse(AFTR, &fc.local);
    s46_ip6_parse(B4, &fc.remote);
    s46_cet *far = s46_cet_new(&fc, NULL, 0);
    CHECK(t && far);
    s46_pkt *p = ip4(LANHOST, REMOTE4, 17, 5000, 53, 64, false, 1400);
    uint8_t orig[1400];
    memcpy(orig, p->data, 1400);
    s46_batch b = {1, {p}};
    s46_cet_process(t, &b, S46_CET_PORT_LAN, SEC);
    CHECK_INT(b.count, 2);
    unsigned total = 0;
    for (int i = 0; i < 2; i++) {
        s46_pkt *f = b.pkts[i];
        CHECK_INT(f->verdict, S46_V_FORWARD);
        CHECK_INT(f->out_port, S46_CET_PORT_WAN);
        CHECK(f->len <= 1280);
        CHECK_INT(f->data[6], 44); /* Fragment header, then IPv4 */
        CHECK_INT(f->data[40], 4);
        CHECK(ip6_is(f->data + 8, B4) && ip6_is(f->data + 24, AFTR));
        CHECK_INT(s46_get16(f->data + 4), f->len - 40);
        CHECK_INT(s46_get16(f->data + 42) & 1, i == 0); /* M flag */
        total += f->len - 48;
    }
    CHECK_INT(total, 1400);
    CHECK_INT(s46_get16(b.pkts[1]->data + 42) >> 3, (b.pkts[0]->len - 48) / 8);
    CHECK_INT(cnt(t, S46_CET_fragmented), 1);
    CHECK_INT(cnt(t, S46_CET_wan_out), 2);
    /* reassembled before decapsulation, in either order */
    s46_batch r = {2, {b.pkts[1], b.pkts[0]}};
    s46_cet_process(far, &r, S46_CET_PORT_WAN, SEC);
    CHECK_INT(r.pkts[0]->verdict, S46_V_DROP);
    CHECK_INT(r.pkts[0]->reason, S46_CET_fragments_held);
    s46_pkt *whole = r.pkts[1];
    CHECK_INT(whole->verdict, S46_V_FORWARD);
    CHECK_INT(whole->out_port, S46_CET_PORT_LAN);
    CHECK_INT(whole->len, 1400);
    CHECK_INT(whole->data[8], 63);
    CHECK(memcmp(whole->data + 12, orig + 12, 1400 - 12) == 0);
    CHECK_INT(cnt(far, S46_CET_reassembled), 1);
    s46_pkt_release(pool, b.pkts[0]);
    s46_pkt_release(pool, b.pkts[1]);
    /* fragments from anyone but the remote are not reassembled */
    p = ip4(REMOTE4, LANHOST, 17, 1, 2, 64, false, 40);
    uint8_t *fh = s46_pkt_push(p, 8); /* first fragment of two */
    memset(fh, 0, 8);
    fh[0] = 4;
    fh[3] = 1;
    fh[7] = 9;
    p = wrap(p, "2001:db8::66", B4, 44);
    CHECK(wan_dropped(t, p, S46_CET_drop_wan_src_not_remote));
    CHECK_INT(cnt(t, S46_CET_fragments_held), 0);
    s46_cet_free(t);
    s46_cet_free(far);
}

TEST(ttl_handling)
{
    s46_cet_conf c = conf(S46_CET_DSLITE);
    s46_cet *t = s46_cet_new(&c, NULL, 0);
    s46_pkt *p = ip4(LANHOST, REMOTE4, 17, 5000, 53, 1, false, 60);
    run1(t, p, S46_CET_PORT_LAN, SEC);
    CHECK_INT(p->verdict, S46_V_FORWARD);
    CHECK_INT(p->out_port, S46_CET_PORT_LAN);
    CHECK_INT(p->data[20], 11);
    CHECK_INT(p->data[21], 0);
    CHECK_INT(s46_get32(p->data + 16), LANHOST);
    CHECK(l4_ok(p->data));
    s46_pkt_release(pool, p);
    CHECK_INT(cnt(t, S46_CET_encapsulated), 0);
    /* TTL 0 from a broadcast source: no error may be sent, dropped */
    p = ip4(0xffffffffu, REMOTE4, 17, 5000, 53, 0, false, 60);
    run1(t, p, S46_CET_PORT_LAN, SEC);
    CHECK(p->verdict == S46_V_DROP && p->reason == S46_CET_drop_lan_ttl_expired);
    s46_pkt_release(pool, p);
    /* TTL 2 leaves with 1 */
    p = ip4(LANHOST, REMOTE4, 17, 5000, 53, 2, false, 60);
    run1(t, p, S46_CET_PORT_LAN, SEC);
    CHECK(p->verdict == S46_V_FORWARD && p->out_port == S46_CET_PORT_WAN);
    CHECK_INT(p->data[48], 1);
    CHECK(s46_csum_ok(p->data + 40, 20));
    s46_pkt_release(pool, p);
    /* not the router hop (the kernel is): TTL 1 goes through as it is */
    c.ttl_decrement = false;
    CHECK_INT(s46_cet_reconfigure(t, &c, NULL, 0), 0);
    p = ip4(LANHOST, REMOTE4, 17, 5000, 53, 1, false, 60);
    run1(t, p, S46_CET_PORT_LAN, SEC);
    CHECK(p->verdict == S46_V_FORWARD && p->out_port == S46_CET_PORT_WAN);
    CHECK_INT(p->data[48], 1);
    s46_pkt_release(pool, p);
    s46_cet_free(t);
}

TEST(mss_clamped_both_ways)
{
    s46_cet_conf c = conf(S46_CET_DSLITE);
    s46_cet *t = s46_cet_new(&c, NULL, 0);
    s46_pkt *p = ip4(LANHOST, REMOTE4, 6, 40000, 443, 64, true, 44);
    run1(t, p, S46_CET_PORT_LAN, SEC);
    CHECK_INT(p->verdict, S46_V_FORWARD);
    CHECK_INT(s46_get16(p->data + 40 + 20 + 22), 1420); /* 1500 - 40 - 40 */
    CHECK(l4_ok(p->data + 40));
    s46_pkt_release(pool, p);
    p = wrap(ip4(REMOTE4, LANHOST, 6, 443, 40000, 64, true, 44), AFTR, B4, 4);
    run1(t, p, S46_CET_PORT_WAN, SEC);
    CHECK_INT(p->verdict, S46_V_FORWARD);
    CHECK_INT(s46_get16(p->data + 20 + 22), 1420);
    CHECK(l4_ok(p->data));
    s46_pkt_release(pool, p);
    CHECK_INT(cnt(t, S46_CET_mss_clamped), 2);
    json_t *j = s46_cet_show(t, SEC, 10);
    CHECK_INT(json_integer_value(json_object_get(j, "mss")), 1420);
    CHECK(json_is_null(json_object_get(j, "napt")));
    CHECK_STR(json_string_value(json_object_get(j, "mechanism")), "dslite");
    json_decref(j);
    s46_cet_free(t);
}

TEST(echo_request_to_local_answered)
{
    s46_cet_conf c = conf(S46_CET_DSLITE);
    s46_cet *t = s46_cet_new(&c, NULL, 0);
    s46_pkt *p = alloc();
    memset(p->data, 0, 16);
    p->data[0] = 128;
    s46_put16(p->data + 4, 42);
    p->len = 16;
    wrap(p, "2001:db8::77", B4, 58);
    uint32_t s = s46_csum_pseudo6(p->data + 8, p->data + 24, 58, 16);
    s46_put16(p->data + 42, s46_csum_fold(s46_csum_add(s, p->data + 40, 16)));
    run1(t, p, S46_CET_PORT_WAN, SEC);
    CHECK_INT(p->verdict, S46_V_FORWARD);
    CHECK_INT(p->out_port, S46_CET_PORT_WAN);
    CHECK_INT(p->data[40], 129);
    CHECK(ip6_is(p->data + 24, "2001:db8::77"));
    s = s46_csum_pseudo6(p->data + 8, p->data + 24, 58, 16);
    CHECK_INT(s46_csum_fold(s46_csum_add(s, p->data + 40, 16)), 0);
    CHECK_INT(cnt(t, S46_CET_echo_replies), 1);
    s46_pkt_release(pool, p);
    s46_cet_free(t);
}

static long mappings(s46_cet *t)
{
    json_t *j = s46_cet_show(t, SEC, 10);
    long n = (long)json_integer_value(json_object_get(json_object_get(j, "napt"), "mappings"));
    json_decref(j);
    return n;
}

TEST(reconfigure_keeps_or_flushes_napt)
{
    s46_cet_conf c = conf(S46_CET_IPIP);
    char e[S46_ERRLEN];
    s46_cet *t = s46_cet_new(&c, e, sizeof e);
    CHECK(napt_out(t, 17, 5000, FIX0 + 1, SEC) > 0);
    CHECK_INT(mappings(t), 1);
    /* a new remote endpoint and MTU, the same NAT address: kept */
    s46_ip6_parse("2001:db8:ffff::2", &c.remote);
    c.ipv6_mtu = 1400;
    CHECK_INT(s46_cet_reconfigure(t, &c, e, sizeof e), 0);
    CHECK_INT(mappings(t), 1);
    /* the NAT address given explicitly as the same address: kept */
    c.nat_addr = FIX0 + 1;
    CHECK_INT(s46_cet_reconfigure(t, &c, e, sizeof e), 0);
    CHECK_INT(mappings(t), 1);
    /* another NAT address: flushed, new flows onto it */
    c.nat_addr = FIX0 + 6;
    CHECK_INT(s46_cet_reconfigure(t, &c, e, sizeof e), 0);
    CHECK_INT(mappings(t), 0);
    CHECK(napt_out(t, 17, 5000, FIX0 + 6, SEC) > 0);
    CHECK_INT(mappings(t), 1);
    /* refused: the running configuration stays */
    c.nat_addr = FIX0 + 8;
    CHECK(s46_cet_reconfigure(t, &c, e, sizeof e) < 0);
    CHECK(strstr(e, "outside") != NULL);
    CHECK_INT(mappings(t), 1);
    s46_cet_conf bad = conf(S46_CET_IPIP);
    s46_pfx4_parse("203.0.113.0/29", &bad.ipv4, NULL, 0);
    bad.ipv4.addr |= 1;
    CHECK(s46_cet_reconfigure(t, &bad, e, sizeof e) < 0);
    bad = conf(S46_CET_DSLITE);
    bad.remote = bad.local;
    CHECK(s46_cet_reconfigure(t, &bad, e, sizeof e) < 0);
    CHECK(s46_cet_new(&bad, e, sizeof e) == NULL);
    CHECK_INT(mappings(t), 1);
    /* a /32: the only address is the NAT address */
    c = conf(S46_CET_IPIP);
    s46_pfx4_parse("203.0.113.9/32", &c.ipv4, NULL, 0);
    CHECK_INT(s46_cet_reconfigure(t, &c, e, sizeof e), 0);
    CHECK(napt_out(t, 17, 5001, FIX0 + 9, SEC) > 0);
    /* to DS-Lite: no NAPT any more, counters kept */
    uint64_t before = cnt(t, S46_CET_lan_in);
    c = conf(S46_CET_DSLITE);
    CHECK_INT(s46_cet_reconfigure(t, &c, e, sizeof e), 0);
    json_t *j = s46_cet_show(t, SEC, 10);
    CHECK(json_is_null(json_object_get(j, "napt")));
    CHECK_INT(json_array_size(json_object_get(j, "mappings")), 0);
    json_decref(j);
    CHECK_INT(cnt(t, S46_CET_lan_in), before);
    s46_cet_free(t);
}

/* An ipip CE with endpoint-independent filtering and one UDP mapping. */
static s46_cet *eif_with_flow(int *port)
{
    s46_cet_conf c = conf(S46_CET_IPIP);
    c.napt.filter = S46_NAPT_FILTER_EIF;
    s46_cet *t = s46_cet_new(&c, NULL, 0);
    *port = t ? napt_out(t, 17, 5000, FIX0 + 1, SEC) : -1;
    return t;
}

TEST(ipip_hairpin_to_nat_address)
{
    int port;
    s46_cet *t = eif_with_flow(&port);
    CHECK(t && port > 0);
    s46_pkt *p = ip4(LANHOST + 1, FIX0 + 1, 17, 6000, (uint16_t)port, 64, false, 60);
    run1(t, p, S46_CET_PORT_LAN, SEC);
    CHECK_INT(p->verdict, S46_V_FORWARD);
    CHECK_INT(p->out_port, S46_CET_PORT_LAN);
    CHECK_INT(s46_get32(p->data + 16), LANHOST);
    CHECK_INT(s46_get16(p->data + 22), 5000);
    CHECK_INT(s46_get32(p->data + 12), FIX0 + 1);
    CHECK(s46_csum_ok(p->data, 20) && l4_ok(p->data));
    CHECK_INT(cnt(t, S46_CET_hairpinned), 1);
    s46_pkt_release(pool, p);
    s46_cet_free(t);
}

/* Sets the ICMP type/code of the ICMP packet at h, quoting q (qlen bytes),
 * and fixes its lengths and checksums. */
static void icmp_error(uint8_t *h, uint8_t type, uint8_t code, const uint8_t *q, unsigned qlen)
{
    memcpy(h + 28, q, qlen);
    s46_put16(h + 2, (uint16_t)(28 + qlen));
    s46_put16(h + 10, 0);
    s46_put16(h + 10, s46_csum_fold(s46_csum_add(0, h, 20)));
    h[20] = type;
    h[21] = code;
    memset(h + 22, 0, 6);
    s46_put16(h + 22, s46_csum_fold(s46_csum_add(0, h + 20, 8 + qlen)));
}

TEST(ipip_icmp_errors_translated_both_ways)
{
    s46_cet_conf c = conf(S46_CET_IPIP);
    s46_cet *t = s46_cet_new(&c, NULL, 0);
    int port = napt_out(t, 17, 5000, FIX0 + 1, SEC);
    CHECK(port > 0);
    /* from outside: port unreachable about NAT:port -> remote:53 */
    s46_pkt *q = ip4(FIX0 + 1, REMOTE4, 17, (uint16_t)port, 53, 63, false, 48);
    s46_pkt *p = ip4(0xcb007109u, FIX0 + 1, 1, 0, 0, 60, false, 28);
    icmp_error(p->data, 3, 3, q->data, 48);
    p->len = 76;
    run1(t, wrap(p, AFTR, B4, 4), S46_CET_PORT_WAN, 2 * SEC);
    CHECK_INT(p->verdict, S46_V_FORWARD);
    CHECK_INT(p->out_port, S46_CET_PORT_LAN);
    const uint8_t *h = p->data, *in = p->data + 28;
    CHECK_INT(s46_get32(h + 16), LANHOST);
    CHECK_INT(s46_get32(in + 12), LANHOST);      /* the quote as the host sent it */
    CHECK_INT(s46_get16(in + 20), 5000);
    CHECK(s46_csum_ok(h, 20) && s46_csum_ok(in, 20) && l4_ok(h));
    s46_pkt_release(pool, p);
    /* from the LAN: the host's port unreachable about remote:53 -> host:5000 */
    s46_pkt_release(pool, q);
    q = ip4(REMOTE4, LANHOST, 17, 53, 5000, 50, false, 48);
    p = ip4(LANHOST, REMOTE4, 1, 0, 0, 64, false, 28);
    icmp_error(p->data, 3, 3, q->data, 48);
    p->len = 76;
    run1(t, p, S46_CET_PORT_LAN, 2 * SEC);
    CHECK_INT(p->verdict, S46_V_FORWARD);
    CHECK_INT(p->out_port, S46_CET_PORT_WAN);
    h = p->data + 40;
    in = h + 28;
    CHECK_INT(s46_get32(h + 12), FIX0 + 1);
    CHECK_INT(s46_get32(in + 16), FIX0 + 1);
    CHECK_INT(s46_get16(in + 22), port);
    CHECK(s46_csum_ok(h, 20) && s46_csum_ok(in, 20) && l4_ok(h));
    s46_pkt_release(pool, p);
    s46_pkt_release(pool, q);
    /* an error about no flow of ours */
    q = ip4(REMOTE4, LANHOST, 17, 53, 5999, 50, false, 48);
    p = ip4(LANHOST, REMOTE4, 1, 0, 0, 64, false, 28);
    icmp_error(p->data, 3, 3, q->data, 48);
    p->len = 76;
    run1(t, p, S46_CET_PORT_LAN, 2 * SEC);
    CHECK(p->verdict == S46_V_DROP && p->reason == S46_CET_drop_lan_icmp_no_mapping);
    s46_pkt_release(pool, p);
    s46_pkt_release(pool, q);
    s46_cet_free(t);
}

TEST(ipip_inner_fragments_to_nat_address_reassembled)
{
    int port;
    s46_cet *t = eif_with_flow(&port);
    CHECK(t && port > 0);
    /* one UDP datagram of 8 + 192 bytes in two IPv4 fragments (104 + 96) */
    s46_pkt *whole = ip4(REMOTE4, FIX0 + 1, 17, 53, (uint16_t)port, 50, false, 220);
    s46_pkt *f[2];
    for (int i = 0; i < 2; i++) {
        f[i] = ip4(REMOTE4, FIX0 + 1, 17, 0, 0, 50, false, 20 + 104 - 8 * i);
        uint8_t *h = f[i]->data;
        memcpy(h + 20, whole->data + 20 + 104 * i, 104 - 8u * i);
        s46_put16(h + 6, i ? 13 : 0x2000); /* offset 104 / MF */
        s46_put16(h + 10, 0);
        s46_put16(h + 10, s46_csum_fold(s46_csum_add(0, h, 20)));
        wrap(f[i], AFTR, B4, 4);
    }
    s46_batch b = {2, {f[0], f[1]}};
    s46_cet_process(t, &b, S46_CET_PORT_WAN, 2 * SEC);
    CHECK_INT(f[0]->verdict, S46_V_DROP);
    CHECK_INT(f[0]->reason, S46_CET_fragments_held);
    CHECK_INT(f[1]->verdict, S46_V_FORWARD);
    CHECK_INT(f[1]->out_port, S46_CET_PORT_LAN);
    const uint8_t *h = f[1]->data;
    CHECK_INT(f[1]->len, 220);
    CHECK_INT(s46_get32(h + 16), LANHOST);
    CHECK_INT(s46_get16(h + 22), 5000);
    CHECK(s46_csum_ok(h, 20) && l4_ok(h));
    CHECK_INT(cnt(t, S46_CET_reassembled), 1);
    CHECK_INT(cnt(t, S46_CET_wan_napt), 1);
    for (int i = 0; i < 2; i++)
        s46_pkt_release(pool, f[i]);
    s46_pkt_release(pool, whole);
    s46_cet_free(t);
}

TEST(encap_limit_option)
{
    s46_cet_conf c = conf(S46_CET_DSLITE);
    c.encap_limit = 4;
    c.ipv6_mtu = 1280;
    s46_cet *t = s46_cet_new(&c, NULL, 0);
    s46_pkt *p = ip4(LANHOST, REMOTE4, 17, 5000, 53, 64, true, 60);
    run1(t, p, S46_CET_PORT_LAN, SEC);
    CHECK_INT(p->verdict, S46_V_FORWARD);
    CHECK_INT(p->len, 108);
    CHECK_INT(p->data[6], 60);   /* Destination Options, then IPv4 */
    CHECK_INT(p->data[40], 4);
    CHECK_INT(p->data[42], 4);   /* RFC 2473 §4.1.1 option type, length 1 */
    CHECK_INT(p->data[43], 1);
    CHECK_INT(p->data[44], 4);   /* the limit */
    CHECK_INT(s46_get16(p->data + 4), 68);
    s46_pkt_release(pool, p);
    /* the option counts against the room: 1280 - 48 */
    p = ip4(LANHOST, REMOTE4, 17, 5000, 53, 64, true, 1233);
    run1(t, p, S46_CET_PORT_LAN, SEC);
    CHECK(p->verdict == S46_V_FORWARD && p->out_port == S46_CET_PORT_LAN);
    CHECK_INT(s46_get16(p->data + 26), 1232);
    s46_pkt_release(pool, p);
    json_t *j = s46_cet_show(t, SEC, 10);
    CHECK_INT(json_integer_value(json_object_get(j, "mss")), 1192);
    json_decref(j);
    s46_cet_free(t);
}

/* An ICMPv6 error from a router to `to` quoting (the start of) the tunnel
 * packet out; consumes out. */
static s46_pkt *icmp6_to(s46_pkt *out, uint8_t type, uint32_t extra, const char *to)
{
    unsigned q = out->len > 1232 ? 1232 : out->len;
    uint8_t *h = s46_pkt_push(out, 8);
    h[0] = type;
    h[1] = 0;
    s46_put16(h + 2, 0);
    s46_put32(h + 4, extra);
    out->len = 8 + q;
    wrap(out, "2001:db8:77::1", to, 58);
    s46_put16(out->data + 42, s46_csum_fold(s46_csum_add(
                                  s46_csum_pseudo6(out->data + 8, out->data + 24, 58, 8 + q),
                                  out->data + 40, 8 + q)));
    return out;
}

/* The same to the B4. */
static s46_pkt *icmp6_about(s46_pkt *out, uint8_t type, uint32_t extra)
{
    return icmp6_to(out, type, extra, B4);
}

/* h is ICMPv4 3/4 from src to the LAN host with that MTU, quoting its
 * packet from sport, checksums right. */
static bool is_frag_needed(const uint8_t *h, uint32_t src, uint16_t mtu, uint16_t sport)
{
    return h[9] == 1 && s46_get32(h + 12) == src && s46_get32(h + 16) == LANHOST &&
           h[20] == 3 && h[21] == 4 && s46_get16(h + 26) == mtu &&
           s46_get32(h + 28 + 12) == LANHOST && s46_get16(h + 28 + 20) == sport &&
           s46_csum_ok(h, 20) && l4_ok(h);
}

/* Once the tunnel MTU toward the remote side is 1400, a DF packet of 1361
 * bytes from the LAN comes back as ICMPv4 3/4 with 1360, one of 1380
 * without DF leaves as two outer fragments that fit (through the tunnel
 * CE t or the MAP-E CE ce). */
static bool mtu_1400_applies(s46_cet *t, struct s46_ce *ce, uint64_t now)
{
    bool ok = true;
    for (int df = 1; df >= 0; df--) {
        s46_batch b = {1, {ip4(LANHOST, REMOTE4, 17, 5000, 53, 64, df, df ? 1361 : 1380)}};
        if (t)
            s46_cet_process(t, &b, S46_CET_PORT_LAN, now);
        else
            s46_ce_process(ce, &b, S46_CE_PORT_LAN, now);
        const s46_pkt *p = b.pkts[0];
        if (df)
            ok = ok && b.count == 1 && p->verdict == S46_V_FORWARD && p->out_port == 0 &&
                 p->data[20] == 3 && p->data[21] == 4 && s46_get16(p->data + 26) == 1360;
        else
            ok = ok && b.count == 2 && b.pkts[0]->len <= 1400 && b.pkts[1]->len <= 1400;
        for (uint32_t i = 0; i < b.count; i++)
            s46_pkt_release(pool, b.pkts[i]);
    }
    return ok;
}

static long show_int(s46_cet *t, const char *key, uint64_t now)
{
    json_t *j = s46_cet_show(t, now, 0);
    long v = (long)json_integer_value(json_object_get(j, key));
    json_decref(j);
    return v;
}

TEST(packet_too_big_relayed_and_learned)
{
    s46_cet_conf c = conf(S46_CET_DSLITE);
    s46_cet *t = s46_cet_new(&c, NULL, 0);
    s46_pkt *p = ip4(LANHOST, REMOTE4, 17, 5000, 53, 64, true, 1400);
    run1(t, p, S46_CET_PORT_LAN, SEC);
    CHECK(p->verdict == S46_V_FORWARD && p->out_port == S46_CET_PORT_WAN && p->len == 1440);
    /* a router on the way has an MTU of 1400 */
    run1(t, icmp6_about(p, 2, 1400), S46_CET_PORT_WAN, 2 * SEC);
    CHECK(p->verdict == S46_V_FORWARD && p->out_port == S46_CET_PORT_LAN);
    CHECK(is_frag_needed(p->data, 0xc0000002u, 1360, 5000));
    CHECK_INT(cnt(t, S46_CET_icmp6_relayed), 1);
    CHECK_INT(cnt(t, S46_CET_path_mtu_lowered), 1);
    s46_pkt_release(pool, p);
    CHECK_INT(show_int(t, "path_mtu", 2 * SEC), 1400);
    CHECK_INT(show_int(t, "mss", 2 * SEC), 1320);
    /* from now on: 3/4 right away, outer fragments that fit */
    CHECK(mtu_1400_applies(t, NULL, 3 * SEC));
    /* below 1280: ignored; a larger MTU does not raise it */
    p = ip4(LANHOST, REMOTE4, 17, 5000, 53, 64, true, 1300);
    run1(t, p, S46_CET_PORT_LAN, 3 * SEC);
    CHECK(p->out_port == S46_CET_PORT_WAN);
    CHECK(wan_dropped(t, icmp6_about(p, 2, 1000), S46_CET_drop_wan_icmpv6));
    CHECK_INT(show_int(t, "path_mtu", 3 * SEC), 1400);
    /* forgotten after 10 minutes */
    s46_cet_tick(t, 601 * SEC);
    CHECK_INT(show_int(t, "path_mtu", 601 * SEC), 1400);
    s46_cet_tick(t, 603 * SEC);
    CHECK_INT(show_int(t, "path_mtu", 603 * SEC), 1500);
    CHECK_INT(show_int(t, "mss", 603 * SEC), 1420);
    s46_cet_free(t);
}

TEST(icmp6_errors_about_the_tunnel)
{
    s46_cet_conf c = conf(S46_CET_IPIP);
    s46_cet *t = s46_cet_new(&c, NULL, 0);
    /* unreachable, about a NAPTed flow: to the private host, quote translated */
    s46_pkt *p = ip4(LANHOST, REMOTE4, 17, 5000, 53, 64, false, 60);
    run1(t, p, S46_CET_PORT_LAN, SEC);
    CHECK(p->verdict == S46_V_FORWARD && p->out_port == S46_CET_PORT_WAN);
    run1(t, icmp6_about(p, 1, 0), S46_CET_PORT_WAN, SEC);
    CHECK_INT(p->verdict, S46_V_FORWARD);
    CHECK_INT(p->out_port, S46_CET_PORT_LAN);
    const uint8_t *h = p->data;
    CHECK_INT(h[20], 3);
    CHECK_INT(h[21], 1);
    CHECK_INT(s46_get32(h + 16), LANHOST);
    CHECK_INT(s46_get32(h + 28 + 12), LANHOST);
    CHECK_INT(s46_get16(h + 28 + 20), 5000);
    CHECK(s46_csum_ok(h, 20) && l4_ok(h));
    s46_pkt_release(pool, p);
    /* time exceeded about a fixed-address packet: to it, unchanged quote */
    p = ip4(FIX0 + 4, REMOTE4, 6, 40000, 443, 64, false, 44);
    run1(t, p, S46_CET_PORT_LAN, SEC);
    run1(t, icmp6_about(p, 3, 0), S46_CET_PORT_WAN, SEC);
    CHECK(p->verdict == S46_V_FORWARD && p->out_port == S46_CET_PORT_LAN);
    CHECK_INT(s46_get32(p->data + 16), FIX0 + 4);
    CHECK_INT(s46_get32(p->data + 12), FIX0 + 1);
    s46_pkt_release(pool, p);
    CHECK_INT(cnt(t, S46_CET_icmp6_relayed), 2);
    /* about a packet that is not ours: dropped */
    p = ip4(FIX0 + 4, REMOTE4, 6, 40000, 443, 64, false, 44);
    wrap(p, "2001:db8:f001::3", AFTR, 4);
    CHECK(wan_dropped(t, icmp6_about(p, 1, 0), S46_CET_drop_wan_icmpv6));
    s46_cet_free(t);
}

/* The MAP-E CE 2001:db8:12:3400::/56 of the rule 2001:db8::/40 <->
 * 192.0.2.0/24 (EA 16, PSID offset 6): 192.0.2.18, PSID 0x34. */
#define MAPE_CE "2001:db8:12:3400:0:c000:212:34"
static s46_maprule mape_rule;
static s46_ce *mape_new(bool mesh)
{
    s46_ce_conf c;
    s46_ce_conf_default(&c);
    memset(&mape_rule, 0, sizeof mape_rule);
    s46_pfx6_parse("2001:db8::/40", &mape_rule.ipv6, NULL, 0);
    s46_pfx4_parse("192.0.2.0/24", &mape_rule.ipv4, NULL, 0);
    mape_rule.ea_len = 16;
    mape_rule.psid_offset = 6;
    c.rules = &mape_rule;
    c.nrules = 1;
    c.layout = S46_IID_RFC7597;
    c.mesh = mesh;
    s46_pfx6_parse("2001:db8:12:3400::/56", &c.eu_prefix, NULL, 0);
    s46_ip6_parse(AFTR, &c.br);
    return s46_ce_new(&c, NULL, 0);
}

static uint64_t mcnt(const s46_ce *ce, unsigned i) { return s46_ce_counters(ce)->v[i]; }

static void mrun(s46_ce *ce, s46_pkt *p, uint16_t port, uint64_t now)
{
    s46_batch b = {1, {p}};
    s46_ce_process(ce, &b, port, now);
}

TEST(mape_packet_too_big_lowers_the_mtu_toward_the_br)
{
    s46_ce *ce = mape_new(false);
    CHECK(ce);
    s46_pkt *p = ip4(LANHOST, REMOTE4, 17, 5000, 53, 64, true, 1400);
    mrun(ce, p, S46_CE_PORT_LAN, SEC);
    CHECK(p->verdict == S46_V_FORWARD && p->out_port == S46_CE_PORT_WAN && p->len == 1440);
    uint16_t ext_port = s46_get16(p->data + 40 + 20);
    /* a router toward the BR has an MTU of 1400 */
    mrun(ce, icmp6_to(p, 2, 1400, MAPE_CE), S46_CE_PORT_WAN, 2 * SEC);
    CHECK(p->verdict == S46_V_FORWARD && p->out_port == S46_CE_PORT_LAN);
    /* the quote is back to what the LAN host sent */
    CHECK(ext_port != 5000 && is_frag_needed(p->data, 0xc0000212u, 1360, 5000));
    CHECK_INT(mcnt(ce, S46_CE_icmp6_relayed), 1);
    CHECK_INT(mcnt(ce, S46_CE_path_mtu_lowered), 1);
    s46_pkt_release(pool, p);
    /* from now on: 3/4 right away for DF, outer fragments that fit without */
    CHECK(mtu_1400_applies(NULL, ce, 3 * SEC));
    /* forgotten after 10 minutes */
    s46_ce_tick(ce, 603 * SEC);
    p = ip4(LANHOST, REMOTE4, 17, 5000, 53, 64, true, 1400);
    mrun(ce, p, S46_CE_PORT_LAN, 603 * SEC);
    CHECK(p->verdict == S46_V_FORWARD && p->out_port == S46_CE_PORT_WAN && p->len == 1440);
    s46_pkt_release(pool, p);
    s46_ce_free(ce);
}

TEST(mape_other_icmp6_errors_relayed_bogus_ones_dropped)
{
    s46_ce *ce = mape_new(false);
    /* unreachable: ICMPv4 3/1 to the LAN host, quote translated back */
    s46_pkt *p = ip4(LANHOST, REMOTE4, 6, 40000, 443, 64, false, 44);
    mrun(ce, p, S46_CE_PORT_LAN, SEC);
    CHECK(p->verdict == S46_V_FORWARD && p->out_port == S46_CE_PORT_WAN);
    s46_pkt *keep = alloc();
    memcpy(keep->data, p->data, p->len);
    keep->len = p->len;
    mrun(ce, icmp6_to(p, 1, 0, MAPE_CE), S46_CE_PORT_WAN, SEC);
    CHECK(p->verdict == S46_V_FORWARD && p->out_port == S46_CE_PORT_LAN);
    CHECK_INT(p->data[20], 3);
    CHECK_INT(p->data[21], 1);
    CHECK_INT(s46_get32(p->data + 16), LANHOST);
    CHECK_INT(s46_get16(p->data + 28 + 20), 40000);
    CHECK(l4_ok(p->data));
    s46_pkt_release(pool, p);
    CHECK_INT(mcnt(ce, S46_CE_icmp6_relayed), 1);
    /* a Packet Too Big below 1280: dropped, counted, nothing learned */
    p = alloc();
    memcpy(p->data, keep->data, keep->len);
    p->len = keep->len;
    mrun(ce, icmp6_to(p, 2, 1000, MAPE_CE), S46_CE_PORT_WAN, SEC);
    CHECK(p->verdict == S46_V_DROP && p->reason == S46_CE_drop_wan_icmpv6);
    s46_pkt_release(pool, p);
    CHECK_INT(mcnt(ce, S46_CE_path_mtu_lowered), 0);
    /* quoting a packet we did not send (another source, another peer) */
    for (int k = 0; k < 2; k++) {
        p = alloc();
        memcpy(p->data, keep->data, keep->len);
        p->len = keep->len;
        s46_ip6 a;
        s46_ip6_parse(k ? "2001:db8:ffff::9" : "2001:db8:12:3400:0:c000:212:35", &a);
        memcpy(p->data + (k ? 24 : 8), a.b, 16);
        mrun(ce, icmp6_to(p, 2, 1300, MAPE_CE), S46_CE_PORT_WAN, SEC);
        CHECK(p->verdict == S46_V_DROP && p->reason == S46_CE_drop_wan_icmpv6);
        s46_pkt_release(pool, p);
    }
    CHECK_INT(mcnt(ce, S46_CE_drop_wan_icmpv6), 3);
    CHECK_INT(mcnt(ce, S46_CE_path_mtu_lowered), 0);
    s46_pkt_release(pool, keep);
    s46_ce_free(ce);
}

TEST(mape_mesh_mtu_is_per_peer)
{
    s46_ce *ce = mape_new(true);
    /* to 192.0.2.99 port 0x0404 (PSID 1): the CE of that rule, directly */
    s46_pkt *p = ip4(LANHOST, 0xc0000263u, 17, 5000, 0x0404, 64, true, 1400);
    mrun(ce, p, S46_CE_PORT_LAN, SEC);
    CHECK(p->verdict == S46_V_FORWARD && p->out_port == S46_CE_PORT_WAN && p->len == 1440);
    CHECK_INT(mcnt(ce, S46_CE_to_fmr), 1);
    CHECK(!ip6_is(p->data + 24, AFTR));
    mrun(ce, icmp6_to(p, 2, 1300, MAPE_CE), S46_CE_PORT_WAN, SEC);
    CHECK(p->verdict == S46_V_FORWARD && p->out_port == S46_CE_PORT_LAN);
    CHECK_INT(s46_get16(p->data + 26), 1260);
    s46_pkt_release(pool, p);
    /* that peer: 3/4; the BR: unchanged */
    p = ip4(LANHOST, 0xc0000263u, 17, 5000, 0x0404, 64, true, 1400);
    mrun(ce, p, S46_CE_PORT_LAN, SEC);
    CHECK(p->verdict == S46_V_FORWARD && p->out_port == S46_CE_PORT_LAN);
    s46_pkt_release(pool, p);
    p = ip4(LANHOST, REMOTE4, 17, 5000, 53, 64, true, 1400);
    mrun(ce, p, S46_CE_PORT_LAN, SEC);
    CHECK(p->verdict == S46_V_FORWARD && p->out_port == S46_CE_PORT_WAN && p->len == 1440);
    CHECK(ip6_is(p->data + 24, AFTR));
    s46_pkt_release(pool, p);
    s46_ce_free(ce);
}

/* Random and mutated packets both ways through both kinds: every packet
 * ends forwarded inside its buffer out of a real port, or dropped with a
 * named reason that was counted; ports' counters match the verdicts. */
TEST(random_packets_keep_invariants)
{
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int k = 0; k < 2; k++) {
        s46_cet_conf c = conf(k ? S46_CET_IPIP : S46_CET_DSLITE);
        c.ipv6_mtu = 1280;
        c.napt.max_mappings = 16;
        c.napt.max_sessions = 32;
        s46_cet *t = s46_cet_new(&c, NULL, 0);
        CHECK(t);
        uint64_t fwd[2] = {0, 0}, fed[2] = {0, 0}, now = SEC;
        for (int round = 0; round < 3000; round++) {
            uint16_t side = (uint16_t)(round & 1);
            s46_batch b = {0};
            for (int i = 0; i < 4; i++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                static const uint8_t protos[] = {6, 17, 1, 47};
                uint32_t a = (x >> 8) & 3, pick = (uint32_t)(x >> 20);
                uint32_t lan = a == 0 ? FIX0 + (pick & 7) : LANHOST + (pick & 1);
                unsigned len = (x >> 30) & 1 ? 28 + (unsigned)(x >> 40) % 1400 : 48;
                s46_pkt *p = side ? ip4(REMOTE4, lan, protos[a], 53, (uint16_t)(x >> 44),
                                        (uint8_t)(x >> 52), (x >> 60) & 1, len)
                                  : ip4(lan, REMOTE4, protos[a], (uint16_t)(x >> 44), 53,
                                        (uint8_t)(x >> 52), (x >> 60) & 1, len);
                if (side)
                    wrap(p, (x >> 33) & 7 ? AFTR : B4, (x >> 35) & 7 ? B4 : AFTR,
                         (x >> 37) & 7 ? 4 : 44);
                if ((x >> 3) & 1) /* one flipped bit */
                    p->data[(x >> 12) % p->len] ^= (uint8_t)(1u << ((x >> 5) & 7));
                if (((x >> 6) & 7) == 0)
                    p->len = (uint32_t)(x >> 24) % (p->len + 1);
                b.pkts[b.count++] = p;
            }
            fed[side] += b.count;
            now += SEC / 10;
            s46_cet_process(t, &b, side, now);
            s46_cet_tick(t, now);
            CHECK(b.count <= S46_BATCH_MAX);
            for (uint32_t i = 0; i < b.count; i++) {
                s46_pkt *p = b.pkts[i];
                if (p->verdict == S46_V_FORWARD) {
                    CHECK(p->out_port <= 1);
                    CHECK(p->len >= 20 && p->data >= p->buf &&
                          p->data + p->len <= p->buf + S46_PKT_BUFSIZE);
                    CHECK(p->len <= (p->out_port == S46_CET_PORT_WAN ? c.ipv6_mtu : 65535u));
                    fwd[p->out_port]++;
                } else {
                    CHECK_INT(p->verdict, S46_V_DROP);
                    CHECK(p->reason > S46_CET_decapsulated && p->reason < S46_CET_NCOUNTERS);
                    CHECK(cnt(t, p->reason) > 0);
                }
                s46_pkt_release(pool, p);
            }
        }
        CHECK_INT(cnt(t, S46_CET_lan_in), fed[0]);
        CHECK_INT(cnt(t, S46_CET_wan_in), fed[1]);
        CHECK_INT(cnt(t, S46_CET_lan_out), fwd[0]);
        CHECK_INT(cnt(t, S46_CET_wan_out), fwd[1]);
        CHECK(cnt(t, S46_CET_encapsulated) > 0 && cnt(t, S46_CET_decapsulated) > 0);
        CHECK(cnt(t, S46_CET_fragmented) > 0);
        s46_cet_free(t);
    }
}

TEST(pool_intact)
{
    CHECK_INT(s46_pktpool_available(pool), 16);
    s46_pktpool_free(pool);
    pool = NULL;
}

T_MAIN(T_CASE(dslite_encapsulation_bytes), T_CASE(dslite_decapsulation),
       T_CASE(wrong_outer_header_dropped), T_CASE(malformed_counted),
       T_CASE(ipip_fixed_source_passes_unchanged), T_CASE(ipip_private_source_napt_both_ways),
       T_CASE(ipip_inbound_by_destination), T_CASE(df_too_big_gets_icmp_3_4),
       T_CASE(df0_too_big_two_outer_fragments_reassembled), T_CASE(ttl_handling),
       T_CASE(mss_clamped_both_ways), T_CASE(echo_request_to_local_answered),
       T_CASE(reconfigure_keeps_or_flushes_napt), T_CASE(ipip_hairpin_to_nat_address),
       T_CASE(ipip_icmp_errors_translated_both_ways),
       T_CASE(ipip_inner_fragments_to_nat_address_reassembled), T_CASE(encap_limit_option),
       T_CASE(packet_too_big_relayed_and_learned), T_CASE(icmp6_errors_about_the_tunnel),
       T_CASE(mape_packet_too_big_lowers_the_mtu_toward_the_br),
       T_CASE(mape_other_icmp6_errors_relayed_bogus_ones_dropped),
       T_CASE(mape_mesh_mtu_is_per_peer),
       T_CASE(random_packets_keep_invariants), T_CASE(pool_intact))
