#include "io/rtnl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/err.h"

int s46_rtnl_route(bool add, int family, const void *dst, unsigned plen, unsigned ifindex,
                   char *err, size_t errlen)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
    nlh->nlmsg_seq = (unsigned)time(NULL);
    struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof *rtm);
    rtm->rtm_family = (unsigned char)family;
    rtm->rtm_dst_len = (unsigned char)plen;
    rtm->rtm_table = RT_TABLE_MAIN;
    rtm->rtm_protocol = RTPROT_STATIC;
    rtm->rtm_scope = RT_SCOPE_LINK;
    rtm->rtm_type = RTN_UNICAST;
    if (plen)
        mnl_attr_put(nlh, RTA_DST, family == AF_INET ? 4 : 16, dst);
    mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
    struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
    if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
        s46_seterr(err, errlen, "netlink: %s", strerror(errno));
        if (nl)
            mnl_socket_close(nl);
        return -1;
    }
    int rc = 0;
    unsigned portid = mnl_socket_get_portid(nl);
    if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
        rc = -1;
    } else {
        ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof buf);
        if (n < 0 || mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, portid, NULL, NULL) < 0)
            rc = -1;
    }
    if (rc < 0 && !add && (errno == ESRCH || errno == ENOENT))
        rc = 0;
    if (rc < 0) {
        char a[S46_IP6_STRLEN];
        inet_ntop(family, dst, a, sizeof a);
        s46_seterr(err, errlen, "route %s %s/%u: %s", add ? "add" : "del", a, plen, strerror(errno));
    }
    mnl_socket_close(nl);
    return rc;
}

int s46_rtnl_watch_open(char *err, size_t errlen)
{
    struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (!nl || mnl_socket_bind(nl, RTMGRP_IPV6_IFADDR | RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0) {
        s46_seterr(err, errlen, "netlink: %s", strerror(errno));
        if (nl)
            mnl_socket_close(nl);
        return -1;
    }
    /* keep the descriptor, drop libmnl's wrapper */
    int fd = dup(mnl_socket_get_fd(nl));
    mnl_socket_close(nl);
    if (fd < 0)
        s46_seterr(err, errlen, "netlink: %s", strerror(errno));
    return fd;
}

int s46_rtnl_watch_drain(int fd)
{
    char buf[8192];
    int n = 0;
    while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
        n++;
    return n;
}

void s46_rtnl_watch_close(int fd)
{
    if (fd >= 0)
        close(fd);
}

static bool usable(const s46_ip6 *a)
{
    uint8_t b0 = a->b[0], b1 = a->b[1];
    if (b0 == 0xff || (b0 & 0xfe) == 0xfc || (b0 == 0xfe && (b1 & 0xc0) == 0x80))
        return false;
    static const uint8_t zero[15];
    return memcmp(a->b, zero, 15) != 0 || a->b[15] > 1;
}

int s46_rtnl_prefix_from(const char *ifname, unsigned plen, s46_pfx6 *out, s46_ip6 *addr)
{
    struct ifaddrs *ifa = NULL;
    if (getifaddrs(&ifa) < 0)
        return -1;
    bool found = false;
    s46_ip6 best = {{0}};
    for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET6 || strcmp(i->ifa_name, ifname))
            continue;
        s46_ip6 a;
        memcpy(a.b, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
        if (!usable(&a))
            continue;
        if (!found || memcmp(a.b, best.b, 16) < 0)
            best = a;
        found = true;
    }
    freeifaddrs(ifa);
    if (!found)
        return -1;
    *addr = best;
    out->addr = best;
    out->len = (uint8_t)plen;
    s46_ip6_mask(&out->addr, plen);
    return 0;
}
