/* Every worked vector of docs/vectors.md (RFC 7597 Appendix A and B,
 * own vectors V1-V8), in both interface-identifier layouts, plus the defects
 * other calculators have, turned into checks that we get right. */
#include "lib/maprule.h"
#include "lib/ruleset.h"
#include "t.h"

static s46_maprule rule(const char *v6, const char *v4, unsigned ea, unsigned a)
{
    s46_maprule r;
    memset(&r, 0, sizeof r);
    if (s46_pfx6_parse(v6, &r.ipv6, NULL, 0) || s46_pfx4_parse(v4, &r.ipv4, NULL, 0))
        abort();
    r.ea_len = (uint8_t)ea;
    r.psid_offset = (uint8_t)a;
    return r;
}

static s46_pfx6 pfx(const char *s)
{
    s46_pfx6 p;
    if (s46_pfx6_parse(s, &p, NULL, 0))
        abort();
    return p;
}

static uint32_t ip4(const char *s)
{
    uint32_t a;
    if (s46_ip4_parse(s, &a))
        abort();
    return a;
}

static const char *fmt6(const s46_ip6 *a)
{
    static char b[4][S46_IP6_STRLEN];
    static int i;
    return s46_ip6_format(a, b[i++ & 3]);
}

/* Derives and checks everything of one summary-table row. */
struct row {
    const char *v6, *v4;
    unsigned ea, a;
    const char *eu, *ipv4;
    unsigned ipv4_len, psid, psid_len;
    unsigned first_lo, first_hi, last_lo, last_hi, count;
    const char *rfc, *legacy;
};

static int check_row(const struct row *w, char *why, size_t n)
{
    s46_maprule r = rule(w->v6, w->v4, w->ea, w->a);
    s46_pfx6 eu = pfx(w->eu);
    s46_ce_params p, q;
    char e[S46_ERRLEN], b[S46_IP4_STRLEN];
    if (s46_maprule_validate(&r, e, sizeof e) || s46_maprule_derive(&r, &eu, S46_IID_RFC7597, &p, e, sizeof e) ||
        s46_maprule_derive(&r, &eu, S46_IID_DRAFT03, &q, e, sizeof e)) {
        snprintf(why, n, "%s: %s", w->eu, e);
        return -1;
    }
    s46_port_range rg[64];
    uint32_t nr = s46_portset_ranges(p.psid_offset, p.psid_len, p.psid, rg, 64);
    if (strcmp(s46_ip4_format(p.ipv4, b), w->ipv4) || p.ipv4_len != w->ipv4_len ||
        p.psid != w->psid || p.psid_len != w->psid_len ||
        rg[0].first != w->first_lo || rg[0].last != w->first_hi ||
        (nr <= 64 && (rg[nr - 1].first != w->last_lo || rg[nr - 1].last != w->last_hi)) ||
        s46_portset_count(p.psid_offset, p.psid_len) != w->count ||
        strcmp(fmt6(&p.map_addr), w->rfc) || strcmp(fmt6(&q.map_addr), w->legacy)) {
        snprintf(why, n, "%s: got %s/%u psid %u/%u ports %u-%u..%u-%u (%u) %s %s", w->eu,
                 s46_ip4_format(p.ipv4, b), p.ipv4_len, p.psid, p.psid_len, rg[0].first,
                 rg[0].last, rg[nr - 1].first, rg[nr - 1].last,
                 s46_portset_count(p.psid_offset, p.psid_len), fmt6(&p.map_addr),
                 fmt6(&q.map_addr));
        return -1;
    }
    return 0;
}

