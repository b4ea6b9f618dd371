/* s46-ce: the home router's MAP-E CE daemon on a TUN device, configured
 * statically from a JSON file (an HB46PP response or map_e object, plus the
 * delegated prefix and CE options). The kernel routes LAN IPv4 traffic and
 * the MAP address into the device; what s46-ce writes back, it routes on.
 * SIGHUP re-reads the file and applies it without a restart. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dp/ce_mape.h"
#include "io/ctl.h"
#include "io/tunloop.h"
#include "lib/err.h"
#include "lib/version.h"
#include "prov/mape.h"

static volatile sig_atomic_t stop, reload;
static void on_signal(int sig)
{
    if (sig == SIGHUP)
        reload = 1;
    else
        stop = 1;
}

static const char usage[] =
    "usage: s46-ce --config ce.json [--prefix P] [--tun NAME] [--ctl PATH] [--mtu N]\n"
    "  --config  JSON: \"map_e\" (or a whole HB46PP response), \"prefix\" (the\n"
    "            delegated End-user prefix) and optional CE settings\n"
    "  --prefix  the delegated End-user prefix (overrides the file)\n"
    "  --tun     TUN device (default s46ce0)\n"
    "  --ctl     control socket for `s46 show` (default /run/s46/s46-ce.sock)\n"
    "  --mtu     MTU of the TUN device (default 1500)\n";

struct ce_state {
    s46_ce *ce;
    const char *config, *prefix;
    s46_tunloop *loop;
};

static int get_u32(json_t *doc, const char *key, uint32_t lo, uint32_t hi, uint32_t *out,
                   char *err, size_t errlen)
{
    json_t *v = json_object_get(doc, key);
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        s46_seterr(err, errlen, "%s: must be an integer %u..%u", key, lo, hi);
        return -1;
    }
    *out = (uint32_t)json_integer_value(v);
    return 0;
}

/* Reads the CE config file into c (rules into *cfg, freed by the caller). */
static int load(const char *path, const char *prefix, s46_ce_conf *c, s46_mape_cfg *cfg,
                char *err, size_t errlen)
{
    char e[S46_ERRLEN];
    memset(cfg, 0, sizeof *cfg);
    s46_ce_conf_default(c);
    json_t *doc = s46_json_load_file(path, err, errlen);
    if (!doc)
        return -1;
    json_t *m = s46_mape_find(doc);
    uint32_t v;
    int rc = -1;
    if (!m) {
        s46_seterr(err, errlen, "%s: no map_e object", path);
        goto out;
    }
    if (s46_mape_from_json(m, S46_HB46PP_MAX_MAPE_RULES, cfg, e, sizeof e) < 0) {
        s46_seterr(err, errlen, "%s: %s", path, e);
        goto out;
    }
    c->rules = cfg->rules;
    c->nrules = cfg->nrules;
    c->br = cfg->br;
    c->mesh = cfg->mesh;
    c->layout = s46_mape_layout(cfg);
    json_t *pj = json_object_get(doc, "prefix");
    if (!prefix && (!pj || !json_is_string(pj))) {
        s46_seterr(err, errlen, "%s: prefix: missing (the delegated End-user prefix)", path);
        goto out;
    }
    if (!prefix)
        prefix = json_string_value(pj);
    if (s46_pfx6_parse(prefix, &c->eu_prefix, e, sizeof e) < 0) {
        s46_seterr(err, errlen, "prefix: %s", e);
        goto out;
    }
    json_t *f = json_object_get(doc, "filter");
    if (f) {
        const char *fs = json_is_string(f) ? json_string_value(f) : "";
        if (!strcmp(fs, "adf") || !strcmp(fs, "address-dependent"))
            c->napt.filter = S46_NAPT_FILTER_ADF;
        else if (!strcmp(fs, "eif") || !strcmp(fs, "endpoint-independent"))
            c->napt.filter = S46_NAPT_FILTER_EIF;
        else {
            s46_seterr(err, errlen, "%s: filter: must be \"adf\" or \"eif\"", path);
            goto out;
        }
    }
    json_t *lan = json_object_get(doc, "lan_ipv4");
    if (lan && (!json_is_string(lan) || s46_ip4_parse(json_string_value(lan), &c->lan_ipv4) < 0)) {
        s46_seterr(err, errlen, "%s: lan_ipv4: must be an IPv4 address", path);
        goto out;
    }
    v = c->ipv6_mtu;
    if (get_u32(doc, "ipv6_mtu", 1280, 9000, &v, e, sizeof e) < 0)
        goto bad;
    c->ipv6_mtu = (uint16_t)v;
    v = c->hop_limit;
    if (get_u32(doc, "hop_limit", 1, 255, &v, e, sizeof e) < 0)
        goto bad;
    c->hop_limit = (uint8_t)v;
    json_t *el = json_object_get(doc, "encap_limit");
    if (el && !json_is_null(el)) {
        v = 0;
        if (get_u32(doc, "encap_limit", 0, 255, &v, e, sizeof e) < 0)
            goto bad;
        c->encap_limit = (int16_t)v;
    }
    if (get_u32(doc, "udp_timeout", 120, 86400, &c->napt.udp_timeout, e, sizeof e) < 0 ||
        get_u32(doc, "dns_timeout", 10, 86400, &c->napt.udp_short_timeout, e, sizeof e) < 0 ||
        get_u32(doc, "tcp_established_timeout", 7440, 864000, &c->napt.tcp_est_timeout, e, sizeof e) < 0 ||
        get_u32(doc, "tcp_transitory_timeout", 240, 86400, &c->napt.tcp_trans_timeout, e, sizeof e) < 0 ||
        get_u32(doc, "icmp_timeout", 60, 86400, &c->napt.icmp_timeout, e, sizeof e) < 0 ||
        get_u32(doc, "max_mappings", 16, 1u << 22, &c->napt.max_mappings, e, sizeof e) < 0 ||
        get_u32(doc, "max_sessions", 16, 1u << 22, &c->napt.max_sessions, e, sizeof e) < 0)
        goto bad;
    c->napt.seed = (uint64_t)time(NULL) ^ ((uint64_t)(uintptr_t)c << 16);
    rc = 0;
    goto out;
bad:
    s46_seterr(err, errlen, "%s: %s", path, e);
out:
    if (rc < 0)
        s46_mape_free(cfg);
    json_decref(doc);
    return rc;
}

