/* The NAT64's settings file into s46_nat64_conf (dp/nat64.h) and the
 * port-block log's settings. The document is {"nat64": {...}}:
 *   "pool6" (required): the RFC 6052 prefix (length 32, 40, 48, 56, 64 or
 *   96; bits 64..71 zero);
 *   "pool4" (required) and the other CGN settings of conf/cgn_conf.h
 *   (excluded, ports, blocks, filtering, limits, timeouts, capacity, log,
 *   seed);
 *   "ipv4": source of ICMPv4 errors (default: the first pool4 address);
 *   "ipv6": source of ICMPv6 errors (default: ipv4 inside pool6);
 *   "ipv4_mtu" (>= 68), "ipv6_mtu" (>= 1280), default 1500;
 *   "tos_zero" (default false), "hairpin" (default true), "icmp_rate";
 *   "subscriber_prefix" (32..128, default 128): the subscriber whose
 *   blocks, address and limits a host shares is its source address's
 *   prefix of that length (64 or 56: a customer's /64 or /56).
 * 0, or -1 with err naming the member. */
#ifndef S46_CONF_NAT64_CONF_H
#define S46_CONF_NAT64_CONF_H
#include <jansson.h>
#include <stdbool.h>

#include "conf/cgn_conf.h"
#include "dp/nat64.h"

typedef struct s46_nat64_settings {
    s46_nat64_conf c;           /* c.cgn.pool/excluded point into g; c.log is
                                   left NULL: the caller opens the log */
    s46_cgn_settings g;
} s46_nat64_settings;

/* Whether doc is a NAT64 settings document (has a "nat64" object). */
bool s46_nat64_settings_is(const json_t *doc);
int s46_nat64_settings_from_json(const json_t *doc, s46_nat64_settings *s, char *err,
                                 size_t errlen);
void s46_nat64_settings_free(s46_nat64_settings *s);
#endif
