/* Throughput of the data planes, measured in one run next to a baseline
 * loop that only copies the same packets (the ceiling on this machine).
 * Not a test: prints figures and ratios. */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dp/br_mape.h"
#include "dp/br_mapt.h"
#include "dp/ce_mape.h"
#include "dp/ce_tunnel.h"
#include "dp/ce_pipeline.h"
#include "dp/lwaftr.h"
#include "dp/aftr.h"
#include "dp/nat64.h"
#include "dp/clat.h"
#include "lib/rfc6052.h"
#include "lib/bindtab.h"
#include "io/loop.h"
#include "lib/csum.h"
#include "lib/hash.h"
#include "lib/napt.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The CPU time of the calling thread: the per-core rates count the time
 * the core worked for us, not the time other jobs of a shared machine
 * took it away. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One CE of the benchmark domain: IPv4 address, a port of its set, MAP address. */
typedef struct ce_ent { uint32_t v4; uint16_t port; s46_ip6 map; } ce_ent;

static s46_maprule rule;        /* 2001:db8::/32 -> 100.64.0.0/10, EA 30, a 6: k 8 */
static ce_ent *ces;
static uint32_t nces;

static void make_ces(uint32_t n)
{
    free(ces);
    ces = malloc(n * sizeof *ces);
    nces = n;
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (uint32_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint32_t v4 = 0x64400000u | (uint32_t)(x & 0x3fffff);
        uint16_t psid = (uint16_t)(n == 1 ? 0x34 : (x >> 24) & 0xff);
        uint16_t port = (uint16_t)(((1 + (x >> 40) % 63) << 10) | ((uint32_t)psid << 2) | 1);
        s46_ce_params p;
        if (s46_maprule_reverse(&rule, v4, port, S46_IID_RFC7597, &p, NULL, 0) < 0)
            abort();
        ces[i] = (ce_ent){v4, port, p.map_addr};
    }
}

static const s46_ip6 *br6(void)
{
    static s46_ip6 a;
    static int done;
    if (!done++)
        s46_ip6_parse("2001:db8:ffff::1", &a);
    return &a;
}

/* IPv4 UDP packet of total length len from src to dst:port. */
static uint32_t build_v4(uint8_t *b, uint32_t len, uint32_t src, uint32_t dst, uint16_t sport,
                         uint16_t dport)
{
    memset(b, 0, len);
    b[0] = 0x45;
    s46_put16(b + 2, (uint16_t)len);
    b[8] = 64;
    b[9] = 17;
    s46_put32(b + 12, src);
    s46_put32(b + 16, dst);
    s46_put16(b + 10, s46_csum_fold(s46_csum_add(0, b, 20)));
    s46_put16(b + 20, sport);
    s46_put16(b + 22, dport);
    s46_put16(b + 24, (uint16_t)(len - 20));
    return len;
}

/* Packets are copied from a template built once per size, then the few
 * bytes that make each packet belong to its CE or flow are patched in (with
 * an RFC 1624 update of the IPv4 header checksum). The baseline runs exactly
 * this copy; the pipeline runs it plus the data plane. */
typedef void (*fill_fn)(s46_pkt *p, uint32_t i, uint32_t size);
static uint8_t tmpl[4][2048];
static uint32_t tmpl_size[4];

static const uint8_t *template_for(int kind, uint32_t size)
{
    if (tmpl_size[kind] != size) {
        uint8_t *t = tmpl[kind];
        if (kind == 0) {
            build_v4(t, size, 0x01020304, 0x64400000, 7777, 1024);
        } else if (kind == 1) {
            memset(t, 0, 40);
            t[0] = 0x60;
            s46_put16(t + 4, (uint16_t)(size - 40));
            t[6] = 4;
            t[7] = 64;
            memcpy(t + 24, br6()->b, 16);
            build_v4(t + 40, size - 40, 0x64400000, 0x01020304, 1024, 7777);
        } else if (kind == 2) {
            build_v4(t, size, 0x0a000000, 0xc6336450, 1024, 80);
        } else { /* MAP-T: UDP from a CE to 1.2.3.4 in the DMR 2001:db9:ffff::/64 */
            memset(t, 0, size);
            t[0] = 0x60;
            s46_put16(t + 4, (uint16_t)(size - 40));
            t[6] = 17;
            t[7] = 64;
            static const uint8_t dmr_dst[16] = {0x20, 0x01, 0x0d, 0xb9, 0xff, 0xff, 0, 0,
                                                0,    1,    2,    3,    4,    0,    0, 0};
            memcpy(t + 24, dmr_dst, 16);
            s46_put16(t + 42, 7777);
            s46_put16(t + 44, (uint16_t)(size - 40));
            s46_put16(t + 46, 0x1234); /* any checksum but 0: updated, not verified */
        }
        tmpl_size[kind] = size;
    }
    return tmpl[kind];
}

static void patch_v4(uint8_t *ip, int at, uint32_t addr, int port_at, uint16_t port)
{
    uint8_t na[4];
    s46_put32(na, addr);
    s46_csum_replace32(ip + 10, ip + at, na);
    memcpy(ip + at, na, 4);
    s46_put16(ip + port_at, port);
}

/* i runs 0, 1, 2, ...: the CE index wraps without a division */
static const ce_ent *next_ce(void)
{
    static uint32_t k;
    if (++k >= nces)
        k = 0;
    return &ces[k];
}

static void fill_br4(s46_pkt *p, uint32_t i, uint32_t size)
{
    (void)i;
    const ce_ent *c = next_ce();
    s46_pkt_reset(p);
    memcpy(p->data, template_for(0, size), size);
    patch_v4(p->data, 16, c->v4, 22, c->port);
    p->len = size;
}

static void fill_br6(s46_pkt *p, uint32_t i, uint32_t size)
{
    (void)i;
    const ce_ent *c = next_ce();
    s46_pkt_reset(p);
    memcpy(p->data, template_for(1, size), size);
    memcpy(p->data + 8, c->map.b, 16);
    patch_v4(p->data + 40, 12, c->v4, 20, c->port);
    p->len = size;
}

/* Packets per second of fill (+ proc when not NULL) over about secs. */
static double measure(fill_fn fill, uint32_t size, void (*proc)(s46_batch *, void *), void *arg,
                      double secs)
{
    static s46_pktpool *pool;
    if (!pool)
        pool = s46_pktpool_new(S46_BATCH_MAX);
    uint64_t done = 0;
    uint32_t i = 0;
    double t0 = cpu_s(), t;
    do {
        for (int rep = 0; rep < 64; rep++) {
            s46_batch b = {0};
            for (uint32_t k = 0; k < S46_BATCH_IN; k++) {
                s46_pkt *p = s46_pkt_alloc(pool);
                fill(p, i++, size);
                b.pkts[b.count++] = p;
            }
            if (proc)
                proc(&b, arg);
            for (uint32_t k = 0; k < b.count; k++)
                s46_pkt_release(pool, b.pkts[k]);
            done += S46_BATCH_IN;
        }
        t = cpu_s();
    } while (t - t0 < secs);
    return (double)done / (t - t0);
}

/* The copy baseline and the pipeline measured in turns (ten slices each)
 * so that both see the same machine; rates over all slices. */
static void measure_pair(fill_fn fill, uint32_t size, void (*proc)(s46_batch *, void *),
                         void *arg, double secs, double *base_pps, double *pps)
{
    double tb = 0, tp = 0;
    enum { SLICES = 10 };
    for (int k = 0; k < SLICES; k++) {
        /* each slice runs secs / SLICES; weight the rates by that time */
        tb += 1 / measure(fill, size, NULL, NULL, secs / SLICES);
        tp += 1 / measure(fill, size, proc, arg, secs / SLICES);
    }
    *base_pps = SLICES / tb;
    *pps = SLICES / tp;
}

/* "yes"/"NO" for a target. */
static const char *met(int ok) { return ok ? "yes" : "NO"; }

