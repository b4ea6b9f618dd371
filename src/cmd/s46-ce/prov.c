/* s46-ce's HB46PP client thread: the access sequence (docs/hb46pp.md, a-k) with
 * discovery (DNS TXT), the request, validation, mechanism choice, the
 * non-volatile store and the waits; plans go to the main thread, which
 * applies them between packet batches. Never logs token, user or pass. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <unistd.h>

#include "ce.h"
#include "io/rtnl.h"
#include "lib/err.h"
#include "lib/version.h"
#include "prov/dns.h"
#include "prov/fetch.h"
#include "prov/hb46pp.h"
#include "prov/nvstore.h"
#include "prov/query.h"
#include "prov/txt.h"

struct ce_prov {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int cmd[2];            /* main -> thread: 'r' reload, 'q' quit */
    int wake;              /* thread -> main: a plan is waiting (eventfd) */
    int nlfd;              /* address changes */
    struct ce_opts *o;     /* the thread's own settings */
    /* mailbox (mu) */
    struct ce_plan *pending;
    bool applied, stopping;
    int applied_rc;
    char applied_err[256];
    /* status for `s46 show` (mu) */
    const char *state;
    char url[1100], last_error[300], prefix[64], auth[8], enabler[256];
    const char *last_outcome, *running, *source;
    bool verify, have_token, creds_sent;
    time_t last_answer, next_at;
    int64_t ttl;
    unsigned attempts;
    /* thread only */
    char token[65];
    bool have_prefix;
    s46_pfx6 cur_prefix;
    s46_ip6 cur_source;
    bool have_source;
};

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("s46-ce: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void set_state(struct ce_prov *p, const char *st)
{
    pthread_mutex_lock(&p->mu);
    p->state = st;
    pthread_mutex_unlock(&p->mu);
}

static uint64_t rnd64(void)
{
    uint64_t r = 0;
    if (getrandom(&r, sizeof r, 0) != sizeof r)
        r = (uint64_t)time(NULL) * 6364136223846793005ull;
    return r;
}

/* Hands a plan to the main thread and waits until it was applied. */
static int submit(struct ce_prov *p, struct ce_plan *plan, char *err, size_t errlen)
{
    uint64_t one = 1;
    pthread_mutex_lock(&p->mu);
    p->pending = plan;
    p->applied = false;
    pthread_mutex_unlock(&p->mu);
    if (write(p->wake, &one, sizeof one) < 0) {
        /* an eventfd only fails when its counter overflows */
    }
    pthread_mutex_lock(&p->mu);
    while (!p->applied && !p->stopping)
        pthread_cond_wait(&p->cv, &p->mu);
    int rc = p->applied ? p->applied_rc : -1;
    if (p->applied)
        s46_seterr(err, errlen, "%s", p->applied_err);
    else
        s46_seterr(err, errlen, "stopping");
    p->pending = NULL;
    pthread_mutex_unlock(&p->mu);
    return rc;
}

void ce_prov_serve(struct ce_prov *p, struct ce_dp *dp)
{
    uint64_t n;
    if (read(p->wake, &n, sizeof n) < 0)
        return;
    pthread_mutex_lock(&p->mu);
    struct ce_plan *plan = p->pending;
    bool done = p->applied;
    pthread_mutex_unlock(&p->mu);
    if (!plan || done)
        return;
    char e[256] = "";
    int rc = ce_dp_apply(dp, plan, e, sizeof e);
    /* log while the plan still exists: the thread frees it once woken */
    ce_dp_log(dp, plan, rc, e);
    pthread_mutex_lock(&p->mu);
    p->applied = true;
    p->applied_rc = rc;
    snprintf(p->applied_err, sizeof p->applied_err, "%s", e);
    p->running = ce_mech_name(dp->mech);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

/* The End-user prefix now (static, or from the interface). */
static bool current_prefix(struct ce_prov *p, s46_pfx6 *out, s46_ip6 *src, bool *have_src)
{
    *have_src = false;
    if (p->o->have_prefix) {
        *out = p->o->prefix;
        return true;
    }
    if (s46_rtnl_prefix_from(p->o->prefix_if, p->o->prefix_len, out, src) < 0)
        return false;
    *have_src = true;
    return true;
}

static bool prefix_changed(struct ce_prov *p)
{
    s46_pfx6 now;
    s46_ip6 src;
    bool hs;
    bool have = current_prefix(p, &now, &src, &hs);
    if (have != p->have_prefix)
        return true;
    return have && (now.len != p->cur_prefix.len || !s46_ip6_eq(&now.addr, &p->cur_prefix.addr));
}

static void refresh_prefix(struct ce_prov *p)
{
    p->have_prefix = current_prefix(p, &p->cur_prefix, &p->cur_source, &p->have_source);
    pthread_mutex_lock(&p->mu);
    if (p->have_prefix) {
        char b[S46_IP6_STRLEN];
        snprintf(p->prefix, sizeof p->prefix, "%s/%u", s46_ip6_format(&p->cur_prefix.addr, b),
                 p->cur_prefix.len);
    } else {
        snprintf(p->prefix, sizeof p->prefix, "none");
    }
    pthread_mutex_unlock(&p->mu);
}

/* Runs the first mechanism of order that works here. 0 when something
 * runs, 1 when nothing could (why says why; the caller disables), -1
 * stopping. */
static int choose_and_apply(struct ce_prov *p, const json_t *resp, char *why, size_t whylen)
{
    json_t *order = json_object_get(resp, "order");
    size_t i;
    json_t *m;
    snprintf(why, whylen, "order is empty");
    json_array_foreach(order, i, m) {
        struct ce_plan plan;
        char e[256];
        if (ce_plan_build(json_string_value(m), resp, &p->cur_prefix, p->o, &plan, e, sizeof e) < 0) {
            logf_("order[%zu] %s cannot run here: %s", i, json_string_value(m), e);
            snprintf(why, whylen, "%s", e);
            continue;
        }
        int rc = submit(p, &plan, e, sizeof e);
        ce_plan_free(&plan);
        if (rc == 0) {
            if (*e)
                logf_("%s applied with a warning: %s", json_string_value(m), e);
            return 0;
        }
        pthread_mutex_lock(&p->mu);
        bool stopping = p->stopping;
        pthread_mutex_unlock(&p->mu);
        if (stopping)
            return -1;
        logf_("order[%zu] %s failed to start: %s", i, json_string_value(m), e);
        snprintf(why, whylen, "%s", e);
    }
    return 1;
}

static void disable(struct ce_prov *p)
{
    struct ce_plan none = {.mech = MECH_NONE};
    char e[64];
    submit(p, &none, e, sizeof e);
}

static int resolve(const char *host, s46_ip6 *out, char *err, size_t errlen, void *arg)
{
    struct ce_prov *p = arg;
    return s46_dns_aaaa(host, p->o->resolver, p->o->timeout_s * 1000, out, err, errlen) == S46_DNS_OK ? 0 : -1;
}

static void save_store(struct ce_prov *p, const json_t *resp, const char *url)
{
    if (!p->o->store)
        return;
    char b[S46_IP6_STRLEN], pfx[64], e[300];
    snprintf(pfx, sizeof pfx, "%s/%u", s46_ip6_format(&p->cur_prefix.addr, b), p->cur_prefix.len);
    json_t *rec = json_pack("{s:i,s:I,s:s,s:s,s:b,s:O}", "format", 1, "saved", (json_int_t)time(NULL),
                            "prefix", pfx, "url", url, "verify", p->verify, "response", resp);
    if (rec && p->token[0])
        json_object_set_new(rec, "token", json_string(p->token));
    if (!rec || s46_nvstore_save(p->o->store, rec, e, sizeof e) < 0)
        logf_("could not store the configuration: %s", rec ? e : "out of memory");
    json_decref(rec);
}

/* Boot: the stored configuration, if it is for this prefix. */
static void boot_from_store(struct ce_prov *p)
{
    if (!p->o->store)
        return;
    int missing;
    char e[300];
    json_t *rec = s46_nvstore_load(p->o->store, &missing, e, sizeof e);
    if (!rec) {
        if (!missing)
            logf_("stored configuration not used: %s", e);
        return;
    }
    json_t *tok = json_object_get(rec, "token");
    if (json_is_string(tok) && s46_q_token_ok(json_string_value(tok)))
        snprintf(p->token, sizeof p->token, "%s", json_string_value(tok));
    json_t *resp = json_object_get(rec, "response");
    const char *pfx = json_string_value(json_object_get(rec, "prefix"));
    s46_pfx6 sp;
    char b[S46_IP6_STRLEN], cur[64];
    snprintf(cur, sizeof cur, "%s/%u", s46_ip6_format(&p->cur_prefix.addr, b), p->cur_prefix.len);
    if (!resp || !pfx || s46_pfx6_parse(pfx, &sp, e, sizeof e) < 0 ||
        s46_hb46pp_validate(resp, S46_HB46PP_LENIENT_TOKEN, NULL, e, sizeof e) < 0) {
        logf_("stored configuration not used: invalid (%s)", e);
    } else if (!p->have_prefix || strcmp(pfx, cur) != 0) {
        logf_("stored configuration is for prefix %s, not %s: not used", pfx, cur);
    } else {
        char why[300];
        int rc = choose_and_apply(p, resp, why, sizeof why);
        pthread_mutex_lock(&p->mu);
        p->source = "store";
        p->have_token = p->token[0] != 0;
        snprintf(p->url, sizeof p->url, "%s", json_string_value(json_object_get(rec, "url")) ?: "");
        json_t *ttl = json_object_get(resp, "ttl");
        p->ttl = ttl ? json_integer_value(ttl) : -1;
        p->last_answer = (time_t)json_integer_value(json_object_get(rec, "saved"));
        pthread_mutex_unlock(&p->mu);
        logf_("stored configuration applied (%s)", rc == 0 ? p->running : why);
    }
    json_decref(rec);
}

static void build_params(struct ce_prov *p, char *out, size_t n)
{
    char ver[40];
    snprintf(ver, sizeof ver, "%s", S46_VERSION);
    for (char *c = ver; *c; c++)
        if (*c == '.')
            *c = '_';
    int k = snprintf(out, n, "vendorid=%s&product=%s&version=%s&capability=%s", p->o->vendorid,
                     p->o->product, ver, CE_CAPABILITY);
    if (p->token[0] && k > 0 && (size_t)k < n)
        snprintf(out + k, n - (size_t)k, "&token=%s", p->token);
}

static void record(struct ce_prov *p, s46_acc_outcome o, const char *err)
{
    pthread_mutex_lock(&p->mu);
    p->last_outcome = s46_acc_outcome_name(o);
    snprintf(p->last_error, sizeof p->last_error, "%s", err ? err : "");
    pthread_mutex_unlock(&p->mu);
    if (err && *err)
        logf_("provisioning: %s: %s", s46_acc_outcome_name(o), err);
}

/* One pass a..j of the access sequence; returns the outcome, *ttl. */
static s46_acc_outcome attempt(struct ce_prov *p, int64_t *ttl)
{
    char txtbuf[2048], e[300];
    *ttl = -1;
    pthread_mutex_lock(&p->mu);
    p->attempts++; /* with the state, so that no one sees a new count while "waiting" */
    p->state = "discovering";
    pthread_mutex_unlock(&p->mu);
    size_t txtlen;
    s46_dns_status ds = s46_dns_txt(p->o->txt_name, p->o->resolver, p->o->timeout_s * 1000, txtbuf,
                                    sizeof txtbuf, &txtlen, e, sizeof e);
    if (ds == S46_DNS_FAIL) {
        record(p, S46_ACC_DNS_ERROR, e);
        return S46_ACC_DNS_ERROR;
    }
    if (ds != S46_DNS_OK) {
        record(p, S46_ACC_NOTFOUND, e);
        return S46_ACC_NOTFOUND;
    }
    s46_txt txt;
    if (s46_txt_parse(txtbuf, txtlen, &txt, e, sizeof e) < 0) {
        record(p, S46_ACC_NOTFOUND, e);
        return S46_ACC_NOTFOUND;
    }
    pthread_mutex_lock(&p->mu);
    snprintf(p->url, sizeof p->url, "%s", txt.url);
    p->verify = txt.verify;
    pthread_mutex_unlock(&p->mu);
    logf_("discovered %s (t=%c) through the TXT record of %s", txt.url, txt.verify ? 'b' : 'a',
          p->o->txt_name);
    set_state(p, "fetching");
    char params[512], src[S46_IP6_STRLEN];
    build_params(p, params, sizeof params);
    s46_fetch_req req = {
        .url = txt.url, .verify = txt.verify, .ca_file = p->o->ca_file, .params = params,
        .user = p->o->user, .pass = p->o->pass, .server_name = p->o->server_name,
        .source = p->have_source ? s46_ip6_format(&p->cur_source, src) : NULL,
        .max_redirects = p->o->max_redirects, .timeout_s = p->o->timeout_s,
        .max_body = 1u << 20, .resolve = resolve, .resolve_arg = p,
    };
    s46_fetch_res res;
    s46_fetch(&req, &res);
    pthread_mutex_lock(&p->mu);
    p->creds_sent = res.sent_credentials;
    if (res.status == S46_FETCH_OK || res.hops)
        snprintf(p->url, sizeof p->url, "%s", res.final_url);
    pthread_mutex_unlock(&p->mu);
    if (res.status != S46_FETCH_OK) {
        record(p, S46_ACC_NO_ANSWER, res.err);
        s46_fetch_res_free(&res);
        return S46_ACC_NO_ANSWER;
    }
    /* docs/hb46pp.md, S9: a malformed token is dropped (and said), the
     * rest of the answer is kept; anything else invalid (a ttl above
     * 604800, an impossible or conflicting rule, a tunnel endpoint that is
     * not global unicast) makes the whole answer invalid and keeps what
     * runs (N1, N2) */
    json_t *resp = s46_hb46pp_parse(res.body, res.len, S46_HB46PP_LENIENT_TOKEN, e, sizeof e);
    s46_fetch_res_free(&res);
    if (!resp) {
        record(p, S46_ACC_BAD_DATA, e);
        return S46_ACC_BAD_DATA;
    }
    json_t *bt = json_object_get(resp, "token");
    if (bt && !(json_is_string(bt) && s46_q_token_ok(json_string_value(bt)))) {
        logf_("the answer's token is not 64 lowercase hex digits: dropped, the rest kept%s",
              p->token[0] ? " (the previous token stays)" : "");
        json_object_del(resp, "token");
    }
    json_t *tok = json_object_get(resp, "token");
    if (json_is_string(tok))
        snprintf(p->token, sizeof p->token, "%s", json_string_value(tok));
    json_t *t = json_object_get(resp, "ttl");
    *ttl = t ? json_integer_value(t) : -1;
    char *order = json_dumps(json_object_get(resp, "order"), JSON_COMPACT);
    logf_("answer from %s: order %s, ttl %lld%s%s", p->url, order ? order : "?", (long long)*ttl,
          json_object_get(resp, "auth") ? ", auth " : "",
          json_string_value(json_object_get(resp, "auth")) ?: "");
    free(order);
    pthread_mutex_lock(&p->mu);
    p->last_answer = time(NULL);
    p->ttl = *ttl;
    p->source = "server";
    p->have_token = p->token[0] != 0;
    snprintf(p->auth, sizeof p->auth, "%s", json_string_value(json_object_get(resp, "auth")) ?: "");
    snprintf(p->enabler, sizeof p->enabler, "%s",
             json_string_value(json_object_get(resp, "enabler_name")) ?: "");
    pthread_mutex_unlock(&p->mu);
    set_state(p, "configuring");
    char why[300];
    int rc = choose_and_apply(p, resp, why, sizeof why);
    /* The store takes an answer only once it was applied: a mechanism of
     * it runs, or it explicitly offers none (then a reboot must not bring
     * back what the server withdrew). An answer none of whose mechanisms
     * could start leaves the stored one as it was. */
    if (rc == 0 || (rc > 0 && json_array_size(json_object_get(resp, "order")) == 0))
        save_store(p, resp, p->url);
    json_decref(resp);
    if (rc != 0) {
        record(p, S46_ACC_EMPTY, rc < 0 ? "stopping" : why);
        return S46_ACC_EMPTY;
    }
    record(p, S46_ACC_OK, NULL);
    return S46_ACC_OK;
}

/* Sleeps up to secs; returns 'q' (quit), 'r' (reload), 'p' (prefix
 * changed) or 0 (time is up). */
static int wait_for(struct ce_prov *p, uint32_t secs)
{
    time_t until = time(NULL) + secs;
    pthread_mutex_lock(&p->mu);
    p->next_at = until;
    pthread_mutex_unlock(&p->mu);
    for (;;) {
        time_t now = time(NULL);
        if (now >= until)
            return 0;
        struct pollfd pf[2] = {{.fd = p->cmd[0], .events = POLLIN}, {.fd = p->nlfd, .events = POLLIN}};
        long ms = (long)(until - now) * 1000;
        int r = poll(pf, 2, (int)(ms > 1000 ? 1000 : ms));
        if (r > 0 && (pf[0].revents & POLLIN)) {
            char c = 0;
            if (read(p->cmd[0], &c, 1) == 1 && (c == 'q' || c == 'r'))
                return c;
        }
        if (r > 0 && (pf[1].revents & POLLIN))
            s46_rtnl_watch_drain(p->nlfd);
        /* addresses are checked every second too: a netlink message can be lost */
        if (!p->o->have_prefix && prefix_changed(p))
            return 'p';
    }
}

static void reload(struct ce_prov *p)
{
    struct ce_opts *n = calloc(1, sizeof *n);
    char e[300];
    if (!n || ce_opts_load(p->o->path, p->o->prefix_arg, n, e, sizeof e) < 0) {
        logf_("reload failed, keeping the running settings: %s", n ? e : "out of memory");
        free(n);
        return;
    }
    if (!n->prov) {
        logf_("reload: the file no longer has a provisioning object; restart to change mode");
        ce_opts_free(n);
        free(n);
        return;
    }
    pthread_mutex_lock(&p->mu);
    struct ce_opts *old = p->o;
    p->o = n;
    pthread_mutex_unlock(&p->mu);
    ce_opts_free(old);
    free(old);
    logf_("settings reloaded");
}

static void *run(void *arg)
{
    struct ce_prov *p = arg;
    refresh_prefix(p);
    boot_from_store(p);
    uint32_t wait = s46_acc_pick(p->o->waits.boot, rnd64());
    for (;;) {
        set_state(p, p->have_prefix ? "waiting" : "no_prefix");
        int why = wait_for(p, p->have_prefix ? wait : 3600);
        if (why == 'q')
            break;
        if (why == 'r')
            reload(p);
        if (why == 'p' || why == 'r') {
            refresh_prefix(p);
            logf_("End-user prefix is %s: fetching again", p->prefix);
        }
        if (!p->have_prefix) {
            disable(p);
            wait = 3600;
            continue;
        }
        int64_t ttl;
        s46_acc_outcome o = attempt(p, &ttl);
        if (s46_acc_disables(o))
            disable(p);
        wait = s46_acc_wait(&p->o->waits, o, ttl, rnd64());
        logf_("provisioning %s; next attempt in %u s", s46_acc_outcome_name(o), wait);
        pthread_mutex_lock(&p->mu);
        bool stopping = p->stopping;
        pthread_mutex_unlock(&p->mu);
        if (stopping)
            break;
    }
    set_state(p, "stopped");
    return NULL;
}

struct ce_prov *ce_prov_start(struct ce_opts *opts, char *err, size_t errlen)
{
    struct ce_prov *p = calloc(1, sizeof *p);
    if (!p) {
        s46_seterr(err, errlen, "out of memory");
        return NULL;
    }
    p->o = opts;
    p->state = "starting";
    p->last_outcome = "none";
    p->running = "none";
    p->source = "none";
    p->ttl = -1;
    p->nlfd = -1;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (p->wake < 0 || pipe2(p->cmd, O_CLOEXEC | O_NONBLOCK) < 0) {
        s46_seterr(err, errlen, "eventfd/pipe: %s", strerror(errno));
        goto fail;
    }
    if (!opts->have_prefix && (p->nlfd = s46_rtnl_watch_open(err, errlen)) < 0)
        goto fail;
    if (pthread_create(&p->th, NULL, run, p) != 0) {
        s46_seterr(err, errlen, "cannot start the provisioning thread");
        goto fail;
    }
    return p;
fail:
    if (p->wake >= 0)
        close(p->wake);
    free(p);
    return NULL;
}

int ce_prov_wake_fd(const struct ce_prov *p) { return p->wake; }

void ce_prov_reload(struct ce_prov *p)
{
    if (write(p->cmd[1], "r", 1) < 0) {
        /* a full pipe already holds a command */
    }
}

json_t *ce_prov_show(struct ce_prov *p)
{
    time_t now = time(NULL);
    pthread_mutex_lock(&p->mu);
    json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:b,s:I,s:s,s:s}",
                          "mode", "hb46pp", "state", p->state, "prefix", p->prefix,
                          "server", p->url, "t", p->verify ? "b" : "a", "last_outcome",
                          p->last_outcome, "last_error", p->last_error, "token", p->have_token,
                          "credentials_sent", p->creds_sent, "attempts", (json_int_t)p->attempts,
                          "running", p->running, "config_source", p->source);
    if (j) {
        json_object_set_new(j, "last_answer", p->last_answer ? json_integer(p->last_answer) : json_null());
        json_object_set_new(j, "last_answer_age", p->last_answer ? json_integer(now - p->last_answer) : json_null());
        json_object_set_new(j, "ttl", p->ttl >= 0 ? json_integer(p->ttl) : json_null());
        json_object_set_new(j, "next_attempt_in", json_integer(p->next_at > now ? p->next_at - now : 0));
        if (p->auth[0])
            json_object_set_new(j, "auth", json_string(p->auth));
        if (p->enabler[0])
            json_object_set_new(j, "enabler_name", json_string(p->enabler));
        if (p->o->store)
            json_object_set_new(j, "store", json_string(p->o->store));
    }
    pthread_mutex_unlock(&p->mu);
    return j;
}

void ce_prov_stop(struct ce_prov *p)
{
    pthread_mutex_lock(&p->mu);
    p->stopping = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    if (write(p->cmd[1], "q", 1) < 0) {
        /* the pipe is full of commands; stopping is set anyway */
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 2;
    if (pthread_timedjoin_np(p->th, NULL, &ts) != 0)
        return; /* stuck in a network call: leave it to the process exit */
    close(p->wake);
    close(p->cmd[0]);
    close(p->cmd[1]);
    s46_rtnl_watch_close(p->nlfd);
    ce_opts_free(p->o);
    free(p->o);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
}
