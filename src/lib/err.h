/* Error messages of the library: functions that can fail take (char *err,
 * size_t errlen) and leave one line, without a trailing newline, naming what
 * is wrong. err may be NULL. Library code never prints. */
#ifndef S46_ERR_H
#define S46_ERR_H
#include <stddef.h>

__attribute__((format(printf, 3, 4)))
void s46_seterr(char *err, size_t errlen, const char *fmt, ...);
#endif
