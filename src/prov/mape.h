/* The HB46PP `map_e` object (docs/hb46pp.md, "The JSON answer"), the one description of a
 * MAP-E domain that the provisioning server serves, the CE applies, the BR
 * loads and `s46 calc` reads:
 *   { "version": 0|1, "mesh": bool|0|1, "br": "<IPv6>",
 *     "rules": [ { "ipv6": "<prefix>", "ipv4": "<prefix>",
 *                  "ea_length": 0..48, "psid_offset": 0..15 }, ... ] }
 * version 0 (or absent) = draft-03 interface identifier, 1 = RFC 7597.
 * Extension (ours, for o = 0 rules): "psid_length" and "psid" in a rule.
 * Unknown keys are ignored; every error names the offending field. */
#ifndef S46_PROV_MAPE_H
#define S46_PROV_MAPE_H
#include <jansson.h>

#include "lib/ce_params_json.h" /* what a CE derived, as JSON */
#include "lib/maprule.h"

#define S46_HB46PP_MAX_MAPE_RULES 256

typedef struct s46_mape_cfg {
    int version;            /* 0 = draft03 IID, 1 = RFC 7597 IID */
    bool mesh;              /* false = hub and spoke */
    s46_ip6 br;             /* BR IPv6 address */
    s46_maprule *rules;     /* malloc'd, nrules entries */
    size_t nrules;
} s46_mape_cfg;

/* Parses a map_e object. At most max_rules rules (256 for HB46PP CEs, more
 * for a BR); each rule is validated with s46_maprule_validate. 0 or -1. */
int s46_mape_from_json(const json_t *obj, size_t max_rules, s46_mape_cfg *out, char *err,
                       size_t errlen);
/* A new map_e object (caller json_decref's it); NULL when out of memory. */
json_t *s46_mape_to_json(const s46_mape_cfg *cfg);
void s46_mape_free(s46_mape_cfg *cfg);
static inline s46_iid_layout s46_mape_layout(const s46_mape_cfg *c)
{
    return c->version == 1 ? S46_IID_RFC7597 : S46_IID_DRAFT03;
}

/* Loads a JSON file (duplicate keys rejected). NULL with err on failure. */
json_t *s46_json_load_file(const char *path, char *err, size_t errlen);
/* Given a document that is either an HB46PP response (with a map_e member)
 * or a bare map_e object, returns the map_e object (borrowed), else NULL. */
json_t *s46_mape_find(json_t *doc);
#endif
