/* The CGN state (lib/cgn.h, lib/cgn_pool.h): mapping, filtering, paired
 * pooling, port blocks, limits, timers, ICMP, hairpinning, workers,
 * bounded memory. */
#include "t.h"
#include "lib/cgn.h"
#include "lib/cgn_pool.h"

#define A4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static s46_pfx4 pool1[] = {{A4(198, 51, 100, 0), 30}}; /* 4 addresses */

/* Block events seen by the callback. */
typedef struct evlog {
    s46_cgn_block_event ev[4096];
    unsigned n, allocs, releases;
    int refuse;
} evlog;

static int on_block(void *arg, const s46_cgn_block_event *e)
{
    evlog *l = arg;
    if (e->kind == S46_CGN_BLOCK_ALLOC && l->refuse)
        return -1;
    if (l->n < 4096)
        l->ev[l->n++] = *e;
    if (e->kind == S46_CGN_BLOCK_ALLOC)
        l->allocs++;
    else
        l->releases++;
    return 0;
}

static s46_cgn_key sub_key(unsigned i)
{
    s46_cgn_key k = {{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                      (uint8_t)(i >> 8), (uint8_t)i}};
    return k;
}

static s46_cgn *make(s46_cgn_config *c, evlog *l)
{
    if (l) {
        c->on_block = on_block;
        c->on_block_arg = l;
    }
    char err[160];
    s46_cgn *g = s46_cgn_new(c, err, sizeof err);
    if (!g)
        printf("# s46_cgn_new: %s\n", err);
    return g;
}

static void conf(s46_cgn_config *c)
{
    s46_cgn_config_default(c);
    c->pool = pool1;
    c->npool = 1;
    c->max_subscribers = 64;
    c->max_blocks = 256;
    c->max_mappings = 8192;
    c->max_sessions = 8192;
    c->sub_max_new_per_sec = 0;
}

static s46_cgn_flow out_flow(unsigned sub, uint8_t proto, uint16_t port, uint32_t rem,
                             uint16_t rport)
{
    s46_cgn_flow f = {.sub = sub_key(sub), .int_addr = A4(192, 0, 0, 2), .int_port = port,
                      .rem_addr = rem, .rem_port = rport, .proto = proto};
    return f;
}

static uint64_t cnt(const s46_cgn *g, enum s46_cgn_counter c)
{
    return s46_cgn_counters(g)->v[c];
}

TEST(pool_prefixes_and_exclusions)
{
    s46_pfx4 p[] = {{A4(10, 0, 0, 0), 24}, {A4(10, 0, 0, 128), 25}, {A4(10, 0, 2, 0), 31}};
    s46_pfx4 x[] = {{A4(10, 0, 0, 0), 32}, {A4(10, 0, 0, 255), 32}, {A4(10, 0, 0, 64), 26}};
    char err[160];
    s46_cgn_pool *pl = s46_cgn_pool_new(p, 3, x, 3, err, sizeof err);
    CHECK(pl != NULL);
    CHECK_INT(s46_cgn_pool_size(pl), 256 - 2 - 64 + 2);
    CHECK_INT(s46_cgn_pool_index(pl, A4(10, 0, 0, 0)), UINT32_MAX);
    CHECK_INT(s46_cgn_pool_index(pl, A4(10, 0, 0, 70)), UINT32_MAX);
    CHECK_INT(s46_cgn_pool_index(pl, A4(10, 0, 0, 1)), 0);
    CHECK_INT(s46_cgn_pool_index(pl, A4(10, 0, 0, 128)), 63);
    for (uint32_t i = 0; i < s46_cgn_pool_size(pl); i++)
        CHECK_INT(s46_cgn_pool_index(pl, s46_cgn_pool_addr(pl, i)), i);
    CHECK_INT(s46_cgn_pool_addr(pl, s46_cgn_pool_size(pl) - 1), A4(10, 0, 2, 1));
    s46_cgn_pool_free(pl);
    s46_pfx4 all[] = {{A4(10, 0, 0, 0), 30}};
    CHECK(s46_cgn_pool_new(all, 1, all, 1, err, sizeof err) == NULL);
    CHECK(strstr(err, "empty") != NULL);
    s46_pfx4 bad[] = {{A4(10, 0, 0, 1), 24}};
    CHECK(s46_cgn_pool_new(bad, 1, NULL, 0, err, sizeof err) == NULL);
}

TEST(endpoint_independent_mapping)
{
    s46_cgn_config c;
    conf(&c);
    s46_cgn *g = make(&c, NULL);
    CHECK(g);
    s46_cgn_flow a = out_flow(1, S46_CGN_UDP, 5000, A4(203, 0, 113, 1), 3478);
    s46_cgn_flow b = out_flow(1, S46_CGN_UDP, 5000, A4(203, 0, 113, 9), 3479);
    CHECK_INT(s46_cgn_outbound(g, &a, 0, 10), S46_CGN_OK);
    CHECK_INT(s46_cgn_outbound(g, &b, 0, 11), S46_CGN_OK);
    CHECK_INT(a.ext_addr, b.ext_addr);
    CHECK_INT(a.ext_port, b.ext_port);
    CHECK(s46_cgn_is_external(g, a.ext_addr));
    CHECK(a.ext_port >= 1024);
    /* the same inner endpoint of another B4 is another mapping */
    s46_cgn_flow o = out_flow(2, S46_CGN_UDP, 5000, A4(203, 0, 113, 1), 3478);
    CHECK_INT(s46_cgn_outbound(g, &o, 0, 12), S46_CGN_OK);
    CHECK(o.ext_addr != a.ext_addr || o.ext_port != a.ext_port);
    /* TCP with the same port: its own mapping */
    s46_cgn_flow t = out_flow(1, S46_CGN_TCP, 5000, A4(203, 0, 113, 1), 80);
    CHECK_INT(s46_cgn_outbound(g, &t, S46_CGN_SYN, 12), S46_CGN_OK);
    CHECK_INT(t.ext_addr, a.ext_addr); /* paired */
    s46_cgn_stats st;
    s46_cgn_stats_get(g, &st);
    CHECK_INT(st.mappings, 3);
    CHECK_INT(st.sessions, 4);
    CHECK_INT(st.subscribers, 2);
    CHECK_INT(cnt(g, S46_CGN_C_mappings_created), 3);
    s46_cgn_free(g);
}

