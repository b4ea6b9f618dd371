#include "lib/napt.h"
#include "lib/hash.h"
#include "lib/maprule.h"

#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX

enum tcp_state { T_NONE = 0, T_SYN_OUT, T_SYN_IN, T_EST, T_FIN_OUT, T_FIN_IN, T_CLOSING };

#define FREE_PROTO 0xff

typedef struct map_ent {   /* 16 bytes */
    uint32_t int_addr;
    uint16_t int_port, ext_port;
    uint32_t sess_head;    /* first session of this mapping, or next free */
    uint16_t nsess;
    uint8_t proto;         /* FREE_PROTO marks a free entry */
    uint8_t pad;
} map_ent;

typedef struct sess_ent {  /* 20 bytes; protocol and external port are the mapping's */
    uint32_t rem_addr;
    uint32_t map;          /* owning mapping; NONE when free */
    uint32_t next;         /* next session of the mapping, or next free */
    uint32_t expires;
    uint16_t rem_port;
    uint8_t tcp, pad;
} sess_ent;

struct s46_napt {
    s46_napt_config cfg;
    uint32_t nports;          /* size of the port set */
    map_ent *maps;            /* [max_mappings] */
    sess_ent *sess;           /* [max_sessions] */
    uint32_t *map_idx;        /* hash (proto, int addr, int port) -> map */
    uint32_t *sess_idx;       /* hash (proto, ext port, rem addr, rem port) -> sess */
    uint32_t map_mask, sess_mask;
    uint32_t *by_ext[S46_NAPT_NPROTO]; /* port-set index -> map */
    uint32_t free_map, free_sess, nmaps, nsessions, sweep;
    uint32_t ports_used[S46_NAPT_NPROTO];
    uint32_t low_used[S46_NAPT_NPROTO]; /* of those, ports 1-1023 (read with psid_len 0) */
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
    const map_ent *m = &t->maps[s->map];
    return sess_hash(m->proto, m->ext_port, s->rem_addr, s->rem_port);
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

s46_napt *s46_napt_new(const s46_napt_config *c)
{
    s46_napt *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->cfg = *c;
    if (t->cfg.udp_timeout < 120)
        t->cfg.udp_timeout = 120;
    if (t->cfg.max_mappings == 0 || t->cfg.max_mappings > (1u << 24) ||
        t->cfg.max_sessions == 0 || t->cfg.max_sessions > (1u << 24))
        goto fail;
    t->map_mask = pow2_at_least(2ull * c->max_mappings) - 1;
    t->sess_mask = pow2_at_least(2ull * c->max_sessions) - 1;
    t->maps = malloc(c->max_mappings * sizeof *t->maps);
    t->sess = malloc(c->max_sessions * sizeof *t->sess);
    t->map_idx = malloc(((size_t)t->map_mask + 1) * sizeof *t->map_idx);
    t->sess_idx = malloc(((size_t)t->sess_mask + 1) * sizeof *t->sess_idx);
    for (int p = 0; p < S46_NAPT_NPROTO; p++)
        t->by_ext[p] = malloc(65536 * sizeof *t->by_ext[p]);
    if (!t->maps || !t->sess || !t->map_idx || !t->sess_idx || !t->by_ext[0] ||
        !t->by_ext[1] || !t->by_ext[2])
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
        t->sess[i].map = NONE;
        t->sess[i].next = i + 1 < t->cfg.max_sessions ? i + 1 : NONE;
    }
    memset(t->map_idx, 0xff, ((size_t)t->map_mask + 1) * sizeof *t->map_idx);
    memset(t->sess_idx, 0xff, ((size_t)t->sess_mask + 1) * sizeof *t->sess_idx);
    for (int p = 0; p < S46_NAPT_NPROTO; p++) {
        memset(t->by_ext[p], 0xff, 65536 * sizeof *t->by_ext[p]);
        t->ports_used[p] = t->low_used[p] = 0;
    }
    t->free_map = 0;
    t->free_sess = 0;
    t->nmaps = t->nsessions = t->sweep = 0;
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
                          t->maps[t->sess[s].map].proto == proto &&
                          t->maps[t->sess[s].map].ext_port == ext)) {
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
    t->by_ext[proto][port_index(t, e->ext_port)] = NONE;
    t->ports_used[proto]--;
    t->low_used[proto] -= e->ext_port < 1024;
    e->proto = FREE_PROTO;
    e->sess_head = t->free_map;
    t->free_map = m;
    t->nmaps--;
}

