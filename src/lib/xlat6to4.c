/* RFC 7915 §5: IPv6 into IPv4 (xlat.h). */
#include <string.h>

#include "lib/xlat.h"
#include "lib/xlat_plan.h"

/* IPv6 extension headers (RFC 8200 §4, the IANA list): Hop-by-Hop,
 * Routing, Fragment, AH, Destination Options, Mobility, HIP, Shim6 and the
 * two experimental values. ESP (50) is left out as §5.1 says. */
static bool ext_header(uint8_t nh)
{
    return nh == 0 || nh == 43 || nh == 44 || nh == 51 || nh == 60 || nh == 135 || nh == 139 ||
           nh == 140 || nh == 253 || nh == 254;
}

/* ::, ::1 and multicast: sources no translator forwards (§5.1). */
static bool illegal_source(const uint8_t *a)
{
    if (a[0] == 0xff)
        return true;
    for (int i = 0; i < 15; i++)
        if (a[i])
            return false;
    return a[15] <= 1;
}

/* An address of the header at depth (dst: its destination) into IPv4. */
static bool map64(const s46_xlat *x, const s46_ip6 *a, bool dst, unsigned depth, uint32_t *o)
{
    if (depth & 1)
        dst = !dst;
    const s46_ip6 *f = dst ? x->fix_dst6 : x->fix_src6;
    if (f && s46_ip6_eq(a, f)) {
        *o = dst ? x->fix_dst4 : x->fix_src4;
        return true;
    }
    return x->to4(x->arg, a, o);
}

/* One IPv6 header chain at in (avail bytes there) and what follows it that
 * changes, planned into pl (see xlat4to6.c). */
static s46_xlat_res level(s46_xlat *x, s46_xplan *pl, uint8_t *in, size_t avail, unsigned depth,
                          size_t *consumed, s46_xlat_info *info)
{
    s46_xlat_res bad = depth ? S46_XR_QUOTE : S46_XR_MALFORMED;
    if (avail < 40 || in[0] >> 4 != 6)
        return bad;
    uint16_t plen = s46_get16(in + 4);
    size_t off = 40, fo = 0;
    uint8_t nh = in[6];
    unsigned n = 0;
    while (nh == 0 || nh == 60 || nh == 43 || nh == 44) {
        if (++n > 8 || avail < off + 8)
            return bad;
        if (nh == 44) {
            if (fo)
                return bad;
            fo = off;
            nh = in[off];
            off += 8;
            if (ext_header(nh)) /* §5.1: dropped (ESP is not one here) */
                return bad;
            continue;
        }
        if (nh == 43 && in[off + 3] != 0 && depth == 0) {
            info->type = 4;
            info->code = 0;
            info->extra = (uint32_t)off + 3;
            return S46_XR_SEG_LEFT;
        }
        size_t hl = (in[off + 1] + 1u) * 8u;
        if (avail < off + hl)
            return bad;
        nh = in[off];
        off += hl;
    }
    if (off - 40 > plen)
        return bad;
    uint32_t ulen = plen - (uint32_t)(off - 40);
    uint8_t *l4 = in + off;
    size_t l4a = avail - off;
    bool first = !fo || (s46_get16(in + fo + 2) & 0xfff8) == 0;
    s46_ip6 s6, d6;
    memcpy(s6.b, in + 8, 16);
    memcpy(d6.b, in + 24, 16);
    uint32_t s4, d4;
    if (!map64(x, &d6, true, depth, &d4))
        return depth ? S46_XR_QUOTE : S46_XR_NO_MAPPING;
    if (!map64(x, &s6, false, depth, &s4)) {
        /* RFC 6791: an ICMPv6 error from an address with no mapping */
        if (depth || !x->rfc6791_src || nh != 58 || !first || l4a < 1 || l4[0] >= 128)
            return depth ? S46_XR_QUOTE : S46_XR_NO_MAPPING;
        s4 = x->rfc6791_src;
    }
    size_t at = pl->hlen;
    if (at + 28 > sizeof pl->h)
        return S46_XR_QUOTE;
    uint8_t *h = pl->h + at;
    uint32_t total = 20 + ulen;
    uint16_t id = 0, ff = 0;
    if (fo) {
        uint16_t f = s46_get16(in + fo + 2);
        ff = (uint16_t)((f >> 3) | (f & 1 ? 0x2000 : 0));
        id = (uint16_t)s46_get32(in + fo + 4);
    } else {
        if (total > 1260) /* §5.1: DF clear up to 1260 bytes, set above */
            ff = 0x4000;
        if (depth == 0) /* §5.1: every unfragmented packet gets an id */
            id = x->next_id++;
    }
    h[0] = 0x45;
    h[1] = x->tos_zero ? 0 : (uint8_t)((in[0] & 15) << 4 | in[1] >> 4);
    s46_put16(h + 2, (uint16_t)total);
    s46_put16(h + 4, id);
    s46_put16(h + 6, ff);
    h[8] = depth == 0 && x->ttl_decrement ? (uint8_t)(in[7] - 1) : in[7];
    h[9] = nh == 58 ? S46_XLAT_ICMP4 : nh;
    s46_put16(h + 10, 0);
    s46_put32(h + 12, s4);
    s46_put32(h + 16, d4);
    pl->hlen += 20;
    *consumed = off;
    s46_xlat_res r = S46_XR_OK;
    if (nh == 6 || nh == 17) {
        size_t co = nh == 6 ? 16 : 6;
        if (first && l4a >= co + 2) {
            uint8_t *ck = l4 + co;
            if (nh == 17 && s46_get16(ck) == 0) {
                if (!depth)
                    return S46_XR_UDP_ZERO;
            } else {
                uint32_t minus = s46_csum_add(s46_csum_add(0, s6.b, 16), d6.b, 16);
                if (!s46_xfix_add(pl, ck, minus, s46_csum_add(0, h + 12, 8), nh == 17, NULL, 0))
                    return S46_XR_QUOTE;
            }
        }
    } else if (nh == 58) {
        if (depth == 0 && fo)
            return S46_XR_ICMP_FRAGMENT;
        if (!first || l4a < (depth ? 4u : 8u))
            return depth ? S46_XR_OK : bad; /* a quote cut before its ICMPv6 header */
        uint8_t t = l4[0], c = l4[1], t4, c4;
        uint32_t w4;
        if (t == 128 || t == 129) {
            uint8_t nt = t == 128 ? 8 : 0;
            uint32_t minus = (uint32_t)(t << 8 | c) + s46_csum_pseudo6(s6.b, d6.b, 58, ulen);
            if (!s46_xfix_add(pl, l4 + 2, minus, (uint32_t)(nt << 8 | c), false, l4, nt))
                return S46_XR_QUOTE;
        } else if (depth) {
            /* anything but echo in a quote would need a second embedded
             * header translated: refused (§5.3) */
            return S46_XR_QUOTE;
        } else if (s46_xlat_icmp6to4(x, t, c, s46_get32(l4 + 4), l4a >= 15 && l4[8 + 6] == 44,
                                     &t4, &c4, &w4)) {
            size_t eat = s46_xplan_icmp_error(pl, t4, c4, w4, depth, at);
            size_t qc;
            if (level(x, pl, l4 + 8, l4a - 8, depth + 1, &qc, info) != S46_XR_OK)
                return S46_XR_QUOTE;
            *consumed = off + 8 + qc;
            size_t shrunk = qc - (pl->hlen - (eat + 8));
            total -= (uint32_t)shrunk;
            s46_put16(h + 2, (uint16_t)total);
        } else {
            r = S46_XR_ICMP_TYPE;
        }
        if (r != S46_XR_OK)
            return r;
    }
    s46_put16(h + 10, s46_xsum(0, h, 20));
    return S46_XR_OK;
}

