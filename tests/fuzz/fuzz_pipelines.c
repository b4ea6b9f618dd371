/* libFuzzer target for the data planes: the first byte picks the pipeline
 * and side (0 BR IPv4, 1 BR IPv6, 2 CE LAN, 3 CE WAN, 4/5 DS-Lite B4 LAN/WAN,
 * 6/7 ipip CE LAN/WAN); the rest is split on the
 * 4-byte marker "S46|" into packets fed as one batch, with a clock that
 * advances so NAPT and reassembly state age. Any crash, sanitizer report or
 * leak is a finding. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp/br_mape.h"
#include "dp/ce_mape.h"
#include "dp/ce_tunnel.h"

static s46_br *br;
static s46_ce *ce;
static s46_cet *cet[2]; /* DS-Lite, ipip */
static s46_pktpool *pool;
static uint64_t now = 1000000000ull;

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
    br = s46_br_new(&bc);
    s46_ce_conf cc;
    s46_ce_conf_default(&cc);
    cc.rules = &r;
    cc.nrules = 1;
    cc.mesh = true;
    cc.layout = S46_IID_RFC7597;
    s46_pfx6_parse("2001:db8:12:3400::/56", &cc.eu_prefix, NULL, 0);
    s46_ip6_parse("2001:db8:ffff::1", &cc.br);
    cc.napt.max_mappings = 64;
    cc.napt.max_sessions = 128;
    ce = s46_ce_new(&cc, NULL, 0);
    for (int k = 0; k < 2; k++) {
        s46_cet_conf tc;
        s46_cet_conf_default(&tc);
        tc.kind = k ? S46_CET_IPIP : S46_CET_DSLITE;
        s46_ip6_parse("2001:db8:f001::2", &tc.local);
        s46_ip6_parse("2001:db8:ffff::1", &tc.remote);
        s46_pfx4_parse("203.0.113.0/29", &tc.ipv4, NULL, 0);
        tc.ipv6_mtu = 1280;
        tc.napt.max_mappings = 64;
        tc.napt.max_sessions = 128;
        cet[k] = s46_cet_new(&tc, NULL, 0);
    }
    pool = s46_pktpool_new(S46_BATCH_MAX);
    if (!br || !ce || !cet[0] || !cet[1] || !pool)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!br)
        setup();
    if (size < 1)
        return 0;
    unsigned which = data[0] & 7;
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
    if (which < 2)
        s46_br_process(br, &b, (uint16_t)which, now);
    else if (which < 4)
        s46_ce_process(ce, &b, (uint16_t)(which - 2), now);
    else
        s46_cet_process(cet[(which - 4) / 2], &b, (uint16_t)(which & 1), now);
    s46_ce_tick(ce, now);
    s46_cet_tick(cet[which >= 6], now);
    for (uint32_t i = 0; i < b.count; i++) {
        s46_pkt *p = b.pkts[i];
        if (p->verdict == S46_V_FORWARD && (p->len < 20 || p->len > S46_PKT_MAXDATA ||
                                            p->data < p->buf ||
                                            p->data + p->len > p->buf + S46_PKT_BUFSIZE))
            abort(); /* a forwarded packet must lie inside its buffer */
        s46_pkt_release(pool, p);
    }
    return 0;
}