TEST(filtering_eif_and_adf)
{
    for (int mode = 0; mode < 2; mode++) {
        s46_cgn_config c;
        conf(&c);
        c.filter = mode ? S46_CGN_FILTER_ADF : S46_CGN_FILTER_EIF;
        s46_cgn *g = make(&c, NULL);
        CHECK(g);
        s46_cgn_flow a = out_flow(1, S46_CGN_UDP, 5000, A4(203, 0, 113, 1), 3478);
        CHECK_INT(s46_cgn_outbound(g, &a, 0, 10), S46_CGN_OK);
        /* reply from the same address, other port */
        s46_cgn_flow in = {.proto = S46_CGN_UDP, .ext_addr = a.ext_addr,
                           .ext_port = a.ext_port, .rem_addr = A4(203, 0, 113, 1),
                           .rem_port = 9999};
        CHECK_INT(s46_cgn_inbound(g, &in, 0, 11), S46_CGN_OK);
        CHECK(!memcmp(in.sub.b, sub_key(1).b, 16));
        CHECK_INT(in.int_addr, A4(192, 0, 0, 2));
        CHECK_INT(in.int_port, 5000);
        /* from another address: EIF admits, ADF refuses */
        s46_cgn_flow other = in;
        other.rem_addr = A4(203, 0, 113, 77);
        s46_cgn_result r = s46_cgn_inbound(g, &other, 0, 12);
        CHECK_INT(r, mode ? S46_CGN_FILTERED : S46_CGN_OK);
        CHECK_INT(cnt(g, S46_CGN_C_in_filtered), mode ? 1 : 0);
        /* no mapping there */
        s46_cgn_flow none = in;
        none.ext_port = (uint16_t)(a.ext_port ^ 1);
        CHECK_INT(s46_cgn_inbound(g, &none, 0, 12), S46_CGN_NOT_FOUND);
        none.ext_addr = A4(198, 51, 101, 1);
        CHECK_INT(s46_cgn_inbound(g, &none, 0, 12), S46_CGN_NOT_OURS);
        none.ext_addr = a.ext_addr;
        none.ext_port = 80; /* below port_min */
        CHECK_INT(s46_cgn_inbound(g, &none, 0, 12), S46_CGN_NOT_OURS);
        s46_cgn_free(g);
    }
}

TEST(paired_pooling_and_blocks)
{
    s46_cgn_config c;
    conf(&c);
    c.block_size = 64;
    c.max_blocks_per_sub = 3;
    evlog *l = calloc(1, sizeof *l);
    s46_cgn *g = make(&c, l);
    CHECK(g);
    /* 150 mappings of one subscriber: 3 blocks of 64, all on one address */
    uint32_t ext = 0;
    for (unsigned i = 0; i < 150; i++) {
        s46_cgn_flow f = out_flow(7, S46_CGN_UDP, (uint16_t)(10000 + i), A4(203, 0, 113, 1), 53);
        CHECK_INT(s46_cgn_outbound(g, &f, 0, 10), S46_CGN_OK);
        if (i == 0)
            ext = f.ext_addr;
        CHECK_INT(f.ext_addr, ext);
        CHECK(f.new_block == (i == 0 || i == 64 || i == 128));
        /* the port is inside one of the reported blocks */
        bool inside = false;
        for (unsigned k = 0; k < l->n; k++)
            inside |= l->ev[k].ext_addr == ext && f.ext_port >= l->ev[k].port_first &&
                      f.ext_port <= l->ev[k].port_last;
        CHECK(inside);
    }
    CHECK_INT(l->allocs, 3);
    for (unsigned k = 0; k < 3; k++) {
        CHECK_INT(l->ev[k].port_last - l->ev[k].port_first, 63);
        CHECK_INT((l->ev[k].port_first - 1024) % 64, 0);
        CHECK(!memcmp(l->ev[k].sub.b, sub_key(7).b, 16));
    }
    /* 192 ports: then the subscriber's M blocks are full */
    for (unsigned i = 150; i < 192; i++) {
        s46_cgn_flow f = out_flow(7, S46_CGN_UDP, (uint16_t)(10000 + i), A4(203, 0, 113, 1), 53);
        CHECK_INT(s46_cgn_outbound(g, &f, 0, 10), S46_CGN_OK);
    }
    s46_cgn_flow f = out_flow(7, S46_CGN_UDP, 20000, A4(203, 0, 113, 1), 53);
    CHECK_INT(s46_cgn_outbound(g, &f, 0, 10), S46_CGN_NO_BLOCK);
    CHECK_INT(cnt(g, S46_CGN_C_refused_no_block), 1);
    /* TCP has its own ports in the same blocks: no new block */
    f = out_flow(7, S46_CGN_TCP, 20000, A4(203, 0, 113, 1), 80);
    CHECK_INT(s46_cgn_outbound(g, &f, S46_CGN_SYN, 10), S46_CGN_OK);
    CHECK_INT(l->allocs, 3);
    /* other subscribers spread over the pool's addresses */
    uint32_t seen[4] = {0};
    unsigned distinct = 0;
    for (unsigned s = 0; s < 4; s++) {
        s46_cgn_flow o = out_flow(100 + s, S46_CGN_UDP, 1, A4(203, 0, 113, 1), 53);
        CHECK_INT(s46_cgn_outbound(g, &o, 0, 10), S46_CGN_OK);
        bool known = false;
        for (unsigned k = 0; k < distinct; k++)
            known |= seen[k] == o.ext_addr;
        if (!known)
            seen[distinct++] = o.ext_addr;
    }
    CHECK_INT(distinct, 4);
    s46_cgn_free(g);
    free(l);
}

TEST(block_release_after_idle)
{
    s46_cgn_config c;
    conf(&c);
    c.udp_timeout = 120;
    c.block_idle = 60;
    evlog *l = calloc(1, sizeof *l);
    s46_cgn *g = make(&c, l);
    CHECK(g);
    s46_cgn_flow f = out_flow(3, S46_CGN_UDP, 4000, A4(203, 0, 113, 1), 53);
    CHECK_INT(s46_cgn_outbound(g, &f, 0, 1000), S46_CGN_OK);
    CHECK(f.new_block);
    /* still alive at 1119 */
    s46_cgn_expire(g, 1119, 1000);
    s46_cgn_stats st;
    s46_cgn_stats_get(g, &st);
    CHECK_INT(st.sessions, 1);
    /* session gone at 1120, the block idle but kept */
    CHECK_INT(s46_cgn_expire(g, 1120, 1000), 1);
    s46_cgn_stats_get(g, &st);
    CHECK_INT(st.sessions, 0);
    CHECK_INT(st.mappings, 0);
    CHECK_INT(st.blocks, 1);
    CHECK_INT(l->releases, 0);
    /* a new mapping within block_idle takes the same block again */
    s46_cgn_flow f2 = out_flow(3, S46_CGN_UDP, 4001, A4(203, 0, 113, 1), 53);
    CHECK_INT(s46_cgn_outbound(g, &f2, 0, 1150), S46_CGN_OK);
    CHECK(!f2.new_block);
    CHECK_INT(l->allocs, 1);
    /* expires at 1270, released at 1330 */
    s46_cgn_expire(g, 1270, 1000);
    s46_cgn_expire(g, 1329, 1000);
    CHECK_INT(l->releases, 0);
    s46_cgn_expire(g, 1330, 1000);
    CHECK_INT(l->releases, 1);
    CHECK_INT(l->ev[1].kind, S46_CGN_BLOCK_RELEASE);
    CHECK_INT(l->ev[1].port_first, l->ev[0].port_first);
    CHECK_INT(l->ev[1].ext_addr, l->ev[0].ext_addr);
    s46_cgn_stats_get(g, &st);
    CHECK_INT(st.blocks, 0);
    CHECK_INT(st.subscribers, 0);
    CHECK_INT(cnt(g, S46_CGN_C_subscribers_freed), 1);
    CHECK_INT(cnt(g, S46_CGN_C_blocks_released), 1);
    s46_cgn_free(g);
    free(l);
}

