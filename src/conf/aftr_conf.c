#include "conf/aftr_conf.h"

#include <stdlib.h>
#include <string.h>

#include "conf/json_get.h"
#include "conf/tunnel_conf.h"
#include "lib/err.h"

bool s46_aftr_settings_is(const json_t *doc)
{
    return json_is_object(json_object_get(doc, "aftr"));
}

/* An array of IPv4 prefixes (or addresses) into a malloc'd array. */
static int prefixes(const json_t *o, const char *key, bool required, s46_pfx4 **out, size_t *n,
                    char *err, size_t errlen)
{
    json_t *a = json_object_get(o, key);
    *out = NULL;
    *n = 0;
    if (!a) {
        if (required)
            s46_seterr(err, errlen, "%s: required (an array of IPv4 prefixes)", key);
        return required ? -1 : 0;
    }
    if (!json_is_array(a) || (required && json_array_size(a) == 0) ||
        json_array_size(a) > 65536) {
        s46_seterr(err, errlen, "%s: must be an array of IPv4 prefixes%s", key,
                   required ? " (at least one)" : "");
        return -1;
    }
    *out = calloc(json_array_size(a) ? json_array_size(a) : 1, sizeof **out);
    if (!*out) {
        s46_seterr(err, errlen, "out of memory");
        return -1;
    }
    size_t i;
    json_t *v;
    char e[S46_ERRLEN];
    json_array_foreach(a, i, v)
    {
        const char *s = json_string_value(v);
        if (!s || s46_pfx4_parse_or_host(s, &(*out)[i], e, sizeof e) < 0) {
            s46_seterr(err, errlen, "%s[%zu]: %s", key, i, s ? e : "must be a string");
            return -1;
        }
    }
    *n = json_array_size(a);
    return 0;
}

static int object(const json_t *o, const char *key, const json_t **out, char *err, size_t errlen)
{
    json_t *v = json_object_get(o, key);
    if (v && !json_is_object(v)) {
        s46_seterr(err, errlen, "%s: must be an object", key);
        return -1;
    }
    *out = v;
    return 0;
}

