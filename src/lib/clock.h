/* The data planes' time base: CLOCK_MONOTONIC in nanoseconds (packet
 * arrival stamps, the pipelines' `now`, timers). */
#ifndef S46_CLOCK_H
#define S46_CLOCK_H
#include <stdint.h>
#include <time.h>

static inline uint64_t s46_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
#endif
