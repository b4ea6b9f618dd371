/* s46-provd's admin subcommands on the database (--db FILE): profile
 * add/list/remove, import, user add/list/remove (revoking the user's
 * tokens), token list/revoke/prune, log, log prune.
 * Exit status 0 ok, 1 not found (or the database failed), 2 bad input; each
 * error is one line on stderr. Every write is durable when we exit 0. */
#include "provd.h"
#include "lib/addr.h"
#include "prov/mape.h"
#include "prov/profile.h"
#include "prov/query.h"
#include "prov/store.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct opts {
    const char *db, *name, *password, *hash, *prefix, *since, *source, *before, *unused;
    const char *pos[4];
    int npos;
} opts;

__attribute__((format(printf, 2, 3))) static int fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "s46-provd: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return code;
}

/* Result of a store call as an exit status, printing err when not 0. */
static int st_rc(int r, const char *err)
{
    if (r == 0)
        return 0;
    fprintf(stderr, "s46-provd: %s\n", err);
    return r == 2 ? 2 : 1;
}

static void fmt_time(int64_t t, char out[24])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || !strftime(out, 24, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, 24, "%lld", (long long)t);
}

/* A prefix argument in canonical form; false (message printed) when bad. */
static bool canon_prefix(const char *s, char out[S46_PFX6_STRLEN])
{
    s46_pfx6 p;
    char err[S46_ERRLEN];
    if (s46_pfx6_parse(s, &p, err, sizeof err) < 0) {
        fail(2, "%s", err);
        return false;
    }
    s46_pfx6_format(&p, out);
    return true;
}

static int profile_put(s46_store *st, const opts *o, bool import)
{
    if (o->npos != 2)
        return fail(2, "%s: need PREFIX FILE", import ? "import" : "profile add");
    char pfx[S46_PFX6_STRLEN], err[S46_ERRLEN];
    if (!canon_prefix(o->pos[0], pfx))
        return 2;
    json_t *doc = s46_json_load_file(o->pos[1], err, sizeof err), *t, *s;
    if (!doc)
        return fail(2, "%s", err);
    int r = s46_profile_split(doc, import ? S46_PROFILE_DROP_PER_CE : 0, &t, &s, err,
                              sizeof err);
    json_decref(doc);
    if (r < 0)
        return fail(2, "%s: %s", o->pos[1], err);
    char *tt = json_dumps(t, JSON_COMPACT | JSON_SORT_KEYS);
    char *ss = s ? json_dumps(s, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(t);
    json_decref(s);
    s46_store_profile p = {pfx, o->name, tt, ss, (int64_t)time(NULL)};
    r = tt && (ss || !s) ? s46_store_profile_put(st, &p, import, err, sizeof err) : -1;
    if (!tt || (s && !ss))
        snprintf(err, sizeof err, "out of memory");
    free(tt);
    free(ss);
    if (r == 0)
        printf("%s profile %s\n", import ? "imported" : "added", pfx);
    return st_rc(r, err);
}

static int print_profile(void *ctx, const s46_store_profile *p)
{
    (void)ctx;
    char when[24], order[160] = "";
    fmt_time(p->updated, when);
    json_t *t = p->tmpl ? json_loads(p->tmpl, 0, NULL) : NULL;
    json_t *s = p->server ? json_loads(p->server, 0, NULL) : NULL;
    json_t *redirect = json_object_get(s, "redirect");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(t, "order"), i, v) {
        size_t n = strlen(order);
        snprintf(order + n, sizeof order - n, "%s%s", n ? "," : "", json_string_value(v));
    }
    printf("%s\tname=%s\t%s%s\tupdated=%s\n", p->prefix ? p->prefix : "-",
           p->name ? p->name : "-",
           redirect ? "redirect=" : "order=",
           redirect ? json_string_value(redirect) : order[0] ? order : "-", when);
    json_decref(t);
    json_decref(s);
    return 0;
}

