/* Checksums: the word-at-a-time sum against a plain RFC 1071 loop, with
 * every start value and length; RFC 1624 incremental updates against a full
 * recomputation (random, and swept over every value of one 16-bit field
 * with the others at edge values, hitting the sums 0xffff, 0x1fffe, 0x1ffff
 * and up where a single carry fold is not enough); the UDP variants
 * (0 means "none", a computed 0 is sent as 0xffff); the native-word header
 * check. */
#include "lib/csum.h"
#include "t.h"

static uint32_t naive(uint32_t sum, const uint8_t *p, size_t len)
{
    uint64_t s = sum;
    for (size_t i = 0; i + 1 < len; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1)
        s += (uint32_t)p[len - 1] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint32_t)s;
}

TEST(csum_add_matches_rfc1071)
{
    uint8_t buf[300];
    uint64_t x = 12345;
    for (int it = 0; it < 5000; it++) {
        size_t len = (size_t)(it % 300);
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            buf[i] = (uint8_t)x;
        }
        uint32_t start = (uint32_t)(x >> 20) & (it & 1 ? 0xffff : 0x3ffff);
        CHECK_INT(s46_csum_fold(s46_csum_add(start, buf, len)), s46_csum_fold(naive(start, buf, len)));
    }
}

TEST(csum_pseudo_headers)
{
    uint8_t s6[16], d6[16];
    for (int i = 0; i < 16; i++) {
        s6[i] = (uint8_t)(0x20 + i * 7);
        d6[i] = (uint8_t)(0xfe - i * 3);
    }
    uint32_t want = naive(0, s6, 16);
    want = naive(want, d6, 16);
    CHECK_INT(s46_csum_fold(s46_csum_pseudo6(s6, d6, 58, 1234)),
              s46_csum_fold(want + 58 + 1234));
    /* a known IPv4 header: 4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7 */
    uint8_t h[20] = {0x45, 0, 0, 0x73, 0, 0, 0x40, 0, 0x40, 0x11, 0xb8, 0x61,
                     0xc0, 0xa8, 0, 1, 0xc0, 0xa8, 0, 0xc7};
    CHECK(s46_csum_ok(h, 20));
    CHECK_INT(s46_csum_fold(s46_csum_add(0, h, 20)), 0);
    h[11] ^= 1;
    CHECK(!s46_csum_ok(h, 20));
    CHECK(!s46_csum_ok20(h));
    h[11] ^= 1;
    CHECK(s46_csum_ok20(h));
    /* the unrolled 20-byte check agrees with the general one, also on
     * headers whose checksum is set to make them verify, and all-ones or
     * all-zero words */
    uint64_t x = 7;
    for (int it = 0; it < 20000; it++) {
        for (int i = 0; i < 20; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            h[i] = (uint8_t)(it % 3 == 2 ? (x & 1 ? 0xff : 0) : x);
        }
        if (it & 1) {
            s46_put16(h + 10, 0);
            s46_put16(h + 10, s46_csum_fold(s46_csum_add(0, h, 20)));
        }
        CHECK(s46_csum_ok20(h) == s46_csum_ok(h, 20));
    }
}

TEST(csum_incremental_rfc1624)
{
    uint8_t pkt[40];
    uint64_t x = 99;
    for (int it = 0; it < 3000; it++) {
        for (int i = 0; i < 40; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            pkt[i] = (uint8_t)x;
        }
        pkt[10] = pkt[11] = 0;
        s46_put16(pkt + 10, s46_csum_fold(s46_csum_add(0, pkt, 40)));
        uint8_t nv[4] = {(uint8_t)(x >> 8), (uint8_t)(x >> 16), (uint8_t)(x >> 24), (uint8_t)(x >> 32)};
        s46_csum_replace32(pkt + 10, pkt + 20, nv);
        memcpy(pkt + 20, nv, 4);
        uint16_t ow = s46_get16(pkt + 30), nw = (uint16_t)(x >> 40);
        s46_csum_replace16(pkt + 10, ow, nw);
        s46_put16(pkt + 30, nw);
        CHECK_INT(s46_csum_fold(s46_csum_add(0, pkt, 40)), 0);
    }
    /* UDP: a zero checksum stays zero ("none") */
    uint8_t u[2] = {0, 0};
    s46_csum_replace16_udp(u, 5, 6);
    CHECK_INT(s46_get16(u), 0);
}

/* Edge values of a 16-bit word, then a few others. */
static const uint16_t edge[] = {0x0000, 0x0001, 0x7fff, 0x8000, 0xfffe, 0xffff, 0x1234, 0xedcb};
#define NEDGE (sizeof edge / sizeof edge[0])

/* The checksum of the words w[0..n-1], recomputed from scratch. */
static uint16_t full(const uint16_t *w, size_t n)
{
    uint8_t b[16];
    for (size_t i = 0; i < n; i++)
        s46_put16(b + 2 * i, w[i]);
    return s46_csum_fold(s46_csum_add(0, b, 2 * n));
}

/* A block {old, other}: its checksum updated for old -> new must be the
 * checksum of {new, other} recomputed (either zero when the block is all
 * zeros, RFC 1624 §3), and the UDP variant the same with 0 sent as 0xffff.
 * Returns 0 and prints the case on a mismatch. */
