/* s46 calc: what a MAP rule gives a CE (forward) and which CE owns an IPv4
 * address and port (reverse). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "lib/maprule.h"
#include "lib/num.h"
#include "lib/ruleset.h"
#include "prov/mape.h"

#define MAX_CLI_RULES 64
#define MAX_FILE_RULES (1u << 20)

static const char calc_usage[] =
    "usage: s46 calc (--rule SPEC [--rule SPEC ...] | --rules FILE)\n"
    "                (--prefix END-USER-PREFIX | --reverse IPV4:PORT)\n"
    "                [--iid rfc7597|draft03] [--json]\n"
    "\n"
    "  --rule SPEC     RULE-IPV6-PREFIX,RULE-IPV4-PREFIX,EA-LENGTH,PSID-OFFSET\n"
    "                  [,PSID-LENGTH,PSID]  (the last two only for EA-length 0)\n"
    "  --rules FILE    JSON: an HB46PP response or its map_e object\n"
    "  --prefix P      the CE's End-user (delegated) IPv6 prefix; its rule is the\n"
    "                  longest match (BMR)\n"
    "  --reverse A:P   which CE owns IPv4 address A, port P (FMR longest match)\n"
    "  --iid LAYOUT    interface identifier: rfc7597 (RFC 7597 §6) or draft03\n"
    "                  (legacy \"version 0\"); default from the file's version,\n"
    "                  else rfc7597\n"
    "  --json          machine-readable output\n"
    "\n"
    "exit status: 0 answered, 1 no CE owns that address and port, 2 bad input\n";

static int fail(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "s46 calc: ");
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    return 2;
}

static int parse_rule_spec(const char *spec, s46_maprule *r, char *err, size_t errlen)
{
    char buf[256], *f[7];
    int n = 0;
    if (strlen(spec) >= sizeof buf) {
        snprintf(err, errlen, "--rule: too long");
        return -1;
    }
    strcpy(buf, spec);
    for (char *p = buf, *tok; n < 7 && (tok = strsep(&p, ",")); )
        f[n++] = tok;
    if (n != 4 && n != 6) {
        snprintf(err, errlen,
                 "--rule '%.80s': expected IPV6-PREFIX,IPV4-PREFIX,EA-LENGTH,PSID-OFFSET"
                 "[,PSID-LENGTH,PSID]", spec);
        return -1;
    }
    char e[S46_ERRLEN];
    unsigned long v;
    memset(r, 0, sizeof *r);
    if (s46_pfx6_parse(f[0], &r->ipv6, e, sizeof e) < 0) {
        snprintf(err, errlen, "--rule: rule IPv6 prefix: %s", e);
        return -1;
    }
    if (s46_pfx4_parse(f[1], &r->ipv4, e, sizeof e) < 0) {
        snprintf(err, errlen, "--rule: rule IPv4 prefix: %s", e);
        return -1;
    }
    if (!s46_uint_parse(f[2], 0, 48, &v)) {
        snprintf(err, errlen, "--rule: EA-bits length '%.20s' must be 0..48", f[2]);
        return -1;
    }
    r->ea_len = (uint8_t)v;
    if (!s46_uint_parse(f[3], 0, 15, &v)) {
        snprintf(err, errlen, "--rule: PSID offset '%.20s' must be 0..15", f[3]);
        return -1;
    }
    r->psid_offset = (uint8_t)v;
    if (n == 6) {
        if (!s46_uint_parse(f[4], 0, 16, &v)) {
            snprintf(err, errlen, "--rule: PSID length '%.20s' must be 0..16", f[4]);
            return -1;
        }
        r->psid_len = (uint8_t)v;
        char *end;
        v = strtoul(f[5], &end, 0);
        if (!*f[5] || *end || v > 65535 || *f[5] == '-') {
            snprintf(err, errlen, "--rule: PSID '%.20s' must be 0..65535", f[5]);
            return -1;
        }
        r->psid = (uint16_t)v;
        r->explicit_psid = true;
    }
    if (s46_maprule_validate(r, e, sizeof e) < 0) {
        snprintf(err, errlen, "--rule: %s", e);
        return -1;
    }
    return 0;
}

static void print_rule(FILE *f, const s46_maprule *r)
{
    char b6[S46_PFX6_STRLEN], b4[S46_PFX4_STRLEN];
    fprintf(f, "%s %s ea_length %u psid_offset %u", s46_pfx6_format(&r->ipv6, b6),
            s46_pfx4_format(&r->ipv4, b4), r->ea_len, r->psid_offset);
    if (r->explicit_psid)
        fprintf(f, " psid_length %u psid %u", r->psid_len, r->psid);
}

static void print_range(FILE *f, s46_port_range r)
{
    if (r.first == r.last)
        fprintf(f, "%u", r.first);
    else
        fprintf(f, "%u-%u", r.first, r.last);
}

/* Human output of a port set: every range when there are few, else the
 * first three, the last two and the stride between ranges. */
