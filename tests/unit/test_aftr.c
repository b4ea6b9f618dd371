/* The DS-Lite AFTR (dp/aftr.h) as a library, what its golden tests through
 * `s46 replay` cannot see: a batch that allocated a port block has its
 * block's log record synced before any of its packets leaves (the log's
 * sync count when s46_aftr_process returns, before any tick), and no sync
 * for a batch that allocated none; hairpinning through the pool and its
 * setting. Packets are built here byte by byte. */
#include "dp/aftr.h"
#include "lib/blocklog.h"
#include "lib/csum.h"
#include "t.h"

#include <stdlib.h>
#include <unistd.h>

#define AFTR6 "2001:db8:ffff::2"
#define B4A "2001:db8:1:100::2"
#define B4B "2001:db8:1:200::2"
#define PRIV 0xc0000002u   /* 192.0.0.2 */
#define NET 0x01020304u    /* 1.2.3.4 */
#define POOL "192.0.2.128/30"
#define SEC 1000000000ull

static s46_pktpool *pool;
static char dir[256];

static s46_pkt *alloc(void)
{
    if (!pool)
        pool = s46_pktpool_new(32);
    s46_pkt *p = s46_pkt_alloc(pool);
    if (p)
        s46_pkt_reset(p);
    return p;
}

/* A UDP packet from B4 b4: IPv4 src:sport -> dst:dport inside IPv6. */
static s46_pkt *from_b4(const char *b4, uint32_t src, uint16_t sport, uint32_t dst,
                        uint16_t dport)
{
    s46_pkt *p = alloc();
    uint8_t *h = p->data;
    unsigned len = 36;
    memset(h, 0, len);
    h[0] = 0x45;
    s46_put16(h + 2, (uint16_t)len);
    h[8] = 64;
    h[9] = 17;
    s46_put32(h + 12, src);
    s46_put32(h + 16, dst);
    s46_put16(h + 10, s46_csum_fold(s46_csum_add(0, h, 20)));
    uint8_t *u = h + 20;
    s46_put16(u, sport);
    s46_put16(u + 2, dport);
    s46_put16(u + 4, (uint16_t)(len - 20));
    memcpy(u + 8, "aftrtest", 8);
    uint32_t s = s46_csum_pseudo4(h + 12, h + 16, 17, len - 20);
    s46_put16(u + 6, s46_csum_fold(s46_csum_add(s, u, len - 20)));
    p->len = len;
    uint8_t *o = s46_pkt_push(p, 40);
    memset(o, 0, 40);
    o[0] = 0x60;
    s46_put16(o + 4, (uint16_t)len);
    o[6] = 4;
    o[7] = 64;
    s46_ip6 a;
    s46_ip6_parse(b4, &a);
    memcpy(o + 8, a.b, 16);
    s46_ip6_parse(AFTR6, &a);
    memcpy(o + 24, a.b, 16);
    return p;
}

static s46_blocklog *open_log(void)
{
    const char *t = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/s46t_aftr.XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(dir))
        return NULL;
    char path[300];
    snprintf(path, sizeof path, "%s/blocks.log", dir);
    s46_blocklog_conf lc = {.path = path};
    return s46_blocklog_open(&lc, NULL, 0);
}

static void close_log(s46_blocklog *l)
{
    char path[300];
    s46_blocklog_close(l);
    snprintf(path, sizeof path, "%s/blocks.log", dir);
    unlink(path);
    rmdir(dir);
}

static s46_aftr *aftr_new(s46_blocklog *log, s46_pfx4 *pfx)
{
    s46_aftr_conf c;
    s46_aftr_conf_default(&c);
    s46_ip6_parse(AFTR6, &c.aftr6);
    c.aftr4 = 0xc6336402u; /* 198.51.100.2 */
    s46_pfx4_parse(POOL, pfx, NULL, 0);
    c.cgn.pool = pfx;
    c.cgn.npool = 1;
    c.log = log;
    char err[256];
    s46_aftr *a = s46_aftr_new(&c, 0, 1, err, sizeof err);
    if (!a)
        printf("aftr: %s\n", err);
    return a;
}

static uint64_t cnt(const s46_aftr *a, unsigned i) { return s46_aftr_counters(a)->v[i]; }

static void release(s46_batch *b)
{
    for (unsigned i = 0; i < b->count; i++)
        s46_pkt_release(pool, b->pkts[i]);
    b->count = 0;
}

