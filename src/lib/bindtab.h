/* The lw4o6 binding table (RFC 7596 §5.1): one entry per subscriber, {B4
 * IPv6 address, IPv4 address, PSID, lwAFTR address}, with the port-set
 * layout (PSID length k, PSID offset a, RFC 7597 §5.1) set per IPv4
 * address: every binding of one address shares it. Offset 0 makes
 * contiguous port ranges and ports 0-1023 belong to PSID 0 (no exclusion).
 *
 * Layout: an open-addressing table of IPv4 addresses (16-byte slots, load
 * at most 1/2) whose slot holds the address and a pointer to the address's
 * block, tagged with k and a: the block has one 24-byte entry per PSID
 * (2^k of them, bound or not), indexed by the PSID of the port. A lookup
 * (IPv4 address, port) is two cache misses: the slot, the entry. Both the
 * IPv4 side (destination -> B4) and the IPv6 side (inner source address
 * and port -> the binding whose B4 and lwAFTR address must match) take it.
 * Bytes per binding: 24 when an address has all its PSIDs bound, plus
 * 32/2^k for its slot; an address with few of its 2^k PSIDs bound pays for
 * the unbound entries (s46_bindtab_bytes says what the table takes).
 *
 * Live changes, lock-free readers. One writer thread (the daemon's main
 * thread) changes the table while workers read it:
 *  - an entry's edit (add, remove, replace of one binding whose address
 *    exists with the same layout) is written in place under the entry's
 *    sequence counter (a seqlock: readers retry a read that overlapped a
 *    write, writers never wait): O(1), no allocation;
 *  - a new address, a layout change, an address whose last binding goes,
 *    a table growth and a bulk reload publish new memory with one atomic
 *    pointer store; the memory they replace is retired and freed once
 *    every reader has left the read section it was in (an epoch per
 *    reader: readers enter/leave around each batch, two stores).
 * A packet of a binding that does not change is thus never dropped nor
 * misrouted during an edit or a reload, and an edit is effective for the
 * next lookup (a removed binding stops at once). Edits cost well under a
 * microsecond (a new address: one block allocation).
 * Readers: s46_bindtab_enter/leave around every batch, one reader index
 * per worker (< S46_BT_READERS). Nothing else is thread-safe. */
#ifndef S46_LIB_BINDTAB_H
#define S46_LIB_BINDTAB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/hash.h"

#define S46_BT_READERS 64
#define S46_BT_MAX_AFTR 16       /* lwAFTR addresses a binding may name */
#define S46_BT_MAX_BINDINGS 10000000u

typedef struct s46_bind {
    s46_ip6 b4;
    uint32_t ipv4;           /* host order, not 0 */
    uint16_t psid;           /* < 2^psid_len */
    uint8_t psid_len;        /* k, 0..16 */
    uint8_t psid_offset;     /* a, 0..15, a + k <= 16 */
    uint8_t aftr;            /* index of its lwAFTR address */
} s46_bind;

/* Internals the inline lookups read. */
typedef struct s46_bt_ent {
    uint64_t b4[2];          /* the B4 address's bytes */
    uint32_t seq;            /* odd while written */
    uint8_t aftr;
    uint8_t bound;
    uint16_t pad_;
} s46_bt_ent;
typedef struct s46_bt_blk {
    uint32_t nbound, pad_;
    s46_bt_ent e[];
} s46_bt_blk;
typedef struct s46_bt_slot {
    uint32_t ipv4;           /* 0: empty (set once) */
    uint32_t pad_;
    uint64_t blk;            /* block pointer | k << 56 | a << 48; 0: none */
} s46_bt_slot;
typedef struct s46_bt_root {
    uint32_t mask, used;     /* slots - 1; slots with an address */
    s46_bt_slot s[];
} s46_bt_root;

typedef struct s46_bindtab s46_bindtab;

s46_bindtab *s46_bindtab_new(void);
void s46_bindtab_free(s46_bindtab *t);

