/* The CLAT's settings (dp/clat.h) from an s46-ce settings document:
 *   {"464xlat": {"nat64prefix": "64:ff9b::/96"}, "clat_ipv6": ..., ...}
 * The "464xlat" object is HB46PP's (docs/hb46pp.md): its "nat64prefix" is
 * optional (none: the caller discovers it, RFC 7050). The CE's own optional
 * top-level members:
 *  "clat_ipv6"     the CLAT's IPv6 address (default: s46_clat_default_ipv6)
 *  "clat_ipv4"     the address the LAN is NAPTed onto (default 192.0.0.1)
 *  "rfc6791_ipv4"  source of translated ICMPv6 errors from outside the
 *                  prefix (default 192.0.0.8; null: such errors dropped)
 *  "lan_mtu"       the LAN's MTU (68..65535, default 1500)
 * and the CE options the other mechanisms share (lan_ipv4, ipv6_mtu, the
 * NAPT's timers and capacities: conf/ce_conf.h), taken from base. */
#ifndef S46_CONF_CLAT_CONF_H
#define S46_CONF_CLAT_CONF_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "dp/ce_mape.h"
#include "dp/clat.h"

/* The CLAT's IPv6 address inside the End-user prefix eu: its subnet 0
 * (the first /64, or eu itself when longer) with interface identifier
 * ::c1a7, a dedicated /128 the CE routes to its data plane. */
void s46_clat_default_ipv6(const s46_pfx6 *eu, s46_ip6 *out);
/* The CE options of doc and base into c; nat64 from resp_xlat (the
 * "464xlat" object: the settings file's or an HB46PP answer's) when it has
 * nat64prefix (*have_nat64 true). clat6 stays :: unless clat_ipv6 is set
 * (*have_clat6). 0, or -1 with err naming the field. */
int s46_clat_conf_from_json(const json_t *doc, const json_t *resp_xlat, const s46_ce_conf *base,
                            s46_clat_conf *c, bool *have_nat64, bool *have_clat6, char *err,
                            size_t errlen);
#endif
