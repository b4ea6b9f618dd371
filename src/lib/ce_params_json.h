/* What a CE derived from its MAP rule (lib/maprule.h), as JSON: {"prefix",
 * "ipv4", "ipv4_prefix_len", "psid", "psid_len", "psid_offset", "ports":
 * [[first, last], ...], "port_count", "ce_ipv6", "iid"}; the shape
 * `s46 calc --json` and `s46 show` share. */
#ifndef S46_CE_PARAMS_JSON_H
#define S46_CE_PARAMS_JSON_H
#include <jansson.h>

#include "lib/maprule.h"

/* NULL when out of memory. */
json_t *s46_ce_params_json(const s46_ce_params *p, s46_iid_layout layout);
#endif