static int print_user(void *ctx, const s46_store_user *u)
{
    (void)ctx;
    char when[24];
    fmt_time(u->created, when);
    printf("%s\tprofile=%s\tcreated=%s\n", u->name ? u->name : "-", u->prefix ? u->prefix : "*",
           when);
    return 0;
}

static int print_token(void *ctx, const s46_store_token *t)
{
    (void)ctx;
    char c[24], s[24];
    fmt_time(t->created, c);
    fmt_time(t->last_seen, s);
    printf("%lld\t%.16s\tprofile=%s\tcreated=%s\tlast_seen=%s\t%s\towner=%s\tuser=%s\n",
           (long long)t->id, t->hash, t->prefix, c, s, t->revoked ? "revoked" : "live",
           t->owner ? t->owner : "-", t->user ? t->user : "-");
    return 0;
}

static int print_log(void *ctx, const s46_store_logrec *r)
{
    (void)ctx;
    char when[24];
    fmt_time(r->t_ms / 1000, when);
#define D(x) ((x) ? (x) : "-")
    printf("%s src=%s prefix=%s token=%s vendorid=%s product=%s version=%s capability=%s "
           "status=%d order=%s auth=%s\n",
           when, D(r->src), D(r->src_prefix), D(r->token), D(r->vendorid), D(r->product),
           D(r->version), D(r->capability), r->status, D(r->mechs), D(r->auth));
#undef D
    return 0;
}

/* --since: unix seconds or UTC "YYYY-MM-DD[THH:MM[:SS]][Z]". -1 when bad. */
static int64_t parse_since(const char *s)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*s && !*end && v >= 0)
        return v;
    static const char *const fm[] = {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S",
                                     "%Y-%m-%d"};
    for (size_t i = 0; i < sizeof fm / sizeof fm[0]; i++) {
        struct tm tm = {0};
        const char *e = strptime(s, fm[i], &tm);
        if (e && (!*e || !strcmp(e, "Z")))
            return (int64_t)timegm(&tm);
    }
    return -1;
}

static int read_password(const opts *o, char *pw, size_t n)
{
    if (o->password) {
        snprintf(pw, n, "%s", o->password);
        return 0;
    }
    if (!fgets(pw, (int)n, stdin))
        return -1;
    pw[strcspn(pw, "\r\n")] = 0;
    return 0;
}

static int user_add(s46_store *st, const opts *o)
{
    char err[S46_ERRLEN], pfx[S46_PFX6_STRLEN], pw[128], h[crypto_pwhash_STRBYTES];
    if (o->npos != 1)
        return fail(2, "user add: need NAME");
    if (!s46_q_cred_ok(o->pos[0]))
        return fail(2, "user add: a name is 1..32 of [A-Za-z0-9_-] (docs/hb46pp.md, C9): %s", o->pos[0]);
    if (o->prefix && !canon_prefix(o->prefix, pfx))
        return 2;
    if (o->hash) {
        if (strncmp(o->hash, "$argon2id$", 10) || strlen(o->hash) >= sizeof h)
            return fail(2, "user add: --hash needs an argon2id hash (s46-provd passwd)");
        snprintf(h, sizeof h, "%s", o->hash);
    } else {
        if (read_password(o, pw, sizeof pw) < 0)
            return fail(2, "user add: no password (--password, --hash or a line on stdin)");
        if (!s46_q_cred_ok(pw))
            return fail(2, "user add: a password is 1..32 of [A-Za-z0-9_-] (docs/hb46pp.md, C9)");
        int r = crypto_pwhash_str(h, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                  crypto_pwhash_MEMLIMIT_INTERACTIVE);
        sodium_memzero(pw, sizeof pw);
        if (r < 0)
            return fail(1, "out of memory hashing the password");
    }
    s46_store_user u = {o->pos[0], h, o->prefix ? pfx : NULL, (int64_t)time(NULL)};
    int r = s46_store_user_put(st, &u, err, sizeof err);
    if (r == 0)
        printf("added user %s\n", o->pos[0]);
    return st_rc(r, err);
}

