#include "dp/ce_mape.h"
#include "lib/csum.h"
#include "lib/err.h"
#include "lib/frag.h"
#include "lib/icmp.h"
#include "lib/parse.h"
#include "lib/tunnel.h"
#include "prov/mape.h"

#include <stdlib.h>
#include <string.h>

#define S46_CE_NAME(n) #n,
static const char *const counter_names[] = {S46_CE_COUNTERS(S46_CE_NAME)};
#undef S46_CE_NAME

struct s46_ce {
    s46_ce_conf c;
    s46_maprule *rules;
    s46_ruleset *rs;
    s46_ce_params me;
    uint32_t ext;              /* the address the NAPT maps onto */
    s46_napt *napt;
    s46_encap enc;
    uint16_t mss_max;
    s46_ratelimit icmp_rl;
    uint64_t cnt[S46_CE_NCOUNTERS];
    s46_counters counters;
    s46_pktpool *pool;
    s46_reasm *reasm4, *reasm6;
    uint32_t frag_id;
    s46_batch *cur;
    s46_pkt scratch;
    uint8_t scratch_buf[S46_PKT_BUFSIZE];
};

void s46_ce_conf_default(s46_ce_conf *c)
{
    memset(c, 0, sizeof *c);
    c->ipv6_mtu = 1500;
    c->hop_limit = 64;
    c->encap_limit = -1;
    s46_napt_config_default(&c->napt);
}

static uint32_t now_s(uint64_t ns) { return (uint32_t)(ns / 1000000000ull); }

static int setup(s46_ce *ce, const s46_ce_conf *c, s46_ruleset **rs_out, s46_maprule **rules_out,
                 s46_ce_params *me, char *err, size_t errlen)
{
    char e[S46_ERRLEN];
    s46_maprule *rules = malloc((c->nrules ? c->nrules : 1) * sizeof *rules);
    if (!rules) {
        s46_seterr(err, errlen, "out of memory");
        return -1;
    }
    if (c->nrules)
        memcpy(rules, c->rules, c->nrules * sizeof *rules);
    s46_ruleset *rs = s46_ruleset_new(rules, c->nrules, e, sizeof e);
    if (!rs) {
        s46_seterr(err, errlen, "rules: %s", e);
        free(rules);
        return -1;
    }
    const s46_maprule *bmr = s46_ruleset_bmr(rs, &c->eu_prefix);
    if (!bmr) {
        char b[S46_PFX6_STRLEN];
        s46_seterr(err, errlen, "no rule matches the End-user prefix %s",
                   s46_pfx6_format(&c->eu_prefix, b));
        goto fail;
    }
    if (s46_maprule_derive(bmr, &c->eu_prefix, c->layout, me, err, errlen) < 0)
        goto fail;
    (void)ce;
    *rs_out = rs;
    *rules_out = rules;
    return 0;
fail:
    s46_ruleset_free(rs);
    free(rules);
    return -1;
}

static void apply(s46_ce *ce, const s46_ce_conf *c)
{
    ce->c = *c;
    ce->c.rules = ce->rules;
    ce->enc = (s46_encap){.src = ce->me.map_addr, .dst = c->br, .hop_limit = c->hop_limit,
                          .encap_limit = c->encap_limit};
    /* an IPv4 prefix: NAPT onto its first host address */
    ce->ext = ce->me.ipv4_len == 32 ? ce->me.ipv4
                                    : ce->me.ipv4 + (ce->me.ipv4_len <= 30 ? 1u : 0u);
    unsigned room = c->ipv6_mtu - s46_encap_overhead(&ce->enc);
    ce->mss_max = (uint16_t)(room - 40);
}

