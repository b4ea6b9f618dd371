#include "tokens.h"
#include "lib/err.h"
#include "stats.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct owner_ent owner_ent;

typedef struct token_ent {
    uint8_t hash[32];
    s46_pfx6 pfx;
    owner_ent *owner;        /* NULL: a row from before owners existed */
    char user[PROVD_TOKEN_USER_MAX];
    uint32_t last_seen;      /* unix seconds */
    struct token_ent *next;  /* bucket chain */
} token_ent;

/* The live tokens of one owner, oldest first. */
struct owner_ent {
    char key[PROVD_TOKEN_OWNER_MAX];
    token_ent *tok[PROVD_TOKENS_PER_OWNER];
    unsigned n;
    struct owner_ent *next;
};

/* Chained hash tables that double when they hold as many entries as
 * buckets. */
typedef struct table {
    token_ent **tb;
    size_t ntb, n;
    owner_ent **ob;
    size_t nob, no;
} table;

typedef enum { REC_ADD, REC_SEEN, REC_DEL } rec_kind;
typedef struct pending {
    uint8_t hash[32];
    s46_pfx6 pfx;
    rec_kind kind;
    uint32_t t;
    char owner[PROVD_TOKEN_OWNER_MAX], user[PROVD_TOKEN_USER_MAX];
} pending;

#define MAX_PENDING (1u << 18)
_Static_assert(PROVD_TOKENS_PER_OWNER >= 2, "add_tok keeps the owner while it evicts");

static table cur;
static pending *q;
static size_t nq;
static size_t taken; /* the first records of q that the last flush wrote */
static uint64_t seq_next = 1; /* seq of the next queued record */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
/* Where a token unknown here is looked for (other servers issue tokens
 * into a shared database), and its lock. */
static s46_store *shared;
static pthread_mutex_t shared_mu = PTHREAD_MUTEX_INITIALIZER;

static size_t hash_tok(const uint8_t h[32])
{
    size_t s;
    memcpy(&s, h, sizeof s);
    return s;
}

static size_t hash_str(const char *k)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *k; k++)
        h = (h ^ (uint8_t)*k) * 1099511628211ull;
    return (size_t)h;
}

static int table_init(table *t)
{
    memset(t, 0, sizeof *t);
    t->ntb = t->nob = 1024;
    t->tb = calloc(t->ntb, sizeof *t->tb);
    t->ob = calloc(t->nob, sizeof *t->ob);
    return t->tb && t->ob ? 0 : -1;
}

static void table_free(table *t)
{
    for (size_t i = 0; t->tb && i < t->ntb; i++)
        for (token_ent *e = t->tb[i], *n; e; e = n) {
            n = e->next;
            free(e);
        }
    for (size_t i = 0; t->ob && i < t->nob; i++)
        for (owner_ent *o = t->ob[i], *n; o; o = n) {
            n = o->next;
            free(o);
        }
    free(t->tb);
    free(t->ob);
    memset(t, 0, sizeof *t);
}

static token_ent **tok_slot(table *t, const uint8_t h[32])
{
    token_ent **pp = &t->tb[hash_tok(h) & (t->ntb - 1)];
    while (*pp && memcmp((*pp)->hash, h, 32))
        pp = &(*pp)->next;
    return pp;
}

static owner_ent **owner_slot(table *t, const char *key)
{
    owner_ent **pp = &t->ob[hash_str(key) & (t->nob - 1)];
    while (*pp && strcmp((*pp)->key, key))
        pp = &(*pp)->next;
    return pp;
}

/* Doubles the bucket arrays when full; a failed allocation keeps the
 * current size (longer chains, still correct). */
static void grow(table *t)
{
    if (t->n >= t->ntb) {
        size_t n = t->ntb * 2;
        token_ent **nb = calloc(n, sizeof *nb);
        if (nb) {
            for (size_t i = 0; i < t->ntb; i++)
                for (token_ent *e = t->tb[i], *nx; e; e = nx) {
                    nx = e->next;
                    size_t s = hash_tok(e->hash) & (n - 1);
                    e->next = nb[s];
                    nb[s] = e;
                }
            free(t->tb);
            t->tb = nb;
            t->ntb = n;
        }
    }
    if (t->no >= t->nob) {
        size_t n = t->nob * 2;
        owner_ent **nb = calloc(n, sizeof *nb);
        if (nb) {
            for (size_t i = 0; i < t->nob; i++)
                for (owner_ent *o = t->ob[i], *nx; o; o = nx) {
                    nx = o->next;
                    size_t s = hash_str(o->key) & (n - 1);
                    o->next = nb[s];
                    nb[s] = o;
                }
            free(t->ob);
            t->ob = nb;
            t->nob = n;
        }
    }
}

