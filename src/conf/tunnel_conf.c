#include "conf/tunnel_conf.h"
#include "conf/json_get.h"

int s46_tunnel_conf_from_json(const json_t *obj, uint16_t *ipv6_mtu, uint8_t *hop_limit,
                              int16_t *encap_limit, char *err, size_t errlen)
{
    if (s46_json_u16(obj, "ipv6_mtu", 1280, 9000, ipv6_mtu, err, errlen) < 0 ||
        s46_json_u8(obj, "hop_limit", 1, 255, hop_limit, err, errlen) < 0 ||
        s46_json_u8_or_null(obj, "encap_limit", 0, 255, encap_limit, err, errlen) < 0)
        return -1;
    return 0;
}
