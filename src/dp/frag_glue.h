/* The fragmentation steps every data plane takes, with its own counters:
 * offering a fragment to a reassembly table, and fragmenting an outer IPv6
 * packet that exceeds the tunnel MTU into the batch (RFC 2473 §7.2).
 * A pipeline describes its counters once by their indexes. */
#ifndef S46_DP_FRAG_GLUE_H
#define S46_DP_FRAG_GLUE_H
#include <stdbool.h>
#include <stdint.h>

#include "lib/frag.h"

typedef struct s46_frag_ctrs {
    uint64_t *cnt;          /* the pipeline's counter array */
    uint16_t held;          /* a fragment stored (also its drop reason) */
    uint16_t reassembled;   /* a datagram completed */
    uint16_t failed;        /* reassembly refused the datagram (drop reason) */
    uint16_t out;           /* packets sent out of the fragmenting port */
    uint16_t fragmented;    /* packets fragmented */
    uint16_t no_buffer;     /* no buffer or batch room (drop reason) */
} s46_frag_ctrs;

/* Offers the fragment p (parsed into l3); true when p now holds the whole
 * datagram, re-parsed into l3. Otherwise p got its drop verdict. */
bool s46_dp_reassemble(const s46_frag_ctrs *c, s46_reasm *r, s46_pkt *p, s46_l3 *l3,
                       uint64_t now_ns);
/* The same with a tag in the datagram's key (s46_reasm_offer_tagged). */
bool s46_dp_reassemble_tagged(const s46_frag_ctrs *c, s46_reasm *r, s46_pkt *p, s46_l3 *l3,
                              const uint8_t *tag, uint64_t now_ns);
/* p, already counted as sent by c->out, exceeds mtu: fragments it into b.
 * Out of buffers, p is dropped instead. */
void s46_dp_fragment_out(const s46_frag_ctrs *c, s46_batch *b, s46_pkt *p, unsigned mtu,
                         uint32_t id, s46_pktpool *pool);
/* The same for an IPv4 packet (s46_frag4) counted as sent by out. */
void s46_dp_fragment4_out(const s46_frag_ctrs *c, uint16_t out, s46_batch *b, s46_pkt *p,
                          unsigned mtu, s46_pktpool *pool);
#endif
