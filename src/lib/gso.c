#include "lib/gso.h"

#include <string.h>

#include "lib/csum.h"
#include "lib/parse.h"

#define IPPROTO_IPIP_ 4
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17

const char *s46_gso_strerror(int r)
{
#define S46_GSO_TEXT(n, d) \
    case -S46_GSO_E##n: return d;
    switch (r) {
        S46_GSO_ERRORS(S46_GSO_TEXT)
    default: return "";
    }
#undef S46_GSO_TEXT
}

/* The offset of the upper-layer header after an IPv6 header and its
 * extension headers (hop-by-hop, routing with no segments left,
 * destination options); *proto gets its protocol. -S46_GSO_E* otherwise. */
static int ipv6_l4(const uint8_t *d, uint32_t len, uint8_t *proto)
{
    uint32_t off = 40;
    uint8_t nh = d[6];
    for (int i = 0; i < 8; i++) {
        if (nh == IPPROTO_TCP_ || nh == IPPROTO_UDP_ || nh == IPPROTO_IPIP_) {
            *proto = nh;
            return (int)off;
        }
        if (nh == 44)
            return -S46_GSO_EFRAG;
        if (nh != 0 && nh != 43 && nh != 60)
            return -S46_GSO_ETYPE;
        if (nh == 0 && off != 40) /* hop-by-hop comes first or not at all */
            return -S46_GSO_ETYPE;
        if (off + 8 > len)
            return -S46_GSO_ETRUNC;
        /* the pseudo-header would need the final destination */
        if (nh == 43 && d[off + 3] != 0)
            return -S46_GSO_ETYPE;
        nh = d[off];
        off += (uint32_t)(d[off + 1] + 1) * 8;
    }
    return -S46_GSO_ETYPE;
}

int s46_gso_begin(s46_gso *g, const s46_pkt *sp)
{
    memset(g, 0, sizeof *g);
    const uint8_t *d = sp->data;
    uint32_t len = sp->len;
    if (sp->gso_size == 0)
        return -S46_GSO_ENOSIZE;
    if (sp->gso_type != S46_GSO_TCP4 && sp->gso_type != S46_GSO_TCP6 &&
        sp->gso_type != S46_GSO_UDP_L4)
        return -S46_GSO_ETYPE;
    if (len < 20 || !d)
        return -S46_GSO_ETRUNC;
    uint8_t proto;
    uint32_t l4off = 0, inner = 0;
    if (d[0] >> 4 == 6) {
        if (len < 40)
            return -S46_GSO_ETRUNC;
        if ((uint32_t)s46_get16(d + 4) + 40 != len)
            return -S46_GSO_ELEN;
        int r = ipv6_l4(d, len, &proto);
        if (r < 0)
            return r;
        if (proto == IPPROTO_IPIP_) { /* IPv4-in-IPv6: cut the inner packet */
            inner = (uint32_t)r;
            if (sp->gso_type == S46_GSO_TCP6)
                return -S46_GSO_ETYPE;
        } else {
            l4off = (uint32_t)r;
            if (sp->gso_type == S46_GSO_TCP4)
                return -S46_GSO_ETYPE;
            g->v6 = 1;
        }
    } else if (d[0] >> 4 != 4) {
        return -S46_GSO_ETYPE;
    }
    if (d[0] >> 4 == 4 || inner) {
        const uint8_t *ip = d + inner;
        uint32_t ilen = len - inner;
        if (ilen < 20 || ip[0] >> 4 != 4)
            return ilen < 20 ? -S46_GSO_ETRUNC : -S46_GSO_ETYPE;
        uint32_t ihl = (uint32_t)(ip[0] & 15) * 4;
        if (ihl < 20 || ihl > ilen)
            return -S46_GSO_ETRUNC;
        if (s46_get16(ip + 2) != ilen)
            return -S46_GSO_ELEN;
        if (s46_get16(ip + 6) & 0x3fff) /* MF or a fragment offset */
            return -S46_GSO_EFRAG;
        proto = ip[9];
        if (sp->gso_type == S46_GSO_TCP6)
            return -S46_GSO_ETYPE;
        l4off = inner + ihl;
    }
    uint32_t hdrlen;
    if (sp->gso_type == S46_GSO_UDP_L4) {
        if (proto != IPPROTO_UDP_)
            return -S46_GSO_ETYPE;
        hdrlen = l4off + 8;
    } else {
        if (proto != IPPROTO_TCP_)
            return -S46_GSO_ETYPE;
        if (l4off + 20 > len)
            return -S46_GSO_ETRUNC;
        uint32_t doff = (uint32_t)(d[l4off + 12] >> 4) * 4;
        if (doff < 20)
            return -S46_GSO_ETRUNC;
        hdrlen = l4off + doff;
    }
    if (hdrlen >= len) /* also: no payload */
        return -S46_GSO_ETRUNC;
    if (hdrlen + sp->gso_size > S46_PKT_MAXDATA)
        return -S46_GSO_EBIG;
    g->data = d;
    g->len = len;
    g->l4off = (uint16_t)l4off;
    g->hdrlen = (uint16_t)hdrlen;
    g->mss = sp->gso_size;
    g->type = sp->gso_type;
    g->inner = (uint16_t)inner;
    g->count = (len - hdrlen + sp->gso_size - 1) / sp->gso_size;
    g->in_port = sp->in_port;
    g->ts_ns = sp->ts_ns;
    return 0;
}

