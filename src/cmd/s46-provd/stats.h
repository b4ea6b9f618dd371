/* s46-provd's counters: every answer by status and by how the CE was
 * identified, tokens issued and replaced, logins, and the server's own troubles
 * (database writes, log rows dropped, reloads, the HTTP library's
 * messages). Any thread may count (relaxed atomics); provd_stats_json
 * takes a snapshot for the control socket (`s46 show --ctl PATH`). */
#ifndef S46_PROVD_STATS_H
#define S46_PROVD_STATS_H
#include "reqlog.h"

#include <jansson.h>
#include <stdint.h>

typedef enum provd_counter {
    PS_REQUESTS,
    PS_STATUS_200, PS_STATUS_307, PS_STATUS_400, PS_STATUS_403, PS_STATUS_404,
    PS_STATUS_405, PS_STATUS_500, PS_STATUS_OTHER,
    PS_BY_TOKEN, PS_BY_SOURCE, PS_ORDER_EMPTY, PS_TOKEN_OUT_OF_SCOPE, PS_TOKENS_ISSUED,
    PS_TOKENS_REPLACED, PS_TOKENS_FROM_DB, PS_AUTH_BY_TOKEN,
    PS_AUTH_OK, PS_AUTH_BAD, PS_AUTH_REQ, PS_LOGINS_RATE_LIMITED,
    PS_DB_WRITE_FAILURES, PS_LOG_ROWS_DROPPED, PS_RELOADS, PS_RELOAD_FAILURES,
    PS_HTTP_MESSAGES, PS_HTTP_MESSAGES_SUPPRESSED, PS_CERT_CHANGES, PS_CERT_RELOAD_FAILURES,
    PROVD_NCOUNTERS
} provd_counter;

void provd_stats_add(provd_counter c, uint64_t n);
/* Counts one answered request from its log record. */
void provd_stats_answer(const provd_reqlog *lg);
/* A new JSON object {"requests": n, ...} (caller json_decref's it). */
json_t *provd_stats_json(void);
#endif