/* Unlinks and frees e (and its owner when that was its last token). */
static void remove_tok(table *t, token_ent *e)
{
    token_ent **pp = tok_slot(t, e->hash);
    if (*pp != e)
        return;
    *pp = e->next;
    t->n--;
    owner_ent *o = e->owner;
    if (o) {
        unsigned i = 0;
        while (i < o->n && o->tok[i] != e)
            i++;
        if (i < o->n) {
            memmove(&o->tok[i], &o->tok[i + 1], (o->n - i - 1) * sizeof o->tok[0]);
            o->n--;
        }
        if (o->n == 0) {
            owner_ent **op = owner_slot(t, o->key);
            if (*op == o) {
                *op = o->next;
                t->no--;
                free(o);
            }
        }
    }
    free(e);
}

/* Queues a record and returns its seq (0 when the queue is full: the
 * database is far behind, the memory table still answers). Locked. */
static uint64_t enqueue(rec_kind kind, const uint8_t h[32], const s46_pfx6 *pfx,
                        const char *owner, const char *user, uint32_t t)
{
    if (nq == MAX_PENDING)
        return 0;
    pending *p = &q[nq++];
    memset(p, 0, sizeof *p);
    memcpy(p->hash, h, 32);
    if (pfx)
        p->pfx = *pfx;
    p->kind = kind;
    p->t = t;
    snprintf(p->owner, sizeof p->owner, "%s", owner ? owner : "");
    snprintf(p->user, sizeof p->user, "%s", user ? user : "");
    return seq_next++;
}

/* Adds a token (not present yet) to t under owner (may be "" for none),
 * forgetting the owner's oldest when it already holds the maximum; each
 * forgotten hash is queued for deletion when queue_del. NULL when out of
 * memory. */
static token_ent *add_tok(table *t, const uint8_t h[32], const s46_pfx6 *pfx, const char *owner,
                          const char *user, uint32_t last_seen, bool queue_del)
{
    grow(t);
    token_ent *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    owner_ent *o = NULL;
    if (owner && *owner) {
        owner_ent **op = owner_slot(t, owner);
        if (!*op) {
            if (!(*op = calloc(1, sizeof **op))) {
                free(e);
                return NULL;
            }
            snprintf((*op)->key, sizeof (*op)->key, "%s", owner);
            t->no++;
        }
        o = *op;
        while (o->n >= PROVD_TOKENS_PER_OWNER) {
            token_ent *old = o->tok[0];
            if (queue_del)
                enqueue(REC_DEL, old->hash, NULL, NULL, NULL, 0);
            provd_stats_add(PS_TOKENS_REPLACED, 1);
            remove_tok(t, old); /* o survives: it still holds n - 1 >= 1 */
        }
        o->tok[o->n++] = e;
    }
    memcpy(e->hash, h, 32);
    e->pfx = *pfx;
    e->owner = o;
    snprintf(e->user, sizeof e->user, "%s", user ? user : "");
    e->last_seen = last_seen;
    token_ent **pp = tok_slot(t, h);
    e->next = *pp; /* *pp is NULL: not present */
    *pp = e;
    t->n++;
    return e;
}

int provd_tokens_init(void)
{
    q = calloc(MAX_PENDING, sizeof *q);
    return q && table_init(&cur) == 0 ? 0 : -1;
}

static void hprefix_of(const uint8_t h[32], char out[17])
{
    sodium_bin2hex(out, 17, h, 8);
}

