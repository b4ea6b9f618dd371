/* s46 replay: runs a data-plane pipeline over pcap files, exactly as the
 * daemon runs it over its interfaces. The golden-test harness and the
 * benchmark driver. Today's pipeline: the MAP-E BR ("mode": "br", the
 * default); the config file says which. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "conf/br_conf.h"
#include "dp/br_mape.h"
#include "io/pcapfile.h"
#include "prov/mape.h"

static const char replay_usage[] =
    "usage: s46 replay --config br.json --v4-in A.pcap --v6-in B.pcap\n"
    "                  --v4-out C.pcap --v6-out D.pcap [--counters E.json] [--ethernet]\n"
    "\n"
    "Runs the BR pipeline over the packets of A (arriving on the IPv4 side), then\n"
    "over those of B (arriving on the IPv6 side), and writes what leaves on each\n"
    "side to C and D (raw IP, or Ethernet with --ethernet), plus the counters as\n"
    "JSON. Inputs may be Ethernet or raw-IP pcaps, and may be empty.\n";

static int err2(const char *what, const char *e)
{
    fprintf(stderr, "s46 replay: %s%s%s\n", what, e ? ": " : "", e ? e : "");
    return 2;
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
    char e[256];
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
    json_t *mode = json_object_get(doc, "mode");
    if (mode && (!json_is_string(mode) || strcmp(json_string_value(mode), "br") != 0)) {
        json_decref(doc);
        return err2(conf, "mode: only \"br\" (MAP-E BR) is implemented");
    }
    s46_br_conf bc;
    if (s46_br_conf_from_json(doc, &bc, e, sizeof e) < 0) {
        json_decref(doc);
        fprintf(stderr, "s46 replay: %s: %s\n", conf, e);
        return 2;
    }
    json_decref(doc);
    s46_br *br = s46_br_new(&bc);
    s46_pktpool *pool = s46_pktpool_new(S46_BATCH_MAX);
    s46_pcap_out *o[2] = {NULL, NULL};
    s46_pcap_in *pi = NULL;
    int rc = 2;
    if (!br || !pool) {
        err2("out of memory", NULL);
        goto out;
    }
    for (int i = 0; i < 2; i++)
        if (!(o[i] = s46_pcap_out_open(outp[i], eth, e, sizeof e))) {
            err2(e, NULL);
            goto out;
        }
    for (uint16_t side = 0; side < 2; side++) {
        if (!(pi = s46_pcap_in_open(in[side], e, sizeof e))) {
            err2(e, NULL);
            goto out;
        }
        for (;;) {
            s46_batch b = {0};
            int r = 1;
            while (b.count < S46_BATCH_IN) {
                s46_pkt *p = s46_pkt_alloc(pool);
                r = s46_pcap_in_next(pi, p, e, sizeof e);
                if (r != 1) {
                    s46_pkt_release(pool, p);
                    break;
                }
                b.pkts[b.count++] = p;
            }
            if (r < 0) {
                err2(in[side], e);
                goto out;
            }
            if (b.count)
                s46_br_process(br, &b, side, b.pkts[0]->ts_ns);
            for (uint32_t i = 0; i < b.count; i++) {
                s46_pkt *p = b.pkts[i];
                if (p->verdict == S46_V_FORWARD)
                    s46_pcap_out_write(o[p->out_port ? 1 : 0], p);
                s46_pkt_release(pool, p);
            }
            if (r == 0)
                break;
        }
        s46_pcap_in_close(pi);
        pi = NULL;
    }
    rc = 0;
    for (int i = 0; i < 2; i++) {
        if (s46_pcap_out_close(o[i]) < 0) {
            err2(outp[i], "write failed");
            rc = 2;
        }
        o[i] = NULL;
    }
    if (counters && rc == 0) {
        json_t *j = json_pack("{s:s,s:s,s:o}", "program", "s46 replay", "pipeline", "br_mape",
                              "counters", s46_counters_json(s46_br_counters(br)));
        if (!j || json_dump_file(j, counters, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0) {
            err2(counters, "cannot write counters");
            rc = 2;
        }
        json_decref(j);
    }
out:
    s46_pcap_in_close(pi);
    for (int i = 0; i < 2; i++)
        s46_pcap_out_close(o[i]);
    s46_br_free(br);
    s46_pktpool_free(pool);
    s46_ruleset_free(bc.rules);
    return rc;
}