TEST(ports_random_parity_not_well_known)
{
    s46_cgn_config c;
    conf(&c);
    s46_cgn *g = make(&c, NULL);
    CHECK(g);
    uint16_t prev = 0;
    unsigned near = 0, parity_kept = 0;
    for (unsigned i = 0; i < 200; i++) {
        s46_cgn_flow f = out_flow(1, S46_CGN_UDP, (uint16_t)(i + 1), A4(203, 0, 113, 1), 53);
        CHECK_INT(s46_cgn_outbound(g, &f, 0, 10), S46_CGN_OK);
        CHECK(f.ext_port >= 1024);
        parity_kept += (f.ext_port & 1) == ((i + 1) & 1);
        if (i && (uint16_t)(f.ext_port - prev) <= 2)
            near++;
        prev = f.ext_port;
    }
    CHECK(near < 20);          /* not a sequence */
    CHECK_INT(parity_kept, 200); /* plenty of both parities left */
    s46_cgn_free(g);
}

TEST(per_subscriber_limits)
{
    s46_cgn_config c;
    conf(&c);
    c.sub_max_mappings = 10;
    c.sub_max_sessions = 15;
    s46_cgn *g = make(&c, NULL);
    CHECK(g);
    for (unsigned i = 0; i < 10; i++) {
        s46_cgn_flow f = out_flow(1, S46_CGN_UDP, (uint16_t)(100 + i), A4(203, 0, 113, 1), 53);
        CHECK_INT(s46_cgn_outbound(g, &f, 0, 10), S46_CGN_OK);
    }
    s46_cgn_flow f = out_flow(1, S46_CGN_UDP, 200, A4(203, 0, 113, 1), 53);
    CHECK_INT(s46_cgn_outbound(g, &f, 0, 10), S46_CGN_SUB_MAPPINGS);
    CHECK_INT(cnt(g, S46_CGN_C_refused_sub_mappings), 1);
    /* more sessions on existing mappings up to 15 */
    for (unsigned i = 0; i < 5; i++) {
        s46_cgn_flow s = out_flow(1, S46_CGN_UDP, 100, A4(203, 0, 113, 2 + i), 53);
        CHECK_INT(s46_cgn_outbound(g, &s, 0, 10), S46_CGN_OK);
    }
    s46_cgn_flow s = out_flow(1, S46_CGN_UDP, 100, A4(203, 0, 113, 99), 53);
    CHECK_INT(s46_cgn_outbound(g, &s, 0, 10), S46_CGN_SUB_SESSIONS);
    CHECK_INT(cnt(g, S46_CGN_C_refused_sub_sessions), 1);
    /* another subscriber is not affected */
    for (unsigned i = 0; i < 10; i++) {
        s46_cgn_flow o = out_flow(2, S46_CGN_UDP, (uint16_t)(100 + i), A4(203, 0, 113, 1), 53);
        CHECK_INT(s46_cgn_outbound(g, &o, 0, 10), S46_CGN_OK);
    }
    /* existing sessions still pass */
    s46_cgn_flow again = out_flow(1, S46_CGN_UDP, 100, A4(203, 0, 113, 1), 53);
    CHECK_INT(s46_cgn_outbound(g, &again, 0, 11), S46_CGN_OK);
    s46_cgn_free(g);
}

TEST(per_subscriber_rate)
{
    s46_cgn_config c;
    conf(&c);
    c.sub_max_new_per_sec = 20;
    s46_cgn *g = make(&c, NULL);
    CHECK(g);
    for (unsigned i = 0; i < 20; i++) {
        s46_cgn_flow f = out_flow(1, S46_CGN_TCP, (uint16_t)(100 + i), A4(203, 0, 113, 1), 80);
        CHECK_INT(s46_cgn_outbound(g, &f, S46_CGN_SYN, 50), S46_CGN_OK);
    }
    s46_cgn_flow f = out_flow(1, S46_CGN_TCP, 300, A4(203, 0, 113, 1), 80);
    CHECK_INT(s46_cgn_outbound(g, &f, S46_CGN_SYN, 50), S46_CGN_SUB_RATE);
    CHECK_INT(cnt(g, S46_CGN_C_refused_sub_rate), 1);
    s46_cgn_flow o = out_flow(2, S46_CGN_TCP, 300, A4(203, 0, 113, 1), 80);
    CHECK_INT(s46_cgn_outbound(g, &o, S46_CGN_SYN, 50), S46_CGN_OK);
    /* existing session passes in the same second; the next second admits */
    s46_cgn_flow old = out_flow(1, S46_CGN_TCP, 100, A4(203, 0, 113, 1), 80);
    CHECK_INT(s46_cgn_outbound(g, &old, 0, 50), S46_CGN_OK);
    CHECK_INT(s46_cgn_outbound(g, &f, S46_CGN_SYN, 51), S46_CGN_OK);
    s46_cgn_free(g);
}

static uint32_t live_sessions(s46_cgn *g, uint32_t now)
{
    s46_cgn_expire(g, now, 1u << 20);
    s46_cgn_stats st;
    s46_cgn_stats_get(g, &st);
    return st.sessions;
}

TEST(timers_per_protocol_and_state)
{
    s46_cgn_config c;
    conf(&c);
    c.udp_timeout = 30; /* raised to 120 */
    s46_cgn *g = make(&c, NULL);
    CHECK(g);
    uint32_t R = A4(203, 0, 113, 1);
    s46_cgn_flow u = out_flow(1, S46_CGN_UDP, 1, R, 53);
    CHECK_INT(s46_cgn_outbound(g, &u, 0, 0), S46_CGN_OK);
    s46_cgn_flow i = out_flow(1, S46_CGN_ICMP, 77, R, 0);
    CHECK_INT(s46_cgn_outbound(g, &i, 0, 0), S46_CGN_OK);
    /* TCP: a SYN only (transitory), and an established one */
    s46_cgn_flow t1 = out_flow(1, S46_CGN_TCP, 1, R, 80);
    CHECK_INT(s46_cgn_outbound(g, &t1, S46_CGN_SYN, 0), S46_CGN_OK);
    s46_cgn_flow t2 = out_flow(1, S46_CGN_TCP, 2, R, 80);
    CHECK_INT(s46_cgn_outbound(g, &t2, S46_CGN_SYN, 0), S46_CGN_OK);
    s46_cgn_flow t2in = {.proto = S46_CGN_TCP, .ext_addr = t2.ext_addr, .ext_port = t2.ext_port,
                         .rem_addr = R, .rem_port = 80};
    CHECK_INT(s46_cgn_inbound(g, &t2in, S46_CGN_SYN | 0x10, 0), S46_CGN_OK);
    CHECK_INT(s46_cgn_outbound(g, &t2, 0x10, 0), S46_CGN_OK);
    CHECK_INT(live_sessions(g, 59), 4);
    CHECK_INT(live_sessions(g, 60), 3);   /* ICMP 60 s */
    CHECK_INT(live_sessions(g, 119), 3);
    CHECK_INT(live_sessions(g, 120), 2);  /* UDP >= 120 s */
    CHECK_INT(live_sessions(g, 239), 2);
    CHECK_INT(live_sessions(g, 240), 1);  /* TCP transitory 4 min */
    CHECK_INT(live_sessions(g, 7439), 1);
    CHECK_INT(live_sessions(g, 7440), 0); /* TCP established 2 h 4 min */
    /* FIN both ways then the transitory timer; RST at once to transitory */
    s46_cgn_flow t3 = out_flow(1, S46_CGN_TCP, 3, R, 80);
    CHECK_INT(s46_cgn_outbound(g, &t3, S46_CGN_SYN, 10000), S46_CGN_OK);
    s46_cgn_flow t3in = {.proto = S46_CGN_TCP, .ext_addr = t3.ext_addr, .ext_port = t3.ext_port,
                         .rem_addr = R, .rem_port = 80};
    CHECK_INT(s46_cgn_inbound(g, &t3in, S46_CGN_SYN, 10000), S46_CGN_OK);
    CHECK_INT(s46_cgn_outbound(g, &t3, S46_CGN_FIN, 10001), S46_CGN_OK);
    CHECK_INT(s46_cgn_inbound(g, &t3in, S46_CGN_FIN, 10002), S46_CGN_OK);
    CHECK_INT(live_sessions(g, 10002 + 239), 1);
    CHECK_INT(live_sessions(g, 10002 + 240), 0);
    /* inbound UDP does not refresh */
    s46_cgn_flow u2 = out_flow(1, S46_CGN_UDP, 9, R, 53);
    CHECK_INT(s46_cgn_outbound(g, &u2, 0, 20000), S46_CGN_OK);
    s46_cgn_flow u2in = {.proto = S46_CGN_UDP, .ext_addr = u2.ext_addr, .ext_port = u2.ext_port,
                         .rem_addr = R, .rem_port = 53};
    CHECK_INT(s46_cgn_inbound(g, &u2in, 0, 20100), S46_CGN_OK);
    CHECK_INT(live_sessions(g, 20120), 0);
    s46_cgn_free(g);
}

