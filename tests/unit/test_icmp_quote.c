/* The one parser of the packet an ICMP error quotes (dp/icmp_quote.h): its
 * truncation rules, and two BR behaviours that came with it: an error
 * quoting a non-first fragment no longer picks a CE by payload bytes, and
 * an ICMPv6 error quoting a tunnel packet with the encapsulation limit
 * option is relayed like one without. Then the ports a subscriber's packet
 * and a quote of ours show (a shared address sends only what shows one),
 * what counts as unicast, and the parser noting a Routing header still to
 * be acted on (RFC 5095). */
#include "conf/br_conf.h"
#include "dp/br_mape.h"
#include "dp/icmp_quote.h"
#include "lib/csum.h"
#include "lib/icmp.h"
#include "lib/tunnel.h"
#include "t.h"

static void csum4(uint8_t *ip)
{
    s46_put16(ip + 10, 0);
    s46_put16(ip + 10, s46_csum_fold(s46_csum_add(0, ip, 20)));
}

/* An option-less IPv4 header at h: total length tot, fragment word ff. */
static void hdr4(uint8_t *h, uint16_t tot, uint16_t ff, uint8_t proto, uint32_t src,
                 uint32_t dst)
{
    memset(h, 0, 20);
    h[0] = 0x45;
    s46_put16(h + 2, tot);
    s46_put16(h + 6, ff);
    h[8] = 64;
    h[9] = proto;
    s46_put32(h + 12, src);
    s46_put32(h + 16, dst);
    csum4(h);
}

/* An ICMPv4 error 3/3 from src to dst in b quoting qlen bytes of q; its
 * length. */
static uint32_t icmp4_err(uint8_t *b, uint32_t src, uint32_t dst, const uint8_t *q,
                          uint16_t qlen)
{
    hdr4(b, (uint16_t)(28 + qlen), 0, 1, src, dst);
    memset(b + 20, 0, 8);
    b[20] = 3;
    b[21] = 3;
    memcpy(b + 28, q, qlen);
    s46_put16(b + 22, s46_csum_fold(s46_csum_add(0, b + 20, 8u + qlen)));
    return 28u + qlen;
}

TEST(ipv4_quote_truncation)
{
    uint8_t b[200], q[60];
    s46_l3 l3;
    s46_quote qt;
    hdr4(q, 200, 0x4000, 6, 0xc0000212, 0xc6336450); /* said 200, 24 quoted */
    s46_put16(q + 20, 5000);
    s46_put16(q + 22, 443);
    uint32_t n = icmp4_err(b, 0xc6336450, 0xc0000212, q, 24);
    CHECK_INT(s46_parse_ipv4(b, n, &l3), 0);
    CHECK(s46_icmp_quote(b, &l3, &qt));
    CHECK(qt.ip == b + 28 && qt.len == 24);
    CHECK_INT(qt.l3.l3_len, 20);
    CHECK_INT(qt.l3.l4_len, 4);
    CHECK(qt.l3.has_ports && qt.l3.sport == 5000 && qt.l3.dport == 443 && qt.l3.df);
    /* the header alone: parsed, no ports */
    n = icmp4_err(b, 0xc6336450, 0xc0000212, q, 20);
    s46_parse_ipv4(b, n, &l3);
    CHECK(s46_icmp_quote(b, &l3, &qt) && qt.l3.l4_len == 0 && !qt.l3.has_ports);
    /* shorter than its header: none */
    n = icmp4_err(b, 0xc6336450, 0xc0000212, q, 19);
    s46_parse_ipv4(b, n, &l3);
    CHECK(!s46_icmp_quote(b, &l3, &qt));
    /* a non-first fragment: no ports, whatever its bytes */
    hdr4(q, 200, 0x0010, 17, 0xc0000212, 0xc6336450);
    n = icmp4_err(b, 0xc6336450, 0xc0000212, q, 28);
    s46_parse_ipv4(b, n, &l3);
    CHECK(s46_icmp_quote(b, &l3, &qt) && !qt.l3.first_fragment && !qt.l3.has_ports);
    /* ICMP: the type from one byte, the identifier from eight */
    hdr4(q, 28, 0, 1, 0xc0000212, 0xc6336450);
    q[20] = 8;
    s46_put16(q + 24, 0x3401);
    n = icmp4_err(b, 0xc6336450, 0xc0000212, q, 24);
    s46_parse_ipv4(b, n, &l3);
    CHECK(s46_icmp_quote(b, &l3, &qt) && qt.l3.icmp_type == 8 && !qt.l3.has_ports);
    CHECK(s46_quote_may_error4(&qt));
    n = icmp4_err(b, 0xc6336450, 0xc0000212, q, 28);
    s46_parse_ipv4(b, n, &l3);
    CHECK(s46_icmp_quote(b, &l3, &qt) && qt.l3.has_ports && qt.l3.sport == 0x3401);
    /* the total length bounds the quote; an IPv6 quote in ICMPv4: none */
    hdr4(q, 24, 0, 17, 0xc0000212, 0xc6336450);
    n = icmp4_err(b, 0xc6336450, 0xc0000212, q, 40);
    s46_parse_ipv4(b, n, &l3);
    CHECK(s46_icmp_quote(b, &l3, &qt) && qt.len == 24 && qt.l3.l4_len == 4);
    q[0] = 0x60;
    n = icmp4_err(b, 0xc6336450, 0xc0000212, q, 40);
    s46_parse_ipv4(b, n, &l3);
    CHECK(!s46_icmp_quote(b, &l3, &qt));
}

