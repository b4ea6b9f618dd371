/* The machine's price for the CGN's lookups, apart from s46: random reads
 * into tables the size of the CGN's for 2 M mappings (a 32 MiB index of
 * 8-byte slots, 128 MiB of 64-byte entries, huge pages where the kernel
 * grants them), in batches as the fast path makes them: one round (each
 * read independent of the others), and two dependent rounds (a slot, then
 * the entry it names), 32 and 64 reads a batch. A round costs about one
 * memory latency per batch whatever its number of reads, so the figures
 * say how far a table-bound pipeline can follow a compute-bound one (the
 * MAP-E BR) on this machine. Usage: bench_misses [seconds per figure]. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define SLOTS (1u << 22)
#define ENTRIES (1u << 21)
#define HUGE (2u << 20)

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void *table(size_t bytes)
{
    void *p = aligned_alloc(HUGE, bytes);
    if (!p)
        return NULL;
    madvise(p, bytes, MADV_HUGEPAGE);
    memset(p, 0, bytes);
    return p;
}

typedef struct { uint8_t b[64]; } entry;

static uint64_t rng = 88172645463325252ull;
static inline uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)rng;
}

/* ns per lookup: batches of n, one round (rounds 1) or slot then entry. */
static double run(const uint64_t *slot, const entry *ent, unsigned n, int rounds, double secs)
{
    uint32_t h[64], m[64];
    uint64_t acc = 0, done = 0;
    double t0 = now_s(), t;
    do {
        for (int rep = 0; rep < 1024; rep++) {
            for (unsigned i = 0; i < n; i++) {
                h[i] = next_rand() & (SLOTS - 1);
                __builtin_prefetch(&slot[h[i]]);
            }
            if (rounds == 1) {
                for (unsigned i = 0; i < n; i++)
                    acc += slot[h[i]];
            } else {
                for (unsigned i = 0; i < n; i++) {
                    m[i] = (uint32_t)slot[h[i]];
                    __builtin_prefetch(&ent[m[i]]);
                }
                for (unsigned i = 0; i < n; i++)
                    acc += ent[m[i]].b[0];
            }
            done += n;
        }
        t = now_s();
    } while (t - t0 < secs);
    __asm__ volatile("" : : "r"(acc));
    return (t - t0) / (double)done * 1e9;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 0.3;
    if (!(secs > 0) || secs > 60) {
        fprintf(stderr, "usage: bench_misses [seconds per figure, 0-60]\n");
        return 2;
    }
    uint64_t *slot = table((size_t)SLOTS * sizeof *slot);
    entry *ent = table((size_t)ENTRIES * sizeof *ent);
    if (!slot || !ent) {
        fprintf(stderr, "bench_misses: out of memory\n");
        return 1;
    }
    for (uint32_t i = 0; i < SLOTS; i++) /* any entry, scattered */
        slot[i] = (uint32_t)(((uint64_t)i * 2654435761u) % ENTRIES);
    printf("Random reads into a 32 MiB index and 128 MiB of entries (the CGN's tables'\n"
           "sizes in the AFTR and NAT64 benchmarks), one core, ns per lookup\n");
    printf("%-8s %12s %22s\n", "batch", "one round", "slot, then entry");
    for (unsigned n = 32; n <= 64; n *= 2)
        printf("%-8u %12.1f %22.1f\n", n, run(slot, ent, n, 1, secs), run(slot, ent, n, 2, secs));
    free(slot);
    free(ent);
    return 0;
}
