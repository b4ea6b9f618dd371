/* The HTTP(S) side of s46-provd: libmicrohttpd, internal epoll thread pool,
 * and the main loop that writes the database and reloads.
 * One request = parse and validate the query (prov/query.h), pick a profile
 * by token or by longest-prefix match on the IPv6 source in the current
 * configuration snapshot (config.h), build the answer from the profile's
 * template filtered by capability, check it with the CE's validator
 * (prov/hb46pp.h), answer, log (reqlog.h; never user, pass or token).
 * With a database, an answer that carries a new token is held (its
 * connection suspended) until the token is on disk, so a CE never holds a
 * token the server could forget.
 * The main thread wakes at least every 0.1 s, and at once when an answer
 * is held; each time it writes the queued tokens and log rows in one
 * transaction (one fsync for all of them) and releases the answers whose
 * tokens that made durable. It reloads the profiles and users on SIGHUP or
 * when another process changed the database (s46_store_data_version:
 * SQLite's PRAGMA data_version, PostgreSQL's notifications; checked at
 * each wake, so within 0.1 s). With PostgreSQL a second connection serves
 * the request threads' look-ups of tokens other servers issued. */
#include "provd.h"
#include "config.h"
#include "lib/addr.h"
#include "prov/hb46pp.h"
#include "prov/query.h"
#include "io/ctl.h"
#include "lib/num.h"
#include "lib/version.h"
#include "reqlog.h"
#include "stats.h"
#include "tlscert.h"
#include "tokens.h"

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* TLS 1.3 and 1.2 as GnuTLS's NORMAL, but the server picks: AES-128-GCM
 * first (SHA-256 key schedule, cheaper than AES-256-GCM's SHA-384 at equal
 * strength for a configuration download) and X25519 first, the key share
 * most clients send (so no HelloRetryRequest). --tls-priority replaces it. */
#define TLS_PRIORITY                                                                   \
    "NORMAL:%SERVER_PRECEDENCE:-CIPHER-ALL:+AES-128-GCM:+CHACHA20-POLY1305:"           \
    "+AES-256-GCM:+AES-128-CBC:+AES-256-CBC:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:" \
    "+GROUP-SECP384R1:+GROUP-X448:+GROUP-SECP521R1"

#define MAX_PARAMS 64 /* query parameters in one request */

static const char *cfg_path = "/config";
static unsigned unknown_status = MHD_HTTP_FORBIDDEN;
static bool durable; /* tokens go to a database: hold answers until written */

/* An answer carrying a new token, its connection suspended until the token
 * is written (seq, see tokens.h). */
typedef struct held {
    struct MHD_Connection *c;
    uint64_t seq;
    char *body;
    provd_reqlog lg;
    struct held *next;
} held;
static held *held_list;
static bool stopping, kicked;  /* under held_mu */
static pthread_mutex_t held_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t kick = PTHREAD_COND_INITIALIZER;

static void held_free(held *h)
{
    sodium_memzero(h->body, strlen(h->body));
    free(h->body);
    free(h);
}

/* Resumes the held answers with seq <= upto (all of them when all). */
static void release_held(uint64_t upto, bool all)
{
    held *ready = NULL;
    pthread_mutex_lock(&held_mu);
    for (held **pp = &held_list; *pp;) {
        held *h = *pp;
        if (all || h->seq <= upto) {
            *pp = h->next;
            h->next = ready;
            ready = h;
        } else
            pp = &h->next;
    }
    pthread_mutex_unlock(&held_mu);
    while (ready) {
        held *h = ready;
        ready = h->next; /* h belongs to its connection once resumed */
        MHD_resume_connection(h->c);
    }
}

/* Failed-login limiter: token bucket per source /64 (burst 5, one token
 * back every 10 s), in a small hashed table; collisions share a bucket,
 * which only makes the limit stricter. */
#define RL_SLOTS 4096
static struct { uint64_t net; double tokens; time_t t; } rl[RL_SLOTS];
static pthread_mutex_t rl_mu = PTHREAD_MUTEX_INITIALIZER;

static bool rl_allowed(const s46_ip6 *a, bool consume)
{
    uint64_t net;
    memcpy(&net, a->b, 8);
    size_t s = (size_t)((net * 0x9e3779b97f4a7c15ull) >> 52) & (RL_SLOTS - 1);
    time_t now = time(NULL);
    pthread_mutex_lock(&rl_mu);
    if (rl[s].net != net || rl[s].t == 0) {
        rl[s].net = net;
        rl[s].tokens = 5;
        rl[s].t = now;
    }
    rl[s].tokens += (double)(now - rl[s].t) / 10.0;
    if (rl[s].tokens > 5)
        rl[s].tokens = 5;
    rl[s].t = now;
    bool ok = rl[s].tokens >= 1;
    if (ok && consume)
        rl[s].tokens -= 1;
    pthread_mutex_unlock(&rl_mu);
    return ok;
}

