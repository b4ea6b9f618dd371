/* The lw4o6 lwB4 (RFC 7596 §5): the CE of a lightweight 4over6 softwire,
 * the softwire stages of dp/stages.h around a port-set NAPT44.
 *  LAN -> WAN: NAPT onto the given IPv4 address, into the port set of the
 *   PSID (RFC 7597 §5.1: psid, psid_len, psid_offset; offset 0 gives
 *   contiguous ranges, ports 0-1023 in PSID 0, only port 0 never used);
 *   RFC 2473 encapsulation from the B4 address to the lwAFTR; TCP MSS
 *   clamped to the tunnel; DF packets too big for the tunnel get ICMPv4
 *   3/4; hairpinning to our own address and ports.
 *  WAN -> LAN: only IPv4-in-IPv6 to the B4 address from the lwAFTR, inner
 *   destination our IPv4 address and a port of our set; the reverse NAPT
 *   (ICMP errors have their quoted packet translated too).
 *  ICMPv6 errors about our tunnel packets are relayed as ICMPv4 (RFC 2473
 *   §8; Packet Too Big lowers the tunnel MTU for 10 minutes, never below
 *   1280); ICMPv6 echo requests to the B4 address are answered.
 * Port 0 is the LAN (IPv4) side, port 1 the WAN (IPv6) side. Every drop is
 * counted by name. */
#ifndef S46_DP_CE_LW4O6_H
#define S46_DP_CE_LW4O6_H
#include <jansson.h>

#include "lib/addr.h"
#include "lib/counters.h"
#include "lib/napt.h"
#include "lib/pkt.h"

#define S46_LWB4_COUNTERS(X) \
    X(lan_in, "packets received from the LAN (IPv4)") \
    X(wan_in, "packets received from the WAN (IPv6)") \
    X(lan_out, "packets sent to the LAN: decapsulated, hairpinned, ICMPv4 errors") \
    X(wan_out, "packets sent to the WAN, each outer fragment counted: encapsulated, echo replies") \
    X(encapsulated, "LAN packets encapsulated toward the lwAFTR") \
    X(decapsulated, "packets from the lwAFTR decapsulated and sent to the LAN") \
    X(napt_out, "LAN packets translated onto the IPv4 address and a port of the set") \
    X(napt_in, "decapsulated packets translated back to the LAN host") \
    X(hairpinned, "LAN packets to our own address and ports, sent back to the LAN host mapped there") \
    X(mss_clamped, "TCP SYNs whose MSS option was lowered to fit the tunnel (both ways)") \
    X(echo_replies, "echo requests answered: ICMPv6 to the B4 address, ICMPv4 from the LAN to lan_ipv4") \
    X(icmp_errors_sent, "ICMPv4 errors sent to LAN hosts: time exceeded, fragmentation needed") \
    X(icmp6_relayed, "ICMPv6 errors about our tunnel packets relayed to the LAN host as ICMPv4") \
    X(path_mtu_lowered, "Packet Too Big messages that lowered the tunnel MTU (for 10 minutes)") \
    X(napt_mappings_created, "NAPT mappings created") \
    X(fragments_held, "fragments stored for reassembly (each leaves the batch with this reason)") \
    X(reassembled, "datagrams completed from stored fragments, then processed whole") \
    X(fragmented, "packets too big for the IPv6 MTU without DF, sent as outer IPv6 fragments") \
    X(drop_reassembly_failed, "fragments refused by reassembly: overlapping, inconsistent or too big") \
    X(drop_no_buffer, "packets not fragmented for want of a buffer or room in the batch") \
    X(drop_lan_to_ce, "LAN packets to lan_ipv4 (the CE itself) other than echo requests") \
    X(drop_lan_malformed, "LAN packets that fail IPv4 parsing (version, lengths, header checksum)") \
    X(drop_lan_ttl_expired, "TTL expiring at the CE, and no ICMPv4 time exceeded sent") \
    X(drop_lan_too_big, "DF set and too big for the tunnel, and no ICMPv4 fragmentation needed sent") \
    X(drop_lan_unsupported_proto, "LAN packets the NAPT does not translate: not TCP, UDP, ICMP echo or error") \
    X(drop_napt_no_port, "new flows for which every port of the set is in use") \
    X(drop_napt_table_full, "new flows refused because the mapping or session table is full") \
    X(drop_lan_icmp_no_mapping, "ICMP errors from the LAN about no flow the NAPT knows") \
    X(drop_hairpin_no_mapping, "hairpinned packets to a port with no mapping, or refused by the filtering") \
    X(drop_wan_malformed, "WAN packets that fail IPv6 parsing (lengths, extension headers)") \
    X(drop_wan_not_b4_address, "IPv6 destination other than the B4 address") \
    X(drop_wan_src_not_lwaftr, "IPv4-in-IPv6 (or an outer fragment) from a source other than the lwAFTR") \
    X(drop_wan_not_ipip, "to the B4 address but neither IPv4-in-IPv6 nor ICMPv6") \
    X(drop_wan_icmpv6, "ICMPv6 to the B4 address neither an echo request nor a usable error about our packets") \
    X(drop_inner_malformed, "inner IPv4 that fails parsing, a fragment, no ports, ICMP not echo reply or error") \
    X(drop_inner_not_my_ipv4, "inner IPv4 destination not the lwB4's IPv4 address") \
    X(drop_inner_port_not_mine, "inner destination port (ICMP error: the quoted source) not in the port set") \
    X(drop_napt_no_mapping, "inbound packets with no NAPT mapping, or no room for their session") \
    X(drop_napt_filtered, "inbound packets refused by the NAPT's filtering (filter: adf or eif)") \
    X(drop_icmp_ratelimited, "ICMPv4 errors not sent for the rate limit (the packet is counted under its own reason)") \
    X(drop_unfinished, "packets no stage of the pipeline finished (a bug in the composition: please report)")

