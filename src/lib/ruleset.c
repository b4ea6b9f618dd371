#include "lib/ruleset.h"
#include "lib/err.h"
#include "lib/hash.h"

#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX

struct slot4 { uint32_t key; uint8_t len; uint32_t rule; };
struct slot6 { s46_u128 key; uint8_t len; uint32_t rule; };

struct s46_ruleset {
    s46_maprule *rules;
    s46_rule_shape *shapes;
    uint32_t *next4;        /* chain of rules sharing one IPv4 prefix */
    size_t count;
    struct slot4 *t4;
    struct slot6 *t6;
    size_t mask;            /* table capacity - 1 (both tables) */
    bool shared4;           /* some rules share an IPv4 prefix */
    uint32_t min4, max4;    /* no rule's IPv4 prefix reaches outside these */
    uint8_t lens4[33], nlens4;  /* distinct lengths, longest first */
    uint8_t lens6[129], nlens6;
    uint32_t masks4[33];        /* s46_mask4 of lens4[i] */
    s46_u128 masks6[129];       /* s46_mask128 of lens6[i] */
};

/* Hashes of the prefixes: the MurmurHash3-style finalizer, one for IPv4
 * keys and one (over both halves, the low one premultiplied) for IPv6. */
static size_t hash4(const s46_ruleset *rs, uint32_t key, unsigned len)
{
    return (size_t)s46_mix64((uint64_t)key << 8 | len) & rs->mask;
}

static size_t hash6(const s46_ruleset *rs, s46_u128 key, unsigned len)
{
    uint64_t hi = (uint64_t)(key >> 64), lo = (uint64_t)key;
    return (size_t)s46_mix64(hi ^ (lo * 0x9e3779b97f4a7c15ull) ^ len) & rs->mask;
}

static uint32_t find4(const s46_ruleset *rs, uint32_t key, unsigned len)
{
    for (size_t i = hash4(rs, key, len);; i = (i + 1) & rs->mask) {
        const struct slot4 *s = &rs->t4[i];
        if (s->rule == NONE)
            return NONE;
        if (s->key == key && s->len == len)
            return s->rule;
    }
}

static uint32_t find6(const s46_ruleset *rs, s46_u128 key, unsigned len)
{
    for (size_t i = hash6(rs, key, len);; i = (i + 1) & rs->mask) {
        const struct slot6 *s = &rs->t6[i];
        if (s->rule == NONE)
            return NONE;
        if (s->len == len && s->key == key)
            return s->rule;
    }
}

static void add_len(uint8_t *lens, uint8_t *n, uint8_t len)
{
    unsigned i = 0;
    while (i < *n && lens[i] > len)
        i++;
    if (i < *n && lens[i] == len)
        return;
    memmove(lens + i + 1, lens + i, *n - i);
    lens[i] = len;
    (*n)++;
}

s46_ruleset *s46_ruleset_new(const s46_maprule *rules, size_t count, char *err,
                             size_t errlen)
{
    char e[S46_ERRLEN];
    if (count > 16u * 1024 * 1024) {
        s46_seterr(err, errlen, "too many rules (%zu)", count);
        return NULL;
    }
    for (size_t i = 0; i < count; i++) {
        if (s46_maprule_validate(&rules[i], e, sizeof e) < 0) {
            s46_seterr(err, errlen, "rule %zu: %s", i, e);
            return NULL;
        }
    }
    s46_ruleset *rs = calloc(1, sizeof *rs);
    if (!rs)
        goto oom;
    size_t cap = 16;
    while (cap < 2 * count)
        cap <<= 1;
    rs->mask = cap - 1;
    rs->count = count;
    rs->rules = malloc((count ? count : 1) * sizeof *rs->rules);
    rs->next4 = malloc((count ? count : 1) * sizeof *rs->next4);
    rs->shapes = malloc((count ? count : 1) * sizeof *rs->shapes);
    rs->t4 = malloc(cap * sizeof *rs->t4);
    rs->t6 = malloc(cap * sizeof *rs->t6);
    if (!rs->rules || !rs->next4 || !rs->shapes || !rs->t4 || !rs->t6)
        goto oom;
    if (count)
        memcpy(rs->rules, rules, count * sizeof *rules);
    for (size_t i = 0; i < count; i++)
        s46_maprule_shape(&rs->rules[i], &rs->shapes[i]);
    for (size_t i = 0; i < cap; i++)
        rs->t4[i].rule = rs->t6[i].rule = NONE;

    for (uint32_t i = 0; i < count; i++) {
        const s46_maprule *r = &rs->rules[i];
        rs->next4[i] = NONE;
        s46_u128 k6 = s46_ip6_u128(&r->ipv6.addr);
        uint32_t j = find6(rs, k6, r->ipv6.len);
        if (j != NONE) {
            s46_seterr(err, errlen, "rules %u and %u have the same IPv6 prefix", j, i);
            goto fail;
        }
        size_t h = hash6(rs, k6, r->ipv6.len);
        while (rs->t6[h].rule != NONE)
            h = (h + 1) & rs->mask;
        rs->t6[h] = (struct slot6){k6, r->ipv6.len, i};
        add_len(rs->lens6, &rs->nlens6, r->ipv6.len);

        j = find4(rs, r->ipv4.addr, r->ipv4.len);
        if (j == NONE) {
            h = hash4(rs, r->ipv4.addr, r->ipv4.len);
            while (rs->t4[h].rule != NONE)
                h = (h + 1) & rs->mask;
            rs->t4[h] = (struct slot4){r->ipv4.addr, r->ipv4.len, i};
            add_len(rs->lens4, &rs->nlens4, r->ipv4.len);
            continue;
        }
        /* A shared IPv4 prefix is only unambiguous between explicit-PSID
         * rules with one PSID offset and length and distinct PSIDs. */
        for (uint32_t x = j; x != NONE; x = rs->next4[x]) {
            const s46_maprule *o = &rs->rules[x];
            if (!r->explicit_psid || !o->explicit_psid || r->psid_len == 0 ||
                o->psid_len != r->psid_len || o->psid_offset != r->psid_offset ||
                o->psid == r->psid) {
                s46_seterr(err, errlen,
                           "rules %u and %u have the same IPv4 prefix and overlapping ports",
                           x, i);
                goto fail;
            }
            if (rs->next4[x] == NONE) {
                rs->next4[x] = i;
                rs->shared4 = true;
                break;
            }
        }
    }
    for (unsigned i = 0; i < rs->nlens4; i++)
        rs->masks4[i] = s46_mask4(rs->lens4[i]);
    rs->min4 = UINT32_MAX;
    rs->max4 = 0;
    for (size_t i = 0; i < count; i++) {
        uint32_t lo = rs->rules[i].ipv4.addr & s46_mask4(rs->rules[i].ipv4.len);
        uint32_t hi = lo | ~s46_mask4(rs->rules[i].ipv4.len);
        if (lo < rs->min4)
            rs->min4 = lo;
        if (hi > rs->max4)
            rs->max4 = hi;
    }
    for (unsigned i = 0; i < rs->nlens6; i++)
        rs->masks6[i] = s46_mask128(rs->lens6[i]);
    return rs;
oom:
    s46_seterr(err, errlen, "out of memory for %zu rules", count);
fail:
    s46_ruleset_free(rs);
    return NULL;
}

