/* The MAP-E CE data plane (RFC 7597 §5.3, §8, §8.1, §9) with its NAPT44
 * (RFC 4787/5382/5508) restricted to the CE's port set; with `mapt` set,
 * the MAP-T CE (RFC 7599 §8.1, §8.2): the same domain and NAPT with RFC 7915
 * translation as transport (see "MAP-T" below).
 *  LAN -> WAN: NAPT into the port set; destination in an FMR (mesh mode)
 *   -> that CE's MAP address, else the BR; RFC 2473 encapsulation from the
 *   CE's MAP address; TCP MSS clamped to the tunnel; DF packets too big for
 *   the tunnel get ICMPv4 3/4. Hairpinning to our own address and ports.
 *  WAN -> LAN: only IPv4-in-IPv6 to our MAP address, from the BR or (mesh)
 *   from the MAP address of a CE whose inner source address and port are
 *   consistent with it; inner destination ours and inside our port set;
 *   reverse NAPT. ICMP errors have their quoted packet translated too.
 *  ICMPv6 errors about our tunnel packets (RFC 7597 §8.3.1 -> RFC 2473 §7,
 *   §8; tunnel_icmp.h): Packet Too Big lowers the tunnel MTU toward that BR
 *   or CE for 10 minutes (never below 1280) and, for a DF packet, becomes
 *   ICMPv4 3/4 to the LAN host; the other errors become ICMPv4 3/1 to it.
 * MAP-T: LAN -> WAN as above up to the NAPT, then translated with the MAP
 *  address as source and, for the destination, an FMR's CE address (mesh)
 *  or the RFC 6052 embedding into the DMR prefix; WAN -> LAN: only to the
 *  MAP address, from the DMR prefix or (mesh) an FMR CE's MAP address,
 *  translated, that CE's source port checked, the reverse NAPT. The DF and
 *  MSS limits are the tunnel's (20 bytes below what translation needs).
 *  Only CEs with an IPv4 address (shared or not), not a prefix.
 * Port 0 is the LAN (IPv4) side, port 1 the WAN (IPv6) side. Every drop is
 * counted by name. */
#ifndef S46_DP_CE_MAPE_H
#define S46_DP_CE_MAPE_H
#include <jansson.h>

#include "lib/counters.h"
#include "lib/maprule.h"
#include "lib/napt.h"
#include "lib/pkt.h"
#include "lib/ruleset.h"

enum { S46_CE_PORT_LAN = 0, S46_CE_PORT_WAN = 1 };

