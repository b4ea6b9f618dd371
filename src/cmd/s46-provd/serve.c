/* The HTTP(S) side of s46-provd: libmicrohttpd, internal epoll thread pool.
 * One request = parse and validate the query (prov/query.h), pick a profile
 * by token or by longest-prefix match on the IPv6 source, build the answer
 * from the profile's template filtered by capability, check it with the
 * CE's validator (prov/hb46pp.h), answer. One log line per request on
 * stderr, never containing user, pass or token. */
#include "provd.h"
#include "lib/addr.h"
#include "prov/hb46pp.h"
#include "prov/query.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_PROFILES 1024
#define MAX_TOKENS (1u << 20)

typedef struct profile {
    s46_pfx6 pfx;
    json_t *tmpl;        /* HB46PP response template (validated) */
    char *redirect;      /* 307 Location, or NULL */
    long ttl_jitter;     /* seconds added at random, 0..ttl_jitter */
    json_t *users;       /* {"name": "$argon2id$..."} or NULL */
    bool auth_required;  /* without credentials: order [] and auth "req" */
} profile;

typedef struct token_ent {
    uint8_t hash[32];    /* BLAKE2b-256 of the 32 raw token bytes */
    int profile;         /* index in profiles */
    bool used;
} token_ent;

static profile profiles[MAX_PROFILES];
static int nprofiles;
static const char *cfg_path = "/config";
static unsigned unknown_status = MHD_HTTP_FORBIDDEN;

static token_ent *tokens;        /* open addressing, MAX_TOKENS slots */
static size_t ntokens;
static pthread_mutex_t tok_mu = PTHREAD_MUTEX_INITIALIZER;

static void token_hash(const uint8_t raw[32], uint8_t out[32])
{
    crypto_generichash(out, 32, raw, 32, NULL, 0);
}

static size_t slot_of(const uint8_t h[32])
{
    size_t s;
    memcpy(&s, h, sizeof s);
    return s & (MAX_TOKENS - 1);
}

/* Issues a token for profile p into hex[65]; false when the table is full. */
static bool token_issue(int p, char hex[65])
{
    uint8_t raw[32], h[32];
    randombytes_buf(raw, sizeof raw);
    token_hash(raw, h);
    sodium_bin2hex(hex, 65, raw, 32);
    pthread_mutex_lock(&tok_mu);
    bool ok = false;
    if (ntokens < MAX_TOKENS / 2) {
        for (size_t s = slot_of(h);; s = (s + 1) & (MAX_TOKENS - 1))
            if (!tokens[s].used) {
                memcpy(tokens[s].hash, h, 32);
                tokens[s].profile = p;
                tokens[s].used = true;
                ntokens++;
                ok = true;
                break;
            }
    }
    pthread_mutex_unlock(&tok_mu);
    sodium_memzero(raw, sizeof raw);
    return ok;
}

/* Profile of a valid token text, or -1. */
static int token_lookup(const char *hex)
{
    uint8_t raw[32], h[32];
    size_t n;
    if (sodium_hex2bin(raw, 32, hex, 64, NULL, &n, NULL) < 0 || n != 32)
        return -1;
    token_hash(raw, h);
    int p = -1;
    pthread_mutex_lock(&tok_mu);
    for (size_t s = slot_of(h); tokens[s].used; s = (s + 1) & (MAX_TOKENS - 1))
        if (sodium_memcmp(tokens[s].hash, h, 32) == 0) {
            p = tokens[s].profile;
            break;
        }
    pthread_mutex_unlock(&tok_mu);
    return p;
}

/* Failed-login limiter: token bucket per source /64 (burst 5, one token
 * back every 10 s), in a small hashed table; collisions share a bucket,
 * which only makes the limit stricter. */
typedef struct req_creds { const char *user, *pass; } req_creds;
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

/* "ok", "bad" or "req"/NULL (no credentials sent). */
static const char *check_auth(int p, const req_creds *c, const s46_ip6 *src)
{
    if (!c->user)
        return profiles[p].users ? "req" : NULL;
    if (!rl_allowed(src, false))
        return "bad"; /* over the limit: bad without hashing */
    json_t *h = profiles[p].users ? json_object_get(profiles[p].users, c->user) : NULL;
    if (json_is_string(h) &&
        crypto_pwhash_str_verify(json_string_value(h), c->pass, strlen(c->pass)) == 0)
        return "ok";
    rl_allowed(src, true);
    return "bad";
}

static int lpm(const s46_ip6 *a)
{
    int best = -1;
    for (int i = 0; i < nprofiles; i++)
        if (s46_pfx6_contains(&profiles[i].pfx, a) &&
            (best < 0 || profiles[i].pfx.len > profiles[best].pfx.len))
            best = i;
    return best;
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

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *body,
                             const char *location)
{
    struct MHD_Response *rs = MHD_create_response_from_buffer(
        strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!rs)
        return MHD_NO;
    if (status == 200)
        MHD_add_response_header(rs, "Content-Type", "application/json");
    if (location)
        MHD_add_response_header(rs, "Location", location);
    enum MHD_Result ret = MHD_queue_response(c, status, rs);
    MHD_destroy_response(rs);
    return ret;
}

