/* Reassembly (lib/frag.c) against the byte-map model of frag_model.h on
 * random fragment sequences: datagrams cut at random 8-byte boundaries,
 * then holes, duplicates, overlapping and beyond-the-end fragments, second
 * last fragments, malformed lengths, interleaved datagrams sharing few
 * keys (context reuse), few contexts (recycling) and time jumps past the
 * timeout. (The leak of issue 16 itself: test_frag.c.) */
#include "t.h"
#include "frag_model.h"

static uint64_t rng = 0x46f7a9e3c1d2b5ull;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return n ? (uint32_t)(rng % n) : 0;
}

#define MAXOPS 512

/* One random scenario into ops; returns the count. */
static size_t scenario(fm_op *ops, uint64_t timeout)
{
    size_t n = 0;
    unsigned ndg = 1 + rnd(5);
    for (unsigned g = 0; g < ndg && n < MAXOPS - 64; g++) {
        fm_op base = {0};
        base.v = rnd(2) ? 4 : 6;
        base.src = (uint8_t)rnd(2);
        base.id = rnd(3);
        base.proto = base.v == 4 ? (rnd(4) ? 17 : 6) : (rnd(4) ? 4 : 17);
        base.opts = (uint8_t)(base.v == 4 ? (rnd(3) ? 0 : rnd(11)) : rnd(2));
        base.df = rnd(2);
        uint32_t total = rnd(16) ? 1 + rnd(2000) : (rnd(2) ? FM_MAXP - rnd(40) : FM_MAXP + rnd(64));
        /* cut at 8-byte boundaries */
        uint32_t step = 8 * (1 + rnd(rnd(4) ? 200 : 8));
        size_t first = n;
        for (uint32_t off = 0; off < total && n < MAXOPS - 32; off += step) {
            fm_op o = base;
            o.off = off;
            o.len = total - off > step ? step : total - off;
            o.m = off + o.len < total;
            o.seed = (uint8_t)(g * 16 + rnd(4));
            ops[n++] = o;
        }
        size_t nf = n - first;
        /* mutations */
        unsigned k = rnd(4);
        for (unsigned i = 0; i < k && n < MAXOPS - 2; i++) {
            fm_op o = ops[first + rnd((uint32_t)nf)];
            switch (rnd(8)) {
            case 0: /* hole */
                ops[first + rnd((uint32_t)nf)].len = 0;
                ops[first + rnd((uint32_t)nf)].m = true; /* made BAD: len 0 with M */
                break;
            case 1: /* exact duplicate */
                ops[n++] = o;
                break;
            case 2: /* overlapping, other bytes */
                o.off = 8 * rnd(total / 8 + 1);
                o.len = 8 * (1 + rnd(40));
                o.m = true;
                o.seed ^= 0x80;
                ops[n++] = o;
                break;
            case 3: /* beyond the end, non-overlapping */
                o.off = ((total + 7) & ~7u) + 8 * rnd(100);
                o.len = 8 * (1 + rnd(4));
                o.m = rnd(4) != 0;
                o.seed ^= 0x40;
                ops[n++] = o;
                break;
            case 4: /* a second last fragment, another end */
                o.off = 8 * rnd(total / 8 + 1);
                o.len = rnd(64);
                o.m = false;
                o.seed ^= 0x20;
                ops[n++] = o;
                break;
            case 5: /* not a multiple of 8 but not the last */
                o.len = 1 + rnd(30);
                o.m = true;
                ops[n++] = o;
                break;
            case 6: /* the leak's shape: first 16 bytes, far away 16 bytes, a short last */
                o.off = 0, o.len = 16, o.m = true;
                ops[n++] = o;
                o.off = 800, o.len = 16;
                ops[n++] = o;
                o.off = 24, o.len = 8, o.m = false;
                ops[n++] = o;
                break;
            default: /* drop a fragment (hole) */
                if (nf > 1) {
                    size_t j = first + rnd((uint32_t)nf);
                    ops[j] = ops[n - 1];
                    n--, nf--;
                }
                break;
            }
        }
    }
    /* interleave: shuffle, but keep most of each datagram's order */
    for (size_t i = 0; i < n; i++)
        if (rnd(3) == 0) {
            size_t j = rnd((uint32_t)n);
            fm_op t = ops[i];
            ops[i] = ops[j];
            ops[j] = t;
        }
    for (size_t i = 0; i < n; i++)
        ops[i].dt = rnd(150) == 0 ? timeout + rnd(3) : rnd(40) == 0 ? timeout / 2 : rnd(4);
    return n;
}

