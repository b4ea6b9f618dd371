/* Property tests over many random valid rules (fixed seed, reproducible):
 * port sets partition the port space, forward then reverse returns the same
 * CE, both IID layouts decode back, nth() enumerates the ranges, and rule-set
 * lookups agree with a brute-force longest match. */
#include "lib/maprule.h"
#include "lib/ruleset.h"
#include "t.h"

static uint64_t rng = 0x2545f4914f6cdd1dULL;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}
static unsigned below(unsigned n) { return n ? (unsigned)(next() % n) : 0; }

/* A random valid EA-bits rule (no explicit PSID). */
static void random_rule(s46_maprule *r)
{
    for (;;) {
        memset(r, 0, sizeof *r);
        r->ipv6.len = (uint8_t)(16 + below(49));        /* 16..64 */
        r->ipv4.len = (uint8_t)below(33);               /* 0..32 */
        r->ea_len = (uint8_t)below(49);
        r->psid_offset = (uint8_t)below(16);
        for (int i = 0; i < 16; i++)
            r->ipv6.addr.b[i] = (uint8_t)next();
        s46_ip6_mask(&r->ipv6.addr, r->ipv6.len);
        r->ipv4.addr = (uint32_t)next() & s46_mask4(r->ipv4.len);
        if (s46_maprule_validate(r, NULL, 0) == 0 && r->ipv6.len + r->ea_len <= 128)
            return;
    }
}

static void random_eu(const s46_maprule *r, s46_pfx6 *eu)
{
    unsigned min = r->ipv6.len + r->ea_len;
    eu->len = (uint8_t)(min + below(min < 64 ? 64 - min + 1 : 1));
    eu->addr = r->ipv6.addr;
    for (unsigned b = r->ipv6.len; b < eu->len; b++)
        s46_ip6_set_bits(&eu->addr, b, 1, next() & 1);
}

TEST(prop_port_sets_partition_the_port_space)
{
    static uint16_t owner[65536];
    for (unsigned a = 0; a <= 15; a++) {
        for (unsigned k = 1; a + k <= 16 && k <= 12; k++) {
            memset(owner, 0xff, sizeof owner);
            uint32_t total = 0;
            for (uint32_t psid = 0; psid < (1u << k); psid++) {
                uint32_t n = s46_portset_count(a, k);
                total += n;
                for (uint32_t i = 0; i < n; i++) {
                    uint16_t port = s46_portset_nth(a, k, (uint16_t)psid, i);
                    CHECK(owner[port] == 0xffff);
                    owner[port] = (uint16_t)psid;
                    CHECK_INT(s46_port_psid(a, k, port), psid);
                }
            }
            uint32_t excluded = a ? 1u << (16 - a) : 0;
            CHECK_INT(total, 65536 - excluded);
            for (uint32_t port = 0; port < 65536; port++) {
                bool ex = port < excluded;
                CHECK(ex == (owner[port] == 0xffff));
                CHECK(ex == (s46_port_psid(a, k, (uint16_t)port) < 0));
            }
        }
    }
}

TEST(prop_nth_enumerates_the_ranges)
{
    for (int it = 0; it < 3000; it++) {
        unsigned k = 1 + below(16), a = below(17 - k);
        uint16_t psid = (uint16_t)below(1u << k);
        uint32_t nr = s46_portset_range_count(a, k);
        s46_port_range *rg = malloc(nr * sizeof *rg);
        CHECK(rg);
        CHECK_INT(s46_portset_ranges(a, k, psid, rg, nr), nr);
        uint32_t i = 0;
        int bad = 0;
        for (uint32_t x = 0; x < nr && !bad; x++)
            for (uint32_t port = rg[x].first; port <= rg[x].last; port++, i++)
                if (s46_portset_nth(a, k, psid, i) != port || !s46_port_in_set(a, k, psid, (uint16_t)port))
                    bad = 1;
        free(rg);
        CHECK(!bad);
        CHECK_INT(i, s46_portset_count(a, k));
    }
}

