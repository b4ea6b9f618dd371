#include "prov/txt.h"

#include <string.h>
#include <strings.h>

#include "lib/addr.h"
#include "lib/err.h"

/* scheme "://" authority [path]: the authority is a host (a name or a
 * bracketed IPv6 literal) with an optional port, no user information. */
static bool url_ok(const char *u, size_t n, bool *https)
{
    size_t skip;
    if (n > 8 && !strncasecmp(u, "https://", 8)) {
        *https = true;
        skip = 8;
    } else if (n > 7 && !strncasecmp(u, "http://", 7)) {
        *https = false;
        skip = 7;
    } else {
        return false;
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)u[i] <= 0x20 || (unsigned char)u[i] >= 0x7f || u[i] == '"')
            return false;
    size_t end = skip;
    while (end < n && u[end] != '/' && u[end] != '?' && u[end] != '#')
        end++;
    const char *a = u + skip;
    size_t an = end - skip, hn;
    if (an == 0 || memchr(a, '@', an))
        return false;
    if (a[0] == '[') {
        const char *close = memchr(a, ']', an);
        char lit[S46_IP6_STRLEN];
        s46_ip6 ip;
        if (!close || (size_t)(close - a - 1) >= sizeof lit)
            return false;
        memcpy(lit, a + 1, (size_t)(close - a - 1));
        lit[close - a - 1] = 0;
        if (s46_ip6_parse(lit, &ip) < 0)
            return false;
        hn = (size_t)(close - a) + 1;
    } else {
        const char *colon = memchr(a, ':', an);
        hn = colon ? (size_t)(colon - a) : an;
        if (hn == 0)
            return false;
    }
    if (hn == an)
        return true;
    if (a[hn] != ':' || an - hn - 1 == 0 || an - hn - 1 > 5)
        return false;
    unsigned port = 0;
    for (size_t i = hn + 1; i < an; i++) {
        if (a[i] < '0' || a[i] > '9')
            return false;
        port = port * 10 + (unsigned)(a[i] - '0');
    }
    return port >= 1 && port <= 65535;
}

int s46_txt_parse(const char *text, size_t len, s46_txt *out, char *err, size_t errlen)
{
    bool have_v = false, have_url = false, have_t = false;
    memset(out, 0, sizeof *out);
    size_t i = 0;
    while (i < len) {
        if (text[i] == ' ') {
            i++;
            continue;
        }
        size_t j = i;
        while (j < len && text[j] != ' ')
            j++;
        const char *tok = text + i;
        size_t n = j - i;
        i = j;
        const char *eq = memchr(tok, '=', n);
        if (!eq) {
            s46_seterr(err, errlen, "TXT: \"%.*s\" is not key=value", (int)(n > 40 ? 40 : n), tok);
            return -1;
        }
        size_t kn = (size_t)(eq - tok), vn = n - kn - 1;
        const char *val = eq + 1;
        if (kn == 1 && tok[0] == 'v') {
            if (have_v) goto dup;
            have_v = true;
            if (vn != 7 || memcmp(val, "v6mig-1", 7) != 0) {
                s46_seterr(err, errlen, "TXT: v must be v6mig-1");
                return -1;
            }
        } else if (kn == 3 && !memcmp(tok, "url", 3)) {
            if (have_url) goto dup;
            have_url = true;
            if (vn > S46_TXT_URL_MAX || !url_ok(val, vn, &out->https)) {
                s46_seterr(err, errlen, "TXT: url must be an http:// or https:// URL");
                return -1;
            }
            memcpy(out->url, val, vn);
            out->url[vn] = 0;
        } else if (kn == 1 && tok[0] == 't') {
            if (have_t) goto dup;
            have_t = true;
            if (vn != 1 || (val[0] != 'a' && val[0] != 'b')) {
                s46_seterr(err, errlen, "TXT: t must be a or b");
                return -1;
            }
            out->verify = val[0] == 'b';
        } else {
            s46_seterr(err, errlen, "TXT: unknown key \"%.*s\"", (int)(kn > 20 ? 20 : kn), tok);
            return -1;
        }
        continue;
    dup:
        s46_seterr(err, errlen, "TXT: key \"%.*s\" given twice", (int)kn, tok);
        return -1;
    }
    if (!have_v || !have_url || !have_t) {
        s46_seterr(err, errlen, "TXT: missing %s", !have_v ? "v" : !have_url ? "url" : "t");
        return -1;
    }
    if (!out->https && out->verify) {
        s46_seterr(err, errlen, "TXT: an http URL requires t=a");
        return -1;
    }
    return 0;
}
