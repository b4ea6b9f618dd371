/* Software GSO (lib/gso): every segment of IPv4/IPv6 TCP and UDP
 * super-packets (with IP options or extension headers, TCP options, odd
 * sizes, a shorter or a full last segment) is compared byte for byte with a
 * packet built here from scratch: its payload slice, its header fields
 * written from the expected values, checksums summed with a plain loop.
 * Super-packets live in heap buffers of exactly their length, so that
 * ASan catches any read past the end, also for the refused ones. */
#include "lib/csum.h"
#include "lib/gso.h"
#include "t.h"

enum { FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10, URG = 0x20, ECE = 0x40,
       CWR = 0x80 };
enum { CS_FULL, CS_PARTIAL, CS_GARBAGE };

typedef struct shape {
    int v6, udp;
    unsigned ipopt;  /* IPv4 option bytes (x4) / IPv6 destination-options header bytes (x8) */
    unsigned tcpopt; /* TCP option bytes (x4) */
    uint8_t flags;   /* TCP flags of the super-packet */
    uint32_t seq;
    uint16_t id;
} shape;

static uint32_t sum16(uint32_t s, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    return s;
}
static uint16_t fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}
static void w16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }
static void w32(uint8_t *p, uint32_t v) { w16(p, v >> 16), w16(p + 2, v & 0xffff); }

static const uint8_t src4[4] = {192, 0, 2, 1}, dst4[4] = {198, 51, 100, 2};
static const uint8_t src6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t dst6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12, 2};

/* One packet of shape s carrying payload[0..plen) with these sequence
 * number, IPv4 id and TCP flags; returns its length. */
static uint32_t build(uint8_t *b, const shape *s, const uint8_t *payload, uint32_t plen,
                      uint32_t seq, uint16_t id, uint8_t flags, int cs)
{
    uint32_t l4off, l4hdr = s->udp ? 8 : 20 + s->tcpopt;
    uint8_t proto = s->udp ? 17 : 6;
    if (s->v6) {
        l4off = 40 + s->ipopt;
        uint32_t n = l4off + l4hdr + plen;
        b[0] = 0x61, b[1] = 0x23, b[2] = 0x45, b[3] = 0x67; /* class and flow label */
        w16(b + 4, n - 40);
        b[6] = s->ipopt ? 60 : proto;
        b[7] = 64;
        memcpy(b + 8, src6, 16);
        memcpy(b + 24, dst6, 16);
        if (s->ipopt) {
            memset(b + 40, 0, s->ipopt);
            b[40] = proto;
            b[41] = (uint8_t)(s->ipopt / 8 - 1);
            b[42] = 1; /* PadN */
            b[43] = (uint8_t)(s->ipopt - 4);
        }
    } else {
        l4off = 20 + s->ipopt;
        uint32_t n = l4off + l4hdr + plen;
        b[0] = (uint8_t)(0x40 | l4off / 4);
        b[1] = 0x10;
        w16(b + 2, n);
        w16(b + 4, id);
        w16(b + 6, 0x4000); /* DF */
        b[8] = 64;
        b[9] = proto;
        w16(b + 10, 0);
        memcpy(b + 12, src4, 4);
        memcpy(b + 16, dst4, 4);
        memset(b + 20, 1, s->ipopt); /* NOPs */
        w16(b + 10, fold(sum16(0, b, l4off)));
    }
    uint8_t *l4 = b + l4off;
    uint32_t l4len = l4hdr + plen;
    w16(l4, 40000);
    w16(l4 + 2, 443);
    if (s->udp) {
        w16(l4 + 4, l4len);
        w16(l4 + 6, 0);
    } else {
        w32(l4 + 4, seq);
        w32(l4 + 8, 0x0badcafe);
        l4[12] = (uint8_t)((20 + s->tcpopt) / 4 << 4);
        l4[13] = flags;
        w16(l4 + 14, 29200);
        w16(l4 + 16, 0);
        w16(l4 + 18, 7);
        memset(l4 + 20, 1, s->tcpopt);
        if (s->tcpopt >= 12) { /* a timestamp option */
            l4[22] = 8, l4[23] = 10;
            w32(l4 + 24, 0x11223344);
            w32(l4 + 28, 0x55667788);
        }
    }
    memcpy(l4 + l4hdr, payload, plen);
    uint32_t ph = s->v6 ? sum16(sum16(0, src6, 16), dst6, 16) : sum16(sum16(0, src4, 4), dst4, 4);
    ph += proto + (l4len >> 16) + (l4len & 0xffff);
    uint8_t *field = l4 + (s->udp ? 6 : 16);
    if (cs == CS_FULL) {
        uint16_t c = fold(sum16(ph, l4, l4len));
        w16(field, s->udp && c == 0 ? 0xffff : c);
    } else if (cs == CS_PARTIAL) {
        w16(field, (uint16_t)~fold(ph));
    } else {
        w16(field, 0xdead);
    }
    return l4off + l4len;
}

