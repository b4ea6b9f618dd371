/* The lwAFTR's settings (dp/lwaftr.h) from JSON, the same model as the
 * other mechanisms:
 *   {"lwaftr": {"ipv6": "2001:db8:ffff::1",
 *               "bindings": [{"b4": "2001:db8:1::2", "ipv4": "192.0.2.1",
 *                             "psid": 1, "psid_length": 6, "psid_offset": 0}]}}
 * Members of the lwaftr object:
 *  "ipv6"          the lwAFTR address, or an array of up to 16 of them
 *                  (required; a binding names one with "lwaftr", else it
 *                  belongs to the first)
 *  "ipv4"          an IPv4 address of the lwAFTR: answers pings and is the
 *                  source of its ICMPv4 errors (default none: no ICMPv4 sent)
 *  "bindings"      an array of {"b4", "ipv4", "psid" (default 0),
 *                  "psid_length" (0..16, default 0), "psid_offset" (0..15,
 *                  default 0: RFC 7597 §5.1 with a = 0, contiguous port
 *                  ranges, ports 0-1023 in PSID 0), "lwaftr" (an address of
 *                  "ipv6")}
 *  "bindings_file" a CSV file of more bindings (lib/bindtab.h's format),
 *                  relative to the config file's folder
 *  "hairpin" (default true), "icmp_unreachable" (true), "icmpv6_policy"
 *  (false: RFC 7596 §6.2 ICMPv6 1/5 to unbound B4s), "icmp_rate" (0..100000,
 *  default 1000), and the tunnel settings of tunnel_conf.h.
 *  "ipv4_interface", "ipv6_interface": {"vlan": 802.1Q VID 1..4094, 0 or
 *                  absent: untagged} of that side's Ethernet ports
 * Every binding of one IPv4 address must have the same psid_length and
 * psid_offset. */
#ifndef S46_CONF_LWAFTR_CONF_H
#define S46_CONF_LWAFTR_CONF_H
#include <jansson.h>
#include <stddef.h>

#include "dp/lwaftr.h"
#include "lib/bindtab.h"

/* Does doc hold an "lwaftr" object? */
bool s46_lw_conf_is(const json_t *doc);
/* Reads doc into c (c->bt left NULL) and the bindings, from "bindings" and
 * "bindings_file", into *binds (malloc'd, *n of them). dir: the config
 * file's folder (NULL: the working directory). 0, or -1 with err. */
int s46_lw_conf_from_json(const json_t *doc, const char *dir, s46_lw_conf *c, s46_bind **binds,
                          size_t *n, char *err, size_t errlen);
/* One binding object (the members above) into b, its "lwaftr" among c's
 * addresses (for the control socket's add/replace too). */
int s46_lw_bind_from_json(const json_t *o, const s46_lw_conf *c, s46_bind *b, char *err,
                          size_t errlen);
/* s46_lw_conf_from_json of the file at path, then its bindings loaded
 * into bt (a bulk reload) and c->bt = bt. */
int s46_lw_conf_load(const char *path, s46_bindtab *bt, s46_lw_conf *c, char *err,
                     size_t errlen);
#endif
