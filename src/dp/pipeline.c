#include "dp/pipeline.h"

#include <string.h>

#include "dp/icmp_quote.h"
#include "lib/hash.h"
#include "lib/napt.h"
#include "lib/parse.h"

const s46_pipeline_ops *s46_pipeline_find(const char *name)
{
    static const s46_pipeline_ops *const all[] = {&s46_pl_br_mape, &s46_pl_ce, &s46_pl_lwaftr,
                                                  &s46_pl_aftr, &s46_pl_siit, &s46_pl_nat64};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (name && !strcmp(all[i]->name, name))
            return all[i];
    return NULL;
}

bool s46_steer_fragment(const s46_pkt *p, unsigned workers, unsigned *owner)
{
    const uint8_t *d = p->data;
    if (p->len >= 20 && d[0] >> 4 == 4) {
        if (!((d[6] << 8 | d[7]) & 0x3fff))
            return false;
        uint8_t key[11];
        memcpy(key, d + 12, 8); /* addresses */
        memcpy(key + 8, d + 4, 2); /* identification */
        key[10] = d[9];
        *owner = s46_steer_fnv(key, sizeof key, workers);
        return true;
    }
    if (p->len >= 48 && d[0] >> 4 == 6 && d[6] == 44) {
        uint8_t key[36];
        memcpy(key, d + 8, 32);
        memcpy(key + 32, d + 44, 4); /* Fragment header's identification */
        *owner = s46_steer_fnv(key, sizeof key, workers);
        return true;
    }
    return false;
}

unsigned s46_steer_napt_out(const uint8_t *ip, size_t len, unsigned workers)
{
    uint8_t key[7];
    if (workers < 2)
        return 0;
    unsigned k = s46_napt_out_key(ip, len, key);
    if (k)
        return s46_steer_fnv(key, k, workers);
    /* ICMP: an error about a packet sent to the host by that packet's
     * destination endpoint; else by source address */
    s46_l3 l3;
    s46_quote q;
    if (len < 20)
        return 0;
    if (s46_parse_ipv4(ip, len, &l3) == 0 && l3.proto == S46_PROTO_ICMP &&
        s46_icmp4_is_error(l3.icmp_type) && s46_icmp_quote((uint8_t *)ip, &l3, &q) &&
        q.l3.has_ports) {
        const uint8_t *a = q.ip + 16;
        uint8_t qk[7] = {a[0], a[1], a[2], a[3], q.l3.proto, (uint8_t)(q.l3.dport >> 8),
                         (uint8_t)q.l3.dport};
        return s46_steer_fnv(qk, sizeof qk, workers);
    }
    return s46_steer_fnv(ip + 12, 4, workers);
}

unsigned s46_steer_napt_in(const uint8_t *ip, size_t len, unsigned workers, unsigned self)
{
    s46_l3 l3;
    if (workers < 2 || s46_parse_ipv4(ip, len, &l3) < 0 || !l3.has_ports)
        return self;
    if (l3.proto == S46_PROTO_ICMP && s46_icmp4_is_error(l3.icmp_type)) {
        /* the quoted packet is one of ours: its source port (or echo
         * identifier) is the key */
        s46_quote q;
        if (!s46_icmp_quote((uint8_t *)ip, &l3, &q) || !q.l3.has_ports)
            return self;
        return s46_napt_port_owner(q.l3.sport, workers);
    }
    return s46_napt_port_owner(l3.dport, workers);
}

unsigned s46_steer_ce(const s46_pkt *p, uint16_t side, unsigned workers, unsigned self)
{
    if (workers < 2 || p->len < 20)
        return self;
    unsigned owner;
    if (s46_steer_fragment(p, workers, &owner))
        return owner; /* reassembled there, then handed on (share4, share6) */
    if (side == 0)
        return s46_steer_napt_out(p->data, p->len, workers);
    s46_l3 l3;
    if (s46_parse_ipv6(p->data, p->len, &l3) < 0)
        return self;
    if (l3.proto != S46_PROTO_IPIP) /* MAP-T: the translated packet's port */
        return l3.has_ports && (l3.proto == S46_PROTO_TCP || l3.proto == S46_PROTO_UDP)
                   ? s46_napt_port_owner(l3.dport, workers)
                   : self;
    return s46_steer_napt_in(p->data + l3.l3_len, l3.l4_len, workers, self);
}
