#include "io/fanout.h"

#include "lib/hash.h"
#include "lib/napt.h"

#include <linux/if_ether.h>
#include <stdbool.h>
#include <string.h>

#define NET(k) ((unsigned)(SKF_NET_OFF + (k)))

/* Appends one instruction. */
#define I(code, k) (f[n++] = (struct sock_filter)BPF_STMT((code), (unsigned)(k)))
#define J(code, k, jt, jf) (f[n++] = (struct sock_filter)BPF_JUMP((code), (unsigned)(k), (jt), (jf)))

/* By flow, appended at index n of f; returns the new length. The kernel's
 * own hash (SKF_AD_RXHASH) is 0 where nothing computed it yet (veth), so
 * the program hashes the flow itself: the addresses (IPv4 source ^
 * destination, IPv6 the eight words of both) ^ the TCP/UDP port pair
 * (none for a fragment or an IPv6 extension header: the fragments of a
 * datagram go one way), times 0x9e3779b1, folded, modulo q. Neither IPv4
 * nor IPv6: queue 0. s46_fanout_flow computes the same in C. */
static unsigned by_flow(struct sock_filter *f, unsigned n, unsigned q)
{
    I(BPF_LD | BPF_H | BPF_ABS, SKF_AD_OFF + SKF_AD_PROTOCOL);
    unsigned j_ip = n;
    J(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 0);
    I(BPF_LD | BPF_IMM, 0);
    I(BPF_ST, 1);
    I(BPF_LD | BPF_H | BPF_ABS, NET(6));
    unsigned j_frag = n;
    J(BPF_JMP | BPF_JSET | BPF_K, 0x3fff, 0, 0);
    I(BPF_LD | BPF_B | BPF_ABS, NET(9));
    unsigned j_tcp = n;
    J(BPF_JMP | BPF_JEQ | BPF_K, 6, 0, 0);
    unsigned j_udp = n;
    J(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, 0);
    unsigned ports4 = n;
    I(BPF_LD | BPF_B | BPF_ABS, NET(0));
    I(BPF_ALU | BPF_AND | BPF_K, 0xf);
    I(BPF_ALU | BPF_LSH | BPF_K, 2);
    I(BPF_MISC | BPF_TAX, 0);
    I(BPF_LD | BPF_W | BPF_IND, NET(0));
    I(BPF_ST, 1);
    unsigned addr4 = n;
    I(BPF_LD | BPF_W | BPF_ABS, NET(12));
    I(BPF_MISC | BPF_TAX, 0);
    I(BPF_LD | BPF_W | BPF_ABS, NET(16));
    I(BPF_ALU | BPF_XOR | BPF_X, 0);
    unsigned j_mix = n;
    J(BPF_JMP | BPF_JA, 0, 0, 0);
    unsigned v6 = n;
    J(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 1, 0);
    I(BPF_RET | BPF_K, 0);
    I(BPF_LD | BPF_IMM, 0);
    I(BPF_ST, 1);
    I(BPF_LD | BPF_B | BPF_ABS, NET(6));
    unsigned j6_tcp = n;
    J(BPF_JMP | BPF_JEQ | BPF_K, 6, 0, 0);
    unsigned j6_udp = n;
    J(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, 0);
    unsigned ports6 = n;
    I(BPF_LD | BPF_W | BPF_ABS, NET(40));
    I(BPF_ST, 1);
    unsigned addr6 = n;
    I(BPF_LD | BPF_W | BPF_ABS, NET(8));
    for (unsigned w = 1; w < 8; w++) {
        I(BPF_MISC | BPF_TAX, 0);
        I(BPF_LD | BPF_W | BPF_ABS, NET(8 + 4 * w));
        I(BPF_ALU | BPF_XOR | BPF_X, 0);
    }
    unsigned mix = n;
    I(BPF_MISC | BPF_TAX, 0);
    I(BPF_LD | BPF_MEM, 1);
    I(BPF_ALU | BPF_XOR | BPF_X, 0);
    I(BPF_ALU | BPF_MUL | BPF_K, 0x9e3779b1u);
    I(BPF_MISC | BPF_TAX, 0);
    I(BPF_ALU | BPF_RSH | BPF_K, 16);
    I(BPF_ALU | BPF_XOR | BPF_X, 0);
    I(BPF_ALU | BPF_MOD | BPF_K, q);
    I(BPF_RET | BPF_A, 0);
    /* relative jumps: to target t from instruction i is t - (i + 1) */
    f[j_ip].jf = (unsigned char)(v6 - (j_ip + 1));
    f[j_frag].jt = (unsigned char)(addr4 - (j_frag + 1));
    f[j_tcp].jt = (unsigned char)(ports4 - (j_tcp + 1));
    f[j_udp].jt = (unsigned char)(ports4 - (j_udp + 1));
    f[j_udp].jf = (unsigned char)(addr4 - (j_udp + 1));
    f[j_mix].k = mix - (j_mix + 1);
    f[j6_tcp].jt = (unsigned char)(ports6 - (j6_tcp + 1));
    f[j6_udp].jt = (unsigned char)(ports6 - (j6_udp + 1));
    f[j6_udp].jf = (unsigned char)(addr6 - (j6_udp + 1));
    return n;
}

