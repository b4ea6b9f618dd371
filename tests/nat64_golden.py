#!/usr/bin/python3
"""Golden tests of the stateful NAT64 (RFC 6146) through `s46 replay`.

Each case crafts IPv6-host and IPv4-Internet packets with scapy, runs the
real `s46 replay` (the IPv6 side first: its flows make the sessions), and
compares what leaves each side byte for byte with packets scapy builds
independently from RFC 7915 / RFC 6146 (its own checksums, lengths and
quotes). What the test cannot know in advance is read from our first output
and checked: the CGN's external address and port (random in the block, fixed
by the config's seed; checked against pool4 and the port-block log) and the
IPv4 identification of a translated unfragmented IPv6 packet (a counter,
RFC 7915 §5.1). Every output is dissected by tshark. One PASS/FAIL line per
case.
"""
import os
import socket

from golden import Golden, counters_have, eq
from scapy.all import (ICMP, IP, UDP, TCP, IPv6, IPv6ExtHdrFragment, ICMPv6EchoRequest,
                       ICMPv6EchoReply, ICMPv6DestUnreach, ICMPv6PacketTooBig, ICMPv6TimeExceeded, IPerror,
                       Raw, fragment, fragment6, defragment6, conf)

conf.verb = 0
G = Golden("nat64")
case = G.case

POOL6 = "64:ff9b::/96"
POOL4 = ["198.51.100.128/30"]
POOL_ADDRS = {"198.51.100.%d" % i for i in range(128, 132)}
POOL6_BYTES = socket.inet_pton(socket.AF_INET6, "64:ff9b::")[:12]
NAT4 = "192.0.2.1"            # source of our ICMPv4 errors
NAT6 = "64:ff9b::c000:201"    # and of our ICMPv6 errors (NAT4 in pool6)
HOST = "2001:db8:1::10"       # IPv6-only hosts
HOST2 = "2001:db8:2::20"
SERVER4 = "203.0.113.9"       # an IPv4 server ...
SERVER6 = "64:ff9b::cb00:7109"  # ... as the hosts see it
ROUTER4 = "192.0.2.99"
ROUTER4_6 = "64:ff9b::c000:263"


def config(**extra):
    c = {"nat64": {"pool6": POOL6, "pool4": POOL4, "ipv4": NAT4, "seed": 7,
                   "log": {"path": "blocks.log"}}}
    c["nat64"].update(extra)
    return c


def replay(name, cfg, v4_in=(), v6_in=()):
    c, d, doc, path = G.replay(name, cfg, v4_in, v6_in, conf="nat64.json", in_dir=True)
    log = os.path.join(path, "blocks.log")
    return c, d, doc["counters"], open(log).read().splitlines() if os.path.exists(log) else []


def ext_of(out4):
    p = IP(out4)
    port = p[UDP].sport if UDP in p else p[TCP].sport if TCP in p else p[ICMP].id
    if p.src not in POOL_ADDRS:
        raise AssertionError("source %s outside pool4 %s" % (p.src, POOL4))
    if port < 1024:
        raise AssertionError("external port %d is a well-known port" % port)
    return p.src, port


def logged_block(log, host, addr, port):
    for line in log:
        f = line.split()
        if len(f) == 5 and f[1] == "alloc" and f[2] == host and f[3] == addr:
            lo, hi = map(int, f[4].split("-"))
            if lo <= port <= hi:
                return
    raise AssertionError("no alloc record of %s %s covering port %d in %s" % (host, addr, port, log))


def v4(src, dst, l4, ttl, ident, flags=0, tos=0):
    return bytes(IP(src=src, dst=dst, ttl=ttl, id=ident, flags=flags, tos=tos) / l4)


def v6(src, dst, l4, hlim, tc=0):
    return bytes(IPv6(src=src, dst=dst, hlim=hlim, tc=tc) / l4)


def out_udp(sport=5000, dport=9000, data=b"q" * 12, host=HOST):
    return IPv6(src=host, dst=SERVER6, hlim=64) / UDP(sport=sport, dport=dport) / Raw(data)


def udp_both_ways():
    pkt = out_udp()
    c, d, n, log = replay("udp", config(), v6_in=[pkt])
    if len(c) != 1 or d:
        raise AssertionError("want one IPv4 packet out, got %d/%d" % (len(c), len(d)))
    addr, port = ext_of(c[0])
    eq(c, [v4(addr, SERVER4, UDP(sport=port, dport=9000) / Raw(b"q" * 12), 63, IP(c[0]).id)])
    counters_have(n, v6_in=1, translated6=1, v4_out=1)
    logged_block(log, HOST, addr, port)
    back = IP(src=SERVER4, dst=addr, ttl=50, id=3) / UDP(sport=9000, dport=port) / Raw(b"a" * 30)
    c, d, n, _ = replay("udp_back", config(), v6_in=[pkt], v4_in=[back])
    eq(d, [v6(SERVER6, HOST, UDP(sport=9000, dport=5000) / Raw(b"a" * 30), 49)])
    counters_have(n, v4_in=1, translated4=1, v6_out=1)