/* docs/vectors.md, summary table, row by row. */
TEST(vectors_summary_table)
{
    static const struct row rows[] = {
        {"2001:db8::/40", "192.0.2.0/24", 16, 6, "2001:db8:12:3400::/56", "192.0.2.18", 32,
         0x34, 8, 1232, 1235, 64720, 64723, 252, "2001:db8:12:3400:0:c000:212:34",
         "2001:db8:12:3400:c0:2:1200:3400"},
        {"2001:db8::/40", "192.0.2.0/24", 16, 6, "2001:db8:12:d100::/56", "192.0.2.18", 32,
         0xd1, 8, 1860, 1863, 65348, 65351, 252, "2001:db8:12:d100:0:c000:212:d1",
         "2001:db8:12:d100:c0:2:1200:d100"},
        {"2001:db8:12:3400::/56", "192.0.2.18/32", 0, 6, "2001:db8:12:3400::/56", "192.0.2.18",
         32, 0, 0, 0, 65535, 0, 65535, 65536, "2001:db8:12:3400:0:c000:212:0",
         "2001:db8:12:3400:c0:2:1200:0"},
        {"2001:db8::/40", "192.0.2.0/24", 16, 0, "2001:db8:12:3400::/56", "192.0.2.18", 32,
         0x34, 8, 13312, 13567, 13312, 13567, 256, "2001:db8:12:3400:0:c000:212:34",
         "2001:db8:12:3400:c0:2:1200:3400"},
        {"2001:db8::/40", "192.0.2.0/24", 8, 6, "2001:db8:12::/48", "192.0.2.18", 32, 0, 0, 0,
         65535, 0, 65535, 65536, "2001:db8:12::c000:212:0", "2001:db8:12:0:c0:2:1200:0"},
        {"2001:db8::/40", "198.51.100.0/24", 4, 6, "2001:db8:30::/44", "198.51.100.48", 28, 0,
         0, 0, 65535, 0, 65535, 65536, "2001:db8:30::c633:6430:0",
         "2001:db8:30:0:c6:3364:3000:0"},
        {"2403:9200::/32", "203.86.225.0/28", 16, 4, "2403:9200:1234::/48", "203.86.225.1", 32,
         0x234, 12, 4660, 4660, 62004, 62004, 15, "2403:9200:1234::cb56:e101:234",
         "2403:9200:1234:0:cb:56e1:102:3400"},
        {"2001:db8:1:2000::/52", "203.0.113.0/24", 12, 4, "2001:db8:1:2345::/64",
         "203.0.113.52", 32, 5, 4, 5376, 5631, 62720, 62975, 3840,
         "2001:db8:1:2345:0:cb00:7134:5", "2001:db8:1:2345:cb:71:3400:500"},
        {"240b:10::/31", "106.72.0.0/15", 25, 4, "240b:11:4321:ab00::/56", "106.73.67.33", 32,
         0xab, 8, 6832, 6847, 64176, 64191, 240, "240b:11:4321:ab00:0:6a49:4321:ab",
         "240b:11:4321:ab00:6a:4943:2100:ab00"},
        {"2001:db8:400::/38", "198.51.96.0/20", 18, 6, "2001:db8:4f5:2300::/56",
         "198.51.99.212", 32, 0x23, 6, 1584, 1599, 65072, 65087, 1008,
         "2001:db8:4f5:2300:0:c633:63d4:23", "2001:db8:4f5:2300:c6:3363:d400:2300"},
    };
    char why[300];
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (check_row(&rows[i], why, sizeof why)) {
            printf("FAIL %s: row %zu: %s\n", t_name_, i, why);
            *t_failed_ = 1;
            return;
        }
    }
}

/* A1 middle ranges and B.2 generic examples. */
TEST(vectors_a1_ranges_and_b2)
{
    s46_port_range rg[63];
    CHECK_INT(s46_portset_ranges(6, 8, 0x34, rg, 63), 63);
    CHECK_INT(rg[1].first, 2256);
    CHECK_INT(rg[1].last, 2259);
    CHECK_INT(rg[61].first, 63696);
    CHECK_INT(rg[61].last, 63699);
    CHECK_INT(s46_portset_count(6, 8), 252);
    /* B.2: k 8, PSID 0, a 6: 1024-1027 ... 64512-64515 */
    CHECK_INT(s46_portset_ranges(6, 8, 0, rg, 63), 63);
    CHECK_INT(rg[0].first, 1024);
    CHECK_INT(rg[0].last, 1027);
    CHECK_INT(rg[61].first, 63488);
    CHECK_INT(rg[62].first, 64512);
    CHECK_INT(rg[62].last, 64515);
    /* B.2: k 6, PSID 0, a 0: one range 0-1023 */
    CHECK_INT(s46_portset_ranges(0, 6, 0, rg, 63), 1);
    CHECK_INT(rg[0].first, 0);
    CHECK_INT(rg[0].last, 1023);
    /* V1 with a = 4: 4928-4943 ... 62272-62287, 15 ranges, 240 ports */
    CHECK_INT(s46_portset_ranges(4, 8, 0x34, rg, 63), 15);
    CHECK_INT(rg[0].first, 4928);
    CHECK_INT(rg[0].last, 4943);
    CHECK_INT(rg[14].first, 62272);
    CHECK_INT(rg[14].last, 62287);
    CHECK_INT(s46_portset_count(4, 8), 240);
}

