/* MAP rule arithmetic of RFC 7597 §5 and Appendix B, shared by MAP-E, MAP-T
 * and lw4o6: rule validation, what a CE derives from its End-user prefix
 * (IPv4 address or prefix, PSID, port set, MAP IPv6 address in the RFC 7597
 * or draft-03 interface-identifier layout) and the reverse a BR or an abuse
 * desk needs (IPv4 + port -> End-user prefix). Pure functions.
 *
 * Symbols: n = rule IPv6 prefix length, r = rule IPv4 prefix length,
 * o = EA-bits length, a = PSID offset, k = PSID length, m = 16 - a - k. */
#ifndef S46_MAPRULE_H
#define S46_MAPRULE_H
#include "lib/addr.h"

typedef enum s46_iid_layout {
    S46_IID_RFC7597 = 0, /* 16 zero bits | IPv4 (32) | PSID (16)            */
    S46_IID_DRAFT03 = 1, /* 8 zero bits | IPv4 | PSID | 8 zero bits ("v0") */
} s46_iid_layout;

typedef struct s46_maprule {
    s46_pfx6 ipv6;        /* Rule IPv6 prefix, length n */
    s46_pfx4 ipv4;        /* Rule IPv4 prefix, length r */
    uint8_t ea_len;       /* o, 0..48 */
    uint8_t psid_offset;  /* a, 0..15 */
    /* Explicit port parameters, only for o = 0 (RFC 7597 App. A Ex. 5,
     * RFC 7598 S46_PORTPARAMS, lw4o6): PSID right-aligned. */
    uint8_t psid_len;     /* k when explicit, else 0 */
    uint16_t psid;
    bool explicit_psid;
} s46_maprule;

/* The shape a valid rule gives every CE under it. */
typedef struct s46_rule_shape {
    uint8_t ipv4_len;     /* 32 for a (possibly shared) address, r + o for a prefix */
    uint8_t suffix_bits;  /* p: IPv4 bits carried in EA bits */
    uint8_t psid_len;     /* k */
    uint8_t psid_offset;  /* a */
    uint8_t m;            /* 16 - a - k (0 when k = 0) */
    uint32_t port_count;  /* ports per CE: 65536 when k = 0 */
    uint32_t range_count; /* contiguous port ranges per CE */
} s46_rule_shape;

/* What one CE derives. */
typedef struct s46_ce_params {
    s46_pfx6 eu_prefix;   /* End-user IPv6 prefix (or the /128 it came from) */
    uint32_t ipv4;        /* the address, or the prefix's first address */
    uint8_t ipv4_len;     /* 32, or r + o for an IPv4 prefix */
    uint16_t psid;        /* right-aligned; 0 when psid_len = 0 */
    uint8_t psid_len;
    uint8_t psid_offset;
    s46_ip6 map_addr;     /* the CE's MAP IPv6 address */
} s46_ce_params;

typedef struct s46_port_range { uint16_t first, last; } s46_port_range;

/* 0 when the rule is possible; else -1 and err names the violated
 * constraint (a + k > 16, o > 48, n + o > 128, ...). */
int s46_maprule_validate(const s46_maprule *r, char *err, size_t errlen);
/* Shape of a validated rule. */
void s46_maprule_shape(const s46_maprule *r, s46_rule_shape *out);

/* CE side: derive everything from an End-user prefix inside the rule.
 * Fails (with err) if the prefix is outside the rule or shorter than n + o. */
int s46_maprule_derive(const s46_maprule *r, const s46_pfx6 *eu, s46_iid_layout layout,
                       s46_ce_params *out, char *err, size_t errlen);

/* The MAP IPv6 address for an End-user prefix, an IPv4 address and a PSID
 * (RFC 7597 §5.2 and §6: subnet ID zero, the prefix overwriting the IID's top
 * bits when it is longer than /64). */
void s46_map_address(const s46_pfx6 *eu, uint32_t ipv4, uint16_t psid,
                     s46_iid_layout layout, s46_ip6 *out);