/* Query parameters of interest; first occurrence wins (duplicates tolerated). */
typedef struct req {
    const char *vendorid, *product, *version, *capability, *token, *user, *pass;
    unsigned nargs;
    bool bad_utf8;
} req;

static enum MHD_Result arg_it(void *cls, enum MHD_ValueKind kind, const char *key,
                              const char *value)
{
    (void)kind;
    req *r = cls;
    r->nargs++;
    if (!value)
        value = "";
    static const char *const names[] = {"vendorid", "product", "version", "capability",
                                        "token",    "user",    "pass"};
    const char **slots[] = {&r->vendorid, &r->product, &r->version, &r->capability,
                            &r->token,    &r->user,    &r->pass};
    for (size_t i = 0; i < 7; i++)
        if (!strcmp(key, names[i]) && !*slots[i])
            *slots[i] = value;
    return MHD_YES;
}

/* MAP-E mesh vs hub-and-spoke gate: a CE that announced exactly one of
 * hubspoke/mesh only gets map_e in that mode. */
static bool mape_fits(const json_t *mape, unsigned caps)
{
    bool hs = caps & S46_CAP_HUBSPOKE, mesh = caps & S46_CAP_MESH;
    if (hs == mesh)
        return true;
    json_t *m = json_object_get(mape, "mesh");
    bool is_mesh = json_is_true(m) || (json_is_integer(m) && json_integer_value(m) == 1);
    return is_mesh ? mesh : hs;
}

/* "ok", "bad" or "req"/NULL (no credentials sent). */
static const char *check_auth(const provd_cfg *cfg, int p, const char *user, const char *pass,
                              const s46_ip6 *src)
{
    if (!user)
        return cfg->uses_auth[p] ? "req" : NULL;
    if (!rl_allowed(src, false)) {
        provd_stats_add(PS_LOGINS_RATE_LIMITED, 1);
        return "bad"; /* over the limit: bad without hashing */
    }
    const char *h = provd_cfg_user_hash(cfg, p, user);
    if (h && crypto_pwhash_str_verify(h, pass, strlen(pass)) == 0)
        return "ok";
    rl_allowed(src, true);
    return "bad";
}

