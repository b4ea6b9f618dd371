/* Lazy expiry of a table of timed entries by index (the NAPT's and the
 * CGN's sessions), in seconds that may wrap: a sweep looks at the entries
 * in turn from a cursor, at most a budget of them per call. Entries are in
 * groups of 64, each with a lower bound of its live entries' expiry times,
 * so the sweep skips a group where nothing can be due; a table-wide lower
 * bound, exact after each whole pass, makes a call with nothing due O(1).
 *  - s46_expiry_init (n entries, none live; -1 when out of memory),
 *    s46_expiry_reset (none live again), s46_expiry_fini,
 *    s46_expiry_bytes (its memory, for the tables' per-entry figures);
 *  - s46_due(t, now): the time t has come;
 *  - s46_expiry_note(x, i, t): entry i now expires at t (every write of an
 *    entry's expiry time goes through here; the bounds only go down here,
 *    the sweep raises them);
 *  - s46_expiry_sweep: visits entries from the cursor; visit(arg, i, now,
 *    &t) says whether entry i is empty, was due and is now freed, or lives
 *    until t. Returns how many it freed. */
#ifndef S46_LIB_EXPIRY_H
#define S46_LIB_EXPIRY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define S46_EXPIRY_GROUP_SHIFT 6

typedef struct s46_exp_bound {
    uint32_t t;
    bool set;
} s46_exp_bound;

typedef struct s46_expiry {
    uint32_t n, ngrp, cursor;  /* entries, groups, the sweep's next entry */
    uint32_t *grp_min;         /* [ngrp] lower bound of a group's expiry times */
    uint8_t *grp_set;          /* [ngrp] 0: the group has no live entry */
    s46_exp_bound min_exp;     /* over every live entry */
    s46_exp_bound cur_min;     /* live entries of the cursor's group seen so far */
    s46_exp_bound pass_min;    /* everything the current pass has seen */
} s46_expiry;

typedef enum s46_exp_visit {
    S46_EXP_EMPTY = 0, /* no live entry there */
    S46_EXP_FREED,     /* it was due: freed */
    S46_EXP_LIVE,      /* live, not due: its expiry time given */
} s46_exp_visit;

int s46_expiry_init(s46_expiry *x, uint32_t n);
void s46_expiry_reset(s46_expiry *x);
void s46_expiry_fini(s46_expiry *x);
uint64_t s46_expiry_bytes(const s46_expiry *x);

static inline bool s46_time_before(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool s46_due(uint32_t t, uint32_t now) { return (int32_t)(now - t) >= 0; }

static inline void s46_exp_lower(s46_exp_bound *b, uint32_t v)
{
    if (!b->set || s46_time_before(v, b->t)) {
        b->t = v;
        b->set = true;
    }
}

static inline void s46_expiry_note(s46_expiry *x, uint32_t i, uint32_t t)
{
    uint32_t g = i >> S46_EXPIRY_GROUP_SHIFT;
    if (!x->grp_set[g] || s46_time_before(t, x->grp_min[g])) {
        x->grp_min[g] = t;
        x->grp_set[g] = 1;
    }
    s46_exp_lower(&x->min_exp, t);
    s46_exp_lower(&x->pass_min, t);
    if (g == x->cursor >> S46_EXPIRY_GROUP_SHIFT)
        s46_exp_lower(&x->cur_min, t);
}

uint32_t s46_expiry_sweep(s46_expiry *x, uint32_t now, uint32_t budget,
                          s46_exp_visit (*visit)(void *arg, uint32_t i, uint32_t now,
                                                 uint32_t *t),
                          void *arg);
#endif