static void log_line(const char *src, const req *r, unsigned status, const char *what)
{
    /* token/user/pass never logged: only whether they were present. */
    fprintf(stderr, "provd src=%s vendorid=%s product=%s version=%s token=%s user=%s status=%u %s\n",
            src, r->vendorid && s46_q_vendorid_ok(r->vendorid) ? r->vendorid : "-",
            r->product && s46_q_product_ok(r->product) ? r->product : "-",
            r->version && s46_q_version_ok(r->version) ? r->version : "-",
            r->token ? "yes" : "no", r->user ? "yes" : "no", status, what);
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

static json_t *build(int p, unsigned caps, bool issue_token)
{
    json_t *out = json_deep_copy(profiles[p].tmpl);
    if (!out)
        return NULL;
    json_t *order = json_object_get(out, "order");
    json_t *norder = json_array();
    size_t i;
    json_t *v;
    static const char *const mechs[] = {"464xlat", "dslite", "ipip", "lw4o6", "map_e", "map_t"};
    static const unsigned bits[] = {S46_CAP_464XLAT, S46_CAP_DSLITE, S46_CAP_IPIP,
                                    S46_CAP_LW4O6, S46_CAP_MAPE, S46_CAP_MAPT};
    json_array_foreach(order, i, v) {
        const char *m = json_string_value(v);
        for (size_t k = 0; k < 6; k++)
            if (!strcmp(m, mechs[k]) && (caps & bits[k]) &&
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
    if (json_is_integer(ttl) && profiles[p].ttl_jitter > 0) {
        long t = (long)json_integer_value(ttl) +
                 (long)randombytes_uniform((uint32_t)profiles[p].ttl_jitter + 1);
        if (t > S46_HB46PP_MAX_TTL)
            t = S46_HB46PP_MAX_TTL;
        json_object_set_new(out, "ttl", json_integer(t));
    }
    char hex[65];
    if (issue_token && json_array_size(norder) && token_issue(p, hex))
        json_object_set_new(out, "token", json_string(hex));
    return out;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version,
                               const char *upload_data, size_t *upload_size, void **con_cls)
{
    (void)cls, (void)version, (void)upload_data, (void)upload_size, (void)con_cls;
    req r = {0};
    char src[INET6_ADDRSTRLEN] = "?";
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    s46_ip6 a;
    bool v6 = false;
    if (ci && ci->client_addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const void *)ci->client_addr;
        memcpy(a.b, &s6->sin6_addr, 16);
        inet_ntop(AF_INET6, &s6->sin6_addr, src, sizeof src);
        v6 = !IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr);
    }
    if (strcmp(method, "GET")) {
        log_line(src, &r, 405, "method");
        return reply(c, 405, "method not allowed\n", NULL);
    }
    if (strcmp(url, cfg_path)) {
        log_line(src, &r, 404, "path");
        return reply(c, 404, "not found\n", NULL);
    }
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, arg_it, &r);
    if (r.nargs > 64) {
        log_line(src, &r, 400, "too many parameters");
        return reply(c, 400, "too many parameters\n", NULL);
    }
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
        log_line(src, &r, 400, bad);
        return reply(c, 400, msg, NULL);
    }
    unsigned caps = (unsigned)s46_q_capability_parse(r.capability);
    int p = r.token ? token_lookup(r.token) : -1;
    bool by_token = p >= 0;
    if (p < 0 && v6)
        p = lpm(&a);
    if (p < 0) {
        if (r.token) { /* S5: out of range and token failed */
            log_line(src, &r, 200, "out of scope");
            return reply(c, 200, "{\"order\":[]}", NULL);
        }
        log_line(src, &r, unknown_status, "unknown source");
        return reply(c, unknown_status, "unknown source\n", NULL);
    }
    if (profiles[p].redirect) {
        log_line(src, &r, 307, "redirect");
        return reply(c, 307, "", profiles[p].redirect);
    }
    req_creds rc = {r.user, r.pass};
    const char *auth = check_auth(p, &rc, &a);
    bool deny = auth && (!strcmp(auth, "bad") || (!strcmp(auth, "req") && profiles[p].auth_required));
    json_t *out = deny ? json_pack("{s:[]}", "order") : build(p, caps, !by_token);
    if (by_token && out && !deny)
        json_object_set_new(out, "token", json_string(r.token));
    if (auth && out)
        json_object_set_new(out, "auth", json_string(auth));
    char err[S46_ERRLEN];
    if (!out || s46_hb46pp_validate(out, 0, NULL, err, sizeof err) < 0) {
        log_line(src, &r, 500, out ? err : "oom");
        json_decref(out);
        return reply(c, 500, "internal error\n", NULL);
    }
    char *body = json_dumps(out, JSON_COMPACT);
    char what[128];
    snprintf(what, sizeof what, "profile=%d order=%zu%s", p,
             json_array_size(json_object_get(out, "order")), by_token ? " by-token" : "");
    json_decref(out);
    if (!body)
        return MHD_NO;
    log_line(src, &r, 200, what);
    enum MHD_Result ret = reply(c, 200, body, NULL);
    free(body);
    return ret;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    char tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        fwrite(tmp, 1, n, m);
    fclose(f);
    fclose(m);
    return buf;
}

