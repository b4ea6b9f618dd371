/* TCP segment coalescing (lib/coalesce): runs are found where the kernel's
 * segmentation would give back exactly the same packets and nowhere else
 * (a gap in the sequence, another flow, a changed option, PSH before the
 * end, a damaged checksum, a longer segment after a shorter one), and the
 * super-packet built from a run, cut again by lib/gso, yields the original
 * segments byte for byte (checksums included). */
#include "lib/coalesce.h"
#include "lib/csum.h"
#include "lib/gso.h"
#include "t.h"

enum { FIN = 0x01, PSH = 0x08, ACK = 0x10, CWR = 0x80 };

static const uint8_t src4[4] = {192, 0, 2, 1}, dst4[4] = {198, 51, 100, 2};
static const uint8_t src6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t dst6[16] = {0x20, 0x01, 0x0d, 0xb8, [14] = 0x12, [15] = 2};

/* One TCP segment: IPv4 (DF, id) or IPv6, timestamps option, payload of
 * plen bytes derived from seq. */
static void build(s46_pkt *p, int v6, uint32_t seq, uint16_t id, uint32_t plen, uint8_t flags)
{
    s46_pkt_reset(p);
    uint8_t *d = p->data;
    uint32_t l4off = v6 ? 40 : 20, thl = 32, n = l4off + thl + plen;
    memset(d, 0, l4off + thl);
    if (v6) {
        d[0] = 0x60;
        s46_put16(d + 4, (uint16_t)(n - 40));
        d[6] = 6;
        d[7] = 64;
        memcpy(d + 8, src6, 16);
        memcpy(d + 24, dst6, 16);
    } else {
        d[0] = 0x45;
        s46_put16(d + 2, (uint16_t)n);
        s46_put16(d + 4, id);
        d[6] = 0x40; /* DF */
        d[8] = 64;
        d[9] = 6;
        memcpy(d + 12, src4, 4);
        memcpy(d + 16, dst4, 4);
        s46_put16(d + 10, s46_csum_fold(s46_csum_add(0, d, 20)));
    }
    uint8_t *th = d + l4off;
    s46_put16(th, 40000);
    s46_put16(th + 2, 443);
    s46_put32(th + 4, seq);
    s46_put32(th + 8, 0x0badcafe);
    th[12] = (uint8_t)(thl / 4 << 4);
    th[13] = flags;
    s46_put16(th + 14, 501);
    th[20] = 1, th[21] = 1, th[22] = 8, th[23] = 10; /* NOP NOP timestamps */
    s46_put32(th + 24, 0x11223344);
    s46_put32(th + 28, 0x55667788);
    for (uint32_t i = 0; i < plen; i++)
        th[thl + i] = (uint8_t)((seq + i) * 7 + 3);
    p->len = n;
    uint32_t l4len = n - l4off;
    uint32_t sum = v6 ? s46_csum_pseudo6(d + 8, d + 24, 6, l4len)
                      : s46_csum_pseudo4(d + 12, d + 16, 6, l4len);
    s46_put16(th + 16, s46_csum_fold(s46_csum_add(sum, th, l4len)));
}

/* Checksums again after a header was changed. */
static void refresh(s46_pkt *p)
{
    uint8_t *d = p->data;
    int v6 = d[0] >> 4 == 6;
    uint32_t l4off = v6 ? 40 : 20, l4len = p->len - l4off;
    if (!v6) {
        s46_put16(d + 10, 0);
        s46_put16(d + 10, s46_csum_fold(s46_csum_add(0, d, 20)));
    }
    uint8_t *th = d + l4off;
    s46_put16(th + 16, 0);
    uint32_t sum = v6 ? s46_csum_pseudo6(d + 8, d + 24, 6, l4len)
                      : s46_csum_pseudo4(d + 12, d + 16, 6, l4len);
    s46_put16(th + 16, s46_csum_fold(s46_csum_add(sum, th, l4len)));
}

