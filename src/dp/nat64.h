/* The stateful NAT64 (RFC 6146), the PLAT of 464XLAT (RFC 6877): IPv6-only
 * hosts (side 1) reach IPv4 (side 0) through the RFC 6052 prefix pool6. A
 * composition of the shared stages (dp/stages.h): RFC 7915 translation
 * (stage_xlat.c) and the AFTR's carrier-grade NAT (stage_cgn.c, lib/cgn.h)
 * keyed by the IPv6 host's address instead of a B4's.
 *  IPv6 -> IPv4: fragments reassembled (the CGN needs the ports; RFC 6146
 *   §3.4 allows it), destination inside pool6 (drop_v6_not_pool6), source
 *   a unicast address outside it (drop_v6_bad_source); translated (hop
 *   limit, Packet Too Big, segments left: ICMPv6 errors from `ipv6`); the
 *   source NAPTed onto pool4 by the CGN, which creates the session for TCP,
 *   UDP and ICMP echo (an ICMPv6 error from the host or a router about an
 *   inbound packet has its quote translated back, found by the quote's
 *   destination: the session's host); out to IPv4, a reassembled datagram
 *   cut into IPv4 fragments beyond ipv4_mtu. A packet to pool6 + a pool4
 *   address is hairpinned (RFC 6146 §3.8): translated back in through the
 *   session it reaches and out to that host with the source pool6 + the
 *   sender's external address.
 *  IPv4 -> IPv6: fragments reassembled; only through an existing session
 *   (filtering as configured; unsolicited: drop_in_no_mapping or
 *   drop_in_filtered); the destination back to the host, the source
 *   embedded in pool6; translated, cut into IPv6 fragments beyond ipv6_mtu
 *   when DF is clear. TTL expiring and DF with too big are answered
 *   (ICMPv4 from `ipv4`) before the CGN, quoting the packet as it came.
 * Inside, between the two steps, the packet is IPv4 with the host standing
 * as 0.0.0.1 (an address no IPv4 packet of the Internet carries: sources in
 * 0/8 are refused, drop_v4_bad_source): the translator maps it to the host
 * of the packet being translated (c->peer). Port blocks are logged
 * (lib/blocklog.h) before their first packet leaves, with the host's IPv6
 * address as the subscriber (`s46 trace` finds it), or its prefix when the
 * subscriber is a /64 or /56 (cgn.sub_len: the hosts inside share blocks,
 * address and limits, each with its own mappings). One instance per
 * worker: IPv6 packets steered by subscriber, IPv4 by external port. */
#ifndef S46_DP_NAT64_H
#define S46_DP_NAT64_H
#include <jansson.h>

#include "lib/blocklog.h"
#include "lib/cgn.h"
#include "lib/counters.h"
#include "lib/pkt.h"

#define S46_NAT64_COUNTERS(X) \
    X(v4_in, "packets received on the IPv4 side") \
    X(v6_in, "packets received on the IPv6 side") \
    X(v4_out, "packets sent on the IPv4 side: translated (each fragment counted), ICMPv4 errors") \
    X(v6_out, "packets sent on the IPv6 side: translated (each fragment counted), hairpinned, ICMPv6 errors") \
    X(translated4, "IPv4 packets translated into IPv6 through a session") \
    X(translated6, "IPv6 packets translated into IPv4 (then NAPTed by the CGN)") \
    X(hairpinned, "IPv6-to-IPv6 packets to pool6 + a pool4 address, sent back to the host holding that port") \
    X(icmp_errors_sent, "ICMP errors built by the NAT64: time exceeded, too big, source route, segments left") \
    X(fragments_held, "fragments stored for reassembly (each leaves the batch with this reason)") \
    X(reassembled, "datagrams completed from stored fragments, then translated whole") \
    X(fragmented, "packets cut into fragments for the next hop's MTU (IPv6, or IPv4 for reassembled datagrams)") \
    X(drop_reassembly_failed, "fragments refused by reassembly: overlapping, inconsistent or too big") \
    X(drop_no_buffer, "packets not fragmented for want of a buffer or room in the batch") \
    X(drop_icmp_ratelimited, "ICMP errors not sent for icmp_rate (the packet is counted under its own reason)") \
    X(drop_v4_malformed, "IPv4 packets that fail parsing (version, lengths, header checksum)") \
    X(drop_v4_bad_source, "IPv4 packets from 0.0.0.0/8 (the NAT64's own stand-in for the IPv6 host)") \
    X(drop_v6_malformed, "IPv6 packets that fail parsing (lengths, extension headers)") \
    X(drop_v6_not_pool6, "IPv6 packets to a destination outside pool6, or to pool6 + an address of 0.0.0.0/8") \
    X(drop_v6_bad_source, "IPv6 packets from inside pool6, from ::, or from a multicast address") \
    X(drop_xlat_malformed, "packets whose headers the translator cannot read") \
    X(drop_ttl_expired, "TTL or hop limit expiring at the NAT64, and no ICMP error sent") \
    X(drop_too_big, "too big for the next hop and not to be fragmented, and no ICMP error sent") \
    X(drop_source_route, "IPv4 with an unexpired source route option, and no ICMPv4 error sent") \
    X(drop_segments_left, "IPv6 with a Routing header with segments left, and no ICMPv6 error sent") \
    X(drop_no_mapping, "untranslatable: an address with no translation") \
    X(drop_icmp_untranslatable, "untranslatable: ICMP type or code without translation (informational, redirect, ...)") \
    X(drop_icmp_fragment, "untranslatable: ICMP fragments that reassembly did not make whole") \
    X(drop_quote, "untranslatable: ICMP errors whose quoted packet cannot be translated") \
    X(drop_udp_zero_checksum, "untranslatable: UDP with a zero checksum (fragmented, refused by policy, or IPv6)") \
    X(drop_no_room, "packets without the headroom their longer headers need") \
    X(drop_frag_too_big, "IPv4 fragments too big for the IPv6 MTU that could not be cut smaller") \
    X(drop_unsupported_proto, "IPv6 packets the CGN does not translate: not TCP, UDP, ICMP echo request or error") \
    X(drop_icmp_no_mapping, "ICMPv6 errors about no session the CGN knows for that host") \
    X(drop_no_address, "new hosts refused: no pool4 address has a free block") \
    X(drop_no_block, "new sessions refused: the host's address has no free block, or its blocks are full") \
    X(drop_sub_mappings, "new sessions refused by the per-host limit of mappings") \
    X(drop_sub_sessions, "new sessions refused by the per-host limit of sessions") \
    X(drop_sub_rate, "new sessions refused by the per-host limit of new sessions a second") \
    X(drop_table_full, "new sessions refused: a table (hosts, blocks, mappings, sessions) is full") \
    X(drop_log_refused, "new sessions refused: the port-block log could not take the block's record") \
    X(drop_log_unsynced, "packets dropped because their block's log record could not be synced to disk") \
    X(drop_in_malformed, "IPv4 packets without ports, ICMP neither echo reply nor error") \
    X(drop_in_no_mapping, "IPv4 packets to no session (unsolicited; an ICMP error: about no flow of ours)") \
    X(drop_in_filtered, "IPv4 packets refused by the filtering (filtering: adf)") \
    X(drop_in_not_ours, "IPv4 packets to an address outside pool4") \
    X(drop_hairpin_off, "IPv6 packets to pool6 + a pool4 address with hairpinning off") \
    X(drop_hairpin_error, "ICMPv4 errors about a hairpinned packet (too big or hop limit on its way back) with no way back to its sender") \
    X(drop_unfinished, "packets no stage of the pipeline finished (a bug in the composition: please report)")