static void free_sess(s46_napt *t, uint32_t s)
{
    sess_ent *e = &t->sess[s];
    uint32_t slot, m = e->map;
    find_sess(t, t->maps[m].proto, t->maps[m].ext_port, e->rem_addr, e->rem_port, &slot);
    idx_remove(t->sess_idx, t->sess_mask, slot, t, sess_hash_of);
    uint32_t *pp = &t->maps[m].sess_head;
    while (*pp != s)
        pp = &t->sess[*pp].next;
    *pp = e->next;
    e->map = NONE;
    e->next = t->free_sess;
    t->free_sess = s;
    t->nsessions--;
    if (--t->maps[m].nsess == 0)
        free_map(t, m);
}

/* A session that has expired is freed on sight. Returns true if it was. */
static bool reap(s46_napt *t, uint32_t s, uint32_t now)
{
    if ((int32_t)(now - t->sess[s].expires) < 0)
        return false;
    free_sess(t, s);
    return true;
}

uint32_t s46_napt_expire(s46_napt *t, uint32_t now, uint32_t budget)
{
    uint32_t freed = 0, n = t->cfg.max_sessions;
    if (budget > n)
        budget = n;
    for (uint32_t i = 0; i < budget; i++) {
        uint32_t s = t->sweep;
        t->sweep = (t->sweep + 1) % n;
        if (t->sess[s].map != NONE && reap(t, s, now))
            freed++;
    }
    return freed;
}

static uint32_t timeout_of(const s46_napt *t, const sess_ent *s)
{
    switch (t->maps[s->map].proto) {
    case S46_NAPT_TCP:
        return s->tcp == T_EST || s->tcp == T_FIN_OUT || s->tcp == T_FIN_IN
                   ? t->cfg.tcp_est_timeout
                   : t->cfg.tcp_trans_timeout;
    case S46_NAPT_UDP:
        for (int i = 0; i < 4; i++)
            if (t->cfg.short_ports[i] && t->cfg.short_ports[i] == s->rem_port)
                return t->cfg.udp_short_timeout;
        return t->cfg.udp_timeout;
    default:
        return t->cfg.icmp_timeout;
    }
}

/* RFC 5382 / RFC 6146-style TCP tracking; outbound tells the direction. */
static void tcp_track(sess_ent *s, uint8_t flags, bool outbound)
{
    if (flags & S46_TCP_RST) {
        s->tcp = T_CLOSING;
        return;
    }
    switch (s->tcp) {
    case T_NONE:
        s->tcp = outbound ? T_SYN_OUT : T_SYN_IN;
        break;
    case T_SYN_OUT:
        if (!outbound)
            s->tcp = T_EST;
        break;
    case T_SYN_IN:
        if (outbound)
            s->tcp = T_EST;
        break;
    case T_EST:
        if (flags & S46_TCP_FIN)
            s->tcp = outbound ? T_FIN_OUT : T_FIN_IN;
        break;
    case T_FIN_OUT:
        if ((flags & S46_TCP_FIN) && !outbound)
            s->tcp = T_CLOSING;
        break;
    case T_FIN_IN:
        if ((flags & S46_TCP_FIN) && outbound)
            s->tcp = T_CLOSING;
        break;
    default:
        if (flags & S46_TCP_SYN) /* a new connection reusing the 4-tuple */
            s->tcp = outbound ? T_SYN_OUT : T_SYN_IN;
        break;
    }
}

/* Picks a free external port: random start over the whole set (so every
 * range gets used), same parity as the internal port where possible
 * (RFC 4787 REQ-4). With the whole port space (psid_len 0: a full IPv4
 * address) the port keeps its class, 1-1023 or 1024-65535 (RFC 4787
 * REQ-3 a); a MAP port set with offset > 0 holds no system ports at all. */
