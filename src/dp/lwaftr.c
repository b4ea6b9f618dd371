#include "dp/lwaftr.h"
#include "dp/icmp_quote.h"
#include "dp/softwire.h"
#include "dp/stages.h"
#include "lib/csum.h"
#include "lib/icmp.h"
#include "lib/parse.h"
#include "lib/tunnel.h"

#include <stdlib.h>
#include <string.h>

#define S46_LW_NAME(n, d) #n,
static const char *const counter_names[] = {S46_LW_COUNTERS(S46_LW_NAME)};
#undef S46_LW_NAME

static const s46_dp_desc lw_desc = {
    counter_names, S46_LW_NCOUNTERS, {S46_LW_v4_out, S46_LW_v6_out}, S46_LW_icmp_errors_sent,
    S46_LW_drop_icmp_ratelimited, S46_LW_fragments_held, S46_LW_reassembled,
    S46_LW_drop_reassembly_failed, S46_LW_fragmented, S46_LW_drop_no_buffer, 64,
};

/* The shared stages' events as the lwAFTR counts them. */
static const uint16_t lw_ev[S46_EV_N] = {
    [S46_EV_IN4] = S46_EVC(S46_LW_v4_in),
    [S46_EV_IN6] = S46_EVC(S46_LW_v6_in),
    [S46_EV_V4_MALFORMED] = S46_EVC(S46_LW_drop_v4_malformed),
    [S46_EV_V6_MALFORMED] = S46_EVC(S46_LW_drop_v6_malformed),
    [S46_EV_TO_SELF4] = S46_EVC(S46_LW_drop_v4_to_lwaftr),
    [S46_EV_NOT_LOCAL] = S46_EVC(S46_LW_drop_v6_not_lwaftr_address),
    [S46_EV_ECHO_REPLIES] = S46_EVC(S46_LW_echo_replies),
    [S46_EV_TTL_EXPIRED] = S46_EVC(S46_LW_drop_v4_ttl_expired),
    [S46_EV_TOO_BIG] = S46_EVC(S46_LW_drop_v4_too_big),
    [S46_EV_ENCAPSULATED] = S46_EVC(S46_LW_v4_encapsulated),
    [S46_EV_DECAPSULATED] = S46_EVC(S46_LW_v6_decapsulated),
    [S46_EV_NOT_IPIP] = S46_EVC(S46_LW_drop_v6_not_ipip),
    [S46_EV_ICMPV6_OTHER] = S46_EVC(S46_LW_drop_icmpv6_other),
    [S46_EV_ICMP6_RELAYED] = S46_EVC(S46_LW_icmp_relayed),
    [S46_EV_INNER_MALFORMED] = S46_EVC(S46_LW_drop_inner_malformed),
    [S46_EV_INNER_TTL_EXPIRED] = S46_EVC(S46_LW_drop_inner_ttl_expired),
    [S46_EV_HAIRPINNED] = S46_EVC(S46_LW_hairpinned),
    [S46_EV_ECHO_NOT_UNICAST] = S46_EVC(S46_LW_drop_echo_not_unicast),
    [S46_EV_ROUTING_HEADER] = S46_EVC(S46_LW_drop_v6_routing_header),
    [S46_EV_ICMP6_SPOOFED] = S46_EVC(S46_LW_drop_icmpv6_spoofed),
    [S46_EV_PTB_TOO_SMALL] = S46_EVC(S46_LW_drop_icmpv6_ptb_too_small),
    [S46_EV_UNFINISHED] = S46_EVC(S46_LW_drop_unfinished),
};

struct s46_lw {
    s46_sw sw;                 /* the softwire pipeline (first: stages get it) */
    s46_lw_conf c;
    unsigned reader;           /* in c.bt */
    uint64_t cnt[S46_LW_NCOUNTERS];
    /* The fast paths: the outer IPv6 header from a template (s46_tunnel_encap's
     * own, src and dst patched in), and each packet's binding located for
     * the whole batch before (pre: entry, block word, PSID; pre_p: whose),
     * so that the lookups' memory latency overlaps; fast_i: the packet the
     * fast path is called for next (in the batch's order). */
    bool fast_ok, fast_wanted;
    uint8_t hdr6_len;
    uint8_t hdr6[64];
    unsigned fast_i, fast_n;
    const s46_pkt *pre_p[S46_BATCH_MAX];
    const s46_bt_ent *pre_e[S46_BATCH_MAX];
    uint64_t pre_w[S46_BATCH_MAX];
    uint16_t pre_psid[S46_BATCH_MAX];
    uint8_t pre_res[S46_BATCH_MAX]; /* s46_bt_result, 0xff: not located */
    bool pre_bound[S46_BATCH_MAX];
    s46_bt_hit pre_hit[S46_BATCH_MAX];
};

