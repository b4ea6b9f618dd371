/* SIIT's address map (RFC 7755 §3, RFC 7757 §3.2): an address is
 * translated by the Explicit Address Mapping table first (longest match),
 * else by the RFC 6052 pool6 prefix (IPv4 -> IPv6: any address embedded;
 * IPv6 -> IPv4: only addresses inside pool6). The callbacks plug into
 * s46_xlat's to6/to4 with arg = the map. Read-only once built. */
#ifndef S46_XLAT_MAP_H
#define S46_XLAT_MAP_H
#include "lib/eam.h"
#include "lib/xlat.h"

typedef struct s46_siit_map {
    s46_eam eam;
    s46_pfx6 pool6;
    bool has_pool6;
} s46_siit_map;

bool s46_siit_to6(const void *map, uint32_t a4, s46_ip6 *out);
bool s46_siit_to4(const void *map, const s46_ip6 *a6, uint32_t *out);
/* x's map set to m. */
static inline void s46_siit_attach(s46_xlat *x, const s46_siit_map *m)
{
    x->to6 = s46_siit_to6;
    x->to4 = s46_siit_to4;
    x->arg = m;
}
#endif
