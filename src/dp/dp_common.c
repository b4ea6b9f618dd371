#include "dp/dp_common.h"

#include <string.h>

int s46_dp_init(s46_dp *d, const s46_dp_desc *desc, uint64_t *cnt, uint32_t per_sec,
                uint32_t burst)
{
    d->desc = desc;
    d->cnt = cnt;
    d->counters = (s46_counters){desc->names, desc->ncounters, cnt};
    d->fc = (s46_frag_ctrs){cnt, desc->held, desc->reassembled, desc->reasm_failed,
                            desc->out[1], desc->fragmented, desc->no_buffer};
    s46_ratelimit_init(&d->icmp_rl, per_sec, burst);
    s46_pkt_init(&d->scratch, d->scratch_buf);
    d->pool = s46_pktpool_new(4 * S46_BATCH_MAX);
    d->reasm4 = s46_reasm_new(desc->reasm_slots, 2000000000ull);
    d->reasm6 = s46_reasm_new(desc->reasm_slots, 2000000000ull);
    if (!d->pool || !d->reasm4 || !d->reasm6) {
        s46_dp_fini(d);
        return -1;
    }
    return 0;
}

void s46_dp_fini(s46_dp *d)
{
    s46_pktpool_free(d->pool);
    s46_reasm_free(d->reasm4);
    s46_reasm_free(d->reasm6);
    d->pool = NULL;
    d->reasm4 = d->reasm6 = NULL;
}

bool s46_dp_reasm(s46_dp *d, bool v6, s46_pkt *p, s46_l3 *l3, uint64_t now_ns)
{
    return s46_dp_reassemble(&d->fc, v6 ? d->reasm6 : d->reasm4, p, l3, now_ns);
}

bool s46_dp_reasm_inner4(s46_dp *d, s46_pkt *p, s46_l3 *l3, const uint8_t *peer,
                         uint64_t now_ns)
{
    return s46_dp_reassemble_tagged(&d->fc, d->reasm4, p, l3, peer, now_ns);
}

void s46_dp_frag4_out(s46_dp *d, s46_pkt *p, unsigned mtu)
{
    s46_dp_fragment4_out(&d->fc, d->desc->out[0], d->cur, p, mtu, d->pool);
}

void s46_dp_frag_out(s46_dp *d, s46_pkt *p, unsigned mtu)
{
    s46_dp_fragment_out(&d->fc, d->cur, p, mtu, ++d->frag_id, d->pool);
}

bool s46_dp_icmp4_error(s46_dp *d, s46_pkt *p, const s46_l3 *l3, uint32_t src, uint8_t type,
                        uint8_t code, uint32_t extra, uint64_t now_ns)
{
    switch (s46_icmp4_error_replace(p, l3, &d->scratch, &d->icmp_rl, src, type, code, extra,
                                    now_ns)) {
    case S46_ICMP_SENT:
        d->cnt[d->desc->icmp_sent]++;
        return true;
    case S46_ICMP_RATELIMITED:
        d->cnt[d->desc->icmp_ratelimited]++;
        return false;
    default:
        return false;
    }
}

void s46_dp_take_scratch(s46_dp *d, s46_pkt *p)
{
    s46_pkt_reset(p);
    memcpy(p->data, d->scratch.data, d->scratch.len);
    p->len = d->scratch.len;
}