static bool v4_fast(s46_sw *sw, s46_pkt *p);
static bool v6_fast(s46_sw *sw, s46_pkt *p);

/* Could the lwAFTR have sent the IPv4 packet q4 (quoted in an ICMPv6
 * error) from its address number local to peer? Only when the binding of
 * its destination address and port is peer's at that address, and its
 * source is neither a bound address (B4-to-B4 packets get no error back
 * into the domain) nor the lwAFTR's own (its errors). */
static bool quote_ok(const void *arg, unsigned local, const s46_ip6 *peer, const s46_quote *q4)
{
    const s46_lw *lw = arg;
    uint32_t isrc = s46_get32(q4->ip + 12), idst = s46_get32(q4->ip + 16);
    uint16_t port;
    s46_bt_hit h;
    return isrc != lw->c.ipv4 && s46_bindtab_psid_len(lw->c.bt, isrc) < 0 &&
           s46_quote_dst_port4(q4, &port) &&
           s46_bindtab_lookup(lw->c.bt, idst, port, &h) == S46_BT_FOUND && h.aftr == local &&
           s46_ip6_eq(&h.b4, peer);
}

void s46_lw_conf_default(s46_lw_conf *c)
{
    memset(c, 0, sizeof *c);
    c->ipv6_mtu = 1500;
    c->hop_limit = 64;
    c->encap_limit = -1;
    c->hairpin = true;
    c->ttl_decrement = true;
    c->ipv4_mtu = 1500;
    c->icmp_unreachable = true;
    c->icmp_rate = 1000;
}

static void apply_conf(s46_lw *lw, const s46_lw_conf *c)
{
    s46_sw *sw = &lw->sw;
    lw->c = *c;
    s46_ratelimit_init(&sw->dp.icmp_rl, c->icmp_rate, c->icmp_rate ? c->icmp_rate : 1);
    sw->dp.enc = (s46_encap){.src = c->aftr[0], .hop_limit = c->hop_limit,
                             .encap_limit = c->encap_limit};
    sw->local = c->aftr[0];
    sw->locals = lw->c.aftr;
    sw->nlocals = c->naftr;
    sw->self4 = c->ipv4;
    sw->icmp_src = c->ipv4;
    sw->ttl_decrement = c->ttl_decrement;
    sw->ipv4_mtu = c->ipv4_mtu;
    s46_pmtu_init(&sw->pmtu, c->ipv6_mtu);
    sw->ti = (s46_tunnel_icmp){.local = lw->c.aftr, .arg = lw, .icmp_src = c->ipv4,
                               .lowered_ctr = S46_LW_path_mtu_lowered, .nlocal = c->naftr,
                               .quote_ok = quote_ok};
    /* the header template, by s46_tunnel_encap itself (no fast path when
     * the encapsulation copies the TOS) */
    s46_pkt_reset(&sw->dp.scratch);
    memset(sw->dp.scratch.data, 0, 20);
    sw->dp.scratch.data[0] = 0x45;
    sw->dp.scratch.len = 20;
    s46_encap e = sw->dp.enc;
    memset(e.dst.b, 0, 16);
    unsigned over = s46_encap_overhead(&e);
    lw->fast_ok = !e.copy_tos && over <= sizeof lw->hdr6 &&
                  s46_tunnel_encap(&sw->dp.scratch, &e) == 0;
    lw->hdr6_len = (uint8_t)over;
    if (lw->fast_ok)
        memcpy(lw->hdr6, sw->dp.scratch.data, over);
    bool fast = lw->fast_ok && lw->fast_wanted;
    sw->fast[0] = fast ? v4_fast : NULL;
    sw->fast[1] = fast ? v6_fast : NULL;
}

static const s46_stage *const lw_stages4[], *const lw_stages6[];