/* The answer (closing: then the connection closes). */
static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *body,
                             const char *location, bool closing)
{
    struct MHD_Response *rs = MHD_create_response_from_buffer(
        strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!rs)
        return MHD_NO;
    if (status == 200)
        MHD_add_response_header(rs, "Content-Type", "application/json");
    if (location)
        MHD_add_response_header(rs, "Location", location);
    if (closing)
        MHD_add_response_header(rs, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ret = MHD_queue_response(c, status, rs);
    MHD_destroy_response(rs);
    return ret;
}

/* Logs the request and answers it (closing: then closes the connection). */
static enum MHD_Result done_(struct MHD_Connection *c, provd_reqlog *lg, unsigned status,
                             const char *what, const char *body, const char *location,
                             bool closing)
{
    lg->status = (int)status;
    if (what)
        snprintf(lg->what, sizeof lg->what, "%s", what);
    provd_reqlog_write(lg);
    provd_stats_answer(lg);
    return reply(c, status, body, location, closing);
}
static enum MHD_Result done(struct MHD_Connection *c, provd_reqlog *lg, unsigned status,
                            const char *what, const char *body, const char *location)
{
    return done_(c, lg, status, what, body, location, false);
}

static const char *const mechs[] = {"464xlat", "dslite", "ipip", "lw4o6", "map_e", "map_t"};
static const unsigned mech_bits[] = {S46_CAP_464XLAT, S46_CAP_DSLITE, S46_CAP_IPIP,
                                     S46_CAP_LW4O6,   S46_CAP_MAPE,   S46_CAP_MAPT};

/* The answer for profile p: its template, order filtered by capability,
 * ttl jittered, a new token when owner is not NULL (counted against owner,
 * authenticating user when not NULL; its hash prefix into hpfx, its
 * write-queue seq into *seq, else 0). */
static json_t *build(const s46_profile *prof, unsigned caps, const char *owner,
                     const char *user, char hpfx[17], uint64_t *seq)
{
    json_t *out = json_deep_copy(prof->tmpl);
    if (!out)
        return NULL;
    json_t *order = json_object_get(out, "order");
    json_t *norder = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(order, i, v) {
        const char *m = json_string_value(v);
        for (size_t k = 0; k < 6; k++)
            if (!strcmp(m, mechs[k]) && (caps & mech_bits[k]) &&
                (k != 4 || mape_fits(json_object_get(out, "map_e"), caps)))
                json_array_append(norder, v);
    }
    for (size_t k = 0; k < 6; k++) {
        bool keep = false;
        json_array_foreach(norder, i, v) if (!strcmp(json_string_value(v), mechs[k])) keep = true;
        if (!keep)
            json_object_del(out, mechs[k]);
    }
    json_object_set_new(out, "order", norder);
    json_t *ttl = json_object_get(out, "ttl");
    if (json_is_integer(ttl) && prof->ttl_jitter > 0) {
        long t = (long)json_integer_value(ttl) +
                 (long)randombytes_uniform((uint32_t)prof->ttl_jitter + 1);
        if (t > S46_HB46PP_MAX_TTL)
            t = S46_HB46PP_MAX_TTL;
        json_object_set_new(out, "ttl", json_integer(t));
    }
    char hex[65];
    *seq = 0;
    if (owner && json_array_size(norder) &&
        provd_token_issue(&prof->pfx, owner, user, hex, hpfx, seq)) {
        json_object_set_new(out, "token", json_string(hex));
        sodium_memzero(hex, sizeof hex);
    }
    return out;
}

static void copy_field(char *dst, size_t n, const char *v, bool ok)
{
    if (v && ok)
        snprintf(dst, n, "%s", v);
}

/* Holds an answer until its token is durable; false when it cannot be
 * held (out of memory, shutting down): then it is sent at once. */
static bool hold(struct MHD_Connection *c, void **con_cls, const provd_reqlog *lg, char *body,
                 uint64_t seq)
{
    held *h = malloc(sizeof *h);
    if (!h)
        return false;
    *h = (held){c, seq, body, *lg, NULL};
    h->lg.status = 200;
    snprintf(h->lg.what, sizeof h->lg.what, "by-source");
    pthread_mutex_lock(&held_mu);
    bool ok = !stopping;
    if (ok) {
        MHD_suspend_connection(c);
        *con_cls = h;
        h->next = held_list;
        held_list = h;
        kicked = true;
        pthread_cond_signal(&kick);
    }
    pthread_mutex_unlock(&held_mu);
    if (!ok)
        free(h);
    return ok;
}

static enum MHD_Result answer(struct MHD_Connection *c, void **con_cls, provd_reqlog *lg,
                              const provd_cfg *cfg)
{
    req r = {0};
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    s46_ip6 a = {{0}};
    bool v6 = false;
    if (ci && ci->client_addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const void *)ci->client_addr;
        memcpy(a.b, &s6->sin6_addr, 16);
        inet_ntop(AF_INET6, &s6->sin6_addr, lg->src, sizeof lg->src);
        v6 = !IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr);
    }
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, arg_it, &r);
    lg->sent_token = r.token != NULL;
    lg->sent_user = r.user != NULL;
    copy_field(lg->vendorid, sizeof lg->vendorid, r.vendorid, s46_q_vendorid_ok(r.vendorid));
    copy_field(lg->product, sizeof lg->product, r.product, s46_q_product_ok(r.product));
    copy_field(lg->version, sizeof lg->version, r.version, s46_q_version_ok(r.version));
    copy_field(lg->capability, sizeof lg->capability, r.capability,
               s46_q_capability_parse(r.capability) >= 0);
    if (r.nargs > MAX_PARAMS) /* uri_check refuses these first */
        return done(c, lg, MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE, "too many parameters",
                    "too many parameters\n", NULL);
    const char *bad = NULL;
    if (!r.vendorid || !s46_q_vendorid_ok(r.vendorid)) bad = "vendorid";
    else if (!r.product || !s46_q_product_ok(r.product)) bad = "product";
    else if (!r.version || !s46_q_version_ok(r.version)) bad = "version";
    else if (!r.capability || s46_q_capability_parse(r.capability) < 0) bad = "capability";
    else if (r.token && !s46_q_token_ok(r.token)) bad = "token";
    else if (r.user && !s46_q_cred_ok(r.user)) bad = "user";
    else if (r.pass && !s46_q_cred_ok(r.pass)) bad = "pass";
    else if (!r.user != !r.pass) bad = "user/pass";
    if (bad) {
        char msg[64];
        snprintf(msg, sizeof msg, "bad %s\n", bad);
        return done(c, lg, 400, bad, msg, NULL);
    }
    unsigned caps = (unsigned)s46_q_capability_parse(r.capability);
    int p = -1;
    s46_pfx6 tpfx;
    char tuser[PROVD_TOKEN_USER_MAX] = "";
    if (r.token && provd_token_lookup(r.token, &tpfx, tuser, lg->token))
        p = provd_cfg_find(cfg, &tpfx);
    bool by_token = p >= 0;
    if (p < 0 && v6)
        p = provd_cfg_lpm(cfg, &a);
    if (p < 0) {
        if (r.token) /* docs/hb46pp.md, S5: out of range, token failed */
            return done(c, lg, 200, "out of scope", "{\"order\":[]}", NULL);
        return done(c, lg, unknown_status, "unknown source", "unknown source\n", NULL);
    }
    const s46_profile *prof = &cfg->profiles[p];
    s46_pfx6_format(&prof->pfx, lg->src_prefix);
    if (prof->redirect)
        return done(c, lg, 307, "redirect", "", prof->redirect);
    const char *auth = check_auth(cfg, p, r.user, r.pass, &a);
    /* A token issued on a login stands for that login (without user/pass)
     * while its subscriber exists for this profile and it is not revoked. */
    bool auth_by_token = by_token && !r.user && tuser[0] && cfg->uses_auth[p] &&
                         provd_cfg_user_hash(cfg, p, tuser) != NULL;
    if (auth_by_token) {
        auth = "ok";
        provd_stats_add(PS_AUTH_BY_TOKEN, 1);
    }
    bool deny = auth && (!strcmp(auth, "bad") || (!strcmp(auth, "req") && prof->auth_required));
    bool login = auth && !strcmp(auth, "ok") && r.user;
    /* A new token: for a CE that brought no known one, or one that just
     * logged in with a token not standing for that login. It counts against
     * the subscriber (a login) or the source's token_unit prefix. */
    char owner[PROVD_TOKEN_OWNER_MAX];
    bool issue = !by_token || (login && strcmp(tuser, r.user));
    if (login) {
        snprintf(owner, sizeof owner, "user:%s", r.user);
    } else {
        s46_pfx6 unit = {a, (uint8_t)prof->token_unit};
        s46_ip6_mask(&unit.addr, unit.len);
        s46_pfx6_format(&unit, owner);
    }
    uint64_t seq = 0;
    json_t *out = deny ? json_pack("{s:[]}", "order")
                       : build(prof, caps, issue ? owner : NULL, login ? r.user : NULL,
                               lg->token, &seq);
    if (by_token && out && !deny && !json_object_get(out, "token"))
        json_object_set_new(out, "token", json_string(r.token));
    if (auth && out) {
        json_object_set_new(out, "auth", json_string(auth));
        snprintf(lg->auth, sizeof lg->auth, "%s", auth);
    }
    char err[S46_ERRLEN];
    if (!out || s46_hb46pp_validate(out, 0, NULL, err, sizeof err) < 0) {
        json_decref(out);
        return done(c, lg, 500, out ? err : "out of memory", "internal error\n", NULL);
    }
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(out, "order"), i, v) {
        size_t n = strlen(lg->mechs);
        snprintf(lg->mechs + n, sizeof lg->mechs - n, "%s%s", n ? "," : "", json_string_value(v));
    }
    char *body = json_dumps(out, JSON_COMPACT);
    json_decref(out);
    if (!body)
        return done(c, lg, 500, "out of memory", "internal error\n", NULL);
    if (seq && durable && hold(c, con_cls, lg, body, seq))
        return MHD_YES;
    enum MHD_Result ret = done(c, lg, 200, by_token ? "by-token" : "by-source", body, NULL);
    sodium_memzero(body, strlen(body)); /* it may hold a new token */
    free(body);
    return ret;
}

