/* The MAP-E CE data plane (RFC 7597 §5.3, §8, §8.1, §9) with its NAPT44
 * (RFC 4787/5382/5508) restricted to the CE's port set.
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
    X(lan_in) X(wan_in) X(lan_out) X(wan_out) X(encapsulated) X(decapsulated) \
    X(to_br) X(to_fmr) X(hairpinned) X(mss_clamped) X(echo_replies) X(icmp_errors_sent) \
    X(icmp6_relayed) X(path_mtu_lowered) \
    X(napt_mappings_created) X(fragments_held) X(reassembled) X(fragmented) \
    X(drop_reassembly_failed) X(drop_no_buffer) \
    X(drop_lan_malformed) X(drop_lan_unsupported_proto) \
    X(drop_lan_too_big) X(drop_napt_no_port) X(drop_napt_table_full) \
    X(drop_lan_icmp_no_mapping) X(drop_hairpin_no_mapping) \
    X(drop_wan_malformed) X(drop_wan_not_map_address) \
    X(drop_wan_not_ipip) X(drop_wan_icmpv6) X(drop_wan_src_unknown) \
    X(drop_wan_spoofed_address) X(drop_wan_spoofed_port) X(drop_inner_malformed) \
    X(drop_inner_not_my_ipv4) X(drop_inner_port_not_mine) X(drop_napt_no_mapping) \
    X(drop_napt_filtered) X(drop_icmp_ratelimited) X(drop_not_configured)

#define S46_CE_ENUM(n) S46_CE_##n,
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
    uint8_t hop_limit;         /* outer hop limit (default 64) */
    int16_t encap_limit;       /* -1: no Tunnel Encapsulation Limit option */
    uint32_t lan_ipv4;         /* source of ICMP errors to LAN hosts (0: the CE's
                                  public address). With a TUN it must not be an
                                  address of the CE's own kernel, which drops
                                  packets that come in from its own address. */
    s46_napt_config napt;      /* timers, filtering, capacities (addresses unused) */
} s46_ce_conf;

typedef struct s46_ce s46_ce;

void s46_ce_conf_default(s46_ce_conf *c);
/* Builds the CE: selects the BMR for the End-user prefix, derives the IPv4
 * address, PSID and MAP address. NULL with err when that is impossible. */
s46_ce *s46_ce_new(const s46_ce_conf *c, char *err, size_t errlen);
void s46_ce_free(s46_ce *ce);
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
/* {"ipv4", "ipv4_prefix_len", "psid", "psid_len", "psid_offset", "ports",
 *  "port_count", "ce_ipv6", "br", "mesh", "iid", "napt": {...},
 *  "mappings": [...] (at most max_mappings), "counters": {...}} */
json_t *s46_ce_show(const s46_ce *ce, uint64_t now_ns, unsigned max_mappings);
#endif
