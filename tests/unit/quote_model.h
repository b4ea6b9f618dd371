/* A second, straightforward reading of ICMP quotes for differential tests
 * of dp/icmp_quote.c: rq_parse re-derives from the bytes, field by field,
 * what dp/icmp_quote.h promises (how far the quote goes, the IP header and
 * IPv6 extension headers, fragment fields, the ports / ICMP fields a cut
 * quote still shows), and rq_compare checks s46_quote_parse,
 * s46_icmp_quote and s46_quote_inner4 against it. Used by
 * tests/unit/test_icmp_quote_model.c and tests/fuzz/fuzz_quote.c. */
#ifndef S46_QUOTE_MODEL_H
#define S46_QUOTE_MODEL_H
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dp/icmp_quote.h"
#include "lib/parse.h"

typedef struct rq {
    bool ok;
    size_t len, l3_len, l4_len;
    unsigned proto, ttl;
    bool df, is_fragment, first_fragment;
    unsigned frag_off, frag_hdr;
    bool has_ports;
    unsigned sport, dport, icmp_type, icmp_code, tcp_flags;
} rq;

static unsigned rq_16(const uint8_t *p) { return (unsigned)p[0] << 8 | p[1]; }

static bool rq_is_ext(unsigned nh) { return nh == 0 || nh == 43 || nh == 44 || nh == 60; }

/* The quote of avail bytes at p. */
static rq rq_parse(const uint8_t *p, size_t avail)
{
    rq r;
    memset(&r, 0, sizeof r);
    if (avail < 20)
        return r;
    unsigned v = p[0] >> 4;
    size_t off;
    unsigned nh;
    if (v == 4) {
        size_t ihl = 4u * (p[0] & 15), tot = rq_16(p + 2);
        if (ihl < 20 || ihl > avail)
            return r;
        /* a total length below the header is bogus: all that is there */
        r.len = tot >= ihl ? (tot < avail ? tot : avail) : avail;
        r.ttl = p[8];
        nh = p[9];
        unsigned ff = rq_16(p + 6);
        r.df = ff & 0x4000;
        r.frag_off = (ff & 0x1fff) * 8;
        r.is_fragment = (ff & 0x2000) || r.frag_off;
        r.first_fragment = r.frag_off == 0;
        off = ihl;
    } else if (v == 6) {
        if (avail < 40)
            return r;
        size_t tot = 40 + (size_t)rq_16(p + 4);
        r.len = tot < avail ? tot : avail;
        r.ttl = p[7];
        r.first_fragment = true;
        nh = p[6];
        off = 40;
        /* extension headers, all there, up to the upper layer (a later
         * fragment: up to its Fragment header) */
        for (int n = 0; rq_is_ext(nh); n++) {
            if (n == 8 || (nh == 0 && n > 0))
                return r;
            if (off + 8 > r.len)
                return r;
            size_t hl = nh == 44 ? 8 : 8 * ((size_t)p[off + 1] + 1);
            if (off + hl > r.len)
                return r;
            unsigned next = p[off];
            if (nh == 44) {
                r.frag_hdr = (unsigned)off;
                r.frag_off = rq_16(p + off + 2) & 0xfff8;
                r.is_fragment = true;
                r.first_fragment = r.frag_off == 0;
            }
            nh = next;
            off += hl;
            if (!r.first_fragment)
                break;
        }
    } else {
        return r;
    }
    r.ok = true;
    r.l3_len = off;
    r.l4_len = r.len - off;
    r.proto = nh;
    const uint8_t *l4 = p + off;
    size_t n = r.l4_len;
    if (!r.first_fragment)
        return r;
    if (nh == 6 || nh == 17) {
        if (nh == 6 && n >= 14)
            r.tcp_flags = l4[13];
        if (n >= 4) {
            r.sport = rq_16(l4);
            r.dport = rq_16(l4 + 2);
            r.has_ports = true;
        }
    } else if (nh == 1 || nh == 58) {
        if (n >= 1)
            r.icmp_type = l4[0];
        if (n >= 2)
            r.icmp_code = l4[1];
        if (n >= 8) {
            r.sport = r.dport = rq_16(l4 + 4);
            r.has_ports = true;
        }
    }
    return r;
}