TEST(prop_forward_reverse_and_iid_round_trip)
{
    char e[S46_ERRLEN];
    for (int it = 0; it < 20000; it++) {
        s46_maprule r;
        s46_pfx6 eu;
        s46_ce_params p, q, back;
        random_rule(&r);
        random_eu(&r, &eu);
        s46_iid_layout l = it & 1 ? S46_IID_DRAFT03 : S46_IID_RFC7597;
        if (s46_maprule_derive(&r, &eu, l, &p, e, sizeof e) != 0) {
            printf("FAIL %s: derive: %s\n", t_name_, e);
            *t_failed_ = 1;
            return;
        }
        /* the IID decodes back (when the prefix does not overwrite it) */
        if (eu.len <= 64) {
            uint32_t v4;
            uint16_t psid;
            s46_iid_decode(&p.map_addr, l, &v4, &psid);
            CHECK_INT(v4, p.ipv4);
            CHECK_INT(psid, p.psid);
        }
        /* reverse with a random port of the set gives the /(n+o) back */
        uint32_t n = s46_portset_count(p.psid_offset, p.psid_len);
        uint16_t port = s46_portset_nth(p.psid_offset, p.psid_len, p.psid, below(n));
        uint32_t host = p.ipv4 | (p.ipv4_len < 32 ? (uint32_t)next() & ~s46_mask4(p.ipv4_len) : 0);
        if (s46_maprule_reverse(&r, host, port, l, &back, e, sizeof e) != 0) {
            printf("FAIL %s: reverse: %s\n", t_name_, e);
            *t_failed_ = 1;
            return;
        }
        s46_pfx6 want = eu;
        want.len = (uint8_t)(r.ipv6.len + r.ea_len);
        s46_ip6_mask(&want.addr, want.len);
        CHECK_INT(back.eu_prefix.len, want.len);
        CHECK(s46_ip6_eq(&back.eu_prefix.addr, &want.addr));
        CHECK_INT(back.ipv4, p.ipv4);
        CHECK_INT(back.psid, p.psid);
        /* same CE address when the End-user prefix is exactly n + o long */
        if (eu.len == want.len) {
            s46_maprule_derive(&r, &eu, l, &q, e, sizeof e);
            CHECK(s46_ip6_eq(&q.map_addr, &back.map_addr));
        }
    }
}

