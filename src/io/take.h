/* The frames the data plane takes, kept from the kernel (io/take.bpf.h
 * says which: transit IPv4, IPv6 to the data plane's addresses, ARP/NS for
 * them). The AF_XDP port's program redirects them; for the AF_PACKET port,
 * whose packet tap copies every frame before tc ingress, s46_take_get
 * attaches a tc ingress program (clsact, direct action) that drops them
 * there, so the kernel does not receive, route and drop each frame the
 * port already has (half the CPU per packet on veth).
 *
 * s46_take_get: once per interface and process (refcounted; the VLAN of
 * the first get holds). NULL with note when it cannot be attached (no
 * clsact/BPF in the kernel, no CAP_NET_ADMIN): the port works without it,
 * the kernel then receives a copy of each frame as well. A filter a killed
 * process left is replaced. s46_take_put detaches it with the last port.
 * s46_take_own adds an owned address (AF_INET 4 bytes, AF_INET6 16),
 * s46_take_own_prefix6 an owned IPv6 prefix (frames into it are taken, no
 * Neighbor Solicitation is answered for it); s46_take_map_own and
 * s46_take_map_prefix6 do those on the maps (s46_own4/s46_own6,
 * s46_own6p) of a program of either port.
 * s46_take_keep_local4 fills a program's s46_keep4 map with every IPv4
 * address of this network namespace (the kernel keeps what is sent to
 * them). */
#ifndef S46_IO_TAKE_H
#define S46_IO_TAKE_H
#include <stddef.h>
#include <stdint.h>

typedef struct s46_take s46_take;

s46_take *s46_take_get(int ifindex, const char *ifname, unsigned vlan, char *note, size_t notelen);
int s46_take_own(s46_take *t, int family, const void *addr);
int s46_take_own_prefix6(s46_take *t, const uint8_t addr[16], unsigned plen);
int s46_take_map_own(int own4_fd, int own6_fd, int family, const void *addr);
int s46_take_map_prefix6(int map_fd, const uint8_t addr[16], unsigned plen);
void s46_take_put(s46_take *t);
int s46_take_keep_local4(int map_fd);
#endif
