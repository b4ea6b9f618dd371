#include "prov/mape.h"
#include "lib/err.h"

#include <stdlib.h>
#include <string.h>

/* An integer member in [lo, hi]; absent -> def (or an error if def < 0). */
static int get_int(const json_t *obj, const char *key, const char *where, long lo, long hi,
                   long def, long *out, char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    if (!v) {
        if (def < 0) {
            s46_seterr(err, errlen, "%s.%s: missing", where, key);
            return -1;
        }
        *out = def;
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        s46_seterr(err, errlen, "%s.%s: must be an integer %ld..%ld", where, key, lo, hi);
        return -1;
    }
    *out = (long)json_integer_value(v);
    return 0;
}

static const char *get_str(const json_t *obj, const char *key, const char *where, char *err,
                           size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    if (!v) {
        s46_seterr(err, errlen, "%s.%s: missing", where, key);
        return NULL;
    }
    if (!json_is_string(v)) {
        s46_seterr(err, errlen, "%s.%s: must be a string", where, key);
        return NULL;
    }
    return json_string_value(v);
}

static int rule_from_json(const json_t *o, const char *where, s46_maprule *r, char *err,
                          size_t errlen)
{
    char e[S46_ERRLEN];
    const char *s;
    long v;
    memset(r, 0, sizeof *r);
    if (!json_is_object(o)) {
        s46_seterr(err, errlen, "%s: must be an object", where);
        return -1;
    }
    if (!(s = get_str(o, "ipv6", where, err, errlen)))
        return -1;
    if (s46_pfx6_parse(s, &r->ipv6, e, sizeof e) < 0) {
        s46_seterr(err, errlen, "%s.ipv6: %s", where, e);
        return -1;
    }
    if (!(s = get_str(o, "ipv4", where, err, errlen)))
        return -1;
    if (s46_pfx4_parse(s, &r->ipv4, e, sizeof e) < 0) {
        s46_seterr(err, errlen, "%s.ipv4: %s", where, e);
        return -1;
    }
    if (get_int(o, "ea_length", where, 0, 48, -1, &v, err, errlen) < 0)
        return -1;
    r->ea_len = (uint8_t)v;
    if (get_int(o, "psid_offset", where, 0, 15, -1, &v, err, errlen) < 0)
        return -1;
    r->psid_offset = (uint8_t)v;
    if (json_object_get(o, "psid_length") || json_object_get(o, "psid")) {
        if (get_int(o, "psid_length", where, 0, 16, -1, &v, err, errlen) < 0)
            return -1;
        r->psid_len = (uint8_t)v;
        if (get_int(o, "psid", where, 0, 65535, -1, &v, err, errlen) < 0)
            return -1;
        r->psid = (uint16_t)v;
        r->explicit_psid = true;
    }
    if (s46_maprule_validate(r, e, sizeof e) < 0) {
        s46_seterr(err, errlen, "%s: %s", where, e);
        return -1;
    }
    return 0;
}

int s46_mape_from_json(const json_t *obj, size_t max_rules, s46_mape_cfg *out, char *err,
                       size_t errlen)
{
    char where[48];
    long v;
    memset(out, 0, sizeof *out);
    if (!json_is_object(obj)) {
        s46_seterr(err, errlen, "map_e: must be an object");
        return -1;
    }
    if (get_int(obj, "version", "map_e", 0, 1, 0, &v, err, errlen) < 0)
        return -1;
    out->version = (int)v;
    json_t *mesh = json_object_get(obj, "mesh");
    if (mesh && json_is_boolean(mesh)) {
        out->mesh = json_is_true(mesh);
    } else if (mesh) {
        if (get_int(obj, "mesh", "map_e", 0, 1, 0, &v, err, errlen) < 0) {
            s46_seterr(err, errlen, "map_e.mesh: must be true, false, 0 or 1");
            return -1;
        }
        out->mesh = v == 1;
    }
    const char *br = get_str(obj, "br", "map_e", err, errlen);
    if (!br)
        return -1;
    if (s46_ip6_parse(br, &out->br) < 0) {
        s46_seterr(err, errlen, "map_e.br: '%.60s' is not an IPv6 address", br);
        return -1;
    }
    json_t *rules = json_object_get(obj, "rules");
    if (!rules) {
        s46_seterr(err, errlen, "map_e.rules: missing");
        return -1;
    }
    if (!json_is_array(rules) || json_array_size(rules) == 0) {
        s46_seterr(err, errlen, "map_e.rules: must be a non-empty array");
        return -1;
    }
    size_t n = json_array_size(rules);
    if (n > max_rules) {
        s46_seterr(err, errlen, "map_e.rules: %zu rules, at most %zu accepted", n, max_rules);
        return -1;
    }
    out->rules = calloc(n, sizeof *out->rules);
    if (!out->rules) {
        s46_seterr(err, errlen, "map_e.rules: out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        snprintf(where, sizeof where, "map_e.rules[%zu]", i);
        if (rule_from_json(json_array_get(rules, i), where, &out->rules[i], err, errlen) < 0) {
            s46_mape_free(out);
            return -1;
        }
    }
    out->nrules = n;
    return 0;
}

json_t *s46_mape_to_json(const s46_mape_cfg *cfg)
{
    char b[S46_PFX6_STRLEN];
    json_t *o = json_object(), *rules = json_array();
    if (!o || !rules)
        goto fail;
    int bad = 0;
    bad |= json_object_set_new(o, "version", json_integer(cfg->version));
    bad |= json_object_set_new(o, "mesh", json_boolean(cfg->mesh));
    bad |= json_object_set_new(o, "br", json_string(s46_ip6_format(&cfg->br, b)));
    for (size_t i = 0; i < cfg->nrules; i++) {
        const s46_maprule *r = &cfg->rules[i];
        json_t *j = json_object();
        if (!j)
            goto fail;
        bad |= json_array_append_new(rules, j);
        bad |= json_object_set_new(j, "ipv6", json_string(s46_pfx6_format(&r->ipv6, b)));
        bad |= json_object_set_new(j, "ipv4", json_string(s46_pfx4_format(&r->ipv4, b)));
        bad |= json_object_set_new(j, "ea_length", json_integer(r->ea_len));
        bad |= json_object_set_new(j, "psid_offset", json_integer(r->psid_offset));
        if (r->explicit_psid) {
            bad |= json_object_set_new(j, "psid_length", json_integer(r->psid_len));
            bad |= json_object_set_new(j, "psid", json_integer(r->psid));
        }
    }
    bad |= json_object_set_new(o, "rules", rules);
    rules = NULL;
    if (bad)
        goto fail;
    return o;
fail:
    json_decref(rules);
    json_decref(o);
    return NULL;
}

void s46_mape_free(s46_mape_cfg *cfg)
{
    free(cfg->rules);
    cfg->rules = NULL;
    cfg->nrules = 0;
}

json_t *s46_json_load_file(const char *path, char *err, size_t errlen)
{
    json_error_t je;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!doc) {
        if (je.line > 0)
            s46_seterr(err, errlen, "%s:%d:%d: %s", path, je.line, je.column, je.text);
        else
            s46_seterr(err, errlen, "%s: %s", path, je.text);
    }
    return doc;
}

json_t *s46_mape_find(json_t *doc)
{
    if (!json_is_object(doc))
        return NULL;
    json_t *m = json_object_get(doc, "map_e");
    if (m)
        return m;
    return json_object_get(doc, "rules") ? doc : NULL;
}
