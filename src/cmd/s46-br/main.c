/* s46-br: the center daemon: the MAP-E Border Relay, the lw4o6 lwAFTR or
 * the DS-Lite AFTR, as its settings file says. On a TUN device the operator (or
 * `s46 lab`) routes the rules' IPv4 prefixes and the BR IPv6 address into
 * the device and s46-br writes what it forwards back into it; on two
 * Ethernet interfaces (AF_XDP or AF_PACKET) it takes their frames itself.
 * Runs the one run loop (io/loop.h) with --workers threads. SIGHUP
 * re-reads the configuration and hands it to every worker without losing
 * a packet; a configuration that does not load keeps the running one.
 * A config with an "lwaftr" object (conf/lwaftr_conf.h) runs the lw4o6
 * lwAFTR instead: SIGHUP then also reloads its bindings (all at once, no
 * packet of an unchanged binding lost), and the control socket takes
 * single binding edits (`s46 binding`): "binding add|replace B4 IPV4 PSID
 * PSID_LENGTH [PSID_OFFSET [LWAFTR]]", "binding remove IPV4 PSID",
 * "binding reload". A config with an "aftr" object (conf/aftr_conf.h)
 * runs the DS-Lite AFTR with its CGN and port-block log (kept open across
 * reloads; a reload changes addresses, filtering, timers and limits).
 * A config with a "siit" object (conf/siit_conf.h) runs the stateless
 * SIIT / SIIT-DC translator (EAM table and pool6), one with a "nat64"
 * object (conf/nat64_conf.h) the stateful NAT64 with the same CGN and log.
 * A config with a "map_t" object (conf/mapt_conf.h) runs the MAP-T BR. */
#include <arpa/inet.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf/aftr_conf.h"
#include "conf/br_conf.h"
#include "conf/lwaftr_conf.h"
#include "conf/nat64_conf.h"
#include "conf/mapt_conf.h"
#include "conf/siit_conf.h"
#include "dp/br_mape.h"
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
    "              [--v6-peer-mac MAC] [--v4-vlan VID] [--v6-vlan VID] [common options]\n"
    "  common options: [--io auto|xdp|afpacket|tun] [--workers N] [--pin] [--ctl PATH]\n"
    "  TUN mode (default): the kernel routes traffic into the device.\n"
    "  Ethernet mode (--v4-if/--v6-if): s46-br takes the frames of two Ethernet\n"
    "            interfaces (--io auto: AF_XDP, else AF_PACKET, said at start); in\n"
    "            its namespace turn forwarding off and add blackhole routes for the\n"
    "            BR address and the rules' prefixes so the kernel neither forwards\n"
    "            nor answers them; neighbours route those to the interfaces'\n"
    "            addresses; packets leave to the given next-hop MAC (else the\n"
    "            last sender's). --v4-vlan/--v6-vlan: that side takes and sends\n"
    "            only frames tagged with this 802.1Q VLAN (an lwAFTR config may\n"
    "            say it too: ipv4_interface/ipv6_interface {\"vlan\": VID})\n"
    "  --config  an HB46PP response or map_e object plus BR options (MAP-E BR),\n"
    "            an {\"lwaftr\": {...}} object (the lw4o6 lwAFTR), or an\n"
    "            {\"aftr\": {...}} object (the DS-Lite AFTR, docs/cgn.md), or a\n"
    "            {\"siit\": {...}} object (the SIIT-DC translator), a\n"
    "            {\"nat64\": {...}} object (the stateful NAT64, RFC 6146), or an\n"
    "            HB46PP response or map_t object plus BR options (the MAP-T BR)\n"
    "  --tun     TUN device to create or attach to (default s46br0)\n"
    "  --workers worker threads, one queue of each interface each (default: one\n"
    "            per CPU this process may use)\n"
    "  --pin     pin worker i to the i-th of those CPUs\n"
    "  --ctl     control socket for `s46 show` (default /run/s46/s46-br.sock)\n"
    "  --mtu     MTU of the TUN device (default 1500)\n";

/* A configuration and what it owns: a BR's rule set, an lwAFTR's
 * settings (its bindings live in `bindings`) or an AFTR's settings. */
