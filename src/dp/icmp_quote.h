/* The packet an ICMP error quotes, parsed as far as the quote goes: the one
 * parser every data plane uses (the BR mapping an error to its CE and
 * checking a CE's errors, the NAPT translating a quote, the tunnel relay).
 * A quote is usually cut short (RFC 792: the header and 8 bytes; RFC 1812
 * §4.3.2.3: up to 576 bytes in all; RFC 4443 §2.4: up to 1280), so nothing
 * here needs the whole packet; nothing reads past the error's own bytes.
 * What a quote must hold beyond its IP header is the caller's rule: l3.l4_len
 * says how many bytes follow the header, has_ports whether the ports are
 * there. */
#ifndef S46_DP_ICMP_QUOTE_H
#define S46_DP_ICMP_QUOTE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/parse.h"

typedef struct s46_quote {
    uint8_t *ip;  /* the quoted IP header, inside the error */
    size_t len;   /* its bytes present: the quote, at most its total length */
    /* As s46_parse_*: l3_len the IP header (IPv6: with its extension
     * headers), l4_len the bytes after it within len, proto, ttl, df,
     * is_fragment, first_fragment, frag_off, frag_hdr. In a first fragment:
     * TCP/UDP ports (has_ports) from 4 bytes on, tcp_flags from 14; ICMP and
     * ICMPv6 icmp_type from 1 byte, icmp_code from 2, the identifier in
     * sport and dport (has_ports, whatever the type) from 8. No checksum is
     * checked (a quote's may be of a packet rewritten on its way). */
    s46_l3 l3;
} s46_quote;

/* Parses the IP packet at p of which avail bytes are present. false when it
 * is neither IPv4 nor IPv6 or its header is cut short (IPv4: IHL below 20
 * or beyond avail; IPv6: 40 bytes, and every extension header in front of
 * the upper layer of a first fragment). */
bool s46_quote_parse(uint8_t *p, size_t avail, s46_quote *q);
/* The packet quoted by the ICMPv4 or ICMPv6 message at ip (parsed into l3):
 * false when l3 is not ICMP of ip's version with its 8-byte header, or the
 * quote is not a packet of that same version (s46_quote_parse). The type of
 * the message is not looked at. */
bool s46_icmp_quote(uint8_t *ip, const s46_l3 *l3, s46_quote *q);
/* The IPv4 packet inside the quoted IPv4-in-IPv6 packet outer (protocol 4,
 * a first fragment, after any extension headers). */
bool s46_quote_inner4(const s46_quote *outer, s46_quote *in);
/* May an ICMPv4 error be sent about the quoted IPv4 packet q (the rules of
 * s46_icmp4_may_error)? An ICMP quote must show its type and not be an
 * error. */
bool s46_quote_may_error4(const s46_quote *q);

/* The port that selects the subscriber of an IPv4 packet toward it (the
 * MAP-E BR's CE, the lwAFTR's binding): the destination port, an ICMP
 * query's identifier, for an ICMP error the source port of the quoted
 * packet (which the subscriber sent, and whose source must be the error's
 * destination). false when a protocol that has ports lacks them or the
 * quote is unusable; protocols without ports give l3->dport (0). */
bool s46_dst_port4(uint8_t *ip, const s46_l3 *l3, uint16_t *port);
/* The port of the quoted IPv4 packet q (a packet we sent toward a
 * subscriber, quoted back in an ICMPv6 error) that selected its subscriber,
 * as s46_dst_port4 chose it: TCP/UDP destination port, an ICMP query's
 * identifier, 0 for protocols without ports. false when the quote does not
 * show it (cut short, a non-first fragment) or quotes an ICMP error or an
 * ICMP message without identifier (nothing we would have sent with a port). */
bool s46_quote_dst_port4(const s46_quote *q, uint16_t *port);

/* The mirror for an IPv4 packet from a subscriber (the inner packet at an
 * lwAFTR or BR), the port its port set must hold: the source port, an ICMP
 * query's identifier, for an ICMP error the quoted packet's destination
 * port. What a subscriber with a shared address (a port set) may send is
 * only what has such a port (RFC 7597 §8.2, RFC 7596 §6.2: the port is
 * what tells subscribers of one address apart); the caller drops the rest,
 * but for a subscriber holding a whole address. */
typedef enum s46_sport {
    S46_SP_PORT = 1,       /* *port is the port to check */
    S46_SP_NONE = 0,       /* a non-first fragment: no port in it to check */
    S46_SP_MALFORMED = -1, /* TCP, UDP or ICMP lacking its header */
    S46_SP_NO_QUOTE = -2,  /* an ICMP error whose quote is missing, or too
                              short to show the port, or not of a first
                              fragment, or of a packet without ports */
    S46_SP_PORTLESS = -3,  /* a protocol without ports (GRE, ESP, ...), an
                              ICMP message neither error nor query with an
                              identifier */
} s46_sport;
s46_sport s46_src_port4(uint8_t *ip, const s46_l3 *l3, uint16_t *port);
#endif
