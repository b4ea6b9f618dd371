/* The BR's fast paths against its general path: the same packets, mutated
 * at random (with and without repaired checksums), go through two BRs of one
 * configuration, one with the fast paths off; every packet must leave both
 * with the same verdict, reason, port, length and bytes, and the counters
 * must agree at the end. */
#include "t.h"

#include "dp/br_mape.h"
#include "lib/csum.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint32_t next(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}
static uint32_t below(uint32_t n) { return n ? next() % n : 0; }

static void set_csum4(uint8_t *ip)
{
    s46_put16(ip + 10, 0);
    s46_put16(ip + 10, s46_csum_fold(s46_csum_add(0, ip, 20)));
}

/* An option-less IPv4 packet of len bytes (>= 28). */
static void build_v4(uint8_t *b, uint32_t len, uint8_t proto, uint32_t src, uint32_t dst,
                     uint16_t sport, uint16_t dport)
{
    memset(b, 0, len);
    b[0] = 0x45;
    s46_put16(b + 2, (uint16_t)len);
    b[8] = (uint8_t)(below(8) ? 64 : below(3));
    b[9] = proto;
    s46_put32(b + 12, src);
    s46_put32(b + 16, dst);
    s46_put16(b + 20, sport);
    s46_put16(b + 22, dport);
    if (proto == 1)
        b[20] = (uint8_t)(below(2) ? 8 : 3);
    for (uint32_t i = 28; i < len; i++)
        b[i] = (uint8_t)next();
    set_csum4(b);
}

typedef struct env {
    s46_maprule rules[3];
    s46_ruleset *rs;
    s46_br *br[2];
    s46_iid_layout layout;
    s46_ip6 br6;
    uint32_t br4;
} env;

static int env_init(env *e, int variant)
{
    memset(e, 0, sizeof *e);
    s46_maprule *r = e->rules;
    s46_pfx6_parse("2001:db8::/32", &r[0].ipv6, NULL, 0);
    s46_pfx4_parse("100.64.0.0/10", &r[0].ipv4, NULL, 0);
    r[0].ea_len = 30;
    r[0].psid_offset = 6;
    s46_pfx6_parse("2001:db8:100::/40", &r[1].ipv6, NULL, 0);
    s46_pfx4_parse("192.0.2.0/24", &r[1].ipv4, NULL, 0);
    r[1].ea_len = 16;
    r[1].psid_offset = (uint8_t)(variant & 1 ? 0 : 4);
    size_t n = 2;
    if (variant & 2) { /* explicit-PSID rules sharing one IPv4 address */
        s46_pfx6_parse("2001:db8:200:1::/64", &r[1].ipv6, NULL, 0);
        s46_pfx4_parse("198.51.100.7/32", &r[1].ipv4, NULL, 0);
        r[1].ea_len = 0;
        r[1].psid_offset = 6;
        r[1].explicit_psid = true;
        r[1].psid_len = 4;
        r[1].psid = 3;
        r[2] = r[1];
        s46_pfx6_parse("2001:db8:200:2::/64", &r[2].ipv6, NULL, 0);
        r[2].psid = 9;
        n = 3;
    }
    e->rs = s46_ruleset_new(r, n, NULL, 0);
    if (!e->rs)
        return -1;
    e->layout = variant & 4 ? S46_IID_DRAFT03 : S46_IID_RFC7597;
    s46_ip6_parse("2001:db8:ffff::1", &e->br6);
    s46_br_conf c;
    s46_br_conf_default(&c);
    c.rules = e->rs;
    c.br6 = e->br6;
    c.layout = e->layout;
    /* the BR's IPv4 address inside a rule's prefix, outside, or none */
    c.br4 = e->br4 = variant & 8 ? 0x64400001 : variant & 2 ? 0 : 0xc6336401;
    c.ipv6_mtu = variant & 16 ? 1280 : 1500;
    c.encap_limit = variant & 32 ? 4 : -1;
    c.ttl_decrement = !(variant & 64);
    c.hairpin = !(variant & 128);
    c.icmp_rate = 0;
    for (int i = 0; i < 2; i++) {
        e->br[i] = s46_br_new(&c);
        if (!e->br[i])
            return -1;
    }
    s46_br_set_fast_paths(e->br[1], false);
    return 0;
}

static void env_free(env *e)
{
    s46_br_free(e->br[0]);
    s46_br_free(e->br[1]);
    s46_ruleset_free(e->rs);
}

/* An IPv4 address and port of some CE of the rules (or not, at times). */
static void some_ce(env *e, uint32_t *v4, uint16_t *port, s46_ip6 *map)
{
    const s46_maprule *r = &e->rules[below(3)];
    if (r->ipv4.len == 0)
        r = &e->rules[0];
    *v4 = r->ipv4.addr | (next() & ~s46_mask4(r->ipv4.len));
    *port = (uint16_t)next();
    if (r->explicit_psid && below(4))
        *port = (uint16_t)((1 + below(3)) << 10 | r->psid << 6 | below(64));
    s46_ce_params p;
    if (s46_maprule_reverse(r, *v4, *port, e->layout, &p, NULL, 0) == 0)
        *map = p.map_addr;
    else
        memset(map->b, (int)below(256), 16);
}

static uint32_t outside_v4(void)
{
    static const uint32_t a[] = {0x01020304, 0x08080808, 0xc0000201, 0x64400001, 0xc6336401};
    return below(4) ? 0x0a000000 | (next() & 0xffffff) : a[below(5)];
}