s46_ce *s46_ce_new(const s46_ce_conf *c, char *err, size_t errlen)
{
    s46_ce *ce = calloc(1, sizeof *ce);
    if (!ce) {
        s46_seterr(err, errlen, "out of memory");
        return NULL;
    }
    if (setup(ce, c, &ce->rs, &ce->rules, &ce->me, err, errlen) < 0) {
        free(ce);
        return NULL;
    }
    apply(ce, c);
    s46_napt_config nc = c->napt;
    nc.ext_addr = ce->ext;
    nc.psid_offset = ce->me.psid_offset;
    nc.psid_len = ce->me.psid_len;
    nc.psid = ce->me.psid;
    ce->napt = s46_napt_new(&nc);
    if (!ce->napt) {
        s46_seterr(err, errlen, "cannot create the NAPT table (capacities?)");
        s46_ce_free(ce);
        return NULL;
    }
    ce->pool = s46_pktpool_new(4 * S46_BATCH_MAX);
    ce->reasm4 = s46_reasm_new(32, 2000000000ull);
    ce->reasm6 = s46_reasm_new(32, 2000000000ull);
    if (!ce->pool || !ce->reasm4 || !ce->reasm6) {
        s46_seterr(err, errlen, "out of memory");
        s46_ce_free(ce);
        return NULL;
    }
    s46_ratelimit_init(&ce->icmp_rl, 100, 100);
    ce->counters = (s46_counters){counter_names, S46_CE_NCOUNTERS, ce->cnt};
    s46_pkt_init(&ce->scratch, ce->scratch_buf);
    return ce;
}

int s46_ce_reconfigure(s46_ce *ce, const s46_ce_conf *c, char *err, size_t errlen)
{
    s46_ruleset *rs;
    s46_maprule *rules;
    s46_ce_params me;
    if (setup(ce, c, &rs, &rules, &me, err, errlen) < 0)
        return -1;
    bool flush = me.ipv4 != ce->me.ipv4 || me.ipv4_len != ce->me.ipv4_len ||
                 me.psid != ce->me.psid || me.psid_len != ce->me.psid_len ||
                 me.psid_offset != ce->me.psid_offset;
    s46_ruleset_free(ce->rs);
    free(ce->rules);
    ce->rs = rs;
    ce->rules = rules;
    ce->me = me;
    apply(ce, c);
    s46_napt_set_policy(ce->napt, &c->napt);
    if (flush) /* RFC 7596 §5.1: a new address or port set flushes the NAPT */
        s46_napt_reset(ce->napt, ce->ext, me.psid_offset, me.psid_len, me.psid);
    return 0;
}

void s46_ce_free(s46_ce *ce)
{
    if (!ce)
        return;
    s46_napt_free(ce->napt);
    s46_pktpool_free(ce->pool);
    s46_reasm_free(ce->reasm4);
    s46_reasm_free(ce->reasm6);
    s46_ruleset_free(ce->rs);
    free(ce->rules);
    free(ce);
}

const s46_ce_params *s46_ce_params_get(const s46_ce *ce) { return &ce->me; }
const s46_counters *s46_ce_counters(const s46_ce *ce) { return &ce->counters; }

void s46_ce_tick(s46_ce *ce, uint64_t now_ns)
{
    s46_napt_expire(ce->napt, now_s(now_ns), 4096);
}

static void drop(s46_ce *ce, s46_pkt *p, unsigned reason)
{
    ce->cnt[reason]++;
    s46_pkt_drop(p, (uint16_t)reason);
}

static void out(s46_ce *ce, s46_pkt *p, uint16_t port)
{
    p->verdict = S46_V_FORWARD;
    p->out_port = port;
    ce->cnt[port == S46_CE_PORT_LAN ? S46_CE_lan_out : S46_CE_wan_out]++;
}

static bool reassemble(s46_ce *ce, s46_reasm *r, s46_pkt *p, s46_l3 *l3, uint64_t now)
{
    switch (s46_reasm_offer(r, p, l3, now)) {
    case S46_REASM_DONE:
        ce->cnt[S46_CE_reassembled]++;
        return true;
    case S46_REASM_HELD:
        ce->cnt[S46_CE_fragments_held]++;
        s46_pkt_drop(p, S46_CE_fragments_held);
        return false;
    default:
        drop(ce, p, S46_CE_drop_reassembly_failed);
        return false;
    }
}

