/* Named counters: a data plane declares an enum of outcomes and a table of
 * their names; counts are plain uint64_t (one set per worker, no atomics on
 * the hot path) and are dumped as a JSON object {"name": count, ...}. */
#ifndef S46_COUNTERS_H
#define S46_COUNTERS_H
#include <jansson.h>
#include <stdint.h>

typedef struct s46_counters {
    const char *const *names;
    unsigned count;
    uint64_t *v;
} s46_counters;

/* A new JSON object with every counter (caller json_decref's it). */
json_t *s46_counters_json(const s46_counters *c);
#endif
