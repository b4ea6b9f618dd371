/* The softwire pipeline: what every IPv4-over-IPv6 data plane is made of.
 *
 * A mechanism (MAP-E BR, MAP-E CE, DS-Lite B4, ipip CE, and the next ones)
 * is a composition: for each side a list of named stages that the packets
 * of a batch go through in order. A stage runs over the whole batch (one
 * indirect call per stage and batch, the per-packet work inlined in it) on
 * a per-packet context (s46_ctx). For each packet it either leaves the
 * packet to the next stage or finishes it: forwarded out of a side, dropped
 * with a counted reason, or handed to another worker. A packet that no
 * stage finished is dropped as a bug would be: counted under the last
 * stage's event S46_EV_UNFINISHED.
 *
 * The stages every mechanism shares are in dp/stages.h (parse, reassembly,
 * TTL, MTU, RFC 2473 encapsulation and decapsulation, ICMPv6 about the
 * tunnel, the port-set NAPT, TCP MSS); a mechanism adds its own (its domain:
 * MAP rules, a fixed peer, a binding table; its NAT) and names the order.
 * Counters stay the mechanism's own (the names operators know): a shared
 * stage raises a generic event (s46_ev), which the mechanism's table maps
 * to one of its counters or to none.
 *
 * Side 0 is IPv4 (the BR's Internet side, the CE's LAN), side 1 is IPv6. */
#ifndef S46_DP_SOFTWIRE_H
#define S46_DP_SOFTWIRE_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "dp/dp_common.h"
#include "dp/tunnel_icmp.h"
#include "lib/maprule.h"
#include "lib/napt.h"
#include "lib/ruleset.h"
#include "lib/xlat.h"

/* What the shared stages count. A mechanism maps each to one of its
 * counters (S46_EVC) or leaves it unmapped (not counted; for a drop, the
 * packet is still dropped). */