static s46_br *the_br;
static void proc_br4(s46_batch *b, void *arg)
{
    (void)arg;
    s46_br_process(the_br, b, S46_BR_PORT_V4, 1);
    for (uint32_t k = 0; k < b->count; k++)
        if (b->pkts[k]->verdict != S46_V_FORWARD)
            abort();
}
static void proc_br6(s46_batch *b, void *arg)
{
    (void)arg;
    s46_br_process(the_br, b, S46_BR_PORT_V6, 1);
    for (uint32_t k = 0; k < b->count; k++)
        if (b->pkts[k]->verdict != S46_V_FORWARD)
            abort();
}

/* MAP-T BR next to the MAP-E BR: the same rule and CEs, the same IPv4
 * packets; toward IPv4 a UDP packet from the CE's MAP address of the same
 * size on the wire as the MAP-E BR's IPv4-in-IPv6 one. */
static s46_brt *the_brt;
static void fill_brt6(s46_pkt *p, uint32_t i, uint32_t size)
{
    (void)i;
    const ce_ent *c = next_ce();
    s46_pkt_reset(p);
    memcpy(p->data, template_for(3, size), size);
    memcpy(p->data + 8, c->map.b, 16);
    s46_put16(p->data + 40, c->port);
    p->len = size;
}
static void fill_brt4(s46_pkt *p, uint32_t i, uint32_t size)
{
    fill_br4(p, i, size);
    s46_put16(p->data + 26, 0x1234); /* a UDP checksum (0 is computed over the datagram) */
    /* DF set (TCP with path MTU discovery, most of the traffic): a
     * datagram without DF over the lowest IPv6 MTU (1280 by default) is
     * cut into IPv6 fragments (RFC 7915 4.1), which the MAP-E BR, which
     * encapsulates, does not do */
    uint16_t frag = s46_get16(p->data + 6);
    s46_put16(p->data + 6, frag | 0x4000);
    s46_csum_replace16(p->data + 10, frag, frag | 0x4000);
}
static void proc_brt(s46_batch *b, void *arg)
{
    s46_brt_process(the_brt, b, (uint16_t)(uintptr_t)arg, 1);
    for (uint32_t k = 0; k < b->count; k++)
        if (b->pkts[k]->verdict != S46_V_FORWARD)
            abort();
}

/* The MAP-T BR's time per packet over the MAP-E BR's, measured in turns. */
static void bench_mapt(double secs)
{
    s46_brt_conf tc;
    s46_brt_conf_default(&tc);
    tc.rules = s46_ruleset_new(&rule, 1, NULL, 0);
    s46_pfx6_parse("2001:db9:ffff::/64", &tc.dmr, NULL, 0);
    tc.ipv6_mtu = 9000;
    tc.ipv4_mtu = 9000;
    the_brt = s46_brt_new(&tc, NULL, 0);
    if (!the_brt)
        abort();
    printf("\nMAP-T BR next to the MAP-E BR, one core, 10000 CEs; time = MAP-T time per\n"
           "packet / MAP-E time per packet (target <= 1.3); IPv4 with DF set\n");
    printf("%-10s %6s %12s %12s %8s %7s\n", "direction", "bytes", "MAP-E Mpps", "MAP-T Mpps",
           "time", "target");
    make_ces(10000);
    static const uint32_t sizes[] = {64, 550, 1500};
    for (int dir = 0; dir < 2; dir++)
        for (int s = 0; s < 3; s++) {
            uint32_t size = sizes[s] < 68 && dir == 1 ? 68 : sizes[s];
            double te = 0, tt = 0;
            enum { SLICES = 10 };
            for (int k = 0; k < SLICES; k++) {
                /* IPv4->IPv6: the same packets into both */
                te += 1 / measure(dir ? fill_br6 : fill_brt4, size, dir ? proc_br6 : proc_br4,
                                  NULL, secs / SLICES);
                tt += 1 / measure(dir ? fill_brt6 : fill_brt4, size, proc_brt,
                                  (void *)(uintptr_t)dir, secs / SLICES);
            }
            printf("%-10s %6u %12.2f %12.2f %7.2fx %7s\n", dir ? "IPv6->IPv4" : "IPv4->IPv6",
                   size, SLICES / te / 1e6, SLICES / tt / 1e6, tt / te, met(tt / te <= 1.3));
        }
    s46_brt_free(the_brt);
    s46_ruleset_free(tc.rules);
}

/* CE: LAN -> WAN with nflows established flows. */
static s46_ce *the_ce;
static uint32_t ce_flows;
static void fill_ce_lan(s46_pkt *p, uint32_t i, uint32_t size)
{
    static uint32_t f;
    (void)i;
    if (++f >= ce_flows)
        f = 0;
    s46_pkt_reset(p);
    memcpy(p->data, template_for(2, size), size);
    patch_v4(p->data, 12, 0x0a000000u | (f >> 8), 20, (uint16_t)(1024 + (f & 0xff)));
    p->len = size;
}
static void proc_ce(s46_batch *b, void *arg)
{
    (void)arg;
    s46_ce_process(the_ce, b, S46_CE_PORT_LAN, 1000000000ull);
    for (uint32_t k = 0; k < b->count; k++)
        if (b->pkts[k]->verdict != S46_V_FORWARD)
            abort();
}

/* Tunnel CE: LAN -> WAN, DS-Lite (no NAT) or ipip (private sources NAPTed). */
static s46_cet *the_cet;
static void proc_cet(s46_batch *b, void *arg)
{
    (void)arg;
    s46_cet_process(the_cet, b, S46_CET_PORT_LAN, 1000000000ull);
    for (uint32_t k = 0; k < b->count; k++)
        if (b->pkts[k]->verdict != S46_V_FORWARD)
            abort();
}

static void bench_cet(double secs)
{
    printf("\nTunnel CE pipeline (LAN -> WAN, 10000 flows), one core\n");
    printf("%-10s %6s %10s %12s %12s %8s\n", "mechanism", "bytes", "flows", "copy Mpps",
           "CE Mpps", "CE/copy");
    for (int k = 0; k < 2; k++) {
        s46_cet_conf tc;
        s46_cet_conf_default(&tc);
        tc.kind = k ? S46_CET_IPIP : S46_CET_DSLITE;
        s46_ip6_parse("2001:db8:f001::2", &tc.local);
        tc.remote = *br6();
        s46_pfx4_parse("203.0.113.0/29", &tc.ipv4, NULL, 0);
        tc.ipv6_mtu = 9000;
        tc.napt.max_mappings = 65536;
        tc.napt.max_sessions = 65536;
        the_cet = s46_cet_new(&tc, NULL, 0);
        if (!the_cet)
            abort();
        ce_flows = 10000;
        measure(fill_ce_lan, 550, proc_cet, NULL, 0.05); /* create the mappings */
        double base = measure(fill_ce_lan, 550, NULL, NULL, secs);
        double pps = measure(fill_ce_lan, 550, proc_cet, NULL, secs);
        printf("%-10s %6u %10u %12.2f %12.2f %8.2f\n", k ? "ipip" : "dslite", 550, ce_flows,
               base / 1e6, pps / 1e6, pps / base);
        s46_cet_free(the_cet);
    }
}

/* lwAFTR: n bindings, 64 PSIDs (k = 6, offset 0) an IPv4 address from
 * 100.64.0.0, B4 2001:db8::<index>; each packet to or from a binding drawn
 * at random across the table (a precomputed random sequence). */