/* Marks a request whose headers were seen: libmicrohttpd keeps a connection
 * alive only when the answer comes after the first call (once it knows
 * the request has no body left to read). */
static char headers_seen;

/* Requests refused from their raw URI (uri_check), before the library
 * parses the query: the handler answers them at its first call. */
static char too_many_params, control_chars;

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Body framing. Workaround for libmicrohttpd 0.9.75 (Debian 12): a
 * Content-Length it cannot parse (-1, say, or too many digits) makes it
 * answer 400 (413) itself while reading the headers, before any callback
 * of ours, and its state machine then builds that answer's header block a
 * second time: the client gets it twice, the second as the body. The
 * library frames a request body by the first Content-Length of the request
 * (a Transfer-Encoding, when there is one, instead), so uri_check, which
 * runs after the request line and before the header lines are parsed,
 * puts a Content-Length of 0 of ours first: the library never parses the
 * client's and reads no body framed by it. The handler then judges the
 * client's own (hdr_it skips ours by its address): none or 0 is fine,
 * more than one or not a number is 400, any other number 413 (HB46PP
 * requests have no body), each with Connection: close, since a body the
 * client sent was not read. A chunked body is still read and ignored. */
static const char clen_ours[] = "0";

/* MHD_OPTION_URI_LOG_CALLBACK: sees the raw request target before the
 * library splits and decodes the query. Refuses control characters, raw
 * or percent-encoded (%00 would silently cut a value: the library hands
 * values over as C strings), and more than MAX_PARAMS parameters.
 * Workaround for libmicrohttpd 0.9.75 (Debian 12): with many parameters
 * its per-connection memory pool runs out while it stores them, it logs
 * "431" and closes the connection without sending anything. So for a
 * refused query we end the query string where it starts, in the library's
 * own buffer (it calls us after finding the '?' and before parsing what
 * follows; the buffer is the connection's writable read buffer), and the
 * handler answers 400/431 itself. */
