#include "dp/cgn_rewrite.h"

#include <string.h>

#include "dp/icmp_quote.h"
#include "dp/napt_rewrite.h"
#include "lib/csum.h"

static int cgn_proto(uint8_t proto)
{
    return proto == S46_PROTO_TCP ? S46_CGN_TCP
           : proto == S46_PROTO_UDP ? S46_CGN_UDP
           : proto == S46_PROTO_ICMP ? S46_CGN_ICMP : -1;
}

/* The ports as they are in the packet now (an ICMP query: its identifier
 * both ways). */
static void ports_of(const uint8_t *ip, const s46_l3 *l3, uint16_t *sport, uint16_t *dport)
{
    const uint8_t *l4 = ip + l3->l3_len;
    if (l3->proto == S46_PROTO_ICMP) {
        *sport = *dport = s46_get16(l4 + 4);
    } else {
        *sport = s46_get16(l4);
        *dport = s46_get16(l4 + 2);
    }
}

s46_cx_result s46_cgn_xlate_out(s46_cgn *g, const s46_cgn_key *sub, uint8_t *ip,
                                const s46_l3 *l3, uint32_t now, s46_cx_out *o)
{
    int proto = cgn_proto(l3->proto);
    memset(o, 0, sizeof *o);
    if (proto < 0 || !l3->has_ports || l3->is_fragment)
        return S46_CX_UNSUPPORTED;
    uint32_t src = s46_get32(ip + 12);
    if (proto == S46_CGN_ICMP && s46_icmp4_is_error(l3->icmp_type)) {
        /* the subscriber's error about an inbound packet: its quote goes
         * back to what the remote side sent, our external endpoint */
        s46_quote q;
        int qp;
        uint32_t ext;
        uint16_t eport;
        if (!s46_nx_quoted(ip, l3, &q) || (qp = cgn_proto(q.l3.proto)) < 0 ||
            s46_get32(q.ip + 16) != src ||
            !s46_cgn_lookup_int(g, (uint8_t)qp, sub, src, q.l3.dport, &ext, &eport, now))
            return S46_CX_ICMP_NO_MAPPING;
        s46_napt_rewrite(q.ip, &q.l3, false, ext, true, eport);
        s46_napt_rewrite(ip, l3, true, ext, false, 0);
        s46_nx_icmp_recompute(ip, l3);
        o->dst = s46_get32(q.ip + 12);
        o->dport = q.l3.sport;
        o->error = true;
        return S46_CX_OK;
    }
    if (proto == S46_CGN_ICMP && l3->icmp_type != 8)
        return S46_CX_UNSUPPORTED;
    uint16_t sport, dport;
    ports_of(ip, l3, &sport, &dport);
    s46_cgn_flow f = {.sub = *sub, .proto = (uint8_t)proto, .int_addr = src, .int_port = sport,
                      .rem_addr = s46_get32(ip + 16),
                      .rem_port = proto == S46_CGN_ICMP ? 0 : dport};
    s46_cgn_result r = s46_cgn_outbound(g, &f, l3->tcp_flags, now);
    o->new_block = f.new_block;
    if (r != S46_CGN_OK) {
        o->cgn = r;
        return S46_CX_REFUSED;
    }
    s46_napt_rewrite(ip, l3, true, f.ext_addr, true, f.ext_port);
    o->dst = f.rem_addr;
    o->dport = dport;
    o->ext_addr = f.ext_addr;
    o->ext_port = f.ext_port;
    return S46_CX_OK;
}

