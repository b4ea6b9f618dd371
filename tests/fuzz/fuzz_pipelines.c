/* libFuzzer target for the data planes, driven through the one run loop
 * (io/loop.h) with mem ports, as the daemons drive them: the first byte
 * picks the pipeline and side (modulo 24, even: the IPv4 side, odd: the
 * IPv6 side; 0/1 MAP-E BR, 2/3 MAP-E CE, 4/5 DS-Lite B4, 6/7 ipip CE,
 * 8/9 464XLAT CLAT, 10/11 MAP-T CE, 12/13 lwB4, 14/15 lwAFTR, 16/17 DS-Lite
 * AFTR, 18/19 NAT64, 20/21 SIIT, 22/23 MAP-T BR; the center mechanisms
 * from JSON configs as their daemon reads them); the rest is split on the
 * 4-byte marker "S46|" into packets fed as one batch, with a clock that
 * advances so NAPT and reassembly state age. Any crash, sanitizer report,
 * leak, or forwarded packet outside its buffer (the mem port's tx_errors)
 * is a finding. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/lsan_interface.h>
#include <stdio.h>
#include <unistd.h>

#include "conf/aftr_conf.h"
#include "conf/lwaftr_conf.h"
#include "conf/mapt_conf.h"
#include "conf/nat64_conf.h"
#include "conf/siit_conf.h"
#include "dp/br_mape.h"
#include "dp/ce_pipeline.h"
#include "io/loop.h"

enum { NLOOPS = 12 };
static s46_loop *loops[NLOOPS];
static s46_pktpool *pool;
static uint64_t now = 1000000000ull;
static volatile sig_atomic_t never;

static s46_loop *make_loop(const s46_pipeline_ops *ops, const void *conf)
{
    s46_loop_conf lc = {.pipeline = ops, .pipeline_conf = conf, .workers = 1, .until_eof = true,
                        .wake_fd = -1, .stop = &never};
    lc.side[0].kind = lc.side[1].kind = S46_PORT_MEM;
    return s46_loop_new(&lc, NULL, 0, NULL, 0);
}

static json_t *doc(const char *text)
{
    json_t *d = json_loads(text, 0, NULL);
    if (!d)
        abort();
    return d;
}

/* The center mechanisms, configured as s46-br reads its config file: one
 * shared address per lwAFTR binding, a small CGN pool (blocks run out),
 * no port-block log file (the AFTR and NAT64 run without one). */
