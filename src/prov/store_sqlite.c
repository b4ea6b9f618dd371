/* The SQLite backend of the store (store.h, store_backend.h): one file in
 * WAL mode, synchronous=FULL, schema version in PRAGMA user_version. */
#include "prov/store_backend.h"
#include "lib/err.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Migration i takes the schema from version i to i + 1; never edit one that
 * shipped, append a new one. */
static const char *const migrations[S46_STORE_SCHEMA] = {
    "CREATE TABLE profiles (prefix TEXT PRIMARY KEY, name TEXT, template TEXT NOT NULL,"
    "  server TEXT, updated INTEGER NOT NULL);"
    "CREATE TABLE subscribers (name TEXT PRIMARY KEY, hash TEXT NOT NULL, prefix TEXT,"
    "  created INTEGER NOT NULL);",
    "CREATE TABLE tokens (id INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE,"
    "  prefix TEXT NOT NULL, created INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
    "  revoked INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE provlog (id INTEGER PRIMARY KEY, t_ms INTEGER NOT NULL, src TEXT,"
    "  src_prefix TEXT, token TEXT, vendorid TEXT, product TEXT, version TEXT,"
    "  capability TEXT, status INTEGER NOT NULL, mechs TEXT, auth TEXT);"
    "CREATE INDEX provlog_t ON provlog (t_ms);",
    /* 3: who a token counts against (its source prefix or subscriber) and
     * the subscriber it authenticates, if any */
    "ALTER TABLE tokens ADD COLUMN owner TEXT;"
    "ALTER TABLE tokens ADD COLUMN user TEXT;"
    "CREATE INDEX tokens_owner ON tokens (owner);"
    "CREATE INDEX tokens_user ON tokens (user);"
    "CREATE INDEX tokens_seen ON tokens (last_seen);",
    /* 4: every version of a profile with the time it was in force (`s46
     * trace` uses last month's rules for last month); the profiles already
     * there start a version at their `updated` time. */
    "CREATE TABLE profile_versions (id INTEGER PRIMARY KEY, prefix TEXT NOT NULL,"
    "  name TEXT, template TEXT NOT NULL, valid_from INTEGER NOT NULL, valid_to INTEGER);"
    "CREATE INDEX profile_versions_prefix ON profile_versions (prefix, valid_from);"
    "INSERT INTO profile_versions (prefix, name, template, valid_from)"
    "  SELECT prefix, name, template, updated FROM profiles;",
};

enum { Q_TOK_ADD, Q_TOK_SEEN, Q_TOK_DEL, Q_LOG_ADD, NQ };
static const char *const cached_sql[NQ] = {
    "INSERT OR IGNORE INTO tokens (hash, prefix, created, last_seen, owner, user)"
    " VALUES (?1, ?2, ?3, ?3, ?4, ?5)",
    "UPDATE tokens SET last_seen = ?2 WHERE hash = ?1 AND last_seen < ?2",
    "DELETE FROM tokens WHERE hash = ?1",
    "INSERT INTO provlog (t_ms, src, src_prefix, token, vendorid, product, version,"
    " capability, status, mechs, auth) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
};

typedef struct sq_store {
    s46_store base;
    sqlite3 *db;
    sqlite3_stmt *q[NQ];
} sq_store;

static int dberr(sq_store *st, char *err, size_t errlen, const char *what)
{
    s46_seterr(err, errlen, "database: %s: %s", what, sqlite3_errmsg(st->db));
    return -1;
}

static int exec(sq_store *st, const char *sql, char *err, size_t errlen)
{
    if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return dberr(st, err, errlen, sql);
    return 0;
}

