#include "conf/siit_conf.h"

#include <string.h>

#include "conf/json_get.h"
#include "lib/err.h"
#include "lib/rfc6052.h"

bool s46_siit_conf_is(const json_t *doc) { return json_is_object(json_object_get(doc, "siit")); }

/* A prefix, or an address as its full-length prefix. */
static int pfx4(const json_t *v, s46_pfx4 *p, char *err, size_t errlen)
{
    const char *s = json_string_value(v);
    return s ? s46_pfx4_parse_or_host(s, p, err, errlen) : -1;
}

static int pfx6(const json_t *v, s46_pfx6 *p, char *err, size_t errlen)
{
    const char *s = json_string_value(v);
    if (!s)
        return -1;
    if (!strchr(s, '/')) {
        p->len = 128;
        return s46_ip6_parse(s, &p->addr);
    }
    return s46_pfx6_parse(s, p, err, errlen);
}

static int choice(const json_t *o, const char *key, const char *a, const char *b, bool *is_b,
                  char *err, size_t errlen)
{
    const json_t *v = json_object_get(o, key);
    if (!v)
        return 0;
    const char *s = json_string_value(v);
    if (s && !strcmp(s, a)) {
        *is_b = false;
        return 0;
    }
    if (s && !strcmp(s, b)) {
        *is_b = true;
        return 0;
    }
    s46_seterr(err, errlen, "siit: %s: must be \"%s\" or \"%s\"", key, a, b);
    return -1;
}

int s46_siit_conf_from_json(const json_t *doc, s46_siit_conf *c, char *err, size_t errlen)
{
    s46_siit_conf_default(c);
    const json_t *o = json_object_get(doc, "siit");
    if (!json_is_object(o)) {
        s46_seterr(err, errlen, "no \"siit\" object");
        return -1;
    }
    char e[S46_ERRLEN];
    const json_t *p6 = json_object_get(o, "pool6");
    if (p6) {
        if (pfx6(p6, &c->map.pool6, e, sizeof e) < 0 || !s46_rfc6052_len_ok(c->map.pool6.len)) {
            s46_seterr(err, errlen, "siit: pool6: must be an IPv6 prefix of length 32, 40, 48, "
                                    "56, 64 or 96");
            return -1;
        }
        if (c->map.pool6.addr.b[8]) { /* the u octet, inside a /96 too (RFC 6052 §2.2) */
            s46_seterr(err, errlen, "siit: pool6: bits 64..71 must be zero (RFC 6052)");
            return -1;
        }
        c->map.has_pool6 = true;
    }
    const json_t *eam = json_object_get(o, "eam");
    if (eam && !json_is_array(eam)) {
        s46_seterr(err, errlen, "siit: eam: must be an array");
        return -1;
    }
    size_t i;
    const json_t *m;
    json_array_foreach(eam, i, m) {
        s46_pfx4 a;
        s46_pfx6 b;
        e[0] = 0;
        if (pfx4(json_object_get(m, "ipv4"), &a, e, sizeof e) < 0 ||
            pfx6(json_object_get(m, "ipv6"), &b, e, sizeof e) < 0) {
            s46_seterr(err, errlen, "siit: eam[%zu]: \"ipv4\" and \"ipv6\" must be prefixes%s%s",
                       i, e[0] ? ": " : "", e);
            return -1;
        }
        if (s46_eam_add(&c->map.eam, &a, &b, e, sizeof e) < 0) {
            s46_seterr(err, errlen, "siit: eam[%zu]: %s", i, e);
            return -1;
        }
    }
    if (!c->map.has_pool6 && !c->map.eam.n) {
        s46_seterr(err, errlen, "siit: needs \"pool6\" or \"eam\" entries");
        return -1;
    }
    if (s46_json_ip4(o, "ipv4", &c->ipv4, err, errlen) < 0 ||
        s46_json_ip6(o, "ipv6", &c->ipv6, err, errlen) < 0 ||
        s46_json_ip4(o, "rfc6791", &c->rfc6791, err, errlen) < 0 ||
        s46_json_u16(o, "ipv4_mtu", 68, 65535, &c->ipv4_mtu, err, errlen) < 0 ||
        s46_json_u16(o, "ipv6_mtu", 1280, 65535, &c->ipv6_mtu, err, errlen) < 0 ||
        s46_json_u16(o, "lowest_ipv6_mtu", 1280, 65535, &c->lowest_ipv6_mtu, err, errlen) < 0 ||
        s46_json_bool(o, "ttl_decrement", &c->ttl_decrement, err, errlen) < 0 ||
        s46_json_u32(o, "icmp_rate", 0, 100000, &c->icmp_rate, err, errlen) < 0 ||
        choice(o, "tos", "copy", "zero", &c->tos_zero, err, errlen) < 0 ||
        choice(o, "udp_zero_checksum", "compute", "drop", &c->udp_zero_drop, err, errlen) < 0)
        return -1;
    return 0;
}
