/* The provisioning server's database, holding profiles (with their
 * versions), subscribers, tokens and the provisioning log, in one of two
 * backends picked by s46_store_open's argument (store_backend.h):
 *  - a file name: SQLite in WAL mode with synchronous=FULL (the default);
 *  - postgresql://... or postgres://... (a libpq connection URI):
 *    PostgreSQL, shared by several servers, synchronous_commit=on.
 * Both have the same schema, created or migrated in order up to
 * S46_STORE_SCHEMA (SQLite: PRAGMA user_version; PostgreSQL: the table
 * s46_schema, migrated under an advisory lock). A write outside
 * s46_store_begin/commit is one transaction: when it returns 0 the change is
 * durable. SQLite writers wait up to 5 s for one another (busy timeout).
 * Results: 0 ok, 1 not found, 2 bad input (e.g. an ambiguous token prefix),
 * -1 database error; err names the problem. Library code: never prints.
 * One s46_store per thread. Tokens are kept only as BLAKE2b-256 hashes. */
#ifndef S46_PROV_STORE_H
#define S46_PROV_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"

#define S46_STORE_SCHEMA 4
#define S46_STORE_CREATE 1u   /* create the file when missing */

typedef struct s46_store s46_store;

s46_store *s46_store_open(const char *path, unsigned flags, char *err, size_t errlen);
void s46_store_close(s46_store *st);
/* Grouped writes (one fsync for all of them). */
int s46_store_begin(s46_store *st, char *err, size_t errlen);
int s46_store_commit(s46_store *st, char *err, size_t errlen);
/* Abandons the open transaction (none open: no effect). */
void s46_store_rollback(s46_store *st);
/* Changes when another process may have changed what a server answers
 * from (profiles, subscribers, revoked or pruned tokens); -1 on error.
 * SQLite: PRAGMA data_version (any commit by another connection).
 * PostgreSQL: the count of notifications on channel s46_provd, which every
 * admin write sends in its transaction (the first call starts listening),
 * plus one after each reconnection (notifications may have been missed).
 * Cheap: call it often. */
int64_t s46_store_data_version(s46_store *st);

/* Whether db names a PostgreSQL database (postgresql:// or postgres://). */
bool s46_store_is_pg(const char *db);
/* db for messages: a PostgreSQL URI's password (user:PASSWORD@ or
 * password=PASSWORD) replaced by "***"; at most n - 1 characters. */
const char *s46_store_redact(const char *db, char *out, size_t n);

typedef struct s46_store_profile {
    const char *prefix, *name, *tmpl, *server; /* name/server may be NULL; JSON texts */
    int64_t updated;                           /* unix seconds */
} s46_store_profile;
/* Inserts, or replaces when replace is true (else 2 "exists"). prefix must
 * be canonical (s46_pfx6_format). Each put also starts a new version of the
 * profile valid from p->updated (the one in force ends then); a remove ends
 * the version in force at the current time. */
int s46_store_profile_put(s46_store *st, const s46_store_profile *p, bool replace, char *err,
                          size_t errlen);
int s46_store_profile_remove(s46_store *st, const char *prefix, char *err, size_t errlen);

/* A profile version: its template was served from valid_from (unix
 * seconds, inclusive) to valid_to (exclusive; -1: still in force). */
typedef struct s46_store_profile_version {
    const char *prefix, *name, *tmpl;
    int64_t valid_from, valid_to;
} s46_store_profile_version;
typedef int (*s46_store_version_cb)(void *ctx, const s46_store_profile_version *v);
/* The versions in force at time t (unix seconds), by prefix. */
int s46_store_profile_at(s46_store *st, int64_t t, s46_store_version_cb cb, void *ctx,
                         char *err, size_t errlen);

typedef struct s46_store_user {
    const char *name, *hash, *prefix; /* prefix: profile binding or NULL */
    int64_t created;
} s46_store_user;
int s46_store_user_put(s46_store *st, const s46_store_user *u, char *err, size_t errlen);
/* Removes the subscriber and revokes the tokens issued to it (one
 * transaction; *revoked, if not NULL, gets how many). */