static void fragment_out(s46_ce *ce, s46_pkt *p)
{
    int n = s46_frag6_into_batch(ce->cur, p, ce->c.ipv6_mtu, ++ce->frag_id, ce->pool);
    if (n < 0) {
        ce->cnt[S46_CE_wan_out]--;
        return drop(ce, p, S46_CE_drop_no_buffer);
    }
    ce->cnt[S46_CE_wan_out] += (uint64_t)n;
    ce->cnt[S46_CE_fragmented]++;
}

static int napt_proto(uint8_t proto)
{
    return proto == S46_PROTO_TCP ? S46_NAPT_TCP
           : proto == S46_PROTO_UDP ? S46_NAPT_UDP
           : proto == S46_PROTO_ICMP ? S46_NAPT_ICMP : -1;
}

/* Rewrites the source (src) or destination address of an IPv4 header and
 * the matching transport port (ICMP query: the identifier), updating every
 * checksum incrementally. l3 may describe a truncated quote: checksums and
 * ports outside l4_len are left alone. */
static void rewrite(uint8_t *ip, const s46_l3 *l3, bool src, uint32_t addr, bool port_too,
                    uint16_t port)
{
    uint8_t *a = ip + (src ? 12 : 16), na[4];
    uint8_t *l4 = ip + l3->l3_len;
    size_t n = l3->l4_len;
    s46_put32(na, addr);
    if (l3->first_fragment) {
        if (l3->proto == S46_PROTO_TCP) {
            uint8_t *pp = l4 + (src ? 0 : 2);
            if (n >= 18)
                s46_csum_replace32(l4 + 16, a, na);
            if (port_too && n >= 4) {
                if (n >= 18)
                    s46_csum_replace16(l4 + 16, s46_get16(pp), port);
                s46_put16(pp, port);
            }
        } else if (l3->proto == S46_PROTO_UDP) {
            uint8_t *pp = l4 + (src ? 0 : 2);
            if (n >= 8)
                s46_csum_replace32_udp(l4 + 6, a, na);
            if (port_too && n >= 4) {
                if (n >= 8)
                    s46_csum_replace16_udp(l4 + 6, s46_get16(pp), port);
                s46_put16(pp, port);
            }
        } else if (l3->proto == S46_PROTO_ICMP && port_too && n >= 6) {
            if (n >= 8)
                s46_csum_replace16(l4 + 2, s46_get16(l4 + 4), port);
            s46_put16(l4 + 4, port);
        }
    }
    s46_csum_replace32(ip + 10, a, na);
    memcpy(a, na, 4);
}

/* The IPv4 packet quoted in an ICMP error: header fields and whatever
 * ports the quote holds. false when there is no usable quote. */
static bool quoted(uint8_t *ip, const s46_l3 *l3, uint8_t **q, s46_l3 *ql)
{
    if (l3->l4_len < 8 + 20)
        return false;
    *q = ip + l3->l3_len + 8;
    size_t avail = l3->l4_len - 8u, ihl = ((*q)[0] & 15u) * 4;
    if ((*q)[0] >> 4 != 4 || ihl < 20 || avail < ihl)
        return false;
    memset(ql, 0, sizeof *ql);
    ql->l3_len = (uint16_t)ihl;
    size_t tot = s46_get16(*q + 2);
    ql->l4_len = (uint16_t)((tot > ihl && tot - ihl < avail - ihl ? tot : avail) - ihl);
    ql->proto = (*q)[9];
    ql->first_fragment = (s46_get16(*q + 6) & 0x1fff) == 0;
    const uint8_t *l4 = *q + ihl;
    if (!ql->first_fragment)
        return false;
    if ((ql->proto == S46_PROTO_TCP || ql->proto == S46_PROTO_UDP) && ql->l4_len >= 4) {
        ql->sport = s46_get16(l4);
        ql->dport = s46_get16(l4 + 2);
        ql->has_ports = true;
    } else if (ql->proto == S46_PROTO_ICMP && ql->l4_len >= 8) {
        ql->icmp_type = l4[0];
        ql->sport = ql->dport = s46_get16(l4 + 4);
        ql->has_ports = !s46_icmp4_is_error(l4[0]);
    }
    return ql->has_ports;
}