TEST(icmp_ids_as_ports)
{
    s46_cgn_config c;
    conf(&c);
    s46_cgn *g = make(&c, NULL);
    CHECK(g);
    s46_cgn_flow e = out_flow(4, S46_CGN_ICMP, 0x1234, A4(203, 0, 113, 5), 0);
    CHECK_INT(s46_cgn_outbound(g, &e, 0, 1), S46_CGN_OK);
    CHECK(e.ext_port >= 1024);
    s46_cgn_flow r = {.proto = S46_CGN_ICMP, .ext_addr = e.ext_addr, .ext_port = e.ext_port,
                      .rem_addr = A4(203, 0, 113, 5)};
    CHECK_INT(s46_cgn_inbound(g, &r, 0, 2), S46_CGN_OK);
    CHECK_INT(r.int_port, 0x1234);
    CHECK(!memcmp(r.sub.b, sub_key(4).b, 16));
    /* the UDP table does not know that identifier */
    r.proto = S46_CGN_UDP;
    CHECK_INT(s46_cgn_inbound(g, &r, 0, 2), S46_CGN_NOT_FOUND);
    /* side-effect-free lookups */
    s46_cgn_key k;
    uint32_t ia, ea;
    uint16_t ip, ep;
    CHECK(s46_cgn_lookup_ext(g, S46_CGN_ICMP, e.ext_addr, e.ext_port, &k, &ia, &ip, 3));
    CHECK_INT(ip, 0x1234);
    s46_cgn_key k4 = sub_key(4);
    CHECK(s46_cgn_lookup_int(g, S46_CGN_ICMP, &k4, A4(192, 0, 0, 2), 0x1234, &ea, &ep, 3));
    CHECK_INT(ep, e.ext_port);
    CHECK_INT(ea, e.ext_addr);
    CHECK(!s46_cgn_lookup_ext(g, S46_CGN_ICMP, e.ext_addr, e.ext_port, &k, &ia, &ip, 61));
    s46_cgn_free(g);
}

TEST(hairpinning)
{
    for (int mode = 0; mode < 2; mode++) {
        s46_cgn_config c;
        conf(&c);
        c.filter = mode ? S46_CGN_FILTER_ADF : S46_CGN_FILTER_EIF;
        s46_cgn *g = make(&c, NULL);
        CHECK(g);
        /* A talks to a STUN server, learns its mapping */
        s46_cgn_flow a = out_flow(1, S46_CGN_UDP, 5000, A4(203, 0, 113, 1), 3478);
        CHECK_INT(s46_cgn_outbound(g, &a, 0, 10), S46_CGN_OK);
        /* B sends to A's external endpoint: its own outbound step ... */
        s46_cgn_flow b = out_flow(2, S46_CGN_UDP, 6000, a.ext_addr, a.ext_port);
        CHECK_INT(s46_cgn_outbound(g, &b, 0, 11), S46_CGN_OK);
        CHECK(s46_cgn_is_external(g, b.rem_addr));
        /* ... then the inbound lookup from B's external endpoint */
        s46_cgn_flow h = {.proto = S46_CGN_UDP, .ext_addr = a.ext_addr, .ext_port = a.ext_port,
                          .rem_addr = b.ext_addr, .rem_port = b.ext_port};
        s46_cgn_result r = s46_cgn_inbound(g, &h, 0, 11);
        if (mode == 0) {
            CHECK_INT(r, S46_CGN_OK);
            CHECK(!memcmp(h.sub.b, sub_key(1).b, 16));
            CHECK_INT(h.int_port, 5000);
        } else {
            CHECK_INT(r, S46_CGN_FILTERED); /* A never sent to B's address */
            /* once A has sent to B's external endpoint, B gets through */
            s46_cgn_flow a2 = out_flow(1, S46_CGN_UDP, 5000, b.ext_addr, b.ext_port);
            CHECK_INT(s46_cgn_outbound(g, &a2, 0, 12), S46_CGN_OK);
            CHECK_INT(s46_cgn_inbound(g, &h, 0, 12), S46_CGN_OK);
            CHECK_INT(h.int_port, 5000);
        }
        s46_cgn_free(g);
    }
}

TEST(workers_own_their_blocks)
{
    enum { W = 3 };
    s46_cgn *g[W];
    s46_cgn_config c;
    conf(&c);
    c.max_subscribers = 512;
    c.max_blocks = 1024;
    for (unsigned w = 0; w < W; w++) {
        c.share = (uint16_t)w;
        c.shares = W;
        g[w] = make(&c, NULL);
        CHECK(g[w]);
    }
    unsigned per[W] = {0};
    for (unsigned s = 0; s < 300; s++) {
        s46_cgn_key k = sub_key(s);
        unsigned w = s46_cgn_owner_out(&k, W);
        CHECK(w < W);
        per[w]++;
        s46_cgn_flow f = out_flow(s, S46_CGN_UDP, 7000, A4(203, 0, 113, 1), 53);
        CHECK_INT(s46_cgn_outbound(g[w], &f, 0, 1), S46_CGN_OK);
        unsigned owner = s46_cgn_owner_in(f.ext_port, c.port_min, c.block_size, W);
        CHECK_INT(owner, w);
        for (unsigned x = 0; x < W; x++) {
            s46_cgn_flow in = {.proto = S46_CGN_UDP, .ext_addr = f.ext_addr,
                               .ext_port = f.ext_port, .rem_addr = A4(203, 0, 113, 1),
                               .rem_port = 53};
            CHECK_INT(s46_cgn_inbound(g[x], &in, 0, 2), x == w ? S46_CGN_OK : S46_CGN_NOT_OURS);
        }
    }
    for (unsigned w = 0; w < W; w++)
        CHECK(per[w] > 60); /* the subscriber hash spreads */
    /* no two workers handed out the same block */
    s46_cgn_stats st;
    s46_cgn_stats_get(g[0], &st);
    CHECK_INT(st.blocks_per_address, 126);
    CHECK_INT(st.blocks_owned, 4 * 42);
    for (unsigned w = 0; w < W; w++)
        s46_cgn_free(g[w]);
}