static int64_t int_pragma(sq_store *st, const char *sql)
{
    sqlite3_stmt *s;
    int64_t v = -1;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

static int migrate(sq_store *st, char *err, size_t errlen)
{
    for (;;) {
        if (exec(st, "BEGIN IMMEDIATE", err, errlen) < 0)
            return -1;
        int64_t v = int_pragma(st, "PRAGMA user_version");
        if (v < 0 || v > S46_STORE_SCHEMA) {
            exec(st, "ROLLBACK", NULL, 0);
            s46_seterr(err, errlen, "database schema version %lld is not one this program "
                       "knows (0..%d)", (long long)v, S46_STORE_SCHEMA);
            return -1;
        }
        if (v == S46_STORE_SCHEMA)
            return exec(st, "COMMIT", err, errlen);
        char set[64];
        snprintf(set, sizeof set, "PRAGMA user_version = %lld", (long long)v + 1);
        if (exec(st, migrations[v], err, errlen) < 0 || exec(st, set, err, errlen) < 0 ||
            exec(st, "COMMIT", err, errlen) < 0) {
            exec(st, "ROLLBACK", NULL, 0);
            return -1;
        }
    }
}

static const s46_store_ops sq_ops;
static void sq_close(s46_store *b);
static void sq_rollback(s46_store *b);

s46_store *s46_store_sqlite_open(const char *path, unsigned flags, char *err, size_t errlen)
{
    struct stat sb;
    if (!(flags & S46_STORE_CREATE) && stat(path, &sb) < 0) {
        s46_seterr(err, errlen, "database %s does not exist", path);
        return NULL;
    }
    sq_store *st = calloc(1, sizeof *st);
    if (!st) {
        s46_seterr(err, errlen, "out of memory");
        return NULL;
    }
    st->base.ops = &sq_ops;
    int of = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
             (flags & S46_STORE_CREATE ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path, &st->db, of, NULL) != SQLITE_OK) {
        s46_seterr(err, errlen, "database %s: %s", path,
                   st->db ? sqlite3_errmsg(st->db) : "cannot open");
        sq_close(&st->base);
        return NULL;
    }
    sqlite3_busy_timeout(st->db, 5000);
    sqlite3_stmt *s;
    char mode[16] = "";
    if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s, NULL) == SQLITE_OK) {
        if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
            snprintf(mode, sizeof mode, "%s", (const char *)sqlite3_column_text(s, 0));
        sqlite3_finalize(s);
    }
    if (strcmp(mode, "wal")) {
        s46_seterr(err, errlen, "database %s: cannot use WAL mode: %s", path,
                   sqlite3_errmsg(st->db));
        sq_close(&st->base);
        return NULL;
    }
    if (exec(st, "PRAGMA synchronous = FULL", err, errlen) < 0 || migrate(st, err, errlen) < 0) {
        sq_close(&st->base);
        return NULL;
    }
    for (int i = 0; i < NQ; i++)
        if (sqlite3_prepare_v3(st->db, cached_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st->q[i],
                               NULL) != SQLITE_OK) {
            dberr(st, err, errlen, "prepare");
            sq_close(&st->base);
            return NULL;
        }
    return &st->base;
}

static void sq_close(s46_store *b)
{
    sq_store *st = (sq_store *)b;
    if (!st)
        return;
    for (int i = 0; i < NQ; i++)
        sqlite3_finalize(st->q[i]);
    sqlite3_close(st->db);
    free(st);
}

static int sq_begin(s46_store *b, char *err, size_t errlen)
{
    sq_store *st = (sq_store *)b;
    return exec(st, "BEGIN IMMEDIATE", err, errlen);
}

static int sq_commit(s46_store *b, char *err, size_t errlen)
{
    sq_store *st = (sq_store *)b;
    if (exec(st, "COMMIT", err, errlen) < 0) {
        sq_rollback(&st->base);
        return -1;
    }
    return 0;
}

static void sq_rollback(s46_store *b)
{
    sq_store *st = (sq_store *)b;
    if (!sqlite3_get_autocommit(st->db))
        exec(st, "ROLLBACK", NULL, 0);
}

static int64_t sq_data_version(s46_store *b)
{
    sq_store *st = (sq_store *)b;
    return int_pragma(st, "PRAGMA data_version");
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s, i);
}

