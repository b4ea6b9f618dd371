/* SIIT (siit.h) as a pipeline: stateless but for the reassembly of ICMP
 * fragments, so with several workers only fragments are steered (by
 * datagram). */
#include "dp/pipeline.h"
#include "dp/siit.h"

typedef struct siit_pl {
    s46_siit *s;
    s46_pipeline_env env;
} siit_pl;

#include <stdlib.h>

static void *siit_create(const void *conf, const s46_pipeline_env *env, char *err, size_t errlen)
{
    siit_pl *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    if (!(p->s = s46_siit_new(conf, err, errlen))) {
        free(p);
        return NULL;
    }
    p->env = *env;
    return p;
}

static int siit_reconfigure(void *self, const void *conf, char *err, size_t errlen)
{
    return s46_siit_reconfigure(((siit_pl *)self)->s, conf, err, errlen);
}

static unsigned siit_steer(const void *self, const s46_pkt *p, uint16_t side)
{
    const siit_pl *l = self;
    unsigned owner;
    (void)side;
    return s46_steer_fragment(p, l->env.workers, &owner) ? owner : l->env.worker;
}

static void siit_process(void *self, s46_batch *b, uint16_t side, uint64_t now)
{
    s46_siit_process(((siit_pl *)self)->s, b, side, now);
}

static void siit_tick(void *self, uint64_t now) { s46_siit_tick(((siit_pl *)self)->s, now); }

static json_t *siit_show(const void *self, uint64_t now)
{
    (void)now;
    return s46_siit_show(((const siit_pl *)self)->s);
}

static const s46_counters *siit_counters(const void *self)
{
    return s46_siit_counters(((const siit_pl *)self)->s);
}

static void siit_destroy(void *self)
{
    siit_pl *p = self;
    s46_siit_free(p->s);
    free(p);
}

const s46_pipeline_ops s46_pl_siit = {
    .name = "siit",
    .create = siit_create,
    .reconfigure = siit_reconfigure,
    .steer = siit_steer,
    .process = siit_process,
    .tick = siit_tick,
    .show = siit_show,
    .counters = siit_counters,
    .destroy = siit_destroy,
};