/* A holds a 16-bit port: A = s46_napt_port_owner(port, q); uses M[0]. */
static unsigned port_owner(struct sock_filter *f, unsigned n, unsigned q)
{
    unsigned e = (unsigned)__builtin_ctz(q), o = q >> e;
    I(BPF_ALU | BPF_RSH | BPF_K, 1); /* y */
    I(BPF_MISC | BPF_TAX, 0);        /* X = y */
    if (e) {
        I(BPF_ALU | BPF_RSH | BPF_K, 15 - e);
        I(BPF_ALU | BPF_XOR | BPF_X, 0);
        I(BPF_ALU | BPF_AND | BPF_K, (1u << e) - 1);
    } else {
        I(BPF_LD | BPF_IMM, 0);
    }
    if (o > 1) {
        I(BPF_ST, 0);                 /* M[0] = r */
        I(BPF_MISC | BPF_TXA, 0);     /* A = y */
        I(BPF_ALU | BPF_RSH | BPF_K, e);
        I(BPF_ALU | BPF_MOD | BPF_K, o);
        I(BPF_ALU | BPF_LSH | BPF_K, e);
        I(BPF_MISC | BPF_TAX, 0);
        I(BPF_LD | BPF_MEM, 0);
        I(BPF_ALU | BPF_OR | BPF_X, 0);
    }
    I(BPF_RET | BPF_A, 0);
    return n;
}

/* A = FNV-1a over the IPv4 source address (4 bytes), as s46_steer_fnv;
 * appended at n; returns the new length. Uses X. */
static unsigned fnv_src4(struct sock_filter *f, unsigned n)
{
    I(BPF_LD | BPF_IMM, 2166136261u);
    for (unsigned i = 0; i < 4; i++) {
        I(BPF_MISC | BPF_TAX, 0);
        I(BPF_LD | BPF_B | BPF_ABS, NET(12 + i));
        I(BPF_ALU | BPF_XOR | BPF_X, 0);
        I(BPF_ALU | BPF_MUL | BPF_K, 16777619u);
    }
    return n;
}

/* Appends: return (A ^ A >> 16) % q, as s46_steer_fnv folds. */
static unsigned fold_ret(struct sock_filter *f, unsigned n, unsigned q)
{
    I(BPF_MISC | BPF_TAX, 0);
    I(BPF_ALU | BPF_RSH | BPF_K, 16);
    I(BPF_ALU | BPF_XOR | BPF_X, 0);
    I(BPF_ALU | BPF_MOD | BPF_K, q);
    I(BPF_RET | BPF_A, 0);
    return n;
}

