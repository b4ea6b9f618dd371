#include "reqlog.h"
#include "stats.h"
#include "lib/err.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>

#define MAX_QUEUED (1u << 14)

typedef struct queued {
    provd_reqlog r;
    int64_t t_ms;
} queued;

static bool use_syslog, use_db;
static queued *q, *batch;
static size_t nq, ndropped;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

void provd_reqlog_init(bool sl, bool db)
{
    use_syslog = sl;
    if (sl)
        openlog("s46-provd", LOG_PID, LOG_DAEMON);
    if (db) {
        q = calloc(MAX_QUEUED, sizeof *q);
        batch = calloc(MAX_QUEUED, sizeof *batch);
        use_db = q && batch;
    }
}

static const char *d(const char *s)
{
    return s[0] ? s : "-";
}

void provd_reqlog_write(const provd_reqlog *r)
{
    char line[600];
    /* The fields up to status keep the first version's order (scripts grep them). */
    snprintf(line, sizeof line,
             "src=%s vendorid=%s product=%s version=%s token=%s user=%s status=%d prefix=%s "
             "capability=%s tokhash=%s order=%s auth=%s %s",
             d(r->src), d(r->vendorid), d(r->product), d(r->version),
             r->sent_token ? "yes" : "no", r->sent_user ? "yes" : "no", r->status,
             d(r->src_prefix), d(r->capability), d(r->token), d(r->mechs), d(r->auth), r->what);
    fprintf(stderr, "provd %s\n", line);
    if (use_syslog)
        syslog(LOG_INFO, "%s", line);
    if (!use_db)
        return;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    pthread_mutex_lock(&mu);
    if (nq < MAX_QUEUED) {
        q[nq].r = *r;
        q[nq].t_ms = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
        nq++;
    } else
        ndropped++;
    pthread_mutex_unlock(&mu);
}

static const char *n(const char *s)
{
    return s[0] ? s : NULL;
}

int provd_reqlog_flush(s46_store *st, size_t *dropped, char *err, size_t errlen)
{
    *dropped = 0;
    if (!use_db)
        return 0;
    pthread_mutex_lock(&mu);
    queued *t = q;
    q = batch;
    batch = t;
    size_t cnt = nq;
    nq = 0;
    *dropped = ndropped;
    ndropped = 0;
    pthread_mutex_unlock(&mu);
    for (size_t i = 0; i < cnt; i++) {
        const provd_reqlog *r = &batch[i].r;
        s46_store_logrec rec = {batch[i].t_ms, n(r->src),     n(r->src_prefix), n(r->token),
                                n(r->vendorid), n(r->product), n(r->version),
                                n(r->capability), n(r->mechs), n(r->auth), r->status};
        if (s46_store_log_add(st, &rec, err, errlen) < 0)
            return -1;
    }
    return 0;
}

size_t provd_reqlog_queued(void)
{
    pthread_mutex_lock(&mu);
    size_t n = nq + ndropped;
    pthread_mutex_unlock(&mu);
    return n;
}

static pthread_mutex_t hmu = PTHREAD_MUTEX_INITIALIZER;
static time_t h_second;
static unsigned h_in_second, h_suppressed;

/* Under hmu: a new second says what the last one suppressed. */
static void httpd_roll(time_t now)
{
    if (now == h_second)
        return;
    if (h_suppressed) {
        fprintf(stderr, "s46-provd: http: %u more messages suppressed\n", h_suppressed);
        if (use_syslog)
            syslog(LOG_NOTICE, "http: %u more messages suppressed", h_suppressed);
    }
    h_second = now;
    h_in_second = h_suppressed = 0;
}

void provd_reqlog_httpd(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    pthread_mutex_lock(&hmu);
    httpd_roll(time(NULL));
    bool say = h_in_second < PROVD_HTTPD_MSGS_PER_S;
    if (say)
        h_in_second++;
    else
        h_suppressed++;
    pthread_mutex_unlock(&hmu);
    provd_stats_add(say ? PS_HTTP_MESSAGES : PS_HTTP_MESSAGES_SUPPRESSED, 1);
    if (!say)
        return; /* a flood costs a count, not a formatted line */
    char msg[300];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t len = strlen(msg);
    while (len && (msg[len - 1] == '\n' || msg[len - 1] == '\r' || msg[len - 1] == '.'))
        msg[--len] = 0;
    fprintf(stderr, "s46-provd: http: %s\n", msg);
    if (use_syslog)
        syslog(LOG_NOTICE, "http: %s", msg);
}

void provd_reqlog_httpd_tick(void)
{
    pthread_mutex_lock(&hmu);
    httpd_roll(time(NULL));
    pthread_mutex_unlock(&hmu);
}
