/* The MAP-T BR's fast paths against its general path (as test_br_fastpath
 * for MAP-E): random packets both ways, some mutated, through two BRs of
 * one configuration, one with the fast paths off; every packet must leave
 * both with the same verdict, reason, port, length and bytes (see same_pkt
 * for the IPv4 identification), and the counters must agree. */
#include "batch_copy.h"
#include "t.h"

#include "dp/br_mapt.h"
#include "lib/csum.h"
#include "lib/maprule.h"
#include "lib/rfc6052.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t next(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}
static uint32_t below(uint32_t n) { return n ? next() % n : 0; }

static s46_maprule rule;
static s46_rule_shape shape;
static s46_pfx6 dmr;

static uint16_t l4sum(const uint8_t *ip6_or_4, int v6, uint32_t l4len, uint8_t proto,
                      const uint8_t *l4)
{
    uint32_t s = v6 ? s46_csum_pseudo6(ip6_or_4 + 8, ip6_or_4 + 24, proto, l4len)
                    : s46_csum_pseudo4(ip6_or_4 + 12, ip6_or_4 + 16, proto, l4len);
    return s46_csum_fold(s46_csum_add(s, l4, l4len));
}

/* A random IPv4 address: in the rule's prefix (most), anywhere else. */
static uint32_t some4(void)
{
    return below(4) ? 0xc0000200u | below(256) : next();
}

static uint32_t make4(uint8_t *b)
{
    uint32_t len = 28 + below(below(4) ? 200 : 1600);
    uint8_t proto = below(8) ? (below(2) ? 17 : 6) : (below(2) ? 1 : 47);
    if (proto == 6 && len < 40)
        len = 40;
    memset(b, 0, len);
    b[0] = 0x45;
    b[1] = (uint8_t)below(3) << 3;
    s46_put16(b + 2, (uint16_t)len);
    s46_put16(b + 4, (uint16_t)next());
    b[6] = below(2) ? 0x40 : 0;
    if (!below(16))
        b[6] |= 0x20; /* MF: a fragment */
    b[8] = (uint8_t)(below(8) ? 64 : below(3));
    b[9] = proto;
    s46_put32(b + 12, next());
    s46_put32(b + 16, some4());
    for (uint32_t i = 20; i < len; i++)
        b[i] = (uint8_t)next();
    if (proto == 1)
        b[20] = below(2) ? 8 : 0;
    if (proto == 17 || proto == 6) {
        uint8_t *ck = b + 20 + (proto == 6 ? 16 : 6);
        if (proto == 17)
            s46_put16(b + 24, (uint16_t)(len - 20));
        s46_put16(ck, 0);
        if (below(8))
            s46_put16(ck, l4sum(b, 0, len - 20, proto, b + 20));
    }
    if (!below(8))
        b[below(len)] ^= (uint8_t)(1 + below(255));
    s46_put16(b + 10, 0);
    if (below(16))
        s46_put16(b + 10, s46_csum_fold(s46_csum_add(0, b, 20)));
    return len;
}

static uint32_t make6(uint8_t *b)
{
    uint32_t plen = 8 + below(below(4) ? 200 : 1600);
    uint8_t nh = below(8) ? (below(2) ? 17 : 6) : (below(2) ? 58 : 47);
    if (nh == 6 && plen < 20)
        plen = 20;
    uint32_t len = 40 + plen;
    memset(b, 0, len);
    b[0] = 0x60 | (uint8_t)below(2);
    b[1] = (uint8_t)(below(4) << 4);
    s46_put16(b + 4, (uint16_t)plen);
    b[6] = nh;
    b[7] = (uint8_t)(below(8) ? 64 : below(3));
    /* from a CE (by a random address and port of the rule) or anywhere */
    uint32_t a = 0xc0000200u | below(256);
    uint16_t port = (uint16_t)next();
    s46_ip6 src, dst;
    if (below(8) && s46_map_ce_addr(&rule, &shape, a, port, S46_IID_RFC7597, &src)) {
    } else {
        for (int i = 0; i < 16; i++)
            src.b[i] = (uint8_t)next();
        port = (uint16_t)next();
    }
    if (below(8))
        s46_rfc6052_embed(&dmr, some4(), &dst);
    else
        for (int i = 0; i < 16; i++)
            dst.b[i] = (uint8_t)next();
    memcpy(b + 8, src.b, 16);
    memcpy(b + 24, dst.b, 16);
    for (uint32_t i = 40; i < len; i++)
        b[i] = (uint8_t)next();
    s46_put16(b + 40, below(8) ? port : (uint16_t)next());
    if (nh == 17 || nh == 6) {
        uint8_t *ck = b + 40 + (nh == 6 ? 16 : 6);
        if (nh == 17)
            s46_put16(b + 44, (uint16_t)plen);
        s46_put16(ck, 0);
        if (below(8))
            s46_put16(ck, l4sum(b, 1, plen, nh, b + 40));
    }
    if (!below(8))
        b[below(len)] ^= (uint8_t)(1 + below(255));
    return len;
}

/* The same verdict, reason, port, length and bytes; but for the IPv4
 * identification of translated packets (and so the header checksum, which
 * must be right in both): a counter value the fast path takes in arrival
 * order ahead of the packets it leaves to the stages of the same batch. */
