#include "lib/maprule.h"
#include "lib/err.h"

#include <string.h>

static uint32_t low_mask(unsigned bits) /* bits <= 32 */
{
    return bits >= 32 ? 0xffffffffu : (1u << bits) - 1;
}

void s46_maprule_shape(const s46_maprule *r, s46_rule_shape *s)
{
    unsigned o = r->ea_len, len4 = r->ipv4.len;
    memset(s, 0, sizeof *s);
    s->psid_offset = r->psid_offset;
    if (r->explicit_psid) {
        s->ipv4_len = (uint8_t)len4;
        s->psid_len = r->psid_len;
    } else if (o + len4 > 32) {
        s->ipv4_len = 32;
        s->suffix_bits = (uint8_t)(32 - len4);
        s->psid_len = (uint8_t)(o - (32 - len4));
    } else {
        s->ipv4_len = (uint8_t)(len4 + o);
        s->suffix_bits = (uint8_t)o;
    }
    if (s->psid_len > 0)
        s->m = (uint8_t)(16 - s->psid_offset - s->psid_len);
    s->port_count = s46_portset_count(s->psid_offset, s->psid_len);
    s->range_count = s46_portset_range_count(s->psid_offset, s->psid_len);
}

int s46_maprule_validate(const s46_maprule *r, char *err, size_t errlen)
{
    char b[S46_PFX6_STRLEN];
    unsigned n = r->ipv6.len, len4 = r->ipv4.len, o = r->ea_len, a = r->psid_offset;
    s46_ip6 m6 = r->ipv6.addr;

    if (n > 128 || len4 > 32) {
        s46_seterr(err, errlen, "prefix length out of range");
        return -1;
    }
    s46_ip6_mask(&m6, n);
    if (!s46_ip6_eq(&m6, &r->ipv6.addr)) {
        s46_seterr(err, errlen, "rule IPv6 prefix has address bits set beyond /%u", n);
        return -1;
    }
    if (r->ipv4.addr & ~s46_mask4(len4)) {
        s46_seterr(err, errlen, "rule IPv4 prefix has address bits set beyond /%u", len4);
        return -1;
    }
    if (o > 48) {
        s46_seterr(err, errlen, "ea_length %u exceeds 48 (RFC 7597 §5.2)", o);
        return -1;
    }
    if (a > 15) {
        s46_seterr(err, errlen, "psid_offset %u exceeds 15", a);
        return -1;
    }
    if (n + o > 128) {
        s46_seterr(err, errlen, "rule IPv6 prefix length %u + ea_length %u exceeds 128", n, o);
        return -1;
    }
    unsigned k;
    if (r->explicit_psid) {
        k = r->psid_len;
        if (o != 0) {
            s46_seterr(err, errlen, "an explicit PSID needs ea_length 0, rule %s has %u",
                       s46_pfx6_format(&r->ipv6, b), o);
            return -1;
        }
        if (k > 16) {
            s46_seterr(err, errlen, "PSID length %u exceeds 16", k);
            return -1;
        }
        if (k > 0 && len4 != 32) {
            s46_seterr(err, errlen,
                       "an explicit PSID needs a full IPv4 address (/32), rule IPv4 prefix is /%u",
                       len4);
            return -1;
        }
        if (k < 16 && r->psid >> k) {
            s46_seterr(err, errlen, "PSID %u does not fit in PSID length %u", r->psid, k);
            return -1;
        }
    } else {
        k = o + len4 > 32 ? o - (32 - len4) : 0;
        if (k > 16) {
            s46_seterr(err, errlen,
                       "ea_length %u with IPv4 prefix /%u gives PSID length %u, more than 16",
                       o, len4, k);
            return -1;
        }
    }
    if (a + k > 16) {
        s46_seterr(err, errlen, "psid_offset %u + PSID length %u exceeds 16 (RFC 7597 §5.1)",
                   a, k);
        return -1;
    }
    return 0;
}

void s46_map_address(const s46_pfx6 *eu, uint32_t ipv4, uint16_t psid,
                     s46_iid_layout layout, s46_ip6 *out)
{
    s46_ip6 a = eu->addr;
    s46_ip6_mask(&a, eu->len <= 64 ? eu->len : 64); /* subnet ID zero */
    memset(a.b + 8, 0, 8);
    unsigned at = layout == S46_IID_DRAFT03 ? 9 : 10;
    a.b[at] = (uint8_t)(ipv4 >> 24);
    a.b[at + 1] = (uint8_t)(ipv4 >> 16);
    a.b[at + 2] = (uint8_t)(ipv4 >> 8);
    a.b[at + 3] = (uint8_t)ipv4;
    a.b[at + 4] = (uint8_t)(psid >> 8);
    a.b[at + 5] = (uint8_t)psid;
    if (eu->len > 64) /* the prefix overwrites the IID's leading bits (§6) */
        s46_ip6_set_bits(&a, 64, eu->len - 64u, s46_ip6_get_bits(&eu->addr, 64, eu->len - 64u));
    *out = a;
}

void s46_iid_decode(const s46_ip6 *addr, s46_iid_layout layout, uint32_t *ipv4,
                    uint16_t *psid)
{
    unsigned at = layout == S46_IID_DRAFT03 ? 9 : 10;
    const uint8_t *b = addr->b;
    *ipv4 = (uint32_t)b[at] << 24 | (uint32_t)b[at + 1] << 16 | (uint32_t)b[at + 2] << 8 |
            b[at + 3];
    *psid = (uint16_t)(b[at + 4] << 8 | b[at + 5]);
}

