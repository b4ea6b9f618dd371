/* s46 replay: runs a data-plane pipeline over pcap files through the one
 * run loop (io/loop.h) with pcap ports, exactly as a daemon runs it over
 * its interfaces. The golden-test harness and the benchmark driver. The
 * config's "mode" picks the pipeline: "br" (MAP-E BR, the default; the
 * s46-br config) or "ce" (the CE: an s46-ce settings document with a fixed
 * "prefix" and a "map_e" object, or a "dslite" object whose "aftr" is an
 * IPv6 address plus "b4_ipv6", or a "464xlat" object with its
 * "nat64prefix" and "prefix" or "clat_ipv6": conf/clat_conf.h). A config with an "lwaftr" object runs the
 * lwAFTR (conf/lwaftr_conf.h), one with an "aftr" object the DS-Lite AFTR
 * (conf/aftr_conf.h; the IPv6 side first), one with a "siit" object the
 * SIIT translator (conf/siit_conf.h), whatever its mode, one with a "nat64"
 * object the stateful NAT64 (conf/nat64_conf.h; the IPv6 side first), one
 * with a map_t object (and no map_e) the MAP-T BR (conf/mapt_conf.h) in
 * mode "br". */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "conf/aftr_conf.h"
#include "conf/br_conf.h"
#include "conf/ce_conf.h"
#include "conf/clat_conf.h"
#include "conf/lwaftr_conf.h"
#include "conf/nat64_conf.h"
#include "conf/mapt_conf.h"
#include "conf/siit_conf.h"
#include "dp/ce_pipeline.h"
#include "io/loop.h"
#include "lib/err.h"
#include "prov/mape.h"

static const char replay_usage[] =
    "usage: s46 replay --config conf.json --v4-in A.pcap --v6-in B.pcap\n"
    "                  --v4-out C.pcap --v6-out D.pcap [--counters E.json] [--ethernet]\n"
    "\n"
    "Runs the pipeline the config's \"mode\" names (\"br\", the default, or \"ce\";\n"
    "a config with an \"lwaftr\" object runs the lwAFTR, one with an \"aftr\" object\n"
    "the DS-Lite AFTR, its port-block log written when it has \"log\"; one with a\n"
    "\"siit\" object the SIIT translator, one with a \"nat64\" object the\n"
    "stateful NAT64, its port-block log likewise; in mode \"br\", one with a\n"
    "\"map_t\" object the MAP-T BR)\n"
    "over the packets of A (arriving on the IPv4 side: the BR's Internet side,\n"
    "the CE's LAN), then over those of B (the IPv6 side), and writes what leaves\n"
    "on each side to C and D (raw IP, or Ethernet with --ethernet), plus the\n"
    "counters as JSON. Inputs may be Ethernet or raw-IP pcaps, and may be empty.\n"
    "The AFTR takes B first (its B4s make the mappings A's packets answer).\n"
    "The packets' timestamps are the pipeline's clock. A CE's NAPT takes its\n"
    "ports in a fixed order (\"napt_seed\", default 1), so runs repeat exactly.\n";

static int err2(const char *what, const char *e)
{
    fprintf(stderr, "s46 replay: %s%s%s\n", what, e ? ": " : "", e ? e : "");
    return 2;
}

/* The CE of a replay config: MAP-E from "map_e" and "prefix", DS-Lite
 * from "dslite" {"aftr": IPv6 address} and "b4_ipv6", or the 464XLAT CLAT
 * from "464xlat" (nat64prefix required: no DNS here). */
