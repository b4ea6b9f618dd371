#include "dp/ce_tunnel.h"
#include "dp/dp_common.h"
#include "dp/pipeline.h"
#include "dp/tunnel_icmp.h"
#include "dp/napt_json.h"
#include "dp/napt_rewrite.h"
#include "lib/csum.h"
#include "lib/err.h"
#include "lib/icmp.h"
#include "lib/mss.h"
#include "lib/tunnel.h"

#include <stdlib.h>
#include <string.h>

#define S46_CET_NAME(n, d) #n,
static const char *const cet_counter_names[] = {S46_CET_COUNTERS(S46_CET_NAME)};
#undef S46_CET_NAME

#define B4_WELL_KNOWN 0xc0000002u /* 192.0.0.2 (RFC 6333 §5.7) */

static const s46_dp_desc cet_desc = {
    cet_counter_names, S46_CET_NCOUNTERS, {S46_CET_lan_out, S46_CET_wan_out},
    S46_CET_icmp_errors_sent, S46_CET_drop_icmp_ratelimited, S46_CET_fragments_held,
    S46_CET_reassembled, S46_CET_drop_reassembly_failed, S46_CET_fragmented,
    S46_CET_drop_no_buffer, 32,
};

struct s46_cet {
    s46_dp dp;                 /* counters, buffers, rate limiter, encapsulation */
    s46_cet_conf c;
    uint32_t nat;              /* ipip: the address the NAPT maps onto */
    uint32_t icmp_src;         /* source of our ICMPv4 errors */
    s46_pmtu pmtu;             /* the tunnel's MTU: configured, or lower as learned */
    s46_tunnel_icmp ti;        /* who we are to ICMPv6 errors about the tunnel */
    s46_napt *napt;            /* ipip only */
    uint64_t cnt[S46_CET_NCOUNTERS];
};

void s46_cet_conf_default(s46_cet_conf *c)
{
    memset(c, 0, sizeof *c);
    c->kind = S46_CET_DSLITE;
    c->ipv6_mtu = 1500;
    c->hop_limit = 64;
    c->encap_limit = -1;
    c->ttl_decrement = true;
    s46_napt_config_default(&c->napt);
}

static uint32_t secs(uint64_t ns) { return (uint32_t)(ns / 1000000000ull); }

static bool unicast6(const s46_ip6 *a)
{
    static const s46_ip6 unspecified;
    return a->b[0] != 0xff && !s46_ip6_eq(a, &unspecified);
}

/* Validates c; *nat gets the NAT address (ipip), else 0. */
static int check(const s46_cet_conf *c, uint32_t *nat, char *err, size_t errlen)
{
    char b[S46_PFX4_STRLEN], a4[S46_IP4_STRLEN];
    *nat = 0;
    if (c->kind != S46_CET_DSLITE && c->kind != S46_CET_IPIP) {
        s46_seterr(err, errlen, "unknown tunnel mechanism %d", (int)c->kind);
        return -1;
    }
    if (!unicast6(&c->local) || !unicast6(&c->remote)) {
        s46_seterr(err, errlen, "tunnel endpoints must be unicast IPv6 addresses");
        return -1;
    }
    if (s46_ip6_eq(&c->local, &c->remote)) {
        s46_seterr(err, errlen, "the local and remote tunnel endpoints are the same address");
        return -1;
    }
    if (c->ipv6_mtu < 1280 || c->hop_limit == 0 || c->encap_limit < -1 ||
        c->encap_limit > 255) {
        s46_seterr(err, errlen, "ipv6_mtu below 1280, hop_limit 0 or encap_limit out of range");
        return -1;
    }
    if (c->kind == S46_CET_DSLITE)
        return 0;
    if (c->ipv4.len == 0 || c->ipv4.len > 32 || (c->ipv4.addr & ~s46_mask4(c->ipv4.len))) {
        s46_seterr(err, errlen, "ipv4: a prefix of length 1..32 without host bits is needed");
        return -1;
    }
    uint32_t a = c->nat_addr ? c->nat_addr : c->ipv4.addr + (c->ipv4.len <= 30 ? 1u : 0u);
    if (!s46_pfx4_contains(&c->ipv4, a)) {
        s46_seterr(err, errlen, "nat address %s is outside %s", s46_ip4_format(a, a4),
                   s46_pfx4_format(&c->ipv4, b));
        return -1;
    }
    *nat = a;
    return 0;
}

