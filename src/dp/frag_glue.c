#include "dp/frag_glue.h"

bool s46_dp_reassemble(const s46_frag_ctrs *c, s46_reasm *r, s46_pkt *p, s46_l3 *l3,
                       uint64_t now_ns)
{
    return s46_dp_reassemble_tagged(c, r, p, l3, NULL, now_ns);
}

bool s46_dp_reassemble_tagged(const s46_frag_ctrs *c, s46_reasm *r, s46_pkt *p, s46_l3 *l3,
                              const uint8_t *tag, uint64_t now_ns)
{
    switch (s46_reasm_offer_tagged(r, p, l3, tag, now_ns)) {
    case S46_REASM_DONE:
        c->cnt[c->reassembled]++;
        return true;
    case S46_REASM_HELD:
        c->cnt[c->held]++;
        s46_pkt_drop(p, c->held);
        return false;
    default:
        c->cnt[c->failed]++;
        s46_pkt_drop(p, c->failed);
        return false;
    }
}

void s46_dp_fragment_out(const s46_frag_ctrs *c, s46_batch *b, s46_pkt *p, unsigned mtu,
                         uint32_t id, s46_pktpool *pool)
{
    int n = s46_frag6_into_batch(b, p, mtu, id, pool);
    if (n < 0) {
        c->cnt[c->out]--;
        c->cnt[c->no_buffer]++;
        s46_pkt_drop(p, c->no_buffer);
        return;
    }
    c->cnt[c->out] += (uint64_t)n;
    c->cnt[c->fragmented]++;
}

void s46_dp_fragment4_out(const s46_frag_ctrs *c, uint16_t out, s46_batch *b, s46_pkt *p,
                          unsigned mtu, s46_pktpool *pool)
{
    int n = s46_frag4_into_batch(b, p, mtu, pool);
    if (n < 0) {
        c->cnt[out]--;
        c->cnt[c->no_buffer]++;
        s46_pkt_drop(p, c->no_buffer);
        return;
    }
    c->cnt[out] += (uint64_t)n;
    c->cnt[c->fragmented]++;
}
