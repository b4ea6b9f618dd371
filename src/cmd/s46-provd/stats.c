#include "stats.h"
#include "lib/counters.h"

#include <string.h>

static const char *const names[PROVD_NCOUNTERS] = {
    [PS_REQUESTS] = "requests",
    [PS_STATUS_200] = "status_200",
    [PS_STATUS_307] = "status_307",
    [PS_STATUS_400] = "status_400",
    [PS_STATUS_403] = "status_403",
    [PS_STATUS_404] = "status_404",
    [PS_STATUS_405] = "status_405",
    [PS_STATUS_500] = "status_500",
    [PS_STATUS_OTHER] = "status_other",
    [PS_BY_TOKEN] = "answered_by_token",
    [PS_BY_SOURCE] = "answered_by_source",
    [PS_ORDER_EMPTY] = "answered_order_empty",
    [PS_TOKEN_OUT_OF_SCOPE] = "token_unknown_out_of_scope",
    [PS_TOKENS_ISSUED] = "tokens_issued",
    [PS_TOKENS_REPLACED] = "tokens_replaced",
    [PS_TOKENS_FROM_DB] = "tokens_from_database",
    [PS_AUTH_BY_TOKEN] = "auth_ok_by_token",
    [PS_AUTH_OK] = "auth_ok",
    [PS_AUTH_BAD] = "auth_bad",
    [PS_AUTH_REQ] = "auth_req",
    [PS_LOGINS_RATE_LIMITED] = "logins_rate_limited",
    [PS_DB_WRITE_FAILURES] = "db_write_failures",
    [PS_LOG_ROWS_DROPPED] = "log_rows_dropped",
    [PS_RELOADS] = "reloads",
    [PS_RELOAD_FAILURES] = "reload_failures",
    [PS_HTTP_MESSAGES] = "http_messages",
    [PS_HTTP_MESSAGES_SUPPRESSED] = "http_messages_suppressed",
    [PS_CERT_CHANGES] = "tls_cert_changes",
    [PS_CERT_RELOAD_FAILURES] = "tls_cert_reload_failures",
};

static uint64_t v[PROVD_NCOUNTERS];

void provd_stats_add(provd_counter c, uint64_t n)
{
    __atomic_fetch_add(&v[c], n, __ATOMIC_RELAXED);
}

void provd_stats_answer(const provd_reqlog *lg)
{
    static const struct { int status; provd_counter c; } by_status[] = {
        {200, PS_STATUS_200}, {307, PS_STATUS_307}, {400, PS_STATUS_400}, {403, PS_STATUS_403},
        {404, PS_STATUS_404}, {405, PS_STATUS_405}, {500, PS_STATUS_500},
    };
    provd_stats_add(PS_REQUESTS, 1);
    provd_counter sc = PS_STATUS_OTHER;
    for (size_t i = 0; i < sizeof by_status / sizeof by_status[0]; i++)
        if (by_status[i].status == lg->status)
            sc = by_status[i].c;
    provd_stats_add(sc, 1);
    if (lg->status != 200)
        return;
    if (!lg->mechs[0])
        provd_stats_add(PS_ORDER_EMPTY, 1);
    if (!strcmp(lg->what, "by-token"))
        provd_stats_add(PS_BY_TOKEN, 1);
    else if (!strcmp(lg->what, "by-source"))
        provd_stats_add(PS_BY_SOURCE, 1);
    else if (!strcmp(lg->what, "out of scope"))
        provd_stats_add(PS_TOKEN_OUT_OF_SCOPE, 1);
    if (!strcmp(lg->auth, "ok"))
        provd_stats_add(PS_AUTH_OK, 1);
    else if (!strcmp(lg->auth, "bad"))
        provd_stats_add(PS_AUTH_BAD, 1);
    else if (!strcmp(lg->auth, "req"))
        provd_stats_add(PS_AUTH_REQ, 1);
}

json_t *provd_stats_json(void)
{
    uint64_t snap[PROVD_NCOUNTERS];
    for (unsigned i = 0; i < PROVD_NCOUNTERS; i++)
        snap[i] = __atomic_load_n(&v[i], __ATOMIC_RELAXED);
    s46_counters c = {names, PROVD_NCOUNTERS, snap};
    return s46_counters_json(&c);
}