TEST(bounded_memory_refusals)
{
    s46_cgn_config c;
    conf(&c);
    c.max_subscribers = 8;
    c.max_blocks = 12;
    c.max_mappings = 40;
    c.max_sessions = 50;
    c.sub_max_mappings = 0;
    c.sub_max_sessions = 0;
    c.block_size = 64;
    c.max_blocks_per_sub = 8;
    s46_cgn *g = make(&c, NULL);
    CHECK(g);
    /* 8 subscribers fill the subscriber table; a 9th is refused */
    for (unsigned s = 0; s < 8; s++) {
        s46_cgn_flow f = out_flow(s, S46_CGN_UDP, 1, A4(203, 0, 113, 1), 53);
        CHECK_INT(s46_cgn_outbound(g, &f, 0, 1), S46_CGN_OK);
    }
    s46_cgn_flow f = out_flow(8, S46_CGN_UDP, 1, A4(203, 0, 113, 1), 53);
    CHECK_INT(s46_cgn_outbound(g, &f, 0, 1), S46_CGN_FULL);
    CHECK_INT(cnt(g, S46_CGN_C_refused_full_subscribers), 1);
    /* sessions: 8 in use, 42 more on subscriber 0's mapping, then full */
    for (unsigned i = 0; i < 42; i++) {
        s46_cgn_flow x = out_flow(0, S46_CGN_UDP, 1, A4(203, 0, 114, (uint8_t)i), 53);
        CHECK_INT(s46_cgn_outbound(g, &x, 0, 1), S46_CGN_OK);
    }
    s46_cgn_flow x = out_flow(0, S46_CGN_UDP, 1, A4(203, 0, 115, 1), 53);
    CHECK_INT(s46_cgn_outbound(g, &x, 0, 1), S46_CGN_FULL);
    CHECK_INT(cnt(g, S46_CGN_C_refused_full_sessions), 1);
    /* inbound under EIF cannot create one either */
    s46_cgn_flow in = {.proto = S46_CGN_UDP, .ext_port = 0, .rem_addr = A4(9, 9, 9, 9),
                       .rem_port = 9};
    s46_cgn_flow probe = out_flow(0, S46_CGN_UDP, 1, A4(203, 0, 113, 1), 53);
    CHECK_INT(s46_cgn_outbound(g, &probe, 0, 1), S46_CGN_OK);
    in.ext_addr = probe.ext_addr;
    in.ext_port = probe.ext_port;
    CHECK_INT(s46_cgn_inbound(g, &in, 0, 1), S46_CGN_FULL);
    CHECK_INT(cnt(g, S46_CGN_C_refused_full_sessions), 2);
    s46_cgn_stats st;
    s46_cgn_stats_get(g, &st);
    CHECK_INT(st.sessions, 50);
    CHECK_INT(st.subscribers, 8);
    CHECK(st.bytes_total > 0);
    s46_cgn_free(g);

    /* blocks: 12 entries; subscriber 0 takes 8 (512 ports), 4 others one each */
    conf(&c);
    c.max_blocks = 12;
    c.block_size = 64;
    c.max_blocks_per_sub = 8;
    c.sub_max_mappings = 0;
    c.sub_max_sessions = 0;
    g = make(&c, NULL);
    CHECK(g);
    for (unsigned i = 0; i < 512; i++) {
        s46_cgn_flow y = out_flow(0, S46_CGN_UDP, (uint16_t)(i + 1), A4(203, 0, 113, 1), 53);
        CHECK_INT(s46_cgn_outbound(g, &y, 0, 1), S46_CGN_OK);
    }
    for (unsigned s = 1; s <= 4; s++) {
        s46_cgn_flow y = out_flow(s, S46_CGN_UDP, 1, A4(203, 0, 113, 1), 53);
        CHECK_INT(s46_cgn_outbound(g, &y, 0, 1), S46_CGN_OK);
    }
    s46_cgn_flow y = out_flow(5, S46_CGN_UDP, 1, A4(203, 0, 113, 1), 53);
    CHECK_INT(s46_cgn_outbound(g, &y, 0, 1), S46_CGN_FULL);
    CHECK_INT(cnt(g, S46_CGN_C_refused_full_blocks), 1);
    s46_cgn_stats_get(g, &st);
    CHECK_INT(st.subscribers, 5); /* the refused one left nothing behind */
    CHECK_INT(st.blocks, 12);
    s46_cgn_free(g);
}

TEST(pool_exhaustion_paired)
{
    /* one address, block size 32768 with port_min 1024: one block per address */
    s46_pfx4 one[] = {{A4(198, 51, 100, 7), 32}};
    s46_cgn_config c;
    conf(&c);
    c.pool = one;
    c.block_size = 32704; /* 64512 / 32704 = 1 block */
    evlog *l = calloc(1, sizeof *l);
    s46_cgn *g = make(&c, l);
    CHECK(g);
    s46_cgn_flow a = out_flow(1, S46_CGN_UDP, 1, A4(203, 0, 113, 1), 53);
    CHECK_INT(s46_cgn_outbound(g, &a, 0, 1), S46_CGN_OK);
    s46_cgn_flow b = out_flow(2, S46_CGN_UDP, 1, A4(203, 0, 113, 1), 53);
    CHECK_INT(s46_cgn_outbound(g, &b, 0, 1), S46_CGN_NO_ADDRESS);
    CHECK_INT(cnt(g, S46_CGN_C_refused_no_address), 1);
    /* the log refusing a block refuses the mapping */
    s46_cgn_free(g);
    conf(&c);
    l->refuse = 1;
    g = make(&c, l);
    CHECK_INT(s46_cgn_outbound(g, &a, 0, 1), S46_CGN_LOG_REFUSED);
    CHECK_INT(cnt(g, S46_CGN_C_refused_log), 1);
    s46_cgn_stats st;
    s46_cgn_stats_get(g, &st);
    CHECK_INT(st.subscribers, 0);
    CHECK_INT(st.blocks, 0);
    l->refuse = 0;
    CHECK_INT(s46_cgn_outbound(g, &a, 0, 1), S46_CGN_OK);
    s46_cgn_free(g);
    free(l);
}

TEST(plain_ipv4_subscriber_key)
{
    s46_cgn_config c;
    conf(&c);
    s46_cgn *g = make(&c, NULL);
    CHECK(g);
    s46_cgn_flow f = {.sub = s46_cgn_key_v4(A4(100, 64, 0, 9)), .int_addr = A4(100, 64, 0, 9),
                      .int_port = 40000, .rem_addr = A4(203, 0, 113, 1), .rem_port = 443,
                      .proto = S46_CGN_TCP};
    CHECK_INT(s46_cgn_outbound(g, &f, S46_CGN_SYN, 1), S46_CGN_OK);
    CHECK_INT(f.sub.b[10], 0xff);
    CHECK_INT(f.sub.b[15], 9);
    s46_cgn_free(g);
}

