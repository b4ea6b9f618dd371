#!/usr/bin/python3
"""Golden tests of the DS-Lite AFTR pipeline through `s46 replay`.

Each case crafts B4 and Internet packets with scapy, runs the real `s46
replay` (the B4 side first: its flows make the mappings), and compares what
leaves each side byte for byte with packets scapy builds independently. The
one thing the test cannot know in advance is the CGN's choice of external
address and port (random inside the block, fixed by the config's seed): it
is read from the first output, checked against the pool, the block the
port-block log recorded for that subscriber, and then used to build the
expected packets and the return traffic of a second run with the same
seed. Every output is dissected by tshark. One PASS/FAIL line per case.
"""
import os

from golden import Golden, counters_have, eq
from scapy.all import (ICMP, IP, UDP, TCP, IPv6, ICMPv6EchoRequest, ICMPv6EchoReply,
                       ICMPv6ParamProblem, IPv6ExtHdrRouting, Raw, fragment, conf)

conf.verb = 0
G = Golden("aftr")
case = G.case

AFTR6 = "2001:db8:ffff::2"
AFTR4 = "198.51.100.2"
POOL = ["192.0.2.128/30"]
POOL_ADDRS = {"192.0.2.%d" % i for i in range(128, 132)}
B4A = "2001:db8:1:100::2"
B4B = "2001:db8:1:200::2"
PRIV = "192.0.0.2"   # every B4's well-known address (RFC 6333)
NET = "1.2.3.4"


def config(**extra):
    c = {"aftr": {"ipv6": AFTR6, "ipv4": AFTR4, "pool": POOL, "seed": 7,
                  "log": {"path": "blocks.log"}}}
    c["aftr"].update(extra)
    return c


def replay(name, cfg, v4_in=(), v6_in=()):
    """The outputs, the counters and the lines of the port-block log."""
    c, d, doc, path = G.replay(name, cfg, v4_in, v6_in, conf="aftr.json", in_dir=True)
    log = os.path.join(path, "blocks.log")
    return c, d, doc["counters"], open(log).read().splitlines() if os.path.exists(log) else []


def from_b4(b4, inner):
    return IPv6(src=b4, dst=AFTR6, hlim=64, nh=4) / inner


def to_b4(b4, inner):
    return bytes(IPv6(src=AFTR6, dst=b4, hlim=64, nh=4) / inner)


def translated(pkt, src=None, sport=None, dst=None, dport=None, ttl_dec=1):
    """pkt with the given fields replaced and TTL - ttl_dec, checksums recomputed."""
    p = IP(bytes(pkt))
    p.ttl -= ttl_dec
    if src:
        p.src = src
    if dst:
        p.dst = dst
    l4 = p.payload
    if isinstance(l4, (UDP, TCP)):
        if sport is not None:
            l4.sport = sport
        if dport is not None:
            l4.dport = dport
        del l4.chksum
    elif isinstance(l4, ICMP) and sport is not None:
        l4.id = sport
        del l4.chksum
    del p.chksum
    return bytes(IP(bytes(p)))


def ext_of(out4):
    """The external address and port of the first IPv4 output."""
    p = IP(out4)
    port = p[UDP].sport if UDP in p else p[TCP].sport if TCP in p else p[ICMP].id
    if p.src not in POOL_ADDRS:
        raise AssertionError("source %s outside the pool %s" % (p.src, POOL))
    if port < 1024:
        raise AssertionError("external port %d is a well-known port" % port)
    return p.src, port


def logged_block(log, b4, addr, port):
    for line in log:
        f = line.split()
        if len(f) == 5 and f[1] == "alloc" and f[2] == b4 and f[3] == addr:
            lo, hi = map(int, f[4].split("-"))
            if lo <= port <= hi:
                return
    raise AssertionError("no alloc record of %s %s covering port %d in %s" % (b4, addr, port, log))


UDP_OUT = IP(src=PRIV, dst=NET, ttl=64, id=9) / UDP(sport=5000, dport=9000) / Raw(b"q" * 12)


