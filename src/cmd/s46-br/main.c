/* s46-br: the MAP-E Border Relay daemon on a TUN device. The operator (or
 * `s46 lab`) routes the rules' IPv4 prefixes and the BR IPv6 address into
 * the device; s46-br writes what it forwards back into it. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "dp/br_mape.h"
#include "io/ctl.h"
#include "io/tunloop.h"
#include "lib/version.h"
#include "prov/mape.h"

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static const char usage[] =
    "usage: s46-br --config br.json [--tun NAME] [--ctl PATH] [--mtu N]\n"
    "  --config  an HB46PP response or map_e object plus BR options\n"
    "  --tun     TUN device to create or attach to (default s46br0)\n"
    "  --ctl     control socket for `s46 show` (default /run/s46/s46-br.sock)\n"
    "  --mtu     MTU of the TUN device (default 1500)\n";

struct br_state {
    s46_br *br;
    const char *config;
    s46_tunloop *loop;
};

static void process(s46_batch *b, uint64_t now, void *arg)
{
    struct br_state *st = arg;
    s46_batch v4, v6;
    s46_batch_split(b, &v4, &v6);
    for (uint32_t i = 0; i < b->count; i++) /* neither IPv4 nor IPv6 */
        b->pkts[i]->verdict = S46_V_DROP;
    s46_br_process(st->br, &v4, S46_BR_PORT_V4, now);
    s46_br_process(st->br, &v6, S46_BR_PORT_V6, now);
}

static json_t *show(const char *cmd, void *arg)
{
    struct br_state *st = arg;
    if (strcmp(cmd, "show") != 0)
        return NULL;
    return json_pack("{s:s,s:s,s:s,s:I,s:o}", "program", "s46-br", "version", S46_VERSION,
                     "config", st->config, "tun_tx_errors", (json_int_t)st->loop->tx_errors,
                     "counters", s46_counters_json(s46_br_counters(st->br)));
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"tun", required_argument, NULL, 't'},
        {"ctl", required_argument, NULL, 's'},    {"mtu", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},         {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL, *tunname = "s46br0", *ctlpath = "/run/s46/s46-br.sock";
    unsigned mtu = 1500;
    char e[256];
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 't': tunname = optarg; break;
        case 's': ctlpath = optarg; break;
        case 'm':
            if (sscanf(optarg, "%u", &mtu) != 1 || mtu < 1280 || mtu > 9000) {
                fprintf(stderr, "s46-br: --mtu must be 1280..9000\n");
                return 2;
            }
            break;
        case 'h': fputs(usage, stdout); return 0;
        case 'V': printf("s46-br %s\n", S46_VERSION); return 0;
        default: fprintf(stderr, "s46-br: bad option '%s'\n%s", argv[optind - 1], usage); return 2;
        }
    }
    if (!config || optind < argc) {
        fputs(usage, stderr);
        return 2;
    }
    json_t *doc = s46_json_load_file(config, e, sizeof e);
    if (!doc) {
        fprintf(stderr, "s46-br: %s\n", e);
        return 2;
    }
    s46_br_conf bc;
    int r = s46_br_conf_from_json(doc, &bc, e, sizeof e);
    json_decref(doc);
    if (r < 0) {
        fprintf(stderr, "s46-br: %s: %s\n", config, e);
        return 2;
    }
    s46_tun tun;
    s46_ctl ctl;
    if (s46_tun_open(&tun, tunname, mtu, e, sizeof e) < 0) {
        fprintf(stderr, "s46-br: %s\n", e);
        return 1;
    }
    if (s46_ctl_listen(&ctl, ctlpath, e, sizeof e) < 0) {
        fprintf(stderr, "s46-br: %s\n", e);
        return 1;
    }
    /* the kernel forwards what goes in and out of the TUN: it is the router
     * hop that decrements the TTL, once */
    bc.ttl_decrement = false;
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct br_state st = {s46_br_new(&bc), config, NULL};
    s46_tunloop loop = {.tun = &tun, .ctl = &ctl, .process = process, .show = show,
                        .arg = &st, .stop = &stop};
    st.loop = &loop;
    fprintf(stderr, "s46-br: running on %s with %zu rules, control socket %s\n", tun.name,
            s46_ruleset_count(bc.rules), ctlpath);
    r = st.br ? s46_tunloop_run(&loop) : -1;
    s46_ctl_close(&ctl);
    s46_tun_close(&tun);
    s46_br_free(st.br);
    s46_ruleset_free(bc.rules);
    fprintf(stderr, "s46-br: stopped\n");
    return r < 0 ? 1 : 0;
}