/* The tunnel's MTU now, the largest IPv4 packet it carries whole, the
 * largest TCP MSS that fits. */
static unsigned tun_mtu(const s46_cet *t) { return s46_pmtu_get(&t->pmtu, &t->c.remote); }
static unsigned room(const s46_cet *t) { return tun_mtu(t) - s46_encap_overhead(&t->dp.enc); }
static uint16_t mss_max(const s46_cet *t) { return (uint16_t)(room(t) - 40); }

static bool is_remote(const void *arg, const s46_ip6 *peer)
{
    return s46_ip6_eq(&((const s46_cet *)arg)->c.remote, peer);
}

static void apply(s46_cet *t, const s46_cet_conf *c, uint32_t nat)
{
    t->c = *c;
    t->nat = nat;
    /* RFC 6333 §5.2/§7.1: the traffic class follows the IPv4 TOS */
    t->dp.enc = (s46_encap){.src = c->local, .dst = c->remote, .hop_limit = c->hop_limit,
                         .encap_limit = c->encap_limit, .copy_tos = true};
    s46_pmtu_init(&t->pmtu, c->ipv6_mtu);
    t->icmp_src = c->lan_ipv4 ? c->lan_ipv4 : c->kind == S46_CET_IPIP ? nat : B4_WELL_KNOWN;
    t->ti = (s46_tunnel_icmp){&t->c.local, is_remote, t, t->icmp_src, S46_CET_path_mtu_lowered};
}

/* The NAPT of an ipip CE: the NAT address with the whole port space. */
static s46_napt *new_napt(const s46_cet_conf *c, uint32_t nat)
{
    s46_napt_config nc = c->napt;
    nc.ext_addr = nat;
    nc.psid_offset = 0;
    nc.psid_len = 0;
    nc.psid = 0;
    return s46_napt_new(&nc);
}

s46_cet *s46_cet_new(const s46_cet_conf *c, char *err, size_t errlen)
{
    uint32_t nat;
    if (check(c, &nat, err, errlen) < 0)
        return NULL;
    s46_cet *t = calloc(1, sizeof *t);
    if (!t) {
        s46_seterr(err, errlen, "out of memory");
        return NULL;
    }
    if (s46_dp_init(&t->dp, &cet_desc, t->cnt, 100, 100) < 0) {
        s46_seterr(err, errlen, "out of memory");
        free(t);
        return NULL;
    }
    apply(t, c, nat);
    if (c->kind == S46_CET_IPIP && !(t->napt = new_napt(c, nat))) {
        s46_seterr(err, errlen, "cannot allocate the NAPT table (capacities?)");
        s46_cet_free(t);
        return NULL;
    }
    return t;
}

void s46_cet_free(s46_cet *t)
{
    if (!t)
        return;
    s46_napt_free(t->napt);
    s46_dp_fini(&t->dp);
    free(t);
}

int s46_cet_reconfigure(s46_cet *t, const s46_cet_conf *c, char *err, size_t errlen)
{
    uint32_t nat;
    if (check(c, &nat, err, errlen) < 0)
        return -1;
    if (c->kind != S46_CET_IPIP) {
        s46_napt_free(t->napt);
        t->napt = NULL;
    } else if (!t->napt) {
        if (!(t->napt = new_napt(c, nat))) {
            s46_seterr(err, errlen, "cannot allocate the NAPT table (capacities?)");
            return -1;
        }
    } else {
        s46_napt_set_policy(t->napt, &c->napt);
        if (nat != t->nat) /* mappings onto the old address are worthless */
            s46_napt_reset(t->napt, nat, 0, 0, 0);
    }
    apply(t, c, nat);
    return 0;
}

const s46_counters *s46_cet_counters(const s46_cet *t) { return &t->dp.counters; }

