/* The CE's dealings with the kernel's routing (rtnetlink through libmnl):
 * routes through its TUN device for what a mechanism needs (the MAP or B4
 * address, the IPv4 default route), and the End-user prefix learnt from an
 * interface's addresses, with a socket that becomes readable when
 * addresses change. Blocking calls of a few microseconds; not for the
 * packet path. */
#ifndef S46_IO_RTNL_H
#define S46_IO_RTNL_H
#include <stdbool.h>
#include <stddef.h>

#include "lib/addr.h"

/* Adds (replacing) or deletes a route dst/plen via device ifindex (0: a
 * blackhole route, where the kernel drops what it would forward). family is
 * AF_INET (dst a 4-byte network-order address) or AF_INET6 (16 bytes).
 * Deleting a route that is not there succeeds. 0 or -1 with err. */
int s46_rtnl_route(bool add, int family, const void *dst, unsigned plen, unsigned ifindex,
                   char *err, size_t errlen);

/* A socket subscribed to IPv6 address changes; -1 with err on failure. */
int s46_rtnl_watch_open(char *err, size_t errlen);
/* Reads and discards what is waiting; returns how many messages it saw. */
int s46_rtnl_watch_drain(int fd);
void s46_rtnl_watch_close(int fd);

/* The End-user prefix of length plen taken from the numerically lowest
 * global unicast IPv6 address of interface ifname; link-local, loopback,
 * multicast and ULA addresses are ignored, and so are temporary (privacy),
 * deprecated, tentative and DAD-failed ones (the server keys on the
 * stable address). *addr gets the address itself. 0, or -1 when the
 * interface has none. */
int s46_rtnl_prefix_from(const char *ifname, unsigned plen, s46_pfx6 *out, s46_ip6 *addr);
#endif
