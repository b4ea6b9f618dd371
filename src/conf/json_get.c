#include "conf/json_get.h"
#include "lib/err.h"

#include <stdlib.h>
#include <string.h>

int s46_json_u32(const json_t *obj, const char *key, uint32_t lo, uint32_t hi, uint32_t *out,
                 char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        s46_seterr(err, errlen, "%s: must be an integer %u..%u", key, lo, hi);
        return -1;
    }
    *out = (uint32_t)json_integer_value(v);
    return 0;
}

int s46_json_u16(const json_t *obj, const char *key, uint16_t lo, uint16_t hi, uint16_t *out,
                 char *err, size_t errlen)
{
    uint32_t v = *out;
    if (s46_json_u32(obj, key, lo, hi, &v, err, errlen) < 0)
        return -1;
    *out = (uint16_t)v;
    return 0;
}

int s46_json_u8(const json_t *obj, const char *key, uint8_t lo, uint8_t hi, uint8_t *out,
                char *err, size_t errlen)
{
    uint32_t v = *out;
    if (s46_json_u32(obj, key, lo, hi, &v, err, errlen) < 0)
        return -1;
    *out = (uint8_t)v;
    return 0;
}

int s46_json_u8_or_null(const json_t *obj, const char *key, uint8_t lo, uint8_t hi,
                        int16_t *out, char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    if (json_is_null(v)) {
        *out = -1;
        return 0;
    }
    uint8_t b = 0;
    if (!v || s46_json_u8(obj, key, lo, hi, &b, err, errlen) < 0)
        return v ? -1 : 0;
    *out = b;
    return 0;
}

int s46_json_bool(const json_t *obj, const char *key, bool *out, char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return 0;
    if (!json_is_boolean(v)) {
        s46_seterr(err, errlen, "%s: must be true or false", key);
        return -1;
    }
    *out = json_is_true(v);
    return 0;
}

int s46_json_ip4(const json_t *obj, const char *key, uint32_t *out, char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    if (v && (!json_is_string(v) || s46_ip4_parse(json_string_value(v), out) < 0)) {
        s46_seterr(err, errlen, "%s: must be an IPv4 address", key);
        return -1;
    }
    return 0;
}

int s46_json_ip6(const json_t *obj, const char *key, s46_ip6 *out, char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    if (v && (!json_is_string(v) || s46_ip6_parse(json_string_value(v), out) < 0)) {
        s46_seterr(err, errlen, "%s: must be an IPv6 address", key);
        return -1;
    }
    return 0;
}

int s46_json_str(const json_t *obj, const char *key, char **out, char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return 0;
    if (!json_is_string(v) || !*json_string_value(v)) {
        s46_seterr(err, errlen, "%s: must be a non-empty string", key);
        return -1;
    }
    char *s = strdup(json_string_value(v));
    if (!s) {
        s46_seterr(err, errlen, "%s: out of memory", key);
        return -1;
    }
    free(*out);
    *out = s;
    return 0;
}