/* Builds segment g->index into p. */
static void make_segment(s46_gso *g, s46_pkt *p)
{
    uint32_t payload = g->len - g->hdrlen;
    uint32_t seg = payload - g->off < g->mss ? payload - g->off : g->mss;
    uint8_t *d = p->data;
    uint32_t l4off = g->l4off, n = g->hdrlen + seg;
    memcpy(d, g->data, g->hdrlen);
    memcpy(d + g->hdrlen, g->data + g->hdrlen + g->off, seg);
    p->len = n;
    p->in_port = g->in_port;
    p->ts_ns = g->ts_ns;
    uint32_t l4len = n - l4off;
    uint32_t sum;
    if (g->inner) /* the outer IPv6 header's payload length */
        s46_put16(d + 4, (uint16_t)(n - 40));
    if (g->v6) {
        s46_put16(d + 4, (uint16_t)(n - 40));
        sum = s46_csum_pseudo6(d + 8, d + 24, g->type == S46_GSO_UDP_L4 ? IPPROTO_UDP_ : IPPROTO_TCP_,
                               l4len);
    } else {
        uint8_t *ip = d + g->inner;
        uint32_t ihl = l4off - g->inner;
        s46_put16(ip + 2, (uint16_t)(n - g->inner));
        s46_put16(ip + 4, (uint16_t)(s46_get16(g->data + g->inner + 4) + g->index));
        s46_put16(ip + 10, 0);
        s46_put16(ip + 10, s46_csum_fold(s46_csum_add(0, ip, ihl)));
        sum = s46_csum_pseudo4(ip + 12, ip + 16, g->type == S46_GSO_UDP_L4 ? IPPROTO_UDP_ : IPPROTO_TCP_,
                               l4len);
    }
    uint8_t *l4 = d + l4off;
    uint8_t *field;
    if (g->type == S46_GSO_UDP_L4) {
        s46_put16(l4 + 4, (uint16_t)l4len);
        field = l4 + 6;
    } else {
        s46_put32(l4 + 4, s46_get32(g->data + l4off + 4) + g->off);
        if (g->index + 1 < g->count)
            l4[13] &= (uint8_t)~0x09; /* FIN, PSH: last segment only */
        if (g->index > 0)
            l4[13] &= (uint8_t)~0x80; /* CWR: first segment only */
        field = l4 + 16;
    }
    s46_put16(field, 0);
    uint16_t c = s46_csum_fold(s46_csum_add(sum, l4, l4len));
    if (c == 0 && g->type == S46_GSO_UDP_L4)
        c = 0xffff; /* UDP: zero means "no checksum" */
    s46_put16(field, c);
    g->off += seg;
    g->index++;
}

uint32_t s46_gso_next(s46_gso *g, s46_pktpool *pool, s46_pkt **out, uint32_t max)
{
    uint32_t n = 0;
    while (n < max && g->index < g->count) {
        s46_pkt *p = s46_pkt_alloc(pool);
        if (!p)
            break;
        make_segment(g, p);
        out[n++] = p;
    }
    return n;
}