/* An IPv4 UDP packet in p: 2001:db8:ffff::1 -> the CE's MAP address,
 * with the encapsulation limit option; 48 + len bytes. */
static void tunnel_pkt(s46_pkt *p, unsigned len)
{
    hdr4(p->data, (uint16_t)len, 0x4000, 17, 0xc6336450, 0xc0000212);
    memset(p->data + 20, 0, len - 20);
    s46_put16(p->data + 20, 53);
    s46_put16(p->data + 22, 0x04d0);
    p->len = len;
    s46_encap e = {.hop_limit = 64, .encap_limit = 4};
    s46_ip6_parse("2001:db8:ffff::1", &e.src);
    s46_ip6_parse("2001:db8:12:3400:0:c000:212:34", &e.dst);
    s46_tunnel_encap(p, &e);
}

/* A router's ICMPv6 error about qlen bytes of the packet in p, into out. */
static void icmp6_err(s46_pkt *out, uint8_t type, uint32_t extra, const s46_pkt *p, size_t qlen)
{
    s46_ip6 router;
    s46_ip6_parse("2001:db8:77::1", &router);
    s46_icmp6_error(out, &router, type, 0, extra, p->data, qlen);
}

TEST(ipv6_quote_with_extension_headers)
{
    s46_pktpool *pool = s46_pktpool_new(2);
    s46_pkt *p = s46_pkt_alloc(pool), *err = s46_pkt_alloc(pool);
    s46_l3 l3;
    s46_quote q6, q4;
    tunnel_pkt(p, 1000);
    icmp6_err(err, 2, 1400, p, 76);
    CHECK_INT(s46_parse_ipv6(err->data, err->len, &l3), 0);
    CHECK(s46_icmp_quote(err->data, &l3, &q6));
    CHECK_INT(q6.l3.l3_len, 48);
    CHECK_INT(q6.l3.proto, 4);
    CHECK(s46_quote_inner4(&q6, &q4));
    CHECK(q4.ip == err->data + 48 + 48 && q4.len == 28 && q4.l3.df && q4.l3.has_ports);
    CHECK(q4.l3.sport == 53 && q4.l3.dport == 0x04d0);
    /* the option header cut short: no upper layer to find */
    icmp6_err(err, 2, 1400, p, 44);
    CHECK_INT(s46_parse_ipv6(err->data, err->len, &l3), 0);
    CHECK(!s46_icmp_quote(err->data, &l3, &q6));
    s46_pkt_release(pool, p);
    s46_pkt_release(pool, err);
    s46_pktpool_free(pool);
}

/* A BR for the rule 2001:db8::/40 <-> 192.0.2.0/24 (EA 16, PSID offset 6),
 * as its settings file would say. */
