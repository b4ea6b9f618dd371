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
 *    is reported through *token_dropped instead of failing (the data
 *    kept; s46-ce does not use it: docs/hb46pp.md, S9);
 *  - auth: absent, "req", "bad" or "ok" (S10);
 *  - order: required array of distinct known mechanism names (S11), and each
 *    named mechanism has its object;
 *  - map_e: via s46_mape_from_json, at most 256 rules (C15);
 *  - map_t: "dmr" IPv6 prefix, rules as MAP-E, at most 200;
 *  - dslite: "aftr" FQDN or IPv6 address;
 *  - lw4o6: lwaftr (FQDN or IPv6), ipv6 (prefix), ipv4 (address), psid,
 *    psid_length (0..16), psid_offset (0..15), psid < 2^psid_length;
 *  - 464xlat: nat64prefix, an IPv6 prefix of length 32/40/48/56/64/96;
 *  - ipip: non-empty array of {ipv6_local, ipv6_remote, ipv4 (prefix)}.
 * Objects for mechanisms not in order are validated too when present. */
#ifndef S46_PROV_HB46PP_H
#define S46_PROV_HB46PP_H
#include <jansson.h>
#include <stdbool.h>

#define S46_HB46PP_MAX_TTL 604800
#define S46_HB46PP_MAX_MAPT_RULES 200
#define S46_HB46PP_MAX_NAME 254

#define S46_HB46PP_LENIENT_TOKEN 1u

/* 0 when valid, -1 with err naming the first bad field. token_dropped may
 * be NULL; it is set to true when a lenient token check dropped a token. */
int s46_hb46pp_validate(const json_t *resp, unsigned flags, bool *token_dropped, char *err,
                        size_t errlen);
/* A DNS name usable as an AFTR name: 1..253 chars, labels 1..63 of
 * [A-Za-z0-9-], not starting or ending with '-', optional final dot. */
bool s46_hb46pp_fqdn_ok(const char *s);
/* Parses a response text (bounded by the caller), duplicate keys rejected,
 * and validates it. A new reference or NULL with err. */
json_t *s46_hb46pp_parse(const char *text, size_t len, unsigned flags, char *err,
                         size_t errlen);
#endif
