#include "lib/expiry.h"

#include <stdlib.h>
#include <string.h>

#define GRP (1u << S46_EXPIRY_GROUP_SHIFT)

int s46_expiry_init(s46_expiry *x, uint32_t n)
{
    memset(x, 0, sizeof *x);
    x->n = n;
    x->ngrp = (uint32_t)(((uint64_t)n + GRP - 1) >> S46_EXPIRY_GROUP_SHIFT);
    x->grp_min = malloc((x->ngrp ? x->ngrp : 1) * sizeof *x->grp_min);
    x->grp_set = calloc(x->ngrp ? x->ngrp : 1, 1);
    if (!x->grp_min || !x->grp_set) {
        s46_expiry_fini(x);
        return -1;
    }
    return 0;
}

void s46_expiry_reset(s46_expiry *x)
{
    memset(x->grp_set, 0, x->ngrp);
    x->cursor = 0;
    x->min_exp.set = x->cur_min.set = x->pass_min.set = false;
}

void s46_expiry_fini(s46_expiry *x)
{
    free(x->grp_min);
    free(x->grp_set);
    x->grp_min = NULL;
    x->grp_set = NULL;
}

uint64_t s46_expiry_bytes(const s46_expiry *x)
{
    return (uint64_t)x->ngrp * (sizeof *x->grp_min + sizeof *x->grp_set);
}

/* A group whose bound is not due is skipped whole; a group looked at to its
 * end gets the exact bound of its live entries; a whole pass gives the
 * table-wide bound. */
uint32_t s46_expiry_sweep(s46_expiry *x, uint32_t now, uint32_t budget,
                          s46_exp_visit (*visit)(void *arg, uint32_t i, uint32_t now,
                                                 uint32_t *t),
                          void *arg)
{
    uint32_t freed = 0, looked = 0, skipped = 0, n = x->n;
    while (looked < budget && skipped < budget) {
        if (!x->min_exp.set || !s46_due(x->min_exp.t, now))
            break;
        uint32_t i = x->cursor, g = i >> S46_EXPIRY_GROUP_SHIFT;
        uint32_t end = (g + 1) * GRP < n ? (g + 1) * GRP : n;
        if ((i & (GRP - 1)) == 0 && (!x->grp_set[g] || !s46_due(x->grp_min[g], now))) {
            if (x->grp_set[g])
                s46_exp_lower(&x->pass_min, x->grp_min[g]);
            skipped++;
            x->cursor = end;
        } else {
            looked++;
            x->cursor = i + 1;
            uint32_t t = 0;
            switch (visit(arg, i, now, &t)) {
            case S46_EXP_FREED: freed++; break;
            case S46_EXP_LIVE:
                s46_exp_lower(&x->cur_min, t);
                s46_exp_lower(&x->pass_min, t);
                break;
            default: break;
            }
            if (x->cursor == end) {
                x->grp_set[g] = x->cur_min.set;
                x->grp_min[g] = x->cur_min.t;
                x->cur_min.set = false;
            }
        }
        if (x->cursor == n) {
            x->cursor = 0;
            x->min_exp = x->pass_min;
            x->pass_min.set = false;
        }
    }
    return freed;
}
