/* Carrier-grade NAT44 state (RFC 6888, with the behaviour of RFC 4787,
 * RFC 5382 and RFC 5508) for a DS-Lite AFTR or any NAT44 shared by many
 * subscribers. Pure logic over endpoints, no packets: the AFTR pipeline
 * decapsulates, calls s46_cgn_outbound/inbound, rewrites and encapsulates.
 *
 * - Subscribers: a 16-byte key (the B4's IPv6 address for DS-Lite; a plain
 *   IPv4 subscriber uses s46_cgn_key_v4, ::ffff:a.b.c.d). A mapping is
 *   per (key, protocol, internal address, internal port), so two B4s
 *   behind the same private 192.0.0.2 never meet. With sub_len < 128 the
 *   subscriber (blocks, limits, log records) is the key's prefix of that
 *   length and the key names a host inside it (the NAT64's /64 or /56);
 *   inbound steps and lookups give back the host's whole key.
 * - Pool and paired pooling: external addresses from a pool of prefixes
 *   less excluded ones (cgn_pool.h). A subscriber's first block picks an
 *   address (round robin over those with a free block); every later block
 *   and so every mapping stays on that address (RFC 6888 REQ-2, RFC 4787
 *   "paired"), until its last block is released.
 * - Port blocks: each address's ports port_min..65535 (port_min 1024 by
 *   default: well-known ports are never handed out) are cut into blocks of
 *   block_size ports. A subscriber gets a block on its first mapping, up to
 *   max_blocks_per_sub; a port inside a block is drawn at random (same
 *   parity as the internal port when one is free), so the next port cannot
 *   be predicted from the last. ICMP query identifiers are ports of the
 *   same blocks (each protocol has its own ports in a block). A block whose
 *   last mapping ended is released after block_idle seconds unless a new
 *   mapping takes it again; a subscriber with no block left is forgotten.
 * - Endpoint-independent mapping; filtering endpoint-independent or
 *   address-dependent (filter). Hairpinning: s46_cgn_inbound with the
 *   remote endpoint set to the sending subscriber's external address and
 *   port (after its own outbound step) finds the receiving subscriber with
 *   the same filtering as a packet from outside (RFC 4787 REQ-9).
 * - Per-subscriber limits (RFC 6888 REQ-4): mappings, sessions and new
 *   sessions per second (a one-second window); a refusal is counted by
 *   reason and touches no other subscriber.
 * - Timers: UDP udp_timeout (>= 120 s enforced), TCP tcp_est_timeout once
 *   established (default 7440 s) and tcp_trans_timeout otherwise (240 s),
 *   ICMP icmp_timeout (60 s). TCP state follows the SYN/FIN/RST flags the
 *   caller passes, per direction. Inbound UDP/ICMP does not refresh.
 * - Bounded memory: subscribers, blocks, mappings and sessions each have a
 *   capacity fixed at creation; nothing is allocated afterwards. When one
 *   runs out the new flow is refused and counted, nothing is evicted
 *   (expired entries are reclaimed first by a bounded sweep).
 * - Workers: one instance per worker, on the same pool. A subscriber is
 *   handled by one worker, s46_cgn_owner_out(key, shares); block slot s of
 *   every address belongs to worker s % shares, and an instance hands its
 *   subscribers only blocks of its own slots. An inbound packet (external
 *   address, port) therefore goes to s46_cgn_owner_in(port, ...), a pure
 *   function of the port. Hairpinned packets: outbound step on the sender's
 *   worker, inbound step on the owner of the destination port.
 * - Port-block log: every block allocated or released is reported to
 *   config.on_block synchronously, before s46_cgn_outbound returns the
 *   mapping that needed it (see blocklog.h: the callback writes the record,
 *   the caller syncs the log once per batch before transmitting; a
 *   callback returning non-zero refuses the block, counted).
 * Not thread-safe: one instance per worker. Times are caller-supplied
 * seconds (any monotonic base). */
#ifndef S46_CGN_H
#define S46_CGN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/counters.h"
#include "lib/hash.h"

