/* The translator's commonest case written out, for the data planes' fast
 * paths (the MAP-T BR's, the NAT64's): a whole IPv4 or IPv6 packet without
 * options or extension headers, TCP, UDP with a checksum or an ICMP echo,
 * translated as lib/xlat.h would (RFC 7915 §4.1, §5.1), leaving the same
 * bytes (the IPv4 Identification aside: a fast path and the translator
 * draw from the same counter, in their own order).
 *  - s46_xf_fix_csum: a transport checksum after its pseudo-header's sum
 *    went from `minus` to `plus` (RFC 1624), a UDP 0 sent as 0xffff;
 *  - s46_xf_put4 / s46_xf_put6: the new IP header, its checksum from the
 *    values (not re-read from the bytes just stored).
 * The caller checked everything the translator checks; nothing here
 * fails. */
#ifndef S46_LIB_XLAT_FAST_H
#define S46_LIB_XLAT_FAST_H
#include <stdbool.h>
#include <stdint.h>

#include "lib/csum.h"
#include "lib/xlat.h"

static inline uint16_t s46_xf_fold16(uint32_t s)
{
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    return (uint16_t)s;
}

static inline void s46_xf_fix_csum(uint8_t *ck, uint32_t minus, uint32_t plus, bool udp)
{
    uint32_t s = (uint16_t)~s46_get16(ck);
    s += (uint16_t)~s46_xf_fold16(minus);
    s += s46_xf_fold16(plus);
    uint16_t v = (uint16_t)~s46_xf_fold16(s);
    if (udp && v == 0)
        v = 0xffff;
    s46_put16(ck, v);
}

/* The one's complement sum of n bytes at p (n a multiple of 4), folded. */
static inline __attribute__((always_inline)) uint32_t s46_xf_sum4n(const uint8_t *p, unsigned n)
{
    uint64_t acc = 0;
#pragma GCC unroll 8
    for (unsigned i = 0; i < n; i += 4)
        acc += s46_get32(p + i);
    acc = (acc & 0xffffffffu) + (acc >> 32);
    acc = (acc & 0xffffffffu) + (acc >> 32);
    return s46_xf_fold16((uint32_t)acc);
}

static inline uint32_t s46_xf_sum32(uint32_t a) { return (a >> 16) + (a & 0xffff); }

/* The IPv4 header at h of an IPv6 packet without Fragment header (§5.1:
 * DF set above 1260 bytes, an Identification from the translator's
 * counter), protocol proto (ICMPv6 already given as 1). */
static inline void s46_xf_put4(s46_xlat *x, uint8_t *h, uint8_t tos, unsigned total,
                               uint8_t ttl, uint8_t proto, uint32_t src, uint32_t dst)
{
    uint16_t id = x->next_id++, ff = total > 1260 ? 0x4000 : 0;
    h[0] = 0x45;
    h[1] = tos;
    s46_put16(h + 2, (uint16_t)total);
    s46_put16(h + 4, id);
    s46_put16(h + 6, ff);
    h[8] = ttl;
    h[9] = proto;
    s46_put32(h + 12, src);
    s46_put32(h + 16, dst);
    uint32_t hs = (0x45u << 8 | tos) + total + id + ff + ((uint32_t)ttl << 8 | proto) +
                  s46_xf_sum32(src) + s46_xf_sum32(dst);
    s46_put16(h + 10, (uint16_t)~s46_xf_fold16(hs));
}

/* The first 8 bytes of the IPv6 header at h (flow label 0, §4.1); the
 * addresses are the caller's. */
static inline void s46_xf_put6(uint8_t *h, uint8_t tclass, unsigned plen, uint8_t nh,
                               uint8_t hop)
{
    s46_put32(h, 0x60000000u | (uint32_t)tclass << 20);
    s46_put16(h + 4, (uint16_t)plen);
    h[6] = nh;
    h[7] = hop;
}
#endif
