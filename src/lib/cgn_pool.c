#include "lib/cgn_pool.h"
#include "lib/err.h"

#include <stdlib.h>
#include <string.h>

typedef struct run {
    uint32_t first, last; /* inclusive */
    uint32_t base;        /* index of first */
} run;

struct s46_cgn_pool {
    run *runs;
    uint32_t nruns, size;
    uint32_t lo, hi;      /* the first and last address (lo > hi: none) */
};

static int cmp_run(const void *a, const void *b)
{
    const run *x = a, *y = b;
    return x->first < y->first ? -1 : x->first > y->first;
}

static int check(const s46_pfx4 *p, const char *what, char *err, size_t errlen)
{
    char b[S46_PFX4_STRLEN];
    if (p->len > 32 || (p->addr & ~s46_mask4(p->len))) {
        s46_seterr(err, errlen, "%s %s: host bits set", what, s46_pfx4_format(p, b));
        return -1;
    }
    return 0;
}

/* Sorted, merged intervals of the prefixes. */
static run *intervals(const s46_pfx4 *pfx, size_t n, uint32_t *nout)
{
    run *r = calloc(n ? n : 1, sizeof *r);
    if (!r)
        return NULL;
    for (size_t i = 0; i < n; i++)
        r[i] = (run){pfx[i].addr, pfx[i].addr | ~s46_mask4(pfx[i].len), 0};
    qsort(r, n, sizeof *r, cmp_run);
    uint32_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m && (uint64_t)r[i].first <= (uint64_t)r[m - 1].last + 1) {
            if (r[i].last > r[m - 1].last)
                r[m - 1].last = r[i].last;
        } else {
            r[m++] = r[i];
        }
    }
    *nout = m;
    return r;
}

s46_cgn_pool *s46_cgn_pool_new(const s46_pfx4 *pfx, size_t npfx, const s46_pfx4 *excl,
                               size_t nexcl, char *err, size_t errlen)
{
    for (size_t i = 0; i < npfx; i++)
        if (check(&pfx[i], "pool prefix", err, errlen) < 0)
            return NULL;
    for (size_t i = 0; i < nexcl; i++)
        if (check(&excl[i], "excluded prefix", err, errlen) < 0)
            return NULL;
    uint32_t ni, nx;
    run *in = intervals(pfx, npfx, &ni), *ex = intervals(excl, nexcl, &nx);
    /* in less ex: at most ni + nx runs */
    run *out = calloc(ni + nx + 1, sizeof *out);
    s46_cgn_pool *p = calloc(1, sizeof *p);
    if (!in || !ex || !out || !p) {
        s46_seterr(err, errlen, "out of memory");
        goto fail;
    }
    uint32_t no = 0;
    uint64_t total = 0;
    for (uint32_t i = 0, j = 0; i < ni; i++) {
        uint64_t cur = in[i].first;
        while (j < nx && ex[j].last < cur)
            j++;
        for (uint32_t k = j; cur <= in[i].last; k++) {
            uint64_t stop = k < nx && ex[k].first <= in[i].last ? ex[k].first : (uint64_t)in[i].last + 1;
            if (stop > cur) {
                out[no++] = (run){(uint32_t)cur, (uint32_t)(stop - 1), (uint32_t)total};
                total += stop - cur;
            }
            if (k >= nx || ex[k].first > in[i].last)
                break;
            cur = (uint64_t)ex[k].last + 1;
        }
        if (total > S46_CGN_POOL_MAX)
            break;
    }
    if (total == 0) {
        s46_seterr(err, errlen, "the address pool is empty");
        goto fail;
    }
    if (total > S46_CGN_POOL_MAX) {
        s46_seterr(err, errlen, "the address pool has more than %u addresses", S46_CGN_POOL_MAX);
        goto fail;
    }
    p->runs = out;
    p->nruns = no;
    p->lo = no ? out[0].first : 1;
    p->hi = no ? out[no - 1].last : 0;
    p->size = (uint32_t)total;
    free(in);
    free(ex);
    return p;
fail:
    free(in);
    free(ex);
    free(out);
    free(p);
    return NULL;
}

void s46_cgn_pool_free(s46_cgn_pool *p)
{
    if (p) {
        free(p->runs);
        free(p);
    }
}

uint32_t s46_cgn_pool_size(const s46_cgn_pool *p) { return p->size; }

uint32_t s46_cgn_pool_addr(const s46_cgn_pool *p, uint32_t i)
{
    uint32_t lo = 0, hi = p->nruns;
    while (hi - lo > 1) {
        uint32_t mid = (lo + hi) / 2;
        if (p->runs[mid].base <= i)
            lo = mid;
        else
            hi = mid;
    }
    return p->runs[lo].first + (i - p->runs[lo].base);
}

uint32_t s46_cgn_pool_index(const s46_cgn_pool *p, uint32_t addr)
{
    if (addr < p->lo || addr > p->hi) /* most addresses a packet names */
        return UINT32_MAX;
    uint32_t lo = 0, hi = p->nruns;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (addr < p->runs[mid].first)
            hi = mid;
        else if (addr > p->runs[mid].last)
            lo = mid + 1;
        else
            return p->runs[mid].base + (addr - p->runs[mid].first);
    }
    return UINT32_MAX;
}
