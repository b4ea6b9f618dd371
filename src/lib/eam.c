#include "lib/eam.h"

#include <stdlib.h>
#include <string.h>

#include "lib/err.h"

void s46_eam_init(s46_eam *t) { memset(t, 0, sizeof *t); }

void s46_eam_free(s46_eam *t)
{
    free(t->by4);
    free(t->by6);
    s46_eam_init(t);
}

/* Inserts e into a keeping it sorted by the key length, longest first. */
static void insert(s46_eam_entry *a, size_t n, const s46_eam_entry *e, bool six)
{
    unsigned len = six ? e->v6.len : e->v4.len;
    size_t i = n;
    while (i > 0 && (six ? a[i - 1].v6.len : a[i - 1].v4.len) < len) {
        a[i] = a[i - 1];
        i--;
    }
    a[i] = *e;
}

int s46_eam_add(s46_eam *t, const s46_pfx4 *v4, const s46_pfx6 *v6, char *err, size_t errlen)
{
    if (v4->len > 32 || v6->len > 128 || 32u - v4->len != 128u - v6->len) {
        s46_seterr(err, errlen, "eam: the IPv4 and IPv6 prefixes need as many suffix bits "
                                "(/%u and /%u)", v4->len, v6->len);
        return -1;
    }
    for (size_t i = 0; i < t->n; i++) {
        if (t->by4[i].v4.len == v4->len && t->by4[i].v4.addr == v4->addr) {
            s46_seterr(err, errlen, "eam: an IPv4 prefix appears twice");
            return -1;
        }
        if (t->by6[i].v6.len == v6->len && s46_ip6_eq(&t->by6[i].v6.addr, &v6->addr)) {
            s46_seterr(err, errlen, "eam: an IPv6 prefix appears twice");
            return -1;
        }
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        s46_eam_entry *a = realloc(t->by4, cap * sizeof *a), *b;
        if (!a) {
            s46_seterr(err, errlen, "out of memory");
            return -1;
        }
        t->by4 = a;
        b = realloc(t->by6, cap * sizeof *b);
        if (!b) {
            s46_seterr(err, errlen, "out of memory");
            return -1;
        }
        t->by6 = b;
        t->cap = cap;
    }
    s46_eam_entry e = {*v4, *v6};
    e.v4.addr &= s46_mask4(v4->len);
    s46_ip6_mask(&e.v6.addr, v6->len);
    insert(t->by4, t->n, &e, false);
    insert(t->by6, t->n, &e, true);
    t->n++;
    return 0;
}

int s46_eam_copy(s46_eam *dst, const s46_eam *src)
{
    s46_eam_free(dst);
    if (!src->n)
        return 0;
    dst->by4 = malloc(src->n * sizeof *dst->by4);
    dst->by6 = malloc(src->n * sizeof *dst->by6);
    if (!dst->by4 || !dst->by6) {
        s46_eam_free(dst);
        return -1;
    }
    memcpy(dst->by4, src->by4, src->n * sizeof *dst->by4);
    memcpy(dst->by6, src->by6, src->n * sizeof *dst->by6);
    dst->n = dst->cap = src->n;
    return 0;
}

bool s46_eam_to6(const s46_eam *t, uint32_t a4, s46_ip6 *out)
{
    for (size_t i = 0; i < t->n; i++) {
        const s46_eam_entry *e = &t->by4[i];
        if (!s46_pfx4_contains(&e->v4, a4))
            continue;
        unsigned sfx = 32u - e->v4.len;
        s46_u128 v = s46_ip6_u128(&e->v6.addr);
        if (sfx)
            v |= (s46_u128)(a4 & ~s46_mask4(e->v4.len));
        s46_ip6_from_u128(out, v);
        return true;
    }
    return false;
}

bool s46_eam_to4(const s46_eam *t, const s46_ip6 *a6, uint32_t *out)
{
    for (size_t i = 0; i < t->n; i++) {
        const s46_eam_entry *e = &t->by6[i];
        if (!s46_pfx6_contains(&e->v6, a6))
            continue;
        unsigned sfx = 128u - e->v6.len;
        uint32_t low = (uint32_t)s46_ip6_u128(a6);
        *out = e->v4.addr | (sfx ? low & ~s46_mask4(e->v4.len) : 0);
        return true;
    }
    return false;
}
