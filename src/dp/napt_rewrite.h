/* NAPT44 applied to packets: the header rewriting a CE does around the
 * state kept by lib/napt.h, shared by the CE data planes.
 *  - TCP/UDP ports and ICMP query identifiers are ports (RFC 5508 REQ-1);
 *  - an ICMP error has the packet it quotes translated too (RFC 5508
 *    REQ-3/4): outbound, a LAN host's error about an inbound packet; inbound,
 *    an error about one of our outbound flows. Lookups for errors neither
 *    create nor refresh state (RFC 5508 REQ-6).
 * Every checksum is updated incrementally (RFC 1624), also in a truncated
 * quote (what lies outside it is left alone), except the ICMP checksum of
 * a translated error, which is recomputed over the message. */
#ifndef S46_DP_NAPT_REWRITE_H
#define S46_DP_NAPT_REWRITE_H
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "lib/csum.h"
#include "lib/napt.h"
#include "lib/parse.h"

struct s46_quote;

/* S46_NAPT_TCP/UDP/ICMP for an IP protocol number, -1 for any other. */
int s46_napt_proto_of(uint8_t ip_proto);

/* Rewrites the source (src) or destination address of the IPv4 header at
 * ip and, with port_too, the matching transport port (ICMP query: the
 * identifier). l3 may describe a truncated quote. */
void s46_napt_rewrite(uint8_t *ip, const s46_l3 *l3, bool src, uint32_t addr, bool port_too,
                      uint16_t port);
/* The same, inline, with ttl_dec the TTL decremented too (the caller saw
 * it above 1): each checksum updated once for all the changes (RFC 1624,
 * on native words; the bytes the changes made in turn leave). whole (a
 * constant, so that the checks fold away): the caller knows the packet
 * unfragmented, without options, its transport header all there. */
static inline __attribute__((always_inline)) void
s46_napt_rewrite_ttl(uint8_t *ip, const s46_l3 *l3, bool src, uint32_t addr, bool port_too,
                     uint16_t port, bool ttl_dec, bool whole)
{
    uint8_t *a = ip + (src ? 12 : 16);
    uint8_t *l4 = ip + (whole ? 20 : l3->l3_len);
    size_t n = whole ? SIZE_MAX : l3->l4_len;
    uint32_t na = htonl(addr); /* as in the packet */
    uint16_t np = htons(port);
    uint32_t da = s46_csum_delta32(s46_ld32(a), na);
    if (whole || l3->first_fragment) {
        if (l3->proto == S46_PROTO_TCP || l3->proto == S46_PROTO_UDP) {
            bool tcp = l3->proto == S46_PROTO_TCP;
            unsigned at = tcp ? 16 : 6; /* the checksum */
            uint8_t *pp = l4 + (src ? 0 : 2);
            uint32_t d = da;
            if (port_too && n >= 4) {
                d += s46_csum_delta16(s46_ld16(pp), np);
                memcpy(pp, &np, 2);
            }
            if (n >= at + 2u) {
                if (tcp)
                    s46_csum_apply(l4 + at, d);
                else
                    s46_csum_apply_udp(l4 + at, d);
            }
        } else if (l3->proto == S46_PROTO_ICMP && port_too && n >= 6) {
            if (n >= 8)
                s46_csum_apply(l4 + 2, s46_csum_delta16(s46_ld16(l4 + 4), np));
            memcpy(l4 + 4, &np, 2);
        }
    }
    if (ttl_dec) {
        uint16_t o = s46_ld16(ip + 8);
        ip[8]--;
        da += s46_csum_delta16(o, s46_ld16(ip + 8));
    }
    s46_csum_apply(ip + 10, da);
    memcpy(a, &na, 4);
}

/* The IPv4 packet an ICMP error quotes, usable for translation: a first
 * fragment with its ports (TCP, UDP, an ICMP query). */
bool s46_nx_quoted(uint8_t *ip, const s46_l3 *l3, struct s46_quote *q);
/* A translated ICMP error: its checksum covers the quote; recomputed. */
void s46_nx_icmp_recompute(uint8_t *ip, const s46_l3 *l3);

typedef enum s46_nx_result {
    S46_NX_OK = 0,
    S46_NX_UNSUPPORTED,     /* out: neither TCP, UDP, ICMP echo request nor error */
    S46_NX_ICMP_NO_MAPPING, /* out: an ICMP error about no flow of ours */
    S46_NX_NO_PORT,         /* out: every port of the set in use */
    S46_NX_TABLE_FULL,      /* out: mapping or session table full */
    S46_NX_MALFORMED,       /* in: a fragment, no ports, or ICMP that is neither
                               echo reply nor error */
    S46_NX_PORT_NOT_MINE,   /* in: destination port (error: quoted source
                               address or port) not ours */
    S46_NX_NO_MAPPING,      /* in: no mapping, or no room for a session */
    S46_NX_FILTERED,        /* in: refused by the filtering behaviour */
} s46_nx_result;

/* The drop reason of each outcome but S46_NX_OK, as an array initializer,
 * for a pipeline whose counters (enum prefix P) name them as the CEs do. */
#define S46_NX_DROP_REASONS(P)                                        \
    {                                                                 \
        [S46_NX_UNSUPPORTED] = P##drop_lan_unsupported_proto,         \
        [S46_NX_ICMP_NO_MAPPING] = P##drop_lan_icmp_no_mapping,       \
        [S46_NX_NO_PORT] = P##drop_napt_no_port,                      \
        [S46_NX_TABLE_FULL] = P##drop_napt_table_full,                \
        [S46_NX_MALFORMED] = P##drop_inner_malformed,                 \
        [S46_NX_PORT_NOT_MINE] = P##drop_inner_port_not_mine,         \
        [S46_NX_NO_MAPPING] = P##drop_napt_no_mapping,                \
        [S46_NX_FILTERED] = P##drop_napt_filtered,                    \
    }

/* What an outbound translation found out. */
typedef struct s46_nx_out {
    uint32_t dst;       /* where the packet goes (an error: the quoted source) */
    uint16_t dport;
    uint16_t ext_port;  /* the flow's external port (not for errors) */
    bool error;         /* it was an ICMP error */
    bool created;       /* a new mapping was made */
} s46_nx_out;

/* A LAN packet (parsed into l3, with ports): its source becomes ext and the
 * mapped port, or, an ICMP error, its quote gets back our address and port. */
s46_nx_result s46_napt_xlate_out(s46_napt *n, uint32_t ext, uint8_t *ip, const s46_l3 *l3,
                                 uint32_t now, s46_nx_out *o);
/* Hairpinning (RFC 4787 REQ-9, RFC 5382 REQ-8): after s46_napt_xlate_out
 * of a flow (not an error) to ext itself at a port of the set, sends it to
 * the internal endpoint mapped there, as if it had come in from outside.
 * S46_NX_NO_MAPPING when that is refused. */
s46_nx_result s46_napt_xlate_hairpin(s46_napt *n, uint32_t ext, uint8_t *ip, const s46_l3 *l3,
                                     const s46_nx_out *o, uint32_t now);
/* A packet to our address from outside (decapsulated, parsed into l3): its destination becomes the internal
 * endpoint, or, an ICMP error, its quote's source does. Ports outside the
 * set (psid_offset, psid_len, psid) are refused first. */
s46_nx_result s46_napt_xlate_in(s46_napt *n, uint8_t psid_offset, uint8_t psid_len,
                                uint16_t psid, uint8_t *ip, const s46_l3 *l3, uint32_t now);
#endif
