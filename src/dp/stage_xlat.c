/* Translation stages (stages.h): the RFC 7915 translator as the transport
 * of a mechanism, and the ICMP errors it calls for. */
#include <string.h>

#include "dp/icmp_quote.h"
#include "dp/map_domain.h"
#include "dp/stages.h"
#include "lib/csum.h"
#include "lib/icmp.h"
#include "lib/parse.h"

static inline void xlat_reasm(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    bool v6 = c->p->data[0] >> 4 == 6;
    if (!c->l3.is_fragment || c->l3.proto != (v6 ? S46_PROTO_ICMPV6 : S46_PROTO_ICMP))
        return;
    c->was_fragment = true;
    if (!s46_dp_reasm(&sw->dp, v6, c->p, &c->l3, now))
        c->done = true; /* held or refused, counted */
}
S46_STAGE(s46_st_xlat_reasm, "xlat_reasm", xlat_reasm);

static inline void xdrop(s46_sw *sw, s46_ctx *c, s46_xlat_res r)
{
    s46_sw_drop(sw, c, sw->xlat.why[r]);
}

/* An IPv4 fragment over the IPv6 MTU once translated: its payload cut into
 * IPv6 fragments of the same datagram (offsets shifted, M kept on the
 * last one), the others from the fragment pool appended to the batch. */
static bool refragment6(s46_sw *sw, s46_pkt *p, unsigned mtu)
{
    s46_batch *b = sw->dp.cur;
    uint8_t *d = p->data;
    size_t pay = p->len - 48, chunk = (mtu - 48) & ~7u;
    if (mtu < 56 || pay <= chunk)
        return false;
    unsigned extra = (unsigned)((pay - 1) / chunk);
    if (b->count + extra > S46_BATCH_MAX || s46_pktpool_available(sw->dp.pool) < extra)
        return false;
    uint16_t fo = s46_get16(d + 42);
    unsigned off = fo & 0xfff8u;
    bool last_m = fo & 1;
    for (size_t done = chunk; done < pay; done += chunk) {
        size_t n = pay - done < chunk ? pay - done : chunk;
        s46_pkt *q = s46_pkt_alloc(sw->dp.pool);
        s46_pkt_reset(q);
        memcpy(q->data, d, 48);
        memcpy(q->data + 48, d + 48 + done, n);
        q->len = (uint32_t)(48 + n);
        s46_put16(q->data + 4, (uint16_t)(8 + n));
        bool m = done + n < pay || last_m;
        s46_put16(q->data + 42, (uint16_t)((off + done) | m));
        q->ts_ns = p->ts_ns;
        q->in_port = p->in_port;
        s46_dp_out(&sw->dp, q, 1);
        b->pkts[b->count++] = q;
    }
    p->len = (uint32_t)(48 + chunk);
    s46_put16(d + 4, (uint16_t)(8 + chunk));
    s46_put16(d + 42, (uint16_t)(off | 1));
    return true;
}

/* A hairpinned packet refused on its way back into the domain (too big,
 * hop limit): its sender is a CE of the domain too, so the ICMPv4 error
 * about it goes back in, translated toward that CE (chosen by the error's
 * destination and the quoted source port, as any packet toward a CE), not
 * out of the IPv4 side. true when it was sent or dropped (counted). */
static bool error4_into_domain(s46_sw *sw, s46_ctx *c, const s46_xlat_info *info, uint64_t now)
{
    if (!sw->icmp_src || !s46_dp_icmp4_error(&sw->dp, c->p, &c->l3, sw->icmp_src, info->type,
                                             info->code, info->extra, now))
        return false;
    s46_l3 l3;
    uint16_t port;
    s46_ev why;
    if (s46_parse_ipv4(c->p->data, c->p->len, &l3) < 0 || !s46_dst_port4(c->p->data, &l3, &port) ||
        !s46_sw_map_ce(&sw->map, s46_get32(c->p->data + 16), port, &c->peer, &why)) {
        s46_sw_drop_ev(sw, c, S46_EV_MAP_DST_IN_DOMAIN);
        return true;
    }
    c->l3 = l3;
    s46_sw_xlat_out6(sw, c, now, false, S46_EV_NONE);
    return true;
}