/* A2: the BR side, and the common bug of giving port 9030 to PSID 0x34. */
TEST(vectors_a2_br_reverse_and_port_9030)
{
    s46_maprule r = rule("2001:db8::/40", "192.0.2.0/24", 16, 6);
    s46_ce_params p;
    char e[S46_ERRLEN], b[S46_PFX6_STRLEN];
    CHECK_INT(s46_maprule_reverse(&r, ip4("192.0.2.18"), 1232, S46_IID_RFC7597, &p, e, sizeof e), 0);
    CHECK_STR(s46_pfx6_format(&p.eu_prefix, b), "2001:db8:12:3400::/56");
    CHECK_STR(fmt6(&p.map_addr), "2001:db8:12:3400:0:c000:212:34");
    CHECK_INT(s46_port_psid(6, 8, 1232), 0x34);
    CHECK_INT(s46_port_psid(6, 8, 9030), 0xd1);
    CHECK(!s46_port_in_set(6, 8, 0x34, 9030));
    CHECK_INT(s46_maprule_reverse(&r, ip4("192.0.2.18"), 9030, S46_IID_RFC7597, &p, e, sizeof e), 0);
    CHECK_STR(s46_pfx6_format(&p.eu_prefix, b), "2001:db8:12:d100::/56");
    CHECK_STR(fmt6(&p.map_addr), "2001:db8:12:d100:0:c000:212:d1");
    /* A3: 1.2.3.4 is in no rule: the CE sends it to the BR. */
    s46_ruleset *rs = s46_ruleset_new(&r, 1, e, sizeof e);
    CHECK(rs);
    CHECK(s46_ruleset_match4(rs, ip4("1.2.3.4"), 80) == NULL);
    CHECK(s46_ruleset_match4(rs, ip4("192.0.2.18"), 9030) != NULL);
    s46_ruleset_free(rs);
    /* V2 BR reverse: 192.0.2.77 under EA 8 -> 2001:db8:4d::c000:24d:0, any port */
    s46_maprule v2 = rule("2001:db8::/40", "192.0.2.0/24", 8, 6);
    CHECK_INT(s46_maprule_reverse(&v2, ip4("192.0.2.77"), 7, S46_IID_RFC7597, &p, e, sizeof e), 0);
    CHECK_STR(fmt6(&p.map_addr), "2001:db8:4d::c000:24d:0");
}

/* A5 / V8: explicit PSID (o = 0) rules, PSID right-aligned. */
TEST(vectors_explicit_psid)
{
    s46_maprule r = rule("2001:db8:12:3400::/56", "192.0.2.18/32", 0, 6);
    r.explicit_psid = true;
    r.psid_len = 8;
    r.psid = 0x34; /* right-aligned: not 0x3400 as mapcalc wants it */
    s46_pfx6 eu = pfx("2001:db8:12:3400::/56");
    s46_ce_params p;
    char e[S46_ERRLEN];
    CHECK_INT(s46_maprule_validate(&r, e, sizeof e), 0);
    CHECK_INT(s46_maprule_derive(&r, &eu, S46_IID_RFC7597, &p, e, sizeof e), 0);
    CHECK_STR(fmt6(&p.map_addr), "2001:db8:12:3400:0:c000:212:34");
    CHECK_INT(p.psid, 0x34);
    s46_port_range rg[63];
    s46_portset_ranges(p.psid_offset, p.psid_len, p.psid, rg, 63);
    CHECK_INT(rg[0].first, 1232);
    CHECK_INT(rg[62].last, 64723);
    /* V8 lw4o6: 198.51.100.5, PSID-len 6, PSID 5, offset 0 -> 5120-6143 */
    s46_maprule l = rule("2001:db8:4:5::/64", "198.51.100.5/32", 0, 0);
    l.explicit_psid = true;
    l.psid_len = 6;
    l.psid = 5;
    eu = pfx("2001:db8:4:5::/64");
    CHECK_INT(s46_maprule_derive(&l, &eu, S46_IID_RFC7597, &p, e, sizeof e), 0);
    CHECK_STR(fmt6(&p.map_addr), "2001:db8:4:5:0:c633:6405:5");
    CHECK_INT(s46_portset_ranges(0, 6, 5, rg, 63), 1);
    CHECK_INT(rg[0].first, 5120);
    CHECK_INT(rg[0].last, 6143);
    CHECK(!s46_port_in_set(0, 6, 5, 6144));
    /* the reverse refuses a port of another PSID */
    CHECK(s46_maprule_reverse(&l, ip4("198.51.100.5"), 6144, S46_IID_RFC7597, &p, e, sizeof e) < 0);
    CHECK(strstr(e, "PSID") != NULL);
}

