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

/* The options an IPv4 fragment other than the first carries: those with
 * the copied flag (RFC 791), padded with End of Options to 4 bytes. */
static unsigned copied_options(const uint8_t *opt, unsigned len, uint8_t *out)
{
    unsigned o = 0, n = 0;
    while (o < len) {
        uint8_t t = opt[o];
        if (t == 0)
            break;
        if (t == 1) {
            o++;
            continue;
        }
        if (o + 1 >= len || opt[o + 1] < 2 || o + opt[o + 1] > len)
            break; /* the parser accepted the header: cannot happen */
        unsigned ol = opt[o + 1];
        if (t & 0x80) {
            memcpy(out + n, opt + o, ol);
            n += ol;
        }
        o += ol;
    }
    while (n % 4)
        out[n++] = 0;
    return n;
}

int s46_frag4(s46_pkt *p, unsigned mtu, s46_pktpool *pool, s46_pkt **extra, unsigned max)
{
    if (p->len <= mtu)
        return 0;
    uint8_t *d = p->data;
    unsigned hl = (d[0] & 15u) * 4u;
    if (mtu < 68 || p->len < 20 || hl < 20 || hl > p->len || s46_get16(d + 2) != p->len ||
        (s46_get16(d + 6) & 0x4000))
        return -1;
    uint8_t opts[40];
    unsigned ohl = 20 + copied_options(d + 20, hl - 20, opts); /* later fragments' header */
    uint32_t data = p->len - hl;
    uint32_t first = (mtu - hl) & ~7u, later = (mtu - ohl) & ~7u;
    if (first == 0 || later == 0)
        return -1;
    uint16_t fo = s46_get16(d + 6);
    uint32_t base = (fo & 0x1fffu) * 8u; /* a fragment fragmented again keeps its place */
    bool more = fo & 0x2000;
    unsigned n = 1 + (unsigned)((data - first + later - 1) / later);
    if (n - 1 > max || s46_pktpool_available(pool) < n - 1)
        return -1;
    for (unsigned i = 1; i < n; i++) {
        uint32_t off = first + (i - 1) * later, len = data - off < later ? data - off : later;
        s46_pkt *f = s46_pkt_alloc(pool);
        f->ts_ns = p->ts_ns;
        uint8_t *h = f->data;
        memcpy(h, d, 20);
        memcpy(h + 20, opts, ohl - 20);
        h[0] = (uint8_t)(0x40 | ohl / 4);
        s46_put16(h + 2, (uint16_t)(ohl + len));
        s46_put16(h + 6, (uint16_t)((fo & 0x8000u) | ((off + base) / 8) |
                                    (i + 1 < n || more ? 0x2000u : 0)));
        memcpy(h + ohl, d + hl + off, len);
        s46_put16(h + 10, 0);
        s46_put16(h + 10, s46_csum_fold(s46_csum_add(0, h, ohl)));
        f->len = ohl + len;
        f->verdict = p->verdict;
        f->out_port = p->out_port;
        extra[i - 1] = f;
    }
    s46_put16(d + 2, (uint16_t)(hl + first));
    s46_put16(d + 6, (uint16_t)((fo & 0x8000u) | (base / 8) | 0x2000u));
    s46_put16(d + 10, 0);
    s46_put16(d + 10, s46_csum_fold(s46_csum_add(0, d, hl)));
    p->len = hl + first;
    return (int)(n - 1);
}

/* Reassembly. A context's bitmap has one bit per 8-byte block of the
 * datagram's payload. Every fragment starts on a block boundary and every
 * fragment but the last is a whole number of blocks, so two fragments
 * share a block exactly when they share a byte: a fragment touching a set
 * bit overlaps one already stored. A datagram completes when its end is
 * known and the number of bits set is the number of blocks up to the end;
 * as no bit beyond the end is ever set (checked both ways: a fragment past
 * a known end, a last fragment below stored data), that means every byte
 * 0..end came, each exactly once, from this datagram's fragments. The
 * payload buffer is zeroed when a datagram is dropped or completes, so a
 * context starts empty. */
#define MAXPAYLOAD (S46_PKT_MAXDATA - 80) /* room left for the kept header */
#define BLOCKS ((MAXPAYLOAD + 7) / 8)

typedef struct ctx {
    bool used;
    bool dead;                 /* dropped: absorbs its fragments until it times out */
    bool last;                 /* the last fragment (M = 0) came: end is known */
    uint8_t version, proto;
    uint8_t key[36];           /* src, dst (IPv4: 4 + 4; IPv6: 16 + 16), id, IPv4 protocol */
    uint64_t born;             /* time of its first fragment (timeout) */
    uint64_t seq;              /* creation order (the oldest is recycled first) */
    uint32_t end;              /* payload length, once last */
    uint32_t hiwater;          /* end of the highest stored fragment: bytes written */
    uint32_t blocks;           /* bits set in got */
    uint16_t hlen;             /* header bytes kept from the first fragment; 0 before */
    uint8_t hdr[80];           /* IPv4 header (with options) or the IPv6 unfragmentable part */
    uint8_t got[(BLOCKS + 7) / 8];
    uint8_t data[MAXPAYLOAD];
} ctx;

