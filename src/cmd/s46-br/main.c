/* s46-br: the MAP-E Border Relay daemon on a TUN device. The operator (or
 * `s46 lab`) routes the rules' IPv4 prefixes and the BR IPv6 address into
 * the device; s46-br writes what it forwards back into it. */
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <stdio.h>
#include <string.h>

#include "conf/br_conf.h"
#include "dp/br_mape.h"
#include "io/afpacket.h"
#include "io/ctl.h"
#include "io/tunloop.h"
#include "lib/version.h"
#include "prov/mape.h"

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static const char usage[] =
    "usage: s46-br --config br.json [--tun NAME] [--ctl PATH] [--mtu N]\n"
    "       s46-br --config br.json --v4-if IF --v6-if IF [--v4-peer-mac MAC]\n"
    "              [--v6-peer-mac MAC] [--ctl PATH]\n"
    "  TUN mode (default): the kernel routes traffic into the device.\n"
    "  AF_PACKET mode (--v4-if/--v6-if): s46-br takes the frames of two Ethernet\n"
    "            interfaces; in its namespace turn forwarding off and add\n"
    "            blackhole routes for the BR address and the rules' prefixes so\n"
    "            the kernel neither forwards nor answers them; neighbours route\n"
    "            those to the interfaces' addresses; packets leave to the given\n"
    "            next-hop MAC (else the last sender's).\n"
    "  --config  an HB46PP response or map_e object plus BR options\n"
    "  --tun     TUN device to create or attach to (default s46br0)\n"
    "  --ctl     control socket for `s46 show` (default /run/s46/s46-br.sock)\n"
    "  --mtu     MTU of the TUN device (default 1500)\n";

struct br_state {
    s46_br *br;
    const char *config;
    s46_tunloop *loop;
    s46_afp *afp; /* [2] in AF_PACKET mode */
};

static json_t *show(const char *cmd, void *arg)
{
    struct br_state *st = arg;
    if (strcmp(cmd, "show") != 0)
        return NULL;
    json_int_t txe = st->loop ? (json_int_t)st->loop->tx_errors
                              : (json_int_t)(st->afp[0].tx_errors + st->afp[1].tx_errors);
    json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:I,s:o}", "program", "s46-br", "version",
                          S46_VERSION, "config", st->config, "io",
                          st->loop ? "tun" : "af_packet", "tx_errors", txe, "counters",
                          s46_counters_json(s46_br_counters(st->br)));
    if (j && !st->loop)
        json_object_set_new(j, "rx_checksums_completed",
                            json_integer((json_int_t)(st->afp[0].rx_csum_completed +
                                                      st->afp[1].rx_csum_completed)));
    return j;
}

/* AF_PACKET mode: two ports, port index = BR side. */
static int run_afp(struct br_state *st, s46_ctl *ctl)
{
    s46_pktpool *pool = s46_pktpool_new(S46_BATCH_MAX);
    if (!pool)
        return -1;
    while (!stop) {
        struct pollfd pf[3] = {{.fd = st->afp[0].fd, .events = POLLIN},
                               {.fd = st->afp[1].fd, .events = POLLIN},
                               {.fd = ctl->fd, .events = POLLIN}};
        if (poll(pf, 3, 200) <= 0)
            continue;
        if (pf[2].revents & POLLIN)
            s46_ctl_serve(ctl, show, st);
        for (uint16_t side = 0; side < 2; side++) {
            if (!(pf[side].revents & POLLIN))
                continue;
            for (int rounds = 0; rounds < 16; rounds++) {
                s46_batch b = {0};
                if (s46_afp_rx(&st->afp[side], pool, &b, S46_BATCH_IN) == 0)
                    break;
                struct timespec ts;
                clock_gettime(CLOCK_MONOTONIC, &ts);
                s46_br_process(st->br, &b, side,
                               (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec);
                for (uint32_t i = 0; i < b.count; i++) {
                    s46_pkt *p = b.pkts[i];
                    if (p->verdict == S46_V_FORWARD)
                        s46_afp_tx(&st->afp[p->out_port ? 1 : 0], p);
                    s46_pkt_release(pool, p);
                }
            }
        }
    }
    s46_pktpool_free(pool);
    return 0;
}

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

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"tun", required_argument, NULL, 't'},
        {"ctl", required_argument, NULL, 's'},    {"mtu", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},         {"version", no_argument, NULL, 'V'},
        {"v4-if", required_argument, NULL, '4'},  {"v6-if", required_argument, NULL, '6'},
        {"v4-peer-mac", required_argument, NULL, 'a'},
        {"v6-peer-mac", required_argument, NULL, 'b'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL, *tunname = "s46br0", *ctlpath = "/run/s46/s46-br.sock";
    const char *ifs[2] = {NULL, NULL}, *macs[2] = {NULL, NULL};
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
        case '4': ifs[0] = optarg; break;
        case '6': ifs[1] = optarg; break;
        case 'a': macs[0] = optarg; break;
        case 'b': macs[1] = optarg; break;
        case 'h': fputs(usage, stdout); return 0;
        case 'V': printf("s46-br %s\n", S46_VERSION); return 0;
        default: fprintf(stderr, "s46-br: bad option '%s'\n%s", argv[optind - 1], usage); return 2;
        }
    }
    if (!config || optind < argc || (!ifs[0] != !ifs[1])) {
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
    s46_tun tun = {.fd = -1};
    s46_afp afp[2];
    s46_ctl ctl;
    bool afmode = ifs[0] != NULL;
    if (afmode) {
        for (int i = 0; i < 2; i++)
            if (s46_afp_open(&afp[i], ifs[i], macs[i], e, sizeof e) < 0) {
                fprintf(stderr, "s46-br: %s\n", e);
                return 1;
            }
    } else if (s46_tun_open(&tun, tunname, mtu, e, sizeof e) < 0) {
        fprintf(stderr, "s46-br: %s\n", e);
        return 1;
    }
    if (s46_ctl_listen(&ctl, ctlpath, e, sizeof e) < 0) {
        fprintf(stderr, "s46-br: %s\n", e);
        return 1;
    }
    /* through a TUN the kernel forwards what goes in and out: it is the
     * router hop that decrements the TTL, once */
    bc.ttl_decrement = afmode;
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct br_state st = {s46_br_new(&bc), config, NULL, afp};
    s46_tunloop loop = {.tun = &tun, .ctl = &ctl, .process = process, .show = show,
                        .arg = &st, .stop = &stop};
    if (!afmode)
        st.loop = &loop;
    fprintf(stderr, "s46-br: running on %s%s%s with %zu rules, control socket %s\n",
            afmode ? ifs[0] : tun.name, afmode ? " and " : "", afmode ? ifs[1] : "",
            s46_ruleset_count(bc.rules), ctlpath);
    if (!st.br)
        r = -1;
    else
        r = afmode ? run_afp(&st, &ctl) : s46_tunloop_run(&loop);
    s46_ctl_close(&ctl);
    if (afmode) {
        s46_afp_close(&afp[0]);
        s46_afp_close(&afp[1]);
    } else {
        s46_tun_close(&tun);
    }
    s46_br_free(st.br);
    s46_ruleset_free(bc.rules);
    fprintf(stderr, "s46-br: stopped\n");
    return r < 0 ? 1 : 0;
}
