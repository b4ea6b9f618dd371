#include "lib/cgn.h"
#include "lib/cgn_pool.h"
#include "lib/err.h"
#include "lib/expiry.h"
#include "lib/tcp_state.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

_Static_assert(S46_CGN_FIN == 0x01 && S46_CGN_SYN == 0x02 && S46_CGN_RST == 0x04,
               "the TCP header's flag bits, as s46_tcp_next reads them");

#define NONE UINT32_MAX

/* A prefetch that stays: a function doing nothing but __builtin_prefetch
 * is found pure by GCC's interprocedural analysis and its calls are
 * dropped (the batch prefetch passes were compiled away); the empty
 * volatile asm is a side effect that keeps them. */
#define PF(p)                   \
    do {                        \
        __builtin_prefetch(p);  \
        __asm__ volatile("");   \
    } while (0)
#define SUB_FREE 0xffff
#define PROTO_FREE 0xf

/* A subscriber: its key, its external address (paired pooling) and its
 * blocks, its counts for the limits. 44 bytes. */
typedef struct sub_ent {
    s46_cgn_key key;
    uint32_t addr;        /* pool index, NONE before its first block */
    uint32_t ext;         /* that address */
    uint32_t blocks;      /* first block of its list; next free subscriber when free */
    uint32_t nmaps, nsess;
    uint32_t rate_sec;    /* the second rate_n counts */
    uint16_t rate_n;
    uint16_t nblocks;     /* SUB_FREE marks a free entry */
} sub_ent;

/* A port block: slot `slot` of pool address `addr`, ports port_min +
 * slot * block_size onwards. Its per-protocol bitmaps of ports in use are
 * in g->bits. Idle blocks (no mapping) are on a FIFO list by idle time. */
typedef struct blk_ent {
    uint32_t sub;         /* owner, NONE when free */
    uint32_t next;        /* next block of the owner, or next free */
    uint32_t addr;
    uint32_t idle_since;
    uint32_t iprev, inext; /* idle list; iprev == NONE and not head: not idle */
    uint16_t slot;
    uint16_t used[S46_CGN_NPROTO];
    uint8_t idle, pad[3];
} blk_ent;

/* A mapping as the established path reads it: one cache line holding
 * everything an outbound or inbound packet of a known flow needs, so that
 * its lookup touches the index slot and this line only (not the
 * subscriber, not the session): the whole key it was made for (the host
 * when the subscriber is a prefix), the external address (the
 * subscriber's, fixed while the mapping lives: its port is in one of the
 * subscriber's blocks on that address), and a copy of its first
 * session's remote, expiry time and TCP state (h_*: equal to that
 * session's whenever it has one; the session entry stays the reference,
 * written too when they change). hp packs the first session (28 bits:
 * capacities are below 2^28; HNONE for none; next free mapping when free)
 * and the protocol (PROTO_FREE marks a free entry). Its block is found
 * from the owner and ext_port. */
typedef struct map_ent {
    s46_cgn_key key;
    uint32_t int_addr, ext_addr;
    uint16_t int_port, ext_port;
    uint32_t hp;
    uint32_t h_rem, h_exp;
    uint16_t h_rport;
    uint8_t h_tcp, pad0;
    uint32_t sub;         /* owner */
    uint16_t nsess;
    uint8_t pad[14];
} map_ent;
_Static_assert(sizeof(map_ent) == 64, "a mapping is one cache line");

#define HNONE 0x0fffffffu
static inline uint32_t mhead(const map_ent *e)
{
    uint32_t h = e->hp & HNONE;
    return h == HNONE ? NONE : h;
}
static inline void mset_head(map_ent *e, uint32_t h)
{
    e->hp = (e->hp & ~HNONE) | (h == NONE ? HNONE : h);
}
static inline unsigned mproto(const map_ent *e) { return e->hp >> 28; }
static inline void mset_proto(map_ent *e, unsigned p)
{
    e->hp = (e->hp & HNONE) | (uint32_t)p << 28;
}

/* 20 bytes. */
typedef struct sess_ent {
    uint32_t rem_addr;
    uint32_t expires;
    uint32_t map;         /* NONE when free */
    uint32_t next;        /* next session of the mapping, or next free */
    uint16_t rem_port;
    uint8_t tcp, pad;
} sess_ent;

#define RECLAIM_BUDGET 8192
#define STAGE_MAX_ 64

struct s46_cgn {
    s46_cgn_config cfg;
    s46_cgn_pool *pool;
    uint32_t naddr, bpa;        /* pool size, block slots per address */
    uint32_t port_end;          /* port_min + bpa * block_size: first port of no block */
    uint32_t words_pa;          /* 64-bit words of an address's slot bitmap */
    uint32_t words_pb;          /* 64-bit words of one protocol's port bitmap in a block */
    uint64_t *slots;            /* [naddr][words_pa]: slot taken */
    uint16_t *addr_free;        /* [naddr]: this share's free slots */
    uint32_t slots_mine;        /* this share's slots per address */
    uint32_t addr_cursor, addrs_with_free, addrs_used;
    uint16_t *addr_blocks;      /* [naddr]: this instance's blocks on it */

    sub_ent *subs;
    blk_ent *blks;
    uint64_t *bits;             /* [max_blocks][NPROTO][words_pb] */
    map_ent *maps;
    bool prefix_subs;           /* sub_len < 128: a subscriber is a prefix of keys */
    sess_ent *sess;
    uint32_t *sub_idx, *s_idx;
    uint32_t *mo_idx, *mi_idx;
    uint32_t mnum;              /* an index word's mapping number bits (midx_word) */
    uint32_t sub_mask, mo_mask, mi_mask, s_mask;
    uint32_t free_sub, free_blk, free_map, free_sess;
    uint32_t nsubs, nblks, nmaps, nsessions;
    uint32_t idle_head, idle_tail;

    s46_expiry exp; /* the sessions' expiry sweep (lib/expiry.h) */

    /* Inside a batch, new mappings enter the inbound index at the batch's
     * end (their slots prefetched meanwhile); anything that reads or
     * removes from that index first inserts them (mi_flush). The first
     * session of a new mapping likewise enters the session index at the
     * batch's end (pend_s), before anything reads the session index. */
    uint32_t pend[STAGE_MAX_], pend_s[STAGE_MAX_];
    uint32_t npend, npend_s;
    bool defer_mi;

    uint64_t rng;
    uint64_t cnt[S46_CGN_NCOUNTERS];
    s46_counters counters;
};

#define S46_CGN_NAME(n, d) #n,
static const char *const counter_names[] = {S46_CGN_COUNTERS(S46_CGN_NAME)};
#undef S46_CGN_NAME

#define COUNT(g, n) ((g)->cnt[S46_CGN_C_##n]++)

const s46_counters *s46_cgn_counters(const s46_cgn *g) { return &g->counters; }

void s46_cgn_config_default(s46_cgn_config *c)
{
    memset(c, 0, sizeof *c);
    c->port_min = 1024;
    c->block_size = 512;
    c->max_blocks_per_sub = 4;
    c->block_idle = 120;
    c->max_subscribers = 4096;
    c->max_blocks = 16384;
    c->max_mappings = 262144;
    c->max_sessions = 262144;
    c->sub_max_mappings = 2048;
    c->sub_max_sessions = 4096;
    c->sub_max_new_per_sec = 512;
    c->filter = S46_CGN_FILTER_EIF;
    c->udp_timeout = 300;
    c->tcp_est_timeout = 7440;
    c->tcp_trans_timeout = 240;
    c->icmp_timeout = 60;
    c->seed = 0x9e3779b97f4a7c15ULL;
}

static uint32_t rnd(s46_cgn *g)
{
    g->rng ^= g->rng << 13;
    g->rng ^= g->rng >> 7;
    g->rng ^= g->rng << 17;
    return (uint32_t)(g->rng >> 16);
}


/* ---- hashing and the open-addressing indexes ---- */

/* A key's two halves in one word, the second through a bijection (times
 * an odd constant), so keys that differ in one half only never meet. */
static inline uint64_t key_word(const s46_cgn_key *k)
{
    uint64_t a, b;
    memcpy(&a, k->b, 8);
    memcpy(&b, k->b + 8, 8);
    return (a + 0x632be59bd9b4e019ULL) ^ (b * 0x9e3779b97f4a7c15ULL);
}
/* A flow's protocol, address and port in one word (no two alike). */
static inline uint64_t flow_word(unsigned proto, uint32_t addr, uint16_t port)
{
    return (uint64_t)addr << 24 | (uint64_t)port << 8 | proto;
}
static inline uint32_t key_hash(const s46_cgn_key *k) { return (uint32_t)s46_mix64(key_word(k)); }
/* A mapping is found by its subscriber's key (not its index), so that an
 * outbound packet of a known flow needs no subscriber lookup first: the
 * key and the flow's fields in one mix (the flow's word through a
 * bijection too, so flows that differ in one part only never meet). */
static inline uint32_t mo_hash(const s46_cgn_key *k, unsigned proto, uint32_t addr,
                               uint16_t port)
{
    uint64_t c = flow_word(proto, addr, port) * 0xc2b2ae3d27d4eb4fULL;
    return (uint32_t)s46_mix64(key_word(k) ^ c);
}
/* By external address (not its pool index): the inbound packet's own. */
static inline uint32_t mi_hash(unsigned proto, uint32_t addr, uint16_t port)
{
    return (uint32_t)s46_mix64(flow_word(proto, addr, port));
}
static inline uint32_t s_hash(uint32_t map, uint32_t rem, uint16_t rport)
{
    return (uint32_t)s46_mix64((uint64_t)rem << 32 ^ (uint64_t)map << 16 ^ rport);
}

