/* The lw4o6 lwAFTR data plane (RFC 7596 §6): the softwire stages of
 * dp/stages.h around a binding table (lib/bindtab.h). Side 0 is IPv4,
 * side 1 IPv6.
 *  IPv4 -> IPv6: the destination address and port (ICMP query: the
 *   identifier; ICMP error: the quoted packet's source port) select the
 *   binding; RFC 2473 encapsulation to its B4 from its lwAFTR address. No
 *   binding: dropped and counted, ICMPv4 unreachable (host: the address has
 *   no binding; port: not that port's PSID) when configured, rate limited.
 *  IPv6 -> IPv4: only IPv4-in-IPv6 to one of the lwAFTR addresses whose
 *   outer source, inner source address and inner source port match one
 *   binding at that lwAFTR address (§6.2); else dropped per reason, with
 *   ICMPv6 1/5 back when configured. B4-to-B4 traffic is hairpinned
 *   (configurable). Fragments are reassembled on both sides (bounded
 *   tables); a non-first inner fragment (no port) passes when its B4 has a
 *   binding of the inner source address at that lwAFTR address.
 * From a B4 bound to a shared address only what has a port to check passes
 * (TCP, UDP, ICMP queries with identifiers, ICMP errors quoting the port);
 * a B4 with a whole address may send anything. Echo requests to the
 * lwAFTR's addresses from unicast sources are answered; packets with a
 * Routing header still to follow are refused (RFC 5095); ICMPv6 errors
 * quoting a tunnel packet the lwAFTR could have sent (to the B4 of the
 * binding of its inner destination and port, from outside the bound
 * addresses) are relayed as ICMPv4 (RFC 2473 §8; dp/tunnel_icmp.h). The
 * binding table is shared by every worker (each reads it as reader
 * env->worker) and changed live by its owner (bindtab.h). */
#ifndef S46_DP_LWAFTR_H
#define S46_DP_LWAFTR_H
#include <jansson.h>

#include "lib/bindtab.h"
#include "lib/counters.h"
#include "lib/pkt.h"

#define S46_LW_COUNTERS(X) \
    X(v4_in, "packets received on the IPv4 side") \
    X(v6_in, "packets received on the IPv6 side") \
    X(v4_out, "packets sent on the IPv4 side: decapsulated, echo replies, ICMPv4 errors") \
    X(v6_out, "packets sent on the IPv6 side, each outer fragment counted") \
    X(v4_encapsulated, "IPv4 packets encapsulated toward the B4 of their binding") \
    X(v6_decapsulated, "packets from B4s decapsulated and sent on to IPv4") \
    X(hairpinned, "B4-to-B4 packets decapsulated and encapsulated again toward the destination's B4") \
    X(echo_replies, "echo requests to the lwAFTR's IPv4 or IPv6 addresses answered") \
    X(icmp_errors_sent, "ICMPv4 errors built by the lwAFTR: unreachable, time exceeded, fragmentation needed") \
    X(icmp_relayed, "ICMPv6 errors about lwAFTR tunnel packets relayed to the IPv4 source as ICMPv4") \
    X(icmpv6_errors_sent, "ICMPv6 1/5 (source address failed policy) sent to B4s without a binding (icmpv6_policy)") \
    X(path_mtu_lowered, "Packet Too Big messages that lowered the tunnel MTU toward a B4") \
    X(fragments_held, "fragments stored for reassembly (each leaves the batch with this reason)") \
    X(reassembled, "datagrams completed from stored fragments, then processed whole") \
    X(fragmented, "packets too big for the IPv6 MTU without DF, sent as outer IPv6 fragments") \
    X(drop_reassembly_failed, "fragments refused by reassembly: overlapping, inconsistent or too big") \
    X(drop_no_buffer, "packets not fragmented for want of a buffer or room in the batch") \
    X(drop_v4_malformed, "IPv4 packets that fail parsing (version, lengths, header checksum)") \
    X(drop_v4_no_binding_address, "IPv4 destination address with no binding, and no ICMPv4 host unreachable sent") \
    X(drop_v4_no_binding_port, "destination port in no binding of its address (other PSID, excluded ports), and no ICMPv4 port unreachable sent") \
    X(drop_v4_icmp_unmappable, "no port to choose the binding by: missing ports, unusable quote in an ICMP error") \
    X(drop_v4_to_lwaftr, "packets to the lwAFTR's IPv4 address that are not echo requests") \
    X(drop_echo_not_unicast, "echo requests (IPv4 or IPv6) from a source no reply may go to: 0/8, 127/8, multicast, 240/4, broadcast; ::, ::1, ff00::/8") \
    X(drop_v4_ttl_expired, "TTL expiring at the lwAFTR, and no ICMPv4 time exceeded sent") \
    X(drop_v4_too_big, "DF set and too big for the tunnel, and no ICMPv4 fragmentation needed sent") \
    X(drop_v6_malformed, "IPv6 packets that fail parsing (lengths, extension headers)") \
    X(drop_v6_not_lwaftr_address, "IPv6 destination none of the lwAFTR's addresses") \
    X(drop_v6_not_ipip, "to an lwAFTR address but neither IPv4-in-IPv6 nor ICMPv6") \
    X(drop_v6_routing_header, "to an lwAFTR address with a Routing header whose Segments Left is not 0 (type 0, RFC 5095): discarded, each counted here, an ICMPv6 parameter problem sent back when allowed") \
    X(drop_inner_malformed, "inner IPv4 packet that fails parsing or lacks its ports") \
    X(drop_v6_no_binding, "inner source address and port in no binding") \
    X(drop_v6_src_mismatch, "a binding of the inner source address and port, but of another B4 or lwAFTR address") \
    X(drop_inner_no_port, "from a B4 bound to a shared address (PSID length > 0): a protocol without ports (GRE, ESP...) or ICMP neither error nor query with an identifier, whose port cannot be checked") \
    X(drop_inner_icmp_unverifiable, "from a B4 bound to a shared address: an ICMP error whose quote is missing or too short to show the port it was sent to") \
    X(drop_hairpin_unbound, "to a bound IPv4 address (hairpinning on) but no binding of the port, or without ports") \
    X(drop_inner_ttl_expired, "inner TTL expiring at the lwAFTR, and no ICMPv4 time exceeded sent back") \
    X(drop_icmp_ratelimited, "ICMP errors not sent for icmp_rate (the packet is counted under its own reason)") \
    X(drop_icmpv6_other, "other ICMPv6 to an lwAFTR address (not echo, not a relayable error about our packets)") \
    X(drop_icmpv6_spoofed, "ICMPv6 errors quoting a packet the lwAFTR could not have sent: not to the B4 and from the lwAFTR address of the binding of the inner destination and port, or from a bound inner source or the lwAFTR's IPv4 address") \
    X(drop_icmpv6_ptb_too_small, "Packet Too Big reporting an MTU below 1280: not relayed, no MTU learned (RFC 8201 §4, RFC 8021)") \
    X(drop_unfinished, "packets no stage of the pipeline finished (a bug in the composition: please report)")