static void process(s46_batch *b, uint64_t now, void *arg)
{
    struct ce_state *st = arg;
    s46_batch v4, v6;
    s46_batch_split(b, &v4, &v6);
    for (uint32_t i = 0; i < b->count; i++)
        b->pkts[i]->verdict = S46_V_DROP;
    s46_ce_process(st->ce, &v4, S46_CE_PORT_LAN, now);
    s46_ce_process(st->ce, &v6, S46_CE_PORT_WAN, now);
}

static void tick(uint64_t now, void *arg)
{
    struct ce_state *st = arg;
    s46_ce_tick(st->ce, now);
    if (reload) {
        reload = 0;
        s46_ce_conf c;
        s46_mape_cfg cfg;
        char e[256];
        if (load(st->config, st->prefix, &c, &cfg, e, sizeof e) < 0 ||
            s46_ce_reconfigure(st->ce, &c, e, sizeof e) < 0)
            fprintf(stderr, "s46-ce: reload failed, keeping the running configuration: %s\n", e);
        else
            fprintf(stderr, "s46-ce: configuration reloaded\n");
        s46_mape_free(&cfg);
    }
}

static json_t *show(const char *cmd, void *arg)
{
    struct ce_state *st = arg;
    if (strcmp(cmd, "show") != 0)
        return NULL;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    json_t *j = s46_ce_show(st->ce, (uint64_t)ts.tv_sec * 1000000000ull, 256);
    if (j) {
        json_object_set_new(j, "program", json_string("s46-ce"));
        json_object_set_new(j, "version", json_string(S46_VERSION));
        json_object_set_new(j, "provisioning", json_pack("{s:s,s:s}", "state", "static",
                                                          "config", st->config));
        json_object_set_new(j, "tun_tx_errors", json_integer((json_int_t)st->loop->tx_errors));
    }
    return j;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"prefix", required_argument, NULL, 'p'},
        {"tun", required_argument, NULL, 't'},    {"ctl", required_argument, NULL, 's'},
        {"mtu", required_argument, NULL, 'm'},    {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0},
    };
    const char *config = NULL, *prefix = NULL, *tunname = "s46ce0",
               *ctlpath = "/run/s46/s46-ce.sock";
    unsigned mtu = 1500;
    char e[256];
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'p': prefix = optarg; break;
        case 't': tunname = optarg; break;
        case 's': ctlpath = optarg; break;
        case 'm':
            if (sscanf(optarg, "%u", &mtu) != 1 || mtu < 1280 || mtu > 9000) {
                fprintf(stderr, "s46-ce: --mtu must be 1280..9000\n");
                return 2;
            }
            break;
        case 'h': fputs(usage, stdout); return 0;
        case 'V': printf("s46-ce %s\n", S46_VERSION); return 0;
        default: fprintf(stderr, "s46-ce: bad option '%s'\n%s", argv[optind - 1], usage); return 2;
        }
    }
    if (!config || optind < argc) {
        fputs(usage, stderr);
        return 2;
    }
    s46_ce_conf conf;
    s46_mape_cfg cfg;
    if (load(config, prefix, &conf, &cfg, e, sizeof e) < 0) {
        fprintf(stderr, "s46-ce: %s\n", e);
        return 2;
    }
    s46_ce *ce = s46_ce_new(&conf, e, sizeof e);
    s46_mape_free(&cfg);
    if (!ce) {
        fprintf(stderr, "s46-ce: %s\n", e);
        return 2;
    }
    s46_tun tun;
    s46_ctl ctl;
    if (s46_tun_open(&tun, tunname, mtu, e, sizeof e) < 0 ||
        s46_ctl_listen(&ctl, ctlpath, e, sizeof e) < 0) {
        fprintf(stderr, "s46-ce: %s\n", e);
        s46_ce_free(ce);
        return 1;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct ce_state st = {ce, config, prefix, NULL};
    s46_tunloop loop = {.tun = &tun, .ctl = &ctl, .process = process, .tick = tick,
                        .show = show, .arg = &st, .stop = &stop};
    st.loop = &loop;
    const s46_ce_params *p = s46_ce_params_get(ce);
    char b4[S46_IP4_STRLEN], b6[S46_IP6_STRLEN];
    fprintf(stderr, "s46-ce: MAP-E up on %s: IPv4 %s/%u PSID %u/%u, MAP address %s\n", tun.name,
            s46_ip4_format(p->ipv4, b4), p->ipv4_len, p->psid, p->psid_len,
            s46_ip6_format(&p->map_addr, b6));
    int r = s46_tunloop_run(&loop);
    s46_ctl_close(&ctl);
    s46_tun_close(&tun);
    s46_ce_free(ce);
    fprintf(stderr, "s46-ce: stopped\n");
    return r < 0 ? 1 : 0;
}