s46_cx_result s46_cgn_xlate_in(s46_cgn *g, uint8_t *ip, const s46_l3 *l3, uint32_t now,
                               s46_cgn_key *sub)
{
    int proto = cgn_proto(l3->proto);
    if (proto < 0 || !l3->has_ports || l3->is_fragment)
        return S46_CX_MALFORMED;
    uint32_t dst = s46_get32(ip + 16);
    if (proto == S46_CGN_ICMP && s46_icmp4_is_error(l3->icmp_type)) {
        /* an error about one of our outbound flows: the quote holds our
         * external endpoint as its source */
        s46_quote q;
        int qp;
        uint32_t ia;
        uint16_t iport;
        if (!s46_nx_quoted(ip, l3, &q) || (qp = cgn_proto(q.l3.proto)) < 0 ||
            s46_get32(q.ip + 12) != dst)
            return S46_CX_MALFORMED;
        if (!s46_cgn_lookup_ext(g, (uint8_t)qp, dst, q.l3.sport, sub, &ia, &iport, now))
            return S46_CX_NOT_FOUND;
        s46_napt_rewrite(q.ip, &q.l3, true, ia, true, iport);
        s46_napt_rewrite(ip, l3, false, ia, false, 0);
        s46_nx_icmp_recompute(ip, l3);
        return S46_CX_OK;
    }
    if (proto == S46_CGN_ICMP && l3->icmp_type != 0)
        return S46_CX_MALFORMED;
    uint16_t sport, dport;
    ports_of(ip, l3, &sport, &dport);
    s46_cgn_flow f = {.proto = (uint8_t)proto, .ext_addr = dst, .ext_port = dport,
                      .rem_addr = s46_get32(ip + 12),
                      .rem_port = proto == S46_CGN_ICMP ? 0 : sport};
    switch (s46_cgn_inbound(g, &f, l3->tcp_flags, now)) {
    case S46_CGN_OK: break;
    case S46_CGN_FILTERED: return S46_CX_FILTERED;
    case S46_CGN_NOT_OURS: return S46_CX_NOT_OURS;
    default: return S46_CX_NOT_FOUND;
    }
    *sub = f.sub;
    s46_napt_rewrite(ip, l3, false, f.int_addr, true, f.int_port);
    return S46_CX_OK;
}

bool s46_cgn_in_port(uint8_t *ip, const s46_l3 *l3, uint16_t *port)
{
    if (!l3->has_ports)
        return false;
    if (l3->proto == S46_PROTO_ICMP && s46_icmp4_is_error(l3->icmp_type)) {
        s46_quote q;
        if (!s46_nx_quoted(ip, l3, &q))
            return false;
        *port = q.l3.sport;
        return true;
    }
    uint16_t s;
    ports_of(ip, l3, &s, port);
    return true;
}

bool s46_cgn_flow_out(const s46_cgn_key *sub, const uint8_t *ip, const s46_l3 *l3,
                      s46_cgn_flow *f)
{
    int proto = cgn_proto(l3->proto);
    if (proto < 0 || !l3->has_ports || l3->is_fragment ||
        (proto == S46_CGN_ICMP && l3->icmp_type != 8))
        return false;
    uint16_t sport, dport;
    ports_of(ip, l3, &sport, &dport);
    *f = (s46_cgn_flow){.sub = *sub, .proto = (uint8_t)proto, .int_addr = s46_get32(ip + 12),
                        .int_port = sport, .rem_addr = s46_get32(ip + 16),
                        .rem_port = proto == S46_CGN_ICMP ? 0 : dport};
    return true;
}

bool s46_cgn_flow_in(const uint8_t *ip, const s46_l3 *l3, s46_cgn_flow *f)
{
    int proto = cgn_proto(l3->proto);
    if (proto < 0 || !l3->has_ports || l3->is_fragment ||
        (proto == S46_CGN_ICMP && l3->icmp_type != 0))
        return false;
    uint16_t sport, dport;
    ports_of(ip, l3, &sport, &dport);
    *f = (s46_cgn_flow){.proto = (uint8_t)proto, .ext_addr = s46_get32(ip + 16),
                        .ext_port = dport, .rem_addr = s46_get32(ip + 12),
                        .rem_port = proto == S46_CGN_ICMP ? 0 : sport};
    return true;
}
