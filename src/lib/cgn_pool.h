/* The CGN's external IPv4 address pool: the addresses of a list of prefixes
 * less a list of excluded prefixes (or single addresses), numbered 0..n-1
 * in address order. Read-only after creation; safe to share between
 * threads. The index of an address is found by a binary search over the
 * pool's runs of consecutive addresses (one run per prefix unless
 * exclusions split it), so a pool of a few prefixes costs a few compares. */
#ifndef S46_CGN_POOL_H
#define S46_CGN_POOL_H
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"

#define S46_CGN_POOL_MAX (1u << 24) /* at most this many addresses */

typedef struct s46_cgn_pool s46_cgn_pool;

/* NULL with err when the pool would be empty, too big, or a prefix is bad
 * (host bits set). Overlapping prefixes count their addresses once. */
s46_cgn_pool *s46_cgn_pool_new(const s46_pfx4 *pfx, size_t npfx, const s46_pfx4 *excl,
                               size_t nexcl, char *err, size_t errlen);
void s46_cgn_pool_free(s46_cgn_pool *p);
uint32_t s46_cgn_pool_size(const s46_cgn_pool *p);
/* The address of index i (< size). */
uint32_t s46_cgn_pool_addr(const s46_cgn_pool *p, uint32_t i);
/* The index of addr, or UINT32_MAX when addr is not in the pool. */
uint32_t s46_cgn_pool_index(const s46_cgn_pool *p, uint32_t addr);
#endif
