/* A reference model of the NAPT (lib/napt.h) for differential tests: a
 * plain list of mappings and sessions, each alive while now is before its
 * expiry, with the contract of napt.h written the obvious way. The model
 * cannot know which port a new mapping gets (random); it checks that the
 * port is in the port set and this table's share, held by no other live
 * mapping, of the internal port's parity where the model sees one free
 * (strict mode), and from then on that every decision agrees: the same
 * port while the mapping lives, inbound packets delivered to its internal
 * endpoint or refused as the filtering says, lookups, timeouts (UDP,
 * TCP by state, ICMP), exhaustion of the port set. nm_run feeds one
 * sequence of operations to both. Strict mode calls s46_napt_expire with
 * no budget before every operation (nothing expired stays in the table);
 * lazy mode only now and then, as a data plane does.
 * Used by tests/unit/test_napt_model.c and tests/fuzz/fuzz_napt.c. */
#ifndef S46_NAPT_MODEL_H
#define S46_NAPT_MODEL_H
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/napt.h"

#define NM_MAXMAP 2048
#define NM_MAXSESS 4096

typedef struct nm_op {
    uint8_t kind;      /* NM_OUT, NM_IN, NM_LOOKUP_EXT, NM_LOOKUP_INT, NM_EXPIRE, NM_RESET */
    uint8_t proto;     /* S46_NAPT_TCP/UDP/ICMP */
    uint8_t flags;     /* TCP flags */
    uint32_t int_addr;
    uint16_t int_port;
    uint32_t rem_addr;
    uint16_t rem_port;
    uint16_t ext_port; /* NM_IN / NM_LOOKUP_EXT; with ext_pick: 1 + which live mapping */
    uint16_t ext_pick;
    uint32_t dt;       /* seconds before the operation */
} nm_op;

enum { NM_OUT, NM_IN, NM_LOOKUP_EXT, NM_LOOKUP_INT, NM_EXPIRE, NM_RESET, NM_NKINDS };

typedef struct nm_conf {
    uint8_t a, k;
    uint16_t psid;
    uint16_t share, shares;
    s46_napt_filter filter;
    bool strict;
    uint32_t start;    /* the clock's first value (near 2^32: wraps) */
} nm_conf;

enum { NM_NONE, NM_SYN_OUT, NM_SYN_IN, NM_EST, NM_FIN_OUT, NM_FIN_IN, NM_CLOSING };

typedef struct nm_sess {
    bool used;
    uint8_t proto;
    uint16_t ext;
    uint32_t rem_addr;
    uint16_t rem_port;
    uint32_t expires;
    uint8_t tcp;
} nm_sess;

typedef struct nm_map {
    bool used;
    uint8_t proto;
    uint32_t int_addr;
    uint16_t int_port, ext;
    uint32_t nsess;    /* its live sessions */
} nm_map;

typedef struct nm_model {
    nm_conf c;
    nm_map m[NM_MAXMAP];
    nm_sess s[NM_MAXSESS];
    uint32_t owned;    /* ports of the set in this share */
    uint32_t owned_par[2], live_par[S46_NAPT_NPROTO][2]; /* by parity */
    int32_t by_ext[S46_NAPT_NPROTO][65536]; /* live mapping of a port, or -1 */
    int nm, ns;        /* high-water marks of m and s */
} nm_model;

typedef struct nm_tally {
    uint64_t out_ok, out_new, no_port, in_ok, in_filtered, in_not_found, lookups_hit, expiries;
} nm_tally;

/* The timers the runs use (napt.h: UDP is clamped to >= 120). */
#define NM_UDP 120
#define NM_UDP_SHORT 30
#define NM_TCP_EST 500
#define NM_TCP_TRANS 60
#define NM_ICMP 40

static bool nm_due(uint32_t expires, uint32_t now) { return (int32_t)(now - expires) >= 0; }

/* RFC 7597 §5.1: offset bits a (not all zero when a > 0), then k bits of PSID. */
static bool nm_in_set(const nm_conf *c, uint16_t port)
{
    if (c->k == 0)
        return true; /* the whole port space */
    unsigned m = 16u - c->a - c->k;
    if (((port >> m) & ((1u << c->k) - 1)) != c->psid)
        return false;
    return c->a == 0 || (port >> (16 - c->a)) != 0;
}

static bool nm_ours(const nm_conf *c, uint16_t port)
{
    return port != 0 && nm_in_set(c, port) &&
           s46_napt_port_owner(port, c->shares) == (c->shares > 1 ? c->share : 0);
}

