/* One record per request: a line on stderr ("provd src=... status=..."),
 * the same line to syslog (daemon.info) with --syslog, and a row in the
 * database's provisioning log when the server has a database (queued,
 * written by provd_reqlog_flush in the main loop's transaction). Never the
 * token, user or pass: a token appears as the first 16 hex digits of its
 * BLAKE2b hash, credentials only as "user=yes". */
#ifndef S46_PROVD_REQLOG_H
#define S46_PROVD_REQLOG_H
#include "prov/store.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct provd_reqlog {
    char src[46], src_prefix[50], token[17], vendorid[32], product[33], version[33],
        capability[129], mechs[64], auth[4];
    bool sent_token, sent_user;
    int status;
    char what[96];       /* free text for stderr/syslog: why this status */
} provd_reqlog;

void provd_reqlog_init(bool syslog, bool db);
void provd_reqlog_write(const provd_reqlog *r);
/* Writes the queued rows (inside the caller's transaction); 0 or -1 with
 * err (those rows are then lost). *dropped gets the rows dropped since the
 * last call because the queue was full. */
int provd_reqlog_flush(s46_store *st, size_t *dropped, char *err, size_t errlen);
/* Rows waiting for provd_reqlog_flush (dropped ones included). */
size_t provd_reqlog_queued(void);
/* libmicrohttpd's own messages (failed TLS handshakes, accept errors, ...)
 * as "s46-provd: http: ..." lines on stderr (and syslog, daemon.notice),
 * at most PROVD_HTTPD_MSGS_PER_S a second: the rest are counted and said
 * in one line ("N more messages suppressed") once that second is over
 * (the main loop calls provd_reqlog_httpd_tick), so hostile clients cannot
 * flood the log. Thread-safe. */
#define PROVD_HTTPD_MSGS_PER_S 10
void provd_reqlog_httpd(void *cls, const char *fmt, va_list ap);
void provd_reqlog_httpd_tick(void);
#endif
