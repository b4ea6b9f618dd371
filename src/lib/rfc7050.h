/* NAT64 prefix discovery (RFC 7050 §3), the pure part: a DNS64 resolver
 * answers the AAAA query for "ipv4only.arpa" (a name with only the A
 * records 192.0.0.170 and 192.0.0.171) with addresses it synthesized, the
 * NAT64 prefix with one of those well-known addresses embedded by RFC 6052
 * (lib/rfc6052.h). Where the well-known address sits gives the prefix
 * length, the bits before it the prefix. An address counts only when it
 * holds a well-known address at one of the six RFC 6052 positions with the
 * u octet (bits 64..71, lengths below 96) and the suffix zero, so that one
 * address cannot match at two lengths. Addresses that match none (a
 * resolver without DNS64 that answers anyway) are skipped. */
#ifndef S46_RFC7050_H
#define S46_RFC7050_H
#include <stddef.h>

#include "lib/addr.h"

#define S46_RFC7050_NAME "ipv4only.arpa"
#define S46_RFC7050_WKA1 0xc00000aau /* 192.0.0.170 */
#define S46_RFC7050_WKA2 0xc00000abu /* 192.0.0.171 */

/* The length (32..96) at which a holds a well-known address, its prefix
 * in *pfx; 0 when it holds none. */
unsigned s46_rfc7050_match(const s46_ip6 *a, s46_pfx6 *pfx);
/* The prefix of the first of the n answers that holds one (*pfx); how many
 * distinct prefixes the answers hold (0: none found, pfx untouched; more
 * than 1: several NAT64s, the first is used). */
unsigned s46_rfc7050_prefix(const s46_ip6 *answers, size_t n, s46_pfx6 *pfx);
#endif
