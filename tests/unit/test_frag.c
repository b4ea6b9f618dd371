/* Reassembly (lib/frag.h) regression cases, written against the table's
 * outcomes only: the leak of issue 16 (a datagram with a hole completed,
 * the hole carrying an earlier datagram's bytes), IPv4 and IPv6. The
 * model-based tests are in test_frag_model.c. */
#include "t.h"
#include "lib/frag.h"
#include "lib/csum.h"

/* A fragment of datagram id from 192.0.2.1 / 2001:db8::1: payload bytes
 * [off, off + len) of value fill. */
static void build(s46_pkt *p, unsigned v, uint32_t id, uint32_t off, uint32_t len, bool m,
                  uint8_t fill)
{
    uint8_t *b;
    s46_pkt_reset(p);
    b = p->data;
    unsigned h = v == 4 ? 20 : 48;
    memset(b, 0, h);
    if (v == 4) {
        b[0] = 0x45;
        s46_put16(b + 2, (uint16_t)(20 + len));
        s46_put16(b + 4, (uint16_t)id);
        s46_put16(b + 6, (uint16_t)(off / 8 | (m ? 0x2000 : 0)));
        b[8] = 64, b[9] = 17;
        b[12] = 192, b[14] = 2, b[15] = 1;
        b[16] = 198, b[17] = 51, b[18] = 100, b[19] = 1;
        s46_put16(b + 10, s46_csum_fold(s46_csum_add(0, b, 20)));
    } else {
        b[0] = 0x60;
        s46_put16(b + 4, (uint16_t)(8 + len));
        b[6] = S46_PROTO_FRAG, b[7] = 64;
        b[8] = 0x20, b[9] = 0x01, b[10] = 0x0d, b[11] = 0xb8, b[23] = 1;
        b[24] = 0x20, b[25] = 0x01, b[26] = 0x0d, b[27] = 0xb8, b[39] = 2;
        b[40] = S46_PROTO_UDP;
        s46_put16(b + 42, (uint16_t)(off | (m ? 1 : 0)));
        s46_put32(b + 44, id);
    }
    memset(b + h, fill, len);
    p->len = h + len;
}

static s46_reasm_result offer(s46_reasm *r, s46_pkt *p, unsigned v, uint32_t id, uint32_t off,
                              uint32_t len, bool m, uint8_t fill, uint64_t now)
{
    s46_l3 l3;
    build(p, v, id, off, len, m, fill);
    if ((v == 4 ? s46_parse_ipv4(p->data, p->len, &l3) : s46_parse_ipv6(p->data, p->len, &l3)) < 0)
        return (s46_reasm_result)-1;
    return s46_reasm_add(r, p, &l3, now);
}

/* Datagram 1 (1000 bytes of 0xaa) whole, then datagram 2: offset 0 with
 * 16 bytes, offset 800 with 16 bytes, a last fragment at offset 24 with 8
 * bytes (all 0x55): bytes 16-23 never came, so nothing may complete. */
static void leak_case(int *t_failed_, unsigned v)
{
    static uint8_t buf[S46_PKT_BUFSIZE];
    s46_pkt p;
    s46_pkt_init(&p, buf);
    s46_reasm *r = s46_reasm_new(4, 1000000000ull);
    CHECK(r != NULL);
    CHECK_INT(offer(r, &p, v, 1, 0, 800, true, 0xaa, 1000), S46_REASM_HELD);
    CHECK_INT(offer(r, &p, v, 1, 800, 200, false, 0xaa, 1001), S46_REASM_DONE);
    CHECK_INT(p.len, (v == 4 ? 20 : 40) + 1000);
    CHECK_INT(offer(r, &p, v, 2, 0, 16, true, 0x55, 2000), S46_REASM_HELD);
    CHECK_INT(offer(r, &p, v, 2, 800, 16, true, 0x55, 2001), S46_REASM_HELD);
    s46_reasm_result last = offer(r, &p, v, 2, 24, 8, false, 0x55, 2002);
    if (last == S46_REASM_DONE) {
        unsigned h = v == 4 ? 20 : 40, leaked = 0;
        for (unsigned i = h; i < p.len; i++)
            leaked += p.data[i] == 0xaa;
        printf("  datagram 2 completed with a hole: %u of its %u payload bytes are datagram 1's\n",
               leaked, p.len - h);
    }
    CHECK(last != S46_REASM_DONE && last != S46_REASM_HELD);
    /* the hole's bytes arriving later complete nothing: the datagram was dropped */
    CHECK(offer(r, &p, v, 2, 16, 8, true, 0x55, 2003) != S46_REASM_DONE);
    s46_reasm_free(r);
}

