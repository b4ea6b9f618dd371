/* s46-ce: the home router's CE daemon on a TUN device, or on two Ethernet
 * interfaces (--lan-if/--wan-if: AF_XDP or AF_PACKET) where it answers ARP
 * for its LAN address and NDP for its tunnel address itself. In HB46PP mode (a
 * "provisioning" object in its settings file) it discovers its
 * provisioning server, fetches and applies its parameters and keeps them
 * fresh (prov.c); in fixed mode it runs the map_e, dslite, lw4o6 or 464xlat of the
 * file. The kernel
 * routes LAN IPv4 traffic and the CE's tunnel address into the device; what
 * s46-ce writes back, it routes on. SIGHUP re-reads the file. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ce.h"
#include "io/ctl.h"
#include "io/ioopts.h"
#include "lib/num.h"
#include "lib/err.h"
#include "lib/version.h"
#include "prov/nvstore.h"

static volatile sig_atomic_t stop, reload;
static void on_signal(int sig)
{
    if (sig == SIGHUP)
        reload = 1;
    else
        stop = 1;
}

static const char usage[] =
    "usage: s46-ce --config ce.json [--prefix P] [--tun NAME] [--mtu N] [common options]\n"
    "       s46-ce --config ce.json [--prefix P] --lan-if IF --wan-if IF\n"
    "              [--lan-peer-mac MAC] [--wan-peer-mac MAC] [--lan-vlan VID]\n"
    "              [--wan-vlan VID] [common options]\n"
    "       s46-ce --config ce.json --erase\n"
    "  common options: [--io auto|xdp|afpacket|tun] [--workers N] [--pin] [--ctl PATH]\n"
    "  --config  JSON settings: a \"provisioning\" object (HB46PP mode) or a fixed\n"
    "            \"map_e\" (or whole HB46PP response), \"dslite\" {\"aftr\": address\n"
    "            or name}, \"lw4o6\" {lwaftr, ipv6, ipv4, psid, psid_length,\n"
    "            psid_offset} or \"464xlat\" {nat64prefix (none: RFC 7050)};\n"
    "            \"prefix\" or \"prefix_from\";\n"
    "            optional CE settings (docs/daemons.md)\n"
    "  --prefix  the delegated End-user prefix (overrides the file)\n"
    "  --tun     TUN device (default s46ce0)\n"
    "  --ctl     control socket for `s46 show` (default /run/s46/s46-ce.sock)\n"
    "  --mtu     MTU of the TUN device (default 1500)\n"
    "  --lan-if, --wan-if  Ethernet mode: the LAN and WAN interfaces (the CE answers\n"
    "            ARP for its lan_ipv4 and NDP for its MAP/B4 address; packets leave\n"
    "            to the learnt neighbour, else the peer MAC, else the last sender);\n"
    "            --lan-vlan/--wan-vlan: only frames of that 802.1Q VLAN, tagged\n"
    "  --workers worker threads (default 1; NAPT state is shared out by port)\n"
    "  --pin     pin worker i to the i-th CPU this process may use\n"
    "  --erase   remove the stored HB46PP configuration and exit\n";

struct ce_state {
    struct ce_dp dp;
    struct ce_opts *opts;      /* fixed mode */
    struct ce_prov *prov;      /* HB46PP mode */
    s46_dnsp *dnsp;            /* the LAN's DNS proxy, if configured */
    s46_dnsp_conf dnspc;       /* its settings */
    const char *prov_path, *prov_prefix; /* HB46PP mode: the file, --prefix */
};

/* Starts the DNS proxy of settings o (stopping one that runs with other
 * settings); says on stderr what it did. -1 when it could not start. */
static int dns_proxy(struct ce_state *st, const struct ce_opts *o)
{
    if (st->dnsp && o->dns_proxy && !memcmp(&st->dnspc, &o->dnsp, sizeof o->dnsp))
        return 0;
    if (st->dnsp) {
        s46_dnsp_stop(st->dnsp);
        st->dnsp = NULL;
        if (!o->dns_proxy)
            fprintf(stderr, "s46-ce: DNS proxy stopped\n");
    }
    if (!o->dns_proxy)
        return 0;
    char e[256];
    st->dnsp = s46_dnsp_start(&o->dnsp, e, sizeof e);
    if (!st->dnsp) {
        fprintf(stderr, "s46-ce: %s\n", e);
        return -1;
    }
    st->dnspc = o->dnsp;
    json_t *j = s46_dnsp_show(st->dnsp);
    char *l = json_dumps(json_object_get(j, "listen"), JSON_COMPACT);
    char *f = json_dumps(json_object_get(j, "forwarders"), JSON_COMPACT);
    fprintf(stderr, "s46-ce: DNS proxy on %s (UDP and TCP), forwarders %s (from %s)%s\n",
            l ? l : "?", f ? f : "?", o->dnsp_from,
            o->dnsp.nservers ? "" : ": none over IPv6, every query gets SERVFAIL");
    free(l);
    free(f);
    json_decref(j);
    return 0;
}

