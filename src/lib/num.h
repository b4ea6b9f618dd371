/* Strict decimal numbers for command lines and text settings: digits only
 * (no sign, blank, base prefix or trailing character), within [lo, hi]. */
#ifndef S46_NUM_H
#define S46_NUM_H
#include <stdbool.h>

bool s46_uint_parse(const char *s, unsigned long lo, unsigned long hi, unsigned long *out);
#endif