static void icmp_recompute(uint8_t *ip, const s46_l3 *l3)
{
    uint8_t *ic = ip + l3->l3_len;
    s46_put16(ic + 2, 0);
    s46_put16(ic + 2, s46_csum_fold(s46_csum_add(0, ic, l3->l4_len)));
}

/* Replaces p by an ICMPv4 error to a LAN host about it. */
static bool icmp_to_lan(s46_ce *ce, s46_pkt *p, const s46_l3 *l3, uint8_t type, uint8_t code,
                        uint32_t extra, uint64_t now)
{
    if (!s46_icmp4_may_error(p->data, l3))
        return false;
    if (!s46_ratelimit_take(&ce->icmp_rl, now)) {
        ce->cnt[S46_CE_drop_icmp_ratelimited]++;
        return false;
    }
    uint32_t src = ce->c.lan_ipv4 ? ce->c.lan_ipv4 : ce->ext;
    if (s46_icmp4_error(&ce->scratch, src, type, code, extra, p->data, p->len) < 0)
        return false;
    s46_pkt_reset(p);
    memcpy(p->data, ce->scratch.data, ce->scratch.len);
    p->len = ce->scratch.len;
    ce->cnt[S46_CE_icmp_errors_sent]++;
    return true;
}

static void clamp_mss(s46_ce *ce, uint8_t *ip, const s46_l3 *l3)
{
    uint8_t *t = ip + l3->l3_len;
    if (l3->l4_len < 20 || !(t[13] & S46_TCP_SYN))
        return;
    size_t doff = (size_t)(t[12] >> 4) * 4;
    if (doff < 20 || doff > l3->l4_len)
        return;
    for (size_t i = 20; i + 1 < doff;) {
        uint8_t kind = t[i];
        if (kind == 0)
            return;
        if (kind == 1) {
            i++;
            continue;
        }
        uint8_t len = t[i + 1];
        if (len < 2 || i + len > doff)
            return;
        if (kind == 2 && len == 4) {
            uint16_t mss = s46_get16(t + i + 2);
            if (mss > ce->mss_max) {
                s46_csum_replace16(t + 16, mss, ce->mss_max);
                s46_put16(t + i + 2, ce->mss_max);
                ce->cnt[S46_CE_mss_clamped]++;
            }
            return;
        }
        i += len;
    }
}

/* Where an IPv4 destination goes: an FMR's CE (mesh) or the BR. */
static void pick_tunnel_dst(s46_ce *ce, uint32_t dst, uint16_t dport, bool has_port,
                            s46_ip6 *to)
{
    if (ce->c.mesh) {
        const s46_maprule *r = s46_ruleset_match4(ce->rs, dst, dport);
        s46_ce_params peer;
        if (r && (has_port || r->ea_len + r->ipv4.len <= 32) &&
            s46_maprule_reverse(r, dst, dport, ce->c.layout, &peer, NULL, 0) == 0) {
            *to = peer.map_addr;
            ce->cnt[S46_CE_to_fmr]++;
            return;
        }
    }
    *to = ce->c.br;
    ce->cnt[S46_CE_to_br]++;
}

static bool mine(const s46_ce *ce, uint32_t a)
{
    return (a & s46_mask4(ce->me.ipv4_len)) == ce->me.ipv4;
}

