/* A NAPT table as JSON for `s46 show`: its state and its mappings. */
#ifndef S46_DP_NAPT_JSON_H
#define S46_DP_NAPT_JSON_H
#include <jansson.h>

#include "lib/napt.h"

/* {"mappings", "sessions", "ports_total", "ports_used_tcp", "ports_used_udp",
 *  "ports_used_icmp", "filtering", "bytes_per_mapping"} */
json_t *s46_napt_state_json(const s46_napt *n, s46_napt_filter filter);
/* [{"proto", "internal", "internal_port", "external_port", "sessions",
 *   "expires"}, ...], at most max entries. */
json_t *s46_napt_mappings_json(const s46_napt *n, unsigned max);
#endif