TEST(ipv4_hole_never_filled_by_an_earlier_datagram) { leak_case(t_failed_, 4); }
TEST(ipv6_hole_never_filled_by_an_earlier_datagram) { leak_case(t_failed_, 6); }

/* A context reused after a datagram dropped with stored data: the new
 * datagram completes from its own bytes only. */
static void reuse_case(int *t_failed_, unsigned v)
{
    static uint8_t buf[S46_PKT_BUFSIZE];
    s46_pkt p;
    s46_pkt_init(&p, buf);
    s46_reasm *r = s46_reasm_new(1, 1000);
    CHECK(r != NULL);
    CHECK_INT(offer(r, &p, v, 1, 0, 64, true, 0xaa, 10), S46_REASM_HELD);
    CHECK_INT(offer(r, &p, v, 1, 64, 64, true, 0xaa, 11), S46_REASM_HELD);
    /* datagram 3 pushes datagram 1 out of the only context */
    CHECK_INT(offer(r, &p, v, 3, 64, 64, true, 0x33, 20), S46_REASM_HELD);
    CHECK_INT(offer(r, &p, v, 3, 0, 64, true, 0x33, 21), S46_REASM_HELD);
    CHECK_INT(offer(r, &p, v, 3, 128, 3, false, 0x33, 22), S46_REASM_DONE);
    unsigned h = v == 4 ? 20 : 40;
    CHECK_INT(p.len, h + 131);
    for (unsigned i = h; i < p.len; i++)
        CHECK_INT(p.data[i], 0x33);
    CHECK_INT(s46_reasm_expired(r), 1);
    s46_reasm_free(r);
}

TEST(ipv4_recycled_context_holds_only_the_new_datagram) { reuse_case(t_failed_, 4); }
TEST(ipv6_recycled_context_holds_only_the_new_datagram) { reuse_case(t_failed_, 6); }

/* The same inner datagram key (source, destination, id, protocol) from two
 * tunnel peers: two datagrams, each completed from its own fragments. */
TEST(ipv4_tagged_datagrams_of_two_peers_never_meet)
{
    static uint8_t buf[S46_PKT_BUFSIZE];
    s46_pkt p;
    s46_pkt_init(&p, buf);
    s46_reasm *r = s46_reasm_new(4, 1000000000ull);
    CHECK(r != NULL);
    uint8_t a[16] = {0x20, 1, 0xd, 0xb8, [15] = 0xa}, b[16] = {0x20, 1, 0xd, 0xb8, [15] = 0xb};
    s46_l3 l3;
    build(&p, 4, 9, 0, 64, true, 0xaa);
    CHECK(s46_parse_ipv4(p.data, p.len, &l3) == 0);
    CHECK_INT(s46_reasm_offer_tagged(r, &p, &l3, a, 1), S46_REASM_HELD);
    /* peer b's last fragment would complete a's datagram were the key only the inner one */
    build(&p, 4, 9, 64, 8, false, 0xbb);
    CHECK(s46_parse_ipv4(p.data, p.len, &l3) == 0);
    CHECK_INT(s46_reasm_offer_tagged(r, &p, &l3, b, 2), S46_REASM_HELD);
    build(&p, 4, 9, 64, 16, false, 0xaa);
    CHECK(s46_parse_ipv4(p.data, p.len, &l3) == 0);
    CHECK_INT(s46_reasm_offer_tagged(r, &p, &l3, a, 3), S46_REASM_DONE);
    CHECK_INT(p.len, 20 + 80);
    for (unsigned i = 20; i < p.len; i++)
        CHECK_INT(p.data[i], 0xaa);
    /* untagged is a third key */
    build(&p, 4, 9, 0, 64, true, 0xcc);
    CHECK(s46_parse_ipv4(p.data, p.len, &l3) == 0);
    CHECK_INT(s46_reasm_offer(r, &p, &l3, 4), S46_REASM_HELD);
    CHECK_INT(s46_reasm_get_stats(r)->held, 3);
    s46_reasm_free(r);
}

/* A 20-byte header, options (Record Route: not copied; then a copied
 * option of type 0x94, Router Alert), payload bytes i % 251. */
