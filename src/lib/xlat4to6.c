/* RFC 7915 §4: IPv4 into IPv6 (xlat.h). */
#include <string.h>

#include "lib/xlat.h"
#include "lib/xlat_plan.h"

/* An unexpired loose or strict source route among the options (RFC 7915
 * §4.1): its pointer still inside the option. */
bool s46_xlat_source_route(const uint8_t *o, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t t = o[i];
        if (t == 0)
            break;
        if (t == 1) {
            i++;
            continue;
        }
        if (i + 1 >= len || o[i + 1] < 2 || i + o[i + 1] > len)
            break;
        if ((t == 131 || t == 137) && o[i + 1] >= 3 && o[i + 2] <= o[i + 1])
            return true;
        i += o[i + 1];
    }
    return false;
}

/* A source no router forwards (RFC 1812 §5.3.7: 0/8, 127/8, multicast and
 * class E), dropped (§4.1) unless the packet is an ICMP error, whose source
 * is kept for troubleshooting. */
static bool illegal_source(const uint8_t *ip, unsigned ihl, size_t len)
{
    uint8_t a = ip[12];
    if (a != 0 && a != 127 && a < 224)
        return false;
    bool first = (s46_get16(ip + 6) & 0x1fff) == 0;
    if (ip[9] == S46_XLAT_ICMP4 && first && len > ihl) {
        uint8_t t = ip[ihl];
        if (t == 3 || t == 11 || t == 12)
            return false;
    }
    return true;
}

/* An address of the header at depth (dst: its destination) into IPv6. */
static bool map46(const s46_xlat *x, uint32_t a, bool dst, unsigned depth, s46_ip6 *o)
{
    if (depth & 1)
        dst = !dst;
    const s46_ip6 *f = dst ? x->fix_dst6 : x->fix_src6;
    if (f && a == (dst ? x->fix_dst4 : x->fix_src4)) {
        *o = *f;
        return true;
    }
    return x->to6(x->arg, a, o);
}

/* One IPv4 header at in (avail bytes there) and what follows it that
 * changes, planned into pl; *consumed: the bytes of in its new headers
 * replace. depth 0 is the packet, 1 the quote of an ICMP error. */
static s46_xlat_res level(s46_xlat *x, s46_xplan *pl, uint8_t *in, size_t avail, unsigned depth,
                          size_t *consumed)
{
    s46_xlat_res bad = depth ? S46_XR_QUOTE : S46_XR_MALFORMED;
    if (avail < 20 || in[0] >> 4 != 4)
        return bad;
    unsigned ihl = (in[0] & 15) * 4u;
    uint16_t total = s46_get16(in + 2);
    if (ihl < 20 || avail < ihl || total < ihl)
        return bad;
    uint16_t ff = s46_get16(in + 6);
    bool frag = (ff & 0x3fff) != 0, first = (ff & 0x1fff) == 0;
    uint8_t proto = in[9], nh = proto == S46_XLAT_ICMP4 ? 58 : proto;
    s46_ip6 s6, d6;
    if (!map46(x, s46_get32(in + 12), false, depth, &s6) ||
        !map46(x, s46_get32(in + 16), true, depth, &d6))
        return depth ? S46_XR_QUOTE : S46_XR_NO_MAPPING;
    size_t at = pl->hlen, hl = frag ? 48 : 40;
    if (at + hl + 8 > sizeof pl->h)
        return S46_XR_QUOTE;
    uint8_t *h = pl->h + at;
    uint32_t plen = total - ihl;
    s46_put32(h, 0x60000000u | (uint32_t)(x->tos_zero ? 0 : in[1]) << 20);
    s46_put16(h + 4, (uint16_t)(plen + (frag ? 8 : 0)));
    h[6] = frag ? 44 : nh;
    h[7] = depth == 0 && x->ttl_decrement ? (uint8_t)(in[8] - 1) : in[8];
    memcpy(h + 8, s6.b, 16);
    memcpy(h + 24, d6.b, 16);
    if (frag) {
        h[40] = nh;
        h[41] = 0;
        s46_put16(h + 42, (uint16_t)((ff & 0x1fff) << 3 | ((ff >> 13) & 1)));
        s46_put32(h + 44, s46_get16(in + 4));
    }
    pl->hlen += hl;
    *consumed = ihl;
    uint8_t *l4 = in + ihl;
    size_t l4a = avail - ihl;
    if (proto == 6 || proto == 17) {
        size_t co = proto == 6 ? 16 : 6;
        if (!first || l4a < co + 2)
            return S46_XR_OK; /* no checksum here */
        uint8_t *ck = l4 + co;
        if (proto == 17 && s46_get16(ck) == 0) {
            if (depth)
                return S46_XR_OK;
            if (frag || x->udp_zero_drop)
                return S46_XR_UDP_ZERO;
            pl->udp_full = true;
            return S46_XR_OK;
        }
        uint32_t plus = s46_csum_add(s46_csum_add(0, s6.b, 16), d6.b, 16);
        if (!s46_xfix_add(pl, ck, s46_csum_add(0, in + 12, 8), plus, proto == 17, NULL, 0))
            return S46_XR_QUOTE;
        return S46_XR_OK;
    }
    if (proto == 2 && depth == 0)
        return S46_XR_ICMP_TYPE; /* IGMP: single-hop, not translated (§4.2) */
    if (proto != S46_XLAT_ICMP4)
        return S46_XR_OK;
    if (depth == 0 && frag)
        return S46_XR_ICMP_FRAGMENT;
    if (!first)
        return S46_XR_OK;
    if (l4a < (depth ? 4u : 8u))
        return depth ? S46_XR_OK : S46_XR_MALFORMED;
    uint8_t t = l4[0], c = l4[1];
    if (t == 8 || t == 0) { /* echo request, reply */
        uint8_t nt = t == 8 ? 128 : 129;
        uint32_t plus = (uint32_t)(nt << 8 | c) + s46_csum_pseudo6(s6.b, d6.b, 58, plen);
        if (!s46_xfix_add(pl, l4 + 2, (uint32_t)(t << 8 | c), plus, false, l4, nt))
            return S46_XR_QUOTE;
        return S46_XR_OK;
    }
    /* a quote holding anything but echo would need a second embedded header
     * translated: refused (§4.3) */
    if (depth)
        return S46_XR_QUOTE;
    uint8_t t6, c6;
    uint32_t w6;
    uint16_t qlen = l4a >= 12 ? s46_get16(l4 + 10) : 0;
    if (!s46_xlat_icmp4to6(x, t, c, s46_get32(l4 + 4), qlen, &t6, &c6, &w6))
        return S46_XR_ICMP_TYPE;
    /* an error: its header and its quote */
    size_t eat = s46_xplan_icmp_error(pl, t6, c6, w6, depth, at);
    size_t qc;
    if (level(x, pl, l4 + 8, l4a - 8, depth + 1, &qc) != S46_XR_OK)
        return S46_XR_QUOTE;
    *consumed = ihl + 8 + qc;
    /* the message grew by what its quote's headers did */
    size_t grown = pl->hlen - (eat + 8) - qc;
    s46_put16(h + 4, (uint16_t)(s46_get16(h + 4) + grown));
    return S46_XR_OK;
}

