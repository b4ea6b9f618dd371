/* The 464XLAT CLAT (dp/clat.h) beyond what the golden pcaps check: the
 * settings it refuses, the NAPT's share among workers and the steering of
 * WAN packets to the worker owning their port (s46_steer_clat6), a
 * reconfiguration (counters kept; a new CLAT IPv4 address flushes the
 * NAPT), what `s46 show` gets. Packets are built here byte by byte. */
#include "dp/clat.h"
#include "dp/pipeline.h"
#include "lib/csum.h"
#include "lib/napt.h"
#include "t.h"

#define CLAT6 "2001:db8:12:3400::c1a7"
#define SERVER6 "64:ff9b::c633:6450"
#define LANHOST 0xc0a80102u /* 192.168.1.2 */
#define SERVER4 0xc6336450u /* 198.51.100.80 */
#define SEC 1000000000ull

static s46_pktpool *pool;

static s46_pkt *alloc(void)
{
    if (!pool)
        pool = s46_pktpool_new(64);
    s46_pkt *p = s46_pkt_alloc(pool);
    s46_pkt_reset(p);
    return p;
}

static s46_pkt *udp4(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport)
{
    s46_pkt *p = alloc();
    uint8_t *h = p->data;
    unsigned len = 40;
    memset(h, 0, len);
    h[0] = 0x45;
    s46_put16(h + 2, (uint16_t)len);
    h[8] = 64;
    h[9] = 17;
    s46_put32(h + 12, src);
    s46_put32(h + 16, dst);
    s46_put16(h + 10, s46_csum_fold(s46_csum_add(0, h, 20)));
    s46_put16(h + 20, sport);
    s46_put16(h + 22, dport);
    s46_put16(h + 24, (uint16_t)(len - 20));
    uint32_t s = s46_csum_pseudo4(h + 12, h + 16, 17, len - 20);
    s46_put16(h + 26, s46_csum_fold(s46_csum_add(s, h + 20, len - 20)));
    p->len = len;
    return p;
}

/* IPv6 from src to dst: next header nh, then the l4 bytes. */
static s46_pkt *ip6(const char *src, const char *dst, uint8_t nh, const uint8_t *l4, unsigned n)
{
    s46_pkt *p = alloc();
    uint8_t *h = p->data;
    s46_ip6 a;
    memset(h, 0, 40);
    h[0] = 0x60;
    s46_put16(h + 4, (uint16_t)n);
    h[6] = nh;
    h[7] = 60;
    s46_ip6_parse(src, &a);
    memcpy(h + 8, a.b, 16);
    s46_ip6_parse(dst, &a);
    memcpy(h + 24, a.b, 16);
    memcpy(h + 40, l4, n);
    p->len = 40 + n;
    return p;
}

static s46_pkt *udp6(const char *src, const char *dst, uint16_t sport, uint16_t dport)
{
    uint8_t l4[16] = {0};
    s46_put16(l4, sport);
    s46_put16(l4 + 2, dport);
    s46_put16(l4 + 4, sizeof l4);
    s46_pkt *p = ip6(src, dst, 17, l4, sizeof l4);
    uint32_t s = s46_csum_pseudo6(p->data + 8, p->data + 24, 17, sizeof l4);
    s46_put16(p->data + 46, s46_csum_fold(s46_csum_add(s, p->data + 40, sizeof l4)));
    return p;
}

static void conf(s46_clat_conf *c)
{
    s46_clat_conf_default(c);
    s46_pfx6_parse("64:ff9b::/96", &c->nat64, NULL, 0);
    s46_ip6_parse(CLAT6, &c->clat6);
    c->ttl_decrement = true;
}

/* One packet through the CLAT from side; its verdict and out port. */
static s46_pkt *run(s46_clat *x, s46_pkt *p, uint16_t side, uint64_t now)
{
    s46_batch b = {0};
    b.pkts[b.count++] = p;
    s46_clat_process(x, &b, side, now);
    return p;
}

static uint64_t counter(const s46_clat *x, const char *name)
{
    const s46_counters *k = s46_clat_counters(x);
    for (unsigned i = 0; i < k->count; i++)
        if (!strcmp(k->names[i], name))
            return k->v[i];
    return (uint64_t)-1;
}

TEST(refused_settings)
{
    char err[256];
    s46_clat_conf c;
    conf(&c);
    s46_clat *x = s46_clat_new(&c, err, sizeof err);
    CHECK(x != NULL);
    s46_clat_free(x);
    conf(&c);
    c.nat64.len = 80;
    CHECK(s46_clat_new(&c, err, sizeof err) == NULL);
    CHECK(strstr(err, "nat64prefix") != NULL);
    conf(&c);
    s46_ip6_parse("64:ff9b::1", &c.clat6); /* inside the prefix */
    CHECK(s46_clat_new(&c, err, sizeof err) == NULL);
    conf(&c);
    s46_ip6_parse("ff02::1", &c.clat6);
    CHECK(s46_clat_new(&c, err, sizeof err) == NULL);
    conf(&c);
    memset(&c.clat6, 0, sizeof c.clat6);
    CHECK(s46_clat_new(&c, err, sizeof err) == NULL);
    conf(&c);
    c.clat4 = 0;
    CHECK(s46_clat_new(&c, err, sizeof err) == NULL);
    conf(&c);
    c.ipv6_mtu = 1279;
    CHECK(s46_clat_new(&c, err, sizeof err) == NULL);
    conf(&c);
    c.lan_mtu = 67;
    CHECK(s46_clat_new(&c, err, sizeof err) == NULL);
}

