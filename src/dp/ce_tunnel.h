/* A CE whose IPv4 goes through ONE RFC 2473 IPv4-in-IPv6 tunnel between two
 * fixed IPv6 endpoints (local -> remote). Two HB46PP mechanisms:
 *  - dslite: the B4 of RFC 6333. LAN IPv4 packets, any protocol, fragments
 *    too, are encapsulated unchanged (the AFTR does the NAT); packets
 *    decapsulated from the AFTR go to the LAN unchanged.
 *  - ipip: HB46PP `ipip` {ipv6_local, ipv6_remote, ipv4 prefix}. LAN packets
 *    whose source is inside the fixed prefix (other than the NAT address)
 *    pass unchanged; any other source goes through the NAPT44 onto the NAT
 *    address with the whole port space (psid_len 0: external ports
 *    1..65535, only port 0 is never used). Inbound, the NAT address goes
 *    through the reverse NAPT (with its filtering), the other addresses of
 *    the prefix go to the LAN unchanged, anything else is dropped.
 * Both: the encapsulator is the IPv4 router hop (TTL decremented, ICMPv4 11/0
 * for a TTL that would expire); the IPv6 traffic class is copied from the
 * IPv4 TOS (RFC 6333 §5.2/§7.1); a packet too big for the tunnel with DF set
 * gets ICMPv4 3/4 with the tunnel MTU, without DF it is encapsulated and the
 * outer IPv6 packet fragmented (RFC 2473 §7.2, RFC 6333 §5.3); outer
 * fragments are reassembled before decapsulation; TCP MSS is clamped to the
 * tunnel both ways. ICMPv6 echo requests to the local address are answered.
 * ICMPv6 errors about our tunnel packets (RFC 2473 §8) go to the inner IPv4
 * source as ICMPv4 3/4 (Packet Too Big, which also lowers the tunnel MTU for
 * 10 minutes, never below 1280) or 3/1 (the others).
 * Port 0 is the LAN (IPv4) side, port 1 the WAN (IPv6) side. Every drop is
 * counted by name. */
#ifndef S46_DP_CE_TUNNEL_H
#define S46_DP_CE_TUNNEL_H
#include <jansson.h>

#include "lib/addr.h"
#include "lib/counters.h"
#include "lib/napt.h"
#include "lib/pkt.h"

enum { S46_CET_PORT_LAN = 0, S46_CET_PORT_WAN = 1 };

typedef enum { S46_CET_DSLITE, S46_CET_IPIP } s46_cet_kind;

#define S46_CET_COUNTERS(X) \
    X(lan_in, "packets received from the LAN (IPv4)") \
    X(wan_in, "packets received from the WAN (IPv6)") \
    X(lan_out, "packets sent to the LAN: decapsulated, hairpinned, ICMPv4 errors and relayed errors") \
    X(wan_out, "packets sent to the WAN, each outer fragment counted: encapsulated, echo replies") \
    X(encapsulated, "LAN packets encapsulated toward the remote endpoint (AFTR or ipv6_remote)") \
    X(decapsulated, "packets from the remote endpoint decapsulated and sent to the LAN") \
    X(lan_fixed_source, "ipip: LAN packets from an address of the fixed prefix, sent unchanged") \
    X(lan_napt, "ipip: LAN packets translated onto the NAT address") \
    X(wan_fixed_destination, "ipip: decapsulated packets to the fixed prefix (not the NAT address), unchanged") \
    X(wan_napt, "ipip: decapsulated packets to the NAT address, translated back") \
    X(hairpinned, "ipip: LAN packets to the NAT address, sent back to the LAN host mapped there") \
    X(mss_clamped, "TCP SYNs whose MSS option was lowered to fit the tunnel (both ways)") \
    X(echo_replies, "echo requests answered: ICMPv6 to the local endpoint, ICMPv4 from the LAN to lan_ipv4") \
    X(icmp_errors_sent, "ICMPv4 errors sent to LAN hosts: time exceeded, fragmentation needed") \
    X(icmp6_relayed, "ICMPv6 errors about our tunnel packets relayed to the inner source as ICMPv4") \
    X(path_mtu_lowered, "Packet Too Big messages that lowered the tunnel MTU (for 10 minutes)") \
    X(napt_mappings_created, "ipip: NAPT mappings created onto the NAT address") \
    X(fragments_held, "fragments stored for reassembly (each leaves the batch with this reason)") \
    X(reassembled, "datagrams completed from stored fragments, then processed whole") \
    X(fragmented, "packets too big for the IPv6 MTU without DF, sent as outer IPv6 fragments") \
    X(drop_reassembly_failed, "fragments refused by reassembly: overlapping, inconsistent or too big") \
    X(drop_no_buffer, "packets not fragmented for want of a buffer or room in the batch") \
    X(drop_lan_to_ce, "LAN packets to lan_ipv4 (the CE itself) other than echo requests") \
    X(drop_lan_malformed, "LAN packets that fail IPv4 parsing (version, lengths, header checksum)") \
    X(drop_lan_ttl_expired, "TTL expiring at the CE, and no ICMPv4 time exceeded sent") \
    X(drop_lan_too_big, "DF set and too big for the tunnel, and no ICMPv4 fragmentation needed sent") \
    X(drop_lan_unsupported_proto, "ipip, to the NAPT: not TCP, UDP, ICMP echo or error, or no ports") \
    X(drop_napt_no_port, "ipip: new flows for which every port is in use") \
    X(drop_napt_table_full, "ipip: new flows refused because the mapping or session table is full") \
    X(drop_lan_icmp_no_mapping, "ipip: ICMP errors from the LAN about no flow the NAPT knows") \
    X(drop_hairpin_no_mapping, "ipip: hairpinned packets to a port with no mapping, or refused by the filtering") \
    X(drop_wan_malformed, "WAN packets that fail IPv6 parsing (lengths, extension headers)") \
    X(drop_wan_not_local, "IPv6 destination other than the local endpoint") \
    X(drop_wan_src_not_remote, "IPv6 source other than the remote endpoint (ICMPv6 excepted)") \
    X(drop_wan_not_ipip, "from the remote endpoint but neither IPv4-in-IPv6 nor ICMPv6") \
    X(drop_wan_icmpv6, "ICMPv6 other than echo requests and relayable errors about our tunnel packets") \
    X(drop_inner_malformed, "inner IPv4 that fails parsing; ipip NAT address: no ports, ICMP not echo reply or error") \
    X(drop_inner_not_my_ipv4, "ipip: inner destination outside the fixed prefix") \
    X(drop_inner_port_not_mine, "ipip: inbound ICMP error quoting no packet from the NAT address") \
    X(drop_napt_no_mapping, "ipip: inbound packets with no NAPT mapping, or no room for their session") \
    X(drop_napt_filtered, "ipip: inbound packets refused by the NAPT's filtering (filter: adf or eif)") \
    X(drop_icmp_ratelimited, "ICMPv4 errors not sent for the rate limit (the packet is counted under its own reason)") \
    X(drop_unfinished, "packets no stage of the pipeline finished (a bug in the composition: please report)")

