/* A TUN device as a packet port: raw IP packets (IFF_TUN | IFF_NO_PI), non-
 * blocking, read and written in batches. The kernel routes what the data
 * plane should see into the device and routes what it writes onward, so
 * one TUN serves both the IPv4 and the IPv6 side. */
#ifndef S46_IO_TUN_H
#define S46_IO_TUN_H
#include "lib/pkt.h"

typedef struct s46_tun { int fd; char name[16]; } s46_tun;

/* Creates (or attaches to) the device, sets the MTU and brings it up. */
int s46_tun_open(s46_tun *t, const char *name, unsigned mtu, char *err, size_t errlen);
void s46_tun_close(s46_tun *t);
/* Reads up to b->count... fills b with packets from pool; returns how many
 * were read (0 when none is waiting). */
uint32_t s46_tun_rx(s46_tun *t, s46_pktpool *pool, s46_batch *b, uint32_t max);
/* Writes one packet; -1 on error (counted by the caller). */
int s46_tun_tx(s46_tun *t, const s46_pkt *p);
#endif
