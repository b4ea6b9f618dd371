#include "dp/ce_pipeline.h"

#include <stdlib.h>

#include "lib/err.h"

typedef struct ce_pl {
    s46_ce_mech mech;
    s46_ce *mape;
    s46_cet *cet;
    s46_lwb4 *lw;
    s46_clat *clat;
    s46_pipeline_env env;
    uint64_t none_cnt[1];
    s46_counters none;
} ce_pl;

static const char *const none_names[] = {"dropped_unconfigured"};

const char *s46_ce_mech_name(s46_ce_mech m)
{
    switch (m) {
    case S46_CE_MECH_MAPE: return "map_e";
    case S46_CE_MECH_MAPT: return "map_t";
    case S46_CE_MECH_DSLITE: return "dslite";
    case S46_CE_MECH_IPIP: return "ipip";
    case S46_CE_MECH_LW4O6: return "lw4o6";
    case S46_CE_MECH_CLAT: return "464xlat";
    default: return "none";
    }
}

/* Frees the data planes other than the one of mech. */
static void drop_others(ce_pl *p, s46_ce_mech mech)
{
    if (mech != S46_CE_MECH_MAPE && mech != S46_CE_MECH_MAPT) {
        s46_ce_free(p->mape);
        p->mape = NULL;
    }
    if (mech != S46_CE_MECH_DSLITE && mech != S46_CE_MECH_IPIP) {
        s46_cet_free(p->cet);
        p->cet = NULL;
    }
    if (mech != S46_CE_MECH_LW4O6) {
        s46_lwb4_free(p->lw);
        p->lw = NULL;
    }
    if (mech != S46_CE_MECH_CLAT) {
        s46_clat_free(p->clat);
        p->clat = NULL;
    }
}

/* Does mech run a NAPT (whose state is shared out by port among workers)? */
static bool has_napt(s46_ce_mech mech)
{
    return mech == S46_CE_MECH_MAPE || mech == S46_CE_MECH_MAPT || mech == S46_CE_MECH_IPIP ||
           mech == S46_CE_MECH_LW4O6 || mech == S46_CE_MECH_CLAT;
}

static int ce_reconfigure(void *self, const void *conf, char *err, size_t errlen)
{
    ce_pl *p = self;
    /* each worker's NAPT owns its share of the port set */
    s46_cepl_conf cc = *(const s46_cepl_conf *)conf;
    cc.mape.napt.share = cc.tunnel.napt.share = cc.lw4o6.napt.share = cc.clat.napt.share =
        (uint16_t)p->env.worker;
    cc.mape.napt.shares = cc.tunnel.napt.shares = cc.lw4o6.napt.shares = cc.clat.napt.shares =
        (uint16_t)p->env.workers;
    const s46_cepl_conf *c = &cc;
    switch (c->mech) {
    case S46_CE_MECH_MAPE:
    case S46_CE_MECH_MAPT:
        cc.mape.mapt = c->mech == S46_CE_MECH_MAPT;
        if (p->mape && p->mech != c->mech) { /* MAP-E <-> MAP-T: a new data plane */
            s46_ce_free(p->mape);
            p->mape = NULL;
        }
        if (p->mape) {
            if (s46_ce_reconfigure(p->mape, &c->mape, err, errlen) < 0)
                return -1;
        } else if (!(p->mape = s46_ce_new(&c->mape, err, errlen))) {
            return -1;
        }
        drop_others(p, c->mech);
        break;
    case S46_CE_MECH_LW4O6:
        if (p->lw) {
            if (s46_lwb4_reconfigure(p->lw, &c->lw4o6, err, errlen) < 0)
                return -1;
        } else if (!(p->lw = s46_lwb4_new(&c->lw4o6, err, errlen))) {
            return -1;
        }
        drop_others(p, c->mech);
        break;
    case S46_CE_MECH_CLAT:
        if (p->clat) {
            if (s46_clat_reconfigure(p->clat, &c->clat, err, errlen) < 0)
                return -1;
        } else if (!(p->clat = s46_clat_new(&c->clat, err, errlen))) {
            return -1;
        }
        drop_others(p, c->mech);
        break;
    case S46_CE_MECH_DSLITE:
    case S46_CE_MECH_IPIP: {
        s46_cet_conf tc = c->tunnel;
        tc.kind = c->mech == S46_CE_MECH_IPIP ? S46_CET_IPIP : S46_CET_DSLITE;
        if (p->cet) {
            if (s46_cet_reconfigure(p->cet, &tc, err, errlen) < 0)
                return -1;
        } else if (!(p->cet = s46_cet_new(&tc, err, errlen))) {
            return -1;
        }
        drop_others(p, c->mech);
        break;
    }
    default:
        drop_others(p, S46_CE_MECH_NONE);
        break;
    }
    p->mech = c->mech;
    return 0;
}