s46_lw *s46_lw_new(const s46_lw_conf *c, unsigned reader)
{
    if (!c->bt || !c->naftr || c->naftr > S46_BT_MAX_AFTR || reader >= S46_BT_READERS)
        return NULL;
    s46_lw *lw = calloc(1, sizeof *lw);
    if (!lw)
        return NULL;
    if (s46_sw_init(&lw->sw, &lw_desc, lw->cnt, lw_ev, c->icmp_rate,
                    c->icmp_rate ? c->icmp_rate : 1) < 0) {
        free(lw);
        return NULL;
    }
    lw->sw.mech = lw;
    lw->sw.stages[0] = lw_stages4;
    lw->sw.stages[1] = lw_stages6;
    lw->reader = reader;
    lw->fast_wanted = true;
    apply_conf(lw, c);
    return lw;
}

void s46_lw_free(s46_lw *lw)
{
    if (!lw)
        return;
    s46_sw_fini(&lw->sw);
    free(lw);
}

void s46_lw_reconfigure(s46_lw *lw, const s46_lw_conf *c) { apply_conf(lw, c); }

const s46_counters *s46_lw_counters(const s46_lw *lw) { return &lw->sw.dp.counters; }

json_t *s46_lw_stages_json(const s46_lw *lw) { return s46_sw_stages_json(&lw->sw); }

void s46_lw_tick(s46_lw *lw, uint64_t now_ns) { s46_pmtu_expire(&lw->sw.pmtu, now_ns); }

/* No binding for an IPv4 destination: ICMPv4 host unreachable (no binding
 * of the address) or port unreachable (none of the port) when configured. */
static void unbound4(s46_sw *sw, s46_ctx *c, bool no_address, uint64_t now)
{
    s46_lw *lw = sw->mech;
    if (lw->c.icmp_unreachable && s46_sw_error4(sw, c, &c->l3, 3, no_address ? 1 : 3, 0, now))
        return;
    s46_sw_drop(sw, c, no_address ? S46_LW_drop_v4_no_binding_address
                                  : S46_LW_drop_v4_no_binding_port);
}

/* The binding of each packet's destination address and port becomes its
 * tunnel peer and source. Over the whole batch in three passes so that the
 * memory latency of the lookups overlaps: the address slots prefetched,
 * then the entries, then read. */
static void bind4_run(s46_sw *sw, s46_ctx *c, unsigned n, uint64_t now)
{
    s46_lw *lw = sw->mech;
    const s46_bindtab *bt = lw->c.bt;
    uint32_t dst[S46_BATCH_MAX];
    uint16_t port[S46_BATCH_MAX], psid[S46_BATCH_MAX];
    const s46_bt_ent *e[S46_BATCH_MAX];
    uint64_t w[S46_BATCH_MAX];
    uint8_t res[S46_BATCH_MAX];
    for (unsigned i = 0; i < n; i++) {
        if (c[i].done)
            continue;
        if (!s46_dst_port4(c[i].p->data, &c[i].l3, &port[i])) {
            s46_sw_drop(sw, &c[i], S46_LW_drop_v4_icmp_unmappable);
            continue;
        }
        dst[i] = s46_get32(c[i].p->data + 16);
        s46_bindtab_prefetch(bt, dst[i]);
    }
    for (unsigned i = 0; i < n; i++) {
        if (c[i].done)
            continue;
        res[i] = (uint8_t)s46_bindtab_locate(bt, dst[i], port[i], &e[i], &w[i], &psid[i]);
        if (res[i] == S46_BT_FOUND)
            __builtin_prefetch(e[i]);
    }
    for (unsigned i = 0; i < n; i++) {
        if (c[i].done)
            continue;
        s46_bt_hit h;
        if (res[i] == S46_BT_FOUND && s46_bindtab_read(e[i], w[i], psid[i], &h) &&
            h.aftr < lw->c.naftr) {
            c[i].peer = h.b4;
            c[i].src = &lw->c.aftr[h.aftr];
            continue;
        }
        unbound4(sw, &c[i], res[i] == S46_BT_NO_ADDRESS, now);
    }
}
static const s46_stage st_bind4 = {"binding4", bind4_run};

/* A packet from a B4 without a binding: ICMPv6 1/5 back when configured
 * (RFC 7596 §6.2), else dropped. */
