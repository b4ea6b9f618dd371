/* s46-br: the center daemon: the MAP-E Border Relay, or the DS-Lite AFTR
 * when its settings file has an "aftr" object. On a TUN device the operator (or
 * `s46 lab`) routes the rules' IPv4 prefixes and the BR IPv6 address into
 * the device and s46-br writes what it forwards back into it; on two
 * Ethernet interfaces (AF_XDP or AF_PACKET) it takes their frames itself.
 * Runs the one run loop (io/loop.h) with --workers threads. SIGHUP
 * re-reads the configuration and hands it to every worker without losing
 * a packet; a configuration that does not load keeps the running one. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf/aftr_conf.h"
#include "conf/br_conf.h"
#include "dp/br_mape.h"
#include "dp/pipeline.h"
#include "io/ioopts.h"
#include "io/loop.h"
#include "lib/num.h"
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
    "usage: s46-br --config br.json [--tun NAME] [--mtu N] [common options]\n"
    "       s46-br --config br.json --v4-if IF --v6-if IF [--v4-peer-mac MAC]\n"
    "              [--v6-peer-mac MAC] [common options]\n"
    "  common options: [--io auto|xdp|afpacket|tun] [--workers N] [--pin] [--ctl PATH]\n"
    "  TUN mode (default): the kernel routes traffic into the device.\n"
    "  Ethernet mode (--v4-if/--v6-if): s46-br takes the frames of two Ethernet\n"
    "            interfaces (--io auto: AF_XDP, else AF_PACKET, said at start); in\n"
    "            its namespace turn forwarding off and add blackhole routes for the\n"
    "            BR address and the rules' prefixes so the kernel neither forwards\n"
    "            nor answers them; neighbours route those to the interfaces'\n"
    "            addresses; packets leave to the given next-hop MAC (else the\n"
    "            last sender's).\n"
    "  --config  an HB46PP response or map_e object plus BR options (MAP-E BR),\n"
    "            or an {\"aftr\": {...}} document (DS-Lite AFTR, docs/cgn.md)\n"
    "  --tun     TUN device to create or attach to (default s46br0)\n"
    "  --workers worker threads, one queue of each interface each (default: one\n"
    "            per CPU this process may use)\n"
    "  --pin     pin worker i to the i-th of those CPUs\n"
    "  --ctl     control socket for `s46 show` (default /run/s46/s46-br.sock)\n"
    "  --mtu     MTU of the TUN device (default 1500)\n";

/* A configuration and what it owns: the BR's rule set, or the AFTR's
 * settings. */
struct brconf {
    bool aftr;
    s46_br_conf bc;
    s46_aftr_settings as;
    bool loaded;
};

static void conf_free(struct brconf *c)
{
    if (c->aftr)
        s46_aftr_settings_free(&c->as);
    else
        s46_ruleset_free(c->bc.rules);
    c->bc.rules = NULL;
}

static const void *conf_of(const struct brconf *c)
{
    return c->aftr ? (const void *)&c->as.c : (const void *)&c->bc;
}

static const s46_ip6 *addr6_of(const struct brconf *c)
{
    return c->aftr ? &c->as.c.aftr6 : &c->bc.br6;
}

static int load(const char *path, bool ethernet, struct brconf *out)
{
    char e[256];
    json_t *doc = s46_json_load_file(path, e, sizeof e);
    if (!doc) {
        fprintf(stderr, "s46-br: %s\n", e);
        return -1;
    }
    out->aftr = s46_aftr_settings_is(doc);
    int r = out->aftr ? s46_aftr_settings_from_json(doc, &out->as, e, sizeof e)
                      : s46_br_conf_from_json(doc, &out->bc, e, sizeof e);
    json_decref(doc);
    if (r < 0) {
        fprintf(stderr, "s46-br: %s: %s\n", path, e);
        return -1;
    }
    /* through a TUN the kernel forwards what goes in and out: it is the
     * router hop that decrements the TTL, once */
    out->bc.ttl_decrement = ethernet;
    out->as.c.ttl_decrement = ethernet;
    out->loaded = true;
    return 0;
}

struct br_state {
    const char *config;
    s46_loop *loop;
    bool ethernet;
    struct brconf cur;
    s46_blocklog *log;  /* the AFTR's port-block log */
};

static void show_extra(json_t *j, void *arg)
{
    struct br_state *st = arg;
    json_object_set_new(j, "program", json_string("s46-br"));
    json_object_set_new(j, "version", json_string(S46_VERSION));
    json_object_set_new(j, "config", json_string(st->config));
    if (st->cur.aftr)
        json_object_set_new(j, "pool_prefixes", json_integer((json_int_t)st->cur.as.c.cgn.npool));
    else
        json_object_set_new(j, "rules",
                            json_integer((json_int_t)s46_ruleset_count(st->cur.bc.rules)));
}