static bool xlat_out6(s46_sw *sw, s46_ctx *c, uint64_t now, bool router_hop, s46_ev ev,
                      bool hairpinned)
{
    s46_xlat *x = sw->xlat.x;
    s46_xlat_info info;
    sw->xlat_cur = c;
    if (sw->xlat.fix && !sw->xlat.fix(sw, c, x, false)) {
        xdrop(sw, c, S46_XR_NO_MAPPING);
        return false;
    }
    bool hop = x->ttl_decrement;
    x->ttl_decrement = hop && router_hop;
    s46_xlat_res r = s46_xlat_4to6(x, c->p, &info);
    x->ttl_decrement = hop;
    switch (r) {
    case S46_XR_OK:
        if (ev == S46_EV_NONE)
            sw->dp.cnt[sw->xlat.done4]++;
        else
            s46_sw_count(sw, ev);
        s46_sw_out(sw, c, 1);
        if (!info.frag_after)
            return true;
        if (c->p->data[6] != 44) {
            s46_dp_fragment_out(&sw->dp.fc, sw->dp.cur, c->p, info.frag_mtu, info.frag_id,
                                sw->dp.pool);
            return true;
        }
        if (!refragment6(sw, c->p, info.frag_mtu)) {
            sw->dp.cnt[sw->dp.desc->out[1]]--;
            s46_sw_drop(sw, c, sw->xlat.frag_too_big);
            return false;
        }
        return true;
    case S46_XR_TTL:
    case S46_XR_TOO_BIG:
    case S46_XR_SRC_ROUTE:
        if (!hairpinned ? s46_sw_error4(sw, c, &c->l3, info.type, info.code, info.extra, now)
            : sw->xlat.hairpin_error4 ? sw->xlat.hairpin_error4(sw, c, &info, now)
                                      : error4_into_domain(sw, c, &info, now))
            return false;
        /* fall through */
    default:
        xdrop(sw, c, r);
        return false;
    }
}

void s46_sw_xlat_out6(s46_sw *sw, s46_ctx *c, uint64_t now, bool router_hop, s46_ev ev)
{
    xlat_out6(sw, c, now, router_hop, ev, ev == S46_EV_HAIRPINNED);
}

bool s46_sw_xlat_hairpin6(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    return xlat_out6(sw, c, now, true, S46_EV_NONE, true);
}

static inline void xlat4to6(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    s46_sw_xlat_out6(sw, c, now, true, S46_EV_NONE);
}
S46_STAGE(s46_st_xlat4to6, "xlat4to6", xlat4to6);

static const s46_ip6 none6;

static inline void xlat_out4(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    s46_sw_out4(sw, c);
}
S46_STAGE(s46_st_xlat_out4, "xlat_out4", xlat_out4);

bool s46_sw_xlat6_error(s46_sw *sw, s46_ctx *c, s46_xlat_res r, const s46_xlat_info *info,
                        uint64_t now)
{
    if (r != S46_XR_TTL && r != S46_XR_TOO_BIG && r != S46_XR_SEG_LEFT)
        return false;
    if (s46_ip6_eq(&sw->local, &none6) || !s46_icmp6_may_error(c->p->data, &c->l3))
        return false;
    if (!s46_ratelimit_take(&sw->dp.icmp_rl, now)) {
        sw->dp.cnt[sw->dp.desc->icmp_ratelimited]++;
        return false;
    }
    if (s46_icmp6_error(&sw->dp.scratch, &sw->local, info->type, info->code, info->extra,
                        c->p->data, c->p->len) < 0)
        return false;
    s46_dp_take_scratch(&sw->dp, c->p);
    sw->dp.cnt[sw->dp.desc->icmp_sent]++;
    s46_sw_out(sw, c, 1);
    return true;
}

/* IPv6 into IPv4: out of side 0, or left to the next stages with c->in
 * describing the IPv4 packet (hold, or the mechanism's xlat_keep6to4). */
static inline void xlat6to4_(s46_sw *sw, s46_ctx *c, uint64_t now, bool hold)
{
    s46_xlat_info info;
    sw->xlat_cur = c;
    hold |= sw->xlat_keep6to4;
    if (sw->xlat.fix && !sw->xlat.fix(sw, c, sw->xlat.x, true))
        return xdrop(sw, c, S46_XR_NO_MAPPING);
    /* a datagram reassembled here came as fragments: it leaves as IPv4
     * fragments (DF clear) rather than be refused as too big */
    uint16_t mtu4 = sw->xlat.x->mtu4;
    if (c->was_fragment)
        sw->xlat.x->mtu4 = 65535;
    s46_xlat_res r = s46_xlat_6to4(sw->xlat.x, c->p, &info);
    sw->xlat.x->mtu4 = mtu4;
    if (r == S46_XR_OK) {
        if (c->was_fragment && (c->p->data[6] & 0x40)) {
            uint16_t w = s46_get16(c->p->data + 6);
            s46_put16(c->p->data + 6, (uint16_t)(w & ~0x4000));
            s46_csum_replace16(c->p->data + 10, w, (uint16_t)(w & ~0x4000));
        }
        if (!hold || sw->xlat_keep6to4)
            sw->dp.cnt[sw->xlat.done6]++; /* (a held packet's stages count it) */
        if (!hold)
            return xlat_out4(sw, c, now);
        if (s46_parse_ipv4(c->p->data, c->p->len, &c->in) == 0)
            return;
        r = S46_XR_MALFORMED; /* its own output: cannot be */
    }
    if (!s46_sw_xlat6_error(sw, c, r, &info, now))
        xdrop(sw, c, r);
}
static inline void xlat6to4(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    xlat6to4_(sw, c, now, false);
}
S46_STAGE(s46_st_xlat6to4, "xlat6to4", xlat6to4);

static inline void xlat6to4_hold(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    xlat6to4_(sw, c, now, true);
}
S46_STAGE(s46_st_xlat6to4_hold, "xlat6to4_hold", xlat6to4_hold);
