#include "lib/napt.h"
#include "lib/hash.h"
#include "lib/expiry.h"
#include "lib/maprule.h"
#include "lib/tcp_state.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(S46_TCP_FIN == 0x01 && S46_TCP_SYN == 0x02 && S46_TCP_RST == 0x04,
               "the TCP header's flag bits, as s46_tcp_next reads them");

#define NONE UINT32_MAX
#define NIL24 0xffffffu /* NONE in a 24-bit session link */


#define FREE_PROTO 0xff

typedef struct map_ent {   /* 16 bytes */
    uint32_t int_addr;
    uint16_t int_port, ext_port;
    uint32_t sess_head;    /* first session of this mapping, or next free */
    uint16_t nsess;
    uint8_t proto;         /* FREE_PROTO marks a free entry */
    uint8_t pad;
} map_ent;

/* 16 bytes. The owning mapping is the one holding (proto, ext_port):
 * by_ext[proto][port index]. */
typedef struct sess_ent {
    uint32_t rem_addr;
    uint32_t expires;
    uint32_t next : 24;    /* next session of the mapping, or next free; NIL24 ends */
    uint32_t tcp : 3;      /* enum s46_tcp_state */
    uint32_t proto : 2;    /* S46_NAPT_TCP/UDP/ICMP, or S_FREE */
    uint32_t pad : 3;
    uint16_t rem_port, ext_port;
} sess_ent;
#define S_FREE 3
_Static_assert(sizeof(sess_ent) == 16, "a session is 16 bytes");

/* by_ext[proto][port index] holds a mapping index (< 2^24) for a port in
 * use; for a free port of this table, PFREE | the next free port of its
 * queue (PEND ends the queue); NOT_OURS for port 0 and the ports of other
 * shares. */
#define PFREE 0x80000000u
#define PEND 0x1ffffu
#define NOT_OURS UINT32_MAX
static inline bool is_map(uint32_t v) { return v < PFREE; }

/* Free ports of one protocol, class and parity: a queue threaded through
 * by_ext, taken at the head, given back at the tail. */
typedef struct portq {
    uint32_t head, tail, count;
} portq;

/* Looked-at sessions (and skipped blocks) of the sweep an outbound packet
 * runs before it is refused for want of a port or a mapping. */
#define RECLAIM_BUDGET 8192

struct s46_napt {
    s46_napt_config cfg;
    uint32_t nports;          /* size of the port set */
    map_ent *maps;            /* [max_mappings] */
    sess_ent *sess;           /* [max_sessions] */
    uint32_t *map_idx;        /* hash (proto, int addr, int port) -> map */
    uint32_t *sess_idx;       /* hash (proto, ext port, rem addr, rem port) -> sess */
    uint32_t map_mask, sess_mask;
    uint32_t *by_ext[S46_NAPT_NPROTO]; /* port-set index -> map, or free-port link */
    portq q[S46_NAPT_NPROTO][2][2];    /* [proto][class: 0 = 1-1023 with psid_len 0][parity] */
    uint32_t owned;                    /* ports of the set this table hands out */
    uint32_t free_map, free_sess, nmaps, nsessions;
    uint32_t ports_used[S46_NAPT_NPROTO];
    s46_expiry exp;                    /* the sessions' expiry sweep (lib/expiry.h) */
    uint64_t rng;
    bool last_created;
};

bool s46_napt_last_created(const s46_napt *t) { return t->last_created; }

void s46_napt_config_default(s46_napt_config *c)
{
    memset(c, 0, sizeof *c);
    c->max_mappings = 4096;
    c->max_sessions = 16384;
    c->filter = S46_NAPT_FILTER_ADF;
    c->udp_timeout = 300;
    c->udp_short_timeout = 30;
    c->tcp_est_timeout = 7440;
    c->tcp_trans_timeout = 240;
    c->icmp_timeout = 60;
    c->short_ports[0] = 53;
    c->seed = 0x9e3779b97f4a7c15ULL;
}


static uint32_t rnd(s46_napt *t)
{
    t->rng ^= t->rng << 13;
    t->rng ^= t->rng >> 7;
    t->rng ^= t->rng << 17;
    return (uint32_t)(t->rng >> 16);
}

