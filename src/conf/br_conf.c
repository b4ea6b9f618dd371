#include "conf/br_conf.h"
#include "conf/json_get.h"
#include "conf/tunnel_conf.h"
#include "lib/err.h"
#include "prov/mape.h"

/* The options: the document's members, those of its map_e object first. */
static int options(const json_t *o, s46_br_conf *c, char *err, size_t errlen)
{
    if (s46_json_ip4(o, "br_ipv4", &c->br4, err, errlen) < 0 ||
        s46_tunnel_conf_from_json(o, &c->ipv6_mtu, &c->hop_limit, &c->encap_limit, err,
                                  errlen) < 0 ||
        s46_json_u16(o, "ipv4_mtu", 68, 9000, &c->ipv4_mtu, err, errlen) < 0 ||
        s46_json_u32(o, "icmp_rate", 0, 100000, &c->icmp_rate, err, errlen) < 0 ||
        s46_json_bool(o, "hairpin", &c->hairpin, err, errlen) < 0 ||
        s46_json_bool(o, "icmp_unreachable", &c->icmp_unreachable, err, errlen) < 0)
        return -1;
    return 0;
}

int s46_br_conf_from_json(json_t *doc, s46_br_conf *c, char *err, size_t errlen)
{
    char e[S46_ERRLEN];
    s46_br_conf_default(c);
    json_t *m = s46_mape_find(doc);
    if (!m) {
        s46_seterr(err, errlen, "no map_e object (an HB46PP response or a map_e object)");
        return -1;
    }
    s46_mape_cfg cfg;
    if (s46_mape_from_json(m, 1u << 20, &cfg, err, errlen) < 0)
        return -1;
    c->br6 = cfg.br;
    c->layout = s46_mape_layout(&cfg);
    json_t *o = json_object();
    int r = -1;
    if (!o || json_object_update(o, doc) < 0 || json_object_update(o, m) < 0)
        s46_seterr(err, errlen, "out of memory");
    else if (options(o, c, err, errlen) == 0) {
        c->rules = s46_ruleset_new(cfg.rules, cfg.nrules, e, sizeof e);
        if (c->rules)
            r = 0;
        else
            s46_seterr(err, errlen, "map_e.rules: %s", e);
    }
    json_decref(o);
    s46_mape_free(&cfg);
    return r;
}
