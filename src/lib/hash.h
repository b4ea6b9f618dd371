/* A 64-bit mixing function (a finalizer in the style of MurmurHash3's) for
 * the open-addressing tables of the rule set and the NAPT. */
#ifndef S46_HASH_H
#define S46_HASH_H
#include <stdint.h>

static inline uint64_t s46_mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 33);
}
#endif
