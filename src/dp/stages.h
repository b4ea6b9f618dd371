/* The stages softwire mechanisms share (softwire.h), by the step of the
 * packet's way they take. Each reads and fills the per-packet context and
 * counts through the mechanism's event table; what a stage needs of the
 * mechanism is in s46_sw (local, self4, icmp_src, ttl_decrement, pmtu, ti,
 * nat).
 *
 * Classify (stage_ip.c):
 *  parse4      IPv4 parsed into c->l3, trimmed to its total length (V4_MALFORMED)
 *  parse6      IPv6 parsed into c->l3, trimmed (V6_MALFORMED)
 *  local6      destination must be sw->local (NOT_LOCAL); c->peer = source
 *  local6_any  destination must be one of sw->locals (NOT_LOCAL); c->peer =
 *              source, c->local_idx and c->src = the address it came to
 *  routing_header6  a Routing header with Segments Left not 0 (RFC 5095):
 *              discarded, ICMPv6 Parameter Problem back (ROUTING_HEADER)
 *  self4       to sw->self4: echo requests answered but from a source that
 *              is not unicast (ECHO_NOT_UNICAST), the rest dropped (TO_SELF4)
 *  reassemble4 IPv4 fragments (but c->fixed ones) held until whole
 *              (c->was_fragment)
 *  reassemble6 outer IPv6 fragments held until whole (c->was_fragment)
 *  share4      a LAN datagram reassembled here whose internal endpoint
 *              another worker's NAT share owns (s46_steer_napt_out) is
 *              handed over to it
 *  share6      a datagram reassembled here whose NAT share is another
 *              worker's is handed over to it
 *  ttl4        a TTL that would expire here: ICMPv4 11/0 (TTL_EXPIRED)
 *  mtu4        DF and too big for the tunnel toward c->peer: ICMPv4 3/4
 *              with the room left (TOO_BIG)
 * Transport (stage_tunnel.c), RFC 2473:
 *  echo6       ICMPv6 echo requests to us answered (ECHO_REPLIES), not from
 *              ::, ::1 or multicast (ECHO_NOT_UNICAST)
 *  relay6      ICMPv6 errors about our tunnel packets (tunnel_icmp.h),
 *              through the NAT back when it translated the quoted packet
 *              (ICMP6_RELAYED; a quote of no packet of ours: ICMP6_SPOOFED;
 *              Packet Too Big below 1280: PTB_TOO_SMALL; otherwise unusable:
 *              ICMPV6_OTHER); other ICMPv6 dropped
 *  ipip6       only IPv4-in-IPv6 goes on (NOT_IPIP)
 *  inner4      the inner IPv4 packet parsed into c->in (INNER_MALFORMED)
 *  decap       the outer header(s) removed, the packet trimmed to the inner
 *              total length
 *  reassemble_inner4  (after decap) an inner IPv4 fragment into the IPv4
 *              table keyed by its tunnel peer too, so that no other tunnel
 *              can add to the datagram; from every peer when
 *              sw->reasm_inner_all, else only from a sender with a shared
 *              address (c->dom.psid_len), whose ports the later stages
 *              must see: its fragments are checked as a whole datagram
 *  ttl4_back   the router hop on the way out of the tunnel: a TTL that
 *              expires gets ICMPv4 Time Exceeded back through the tunnel to
 *              c->peer (INNER_TTL_EXPIRED when none is sent)
 *  out4        sent out of side 0 (DECAPSULATED); with DF clear beyond
 *              sw->ipv4_mtu (when set) as IPv4 fragments (a datagram
 *              reassemble_inner4 made whole, a translated packet)
 *  encap       the router hop (TTL), the outer header toward c->peer, out
 *              of side 1, outer fragments beyond the tunnel MTU
 *              (ENCAPSULATED, and c->peer_ctr)
 * NAT (stage_napt.c), the CE's port-set NAPT44 (dp/napt_rewrite.h):
 *  napt_check  only what the NAPT translates goes on (UNSUPPORTED)
 *  napt_out    source onto sw->nat.ext and a port of the set; packets to our
 *              own address and ports hairpinned back to side 0 (NAT_OUT,
 *              NAT_CREATED, HAIRPINNED, HAIRPIN_NO_MAPPING)
 *  napt_in     destination back to the internal endpoint (NAT_IN)
 *  mss_out     TCP MSS clamped to the tunnel toward c->peer (side 0)
 *  mss_in      the same for the decapsulated packet (side 1)
 * Translation (stage_xlat.c), RFC 7915 by sw->xlat (lib/xlat.h), the
 * transport of translating mechanisms in place of encap/decap:
 *  xlat_reasm  ICMP and ICMPv6 fragments reassembled (their checksum covers
 *              the whole datagram); other fragments translated one by one
 *  xlat4to6    IPv4 into IPv6, out of side 1 (cut into IPv6 fragments
 *              beyond the IPv6 MTU when DF is clear); TTL expiring, DF and
 *              too big, source route: ICMPv4 error from sw->icmp_src; other
 *              refusals dropped under sw->xlat.why
 *  xlat6to4    IPv6 into IPv4, out of side 0 (sw->xlat_keep6to4: left to
 *              the next stages, parsed into c->in); hop limit expiring, too big,
 *              segments left: ICMPv6 error from sw->local (none when it is
 *              ::); other refusals dropped under sw->xlat.why. A datagram
 *              reassembled here is never too big: it leaves as IPv4
 *              fragments (DF clear) beyond the IPv4 MTU
 *  xlat6to4_hold  the same, but a translated packet is left to the next
 *              stages (c->in: the IPv4 packet), not counted
 *  xlat_out4   out of side 0, cut into IPv4 fragments beyond the IPv4 MTU
 *              when DF is clear (after xlat6to4 with keep6to4)
 * CGN (stage_cgn.c), a center mechanism's carrier-grade NAT (sw->cgn,
 * lib/cgn.h), subscriber c->peer, counted by sw->cgn.why:
 *  cgn_out     the IPv4 packet in c->in NAPTed outbound (a subscriber's ICMP
 *              error: its quote back to our external endpoint); one to a
 *              pool address hairpinned: translated inbound on the worker
 *              owning its port, then sw->cgn.hairpin_out
 *  owner4      a datagram reassembled here whose external port another
 *              worker owns is handed to it
 *  cgn_in      the IPv4 packet in c->l3 to its subscriber's internal
 *              endpoint (an ICMP error: its quote's source); c->peer = the
 *              subscriber
 *  log_sync    the port blocks the batch allocated synced to the log before
 *              their packets leave (else dropped, LOG_UNSYNCED)
 * MAP domain (stage_map.c, dp/map_domain.h), by sw->map:
 *  map_dst4    c->peer = the MAP address of the CE owning the destination
 *              address and port (MAP_UNMAPPABLE4, MAP_NO_RULE4 unless
 *              ICMPv4 3/1 is sent, MAP_PORT_EXCLUDED)
 *  map_src6    c->peer (the sender) must be a CE's MAP address; c->dom = its
 *              address and port set (MAP_SRC_NO_RULE, MAP_SRC_NOT_MAP)
 *  map_inner_src  the IPv4 packet at p->data (c->in) from that address and
 *              a port of the set (MAP_SPOOFED_ADDR, MAP_SPOOFED_PORT,
 *              MAP_NO_PORT, MAP_UNVERIFIABLE, INNER_MALFORMED)
 *  hairpin     a destination inside the domain sent to its CE, translated
 *              when sw->xlat.x is set, else encapsulated (HAIRPINNED,
 *              MAP_DST_IN_DOMAIN, INNER_TTL_EXPIRED)
 * Stages skip what does not concern them (napt_* without a NAT or for
 * c->fixed packets, mss_* for anything but TCP first fragments). */