static uint32_t sub_hash_of(const s46_cgn *g, uint32_t i) { return key_hash(&g->subs[i].key); }
static uint32_t mo_hash_of(const s46_cgn *g, uint32_t i)
{
    const map_ent *m = &g->maps[i];
    return mo_hash(&m->key, mproto(m), m->int_addr, m->int_port);
}
static uint32_t mi_hash_of(const s46_cgn *g, uint32_t i)
{
    const map_ent *m = &g->maps[i];
    return mi_hash(mproto(m), m->ext_addr, m->ext_port);
}
static uint32_t s_hash_of(const s46_cgn *g, uint32_t i)
{
    const sess_ent *s = &g->sess[i];
    return s_hash(s->map, s->rem_addr, s->rem_port);
}

/* Linear probing, removal by backward shift (no tombstones). */
static void idx_remove(const s46_cgn *g, uint32_t *tab, uint32_t mask, uint32_t slot,
                       uint32_t (*hash_of)(const s46_cgn *, uint32_t))
{
    uint32_t hole = slot;
    for (uint32_t j = (slot + 1) & mask; tab[j] != NONE; j = (j + 1) & mask) {
        uint32_t home = hash_of(g, tab[j]) & mask;
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            tab[hole] = tab[j];
            hole = j;
        }
    }
    tab[hole] = NONE;
}

/* The slot of entry v in tab (it must be there). */
static uint32_t idx_slot(const uint32_t *tab, uint32_t mask, uint32_t h, uint32_t v)
{
    uint32_t i = h & mask;
    while (tab[i] != v)
        i = (i + 1) & mask;
    return i;
}

static uint32_t find_sub(const s46_cgn *g, const s46_cgn_key *k, uint32_t key_h, uint32_t *slot)
{
    uint32_t i = key_h & g->sub_mask;
    for (;; i = (i + 1) & g->sub_mask) {
        uint32_t s = g->sub_idx[i];
        if (s == NONE || !memcmp(g->subs[s].key.b, k->b, 16)) {
            if (slot)
                *slot = i;
            return s;
        }
    }
}

