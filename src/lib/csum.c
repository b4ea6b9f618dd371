#include "lib/csum.h"

#include <string.h>

uint32_t s46_csum_add(uint32_t sum, const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t acc = 0;
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        /* add four big-endian words at once: byte order does not matter for
         * a one's-complement sum as long as we swap back at the end */
        acc += (w & 0xffffffffu) + (w >> 32);
        p += 8;
        len -= 8;
    }
    /* fold the native-order accumulator, then swap it into big-endian */
    while (acc >> 32)
        acc = (acc & 0xffffffffu) + (acc >> 32);
    uint32_t s = (uint32_t)acc;
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    s = (uint32_t)__builtin_bswap16((uint16_t)s);
#endif
    uint32_t total = s + (sum & 0xffff) + (sum >> 16);
    while (len >= 2) {
        total += (uint32_t)(p[0] << 8 | p[1]);
        p += 2;
        len -= 2;
    }
    if (len)
        total += (uint32_t)p[0] << 8;
    total = (total & 0xffff) + (total >> 16);
    total = (total & 0xffff) + (total >> 16);
    return total;
}

uint16_t s46_csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

uint32_t s46_csum_pseudo4(const uint8_t src[4], const uint8_t dst[4], uint8_t proto,
                          uint32_t len)
{
    uint32_t s = s46_csum_add(0, src, 4);
    s = s46_csum_add(s, dst, 4);
    return s + proto + (len >> 16) + (len & 0xffff);
}

uint32_t s46_csum_pseudo6(const uint8_t src[16], const uint8_t dst[16], uint8_t proto,
                          uint32_t len)
{
    uint32_t s = s46_csum_add(0, src, 16);
    s = s46_csum_add(s, dst, 16);
    return s + proto + (len >> 16) + (len & 0xffff);
}

void s46_csum_replace16_udp(uint8_t *field, uint16_t old_word, uint16_t new_word)
{
    if (s46_get16(field) == 0)
        return;
    s46_csum_replace16(field, old_word, new_word);
    if (s46_get16(field) == 0)
        s46_put16(field, 0xffff);
}

void s46_csum_replace32_udp(uint8_t *field, const uint8_t old_v[4], const uint8_t new_v[4])
{
    if (s46_get16(field) == 0)
        return;
    s46_csum_replace32(field, old_v, new_v);
    if (s46_get16(field) == 0)
        s46_put16(field, 0xffff);
}
