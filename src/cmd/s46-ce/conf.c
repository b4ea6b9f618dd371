/* s46-ce's settings file: CE options, where the End-user prefix comes
 * from, and either a fixed map_e (fixed mode) or a "provisioning" object
 * (HB46PP mode). Every error names the field. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ce.h"
#include "lib/err.h"
#include "prov/query.h"

static int get_u32(json_t *doc, const char *key, uint32_t lo, uint32_t hi, uint32_t *out,
                   char *err, size_t errlen)
{
    json_t *v = json_object_get(doc, key);
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        s46_seterr(err, errlen, "%s: must be an integer %u..%u", key, lo, hi);
        return -1;
    }
    *out = (uint32_t)json_integer_value(v);
    return 0;
}

static int get_str(json_t *obj, const char *key, char **out, char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return 0;
    if (!json_is_string(v) || !*json_string_value(v)) {
        s46_seterr(err, errlen, "provisioning.%s: must be a non-empty string", key);
        return -1;
    }
    free(*out);
    *out = strdup(json_string_value(v));
    return 0;
}

static int load_options(json_t *doc, s46_ce_conf *c, char *err, size_t errlen)
{
    uint32_t v;
    json_t *f = json_object_get(doc, "filter");
    if (f) {
        const char *fs = json_is_string(f) ? json_string_value(f) : "";
        if (!strcmp(fs, "adf") || !strcmp(fs, "address-dependent"))
            c->napt.filter = S46_NAPT_FILTER_ADF;
        else if (!strcmp(fs, "eif") || !strcmp(fs, "endpoint-independent"))
            c->napt.filter = S46_NAPT_FILTER_EIF;
        else {
            s46_seterr(err, errlen, "filter: must be \"adf\" or \"eif\"");
            return -1;
        }
    }
    json_t *lan = json_object_get(doc, "lan_ipv4");
    if (lan && (!json_is_string(lan) || s46_ip4_parse(json_string_value(lan), &c->lan_ipv4) < 0)) {
        s46_seterr(err, errlen, "lan_ipv4: must be an IPv4 address");
        return -1;
    }
    v = c->ipv6_mtu;
    if (get_u32(doc, "ipv6_mtu", 1280, 9000, &v, err, errlen) < 0)
        return -1;
    c->ipv6_mtu = (uint16_t)v;
    v = c->hop_limit;
    if (get_u32(doc, "hop_limit", 1, 255, &v, err, errlen) < 0)
        return -1;
    c->hop_limit = (uint8_t)v;
    json_t *el = json_object_get(doc, "encap_limit");
    if (el && !json_is_null(el)) {
        v = 0;
        if (get_u32(doc, "encap_limit", 0, 255, &v, err, errlen) < 0)
            return -1;
        c->encap_limit = (int16_t)v;
    }
    if (get_u32(doc, "udp_timeout", 120, 86400, &c->napt.udp_timeout, err, errlen) < 0 ||
        get_u32(doc, "dns_timeout", 10, 86400, &c->napt.udp_short_timeout, err, errlen) < 0 ||
        get_u32(doc, "tcp_established_timeout", 7440, 864000, &c->napt.tcp_est_timeout, err, errlen) < 0 ||
        get_u32(doc, "tcp_transitory_timeout", 240, 86400, &c->napt.tcp_trans_timeout, err, errlen) < 0 ||
        get_u32(doc, "icmp_timeout", 60, 86400, &c->napt.icmp_timeout, err, errlen) < 0 ||
        get_u32(doc, "max_mappings", 16, 1u << 22, &c->napt.max_mappings, err, errlen) < 0 ||
        get_u32(doc, "max_sessions", 16, 1u << 22, &c->napt.max_sessions, err, errlen) < 0)
        return -1;
    c->napt.seed = (uint64_t)time(NULL) ^ ((uint64_t)(uintptr_t)c << 16);
    return 0;
}

static const char *const prov_keys[] = {
    "resolver", "ca_file", "vendorid", "product", "user", "pass", "server_name", "store",
    "txt_name", "timeout", "max_redirects", "waits", NULL,
};

static int load_prov(json_t *p, struct ce_opts *o, char *err, size_t errlen)
{
    char e[200];
    if (!json_is_object(p)) {
        s46_seterr(err, errlen, "provisioning: must be an object");
        return -1;
    }
    const char *k;
    json_t *v;
    json_object_foreach(p, k, v) {
        int i;
        for (i = 0; prov_keys[i] && strcmp(prov_keys[i], k); i++)
            ;
        if (!prov_keys[i]) {
            s46_seterr(err, errlen, "provisioning.%s: unknown key", k);
            return -1;
        }
    }
    o->vendorid = strdup("000000-s46");
    o->product = strdup("s46-ce");
    o->txt_name = strdup("4over6.info");
    if (get_str(p, "resolver", &o->resolver, err, errlen) < 0 ||
        get_str(p, "ca_file", &o->ca_file, err, errlen) < 0 ||
        get_str(p, "vendorid", &o->vendorid, err, errlen) < 0 ||
        get_str(p, "product", &o->product, err, errlen) < 0 ||
        get_str(p, "user", &o->user, err, errlen) < 0 ||
        get_str(p, "pass", &o->pass, err, errlen) < 0 ||
        get_str(p, "server_name", &o->server_name, err, errlen) < 0 ||
        get_str(p, "store", &o->store, err, errlen) < 0 ||
        get_str(p, "txt_name", &o->txt_name, err, errlen) < 0)
        return -1;
    if (!s46_q_vendorid_ok(o->vendorid) || !s46_q_product_ok(o->product)) {
        s46_seterr(err, errlen, "provisioning.%s: not in the HB46PP format (docs/hb46pp.md, C4/C5)",
                   s46_q_vendorid_ok(o->vendorid) ? "product" : "vendorid");
        return -1;
    }
    if ((o->user && !s46_q_cred_ok(o->user)) || (o->pass && !s46_q_cred_ok(o->pass))) {
        s46_seterr(err, errlen, "provisioning.user/pass: must be [A-Za-z0-9_-]{1,32}");
        return -1;
    }
    if (!o->user != !o->pass) {
        s46_seterr(err, errlen, "provisioning: user and pass go together (docs/hb46pp.md, C9)");
        return -1;
    }
    uint32_t t = 10, r = 5;
    if (get_u32(p, "timeout", 1, 300, &t, e, sizeof e) < 0 ||
        get_u32(p, "max_redirects", 0, 10, &r, e, sizeof e) < 0) {
        s46_seterr(err, errlen, "provisioning.%s", e);
        return -1;
    }
    o->timeout_s = t;
    o->max_redirects = r;
    s46_acc_waits_default(&o->waits);
    json_t *w = json_object_get(p, "waits");
    if (w && s46_acc_waits_from_json(w, &o->waits, e, sizeof e) < 0) {
        s46_seterr(err, errlen, "provisioning.%s", e);
        return -1;
    }
    return 0;
}

int ce_opts_load(const char *path, const char *prefix_override, struct ce_opts *o, char *err,
                 size_t errlen)
{
    char e[S46_ERRLEN];
    memset(o, 0, sizeof *o);
    o->path = strdup(path);
    o->prefix_arg = prefix_override ? strdup(prefix_override) : NULL;
    s46_ce_conf_default(&o->base);
    o->routes = true;
    json_t *doc = s46_json_load_file(path, err, errlen);
    if (!doc)
        goto fail;
    if (load_options(doc, &o->base, e, sizeof e) < 0)
        goto bad;
    json_t *rt = json_object_get(doc, "routes");
    if (rt && !json_is_boolean(rt)) {
        s46_seterr(e, sizeof e, "routes: must be true or false");
        goto bad;
    }
    if (rt)
        o->routes = json_is_true(rt);
    json_t *b4 = json_object_get(doc, "b4_ipv6");
    if (b4) {
        if (!json_is_string(b4) || s46_ip6_parse(json_string_value(b4), &o->b4) < 0) {
            s46_seterr(e, sizeof e, "b4_ipv6: must be an IPv6 address");
            goto bad;
        }
        o->have_b4 = true;
    }
    json_t *pj = json_object_get(doc, "prefix"), *pf = json_object_get(doc, "prefix_from");
    const char *ps = prefix_override;
    if (!ps && pj) {
        if (!json_is_string(pj)) {
            s46_seterr(e, sizeof e, "prefix: must be an IPv6 prefix");
            goto bad;
        }
        ps = json_string_value(pj);
    }
    if (ps) {
        if (s46_pfx6_parse(ps, &o->prefix, e, sizeof e) < 0)
            goto bad;
        o->have_prefix = true;
    } else if (pf) {
        json_t *ifn = json_object_get(pf, "interface"), *len = json_object_get(pf, "length");
        if (!json_is_object(pf) || !json_is_string(ifn) || strlen(json_string_value(ifn)) == 0 ||
            strlen(json_string_value(ifn)) >= IF_NAMESIZE || !json_is_integer(len) ||
            json_integer_value(len) < 1 || json_integer_value(len) > 128) {
            s46_seterr(e, sizeof e,
                       "prefix_from: must be {\"interface\": NAME, \"length\": 1..128}");
            goto bad;
        }
        snprintf(o->prefix_if, sizeof o->prefix_if, "%s", json_string_value(ifn));
        o->prefix_len = (unsigned)json_integer_value(len);
    } else {
        s46_seterr(e, sizeof e, "prefix: missing (the delegated End-user prefix, or prefix_from)");
        goto bad;
    }
    json_t *p = json_object_get(doc, "provisioning");
    if (p) {
        o->prov = true;
        if (load_prov(p, o, e, sizeof e) < 0)
            goto bad;
    } else if (s46_mape_find(doc)) {
        o->fixed = json_incref(doc);
    } else {
        s46_seterr(e, sizeof e, "neither a \"provisioning\" object nor a fixed map_e");
        goto bad;
    }
    json_decref(doc);
    return 0;
bad:
    s46_seterr(err, errlen, "%s: %s", path, e);
fail:
    json_decref(doc);
    ce_opts_free(o);
    return -1;
}

void ce_opts_free(struct ce_opts *o)
{
    free(o->path);
    free(o->prefix_arg);
    json_decref(o->fixed);
    char **s[] = {&o->resolver, &o->ca_file, &o->vendorid, &o->product, &o->user,
                  &o->pass, &o->server_name, &o->store, &o->txt_name};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        free(*s[i]);
    memset(o, 0, sizeof *o);
}
