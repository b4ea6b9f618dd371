#include "dp/tunnel_icmp.h"
#include "dp/icmp_quote.h"
#include "lib/csum.h"

#include <string.h>

void s46_pmtu_init(s46_pmtu *t, uint16_t base)
{
    t->base = base;
    t->n = 0;
}

uint16_t s46_pmtu_get(const s46_pmtu *t, const s46_ip6 *peer)
{
    for (unsigned i = 0; i < t->n; i++)
        if (s46_ip6_eq(&t->e[i].peer, peer))
            return t->e[i].mtu;
    return t->base;
}

void s46_pmtu_expire(s46_pmtu *t, uint64_t now_ns)
{
    for (unsigned i = 0; i < t->n;)
        if (now_ns >= t->e[i].until)
            t->e[i] = t->e[--t->n];
        else
            i++;
}

/* Lowers the MTU toward peer to mtu (not raised); true when it was lowered. */
static bool pmtu_lower(s46_pmtu *t, const s46_ip6 *peer, uint16_t mtu, uint64_t now_ns)
{
    if (mtu >= s46_pmtu_get(t, peer))
        return false;
    unsigned i = 0;
    while (i < t->n && !s46_ip6_eq(&t->e[i].peer, peer))
        i++;
    if (i == t->n && t->n < S46_PMTU_SLOTS) {
        t->n++;
    } else if (i == t->n) { /* full: the one that expires first */
        i = 0;
        for (unsigned j = 1; j < t->n; j++)
            if (t->e[j].until < t->e[i].until)
                i = j;
    }
    t->e[i].peer = *peer;
    t->e[i].mtu = mtu;
    t->e[i].until = now_ns + S46_PMTU_AGE_NS;
    return true;
}

s46_tunnel_icmp_result s46_tunnel_icmp6(const s46_tunnel_icmp *ti, s46_dp *d, s46_pmtu *pm,
                                        s46_pkt *p, const s46_l3 *l3, uint64_t now_ns)
{
    const uint8_t *ic = p->data + l3->l3_len;
    s46_quote q6, q4;
    s46_ip6 peer;
    if (!l3->has_ports || l3->icmp_type < 1 || l3->icmp_type > 4 ||
        !s46_icmp_quote(p->data, l3, &q6) || !s46_quote_inner4(&q6, &q4))
        return S46_TI_NOT_OURS;
    unsigned i = 0, nl = ti->nlocal ? ti->nlocal : 1;
    while (i < nl && memcmp(q6.ip + 8, ti->local[i].b, 16) != 0)
        i++;
    if (i == nl)
        return S46_TI_NOT_OURS;
    memcpy(peer.b, q6.ip + 24, 16);
    if (ti->peer_ok && !ti->peer_ok(ti->arg, &peer))
        return S46_TI_NOT_OURS;
    if (ti->quote_ok && !ti->quote_ok(ti->arg, i, &peer, &q4))
        return S46_TI_SPOOFED;
    uint8_t code = 1;
    uint32_t extra = 0;
    if (l3->icmp_type == 2) {
        uint32_t mtu = s46_get32(ic + 4);
        if (mtu < 1280)
            return S46_TI_PTB_TOO_SMALL; /* RFC 8201 §4, RFC 8021 */
        unsigned m = s46_pmtu_get(pm, &peer);
        if (ti->stateless) {
            if (mtu < m)
                m = mtu;
        } else if (pmtu_lower(pm, &peer, mtu > 65535 ? 65535 : (uint16_t)mtu, now_ns)) {
            d->cnt[ti->lowered_ctr]++;
            m = s46_pmtu_get(pm, &peer);
        }
        if (!q4.l3.df)
            return S46_TI_NOTHING_SENT;
        code = 4;
        /* m is in [1280, our tunnel MTU]: what IPv4 has of it, never below
         * the IPv4 minimum */
        unsigned over = s46_encap_overhead(&d->enc);
        extra = m > over + 68 ? m - over : 68;
    }
    if (!ti->icmp_src || !s46_quote_may_error4(&q4))
        return S46_TI_NOTHING_SENT;
    if (!s46_ratelimit_take(&d->icmp_rl, now_ns)) {
        d->cnt[d->desc->icmp_ratelimited]++;
        return S46_TI_NOTHING_SENT;
    }
    if (s46_icmp4_error(&d->scratch, ti->icmp_src, 3, code, extra, q4.ip, q4.len) < 0)
        return S46_TI_NOTHING_SENT;
    s46_dp_take_scratch(d, p);
    return S46_TI_RELAYED;
}
