/* The fanout programs (io/fanout.h) must send every packet to the worker the
 * pipelines' steering names (dp/pipeline.h), or packets are handed over
 * between workers. Run by a small classic-BPF interpreter written here from
 * the instruction set's definition, over many crafted packets and worker
 * counts, and compared with s46_steer_fnv / s46_steer_napt_in. */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <string.h>

#include "dp/pipeline.h"
#include "io/fanout.h"
#include "lib/csum.h"
#include "t.h"

typedef struct skb {
    const uint8_t *net; /* network header */
    uint32_t len;
    uint16_t proto;     /* ETH_P_* */
    uint32_t rxhash;
} skb;

/* Loads `size` bytes at absolute offset k; false when outside. */
static int load(const skb *s, uint32_t k, unsigned size, uint32_t *v)
{
    if (k == (uint32_t)(SKF_AD_OFF + SKF_AD_PROTOCOL)) {
        *v = s->proto;
        return 1;
    }
    if (k == (uint32_t)(SKF_AD_OFF + SKF_AD_RXHASH)) {
        *v = s->rxhash;
        return 1;
    }
    uint32_t off = k - (uint32_t)SKF_NET_OFF;
    if (off > s->len || s->len - off < size)
        return 0;
    *v = 0;
    for (unsigned i = 0; i < size; i++)
        *v = *v << 8 | s->net[off + i];
    return 1;
}

/* Returns the program's answer; ~0u when it ends badly. */
static uint32_t run(const struct sock_filter *f, unsigned n, const skb *s)
{
    uint32_t A = 0, X = 0, M[16] = {0};
    for (unsigned pc = 0; pc < n; pc++) {
        const struct sock_filter *i = &f[pc];
        uint32_t v;
        switch (BPF_CLASS(i->code)) {
        case BPF_LD:
            if (BPF_MODE(i->code) == BPF_IMM) {
                A = i->k;
            } else if (BPF_MODE(i->code) == BPF_MEM) {
                A = M[i->k & 15];
            } else {
                unsigned size = BPF_SIZE(i->code) == BPF_W ? 4 : BPF_SIZE(i->code) == BPF_H ? 2 : 1;
                uint32_t k = BPF_MODE(i->code) == BPF_IND ? i->k + X : i->k;
                if (!load(s, k, size, &v))
                    return 0; /* the kernel ends the program with 0 */
                A = v;
            }
            break;
        case BPF_ST: M[i->k & 15] = A; break;
        case BPF_ALU: {
            uint32_t b = BPF_SRC(i->code) == BPF_X ? X : i->k;
            switch (BPF_OP(i->code)) {
            case BPF_ADD: A += b; break;
            case BPF_SUB: A -= b; break;
            case BPF_MUL: A *= b; break;
            case BPF_DIV: if (!b) return ~0u; A /= b; break;
            case BPF_MOD: if (!b) return ~0u; A %= b; break;
            case BPF_AND: A &= b; break;
            case BPF_OR: A |= b; break;
            case BPF_XOR: A ^= b; break;
            case BPF_LSH: A <<= b; break;
            case BPF_RSH: A >>= b; break;
            default: return ~0u;
            }
            break;
        }
        case BPF_JMP: {
            if (BPF_OP(i->code) == BPF_JA) {
                pc += i->k;
                break;
            }
            uint32_t b = BPF_SRC(i->code) == BPF_X ? X : i->k;
            int t = BPF_OP(i->code) == BPF_JEQ ? A == b : BPF_OP(i->code) == BPF_JGT ? A > b
                    : BPF_OP(i->code) == BPF_JGE ? A >= b : (A & b) != 0;
            pc += t ? i->jt : i->jf;
            break;
        }
        case BPF_RET: return BPF_RVAL(i->code) == BPF_A ? A : i->k;
        case BPF_MISC: if (BPF_MISCOP(i->code) == BPF_TAX) X = A; else A = X; break;
        default: return ~0u;
        }
        if (pc >= n)
            return ~0u;
    }
    return ~0u;
}

static uint32_t rnd(void)
{
    static uint32_t x = 2463534242u;
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    return x;
}

static unsigned ipv4(uint8_t *b, uint32_t src, uint32_t dst, uint8_t proto, unsigned ihl_words)
{
    memset(b, 0, 60);
    b[0] = (uint8_t)(0x40 | ihl_words);
    b[8] = 64;
    b[9] = proto;
    s46_put32(b + 12, src);
    s46_put32(b + 16, dst);
    unsigned ihl = ihl_words * 4, len = ihl + 20;
    s46_put16(b + 2, (uint16_t)len);
    return len;
}

