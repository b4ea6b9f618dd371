/* NAPT44 table: port-set restriction, RFC 4787/5382/5508 behaviour, bounds. */
#include "lib/maprule.h"
#include "lib/napt.h"
#include "t.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

static s46_napt *mk(unsigned a, unsigned k, uint16_t psid, s46_napt_filter f)
{
    s46_napt_config c;
    s46_napt_config_default(&c);
    c.ext_addr = IP(203, 86, 225, 1);
    c.psid_offset = (uint8_t)a;
    c.psid_len = (uint8_t)k;
    c.psid = psid;
    c.filter = f;
    return s46_napt_new(&c);
}

static s46_napt_flow flow(uint8_t proto, uint32_t in, uint16_t ip, uint32_t rem, uint16_t rp)
{
    s46_napt_flow f = {proto, in, ip, rem, rp, 0};
    return f;
}

/* JANOG "15-port world": /28, EA 16, offset 4 -> k 12, 15 single ports. */
TEST(napt_15_port_world_uses_every_port_then_refuses)
{
    s46_napt *t = mk(4, 12, 0x234, S46_NAPT_FILTER_ADF);
    CHECK(t);
    int seen[65536] = {0};
    for (int i = 0; i < 15; i++) {
        s46_napt_flow f = flow(S46_NAPT_UDP, IP(192, 168, 1, 10), (uint16_t)(40000 + i),
                               IP(198, 51, 100, 1), 53);
        CHECK_INT(s46_napt_outbound(t, &f, 0, 1000), S46_NAPT_OK);
        CHECK(s46_port_in_set(4, 12, 0x234, f.ext_port));
        CHECK(!seen[f.ext_port]);
        seen[f.ext_port] = 1;
    }
    /* The 16th flow is refused; the first 15 keep working. */
    s46_napt_flow f = flow(S46_NAPT_UDP, IP(192, 168, 1, 11), 5000, IP(198, 51, 100, 1), 53);
    CHECK_INT(s46_napt_outbound(t, &f, 0, 1001), S46_NAPT_NO_PORT);
    for (int i = 0; i < 15; i++) {
        s46_napt_flow g = flow(S46_NAPT_UDP, IP(192, 168, 1, 10), (uint16_t)(40000 + i),
                               IP(198, 51, 100, 1), 53);
        CHECK_INT(s46_napt_outbound(t, &g, 0, 1002), S46_NAPT_OK);
    }
    /* TCP has its own 15 ports. */
    f.proto = S46_NAPT_TCP;
    CHECK_INT(s46_napt_outbound(t, &f, S46_TCP_SYN, 1003), S46_NAPT_OK);
    /* DNS mappings are short (30 s): after they expire the port is reusable. */
    f.proto = S46_NAPT_UDP;
    CHECK_INT(s46_napt_outbound(t, &f, 0, 1002 + 31), S46_NAPT_OK);
    s46_napt_free(t);
}

TEST(napt_spreads_over_all_ranges)
{
    /* v6plus-like: a 4, k 8 -> 15 ranges of 16 ports. */
    s46_napt *t = mk(4, 8, 0xab, S46_NAPT_FILTER_ADF);
    int ranges[16] = {0};
    for (int i = 0; i < 120; i++) {
        s46_napt_flow f = flow(S46_NAPT_TCP, IP(192, 168, 1, 2), (uint16_t)(50000 + i),
                               IP(198, 51, 100, 7), 443);
        CHECK_INT(s46_napt_outbound(t, &f, S46_TCP_SYN, 10), S46_NAPT_OK);
        CHECK(s46_port_in_set(4, 8, 0xab, f.ext_port));
        ranges[f.ext_port >> 12]++;
    }
    CHECK_INT(ranges[0], 0);
    int used = 0;
    for (int r = 1; r < 16; r++)
        used += ranges[r] > 0;
    CHECK(used >= 13);
    s46_napt_free(t);
}

