/* s46 trace: who used IPv4 address A, port P at time T. DS-Lite: the B4
 * holding the port block in the AFTR's port-block log (lib/blocklog.h);
 * MAP-E: the CE that the rules in force give (a rules file, or the
 * provisioning server's profile versions at T); then, with --provd-db, the
 * provisioning requests from that subscriber's prefix up to T. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmds.h"
#include "lib/blocklog.h"
#include "lib/maprule.h"
#include "lib/num.h"
#include "lib/ruleset.h"
#include "prov/mape.h"
#include "prov/store.h"

#define MAX_LOGS 32
#define MAX_ROTATED 1000
#define MAX_FILE_RULES (1u << 20)
#define PROV_ROWS 5

static const char trace_usage[] =
    "usage: s46 trace IPV4 PORT TIME [--json] [--block-log FILE ...]\n"
    "                 [--rules FILE] [--provd-db DB] [--iid rfc7597|draft03]\n"
    "                 [--prefix-len N]\n"
    "\n"
    "Who used IPv4 address IPV4, port PORT at TIME (unix seconds, or ISO 8601\n"
    "UTC: YYYY-MM-DDTHH:MM[:SS[.mmm]][Z|+HH:MM]).\n"
    "  --block-log FILE  a DS-Lite AFTR's or a NAT64's port-block log; its rotated files\n"
    "                    FILE.1, FILE.2, ... are read too (repeat for several AFTRs)\n"
    "  --rules FILE      MAP-E rules in force (an HB46PP response or its map_e)\n"
    "  --provd-db DB     the provisioning server's database: without --rules, the\n"
    "                    MAP-E rules of the profile versions in force at TIME; and\n"
    "                    the provisioning requests from the subscriber's prefix\n"
    "  --iid LAYOUT      MAP-E interface identifier (default from the rules' version)\n"
    "  --prefix-len N    a DS-Lite B4's End-user prefix length for the join with\n"
    "                    the provisioning log (default 56)\n"
    "  --json            machine-readable output\n"
    "\n"
    "exit status: 0 found, 1 nobody, 2 bad input\n";

static int fail(const char *fmt, const char *a)
{
    fprintf(stderr, "s46 trace: ");
    fprintf(stderr, fmt, a);
    fputc('\n', stderr);
    return 2;
}

/* Unix seconds or ISO 8601 (UTC, or with an offset); -1 when bad. */
static int64_t parse_time(const char *s)
{
    size_t n = strlen(s);
    if (n > 0 && n <= 12 && strspn(s, "0123456789") == n)
        return strtoll(s, NULL, 10);
    static const char *const fm[] = {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S",
                                     "%Y-%m-%d %H:%M"};
    for (size_t i = 0; i < sizeof fm / sizeof fm[0]; i++) {
        struct tm tm = {0};
        const char *e = strptime(s, fm[i], &tm);
        if (!e)
            continue;
        if (*e == '.') { /* fraction: ignored (second resolution) */
            e++;
            if (!(*e >= '0' && *e <= '9'))
                continue;
            while (*e >= '0' && *e <= '9')
                e++;
        }
        int64_t off = 0;
        if ((e[0] == '+' || e[0] == '-') && strlen(e) == 6 && e[3] == ':') {
            int hh, mm;
            if (sscanf(e + 1, "%2d:%2d", &hh, &mm) != 2 || hh > 23 || mm > 59)
                continue;
            off = (hh * 3600 + mm * 60) * (e[0] == '+' ? 1 : -1);
        } else if (*e && strcmp(e, "Z")) {
            continue;
        }
        if (tm.tm_year < 70)
            return -1;
        return (int64_t)timegm(&tm) - off;
    }
    return -1;
}