/* Writer side. Each returns 0, or -1 with err (the table unchanged).
 * A binding is checked (s46_bind_check) against naftr addresses. */
int s46_bind_check(const s46_bind *b, unsigned naftr, char *err, size_t errlen);
/* A new binding; -1 when (ipv4, psid) is bound, or ipv4 has bindings of
 * another layout. */
int s46_bindtab_add(s46_bindtab *t, const s46_bind *b, char *err, size_t errlen);
/* The binding of (ipv4, psid) is b (added when there is none); its
 * address's layout may change only when it is the address's only one. */
int s46_bindtab_replace(s46_bindtab *t, const s46_bind *b, char *err, size_t errlen);
int s46_bindtab_remove(s46_bindtab *t, uint32_t ipv4, uint16_t psid, char *err, size_t errlen);
/* Replaces the whole table by the n bindings v at once (a bulk reload);
 * -1 on a duplicate, a layout conflict or a bad binding, with the running
 * table kept. */
int s46_bindtab_load(s46_bindtab *t, const s46_bind *v, size_t n, unsigned naftr, char *err,
                     size_t errlen);
/* Frees what every reader has stopped using (also done by each edit). */
void s46_bindtab_reclaim(s46_bindtab *t);
size_t s46_bindtab_count(const s46_bindtab *t);
size_t s46_bindtab_addresses(const s46_bindtab *t);
/* Bytes the table takes now (blocks, slots; retired memory not yet freed
 * apart). */
size_t s46_bindtab_bytes(const s46_bindtab *t);
size_t s46_bindtab_retired(const s46_bindtab *t);
/* Calls fn for every binding (writer thread), in no particular order. */
void s46_bindtab_each(const s46_bindtab *t, void (*fn)(const s46_bind *b, void *arg), void *arg);

/* Readers. */
void s46_bindtab_enter(s46_bindtab *t, unsigned reader);
void s46_bindtab_leave(s46_bindtab *t, unsigned reader);
const s46_bt_root *s46_bindtab_root_(const s46_bindtab *t);

typedef enum s46_bt_result {
    S46_BT_FOUND = 0,
    S46_BT_NO_ADDRESS,       /* the IPv4 address has no binding */
    S46_BT_NO_BINDING,       /* the address has, but not the port's PSID */
} s46_bt_result;

typedef struct s46_bt_hit {
    s46_ip6 b4;
    uint16_t psid;
    uint8_t aftr;
    uint8_t psid_len, psid_offset;
} s46_bt_hit;

static inline void s46_bt_relax_(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}
static inline uint32_t s46_bt_hash_(uint32_t ipv4) { return (uint32_t)s46_mix64(ipv4); }

/* Where a lookup looks first: prefetch it for a batch. */
static inline void s46_bindtab_prefetch(const s46_bindtab *t, uint32_t ipv4)
{
    const s46_bt_root *r = s46_bindtab_root_(t);
    __builtin_prefetch(&r->s[s46_bt_hash_(ipv4) & r->mask]);
}

/* The address's block word (0: no binding). */
static inline uint64_t s46_bindtab_addr_(const s46_bindtab *t, uint32_t ipv4)
{
    const s46_bt_root *r = s46_bindtab_root_(t);
    for (uint32_t i = s46_bt_hash_(ipv4) & r->mask;; i = (i + 1) & r->mask) {
        uint32_t k = __atomic_load_n(&r->s[i].ipv4, __ATOMIC_ACQUIRE);
        if (k == ipv4)
            return __atomic_load_n(&r->s[i].blk, __ATOMIC_ACQUIRE);
        if (k == 0)
            return 0;
    }
}
static inline s46_bt_blk *s46_bt_blkp_(uint64_t w)
{
    return (s46_bt_blk *)(uintptr_t)(w & 0xffffffffffffull);
}

/* The entry of (ipv4, port): *e, or why there is none. The port's PSID is
 * in *psid. */