static void *uri_check(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls;
    /* ahead of the client's headers ("Body framing" above); the library
     * calls us while it parses the request line, in the connection's own
     * processing, as it adds the header lines it parses next, so this is
     * as safe here as in the handler its documentation names */
    MHD_set_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH, clen_ours);
    void *verdict = NULL;
    unsigned params = 0;
    bool in_query = false, seg = false;
    for (const char *p = uri; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        int v = -1;
        if (ch == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0)
            v = hexval(p[1]) * 16 + hexval(p[2]);
        if (ch < 0x20 || ch == 0x7f || (v >= 0 && (v < 0x20 || v == 0x7f))) {
            verdict = &control_chars;
            break;
        }
        if (!in_query) {
            in_query = ch == '?';
            continue;
        }
        if (ch == '&')
            seg = false;
        else if (!seg) {
            seg = true;
            if (++params > MAX_PARAMS) {
                verdict = &too_many_params;
                break;
            }
        }
    }
    if (verdict) {
        char *q = strchr(uri, '?');
        if (q && q[1])
            q[1] = '\0';
    }
    return verdict;
}

/* Header checks the library (0.9.75) does not make: HTTP/1.1 needs Host,
 * and the client's Content-Length ("Body framing" above): one at most (two
 * can make a proxy in front and this server disagree on where the request
 * ends), a number, 0. NULL when fine, else why, with the status in
 * *status. */
struct hdr_count { unsigned host, clen; const char *clen_value; };
static enum MHD_Result hdr_it(void *cls, enum MHD_ValueKind kind, const char *key,
                              const char *value)
{
    (void)kind;
    struct hdr_count *h = cls;
    if (!strcasecmp(key, "Host")) {
        h->host++;
    } else if (!strcasecmp(key, "Content-Length") && value != clen_ours) {
        h->clen++;
        h->clen_value = value;
    }
    return MHD_YES;
}

static const char *bad_headers(struct MHD_Connection *c, const char *version, unsigned *status)
{
    struct hdr_count h = {0, 0, NULL};
    MHD_get_connection_values(c, MHD_HEADER_KIND, hdr_it, &h);
    *status = 400;
    if (h.clen > 1)
        return "more than one Content-Length";
    if (h.clen == 1) {
        const char *v = h.clen_value;
        size_t digits = strspn(v, "0123456789");
        if (!digits || v[digits])
            return "Content-Length not a number";
        if (strspn(v, "0") != digits) {
            *status = MHD_HTTP_CONTENT_TOO_LARGE;
            return "a request body";
        }
    }
    if (!strcmp(version, MHD_HTTP_VERSION_1_1) && h.host != 1)
        return h.host ? "more than one Host" : "HTTP/1.1 without Host";
    return NULL;
}

/* The source address for the log of a request refused before answer(). */
static void log_src(struct MHD_Connection *c, provd_reqlog *lg)
{
    memset(lg, 0, sizeof *lg);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)ci->client_addr)->sin6_addr,
                  lg->src, sizeof lg->src);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version,
                               const char *upload_data, size_t *upload_size, void **con_cls)
{
    (void)cls, (void)upload_data;
    if (*con_cls == &too_many_params || *con_cls == &control_chars) {
        provd_reqlog lg;
        log_src(c, &lg);
        bool many = *con_cls == &too_many_params;
        *con_cls = NULL;
        return done(c, &lg, many ? MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE : 400,
                    many ? "too many parameters" : "control character in the request target",
                    many ? "too many parameters\n" : "bad request\n", NULL);
    }
    if (!*con_cls) {
        unsigned status;
        const char *bad = bad_headers(c, version, &status);
        if (bad) {
            provd_reqlog lg;
            log_src(c, &lg);
            return done_(c, &lg, status, bad,
                         status == 400 ? "bad request\n" : "a request body is not accepted\n",
                         NULL, true);
        }
        *con_cls = &headers_seen;
        return MHD_YES;
    }
    if (*con_cls == &headers_seen) {
        if (*upload_size) { /* a body is not part of HB46PP: read and ignored */
            *upload_size = 0;
            return MHD_YES;
        }
        *con_cls = NULL;
    } else { /* resumed: the token in this held answer is on disk */
        held *h = *con_cls;
        *con_cls = NULL;
        provd_reqlog_write(&h->lg);
        provd_stats_answer(&h->lg);
        enum MHD_Result ret = reply(c, 200, h->body, NULL, false);
        held_free(h);
        return ret;
    }
    provd_reqlog lg;
    memset(&lg, 0, sizeof lg);
    if (strcmp(method, "GET"))
        return done(c, &lg, 405, "method", "method not allowed\n", NULL);
    if (strcmp(url, cfg_path))
        return done(c, &lg, 404, "path", "not found\n", NULL);
    provd_cfg *cfg = provd_cfg_get();
    enum MHD_Result ret = answer(c, con_cls, &lg, cfg);
    provd_cfg_put(cfg);
    return ret;
}

/* A request ended while its answer was still held (only if the connection
 * was dropped between its release and its answer). */
static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)c, (void)toe;
    if (*con_cls && *con_cls != &headers_seen && *con_cls != &too_many_params &&
        *con_cls != &control_chars)
        held_free(*con_cls);
    *con_cls = NULL;
}

static volatile sig_atomic_t stop, hup;
static void on_sig(int s) { if (s == SIGHUP) hup = 1; else stop = 1; }

