/* What a database backend of the provisioning store provides (store.h is
 * the contract of every operation): a table of operations that store.c
 * dispatches to. A backend's handle starts with struct s46_store, so a
 * backend casts the s46_store * it is given to its own type. Backends:
 * store_sqlite.c (a file, the default) and store_pg.c (a PostgreSQL
 * connection string). Library code: never prints. */
#ifndef S46_PROV_STORE_BACKEND_H
#define S46_PROV_STORE_BACKEND_H
#include "prov/store.h"

typedef struct s46_store_ops {
    void (*close)(s46_store *st);
    int (*begin)(s46_store *st, char *err, size_t errlen);
    int (*commit)(s46_store *st, char *err, size_t errlen);
    void (*rollback)(s46_store *st);
    int64_t (*data_version)(s46_store *st);
    int (*profile_put)(s46_store *st, const s46_store_profile *p, bool replace, char *err,
                       size_t errlen);
    int (*profile_remove)(s46_store *st, const char *prefix, char *err, size_t errlen);
    int (*profile_at)(s46_store *st, int64_t t, s46_store_version_cb cb, void *ctx, char *err,
                      size_t errlen);
    int (*user_put)(s46_store *st, const s46_store_user *u, char *err, size_t errlen);
    int (*user_remove)(s46_store *st, const char *name, int64_t *revoked, char *err,
                       size_t errlen);
    int (*token_add)(s46_store *st, const s46_store_token *t, char *err, size_t errlen);
    int (*token_seen)(s46_store *st, const char *hash, int64_t t, char *err, size_t errlen);
    int (*token_delete)(s46_store *st, const char *hash, char *err, size_t errlen);
    int (*token_prune)(s46_store *st, int64_t unused_before, int64_t *n, char *err,
                       size_t errlen);
    /* key already checked by s46_store_revoke_key; by_id: an id is tried first */
    int (*token_revoke)(s46_store *st, const char *key, bool by_id, bool by_hash, int64_t *id,
                        char *err, size_t errlen);
    int (*token_get)(s46_store *st, const char *hash, s46_store_token_cb cb, void *ctx,
                     char *err, size_t errlen);
    int (*log_add)(s46_store *st, const s46_store_logrec *r, char *err, size_t errlen);
    int (*profile_each)(s46_store *st, s46_store_profile_cb cb, void *ctx, char *err,
                        size_t errlen);
    int (*user_each)(s46_store *st, s46_store_user_cb cb, void *ctx, char *err, size_t errlen);
    int (*token_each)(s46_store *st, unsigned which, s46_store_token_cb cb, void *ctx,
                      char *err, size_t errlen);
    int (*log_prune)(s46_store *st, int64_t before_ms, int64_t *n, char *err, size_t errlen);
    int (*log_each)(s46_store *st, int64_t since_ms, s46_store_log_cb cb, void *ctx, char *err,
                    size_t errlen);
} s46_store_ops;

struct s46_store {
    const s46_store_ops *ops;
};

s46_store *s46_store_sqlite_open(const char *path, unsigned flags, char *err, size_t errlen);
s46_store *s46_store_pg_open(const char *conninfo, unsigned flags, char *err, size_t errlen);
#endif
