#include "dp/napt_rewrite.h"
#include "dp/icmp_quote.h"
#include "lib/csum.h"
#include "lib/maprule.h"

#include <string.h>

int s46_napt_proto_of(uint8_t proto)
{
    return proto == S46_PROTO_TCP ? S46_NAPT_TCP
           : proto == S46_PROTO_UDP ? S46_NAPT_UDP
           : proto == S46_PROTO_ICMP ? S46_NAPT_ICMP : -1;
}

void s46_napt_rewrite(uint8_t *ip, const s46_l3 *l3, bool src, uint32_t addr, bool port_too,
                      uint16_t port)
{
    s46_napt_rewrite_ttl(ip, l3, src, addr, port_too, port, false, false);
}

/* The IPv4 packet an ICMP error quotes, usable for translation: a first
 * fragment with its ports (TCP, UDP, an ICMP query). */
bool s46_nx_quoted(uint8_t *ip, const s46_l3 *l3, s46_quote *q)
{
    return s46_icmp_quote(ip, l3, q) && q->l3.first_fragment && q->l3.has_ports &&
           !(q->l3.proto == S46_PROTO_ICMP && s46_icmp4_is_error(q->l3.icmp_type));
}

/* A translated ICMP error: its checksum covers the quote, recompute it. */
void s46_nx_icmp_recompute(uint8_t *ip, const s46_l3 *l3)
{
    uint8_t *ic = ip + l3->l3_len;
    s46_put16(ic + 2, 0);
    s46_put16(ic + 2, s46_csum_fold(s46_csum_add(0, ic, l3->l4_len)));
}

s46_nx_result s46_napt_xlate_out(s46_napt *n, uint32_t ext, uint8_t *ip, const s46_l3 *l3,
                                 uint32_t now, s46_nx_out *o)
{
    int proto = s46_napt_proto_of(l3->proto);
    uint32_t src = s46_get32(ip + 12);
    memset(o, 0, sizeof *o);
    if (proto < 0 || !l3->has_ports)
        return S46_NX_UNSUPPORTED;
    if (proto == S46_NAPT_ICMP && s46_icmp4_is_error(l3->icmp_type)) {
        /* a LAN host's error about an inbound packet: the quote goes back
         * to what the remote side sent, i.e. our address and port */
        s46_quote q;
        uint16_t ext_port;
        int qp;
        if (!s46_nx_quoted(ip, l3, &q) || (qp = s46_napt_proto_of(q.l3.proto)) < 0 ||
            s46_get32(q.ip + 16) != src ||
            !s46_napt_lookup_int(n, (uint8_t)qp, src, q.l3.dport, &ext_port, now))
            return S46_NX_ICMP_NO_MAPPING;
        s46_napt_rewrite(q.ip, &q.l3, false, ext, true, ext_port);
        s46_napt_rewrite(ip, l3, true, ext, false, 0);
        s46_nx_icmp_recompute(ip, l3);
        o->dst = s46_get32(q.ip + 12);
        o->dport = q.l3.sport;
        o->error = true;
        return S46_NX_OK;
    }
    if (proto == S46_NAPT_ICMP && l3->icmp_type != 8)
        return S46_NX_UNSUPPORTED;
    s46_napt_flow f = {(uint8_t)proto, src, l3->sport, s46_get32(ip + 16),
                       proto == S46_NAPT_ICMP ? 0 : l3->dport, 0};
    s46_napt_result r = s46_napt_outbound(n, &f, l3->tcp_flags, now);
    if (r == S46_NAPT_NO_PORT)
        return S46_NX_NO_PORT;
    if (r != S46_NAPT_OK)
        return S46_NX_TABLE_FULL;
    o->created = s46_napt_last_created(n);
    s46_napt_rewrite(ip, l3, true, ext, true, f.ext_port);
    o->dst = f.rem_addr;
    o->dport = l3->dport;
    o->ext_port = f.ext_port;
    return S46_NX_OK;
}

s46_nx_result s46_napt_xlate_hairpin(s46_napt *n, uint32_t ext, uint8_t *ip, const s46_l3 *l3,
                                     const s46_nx_out *o, uint32_t now)
{
    int proto = s46_napt_proto_of(l3->proto);
    s46_napt_flow in = {(uint8_t)proto, 0, 0, ext, o->ext_port, l3->dport};
    if (proto < 0 || s46_napt_inbound(n, &in, l3->tcp_flags, now) != S46_NAPT_OK)
        return S46_NX_NO_MAPPING;
    s46_napt_rewrite(ip, l3, false, in.int_addr, true, in.int_port);
    return S46_NX_OK;
}

s46_nx_result s46_napt_xlate_in(s46_napt *n, uint8_t psid_offset, uint8_t psid_len,
                                uint16_t psid, uint8_t *ip, const s46_l3 *l3, uint32_t now)
{
    int proto = s46_napt_proto_of(l3->proto);
    if (proto < 0 || !l3->has_ports || l3->is_fragment)
        return S46_NX_MALFORMED;
    uint32_t isrc = s46_get32(ip + 12), idst = s46_get32(ip + 16);
    if (proto == S46_NAPT_ICMP && s46_icmp4_is_error(l3->icmp_type)) {
        /* an error about one of our outbound flows: the quote holds our
         * address and port as source */
        s46_quote q;
        uint32_t ia;
        uint16_t iport;
        int qp;
        if (!s46_nx_quoted(ip, l3, &q) || (qp = s46_napt_proto_of(q.l3.proto)) < 0 ||
            s46_get32(q.ip + 12) != idst ||
            !s46_port_in_set(psid_offset, psid_len, psid, q.l3.sport))
            return S46_NX_PORT_NOT_MINE;
        if (!s46_napt_lookup_ext(n, (uint8_t)qp, q.l3.sport, &ia, &iport, now))
            return S46_NX_NO_MAPPING;
        s46_napt_rewrite(q.ip, &q.l3, true, ia, true, iport);
        s46_napt_rewrite(ip, l3, false, ia, false, 0);
        s46_nx_icmp_recompute(ip, l3);
        return S46_NX_OK;
    }
    if (proto == S46_NAPT_ICMP && l3->icmp_type != 0)
        return S46_NX_MALFORMED; /* only echo replies come in */
    if (!s46_port_in_set(psid_offset, psid_len, psid, l3->dport))
        return S46_NX_PORT_NOT_MINE;
    s46_napt_flow f = {(uint8_t)proto, 0, 0, isrc, proto == S46_NAPT_ICMP ? 0 : l3->sport,
                       l3->dport};
    s46_napt_result r = s46_napt_inbound(n, &f, l3->tcp_flags, now);
    if (r == S46_NAPT_FILTERED)
        return S46_NX_FILTERED;
    if (r != S46_NAPT_OK)
        return S46_NX_NO_MAPPING;
    s46_napt_rewrite(ip, l3, false, f.int_addr, true, f.int_port);
    return S46_NX_OK;
}
