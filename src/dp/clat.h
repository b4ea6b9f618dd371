/* The CLAT of 464XLAT (RFC 6877): the customer side's stateless
 * translator, a composition of the shared stages (dp/stages.h): the CE's
 * NAPT44 puts the whole LAN onto one CLAT IPv4 address (default 192.0.0.1,
 * RFC 7335), and the RFC 7915 translator (lib/xlat.h) turns that address
 * into the CLAT's IPv6 address and every other IPv4 address into one
 * embedded in the NAT64 prefix (RFC 6052), toward the provider's NAT64
 * (the PLAT).
 *  LAN in (side 0): parse, echo requests to lan_ipv4 answered, fragments
 *   reassembled, what the NAPT translates, TTL (ICMPv4 11/0), DF and too
 *   big once translated (ICMPv4 3/4 with ipv6_mtu - 20; both to the LAN
 *   host, before the NAPT), the NAPT (hairpinning to 192.0.0.1 itself),
 *   TCP MSS clamped to ipv6_mtu - 60, translated (cut into IPv6 fragments
 *   beyond ipv6_mtu when DF is clear).
 *  WAN in (side 1): to the CLAT IPv6 address only, from inside the NAT64
 *   prefix (ICMPv6 errors also from other addresses, e.g. a router's Packet
 *   Too Big: their source becomes rfc6791_ipv4), fragments reassembled
 *   (the NAPT needs the ports; a datagram that came in fragments leaves
 *   with DF clear, in IPv4 fragments beyond lan_mtu), translated (ICMPv6 errors back for hop limit, too big
 *   for the LAN), the reverse NAPT, TCP MSS, to the LAN.
 * The CLAT's IPv6 address is chosen by the caller (s46-ce: the End-user
 * prefix's subnet 0 with interface identifier ::c1a7, a dedicated /128
 * routed into the data plane, or clat_ipv6). Port 0 is the LAN, 1 the WAN.
 * With several workers the NAPT's ports are shared out (s46_steer_clat). */
#ifndef S46_DP_CLAT_H
#define S46_DP_CLAT_H
#include <jansson.h>

#include "lib/addr.h"
#include "lib/counters.h"
#include "lib/napt.h"
#include "lib/pkt.h"

#define S46_CLAT_COUNTERS(X) \
    X(lan_in, "packets received from the LAN (IPv4)") \
    X(wan_in, "packets received from the WAN (IPv6)") \
    X(lan_out, "packets sent to the LAN: translated, hairpinned, echo replies, ICMPv4 errors") \
    X(wan_out, "packets sent to the WAN, each IPv6 fragment counted: translated, ICMPv6 errors") \
    X(translated4, "LAN packets translated into IPv6 toward the NAT64 prefix") \
    X(translated6, "WAN packets translated into IPv4 for the LAN") \
    X(echo_replies, "echo requests from the LAN to lan_ipv4 answered") \
    X(icmp_errors_sent, "ICMP errors built by the CLAT: time exceeded, fragmentation needed, packet too big") \
    X(mss_clamped, "TCP SYNs whose MSS option was lowered to fit the IPv6 MTU (both ways)") \
    X(hairpinned, "LAN packets to the CLAT IPv4 address sent back to the LAN host mapped there") \
    X(napt_out, "LAN packets translated by the NAPT onto the CLAT IPv4 address") \
    X(napt_in, "WAN packets translated back by the NAPT") \
    X(napt_mappings_created, "NAPT mappings created") \
    X(wan_rfc6791, "ICMPv6 errors from outside the NAT64 prefix taken in, to be translated with the rfc6791_ipv4 source") \
    X(fragments_held, "fragments stored for reassembly (each leaves the batch with this reason)") \
    X(reassembled, "datagrams completed from stored fragments, then processed whole") \
    X(fragmented, "packets cut into IPv6 fragments for the IPv6 MTU, or into IPv4 fragments for lan_mtu") \
    X(drop_reassembly_failed, "fragments refused by reassembly: overlapping, inconsistent or too big") \
    X(drop_no_buffer, "packets not fragmented for want of a buffer or room in the batch") \
    X(drop_lan_malformed, "LAN packets that fail IPv4 parsing (version, lengths, header checksum)") \
    X(drop_lan_to_ce, "LAN packets to lan_ipv4 that are not echo requests") \
    X(drop_lan_ttl_expired, "LAN packets whose TTL expires here, and no ICMPv4 error sent") \
    X(drop_lan_too_big, "LAN packets with DF too big once translated, and no ICMPv4 error sent") \
    X(drop_lan_unsupported_proto, "LAN packets the NAPT does not translate: not TCP, UDP, ICMP echo or error") \
    X(drop_napt_no_port, "new flows for which every port is in use") \
    X(drop_napt_table_full, "new flows refused because the mapping or session table is full") \
    X(drop_lan_icmp_no_mapping, "ICMP errors from the LAN about no flow the NAPT knows") \
    X(drop_hairpin_no_mapping, "hairpinned packets to a port with no mapping, or refused by the filtering") \
    X(drop_wan_malformed, "WAN packets that fail IPv6 parsing (lengths, extension headers)") \
    X(drop_wan_not_clat_address, "WAN packets to an IPv6 address other than the CLAT's") \
    X(drop_wan_src_not_nat64, "WAN packets from outside the NAT64 prefix (but ICMPv6 errors), or from the CLAT address") \
    X(drop_inner_malformed, "translated packets the reverse NAPT cannot take: no ports, ICMP neither echo reply nor error") \
    X(drop_inner_port_not_mine, "translated packets to a port outside the NAPT's range") \
    X(drop_napt_no_mapping, "WAN packets with no NAPT mapping, or no room for their session") \
    X(drop_napt_filtered, "WAN packets refused by the NAPT's filtering (filter: adf or eif)") \
    X(drop_xlat_malformed, "packets whose headers the translator cannot read") \
    X(drop_ttl_expired, "hop limit expiring at the CLAT, and no ICMPv6 error sent") \
    X(drop_too_big, "too big for the LAN (lan_mtu) with DF once translated, and no ICMPv6 error sent") \
    X(drop_source_route, "LAN packets with an unexpired source route option, and no ICMPv4 error sent") \
    X(drop_segments_left, "WAN packets with a Routing header with segments left, and no ICMPv6 error sent") \
    X(drop_no_mapping, "untranslatable: an address with no translation (ICMPv6 error from outside the prefix without rfc6791_ipv4)") \
    X(drop_icmp_untranslatable, "untranslatable: ICMP type or code without translation (informational, redirect, ...)") \
    X(drop_icmp_fragment, "untranslatable: ICMP fragments that reassembly did not make whole") \
    X(drop_quote, "untranslatable: ICMP errors whose quoted packet cannot be translated") \
    X(drop_udp_zero_checksum, "untranslatable: UDP with a zero checksum (IPv6, or refused by policy)") \
    X(drop_no_room, "packets without the headroom their longer headers need") \
    X(drop_frag_too_big, "IPv4 fragments too big for the IPv6 MTU that could not be cut smaller") \
    X(drop_icmp_ratelimited, "ICMP errors not sent for the rate limit (the packet is counted under its own reason)") \
    X(drop_unfinished, "packets no stage of the pipeline finished (a bug in the composition: please report)")