typedef enum s46_ev {
    S46_EV_IN4,              /* packets in on side 0 */
    S46_EV_IN6,              /* packets in on side 1 */
    S46_EV_V4_MALFORMED,     /* IPv4 that fails parsing */
    S46_EV_V6_MALFORMED,     /* IPv6 that fails parsing */
    S46_EV_TO_SELF4,         /* to our IPv4 address, not an echo request */
    S46_EV_NOT_LOCAL,        /* IPv6 destination other than our tunnel address */
    S46_EV_ECHO_REPLIES,     /* echo requests answered */
    S46_EV_TTL_EXPIRED,      /* IPv4 TTL expiring here, no error sent */
    S46_EV_TOO_BIG,          /* DF and too big for the tunnel, no error sent */
    S46_EV_ENCAPSULATED,     /* IPv4 packets sent into the tunnel */
    S46_EV_DECAPSULATED,     /* IPv4 packets out of the tunnel sent on */
    S46_EV_NOT_IPIP,         /* to our address, neither IPv4-in-IPv6 nor ICMPv6 */
    S46_EV_ICMPV6_OTHER,     /* ICMPv6 we neither answer nor relay */
    S46_EV_ICMP6_RELAYED,    /* ICMPv6 errors about our packets relayed as ICMPv4 */
    S46_EV_MTU_LOWERED,      /* Packet Too Big that lowered the tunnel MTU */
    S46_EV_INNER_MALFORMED,  /* inner IPv4 that fails parsing */
    S46_EV_INNER_TTL_EXPIRED,/* inner TTL expiring here on the way out of the tunnel */
    S46_EV_MSS_CLAMPED,      /* TCP SYNs whose MSS was lowered */
    S46_EV_UNSUPPORTED,      /* not translatable by the NAT (protocol, no ports) */
    S46_EV_NAT_OUT,          /* packets translated by the NAT on the way out */
    S46_EV_NAT_IN,           /* packets translated back on the way in */
    S46_EV_NAT_CREATED,      /* mappings created */
    S46_EV_HAIRPINNED,       /* sent back to side 0 to an endpoint mapped here */
    S46_EV_HAIRPIN_NO_MAPPING,
    /* The next ones fall back to an older event where a mechanism does not
     * count them (s46_sw_drop_ev_or). */
    S46_EV_ECHO_NOT_UNICAST, /* echo request from a source no reply may go to
                                (s46_ip4_is_unicast); else TO_SELF4 or
                                ICMPV6_OTHER */
    S46_EV_ROUTING_HEADER,   /* to us with a Routing header with Segments
                                Left not 0 (RFC 5095); else V6_MALFORMED */
    S46_EV_ICMP6_SPOOFED,    /* ICMPv6 error quoting a packet we could not
                                have sent (tunnel_icmp.h); else ICMPV6_OTHER */
    S46_EV_PTB_TOO_SMALL,    /* Packet Too Big below 1280; else ICMPV6_OTHER */
    /* The MAP domain stages (stage_map.c), as each MAP mechanism counts them. */
    S46_EV_MAP_NO_RULE4,     /* IPv4 destination in no rule, no ICMPv4 unreachable sent */
    S46_EV_MAP_PORT_EXCLUDED,/* destination port in no CE's port set */
    S46_EV_MAP_UNMAPPABLE4,  /* no port to choose the CE by */
    S46_EV_MAP_SRC_NO_RULE,  /* IPv6 source inside no rule's IPv6 prefix */
    S46_EV_MAP_SRC_NOT_MAP,  /* IPv6 source not the MAP address its rule derives */
    S46_EV_MAP_SPOOFED_ADDR, /* IPv4 source not the address of the CE */
    S46_EV_MAP_SPOOFED_PORT, /* source port (ICMP: identifier, quoted port) outside the CE's set */
    S46_EV_MAP_NO_PORT,      /* shared address: a protocol whose port cannot be checked */
    S46_EV_MAP_UNVERIFIABLE, /* shared address: an ICMP error whose quote shows no port */
    S46_EV_MAP_DST_IN_DOMAIN,/* destination inside the domain, not hairpinned */
    S46_EV_UNFINISHED,       /* no stage finished the packet (a composition bug) */
    S46_EV_NONE,             /* never counted (never mapped) */
    S46_EV_N
} s46_ev;

/* An entry of a mechanism's event table: its counter index c. */
#define S46_EVC(c) ((uint16_t)((c) + 1))

/* Per packet, what the stages learnt so far. */
typedef struct s46_ctx {
    s46_pkt *p;
    s46_l3 l3;           /* side 0: the IPv4 packet; side 1: the outer IPv6 */
    s46_l3 in;           /* side 1: the inner IPv4 packet (stage inner4);
                            after decap it describes p->data */
    s46_ip6 peer;        /* side 0: where the tunnel packet goes (default:
                            the configured peer); side 1: the outer source */
    s46_ce_params dom;   /* side 1: what the domain says the sender may use */
    const s46_ip6 *src; /* the tunnel packet's source (NULL: dp.enc.src);
                            side 1: the local address it came to */
    uint16_t peer_ctr;   /* S46_EVC of the counter of where it goes, or 0 */
    uint8_t local_idx;   /* side 1: which of sw->locals it came to */
    bool fixed;          /* its IPv4 address needs no NAT (ipip fixed prefix) */
    bool was_fragment;   /* arrived as a fragment (side 0: reassembled by
                            reassemble4; side 1: an outer one, reassemble6) */
    bool new_block;      /* its NAT allocated a port block: it may leave only
                            once the block's log record is on disk */
    bool done;           /* finished: verdict set */
} s46_ctx;

typedef struct s46_sw s46_sw;

typedef struct s46_stage {
    const char *name;
    void (*run)(s46_sw *sw, s46_ctx *c, unsigned n, uint64_t now_ns);
} s46_stage;

