#include "lib/num.h"

#include <errno.h>
#include <stdlib.h>

bool s46_uint_parse(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
    char *end;
    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}
