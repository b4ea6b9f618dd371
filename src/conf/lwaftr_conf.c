#include "conf/lwaftr_conf.h"

#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "conf/json_get.h"
#include "conf/tunnel_conf.h"
#include "lib/err.h"
#include "prov/mape.h"

bool s46_lw_conf_is(const json_t *doc) { return json_is_object(json_object_get(doc, "lwaftr")); }

int s46_lw_bind_from_json(const json_t *o, const s46_lw_conf *c, s46_bind *b, char *err,
                          size_t errlen)
{
    char e[S46_ERRLEN];
    memset(b, 0, sizeof *b);
    if (!json_is_object(o)) {
        s46_seterr(err, errlen, "must be an object");
        return -1;
    }
    if (!json_object_get(o, "b4") || !json_object_get(o, "ipv4")) {
        s46_seterr(err, errlen, "\"b4\" and \"ipv4\" are required");
        return -1;
    }
    s46_ip6 aftr;
    bool named = json_object_get(o, "lwaftr") != NULL;
    if (s46_json_ip6(o, "b4", &b->b4, err, errlen) < 0 ||
        s46_json_ip4(o, "ipv4", &b->ipv4, err, errlen) < 0 ||
        s46_json_u16(o, "psid", 0, 65535, &b->psid, err, errlen) < 0 ||
        s46_json_u8(o, "psid_length", 0, 16, &b->psid_len, err, errlen) < 0 ||
        s46_json_u8(o, "psid_offset", 0, 15, &b->psid_offset, err, errlen) < 0 ||
        (named && s46_json_ip6(o, "lwaftr", &aftr, err, errlen) < 0))
        return -1;
    if (named) {
        unsigned i = 0;
        while (i < c->naftr && !s46_ip6_eq(&c->aftr[i], &aftr))
            i++;
        if (i == c->naftr) {
            s46_seterr(err, errlen, "lwaftr: not one of the lwAFTR's addresses (\"ipv6\")");
            return -1;
        }
        b->aftr = (uint8_t)i;
    }
    if (s46_bind_check(b, c->naftr, e, sizeof e) < 0) {
        s46_seterr(err, errlen, "%s", e);
        return -1;
    }
    return 0;
}

static int addresses(const json_t *lw, s46_lw_conf *c, char *err, size_t errlen)
{
    const json_t *v = json_object_get(lw, "ipv6");
    if (json_is_string(v)) {
        c->naftr = 1;
        return s46_json_ip6(lw, "ipv6", &c->aftr[0], err, errlen);
    }
    if (!json_is_array(v) || json_array_size(v) < 1 || json_array_size(v) > S46_BT_MAX_AFTR) {
        s46_seterr(err, errlen, "ipv6: must be an IPv6 address or an array of 1 to %u of them",
                   S46_BT_MAX_AFTR);
        return -1;
    }
    for (size_t i = 0; i < json_array_size(v); i++) {
        const char *s = json_string_value(json_array_get(v, i));
        if (!s || s46_ip6_parse(s, &c->aftr[i]) < 0) {
            s46_seterr(err, errlen, "ipv6[%zu]: must be an IPv6 address", i);
            return -1;
        }
        for (size_t j = 0; j < i; j++)
            if (s46_ip6_eq(&c->aftr[i], &c->aftr[j])) {
                s46_seterr(err, errlen, "ipv6[%zu]: given twice", i);
                return -1;
            }
    }
    c->naftr = (unsigned)json_array_size(v);
    return 0;
}

