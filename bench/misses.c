/* The machine's price for the CGN's lookups, apart from s46: random reads
 * into tables the size of the CGN's for 2 M mappings (a 16 MiB index of
 * 4-byte slots, 128 MiB of 64-byte entries, huge pages where the kernel
 * grants them), in batches as the fast path makes them: one round (each
 * read independent of the others) into the index, one into the entries,
 * and two dependent rounds (a slot, then the entry it names), 32 and 64
 * reads a batch: the larger table costs more a read. A round costs about one
 * memory latency per batch whatever its number of reads, so the figures
 * say how far a table-bound pipeline can follow a compute-bound one (the
 * MAP-E BR) on this machine. Then what a page walk costs apart from the
 * data: 16 384 lines (1 MiB, cached) read at random packed together, then
 * as many one to a 4 KiB page over 65 MiB (huge pages requested):
 * one after the other (each read's address depends on the previous one:
 * the latency) and in batches of 32. Where the two differ, every page a
 * packet touches costs a walk (a virtual machine whose host maps its
 * memory in 4 KiB pages, whatever the guest asks). Last, one round into
 * tables of 4 to 512 MiB: the size at which reads get dear (the last
 * cache level's, the TLB's reach). Usage: bench_misses [seconds per
 * figure]. */
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

/* ns per lookup: batches of n, one round (rounds 1: into the index; 3:
 * into the entries) or slot then entry (2). */
static double run(const uint32_t *slot, const entry *ent, unsigned n, int rounds, double secs)
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
            if (rounds == 3) {
                for (unsigned i = 0; i < n; i++) {
                    m[i] = h[i] & (ENTRIES - 1);
                    __builtin_prefetch(&ent[m[i]]);
                }
                for (unsigned i = 0; i < n; i++)
                    acc += ent[m[i]].b[0];
            } else if (rounds == 1) {
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

/* ns per read of n lines `stride` bytes apart in t: dependent reads
 * (chain true) or batches of 32 independent ones. */
static double lines(const uint8_t *t, uint32_t n, uint32_t stride, int chain, double secs)
{
    uint64_t acc = 0, done = 0;
    uint32_t i = 0;
    double t0 = now_s(), t1;
    do {
        if (chain) {
            for (int r = 0; r < 32768; r++) /* the next line depends on this one's byte */
                i = (uint32_t)((i * 2654435761u + t[(size_t)i * stride] + 12345u) % n);
            done += 32768;
        } else {
            for (int r = 0; r < 1024; r++) {
                uint32_t h[32];
                for (int k = 0; k < 32; k++) {
                    h[k] = next_rand() % n;
                    __builtin_prefetch(&t[(size_t)h[k] * stride]);
                }
                for (int k = 0; k < 32; k++)
                    acc += t[(size_t)h[k] * stride];
            }
            done += 32 * 1024;
        }
        t1 = now_s();
    } while (t1 - t0 < secs);
    __asm__ volatile("" : : "r"(acc), "r"(i));
    return (t1 - t0) / (double)done * 1e9;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 0.3;
    if (!(secs > 0) || secs > 60) {
        fprintf(stderr, "usage: bench_misses [seconds per figure, 0-60]\n");
        return 2;
    }
    uint32_t *slot = table((size_t)SLOTS * sizeof *slot);
    entry *ent = table((size_t)ENTRIES * sizeof *ent);
    if (!slot || !ent) {
        fprintf(stderr, "bench_misses: out of memory\n");
        return 1;
    }
    for (uint32_t i = 0; i < SLOTS; i++) /* any entry, scattered */
        slot[i] = (uint32_t)(((uint64_t)i * 2654435761u) % ENTRIES);
    printf("Random reads into a 16 MiB index and 128 MiB of entries (the CGN's tables'\n"
           "sizes in the AFTR and NAT64 benchmarks), one core, ns per lookup\n");
    printf("%-8s %16s %18s %18s\n", "batch", "one round: index", "one round: entries",
           "slot, then entry");
    for (unsigned n = 32; n <= 64; n *= 2)
        printf("%-8u %16.1f %18.1f %18.1f\n", n, run(slot, ent, n, 1, secs),
               run(slot, ent, n, 3, secs), run(slot, ent, n, 2, secs));
    free(slot);
    free(ent);
    /* one to a page: 4 KiB and a line apart, so that the lines spread over
     * the caches' sets as packed ones do (4 KiB apart they would all fall
     * in a few sets and miss for that) */
    enum { NL = 16384, PAGE = 4096 + 64 };
    uint8_t *t = table((size_t)NL * PAGE);
    if (!t) {
        fprintf(stderr, "bench_misses: out of memory\n");
        return 1;
    }
    printf("\n16 384 lines read at random, ns per read: packed in 1 MiB, then one to a\n"
           "4 KiB page over 65 MiB (as much data; the difference is the page walks)\n");
    printf("%-22s %12s %12s\n", "", "one by one", "batches of 32");
    printf("%-22s %12.1f %12.1f\n", "packed", lines(t, NL, 64, 1, secs), lines(t, NL, 64, 0, secs));
    printf("%-22s %12.1f %12.1f\n", "one to a page", lines(t, NL, PAGE, 1, secs),
           lines(t, NL, PAGE, 0, secs));
    free(t);
    /* one round by the table's size: where a table stops fitting */
    enum { SPAN_MAX = 512 };
    uint8_t *sp = table((size_t)SPAN_MAX << 20);
    if (!sp) {
        fprintf(stderr, "bench_misses: out of memory\n");
        return 1;
    }
    printf("\none round (batches of 32) into a table of N MiB, ns per read\n");
    for (uint32_t mb = 4; mb <= SPAN_MAX; mb *= 2)
        printf("%4u MiB %8.1f\n", mb, lines(sp, (mb << 20) / 64, 64, 0, secs));
    free(sp);
    return 0;
}
