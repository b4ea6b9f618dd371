/* The MAP-E Border Relay data plane (RFC 7597 §5.4, §7.2, §8): stateless,
 * all from the rules. Port 0 is the IPv4 side, port 1 the IPv6 side.
 *  IPv4 -> IPv6: FMR longest match on the destination, PSID from the
 *   destination port (ICMP query: identifier; ICMP error: the quoted
 *   packet's source port), RFC 2473 encapsulation to the CE's MAP address.
 *  IPv6 -> IPv4: only IPv4-in-IPv6 to the BR address from a MAP address of
 *   a rule, the inner source address and port consistent with it (silent,
 *   counted drop otherwise); CE-to-CE traffic hairpinned when enabled.
 * From a CE with a shared address only what has a port to check passes
 * (TCP, UDP, ICMP queries with identifiers, ICMP errors quoting the port);
 * a CE with a whole address (PSID length 0) may send anything. Echo
 * requests to the BR's addresses from unicast sources are answered;
 * packets with a Routing header still to follow are refused (RFC 5095);
 * ICMPv6 errors quoting a tunnel packet the BR could have sent are relayed
 * to its IPv4 source (RFC 2473 §8.3; dp/tunnel_icmp.h). Every
 * packet of a batch leaves with a verdict: forward out of a port (possibly
 * rewritten into a reply) or drop with a counted reason. */
#ifndef S46_DP_BR_MAPE_H
#define S46_DP_BR_MAPE_H
#include <jansson.h>

#include "lib/counters.h"
#include "lib/pkt.h"
#include "lib/ruleset.h"

enum { S46_BR_PORT_V4 = 0, S46_BR_PORT_V6 = 1 };

#define S46_BR_COUNTERS(X) \
    X(v4_in, "packets received on the IPv4 side") \
    X(v6_in, "packets received on the IPv6 side") \
    X(v4_out, "packets sent on the IPv4 side: decapsulated, echo replies, ICMPv4 errors") \
    X(v6_out, "packets sent on the IPv6 side, each outer fragment counted") \
    X(v4_encapsulated, "IPv4 packets encapsulated toward the MAP address of their CE") \
    X(v6_decapsulated, "packets from CEs decapsulated and sent on to IPv4") \
    X(hairpinned, "CE-to-CE packets decapsulated and encapsulated again toward the destination CE") \
    X(echo_replies, "echo requests to br_ipv4 or to the BR IPv6 address answered") \
    X(icmp_errors_sent, "ICMPv4 errors built by the BR: unreachable, time exceeded, fragmentation needed") \
    X(icmp_relayed, "ICMPv6 errors about BR tunnel packets relayed to the IPv4 source as ICMPv4") \
    X(fragments_held, "fragments stored for reassembly (each leaves the batch with this reason)") \
    X(reassembled, "datagrams completed from stored fragments, then processed whole") \
    X(fragmented, "packets too big for the IPv6 MTU without DF, sent as outer IPv6 fragments") \
    X(drop_reassembly_failed, "fragments refused by reassembly: overlapping, inconsistent or too big") \
    X(drop_no_buffer, "packets not fragmented for want of a buffer or room in the batch") \
    X(drop_v4_malformed, "IPv4 packets that fail parsing (version, lengths, header checksum)") \
    X(drop_v4_no_rule, "IPv4 destination in no rule, and no ICMPv4 unreachable sent") \
    X(drop_v4_port_excluded, "destination port in no CE's port set (excluded range, other explicit PSID)") \
    X(drop_v4_to_br, "packets to br_ipv4 that are not echo requests") \
    X(drop_echo_not_unicast, "echo requests (IPv4 or IPv6) from a source no reply may go to: 0/8, 127/8, multicast, 240/4, broadcast; ::, ::1, ff00::/8") \
    X(drop_v4_ttl_expired, "TTL expiring at the BR, and no ICMPv4 time exceeded sent") \
    X(drop_v4_too_big, "DF set and too big for the tunnel, and no ICMPv4 fragmentation needed sent") \
    X(drop_v4_icmp_unmappable, "no port to choose the CE by: missing ports, unusable quote in an ICMP error") \
    X(drop_v6_malformed, "IPv6 packets that fail parsing (lengths, extension headers)") \
    X(drop_v6_not_br_address, "IPv6 destination other than the BR address") \
    X(drop_v6_not_ipip, "to the BR address but neither IPv4-in-IPv6 nor ICMPv6") \
    X(drop_v6_routing_header, "to the BR address with a Routing header whose Segments Left is not 0 (type 0, RFC 5095): discarded, each counted here, an ICMPv6 parameter problem sent back when allowed") \
    X(drop_v6_src_no_rule, "IPv6 source inside no rule's IPv6 prefix") \
    X(drop_v6_src_not_map_address, "IPv6 source not the MAP address its rule derives (interface identifier)") \
    X(drop_inner_malformed, "inner IPv4 packet that fails parsing or lacks its ports") \
    X(drop_inner_spoofed_address, "inner IPv4 source not the address of the CE's MAP address") \
    X(drop_inner_spoofed_port, "inner source port (ICMP: identifier or quoted port) outside the CE's port set") \
    X(drop_inner_no_port, "from a CE with a shared address (PSID length > 0): a protocol without ports (GRE, ESP...) or ICMP neither error nor query with an identifier, whose port cannot be checked") \
    X(drop_inner_icmp_unverifiable, "from a CE with a shared address: an ICMP error whose quote is missing or too short to show the port it was sent to") \
    X(drop_inner_dst_in_domain, "inner destination inside the domain, not hairpinned (hairpin off, fragment, no CE)") \
    X(drop_inner_ttl_expired, "inner TTL expiring at the BR, and no ICMPv4 time exceeded sent back") \
    X(drop_icmp_ratelimited, "ICMPv4 errors not sent for icmp_rate (the packet is counted under its own reason)") \
    X(drop_icmpv6_other, "other ICMPv6 to the BR address (not echo, not a relayable error about our packets)") \
    X(drop_icmpv6_spoofed, "ICMPv6 errors quoting a packet the BR could not have sent: not to the MAP address owning the inner destination and port, or from an inner source inside the domain or br_ipv4") \
    X(drop_icmpv6_ptb_too_small, "Packet Too Big reporting an MTU below 1280: not relayed (RFC 8201 §4, RFC 8021)") \
    X(drop_unfinished, "packets no stage of the pipeline finished (a bug in the composition: please report)")

