/* The MAP-T Border Relay data plane (RFC 7599 §8.3, §8.4): stateless
 * translation (RFC 7915) between the IPv4 Internet (side 0) and the CEs of
 * a MAP domain (side 1), all from the rules and the DMR prefix. A
 * composition of the shared stages (dp/stages.h): the MAP-E BR's domain
 * stages (stage_map.c) with translation (stage_xlat.c) as transport.
 *  IPv4 -> IPv6: FMR longest match on the destination, PSID from the
 *   destination port (ICMP query: identifier; ICMP error: the quoted
 *   packet's source port): the destination becomes the CE's MAP address
 *   (RFC 7597 §6 interface identifier), the source is embedded into the DMR
 *   prefix (RFC 6052); ICMPv4 errors (time exceeded, too big with DF,
 *   host unreachable for no rule) from br_ipv4.
 *  IPv6 -> IPv4: only to an address in the DMR prefix, from the MAP address
 *   of a CE of a rule; translated, then the IPv4 source port checked
 *   against the CE's port set (the same checks as MAP-E); a destination
 *   inside the domain hairpinned: translated again toward its CE with the
 *   sender embedded into the DMR prefix. ICMPv6 errors (hop limit, too big
 *   for ipv4_mtu) from br_ipv6.
 * Fragments are reassembled on both sides before the rules are applied
 * (RFC 7599 §10.2, the SHOULD; the PSID needs the first fragment's port);
 * a datagram over the IPv6 MTU leaves as IPv6 fragments when DF is clear.
 * CEs with an IPv4 prefix rather than an address (r + o < 32) are not
 * served: their interface identifier has no room for the host bits
 * (RFC 7599 §6); their packets are dropped as drop_no_mapping. */
#ifndef S46_DP_BR_MAPT_H
#define S46_DP_BR_MAPT_H
#include <jansson.h>

#include "lib/counters.h"
#include "lib/pkt.h"
#include "lib/ruleset.h"

#define S46_BRT_COUNTERS(X) \
    X(v4_in, "packets received on the IPv4 side") \
    X(v6_in, "packets received on the IPv6 side") \
    X(v4_out, "packets sent on the IPv4 side: translated, echo replies, ICMPv4 errors") \
    X(v6_out, "packets sent on the IPv6 side, each fragment counted: translated, hairpinned, ICMPv6 errors") \
    X(translated4, "IPv4 packets translated toward the MAP address of their CE") \
    X(translated6, "packets from CEs translated and sent on to IPv4") \
    X(hairpinned, "CE-to-CE packets translated to IPv4 and back toward the destination CE") \
    X(echo_replies, "echo requests to br_ipv4 answered") \
    X(icmp_errors_sent, "ICMP errors built by the BR: unreachable, time exceeded, too big (ICMPv4 and ICMPv6)") \
    X(fragments_held, "fragments stored for reassembly (each leaves the batch with this reason)") \
    X(reassembled, "datagrams completed from stored fragments, then processed whole") \
    X(fragmented, "packets over the IPv6 MTU without DF, sent as IPv6 fragments") \
    X(drop_reassembly_failed, "fragments refused by reassembly: overlapping, inconsistent or too big") \
    X(drop_no_buffer, "packets not fragmented for want of a buffer or room in the batch") \
    X(drop_icmp_ratelimited, "ICMP errors not sent for icmp_rate (the packet is counted under its own reason)") \
    X(drop_v4_malformed, "IPv4 packets that fail parsing (version, lengths, header checksum)") \
    X(drop_v4_no_rule, "IPv4 destination in no rule, and no ICMPv4 unreachable sent") \
    X(drop_v4_port_excluded, "destination port in no CE's port set (excluded range, other explicit PSID)") \
    X(drop_v4_to_br, "packets to br_ipv4 that are not echo requests") \
    X(drop_echo_not_unicast, "echo requests to br_ipv4 from a source no reply may go to: 0/8, 127/8, multicast, 240/4, broadcast") \
    X(drop_v4_icmp_unmappable, "no port to choose the CE by: missing ports, unusable quote in an ICMP error") \
    X(drop_v6_malformed, "IPv6 packets that fail parsing (lengths, extension headers)") \
    X(drop_v6_not_dmr, "IPv6 destination outside the DMR prefix") \
    X(drop_v6_src_no_rule, "IPv6 source inside no rule's IPv6 prefix") \
    X(drop_v6_src_not_map_address, "IPv6 source not the MAP address its rule derives (interface identifier)") \
    X(drop_v6_spoofed_port, "source port (ICMP: identifier or quoted port) outside the CE's port set") \
    X(drop_v6_no_port, "from a CE with a shared address (PSID length > 0): a protocol without ports or ICMP neither error nor query with an identifier, whose port cannot be checked") \
    X(drop_v6_icmp_unverifiable, "from a CE with a shared address: an ICMP error whose quote is missing or too short to show the port it was sent to") \
    X(drop_dst_in_domain, "IPv4 destination of a CE's packet inside the domain, not hairpinned (hairpin off, no CE for the port)") \
    X(drop_ttl_expired, "TTL or hop limit expiring at the BR, and no ICMP error sent") \
    X(drop_too_big, "too big for the next hop and not to be fragmented, and no ICMP error sent") \
    X(drop_source_route, "IPv4 with an unexpired source route option, and no ICMPv4 error sent") \
    X(drop_segments_left, "IPv6 with a Routing header with segments left, and no ICMPv6 error sent") \
    X(drop_xlat_malformed, "packets whose headers the translator cannot read") \
    X(drop_no_mapping, "untranslatable address: an IPv6 destination the DMR does not decode, a CE with an IPv4 prefix") \
    X(drop_icmp_untranslatable, "untranslatable: ICMP type or code without translation (informational, redirect, ...)") \
    X(drop_icmp_fragment, "untranslatable: ICMP fragments that reassembly did not make whole") \
    X(drop_quote, "untranslatable: ICMP errors whose quoted packet cannot be translated") \
    X(drop_udp_zero_checksum, "untranslatable: IPv6 UDP with a zero checksum") \
    X(drop_no_room, "packets without the headroom their longer headers need") \
    X(drop_frag_too_big, "IPv4 fragments too big for the IPv6 MTU that could not be cut smaller") \
    X(drop_unfinished, "packets no stage of the pipeline finished (a bug in the composition: please report)")