#define N 8
#define MSS 1000
static s46_pktpool *pool;
static s46_pkt *pk[N];

/* N segments of one flow: seq 1000 + i * MSS, ids 77 + i, the last
 * `last` bytes long with flags lastf. */
static void stream(int v6, uint32_t last, uint8_t lastf)
{
    if (!pool)
        pool = s46_pktpool_new(2 * N + 70);
    for (int i = 0; i < N; i++) {
        if (!pk[i])
            pk[i] = s46_pkt_alloc(pool);
        build(pk[i], v6, 1000 + (uint32_t)i * MSS, (uint16_t)(77 + i), i == N - 1 ? last : MSS,
              i == N - 1 ? lastf : ACK);
    }
}

/* Merges the run of all N into a flat super-packet and cuts it again:
 * every segment must come back as it was. */
static int roundtrip(int v6, uint8_t lastf)
{
    static uint8_t orig[N][2000], flat[N * 2000];
    uint32_t olen[N];
    stream(v6, 333, lastf);
    for (int i = 0; i < N; i++) {
        memcpy(orig[i], pk[i]->data, pk[i]->len);
        olen[i] = pk[i]->len;
    }
    s46_coalesce c;
    if (s46_coalesce_run(pk, N, N, &c) != N)
        return 1;
    s46_coalesce_head(pk, &c);
    uint32_t at = pk[0]->len;
    memcpy(flat, pk[0]->data, at);
    for (int i = 1; i < N; i++) {
        memcpy(flat + at, pk[i]->data + c.hdrlen, pk[i]->len - c.hdrlen);
        at += pk[i]->len - c.hdrlen;
    }
    if (at != c.len || !pk[0]->csum_partial || pk[0]->gso_size != MSS)
        return 2;
    s46_pkt sp;
    memset(&sp, 0, sizeof sp);
    sp.data = flat;
    sp.len = at;
    sp.gso_size = c.gso_size;
    sp.gso_type = c.gso_type;
    s46_pkt *seg[N + 1];
    if (s46_gso_segment(&sp, pool, seg, N + 1) != N)
        return 3;
    int bad = 0;
    for (int i = 0; i < N; i++) {
        if (seg[i]->len != olen[i] || memcmp(seg[i]->data, orig[i], olen[i]))
            bad = 10 + i;
        s46_pkt_release(pool, seg[i]);
    }
    return bad;
}

TEST(coalesce_ipv4_roundtrip_exact)
{
    CHECK_INT(roundtrip(0, ACK), 0);
    CHECK_INT(roundtrip(0, ACK | PSH), 0);
    CHECK_INT(roundtrip(0, ACK | PSH | FIN), 0);
}

TEST(coalesce_ipv6_roundtrip_exact)
{
    CHECK_INT(roundtrip(1, ACK | PSH), 0);
}

TEST(coalesce_head_fields)
{
    stream(0, MSS, ACK | PSH);
    s46_coalesce c;
    CHECK_INT(s46_coalesce_run(pk, N, N, &c), N);
    CHECK_INT(c.len, 20 + 32 + N * MSS);
    CHECK_INT(c.hdrlen, 52);
    CHECK_INT(c.l4off, 20);
    CHECK_INT(c.gso_type, S46_GSO_TCP4);
    s46_coalesce_head(pk, &c);
    uint8_t *d = pk[0]->data;
    CHECK_INT(s46_get16(d + 2), c.len);
    CHECK(s46_csum_ok(d, 20));
    CHECK_INT(d[20 + 13], ACK | PSH);
    /* the partial sum: the pseudo-header over the whole TCP length */
    CHECK_INT(s46_get16(d + 20 + 16),
              (uint16_t)~s46_csum_fold(s46_csum_pseudo4(src4, dst4, 6, c.len - 20)));
    CHECK_INT(pk[0]->csum_start, 20);
    CHECK_INT(pk[0]->csum_off, 16);
}

