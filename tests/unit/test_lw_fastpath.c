/* The lwAFTR's fast paths against its stages: the same packets, mutated at
 * random (with and without repaired checksums), go through two lwAFTRs of
 * one configuration and one binding table, one with the fast paths off;
 * every packet must leave both with the same verdict, reason, port, length
 * and bytes, and the counters must agree at the end. Bindings: 64 PSIDs of
 * length 6 (offset 0) on 192.0.2.0-3, a whole address 192.0.2.10, two
 * lwAFTR addresses; packets to and from bound and unbound addresses and
 * ports, the lwAFTR's own address, hairpinned destinations, other B4s. */
#include "t.h"

#include "dp/lwaftr.h"
#include "lib/bindtab.h"
#include "lib/csum.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
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

#define NADDR 4
static s46_ip6 aftr6[2];
static const uint32_t LW4 = 0xc6336402; /* 198.51.100.2 */

/* The B4 of binding (address a of NADDR, PSID psid), or of 192.0.2.10. */
static void b4_of(unsigned a, unsigned psid, s46_ip6 *b4)
{
    memset(b4->b, 0, 16);
    b4->b[0] = 0x20, b4->b[1] = 0x01, b4->b[2] = 0x0d, b4->b[3] = 0xb8;
    b4->b[13] = (uint8_t)a, b4->b[14] = (uint8_t)psid, b4->b[15] = 1;
}

typedef struct env {
    s46_bindtab *bt;
    s46_lw *lw[2];
} env;

static int env_init(env *e, int variant)
{
    memset(e, 0, sizeof *e);
    s46_ip6_parse("2001:db8:ffff::1", &aftr6[0]);
    s46_ip6_parse("2001:db8:ffff::2", &aftr6[1]);
    e->bt = s46_bindtab_new();
    if (!e->bt)
        return -1;
    s46_bind v[NADDR * 64 + 1];
    size_t n = 0;
    for (unsigned a = 0; a < NADDR; a++)
        for (unsigned psid = 0; psid < 64; psid++) {
            if (psid % 7 == 3)
                continue; /* some PSIDs unbound */
            s46_bind *b = &v[n++];
            memset(b, 0, sizeof *b);
            b4_of(a, psid, &b->b4);
            b->ipv4 = 0xc0000200 + a;
            b->psid = (uint16_t)psid;
            b->psid_len = 6;
            b->aftr = (uint8_t)(psid & 1);
        }
    memset(&v[n], 0, sizeof v[n]);
    b4_of(10, 0, &v[n].b4);
    v[n].ipv4 = 0xc000020a;
    n++;
    if (s46_bindtab_load(e->bt, v, n, 2, NULL, 0) < 0)
        return -1;
    s46_lw_conf c;
    s46_lw_conf_default(&c);
    c.aftr[0] = aftr6[0];
    c.aftr[1] = aftr6[1];
    c.naftr = 2;
    c.bt = e->bt;
    c.ipv4 = variant & 1 ? LW4 : 0;
    c.ipv6_mtu = variant & 2 ? 1280 : 1500;
    c.encap_limit = variant & 4 ? 4 : -1;
    c.ttl_decrement = !(variant & 8);
    c.hairpin = !(variant & 16);
    c.icmpv6_policy = variant & 32;
    c.icmp_rate = 0;
    for (int i = 0; i < 2; i++) {
        e->lw[i] = s46_lw_new(&c, (unsigned)i);
        if (!e->lw[i])
            return -1;
    }
    s46_lw_set_fast_paths(e->lw[1], false);
    return 0;
}

static void env_free(env *e)
{
    s46_lw_free(e->lw[0]);
    s46_lw_free(e->lw[1]);
    s46_bindtab_free(e->bt);
}

/* A bound (mostly) or unbound IPv4 address and port, and the B4 bound to it. */
static void some_binding(uint32_t *v4, uint16_t *port, s46_ip6 *b4, unsigned *aftr)
{
    unsigned a = below(NADDR + 1), psid = below(64);
    *port = (uint16_t)(psid << 10 | below(1024));
    if (a == NADDR) {
        *v4 = below(2) ? 0xc000020a : 0xc0000250; /* the whole address, or none */
        b4_of(10, 0, b4);
        *aftr = 0;
        *port = (uint16_t)next();
        return;
    }
    *v4 = 0xc0000200 + a;
    b4_of(a, psid, b4);
    *aftr = psid & 1;
    if (!below(8))
        b4->b[15] ^= 2; /* another B4 */
    if (!below(8))
        *aftr ^= 1; /* the other lwAFTR address */
}

static uint32_t outside_v4(void)
{
    static const uint32_t a[] = {0x01020304, 0x08080808, 0xc0000201, 0xc000020a, LW4};
    return below(4) ? 0x0a000000 | (next() & 0xffffff) : a[below(5)];
}