static uint8_t payload[70000];
static void fill_payload(uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < sizeof payload; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        payload[i] = (uint8_t)x;
    }
}

/* The super-packet as a pool would never hold it: a heap buffer of
 * exactly its length. */
static s46_pkt super(const shape *s, uint32_t plen, uint16_t mss, int cs)
{
    static uint8_t tmp[S46_GSO_MAXLEN + 100];
    uint32_t n = build(tmp, s, payload, plen, s->seq, s->id, s->flags, cs);
    s46_pkt p;
    memset(&p, 0, sizeof p);
    p.data = malloc(n);
    memcpy(p.data, tmp, n);
    p.len = n;
    p.gso_size = mss;
    p.gso_type = s->udp ? S46_GSO_UDP_L4 : s->v6 ? S46_GSO_TCP6 : S46_GSO_TCP4;
    p.csum_partial = cs == CS_PARTIAL;
    p.in_port = 3;
    p.ts_ns = 12345;
    return p;
}

/* Segments s with the step API (at most `step` at a time, with a pool of
 * `poolsize`) and compares each segment with the expected packet. Returns
 * the number of mismatches (0 when all agree), or -1 on a refusal. */
static int check_shape(const shape *s, uint32_t plen, uint16_t mss, int cs, uint32_t step,
                       uint32_t poolsize)
{
    s46_pkt sp = super(s, plen, mss, cs);
    s46_gso g;
    int bad = 0;
    if (s46_gso_begin(&g, &sp) != 0) {
        free(sp.data);
        return -1;
    }
    uint32_t want_n = (plen + mss - 1) / mss;
    if (g.count != want_n)
        bad++;
    s46_pktpool *pool = s46_pktpool_new(poolsize);
    static uint8_t exp[S46_PKT_BUFSIZE];
    uint32_t seen = 0;
    while (s46_gso_left(&g) > 0) {
        s46_pkt *out[64];
        uint32_t n = s46_gso_next(&g, pool, out, step);
        if (n == 0) {
            bad++;
            break;
        }
        for (uint32_t k = 0; k < n; k++, seen++) {
            uint32_t off = seen * mss, seg = plen - off < mss ? plen - off : mss;
            uint8_t f = s->flags;
            if (seen + 1 < want_n)
                f &= (uint8_t)~(FIN | PSH);
            if (seen > 0)
                f &= (uint8_t)~CWR;
            uint32_t el = build(exp, s, payload + off, seg, s->seq + off,
                                (uint16_t)(s->id + seen), f, CS_FULL);
            s46_pkt *p = out[k];
            if (p->len != el || memcmp(p->data, exp, el) != 0) {
                printf("  segment %u of %u differs (len %u, expected %u)\n", seen, want_n,
                       p->len, el);
                bad++;
            }
            if (s46_pkt_headroom(p) != S46_PKT_HEADROOM || p->gso_size || p->csum_partial ||
                p->in_port != 3 || p->ts_ns != 12345)
                bad++;
            s46_pkt_release(pool, p);
        }
    }
    if (seen != want_n)
        bad++;
    if (s46_pktpool_available(pool) != poolsize)
        bad++;
    s46_pktpool_free(pool);
    free(sp.data);
    return bad;
}