static uint32_t alloc_port(s46_napt *t, unsigned proto, uint16_t int_port)
{
    uint32_t n = t->nports, base = 0;
    if (t->ports_used[proto] >= n)
        return NONE;
    unsigned a = t->cfg.psid_offset, k = t->cfg.psid_len;
    if (k == 0) { /* index == port; a full class answers at once */
        uint32_t low = t->low_used[proto];
        if (int_port < 1024 ? low >= 1023 : t->ports_used[proto] - low >= 65536 - 1024)
            return NONE;
        base = int_port < 1024 ? 0 : 1024;
        n = int_port < 1024 ? 1024 : 65536 - 1024;
    }
    uint32_t start = rnd(t) % n;
    uint32_t probes = n < 128 ? n : 128;
    for (int pass = 0; pass < 2; pass++) {
        uint32_t limit = pass == 0 ? probes : n;
        for (uint32_t i = 0; i < limit; i++) {
            uint32_t idx = base + (start + i) % n;
            uint16_t port = s46_portset_nth(a, k, t->cfg.psid, idx);
            if (port == 0 || t->by_ext[proto][idx] != NONE)
                continue;
            if (pass == 0 && ((port ^ int_port) & 1))
                continue;
            return idx;
        }
    }
    return NONE;
}

static s46_napt_result new_map(s46_napt *t, s46_napt_flow *f, uint32_t slot, uint32_t *out)
{
    uint32_t idx = alloc_port(t, f->proto, f->int_port);
    if (idx == NONE)
        return S46_NAPT_NO_PORT;
    if (t->free_map == NONE)
        return S46_NAPT_NO_MAPPING;
    uint32_t m = t->free_map;
    map_ent *e = &t->maps[m];
    t->free_map = e->sess_head;
    e->int_addr = f->int_addr;
    e->int_port = f->int_port;
    e->ext_port = s46_portset_nth(t->cfg.psid_offset, t->cfg.psid_len, t->cfg.psid, idx);
    e->sess_head = NONE;
    e->nsess = 0;
    e->proto = f->proto;
    t->map_idx[slot] = m;
    t->by_ext[f->proto][idx] = m;
    t->ports_used[f->proto]++;
    t->low_used[f->proto] += e->ext_port < 1024;
    t->nmaps++;
    *out = m;
    return S46_NAPT_OK;
}

static uint32_t new_sess(s46_napt *t, uint32_t m, const s46_napt_flow *f, uint32_t slot)
{
    if (t->free_sess == NONE || t->maps[m].nsess == UINT16_MAX)
        return NONE;
    uint32_t s = t->free_sess;
    sess_ent *e = &t->sess[s];
    t->free_sess = e->next;
    e->rem_addr = f->rem_addr;
    e->rem_port = f->rem_port;
    e->tcp = T_NONE;
    e->map = m;
    e->next = t->maps[m].sess_head;
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
            /* Reclaim what has expired, then try once more. */
            if (s46_napt_expire(t, now, t->cfg.max_sessions) == 0)
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
    if (s == NONE) {
        s = new_sess(t, m, f, sslot);
        if (s == NONE) {
            if (t->maps[m].nsess == 0)
                free_map(t, m);
            return S46_NAPT_NO_SESSION;
        }
    }
    sess_ent *e = &t->sess[s];
    if (f->proto == S46_NAPT_TCP)
        tcp_track(e, tcp_flags, true);
    e->expires = now + timeout_of(t, e);
    return S46_NAPT_OK;
}