static inline uint32_t s_next(const sess_ent *e) { return e->next == NIL24 ? NONE : e->next; }
static inline void s_set_next(sess_ent *e, uint32_t n) { e->next = n & NIL24; }

/* Every write of a session's expiry time goes through here. */
static inline void set_expiry(s46_napt *t, uint32_t s, uint32_t v)
{
    t->sess[s].expires = v;
    s46_expiry_note(&t->exp, s, v);
}

static uint32_t map_hash(unsigned proto, uint32_t addr, uint16_t port)
{
    return (uint32_t)s46_mix64((uint64_t)addr << 24 | (uint64_t)port << 8 | proto);
}

static uint32_t sess_hash(unsigned proto, uint16_t ext, uint32_t rem, uint16_t rport)
{
    return (uint32_t)s46_mix64((uint64_t)rem << 32 | (uint64_t)ext << 16 | rport) ^ proto;
}

static uint32_t map_hash_of(const s46_napt *t, uint32_t i)
{
    return map_hash(t->maps[i].proto, t->maps[i].int_addr, t->maps[i].int_port);
}

static uint32_t sess_hash_of(const s46_napt *t, uint32_t i)
{
    const sess_ent *s = &t->sess[i];
    return sess_hash(s->proto, s->ext_port, s->rem_addr, s->rem_port);
}

/* Linear-probing removal with backward shift (no tombstones). */
static void idx_remove(uint32_t *tab, uint32_t mask, uint32_t slot, const s46_napt *t,
                       uint32_t (*hash_of)(const s46_napt *, uint32_t))
{
    uint32_t hole = slot;
    for (uint32_t j = (slot + 1) & mask; tab[j] != NONE; j = (j + 1) & mask) {
        uint32_t home = hash_of(t, tab[j]) & mask;
        /* Move j into the hole if its home is not cyclically in (hole, j]. */
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            tab[hole] = tab[j];
            hole = j;
        }
    }
    tab[hole] = NONE;
}

static uint32_t pow2_at_least(uint64_t n)
{
    uint32_t c = 16;
    while (c < n)
        c <<= 1;
    return c;
}

/* Index of a port in the port set, or NONE when outside it. */
static uint32_t port_index(const s46_napt *t, uint16_t port)
{
    unsigned a = t->cfg.psid_offset, k = t->cfg.psid_len;
    if (!s46_port_in_set(a, k, t->cfg.psid, port))
        return NONE;
    if (k == 0)
        return port;
    unsigned m = 16 - a - k;
    uint32_t j = port & ((1u << m) - 1);
    uint32_t A = a ? (uint32_t)port >> (16 - a) : 1;
    return (A - 1) << m | j;
}

static uint16_t port_at(const s46_napt *t, uint32_t idx)
{
    return s46_portset_nth(t->cfg.psid_offset, t->cfg.psid_len, t->cfg.psid, idx);
}

/* The free-port queue a port belongs to. With the whole port space
 * (psid_len 0: a full IPv4 address) ports 1-1023 are a class of their own
 * (RFC 4787 REQ-3 a); a MAP port set with offset > 0 holds no system ports. */
static portq *queue_of(s46_napt *t, unsigned proto, uint16_t port)
{
    unsigned cls = t->cfg.psid_len == 0 && port < 1024 ? 0 : 1;
    return &t->q[proto][cls][port & 1];
}

static void port_put(s46_napt *t, unsigned proto, uint32_t idx)
{
    portq *q = queue_of(t, proto, port_at(t, idx));
    t->by_ext[proto][idx] = PFREE | PEND;
    if (q->tail != PEND)
        t->by_ext[proto][q->tail] = PFREE | idx;
    else
        q->head = idx;
    q->tail = idx;
    q->count++;
}

static uint32_t port_take(s46_napt *t, unsigned proto, portq *q)
{
    uint32_t idx = q->head, next = t->by_ext[proto][idx] & ~PFREE;
    q->head = next;
    if (next == PEND)
        q->tail = PEND;
    q->count--;
    return idx;
}