static void center(void)
{
    char e[512];
    static char dir[] = "/tmp/s46fuzzXXXXXX";
    if (!mkdtemp(dir))
        abort();
    char path[64];
    snprintf(path, sizeof path, "%s/lw.json", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    fputs("{\"lwaftr\": {\"ipv6\": \"2001:db8:ffff::1\", \"ipv4\": \"198.51.100.1\", "
          "\"icmp_rate\": 0, \"bindings\": ["
          "{\"b4\": \"2001:db8:1::2\", \"ipv4\": \"192.0.2.1\", \"psid\": 1, \"psid_length\": 6},"
          "{\"b4\": \"2001:db8:1::3\", \"ipv4\": \"192.0.2.1\", \"psid\": 2, \"psid_length\": 6},"
          "{\"b4\": \"2001:db8:1::4\", \"ipv4\": \"192.0.2.2\"}]}}", f);
    fclose(f);
    static s46_lw_conf lw;
    s46_bindtab *bt = s46_bindtab_new();
    /* the table keeps its blocks behind tagged words (pointer | PSID
     * length | offset, lib/bindtab.c), which LeakSanitizer cannot follow:
     * the blocks loaded here, alive for the whole run, are not leaks */
    __lsan_disable();
    int rc = bt ? s46_lw_conf_load(path, bt, &lw, e, sizeof e) : -1;
    __lsan_enable();
    if (rc < 0)
        abort();
    unlink(path);
    rmdir(dir);
    loops[7] = make_loop(&s46_pl_lwaftr, &lw); /* the table stays for the run */

    static s46_aftr_settings as;
    json_t *d = doc("{\"aftr\": {\"ipv6\": \"2001:db8:ffff::2\", \"ipv4\": \"198.51.100.2\", "
                    "\"pool\": [\"192.0.2.128/30\"], \"block_size\": 64, \"icmp_rate\": 0, "
                    "\"filtering\": \"adf\", "
                    "\"limits\": {\"mappings\": 8, \"new_per_second\": 4}, "
                    "\"capacity\": {\"subscribers\": 16, \"blocks\": 32, \"mappings\": 64, "
                    "\"sessions\": 128}}}");
    if (s46_aftr_settings_from_json(d, &as, e, sizeof e) < 0)
        abort();
    json_decref(d);
    loops[8] = make_loop(&s46_pl_aftr, &as.c);

    static s46_nat64_settings ns;
    d = doc("{\"nat64\": {\"pool6\": \"64:ff9b::/96\", \"pool4\": [\"198.51.100.128/30\"], "
            "\"block_size\": 64, \"icmp_rate\": 0, \"ipv6_mtu\": 1280, "
            "\"capacity\": {\"subscribers\": 16, \"blocks\": 32, \"mappings\": 64, "
            "\"sessions\": 128}}}");
    if (s46_nat64_settings_from_json(d, &ns, e, sizeof e) < 0)
        abort();
    json_decref(d);
    loops[9] = make_loop(&s46_pl_nat64, &ns.c);

    static s46_siit_conf sc;
    d = doc("{\"siit\": {\"pool6\": \"64:ff9b::/96\", \"ipv4\": \"198.51.100.3\", "
            "\"icmp_rate\": 0, \"eam\": [{\"ipv4\": \"198.51.100.0/28\", "
            "\"ipv6\": \"2001:db8:6::/124\"}]}}");
    if (s46_siit_conf_from_json(d, &sc, e, sizeof e) < 0)
        abort();
    json_decref(d);
    loops[10] = make_loop(&s46_pl_siit, &sc);

    static s46_brt_conf tc;
    d = doc("{\"map_t\": {\"dmr\": \"2001:db8:ffff::/64\", \"br_ipv4\": \"198.51.100.4\", "
            "\"icmp_rate\": 0, \"rules\": [{\"ipv6\": \"2001:db8::/40\", "
            "\"ipv4\": \"192.0.2.0/24\", \"ea_length\": 16, \"psid_offset\": 6}]}}");
    if (s46_brt_conf_from_json(d, &tc, e, sizeof e) < 0)
        abort();
    json_decref(d);
    loops[11] = make_loop(&s46_pl_br_mapt, &tc);
}

static void setup(void)
{
    s46_maprule r;
    memset(&r, 0, sizeof r);
    s46_pfx6_parse("2001:db8::/40", &r.ipv6, NULL, 0);
    s46_pfx4_parse("192.0.2.0/24", &r.ipv4, NULL, 0);
    r.ea_len = 16;
    r.psid_offset = 6;
    s46_br_conf bc;
    s46_br_conf_default(&bc);
    bc.rules = s46_ruleset_new(&r, 1, NULL, 0);
    s46_ip6_parse("2001:db8:ffff::1", &bc.br6);
    s46_ip4_parse("198.51.100.1", &bc.br4);
    bc.icmp_rate = 0;
    loops[0] = make_loop(&s46_pl_br_mape, &bc); /* the rule set stays for the run */
    s46_cepl_conf cc;
    memset(&cc, 0, sizeof cc);
    cc.mech = S46_CE_MECH_MAPE;
    s46_ce_conf_default(&cc.mape);
    cc.mape.rules = &r;
    cc.mape.nrules = 1;
    cc.mape.mesh = true;
    cc.mape.layout = S46_IID_RFC7597;
    cc.mape.ttl_decrement = true;
    s46_pfx6_parse("2001:db8:12:3400::/56", &cc.mape.eu_prefix, NULL, 0);
    s46_ip6_parse("2001:db8:ffff::1", &cc.mape.br);
    cc.mape.napt.max_mappings = 64;
    cc.mape.napt.max_sessions = 128;
    loops[1] = make_loop(&s46_pl_ce, &cc);
    for (int k = 0; k < 2; k++) {
        s46_cepl_conf tc;
        memset(&tc, 0, sizeof tc);
        tc.mech = k ? S46_CE_MECH_IPIP : S46_CE_MECH_DSLITE;
        s46_cet_conf_default(&tc.tunnel);
        s46_ip6_parse("2001:db8:f001::2", &tc.tunnel.local);
        s46_ip6_parse("2001:db8:ffff::1", &tc.tunnel.remote);
        s46_pfx4_parse("203.0.113.0/29", &tc.tunnel.ipv4, NULL, 0);
        tc.tunnel.ipv6_mtu = 1280;
        tc.tunnel.napt.max_mappings = 64;
        tc.tunnel.napt.max_sessions = 128;
        loops[2 + k] = make_loop(&s46_pl_ce, &tc);
    }
    s46_cepl_conf xc;
    memset(&xc, 0, sizeof xc);
    xc.mech = S46_CE_MECH_CLAT;
    s46_clat_conf_default(&xc.clat);
    s46_pfx6_parse("64:ff9b::/96", &xc.clat.nat64, NULL, 0);
    s46_ip6_parse("2001:db8:12:3400::c1a7", &xc.clat.clat6);
    s46_ip4_parse("192.168.1.1", &xc.clat.lan_ipv4);
    xc.clat.ttl_decrement = true;
    xc.clat.lan_mtu = 1400;
    xc.clat.napt.max_mappings = 64;
    xc.clat.napt.max_sessions = 128;
    loops[4] = make_loop(&s46_pl_ce, &xc);

    /* MAP-T CE: the MAP-E CE's settings with the rule as a map_t */
    static s46_cepl_conf tcc;
    tcc = cc;
    tcc.mech = S46_CE_MECH_MAPT;
    tcc.mape.mapt = true;
    s46_pfx6_parse("2001:db8:ffff::/64", &tcc.mape.dmr, NULL, 0);
    loops[5] = make_loop(&s46_pl_ce, &tcc);

    s46_cepl_conf lc;
    memset(&lc, 0, sizeof lc);
    lc.mech = S46_CE_MECH_LW4O6;
    s46_lwb4_conf_default(&lc.lw4o6);
    s46_ip6_parse("2001:db8:1::2", &lc.lw4o6.b4);
    s46_ip6_parse("2001:db8:ffff::1", &lc.lw4o6.lwaftr);
    s46_ip4_parse("192.0.2.1", &lc.lw4o6.ipv4);
    lc.lw4o6.psid = 1;
    lc.lw4o6.psid_len = 6;
    lc.lw4o6.ttl_decrement = true;
    lc.lw4o6.napt.max_mappings = 64;
    lc.lw4o6.napt.max_sessions = 128;
    loops[6] = make_loop(&s46_pl_ce, &lc);

    center();
    pool = s46_pktpool_new(S46_BATCH_MAX);
    for (int i = 0; i < NLOOPS; i++)
        if (!loops[i])
            abort();
    if (!pool)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!pool)
        setup();
    if (size < 1)
        return 0;
    unsigned which = data[0] % (2 * NLOOPS);
    data++;
    size--;
    s46_batch b = {0};
    while (size > 0 && b.count < S46_BATCH_IN) {
        const uint8_t *m = memmem(data, size, "S46|", 4);
        size_t len = m ? (size_t)(m - data) : size;
        s46_pkt *p = s46_pkt_alloc(pool);
        size_t n = len < S46_PKT_MAXDATA ? len : S46_PKT_MAXDATA;
        memcpy(p->data, data, n);
        p->len = (uint32_t)n;
        b.pkts[b.count++] = p;
        if (!m)
            break;
        data += len + 4;
        size -= len + 4;
    }
    now += 700000000ull; /* 0.7 s per input */
    s46_loop *l = loops[which / 2];
    s46_loop_feed(l, &b, (uint16_t)(which & 1), now, true);
    for (unsigned side = 0; side < 2; side++) {
        s46_port_stats st;
        s46_loop_port_stats(l, side, &st);
        if (st.tx_errors)
            abort(); /* a forwarded packet must lie inside its buffer */
    }
    if (s46_pktpool_available(pool) != S46_BATCH_MAX)
        abort(); /* every packet went back to its pool */
    return 0;
}
