/* A TUN device: raw IP packets (IFF_TUN | IFF_NO_PI), non-blocking. The
 * kernel routes what the data plane should see into the device and routes
 * what it writes onward, so one TUN serves both the IPv4 and the IPv6 side.
 *
 * As a port (s46_port_open_tun, io/port.h): spec->queues > 1 opens the
 * device with IFF_MULTI_QUEUE, one fd per queue (the kernel spreads flows
 * over them); queue 0 sets the MTU, brings the device up and turns off its
 * link-local address. spec->offloads adds IFF_VNET_HDR and TUNSETOFFLOAD
 * (checksum, TSO4/6, ECN, and USO4/6 where the kernel has them): the kernel
 * then hands over TCP/UDP super-packets of up to 64 KiB and packets with a
 * partial checksum, which cost it nothing to produce. rx cuts every
 * super-packet into pool packets (lib/gso; counted in rx_gso_split) and
 * completes partial checksums (rx_csum_completed), so the data plane only
 * ever sees plain packets that fit a buffer. tx writes a virtio_net_hdr:
 * none for a plain packet, a GSO one for a super-packet the pipeline left
 * whole (gso_size set; tx_gso), which the kernel segments; a super-packet
 * the kernel cannot take is cut in software. A run of one TCP flow's
 * segments in a tx batch (lib/coalesce) is written as one super-packet
 * (tx_gso, tx_coalesced): one system call and one trip through the
 * kernel's forwarding for the run, as the AF_PACKET port does. The header goes into the
 * packet's headroom (scratch space) when it has 10 bytes of it. A
 * super-packet whose segments do not all fit the caller's batch waits in
 * the port (never in a pool buffer), and port.fd (then an epoll set of the
 * device and an eventfd) stays readable until they are out. rx_dropped is the device's own
 * drop count (packets routed into a full queue), which the kernel keeps for
 * the whole device, not per queue: queue 0 reports it.
 *
 * The s46_tun_* functions are the older single-queue interface, without
 * offloads (the port is built on them). */
#ifndef S46_IO_TUN_H
#define S46_IO_TUN_H
#include "lib/pkt.h"

typedef struct s46_tun { int fd; char name[16]; } s46_tun;

/* Creates (or attaches to) the device, sets the MTU and brings it up. */
int s46_tun_open(s46_tun *t, const char *name, unsigned mtu, char *err, size_t errlen);
void s46_tun_close(s46_tun *t);
/* Fills b with up to max packets from pool; returns how many were read (0
 * when none is waiting). */
uint32_t s46_tun_rx(s46_tun *t, s46_pktpool *pool, s46_batch *b, uint32_t max);
/* Writes one packet; -1 on error (counted by the caller). */
int s46_tun_tx(s46_tun *t, const s46_pkt *p);
#endif
