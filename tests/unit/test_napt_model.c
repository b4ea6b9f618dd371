/* The NAPT (lib/napt.c) against the model of napt_model.h on random
 * sequences of outbound and inbound packets, lookups, expiry sweeps and
 * resets: port sets of 15 to 65535 ports, shares, both filtering
 * behaviours, clocks that wrap, strict (everything expired swept before
 * each operation) and lazy (sweeps now and then) runs. */
#include "t.h"
#include "napt_model.h"

static uint64_t rng = 0x5a17c0ffee46ull;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return n ? (uint32_t)(rng % n) : 0;
}

#define NOPS 3000

static const nm_conf confs[] = {
    {.a = 4, .k = 12, .psid = 0xabc},   /* 15 ports */
    {.a = 6, .k = 10, .psid = 0x155},   /* 63 ports */
    {.a = 6, .k = 8, .psid = 0x34},     /* 252 ports */
    {.a = 0, .k = 6, .psid = 0x2a},     /* 1024 ports, no offset */
    {.a = 0, .k = 0},                   /* the whole port space */
};

static void gen(nm_op *ops, size_t n, const nm_conf *c)
{
    /* few internal endpoints for big port sets, more than ports for small */
    uint32_t nint = c->k >= 10 ? 80 : 40;
    for (size_t i = 0; i < n; i++) {
        nm_op *o = &ops[i];
        memset(o, 0, sizeof *o);
        uint32_t k = rnd(100);
        o->kind = k < 45 ? NM_OUT : k < 80 ? NM_IN : k < 87 ? NM_LOOKUP_EXT
                : k < 94 ? NM_LOOKUP_INT : k < 99 ? NM_EXPIRE : NM_RESET;
        if (o->kind == NM_RESET && rnd(4))
            o->kind = NM_EXPIRE;
        o->proto = (uint8_t)rnd(3);
        static const uint8_t fl[] = {S46_TCP_SYN, S46_TCP_ACK, S46_TCP_FIN | S46_TCP_ACK,
                                     S46_TCP_RST, S46_TCP_SYN | S46_TCP_ACK, 0};
        o->flags = o->proto == S46_NAPT_TCP ? fl[rnd(6)] : 0;
        uint32_t e = rnd(nint);
        o->int_addr = 0xc0a80100 + (e & 3);
        o->int_port = (uint16_t)(1000 + e / 4 + (rnd(8) == 0 ? 50000 : 0));
        static const uint16_t rp[] = {53, 80, 443, 5000};
        o->rem_addr = 0x08080800 + rnd(3);
        o->rem_port = rp[rnd(4)];
        o->ext_pick = (uint16_t)(rnd(10) < 8 ? 1 + rnd(200) : 0);
        o->ext_port = (uint16_t)rnd(65536);
        uint32_t d = rnd(100);
        o->dt = d < 60 ? 0 : d < 90 ? rnd(5) : d < 98 ? rnd(60) : 100 + rnd(500);
    }
}

static void run_many(int *t_failed_, bool strict, int scenarios, nm_tally *t)
{
    static nm_op ops[NOPS];
    char why[512];
    for (int s = 0; s < scenarios; s++) {
        nm_conf c = confs[rnd(5)];
        c.strict = strict;
        c.filter = rnd(2) ? S46_NAPT_FILTER_EIF : S46_NAPT_FILTER_ADF;
        c.shares = rnd(3) ? 1 : (uint16_t)(2 + rnd(3));
        c.share = (uint16_t)rnd(c.shares);
        c.start = rnd(3) ? 1000 : 0xffffffffu - rnd(2000);
        gen(ops, NOPS, &c);
        if (nm_run(&c, ops, NOPS, t, why, sizeof why) != 0) {
            printf("FAIL %s: scenario %d (a %u k %u shares %u/%u %s %s): %s\n", t_name_, s, c.a,
                   c.k, c.share, c.shares, c.filter ? "ADF" : "EIF", strict ? "strict" : "lazy",
                   why);
            *t_failed_ = 1;
            return;
        }
    }
}

TEST(strict_sequences_match_the_model)
{
    nm_tally t;
    memset(&t, 0, sizeof t);
    run_many(t_failed_, true, 24, &t);
    if (*t_failed_)
        return;
    CHECK(t.out_new > 1000);
    CHECK(t.no_port > 100);
    CHECK(t.in_ok > 1000);
    CHECK(t.in_filtered > 100);
    CHECK(t.in_not_found > 100);
    CHECK(t.lookups_hit > 100);
    CHECK(t.expiries > 1000);
}

TEST(lazy_sequences_match_the_model)
{
    nm_tally t;
    memset(&t, 0, sizeof t);
    run_many(t_failed_, false, 60, &t);
    if (*t_failed_)
        return;
    CHECK(t.out_new > 1000);
    CHECK(t.in_ok > 1000);
    CHECK(t.in_not_found > 100);
}

/* A mapping whose every session expired is gone, swept or not: an inbound
 * packet from a new remote must not bring it back to life (it did under
 * endpoint-independent filtering until a sweep ran, and address-dependent
 * filtering counted it as filtered instead of not found). */
static void dead_mapping_case(int *t_failed_, s46_napt_filter filter)
{
    s46_napt_config c;
    s46_napt_config_default(&c);
    c.ext_addr = 0xc0000212;
    c.psid_offset = 6, c.psid_len = 8, c.psid = 0x34;
    c.filter = filter;
    c.udp_timeout = 120;
    s46_napt *t = s46_napt_new(&c);
    CHECK(t != NULL);
    s46_napt_flow f = {S46_NAPT_UDP, 0xc0a80102, 5000, 0x08080808, 4000, 0};
    CHECK_INT(s46_napt_outbound(t, &f, 0, 1000), S46_NAPT_OK);
    uint16_t ext = f.ext_port;
    /* a new remote while the mapping lives: EIF delivers, ADF filters */
    s46_napt_flow in = {S46_NAPT_UDP, 0, 0, 0x09090909, 4000, ext};
    CHECK_INT(s46_napt_inbound(t, &in, 0, 1100),
              filter == S46_NAPT_FILTER_EIF ? S46_NAPT_OK : S46_NAPT_FILTERED);
    /* every session expired (no sweep ran): nothing to deliver to */
    s46_napt_flow late = {S46_NAPT_UDP, 0, 0, 0x0a0a0a0a, 4000, ext};
    s46_napt_result r = s46_napt_inbound(t, &late, 0, 1400);
    if (r == S46_NAPT_OK)
        printf("  delivered to %08x:%u by a mapping dead since %u\n", late.int_addr,
               late.int_port, filter == S46_NAPT_FILTER_EIF ? 1220 : 1120);
    CHECK_INT(r, S46_NAPT_NOT_FOUND);
    uint32_t a;
    uint16_t p;
    CHECK(!s46_napt_lookup_ext(t, S46_NAPT_UDP, ext, &a, &p, 1400));
    s46_napt_free(t);
}

TEST(eif_expired_mapping_not_revived_by_inbound) { dead_mapping_case(t_failed_, S46_NAPT_FILTER_EIF); }
TEST(adf_expired_mapping_is_not_found) { dead_mapping_case(t_failed_, S46_NAPT_FILTER_ADF); }

T_MAIN(T_CASE(strict_sequences_match_the_model), T_CASE(lazy_sequences_match_the_model),
       T_CASE(eif_expired_mapping_not_revived_by_inbound), T_CASE(adf_expired_mapping_is_not_found))