TEST(gso_tcp4_plain_last_shorter)
{
    fill_payload(1);
    shape s = {.flags = ACK | PSH | FIN | CWR, .seq = 0xfffff000u, .id = 0xfffe};
    /* sequence numbers and ids wrap around */
    CHECK_INT(check_shape(&s, 10000, 1448, CS_PARTIAL, 64, 64), 0);
    CHECK_INT(check_shape(&s, 10000, 1448, CS_GARBAGE, 64, 64), 0);
}

TEST(gso_tcp4_options_odd_sizes)
{
    fill_payload(2);
    shape s = {.ipopt = 8, .tcpopt = 12, .flags = ACK | PSH | URG, .seq = 7, .id = 100};
    CHECK_INT(check_shape(&s, 7777, 1001, CS_PARTIAL, 64, 64), 0);
    CHECK_INT(check_shape(&s, 7777, 999, CS_PARTIAL, 3, 64), 0);   /* three at a time */
    CHECK_INT(check_shape(&s, 7777, 1, CS_PARTIAL, 64, 64), 0); /* one byte each */
    s.ipopt = 40;
    s.tcpopt = 40; /* the largest headers */
    CHECK_INT(check_shape(&s, 3001, 577, CS_PARTIAL, 64, 64), 0);
}

TEST(gso_tcp4_full_last_and_single)
{
    fill_payload(3);
    shape s = {.flags = ACK | FIN, .seq = 1000, .id = 1};
    CHECK_INT(check_shape(&s, 1448 * 7, 1448, CS_PARTIAL, 64, 64), 0);
    CHECK_INT(check_shape(&s, 1000, 1448, CS_PARTIAL, 64, 64), 0); /* one segment */
    CHECK_INT(check_shape(&s, 1, 1448, CS_PARTIAL, 64, 64), 0);    /* one byte */
    CHECK_INT(check_shape(&s, 1449, 1448, CS_PARTIAL, 64, 64), 0); /* one byte left over */
}

TEST(gso_tcp6_large)
{
    fill_payload(4);
    shape s = {.v6 = 1, .tcpopt = 12, .flags = ACK | PSH | CWR | ECE, .seq = 0x80000000u};
    /* a 64 KiB super-packet: 46 segments */
    CHECK_INT(check_shape(&s, 65535 - 32, 1428, CS_PARTIAL, 64, 64), 0);
    CHECK_INT(check_shape(&s, 9000, 1220, CS_PARTIAL, 64, 64), 0);
}

TEST(gso_tcp6_extension_header)
{
    fill_payload(5);
    shape s = {.v6 = 1, .ipopt = 16, .tcpopt = 4, .flags = ACK | FIN, .seq = 42};
    CHECK_INT(check_shape(&s, 5003, 1337, CS_PARTIAL, 64, 64), 0);
    CHECK_INT(check_shape(&s, 5003, 1337, CS_GARBAGE, 2, 64), 0);
}

TEST(gso_udp4_and_udp6)
{
    fill_payload(6);
    shape s4 = {.udp = 1, .id = 0x1234};
    CHECK_INT(check_shape(&s4, 5000, 1200, CS_PARTIAL, 64, 64), 0);
    CHECK_INT(check_shape(&s4, 1200 * 3, 1200, CS_PARTIAL, 64, 64), 0);
    shape s6 = {.v6 = 1, .udp = 1};
    CHECK_INT(check_shape(&s6, 60001, 1452, CS_PARTIAL, 64, 64), 0);
    shape s6x = {.v6 = 1, .udp = 1, .ipopt = 8};
    CHECK_INT(check_shape(&s6x, 777, 100, CS_GARBAGE, 5, 64), 0);
}

