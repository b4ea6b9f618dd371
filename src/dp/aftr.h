/* The DS-Lite AFTR data plane (RFC 6333 §6, §7) with its carrier-grade NAT
 * (lib/cgn.h: RFC 6888, RFC 4787/5382/5508 behaviour), a composition of the
 * shared stages (dp/softwire.h) and two of its own.
 *  IPv6 -> IPv4: IPv4-in-IPv6 to the AFTR address from any B4 (the
 *   softwire is the B4's IPv6 address); outer fragments reassembled, then
 *   inner ones; the inner packet NAPTed by the CGN keyed by the softwire
 *   (a B4's ICMP error has its quote translated back); the router hop
 *   (Time Exceeded back through the softwire); out to IPv4. A packet to an
 *   external address of the pool is hairpinned to the B4 holding that port
 *   (on the worker owning the port: handed there as if it came from IPv4).
 *  IPv4 -> IPv6: echo requests to the AFTR's IPv4 address answered; the
 *   router hop and the tunnel MTU (ICMPv4 errors before translation, so
 *   they never show a subscriber's private address); the CGN finds the
 *   softwire from the external address and port (an ICMP error: from the
 *   quoted packet's source); RFC 2473 encapsulation to the B4, outer
 *   fragments beyond the IPv6 MTU.
 * ICMPv6 to the AFTR address: echo requests from unicast sources answered,
 * the rest dropped and counted (drop_icmpv6_other); echo requests to the
 * IPv4 address likewise. Packets with a Routing header still to follow are
 * refused (RFC 5095). A port block a packet's flow allocated is
 * logged (lib/blocklog.h) before the packet leaves: the batch's records are
 * synced once, after the stages; packets whose record could not be synced
 * are dropped (drop_log_unsynced). One instance per worker: outbound
 * packets are steered by softwire, inbound by external port
 * (s46_cgn_owner_in). Side 0 is IPv4, side 1 IPv6. */
#ifndef S46_DP_AFTR_H
#define S46_DP_AFTR_H
#include <jansson.h>

#include "lib/blocklog.h"
#include "lib/cgn.h"
#include "lib/counters.h"
#include "lib/pkt.h"

#define S46_AFTR_COUNTERS(X) \
    X(v4_in, "packets received on the IPv4 side") \
    X(v6_in, "packets received on the IPv6 side (from B4s)") \
    X(v4_out, "packets sent on the IPv4 side: translated, echo replies, ICMPv4 errors") \
    X(v6_out, "packets sent to B4s, each outer fragment counted") \
    X(encapsulated, "IPv4 packets translated back and encapsulated toward their B4") \
    X(decapsulated, "packets from B4s decapsulated, translated and sent on to IPv4") \
    X(hairpinned, "B4-to-B4 packets to an external address of the pool, sent to the B4 holding that port") \
    X(echo_replies, "echo requests answered: ICMPv6 to the AFTR address, ICMPv4 to its IPv4 address") \
    X(icmp_errors_sent, "ICMPv4 errors built by the AFTR: time exceeded, fragmentation needed") \
    X(fragments_held, "fragments stored for reassembly (each leaves the batch with this reason)") \
    X(reassembled, "datagrams completed from stored fragments, then processed whole") \
    X(fragmented, "packets too big for the IPv6 MTU without DF, sent as outer IPv6 fragments") \
    X(drop_reassembly_failed, "fragments refused by reassembly: overlapping, inconsistent or too big") \
    X(drop_no_buffer, "packets not fragmented for want of a buffer or room in the batch") \
    X(drop_icmp_ratelimited, "ICMPv4 errors not sent for icmp_rate (the packet is counted under its own reason)") \
    X(drop_v4_malformed, "IPv4 packets that fail parsing (version, lengths, header checksum)") \
    X(drop_v4_to_aftr, "packets to the AFTR's IPv4 address that are not echo requests") \
    X(drop_echo_not_unicast, "echo requests (IPv4 or IPv6) from a source no reply may go to: 0/8, 127/8, multicast, 240/4, broadcast; ::, ::1, ff00::/8") \
    X(drop_v4_ttl_expired, "TTL expiring at the AFTR, and no ICMPv4 time exceeded sent") \
    X(drop_v4_too_big, "DF set and too big for the softwire, and no ICMPv4 fragmentation needed sent") \
    X(drop_in_malformed, "inbound packets without ports, fragments of no whole datagram, ICMP neither echo reply nor error") \
    X(drop_in_no_mapping, "inbound packets to no mapping (an ICMP error: about no flow of ours)") \
    X(drop_in_filtered, "inbound packets refused by the filtering (filtering: adf)") \
    X(drop_in_not_ours, "inbound packets to an address outside the pool") \
    X(drop_v6_malformed, "IPv6 packets that fail parsing (lengths, extension headers)") \
    X(drop_v6_not_aftr_address, "IPv6 destination other than the AFTR address") \
    X(drop_v6_not_ipip, "to the AFTR address but neither IPv4-in-IPv6 nor ICMPv6") \
    X(drop_v6_routing_header, "to the AFTR address with a Routing header whose Segments Left is not 0 (type 0, RFC 5095): discarded, each counted here, an ICMPv6 parameter problem sent back when allowed") \
    X(drop_icmpv6_other, "ICMPv6 to the AFTR address other than echo requests") \
    X(drop_inner_malformed, "inner IPv4 packets that fail parsing") \
    X(drop_inner_ttl_expired, "inner TTL expiring at the AFTR, and no ICMPv4 time exceeded sent back") \
    X(drop_unsupported_proto, "packets from B4s the CGN does not translate: not TCP, UDP, ICMP echo or error, or no ports") \
    X(drop_icmp_no_mapping, "ICMP errors from B4s about no flow the CGN knows for them") \
    X(drop_no_address, "new subscribers refused: no pool address has a free block") \
    X(drop_no_block, "new flows refused: the subscriber's address has no free block, or its blocks are full") \
    X(drop_sub_mappings, "new flows refused by the per-subscriber limit of mappings") \
    X(drop_sub_sessions, "new flows refused by the per-subscriber limit of sessions") \
    X(drop_sub_rate, "new flows refused by the per-subscriber limit of new sessions a second") \
    X(drop_table_full, "new flows refused: a table (subscribers, blocks, mappings, sessions) is full") \
    X(drop_log_refused, "new flows refused: the port-block log could not take the block's record") \
    X(drop_log_unsynced, "packets dropped because their block's log record could not be synced to disk") \
    X(drop_hairpin_off, "B4 packets to an external address of the pool with hairpinning off") \
    X(drop_unfinished, "packets no stage of the pipeline finished (a bug in the composition: please report)")

