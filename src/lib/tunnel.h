/* RFC 2473 IPv4-in-IPv6 tunnelling, in place in a packet buffer.
 * Encapsulation prepends the outer IPv6 header (and, when configured, a
 * Destination Options header with the Tunnel Encapsulation Limit option,
 * RFC 2473 §4.1.1) into the headroom: no copy. Decapsulation strips the outer
 * header and any extension headers in front of the IPv4 packet. */
#ifndef S46_TUNNEL_H
#define S46_TUNNEL_H
#include <string.h>

#include "lib/addr.h"
#include "lib/csum.h"
#include "lib/parse.h"
#include "lib/pkt.h"

typedef struct s46_encap {
    s46_ip6 src, dst;
    uint8_t hop_limit;    /* RFC 2473 §6.3: the tunnel's own, default 64 */
    int16_t encap_limit;  /* -1: no option; else the value to send (0..255) */
    bool copy_tos;        /* traffic class from the IPv4 TOS (DS-Lite: MUST) */
    uint8_t tclass;       /* used when !copy_tos */
} s46_encap;

/* Bytes the encapsulation adds (40, or 48 with the limit option). */
static inline unsigned s46_encap_overhead(const s46_encap *e)
{
    return e->encap_limit >= 0 ? 48 : 40;
}
/* Prepends the outer header(s) to the IPv4 packet in p. -1 without headroom
 * or when the result would exceed 65535 bytes of payload. */
int s46_tunnel_encap(s46_pkt *p, const s46_encap *e);
/* Those outer header(s), s46_encap_overhead(e) bytes at h, for `payload`
 * bytes of IPv6 payload (the option and the IPv4 packet) whose IPv4 TOS
 * is tos. With payload 0 and a zero dst: a template for a fast path that
 * then writes the payload length (bytes 4-5) and the destination (24-39)
 * per packet (when !copy_tos: the traffic class is fixed). */
void s46_encap_write(uint8_t *h, const s46_encap *e, uint8_t tos, uint32_t payload,
                     const uint8_t dst[16]);
/* A fast path's encapsulation from such a template (over bytes: 40 or
 * 48): pushed in front of the IPv4 packet in p, its payload length and
 * dst written. The caller checked the headroom and the size. */
static inline void s46_encap_push_template(s46_pkt *p, const uint8_t *tmpl, unsigned over,
                                           const uint8_t dst[16])
{
    unsigned tot = p->len;
    uint8_t *h = s46_pkt_push(p, over);
    if (over == 40) /* constant sizes: no call */
        memcpy(h, tmpl, 40);
    else
        memcpy(h, tmpl, 48);
    s46_put16(h + 4, (uint16_t)(tot + over - 40));
    memcpy(h + 24, dst, 16);
}
/* Removes the l3->l3_len bytes of outer headers; the caller has checked
 * that l3->proto is IPIP and the packet is not a fragment. The IPv4 packet
 * is trimmed to the IPv6 payload length. */
void s46_tunnel_decap(s46_pkt *p, const s46_l3 *l3);
/* Decrements an IPv4 TTL with an incremental checksum update. Returns the
 * new TTL; 0 means the packet must not be forwarded (send Time Exceeded). */
static inline uint8_t s46_ipv4_dec_ttl(uint8_t *ip)
{
    if (ip[8] <= 1)
        return 0;
    uint16_t old = s46_get16(ip + 8);
    ip[8]--;
    s46_csum_replace16(ip + 10, old, s46_get16(ip + 8));
    return ip[8];
}
#endif
