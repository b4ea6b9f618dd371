/* CGN stages (stages.h): the carrier-grade NAT of a center mechanism
 * (sw->cgn: lib/cgn.h through dp/cgn_rewrite.h) and the port-block log's
 * sync, shared by the DS-Lite AFTR and the NAT64. The subscriber of an
 * outbound packet is c->peer (the B4's address, the IPv6 host's); inbound,
 * the subscriber found is put there. */
#include <string.h>

#include "dp/cgn_rewrite.h"
#include "dp/pipeline.h"
#include "dp/stages.h"
#include "lib/blocklog.h"
#include "lib/cgn.h"
#include "lib/err.h"

static inline void cdrop(s46_sw *sw, s46_ctx *c, s46_cw w)
{
    s46_sw_drop(sw, c, sw->cgn.why[w]);
}

static s46_cgn_key key_of(const s46_ip6 *a)
{
    s46_cgn_key k;
    memcpy(k.b, a->b, 16);
    return k;
}

static unsigned owner_in(const s46_sw_cgn *g, uint16_t port)
{
    return s46_cgn_owner_in(port, g->port_min, g->block_size, g->shares);
}

bool s46_sw_cgn_hand_over(s46_sw *sw, s46_ctx *c, uint16_t port)
{
    unsigned owner = owner_in(&sw->cgn, port);
    if (owner == sw->cgn.share)
        return false;
    c->done = true;
    c->p->in_port = 0;
    s46_pkt_redirect(c->p, owner);
    return true;
}

static const uint8_t refused_cw[] = {
    [S46_CGN_NO_ADDRESS] = S46_CW_NO_ADDRESS,
    [S46_CGN_NO_BLOCK] = S46_CW_NO_BLOCK,
    [S46_CGN_SUB_MAPPINGS] = S46_CW_SUB_MAPPINGS,
    [S46_CGN_SUB_SESSIONS] = S46_CW_SUB_SESSIONS,
    [S46_CGN_SUB_RATE] = S46_CW_SUB_RATE,
    [S46_CGN_FULL] = S46_CW_FULL,
    [S46_CGN_LOG_REFUSED] = S46_CW_LOG_REFUSED,
};

/* A packet to an external address of the pool, already translated
 * outbound: to the subscriber holding the destination port, as if it came
 * from outside (the filtering applies; RFC 4787 REQ-9), on the worker
 * owning that port. */
static void hairpin(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    s46_sw_cgn *g = &sw->cgn;
    if (!g->hairpin)
        return cdrop(sw, c, S46_CW_HAIRPIN_OFF);
    if (s46_parse_ipv4(c->p->data, c->p->len, &c->in) < 0)
        return cdrop(sw, c, S46_CW_HAIRPIN_MALFORMED);
    uint16_t port;
    if (!s46_cgn_in_port(c->p->data, &c->in, &port))
        return cdrop(sw, c, S46_CW_IN_MALFORMED);
    if (s46_sw_cgn_hand_over(sw, c, port))
        return; /* the destination's mapping is another worker's */
    s46_cgn_key sub;
    switch (s46_cgn_xlate_in(g->g, c->p->data, &c->in, s46_sw_secs(now), &sub)) {
    case S46_CX_OK: break;
    case S46_CX_FILTERED: return cdrop(sw, c, S46_CW_IN_FILTERED);
    case S46_CX_MALFORMED: return cdrop(sw, c, S46_CW_IN_MALFORMED);
    default: return cdrop(sw, c, S46_CW_IN_NO_MAPPING);
    }
    memcpy(c->peer.b, sub.b, 16);
    g->hairpin_out(sw, c, now);
}

/* Outbound: the IPv4 packet in c->in NAPTed for the subscriber c->peer. */
static inline void cgn_out(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    s46_sw_cgn *g = &sw->cgn;
    s46_cgn_key sub = key_of(&c->peer);
    s46_cx_out o;
    switch (s46_cgn_xlate_out(g->g, &sub, c->p->data, &c->in, s46_sw_secs(now), &o)) {
    case S46_CX_OK: break;
    case S46_CX_ICMP_NO_MAPPING: return cdrop(sw, c, S46_CW_ICMP_NO_MAPPING);
    case S46_CX_REFUSED:
        return cdrop(sw, c,
                     (unsigned)o.cgn < sizeof refused_cw && refused_cw[o.cgn]
                         ? (s46_cw)refused_cw[o.cgn]
                         : S46_CW_FULL);
    default: return cdrop(sw, c, S46_CW_UNSUPPORTED);
    }
    c->new_block = o.new_block;
    if (!o.error && s46_cgn_is_external(g->g, o.dst))
        hairpin(sw, c, now);
}
/* The batch's lookups prefetched together (their cache misses overlap),
 * then each packet in order. */
