/* What the server answers from: the profiles (from --profile files and the
 * database) and the database's subscribers, built as one immutable
 * snapshot. Request handlers take a reference (provd_cfg_get) and drop it
 * when done (provd_cfg_put); a reload builds a new snapshot and installs it
 * (provd_cfg_install); the old one is freed when its last request ends. */
#ifndef S46_PROVD_CONFIG_H
#define S46_PROVD_CONFIG_H
#include "lib/addr.h"
#include "prov/profile.h"
#include "prov/store.h"

#include <stdbool.h>

typedef struct provd_user {
    char *name, *hash;
    bool bound;          /* only for the profile whose prefix is pfx */
    s46_pfx6 pfx;
} provd_user;

typedef struct provd_cfg {
    int refs;
    s46_profile *profiles;
    bool *uses_auth;     /* per profile: users of its own, or auth_required */
    size_t nprofiles;
    provd_user *users;   /* sorted by name */
    size_t nusers;
    size_t skipped;      /* database rows that did not validate */
} provd_cfg;

/* Builds a snapshot from the database (st may be NULL) and the --profile
 * PREFIX=FILE arguments (a file's profile replaces a database profile with
 * the same prefix). NULL with err when a file or the database fails; a
 * database profile that does not validate is skipped and counted, with the
 * first such error in warn (warn may be NULL). */
provd_cfg *provd_cfg_build(s46_store *st, char *const *files, int nfiles, char *err,
                           size_t errlen, char *warn, size_t warnlen);
provd_cfg *provd_cfg_get(void);
void provd_cfg_put(provd_cfg *c);
/* Makes c current and drops the reference to the previous one. */
void provd_cfg_install(provd_cfg *c);

/* Index of the longest prefix holding a, or -1. */
int provd_cfg_lpm(const provd_cfg *c, const s46_ip6 *a);
/* Index of the profile with exactly this prefix, or -1. */
int provd_cfg_find(const provd_cfg *c, const s46_pfx6 *p);
/* The argon2id hash for user name on profile i (its own users first, then
 * the database's subscribers bound to it or to no profile), or NULL. */
const char *provd_cfg_user_hash(const provd_cfg *c, int i, const char *name);
#endif