s46_xlat_res s46_xlat_4to6(s46_xlat *x, s46_pkt *p, s46_xlat_info *info)
{
    memset(info, 0, sizeof *info);
    uint8_t *ip = p->data;
    size_t len = p->len;
    if (len < 20 || ip[0] >> 4 != 4)
        return S46_XR_MALFORMED;
    unsigned ihl = (ip[0] & 15) * 4u;
    if (ihl < 20 || ihl > len)
        return S46_XR_MALFORMED;
    if (x->ttl_decrement && ip[8] <= 1) {
        info->type = 11;
        return S46_XR_TTL;
    }
    if (illegal_source(ip, ihl, len))
        return S46_XR_NO_MAPPING;
    if (ihl > 20 && s46_xlat_source_route(ip + 20, ihl - 20)) {
        info->type = 3;
        info->code = 5;
        return S46_XR_SRC_ROUTE;
    }
    s46_xplan pl;
    pl.hlen = pl.nfx = 0;
    pl.err_at = pl.in_ip_at = pl.in_err_at = 0;
    pl.udp_full = false;
    size_t consumed;
    s46_xlat_res r = level(x, &pl, ip, len, 0, &consumed);
    if (r != S46_XR_OK)
        return r;
    uint16_t ff = s46_get16(ip + 6);
    size_t nlen = pl.hlen + len - consumed;
    if (pl.err_at) {
        if (nlen > 1280)
            nlen = 1280;
    } else if (ff & 0x4000) {
        if (nlen > x->mtu6) {
            /* the largest IPv4 packet that fits: 20 bytes less, 28 for a
             * fragment, which takes a Fragment header */
            info->type = 3;
            info->code = 4;
            info->extra = x->mtu6 - 20u - (ff & 0x3fff ? 8u : 0u);
            return S46_XR_TOO_BIG;
        }
    } else {
        /* DF clear: IPv6 fragments no bigger than the network's lowest IPv6
         * MTU (§4, §4.1) nor the next hop's */
        unsigned lim = s46_xlat_lowest6(x);
        if (lim > x->mtu6)
            lim = x->mtu6;
        if (nlen > lim) {
            info->frag_after = true;
            info->frag_mtu = (uint16_t)lim;
            info->frag_id = s46_get16(ip + 4);
        }
    }
    uint8_t *tail = ip + consumed, *ns = tail - pl.hlen;
    if (ns < p->buf)
        return S46_XR_NO_ROOM;
    s46_xfix_apply(&pl);
    memcpy(ns, pl.h, pl.hlen);
    p->data = ns;
    p->len = (uint32_t)nlen;
    uint32_t plen = (uint32_t)nlen - 40;
    if (pl.err_at) {
        s46_put16(ns + 4, (uint16_t)plen);
        if (pl.in_err_at) { /* the quoted error's checksum over what is here */
            uint8_t *qi = ns + pl.in_ip_at, *qe = ns + pl.in_err_at;
            uint32_t qlen = s46_get16(qi + 4) - (qi[6] == 44 ? 8u : 0u);
            s46_put16(qe + 2, 0);
            s46_put16(qe + 2, s46_xsum(s46_csum_pseudo6(qi + 8, qi + 24, 58, qlen), qe,
                                       (size_t)(ns + nlen - qe)));
        }
        uint8_t *e = ns + pl.err_at;
        s46_put16(e + 2, 0);
        s46_put16(e + 2, s46_xsum(s46_csum_pseudo6(ns + 8, ns + 24, 58, plen), e, plen));
    }
    if (pl.udp_full) {
        uint8_t *u = ns + 40;
        s46_put16(u + 6, 0);
        uint16_t v = s46_xsum(s46_csum_pseudo6(ns + 8, ns + 24, 17, plen), u, plen);
        s46_put16(u + 6, v ? v : 0xffff);
    }
    return S46_XR_OK;
}