static void print_ports(FILE *f, const s46_ce_params *p)
{
    unsigned a = p->psid_offset, k = p->psid_len;
    uint32_t count = s46_portset_count(a, k), nr = s46_portset_range_count(a, k);
    s46_port_range *rg = malloc(nr * sizeof *rg);
    if (!rg)
        return;
    s46_portset_ranges(a, k, p->psid, rg, nr);
    fprintf(f, "ports        %u", count);
    if (nr > 1)
        fprintf(f, " in %u ranges of %u, every %u:", nr, count / nr, 1u << (16 - a));
    else
        fprintf(f, ":");
    for (uint32_t i = 0; i < nr; i++) {
        if (nr > 8 && i == 3) {
            fprintf(f, " ...");
            i = nr - 3;
            continue;
        }
        fputc(' ', f);
        print_range(f, rg[i]);
    }
    fputc('\n', f);
    free(rg);
}

static void print_human(const s46_maprule *r, const s46_ce_params *p, s46_iid_layout l)
{
    char b[S46_PFX6_STRLEN];
    printf("rule         ");
    print_rule(stdout, r);
    printf("\nprefix       %s\n", s46_pfx6_format(&p->eu_prefix, b));
    if (p->ipv4_len < 32) {
        s46_pfx4 v4 = {p->ipv4, p->ipv4_len};
        printf("ipv4         %s (IPv4 prefix, not shared)\n", s46_pfx4_format(&v4, b));
    } else if (p->psid_len == 0) {
        printf("ipv4         %s (full address, not shared)\n", s46_ip4_format(p->ipv4, b));
    } else {
        printf("ipv4         %s (shared by %u CEs)\n", s46_ip4_format(p->ipv4, b),
               1u << p->psid_len);
    }
    printf("psid         %u (0x%x), length %u, offset %u\n", p->psid, p->psid, p->psid_len,
           p->psid_offset);
    print_ports(stdout, p);
    printf("map address  %s (%s)\n", s46_ip6_format(&p->map_addr, b), s46_iid_layout_name(l));
    if (p->psid_len > 0 && p->psid_offset == 0 && ((uint32_t)p->psid << (16 - p->psid_len)) < 1024)
        printf("warning      offset 0: this PSID holds system ports (0-1023); RFC 7597 B.1"
               " says not to assign it\n");
}

static json_t *params_json(const s46_maprule *r, const s46_ce_params *p, s46_iid_layout l)
{
    json_t *o = s46_ce_params_json(p, l);
    s46_mape_cfg one = {.version = 1, .rules = (s46_maprule *)r, .nrules = 1};
    json_t *rj = s46_mape_to_json(&one);
    if (!o || !rj) {
        json_decref(o);
        json_decref(rj);
        return NULL;
    }
    json_object_set(o, "rule", json_array_get(json_object_get(rj, "rules"), 0));
    json_decref(rj);
    return o;
}

static int emit_json(json_t *o)
{
    if (!o) {
        fprintf(stderr, "s46 calc: out of memory\n");
        return 2;
    }
    json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(o);
    return 0;
}

/* "A.B.C.D:PORT" */
static int parse_v4_port(const char *s, uint32_t *a, uint16_t *port)
{
    char buf[32];
    const char *colon = strrchr(s, ':');
    unsigned long v;
    if (!colon || (size_t)(colon - s) >= sizeof buf)
        return -1;
    memcpy(buf, s, (size_t)(colon - s));
    buf[colon - s] = '\0';
    if (s46_ip4_parse(buf, a) < 0 || !s46_uint_parse(colon + 1, 0, 65535, &v))
        return -1;
    *port = (uint16_t)v;
    return 0;
}

