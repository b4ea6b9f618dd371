/* The HB46PP `lw4o6` object (docs/hb46pp.md), what the provisioning server
 * serves and the CE's lwB4 runs:
 *   { "lwaftr": "<DNS name or IPv6 address>", "ipv6": "<IPv6 prefix or
 *     address>", "ipv4": "<IPv4 address>", "psid": 0..65535,
 *     "psid_length": 0..16, "psid_offset": 0..15 }
 * psid_offset + psid_length <= 16 and psid < 2^psid_length (the port set
 * of RFC 7597 §5.1; offset 0: contiguous ranges, ports 0-1023 in PSID 0).
 * A literal lwAFTR address must be global unicast and outside "ipv6" (an
 * address there is the B4's side); "ipv4" a unicast address (not 0/8,
 * 127/8, multicast or above); the B4 address ("ipv6" itself when it is a
 * /128, else see s46_lw4o6_b4) global unicast.
 * Unknown keys are ignored; every error names the field ("lw4o6.psid: ..."). */
#ifndef S46_PROV_LW4O6_H
#define S46_PROV_LW4O6_H
#include <jansson.h>
#include <stdbool.h>

#include "lib/addr.h"

typedef struct s46_lw4o6_cfg {
    char lwaftr[256];          /* as given: a DNS name or an IPv6 address */
    bool lwaftr_literal;       /* an address, in lwaftr_addr */
    s46_ip6 lwaftr_addr;
    s46_pfx6 ipv6;             /* the binding prefix (or /128 address) */
    uint32_t ipv4;
    uint16_t psid;
    uint8_t psid_len, psid_offset;
} s46_lw4o6_cfg;

/* 0, or -1 with err naming the field. */
int s46_lw4o6_from_json(const json_t *o, s46_lw4o6_cfg *out, char *err, size_t errlen);
/* The lwB4's tunnel address for the End-user prefix eu (RFC 7596 §5.1):
 * "ipv6" when it is a /128; else, of "ipv6" and eu (one must contain the
 * other), the longer prefix with the RFC 7597 §6 interface identifier (16
 * zero bits, the IPv4 address, the PSID). -1 with err when the address is
 * outside eu (the answer is for another CE). */
int s46_lw4o6_b4(const s46_lw4o6_cfg *c, const s46_pfx6 *eu, s46_ip6 *out, char *err,
                 size_t errlen);
#endif