s46_napt_result s46_napt_inbound(s46_napt *t, s46_napt_flow *f, uint8_t tcp_flags,
                                 uint32_t now)
{
    uint32_t idx = port_index(t, f->ext_port), sslot;
    if (idx == NONE)
        return S46_NAPT_NOT_FOUND;
    uint32_t m = t->by_ext[f->proto][idx];
    if (m == NONE)
        return S46_NAPT_NOT_FOUND;
    uint32_t s = find_sess(t, f->proto, f->ext_port, f->rem_addr, f->rem_port, &sslot);
    if (s != NONE && reap(t, s, now)) {
        if (t->by_ext[f->proto][idx] == NONE)
            return S46_NAPT_NOT_FOUND;
        s = find_sess(t, f->proto, f->ext_port, f->rem_addr, f->rem_port, &sslot);
    }
    if (s == NONE) {
        /* A new remote: EIF admits anyone; ADF one we have sent to. */
        bool ok = t->cfg.filter == S46_NAPT_FILTER_EIF;
        for (uint32_t x = t->maps[m].sess_head; !ok && x != NONE; x = t->sess[x].next)
            ok = t->sess[x].rem_addr == f->rem_addr &&
                 (int32_t)(now - t->sess[x].expires) < 0;
        if (!ok)
            return S46_NAPT_FILTERED;
        s = new_sess(t, m, f, sslot);
        if (s == NONE)
            return S46_NAPT_NO_SESSION;
        t->sess[s].expires = now; /* refreshed below for TCP and ICMP */
    }
    sess_ent *e = &t->sess[s];
    f->int_addr = t->maps[m].int_addr;
    f->int_port = t->maps[m].int_port;
    if (f->proto == S46_NAPT_TCP) {
        tcp_track(e, tcp_flags, false);
        e->expires = now + timeout_of(t, e);
    } else if ((int32_t)(now - e->expires) >= 0) {
        /* A session created by this packet: give it a lifetime; inbound
         * UDP/ICMP does not otherwise refresh (RFC 4787 REQ-6, 7857 §7). */
        e->expires = now + timeout_of(t, e);
    }
    return S46_NAPT_OK;
}

bool s46_napt_lookup_ext(const s46_napt *t, uint8_t proto, uint16_t ext_port,
                         uint32_t *int_addr, uint16_t *int_port, uint32_t now)
{
    uint32_t idx = port_index(t, ext_port);
    if (proto >= S46_NAPT_NPROTO || idx == NONE || t->by_ext[proto][idx] == NONE)
        return false;
    const map_ent *e = &t->maps[t->by_ext[proto][idx]];
    bool live = false;
    for (uint32_t x = e->sess_head; !live && x != NONE; x = t->sess[x].next)
        live = (int32_t)(now - t->sess[x].expires) < 0;
    if (!live)
        return false;
    *int_addr = e->int_addr;
    *int_port = e->int_port;
    return true;
}

bool s46_napt_lookup_int(const s46_napt *t, uint8_t proto, uint32_t int_addr,
                         uint16_t int_port, uint16_t *ext_port, uint32_t now)
{
    if (proto >= S46_NAPT_NPROTO)
        return false;
    uint32_t m = find_map(t, proto, int_addr, int_port, NULL);
    if (m == NONE)
        return false;
    bool live = false;
    for (uint32_t x = t->maps[m].sess_head; !live && x != NONE; x = t->sess[x].next)
        live = (int32_t)(now - t->sess[x].expires) < 0;
    if (live)
        *ext_port = t->maps[m].ext_port;
    return live;
}

void s46_napt_stats_get(const s46_napt *t, s46_napt_stats *s)
{
    memset(s, 0, sizeof *s);
    s->mappings = t->nmaps;
    s->sessions = t->nsessions;
    s->ports_total = t->nports;
    for (int p = 0; p < S46_NAPT_NPROTO; p++)
        s->ports_used[p] = t->ports_used[p];
    /* Everything allocated, shared out over the capacity: the entry, its
     * index slots and (for mappings) the per-port reverse tables. */
    uint64_t mb = (uint64_t)t->cfg.max_mappings * sizeof(map_ent) +
                  (uint64_t)(t->map_mask + 1) * sizeof(uint32_t) +
                  (uint64_t)S46_NAPT_NPROTO * 65536 * sizeof(uint32_t);
    uint64_t sb = (uint64_t)t->cfg.max_sessions * sizeof(sess_ent) +
                  (uint64_t)(t->sess_mask + 1) * sizeof(uint32_t);
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
        for (uint32_t x = e->sess_head; x != NONE; x = t->sess[x].next)
            if ((int32_t)(t->sess[x].expires - mi.expires) > 0)
                mi.expires = t->sess[x].expires;
        if (!fn(&mi, arg))
            return;
    }
}