uint32_t s46_gso_next_batch(s46_gso *g, s46_pktpool *pool, s46_batch *b)
{
    if (b->count >= S46_BATCH_MAX)
        return 0;
    uint32_t n = s46_gso_next(g, pool, b->pkts + b->count, S46_BATCH_MAX - b->count);
    b->count += n;
    return n;
}

int s46_gso_segment(const s46_pkt *sp, s46_pktpool *pool, s46_pkt **out, uint32_t max)
{
    s46_gso g;
    int r = s46_gso_begin(&g, sp);
    if (r < 0)
        return r;
    if (g.count > max || g.count > s46_pktpool_available(pool))
        return -S46_GSO_ESPACE;
    return (int)s46_gso_next(&g, pool, out, g.count);
}

int s46_csum_complete(s46_pkt *p)
{
    if (!p->csum_partial)
        return 0;
    uint32_t start = p->csum_start, field = start + p->csum_off;
    if (field + 2 > p->len)
        return -1;
    uint16_t c = s46_csum_fold(s46_csum_add(0, p->data + start, p->len - start));
    /* as the kernel does: a computed 0 is sent as its equivalent 0xffff,
     * which also keeps a UDP checksum from meaning "none" */
    s46_put16(p->data + field, c ? c : 0xffff);
    p->csum_partial = false;
    return 0;
}

/* Writes the checksum of the TCP (field at 16) or UDP (6) segment at l4. */
static void fill(uint8_t *d, bool v4, uint8_t proto, uint8_t *l4, uint32_t l4len, unsigned at)
{
    s46_put16(l4 + at, 0);
    uint32_t sum = v4 ? s46_csum_pseudo4(d + 12, d + 16, proto, l4len)
                      : s46_csum_pseudo6(d + 8, d + 24, proto, l4len);
    uint16_t c = s46_csum_fold(s46_csum_add(sum, l4, l4len));
    s46_put16(l4 + at, proto == S46_PROTO_UDP && c == 0 ? 0xffff : c);
}

bool s46_csum_fill(s46_pkt *p)
{
    s46_l3 l3;
    uint8_t *d = p->data;
    bool v4 = (d[0] >> 4) == 4;
    if ((v4 ? s46_parse_ipv4(d, p->len, &l3) : s46_parse_ipv6(d, p->len, &l3)) < 0 ||
        l3.is_fragment)
        return false;
    unsigned at = l3.proto == S46_PROTO_TCP ? 16 : l3.proto == S46_PROTO_UDP ? 6 : 0;
    if (!at || l3.l4_len < at + 2)
        return false;
    fill(d, v4, l3.proto, d + l3.l3_len, l3.l4_len, at);
    return true;
}

bool s46_csum_fill_partial(s46_pkt *p)
{
    uint8_t *d = p->data;
    uint32_t len = p->len, hl, l4len;
    uint8_t proto;
    bool v4;
    if (len < 28)
        return false;
    if ((d[0] >> 4) == 4) {
        hl = (d[0] & 15u) * 4u;
        uint32_t tot = s46_get16(d + 2);
        if (hl < 20 || tot > len || tot < hl || (s46_get16(d + 6) & 0x3fff))
            return false;
        proto = d[9];
        l4len = tot - hl;
        v4 = true;
    } else if ((d[0] >> 4) == 6 && len >= 48) {
        hl = 40;
        l4len = s46_get16(d + 4);
        if (40 + l4len > len)
            return false;
        proto = d[6];
        v4 = false;
    } else {
        return false;
    }
    unsigned at = proto == S46_PROTO_TCP ? 16 : proto == S46_PROTO_UDP ? 6 : 0;
    if (!at || l4len < at + 2u)
        return false;
    uint8_t *l4 = d + hl;
    uint32_t ps = v4 ? s46_csum_pseudo4(d + 12, d + 16, proto, l4len)
                     : s46_csum_pseudo6(d + 8, d + 24, proto, l4len);
    uint16_t partial = (uint16_t)~s46_csum_fold(ps);
    if (s46_get16(l4 + at) != partial)
        return false;
    fill(d, v4, proto, l4, l4len, at);
    return true;
}