def udp_out_and_back():
    c, d, n, log = replay("udp", config(), v6_in=[from_b4(B4A, UDP_OUT)])
    if len(c) != 1 or d:
        raise AssertionError("want one IPv4 packet out, got %d/%d" % (len(c), len(d)))
    addr, port = ext_of(c[0])
    eq(c, [translated(UDP_OUT, src=addr, sport=port)])
    counters_have(n, v6_in=1, decapsulated=1, v4_out=1)
    logged_block(log, B4A, addr, port)
    # the answer, with the same seed: back to the B4 through its softwire
    back = IP(src=NET, dst=addr, ttl=50, id=3) / UDP(sport=9000, dport=port) / Raw(b"a" * 30)
    c, d, n, _ = replay("udp_back", config(), v6_in=[from_b4(B4A, UDP_OUT)], v4_in=[back])
    eq(d, [to_b4(B4A, translated(back, dst=PRIV, dport=5000))])
    counters_have(n, v4_in=1, encapsulated=1, v6_out=1)


def two_b4s_same_private_address():
    c, _, n, log = replay("two", config(), v6_in=[from_b4(B4A, UDP_OUT), from_b4(B4B, UDP_OUT)])
    if len(c) != 2:
        raise AssertionError("want two packets out, got %d" % len(c))
    a, b = ext_of(c[0]), ext_of(c[1])
    if a == b:
        raise AssertionError("both subscribers on %s" % (a,))
    logged_block(log, B4A, *a)
    logged_block(log, B4B, *b)


def paired_pool_and_eim():
    """One subscriber's flows all on one address (paired pooling); a flow
    keeps its port to another destination (endpoint-independent mapping)."""
    pkts = [from_b4(B4A, IP(src=PRIV, dst="5.6.7.%d" % i) / UDP(sport=5000 + (i % 2), dport=9))
            for i in range(1, 7)]
    c, _, _, _ = replay("paired", config(), v6_in=pkts)
    ext = [ext_of(p) for p in c]
    if len({a for a, _ in ext}) != 1:
        raise AssertionError("flows on several addresses: %s" % ext)
    by_int = {}
    for i, (_, port) in enumerate(ext):
        by_int.setdefault(5000 + ((i + 1) % 2), set()).add(port)
    if any(len(s) != 1 for s in by_int.values()):
        raise AssertionError("one internal port mapped to several ports: %s" % by_int)


def inbound_without_mapping():
    pk = [IP(src=NET, dst="192.0.2.129") / UDP(sport=53, dport=40000),
          IP(src=NET, dst="192.0.2.200") / UDP(sport=53, dport=40000)]
    c, d, n, _ = replay("nomap", config(), v4_in=pk)
    eq(c, [])
    eq(d, [])
    counters_have(n, drop_in_no_mapping=1, drop_in_not_ours=1)


def hairpin_between_b4s():
    c, _, _, _ = replay("hp1", config(), v6_in=[from_b4(B4A, UDP_OUT)])
    addr, port = ext_of(c[0])
    to_a = IP(src=PRIV, dst=addr, ttl=64, id=5) / UDP(sport=7000, dport=port) / Raw(b"h" * 8)
    c, d, n, _ = replay("hp2", config(), v6_in=[from_b4(B4A, UDP_OUT), from_b4(B4B, to_a)])
    if len(d) != 1:
        raise AssertionError("want one packet to a B4, got %d (%s)" % (len(d), n))
    got = IPv6(d[0])
    inner = got[IP]
    if got.dst != B4A or inner.dst != PRIV or inner[UDP].dport != 5000 or inner.src not in POOL_ADDRS:
        raise AssertionError("hairpinned as %s" % got.summary())
    eq(d, [to_b4(B4A, translated(to_a, src=inner.src, sport=inner[UDP].sport, dst=PRIV,
                                 dport=5000))])
    counters_have(n, hairpinned=1)