static void tick(uint64_t now, void *arg)
{
    struct br_state *st = arg;
    (void)now;
    if (!reload)
        return;
    reload = 0;
    struct brconf n = {0};
    char e[256];
    if (load(st->config, st->ethernet, &n) < 0) {
        fprintf(stderr, "s46-br: reload failed, keeping the running configuration\n");
        return;
    }
    if (n.aftr != st->cur.aftr) {
        fprintf(stderr, "s46-br: reload failed, keeping the running configuration: the "
                        "mechanism (MAP-E BR or AFTR) changes only with a restart\n");
        conf_free(&n);
        return;
    }
    n.as.c.log = st->log; /* the same log file goes on */
    if (s46_loop_reconfigure(st->loop, conf_of(&n), e, sizeof e) < 0) {
        fprintf(stderr, "s46-br: reload failed, keeping the running configuration: %s\n", e);
        conf_free(&n);
        return;
    }
    if (st->ethernet)
        s46_loop_own(st->loop, S46_SIDE_V6, AF_INET6, addr6_of(&n)->b);
    /* every worker now uses the new configuration: the old one can go */
    conf_free(&st->cur);
    st->cur = n;
    if (n.aftr)
        fprintf(stderr, "s46-br: configuration reloaded: AFTR, %zu pool prefixes\n",
                n.as.c.cgn.npool);
    else
        fprintf(stderr, "s46-br: configuration reloaded: %zu rules\n",
                s46_ruleset_count(n.bc.rules));
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
        {"io", required_argument, NULL, 'i'},     {"workers", required_argument, NULL, 'w'},
        {"pin", no_argument, NULL, 'P'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL, *ctlpath = "/run/s46/s46-br.sock";
    s46_io_opts io;
    s46_io_opts_init(&io, "s46br0", 0);
    char e[512], note[512];
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 's': ctlpath = optarg; break;
        case 'h': fputs(usage, stdout); return 0;
        case 'V': printf("s46-br %s\n", S46_VERSION); return 0;
        default: {
            int t = s46_io_opts_take(&io, c, optarg, e, sizeof e);
            if (t < 0) {
                fprintf(stderr, "s46-br: %s\n", e);
                return 2;
            }
            if (t == 0) {
                fprintf(stderr, "s46-br: bad option '%s'\n%s", argv[optind - 1], usage);
                return 2;
            }
        }
        }
    }
    if (!config || optind < argc || s46_io_opts_check(&io, e, sizeof e) < 0) {
        if (config && optind >= argc)
            fprintf(stderr, "s46-br: %s\n", e);
        fputs(usage, stderr);
        return 2;
    }
    bool ethernet = s46_io_opts_ethernet(&io);
    struct br_state st = {.config = config, .ethernet = ethernet};
    if (load(config, ethernet, &st.cur) < 0)
        return 2;
    if (st.cur.aftr && st.cur.as.has_log &&
        !(st.log = s46_blocklog_open(&st.cur.as.log, e, sizeof e))) {
        fprintf(stderr, "s46-br: port-block log: %s\n", e);
        conf_free(&st.cur);
        return 1;
    }
    st.cur.as.c.log = st.log;
    s46_ctl ctl = {.fd = -1};
    s46_loop_conf lc = {.pipeline = st.cur.aftr ? &s46_pl_aftr : &s46_pl_br_mape,
                        .pipeline_conf = conf_of(&st.cur), .ctl = &ctl,
                        .show_extra = show_extra, .tick = tick, .wake_fd = -1, .arg = &st,
                        .stop = &stop};
    s46_io_opts_apply(&io, &lc);
    st.loop = s46_loop_new(&lc, note, sizeof note, e, sizeof e);
    if (!st.loop) {
        fprintf(stderr, "s46-br: %s\n", e);
        conf_free(&st.cur);
        s46_blocklog_close(st.log);
        return 1;
    }
    if (*note)
        fprintf(stderr, "s46-br: %s\n", note);
    /* the BR (AFTR) address is the data plane's (AF_XDP hands only owned
     * IPv6 destinations to it; the ports answer Neighbor Solicitations) */
    if (ethernet)
        s46_loop_own(st.loop, S46_SIDE_V6, AF_INET6, addr6_of(&st.cur)->b);
    /* the control socket comes last: once it answers, the devices exist
     * (an operator or a script may route into the TUN right away) */
    if (s46_ctl_listen(&ctl, ctlpath, e, sizeof e) < 0) {
        fprintf(stderr, "s46-br: %s\n", e);
        s46_loop_free(st.loop);
        conf_free(&st.cur);
        s46_blocklog_close(st.log);
        return 1;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    char what[64];
    if (st.cur.aftr)
        snprintf(what, sizeof what, "AFTR, %zu pool prefixes", st.cur.as.c.cgn.npool);
    else
        snprintf(what, sizeof what, "%zu rules", s46_ruleset_count(st.cur.bc.rules));
    fprintf(stderr, "s46-br: running on %s%s%s (%s, %u worker%s) with %s, control socket %s\n",
            ethernet ? io.ifs[0] : io.tun, ethernet ? " and " : "", ethernet ? io.ifs[1] : "",
            s46_loop_io(st.loop), s46_loop_workers(st.loop),
            s46_loop_workers(st.loop) == 1 ? "" : "s", what, ctlpath);
    int r = s46_loop_run(st.loop, e, sizeof e);
    if (r < 0)
        fprintf(stderr, "s46-br: %s\n", e);
    s46_loop_free(st.loop);
    s46_ctl_close(&ctl);
    conf_free(&st.cur);
    s46_blocklog_close(st.log);
    fprintf(stderr, "s46-br: stopped\n");
    return r < 0 ? 1 : 0;
}