static void refuse6(s46_sw *sw, s46_ctx *c, unsigned why, uint64_t now)
{
    s46_lw *lw = sw->mech;
    if (lw->c.icmpv6_policy && s46_icmp6_may_error(c->p->data, &c->l3)) {
        if (!s46_ratelimit_take(&sw->dp.icmp_rl, now)) {
            sw->dp.cnt[S46_LW_drop_icmp_ratelimited]++;
        } else if (s46_icmp6_error(&sw->dp.scratch, c->src, 1, 5, 0, c->p->data, c->p->len) == 0) {
            s46_dp_take_scratch(&sw->dp, c->p);
            sw->dp.cnt[S46_LW_icmpv6_errors_sent]++;
            return s46_sw_out(sw, c, 1);
        }
    }
    s46_sw_drop(sw, c, why);
}

/* RFC 7596 §6.2: the outer source, the inner source address and port must
 * be those of one binding, at the lwAFTR address the packet came to. */
static inline void bind6(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    s46_lw *lw = sw->mech;
    uint8_t *v4 = c->p->data + c->l3.l3_len;
    uint32_t src = s46_get32(v4 + 12);
    uint16_t port = 0;
    s46_sport have = s46_src_port4(v4, &c->in, &port);
    if (have == S46_SP_MALFORMED)
        return s46_sw_drop(sw, c, S46_LW_drop_inner_malformed);
    /* A fragment of a shared address's datagram is made whole after decap
     * (reassemble_inner4, keyed by this B4): a later fragment shows no
     * port, and no other B4 on the address may add to the datagram. */
    c->dom.psid_len = 0;
    if (c->in.is_fragment) {
        int k = s46_bindtab_psid_len(lw->c.bt, src);
        c->dom.psid_len = (uint8_t)(k > 0 ? k : 0);
    }
    if (have == S46_SP_NONE) { /* a later fragment: a binding of the address to this B4 */
        if (!s46_bindtab_addr_has(lw->c.bt, src, &c->peer, c->local_idx, 1024))
            refuse6(sw, c, S46_LW_drop_v6_no_binding, now);
        return;
    }
    if (have != S46_SP_PORT) {
        /* no port to check: only from a B4 holding the whole address (its
         * one binding, whatever the port) */
        int k = s46_bindtab_psid_len(lw->c.bt, src);
        if (k > 0)
            return s46_sw_drop(sw, c, have == S46_SP_NO_QUOTE ? S46_LW_drop_inner_icmp_unverifiable
                                                              : S46_LW_drop_inner_no_port);
    }
    s46_bt_hit h;
    if (s46_bindtab_lookup(lw->c.bt, src, port, &h) != S46_BT_FOUND)
        return refuse6(sw, c, S46_LW_drop_v6_no_binding, now);
    if (h.aftr != c->local_idx || !s46_ip6_eq(&h.b4, &c->peer))
        return refuse6(sw, c, S46_LW_drop_v6_src_mismatch, now);
}
S46_STAGE_LOCAL(st_bind6, "binding6", bind6);

/* To a bound IPv4 address: back into the tunnel toward that binding's B4
 * (hairpinning) when on; else the packet goes out like any other. */
static inline void hairpin(s46_sw *sw, s46_ctx *c, uint64_t now)
{
    (void)now;
    s46_lw *lw = sw->mech;
    if (!lw->c.hairpin)
        return;
    uint8_t *ip = c->p->data;
    uint32_t dst = s46_get32(ip + 16);
    uint16_t port = 0;
    bool ported = !c->in.is_fragment && s46_dst_port4(ip, &c->in, &port);
    s46_bt_hit h;
    s46_bt_result r = s46_bindtab_lookup(lw->c.bt, dst, port, &h);
    if (r == S46_BT_NO_ADDRESS)
        return;
    if (!ported || r != S46_BT_FOUND || h.aftr >= lw->c.naftr)
        return s46_sw_drop(sw, c, S46_LW_drop_hairpin_unbound);
    if (sw->ttl_decrement && s46_ipv4_dec_ttl(ip) == 0)
        return s46_sw_drop(sw, c, S46_LW_drop_inner_ttl_expired);
    c->src = &lw->c.aftr[h.aftr];
    s46_sw_encap_out(sw, c, &h.b4, S46_EV_HAIRPINNED, S46_EV_INNER_MALFORMED);
}
S46_STAGE_LOCAL(st_hairpin, "hairpin", hairpin);

/* The lwAFTR's composition. IPv4 in: to the lwAFTR itself, reassembly, the
 * binding of the destination, the router hop, the tunnel MTU, RFC 2473
 * toward the B4. IPv6 in: to an lwAFTR address, no Routing header to act
 * on, reassembly, ICMPv6 (echo; errors about packets it could have sent), only
 * IPv4-in-IPv6 whose sender matches its binding, out of the tunnel,
 * B4-to-B4 hairpinned, the router hop, out to IPv4. */
