/* A reference model of reassembly (lib/frag.h) for differential tests:
 * each datagram is a plain byte map (one flag and one value per payload
 * byte), with the rules frag.h states written the obvious way. fm_run
 * feeds a sequence of fragments, described by fm_op, both to a real
 * s46_reasm table and to the model, and compares every outcome and every
 * rebuilt datagram byte for byte; a rebuilt datagram is also checked to
 * parse as a whole packet. Used by tests/unit/test_frag_model.c (random
 * sequences) and tests/fuzz/fuzz_frag.c (libFuzzer's sequences). */
#ifndef S46_FRAG_MODEL_H
#define S46_FRAG_MODEL_H
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/frag.h"
#include "lib/parse.h"
#include "lib/pkt.h"

/* The payload a datagram may have: a packet buffer less 80 header bytes. */
#define FM_MAXP (S46_PKT_MAXDATA - 80)
#define FM_MAXCTX 16

/* One fragment. Its payload byte at datagram offset i is fm_byte(seed, i),
 * so fragments with different seeds differ where they overlap. */
typedef struct fm_op {
    uint8_t v;          /* 4 or 6 */
    uint8_t src;        /* which source address (0..3) */
    uint8_t proto;      /* IPv4 protocol (part of the key); IPv6 Fragment header's next header */
    uint8_t opts;       /* IPv4: 4-byte option words (0..10); IPv6: 1 = a Destination
                           Options header before the Fragment header */
    bool m, df;         /* more fragments; IPv4 DF */
    uint32_t id;
    uint32_t off, len;  /* payload offset (multiple of 8) and length, bytes */
    uint8_t seed;
    uint64_t dt;        /* time advance before this fragment, ns */
} fm_op;

typedef struct fm_tally {
    uint64_t results[16]; /* by s46_reasm_result */
    uint64_t bytes_done;
} fm_tally;

static inline uint8_t fm_byte(uint8_t seed, uint32_t i)
{
    return (uint8_t)(seed * 67u + i * 13u + (i >> 8) * 7u + 1u);
}

typedef struct fm_dgram {
    bool used, dead, last;
    uint8_t v, src, proto;
    uint32_t id;
    uint64_t born, seq;
    uint32_t end;
    bool have[FM_MAXP];
    uint8_t byte[FM_MAXP];
    bool first;                 /* the offset-0 fragment came */
    uint8_t hdr[80];            /* its header bytes (IPv6: up to the Fragment header) */
    unsigned hlen;
    uint8_t nh;                 /* IPv6: its Fragment header's next header */
} fm_dgram;

typedef struct fm_model {
    fm_dgram d[FM_MAXCTX];
    unsigned n;
    uint64_t timeout, seq;
    s46_reasm_stats st;
} fm_model;