static s46_ruleset *rules;
static s46_pktpool *pool;
static s46_br *new_br(const char *encap_limit)
{
    char doc[400];
    snprintf(doc, sizeof doc,
             "{\"br\": \"2001:db8:ffff::1\", \"version\": 1, \"br_ipv4\": \"192.0.0.1\","
             " \"encap_limit\": %s, \"rules\": [{\"ipv6\": \"2001:db8::/40\","
             " \"ipv4\": \"192.0.2.0/24\", \"ea_length\": 16, \"psid_offset\": 6}]}",
             encap_limit);
    json_t *j = json_loads(doc, 0, NULL);
    s46_br_conf c;
    s46_br *br = s46_br_conf_from_json(j, &c, NULL, 0) == 0 ? s46_br_new(&c) : NULL;
    rules = c.rules;
    json_decref(j);
    if (!pool)
        pool = s46_pktpool_new(4);
    return br;
}

static void free_br(s46_br *br)
{
    s46_br_free(br);
    s46_ruleset_free(rules);
    s46_pktpool_free(pool);
    pool = NULL;
}

TEST(br_error_quoting_a_later_fragment_is_unmappable)
{
    s46_br *br = new_br("null");
    CHECK(br);
    uint8_t q[28];
    /* 192.0.2.18 port 0x04d0 (PSID 0x34 of the CE 2001:db8:12:3400::/56) */
    for (int later = 0; later < 2; later++) {
        hdr4(q, 100, later ? 0x0020 : 0, 17, 0xc0000212, 0xc6336450);
        s46_put16(q + 20, 0x04d0); /* a port, or payload bytes looking like one */
        s46_put16(q + 22, 53);
        s46_pkt *p = s46_pkt_alloc(pool);
        p->len = icmp4_err(p->data, 0xc6336450, 0xc0000212, q, 28);
        s46_batch b = {1, {p}};
        s46_br_process(br, &b, S46_BR_PORT_V4, 1000000000ull);
        if (!later) {
            CHECK_INT(p->verdict, S46_V_FORWARD);
            CHECK_INT(p->out_port, S46_BR_PORT_V6);
        } else {
            CHECK_INT(p->verdict, S46_V_DROP);
            CHECK_INT(p->reason, S46_BR_drop_v4_icmp_unmappable);
        }
        s46_pkt_release(pool, p);
    }
    CHECK_INT(s46_br_counters(br)->v[S46_BR_drop_v4_icmp_unmappable], 1);
    free_br(br);
}

TEST(br_relays_errors_about_packets_with_the_limit_option)
{
    s46_br *br = new_br("4");
    CHECK(br);
    s46_pkt *p = s46_pkt_alloc(pool), *t = s46_pkt_alloc(pool);
    /* to the CE above, DF, 1000 bytes: encapsulated with the option */
    tunnel_pkt(t, 1000);
    s46_pkt_pull(t, 48);
    memcpy(p->data, t->data, t->len);
    p->len = t->len;
    s46_batch b = {1, {p}};
    s46_br_process(br, &b, S46_BR_PORT_V4, 1000000000ull);
    CHECK(p->verdict == S46_V_FORWARD && p->len == 1048 && p->data[6] == 60);
    /* a router toward the CE: Packet Too Big, MTU 1280, quoting it whole */
    icmp6_err(t, 2, 1280, p, p->len);
    b = (s46_batch){1, {t}};
    s46_pkt_release(pool, p);
    p = t;
    s46_br_process(br, &b, S46_BR_PORT_V6, 1000000000ull);
    CHECK_INT(p->verdict, S46_V_FORWARD);
    CHECK_INT(p->out_port, S46_BR_PORT_V4);
    CHECK_INT(p->data[20], 3);
    CHECK_INT(p->data[21], 4);
    CHECK_INT(s46_get16(p->data + 26), 1280 - 48); /* the room left for IPv4 */
    CHECK_INT(s46_get32(p->data + 16), 0xc6336450);
    CHECK_INT(s46_br_counters(br)->v[S46_BR_icmp_relayed], 1);
    s46_pkt_release(pool, p);
    free_br(br);
}

