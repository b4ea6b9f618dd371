/* The fast paths for established flows (dp/cgn_fast.h) of the DS-Lite
 * AFTR and of the NAT64 against their stages: two instances of one
 * configuration, one with the fast paths off, get the same random traffic (flows of six B4s, two behind the
 * same private address, to a few remote endpoints, TCP with random flags,
 * UDP, ICMP echo; replies to the external endpoints the AFTR handed out),
 * mutated at random (TTL, DF, fragments, options, bad checksums, sizes
 * beyond the MTUs, trailing bytes, other destinations: the pool, the
 * AFTR's own address, another IPv6 address), with time jumping past the
 * timers. Every packet must leave both with the same verdict, reason, port,
 * length and bytes; the counters (the AFTR's and the CGN's) must agree, and
 * both CGNs' indexes and entries (s46_cgn_check). Several configurations:
 * MTUs, encapsulation limit, TTL decrement, filtering, hairpinning. The
 * NAT64's hosts send TCP, UDP and echo requests to 64:ff9b::/96; its IPv4
 * identification is a counter the fast path takes ahead of the packets it
 * leaves to the stages of the same batch: not compared (see same_pkt). */
#include "batch_copy.h"
#include "t.h"

#include <jansson.h>

#include "dp/aftr.h"
#include "dp/nat64.h"
#include "lib/cgn.h"
#include "lib/csum.h"
#include "lib/rfc6052.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint32_t next(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}
static uint32_t below(uint32_t n) { return n ? next() % n : 0; }

#define NB4 6
#define AFTR4 0xc6336402u  /* 198.51.100.2 */
#define POOL0 0xc0000280u  /* 192.0.2.128/30 */
static const char *const AFTR6 = "2001:db8:ffff::1";

static void b4_of(unsigned i, uint8_t *b)
{
    memset(b, 0, 16);
    b[0] = 0x20, b[1] = 0x01, b[2] = 0x0d, b[3] = 0xb8, b[7] = (uint8_t)i, b[15] = 0xb4;
}

static void set_csum4(uint8_t *ip)
{
    unsigned ihl = (ip[0] & 15u) * 4;
    s46_put16(ip + 10, 0);
    s46_put16(ip + 10, s46_csum_fold(s46_csum_add(0, ip, ihl)));
}

/* An IPv4 packet of len bytes (at least 20 + ihl extra + its transport
 * header): TCP with flags, UDP, or ICMP of type `type` (id at 4); the
 * transport checksum right. */
static uint32_t build4(uint8_t *b, uint32_t len, uint8_t proto, uint32_t src, uint32_t dst,
                       uint16_t sport, uint16_t dport, uint8_t flags_or_type, bool opt)
{
    unsigned ihl = opt ? 24 : 20, th = proto == 6 ? 20 : 8;
    if (len < ihl + th)
        len = ihl + th;
    memset(b, 0, len);
    b[0] = (uint8_t)(0x40 | ihl / 4);
    s46_put16(b + 2, (uint16_t)len);
    s46_put16(b + 4, (uint16_t)next());
    if (below(2))
        s46_put16(b + 6, 0x4000);
    b[8] = 64;
    b[9] = proto;
    s46_put32(b + 12, src);
    s46_put32(b + 16, dst);
    if (opt)
        b[20] = 1, b[21] = 1, b[22] = 1, b[23] = 0; /* NOPs, end */
    uint8_t *l4 = b + ihl;
    for (uint32_t i = ihl + th; i < len; i++)
        b[i] = (uint8_t)next();
    uint32_t l4len = len - ihl;
    if (proto == 1) {
        l4[0] = flags_or_type;
        s46_put16(l4 + 4, sport);
        s46_put16(l4 + 6, dport);
        s46_put16(l4 + 2, s46_csum_fold(s46_csum_add(0, l4, l4len)));
    } else {
        s46_put16(l4, sport);
        s46_put16(l4 + 2, dport);
        unsigned ck = proto == 6 ? 16 : 6;
        if (proto == 6) {
            l4[12] = 0x50;
            l4[13] = flags_or_type;
        } else {
            s46_put16(l4 + 4, (uint16_t)l4len);
        }
        uint32_t s = s46_csum_pseudo4(b + 12, b + 16, proto, l4len);
        uint16_t c = s46_csum_fold(s46_csum_add(s, l4, l4len));
        s46_put16(l4 + ck, proto == 17 && c == 0 ? 0xffff : c);
    }
    set_csum4(b);
    return len;
}

