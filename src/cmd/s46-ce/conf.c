/* s46-ce's settings file: CE options, where the End-user prefix comes
 * from, and either a fixed map_e, dslite, lw4o6 or 464xlat (fixed mode) or a "provisioning" object
 * (HB46PP mode). Every error names the field. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ce.h"
#include "conf/ce_conf.h"
#include "conf/clat_conf.h"
#include "conf/json_get.h"
#include "lib/err.h"
#include "prov/query.h"

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
    if (s46_json_str(p, "resolver", &o->resolver, e, sizeof e) < 0 ||
        s46_json_str(p, "ca_file", &o->ca_file, e, sizeof e) < 0 ||
        s46_json_str(p, "vendorid", &o->vendorid, e, sizeof e) < 0 ||
        s46_json_str(p, "product", &o->product, e, sizeof e) < 0 ||
        s46_json_str(p, "user", &o->user, e, sizeof e) < 0 ||
        s46_json_str(p, "pass", &o->pass, e, sizeof e) < 0 ||
        s46_json_str(p, "server_name", &o->server_name, e, sizeof e) < 0 ||
        s46_json_str(p, "store", &o->store, e, sizeof e) < 0 ||
        s46_json_str(p, "txt_name", &o->txt_name, e, sizeof e) < 0) {
        s46_seterr(err, errlen, "provisioning.%s", e);
        return -1;
    }
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
    if (s46_json_u32(p, "timeout", 1, 300, &t, e, sizeof e) < 0 ||
        s46_json_u32(p, "max_redirects", 0, 10, &r, e, sizeof e) < 0) {
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

static const char *const dnsp_keys[] = {
    "listen", "forwarders", "timeout", "tries", "max_queries", "max_tcp_clients", "tcp_idle", NULL,
};

/* An array of address strings (at most max) into out. */
static int addr_list(json_t *a, const char *key, unsigned max, uint16_t port,
                     struct sockaddr_storage *out, unsigned *n, char *err, size_t errlen)
{
    char e[200];
    size_t i;
    json_t *x;
    if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > max) {
        s46_seterr(err, errlen, "dns_proxy.%s: must be an array of 1..%u addresses", key, max);
        return -1;
    }
    *n = 0;
    json_array_foreach(a, i, x) {
        if (!json_is_string(x) || s46_dnsp_parse_addr(json_string_value(x), port, &out[i], e,
                                                      sizeof e) < 0) {
            s46_seterr(err, errlen, "dns_proxy.%s[%zu]: %s", key, i,
                       json_is_string(x) ? e : "must be a string");
            return -1;
        }
        (*n)++;
    }
    return 0;
}

/* "dns_proxy" (docs/daemons.md): where it listens, its forwarders (its
 * own list, else provisioning.resolver's IPv6 servers, else the IPv6
 * nameservers of /etc/resolv.conf) and its bounds. */