static void big4(s46_pkt *p, unsigned payload, bool opts, bool df)
{
    uint8_t *b = p->data;
    s46_pkt_reset(p);
    b = p->data;
    unsigned hl = opts ? 32 : 20;
    memset(b, 0, hl);
    b[0] = (uint8_t)(0x40 | hl / 4);
    s46_put16(b + 2, (uint16_t)(hl + payload));
    s46_put16(b + 4, 0x1234);
    s46_put16(b + 6, df ? 0x4000 : 0);
    b[8] = 60, b[9] = 17;
    b[12] = 192, b[14] = 2, b[15] = 1;
    b[16] = 198, b[17] = 51, b[18] = 100, b[19] = 7;
    if (opts) {
        b[20] = 7, b[21] = 7, b[22] = 4;            /* Record Route, one slot */
        b[27] = 0x94, b[28] = 4;                    /* Router Alert (copied) */
        b[31] = 0;                                  /* End of Options */
    }
    for (unsigned i = 0; i < payload; i++)
        b[hl + i] = (uint8_t)(i % 251);
    s46_put16(b + 10, s46_csum_fold(s46_csum_add(0, b, hl)));
    p->len = hl + payload;
}

static void frag4_case(int *t_failed_, bool opts)
{
    static uint8_t buf[S46_PKT_BUFSIZE];
    s46_pkt p;
    s46_pkt_init(&p, buf);
    s46_pktpool *pool = s46_pktpool_new(8);
    CHECK(pool != NULL);
    s46_pkt *x[8];
    big4(&p, 3000, opts, false);
    int n = s46_frag4(&p, 1500, pool, x, 8);
    CHECK_INT(n, 2);
    unsigned hl = opts ? 32 : 20, ohl = opts ? 24 : 20;
    /* the first keeps every option and carries (1500 - hl) & ~7 bytes */
    unsigned first = (1500 - hl) & ~7u, later = (1500 - ohl) & ~7u;
    s46_pkt *all[3] = {&p, x[0], x[1]};
    unsigned off = 0;
    for (unsigned k = 0; k < 3; k++) {
        const uint8_t *d = all[k]->data;
        unsigned h = (d[0] & 15u) * 4u, len = all[k]->len - h;
        CHECK_INT(h, k ? ohl : hl);
        CHECK(all[k]->len <= 1500);
        CHECK_INT(s46_get16(d + 2), all[k]->len);
        CHECK_INT(s46_get16(d + 4), 0x1234);
        CHECK_INT((s46_get16(d + 6) & 0x1fff) * 8u, off);
        CHECK_INT(!!(s46_get16(d + 6) & 0x2000), k < 2);
        CHECK_INT(s46_csum_fold(s46_csum_add(0, d, h)), 0);
        CHECK_INT(len, k == 0 ? first : k == 1 ? later : 3000 - first - later);
        if (opts && k)
            CHECK(d[20] == 0x94 && d[21] == 4); /* only the copied option */
        for (unsigned i = 0; i < len; i++)
            CHECK_INT(d[h + i], (off + i) % 251);
        off += len;
    }
    CHECK_INT(off, 3000);
    /* a fragment cut again keeps its place and M */
    s46_pkt_release(pool, x[1]);
    s46_pkt *mid = x[0];
    unsigned moff = (s46_get16(mid->data + 6) & 0x1fff) * 8u;
    CHECK_INT(s46_frag4(mid, 600, pool, x, 8), 2);
    CHECK_INT((s46_get16(mid->data + 6) & 0x1fff) * 8u, moff);
    CHECK(s46_get16(mid->data + 6) & 0x2000);
    CHECK(s46_get16(x[1]->data + 6) & 0x2000);  /* the middle one's M stays */
    s46_pkt_release(pool, x[0]);
    s46_pkt_release(pool, x[1]);
    s46_pkt_release(pool, mid);
    /* DF set, or small enough: untouched */
    big4(&p, 3000, opts, true);
    CHECK_INT(s46_frag4(&p, 1500, pool, x, 8), -1);
    CHECK_INT(p.len, hl + 3000);
    big4(&p, 1000, opts, false);
    CHECK_INT(s46_frag4(&p, 1500, pool, x, 8), 0);
    s46_pktpool_free(pool);
}

TEST(ipv4_fragmented_to_the_mtu) { frag4_case(t_failed_, false); }
TEST(ipv4_fragments_keep_only_copied_options) { frag4_case(t_failed_, true); }

T_MAIN(T_CASE(ipv4_hole_never_filled_by_an_earlier_datagram),
       T_CASE(ipv6_hole_never_filled_by_an_earlier_datagram),
       T_CASE(ipv4_recycled_context_holds_only_the_new_datagram),
       T_CASE(ipv6_recycled_context_holds_only_the_new_datagram),
       T_CASE(ipv4_tagged_datagrams_of_two_peers_never_meet),
       T_CASE(ipv4_fragmented_to_the_mtu), T_CASE(ipv4_fragments_keep_only_copied_options))