/* The CLAT of worker 1 when the NAPT is shared out over 2 workers. */
static s46_clat *worker1_of_2(void)
{
    s46_clat_conf c;
    conf(&c);
    c.napt.share = 1;
    c.napt.shares = 2;
    return s46_clat_new(&c, NULL, 0);
}

/* Worker 1 of 2 takes ports of its own share; the reply to such a port is
 * steered to worker 1, whatever carries it (UDP, an ICMPv6 error quoting
 * our packet, an echo reply), and fragments of one datagram all to one. */
TEST(share_and_steering)
{
    s46_clat *x = worker1_of_2();
    CHECK(x != NULL);
    s46_pkt *p = run(x, udp4(LANHOST, SERVER4, 40000, 7000), 0, SEC);
    CHECK_INT(p->verdict, S46_V_FORWARD);
    CHECK_INT(p->out_port, 1);
    uint16_t port = s46_get16(p->data + 40);
    CHECK_INT(s46_napt_port_owner(port, 2), 1);
    s46_pkt *r = udp6(SERVER6, CLAT6, 7000, port);
    CHECK_INT(s46_steer_clat6(r, 2, 0), 1);
    CHECK_INT(s46_steer_clat6(r, 1, 0), 0);
    /* the same packet on the right worker goes through */
    run(x, r, 1, SEC);
    CHECK_INT(r->verdict, S46_V_FORWARD);
    CHECK_INT(r->out_port, 0);
    CHECK_INT(s46_get32(r->data + 16), LANHOST);
    CHECK_INT(s46_get16(r->data + 22), 40000);

    /* an ICMPv6 error quoting our UDP packet: by the quoted source port */
    uint8_t e[8 + 48] = {1, 4};
    e[8] = 0x60;
    s46_put16(e + 8 + 4, 8);
    e[8 + 6] = 17;
    e[8 + 7] = 63;
    s46_ip6 a;
    s46_ip6_parse(CLAT6, &a);
    memcpy(e + 8 + 8, a.b, 16);
    s46_ip6_parse(SERVER6, &a);
    memcpy(e + 8 + 24, a.b, 16);
    s46_put16(e + 48, port);
    s46_put16(e + 50, 7000);
    CHECK_INT(s46_steer_clat6(ip6(SERVER6, CLAT6, 58, e, sizeof e), 2, 0),
              s46_napt_port_owner(port, 2));
    CHECK_INT(s46_steer_clat6(ip6(SERVER6, CLAT6, 58, e, sizeof e), 2, 0), 1);
    /* an echo reply: by its identifier (a port of worker 0's share) */
    uint16_t id0 = port;
    while (s46_napt_port_owner(id0, 2) != 0)
        id0++;
    uint8_t echo[8] = {129, 0, 0, 0};
    s46_put16(echo + 4, id0);
    CHECK_INT(s46_steer_clat6(ip6(SERVER6, CLAT6, 58, echo, sizeof echo), 2, 1), 0);
    /* fragments: every fragment of a datagram to the same worker, whatever
     * its offset (the first one has the port, the others do not) */
    uint8_t f1[8 + 16] = {17, 0, 0, 1, 0, 0, 0x12, 0x34}, f2[8 + 16] = {17, 0, 0, 16, 0, 0, 0x12, 0x34};
    s46_put16(f1 + 8, 7000);
    s46_put16(f1 + 8 + 2, id0);
    unsigned o1 = s46_steer_clat6(ip6(SERVER6, CLAT6, 44, f1, sizeof f1), 2, 0);
    unsigned o2 = s46_steer_clat6(ip6(SERVER6, CLAT6, 44, f2, sizeof f2), 2, 1);
    CHECK_INT(o1, o2);
    /* nothing to go by: the worker it arrived on */
    uint8_t junk[4] = {0};
    CHECK_INT(s46_steer_clat6(ip6(SERVER6, CLAT6, 59, junk, sizeof junk), 2, 1), 1);
    s46_clat_free(x);
    s46_pktpool_free(pool);
    pool = NULL;
}

/* Bytes off..off+n of the IPv4 datagram w's payload as a fragment of it
 * (identification 0x4242; mf: more fragments). */
