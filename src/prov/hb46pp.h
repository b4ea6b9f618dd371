/* The whole HB46PP response (docs/hb46pp.md, S8-S11, C12-C15, N2):
 * the validator shared by the provisioning server (it checks everything it
 * serves) and the CE client (it checks everything it applies).
 *
 * Rules enforced (errors name the field, e.g. "map_t.rules[3].ipv4: ..."):
 *  - the document is an object; unknown keys are ignored (C12);
 *  - enabler_name / service_name / isp_name: strings, at most 254 bytes
 *    (256 including the quotes);
 *  - ttl: integer 0..604800 (S8), optional;
 *  - token: 64 lowercase hex (S9); with S46_HB46PP_LENIENT_TOKEN a bad token
 *    is reported through *token_dropped instead of failing, and the caller
 *    drops it and keeps the rest (s46-ce does: docs/hb46pp.md, S9);
 *  - auth: absent, "req", "bad" or "ok" (S10);
 *  - order: required array of distinct known mechanism names (S11), and each
 *    named mechanism has its object;
 *  - map_e: via s46_mape_from_json, at most 256 rules (C15), and the rules
 *    must build a rule set (lib/ruleset.h: no IPv6 prefix twice, no IPv4
 *    prefix shared with overlapping port sets) -- the same code the CE
 *    and the BR build it with, so an answer that passes here runs (N2);
 *    br global unicast (s46_hb46pp_endpoint_bad) and outside every Rule
 *    IPv6 prefix (an address there is a CE's, e.g. its MAP address);
 *  - map_t: "dmr" IPv6 prefix, rules as MAP-E (rule set included), at most 200;
 *  - dslite: "aftr" FQDN or global unicast IPv6 address;
 *  - lw4o6: via s46_lw4o6_from_json (prov/lw4o6.h): lwaftr (FQDN, or
 *    global unicast IPv6 outside ipv6), ipv6 (prefix; a /128 global
 *    unicast), ipv4 (unicast address), psid, psid_length (0..16),
 *    psid_offset (0..15), psid_offset + psid_length <= 16,
 *    psid < 2^psid_length;
 *  - 464xlat: nat64prefix optional (none: the CE discovers it, RFC 7050),
 *    an IPv6 prefix of length 32/40/48/56/64/96, global unicast
 *    (s46_hb46pp_endpoint_bad), the Well-Known Prefix only as
 *    64:ff9b::/96;
 *  - ipip: non-empty array of {ipv6_local, ipv6_remote (global unicast,
 *    distinct), ipv4 (prefix of length 1..32)}.
 * Objects for mechanisms not in order are validated too when present. */
#ifndef S46_PROV_HB46PP_H
#define S46_PROV_HB46PP_H
#include <jansson.h>
#include <stdbool.h>

#include "lib/addr.h"
#include "prov/endpoint.h"

#define S46_HB46PP_MAX_TTL 604800
#define S46_HB46PP_MAX_MAPT_RULES 200
#define S46_HB46PP_MAX_NAME 254

#define S46_HB46PP_LENIENT_TOKEN 1u

/* 0 when valid, -1 with err naming the first bad field. token_dropped may
 * be NULL; it is set to true when a lenient token check dropped a token. */
int s46_hb46pp_validate(const json_t *resp, unsigned flags, bool *token_dropped, char *err,
                        size_t errlen);
/* Parses a response text (bounded by the caller), duplicate keys rejected,
 * and validates it. A new reference or NULL with err. */
json_t *s46_hb46pp_parse(const char *text, size_t len, unsigned flags, char *err,
                         size_t errlen);
#endif
