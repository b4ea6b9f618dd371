/* The lwAFTR (lwaftr.h) as a pipeline: stateless per flow but for
 * reassembly, so with several workers only fragments are steered (by
 * datagram); every worker reads the one binding table as its own reader. */
#include <stdlib.h>

#include "dp/lwaftr.h"
#include "dp/pipeline.h"
#include "lib/err.h"

typedef struct lw_pl {
    s46_lw *lw;
    const s46_bindtab *bt;
    s46_pipeline_env env;
} lw_pl;

static void *lw_create(const void *conf, const s46_pipeline_env *env, char *err, size_t errlen)
{
    const s46_lw_conf *c = conf;
    if (!c->bt || !c->naftr || env->worker >= S46_BT_READERS) {
        s46_seterr(err, errlen, "lwaftr: no binding table, no lwAFTR address or too many workers");
        return NULL;
    }
    lw_pl *p = calloc(1, sizeof *p);
    if (p && (p->lw = s46_lw_new(c, env->worker))) {
        p->env = *env;
        p->bt = c->bt;
        return p;
    }
    free(p);
    s46_seterr(err, errlen, "out of memory");
    return NULL;
}

static int lw_reconfigure(void *self, const void *conf, char *err, size_t errlen)
{
    const s46_lw_conf *c = conf;
    if (!c->bt || !c->naftr) {
        s46_seterr(err, errlen, "lwaftr: no binding table or no lwAFTR address");
        return -1;
    }
    lw_pl *p = self;
    s46_lw_reconfigure(p->lw, c);
    p->bt = c->bt;
    return 0;
}

static unsigned lw_steer(const void *self, const s46_pkt *p, uint16_t side)
{
    const lw_pl *l = self;
    unsigned owner;
    (void)side;
    return s46_steer_fragment(p, l->env.workers, &owner) ? owner : l->env.worker;
}

static void lw_process(void *self, s46_batch *b, uint16_t side, uint64_t now)
{
    s46_lw_process(((lw_pl *)self)->lw, b, side, now);
}

static void lw_tick(void *self, uint64_t now) { s46_lw_tick(((lw_pl *)self)->lw, now); }

static json_t *lw_show(const void *self, uint64_t now)
{
    (void)now;
    const lw_pl *p = self;
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "stages", s46_lw_stages_json(p->lw));
    size_t n = s46_bindtab_count(p->bt), bytes = s46_bindtab_bytes(p->bt);
    json_object_set_new(o, "bindings", json_integer((json_int_t)n));
    json_object_set_new(o, "binding_addresses",
                        json_integer((json_int_t)s46_bindtab_addresses(p->bt)));
    json_object_set_new(o, "binding_table_bytes", json_integer((json_int_t)bytes));
    if (n)
        json_object_set_new(o, "bytes_per_binding", json_real((double)bytes / (double)n));
    return o;
}

static const s46_counters *lw_counters(const void *self)
{
    return s46_lw_counters(((const lw_pl *)self)->lw);
}

static void lw_destroy(void *self)
{
    lw_pl *p = self;
    s46_lw_free(p->lw);
    free(p);
}

const s46_pipeline_ops s46_pl_lwaftr = {
    .name = "lwaftr",
    .create = lw_create,
    .reconfigure = lw_reconfigure,
    .steer = lw_steer,
    .process = lw_process,
    .tick = lw_tick,
    .show = lw_show,
    .counters = lw_counters,
    .destroy = lw_destroy,
};