static inline bool key_eq(const s46_cgn_key *a, const s46_cgn_key *b)
{
    uint64_t a0, a1, b0, b1;
    memcpy(&a0, a->b, 8);
    memcpy(&a1, a->b + 8, 8);
    memcpy(&b0, b->b, 8);
    memcpy(&b1, b->b + 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

/* A slot of a mapping index (outbound or inbound) is one 32-bit word: the
 * mapping's number in its low bits, mnum (numbers are below the capacity,
 * which is at most mnum: the field is never all ones, so a word is never
 * NONE, the empty slot), and a tag of its index hash h in the others. The
 * home slot is h & mask, and a probe compares the tag before it reads a
 * mapping, so a lookup reads another flow's mapping only on a tag
 * collision (one in 2^(32 - number bits) of the slots it passes). Four
 * bytes a slot rather than eight (the number and the whole hash): the
 * index of 2 M mappings takes 16 MiB instead of 32, and random reads in a
 * table that size cost a fraction of those in one twice its size on the
 * machines measured (`bench/misses.c`).
 *
 * The tag bits of hash h in an index word: its high bits after a
 * multiplication, which brings every bit of h into them (flows on one
 * probe share h's low bits). */
static inline uint32_t midx_tag(const s46_cgn *g, uint32_t h)
{
    return (h * 0x9e3779b1u) & ~g->mnum;
}
static inline uint32_t midx_word(const s46_cgn *g, uint32_t h, uint32_t m)
{
    return midx_tag(g, h) | m;
}

/* The slot of mapping m on h's probe (it must be there), found by its
 * number: a wrong tag shows in s46_cgn_check, not as an endless probe. */
static uint32_t midx_slot(const s46_cgn *g, const uint32_t *tab, uint32_t mask, uint32_t h,
                          uint32_t m)
{
    uint32_t i = h & mask;
    while (tab[i] == NONE || (tab[i] & g->mnum) != m)
        i = (i + 1) & mask;
    return i;
}

/* An index word's mapping's hashes, for removal (idx_remove). */
static uint32_t mo_word_hash(const s46_cgn *g, uint32_t w) { return mo_hash_of(g, w & g->mnum); }
static uint32_t mi_word_hash(const s46_cgn *g, uint32_t w) { return mi_hash_of(g, w & g->mnum); }

static void midx_insert(const s46_cgn *g, uint32_t *tab, uint32_t mask, uint32_t h, uint32_t m)
{
    uint32_t i = h & mask;
    while (tab[i] != NONE)
        i = (i + 1) & mask;
    tab[i] = midx_word(g, h, m);
}

/* The first mapping on h's probe whose tag is h's (NONE: none): the only
 * one a lookup of h reads unless it is another flow's, for the prefetch
 * stages. */
static inline uint32_t midx_first(const s46_cgn *g, const uint32_t *tab, uint32_t mask,
                                  uint32_t h)
{
    uint32_t t = midx_tag(g, h);
    for (uint32_t i = h & mask;; i = (i + 1) & mask)
        if (tab[i] == NONE || (tab[i] & ~g->mnum) == t)
            return tab[i] == NONE ? NONE : tab[i] & g->mnum;
}

/* The mapping of (k, proto, addr, port) from its index hash mh (mo_hash);
 * *slot: where it is, or the empty slot a new one takes. */
static inline uint32_t find_mo_h(const s46_cgn *g, const s46_cgn_key *k, uint32_t mh,
                                 unsigned proto, uint32_t addr, uint16_t port, uint32_t *slot)
{
    uint32_t i = mh & g->mo_mask, t = midx_tag(g, mh);
    for (;; i = (i + 1) & g->mo_mask) {
        uint32_t x = g->mo_idx[i];
        if (x == NONE) {
            if (slot)
                *slot = i;
            return NONE;
        }
        if ((x & ~g->mnum) != t)
            continue;
        const map_ent *e = &g->maps[x & g->mnum];
        if (e->int_addr == addr && e->int_port == port && mproto(e) == proto &&
            key_eq(&e->key, k)) {
            if (slot)
                *slot = i;
            return x & g->mnum;
        }
    }
}

static uint32_t find_mo(const s46_cgn *g, const s46_cgn_key *k, unsigned proto, uint32_t addr,
                        uint16_t port, uint32_t *slot)
{
    return find_mo_h(g, k, mo_hash(k, proto, addr, port), proto, addr, port, slot);
}

static inline uint32_t find_mi_h(const s46_cgn *g, uint32_t mh, unsigned proto, uint32_t addr,
                                 uint16_t port)
{
    uint32_t i = mh & g->mi_mask, t = midx_tag(g, mh);
    for (;; i = (i + 1) & g->mi_mask) {
        uint32_t x = g->mi_idx[i];
        if (x == NONE)
            return NONE;
        if ((x & ~g->mnum) != t)
            continue;
        const map_ent *e = &g->maps[x & g->mnum];
        if (e->ext_port == port && mproto(e) == proto && e->ext_addr == addr)
            return x & g->mnum;
    }
}

static uint32_t find_mi(const s46_cgn *g, unsigned proto, uint32_t addr, uint16_t port)
{
    return find_mi_h(g, mi_hash(proto, addr, port), proto, addr, port);
}

static void s_flush(s46_cgn *g);
static uint32_t find_sess(s46_cgn *g, uint32_t map, uint32_t rem, uint16_t rport,
                          uint32_t *slot)
{
    if (g->npend_s)
        s_flush(g);
    uint32_t i = s_hash(map, rem, rport) & g->s_mask;
    for (;; i = (i + 1) & g->s_mask) {
        uint32_t s = g->s_idx[i];
        if (s == NONE || (g->sess[s].map == map && g->sess[s].rem_addr == rem &&
                          g->sess[s].rem_port == rport)) {
            if (slot)
                *slot = i;
            return s;
        }
    }
}

static void mi_insert(s46_cgn *g, uint32_t m)
{
    midx_insert(g, g->mi_idx, g->mi_mask, mi_hash_of(g, m), m);
}

static void s_flush(s46_cgn *g)
{
    for (uint32_t k = 0; k < g->npend_s; k++) {
        uint32_t i = s_hash_of(g, g->pend_s[k]) & g->s_mask;
        while (g->s_idx[i] != NONE)
            i = (i + 1) & g->s_mask;
        g->s_idx[i] = g->pend_s[k];
    }
    g->npend_s = 0;
}

/* Both indexes' pending entries in. */
static void mi_flush(s46_cgn *g)
{
    for (uint32_t k = 0; k < g->npend; k++)
        mi_insert(g, g->pend[k]);
    g->npend = 0;
    s_flush(g);
}

/* The tables: cache-line aligned (an entry never straddles two lines when
 * its size divides 64); the big ones 2 MiB aligned and, when the kernel
 * does it on request, backed by huge pages (a lookup touches several
 * tables at random: fewer TLB misses). Zeroed. */
#define HUGE_SZ (2u << 20)
static void *table_alloc(size_t n, size_t size)
{
    size_t bytes = (n ? n : 1) * size;
    size_t align = bytes < HUGE_SZ ? 64 : HUGE_SZ;
    bytes = (bytes + align - 1) & ~(align - 1);
    void *p = aligned_alloc(align, bytes);
    if (p) {
        if (align == HUGE_SZ)
            madvise(p, bytes, MADV_HUGEPAGE);
        memset(p, 0, bytes);
    }
    return p;
}

static uint32_t pow2_at_least(uint64_t n)
{
    uint32_t c = 16;
    while (c < n)
        c <<= 1;
    return c;
}

/* ---- creation ---- */

s46_cgn *s46_cgn_new(const s46_cgn_config *c, char *err, size_t errlen)
{
    s46_cgn *g = calloc(1, sizeof *g);
    if (!g) {
        s46_seterr(err, errlen, "out of memory");
        return NULL;
    }
    g->cfg = *c;
    g->cfg.pool = NULL;
    g->cfg.excluded = NULL;
    if (g->cfg.shares == 0)
        g->cfg.shares = 1;
    if (g->cfg.udp_timeout < 120)
        g->cfg.udp_timeout = 120;
    if (c->port_min == 0 || c->block_size < 64 || c->block_size > 32768 || c->block_size % 64 ||
        (65536u - c->port_min) / c->block_size == 0) {
        s46_seterr(err, errlen, "block_size must be 64..32768, a multiple of 64, with at least "
                   "one block above port_min (1..65535)");
        goto fail;
    }
    if (c->max_blocks_per_sub == 0 || c->max_blocks_per_sub >= SUB_FREE) {
        s46_seterr(err, errlen, "max_blocks_per_sub must be 1..65534");
        goto fail;
    }
    if (c->max_subscribers == 0 || c->max_subscribers >= (1u << 28) || c->max_blocks == 0 ||
        c->max_blocks >= (1u << 28) || c->max_mappings == 0 || c->max_mappings >= (1u << 28) ||
        c->max_sessions == 0 || c->max_sessions >= (1u << 28)) {
        s46_seterr(err, errlen, "capacities must be 1..2^28-1");
        goto fail;
    }
    if (g->cfg.shares > S46_CGN_MAX_SHARES || g->cfg.share >= g->cfg.shares) {
        s46_seterr(err, errlen, "share %u of %u: shares must be 1..%u", g->cfg.share,
                   g->cfg.shares, S46_CGN_MAX_SHARES);
        goto fail;
    }
    g->pool = s46_cgn_pool_new(c->pool, c->npool, c->excluded, c->nexcluded, err, errlen);
    if (!g->pool)
        goto fail;
    g->naddr = s46_cgn_pool_size(g->pool);
    g->bpa = (65536u - c->port_min) / c->block_size;
    g->port_end = c->port_min + g->bpa * c->block_size;
    if (g->cfg.share >= g->bpa) {
        s46_seterr(err, errlen, "worker %u owns no block: %u blocks per address", g->cfg.share,
                   g->bpa);
        goto fail;
    }
    g->slots_mine = (g->bpa - g->cfg.share + g->cfg.shares - 1) / g->cfg.shares;
    g->words_pa = (g->bpa + 63) / 64;
    g->words_pb = c->block_size / 64;
    g->sub_mask = pow2_at_least(2ull * c->max_subscribers) - 1;
    g->mo_mask = pow2_at_least(c->max_mappings + c->max_mappings / 2ull) - 1;
    g->mi_mask = g->mo_mask;
    g->mnum = pow2_at_least(c->max_mappings + 1ull) - 1; /* a number is at most mnum - 1 */
    g->s_mask = pow2_at_least(c->max_sessions + c->max_sessions / 2ull) - 1;
    g->slots = table_alloc((size_t)g->naddr * g->words_pa, sizeof *g->slots);
    g->addr_free = malloc((size_t)g->naddr * sizeof *g->addr_free);
    g->addr_blocks = calloc(g->naddr, sizeof *g->addr_blocks);
    g->subs = table_alloc(c->max_subscribers, sizeof *g->subs);
    g->blks = table_alloc(c->max_blocks, sizeof *g->blks);
    g->bits = table_alloc((size_t)c->max_blocks * S46_CGN_NPROTO * g->words_pb, sizeof *g->bits);
    g->maps = table_alloc(c->max_mappings, sizeof *g->maps);
    g->prefix_subs = c->sub_len && c->sub_len < 128;
    g->sess = table_alloc(c->max_sessions, sizeof *g->sess);
    g->sub_idx = table_alloc((size_t)g->sub_mask + 1, sizeof *g->sub_idx);
    g->mo_idx = table_alloc((size_t)g->mo_mask + 1, sizeof *g->mo_idx);
    g->mi_idx = table_alloc((size_t)g->mi_mask + 1, sizeof *g->mi_idx);
    g->s_idx = table_alloc((size_t)g->s_mask + 1, sizeof *g->s_idx);
    if (!g->slots || !g->addr_free || !g->addr_blocks || !g->subs || !g->blks || !g->bits ||
        !g->maps || !g->sess || !g->sub_idx || !g->mo_idx || !g->mi_idx || !g->s_idx ||
        s46_expiry_init(&g->exp, c->max_sessions) < 0) {
        s46_seterr(err, errlen, "out of memory for the CGN tables");
        goto fail;
    }
    for (uint32_t a = 0; a < g->naddr; a++)
        g->addr_free[a] = (uint16_t)g->slots_mine;
    g->addrs_with_free = g->naddr;
    for (uint32_t i = 0; i < c->max_subscribers; i++) {
        g->subs[i].nblocks = SUB_FREE;
        g->subs[i].blocks = i + 1 < c->max_subscribers ? i + 1 : NONE;
    }
    for (uint32_t i = 0; i < c->max_blocks; i++) {
        g->blks[i].sub = NONE;
        g->blks[i].next = i + 1 < c->max_blocks ? i + 1 : NONE;
    }
    for (uint32_t i = 0; i < c->max_mappings; i++) {
        mset_proto(&g->maps[i], PROTO_FREE);
        mset_head(&g->maps[i], i + 1 < c->max_mappings ? i + 1 : NONE);
    }
    for (uint32_t i = 0; i < c->max_sessions; i++) {
        g->sess[i].map = NONE;
        g->sess[i].next = i + 1 < c->max_sessions ? i + 1 : NONE;
    }
    memset(g->sub_idx, 0xff, ((size_t)g->sub_mask + 1) * sizeof *g->sub_idx);
    memset(g->mo_idx, 0xff, ((size_t)g->mo_mask + 1) * sizeof *g->mo_idx);
    memset(g->mi_idx, 0xff, ((size_t)g->mi_mask + 1) * sizeof *g->mi_idx);
    memset(g->s_idx, 0xff, ((size_t)g->s_mask + 1) * sizeof *g->s_idx);
    g->idle_head = g->idle_tail = NONE;
    g->rng = c->seed ? c->seed : 1;
    g->addr_cursor = rnd(g) % g->naddr;
    g->counters = (s46_counters){counter_names, S46_CGN_NCOUNTERS, g->cnt};
    return g;
fail:
    s46_cgn_free(g);
    return NULL;
}

void s46_cgn_free(s46_cgn *g)
{
    if (!g)
        return;
    s46_cgn_pool_free(g->pool);
    free(g->slots);
    free(g->addr_free);
    free(g->addr_blocks);
    free(g->subs);
    free(g->blks);
    free(g->bits);
    free(g->maps);
    free(g->sess);
    free(g->sub_idx);
    free(g->mo_idx);
    free(g->mi_idx);
    free(g->s_idx);
    s46_expiry_fini(&g->exp);
    free(g);
}

void s46_cgn_set_policy(s46_cgn *g, const s46_cgn_config *c)
{
    g->cfg.filter = c->filter;
    g->cfg.udp_timeout = c->udp_timeout < 120 ? 120 : c->udp_timeout;
    g->cfg.tcp_est_timeout = c->tcp_est_timeout;
    g->cfg.tcp_trans_timeout = c->tcp_trans_timeout;
    g->cfg.icmp_timeout = c->icmp_timeout;
    g->cfg.sub_max_mappings = c->sub_max_mappings;
    g->cfg.sub_max_sessions = c->sub_max_sessions;
    g->cfg.sub_max_new_per_sec = c->sub_max_new_per_sec;
    g->cfg.block_idle = c->block_idle;
}

bool s46_cgn_is_external(const s46_cgn *g, uint32_t addr)
{
    return s46_cgn_pool_index(g->pool, addr) != NONE;
}

/* ---- subscribers ---- */

static uint32_t new_sub(s46_cgn *g, const s46_cgn_key *k, uint32_t slot)
{
    uint32_t s = g->free_sub;
    if (s == NONE)
        return NONE;
    sub_ent *e = &g->subs[s];
    g->free_sub = e->blocks;
    memset(e, 0, sizeof *e);
    e->key = *k;
    e->addr = NONE;
    e->blocks = NONE;
    g->sub_idx[slot] = s;
    g->nsubs++;
    return s;
}

/* Forgets a subscriber that holds nothing any more. */
static void sub_maybe_free(s46_cgn *g, uint32_t s)
{
    sub_ent *e = &g->subs[s];
    if (e->nblocks != 0 || e->nmaps != 0)
        return;
    idx_remove(g, g->sub_idx, g->sub_mask,
               idx_slot(g->sub_idx, g->sub_mask, key_hash(&e->key), s), sub_hash_of);
    e->nblocks = SUB_FREE;
    e->blocks = g->free_sub;
    g->free_sub = s;
    g->nsubs--;
}

/* ---- the pool's block slots ---- */

static inline bool slot_taken(const s46_cgn *g, uint32_t a, uint32_t slot)
{
    return g->slots[(size_t)a * g->words_pa + slot / 64] >> (slot % 64) & 1;
}
static inline void slot_set(s46_cgn *g, uint32_t a, uint32_t slot, bool v)
{
    uint64_t *w = &g->slots[(size_t)a * g->words_pa + slot / 64];
    if (v)
        *w |= 1ull << (slot % 64);
    else
        *w &= ~(1ull << (slot % 64));
}

/* A pool address for a subscriber's first block: the next one (round
 * robin from a random start) with a free slot of this share. */
static uint32_t pick_addr(s46_cgn *g)
{
    if (g->addrs_with_free == 0)
        return NONE;
    for (uint32_t n = 0; n < g->naddr; n++) {
        uint32_t a = g->addr_cursor;
        g->addr_cursor = a + 1 == g->naddr ? 0 : a + 1;
        if (g->addr_free[a])
            return a;
    }
    return NONE;
}

/* A free slot of this share on address a, from a random start. */
static uint32_t pick_slot(s46_cgn *g, uint32_t a)
{
    uint32_t sh = g->cfg.shares, k0 = rnd(g) % g->slots_mine;
    for (uint32_t n = 0; n < g->slots_mine; n++) {
        uint32_t k = k0 + n >= g->slots_mine ? k0 + n - g->slots_mine : k0 + n;
        uint32_t slot = g->cfg.share + k * sh;
        if (!slot_taken(g, a, slot))
            return slot;
    }
    return NONE;
}

static inline uint64_t *blk_bits(const s46_cgn *g, uint32_t b, unsigned proto)
{
    return g->bits + ((size_t)b * S46_CGN_NPROTO + proto) * g->words_pb;
}

static inline uint16_t blk_first(const s46_cgn *g, const blk_ent *b)
{
    return (uint16_t)(g->cfg.port_min + (uint32_t)b->slot * g->cfg.block_size);
}

static void idle_unlink(s46_cgn *g, uint32_t b)
{
    blk_ent *e = &g->blks[b];
    if (!e->idle)
        return;
    if (e->iprev != NONE)
        g->blks[e->iprev].inext = e->inext;
    else
        g->idle_head = e->inext;
    if (e->inext != NONE)
        g->blks[e->inext].iprev = e->iprev;
    else
        g->idle_tail = e->iprev;
    e->idle = 0;
}

static void idle_append(s46_cgn *g, uint32_t b, uint32_t now)
{
    blk_ent *e = &g->blks[b];
    e->idle = 1;
    e->idle_since = now;
    e->inext = NONE;
    e->iprev = g->idle_tail;
    if (g->idle_tail != NONE)
        g->blks[g->idle_tail].inext = b;
    else
        g->idle_head = b;
    g->idle_tail = b;
}

static int report(s46_cgn *g, s46_cgn_block_kind kind, uint32_t s, const blk_ent *b,
                  uint32_t now)
{
    if (!g->cfg.on_block)
        return 0;
    uint16_t first = blk_first(g, b);
    s46_cgn_block_event ev = {kind, g->subs[s].key, g->subs[s].ext, first,
                              (uint16_t)(first + g->cfg.block_size - 1), now};
    return g->cfg.on_block(g->cfg.on_block_arg, &ev);
}

/* A new block for subscriber s (on its address, or on a new one when it
 * has none). */
static s46_cgn_result new_block(s46_cgn *g, uint32_t s, uint32_t now, uint32_t *out)
{
    sub_ent *se = &g->subs[s];
    if (se->nblocks >= g->cfg.max_blocks_per_sub)
        return S46_CGN_NO_BLOCK;
    if (g->free_blk == NONE)
        return S46_CGN_FULL;
    bool fresh = se->addr == NONE;
    uint32_t a = fresh ? pick_addr(g) : se->addr;
    if (a == NONE)
        return S46_CGN_NO_ADDRESS;
    uint32_t slot = g->addr_free[a] ? pick_slot(g, a) : NONE;
    if (slot == NONE)
        return S46_CGN_NO_BLOCK;
    uint32_t b = g->free_blk;
    blk_ent *e = &g->blks[b];
    if (fresh) {
        se->addr = a;
        se->ext = s46_cgn_pool_addr(g->pool, a);
    }
    e->addr = a;
    e->slot = (uint16_t)slot;
    if (report(g, S46_CGN_BLOCK_ALLOC, s, e, now) != 0) {
        if (fresh)
            se->addr = NONE;
        return S46_CGN_LOG_REFUSED;
    }
    g->free_blk = e->next;
    e->sub = s;
    e->next = se->blocks;
    se->blocks = b;
    se->nblocks++;
    memset(e->used, 0, sizeof e->used);
    e->idle = 0;
    memset(blk_bits(g, b, 0), 0, S46_CGN_NPROTO * g->words_pb * sizeof(uint64_t));
    slot_set(g, a, slot, true);
    if (--g->addr_free[a] == 0)
        g->addrs_with_free--;
    if (g->addr_blocks[a]++ == 0)
        g->addrs_used++;
    g->nblks++;
    COUNT(g, blocks_allocated);
    *out = b;
    return S46_CGN_OK;
}

static void release_block(s46_cgn *g, uint32_t b, uint32_t now)
{
    blk_ent *e = &g->blks[b];
    uint32_t s = e->sub;
    sub_ent *se = &g->subs[s];
    report(g, S46_CGN_BLOCK_RELEASE, s, e, now);
    idle_unlink(g, b);
    uint32_t *pp = &se->blocks;
    while (*pp != b)
        pp = &g->blks[*pp].next;
    *pp = e->next;
    se->nblocks--;
    slot_set(g, e->addr, e->slot, false);
    if (g->addr_free[e->addr]++ == 0)
        g->addrs_with_free++;
    if (--g->addr_blocks[e->addr] == 0)
        g->addrs_used--;
    e->sub = NONE;
    e->next = g->free_blk;
    g->free_blk = b;
    g->nblks--;
    COUNT(g, blocks_released);
    if (se->nblocks == 0) {
        se->addr = NONE;
        if (se->nmaps == 0) {
            sub_maybe_free(g, s);
            COUNT(g, subscribers_freed);
        }
    }
}

/* A random free port of block b for proto, of parity par when one is left
 * (RFC 4787 REQ-4); its index in the block, or NONE. */
static uint32_t pick_port(s46_cgn *g, uint32_t b, unsigned proto, unsigned par)
{
    uint64_t *w = blk_bits(g, b, proto);
    uint32_t nw = g->words_pb, r = rnd(g) % g->cfg.block_size;
    /* bit i is port port_min + slot * size + i: parity (port_min + i) & 1 */
    uint64_t pm = ((g->cfg.port_min + par) & 1) ? 0xaaaaaaaaaaaaaaaaULL : 0x5555555555555555ULL;
    for (int pass = 0; pass < 2; pass++, pm = ~0ULL) {
        uint32_t w0 = r / 64;
        uint64_t first = ~0ULL << (r % 64);
        for (uint32_t n = 0; n <= nw; n++) {
            uint32_t i = w0 + n >= nw ? w0 + n - nw : w0 + n;
            uint64_t m = ~w[i] & pm;
            if (n == 0)
                m &= first;
            else if (n == nw)
                m &= ~first;
            if (m)
                return i * 64 + (uint32_t)__builtin_ctzll(m);
        }
    }
    return NONE;
}

static inline unsigned blk_used(const blk_ent *e)
{
    return (unsigned)e->used[0] + e->used[1] + e->used[2];
}

/* An external port for a new mapping of subscriber s: from one of its
 * blocks that is in use, else an idle one, else a new block. */
static s46_cgn_result alloc_port(s46_cgn *g, uint32_t s, unsigned proto, uint16_t int_port,
                                 uint32_t now, uint16_t *port, bool *fresh_block)
{
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t b = g->subs[s].blocks; b != NONE; b = g->blks[b].next) {
            blk_ent *e = &g->blks[b];
            if (e->idle != pass || e->used[proto] >= g->cfg.block_size)
                continue;
            uint32_t i = pick_port(g, b, proto, int_port & 1);
            if (i == NONE)
                continue;
            blk_bits(g, b, proto)[i / 64] |= 1ull << (i % 64);
            if (blk_used(e) == 0)
                idle_unlink(g, b);
            e->used[proto]++;
            *port = (uint16_t)(blk_first(g, e) + i);
            return S46_CGN_OK;
        }
    uint32_t b;
    s46_cgn_result r = new_block(g, s, now, &b);
    if (r != S46_CGN_OK)
        return r;
    *fresh_block = true;
    blk_ent *e = &g->blks[b];
    uint32_t i = pick_port(g, b, proto, int_port & 1);
    blk_bits(g, b, proto)[i / 64] |= 1ull << (i % 64);
    e->used[proto]++;
    *port = (uint16_t)(blk_first(g, e) + i);
    return S46_CGN_OK;
}

/* The block of subscriber s holding ext_port. */
static uint32_t block_of(const s46_cgn *g, uint32_t s, uint16_t ext_port)
{
    uint32_t slot = (uint32_t)(ext_port - g->cfg.port_min) / g->cfg.block_size;
    uint32_t b = g->subs[s].blocks;
    while (g->blks[b].slot != slot)
        b = g->blks[b].next;
    return b;
}

/* ---- mappings and sessions ---- */

static void free_map(s46_cgn *g, uint32_t m, uint32_t now)
{
    mi_flush(g); /* m may be a mapping of the running batch */
    map_ent *e = &g->maps[m];
    uint32_t s = g->maps[m].sub;
    unsigned proto = mproto(e);
    uint32_t moh = mo_hash_of(g, m), mih = mi_hash_of(g, m);
    idx_remove(g, g->mo_idx, g->mo_mask, midx_slot(g, g->mo_idx, g->mo_mask, moh, m),
               mo_word_hash);
    idx_remove(g, g->mi_idx, g->mi_mask, midx_slot(g, g->mi_idx, g->mi_mask, mih, m),
               mi_word_hash);
    uint32_t b = block_of(g, s, e->ext_port);
    blk_ent *be = &g->blks[b];
    uint32_t i = (uint32_t)(e->ext_port - blk_first(g, be));
    blk_bits(g, b, proto)[i / 64] &= ~(1ull << (i % 64));
    be->used[proto]--;
    if (blk_used(be) == 0)
        idle_append(g, b, now);
    mset_proto(e, PROTO_FREE);
    mset_head(e, g->free_map);
    g->free_map = m;
    g->nmaps--;
    g->subs[s].nmaps--;
    COUNT(g, mappings_freed);
}

/* The mapping's copy of its first session (after the first session
 * changed, or the session that is first did). */
static void head_sync(s46_cgn *g, uint32_t m)
{
    map_ent *e = &g->maps[m];
    uint32_t h = mhead(e);
    if (h == NONE)
        return;
    const sess_ent *x = &g->sess[h];
    e->h_rem = x->rem_addr;
    e->h_rport = x->rem_port;
    e->h_exp = x->expires;
    e->h_tcp = x->tcp;
}

static void set_expiry(s46_cgn *g, uint32_t s, uint32_t v)
{
    g->sess[s].expires = v;
    map_ent *me = &g->maps[g->sess[s].map];
    if (mhead(me) == s)
        me->h_exp = v;
    s46_expiry_note(&g->exp, s, v);
}

static void free_sess(s46_cgn *g, uint32_t s, uint32_t now)
{
    if (g->npend_s) /* s may be a session of the running batch */
        s_flush(g);
    sess_ent *e = &g->sess[s];
    uint32_t m = e->map;
    idx_remove(g, g->s_idx, g->s_mask, idx_slot(g->s_idx, g->s_mask, s_hash_of(g, s), s),
               s_hash_of);
    if (mhead(&g->maps[m]) == s) {
        mset_head(&g->maps[m], e->next);
        head_sync(g, m);
    } else {
        uint32_t *pp = &g->sess[mhead(&g->maps[m])].next;
        while (*pp != s)
            pp = &g->sess[*pp].next;
        *pp = e->next;
    }
    e->map = NONE;
    e->next = g->free_sess;
    g->free_sess = s;
    g->nsessions--;
    g->subs[g->maps[m].sub].nsess--;
    if (--g->maps[m].nsess == 0)
        free_map(g, m, now);
}

static bool reap(s46_cgn *g, uint32_t s, uint32_t now)
{
    if (!s46_due(g->sess[s].expires, now))
        return false;
    free_sess(g, s, now);
    COUNT(g, sessions_expired);
    return true;
}

static s46_exp_visit expire_one(void *arg, uint32_t s, uint32_t now, uint32_t *t)
{
    s46_cgn *g = arg;
    const sess_ent *e = &g->sess[s];
    if (e->map == NONE)
        return S46_EXP_EMPTY;
    if (!s46_due(e->expires, now)) {
        *t = e->expires;
        return S46_EXP_LIVE;
    }
    free_sess(g, s, now);
    COUNT(g, sessions_expired);
    return S46_EXP_FREED;
}

/* Sessions first (the expiry sweep), then idle blocks (a FIFO by idle
 * time). Returns sessions plus blocks freed. */
static uint32_t expire(s46_cgn *g, uint32_t now, uint32_t budget)
{
    mi_flush(g);
    uint32_t freed = s46_expiry_sweep(&g->exp, now, budget, expire_one, g);
    for (uint32_t k = 0; k < budget && g->idle_head != NONE; k++) {
        uint32_t b = g->idle_head;
        if (!s46_due(g->blks[b].idle_since + g->cfg.block_idle, now))
            break;
        release_block(g, b, now);
        freed++;
    }
    return freed;
}

uint32_t s46_cgn_expire(s46_cgn *g, uint32_t now, uint32_t budget)
{
    uint64_t before_n = g->cnt[S46_CGN_C_sessions_expired];
    expire(g, now, budget);
    return (uint32_t)(g->cnt[S46_CGN_C_sessions_expired] - before_n);
}

static uint32_t timeout_st(const s46_cgn *g, unsigned proto, unsigned tcp)
{
    switch (proto) {
    case S46_CGN_TCP:
        return s46_tcp_established(tcp) ? g->cfg.tcp_est_timeout : g->cfg.tcp_trans_timeout;
    case S46_CGN_UDP:
        return g->cfg.udp_timeout;
    default:
        return g->cfg.icmp_timeout;
    }
}

static uint32_t timeout_of(const s46_cgn *g, unsigned proto, const sess_ent *s)
{
    return timeout_st(g, proto, s->tcp);
}

/* Limits on a new session of subscriber s (not counted here). */
static s46_cgn_result sess_allowed(const s46_cgn *g, const sub_ent *se, uint32_t now,
                                   bool rate)
{
    if (g->cfg.sub_max_sessions && se->nsess >= g->cfg.sub_max_sessions)
        return S46_CGN_SUB_SESSIONS;
    if (rate && g->cfg.sub_max_new_per_sec && se->rate_sec == now &&
        se->rate_n >= g->cfg.sub_max_new_per_sec)
        return S46_CGN_SUB_RATE;
    if (g->free_sess == NONE)
        return S46_CGN_FULL;
    return S46_CGN_OK;
}

static uint32_t new_sess(s46_cgn *g, uint32_t m, uint32_t rem, uint16_t rport, uint32_t slot,
                         bool rate, uint32_t now)
{
    uint32_t s = g->free_sess;
    sess_ent *e = &g->sess[s];
    sub_ent *se = &g->subs[g->maps[m].sub];
    g->free_sess = e->next;
    e->rem_addr = rem;
    e->rem_port = rport;
    e->map = m;
    e->tcp = S46_TCPS_NONE;
    e->next = mhead(&g->maps[m]);
    mset_head(&g->maps[m], s);
    head_sync(g, m);
    g->maps[m].nsess++;
    if (slot == NONE) { /* deferred (outbound batch): prefetched meanwhile */
        PF(&g->s_idx[s_hash(m, rem, rport) & g->s_mask]);
        g->pend_s[g->npend_s++] = s;
    } else {
        g->s_idx[slot] = s;
    }
    g->nsessions++;
    se->nsess++;
    if (rate) {
        if (se->rate_sec != now) {
            se->rate_sec = now;
            se->rate_n = 0;
        }
        if (se->rate_n < UINT16_MAX)
            se->rate_n++;
    }
    COUNT(g, sessions_created);
    return s;
}

/* Which table ran out, for the counters. */
static s46_cgn_result full(s46_cgn *g, int which)
{
    static const int c[] = {S46_CGN_C_refused_full_subscribers, S46_CGN_C_refused_full_blocks,
                            S46_CGN_C_refused_full_mappings, S46_CGN_C_refused_full_sessions};
    g->cnt[c[which]]++;
    return S46_CGN_FULL;
}
enum { FULL_SUBS, FULL_BLOCKS, FULL_MAPS, FULL_SESS };

/* A packet of mapping m's first session x, live: its TCP state and expiry
 * time from the mapping's copy (the session entry is written only when
 * they change: the expiry about once a second). */
static void refresh(s46_cgn *g, uint32_t m, uint32_t x, unsigned proto, uint8_t tcp_flags,
                    bool outbound, uint32_t now)
{
    map_ent *me = &g->maps[m];
    unsigned st = me->h_tcp;
    if (proto == S46_CGN_TCP) {
        st = s46_tcp_next(st, tcp_flags, outbound);
        if (st != me->h_tcp) {
            g->sess[x].tcp = (uint8_t)st;
            me->h_tcp = (uint8_t)st;
        }
    }
    uint32_t exp = now + timeout_st(g, proto, st);
    if (exp != me->h_exp)
        set_expiry(g, x, exp);
}

/* One attempt; refusals are not counted here (the caller retries once
 * after reclaiming). *which tells the table of a FULL. A packet of a
 * known flow reads the index, its mapping and its session only. */
static s46_cgn_result outbound_once(s46_cgn *g, s46_cgn_flow *f, uint8_t tcp_flags,
                                    uint32_t now, int *which)
{
    uint32_t slot, mslot, sslot, s = NONE;
    uint32_t moh = mo_hash(&f->sub, f->proto, f->int_addr, f->int_port);
    uint32_t m = find_mo_h(g, &f->sub, moh, f->proto, f->int_addr, f->int_port, &mslot);
    s46_cgn_result r;
    bool new_mapping = m == NONE;
    if (new_mapping) {
        bool new_subscriber = false;
        s46_cgn_key sk = f->sub;
        if (g->prefix_subs)
            sk = s46_cgn_key_prefix(&f->sub, g->cfg.sub_len);
        if ((s = find_sub(g, &sk, key_hash(&sk), &slot)) == NONE) {
            new_subscriber = true;
            if ((s = new_sub(g, &sk, slot)) == NONE) {
                *which = FULL_SUBS;
                return S46_CGN_FULL;
            }
        }
        sub_ent *se = &g->subs[s];
        if (g->cfg.sub_max_mappings && se->nmaps >= g->cfg.sub_max_mappings) {
            r = S46_CGN_SUB_MAPPINGS;
            goto refuse;
        }
        if ((r = sess_allowed(g, se, now, true)) != S46_CGN_OK) {
            *which = FULL_SESS;
            goto refuse;
        }
        if (g->free_map == NONE) {
            *which = FULL_MAPS;
            r = S46_CGN_FULL;
            goto refuse;
        }
        uint16_t port;
        *which = FULL_BLOCKS;
        if ((r = alloc_port(g, s, f->proto, f->int_port, now, &port, &f->new_block)) !=
            S46_CGN_OK)
            goto refuse;
        m = g->free_map;
        map_ent *e = &g->maps[m];
        g->free_map = mhead(e);
        g->maps[m].sub = s;
        g->maps[m].nsess = 0;
        e->key = f->sub;
        e->int_addr = f->int_addr;
        e->int_port = f->int_port;
        e->ext_addr = se->ext;
        e->ext_port = port;
        e->hp = HNONE;
        mset_proto(e, f->proto);
        g->mo_idx[mslot] = midx_word(g, moh, m);
        if (g->defer_mi && g->npend < STAGE_MAX_) {
            PF(&g->mi_idx[mi_hash(f->proto, se->ext, port) & g->mi_mask]);
            g->pend[g->npend++] = m;
        } else {
            mi_insert(g, m);
        }
        g->nmaps++;
        se->nmaps++;
        if (new_subscriber)
            COUNT(g, subscribers_created);
        COUNT(g, mappings_created);
    }
    const map_ent *me = &g->maps[m];
    f->ext_addr = me->ext_addr;
    f->ext_port = me->ext_port;
    uint32_t x = mhead(me);
    if (!new_mapping && x != NONE && me->h_rem == f->rem_addr && me->h_rport == f->rem_port &&
        !s46_due(me->h_exp, now)) {
        /* the first session, live: from the mapping's copy of it */
        refresh(g, m, x, f->proto, tcp_flags, true, now);
        return S46_CGN_OK;
    }
    if (new_mapping && g->defer_mi && g->npend_s < STAGE_MAX_) {
        /* no session yet: its index slot is found at the batch's end */
        x = sslot = NONE;
    } else if (new_mapping || x == NONE || g->sess[x].rem_addr != f->rem_addr ||
               g->sess[x].rem_port != f->rem_port) {
        x = find_sess(g, m, f->rem_addr, f->rem_port, &sslot);
    }
    if (x != NONE && s46_due(g->sess[x].expires, now)) {
        /* expired but not swept: free it (maybe with its mapping) and redo */
        reap(g, x, now);
        return outbound_once(g, f, tcp_flags, now, which);
    }
    bool created = false;
    if (x == NONE) {
        if ((r = sess_allowed(g, &g->subs[g->maps[m].sub], now, true)) != S46_CGN_OK ||
            g->maps[m].nsess == UINT16_MAX) {
            if (r == S46_CGN_OK)
                r = S46_CGN_FULL;
            *which = FULL_SESS;
            return r; /* the mapping has sessions: nothing to undo */
        }
        x = new_sess(g, m, f->rem_addr, f->rem_port, sslot, true, now);
        created = true;
    }
    sess_ent *e = &g->sess[x];
    if (f->proto == S46_CGN_TCP) {
        e->tcp = (uint8_t)s46_tcp_next(e->tcp, tcp_flags, true);
        if (mhead(&g->maps[m]) == x)
            g->maps[m].h_tcp = e->tcp;
    }
    uint32_t exp = now + timeout_of(g, f->proto, e);
    if (created || exp != e->expires)
        set_expiry(g, x, exp);
    return S46_CGN_OK;
refuse:
    sub_maybe_free(g, s);
    return r;
}

/* A batch in stages: each stage prefetches, for every packet, what the
 * next one will read (index slot, mapping, then subscriber and session),
 * so that the batch's cache misses overlap; then every packet is handled
 * in order. Prefetches only: what earlier packets change is seen as usual. */
#define STAGE_MAX STAGE_MAX_
/* A session entry (20 bytes: it may span two lines). */
static inline void pf_sess(const s46_cgn *g, uint32_t x)
{
    PF(&g->sess[x]);
    PF((const char *)&g->sess[x] + sizeof(sess_ent) - 1);
}

/* The prefetch stages of a batch of outbound flows (at most STAGE_MAX):
 * index slots, mappings, then the first session where the mapping's copy
 * of it is not the packet's (for a new mapping: the subscriber index
 * slot, then the subscriber). */
static void prefetch_out(const s46_cgn *g, const s46_cgn_flow *f, unsigned n)
{
    uint32_t m[STAGE_MAX], kh[STAGE_MAX]; /* kh: for a new mapping's subscriber */
    for (unsigned i = 0; i < n; i++) {
        m[i] = mo_hash(&f[i].sub, f[i].proto, f[i].int_addr, f[i].int_port);
        PF(&g->mo_idx[m[i] & g->mo_mask]);
    }
    for (unsigned i = 0; i < n; i++) {
        m[i] = midx_first(g, g->mo_idx, g->mo_mask, m[i]);
        if (m[i] != NONE)
            PF(&g->maps[m[i]]);
        else if (!g->prefix_subs) { /* a new mapping: its subscriber is looked up next */
            kh[i] = key_hash(&f[i].sub);
            PF(&g->sub_idx[kh[i] & g->sub_mask]);
        }
    }
    for (unsigned i = 0; i < n; i++) {
        uint32_t x = m[i];
        if (x == NONE) {
            if (g->prefix_subs)
                continue;
            uint32_t su = g->sub_idx[kh[i] & g->sub_mask];
            if (su != NONE)
                PF(&g->subs[su]);
            continue;
        }
        const map_ent *e = &g->maps[x];
        uint32_t h = mhead(e);
        if (h != NONE && (e->h_rem != f[i].rem_addr || e->h_rport != f[i].rem_port))
            pf_sess(g, h); /* not the first session's remote (or unknown): the list */
    }
}

/* The same for inbound flows: index slots, mappings, then the session
 * index slot where the mapping's first session is not the packet's. */
static void prefetch_in(const s46_cgn *g, const s46_cgn_flow *f, unsigned n)
{
    uint32_t m[STAGE_MAX];
    for (unsigned i = 0; i < n; i++) {
        m[i] = NONE;
        if (f[i].proto < S46_CGN_NPROTO) {
            m[i] = mi_hash(f[i].proto, f[i].ext_addr, f[i].ext_port);
            PF(&g->mi_idx[m[i] & g->mi_mask]);
        }
    }
    for (unsigned i = 0; i < n; i++) {
        if (f[i].proto >= S46_CGN_NPROTO)
            continue;
        m[i] = midx_first(g, g->mi_idx, g->mi_mask, m[i]);
        if (m[i] != NONE)
            PF(&g->maps[m[i]]);
    }
    for (unsigned i = 0; i < n; i++) {
        if (m[i] == NONE)
            continue;
        const map_ent *e = &g->maps[m[i]];
        if (mhead(e) != NONE && e->h_rem == f[i].rem_addr && e->h_rport == f[i].rem_port)
            continue; /* the first session's copy in the mapping is enough */
        PF(&g->s_idx[s_hash(m[i], f[i].rem_addr, f[i].rem_port) & g->s_mask]);
    }
}

void s46_cgn_prefetch_out_batch(const s46_cgn *g, const s46_cgn_flow *f, unsigned n)
{
    for (unsigned b = 0; b < n; b += STAGE_MAX)
        prefetch_out(g, f + b, n - b < STAGE_MAX ? n - b : STAGE_MAX);
}

void s46_cgn_prefetch_in_batch(const s46_cgn *g, const s46_cgn_flow *f, unsigned n)
{
    for (unsigned b = 0; b < n; b += STAGE_MAX)
        prefetch_in(g, f + b, n - b < STAGE_MAX ? n - b : STAGE_MAX);
}

void s46_cgn_outbound_batch(s46_cgn *g, s46_cgn_flow *f, const uint8_t *tcp_flags,
                            s46_cgn_result *r, unsigned n, uint32_t now)
{
    for (unsigned b = 0; b < n; b += STAGE_MAX) {
        unsigned e = n - b < STAGE_MAX ? n : b + STAGE_MAX;
        prefetch_out(g, f + b, e - b);
        g->defer_mi = true;
        for (unsigned i = b; i < e; i++)
            r[i] = s46_cgn_outbound(g, &f[i], tcp_flags ? tcp_flags[i] : 0, now);
        g->defer_mi = false;
        mi_flush(g);
    }
}

void s46_cgn_inbound_batch(s46_cgn *g, s46_cgn_flow *f, const uint8_t *tcp_flags,
                           s46_cgn_result *r, unsigned n, uint32_t now)
{
    for (unsigned b = 0; b < n; b += STAGE_MAX) {
        unsigned e = n - b < STAGE_MAX ? n : b + STAGE_MAX;
        prefetch_in(g, f + b, e - b);
        for (unsigned i = b; i < e; i++)
            r[i] = s46_cgn_inbound(g, &f[i], tcp_flags ? tcp_flags[i] : 0, now);
    }
}

void s46_cgn_prefetch_out(const s46_cgn *g, const s46_cgn_flow *f)
{
    uint32_t i = mo_hash(&f->sub, f->proto, f->int_addr, f->int_port) & g->mo_mask;
    PF(&g->mo_idx[i]);
}

void s46_cgn_prefetch_in(const s46_cgn *g, const s46_cgn_flow *f)
{
    if (f->proto < S46_CGN_NPROTO)
        PF(&g->mi_idx[mi_hash(f->proto, f->ext_addr, f->ext_port) & g->mi_mask]);
}

/* ---- the established-flow fast path ---- */

void s46_cgn_hint_one(const s46_cgn *g, const s46_cgn_flow *f, s46_cgn_hint *h, bool outbound)
{
    if (outbound) {
        h->h = f->proto < S46_CGN_NPROTO
                   ? mo_hash(&f->sub, f->proto, f->int_addr, f->int_port)
                   : 0;
        PF(&g->mo_idx[h->h & g->mo_mask]);
    } else {
        h->h = mi_hash(f->proto, f->ext_addr, f->ext_port);
        PF(&g->mi_idx[h->h & g->mi_mask]);
    }
}

/* The full probes, for a hash collision (rare): out of line, so that the
 * common check stays small. */
static __attribute__((noinline)) uint32_t est_probe_out(const s46_cgn *g, const s46_cgn_flow *f,
                                                        uint32_t h)
{
    return find_mo_h(g, &f->sub, h, f->proto, f->int_addr, f->int_port, NULL);
}
static __attribute__((noinline)) uint32_t est_probe_in(const s46_cgn *g, const s46_cgn_flow *f,
                                                       uint32_t h)
{
    return find_mi_h(g, h, f->proto, f->ext_addr, f->ext_port);
}

/* Mapping m's first session is the flow's and live. */
static inline bool est_head(const map_ent *e, const s46_cgn_flow *f, uint32_t now)
{
    return mhead(e) != NONE && e->h_rem == f->rem_addr && e->h_rport == f->rem_port &&
           !s46_due(e->h_exp, now);
}

/* Flow f's mapping if f is a packet of its live first session, from m,
 * the first mapping of f's hash on the index (its full lookup when m is
 * another flow's); NONE otherwise. Outbound, f toward a pool address is
 * not one (it hairpins). */
static inline uint32_t est_out(const s46_cgn *g, s46_cgn_flow *f, uint32_t h, uint32_t m,
                               uint32_t now)
{
    if (f->proto >= S46_CGN_NPROTO)
        return NONE;
    if (m != NONE) {
        const map_ent *e = &g->maps[m];
        if (e->int_addr != f->int_addr || e->int_port != f->int_port ||
            mproto(e) != f->proto || !key_eq(&e->key, &f->sub))
            m = est_probe_out(g, f, h);
    }
    if (m == NONE || !est_head(&g->maps[m], f, now) || s46_cgn_is_external(g, f->rem_addr))
        return NONE;
    f->ext_addr = g->maps[m].ext_addr;
    f->ext_port = g->maps[m].ext_port;
    f->new_block = false;
    return m;
}

static inline uint32_t est_in(const s46_cgn *g, s46_cgn_flow *f, uint32_t h, uint32_t m,
                              uint32_t now)
{
    /* a mapping at the address and port is one of this instance's blocks
     * on a pool address: find_ext's checks hold */
    if (f->proto >= S46_CGN_NPROTO || g->npend)
        return NONE;
    if (m != NONE) {
        const map_ent *e = &g->maps[m];
        if (e->ext_port != f->ext_port || mproto(e) != f->proto || e->ext_addr != f->ext_addr)
            m = est_probe_in(g, f, h);
    }
    if (m == NONE || !est_head(&g->maps[m], f, now))
        return NONE;
    const map_ent *e = &g->maps[m];
    f->sub = e->key;
    f->int_addr = e->int_addr;
    f->int_port = e->int_port;
    return m;
}

uint32_t s46_cgn_est_slot(const s46_cgn *g, const s46_cgn_hint *h, bool outbound)
{
    uint32_t m = outbound ? midx_first(g, g->mo_idx, g->mo_mask, h->h)
                          : midx_first(g, g->mi_idx, g->mi_mask, h->h);
    if (m != NONE)
        PF(&g->maps[m]);
    return m;
}

uint32_t s46_cgn_est_one(const s46_cgn *g, s46_cgn_flow *f, const s46_cgn_hint *h, uint32_t m,
                         bool outbound, uint32_t now)
{
    return outbound ? est_out(g, f, h->h, m, now) : est_in(g, f, h->h, m, now);
}

void s46_cgn_est_touch(s46_cgn *g, uint32_t ref, uint8_t tcp_flags, bool outbound, uint32_t now)
{
    const map_ent *e = &g->maps[ref];
    unsigned proto = mproto(e);
    if (proto != S46_CGN_TCP) {
        /* inbound UDP and ICMP do not refresh; outbound, most packets
         * find the expiry their second already set */
        if (!outbound || now + timeout_st(g, proto, e->h_tcp) == e->h_exp)
            return;
    }
    refresh(g, ref, mhead(e), proto, tcp_flags, outbound, now);
}

static void count_refusal(s46_cgn *g, s46_cgn_result r, int which)
{
    switch (r) {
    case S46_CGN_NO_ADDRESS: COUNT(g, refused_no_address); break;
    case S46_CGN_NO_BLOCK: COUNT(g, refused_no_block); break;
    case S46_CGN_SUB_MAPPINGS: COUNT(g, refused_sub_mappings); break;
    case S46_CGN_SUB_SESSIONS: COUNT(g, refused_sub_sessions); break;
    case S46_CGN_SUB_RATE: COUNT(g, refused_sub_rate); break;
    case S46_CGN_LOG_REFUSED: COUNT(g, refused_log); break;
    case S46_CGN_FULL: full(g, which); break;
    default: break;
    }
}

s46_cgn_result s46_cgn_outbound(s46_cgn *g, s46_cgn_flow *f, uint8_t tcp_flags, uint32_t now)
{
    int which = FULL_SESS;
    f->new_block = false;
    if (f->proto >= S46_CGN_NPROTO)
        return S46_CGN_NOT_FOUND;
    s46_cgn_result r = outbound_once(g, f, tcp_flags, now, &which);
    if (r != S46_CGN_OK && r != S46_CGN_SUB_RATE && r != S46_CGN_LOG_REFUSED &&
        expire(g, now, RECLAIM_BUDGET) > 0) {
        f->new_block = false;
        r = outbound_once(g, f, tcp_flags, now, &which);
    }
    if (r != S46_CGN_OK)
        count_refusal(g, r, which);
    return r;
}

/* The mapping at (proto, external address, port), checking ownership. */
static s46_cgn_result find_ext(const s46_cgn *g, unsigned proto, uint32_t ext_addr,
                               uint16_t ext_port, uint32_t *m)
{
    uint32_t a = s46_cgn_pool_index(g->pool, ext_addr);
    if (proto >= S46_CGN_NPROTO || a == NONE || ext_port < g->cfg.port_min ||
        ext_port >= g->port_end ||
        s46_cgn_owner_in(ext_port, g->cfg.port_min, g->cfg.block_size, g->cfg.shares) !=
            g->cfg.share)
        return S46_CGN_NOT_OURS;
    *m = find_mi(g, proto, ext_addr, ext_port);
    return *m == NONE ? S46_CGN_NOT_FOUND : S46_CGN_OK;
}

s46_cgn_result s46_cgn_inbound(s46_cgn *g, s46_cgn_flow *f, uint8_t tcp_flags, uint32_t now)
{
    uint32_t m, sslot;
    s46_cgn_result r = find_ext(g, f->proto, f->ext_addr, f->ext_port, &m);
    if (r != S46_CGN_OK) {
        if (r == S46_CGN_NOT_OURS)
            COUNT(g, in_not_ours);
        else
            COUNT(g, in_not_found);
        return r;
    }
    /* the mapping's first session when it is the packet's (one remote per
     * mapping is the common case: no session index read) */
    const map_ent *me = &g->maps[m];
    uint32_t x = mhead(me);
    if (x != NONE && me->h_rem == f->rem_addr && me->h_rport == f->rem_port &&
        !s46_due(me->h_exp, now)) {
        /* live: from the mapping's copy of it */
        f->sub = me->key;
        f->int_addr = me->int_addr;
        f->int_port = me->int_port;
        if (f->proto == S46_CGN_TCP) /* inbound UDP and ICMP do not refresh */
            refresh(g, m, x, f->proto, tcp_flags, false, now);
        return S46_CGN_OK;
    }
    if (x == NONE || me->h_rem != f->rem_addr || me->h_rport != f->rem_port)
        x = find_sess(g, m, f->rem_addr, f->rem_port, &sslot);
    if (x != NONE && reap(g, x, now)) {
        /* the mapping may have gone with it */
        return s46_cgn_inbound(g, f, tcp_flags, now);
    }
    bool created = false;
    if (x == NONE) {
        sub_ent *se = &g->subs[g->maps[m].sub];
        bool ok = g->cfg.filter == S46_CGN_FILTER_EIF;
        for (uint32_t y = mhead(me); !ok && y != NONE; y = g->sess[y].next)
            ok = g->sess[y].rem_addr == f->rem_addr && !s46_due(g->sess[y].expires, now);
        if (!ok) {
            COUNT(g, in_filtered);
            return S46_CGN_FILTERED;
        }
        if ((r = sess_allowed(g, se, now, false)) != S46_CGN_OK ||
            g->maps[m].nsess == UINT16_MAX) {
            if (r == S46_CGN_OK)
                r = S46_CGN_FULL;
            count_refusal(g, r, FULL_SESS);
            return r;
        }
        x = new_sess(g, m, f->rem_addr, f->rem_port, sslot, false, now);
        created = true;
    }
    sess_ent *e = &g->sess[x];
    f->sub = me->key;
    f->int_addr = me->int_addr;
    f->int_port = me->int_port;
    if (f->proto == S46_CGN_TCP) {
        e->tcp = (uint8_t)s46_tcp_next(e->tcp, tcp_flags, false);
        if (mhead(me) == x)
            g->maps[m].h_tcp = e->tcp;
    }
    if (f->proto == S46_CGN_TCP || created) {
        uint32_t exp = now + timeout_of(g, f->proto, e);
        if (created || exp != e->expires)
            set_expiry(g, x, exp);
    }
    return S46_CGN_OK;
}

/* ---- invariants (tests) ---- */

static bool idx_has(const uint32_t *tab, uint32_t mask, uint32_t h, uint32_t v)
{
    for (uint32_t i = h & mask, n = 0; n <= mask; i = (i + 1) & mask, n++) {
        if (tab[i] == v)
            return true;
        if (tab[i] == NONE)
            return false;
    }
    return false;
}

static uint32_t idx_count(const uint32_t *tab, uint32_t mask)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i <= mask; i++)
        n += tab[i] != NONE;
    return n;
}
/* Mapping m on h's probe, with h's tag. */
static bool midx_has(const s46_cgn *g, const uint32_t *tab, uint32_t mask, uint32_t h, uint32_t m)
{
    for (uint32_t i = h & mask, n = 0; n <= mask; i = (i + 1) & mask, n++) {
        if (tab[i] == NONE)
            return false;
        if ((tab[i] & g->mnum) == m)
            return tab[i] == midx_word(g, h, m);
    }
    return false;
}