/* Builds and installs a new snapshot; the old one stays on failure. */
static int reload(s46_store *st, char **files, int nfiles, const char *why)
{
    char err[S46_ERRLEN], warn[S46_ERRLEN];
    provd_cfg *c = provd_cfg_build(st, files, nfiles, err, sizeof err, warn, sizeof warn);
    if (!c) {
        fprintf(stderr, "s46-provd: %s: %s; keeping the previous profiles\n", why, err);
        provd_stats_add(PS_RELOAD_FAILURES, 1);
        return -1;
    }
    if (c->skipped)
        fprintf(stderr, "s46-provd: %s: skipped %zu database rows that do not validate, "
                        "first: %s\n", why, c->skipped, warn);
    size_t np = c->nprofiles, nu = c->nusers;
    provd_cfg_install(c);
    /* tokens revoked, pruned or removed with their subscriber are forgotten */
    if (st && provd_tokens_reload(st, err, sizeof err) < 0) {
        fprintf(stderr, "s46-provd: %s: tokens: %s\n", why, err);
        if (!strcmp(why, "start"))
            return -1;
    }
    fprintf(stderr, "s46-provd: %s: %zu profiles, %zu subscribers\n", why, np, nu);
    if (strcmp(why, "start"))
        provd_stats_add(PS_RELOADS, 1);
    return 0;
}

/* SIGHUP: the certificate files again; a pair that does not work keeps the
 * current one. */
static void reload_cert(const char *cert, const char *key)
{
    char err[S46_ERRLEN];
    int r = provd_cert_load(cert, key, err, sizeof err);
    if (r < 0) {
        fprintf(stderr, "s46-provd: SIGHUP: TLS: %s; keeping the current certificate\n", err);
        provd_stats_add(PS_CERT_RELOAD_FAILURES, 1);
    } else if (r > 0) {
        fprintf(stderr, "s46-provd: SIGHUP: new TLS certificate %s, expires %lld\n",
                provd_cert_subject(), (long long)provd_cert_expires());
        provd_stats_add(PS_CERT_CHANGES, 1);
    }
}

/* How long held answers wait for a database that fails before they are
 * sent anyway (their tokens stay queued and are written once it is back). */
#define HOLD_ON_FAILURE_S 5

/* Writes the queued tokens and log rows in one transaction, then releases
 * the answers it made durable. When the database fails (a PostgreSQL
 * restart, a full disk), the tokens stay queued for the next try and the
 * held answers wait for it, up to HOLD_ON_FAILURE_S; then they are sent
 * (their tokens work here meanwhile) and the log rows of that batch are
 * lost. */
static void flush(s46_store *st)
{
    /* Queued tokens up to this seq were written: an answer held just after
     * its batch was taken is released by the next call. */
    static uint64_t settled;
    static time_t failing_since;
    char err[S46_ERRLEN];
    size_t dropped = 0;
    uint64_t upto = 0;
    if (!provd_tokens_queued() && !provd_reqlog_queued()) {
        release_held(settled, false); /* no write lock taken for nothing */
        return;
    }
    if (s46_store_begin(st, err, sizeof err) < 0 ||
        provd_tokens_flush(st, &upto, err, sizeof err) < 0 ||
        provd_reqlog_flush(st, &dropped, err, sizeof err) < 0 ||
        s46_store_commit(st, err, sizeof err) < 0) {
        s46_store_rollback(st);
        time_t now = time(NULL);
        if (!failing_since) {
            failing_since = now;
            fprintf(stderr, "s46-provd: database write failed (tokens kept for the next try, "
                            "log rows lost): %s\n", err);
        }
        provd_stats_add(PS_DB_WRITE_FAILURES, 1);
        if (now - failing_since >= HOLD_ON_FAILURE_S)
            release_held(0, true);
    } else {
        provd_tokens_written();
        if (failing_since)
            fprintf(stderr, "s46-provd: database writes work again after %lld s\n",
                    (long long)(time(NULL) - failing_since));
        failing_since = 0;
        settled = upto;
        release_held(settled, false);
    }
    provd_stats_add(PS_LOG_ROWS_DROPPED, dropped);
    if (dropped)
        fprintf(stderr, "s46-provd: provisioning log queue full: %zu rows not recorded\n",
                dropped);
}

/* What `s46 show --ctl PATH` prints. */
struct show_ctx {
    struct MHD_Daemon *d;
    unsigned port;
    bool tls;
    const char *db;
};