#define S46_NAT64_ENUM(n, d) S46_NAT64_##n,
enum s46_nat64_counter { S46_NAT64_COUNTERS(S46_NAT64_ENUM) S46_NAT64_NCOUNTERS };
#undef S46_NAT64_ENUM

typedef struct s46_nat64_conf {
    s46_pfx6 pool6;           /* the RFC 6052 prefix (32, 40, 48, 56, 64, 96) */
    uint32_t ipv4;            /* source of ICMPv4 errors (default: the first
                                 pool4 address) */
    s46_ip6 ipv6;             /* source of ICMPv6 errors (default: ipv4
                                 embedded in pool6) */
    uint16_t ipv4_mtu, ipv6_mtu; /* next hops (default 1500) */
    uint16_t lowest_ipv6_mtu; /* the IPv6 network's lowest MTU (default 1280):
                                 DF-clear IPv4 becomes IPv6 fragments no
                                 larger (RFC 7915 §4.1) */
    bool tos_zero;            /* traffic class / TOS 0 (default: copied) */
    bool ttl_decrement;       /* be the router hop (default on; off on TUN) */
    bool hairpin;             /* host to host through pool4 (default on) */
    uint32_t icmp_rate;       /* ICMP errors a second (default 1000; 0: no limit) */
    s46_cgn_config cgn;       /* pool4, blocks, limits, timers, capacities */
    s46_blocklog *log;        /* the port-block log (owned by the caller); NULL: none */
} s46_nat64_conf;

/* The source of the NAT64's ICMPv4 errors: ipv4, or the first pool4
 * address (0: neither). */
static inline uint32_t s46_nat64_icmp4_source(const s46_nat64_conf *c)
{
    return c->ipv4 ? c->ipv4 : c->cgn.npool ? c->cgn.pool[0].addr : 0;
}

typedef struct s46_nat64 s46_nat64;

void s46_nat64_conf_default(s46_nat64_conf *c);
/* One worker's instance (share of shares); NULL with err. */
s46_nat64 *s46_nat64_new(const s46_nat64_conf *c, unsigned share, unsigned shares, char *err,
                         size_t errlen);
void s46_nat64_free(s46_nat64 *n);
/* Timers, limits, filtering, MTUs; pool4, pool6 and the log stay. */
int s46_nat64_reconfigure(s46_nat64 *n, const s46_nat64_conf *c, char *err, size_t errlen);
/* The fast paths for packets of established flows (dp/cgn_fast.h) are on
 * by default; tests turn them off to compare with the stages alone. */
void s46_nat64_set_fast_paths(s46_nat64 *n, bool on);
/* Its CGN (read-only: tests check its invariants). */
const s46_cgn *s46_nat64_cgn(const s46_nat64 *n);
void s46_nat64_process(s46_nat64 *n, s46_batch *b, uint16_t side, uint64_t now_ns);
void s46_nat64_tick(s46_nat64 *n, uint64_t now_ns);
/* The worker a packet arriving on side belongs to. */
unsigned s46_nat64_steer(const s46_nat64 *n, const s46_pkt *p, uint16_t side);
const s46_counters *s46_nat64_counters(const s46_nat64 *n);
/* {"mechanism": "nat64", "pool6", "pool", "blocks" (up to max_blocks),
 *  "cgn": counters, "stages"} */
json_t *s46_nat64_show(const s46_nat64 *n, unsigned max_blocks);
#endif
