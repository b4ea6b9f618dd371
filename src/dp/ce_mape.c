#include "dp/ce_mape.h"
#include "dp/dp_common.h"
#include "dp/icmp_quote.h"
#include "dp/pipeline.h"
#include "dp/napt_json.h"
#include "dp/napt_rewrite.h"
#include "dp/tunnel_icmp.h"
#include "lib/ce_params_json.h"
#include "lib/csum.h"
#include "lib/err.h"
#include "lib/frag.h"
#include "lib/icmp.h"
#include "lib/mss.h"
#include "lib/parse.h"
#include "lib/tunnel.h"

#include <stdlib.h>
#include <string.h>

#define S46_CE_NAME(n, d) #n,
static const char *const counter_names[] = {S46_CE_COUNTERS(S46_CE_NAME)};
#undef S46_CE_NAME

static const s46_dp_desc ce_desc = {
    counter_names, S46_CE_NCOUNTERS, {S46_CE_lan_out, S46_CE_wan_out}, S46_CE_icmp_errors_sent,
    S46_CE_drop_icmp_ratelimited, S46_CE_fragments_held, S46_CE_reassembled,
    S46_CE_drop_reassembly_failed, S46_CE_fragmented, S46_CE_drop_no_buffer, 32,
};

struct s46_ce {
    s46_dp dp;                 /* counters, buffers, rate limiter, encapsulation */
    s46_ce_conf c;
    s46_maprule *rules;
    s46_ruleset *rs;
    s46_ce_params me;
    uint32_t ext;              /* the address the NAPT maps onto */
    s46_napt *napt;
    s46_pmtu pmtu;             /* the tunnel MTU toward each BR or CE */
    s46_tunnel_icmp ti;        /* who we are to ICMPv6 errors about the tunnel */
    uint64_t cnt[S46_CE_NCOUNTERS];
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

int s46_ce_params_of(const s46_ce_conf *c, s46_ce_params *out, char *err, size_t errlen)
{
    s46_ruleset *rs;
    s46_maprule *rules;
    if (setup(NULL, c, &rs, &rules, out, err, errlen) < 0)
        return -1;
    s46_ruleset_free(rs);
    free(rules);
    return 0;
}

static bool peer_ok(const void *arg, const s46_ip6 *peer);

static void apply(s46_ce *ce, const s46_ce_conf *c)
{
    ce->c = *c;
    ce->c.rules = ce->rules;
    ce->dp.enc = (s46_encap){.src = ce->me.map_addr, .dst = c->br, .hop_limit = c->hop_limit,
                             .encap_limit = c->encap_limit};
    /* an IPv4 prefix: NAPT onto its first host address */
    ce->ext = ce->me.ipv4_len == 32 ? ce->me.ipv4
                                    : ce->me.ipv4 + (ce->me.ipv4_len <= 30 ? 1u : 0u);
    s46_pmtu_init(&ce->pmtu, c->ipv6_mtu);
    ce->ti = (s46_tunnel_icmp){&ce->me.map_addr, peer_ok, ce,
                               c->lan_ipv4 ? c->lan_ipv4 : ce->ext, S46_CE_path_mtu_lowered};
}

s46_ce *s46_ce_new(const s46_ce_conf *c, char *err, size_t errlen)
{
    s46_ce *ce = calloc(1, sizeof *ce);
    if (!ce) {
        s46_seterr(err, errlen, "out of memory");
        return NULL;
    }
    if (s46_dp_init(&ce->dp, &ce_desc, ce->cnt, 100, 100) < 0) {
        s46_seterr(err, errlen, "out of memory");
        free(ce);
        return NULL;
    }
    if (setup(ce, c, &ce->rs, &ce->rules, &ce->me, err, errlen) < 0) {
        s46_ce_free(ce);
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
    s46_dp_fini(&ce->dp);
    s46_ruleset_free(ce->rs);
    free(ce->rules);
    free(ce);
}

const s46_ce_params *s46_ce_params_get(const s46_ce *ce) { return &ce->me; }
const s46_counters *s46_ce_counters(const s46_ce *ce) { return &ce->dp.counters; }

void s46_ce_tick(s46_ce *ce, uint64_t now_ns)
{
    s46_napt_expire(ce->napt, now_s(now_ns), 4096);
    s46_pmtu_expire(&ce->pmtu, now_ns);
}

/* Replaces p by an ICMPv4 error to a LAN host about it. */
static bool icmp_to_lan(s46_ce *ce, s46_pkt *p, const s46_l3 *l3, uint8_t type, uint8_t code,
                        uint32_t extra, uint64_t now)
{
    uint32_t src = ce->c.lan_ipv4 ? ce->c.lan_ipv4 : ce->ext;
    return s46_dp_icmp4_error(&ce->dp, p, l3, src, type, code, extra, now);
}

/* The tunnel MTU toward peer, and the IPv4 room it leaves. */
static unsigned tun_mtu(const s46_ce *ce, const s46_ip6 *peer)
{
    return s46_pmtu_get(&ce->pmtu, peer);
}
static unsigned room(const s46_ce *ce, const s46_ip6 *peer)
{
    return tun_mtu(ce, peer) - s46_encap_overhead(&ce->dp.enc);
}

static void clamp_mss(s46_ce *ce, uint8_t *ip, const s46_l3 *l3, const s46_ip6 *peer)
{
    if (s46_tcp_clamp_mss(ip, l3, (uint16_t)(room(ce, peer) - 40)))
        ce->cnt[S46_CE_mss_clamped]++;
}

/* Where an IPv4 destination goes: an FMR's CE (mesh, true) or the BR. */
static bool tunnel_dst(const s46_ce *ce, uint32_t dst, uint16_t dport, s46_ip6 *to)
{
    if (ce->c.mesh) {
        const s46_maprule *r = s46_ruleset_match4(ce->rs, dst, dport);
        s46_ce_params peer;
        if (r && s46_maprule_reverse(r, dst, dport, ce->c.layout, &peer, NULL, 0) == 0) {
            *to = peer.map_addr;
            return true;
        }
    }
    *to = ce->c.br;
    return false;
}

/* The tunnel peer of a LAN packet, before its translation: where it goes
 * (an ICMP error: where the packet it quotes came from). */
static bool lan_peer(const s46_ce *ce, uint8_t *ip, const s46_l3 *l3, s46_ip6 *to)
{
    s46_quote q;
    if (l3->proto == S46_PROTO_ICMP && s46_icmp4_is_error(l3->icmp_type)) {
        if (!s46_icmp_quote(ip, l3, &q)) { /* the NAPT refuses it */
            *to = ce->c.br;
            return false;
        }
        return tunnel_dst(ce, s46_get32(q.ip + 12), q.l3.sport, to);
    }
    return tunnel_dst(ce, s46_get32(ip + 16), l3->dport, to);
}

/* Is a an FMR CE's MAP address (mesh)? Its parameters in *peer. */
static bool fmr_peer(const s46_ce *ce, const s46_ip6 *a, s46_ce_params *peer)
{
    const s46_maprule *r = ce->c.mesh ? s46_ruleset_match6(ce->rs, a) : NULL;
    if (!r)
        return false;
    s46_pfx6 eu = {*a, (uint8_t)(r->ipv6.len + r->ea_len)};
    s46_ip6_mask(&eu.addr, eu.len);
    return s46_maprule_derive(r, &eu, ce->c.layout, peer, NULL, 0) == 0 &&
           s46_ip6_eq(&peer->map_addr, a);
}

/* The peers our tunnel packets go to: the BR, and FMR CEs in mesh mode. */
static bool peer_ok(const void *arg, const s46_ip6 *peer)
{
    const s46_ce *ce = arg;
    s46_ce_params p;
    return s46_ip6_eq(peer, &ce->c.br) || fmr_peer(ce, peer, &p);
}

static bool mine(const s46_ce *ce, uint32_t a)
{
    return (a & s46_mask4(ce->me.ipv4_len)) == ce->me.ipv4;
}

/* Drop reasons of the NAPT translation outcomes. */
static const uint16_t nx_reason[] = S46_NX_DROP_REASONS(S46_CE_);

static void from_lan(s46_ce *ce, s46_pkt *p, uint64_t now)
{
    s46_l3 l3;
    ce->cnt[S46_CE_lan_in]++;
    if (s46_parse_ipv4(p->data, p->len, &l3) < 0)
        return s46_dp_drop(&ce->dp, p, S46_CE_drop_lan_malformed);
    p->len = l3.l3_len + l3.l4_len;
    if (l3.is_fragment && !s46_dp_reasm(&ce->dp, false, p, &l3, now))
        return;
    int proto = s46_napt_proto_of(l3.proto);
    if (proto < 0 || !l3.has_ports)
        return s46_dp_drop(&ce->dp, p, S46_CE_drop_lan_unsupported_proto);
    if (ce->c.ttl_decrement) { /* the router hop */
        if (l3.ttl <= 1) {
            if (icmp_to_lan(ce, p, &l3, 11, 0, 0, now))
                return s46_dp_out(&ce->dp, p, S46_CE_PORT_LAN);
            return s46_dp_drop(&ce->dp, p, S46_CE_drop_lan_ttl_expired);
        }
        s46_ipv4_dec_ttl(p->data);
        l3.ttl--;
    }
    uint8_t *ip = p->data;
    s46_encap e = ce->dp.enc;
    bool fmr = lan_peer(ce, ip, &l3, &e.dst);
    unsigned fit = room(ce, &e.dst);
    if (p->len > fit && l3.df) {
        if (icmp_to_lan(ce, p, &l3, 3, 4, fit, now))
            return s46_dp_out(&ce->dp, p, S46_CE_PORT_LAN);
        return s46_dp_drop(&ce->dp, p, S46_CE_drop_lan_too_big);
    }
    uint32_t t = now_s(now);
    s46_nx_out o;
    s46_nx_result r = s46_napt_xlate_out(ce->napt, ce->ext, ip, &l3, t, &o);
    if (r != S46_NX_OK)
        return s46_dp_drop(&ce->dp, p, nx_reason[r]);
    if (o.created)
        ce->cnt[S46_CE_napt_mappings_created]++;
    if (!o.error) {
        if (proto == S46_NAPT_TCP)
            clamp_mss(ce, ip, &l3, &e.dst);
        /* hairpinning (RFC 4787 REQ-9): to our own address and ports */
        if (mine(ce, o.dst) && s46_port_in_set(ce->me.psid_offset, ce->me.psid_len,
                                               ce->me.psid, l3.dport)) {
            if (s46_napt_xlate_hairpin(ce->napt, ce->ext, ip, &l3, &o, t) != S46_NX_OK)
                return s46_dp_drop(&ce->dp, p, S46_CE_drop_hairpin_no_mapping);
            ce->cnt[S46_CE_hairpinned]++;
            return s46_dp_out(&ce->dp, p, S46_CE_PORT_LAN);
        }
    }
    ce->cnt[fmr ? S46_CE_to_fmr : S46_CE_to_br]++;
    if (s46_tunnel_encap(p, &e) < 0)
        return s46_dp_drop(&ce->dp, p, S46_CE_drop_lan_malformed);
    ce->cnt[S46_CE_encapsulated]++;
    s46_dp_out(&ce->dp, p, S46_CE_PORT_WAN);
    if (p->len > tun_mtu(ce, &e.dst)) /* DF = 0: fragment the outer IPv6 packet */
        s46_dp_frag_out(&ce->dp, p, tun_mtu(ce, &e.dst));
}

/* An ICMPv6 error about one of our tunnel packets (tunnel_icmp.h): on to
 * the LAN host through the reverse NAPT; false when p is no such error or
 * none may be sent (the caller drops it). */
static bool relay_icmp6(s46_ce *ce, s46_pkt *p, const s46_l3 *l3, uint64_t now)
{
    if (s46_tunnel_icmp6(&ce->ti, &ce->dp, &ce->pmtu, p, l3, now) != S46_TI_RELAYED)
        return false;
    s46_l3 el;
    if (s46_parse_ipv4(p->data, p->len, &el) < 0 ||
        s46_napt_xlate_in(ce->napt, ce->me.psid_offset, ce->me.psid_len, ce->me.psid, p->data,
                          &el, now_s(now)) != S46_NX_OK)
        return false;
    ce->cnt[S46_CE_icmp6_relayed]++;
    s46_dp_out(&ce->dp, p, S46_CE_PORT_LAN);
    return true;
}

static void from_wan(s46_ce *ce, s46_pkt *p, uint64_t now)
{
    s46_l3 l3;
    ce->cnt[S46_CE_wan_in]++;
    if (s46_parse_ipv6(p->data, p->len, &l3) < 0)
        return s46_dp_drop(&ce->dp, p, S46_CE_drop_wan_malformed);
    p->len = l3.l3_len + l3.l4_len;
    if (memcmp(p->data + 24, ce->me.map_addr.b, 16) != 0)
        return s46_dp_drop(&ce->dp, p, S46_CE_drop_wan_not_map_address);
    bool was_fragment = l3.is_fragment;
    if (l3.is_fragment && !s46_dp_reasm(&ce->dp, true, p, &l3, now))
        return;
    /* several workers: the reassembled datagram may belong to another's
     * NAPT share */
    if (was_fragment && ce->c.napt.shares > 1 && l3.proto == S46_PROTO_IPIP) {
        unsigned o = s46_steer_napt_in(p->data + l3.l3_len, l3.l4_len, ce->c.napt.shares,
                                       ce->c.napt.share);
        if (o != ce->c.napt.share)
            return s46_pkt_redirect(p, o);
    }
    if (l3.proto == S46_PROTO_ICMPV6) {
        if (l3.has_ports && l3.icmp_type == 128) {
            s46_icmp6_echo_reply(p, &l3);
            ce->cnt[S46_CE_echo_replies]++;
            return s46_dp_out(&ce->dp, p, S46_CE_PORT_WAN);
        }
        if (relay_icmp6(ce, p, &l3, now))
            return;
        return s46_dp_drop(&ce->dp, p, S46_CE_drop_wan_icmpv6);
    }
    if (l3.proto != S46_PROTO_IPIP)
        return s46_dp_drop(&ce->dp, p, S46_CE_drop_wan_not_ipip);
    s46_ip6 src6;
    memcpy(src6.b, p->data + 8, 16);
    uint8_t *ip = p->data + l3.l3_len;
    s46_l3 in;
    if (s46_parse_ipv4(ip, l3.l4_len, &in) < 0)
        return s46_dp_drop(&ce->dp, p, S46_CE_drop_inner_malformed);
    uint32_t isrc = s46_get32(ip + 12), idst = s46_get32(ip + 16);
    /* Source validation (RFC 7597 §8.1): the BR first, then an FMR's CE. */
    if (!s46_ip6_eq(&src6, &ce->c.br)) {
        s46_ce_params peer;
        if (!fmr_peer(ce, &src6, &peer))
            return s46_dp_drop(&ce->dp, p, S46_CE_drop_wan_src_unknown);
        if ((isrc & s46_mask4(peer.ipv4_len)) != peer.ipv4)
            return s46_dp_drop(&ce->dp, p, S46_CE_drop_wan_spoofed_address);
        if (peer.psid_len && in.has_ports && !s46_icmp4_is_error(in.icmp_type) &&
            !s46_port_in_set(peer.psid_offset, peer.psid_len, peer.psid, in.sport))
            return s46_dp_drop(&ce->dp, p, S46_CE_drop_wan_spoofed_port);
    }
    if (!mine(ce, idst))
        return s46_dp_drop(&ce->dp, p, S46_CE_drop_inner_not_my_ipv4);
    s46_tunnel_decap(p, &l3);
    ip = p->data;
    s46_nx_result r = s46_napt_xlate_in(ce->napt, ce->me.psid_offset, ce->me.psid_len,
                                        ce->me.psid, ip, &in, now_s(now));
    if (r != S46_NX_OK)
        return s46_dp_drop(&ce->dp, p, nx_reason[r]);
    if (in.proto == S46_PROTO_TCP)
        clamp_mss(ce, ip, &in, &src6);
    ce->cnt[S46_CE_decapsulated]++;
    s46_dp_out(&ce->dp, p, S46_CE_PORT_LAN);
}

void s46_ce_process(s46_ce *ce, s46_batch *b, uint16_t in_port, uint64_t now_ns)
{
    ce->dp.cur = b;
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

json_t *s46_ce_show(const s46_ce *ce, uint64_t now_ns, unsigned max_mappings)
{
    char b[S46_IP6_STRLEN];
    json_t *o = s46_ce_params_json(&ce->me, ce->c.layout);
    json_t *maps = s46_napt_mappings_json(ce->napt, max_mappings);
    if (!o || !maps) {
        json_decref(o);
        json_decref(maps);
        return NULL;
    }
    json_object_set_new(o, "mechanism", json_string("map_e"));
    json_object_set_new(o, "br", json_string(s46_ip6_format(&ce->c.br, b)));
    json_object_set_new(o, "mesh", json_boolean(ce->c.mesh));
    json_object_set_new(o, "now", json_integer(now_s(now_ns)));
    json_object_set_new(o, "napt", s46_napt_state_json(ce->napt, ce->c.napt.filter));
    json_object_set_new(o, "mappings", maps);
    json_object_set_new(o, "counters", s46_counters_json(&ce->dp.counters));
    return o;
}
