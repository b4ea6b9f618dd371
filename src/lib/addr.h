/* IPv4 and IPv6 addresses and prefixes: strict parsing, RFC 5952 output,
 * bit-field access. Pure functions, no allocation, no I/O.
 * IPv4 addresses are uint32_t in host byte order; IPv6 addresses are 16
 * bytes in network order. Parsers return 0 on success, -1 on bad input and
 * then leave a reason in err (if err is not NULL). */
#ifndef S46_ADDR_H
#define S46_ADDR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct s46_ip6 { uint8_t b[16]; } s46_ip6;
typedef struct s46_pfx4 { uint32_t addr; uint8_t len; } s46_pfx4;
typedef struct s46_pfx6 { s46_ip6 addr; uint8_t len; } s46_pfx6;

#define S46_IP4_STRLEN 16   /* "255.255.255.255" + NUL */
#define S46_IP6_STRLEN 46   /* INET6_ADDRSTRLEN */
#define S46_PFX6_STRLEN 50
#define S46_PFX4_STRLEN 20
#define S46_ERRLEN 160      /* enough for any error message of the library */

int s46_ip4_parse(const char *s, uint32_t *out);
int s46_ip6_parse(const char *s, s46_ip6 *out);
/* "a.b.c.d/len"; the address must have no bits set past len. */
int s46_pfx4_parse(const char *s, s46_pfx4 *out, char *err, size_t errlen);
/* A prefix as s46_pfx4_parse, or a bare address meaning its /32. */
int s46_pfx4_parse_or_host(const char *s, s46_pfx4 *out, char *err, size_t errlen);
/* "x::y/len"; the address must have no bits set past len. */
int s46_pfx6_parse(const char *s, s46_pfx6 *out, char *err, size_t errlen);

char *s46_ip4_format(uint32_t a, char buf[S46_IP4_STRLEN]);
/* RFC 5952: lowercase, no leading zeros, the longest run (first on a tie)
 * of two or more zero hextets becomes "::". */
char *s46_ip6_format(const s46_ip6 *a, char buf[S46_IP6_STRLEN]);
char *s46_pfx4_format(const s46_pfx4 *p, char buf[S46_PFX4_STRLEN]);
char *s46_pfx6_format(const s46_pfx6 *p, char buf[S46_PFX6_STRLEN]);

static inline uint32_t s46_mask4(unsigned len)
{
    return len == 0 ? 0 : (len >= 32 ? 0xffffffffu : ~((1u << (32 - len)) - 1));
}
/* Bits [start, start+count) of a, bit 0 = most significant; count <= 64. */
uint64_t s46_ip6_get_bits(const s46_ip6 *a, unsigned start, unsigned count);
/* Writes the low count bits of v into bits [start, start+count) of a. */
void s46_ip6_set_bits(s46_ip6 *a, unsigned start, unsigned count, uint64_t v);
/* Clears every bit from bit len on. */
void s46_ip6_mask(s46_ip6 *a, unsigned len);
/* true when the first len bits of a and b agree. */
bool s46_ip6_prefix_eq(const s46_ip6 *a, const s46_ip6 *b, unsigned len);
static inline bool s46_pfx6_contains(const s46_pfx6 *p, const s46_ip6 *a)
{
    return s46_ip6_prefix_eq(&p->addr, a, p->len);
}
static inline bool s46_pfx4_contains(const s46_pfx4 *p, uint32_t a)
{
    return ((a ^ p->addr) & s46_mask4(p->len)) == 0;
}
bool s46_ip6_eq(const s46_ip6 *a, const s46_ip6 *b);

/* The address as one 128-bit number (bit 0 of the address = the top bit),
 * for the data planes' arithmetic. */
typedef unsigned __int128 s46_u128;
static inline s46_u128 s46_ip6_u128(const s46_ip6 *a)
{
    uint64_t hi, lo;
    __builtin_memcpy(&hi, a->b, 8);
    __builtin_memcpy(&lo, a->b + 8, 8);
    return (s46_u128)__builtin_bswap64(hi) << 64 | __builtin_bswap64(lo);
}
static inline void s46_ip6_from_u128(s46_ip6 *a, s46_u128 x)
{
    uint64_t hi = __builtin_bswap64((uint64_t)(x >> 64)), lo = __builtin_bswap64((uint64_t)x);
    __builtin_memcpy(a->b, &hi, 8);
    __builtin_memcpy(a->b + 8, &lo, 8);
}
static inline s46_u128 s46_mask128(unsigned len)
{
    return len == 0 ? 0 : len >= 128 ? ~(s46_u128)0 : ~(s46_u128)0 << (128 - len);
}
#endif