TEST(batch_same_as_single_calls)
{
    s46_cgn_config c;
    conf(&c);
    c.sub_max_mappings = 20;   /* some refusals inside batches */
    c.icmp_timeout = 0;        /* a session due at once: freed inside the batch */
    s46_cgn *a = make(&c, NULL), *b = make(&c, NULL);
    CHECK(a && b);
    enum { N = 640 };
    static s46_cgn_flow fa[N], fb[N];
    static s46_cgn_result ra[N], rb[N];
    uint8_t flags[N];
    uint64_t x = 12345;
    for (unsigned i = 0; i < N; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint8_t proto = (uint8_t)(x % 3);
        /* few subscribers and ports: repeats inside a batch, new and known flows */
        fa[i] = out_flow((unsigned)(x >> 8) % 7, proto, (uint16_t)(1 + (x >> 16) % 40),
                         A4(203, 0, 113, (uint8_t)(x >> 24) % 3), 53);
        fb[i] = fa[i];
        flags[i] = proto == S46_CGN_TCP ? S46_CGN_SYN : 0;
    }
    for (unsigned i = 0; i < N; i += 32)
        s46_cgn_outbound_batch(a, &fa[i], &flags[i], &ra[i], 32, 5 + i / 64);
    for (unsigned i = 0; i < N; i++)
        rb[i] = s46_cgn_outbound(b, &fb[i], flags[i], 5 + i / 32 / 2);
    unsigned ok = 0, refused = 0;
    for (unsigned i = 0; i < N; i++) {
        CHECK_INT(ra[i], rb[i]);
        if (ra[i] == S46_CGN_OK) {
            ok++;
            CHECK_INT(fa[i].ext_port, fb[i].ext_port);
            CHECK_INT(fa[i].ext_addr, fb[i].ext_addr);
        } else {
            refused++;
        }
    }
    CHECK(ok > 100 && refused > 10);
    /* every mapping made in a batch is found inbound (ICMP ones are gone) */
    for (unsigned i = 0; i < N; i++) {
        if (ra[i] != S46_CGN_OK || fa[i].proto == S46_CGN_ICMP)
            continue;
        s46_cgn_flow in[2] = {{.proto = fa[i].proto, .ext_addr = fa[i].ext_addr,
                               .ext_port = fa[i].ext_port, .rem_addr = fa[i].rem_addr,
                               .rem_port = 53}};
        in[1] = in[0];
        s46_cgn_result r[2];
        s46_cgn_inbound_batch(a, in, NULL, r, 1, 20);
        CHECK_INT(r[0], S46_CGN_OK);
        CHECK_INT(s46_cgn_inbound(b, &in[1], 0, 20), S46_CGN_OK);
        CHECK_INT(in[0].int_port, fa[i].int_port);
        CHECK_INT(in[1].int_port, fa[i].int_port);
    }
    s46_cgn_stats sa, sb;
    s46_cgn_stats_get(a, &sa);
    s46_cgn_stats_get(b, &sb);
    CHECK_INT(sa.mappings, sb.mappings);
    CHECK_INT(sa.sessions, sb.sessions);
    /* everything expires and frees cleanly */
    CHECK(live_sessions(a, 100000) == 0 && live_sessions(b, 100000) == 0);
    s46_cgn_free(a);
    s46_cgn_free(b);
}

/* The fast path's lookup (hint, slot, est_one): an established flow's
 * packets are found both ways, with the fields the full calls fill; a
 * packet of another session, toward a pool address, of an expired
 * session, or of no mapping is not; a slot answer naming another flow's
 * mapping still finds the right one. */
static uint32_t est(const s46_cgn *g, s46_cgn_flow *f, bool outbound, uint32_t now, int slot_of)
{
    s46_cgn_hint h;
    s46_cgn_hint_one(g, f, &h, outbound);
    uint32_t m = s46_cgn_est_slot(g, &h, outbound);
    return s46_cgn_est_one(g, f, &h, slot_of < 0 ? m : (uint32_t)slot_of, outbound, now);
}

TEST(established_flow_lookup)
{
    s46_cgn_config c;
    conf(&c);
    s46_cgn *g = make(&c, NULL);
    CHECK(g);
    enum { N = 200 };
    static s46_cgn_flow f[N];
    uint32_t ref[N];
    for (unsigned i = 0; i < N; i++) {
        uint8_t proto = (uint8_t)(i % 3);
        f[i] = out_flow(i % 9, proto, (uint16_t)(1000 + i), A4(203, 0, 113, 7),
                        proto == S46_CGN_ICMP ? 0 : 80);
        CHECK_INT(s46_cgn_outbound(g, &f[i], f[i].proto == S46_CGN_TCP ? S46_CGN_SYN : 0, 10),
                  S46_CGN_OK);
    }
    for (unsigned i = 0; i < N; i++) {
        s46_cgn_flow o = f[i];
        o.ext_addr = 0, o.ext_port = 0;
        ref[i] = est(g, &o, true, 11, -1);
        CHECK(ref[i] != S46_CGN_NOREF);
        CHECK_INT(o.ext_addr, f[i].ext_addr);
        CHECK_INT(o.ext_port, f[i].ext_port);
        s46_cgn_flow in = {.proto = f[i].proto, .ext_addr = f[i].ext_addr,
                           .ext_port = f[i].ext_port, .rem_addr = f[i].rem_addr,
                           .rem_port = f[i].rem_port};
        CHECK_INT(est(g, &in, false, 11, -1), ref[i]);
        CHECK(!memcmp(in.sub.b, f[i].sub.b, 16));
        CHECK_INT(in.int_addr, f[i].int_addr);
        CHECK_INT(in.int_port, f[i].int_port);
    }
    for (unsigned i = 0; i < N; i++) {
        s46_cgn_flow o = f[i];
        /* the slot answer another flow's mapping: found all the same */
        CHECK_INT(est(g, &o, true, 11, (int)ref[(i + 1) % N]), ref[i]);
        s46_cgn_flow in = {.proto = f[i].proto, .ext_addr = f[i].ext_addr,
                           .ext_port = f[i].ext_port, .rem_addr = f[i].rem_addr,
                           .rem_port = f[i].rem_port};
        CHECK_INT(est(g, &in, false, 11, (int)ref[(i + 3) % N]), ref[i]);
        o = f[i];
        o.rem_addr++; /* another session of the mapping: the full path's */
        CHECK_INT(est(g, &o, true, 11, -1), S46_CGN_NOREF);
        o = f[i];
        o.int_port = 1; /* no mapping */
        CHECK_INT(est(g, &o, true, 11, -1), S46_CGN_NOREF);
        o = f[i];
        CHECK_INT(est(g, &o, true, 100000, -1), S46_CGN_NOREF); /* expired */
        in = (s46_cgn_flow){.proto = f[i].proto, .ext_addr = f[i].ext_addr,
                           .ext_port = f[i].ext_port, .rem_addr = A4(203, 0, 113, 8),
                           .rem_port = f[i].rem_port};
        CHECK_INT(est(g, &in, false, 11, -1), S46_CGN_NOREF);
    }
    /* toward a pool address: a hairpin, never the fast path's */
    s46_cgn_flow hp = out_flow(1, S46_CGN_UDP, 7, f[0].ext_addr, 80);
    CHECK_INT(s46_cgn_outbound(g, &hp, 0, 10), S46_CGN_OK);
    hp.ext_port = 0;
    CHECK_INT(est(g, &hp, true, 11, -1), S46_CGN_NOREF);
    s46_cgn_free(g);
}