/* One random input packet into buf: its length (an IPv4 packet for the
 * IPv4 side, else IPv6). */
static uint32_t make_packet(env *e, int v6, uint8_t *buf)
{
    uint32_t v4, len4;
    uint16_t port;
    s46_ip6 map;
    static const uint32_t sizes[] = {28, 40, 64, 550, 1232, 1400, 1460, 1500};
    len4 = sizes[below(8)] + (below(4) ? 0 : below(40));
    uint8_t proto = below(8) ? (below(2) ? 17 : 6) : (below(2) ? 1 : (uint8_t)next());
    some_ce(e, &v4, &port, &map);
    uint8_t *ip = v6 ? buf + 40 : buf;
    if (v6)
        build_v4(ip, len4, proto, v4, below(6) ? outside_v4() : v4 ^ below(256), port,
                 (uint16_t)next());
    else
        build_v4(ip, len4, proto, outside_v4(), below(16) ? v4 : e->br4, (uint16_t)next(),
                 port);
    uint32_t len = len4;
    if (v6) {
        memset(buf, 0, 40);
        buf[0] = 0x60;
        s46_put16(buf + 4, (uint16_t)len4);
        buf[6] = 4;
        buf[7] = 64;
        memcpy(buf + 8, map.b, 16);
        memcpy(buf + 24, e->br6.b, 16);
        len += 40;
    }
    /* mutations: a few header bytes, the lengths, fragment bits, TTL */
    unsigned m = below(4);
    for (unsigned i = 0; i < m; i++) {
        unsigned at = below(v6 ? 64 : 28);
        buf[at] ^= (uint8_t)(1u << below(8));
    }
    if (!below(8))
        s46_put16(ip + 6, (uint16_t)(below(2) ? 0x2000 : next()));
    if (!below(8))
        ip[8] = (uint8_t)below(3);
    if (!below(16))
        len = below(len + 1);
    else if (!below(16))
        len += below(8); /* trailing bytes */
    if (below(4))
        set_csum4(ip); /* most packets get past the checksum */
    return len;
}

static int same_pkt(const s46_pkt *a, const s46_pkt *b)
{
    if (a->verdict != b->verdict || a->reason != b->reason)
        return 0;
    if (a->verdict != S46_V_FORWARD)
        return 1;
    return a->out_port == b->out_port && a->len == b->len &&
           memcmp(a->data, b->data, a->len) == 0;
}

TEST(br_fast_paths_match_general_path)
{
    s46_pktpool *pool = s46_pktpool_new(2 * S46_BATCH_MAX);
    CHECK(pool);
    static uint8_t buf[S46_BATCH_IN][2048];
    static uint32_t lens[S46_BATCH_IN];
    uint64_t fast_forwarded = 0;
    for (int variant = 0; variant < 256; variant++) {
        env e;
        CHECK(env_init(&e, variant) == 0);
        for (int round = 0; round < 60; round++) {
            int v6 = round & 1;
            uint32_t n = 1 + below(S46_BATCH_IN);
            for (uint32_t i = 0; i < n; i++)
                lens[i] = make_packet(&e, v6, buf[i]);
            s46_batch b[2];
            for (int k = 0; k < 2; k++) {
                b[k].count = 0;
                for (uint32_t i = 0; i < n; i++) {
                    s46_pkt *p = s46_pkt_alloc(pool);
                    memcpy(p->data, buf[i], lens[i]);
                    p->len = lens[i];
                    b[k].pkts[b[k].count++] = p;
                }
                s46_br_process(e.br[k], &b[k], v6 ? S46_BR_PORT_V6 : S46_BR_PORT_V4,
                               1000000000ull * (uint64_t)round);
            }
            CHECK_INT(b[0].count, b[1].count);
            for (uint32_t i = 0; i < b[0].count; i++) {
                if (!same_pkt(b[0].pkts[i], b[1].pkts[i])) {
                    printf("variant %d round %d packet %u (len %u): verdict %u/%u reason "
                           "%u/%u len %u/%u\n", variant, round, i, i < n ? lens[i] : 0,
                           b[0].pkts[i]->verdict, b[1].pkts[i]->verdict,
                           b[0].pkts[i]->reason, b[1].pkts[i]->reason, b[0].pkts[i]->len,
                           b[1].pkts[i]->len);
                    if (i < n)
                        for (uint32_t j = 0; j < 48 && j < lens[i]; j++)
                            printf("%02x%s", buf[i][j], j % 16 == 15 ? "\n" : " ");
                    printf("\n");
                    CHECK(0);
                }
                fast_forwarded += b[0].pkts[i]->verdict == S46_V_FORWARD;
            }
            for (int k = 0; k < 2; k++)
                for (uint32_t i = 0; i < b[k].count; i++)
                    s46_pkt_release(pool, b[k].pkts[i]);
        }
        const s46_counters *c0 = s46_br_counters(e.br[0]), *c1 = s46_br_counters(e.br[1]);
        for (unsigned i = 0; i < c0->count; i++) {
            if (c0->v[i] != c1->v[i]) {
                printf("variant %d: counter %s %" PRIu64 " != %" PRIu64 "\n", variant,
                       c0->names[i], c0->v[i], c1->v[i]);
                CHECK(0);
            }
        }
        env_free(&e);
    }
    CHECK(fast_forwarded > 10000); /* the packets were not all dropped */
    s46_pktpool_free(pool);
}

T_MAIN(T_CASE(br_fast_paths_match_general_path))