static s46_pkt *frag4(const s46_pkt *w, unsigned off, unsigned n, bool mf)
{
    s46_pkt *p = alloc();
    uint8_t *h = p->data;
    memcpy(h, w->data, 20);
    memcpy(h + 20, w->data + 20 + off, n);
    s46_put16(h + 2, (uint16_t)(20 + n));
    s46_put16(h + 4, 0x4242);
    s46_put16(h + 6, (uint16_t)(off / 8 | (mf ? 0x2000 : 0)));
    s46_put16(h + 10, 0);
    s46_put16(h + 10, s46_csum_fold(s46_csum_add(0, h, 20)));
    p->len = 20 + n;
    return p;
}

/* With the NAPT shared out, a LAN host's flows spread over the workers by
 * internal endpoint; the fragments of a datagram all go to one worker (by
 * datagram), which reassembles it and hands it to the worker owning its
 * endpoint (stage share4), or translates it when that is itself. */
TEST(lan_fragments_handed_to_endpoint_owner)
{
    s46_clat *x = worker1_of_2();
    CHECK(x != NULL);
    unsigned seen[2] = {0, 0};
    for (uint16_t sport = 40000; sport < 40016; sport++) {
        s46_pkt *w = udp4(LANHOST, SERVER4, sport, 7000);
        unsigned owner = s46_steer_napt_out(w->data, w->len, 2);
        CHECK_INT(s46_steer_ce(w, 0, 2, 9), owner);
        s46_pkt *f1 = frag4(w, 0, 16, true), *f2 = frag4(w, 16, 4, false);
        CHECK_INT(s46_steer_ce(f1, 0, 2, 9), s46_steer_ce(f2, 0, 2, 9));
        run(x, f1, 0, SEC);
        run(x, f2, 0, SEC + sport);
        if (owner == 1) {
            CHECK_INT(f2->verdict, S46_V_FORWARD);
            CHECK_INT(f2->out_port, 1);
        } else {
            CHECK_INT(f2->verdict, S46_V_REDIRECT);
            CHECK_INT(f2->out_port, 0);
            CHECK_INT(f2->len, w->len); /* the whole datagram, untranslated */
            CHECK(!memcmp(f2->data + 20, w->data + 20, w->len - 20));
        }
        seen[owner]++;
        s46_pkt_release(pool, w);
        s46_pkt_release(pool, f2);
    }
    CHECK(seen[0] > 0 && seen[1] > 0); /* one host's flows on both workers */
    s46_clat_free(x);
    s46_pktpool_free(pool);
    pool = NULL;
}

/* A reconfiguration keeps the counters and the mappings; a new CLAT IPv4
 * address flushes the NAPT (the old mappings were for the old address). */
TEST(reconfigure)
{
    s46_clat_conf c;
    conf(&c);
    s46_clat *x = s46_clat_new(&c, NULL, 0);
    s46_pkt *p = run(x, udp4(LANHOST, SERVER4, 40000, 7000), 0, SEC);
    uint16_t port = s46_get16(p->data + 40);
    CHECK_INT(counter(x, "translated4"), 1);
    c.ipv6_mtu = 1400;
    CHECK_INT(s46_clat_reconfigure(x, &c, NULL, 0), 0);
    CHECK_INT(counter(x, "translated4"), 1);
    p = run(x, udp6(SERVER6, CLAT6, 7000, port), 1, SEC);
    CHECK_INT(p->verdict, S46_V_FORWARD);
    c.clat4 = 0xc0000002u;
    CHECK_INT(s46_clat_reconfigure(x, &c, NULL, 0), 0);
    p = run(x, udp6(SERVER6, CLAT6, 7000, port), 1, SEC);
    CHECK_INT(p->verdict, S46_V_DROP);
    CHECK_INT(counter(x, "drop_napt_no_mapping"), 1);
    c.nat64.len = 33;
    CHECK_INT(s46_clat_reconfigure(x, &c, NULL, 0), -1);
    /* the running one kept */
    p = run(x, udp4(LANHOST, SERVER4, 40001, 7000), 0, SEC);
    CHECK_INT(p->verdict, S46_V_FORWARD);
    uint8_t want[16];
    s46_ip6 a;
    s46_ip6_parse(SERVER6, &a);
    memcpy(want, a.b, 16);
    CHECK(memcmp(p->data + 24, want, 16) == 0);
    json_t *j = s46_clat_show(x, SEC, 16);
    CHECK(j != NULL);
    CHECK_STR(json_string_value(json_object_get(j, "mechanism")), "464xlat");
    CHECK_STR(json_string_value(json_object_get(j, "nat64prefix")), "64:ff9b::/96");
    CHECK_STR(json_string_value(json_object_get(j, "clat_ipv4")), "192.0.0.2");
    CHECK_STR(json_string_value(json_object_get(j, "clat_ipv6")), CLAT6);
    CHECK_INT(json_array_size(json_object_get(j, "mappings")), 1);
    json_decref(j);
    s46_clat_free(x);
    s46_pktpool_free(pool);
    pool = NULL;
}

T_MAIN(T_CASE(refused_settings), T_CASE(share_and_steering),
       T_CASE(lan_fragments_handed_to_endpoint_owner), T_CASE(reconfigure))
