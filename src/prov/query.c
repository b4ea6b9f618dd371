#include "prov/query.h"

#include <string.h>

static bool all_in(const char *s, size_t lo, size_t hi, const char *extra, bool alnum,
                   bool digits)
{
    size_t n = 0;
    if (!s)
        return false;
    for (; s[n]; n++) {
        unsigned char c = (unsigned char)s[n];
        bool ok = (digits && c >= '0' && c <= '9') ||
                  (alnum && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                             (c >= '0' && c <= '9'))) ||
                  (c && strchr(extra, c));
        if (!ok || n >= hi)
            return false;
    }
    return n >= lo;
}

static bool ishex(unsigned char c, bool lower_only)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (!lower_only && c >= 'A' && c <= 'F');
}

bool s46_q_vendorid_ok(const char *s)
{
    if (!s)
        return false;
    for (int i = 0; i < 6; i++)
        if (!ishex((unsigned char)s[i], false))
            return false;
    if (s[6] == 0)
        return true;
    return s[6] == '-' && all_in(s + 7, 1, 24, "_", true, true);
}

bool s46_q_product_ok(const char *s) { return all_in(s, 1, 32, "_-", true, true); }
bool s46_q_version_ok(const char *s) { return all_in(s, 1, 32, "_", false, true); }
bool s46_q_cred_ok(const char *s) { return all_in(s, 1, 32, "_-", true, true); }

bool s46_q_token_ok(const char *s)
{
    if (!s)
        return false;
    size_t n = 0;
    for (; s[n]; n++)
        if (n >= 64 || !ishex((unsigned char)s[n], true))
            return false;
    return n == 64;
}

static const struct { const char *name; unsigned bit; } caps[] = {
    {"464xlat", S46_CAP_464XLAT}, {"dslite", S46_CAP_DSLITE}, {"ipip", S46_CAP_IPIP},
    {"lw4o6", S46_CAP_LW4O6},     {"map_e", S46_CAP_MAPE},    {"map_t", S46_CAP_MAPT},
    {"hubspoke", S46_CAP_HUBSPOKE}, {"mesh", S46_CAP_MESH},
};

const char *s46_q_cap_name(unsigned bit)
{
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++)
        if (caps[i].bit == bit && bit < S46_CAP_HUBSPOKE)
            return caps[i].name;
    return NULL;
}

int s46_q_capability_parse(const char *s)
{
    if (!s || strlen(s) > 256)
        return -1;
    unsigned bits = 0;
    const char *p = s;
    while (*p) {
        const char *e = p;
        while (*e && *e != ',')
            e++;
        for (const char *c = p; c < e; c++)
            if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
                return -1;
        for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++)
            if (strlen(caps[i].name) == (size_t)(e - p) && !memcmp(caps[i].name, p, e - p))
                bits |= caps[i].bit;
        p = *e ? e + 1 : e;
    }
    return (int)bits;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int s46_q_pct_decode(const char *src, size_t n, char *dst, size_t dstlen)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)src[i];
        if (c == '%') {
            int h, l;
            if (i + 2 >= n || (h = hexval(src[i + 1])) < 0 || (l = hexval(src[i + 2])) < 0)
                return -1;
            c = h * 16 + l;
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        if (c == 0 || o + 1 >= dstlen)
            return -1;
        dst[o++] = (char)c;
    }
    if (o >= dstlen)
        return -1;
    dst[o] = 0;
    return 0;
}