/* Runs a one-shot statement with text/int64 arguments described by types
 * ('t' text, 'i' int64). Returns 0 done, -1 error; *changes gets the count. */
static int run(sq_store *st, const char *sql, const char *types, const void *const *args,
               int *changes, char *err, size_t errlen)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return dberr(st, err, errlen, "prepare");
    for (int i = 0; types[i]; i++) {
        if (types[i] == 't')
            bind_text(s, i + 1, args[i]);
        else
            sqlite3_bind_int64(s, i + 1, *(const int64_t *)args[i]);
    }
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return dberr(st, err, errlen, "write");
    if (changes)
        *changes = sqlite3_changes(st->db);
    return 0;
}

/* Ends the version of prefix in force (valid_to = t). */
static int version_close(sq_store *st, const char *prefix, int64_t t, char *err, size_t errlen)
{
    const void *a[] = {prefix, &t};
    return run(st, "UPDATE profile_versions SET valid_to = max(?2, valid_from)"
                   " WHERE prefix = ?1 AND valid_to IS NULL",
               "ti", a, NULL, err, errlen);
}

static int sq_profile_put(s46_store *b, const s46_store_profile *p, bool replace, char *err,
                          size_t errlen)
{
    sq_store *st = (sq_store *)b;
    const void *a[] = {p->prefix, p->name, p->tmpl, p->server, &p->updated};
    const void *v[] = {p->prefix, p->name, p->tmpl, &p->updated};
    int n;
    if (exec(st, "SAVEPOINT profile_put", err, errlen) < 0)
        return -1;
    if (run(st, replace ? "INSERT OR REPLACE INTO profiles VALUES (?1, ?2, ?3, ?4, ?5)"
                        : "INSERT OR IGNORE INTO profiles VALUES (?1, ?2, ?3, ?4, ?5)",
            "tttti", a, &n, err, errlen) < 0)
        goto fail;
    if (n == 0) {
        exec(st, "ROLLBACK TO profile_put; RELEASE profile_put", NULL, 0);
        s46_seterr(err, errlen, "profile %s exists (import replaces it)", p->prefix);
        return 2;
    }
    if (version_close(st, p->prefix, p->updated, err, errlen) < 0 ||
        run(st, "INSERT INTO profile_versions (prefix, name, template, valid_from)"
                " VALUES (?1, ?2, ?3, ?4)", "ttti", v, NULL, err, errlen) < 0 ||
        exec(st, "RELEASE profile_put", err, errlen) < 0)
        goto fail;
    return 0;
fail:
    exec(st, "ROLLBACK TO profile_put; RELEASE profile_put", NULL, 0);
    return -1;
}

static int remove_one(sq_store *st, const char *sql, const char *key, const char *what,
                      char *err, size_t errlen)
{
    const void *a[] = {key};
    int n;
    if (run(st, sql, "t", a, &n, err, errlen) < 0)
        return -1;
    if (n == 0) {
        s46_seterr(err, errlen, "no %s %s", what, key);
        return 1;
    }
    return 0;
}

static int sq_profile_remove(s46_store *b, const char *prefix, char *err, size_t errlen)
{
    sq_store *st = (sq_store *)b;
    if (exec(st, "SAVEPOINT profile_remove", err, errlen) < 0)
        return -1;
    int r = remove_one(st, "DELETE FROM profiles WHERE prefix = ?1", prefix, "profile", err,
                       errlen);
    if (r == 0 && version_close(st, prefix, (int64_t)time(NULL), err, errlen) < 0)
        r = -1;
    exec(st, r == 0 ? "RELEASE profile_remove" : "ROLLBACK TO profile_remove; RELEASE profile_remove",
         NULL, 0);
    return r;
}

static int sq_user_put(s46_store *b, const s46_store_user *u, char *err, size_t errlen)
{
    sq_store *st = (sq_store *)b;
    const void *a[] = {u->name, u->hash, u->prefix, &u->created};
    return run(st, "INSERT OR REPLACE INTO subscribers VALUES (?1, ?2, ?3, ?4)", "ttti", a,
               NULL, err, errlen);
}

