/* An Ethernet interface as a packet port through AF_PACKET sockets
 * (s46_port_open_afpacket in io/port.h): per queue one socket with a
 * TPACKET_V3 rx block ring (mmap'ed: no system call per received packet)
 * and sendmmsg() of each tx batch (one system call per batch; measured
 * faster than a tx ring on veth, see afpacket.c); several queues of one
 * interface share one PACKET_FANOUT group (flow hash, IPv4 fragments
 * reassembled first so one datagram reaches one queue). Received frames
 * are copied into pool packets at S46_PKT_HEADROOM with the link header
 * stripped (io/ether.c: only IP for this host's MAC; ARP and Neighbor
 * Solicitations for owned addresses are answered by the port itself);
 * partial checksums (veth) are completed. With spec->offloads the socket
 * has PACKET_VNET_HDR: super-packets (a local sender's TSO/GSO, a NIC's
 * GRO) arrive whole in 128 KiB ring blocks and are cut into packets from
 * the ring (lib/gso, rx_gso_split); on tx, runs of one TCP flow's segments
 * leave as one super-packet the kernel cuts back (lib/coalesce, tx_gso),
 * and a super-packet from the data plane leaves whole when the virtio
 * header can describe it, else cut. The kernel keeps the interface's
 * own addresses and answers ARP/NDP for them too; its copy of the frames
 * the data plane takes is dropped in tc ingress (io/take.h; where that
 * cannot be attached, forwarding off in the namespace keeps it from
 * routing them). On success err holds a note: "" or why no tc filter. */
#ifndef S46_IO_AFPACKET_H
#define S46_IO_AFPACKET_H
#include <stdbool.h>

#include "io/ether.h"
#include "io/port.h"
#include "lib/pkt.h"

#endif
