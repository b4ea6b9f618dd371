/* HB46PP request query parameters (docs/hb46pp.md, C4-C9; N6):
 * format validators and a tolerant query-string parser for the server.
 * Pure functions: no I/O, no allocation except where stated. */
#ifndef S46_PROV_QUERY_H
#define S46_PROV_QUERY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Capability bits (C7). */
enum {
    S46_CAP_464XLAT = 1u << 0,
    S46_CAP_DSLITE = 1u << 1,
    S46_CAP_IPIP = 1u << 2,
    S46_CAP_LW4O6 = 1u << 3,
    S46_CAP_MAPE = 1u << 4,
    S46_CAP_MAPT = 1u << 5,
    S46_CAP_HUBSPOKE = 1u << 6,
    S46_CAP_MESH = 1u << 7,
};

/* C4: 6 hex digits, optionally '-' and 1..24 of [0-9A-Za-z_]. */
bool s46_q_vendorid_ok(const char *s);
/* C5: [A-Za-z0-9_-]{1,32}. */
bool s46_q_product_ok(const char *s);
/* C6: [0-9_]{1,32}. */
bool s46_q_version_ok(const char *s);
/* C9: [A-Za-z0-9_-]{1,32} (user and pass). */
bool s46_q_cred_ok(const char *s);
/* S9/C8: exactly 64 lowercase hex digits. */
bool s46_q_token_ok(const char *s);
/* C7: comma-separated names (already percent-decoded). Unknown names are
 * ignored (forward compatible); empty items are tolerated. Returns the
 * capability bits, or -1 when the string is not [a-z0-9_,]* or too long. */
int s46_q_capability_parse(const char *s);
/* Name of a single mechanism bit ("map_e"...), NULL for others. */
const char *s46_q_cap_name(unsigned bit);

/* Percent-decodes src (length n) into dst (size dstlen, NUL terminated);
 * '+' becomes ' '. -1 on a malformed escape, an embedded NUL or overflow. */
int s46_q_pct_decode(const char *src, size_t n, char *dst, size_t dstlen);
#endif