unsigned s46_fanout_prog(s46_spread how, unsigned q, struct sock_filter *f)
{
    unsigned n = 0;
    if (q < 1)
        q = 1;
    if (how == S46_SPREAD_NAPT_OUT) {
        /* IPv4 not a fragment, TCP, UDP or an ICMP query: FNV-1a over its
         * internal endpoint (source address, protocol, source port or
         * query identifier), (h ^ h >> 16) % q; other IPv4 (fragments,
         * ICMP errors, other protocols) FNV-1a over the source address.
         * Uses M[1] (the port). */
        unsigned j_ip, j_frag, j_tcp, j_udp, j_icmp, j_id, ports, id, src, flow;
        I(BPF_LD | BPF_H | BPF_ABS, SKF_AD_OFF + SKF_AD_PROTOCOL);
        j_ip = n;
        J(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 0);
        I(BPF_LD | BPF_H | BPF_ABS, NET(6));
        j_frag = n;
        J(BPF_JMP | BPF_JSET | BPF_K, 0x3fff, 0, 0);
        I(BPF_LD | BPF_B | BPF_ABS, NET(0));
        I(BPF_ALU | BPF_AND | BPF_K, 0xf);
        I(BPF_ALU | BPF_LSH | BPF_K, 2);
        I(BPF_MISC | BPF_TAX, 0); /* X = IHL */
        I(BPF_LD | BPF_B | BPF_ABS, NET(9));
        j_tcp = n;
        J(BPF_JMP | BPF_JEQ | BPF_K, 6, 0, 0);
        j_udp = n;
        J(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, 0);
        j_icmp = n;
        J(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 0);
        I(BPF_LD | BPF_B | BPF_IND, NET(0)); /* ICMP type: a query's? */
        static const uint8_t query[4] = {0, 8, 13, 14};
        unsigned j_q[4];
        for (unsigned i = 0; i < 4; i++) {
            j_q[i] = n;
            J(BPF_JMP | BPF_JEQ | BPF_K, query[i], 0, 0);
        }
        id = n;
        I(BPF_LD | BPF_H | BPF_IND, NET(4)); /* identifier */
        j_id = n;
        J(BPF_JMP | BPF_JA, 0, 0, 0);
        ports = n;
        I(BPF_LD | BPF_H | BPF_IND, NET(0)); /* source port */
        unsigned store = n;
        I(BPF_ST, 1);
        n = fnv_src4(f, n);
        I(BPF_MISC | BPF_TAX, 0);
        I(BPF_LD | BPF_B | BPF_ABS, NET(9));
        I(BPF_ALU | BPF_XOR | BPF_X, 0);
        I(BPF_ALU | BPF_MUL | BPF_K, 16777619u);
        for (unsigned hi = 1; hi <= 2; hi++) {
            I(BPF_MISC | BPF_TAX, 0);
            I(BPF_LD | BPF_MEM, 1);
            if (hi == 1)
                I(BPF_ALU | BPF_RSH | BPF_K, 8);
            else
                I(BPF_ALU | BPF_AND | BPF_K, 0xff);
            I(BPF_ALU | BPF_XOR | BPF_X, 0);
            I(BPF_ALU | BPF_MUL | BPF_K, 16777619u);
        }
        n = fold_ret(f, n, q);
        src = n;
        n = fold_ret(f, fnv_src4(f, n), q);
        flow = n;
        /* relative jumps: to target t from instruction i is t - (i + 1) */
#define TO(t, i) ((unsigned char)((t) - ((i) + 1)))
        f[j_ip].jf = TO(flow, j_ip);
        f[j_frag].jt = TO(src, j_frag);
        f[j_tcp].jt = TO(ports, j_tcp);
        f[j_udp].jt = TO(ports, j_udp);
        f[j_icmp].jf = TO(src, j_icmp);
        for (unsigned i = 0; i < 4; i++)
            f[j_q[i]].jt = TO(id, j_q[i]);
        f[j_q[3]].jf = TO(src, j_q[3]);
        f[j_id].k = store - (j_id + 1);
#undef TO
        return by_flow(f, n, q);
    }
    if (how == S46_SPREAD_NAPT_IN) {
        /* IPv6 whose next header is IPv4 (no extension header), the inner
         * packet not a fragment: TCP/UDP destination port or echo reply
         * identifier */
        unsigned fb; /* index of the flow-hash fallback, patched below */
        I(BPF_LD | BPF_H | BPF_ABS, SKF_AD_OFF + SKF_AD_PROTOCOL); /* 0 */
        J(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, 0);            /* 1 -> fb */
        I(BPF_LD | BPF_B | BPF_ABS, NET(6));                        /* 2 */
        J(BPF_JMP | BPF_JEQ | BPF_K, 4, 0, 0);                      /* 3 -> fb */
        I(BPF_LD | BPF_H | BPF_ABS, NET(46));                       /* 4 */
        J(BPF_JMP | BPF_JSET | BPF_K, 0x3fff, 0, 0);                /* 5: fragment -> fb */
        f[5].jt = 0; /* patched below */
        I(BPF_LD | BPF_B | BPF_ABS, NET(40));                       /* 6 */
        I(BPF_ALU | BPF_AND | BPF_K, 0xf);                          /* 7 */
        I(BPF_ALU | BPF_LSH | BPF_K, 2);                            /* 8 */
        I(BPF_MISC | BPF_TAX, 0);                                   /* 9: X = IHL */
        I(BPF_LD | BPF_B | BPF_ABS, NET(49));                       /* 10: protocol */
        J(BPF_JMP | BPF_JEQ | BPF_K, 6, 3, 0);                      /* 11: TCP -> 15 */
        J(BPF_JMP | BPF_JEQ | BPF_K, 17, 2, 0);                     /* 12: UDP -> 15 */
        J(BPF_JMP | BPF_JEQ | BPF_K, 1, 3, 0);                      /* 13: ICMP -> 17 */
        J(BPF_JMP | BPF_JA, 0, 0, 0);                               /* 14 -> fb */
        I(BPF_LD | BPF_H | BPF_IND, NET(42));                       /* 15: dport */
        J(BPF_JMP | BPF_JA, 4, 0, 0);                               /* 16 -> 21 */
        I(BPF_LD | BPF_B | BPF_IND, NET(40));                       /* 17: ICMP type */
        J(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 0);                      /* 18: echo reply? else fb */
        I(BPF_LD | BPF_H | BPF_IND, NET(44));                       /* 19: identifier */
        J(BPF_JMP | BPF_JA, 0, 0, 0);                               /* 20 -> 21 */
        n = port_owner(f, n, q);                                    /* 21.. */
        fb = n;
        n = by_flow(f, n, q);
        /* jumps to the fallback: relative to the next instruction */
        f[1].jf = (unsigned char)(fb - 2);
        f[3].jf = (unsigned char)(fb - 4);
        f[5].jt = (unsigned char)(fb - 6);
        f[14].k = fb - 15;
        f[18].jf = (unsigned char)(fb - 19);
        return n;
    }
    return by_flow(f, n, q);
}

