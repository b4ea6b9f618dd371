#include "conf/nat64_conf.h"

#include <string.h>

#include "conf/json_get.h"
#include "lib/err.h"
#include "lib/rfc6052.h"

bool s46_nat64_settings_is(const json_t *doc)
{
    return json_is_object(json_object_get(doc, "nat64"));
}

int s46_nat64_settings_from_json(const json_t *doc, s46_nat64_settings *s, char *err,
                                 size_t errlen)
{
    memset(s, 0, sizeof *s);
    s46_nat64_conf *c = &s->c;
    s46_nat64_conf_default(c);
    const json_t *o = json_object_get(doc, "nat64");
    if (!json_is_object(o)) {
        s46_seterr(err, errlen, "no \"nat64\" object");
        return -1;
    }
    const char *p6 = json_string_value(json_object_get(o, "pool6"));
    char e[S46_ERRLEN];
    if (!p6 || s46_pfx6_parse(p6, &c->pool6, e, sizeof e) < 0 ||
        !s46_rfc6052_len_ok(c->pool6.len)) {
        s46_seterr(err, errlen, "nat64.pool6: required, an IPv6 prefix of length 32, 40, 48, "
                                "56, 64 or 96");
        return -1;
    }
    if (c->pool6.len < 96 && c->pool6.addr.b[8]) {
        s46_seterr(err, errlen, "nat64.pool6: bits 64..71 must be zero (RFC 6052)");
        return -1;
    }
    if (s46_json_ip4(o, "ipv4", &c->ipv4, err, errlen) < 0 ||
        s46_json_ip6(o, "ipv6", &c->ipv6, err, errlen) < 0 ||
        s46_json_u16(o, "ipv4_mtu", 68, 65535, &c->ipv4_mtu, err, errlen) < 0 ||
        s46_json_u16(o, "ipv6_mtu", 1280, 65535, &c->ipv6_mtu, err, errlen) < 0 ||
        s46_json_u16(o, "lowest_ipv6_mtu", 1280, 65535, &c->lowest_ipv6_mtu, err, errlen) < 0 ||
        s46_json_bool(o, "tos_zero", &c->tos_zero, err, errlen) < 0 ||
        s46_json_bool(o, "hairpin", &c->hairpin, err, errlen) < 0 ||
        s46_json_u32(o, "icmp_rate", 0, 100000, &c->icmp_rate, err, errlen) < 0 ||
        s46_json_u8(o, "subscriber_prefix", 32, 128, &c->cgn.sub_len, err, errlen) < 0)
        return -1;
    if (s46_cgn_settings_from_json(o, "pool4", &c->cgn, &s->g, e, sizeof e) < 0) {
        s46_seterr(err, errlen, "nat64.%s", e);
        return -1;
    }
    return 0;
}

void s46_nat64_settings_free(s46_nat64_settings *s)
{
    s46_cgn_settings_free(&s->g);
    s->c.cgn.pool = s->c.cgn.excluded = NULL;
}
