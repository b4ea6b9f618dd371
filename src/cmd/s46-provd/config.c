#include "config.h"
#include "lib/err.h"
#include "prov/mape.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static provd_cfg *current;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void cfg_free(provd_cfg *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nprofiles; i++)
        s46_profile_free(&c->profiles[i]);
    for (size_t i = 0; i < c->nusers; i++) {
        free(c->users[i].name);
        free(c->users[i].hash);
    }
    free(c->profiles);
    free(c->uses_auth);
    free(c->users);
    free(c);
}

typedef struct build_ctx {
    provd_cfg *c;
    size_t cap;
    char *warn;
    size_t warnlen;
    bool oom;
} build_ctx;

/* Adds p, replacing a profile with the same prefix. */
static bool add_profile(build_ctx *b, s46_profile *p)
{
    provd_cfg *c = b->c;
    int i = provd_cfg_find(c, &p->pfx);
    if (i >= 0) {
        s46_profile_free(&c->profiles[i]);
        c->profiles[i] = *p;
        return true;
    }
    if (c->nprofiles == b->cap) {
        size_t n = b->cap ? b->cap * 2 : 16;
        s46_profile *np = realloc(c->profiles, n * sizeof *np);
        if (!np)
            return false;
        c->profiles = np;
        b->cap = n;
    }
    c->profiles[c->nprofiles++] = *p;
    return true;
}

static int db_profile(void *ctx, const s46_store_profile *sp)
{
    build_ctx *b = ctx;
    char err[S46_ERRLEN];
    if (!sp->prefix || !sp->tmpl) { /* only a hand-edited row can be so */
        if (!b->c->skipped++ && b->warn)
            s46_seterr(b->warn, b->warnlen, "a profile row without prefix or template");
        return 0;
    }
    json_t *t = json_loads(sp->tmpl, JSON_REJECT_DUPLICATES, NULL);
    json_t *s = sp->server ? json_loads(sp->server, JSON_REJECT_DUPLICATES, NULL) : NULL;
    s46_profile p;
    int r = t && (s || !sp->server) ? s46_profile_make(sp->prefix, sp->name, t, s, &p, err,
                                                       sizeof err)
                                    : (snprintf(err, sizeof err, "stored JSON does not parse"), -1);
    json_decref(t);
    json_decref(s);
    if (r < 0) {
        if (!b->c->skipped++ && b->warn)
            s46_seterr(b->warn, b->warnlen, "profile %s: %s", sp->prefix, err);
        return 0;
    }
    if (!add_profile(b, &p)) {
        s46_profile_free(&p);
        b->oom = true;
        return 1;
    }
    return 0;
}

static int db_user(void *ctx, const s46_store_user *su)
{
    build_ctx *b = ctx;
    provd_cfg *c = b->c;
    provd_user u = {0};
    if (!su->name || !su->hash) {
        if (!c->skipped++ && b->warn)
            s46_seterr(b->warn, b->warnlen, "a subscriber row without name or hash");
        return 0;
    }
    if (su->prefix && s46_pfx6_parse(su->prefix, &u.pfx, NULL, 0) < 0) {
        if (!c->skipped++ && b->warn)
            s46_seterr(b->warn, b->warnlen, "user %s: bad profile prefix", su->name);
        return 0;
    }
    u.bound = su->prefix != NULL;
    provd_user *nu = realloc(c->users, (c->nusers + 1) * sizeof *nu);
    if (!nu || !(u.name = strdup(su->name)) || !(u.hash = strdup(su->hash))) {
        if (nu)
            c->users = nu;
        free(u.name);
        b->oom = true;
        return 1;
    }
    c->users = nu;
    c->users[c->nusers++] = u;
    return 0;
}

static int user_cmp(const void *a, const void *b)
{
    return strcmp(((const provd_user *)a)->name, ((const provd_user *)b)->name);
}

/* "PREFIX=FILE" into a profile; -1 with err. */
static int file_profile(const char *arg, s46_profile *p, char *err, size_t errlen)
{
    char pfx[64];
    const char *eq = strchr(arg, '=');
    if (!eq || (size_t)(eq - arg) >= sizeof pfx) {
        s46_seterr(err, errlen, "--profile PREFIX=FILE, not '%.80s'", arg);
        return -1;
    }
    memcpy(pfx, arg, eq - arg);
    pfx[eq - arg] = 0;
    char e2[S46_ERRLEN];
    json_t *doc = s46_json_load_file(eq + 1, err, errlen), *t, *s;
    if (!doc)
        return -1;
    int r = s46_profile_split(doc, 0, &t, &s, e2, sizeof e2);
    json_decref(doc);
    if (r == 0) {
        r = s46_profile_make(pfx, NULL, t, s, p, e2, sizeof e2);
        json_decref(t);
        json_decref(s);
    }
    if (r < 0)
        s46_seterr(err, errlen, "%s: %s", eq + 1, e2);
    return r;
}