static int sq_user_remove(s46_store *b, const char *name, int64_t *revoked, char *err,
                          size_t errlen)
{
    sq_store *st = (sq_store *)b;
    const void *a[] = {name};
    int n = 0;
    if (revoked)
        *revoked = 0;
    if (exec(st, "BEGIN IMMEDIATE", err, errlen) < 0)
        return -1;
    int r = remove_one(st, "DELETE FROM subscribers WHERE name = ?1", name, "user", err, errlen);
    if (r == 0 && run(st, "UPDATE tokens SET revoked = 1 WHERE user = ?1 AND revoked = 0", "t", a,
                      &n, err, errlen) < 0)
        r = -1;
    if (r != 0) {
        sq_rollback(&st->base);
        return r;
    }
    if (sq_commit(&st->base, err, errlen) < 0)
        return -1;
    if (revoked)
        *revoked = n;
    return 0;
}

static int step_cached(sq_store *st, sqlite3_stmt *s, char *err, size_t errlen)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_DONE)
        return dberr(st, err, errlen, "write");
    return 0;
}

static int sq_token_add(s46_store *b, const s46_store_token *t, char *err, size_t errlen)
{
    sq_store *st = (sq_store *)b;
    sqlite3_stmt *s = st->q[Q_TOK_ADD];
    bind_text(s, 1, t->hash);
    bind_text(s, 2, t->prefix);
    sqlite3_bind_int64(s, 3, t->created);
    bind_text(s, 4, t->owner);
    bind_text(s, 5, t->user);
    return step_cached(st, s, err, errlen);
}

static int sq_token_delete(s46_store *b, const char *hash, char *err, size_t errlen)
{
    sq_store *st = (sq_store *)b;
    sqlite3_stmt *s = st->q[Q_TOK_DEL];
    bind_text(s, 1, hash);
    return step_cached(st, s, err, errlen);
}

static int sq_token_prune(s46_store *b, int64_t unused_before, int64_t *n, char *err,
                          size_t errlen)
{
    sq_store *st = (sq_store *)b;
    const void *a[] = {&unused_before};
    *n = 0;
    for (;;) {
        int changes;
        if (run(st, "DELETE FROM tokens WHERE id IN (SELECT id FROM tokens WHERE last_seen < ?1"
                    " LIMIT 10000)", "i", a, &changes, err, errlen) < 0)
            return -1;
        *n += changes;
        if (changes == 0)
            return 0;
    }
}

static int sq_token_seen(s46_store *b, const char *hash, int64_t t, char *err, size_t errlen)
{
    sq_store *st = (sq_store *)b;
    sqlite3_stmt *s = st->q[Q_TOK_SEEN];
    bind_text(s, 1, hash);
    sqlite3_bind_int64(s, 2, t);
    return step_cached(st, s, err, errlen);
}

static int sq_token_revoke(s46_store *b, const char *key, bool digits, bool hex, int64_t *id,
                           char *err, size_t errlen)
{
    sq_store *st = (sq_store *)b;
    size_t n = strlen(key);
    /* Pure digits are an id when such an id exists, else a hash prefix. */
    sqlite3_stmt *s;
    const char *sql = "SELECT id FROM tokens WHERE (?1 AND id = CAST(?2 AS INTEGER))"
                      " OR (NOT ?1 AND substr(hash, 1, ?3) = ?2) LIMIT 2";
    int64_t found[2];
    int nf = 0;
    for (int pass = digits ? 0 : 1; pass < 2 && nf == 0; pass++) {
        if (pass == 1 && !hex)
            break;
        if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
            return dberr(st, err, errlen, "prepare");
        sqlite3_bind_int(s, 1, pass == 0);
        sqlite3_bind_text(s, 2, key, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(s, 3, (int64_t)n);
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW && nf < 2)
            found[nf++] = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            return dberr(st, err, errlen, "read");
    }
    if (nf == 0) {
        s46_seterr(err, errlen, "no token %s", key);
        return 1;
    }
    if (nf > 1) {
        s46_seterr(err, errlen, "token %s: more than one hash starts so; give more digits", key);
        return 2;
    }
    const void *a[] = {&found[0]};
    if (run(st, "UPDATE tokens SET revoked = 1 WHERE id = ?1", "i", a, NULL, err, errlen) < 0)
        return -1;
    if (id)
        *id = found[0];
    return 0;
}

