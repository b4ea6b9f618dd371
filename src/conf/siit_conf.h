/* SIIT's settings (dp/siit.h) from JSON:
 *   {"siit": {"pool6": "64:ff9b::/96",
 *             "eam": [{"ipv4": "198.51.100.0/24", "ipv6": "2001:db8:6::/120"}]}}
 * Members of the siit object:
 *  "pool6"        the RFC 6052 prefix (/32, /40, /48, /56, /64 or /96)
 *  "eam"          Explicit Address Mappings (RFC 7757): "ipv4" and "ipv6"
 *                 prefixes (or single addresses) with as many suffix bits
 *  at least one of pool6 and eam; and, optional:
 *  "ipv4"         the translator's IPv4 address: answers pings, source of
 *                 its ICMPv4 errors (default none: no ICMPv4 errors sent)
 *  "ipv6"         the source of its ICMPv6 errors (default none)
 *  "rfc6791"      IPv4 source of translated ICMPv6 errors whose source has
 *                 no mapping (RFC 6791; e.g. "192.0.0.8"; default none:
 *                 such errors dropped)
 *  "ipv4_mtu", "ipv6_mtu" (default 1500), "lowest_ipv6_mtu" (the IPv6
 *  network's smallest MTU: IPv4 with DF clear is cut into IPv6 fragments
 *  no larger, RFC 7915 §4.1; default 1280), "tos": "copy" | "zero",
 *  "udp_zero_checksum": "compute" | "drop" (RFC 7915 §4.5),
 *  "ttl_decrement" (true), "icmp_rate" (0..100000, default 1000). */
#ifndef S46_CONF_SIIT_CONF_H
#define S46_CONF_SIIT_CONF_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "dp/siit.h"

bool s46_siit_conf_is(const json_t *doc);
/* doc into c (s46_siit_conf_free it after use, also on error); 0 or -1
 * with err. */
int s46_siit_conf_from_json(const json_t *doc, s46_siit_conf *c, char *err, size_t errlen);
#endif
