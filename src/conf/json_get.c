#include "conf/json_get.h"
#include "lib/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bad(const char *key, const char *what, char *err, size_t errlen)
{
    s46_seterr(err, errlen, "%s: must be %s", key, what);
    return -1;
}

int s46_json_u32(const json_t *obj, const char *key, uint32_t lo, uint32_t hi, uint32_t *out,
                 char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        char what[40];
        snprintf(what, sizeof what, "an integer %u..%u", lo, hi);
        return bad(key, what, err, errlen);
    }
    *out = (uint32_t)json_integer_value(v);
    return 0;
}

/* An integer lo..hi into an unsigned of size n. */
static int narrow(const json_t *obj, const char *key, uint32_t lo, uint32_t hi, void *out,
                  size_t n, char *err, size_t errlen)
{
    uint32_t v = n == 1 ? *(uint8_t *)out : *(uint16_t *)out;
    if (s46_json_u32(obj, key, lo, hi, &v, err, errlen) < 0)
        return -1;
    if (n == 1)
        *(uint8_t *)out = (uint8_t)v;
    else
        *(uint16_t *)out = (uint16_t)v;
    return 0;
}

int s46_json_u16(const json_t *obj, const char *key, uint16_t lo, uint16_t hi, uint16_t *out,
                 char *err, size_t errlen)
{
    return narrow(obj, key, lo, hi, out, sizeof *out, err, errlen);
}

int s46_json_u8(const json_t *obj, const char *key, uint8_t lo, uint8_t hi, uint8_t *out,
                char *err, size_t errlen)
{
    return narrow(obj, key, lo, hi, out, sizeof *out, err, errlen);
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
    if (!json_is_boolean(v))
        return bad(key, "true or false", err, errlen);
    *out = json_is_true(v);
    return 0;
}

/* Whether obj has the member key; *s its string (NULL: not a string). */
static bool str_member(const json_t *obj, const char *key, const char **s)
{
    json_t *v = json_object_get(obj, key);
    *s = json_string_value(v);
    return v != NULL;
}

int s46_json_ip4(const json_t *obj, const char *key, uint32_t *out, char *err, size_t errlen)
{
    const char *s;
    if (str_member(obj, key, &s) && (!s || s46_ip4_parse(s, out) < 0))
        return bad(key, "an IPv4 address", err, errlen);
    return 0;
}

int s46_json_ip6(const json_t *obj, const char *key, s46_ip6 *out, char *err, size_t errlen)
{
    const char *s;
    if (str_member(obj, key, &s) && (!s || s46_ip6_parse(s, out) < 0))
        return bad(key, "an IPv6 address", err, errlen);
    return 0;
}

int s46_json_str(const json_t *obj, const char *key, char **out, char *err, size_t errlen)
{
    const char *v;
    if (!str_member(obj, key, &v))
        return 0;
    if (!v || !*v)
        return bad(key, "a non-empty string", err, errlen);
    char *s = strdup(v);
    if (!s) {
        s46_seterr(err, errlen, "%s: out of memory", key);
        return -1;
    }
    free(*out);
    *out = s;
    return 0;
}