TEST(napt_endpoint_independent_mapping_and_parity)
{
    s46_napt *t = mk(6, 8, 0x34, S46_NAPT_FILTER_ADF);
    s46_napt_flow a = flow(S46_NAPT_UDP, IP(192, 168, 1, 2), 40001, IP(1, 2, 3, 4), 3478);
    s46_napt_flow b = flow(S46_NAPT_UDP, IP(192, 168, 1, 2), 40001, IP(5, 6, 7, 8), 3479);
    CHECK_INT(s46_napt_outbound(t, &a, 0, 5), S46_NAPT_OK);
    CHECK_INT(s46_napt_outbound(t, &b, 0, 6), S46_NAPT_OK);
    CHECK_INT(a.ext_port, b.ext_port);
    CHECK_INT(a.ext_port & 1, 1);
    int even = 0;
    for (int i = 0; i < 40; i++) {
        s46_napt_flow c = flow(S46_NAPT_UDP, IP(192, 168, 1, 3), (uint16_t)(2000 + 2 * i),
                               IP(1, 2, 3, 4), 80);
        CHECK_INT(s46_napt_outbound(t, &c, 0, 7), S46_NAPT_OK);
        even += (c.ext_port & 1) == 0;
    }
    CHECK_INT(even, 40);
    s46_napt_free(t);
}

TEST(napt_filtering_adf_and_eif)
{
    for (int mode = 0; mode < 2; mode++) {
        s46_napt *t = mk(6, 8, 0x34, mode ? S46_NAPT_FILTER_EIF : S46_NAPT_FILTER_ADF);
        s46_napt_flow o = flow(S46_NAPT_UDP, IP(192, 168, 1, 2), 4000, IP(1, 2, 3, 4), 3478);
        CHECK_INT(s46_napt_outbound(t, &o, 0, 100), S46_NAPT_OK);
        /* Reply from the same endpoint. */
        s46_napt_flow in = {S46_NAPT_UDP, 0, 0, IP(1, 2, 3, 4), 3478, o.ext_port};
        CHECK_INT(s46_napt_inbound(t, &in, 0, 101), S46_NAPT_OK);
        CHECK_INT(in.int_addr, IP(192, 168, 1, 2));
        CHECK_INT(in.int_port, 4000);
        /* Same address, other port: allowed by both ADF and EIF. */
        in = (s46_napt_flow){S46_NAPT_UDP, 0, 0, IP(1, 2, 3, 4), 9999, o.ext_port};
        CHECK_INT(s46_napt_inbound(t, &in, 0, 102), S46_NAPT_OK);
        /* Another address: EIF only. */
        in = (s46_napt_flow){S46_NAPT_UDP, 0, 0, IP(9, 9, 9, 9), 3478, o.ext_port};
        CHECK_INT(s46_napt_inbound(t, &in, 0, 103),
                  mode ? S46_NAPT_OK : S46_NAPT_FILTERED);
        /* A port with no mapping, and a port outside the set. */
        in = (s46_napt_flow){S46_NAPT_UDP, 0, 0, IP(1, 2, 3, 4), 3478,
                             (uint16_t)(o.ext_port ^ 1)};
        CHECK_INT(s46_napt_inbound(t, &in, 0, 104), S46_NAPT_NOT_FOUND);
        in.ext_port = 80;
        CHECK_INT(s46_napt_inbound(t, &in, 0, 104), S46_NAPT_NOT_FOUND);
        s46_napt_free(t);
    }
}

TEST(napt_udp_timers)
{
    s46_napt_config c;
    s46_napt_config_default(&c);
    c.psid_offset = 6;
    c.psid_len = 8;
    c.psid = 1;
    c.udp_timeout = 30; /* below the RFC 4787 minimum: clamped to 120 */
    s46_napt *t = s46_napt_new(&c);
    s46_napt_flow o = flow(S46_NAPT_UDP, IP(10, 0, 0, 1), 1234, IP(1, 1, 1, 1), 5000);
    CHECK_INT(s46_napt_outbound(t, &o, 0, 0), S46_NAPT_OK);
    uint32_t ia;
    uint16_t ip;
    CHECK(s46_napt_lookup_ext(t, S46_NAPT_UDP, o.ext_port, &ia, &ip, 119));
    CHECK(!s46_napt_lookup_ext(t, S46_NAPT_UDP, o.ext_port, &ia, &ip, 120));
    /* Outbound refreshes; inbound does not. */
    CHECK_INT(s46_napt_outbound(t, &o, 0, 100), S46_NAPT_OK);
    s46_napt_flow in = {S46_NAPT_UDP, 0, 0, IP(1, 1, 1, 1), 5000, o.ext_port};
    CHECK_INT(s46_napt_inbound(t, &in, 0, 200), S46_NAPT_OK);
    CHECK(s46_napt_lookup_ext(t, S46_NAPT_UDP, o.ext_port, &ia, &ip, 219));
    CHECK(!s46_napt_lookup_ext(t, S46_NAPT_UDP, o.ext_port, &ia, &ip, 220));
    CHECK_INT(s46_napt_expire(t, 220, 1u << 20), 1);
    s46_napt_stats st;
    s46_napt_stats_get(t, &st);
    CHECK_INT(st.mappings, 0);
    CHECK_INT(st.sessions, 0);
    CHECK_INT(st.ports_used[S46_NAPT_UDP], 0);
    s46_napt_free(t);
}

