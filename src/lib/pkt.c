#include "lib/pkt.h"

#include <stdlib.h>

struct s46_pktpool {
    s46_pkt *mem;
    uint8_t *data;
    s46_pkt **free;
    uint32_t count, nfree;
};

s46_pktpool *s46_pktpool_new(uint32_t count)
{
    s46_pktpool *pool = calloc(1, sizeof *pool);
    if (!pool)
        return NULL;
    pool->mem = aligned_alloc(64, ((size_t)count * sizeof(s46_pkt) + 63) & ~(size_t)63);
    pool->data = aligned_alloc(64, (size_t)count * S46_PKT_BUFSIZE);
    pool->free = malloc((size_t)count * sizeof *pool->free);
    if (!pool->mem || !pool->data || !pool->free) {
        s46_pktpool_free(pool);
        return NULL;
    }
    pool->count = pool->nfree = count;
    for (uint32_t i = 0; i < count; i++) {
        pool->free[i] = &pool->mem[count - 1 - i];
        pool->mem[i].owner = pool;
        pool->mem[i].buf = pool->data + (size_t)i * S46_PKT_BUFSIZE;
    }
    return pool;
}

void s46_pktpool_free(s46_pktpool *pool)
{
    if (!pool)
        return;
    free(pool->mem);
    free(pool->data);
    free(pool->free);
    free(pool);
}

s46_pkt *s46_pkt_alloc(s46_pktpool *pool)
{
    if (pool->nfree == 0)
        return NULL;
    s46_pkt *p = pool->free[--pool->nfree];
    s46_pkt_reset(p);
    return p;
}

void s46_pkt_release(s46_pktpool *pool, s46_pkt *p)
{
    if (!p)
        return;
    if (p->owner)
        pool = p->owner;
    if (pool->nfree < pool->count)
        pool->free[pool->nfree++] = p;
}

uint32_t s46_pktpool_available(const s46_pktpool *pool) { return pool->nfree; }
