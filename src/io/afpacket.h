/* An Ethernet interface as a packet port through an AF_PACKET socket. The
 * kernel keeps the interface's own addresses and answers ARP/NDP for them;
 * with forwarding off in the namespace it silently drops the transit
 * traffic that this port hands to the data plane. Received frames: only
 * those addressed to the interface (PACKET_HOST) carrying IPv4 or IPv6; the
 * Ethernet header is stripped. Sent packets get an Ethernet header in their
 * headroom, to the configured next-hop MAC (or, if none was configured, the
 * source MAC of the last IP frame received: the neighbour that talks to us). */
#ifndef S46_IO_AFPACKET_H
#define S46_IO_AFPACKET_H
#include <stdbool.h>

#include "lib/pkt.h"

typedef struct s46_afp {
    int fd, ifindex;
    char name[16];
    uint8_t mac[6], peer[6];
    bool peer_known, peer_fixed;
    uint64_t rx_ignored, tx_errors, rx_csum_completed;
} s46_afp;

int s46_afp_open(s46_afp *a, const char *ifname, const char *peer_mac, char *err, size_t errlen);
void s46_afp_close(s46_afp *a);
uint32_t s46_afp_rx(s46_afp *a, s46_pktpool *pool, s46_batch *b, uint32_t max);
int s46_afp_tx(s46_afp *a, s46_pkt *p);
int s46_mac_parse(const char *s, uint8_t mac[6]);
#endif