bool provd_token_issue(const s46_pfx6 *pfx, const char *owner, const char *user, char hex[65],
                       char hprefix[17], uint64_t *seq)
{
    uint8_t raw[32], h[32];
    randombytes_buf(raw, sizeof raw);
    crypto_generichash(h, 32, raw, 32, NULL, 0);
    sodium_bin2hex(hex, 65, raw, 32);
    sodium_memzero(raw, sizeof raw);
    hprefix_of(h, hprefix);
    uint32_t now = (uint32_t)time(NULL);
    bool ok = false;
    *seq = 0;
    pthread_mutex_lock(&mu);
    if (!*tok_slot(&cur, h) && add_tok(&cur, h, pfx, owner, user, now, true)) {
        /* (a 256-bit collision is not a case to handle) */
        *seq = enqueue(REC_ADD, h, pfx, owner, user, now);
        ok = true;
    }
    pthread_mutex_unlock(&mu);
    if (ok)
        provd_stats_add(PS_TOKENS_ISSUED, 1);
    else
        sodium_memzero(hex, 65);
    return ok;
}

typedef struct found_ctx {
    bool live;
    s46_pfx6 pfx;
    char owner[PROVD_TOKEN_OWNER_MAX], user[PROVD_TOKEN_USER_MAX];
    uint32_t last_seen;
} found_ctx;

static int found_row(void *ctx, const s46_store_token *r)
{
    found_ctx *f = ctx;
    f->live = !r->revoked && r->prefix && s46_pfx6_parse(r->prefix, &f->pfx, NULL, 0) == 0 &&
              (!r->owner || strlen(r->owner) < sizeof f->owner) &&
              (!r->user || strlen(r->user) < sizeof f->user);
    if (f->live) {
        snprintf(f->owner, sizeof f->owner, "%s", r->owner ? r->owner : "");
        snprintf(f->user, sizeof f->user, "%s", r->user ? r->user : "");
        f->last_seen = (uint32_t)r->last_seen;
    }
    return 0;
}

/* A token this server does not hold, from the shared database: added to
 * the table when live (not queued for writing: it is there already). */
static bool lookup_shared(const uint8_t h[32], s46_pfx6 *pfx, char user[PROVD_TOKEN_USER_MAX])
{
    char hash[65], err[S46_ERRLEN];
    found_ctx f = {0};
    sodium_bin2hex(hash, sizeof hash, h, 32);
    pthread_mutex_lock(&shared_mu);
    int r = shared ? s46_store_token_get(shared, hash, found_row, &f, err, sizeof err) : 1;
    pthread_mutex_unlock(&shared_mu);
    if (r != 0 || !f.live)
        return false;
    pthread_mutex_lock(&mu);
    if (!*tok_slot(&cur, h))
        add_tok(&cur, h, &f.pfx, f.owner, f.user, f.last_seen, false);
    pthread_mutex_unlock(&mu);
    *pfx = f.pfx;
    snprintf(user, PROVD_TOKEN_USER_MAX, "%s", f.user);
    provd_stats_add(PS_TOKENS_FROM_DB, 1);
    return true;
}

void provd_tokens_share(s46_store *st)
{
    pthread_mutex_lock(&shared_mu);
    shared = st;
    pthread_mutex_unlock(&shared_mu);
}

bool provd_token_lookup(const char *hex, s46_pfx6 *pfx, char user[PROVD_TOKEN_USER_MAX],
                        char hprefix[17])
{
    uint8_t raw[32], h[32];
    size_t n;
    if (sodium_hex2bin(raw, 32, hex, 64, NULL, &n, NULL) < 0 || n != 32)
        return false;
    crypto_generichash(h, 32, raw, 32, NULL, 0);
    sodium_memzero(raw, sizeof raw);
    hprefix_of(h, hprefix);
    uint32_t now = (uint32_t)time(NULL);
    bool ok = false;
    pthread_mutex_lock(&mu);
    token_ent *e = *tok_slot(&cur, h);
    if (e) {
        *pfx = e->pfx;
        snprintf(user, PROVD_TOKEN_USER_MAX, "%s", e->user);
        ok = true;
        if (now >= e->last_seen + 60) {
            e->last_seen = now;
            enqueue(REC_SEEN, h, NULL, NULL, NULL, now);
        }
    }
    pthread_mutex_unlock(&mu);
    if (!ok)
        ok = lookup_shared(h, pfx, user);
    return ok;
}

typedef struct load_ctx {
    table *t;
    bool oom;
} load_ctx;

