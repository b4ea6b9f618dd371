#include "dp/cgn_fast.h"

#include "dp/cgn_rewrite.h"
#include "dp/napt_rewrite.h"
#include "lib/csum.h"

/* The commonest packet, parsed as s46_parse_ipv4 and s46_cgn_flow_out/in
 * would parse it, without their generality: an unfragmented option-less
 * TCP or UDP packet, or an ICMP echo (a request outbound, a reply
 * inbound), whose transport header is all there. False: another kind. */
static bool class_common(const uint8_t *ip, unsigned avail, const s46_cgn_key *sub, s46_l3 *l,
                         s46_cgn_flow *f)
{
    if (avail < 28 || ip[0] != 0x45)
        return false;
    unsigned tot = s46_get16(ip + 2), proto = ip[9];
    uint16_t ff = s46_get16(ip + 6);
    uint8_t cp;
    if (tot < 28 || tot > avail || (ff & 0x3fff) || !s46_csum_ok20(ip))
        return false;
    if (proto == S46_PROTO_UDP)
        cp = S46_CGN_UDP;
    else if (proto == S46_PROTO_TCP && tot >= 40)
        cp = S46_CGN_TCP;
    else if (proto == S46_PROTO_ICMP && ip[20] == (sub ? 8 : 0))
        cp = S46_CGN_ICMP;
    else
        return false;
    const uint8_t *l4 = ip + 20;
    bool icmp = cp == S46_CGN_ICMP;
    uint16_t sport = s46_get16(l4 + (icmp ? 4 : 0)), dport = s46_get16(l4 + (icmp ? 4 : 2));
    *l = (s46_l3){.l3_len = 20, .l4_len = (uint16_t)(tot - 20), .proto = (uint8_t)proto,
                  .ttl = ip[8], .df = ff & 0x4000, .first_fragment = true,
                  .encap_limit = -1, .has_ports = true, .sport = sport, .dport = dport,
                  .icmp_type = icmp ? l4[0] : 0, .icmp_code = icmp ? l4[1] : 0,
                  .tcp_flags = cp == S46_CGN_TCP ? l4[13] : 0};
    if (sub)
        *f = (s46_cgn_flow){.sub = *sub, .proto = cp, .int_addr = s46_get32(ip + 12),
                            .int_port = sport, .rem_addr = s46_get32(ip + 16),
                            .rem_port = icmp ? 0 : dport};
    else
        *f = (s46_cgn_flow){.proto = cp, .ext_addr = s46_get32(ip + 16), .ext_port = dport,
                            .rem_addr = s46_get32(ip + 12), .rem_port = icmp ? 0 : sport};
    return true;
}

s46_cgn_fast_class s46_cgn_fast_class4(const uint8_t *ip, unsigned avail,
                                       const s46_cgn_key *sub, s46_l3 *l, s46_cgn_flow *f)
{
    if (class_common(ip, avail, sub, l, f))
        return S46_CGN_FAST_CAND;
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
    s46_cgn_est_batch(g, x->f, x->h, x->ref, k, side, now);
}