/* The header-level accidents both paths must agree on. */
static uint32_t mutate4(uint8_t *ip, uint32_t len)
{
    if (!below(16))
        ip[8] = (uint8_t)below(3);
    if (!below(24))
        s46_put16(ip + 6, (uint16_t)(below(2) ? 0x2000 : 0x4000 | below(0x2000)));
    if (!below(32))
        s46_put16(ip + 2, (uint16_t)(s46_get16(ip + 2) - below(12)));
    if (!below(32))
        set_csum4(ip); /* the mutations kept, checksum right */
    else if (!below(32))
        ip[10] ^= 0x40;
    else
        set_csum4(ip);
    if (!below(16))
        len += below(9); /* bytes beyond the total length */
    return len;
}

static const uint8_t tcp_flags[] = {0x02, 0x10, 0x18, 0x11, 0x04, 0x12, 0x10, 0x18};

typedef struct ext_ep {
    uint32_t ext, rem;
    uint16_t eport, rport;
    uint8_t proto;
} ext_ep;
static ext_ep learnt[256];
static unsigned nlearnt;

static uint32_t proto_pick(void)
{
    uint32_t r = below(20);
    return r < 10 ? 17 : r < 17 ? 6 : 1;
}

static uint32_t pick_len(void)
{
    return below(16) ? 28 + below(200) : 1200 + below(320);
}

/* A B4's packet: inner IPv4 in IPv6. */
static uint32_t make6(uint8_t *b)
{
    unsigned i = below(NB4);
    uint32_t src = i < 3 ? 0xc0a80002u : 0x0a000000u + i; /* three B4s share 192.168.0.2 */
    uint16_t sport = (uint16_t)(1000 + below(4));
    uint8_t proto = (uint8_t)proto_pick();
    uint32_t dst = 0xcb007101u + below(2);
    uint16_t dport = below(2) ? 80 : 443;
    if (!below(16) && nlearnt) { /* hairpin toward a mapping */
        const ext_ep *e = &learnt[below(nlearnt)];
        dst = e->ext, dport = e->eport, proto = e->proto;
    } else if (!below(32)) {
        dst = below(2) ? AFTR4 : POOL0 + below(4);
    }
    uint8_t ft = proto == 6 ? tcp_flags[below(sizeof tcp_flags)]
                            : (uint8_t)(below(8) ? 8 : below(2) ? 3 : 13);
    if (proto == 1)
        dport = sport; /* echo: id, sequence */
    uint8_t *v4 = b + 40;
    uint32_t len = build4(v4, pick_len(), proto, src, dst, sport, dport, ft, !below(32));
    len = mutate4(v4, len);
    memset(b, 0, 40);
    b[0] = 0x60;
    s46_put16(b + 4, (uint16_t)len);
    b[6] = 4;
    b[7] = 64;
    b4_of(i, b + 8);
    s46_ip6 a;
    s46_ip6_parse(AFTR6, &a);
    memcpy(b + 24, a.b, 16);
    if (!below(48))
        b[24 + 15] ^= 1; /* not to the AFTR */
    if (!below(48))
        b[6] = 17;
    if (!below(48))
        s46_put16(b + 4, (uint16_t)(len - below(8)));
    len += 40;
    if (!below(16))
        len += below(9);
    return len;
}

/* The NAT64's pool6 of the running variant (both instances have it). */
static s46_pfx6 n64_pool6;

/* A NAT64 host's packet: TCP, UDP or ICMPv6 to an address of pool6 (the
 * well-known /96, or a /56 whose IPv4 address straddles the u octet), the
 * checksum right, mutated at random. */
