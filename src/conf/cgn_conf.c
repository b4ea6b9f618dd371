#include "conf/cgn_conf.h"

#include <stdlib.h>
#include <string.h>

#include "conf/json_get.h"
#include "lib/err.h"

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

int s46_cgn_settings_from_json(const json_t *o, const char *pool_key, s46_cgn_config *g,
                               s46_cgn_settings *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    char *filtering = NULL;
    const json_t *lim, *tmo, *cap, *log;
    uint32_t max_blocks = g->max_blocks_per_sub;
    if (prefixes(o, pool_key, true, &s->pool, &g->npool, err, errlen) < 0 ||
        prefixes(o, "excluded", false, &s->excluded, &g->nexcluded, err, errlen) < 0 ||
        s46_json_u16(o, "port_min", 1, 65535, &g->port_min, err, errlen) < 0 ||
        s46_json_u16(o, "block_size", 64, 32768, &g->block_size, err, errlen) < 0 ||
        s46_json_u32(o, "max_blocks_per_subscriber", 1, 1024, &max_blocks, err, errlen) < 0 ||
        s46_json_u32(o, "block_idle", 0, 86400, &g->block_idle, err, errlen) < 0 ||
        s46_json_str(o, "filtering", &filtering, err, errlen) < 0 ||
        object(o, "limits", &lim, err, errlen) < 0 || object(o, "timeouts", &tmo, err, errlen) < 0 ||
        object(o, "capacity", &cap, err, errlen) < 0 || object(o, "log", &log, err, errlen) < 0)
        goto fail;
    g->max_blocks_per_sub = (uint16_t)max_blocks;
    uint32_t seed = 0;
    if (s46_json_u32(o, "seed", 1, UINT32_MAX, &seed, err, errlen) < 0)
        goto fail;
    if (seed) /* a fixed port choice (replays that repeat exactly) */
        g->seed = seed;
    g->pool = s->pool;
    g->excluded = s->excluded;
    if (g->block_size % 64) {
        s46_seterr(err, errlen, "block_size: must be a multiple of 64");
        goto fail;
    }
    if (filtering && strcmp(filtering, "eif") && strcmp(filtering, "adf")) {
        s46_seterr(err, errlen, "filtering: must be \"eif\" or \"adf\"");
        goto fail;
    }
    if (filtering)
        g->filter = !strcmp(filtering, "adf") ? S46_CGN_FILTER_ADF : S46_CGN_FILTER_EIF;
    if (lim && (s46_json_u32(lim, "mappings", 0, 1u << 24, &g->sub_max_mappings, err, errlen) < 0 ||
                s46_json_u32(lim, "sessions", 0, 1u << 24, &g->sub_max_sessions, err, errlen) < 0 ||
                s46_json_u32(lim, "new_per_second", 0, 1u << 24, &g->sub_max_new_per_sec, err,
                             errlen) < 0))
        goto fail;
    if (tmo && (s46_json_u32(tmo, "udp", 120, 86400, &g->udp_timeout, err, errlen) < 0 ||
                s46_json_u32(tmo, "tcp_established", 1, 7 * 86400, &g->tcp_est_timeout, err,
                             errlen) < 0 ||
                s46_json_u32(tmo, "tcp_transitory", 1, 86400, &g->tcp_trans_timeout, err,
                             errlen) < 0 ||
                s46_json_u32(tmo, "icmp", 1, 86400, &g->icmp_timeout, err, errlen) < 0))
        goto fail;
    if (cap && (s46_json_u32(cap, "subscribers", 1, 1u << 26, &g->max_subscribers, err, errlen) < 0 ||
                s46_json_u32(cap, "blocks", 1, 1u << 26, &g->max_blocks, err, errlen) < 0 ||
                s46_json_u32(cap, "mappings", 1, 1u << 28, &g->max_mappings, err, errlen) < 0 ||
                s46_json_u32(cap, "sessions", 1, 1u << 28, &g->max_sessions, err, errlen) < 0))
        goto fail;
    if (log) {
        char *path = NULL, *sl = NULL;
        uint32_t keep = 0, max_mb = 0;
        if (s46_json_str(log, "path", &path, err, errlen) < 0 ||
            s46_json_str(log, "syslog", &sl, err, errlen) < 0 ||
            s46_json_u32(log, "keep", 1, 1000, &keep, err, errlen) < 0 ||
            s46_json_u32(log, "max_megabytes", 1, 1u << 20, &max_mb, err, errlen) < 0) {
            free(path);
            free(sl);
            goto fail;
        }
        if (!path) {
            free(sl);
            s46_seterr(err, errlen, "log.path: required (the port-block log file)");
            goto fail;
        }
        s->has_log = true;
        s->log = (s46_blocklog_conf){.path = path, .syslog = sl, .keep = keep,
                                     .max_bytes = (uint64_t)max_mb << 20};
    }
    free(filtering);
    return 0;
fail:
    free(filtering);
    s46_cgn_settings_free(s);
    return -1;
}

void s46_cgn_settings_free(s46_cgn_settings *s)
{
    free(s->pool);
    free(s->excluded);
    free((char *)s->log.path);
    free((char *)s->log.syslog);
    memset(s, 0, sizeof *s);
}
