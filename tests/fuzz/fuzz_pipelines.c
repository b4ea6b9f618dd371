/* libFuzzer target for the data planes, driven through the one run loop
 * (io/loop.h) with mem ports, as the daemons drive them: the first byte
 * picks the pipeline and side (modulo 10: 0 BR IPv4, 1 BR IPv6, 2 CE LAN,
 * 3 CE WAN, 4/5 DS-Lite B4 LAN/WAN, 6/7 ipip CE LAN/WAN, 8/9 464XLAT CLAT
 * LAN/WAN); the rest is split on the
 * 4-byte marker "S46|" into packets fed as one batch, with a clock that
 * advances so NAPT and reassembly state age. Any crash, sanitizer report,
 * leak, or forwarded packet outside its buffer (the mem port's tx_errors)
 * is a finding. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp/br_mape.h"
#include "dp/ce_pipeline.h"
#include "io/loop.h"

static s46_loop *loops[5]; /* BR, MAP-E CE, DS-Lite, ipip, CLAT */
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
    pool = s46_pktpool_new(S46_BATCH_MAX);
    if (!loops[0] || !loops[1] || !loops[2] || !loops[3] || !loops[4] || !pool)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!pool)
        setup();
    if (size < 1)
        return 0;
    unsigned which = data[0] % 10;
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