void s46_ruleset_free(s46_ruleset *rs)
{
    if (!rs)
        return;
    free(rs->rules);
    free(rs->shapes);
    free(rs->next4);
    free(rs->t4);
    free(rs->t6);
    free(rs);
}

size_t s46_ruleset_count(const s46_ruleset *rs) { return rs->count; }

const s46_maprule *s46_ruleset_get(const s46_ruleset *rs, size_t i)
{
    return i < rs->count ? &rs->rules[i] : NULL;
}

const s46_rule_shape *s46_ruleset_shape(const s46_ruleset *rs, const s46_maprule *r)
{
    return &rs->shapes[r - rs->rules];
}

size_t s46_ruleset_index(const s46_ruleset *rs, const s46_maprule *r)
{
    return (size_t)(r - rs->rules);
}

const s46_maprule *s46_ruleset_bmr(const s46_ruleset *rs, const s46_pfx6 *eu)
{
    s46_u128 a = s46_ip6_u128(&eu->addr);
    for (unsigned i = 0; i < rs->nlens6; i++) {
        unsigned len = rs->lens6[i];
        if (len > eu->len)
            continue;
        uint32_t r = find6(rs, a & rs->masks6[i], len);
        if (r != NONE)
            return &rs->rules[r];
    }
    return NULL;
}

const s46_maprule *s46_ruleset_match6(const s46_ruleset *rs, const s46_ip6 *a)
{
    s46_u128 x = s46_ip6_u128(a);
    for (unsigned i = 0; i < rs->nlens6; i++) {
        uint32_t r = find6(rs, x & rs->masks6[i], rs->lens6[i]);
        if (r != NONE)
            return &rs->rules[r];
    }
    return NULL;
}

unsigned s46_ruleset_longest6(const s46_ruleset *rs)
{
    return rs->nlens6 ? rs->lens6[0] : 0;
}

unsigned s46_ruleset_longest4(const s46_ruleset *rs)
{
    return rs->nlens4 ? rs->lens4[0] : 0;
}

bool s46_ruleset_shared4(const s46_ruleset *rs) { return rs->shared4; }

const s46_maprule *s46_ruleset_match4(const s46_ruleset *rs, uint32_t ipv4, uint16_t port)
{
    if (ipv4 < rs->min4 || ipv4 > rs->max4)
        return NULL;
    for (unsigned i = 0; i < rs->nlens4; i++) {
        unsigned len = rs->lens4[i];
        uint32_t r = find4(rs, ipv4 & rs->masks4[i], len);
        if (r == NONE)
            continue;
        if (rs->next4[r] == NONE)
            return &rs->rules[r];
        for (; r != NONE; r = rs->next4[r]) {
            const s46_maprule *x = &rs->rules[r];
            if (s46_port_in_set(x->psid_offset, x->psid_len, x->psid, port))
                return x;
        }
        return NULL;
    }
    return NULL;
}

bool s46_ruleset_covers4(const s46_ruleset *rs, uint32_t ipv4)
{
    /* most destinations outside the domain fall outside its address range */
    if (ipv4 < rs->min4 || ipv4 > rs->max4)
        return false;
    for (unsigned i = 0; i < rs->nlens4; i++)
        if (find4(rs, ipv4 & rs->masks4[i], rs->lens4[i]) != NONE)
            return true;
    return false;
}
