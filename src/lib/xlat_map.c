#include "lib/xlat_map.h"

#include "lib/rfc6052.h"

bool s46_siit_to6(const void *map, uint32_t a4, s46_ip6 *out)
{
    const s46_siit_map *m = map;
    if (s46_eam_to6(&m->eam, a4, out))
        return true;
    if (!m->has_pool6)
        return false;
    s46_rfc6052_embed(&m->pool6, a4, out);
    return true;
}

bool s46_siit_to4(const void *map, const s46_ip6 *a6, uint32_t *out)
{
    const s46_siit_map *m = map;
    if (s46_eam_to4(&m->eam, a6, out))
        return true;
    return m->has_pool6 && s46_rfc6052_extract(&m->pool6, a6, out);
}
