/* Internet checksum (RFC 1071) and its incremental update (RFC 1624).
 * Sums are kept as 32-bit one's-complement accumulators over big-endian
 * 16-bit words; s46_csum_fold turns one into the 16-bit field value (host
 * order, ready for a big-endian store). Pure functions. */
#ifndef S46_CSUM_H
#define S46_CSUM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Adds len bytes at data to sum (an odd trailing byte is padded with 0). */
uint32_t s46_csum_add(uint32_t sum, const void *data, size_t len);
/* Folds to 16 bits and complements: the value to store in the field. */
uint16_t s46_csum_fold(uint32_t sum);
/* Pseudo-header sums (RFC 768/793 for IPv4, RFC 8200 §8.1 for IPv6). */
uint32_t s46_csum_pseudo4(const uint8_t src[4], const uint8_t dst[4], uint8_t proto,
                          uint32_t len);
uint32_t s46_csum_pseudo6(const uint8_t src[16], const uint8_t dst[16], uint8_t proto,
                          uint32_t len);
/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). field points at the big-endian
 * checksum; old/new are the changed 16-bit words (host order). */
static inline void s46_csum_replace16(uint8_t *field, uint16_t old_word, uint16_t new_word);
/* The same for a 32-bit value (e.g. an IPv4 address), given as bytes. */
static inline void s46_csum_replace32(uint8_t *field, const uint8_t old_v[4],
                                      const uint8_t new_v[4]);
/* UDP: a zero checksum means "none" and must stay zero; a computed zero is
 * sent as 0xffff (RFC 768). */
void s46_csum_replace16_udp(uint8_t *field, uint16_t old_word, uint16_t new_word);
void s46_csum_replace32_udp(uint8_t *field, const uint8_t old_v[4], const uint8_t new_v[4]);

/* true when the one's-complement sum of len bytes (a multiple of 4, e.g.
 * an IPv4 header) is all ones, i.e. its checksum verifies. Byte order does
 * not matter for this test, so it runs on native words. */
static inline bool s46_csum_ok(const uint8_t *p, size_t len)
{
    uint64_t s = 0;
    for (size_t i = 0; i + 4 <= len; i += 4) {
        uint32_t w;
        __builtin_memcpy(&w, p + i, 4);
        s += w;
    }
    s = (s & 0xffffffffu) + (s >> 32);
    s = (s & 0xffffffffu) + (s >> 32);
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    return s == 0xffff;
}

/* The same for exactly 20 bytes (an IPv4 header without options), spelled
 * out so that the five additions need no loop. */
static inline bool s46_csum_ok20(const uint8_t *p)
{
    uint32_t w[5];
    __builtin_memcpy(w, p, 20);
    uint64_t s = ((uint64_t)w[0] + w[1]) + ((uint64_t)w[2] + w[3]) + w[4];
    s = (s & 0xffffffffu) + (s >> 32);
    s = (s & 0xffffffffu) + (s >> 32);
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    return s == 0xffff;
}

static inline uint16_t s46_get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline void s46_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline uint32_t s46_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void s46_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline void s46_csum_replace16(uint8_t *field, uint16_t old_word, uint16_t new_word)
{
    uint32_t s = (uint16_t)~s46_get16(field) + (uint32_t)(uint16_t)~old_word + new_word;
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    s46_put16(field, (uint16_t)~s);
}

static inline void s46_csum_replace32(uint8_t *field, const uint8_t old_v[4],
                                      const uint8_t new_v[4])
{
    uint32_t s = (uint16_t)~s46_get16(field) + (uint32_t)(uint16_t)~s46_get16(old_v) +
                 (uint32_t)(uint16_t)~s46_get16(old_v + 2) + s46_get16(new_v) +
                 s46_get16(new_v + 2);
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    s46_put16(field, (uint16_t)~s);
}

/* Several changes at once (RFC 1624 eqn. 3 with m and m' summed over all
 * of them), in the machine's byte order (RFC 1071 §2(B): the sum is the
 * same in either order): the delta of each changed value as it sits in
 * the packet, added up, then applied to a checksum field once. The bytes
 * are those the changes applied in turn give. A sum of at most six
 * deltas fits s46_csum_apply. */
static inline uint16_t s46_ld16(const uint8_t *p)
{
    uint16_t v;
    __builtin_memcpy(&v, p, 2);
    return v;
}
static inline uint32_t s46_ld32(const uint8_t *p)
{
    uint32_t v;
    __builtin_memcpy(&v, p, 4);
    return v;
}
/* old and new as loaded from (or to be stored into) the packet */
static inline uint32_t s46_csum_delta32(uint32_t old_v, uint32_t new_v)
{
    return (~old_v >> 16) + (uint16_t)~old_v + (new_v >> 16) + (uint16_t)new_v;
}
static inline uint32_t s46_csum_delta16(uint16_t old_w, uint16_t new_w)
{
    return (uint32_t)(uint16_t)~old_w + new_w;
}
static inline void s46_csum_apply(uint8_t *field, uint32_t delta)
{
    uint32_t s = (uint16_t)~s46_ld16(field) + delta;
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    uint16_t v = (uint16_t)~s;
    __builtin_memcpy(field, &v, 2);
}
/* UDP's rules as in s46_csum_replace16_udp. */
static inline void s46_csum_apply_udp(uint8_t *field, uint32_t delta)
{
    if (s46_ld16(field) == 0)
        return;
    s46_csum_apply(field, delta);
    if (s46_ld16(field) == 0)
        __builtin_memcpy(field, "\xff\xff", 2);
}
#endif
