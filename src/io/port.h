/* One packet port interface for every way packets reach a data plane.
 *
 * A port is one queue of one interface (or one file, or memory), owned by
 * one thread: rx fills a batch with IP packets (link-layer header removed,
 * checksums the kernel left partial completed), tx sends IP packets (the
 * port adds its link-layer header in their headroom). Several workers open
 * the same interface with their own queue index (AF_XDP: the NIC queue;
 * AF_PACKET: a socket in one PACKET_FANOUT group; TUN: one IFF_MULTI_QUEUE
 * queue). Kinds:
 *   xdp       AF_XDP socket (libxdp), Ethernet
 *   afpacket  AF_PACKET with TPACKET_V3 mmap rings, Ethernet
 *   tun       TUN device, raw IP (one device carries both address families)
 *   pcap      pcap files: rx reads the input file, tx writes the output one
 *   mem       packets in memory (benchmarks, fuzzers, tests)
 * A port never allocates per packet. Counters live in `st`, written only by
 * the owning thread (readers on other threads see plain 64-bit loads). */
#ifndef S46_IO_PORT_H
#define S46_IO_PORT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lib/pkt.h"

typedef enum s46_port_kind {
    S46_PORT_AUTO = 0, /* Ethernet: xdp, else afpacket (the reason said); afpacket
                          on veth, whose local senders leave checksums partial */
    S46_PORT_XDP,
    S46_PORT_AFPACKET,
    S46_PORT_TUN,
    S46_PORT_PCAP,
    S46_PORT_MEM,
} s46_port_kind;

/* "auto", "xdp", "afpacket", "tun", "pcap", "mem"; -1 for anything else. */
int s46_port_kind_parse(const char *s);
const char *s46_port_kind_name(s46_port_kind k);

#define S46_PORT_COUNTERS(X) \
    X(rx_packets, "IP packets handed to the data plane") \
    X(rx_bytes, "bytes of those packets (IP header on)") \
    X(tx_packets, "IP packets the port sent") \
    X(tx_bytes, "bytes of those packets (IP header on)") \
    X(rx_dropped, "packets lost before the port read them: ring or queue full (kernel count)") \
    X(tx_errors, "packets the port could not send (ring full, device refused, no next hop)") \
    X(rx_ignored, "frames not for the data plane: other hosts', not IPv4/IPv6, too short") \
    X(rx_vlan_dropped, "frames dropped by a port with a VLAN: untagged, or tagged with another VLAN") \
    X(rx_csum_completed, "packets whose partial TCP/UDP checksum the port completed") \
    X(rx_gso_split, "super-packets (GSO) the port received") \
    X(tx_gso, "super-packets handed to the kernel to segment") \
    X(tx_coalesced, "packets sent inside the super-packet of the one before them in their flow (the kernel counts one packet per run)") \
    X(arp_replies, "ARP replies sent for the port's own IPv4 addresses") \
    X(nd_adverts, "Neighbor Advertisements sent for the port's own IPv6 addresses")

#define S46_PORT_FIELD(n, d) uint64_t n;
typedef struct s46_port_stats {
    S46_PORT_COUNTERS(S46_PORT_FIELD)
} s46_port_stats;
#undef S46_PORT_FIELD

typedef struct s46_port_spec {
    s46_port_kind kind;
    const char *ifname;      /* interface / TUN device / pcap input file */
    const char *out_path;    /* pcap: output file (NULL: tx discards) */
    const char *peer_mac;    /* Ethernet: fixed next-hop MAC (else learnt) */
    unsigned vlan;           /* Ethernet: 802.1Q VID taken and sent (0: untagged) */
    unsigned mtu;            /* TUN: device MTU (0: 1500) */
    unsigned queues;         /* queues opened on this interface (workers) */
    unsigned ring_frames;    /* ring size in frames (0: the kind's default) */
    bool offloads;           /* TUN: IFF_VNET_HDR with TSO/USO/checksum offload;
                                AF_PACKET: PACKET_VNET_HDR (super-packets) */
    bool pcap_ethernet;      /* pcap: write Ethernet frames (else raw IP) */
    /* mem: rx hands out copies of these IP packets in turn, mem_rounds
     * times over (0: for ever; then eof); tx counts and discards. */
    const uint8_t *const *mem_pkts;
    const uint32_t *mem_lens;
    unsigned mem_count;
    uint64_t mem_rounds;
} s46_port_spec;

typedef struct s46_port s46_port;