static void from_lan(s46_ce *ce, s46_pkt *p, uint64_t now)
{
    s46_l3 l3;
    ce->cnt[S46_CE_lan_in]++;
    if (s46_parse_ipv4(p->data, p->len, &l3) < 0)
        return drop(ce, p, S46_CE_drop_lan_malformed);
    p->len = l3.l3_len + l3.l4_len;
    if (l3.is_fragment && !reassemble(ce, ce->reasm4, p, &l3, now))
        return;
    int proto = napt_proto(l3.proto);
    if (proto < 0 || !l3.has_ports)
        return drop(ce, p, S46_CE_drop_lan_unsupported_proto);
    uint8_t *ip = p->data;
    unsigned room = ce->c.ipv6_mtu - s46_encap_overhead(&ce->enc);
    if (p->len > room && l3.df) {
        if (icmp_to_lan(ce, p, &l3, 3, 4, room, now))
            return out(ce, p, S46_CE_PORT_LAN);
        return drop(ce, p, S46_CE_drop_lan_too_big);
    }
    uint32_t t = now_s(now), src = s46_get32(ip + 12), dst = s46_get32(ip + 16);
    uint16_t dport = l3.dport;

    if (proto == S46_NAPT_ICMP && s46_icmp4_is_error(l3.icmp_type)) {
        /* a LAN host's error about an inbound packet: the quote goes back
         * to what the remote side sent, i.e. our address and port */
        uint8_t *q;
        s46_l3 ql;
        uint16_t ext_port;
        int qp;
        if (!quoted(ip, &l3, &q, &ql) || (qp = napt_proto(ql.proto)) < 0 ||
            s46_get32(q + 16) != src ||
            !s46_napt_lookup_int(ce->napt, (uint8_t)qp, src, ql.dport, &ext_port, t))
            return drop(ce, p, S46_CE_drop_lan_icmp_no_mapping);
        rewrite(q, &ql, false, ce->ext, true, ext_port);
        rewrite(ip, &l3, true, ce->ext, false, 0);
        icmp_recompute(ip, &l3);
        dst = s46_get32(q + 12);
        dport = ql.sport;
    } else {
        if (proto == S46_NAPT_ICMP && l3.icmp_type != 8)
            return drop(ce, p, S46_CE_drop_lan_unsupported_proto);
        s46_napt_flow f = {(uint8_t)proto, src, l3.sport, dst,
                           proto == S46_NAPT_ICMP ? 0 : l3.dport, 0};
        s46_napt_result r = s46_napt_outbound(ce->napt, &f, l3.tcp_flags, t);
        if (r == S46_NAPT_NO_PORT)
            return drop(ce, p, S46_CE_drop_napt_no_port);
        if (r != S46_NAPT_OK)
            return drop(ce, p, S46_CE_drop_napt_table_full);
        if (s46_napt_last_created(ce->napt))
            ce->cnt[S46_CE_napt_mappings_created]++;
        rewrite(ip, &l3, true, ce->ext, true, f.ext_port);
        if (proto == S46_NAPT_TCP)
            clamp_mss(ce, ip, &l3);
        /* hairpinning (RFC 4787 REQ-9): to our own address and ports */
        if (mine(ce, dst) && s46_port_in_set(ce->me.psid_offset, ce->me.psid_len, ce->me.psid,
                                             l3.dport)) {
            s46_napt_flow in = {(uint8_t)proto, 0, 0, ce->ext, f.ext_port, l3.dport};
            if (s46_napt_inbound(ce->napt, &in, l3.tcp_flags, t) != S46_NAPT_OK)
                return drop(ce, p, S46_CE_drop_hairpin_no_mapping);
            s46_l3 l3b = l3;
            rewrite(ip, &l3b, false, in.int_addr, true, in.int_port);
            ce->cnt[S46_CE_hairpinned]++;
            return out(ce, p, S46_CE_PORT_LAN);
        }
    }
    s46_encap e = ce->enc;
    pick_tunnel_dst(ce, dst, dport, true, &e.dst);
    if (s46_tunnel_encap(p, &e) < 0)
        return drop(ce, p, S46_CE_drop_lan_malformed);
    ce->cnt[S46_CE_encapsulated]++;
    out(ce, p, S46_CE_PORT_WAN);
    if (p->len > ce->c.ipv6_mtu) /* DF = 0: fragment the outer IPv6 packet */
        fragment_out(ce, p);
}

