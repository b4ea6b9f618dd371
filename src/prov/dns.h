/* DNS look-ups of the HB46PP client through c-ares: the TXT record of
 * `4over6.info` (docs/hb46pp.md, D1) and AAAA records for server and AFTR names.
 * Blocking (the caller runs them off the packet path), bounded by a
 * timeout. `servers` is NULL for the system resolver (/etc/resolv.conf, read
 * anew on every call) or a c-ares server list such as
 * "[2001:db8::53]:53,2001:db8::54". */
#ifndef S46_PROV_DNS_H
#define S46_PROV_DNS_H
#include <stddef.h>

#include "lib/addr.h"

typedef enum s46_dns_status {
    S46_DNS_OK = 0,
    S46_DNS_NXDOMAIN,  /* the name does not exist */
    S46_DNS_NODATA,    /* the name exists without records of the type */
    S46_DNS_MULTIPLE,  /* TXT: more than one record (D1: exactly one) */
    S46_DNS_FAIL,      /* SERVFAIL, REFUSED, timeout, unreachable, bad reply */
} s46_dns_status;

const char *s46_dns_status_name(s46_dns_status s);

/* The text of the single TXT record of name (its strings concatenated) in
 * out, *len bytes (a NUL follows; the text itself may hold NUL bytes, so
 * use *len; longer texts are S46_DNS_FAIL). err says why on anything but
 * S46_DNS_OK. */
s46_dns_status s46_dns_txt(const char *name, const char *servers, unsigned timeout_ms,
                           char *out, size_t outlen, size_t *len, char *err, size_t errlen);
/* The first AAAA address of name (an IPv6 literal is returned as is). */
s46_dns_status s46_dns_aaaa(const char *name, const char *servers, unsigned timeout_ms,
                            s46_ip6 *out, char *err, size_t errlen);
/* Every AAAA address of name, at most max of them in out (*n set; a
 * larger answer is cut at max): the CLAT's NAT64 prefix discovery
 * (lib/rfc7050.h) looks at them all. */
s46_dns_status s46_dns_aaaa_all(const char *name, const char *servers, unsigned timeout_ms,
                                s46_ip6 *out, size_t max, size_t *n, char *err, size_t errlen);
#endif
