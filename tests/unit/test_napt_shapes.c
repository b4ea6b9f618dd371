/* NAPT44 table over every port-set shape (PSID offsets 0, 4, 6; lengths 0,
 * 1, 8, 15; psid_len 0 is a full address) with 1, 2 and 3 shares: which
 * ports each share hands out, that inbound replies find their mappings,
 * the port class rule, and when a table is full. Also the owner function
 * and the expiry sweep. */
#include "lib/maprule.h"
#include "lib/napt.h"
#include "t.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))
#define REM IP(198, 51, 100, 7)

static const unsigned offsets[] = {0, 4, 6}, lengths[] = {0, 1, 8, 15};

/* PSIDs tried for a length: the first, the second, one inside, the last. */
static unsigned psids_for(unsigned k, uint16_t out[4])
{
    if (k == 0) {
        out[0] = 0;
        return 1;
    }
    uint16_t last = (uint16_t)((1u << k) - 1);
    out[0] = 0;
    out[1] = 1;
    out[2] = (uint16_t)(0x1234 & last);
    out[3] = last;
    return 4;
}

static s46_napt *mk(unsigned a, unsigned k, uint16_t psid, unsigned share, unsigned shares)
{
    s46_napt_config c;
    s46_napt_config_default(&c);
    c.ext_addr = IP(203, 0, 113, 1);
    c.psid_offset = (uint8_t)a;
    c.psid_len = (uint8_t)k;
    c.psid = psid;
    c.max_mappings = 65536;
    c.max_sessions = 65536;
    c.share = (uint16_t)share;
    c.shares = (uint16_t)shares;
    c.filter = S46_NAPT_FILTER_ADF;
    return s46_napt_new(&c);
}

/* Class of a port under the rule: with the whole port space (psid_len 0)
 * 1-1023 and 1024-65535 are kept apart; a MAP port set is one class. */
static int cls(unsigned k, uint16_t port) { return k == 0 && port < 1024 ? 0 : 1; }

/* Internal endpoint number i of class c: distinct for every i. */
static uint32_t int_addr(uint32_t i) { return IP(10, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff); }
static uint16_t int_port(int c, uint32_t i)
{
    return c == 0 ? (uint16_t)(1 + i % 1023) : (uint16_t)(1024 + i % 64512);
}

/* Outbound flows of class c on t until it refuses one; checks each port
 * and records it in got[] (how many tables handed it out). Returns the
 * number of mappings made, or -1 on a failed check. */
static long fill_class(s46_napt *t, unsigned a, unsigned k, uint16_t psid, unsigned share,
                       unsigned shares, int c, uint8_t proto, uint8_t *got, uint32_t *ext_of,
                       uint32_t base)
{
    for (uint32_t i = 0;; i++) {
        s46_napt_flow f = {proto, int_addr(base + i), int_port(c, i), REM, 53, 0};
        s46_napt_result r = s46_napt_outbound(t, &f, S46_TCP_SYN, 10);
        if (r == S46_NAPT_NO_PORT)
            return i;
        if (r != S46_NAPT_OK || f.ext_port == 0 || !s46_port_in_set(a, k, psid, f.ext_port) ||
            s46_napt_port_owner(f.ext_port, shares) != share || cls(k, f.ext_port) != c ||
            got[f.ext_port] != 0) {
            printf("  flow %u of class %d: result %d, port %u (owner %u of %u, seen %u)\n", i,
                   c, r, f.ext_port, s46_napt_port_owner(f.ext_port, shares), shares,
                   got[f.ext_port]);
            return -1;
        }
        got[f.ext_port]++;
        ext_of[base + i] = f.ext_port;
        if (i > 65536)
            return -1;
    }
}

/* For each shape and each number of shares: every share's table hands out
 * only ports of its share, inside the set and in the internal port's
 * class; refuses the next flow exactly when its share of the class is
 * used up; replies find every mapping; and over the shares every port of
 * the set (but 0) is handed out exactly once, the shares' counts within 2. */