static const s46_stage *const lw_stages4[] = {
    &s46_st_parse4, &s46_st_self4, &s46_st_reasm4, &st_bind4,
    &s46_st_ttl4,   &s46_st_mtu4,  &s46_st_encap,  NULL,
};
static const s46_stage *const lw_stages6[] = {
    &s46_st_parse6, &s46_st_local6_any, &s46_st_rh6,    &s46_st_reasm6,
    &s46_st_echo6,  &s46_st_relay6,     &s46_st_ipip6,  &s46_st_inner4,
    &st_bind6,      &s46_st_decap,      &s46_st_reasm_inner4, &st_hairpin,
    &s46_st_ttl4_back, &s46_st_out4,    NULL,
};

/* The binding the fast path will want for packet i of the batch (the
 * first pass prefetched its address slot): located, its entry prefetched
 * (a third pass reads it). */
static void pre_locate(s46_lw *lw, unsigned i, const s46_pkt *p, uint16_t side)
{
    const uint8_t *d = p->data;
    lw->pre_p[i] = p;
    lw->pre_res[i] = 0xff;
    if (side == 0 ? p->len < 28 || d[0] != 0x45 : p->len < 68 || d[6] != S46_PROTO_IPIP || d[40] != 0x45)
        return;
    const uint8_t *v4 = side ? d + 40 : d;
    uint32_t a = s46_get32(v4 + (side ? 12 : 16));
    uint16_t port = s46_get16(v4 + (side ? 20 : 22));
    lw->pre_res[i] = (uint8_t)s46_bindtab_locate(lw->c.bt, a, port, &lw->pre_e[i], &lw->pre_w[i],
                                                 &lw->pre_psid[i]);
    if (lw->pre_res[i] == S46_BT_FOUND)
        __builtin_prefetch(lw->pre_e[i]);
}

/* The binding of (a, port) for the packet p the fast path has: the one
 * located beforehand when it is p's, else looked up now. */
static bool fast_binding(s46_lw *lw, const s46_pkt *p, uint32_t a, uint16_t port, s46_bt_hit *h)
{
    unsigned i = lw->fast_i++;
    if (i < lw->fast_n && lw->pre_p[i] == p && lw->pre_res[i] != 0xff) {
        *h = lw->pre_hit[i];
        return lw->pre_bound[i];
    }
    return s46_bindtab_lookup(lw->c.bt, a, port, h) == S46_BT_FOUND;
}

/* The commonest IPv4 -> IPv6 packet without the stages: an option-less,
 * unfragmented TCP or UDP packet with its ports, not to the lwAFTR, to a
 * bound address and port, with TTL to spare, that fits the tunnel MTU
 * toward its B4 once encapsulated. Any other packet, and any packet the
 * stages would drop or answer, makes it return false having changed
 * nothing: the stages then handle it. When it returns true the packet and
 * the counters are exactly as the stages leave them. */
static bool v4_fast(s46_sw *sw, s46_pkt *p)
{
    s46_lw *lw = sw->mech;
    const uint8_t *d = p->data;
    if (p->len < 28 || d[0] != 0x45) {
        lw->fast_i++;
        return false;
    }
    unsigned tot = s46_get16(d + 2), proto = d[9];
    uint32_t dst = s46_get32(d + 16);
    s46_bt_hit h;
    if (!fast_binding(lw, p, dst, s46_get16(d + 22), &h) || h.aftr >= lw->c.naftr ||
        tot > p->len || (s46_get16(d + 6) & 0x3fff) != 0 ||
        !(proto == S46_PROTO_UDP ? tot >= 28 : proto == S46_PROTO_TCP && tot >= 40) ||
        !s46_csum_ok20(d) || (lw->c.ipv4 && dst == lw->c.ipv4) ||
        (sw->ttl_decrement && d[8] <= 1) || tot > s46_sw_room(sw, &h.b4))
        return false;
    unsigned over = lw->hdr6_len;
    if (s46_pkt_headroom(p) < over)
        return false;
    p->len = tot;
    uint8_t *o = s46_pkt_push(p, over);
    if (over == 40) /* no option: a copy of known size, no call */
        memcpy(o, lw->hdr6, 40);
    else
        memcpy(o, lw->hdr6, over);
    s46_put16(o + 4, (uint16_t)(tot + over - 40));
    memcpy(o + 8, lw->c.aftr[h.aftr].b, 16);
    memcpy(o + 24, h.b4.b, 16);
    if (sw->ttl_decrement)
        s46_ipv4_dec_ttl(o + over);
    p->verdict = S46_V_FORWARD;
    p->out_port = 1;
    lw->cnt[S46_LW_v4_encapsulated]++;
    lw->cnt[S46_LW_v6_out]++;
    return true;
}

