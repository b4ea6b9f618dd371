/* The stateless IP/ICMP translator (RFC 7915, SIIT): an IPv4 packet into
 * an IPv6 one and back, in place in its packet buffer (the headroom takes
 * the 20 more bytes of an IPv6 header, 40 for an ICMP error with its quote),
 * nothing allocated. Pure library code: no I/O, no counters; the result
 * names what happened and, for a packet that earns an ICMP error, which one
 * (type, code, word) the caller may send about the packet, left untouched.
 * Section numbers below are RFC 7915's.
 *
 * What it does (§4 for 4->6, §5 for 6->4):
 *  - headers: TOS <-> traffic class (or 0), TTL <-> hop limit (decremented
 *    when the translator is the router hop; an expiring one is returned as
 *    S46_XR_TTL before anything changes), flow label 0, protocol 1 <-> 58;
 *    IPv4 options dropped (an unexpired source route refuses the packet,
 *    ICMPv4 3/5, §4.1); IPv6 Hop-by-Hop, Destination Options and Routing
 *    headers with no segments left skipped (segments left: ICMPv6 4/0
 *    pointing at the field, §5.1); an extension header right after the
 *    Fragment header refuses the packet (MALFORMED, §5.1). An IPv4 fragment
 *    gets a Fragment header (id = IPv4 id, offset, M = MF), an IPv6
 *    Fragment header becomes the IPv4 id (low 16 bits), offset and MF with
 *    DF clear (§5.1.1); an unfragmented IPv6 packet gets DF only when it is
 *    over 1260 bytes as IPv4, and always an id from a counter (next_id, the
 *    translator's identification generator, §5.1). IGMP is not translated
 *    (§4.2, ICMP_TYPE). An illegal source (IPv4 0/8, 127/8, 224/3 outside
 *    ICMP errors, §4.1; IPv6 ::, ::1, ff00::/8, §5.1) is NO_MAPPING.
 *  - sizes (§4, §4.1, §5): 4->6 with DF clear beyond the lowest IPv6 MTU
 *    (lowest_mtu6, 1280 unless set higher) or beyond mtu6: translated and
 *    frag_after set (the caller cuts IPv6 fragments of at most frag_mtu
 *    bytes, id = IPv4 id; an IPv4 fragment is cut into smaller ones); DF
 *    set beyond mtu6: S46_XR_TOO_BIG (ICMPv4 3/4 with mtu6 - 20, - 28 for
 *    a fragment, which takes a Fragment header). 6->4
 *    beyond mtu4: DF clear (up to 1260 bytes or a fragment): translated,
 *    frag_after (the caller cuts IPv4 fragments of frag_mtu = mtu4); DF set:
 *    S46_XR_TOO_BIG (ICMPv6 2/0 with mtu4 + 20, never below 1280).
 *  - transport: TCP and UDP checksums updated incrementally (RFC 1624) for
 *    the pseudo-header's addresses; an IPv4 UDP checksum of zero is
 *    computed over the whole datagram (unfragmented, udp_zero_drop false)
 *    or refused (S46_XR_UDP_ZERO, §4.5); an IPv6 UDP checksum of zero is
 *    refused. ICMP echo <-> ICMPv6 echo: type and pseudo-header changed
 *    incrementally. ICMP fragments are refused (S46_XR_ICMP_FRAGMENT: the
 *    checksum covers a length not here; a pipeline reassembles them first).
 *  - ICMP errors: types and codes by §4.2 and §5.2 (xlat_icmp.c), the
 *    quoted packet translated the same way (addresses, lengths as quoted,
 *    TTL kept, its transport checksum incrementally when the bytes are
 *    there); a quote that is itself an ICMP error (or an ICMP type with no
 *    translation) refuses the packet (QUOTE, §4.3, §5.3: translation stops
 *    at the first embedded header); Packet Too Big / Fragmentation Needed
 *    MTUs adjusted for the header sizes and both next hops (a zero IPv4 MTU:
 *    RFC 1191 plateau; an IPv6 MTU never below 1280, §5); the error's
 *    checksum recomputed; ICMPv6 errors cut at 1280 bytes, ICMPv4 ones at
 *    mtu4. Others (informational, redirect, source quench, ...)
 *    S46_XR_ICMP_TYPE.
 *  - addresses: by the caller's map (to6/to4): SIIT's is EAM then RFC 6052
 *    (xlat_map.h). An ICMPv6 error from an address with no IPv4 mapping
 *    takes rfc6791_src (RFC 6791) when set. */
#ifndef S46_XLAT_H
#define S46_XLAT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/pkt.h"

#define S46_XLAT_RESULTS(X) \
    X(OK, "translated") \
    X(MALFORMED, "headers that do not parse, or an extension header after the Fragment header") \
    X(TTL, "TTL or hop limit expiring here (Time Exceeded may be sent)") \
    X(TOO_BIG, "too big for the next hop and not to be fragmented (Packet Too Big / Fragmentation Needed may be sent)") \
    X(SRC_ROUTE, "IPv4 with an unexpired source route option (ICMPv4 3/5 may be sent)") \
    X(SEG_LEFT, "IPv6 Routing header with segments left (ICMPv6 4/0 may be sent)") \
    X(NO_MAPPING, "source or destination address with no translation, or an illegal source") \
    X(ICMP_TYPE, "ICMP type or code with no translation (informational, redirect, ...), or IGMP") \
    X(ICMP_FRAGMENT, "fragmented ICMP, whose checksum covers bytes not here") \
    X(QUOTE, "ICMP error whose quoted packet cannot be translated (or is an ICMP error itself)") \
    X(UDP_ZERO, "UDP with a zero checksum that may not be translated") \
    X(NO_ROOM, "not enough headroom for the longer headers")