/* Reads IPv4 and PSID back out of a MAP address's interface identifier. */
void s46_iid_decode(const s46_ip6 *addr, s46_iid_layout layout, uint32_t *ipv4,
                    uint16_t *psid);

/* Reverse (BR, abuse desk): the CE that owns IPv4 address ipv4 and port
 * inside rule r. Returns 0 and fills out; -1 with err when ipv4 is outside
 * the rule, or the port is excluded (A = 0 with a > 0) or belongs to no CE
 * of this rule (explicit PSID of another CE). */
int s46_maprule_reverse(const s46_maprule *r, uint32_t ipv4, uint16_t port,
                        s46_iid_layout layout, s46_ce_params *out, char *err,
                        size_t errlen);

/* Port-set algorithm (GMA), RFC 7597 §5.1. k = 0 means every port. */
uint32_t s46_portset_count(unsigned a, unsigned k);
uint32_t s46_portset_range_count(unsigned a, unsigned k);
/* Fills up to max ranges, in increasing order; returns how many exist. */
uint32_t s46_portset_ranges(unsigned a, unsigned k, uint16_t psid, s46_port_range *out,
                            uint32_t max);
/* The i-th port (0-based, increasing order) of the set; i < count. */
uint16_t s46_portset_nth(unsigned a, unsigned k, uint16_t psid, uint32_t i);
/* PSID of a port; -1 when the port is excluded (A = 0 with a > 0). */
static inline int s46_port_psid(unsigned a, unsigned k, uint16_t port)
{
    if (k == 0)
        return 0;
    if (a > 0 && (port >> (16 - a)) == 0)
        return -1;
    return (int)((port >> (16 - a - k)) & ((1u << k) - 1));
}
static inline bool s46_port_in_set(unsigned a, unsigned k, uint16_t psid, uint16_t port)
{
    int p = s46_port_psid(a, k, port);
    return p >= 0 && (k == 0 || (uint16_t)p == psid);
}

/* Data-plane fast paths over a validated rule and its shape (no error text,
 * no allocation). s46_map_ce_addr: the MAP address of the CE that owns
 * ipv4:port (false: excluded port, another CE's explicit PSID, outside the
 * rule). s46_map_check_src: whether src is exactly the MAP address of a CE
 * of the rule; then *ipv4, *ipv4_len and *psid describe that CE. */
/* (Inline: they are on every packet's path.) */
static inline uint32_t s46_low_mask32_(unsigned bits) /* bits <= 32 */
{
    return bits >= 32 ? 0xffffffffu : (1u << bits) - 1;
}

/* The MAP address from the End-user prefix (as a number, its length) and
 * the IPv4 / PSID that go into the interface identifier. */
static inline s46_u128 s46_map_addr128_(s46_u128 eu, unsigned eu_len, uint32_t v4,
                                         uint16_t psid, s46_iid_layout layout)
{
    uint64_t iid = layout == S46_IID_DRAFT03 ? (uint64_t)v4 << 24 | (uint64_t)psid << 8
                                             : (uint64_t)v4 << 16 | psid;
    s46_u128 a = (eu & s46_mask128(eu_len < 64 ? eu_len : 64)) | iid;
    if (eu_len > 64)
        a = (a & ~s46_mask128(eu_len)) | (eu & s46_mask128(eu_len));
    return a;
}

/* The same for End-user prefixes of at most 64 bits, in 64-bit halves: the
 * upper half is the prefix, the lower half the interface identifier. */
static inline uint64_t s46_mask64_(unsigned len) /* len <= 64 */
{
    return len == 0 ? 0 : ~0ull << (64 - len);
}
static inline uint64_t s46_map_iid_(uint32_t v4, uint16_t psid, s46_iid_layout layout)
{
    return layout == S46_IID_DRAFT03 ? (uint64_t)v4 << 24 | (uint64_t)psid << 8
                                     : (uint64_t)v4 << 16 | psid;
}
static inline uint64_t s46_load_be64_(const uint8_t *b)
{
    uint64_t x;
    __builtin_memcpy(&x, b, 8);
    return __builtin_bswap64(x);
}
static inline void s46_store_be64_(uint8_t *b, uint64_t x)
{
    x = __builtin_bswap64(x);
    __builtin_memcpy(b, &x, 8);
}

