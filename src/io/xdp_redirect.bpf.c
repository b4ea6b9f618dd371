/* The XDP program of the AF_XDP port (built with clang -target bpf and
 * embedded into the library; see io/xdp.h). It hands to the AF_XDP socket
 * of the queue they arrived on (s46_xsks[rx queue]; no socket there: the
 * kernel gets them) the frames io/take.bpf.h says the data plane takes;
 * the kernel gets the rest. A port with a VLAN (s46_vlan[0], an 802.1Q
 * VID) takes only frames tagged with it, looked at past the tag the same
 * way; untagged frames and other VLANs stay with the kernel. A port
 * without one looks past one tag of any VLAN. */
#include <linux/bpf.h>
#include <linux/if_ether.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "take.bpf.h"

#define S46_XDP_MAX_QUEUES 64

struct {
    __uint(type, BPF_MAP_TYPE_XSKMAP);
    __uint(max_entries, S46_XDP_MAX_QUEUES);
    __type(key, __u32);
    __type(value, __u32);
} s46_xsks SEC(".maps");

SEC("xdp")
int s46_xdp_redirect(struct xdp_md *ctx)
{
    __u8 *d = (__u8 *)(long)ctx->data, *end = (__u8 *)(long)ctx->data_end;
    if (d + 14 > end)
        return XDP_PASS;
    __u16 type = (__u16)(d[12] << 8 | d[13]);
    __u8 *l3 = d + 14;
    __u32 vlan = s46_take_vlan();
    if (vlan) {
        if (type != ETH_P_8021Q || d + 18 > end || ((d[14] << 8 | d[15]) & 0xfff) != vlan)
            return XDP_PASS;
        type = (__u16)(d[16] << 8 | d[17]);
        l3 = d + 18;
    } else if (type == ETH_P_8021Q && d + 18 <= end) {
        /* no VLAN of the port's own: a tagged frame is looked at past its
         * one tag, which the port skips (as AF_PACKET gets it untagged) */
        type = (__u16)(d[16] << 8 | d[17]);
        l3 = d + 18;
    }
    if (!s46_take_l3(type, l3, end))
        return XDP_PASS;
    return bpf_redirect_map(&s46_xsks, ctx->rx_queue_index, XDP_PASS);
}

char _license[] SEC("license") = "Dual BSD/GPL";