void s46_cet_tick(s46_cet *t, uint64_t now_ns)
{
    if (t->napt)
        s46_napt_expire(t->napt, secs(now_ns), 4096);
    s46_pmtu_expire(&t->pmtu, now_ns);
}

/* Drop reasons of the NAPT translation outcomes. */
static const uint16_t nx_why[] = S46_NX_DROP_REASONS(S46_CET_);

/* Turns p into an ICMPv4 error back to its LAN source; false when none may
 * or can be sent (p untouched). */
static bool error_to_lan(s46_cet *t, s46_pkt *p, const s46_l3 *l3, uint8_t type, uint8_t code,
                         uint32_t extra, uint64_t now)
{
    if (!s46_dp_icmp4_error(&t->dp, p, l3, t->icmp_src, type, code, extra, now))
        return false;
    s46_dp_out(&t->dp, p, S46_CET_PORT_LAN);
    return true;
}

/* Whether a LAN packet may enter the tunnel: its TTL does not expire here
 * and it fits or may be fragmented. Otherwise p became an ICMPv4 error to
 * its source or was dropped. */
static bool may_enter(s46_cet *t, s46_pkt *p, const s46_l3 *l3, uint64_t now)
{
    if (t->c.ttl_decrement && l3->ttl <= 1) {
        if (!error_to_lan(t, p, l3, 11, 0, 0, now))
            s46_dp_drop(&t->dp, p, S46_CET_drop_lan_ttl_expired);
        return false;
    }
    if (l3->df && p->len > room(t)) {
        if (!error_to_lan(t, p, l3, 3, 4, room(t), now))
            s46_dp_drop(&t->dp, p, S46_CET_drop_lan_too_big);
        return false;
    }
    return true;
}

static void clamp(s46_cet *t, s46_pkt *p, const s46_l3 *l3)
{
    if (l3->proto == S46_PROTO_TCP && l3->first_fragment &&
        s46_tcp_clamp_mss(p->data, l3, mss_max(t)))
        t->cnt[S46_CET_mss_clamped]++;
}

/* Into the tunnel: the router hop, the outer header, outer fragments. */
static void encap_out(s46_cet *t, s46_pkt *p, const s46_l3 *l3)
{
    clamp(t, p, l3);
    if (t->c.ttl_decrement)
        s46_ipv4_dec_ttl(p->data);
    if (s46_tunnel_encap(p, &t->dp.enc) < 0)
        return s46_dp_drop(&t->dp, p, S46_CET_drop_lan_malformed);
    t->cnt[S46_CET_encapsulated]++;
    s46_dp_out(&t->dp, p, S46_CET_PORT_WAN);
    if (p->len > tun_mtu(t)) /* DF = 0: fragment the outer IPv6 packet */
        s46_dp_frag_out(&t->dp, p, tun_mtu(t));
}

/* ipip, a LAN source outside the fixed addresses: NAPT onto the NAT address. */
static void lan_napt(s46_cet *t, s46_pkt *p, s46_l3 *l3, uint64_t now)
{
    if (l3->is_fragment && !s46_dp_reasm(&t->dp, false, p, l3, now))
        return;
    if (s46_napt_proto_of(l3->proto) < 0 || !l3->has_ports)
        return s46_dp_drop(&t->dp, p, S46_CET_drop_lan_unsupported_proto);
    if (!may_enter(t, p, l3, now))
        return;
    s46_nx_out o;
    s46_nx_result r = s46_napt_xlate_out(t->napt, t->nat, p->data, l3, secs(now), &o);
    if (r != S46_NX_OK)
        return s46_dp_drop(&t->dp, p, nx_why[r]);
    t->cnt[S46_CET_lan_napt]++;
    if (o.created)
        t->cnt[S46_CET_napt_mappings_created]++;
    if (!o.error && o.dst == t->nat) { /* every port is ours: hairpin */
        if (s46_napt_xlate_hairpin(t->napt, t->nat, p->data, l3, &o, secs(now)) != S46_NX_OK)
            return s46_dp_drop(&t->dp, p, S46_CET_drop_hairpin_no_mapping);
        t->cnt[S46_CET_hairpinned]++;
        return s46_dp_out(&t->dp, p, S46_CET_PORT_LAN);
    }
    encap_out(t, p, l3);
}

