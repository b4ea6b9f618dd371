/* RFC 7915's ICMP tables: §4.2 (ICMPv4 -> ICMPv6) and §5.2 (back). */
#include "lib/xlat.h"

#include <string.h>

#define MIN(a, b) ((a) < (b) ? (a) : (b))

int s46_xlat_ptr4to6(unsigned p4)
{
    switch (p4) {
    case 0: return 0;   /* version/IHL -> version/traffic class */
    case 1: return 1;   /* type of service -> traffic class/flow label */
    case 2:
    case 3: return 4;   /* total length -> payload length */
    case 8: return 7;   /* TTL -> hop limit */
    case 9: return 6;   /* protocol -> next header */
    default:
        if (p4 >= 12 && p4 <= 15)
            return 8;   /* source address */
        if (p4 >= 16 && p4 <= 19)
            return 24;  /* destination address */
        return -1;      /* identification, flags, offset, checksum, options */
    }
}

int s46_xlat_ptr6to4(unsigned p6)
{
    if (p6 <= 1)
        return (int)p6; /* version/traffic class; traffic class/flow label */
    if (p6 <= 3)
        return -1;      /* flow label: no IPv4 field (§5.2) */
    if (p6 <= 5)
        return 2;
    if (p6 == 6)
        return 9;
    if (p6 == 7)
        return 8;
    if (p6 <= 23)
        return 12;
    if (p6 <= 39)
        return 16;
    return -1;
}

/* RFC 1191's table of MTU plateaus: the likeliest IPv4 path MTU for a
 * packet of len bytes that a router refused without naming its MTU is the
 * greatest plateau below len (RFC 7915 §4.2); 0 when none is. */
static unsigned plateau(unsigned len)
{
    static const unsigned pl[] = {65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68};
    for (unsigned i = 0; i < sizeof pl / sizeof pl[0]; i++)
        if (pl[i] < len)
            return pl[i];
    return 0;
}

bool s46_xlat_icmp4to6(const s46_xlat *x, uint8_t t, uint8_t c, uint32_t word,
                       uint16_t quoted_len, uint8_t *t6, uint8_t *c6, uint32_t *word6)
{
    *word6 = 0;
    switch (t) {
    case 3: /* destination unreachable */
        *t6 = 1;
        switch (c) {
        case 0: case 1: case 5: case 6: case 7: case 8: case 11: case 12:
            *c6 = 0; /* no route */
            return true;
        case 9: case 10: case 13: case 15:
            *c6 = 1; /* administratively prohibited */
            return true;
        case 3:
            *c6 = 4; /* port unreachable */
            return true;
        case 2: /* protocol unreachable: parameter problem at next header */
            *t6 = 4;
            *c6 = 1;
            *word6 = 6;
            return true;
        case 4: { /* fragmentation needed: packet too big */
            unsigned m4 = word & 0xffff;
            if (!m4)
                m4 = plateau(quoted_len);
            unsigned m = MIN(m4 + 20, (unsigned)x->mtu6);
            m = MIN(m, (unsigned)x->mtu4 + 20);
            if (m < 1280) /* IPv6 hosts never see a smaller path MTU (§5) */
                m = 1280;
            *t6 = 2;
            *c6 = 0;
            *word6 = m;
            return true;
        }
        default:
            return false; /* 14 (host precedence violation) and unknown */
        }
    case 11: /* time exceeded */
        if (c > 1)
            return false;
        *t6 = 3;
        *c6 = c;
        return true;
    case 12: { /* parameter problem */
        if (c != 0 && c != 2)
            return false;
        int p = s46_xlat_ptr4to6(word >> 24);
        if (p < 0)
            return false;
        *t6 = 4;
        *c6 = 0;
        *word6 = (uint32_t)p;
        return true;
    }
    default:
        return false;
    }
}

bool s46_xlat_icmp6to4(const s46_xlat *x, uint8_t t, uint8_t c, uint32_t word, bool quoted_frag,
                       uint8_t *t4, uint8_t *c4, uint32_t *word4)
{
    *word4 = 0;
    switch (t) {
    case 1: /* destination unreachable */
        *t4 = 3;
        switch (c) {
        case 0: case 2: case 3:
            *c4 = 1; /* host unreachable */
            return true;
        case 1:
            *c4 = 10; /* host administratively prohibited */
            return true;
        case 4:
            *c4 = 3; /* port unreachable */
            return true;
        default:
            return false;
        }
    case 2: { /* packet too big: fragmentation needed */
        unsigned sub = 20u + (quoted_frag ? 8u : 0u);
        unsigned m = word > 0xffff ? 0xffff : word;
        m = m > sub ? m - sub : 0;
        m = MIN(m, (unsigned)x->mtu4);
        m = MIN(m, (unsigned)x->mtu6 - 20u);
        *t4 = 3;
        *c4 = 4;
        *word4 = m;
        return true;
    }
    case 3: /* time exceeded */
        if (c > 1)
            return false;
        *t4 = 11;
        *c4 = c;
        return true;
    case 4: /* parameter problem */
        if (c == 1) { /* unrecognized next header: protocol unreachable */
            *t4 = 3;
            *c4 = 2;
            return true;
        }
        if (c == 0) {
            int p = s46_xlat_ptr6to4(word);
            if (p < 0)
                return false;
            *t4 = 12;
            *c4 = 0;
            *word4 = (uint32_t)p << 24;
            return true;
        }
        return false;
    default:
        return false;
    }
}

static const char *const res_names[] = {
#define S46_XR_NAME(n, d) #n,
    S46_XLAT_RESULTS(S46_XR_NAME)
#undef S46_XR_NAME
};

const char *s46_xlat_res_name(s46_xlat_res r)
{
    return (unsigned)r < S46_XR_N ? res_names[r] : "?";
}

void s46_xlat_default(s46_xlat *x)
{
    memset(x, 0, sizeof *x);
    x->mtu4 = 1500;
    x->mtu6 = 1500;
    x->lowest_mtu6 = 1280;
    x->ttl_decrement = true;
}