static s46_lw *the_lw;
static s46_bindtab *lw_bt;
static uint32_t lw_n, *lw_seq, lw_k;
enum { LW_SEQ = 1u << 20 };
static void lw_binding(uint32_t i, uint32_t *v4, uint16_t *port, s46_ip6 *b4)
{
    *v4 = 0x64400000 + i / 64;
    *port = (uint16_t)((i % 64) << 10 | 7);
    memset(b4->b, 0, 16);
    b4->b[0] = 0x20; b4->b[1] = 0x01; b4->b[2] = 0x0d; b4->b[3] = 0xb8;
    s46_put32(b4->b + 12, i + 1);
}
static uint32_t lw_next(void)
{
    lw_k = (lw_k + 1) & (LW_SEQ - 1);
    return lw_seq[lw_k];
}
static void fill_lw4(s46_pkt *p, uint32_t i, uint32_t size)
{
    (void)i;
    uint32_t v4;
    uint16_t port;
    s46_ip6 b4;
    lw_binding(lw_next(), &v4, &port, &b4);
    s46_pkt_reset(p);
    memcpy(p->data, template_for(0, size), size);
    patch_v4(p->data, 16, v4, 22, port);
    p->len = size;
}
static void fill_lw6(s46_pkt *p, uint32_t i, uint32_t size)
{
    (void)i;
    uint32_t v4;
    uint16_t port;
    s46_ip6 b4;
    lw_binding(lw_next(), &v4, &port, &b4);
    s46_pkt_reset(p);
    memcpy(p->data, template_for(1, size), size);
    memcpy(p->data + 8, b4.b, 16);
    patch_v4(p->data + 40, 12, v4, 20, port);
    p->len = size;
}
static void proc_lw(s46_batch *b, void *arg)
{
    s46_lw_process(the_lw, b, (uint16_t)(uintptr_t)arg, 1);
    for (uint32_t k = 0; k < b->count; k++)
        if (b->pkts[k]->verdict != S46_V_FORWARD)
            abort();
}

/* Edits while traffic flows: a writer thread on another CPU adds and
 * removes bindings of other addresses (10.0.0.0: each new address a block
 * allocated and published, each address emptied a block retired) and
 * rewrites bindings the traffic uses with their own values (in place,
 * under the entry's sequence counter), reclaiming as the daemon's tick
 * does; proc_lw aborts on a packet not forwarded. */
static volatile int lw_edit_stop;
static uint64_t lw_edits;
static void *lw_editor(void *arg)
{
    (void)arg;
#ifdef __linux__
    cpu_set_t cs;
    CPU_ZERO(&cs);
    CPU_SET(1, &cs);
    pthread_setaffinity_np(pthread_self(), sizeof cs, &cs); /* best effort */
#endif
    enum { WINDOW = 65536 };
    uint64_t n = 0;
    for (uint32_t i = 0; !lw_edit_stop; i++) {
        s46_bind b = {.psid_len = 6};
        if (i % 8 == 7) { /* a binding under traffic, rewritten as it is */
            uint32_t k = (uint32_t)s46_mix64(i) % lw_n;
            uint16_t port;
            lw_binding(k, &b.ipv4, &port, &b.b4);
            b.psid = (uint16_t)(k % 64);
            if (s46_bindtab_replace(lw_bt, &b, NULL, 0) < 0)
                abort();
            n++;
            continue;
        }
        uint32_t j = i % (2 * WINDOW); /* adds of 0..WINDOW-1, then their removes */
        uint32_t m = j % WINDOW;
        b.ipv4 = 0x0a000000u + m / 64;
        b.psid = (uint16_t)(m % 64);
        s46_put32(b.b4.b + 12, m + 1);
        b.b4.b[0] = 0x20, b.b4.b[1] = 0x01, b.b4.b[2] = 0x0d, b.b4.b[3] = 0xb9;
        int r = j < WINDOW ? s46_bindtab_add(lw_bt, &b, NULL, 0)
                           : s46_bindtab_remove(lw_bt, b.ipv4, b.psid, NULL, 0);
        if (r < 0)
            abort();
        n++;
        if ((i & 1023) == 0)
            s46_bindtab_reclaim(lw_bt);
    }
    __atomic_store_n(&lw_edits, n, __ATOMIC_RELEASE);
    return NULL;
}

static void bench_lw(double secs, uint32_t max_bindings)
{
    printf("\nlw4o6 lwAFTR pipeline, one core, random bindings across the table, next to the\n"
           "copy baseline and the MAP-E BR of the same run (lw/BR: the same direction, 1 CE for\n"
           "1 binding, 1M CEs otherwise). Issue 13 targets at 550 B: >= 15 Mpps a direction\n"
           "with 1 binding, >= 8 with 1M; <= 32 B a binding\n");
    /* the MAP-E BR at 550 B, both ways, 1 CE and 1M CEs */
    double brpps[2][2];
    printf("%-10s %6s %10s %12s %12s %8s\n", "direction", "bytes", "CEs", "copy Mpps", "BR Mpps",
           "BR/copy");
    for (int c = 0; c < 2; c++) {
        make_ces(c ? 1000000 : 1);
        for (int dir = 0; dir < 2; dir++) {
            double base;
            measure_pair(dir ? fill_br6 : fill_br4, 550, dir ? proc_br6 : proc_br4, NULL, secs,
                         &base, &brpps[c][dir]);
            printf("%-10s %6u %10u %12.2f %12.2f %8.2f\n", dir ? "IPv6->IPv4" : "IPv4->IPv6", 550,
                   c ? 1000000 : 1, base / 1e6, brpps[c][dir] / 1e6, brpps[c][dir] / base);
        }
    }
    printf("%-10s %6s %10s %12s %12s %8s %8s %8s %7s\n", "direction", "bytes", "bindings",
           "copy Mpps", "lw Mpps", "lw/copy", "lw/BR", "B/bind", "target");
    lw_seq = malloc(LW_SEQ * sizeof *lw_seq);
    static const uint32_t counts[] = {1, 100000, 1000000, 10000000};
    double norm[4][2] = {{0}}; /* lw time / copy time per packet at 550 B */
    for (int c = 0; c < 4; c++) {
        if (counts[c] > max_bindings)
            break;
        lw_n = counts[c];
        s46_bind *v = calloc(lw_n, sizeof *v);
        if (!v)
            abort();
        for (uint32_t i = 0; i < lw_n; i++) {
            uint16_t port;
            lw_binding(i, &v[i].ipv4, &port, &v[i].b4);
            v[i].psid = (uint16_t)(i % 64);
            v[i].psid_len = 6;
        }
        uint64_t x = 88172645463325252ull;
        for (uint32_t i = 0; i < LW_SEQ; i++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            lw_seq[i] = (uint32_t)(x % lw_n);
        }
        lw_bt = s46_bindtab_new();
        if (s46_bindtab_load(lw_bt, v, lw_n, 1, NULL, 0) < 0)
            abort();
        free(v);
        s46_lw_conf lc;
        s46_lw_conf_default(&lc);
        lc.aftr[0] = *br6();
        lc.naftr = 1;
        lc.bt = lw_bt;
        lc.ipv6_mtu = 9000;
        the_lw = s46_lw_new(&lc, 0);
        if (getenv("S46_BENCH_NO_FAST")) /* the stages alone, for comparison */
            s46_lw_set_fast_paths(the_lw, false);
        double per = (double)s46_bindtab_bytes(lw_bt) / lw_n;
        for (int dir = 0; dir < 2; dir++) {
            static const uint32_t sizes[] = {64, 550, 1500};
            for (int si = 0; si < 3; si++) {
                uint32_t size = sizes[si] < 68 && dir == 1 ? 68 : sizes[si];
                if (size != 550 && counts[c] != 1)
                    continue;
                double base, pps;
                measure_pair(dir ? fill_lw6 : fill_lw4, size, proc_lw, (void *)(uintptr_t)dir,
                             secs, &base, &pps);
                int ok = size != 550 || pps >= (counts[c] == 1 ? 15e6 : counts[c] == 1000000 ? 8e6 : 0);
                if (size == 550)
                    norm[c][dir] = base / pps;
                printf("%-10s %6u %10u %12.2f %12.2f %8.2f %8.2f %8.1f %7s\n",
                       dir ? "IPv6->IPv4" : "IPv4->IPv6", size, counts[c], base / 1e6, pps / 1e6,
                       pps / base, size == 550 ? pps / brpps[counts[c] != 1][dir] : 0.0, per,
                       met(ok && (counts[c] == 1 || per <= 32)));
            }
        }
        if (counts[c] == 1000000) { /* edits while traffic flows */
            double b0, p0, b1, p1;
            lw_edit_stop = 0;
            pthread_t th;
            double t0 = now_s();
            if (pthread_create(&th, NULL, lw_editor, NULL) != 0)
                abort();
            measure_pair(fill_lw4, 550, proc_lw, (void *)(uintptr_t)0, secs, &b0, &p0);
            measure_pair(fill_lw6, 550, proc_lw, (void *)(uintptr_t)1, secs, &b1, &p1);
            lw_edit_stop = 1;
            pthread_join(th, NULL);
            double rate = (double)__atomic_load_n(&lw_edits, __ATOMIC_ACQUIRE) / (now_s() - t0);
            printf("edits under traffic, 1M bindings, 550 B (a writer on another CPU; adds and\n"
                   "removes of other addresses, rewrites of bound entries; no packet lost):\n"
                   "  %.0f edits/s (target >= 10000: %s); lw Mpps meanwhile IPv4->IPv6 %.2f\n"
                   "  (%.2f of copy), IPv6->IPv4 %.2f (%.2f of copy)\n",
                   rate, met(rate >= 10000), p0 / 1e6, p0 / b0, p1 / 1e6, p1 / b1);
            s46_bindtab_reclaim(lw_bt);
        }
        s46_lw_free(the_lw);
        s46_bindtab_free(lw_bt);
    }
    for (int dir = 0; dir < 2 && max_bindings >= 10000000; dir++)
        printf("10M bindings against 1M, %s: time per packet (relative to copy) x%.2f "
               "(target <= 2: %s)\n", dir ? "IPv6->IPv4" : "IPv4->IPv6",
               norm[3][dir] / norm[2][dir], met(norm[3][dir] <= 2 * norm[2][dir]));
    free(lw_seq);
}

