/* Which frames the data plane takes from the kernel: the classifier shared
 * by the AF_XDP port's XDP program (taken: redirected to its socket) and the
 * AF_PACKET port's tc ingress program (taken: the port already has its copy
 * through its packet tap, so the kernel's own receive path is skipped).
 * Included by BPF programs only (clang -target bpf).
 *
 * Taken: IPv4 packets, except those to an address in s46_keep4 (the
 * kernel's own IPv4 addresses when the port opened: its DNS proxy, its
 * management, its routing protocols stay the kernel's); IPv6 packets to an
 * address the data plane owns (s46_own6: the BR address, a CE's MAP or B4
 * address) or into a prefix it owns (s46_own6p: a translator's NAT64 or
 * DMR prefix, its EAM prefixes), except Neighbor Discovery (ICMPv6 133-137) and Multicast
 * Listener Discovery (130-132, 143); an ARP request or Neighbor
 * Solicitation for an owned address (s46_own4 / s46_own6), which the port
 * answers. Everything else (other IPv6, ARP, NDP, MLD, other EtherTypes)
 * is the kernel's. The maps are filled by the ports (io/take.h). */
#ifndef S46_IO_TAKE_BPF_H
#define S46_IO_TAKE_BPF_H
#include <linux/bpf.h>
#include <linux/if_ether.h>

#include <bpf/bpf_helpers.h>

#define S46_TAKE_MAX_OWN 64
#define S46_TAKE_MAX_KEEP 256
#define S46_TAKE_MAX_PREFIX 1024

struct s46_in6 {
    __u8 b[16];
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, S46_TAKE_MAX_OWN);
    __type(key, __u32);
    __type(value, __u8);
} s46_own4 SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, S46_TAKE_MAX_OWN);
    __type(key, struct s46_in6);
    __type(value, __u8);
} s46_own6 SEC(".maps");

struct s46_lpm6 {
    __u32 prefixlen;
    __u8 b[16];
};

struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(max_entries, S46_TAKE_MAX_PREFIX);
    __type(key, struct s46_lpm6);
    __type(value, __u8);
    __uint(map_flags, BPF_F_NO_PREALLOC);
} s46_own6p SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, S46_TAKE_MAX_KEEP);
    __type(key, __u32);
    __type(value, __u8);
} s46_keep4 SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);
} s46_vlan SEC(".maps");

/* The port's VLAN (802.1Q VID), 0: none. */
static __always_inline __u32 s46_take_vlan(void)
{
    __u32 zero = 0, *vlan = bpf_map_lookup_elem(&s46_vlan, &zero);
    return vlan ? *vlan : 0;
}

/* a is an owned address (answered for Neighbor Solicitation) */
static __always_inline int s46_owned6(const __u8 *a)
{
    struct s46_in6 k;
    __builtin_memcpy(&k, a, 16);
    return bpf_map_lookup_elem(&s46_own6, &k) != 0;
}

/* a is an owned address or inside an owned prefix */
static __always_inline int s46_taken6(const __u8 *a)
{
    if (s46_owned6(a))
        return 1;
    struct s46_lpm6 k = {.prefixlen = 128};
    __builtin_memcpy(k.b, a, 16);
    return bpf_map_lookup_elem(&s46_own6p, &k) != 0;
}

/* 1 when the packet of EtherType type whose network header is at l3
 * (the frame ends at end) is the data plane's. */
static __always_inline int s46_take_l3(__u16 type, __u8 *l3, __u8 *end)
{
    if (type == ETH_P_IP) {
        if (l3 + 20 > end)
            return 1; /* the data plane counts what is malformed */
        __u32 dst;
        __builtin_memcpy(&dst, l3 + 16, 4);
        return bpf_map_lookup_elem(&s46_keep4, &dst) == 0;
    }
    if (type == ETH_P_ARP) {
        /* Ethernet/IPv4 request: hardware type 1, protocol 0x0800, sizes
         * 6 and 4, operation 1; target protocol address at 24. */
        if (l3 + 28 > end || l3[0] != 0 || l3[1] != 1 || l3[2] != 0x08 || l3[3] != 0 ||
            l3[4] != 6 || l3[5] != 4 || l3[6] != 0 || l3[7] != 1)
            return 0;
        __u32 tpa;
        __builtin_memcpy(&tpa, l3 + 24, 4);
        return bpf_map_lookup_elem(&s46_own4, &tpa) != 0;
    }
    if (type != ETH_P_IPV6 || l3 + 40 > end)
        return 0;
    __u8 next = l3[6];
    __u8 *l4 = l3 + 40;
    if (next == 0) { /* one hop-by-hop header (MLD carries Router Alert) */
        if (l4 + 2 > end)
            return 1;
        next = l4[0];
        l4 += ((__u32)l4[1] + 1) * 8;
    }
    if (next != 58 /* ICMPv6 */ || l4 + 1 > end)
        return s46_taken6(l3 + 24);
    __u8 icmp = l4[0];
    if (icmp == 135 && l4 + 24 <= end && s46_owned6(l4 + 8)) /* NS: target at 8 */
        return 1;
    if ((icmp >= 130 && icmp <= 137) || icmp == 143)
        return 0;
    return s46_taken6(l3 + 24);
}
#endif
