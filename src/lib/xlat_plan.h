/* Private to the translator (xlat4to6.c, xlat6to4.c): how a translation is
 * planned before the packet changes. The new headers (IP, ICMP error
 * header, quoted IP header, ...) are built in a small buffer; the rest of
 * the packet (the tail) stays where it is, its checksum changes are listed
 * as fixups, applied only once every check passed; then the new headers go
 * right in front of the tail (into the headroom for 4->6). */
#ifndef S46_XLAT_PLAN_H
#define S46_XLAT_PLAN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/csum.h"
#include "lib/xlat_fast.h"

#define S46_XLAT_HMAX 256
#define S46_XLAT_FIXUPS 4
#define S46_XLAT_ICMP4 1

typedef struct s46_xfix {
    uint8_t *ck;           /* a checksum in the tail (NULL: none) */
    uint32_t minus, plus;  /* sums taken out and put in */
    bool udp;              /* a computed 0 is sent as 0xffff */
    uint8_t *tb;           /* a type byte in the tail (NULL: none) */
    uint8_t t;             /* its new value */
} s46_xfix;

typedef struct s46_xplan {
    uint8_t h[S46_XLAT_HMAX];
    size_t hlen;
    s46_xfix fx[S46_XLAT_FIXUPS];
    unsigned nfx;
    size_t err_at;         /* offset in h of the packet's ICMP error header (0: none) */
    size_t in_ip_at;       /* a quoted error: offset of its IP header in h ... */
    size_t in_err_at;      /* ... and of its ICMP header (0: none) */
    bool udp_full;         /* compute the UDP checksum over the whole packet */
} s46_xplan;

static inline bool s46_xfix_add(s46_xplan *pl, uint8_t *ck, uint32_t minus, uint32_t plus,
                                bool udp, uint8_t *tb, uint8_t t)
{
    if (pl->nfx == S46_XLAT_FIXUPS)
        return false;
    pl->fx[pl->nfx++] = (s46_xfix){ck, minus, plus, udp, tb, t};
    return true;
}

static inline void s46_xfix_apply(const s46_xplan *pl)
{
    for (unsigned i = 0; i < pl->nfx; i++) {
        const s46_xfix *f = &pl->fx[i];
        if (f->tb)
            *f->tb = f->t;
        if (f->ck)
            s46_xf_fix_csum(f->ck, f->minus, f->plus, f->udp);
    }
}

/* Appends a translated ICMP error header (type, code, the 32-bit word after
 * the checksum) to the plan and notes where it is: the packet's own error
 * (depth 0) or, with `at` the offset of the quoted IP header in h, the error
 * a quote holds. Returns its offset in h. */
static inline size_t s46_xplan_icmp_error(s46_xplan *pl, uint8_t type, uint8_t code,
                                          uint32_t word, unsigned depth, size_t at)
{
    size_t eat = pl->hlen;
    uint8_t *e = pl->h + eat;
    e[0] = type;
    e[1] = code;
    s46_put16(e + 2, 0);
    s46_put32(e + 4, word);
    pl->hlen += 8;
    if (depth == 0) {
        pl->err_at = eat;
    } else {
        pl->in_ip_at = at;
        pl->in_err_at = eat;
    }
    return eat;
}

/* The checksum over len bytes at d plus sum, ready to store. */
static inline uint16_t s46_xsum(uint32_t sum, const uint8_t *d, size_t len)
{
    return s46_csum_fold(s46_csum_add(sum, d, len));
}
#endif
