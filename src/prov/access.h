/* The HB46PP access sequence's decisions (docs/hb46pp.md, steps a-k and
 * N1: a failing server never stops a working mechanism): for each
 * outcome of one attempt, whether the running mechanism is disabled and how
 * long to wait before the next attempt (uniformly random in a range).
 *   notfound  TXT NXDOMAIN/NODATA, several or a malformed record: disable,
 *             wait 1-3 h
 *   dns_error any other DNS failure: keep running, 1-10 min
 *   no_answer server unreachable, TLS failure, non-200, redirect trouble:
 *             keep running, 10-30 min
 *   bad_data  invalid JSON or values: keep running, 10-30 min
 *   ok        valid data applied: wait ttl (at least min_ttl), or 20-24 h
 *             without ttl
 *   empty     valid data with order [] or nothing this CE can run: disable,
 *             wait as for ok
 * All ranges are configurable (tests run them in seconds). Pure code. */
#ifndef S46_PROV_ACCESS_H
#define S46_PROV_ACCESS_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum s46_acc_outcome {
    S46_ACC_OK = 0,
    S46_ACC_EMPTY,
    S46_ACC_NOTFOUND,
    S46_ACC_DNS_ERROR,
    S46_ACC_NO_ANSWER,
    S46_ACC_BAD_DATA,
} s46_acc_outcome;

typedef struct s46_acc_range { uint32_t lo, hi; } s46_acc_range; /* seconds */

typedef struct s46_acc_waits {
    s46_acc_range notfound, dns_error, no_answer, bad_data, no_ttl;
    s46_acc_range boot;    /* delay of the first fetch after boot (ours) */
    uint32_t min_ttl;      /* a smaller ttl waits this long (ours) */
} s46_acc_waits;

void s46_acc_waits_default(s46_acc_waits *w);
/* Reads {"notfound": [lo, hi], ..., "min_ttl": n} over the defaults;
 * unknown keys are an error. 0 or -1 with err. */
int s46_acc_waits_from_json(const json_t *obj, s46_acc_waits *w, char *err, size_t errlen);
/* Seconds to wait after outcome o; ttl < 0 when the answer had none; rnd is
 * a random 64-bit number. */
uint32_t s46_acc_wait(const s46_acc_waits *w, s46_acc_outcome o, int64_t ttl, uint64_t rnd);
/* A uniformly random number of seconds in r. */
uint32_t s46_acc_pick(s46_acc_range r, uint64_t rnd);
/* Whether outcome o stops the running mechanism. */
bool s46_acc_disables(s46_acc_outcome o);
const char *s46_acc_outcome_name(s46_acc_outcome o);
#endif