static inline bool s46_map_ce_addr(const s46_maprule *r, const s46_rule_shape *s,
                                   uint32_t ipv4, uint16_t port, s46_iid_layout layout,
                                   s46_ip6 *out)
{
    unsigned n = r->ipv6.len, o = r->ea_len, len4 = r->ipv4.len, k = s->psid_len;
    if (((ipv4 ^ r->ipv4.addr) & s46_mask4(len4)) != 0)
        return false;
    int psid = s46_port_psid(s->psid_offset, k, port);
    if (psid < 0 || (r->explicit_psid && k && (unsigned)psid != r->psid))
        return false;
    uint64_t ea = 0;
    if (r->explicit_psid || o == 0)
        ea = 0;
    else if (k > 0)
        ea = (uint64_t)(ipv4 & s46_low_mask32_(32 - len4)) << k | (uint64_t)psid;
    else
        ea = (ipv4 & ~s46_mask4(len4)) >> (32 - len4 - o);
    uint32_t v4 = s->ipv4_len < 32 ? ipv4 & s46_mask4(s->ipv4_len) : ipv4;
    if (n + o <= 64) {
        uint64_t hi = s46_load_be64_(r->ipv6.addr.b);
        if (o)
            hi |= ea << (64 - n - o);
        s46_store_be64_(out->b, hi & s46_mask64_(n + o));
        s46_store_be64_(out->b + 8, s46_map_iid_(v4, k ? (uint16_t)psid : 0, layout));
        return true;
    }
    s46_u128 eu = s46_ip6_u128(&r->ipv6.addr);
    if (o)
        eu |= (s46_u128)ea << (128 - n - o);
    s46_ip6_from_u128(out, s46_map_addr128_(eu, n + o, v4, k ? (uint16_t)psid : 0, layout));
    return true;
}

static inline bool s46_map_check_src(const s46_maprule *r, const s46_rule_shape *s,
                                     const s46_ip6 *src, s46_iid_layout layout,
                                     uint32_t *ipv4, uint8_t *ipv4_len, uint16_t *psid)
{
    unsigned n = r->ipv6.len, o = r->ea_len, k = s->psid_len;
    uint64_t hi = s46_load_be64_(src->b), lo = s46_load_be64_(src->b + 8), ea;
    if (!o)
        ea = 0;
    else if (n + o <= 64) /* then n < 64 */
        ea = (hi << n) >> (64 - o);
    else
        ea = (uint64_t)((s46_ip6_u128(src) << n) >> (128 - o));
    uint32_t v4;
    uint16_t ps = 0;
    if (r->explicit_psid) {
        v4 = r->ipv4.addr;
        ps = k ? r->psid : 0;
    } else if (k > 0) {
        v4 = r->ipv4.addr | (uint32_t)(ea >> k);
        ps = (uint16_t)(ea & s46_low_mask32_(k));
    } else {
        v4 = r->ipv4.addr | (uint32_t)(ea << (32 - s->ipv4_len));
    }
    if (n + o <= 64) {
        /* the prefix as given, subnet ID zero, the interface identifier */
        if ((hi & ~s46_mask64_(n + o)) != 0 || lo != s46_map_iid_(v4, ps, layout))
            return false;
    } else {
        s46_u128 a = s46_ip6_u128(src);
        if (s46_map_addr128_(a & s46_mask128(n + o), n + o, v4, ps, layout) != a)
            return false;
    }
    *ipv4 = v4;
    *ipv4_len = s->ipv4_len;
    *psid = ps;
    return true;
}

const char *s46_iid_layout_name(s46_iid_layout l);
int s46_iid_layout_parse(const char *s, s46_iid_layout *out);
#endif