static void nm_model_init(nm_model *m, const nm_conf *c)
{
    memset(m, 0, sizeof *m);
    m->c = *c;
    memset(m->by_ext, 0xff, sizeof m->by_ext);
    for (uint32_t p = 1; p < 65536; p++)
        if (nm_ours(c, (uint16_t)p)) {
            m->owned++;
            m->owned_par[p & 1]++;
        }
}

static void nm_map_gone(nm_model *m, nm_map *x)
{
    x->used = false;
    m->by_ext[x->proto][x->ext] = -1;
    m->live_par[x->proto][x->ext & 1]--;
}

static uint32_t nm_timeout(const nm_sess *s)
{
    if (s->proto == S46_NAPT_TCP)
        return s->tcp == NM_EST || s->tcp == NM_FIN_OUT || s->tcp == NM_FIN_IN ? NM_TCP_EST
                                                                              : NM_TCP_TRANS;
    if (s->proto == S46_NAPT_UDP)
        return s->rem_port == 53 ? NM_UDP_SHORT : NM_UDP;
    return NM_ICMP;
}

/* The TCP state after a segment with flags, outbound or not. */
static uint8_t nm_tcp(uint8_t st, uint8_t flags, bool out)
{
    if (flags & S46_TCP_RST)
        return NM_CLOSING;
    bool fin = flags & S46_TCP_FIN;
    switch (st) {
    case NM_NONE: return out ? NM_SYN_OUT : NM_SYN_IN;
    case NM_SYN_OUT: return out ? st : NM_EST;
    case NM_SYN_IN: return out ? NM_EST : st;
    case NM_EST: return fin ? (out ? NM_FIN_OUT : NM_FIN_IN) : st;
    case NM_FIN_OUT: return fin && !out ? NM_CLOSING : st;
    case NM_FIN_IN: return fin && out ? NM_CLOSING : st;
    default: return flags & S46_TCP_SYN ? (out ? NM_SYN_OUT : NM_SYN_IN) : st;
    }
}

/* Forgets what expired: sessions past their time, mappings left without one. */
static unsigned nm_expire(nm_model *m, uint32_t now)
{
    unsigned n = 0;
    for (int i = 0; i < m->ns; i++)
        if (m->s[i].used && nm_due(m->s[i].expires, now)) {
            m->s[i].used = false;
            n++;
            nm_map *x = &m->m[m->by_ext[m->s[i].proto][m->s[i].ext]];
            if (--x->nsess == 0)
                nm_map_gone(m, x);
        }
    return n;
}

static nm_map *nm_by_int(nm_model *m, uint8_t proto, uint32_t a, uint16_t p)
{
    for (int i = 0; i < m->nm; i++)
        if (m->m[i].used && m->m[i].proto == proto && m->m[i].int_addr == a &&
            m->m[i].int_port == p)
            return &m->m[i];
    return NULL;
}

static nm_map *nm_by_ext(nm_model *m, uint8_t proto, uint16_t ext)
{
    int32_t i = m->by_ext[proto][ext];
    return i < 0 ? NULL : &m->m[i];
}

static nm_sess *nm_sess_of(nm_model *m, uint8_t proto, uint16_t ext, uint32_t ra, uint16_t rp)
{
    for (int i = 0; i < m->ns; i++)
        if (m->s[i].used && m->s[i].proto == proto && m->s[i].ext == ext &&
            m->s[i].rem_addr == ra && m->s[i].rem_port == rp)
            return &m->s[i];
    return NULL;
}

static nm_sess *nm_new_sess(nm_model *m, uint8_t proto, uint16_t ext, uint32_t ra, uint16_t rp)
{
    for (int i = 0; i < NM_MAXSESS; i++)
        if (!m->s[i].used) {
            m->s[i] = (nm_sess){true, proto, ext, ra, rp, 0, NM_NONE};
            m->m[m->by_ext[proto][ext]].nsess++;
            if (i >= m->ns)
                m->ns = i + 1;
            return &m->s[i];
        }
    return NULL;
}

static unsigned nm_live_maps(const nm_model *m, uint8_t proto)
{
    return m->live_par[proto][0] + m->live_par[proto][1];
}

static int nm_fail(char *why, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
    return -1;
}

/* Runs ops on a table configured by c and on the model: 0 when they agree
 * throughout, else -1 with why. */