static int sq_log_add(s46_store *b, const s46_store_logrec *r, char *err, size_t errlen)
{
    sq_store *st = (sq_store *)b;
    sqlite3_stmt *s = st->q[Q_LOG_ADD];
    sqlite3_bind_int64(s, 1, r->t_ms);
    const char *tx[] = {r->src,     r->src_prefix, r->token,      r->vendorid,
                        r->product, r->version,    r->capability};
    for (int i = 0; i < 7; i++)
        bind_text(s, i + 2, tx[i]);
    sqlite3_bind_int(s, 9, r->status);
    bind_text(s, 10, r->mechs);
    bind_text(s, 11, r->auth);
    return step_cached(st, s, err, errlen);
}

static const char *col(sqlite3_stmt *s, int i)
{
    return (const char *)sqlite3_column_text(s, i);
}

/* Runs a query and hands each row to fn (which calls the typed callback). */
typedef int (*row_fn)(sqlite3_stmt *s, void *cb, void *ctx);
static int each(sq_store *st, const char *sql, int64_t arg, row_fn fn, void *cb, void *ctx,
                char *err, size_t errlen)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return dberr(st, err, errlen, "prepare");
    sqlite3_bind_int64(s, 1, arg);
    int rc, r = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if ((r = fn(s, cb, ctx)) != 0)
            break;
    sqlite3_finalize(s);
    if (r)
        return r;
    if (rc != SQLITE_DONE)
        return dberr(st, err, errlen, "read");
    return 0;
}

static int profile_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    s46_store_profile p = {col(s, 0), col(s, 1), col(s, 2), col(s, 3),
                           sqlite3_column_int64(s, 4)};
    return ((s46_store_profile_cb)cb)(ctx, &p);
}

static int sq_profile_each(s46_store *b, s46_store_profile_cb cb, void *ctx, char *err,
                           size_t errlen)
{
    sq_store *st = (sq_store *)b;
    return each(st, "SELECT prefix, name, template, server, updated FROM profiles"
                    " WHERE ?1 = ?1 ORDER BY prefix",
                0, profile_row, (void *)cb, ctx, err, errlen);
}

static int version_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    s46_store_profile_version v = {col(s, 0), col(s, 1), col(s, 2), sqlite3_column_int64(s, 3),
                                   sqlite3_column_type(s, 4) == SQLITE_NULL
                                       ? -1
                                       : sqlite3_column_int64(s, 4)};
    return ((s46_store_version_cb)cb)(ctx, &v);
}

static int sq_profile_at(s46_store *b, int64_t t, s46_store_version_cb cb, void *ctx,
                         char *err, size_t errlen)
{
    sq_store *st = (sq_store *)b;
    return each(st, "SELECT prefix, name, template, valid_from, valid_to FROM profile_versions"
                    " WHERE valid_from <= ?1 AND (valid_to IS NULL OR valid_to > ?1)"
                    " ORDER BY prefix, id",
                t, version_row, (void *)cb, ctx, err, errlen);
}

static int user_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    s46_store_user u = {col(s, 0), col(s, 1), col(s, 2), sqlite3_column_int64(s, 3)};
    return ((s46_store_user_cb)cb)(ctx, &u);
}

static int sq_user_each(s46_store *b, s46_store_user_cb cb, void *ctx, char *err,
                        size_t errlen)
{
    sq_store *st = (sq_store *)b;
    return each(st, "SELECT name, hash, prefix, created FROM subscribers WHERE ?1 = ?1"
                    " ORDER BY name",
                0, user_row, (void *)cb, ctx, err, errlen);
}