static void cgn_out_run(s46_sw *sw, s46_ctx *c, unsigned n, uint64_t now)
{
    s46_cgn_flow f[S46_BATCH_MAX];
    unsigned k = 0;
    for (unsigned i = 0; i < n; i++) {
        s46_cgn_key sub = key_of(&c[i].peer);
        if (!c[i].done && s46_cgn_flow_out(&sub, c[i].p->data, &c[i].in, &f[k]))
            k++;
    }
    if (k)
        s46_cgn_prefetch_out_batch(sw->cgn.g, f, k);
    for (unsigned i = 0; i < n; i++)
        if (!c[i].done)
            cgn_out(sw, &c[i], now);
}
const s46_stage s46_st_cgn_out = {"cgn_out", cgn_out_run};

/* A datagram reassembled here whose external port another worker owns is
 * handed to it (whole packets were steered by that port already). */
static inline void owner4(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    s46_sw_cgn *g = &sw->cgn;
    uint16_t port;
    if (g->shares > 1 && c->was_fragment && s46_cgn_in_port(c->p->data, &c->l3, &port))
        s46_sw_cgn_hand_over(sw, c, port);
}
S46_STAGE(s46_st_owner4, "owner4", owner4);

/* Inbound: the IPv4 packet in c->l3 to the subscriber of its external
 * address and port, put in c->peer. */
static inline void cgn_in(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    s46_cgn_key sub;
    switch (s46_cgn_xlate_in(sw->cgn.g, c->p->data, &c->l3, s46_sw_secs(now), &sub)) {
    case S46_CX_OK: break;
    case S46_CX_FILTERED: return cdrop(sw, c, S46_CW_IN_FILTERED);
    case S46_CX_NOT_OURS: return cdrop(sw, c, S46_CW_IN_NOT_OURS);
    case S46_CX_MALFORMED: return cdrop(sw, c, S46_CW_IN_MALFORMED);
    default: return cdrop(sw, c, S46_CW_IN_NO_MAPPING);
    }
    memcpy(c->peer.b, sub.b, 16);
}
static void cgn_in_run(s46_sw *sw, s46_ctx *c, unsigned n, uint64_t now)
{
    s46_cgn_flow f[S46_BATCH_MAX];
    unsigned k = 0;
    for (unsigned i = 0; i < n; i++)
        if (!c[i].done && s46_cgn_flow_in(c[i].p->data, &c[i].l3, &f[k]))
            k++;
    if (k)
        s46_cgn_prefetch_in_batch(sw->cgn.g, f, k);
    for (unsigned i = 0; i < n; i++)
        if (!c[i].done)
            cgn_in(sw, &c[i], now);
}
const s46_stage s46_st_cgn_in = {"cgn_in", cgn_in_run};

/* The port blocks the batch's flows allocated are on disk before any of
 * their packets leaves: one sync per batch; a packet whose record could
 * not be synced does not leave. */
static void log_sync_run(s46_sw *sw, s46_ctx *c, unsigned n, uint64_t now)
{
    (void)now;
    s46_blocklog_writer *w = sw->cgn.writer;
    bool any = false;
    for (unsigned i = 0; i < n; i++)
        any |= c[i].new_block;
    if (!any || !w || !w->log || s46_blocklog_writer_flush(w, NULL, 0) == 0)
        return;
    for (unsigned i = 0; i < n; i++)
        if (c[i].new_block && c[i].p->verdict != S46_V_DROP) {
            c[i].done = true;
            s46_dp_drop(&sw->dp, c[i].p, sw->cgn.why[S46_CW_LOG_UNSYNCED]);
        }
}
const s46_stage s46_st_log_sync = {"log_sync", log_sync_run};

int s46_sw_cgn_open(s46_sw *sw, const s46_cgn_config *cfg, unsigned share, unsigned shares,
                    struct s46_blocklog_writer *writer, bool hairpin, const uint16_t *why,
                    void (*hairpin_out)(s46_sw *sw, s46_ctx *c, uint64_t now), char *err,
                    size_t errlen)
{
    s46_cgn_config gc = *cfg;
    bool log = writer && writer->log;
    gc.share = (uint16_t)share;
    gc.shares = (uint16_t)shares;
    gc.on_block = log ? s46_blocklog_cgn_cb : NULL;
    gc.on_block_arg = log ? writer : NULL;
    char e[S46_ERRLEN];
    s46_cgn *g = s46_cgn_new(&gc, e, sizeof e);
    if (!g) {
        s46_seterr(err, errlen, "cgn: %s", e);
        return -1;
    }
    sw->cgn = (s46_sw_cgn){.g = g, .writer = writer, .share = share, .shares = shares,
                           .port_min = cfg->port_min, .block_size = cfg->block_size,
                           .hairpin = hairpin, .why = why, .hairpin_out = hairpin_out};
    return 0;
}

void s46_sw_cgn_tick(s46_sw *sw, uint64_t now_ns)
{
    s46_cgn_expire(sw->cgn.g, s46_sw_secs(now_ns), 65536);
    /* releases are logged too: make them durable now */
    if (sw->cgn.writer && sw->cgn.writer->log)
        s46_blocklog_writer_flush(sw->cgn.writer, NULL, 0);
}