def echo_out_and_back():
    ping = IP(src=PRIV, dst=NET, ttl=64) / ICMP(type=8, id=77, seq=1) / Raw(b"p" * 16)
    c, _, _, _ = replay("echo", config(), v6_in=[from_b4(B4A, ping)])
    addr, ident = ext_of(c[0])
    eq(c, [translated(ping, src=addr, sport=ident)])
    reply = IP(src=NET, dst=addr, ttl=60) / ICMP(type=0, id=ident, seq=1) / Raw(b"p" * 16)
    _, d, _, _ = replay("echo_back", config(), v6_in=[from_b4(B4A, ping)], v4_in=[reply])
    eq(d, [to_b4(B4A, translated(reply, dst=PRIV, sport=77))])


def inner_fragments_reassembled():
    big = IP(src=PRIV, dst=NET, ttl=64, id=1234, flags=0) / UDP(sport=5000, dport=9) / Raw(b"f" * 1000)
    frags = fragment(IP(bytes(big)), fragsize=400)
    c, _, n, _ = replay("frag", config(), v6_in=[from_b4(B4A, f) for f in reversed(frags)])
    if len(c) != 1:
        raise AssertionError("want the datagram whole, got %d packets (%s)" % (len(c), n))
    addr, port = ext_of(c[0])
    eq(c, [translated(big, src=addr, sport=port)])
    counters_have(n, reassembled=1)


def inner_fragments_of_two_b4s_never_meet():
    """Both B4s use the same inner address (RFC 6333's 192.0.0.2 here PRIV)
    and the same IP id: each datagram completes from its own B4's fragments
    only. Keyed by the inner header alone, B4B's last fragment completed
    B4A's datagram with B4B's bytes."""
    a = IP(src=PRIV, dst=NET, ttl=64, id=99, flags=0) / UDP(sport=5000, dport=9) / Raw(b"a" * 800)
    b = IP(src=PRIV, dst=NET, ttl=64, id=99, flags=0) / UDP(sport=5000, dport=9) / Raw(b"b" * 800)
    fa, fb = fragment(IP(bytes(a)), fragsize=400), fragment(IP(bytes(b)), fragsize=400)
    c, _, n, _ = replay("frag_two", config(),
                        v6_in=[from_b4(B4A, fa[0]), from_b4(B4B, fb[1]), from_b4(B4B, fb[2]),
                               from_b4(B4A, fa[1]), from_b4(B4A, fa[2])])
    if len(c) != 1:
        raise AssertionError("want B4A's datagram alone, got %d packets (%s)" % (len(c), n))
    addr, port = ext_of(c[0])
    eq(c, [translated(a, src=addr, sport=port)])
    counters_have(n, reassembled=1, fragments_held=4)


def reassembled_datagram_leaves_fragmented_at_ipv4_mtu():
    big = IP(src=PRIV, dst=NET, ttl=64, id=4321, flags=0) / UDP(sport=5000, dport=9) / Raw(b"g" * 2000)
    frags = fragment(IP(bytes(big)), fragsize=1000)
    c, _, n, _ = replay("frag_mtu", config(ipv4_mtu=1280), v6_in=[from_b4(B4A, f) for f in frags])
    if len(c) != 2:
        raise AssertionError("want two IPv4 fragments, got %d (%s)" % (len(c), n))
    addr, port = ext_of(c[0])
    whole = IP(translated(big, src=addr, sport=port))
    eq(c, [bytes(f) for f in fragment(whole, fragsize=1256)])
    counters_have(n, reassembled=1, fragmented=1, v4_out=2)


