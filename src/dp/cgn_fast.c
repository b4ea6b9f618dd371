#include "dp/cgn_fast.h"

#include "dp/cgn_rewrite.h"
#include "dp/napt_rewrite.h"

bool s46_cgn_fast_ip4(const uint8_t *ip, unsigned avail, bool out, s46_l3 *l)
{
    if (avail < 28 || ip[0] != 0x45 || s46_parse_ipv4(ip, avail, l) < 0 || l->is_fragment ||
        !l->has_ports)
        return false;
    switch (l->proto) {
    case S46_PROTO_TCP:
    case S46_PROTO_UDP: return true;
    case S46_PROTO_ICMP: return l->icmp_type == (out ? 8 : 0);
    default: return false;
    }
}

void s46_cgn_fast_prepare(s46_cgn_fast *x, const s46_cgn *g, const s46_batch *b, uint16_t side,
                          uint32_t now, s46_cgn_fast_cand cand, const void *arg)
{
    unsigned n = b->count < S46_BATCH_MAX ? b->count : S46_BATCH_MAX, k = 0;
    x->now = now;
    x->side = side;
    x->i = 0;
    x->n = n;
    for (unsigned i = 0; i < n; i++) {
        x->p[i] = b->pkts[i];
        x->k[i] = S46_CGN_FAST_NONE;
        if (cand(arg, b->pkts[i], &x->l3[k], &x->f[k]))
            x->k[i] = (uint8_t)k++;
    }
    if (side)
        s46_cgn_hint_out(g, x->f, x->h, k);
    else
        s46_cgn_hint_in(g, x->f, x->h, k);
}

bool s46_cgn_fast_next(s46_cgn_fast *x, const s46_cgn *g, const s46_pkt *p, const s46_l3 **l,
                       s46_cgn_flow **f, uint32_t *ref)
{
    unsigned i = x->i++;
    if (i >= x->n || x->p[i] != p || x->k[i] == S46_CGN_FAST_NONE)
        return false;
    unsigned k = x->k[i];
    *l = &x->l3[k];
    *f = &x->f[k];
    if (!x->side)
        return s46_cgn_est_in(g, *f, x->h[k], x->now, ref);
    /* to a pool address: hairpinned by the stages */
    return s46_cgn_est_out(g, *f, x->h[k], x->now, ref) &&
           !s46_cgn_is_external(g, (*f)->rem_addr);
}

void s46_cgn_fast_commit(s46_cgn_fast *x, s46_cgn *g, uint8_t *ip, const s46_l3 *l,
                         const s46_cgn_flow *f, uint32_t ref)
{
    s46_cgn_est_touch(g, ref, l->tcp_flags, x->side, x->now);
    if (x->side)
        s46_napt_rewrite(ip, l, true, f->ext_addr, true, f->ext_port);
    else
        s46_napt_rewrite(ip, l, false, f->int_addr, true, f->int_port);
}