static int sweep(unsigned shares, uint8_t proto)
{
    static uint8_t got[65536];
    static uint32_t ext_of[2 * 65536];
    for (unsigned ai = 0; ai < 3; ai++)
        for (unsigned ki = 0; ki < 4; ki++) {
            unsigned a = offsets[ai], k = lengths[ki];
            if (a + k > 16)
                continue;
            uint16_t psids[4];
            unsigned np = psids_for(k, psids);
            for (unsigned pi = 0; pi < np; pi++) {
                uint16_t psid = psids[pi];
                memset(got, 0, sizeof got);
                long per_share[3][2] = {{0}};
                for (unsigned sh = 0; sh < shares; sh++) {
                    s46_napt *t = mk(a, k, psid, sh, shares);
                    if (!t)
                        return printf("  a %u k %u: no table\n", a, k), 0;
                    /* Ports this share owns, per class, counted here. */
                    long want[2] = {0, 0};
                    for (uint32_t p = 1; p < 65536; p++)
                        if (s46_port_in_set(a, k, psid, (uint16_t)p) &&
                            s46_napt_port_owner((uint16_t)p, shares) == sh)
                            want[cls(k, (uint16_t)p)]++;
                    s46_napt_stats st;
                    s46_napt_stats_get(t, &st);
                    long made[2];
                    for (int c = 1; c >= 0; c--) {
                        made[c] = fill_class(t, a, k, psid, sh, shares, c, proto, got, ext_of,
                                             (uint32_t)c * 65536);
                        if (made[c] != want[c]) {
                            printf("  a %u k %u psid %u share %u/%u class %d: %ld mappings, "
                                   "%ld ports owned\n",
                                   a, k, psid, sh, shares, c, made[c], want[c]);
                            s46_napt_free(t);
                            return 0;
                        }
                        per_share[sh][c] = made[c];
                    }
                    s46_napt_stats_get(t, &st);
                    if (st.ports_owned != want[0] + want[1] ||
                        st.ports_used[proto] != want[0] + want[1]) {
                        printf("  a %u k %u share %u/%u: stats owned %u used %u, want %ld\n", a,
                               k, sh, shares, st.ports_owned, st.ports_used[proto],
                               want[0] + want[1]);
                        s46_napt_free(t);
                        return 0;
                    }
                    /* Replies find every mapping. */
                    for (int c = 0; c < 2; c++)
                        for (long i = 0; i < made[c]; i++) {
                            uint32_t n = (uint32_t)c * 65536 + (uint32_t)i;
                            s46_napt_flow in = {proto, 0, 0, REM, 53, (uint16_t)ext_of[n]};
                            if (s46_napt_inbound(t, &in, S46_TCP_SYN | S46_TCP_ACK, 11) !=
                                    S46_NAPT_OK ||
                                in.int_addr != int_addr(n) ||
                                in.int_port != int_port(c, (uint32_t)i)) {
                                printf("  a %u k %u share %u/%u: reply to %u not found\n", a,
                                       k, sh, shares, ext_of[n]);
                                s46_napt_free(t);
                                return 0;
                            }
                        }
                    s46_napt_free(t);
                }
                /* The union: every port of the set once, nothing else. */
                for (uint32_t p = 0; p < 65536; p++) {
                    unsigned expect = p != 0 && s46_port_in_set(a, k, psid, (uint16_t)p);
                    if (got[p] != expect) {
                        printf("  a %u k %u psid %u shares %u: port %u handed out %u times\n", a,
                               k, psid, shares, p, got[p]);
                        return 0;
                    }
                }
                for (int c = 0; c < 2; c++) {
                    long lo = per_share[0][c], hi = lo;
                    for (unsigned sh = 1; sh < shares; sh++) {
                        lo = per_share[sh][c] < lo ? per_share[sh][c] : lo;
                        hi = per_share[sh][c] > hi ? per_share[sh][c] : hi;
                    }
                    if (hi - lo > 2) {
                        printf("  a %u k %u psid %u shares %u class %d: %ld to %ld ports\n", a,
                               k, psid, shares, c, lo, hi);
                        return 0;
                    }
                }
            }
        }
    return 1;
}

TEST(napt_shapes_one_share_every_port_usable_in_its_class)
{
    CHECK(sweep(1, S46_NAPT_UDP));
}

TEST(napt_shapes_two_shares_partition_the_set)
{
    CHECK(sweep(2, S46_NAPT_UDP));
}

TEST(napt_shapes_three_shares_partition_the_set)
{
    CHECK(sweep(3, S46_NAPT_UDP));
}

TEST(napt_shapes_shares_tcp_and_icmp_identifiers)
{
    /* TCP ports and ICMP identifiers follow the same shares (one shape
     * each, the sweep above does UDP everywhere). */
    CHECK(sweep(3, S46_NAPT_TCP));
    for (unsigned sh = 0; sh < 2; sh++) {
        s46_napt *t = mk(6, 8, 0x34, sh, 2);
        CHECK(t);
        for (uint32_t i = 0; i < 100; i++) {
            s46_napt_flow o = {S46_NAPT_ICMP, IP(10, 0, 0, 5), (uint16_t)(0x1234 + i),
                               IP(8, 8, 8, 8), 0, 0};
            s46_napt_result r = s46_napt_outbound(t, &o, 0, 0);
            if (r == S46_NAPT_NO_PORT)
                break;
            CHECK_INT(r, S46_NAPT_OK);
            CHECK(s46_port_in_set(6, 8, 0x34, o.ext_port));
            CHECK_INT(s46_napt_port_owner(o.ext_port, 2), sh);
            s46_napt_flow in = {S46_NAPT_ICMP, 0, 0, IP(8, 8, 8, 8), 0, o.ext_port};
            CHECK_INT(s46_napt_inbound(t, &in, 0, 1), S46_NAPT_OK);
            CHECK_INT(in.int_port, 0x1234 + i);
        }
        s46_napt_free(t);
    }
}