struct s46_reasm {
    ctx *c;
    unsigned n;
    uint64_t timeout, seq;
    s46_reasm_stats st;
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

uint64_t s46_reasm_expired(const s46_reasm *r) { return r->st.timed_out + r->st.evicted; }

const s46_reasm_stats *s46_reasm_get_stats(const s46_reasm *r) { return &r->st; }

/* Forgets what c holds (the payload bytes written are zeroed). */
static void forget(ctx *c)
{
    memset(c->data, 0, c->hiwater);
    memset(c->got, 0, sizeof c->got);
    c->hiwater = c->blocks = c->end = 0;
    c->hlen = 0;
    c->last = false;
}

static void release(ctx *c)
{
    forget(c);
    c->used = c->dead = false;
}

/* Drops the datagram in c: it keeps its key and absorbs the fragments
 * still to come until it times out or is recycled (RFC 5722: the
 * fragments not yet received are discarded too). */
static s46_reasm_result kill(s46_reasm *r, ctx *c, s46_reasm_result why)
{
    forget(c);
    c->dead = true;
    switch (why) {
    case S46_REASM_OVERLAP: r->st.overlap++; break;
    case S46_REASM_BEYOND_END: r->st.beyond_end++; break;
    default: r->st.end_mismatch++; break;
    }
    return why;
}

/* Whether any block of [from, to) is set. */
static bool any_set(const ctx *c, uint32_t from, uint32_t to)
{
    for (uint32_t b = from; b < to; b++)
        if (c->got[b >> 3] & (1u << (b & 7)))
            return true;
    return false;
}

static void set_blocks(ctx *c, uint32_t from, uint32_t to)
{
    for (uint32_t b = from; b < to; b++)
        c->got[b >> 3] |= (uint8_t)(1u << (b & 7));
    c->blocks += to - from;
}

/* p holds hlen header bytes then total payload bytes: makes it a whole
 * datagram (lengths, IPv4 flags and checksum; IPv6: the header that
 * preceded the Fragment header names proto). */
static void finish(s46_pkt *p, unsigned v, unsigned hlen, uint8_t proto, uint32_t total)
{
    uint8_t *h = p->data;
    p->len = hlen + total;
    if (v == 4) {
        s46_put16(h + 2, (uint16_t)p->len);
        s46_put16(h + 6, s46_get16(h + 6) & 0x4000); /* keep DF, clear MF and offset */
        s46_put16(h + 10, 0);
        s46_put16(h + 10, s46_csum_fold(s46_csum_add(0, h, hlen)));
        return;
    }
    s46_put16(h + 4, (uint16_t)(p->len - 40));
    if (hlen == 40) {
        h[6] = proto;
        return;
    }
    /* walk the kept extension headers to the last one */
    for (unsigned o = 40; o + 2 <= hlen;) {
        unsigned hl = ((unsigned)h[o + 1] + 1) * 8;
        if (o + hl >= hlen) {
            h[o] = proto;
            break;
        }
        o += hl;
    }
}

static s46_reasm_result add(s46_reasm *r, s46_pkt *p, const s46_l3 *l3, const uint8_t *tag,
                            uint64_t now)
{
    uint8_t key[36], *d = p->data;
    unsigned v = p->len ? d[0] >> 4 : 0, hlen;
    uint32_t off = l3->frag_off, len;
    bool m;
    const uint8_t *payload;
    memset(key, 0, sizeof key);
    if (v == 4 && p->len >= 20) {
        memcpy(key, d + 12, 8);
        if (tag)
            memcpy(key + 8, tag, 16);
        memcpy(key + 32, d + 4, 2);
        key[34] = d[9];
        hlen = l3->l3_len;
        len = l3->l4_len;
        if (hlen < 20 || hlen + len > p->len) {
            r->st.bad++;
            return S46_REASM_BAD;
        }
        payload = d + hlen;
        m = (s46_get16(d + 6) & 0x2000) != 0;
    } else if (v == 6 && p->len >= 40 && l3->frag_hdr >= 40) {
        hlen = l3->frag_hdr; /* the part before the Fragment header */
        uint32_t tot = 40u + s46_get16(d + 4);
        if (tot > p->len || hlen + 8u > tot) {
            r->st.bad++;
            return S46_REASM_BAD;
        }
        memcpy(key, d + 8, 32);
        memcpy(key + 32, d + hlen + 4, 4);
        payload = d + hlen + 8;
        len = tot - (hlen + 8u); /* up to the payload length, not trailing bytes */
        m = s46_get16(d + hlen + 2) & 1;
    } else {
        r->st.bad++;
        return S46_REASM_BAD;
    }
    if ((m && (len == 0 || len % 8)) || off % 8 || hlen > 80) {
        r->st.bad++;
        return S46_REASM_BAD;
    }
    if (off + len > MAXPAYLOAD) {
        r->st.too_big++;
        return S46_REASM_TOO_BIG;
    }
    if (off == 0 && !m) {
        /* an atomic fragment: a datagram of its own (RFC 6946) */
        uint8_t proto = v == 6 ? d[hlen] : 0;
        if (v == 6)
            memmove(d + hlen, payload, len);
        finish(p, v, hlen, proto, len);
        r->st.done++;
        return S46_REASM_DONE;
    }
    ctx *c = NULL, *oldest = NULL, *freec = NULL;
    for (unsigned i = 0; i < r->n; i++) {
        ctx *x = &r->c[i];
        if (x->used && now - x->born > r->timeout) {
            if (!x->dead)
                r->st.timed_out++;
            release(x);
        }
        if (!x->used) {
            if (!freec)
                freec = x;
            continue;
        }
        if (x->version == v && memcmp(x->key, key, sizeof key) == 0) {
            c = x;
            break;
        }
        if (!oldest || x->seq < oldest->seq)
            oldest = x;
    }
    if (!c) {
        c = freec;
        if (!c) {
            c = oldest;
            if (!c->dead)
                r->st.evicted++;
            release(c);
        }
        c->used = true;
        c->version = (uint8_t)v;
        memcpy(c->key, key, sizeof key);
        c->born = now;
        c->seq = ++r->seq;
    }
    if (c->dead) {
        r->st.dropped++;
        return S46_REASM_DROPPED;
    }
    uint32_t fend = off + len;
    if (!m) {
        if (c->last)
            return kill(r, c, fend == c->end ? S46_REASM_OVERLAP : S46_REASM_END_MISMATCH);
        if (c->hiwater > fend)
            return kill(r, c, S46_REASM_BEYOND_END);
    } else if (c->last && fend > c->end) {
        return kill(r, c, S46_REASM_BEYOND_END);
    }
    uint32_t b0 = off / 8, b1 = (fend + 7) / 8;
    if (any_set(c, b0, b1))
        return kill(r, c, S46_REASM_OVERLAP);
    set_blocks(c, b0, b1);
    memcpy(c->data + off, payload, len);
    if (fend > c->hiwater)
        c->hiwater = fend;
    if (!m) {
        c->last = true;
        c->end = fend;
    }
    if (off == 0) {
        c->hlen = (uint16_t)hlen;
        memcpy(c->hdr, d, hlen);
        if (v == 6)
            c->proto = d[hlen]; /* next header after the Fragment header */
    }
    if (!c->last || !c->hlen || c->blocks != (c->end + 7) / 8) {
        r->st.held++;
        return S46_REASM_HELD;
    }
    /* complete: every block 0..end set, none beyond: rebuild in p */
    s46_pkt_reset(p);
    memcpy(p->data, c->hdr, c->hlen);
    memcpy(p->data + c->hlen, c->data, c->end);
    finish(p, v, c->hlen, c->proto, c->end);
    release(c);
    r->st.done++;
    return S46_REASM_DONE;
}

s46_reasm_result s46_reasm_add(s46_reasm *r, s46_pkt *p, const s46_l3 *l3, uint64_t now)
{
    return add(r, p, l3, NULL, now);
}

s46_reasm_result s46_reasm_offer_tagged(s46_reasm *r, s46_pkt *p, s46_l3 *l3,
                                        const uint8_t *tag, uint64_t now_ns)
{
    s46_reasm_result res = add(r, p, l3, tag, now_ns);
    if (res != S46_REASM_DONE)
        return res;
    int e = (p->data[0] >> 4) == 4 ? s46_parse_ipv4(p->data, p->len, l3)
                                   : s46_parse_ipv6(p->data, p->len, l3);
    return e < 0 || l3->is_fragment ? S46_REASM_BAD : S46_REASM_DONE;
}

s46_reasm_result s46_reasm_offer(s46_reasm *r, s46_pkt *p, s46_l3 *l3, uint64_t now_ns)
{
    return s46_reasm_offer_tagged(r, p, l3, NULL, now_ns);
}

int s46_frag4_into_batch(s46_batch *b, s46_pkt *p, unsigned mtu, s46_pktpool *pool)
{
    s46_pkt *extra[S46_BATCH_MAX];
    int n = s46_frag4(p, mtu, pool, extra, S46_BATCH_MAX - b->count);
    for (int i = 0; i < n; i++)
        b->pkts[b->count++] = extra[i];
    return n;
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