/* DS-Lite AFTR: established sessions of many subscribers, both ways. */
static s46_aftr *the_aftr;
static uint32_t af_n, af_subs, *af_seq, af_k, *af_ext;
static uint16_t *af_eport;
enum { AF_SEQ = 1u << 20 };
/* The external endpoint of the session at each place of the sequence,
 * read in order: the IPv4 generator costs no cache miss of its own (as
 * the IPv6 one and the BR's, which compute their packets), so the figure
 * is the pipeline's. */
static uint32_t *af_seq_ext;
static uint16_t *af_seq_port;
static uint32_t af_pos(void)
{
    af_k = (af_k + 1) & (AF_SEQ - 1);
    return af_k;
}
static uint32_t af_next(void) { return af_seq[af_pos()]; }
static void af_seq_endpoints(void)
{
    if (!af_seq_ext) {
        af_seq_ext = malloc(AF_SEQ * sizeof *af_seq_ext);
        af_seq_port = malloc(AF_SEQ * sizeof *af_seq_port);
        if (!af_seq_ext || !af_seq_port)
            abort();
    }
    for (uint32_t i = 0; i < AF_SEQ; i++) {
        af_seq_ext[i] = af_ext[af_seq[i]];
        af_seq_port[i] = af_eport[af_seq[i]];
    }
}
static void af_b4(uint32_t sub, uint8_t *b)
{
    memset(b, 0, 16);
    b[0] = 0x20; b[1] = 0x01; b[2] = 0x0d; b[3] = 0xb8;
    s46_put32(b + 8, sub + 1);
    b[15] = 0xb4;
}
static void fill_af6_i(s46_pkt *p, uint32_t i, uint32_t size)
{
    s46_pkt_reset(p);
    memcpy(p->data, template_for(1, size), size);
    af_b4(i % af_subs, p->data + 8);
    patch_v4(p->data + 40, 12, 0xc0000002, 20, (uint16_t)(1024 + i / af_subs));
    p->len = size;
}
static void fill_af6(s46_pkt *p, uint32_t i, uint32_t size)
{
    (void)i;
    fill_af6_i(p, af_next(), size);
}
static void fill_af4(s46_pkt *p, uint32_t i, uint32_t size)
{
    (void)i;
    uint32_t k = af_pos();
    s46_pkt_reset(p);
    memcpy(p->data, template_for(0, size), size);
    patch_v4(p->data, 16, af_seq_ext[k], 22, af_seq_port[k]);
    p->len = size;
}
static void proc_aftr(s46_batch *b, void *arg)
{
    s46_aftr_process(the_aftr, b, (uint16_t)(uintptr_t)arg, 1000000000ull);
    for (uint32_t k = 0; k < b->count; k++)
        if (b->pkts[k]->verdict != S46_V_FORWARD)
            abort();
}

static void bench_aftr(double secs)
{
    printf("\nDS-Lite AFTR pipeline (decapsulation, CGN, encapsulation), one core, 550 B,\n"
           "established sessions over up to 100 000 subscribers, random order; next to the\n"
           "MAP-E BR with 1M CEs in the same run (issue 12 target: >= 0.5 of it at 1M sessions)\n");
    printf("%-10s %9s %8s %12s %12s %8s %8s %9s %7s\n", "direction", "sessions", "subs",
           "copy Mpps", "AFTR Mpps", "AFTR/cp", "/BR", "B/sess", "target");
    make_ces(1000000);
    double bbase, br;
    measure_pair(fill_br4, 550, proc_br4, NULL, secs, &bbase, &br);
    printf("%-10s %9s %8s %12.2f %12.2f %8.2f\n", "MAP-E BR", "1M CEs", "", bbase / 1e6, br / 1e6,
           br / bbase);
    af_seq = malloc(AF_SEQ * sizeof *af_seq);
    static const uint32_t counts[] = {1, 100000, 1000000};
    static s46_pfx4 pool;
    s46_pfx4_parse("198.18.0.0/22", &pool, NULL, 0);
    for (int c = 0; c < 3; c++) {
        af_n = counts[c];
        af_subs = af_n < 100000 ? af_n : 100000;
        s46_aftr_conf ac;
        s46_aftr_conf_default(&ac);
        ac.aftr6 = *br6();
        ac.ipv6_mtu = 9000;
        ac.cgn.pool = &pool;
        ac.cgn.npool = 1;
        ac.cgn.max_subscribers = 131072;
        ac.cgn.max_blocks = 262144;
        ac.cgn.max_mappings = ac.cgn.max_sessions = 1u << 21;
        the_aftr = s46_aftr_new(&ac, 0, 1, NULL, 0);
        if (!the_aftr)
            abort();
        af_ext = malloc(af_n * sizeof *af_ext);
        af_eport = malloc(af_n * sizeof *af_eport);
        /* make the sessions, noting each one's external endpoint */
        static s46_pktpool *pool_w;
        if (!pool_w)
            pool_w = s46_pktpool_new(S46_BATCH_MAX);
        for (uint32_t i = 0; i < af_n;) {
            s46_batch b = {0};
            uint32_t first = i;
            for (; i < af_n && b.count < S46_BATCH_IN; i++) {
                s46_pkt *p = s46_pkt_alloc(pool_w);
                fill_af6_i(p, i, 550);
                b.pkts[b.count++] = p;
            }
            s46_aftr_process(the_aftr, &b, 1, 1000000000ull);
            for (uint32_t k = 0; k < b.count; k++) {
                s46_pkt *p = b.pkts[k];
                if (p->verdict != S46_V_FORWARD)
                    abort();
                af_ext[first + k] = s46_get32(p->data + 12);
                af_eport[first + k] = s46_get16(p->data + 20);
                s46_pkt_release(pool_w, p);
            }
        }
        uint64_t x = 88172645463325252ull;
        for (uint32_t i = 0; i < AF_SEQ; i++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            af_seq[i] = (uint32_t)(x % af_n);
        }
        af_seq_endpoints();
        json_t *j = s46_aftr_show(the_aftr, 0, 0);
        json_int_t bps = json_integer_value(json_object_get(json_object_get(j, "pool"),
                                                            "bytes_per_session"));
        json_decref(j);
        for (int dir = 0; dir < 2; dir++) {
            double base, pps;
            measure_pair(dir ? fill_af4 : fill_af6, 550, proc_aftr, (void *)(uintptr_t)(dir ? 0 : 1),
                         secs, &base, &pps);
            printf("%-10s %9u %8u %12.2f %12.2f %8.2f %8.2f %9lld %7s\n",
                   dir ? "IPv4->IPv6" : "IPv6->IPv4", af_n, af_subs, base / 1e6, pps / 1e6,
                   pps / base, pps / br, (long long)bps,
                   af_n == 1000000 ? met(pps / br >= 0.5) : "");
        }
        s46_aftr_free(the_aftr);
        free(af_ext);
        free(af_eport);
    }
    free(af_seq);
}