def pings_to_the_aftr():
    p4 = IP(src=NET, dst=AFTR4, ttl=60) / ICMP(type=8, id=5, seq=2) / Raw(b"z" * 8)
    p6 = IPv6(src=B4A, dst=AFTR6, hlim=60) / ICMPv6EchoRequest(id=5, seq=2, data=b"z" * 8)
    c, d, n, _ = replay("ping", config(), v4_in=[p4], v6_in=[p6])
    eq(c, [bytes(IP(src=AFTR4, dst=NET, ttl=64, id=IP(c[0]).id) / ICMP(type=0, id=5, seq=2) / Raw(b"z" * 8))]
       if c else [], "echo reply 4")
    r6 = IPv6(d[0]) if d else None
    if not r6 or ICMPv6EchoReply not in r6 or r6.dst != B4A:
        raise AssertionError("no ICMPv6 echo reply: %s" % d)
    counters_have(n, echo_replies=2)


def ttl_expires_back_to_the_b4():
    p = IP(src=PRIV, dst=NET, ttl=1) / UDP(sport=5000, dport=9000) / Raw(b"t" * 4)
    c, d, n, _ = replay("ttl", config(), v6_in=[from_b4(B4A, p)])
    eq(c, [])
    if len(d) != 1:
        raise AssertionError("want a Time Exceeded to the B4, got %s (%s)" % (d, n))
    got = IPv6(d[0])
    if got.dst != B4A or ICMP not in got or got[ICMP].type != 11 or got[IP].src != AFTR4:
        raise AssertionError("got %s" % got.summary())


def per_subscriber_limit():
    cfg = config(limits={"mappings": 2})
    pk = [from_b4(B4A, IP(src=PRIV, dst=NET) / UDP(sport=6000 + i, dport=9)) for i in range(3)]
    pk.append(from_b4(B4B, IP(src=PRIV, dst=NET) / UDP(sport=6000, dport=9)))
    c, _, n, _ = replay("limit", cfg, v6_in=pk)
    if len(c) != 3:
        raise AssertionError("want 2 + 1 packets out, got %d (%s)" % (len(c), n))
    counters_have(n, drop_sub_mappings=1)


def blocks_exhausted():
    cfg = config(pool=["192.0.2.128/32"], block_size=64, max_blocks_per_subscriber=1,
                 port_min=65472)
    pk = [from_b4(B4A, IP(src=PRIV, dst=NET) / UDP(sport=10000 + i, dport=9)) for i in range(65)]
    pk.append(from_b4(B4B, IP(src=PRIV, dst=NET) / UDP(sport=1, dport=9)))
    c, _, n, log = replay("exhaust", cfg, v6_in=pk)
    if len(c) != 64:
        raise AssertionError("want the block's 64 ports used, got %d (%s)" % (len(c), n))
    counters_have(n, drop_no_block=1, drop_no_address=1)
    if sum(1 for l in log if " alloc " in l) != 1:
        raise AssertionError("want one block logged: %s" % log)


def echo_from_non_unicast_sources_not_answered():
    v4 = [IP(src=s, dst=AFTR4) / ICMP(type=8, id=9, seq=1)
          for s in ("0.0.0.0", "127.0.0.1", "224.0.0.1", "240.0.0.1", "255.255.255.255")]
    v6 = [IPv6(src=s, dst=AFTR6) / ICMPv6EchoRequest(id=5, seq=6) for s in ("ff02::1", "::")]
    c, d, n, _ = replay("echo_non_unicast", config(), v4_in=v4, v6_in=v6)
    eq(c, []); eq(d, [])
    counters_have(n, drop_echo_not_unicast=len(v4) + len(v6), echo_replies=0)


def routing_header_type0_refused():
    # RFC 5095 §3: Segments Left not 0 -> Parameter Problem at the Routing
    # Type; 0 -> the header is skipped and the packet goes on
    rh0 = IPv6(src=B4A, dst=AFTR6, hlim=64) / IPv6ExtHdrRouting(
        type=0, segleft=1, addresses=["2001:db8:ffff::9"]) / UDP_OUT
    done = IPv6(src=B4A, dst=AFTR6, hlim=64) / IPv6ExtHdrRouting(
        type=0, segleft=0, addresses=["2001:db8:ffff::9"]) / UDP_OUT
    c, d, n, _ = replay("rh0", config(), v6_in=[rh0, done])
    eq(d, [bytes(IPv6(src=AFTR6, dst=B4A, hlim=64) / ICMPv6ParamProblem(code=0, ptr=42) / bytes(rh0))])
    if len(c) != 1:
        raise AssertionError("want the Segments Left 0 packet translated, got %s (%s)" % (c, n))
    counters_have(n, drop_v6_routing_header=1, decapsulated=1)


