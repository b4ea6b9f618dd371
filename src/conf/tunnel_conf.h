/* The RFC 2473 tunnel settings the BR and the CEs share, read from a
 * settings object with the json_get.h family: "ipv6_mtu" (1280..9000, the
 * largest outer IPv6 packet), "hop_limit" (1..255, of the outer header),
 * "encap_limit" (null: no Tunnel Encapsulation Limit option, -1; or
 * 0..255). Absent members keep their value. 0, or -1 with err. */
#ifndef S46_CONF_TUNNEL_CONF_H
#define S46_CONF_TUNNEL_CONF_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

int s46_tunnel_conf_from_json(const json_t *obj, uint16_t *ipv6_mtu, uint8_t *hop_limit,
                              int16_t *encap_limit, char *err, size_t errlen);
#endif