static void from_wan(s46_ce *ce, s46_pkt *p, uint64_t now)
{
    s46_l3 l3;
    ce->cnt[S46_CE_wan_in]++;
    if (s46_parse_ipv6(p->data, p->len, &l3) < 0)
        return drop(ce, p, S46_CE_drop_wan_malformed);
    p->len = l3.l3_len + l3.l4_len;
    if (memcmp(p->data + 24, ce->me.map_addr.b, 16) != 0)
        return drop(ce, p, S46_CE_drop_wan_not_map_address);
    if (l3.is_fragment && !reassemble(ce, ce->reasm6, p, &l3, now))
        return;
    if (l3.proto == S46_PROTO_ICMPV6) {
        if (l3.has_ports && l3.icmp_type == 128) {
            s46_icmp6_echo_reply(p, &l3);
            ce->cnt[S46_CE_echo_replies]++;
            return out(ce, p, S46_CE_PORT_WAN);
        }
        return drop(ce, p, S46_CE_drop_wan_icmpv6);
    }
    if (l3.proto != S46_PROTO_IPIP)
        return drop(ce, p, S46_CE_drop_wan_not_ipip);
    s46_ip6 src6;
    memcpy(src6.b, p->data + 8, 16);
    uint8_t *ip = p->data + l3.l3_len;
    s46_l3 in;
    if (s46_parse_ipv4(ip, l3.l4_len, &in) < 0)
        return drop(ce, p, S46_CE_drop_inner_malformed);
    uint32_t isrc = s46_get32(ip + 12), idst = s46_get32(ip + 16);
    /* Source validation (RFC 7597 §8.1): the BR first, then an FMR's CE. */
    if (!s46_ip6_eq(&src6, &ce->c.br)) {
        const s46_maprule *r = ce->c.mesh ? s46_ruleset_match6(ce->rs, &src6) : NULL;
        s46_ce_params peer;
        s46_pfx6 eu = {src6, 0};
        if (r) {
            eu.len = (uint8_t)(r->ipv6.len + r->ea_len);
            s46_ip6_mask(&eu.addr, eu.len);
        }
        if (!r || s46_maprule_derive(r, &eu, ce->c.layout, &peer, NULL, 0) < 0 ||
            !s46_ip6_eq(&peer.map_addr, &src6))
            return drop(ce, p, S46_CE_drop_wan_src_unknown);
        if ((isrc & s46_mask4(peer.ipv4_len)) != peer.ipv4)
            return drop(ce, p, S46_CE_drop_wan_spoofed_address);
        if (peer.psid_len && in.has_ports && !s46_icmp4_is_error(in.icmp_type) &&
            !s46_port_in_set(peer.psid_offset, peer.psid_len, peer.psid, in.sport))
            return drop(ce, p, S46_CE_drop_wan_spoofed_port);
    }
    if (!mine(ce, idst))
        return drop(ce, p, S46_CE_drop_inner_not_my_ipv4);
    s46_tunnel_decap(p, &l3);
    ip = p->data;
    int proto = napt_proto(in.proto);
    if (proto < 0 || !in.has_ports || in.is_fragment)
        return drop(ce, p, S46_CE_drop_inner_malformed);
    uint32_t t = now_s(now);
    if (proto == S46_NAPT_ICMP && s46_icmp4_is_error(in.icmp_type)) {
        /* an error about one of our outbound flows: the quote holds our
         * address and port as source */
        uint8_t *q;
        s46_l3 ql;
        uint32_t ia;
        uint16_t iport;
        int qp;
        if (!quoted(ip, &in, &q, &ql) || (qp = napt_proto(ql.proto)) < 0 ||
            s46_get32(q + 12) != idst ||
            !s46_port_in_set(ce->me.psid_offset, ce->me.psid_len, ce->me.psid, ql.sport))
            return drop(ce, p, S46_CE_drop_inner_port_not_mine);
        if (!s46_napt_lookup_ext(ce->napt, (uint8_t)qp, ql.sport, &ia, &iport, t))
            return drop(ce, p, S46_CE_drop_napt_no_mapping);
        rewrite(q, &ql, true, ia, true, iport);
        rewrite(ip, &in, false, ia, false, 0);
        icmp_recompute(ip, &in);
        ce->cnt[S46_CE_decapsulated]++;
        return out(ce, p, S46_CE_PORT_LAN);
    }
    if (proto == S46_NAPT_ICMP && in.icmp_type != 0)
        return drop(ce, p, S46_CE_drop_inner_malformed); /* only echo replies come in */
    if (!s46_port_in_set(ce->me.psid_offset, ce->me.psid_len, ce->me.psid, in.dport))
        return drop(ce, p, S46_CE_drop_inner_port_not_mine);
    s46_napt_flow f = {(uint8_t)proto, 0, 0, isrc, proto == S46_NAPT_ICMP ? 0 : in.sport,
                       in.dport};
    s46_napt_result r = s46_napt_inbound(ce->napt, &f, in.tcp_flags, t);
    if (r == S46_NAPT_FILTERED)
        return drop(ce, p, S46_CE_drop_napt_filtered);
    if (r != S46_NAPT_OK)
        return drop(ce, p, S46_CE_drop_napt_no_mapping);
    rewrite(ip, &in, false, f.int_addr, true, f.int_port);
    if (proto == S46_NAPT_TCP)
        clamp_mss(ce, ip, &in);
    ce->cnt[S46_CE_decapsulated]++;
    out(ce, p, S46_CE_PORT_LAN);
}