def icmp_error_from_the_internet_about_outbound():
    """An Internet router's error about a translated packet reaches the B4
    with its quote translated back (RFC 5508 REQ-3/4)."""
    c, _, _, _ = replay("err_in1", config(), v6_in=[from_b4(B4A, UDP_OUT)])
    addr, port = ext_of(c[0])
    seen = IP(c[0])  # the packet as it left: what the router quotes
    err = IP(src="9.9.9.9", dst=addr, ttl=50, id=4) / ICMP(type=3, code=3) / Raw(bytes(seen))
    _, d, n, _ = replay("err_in2", config(), v6_in=[from_b4(B4A, UDP_OUT)], v4_in=[err])
    back = IP(bytes(seen))
    back.src = PRIV
    back[UDP].sport = 5000
    del back.chksum
    del back[UDP].chksum
    want = IP(src="9.9.9.9", dst=PRIV, ttl=49, id=4) / ICMP(type=3, code=3) / Raw(bytes(IP(bytes(back))))
    eq(d, [to_b4(B4A, IP(bytes(want)))])
    counters_have(n, encapsulated=1)


def icmp_error_from_a_b4_about_inbound():
    """A LAN host's error about an inbound packet leaves from the external
    address, its quote showing the external endpoint the remote side used."""
    c, _, _, _ = replay("err_out1", config(), v6_in=[from_b4(B4A, UDP_OUT)])
    addr, port = ext_of(c[0])
    inbound = IP(src=NET, dst=PRIV, ttl=49, id=8) / UDP(sport=9000, dport=5000) / Raw(b"r" * 8)
    err = IP(src=PRIV, dst=NET, ttl=64, id=5) / ICMP(type=3, code=3) / Raw(bytes(inbound))
    c, _, n, _ = replay("err_out2", config(), v6_in=[from_b4(B4A, UDP_OUT), from_b4(B4A, err)])
    if len(c) != 2:
        raise AssertionError("want the flow and the error out, got %d (%s)" % (len(c), n))
    quoted = IP(bytes(inbound))
    quoted.dst = addr
    quoted[UDP].dport = port
    del quoted.chksum
    del quoted[UDP].chksum
    want = IP(src=addr, dst=NET, ttl=63, id=5) / ICMP(type=3, code=3) / Raw(bytes(IP(bytes(quoted))))
    eq(c[1:], [bytes(IP(bytes(want)))])


def icmp_error_about_no_flow_dropped():
    stray = IP(src=NET, dst=PRIV) / UDP(sport=9000, dport=4444) / Raw(b"s" * 8)
    err = IP(src=PRIV, dst=NET) / ICMP(type=3, code=3) / Raw(bytes(stray))
    c, _, n, _ = replay("err_none", config(), v6_in=[from_b4(B4A, err)])
    eq(c, [])
    counters_have(n, drop_icmp_no_mapping=1)


for fn in (udp_out_and_back, two_b4s_same_private_address, paired_pool_and_eim,
           inbound_without_mapping, hairpin_between_b4s, echo_out_and_back,
           inner_fragments_reassembled, inner_fragments_of_two_b4s_never_meet,
           reassembled_datagram_leaves_fragmented_at_ipv4_mtu, pings_to_the_aftr, ttl_expires_back_to_the_b4,
           per_subscriber_limit, blocks_exhausted, echo_from_non_unicast_sources_not_answered,
           routing_header_type0_refused, icmp_error_from_the_internet_about_outbound,
           icmp_error_from_a_b4_about_inbound, icmp_error_about_no_flow_dropped):
    case(fn)
G.finish()
