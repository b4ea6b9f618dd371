/* Classic BPF programs for PACKET_FANOUT_CBPF that spread an interface's
 * packets over n sockets the way the pipelines' steering expects
 * (lib/pkt.h s46_spread), so a packet reaches the worker owning its state
 * and is not handed over: by an IPv4 packet's NAPT internal endpoint
 * (source address, protocol and port or ICMP query identifier: the same
 * FNV-1a hash as s46_steer_napt_out; other IPv4 by source address), or by
 * the inner IPv4 packet's NAPT port of IPv4-in-IPv6
 * (s46_napt_port_owner of the TCP/UDP destination port or the ICMP echo
 * identifier). Anything else, and S46_SPREAD_FLOW, by a hash of the IP
 * addresses (s46_fanout_flow). Loads are relative to the network header
 * (SKF_NET_OFF). */
#ifndef S46_IO_FANOUT_H
#define S46_IO_FANOUT_H
#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/pkt.h"

#define S46_FANOUT_MAX_INSNS 192

/* Writes the program into f (S46_FANOUT_MAX_INSNS room); returns its
 * length. n: the number of sockets (1..256). */
unsigned s46_fanout_prog(s46_spread how, unsigned n, struct sock_filter *f);
/* The queue the programs' flow spread picks for the IP packet at ip (for
 * tests; the program uses the skb's protocol where this reads the version). */
unsigned s46_fanout_flow(const uint8_t *ip, size_t len, unsigned n);
/* The queue the program for `how` picks for the IP packet at ip (the mem
 * port spreads its packets with it; tests compare it with the programs). */
unsigned s46_fanout_pick(s46_spread how, const uint8_t *ip, size_t len, unsigned n);
#endif