enum { S46_CGN_TCP = 0, S46_CGN_UDP = 1, S46_CGN_ICMP = 2, S46_CGN_NPROTO = 3 };
/* TCP flags the caller passes (same values as lib/napt.h). */
enum { S46_CGN_FIN = 0x01, S46_CGN_SYN = 0x02, S46_CGN_RST = 0x04 };

typedef enum s46_cgn_filter {
    S46_CGN_FILTER_EIF = 0, /* endpoint-independent filtering */
    S46_CGN_FILTER_ADF = 1, /* address-dependent filtering */
} s46_cgn_filter;

typedef struct s46_cgn_key { uint8_t b[16]; } s46_cgn_key;

/* ::ffff:a.b.c.d, the key of a plain IPv4 subscriber. */
static inline s46_cgn_key s46_cgn_key_v4(uint32_t a)
{
    s46_cgn_key k = {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, (uint8_t)(a >> 24),
                      (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a}};
    return k;
}

/* k with its bits beyond the first len cleared (the subscriber of a host). */
static inline s46_cgn_key s46_cgn_key_prefix(const s46_cgn_key *k, unsigned len)
{
    s46_cgn_key p = *k;
    for (unsigned i = 0; i < 16; i++) {
        unsigned keep = len >= 8 * (i + 1) ? 8 : len > 8 * i ? len - 8 * i : 0;
        p.b[i] &= (uint8_t)(0xff00u >> keep);
    }
    return p;
}

typedef enum s46_cgn_block_kind { S46_CGN_BLOCK_ALLOC = 1, S46_CGN_BLOCK_RELEASE = 2 } s46_cgn_block_kind;

typedef struct s46_cgn_block_event {
    s46_cgn_block_kind kind;
    s46_cgn_key sub;
    uint32_t ext_addr;
    uint16_t port_first, port_last;
    uint32_t now; /* the CGN's time of the event */
} s46_cgn_block_event;
/* Non-zero from an ALLOC event refuses the block (the log cannot take
 * it); RELEASE events cannot be refused. */
typedef int (*s46_cgn_block_cb)(void *arg, const s46_cgn_block_event *ev);

typedef struct s46_cgn_config {
    const s46_pfx4 *pool;      /* external prefixes (copied) */
    size_t npool;
    const s46_pfx4 *excluded;  /* addresses or prefixes left out of the pool */
    size_t nexcluded;
    uint16_t port_min;         /* lowest port handed out: 1024 (default), >= 1 */
    uint16_t block_size;       /* ports per block: 512 default; 64..32768, multiple of 64 */
    uint16_t max_blocks_per_sub; /* M, default 4 */
    uint32_t block_idle;       /* seconds a block with no mapping is kept: default 120 */
    uint32_t max_subscribers, max_blocks, max_mappings, max_sessions; /* capacities */
    uint32_t sub_max_mappings; /* per subscriber, all protocols; 0 = no limit */
    uint32_t sub_max_sessions; /* 0 = no limit */
    uint32_t sub_max_new_per_sec; /* new sessions a second; 0 = no limit */
    s46_cgn_filter filter;
    uint32_t udp_timeout, tcp_est_timeout, tcp_trans_timeout, icmp_timeout;
    uint64_t seed;             /* port and address randomisation */
    uint8_t sub_len;           /* the subscriber is the key's first sub_len bits
                                  (0 or 128: the whole key); a mapping keeps
                                  the whole key (the host), so hosts inside
                                  one subscriber share its blocks and limits */
    uint16_t share, shares;    /* this instance's worker index and the worker count
                                  (shares 0 or 1: one instance owns every block) */
    s46_cgn_block_cb on_block; /* may be NULL */
    void *on_block_arg;
} s46_cgn_config;

#define S46_CGN_MAX_SHARES 256

/* Fills the defaults: capacities for a small AFTR (4096 subscribers,
 * 16384 blocks, 262144 mappings and sessions), the RFC timers, EIF
 * (RFC 4787 REQ-8 recommends it; ADF is the stricter choice), limits
 * 2048 mappings, 4096 sessions and 512 new sessions a second per
 * subscriber. Pool and callback left empty. */
