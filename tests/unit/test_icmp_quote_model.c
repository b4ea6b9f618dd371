/* The ICMP quote parser (dp/icmp_quote.c) against the reference reading of
 * quote_model.h: crafted quotes (IPv4 with options, TCP, UDP, ICMP queries
 * and errors, fragments; IPv6 with Hop-by-Hop, Routing, Destination
 * Options and Fragment headers, first and later fragments; IPv4-in-IPv6)
 * cut at every length, inside ICMPv4 / ICMPv6 errors, and with random
 * bytes of their headers changed. */
#include "t.h"
#include "quote_model.h"
#include "lib/csum.h"

static uint64_t rng = 0x0c0ffee46a5dull;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return n ? (uint32_t)(rng % n) : 0;
}

/* An IPv4 header of hlen bytes (options: NOPs) carrying proto and plen
 * bytes of l4; returns the length. */
static size_t ip4(uint8_t *b, unsigned hlen, unsigned proto, const uint8_t *l4, size_t plen,
                  unsigned ff)
{
    memset(b, 0, hlen);
    b[0] = (uint8_t)(0x40 | hlen / 4);
    s46_put16(b + 2, (uint16_t)(hlen + plen));
    s46_put16(b + 4, 0x1234);
    s46_put16(b + 6, (uint16_t)ff);
    b[8] = 61, b[9] = (uint8_t)proto;
    b[12] = 192, b[13] = 0, b[14] = 2, b[15] = 18;
    b[16] = 1, b[17] = 2, b[18] = 3, b[19] = 4;
    for (unsigned i = 20; i < hlen; i++)
        b[i] = 1;
    s46_put16(b + 10, s46_csum_fold(s46_csum_add(0, b, hlen)));
    memcpy(b + hlen, l4, plen);
    return hlen + plen;
}

/* An IPv6 header, then the extension headers named in ext (0 ends; 44 is a
 * Fragment header at frag_off), then proto and l4. */
static size_t ip6(uint8_t *b, const uint8_t *ext, unsigned proto, const uint8_t *l4, size_t plen,
                  unsigned frag_off)
{
    memset(b, 0, 40);
    b[0] = 0x60;
    b[7] = 63;
    b[8] = 0x20, b[9] = 0x01, b[10] = 0x0d, b[11] = 0xb8, b[23] = 1;
    b[24] = 0x20, b[25] = 0x01, b[26] = 0x0d, b[27] = 0xb8, b[39] = 2;
    size_t off = 40;
    uint8_t *nh = b + 6;
    for (const uint8_t *e = ext; *e; e++) {
        *nh = *e == 255 ? 0 : *e; /* 255: Hop-by-Hop */
        nh = b + off;
        memset(b + off, 0, 24);
        if (*e == 44) {
            s46_put16(b + off + 2, (uint16_t)frag_off);
            s46_put32(b + off + 4, 77);
            off += 8;
        } else if (*e == 43) { /* Routing type 4-ish, 24 bytes */
            b[off + 1] = 2;
            off += 24;
        } else { /* options: PadN */
            b[off + 1] = 0;
            b[off + 2] = 1, b[off + 3] = 4;
            off += 8;
        }
    }
    *nh = (uint8_t)proto;
    memcpy(b + off, l4, plen);
    s46_put16(b + 4, (uint16_t)(off - 40 + plen));
    return off + plen;
}

/* An ICMPv4 (v 4) or ICMPv6 error quoting q (qlen bytes). */
static size_t error_of(uint8_t *b, unsigned v, const uint8_t *q, size_t qlen)
{
    uint8_t icmp[1600];
    memset(icmp, 0, 8);
    icmp[0] = v == 4 ? 3 : 1;
    icmp[1] = v == 4 ? 3 : 4;
    memcpy(icmp + 8, q, qlen);
    if (v == 4)
        return ip4(b, 20, 1, icmp, 8 + qlen, 0);
    static const uint8_t none[] = {0};
    return ip6(b, none, 58, icmp, 8 + qlen, 0);
}

#define NBASE 24
static uint8_t base[NBASE][700];
static size_t base_len[NBASE];