static int ce_conf(json_t *doc, s46_cepl_conf *cc, s46_mape_cfg *m, char *err, size_t errlen)
{
    char e[S46_ERRLEN];
    memset(cc, 0, sizeof *cc);
    s46_ce_conf_default(&cc->mape);
    if (s46_ce_options_from_json(doc, &cc->mape, err, errlen) < 0)
        return -1;
    cc->mape.ttl_decrement = true; /* no kernel around: the CE is the router hop */
    json_t *seed = json_object_get(doc, "napt_seed");
    cc->mape.napt.seed = json_is_integer(seed) ? (uint64_t)json_integer_value(seed) : 1;
    json_t *ds = json_object_get(doc, "dslite");
    if (ds) {
        s46_cet_conf_default(&cc->tunnel);
        const char *aftr = json_string_value(json_object_get(ds, "aftr")),
                   *b4 = json_string_value(json_object_get(doc, "b4_ipv6"));
        if (!aftr || s46_ip6_parse(aftr, &cc->tunnel.remote) < 0 || !b4 ||
            s46_ip6_parse(b4, &cc->tunnel.local) < 0) {
            s46_seterr(err, errlen, "dslite: \"aftr\" and \"b4_ipv6\" must be IPv6 addresses");
            return -1;
        }
        cc->tunnel.ipv6_mtu = cc->mape.ipv6_mtu;
        cc->tunnel.hop_limit = cc->mape.hop_limit;
        cc->tunnel.encap_limit = cc->mape.encap_limit;
        cc->tunnel.ttl_decrement = true;
        cc->mech = S46_CE_MECH_DSLITE;
        return 0;
    }
    json_t *xo = json_object_get(doc, "464xlat");
    if (xo) {
        bool hn, h6;
        if (s46_clat_conf_from_json(doc, xo, &cc->mape, &cc->clat, &hn, &h6, err, errlen) < 0)
            return -1;
        const char *ps = json_string_value(json_object_get(doc, "prefix"));
        s46_pfx6 eu;
        if (!hn) {
            s46_seterr(err, errlen, "464xlat.nat64prefix: required by replay");
            return -1;
        }
        if (!h6) {
            if (!ps || s46_pfx6_parse(ps, &eu, e, sizeof e) < 0) {
                s46_seterr(err, errlen, "464xlat: \"prefix\" or \"clat_ipv6\" is required");
                return -1;
            }
            s46_clat_default_ipv6(&eu, &cc->clat.clat6);
        }
        cc->clat.ttl_decrement = true;
        cc->mech = S46_CE_MECH_CLAT;
        return 0;
    }
    const char *pfx = json_string_value(json_object_get(doc, "prefix"));
    json_t *to = s46_mapt_find(doc);
    if (to && pfx) {
        s46_mapt_cfg t;
        if (s46_pfx6_parse(pfx, &cc->mape.eu_prefix, e, sizeof e) < 0 ||
            s46_mapt_from_json(to, S46_HB46PP_MAX_MAPE_RULES, &t, e, sizeof e) < 0) {
            s46_seterr(err, errlen, "%s", e);
            return -1;
        }
        m->rules = t.rules; /* freed with the map_e rules */
        m->nrules = t.nrules;
        cc->mape.rules = t.rules;
        cc->mape.nrules = t.nrules;
        cc->mape.mesh = t.mesh;
        cc->mape.dmr = t.dmr;
        cc->mape.mapt = true;
        cc->mech = S46_CE_MECH_MAPT;
        return 0;
    }
    json_t *mo = s46_mape_find(doc);
    if (!mo || !pfx) {
        s46_seterr(err, errlen, "mode ce: \"prefix\" and \"map_e\" or \"map_t\" (or \"dslite\", \"464xlat\") are required");
        return -1;
    }
    if (s46_pfx6_parse(pfx, &cc->mape.eu_prefix, e, sizeof e) < 0) {
        s46_seterr(err, errlen, "prefix: %s", e);
        return -1;
    }
    if (s46_mape_from_json(mo, S46_HB46PP_MAX_MAPE_RULES, m, e, sizeof e) < 0) {
        s46_seterr(err, errlen, "map_e: %s", e);
        return -1;
    }
    cc->mape.rules = m->rules;
    cc->mape.nrules = m->nrules;
    cc->mape.br = m->br;
    cc->mape.mesh = m->mesh;
    cc->mape.layout = s46_mape_layout(m);
    cc->mech = S46_CE_MECH_MAPE;
    return 0;
}