/* Fills the free-port queues with the ports of this table's share, each
 * protocol in its own random order: the port-set indices 0..2^b-1 through
 * a keyed bijection (odd multiplier, xorshift), those outside the set
 * skipped. */
static void fill_queues(s46_napt *t)
{
    unsigned shares = t->cfg.shares, share = t->cfg.share;
    uint32_t n = t->nports, b = 0;
    while ((1u << b) < n)
        b++;
    uint32_t mask = (1u << b) - 1, h = b / 2 + 1;
    t->owned = 0;
    for (unsigned p = 0; p < S46_NAPT_NPROTO; p++) {
        memset(t->by_ext[p], 0xff, 65536 * sizeof *t->by_ext[p]);
        for (unsigned c = 0; c < 2; c++)
            for (unsigned par = 0; par < 2; par++)
                t->q[p][c][par] = (portq){PEND, PEND, 0};
        uint32_t k1 = rnd(t) | 1, k2 = rnd(t), k3 = rnd(t) | 1;
        for (uint32_t r = 0; r <= mask; r++) {
            uint32_t x = (r * k1 + k2) & mask;
            x ^= x >> h;
            x = (x * k3) & mask;
            x ^= x >> h;
            if (x >= n)
                continue;
            uint16_t port = port_at(t, x);
            if (port == 0 || s46_napt_port_owner(port, shares) != share)
                continue;
            port_put(t, p, x);
            t->owned += p == 0;
        }
    }
}

s46_napt *s46_napt_new(const s46_napt_config *c)
{
    s46_napt *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->cfg = *c;
    if (t->cfg.udp_timeout < 120)
        t->cfg.udp_timeout = 120;
    if (t->cfg.shares == 0)
        t->cfg.shares = 1;
    if (t->cfg.max_mappings == 0 || t->cfg.max_mappings > (1u << 24) ||
        t->cfg.max_sessions == 0 || t->cfg.max_sessions >= (1u << 24) ||
        t->cfg.shares > S46_NAPT_MAX_SHARES || t->cfg.share >= t->cfg.shares)
        goto fail;
    t->map_mask = pow2_at_least(2ull * c->max_mappings) - 1;
    t->sess_mask = pow2_at_least(2ull * c->max_sessions) - 1;
    t->maps = malloc(c->max_mappings * sizeof *t->maps);
    t->sess = malloc(c->max_sessions * sizeof *t->sess);
    t->map_idx = malloc(((size_t)t->map_mask + 1) * sizeof *t->map_idx);
    t->sess_idx = malloc(((size_t)t->sess_mask + 1) * sizeof *t->sess_idx);
    for (int p = 0; p < S46_NAPT_NPROTO; p++)
        t->by_ext[p] = malloc(65536 * sizeof *t->by_ext[p]);
    if (!t->maps || !t->sess || !t->map_idx || !t->sess_idx ||
        s46_expiry_init(&t->exp, c->max_sessions) < 0 || !t->by_ext[0] || !t->by_ext[1] ||
        !t->by_ext[2])
        goto fail;
    t->rng = c->seed ? c->seed : 1;
    s46_napt_reset(t, c->ext_addr, c->psid_offset, c->psid_len, c->psid);
    return t;
fail:
    s46_napt_free(t);
    return NULL;
}

void s46_napt_free(s46_napt *t)
{
    if (!t)
        return;
    free(t->maps);
    free(t->sess);
    free(t->map_idx);
    free(t->sess_idx);
    s46_expiry_fini(&t->exp);
    for (int p = 0; p < S46_NAPT_NPROTO; p++)
        free(t->by_ext[p]);
    free(t);
}