static int nm_run(const nm_conf *c, const nm_op *ops, size_t n, nm_tally *tally, char *why,
                  size_t whylen)
{
    static nm_model m;
    s46_napt_config cfg;
    s46_napt_config_default(&cfg);
    cfg.ext_addr = 0xc0000212;
    cfg.psid_offset = c->a, cfg.psid_len = c->k, cfg.psid = c->psid;
    cfg.max_mappings = NM_MAXMAP;
    cfg.max_sessions = NM_MAXSESS;
    cfg.filter = c->filter;
    cfg.udp_timeout = NM_UDP, cfg.udp_short_timeout = NM_UDP_SHORT;
    cfg.tcp_est_timeout = NM_TCP_EST, cfg.tcp_trans_timeout = NM_TCP_TRANS;
    cfg.icmp_timeout = NM_ICMP;
    memset(cfg.short_ports, 0, sizeof cfg.short_ports);
    cfg.short_ports[0] = 53;
    cfg.share = c->share, cfg.shares = c->shares;
    cfg.seed = 0x1234567 + c->psid;
    s46_napt *t = s46_napt_new(&cfg);
    if (!t)
        return nm_fail(why, whylen, "s46_napt_new failed");
    nm_model_init(&m, c);
    uint32_t now = c->start;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const nm_op *o = &ops[i];
        now += o->dt;
        if (c->strict || o->kind == NM_EXPIRE)
            s46_napt_expire(t, now, c->strict ? UINT32_MAX : 64);
        uint64_t expired = nm_expire(&m, now);
        if (tally)
            tally->expiries += expired;
        uint8_t proto = o->proto % S46_NAPT_NPROTO;
        switch (o->kind) {
        case NM_OUT: {
            s46_napt_flow f = {proto, o->int_addr, o->int_port, o->rem_addr, o->rem_port, 0};
            s46_napt_result r = s46_napt_outbound(t, &f, o->flags, now);
            nm_map *mp = nm_by_int(&m, proto, o->int_addr, o->int_port);
            if (!mp && nm_live_maps(&m, proto) == m.owned) {
                if (r != S46_NAPT_NO_PORT)
                    rc = nm_fail(why, whylen, "op %zu: outbound got %d, the %u ports are all live",
                                 i, r, m.owned);
                else if (tally)
                    tally->no_port++;
                break;
            }
            if (r != S46_NAPT_OK) {
                rc = nm_fail(why, whylen, "op %zu: outbound refused (%d), model: ok", i, r);
                break;
            }
            if (mp && f.ext_port != mp->ext) {
                rc = nm_fail(why, whylen, "op %zu: live mapping moved from port %u to %u", i,
                             mp->ext, f.ext_port);
                break;
            }
            if (!mp) {
                if (!nm_ours(c, f.ext_port) || nm_by_ext(&m, proto, f.ext_port)) {
                    rc = nm_fail(why, whylen, "op %zu: new mapping got port %u (%s)", i,
                                 f.ext_port, nm_ours(c, f.ext_port) ? "held by a live mapping"
                                                                    : "not ours");
                    break;
                }
                if (c->strict) {
                    /* its parity where one is free (RFC 4787 REQ-4) */
                    unsigned par = o->int_port & 1;
                    unsigned free_par = m.owned_par[par] - m.live_par[proto][par];
                    if (free_par && (f.ext_port & 1) != par) {
                        rc = nm_fail(why, whylen, "op %zu: port %u of the other parity, %u free",
                                     i, f.ext_port, free_par);
                        break;
                    }
                    if (!s46_napt_last_created(t)) {
                        rc = nm_fail(why, whylen, "op %zu: new mapping not reported created", i);
                        break;
                    }
                }
                int j = 0;
                while (j < NM_MAXMAP && m.m[j].used)
                    j++;
                if (j == NM_MAXMAP) {
                    rc = nm_fail(why, whylen, "op %zu: model out of mappings", i);
                    break;
                }
                mp = &m.m[j];
                *mp = (nm_map){true, proto, o->int_addr, o->int_port, f.ext_port, 0};
                m.by_ext[proto][f.ext_port] = j;
                m.live_par[proto][f.ext_port & 1]++;
                if (j >= m.nm)
                    m.nm = j + 1;
                if (tally)
                    tally->out_new++;
            } else if (c->strict && s46_napt_last_created(t)) {
                rc = nm_fail(why, whylen, "op %zu: live mapping reported created", i);
                break;
            }
            nm_sess *s = nm_sess_of(&m, proto, mp->ext, o->rem_addr, o->rem_port);
            if (!s)
                s = nm_new_sess(&m, proto, mp->ext, o->rem_addr, o->rem_port);
            if (!s) {
                rc = nm_fail(why, whylen, "op %zu: model out of sessions", i);
                break;
            }
            if (proto == S46_NAPT_TCP)
                s->tcp = nm_tcp(s->tcp, o->flags, true);
            s->expires = now + nm_timeout(s);
            if (tally)
                tally->out_ok++;
            break;
        }
        case NM_IN: {
            uint16_t ext = o->ext_port;
            if (o->ext_pick) { /* a live mapping's port, if any */
                unsigned k = 0, want = o->ext_pick % (nm_live_maps(&m, proto) + 1);
                for (int j = 0; j < m.nm; j++)
                    if (m.m[j].used && m.m[j].proto == proto && ++k == want)
                        ext = m.m[j].ext;
            }
            s46_napt_flow f = {proto, 0, 0, o->rem_addr, o->rem_port, ext};
            s46_napt_result r = s46_napt_inbound(t, &f, o->flags, now);
            nm_map *mp = nm_by_ext(&m, proto, ext);
            s46_napt_result want = S46_NAPT_OK;
            nm_sess *s = mp ? nm_sess_of(&m, proto, ext, o->rem_addr, o->rem_port) : NULL;
            if (!mp) {
                want = S46_NAPT_NOT_FOUND;
            } else if (!s) {
                bool ok = c->filter == S46_NAPT_FILTER_EIF;
                for (int j = 0; j < m.ns && !ok; j++)
                    ok = m.s[j].used && m.s[j].proto == proto && m.s[j].ext == ext &&
                         m.s[j].rem_addr == o->rem_addr;
                if (!ok)
                    want = S46_NAPT_FILTERED;
            }
            if (r != want) {
                rc = nm_fail(why, whylen, "op %zu: inbound %s port %u from %08x:%u: %d, model %d",
                             i, proto == 0 ? "tcp" : proto == 1 ? "udp" : "icmp", ext,
                             o->rem_addr, o->rem_port, r, want);
                break;
            }
            if (tally)
                *(r == S46_NAPT_OK ? &tally->in_ok
                  : r == S46_NAPT_FILTERED ? &tally->in_filtered : &tally->in_not_found) += 1;
            if (r != S46_NAPT_OK)
                break;
            if (f.int_addr != mp->int_addr || f.int_port != mp->int_port) {
                rc = nm_fail(why, whylen, "op %zu: inbound delivered to %08x:%u, mapping %08x:%u",
                             i, f.int_addr, f.int_port, mp->int_addr, mp->int_port);
                break;
            }
            bool created = !s;
            if (!s)
                s = nm_new_sess(&m, proto, ext, o->rem_addr, o->rem_port);
            if (!s) {
                rc = nm_fail(why, whylen, "op %zu: model out of sessions", i);
                break;
            }
            if (proto == S46_NAPT_TCP)
                s->tcp = nm_tcp(s->tcp, o->flags, false);
            /* inbound UDP/ICMP does not refresh an existing session */
            if (proto == S46_NAPT_TCP || created)
                s->expires = now + nm_timeout(s);
            break;
        }
        case NM_LOOKUP_EXT: {
            uint32_t a = 0;
            uint16_t p = 0;
            nm_map *mp = NULL;
            uint16_t ext = o->ext_port;
            for (int j = 0; j < m.nm && o->ext_pick; j++)
                if (m.m[j].used && m.m[j].proto == proto) {
                    ext = m.m[j].ext;
                    break;
                }
            mp = nm_by_ext(&m, proto, ext);
            bool got = s46_napt_lookup_ext(t, proto, ext, &a, &p, now);
            if (got != (mp != NULL) || (got && (a != mp->int_addr || p != mp->int_port)))
                rc = nm_fail(why, whylen, "op %zu: lookup_ext %u: %d, model %d", i, ext, got,
                             mp != NULL);
            else if (tally && got)
                tally->lookups_hit++;
            break;
        }
        case NM_LOOKUP_INT: {
            uint16_t ext = 0;
            nm_map *mp = nm_by_int(&m, proto, o->int_addr, o->int_port);
            bool got = s46_napt_lookup_int(t, proto, o->int_addr, o->int_port, &ext, now);
            if (got != (mp != NULL) || (got && ext != mp->ext))
                rc = nm_fail(why, whylen, "op %zu: lookup_int: %d, model %d", i, got, mp != NULL);
            else if (tally && got)
                tally->lookups_hit++;
            break;
        }
        case NM_RESET:
            s46_napt_reset(t, cfg.ext_addr, c->a, c->k, c->psid);
            nm_model_init(&m, c);
            break;
        default:
            break;
        }
        if (rc == 0 && c->strict) {
            s46_napt_stats st;
            s46_napt_stats_get(t, &st);
            unsigned maps = 0, sess = 0;
            for (int j = 0; j < m.nm; j++)
                maps += m.m[j].used;
            for (int j = 0; j < m.ns; j++)
                sess += m.s[j].used;
            if (st.mappings != maps || st.sessions != sess || st.ports_owned != m.owned)
                rc = nm_fail(why, whylen, "op %zu: table holds %u mappings %u sessions %u ports, "
                             "model %u %u %u", i, st.mappings, st.sessions, st.ports_owned, maps,
                             sess, m.owned);
        }
    }
    s46_napt_free(t);
    return rc;
}
#endif
