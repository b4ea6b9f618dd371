#include "prov/endpoint.h"

#include <string.h>

bool s46_hb46pp_fqdn_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 254 || (n == 254 && s[253] != '.'))
        return false;
    size_t lab = 0;
    for (size_t i = 0; i <= n; i++) {
        char c = s[i];
        if (c == '.' || c == 0) {
            if (c == 0 && lab == 0 && i > 0 && s[i - 1] == '.')
                return true; /* trailing dot */
            if (lab == 0 || lab > 63 || s[i - 1] == '-')
                return false;
            lab = 0;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-'))
            return false;
        if (lab == 0 && c == '-')
            return false;
        lab++;
    }
    return true;
}

const char *s46_hb46pp_endpoint_bad(const s46_ip6 *a)
{
    static const s46_ip6 zero;
    if (a->b[0] == 0xff)
        return "a multicast address";
    if (a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0x80)
        return "a link-local address";
    if (a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0xc0)
        return "a site-local address";
    if (s46_ip6_prefix_eq(a, &zero, 96)) /* ::, ::1 and IPv4-compatible */
        return s46_ip6_eq(a, &zero)       ? "the unspecified address"
               : a->b[15] == 1 && !a->b[14] && !a->b[13] && !a->b[12] ? "the loopback address"
                                                                       : "an IPv4-compatible address";
    static const s46_ip6 mapped = {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}};
    if (s46_ip6_prefix_eq(a, &mapped, 96))
        return "an IPv4-mapped address";
    return NULL;
}