static int load_dnsp(json_t *d, struct ce_opts *o, char *err, size_t errlen)
{
    char e[200];
    s46_dnsp_conf *c = &o->dnsp;
    s46_dnsp_conf_default(c);
    if (!json_is_object(d)) {
        s46_seterr(err, errlen, "dns_proxy: must be an object");
        return -1;
    }
    const char *k;
    json_t *v;
    json_object_foreach(d, k, v) {
        int i;
        for (i = 0; dnsp_keys[i] && strcmp(dnsp_keys[i], k); i++)
            ;
        if (!dnsp_keys[i]) {
            s46_seterr(err, errlen, "dns_proxy.%s: unknown key", k);
            return -1;
        }
    }
    json_t *l = json_object_get(d, "listen");
    if (l) {
        if (addr_list(l, "listen", S46_DNSP_MAX_LISTEN, 53, c->listen, &c->nlisten, err, errlen) < 0)
            return -1;
    } else if (o->base.lan_ipv4) {
        struct sockaddr_in *a = (struct sockaddr_in *)&c->listen[0];
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(o->base.lan_ipv4);
        a->sin_port = htons(53);
        c->nlisten = 1;
    } else {
        s46_seterr(err, errlen, "dns_proxy.listen: missing (and no lan_ipv4 to listen on)");
        return -1;
    }
    json_t *f = json_object_get(d, "forwarders");
    int n;
    if (f) {
        struct sockaddr_storage ss[S46_DNSP_MAX_SERVERS];
        if (addr_list(f, "forwarders", S46_DNSP_MAX_SERVERS, 53, ss, &c->nservers, err, errlen) < 0)
            return -1;
        for (unsigned i = 0; i < c->nservers; i++) {
            if (ss[i].ss_family != AF_INET6) {
                s46_seterr(err, errlen,
                           "dns_proxy.forwarders[%u]: must be IPv6 (over IPv4 every query would "
                           "spend a shared port)", i);
                return -1;
            }
            memcpy(&c->servers[i], &ss[i], sizeof c->servers[i]);
        }
        o->dnsp_from = "dns_proxy.forwarders";
    } else if (o->resolver && (n = s46_dnsp_add_servers(c, o->resolver, e, sizeof e)) != 0) {
        if (n < 0) {
            s46_seterr(err, errlen, "provisioning.resolver: %s", e);
            return -1;
        }
        o->dnsp_from = "provisioning.resolver";
    } else if (s46_dnsp_add_resolv_conf(c, "/etc/resolv.conf") > 0) {
        o->dnsp_from = "/etc/resolv.conf";
    } else {
        o->dnsp_from = "none";
    }
    uint32_t t = 2, tr = 3, mq = 256, mt = 32, idle = 10;
    if (s46_json_u32(d, "timeout", 1, 30, &t, e, sizeof e) < 0 ||
        s46_json_u32(d, "tries", 1, 10, &tr, e, sizeof e) < 0 ||
        s46_json_u32(d, "max_queries", 1, 4096, &mq, e, sizeof e) < 0 ||
        s46_json_u32(d, "max_tcp_clients", 1, 1024, &mt, e, sizeof e) < 0 ||
        s46_json_u32(d, "tcp_idle", 1, 600, &idle, e, sizeof e) < 0) {
        s46_seterr(err, errlen, "dns_proxy.%s", e);
        return -1;
    }
    c->timeout_ms = t * 1000;
    c->tries = tr;
    c->max_queries = mq;
    c->max_tcp_clients = mt;
    c->tcp_idle_ms = idle * 1000;
    o->dns_proxy = true;
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
    if (s46_ce_options_from_json(doc, &o->base, e, sizeof e) < 0)
        goto bad;
    if (s46_json_bool(doc, "routes", &o->routes, e, sizeof e) < 0 ||
        s46_json_ip6(doc, "b4_ipv6", &o->b4, e, sizeof e) < 0)
        goto bad;
    o->have_b4 = json_object_get(doc, "b4_ipv6") != NULL;
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
        o->fixed_mech = "map_e";
    } else if (json_is_object(json_object_get(doc, "map_t"))) {
        o->fixed = json_incref(doc);
        o->fixed_mech = "map_t";
    } else if (json_is_object(json_object_get(doc, "dslite"))) {
        o->fixed = json_incref(doc);
        o->fixed_mech = "dslite";
    } else if (json_object_get(doc, "lw4o6")) {
        o->fixed = json_incref(doc);
        o->fixed_mech = "lw4o6";
    } else if (json_object_get(doc, "464xlat")) {
        o->fixed = json_incref(doc);
        o->fixed_mech = "464xlat";
    } else {
        s46_seterr(e, sizeof e,
                   "neither a \"provisioning\" object nor a fixed map_e, map_t, dslite, lw4o6 or 464xlat");
        goto bad;
    }
    bool hn;
    if (s46_clat_conf_from_json(doc, json_object_get(doc, "464xlat"), &o->base, &o->clat, &hn,
                                &o->have_clat6, e, sizeof e) < 0)
        goto bad;
    json_t *dp = json_object_get(doc, "dns_proxy");
    if (dp && load_dnsp(dp, o, e, sizeof e) < 0)
        goto bad;
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
