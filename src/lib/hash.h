/* Hashes.
 *  - s46_mix64: a 64-bit mixing function (a finalizer in the style of
 *    MurmurHash3's) for the open-addressing tables of the rule set, the
 *    NAPT and the CGN;
 *  - s46_steer_fnv: which of q workers (or queues) a few header bytes
 *    go to, FNV-1a folded as (h ^ h >> 16) % q (0 when q is 0); the
 *    workers' steering (dp/pipeline.h) and the ports' fan-out model
 *    (io/fanout.h, whose kernel program computes the same) share it. */
#ifndef S46_HASH_H
#define S46_HASH_H
#include <stddef.h>
#include <stdint.h>

static inline uint64_t s46_mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 33);
}

static inline unsigned s46_steer_fnv(const uint8_t *a, size_t n, unsigned q)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ a[i]) * 16777619u;
    return q ? (h ^ h >> 16) % q : 0;
}
#endif
