#include "lib/rfc6052.h"

#include <string.h>

#include "lib/csum.h"

bool s46_rfc6052_len_ok(unsigned len)
{
    return len == 32 || len == 40 || len == 48 || len == 56 || len == 64 || len == 96;
}

/* The byte positions of the four IPv4 bytes for a prefix length: after the
 * prefix, skipping byte 8 (the u octet). */
static void positions(unsigned len, unsigned pos[4])
{
    unsigned b = len / 8;
    for (unsigned i = 0; i < 4; i++, b++) {
        if (b == 8)
            b++;
        pos[i] = b;
    }
}

void s46_rfc6052_embed_any(const s46_pfx6 *pfx, uint32_t a4, s46_ip6 *out)
{
    unsigned pos[4];
    memset(out->b, 0, 16);
    memcpy(out->b, pfx->addr.b, pfx->len / 8);
    positions(pfx->len, pos);
    for (unsigned i = 0; i < 4; i++)
        out->b[pos[i]] = (uint8_t)(a4 >> (24 - 8 * i));
}

bool s46_rfc6052_extract_any(const s46_pfx6 *pfx, const s46_ip6 *a6, uint32_t *a4)
{
    if (memcmp(a6->b, pfx->addr.b, pfx->len / 8) != 0)
        return false;
    unsigned pos[4];
    positions(pfx->len, pos);
    uint32_t v = 0;
    for (unsigned i = 0; i < 4; i++)
        v = v << 8 | a6->b[pos[i]];
    *a4 = v;
    return true;
}
