/* Software segmentation (GSO) and checksum completion, pure code, no I/O.
 *
 * A super-packet is one TCP (IPv4 or IPv6) or UDP (USO, any family) packet
 * carrying more payload than one packet may: gso_type (S46_GSO_*) says
 * which, gso_size the payload bytes of each segment. Cutting it yields
 * complete IP packets as the kernel's own segmentation does: the headers
 * (IPv4 options, IPv6 extension headers, TCP options) copied into each,
 * IPv4 total length, header checksum and id (+1 per segment), IPv6 payload
 * length, TCP sequence numbers advanced, FIN and PSH on the last segment
 * only, CWR on the first only, UDP length, and a full L4 checksum computed
 * from the bytes (a super-packet's checksum field, partial or not, is not
 * trusted). Segments are packets of a pool at the standard headroom, so an
 * encapsulator can still prepend; nothing is allocated.
 * An IPv4-in-IPv6 super-packet (what the kernel's GRO makes of one
 * softwire's TCP/UDP segments: gso_type says the inner packet's kind, the
 * outer IPv6 header and its extension headers come first) is cut the same
 * way, the outer payload length set in each segment.
 *
 * Use: s46_gso_begin checks the super-packet (refusing anything it cannot
 * cut without reading past its end); s46_gso_next/_next_batch then produce
 * the segments in order, as many as fit and as the pool gives, and may be
 * called again until s46_gso_left is 0. The super-packet's bytes must stay
 * in place until then. s46_gso_segment does it all at once. */
#ifndef S46_GSO_H
#define S46_GSO_H
#include <stdint.h>

#include "lib/pkt.h"

/* The largest super-packet: an IPv6 header and a 65535-byte payload. */
#define S46_GSO_MAXLEN (40 + 65535)

/* Why a super-packet is refused (negative results). */
#define S46_GSO_ERRORS(X) \
    X(NOSIZE, "gso_size is 0") \
    X(TYPE, "gso_type unknown or not matching the headers") \
    X(LEN, "IP length field does not match the packet length") \
    X(TRUNC, "headers truncated or no payload") \
    X(FRAG, "IP fragment") \
    X(BIG, "a segment would not fit a packet buffer") \
    X(SPACE, "more segments than room for them")
#define S46_GSO_ENUM(n, d) S46_GSO_E##n,
enum { S46_GSO_EFIRST_ = 0, S46_GSO_ERRORS(S46_GSO_ENUM) };
#undef S46_GSO_ENUM
/* The text for a negative result (e.g. -S46_GSO_ELEN); "" for others. */
const char *s46_gso_strerror(int r);

typedef struct s46_gso {
    const uint8_t *data; /* the super-packet (IP header first) */
    uint32_t len;
    uint16_t l4off;      /* where the TCP/UDP header starts */
    uint16_t hdrlen;     /* all headers: copied into every segment */
    uint16_t mss;        /* payload bytes per segment */
    uint8_t type;        /* S46_GSO_* */
    uint8_t v6;          /* the IP header the TCP/UDP header belongs to */
    uint16_t inner;      /* its offset: 0, or after an outer IPv6 header */
    uint32_t off;        /* payload bytes already produced */
    uint32_t index, count; /* segments produced, segments in all */
    uint16_t in_port;
    uint64_t ts_ns;
} s46_gso;

/* Checks sp (data, len, gso_size, gso_type; the buffer is not needed) and
 * prepares g. 0, or -S46_GSO_E*. */
int s46_gso_begin(s46_gso *g, const s46_pkt *sp);
static inline uint32_t s46_gso_left(const s46_gso *g) { return g->count - g->index; }
/* Writes up to max next segments to out; fewer when the pool runs dry.
 * Returns how many. */
uint32_t s46_gso_next(s46_gso *g, s46_pktpool *pool, s46_pkt **out, uint32_t max);
/* The same, appending to b while it has room (S46_BATCH_MAX). */
uint32_t s46_gso_next_batch(s46_gso *g, s46_pktpool *pool, s46_batch *b);
/* All segments of sp into out, or none: the count, or -S46_GSO_E*
 * (-S46_GSO_ESPACE when more than max, or than the pool holds). */
int s46_gso_segment(const s46_pkt *sp, s46_pktpool *pool, s46_pkt **out, uint32_t max);

/* Completes the partial checksum of one packet (csum_partial: the field at
 * csum_start + csum_off holds the pseudo-header sum) over the bytes from
 * csum_start to the end, and clears csum_partial. A packet without
 * csum_partial is left alone. 0, or -1 when the offsets lie outside it. */
int s46_csum_complete(s46_pkt *p);

/* The TCP or UDP checksum of an unfragmented IP packet (IPv4, or IPv6 with
 * TCP or UDP right after its header for s46_csum_fill_partial) computed
 * and written: for frames a local stack sent with checksum offload, whose
 * field holds only the pseudo-header sum. s46_csum_fill does it when the
 * caller knows the checksum is partial (AF_PACKET's CSUMNOTREADY);
 * s46_csum_fill_partial when the field holds exactly the partial value
 * (what an AF_XDP port can tell: nothing marks such frames there; a
 * packet whose correct checksum happens to equal it is rewritten with the
 * same value). Both return whether they wrote the field. */
bool s46_csum_fill(s46_pkt *p);
bool s46_csum_fill_partial(s46_pkt *p);
#endif