#define S46_CLAT_ENUM(n, d) S46_CLAT_##n,
enum s46_clat_counter { S46_CLAT_COUNTERS(S46_CLAT_ENUM) S46_CLAT_NCOUNTERS };
#undef S46_CLAT_ENUM

#define S46_CLAT_IPV4_DEFAULT 0xc0000001u   /* 192.0.0.1 (RFC 7335) */
#define S46_CLAT_RFC6791_DEFAULT 0xc0000008u /* 192.0.0.8, RFC 7600's dummy address */

typedef struct s46_clat_conf {
    s46_pfx6 nat64;            /* the PLAT's prefix (RFC 6052 length) */
    s46_ip6 clat6;             /* the CLAT's IPv6 address */
    uint32_t clat4;            /* the address the NAPT maps the LAN onto */
    uint32_t rfc6791;          /* source of translated ICMPv6 errors from
                                  outside the prefix (0: such errors dropped) */
    uint32_t lan_ipv4;         /* answers pings, source of ICMPv4 errors (0: clat4) */
    uint16_t ipv6_mtu;         /* the WAN's MTU (default 1500, at least 1280) */
    uint16_t lan_mtu;          /* the LAN's MTU (default 1500, at least 68) */
    uint16_t lowest_ipv6_mtu;  /* the IPv6 path's lowest MTU (default 1280): a
                                  DF-clear datagram becomes IPv6 fragments no
                                  larger (RFC 7915 §4.1) */
    bool ttl_decrement;        /* be the router hop (off on a TUN, see ce_mape.h) */
    s46_napt_config napt;      /* timers, filtering, capacities (address unused) */
} s46_clat_conf;

typedef struct s46_clat s46_clat;

void s46_clat_conf_default(s46_clat_conf *c);
/* NULL with err: a prefix length RFC 6052 does not have, a multicast or
 * unspecified CLAT address or one inside the NAT64 prefix, clat4 0, MTUs
 * below 1280 (IPv6) or 68 (LAN). */
s46_clat *s46_clat_new(const s46_clat_conf *c, char *err, size_t errlen);
void s46_clat_free(s46_clat *x);
/* A new configuration keeping counters; the NAPT is flushed when clat4
 * changes. -1 with err, the running one kept. */
int s46_clat_reconfigure(s46_clat *x, const s46_clat_conf *c, char *err, size_t errlen);
void s46_clat_process(s46_clat *x, s46_batch *b, uint16_t side, uint64_t now_ns);
void s46_clat_tick(s46_clat *x, uint64_t now_ns);
const s46_counters *s46_clat_counters(const s46_clat *x);
/* {"mechanism": "464xlat", "nat64prefix", "clat_ipv6", "clat_ipv4",
 *  "rfc6791_ipv4", "ipv6_mtu", "now", "napt", "mappings", "stages",
 *  "counters"} */
json_t *s46_clat_show(const s46_clat *x, uint64_t now_ns, unsigned max_mappings);
/* The worker owning a WAN (IPv6) packet to a CLAT whose NAPT is shared
 * out among workers: fragments by datagram (handed on after reassembly),
 * others by the destination port, echo identifier or an ICMPv6 error's
 * quoted source port; self when none. */
unsigned s46_steer_clat6(const s46_pkt *p, unsigned workers, unsigned self);
#endif
