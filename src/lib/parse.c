#include "lib/parse.h"
#include "lib/csum.h"

int s46_parse_ipv4(const uint8_t *p, size_t len, s46_l3 *o)
{
    if (len < 20)
        return S46_PERR_SHORT;
    if (p[0] >> 4 != 4)
        return S46_PERR_VERSION;
    unsigned ihl = (p[0] & 15u) * 4;
    unsigned tot = s46_get16(p + 2);
    if (ihl < 20 || tot < ihl)
        return S46_PERR_HDRLEN;
    if (len < tot || len < ihl)
        return S46_PERR_SHORT;
    /* most headers have no options: a fixed-length sum, unrolled */
    if (ihl == 20 ? !s46_csum_ok20(p) : !s46_csum_ok(p, ihl))
        return S46_PERR_CSUM;
    o->l3_len = (uint16_t)ihl;
    o->l4_len = (uint16_t)(tot - ihl);
    s46_parse_ipv4_fields(p, o);
    o->frag_hdr = 0;
    o->encap_limit = -1;
    o->rh_off = 0;
    o->tcp_flags = 0;
    s46_parse_l4(p + ihl, tot - ihl, false, o);
    return 0;
}

int s46_parse_ipv6(const uint8_t *p, size_t len, s46_l3 *o)
{
    if (len < 40)
        return S46_PERR_SHORT;
    if (p[0] >> 4 != 6)
        return S46_PERR_VERSION;
    size_t tot = 40 + (size_t)s46_get16(p + 4);
    if (len < tot)
        return S46_PERR_SHORT;
    uint8_t nh = p[6];
    size_t off = 40;
    o->ttl = p[7];
    o->is_fragment = false;
    o->first_fragment = true;
    o->df = false;
    o->frag_off = 0;
    o->frag_hdr = 0;
    o->encap_limit = -1;
    o->rh_off = 0;
    o->tcp_flags = 0;
    for (int n = 0;; n++) {
        if (nh != S46_PROTO_HOPOPT && nh != S46_PROTO_ROUTING && nh != S46_PROTO_FRAG &&
            nh != S46_PROTO_DSTOPT)
            break;
        if (n >= 8 || (nh == S46_PROTO_HOPOPT && n != 0))
            return S46_PERR_EXTHDR;
        if (off + 8 > tot)
            return S46_PERR_SHORT;
        size_t hlen;
        if (nh == S46_PROTO_FRAG) {
            if (o->frag_hdr)
                return S46_PERR_EXTHDR;
            uint16_t fo = s46_get16(p + off + 2);
            o->frag_hdr = (uint16_t)off;
            o->frag_off = fo & 0xfff8;
            o->is_fragment = true;
            o->first_fragment = o->frag_off == 0;
            hlen = 8;
        } else {
            hlen = ((size_t)p[off + 1] + 1) * 8;
            if (off + hlen > tot)
                return S46_PERR_SHORT;
            if (nh == S46_PROTO_ROUTING && p[off + 3] != 0 && !o->rh_off)
                o->rh_off = (uint16_t)off;
            if (nh == S46_PROTO_DSTOPT || nh == S46_PROTO_HOPOPT) {
                /* walk the TLV options; note a Tunnel Encapsulation Limit */
                for (size_t i = off + 2; i < off + hlen;) {
                    uint8_t t = p[i];
                    if (t == 0) { /* Pad1 */
                        i++;
                        continue;
                    }
                    if (i + 2 > off + hlen || i + 2 + p[i + 1] > off + hlen)
                        return S46_PERR_EXTHDR;
                    if (t == 4 && nh == S46_PROTO_DSTOPT) {
                        if (p[i + 1] != 1)
                            return S46_PERR_EXTHDR;
                        o->encap_limit = p[i + 2];
                    }
                    i += 2 + (size_t)p[i + 1];
                }
            }
        }
        nh = p[off];
        off += hlen;
        if (!o->first_fragment)
            break; /* a non-first fragment's payload is not headers */
    }
    if (off > tot)
        return S46_PERR_SHORT;
    o->l3_len = (uint16_t)off;
    o->l4_len = (uint16_t)(tot - off);
    o->proto = nh;
    s46_parse_l4(p + off, tot - off, false, o);
    return 0;
}

bool s46_icmp4_is_error(uint8_t t)
{
    return t == 3 || t == 4 || t == 5 || t == 11 || t == 12;
}

bool s46_icmp4_has_id(uint8_t t)
{
    return t == 0 || t == 8 || t == 13 || t == 14;
}

bool s46_icmp6_is_error(uint8_t t)
{
    return t < 128;
}

const char *s46_parse_strerror(int err)
{
    switch (err) {
    case S46_PERR_SHORT: return "truncated";
    case S46_PERR_VERSION: return "bad IP version";
    case S46_PERR_HDRLEN: return "bad header length";
    case S46_PERR_CSUM: return "bad IPv4 header checksum";
    case S46_PERR_EXTHDR: return "bad IPv6 extension header";
    default: return "ok";
    }
}