int s46_store_user_remove(s46_store *st, const char *name, int64_t *revoked, char *err,
                          size_t errlen);

typedef struct s46_store_token {
    int64_t id;
    const char *hash;    /* 64 lowercase hex of the BLAKE2b-256 hash */
    const char *prefix;  /* the profile it was issued for */
    const char *owner;   /* what it counts against (source prefix or "user:NAME"); may be NULL */
    const char *user;    /* the subscriber it authenticates (issued on auth ok), or NULL */
    int64_t created, last_seen;
    bool revoked;
} s46_store_token;
/* Records an issued token: hash, prefix, owner, user, created (= last
 * seen); a known hash is left as it is. */
int s46_store_token_add(s46_store *st, const s46_store_token *t, char *err, size_t errlen);
int s46_store_token_seen(s46_store *st, const char *hash, int64_t t, char *err, size_t errlen);
/* Forgets one token (replaced by a newer one of its owner); absent: 0. */
int s46_store_token_delete(s46_store *st, const char *hash, char *err, size_t errlen);
/* Deletes the tokens last seen before unused_before (unix seconds),
 * 10 000 per transaction; *n gets how many. */
int s46_store_token_prune(s46_store *st, int64_t unused_before, int64_t *n, char *err,
                          size_t errlen);
/* key: a decimal id, or 4..64 hex digits that start exactly one hash. */
int s46_store_token_revoke(s46_store *st, const char *key, int64_t *id, char *err,
                           size_t errlen);

/* Checks a revoke key (see s46_store_token_revoke): 0 with *by_id (only
 * digits: an id is tried first) and *by_hash (a hash prefix), or 2 and err. */
int s46_store_revoke_key(const char *key, bool *by_id, bool *by_hash, char *err, size_t errlen);

typedef struct s46_store_logrec {
    int64_t t_ms;
    const char *src, *src_prefix, *token, *vendorid, *product, *version, *capability,
        *mechs, *auth;   /* any may be NULL; token: a hash prefix, never the token */
    int status;
} s46_store_logrec;
int s46_store_log_add(s46_store *st, const s46_store_logrec *r, char *err, size_t errlen);

/* Iteration in a stable order; the callback's strings live until it returns;
 * a non-zero callback result stops and is returned. */
typedef int (*s46_store_profile_cb)(void *ctx, const s46_store_profile *p);
typedef int (*s46_store_user_cb)(void *ctx, const s46_store_user *u);
typedef int (*s46_store_token_cb)(void *ctx, const s46_store_token *t);
typedef int (*s46_store_log_cb)(void *ctx, const s46_store_logrec *r);
#define S46_STORE_LIVE 1u
#define S46_STORE_REVOKED 2u
int s46_store_profile_each(s46_store *st, s46_store_profile_cb cb, void *ctx, char *err,
                           size_t errlen);
int s46_store_user_each(s46_store *st, s46_store_user_cb cb, void *ctx, char *err,
                        size_t errlen);
int s46_store_token_each(s46_store *st, unsigned which, s46_store_token_cb cb, void *ctx,
                         char *err, size_t errlen);
/* The token with this hash (64 lowercase hex): 0 and cb called once, 1
 * when there is none (revoked ones are found: check t->revoked). */
int s46_store_token_get(s46_store *st, const char *hash, s46_store_token_cb cb, void *ctx,
                        char *err, size_t errlen);
/* Deletes the log records with t_ms < before_ms, 10 000 rows per
 * transaction (so a running server's writes get in between); *n gets how
 * many were deleted (also when it fails half-way). */
int s46_store_log_prune(s46_store *st, int64_t before_ms, int64_t *n, char *err,
                        size_t errlen);
/* Log records with t_ms >= since_ms and, when src is not NULL, a source
 * address inside src; oldest first. */
int s46_store_log_each(s46_store *st, int64_t since_ms, const s46_pfx6 *src,
                       s46_store_log_cb cb, void *ctx, char *err, size_t errlen);
/* Whether a log record's source address addr is inside src (NULL: any). */
bool s46_store_log_src_ok(const s46_pfx6 *src, const char *addr);
#endif
