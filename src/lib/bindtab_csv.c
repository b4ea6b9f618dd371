/* The binding table's CSV file (lib/bindtab.h s46_bind_read_csv). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bindtab.h"
#include "lib/err.h"

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = 0;
    return s;
}

static bool num(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    *out = strtoul(s, &end, 10);
    return !errno && !*end && *out <= max;
}

/* One line's fields into b; NULL or what is wrong. */
static const char *line_bind(char *line, const s46_ip6 *aftrs, unsigned naftr, s46_bind *b)
{
    char *f[7];
    unsigned nf = 0;
    for (char *p = line; nf < 7;) {
        f[nf++] = p;
        char *c = strchr(p, ',');
        if (!c)
            break;
        *c = 0;
        p = c + 1;
    }
    if (nf < 4 || nf > 6)
        return "want b4_ipv6,ipv4,psid,psid_length[,psid_offset[,lwaftr_ipv6]]";
    for (unsigned i = 0; i < nf; i++)
        f[i] = trim(f[i]);
    unsigned long v;
    memset(b, 0, sizeof *b);
    if (s46_ip6_parse(f[0], &b->b4) < 0)
        return "b4_ipv6: not an IPv6 address";
    if (s46_ip4_parse(f[1], &b->ipv4) < 0)
        return "ipv4: not an IPv4 address";
    if (!num(f[2], 65535, &v))
        return "psid: not a number 0..65535";
    b->psid = (uint16_t)v;
    if (!num(f[3], 16, &v))
        return "psid_length: not a number 0..16";
    b->psid_len = (uint8_t)v;
    if (nf > 4 && *f[4]) {
        if (!num(f[4], 15, &v))
            return "psid_offset: not a number 0..15";
        b->psid_offset = (uint8_t)v;
    }
    if (nf > 5 && *f[5]) {
        s46_ip6 a;
        if (s46_ip6_parse(f[5], &a) < 0)
            return "lwaftr_ipv6: not an IPv6 address";
        unsigned i = 0;
        while (i < naftr && !s46_ip6_eq(&aftrs[i], &a))
            i++;
        if (i == naftr)
            return "lwaftr_ipv6: not one of the lwAFTR's addresses";
        b->aftr = (uint8_t)i;
    }
    return NULL;
}

int s46_bind_read_csv(const char *path, const s46_ip6 *aftrs, unsigned naftr, s46_bind **out,
                      size_t *n, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        s46_seterr(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    s46_bind *v = NULL;
    size_t cnt = 0, cap = 0, lineno = 0, sz = 0;
    char *line = NULL, e[S46_ERRLEN];
    int r = 0;
    while (getline(&line, &sz, f) >= 0) {
        lineno++;
        char *l = trim(line);
        if (!*l || *l == '#')
            continue;
        if (cnt == cap) {
            size_t nc = cap ? 2 * cap : 1024;
            s46_bind *nv = nc > S46_BT_MAX_BINDINGS + 1024u ? NULL : realloc(v, nc * sizeof *nv);
            if (!nv) {
                s46_seterr(err, errlen, "%s: more than %u bindings or out of memory", path,
                           S46_BT_MAX_BINDINGS);
                r = -1;
                break;
            }
            v = nv;
            cap = nc;
        }
        const char *why = line_bind(l, aftrs, naftr, &v[cnt]);
        if (!why && s46_bind_check(&v[cnt], naftr, e, sizeof e) < 0)
            why = e;
        if (why) {
            s46_seterr(err, errlen, "%s:%zu: %s", path, lineno, why);
            r = -1;
            break;
        }
        cnt++;
    }
    if (!r && ferror(f)) {
        s46_seterr(err, errlen, "%s: %s", path, strerror(errno));
        r = -1;
    }
    free(line);
    fclose(f);
    if (r < 0) {
        free(v);
        return -1;
    }
    *out = v;
    *n = cnt;
    return 0;
}
