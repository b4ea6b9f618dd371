/* What kind of network interface a name is, as the ports ask it at open
 * (never on the packet path). */
#ifndef S46_IO_IFKIND_H
#define S46_IO_IFKIND_H
#include <stdbool.h>

/* The interface's driver is veth (ETHTOOL_GDRVINFO); false when it is not,
 * or cannot be asked. */
bool s46_if_is_veth(const char *ifname);
#endif
