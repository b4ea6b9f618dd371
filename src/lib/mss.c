#include "lib/mss.h"
#include "lib/csum.h"
#include "lib/napt.h"

bool s46_tcp_clamp_mss(uint8_t *ip, const s46_l3 *l3, uint16_t mss_max)
{
    uint8_t *t = ip + l3->l3_len;
    if (l3->l4_len < 20 || !(t[13] & S46_TCP_SYN))
        return false;
    size_t doff = (size_t)(t[12] >> 4) * 4;
    if (doff < 20 || doff > l3->l4_len)
        return false;
    for (size_t i = 20; i + 1 < doff;) {
        uint8_t kind = t[i];
        if (kind == 0)
            return false;
        if (kind == 1) {
            i++;
            continue;
        }
        uint8_t len = t[i + 1];
        if (len < 2 || i + len > doff)
            return false;
        if (kind == 2 && len == 4) {
            uint16_t mss = s46_get16(t + i + 2);
            if (mss <= mss_max)
                return false;
            s46_csum_replace16(t + 16, mss, mss_max);
            s46_put16(t + i + 2, mss_max);
            return true;
        }
        i += len;
    }
    return false;
}