/* A UDP segment whose checksum computes to 0 carries 0xffff. */
TEST(gso_udp_zero_checksum_sent_as_ffff)
{
    fill_payload(7);
    shape s = {.udp = 1, .id = 9};
    uint16_t mss = 1000;
    /* make the second segment sum to zero: its first payload word is set
     * to the checksum the segment has with that word 0 */
    static uint8_t seg[S46_PKT_BUFSIZE];
    payload[mss] = payload[mss + 1] = 0;
    build(seg, &s, payload + mss, mss, 0, (uint16_t)(s.id + 1), 0, CS_FULL);
    uint16_t c = (uint16_t)(seg[26] << 8 | seg[27]);
    payload[mss] = (uint8_t)(c >> 8);
    payload[mss + 1] = (uint8_t)c;
    s46_pkt sp = super(&s, 2500, mss, CS_PARTIAL);
    s46_pktpool *pool = s46_pktpool_new(8);
    s46_pkt *out[8];
    int n = s46_gso_segment(&sp, pool, out, 8);
    CHECK_INT(n, 3);
    CHECK_INT(out[1]->data[26] << 8 | out[1]->data[27], 0xffff);
    CHECK_INT(check_shape(&s, 2500, mss, CS_PARTIAL, 64, 64), 0);
    for (int i = 0; i < n; i++)
        s46_pkt_release(pool, out[i]);
    s46_pktpool_free(pool);
    free(sp.data);
}

/* IPv4-in-IPv6 (the kernel's GRO of one softwire's segments): the inner
 * packet is cut, each segment behind a copy of the outer header with its
 * payload length set. */
TEST(gso_tcp4_in_ipv6)
{
    fill_payload(9);
    shape s = {.tcpopt = 12, .flags = ACK | PSH, .seq = 99, .id = 0xfff0};
    uint32_t plen = 20000;
    uint16_t mss = 1400;
    s46_pkt in = super(&s, plen, mss, CS_PARTIAL);
    s46_pkt sp = in;
    sp.data = malloc(in.len + 40);
    memcpy(sp.data + 40, in.data, in.len);
    uint8_t *o = sp.data;
    memset(o, 0, 40);
    o[0] = 0x60;
    w16(o + 4, in.len);
    o[6] = 4; /* IPv4 */
    o[7] = 64;
    memcpy(o + 8, dst6, 16);
    memcpy(o + 24, src6, 16);
    sp.len = in.len + 40;
    s46_pktpool *pool = s46_pktpool_new(32);
    s46_pkt *out[32];
    int n = s46_gso_segment(&sp, pool, out, 32);
    CHECK_INT(n, (int)((plen + mss - 1) / mss));
    static uint8_t exp[S46_PKT_BUFSIZE];
    int bad = 0;
    for (int k = 0; k < n; k++) {
        uint32_t off = (uint32_t)k * mss, seg = plen - off < mss ? plen - off : mss;
        uint8_t f = k + 1 < n ? ACK : ACK | PSH;
        uint32_t el = build(exp, &s, payload + off, seg, s.seq + off, (uint16_t)(s.id + k), f,
                            CS_FULL);
        uint8_t *d = out[k]->data;
        if (out[k]->len != el + 40 || s46_get16(d + 4) != el || memcmp(d, o, 4) ||
            memcmp(d + 6, o + 6, 34) || memcmp(d + 40, exp, el))
            bad++;
        s46_pkt_release(pool, out[k]);
    }
    CHECK_INT(bad, 0);
    /* the outer header's kind does not match the type: refused */
    sp.gso_type = S46_GSO_TCP6;
    CHECK(s46_gso_segment(&sp, pool, out, 32) < 0);
    s46_pktpool_free(pool);
    free(sp.data);
    free(in.data);
}

/* The step API with a batch that is partly full and a pool that runs dry:
 * the segments come out in order across calls. */