static json_t *show(const char *cmd, void *arg)
{
    const struct show_ctx *sc = arg;
    if (strcmp(cmd, "show"))
        return NULL;
    const union MHD_DaemonInfo *di =
        MHD_get_daemon_info(sc->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    size_t nheld = 0;
    pthread_mutex_lock(&held_mu);
    for (const held *h = held_list; h; h = h->next)
        nheld++;
    pthread_mutex_unlock(&held_mu);
    provd_cfg *cfg = provd_cfg_get();
    json_t *j = json_pack("{s:s,s:s,s:s,s:i,s:s?,s:I,s:I,s:I,s:I,s:o}", "program", "s46-provd",
                          "version", S46_VERSION, "scheme", sc->tls ? "https" : "http", "port",
                          (int)sc->port, "database", sc->db, "connections",
                          (json_int_t)(di ? di->num_connections : 0), "profiles",
                          (json_int_t)(cfg ? cfg->nprofiles : 0), "tokens_held",
                          (json_int_t)provd_tokens_count(), "answers_held", (json_int_t)nheld,
                          "counters", provd_stats_json());
    provd_cfg_put(cfg);
    if (j && sc->tls)
        json_object_set_new(j, "tls_certificate",
                            json_pack("{s:s,s:I}", "subject", provd_cert_subject(), "expires",
                                      (json_int_t)provd_cert_expires()));
    return j;
}

/* s46_uint_parse into an unsigned (what libmicrohttpd's options take). */
static bool number(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
    unsigned long v;
    if (!s46_uint_parse(s, lo, hi, &v))
        return false;
    *out = (unsigned)v;
    return true;
}

/* File descriptors the server needs besides its connections: database,
 * WAL and its index, listening socket, per-thread poll/epoll and wake-up
 * descriptors, syslog, standard streams, with room to spare. */
#define SPARE_FDS 64

/* Make room for *max_conn connections in the open-file limit: raise the
 * soft limit up to the hard one (Debian starts daemons at 1024), and if the
 * hard limit is too low, serve fewer connections at once (said on stderr)
 * rather than fail accept() with EMFILE while clients wait. */
static int fit_open_files(unsigned *max_conn)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return 0;
    rlim_t need = (rlim_t)*max_conn + SPARE_FDS;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
            getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        if (rl.rlim_cur < 16 + SPARE_FDS) {
            fprintf(stderr, "s46-provd: open-file limit %llu is too low (at least %d)\n",
                    (unsigned long long)rl.rlim_cur, 16 + SPARE_FDS);
            return -1;
        }
        *max_conn = (unsigned)(rl.rlim_cur - SPARE_FDS);
        fprintf(stderr, "s46-provd: open-file limit %llu: at most %u connections at once\n",
                (unsigned long long)rl.rlim_cur, *max_conn);
    }
    return 0;
}