static uint32_t w32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

unsigned s46_fanout_flow(const uint8_t *ip, size_t len, unsigned q)
{
    uint32_t a = 0, ports = 0;
    if (len >= 20 && ip[0] >> 4 == 4) {
        unsigned ihl = (ip[0] & 15u) * 4;
        bool frag = ((ip[6] << 8 | ip[7]) & 0x3fff) != 0;
        if (!frag && (ip[9] == 6 || ip[9] == 17) && len >= ihl + 4)
            ports = w32(ip + ihl);
        a = w32(ip + 12) ^ w32(ip + 16);
    } else if (len >= 40 && ip[0] >> 4 == 6) {
        if ((ip[6] == 6 || ip[6] == 17) && len >= 44)
            ports = w32(ip + 40);
        for (unsigned i = 8; i < 40; i += 4)
            a ^= w32(ip + i);
    } else {
        return 0;
    }
    a ^= ports;
    a *= 0x9e3779b1u;
    a ^= a >> 16;
    return q ? a % q : 0;
}

unsigned s46_fanout_pick(s46_spread how, const uint8_t *ip, size_t len, unsigned q)
{
    uint8_t key[7];
    unsigned k;
    if (how == S46_SPREAD_NAPT_OUT && len >= 20 && ip[0] >> 4 == 4) {
        /* an ICMP error (0) by its source address, as the program */
        k = s46_napt_out_key(ip, len, key);
        if (!k)
            memcpy(key, ip + 12, k = 4);
        return s46_steer_fnv(key, k, q);
    }
    if (how == S46_SPREAD_NAPT_IN && len >= 60 && ip[0] >> 4 == 6 && ip[6] == 4 &&
        !((ip[46] << 8 | ip[47]) & 0x3fff)) {
        const uint8_t *in = ip + 40;
        unsigned ihl = (in[0] & 15u) * 4;
        if (len >= 40 + ihl + 6) {
            const uint8_t *l4 = in + ihl;
            if (in[9] == 6 || in[9] == 17)
                return s46_napt_port_owner((uint16_t)(l4[2] << 8 | l4[3]), q);
            if (in[9] == 1 && l4[0] == 0)
                return s46_napt_port_owner((uint16_t)(l4[4] << 8 | l4[5]), q);
        }
    }
    return s46_fanout_flow(ip, len, q);
}
