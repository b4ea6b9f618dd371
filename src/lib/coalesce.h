/* TCP segment coalescing for transmission: the inverse of lib/gso.h.
 *
 * A port that can hand the kernel a super-packet (AF_PACKET with
 * PACKET_VNET_HDR) looks for runs of packets in a tx batch that the
 * kernel's segmentation (or a NIC's TSO) would cut back into exactly the
 * same packets: one TCP flow over IPv4 (DF set, IDs counting up by one) or
 * IPv6 (no extension headers), identical headers apart from the lengths,
 * the IPv4 ID and checksum, the TCP sequence number, flags and checksum;
 * contiguous sequence numbers; every payload gso_size bytes long but the
 * last, which may be shorter; flags ACK (ECE allowed) on all, PSH/FIN only
 * on the last; no SYN, RST, URG or CWR. Every member's TCP checksum (and
 * IPv4 header checksum) must verify, so that a damaged packet is never
 * laundered into a good one: the kernel recomputes them.
 *
 * s46_coalesce_run finds the run at the start of an array;
 * s46_coalesce_head rewrites the first packet's headers into those of the
 * super-packet (lengths, IPv4 header checksum, the last packet's PSH/FIN,
 * the TCP checksum field to the partial pseudo-header sum, csum_partial /
 * gso_size / gso_type set). The super-packet is then the first packet as
 * it is followed by the payloads of the others (bytes hdrlen.. of each):
 * the caller sends those as further iovecs. Nothing is allocated. */
#ifndef S46_COALESCE_H
#define S46_COALESCE_H
#include <stdint.h>

#include "lib/pkt.h"

/* The largest super-packet built: its IP length, IPv4 or IPv6. */
#define S46_COALESCE_MAXLEN 65535u

typedef struct s46_coalesce {
    uint32_t count;    /* packets in the run: 1 means nothing to merge */
    uint32_t len;      /* IP length of the super-packet */
    uint16_t l4off;    /* TCP header offset */
    uint16_t hdrlen;   /* IP + TCP headers (the same in every member) */
    uint16_t gso_size; /* payload bytes of each member but the last */
    uint8_t gso_type;  /* S46_GSO_TCP4 / S46_GSO_TCP6 */
} s46_coalesce;

/* The run at pkts[0] of at most max packets (n of them available) whose
 * merged IP length stays within S46_COALESCE_MAXLEN. Returns c->count (1
 * when pkts[0] merges with nothing, or is no TCP segment at all). */
uint32_t s46_coalesce_run(s46_pkt *const *pkts, uint32_t n, uint32_t max, s46_coalesce *c);

/* Turns pkts[0]'s headers into those of the super-packet of run c
 * (c->count >= 2). pkts[0]->len is not changed. */
void s46_coalesce_head(s46_pkt *const *pkts, const s46_coalesce *c);
#endif