TEST(napt_tcp_state_timers)
{
    s46_napt *t = mk(6, 8, 2, S46_NAPT_FILTER_ADF);
    uint32_t ia;
    uint16_t ip;
    s46_napt_flow o = flow(S46_NAPT_TCP, IP(10, 0, 0, 1), 3333, IP(1, 1, 1, 1), 80);
    CHECK_INT(s46_napt_outbound(t, &o, S46_TCP_SYN, 0), S46_NAPT_OK);
    /* Unanswered SYN: transitory 240 s. */
    CHECK(s46_napt_lookup_ext(t, S46_NAPT_TCP, o.ext_port, &ia, &ip, 239));
    CHECK(!s46_napt_lookup_ext(t, S46_NAPT_TCP, o.ext_port, &ia, &ip, 240));
    CHECK_INT(s46_napt_outbound(t, &o, S46_TCP_SYN, 1000), S46_NAPT_OK);
    s46_napt_flow in = {S46_NAPT_TCP, 0, 0, IP(1, 1, 1, 1), 80, o.ext_port};
    CHECK_INT(s46_napt_inbound(t, &in, S46_TCP_SYN | S46_TCP_ACK, 1001), S46_NAPT_OK);
    /* Established: 2 h 4 min. */
    CHECK(s46_napt_lookup_ext(t, S46_NAPT_TCP, o.ext_port, &ia, &ip, 1001 + 7439));
    CHECK(!s46_napt_lookup_ext(t, S46_NAPT_TCP, o.ext_port, &ia, &ip, 1001 + 7440));
    /* FIN both ways: back to 240 s. */
    CHECK_INT(s46_napt_outbound(t, &o, S46_TCP_FIN | S46_TCP_ACK, 2000), S46_NAPT_OK);
    CHECK(s46_napt_lookup_ext(t, S46_NAPT_TCP, o.ext_port, &ia, &ip, 2000 + 7439));
    CHECK_INT(s46_napt_inbound(t, &in, S46_TCP_FIN | S46_TCP_ACK, 2001), S46_NAPT_OK);
    CHECK(!s46_napt_lookup_ext(t, S46_NAPT_TCP, o.ext_port, &ia, &ip, 2001 + 240));
    /* RST on an established connection: 240 s too. */
    s46_napt_flow p = flow(S46_NAPT_TCP, IP(10, 0, 0, 1), 4444, IP(1, 1, 1, 1), 80);
    CHECK_INT(s46_napt_outbound(t, &p, S46_TCP_SYN, 3000), S46_NAPT_OK);
    in = (s46_napt_flow){S46_NAPT_TCP, 0, 0, IP(1, 1, 1, 1), 80, p.ext_port};
    CHECK_INT(s46_napt_inbound(t, &in, S46_TCP_SYN | S46_TCP_ACK, 3000), S46_NAPT_OK);
    CHECK_INT(s46_napt_inbound(t, &in, S46_TCP_RST, 3001), S46_NAPT_OK);
    CHECK(!s46_napt_lookup_ext(t, S46_NAPT_TCP, p.ext_port, &ia, &ip, 3001 + 240));
    s46_napt_free(t);
}

