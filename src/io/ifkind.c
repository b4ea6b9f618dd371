#include "io/ifkind.h"

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

bool s46_if_is_veth(const char *ifname)
{
    struct ethtool_drvinfo di = {.cmd = ETHTOOL_GDRVINFO};
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    if (!ifname || strlen(ifname) >= sizeof ifr.ifr_name)
        return false;
    strcpy(ifr.ifr_name, ifname);
    ifr.ifr_data = (void *)&di;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    bool veth = ioctl(fd, SIOCETHTOOL, &ifr) == 0 && !strcmp(di.driver, "veth");
    close(fd);
    return veth;
}