/* NAT64: established sessions of many IPv6 hosts (UDP to one IPv4 server
 * through 64:ff9b::/96), both ways; the hosts as the AFTR's subscribers. */
static s46_nat64 *the_n64;
static uint8_t n64_t6[2048], n64_t4[2048];
static uint32_t n64_size;
static void n64_templates(uint32_t size)
{
    if (n64_size == size)
        return;
    memset(n64_t6, 0, 40 + 8);
    n64_t6[0] = 0x60;
    s46_put16(n64_t6 + 4, (uint16_t)(size - 40));
    n64_t6[6] = 17;
    n64_t6[7] = 64;
    s46_ip6 dst;
    s46_ip6_parse("64:ff9b::cb00:7109", &dst);
    memcpy(n64_t6 + 24, dst.b, 16);
    s46_put16(n64_t6 + 42, 80);
    s46_put16(n64_t6 + 44, (uint16_t)(size - 40));
    s46_put16(n64_t6 + 46, 0x1234); /* any non-zero: updated incrementally */
    build_v4(n64_t4, size, 0xcb007109, 0, 80, 0);
    n64_size = size;
}
static void fill_n64_6_i(s46_pkt *p, uint32_t i, uint32_t size)
{
    s46_pkt_reset(p);
    n64_templates(size);
    memcpy(p->data, n64_t6, size);
    af_b4(i % af_subs, p->data + 8);
    s46_put16(p->data + 40, (uint16_t)(1024 + i / af_subs));
    p->len = size;
}
static void fill_n64_6(s46_pkt *p, uint32_t i, uint32_t size)
{
    (void)i;
    fill_n64_6_i(p, af_next(), size);
}
static void fill_n64_4(s46_pkt *p, uint32_t i, uint32_t size)
{
    (void)i;
    uint32_t k = af_pos();
    s46_pkt_reset(p);
    n64_templates(size);
    memcpy(p->data, n64_t4, size);
    patch_v4(p->data, 16, af_seq_ext[k], 22, af_seq_port[k]);
    /* a UDP checksum, as senders put (0 would be computed over the
     * datagram: RFC 7915 4.5), as the MAP-T BR's input has */
    s46_put16(p->data + 26, 0x1234);
    p->len = size;
}
static void proc_n64(s46_batch *b, void *arg)
{
    s46_nat64_process(the_n64, b, (uint16_t)(uintptr_t)arg, 1000000000ull);
    for (uint32_t k = 0; k < b->count; k++)
        if (b->pkts[k]->verdict != S46_V_FORWARD)
            abort();
}

static void bench_nat64(double secs)
{
    printf("\nNAT64 pipeline (RFC 7915 translation and the CGN), one core, 550 B UDP with\n"
           "checksums, established sessions over up to 100 000 hosts, random order; next to the\n"
           "MAP-E BR with 1M CEs in the same run (issue 14 target: >= 0.5 of it at 1M sessions)\n");
    printf("%-10s %9s %8s %12s %12s %8s %8s %7s\n", "direction", "sessions", "hosts", "copy Mpps",
           "NAT64 Mpps", "N64/cp", "/BR", "target");
    make_ces(1000000);
    double bbase, br;
    measure_pair(fill_br4, 550, proc_br4, NULL, secs, &bbase, &br);
    printf("%-10s %9s %8s %12.2f %12.2f %8.2f\n", "MAP-E BR", "1M CEs", "", bbase / 1e6, br / 1e6,
           br / bbase);
    af_seq = malloc(AF_SEQ * sizeof *af_seq);
    static const uint32_t counts[] = {1, 100000, 1000000};
    static s46_pfx4 pool;
    s46_pfx4_parse("198.18.0.0/22", &pool, NULL, 0);
    for (int c = 0; c < 3; c++) {
        af_n = counts[c];
        af_subs = af_n < 100000 ? af_n : 100000;
        s46_nat64_conf nc;
        s46_nat64_conf_default(&nc);
        s46_pfx6_parse("64:ff9b::/96", &nc.pool6, NULL, 0);
        nc.ipv6_mtu = 9000;
        nc.cgn.pool = &pool;
        nc.cgn.npool = 1;
        nc.cgn.max_subscribers = 131072;
        nc.cgn.max_blocks = 262144;
        nc.cgn.max_mappings = nc.cgn.max_sessions = 1u << 21;
        the_n64 = s46_nat64_new(&nc, 0, 1, NULL, 0);
        if (!the_n64)
            abort();
        af_ext = malloc(af_n * sizeof *af_ext);
        af_eport = malloc(af_n * sizeof *af_eport);
        static s46_pktpool *pool_w;
        if (!pool_w)
            pool_w = s46_pktpool_new(S46_BATCH_MAX);
        for (uint32_t i = 0; i < af_n;) {
            s46_batch b = {0};
            uint32_t first = i;
            for (; i < af_n && b.count < S46_BATCH_IN; i++) {
                s46_pkt *p = s46_pkt_alloc(pool_w);
                fill_n64_6_i(p, i, 550);
                b.pkts[b.count++] = p;
            }
            s46_nat64_process(the_n64, &b, 1, 1000000000ull);
            for (uint32_t k = 0; k < b.count; k++) {
                s46_pkt *p = b.pkts[k];
                if (p->verdict != S46_V_FORWARD)
                    abort();
                af_ext[first + k] = s46_get32(p->data + 12);
                af_eport[first + k] = s46_get16(p->data + 20);
                s46_pkt_release(pool_w, p);
            }
        }
        uint64_t x = 88172645463325252ull;
        for (uint32_t i = 0; i < AF_SEQ; i++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            af_seq[i] = (uint32_t)(x % af_n);
        }
        af_seq_endpoints();
        for (int dir = 0; dir < 2; dir++) {
            double base, pps;
            measure_pair(dir ? fill_n64_4 : fill_n64_6, 550, proc_n64,
                         (void *)(uintptr_t)(dir ? 0 : 1), secs, &base, &pps);
            printf("%-10s %9u %8u %12.2f %12.2f %8.2f %8.2f %7s\n",
                   dir ? "IPv4->IPv6" : "IPv6->IPv4", af_n, af_subs, base / 1e6, pps / 1e6,
                   pps / base, pps / br, af_n == 1000000 ? met(pps / br >= 0.5) : "");
        }
        s46_nat64_free(the_n64);
        free(af_ext);
        free(af_eport);
    }
    free(af_seq);
}

/* NAPT table alone. Each figure is measured in turns (ten slices) with its
 * reference, the least a mapping table must do for the same work: the same
 * keys inserted into (or looked up in) a bare open-addressing table of the
 * same capacity, cleared after each fill. */
enum { NAPT_FILL = 60000, NAPT_CAP = 65536 };
static s46_napt *bn_t;
static uint16_t bn_ext[NAPT_FILL];
static uint64_t *bn_ref;
static const uint32_t bn_mask = 2 * NAPT_CAP - 1;

static s46_napt_flow bn_flow(uint32_t i)
{
    /* internal ports 1000-2023: some in 1-1023, whose class (a full
     * address) has 1023 ports, so some flows are refused when it is full */
    s46_napt_flow f = {S46_NAPT_UDP, 0x0a000000u | i, (uint16_t)(1000 + (i & 0x3ff)),
                       0x01020304, 53, 0};
    return f;
}
static uint64_t bn_key(uint32_t i)
{
    s46_napt_flow f = bn_flow(i);
    return (uint64_t)f.int_addr << 24 | (uint64_t)f.int_port << 8 | f.proto;
}