void s46_napt_reset(s46_napt *t, uint32_t ext_addr, uint8_t psid_offset, uint8_t psid_len,
                    uint16_t psid)
{
    t->cfg.ext_addr = ext_addr;
    t->cfg.psid_offset = psid_offset;
    t->cfg.psid_len = psid_len;
    t->cfg.psid = psid;
    t->nports = s46_portset_count(psid_offset, psid_len);
    for (uint32_t i = 0; i < t->cfg.max_mappings; i++) {
        t->maps[i].proto = FREE_PROTO;
        t->maps[i].sess_head = i + 1 < t->cfg.max_mappings ? i + 1 : NONE;
    }
    for (uint32_t i = 0; i < t->cfg.max_sessions; i++) {
        t->sess[i].proto = S_FREE;
        s_set_next(&t->sess[i], i + 1 < t->cfg.max_sessions ? i + 1 : NONE);
    }
    memset(t->map_idx, 0xff, ((size_t)t->map_mask + 1) * sizeof *t->map_idx);
    memset(t->sess_idx, 0xff, ((size_t)t->sess_mask + 1) * sizeof *t->sess_idx);
    s46_expiry_reset(&t->exp);
    for (int p = 0; p < S46_NAPT_NPROTO; p++)
        t->ports_used[p] = 0;
    fill_queues(t);
    t->free_map = 0;
    t->free_sess = 0;
    t->nmaps = t->nsessions = 0;
}

void s46_napt_set_policy(s46_napt *t, const s46_napt_config *c)
{
    t->cfg.filter = c->filter;
    t->cfg.udp_timeout = c->udp_timeout < 120 ? 120 : c->udp_timeout;
    t->cfg.udp_short_timeout = c->udp_short_timeout;
    t->cfg.tcp_est_timeout = c->tcp_est_timeout;
    t->cfg.tcp_trans_timeout = c->tcp_trans_timeout;
    t->cfg.icmp_timeout = c->icmp_timeout;
    memcpy(t->cfg.short_ports, c->short_ports, sizeof t->cfg.short_ports);
}

static uint32_t find_map(const s46_napt *t, unsigned proto, uint32_t addr, uint16_t port,
                         uint32_t *slot)
{
    uint32_t i = map_hash(proto, addr, port) & t->map_mask;
    for (;; i = (i + 1) & t->map_mask) {
        uint32_t m = t->map_idx[i];
        if (m == NONE || (t->maps[m].proto == proto && t->maps[m].int_addr == addr &&
                          t->maps[m].int_port == port)) {
            if (slot)
                *slot = i;
            return m;
        }
    }
}

static uint32_t find_sess(const s46_napt *t, unsigned proto, uint16_t ext, uint32_t rem,
                          uint16_t rport, uint32_t *slot)
{
    uint32_t i = sess_hash(proto, ext, rem, rport) & t->sess_mask;
    for (;; i = (i + 1) & t->sess_mask) {
        uint32_t s = t->sess_idx[i];
        if (s == NONE || (t->sess[s].rem_addr == rem && t->sess[s].rem_port == rport &&
                          t->sess[s].ext_port == ext && t->sess[s].proto == proto)) {
            if (slot)
                *slot = i;
            return s;
        }
    }
}

static void free_map(s46_napt *t, uint32_t m)
{
    map_ent *e = &t->maps[m];
    uint32_t slot;
    unsigned proto = e->proto;
    find_map(t, proto, e->int_addr, e->int_port, &slot);
    idx_remove(t->map_idx, t->map_mask, slot, t, map_hash_of);
    port_put(t, proto, port_index(t, e->ext_port));
    t->ports_used[proto]--;
    e->proto = FREE_PROTO;
    e->sess_head = t->free_map;
    t->free_map = m;
    t->nmaps--;
}

static void free_sess(s46_napt *t, uint32_t s)
{
    sess_ent *e = &t->sess[s];
    uint32_t slot, m = t->by_ext[e->proto][port_index(t, e->ext_port)];
    find_sess(t, e->proto, e->ext_port, e->rem_addr, e->rem_port, &slot);
    idx_remove(t->sess_idx, t->sess_mask, slot, t, sess_hash_of);
    uint32_t prev = NONE, x = t->maps[m].sess_head;
    while (x != s) {
        prev = x;
        x = s_next(&t->sess[x]);
    }
    if (prev == NONE)
        t->maps[m].sess_head = s_next(e);
    else
        s_set_next(&t->sess[prev], s_next(e));
    e->proto = S_FREE;
    s_set_next(e, t->free_sess);
    t->free_sess = s;
    t->nsessions--;
    if (--t->maps[m].nsess == 0)
        free_map(t, m);
}