static int token_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    s46_store_token t = {sqlite3_column_int64(s, 0), col(s, 1), col(s, 2),
                         col(s, 6),  col(s, 7), sqlite3_column_int64(s, 3),
                         sqlite3_column_int64(s, 4), sqlite3_column_int(s, 5) != 0};
    return ((s46_store_token_cb)cb)(ctx, &t);
}

static int sq_token_each(s46_store *b, unsigned which, s46_store_token_cb cb, void *ctx,
                         char *err, size_t errlen)
{
    sq_store *st = (sq_store *)b;
    /* ?1: bit 0 live wanted, bit 1 revoked wanted. */
    return each(st, "SELECT id, hash, prefix, created, last_seen, revoked, owner, user FROM tokens"
                    " WHERE (revoked = 0 AND (?1 & 1)) OR (revoked != 0 AND (?1 & 2))"
                    " ORDER BY id",
                which, token_row, (void *)cb, ctx, err, errlen);
}

static int sq_token_get(s46_store *b, const char *hash, s46_store_token_cb cb, void *ctx,
                        char *err, size_t errlen)
{
    sq_store *st = (sq_store *)b;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, "SELECT id, hash, prefix, created, last_seen, revoked, owner,"
                                   " user FROM tokens WHERE hash = ?1", -1, &s, NULL) != SQLITE_OK)
        return dberr(st, err, errlen, "prepare");
    bind_text(s, 1, hash);
    int rc = sqlite3_step(s), r = 1;
    if (rc == SQLITE_ROW) {
        token_row(s, (void *)cb, ctx);
        r = 0;
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return dberr(st, err, errlen, "read");
    if (r == 1)
        s46_seterr(err, errlen, "no token %.16s", hash);
    return r;
}

static int log_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    s46_store_logrec r = {sqlite3_column_int64(s, 0), col(s, 1), col(s, 2), col(s, 3),
                          col(s, 4), col(s, 5), col(s, 6), col(s, 7), col(s, 9), col(s, 10),
                          sqlite3_column_int(s, 8)};
    return ((s46_store_log_cb)cb)(ctx, &r);
}

static int sq_log_prune(s46_store *b, int64_t before_ms, int64_t *n, char *err,
                        size_t errlen)
{
    sq_store *st = (sq_store *)b;
    const void *a[] = {&before_ms};
    *n = 0;
    for (;;) {
        int changes;
        if (run(st, "DELETE FROM provlog WHERE id IN (SELECT id FROM provlog WHERE t_ms < ?1"
                    " ORDER BY id LIMIT 10000)", "i", a, &changes, err, errlen) < 0)
            return -1;
        *n += changes;
        if (changes == 0)
            return 0;
    }
}

static int sq_log_each(s46_store *b, int64_t since_ms, s46_store_log_cb cb, void *ctx,
                       char *err, size_t errlen)
{
    sq_store *st = (sq_store *)b;
    return each(st, "SELECT t_ms, src, src_prefix, token, vendorid, product, version,"
                    " capability, status, mechs, auth FROM provlog WHERE t_ms >= ?1 ORDER BY id",
                since_ms, log_row, (void *)cb, ctx, err, errlen);
}

static const s46_store_ops sq_ops = {
    .close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .data_version = sq_data_version,
    .profile_put = sq_profile_put,
    .profile_remove = sq_profile_remove,
    .profile_at = sq_profile_at,
    .user_put = sq_user_put,
    .user_remove = sq_user_remove,
    .token_add = sq_token_add,
    .token_seen = sq_token_seen,
    .token_delete = sq_token_delete,
    .token_prune = sq_token_prune,
    .token_revoke = sq_token_revoke,
    .token_get = sq_token_get,
    .log_add = sq_log_add,
    .profile_each = sq_profile_each,
    .user_each = sq_user_each,
    .token_each = sq_token_each,
    .log_prune = sq_log_prune,
    .log_each = sq_log_each,
};