#define S46_BRT_ENUM(n, d) S46_BRT_##n,
enum s46_brt_counter { S46_BRT_COUNTERS(S46_BRT_ENUM) S46_BRT_NCOUNTERS };
#undef S46_BRT_ENUM

typedef struct s46_brt_conf {
    s46_ruleset *rules;       /* FMRs (owned by the caller) */
    s46_pfx6 dmr;             /* the DMR prefix (RFC 6052 length) */
    uint32_t br4;             /* answers pings, source of ICMPv4 errors; 0: none */
    s46_ip6 br6;              /* source of ICMPv6 errors; ::: none */
    uint16_t ipv4_mtu, ipv6_mtu; /* next hops (default 1500) */
    uint16_t lowest_ipv6_mtu; /* the domain's lowest IPv6 MTU (default 1280):
                                 DF-clear IPv4 becomes IPv6 fragments no
                                 larger (RFC 7915 §4.1) */
    bool hairpin;             /* CE-to-CE through the BR (default on) */
    bool ttl_decrement;       /* be the router hop (default on) */
    bool icmp_unreachable;    /* ICMPv4 3/1 for destinations in no rule (default on) */
    uint32_t icmp_rate;       /* ICMP errors a second (default 1000; 0: no limit) */
} s46_brt_conf;

typedef struct s46_brt s46_brt;

void s46_brt_conf_default(s46_brt_conf *c);
/* NULL with err. The rule set c->rules must live until the next change. */
s46_brt *s46_brt_new(const s46_brt_conf *c, char *err, size_t errlen);
void s46_brt_free(s46_brt *b);
int s46_brt_reconfigure(s46_brt *b, const s46_brt_conf *c, char *err, size_t errlen);
void s46_brt_process(s46_brt *b, s46_batch *batch, uint16_t side, uint64_t now_ns);
const s46_counters *s46_brt_counters(const s46_brt *b);
/* Fast paths for the commonest packets (unfragmented TCP/UDP to or from
 * a CE, nothing to answer): on by default; tests turn them off to check
 * that both ways give the same bytes and counters. */
void s46_brt_set_fast_paths(s46_brt *b, bool on);
/* {"mechanism": "map_t_br", "dmr", "rules", "stages"} */
json_t *s46_brt_show(const s46_brt *b);
#endif