/* Fixed mode: runs the plan of the file's map_e, dslite, lw4o6 or 464xlat and logs the
 * outcome. */
static int apply_fixed(struct ce_state *st, const struct ce_opts *o, char *err, size_t errlen)
{
    struct ce_plan plan;
    if (ce_plan_build(o->fixed_mech, o->fixed, &o->prefix, o, &plan, err, errlen) < 0)
        return -1;
    int rc = ce_dp_apply(&st->dp, &plan, err, errlen);
    ce_dp_log(&st->dp, &plan, rc, err);
    ce_plan_free(&plan);
    return rc;
}

static void tick(uint64_t now, void *arg)
{
    struct ce_state *st = arg;
    (void)now;
    if (!reload)
        return;
    reload = 0;
    if (st->prov) {
        /* the provisioning thread re-reads the file for itself; the DNS
         * proxy's settings are read here */
        struct ce_opts d;
        char e[256];
        if (ce_opts_load(st->prov_path, st->prov_prefix, &d, e, sizeof e) < 0)
            fprintf(stderr, "s46-ce: reload: %s\n", e);
        else {
            dns_proxy(st, &d);
            ce_opts_free(&d);
        }
        ce_prov_reload(st->prov);
        return;
    }
    struct ce_opts *n = calloc(1, sizeof *n);
    char e[256] = "";
    /* apply_fixed logs what it started (or why it could not) */
    if (!n || ce_opts_load(st->opts->path, st->opts->prefix_arg, n, e, sizeof e) < 0 ||
        (n->prov && snprintf(e, sizeof e, "the file now asks for HB46PP mode; restart to change mode")) ||
        apply_fixed(st, n, e, sizeof e) < 0) {
        fprintf(stderr, "s46-ce: reload failed, keeping the running configuration: %s\n", e);
        if (n)
            ce_opts_free(n);
        free(n);
        return;
    }
    ce_opts_free(st->opts);
    free(st->opts);
    st->opts = n;
    dns_proxy(st, n);
    fprintf(stderr, "s46-ce: configuration reloaded\n");
}

static void wake(void *arg)
{
    struct ce_state *st = arg;
    ce_prov_serve(st->prov, &st->dp);
}

