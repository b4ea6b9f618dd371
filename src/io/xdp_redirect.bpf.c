/* The XDP program of the AF_XDP port (built with clang -target bpf and
 * embedded into the library; see io/xdp.h). It hands to the AF_XDP socket
 * of the queue they arrived on (s46_xsks[rx queue]; no socket there: the
 * kernel gets them) every IPv4 frame (the IPv4 side carries transit
 * traffic) and the IPv6 frames to an address the data plane owns (the BR
 * address, a CE's MAP or B4 address); the kernel keeps the rest of IPv6 (a
 * CE's own provisioning traffic, native IPv6 it routes) and what keeps
 * the interface's own addresses working: ARP, IPv6 Neighbor Discovery
 * (ICMPv6 133-137) and Multicast Listener Discovery (130-132, 143, which
 * keeps switches delivering solicited-node multicast), and every other
 * EtherType. Exception: an ARP request or a Neighbor Solicitation whose
 * target is an address the data plane owns (s46_own4 / s46_own6, filled by
 * the port's `own` operation) goes to the socket, for the port to answer,
 * since the kernel does not have that address. A port with a VLAN
 * (s46_vlan[0], an 802.1Q VID) takes only frames tagged with it, looked at
 * past the tag the same way; untagged frames and other VLANs stay with the
 * kernel. A port without one looks past one tag of any VLAN. */
#include <linux/bpf.h>
#include <linux/if_ether.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define S46_XDP_MAX_QUEUES 64
#define S46_XDP_MAX_OWN 64

struct {
    __uint(type, BPF_MAP_TYPE_XSKMAP);
    __uint(max_entries, S46_XDP_MAX_QUEUES);
    __type(key, __u32);
    __type(value, __u32);
} s46_xsks SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, S46_XDP_MAX_OWN);
    __type(key, __u32);
    __type(value, __u8);
} s46_own4 SEC(".maps");

struct s46_in6 {
    __u8 b[16];
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, S46_XDP_MAX_OWN);
    __type(key, struct s46_in6);
    __type(value, __u8);
} s46_own6 SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);
} s46_vlan SEC(".maps");

static __always_inline int to_socket(struct xdp_md *ctx)
{
    return bpf_redirect_map(&s46_xsks, ctx->rx_queue_index, XDP_PASS);
}

/* An IPv6 packet: to the socket when its destination is owned. */
static __always_inline int to_owner6(struct xdp_md *ctx, __u8 *l3)
{
    struct s46_in6 dst;
    __builtin_memcpy(&dst, l3 + 24, 16);
    return bpf_map_lookup_elem(&s46_own6, &dst) ? to_socket(ctx) : XDP_PASS;
}

SEC("xdp")
int s46_xdp_redirect(struct xdp_md *ctx)
{
    __u8 *d = (__u8 *)(long)ctx->data, *end = (__u8 *)(long)ctx->data_end;
    if (d + 14 > end)
        return XDP_PASS;
    __u16 type = (__u16)(d[12] << 8 | d[13]);
    __u8 *l3 = d + 14;
    __u32 zero = 0, *vlan = bpf_map_lookup_elem(&s46_vlan, &zero);
    if (vlan && *vlan) {
        if (type != ETH_P_8021Q || d + 18 > end || ((d[14] << 8 | d[15]) & 0xfff) != *vlan)
            return XDP_PASS;
        type = (__u16)(d[16] << 8 | d[17]);
        l3 = d + 18;
    } else if (type == ETH_P_8021Q && d + 18 <= end) {
        /* no VLAN of the port's own: a tagged frame is looked at past its
         * one tag, which the port skips (as AF_PACKET gets it untagged) */
        type = (__u16)(d[16] << 8 | d[17]);
        l3 = d + 18;
    }
    if (type == ETH_P_IP)
        return to_socket(ctx);
    if (type == ETH_P_ARP) {
        /* Ethernet/IPv4 request: hardware type 1, protocol 0x0800, sizes
         * 6 and 4, operation 1; target protocol address at 24. */
        if (l3 + 28 > end || l3[0] != 0 || l3[1] != 1 || l3[2] != 0x08 || l3[3] != 0 ||
            l3[4] != 6 || l3[5] != 4 || l3[6] != 0 || l3[7] != 1)
            return XDP_PASS;
        __u32 tpa;
        __builtin_memcpy(&tpa, l3 + 24, 4);
        return bpf_map_lookup_elem(&s46_own4, &tpa) ? to_socket(ctx) : XDP_PASS;
    }
    if (type != ETH_P_IPV6)
        return XDP_PASS;
    if (l3 + 40 > end)
        return XDP_PASS;
    __u8 next = l3[6];
    __u8 *l4 = l3 + 40;
    if (next == 0) { /* one hop-by-hop header (MLD carries Router Alert) */
        if (l4 + 2 > end)
            return to_socket(ctx);
        next = l4[0];
        l4 += ((__u32)l4[1] + 1) * 8;
    }
    if (next != 58 /* ICMPv6 */ || l4 + 1 > end)
        return to_owner6(ctx, l3);
    __u8 icmp = l4[0];
    if (icmp == 135 && l4 + 24 <= end) { /* Neighbor Solicitation: target at 8 */
        struct s46_in6 target;
        __builtin_memcpy(&target, l4 + 8, 16);
        if (bpf_map_lookup_elem(&s46_own6, &target))
            return to_socket(ctx);
    }
    if ((icmp >= 130 && icmp <= 137) || icmp == 143)
        return XDP_PASS;
    return to_owner6(ctx, l3);
}

char _license[] SEC("license") = "Dual BSD/GPL";
