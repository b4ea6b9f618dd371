/* An Ethernet interface as a packet port through AF_XDP (libxdp).
 *
 * Queue q of an interface is one AF_XDP socket bound to NIC queue q, with a
 * UMEM of its own: half of its frames circulate through the fill and rx
 * rings (the fill ring is kept full: every frame rx consumed goes back at
 * once), the other half serve tx (a free stack; the completion ring is
 * reaped before every tx batch). Received frames are copied out of the UMEM
 * into pool packets at S46_PKT_HEADROOM; sent packets are copied into UMEM
 * frames behind their Ethernet header. Zero-copy binding is tried first and
 * copy mode used where the driver has none (veth, macvlan); the rings use
 * need_wakeup, so rx and tx enter the kernel only when it asks (tx: sendto
 * with MSG_DONTWAIT, repeated while copy mode says EAGAIN). Frames must fit
 * a 4096-byte UMEM frame (rx: MTU up to 3826, the kernel keeps 256 bytes of
 * XDP headroom); no multi-buffer (jumbo) frames.
 *
 * The link layer is io/ether (shared with the interface's other queues):
 * it strips the header on rx, learns neighbours, writes the header on tx.
 *
 * The first queue opened on an interface attaches the XDP program
 * (xdp_redirect.bpf.c, embedded into the library at build time) through
 * libxdp, natively, else in generic (SKB) mode, which is said in err on
 * success (err doubles as a note: "" when nothing is worth saying); the last
 * queue closed detaches it. The program sends IPv4 and IPv6 to the queue's
 * socket (a queue without a socket: to the kernel) and passes ARP, Neighbor
 * Discovery, MLD and other EtherTypes (802.1Q-tagged frames too) to the
 * kernel, which therefore keeps answering ARP/NDP for its own addresses.
 * ARP requests and Neighbor Solicitations are redirected only when their
 * target is an address the data plane owns (`own` puts it into the
 * program's maps as well as into io/ether): the kernel does not have those
 * addresses, so the port answers (arp_replies, nd_adverts).
 *
 * libxdp keeps its multi-program dispatcher in bpffs: when /sys/fs/bpf is
 * not a bpffs (under `ip netns exec`, which mounts a fresh /sys) the port
 * mounts one there. Where libxdp cannot use its dispatcher (seen on kernel
 * 6.18 with libxdp 1.3.1: its compatibility check fails with EPERM) it
 * attaches the program alone, and no other XDP program can share the
 * interface; an interface that already has a program of its own refuses.
 *
 * veth (kernel 6.x): native XDP on a veth sees the frames its peer sends
 * once both ends are up; the peer needs no XDP program of its own, since the
 * port's tx goes through the copy-mode path (an skb), not through XDP_TX or
 * a redirect into the peer. Frames the peer's own stack sent with checksum
 * offload still carry a partial TCP/UDP checksum (XDP has no flag for it,
 * unlike AF_PACKET's auxdata): turn tx checksumming off on the peer
 * (ethtool -K <peer> tx off) when the peer is a local stack. */
#ifndef S46_IO_XDP_H
#define S46_IO_XDP_H
#include <stddef.h>

#include "io/port.h"

#define S46_XDP_FRAME 4096u
#define S46_XDP_DEFAULT_FRAMES 4096u /* per queue: half rx, half tx */

s46_port *s46_port_open_xdp(const s46_port_spec *spec, unsigned queue, char *err, size_t errlen);
#endif
