#include "prov/lw4o6.h"
#include "prov/endpoint.h"
#include "lib/err.h"
#include "lib/maprule.h"

#include <stdio.h>
#include <string.h>

static const char *str(const json_t *o, const char *key, char *err, size_t errlen)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v)) {
        s46_seterr(err, errlen, "lw4o6.%s: %s", key, v ? "must be a string" : "missing");
        return NULL;
    }
    return json_string_value(v);
}

static int num(const json_t *o, const char *key, long hi, long *out, char *err, size_t errlen)
{
    json_t *v = json_object_get(o, key);
    if (!v || !json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > hi) {
        if (v)
            s46_seterr(err, errlen, "lw4o6.%s: must be an integer 0..%ld", key, hi);
        else
            s46_seterr(err, errlen, "lw4o6.%s: missing", key);
        return -1;
    }
    *out = (long)json_integer_value(v);
    return 0;
}

static bool unicast4(uint32_t a)
{
    return (a >> 24) != 0 && (a >> 24) != 127 && a < 0xe0000000u;
}

int s46_lw4o6_from_json(const json_t *o, s46_lw4o6_cfg *out, char *err, size_t errlen)
{
    char e[S46_ERRLEN];
    memset(out, 0, sizeof *out);
    if (!json_is_object(o)) {
        s46_seterr(err, errlen, "lw4o6: must be an object");
        return -1;
    }
    const char *aftr = str(o, "lwaftr", err, errlen), *v6, *v4;
    if (!aftr)
        return -1;
    if (s46_ip6_parse(aftr, &out->lwaftr_addr) == 0) {
        const char *why = s46_hb46pp_endpoint_bad(&out->lwaftr_addr);
        if (why) {
            s46_seterr(err, errlen, "lw4o6.lwaftr: %s cannot be a tunnel endpoint", why);
            return -1;
        }
        out->lwaftr_literal = true;
    } else if (strchr(aftr, ':') || !s46_hb46pp_fqdn_ok(aftr)) {
        s46_seterr(err, errlen, "lw4o6.lwaftr: must be an IPv6 address or a DNS name");
        return -1;
    }
    snprintf(out->lwaftr, sizeof out->lwaftr, "%s", aftr);
    if (!(v6 = str(o, "ipv6", err, errlen)))
        return -1;
    if (s46_pfx6_parse(v6, &out->ipv6, e, sizeof e) < 0) {
        s46_seterr(err, errlen, "lw4o6.ipv6: %s", e);
        return -1;
    }
    if (out->ipv6.len == 128 && s46_hb46pp_endpoint_bad(&out->ipv6.addr)) {
        s46_seterr(err, errlen, "lw4o6.ipv6: %s cannot be a tunnel endpoint",
                   s46_hb46pp_endpoint_bad(&out->ipv6.addr));
        return -1;
    }
    if (out->lwaftr_literal && s46_pfx6_contains(&out->ipv6, &out->lwaftr_addr)) {
        s46_seterr(err, errlen, "lw4o6.lwaftr: inside lw4o6.ipv6 (the B4's side)");
        return -1;
    }
    if (!(v4 = str(o, "ipv4", err, errlen)))
        return -1;
    if (s46_ip4_parse(v4, &out->ipv4) < 0) {
        s46_seterr(err, errlen, "lw4o6.ipv4: not an IPv4 address");
        return -1;
    }
    if (!unicast4(out->ipv4)) {
        s46_seterr(err, errlen, "lw4o6.ipv4: not a unicast address");
        return -1;
    }
    long plen, poff, psid;
    if (num(o, "psid_length", 16, &plen, err, errlen) < 0 ||
        num(o, "psid_offset", 15, &poff, err, errlen) < 0 ||
        num(o, "psid", 65535, &psid, err, errlen) < 0)
        return -1;
    if (plen + poff > 16) {
        s46_seterr(err, errlen, "lw4o6.psid_length: psid_offset + psid_length > 16");
        return -1;
    }
    if (plen < 16 && psid >= (1L << plen)) {
        s46_seterr(err, errlen, "lw4o6.psid: does not fit in psid_length bits");
        return -1;
    }
    out->psid = (uint16_t)psid;
    out->psid_len = (uint8_t)plen;
    out->psid_offset = (uint8_t)poff;
    return 0;
}

int s46_lw4o6_b4(const s46_lw4o6_cfg *c, const s46_pfx6 *eu, s46_ip6 *out, char *err,
                 size_t errlen)
{
    char b[S46_PFX6_STRLEN], b2[S46_PFX6_STRLEN];
    const s46_pfx6 *base = NULL;
    if (c->ipv6.len == 128)
        *out = c->ipv6.addr;
    else if (c->ipv6.len >= eu->len && s46_pfx6_contains(eu, &c->ipv6.addr))
        base = &c->ipv6;
    else if (eu->len > c->ipv6.len && s46_pfx6_contains(&c->ipv6, &eu->addr))
        base = eu;
    if (base)
        s46_ip6_from_u128(out, s46_map_addr128_(s46_ip6_u128(&base->addr), base->len, c->ipv4,
                                                c->psid, S46_IID_RFC7597));
    if ((!base && c->ipv6.len != 128) || !s46_pfx6_contains(eu, out)) {
        s46_seterr(err, errlen, "lw4o6.ipv6 %s is not inside the End-user prefix %s",
                   s46_pfx6_format(&c->ipv6, b), s46_pfx6_format(eu, b2));
        return -1;
    }
    return 0;
}
