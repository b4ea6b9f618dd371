/* SIIT-DC (RFC 7755, RFC 7756) and plain SIIT: the stateless translator
 * between an IPv4 Internet side (side 0) and IPv6 (side 1), a composition
 * of the shared stages (dp/stages.h) with translation (stage_xlat.c) as
 * its transport. Addresses map by the Explicit Address Mapping table
 * first (RFC 7757), then by the RFC 6052 prefix pool6.
 *  IPv4 in: parse, echo requests to our IPv4 address answered, ICMP
 *   fragments reassembled, translated (ICMPv4 errors for TTL, too big,
 *   source route from our IPv4 address when set), out to IPv6 (cut into
 *   fragments beyond lowest_ipv6_mtu or ipv6_mtu when DF is clear).
 *  IPv6 in: parse, ICMPv6 fragments reassembled, translated (ICMPv6 errors
 *   for hop limit, too big, segments left from our IPv6 address when set),
 *   out to IPv4 (cut into fragments beyond ipv4_mtu when DF is clear).
 * Stateless but for reassembly: with several workers only fragments are
 * steered (by datagram). */
#ifndef S46_DP_SIIT_H
#define S46_DP_SIIT_H
#include <jansson.h>

#include "lib/counters.h"
#include "lib/pkt.h"
#include "lib/xlat_map.h"

#define S46_SIIT_COUNTERS(X) \
    X(v4_in, "packets received on the IPv4 side") \
    X(v6_in, "packets received on the IPv6 side") \
    X(v4_out, "packets sent on the IPv4 side: translated, echo replies, ICMPv4 errors") \
    X(v6_out, "packets sent on the IPv6 side: translated (each fragment counted), ICMPv6 errors") \
    X(translated4, "IPv4 packets translated into IPv6") \
    X(translated6, "IPv6 packets translated into IPv4") \
    X(echo_replies, "echo requests to the translator's IPv4 address answered") \
    X(icmp_errors_sent, "ICMP errors built by the translator: time exceeded, too big, source route, segments left") \
    X(fragments_held, "ICMP fragments stored for reassembly (each leaves the batch with this reason)") \
    X(reassembled, "ICMP datagrams completed from stored fragments, then translated whole") \
    X(fragmented, "packets cut into fragments: IPv6 ones for the lowest or next-hop IPv6 MTU, IPv4 ones for the IPv4 MTU") \
    X(drop_reassembly_failed, "fragments refused by reassembly: overlapping, inconsistent or too big") \
    X(drop_no_buffer, "packets not fragmented for want of a buffer or room in the batch") \
    X(drop_icmp_ratelimited, "ICMP errors not sent for icmp_rate (the packet is counted under its own reason)") \
    X(drop_v4_malformed, "IPv4 packets that fail parsing (version, lengths, header checksum)") \
    X(drop_v6_malformed, "IPv6 packets that fail parsing (lengths, extension headers)") \
    X(drop_v4_to_self, "packets to the translator's IPv4 address that are not echo requests") \
    X(drop_xlat_malformed, "packets whose headers the translator cannot read, or with an extension header after the Fragment header") \
    X(drop_ttl_expired, "TTL or hop limit expiring at the translator, and no ICMP error sent") \
    X(drop_too_big, "too big for the next hop and not to be fragmented, and no ICMP error sent") \
    X(drop_source_route, "IPv4 with an unexpired source route option, and no ICMPv4 error sent") \
    X(drop_segments_left, "IPv6 with a Routing header with segments left, and no ICMPv6 error sent") \
    X(drop_no_mapping, "untranslatable: an address in neither the EAM table nor pool6, or an illegal source (0/8, 127/8, 224/3; ::, ::1, ff00::/8)") \
    X(drop_icmp_untranslatable, "untranslatable: ICMP type or code without translation (informational, redirect, ...), IGMP") \
    X(drop_icmp_fragment, "untranslatable: ICMP fragments that reassembly did not make whole") \
    X(drop_quote, "untranslatable: ICMP errors whose quoted packet cannot be translated or is an ICMP error itself") \
    X(drop_udp_zero_checksum, "untranslatable: UDP with a zero checksum (fragmented, refused by policy, or IPv6)") \
    X(drop_no_room, "packets without the headroom their longer headers need") \
    X(drop_frag_too_big, "IPv4 fragments too big for the IPv6 MTU that could not be cut smaller") \
    X(drop_unfinished, "packets no stage of the pipeline finished (a bug in the composition: please report)")

#define S46_SIIT_ENUM(n, d) S46_SIIT_##n,
enum s46_siit_counter { S46_SIIT_COUNTERS(S46_SIIT_ENUM) S46_SIIT_NCOUNTERS };
#undef S46_SIIT_ENUM

typedef struct s46_siit_conf {
    s46_siit_map map;        /* EAM table and pool6 (owned by the conf) */
    uint32_t ipv4;           /* answers pings, source of ICMPv4 errors; 0: none */
    s46_ip6 ipv6;            /* source of ICMPv6 errors; ::: none */
    uint32_t rfc6791;        /* RFC 6791 source for untranslatable ICMPv6 error sources; 0: none */
    uint16_t ipv4_mtu, ipv6_mtu; /* next hops (default 1500) */
    uint16_t lowest_ipv6_mtu; /* the IPv6 network's lowest MTU (RFC 7915 §4.1, default 1280) */
    bool tos_zero;           /* traffic class / TOS 0 (default: copied) */
    bool udp_zero_drop;      /* refuse IPv4 UDP with checksum 0 (default: computed) */
    bool ttl_decrement;      /* be the router hop (default on) */
    uint32_t icmp_rate;      /* ICMP errors a second (default 1000; 0: no limit) */
} s46_siit_conf;

typedef struct s46_siit s46_siit;

void s46_siit_conf_default(s46_siit_conf *c);
void s46_siit_conf_free(s46_siit_conf *c);
/* NULL with err. The instance keeps its own copy of the map. */
s46_siit *s46_siit_new(const s46_siit_conf *c, char *err, size_t errlen);
void s46_siit_free(s46_siit *s);
int s46_siit_reconfigure(s46_siit *s, const s46_siit_conf *c, char *err, size_t errlen);
void s46_siit_process(s46_siit *s, s46_batch *b, uint16_t side, uint64_t now_ns);
void s46_siit_tick(s46_siit *s, uint64_t now_ns);
const s46_counters *s46_siit_counters(const s46_siit *s);
/* {"mechanism": "siit", "pool6", "eam": n, "stages"} */
json_t *s46_siit_show(const s46_siit *s);
#endif