bool s46_cgn_check(const s46_cgn *g, char *err, size_t errlen)
{
    const s46_cgn_config *c = &g->cfg;
#define BAD(...) do { s46_seterr(err, errlen, __VA_ARGS__); return false; } while (0)
    if (g->npend || g->npend_s)
        BAD("entries pending outside a batch");
    uint32_t nsubs = 0, nmaps = 0, nsess = 0, nblks = 0;
    for (uint32_t s = 0; s < c->max_subscribers; s++) {
        const sub_ent *se = &g->subs[s];
        if (se->nblocks == SUB_FREE)
            continue;
        nsubs++;
        if (!idx_has(g->sub_idx, g->sub_mask, key_hash(&se->key), s))
            BAD("subscriber %u not in its index", s);
        uint32_t nb = 0;
        for (uint32_t b = se->blocks; b != NONE; b = g->blks[b].next, nb++)
            if (g->blks[b].sub != s || g->blks[b].addr != se->addr)
                BAD("block %u of subscriber %u: owner or address differs", b, s);
        if (nb != se->nblocks)
            BAD("subscriber %u: %u blocks listed, %u counted", s, nb, se->nblocks);
    }
    for (uint32_t b = 0; b < c->max_blocks; b++)
        nblks += g->blks[b].sub != NONE;
    uint32_t *sub_maps = calloc(c->max_subscribers, sizeof *sub_maps);
    uint32_t *sub_sess = calloc(c->max_subscribers, sizeof *sub_sess);
    if (!sub_maps || !sub_sess) {
        free(sub_maps);
        free(sub_sess);
        BAD("out of memory");
    }
    bool ok = true;
    for (uint32_t m = 0; ok && m < c->max_mappings; m++) {
        const map_ent *e = &g->maps[m];
        unsigned proto = mproto(e);
        if (proto == PROTO_FREE)
            continue;
        nmaps++;
        uint32_t s = g->maps[m].sub;
        const sub_ent *se = s < c->max_subscribers ? &g->subs[s] : NULL;
        s46_cgn_key pk = g->prefix_subs ? s46_cgn_key_prefix(&e->key, c->sub_len) : e->key;
        ok = false;
        if (proto >= S46_CGN_NPROTO || !se || se->nblocks == SUB_FREE)
            s46_seterr(err, errlen, "mapping %u: bad protocol or subscriber", m);
        else if (memcmp(pk.b, se->key.b, 16) || e->ext_addr != se->ext)
            s46_seterr(err, errlen, "mapping %u: key or address not its subscriber's", m);
        else if (!midx_has(g, g->mo_idx, g->mo_mask, mo_hash_of(g, m), m) ||
                 !midx_has(g, g->mi_idx, g->mi_mask, mi_hash_of(g, m), m))
            s46_seterr(err, errlen, "mapping %u not in both indexes", m);
        else
            ok = true;
        if (!ok)
            break;
        if (e->ext_port < c->port_min || e->ext_port >= g->port_end) {
            s46_seterr(err, errlen, "mapping %u: port %u in no block", m, e->ext_port);
            ok = false;
            break;
        }
        uint32_t slot = (uint32_t)(e->ext_port - c->port_min) / c->block_size, b;
        for (b = se->blocks; b != NONE && g->blks[b].slot != slot; b = g->blks[b].next)
            ;
        uint32_t i = b == NONE ? 0 : (uint32_t)(e->ext_port - blk_first(g, &g->blks[b]));
        if (b == NONE || !(blk_bits(g, b, proto)[i / 64] >> (i % 64) & 1)) {
            s46_seterr(err, errlen, "mapping %u: its port is not taken in a block of its "
                       "subscriber", m);
            ok = false;
            break;
        }
        uint32_t n = 0;
        for (uint32_t x = mhead(e); x != NONE && n <= c->max_sessions; x = g->sess[x].next, n++)
            if (g->sess[x].map != m) {
                s46_seterr(err, errlen, "session %u on the list of mapping %u is not its", x, m);
                ok = false;
                break;
            }
        uint32_t h = mhead(e);
        if (ok && h != NONE &&
            (e->h_rem != g->sess[h].rem_addr || e->h_rport != g->sess[h].rem_port ||
             e->h_exp != g->sess[h].expires || e->h_tcp != g->sess[h].tcp)) {
            s46_seterr(err, errlen, "mapping %u: its copy of its first session differs", m);
            ok = false;
        }
        if (ok && (n != g->maps[m].nsess || n == 0)) {
            s46_seterr(err, errlen, "mapping %u: %u sessions listed, %u counted", m, n,
                       g->maps[m].nsess);
            ok = false;
        }
        sub_maps[s]++;
        sub_sess[s] += n;
    }
    for (uint32_t x = 0; ok && x < c->max_sessions; x++) {
        const sess_ent *e = &g->sess[x];
        if (e->map == NONE)
            continue;
        nsess++;
        if (e->map >= c->max_mappings || mproto(&g->maps[e->map]) == PROTO_FREE ||
            !idx_has(g->s_idx, g->s_mask, s_hash_of(g, x), x)) {
            s46_seterr(err, errlen, "session %u: no live mapping or not in its index", x);
            ok = false;
        }
    }
    for (uint32_t s = 0; ok && s < c->max_subscribers; s++)
        if (g->subs[s].nblocks != SUB_FREE &&
            (g->subs[s].nmaps != sub_maps[s] || g->subs[s].nsess != sub_sess[s])) {
            s46_seterr(err, errlen, "subscriber %u: mapping or session count differs", s);
            ok = false;
        }
    free(sub_maps);
    free(sub_sess);
    if (!ok)
        return false;
    if (nsubs != g->nsubs || nmaps != g->nmaps || nsess != g->nsessions || nblks != g->nblks)
        BAD("totals differ: subscribers %u/%u, mappings %u/%u, sessions %u/%u, blocks %u/%u",
            nsubs, g->nsubs, nmaps, g->nmaps, nsess, g->nsessions, nblks, g->nblks);
    if (idx_count(g->sub_idx, g->sub_mask) != nsubs || idx_count(g->mo_idx, g->mo_mask) != nmaps ||
        idx_count(g->mi_idx, g->mi_mask) != nmaps || idx_count(g->s_idx, g->s_mask) != nsess)
        BAD("an index holds entries that are not live");
#undef BAD
    return true;
}

