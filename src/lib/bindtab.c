#include "lib/bindtab.h"

#include <stdlib.h>
#include <string.h>

#include "lib/err.h"

#define IDLE UINT64_MAX

typedef struct retired {
    void *p;
    uint64_t epoch;
    size_t bytes;
    bool with_blocks; /* a root whose blocks go with it (bulk reload) */
} retired;

struct s46_bindtab {
    s46_bt_root *root;     /* read by workers (atomic) */
    size_t count, naddr, bytes, retired_bytes;
    uint64_t epoch;        /* bumped by each retirement */
    retired *ret;
    size_t nret, capret;
    struct {
        uint64_t e;        /* epoch seen at enter, or IDLE */
        char pad[56];
    } rd[S46_BT_READERS] __attribute__((aligned(64)));
};

static size_t root_bytes(uint32_t slots) { return sizeof(s46_bt_root) + (size_t)slots * sizeof(s46_bt_slot); }
static size_t blk_bytes(unsigned k) { return sizeof(s46_bt_blk) + (sizeof(s46_bt_ent) << k); }

static s46_bt_root *root_new(uint32_t slots)
{
    s46_bt_root *r = calloc(1, root_bytes(slots));
    if (r)
        r->mask = slots - 1;
    return r;
}

static uint64_t blk_word(s46_bt_blk *b, unsigned k, unsigned a)
{
    return (uint64_t)(uintptr_t)b | (uint64_t)k << 56 | (uint64_t)a << 48;
}

/* A block of 2^k unbound entries; NULL when out of memory or the pointer
 * does not fit the 48 bits of a block word. */
static s46_bt_blk *blk_new(unsigned k)
{
    s46_bt_blk *b = calloc(1, blk_bytes(k));
    if (b && ((uintptr_t)b >> 48) != 0) {
        free(b);
        return NULL;
    }
    return b;
}

s46_bindtab *s46_bindtab_new(void)
{
    s46_bindtab *t = aligned_alloc(64, (sizeof *t + 63) / 64 * 64);
    if (!t)
        return NULL;
    memset(t, 0, sizeof *t);
    for (unsigned i = 0; i < S46_BT_READERS; i++)
        t->rd[i].e = IDLE;
    t->root = root_new(16);
    if (!t->root) {
        free(t);
        return NULL;
    }
    t->bytes = root_bytes(16);
    return t;
}

static void free_root_blocks(s46_bt_root *r)
{
    for (uint32_t i = 0; i <= r->mask; i++)
        free(s46_bt_blkp_(r->s[i].blk));
    free(r);
}

void s46_bindtab_free(s46_bindtab *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nret; i++) {
        if (t->ret[i].with_blocks)
            free_root_blocks(t->ret[i].p);
        else
            free(t->ret[i].p);
    }
    free(t->ret);
    free_root_blocks(t->root);
    free(t);
}

const s46_bt_root *s46_bindtab_root_(const s46_bindtab *t)
{
    return __atomic_load_n(&t->root, __ATOMIC_ACQUIRE);
}