TEST(napt_icmp_identifier_is_a_port)
{
    s46_napt *t = mk(4, 12, 0x234, S46_NAPT_FILTER_ADF);
    s46_napt_flow o = flow(S46_NAPT_ICMP, IP(10, 0, 0, 5), 0x1234, IP(8, 8, 8, 8), 0);
    CHECK_INT(s46_napt_outbound(t, &o, 0, 0), S46_NAPT_OK);
    CHECK(s46_port_in_set(4, 12, 0x234, o.ext_port));
    s46_napt_flow in = {S46_NAPT_ICMP, 0, 0, IP(8, 8, 8, 8), 0, o.ext_port};
    CHECK_INT(s46_napt_inbound(t, &in, 0, 59), S46_NAPT_OK);
    CHECK_INT(in.int_port, 0x1234);
    CHECK_INT(s46_napt_inbound(t, &in, 0, 60), S46_NAPT_NOT_FOUND);
    s46_napt_free(t);
}

TEST(napt_reset_flushes_and_applies_new_set)
{
    s46_napt *t = mk(6, 8, 0x34, S46_NAPT_FILTER_ADF);
    s46_napt_flow o = flow(S46_NAPT_UDP, IP(10, 0, 0, 1), 1000, IP(1, 1, 1, 1), 1);
    CHECK_INT(s46_napt_outbound(t, &o, 0, 0), S46_NAPT_OK);
    uint16_t old = o.ext_port, ep;
    s46_napt_reset(t, IP(192, 0, 2, 99), 6, 8, 0x35);
    CHECK(!s46_napt_lookup_int(t, S46_NAPT_UDP, IP(10, 0, 0, 1), 1000, &ep, 1));
    CHECK_INT(s46_napt_outbound(t, &o, 0, 1), S46_NAPT_OK);
    CHECK(o.ext_port != old);
    CHECK(s46_port_in_set(6, 8, 0x35, o.ext_port));
    s46_napt_free(t);
}

TEST(napt_full_address_uses_whole_space_and_memory_bound)
{
    /* psid_len 0: every port but 0, each internal port kept in its class
     * (1-1023 or 1024-65535, RFC 4787 REQ-3), until that class is full. */
    s46_napt_config c;
    s46_napt_config_default(&c);
    c.max_mappings = 65536;
    c.max_sessions = 65536;
    s46_napt *t = s46_napt_new(&c);
    CHECK(t);
    int high = 0, wrong_class = 0;
    for (uint32_t i = 0; i < 65536 - 1024; i++) {
        s46_napt_flow f = flow(S46_NAPT_UDP, IP(10, 0, (i >> 8) & 0xff, i & 0xff),
                               (uint16_t)(1024 + (i % 60000)), IP(1, 1, 1, 1), 9);
        CHECK_INT(s46_napt_outbound(t, &f, 0, 0), S46_NAPT_OK);
        wrong_class += f.ext_port < 1024;
        high += f.ext_port >= 32768;
    }
    CHECK_INT(wrong_class, 0);
    CHECK(high > 30000);
    s46_napt_flow f = flow(S46_NAPT_UDP, IP(10, 9, 9, 9), 50000, IP(1, 1, 1, 1), 9);
    CHECK_INT(s46_napt_outbound(t, &f, 0, 1), S46_NAPT_NO_PORT);
    for (uint32_t i = 0; i < 1023; i++) {
        s46_napt_flow g = flow(S46_NAPT_UDP, IP(10, 1, (i >> 8) & 0xff, i & 0xff),
                               (uint16_t)(1 + (i % 1023)), IP(1, 1, 1, 1), 9);
        CHECK_INT(s46_napt_outbound(t, &g, 0, 0), S46_NAPT_OK);
        wrong_class += g.ext_port == 0 || g.ext_port >= 1024;
    }
    CHECK_INT(wrong_class, 0);
    f = flow(S46_NAPT_UDP, IP(10, 9, 9, 9), 7, IP(1, 1, 1, 1), 9);
    CHECK_INT(s46_napt_outbound(t, &f, 0, 1), S46_NAPT_NO_PORT);
    s46_napt_stats st;
    s46_napt_stats_get(t, &st);
    CHECK_INT(st.ports_total, 65536);
    CHECK_INT(st.ports_used[S46_NAPT_UDP], 65535);
    CHECK(st.bytes_per_mapping + st.bytes_per_session <= 64);
    s46_napt_free(t);
}