typedef struct s46_port_ops {
    s46_port_kind kind;
    /* Appends up to max received packets to b (buffers from pool); returns
     * how many. 0 when nothing is waiting (or, pcap, at end of file: see
     * eof). */
    uint32_t (*rx)(s46_port *p, s46_pktpool *pool, s46_batch *b, uint32_t max);
    /* Sends n packets and flushes; returns how many left. The packets stay
     * the caller's (release them); failures are counted in tx_errors. */
    uint32_t (*tx)(s46_port *p, s46_pkt *const *pkts, uint32_t n);
    /* Reads counters the kernel keeps (ring drops) into st. May be NULL. */
    void (*sync)(s46_port *p);
    /* Ethernet: answer ARP (family AF_INET, 4 bytes) or Neighbor
     * Solicitations (AF_INET6, 16 bytes) for addr, an address of the data
     * plane (the CE's LAN address, its MAP/B4 address). NULL where the
     * port has no link layer. 0, or -1 when the table is full. */
    int (*own)(s46_port *p, int family, const void *addr);
    /* Ethernet: frames to addresses in the IPv6 prefix addr/plen are the
     * data plane's too (a translator's prefixes; no Neighbor Solicitation
     * is answered for them). NULL where the port takes every packet. 0, or
     * -1 when the table is full. */
    int (*own_prefix6)(s46_port *p, const uint8_t addr[16], unsigned plen);
    /* Several queues: spread the interface's packets over them as `how`
     * says (io/fanout.h). NULL where the kernel's choice cannot be
     * changed (TUN, AF_XDP: the NIC's). 0, or -1. */
    int (*spread)(s46_port *p, s46_spread how, unsigned queues);
    /* Closes and frees the port. */
    void (*close)(s46_port *p);
} s46_port_ops;

struct s46_port {
    const s46_port_ops *ops;
    int fd;                /* readable when rx has packets; -1: always ready */
    unsigned queue;
    bool eof;              /* pcap/mem: no more input, or a failure */
    char error[160];       /* set (with eof) when the port failed */
    bool ethernet;         /* link headers are Ethernet */
    char name[32];
    s46_port_stats st;
};

/* Opens queue `queue` of spec->queues. NULL with err on failure. For AUTO,
 * when XDP cannot be used the fallback's reason goes to note (may be "").
 */
s46_port *s46_port_open(const s46_port_spec *spec, unsigned queue, char *note, size_t notelen,
                        char *err, size_t errlen);

static inline uint32_t s46_port_rx(s46_port *p, s46_pktpool *pool, s46_batch *b, uint32_t max)
{
    return p->ops->rx(p, pool, b, max);
}
static inline uint32_t s46_port_tx(s46_port *p, s46_pkt *const *pkts, uint32_t n)
{
    return n ? p->ops->tx(p, pkts, n) : 0;
}
static inline void s46_port_sync(s46_port *p)
{
    if (p->ops->sync)
        p->ops->sync(p);
}
static inline void s46_port_close(s46_port *p)
{
    if (p)
        p->ops->close(p);
}
static inline int s46_port_own(s46_port *p, int family, const void *addr)
{
    return p->ops->own ? p->ops->own(p, family, addr) : 0;
}
static inline int s46_port_own_prefix6(s46_port *p, const uint8_t addr[16], unsigned plen)
{
    return p->ops->own_prefix6 ? p->ops->own_prefix6(p, addr, plen) : 0;
}
/* Adds the kernel counters (sync first) to a sum; used by `show`. */
void s46_port_stats_add(s46_port_stats *sum, const s46_port_stats *st);
/* {"rx_packets": n, ...}: every port counter. */
json_t *s46_port_stats_json(const s46_port_stats *st);

/* The kinds' constructors (the factory above picks one). */
/* AF_PACKET, AF_XDP: on success err holds a note ("" or what the port
 * does without: generic XDP mode, no tc ingress filter). */
s46_port *s46_port_open_afpacket(const s46_port_spec *spec, unsigned queue, char *err,
                                 size_t errlen);
s46_port *s46_port_open_xdp(const s46_port_spec *spec, unsigned queue, char *err, size_t errlen);
s46_port *s46_port_open_tun(const s46_port_spec *spec, unsigned queue, char *err, size_t errlen);
s46_port *s46_port_open_pcap(const s46_port_spec *spec, unsigned queue, char *err, size_t errlen);
s46_port *s46_port_open_mem(const s46_port_spec *spec, unsigned queue, char *err, size_t errlen);
#endif