TEST(gso_batch_and_small_pool)
{
    fill_payload(8);
    shape s = {.flags = ACK | PSH, .seq = 5, .id = 77};
    CHECK_INT(check_shape(&s, 20000, 1000, CS_PARTIAL, 64, 3), 0); /* pool of 3 */
    s46_pkt sp = super(&s, 20000, 1000, CS_PARTIAL);
    s46_gso g;
    CHECK_INT(s46_gso_begin(&g, &sp), 0);
    CHECK_INT(s46_gso_left(&g), 20);
    s46_pktpool *pool = s46_pktpool_new(64);
    s46_batch b = {.count = S46_BATCH_MAX - 6};
    CHECK_INT(s46_gso_next_batch(&g, pool, &b), 6);
    CHECK_INT(b.count, S46_BATCH_MAX);
    CHECK_INT(s46_gso_next_batch(&g, pool, &b), 0);
    CHECK_INT(s46_gso_left(&g), 14);
    /* the sixth segment's sequence number, then on to the seventh */
    CHECK_INT(s46_get32(b.pkts[S46_BATCH_MAX - 1]->data + 24), 5 + 5 * 1000);
    for (uint32_t i = S46_BATCH_MAX - 6; i < S46_BATCH_MAX; i++)
        s46_pkt_release(pool, b.pkts[i]);
    b.count = 0;
    CHECK_INT(s46_gso_next_batch(&g, pool, &b), 14);
    CHECK_INT(s46_get32(b.pkts[0]->data + 24), 5 + 6 * 1000);
    CHECK_INT(s46_get16(b.pkts[0]->data + 4), 77 + 6);
    CHECK_INT(s46_gso_left(&g), 0);
    CHECK_INT(s46_gso_next_batch(&g, pool, &b), 0);
    for (uint32_t i = 0; i < b.count; i++)
        s46_pkt_release(pool, b.pkts[i]);
    CHECK_INT(s46_pktpool_available(pool), 64);
    s46_pktpool_free(pool);
    free(sp.data);
}

/* All or nothing: too little room takes nothing from the pool. */
TEST(gso_segment_all_or_nothing)
{
    fill_payload(9);
    shape s = {.v6 = 1, .flags = ACK};
    s46_pkt sp = super(&s, 10000, 1000, CS_PARTIAL);
    s46_pktpool *pool = s46_pktpool_new(16);
    s46_pkt *out[16];
    CHECK_INT(s46_gso_segment(&sp, pool, out, 9), -S46_GSO_ESPACE);
    CHECK_INT(s46_pktpool_available(pool), 16);
    s46_pktpool *small = s46_pktpool_new(5);
    CHECK_INT(s46_gso_segment(&sp, small, out, 16), -S46_GSO_ESPACE);
    CHECK_INT(s46_pktpool_available(small), 5);
    s46_pktpool_free(small);
    CHECK_INT(s46_gso_segment(&sp, pool, out, 16), 10);
    for (int i = 0; i < 10; i++)
        s46_pkt_release(pool, out[i]);
    s46_pktpool_free(pool);
    free(sp.data);
}

/* Refused with a reason: nothing produced, nothing read past the end. */
static int refused(s46_pkt *sp)
{
    s46_gso g;
    int r = s46_gso_begin(&g, sp);
    if (r == 0)
        return 0;
    s46_pktpool *pool = s46_pktpool_new(4);
    s46_pkt *out[4];
    int r2 = s46_gso_segment(sp, pool, out, 4);
    if (r2 != r || s46_pktpool_available(pool) != 4)
        r = 1;
    s46_pktpool_free(pool);
    return r;
}

/* A copy of sp cut to n bytes, in a buffer of exactly n bytes. */
static s46_pkt cut(const s46_pkt *sp, uint32_t n)
{
    s46_pkt c = *sp;
    c.data = malloc(n ? n : 1);
    memcpy(c.data, sp->data, n);
    c.len = n;
    return c;
}

