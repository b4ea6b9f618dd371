#include "io/rtnl.h"

#include <arpa/inet.h>
#include <errno.h>
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
    rtm->rtm_scope = ifindex ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
    rtm->rtm_type = ifindex ? RTN_UNICAST : RTN_BLACKHOLE;
    if (plen)
        mnl_attr_put(nlh, RTA_DST, family == AF_INET ? 4 : 16, dst);
    if (ifindex)
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

struct pick {
    unsigned ifindex;
    bool found;
    s46_ip6 best;
};

/* One address of the dump: global IPv6 on our interface, not temporary
 * (privacy), deprecated, tentative or failed DAD; the lowest one wins. */
static int on_addr(const struct nlmsghdr *nlh, void *arg)
{
    struct pick *pk = arg;
    const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
    if (ifa->ifa_family != AF_INET6 || ifa->ifa_index != pk->ifindex ||
        ifa->ifa_scope != RT_SCOPE_UNIVERSE)
        return MNL_CB_OK;
    uint32_t flags = ifa->ifa_flags;
    const void *addr = NULL;
    const struct nlattr *at;
    mnl_attr_for_each(at, nlh, sizeof *ifa) {
        if (mnl_attr_get_type(at) == IFA_FLAGS && mnl_attr_get_payload_len(at) >= 4)
            flags = mnl_attr_get_u32(at);
        else if (mnl_attr_get_type(at) == IFA_ADDRESS && mnl_attr_get_payload_len(at) == 16)
            addr = mnl_attr_get_payload(at);
    }
    if (!addr || (flags & (IFA_F_TEMPORARY | IFA_F_DEPRECATED | IFA_F_TENTATIVE | IFA_F_DADFAILED)))
        return MNL_CB_OK;
    s46_ip6 a;
    memcpy(a.b, addr, 16);
    if (usable(&a) && (!pk->found || memcmp(a.b, pk->best.b, 16) < 0)) {
        pk->best = a;
        pk->found = true;
    }
    return MNL_CB_OK;
}

int s46_rtnl_prefix_from(const char *ifname, unsigned plen, s46_pfx6 *out, s46_ip6 *addr)
{
    struct pick pk = {.ifindex = if_nametoindex(ifname)};
    if (!pk.ifindex)
        return -1;
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = RTM_GETADDR;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    nlh->nlmsg_seq = (unsigned)time(NULL);
    struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
    ifa->ifa_family = AF_INET6;
    struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
    if (!nl)
        return -1;
    int rc = -1;
    if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == 0 &&
        mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) >= 0) {
        unsigned portid = mnl_socket_get_portid(nl), seq = nlh->nlmsg_seq;
        ssize_t n;
        while ((n = mnl_socket_recvfrom(nl, buf, sizeof buf)) > 0) {
            int r = mnl_cb_run(buf, (size_t)n, seq, portid, on_addr, &pk);
            if (r <= MNL_CB_STOP) {
                rc = r == MNL_CB_STOP ? 0 : -1;
                break;
            }
        }
    }
    mnl_socket_close(nl);
    if (rc < 0 || !pk.found)
        return -1;
    *addr = pk.best;
    out->addr = pk.best;
    out->len = (uint8_t)plen;
    s46_ip6_mask(&out->addr, plen);
    return 0;
}
