/* The DNS forwarder's table of outstanding queries (dnsfwd.h). */
#include "prov/dnsfwd.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

struct slot {
    bool used;
    uint16_t cid, uid;  /* the host's ID, the ID toward the forwarder */
    unsigned first, try;
    uint64_t deadline;
    size_t len, qend;
    uint8_t *q;         /* the query as sent now (uid in its header) */
};

struct s46_dnsfwd {
    unsigned max, nservers, tries, timeout_ms, used, rr;
    struct slot *slots;
    int *free_;         /* stack of free slot numbers */
    unsigned nfree;
    uint8_t rnd[256];
    unsigned rnd_left;
};

static inline uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* The end of the question at offset 12 of m: labels, type, class; 0 when
 * it does not fit or the name is not plain labels. */
static size_t question_end(const uint8_t *m, size_t len)
{
    size_t o = S46_DNS_HDR, name = 0;
    for (;;) {
        if (o >= len)
            return 0;
        uint8_t l = m[o];
        if (l & 0xc0) /* compression or an extended label type: not in a question */
            return 0;
        name += (size_t)l + 1;
        if (name > 255)
            return 0;
        o += 1 + (size_t)l;
        if (l == 0)
            break;
    }
    return o + 4 <= len ? o + 4 : 0;
}

int s46_dns_query_check(const uint8_t *m, size_t len, size_t *qend)
{
    if (!m || len < S46_DNS_HDR)
        return -1;
    if ((m[2] & 0x80) || ((m[2] >> 3) & 0x0f) != 0 || get16(m + 4) != 1)
        return -1; /* an answer, an opcode other than QUERY, not one question */
    size_t e = question_end(m, len);
    if (!e)
        return -1;
    if (qend)
        *qend = e;
    return 0;
}

s46_dnsfwd *s46_dnsfwd_new(unsigned max_queries, unsigned nservers, unsigned tries,
                           unsigned timeout_ms)
{
    if (max_queries < 1 || max_queries > 65536 || nservers < 1 || tries < 1 || !timeout_ms)
        return NULL;
    s46_dnsfwd *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->slots = calloc(max_queries, sizeof *f->slots);
    f->free_ = calloc(max_queries, sizeof *f->free_);
    if (!f->slots || !f->free_) {
        s46_dnsfwd_free(f);
        return NULL;
    }
    f->max = max_queries;
    f->nservers = nservers;
    f->tries = tries;
    f->timeout_ms = timeout_ms;
    for (unsigned i = 0; i < max_queries; i++)
        f->free_[i] = (int)(max_queries - 1 - i);
    f->nfree = max_queries;
    return f;
}

void s46_dnsfwd_free(s46_dnsfwd *f)
{
    if (!f)
        return;
    if (f->slots)
        for (unsigned i = 0; i < f->max; i++)
            free(f->slots[i].q);
    free(f->slots);
    free(f->free_);
    free(f);
}

static uint16_t random_id(s46_dnsfwd *f)
{
    if (f->rnd_left < 2) {
        if (getrandom(f->rnd, sizeof f->rnd, 0) != (ssize_t)sizeof f->rnd) {
            /* getrandom does not fail for 256 bytes once the pool is ready;
             * stir what is there so the IDs still move */
            for (unsigned i = 0; i < sizeof f->rnd; i++)
                f->rnd[i] = (uint8_t)(f->rnd[i] * 167u + i * 13u + f->used);
        }
        f->rnd_left = sizeof f->rnd;
    }
    f->rnd_left -= 2;
    return get16(f->rnd + f->rnd_left);
}

static bool valid(const s46_dnsfwd *f, int slot)
{
    return slot >= 0 && (unsigned)slot < f->max && f->slots[slot].used;
}

static void arm(s46_dnsfwd *f, struct slot *s, uint64_t now_ms)
{
    s->uid = random_id(f);
    put16(s->q, s->uid);
    s->deadline = now_ms + f->timeout_ms;
}

int s46_dnsfwd_query(s46_dnsfwd *f, const uint8_t *m, size_t len, uint64_t now_ms)
{
    size_t qend;
    if (len > S46_DNSFWD_MAX_QUERY || s46_dns_query_check(m, len, &qend) < 0)
        return S46_DNSFWD_MALFORMED;
    if (!f->nfree)
        return S46_DNSFWD_FULL;
    uint8_t *q = malloc(len);
    if (!q)
        return S46_DNSFWD_FULL;
    int n = f->free_[--f->nfree];
    struct slot *s = &f->slots[n];
    memcpy(q, m, len);
    *s = (struct slot){.used = true, .cid = get16(m), .len = len, .qend = qend, .q = q,
                       .first = f->rr++ % f->nservers};
    arm(f, s, now_ms);
    f->used++;
    return n;
}