struct brconf {
    bool lw, aftr, siit, nat64, mapt;
    s46_br_conf bc;
    s46_brt_conf tc;
    s46_siit_conf sc;
    s46_lw_conf lc;
    s46_aftr_settings as;
    s46_nat64_settings ns;
    bool loaded;
};

static void conf_free(struct brconf *c)
{
    if (c->aftr)
        s46_aftr_settings_free(&c->as);
    if (c->siit)
        s46_siit_conf_free(&c->sc);
    if (c->nat64)
        s46_nat64_settings_free(&c->ns);
    s46_ruleset_free(c->bc.rules);
    c->bc.rules = NULL;
    s46_ruleset_free(c->tc.rules);
    c->tc.rules = NULL;
}

static const void *conf_of(const struct brconf *c)
{
    if (c->siit)
        return &c->sc;
    if (c->nat64)
        return &c->ns.c;
    if (c->mapt)
        return &c->tc;
    return c->lw ? (const void *)&c->lc : c->aftr ? (const void *)&c->as.c : (const void *)&c->bc;
}

/* The lwAFTR's bindings: one table for the daemon's life, edited live. */
static s46_bindtab *bindings;

static int load(const char *path, bool ethernet, struct brconf *out)
{
    char e[512];
    json_t *doc = s46_json_load_file(path, e, sizeof e);
    if (!doc) {
        fprintf(stderr, "s46-br: %s\n", e);
        return -1;
    }
    if (s46_lw_conf_is(doc)) {
        json_decref(doc);
        out->lw = true;
        if ((!bindings && !(bindings = s46_bindtab_new())) ||
            s46_lw_conf_load(path, bindings, &out->lc, e, sizeof e) < 0) {
            fprintf(stderr, "s46-br: %s: %s\n", path, bindings ? e : "out of memory");
            return -1;
        }
        out->lc.ttl_decrement = ethernet;
        out->loaded = true;
        return 0;
    }
    if (s46_siit_conf_is(doc)) {
        out->siit = true;
        int r = s46_siit_conf_from_json(doc, &out->sc, e, sizeof e);
        json_decref(doc);
        if (r < 0) {
            fprintf(stderr, "s46-br: %s: %s\n", path, e);
            s46_siit_conf_free(&out->sc);
            out->siit = false;
            return -1;
        }
        out->sc.ttl_decrement = ethernet;
        out->loaded = true;
        return 0;
    }
    if (s46_nat64_settings_is(doc)) {
        out->nat64 = true;
        int r = s46_nat64_settings_from_json(doc, &out->ns, e, sizeof e);
        json_decref(doc);
        if (r < 0) {
            fprintf(stderr, "s46-br: %s: %s\n", path, e);
            out->nat64 = false;
            return -1;
        }
        out->ns.c.ttl_decrement = ethernet;
        out->loaded = true;
        return 0;
    }
    if (s46_mapt_conf_is(doc)) {
        out->mapt = true;
        int r = s46_brt_conf_from_json(doc, &out->tc, e, sizeof e);
        json_decref(doc);
        if (r < 0) {
            fprintf(stderr, "s46-br: %s: %s\n", path, e);
            out->mapt = false;
            return -1;
        }
        out->tc.ttl_decrement = ethernet;
        out->loaded = true;
        return 0;
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
    if (st->cur.siit)
        json_object_set_new(j, "eam", json_integer((json_int_t)st->cur.sc.map.eam.n));
    else if (st->cur.nat64)
        json_object_set_new(j, "pool_prefixes", json_integer((json_int_t)st->cur.ns.c.cgn.npool));
    else if (st->cur.mapt)
        json_object_set_new(j, "rules",
                            json_integer((json_int_t)s46_ruleset_count(st->cur.tc.rules)));
    else if (st->cur.lw)
        json_object_set_new(j, "bindings", json_integer((json_int_t)s46_bindtab_count(bindings)));
    else if (st->cur.aftr)
        json_object_set_new(j, "pool_prefixes", json_integer((json_int_t)st->cur.as.c.cgn.npool));
    else
        json_object_set_new(j, "rules",
                            json_integer((json_int_t)s46_ruleset_count(st->cur.bc.rules)));
}

static void own_addresses(struct br_state *st, const struct brconf *c)
{
    if (!st->ethernet)
        return;
    /* the translators take what is sent into their IPv6 prefixes */
    if (c->nat64)
        return s46_loop_own_prefix6(st->loop, S46_SIDE_V6, c->ns.c.pool6.addr.b, c->ns.c.pool6.len);
    if (c->mapt)
        return s46_loop_own_prefix6(st->loop, S46_SIDE_V6, c->tc.dmr.addr.b, c->tc.dmr.len);
    if (c->siit) {
        if (c->sc.map.has_pool6)
            s46_loop_own_prefix6(st->loop, S46_SIDE_V6, c->sc.map.pool6.addr.b, c->sc.map.pool6.len);
        for (size_t i = 0; i < c->sc.map.eam.n; i++)
            s46_loop_own_prefix6(st->loop, S46_SIDE_V6, c->sc.map.eam.by6[i].v6.addr.b,
                                 c->sc.map.eam.by6[i].v6.len);
        return;
    }
    if (c->aftr)
        return s46_loop_own(st->loop, S46_SIDE_V6, AF_INET6, c->as.c.aftr6.b);
    if (!c->lw)
        return s46_loop_own(st->loop, S46_SIDE_V6, AF_INET6, c->bc.br6.b);
    for (unsigned i = 0; i < c->lc.naftr; i++)
        s46_loop_own(st->loop, S46_SIDE_V6, AF_INET6, c->lc.aftr[i].b);
}

/* The source of the mechanism's ICMPv4 errors (0: none). */
static uint32_t icmp4_source(const struct brconf *c)
{
    if (c->siit)
        return c->sc.ipv4;
    if (c->nat64)
        return s46_nat64_icmp4_source(&c->ns.c);
    if (c->mapt)
        return c->tc.br4;
    if (c->lw)
        return c->lc.ipv4;
    if (c->aftr)
        return c->as.c.aftr4;
    return c->bc.br4;
}

/* Through a TUN, what the daemon sends toward IPv4 enters the kernel from
 * the TUN device; the kernel drops a packet whose source is one of its own
 * addresses (a martian), so ICMPv4 errors from such an address, path MTU
 * discovery's Fragmentation Needed among them, never leave. Said at start
 * and on reload. */
static void warn_local_icmp4_source(const struct br_state *st, const struct brconf *c)
{
    uint32_t a = icmp4_source(c);
    struct ifaddrs *ifs;
    if (st->ethernet || !a || getifaddrs(&ifs) < 0)
        return;
    for (struct ifaddrs *i = ifs; i; i = i->ifa_next)
        if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
            ntohl(((const struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr) == a) {
            char b[INET_ADDRSTRLEN];
            struct in_addr in = {htonl(a)};
            fprintf(stderr,
                    "s46-br: warning: the ICMPv4 source %s is an address of this host (%s): "
                    "through the TUN the kernel drops packets from its own addresses, so the "
                    "ICMPv4 errors toward the IPv4 side (path MTU discovery) would never leave; "
                    "give an address routed to the TUN instead\n",
                    inet_ntop(AF_INET, &in, b, sizeof b), i->ifa_name);
            break;
        }
    freeifaddrs(ifs);
}

/* Re-reads the config (SIGHUP, "binding reload"): NULL, or what failed. */
static const char *reload_conf(struct br_state *st)
{
    static char e[512];
    struct brconf n = {0};
    if (load(st->config, st->ethernet, &n) < 0)
        return "the configuration does not load (see the daemon's log)";
    if (n.lw != st->cur.lw || n.aftr != st->cur.aftr || n.siit != st->cur.siit ||
        n.nat64 != st->cur.nat64 || n.mapt != st->cur.mapt) {
        conf_free(&n);
        return "the mechanism (MAP-E BR, MAP-T BR, lwAFTR, AFTR, SIIT, NAT64) changes only with a restart";
    }
    n.as.c.log = st->log; /* the same port-block log goes on */
    n.ns.c.log = st->log;
    if (s46_loop_reconfigure(st->loop, conf_of(&n), e, sizeof e) < 0) {
        conf_free(&n);
        return e;
    }
    own_addresses(st, &n);
    warn_local_icmp4_source(st, &n);
    /* every worker now uses the new configuration: the old one can go */
    conf_free(&st->cur);
    st->cur = n;
    if (n.siit)
        fprintf(stderr, "s46-br: configuration reloaded: SIIT, %zu EAM entries\n", n.sc.map.eam.n);
    else if (n.nat64)
        fprintf(stderr, "s46-br: configuration reloaded: NAT64, %zu pool4 prefixes\n",
                n.ns.c.cgn.npool);
    else if (n.mapt)
        fprintf(stderr, "s46-br: configuration reloaded: MAP-T, %zu rules\n",
                s46_ruleset_count(n.tc.rules));
    else if (n.aftr)
        fprintf(stderr, "s46-br: configuration reloaded: AFTR, %zu pool prefixes\n",
                n.as.c.cgn.npool);
    else if (n.lw)
        fprintf(stderr, "s46-br: configuration reloaded: %zu bindings\n", s46_bindtab_count(bindings));
    else
        fprintf(stderr, "s46-br: configuration reloaded: %zu rules\n", s46_ruleset_count(n.bc.rules));
    return NULL;
}

static json_t *answer(const char *err)
{
    if (err)
        return json_pack("{s:s}", "error", err);
    return json_pack("{s:b,s:I}", "ok", 1, "bindings", (json_int_t)s46_bindtab_count(bindings));
}

/* "binding ..." on the control socket (lwAFTR only). */
static json_t *command(const char *cmd, void *arg)
{
    struct br_state *st = arg;
    char e[S46_ERRLEN], w[6][64], verb[16];
    if (strncmp(cmd, "binding ", 8) != 0)
        return NULL;
    if (!st->cur.lw)
        return answer("not an lwAFTR: no bindings");
    int n = sscanf(cmd + 8, "%15s %63s %63s %63s %63s %63s %63s", verb, w[0], w[1], w[2], w[3],
                   w[4], w[5]);
    if (n >= 1 && !strcmp(verb, "reload") && n == 1)
        return answer(reload_conf(st));
    s46_bind b = {0};
    unsigned long v[4] = {0, 0, 0, 0};
    char *end;
    bool put = n >= 1 && (!strcmp(verb, "add") || !strcmp(verb, "replace"));
    if (n >= 1 && !strcmp(verb, "remove")) {
        if (n != 3 || s46_ip4_parse(w[0], &b.ipv4) < 0 || (v[0] = strtoul(w[1], &end, 10)) > 65535 || *end)
            return answer("usage: binding remove IPV4 PSID");
        s46_bindtab_reclaim(bindings);
        return answer(s46_bindtab_remove(bindings, b.ipv4, (uint16_t)v[0], e, sizeof e) < 0 ? e : NULL);
    }
    if (!put)
        return answer("usage: binding add|replace B4 IPV4 PSID PSID_LENGTH [PSID_OFFSET [LWAFTR]], "
                      "binding remove IPV4 PSID, binding reload");
    if (n < 5 || s46_ip6_parse(w[0], &b.b4) < 0 || s46_ip4_parse(w[1], &b.ipv4) < 0)
        return answer("usage: binding add|replace B4 IPV4 PSID PSID_LENGTH [PSID_OFFSET [LWAFTR]]");
    for (int i = 2; i < n - 1 && i < 5; i++) {
        v[i - 2] = strtoul(w[i], &end, 10);
        if (*end || v[i - 2] > 65535)
            return answer("PSID, PSID_LENGTH and PSID_OFFSET are numbers");
    }
    if (v[1] > 16 || v[2] > 15)
        return answer("PSID_LENGTH is 0..16, PSID_OFFSET 0..15");
    b.psid = (uint16_t)v[0];
    b.psid_len = (uint8_t)v[1];
    b.psid_offset = (uint8_t)v[2];
    if (n == 7) {
        s46_ip6 a;
        unsigned i = 0;
        if (s46_ip6_parse(w[5], &a) < 0)
            return answer("LWAFTR: not an IPv6 address");
        while (i < st->cur.lc.naftr && !s46_ip6_eq(&st->cur.lc.aftr[i], &a))
            i++;
        if (i == st->cur.lc.naftr)
            return answer("LWAFTR: not one of the lwAFTR's addresses");
        b.aftr = (uint8_t)i;
    }
    if (s46_bind_check(&b, st->cur.lc.naftr, e, sizeof e) < 0)
        return answer(e);
    int r = !strcmp(verb, "add") ? s46_bindtab_add(bindings, &b, e, sizeof e)
                                 : s46_bindtab_replace(bindings, &b, e, sizeof e);
    return answer(r < 0 ? e : NULL);
}

static void tick(uint64_t now, void *arg)
{
    struct br_state *st = arg;
    (void)now;
    if (bindings)
        s46_bindtab_reclaim(bindings);
    if (!reload)
        return;
    reload = 0;
    const char *why = reload_conf(st);
    if (why)
        fprintf(stderr, "s46-br: reload failed, keeping the running configuration: %s\n", why);
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
        {"v4-vlan", required_argument, NULL, 'A'},
        {"v6-vlan", required_argument, NULL, 'B'},
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
    const s46_blocklog_conf *logc = st.cur.aftr && st.cur.as.has_log     ? &st.cur.as.log
                                    : st.cur.nat64 && st.cur.ns.g.has_log ? &st.cur.ns.g.log
                                                                          : NULL;
    if (logc && !(st.log = s46_blocklog_open(logc, e, sizeof e))) {
        fprintf(stderr, "s46-br: port-block log: %s\n", e);
        conf_free(&st.cur);
        return 1;
    }
    st.cur.as.c.log = st.log;
    st.cur.ns.c.log = st.log;
    s46_ctl ctl = {.fd = -1};
    s46_loop_conf lc = {.pipeline = st.cur.siit   ? &s46_pl_siit
                                    : st.cur.nat64 ? &s46_pl_nat64
                                    : st.cur.mapt ? &s46_pl_br_mapt
                                    : st.cur.lw   ? &s46_pl_lwaftr
                                    : st.cur.aftr ? &s46_pl_aftr
                                                  : &s46_pl_br_mape,
                        .pipeline_conf = conf_of(&st.cur),
                        .ctl = &ctl, .command = command, .show_extra = show_extra, .tick = tick,
                        .wake_fd = -1, .arg = &st, .stop = &stop};
    if (st.cur.lw) /* the config's VLANs, unless the command line gave them */
        for (int s = 0; s < 2; s++)
            if (!io.vlans[s])
                io.vlans[s] = st.cur.lc.vlan[s];
    if (!ethernet && (io.vlans[0] || io.vlans[1])) {
        fprintf(stderr, "s46-br: VLANs need Ethernet ports (--v4-if and --v6-if)\n");
        conf_free(&st.cur);
        s46_blocklog_close(st.log);
        return 2;
    }
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
    /* the BR address is the data plane's (AF_XDP hands only owned IPv6
     * destinations to it; the ports answer Neighbor Solicitations for it) */
    own_addresses(&st, &st.cur);
    warn_local_icmp4_source(&st, &st.cur);
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
    if (st.cur.siit)
        snprintf(what, sizeof what, "SIIT, %zu EAM entries", st.cur.sc.map.eam.n);
    else if (st.cur.nat64)
        snprintf(what, sizeof what, "NAT64, %zu pool4 prefixes", st.cur.ns.c.cgn.npool);
    else if (st.cur.mapt)
        snprintf(what, sizeof what, "MAP-T, %zu rules", s46_ruleset_count(st.cur.tc.rules));
    else if (st.cur.aftr)
        snprintf(what, sizeof what, "AFTR, %zu pool prefixes", st.cur.as.c.cgn.npool);
    else if (st.cur.lw)
        snprintf(what, sizeof what, "%zu lwAFTR bindings", s46_bindtab_count(bindings));
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
    s46_bindtab_free(bindings);
    s46_blocklog_close(st.log);
    fprintf(stderr, "s46-br: stopped\n");
    return r < 0 ? 1 : 0;
}
