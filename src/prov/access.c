#include "prov/access.h"

#include <stddef.h>
#include <string.h>

#include "lib/err.h"

void s46_acc_waits_default(s46_acc_waits *w)
{
    *w = (s46_acc_waits){
        .notfound = {3600, 3 * 3600},
        .dns_error = {60, 600},
        .no_answer = {600, 1800},
        .bad_data = {600, 1800},
        .no_ttl = {20 * 3600, 24 * 3600},
        .boot = {1, 30},
        .min_ttl = 60,
    };
}

static const struct {
    const char *name;
    size_t off;
} ranges[] = {
    {"notfound", offsetof(s46_acc_waits, notfound)},
    {"dns_error", offsetof(s46_acc_waits, dns_error)},
    {"no_answer", offsetof(s46_acc_waits, no_answer)},
    {"bad_data", offsetof(s46_acc_waits, bad_data)},
    {"no_ttl", offsetof(s46_acc_waits, no_ttl)},
    {"boot", offsetof(s46_acc_waits, boot)},
};

static bool secs(const json_t *v, uint32_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 30 * 86400)
        return false;
    *out = (uint32_t)json_integer_value(v);
    return true;
}

int s46_acc_waits_from_json(const json_t *obj, s46_acc_waits *w, char *err, size_t errlen)
{
    if (!json_is_object(obj)) {
        s46_seterr(err, errlen, "waits: must be an object");
        return -1;
    }
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        if (!strcmp(k, "min_ttl")) {
            if (!secs(v, &w->min_ttl)) {
                s46_seterr(err, errlen, "waits.min_ttl: must be seconds (0..2592000)");
                return -1;
            }
            continue;
        }
        size_t i;
        for (i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
            if (!strcmp(k, ranges[i].name))
                break;
        if (i == sizeof ranges / sizeof ranges[0]) {
            s46_seterr(err, errlen, "waits.%s: unknown key", k);
            return -1;
        }
        s46_acc_range r;
        if (!json_is_array(v) || json_array_size(v) != 2 || !secs(json_array_get(v, 0), &r.lo) ||
            !secs(json_array_get(v, 1), &r.hi) || r.lo > r.hi) {
            s46_seterr(err, errlen, "waits.%s: must be [min, max] seconds, min <= max", k);
            return -1;
        }
        memcpy((char *)w + ranges[i].off, &r, sizeof r);
    }
    return 0;
}

uint32_t s46_acc_pick(s46_acc_range r, uint64_t rnd)
{
    return r.lo + (uint32_t)(rnd % ((uint64_t)r.hi - r.lo + 1));
}

uint32_t s46_acc_wait(const s46_acc_waits *w, s46_acc_outcome o, int64_t ttl, uint64_t rnd)
{
    switch (o) {
    case S46_ACC_OK:
    case S46_ACC_EMPTY:
        if (ttl < 0)
            return s46_acc_pick(w->no_ttl, rnd);
        return ttl < w->min_ttl ? w->min_ttl : (uint32_t)ttl;
    case S46_ACC_NOTFOUND: return s46_acc_pick(w->notfound, rnd);
    case S46_ACC_DNS_ERROR: return s46_acc_pick(w->dns_error, rnd);
    case S46_ACC_NO_ANSWER: return s46_acc_pick(w->no_answer, rnd);
    case S46_ACC_BAD_DATA: return s46_acc_pick(w->bad_data, rnd);
    }
    return s46_acc_pick(w->no_answer, rnd);
}

bool s46_acc_disables(s46_acc_outcome o)
{
    return o == S46_ACC_NOTFOUND || o == S46_ACC_EMPTY;
}

const char *s46_acc_outcome_name(s46_acc_outcome o)
{
    static const char *n[] = {"ok", "empty", "notfound", "dns_error", "no_answer", "bad_data"};
    return (unsigned)o < sizeof n / sizeof n[0] ? n[o] : "?";
}