/* The commonest IPv6 -> IPv4 packet without the stages: IPv4 in IPv6
 * without extension headers to an lwAFTR address, holding an option-less,
 * unfragmented TCP or UDP packet whose source address and port are bound
 * to the outer source at that lwAFTR address, with TTL to spare, to a
 * destination that is not hairpinned. The same contract as v4_fast. */
static bool v6_fast(s46_sw *sw, s46_pkt *p)
{
    s46_lw *lw = sw->mech;
    const uint8_t *d = p->data;
    if (p->len < 68 || d[0] >> 4 != 6 || d[6] != S46_PROTO_IPIP || d[40] != 0x45) {
        lw->fast_i++;
        return false;
    }
    const uint8_t *v4 = d + 40;
    uint32_t isrc = s46_get32(v4 + 12), idst = s46_get32(v4 + 16);
    s46_bt_hit h;
    if (!fast_binding(lw, p, isrc, s46_get16(v4 + 20), &h))
        return false;
    unsigned plen = s46_get16(d + 4);
    if (p->len < 40 + plen || h.aftr >= lw->c.naftr ||
        memcmp(d + 24, lw->c.aftr[h.aftr].b, 16) != 0 || memcmp(d + 8, h.b4.b, 16) != 0)
        return false;
    unsigned tot = s46_get16(v4 + 2), proto = v4[9];
    if (plen < 28 || tot > plen || (s46_get16(v4 + 6) & 0x3fff) != 0 ||
        (sw->ipv4_mtu && tot > sw->ipv4_mtu) || /* out4 cuts it: the stages */
        !(proto == S46_PROTO_UDP ? tot >= 28 : proto == S46_PROTO_TCP && tot >= 40) ||
        !s46_csum_ok20(v4) || (sw->ttl_decrement && v4[8] <= 1) ||
        (lw->c.hairpin && s46_bindtab_psid_len(lw->c.bt, idst) >= 0))
        return false;
    p->data += 40;
    p->len = tot;
    if (sw->ttl_decrement)
        s46_ipv4_dec_ttl(p->data);
    p->verdict = S46_V_FORWARD;
    p->out_port = 0;
    lw->cnt[S46_LW_v6_decapsulated]++;
    lw->cnt[S46_LW_v4_out]++;
    return true;
}

void s46_lw_set_fast_paths(s46_lw *lw, bool on)
{
    lw->fast_wanted = on;
    lw->sw.fast[0] = on && lw->fast_ok ? v4_fast : NULL;
    lw->sw.fast[1] = on && lw->fast_ok ? v6_fast : NULL;
}

void s46_lw_process(s46_lw *lw, s46_batch *b, uint16_t side, uint64_t now_ns)
{
    s46_bindtab_enter(lw->c.bt, lw->reader);
    side &= 1;
    if (lw->sw.fast[side]) {
        /* the bindings of the whole batch, in two passes: address slots
         * prefetched, then located and their entries prefetched */
        uint32_t n = b->count;
        for (uint32_t i = 0; i < n; i++) {
            const s46_pkt *p = b->pkts[i];
            if (p->len >= 68 || (side == 0 && p->len >= 20))
                s46_bindtab_prefetch(lw->c.bt, s46_get32(p->data + (side ? 52 : 16)));
        }
        for (uint32_t i = 0; i < n; i++)
            pre_locate(lw, i, b->pkts[i], side);
        for (uint32_t i = 0; i < n; i++) /* then read, their latency overlapped */
            lw->pre_bound[i] = lw->pre_res[i] == S46_BT_FOUND &&
                               s46_bindtab_read(lw->pre_e[i], lw->pre_w[i], lw->pre_psid[i],
                                                &lw->pre_hit[i]);
        lw->fast_i = 0;
        lw->fast_n = n;
    }
    s46_sw_process(&lw->sw, b, side, now_ns);
    lw->fast_n = 0;
    s46_bindtab_leave(lw->c.bt, lw->reader);
}