static int check16(uint16_t old, uint16_t other, uint16_t nw)
{
    uint16_t w[2] = {old, other};
    uint8_t f[2], fu[2];
    s46_put16(f, full(w, 2));
    memcpy(fu, f, 2);
    uint16_t hc = s46_get16(f);
    s46_csum_replace16(f, old, nw);
    s46_csum_replace16_udp(fu, old, nw);
    w[0] = nw;
    uint16_t want = full(w, 2), got = s46_get16(f), gotu = s46_get16(fu);
    uint16_t wantu = hc == 0 ? 0 : want == 0 ? 0xffff : want;
    int zero = nw == 0 && other == 0;
    if ((got != want && !(zero && (got == 0 || got == 0xffff))) ||
        (gotu != wantu && !(zero && hc && gotu == 0xffff))) {
        printf("  field %04x, %04x -> %04x (other word %04x): %04x (udp %04x), recomputed %04x\n",
               hc, old, nw, other, got, gotu, want);
        return 0;
    }
    return 1;
}

TEST(csum_replace16_every_value_against_recompute)
{
    /* every new value and every old value, the others at edge values */
    for (size_t i = 0; i < NEDGE; i++)
        for (size_t j = 0; j < NEDGE; j++)
            for (uint32_t v = 0; v < 65536; v++) {
                CHECK(check16(edge[i], edge[j], (uint16_t)v));
                CHECK(check16((uint16_t)v, edge[j], edge[i]));
                CHECK(check16(edge[i], (uint16_t)v, edge[j]));
            }
    /* every old value with the new one chosen so that ~HC + ~old + new is
     * each sum where the carries matter */
    static const uint32_t sums[] = {0xffff, 0x10000, 0x1fffe, 0x1ffff, 0x20000, 0x2fffd};
    for (uint32_t old = 0; old < 65536; old++)
        for (size_t j = 0; j < NEDGE; j++)
            for (size_t k = 0; k < sizeof sums / sizeof sums[0]; k++) {
                uint16_t w[2] = {(uint16_t)old, edge[j]};
                uint32_t part = (uint16_t)~full(w, 2) + (uint32_t)(uint16_t)~old;
                if (sums[k] < part || sums[k] - part > 0xffff)
                    continue;
                CHECK(check16((uint16_t)old, edge[j], (uint16_t)(sums[k] - part)));
            }
    /* the case of the report: field 0x0000, old 0, new 1 gives 0xfffe */
    uint8_t f[2] = {0, 0};
    s46_csum_replace16(f, 0, 1);
    CHECK_INT(s46_get16(f), 0xfffe);
}

/* The same for a 32-bit value in a block {hi, lo, other}. */
static int check32(uint16_t ohi, uint16_t olo, uint16_t other, uint16_t nhi, uint16_t nlo)
{
    uint16_t w[3] = {ohi, olo, other};
    uint8_t f[2], fu[2], ov[4], nv[4];
    s46_put16(f, full(w, 3));
    memcpy(fu, f, 2);
    uint16_t hc = s46_get16(f);
    s46_put16(ov, ohi), s46_put16(ov + 2, olo), s46_put16(nv, nhi), s46_put16(nv + 2, nlo);
    s46_csum_replace32(f, ov, nv);
    s46_csum_replace32_udp(fu, ov, nv);
    w[0] = nhi, w[1] = nlo;
    uint16_t want = full(w, 3), got = s46_get16(f), gotu = s46_get16(fu);
    uint16_t wantu = hc == 0 ? 0 : want == 0 ? 0xffff : want;
    int zero = nhi == 0 && nlo == 0 && other == 0;
    if ((got != want && !(zero && (got == 0 || got == 0xffff))) ||
        (gotu != wantu && !(zero && hc && gotu == 0xffff))) {
        printf("  field %04x, %04x%04x -> %04x%04x (other %04x): %04x (udp %04x), "
               "recomputed %04x\n",
               hc, ohi, olo, nhi, nlo, other, got, gotu, want);
        return 0;
    }
    return 1;
}

TEST(csum_replace32_every_word_against_recompute)
{
    for (size_t i = 0; i < NEDGE; i++)
        for (size_t j = 0; j < NEDGE; j++)
            for (uint32_t v = 0; v < 65536; v++) {
                uint16_t e = edge[i], g = edge[j], x = (uint16_t)v;
                CHECK(check32(e, g, g, x, e));
                CHECK(check32(e, g, e, g, x));
                CHECK(check32(x, e, g, e, g));
                CHECK(check32(e, x, g, g, e));
                CHECK(check32(e, g, x, g, e));
            }
    /* the last new word chosen to make each sum where the carries matter */
    static const uint32_t sums[] = {0xffff,  0x1fffe, 0x1ffff, 0x2fffe,
                                    0x2ffff, 0x3fffd, 0x3fffe, 0x3ffff};
    for (uint32_t ohi = 0; ohi < 65536; ohi++)
        for (size_t j = 0; j < NEDGE; j++)
            for (size_t k = 0; k < sizeof sums / sizeof sums[0]; k++) {
                uint16_t olo = edge[j], other = edge[NEDGE - 1 - j], nhi = edge[(j + 3) % NEDGE];
                uint16_t w[3] = {(uint16_t)ohi, olo, other};
                uint32_t part = (uint16_t)~full(w, 3) + (uint32_t)(uint16_t)~ohi +
                                (uint16_t)~olo + nhi;
                if (sums[k] < part || sums[k] - part > 0xffff)
                    continue;
                CHECK(check32((uint16_t)ohi, olo, other, nhi, (uint16_t)(sums[k] - part)));
            }
}

T_MAIN(T_CASE(csum_add_matches_rfc1071), T_CASE(csum_pseudo_headers), T_CASE(csum_incremental_rfc1624),
       T_CASE(csum_replace16_every_value_against_recompute),
       T_CASE(csum_replace32_every_word_against_recompute))
