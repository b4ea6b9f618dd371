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
 *  ttl4_back   the router hop on the way out of the tunnel: a TTL that
 *              expires gets ICMPv4 Time Exceeded back through the tunnel to
 *              c->peer (INNER_TTL_EXPIRED when none is sent)
 *  out4        sent out of side 0 (DECAPSULATED)
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
 *  xlat6to4    IPv6 into IPv4, out of side 0; hop limit expiring, too big,
 *              segments left: ICMPv6 error from sw->local (none when it is
 *              ::); other refusals dropped under sw->xlat.why
 *  xlat6to4_hold  the same, but a translated packet is left to the next
 *              stages (c->in: the IPv4 packet; INNER_MALFORMED), not counted
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
    s46_st_reasm4, s46_st_reasm6, s46_st_share6, s46_st_ttl4, s46_st_mtu4;
extern const s46_stage s46_st_echo6, s46_st_relay6, s46_st_ipip6, s46_st_inner4, s46_st_decap,
    s46_st_out4, s46_st_encap, s46_st_ttl4_back;
extern const s46_stage s46_st_napt_check, s46_st_napt_out, s46_st_napt_in, s46_st_mss_out,
    s46_st_mss_in;
extern const s46_stage s46_st_xlat_reasm, s46_st_xlat4to6, s46_st_xlat6to4,
    s46_st_xlat6to4_hold;
extern const s46_stage s46_st_map_dst4, s46_st_map_src6, s46_st_map_inner_src,
    s46_st_map_hairpin;

/* The IPv4 packet of c translated into IPv6 and sent out of side 1, as
 * xlat4to6 does (router_hop false: its TTL left as it is, the hop counted
 * already), counted under ev (S46_EV_NONE: sw->xlat.done4). */
void s46_sw_xlat_out6(s46_sw *sw, s46_ctx *c, uint64_t now, bool router_hop, s46_ev ev);

static inline uint32_t s46_sw_secs(uint64_t ns) { return (uint32_t)(ns / 1000000000ull); }
#endif
