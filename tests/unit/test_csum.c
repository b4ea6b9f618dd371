/* Checksums: the word-at-a-time sum against a plain RFC 1071 loop, with
 * every start value and length; RFC 1624 incremental updates against a full
 * recomputation; the native-word header check. */
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

T_MAIN(T_CASE(csum_add_matches_rfc1071), T_CASE(csum_pseudo_headers), T_CASE(csum_incremental_rfc1624))
