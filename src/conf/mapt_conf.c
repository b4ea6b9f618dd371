#include "conf/mapt_conf.h"

#include <stdlib.h>
#include <string.h>

#include "conf/json_get.h"
#include "lib/err.h"
#include "lib/rfc6052.h"
#include "prov/mape.h"

json_t *s46_mapt_find(json_t *doc)
{
    if (!json_is_object(doc))
        return NULL;
    json_t *m = json_object_get(doc, "map_t");
    if (json_is_object(m) && !json_object_get(doc, "map_e"))
        return m;
    return json_object_get(doc, "dmr") && json_object_get(doc, "rules") ? doc : NULL;
}

int s46_mapt_from_json(const json_t *m, size_t max_rules, s46_mapt_cfg *out, char *err,
                       size_t errlen)
{
    char e[S46_ERRLEN];
    memset(out, 0, sizeof *out);
    const char *d = json_string_value(json_object_get(m, "dmr"));
    if (!d || s46_pfx6_parse(d, &out->dmr, e, sizeof e) < 0 ||
        !s46_rfc6052_len_ok(out->dmr.len) || (out->dmr.len < 96 && out->dmr.addr.b[8])) {
        s46_seterr(err, errlen, "map_t.dmr: must be an IPv6 prefix of length 32, 40, 48, 56, "
                                "64 or 96, bits 64..71 zero (RFC 6052)");
        return -1;
    }
    /* the rules (and mesh) as map_e's; no BR address in MAP-T */
    json_t *tmp = json_pack("{s:s,s:O*,s:O*}", "br", "::", "rules", json_object_get(m, "rules"),
                            "mesh", json_object_get(m, "mesh"));
    if (!tmp) {
        s46_seterr(err, errlen, "map_t: out of memory");
        return -1;
    }
    s46_mape_cfg mc;
    int r = s46_mape_from_json(tmp, max_rules, &mc, e, sizeof e);
    json_decref(tmp);
    if (r < 0) {
        s46_seterr(err, errlen, "map_t%s", strncmp(e, "map_e", 5) ? e : e + 5);
        return -1;
    }
    out->mesh = mc.mesh;
    out->rules = mc.rules;
    out->nrules = mc.nrules;
    return 0;
}

void s46_mapt_free(s46_mapt_cfg *c)
{
    free(c->rules);
    c->rules = NULL;
    c->nrules = 0;
}

int s46_brt_conf_from_json(json_t *doc, s46_brt_conf *c, char *err, size_t errlen)
{
    char e[S46_ERRLEN];
    s46_brt_conf_default(c);
    json_t *m = s46_mapt_find(doc);
    if (!m) {
        s46_seterr(err, errlen, "no map_t object (an HB46PP response or a map_t object)");
        return -1;
    }
    s46_mapt_cfg cfg;
    if (s46_mapt_from_json(m, 1u << 20, &cfg, err, errlen) < 0)
        return -1;
    c->dmr = cfg.dmr;
    json_t *o = json_object();
    int r = -1;
    uint8_t hl;
    uint16_t mtu6 = c->ipv6_mtu;
    bool has6;
    if (!o || json_object_update(o, doc) < 0 || json_object_update(o, m) < 0)
        s46_seterr(err, errlen, "out of memory");
    else if (s46_json_ip4(o, "br_ipv4", &c->br4, err, errlen) < 0 ||
             s46_json_ip6(o, "br_ipv6", &c->br6, err, errlen) < 0 ||
             s46_json_u16(o, "ipv4_mtu", 68, 65535, &c->ipv4_mtu, err, errlen) < 0 ||
             s46_json_u16(o, "ipv6_mtu", 1280, 65535, &mtu6, err, errlen) < 0 ||
             s46_json_u16(o, "lowest_ipv6_mtu", 1280, 65535, &c->lowest_ipv6_mtu, err,
                          errlen) < 0 ||
             s46_json_u8(o, "hop_limit", 1, 255, &hl, err, errlen) < 0 ||
             s46_json_u32(o, "icmp_rate", 0, 100000, &c->icmp_rate, err, errlen) < 0 ||
             s46_json_bool(o, "hairpin", &c->hairpin, err, errlen) < 0 ||
             s46_json_bool(o, "icmp_unreachable", &c->icmp_unreachable, err, errlen) < 0)
        ;
    else {
        c->ipv6_mtu = mtu6;
        has6 = json_object_get(o, "br_ipv6") != NULL;
        if (!has6 && c->br4)
            s46_rfc6052_embed(&c->dmr, c->br4, &c->br6);
        c->rules = s46_ruleset_new(cfg.rules, cfg.nrules, e, sizeof e);
        if (c->rules)
            r = 0;
        else
            s46_seterr(err, errlen, "map_t.rules: %s", e);
    }
    json_decref(o);
    s46_mapt_free(&cfg);
    return r;
}