static inline s46_bt_result s46_bindtab_locate(const s46_bindtab *t, uint32_t ipv4,
                                               uint16_t port, const s46_bt_ent **e,
                                               uint64_t *w, uint16_t *psid)
{
    *w = s46_bindtab_addr_(t, ipv4);
    if (!*w)
        return S46_BT_NO_ADDRESS;
    unsigned k = (unsigned)(*w >> 56), a = (unsigned)(*w >> 48) & 0xff;
    if (k == 0) {
        *psid = 0;
    } else {
        if (a > 0 && (port >> (16 - a)) == 0)
            return S46_BT_NO_BINDING; /* excluded ports (A = 0) */
        *psid = (uint16_t)((port >> (16 - a - k)) & ((1u << k) - 1));
    }
    *e = &s46_bt_blkp_(*w)->e[*psid];
    return S46_BT_FOUND;
}

/* Reads the entry e (seqlock): false when not bound. */
static inline bool s46_bindtab_read(const s46_bt_ent *e, uint64_t w, uint16_t psid,
                                    s46_bt_hit *h)
{
    uint32_t s;
    uint64_t b0, b1;
    uint8_t aftr, bound;
    do {
        while ((s = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE)) & 1)
            s46_bt_relax_();
        b0 = __atomic_load_n(&e->b4[0], __ATOMIC_RELAXED);
        b1 = __atomic_load_n(&e->b4[1], __ATOMIC_RELAXED);
        aftr = __atomic_load_n(&e->aftr, __ATOMIC_RELAXED);
        bound = __atomic_load_n(&e->bound, __ATOMIC_RELAXED);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
    } while (__atomic_load_n(&e->seq, __ATOMIC_RELAXED) != s);
    if (!bound)
        return false;
    __builtin_memcpy(h->b4.b, &b0, 8);
    __builtin_memcpy(h->b4.b + 8, &b1, 8);
    h->aftr = aftr;
    h->psid = psid;
    h->psid_len = (uint8_t)(w >> 56);
    h->psid_offset = (uint8_t)(w >> 48);
    return true;
}

/* The binding of IPv4 address ipv4 at port (IPv4 side: the destination;
 * IPv6 side: the inner source). */
static inline s46_bt_result s46_bindtab_lookup(const s46_bindtab *t, uint32_t ipv4,
                                               uint16_t port, s46_bt_hit *h)
{
    const s46_bt_ent *e;
    uint64_t w;
    uint16_t psid;
    s46_bt_result r = s46_bindtab_locate(t, ipv4, port, &e, &w, &psid);
    if (r != S46_BT_FOUND)
        return r;
    return s46_bindtab_read(e, w, psid, h) ? S46_BT_FOUND : S46_BT_NO_BINDING;
}

/* The PSID length of ipv4's bindings (0: the whole address), -1 when it
 * has none. */
static inline int s46_bindtab_psid_len(const s46_bindtab *t, uint32_t ipv4)
{
    uint64_t w = s46_bindtab_addr_(t, ipv4);
    return w ? (int)(w >> 56) : -1;
}

/* Has ipv4 a binding to b4 at lwAFTR address aftr, whatever its PSID? (For
 * packets without ports: non-first fragments.) Scans the address's block:
 * at most max_scan entries, false beyond. */
bool s46_bindtab_addr_has(const s46_bindtab *t, uint32_t ipv4, const s46_ip6 *b4, uint8_t aftr,
                          unsigned max_scan);

/* The CSV file format, one binding a line:
 *   b4_ipv6,ipv4,psid,psid_length[,psid_offset[,lwaftr_ipv6]]
 * psid_offset defaults to 0; lwaftr_ipv6 (one of the naftr addresses aftrs)
 * to the first. Blank lines and lines starting with '#' are skipped, spaces
 * around fields ignored. *out (malloc'd, n of them) on 0; -1 with err
 * naming the line. */
int s46_bind_read_csv(const char *path, const s46_ip6 *aftrs, unsigned naftr, s46_bind **out,
                      size_t *n, char *err, size_t errlen);
#endif
