#include "lib/coalesce.h"

#include <string.h>

#include "lib/csum.h"

#define PROTO_TCP 6
#define F_FIN 0x01
#define F_PSH 0x08
#define F_ACK 0x10
#define F_ECE 0x40

/* One packet as a candidate member. */
typedef struct seg {
    const uint8_t *d;
    uint32_t len;
    uint16_t l4off, hdrlen;
    uint32_t payload;
    uint8_t v6, flags;
} seg;

/* A TCP segment over IPv4 (DF, no fragment) or IPv6 (TCP right after the
 * fixed header) with payload and verifying checksums. */
static bool parse(const s46_pkt *p, seg *s)
{
    const uint8_t *d = p->data;
    uint32_t len = p->len, l4off;
    if (p->gso_size || p->csum_partial || len < 40)
        return false;
    if (d[0] >> 4 == 4) {
        l4off = (uint32_t)(d[0] & 15) * 4;
        if (l4off < 20 || l4off + 20 > len || s46_get16(d + 2) != len || d[9] != PROTO_TCP ||
            (s46_get16(d + 6) & 0xbfff) != 0 || !(d[6] & 0x40) || !s46_csum_ok(d, l4off))
            return false;
        s->v6 = 0;
    } else if (d[0] >> 4 == 6) {
        l4off = 40;
        if (len < 60 || (uint32_t)s46_get16(d + 4) + 40 != len || d[6] != PROTO_TCP)
            return false;
        s->v6 = 1;
    } else {
        return false;
    }
    const uint8_t *th = d + l4off;
    uint32_t doff = (uint32_t)(th[12] >> 4) * 4;
    if (doff < 20 || l4off + doff >= len)
        return false;
    uint32_t l4len = len - l4off;
    uint32_t sum = s->v6 ? s46_csum_pseudo6(d + 8, d + 24, PROTO_TCP, l4len)
                         : s46_csum_pseudo4(d + 12, d + 16, PROTO_TCP, l4len);
    if (s46_csum_fold(s46_csum_add(sum, th, l4len)) != 0)
        return false;
    s->d = d;
    s->len = len;
    s->l4off = (uint16_t)l4off;
    s->hdrlen = (uint16_t)(l4off + doff);
    s->payload = len - s->hdrlen;
    s->flags = th[13];
    return true;
}

/* Headers equal but for the fields a segmentation sets per segment. */
static bool same_headers(const seg *a, const seg *b)
{
    if (a->v6 != b->v6 || a->hdrlen != b->hdrlen || a->l4off != b->l4off)
        return false;
    const uint8_t *x = a->d, *y = b->d;
    uint32_t l4 = a->l4off;
    if (a->v6) {
        if (memcmp(x, y, 4) || memcmp(x + 6, y + 6, 34))
            return false;
    } else {
        /* version..TOS; flags/offset, TTL, protocol; addresses, options */
        if (memcmp(x, y, 2) || memcmp(x + 6, y + 6, 4) || memcmp(x + 12, y + 12, l4 - 12))
            return false;
    }
    /* ports; acknowledgment, offset; window, urgent pointer, options */
    return !memcmp(x + l4, y + l4, 4) && !memcmp(x + l4 + 8, y + l4 + 8, 5) &&
           !memcmp(x + l4 + 14, y + l4 + 14, 2) &&
           !memcmp(x + l4 + 18, y + l4 + 18, a->hdrlen - l4 - 18);
}

uint32_t s46_coalesce_run(s46_pkt *const *pkts, uint32_t n, uint32_t max, s46_coalesce *c)
{
    memset(c, 0, sizeof *c);
    c->count = 1;
    if (n > max)
        n = max;
    seg f;
    if (n < 2 || !parse(pkts[0], &f))
        return 1;
    /* only plain ACK (and ECE) segments continue; PSH/FIN end a run */
    if ((f.flags & (uint8_t)~F_ECE) != F_ACK)
        return 1;
    uint32_t seq = s46_get32(f.d + f.l4off + 4) + f.payload;
    uint16_t id = f.v6 ? 0 : s46_get16(f.d + 4);
    uint32_t total = f.len, k = 1;
    while (k < n) {
        seg s;
        if (!parse(pkts[k], &s) || !same_headers(&f, &s) || s.payload > f.payload ||
            total + s.payload > S46_COALESCE_MAXLEN ||
            s46_get32(s.d + s.l4off + 4) != seq ||
            (!f.v6 && s46_get16(s.d + 4) != (uint16_t)(id + k)) ||
            (s.flags & (uint8_t)~(F_PSH | F_FIN)) != f.flags)
            break;
        total += s.payload;
        seq += s.payload;
        k++;
        /* a short one, PSH or FIN: the last of the run */
        if (s.payload < f.payload || s.flags != f.flags)
            break;
    }
    if (k < 2)
        return 1;
    c->count = k;
    c->len = total;
    c->l4off = f.l4off;
    c->hdrlen = f.hdrlen;
    c->gso_size = (uint16_t)f.payload;
    c->gso_type = f.v6 ? S46_GSO_TCP6 : S46_GSO_TCP4;
    return k;
}

void s46_coalesce_head(s46_pkt *const *pkts, const s46_coalesce *c)
{
    s46_pkt *p = pkts[0];
    uint8_t *d = p->data, *th = d + c->l4off;
    uint32_t l4len = c->len - c->l4off, sum;
    if (c->gso_type == S46_GSO_TCP4) {
        s46_put16(d + 2, (uint16_t)c->len);
        s46_put16(d + 10, 0);
        s46_put16(d + 10, s46_csum_fold(s46_csum_add(0, d, c->l4off)));
        sum = s46_csum_pseudo4(d + 12, d + 16, PROTO_TCP, l4len);
    } else {
        s46_put16(d + 4, (uint16_t)(c->len - 40));
        sum = s46_csum_pseudo6(d + 8, d + 24, PROTO_TCP, l4len);
    }
    th[13] |= pkts[c->count - 1]->data[c->l4off + 13] & (F_PSH | F_FIN);
    /* partial: the pseudo-header sum, not complemented */
    s46_put16(th + 16, (uint16_t)~s46_csum_fold(sum));
    p->csum_partial = true;
    p->csum_start = c->l4off;
    p->csum_off = 16;
    p->gso_size = c->gso_size;
    p->gso_type = c->gso_type;
}
