/* NAT64 prefix discovery (lib/rfc7050.h): which prefix, of which length, a
 * DNS64's answers for ipv4only.arpa give. The synthesized addresses are
 * written out by hand (192.0.0.170 = c000:00aa and 192.0.0.171 =
 * c000:00ab at the byte positions RFC 6052 §2.2 gives each length, the
 * u octet skipped), not built with lib/rfc6052.c. */
#include "t.h"

#include "lib/rfc7050.h"

static s46_ip6 ip6(const char *s)
{
    s46_ip6 a;
    if (s46_ip6_parse(s, &a) < 0)
        abort();
    return a;
}

static bool is_pfx(const s46_pfx6 *p, const char *addr, unsigned len)
{
    s46_ip6 a = ip6(addr);
    return p->len == len && s46_ip6_eq(&p->addr, &a);
}

/* Every RFC 6052 length, with either well-known address. */
TEST(every_length)
{
    static const struct {
        const char *answer, *prefix;
        unsigned len;
    } v[] = {
        {"2001:db8:c000:aa::", "2001:db8::", 32},
        {"2001:db8:c000:ab::", "2001:db8::", 32},
        {"2001:db8:1c0:0:aa::", "2001:db8:100::", 40},
        {"2001:db8:122:c000:0:aa00::", "2001:db8:122::", 48},
        {"2001:db8:122:c000:0:ab00::", "2001:db8:122::", 48},
        {"2001:db8:122:3c0:0:aa::", "2001:db8:122:300::", 56},
        {"2001:db8:122:344:c0:0:aa00:0", "2001:db8:122:344::", 64},
        {"2001:db8:122:344:c0:0:ab00:0", "2001:db8:122:344::", 64},
        {"64:ff9b::c000:aa", "64:ff9b::", 96},
        {"64:ff9b::c000:ab", "64:ff9b::", 96},
        {"2001:db8:64:ff9b:1:2:c000:aa", "2001:db8:64:ff9b:1:2::", 96},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        s46_ip6 a = ip6(v[i].answer);
        s46_pfx6 p = {{{0}}, 0};
        CHECK_INT(s46_rfc7050_match(&a, &p), v[i].len);
        CHECK(is_pfx(&p, v[i].prefix, v[i].len));
        s46_pfx6 q = {{{0}}, 0};
        CHECK_INT(s46_rfc7050_prefix(&a, 1, &q), 1);
        CHECK(is_pfx(&q, v[i].prefix, v[i].len));
    }
}

/* The usual DNS64 answer: both addresses, one prefix. */
TEST(both_addresses_one_prefix)
{
    s46_ip6 a[2] = {ip6("64:ff9b::c000:aa"), ip6("64:ff9b::c000:ab")};
    s46_pfx6 p;
    CHECK_INT(s46_rfc7050_prefix(a, 2, &p), 1);
    CHECK(is_pfx(&p, "64:ff9b::", 96));
}

/* Answers without a well-known address: none found, out untouched. */
TEST(no_well_known_address)
{
    s46_ip6 a[] = {
        ip6("2001:db8::1"),                 /* a plain address */
        ip6("64:ff9b::c000:ac"),            /* 192.0.0.172: not well-known */
        ip6("64:ff9b::c633:6450"),          /* some other IPv4 address */
        ip6("2001:db8:c000:aa::1"),         /* /32 position, suffix not zero */
        ip6("2001:db8:122:344:1c0:0:aa00:0"), /* /64 position, u octet not zero */
        ip6("::"),
    };
    s46_pfx6 p = {{{0}}, 7};
    CHECK_INT(s46_rfc7050_prefix(a, sizeof a / sizeof a[0], &p), 0);
    CHECK_INT(p.len, 7);
    for (size_t i = 0; i < sizeof a / sizeof a[0]; i++)
        CHECK_INT(s46_rfc7050_match(&a[i], &p), 0);
    CHECK_INT(s46_rfc7050_prefix(a, 0, &p), 0);
}

/* A non-synthesized answer first, then the synthesized one: found. */
TEST(mixed_answers)
{
    s46_ip6 a[] = {ip6("2001:db8::1"), ip6("2001:db8:122:3c0:0:aa::")};
    s46_pfx6 p;
    CHECK_INT(s46_rfc7050_prefix(a, 2, &p), 1);
    CHECK(is_pfx(&p, "2001:db8:122:300::", 56));
}

/* Two NAT64s: both counted, the first answer's prefix used. */
TEST(two_prefixes_first_used)
{
    s46_ip6 a[] = {ip6("2001:db8:122:344:c0:0:aa00:0"), ip6("64:ff9b::c000:aa"),
                   ip6("64:ff9b::c000:ab")};
    s46_pfx6 p;
    CHECK_INT(s46_rfc7050_prefix(a, 3, &p), 2);
    CHECK(is_pfx(&p, "2001:db8:122:344::", 64));
}

T_MAIN(T_CASE(every_length), T_CASE(both_addresses_one_prefix), T_CASE(no_well_known_address),
       T_CASE(mixed_answers), T_CASE(two_prefixes_first_used))