/* A session that has expired is freed on sight. Returns true if it was. */
static bool reap(s46_napt *t, uint32_t s, uint32_t now)
{
    if (!s46_due(t->sess[s].expires, now))
        return false;
    free_sess(t, s);
    return true;
}

static s46_exp_visit expire_one(void *arg, uint32_t s, uint32_t now, uint32_t *t)
{
    s46_napt *n = arg;
    const sess_ent *e = &n->sess[s];
    if (e->proto == S_FREE)
        return S46_EXP_EMPTY;
    if (!s46_due(e->expires, now)) {
        *t = e->expires;
        return S46_EXP_LIVE;
    }
    free_sess(n, s);
    return S46_EXP_FREED;
}

uint32_t s46_napt_expire(s46_napt *t, uint32_t now, uint32_t budget)
{
    return s46_expiry_sweep(&t->exp, now, budget, expire_one, t);
}

static uint32_t timeout_of(const s46_napt *t, const sess_ent *s)
{
    switch (s->proto) {
    case S46_NAPT_TCP:
        return s46_tcp_established(s->tcp) ? t->cfg.tcp_est_timeout : t->cfg.tcp_trans_timeout;
    case S46_NAPT_UDP:
        for (int i = 0; i < 4; i++)
            if (t->cfg.short_ports[i] && t->cfg.short_ports[i] == s->rem_port)
                return t->cfg.udp_short_timeout;
        return t->cfg.udp_timeout;
    default:
        return t->cfg.icmp_timeout;
    }
}

/* The queue to take a port from: the internal port's class (psid_len 0)
 * and, where one is left, its parity (RFC 4787 REQ-4); NULL when the class
 * has no free port in this table's share. */
static portq *free_queue(s46_napt *t, unsigned proto, uint16_t int_port)
{
    unsigned cls = t->cfg.psid_len == 0 && int_port < 1024 ? 0 : 1;
    portq *q = &t->q[proto][cls][int_port & 1];
    if (q->count == 0)
        q = &t->q[proto][cls][~int_port & 1];
    return q->count ? q : NULL;
}

static s46_napt_result new_map(s46_napt *t, s46_napt_flow *f, uint32_t slot, uint32_t *out)
{
    portq *q = free_queue(t, f->proto, f->int_port);
    if (!q)
        return S46_NAPT_NO_PORT;
    if (t->free_map == NONE)
        return S46_NAPT_NO_MAPPING;
    uint32_t idx = port_take(t, f->proto, q);
    uint32_t m = t->free_map;
    map_ent *e = &t->maps[m];
    t->free_map = e->sess_head;
    e->int_addr = f->int_addr;
    e->int_port = f->int_port;
    e->ext_port = port_at(t, idx);
    e->sess_head = NONE;
    e->nsess = 0;
    e->proto = f->proto;
    t->map_idx[slot] = m;
    t->by_ext[f->proto][idx] = m;
    t->ports_used[f->proto]++;
    t->nmaps++;
    *out = m;
    return S46_NAPT_OK;
}

/* A new session of mapping m; the caller sets its expiry time. */
static uint32_t new_sess(s46_napt *t, uint32_t m, const s46_napt_flow *f, uint32_t slot)
{
    if (t->free_sess == NONE || t->maps[m].nsess == UINT16_MAX)
        return NONE;
    uint32_t s = t->free_sess;
    sess_ent *e = &t->sess[s];
    t->free_sess = s_next(e);
    e->rem_addr = f->rem_addr;
    e->rem_port = f->rem_port;
    e->ext_port = t->maps[m].ext_port;
    e->proto = t->maps[m].proto;
    e->tcp = S46_TCPS_NONE;
    s_set_next(e, t->maps[m].sess_head);
    t->maps[m].sess_head = s;
    t->maps[m].nsess++;
    t->sess_idx[slot] = s;
    t->nsessions++;
    return s;
}

