/* TCP MSS clamping (RFC 4459 §3.2, RFC 6908 §2.2): lowers the MSS option of
 * a SYN so that segments fit a tunnel, updating the TCP checksum
 * incrementally (RFC 1624). */
#ifndef S46_MSS_H
#define S46_MSS_H
#include <stdbool.h>
#include <stdint.h>

#include "lib/parse.h"

/* The IPv4 packet at ip (parsed into l3) carries TCP: when it is a SYN whose
 * MSS option exceeds mss_max, sets it to mss_max and returns true. Malformed
 * options are left alone. */
bool s46_tcp_clamp_mss(uint8_t *ip, const s46_l3 *l3, uint16_t mss_max);
#endif