static void iso(int64_t t_ms, char out[32], bool ms)
{
    time_t s = (time_t)(t_ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    if (ms)
        snprintf(out + n, 32 - n, ".%03dZ", (int)(t_ms % 1000));
    else
        snprintf(out + n, 32 - n, "Z");
}

/* One answer: a DS-Lite block holder or a MAP-E CE. */
typedef struct holder {
    bool dslite;
    s46_ip6 addr;              /* B4 address, or the CE's MAP address */
    s46_pfx6 join;             /* the prefix joined with the provisioning log */
    uint16_t first, last;      /* DS-Lite block */
    int64_t from_ms, to_ms;    /* DS-Lite: held from/to (-1: still at the log's end) */
    const char *source;        /* log file, rules file, or profile prefix */
    s46_ce_params p;           /* MAP-E */
    char rule[S46_PFX6_STRLEN + S46_PFX4_STRLEN + 48];
    int64_t valid_from, valid_to; /* MAP-E from a profile version; -2: from a file */
} holder;

typedef struct trace {
    uint32_t a;
    uint16_t port;
    int64_t t;
    holder h[64];
    unsigned n;
    unsigned prefix_len;
} trace;

static void add(trace *tr, const holder *h)
{
    if (tr->n < sizeof tr->h / sizeof tr->h[0])
        tr->h[tr->n++] = *h;
}

/* Open blocks of one log family while reading it in order. */
typedef struct open_blk {
    s46_cgn_key sub;
    uint16_t first, last;
    int64_t from;
} open_blk;

static void closed(trace *tr, const open_blk *o, int64_t to, const char *file, unsigned plen)
{
    int64_t lo = tr->t * 1000, hi = tr->t * 1000 + 999;
    if (o->from > hi || (to >= 0 && to < lo))
        return;
    holder h = {.dslite = true, .first = o->first, .last = o->last, .from_ms = o->from,
                .to_ms = to, .source = file, .valid_from = -2};
    memcpy(h.addr.b, o->sub.b, 16);
    h.join.addr = h.addr;
    h.join.len = (uint8_t)plen;
    s46_ip6_mask(&h.join.addr, plen);
    add(tr, &h);
}

static int read_family(trace *tr, const char *base)
{
    size_t bl = strlen(base) + 8;
    char *name = malloc(bl);
    if (!name)
        return -1;
    unsigned k = 0;
    while (k < MAX_ROTATED) {
        snprintf(name, bl, "%s.%u", base, k + 1);
        if (access(name, R_OK) != 0)
            break;
        k++;
    }
    if (access(base, R_OK) != 0) {
        free(name);
        return fail("--block-log %s: cannot read it", base);
    }
    open_blk open[64];
    unsigned nopen = 0;
    for (unsigned i = k + 1; i-- > 0;) {
        if (i)
            snprintf(name, bl, "%s.%u", base, i);
        else
            snprintf(name, bl, "%s", base);
        FILE *f = fopen(name, "r");
        if (!f)
            continue;
        char line[256];
        s46_blocklog_rec r;
        while (fgets(line, sizeof line, f)) {
            if (s46_blocklog_parse(line, &r) < 0)
                continue;
            if (r.event == S46_BLOCKLOG_START || r.event == S46_BLOCKLOG_STOP) {
                for (unsigned j = 0; j < nopen; j++)
                    closed(tr, &open[j], r.t_ms, base, tr->prefix_len);
                nopen = 0;
                continue;
            }
            if (r.ext_addr != tr->a || tr->port < r.first || tr->port > r.last)
                continue;
            if (r.event == S46_BLOCKLOG_ALLOC) {
                if (nopen < 64)
                    open[nopen++] = (open_blk){r.sub, r.first, r.last, r.t_ms};
            } else {
                for (unsigned j = 0; j < nopen; j++)
                    if (!memcmp(open[j].sub.b, r.sub.b, 16) && open[j].first == r.first) {
                        closed(tr, &open[j], r.t_ms, base, tr->prefix_len);
                        open[j] = open[--nopen];
                        break;
                    }
            }
        }
        fclose(f);
    }
    for (unsigned j = 0; j < nopen; j++)
        closed(tr, &open[j], -1, base, tr->prefix_len);
    free(name);
    return 0;
}

/* MAP-E: the CE that rules give for (a, port); 1 when one does. */
static int mape_owner(trace *tr, json_t *doc, const char *iid, const char *source,
                      int64_t from, int64_t to, char *err, size_t errlen)
{
    json_t *m = s46_mape_find(doc);
    if (!m)
        return 0;
    s46_mape_cfg cfg = {0};
    if (s46_mape_from_json(m, MAX_FILE_RULES, &cfg, err, errlen) < 0)
        return -1;
    s46_iid_layout layout = s46_mape_layout(&cfg);
    if (iid)
        s46_iid_layout_parse(iid, &layout);
    s46_ruleset *rs = s46_ruleset_new(cfg.rules, cfg.nrules, err, errlen);
    int found = 0;
    if (!rs) {
        s46_mape_free(&cfg);
        return -1;
    }
    const s46_maprule *r = s46_ruleset_match4(rs, tr->a, tr->port);
    holder h = {.dslite = false, .source = source, .valid_from = from, .valid_to = to};
    if (r && s46_maprule_reverse(r, tr->a, tr->port, layout, &h.p, NULL, 0) == 0) {
        char b6[S46_PFX6_STRLEN], b4[S46_PFX4_STRLEN];
        snprintf(h.rule, sizeof h.rule, "%s %s ea_length %u psid_offset %u",
                 s46_pfx6_format(&r->ipv6, b6), s46_pfx4_format(&r->ipv4, b4), r->ea_len,
                 r->psid_offset);
        h.addr = h.p.map_addr;
        h.join = h.p.eu_prefix;
        add(tr, &h);
        found = 1;
    }
    s46_ruleset_free(rs);
    s46_mape_free(&cfg);
    return found;
}

typedef struct ver_ctx {
    trace *tr;
    const char *iid;
    char *names; /* profile prefixes kept for the holders */
    size_t used;
} ver_ctx;

static char prefixes_store[64][S46_PFX6_STRLEN];

static int on_version(void *ctx, const s46_store_profile_version *v)
{
    ver_ctx *c = ctx;
    char err[S46_ERRLEN];
    json_error_t je;
    json_t *doc = json_loads(v->tmpl, 0, &je);
    if (!doc)
        return 0;
    unsigned slot = c->tr->n < 64 ? c->tr->n : 63;
    snprintf(prefixes_store[slot], sizeof prefixes_store[slot], "%s", v->prefix);
    mape_owner(c->tr, doc, c->iid, prefixes_store[slot], v->valid_from, v->valid_to, err,
               sizeof err);
    json_decref(doc);
    return 0;
}

/* Provisioning requests from a prefix up to the time (the last few). */
typedef struct prov_ctx {
    int64_t until_ms;
    json_t *rows;
} prov_ctx;

static int on_log(void *ctx, const s46_store_logrec *r)
{
    prov_ctx *c = ctx;
    if (r->t_ms > c->until_ms)
        return 0;
    char t[32];
    iso(r->t_ms, t, true);
    json_t *o = json_object();
    json_object_set_new(o, "time", json_string(t));
    const char *k[] = {"src", "profile", "token", "vendorid", "product", "version", "mechs",
                       "auth"};
    const char *v[] = {r->src, r->src_prefix, r->token, r->vendorid, r->product, r->version,
                       r->mechs, r->auth};
    for (int i = 0; i < 8; i++)
        if (v[i])
            json_object_set_new(o, k[i], json_string(v[i]));
    json_object_set_new(o, "status", json_integer(r->status));
    json_array_append_new(c->rows, o);
    while (json_array_size(c->rows) > PROV_ROWS)
        json_array_remove(c->rows, 0);
    return 0;
}

static json_t *holder_json(const holder *h)
{
    char b[S46_PFX6_STRLEN], t[32];
    json_t *o = json_object();
    json_object_set_new(o, "mechanism", json_string(h->dslite ? "dslite" : "map_e"));
    if (h->dslite) {
        json_object_set_new(o, "subscriber", json_string(s46_ip6_format(&h->addr, b)));
        json_object_set_new(o, "block_first", json_integer(h->first));
        json_object_set_new(o, "block_last", json_integer(h->last));
        iso(h->from_ms, t, true);
        json_object_set_new(o, "held_from", json_string(t));
        if (h->to_ms >= 0) {
            iso(h->to_ms, t, true);
            json_object_set_new(o, "held_to", json_string(t));
        } else {
            json_object_set_new(o, "held_to", json_null());
        }
        json_object_set_new(o, "block_log", json_string(h->source));
    } else {
        json_object_set_new(o, "eu_prefix", json_string(s46_pfx6_format(&h->p.eu_prefix, b)));
        json_object_set_new(o, "map_address", json_string(s46_ip6_format(&h->p.map_addr, b)));
        json_object_set_new(o, "psid", json_integer(h->p.psid));
        json_object_set_new(o, "psid_length", json_integer(h->p.psid_len));
        json_object_set_new(o, "rule", json_string(h->rule));
        if (h->valid_from == -2) {
            json_object_set_new(o, "rules_file", json_string(h->source));
        } else {
            json_object_set_new(o, "profile", json_string(h->source));
            iso(h->valid_from * 1000, t, false);
            json_object_set_new(o, "profile_valid_from", json_string(t));
            if (h->valid_to >= 0) {
                iso(h->valid_to * 1000, t, false);
                json_object_set_new(o, "profile_valid_to", json_string(t));
            } else {
                json_object_set_new(o, "profile_valid_to", json_null());
            }
        }
    }
    return o;
}

static void print_human(const trace *tr, json_t *out)
{
    char b[S46_PFX6_STRLEN], t[32];
    json_t *hs = json_object_get(out, "holders");
    printf("%s port %u at %s\n", json_string_value(json_object_get(out, "ipv4")), tr->port,
           json_string_value(json_object_get(out, "time_iso")));
    if (tr->n == 0)
        printf("nobody: no block log record or rule covers it at that time\n");
    for (unsigned i = 0; i < tr->n; i++) {
        const holder *h = &tr->h[i];
        if (h->dslite) {
            printf("dslite   subscriber %s (B4)\n", s46_ip6_format(&h->addr, b));
            iso(h->from_ms, t, true);
            printf("         block %u-%u held from %s", h->first, h->last, t);
            if (h->to_ms >= 0) {
                iso(h->to_ms, t, true);
                printf(" to %s\n", t);
            } else {
                printf(" (not released at the end of the log)\n");
            }
            printf("         log %s\n", h->source);
        } else {
            printf("map_e    prefix %s", s46_pfx6_format(&h->p.eu_prefix, b));
            printf(" map address %s psid 0x%x/%u\n", s46_ip6_format(&h->p.map_addr, b), h->p.psid,
                   h->p.psid_len);
            printf("         rule %s", h->rule);
            if (h->valid_from == -2) {
                printf(" (%s)\n", h->source);
            } else {
                iso(h->valid_from * 1000, t, false);
                printf(" (profile %s in force from %s", h->source, t);
                if (h->valid_to >= 0) {
                    iso(h->valid_to * 1000, t, false);
                    printf(" to %s", t);
                }
                printf(")\n");
            }
        }
        json_t *prov = json_object_get(json_array_get(hs, i), "provisioning");
        size_t k;
        json_t *r;
        json_array_foreach(prov, k, r) {
            printf("         provd %s src %s profile %s status %lld", 
                   json_string_value(json_object_get(r, "time")),
                   json_string_value(json_object_get(r, "src")) ?: "-",
                   json_string_value(json_object_get(r, "profile")) ?: "-",
                   (long long)json_integer_value(json_object_get(r, "status")));
            const char *tok = json_string_value(json_object_get(r, "token"));
            const char *vend = json_string_value(json_object_get(r, "vendorid"));
            const char *mechs = json_string_value(json_object_get(r, "mechs"));
            if (vend)
                printf(" vendor %s", vend);
            if (mechs)
                printf(" order %s", mechs);
            if (tok)
                printf(" token %s", tok);
            printf("\n");
        }
    }
}

int cmd_trace(int argc, char **argv)
{
    static const struct option opts[] = {
        {"block-log", required_argument, NULL, 'b'}, {"rules", required_argument, NULL, 'r'},
        {"provd-db", required_argument, NULL, 'd'},  {"iid", required_argument, NULL, 'i'},
        {"prefix-len", required_argument, NULL, 'p'}, {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0},
    };
    const char *logs[MAX_LOGS], *rules = NULL, *db = NULL, *iid = NULL;
    unsigned nlogs = 0;
    bool json = false;
    static trace tr;
    memset(&tr, 0, sizeof tr);
    tr.prefix_len = 56;
    unsigned long v;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'b':
            if (nlogs == MAX_LOGS)
                return fail("at most %s --block-log options", "32");
            logs[nlogs++] = optarg;
            break;
        case 'r': rules = optarg; break;
        case 'd': db = optarg; break;
        case 'i': iid = optarg; break;
        case 'p':
            if (!s46_uint_parse(optarg, 1, 128, &v))
                return fail("--prefix-len '%s': must be 1..128", optarg);
            tr.prefix_len = (unsigned)v;
            break;
        case 'j': json = true; break;
        case 'h': fputs(trace_usage, stdout); return 0;
        default:
            fprintf(stderr, "s46 trace: bad option '%s'\n%s", argv[optind - 1], trace_usage);
            return 2;
        }
    }
    if (argc - optind != 3) {
        fputs(trace_usage, stderr);
        return 2;
    }
    if (s46_ip4_parse(argv[optind], &tr.a) < 0)
        return fail("'%s' is not an IPv4 address", argv[optind]);
    if (!s46_uint_parse(argv[optind + 1], 0, 65535, &v))
        return fail("port '%s' must be 0..65535", argv[optind + 1]);
    tr.port = (uint16_t)v;
    if ((tr.t = parse_time(argv[optind + 2])) < 0)
        return fail("time '%s': want unix seconds or ISO 8601 UTC "
                    "(YYYY-MM-DDTHH:MM[:SS[.mmm]][Z|+HH:MM])", argv[optind + 2]);
    if (!nlogs && !rules && !db)
        return fail("%sgive --block-log, --rules or --provd-db", "");
    s46_iid_layout lay;
    if (iid && s46_iid_layout_parse(iid, &lay) < 0)
        return fail("--iid '%s': must be rfc7597 or draft03", iid);

    char err[S46_ERRLEN];
    for (unsigned i = 0; i < nlogs; i++)
        if (read_family(&tr, logs[i]) != 0)
            return 2;
    if (rules) {
        json_t *doc = s46_json_load_file(rules, err, sizeof err);
        if (!doc)
            return fail("%s", err);
        if (!s46_mape_find(doc)) {
            json_decref(doc);
            return fail("%s: no map_e object", rules);
        }
        int r = mape_owner(&tr, doc, iid, rules, -2, -2, err, sizeof err);
        json_decref(doc);
        if (r < 0)
            return fail("--rules: %s", err);
    }
    s46_store *st = NULL;
    if (db) {
        st = s46_store_open(db, 0, err, sizeof err);
        if (!st)
            return fail("%s", err);
        if (!rules) {
            ver_ctx vc = {&tr, iid, NULL, 0};
            if (s46_store_profile_at(st, tr.t, on_version, &vc, err, sizeof err) != 0) {
                s46_store_close(st);
                return fail("%s", err);
            }
        }
    }

    char b4[S46_IP4_STRLEN], t[32];
    iso(tr.t * 1000, t, false);
    json_t *out = json_object(), *hs = json_array();
    json_object_set_new(out, "ipv4", json_string(s46_ip4_format(tr.a, b4)));
    json_object_set_new(out, "port", json_integer(tr.port));
    json_object_set_new(out, "time", json_integer(tr.t));
    json_object_set_new(out, "time_iso", json_string(t));
    for (unsigned i = 0; i < tr.n; i++) {
        json_t *h = holder_json(&tr.h[i]);
        if (st) {
            prov_ctx pc = {tr.t * 1000 + 999, json_array()};
            if (s46_store_log_each(st, 0, &tr.h[i].join, on_log, &pc, err, sizeof err) != 0)
                fprintf(stderr, "s46 trace: provisioning log: %s\n", err);
            json_object_set_new(h, "provisioning", pc.rows);
        }
        json_array_append_new(hs, h);
    }
    json_object_set_new(out, "holders", hs);
    s46_store_close(st);
    if (json) {
        json_dumpf(out, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
    } else {
        print_human(&tr, out);
    }
    json_decref(out);
    return tr.n ? 0 : 1;
}