s46_napt_result s46_napt_outbound(s46_napt *t, s46_napt_flow *f, uint8_t tcp_flags,
                                  uint32_t now)
{
    uint32_t slot, sslot;
    uint32_t m = find_map(t, f->proto, f->int_addr, f->int_port, &slot);
    t->last_created = m == NONE;
    if (m == NONE) {
        s46_napt_result r = new_map(t, f, slot, &m);
        if (r == S46_NAPT_NO_PORT || r == S46_NAPT_NO_MAPPING) {
            /* Reclaim what has expired (nothing to do when nothing can be
             * due yet), then try once more. */
            if (s46_napt_expire(t, now, RECLAIM_BUDGET) == 0)
                return r;
            m = find_map(t, f->proto, f->int_addr, f->int_port, &slot);
            if (m == NONE && (r = new_map(t, f, slot, &m)) != S46_NAPT_OK)
                return r;
        }
    }
    f->ext_port = t->maps[m].ext_port;
    /* fast path: the mapping's most recent session is usually this one */
    uint32_t s = t->maps[m].sess_head;
    if (s == NONE || t->sess[s].rem_addr != f->rem_addr || t->sess[s].rem_port != f->rem_port)
        s = find_sess(t, f->proto, f->ext_port, f->rem_addr, f->rem_port, &sslot);
    if (s != NONE && reap(t, s, now)) {
        /* The expired session may have taken its mapping with it. */
        return s46_napt_outbound(t, f, tcp_flags, now);
    }
    bool created = false;
    if (s == NONE) {
        s = new_sess(t, m, f, sslot);
        if (s == NONE) {
            if (t->maps[m].nsess == 0)
                free_map(t, m);
            return S46_NAPT_NO_SESSION;
        }
        created = true;
    }
    sess_ent *e = &t->sess[s];
    if (f->proto == S46_NAPT_TCP)
        e->tcp = s46_tcp_next(e->tcp, tcp_flags, true) & 7;
    uint32_t exp = now + timeout_of(t, e);
    if (created || exp != e->expires) /* an unchanged time is already in the bounds */
        set_expiry(t, s, exp);
    return S46_NAPT_OK;
}

s46_napt_result s46_napt_inbound(s46_napt *t, s46_napt_flow *f, uint8_t tcp_flags,
                                 uint32_t now)
{
    if (f->proto >= S46_NAPT_NPROTO)
        return S46_NAPT_NOT_FOUND;
    uint32_t idx = port_index(t, f->ext_port), sslot;
    if (idx == NONE)
        return S46_NAPT_NOT_FOUND;
    uint32_t m = t->by_ext[f->proto][idx];
    if (!is_map(m))
        return S46_NAPT_NOT_FOUND;
    uint32_t s = find_sess(t, f->proto, f->ext_port, f->rem_addr, f->rem_port, &sslot);
    if (s != NONE && reap(t, s, now)) {
        if (!is_map(t->by_ext[f->proto][idx]))
            return S46_NAPT_NOT_FOUND;
        s = find_sess(t, f->proto, f->ext_port, f->rem_addr, f->rem_port, &sslot);
    }
    bool created = false;
    if (s == NONE) {
        /* A new remote, on a mapping still alive (a session of it not
         * expired, whether or not the sweep has freed the others yet: a
         * dead mapping is not brought back): EIF admits anyone; ADF one we
         * have sent to. */
        bool live = false, ok = false;
        for (uint32_t x = t->maps[m].sess_head; !ok && x != NONE; x = s_next(&t->sess[x])) {
            if (s46_due(t->sess[x].expires, now))
                continue;
            live = true;
            ok = t->cfg.filter == S46_NAPT_FILTER_EIF || t->sess[x].rem_addr == f->rem_addr;
        }
        if (!live)
            return S46_NAPT_NOT_FOUND;
        if (!ok)
            return S46_NAPT_FILTERED;
        s = new_sess(t, m, f, sslot);
        if (s == NONE)
            return S46_NAPT_NO_SESSION;
        created = true;
    }
    sess_ent *e = &t->sess[s];
    f->int_addr = t->maps[m].int_addr;
    f->int_port = t->maps[m].int_port;
    /* TCP follows its state machine; a UDP/ICMP session created by this
     * packet gets a lifetime, but inbound UDP/ICMP does not otherwise
     * refresh (RFC 4787 REQ-6, RFC 7857 §7). */
    if (f->proto == S46_NAPT_TCP)
        e->tcp = s46_tcp_next(e->tcp, tcp_flags, false) & 7;
    if (f->proto == S46_NAPT_TCP || created) {
        uint32_t exp = now + timeout_of(t, e);
        if (created || exp != e->expires)
            set_expiry(t, s, exp);
    }
    return S46_NAPT_OK;
}

