/* Typed members of a JSON settings object, the one family every settings
 * parser (the BR's, the CE's) reads with. Each reads obj's member key when
 * it is there and leaves *out alone when it is absent (0 both ways); a
 * member of the wrong type or out of range is -1 with err naming it:
 * "key: must be ...". */
#ifndef S46_CONF_JSON_GET_H
#define S46_CONF_JSON_GET_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"

/* An integer lo..hi. */
int s46_json_u32(const json_t *obj, const char *key, uint32_t lo, uint32_t hi, uint32_t *out,
                 char *err, size_t errlen);
int s46_json_u16(const json_t *obj, const char *key, uint16_t lo, uint16_t hi, uint16_t *out,
                 char *err, size_t errlen);
int s46_json_u8(const json_t *obj, const char *key, uint8_t lo, uint8_t hi, uint8_t *out,
                char *err, size_t errlen);
/* null (-1) or an integer lo..hi. */
int s46_json_u8_or_null(const json_t *obj, const char *key, uint8_t lo, uint8_t hi,
                        int16_t *out, char *err, size_t errlen);
int s46_json_bool(const json_t *obj, const char *key, bool *out, char *err, size_t errlen);
/* An address as a string. */
int s46_json_ip4(const json_t *obj, const char *key, uint32_t *out, char *err, size_t errlen);
int s46_json_ip6(const json_t *obj, const char *key, s46_ip6 *out, char *err, size_t errlen);
/* A non-empty string, copied into *out (malloc'd; the old value freed). */
int s46_json_str(const json_t *obj, const char *key, char **out, char *err, size_t errlen);
#endif