static void make_bases(void)
{
    uint8_t l4[600];
    for (unsigned i = 0; i < sizeof l4; i++)
        l4[i] = (uint8_t)(i * 7 + 3);
    l4[0] = 0x04, l4[1] = 0xd0, l4[2] = 0x1e, l4[3] = 0x61; /* ports 1232, 7777 */
    l4[13] = 0x12;
    uint8_t echo[64] = {8, 0, 0, 0, 0x04, 0xd1, 0, 1};
    uint8_t err[64] = {3, 3, 0, 0, 0, 0, 0, 0};
    size_t n = 0;
    base_len[n] = ip4(base[n], 20, 17, l4, 40, 0), n++;
    base_len[n] = ip4(base[n], 20, 6, l4, 40, 0x4000), n++;
    base_len[n] = ip4(base[n], 32, 6, l4, 40, 0), n++;
    base_len[n] = ip4(base[n], 60, 17, l4, 20, 0), n++;
    base_len[n] = ip4(base[n], 20, 1, echo, 16, 0), n++;
    base_len[n] = ip4(base[n], 20, 1, err, 36, 0), n++;
    base_len[n] = ip4(base[n], 20, 17, l4, 48, 0x2000), n++;   /* first fragment */
    base_len[n] = ip4(base[n], 20, 17, l4, 48, 0x2000 | 5), n++; /* later fragment */
    base_len[n] = ip4(base[n], 20, 47, l4, 24, 0), n++;        /* GRE: no ports */
    base_len[n] = ip4(base[n], 20, 17, l4, 0, 0), n++;         /* total length = header */
    static const uint8_t none[] = {0}, hbh[] = {255, 0}, dst_rt[] = {60, 43, 0},
                         frag[] = {44, 0}, hbh_frag_dst[] = {255, 44, 60, 0},
                         many[] = {60, 60, 60, 60, 60, 60, 60, 60, 0},
                         nine[] = {60, 60, 60, 60, 60, 60, 60, 60, 60, 0}, hbh2[] = {60, 255, 0};
    base_len[n] = ip6(base[n], none, 17, l4, 40, 0), n++;
    base_len[n] = ip6(base[n], hbh, 6, l4, 40, 0), n++;
    base_len[n] = ip6(base[n], dst_rt, 58, echo, 16, 0), n++;
    base_len[n] = ip6(base[n], frag, 17, l4, 32, 1), n++;       /* first fragment, M */
    base_len[n] = ip6(base[n], frag, 17, l4, 32, 0x50), n++;    /* later fragment */
    base_len[n] = ip6(base[n], hbh_frag_dst, 6, l4, 32, 0), n++;
    base_len[n] = ip6(base[n], hbh_frag_dst, 6, l4, 32, 0x18), n++;
    base_len[n] = ip6(base[n], many, 17, l4, 8, 0), n++;
    base_len[n] = ip6(base[n], nine, 17, l4, 8, 0), n++;        /* too many headers */
    base_len[n] = ip6(base[n], hbh2, 17, l4, 8, 0), n++;        /* Hop-by-Hop not first */
    /* IPv4-in-IPv6, plain and behind extension headers and fragments */
    uint8_t in4[200];
    size_t in4_len = ip4(in4, 24, 17, l4, 60, 0);
    base_len[n] = ip6(base[n], none, 4, in4, in4_len, 0), n++;
    base_len[n] = ip6(base[n], dst_rt, 4, in4, in4_len, 0), n++;
    base_len[n] = ip6(base[n], frag, 4, in4, in4_len, 1), n++;
    base_len[n] = ip6(base[n], frag, 4, in4, in4_len, 0x40), n++;
}

TEST(crafted_quotes_at_every_length)
{
    make_bases();
    static uint8_t buf[2048];
    char why[512], what[64];
    unsigned parsed = 0, quoted = 0;
    for (int i = 0; i < NBASE; i++)
        for (size_t cut = 0; cut <= base_len[i] + 8; cut++) {
            memset(buf, 0xee, sizeof buf);
            memcpy(buf, base[i], base_len[i]);
            snprintf(what, sizeof what, "base %d", i);
            if (rq_check_parse(buf, cut, what, why, sizeof why)) {
                printf("FAIL %s: %s\n", t_name_, why);
                *t_failed_ = 1;
                return;
            }
            s46_quote q;
            parsed += s46_quote_parse(buf, cut, &q);
            /* the same, cut, quoted in an error of either version */
            for (unsigned v = 4; v <= 6; v += 2) {
                static uint8_t e[2200];
                size_t elen = error_of(e, v, base[i], cut < base_len[i] ? cut : base_len[i]);
                bool qd;
                if (rq_check_error(e, elen, what, &qd, why, sizeof why)) {
                    printf("FAIL %s: in an ICMPv%u error: %s\n", t_name_, v == 4 ? 4 : 6, why);
                    *t_failed_ = 1;
                    return;
                }
                quoted += qd;
            }
        }
    CHECK(parsed > 1000);
    CHECK(quoted > 500);
}

TEST(mutated_quotes_match_the_reference)
{
    make_bases();
    static uint8_t e[2200];
    char why[512];
    unsigned quoted = 0;
    for (int k = 0; k < 200000; k++) {
        int i = (int)rnd(NBASE);
        uint8_t q[700];
        size_t len = base_len[i];
        memcpy(q, base[i], len);
        /* change 1-3 bytes among the headers (first 100 bytes) */
        for (unsigned j = 1 + rnd(3); j; j--)
            q[rnd(len < 100 ? (uint32_t)len : 100)] = (uint8_t)(rnd(3) ? rnd(256) : rnd(2) ? 0 : 0xff);
        size_t cut = rnd(4) ? len : rnd((uint32_t)len + 1);
        if (rq_check_parse(q, cut, "mutated", why, sizeof why)) {
            printf("FAIL %s: base %d case %d: %s\n", t_name_, i, k, why);
            *t_failed_ = 1;
            return;
        }
        bool qd;
        size_t elen = error_of(e, rnd(2) ? 4 : 6, q, cut);
        if (rq_check_error(e, elen, "mutated", &qd, why, sizeof why)) {
            printf("FAIL %s: base %d case %d: %s\n", t_name_, i, k, why);
            *t_failed_ = 1;
            return;
        }
        quoted += qd;
    }
    CHECK(quoted > 50000);
}

/* A quoted IPv4 packet whose total length is exactly its header has
 * nothing after it: bytes that follow in the error are not its ports. */
TEST(ipv4_quote_of_a_header_only_packet_has_no_ports)
{
    uint8_t b[64];
    uint8_t junk[8] = {0x04, 0xd0, 0x1e, 0x61, 0, 0, 0, 0};
    size_t n = ip4(b, 20, 17, junk, 8, 0);
    s46_put16(b + 2, 20); /* total length: the header alone */
    s46_quote q;
    CHECK(s46_quote_parse(b, n, &q));
    CHECK_INT(q.len, 20);
    CHECK_INT(q.l3.l4_len, 0);
    CHECK(!q.l3.has_ports);
}

T_MAIN(T_CASE(crafted_quotes_at_every_length), T_CASE(mutated_quotes_match_the_reference),
       T_CASE(ipv4_quote_of_a_header_only_packet_has_no_ports))
