#include "lib/frag.h"
#include "lib/csum.h"

#include <stdlib.h>
#include <string.h>

int s46_frag6(s46_pkt *p, unsigned mtu, uint32_t id, s46_pktpool *pool, s46_pkt **extra,
              unsigned max)
{
    if (p->len <= mtu)
        return 0;
    if (mtu < 1280 || p->len < 40)
        return -1;
    uint32_t data = p->len - 40;            /* fragmentable part */
    uint32_t chunk = (mtu - 48) & ~7u;      /* per fragment, multiple of 8 */
    unsigned n = (unsigned)((data + chunk - 1) / chunk);
    if (n - 1 > max || s46_pktpool_available(pool) < n - 1)
        return -1;
    uint8_t hdr[48];
    memcpy(hdr, p->data, 40);
    hdr[40] = hdr[6];  /* next header of the fragmentable part */
    hdr[41] = 0;
    hdr[6] = S46_PROTO_FRAG;
    s46_put32(hdr + 44, id);
    const uint8_t *src = p->data + 40;
    for (unsigned i = n; i-- > 1;) {     /* the last ones first: p is rewritten last */
        uint32_t off = i * chunk, len = data - off < chunk ? data - off : chunk;
        s46_pkt *f = s46_pkt_alloc(pool);
        f->ts_ns = p->ts_ns;
        memcpy(f->data, hdr, 48);
        s46_put16(f->data + 4, (uint16_t)(8 + len));
        s46_put16(f->data + 42, (uint16_t)(off | (i + 1 < n ? 1 : 0)));
        memcpy(f->data + 48, src + off, len);
        f->len = 48 + len;
        f->verdict = p->verdict;
        f->out_port = p->out_port;
        extra[i - 1] = f;
    }
    /* the first fragment in place: room for the Fragment header in front */
    s46_pkt_push(p, 8);
    memcpy(p->data, hdr, 48);
    s46_put16(p->data + 4, (uint16_t)(8 + chunk));
    s46_put16(p->data + 42, 1); /* offset 0, M = 1 */
    p->len = 48 + chunk;
    return (int)(n - 1);
}

#define BLOCKS (S46_PKT_MAXDATA / 8 + 1)

typedef struct ctx {
    bool used;
    uint8_t version, proto;
    uint8_t key[36];           /* src, dst (IPv4: 4 + 4; IPv6: 16 + 16), id */
    uint64_t born;
    uint32_t total;            /* payload length once the last fragment came; 0 before */
    uint32_t have;             /* payload bytes received */
    uint16_t hlen;             /* header bytes kept from the first fragment */
    uint8_t hdr[80];           /* IPv4 header (with options) or IPv6 header */
    uint8_t got[BLOCKS / 8 + 1];
    uint8_t data[S46_PKT_MAXDATA];
} ctx;

struct s46_reasm {
    ctx *c;
    unsigned n;
    uint64_t timeout, expired;
};

s46_reasm *s46_reasm_new(unsigned contexts, uint64_t timeout_ns)
{
    s46_reasm *r = calloc(1, sizeof *r);
    if (!r || !(r->c = calloc(contexts ? contexts : 1, sizeof *r->c))) {
        free(r);
        return NULL;
    }
    r->n = contexts ? contexts : 1;
    r->timeout = timeout_ns;
    return r;
}

void s46_reasm_free(s46_reasm *r)
{
    if (r) {
        free(r->c);
        free(r);
    }
}

uint64_t s46_reasm_expired(const s46_reasm *r) { return r->expired; }

static bool test_set(ctx *c, uint32_t from, uint32_t to)
{
    for (uint32_t b = from; b < to; b++)
        if (c->got[b >> 3] & (1u << (b & 7)))
            return true;
    for (uint32_t b = from; b < to; b++)
        c->got[b >> 3] |= (uint8_t)(1u << (b & 7));
    return false;
}