void s46_ce_process(s46_ce *ce, s46_batch *b, uint16_t in_port, uint64_t now_ns)
{
    ce->cur = b;
    uint32_t n = b->count; /* fragments appended below are already done */
    for (uint32_t i = 0; i < n; i++) {
        s46_pkt *p = b->pkts[i];
        p->in_port = in_port;
        p->verdict = S46_V_FORWARD;
        if (in_port == S46_CE_PORT_LAN)
            from_lan(ce, p, now_ns);
        else
            from_wan(ce, p, now_ns);
    }
}

struct walk_ctx { json_t *arr; unsigned left; };

static bool walk_one(const s46_napt_mapping_info *mi, void *arg)
{
    struct walk_ctx *w = arg;
    char b[S46_IP4_STRLEN];
    static const char *const names[] = {"tcp", "udp", "icmp"};
    if (w->left == 0)
        return false;
    w->left--;
    json_array_append_new(w->arr, json_pack("{s:s,s:s,s:i,s:i,s:i,s:I}", "proto",
                                            names[mi->proto], "internal",
                                            s46_ip4_format(mi->int_addr, b), "internal_port",
                                            mi->int_port, "external_port", mi->ext_port,
                                            "sessions", mi->sessions, "expires",
                                            (json_int_t)mi->expires));
    return true;
}

json_t *s46_ce_show(const s46_ce *ce, uint64_t now_ns, unsigned max_mappings)
{
    char b[S46_IP6_STRLEN];
    json_t *o = s46_ce_params_json(&ce->me, ce->c.layout), *maps = json_array();
    if (!o || !maps) {
        json_decref(o);
        json_decref(maps);
        return NULL;
    }
    s46_napt_stats st;
    s46_napt_stats_get(ce->napt, &st);
    struct walk_ctx w = {maps, max_mappings};
    s46_napt_walk(ce->napt, walk_one, &w);
    json_object_set_new(o, "mechanism", json_string("map_e"));
    json_object_set_new(o, "br", json_string(s46_ip6_format(&ce->c.br, b)));
    json_object_set_new(o, "mesh", json_boolean(ce->c.mesh));
    json_object_set_new(o, "now", json_integer(now_s(now_ns)));
    json_object_set_new(o, "napt", json_pack("{s:i,s:i,s:i,s:i,s:i,s:i,s:s,s:i}", "mappings",
                                              st.mappings, "sessions", st.sessions,
                                              "ports_total", st.ports_total, "ports_used_tcp",
                                              st.ports_used[0], "ports_used_udp",
                                              st.ports_used[1], "ports_used_icmp",
                                              st.ports_used[2], "filtering",
                                              ce->c.napt.filter == S46_NAPT_FILTER_EIF
                                                  ? "endpoint-independent"
                                                  : "address-dependent",
                                              "bytes_per_mapping",
                                              st.bytes_per_mapping + st.bytes_per_session));
    json_object_set_new(o, "mappings", maps);
    json_object_set_new(o, "counters", s46_counters_json(&ce->counters));
    return o;
}
