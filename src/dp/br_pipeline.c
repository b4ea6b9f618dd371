/* The MAP-E BR (br_mape.h) as a pipeline: stateless but for reassembly,
 * so with several workers only fragments are steered (by datagram). */
#include <stdlib.h>

#include "dp/br_mape.h"
#include "dp/pipeline.h"
#include "lib/err.h"

typedef struct br_pl {
    s46_br *br;
    s46_pipeline_env env;
} br_pl;

static void *br_create(const void *conf, const s46_pipeline_env *env, char *err, size_t errlen)
{
    br_pl *p = calloc(1, sizeof *p);
    if (p && (p->br = s46_br_new(conf))) {
        p->env = *env;
        return p;
    }
    free(p);
    s46_seterr(err, errlen, "out of memory");
    return NULL;
}

static int br_reconfigure(void *self, const void *conf, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    s46_br_reconfigure(((br_pl *)self)->br, conf);
    return 0;
}

static unsigned br_steer(const void *self, const s46_pkt *p, uint16_t side)
{
    const br_pl *b = self;
    unsigned owner;
    (void)side;
    return s46_steer_fragment(p, b->env.workers, &owner) ? owner : b->env.worker;
}

static void br_process(void *self, s46_batch *b, uint16_t side, uint64_t now)
{
    s46_br_process(((br_pl *)self)->br, b, side, now);
}

static json_t *br_show(const void *self, uint64_t now)
{
    (void)now;
    json_t *o = json_object();
    if (o)
        json_object_set_new(o, "stages", s46_br_stages_json(((const br_pl *)self)->br));
    return o;
}

static const s46_counters *br_counters(const void *self)
{
    return s46_br_counters(((const br_pl *)self)->br);
}

static void br_destroy(void *self)
{
    br_pl *p = self;
    s46_br_free(p->br);
    free(p);
}

const s46_pipeline_ops s46_pl_br_mape = {
    .name = "br_mape",
    .create = br_create,
    .reconfigure = br_reconfigure,
    .steer = br_steer,
    .process = br_process,
    .show = br_show,
    .counters = br_counters,
    .destroy = br_destroy,
};
