/* The CGN state (lib/cgn.h) on one core: new sessions per second, lookups
 * per second of established sessions (outbound and inbound) with 1,
 * 100 000 and 1 000 000 sessions over 100 000 subscribers, and the memory
 * per session, mapping, block and subscriber. Not a test: prints figures
 * next to the targets (>= 2 M new sessions/s, <= 64 bytes per
 * session). Usage: bench_cgn [seconds per measurement, default 0.3] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/cgn.h"
#include "lib/hash.h"

#define SUBS 100000u
#define MAXS 1000000u

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static s46_pfx4 pool[] = {{0x64400000u, 16}}; /* 100.64.0.0/16: 65536 addresses */

static s46_cgn *make(void)
{
    s46_cgn_config c;
    s46_cgn_config_default(&c);
    c.pool = pool;
    c.npool = 1;
    c.max_subscribers = SUBS + 1024;
    c.max_blocks = 2 * SUBS;
    c.max_mappings = MAXS;
    c.max_sessions = MAXS;
    c.sub_max_mappings = 0;
    c.sub_max_sessions = 0;
    c.sub_max_new_per_sec = 0; /* the clock stands still during a measurement */
    char err[160];
    s46_cgn *g = s46_cgn_new(&c, err, sizeof err);
    if (!g) {
        fprintf(stderr, "bench_cgn: %s\n", err);
        exit(1);
    }
    return g;
}

/* Flow i of n: subscriber i % SUBS (a B4 address), inner port from i / SUBS,
 * one remote. */
static s46_cgn_flow flow(uint32_t i)
{
    uint32_t s = i % SUBS, k = i / SUBS;
    s46_cgn_flow f = {.sub = {{0x20, 0x01, 0x0d, 0xb8, (uint8_t)(s >> 16), (uint8_t)(s >> 8),
                               (uint8_t)s, 0, 0, 0, 0, 0, 0, 0, 0, 0xb4}},
                      .int_addr = 0xc0000002u, .int_port = (uint16_t)(10000 + k),
                      .rem_addr = 0xcb007101u, .rem_port = 443, .proto = S46_CGN_UDP};
    return f;
}

static s46_cgn_flow *flows;
static uint32_t *perm;

#define BATCH 32

/* Creates n sessions (timed) in batches of 32 as a pipeline would
 * (s46_cgn_outbound_batch); returns new sessions a second. */
static double fill(s46_cgn *g, uint32_t n)
{
    s46_cgn_result r[BATCH];
    double t0 = now_s();
    for (uint32_t b = 0; b < n; b += BATCH) {
        uint32_t k = n - b < BATCH ? n - b : BATCH;
        s46_cgn_outbound_batch(g, &flows[b], NULL, r, k, 1);
        for (uint32_t i = 0; i < k; i++)
            if (r[i] != S46_CGN_OK) {
                fprintf(stderr, "bench_cgn: flow %u refused (%d)\n", b + i, r[i]);
                exit(1);
            }
    }
    return n / (now_s() - t0);
}

/* The reference, same run: a bare open-addressing table of 64-bit keys
 * (2^21 slots, the size of the CGN's mapping index for 1M), one insert or
 * lookup of a random key per operation, batches prefetched alike. What a
 * hash table costs on this machine at this size, as a yardstick. */
static uint64_t *ref_tab;
#define REF_MASK ((1u << 21) - 1)
static inline uint64_t ref_key(uint32_t i) { return s46_mix64(i + 1); }
static double ref_run(uint32_t n, bool insert, double secs)
{
    uint64_t done = 0;
    double t0 = now_s(), t;
    uint32_t k = 0;
    if (insert)
        memset(ref_tab, 0, (REF_MASK + 1ull) * sizeof *ref_tab);
    do {
        for (uint32_t b = 0; b < 65536; b += BATCH) {
            uint32_t base = insert ? k : perm[k];
            for (uint32_t i = 0; i < BATCH; i++)
                __builtin_prefetch(&ref_tab[ref_key(insert ? base + i : perm[(k + i) % n]) & REF_MASK]);
            for (uint32_t i = 0; i < BATCH; i++) {
                uint64_t key = ref_key(insert ? base + i : perm[(k + i) % n]);
                uint32_t j = (uint32_t)key & REF_MASK;
                while (ref_tab[j] && ref_tab[j] != key)
                    j = (j + 1) & REF_MASK;
                ref_tab[j] = key;
            }
            k = (k + BATCH) % n;
            if (insert && k < BATCH)
                memset(ref_tab, 0, (REF_MASK + 1ull) * sizeof *ref_tab);
        }
        done += 65536;
        t = now_s();
    } while (t - t0 < secs);
    return (double)done / (t - t0);
}