static void from_lan(s46_cet *t, s46_pkt *p, uint64_t now)
{
    s46_l3 l3;
    t->cnt[S46_CET_lan_in]++;
    if (s46_parse_ipv4(p->data, p->len, &l3) < 0)
        return s46_dp_drop(&t->dp, p, S46_CET_drop_lan_malformed);
    p->len = l3.l3_len + l3.l4_len;
    if (t->c.kind == S46_CET_IPIP) {
        uint32_t src = s46_get32(p->data + 12);
        if (src == t->nat || !s46_pfx4_contains(&t->c.ipv4, src))
            return lan_napt(t, p, &l3, now);
        t->cnt[S46_CET_lan_fixed_source]++;
    }
    /* unchanged, any protocol, fragments as they are */
    if (may_enter(t, p, &l3, now))
        encap_out(t, p, &l3);
}

/* ipip: where a decapsulated packet may go; false when p was dropped. */
static bool wan_ipip(s46_cet *t, s46_pkt *p, s46_l3 *in, uint64_t now)
{
    uint32_t dst = s46_get32(p->data + 16);
    if (dst != t->nat) {
        if (!s46_pfx4_contains(&t->c.ipv4, dst)) {
            s46_dp_drop(&t->dp, p, S46_CET_drop_inner_not_my_ipv4);
            return false;
        }
        t->cnt[S46_CET_wan_fixed_destination]++;
        return true;
    }
    if (in->is_fragment && !s46_dp_reasm(&t->dp, false, p, in, now))
        return false;
    s46_nx_result r = s46_napt_xlate_in(t->napt, 0, 0, 0, p->data, in, secs(now));
    if (r != S46_NX_OK) {
        s46_dp_drop(&t->dp, p, nx_why[r]);
        return false;
    }
    t->cnt[S46_CET_wan_napt]++;
    return true;
}

/* RFC 2473 §8 (tunnel_icmp.h): an ICMPv6 error about one of our tunnel
 * packets goes on to the inner source as ICMPv4 (through the reverse NAPT
 * for the NAT address). false when p is no such error or none may be sent
 * (the caller drops it). */
static bool relay_icmp6(s46_cet *t, s46_pkt *p, const s46_l3 *l3, uint64_t now)
{
    if (s46_tunnel_icmp6(&t->ti, &t->dp, &t->pmtu, p, l3, now) != S46_TI_RELAYED)
        return false;
    s46_l3 el;
    if (s46_parse_ipv4(p->data, p->len, &el) < 0)
        return false;
    if (t->c.kind == S46_CET_IPIP && s46_get32(p->data + 16) == t->nat &&
        s46_napt_xlate_in(t->napt, 0, 0, 0, p->data, &el, secs(now)) != S46_NX_OK)
        return false;
    t->cnt[S46_CET_icmp6_relayed]++;
    s46_dp_out(&t->dp, p, S46_CET_PORT_LAN);
    return true;
}

