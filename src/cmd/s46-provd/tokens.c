#include "tokens.h"
#include "lib/err.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct token_ent {
    uint8_t hash[32];
    s46_pfx6 pfx;
    bool used, revoked;
    uint32_t last_seen;  /* unix seconds */
} token_ent;

typedef struct pending {
    uint8_t hash[32];
    s46_pfx6 pfx;
    bool add;            /* else a last_seen update */
    uint32_t t;
} pending;

#define MAX_PENDING (1u << 18)

static token_ent *tab;
static size_t ntok;
static pending *q;
static size_t nq;
static uint64_t seq_next = 1; /* seq of the next queued record */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

int provd_tokens_init(void)
{
    tab = calloc(PROVD_MAX_TOKENS, sizeof *tab);
    q = calloc(MAX_PENDING, sizeof *q);
    return tab && q ? 0 : -1;
}

static size_t slot_of(const uint8_t h[32])
{
    size_t s;
    memcpy(&s, h, sizeof s);
    return s & (PROVD_MAX_TOKENS - 1);
}

/* Slot holding h, or the free slot where it would go; called locked. */
static token_ent *find(const uint8_t h[32])
{
    size_t s = slot_of(h);
    while (tab[s].used && memcmp(tab[s].hash, h, 32))
        s = (s + 1) & (PROVD_MAX_TOKENS - 1);
    return &tab[s];
}

/* Queues a record and returns its seq (0 when the queue is full: the
 * database is far behind, the memory table still answers). */
static uint64_t enqueue(const uint8_t h[32], const s46_pfx6 *pfx, bool add, uint32_t t)
{
    if (nq == MAX_PENDING)
        return 0;
    pending *p = &q[nq++];
    memcpy(p->hash, h, 32);
    p->pfx = *pfx;
    p->add = add;
    p->t = t;
    return seq_next++;
}

static void hprefix_of(const uint8_t h[32], char out[17])
{
    sodium_bin2hex(out, 17, h, 8);
}

bool provd_token_issue(const s46_pfx6 *pfx, char hex[65], char hprefix[17], uint64_t *seq)
{
    uint8_t raw[32], h[32];
    randombytes_buf(raw, sizeof raw);
    crypto_generichash(h, 32, raw, 32, NULL, 0);
    sodium_bin2hex(hex, 65, raw, 32);
    sodium_memzero(raw, sizeof raw);
    hprefix_of(h, hprefix);
    uint32_t now = (uint32_t)time(NULL);
    bool ok = false;
    pthread_mutex_lock(&mu);
    if (ntok < PROVD_MAX_TOKENS / 2) {
        token_ent *e = find(h);
        if (!e->used) { /* a 256-bit collision is not a case to handle */
            memcpy(e->hash, h, 32);
            e->pfx = *pfx;
            e->used = true;
            e->last_seen = now;
            ntok++;
            *seq = enqueue(h, pfx, true, now);
            ok = true;
        }
    }
    pthread_mutex_unlock(&mu);
    return ok;
}

bool provd_token_lookup(const char *hex, s46_pfx6 *pfx, char hprefix[17])
{
    uint8_t raw[32], h[32];
    size_t n;
    if (sodium_hex2bin(raw, 32, hex, 64, NULL, &n, NULL) < 0 || n != 32)
        return false;
    crypto_generichash(h, 32, raw, 32, NULL, 0);
    hprefix_of(h, hprefix);
    uint32_t now = (uint32_t)time(NULL);
    bool ok = false;
    pthread_mutex_lock(&mu);
    token_ent *e = find(h);
    if (e->used && !e->revoked) {
        *pfx = e->pfx;
        ok = true;
        if (now >= e->last_seen + 60) {
            e->last_seen = now;
            enqueue(h, &e->pfx, false, now);
        }
    }
    pthread_mutex_unlock(&mu);
    return ok;
}

void provd_token_load(const s46_store_token *t)
{
    uint8_t h[32];
    size_t n;
    s46_pfx6 pfx;
    if (sodium_hex2bin(h, 32, t->hash, strlen(t->hash), NULL, &n, NULL) < 0 || n != 32 ||
        s46_pfx6_parse(t->prefix, &pfx, NULL, 0) < 0)
        return;
    pthread_mutex_lock(&mu);
    token_ent *e = find(h);
    if (e->used)
        e->revoked |= t->revoked;
    else if (!t->revoked && ntok < PROVD_MAX_TOKENS / 2) {
        memcpy(e->hash, h, 32);
        e->pfx = pfx;
        e->used = true;
        e->last_seen = (uint32_t)t->last_seen;
        ntok++;
    }
    pthread_mutex_unlock(&mu);
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
    nq = 0;
    *upto = seq_next - 1;
    pthread_mutex_unlock(&mu);
    for (size_t i = 0; i < n; i++) {
        char hex[65], pfx[S46_PFX6_STRLEN];
        sodium_bin2hex(hex, sizeof hex, batch[i].hash, 32);
        int r = batch[i].add ? s46_store_token_add(st, hex, s46_pfx6_format(&batch[i].pfx, pfx),
                                                   batch[i].t, err, errlen)
                             : s46_store_token_seen(st, hex, batch[i].t, err, errlen);
        if (r < 0)
            return -1;
    }
    return 0;
}

size_t provd_tokens_count(void)
{
    pthread_mutex_lock(&mu);
    size_t n = ntok;
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