/* An IPv4 packet from 192.0.2.18 in b: proto, fragment word ff, and the
 * len bytes of l4 after the header; parsed into l3. */
static int pkt4(uint8_t *b, uint8_t proto, uint16_t ff, const uint8_t *l4, uint16_t len,
                s46_l3 *l3)
{
    hdr4(b, (uint16_t)(20 + len), ff, proto, 0xc0000212, 0xc6336450);
    memcpy(b + 20, l4, len);
    return s46_parse_ipv4(b, 20u + len, l3);
}

TEST(subscriber_port_only_from_what_shows_one)
{
    uint8_t b[200], l4[100], q[40];
    s46_l3 l3;
    uint16_t port = 0;
    /* UDP: its source port */
    memset(l4, 0, sizeof l4);
    s46_put16(l4, 1232);
    s46_put16(l4 + 2, 53);
    s46_put16(l4 + 4, 8);
    CHECK_INT(pkt4(b, 17, 0, l4, 8, &l3), 0);
    CHECK_INT(s46_src_port4(b, &l3, &port), S46_SP_PORT);
    CHECK_INT(port, 1232);
    /* a later fragment: nothing to check in it */
    CHECK_INT(pkt4(b, 17, 0x0004, l4, 8, &l3), 0);
    CHECK_INT(s46_src_port4(b, &l3, &port), S46_SP_NONE);
    /* GRE, ESP: no port */
    CHECK_INT(pkt4(b, 47, 0, l4, 8, &l3), 0);
    CHECK_INT(s46_src_port4(b, &l3, &port), S46_SP_PORTLESS);
    CHECK_INT(pkt4(b, 50, 0, l4, 8, &l3), 0);
    CHECK_INT(s46_src_port4(b, &l3, &port), S46_SP_PORTLESS);
    /* ICMP: an echo request by its identifier, a router solicitation has none */
    memset(l4, 0, 8);
    l4[0] = 8;
    s46_put16(l4 + 4, 1233);
    CHECK_INT(pkt4(b, 1, 0, l4, 8, &l3), 0);
    CHECK_INT(s46_src_port4(b, &l3, &port), S46_SP_PORT);
    CHECK_INT(port, 1233);
    l4[0] = 10;
    CHECK_INT(pkt4(b, 1, 0, l4, 8, &l3), 0);
    CHECK_INT(s46_src_port4(b, &l3, &port), S46_SP_PORTLESS);
    /* UDP and ICMP cut short of their header */
    CHECK_INT(pkt4(b, 17, 0, l4, 6, &l3), 0);
    CHECK_INT(s46_src_port4(b, &l3, &port), S46_SP_MALFORMED);
    CHECK_INT(pkt4(b, 1, 0, l4, 4, &l3), 0);
    CHECK_INT(s46_src_port4(b, &l3, &port), S46_SP_MALFORMED);
    /* an ICMP error: by the destination port of its quote, which must show it */
    hdr4(q, 100, 0, 17, 0xc6336450, 0xc0000212);
    s46_put16(q + 20, 53);
    s46_put16(q + 22, 1234);
    memset(l4, 0, 8);
    l4[0] = 3;
    l4[1] = 3;
    memcpy(l4 + 8, q, 28);
    for (uint16_t qlen = 0; qlen <= 28; qlen++) {
        if (pkt4(b, 1, 0, l4, 8u + qlen, &l3) != 0)
            CHECK(0);
        s46_sport r = s46_src_port4(b, &l3, &port);
        CHECK_INT(r, qlen >= 24 ? S46_SP_PORT : S46_SP_NO_QUOTE);
        if (r == S46_SP_PORT)
            CHECK_INT(port, 1234);
    }
    /* quoting a GRE packet, or a later fragment: no port either */
    hdr4(l4 + 8, 100, 0, 47, 0xc6336450, 0xc0000212);
    CHECK_INT(pkt4(b, 1, 0, l4, 36, &l3), 0);
    CHECK_INT(s46_src_port4(b, &l3, &port), S46_SP_NO_QUOTE);
    hdr4(l4 + 8, 100, 0x0004, 17, 0xc6336450, 0xc0000212);
    CHECK_INT(pkt4(b, 1, 0, l4, 36, &l3), 0);
    CHECK_INT(s46_src_port4(b, &l3, &port), S46_SP_NO_QUOTE);
}