/* One round of each; returns the operations done. */
static uint64_t bn_new(void)
{
    uint64_t made = 0;
    for (uint32_t i = 0; i < NAPT_FILL; i++) {
        s46_napt_flow f = bn_flow(i);
        made += s46_napt_outbound(bn_t, &f, 0, 1) == S46_NAPT_OK;
    }
    s46_napt_reset(bn_t, 0, 0, 0, 0);
    return made;
}
static uint64_t bn_ref_new(void)
{
    for (uint32_t i = 0; i < NAPT_FILL; i++) {
        uint64_t k = bn_key(i);
        uint32_t h = (uint32_t)s46_mix64(k) & bn_mask;
        while (bn_ref[h])
            h = (h + 1) & bn_mask;
        bn_ref[h] = k;
    }
    memset(bn_ref, 0, (bn_mask + 1) * sizeof *bn_ref);
    return NAPT_FILL;
}
static uint64_t bn_out(void) /* outbound packets of established flows */
{
    uint64_t ok = 0;
    for (uint32_t i = 0; i < NAPT_FILL; i++) {
        s46_napt_flow f = bn_flow(i);
        ok += bn_ext[i] && s46_napt_outbound(bn_t, &f, 0, 2) == S46_NAPT_OK;
    }
    return ok;
}
static uint64_t bn_in(void) /* inbound replies of established flows */
{
    uint64_t ok = 0;
    for (uint32_t i = 0; i < NAPT_FILL; i++) {
        s46_napt_flow f = {S46_NAPT_UDP, 0, 0, 0x01020304, 53, bn_ext[i]};
        ok += bn_ext[i] && s46_napt_inbound(bn_t, &f, 0, 2) == S46_NAPT_OK;
    }
    return ok;
}
static uint64_t bn_ref_find(void)
{
    uint64_t ok = 0;
    for (uint32_t i = 0; i < NAPT_FILL; i++) {
        uint64_t k = bn_key(i);
        uint32_t h = (uint32_t)s46_mix64(k) & bn_mask;
        while (bn_ref[h] && bn_ref[h] != k)
            h = (h + 1) & bn_mask;
        ok += bn_ref[h] == k;
    }
    return ok;
}
/* Churn: a new DNS flow (30 s) per packet, the clock moving one second per
 * 1000 packets, s46_napt_expire(now, 4096) once per batch of 32 as the CE's
 * tick does: about 30000 live mappings, as many expiring as are made. */
static uint32_t bn_churn_i;
static uint64_t bn_churn(void)
{
    uint64_t made = 0;
    for (uint32_t k = 0; k < NAPT_FILL; k++) {
        uint32_t i = bn_churn_i++, now = 1000 + i / 1000;
        s46_napt_flow f = {S46_NAPT_UDP, 0x0a000000u | (i & 0xffffff),
                           (uint16_t)(1024 + (i >> 24)), 0x01020304, 53, 0};
        made += s46_napt_outbound(bn_t, &f, 0, now) == S46_NAPT_OK;
        if ((i & 31) == 31)
            s46_napt_expire(bn_t, now, 4096);
    }
    return made;
}

/* Rates of a and b (per second) measured in turns over about secs. */
static void bn_pair(uint64_t (*a)(void), uint64_t (*b)(void), double secs, double *ra,
                    double *rb)
{
    double ta = 0, tb = 0;
    uint64_t na = 0, nb = 0;
    for (int k = 0; k < 10; k++) {
        for (int w = 0; w < 2; w++) {
            double t0 = now_s(), t;
            uint64_t n = 0;
            do
                n += w ? b() : a();
            while ((t = now_s()) - t0 < secs / 20);
            *(w ? &tb : &ta) += t - t0;
            *(w ? &nb : &na) += n;
        }
    }
    *ra = (double)na / ta;
    *rb = (double)nb / tb;
}

static void bench_napt(double secs)
{
    s46_napt_config nc;
    s46_napt_config_default(&nc);
    nc.max_mappings = NAPT_CAP;
    nc.max_sessions = NAPT_CAP;
    bn_t = s46_napt_new(&nc);
    bn_ref = calloc(bn_mask + 1, sizeof *bn_ref);
    if (!bn_t || !bn_ref)
        abort();
    printf("\nNAPT table (a full address, 65536 mappings and sessions), one core;\n"
           "reference: the same keys in a bare hash table (target: >= 1 M new mappings/s)\n");
    printf("%-34s %10s %10s %8s %7s\n", "operation", "M/s", "ref M/s", "ratio", "target");
    double r, ref;
    bn_pair(bn_new, bn_ref_new, secs * 2, &r, &ref);
    printf("%-34s %10.2f %10.2f %8.3f %7s\n", "new mapping (fill 60000, flush)", r / 1e6,
           ref / 1e6, r / ref, met(r >= 1e6));
    for (uint32_t i = 0; i < NAPT_FILL; i++) { /* established flows for the lookups */
        s46_napt_flow f = bn_flow(i);
        bn_ext[i] = s46_napt_outbound(bn_t, &f, 0, 1) == S46_NAPT_OK ? f.ext_port : 0;
        uint64_t k = bn_key(i);
        uint32_t h = (uint32_t)s46_mix64(k) & bn_mask;
        while (bn_ref[h])
            h = (h + 1) & bn_mask;
        bn_ref[h] = k;
    }
    bn_pair(bn_out, bn_ref_find, secs, &r, &ref);
    printf("%-34s %10.2f %10.2f %8.3f\n", "outbound, established flow", r / 1e6, ref / 1e6,
           r / ref);
    bn_pair(bn_in, bn_ref_find, secs, &r, &ref);
    printf("%-34s %10.2f %10.2f %8.3f\n", "inbound reply, established flow", r / 1e6,
           ref / 1e6, r / ref);
    s46_napt_reset(bn_t, 0, 0, 0, 0);
    memset(bn_ref, 0, (bn_mask + 1) * sizeof *bn_ref);
    bn_pair(bn_churn, bn_ref_new, secs * 2, &r, &ref);
    printf("%-34s %10.2f %10.2f %8.3f\n", "churn: new + expiry (tick/32 pkts)", r / 1e6,
           ref / 1e6, r / ref);
    s46_napt_stats st;
    s46_napt_stats_get(bn_t, &st);
    printf("%u bytes per mapping with its session (all tables shared out over 65536)\n",
           st.bytes_per_mapping + st.bytes_per_session);
    s46_napt_free(bn_t);
    free(bn_ref);
}


/* ---- through the run loop (mem ports), 1 and 2 workers ---- */

static volatile sig_atomic_t loop_stop;

static void *stopper(void *arg)
{
    struct timespec ts = {0, 0};
    double secs = *(double *)arg;
    ts.tv_sec = (time_t)secs;
    ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
    nanosleep(&ts, NULL);
    loop_stop = 1;
    return NULL;
}

/* Packets per second the loop with `workers` workers takes in on side 0
 * from mem ports that hand out pkts (n of them), over secs. */
static double loop_rate(const s46_pipeline_ops *ops, const void *conf, unsigned workers,
                        const uint8_t *const *pkts, const uint32_t *lens, unsigned n, double secs,
                        uint64_t *redirected)
{
    s46_loop_conf lc = {.pipeline = ops, .pipeline_conf = conf, .workers = workers, .pin = true,
                        .wake_fd = -1, .stop = &loop_stop};
    lc.side[0] = (s46_port_spec){.kind = S46_PORT_MEM, .mem_pkts = pkts, .mem_lens = lens,
                                 .mem_count = n};
    lc.side[1] = (s46_port_spec){.kind = S46_PORT_MEM};
    char e[256];
    s46_loop *l = s46_loop_new(&lc, NULL, 0, e, sizeof e);
    if (!l) {
        fprintf(stderr, "bench: %s\n", e);
        return 0;
    }
    loop_stop = 0;
    pthread_t th;
    pthread_create(&th, NULL, stopper, &secs);
    double t0 = now_s();
    s46_loop_run(l, e, sizeof e);
    double t = now_s() - t0;
    pthread_join(th, NULL);
    s46_port_stats st;
    s46_loop_port_stats(l, 0, &st);
    json_t *j = s46_loop_show(l);
    *redirected = (uint64_t)json_integer_value(json_object_get(j, "redirected"));
    json_decref(j);
    s46_loop_free(l);
    return (double)st.rx_packets / t;
}

