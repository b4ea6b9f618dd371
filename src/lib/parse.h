/* Bounds-checked parsing of IPv4 and IPv6 packets: never reads past len.
 * Results are offsets into the packet plus the few fields the data planes
 * need. A negative return is a s46_parse_err naming what was wrong. */
#ifndef S46_PARSE_H
#define S46_PARSE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { S46_PROTO_ICMP = 1, S46_PROTO_IPIP = 4, S46_PROTO_TCP = 6, S46_PROTO_UDP = 17,
       S46_PROTO_IPV6 = 41, S46_PROTO_FRAG = 44, S46_PROTO_ICMPV6 = 58, S46_PROTO_NONE = 59,
       S46_PROTO_DSTOPT = 60, S46_PROTO_HOPOPT = 0, S46_PROTO_ROUTING = 43 };

typedef enum s46_parse_err {
    S46_PERR_SHORT = -1,       /* shorter than its headers say */
    S46_PERR_VERSION = -2,
    S46_PERR_HDRLEN = -3,      /* IHL < 5, or total length < header */
    S46_PERR_CSUM = -4,        /* IPv4 header checksum */
    S46_PERR_EXTHDR = -5,      /* malformed or too many extension headers */
} s46_parse_err;

typedef struct s46_l3 {
    uint16_t l3_len;      /* IP header(s) incl. IPv6 extension headers */
    uint16_t l4_len;      /* bytes after l3_len up to the IP total length */
    uint8_t proto;        /* upper-layer protocol */
    uint8_t ttl;          /* TTL / hop limit */
    bool is_fragment;     /* IPv4 MF or offset != 0; IPv6 Fragment header */
    bool first_fragment;  /* offset 0 (a non-fragment counts as first) */
    bool df;              /* IPv4 DF */
    uint16_t frag_off;    /* fragment offset in bytes */
    uint16_t frag_hdr;    /* IPv6: offset of the Fragment header, else 0 */
    int16_t encap_limit;  /* IPv6: Tunnel Encapsulation Limit option, -1 if absent */
    uint16_t rh_off;      /* IPv6: offset of the first Routing header whose
                             Segments Left is not 0 (one this node would have
                             to act on, RFC 5095 §3), else 0 */
    /* Transport, valid when has_ports (first fragment with enough bytes):
     * TCP/UDP ports; ICMP/ICMPv6 echo: id in both sport and dport. Without
     * them, ports and ICMP type and code are 0. */
    bool has_ports;
    uint16_t sport, dport;
    uint8_t icmp_type, icmp_code, tcp_flags;
} s46_l3;

/* IPv4: checks version, IHL, total length (trailing bytes beyond it are
 * ignored: l4_len stops at the total length), the header checksum. */
int s46_parse_ipv4(const uint8_t *p, size_t len, s46_l3 *out);
/* IPv6: walks Hop-by-Hop, Routing, Fragment and Destination Options headers
 * (at most 8, each inside the packet). */
int s46_parse_ipv6(const uint8_t *p, size_t len, s46_l3 *out);
/* The IPv4 header fields of o at p: protocol, TTL, DF, fragment fields. */
static inline __attribute__((always_inline)) void s46_parse_ipv4_fields(const uint8_t *p,
                                                                        s46_l3 *o)
{
    uint16_t ff = (uint16_t)(p[6] << 8 | p[7]);
    o->proto = p[9];
    o->ttl = p[8];
    o->df = ff & 0x4000;
    o->frag_off = (uint16_t)((ff & 0x1fff) * 8);
    o->is_fragment = (ff & 0x2000) || o->frag_off;
    o->first_fragment = o->frag_off == 0;
}

/* The transport fields of o (proto and first_fragment set) from the avail
 * bytes at p. A whole packet: TCP needs its 20-byte header, UDP its 8, ICMP
 * its 8. A quote in an ICMP error (quote true) is usually cut short: TCP
 * and UDP ports from 4 bytes, TCP flags from 14; the ICMP type from 1 byte,
 * the code from 2, the identifier from 8 (has_ports only then). */
static inline __attribute__((always_inline)) void s46_parse_l4(const uint8_t *p, size_t avail,
                                                               bool quote, s46_l3 *o)
{
    o->has_ports = false;
    /* defined, not stale, when there are none: 0 */
    o->sport = o->dport = 0;
    o->icmp_type = o->icmp_code = 0;
    if (!o->first_fragment)
        return;
    switch (o->proto) {
    case S46_PROTO_TCP:
        if (avail >= (quote ? 14u : 20u))
            o->tcp_flags = p[13];
        else if (!quote)
            return;
        /* fall through */
    case S46_PROTO_UDP:
        if (avail < (quote ? 4u : 8u))
            return;
        o->sport = (uint16_t)(p[0] << 8 | p[1]);
        o->dport = (uint16_t)(p[2] << 8 | p[3]);
        o->has_ports = true;
        return;
    case S46_PROTO_ICMP:
    case S46_PROTO_ICMPV6:
        if (quote && avail >= 1)
            o->icmp_type = p[0];
        if (quote && avail >= 2)
            o->icmp_code = p[1];
        if (avail < 8)
            return;
        o->icmp_type = p[0];
        o->icmp_code = p[1];
        o->sport = o->dport = (uint16_t)(p[4] << 8 | p[5]); /* identifier for queries */
        o->has_ports = true;
        return;
    default:
        return;
    }
}

/* ICMP error types that quote the offending packet. */
bool s46_icmp4_is_error(uint8_t type);
/* ICMPv4 queries that carry an identifier (bytes 4-5): echo and timestamp,
 * request and reply (RFC 792). */
bool s46_icmp4_has_id(uint8_t type);
bool s46_icmp6_is_error(uint8_t type);
const char *s46_parse_strerror(int err);
#endif
