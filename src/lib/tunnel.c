#include "lib/tunnel.h"
#include "lib/csum.h"

#include <string.h>

int s46_tunnel_encap(s46_pkt *p, const s46_encap *e)
{
    unsigned over = s46_encap_overhead(e);
    uint32_t payload = p->len + over - 40;
    if (payload > 65535 || p->len < 20)
        return -1;
    uint8_t tos = p->data[1];
    uint8_t *h = s46_pkt_push(p, over);
    if (!h)
        return -1;
    s46_encap_write(h, e, tos, payload, e->dst.b);
    return 0;
}

void s46_encap_write(uint8_t *h, const s46_encap *e, uint8_t tos, uint32_t payload,
                     const uint8_t dst[16])
{
    uint8_t tc = e->copy_tos ? tos : e->tclass;
    h[0] = (uint8_t)(0x60 | tc >> 4);
    h[1] = (uint8_t)(tc << 4);
    h[2] = h[3] = 0; /* flow label 0 (RFC 2473 §6.5) */
    s46_put16(h + 4, (uint16_t)payload);
    h[6] = e->encap_limit >= 0 ? S46_PROTO_DSTOPT : S46_PROTO_IPIP;
    h[7] = e->hop_limit;
    memcpy(h + 8, e->src.b, 16);
    memcpy(h + 24, dst, 16);
    if (e->encap_limit >= 0) {
        static const uint8_t opt[8] = {S46_PROTO_IPIP, 0, 4, 1, 0, 1, 1, 0};
        memcpy(h + 40, opt, 8);
        h[44] = (uint8_t)e->encap_limit;
    }
}

void s46_tunnel_decap(s46_pkt *p, const s46_l3 *l3)
{
    s46_pkt_pull(p, l3->l3_len);
    if (p->len > l3->l4_len)
        p->len = l3->l4_len;
}