s46_xlat_res s46_xlat_6to4(s46_xlat *x, s46_pkt *p, s46_xlat_info *info)
{
    memset(info, 0, sizeof *info);
    uint8_t *ip = p->data;
    size_t len = p->len;
    if (len < 40 || ip[0] >> 4 != 6)
        return S46_XR_MALFORMED;
    if (illegal_source(ip + 8))
        return S46_XR_NO_MAPPING;
    if (x->ttl_decrement && ip[7] <= 1) {
        info->type = 3;
        return S46_XR_TTL;
    }
    s46_xplan pl;
    pl.hlen = pl.nfx = 0;
    pl.err_at = pl.in_ip_at = pl.in_err_at = 0;
    pl.udp_full = false;
    size_t consumed;
    uint16_t next_id = x->next_id;
    s46_xlat_res r = level(x, &pl, ip, len, 0, &consumed, info);
    if (r != S46_XR_OK) {
        x->next_id = next_id;
        return r;
    }
    size_t nlen = pl.hlen + len - consumed;
    if (nlen > x->mtu4) {
        if (pl.err_at) {
            nlen = x->mtu4;
        } else if (!(pl.h[6] & 0x40)) {
            /* DF clear (a fragment, or 1260 bytes at most): the translator
             * is the IPv4 router that fragments it (§5) */
            info->frag_after = true;
            info->frag_mtu = x->mtu4;
        } else {
            /* DF set, no Fragment header: Packet Too Big, never below the
             * IPv6 minimum (§5): a 1280-byte packet leaves DF clear */
            x->next_id = next_id;
            info->type = 2;
            info->extra = x->mtu4 + 20u < 1280u ? 1280u : x->mtu4 + 20u;
            return S46_XR_TOO_BIG;
        }
    }
    s46_xfix_apply(&pl);
    uint8_t *ns = ip + consumed - pl.hlen;
    memcpy(ns, pl.h, pl.hlen);
    p->data = ns;
    p->len = (uint32_t)nlen;
    if (pl.err_at) {
        s46_put16(ns + 2, (uint16_t)nlen);
        s46_put16(ns + 10, 0);
        s46_put16(ns + 10, s46_xsum(0, ns, 20));
        if (pl.in_err_at) {
            uint8_t *qe = ns + pl.in_err_at;
            s46_put16(qe + 2, 0);
            s46_put16(qe + 2, s46_xsum(0, qe, (size_t)(ns + nlen - qe)));
        }
        uint8_t *e = ns + pl.err_at;
        s46_put16(e + 2, 0);
        s46_put16(e + 2, s46_xsum(0, e, nlen - 20));
    }
    return S46_XR_OK;
}