def tcp_both_ways():
    syn = IPv6(src=HOST, dst=SERVER6, hlim=64, tc=0x20) / TCP(sport=40000, dport=80, flags="S", seq=1)
    c, d, n, _ = replay("tcp", config(), v6_in=[syn])
    addr, port = ext_of(c[0])
    eq(c, [v4(addr, SERVER4, TCP(sport=port, dport=80, flags="S", seq=1), 63, IP(c[0]).id,
              tos=0x20)])
    synack = IP(src=SERVER4, dst=addr, ttl=60) / TCP(sport=80, dport=port, flags="SA", seq=9, ack=2)
    c, d, n, _ = replay("tcp_back", config(), v6_in=[syn], v4_in=[synack])
    eq(d, [v6(SERVER6, HOST, TCP(sport=80, dport=40000, flags="SA", seq=9, ack=2), 59)])


def icmp_echo_both_ways():
    ping = IPv6(src=HOST, dst=SERVER6, hlim=64) / ICMPv6EchoRequest(id=77, seq=1, data=b"p" * 16)
    c, d, n, _ = replay("echo", config(), v6_in=[ping])
    addr, ident = ext_of(c[0])
    eq(c, [v4(addr, SERVER4, ICMP(type=8, id=ident, seq=1) / Raw(b"p" * 16), 63, IP(c[0]).id)])
    pong = IP(src=SERVER4, dst=addr, ttl=60) / ICMP(type=0, id=ident, seq=1) / Raw(b"p" * 16)
    c, d, n, _ = replay("echo_back", config(), v6_in=[ping], v4_in=[pong])
    eq(d, [v6(SERVER6, HOST, ICMPv6EchoReply(id=77, seq=1, data=b"p" * 16), 59)])


def unsolicited_inbound_dropped():
    pkts = [IP(src=SERVER4, dst="198.51.100.129", ttl=60) / UDP(sport=9000, dport=2000),
            IP(src=SERVER4, dst="198.51.100.129", ttl=60) / ICMP(type=8, id=5),
            IP(src=SERVER4, dst="198.51.100.200", ttl=60) / UDP(sport=9000, dport=2000),
            IP(src="0.0.0.1", dst="198.51.100.129", ttl=60) / UDP(sport=9000, dport=2000)]
    c, d, n, _ = replay("unsolicited", config(), v4_in=pkts)
    eq(c + d, [])
    counters_have(n, v4_in=4, drop_in_no_mapping=1, drop_in_malformed=1, drop_in_not_ours=1,
                  drop_v4_bad_source=1)


def adf_filters_other_servers():
    pkt = out_udp()
    c, _, _, _ = replay("adf0", config(filtering="adf"), v6_in=[pkt])
    addr, port = ext_of(c[0])
    other = IP(src="203.0.113.77", dst=addr, ttl=60) / UDP(sport=9000, dport=port)
    same_server = IP(src=SERVER4, dst=addr, ttl=60) / UDP(sport=9999, dport=port)
    c, d, n, _ = replay("adf", config(filtering="adf"), v6_in=[pkt], v4_in=[other, same_server])
    eq(d, [v6(SERVER6, HOST, UDP(sport=9999, dport=5000), 59)])
    counters_have(n, drop_in_filtered=1, translated4=1)


def v6_refused():
    pkts = [IPv6(src=HOST, dst="2001:db8:9::1") / UDP(sport=1, dport=2),
            IPv6(src="64:ff9b::1.2.3.4", dst=SERVER6) / UDP(sport=1, dport=2),
            IPv6(src=HOST, dst=SERVER6) / ICMPv6EchoReply(id=1),
            IPv6(src=HOST, dst="64:ff9b::1") / UDP(sport=1, dport=2)]
    c, d, n, _ = replay("v6_refused", config(), v6_in=pkts)
    eq(c + d, [])
    counters_have(n, drop_v6_not_pool6=2, drop_v6_bad_source=1, drop_unsupported_proto=1)