/* sub_len 64: two hosts of one /64 are one subscriber (its blocks, its
 * address, its limit), each mapping still theirs; another /64 is not
 * touched by the first one's limit. */
TEST(subscriber_prefix_of_hosts)
{
    s46_cgn_config c;
    conf(&c);
    c.sub_len = 64;
    c.sub_max_mappings = 2;
    evlog *l = calloc(1, sizeof *l);
    s46_cgn *g = make(&c, l);
    CHECK(g);
    s46_cgn_key h1 = sub_key(1), h2 = sub_key(2), other = sub_key(1);
    other.b[7] = 1; /* 2001:db8:0:1::1, another /64 */
    s46_cgn_key p64 = s46_cgn_key_prefix(&h1, 64);
    CHECK(!memcmp(p64.b, s46_cgn_key_prefix(&h2, 64).b, 16));
    CHECK(p64.b[15] == 0 && p64.b[3] == 0xb8);
    s46_cgn_key p56 = s46_cgn_key_prefix(&other, 56);
    CHECK(p56.b[7] == 0 && p56.b[6] == 0);
    /* the same internal address and port from two hosts: two mappings */
    s46_cgn_flow a = out_flow(1, S46_CGN_UDP, 5000, A4(203, 0, 113, 5), 53);
    s46_cgn_flow b = out_flow(2, S46_CGN_UDP, 5000, A4(203, 0, 113, 5), 53);
    CHECK_INT(s46_cgn_outbound(g, &a, 0, 1), S46_CGN_OK);
    CHECK_INT(s46_cgn_outbound(g, &b, 0, 1), S46_CGN_OK);
    CHECK(a.ext_port != b.ext_port);
    CHECK_INT(a.ext_addr, b.ext_addr); /* one subscriber: one address */
    CHECK_INT(l->allocs, 1);           /* and one block, logged for the /64 */
    CHECK(!memcmp(l->ev[0].sub.b, p64.b, 16));
    /* back in: each host by its whole key */
    s46_cgn_flow in = {.proto = S46_CGN_UDP, .ext_addr = b.ext_addr, .ext_port = b.ext_port,
                       .rem_addr = A4(203, 0, 113, 5), .rem_port = 53};
    CHECK_INT(s46_cgn_inbound(g, &in, 0, 2), S46_CGN_OK);
    CHECK(!memcmp(in.sub.b, h2.b, 16));
    s46_cgn_key k;
    uint32_t ia, ea;
    uint16_t ip, ep;
    CHECK(s46_cgn_lookup_ext(g, S46_CGN_UDP, a.ext_addr, a.ext_port, &k, &ia, &ip, 3));
    CHECK(!memcmp(k.b, h1.b, 16));
    CHECK(s46_cgn_lookup_int(g, S46_CGN_UDP, &h2, A4(192, 0, 0, 2), 5000, &ea, &ep, 3));
    CHECK_INT(ep, b.ext_port);
    /* the /64's limit of 2 mappings is reached by the two hosts together */
    s46_cgn_flow c3 = out_flow(1, S46_CGN_UDP, 5001, A4(203, 0, 113, 5), 53);
    CHECK_INT(s46_cgn_outbound(g, &c3, 0, 4), S46_CGN_SUB_MAPPINGS);
    s46_cgn_flow d = {.sub = other, .int_addr = A4(192, 0, 0, 2), .int_port = 5000,
                      .rem_addr = A4(203, 0, 113, 5), .rem_port = 53, .proto = S46_CGN_UDP};
    CHECK_INT(s46_cgn_outbound(g, &d, 0, 4), S46_CGN_OK);
    s46_cgn_stats st;
    s46_cgn_stats_get(g, &st);
    CHECK_INT(st.subscribers, 2);
    CHECK_INT(st.mappings, 3);
    CHECK(live_sessions(g, 100000) == 0);
    s46_cgn_free(g);
    free(l);
}


/* The indexes and the entries agree (s46_cgn_check) through a random mix
 * of new and known flows both ways, in batches and single calls, with
 * refusals, expiries inside and between batches and blocks released
 * after idle; for whole keys and for /64 subscribers, one worker and the
 * second of two. A twin instance fed the same packets one by one ends
 * in the same state. */
/* A table of a power of two mappings filled to the last one: every
 * mapping number fits its index word beside the tag (none reads as an
 * empty slot), all are found both ways, and all go again. */
TEST(full_table_index_words)
{
    static const uint32_t caps[] = {1, 2, 16, 64, 100};
    for (unsigned z = 0; z < sizeof caps / sizeof caps[0]; z++) {
        s46_cgn_config c;
        conf(&c);
        c.max_mappings = caps[z];
        c.max_sessions = caps[z];
        c.sub_max_mappings = 0;
        c.sub_max_sessions = 0;
        s46_cgn *g = make(&c, NULL);
        CHECK(g);
        char err[200];
        s46_cgn_flow f[100];
        for (unsigned i = 0; i < caps[z]; i++) {
            f[i] = out_flow(i % 5, S46_CGN_UDP, (uint16_t)(2000 + i), A4(203, 0, 113, 9), 53);
            CHECK_INT(s46_cgn_outbound(g, &f[i], 0, 10), S46_CGN_OK);
        }
        s46_cgn_flow more = out_flow(1, S46_CGN_UDP, 9, A4(203, 0, 113, 9), 53);
        CHECK(s46_cgn_outbound(g, &more, 0, 10) != S46_CGN_OK); /* full */
        CHECK(s46_cgn_check(g, err, sizeof err));
        s46_cgn_stats st;
        s46_cgn_stats_get(g, &st);
        CHECK_INT(st.mappings, caps[z]);
        for (unsigned i = 0; i < caps[z]; i++) {
            s46_cgn_flow o = f[i];
            o.ext_addr = 0, o.ext_port = 0;
            CHECK_INT(s46_cgn_outbound(g, &o, 0, 11), S46_CGN_OK);
            CHECK_INT(o.ext_port, f[i].ext_port);
            s46_cgn_flow in = {.proto = S46_CGN_UDP, .ext_addr = f[i].ext_addr,
                               .ext_port = f[i].ext_port, .rem_addr = f[i].rem_addr,
                               .rem_port = f[i].rem_port};
            CHECK_INT(s46_cgn_inbound(g, &in, 0, 11), S46_CGN_OK);
            CHECK_INT(in.int_port, f[i].int_port);
        }
        CHECK(s46_cgn_expire(g, 100000, 100000) > 0);
        s46_cgn_stats_get(g, &st);
        CHECK_INT(st.mappings, 0);
        CHECK(s46_cgn_check(g, err, sizeof err));
        s46_cgn_free(g);
    }
}

