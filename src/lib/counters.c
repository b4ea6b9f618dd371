#include "lib/counters.h"

json_t *s46_counters_json(const s46_counters *c)
{
    json_t *o = json_object();
    for (unsigned i = 0; o && i < c->count; i++)
        json_object_set_new(o, c->names[i], json_integer((json_int_t)c->v[i]));
    return o;
}