/* The data-plane fast paths agree with the reference derivation. */
TEST(prop_fast_paths_match_reference)
{
    char e[S46_ERRLEN];
    for (int it = 0; it < 20000; it++) {
        s46_maprule r;
        s46_pfx6 eu;
        s46_ce_params p, back;
        s46_rule_shape sh;
        random_rule(&r);
        random_eu(&r, &eu);
        eu.len = (uint8_t)(r.ipv6.len + r.ea_len); /* the CE's own /(n+o) */
        s46_ip6_mask(&eu.addr, eu.len);
        s46_maprule_shape(&r, &sh);
        s46_iid_layout l = it & 1 ? S46_IID_DRAFT03 : S46_IID_RFC7597;
        CHECK_INT(s46_maprule_derive(&r, &eu, l, &p, e, sizeof e), 0);
        uint32_t n = s46_portset_count(p.psid_offset, p.psid_len);
        uint16_t port = s46_portset_nth(p.psid_offset, p.psid_len, p.psid, below(n));
        uint32_t host = p.ipv4 | (p.ipv4_len < 32 ? (uint32_t)next() & ~s46_mask4(p.ipv4_len) : 0);
        s46_ip6 fast;
        CHECK(s46_map_ce_addr(&r, &sh, host, port, l, &fast));
        CHECK_INT(s46_maprule_reverse(&r, host, port, l, &back, e, sizeof e), 0);
        CHECK(s46_ip6_eq(&fast, &back.map_addr));
        uint32_t v4;
        uint8_t v4len;
        uint16_t psid;
        CHECK(s46_map_check_src(&r, &sh, &p.map_addr, l, &v4, &v4len, &psid));
        CHECK_INT(v4, p.ipv4);
        CHECK_INT(v4len, p.ipv4_len);
        CHECK_INT(psid, p.psid);
        /* one flipped bit of the interface identifier is not a MAP address */
        s46_ip6 bad = p.map_addr;
        unsigned bit = 64 + below(64);
        if (bit >= eu.len) {
            bad.b[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
            CHECK(!s46_map_check_src(&r, &sh, &bad, l, &v4, &v4len, &psid));
        }
        /* nor is one with a bit of the subnet ID (between n + o and 64) set */
        if (eu.len < 64) {
            bad = p.map_addr;
            bit = eu.len + below(64 - eu.len);
            bad.b[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
            CHECK(!s46_map_check_src(&r, &sh, &bad, l, &v4, &v4len, &psid));
        }
        /* an excluded port has no CE */
        if (p.psid_len && p.psid_offset)
            CHECK(!s46_map_ce_addr(&r, &sh, host, (uint16_t)below(1u << (16 - p.psid_offset)), l, &fast));
    }
}

/* Rule sets: lookups agree with a brute-force longest match. */
TEST(prop_ruleset_lookups_match_brute_force)
{
    enum { N = 3000 };
    static s46_maprule rules[N];
    char e[S46_ERRLEN];
    size_t n = 0;
    while (n < N) {
        s46_maprule r;
        random_rule(&r);
        /* keep IPv6 and IPv4 prefixes in small spaces so they overlap */
        r.ipv6.addr.b[0] = 0x20;
        r.ipv6.addr.b[1] = 0x01;
        r.ipv4.addr = (r.ipv4.addr & 0x00ffffff) | 0x0a000000;
        r.ipv4.addr &= s46_mask4(r.ipv4.len);
        if (r.ipv4.len < 8 || r.ipv6.len < 16)
            continue;
        s46_ip6_mask(&r.ipv6.addr, r.ipv6.len);
        int dup = 0;
        for (size_t j = 0; j < n && !dup; j++)
            dup = (rules[j].ipv6.len == r.ipv6.len && s46_ip6_eq(&rules[j].ipv6.addr, &r.ipv6.addr)) ||
                  (rules[j].ipv4.len == r.ipv4.len && rules[j].ipv4.addr == r.ipv4.addr);
        if (!dup)
            rules[n++] = r;
    }
    s46_ruleset *rs = s46_ruleset_new(rules, n, e, sizeof e);
    CHECK(rs);
    for (int it = 0; it < 20000; it++) {
        const s46_maprule *src = &rules[below(N)];
        s46_ip6 a = src->ipv6.addr;
        for (unsigned b = src->ipv6.len; b < 128; b++)
            s46_ip6_set_bits(&a, b, 1, next() & 1);
        if (it & 1)
            for (unsigned b = 16 + below(100); b < 128; b++)
                s46_ip6_set_bits(&a, b, 1, next() & 1);
        int best = -1;
        for (size_t j = 0; j < n; j++)
            if (s46_pfx6_contains(&rules[j].ipv6, &a) && (best < 0 || rules[j].ipv6.len > rules[best].ipv6.len))
                best = (int)j;
        const s46_maprule *got = s46_ruleset_match6(rs, &a);
        CHECK(best < 0 ? got == NULL : got != NULL && s46_ruleset_index(rs, got) == (size_t)best);
        /* the bits past the longest rule prefix do not change the answer */
        s46_ip6 a2 = a;
        for (unsigned b = s46_ruleset_longest6(rs); b < 128; b++)
            s46_ip6_set_bits(&a2, b, 1, next() & 1);
        CHECK(s46_ruleset_match6(rs, &a2) == got);

        uint32_t v4 = (src->ipv4.addr | ((uint32_t)next() & ~s46_mask4(src->ipv4.len)));
        if (it & 1)
            v4 = 0x0a000000 | ((uint32_t)next() & 0xffffff);
        if (it % 4 == 3) /* anywhere, mostly outside every rule */
            v4 = (uint32_t)next() ^ (uint32_t)next() << 16;
        best = -1;
        for (size_t j = 0; j < n; j++)
            if (s46_pfx4_contains(&rules[j].ipv4, v4) && (best < 0 || rules[j].ipv4.len > rules[best].ipv4.len))
                best = (int)j;
        got = s46_ruleset_match4(rs, v4, (uint16_t)next());
        CHECK(best < 0 ? got == NULL : got != NULL && s46_ruleset_index(rs, got) == (size_t)best);
        CHECK(s46_ruleset_covers4(rs, v4) == (best >= 0));
        /* no shared IPv4 prefixes here: neither the port nor the bits past
         * the longest rule prefix change the answer */
        CHECK(!s46_ruleset_shared4(rs));
        uint32_t v4b = v4 ^ ((uint32_t)next() & ~s46_mask4(s46_ruleset_longest4(rs)));
        CHECK(s46_ruleset_match4(rs, v4b, (uint16_t)next()) == got);
    }
    s46_ruleset_free(rs);
}

TEST(ruleset_rejects_ambiguous_rules)
{
    s46_maprule r[2];
    char e[S46_ERRLEN];
    memset(r, 0, sizeof r);
    s46_pfx6_parse("2001:db8::/40", &r[0].ipv6, NULL, 0);
    s46_pfx4_parse("192.0.2.0/24", &r[0].ipv4, NULL, 0);
    r[0].ea_len = 16;
    r[0].psid_offset = 6;
    r[1] = r[0];
    CHECK(s46_ruleset_new(r, 2, e, sizeof e) == NULL);
    CHECK(strstr(e, "same IPv6 prefix") != NULL);
    s46_pfx6_parse("2001:db9::/40", &r[1].ipv6, NULL, 0);
    CHECK(s46_ruleset_new(r, 2, e, sizeof e) == NULL);
    CHECK(strstr(e, "same IPv4 prefix") != NULL);
    r[1].ea_len = 49;
    CHECK(s46_ruleset_new(r, 2, e, sizeof e) == NULL);
    CHECK(strstr(e, "rule 1: ea_length 49") != NULL);
    /* explicit-PSID rules may share one IPv4 address */
    memset(r, 0, sizeof r);
    for (int i = 0; i < 2; i++) {
        s46_pfx6_parse(i ? "2001:db8:0:2::/64" : "2001:db8:0:1::/64", &r[i].ipv6, NULL, 0);
        s46_pfx4_parse("192.0.2.1/32", &r[i].ipv4, NULL, 0);
        r[i].explicit_psid = true;
        r[i].psid_len = 6;
        r[i].psid = (uint16_t)(i + 4);
    }
    s46_ruleset *rs = s46_ruleset_new(r, 2, e, sizeof e);
    CHECK(rs);
    CHECK(s46_ruleset_match4(rs, 0xc0000201, 4 * 1024 + 7) == s46_ruleset_get(rs, 0));
    CHECK(s46_ruleset_match4(rs, 0xc0000201, 5 * 1024 + 7) == s46_ruleset_get(rs, 1));
    CHECK(s46_ruleset_match4(rs, 0xc0000201, 6 * 1024) == NULL);
    CHECK(s46_ruleset_shared4(rs));
    s46_ruleset_free(rs);
    /* ... but not with the same PSID (both would own the same ports) */
    r[1].psid = r[0].psid;
    CHECK(s46_ruleset_new(r, 2, e, sizeof e) == NULL);
    CHECK(strstr(e, "overlapping ports") != NULL);
}

T_MAIN(T_CASE(prop_port_sets_partition_the_port_space), T_CASE(prop_nth_enumerates_the_ranges),
       T_CASE(prop_forward_reverse_and_iid_round_trip), T_CASE(prop_fast_paths_match_reference),
       T_CASE(prop_ruleset_lookups_match_brute_force), T_CASE(ruleset_rejects_ambiguous_rules))