static void from_wan(s46_cet *t, s46_pkt *p, uint64_t now)
{
    s46_l3 l3, in;
    t->cnt[S46_CET_wan_in]++;
    if (s46_parse_ipv6(p->data, p->len, &l3) < 0)
        return s46_dp_drop(&t->dp, p, S46_CET_drop_wan_malformed);
    p->len = l3.l3_len + l3.l4_len;
    if (memcmp(p->data + 24, t->c.local.b, 16) != 0)
        return s46_dp_drop(&t->dp, p, S46_CET_drop_wan_not_local);
    bool tunnel = memcmp(p->data + 8, t->c.remote.b, 16) == 0;
    /* only the tunnel's own fragments take up reassembly room */
    if (l3.is_fragment && !tunnel)
        return s46_dp_drop(&t->dp, p, S46_CET_drop_wan_src_not_remote);
    bool was_fragment = l3.is_fragment;
    if (l3.is_fragment && !s46_dp_reasm(&t->dp, true, p, &l3, now))
        return;
    /* several workers: the reassembled datagram may belong to another's
     * NAPT share */
    if (was_fragment && t->c.napt.shares > 1 && l3.proto == S46_PROTO_IPIP) {
        unsigned o = s46_steer_napt_in(p->data + l3.l3_len, l3.l4_len, t->c.napt.shares,
                                       t->c.napt.share);
        if (o != t->c.napt.share)
            return s46_pkt_redirect(p, o);
    }
    if (l3.proto == S46_PROTO_ICMPV6) { /* answer pings to the local address */
        bool ping = l3.has_ports && l3.icmp_type == 128;
        if (!ping && relay_icmp6(t, p, &l3, now))
            return;
        if (!ping)
            return s46_dp_drop(&t->dp, p, S46_CET_drop_wan_icmpv6);
        s46_icmp6_echo_reply(p, &l3);
        t->cnt[S46_CET_echo_replies]++;
        return s46_dp_out(&t->dp, p, S46_CET_PORT_WAN);
    }
    if (!tunnel)
        return s46_dp_drop(&t->dp, p, S46_CET_drop_wan_src_not_remote);
    if (l3.proto != S46_PROTO_IPIP)
        return s46_dp_drop(&t->dp, p, S46_CET_drop_wan_not_ipip);
    if (s46_parse_ipv4(p->data + l3.l3_len, l3.l4_len, &in) < 0)
        return s46_dp_drop(&t->dp, p, S46_CET_drop_inner_malformed);
    s46_tunnel_decap(p, &l3);
    p->len = in.l3_len + in.l4_len;
    if (t->c.kind == S46_CET_IPIP && !wan_ipip(t, p, &in, now))
        return;
    clamp(t, p, &in);
    t->cnt[S46_CET_decapsulated]++;
    s46_dp_out(&t->dp, p, S46_CET_PORT_LAN);
}

void s46_cet_process(s46_cet *t, s46_batch *b, uint16_t in_port, uint64_t now_ns)
{
    void (*step)(s46_cet *, s46_pkt *, uint64_t) =
        in_port == S46_CET_PORT_LAN ? from_lan : from_wan;
    uint32_t n = b->count; /* outer fragments appended on the way are done */
    t->dp.cur = b;
    for (uint32_t i = 0; i < n; i++) {
        b->pkts[i]->in_port = in_port;
        b->pkts[i]->verdict = S46_V_FORWARD;
        step(t, b->pkts[i], now_ns);
    }
}

json_t *s46_cet_show(const s46_cet *t, uint64_t now_ns, unsigned max_mappings)
{
    char b6[S46_IP6_STRLEN], b4[S46_PFX4_STRLEN];
    bool ipip = t->c.kind == S46_CET_IPIP;
    json_t *o = json_object();
    json_t *maps = ipip ? s46_napt_mappings_json(t->napt, max_mappings) : json_array();
    if (!o || !maps) {
        json_decref(o);
        json_decref(maps);
        return NULL;
    }
    json_object_set_new(o, "mechanism", json_string(ipip ? "ipip" : "dslite"));
    json_object_set_new(o, "local", json_string(s46_ip6_format(&t->c.local, b6)));
    json_object_set_new(o, "remote", json_string(s46_ip6_format(&t->c.remote, b6)));
    json_object_set_new(o, "ipv4",
                        ipip ? json_string(s46_pfx4_format(&t->c.ipv4, b4)) : json_null());
    json_object_set_new(o, "nat_address",
                        ipip ? json_string(s46_ip4_format(t->nat, b4)) : json_null());
    json_object_set_new(o, "ipv6_mtu", json_integer(t->c.ipv6_mtu));
    json_object_set_new(o, "path_mtu", json_integer(tun_mtu(t)));
    json_object_set_new(o, "mss", json_integer(mss_max(t)));
    json_object_set_new(o, "now", json_integer(secs(now_ns)));
    json_object_set_new(o, "napt",
                        ipip ? s46_napt_state_json(t->napt, t->c.napt.filter) : json_null());
    json_object_set_new(o, "mappings", maps);
    json_object_set_new(o, "counters", s46_counters_json(&t->dp.counters));
    return o;
}