def icmp_error_inbound():
    pkt = out_udp()
    c, _, _, _ = replay("err_in0", config(), v6_in=[pkt])
    addr, port = ext_of(c[0])
    sent = IP(c[0])
    err = IP(src=ROUTER4, dst=addr, ttl=60) / ICMP(type=3, code=3) / sent
    c, d, n, _ = replay("err_in", config(), v6_in=[pkt], v4_in=[err])
    quote = IPv6(src=HOST, dst=SERVER6, hlim=63) / UDP(sport=5000, dport=9000) / Raw(b"q" * 12)
    eq(d, [v6(ROUTER4_6, HOST, ICMPv6DestUnreach(code=4) / quote, 59)])
    counters_have(n, translated4=1)


def icmp_error_outbound():
    pkt = out_udp()
    c, _, _, _ = replay("err_out0", config(), v6_in=[pkt])
    addr, port = ext_of(c[0])
    arrived = IPv6(src=SERVER6, dst=HOST, hlim=50) / UDP(sport=9000, dport=5000) / Raw(b"z" * 8)
    err = IPv6(src=HOST, dst=SERVER6, hlim=64) / ICMPv6DestUnreach(code=4) / arrived
    c, d, n, _ = replay("err_out", config(), v6_in=[pkt, err])
    if len(c) != 2:
        raise AssertionError("want 2 IPv4 packets, got %d" % len(c))
    got = IP(c[1])
    q = got[IPerror]
    quote = IP(src=SERVER4, dst=addr, ttl=50, id=q.id, flags=q.flags) / \
        UDP(sport=9000, dport=port) / Raw(b"z" * 8)
    eq(c[1:], [v4(addr, SERVER4, ICMP(type=3, code=3) / quote, 63, got.id)])


def ptb_both_ways():
    # IPv4 DF too big for the IPv6 side: Fragmentation Needed from NAT4
    pkt = out_udp()
    c, _, _, _ = replay("ptb0", config(), v6_in=[pkt])
    addr, port = ext_of(c[0])
    big = IP(src=SERVER4, dst=addr, ttl=60, flags="DF", id=4) / UDP(sport=9000, dport=port) / \
        Raw(b"b" * 1472)
    c, d, n, _ = replay("ptb4", config(), v6_in=[pkt], v4_in=[big])
    # the quote: as much of the packet as fits 576 bytes (RFC 1812 §4.3.2.3)
    eq(c[1:], [v4(NAT4, SERVER4, ICMP(type=3, code=4, nexthopmtu=1480) / Raw(bytes(big)[:548]),
                  64, IP(c[1]).id)])
    counters_have(n, icmp_errors_sent=1)
    # IPv6 too big for ipv4_mtu: Packet Too Big from NAT6
    big6 = out_udp(data=b"c" * 1400)
    c, d, n, _ = replay("ptb6", config(ipv4_mtu=1280), v6_in=[big6])
    # the quote cut so that the error fits 1280 bytes (RFC 4443 §2.4)
    eq(d, [v6(NAT6, HOST, ICMPv6PacketTooBig(mtu=1300) / Raw(bytes(big6)[:1232]), 64)])
    # a router's Fragmentation Needed about our packet: PTB to the host (+20)
    c, _, _, _ = replay("ptb_in0", config(), v6_in=[pkt])
    sent = IP(c[0])
    fn = IP(src=ROUTER4, dst=addr, ttl=60) / ICMP(type=3, code=4, nexthopmtu=1400) / sent
    c, d, n, _ = replay("ptb_in", config(), v6_in=[pkt], v4_in=[fn])
    quote = IPv6(src=HOST, dst=SERVER6, hlim=63) / UDP(sport=5000, dport=9000) / Raw(b"q" * 12)
    eq(d, [v6(ROUTER4_6, HOST, ICMPv6PacketTooBig(mtu=1420) / quote, 59)])
    # the host's Packet Too Big about an inbound packet: Fragmentation Needed (-20)
    arrived = IPv6(src=SERVER6, dst=HOST, hlim=50) / UDP(sport=9000, dport=5000) / Raw(b"z" * 8)
    ptb = IPv6(src=HOST, dst=SERVER6, hlim=64) / ICMPv6PacketTooBig(mtu=1400) / arrived
    c, d, n, _ = replay("ptb_out", config(), v6_in=[pkt, ptb])
    got = IP(c[1])
    q = got[IPerror]
    quote = IP(src=SERVER4, dst=addr, ttl=50, id=q.id, flags=q.flags) / \
        UDP(sport=9000, dport=port) / Raw(b"z" * 8)
    eq(c[1:], [v4(addr, SERVER4, ICMP(type=3, code=4, nexthopmtu=1380) / quote, 63, got.id)])