static uint32_t make6n(uint8_t *b)
{
    unsigned i = below(NB4);
    uint8_t proto = (uint8_t)proto_pick();
    uint32_t dst = 0xcb007101u + below(2);
    uint16_t sport = (uint16_t)(1000 + below(4)), dport = below(2) ? 80 : 443;
    if (!below(16) && nlearnt) { /* hairpin toward a mapping */
        const ext_ep *e = &learnt[below(nlearnt)];
        dst = e->ext, dport = e->eport, proto = e->proto;
    } else if (!below(48)) {
        dst = below(2) ? 0x00000005u : POOL0 + below(4);
    }
    uint32_t plen = pick_len() - 20;
    unsigned th = proto == 6 ? 20 : 8;
    if (plen < th)
        plen = th;
    memset(b, 0, 40 + plen);
    b[0] = 0x60;
    b[1] = (uint8_t)next();
    s46_put16(b + 4, (uint16_t)plen);
    b[6] = proto == 1 ? 58 : proto;
    b[7] = (uint8_t)(below(16) ? 64 : below(3));
    b4_of(i, b + 8);
    if (!below(48))
        memset(b + 8, 0, 16), b[23] = (uint8_t)below(2); /* :: or ::1 */
    s46_ip6 d6;
    s46_rfc6052_embed(&n64_pool6, dst, &d6);
    memcpy(b + 24, d6.b, 16);
    if (!below(48))
        b[30] = 1; /* outside pool6 */
    uint8_t *l4 = b + 40;
    for (uint32_t k = th; k < plen; k++)
        l4[k] = (uint8_t)next();
    if (proto == 1) {
        l4[0] = (uint8_t)(below(8) ? 128 : below(2) ? 129 : 1);
        s46_put16(l4 + 4, sport);
        s46_put16(l4 + 2, 0);
        s46_put16(l4 + 2, s46_csum_fold(s46_csum_add(s46_csum_pseudo6(b + 8, b + 24, 58, plen),
                                                     l4, plen)));
    } else {
        s46_put16(l4, sport);
        s46_put16(l4 + 2, dport);
        unsigned ck = proto == 6 ? 16 : 6;
        if (proto == 6)
            l4[12] = 0x50, l4[13] = tcp_flags[below(sizeof tcp_flags)];
        else
            s46_put16(l4 + 4, (uint16_t)plen);
        uint16_t c = s46_csum_fold(s46_csum_add(s46_csum_pseudo6(b + 8, b + 24, proto, plen),
                                                l4, plen));
        s46_put16(l4 + ck, proto == 17 && (c == 0 || !below(32)) ? (c ? 0 : 0xffff) : c);
    }
    uint32_t len = 40 + plen;
    if (!below(48)) { /* a Destination Options header first */
        memmove(b + 48, b + 40, plen);
        memset(b + 40, 0, 8);
        b[40] = b[6];
        b[42] = 1, b[43] = 4; /* PadN */
        b[6] = 60;
        len += 8;
        s46_put16(b + 4, (uint16_t)(plen + 8));
    }
    if (!below(48))
        s46_put16(b + 4, (uint16_t)(s46_get16(b + 4) - below(8)));
    if (!below(16))
        len += below(9);
    return len;
}

/* A packet from the IPv4 side, most to an endpoint the AFTR handed out. */
static uint32_t make4(uint8_t *b)
{
    uint32_t src = 0xcb007101u + below(2), dst = POOL0 + below(4);
    uint16_t sport = 80, dport = (uint16_t)(1024 + below(60000));
    uint8_t proto = (uint8_t)proto_pick();
    if (nlearnt && below(8)) {
        const ext_ep *e = &learnt[below(nlearnt)];
        src = below(8) ? e->rem : 0xcb007109u;
        sport = below(8) ? e->rport : (uint16_t)below(65536);
        dst = e->ext;
        dport = below(16) ? e->eport : (uint16_t)(1024 + below(60000));
        proto = e->proto;
    } else if (!below(8)) {
        dst = AFTR4;
    }
    uint8_t ft = proto == 6 ? tcp_flags[below(sizeof tcp_flags)]
                            : (uint8_t)(below(8) ? 0 : below(2) ? 8 : 3);
    if (proto == 1)
        sport = dport;
    uint32_t len = build4(b, pick_len(), proto, src, dst, sport, dport, ft, !below(32));
    if (proto == 17 && !below(16))
        s46_put16(b + (b[0] & 15) * 4 + 6, 0); /* no UDP checksum */
    return mutate4(b, len);
}

/* An IPv4 packet the AFTR sent out: its external endpoint, for replies. */
static void learn(const s46_pkt *p)
{
    const uint8_t *d = p->data;
    if (p->len < 28 || d[0] != 0x45 || (s46_get16(d + 6) & 0x3fff))
        return;
    uint8_t proto = d[9];
    if (proto != 6 && proto != 17 && !(proto == 1 && d[20] == 8))
        return;
    ext_ep e = {s46_get32(d + 12), s46_get32(d + 16), s46_get16(d + (proto == 1 ? 24 : 20)),
                proto == 1 ? 0 : s46_get16(d + 22), proto};
    learnt[nlearnt < 256 ? nlearnt++ : below(256)] = e;
}