TEST(lan_spread_matches_endpoint_steering)
{
    struct sock_filter f[S46_FANOUT_MAX_INSNS];
    static const uint8_t protos[] = {6, 17, 1, 1, 1, 47};
    static const uint8_t icmp_types[] = {8, 0, 13, 3}; /* queries, an error */
    for (unsigned q = 2; q <= 9; q++) {
        unsigned n = s46_fanout_prog(S46_SPREAD_NAPT_OUT, q, f);
        CHECK(n > 0 && n <= S46_FANOUT_MAX_INSNS);
        unsigned used[9] = {0};
        for (int k = 0; k < 3000; k++) {
            uint8_t b[80];
            uint8_t proto = protos[rnd() % sizeof protos];
            /* one LAN host for a third of them: its flows must spread */
            uint32_t src = k % 3 ? rnd() : 0xc0a80002u;
            unsigned len = ipv4(b, src, rnd(), proto, 5 + (rnd() % 4 == 0 ? 1 : 0));
            unsigned ihl = (b[0] & 15u) * 4;
            s46_put32(b + ihl, rnd());
            s46_put32(b + ihl + 4, rnd());
            bool frag = rnd() % 8 == 0;
            if (proto == 1)
                b[ihl] = icmp_types[rnd() % sizeof icmp_types];
            if (frag)
                s46_put16(b + 6, (uint16_t)(rnd() % 2 ? 0x2000 : 0x0010));
            b[10] = b[11] = 0;
            s46_put16(b + 10, s46_csum_fold(s46_csum_add(0, b, ihl)));
            skb s = {b, len, ETH_P_IP, rnd()};
            s46_pkt p = {.data = b, .len = len};
            uint32_t got = run(f, n, &s);
            CHECK_INT(got, s46_fanout_pick(S46_SPREAD_NAPT_OUT, b, len, q));
            /* the steering agrees but where it looks further: a fragment
             * (by datagram), an ICMP error (by its quote) */
            bool error = proto == 1 && b[ihl] == 3;
            if (!frag && !error)
                CHECK_INT(got, s46_steer_ce(&p, 0, q, 99));
            if (src == 0xc0a80002u && !frag && proto != 47 && !error)
                used[got]++;
        }
        for (unsigned w = 0; w < q; w++)
            CHECK(used[w] > 0); /* one host's flows on every worker */
        /* not IPv4: by flow (the addresses) */
        uint8_t b6[40] = {0x60};
        for (int i = 8; i < 40; i++)
            b6[i] = (uint8_t)rnd();
        skb s6 = {b6, 40, ETH_P_IPV6, 12345};
        CHECK_INT(run(f, n, &s6), s46_fanout_flow(b6, 40, q));
    }
}

TEST(wan_spread_matches_napt_steering)
{
    struct sock_filter f[S46_FANOUT_MAX_INSNS];
    static const unsigned qs[] = {2, 3, 4, 6, 8, 12, 64};
    for (unsigned qi = 0; qi < sizeof qs / sizeof qs[0]; qi++) {
        unsigned q = qs[qi];
        unsigned n = s46_fanout_prog(S46_SPREAD_NAPT_IN, q, f);
        CHECK(n > 0 && n <= S46_FANOUT_MAX_INSNS);
        for (int k = 0; k < 3000; k++) {
            uint8_t b[40 + 80];
            memset(b, 0, 40);
            b[0] = 0x60;
            b[6] = 4;
            b[7] = 64;
            unsigned kind = rnd() % 4, ihl = 5 + (rnd() % 2) * 2;
            uint8_t proto = kind == 0 ? 6 : kind == 1 ? 17 : 1;
            unsigned l4 = ipv4(b + 40, rnd(), rnd(), proto, ihl);
            uint8_t *t = b + 40 + ihl * 4;
            uint16_t port = (uint16_t)rnd();
            if (proto == 1) {
                t[0] = kind == 2 ? 0 : 8; /* echo reply, or a request (falls back) */
                s46_put16(t + 4, port);
            } else {
                s46_put16(t + 2, port);
            }
            s46_put16(b + 4, (uint16_t)l4);
            /* a valid IPv4 header checksum for the C parser */
            s46_put16(b + 50, 0);
            s46_put16(b + 50, s46_csum_fold(s46_csum_add(0, b + 40, ihl * 4)));
            uint32_t rx = rnd();
            skb s = {b, 40 + l4, ETH_P_IPV6, rx};
            s46_pkt p = {.data = b, .len = 40 + l4};
            uint32_t got = run(f, n, &s);
            CHECK_INT(got, s46_fanout_pick(S46_SPREAD_NAPT_IN, b, 40 + l4, q));
            if (kind == 3) /* echo request: the program spreads it by flow */
                CHECK_INT(got, s46_fanout_flow(b, 40 + l4, q));
            else
                CHECK_INT(got, s46_steer_ce(&p, 1, q, 99));
        }
        /* an outer fragment and a plain IPv6 packet: by flow */
        uint8_t b[48] = {0x60};
        b[6] = 44;
        for (int i = 8; i < 40; i++)
            b[i] = (uint8_t)rnd();
        skb s = {b, 48, ETH_P_IPV6, 777};
        CHECK_INT(run(f, n, &s), s46_fanout_flow(b, 48, q));
    }
}

TEST(flow_spread_hashes_addresses_and_ports)
{
    struct sock_filter f[S46_FANOUT_MAX_INSNS];
    unsigned hits[5] = {0};
    for (unsigned q = 1; q <= 5; q++) {
        unsigned n = s46_fanout_prog(S46_SPREAD_FLOW, q, f);
        for (int k = 0; k < 1000; k++) {
            uint8_t b[80];
            unsigned len = ipv4(b, rnd(), rnd(), k % 3 ? 17 : 6, 5 + (k & 1) * 3);
            s46_put32(b + (b[0] & 15) * 4, rnd()); /* ports */
            if (k % 7 == 0)
                s46_put16(b + 6, 0x2000); /* a first fragment: no ports */
            skb s = {b, len, ETH_P_IP, 0};
            uint32_t got = run(f, n, &s);
            CHECK_INT(got, s46_fanout_flow(b, len, q));
            if (q == 5)
                hits[got % 5]++;
        }
        skb arp = {(const uint8_t *)"", 0, ETH_P_ARP, 0};
        CHECK_INT(run(f, n, &arp), 0);
    }
    for (int i = 0; i < 5; i++) /* spread over every queue */
        CHECK(hits[i] > 120);
}

T_MAIN(T_CASE(lan_spread_matches_endpoint_steering), T_CASE(wan_spread_matches_napt_steering),
       T_CASE(flow_spread_hashes_addresses_and_ports))