TEST(gso_bad_inputs_refused)
{
    fill_payload(10);
    shape s4 = {.tcpopt = 12, .flags = ACK};
    s46_pkt sp = super(&s4, 3000, 1000, CS_PARTIAL);
    CHECK_INT(refused(&sp), 0); /* the good one is not refused */
    sp.gso_size = 0;
    CHECK_INT(refused(&sp), -S46_GSO_ENOSIZE);
    sp.gso_size = 1000;
    sp.gso_type = S46_GSO_TCP6;
    CHECK_INT(refused(&sp), -S46_GSO_ETYPE);
    sp.gso_type = S46_GSO_UDP_L4;
    CHECK_INT(refused(&sp), -S46_GSO_ETYPE);
    sp.gso_type = 9;
    CHECK_INT(refused(&sp), -S46_GSO_ETYPE);
    sp.gso_type = S46_GSO_TCP4;
    sp.gso_size = 20000;
    CHECK_INT(refused(&sp), -S46_GSO_EBIG);
    sp.gso_size = 1000;
    /* the IPv4 length says more, or less, than there is */
    for (uint32_t n = 0; n < 100; n++) {
        s46_pkt c = cut(&sp, n);
        int r = refused(&c);
        CHECK(r == -S46_GSO_ETRUNC || r == -S46_GSO_ELEN);
        free(c.data);
    }
    s46_pkt c = cut(&sp, sp.len - 1);
    CHECK_INT(refused(&c), -S46_GSO_ELEN);
    free(c.data);
    /* consistent lengths, headers cut: IP header length past the end, TCP
     * header cut, TCP data offset past the end, no payload */
    uint32_t cuts[] = {19, 20, 30, 39, 40, 51, 52};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        c = cut(&sp, cuts[i]);
        if (c.len >= 4)
            w16(c.data + 2, c.len);
        CHECK_INT(refused(&c), -S46_GSO_ETRUNC);
        free(c.data);
    }
    c = cut(&sp, 20);
    w16(c.data + 2, 20);
    c.data[0] = 0x4f; /* IHL 60 > 20 */
    CHECK_INT(refused(&c), -S46_GSO_ETRUNC);
    c.data[0] = 0x44; /* IHL 16 < 20 */
    CHECK_INT(refused(&c), -S46_GSO_ETRUNC);
    c.data[0] = 0x55; /* not IPv4 or IPv6 */
    CHECK_INT(refused(&c), -S46_GSO_ETYPE);
    free(c.data);
    /* a fragment */
    sp.data[6] |= 0x20;
    CHECK_INT(refused(&sp), -S46_GSO_EFRAG);
    sp.data[6] &= (uint8_t)~0x20;
    sp.data[7] = 1;
    CHECK_INT(refused(&sp), -S46_GSO_EFRAG);
    sp.data[7] = 0;
    /* UDP inside, TCP said */
    sp.data[9] = 17;
    CHECK_INT(refused(&sp), -S46_GSO_ETYPE);
    free(sp.data);

    shape s6 = {.v6 = 1, .ipopt = 8, .udp = 1};
    sp = super(&s6, 3000, 1000, CS_PARTIAL);
    CHECK_INT(refused(&sp), 0);
    sp.gso_type = S46_GSO_TCP4;
    CHECK_INT(refused(&sp), -S46_GSO_ETYPE);
    sp.gso_type = S46_GSO_TCP6; /* a UDP packet */
    CHECK_INT(refused(&sp), -S46_GSO_ETYPE);
    sp.gso_type = S46_GSO_UDP_L4;
    c = cut(&sp, sp.len + 0 - 1);
    CHECK_INT(refused(&c), -S46_GSO_ELEN);
    free(c.data);
    for (uint32_t n = 0; n < 57; n++) { /* 57: the first with payload */
        c = cut(&sp, n);
        if (n >= 6)
            w16(c.data + 4, n >= 40 ? n - 40 : 0);
        int r = refused(&c);
        CHECK(r == -S46_GSO_ETRUNC || r == -S46_GSO_ELEN);
        free(c.data);
    }
    /* extension header length past the end */
    s46_pkt small = super(&s6, 100, 50, CS_PARTIAL);
    CHECK_INT(refused(&small), 0);
    small.data[41] = 200;
    CHECK_INT(refused(&small), -S46_GSO_ETRUNC);
    small.data[6] = 60;
    small.data[40] = 60; /* another one that starts past the end */
    small.data[41] = 20;
    CHECK_INT(refused(&small), -S46_GSO_ETRUNC);
    free(small.data);
    /* a fragment header, an unknown one, a routing header with segments left */
    sp.data[6] = 44;
    CHECK_INT(refused(&sp), -S46_GSO_EFRAG);
    sp.data[6] = 50;
    CHECK_INT(refused(&sp), -S46_GSO_ETYPE);
    sp.data[6] = 43;
    sp.data[43] = 1;
    CHECK_INT(refused(&sp), -S46_GSO_ETYPE);
    sp.data[6] = 60;
    CHECK_INT(refused(&sp), 0);
    free(sp.data);
    CHECK(s46_gso_strerror(-S46_GSO_ELEN)[0] != 0);
    CHECK_STR(s46_gso_strerror(0), "");
}