def fragments_6to4():
    data = bytes(range(256)) * 12  # 3072 bytes: fragmented UDP, checksum over all
    whole = IPv6(src=HOST, dst=SERVER6, hlim=64) / IPv6ExtHdrFragment(id=0x1234) / \
        UDP(sport=5000, dport=9000) / Raw(data)
    frags = fragment6(whole, 1280)
    c, d, n, _ = replay("frag6", config(), v6_in=list(reversed(frags)))
    if len(c) < 3:
        raise AssertionError("want IPv4 fragments, got %d packets" % len(c))
    addr, port = ext_of(c[0])
    ident = IP(c[0]).id
    want = fragment(IP(src=addr, dst=SERVER4, ttl=63, id=ident, flags=0) /
                    UDP(sport=port, dport=9000) / Raw(data), fragsize=1480)
    eq(c, [bytes(f) for f in want])
    counters_have(n, reassembled=1, fragmented=1)


def fragments_4to6():
    pkt = out_udp()
    c, _, _, _ = replay("frag4_0", config(), v6_in=[pkt])
    addr, port = ext_of(c[0])
    data = bytes(range(256)) * 12
    whole = IP(src=SERVER4, dst=addr, ttl=60, id=0x4242) / UDP(sport=9000, dport=port) / Raw(data)
    frags = fragment(whole, fragsize=1000)
    c, d, n, _ = replay("frag4", config(), v6_in=[pkt], v4_in=frags)
    if len(d) < 3:
        raise AssertionError("want IPv6 fragments, got %d packets" % len(d))
    for x in d:
        if len(x) > 1280 or IPv6ExtHdrFragment not in IPv6(x):
            raise AssertionError("an IPv6 packet of %d bytes (lowest IPv6 MTU 1280), or not a "
                                 "fragment" % len(x))
    got = defragment6([IPv6(x) for x in d])
    want = IPv6(v6(SERVER6, HOST, UDP(sport=9000, dport=5000) / Raw(data), 59))
    if bytes(got[UDP]) != bytes(want[UDP]) or got.src != want.src or got.dst != want.dst:
        raise AssertionError("reassembled IPv6 differs:\n got  %s\n want %s" %
                             (bytes(got[UDP])[:16].hex(), bytes(want[UDP])[:16].hex()))
    counters_have(n, reassembled=1, fragmented=1)
    # lowest_ipv6_mtu raised to the IPv6 MTU: fragments up to 1500 bytes (RFC 7915 §4.1)
    c, d, n, _ = replay("frag4_low", config(lowest_ipv6_mtu=1500), v6_in=[pkt], v4_in=frags)
    sizes = sorted(len(x) for x in d)
    if not d or sizes[-1] <= 1280 or sizes[-1] > 1500:
        raise AssertionError("with lowest_ipv6_mtu 1500: fragment sizes %s" % sizes)


def hairpin():
    b_out = out_udp(host=HOST2, sport=6000)
    c, _, _, _ = replay("hp0", config(), v6_in=[b_out])
    addr_b, port_b = ext_of(c[0])
    a_to_b = IPv6(src=HOST, dst="64:ff9b::" + addr_b, hlim=64) / \
        UDP(sport=5000, dport=port_b) / Raw(b"h" * 10)
    c, d, n, log = replay("hp", config(), v6_in=[b_out, a_to_b])
    if len(d) != 1:
        raise AssertionError("want one hairpinned packet, got %d" % len(d))
    got = IPv6(d[0])
    raw = socket.inet_pton(socket.AF_INET6, got.src)
    addr_a = socket.inet_ntop(socket.AF_INET, raw[12:]) if raw[:12] == POOL6_BYTES else None
    if addr_a not in POOL_ADDRS:
        raise AssertionError("hairpinned source %s is not pool6 + pool4" % got.src)
    port_a = got[UDP].sport
    logged_block(log, HOST, addr_a, port_a)
    eq(d, [v6("64:ff9b::" + addr_a, HOST2, UDP(sport=port_a, dport=6000) / Raw(b"h" * 10), 62)])
    counters_have(n, hairpinned=1)