void s46_cgn_config_default(s46_cgn_config *c);

/* The worker owning a subscriber (outbound packets): a hash of its key. */
static inline unsigned s46_cgn_owner_out(const s46_cgn_key *k, unsigned shares)
{
    if (shares <= 1)
        return 0;
    uint64_t a, b;
    __builtin_memcpy(&a, k->b, 8);
    __builtin_memcpy(&b, k->b + 8, 8);
    return (unsigned)(s46_mix64(a ^ s46_mix64(b)) % shares);
}
/* The worker owning external port ext_port of any pool address (inbound
 * packets, the destination port or echo reply identifier; ICMP errors: the
 * quoted packet's source port). Ports below port_min or beyond the last
 * whole block belong to no block: 0 is returned (any worker refuses them). */
static inline unsigned s46_cgn_owner_in(uint16_t ext_port, uint16_t port_min,
                                        uint16_t block_size, unsigned shares)
{
    if (shares <= 1 || ext_port < port_min || block_size == 0)
        return 0;
    return ((unsigned)(ext_port - port_min) / block_size) % shares;
}

typedef struct s46_cgn s46_cgn;

/* NULL with err when the configuration cannot run (bad pool, sizes). */
s46_cgn *s46_cgn_new(const s46_cgn_config *c, char *err, size_t errlen);
void s46_cgn_free(s46_cgn *g);
/* Applies new filtering, timers and per-subscriber limits from c; pool,
 * blocks and capacities stay. */
void s46_cgn_set_policy(s46_cgn *g, const s46_cgn_config *c);

typedef enum s46_cgn_result {
    S46_CGN_OK = 0,
    S46_CGN_NO_ADDRESS,       /* new subscriber: no pool address has a free block here */
    S46_CGN_NO_BLOCK,         /* its address has no free block, or its M blocks are full */
    S46_CGN_SUB_MAPPINGS,     /* per-subscriber limit of mappings */
    S46_CGN_SUB_SESSIONS,     /* per-subscriber limit of sessions */
    S46_CGN_SUB_RATE,         /* per-subscriber limit of new sessions a second */
    S46_CGN_FULL,             /* a table (subscribers, blocks, mappings, sessions) is full */
    S46_CGN_LOG_REFUSED,      /* the block-log callback refused the new block */
    S46_CGN_NOT_FOUND,        /* inbound: no mapping at that address and port */
    S46_CGN_FILTERED,         /* inbound: refused by the filtering behaviour */
    S46_CGN_NOT_OURS,         /* inbound: not a pool address, or a port of another worker */
} s46_cgn_result;

/* One packet's endpoints. Outbound: sub, proto, int_*, rem_* in; ext_* out.
 * Inbound: proto, ext_*, rem_* in; sub, int_* out. */
typedef struct s46_cgn_flow {
    s46_cgn_key sub;
    uint32_t int_addr, rem_addr, ext_addr;
    uint16_t int_port, rem_port, ext_port;
    uint8_t proto;      /* S46_CGN_TCP/UDP/ICMP */
    bool new_block;     /* outbound: this call allocated a block (the packet
                           must not leave before the log is synced) */
} s46_cgn_flow;

s46_cgn_result s46_cgn_outbound(s46_cgn *g, s46_cgn_flow *f, uint8_t tcp_flags, uint32_t now);
s46_cgn_result s46_cgn_inbound(s46_cgn *g, s46_cgn_flow *f, uint8_t tcp_flags, uint32_t now);
/* The same for n packets at once (r[i] the result of f[i]; tcp_flags may
 * be NULL): the lookups of the batch are staged so that their cache misses
 * overlap. Same results as n single calls in order. */
void s46_cgn_outbound_batch(s46_cgn *g, s46_cgn_flow *f, const uint8_t *tcp_flags,
                            s46_cgn_result *r, unsigned n, uint32_t now);
void s46_cgn_inbound_batch(s46_cgn *g, s46_cgn_flow *f, const uint8_t *tcp_flags,
                           s46_cgn_result *r, unsigned n, uint32_t now);