provd_cfg *provd_cfg_build(s46_store *st, char *const *files, int nfiles, char *err,
                           size_t errlen, char *warn, size_t warnlen)
{
    provd_cfg *c = calloc(1, sizeof *c);
    if (!c) {
        s46_seterr(err, errlen, "out of memory");
        return NULL;
    }
    c->refs = 1;
    build_ctx b = {c, 0, warn, warnlen, false};
    if (warn && warnlen)
        warn[0] = 0;
    if (st && (s46_store_profile_each(st, db_profile, &b, err, errlen) != 0 ||
               s46_store_user_each(st, db_user, &b, err, errlen) != 0)) {
        if (b.oom)
            s46_seterr(err, errlen, "out of memory");
        cfg_free(c);
        return NULL;
    }
    for (int i = 0; i < nfiles; i++) {
        s46_profile p;
        if (file_profile(files[i], &p, err, errlen) < 0) {
            cfg_free(c);
            return NULL;
        }
        if (!add_profile(&b, &p)) {
            s46_profile_free(&p);
            b.oom = true;
            break;
        }
    }
    c->uses_auth = calloc(c->nprofiles + 1, sizeof *c->uses_auth);
    if (b.oom || !c->uses_auth) {
        s46_seterr(err, errlen, "out of memory");
        cfg_free(c);
        return NULL;
    }
    if (c->nusers)
        qsort(c->users, c->nusers, sizeof *c->users, user_cmp);
    for (size_t i = 0; i < c->nprofiles; i++)
        c->uses_auth[i] = c->profiles[i].auth_required || json_object_size(c->profiles[i].users);
    for (size_t k = 0; k < c->nusers; k++) {
        int i = c->users[k].bound ? provd_cfg_find(c, &c->users[k].pfx) : -1;
        if (i >= 0)
            c->uses_auth[i] = true;
    }
    return c;
}

provd_cfg *provd_cfg_get(void)
{
    pthread_mutex_lock(&mu);
    provd_cfg *c = current;
    if (c)
        c->refs++;
    pthread_mutex_unlock(&mu);
    return c;
}

void provd_cfg_put(provd_cfg *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&mu);
    bool last = --c->refs == 0;
    pthread_mutex_unlock(&mu);
    if (last)
        cfg_free(c);
}

void provd_cfg_install(provd_cfg *c)
{
    pthread_mutex_lock(&mu);
    provd_cfg *old = current;
    current = c;
    pthread_mutex_unlock(&mu);
    provd_cfg_put(old);
}

int provd_cfg_lpm(const provd_cfg *c, const s46_ip6 *a)
{
    int best = -1;
    for (size_t i = 0; i < c->nprofiles; i++)
        if (s46_pfx6_contains(&c->profiles[i].pfx, a) &&
            (best < 0 || c->profiles[i].pfx.len > c->profiles[best].pfx.len))
            best = (int)i;
    return best;
}

int provd_cfg_find(const provd_cfg *c, const s46_pfx6 *p)
{
    for (size_t i = 0; i < c->nprofiles; i++)
        if (c->profiles[i].pfx.len == p->len && s46_ip6_eq(&c->profiles[i].pfx.addr, &p->addr))
            return (int)i;
    return -1;
}

const char *provd_cfg_user_hash(const provd_cfg *c, int i, const char *name)
{
    const s46_profile *p = &c->profiles[i];
    json_t *h = p->users ? json_object_get(p->users, name) : NULL;
    if (json_is_string(h))
        return json_string_value(h);
    /* Subscribers: one name, so at most one entry. */
    provd_user key = {.name = (char *)name};
    const provd_user *u =
        c->nusers ? bsearch(&key, c->users, c->nusers, sizeof *u, user_cmp) : NULL;
    if (!u)
        return NULL;
    if (u->bound && !(u->pfx.len == p->pfx.len && s46_ip6_eq(&u->pfx.addr, &p->pfx.addr)))
        return NULL;
    return u->hash;
}