/* V4 edges: A = 0 is excluded, PSID 0xfff owns 65535; the BR address trap. */
TEST(vectors_v4_edges)
{
    CHECK_INT(s46_port_psid(4, 12, 564), -1);
    CHECK(!s46_port_in_set(4, 12, 0x234, 564));
    s46_port_range rg[15];
    s46_portset_ranges(4, 12, 0, rg, 15);
    CHECK_INT(rg[0].first, 4096);
    CHECK_INT(rg[14].first, 61440);
    s46_portset_ranges(4, 12, 0xfff, rg, 15);
    CHECK_INT(rg[0].first, 8191);
    CHECK_INT(rg[14].first, 65535);
    CHECK_INT(s46_port_psid(4, 12, 65535), 0xfff);
    s46_maprule r = rule("2403:9200::/32", "203.86.225.0/28", 16, 4);
    s46_ce_params p;
    char e[S46_ERRLEN];
    CHECK(s46_maprule_reverse(&r, ip4("203.86.225.1"), 564, S46_IID_RFC7597, &p, e, sizeof e) < 0);
    CHECK(strstr(e, "excluded") != NULL);
    /* The BR address 2403:9200:fff0::2 decodes as a CE: 203.86.225.15, PSID 0xff0. */
    s46_pfx6 eu = pfx("2403:9200:fff0::/48");
    CHECK_INT(s46_maprule_derive(&r, &eu, S46_IID_RFC7597, &p, e, sizeof e), 0);
    CHECK_INT(p.ipv4, ip4("203.86.225.15"));
    CHECK_INT(p.psid, 0xff0);
    s46_portset_ranges(4, 12, 0xff0, rg, 15);
    CHECK_INT(rg[0].first, 8176);
    CHECK_INT(rg[14].first, 65520);
}

/* V5: the HB46PP example's /56 is unusable; a naive tool reads zeros. */
TEST(vectors_v5_short_prefix_refused)
{
    s46_maprule r = rule("2001:db8:1:2000::/52", "203.0.113.0/24", 12, 4);
    s46_pfx6 eu;
    s46_ce_params p;
    char e[S46_ERRLEN];
    CHECK(s46_pfx6_parse("2001:db8:1:2345::/56", &eu, e, sizeof e) < 0);
    CHECK(strstr(e, "beyond /56") != NULL);
    eu = pfx("2001:db8:1:2300::/56");
    CHECK(s46_maprule_derive(&r, &eu, S46_IID_RFC7597, &p, e, sizeof e) < 0);
    CHECK(strstr(e, "/64") != NULL);
}

/* mapcalc quirks: IPv4-prefix case has PSID length 0 (not negative, no
 * 0xffff PSID); k = 0 is the whole port space, port 0 included. */
TEST(defects_prefix_case_and_full_port_space)
{
    s46_maprule r = rule("2001:db8::/40", "198.51.100.0/24", 4, 6);
    s46_rule_shape s;
    s46_maprule_shape(&r, &s);
    CHECK_INT(s.psid_len, 0);
    CHECK_INT(s.ipv4_len, 28);
    CHECK_INT(s.port_count, 65536);
    s46_ce_params p;
    s46_pfx6 eu = pfx("2001:db8:30::/44");
    char e[S46_ERRLEN];
    CHECK_INT(s46_maprule_derive(&r, &eu, S46_IID_RFC7597, &p, e, sizeof e), 0);
    CHECK_INT(p.psid, 0);
    s46_iid_decode(&p.map_addr, S46_IID_RFC7597, &p.ipv4, &p.psid);
    CHECK_INT(p.psid, 0);
    s46_port_range rg[1];
    CHECK_INT(s46_portset_ranges(6, 0, 0, rg, 1), 1);
    CHECK_INT(rg[0].first, 0);
    CHECK_INT(rg[0].last, 65535);
    /* the reverse of a prefix rule: any port, the /44 back */
    CHECK_INT(s46_maprule_reverse(&r, ip4("198.51.100.61"), 0, S46_IID_RFC7597, &p, e, sizeof e), 0);
    CHECK_STR(fmt6(&p.map_addr), "2001:db8:30::c633:6430:0");
}

/* RFC 7597 §6: an End-user prefix longer than /64 overwrites the IID top. */
TEST(vectors_prefix_longer_than_64)
{
    s46_maprule r = rule("2001:db8::/64", "192.0.2.0/24", 16, 6);
    s46_pfx6 eu = pfx("2001:db8::1234:0:0:0/80");
    s46_ce_params p;
    char e[S46_ERRLEN];
    CHECK_INT(s46_maprule_derive(&r, &eu, S46_IID_RFC7597, &p, e, sizeof e), 0);
    CHECK_INT(p.ipv4, ip4("192.0.2.18"));
    CHECK_INT(p.psid, 0x34);
    CHECK_STR(fmt6(&p.map_addr), "2001:db8::1234:c000:212:34");
}

T_MAIN(T_CASE(vectors_summary_table), T_CASE(vectors_a1_ranges_and_b2),
       T_CASE(vectors_a2_br_reverse_and_port_9030), T_CASE(vectors_explicit_psid),
       T_CASE(vectors_v4_edges), T_CASE(vectors_v5_short_prefix_refused),
       T_CASE(defects_prefix_case_and_full_port_space), T_CASE(vectors_prefix_longer_than_64))