/* Optional, for a batch: prefetch the index slot the packet's lookup will
 * read first (call for every packet of the batch, then process them), so
 * the batch's cache misses overlap instead of following one another. */
void s46_cgn_prefetch_out(const s46_cgn *g, const s46_cgn_flow *f);
void s46_cgn_prefetch_in(const s46_cgn *g, const s46_cgn_flow *f);
/* Deeper, for n flows at once: the index slots, then the mappings, then
 * what else the packets will read (a new mapping's subscriber, a session
 * that is not its mapping's first), each step's misses overlapping (what
 * the _batch calls do before handling the packets); the caller then makes
 * its single calls. Outbound: sub, proto, int_addr, int_port, rem_addr,
 * rem_port; inbound: proto, ext_addr, ext_port, rem_addr, rem_port. */
void s46_cgn_prefetch_out_batch(const s46_cgn *g, const s46_cgn_flow *f, unsigned n);
void s46_cgn_prefetch_in_batch(const s46_cgn *g, const s46_cgn_flow *f, unsigned n);
/* The established-flow fast path, for a pipeline's shortcut, in three
 * steps per flow that a caller spreads over its batch so that each one's
 * miss overlaps with other packets' work: s46_cgn_hint_one hashes the flow
 * (fields as for the prefetch calls; outbound or inbound) and prefetches
 * its index slot; s46_cgn_est_slot, some flows later, reads that slot and
 * prefetches the mapping it names (the answer: that mapping, or NONE);
 * s46_cgn_est_one, later again, looks the flow up from the two: the
 * mapping, with f's other fields filled as s46_cgn_outbound/inbound fill
 * them, only when those calls would find f a packet of its mapping's live
 * first session (the common case of an established flow) and, outbound,
 * not toward a pool address (a hairpin); else S46_CGN_NOREF. None of them
 * changes anything, and their answers hold while the caller only commits:
 * the caller commits with s46_cgn_est_touch (the TCP state and expiry
 * refresh those calls do) once a packet will leave; for a flow answered
 * NOREF it takes its full path. est_one checks the mapping m names
 * against f (the full probe when it is another's), so a slot answer gone
 * stale since est_slot costs a probe or a NOREF, never a wrong mapping. */
#define S46_CGN_NOREF UINT32_MAX
typedef struct s46_cgn_hint { uint32_t h; } s46_cgn_hint;
void s46_cgn_hint_one(const s46_cgn *g, const s46_cgn_flow *f, s46_cgn_hint *h, bool outbound);
uint32_t s46_cgn_est_slot(const s46_cgn *g, const s46_cgn_hint *h, bool outbound);
uint32_t s46_cgn_est_one(const s46_cgn *g, s46_cgn_flow *f, const s46_cgn_hint *h, uint32_t m,
                         bool outbound, uint32_t now);
void s46_cgn_est_touch(s46_cgn *g, uint32_t ref, uint8_t tcp_flags, bool outbound,
                       uint32_t now);
/* Side-effect-free lookups (ICMP errors must not create or refresh state,
 * RFC 5508 REQ-6): the live mapping at an external address and port, or of
 * a subscriber's internal endpoint. */
bool s46_cgn_lookup_ext(const s46_cgn *g, uint8_t proto, uint32_t ext_addr, uint16_t ext_port,
                        s46_cgn_key *sub, uint32_t *int_addr, uint16_t *int_port, uint32_t now);
bool s46_cgn_lookup_int(const s46_cgn *g, uint8_t proto, const s46_cgn_key *sub,
                        uint32_t int_addr, uint16_t int_port, uint32_t *ext_addr,
                        uint16_t *ext_port, uint32_t now);
/* Whether addr is one of the pool's external addresses (hairpinning). */
bool s46_cgn_is_external(const s46_cgn *g, uint32_t addr);

/* Checks the instance's internal invariants (for tests): each live
 * mapping, session and subscriber is found through its indexes and the
 * indexes hold nothing else; a mapping's key, external address and port
 * agree with its subscriber and block; session lists and counts agree.
 * false with err naming the first broken one. */