#define S46_LW_ENUM(n, d) S46_LW_##n,
enum s46_lw_counter { S46_LW_COUNTERS(S46_LW_ENUM) S46_LW_NCOUNTERS };
#undef S46_LW_ENUM

typedef struct s46_lw_conf {
    s46_ip6 aftr[S46_BT_MAX_AFTR]; /* the lwAFTR's IPv6 addresses (tunnel endpoints) */
    unsigned naftr;
    uint32_t ipv4;            /* answers pings, source of ICMPv4 errors; 0 = none */
    s46_bindtab *bt;          /* the bindings (owned by the caller) */
    uint16_t ipv6_mtu;        /* largest IPv6 packet toward B4s (default 1500) */
    uint16_t ipv4_mtu;        /* largest IPv4 packet out (default 1500): DF clear
                                 beyond it (a datagram made whole here), fragments */
    uint8_t hop_limit;        /* outer hop limit (default 64) */
    int16_t encap_limit;      /* -1 = no Tunnel Encapsulation Limit option */
    bool hairpin;             /* B4-to-B4 through the lwAFTR (default on) */
    bool ttl_decrement;       /* be the IPv4 router hop (default on) */
    bool icmp_unreachable;    /* ICMPv4 3/1, 3/3 for unbound destinations (default on) */
    bool icmpv6_policy;       /* ICMPv6 1/5 for unbound sources (default off) */
    uint32_t icmp_rate;       /* ICMP errors per second (0 = unlimited; default 1000) */
    uint32_t vlan[2];         /* 802.1Q VID of the IPv4 / IPv6 side's Ethernet ports
                                 (0: untagged); for the daemon that opens them */
} s46_lw_conf;

typedef struct s46_lw s46_lw;

void s46_lw_conf_default(s46_lw_conf *c);
/* reader: this instance's reader index in the binding table. */
s46_lw *s46_lw_new(const s46_lw_conf *c, unsigned reader);
void s46_lw_free(s46_lw *lw);
/* A new conf between two batches: counters and reassembly stay. */
void s46_lw_reconfigure(s46_lw *lw, const s46_lw_conf *c);
void s46_lw_process(s46_lw *lw, s46_batch *b, uint16_t side, uint64_t now_ns);
/* The fast paths (the commonest packets without the stages, the same
 * result) on or off; on by default, off only in tests. */
void s46_lw_set_fast_paths(s46_lw *lw, bool on);
void s46_lw_tick(s46_lw *lw, uint64_t now_ns);
const s46_counters *s46_lw_counters(const s46_lw *lw);
json_t *s46_lw_stages_json(const s46_lw *lw);
#endif