static void show_extra(json_t *j, void *arg)
{
    struct ce_state *st = arg;
    json_object_set_new(j, "program", json_string("s46-ce"));
    json_object_set_new(j, "version", json_string(S46_VERSION));
    if (!json_object_get(j, "mechanism"))
        json_object_set_new(j, "mechanism", json_string("none"));
    json_object_set_new(j, "provisioning",
                        st->prov ? ce_prov_show(st->prov)
                                 : json_pack("{s:s,s:s}", "mode", "fixed", "config",
                                             st->opts->path));
    if (st->dnsp)
        json_object_set_new(j, "dns_proxy", s46_dnsp_show(st->dnsp));
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"prefix", required_argument, NULL, 'p'},
        {"tun", required_argument, NULL, 't'},    {"ctl", required_argument, NULL, 's'},
        {"mtu", required_argument, NULL, 'm'},    {"erase", no_argument, NULL, 'E'},
        {"help", no_argument, NULL, 'h'},         {"version", no_argument, NULL, 'V'},
        {"lan-if", required_argument, NULL, '4'}, {"wan-if", required_argument, NULL, '6'},
        {"lan-peer-mac", required_argument, NULL, 'a'},
        {"wan-peer-mac", required_argument, NULL, 'b'},
        {"lan-vlan", required_argument, NULL, 'A'},
        {"wan-vlan", required_argument, NULL, 'B'},
        {"io", required_argument, NULL, 'i'},     {"workers", required_argument, NULL, 'w'},
        {"pin", no_argument, NULL, 'P'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL, *prefix = NULL, *ctlpath = "/run/s46/s46-ce.sock";
    s46_io_opts io;
    s46_io_opts_init(&io, "s46ce0", 1);
    char note[512];
    bool erase = false;
    char e[300];
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'p': prefix = optarg; break;
        case 's': ctlpath = optarg; break;
        case 'E': erase = true; break;
        case 'h': fputs(usage, stdout); return 0;
        case 'V': printf("s46-ce %s\n", S46_VERSION); return 0;
        default: {
            int t = s46_io_opts_take(&io, c, optarg, e, sizeof e);
            if (t < 0) {
                fprintf(stderr, "s46-ce: %s\n", e);
                return 2;
            }
            if (t == 0) {
                fprintf(stderr, "s46-ce: bad option '%s'\n%s", argv[optind - 1], usage);
                return 2;
            }
        }
        }
    }
    if (!config || optind < argc || s46_io_opts_check(&io, e, sizeof e) < 0) {
        if (config && optind >= argc)
            fprintf(stderr, "s46-ce: %s\n", e);
        fputs(usage, stderr);
        return 2;
    }
    bool ethernet = s46_io_opts_ethernet(&io);
    struct ce_opts *o = calloc(1, sizeof *o);
    if (!o || ce_opts_load(config, prefix, o, e, sizeof e) < 0) {
        fprintf(stderr, "s46-ce: %s\n", o ? e : "out of memory");
        free(o);
        return 2;
    }
    if (erase) {
        int rc = 0;
        if (!o->store) {
            fprintf(stderr, "s46-ce: %s: no provisioning.store configured\n", config);
            rc = 2;
        } else if (s46_nvstore_erase(o->store, e, sizeof e) < 0) {
            fprintf(stderr, "s46-ce: %s\n", e);
            rc = 1;
        } else {
            printf("erased %s\n", o->store);
        }
        ce_opts_free(o);
        free(o);
        return rc;
    }
    struct ce_state st = {0};
    s46_ctl ctl;
    /* fixed mode: a configuration that cannot run is refused before anything opens */
    struct ce_plan plan = {0};
    if (!o->prov && ce_plan_build(o->fixed_mech, o->fixed, &o->prefix, o, &plan, e, sizeof e) < 0) {
        fprintf(stderr, "s46-ce: %s: %s\n", config, e);
        ce_opts_free(o);
        free(o);
        return 2;
    }
    ctl.fd = -1;
    s46_loop_conf lc = {.pipeline = &s46_pl_ce, .ctl = &ctl, .show_extra = show_extra,
                        .tick = tick, .wake_fd = -1, .arg = &st, .stop = &stop};
    s46_io_opts_apply(&io, &lc);
    st.dp.ethernet = ethernet;
    st.dp.loop = s46_loop_new(&lc, note, sizeof note, e, sizeof e);
    if (!st.dp.loop) {
        fprintf(stderr, "s46-ce: %s\n", e);
        ce_plan_free(&plan);
        ce_opts_free(o);
        free(o);
        return 1;
    }
    if (*note)
        fprintf(stderr, "s46-ce: %s\n", note);
    if (!ethernet)
        st.dp.ifindex = if_nametoindex(io.tun);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    int r = 0;
    const char *where = ethernet ? io.ifs[1] : io.tun;
    if (dns_proxy(&st, o) < 0)
        r = -1;
    st.prov_path = config;
    st.prov_prefix = prefix;
    if (r < 0) {
        ce_plan_free(&plan); /* the DNS proxy said why */
    } else if (o->prov) {
        st.prov = ce_prov_start(o, e, sizeof e);
        if (!st.prov) {
            fprintf(stderr, "s46-ce: %s\n", e);
            r = -1;
        } else {
            s46_loop_set_wake(st.dp.loop, ce_prov_wake_fd(st.prov), wake);
            fprintf(stderr, "s46-ce: HB46PP mode on %s: discovering the provisioning server\n",
                    where);
        }
    } else {
        st.opts = o;
        e[0] = 0;
        r = ce_dp_apply(&st.dp, &plan, e, sizeof e);
        ce_dp_log(&st.dp, &plan, r, e);
        ce_plan_free(&plan);
    }
    /* the control socket comes last: once it answers, the devices and
     * the fixed plan's routes exist */
    if (r == 0 && s46_ctl_listen(&ctl, ctlpath, e, sizeof e) < 0) {
        fprintf(stderr, "s46-ce: %s\n", e);
        r = -1;
    }
    if (r == 0) {
        fprintf(stderr, "s46-ce: running on %s%s%s (%s, %u worker%s), control socket %s\n",
                ethernet ? io.ifs[0] : io.tun, ethernet ? " and " : "", ethernet ? io.ifs[1] : "",
                s46_loop_io(st.dp.loop), s46_loop_workers(st.dp.loop),
                s46_loop_workers(st.dp.loop) == 1 ? "" : "s", ctlpath);
        r = s46_loop_run(st.dp.loop, e, sizeof e);
        if (r < 0)
            fprintf(stderr, "s46-ce: %s\n", e);
    }
    s46_dnsp_stop(st.dnsp);
    if (st.prov)
        ce_prov_stop(st.prov);  /* frees the settings it owns */
    else {
        ce_opts_free(st.opts ? st.opts : o);
        free(st.opts ? st.opts : o);
    }
    ce_dp_free(&st.dp);
    s46_loop_free(st.dp.loop);
    s46_ctl_close(&ctl);
    fprintf(stderr, "s46-ce: stopped\n");
    return r < 0 ? 1 : 0;
}
