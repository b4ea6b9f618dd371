/* The MAP-E Border Relay data plane (RFC 7597 §5.4, §7.2, §8): stateless,
 * all from the rules. Port 0 is the IPv4 side, port 1 the IPv6 side.
 *  IPv4 -> IPv6: FMR longest match on the destination, PSID from the
 *   destination port (ICMP query: identifier; ICMP error: the quoted
 *   packet's source port), RFC 2473 encapsulation to the CE's MAP address.
 *  IPv6 -> IPv4: only IPv4-in-IPv6 to the BR address from a MAP address of
 *   a rule, the inner source address and port consistent with it (silent,
 *   counted drop otherwise); CE-to-CE traffic hairpinned when enabled.
 * Echo requests to the BR's addresses are answered; ICMPv6 errors about
 * tunnel packets are relayed to the IPv4 source (RFC 2473 §8.3). Every
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
    X(v4_in) X(v6_in) X(v4_out) X(v6_out) \
    X(v4_encapsulated) X(v6_decapsulated) X(hairpinned) \
    X(echo_replies) X(icmp_errors_sent) X(icmp_relayed) \
    X(fragments_held) X(reassembled) X(fragmented) X(drop_reassembly_failed) X(drop_no_buffer) \
    X(drop_v4_malformed) X(drop_v4_no_rule) X(drop_v4_port_excluded) X(drop_v4_to_br) \
    X(drop_v4_ttl_expired) X(drop_v4_too_big) X(drop_v4_icmp_unmappable) \
    X(drop_v6_malformed) X(drop_v6_not_br_address) X(drop_v6_not_ipip) \
    X(drop_v6_src_no_rule) X(drop_v6_src_not_map_address) \
    X(drop_inner_malformed) X(drop_inner_spoofed_address) X(drop_inner_spoofed_port) \
    X(drop_inner_dst_in_domain) X(drop_inner_ttl_expired) X(drop_icmp_ratelimited) \
    X(drop_icmpv6_other)

#define S46_BR_ENUM(n) S46_BR_##n,
enum s46_br_counter { S46_BR_COUNTERS(S46_BR_ENUM) S46_BR_NCOUNTERS };
#undef S46_BR_ENUM

typedef struct s46_br_conf {
    s46_ruleset *rules;       /* FMRs (owned by the caller) */
    s46_ip6 br6;              /* BR IPv6 address (tunnel endpoint) */
    uint32_t br4;             /* BR IPv4 address: source of ICMPv4; 0 = none */
    s46_iid_layout layout;
    uint16_t ipv6_mtu;        /* largest IPv6 packet toward CEs (default 1500) */
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
/* Runs the pipeline over a batch (at most S46_BATCH_IN packets) that arrived
 * on in_port. Outer IPv6 fragments are appended to the batch from the BR's
 * own pool (s46_pkt_release returns them there). Fragments are held for
 * reassembly (verdict DROP, counted as fragments_held) until complete. */
void s46_br_process(s46_br *br, s46_batch *b, uint16_t in_port, uint64_t now_ns);
const s46_counters *s46_br_counters(const s46_br *br);
/* The fast paths for the commonest packets are on by default; tests turn
 * them off to check that both ways give the same bytes and counters. */
void s46_br_set_fast_paths(s46_br *br, bool on);
#endif
