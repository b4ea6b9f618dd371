#include "dp/cgn_mech.h"

#include <string.h>

#include "dp/cgn_rewrite.h"
#include "dp/pipeline.h"
#include "dp/stages.h"
#include "lib/addr.h"
#include "lib/parse.h"

int s46_cgn_mech_init(s46_cgn_mech *m, const s46_cgn_mech_kind *k, void *mech, uint64_t *cnt,
                      unsigned icmp_rate, unsigned share, unsigned shares)
{
    if (s46_sw_init(&m->sw, k->desc, cnt, k->ev, icmp_rate, icmp_rate ? icmp_rate : 1) < 0)
        return -1;
    m->kind = k;
    m->sw.mech = mech;
    m->sw.stages[0] = k->stages[0];
    m->sw.stages[1] = k->stages[1];
    m->sw.cgn.share = share;
    m->sw.cgn.shares = shares ? shares : 1;
    s46_cgn_mech_set_fast(m, true);
    return 0;
}

int s46_cgn_mech_open(s46_cgn_mech *m, const s46_cgn_config *cfg, bool hairpin, char *err,
                      size_t errlen)
{
    return s46_sw_cgn_open(&m->sw, cfg, m->sw.cgn.share, m->sw.cgn.shares, &m->writer, hairpin,
                           m->kind->cw, m->kind->hairpin_out, err, errlen);
}

void s46_cgn_mech_fini(s46_cgn_mech *m)
{
    s46_cgn_free(m->sw.cgn.g);
    m->sw.cgn.g = NULL;
    s46_sw_fini(&m->sw);
}

void s46_cgn_mech_set_fast(s46_cgn_mech *m, bool on)
{
    m->sw.fast[0] = on ? m->kind->fast[0] : NULL;
    m->sw.fast[1] = on ? m->kind->fast[1] : NULL;
}

void s46_cgn_mech_process(s46_cgn_mech *m, s46_batch *b, uint16_t side, uint64_t now_ns)
{
    side &= 1;
    if (m->sw.fast[side])
        s46_cgn_fast_prepare(&m->fast, m->sw.cgn.g, b, side, s46_sw_secs(now_ns),
                             m->kind->cand[side], m->sw.mech);
    s46_sw_process(&m->sw, b, side, now_ns);
    s46_cgn_fast_end(&m->fast);
}

unsigned s46_cgn_mech_steer4(const s46_cgn_mech *m, const s46_pkt *p)
{
    const s46_sw_cgn *g = &m->sw.cgn;
    unsigned owner;
    if (g->shares <= 1)
        return 0;
    if (s46_steer_fragment(p, g->shares, &owner))
        return owner;
    s46_l3 l3;
    uint16_t port;
    if (s46_parse_ipv4(p->data, p->len, &l3) < 0 || !s46_cgn_in_port(p->data, &l3, &port))
        return g->share;
    return s46_cgn_owner_in(port, g->port_min, g->block_size, g->shares);
}

struct blocks_arg {
    json_t *a;
    unsigned left;
};
static bool block_json(const s46_cgn_block_info *b, void *arg)
{
    struct blocks_arg *x = arg;
    if (!x->left)
        return false;
    x->left--;
    char s6[S46_IP6_STRLEN], s4[S46_IP4_STRLEN];
    s46_ip6 sub;
    memcpy(sub.b, b->sub.b, 16);
    json_array_append_new(x->a, json_pack("{s:s,s:s,s:i,s:i,s:i,s:b}", "subscriber",
                                          s46_ip6_format(&sub, s6), "external",
                                          s46_ip4_format(b->ext_addr, s4), "first",
                                          b->port_first, "last", b->port_last, "mappings",
                                          b->mappings, "idle", b->idle));
    return true;
}

json_t *s46_cgn_mech_show(const s46_cgn_mech *m, const char *name, json_t *own,
                          unsigned max_blocks)
{
    const s46_cgn *g = m->sw.cgn.g;
    s46_cgn_stats st;
    s46_cgn_stats_get(g, &st);
    json_t *o = json_object();
    json_t *blocks = json_array();
    if (!o || !blocks || !own) {
        json_decref(o);
        json_decref(blocks);
        json_decref(own);
        return NULL;
    }
    struct blocks_arg x = {blocks, max_blocks};
    s46_cgn_walk_blocks(g, block_json, &x);
    json_object_set_new(o, "mechanism", json_string(name));
    json_object_update(o, own);
    json_decref(own);
    json_object_set_new(
        o, "pool",
        json_pack("{s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:I}", "addresses",
                  st.pool_addresses, "addresses_in_use", st.addresses_in_use,
                  "blocks_per_address", st.blocks_per_address, "blocks_owned", st.blocks_owned,
                  "blocks", st.blocks, "subscribers", st.subscribers, "mappings", st.mappings,
                  "sessions", st.sessions, "bytes_per_session", st.bytes_per_session,
                  "bytes_per_block", st.bytes_per_block, "bytes_total",
                  (json_int_t)st.bytes_total));
    json_object_set_new(o, "blocks", blocks);
    json_object_set_new(o, "cgn", s46_counters_json(s46_cgn_counters(g)));
    json_object_set_new(o, "stages", s46_sw_stages_json(&m->sw));
    return o;
}