static unsigned ce_steer(const void *self, const s46_pkt *p, uint16_t side)
{
    const ce_pl *c = self;
    unsigned owner;
    if (!has_napt(c->mech))
        return s46_steer_fragment(p, c->env.workers, &owner) ? owner : c->env.worker;
    if (c->mech == S46_CE_MECH_CLAT && side == S46_SIDE_V6)
        return s46_steer_clat6(p, c->env.workers, c->env.worker);
    return s46_steer_ce(p, side, c->env.workers, c->env.worker);
}

static s46_spread ce_spread(const void *self, uint16_t side)
{
    const ce_pl *c = self;
    if (!has_napt(c->mech))
        return S46_SPREAD_FLOW;
    if (c->mech == S46_CE_MECH_CLAT && side == S46_SIDE_V6)
        return S46_SPREAD_FLOW; /* no IPv4-in-IPv6 to look into: steered */
    return side == S46_SIDE_V4 ? S46_SPREAD_NAPT_OUT : S46_SPREAD_NAPT_IN;
}

static void ce_destroy(void *self)
{
    ce_pl *p = self;
    drop_others(p, S46_CE_MECH_NONE);
    free(p);
}

static void *ce_create(const void *conf, const s46_pipeline_env *env, char *err, size_t errlen)
{
    ce_pl *p = calloc(1, sizeof *p);
    if (!p) {
        s46_seterr(err, errlen, "out of memory");
        return NULL;
    }
    p->env = *env;
    p->none = (s46_counters){none_names, 1, p->none_cnt};
    if (ce_reconfigure(p, conf, err, errlen) < 0) {
        ce_destroy(p);
        return NULL;
    }
    return p;
}

static void ce_process(void *self, s46_batch *b, uint16_t side, uint64_t now)
{
    ce_pl *p = self;
    if (p->mape) {
        s46_ce_process(p->mape, b, side == S46_SIDE_V4 ? S46_CE_PORT_LAN : S46_CE_PORT_WAN, now);
    } else if (p->clat) {
        s46_clat_process(p->clat, b, side == S46_SIDE_V4 ? 0 : 1, now);
    } else if (p->lw) {
        s46_lwb4_process(p->lw, b, side == S46_SIDE_V4 ? 0 : 1, now);
    } else if (p->cet) {
        s46_cet_process(p->cet, b, side == S46_SIDE_V4 ? S46_CET_PORT_LAN : S46_CET_PORT_WAN,
                        now);
    } else {
        for (uint32_t i = 0; i < b->count; i++)
            s46_pkt_drop(b->pkts[i], 0);
        p->none_cnt[0] += b->count;
    }
}

static void ce_tick(void *self, uint64_t now)
{
    ce_pl *p = self;
    if (p->mape)
        s46_ce_tick(p->mape, now);
    if (p->cet)
        s46_cet_tick(p->cet, now);
    if (p->lw)
        s46_lwb4_tick(p->lw, now);
    if (p->clat)
        s46_clat_tick(p->clat, now);
}

static json_t *ce_show(const void *self, uint64_t now)
{
    const ce_pl *p = self;
    json_t *j = p->mape ? s46_ce_show(p->mape, now, 256)
                : p->cet ? s46_cet_show(p->cet, now, 256)
                : p->lw  ? s46_lwb4_show(p->lw, now, 256)
                : p->clat ? s46_clat_show(p->clat, now, 256)
                         : json_object();
    if (j)
        json_object_set_new(j, "mechanism", json_string(s46_ce_mech_name(p->mech)));
    return j;
}

static const s46_counters *ce_counters(const void *self)
{
    const ce_pl *p = self;
    return p->mape  ? s46_ce_counters(p->mape)
           : p->cet ? s46_cet_counters(p->cet)
           : p->lw  ? s46_lwb4_counters(p->lw)
           : p->clat ? s46_clat_counters(p->clat)
                    : &p->none;
}

const s46_pipeline_ops s46_pl_ce = {
    .name = "ce",
    .create = ce_create,
    .reconfigure = ce_reconfigure,
    .steer = ce_steer,
    .spread = ce_spread,
    .process = ce_process,
    .tick = ce_tick,
    .show = ce_show,
    .counters = ce_counters,
    .destroy = ce_destroy,
};
