/* The Ethernet link layer of the Ethernet ports (AF_PACKET, AF_XDP).
 *
 * One s46_ether per interface and process (s46_ether_get/put, refcounted),
 * shared by every queue of that interface: its MAC and ifindex, the
 * addresses the data plane owns there (answered for ARP and Neighbor
 * Solicitation), and what is learnt from received frames (neighbour IPv4 /
 * IPv6 address -> MAC, and the MAC of the last sender).
 *
 * VLAN: an interface opened with a VLAN (802.1Q VID 1..4094) takes only
 * frames tagged with it (in the frame, or taken off by the kernel and
 * given beside it) and tags what it sends, replies included; frames
 * untagged or of another VLAN are S46_ETHER_OTHER_VLAN. Without one, one
 * tag in the frame is skipped and nothing is tagged.
 * rx: s46_ether_rx classifies one received frame: an IP packet (offset and
 * length of the IP datagram returned), a reply
 * (the ARP request / NS was rewritten in place into the ARP reply / NA: the
 * port sends it back out), or something to ignore. Only unicast frames to
 * the interface's MAC can be IP; ARP is read from broadcast and unicast
 * frames, NS also from IPv6 multicast frames.
 * tx: s46_ether_push writes the Ethernet header (s46_ether_hlen bytes: 14,
 * 18 with a VLAN) in front of an IP packet,
 * to the learnt neighbour of its destination, else the fixed peer MAC, else
 * the last sender.
 *
 * Threads: any number of queues may call rx / tx / own at once. The learning
 * table is a fixed array of entries each guarded by a sequence counter
 * (readers retry, never block; a writer that finds an entry being written
 * skips learning that frame); it is written only when a mapping changes.
 * Nothing allocates per packet. */
#ifndef S46_IO_ETHER_H
#define S46_IO_ETHER_H
#include <stddef.h>
#include <stdint.h>

#include "lib/pkt.h"

#define S46_ETHER_OWN_MAX 16   /* owned addresses of each family */
#define S46_ETHER_HLEN 14
#define S46_ETHER_HLEN_MAX 18 /* with an 802.1Q tag */
#define S46_ETHER_NO_TAG (-1) /* s46_ether_rx_tagged: no tag beside the frame */

typedef struct s46_ether s46_ether;

typedef enum s46_ether_class {
    S46_ETHER_IGNORE = 0, /* not for the data plane (count it in rx_ignored) */
    S46_ETHER_IP,         /* IPv4 / IPv6 datagram at frame + off, len bytes */
    S46_ETHER_ARP_REPLY,  /* frame rewritten into an ARP reply, len bytes */
    S46_ETHER_NA,         /* frame rewritten into a Neighbor Advertisement */
    S46_ETHER_OTHER_VLAN, /* VLAN port: untagged, or tagged with another VID */
} s46_ether_class;

/* The state of interface ifname (created on first use: SIOCGIFHWADDR,
 * SIOCGIFINDEX; must be Ethernet). peer_mac ("aa:bb:..", or NULL) is the
 * fixed next hop, vlan the VID (0: untagged); a second get of the same
 * interface with another peer MAC or VLAN fails. NULL with err. */
s46_ether *s46_ether_get(const char *ifname, const char *peer_mac, unsigned vlan, char *err,
                         size_t errlen);
void s46_ether_put(s46_ether *e);

/* A state for tests and fuzzers, not bound to an interface. */
s46_ether *s46_ether_new(const uint8_t mac[6], int ifindex, const uint8_t *peer_mac);
void s46_ether_free(s46_ether *e);

/* Tests: the VLAN of a state from s46_ether_new (0..4094). */
void s46_ether_set_vlan(s46_ether *e, unsigned vlan);
unsigned s46_ether_vlan(const s46_ether *e);
/* Bytes of the Ethernet header sent: 14, or 18 with a VLAN. */
uint32_t s46_ether_hlen(const s46_ether *e);

const uint8_t *s46_ether_mac(const s46_ether *e);
int s46_ether_ifindex(const s46_ether *e);
const char *s46_ether_ifname(const s46_ether *e);

/* Answers ARP (AF_INET, 4 bytes) / NS (AF_INET6, 16 bytes) for addr from
 * now on. 0 (also when already owned), -1 when the table is full or the
 * family is neither. */
int s46_ether_own(s46_ether *e, int family, const void *addr);

/* Classifies the frame of len bytes at frame, a buffer of cap >= len bytes
 * (a reply may be longer than the request: 94 bytes at most). IP: *off and
 * *len_out give the datagram (trimmed to the IP header's length when the
 * frame carries padding). Replies: *off = 0, *len_out the frame length
 * (tagged when the port has a VLAN). Reads nothing past len, writes nothing
 * past cap. */
s46_ether_class s46_ether_rx(s46_ether *e, uint8_t *frame, uint32_t len, uint32_t cap,
                             uint32_t *off, uint32_t *len_out);
/* The same for a frame whose 802.1Q tag the kernel took off and gave
 * beside it (tci, the tag control information; S46_ETHER_NO_TAG: none). */
s46_ether_class s46_ether_rx_tagged(s46_ether *e, uint8_t *frame, uint32_t len, uint32_t cap,
                                    int tci, uint32_t *off, uint32_t *len_out);

/* Writes the s46_ether_hlen-byte header for the IP datagram ip (len
 * bytes) at hdr. 0, or -1 when no next hop is known (or ip is not
 * IPv4/IPv6). */
int s46_ether_header(s46_ether *e, uint8_t *hdr, const uint8_t *ip, uint32_t len);
/* The same in p's headroom: p->data then starts at the Ethernet header.
 * -1 (p unchanged) without next hop or headroom. */
int s46_ether_push(s46_ether *e, s46_pkt *p);

/* Learnt next hop of an address (tests, show): 0 and mac, or -1. */
int s46_ether_lookup(s46_ether *e, int family, const void *addr, uint8_t mac[6]);

/* "aa:bb:cc:dd:ee:ff" -> mac; 0 or -1. */
int s46_mac_parse(const char *s, uint8_t mac[6]);
#endif