TEST(port_of_a_quoted_packet_toward_a_subscriber)
{
    uint8_t q[40];
    s46_quote qt;
    uint16_t port = 7;
    hdr4(q, 100, 0, 17, 0xc6336450, 0xc0000212);
    s46_put16(q + 20, 53);
    s46_put16(q + 22, 1234);
    CHECK(s46_quote_parse(q, 24, &qt) && s46_quote_dst_port4(&qt, &port) && port == 1234);
    CHECK(s46_quote_parse(q, 22, &qt) && !s46_quote_dst_port4(&qt, &port));
    hdr4(q, 100, 0x0004, 17, 0xc6336450, 0xc0000212); /* a later fragment */
    CHECK(s46_quote_parse(q, 28, &qt) && !s46_quote_dst_port4(&qt, &port));
    hdr4(q, 100, 0, 47, 0xc6336450, 0xc0000212); /* GRE: chosen by port 0 */
    CHECK(s46_quote_parse(q, 20, &qt) && s46_quote_dst_port4(&qt, &port) && port == 0);
    hdr4(q, 100, 0, 1, 0xc6336450, 0xc0000212);
    memset(q + 20, 0, 8);
    q[20] = 0; /* echo reply: by its identifier */
    s46_put16(q + 24, 1233);
    CHECK(s46_quote_parse(q, 28, &qt) && s46_quote_dst_port4(&qt, &port) && port == 1233);
    q[20] = 3; /* an error: we send none about errors */
    CHECK(s46_quote_parse(q, 28, &qt) && !s46_quote_dst_port4(&qt, &port));
}

TEST(unicast_addresses)
{
    static const uint32_t no[] = {0, 0x00010203, 0x7f000001, 0xe0000001, 0xefffffff,
                                  0xf0000001, 0xffffffff};
    static const uint32_t yes[] = {0x01000000, 0x0a000001, 0x7eff0001, 0x80000001, 0xc0000212,
                                   0xdfffffff};
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        CHECK(!s46_ip4_is_unicast(no[i]));
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        CHECK(s46_ip4_is_unicast(yes[i]));
    s46_ip6 a;
    s46_ip6_parse("::", &a);
    CHECK(!s46_ip6_is_unicast(a.b));
    s46_ip6_parse("::1", &a);
    CHECK(!s46_ip6_is_unicast(a.b));
    s46_ip6_parse("ff02::1", &a);
    CHECK(!s46_ip6_is_unicast(a.b));
    s46_ip6_parse("::2", &a);
    CHECK(s46_ip6_is_unicast(a.b));
    s46_ip6_parse("2001:db8::1", &a);
    CHECK(s46_ip6_is_unicast(a.b));
}

TEST(routing_header_with_segments_left_noted)
{
    uint8_t b[200];
    s46_l3 l3;
    for (int left = 0; left < 2; left++) {
        memset(b, 0, sizeof b);
        b[0] = 0x60;
        s46_put16(b + 4, 24 + 8);
        b[6] = S46_PROTO_ROUTING;
        b[7] = 64;
        b[40] = S46_PROTO_UDP; /* Routing header: type 0, one address */
        b[41] = 2;
        b[42] = 0;
        b[43] = (uint8_t)left;
        s46_put16(b + 64 + 4, 8);
        CHECK_INT(s46_parse_ipv6(b, 72, &l3), 0);
        CHECK_INT(l3.proto, S46_PROTO_UDP);
        CHECK_INT(l3.rh_off, left ? 40 : 0);
    }
}

T_MAIN(T_CASE(ipv4_quote_truncation), T_CASE(ipv6_quote_with_extension_headers),
       T_CASE(br_error_quoting_a_later_fragment_is_unmappable),
       T_CASE(br_relays_errors_about_packets_with_the_limit_option),
       T_CASE(subscriber_port_only_from_what_shows_one),
       T_CASE(port_of_a_quoted_packet_toward_a_subscriber), T_CASE(unicast_addresses),
       T_CASE(routing_header_with_segments_left_noted))
