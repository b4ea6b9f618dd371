#include "dp/cgn_fast.h"

#include "dp/cgn_rewrite.h"
#include "dp/napt_rewrite.h"

s46_cgn_fast_class s46_cgn_fast_class4_any(const uint8_t *ip, unsigned avail,
                                           const s46_cgn_key *sub, s46_l3 *l,
                                           s46_cgn_flow *f)
{
    if (s46_parse_ipv4(ip, avail, l) < 0)
        return S46_CGN_FAST_NONE;
    if (l->is_fragment)
        return S46_CGN_FAST_ANY;
    if (!(sub ? s46_cgn_flow_out(sub, ip, l, f) : s46_cgn_flow_in(ip, l, f)))
        return S46_CGN_FAST_NONE;
    return l->l3_len == 20 ? S46_CGN_FAST_CAND : S46_CGN_FAST_FLOW;
}

void s46_cgn_fast_prepare(s46_cgn_fast *x, const s46_cgn *g, const s46_batch *b, uint16_t side,
                          uint32_t now, s46_cgn_fast_cand cand, const void *arg)
{
    unsigned n = b->count < S46_BATCH_MAX ? b->count : S46_BATCH_MAX, k = 0;
    x->g = g;
    x->now = now;
    x->side = side;
    x->i = x->nslow = 0;
    x->wild = x->pending = false;
    x->n = n;
    for (unsigned i = 0; i < n; i++) {
        x->p[i] = b->pkts[i];
        s46_cgn_fast_class c = cand(arg, b->pkts[i], &x->l3[k], &x->f[k]);
        x->cls[i] = (uint8_t)c;
        if (c == S46_CGN_FAST_CAND || c == S46_CGN_FAST_FLOW) {
            s46_cgn_hint_one(g, &x->f[k], &x->h[k], side);
            x->k[i] = (uint8_t)k++;
        }
    }
    for (unsigned j = 0; j < k; j++)
        x->m[j] = s46_cgn_est_slot(g, &x->h[j], side);
}