/* A stage from a per-packet function fn(sw, c, now) that finishes c or
 * returns leaving it to the next stage: S46_STAGE for a shared stage
 * (declared in stages.h), S46_STAGE_LOCAL for a mechanism's own. */
#define S46_STAGE_(storage, id, label, fn)                                       \
    static void id##_run_(s46_sw *sw, s46_ctx *c, unsigned n, uint64_t now)      \
    {                                                                            \
        for (unsigned i = 0; i < n; i++)                                         \
            if (!c[i].done)                                                      \
                fn(sw, &c[i], now);                                              \
    }                                                                            \
    storage const s46_stage id = {label, id##_run_}
#define S46_STAGE(id, label, fn) S46_STAGE_(, id, label, fn)
#define S46_STAGE_LOCAL(id, label, fn) S46_STAGE_(static, id, label, fn)

/* The NAT a CE runs (lib/napt.h): onto ext, inside its port set. */
typedef struct s46_sw_nat {
    s46_napt *t;              /* NULL: no NAT */
    uint32_t ext;             /* the address mapped onto */
    uint32_t mine;            /* hairpinning: packets to mine/mine_len ... */
    uint8_t mine_len;
    uint8_t psid_offset, psid_len;
    uint16_t psid;            /* ... at a port of the set come back */
    uint16_t share, shares;   /* this worker's share of the ports */
    const uint16_t *why;      /* s46_nx_result -> counter index */
} s46_sw_nat;

/* The translator a translating mechanism runs (stage_xlat.c): the RFC 7915
 * translator and the mechanism's counters for what it did. */
typedef struct s46_sw_xlat {
    s46_xlat *x;              /* NULL: none */
    const uint16_t *why;      /* s46_xlat_res -> counter index (drops) */
    uint16_t done4, done6;    /* counters: translated 4->6, 6->4 */
    uint16_t frag_too_big;    /* counter: an IPv4 fragment too big as IPv6 */
    /* Per packet, before it is translated: the mechanism's fixed address
     * pairs for it (lib/xlat.h fix_*; MAP-T: the MAP addresses of its CE
     * ends, which depend on the port). false: the packet has no translation
     * (dropped as S46_XR_NO_MAPPING). NULL: none, the map alone. */
    bool (*fix)(s46_sw *sw, const s46_ctx *c, s46_xlat *x, bool from6);
    /* A hairpinned IPv4 packet (c->l3) the translator refused on its way
     * back into side 1 (info: the ICMPv4 error it calls for): its sender is
     * inside too, so the error goes back to it; true when sent or dropped
     * (counted), false to send it out of side 0 after all. NULL: the MAP
     * domain's (the CE of the error's destination and port). */
    bool (*hairpin_error4)(s46_sw *sw, s46_ctx *c, const s46_xlat_info *info, uint64_t now);
} s46_sw_xlat;

/* The carrier-grade NAT a center mechanism runs (stage_cgn.c over
 * lib/cgn.h and dp/cgn_rewrite.h): the AFTR keyed by the B4's address, the
 * NAT64 by the IPv6 host's. What each outcome is counted as is the
 * mechanism's (why, by s46_cw). */
typedef enum s46_cw {
    S46_CW_UNSUPPORTED,     /* out: not TCP, UDP, ICMP echo request or error */
    S46_CW_ICMP_NO_MAPPING, /* out: an ICMP error about no flow of the subscriber */
    S46_CW_NO_ADDRESS,      /* out: refused by the CGN, by s46_cgn_result */
    S46_CW_NO_BLOCK,
    S46_CW_SUB_MAPPINGS,
    S46_CW_SUB_SESSIONS,
    S46_CW_SUB_RATE,
    S46_CW_FULL,
    S46_CW_LOG_REFUSED,
    S46_CW_IN_MALFORMED,    /* in: no ports, ICMP neither echo reply nor error */
    S46_CW_IN_NO_MAPPING,
    S46_CW_IN_FILTERED,
    S46_CW_IN_NOT_OURS,
    S46_CW_LOG_UNSYNCED,    /* its block's log record could not be synced */
    S46_CW_HAIRPIN_OFF,
    S46_CW_HAIRPIN_MALFORMED, /* translated outbound, then unreadable */
    S46_CW_N
} s46_cw;

struct s46_cgn;
struct s46_blocklog_writer;
typedef struct s46_sw_cgn {
    struct s46_cgn *g;        /* NULL: none */
    struct s46_blocklog_writer *writer; /* the port-block log's (log NULL: none) */
    unsigned share, shares;   /* this worker, the workers */
    uint16_t port_min, block_size;
    bool hairpin;             /* to a pool address: back in (RFC 4787 REQ-9) */
    const uint16_t *why;      /* s46_cw -> counter index */
    /* A hairpinned packet, translated in again (its IPv4 header parsed into
     * c->in, c->peer its subscriber): sends it toward that subscriber. */
    void (*hairpin_out)(s46_sw *sw, s46_ctx *c, uint64_t now);
} s46_sw_cgn;

/* The MAP domain a MAP mechanism's domain stages read (stage_map.c): the
 * rules (lib/ruleset.h), the interface identifier layout, and the last
 * rule looked up on each side (most packets of a batch share a domain). */
typedef struct s46_sw_map {
    const s46_ruleset *rules;
    s46_iid_layout layout;
    bool hairpin;             /* CE-to-CE through here */
    bool icmp_unreachable;    /* ICMPv4 3/1 for destinations in no rule */
    s46_u128 mask6, last6_key;
    const s46_maprule *last6_rule;
    const s46_rule_shape *last6_shape;
    bool memo4;               /* no rules share an IPv4 prefix */
    uint32_t mask4, last4_key;
    const s46_maprule *last4_rule;
    const s46_rule_shape *last4_shape;
} s46_sw_map;

struct s46_sw {
    s46_dp dp;                /* counters, buffers, rate limiter, encapsulation
                                 (dp.enc.dst: the default peer) */
    const uint16_t *ev;       /* s46_ev -> S46_EVC(counter) or 0 */
    const s46_stage *const *stages[2]; /* NULL-terminated, per side */
    /* A shortcut per side for the commonest packets, tried first: true when
     * it finished p (as the stages would have, counters included), false
     * when it changed nothing. NULL: none. */
    bool (*fast[2])(s46_sw *sw, s46_pkt *p);
    void *mech;               /* the mechanism owning this pipeline */
    /* What the shared stages read. */
    s46_ip6 local;            /* our tunnel address */
    const s46_ip6 *locals;    /* local6_any: every tunnel address of ours */
    unsigned nlocals;
    uint32_t self4;           /* an IPv4 address of ours answering pings (0: none) */
    uint32_t icmp_src;        /* source of our ICMPv4 errors (0: none sent) */
    bool ttl_decrement;       /* be the IPv4 router hop */
    bool reasm_inner_all;     /* reassemble_inner4: every peer's fragments */
    uint16_t ipv4_mtu;        /* out4: the IPv4 side's MTU (0: none known) */
    s46_pmtu pmtu;            /* the tunnel MTU per peer */
    s46_tunnel_icmp ti;       /* ICMPv6 errors about our tunnel packets */
    s46_sw_nat nat;
    s46_sw_xlat xlat;
    bool xlat_keep6to4;       /* xlat6to4 leaves the IPv4 packet (parsed into
                                 c->in) to the next stages instead of sending it */
    const s46_ctx *xlat_cur;  /* the packet being translated (a stateful map
                                 reads its c->peer) */
    s46_sw_cgn cgn;
    s46_sw_map map;
    s46_ctx ctx[S46_BATCH_MAX];
};

/* s46_dp_init, plus the event table (S46_EV_N entries). */
int s46_sw_init(s46_sw *sw, const s46_dp_desc *desc, uint64_t *cnt, const uint16_t *ev,
                uint32_t per_sec, uint32_t burst);
void s46_sw_fini(s46_sw *sw);
/* Runs the batch b (at most S46_BATCH_IN packets) that arrived on side
 * through the fast path and then the stages of that side. */
void s46_sw_process(s46_sw *sw, s46_batch *b, uint16_t side, uint64_t now_ns);
/* {"ipv4": [stage names], "ipv6": [...]} */
json_t *s46_sw_stages_json(const s46_sw *sw);

static inline void s46_sw_count(s46_sw *sw, s46_ev e)
{
    uint16_t c = sw->ev[e];
    if (c)
        sw->dp.cnt[c - 1]++;
}
/* Finishes c: dropped, counted under the mechanism's counter idx. */
static inline void s46_sw_drop(s46_sw *sw, s46_ctx *c, unsigned idx)
{
    c->done = true;
    s46_dp_drop(&sw->dp, c->p, idx);
}
/* Finishes c: dropped, counted under what the mechanism maps e to. */
static inline void s46_sw_drop_ev(s46_sw *sw, s46_ctx *c, s46_ev e)
{
    c->done = true;
    s46_sw_count(sw, e);
    s46_pkt_drop(c->p, sw->ev[e] ? (uint16_t)(sw->ev[e] - 1) : 0);
}
/* The same, counted under fallback when the mechanism does not count e. */
static inline void s46_sw_drop_ev_or(s46_sw *sw, s46_ctx *c, s46_ev e, s46_ev fallback)
{
    s46_sw_drop_ev(sw, c, sw->ev[e] ? e : fallback);
}
/* Finishes c: out of side. */
static inline void s46_sw_out(s46_sw *sw, s46_ctx *c, uint16_t side)
{
    c->done = true;
    s46_dp_out(&sw->dp, c->p, side);
}
/* c's IPv4 packet out of side 0, the IPv4 router's part done (RFC 791):
 * with DF clear beyond sw->ipv4_mtu (when set), as fragments. */
static inline void s46_sw_out4(s46_sw *sw, s46_ctx *c)
{
    s46_sw_out(sw, c, 0);
    if (sw->ipv4_mtu && c->p->len > sw->ipv4_mtu && !(s46_get16(c->p->data + 6) & 0x4000))
        s46_dp_frag4_out(&sw->dp, c->p, sw->ipv4_mtu);
}
/* The IPv6 path MTU toward peer, and the IPv4 room it leaves: less the
 * outer header when tunnelling, less 20 bytes when translating (RFC 7915
 * §4: the IPv6 header replaces the IPv4 one; a packet with DF set gets no
 * Fragment Header). */
static inline unsigned s46_sw_mtu(const s46_sw *sw, const s46_ip6 *peer)
{
    return sw->pmtu.n ? s46_pmtu_get(&sw->pmtu, peer) : sw->pmtu.base;
}
static inline unsigned s46_sw_room(const s46_sw *sw, const s46_ip6 *peer)
{
    return s46_sw_mtu(sw, peer) - (sw->xlat.x ? 20u : s46_encap_overhead(&sw->dp.enc));
}
/* Replaces c's IPv4 packet (parsed into l3) by an ICMPv4 error from
 * icmp_src sent out of side 0; false (c untouched) when none may be sent. */
bool s46_sw_error4(s46_sw *sw, s46_ctx *c, const s46_l3 *l3, uint8_t type, uint8_t code,
                   uint32_t extra, uint64_t now_ns);
/* Encapsulates the IPv4 packet of c toward `to` (from c->src when set) and sends it out of side 1
 * (outer fragments when it exceeds the tunnel MTU); counts `ev` when sent.
 * A packet that cannot be encapsulated is dropped as drop_ev. */
void s46_sw_encap_out(s46_sw *sw, s46_ctx *c, const s46_ip6 *to, s46_ev ev, s46_ev drop_ev);
#endif