/* Random operations against a simple model of which ports are in use. */
TEST(napt_random_ops_keep_invariants)
{
    s46_napt_config c;
    s46_napt_config_default(&c);
    c.psid_offset = 4;
    c.psid_len = 8;
    c.psid = 0x11;
    c.max_mappings = 300;
    c.max_sessions = 600;
    s46_napt *t = s46_napt_new(&c);
    uint64_t x = 88172645463325252ULL;
    uint32_t now = 0;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        now += (uint32_t)(x % 3);
        uint8_t proto = (uint8_t)(x >> 8) % 3;
        s46_napt_flow f = flow(proto, IP(10, 0, 0, (x >> 16) % 8), (uint16_t)(1000 + (x >> 24) % 64),
                               IP(1, 1, 1, (x >> 32) % 4), (uint16_t)((x >> 40) % 4));
        if ((x >> 50) % 4) {
            s46_napt_result r = s46_napt_outbound(t, &f, (uint8_t)(x >> 56) & 0x17, now);
            CHECK(r == S46_NAPT_OK || r == S46_NAPT_NO_PORT || r == S46_NAPT_NO_SESSION ||
                  r == S46_NAPT_NO_MAPPING);
            if (r == S46_NAPT_OK)
                CHECK(s46_port_in_set(4, 8, 0x11, f.ext_port));
        } else {
            f.ext_port = s46_portset_nth(4, 8, 0x11, (uint32_t)(x >> 20) % 240);
            (void)s46_napt_inbound(t, &f, (uint8_t)(x >> 56) & 0x17, now);
        }
        if (i % 1000 == 0)
            s46_napt_expire(t, now, 50);
    }
    s46_napt_stats st;
    s46_napt_stats_get(t, &st);
    CHECK(st.mappings <= 300 && st.sessions <= 600);
    CHECK(st.sessions >= st.mappings);
    CHECK_INT(st.ports_used[0] + st.ports_used[1] + st.ports_used[2], st.mappings);
    s46_napt_expire(t, now + 100000, 1u << 20);
    s46_napt_stats_get(t, &st);
    CHECK_INT(st.mappings, 0);
    CHECK_INT(st.sessions, 0);
    s46_napt_free(t);
}

/* A policy change (SIGHUP) applies to the running table, and a UDP timeout
 * below the RFC 4787 REQ-5 minimum is raised to 120 s there too. */
TEST(napt_set_policy_keeps_udp_minimum)
{
    s46_napt *t = mk(6, 8, 1, S46_NAPT_FILTER_ADF);
    CHECK(t);
    s46_napt_config c;
    s46_napt_config_default(&c);
    c.filter = S46_NAPT_FILTER_EIF;
    c.udp_timeout = 30;
    s46_napt_set_policy(t, &c);
    s46_napt_flow o = flow(S46_NAPT_UDP, IP(10, 0, 0, 1), 1234, IP(1, 1, 1, 1), 5000);
    CHECK_INT(s46_napt_outbound(t, &o, 0, 0), S46_NAPT_OK);
    uint32_t ia;
    uint16_t ip;
    CHECK(s46_napt_lookup_ext(t, S46_NAPT_UDP, o.ext_port, &ia, &ip, 119));
    CHECK(!s46_napt_lookup_ext(t, S46_NAPT_UDP, o.ext_port, &ia, &ip, 120));
    /* endpoint-independent filtering now: another remote gets in */
    s46_napt_flow o2 = flow(S46_NAPT_UDP, IP(10, 0, 0, 2), 1234, IP(1, 1, 1, 1), 5000);
    CHECK_INT(s46_napt_outbound(t, &o2, 0, 200), S46_NAPT_OK);
    s46_napt_flow in = {S46_NAPT_UDP, 0, 0, IP(9, 9, 9, 9), 7, o2.ext_port};
    CHECK_INT(s46_napt_inbound(t, &in, 0, 201), S46_NAPT_OK);
    s46_napt_free(t);
}

T_MAIN(T_CASE(napt_set_policy_keeps_udp_minimum), T_CASE(napt_15_port_world_uses_every_port_then_refuses),
       T_CASE(napt_spreads_over_all_ranges), T_CASE(napt_endpoint_independent_mapping_and_parity),
       T_CASE(napt_filtering_adf_and_eif), T_CASE(napt_udp_timers), T_CASE(napt_tcp_state_timers),
       T_CASE(napt_icmp_identifier_is_a_port), T_CASE(napt_reset_flushes_and_applies_new_set),
       T_CASE(napt_full_address_uses_whole_space_and_memory_bound),
       T_CASE(napt_random_ops_keep_invariants))