static uint32_t make_packet(int v6, uint8_t *buf)
{
    uint32_t v4, len4;
    uint16_t port;
    s46_ip6 b4;
    unsigned aftr;
    static const uint32_t sizes[] = {28, 40, 64, 550, 1232, 1400, 1460, 1500};
    len4 = sizes[below(8)] + (below(4) ? 0 : below(40));
    uint8_t proto = below(8) ? (below(2) ? 17 : 6) : (below(2) ? 1 : (uint8_t)next());
    some_binding(&v4, &port, &b4, &aftr);
    uint8_t *ip = v6 ? buf + 40 : buf;
    if (v6)
        build_v4(ip, len4, proto, v4, outside_v4(), port, (uint16_t)next());
    else
        build_v4(ip, len4, proto, outside_v4(), below(16) ? v4 : LW4, (uint16_t)next(), port);
    uint32_t len = len4;
    if (v6) {
        memset(buf, 0, 40);
        buf[0] = 0x60;
        s46_put16(buf + 4, (uint16_t)len4);
        buf[6] = 4;
        buf[7] = 64;
        memcpy(buf + 8, b4.b, 16);
        memcpy(buf + 24, aftr6[aftr].b, 16);
        len += 40;
    }
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
        len += below(8);
    if (below(4))
        set_csum4(ip);
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

TEST(lw_fast_paths_match_stages)
{
    s46_pktpool *pool = s46_pktpool_new(4 * S46_BATCH_MAX);
    CHECK(pool);
    static uint8_t buf[S46_BATCH_IN][2048];
    static uint32_t lens[S46_BATCH_IN];
    uint64_t forwarded[2] = {0, 0};
    for (int variant = 0; variant < 64; variant++) {
        env e;
        CHECK(env_init(&e, variant) == 0);
        for (int round = 0; round < 200; round++) {
            int v6 = round & 1;
            uint32_t n = 1 + below(S46_BATCH_IN);
            for (uint32_t i = 0; i < n; i++)
                lens[i] = make_packet(v6, buf[i]);
            s46_batch b[2];
            for (int k = 0; k < 2; k++) {
                b[k].count = 0;
                for (uint32_t i = 0; i < n; i++) {
                    s46_pkt *p = s46_pkt_alloc(pool);
                    memcpy(p->data, buf[i], lens[i]);
                    p->len = lens[i];
                    b[k].pkts[b[k].count++] = p;
                }
                s46_lw_process(e.lw[k], &b[k], (uint16_t)v6, 1000000000ull * (uint64_t)round);
            }
            CHECK_INT(b[0].count, b[1].count);
            for (uint32_t i = 0; i < b[0].count && i < b[1].count; i++) {
                if (!same_pkt(b[0].pkts[i], b[1].pkts[i])) {
                    printf("variant %d round %d packet %u (len %u): verdict %u/%u reason "
                           "%u/%u len %u/%u\n", variant, round, i, i < n ? lens[i] : 0,
                           b[0].pkts[i]->verdict, b[1].pkts[i]->verdict,
                           b[0].pkts[i]->reason, b[1].pkts[i]->reason, b[0].pkts[i]->len,
                           b[1].pkts[i]->len);
                    if (i < n)
                        for (uint32_t j = 0; j < 64 && j < lens[i]; j++)
                            printf("%02x%s", buf[i][j], j % 16 == 15 ? "\n" : " ");
                    printf("\n");
                    CHECK(0);
                }
                if (b[0].pkts[i]->verdict == S46_V_FORWARD)
                    forwarded[v6]++;
            }
            for (int k = 0; k < 2; k++)
                for (uint32_t i = 0; i < b[k].count; i++)
                    s46_pkt_release(pool, b[k].pkts[i]);
        }
        const s46_counters *c0 = s46_lw_counters(e.lw[0]), *c1 = s46_lw_counters(e.lw[1]);
        for (unsigned i = 0; i < c0->count; i++) {
            if (c0->v[i] != c1->v[i]) {
                printf("variant %d: counter %s %" PRIu64 " != %" PRIu64 "\n", variant,
                       c0->names[i], c0->v[i], c1->v[i]);
                CHECK(0);
            }
        }
        env_free(&e);
    }
    /* both ways, many packets were forwarded (the fast paths had work) */
    CHECK(forwarded[0] > 20000 && forwarded[1] > 20000);
    printf("forwarded IPv4->IPv6 %" PRIu64 ", IPv6->IPv4 %" PRIu64 "\n", forwarded[0],
           forwarded[1]);
    s46_pktpool_free(pool);
}

T_MAIN(T_CASE(lw_fast_paths_match_stages))
