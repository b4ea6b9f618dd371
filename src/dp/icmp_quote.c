#include "dp/icmp_quote.h"
#include "lib/csum.h"
#include "lib/icmp.h"

#include <string.h>

static bool parse4(uint8_t *p, size_t avail, s46_l3 *o, size_t *len)
{
    size_t ihl = (p[0] & 15u) * 4, tot = s46_get16(p + 2);
    if (avail < 20 || ihl < 20 || ihl > avail)
        return false;
    /* all that is there, up to the total length unless that is bogus */
    *len = tot >= ihl && tot < avail ? tot : avail;
    o->l3_len = (uint16_t)ihl;
    s46_parse_ipv4_fields(p, o);
    return true;
}

static bool parse6(uint8_t *p, size_t avail, s46_l3 *o, size_t *len)
{
    if (avail < 40)
        return false;
    size_t tot = 40 + (size_t)s46_get16(p + 4), off = 40;
    *len = tot < avail ? tot : avail;
    uint8_t nh = p[6];
    o->ttl = p[7];
    o->first_fragment = true;
    for (int n = 0; o->first_fragment; n++) {
        if (nh != S46_PROTO_HOPOPT && nh != S46_PROTO_ROUTING && nh != S46_PROTO_FRAG &&
            nh != S46_PROTO_DSTOPT)
            break;
        if (n >= 8 || (nh == S46_PROTO_HOPOPT && n != 0) || off + 8 > *len)
            return false;
        size_t hlen = 8;
        if (nh == S46_PROTO_FRAG) {
            o->frag_hdr = (uint16_t)off;
            o->frag_off = s46_get16(p + off + 2) & 0xfff8;
            o->is_fragment = true;
            o->first_fragment = o->frag_off == 0;
        } else {
            hlen = ((size_t)p[off + 1] + 1) * 8;
            if (off + hlen > *len)
                return false;
        }
        nh = p[off];
        off += hlen;
    }
    o->l3_len = (uint16_t)off;
    o->proto = nh;
    return true;
}

bool s46_quote_parse(uint8_t *p, size_t avail, s46_quote *q)
{
    memset(q, 0, sizeof *q);
    q->l3.encap_limit = -1;
    if (avail < 20)
        return false;
    unsigned v = p[0] >> 4;
    if (!(v == 4 ? parse4(p, avail, &q->l3, &q->len) : v == 6 && parse6(p, avail, &q->l3, &q->len)))
        return false;
    q->ip = p;
    q->l3.l4_len = (uint16_t)(q->len - q->l3.l3_len);
    s46_parse_l4(p + q->l3.l3_len, q->l3.l4_len, true, &q->l3);
    return true;
}

bool s46_icmp_quote(uint8_t *ip, const s46_l3 *l3, s46_quote *q)
{
    unsigned v = ip[0] >> 4;
    if (l3->proto != (v == 4 ? S46_PROTO_ICMP : S46_PROTO_ICMPV6) || l3->l4_len < 8 ||
        !l3->first_fragment)
        return false;
    uint8_t *quoted = ip + l3->l3_len + 8;
    return s46_quote_parse(quoted, l3->l4_len - 8u, q) && quoted[0] >> 4 == v;
}

bool s46_quote_inner4(const s46_quote *outer, s46_quote *in)
{
    if (outer->ip[0] >> 4 != 6 || outer->l3.proto != S46_PROTO_IPIP || !outer->l3.first_fragment)
        return false;
    uint8_t *p = outer->ip + outer->l3.l3_len;
    return s46_quote_parse(p, outer->l3.l4_len, in) && p[0] >> 4 == 4;
}

bool s46_quote_may_error4(const s46_quote *q)
{
    s46_l3 l = q->l3;
    if (q->ip[0] >> 4 != 4)
        return false;
    if (l.proto == S46_PROTO_ICMP)
        l.has_ports = l.l4_len >= 1; /* the type tells whether it is an error */
    return s46_icmp4_may_error(q->ip, &l);
}

bool s46_dst_port4(uint8_t *ip, const s46_l3 *l3, uint16_t *port)
{
    bool ported = l3->proto == S46_PROTO_TCP || l3->proto == S46_PROTO_UDP ||
                  l3->proto == S46_PROTO_ICMP;
    if (l3->proto != S46_PROTO_ICMP || !l3->has_ports || !s46_icmp4_is_error(l3->icmp_type)) {
        *port = l3->dport;
        return l3->has_ports || !ported;
    }
    s46_quote q;
    if (!s46_icmp_quote(ip, l3, &q) || memcmp(q.ip + 12, ip + 16, 4) != 0)
        return false;
    /* the quoted packet's ports as for the packet itself: none for other
     * protocols, none readable in a non-first fragment */
    *port = q.l3.sport;
    return q.l3.has_ports || (q.l3.first_fragment && q.l3.proto != S46_PROTO_TCP &&
                              q.l3.proto != S46_PROTO_UDP && q.l3.proto != S46_PROTO_ICMP);
}

static bool ported(uint8_t proto)
{
    return proto == S46_PROTO_TCP || proto == S46_PROTO_UDP || proto == S46_PROTO_ICMP;
}

bool s46_quote_dst_port4(const s46_quote *q, uint16_t *port)
{
    const s46_l3 *l = &q->l3;
    if (q->ip[0] >> 4 != 4 || !l->first_fragment)
        return false;
    if (!ported(l->proto)) {
        *port = 0;
        return true;
    }
    if (!l->has_ports || (l->proto == S46_PROTO_ICMP && !s46_icmp4_has_id(l->icmp_type)))
        return false;
    *port = l->dport;
    return true;
}

s46_sport s46_src_port4(uint8_t *ip, const s46_l3 *l3, uint16_t *port)
{
    if (!l3->first_fragment)
        return S46_SP_NONE;
    if (!ported(l3->proto))
        return S46_SP_PORTLESS;
    if (!l3->has_ports)
        return S46_SP_MALFORMED;
    if (l3->proto == S46_PROTO_ICMP && s46_icmp4_is_error(l3->icmp_type)) {
        /* a subscriber's ICMP error: the quoted packet was sent to its port */
        s46_quote q;
        if (!s46_icmp_quote(ip, l3, &q) || !q.l3.first_fragment || !ported(q.l3.proto) ||
            !q.l3.has_ports)
            return S46_SP_NO_QUOTE;
        *port = q.l3.dport;
        return S46_SP_PORT;
    }
    if (l3->proto == S46_PROTO_ICMP && !s46_icmp4_has_id(l3->icmp_type))
        return S46_SP_PORTLESS;
    *port = l3->sport;
    return S46_SP_PORT;
}