static double lookups(s46_cgn *g, uint32_t n, double secs, bool inbound)
{
    uint64_t done = 0;
    double t0 = now_s(), t;
    uint32_t k = 0;
    s46_cgn_flow f[BATCH];
    s46_cgn_result r[BATCH];
    do {
        for (int x = 0; x < 65536; x += BATCH) {
            for (int i = 0; i < BATCH; i++) {
                f[i] = flows[perm[k]];
                k = k + 1 == n ? 0 : k + 1;
            }
            if (inbound)
                s46_cgn_inbound_batch(g, f, NULL, r, BATCH, 2);
            else
                s46_cgn_outbound_batch(g, f, NULL, r, BATCH, 2);
            for (int i = 0; i < BATCH; i++)
                if (r[i] != S46_CGN_OK) {
                    fprintf(stderr, "bench_cgn: lookup refused (%d)\n", r[i]);
                    exit(1);
                }
        }
        done += 65536;
        t = now_s();
    } while (t - t0 < secs);
    return (double)done / (t - t0);
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 0.3;
    flows = malloc(MAXS * sizeof *flows);
    perm = malloc(MAXS * sizeof *perm);
    if (!flows || !perm)
        return 1;
    for (uint32_t i = 0; i < MAXS; i++)
        flows[i] = flow(i);
    printf("CGN state (lib/cgn.h), one core, %u subscribers (B4 keys), pool /16, blocks of 512\n",
           SUBS);
    ref_tab = malloc((REF_MASK + 1ull) * sizeof *ref_tab);
    if (!ref_tab)
        return 1;
    for (uint32_t i = 0; i < MAXS; i++)
        perm[i] = i;
    double ref_ins = ref_run(MAXS, true, secs);
    printf("%-44s %12s %8s %10s %8s\n", "operation", "M/s", "target", "ref M/s", "ratio");
    /* new sessions: 1M into an empty table (each a new mapping; the first
     * 100 000 also a new subscriber and a block, logged to no file) */
    double best = 0;
    for (int rep = 0; rep < 3; rep++) {
        s46_cgn *g = make();
        double r = fill(g, MAXS);
        if (r > best)
            best = r;
        s46_cgn_free(g);
    }
    printf("%-44s %12.2f %8s %10.2f %8.3f  %s\n", "new session (1M into empty, 100k subs)",
           best / 1e6, ">= 2", ref_ins / 1e6, best / ref_ins, best >= 2e6 ? "met" : "NOT met");
    static const uint32_t sizes[] = {1, 100000, 1000000};
    for (int z = 0; z < 3; z++) {
        uint32_t n = sizes[z];
        s46_cgn *g = make();
        fill(g, n);
        uint64_t x = 0x9e3779b97f4a7c15ull;
        for (uint32_t i = 0; i < n; i++)
            perm[i] = i;
        for (uint32_t i = n; i > 1; i--) { /* random order: no cache luck */
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            uint32_t j = (uint32_t)(x % i), t = perm[i - 1];
            perm[i - 1] = perm[j];
            perm[j] = t;
        }
        char label[64];
        double ref = ref_run(n, false, secs);
        snprintf(label, sizeof label, "outbound lookup, %u sessions", n);
        double r = lookups(g, n, secs, false);
        printf("%-44s %12.2f %8s %10.2f %8.3f\n", label, r / 1e6, "", ref / 1e6, r / ref);
        snprintf(label, sizeof label, "inbound lookup, %u sessions", n);
        r = lookups(g, n, secs, true);
        printf("%-44s %12.2f %8s %10.2f %8.3f\n", label, r / 1e6, "", ref / 1e6, r / ref);
        if (n == MAXS) {
            s46_cgn_stats st;
            s46_cgn_stats_get(g, &st);
            printf("memory: %u bytes per session, %u per mapping (%u for a flow: one of each), "
                   "target <= 64 per session: %s\n",
                   st.bytes_per_session, st.bytes_per_mapping,
                   st.bytes_per_session + st.bytes_per_mapping,
                   st.bytes_per_session <= 64 ? "yes" : "NO");
            printf("        %u bytes per block of 512 ports, %u per subscriber; %u blocks, "
                   "%llu MiB in all for %u sessions\n",
                   st.bytes_per_block, st.bytes_per_subscriber, st.blocks,
                   (unsigned long long)(st.bytes_total >> 20), st.sessions);
        }
        s46_cgn_free(g);
    }
    free(flows);
    free(perm);
    free(ref_tab);
    return 0;
}
