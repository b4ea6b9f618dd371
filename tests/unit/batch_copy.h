/* Test helper: a batch of fresh pool packets holding copies of n test
 * frames (bufs[i], lens[i] bytes), for feeding the same input to two
 * instances of a pipeline (the differential fast-path tests). */
#ifndef S46_TEST_BATCH_COPY_H
#define S46_TEST_BATCH_COPY_H
#include <string.h>

#include "lib/pkt.h"

static inline void t_batch_copy(s46_batch *b, s46_pktpool *pool, uint8_t (*bufs)[2048],
                                const uint32_t *lens, uint32_t n)
{
    b->count = 0;
    for (uint32_t i = 0; i < n; i++) {
        s46_pkt *p = s46_pkt_alloc(pool);
        s46_pkt_reset(p);
        memcpy(p->data, bufs[i], lens[i]);
        p->len = lens[i];
        b->pkts[b->count++] = p;
    }
}
#endif
