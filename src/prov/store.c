/* The store's front: picks the backend from the --db argument and hands
 * every operation to it (store_backend.h); the checks that do not depend on
 * the database (revoke keys, the log's source filter) are done here once. */
#include "prov/store.h"
#include "prov/store_backend.h"
#include "lib/err.h"

#include <stdio.h>
#include <string.h>

bool s46_store_is_pg(const char *db)
{
    return db && (!strncmp(db, "postgresql://", 13) || !strncmp(db, "postgres://", 11));
}

/* Appends len bytes of s to out (n bytes, *o used), cutting at the end. */
static void put(char *out, size_t n, size_t *o, const char *s, size_t len)
{
    while (len-- && *o + 1 < n)
        out[(*o)++] = *s++;
    out[*o] = 0;
}

const char *s46_store_redact(const char *db, char *out, size_t n)
{
    size_t o = 0;
    if (!n)
        return out;
    out[0] = 0;
    if (!db)
        return out;
    if (!s46_store_is_pg(db)) {
        put(out, n, &o, db, strlen(db));
        return out;
    }
    /* scheme://[user[:PASSWORD]@]host.../db?k=v&password=PASSWORD */
    const char *auth = strstr(db, "://") + 3, *p = db;
    const char *hostend = auth + strcspn(auth, "/?");
    const char *at = NULL;
    for (const char *q = auth; q < hostend; q++)
        if (*q == '@')
            at = q;
    const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (colon) {
        put(out, n, &o, p, (size_t)(colon + 1 - p));
        put(out, n, &o, "***", 3);
        p = at;
    }
    for (;;) {
        const char *k = strstr(p, "password=");
        while (k && k[-1] != '?' && k[-1] != '&')
            k = strstr(k + 1, "password=");
        if (!k)
            break;
        put(out, n, &o, p, (size_t)(k + 9 - p));
        put(out, n, &o, "***", 3);
        p = k + 9 + strcspn(k + 9, "&");
    }
    put(out, n, &o, p, strlen(p));
    return out;
}

s46_store *s46_store_open(const char *db, unsigned flags, char *err, size_t errlen)
{
    if (s46_store_is_pg(db))
        return s46_store_pg_open(db, flags, err, errlen);
    return s46_store_sqlite_open(db, flags, err, errlen);
}

void s46_store_close(s46_store *st)
{
    if (st)
        st->ops->close(st);
}

int s46_store_begin(s46_store *st, char *err, size_t errlen)
{
    return st->ops->begin(st, err, errlen);
}

int s46_store_commit(s46_store *st, char *err, size_t errlen)
{
    return st->ops->commit(st, err, errlen);
}

void s46_store_rollback(s46_store *st)
{
    st->ops->rollback(st);
}

int64_t s46_store_data_version(s46_store *st)
{
    return st->ops->data_version(st);
}

int s46_store_profile_put(s46_store *st, const s46_store_profile *p, bool replace, char *err,
                          size_t errlen)
{
    return st->ops->profile_put(st, p, replace, err, errlen);
}

int s46_store_profile_remove(s46_store *st, const char *prefix, char *err, size_t errlen)
{
    return st->ops->profile_remove(st, prefix, err, errlen);
}

int s46_store_profile_at(s46_store *st, int64_t t, s46_store_version_cb cb, void *ctx,
                         char *err, size_t errlen)
{
    return st->ops->profile_at(st, t, cb, ctx, err, errlen);
}

int s46_store_user_put(s46_store *st, const s46_store_user *u, char *err, size_t errlen)
{
    return st->ops->user_put(st, u, err, errlen);
}

int s46_store_user_remove(s46_store *st, const char *name, int64_t *revoked, char *err,
                          size_t errlen)
{
    return st->ops->user_remove(st, name, revoked, err, errlen);
}

int s46_store_token_add(s46_store *st, const s46_store_token *t, char *err, size_t errlen)
{
    return st->ops->token_add(st, t, err, errlen);
}

int s46_store_token_seen(s46_store *st, const char *hash, int64_t t, char *err, size_t errlen)
{
    return st->ops->token_seen(st, hash, t, err, errlen);
}

int s46_store_token_delete(s46_store *st, const char *hash, char *err, size_t errlen)
{
    return st->ops->token_delete(st, hash, err, errlen);
}

int s46_store_token_prune(s46_store *st, int64_t unused_before, int64_t *n, char *err,
                          size_t errlen)
{
    return st->ops->token_prune(st, unused_before, n, err, errlen);
}

int s46_store_revoke_key(const char *key, bool *by_id, bool *by_hash, char *err, size_t errlen)
{
    size_t n = strlen(key);
    *by_id = n > 0 && n <= 18 && strspn(key, "0123456789") == n;
    *by_hash = n >= 4 && n <= 64 && strspn(key, "0123456789abcdef") == n;
    if (!*by_id && !*by_hash) {
        s46_seterr(err, errlen, "token: need an id or 4..64 lowercase hex digits of the hash");
        return 2;
    }
    return 0;
}

int s46_store_token_revoke(s46_store *st, const char *key, int64_t *id, char *err,
                           size_t errlen)
{
    bool by_id, by_hash;
    int r = s46_store_revoke_key(key, &by_id, &by_hash, err, errlen);
    if (r)
        return r;
    return st->ops->token_revoke(st, key, by_id, by_hash, id, err, errlen);
}

int s46_store_token_get(s46_store *st, const char *hash, s46_store_token_cb cb, void *ctx,
                        char *err, size_t errlen)
{
    return st->ops->token_get(st, hash, cb, ctx, err, errlen);
}

int s46_store_log_add(s46_store *st, const s46_store_logrec *r, char *err, size_t errlen)
{
    return st->ops->log_add(st, r, err, errlen);
}

int s46_store_profile_each(s46_store *st, s46_store_profile_cb cb, void *ctx, char *err,
                           size_t errlen)
{
    return st->ops->profile_each(st, cb, ctx, err, errlen);
}

int s46_store_user_each(s46_store *st, s46_store_user_cb cb, void *ctx, char *err,
                        size_t errlen)
{
    return st->ops->user_each(st, cb, ctx, err, errlen);
}

int s46_store_token_each(s46_store *st, unsigned which, s46_store_token_cb cb, void *ctx,
                         char *err, size_t errlen)
{
    return st->ops->token_each(st, which, cb, ctx, err, errlen);
}

int s46_store_log_prune(s46_store *st, int64_t before_ms, int64_t *n, char *err,
                        size_t errlen)
{
    return st->ops->log_prune(st, before_ms, n, err, errlen);
}

bool s46_store_log_src_ok(const s46_pfx6 *src, const char *addr)
{
    s46_ip6 a;
    if (!src)
        return true;
    return addr && s46_ip6_parse(addr, &a) == 0 && s46_pfx6_contains(src, &a);
}

struct log_filter {
    const s46_pfx6 *src;
    s46_store_log_cb cb;
    void *ctx;
};

static int log_filtered(void *ctx, const s46_store_logrec *r)
{
    struct log_filter *f = ctx;
    return s46_store_log_src_ok(f->src, r->src) ? f->cb(f->ctx, r) : 0;
}

int s46_store_log_each(s46_store *st, int64_t since_ms, const s46_pfx6 *src,
                       s46_store_log_cb cb, void *ctx, char *err, size_t errlen)
{
    struct log_filter f = {src, cb, ctx};
    return st->ops->log_each(st, since_ms, log_filtered, &f, err, errlen);
}