#define S46_AFTR_ENUM(n, d) S46_AFTR_##n,
enum s46_aftr_counter { S46_AFTR_COUNTERS(S46_AFTR_ENUM) S46_AFTR_NCOUNTERS };
#undef S46_AFTR_ENUM

typedef struct s46_aftr_conf {
    s46_ip6 aftr6;            /* the AFTR address (softwire endpoint) */
    uint32_t aftr4;           /* its IPv4 address: pings answered, source of
                                 ICMPv4 errors; 0: none */
    uint16_t ipv6_mtu;        /* largest IPv6 packet toward B4s (default 1500) */
    uint16_t ipv4_mtu;        /* largest IPv4 packet out (default 1500): inner
                                 datagrams reassembled here leave as fragments */
    uint8_t hop_limit;        /* outer hop limit (default 64) */
    int16_t encap_limit;      /* -1: no Tunnel Encapsulation Limit option */
    bool ttl_decrement;       /* be the IPv4 router hop (default on; off on TUN) */
    bool hairpin;             /* B4 to B4 through the pool (default on) */
    uint32_t icmp_rate;       /* ICMPv4 errors a second (default 1000; 0: no limit) */
    s46_cgn_config cgn;       /* pool, blocks, limits, timers, capacities (share,
                                 shares and on_block are set per worker) */
    s46_blocklog *log;        /* the port-block log (shared by the workers,
                                 owned by the caller); NULL: none */
} s46_aftr_conf;

typedef struct s46_aftr s46_aftr;

void s46_aftr_conf_default(s46_aftr_conf *c);
/* The instance of worker `share` of `shares`. NULL with err. */
s46_aftr *s46_aftr_new(const s46_aftr_conf *c, unsigned share, unsigned shares, char *err,
                       size_t errlen);
void s46_aftr_free(s46_aftr *a);
/* New addresses, tunnel settings, filtering, timers and limits between
 * batches (pool, blocks and capacities stay: a new pool needs a restart);
 * -1 with err keeps the running one. */
int s46_aftr_reconfigure(s46_aftr *a, const s46_aftr_conf *c, char *err, size_t errlen);
/* Its CGN (read-only: tests check its invariants). */
const s46_cgn *s46_aftr_cgn(const s46_aftr *a);
/* The fast path for packets of established flows (dp/cgn_fast.h) is on by
 * default; tests turn it off to compare with the stages alone. */
void s46_aftr_set_fast_paths(s46_aftr *a, bool on);
void s46_aftr_process(s46_aftr *a, s46_batch *b, uint16_t side, uint64_t now_ns);
/* Expires sessions and idle blocks; about once a second. */
void s46_aftr_tick(s46_aftr *a, uint64_t now_ns);
/* Which worker owns p arriving on side (outbound: its softwire; inbound:
 * its external port; fragments: their datagram). */
unsigned s46_aftr_steer(const s46_aftr *a, const s46_pkt *p, uint16_t side);
const s46_counters *s46_aftr_counters(const s46_aftr *a);
/* {"mechanism": "aftr", "aftr", "aftr_ipv4", "pool": {...use},
 *  "blocks": [...] (at most max_blocks), "cgn": {counters}, "stages"} */
json_t *s46_aftr_show(const s46_aftr *a, uint64_t now_ns, unsigned max_blocks);
#endif