/* Which options each command takes (a letter per option). */
static bool allowed(const char *cmd, const opts *o)
{
    const char *a = !strcmp(cmd, "profile add") || !strcmp(cmd, "import") ? "n"
                    : !strcmp(cmd, "user add")                          ? "phx"
                    : !strcmp(cmd, "log")                               ? "sr"
                    : !strcmp(cmd, "log prune")                         ? "b"
                    : !strcmp(cmd, "token prune")                       ? "u"
                                                                         : "";
    return (!o->name || strchr(a, 'n')) && (!o->password || strchr(a, 'p')) &&
           (!o->hash || strchr(a, 'h')) && (!o->prefix || strchr(a, 'x')) &&
           (!o->since || strchr(a, 's')) && (!o->source || strchr(a, 'r')) &&
           (!o->before || strchr(a, 'b')) && (!o->unused || strchr(a, 'u'));
}

int provd_admin(int argc, char **argv)
{
    opts o = {0};
    char cmd[32];
    int first = 1;
    /* argv[0] is the group ("profile", "user", "token", "import", "log"). */
    if (!strcmp(argv[0], "log") && argc >= 2 && !strcmp(argv[1], "prune")) {
        snprintf(cmd, sizeof cmd, "log prune");
        first = 2;
    } else if (!strcmp(argv[0], "import") || !strcmp(argv[0], "log"))
        snprintf(cmd, sizeof cmd, "%s", argv[0]);
    else if (argc >= 2 && argv[1][0] != '-') {
        snprintf(cmd, sizeof cmd, "%s %.16s", argv[0], argv[1]);
        first = 2;
    } else
        return fail(2, "%s: which action?", argv[0]);
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = !strcmp(a, "--db")         ? &o.db
                            : !strcmp(a, "--name")     ? &o.name
                            : !strcmp(a, "--password") ? &o.password
                            : !strcmp(a, "--hash")     ? &o.hash
                            : !strcmp(a, "--prefix")   ? &o.prefix
                            : !strcmp(a, "--since")    ? &o.since
                            : !strcmp(a, "--source")   ? &o.source
                            : !strcmp(a, "--before")   ? &o.before
                            : !strcmp(a, "--unused-since") ? &o.unused
                                                       : NULL;
        if (slot) {
            if (i + 1 >= argc)
                return fail(2, "%s needs a value", a);
            *slot = argv[++i];
        } else if (a[0] == '-' && a[1])
            return fail(2, "unknown option %s", a);
        else if (o.npos < 4)
            o.pos[o.npos++] = a;
        else
            return fail(2, "%s: too many arguments", cmd);
    }
    static const char *const known[] = {"profile add", "profile list", "profile remove",
                                        "import",      "user add",     "user list",
                                        "user remove", "token list",   "token revoke",
                                        "token prune", "log",          "log prune"};
    bool ok = false;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        ok |= !strcmp(cmd, known[i]);
    if (!ok)
        return fail(2, "unknown command '%s'", cmd);
    if (!o.db)
        return fail(2, "%s: --db FILE is required", cmd);
    if (!allowed(cmd, &o))
        return fail(2, "%s: an option given does not apply to this command", cmd);
    if (o.password && o.hash)
        return fail(2, "user add: --password or --hash, not both");

    bool writes_new = !strcmp(cmd, "profile add") || !strcmp(cmd, "import") ||
                      !strcmp(cmd, "user add");
    bool lists = strstr(cmd, "list") || !strcmp(cmd, "log") || strstr(cmd, "prune");
    if (lists && o.npos)
        return fail(2, "%s takes no arguments", cmd);
    if ((!strcmp(cmd, "profile remove") || !strcmp(cmd, "user remove") ||
         !strcmp(cmd, "token revoke")) && o.npos != 1)
        return fail(2, "%s: need one argument", cmd);
    int64_t since = 0;
    s46_pfx6 src;
    char err[S46_ERRLEN];
    if (o.since && (since = parse_since(o.since)) < 0)
        return fail(2, "log: --since wants unix seconds or YYYY-MM-DD[THH:MM[:SS]] (UTC): %s",
                    o.since);
    int64_t before = 0;
    if (!strcmp(cmd, "log prune") && !o.before)
        return fail(2, "log prune: --before T is required");
    if (o.before && (before = parse_since(o.before)) < 0)
        return fail(2, "log prune: --before wants unix seconds or YYYY-MM-DD[THH:MM[:SS]] (UTC): %s",
                    o.before);
    int64_t unused = 0;
    if (!strcmp(cmd, "token prune") && !o.unused)
        return fail(2, "token prune: --unused-since T is required");
    if (o.unused && (unused = parse_since(o.unused)) < 0)
        return fail(2, "token prune: --unused-since wants unix seconds or "
                       "YYYY-MM-DD[THH:MM[:SS]] (UTC): %s", o.unused);
    if (o.source && s46_pfx6_parse(o.source, &src, err, sizeof err) < 0)
        return fail(2, "log: --source: %s", err);

    s46_store *st = s46_store_open(o.db, writes_new ? S46_STORE_CREATE : 0, err, sizeof err);
    if (!st)
        return fail(1, "%s", err);
    int rc;
    char pfx[S46_PFX6_STRLEN];
    if (!strcmp(cmd, "profile add") || !strcmp(cmd, "import"))
        rc = profile_put(st, &o, !strcmp(cmd, "import"));
    else if (!strcmp(cmd, "profile list"))
        rc = st_rc(s46_store_profile_each(st, print_profile, NULL, err, sizeof err), err);
    else if (!strcmp(cmd, "profile remove"))
        rc = !canon_prefix(o.pos[0], pfx)
                 ? 2
                 : st_rc(s46_store_profile_remove(st, pfx, err, sizeof err), err);
    else if (!strcmp(cmd, "user add"))
        rc = user_add(st, &o);
    else if (!strcmp(cmd, "user list"))
        rc = st_rc(s46_store_user_each(st, print_user, NULL, err, sizeof err), err);
    else if (!strcmp(cmd, "user remove")) {
        int64_t n;
        rc = st_rc(s46_store_user_remove(st, o.pos[0], &n, err, sizeof err), err);
        if (rc == 0)
            printf("removed user %s, revoked %lld tokens\n", o.pos[0], (long long)n);
    } else if (!strcmp(cmd, "token prune")) {
        int64_t n;
        rc = st_rc(s46_store_token_prune(st, unused, &n, err, sizeof err), err);
        printf("pruned %lld tokens unused since %lld\n", (long long)n, (long long)unused);
    }
    else if (!strcmp(cmd, "token list"))
        rc = st_rc(s46_store_token_each(st, S46_STORE_LIVE | S46_STORE_REVOKED, print_token, NULL,
                                        err, sizeof err), err);
    else if (!strcmp(cmd, "token revoke")) {
        int64_t id;
        rc = st_rc(s46_store_token_revoke(st, o.pos[0], &id, err, sizeof err), err);
        if (rc == 0)
            printf("revoked token %lld\n", (long long)id);
    } else if (!strcmp(cmd, "log prune")) {
        int64_t n;
        rc = st_rc(s46_store_log_prune(st, before * 1000, &n, err, sizeof err), err);
        printf("pruned %lld log rows older than %lld\n", (long long)n, (long long)before);
    } else
        rc = st_rc(s46_store_log_each(st, since * 1000, o.source ? &src : NULL, print_log, NULL,
                                      err, sizeof err), err);
    s46_store_close(st);
    if (fflush(stdout) != 0 && rc == 0)
        rc = 1;
    return rc;
}
