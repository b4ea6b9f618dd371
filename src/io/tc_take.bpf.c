/* The AF_PACKET port's tc ingress program (clang -target bpf, embedded into
 * the library; see io/take.h). The port's packet tap has already copied
 * every frame into its ring when tc ingress runs, so the frames the data
 * plane takes (io/take.bpf.h) are dropped here: the kernel does not also
 * receive, route and drop them. Only frames to this host (not broadcast,
 * multicast or another host's) are looked at. The kernel has taken any
 * 802.1Q tag off by then and keeps it beside the frame: a port with a VLAN
 * takes only frames with that VID; one without looks past any (and past a
 * second tag left in the frame). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf_helpers.h>

#include "take.bpf.h"

#define S46_TAKE_PULL 94 /* Ethernet, a tag, IPv6, 8 of hop-by-hop, an NS */

SEC("tc")
int s46_tc_take(struct __sk_buff *skb)
{
    if (skb->pkt_type != PACKET_HOST)
        return TC_ACT_OK;
    __u32 vlan = s46_take_vlan();
    if (vlan && (!skb->vlan_present || (skb->vlan_tci & 0xfff) != vlan))
        return TC_ACT_OK;
    __u8 *d = (__u8 *)(long)skb->data, *end = (__u8 *)(long)skb->data_end;
    if (end - d < S46_TAKE_PULL && skb->len > (__u32)(end - d)) {
        bpf_skb_pull_data(skb, skb->len < S46_TAKE_PULL ? skb->len : S46_TAKE_PULL);
        d = (__u8 *)(long)skb->data;
        end = (__u8 *)(long)skb->data_end;
    }
    if (d + 14 > end)
        return TC_ACT_OK;
    __u16 type = (__u16)(d[12] << 8 | d[13]);
    __u8 *l3 = d + 14;
    if (type == ETH_P_8021Q && d + 18 <= end) {
        type = (__u16)(d[16] << 8 | d[17]);
        l3 = d + 18;
    }
    return s46_take_l3(type, l3, end) ? TC_ACT_SHOT : TC_ACT_OK;
}

char _license[] SEC("license") = "Dual BSD/GPL";