s46_reasm_result s46_reasm_add(s46_reasm *r, s46_pkt *p, const s46_l3 *l3, uint64_t now)
{
    uint8_t key[36], *d = p->data;
    unsigned v = d[0] >> 4, klen, hlen;
    uint32_t off = l3->frag_off, len, m;
    const uint8_t *payload;
    memset(key, 0, sizeof key);
    if (v == 4) {
        memcpy(key, d + 12, 8);
        memcpy(key + 32, d + 4, 2);
        key[34] = d[9];
        klen = 36;
        hlen = l3->l3_len;
        payload = d + hlen;
        len = l3->l4_len;
        m = (s46_get16(d + 6) & 0x2000) != 0;
    } else {
        memcpy(key, d + 8, 32);
        memcpy(key + 32, d + l3->frag_hdr + 4, 4);
        klen = 36;
        hlen = l3->frag_hdr; /* the part before the Fragment header */
        payload = d + l3->frag_hdr + 8;
        len = (uint32_t)(p->len - (l3->frag_hdr + 8u));
        m = s46_get16(d + l3->frag_hdr + 2) & 1;
    }
    if ((m && (len == 0 || len % 8)) || hlen > 80)
        return S46_REASM_BAD;
    if (off + len > S46_PKT_MAXDATA - 80)
        return S46_REASM_TOO_BIG;
    ctx *c = NULL, *oldest = NULL, *freec = NULL;
    for (unsigned i = 0; i < r->n; i++) {
        ctx *x = &r->c[i];
        if (x->used && now - x->born > r->timeout) {
            x->used = false;
            r->expired++;
        }
        if (!x->used) {
            if (!freec)
                freec = x;
            continue;
        }
        if (x->version == v && memcmp(x->key, key, klen) == 0) {
            c = x;
            break;
        }
        if (!oldest || x->born < oldest->born)
            oldest = x;
    }
    if (!c) {
        c = freec;
        if (!c) {
            c = oldest;
            r->expired++;
        }
        memset(c, 0, offsetof(ctx, data));
        c->used = true;
        c->version = (uint8_t)v;
        memcpy(c->key, key, klen);
        c->born = now;
    }
    if ((off % 8) || test_set(c, off / 8, (off + len + 7) / 8)) {
        c->used = false;
        return S46_REASM_OVERLAP;
    }
    if (!m) {
        if (c->total && c->total != off + len) {
            c->used = false;
            return S46_REASM_BAD;
        }
        c->total = off + len;
    }
    if (off == 0) {
        c->hlen = (uint16_t)hlen;
        memcpy(c->hdr, d, hlen);
        if (v == 6)
            c->proto = d[l3->frag_hdr]; /* next header after the Fragment header */
    }
    memcpy(c->data + off, payload, len);
    c->have += len;
    if (!c->total || c->have < c->total || !c->hlen)
        return S46_REASM_HELD;
    /* complete: rebuild the datagram in p */
    s46_pkt_reset(p);
    memcpy(p->data, c->hdr, c->hlen);
    memcpy(p->data + c->hlen, c->data, c->total);
    p->len = c->hlen + c->total;
    uint8_t *h = p->data;
    if (v == 4) {
        s46_put16(h + 2, (uint16_t)p->len);
        s46_put16(h + 6, s46_get16(h + 6) & 0x4000); /* keep DF, clear MF and offset */
        s46_put16(h + 10, 0);
        s46_put16(h + 10, s46_csum_fold(s46_csum_add(0, h, c->hlen)));
    } else {
        s46_put16(h + 4, (uint16_t)(p->len - 40));
        /* the Fragment header was last in the unfragmentable part: point its
         * predecessor at what followed it */
        if (c->hlen == 40)
            h[6] = c->proto;
        else {
            /* walk the kept extension headers to the last one */
            unsigned o = 40, nh = h[6];
            while (o < c->hlen) {
                unsigned hl = ((unsigned)h[o + 1] + 1) * 8;
                if (o + hl >= c->hlen) {
                    h[o] = c->proto;
                    break;
                }
                nh = h[o];
                o += hl;
            }
            (void)nh;
        }
    }
    c->used = false;
    return S46_REASM_DONE;
}

s46_reasm_result s46_reasm_offer(s46_reasm *r, s46_pkt *p, s46_l3 *l3, uint64_t now_ns)
{
    s46_reasm_result res = s46_reasm_add(r, p, l3, now_ns);
    if (res != S46_REASM_DONE)
        return res;
    int e = (p->data[0] >> 4) == 4 ? s46_parse_ipv4(p->data, p->len, l3)
                                   : s46_parse_ipv6(p->data, p->len, l3);
    return e < 0 || l3->is_fragment ? S46_REASM_BAD : S46_REASM_DONE;
}

int s46_frag6_into_batch(s46_batch *b, s46_pkt *p, unsigned mtu, uint32_t id,
                         s46_pktpool *pool)
{
    s46_pkt *extra[S46_BATCH_MAX];
    int n = s46_frag6(p, mtu, id, pool, extra, S46_BATCH_MAX - b->count);
    for (int i = 0; i < n; i++)
        b->pkts[b->count++] = extra[i];
    return n;
}