static int load_row(void *ctx, const s46_store_token *r)
{
    load_ctx *lc = ctx;
    uint8_t h[32];
    size_t n;
    s46_pfx6 pfx;
    if (!r->hash || !r->prefix ||
        sodium_hex2bin(h, 32, r->hash, strlen(r->hash), NULL, &n, NULL) < 0 || n != 32 ||
        s46_pfx6_parse(r->prefix, &pfx, NULL, 0) < 0 || *tok_slot(lc->t, h))
        return 0;
    if (r->owner && strlen(r->owner) >= PROVD_TOKEN_OWNER_MAX)
        return 0;
    /* rows come oldest first: an owner over the bound (a lowered bound)
     * keeps its newest; the rest is deleted with the next flush */
    pthread_mutex_lock(&mu);
    token_ent *e = add_tok(lc->t, h, &pfx, r->owner, r->user, (uint32_t)r->last_seen, true);
    pthread_mutex_unlock(&mu);
    if (!e) {
        lc->oom = true;
        return 1;
    }
    return 0;
}

int provd_tokens_reload(s46_store *st, char *err, size_t errlen)
{
    table t;
    if (table_init(&t) < 0) {
        s46_seterr(err, errlen, "out of memory");
        return -1;
    }
    load_ctx lc = {&t, false};
    int r = s46_store_token_each(st, S46_STORE_LIVE, load_row, &lc, err, errlen);
    if (r != 0) {
        if (lc.oom)
            s46_seterr(err, errlen, "out of memory for the tokens");
        table_free(&t);
        return -1;
    }
    pthread_mutex_lock(&mu);
    /* Queued, not yet written: tokens issued since the last flush go into
     * the new table too; deletions apply to it. Then the newer "last seen"
     * times of the current table carry over. */
    for (size_t i = 0; i < nq; i++) {
        pending *p = &q[i];
        token_ent *e = *tok_slot(&t, p->hash);
        if (p->kind == REC_ADD && !e)
            add_tok(&t, p->hash, &p->pfx, p->owner, p->user, p->t, true);
        else if (p->kind == REC_DEL && e)
            remove_tok(&t, e);
    }
    for (size_t i = 0; i < cur.ntb; i++)
        for (token_ent *o = cur.tb[i]; o; o = o->next) {
            token_ent *e = *tok_slot(&t, o->hash);
            if (e && o->last_seen > e->last_seen)
                e->last_seen = o->last_seen;
        }
    table old = cur;
    cur = t;
    pthread_mutex_unlock(&mu);
    table_free(&old);
    return 0;
}

int provd_tokens_flush(s46_store *st, uint64_t *upto, char *err, size_t errlen)
{
    static pending *batch;
    if (!batch && !(batch = calloc(MAX_PENDING, sizeof *batch))) {
        s46_seterr(err, errlen, "out of memory");
        return -1;
    }
    pthread_mutex_lock(&mu);
    size_t n = nq;
    memcpy(batch, q, n * sizeof *q);
    taken = n;
    *upto = seq_next - 1;
    pthread_mutex_unlock(&mu);
    for (size_t i = 0; i < n; i++) {
        char hex[65], pfx[S46_PFX6_STRLEN];
        const pending *p = &batch[i];
        sodium_bin2hex(hex, sizeof hex, p->hash, 32);
        int r;
        if (p->kind == REC_ADD) {
            s46_store_token t = {.hash = hex, .prefix = s46_pfx6_format(&p->pfx, pfx),
                                 .owner = p->owner[0] ? p->owner : NULL,
                                 .user = p->user[0] ? p->user : NULL, .created = p->t};
            r = s46_store_token_add(st, &t, err, errlen);
        } else if (p->kind == REC_SEEN)
            r = s46_store_token_seen(st, hex, p->t, err, errlen);
        else
            r = s46_store_token_delete(st, hex, err, errlen);
        if (r < 0)
            return -1;
    }
    return 0;
}

void provd_tokens_written(void)
{
    pthread_mutex_lock(&mu);
    memmove(q, q + taken, (nq - taken) * sizeof *q);
    nq -= taken;
    taken = 0;
    pthread_mutex_unlock(&mu);
}

size_t provd_tokens_count(void)
{
    pthread_mutex_lock(&mu);
    size_t n = cur.n;
    pthread_mutex_unlock(&mu);
    return n;
}

size_t provd_tokens_queued(void)
{
    pthread_mutex_lock(&mu);
    size_t n = nq;
    pthread_mutex_unlock(&mu);
    return n;
}