/* Runs the loop over the pcaps and writes the counters: 0, or 2. */
static int run(const s46_pipeline_ops *ops, const void *pconf, const char *const in[2],
               const char *const outp[2], const char *counters, bool eth)
{
    char e[512];
    volatile sig_atomic_t never = 0;
    s46_loop_conf lc = {.pipeline = ops, .pipeline_conf = pconf, .workers = 1,
                        .until_eof = true,
                        .eof_v6_first = ops == &s46_pl_aftr || ops == &s46_pl_nat64,
                        .wake_fd = -1, .stop = &never};
    for (int s = 0; s < 2; s++)
        lc.side[s] = (s46_port_spec){.kind = S46_PORT_PCAP, .ifname = in[s], .out_path = outp[s],
                                     .pcap_ethernet = eth};
    int rc = 2;
    s46_loop *l = s46_loop_new(&lc, NULL, 0, e, sizeof e);
    if (!l)
        return err2(e, NULL);
    if (s46_loop_run(l, e, sizeof e) < 0) {
        err2(e, NULL);
        s46_loop_free(l);
        return 2;
    }
    rc = 0;
    json_t *shown = s46_loop_show(l);
    json_t *cnt = json_object_get(shown, "counters");
    json_t *pr = json_object_get(shown, "interfaces");
    json_int_t txe = 0;
    const char *k;
    json_t *v;
    json_object_foreach(pr, k, v) txe += json_integer_value(json_object_get(v, "tx_errors"));
    if (txe) {
        err2("writing the output failed", NULL);
        rc = 2;
    }
    if (counters && rc == 0) {
        json_t *j = json_pack("{s:s,s:s,s:O}", "program", "s46 replay", "pipeline", ops->name,
                              "counters", cnt);
        if (!j || json_dump_file(j, counters, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0) {
            err2(counters, "cannot write counters");
            rc = 2;
        }
        json_decref(j);
    }
    json_decref(shown);
    s46_loop_free(l);
    return rc;
}

static int replay_lwaftr(const char *conf, const char *const in[2], const char *const outp[2],
                         const char *counters, bool eth)
{
    char e[512];
    s46_bindtab *bt = s46_bindtab_new();
    if (!bt)
        return err2("out of memory", NULL);
    s46_lw_conf lc;
    int rc = 2;
    if (s46_lw_conf_load(conf, bt, &lc, e, sizeof e) < 0)
        fprintf(stderr, "s46 replay: %s: %s\n", conf, e);
    else
        rc = run(&s46_pl_lwaftr, &lc, in, outp, counters, eth);
    s46_bindtab_free(bt);
    return rc;
}

static int replay_aftr(const char *conf, json_t *doc, const char *const in[2],
                       const char *const outp[2], const char *counters, bool eth)
{
    char e[512];
    s46_aftr_settings as;
    if (s46_aftr_settings_from_json(doc, &as, e, sizeof e) < 0) {
        fprintf(stderr, "s46 replay: %s: %s\n", conf, e);
        return 2;
    }
    s46_blocklog *log = NULL;
    int rc = 2;
    if (as.has_log && !(as.c.log = log = s46_blocklog_open(&as.log, e, sizeof e)))
        fprintf(stderr, "s46 replay: port-block log: %s\n", e);
    else
        rc = run(&s46_pl_aftr, &as.c, in, outp, counters, eth);
    s46_blocklog_close(log);
    s46_aftr_settings_free(&as);
    return rc;
}

static int replay_siit(const char *conf, json_t *doc, const char *const in[2],
                       const char *const outp[2], const char *counters, bool eth)
{
    char e[512];
    s46_siit_conf sc;
    int rc = 2;
    if (s46_siit_conf_from_json(doc, &sc, e, sizeof e) < 0)
        fprintf(stderr, "s46 replay: %s: %s\n", conf, e);
    else
        rc = run(&s46_pl_siit, &sc, in, outp, counters, eth);
    s46_siit_conf_free(&sc);
    return rc;
}

static int replay_nat64(const char *conf, json_t *doc, const char *const in[2],
                        const char *const outp[2], const char *counters, bool eth)
{
    char e[512];
    s46_nat64_settings ns;
    if (s46_nat64_settings_from_json(doc, &ns, e, sizeof e) < 0) {
        fprintf(stderr, "s46 replay: %s: %s\n", conf, e);
        return 2;
    }
    s46_blocklog *log = NULL;
    int rc = 2;
    if (ns.g.has_log && !(ns.c.log = log = s46_blocklog_open(&ns.g.log, e, sizeof e)))
        fprintf(stderr, "s46 replay: port-block log: %s\n", e);
    else
        rc = run(&s46_pl_nat64, &ns.c, in, outp, counters, eth);
    s46_blocklog_close(log);
    s46_nat64_settings_free(&ns);
    return rc;
}

int cmd_replay(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"v4-in", required_argument, NULL, '4'},
        {"v6-in", required_argument, NULL, '6'},  {"v4-out", required_argument, NULL, 'a'},
        {"v6-out", required_argument, NULL, 'b'}, {"counters", required_argument, NULL, 'C'},
        {"ethernet", no_argument, NULL, 'e'},     {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *conf = NULL, *in[2] = {NULL, NULL}, *outp[2] = {NULL, NULL}, *counters = NULL;
    bool eth = false;
    char e[512];
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': conf = optarg; break;
        case '4': in[0] = optarg; break;
        case '6': in[1] = optarg; break;
        case 'a': outp[0] = optarg; break;
        case 'b': outp[1] = optarg; break;
        case 'C': counters = optarg; break;
        case 'e': eth = true; break;
        case 'h': fputs(replay_usage, stdout); return 0;
        default:
            fprintf(stderr, "s46 replay: bad option '%s'\n%s", argv[optind - 1], replay_usage);
            return 2;
        }
    }
    if (optind < argc)
        return err2("unexpected argument", argv[optind]);
    if (!conf || !in[0] || !in[1] || !outp[0] || !outp[1])
        return err2("--config, --v4-in, --v6-in, --v4-out and --v6-out are required", NULL);

    json_t *doc = s46_json_load_file(conf, e, sizeof e);
    if (!doc)
        return err2(e, NULL);
    if (s46_lw_conf_is(doc)) {
        json_decref(doc);
        return replay_lwaftr(conf, in, outp, counters, eth);
    }
    if (s46_siit_conf_is(doc)) {
        int r = replay_siit(conf, doc, in, outp, counters, eth);
        json_decref(doc);
        return r;
    }
    if (s46_nat64_settings_is(doc)) {
        int r = replay_nat64(conf, doc, in, outp, counters, eth);
        json_decref(doc);
        return r;
    }
    if (s46_aftr_settings_is(doc)) {
        int r = replay_aftr(conf, doc, in, outp, counters, eth);
        json_decref(doc);
        return r;
    }
    json_t *mode = json_object_get(doc, "mode");
    const char *ms = mode ? json_string_value(mode) : "br";
    if (!ms || (strcmp(ms, "br") != 0 && strcmp(ms, "ce") != 0)) {
        json_decref(doc);
        return err2(conf, "mode: \"br\" (MAP-E BR) or \"ce\" (the CE)");
    }
    bool ce = !strcmp(ms, "ce");
    if (!ce && s46_mapt_conf_is(doc)) {
        s46_brt_conf tc;
        int r = s46_brt_conf_from_json(doc, &tc, e, sizeof e);
        json_decref(doc);
        if (r < 0) {
            fprintf(stderr, "s46 replay: %s: %s\n", conf, e);
            return 2;
        }
        r = run(&s46_pl_br_mapt, &tc, (const char *const *)in, (const char *const *)outp,
                counters, eth);
        s46_ruleset_free(tc.rules);
        return r;
    }
    s46_br_conf bc;
    s46_cepl_conf cc;
    s46_mape_cfg mc;
    memset(&bc, 0, sizeof bc);
    memset(&mc, 0, sizeof mc);
    int r = ce ? ce_conf(doc, &cc, &mc, e, sizeof e) : s46_br_conf_from_json(doc, &bc, e, sizeof e);
    json_decref(doc);
    if (r < 0) {
        fprintf(stderr, "s46 replay: %s: %s\n", conf, e);
        s46_mape_free(&mc);
        return 2;
    }
    int rc = run(ce ? &s46_pl_ce : &s46_pl_br_mape, ce ? (const void *)&cc : (const void *)&bc,
                 (const char *const *)in, (const char *const *)outp, counters, eth);
    s46_ruleset_free(bc.rules);
    s46_mape_free(&mc);
    return rc;
}
