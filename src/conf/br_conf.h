/* The BR's settings file into s46_br_conf (dp/br_mape.h). */
#ifndef S46_CONF_BR_CONF_H
#define S46_CONF_BR_CONF_H
#include <jansson.h>
#include <stddef.h>

#include "dp/br_mape.h"

/* Reads a BR config document: an HB46PP response with map_e, or a bare map_e
 * object, plus optional members (in the document or its map_e object, the
 * latter first): "br_ipv4", the tunnel settings of tunnel_conf.h
 * ("ipv6_mtu", "hop_limit", "encap_limit"), "hairpin" (bool),
 * "icmp_unreachable" (bool), "icmp_rate" (0..100000). The rule set is built
 * into c->rules (free it with s46_ruleset_free). 0, or -1 with err naming
 * the field. */
int s46_br_conf_from_json(json_t *doc, s46_br_conf *c, char *err, size_t errlen);
#endif