static int rq_fail(char *why, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
    return -1;
}

/* s46_quote_parse(p, avail) against rq_parse: 0 when they agree. */
static int rq_check_parse(uint8_t *p, size_t avail, const char *what, char *why, size_t whylen)
{
    rq w = rq_parse(p, avail);
    s46_quote q;
    bool ok = s46_quote_parse(p, avail, &q);
    if (ok != w.ok)
        return rq_fail(why, whylen, "%s (%zu bytes): parse %d, reference %d", what, avail, ok, w.ok);
    if (!ok)
        return 0;
    const s46_l3 *l = &q.l3;
#define RQ_EQ(a, b) \
    if ((unsigned long)(a) != (unsigned long)(b)) \
        return rq_fail(why, whylen, "%s (%zu bytes): %s = %lu, reference %lu", what, avail, #a, \
                       (unsigned long)(a), (unsigned long)(b));
    RQ_EQ(q.ip == p, 1);
    RQ_EQ(q.len, w.len);
    RQ_EQ(l->l3_len, w.l3_len);
    RQ_EQ(l->l4_len, w.l4_len);
    RQ_EQ(l->proto, w.proto);
    RQ_EQ(l->ttl, w.ttl);
    RQ_EQ(l->df, w.df);
    RQ_EQ(l->is_fragment, w.is_fragment);
    RQ_EQ(l->first_fragment, w.first_fragment);
    RQ_EQ(l->frag_off, w.frag_off);
    RQ_EQ(l->frag_hdr, w.frag_hdr);
    RQ_EQ(l->has_ports, w.has_ports);
    RQ_EQ(l->sport, w.sport);
    RQ_EQ(l->dport, w.dport);
    RQ_EQ(l->icmp_type, w.icmp_type);
    RQ_EQ(l->icmp_code, w.icmp_code);
    RQ_EQ(l->tcp_flags, w.tcp_flags);
    RQ_EQ(q.len <= avail, 1);
    return 0;
}

/* The whole error message at ip (len bytes, which must parse as a packet):
 * s46_icmp_quote and, when it is IPv4-in-IPv6, s46_quote_inner4 against
 * the reference. *quoted tells whether it held a quote. */
static int rq_check_error(uint8_t *ip, size_t len, const char *what, bool *quoted, char *why,
                          size_t whylen)
{
    s46_l3 l3;
    unsigned v = len ? ip[0] >> 4 : 0;
    *quoted = false;
    if ((v == 4 ? s46_parse_ipv4(ip, len, &l3) : v == 6 ? s46_parse_ipv6(ip, len, &l3) : -1) < 0)
        return 0;
    bool icmp = l3.proto == (v == 4 ? 1 : 58) && l3.l4_len >= 8 && l3.first_fragment;
    uint8_t *qp = ip + l3.l3_len + 8;
    rq w = icmp ? rq_parse(qp, l3.l4_len - 8u) : (rq){0};
    bool want = icmp && w.ok && (qp[0] >> 4) == v;
    s46_quote q;
    bool got = s46_icmp_quote(ip, &l3, &q);
    if (got != want)
        return rq_fail(why, whylen, "%s: icmp_quote %d, reference %d", what, got, want);
    if (!got)
        return 0;
    *quoted = true;
    if (q.ip != qp)
        return rq_fail(why, whylen, "%s: quote at the wrong place", what);
    if (rq_check_parse(qp, l3.l4_len - 8u, what, why, whylen))
        return -1;
    /* IPv4 inside a quoted IPv4-in-IPv6 packet */
    bool inner = v == 6 && w.proto == 4 && w.first_fragment;
    uint8_t *ip4 = qp + w.l3_len;
    rq wi = inner ? rq_parse(ip4, w.l4_len) : (rq){0};
    bool want4 = inner && wi.ok && (w.l4_len ? ip4[0] >> 4 == 4 : false);
    s46_quote in;
    bool got4 = s46_quote_inner4(&q, &in);
    if (got4 != want4)
        return rq_fail(why, whylen, "%s: quote_inner4 %d, reference %d", what, got4, want4);
    if (got4 && (in.ip != ip4 || rq_check_parse(ip4, w.l4_len, what, why, whylen)))
        return -1;
    return 0;
}
#endif
