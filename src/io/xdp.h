/* An Ethernet interface as a packet port through AF_XDP (libxdp).
 *
 * Queue q of an interface is one AF_XDP socket bound to NIC queue q, with a
 * UMEM of its own: half of its frames circulate through the fill and rx
 * rings (the fill ring is kept full: every frame rx consumed goes back at
 * once), the other half serve tx (a free stack; the completion ring is
 * reaped before every tx batch). Received frames are copied out of the UMEM
 * into pool packets at S46_PKT_HEADROOM; sent packets are copied into UMEM
 * frames behind their Ethernet header. Zero-copy binding is tried first and
 * copy mode used where the driver has none (veth); the rings use
 * need_wakeup, so rx and tx enter the kernel only when it asks (tx: sendto
 * with MSG_DONTWAIT). Frames must fit a 4096-byte UMEM frame (MTU up to
 * 3818 on rx: the kernel keeps 256 bytes of XDP headroom).
 *
 * The first queue opened on an interface attaches the XDP program
 * (xdp_redirect.bpf.c, embedded into the library at build time) through
 * libxdp, natively, else in generic (SKB) mode, which is said in err on
 * success (err doubles as a note: "" when nothing is worth saying); the last
 * queue closed detaches it. The program sends IPv4 and IPv6 to the queue's
 * socket and passes ARP, Neighbor Discovery, MLD and other EtherTypes to the
 * kernel, which therefore keeps answering ARP/NDP for its own addresses.
 * Addresses the data plane owns (`own`: the kernel does not have them) are
 * put into the program's maps so that ARP requests and Neighbor
 * Solicitations for them come to the socket instead, and the port answers.
 * libxdp keeps its multi-program dispatcher in bpffs: when /sys/fs/bpf is
 * not a bpffs (e.g. under `ip netns exec`, which mounts a fresh /sys), the
 * port mounts one there.
 *
 * veth: native XDP on a veth works for frames its peer transmits as long as
 * both ends are up; AF_XDP on veth is copy mode only. Frames the peer's
 * own stack sent with checksum offload still carry a partial TCP/UDP
 * checksum (XDP has no flag for it): switch tx checksumming off on the peer
 * (ethtool -K <peer> tx off) when the peer is a local stack. */
#ifndef S46_IO_XDP_H
#define S46_IO_XDP_H
#include <stddef.h>

#include "io/port.h"

#define S46_XDP_FRAME 4096u
#define S46_XDP_DEFAULT_FRAMES 4096u /* per queue: half rx, half tx */

s46_port *s46_port_open_xdp(const s46_port_spec *spec, unsigned queue, char *err, size_t errlen);
#endif