TEST(coalesce_limits)
{
    s46_coalesce c;
    stream(0, MSS, ACK);
    CHECK_INT(s46_coalesce_run(pk, N, 3, &c), 3);   /* max */
    CHECK_INT(s46_coalesce_run(pk, 1, N, &c), 1);   /* nothing after it */
    stream(0, MSS, ACK);
    s46_pkt_reset(pk[3]); /* not even IP */
    pk[3]->len = 60;
    memset(pk[3]->data, 0, 60);
    CHECK_INT(s46_coalesce_run(pk, N, N, &c), 3);
    CHECK_INT(s46_coalesce_run(pk + 3, N - 3, N, &c), 1);
}

/* Each way of breaking a run: the run stops before segment 4. */
TEST(coalesce_breaks)
{
    s46_coalesce c;
    for (int how = 0; how < 11; how++) {
        stream(how == 10, MSS, ACK);
        uint8_t *d = pk[4]->data, *th = d + (how == 10 ? 40 : 20);
        uint32_t expect = 4;
        switch (how) {
        case 0: build(pk[4], 0, 1000 + 4 * MSS + 1, 81, MSS, ACK); break;   /* seq gap */
        case 1: build(pk[4], 0, 1000 + 4 * MSS, 90, MSS, ACK); break;       /* id jump */
        case 2: s46_put16(th + 2, 444); refresh(pk[4]); break;              /* another flow */
        case 3: th[27]++; refresh(pk[4]); break;                            /* timestamp */
        case 4: th[40] ^= 1; break;                                         /* damaged payload */
        case 5: build(pk[4], 0, 1000 + 4 * MSS, 81, MSS, ACK | CWR); break;
        case 6: build(pk[3], 0, 1000 + 3 * MSS, 80, MSS, ACK | PSH); expect = 4; break;
        case 7: build(pk[3], 0, 1000 + 3 * MSS, 80, 500, ACK); expect = 4; break;
        case 8: d[6] = 0; refresh(pk[4]); break;                            /* DF off */
        case 9: d[8] = 63; refresh(pk[4]); break;                           /* TTL */
        case 10: d[7] = 63; refresh(pk[4]); break;                          /* IPv6 hop limit */
        }
        if (s46_coalesce_run(pk, N, N, &c) != expect) {
            printf("FAIL %s: case %d: run %u, expected %u\n", t_name_, how, c.count, expect);
            *t_failed_ = 1;
            return;
        }
    }
    /* a segment longer than the first: not a run at all past it */
    stream(0, MSS, ACK);
    build(pk[0], 0, 1000, 77, 500, ACK);
    CHECK_INT(s46_coalesce_run(pk, N, N, &c), 1);
    /* a PSH first segment starts no run */
    stream(0, MSS, ACK);
    build(pk[0], 0, 1000, 77, MSS, ACK | PSH);
    CHECK_INT(s46_coalesce_run(pk, N, N, &c), 1);
}

TEST(coalesce_size_cap)
{
    static s46_pkt *big[60];
    s46_pktpool *bp = s46_pktpool_new(60);
    for (int i = 0; i < 60; i++) {
        big[i] = s46_pkt_alloc(bp);
        build(big[i], 0, 1 + (uint32_t)i * 1448, (uint16_t)i, 1448, ACK);
    }
    s46_coalesce c;
    uint32_t k = s46_coalesce_run(big, 60, 60, &c);
    /* 52 bytes of headers + k * 1448 <= 65535 */
    CHECK_INT(k, (65535 - 52) / 1448);
    CHECK(c.len <= S46_COALESCE_MAXLEN);
    s46_pktpool_free(bp);
}

T_MAIN(T_CASE(coalesce_ipv4_roundtrip_exact), T_CASE(coalesce_ipv6_roundtrip_exact),
       T_CASE(coalesce_head_fields), T_CASE(coalesce_limits), T_CASE(coalesce_breaks),
       T_CASE(coalesce_size_cap))
