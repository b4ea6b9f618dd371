#include "io/fanout.h"

#include <linux/if_ether.h>

#define NET(k) ((unsigned)(SKF_NET_OFF + (k)))

/* Appends one instruction. */
#define I(code, k) (f[n++] = (struct sock_filter)BPF_STMT((code), (unsigned)(k)))
#define J(code, k, jt, jf) (f[n++] = (struct sock_filter)BPF_JUMP((code), (unsigned)(k), (jt), (jf)))

/* The kernel's flow hash modulo q, at index `at` of f; returns the length. */
static unsigned by_flow(struct sock_filter *f, unsigned n, unsigned q)
{
    I(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_RXHASH);
    I(BPF_ALU | BPF_MOD | BPF_K, q);
    I(BPF_RET | BPF_A, 0);
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

unsigned s46_fanout_prog(s46_spread how, unsigned q, struct sock_filter *f)
{
    unsigned n = 0;
    if (q < 1)
        q = 1;
    if (how == S46_SPREAD_V4_SRC) {
        /* IPv4: FNV-1a over the 4 source address bytes, (h ^ h >> 16) % q */
        I(BPF_LD | BPF_H | BPF_ABS, SKF_AD_OFF + SKF_AD_PROTOCOL);
        J(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 0); /* 1: else the flow hash */
        I(BPF_LD | BPF_IMM, 2166136261u);
        for (unsigned i = 0; i < 4; i++) {
            I(BPF_MISC | BPF_TAX, 0);
            I(BPF_LD | BPF_B | BPF_ABS, NET(12 + i));
            I(BPF_ALU | BPF_XOR | BPF_X, 0);
            I(BPF_ALU | BPF_MUL | BPF_K, 16777619u);
        }
        I(BPF_MISC | BPF_TAX, 0);
        I(BPF_ALU | BPF_RSH | BPF_K, 16);
        I(BPF_ALU | BPF_XOR | BPF_X, 0);
        I(BPF_ALU | BPF_MOD | BPF_K, q);
        I(BPF_RET | BPF_A, 0);
        f[1].jf = (unsigned char)(n - 2);
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