/* "PREFIX=FILE": the file is an HB46PP response template plus an optional
 * "s46_server" object {redirect, ttl_jitter}. */
static int load_profile(const char *arg)
{
    char pfx[64], err[S46_ERRLEN];
    const char *eq = strchr(arg, '=');
    if (!eq || (size_t)(eq - arg) >= sizeof pfx || nprofiles >= MAX_PROFILES) {
        fprintf(stderr, "s46-provd: --profile PREFIX=FILE\n");
        return -1;
    }
    memcpy(pfx, arg, eq - arg);
    pfx[eq - arg] = 0;
    profile *p = &profiles[nprofiles];
    if (s46_pfx6_parse(pfx, &p->pfx, err, sizeof err) < 0) {
        fprintf(stderr, "s46-provd: %s: %s\n", pfx, err);
        return -1;
    }
    json_error_t je;
    json_t *j = json_load_file(eq + 1, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        fprintf(stderr, "s46-provd: %s:%d: %s\n", eq + 1, je.line, je.text);
        return -1;
    }
    json_t *srv = json_object_get(j, "s46_server");
    if (srv) {
        json_t *r = json_object_get(srv, "redirect");
        if (json_is_string(r))
            p->redirect = strdup(json_string_value(r));
        json_t *jt = json_object_get(srv, "ttl_jitter");
        if (json_is_integer(jt))
            p->ttl_jitter = (long)json_integer_value(jt);
        json_t *u = json_object_get(srv, "users");
        if (json_is_object(u))
            p->users = json_incref(u);
        p->auth_required = json_is_true(json_object_get(srv, "auth_required"));
        json_object_del(j, "s46_server");
    }
    if (!p->redirect && s46_hb46pp_validate(j, 0, NULL, err, sizeof err) < 0) {
        fprintf(stderr, "s46-provd: %s: %s\n", eq + 1, err);
        json_decref(j);
        return -1;
    }
    p->tmpl = j;
    nprofiles++;
    return 0;
}

static volatile sig_atomic_t stop;
static void on_sig(int s) { (void)s; stop = 1; }

int provd_serve(int argc, char **argv)
{
    unsigned port = 8080, threads = 2;
    const char *cert = NULL, *key = NULL;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "s46-provd: %s needs a value\n", o);
            return 2;
        }
        i++;
        if (!strcmp(o, "--port")) port = (unsigned)atoi(v);
        else if (!strcmp(o, "--threads")) threads = (unsigned)atoi(v);
        else if (!strcmp(o, "--path")) cfg_path = v;
        else if (!strcmp(o, "--tls-cert")) cert = slurp(v);
        else if (!strcmp(o, "--tls-key")) key = slurp(v);
        else if (!strcmp(o, "--unknown-status")) unknown_status = (unsigned)atoi(v);
        else if (!strcmp(o, "--profile")) {
            if (load_profile(v) < 0)
                return 1;
        } else {
            fprintf(stderr, "s46-provd: unknown option %s\n", o);
            return 2;
        }
    }
    if (unknown_status != 403 && unknown_status != 404) {
        fprintf(stderr, "s46-provd: --unknown-status must be 403 or 404\n");
        return 2;
    }
    if (!!cert != !!key) {
        fprintf(stderr, "s46-provd: --tls-cert and --tls-key go together (and must be readable)\n");
        return 2;
    }
    tokens = calloc(MAX_TOKENS, sizeof *tokens);
    if (!tokens)
        return 1;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_IPv6 |
                     MHD_USE_ERROR_LOG;
    if (cert)
        flags |= MHD_USE_TLS;
    struct MHD_OptionItem tls[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)key},
        {MHD_OPTION_END, 0, NULL},
    };
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, handler, NULL,
        MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)4000,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)64,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
        MHD_OPTION_ARRAY, cert ? tls : tls + 2,
        MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "s46-provd: cannot start the HTTP daemon on port %u\n", port);
        return 1;
    }
    signal(SIGTERM, on_sig);
    signal(SIGINT, on_sig);
    fprintf(stderr, "s46-provd: serving %d profiles on port %u (%s)\n", nprofiles, port,
            cert ? "https" : "http");
    while (!stop)
        pause();
    MHD_stop_daemon(d);
    return 0;
}
