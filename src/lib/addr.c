#include "lib/addr.h"
#include "lib/err.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Dotted quad only: four decimal fields 0..255, no leading zeros (which some
 * parsers read as octal), no other forms. */
int s46_ip4_parse(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        if (*s < '0' || *s > '9')
            return -1;
        unsigned f = 0;
        const char *start = s;
        while (*s >= '0' && *s <= '9') {
            f = f * 10 + (unsigned)(*s - '0');
            if (f > 255 || s - start >= 3)
                return -1;
            s++;
        }
        if (s - start > 1 && *start == '0')
            return -1;
        v = (v << 8) | f;
        if (i < 3 && *s++ != '.')
            return -1;
    }
    if (*s != '\0')
        return -1;
    *out = v;
    return 0;
}

int s46_ip6_parse(const char *s, s46_ip6 *out)
{
    if (strlen(s) >= S46_IP6_STRLEN)
        return -1;
    return inet_pton(AF_INET6, s, out->b) == 1 ? 0 : -1;
}


/* Splits "addr/len" into a bounded copy of addr and the length. */
static int split_prefix(const char *s, char *addr, size_t addrlen, unsigned maxlen,
                        unsigned *len, char *err, size_t errlen)
{
    const char *slash = strchr(s, '/');
    if (!slash) {
        s46_seterr(err, errlen, "'%s' is not a prefix (missing /length)", s);
        return -1;
    }
    size_t al = (size_t)(slash - s);
    if (al == 0 || al >= addrlen) {
        s46_seterr(err, errlen, "'%s' is not a valid prefix", s);
        return -1;
    }
    memcpy(addr, s, al);
    addr[al] = '\0';
    const char *l = slash + 1;
    unsigned v = 0;
    if (*l < '0' || *l > '9' || (l[0] == '0' && l[1] != '\0')) {
        s46_seterr(err, errlen, "'%s': bad prefix length", s);
        return -1;
    }
    for (; *l; l++) {
        if (*l < '0' || *l > '9' || (v = v * 10 + (unsigned)(*l - '0')) > maxlen) {
            s46_seterr(err, errlen, "'%s': prefix length must be 0..%u", s, maxlen);
            return -1;
        }
    }
    *len = v;
    return 0;
}

int s46_pfx4_parse(const char *s, s46_pfx4 *out, char *err, size_t errlen)
{
    char a[S46_IP4_STRLEN];
    unsigned len;
    uint32_t v;
    if (split_prefix(s, a, sizeof a, 32, &len, err, errlen) < 0)
        return -1;
    if (s46_ip4_parse(a, &v) < 0) {
        s46_seterr(err, errlen, "'%s' is not a valid IPv4 prefix", s);
        return -1;
    }
    if (v & ~s46_mask4(len)) {
        s46_seterr(err, errlen, "'%s' has address bits set beyond /%u", s, len);
        return -1;
    }
    out->addr = v;
    out->len = (uint8_t)len;
    return 0;
}

int s46_pfx4_parse_or_host(const char *s, s46_pfx4 *out, char *err, size_t errlen)
{
    if (!strchr(s, '/') && s46_ip4_parse(s, &out->addr) == 0) {
        out->len = 32;
        return 0;
    }
    return s46_pfx4_parse(s, out, err, errlen);
}

int s46_pfx6_parse(const char *s, s46_pfx6 *out, char *err, size_t errlen)
{
    char a[S46_IP6_STRLEN];
    unsigned len;
    s46_ip6 v, m;
    if (split_prefix(s, a, sizeof a, 128, &len, err, errlen) < 0)
        return -1;
    if (s46_ip6_parse(a, &v) < 0) {
        s46_seterr(err, errlen, "'%s' is not a valid IPv6 prefix", s);
        return -1;
    }
    m = v;
    s46_ip6_mask(&m, len);
    if (!s46_ip6_eq(&m, &v)) {
        s46_seterr(err, errlen, "'%s' has address bits set beyond /%u", s, len);
        return -1;
    }
    out->addr = v;
    out->len = (uint8_t)len;
    return 0;
}

char *s46_ip4_format(uint32_t a, char buf[S46_IP4_STRLEN])
{
    snprintf(buf, S46_IP4_STRLEN, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff,
             (a >> 8) & 0xff, a & 0xff);
    return buf;
}

char *s46_ip6_format(const s46_ip6 *a, char buf[S46_IP6_STRLEN])
{
    unsigned h[8];
    int best = -1, bestlen = 1, run = -1, runlen = 0;
    for (int i = 0; i < 8; i++) {
        h[i] = (unsigned)a->b[2 * i] << 8 | a->b[2 * i + 1];
        if (h[i] == 0) {
            if (run < 0) {
                run = i;
                runlen = 0;
            }
            if (++runlen > bestlen) {
                best = run;
                bestlen = runlen;
            }
        } else {
            run = -1;
        }
    }
    char *p = buf;
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            *p++ = ':';
            if (i == 0)
                *p++ = ':';
            i += bestlen - 1;
            continue;
        }
        p += sprintf(p, "%x", h[i]);
        if (i < 7)
            *p++ = ':';
    }
    *p = '\0';
    return buf;
}

char *s46_pfx4_format(const s46_pfx4 *p, char buf[S46_PFX4_STRLEN])
{
    char a[S46_IP4_STRLEN];
    snprintf(buf, S46_PFX4_STRLEN, "%s/%u", s46_ip4_format(p->addr, a), p->len);
    return buf;
}

char *s46_pfx6_format(const s46_pfx6 *p, char buf[S46_PFX6_STRLEN])
{
    char a[S46_IP6_STRLEN];
    snprintf(buf, S46_PFX6_STRLEN, "%s/%u", s46_ip6_format(&p->addr, a), p->len);
    return buf;
}

typedef s46_u128 u128;
#define load128 s46_ip6_u128
#define store128 s46_ip6_from_u128
#define mask128 s46_mask128

uint64_t s46_ip6_get_bits(const s46_ip6 *a, unsigned start, unsigned count)
{
    if (count == 0 || start >= 128)
        return 0;
    if (start + count > 128)
        count = 128 - start;
    return (uint64_t)((load128(a) << start) >> (128 - count));
}

void s46_ip6_set_bits(s46_ip6 *a, unsigned start, unsigned count, uint64_t v)
{
    if (count == 0 || start >= 128)
        return;
    if (start + count > 128) { /* keep the leading bits of v that fit */
        v >>= start + count - 128;
        count = 128 - start;
    }
    unsigned shift = 128 - start - count;
    u128 m = (count >= 64 ? (u128)UINT64_MAX : (((u128)1 << count) - 1)) << shift;
    store128(a, (load128(a) & ~m) | (((u128)v << shift) & m));
}

void s46_ip6_mask(s46_ip6 *a, unsigned len)
{
    store128(a, load128(a) & mask128(len));
}

bool s46_ip6_prefix_eq(const s46_ip6 *a, const s46_ip6 *b, unsigned len)
{
    return ((load128(a) ^ load128(b)) & mask128(len)) == 0;
}

bool s46_ip6_eq(const s46_ip6 *a, const s46_ip6 *b)
{
    return memcmp(a->b, b->b, 16) == 0;
}