static void cgn_conf(s46_cgn_config *c, int variant, s46_pfx4 *pfx)
{
    s46_pfx4_parse("192.0.2.128/30", pfx, NULL, 0);
    c->pool = pfx;
    c->npool = 1;
    c->filter = variant & 64 ? S46_CGN_FILTER_ADF : S46_CGN_FILTER_EIF;
    c->block_size = 64;
    c->max_sessions = c->max_mappings = 512;
    c->icmp_timeout = 60;
    c->udp_timeout = 120;
    c->tcp_trans_timeout = 240;
    c->tcp_est_timeout = 600;
}

static void *aftr_new(int variant, s46_pfx4 *pfx)
{
    s46_aftr_conf c;
    s46_aftr_conf_default(&c);
    s46_ip6_parse(AFTR6, &c.aftr6);
    c.aftr4 = variant & 1 ? AFTR4 : 0;
    c.ipv6_mtu = variant & 2 ? 1280 : 1500;
    c.ipv4_mtu = variant & 4 ? 576 : 1500;
    c.encap_limit = variant & 8 ? 4 : -1;
    c.ttl_decrement = !(variant & 16);
    c.hairpin = !(variant & 32);
    c.icmp_rate = 0;
    cgn_conf(&c.cgn, variant, pfx);
    char err[256];
    s46_aftr *a = s46_aftr_new(&c, 0, 1, err, sizeof err);
    if (!a)
        printf("aftr: %s\n", err);
    return a;
}

static void *nat64_new(int variant, s46_pfx4 *pfx)
{
    s46_nat64_conf c;
    s46_nat64_conf_default(&c);
    s46_pfx6_parse(variant & 128 ? "2001:db8:122:300::/56" : "64:ff9b::/96", &c.pool6, NULL, 0);
    n64_pool6 = c.pool6;
    c.ipv4 = variant & 1 ? AFTR4 : 0;
    c.ipv6_mtu = variant & 2 ? 1280 : 1500;
    c.ipv4_mtu = variant & 4 ? 576 : 1500;
    c.tos_zero = variant & 8;
    c.ttl_decrement = !(variant & 16);
    c.hairpin = !(variant & 32);
    c.icmp_rate = 0;
    cgn_conf(&c.cgn, variant, pfx);
    char err[256];
    s46_nat64 *n = s46_nat64_new(&c, 0, 1, err, sizeof err);
    if (!n)
        printf("nat64: %s\n", err);
    return n;
}

/* A mechanism under test. */
typedef struct mech {
    void *(*make)(int variant, s46_pfx4 *pfx);
    void (*fast)(void *m, bool on);
    void (*process)(void *m, s46_batch *b, uint16_t side, uint64_t now);
    void (*tick)(void *m, uint64_t now);
    const s46_counters *(*counters)(const void *m);
    const s46_cgn *(*cgn)(const void *m);
    void (*destroy)(void *m);
    uint32_t (*make6)(uint8_t *b);
    bool xlat; /* translated IPv4: identification not compared */
} mech;

static void af_fast(void *m, bool on) { s46_aftr_set_fast_paths(m, on); }
static void af_process(void *m, s46_batch *b, uint16_t side, uint64_t now)
{
    s46_aftr_process(m, b, side, now);
}
static void af_tick(void *m, uint64_t now) { s46_aftr_tick(m, now); }
static const s46_counters *af_counters(const void *m) { return s46_aftr_counters(m); }
static const s46_cgn *af_cgn(const void *m) { return s46_aftr_cgn(m); }
static void af_destroy(void *m) { s46_aftr_free(m); }
static const mech aftr_m = {aftr_new, af_fast, af_process, af_tick, af_counters, af_cgn,
                            af_destroy, make6, false};

static void n64_fast(void *m, bool on) { s46_nat64_set_fast_paths(m, on); }
static void n64_process(void *m, s46_batch *b, uint16_t side, uint64_t now)
{
    s46_nat64_process(m, b, side, now);
}
static void n64_tick(void *m, uint64_t now) { s46_nat64_tick(m, now); }
static const s46_counters *n64_counters(const void *m) { return s46_nat64_counters(m); }
static const s46_cgn *n64_cgn(const void *m) { return s46_nat64_cgn(m); }
static void n64_destroy(void *m) { s46_nat64_free(m); }
static const mech nat64_m = {nat64_new, n64_fast, n64_process, n64_tick, n64_counters, n64_cgn,
                             n64_destroy, make6n, true};

