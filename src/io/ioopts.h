/* The I/O options every daemon takes (--tun, --mtu, --io, --workers,
 * --pin and the two interfaces with their next-hop MACs and VLANs), parsed and
 * checked once, and turned into the run loop's sides. Each daemon keeps
 * its own option names; the getopt values are these letters. */
#ifndef S46_IO_IOOPTS_H
#define S46_IO_IOOPTS_H
#include <stdbool.h>
#include <stddef.h>

#include "io/loop.h"

enum { S46_OPT_TUN = 't', S46_OPT_MTU = 'm', S46_OPT_IO = 'i', S46_OPT_WORKERS = 'w',
       S46_OPT_PIN = 'P', S46_OPT_IF4 = '4', S46_OPT_IF6 = '6', S46_OPT_MAC4 = 'a',
       S46_OPT_MAC6 = 'b', S46_OPT_VLAN4 = 'A', S46_OPT_VLAN6 = 'B' };

typedef struct s46_io_opts {
    const char *tun;          /* TUN device (TUN mode) */
    const char *ifs[2];       /* side 0 / side 1 interfaces (Ethernet mode) */
    const char *macs[2];      /* their fixed next-hop MACs, or NULL */
    unsigned long vlans[2];   /* their 802.1Q VIDs, 0: untagged */
    unsigned long mtu, workers;
    int io;                   /* s46_port_kind, -1: not given */
    bool pin;
} s46_io_opts;

void s46_io_opts_init(s46_io_opts *o, const char *tun, unsigned long workers);
/* Takes option c with its argument: 1 taken, 0 not one of these, -1 a bad
 * value (err says which and why). */
int s46_io_opts_take(s46_io_opts *o, int c, const char *arg, char *err, size_t errlen);
/* After all options: both interfaces or none, --io fitting the mode, VLANs
 * only on Ethernet ports. */
int s46_io_opts_check(const s46_io_opts *o, char *err, size_t errlen);
static inline bool s46_io_opts_ethernet(const s46_io_opts *o) { return o->ifs[0] != NULL; }
/* The loop's sides, workers and pinning. */
void s46_io_opts_apply(const s46_io_opts *o, s46_loop_conf *lc);
#endif