static const uint8_t fm_src6[4][16] = {
    {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
    {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2},
    {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
    {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2},
};

static uint16_t fm_csum(const uint8_t *p, unsigned n)
{
    uint32_t s = 0;
    for (unsigned i = 0; i + 1 < n; i += 2)
        s += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

/* Writes op's packet into buf; its length. */
static unsigned fm_build(const fm_op *o, uint8_t *b)
{
    unsigned h;
    if (o->v == 4) {
        h = 20 + 4u * o->opts;
        memset(b, 0, h);
        b[0] = (uint8_t)(0x40 | (h / 4));
        unsigned tot = h + o->len;
        b[2] = (uint8_t)(tot >> 8), b[3] = (uint8_t)tot;
        b[4] = (uint8_t)(o->id >> 8), b[5] = (uint8_t)o->id;
        unsigned ff = (o->off / 8) | (o->m ? 0x2000 : 0) | (o->df ? 0x4000 : 0);
        b[6] = (uint8_t)(ff >> 8), b[7] = (uint8_t)ff;
        b[8] = 64, b[9] = o->proto;
        b[12] = 192, b[13] = 0, b[14] = 2, b[15] = (uint8_t)(1 + o->src);
        b[16] = 198, b[17] = 51, b[18] = 100, b[19] = 1;
        for (unsigned i = 20; i < h; i++)
            b[i] = 1; /* NOP options */
        uint16_t c = fm_csum(b, h);
        b[10] = (uint8_t)(c >> 8), b[11] = (uint8_t)c;
    } else {
        unsigned fh = o->opts ? 48 : 40;
        h = fh + 8;
        memset(b, 0, h);
        b[0] = 0x60;
        unsigned pl = h - 40 + o->len;
        b[4] = (uint8_t)(pl >> 8), b[5] = (uint8_t)pl;
        b[6] = o->opts ? S46_PROTO_DSTOPT : S46_PROTO_FRAG;
        b[7] = 64;
        memcpy(b + 8, fm_src6[o->src & 3], 16);
        memcpy(b + 24, fm_src6[0], 16);
        b[39] = 0x99;
        if (o->opts) {
            b[40] = S46_PROTO_FRAG, b[41] = 0;
            b[42] = 1, b[43] = 4; /* PadN, 4 bytes */
        }
        b[fh] = o->proto;
        unsigned fo = (o->off & 0xfff8) | (o->m ? 1 : 0);
        b[fh + 2] = (uint8_t)(fo >> 8), b[fh + 3] = (uint8_t)fo;
        b[fh + 4] = (uint8_t)(o->id >> 24), b[fh + 5] = (uint8_t)(o->id >> 16);
        b[fh + 6] = (uint8_t)(o->id >> 8), b[fh + 7] = (uint8_t)o->id;
    }
    for (uint32_t i = 0; i < o->len; i++)
        b[h + i] = fm_byte(o->seed, o->off + i);
    return h + o->len;
}

static void fm_model_init(fm_model *m, unsigned n, uint64_t timeout)
{
    memset(m, 0, sizeof *m);
    m->n = n;
    m->timeout = timeout;
}

/* The rebuilt datagram d must be: its header with the lengths, flags,
 * checksum / next header of a whole packet, then its payload. */
static unsigned fm_expect(const fm_dgram *d, const uint8_t *payload, uint32_t end, uint8_t *b)
{
    memcpy(b, d->hdr, d->hlen);
    memcpy(b + d->hlen, payload, end);
    unsigned tot = d->hlen + end;
    if (d->v == 4) {
        b[2] = (uint8_t)(tot >> 8), b[3] = (uint8_t)tot;
        b[6] &= 0x40;
        b[7] = 0;
        b[10] = b[11] = 0;
        uint16_t c = fm_csum(b, d->hlen);
        b[10] = (uint8_t)(c >> 8), b[11] = (uint8_t)c;
    } else {
        b[4] = (uint8_t)((tot - 40) >> 8), b[5] = (uint8_t)(tot - 40);
        b[d->hlen == 40 ? 6 : 40] = d->nh;
    }
    return tot;
}

static void fm_drop_dgram(fm_dgram *d)
{
    d->used = d->dead = d->last = d->first = false;
    memset(d->have, 0, sizeof d->have);
}

static void fm_kill(fm_model *m, fm_dgram *d, s46_reasm_result why)
{
    memset(d->have, 0, sizeof d->have);
    d->dead = true;
    d->last = d->first = false;
    if (why == S46_REASM_OVERLAP)
        m->st.overlap++;
    else if (why == S46_REASM_BEYOND_END)
        m->st.beyond_end++;
    else
        m->st.end_mismatch++;
}

/* The model's outcome for o (packet bytes pkt); on DONE the expected
 * packet is written to out (*outlen). */
static s46_reasm_result fm_model_add(fm_model *m, const fm_op *o, const uint8_t *pkt,
                                     uint64_t now, uint8_t *out, unsigned *outlen)
{
    unsigned hlen = o->v == 4 ? 20 + 4u * o->opts : (o->opts ? 48 : 40);
    if ((o->m && (o->len == 0 || o->len % 8)) || o->off % 8 || hlen > 80) {
        m->st.bad++;
        return S46_REASM_BAD;
    }
    if (o->off + o->len > FM_MAXP) {
        m->st.too_big++;
        return S46_REASM_TOO_BIG;
    }
    static fm_dgram one;
    if (o->off == 0 && !o->m) {
        one.v = o->v;
        one.hlen = hlen;
        memcpy(one.hdr, pkt, hlen);
        one.nh = o->proto;
        *outlen = fm_expect(&one, pkt + hlen + (o->v == 6 ? 8 : 0), o->len, out);
        m->st.done++;
        return S46_REASM_DONE;
    }
    /* the datagrams alive now */
    for (unsigned i = 0; i < FM_MAXCTX; i++)
        if (m->d[i].used && now - m->d[i].born > m->timeout) {
            if (!m->d[i].dead)
                m->st.timed_out++;
            fm_drop_dgram(&m->d[i]);
        }
    fm_dgram *d = NULL;
    unsigned alive = 0;
    for (unsigned i = 0; i < FM_MAXCTX; i++) {
        fm_dgram *x = &m->d[i];
        if (!x->used)
            continue;
        alive++;
        if (x->v == o->v && x->src == o->src && x->id == o->id &&
            (o->v == 6 || x->proto == o->proto))
            d = x;
    }
    if (!d) {
        if (alive == m->n) { /* recycle the one created first */
            fm_dgram *first = NULL;
            for (unsigned i = 0; i < FM_MAXCTX; i++)
                if (m->d[i].used && (!first || m->d[i].seq < first->seq))
                    first = &m->d[i];
            if (!first->dead)
                m->st.evicted++;
            fm_drop_dgram(first);
        }
        for (unsigned i = 0; i < FM_MAXCTX && !d; i++)
            if (!m->d[i].used)
                d = &m->d[i];
        d->used = true;
        d->v = o->v, d->src = o->src, d->id = o->id, d->proto = o->proto;
        d->born = now;
        d->seq = ++m->seq;
    }
    if (d->dead) {
        m->st.dropped++;
        return S46_REASM_DROPPED;
    }
    uint32_t end = o->off + o->len;
    if (!o->m && d->last) {
        s46_reasm_result why = end == d->end ? S46_REASM_OVERLAP : S46_REASM_END_MISMATCH;
        fm_kill(m, d, why);
        return why;
    }
    if (!o->m)
        for (uint32_t i = end; i < FM_MAXP; i++)
            if (d->have[i]) {
                fm_kill(m, d, S46_REASM_BEYOND_END);
                return S46_REASM_BEYOND_END;
            }
    if (o->m && d->last && end > d->end) {
        fm_kill(m, d, S46_REASM_BEYOND_END);
        return S46_REASM_BEYOND_END;
    }
    for (uint32_t i = o->off; i < end; i++)
        if (d->have[i]) {
            fm_kill(m, d, S46_REASM_OVERLAP);
            return S46_REASM_OVERLAP;
        }
    for (uint32_t i = o->off; i < end; i++) {
        d->have[i] = true;
        d->byte[i] = fm_byte(o->seed, i);
    }
    if (!o->m) {
        d->last = true;
        d->end = end;
    }
    if (o->off == 0) {
        d->first = true;
        d->hlen = hlen;
        memcpy(d->hdr, pkt, hlen);
        d->nh = o->proto;
    }
    bool whole = d->last && d->first;
    for (uint32_t i = 0; whole && i < d->end; i++)
        whole = d->have[i];
    if (!whole) {
        m->st.held++;
        return S46_REASM_HELD;
    }
    *outlen = fm_expect(d, d->byte, d->end, out);
    fm_drop_dgram(d);
    m->st.done++;
    return S46_REASM_DONE;
}

static int fm_fail(char *why, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
    return -1;
}

static bool fm_stats_eq(const s46_reasm_stats *a, const s46_reasm_stats *b)
{
    return a->done == b->done && a->held == b->held && a->overlap == b->overlap &&
           a->beyond_end == b->beyond_end && a->end_mismatch == b->end_mismatch &&
           a->dropped == b->dropped && a->bad == b->bad && a->too_big == b->too_big &&
           a->timed_out == b->timed_out && a->evicted == b->evicted;
}

/* Runs ops through a table of `contexts` contexts and the model; 0 when
 * they agree throughout, else -1 with why. */
static int fm_run(const fm_op *ops, size_t n, unsigned contexts, uint64_t timeout,
                  fm_tally *tally, char *why, size_t whylen)
{
    static uint8_t buf[S46_PKT_BUFSIZE], want[S46_PKT_BUFSIZE], pkt[S46_PKT_BUFSIZE];
    static fm_model m;
    if (contexts < 1 || contexts > FM_MAXCTX)
        return fm_fail(why, whylen, "bad context count %u", contexts);
    s46_reasm *r = s46_reasm_new(contexts, timeout);
    if (!r)
        return fm_fail(why, whylen, "s46_reasm_new failed");
    fm_model_init(&m, contexts, timeout);
    uint64_t now = 1000;
    int rc = 0;
    for (size_t i = 0; i <= n && rc == 0; i++) {
        fm_op flush = {.v = 4, .src = 3, .proto = 99, .id = 0xffff, .off = 8, .len = 8,
                       .m = true, .dt = timeout + 1};
        /* after the last op: a fragment of a new datagram once every other
         * one timed out, so that both count every timeout */
        const fm_op *o = i < n ? &ops[i] : &flush;
        now += o->dt;
        s46_pkt p;
        s46_pkt_init(&p, buf);
        s46_pkt_reset(&p);
        p.len = fm_build(o, p.data);
        s46_l3 l3;
        int e = o->v == 4 ? s46_parse_ipv4(p.data, p.len, &l3) : s46_parse_ipv6(p.data, p.len, &l3);
        if (e < 0) {
            rc = fm_fail(why, whylen, "op %zu: built packet does not parse (%d)", i, e);
            break;
        }
        memcpy(pkt, p.data, p.len); /* p is rewritten when it completes */
        unsigned wlen = 0;
        s46_reasm_result want_r = fm_model_add(&m, o, pkt, now, want, &wlen);
        s46_reasm_result got = s46_reasm_add(r, &p, &l3, now);
        if (tally && got < 16)
            tally->results[got]++;
        if (got != want_r) {
            rc = fm_fail(why, whylen,
                         "op %zu (v%u src %u id %u off %u len %u m %d): result %d, model %d", i,
                         o->v, o->src, o->id, o->off, o->len, o->m, got, want_r);
            break;
        }
        if (got != S46_REASM_DONE)
            continue;
        if (tally)
            tally->bytes_done += p.len;
        if (p.len != wlen || memcmp(p.data, want, wlen) != 0) {
            size_t k = 0;
            while (k < wlen && k < p.len && p.data[k] == want[k])
                k++;
            rc = fm_fail(why, whylen, "op %zu: rebuilt %zu bytes, model %u; first difference at %zu",
                         i, (size_t)p.len, wlen, k);
            break;
        }
        s46_l3 w;
        e = o->v == 4 ? s46_parse_ipv4(p.data, p.len, &w) : s46_parse_ipv6(p.data, p.len, &w);
        if (e < 0 || w.is_fragment)
            rc = fm_fail(why, whylen, "op %zu: rebuilt datagram does not parse whole", i);
    }
    if (rc == 0 && !fm_stats_eq(s46_reasm_get_stats(r), &m.st)) {
        const s46_reasm_stats *a = s46_reasm_get_stats(r);
        rc = fm_fail(why, whylen,
                     "stats differ: done %lu/%lu held %lu/%lu overlap %lu/%lu beyond %lu/%lu "
                     "mismatch %lu/%lu dropped %lu/%lu bad %lu/%lu big %lu/%lu timeout %lu/%lu "
                     "evicted %lu/%lu",
                     a->done, m.st.done, a->held, m.st.held, a->overlap, m.st.overlap,
                     a->beyond_end, m.st.beyond_end, a->end_mismatch, m.st.end_mismatch,
                     a->dropped, m.st.dropped, a->bad, m.st.bad, a->too_big, m.st.too_big,
                     a->timed_out, m.st.timed_out, a->evicted, m.st.evicted);
    }
    s46_reasm_free(r);
    return rc;
}
#endif
