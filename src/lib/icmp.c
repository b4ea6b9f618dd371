#include "lib/icmp.h"
#include "lib/csum.h"

#include <string.h>

bool s46_ip6_is_unicast(const uint8_t a[16])
{
    static const uint8_t zero[15];
    return a[0] != 0xff && !(memcmp(a, zero, 15) == 0 && a[15] <= 1);
}

bool s46_icmp4_may_error(const uint8_t *ip, const s46_l3 *l3)
{
    if (!l3->first_fragment)
        return false;
    if (l3->proto == S46_PROTO_ICMP && (!l3->has_ports || s46_icmp4_is_error(l3->icmp_type)))
        return false;
    return s46_ip4_is_unicast(s46_get32(ip + 12)) && s46_ip4_is_unicast(s46_get32(ip + 16));
}

bool s46_icmp6_may_error(const uint8_t *ip6, const s46_l3 *l3)
{
    if (!l3->first_fragment)
        return false;
    if (l3->proto == S46_PROTO_ICMPV6 && (!l3->has_ports || s46_icmp6_is_error(l3->icmp_type)))
        return false;
    return s46_ip6_is_unicast(ip6 + 8) && ip6[24] != 0xff;
}

int s46_icmp4_error(s46_pkt *out, uint32_t src, uint8_t type, uint8_t code, uint32_t extra,
                    const uint8_t *orig, size_t orig_len)
{
    if (orig_len < 20)
        return -1;
    size_t q = orig_len > 576 - 28 ? 576 - 28 : orig_len;
    s46_pkt_reset(out);
    uint8_t *h = out->data;
    memset(h, 0, 28);
    h[0] = 0x45;
    s46_put16(h + 2, (uint16_t)(28 + q));
    h[8] = 64;
    h[9] = S46_PROTO_ICMP;
    s46_put32(h + 12, src);
    memcpy(h + 16, orig + 12, 4); /* back to the original source */
    s46_put16(h + 10, s46_csum_fold(s46_csum_add(0, h, 20)));
    h[20] = type;
    h[21] = code;
    s46_put32(h + 24, extra);
    memcpy(h + 28, orig, q);
    s46_put16(h + 22, s46_csum_fold(s46_csum_add(0, h + 20, 8 + q)));
    out->len = (uint32_t)(28 + q);
    return 0;
}

int s46_icmp6_error(s46_pkt *out, const s46_ip6 *src, uint8_t type, uint8_t code,
                    uint32_t extra, const uint8_t *orig, size_t orig_len)
{
    if (orig_len < 40)
        return -1;
    size_t q = orig_len > 1280 - 48 ? 1280 - 48 : orig_len;
    s46_pkt_reset(out);
    uint8_t *h = out->data;
    memset(h, 0, 48);
    h[0] = 0x60;
    s46_put16(h + 4, (uint16_t)(8 + q));
    h[6] = S46_PROTO_ICMPV6;
    h[7] = 64;
    memcpy(h + 8, src->b, 16);
    memcpy(h + 24, orig + 8, 16);
    h[40] = type;
    h[41] = code;
    s46_put32(h + 44, extra);
    memcpy(h + 48, orig, q);
    uint32_t s = s46_csum_pseudo6(h + 8, h + 24, S46_PROTO_ICMPV6, (uint32_t)(8 + q));
    s46_put16(h + 42, s46_csum_fold(s46_csum_add(s, h + 40, 8 + q)));
    out->len = (uint32_t)(48 + q);
    return 0;
}

void s46_icmp4_echo_reply(s46_pkt *p, const s46_l3 *l3)
{
    uint8_t *h = p->data, t[4];
    memcpy(t, h + 12, 4);
    memcpy(h + 12, h + 16, 4);
    memcpy(h + 16, t, 4); /* swapping addresses keeps the header checksum */
    uint16_t old = s46_get16(h + 8);
    h[8] = 64;
    s46_csum_replace16(h + 10, old, s46_get16(h + 8));
    uint8_t *ic = h + l3->l3_len;
    uint16_t w = s46_get16(ic);
    ic[0] = 0; /* echo reply */
    s46_csum_replace16(ic + 2, w, s46_get16(ic));
}

void s46_icmp6_echo_reply(s46_pkt *p, const s46_l3 *l3)
{
    uint8_t *h = p->data, t[16];
    memcpy(t, h + 8, 16);
    memcpy(h + 8, h + 24, 16);
    memcpy(h + 24, t, 16); /* the pseudo-header sum is unchanged */
    h[7] = 64;
    uint8_t *ic = h + l3->l3_len;
    uint16_t w = s46_get16(ic);
    ic[0] = 129;
    s46_csum_replace16(ic + 2, w, s46_get16(ic));
}

bool s46_ratelimit_take(s46_ratelimit *r, uint64_t now_ns)
{
    if (r->per_sec == 0)
        return true;
    uint64_t gap = 1000000000ull / r->per_sec;
    if (now_ns - r->last_ns >= gap) {
        uint64_t add = (now_ns - r->last_ns) / gap;
        r->tokens = add + r->tokens > r->burst ? r->burst : (uint32_t)(r->tokens + add);
        r->last_ns = now_ns;
    }
    if (r->tokens == 0)
        return false;
    r->tokens--;
    return true;
}

s46_icmp_outcome s46_icmp4_error_replace(s46_pkt *p, const s46_l3 *l3, s46_pkt *scratch,
                                         s46_ratelimit *rl, uint32_t src, uint8_t type,
                                         uint8_t code, uint32_t extra, uint64_t now_ns)
{
    if (!s46_icmp4_may_error(p->data, l3))
        return S46_ICMP_NOT_ALLOWED;
    if (!s46_ratelimit_take(rl, now_ns))
        return S46_ICMP_RATELIMITED;
    if (s46_icmp4_error(scratch, src, type, code, extra, p->data, p->len) < 0)
        return S46_ICMP_NOT_ALLOWED;
    s46_pkt_reset(p);
    memcpy(p->data, scratch->data, scratch->len);
    p->len = scratch->len;
    return S46_ICMP_SENT;
}