int cmd_calc(int argc, char **argv)
{
    static const struct option opts[] = {
        {"rule", required_argument, NULL, 'r'},   {"rules", required_argument, NULL, 'f'},
        {"prefix", required_argument, NULL, 'p'}, {"reverse", required_argument, NULL, 'R'},
        {"iid", required_argument, NULL, 'i'},    {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    s46_maprule cli_rules[MAX_CLI_RULES];
    size_t ncli = 0;
    const char *file = NULL, *prefix = NULL, *reverse = NULL, *iid = NULL;
    bool json = false;
    char err[256], e[S46_ERRLEN];
    int c, rc = 2;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'r':
            if (ncli == MAX_CLI_RULES)
                return fail("at most %d --rule options%s", "64", "");
            if (parse_rule_spec(optarg, &cli_rules[ncli], err, sizeof err) < 0)
                return fail("%s%s", err, "");
            ncli++;
            break;
        case 'f': file = optarg; break;
        case 'p': prefix = optarg; break;
        case 'R': reverse = optarg; break;
        case 'i': iid = optarg; break;
        case 'j': json = true; break;
        case 'h': fputs(calc_usage, stdout); return 0;
        default:
            fprintf(stderr, "s46 calc: bad option '%s'\n%s", argv[optind - 1], calc_usage);
            return 2;
        }
    }
    if (optind < argc)
        return fail("unexpected argument '%s'%s", argv[optind], "");
    if ((ncli > 0) == (file != NULL))
        return fail("give either --rule or --rules%s%s", "", "");
    if ((prefix != NULL) == (reverse != NULL))
        return fail("give either --prefix or --reverse%s%s", "", "");

    s46_iid_layout layout = S46_IID_RFC7597;
    s46_mape_cfg cfg = {0};
    s46_maprule *rules = cli_rules;
    size_t nrules = ncli;
    if (file) {
        json_t *doc = s46_json_load_file(file, e, sizeof e);
        if (!doc)
            return fail("%s%s", e, "");
        json_t *m = s46_mape_find(doc);
        if (!m) {
            json_decref(doc);
            return fail("%s: no map_e object (expected an HB46PP response or a map_e object)%s",
                        file, "");
        }
        int r = s46_mape_from_json(m, MAX_FILE_RULES, &cfg, e, sizeof e);
        json_decref(doc);
        if (r < 0)
            return fail("%s: %s", file, e);
        layout = s46_mape_layout(&cfg);
        rules = cfg.rules;
        nrules = cfg.nrules;
    }
    if (iid && s46_iid_layout_parse(iid, &layout) < 0) {
        rc = fail("--iid '%s': must be rfc7597 or draft03%s", iid, "");
        goto out;
    }
    s46_ruleset *rs = s46_ruleset_new(rules, nrules, e, sizeof e);
    if (!rs) {
        rc = fail("%s%s", e, "");
        goto out;
    }
    s46_ce_params p;
    const s46_maprule *r;
    if (prefix) {
        s46_pfx6 eu;
        if (s46_pfx6_parse(prefix, &eu, e, sizeof e) < 0) {
            rc = fail("--prefix: %s%s", e, "");
        } else if (!(r = s46_ruleset_bmr(rs, &eu))) {
            rc = fail("--prefix %s: no rule's IPv6 prefix contains it%s", prefix, "");
        } else if (s46_maprule_derive(r, &eu, layout, &p, e, sizeof e) < 0) {
            rc = fail("%s%s", e, "");
        } else if (json) {
            rc = emit_json(params_json(r, &p, layout));
        } else {
            print_human(r, &p, layout);
            rc = 0;
        }
    } else {
        uint32_t a;
        uint16_t port;
        char b[S46_IP4_STRLEN];
        if (parse_v4_port(reverse, &a, &port) < 0) {
            rc = fail("--reverse '%s': expected IPV4:PORT (port 0..65535)%s", reverse, "");
        } else if (!(r = s46_ruleset_match4(rs, a, port))) {
            rc = 1;
            if (json)
                emit_json(json_pack("{s:s,s:i,s:s}", "ipv4", s46_ip4_format(a, b), "port",
                                    port, "error", "no rule covers this address"));
            else
                printf("%s:%u: no rule covers this address\n", s46_ip4_format(a, b), port);
        } else if (s46_maprule_reverse(r, a, port, layout, &p, e, sizeof e) < 0) {
            rc = 1;
            s46_rule_shape sh;
            s46_maprule_shape(r, &sh);
            if (json) {
                json_t *o = json_pack("{s:s,s:i,s:s}", "ipv4", s46_ip4_format(a, b), "port",
                                      port, "error", e);
                if (o && s46_port_psid(sh.psid_offset, sh.psid_len, port) < 0)
                    json_object_set_new(o, "excluded", json_true());
                emit_json(o);
            } else {
                printf("%s:%u: %s\n", s46_ip4_format(a, b), port, e);
            }
        } else if (json) {
            json_t *o = params_json(r, &p, layout);
            if (o)
                json_object_set_new(o, "port", json_integer(port));
            rc = emit_json(o);
        } else {
            printf("owner of     %s port %u\n", s46_ip4_format(a, b), port);
            print_human(r, &p, layout);
            rc = 0;
        }
    }
    s46_ruleset_free(rs);
out:
    s46_mape_free(&cfg);
    return rc;
}