static int same_pkt(const s46_pkt *a, const s46_pkt *b)
{
    if (a->verdict != b->verdict || a->reason != b->reason)
        return 0;
    if (a->verdict != S46_V_FORWARD)
        return 1;
    if (a->out_port != b->out_port || a->len != b->len)
        return 0;
    if (a->out_port == 0 && a->len >= 20 && a->data[0] == 0x45 && b->data[0] == 0x45) {
        if (!s46_csum_ok20(a->data) || !s46_csum_ok20(b->data) ||
            memcmp(a->data, b->data, 4) != 0 || memcmp(a->data + 6, b->data + 6, 4) != 0)
            return 0;
        /* an ICMPv4 error quoting a translated packet: the quote's id (and
         * so its header's and the error's checksums) is a counter value too */
        if (a->len >= 48 && a->data[9] == 1 && (a->data[20] == 3 || a->data[20] == 11)) {
            static uint8_t x[2][2048];
            memcpy(x[0], a->data, a->len);
            memcpy(x[1], b->data, b->len);
            for (int k = 0; k < 2; k++)
                x[k][22] = x[k][23] = x[k][32] = x[k][33] = x[k][38] = x[k][39] = 0;
            return memcmp(x[0] + 12, x[1] + 12, a->len - 12) == 0;
        }
        return memcmp(a->data + 12, b->data + 12, a->len - 12) == 0;
    }
    return memcmp(a->data, b->data, a->len) == 0;
}

TEST(mapt_fast_paths_match_general_path)
{
    memset(&rule, 0, sizeof rule);
    s46_pfx6_parse("2001:db8::/40", &rule.ipv6, NULL, 0);
    s46_pfx4_parse("192.0.2.0/24", &rule.ipv4, NULL, 0);
    rule.ea_len = 16;
    rule.psid_offset = 6;
    s46_maprule_shape(&rule, &shape);
    /* every RFC 6052 length: the IPv4 bytes contiguous (/32, /64 from an
     * odd byte, /96) or around the u octet (/40, /48, /56) */
    static const char *const dmrs[] = {"2001:db8:ffff::/64", "2001:db9::/32",
                                       "2001:db9:ff00::/40", "2001:db9:ffff::/48",
                                       "2001:db9:ffff:ff00::/56", "64:ff9b::/96"};
    s46_pktpool *pool = s46_pktpool_new(2 * S46_BATCH_MAX);
    CHECK(pool);
    static uint8_t buf[S46_BATCH_IN][2048];
    static uint32_t lens[S46_BATCH_IN];
    uint64_t forwarded = 0;
    for (int variant = 0; variant < 8; variant++) {
        CHECK(s46_pfx6_parse(dmrs[variant % 6], &dmr, NULL, 0) == 0);
        s46_brt_conf c;
        s46_brt_conf_default(&c);
        c.rules = s46_ruleset_new(&rule, 1, NULL, 0);
        c.dmr = dmr;
        c.br4 = variant & 1 ? 0xc6336401u : 0;
        c.ttl_decrement = !(variant & 2);
        c.hairpin = !(variant & 4);
        s46_rfc6052_embed(&dmr, 0xc6336401u, &c.br6);
        s46_brt *br[2];
        for (int k = 0; k < 2; k++) {
            br[k] = s46_brt_new(&c, NULL, 0);
            CHECK(br[k]);
        }
        s46_brt_set_fast_paths(br[1], false);
        for (int round = 0; round < 400; round++) {
            int v6 = round & 1;
            uint32_t n = 1 + below(S46_BATCH_IN);
            for (uint32_t i = 0; i < n; i++)
                lens[i] = v6 ? make6(buf[i]) : make4(buf[i]);
            s46_batch b[2];
            for (int k = 0; k < 2; k++) {
                t_batch_copy(&b[k], pool, buf, lens, n);
                s46_brt_process(br[k], &b[k], (uint16_t)v6, 1000000000ull * (uint64_t)round);
            }
            CHECK_INT(b[0].count, b[1].count);
            for (uint32_t i = 0; i < b[0].count; i++) {
                if (!same_pkt(b[0].pkts[i], b[1].pkts[i])) {
                    printf("variant %d round %d packet %u: verdict %u/%u reason %u/%u "
                           "len %u/%u\n", variant, round, i, b[0].pkts[i]->verdict,
                           b[1].pkts[i]->verdict, b[0].pkts[i]->reason, b[1].pkts[i]->reason,
                           b[0].pkts[i]->len, b[1].pkts[i]->len);
                    for (int k = 0; k < 2; k++, printf("\n"))
                        for (uint32_t j = 0; j < b[k].pkts[i]->len && j < 48; j++)
                            printf("%02x", b[k].pkts[i]->data[j]);
                    CHECK(0);
                }
                forwarded += b[0].pkts[i]->verdict == S46_V_FORWARD;
            }
            for (int k = 0; k < 2; k++)
                for (uint32_t i = 0; i < b[k].count; i++)
                    s46_pkt_release(pool, b[k].pkts[i]);
        }
        const s46_counters *c0 = s46_brt_counters(br[0]), *c1 = s46_brt_counters(br[1]);
        for (unsigned i = 0; i < c0->count; i++)
            if (c0->v[i] != c1->v[i]) {
                printf("variant %d: counter %s %" PRIu64 " != %" PRIu64 "\n", variant,
                       c0->names[i], c0->v[i], c1->v[i]);
                CHECK(0);
            }
        CHECK(c0->v[S46_BRT_translated4] > 100 && c0->v[S46_BRT_translated6] > 100);
        for (int k = 0; k < 2; k++)
            s46_brt_free(br[k]);
        s46_ruleset_free(c.rules);
    }
    CHECK(forwarded > 5000);
    s46_pktpool_free(pool);
}

T_MAIN(T_CASE(mapt_fast_paths_match_general_path))