TEST(new_block_synced_before_the_batch_leaves)
{
    s46_blocklog *log = open_log();
    CHECK(log);
    if (!log)
        return;
    s46_pfx4 pfx;
    s46_aftr *a = aftr_new(log, &pfx);
    CHECK(a);
    s46_blocklog_stats s0, s1, s2;
    s46_blocklog_stats_get(log, &s0);
    /* two subscribers' first flows: two blocks, one sync for the batch */
    s46_batch b = {0};
    b.pkts[b.count++] = from_b4(B4A, PRIV, 5000, NET, 53);
    b.pkts[b.count++] = from_b4(B4B, PRIV, 5000, NET, 53);
    s46_aftr_process(a, &b, 1, 10 * SEC);
    for (unsigned i = 0; i < b.count; i++) {
        CHECK_INT(b.pkts[i]->verdict, S46_V_FORWARD);
        CHECK_INT(b.pkts[i]->out_port, 0);
    }
    s46_blocklog_stats_get(log, &s1);
    CHECK_INT(s1.records - s0.records, 2);
    CHECK_INT(s1.syncs - s0.syncs, 1);
    release(&b);
    /* the same flows again: no block, no sync */
    b.pkts[b.count++] = from_b4(B4A, PRIV, 5000, NET, 53);
    b.pkts[b.count++] = from_b4(B4B, PRIV, 5000, NET, 53);
    s46_aftr_process(a, &b, 1, 11 * SEC);
    CHECK_INT(b.pkts[0]->verdict, S46_V_FORWARD);
    s46_blocklog_stats_get(log, &s2);
    CHECK_INT(s2.records, s1.records);
    CHECK_INT(s2.syncs, s1.syncs);
    CHECK_INT(cnt(a, S46_AFTR_drop_log_unsynced), 0);
    release(&b);
    s46_aftr_free(a);
    close_log(log);
}

/* B4B to B4A's external endpoint: to B4A through the pool; with hairpin
 * off, dropped and counted. */
TEST(hairpin_and_its_setting)
{
    s46_pfx4 pfx;
    s46_aftr *a = aftr_new(NULL, &pfx);
    CHECK(a);
    if (!a)
        return;
    s46_batch b = {0};
    b.pkts[b.count++] = from_b4(B4A, PRIV, 5000, NET, 53);
    s46_aftr_process(a, &b, 1, 10 * SEC);
    CHECK_INT(b.pkts[0]->verdict, S46_V_FORWARD);
    const uint8_t *ip = b.pkts[0]->data;
    uint32_t ext = s46_get32(ip + 12);
    uint16_t port = s46_get16(ip + 20);
    release(&b);
    b.pkts[b.count++] = from_b4(B4B, PRIV, 7000, ext, port);
    s46_aftr_process(a, &b, 1, 11 * SEC);
    CHECK_INT(b.pkts[0]->verdict, S46_V_FORWARD);
    CHECK_INT(b.pkts[0]->out_port, 1);
    s46_ip6 b4a;
    s46_ip6_parse(B4A, &b4a);
    CHECK(b.pkts[0]->len >= 60 && memcmp(b.pkts[0]->data + 24, b4a.b, 16) == 0);
    CHECK(b.pkts[0]->len >= 60 && s46_get32(b.pkts[0]->data + 40 + 16) == PRIV &&
          s46_get16(b.pkts[0]->data + 60 + 2) == 5000);
    CHECK_INT(cnt(a, S46_AFTR_hairpinned), 1);
    release(&b);
    s46_aftr_conf c;
    s46_aftr_conf_default(&c);
    s46_ip6_parse(AFTR6, &c.aftr6);
    c.aftr4 = 0xc6336402u;
    c.cgn.pool = &pfx;
    c.cgn.npool = 1;
    c.hairpin = false;
    CHECK(s46_aftr_reconfigure(a, &c, NULL, 0) == 0);
    b.pkts[b.count++] = from_b4(B4B, PRIV, 7000, ext, port);
    s46_aftr_process(a, &b, 1, 12 * SEC);
    CHECK_INT(b.pkts[0]->verdict, S46_V_DROP);
    CHECK_INT(b.pkts[0]->reason, S46_AFTR_drop_hairpin_off);
    CHECK_INT(cnt(a, S46_AFTR_hairpinned), 1);
    release(&b);
    s46_aftr_free(a);
}

T_MAIN(T_CASE(new_block_synced_before_the_batch_leaves), T_CASE(hairpin_and_its_setting))