#ifndef S46_DP_STAGES_H
#define S46_DP_STAGES_H
#include "dp/softwire.h"

extern const s46_stage s46_st_parse4, s46_st_parse6, s46_st_local6, s46_st_local6_any, s46_st_rh6,
    s46_st_self4,
    s46_st_reasm4, s46_st_reasm6, s46_st_share4, s46_st_share6, s46_st_ttl4, s46_st_mtu4;
extern const s46_stage s46_st_echo6, s46_st_relay6, s46_st_ipip6, s46_st_inner4, s46_st_decap,
    s46_st_reasm_inner4, s46_st_out4, s46_st_encap, s46_st_ttl4_back;
extern const s46_stage s46_st_napt_check, s46_st_napt_out, s46_st_napt_in, s46_st_mss_out,
    s46_st_mss_in;
extern const s46_stage s46_st_xlat_reasm, s46_st_xlat4to6, s46_st_xlat6to4, s46_st_xlat6to4_hold,
    s46_st_xlat_out4;
extern const s46_stage s46_st_cgn_out, s46_st_owner4, s46_st_cgn_in, s46_st_log_sync;
/* A center mechanism's CGN (lib/cgn.h: this worker's share of cfg's pool,
 * its new and released blocks logged through writer when writer->log is
 * set) made and put in sw->cgn with the rest of what the CGN stages read;
 * 0, or -1 with err. s46_sw_cgn_tick: its timers, and the log synced. */
struct s46_cgn_config;
int s46_sw_cgn_open(s46_sw *sw, const struct s46_cgn_config *cfg, unsigned share, unsigned shares,
                    struct s46_blocklog_writer *writer, bool hairpin, const uint16_t *why,
                    void (*hairpin_out)(s46_sw *sw, s46_ctx *c, uint64_t now), char *err,
                    size_t errlen);
void s46_sw_cgn_tick(s46_sw *sw, uint64_t now_ns);
/* The IPv4 packet of c, whose inbound CGN step is at external port `port`,
 * handed to the worker owning that port as an IPv4 arrival when that is not
 * this one: true when handed (c finished). */
bool s46_sw_cgn_hand_over(s46_sw *sw, s46_ctx *c, uint16_t port);
extern const s46_stage s46_st_map_dst4, s46_st_map_src6, s46_st_map_inner_src,
    s46_st_map_hairpin;
/* The IPv4 packet of c translated into IPv6 and sent out of side 1, as
 * xlat4to6 does (router_hop false: its TTL left as it is, the hop counted
 * already), counted under ev (S46_EV_NONE: sw->xlat.done4). */
void s46_sw_xlat_out6(s46_sw *sw, s46_ctx *c, uint64_t now, bool router_hop, s46_ev ev);
/* A hairpinned IPv4 packet (c->l3) back out of side 1 as xlat4to6 sends
 * it (the router hop counted, sw->xlat.done4), an error about it back into
 * side 1 (sw->xlat.hairpin_error4); true when it was translated. */
bool s46_sw_xlat_hairpin6(s46_sw *sw, s46_ctx *c, uint64_t now);
/* What xlat6to4 does with a refusal r of s46_xlat_6to4 about c: true when
 * it sent c back out of side 1 as the ICMPv6 error r calls for (hop limit,
 * too big, segments left; rate limited, from sw->local); false otherwise
 * (c untouched: the caller drops it). */
bool s46_sw_xlat6_error(s46_sw *sw, s46_ctx *c, s46_xlat_res r, const s46_xlat_info *info,
                        uint64_t now);

static inline uint32_t s46_sw_secs(uint64_t ns) { return (uint32_t)(ns / 1000000000ull); }
#endif
