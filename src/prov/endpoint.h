/* What an HB46PP tunnel endpoint may be (br, aftr, lwaftr, ipv6_remote
 * and the like): a global unicast IPv6 address, or a DNS name to resolve
 * (then checked as an address). The validator of answers (hb46pp.h), the
 * mechanism objects (lw4o6.h) and the CE after resolving all check with
 * these. */
#ifndef S46_PROV_ENDPOINT_H
#define S46_PROV_ENDPOINT_H
#include <stdbool.h>

#include "lib/addr.h"

/* Why a (literal or resolved) tunnel endpoint is not global unicast: the
 * unspecified or loopback address, IPv4-compatible (::/96) or -mapped
 * (::ffff:0:0/96), link-local, site-local, multicast; NULL when it is. */
const char *s46_hb46pp_endpoint_bad(const s46_ip6 *a);
/* A DNS name usable as an AFTR name: 1..253 chars, labels 1..63 of
 * [A-Za-z0-9-], not starting or ending with '-', optional final dot. */
bool s46_hb46pp_fqdn_ok(const char *s);
#endif
