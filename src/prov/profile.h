/* A provisioning-server profile: what one IPv6 source prefix is served.
 * Stored and loaded as two JSON objects: the HB46PP response template
 * (validated with s46_hb46pp_validate, the CE's own validator) and the
 * optional server-only options ("s46_server", never served):
 *   { "redirect": "http(s)://..." (307, then no template is needed),
 *     "ttl_jitter": 0..604800, "auth_required": bool,
 *     "token_unit": 1..128 (default 56: the source prefix whose CEs share
 *       the bound on live tokens, provd's tokens.h),
 *     "users": { "name": "$argon2id$..." } }
 * Unknown s46_server keys are refused (they are typos, not extensions).
 * A per-CE "token" or "auth" in a template is refused by _split, dropped by
 * _split with S46_PROFILE_DROP_PER_CE (importing a captured response). */
#ifndef S46_PROV_PROFILE_H
#define S46_PROV_PROFILE_H
#include <jansson.h>
#include <stdbool.h>

#include "lib/addr.h"

#define S46_PROFILE_DROP_PER_CE 1u

typedef struct s46_profile {
    s46_pfx6 pfx;
    char *name;          /* operator's label, or NULL */
    json_t *tmpl;        /* validated template; NULL for a redirect-only profile */
    char *redirect;      /* 307 Location, or NULL */
    long ttl_jitter;     /* 0..ttl_jitter seconds added to ttl */
    json_t *users;       /* {"name": "$argon2id$..."} or NULL */
    bool auth_required;  /* without credentials: order [] and auth "req" */
    unsigned token_unit; /* source prefix length for the per-source token bound */
} s46_profile;

/* Splits a profile document (template plus optional "s46_server") into a new
 * template (*tmpl) and server-options object (*server, NULL when absent),
 * both validated. 0, or -1 with err. doc is not modified. */
int s46_profile_split(const json_t *doc, unsigned flags, json_t **tmpl, json_t **server,
                      char *err, size_t errlen);
/* Builds a profile from a prefix text, a name (may be NULL), a template and
 * server options (may be NULL), validating all of them; takes no reference
 * of its arguments. 0, or -1 with err (out is then zeroed). */
int s46_profile_make(const char *prefix, const char *name, const json_t *tmpl,
                     const json_t *server, s46_profile *out, char *err, size_t errlen);
void s46_profile_free(s46_profile *p);
#endif