int s46_aftr_settings_from_json(const json_t *doc, s46_aftr_settings *s, char *err,
                                size_t errlen)
{
    memset(s, 0, sizeof *s);
    s46_aftr_conf *c = &s->c;
    s46_aftr_conf_default(c);
    const json_t *o = json_object_get(doc, "aftr");
    if (!o)
        o = doc;
    if (!json_is_object(o)) {
        s46_seterr(err, errlen, "aftr: must be an object");
        return -1;
    }
    if (!json_object_get(o, "ipv6")) {
        s46_seterr(err, errlen, "aftr.ipv6: required (the AFTR address)");
        return -1;
    }
    char *filtering = NULL;
    const json_t *lim, *tmo, *cap, *log;
    s46_cgn_config *g = &c->cgn;
    uint32_t max_blocks = g->max_blocks_per_sub;
    int r = -1;
    if (s46_json_ip6(o, "ipv6", &c->aftr6, err, errlen) < 0 ||
        s46_json_ip4(o, "ipv4", &c->aftr4, err, errlen) < 0 ||
        s46_tunnel_conf_from_json(o, &c->ipv6_mtu, &c->hop_limit, &c->encap_limit, err,
                                  errlen) < 0 ||
        s46_json_u16(o, "ipv4_mtu", 68, 9000, &c->ipv4_mtu, err, errlen) < 0 ||
        s46_json_u32(o, "icmp_rate", 0, 100000, &c->icmp_rate, err, errlen) < 0 ||
        s46_json_bool(o, "hairpin", &c->hairpin, err, errlen) < 0 ||
        prefixes(o, "pool", true, &s->pool, &g->npool, err, errlen) < 0 ||
        prefixes(o, "excluded", false, &s->excluded, &g->nexcluded, err, errlen) < 0 ||
        s46_json_u16(o, "port_min", 1, 65535, &g->port_min, err, errlen) < 0 ||
        s46_json_u16(o, "block_size", 64, 32768, &g->block_size, err, errlen) < 0 ||
        s46_json_u32(o, "max_blocks_per_subscriber", 1, 1024, &max_blocks, err, errlen) < 0 ||
        s46_json_u32(o, "block_idle", 0, 86400, &g->block_idle, err, errlen) < 0 ||
        s46_json_str(o, "filtering", &filtering, err, errlen) < 0 ||
        object(o, "limits", &lim, err, errlen) < 0 || object(o, "timeouts", &tmo, err, errlen) < 0 ||
        object(o, "capacity", &cap, err, errlen) < 0 || object(o, "log", &log, err, errlen) < 0)
        goto out;
    g->max_blocks_per_sub = (uint16_t)max_blocks;
    uint32_t seed = 0;
    if (s46_json_u32(o, "seed", 1, UINT32_MAX, &seed, err, errlen) < 0)
        goto out;
    if (seed) /* a fixed port choice (replays that repeat exactly) */
        g->seed = seed;
    g->pool = s->pool;
    g->excluded = s->excluded;
    if (g->block_size % 64) {
        s46_seterr(err, errlen, "block_size: must be a multiple of 64");
        goto out;
    }
    if (filtering && strcmp(filtering, "eif") && strcmp(filtering, "adf")) {
        s46_seterr(err, errlen, "filtering: must be \"eif\" or \"adf\"");
        goto out;
    }
    if (filtering)
        g->filter = !strcmp(filtering, "adf") ? S46_CGN_FILTER_ADF : S46_CGN_FILTER_EIF;
    if (lim && (s46_json_u32(lim, "mappings", 0, 1u << 24, &g->sub_max_mappings, err, errlen) < 0 ||
                s46_json_u32(lim, "sessions", 0, 1u << 24, &g->sub_max_sessions, err, errlen) < 0 ||
                s46_json_u32(lim, "new_per_second", 0, 1u << 24, &g->sub_max_new_per_sec, err,
                             errlen) < 0))
        goto out;
    if (tmo && (s46_json_u32(tmo, "udp", 120, 86400, &g->udp_timeout, err, errlen) < 0 ||
                s46_json_u32(tmo, "tcp_established", 1, 7 * 86400, &g->tcp_est_timeout, err,
                             errlen) < 0 ||
                s46_json_u32(tmo, "tcp_transitory", 1, 86400, &g->tcp_trans_timeout, err,
                             errlen) < 0 ||
                s46_json_u32(tmo, "icmp", 1, 86400, &g->icmp_timeout, err, errlen) < 0))
        goto out;
    if (cap && (s46_json_u32(cap, "subscribers", 1, 1u << 26, &g->max_subscribers, err, errlen) < 0 ||
                s46_json_u32(cap, "blocks", 1, 1u << 26, &g->max_blocks, err, errlen) < 0 ||
                s46_json_u32(cap, "mappings", 1, 1u << 28, &g->max_mappings, err, errlen) < 0 ||
                s46_json_u32(cap, "sessions", 1, 1u << 28, &g->max_sessions, err, errlen) < 0))
        goto out;
    if (log) {
        char *path = NULL, *sl = NULL;
        uint32_t keep = 0, max_mb = 0;
        if (s46_json_str(log, "path", &path, err, errlen) < 0 ||
            s46_json_str(log, "syslog", &sl, err, errlen) < 0 ||
            s46_json_u32(log, "keep", 1, 1000, &keep, err, errlen) < 0 ||
            s46_json_u32(log, "max_megabytes", 1, 1u << 20, &max_mb, err, errlen) < 0) {
            free(path);
            free(sl);
            goto out;
        }
        if (!path) {
            free(sl);
            s46_seterr(err, errlen, "log.path: required (the port-block log file)");
            goto out;
        }
        s->has_log = true;
        s->log = (s46_blocklog_conf){.path = path, .syslog = sl, .keep = keep,
                                     .max_bytes = (uint64_t)max_mb << 20};
    }
    r = 0;
out:
    free(filtering);
    if (r < 0)
        s46_aftr_settings_free(s);
    return r;
}

void s46_aftr_settings_free(s46_aftr_settings *s)
{
    free(s->pool);
    free(s->excluded);
    free((char *)s->log.path);
    free((char *)s->log.syslog);
    s->pool = s->excluded = NULL;
    s->log.path = s->log.syslog = NULL;
    s->c.cgn.pool = s->c.cgn.excluded = NULL;
}