static bool map_live(const s46_cgn *g, uint32_t m, uint32_t now)
{
    for (uint32_t x = mhead(&g->maps[m]); x != NONE; x = g->sess[x].next)
        if (!s46_due(g->sess[x].expires, now))
            return true;
    return false;
}

bool s46_cgn_lookup_ext(const s46_cgn *g, uint8_t proto, uint32_t ext_addr, uint16_t ext_port,
                        s46_cgn_key *sub, uint32_t *int_addr, uint16_t *int_port, uint32_t now)
{
    uint32_t m;
    if (find_ext(g, proto, ext_addr, ext_port, &m) != S46_CGN_OK || !map_live(g, m, now))
        return false;
    *sub = g->maps[m].key;
    *int_addr = g->maps[m].int_addr;
    *int_port = g->maps[m].int_port;
    return true;
}

bool s46_cgn_lookup_int(const s46_cgn *g, uint8_t proto, const s46_cgn_key *sub,
                        uint32_t int_addr, uint16_t int_port, uint32_t *ext_addr,
                        uint16_t *ext_port, uint32_t now)
{
    if (proto >= S46_CGN_NPROTO)
        return false;
    uint32_t m = find_mo(g, sub, proto, int_addr, int_port, NULL);
    if (m == NONE || !map_live(g, m, now))
        return false;
    *ext_addr = g->maps[m].ext_addr;
    *ext_port = g->maps[m].ext_port;
    return true;
}

