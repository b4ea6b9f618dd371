/* ICMPv6 errors about our own tunnel packets, for an RFC 2473 tunnel entry
 * point that carries IPv4 (the MAP-E CE of RFC 7597, whose §8.3.1 points at
 * RFC 2473 §7.2; the DS-Lite B4 and the ipip CE):
 *  - Packet Too Big (RFC 2473 §7.1, §8; RFC 8201 §4-5) lowers the tunnel
 *    MTU toward the peer the quoted packet went to, never below 1280 (a
 *    smaller MTU is ignored), for S46_PMTU_AGE_NS; for a DF packet the IPv4
 *    source gets ICMPv4 3/4 with the room left for IPv4 in the new MTU;
 *    without DF nobody is told (the next ones are fragmented outside);
 *  - Destination Unreachable, Time Exceeded, Parameter Problem become
 *    ICMPv4 3/1 (host unreachable) to the IPv4 source (RFC 2473 §8.3).
 * The quote must be an IPv4-in-IPv6 packet from our tunnel address to a
 * peer the caller accepts. The caller takes the ICMPv4 error on from there
 * (its NAPT, if the IPv4 source was translated). With several tunnel
 * addresses (an lwAFTR) the quote may come from any of them; without an
 * ICMPv4 source (0) nothing is sent.
 *
 * The center (BR, lwAFTR), reached by errors from anywhere about packets to
 * many subscribers, is stricter (quote_ok): the whole quoted packet must be
 * one it could have sent — toward the subscriber that owns the inner
 * destination and port, from an IPv4 source outside its domain and not its
 * own address — else a forged error would steer its ICMPv4 to any address.
 * A stateless center (the BR) learns no MTU: it tells the IPv4 source the
 * reported MTU, never more than its own tunnel MTU allows. Every relayed
 * 3/4 carries an MTU in [68, tunnel MTU - encapsulation]. A Packet Too Big
 * below 1280 (the IPv6 minimum link MTU) is dropped, counted apart: no IPv6
 * path is narrower (RFC 8200 §5), RFC 8201 §4 discards it, and RFC 8021
 * removed the one thing it used to ask (atomic fragments), so it is either
 * forged or from a broken translator, and nothing useful can be told the
 * IPv4 source. */
#ifndef S46_DP_TUNNEL_ICMP_H
#define S46_DP_TUNNEL_ICMP_H
#include <stdbool.h>
#include <stdint.h>

#include "dp/dp_common.h"
#include "dp/icmp_quote.h"
#include "lib/addr.h"

#define S46_PMTU_SLOTS 16
#define S46_PMTU_AGE_NS (600 * 1000000000ull) /* RFC 8201 §4: try again after 10 min */

/* The tunnel MTU toward each peer: the configured one, or lower as learned
 * for the last S46_PMTU_SLOTS peers that sent us a Packet Too Big (when all
 * slots are taken the one that expires first makes room). */
typedef struct s46_pmtu {
    uint16_t base;
    unsigned n;  /* slots in use */
    struct {
        s46_ip6 peer;
        uint16_t mtu;
        uint64_t until;
    } e[S46_PMTU_SLOTS];
} s46_pmtu;

/* Configured MTU base, nothing learned. */
void s46_pmtu_init(s46_pmtu *t, uint16_t base);
uint16_t s46_pmtu_get(const s46_pmtu *t, const s46_ip6 *peer);
/* Forgets what was learned before now. */
void s46_pmtu_expire(s46_pmtu *t, uint64_t now_ns);

typedef enum s46_tunnel_icmp_result {
    S46_TI_RELAYED = 0,  /* p is now the ICMPv4 error to the inner source */
    S46_TI_NOT_OURS,     /* not an error 1..4, a bogus or foreign quote */
    S46_TI_NOTHING_SENT, /* handled, but no ICMPv4 error may or need be sent
                            (DF clear, an error about an error, the rate) */
    S46_TI_SPOOFED,      /* a quote from our address, but of no packet we
                            could have sent (quote_ok refused it) */
    S46_TI_PTB_TOO_SMALL,/* a Packet Too Big below 1280 */
} s46_tunnel_icmp_result;

/* Who a tunnel entry point is: its address, which peers it sends to, where
 * its ICMPv4 errors come from, and the counter of lowered MTUs. */
typedef struct s46_tunnel_icmp {
    const s46_ip6 *local;     /* nlocal of them (0 counts as 1) */
    bool (*peer_ok)(const void *arg, const s46_ip6 *peer); /* NULL: any */
    const void *arg;
    uint32_t icmp_src;
    uint16_t lowered_ctr;
    unsigned nlocal;
    /* The center's check (NULL: none): could we have sent the IPv4 packet
     * q4 (inside the quote) from local[local] to peer? */
    bool (*quote_ok)(const void *arg, unsigned local, const s46_ip6 *peer,
                     const s46_quote *q4);
    bool stateless;           /* no MTU learned from Packet Too Big */
} s46_tunnel_icmp;

/* p (parsed into l3) is an ICMPv6 message to ti->local. The rate limiter,
 * scratch packet, encapsulation overhead and counters are d's. */
s46_tunnel_icmp_result s46_tunnel_icmp6(const s46_tunnel_icmp *ti, s46_dp *d, s46_pmtu *pm,
                                        s46_pkt *p, const s46_l3 *l3, uint64_t now_ns);
#endif