#define S46_BR_ENUM(n, d) S46_BR_##n,
enum s46_br_counter { S46_BR_COUNTERS(S46_BR_ENUM) S46_BR_NCOUNTERS };
#undef S46_BR_ENUM

typedef struct s46_br_conf {
    s46_ruleset *rules;       /* FMRs (owned by the caller) */
    s46_ip6 br6;              /* BR IPv6 address (tunnel endpoint) */
    uint32_t br4;             /* BR IPv4 address: source of ICMPv4; 0 = none */
    s46_iid_layout layout;
    uint16_t ipv6_mtu;        /* largest IPv6 packet toward CEs (default 1500) */
    uint16_t ipv4_mtu;        /* largest IPv4 packet out to the Internet (default
                                 1500): inner datagrams the BR reassembled
                                 leave as fragments beyond it */
    uint8_t hop_limit;        /* outer hop limit (default 64) */
    int16_t encap_limit;      /* -1 = no Tunnel Encapsulation Limit option */
    bool hairpin;             /* CE-to-CE through the BR (default on) */
    bool ttl_decrement;       /* be the IPv4 router hop (default on); off when
                                 the kernel forwards the packets anyway (TUN) */
    bool icmp_unreachable;    /* ICMPv4 3/1 for destinations in no rule */
    uint32_t icmp_rate;       /* ICMP errors per second (0 = unlimited) */
} s46_br_conf;

typedef struct s46_br s46_br;

/* Defaults for the optional members (rules/addresses left unset). */
void s46_br_conf_default(s46_br_conf *c);
/* The settings file: conf/br_conf.h. */

s46_br *s46_br_new(const s46_br_conf *c);
void s46_br_free(s46_br *br);
/* Takes a new configuration between two batches: counters, reassembly and
 * pools stay. The rule set c->rules must live until the next change. */
void s46_br_reconfigure(s46_br *br, const s46_br_conf *c);
/* Runs the pipeline over a batch (at most S46_BATCH_IN packets) that arrived
 * on in_port. Outer IPv6 fragments are appended to the batch from the BR's
 * own pool (s46_pkt_release returns them there). Fragments are held for
 * reassembly (verdict DROP, counted as fragments_held) until complete. */
void s46_br_process(s46_br *br, s46_batch *b, uint16_t in_port, uint64_t now_ns);
const s46_counters *s46_br_counters(const s46_br *br);
/* The stages each side's packets go through (dp/softwire.h), for show. */
json_t *s46_br_stages_json(const s46_br *br);
/* The fast paths for the commonest packets are on by default; tests turn
 * them off to check that both ways give the same bytes and counters. */
void s46_br_set_fast_paths(s46_br *br, bool on);
#endif
