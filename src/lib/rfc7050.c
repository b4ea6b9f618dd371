#include "lib/rfc7050.h"

#include "lib/rfc6052.h"

/* Bytes that must be zero around the IPv4 address for length len: the u
 * octet (byte 8) below /96 and the suffix after the address. */
static bool zeros_ok(const s46_ip6 *a, unsigned len)
{
    if (len == 96)
        return true;
    if (a->b[8])
        return false;
    unsigned end = len / 8 + 4 + (len <= 64 ? 1 : 0); /* one past the address */
    for (unsigned i = end; i < 16; i++)
        if (a->b[i])
            return false;
    return true;
}

unsigned s46_rfc7050_match(const s46_ip6 *a, s46_pfx6 *pfx)
{
    static const unsigned lens[] = {96, 64, 56, 48, 40, 32};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        s46_pfx6 p = {*a, (uint8_t)lens[i]};
        s46_ip6_mask(&p.addr, p.len);
        uint32_t v4;
        if (!s46_rfc6052_extract(&p, a, &v4) || !zeros_ok(a, p.len))
            continue;
        if (v4 == S46_RFC7050_WKA1 || v4 == S46_RFC7050_WKA2) {
            *pfx = p;
            return p.len;
        }
    }
    return 0;
}

unsigned s46_rfc7050_prefix(const s46_ip6 *answers, size_t n, s46_pfx6 *pfx)
{
    unsigned distinct = 0;
    s46_pfx6 seen[16];
    for (size_t i = 0; i < n; i++) {
        s46_pfx6 p;
        if (!s46_rfc7050_match(&answers[i], &p))
            continue;
        unsigned j = 0;
        while (j < distinct && j < 16 && !(seen[j].len == p.len && s46_ip6_eq(&seen[j].addr, &p.addr)))
            j++;
        if (j < distinct)
            continue;
        if (distinct == 0)
            *pfx = p;
        if (distinct < 16)
            seen[distinct] = p;
        distinct++;
    }
    return distinct;
}
