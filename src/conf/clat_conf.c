#include "conf/clat_conf.h"

#include <string.h>

#include "conf/json_get.h"
#include "lib/err.h"
#include "lib/rfc6052.h"

void s46_clat_default_ipv6(const s46_pfx6 *eu, s46_ip6 *out)
{
    *out = eu->addr;
    s46_ip6_mask(out, eu->len < 64 ? eu->len : 64);
    if (eu->len <= 112) {
        out->b[14] = 0xc1;
        out->b[15] = 0xa7;
    }
}

int s46_clat_conf_from_json(const json_t *doc, const json_t *resp_xlat, const s46_ce_conf *base,
                            s46_clat_conf *c, bool *have_nat64, bool *have_clat6, char *err,
                            size_t errlen)
{
    char e[S46_ERRLEN];
    s46_clat_conf_default(c);
    c->ipv6_mtu = base->ipv6_mtu;
    c->lan_ipv4 = base->lan_ipv4;
    c->napt = base->napt;
    *have_nat64 = *have_clat6 = false;
    json_t *np = resp_xlat ? json_object_get(resp_xlat, "nat64prefix") : NULL;
    if (resp_xlat && !json_is_object(resp_xlat)) {
        s46_seterr(err, errlen, "464xlat: must be an object");
        return -1;
    }
    if (np) {
        if (!json_is_string(np) || s46_pfx6_parse(json_string_value(np), &c->nat64, e, sizeof e) < 0) {
            s46_seterr(err, errlen, "464xlat.nat64prefix: %s", json_is_string(np) ? e : "must be a string");
            return -1;
        }
        if (!s46_rfc6052_len_ok(c->nat64.len)) {
            s46_seterr(err, errlen, "464xlat.nat64prefix: length must be 32, 40, 48, 56, 64 or 96");
            return -1;
        }
        *have_nat64 = true;
    }
    if (s46_json_ip6(doc, "clat_ipv6", &c->clat6, err, errlen) < 0 ||
        s46_json_ip4(doc, "clat_ipv4", &c->clat4, err, errlen) < 0 ||
        s46_json_u16(doc, "lan_mtu", 68, 65535, &c->lan_mtu, err, errlen) < 0 ||
        s46_json_u16(doc, "lowest_ipv6_mtu", 1280, 65535, &c->lowest_ipv6_mtu, err, errlen) < 0)
        return -1;
    *have_clat6 = json_object_get(doc, "clat_ipv6") != NULL;
    json_t *r = json_object_get(doc, "rfc6791_ipv4");
    if (json_is_null(r))
        c->rfc6791 = 0;
    else if (s46_json_ip4(doc, "rfc6791_ipv4", &c->rfc6791, err, errlen) < 0)
        return -1;
    if (c->clat4 == 0) {
        s46_seterr(err, errlen, "clat_ipv4: must not be 0.0.0.0");
        return -1;
    }
    return 0;
}