int s46_lw_conf_from_json(const json_t *doc, const char *dir, s46_lw_conf *c, s46_bind **binds,
                          size_t *n, char *err, size_t errlen)
{
    char e[S46_ERRLEN];
    s46_lw_conf_default(c);
    *binds = NULL;
    *n = 0;
    const json_t *lw = json_object_get(doc, "lwaftr");
    if (!json_is_object(lw)) {
        s46_seterr(err, errlen, "no lwaftr object");
        return -1;
    }
    if (addresses(lw, c, e, sizeof e) < 0 || s46_json_ip4(lw, "ipv4", &c->ipv4, e, sizeof e) < 0 ||
        s46_tunnel_conf_from_json(lw, &c->ipv6_mtu, &c->hop_limit, &c->encap_limit, e,
                                  sizeof e) < 0 ||
        s46_json_u32(lw, "icmp_rate", 0, 100000, &c->icmp_rate, e, sizeof e) < 0 ||
        s46_json_u16(lw, "ipv4_mtu", 68, 9000, &c->ipv4_mtu, e, sizeof e) < 0 ||
        s46_json_bool(lw, "hairpin", &c->hairpin, e, sizeof e) < 0 ||
        s46_json_bool(lw, "icmp_unreachable", &c->icmp_unreachable, e, sizeof e) < 0 ||
        s46_json_bool(lw, "icmpv6_policy", &c->icmpv6_policy, e, sizeof e) < 0) {
        s46_seterr(err, errlen, "lwaftr.%s", e);
        return -1;
    }
    static const char *const side[2] = {"ipv4_interface", "ipv6_interface"};
    for (int s = 0; s < 2; s++) {
        const json_t *o = json_object_get(lw, side[s]);
        if (o && !json_is_object(o)) {
            s46_seterr(err, errlen, "lwaftr.%s: must be an object", side[s]);
            return -1;
        }
        if (o && s46_json_u32(o, "vlan", 0, 4094, &c->vlan[s], e, sizeof e) < 0) {
            s46_seterr(err, errlen, "lwaftr.%s.%s", side[s], e);
            return -1;
        }
    }
    const json_t *bs = json_object_get(lw, "bindings");
    if (bs && !json_is_array(bs)) {
        s46_seterr(err, errlen, "lwaftr.bindings: must be an array");
        return -1;
    }
    s46_bind *v = NULL;
    size_t cnt = 0;
    char *file = NULL;
    if (s46_json_str(lw, "bindings_file", &file, e, sizeof e) < 0) {
        s46_seterr(err, errlen, "lwaftr.%s", e);
        return -1;
    }
    if (file) {
        char *path = file;
        if (file[0] != '/' && dir && *dir) {
            size_t len = strlen(dir) + strlen(file) + 2;
            path = malloc(len);
            if (path)
                snprintf(path, len, "%s/%s", dir, file);
        }
        int r = path ? s46_bind_read_csv(path, c->aftr, c->naftr, &v, &cnt, e, sizeof e) : -1;
        if (path != file)
            free(path);
        free(file);
        if (r < 0) {
            s46_seterr(err, errlen, "lwaftr.bindings_file: %s", path ? e : "out of memory");
            return -1;
        }
    }
    size_t nb = json_array_size(bs);
    if (nb) {
        s46_bind *nv = realloc(v, (cnt + nb) * sizeof *nv);
        if (!nv) {
            free(v);
            s46_seterr(err, errlen, "out of memory");
            return -1;
        }
        v = nv;
        for (size_t i = 0; i < nb; i++)
            if (s46_lw_bind_from_json(json_array_get(bs, i), c, &v[cnt++], e, sizeof e) < 0) {
                free(v);
                s46_seterr(err, errlen, "lwaftr.bindings[%zu]: %s", i, e);
                return -1;
            }
    }
    *binds = v;
    *n = cnt;
    return 0;
}

int s46_lw_conf_load(const char *path, s46_bindtab *bt, s46_lw_conf *c, char *err,
                     size_t errlen)
{
    char e[S46_ERRLEN];
    json_t *doc = s46_json_load_file(path, err, errlen);
    if (!doc)
        return -1;
    char *copy = strdup(path);
    s46_bind *v = NULL;
    size_t n = 0;
    int r = copy ? s46_lw_conf_from_json(doc, dirname(copy), c, &v, &n, err, errlen) : -1;
    if (!copy)
        s46_seterr(err, errlen, "out of memory");
    json_decref(doc);
    free(copy);
    if (r == 0 && s46_bindtab_load(bt, v, n, c->naftr, e, sizeof e) < 0) {
        s46_seterr(err, errlen, "%s: bindings: %s", path, e);
        r = -1;
    }
    free(v);
    if (r == 0)
        c->bt = bt;
    return r;
}