def hairpin_refused_on_the_way_back():
    # a hairpinned packet too big for ipv6_mtu on its way back to the
    # receiving host: Packet Too Big to the sender (not an ICMPv4 error out
    # of the IPv4 side toward its pool address), quoting what it sent
    b_out = out_udp(host=HOST2, sport=6000)
    cfg = config(ipv6_mtu=1280)
    c, _, _, _ = replay("hpbig0", cfg, v6_in=[b_out])
    addr_b, port_b = ext_of(c[0])
    a_to_b = IPv6(src=HOST, dst="64:ff9b::" + addr_b, hlim=64) / \
        UDP(sport=5000, dport=port_b) / Raw((bytes(range(256)) * 6)[:1352])
    c, d, n, _ = replay("hpbig", cfg, v6_in=[b_out, a_to_b])
    if len(c) != 1:
        raise AssertionError("want only B's packet out of the IPv4 side, got %d" % len(c))
    # the ICMPv4 error quotes 548 bytes (576 in all), 568 once translated
    quote = bytes(IPv6(src=HOST, dst="64:ff9b::" + addr_b, hlim=63) / UDP(sport=5000, dport=port_b) /
                  Raw((bytes(range(256)) * 6)[:1352]))[:568]
    eq(d, [v6(NAT6, HOST, ICMPv6PacketTooBig(mtu=1280) / Raw(quote), 64)])
    counters_have(n, icmp_errors_sent=1, hairpinned=0, v4_out=1, v6_out=1)
    # its hop limit runs out on the second translation: Time Exceeded to the sender
    low = IPv6(src=HOST, dst="64:ff9b::" + addr_b, hlim=2) / UDP(sport=5000, dport=port_b) / \
        Raw(b"t" * 20)
    c, d, n, _ = replay("hpttl", cfg, v6_in=[b_out, low])
    quote = IPv6(src=HOST, dst="64:ff9b::" + addr_b, hlim=1) / UDP(sport=5000, dport=port_b) / \
        Raw(b"t" * 20)
    eq(d, [v6(NAT6, HOST, ICMPv6TimeExceeded(code=0) / quote, 64)])
    counters_have(n, icmp_errors_sent=1, hairpinned=0)


def session_limits():
    pkts = [out_udp(sport=5000 + i) for i in range(3)]
    c, d, n, _ = replay("limits", config(limits={"mappings": 2}), v6_in=pkts)
    if len(c) != 2:
        raise AssertionError("want 2 flows through, got %d" % len(c))
    counters_have(n, drop_sub_mappings=1, translated6=3)
    # another host is not touched by the first one's limit
    c, d, n, _ = replay("limits2", config(limits={"mappings": 2}),
                        v6_in=pkts + [out_udp(host=HOST2)])
    if len(c) != 3:
        raise AssertionError("want 3 flows through, got %d" % len(c))


def subscriber_prefix_64():
    h1, h2 = "2001:db8:1::10", "2001:db8:1::11"   # one /64
    pkts = [out_udp(host=h1), out_udp(host=h2), out_udp(host=h1, sport=5001)]
    cfg = config(subscriber_prefix=64, limits={"mappings": 2})
    c, d, n, log = replay("sub64", cfg, v6_in=pkts)
    if len(c) != 2:
        raise AssertionError("want 2 flows through, got %d" % len(c))
    (a1, p1), (a2, p2) = ext_of(c[0]), ext_of(c[1])
    if a1 != a2:
        raise AssertionError("one /64, two addresses: %s %s" % (a1, a2))
    counters_have(n, drop_sub_mappings=1)
    logged_block(log, "2001:db8:1::", a1, p1)
    # each host gets its own traffic back
    back = [IP(src=SERVER4, dst=a1, ttl=50) / UDP(sport=9000, dport=p2) / Raw(b"2"),
            IP(src=SERVER4, dst=a1, ttl=50) / UDP(sport=9000, dport=p1) / Raw(b"1")]
    c, d, n, _ = replay("sub64_back", cfg, v6_in=pkts, v4_in=back)
    eq(d, [v6(SERVER6, h2, UDP(sport=9000, dport=5000) / Raw(b"2"), 49),
           v6(SERVER6, h1, UDP(sport=9000, dport=5000) / Raw(b"1"), 49)])


def bad_configs():
    for bad in ({"pool6": "64:ff9b::/95"}, {"pool4": []}, {"filtering": "x"},
                {"subscriber_prefix": 129}, {"lowest_ipv6_mtu": 1200}):
        err = G.replay("bad", config(**bad), expect_fail=True, conf="nat64.json")
        if "nat64" not in err:
            raise AssertionError("error does not name the object: %s" % err)


for fn in (udp_both_ways, tcp_both_ways, icmp_echo_both_ways, unsolicited_inbound_dropped,
           adf_filters_other_servers, v6_refused, icmp_error_inbound, icmp_error_outbound,
           ptb_both_ways, fragments_6to4, fragments_4to6, hairpin, hairpin_refused_on_the_way_back, session_limits,
           subscriber_prefix_64, bad_configs):
    case(fn)
G.finish()