#define S46_CE_COUNTERS(X) \
    X(lan_in, "packets received from the LAN (IPv4)") \
    X(wan_in, "packets received from the WAN (IPv6)") \
    X(lan_out, "packets sent to the LAN: decapsulated, hairpinned, ICMPv4 errors") \
    X(wan_out, "packets sent to the WAN, each outer fragment counted: encapsulated, echo replies") \
    X(encapsulated, "LAN packets translated by the NAPT and encapsulated from the MAP address") \
    X(decapsulated, "WAN packets decapsulated, translated back by the NAPT and sent to the LAN") \
    X(to_br, "encapsulated packets sent to the BR (no FMR match, or hub and spoke)") \
    X(to_fmr, "encapsulated packets sent straight to another CE through an FMR (mesh)") \
    X(hairpinned, "LAN packets to the CE's own address and ports, sent back to the LAN host mapped there") \
    X(mss_clamped, "TCP SYNs whose MSS option was lowered to fit the tunnel (both ways)") \
    X(echo_replies, "echo requests answered: ICMPv6 to the MAP address, ICMPv4 from the LAN to lan_ipv4") \
    X(icmp_errors_sent, "ICMPv4 errors sent to LAN hosts (fragmentation needed, relayed ICMPv6 errors)") \
    X(icmp6_relayed, "ICMPv6 errors about our tunnel packets relayed to the LAN host as ICMPv4 (RFC 2473 section 8)") \
    X(path_mtu_lowered, "Packet Too Big messages that lowered the tunnel MTU toward the BR or a peer CE") \
    X(napt_mappings_created, "NAPT mappings created (internal address and port onto a port of the set)") \
    X(fragments_held, "fragments stored for reassembly (each leaves the batch with this reason)") \
    X(reassembled, "datagrams completed from stored fragments, then processed whole") \
    X(fragmented, "packets too big for the IPv6 MTU without DF, sent as outer IPv6 fragments") \
    X(drop_reassembly_failed, "fragments refused by reassembly: overlapping, inconsistent or too big") \
    X(drop_no_buffer, "packets not fragmented for want of a buffer or room in the batch") \
    X(drop_lan_ttl_expired, "LAN packets whose TTL would expire here (ICMPv4 time exceeded sent when allowed)") \
    X(drop_lan_to_ce, "LAN packets to lan_ipv4 (the CE itself) other than echo requests") \
    X(drop_lan_malformed, "LAN packets that fail IPv4 parsing (version, lengths, header checksum)") \
    X(drop_lan_unsupported_proto, "LAN packets the NAPT does not translate: not TCP, UDP, ICMP echo or error") \
    X(drop_lan_too_big, "DF set and too big for the tunnel, and no ICMPv4 fragmentation needed sent") \
    X(drop_napt_no_port, "new flows for which every port of the set is in use") \
    X(drop_napt_table_full, "new flows refused because the mapping or session table is full") \
    X(drop_lan_icmp_no_mapping, "ICMP errors from the LAN about no flow the NAPT knows") \
    X(drop_hairpin_no_mapping, "hairpinned packets to a port with no mapping, or refused by the filtering") \
    X(drop_wan_malformed, "WAN packets that fail IPv6 parsing (lengths, extension headers)") \
    X(drop_wan_not_map_address, "IPv6 destination other than the CE's MAP address") \
    X(drop_wan_not_ipip, "to the MAP address but neither IPv4-in-IPv6 nor ICMPv6") \
    X(drop_wan_icmpv6, "ICMPv6 to the MAP address neither an echo request nor a usable error about our packets (bad quote, MTU below 1280)") \
    X(drop_wan_src_unknown, "IPv6 source neither the BR nor (mesh) the MAP address of a CE of a rule") \
    X(drop_wan_spoofed_address, "from a peer CE: inner IPv4 source not that CE's address") \
    X(drop_wan_spoofed_port, "from a peer CE: inner source port outside that CE's port set") \
    X(drop_inner_malformed, "inner IPv4 that fails parsing, a fragment, no ports, ICMP not echo reply or error") \
    X(drop_inner_not_my_ipv4, "inner IPv4 destination not the CE's address (or prefix)") \
    X(drop_inner_port_not_mine, "inner destination port (ICMP error: the quoted source) not in the CE's set") \
    X(drop_napt_no_mapping, "inbound packets with no NAPT mapping, or no room for their session") \
    X(drop_napt_filtered, "inbound packets refused by the NAPT's filtering (filter: adf or eif)") \
    X(drop_icmp_ratelimited, "ICMPv4 errors not sent for the rate limit (the packet is counted under its own reason)") \
    X(translated4, "MAP-T: LAN packets translated by the NAPT, then into IPv6 from the MAP address") \
    X(translated6, "MAP-T: WAN packets translated into IPv4, then back by the NAPT and sent to the LAN") \
    X(drop_wan_hop_limit, "MAP-T: WAN packets whose hop limit would expire here (ICMPv6 time exceeded sent when allowed)") \
    X(drop_xlat_malformed, "MAP-T: packets whose headers the translator cannot read") \
    X(drop_xlat_no_mapping, "MAP-T: addresses with no translation (outside the DMR prefix, an FMR CE with an IPv4 prefix)") \
    X(drop_xlat_icmp, "MAP-T: ICMP untranslatable: type or code, fragment, or its quoted packet") \
    X(drop_xlat_udp_zero, "MAP-T: IPv6 UDP with a zero checksum") \
    X(drop_xlat_other, "MAP-T: refused by the translator otherwise: too big, source route, segments left, no headroom, fragment too big") \
    X(drop_unfinished, "packets no stage of the pipeline finished (a bug in the composition: please report)")

