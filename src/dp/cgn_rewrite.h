/* The CGN (lib/cgn.h) applied to IPv4 packets: the header rewriting an
 * AFTR does around the CGN's state, as dp/napt_rewrite.h does for the CE.
 *  - TCP/UDP ports and ICMP query identifiers are ports (RFC 5508 REQ-1);
 *  - an ICMP error has the packet it quotes translated too (RFC 5508
 *    REQ-3/4), with lookups that neither create nor refresh state (REQ-6).
 * Checksums are updated incrementally (RFC 1624) but for a translated
 * error's ICMP checksum, recomputed. Ports are read from the packet, so a
 * packet already translated outbound can be handed to s46_cgn_xlate_in
 * (hairpinning: its source is then the sender's external endpoint). */
#ifndef S46_DP_CGN_REWRITE_H
#define S46_DP_CGN_REWRITE_H
#include <stdbool.h>
#include <stdint.h>

#include "lib/cgn.h"
#include "lib/parse.h"

typedef enum s46_cx_result {
    S46_CX_OK = 0,
    S46_CX_UNSUPPORTED,     /* out: neither TCP, UDP, ICMP echo request nor error */
    S46_CX_ICMP_NO_MAPPING, /* out: an ICMP error about no flow of that subscriber */
    S46_CX_REFUSED,         /* out: the CGN refused (o->cgn says why) */
    S46_CX_MALFORMED,       /* in: a fragment, no ports, ICMP neither echo reply nor error */
    S46_CX_NOT_FOUND,       /* in: no mapping (an error: about no flow of ours) */
    S46_CX_FILTERED,        /* in: refused by the filtering */
    S46_CX_NOT_OURS,        /* in: not a pool address, or a port of another worker */
} s46_cx_result;

typedef struct s46_cx_out {
    s46_cgn_result cgn;     /* the CGN's answer when REFUSED */
    uint32_t dst;           /* where the packet goes (an error: the quoted source) */
    uint16_t dport;
    uint32_t ext_addr;      /* the flow's external endpoint (not for errors) */
    uint16_t ext_port;
    bool error;             /* it was an ICMP error */
    bool new_block;         /* the CGN allocated a port block for it */
} s46_cx_out;

/* A subscriber's packet (decapsulated, parsed into l3, with ports): its
 * source becomes the external endpoint, or, an ICMP error, its quote gets
 * back the external endpoint the remote side sent to. */
s46_cx_result s46_cgn_xlate_out(s46_cgn *g, const s46_cgn_key *sub, uint8_t *ip,
                                const s46_l3 *l3, uint32_t now, s46_cx_out *o);
/* A packet to an external address (parsed into l3): its destination becomes
 * the subscriber's internal endpoint, or, an ICMP error, its quote's source
 * does; *sub gets the subscriber. */
s46_cx_result s46_cgn_xlate_in(s46_cgn *g, uint8_t *ip, const s46_l3 *l3, uint32_t now,
                               s46_cgn_key *sub);
/* The port that selects the worker of an inbound packet (parsed into l3):
 * the destination port, an echo reply's identifier, an error's quoted
 * source port; false when it has none. */
bool s46_cgn_in_port(uint8_t *ip, const s46_l3 *l3, uint16_t *port);
/* The flow a packet's lookup will be about, for s46_cgn_prefetch_*_batch:
 * false for what is not a flow's packet (errors, unsupported). */
bool s46_cgn_flow_out(const s46_cgn_key *sub, const uint8_t *ip, const s46_l3 *l3,
                      s46_cgn_flow *f);
bool s46_cgn_flow_in(const uint8_t *ip, const s46_l3 *l3, s46_cgn_flow *f);
#endif