void s46_bindtab_enter(s46_bindtab *t, unsigned reader)
{
    uint64_t g = __atomic_load_n(&t->epoch, __ATOMIC_SEQ_CST);
    __atomic_store_n(&t->rd[reader].e, g, __ATOMIC_SEQ_CST);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void s46_bindtab_leave(s46_bindtab *t, unsigned reader)
{
    __atomic_store_n(&t->rd[reader].e, IDLE, __ATOMIC_RELEASE);
}

/* After p stopped being reachable from the root: freed once no reader can
 * still hold it. On out of memory for the list we wait for the readers. */
static void retire(s46_bindtab *t, void *p, size_t bytes, bool with_blocks)
{
    uint64_t e = __atomic_add_fetch(&t->epoch, 1, __ATOMIC_SEQ_CST);
    if (t->nret == t->capret) {
        size_t cap = t->capret ? 2 * t->capret : 64;
        retired *n = realloc(t->ret, cap * sizeof *n);
        if (!n) {
            for (;;) { /* every reader leaves its batch within microseconds */
                s46_bindtab_reclaim(t);
                if (t->nret < t->capret)
                    break;
                s46_bt_relax_();
            }
        } else {
            t->ret = n;
            t->capret = cap;
        }
    }
    t->ret[t->nret++] = (retired){p, e, bytes, with_blocks};
    t->retired_bytes += bytes;
    s46_bindtab_reclaim(t);
}

void s46_bindtab_reclaim(s46_bindtab *t)
{
    if (!t->nret)
        return;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint64_t min = IDLE;
    for (unsigned i = 0; i < S46_BT_READERS; i++) {
        uint64_t e = __atomic_load_n(&t->rd[i].e, __ATOMIC_SEQ_CST);
        if (e < min)
            min = e;
    }
    size_t j = 0;
    for (size_t i = 0; i < t->nret; i++) {
        retired *r = &t->ret[i];
        if (min == IDLE || min >= r->epoch) {
            if (r->with_blocks)
                free_root_blocks(r->p);
            else
                free(r->p);
            t->retired_bytes -= r->bytes;
        } else {
            t->ret[j++] = *r;
        }
    }
    t->nret = j;
}

size_t s46_bindtab_count(const s46_bindtab *t) { return t->count; }
size_t s46_bindtab_addresses(const s46_bindtab *t) { return t->naddr; }
size_t s46_bindtab_bytes(const s46_bindtab *t) { return t->bytes; }
size_t s46_bindtab_retired(const s46_bindtab *t) { return t->retired_bytes; }

int s46_bind_check(const s46_bind *b, unsigned naftr, char *err, size_t errlen)
{
    if (!b->ipv4) {
        s46_seterr(err, errlen, "ipv4: 0.0.0.0 cannot be bound");
        return -1;
    }
    if (b->psid_len > 16 || b->psid_offset > 15 || b->psid_len + b->psid_offset > 16) {
        s46_seterr(err, errlen, "psid_length %u with psid_offset %u: must be 0..16 and 0..15, "
                   "together at most 16", b->psid_len, b->psid_offset);
        return -1;
    }
    if (b->psid >> b->psid_len) {
        s46_seterr(err, errlen, "psid %u: must be below 2^psid_length (%u)", b->psid,
                   1u << b->psid_len);
        return -1;
    }
    if (b->aftr >= naftr || b->aftr >= S46_BT_MAX_AFTR) {
        s46_seterr(err, errlen, "lwAFTR address %u: there are %u", b->aftr, naftr);
        return -1;
    }
    return 0;
}

/* Writer: the slot of ipv4 in r, or NULL. */
static s46_bt_slot *find_slot(s46_bt_root *r, uint32_t ipv4)
{
    for (uint32_t i = s46_bt_hash_(ipv4) & r->mask;; i = (i + 1) & r->mask) {
        if (r->s[i].ipv4 == ipv4)
            return &r->s[i];
        if (r->s[i].ipv4 == 0)
            return NULL;
    }
}

/* Writer: the empty slot where ipv4 goes in r (not there; r has room). */
static s46_bt_slot *free_slot(s46_bt_root *r, uint32_t ipv4)
{
    uint32_t i = s46_bt_hash_(ipv4) & r->mask;
    while (r->s[i].ipv4)
        i = (i + 1) & r->mask;
    return &r->s[i];
}

/* A copy of r with room for `want` addresses (live ones only). */
static s46_bt_root *rehash(const s46_bt_root *r, size_t want)
{
    uint32_t slots = 16;
    while (slots < 2 * want + 2)
        slots *= 2;
    s46_bt_root *n = root_new(slots);
    if (!n)
        return NULL;
    for (uint32_t i = 0; i <= r->mask; i++)
        if (r->s[i].blk) {
            s46_bt_slot *s = free_slot(n, r->s[i].ipv4);
            *s = r->s[i];
            n->used++;
        }
    return n;
}

/* Writer: room for one more address in the published table. */
static int make_room(s46_bindtab *t, char *err, size_t errlen)
{
    s46_bt_root *r = t->root;
    if ((size_t)(r->used + 1) * 2 <= (size_t)r->mask + 1)
        return 0;
    s46_bt_root *n = rehash(r, t->naddr + 1 + (t->naddr + 1) / 2);
    if (!n) {
        s46_seterr(err, errlen, "out of memory");
        return -1;
    }
    __atomic_store_n(&t->root, n, __ATOMIC_RELEASE);
    t->bytes += root_bytes(n->mask + 1) - root_bytes(r->mask + 1);
    retire(t, r, root_bytes(r->mask + 1), false);
    return 0;
}

static void ent_set(s46_bt_ent *e, const s46_ip6 *b4, uint8_t aftr, uint8_t bound)
{
    uint64_t w[2] = {0, 0};
    if (b4)
        memcpy(w, b4->b, 16);
    uint32_t s = e->seq;
    __atomic_store_n(&e->seq, s + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_store_n(&e->b4[0], w[0], __ATOMIC_RELAXED);
    __atomic_store_n(&e->b4[1], w[1], __ATOMIC_RELAXED);
    __atomic_store_n(&e->aftr, aftr, __ATOMIC_RELAXED);
    __atomic_store_n(&e->bound, bound, __ATOMIC_RELAXED);
    __atomic_store_n(&e->seq, s + 2, __ATOMIC_RELEASE);
}

static int put(s46_bindtab *t, const s46_bind *b, bool replace, char *err, size_t errlen)
{
    char ip[S46_IP4_STRLEN];
    if (s46_bind_check(b, S46_BT_MAX_AFTR, err, errlen) < 0)
        return -1;
    if (t->count >= S46_BT_MAX_BINDINGS) {
        s46_seterr(err, errlen, "the table holds %u bindings already", S46_BT_MAX_BINDINGS);
        return -1;
    }
    s46_bt_slot *s = find_slot(t->root, b->ipv4);
    uint64_t w = s ? s->blk : 0;
    if (w) {
        unsigned k = (unsigned)(w >> 56), a = (unsigned)(w >> 48) & 0xff;
        s46_bt_blk *blk = s46_bt_blkp_(w);
        if (k == b->psid_len && a == b->psid_offset) {
            s46_bt_ent *e = &blk->e[b->psid];
            if (e->bound && !replace) {
                s46_seterr(err, errlen, "%s psid %u: already bound", s46_ip4_format(b->ipv4, ip),
                           b->psid);
                return -1;
            }
            if (!e->bound) {
                blk->nbound++;
                t->count++;
            }
            ent_set(e, &b->b4, b->aftr, 1);
            return 0;
        }
        /* another layout: only by replacing the address's one binding */
        if (!replace || blk->nbound != 1 || b->psid >= (1u << k) || !blk->e[b->psid].bound) {
            s46_seterr(err, errlen, "%s has bindings with psid_length %u, psid_offset %u",
                       s46_ip4_format(b->ipv4, ip), k, a);
            return -1;
        }
        s46_bt_blk *n = blk_new(b->psid_len);
        if (!n) {
            s46_seterr(err, errlen, "out of memory");
            return -1;
        }
        n->nbound = 1;
        ent_set(&n->e[b->psid], &b->b4, b->aftr, 1);
        __atomic_store_n(&s->blk, blk_word(n, b->psid_len, b->psid_offset), __ATOMIC_RELEASE);
        t->bytes += blk_bytes(b->psid_len) - blk_bytes(k);
        retire(t, blk, blk_bytes(k), false);
        return 0;
    }
    if (!s && make_room(t, err, errlen) < 0)
        return -1;
    s46_bt_blk *n = blk_new(b->psid_len);
    if (!n) {
        s46_seterr(err, errlen, "out of memory");
        return -1;
    }
    n->nbound = 1;
    ent_set(&n->e[b->psid], &b->b4, b->aftr, 1);
    uint64_t nw = blk_word(n, b->psid_len, b->psid_offset);
    if (s) { /* an address that had bindings before */
        __atomic_store_n(&s->blk, nw, __ATOMIC_RELEASE);
    } else {
        s = free_slot(t->root, b->ipv4);
        __atomic_store_n(&s->blk, nw, __ATOMIC_RELEASE);
        __atomic_store_n(&s->ipv4, b->ipv4, __ATOMIC_RELEASE);
        t->root->used++;
    }
    t->naddr++;
    t->count++;
    t->bytes += blk_bytes(b->psid_len);
    return 0;
}

int s46_bindtab_add(s46_bindtab *t, const s46_bind *b, char *err, size_t errlen)
{
    return put(t, b, false, err, errlen);
}

int s46_bindtab_replace(s46_bindtab *t, const s46_bind *b, char *err, size_t errlen)
{
    return put(t, b, true, err, errlen);
}

int s46_bindtab_remove(s46_bindtab *t, uint32_t ipv4, uint16_t psid, char *err, size_t errlen)
{
    char ip[S46_IP4_STRLEN];
    s46_bt_slot *s = ipv4 ? find_slot(t->root, ipv4) : NULL;
    uint64_t w = s ? s->blk : 0;
    unsigned k = (unsigned)(w >> 56);
    s46_bt_blk *blk = s46_bt_blkp_(w);
    if (!w || psid >= (1u << k) || !blk->e[psid].bound) {
        s46_seterr(err, errlen, "%s psid %u: no such binding", s46_ip4_format(ipv4, ip), psid);
        return -1;
    }
    ent_set(&blk->e[psid], NULL, 0, 0);
    t->count--;
    if (--blk->nbound == 0) {
        __atomic_store_n(&s->blk, 0, __ATOMIC_RELEASE);
        t->naddr--;
        t->bytes -= blk_bytes(k);
        retire(t, blk, blk_bytes(k), false);
    }
    return 0;
}

int s46_bindtab_load(s46_bindtab *t, const s46_bind *v, size_t n, unsigned naftr, char *err,
                     size_t errlen)
{
    char e[S46_ERRLEN], ip[S46_IP4_STRLEN];
    if (n > S46_BT_MAX_BINDINGS) {
        s46_seterr(err, errlen, "%zu bindings: at most %u", n, S46_BT_MAX_BINDINGS);
        return -1;
    }
    s46_bt_root *r = root_new(16);
    size_t naddr = 0, bytes = 0;
    if (!r)
        goto oom;
    for (size_t i = 0; i < n; i++) {
        const s46_bind *b = &v[i];
        if (s46_bind_check(b, naftr, e, sizeof e) < 0) {
            s46_seterr(err, errlen, "binding %zu: %s", i + 1, e);
            goto fail;
        }
        s46_bt_slot *s = find_slot(r, b->ipv4);
        if (!s) {
            if ((size_t)(r->used + 1) * 2 > (size_t)r->mask + 1) {
                s46_bt_root *g = rehash(r, naddr + 1 + (naddr + 1) / 2);
                if (!g)
                    goto oom;
                free(r);
                r = g;
            }
            s46_bt_blk *blk = blk_new(b->psid_len);
            if (!blk)
                goto oom;
            s = free_slot(r, b->ipv4);
            s->ipv4 = b->ipv4;
            s->blk = blk_word(blk, b->psid_len, b->psid_offset);
            r->used++;
            naddr++;
            bytes += blk_bytes(b->psid_len);
        }
        uint64_t w = s->blk;
        if ((w >> 56) != b->psid_len || ((w >> 48) & 0xff) != b->psid_offset) {
            s46_seterr(err, errlen, "binding %zu: %s has bindings with psid_length %u, "
                       "psid_offset %u", i + 1, s46_ip4_format(b->ipv4, ip),
                       (unsigned)(w >> 56), (unsigned)(w >> 48) & 0xff);
            goto fail;
        }
        s46_bt_blk *blk = s46_bt_blkp_(w);
        s46_bt_ent *en = &blk->e[b->psid];
        if (en->bound) {
            s46_seterr(err, errlen, "binding %zu: %s psid %u bound twice", i + 1,
                       s46_ip4_format(b->ipv4, ip), b->psid);
            goto fail;
        }
        memcpy(en->b4, b->b4.b, 16);
        en->aftr = b->aftr;
        en->bound = 1;
        blk->nbound++;
    }
    s46_bt_root *old = t->root;
    __atomic_store_n(&t->root, r, __ATOMIC_RELEASE);
    t->count = n;
    t->naddr = naddr;
    size_t oldbytes = t->bytes;
    t->bytes = bytes + root_bytes(r->mask + 1);
    retire(t, old, oldbytes, true);
    return 0;
oom:
    s46_seterr(err, errlen, "out of memory");
fail:
    if (r)
        free_root_blocks(r);
    return -1;
}

void s46_bindtab_each(const s46_bindtab *t, void (*fn)(const s46_bind *b, void *arg), void *arg)
{
    const s46_bt_root *r = t->root;
    for (uint32_t i = 0; i <= r->mask; i++) {
        uint64_t w = r->s[i].blk;
        if (!w)
            continue;
        unsigned k = (unsigned)(w >> 56);
        const s46_bt_blk *blk = s46_bt_blkp_(w);
        for (uint32_t p = 0; p < (1u << k); p++) {
            const s46_bt_ent *e = &blk->e[p];
            if (!e->bound)
                continue;
            s46_bind b = {.ipv4 = r->s[i].ipv4, .psid = (uint16_t)p, .psid_len = (uint8_t)k,
                          .psid_offset = (uint8_t)((w >> 48) & 0xff), .aftr = e->aftr};
            memcpy(b.b4.b, e->b4, 16);
            fn(&b, arg);
        }
    }
}

bool s46_bindtab_addr_has(const s46_bindtab *t, uint32_t ipv4, const s46_ip6 *b4, uint8_t aftr,
                          unsigned max_scan)
{
    uint64_t w = s46_bindtab_addr_(t, ipv4);
    unsigned k = (unsigned)(w >> 56);
    if (!w || (1u << k) > max_scan)
        return false;
    const s46_bt_blk *blk = s46_bt_blkp_(w);
    for (uint32_t p = 0; p < (1u << k); p++) {
        s46_bt_hit h;
        if (s46_bindtab_read(&blk->e[p], w, (uint16_t)p, &h) && h.aftr == aftr &&
            s46_ip6_eq(&h.b4, b4))
            return true;
    }
    return false;
}