static int same_pkt(const s46_pkt *a, const s46_pkt *b, bool xlat)
{
    if (a->verdict != b->verdict || a->reason != b->reason)
        return 0;
    if (a->verdict != S46_V_FORWARD)
        return 1;
    if (a->out_port != b->out_port || a->len != b->len)
        return 0;
    if (xlat && a->out_port == 0 && a->len >= 20 && a->data[0] == 0x45 && b->data[0] == 0x45)
        return s46_csum_ok20(a->data) && s46_csum_ok20(b->data) &&
               memcmp(a->data, b->data, 4) == 0 && memcmp(a->data + 6, b->data + 6, 4) == 0 &&
               memcmp(a->data + 12, b->data + 12, a->len - 12) == 0;
    return memcmp(a->data, b->data, a->len) == 0;
}

static bool same_counters(const s46_counters *c0, const s46_counters *c1, const char *what)
{
    for (unsigned i = 0; i < c0->count; i++)
        if (c0->v[i] != c1->v[i]) {
            printf("%s: counter %s %" PRIu64 " != %" PRIu64 "\n", what, c0->names[i], c0->v[i],
                   c1->v[i]);
            return false;
        }
    return true;
}

static void run(const mech *m, int *t_failed_)
{
    s46_pktpool *pool = s46_pktpool_new(4 * S46_BATCH_MAX);
    CHECK(pool);
    static uint8_t buf[S46_BATCH_IN][2048];
    static uint32_t lens[S46_BATCH_IN];
    uint64_t out[2] = {0, 0};
    for (int variant = 0; variant < 256; variant += 1 + (int)below(3)) {
        s46_pfx4 pfx[2];
        void *a[2] = {m->make(variant, &pfx[0]), m->make(variant, &pfx[1])};
        CHECK(a[0] && a[1]);
        m->fast(a[1], false);
        nlearnt = 0;
        uint64_t now = 1000 * 1000000000ull;
        for (int round = 0; round < 400; round++) {
            int v6 = below(5) < 3;
            uint32_t n = 1 + below(S46_BATCH_IN);
            for (uint32_t i = 0; i < n; i++)
                lens[i] = v6 ? m->make6(buf[i]) : make4(buf[i]);
            now += below(8) ? below(1500) * 1000000ull : below(400) * 1000000000ull;
            bool tick = !below(16);
            s46_batch b[2];
            for (int k = 0; k < 2; k++) {
                t_batch_copy(&b[k], pool, buf, lens, n);
                m->process(a[k], &b[k], (uint16_t)v6, now);
                if (tick)
                    m->tick(a[k], now);
            }
            CHECK_INT(b[0].count, b[1].count);
            for (uint32_t i = 0; i < b[0].count; i++) {
                const s46_pkt *p = b[0].pkts[i], *q = b[1].pkts[i];
                if (!same_pkt(p, q, m->xlat)) {
                    printf("variant %d round %d packet %u: verdict %u/%u reason %u/%u "
                           "port %u/%u len %u/%u\n", variant, round, i, p->verdict,
                           q->verdict, p->reason, q->reason, p->out_port, q->out_port,
                           p->len, q->len);
                    CHECK(0);
                }
                if (p->verdict == S46_V_FORWARD) {
                    out[v6]++;
                    if (p->out_port == 0 && v6)
                        learn(q);
                }
            }
            for (int k = 0; k < 2; k++)
                for (uint32_t i = 0; i < b[k].count; i++)
                    s46_pkt_release(pool, b[k].pkts[i]);
            /* the state too, batch by batch */
            CHECK(same_counters(s46_cgn_counters(m->cgn(a[0])),
                                s46_cgn_counters(m->cgn(a[1])), "cgn"));
        }
        char err[256];
        for (int k = 0; k < 2; k++)
            if (!s46_cgn_check(m->cgn(a[k]), err, sizeof err)) {
                printf("variant %d, instance %d: %s\n", variant, k, err);
                CHECK(0);
            }
        CHECK(same_counters(m->counters(a[0]), m->counters(a[1]), "pipeline"));
        CHECK(same_counters(s46_cgn_counters(m->cgn(a[0])),
                            s46_cgn_counters(m->cgn(a[1])), "cgn"));
        m->destroy(a[0]);
        m->destroy(a[1]);
    }
    /* both ways, many packets left (the fast path had work) */
    printf("forwarded IPv4 side in %" PRIu64 ", IPv6 side in %" PRIu64 "\n", out[0], out[1]);
    CHECK(out[0] > 5000 && out[1] > 20000);
    s46_pktpool_free(pool);
}

TEST(aftr_fast_path_matches_stages) { run(&aftr_m, t_failed_); }
TEST(nat64_fast_paths_match_stages) { run(&nat64_m, t_failed_); }

T_MAIN(T_CASE(aftr_fast_path_matches_stages), T_CASE(nat64_fast_paths_match_stages))
