/* The DS-Lite AFTR (aftr.h) as a pipeline: one CGN instance per worker,
 * outbound packets steered by softwire, inbound by external port. */
#include <stdlib.h>

#include "dp/aftr.h"
#include "dp/pipeline.h"
#include "lib/err.h"

typedef struct aftr_pl {
    s46_aftr *a;
} aftr_pl;

static void *aftr_create(const void *conf, const s46_pipeline_env *env, char *err,
                         size_t errlen)
{
    aftr_pl *p = calloc(1, sizeof *p);
    if (!p) {
        s46_seterr(err, errlen, "out of memory");
        return NULL;
    }
    if (!(p->a = s46_aftr_new(conf, env->worker, env->workers, err, errlen))) {
        free(p);
        return NULL;
    }
    return p;
}

static int aftr_reconfigure(void *self, const void *conf, char *err, size_t errlen)
{
    return s46_aftr_reconfigure(((aftr_pl *)self)->a, conf, err, errlen);
}

static unsigned aftr_steer(const void *self, const s46_pkt *p, uint16_t side)
{
    return s46_aftr_steer(((const aftr_pl *)self)->a, p, side);
}

static void aftr_process(void *self, s46_batch *b, uint16_t side, uint64_t now)
{
    s46_aftr_process(((aftr_pl *)self)->a, b, side, now);
}

static void aftr_tick(void *self, uint64_t now) { s46_aftr_tick(((aftr_pl *)self)->a, now); }

static json_t *aftr_show(const void *self, uint64_t now)
{
    return s46_aftr_show(((const aftr_pl *)self)->a, now, 64);
}

static const s46_counters *aftr_counters(const void *self)
{
    return s46_aftr_counters(((const aftr_pl *)self)->a);
}

static void aftr_destroy(void *self)
{
    aftr_pl *p = self;
    s46_aftr_free(p->a);
    free(p);
}

const s46_pipeline_ops s46_pl_aftr = {
    .name = "aftr",
    .create = aftr_create,
    .reconfigure = aftr_reconfigure,
    .steer = aftr_steer,
    .process = aftr_process,
    .tick = aftr_tick,
    .show = aftr_show,
    .counters = aftr_counters,
    .destroy = aftr_destroy,
};