bool s46_cgn_check(const s46_cgn *g, char *err, size_t errlen);

/* Frees expired sessions (looking at most at `budget`), then releases the
 * blocks idle for block_idle seconds (at most `budget`, each reported to
 * on_block). Call about once per batch or per tick; returns sessions freed. */
uint32_t s46_cgn_expire(s46_cgn *g, uint32_t now, uint32_t budget);

#define S46_CGN_COUNTERS(X) \
    X(subscribers_created, "subscribers that got their first block (a new entry)") \
    X(subscribers_freed, "subscribers forgotten after their last block was released") \
    X(blocks_allocated, "port blocks allocated to a subscriber (one block-log record each)") \
    X(blocks_released, "port blocks released after block_idle seconds without a mapping") \
    X(mappings_created, "mappings created (subscriber, protocol, internal address and port onto an external port)") \
    X(mappings_freed, "mappings freed when their last session expired") \
    X(sessions_created, "sessions created, outbound or admitted inbound by the filtering") \
    X(sessions_expired, "sessions freed by their timer") \
    X(refused_no_address, "new subscribers refused: no pool address has a free block for this worker") \
    X(refused_no_block, "new mappings refused: the subscriber's address has no free block or its max_blocks_per_sub blocks are full") \
    X(refused_sub_mappings, "new mappings refused by the per-subscriber limit sub_max_mappings") \
    X(refused_sub_sessions, "new sessions refused by the per-subscriber limit sub_max_sessions") \
    X(refused_sub_rate, "new sessions refused by the per-subscriber limit sub_max_new_per_sec") \
    X(refused_full_subscribers, "new subscribers refused: the subscriber table is full (max_subscribers)") \
    X(refused_full_blocks, "new blocks refused: every block entry is in use (max_blocks)") \
    X(refused_full_mappings, "new mappings refused: the mapping table is full (max_mappings)") \
    X(refused_full_sessions, "new sessions refused: the session table is full (max_sessions)") \
    X(refused_log, "new blocks refused because the port-block log could not take the record") \
    X(in_not_found, "inbound lookups with no mapping at that external address and port") \
    X(in_filtered, "inbound packets refused by the filtering (filter: adf)") \
    X(in_not_ours, "inbound lookups for an address outside the pool or a port of another worker")

#define S46_CGN_ENUM(n, d) S46_CGN_C_##n,
enum s46_cgn_counter { S46_CGN_COUNTERS(S46_CGN_ENUM) S46_CGN_NCOUNTERS };
#undef S46_CGN_ENUM
const s46_counters *s46_cgn_counters(const s46_cgn *g);

typedef struct s46_cgn_stats {
    uint32_t subscribers, blocks, mappings, sessions;  /* in use */
    uint32_t pool_addresses, blocks_per_address;       /* blocks_per_address: of every worker */
    uint32_t blocks_owned;          /* block slots of the pool this instance may hand out */
    uint32_t addresses_in_use;      /* pool addresses holding a block of this instance */
    uint32_t bytes_per_session;     /* memory of one session incl. its index and expiry share */
    uint32_t bytes_per_mapping;     /* incl. its two indexes */
    uint32_t bytes_per_block;       /* entry and per-protocol port bitmaps */
    uint32_t bytes_per_subscriber;  /* entry and index */
    uint64_t bytes_total;           /* everything the instance allocated */
} s46_cgn_stats;
void s46_cgn_stats_get(const s46_cgn *g, s46_cgn_stats *s);

/* Walks the blocks in use (for `s46 show`); stops when fn returns false. */
typedef struct s46_cgn_block_info {
    s46_cgn_key sub;
    uint32_t ext_addr;
    uint16_t port_first, port_last;
    uint16_t mappings;   /* in use, all protocols */
    bool idle;           /* no mapping: released at idle_since + block_idle */
    uint32_t idle_since;
} s46_cgn_block_info;
void s46_cgn_walk_blocks(const s46_cgn *g, bool (*fn)(const s46_cgn_block_info *, void *),
                         void *arg);
#endif