static void bench_loop(double secs, const s46_br_conf *bc, const s46_ce_conf *cc)
{
    enum { N = 4096 };
    static uint8_t buf[N][600];
    static const uint8_t *pk[N];
    static uint32_t len[N];
    printf("\nThrough the run loop (mem ports: a copy in, counted out), 550 bytes, workers\n"
           "pinned one per CPU; target: 2 workers >= 1.8x one where 2 CPUs are free\n");
    printf("%-22s %8s %12s %12s %8s %12s\n", "pipeline", "flows", "1 worker", "2 workers",
           "ratio", "redirected");
    make_ces(10000);
    for (unsigned i = 0; i < N; i++) {
        s46_pkt p;
        uint8_t b[S46_PKT_BUFSIZE];
        s46_pkt_init(&p, b);
        fill_br4(&p, i, 550);
        memcpy(buf[i], p.data, p.len);
        pk[i] = buf[i];
        len[i] = p.len;
    }
    uint64_t red1, red2;
    double r1 = loop_rate(&s46_pl_br_mape, bc, 1, pk, len, N, secs, &red1);
    double r2 = loop_rate(&s46_pl_br_mape, bc, 2, pk, len, N, secs, &red2);
    printf("%-22s %8u %10.2f M %10.2f M %7.2fx %12llu\n", "BR IPv4->IPv6", 10000, r1 / 1e6,
           r2 / 1e6, r2 / r1, (unsigned long long)red2);
    /* the CE: LAN hosts 10.0.x.y, one flow each; steering by source address */
    s46_cepl_conf pc;
    memset(&pc, 0, sizeof pc);
    pc.mech = S46_CE_MECH_MAPE;
    pc.mape = *cc;
    for (unsigned i = 0; i < N; i++) {
        build_v4(buf[i], 550, 0x0a000000u | (i + 1), 0xc6336450u, (uint16_t)(10000 + i), 80);
        len[i] = 550;
    }
    r1 = loop_rate(&s46_pl_ce, &pc, 1, pk, len, N, secs, &red1);
    r2 = loop_rate(&s46_pl_ce, &pc, 2, pk, len, N, secs, &red2);
    printf("%-22s %8u %10.2f M %10.2f M %7.2fx %12llu\n", "CE LAN->WAN (MAP-E)", N, r1 / 1e6,
           r2 / 1e6, r2 / r1, (unsigned long long)red2);
}

/* 464XLAT CLAT: LAN -> WAN (NAPT44 then RFC 7915) over cl_flows
 * established flows from 10.0.x.y to 198.51.100.80:80, and the replies
 * WAN -> LAN (RFC 7915 then the reverse NAPT) from the server in
 * 64:ff9b::/96 to each flow's external port. */
static s46_clat *the_clat;
static s46_ip6 cl_clat6, cl_srv6;
static uint16_t *cl_ext;
static uint32_t cl_flows;
static uint8_t cl_tmpl6[2048];
static uint32_t cl_tmpl6_size;

static void proc_clat4(s46_batch *b, void *arg)
{
    (void)arg;
    s46_clat_process(the_clat, b, 0, 1000000000ull);
    for (uint32_t k = 0; k < b->count; k++)
        if (b->pkts[k]->verdict != S46_V_FORWARD)
            abort();
}
static void proc_clat6(s46_batch *b, void *arg)
{
    (void)arg;
    s46_clat_process(the_clat, b, 1, 1000000000ull);
    for (uint32_t k = 0; k < b->count; k++)
        if (b->pkts[k]->verdict != S46_V_FORWARD)
            abort();
}

/* Flow f's LAN packet as fill_ce_lan makes it, but with a UDP checksum
 * (kept right as the source changes): a zero one would be computed over
 * the whole datagram by the translator (RFC 7915 §4.5), not the usual
 * case. */
static uint8_t cl_tmpl4[2048];
static uint32_t cl_tmpl4_size;
static void fill_clat4(s46_pkt *p, uint32_t i, uint32_t size)
{
    static uint32_t f;
    (void)i;
    if (++f >= cl_flows)
        f = 0;
    if (cl_tmpl4_size != size) {
        uint8_t *t = cl_tmpl4;
        build_v4(t, size, 0x0a000000, 0xc6336450, 1024, 80);
        uint32_t sum = s46_csum_pseudo4(t + 12, t + 16, 17, size - 20);
        s46_put16(t + 26, s46_csum_fold(s46_csum_add(sum, t + 20, size - 20)));
        cl_tmpl4_size = size;
    }
    s46_pkt_reset(p);
    uint8_t *ip = p->data;
    memcpy(ip, cl_tmpl4, size);
    uint8_t na[4];
    s46_put32(na, 0x0a000000u | (f >> 8));
    s46_csum_replace32(ip + 10, ip + 12, na);
    s46_csum_replace32(ip + 26, ip + 12, na);
    memcpy(ip + 12, na, 4);
    uint16_t port = (uint16_t)(1024 + (f & 0xff));
    s46_csum_replace16(ip + 26, 1024, port);
    s46_put16(ip + 20, port);
    p->len = size;
}

/* The reply to flow f's external port: IPv6 UDP of size bytes. */
static void fill_clat6(s46_pkt *p, uint32_t i, uint32_t size)
{
    static uint32_t f;
    (void)i;
    if (++f >= cl_flows)
        f = 0;
    if (cl_tmpl6_size != size) {
        uint8_t *t = cl_tmpl6;
        memset(t, 0, size);
        t[0] = 0x60;
        s46_put16(t + 4, (uint16_t)(size - 40));
        t[6] = 17;
        t[7] = 64;
        memcpy(t + 8, cl_srv6.b, 16);
        memcpy(t + 24, cl_clat6.b, 16);
        s46_put16(t + 40, 80);
        s46_put16(t + 42, 1024);
        s46_put16(t + 44, (uint16_t)(size - 40));
        uint32_t sum = s46_csum_pseudo6(t + 8, t + 24, 17, size - 40);
        s46_put16(t + 46, s46_csum_fold(s46_csum_add(sum, t + 40, size - 40)));
        cl_tmpl6_size = size;
    }
    s46_pkt_reset(p);
    memcpy(p->data, cl_tmpl6, size);
    s46_csum_replace16(p->data + 46, 1024, cl_ext[f]);
    s46_put16(p->data + 42, cl_ext[f]);
    p->len = size;
}