/* Today's behaviour with one share, spelt out. */
TEST(napt_offset0_len8_every_reply_finds_its_mapping)
{
    uint16_t psids[4];
    unsigned np = psids_for(8, psids);
    for (unsigned pi = 0; pi < np; pi++) {
        s46_napt *t = mk(0, 8, psids[pi], 0, 1);
        CHECK(t);
        uint16_t ext[600];
        uint32_t n = 0;
        /* internal ports on both sides of 1024 */
        for (;; n++) {
            CHECK(n < 600);
            s46_napt_flow o = {S46_NAPT_UDP, IP(192, 168, 1, 2), (uint16_t)(500 + 7 * n), REM,
                               4000, 0};
            s46_napt_result r = s46_napt_outbound(t, &o, 0, 5);
            if (r == S46_NAPT_NO_PORT)
                break;
            CHECK_INT(r, S46_NAPT_OK);
            CHECK(s46_port_in_set(0, 8, psids[pi], o.ext_port));
            ext[n] = o.ext_port;
        }
        CHECK_INT(n, psids[pi] == 0 ? 255 : 256);
        for (uint32_t i = 0; i < n; i++) {
            s46_napt_flow in = {S46_NAPT_UDP, 0, 0, REM, 4000, ext[i]};
            CHECK_INT(s46_napt_inbound(t, &in, 0, 6), S46_NAPT_OK);
            CHECK_INT(in.int_port, 500 + 7 * i);
        }
        s46_napt_free(t);
    }
}

TEST(napt_full_address_offset6_keeps_system_ports_for_system_ports)
{
    s46_napt *t = mk(6, 0, 0, 0, 1);
    CHECK(t);
    uint32_t n = 0;
    for (;; n++) {
        s46_napt_flow o = {S46_NAPT_TCP, int_addr(n), (uint16_t)(1024 + n % 64512), REM, 443, 0};
        s46_napt_result r = s46_napt_outbound(t, &o, S46_TCP_SYN, 5);
        if (r == S46_NAPT_NO_PORT)
            break;
        CHECK_INT(r, S46_NAPT_OK);
        CHECK(o.ext_port >= 1024);
    }
    CHECK_INT(n, 65536 - 1024);
    for (n = 0;; n++) {
        s46_napt_flow o = {S46_NAPT_TCP, int_addr(n), (uint16_t)(1 + n % 1023), REM, 443, 0};
        s46_napt_result r = s46_napt_outbound(t, &o, S46_TCP_SYN, 5);
        if (r == S46_NAPT_NO_PORT)
            break;
        CHECK_INT(r, S46_NAPT_OK);
        CHECK(o.ext_port >= 1 && o.ext_port < 1024);
    }
    CHECK_INT(n, 1023);
    s46_napt_free(t);
}

TEST(napt_port_owner_spreads_every_shape)
{
    /* In range, pairs together, and even over every PSID of the shapes. */
    for (unsigned s = 0; s <= 9; s++)
        for (uint32_t p = 0; p < 65536; p += 2) {
            unsigned o = s46_napt_port_owner((uint16_t)p, s);
            CHECK(o < (s ? s : 1));
            CHECK_INT(s46_napt_port_owner((uint16_t)(p + 1), s), o);
        }
    CHECK_INT(s46_napt_port_owner(12345, S46_NAPT_MAX_SHARES + 1), 0);
    static const unsigned shapes[][2] = {{0, 0}, {0, 1}, {0, 8}, {0, 15}, {4, 1}, {4, 8},
                                         {4, 12}, {6, 1}, {6, 8}, {6, 10}};
    for (unsigned s = 2; s <= 8; s++)
        for (unsigned h = 0; h < sizeof shapes / sizeof shapes[0]; h++) {
            unsigned a = shapes[h][0], k = shapes[h][1];
            for (uint32_t psid = 0; psid < (1u << k); psid++) {
                uint32_t cnt[2][8] = {{0}};
                for (uint32_t i = 0; i < s46_portset_count(a, k); i++) {
                    uint16_t p = s46_portset_nth(a, k, (uint16_t)psid, i);
                    if (p)
                        cnt[cls(k, p)][s46_napt_port_owner(p, s)]++;
                }
                for (int c = 0; c < 2; c++) {
                    uint32_t lo = cnt[c][0], hi = lo;
                    for (unsigned i = 1; i < s; i++) {
                        lo = cnt[c][i] < lo ? cnt[c][i] : lo;
                        hi = cnt[c][i] > hi ? cnt[c][i] : hi;
                    }
                    if (hi - lo > (s == 5 ? 4u : 2u))
                        printf("  shares %u a %u k %u psid %u: %u to %u\n", s, a, k, psid, lo,
                               hi);
                    CHECK(hi - lo <= (s == 5 ? 4u : 2u));
                }
            }
        }
}

