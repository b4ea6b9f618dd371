/* The CE's own settings (s46-ce's settings file) into s46_ce_conf
 * (dp/ce_mape.h); the rules and the End-user prefix come from elsewhere. */
#ifndef S46_CONF_CE_CONF_H
#define S46_CONF_CE_CONF_H
#include <jansson.h>
#include <stddef.h>

#include "dp/ce_mape.h"

/* Optional members of doc: "filter" ("adf"/"address-dependent" or
 * "eif"/"endpoint-independent"), "lan_ipv4", the tunnel settings of
 * tunnel_conf.h ("ipv6_mtu", "hop_limit", "encap_limit"), the NAPT timers
 * in seconds "udp_timeout" (120..86400), "dns_timeout" (10..86400),
 * "tcp_established_timeout" (7440..864000), "tcp_transitory_timeout"
 * (240..86400), "icmp_timeout" (60..86400), and capacities "max_mappings",
 * "max_sessions" (16..2^22). Also seeds the NAPT's port choice. 0, or -1
 * with err naming the field. */
int s46_ce_options_from_json(const json_t *doc, s46_ce_conf *c, char *err, size_t errlen);
#endif
