/* The HB46PP `map_t` object (docs/hb46pp.md): {"dmr": "<IPv6 prefix>",
 * "rules": [...as map_e's...], "mesh": bool|0|1}, and the MAP-T BR's
 * settings document: an HB46PP response with a map_t object (and no
 * map_e), or a bare map_t object, plus optional members (in the document
 * or its map_t object, the latter first): "br_ipv4" (answers pings, source
 * of ICMPv4 errors), "br_ipv6" (source of ICMPv6 errors; default: br_ipv4
 * embedded into the DMR prefix, none without br_ipv4), "ipv4_mtu",
 * "ipv6_mtu" (default 1500), "hairpin", "icmp_unreachable" (bool, default
 * on), "icmp_rate" (0..100000), as the MAP-E BR's (conf/br_conf.h);
 * "hop_limit" and "encap_limit" are accepted and have no use (nothing is
 * encapsulated). The DMR must have an RFC 6052 length (32, 40, 48, 56, 64,
 * 96) with bits 64..71 zero; the interface identifiers are RFC 7597 §6's
 * (RFC 7599 §6). */
#ifndef S46_CONF_MAPT_CONF_H
#define S46_CONF_MAPT_CONF_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "dp/br_mapt.h"
#include "lib/maprule.h"

typedef struct s46_mapt_cfg {
    s46_pfx6 dmr;
    bool mesh;
    s46_maprule *rules;       /* malloc'd, nrules entries */
    size_t nrules;
} s46_mapt_cfg;

/* The document's map_t object (borrowed): its "map_t" member when it has
 * no "map_e", or itself when it has "dmr"; else NULL. */
json_t *s46_mapt_find(json_t *doc);
static inline bool s46_mapt_conf_is(json_t *doc) { return s46_mapt_find(doc) != NULL; }
/* A map_t object; at most max_rules rules. 0, or -1 with err naming the field. */
int s46_mapt_from_json(const json_t *m, size_t max_rules, s46_mapt_cfg *out, char *err,
                       size_t errlen);
void s46_mapt_free(s46_mapt_cfg *c);
/* The BR's settings; the rule set is built into c->rules (free it with
 * s46_ruleset_free). 0, or -1 with err. */
int s46_brt_conf_from_json(json_t *doc, s46_brt_conf *c, char *err, size_t errlen);
#endif