static void bench_clat(double secs)
{
    printf("\n464XLAT CLAT pipeline (NAPT44 + RFC 7915), one core, 10000 established flows,\n"
           "next to the MAP-E BR (10000 CEs) in the same run; bytes: the IPv4 packet (+20 as IPv6);\n"
           "time = its time per packet / the BR's in the same direction\n");
    printf("%-16s %6s %12s %12s %8s %8s\n", "pipeline", "bytes", "copy Mpps", "Mpps", "/copy",
           "time");
    s46_clat_conf c;
    s46_clat_conf_default(&c);
    s46_pfx6_parse("64:ff9b::/96", &c.nat64, NULL, 0);
    s46_ip6_parse("2001:db8:12:3400::c1a7", &c.clat6);
    c.ipv6_mtu = 9000;
    c.lan_mtu = 9000;
    c.ttl_decrement = true;
    c.napt.max_mappings = 65536;
    c.napt.max_sessions = 65536;
    the_clat = s46_clat_new(&c, NULL, 0);
    if (!the_clat)
        abort();
    cl_clat6 = c.clat6;
    s46_rfc6052_embed(&c.nat64, 0xc6336450u, &cl_srv6);
    cl_flows = ce_flows = 10000; /* fill_ce_lan's flows, as below */
    cl_ext = calloc(cl_flows, sizeof *cl_ext);
    /* create the mappings, one batch at a time, and note each external port */
    static s46_pktpool *pool;
    if (!pool)
        pool = s46_pktpool_new(S46_BATCH_MAX);
    for (uint32_t f = 0; f < cl_flows;) {
        s46_batch b = {0};
        uint32_t first = f;
        for (uint32_t k = 0; k < S46_BATCH_IN && f < cl_flows; k++, f++) {
            s46_pkt *p = s46_pkt_alloc(pool);
            s46_pkt_reset(p);
            memcpy(p->data, template_for(2, 550), 550);
            patch_v4(p->data, 12, 0x0a000000u | (f >> 8), 20, (uint16_t)(1024 + (f & 0xff)));
            p->len = 550;
            b.pkts[b.count++] = p;
        }
        proc_clat4(&b, NULL);
        for (uint32_t k = 0; k < b.count; k++) {
            cl_ext[first + k] = s46_get16(b.pkts[k]->data + 40);
            s46_pkt_release(pool, b.pkts[k]);
        }
    }
    make_ces(10000);
    static const uint32_t sizes[] = {64, 550, 1500};
    for (int s = 0; s < 3; s++) {
        uint32_t size = sizes[s];
        double bb4, br4, bb6, br6p, cb4, c4, cb6, c6;
        measure_pair(fill_br4, size, proc_br4, NULL, secs, &bb4, &br4);
        measure_pair(fill_clat4, size, proc_clat4, NULL, secs, &cb4, &c4);
        measure_pair(fill_br6, size + 40, proc_br6, NULL, secs, &bb6, &br6p);
        measure_pair(fill_clat6, size + 20, proc_clat6, NULL, secs, &cb6, &c6);
        printf("%-16s %6u %12.2f %12.2f %8.2f\n", "MAP-E BR 4->6", size, bb4 / 1e6, br4 / 1e6,
               br4 / bb4);
        printf("%-16s %6u %12.2f %12.2f %8.2f %7.2fx\n", "CLAT LAN->WAN", size, cb4 / 1e6,
               c4 / 1e6, c4 / cb4, br4 / c4);
        printf("%-16s %6u %12.2f %12.2f %8.2f\n", "MAP-E BR 6->4", size, bb6 / 1e6, br6p / 1e6,
               br6p / bb6);
        printf("%-16s %6u %12.2f %12.2f %8.2f %7.2fx\n", "CLAT WAN->LAN", size, cb6 / 1e6,
               c6 / 1e6, c6 / cb6, br6p / c6);
    }
    const s46_counters *k = s46_clat_counters(the_clat);
    for (unsigned i = 0; i < k->count; i++)
        if (!strncmp(k->names[i], "drop_", 5) && k->v[i])
            printf("unexpected: %s = %llu\n", k->names[i], (unsigned long long)k->v[i]);
    free(cl_ext);
    s46_clat_free(the_clat);
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 0.3;
    const char *only = argc > 2 ? argv[2] : ""; /* "br4", "br6", "mapt", "ce", "cet", "napt", "lw", "aftr", "nat64", "clat", "loop" */
    memset(&rule, 0, sizeof rule);
    s46_pfx6_parse("2001:db8::/32", &rule.ipv6, NULL, 0);
    s46_pfx4_parse("100.64.0.0/10", &rule.ipv4, NULL, 0);
    rule.ea_len = 30;
    rule.psid_offset = 6;
    s46_br_conf bc;
    s46_br_conf_default(&bc);
    bc.rules = s46_ruleset_new(&rule, 1, NULL, 0);
    bc.br6 = *br6();
    bc.ipv6_mtu = 9000;
    the_br = s46_br_new(&bc);

    printf("MAP-E BR pipeline, one core, batches of %d (Mpps = million packets/s)\n"
           "time = BR time per packet / copy time per packet (target <= 3); Mpps target\n"
           "for 550 bytes: >= 12 with 1 CE, >= 6 with 1M CEs\n",
           S46_BATCH_IN);
    printf("%-10s %6s %10s %12s %12s %8s %8s %7s\n", "direction", "bytes", "CEs", "copy Mpps",
           "BR Mpps", "BR/copy", "time", "target");
    static const uint32_t sizes[] = {64, 550, 1500}, counts[] = {1, 10000, 1000000};
    for (int dir = 0; dir < 2; dir++)
        for (int c = 0; c < 3; c++) {
            if (*only && strcmp(only, dir ? "br6" : "br4") != 0)
                continue;
            make_ces(counts[c]);
            for (int s = 0; s < 3; s++) {
                uint32_t size = sizes[s] < 68 && dir == 1 ? 68 : sizes[s];
                fill_fn f = dir ? fill_br6 : fill_br4;
                double base, pps;
                measure_pair(f, size, dir ? proc_br6 : proc_br4, NULL, secs, &base, &pps);
                int ok = base / pps <= 3;
                if (size == 550 && counts[c] == 1)
                    ok = ok && pps >= 12e6;
                if (size == 550 && counts[c] == 1000000)
                    ok = ok && pps >= 6e6;
                printf("%-10s %6u %10u %12.2f %12.2f %8.2f %7.2fx %7s\n",
                       dir ? "IPv6->IPv4" : "IPv4->IPv6", size, counts[c], base / 1e6, pps / 1e6,
                       pps / base, base / pps, met(ok));
            }
        }

    if (!*only || strcmp(only, "mapt") == 0)
        bench_mapt(secs);
    if (strcmp(only, "mapt") == 0)
        return 0;
    if (strcmp(only, "napt") == 0)
        bench_napt(secs);
    if (strcmp(only, "lw") == 0) /* [max bindings] */
        bench_lw(secs, argc > 3 ? (uint32_t)atol(argv[3]) : 10000000);
    if (strcmp(only, "aftr") == 0)
        bench_aftr(secs);
    if (strcmp(only, "nat64") == 0)
        bench_nat64(secs);
    if (strcmp(only, "clat") == 0)
        bench_clat(secs);
    if (strcmp(only, "cet") == 0)
        bench_cet(secs);
    if (*only && strcmp(only, "ce") != 0 && strcmp(only, "loop") != 0)
        return 0;
    /* CE: a full IPv4 address (EA 8: k = 0) so 10k flows fit */
    s46_maprule cr;
    memset(&cr, 0, sizeof cr);
    s46_pfx6_parse("2001:db8::/40", &cr.ipv6, NULL, 0);
    s46_pfx4_parse("192.0.2.0/24", &cr.ipv4, NULL, 0);
    cr.ea_len = 8;
    cr.psid_offset = 6;
    s46_ce_conf cc;
    s46_ce_conf_default(&cc);
    cc.rules = &cr;
    cc.nrules = 1;
    s46_pfx6_parse("2001:db8:12::/48", &cc.eu_prefix, NULL, 0);
    cc.br = *br6();
    cc.ipv6_mtu = 9000;
    cc.napt.max_mappings = 65536;
    cc.napt.max_sessions = 65536;
    the_ce = s46_ce_new(&cc, NULL, 0);
    if (!strcmp(only, "loop")) {
        bench_loop(secs < 1 ? 1 : secs, &bc, &cc);
        return 0;
    }
    printf("\nMAP-E CE pipeline (LAN -> WAN, established flows), one core\n");
    printf("%-10s %6s %10s %12s %12s %8s\n", "direction", "bytes", "flows", "copy Mpps",
           "CE Mpps", "CE/copy");
    static const uint32_t flows[] = {1, 10000};
    for (int k = 0; k < 2; k++) {
        ce_flows = flows[k];
        measure(fill_ce_lan, 550, proc_ce, NULL, 0.05); /* create the mappings */
        double base = measure(fill_ce_lan, 550, NULL, NULL, secs);
        double pps = measure(fill_ce_lan, 550, proc_ce, NULL, secs);
        printf("%-10s %6u %10u %12.2f %12.2f %8.2f\n", "LAN->WAN", 550, flows[k], base / 1e6,
               pps / 1e6, pps / base);
    }
    bench_napt(secs);
    if (!*only) {
        bench_cet(secs);
        bench_lw(secs, 10000000);
    }
    return 0;
}