TEST(random_sequences_match_the_model)
{
    static fm_op ops[MAXOPS];
    fm_tally t;
    memset(&t, 0, sizeof t);
    char why[512];
    static const unsigned ctxs[] = {1, 2, 3, 4, 8, 16};
    for (int s = 0; s < 10000; s++) {
        uint64_t timeout = rnd(2) ? 100 : 1000000;
        size_t n = scenario(ops, timeout);
        unsigned c = ctxs[rnd(6)];
        if (fm_run(ops, n, c, timeout, &t, why, sizeof why) != 0) {
            printf("FAIL random_sequences_match_the_model: scenario %d (%u contexts): %s\n", s,
                   c, why);
            *t_failed_ = 1;
            return;
        }
    }
    /* every outcome was exercised, often */
    CHECK(t.results[S46_REASM_DONE] > 5000);
    CHECK(t.results[S46_REASM_HELD] > 100000);
    CHECK(t.results[S46_REASM_OVERLAP] > 2000);
    CHECK(t.results[S46_REASM_BEYOND_END] > 2000);
    CHECK(t.results[S46_REASM_END_MISMATCH] > 500);
    CHECK(t.results[S46_REASM_DROPPED] > 10000);
    CHECK(t.results[S46_REASM_BAD] > 3000);
    CHECK(t.results[S46_REASM_TOO_BIG] > 500);
}

/* The same shape in another order: the far fragment after the last one. */
TEST(fragment_past_a_known_end_drops_the_datagram)
{
    fm_op ops[] = {
        {.v = 4, .proto = 17, .id = 9, .off = 0, .len = 800, .m = true, .seed = 1},
        {.v = 4, .proto = 17, .id = 9, .off = 800, .len = 200, .m = false, .seed = 1},
        {.v = 4, .proto = 17, .id = 7, .off = 0, .len = 16, .m = true, .seed = 2},
        {.v = 4, .proto = 17, .id = 7, .off = 24, .len = 8, .m = false, .seed = 2},
        {.v = 4, .proto = 17, .id = 7, .off = 800, .len = 16, .m = true, .seed = 2},
        {.v = 4, .proto = 17, .id = 7, .off = 16, .len = 8, .m = true, .seed = 2},
    };
    fm_tally t;
    memset(&t, 0, sizeof t);
    char why[512] = "";
    int rc = fm_run(ops, 6, 4, 1000000, &t, why, sizeof why);
    if (rc)
        printf("  %s\n", why);
    CHECK(rc == 0);
    CHECK_INT(t.results[S46_REASM_DONE], 1);
    CHECK_INT(t.results[S46_REASM_BEYOND_END], 1);
    CHECK_INT(t.results[S46_REASM_DROPPED], 1);
}

/* Datagrams that are whole come out whole, in any order, IPv4 options and
 * IPv6 extension headers kept. */
TEST(whole_datagrams_in_any_order)
{
    fm_op ops[] = {
        {.v = 4, .proto = 6, .opts = 3, .df = true, .id = 5, .off = 1200, .len = 5, .seed = 3},
        {.v = 4, .proto = 6, .opts = 3, .id = 5, .off = 0, .len = 600, .m = true, .seed = 3},
        {.v = 6, .proto = 4, .opts = 1, .id = 5, .off = 600, .len = 600, .m = true, .seed = 4},
        {.v = 4, .proto = 6, .opts = 0, .id = 5, .off = 600, .len = 600, .m = true, .seed = 3},
        {.v = 6, .proto = 4, .opts = 1, .id = 5, .off = 0, .len = 600, .m = true, .seed = 4},
        {.v = 6, .proto = 4, .opts = 0, .id = 5, .off = 1200, .len = 1, .seed = 4},
        {.v = 6, .proto = 17, .id = 6, .off = 0, .len = 33, .seed = 5}, /* atomic */
    };
    fm_tally t;
    memset(&t, 0, sizeof t);
    char why[512] = "";
    int rc = fm_run(ops, 7, 2, 1000000, &t, why, sizeof why);
    if (rc)
        printf("  %s\n", why);
    CHECK(rc == 0);
    CHECK_INT(t.results[S46_REASM_DONE], 3);
}

T_MAIN(T_CASE(random_sequences_match_the_model),
       T_CASE(fragment_past_a_known_end_drops_the_datagram), T_CASE(whole_datagrams_in_any_order))
