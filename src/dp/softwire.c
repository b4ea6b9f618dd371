#include "dp/softwire.h"

#include <string.h>

#include "lib/tunnel.h"

int s46_sw_init(s46_sw *sw, const s46_dp_desc *desc, uint64_t *cnt, const uint16_t *ev,
                uint32_t per_sec, uint32_t burst)
{
    sw->ev = ev;
    return s46_dp_init(&sw->dp, desc, cnt, per_sec, burst);
}

void s46_sw_fini(s46_sw *sw) { s46_dp_fini(&sw->dp); }

void s46_sw_process(s46_sw *sw, s46_batch *b, uint16_t side, uint64_t now_ns)
{
    side &= 1;
    sw->dp.cur = b;
    uint32_t n = b->count; /* outer fragments appended on the way are done */
    uint16_t in = sw->ev[side ? S46_EV_IN6 : S46_EV_IN4];
    if (in)
        sw->dp.cnt[in - 1] += n;
    bool (*fast)(s46_sw *, s46_pkt *) = sw->fast[side];
    unsigned m = 0;
    for (uint32_t i = 0; i < n; i++) {
        s46_pkt *p = b->pkts[i];
        p->in_port = side;
        p->verdict = S46_V_FORWARD;
        if (fast && fast(sw, p))
            continue;
        s46_ctx *c = &sw->ctx[m++];
        c->p = p;
        c->peer = sw->dp.enc.dst;
        c->peer_ctr = 0;
        c->src = NULL;
        c->local_idx = 0;
        c->fixed = c->was_fragment = c->new_block = c->done = false;
    }
    if (!m)
        return;
    for (const s46_stage *const *s = sw->stages[side]; *s; s++)
        (*s)->run(sw, sw->ctx, m, now_ns);
    for (unsigned i = 0; i < m; i++)
        if (!sw->ctx[i].done)
            s46_sw_drop_ev(sw, &sw->ctx[i], S46_EV_UNFINISHED);
}

json_t *s46_sw_stages_json(const s46_sw *sw)
{
    json_t *o = json_object();
    static const char *const sides[2] = {"ipv4", "ipv6"};
    for (unsigned side = 0; o && side < 2; side++) {
        json_t *a = json_array();
        if (sw->fast[side])
            json_array_append_new(a, json_string("fast_path"));
        for (const s46_stage *const *s = sw->stages[side]; s && *s; s++)
            json_array_append_new(a, json_string((*s)->name));
        json_object_set_new(o, sides[side], a);
    }
    return o;
}

bool s46_sw_error4(s46_sw *sw, s46_ctx *c, const s46_l3 *l3, uint8_t type, uint8_t code,
                   uint32_t extra, uint64_t now_ns)
{
    if (!sw->icmp_src ||
        !s46_dp_icmp4_error(&sw->dp, c->p, l3, sw->icmp_src, type, code, extra, now_ns))
        return false;
    s46_sw_out(sw, c, 0);
    return true;
}

void s46_sw_encap_out(s46_sw *sw, s46_ctx *c, const s46_ip6 *to, s46_ev ev, s46_ev drop_ev)
{
    s46_encap e = sw->dp.enc;
    e.dst = *to;
    if (c->src)
        e.src = *c->src;
    if (s46_tunnel_encap(c->p, &e) < 0)
        return s46_sw_drop_ev(sw, c, drop_ev);
    s46_sw_count(sw, ev);
    s46_sw_out(sw, c, 1);
    unsigned mtu = s46_sw_mtu(sw, to);
    if (c->p->len > mtu) /* DF = 0: fragment the outer IPv6 packet */
        s46_dp_frag_out(&sw->dp, c->p, mtu);
}