TEST(napt_share_config_checked)
{
    CHECK(!mk(6, 8, 1, 2, 2));
    CHECK(!mk(6, 8, 1, 0, S46_NAPT_MAX_SHARES + 1));
    s46_napt *t = mk(6, 8, 1, 0, 0); /* shares 0: the whole set */
    CHECK(t);
    s46_napt_stats st;
    s46_napt_stats_get(t, &st);
    CHECK_INT(st.ports_owned, st.ports_total);
    s46_napt_free(t);
    /* a zeroed config (callers that predate shares) is the whole set too */
    s46_napt_config c;
    memset(&c, 0, sizeof c);
    c.max_mappings = c.max_sessions = 64;
    c.psid_offset = 4;
    c.psid_len = 12;
    t = s46_napt_new(&c);
    CHECK(t);
    s46_napt_stats_get(t, &st);
    CHECK_INT(st.ports_owned, 15);
    s46_napt_free(t);
}

/* Expiry: a flow refused for want of a port reclaims an expired mapping
 * wherever its session sits in the table, and the budget bounds a call. */
TEST(napt_expiry_reclaims_far_sessions_and_keeps_budget)
{
    s46_napt *t = mk(4, 12, 0x234, 0, 1); /* 15 ports */
    CHECK(t);
    /* 14 mappings with 4000 sessions each (300 s), then one DNS (30 s):
     * the DNS session is near the end of the session table. */
    for (uint32_t m = 0; m < 14; m++)
        for (uint32_t r = 0; r < 4000; r++) {
            s46_napt_flow o = {S46_NAPT_UDP, IP(10, 0, 0, 1), (uint16_t)(2000 + m),
                               IP(100, 64, r >> 8, r & 0xff), 5000, 0};
            CHECK_INT(s46_napt_outbound(t, &o, 0, 100), S46_NAPT_OK);
        }
    s46_napt_flow dns = {S46_NAPT_UDP, IP(10, 0, 0, 1), 3000, IP(9, 9, 9, 9), 53, 0};
    CHECK_INT(s46_napt_outbound(t, &dns, 0, 100), S46_NAPT_OK);
    s46_napt_flow nf = {S46_NAPT_UDP, IP(10, 0, 0, 2), 4000, IP(9, 9, 9, 9), 80, 0};
    CHECK_INT(s46_napt_outbound(t, &nf, 0, 129), S46_NAPT_NO_PORT);
    CHECK_INT(s46_napt_expire(t, 129, 1u << 20), 0);
    CHECK_INT(s46_napt_outbound(t, &nf, 0, 130), S46_NAPT_OK);
    CHECK_INT(nf.ext_port, dns.ext_port);
    s46_napt_stats st;
    s46_napt_stats_get(t, &st);
    CHECK_INT(st.sessions, 14 * 4000 + 1);
    /* At 400 every one of the 300 s sessions is due: a call frees at most
     * its budget, and calls go on until all are gone. */
    uint32_t total = 0, calls = 0, f;
    while ((f = s46_napt_expire(t, 400, 1000)) > 0) {
        CHECK(f <= 1000);
        total += f;
        calls++;
    }
    CHECK_INT(total, 14 * 4000);
    CHECK(calls >= 56);
    s46_napt_stats_get(t, &st);
    CHECK_INT(st.sessions, 1); /* the new flow's, due at 430 */
    CHECK_INT(s46_napt_expire(t, 429, 1u << 20), 0);
    CHECK_INT(s46_napt_expire(t, 430, 1u << 20), 1);
    s46_napt_stats_get(t, &st);
    CHECK_INT(st.mappings, 0);
    CHECK_INT(st.ports_used[S46_NAPT_UDP], 0);
    s46_napt_free(t);
}

T_MAIN(T_CASE(napt_shapes_one_share_every_port_usable_in_its_class),
       T_CASE(napt_shapes_two_shares_partition_the_set),
       T_CASE(napt_shapes_three_shares_partition_the_set),
       T_CASE(napt_shapes_shares_tcp_and_icmp_identifiers),
       T_CASE(napt_offset0_len8_every_reply_finds_its_mapping),
       T_CASE(napt_full_address_offset6_keeps_system_ports_for_system_ports),
       T_CASE(napt_port_owner_spreads_every_shape), T_CASE(napt_share_config_checked),
       T_CASE(napt_expiry_reclaims_far_sessions_and_keeps_budget))