const uint8_t *s46_dnsfwd_msg(const s46_dnsfwd *f, int slot, size_t *len)
{
    if (!valid(f, slot))
        return NULL;
    *len = f->slots[slot].len;
    return f->slots[slot].q;
}

unsigned s46_dnsfwd_server(const s46_dnsfwd *f, int slot)
{
    if (!valid(f, slot))
        return 0;
    const struct slot *s = &f->slots[slot];
    return (s->first + s->try) % f->nservers;
}

uint16_t s46_dnsfwd_client_id(const s46_dnsfwd *f, int slot)
{
    return valid(f, slot) ? f->slots[slot].cid : 0;
}

static inline uint8_t lower(uint8_t c) { return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c; }

/* The question of answer a (at offset 12, plain labels) is the query's:
 * names equal but for ASCII case, type and class equal. */
static bool same_question(const struct slot *s, const uint8_t *a, size_t alen)
{
    size_t qlen = s->qend - S46_DNS_HDR;
    if (alen < s->qend)
        return false;
    const uint8_t *x = s->q + S46_DNS_HDR, *y = a + S46_DNS_HDR;
    size_t o = 0;
    while (o < qlen - 4) {
        uint8_t l = x[o];
        if (y[o] != l)
            return false;
        for (size_t i = 1; i <= l; i++)
            if (lower(x[o + i]) != lower(y[o + i]))
                return false;
        o += 1 + (size_t)l;
    }
    return memcmp(x + o, y + o, 4) == 0;
}

int s46_dnsfwd_answer(s46_dnsfwd *f, int slot, uint8_t *m, size_t len)
{
    if (!m || len < S46_DNS_HDR || !(m[2] & 0x80))
        return S46_DNSFWD_ANSWER_MALFORMED;
    unsigned qd = get16(m + 4);
    if (qd > 1 || (qd == 1 && !question_end(m, len)))
        return S46_DNSFWD_ANSWER_MALFORMED;
    if (qd == 0 && (m[3] & 0x0f) == 0)
        return S46_DNSFWD_ANSWER_MALFORMED; /* NOERROR without the question */
    if (!valid(f, slot))
        return S46_DNSFWD_ANSWER_UNMATCHED;
    struct slot *s = &f->slots[slot];
    if (get16(m) != s->uid || (qd == 1 && !same_question(s, m, len)))
        return S46_DNSFWD_ANSWER_UNMATCHED;
    put16(m, s->cid);
    s46_dnsfwd_release(f, slot);
    return S46_DNSFWD_ANSWER_OK;
}

int s46_dnsfwd_expired(s46_dnsfwd *f, uint64_t now_ms, bool *retried)
{
    for (unsigned i = 0; i < f->max; i++) {
        struct slot *s = &f->slots[i];
        if (!s->used || s->deadline > now_ms)
            continue;
        if (s->try + 1 < f->tries) {
            s->try++;
            arm(f, s, now_ms);
            *retried = true;
        } else {
            s->deadline = UINT64_MAX; /* spent: waits for release */
            *retried = false;
        }
        return (int)i;
    }
    return -1;
}

uint64_t s46_dnsfwd_next_deadline(const s46_dnsfwd *f)
{
    uint64_t d = UINT64_MAX;
    for (unsigned i = 0; i < f->max; i++)
        if (f->slots[i].used && f->slots[i].deadline < d)
            d = f->slots[i].deadline;
    return d;
}

size_t s46_dns_servfail(const uint8_t *m, size_t qend, uint8_t *out, size_t cap)
{
    if (qend < S46_DNS_HDR || cap < qend)
        return 0;
    memmove(out, m, qend);
    out[2] = (uint8_t)(0x80 | (m[2] & 0x01)); /* QR, opcode QUERY, RD as asked */
    out[3] = 0x80 | 2;                       /* RA, SERVFAIL */
    put16(out + 4, 1);
    put16(out + 6, 0);
    put16(out + 8, 0);
    put16(out + 10, 0);
    return qend;
}

size_t s46_dnsfwd_servfail(const s46_dnsfwd *f, int slot, uint8_t *out, size_t cap)
{
    if (!valid(f, slot))
        return 0;
    const struct slot *s = &f->slots[slot];
    size_t n = s46_dns_servfail(s->q, s->qend, out, cap);
    if (n)
        put16(out, s->cid);
    return n;
}

void s46_dnsfwd_release(s46_dnsfwd *f, int slot)
{
    if (!valid(f, slot))
        return;
    struct slot *s = &f->slots[slot];
    free(s->q);
    memset(s, 0, sizeof *s);
    f->free_[f->nfree++] = slot;
    f->used--;
}

unsigned s46_dnsfwd_outstanding(const s46_dnsfwd *f)
{
    return f->used;
}