TEST(csum_complete_partial)
{
    fill_payload(11);
    static uint8_t b[2000], want[2000];
    for (int udp = 0; udp < 2; udp++)
        for (int v6 = 0; v6 < 2; v6++)
            for (uint32_t plen = 0; plen < 40; plen += 3) {
                shape s = {.v6 = v6, .udp = udp, .tcpopt = 8, .flags = ACK | PSH, .seq = 3};
                uint32_t n = build(b, &s, payload, plen, 3, 1, ACK | PSH, CS_PARTIAL);
                build(want, &s, payload, plen, 3, 1, ACK | PSH, CS_FULL);
                s46_pkt p;
                memset(&p, 0, sizeof p);
                p.data = malloc(n);
                memcpy(p.data, b, n);
                p.len = n;
                p.csum_partial = true;
                p.csum_start = (uint16_t)(v6 ? 40 : 20);
                p.csum_off = (uint16_t)(udp ? 6 : 16);
                CHECK_INT(s46_csum_complete(&p), 0);
                CHECK(!p.csum_partial);
                uint32_t l4 = p.csum_start + p.csum_off;
                uint16_t got = s46_get16(p.data + l4), exp = s46_get16(want + l4);
                if (exp == 0)
                    exp = 0xffff;
                CHECK_INT(got, exp);
                CHECK(memcmp(p.data, want, l4) == 0);
                /* offsets past the end are refused, nothing written */
                p.csum_partial = true;
                p.csum_off = (uint16_t)(n - p.csum_start - 1);
                CHECK_INT(s46_csum_complete(&p), -1);
                p.csum_start = 65535;
                p.csum_off = 65535;
                CHECK_INT(s46_csum_complete(&p), -1);
                CHECK(p.csum_partial);
                free(p.data);
            }
    /* a sum that folds to 0 is written as 0xffff (TCP and UDP alike) */
    for (int udp = 0; udp < 2; udp++) {
        shape s = {.udp = udp, .flags = ACK};
        payload[0] = payload[1] = 0;
        build(want, &s, payload, 30, 3, 1, ACK, CS_FULL);
        uint32_t fo = 20 + (udp ? 6 : 16);
        uint16_t c = s46_get16(want + fo);
        payload[0] = (uint8_t)(c >> 8), payload[1] = (uint8_t)c;
        uint32_t n = build(b, &s, payload, 30, 3, 1, ACK, CS_PARTIAL);
        s46_pkt p;
        memset(&p, 0, sizeof p);
        p.data = b;
        p.len = n;
        p.csum_partial = true;
        p.csum_start = 20;
        p.csum_off = (uint16_t)(fo - 20);
        CHECK_INT(s46_csum_complete(&p), 0);
        CHECK_INT(s46_get16(b + fo), 0xffff);
    }
    s46_pkt q;
    memset(&q, 0, sizeof q);
    CHECK_INT(s46_csum_complete(&q), 0); /* nothing to do */
}

T_MAIN(T_CASE(gso_tcp4_plain_last_shorter), T_CASE(gso_tcp4_options_odd_sizes),
       T_CASE(gso_tcp4_full_last_and_single), T_CASE(gso_tcp6_large),
       T_CASE(gso_tcp6_extension_header), T_CASE(gso_udp4_and_udp6),
       T_CASE(gso_udp_zero_checksum_sent_as_ffff), T_CASE(gso_batch_and_small_pool),
       T_CASE(gso_tcp4_in_ipv6),
       T_CASE(gso_segment_all_or_nothing), T_CASE(gso_bad_inputs_refused),
       T_CASE(csum_complete_partial))
