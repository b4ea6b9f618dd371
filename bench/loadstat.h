/* The load generators' bookkeeping (bench/tlsload.c, bench/srcload.c): a
 * monotonic clock, the latencies of the answers (grown as needed), sorted
 * for their percentiles, and the process's own CPU time. Bench code, not
 * shipped: an allocation failure ends the process. */
#ifndef S46_BENCH_LOADSTAT_H
#define S46_BENCH_LOADSTAT_H
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static double *lat;
static size_t nlat, caplat;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One answer's latency (seconds). */
static void lat_add(const char *prog, double s)
{
    if (nlat == caplat) {
        caplat = caplat ? caplat * 2 : 65536;
        if (!(lat = realloc(lat, caplat * sizeof *lat))) {
            perror(prog);
            exit(1);
        }
    }
    lat[nlat++] = s;
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Sorts the latencies (lat[nlat / 2] is then the median) and returns the
 * CPU seconds (user + system) the process has used. */
static double lat_done(void)
{
    qsort(lat, nlat, sizeof *lat, cmpd);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}
#endif