#define S46_CET_ENUM(n, d) S46_CET_##n,
enum s46_cet_counter { S46_CET_COUNTERS(S46_CET_ENUM) S46_CET_NCOUNTERS };
#undef S46_CET_ENUM

typedef struct s46_cet_conf {
    s46_cet_kind kind;
    s46_ip6 local, remote;     /* tunnel endpoints: B4 address / ipv6_local;
                                  AFTR / ipv6_remote */
    s46_pfx4 ipv4;             /* ipip: the fixed prefix */
    uint32_t nat_addr;         /* ipip: NAPT address inside the prefix (0: the
                                  first host address, i.e. the prefix address
                                  + 1 up to a /30, the prefix address for a
                                  /31 or /32) */
    uint16_t ipv6_mtu;         /* largest IPv6 packet on the WAN (default 1500,
                                  at least 1280) */
    uint8_t hop_limit;         /* outer hop limit (default 64) */
    int16_t encap_limit;       /* -1: no Tunnel Encapsulation Limit option */
    uint32_t lan_ipv4;         /* source of ICMP errors to LAN hosts (0: dslite
                                  192.0.0.2, the B4's well-known address of
                                  RFC 6333 §5.7; ipip the NAT address). With a
                                  TUN it must not be an address of the CE's
                                  own kernel (see ce_mape.h) */
    bool ttl_decrement;        /* be the IPv4 router hop into the tunnel
                                  (default on); off when the kernel forwards
                                  the packets anyway (TUN), as for s46-br */
    s46_napt_config napt;      /* ipip: timers, filtering, capacities
                                  (addresses and port set unused) */
} s46_cet_conf;

typedef struct s46_cet s46_cet;

void s46_cet_conf_default(s46_cet_conf *c);
/* NULL with err for an unusable configuration (endpoints unspecified or
 * multicast, a prefix with host bits, a NAT address outside the prefix, an
 * MTU below 1280, hop limit 0, encap_limit above 255). */
s46_cet *s46_cet_new(const s46_cet_conf *c, char *err, size_t errlen);
void s46_cet_free(s46_cet *t);
/* Applies a new configuration without losing counters (the kind may change).
 * The NAPT table is flushed only when the NAT address changed (a change to
 * dslite drops it); new timers and filtering apply to existing mappings,
 * new capacities only to a table created anew. -1 with err, the running
 * configuration kept. */
int s46_cet_reconfigure(s46_cet *t, const s46_cet_conf *c, char *err, size_t errlen);
/* At most S46_BATCH_IN packets in; outer IPv6 fragments are appended from
 * the CE's own pool; fragments are held for reassembly until complete. */
void s46_cet_process(s46_cet *t, s46_batch *b, uint16_t in_port, uint64_t now_ns);
/* Expires NAPT state and a learned path MTU; call about once a second. */
void s46_cet_tick(s46_cet *t, uint64_t now_ns);
const s46_counters *s46_cet_counters(const s46_cet *t);
/* {"mechanism": "dslite"|"ipip", "local", "remote", "ipv4" (ipip: the prefix,
 *  else null), "nat_address" (ipip, else null), "ipv6_mtu", "path_mtu"
 *  (lower while a Packet Too Big is remembered), "mss", "now",
 *  "napt": {...} (ipip, else null), "mappings": [...] (at most max_mappings),
 *  "counters": {...}} */
json_t *s46_cet_show(const s46_cet *t, uint64_t now_ns, unsigned max_mappings);
#endif