int s46_maprule_derive(const s46_maprule *r, const s46_pfx6 *eu, s46_iid_layout layout,
                       s46_ce_params *out, char *err, size_t errlen)
{
    char b1[S46_PFX6_STRLEN], b2[S46_PFX6_STRLEN];
    unsigned n = r->ipv6.len, o = r->ea_len;
    s46_rule_shape s;

    if (eu->len < n || !s46_pfx6_contains(&r->ipv6, &eu->addr)) {
        s46_seterr(err, errlen, "End-user prefix %s is outside rule IPv6 prefix %s",
                   s46_pfx6_format(eu, b1), s46_pfx6_format(&r->ipv6, b2));
        return -1;
    }
    if (eu->len < n + o) {
        s46_seterr(err, errlen,
                   "End-user prefix %s is shorter than rule prefix length %u + ea_length %u"
                   " = /%u (RFC 7597 §5.2): the EA bits would be undefined",
                   s46_pfx6_format(eu, b1), n, o, n + o);
        return -1;
    }
    s46_maprule_shape(r, &s);
    uint64_t ea = s46_ip6_get_bits(&eu->addr, n, o);
    memset(out, 0, sizeof *out);
    out->eu_prefix = *eu;
    out->psid_offset = s.psid_offset;
    out->psid_len = s.psid_len;
    out->ipv4_len = s.ipv4_len;
    if (r->explicit_psid) {
        out->ipv4 = r->ipv4.addr;
        out->psid = r->psid_len ? r->psid : 0;
    } else if (s.psid_len > 0) {
        out->ipv4 = r->ipv4.addr | (uint32_t)(ea >> s.psid_len);
        out->psid = (uint16_t)(ea & low_mask(s.psid_len));
    } else {
        unsigned shift = 32 - s.ipv4_len; /* 0 for a full address */
        out->ipv4 = r->ipv4.addr | (uint32_t)(ea << shift);
    }
    s46_map_address(eu, out->ipv4, out->psid, layout, &out->map_addr);
    return 0;
}

int s46_maprule_reverse(const s46_maprule *r, uint32_t ipv4, uint16_t port,
                        s46_iid_layout layout, s46_ce_params *out, char *err,
                        size_t errlen)
{
    char b1[S46_IP4_STRLEN], b2[S46_PFX4_STRLEN];
    s46_rule_shape s;
    if (!s46_pfx4_contains(&r->ipv4, ipv4)) {
        s46_seterr(err, errlen, "%s is outside rule IPv4 prefix %s", s46_ip4_format(ipv4, b1),
                   s46_pfx4_format(&r->ipv4, b2));
        return -1;
    }
    s46_maprule_shape(r, &s);
    int psid = s46_port_psid(s.psid_offset, s.psid_len, port);
    if (psid < 0) {
        s46_seterr(err, errlen, "port %u is excluded: A = 0 with PSID offset %u (ports 0-%u"
                   " belong to no CE)", port, s.psid_offset, (1u << (16 - s.psid_offset)) - 1);
        return -1;
    }
    if (r->explicit_psid && s.psid_len && (unsigned)psid != r->psid) {
        s46_seterr(err, errlen, "port %u has PSID %d; this rule's CE has PSID %u", port, psid,
                   r->psid);
        return -1;
    }
    uint64_t ea;
    unsigned o = r->ea_len, len4 = r->ipv4.len;
    if (r->explicit_psid || o == 0)
        ea = 0;
    else if (s.psid_len > 0)
        ea = (uint64_t)(ipv4 & low_mask(32 - len4)) << s.psid_len | (uint64_t)psid;
    else
        ea = (ipv4 & ~s46_mask4(len4)) >> (32 - len4 - o);
    s46_pfx6 eu = r->ipv6;
    s46_ip6_set_bits(&eu.addr, r->ipv6.len, o, ea);
    eu.len = (uint8_t)(r->ipv6.len + o);
    return s46_maprule_derive(r, &eu, layout, out, err, errlen);
}

uint32_t s46_portset_count(unsigned a, unsigned k)
{
    if (k == 0)
        return 65536;
    uint32_t block = 1u << (16 - a - k);
    return a == 0 ? block : ((1u << a) - 1) * block;
}

uint32_t s46_portset_range_count(unsigned a, unsigned k)
{
    return (k == 0 || a == 0) ? 1 : (1u << a) - 1;
}

uint32_t s46_portset_ranges(unsigned a, unsigned k, uint16_t psid, s46_port_range *out,
                            uint32_t max)
{
    uint32_t count = s46_portset_range_count(a, k);
    if (k == 0) {
        if (max > 0)
            out[0] = (s46_port_range){0, 65535};
        return 1;
    }
    unsigned m = 16 - a - k;
    uint32_t first_a = a == 0 ? 0 : 1;
    for (uint32_t i = 0; i < count && i < max; i++) {
        uint32_t start = ((first_a + i) << (16 - a)) | ((uint32_t)psid << m);
        out[i] = (s46_port_range){(uint16_t)start, (uint16_t)(start + (1u << m) - 1)};
    }
    return count;
}

uint16_t s46_portset_nth(unsigned a, unsigned k, uint16_t psid, uint32_t i)
{
    if (k == 0)
        return (uint16_t)i;
    unsigned m = 16 - a - k;
    uint32_t A = (a == 0 ? 0 : 1) + (i >> m);
    return (uint16_t)((A << (16 - a)) | ((uint32_t)psid << m) | (i & ((1u << m) - 1)));
}

const char *s46_iid_layout_name(s46_iid_layout l)
{
    return l == S46_IID_DRAFT03 ? "draft03" : "rfc7597";
}

int s46_iid_layout_parse(const char *s, s46_iid_layout *out)
{
    if (strcmp(s, "rfc7597") == 0)
        *out = S46_IID_RFC7597;
    else if (strcmp(s, "draft03") == 0)
        *out = S46_IID_DRAFT03;
    else
        return -1;
    return 0;
}