TEST(indexes_agree_with_entries)
{
    static const struct { uint8_t sub_len; uint16_t share, shares; } shapes[] = {
        {0, 0, 1}, {64, 0, 1}, {0, 1, 2}};
    for (unsigned z = 0; z < sizeof shapes / sizeof shapes[0]; z++) {
        s46_cgn_config c;
        conf(&c);
        c.max_subscribers = 24;
        c.max_blocks = 40;
        c.max_mappings = 300;
        c.max_sessions = 400;
        c.block_size = 64;
        c.max_blocks_per_sub = 2;
        c.sub_max_mappings = 90;
        c.sub_max_new_per_sec = 40;
        c.udp_timeout = 120;
        c.icmp_timeout = z == 1 ? 0 : 3; /* 0: due at once, freed inside the batch */
        c.tcp_trans_timeout = 7;
        c.block_idle = 5;
        c.sub_len = shapes[z].sub_len;
        c.share = shapes[z].share;
        c.shares = shapes[z].shares;
        s46_cgn *a = make(&c, NULL), *b = make(&c, NULL);
        CHECK(a && b);
        char err[200];
        uint64_t x = 0x1234567 + z;
        uint32_t now = 10;
        enum { B = 48 };
        s46_cgn_flow fa[B], fb[B];
        s46_cgn_result ra[B], rb[B];
        uint8_t fl[B];
        unsigned oks = 0, ins = 0, nseen = 0;
        s46_cgn_flow seen[64]; /* external endpoints handed out lately */
        for (unsigned round = 0; round < 400; round++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            now += (unsigned)(x % 4 == 0) * (unsigned)(x >> 40) % 9;
            if (round % 60 == 59) /* UDP sessions due, blocks idle */
                now += 125;
            unsigned n = 1 + (unsigned)(x >> 8) % B;
            bool inbound = (x >> 20) % 3 == 0;
            for (unsigned i = 0; i < n; i++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                uint8_t proto = (uint8_t)(x % 3);
                if (!inbound) {
                    bool few = round % 5 == 0; /* repeats inside the batch */
                    fa[i] = out_flow((unsigned)(x >> 8) % (few ? 2 : 30), proto,
                                     (uint16_t)(1 + (x >> 16) % (few ? 2 : 12)),
                                     A4(203, 0, 113, (uint8_t)((x >> 24) % 4)),
                                     (uint16_t)(53 + (x >> 28) % 2));
                    if (c.sub_len == 64) /* hosts of /64s: the last bytes vary */
                        fa[i].sub.b[7] = (uint8_t)((x >> 32) % 3);
                } else {
                    /* to a port of a block of this worker on a pool address,
                     * known or not */
                    uint16_t port = (uint16_t)(1024 + (x >> 8) % (64 * 40));
                    uint32_t ea = A4(198, 51, 100, (uint8_t)((x >> 20) % 4));
                    if (nseen && (x >> 36) % 4 != 0) { /* mostly to a known one */
                        const s46_cgn_flow *k = &seen[(x >> 40) % (nseen < 64 ? nseen : 64)];
                        proto = k->proto;
                        ea = k->ext_addr;
                        port = k->ext_port;
                    }
                    fa[i] = (s46_cgn_flow){.proto = proto, .ext_addr = ea, .ext_port = port,
                                           .rem_addr = A4(203, 0, 113, (uint8_t)((x >> 24) % 4)),
                                           .rem_port = proto == S46_CGN_ICMP ? 0
                                                       : (uint16_t)(53 + (x >> 28) % 2)};
                }
                fb[i] = fa[i];
                fl[i] = proto != S46_CGN_TCP ? 0 : (x >> 33) % 4 == 0 ? S46_CGN_FIN
                        : (x >> 33) % 4 == 1 ? S46_CGN_RST : S46_CGN_SYN;
            }
            if (inbound) {
                s46_cgn_inbound_batch(a, fa, fl, ra, n, now);
                for (unsigned i = 0; i < n; i++)
                    rb[i] = s46_cgn_inbound(b, &fb[i], fl[i], now);
            } else {
                s46_cgn_outbound_batch(a, fa, fl, ra, n, now);
                for (unsigned i = 0; i < n; i++)
                    rb[i] = s46_cgn_outbound(b, &fb[i], fl[i], now);
            }
            for (unsigned i = 0; i < n; i++) {
                CHECK_INT(ra[i], rb[i]);
                if (ra[i] == S46_CGN_OK && !inbound) {
                    seen[nseen++ % 64] = fa[i];
                    oks++;
                    CHECK_INT(fa[i].ext_port, fb[i].ext_port);
                }
                if (ra[i] == S46_CGN_OK && inbound) {
                    ins++;
                    CHECK_INT(fa[i].int_port, fb[i].int_port);
                    CHECK(!memcmp(fa[i].sub.b, fb[i].sub.b, 16));
                }
            }
            if (round % 7 == 0) {
                CHECK_INT(s46_cgn_expire(a, now, 50), s46_cgn_expire(b, now, 50));
            }
            bool ok = s46_cgn_check(a, err, sizeof err);
            if (!ok)
                printf("# shape %u round %u: %s\n", z, round, err);
            CHECK(ok);
            CHECK(s46_cgn_check(b, err, sizeof err));
        }
        printf("# shape %u: %u outbound and %u inbound admitted\n", z, oks, ins);
        CHECK(oks > 200 && ins > 10);
        uint64_t refusals = 0;
        for (int k = S46_CGN_C_refused_no_address; k <= S46_CGN_C_refused_log; k++)
            refusals += cnt(a, (enum s46_cgn_counter)k);
        printf("# shape %u: %llu expired, %llu blocks released, %llu refused\n", z,
               (unsigned long long)cnt(a, S46_CGN_C_sessions_expired),
               (unsigned long long)cnt(a, S46_CGN_C_blocks_released),
               (unsigned long long)refusals);
        CHECK(cnt(a, S46_CGN_C_sessions_expired) > 50 && cnt(a, S46_CGN_C_blocks_released) > 1 &&
              refusals > 10);
        s46_cgn_stats sa, sb;
        s46_cgn_stats_get(a, &sa);
        s46_cgn_stats_get(b, &sb);
        CHECK_INT(sa.mappings, sb.mappings);
        CHECK_INT(sa.sessions, sb.sessions);
        CHECK_INT(sa.blocks, sb.blocks);
        CHECK_INT(sa.subscribers, sb.subscribers);
        /* everything expires, blocks go, the tables empty and still agree */
        s46_cgn_expire(a, now + 100000, 100000);
        s46_cgn_expire(a, now + 200000, 100000);
        CHECK(s46_cgn_check(a, err, sizeof err));
        s46_cgn_stats_get(a, &sa);
        CHECK_INT(sa.sessions, 0);
        CHECK_INT(sa.mappings, 0);
        CHECK_INT(sa.blocks, 0);
        CHECK_INT(sa.subscribers, 0);
        s46_cgn_free(a);
        s46_cgn_free(b);
    }
}

T_MAIN(T_CASE(batch_same_as_single_calls), T_CASE(pool_prefixes_and_exclusions), T_CASE(endpoint_independent_mapping),
       T_CASE(filtering_eif_and_adf), T_CASE(paired_pooling_and_blocks),
       T_CASE(block_release_after_idle), T_CASE(ports_random_parity_not_well_known),
       T_CASE(per_subscriber_limits), T_CASE(per_subscriber_rate),
       T_CASE(timers_per_protocol_and_state), T_CASE(icmp_ids_as_ports), T_CASE(hairpinning),
       T_CASE(workers_own_their_blocks), T_CASE(bounded_memory_refusals),
       T_CASE(pool_exhaustion_paired), T_CASE(plain_ipv4_subscriber_key),
       T_CASE(subscriber_prefix_of_hosts), T_CASE(indexes_agree_with_entries),
       T_CASE(established_flow_lookup), T_CASE(full_table_index_words))
