/* IPv4-embedded IPv6 addresses (RFC 6052 §2.2): an IPv4 address inside an
 * IPv6 prefix of length 32, 40, 48, 56, 64 or 96. Bits 64..71 (the
 * "u" octet) are always zero and never carry address bits, so for the
 * lengths below 96 the IPv4 address is split around them; bits after the
 * IPv4 address (the suffix) are zero. Extraction reads the same bits back
 * and ignores the u octet and the suffix. Pure functions. */
#ifndef S46_RFC6052_H
#define S46_RFC6052_H
#include <stdbool.h>
#include <stdint.h>

#include "lib/addr.h"

/* Is len one of 32, 40, 48, 56, 64, 96? */
bool s46_rfc6052_len_ok(unsigned len);
/* pfx (a valid length) with a4 embedded. Inline for /96, else
 * s46_rfc6052_embed_any. */
void s46_rfc6052_embed_any(const s46_pfx6 *pfx, uint32_t a4, s46_ip6 *out);
static inline void s46_rfc6052_embed(const s46_pfx6 *pfx, uint32_t a4, s46_ip6 *out)
{
    if (pfx->len != 96) {
        s46_rfc6052_embed_any(pfx, a4, out);
        return;
    }
    __builtin_memcpy(out->b, pfx->addr.b, 12);
    out->b[12] = (uint8_t)(a4 >> 24);
    out->b[13] = (uint8_t)(a4 >> 16);
    out->b[14] = (uint8_t)(a4 >> 8);
    out->b[15] = (uint8_t)a4;
}
/* The IPv4 address in a6 when a6 is inside pfx; false otherwise.
 * Inline for /96 (the well-known prefix's length), else
 * s46_rfc6052_extract_any. */
bool s46_rfc6052_extract_any(const s46_pfx6 *pfx, const s46_ip6 *a6, uint32_t *a4);
static inline bool s46_rfc6052_extract(const s46_pfx6 *pfx, const s46_ip6 *a6, uint32_t *a4)
{
    if (pfx->len != 96)
        return s46_rfc6052_extract_any(pfx, a6, a4);
    uint64_t x, y;
    uint32_t u, w;
    __builtin_memcpy(&x, a6->b, 8);
    __builtin_memcpy(&y, pfx->addr.b, 8);
    __builtin_memcpy(&u, a6->b + 8, 4);
    __builtin_memcpy(&w, pfx->addr.b + 8, 4);
    if (x != y || u != w)
        return false;
    *a4 = (uint32_t)a6->b[12] << 24 | (uint32_t)a6->b[13] << 16 | (uint32_t)a6->b[14] << 8 |
          a6->b[15];
    return true;
}
#endif