#define S46_XR_ENUM(n, d) S46_XR_##n,
typedef enum s46_xlat_res { S46_XLAT_RESULTS(S46_XR_ENUM) S46_XR_N } s46_xlat_res;
#undef S46_XR_ENUM

typedef struct s46_xlat {
    /* The address map: false when an address has no translation. */
    bool (*to6)(const void *arg, uint32_t a4, s46_ip6 *out);
    bool (*to4)(const void *arg, const s46_ip6 *a6, uint32_t *out);
    const void *arg;
    uint32_t rfc6791_src;  /* source of ICMPv4 errors translated from an
                              unmappable IPv6 source; 0: such errors refused */
    uint16_t mtu4, mtu6;   /* the next hops' MTUs */
    bool tos_zero;         /* traffic class / TOS set to 0 instead of copied */
    bool udp_zero_drop;    /* refuse unfragmented IPv4 UDP with checksum 0 */
    bool ttl_decrement;    /* be the router hop */
    uint16_t next_id;      /* IPv4 id of the next unfragmented packet */
    uint16_t lowest_mtu6;  /* the lowest IPv6 MTU of the network: IPv4 with
                              DF clear becomes IPv6 fragments no larger
                              (§4.1); below 1280 (0 too): 1280 (s46_xlat_lowest6) */
    /* Fixed pairs for the packet about to be translated, set by the caller
     * before each call (NULL: none). Its source (fix_src6/fix_src4) and its
     * destination (fix_dst6/fix_dst4) are translated by the pair instead of
     * the map when the address is the pair's (4->6: the IPv4 one, 6->4 the
     * IPv6 one); in a quote the roles swap (its source is the packet's
     * destination). MAP-T: the MAP address of a CE, which depends on the
     * port and so is no function of the address alone. */
    const s46_ip6 *fix_src6, *fix_dst6;
    uint32_t fix_src4, fix_dst4;
} s46_xlat;

/* What the caller may send when a packet is refused, and how to send one
 * that was translated. */
typedef struct s46_xlat_info {
    uint8_t type, code;    /* TTL, TOO_BIG, SRC_ROUTE, SEG_LEFT: the ICMP
                              error (ICMPv4 for 4->6, ICMPv6 for 6->4) */
    uint32_t extra;        /* its word: MTU or pointer */
    bool frag_after;       /* OK, but to be cut into fragments ... */
    uint16_t frag_mtu;     /* ... of at most this many bytes each (4->6:
                              IPv6 packets; 6->4: IPv4, by s46_frag4) */
    uint32_t frag_id;      /* 4->6: their identification */
} s46_xlat_info;

/* Sensible defaults: MTUs 1500, lowest IPv6 MTU 1280, TOS copied, UDP
 * zero checksums computed, TTL decremented; no map (set to6/to4/arg). */
void s46_xlat_default(s46_xlat *x);
/* The IPv4 packet in p (whole: p->len is its total length) into IPv6. */
s46_xlat_res s46_xlat_4to6(s46_xlat *x, s46_pkt *p, s46_xlat_info *info);
/* The IPv6 packet in p (p->len = 40 + payload length) into IPv4. */
s46_xlat_res s46_xlat_6to4(s46_xlat *x, s46_pkt *p, s46_xlat_info *info);
const char *s46_xlat_res_name(s46_xlat_res r);

/* The ICMP tables (xlat_icmp.c): type, code and the word after the
 * checksum of an ICMPv4 error into ICMPv6 (false: not translated).
 * quoted_len: the quoted packet's total length (for the plateau). */
bool s46_xlat_icmp4to6(const s46_xlat *x, uint8_t t, uint8_t c, uint32_t word,
                       uint16_t quoted_len, uint8_t *t6, uint8_t *c6, uint32_t *word6);
/* quoted_frag: the quoted IPv6 packet has a Fragment header. */
bool s46_xlat_icmp6to4(const s46_xlat *x, uint8_t t, uint8_t c, uint32_t word, bool quoted_frag,
                       uint8_t *t4, uint8_t *c4, uint32_t *word4);
/* The IPv4 options o (len bytes) hold an unexpired loose or strict source
 * route (what s46_xlat_4to6 refuses as S46_XR_SRC_ROUTE): a pipeline that
 * must answer before it rewrites the source (a NAPT in front) asks first. */
bool s46_xlat_source_route(const uint8_t *o, size_t len);
/* Parameter problem pointers (RFC 7915 §4.2, §5.2); -1: none. */
int s46_xlat_ptr4to6(unsigned p4);
int s46_xlat_ptr6to4(unsigned p6);
/* The lowest IPv6 MTU in force (lowest_mtu6, at least 1280). */
static inline unsigned s46_xlat_lowest6(const s46_xlat *x)
{
    return x->lowest_mtu6 > 1280 ? x->lowest_mtu6 : 1280;
}
#endif