int provd_serve(int argc, char **argv)
{
    unsigned port = 8080, threads = 2, max_conn = 4000;
    const char *cert = NULL, *key = NULL; /* PEM files */
    const char *db = NULL, *prio = NULL, *ctlpath = NULL;
    bool use_syslog = false;
    char **files = calloc((size_t)argc, sizeof *files);
    int nfiles = 0;
    if (!files)
        return 1;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(o, "--syslog")) {
            use_syslog = true;
            continue;
        }
        if (!v) {
            fprintf(stderr, "s46-provd: %s needs a value\n", o);
            return 2;
        }
        i++;
        bool num_ok = true;
        if (!strcmp(o, "--port")) num_ok = number(v, 1, 65535, &port);
        else if (!strcmp(o, "--threads")) num_ok = number(v, 1, 256, &threads);
        else if (!strcmp(o, "--max-connections")) num_ok = number(v, 16, 1000000, &max_conn);
        else if (!strcmp(o, "--path")) cfg_path = v;
        else if (!strcmp(o, "--tls-cert")) cert = v;
        else if (!strcmp(o, "--tls-key")) key = v;
        else if (!strcmp(o, "--tls-priority")) prio = v;
        else if (!strcmp(o, "--ctl")) ctlpath = v;
        else if (!strcmp(o, "--unknown-status")) num_ok = number(v, 403, 404, &unknown_status);
        else if (!strcmp(o, "--db")) db = v;
        else if (!strcmp(o, "--profile")) files[nfiles++] = (char *)v;
        else {
            fprintf(stderr, "s46-provd: unknown option %s\n", o);
            return 2;
        }
        if (!num_ok) {
            fprintf(stderr, "s46-provd: %s %s: not a number in range\n", o, v);
            return 2;
        }
    }
    if (!!cert != !!key) {
        fprintf(stderr, "s46-provd: --tls-cert and --tls-key go together\n");
        return 2;
    }
    char cerr[S46_ERRLEN];
    if (cert && provd_cert_load(cert, key, cerr, sizeof cerr) < 0) {
        fprintf(stderr, "s46-provd: TLS: %s\n", cerr);
        return 2;
    }
    if (!db && !nfiles) {
        fprintf(stderr, "s46-provd: serve needs --db FILE or --profile PREFIX=FILE\n");
        return 2;
    }
    if (!cert && prio) {
        fprintf(stderr, "s46-provd: --tls-priority needs --tls-cert and --tls-key\n");
        return 2;
    }
    if (!prio)
        prio = TLS_PRIORITY;
    gnutls_priority_t pc;
    const char *bad = NULL;
    if (cert) {
        if (gnutls_priority_init(&pc, prio, &bad) < 0) {
            fprintf(stderr, "s46-provd: --tls-priority: not a GnuTLS priority string (at \"%s\")\n",
                    bad ? bad : prio);
            return 2;
        }
        gnutls_priority_deinit(pc);
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_sig;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    if (provd_tokens_init() < 0) {
        fprintf(stderr, "s46-provd: out of memory for the token table\n");
        return 1;
    }
    char err[S46_ERRLEN];
    s46_store *st = NULL, *lookup = NULL;
    if (db) {
        if (!(st = s46_store_open(db, S46_STORE_CREATE, err, sizeof err))) {
            fprintf(stderr, "s46-provd: %s\n", err);
            return 1;
        }
        /* shared with other servers: tokens they issued are looked up */
        if (s46_store_is_pg(db)) {
            if (!(lookup = s46_store_open(db, 0, err, sizeof err))) {
                fprintf(stderr, "s46-provd: %s\n", err);
                return 1;
            }
            provd_tokens_share(lookup);
        }
    }
    int64_t dv = st ? s46_store_data_version(st) : 0;
    if (fit_open_files(&max_conn) < 0)
        return 1;
    if (reload(st, files, nfiles, "start") < 0)
        return 1;
    provd_reqlog_init(use_syslog, st != NULL);
    durable = st != NULL;
    /* HTTP: epoll (cost independent of the number of idle connections).
     * HTTPS: poll. libmicrohttpd 0.9.75's epoll loop keeps a connection
     * "read-ready" while its TLS handshake waits for the client (GnuTLS's
     * EAGAIN never reaches it), so it polls with a zero timeout: one core
     * spins for as long as any client is mid-handshake (a slow or
     * malicious client costs a whole core; tests/integration/provd_tls_idle.sh
     * measures it). poll() waits for real input instead. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_IPv6 | MHD_USE_ERROR_LOG |
                     MHD_ALLOW_SUSPEND_RESUME | (cert ? MHD_USE_TLS | MHD_USE_POLL : MHD_USE_EPOLL);
    struct MHD_OptionItem tls[] = {
        {MHD_OPTION_HTTPS_CERT_CALLBACK, 0, (void *)provd_cert_retrieve},
        {MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)prio},
        {MHD_OPTION_END, 0, NULL},
    };
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, handler, NULL,
        MHD_OPTION_EXTERNAL_LOGGER, provd_reqlog_httpd, NULL, /* first, as the library asks */
        MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
        MHD_OPTION_CONNECTION_LIMIT, max_conn,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)64,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
        MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
        MHD_OPTION_URI_LOG_CALLBACK, uri_check, NULL,
        MHD_OPTION_ARRAY, cert ? tls : tls + 2,
        MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "s46-provd: cannot start the HTTP daemon on port %u\n", port);
        return 1;
    }
    s46_ctl ctl = {.fd = -1};
    char dbname[512];
    s46_store_redact(db, dbname, sizeof dbname);
    struct show_ctx sctx = {d, port, cert != NULL, db ? dbname : NULL};
    if (ctlpath && s46_ctl_listen(&ctl, ctlpath, err, sizeof err) < 0) {
        fprintf(stderr, "s46-provd: control socket: %s\n", err);
        MHD_stop_daemon(d);
        return 1;
    }
    fprintf(stderr, "s46-provd: serving on port %u (%s)%s%s, %zu tokens\n", port,
            cert ? "https" : "http", db ? ", database " : "", dbname, provd_tokens_count());
    while (!stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_mutex_lock(&held_mu);
        if (!kicked)
            pthread_cond_timedwait(&kick, &held_mu, &ts);
        kicked = false;
        pthread_mutex_unlock(&held_mu);
        if (st)
            flush(st);
        provd_reqlog_httpd_tick();
        if (ctl.fd >= 0)
            s46_ctl_serve(&ctl, show, &sctx);
        bool changed = false;
        if (st) {
            int64_t v = s46_store_data_version(st);
            changed = v != dv && v >= 0;
            if (v >= 0)
                dv = v;
        }
        if (hup || changed) {
            bool sig = hup;
            hup = 0;
            reload(st, files, nfiles, sig ? "SIGHUP" : "database changed");
            if (cert && sig) /* certificate files: on SIGHUP only */
                reload_cert(cert, key);
        }
    }
    /* No new connections, no new held answers; release what is held (every
     * held token was queued before it was listed, so one flush covers it)
     * and give those answers a moment to go out before stopping. */
    s46_ctl_close(&ctl);
    MHD_socket ls = MHD_quiesce_daemon(d);
    pthread_mutex_lock(&held_mu);
    stopping = true;
    pthread_mutex_unlock(&held_mu);
    if (st)
        flush(st);
    release_held(0, true);
    struct timespec linger = {0, 200 * 1000 * 1000};
    nanosleep(&linger, NULL);
    MHD_stop_daemon(d);
    if (ls != MHD_INVALID_SOCKET)
        close(ls);
    if (st) {
        flush(st);
        s46_store_close(st);
    }
    provd_tokens_share(NULL);
    s46_store_close(lookup);
    provd_cfg_install(NULL);
    free(files);
    provd_cert_free_all();
    return 0;
}