#define S46_CE_ENUM(n, d) S46_CE_##n,
enum s46_ce_counter { S46_CE_COUNTERS(S46_CE_ENUM) S46_CE_NCOUNTERS };
#undef S46_CE_ENUM

typedef struct s46_ce_conf {
    const s46_maprule *rules;  /* BMR and FMRs (copied) */
    size_t nrules;
    s46_pfx6 eu_prefix;        /* the delegated End-user prefix */
    s46_ip6 br;                /* BR address */
    s46_iid_layout layout;
    bool mesh;                 /* false: hub and spoke, everything via the BR */
    uint16_t ipv6_mtu;         /* largest IPv6 packet on the WAN (default 1500) */
    bool ttl_decrement;        /* be the IPv4 router hop (on Ethernet ports);
                                  off (the default) on a TUN, where the kernel
                                  forwards the packets and decrements */
    uint8_t hop_limit;         /* outer hop limit (default 64) */
    int16_t encap_limit;       /* -1: no Tunnel Encapsulation Limit option */
    uint32_t lan_ipv4;         /* source of ICMP errors to LAN hosts (0: the CE's
                                  public address). With a TUN it must not be an
                                  address of the CE's own kernel, which drops
                                  packets that come in from its own address. */
    s46_napt_config napt;      /* timers, filtering, capacities (addresses unused) */
    bool mapt;                 /* MAP-T (br unused): fixed for the CE's life */
    s46_pfx6 dmr;              /* MAP-T: the DMR prefix (an RFC 6052 length) */
    uint16_t lowest_ipv6_mtu;  /* MAP-T: IPv4 with DF clear becomes IPv6 fragments
                                  no larger (default 1280, RFC 7915 §4.1) */
} s46_ce_conf;

typedef struct s46_ce s46_ce;

void s46_ce_conf_default(s46_ce_conf *c);
/* Builds the CE: selects the BMR for the End-user prefix, derives the IPv4
 * address, PSID and MAP address. NULL with err when that is impossible. */
s46_ce *s46_ce_new(const s46_ce_conf *c, char *err, size_t errlen);
void s46_ce_free(s46_ce *ce);
/* What s46_ce_new would derive from c (BMR, IPv4 address, PSID, MAP
 * address), without building a CE. 0, or -1 with err. */
int s46_ce_params_of(const s46_ce_conf *c, s46_ce_params *out, char *err, size_t errlen);
/* Applies a new configuration without losing counters; the NAPT table is
 * flushed only when the IPv4 address or the port set changed. */
int s46_ce_reconfigure(s46_ce *ce, const s46_ce_conf *c, char *err, size_t errlen);
const s46_ce_params *s46_ce_params_get(const s46_ce *ce);
/* At most S46_BATCH_IN packets in; outer IPv6 fragments are appended from
 * the CE's own pool; fragments are held for reassembly until complete. */
void s46_ce_process(s46_ce *ce, s46_batch *b, uint16_t in_port, uint64_t now_ns);
/* Expires NAPT state; call about once a second. */
void s46_ce_tick(s46_ce *ce, uint64_t now_ns);
const s46_counters *s46_ce_counters(const s46_ce *ce);
/* The stages each side's packets go through (dp/softwire.h), for show. */
json_t *s46_ce_stages_json(const s46_ce *ce);
/* {"ipv4", "ipv4_prefix_len", "psid", "psid_len", "psid_offset", "ports",
 *  "port_count", "ce_ipv6", "br", "mesh", "iid", "napt": {...},
 *  "mappings": [...] (at most max_mappings), "counters": {...}} */
json_t *s46_ce_show(const s46_ce *ce, uint64_t now_ns, unsigned max_mappings);
#endif