/* Whether mapping m has a session that has not expired. */
static bool map_live(const s46_napt *t, uint32_t m, uint32_t now)
{
    for (uint32_t x = t->maps[m].sess_head; x != NONE; x = s_next(&t->sess[x]))
        if (!s46_due(t->sess[x].expires, now))
            return true;
    return false;
}

bool s46_napt_lookup_ext(const s46_napt *t, uint8_t proto, uint16_t ext_port,
                         uint32_t *int_addr, uint16_t *int_port, uint32_t now)
{
    uint32_t idx = port_index(t, ext_port);
    if (proto >= S46_NAPT_NPROTO || idx == NONE || !is_map(t->by_ext[proto][idx]))
        return false;
    uint32_t m = t->by_ext[proto][idx];
    if (!map_live(t, m, now))
        return false;
    *int_addr = t->maps[m].int_addr;
    *int_port = t->maps[m].int_port;
    return true;
}

bool s46_napt_lookup_int(const s46_napt *t, uint8_t proto, uint32_t int_addr,
                         uint16_t int_port, uint16_t *ext_port, uint32_t now)
{
    if (proto >= S46_NAPT_NPROTO)
        return false;
    uint32_t m = find_map(t, proto, int_addr, int_port, NULL);
    if (m == NONE || !map_live(t, m, now))
        return false;
    *ext_port = t->maps[m].ext_port;
    return true;
}

void s46_napt_stats_get(const s46_napt *t, s46_napt_stats *s)
{
    memset(s, 0, sizeof *s);
    s->mappings = t->nmaps;
    s->sessions = t->nsessions;
    s->ports_total = t->nports;
    s->ports_owned = t->owned;
    for (int p = 0; p < S46_NAPT_NPROTO; p++)
        s->ports_used[p] = t->ports_used[p];
    /* Everything allocated, shared out over the capacity: the entry, its
     * index slots, (for mappings) the per-port reverse tables and (for
     * sessions) the expiry bounds of their blocks. */
    uint64_t mb = (uint64_t)t->cfg.max_mappings * sizeof(map_ent) +
                  (uint64_t)(t->map_mask + 1) * sizeof(uint32_t) +
                  (uint64_t)S46_NAPT_NPROTO * 65536 * sizeof(uint32_t);
    uint64_t sb = (uint64_t)t->cfg.max_sessions * sizeof(sess_ent) +
                  (uint64_t)(t->sess_mask + 1) * sizeof(uint32_t) +
                  s46_expiry_bytes(&t->exp);
    s->bytes_per_mapping = (uint32_t)((mb + t->cfg.max_mappings - 1) / t->cfg.max_mappings);
    s->bytes_per_session = (uint32_t)((sb + t->cfg.max_sessions - 1) / t->cfg.max_sessions);
}

void s46_napt_walk(const s46_napt *t, bool (*fn)(const s46_napt_mapping_info *, void *),
                   void *arg)
{
    for (uint32_t m = 0; m < t->cfg.max_mappings; m++) {
        const map_ent *e = &t->maps[m];
        if (e->proto == FREE_PROTO)
            continue;
        s46_napt_mapping_info mi = {e->proto, e->int_addr, e->int_port, e->ext_port,
                                    e->nsess, 0};
        for (uint32_t x = e->sess_head; x != NONE; x = s_next(&t->sess[x]))
            if ((int32_t)(t->sess[x].expires - mi.expires) > 0)
                mi.expires = t->sess[x].expires;
        if (!fn(&mi, arg))
            return;
    }
}