void s46_cgn_stats_get(const s46_cgn *g, s46_cgn_stats *s)
{
    memset(s, 0, sizeof *s);
    const s46_cgn_config *c = &g->cfg;
    s->subscribers = g->nsubs;
    s->blocks = g->nblks;
    s->mappings = g->nmaps;
    s->sessions = g->nsessions;
    s->pool_addresses = g->naddr;
    s->blocks_per_address = g->bpa;
    s->blocks_owned = g->naddr * g->slots_mine;
    s->addresses_in_use = g->addrs_used;
    uint64_t sb = (uint64_t)c->max_sessions * sizeof(sess_ent) +
                  ((uint64_t)g->s_mask + 1) * sizeof(uint32_t) + s46_expiry_bytes(&g->exp);
    uint64_t mb = (uint64_t)c->max_mappings * sizeof(map_ent) +
                  ((uint64_t)g->mo_mask + 1 + g->mi_mask + 1) * sizeof(uint32_t);
    uint64_t bb = (uint64_t)c->max_blocks *
                  (sizeof(blk_ent) + (uint64_t)S46_CGN_NPROTO * g->words_pb * sizeof(uint64_t));
    uint64_t ub = (uint64_t)c->max_subscribers * sizeof(sub_ent) +
                  ((uint64_t)g->sub_mask + 1) * sizeof(uint32_t);
    uint64_t ab = (uint64_t)g->naddr * (g->words_pa * sizeof(uint64_t) + 2 * sizeof(uint16_t));
    s->bytes_per_session = (uint32_t)((sb + c->max_sessions - 1) / c->max_sessions);
    s->bytes_per_mapping = (uint32_t)((mb + c->max_mappings - 1) / c->max_mappings);
    s->bytes_per_block = (uint32_t)((bb + c->max_blocks - 1) / c->max_blocks);
    s->bytes_per_subscriber = (uint32_t)((ub + c->max_subscribers - 1) / c->max_subscribers);
    s->bytes_total = sb + mb + bb + ub + ab + sizeof *g;
}

void s46_cgn_walk_blocks(const s46_cgn *g, bool (*fn)(const s46_cgn_block_info *, void *),
                         void *arg)
{
    for (uint32_t b = 0; b < g->cfg.max_blocks; b++) {
        const blk_ent *e = &g->blks[b];
        if (e->sub == NONE)
            continue;
        uint16_t first = blk_first(g, e);
        s46_cgn_block_info bi = {g->subs[e->sub].key, g->subs[e->sub].ext, first,
                                 (uint16_t)(first + g->cfg.block_size - 1),
                                 (uint16_t)blk_used(e), e->idle != 0, e->idle_since};
        if (!fn(&bi, arg))
            return;
    }
}