#define S46_LWB4_ENUM(n, d) S46_LWB4_##n,
enum s46_lwb4_counter { S46_LWB4_COUNTERS(S46_LWB4_ENUM) S46_LWB4_NCOUNTERS };
#undef S46_LWB4_ENUM

typedef struct s46_lwb4_conf {
    s46_ip6 b4;                /* our tunnel address (the binding's IPv6) */
    s46_ip6 lwaftr;            /* the lwAFTR's tunnel address */
    uint32_t ipv4;             /* the (shared) IPv4 address */
    uint16_t psid;             /* the port set (RFC 7597 §5.1) */
    uint8_t psid_len;          /* 0..16 (0: the whole port space) */
    uint8_t psid_offset;       /* 0..15, psid_offset + psid_len <= 16 */
    uint16_t ipv6_mtu;         /* largest IPv6 packet on the WAN (default 1500) */
    uint8_t hop_limit;         /* outer hop limit (default 64) */
    int16_t encap_limit;       /* -1: no Tunnel Encapsulation Limit option */
    bool ttl_decrement;        /* be the IPv4 router hop (off on a TUN, see ce_mape.h) */
    uint32_t lan_ipv4;         /* source of ICMP errors to LAN hosts (0: ipv4) */
    s46_napt_config napt;      /* timers, filtering, capacities (address and port set unused) */
} s46_lwb4_conf;

typedef struct s46_lwb4 s46_lwb4;

void s46_lwb4_conf_default(s46_lwb4_conf *c);
/* NULL with err for an unusable configuration (endpoints unspecified,
 * multicast or equal, an IPv4 address 0, a PSID that does not fit,
 * psid_offset + psid_len > 16, an MTU below 1280, hop limit 0). */
s46_lwb4 *s46_lwb4_new(const s46_lwb4_conf *c, char *err, size_t errlen);
void s46_lwb4_free(s46_lwb4 *b);
/* Applies a new configuration without losing counters; the NAPT table is
 * flushed only when the IPv4 address or the port set changed (RFC 7596
 * §5.1). -1 with err, the running configuration kept. */
int s46_lwb4_reconfigure(s46_lwb4 *b, const s46_lwb4_conf *c, char *err, size_t errlen);
/* At most S46_BATCH_IN packets in; outer IPv6 fragments are appended from
 * the CE's own pool; fragments are held for reassembly until complete. */
void s46_lwb4_process(s46_lwb4 *b, s46_batch *batch, uint16_t in_port, uint64_t now_ns);
/* Expires NAPT state and a learned path MTU; call about once a second. */
void s46_lwb4_tick(s46_lwb4 *b, uint64_t now_ns);
const s46_counters *s46_lwb4_counters(const s46_lwb4 *b);
/* {"mechanism": "lw4o6", "b4", "lwaftr", "ipv4", "psid", "psid_len",
 *  "psid_offset", "ports": [[first, last], ...], "port_count", "ipv6_mtu",
 *  "path_mtu", "now", "napt": {...}, "mappings": [...] (at most
 *  max_mappings), "stages", "counters"} */
json_t *s46_lwb4_show(const s46_lwb4 *b, uint64_t now_ns, unsigned max_mappings);
#endif
