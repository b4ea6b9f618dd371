#!/usr/bin/python3
"""Golden tests of the 464XLAT CLAT (RFC 6877: the CE's NAPT44 onto
192.0.0.1, then RFC 7915 with RFC 6052 addresses) through `s46 replay`.

Each case crafts the input with scapy, runs the real `s46 replay`, and
compares what leaves each side byte for byte with packets scapy builds
independently from the RFCs' rules (its own checksums, lengths, quotes and
fragments; the RFC 6052 embedding written out here): only the NAPT's
external port is taken from a first run (it takes its ports in a fixed
order, "napt_seed"). ICMP errors the CLAT builds itself are checked field by
field. Every output is dissected by tshark. One PASS/FAIL line per case.
"""

import ipaddress

from golden import Golden
from scapy.all import (ICMP, IP, UDP, TCP, IPv6, IPv6ExtHdrFragment, ICMPv6EchoRequest,
                       ICMPv6EchoReply, ICMPv6DestUnreach, ICMPv6PacketTooBig,
                       ICMPv6TimeExceeded, IPerror6, UDPerror, TCPerror, IPerror, Raw, GRE, IPOption_LSRR,
                       fragment, conf)

conf.verb = 0
G = Golden("clat_golden")
case = G.case

EU = "2001:db8:12:3400::/56"
CLAT6 = "2001:db8:12:3400::c1a7"   # subnet 0 of the End-user prefix, IID ::c1a7
CLAT4 = "192.0.0.1"
LAN4 = "192.168.1.1"               # the CE on the LAN (lan_ipv4)
HOST = "192.168.1.2"               # a LAN host
SERVER4 = "198.51.100.80"          # an IPv4 server behind the NAT64
ROUTER6 = "2001:db8:ffff::1"       # an IPv6 router outside the NAT64 prefix
DUMMY4 = "192.0.0.8"               # RFC 7600's IPv4 dummy address (RFC 6791 source)


def rfc6052(prefix, v4):
    """RFC 6052 §2.2 by hand: the IPv4 bytes after the prefix, byte 8 (the
    u octet) skipped, the suffix zero."""
    net = ipaddress.IPv6Network(prefix)
    b = bytearray(net.network_address.packed)
    pos = net.prefixlen // 8
    for octet in ipaddress.IPv4Address(v4).packed:
        if pos == 8:
            pos += 1
        b[pos] = octet
        pos += 1
    return str(ipaddress.IPv6Address(bytes(b)))


def config(nat64="64:ff9b::/96", **extra):
    c = {"mode": "ce", "prefix": EU, "464xlat": {"nat64prefix": nat64}, "lan_ipv4": LAN4}
    c.update(extra)
    return c


SERVER6 = rfc6052("64:ff9b::/96", SERVER4)


def replay(name, cfg, lan_in=(), wan_in=()):
    lan, wan, doc, _ = G.replay(name, cfg, lan_in, wan_in)
    return lan, wan, doc["counters"]


def same(got, want, what):
    want = [bytes(w) for w in want]
    if len(got) != len(want):
        raise AssertionError("%s: %d packets, expected %d: %s" %
                             (what, len(got), len(want), [g.hex() for g in got]))
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            raise AssertionError("%s #%d differs:\n got  %s\n want %s" % (what, i, g.hex(), w.hex()))


def have(c, **want):
    for k, v in want.items():
        if c.get(k) != v:
            raise AssertionError("counter %s = %s, expected %s (all: %s)" %
                                 (k, c.get(k), v, {a: b for a, b in c.items() if b}))


def lan_udp(payload=b"hello", ttl=64, ident=7, flags=0, dst=SERVER4):
    return IP(src=HOST, dst=dst, ttl=ttl, id=ident, flags=flags) / UDP(sport=40123, dport=7000) / payload


def out_port(cfg, pkt):
    """The external port (or echo identifier) the NAPT gives pkt: a first run."""
    _, wan, _ = replay("port", cfg, lan_in=[pkt])
    if len(wan) < 1:
        raise AssertionError("the first run translated nothing")
    p = IPv6(wan[0])
    port = p[UDP].sport if UDP in p else p[TCP].sport if TCP in p else p[ICMPv6EchoRequest].id
    if port < 1024:
        raise AssertionError("external port %d below 1024" % port)
    return port


# --- LAN -> WAN --------------------------------------------------------

def udp_out():
    """NAPT onto 192.0.0.1, then translated: source the CLAT address,
    destination the server in 64:ff9b::/96, hop limit = TTL - 1, the TOS
    as traffic class, the UDP checksum over the IPv6 pseudo-header."""
    cfg = config()
    port = out_port(cfg, lan_udp())
    pkt = IP(src=HOST, dst=SERVER4, ttl=64, id=7, tos=0x28) / UDP(sport=40123, dport=7000) / b"hello"
    _, wan, c = replay("udp_out", cfg, lan_in=[pkt])
    same(wan, [IPv6(src=CLAT6, dst=SERVER6, hlim=63, tc=0x28, fl=0) /
               UDP(sport=port, dport=7000) / b"hello"], "IPv6 out")
    have(c, lan_in=1, napt_out=1, napt_mappings_created=1, translated4=1, wan_out=1)


def udp_in():
    """The reply: translated back (id from the translator's counter, TTL =
    hop limit - 1), then the reverse NAPT to the LAN host."""
    cfg = config()
    port = out_port(cfg, lan_udp())
    back = IPv6(src=SERVER6, dst=CLAT6, hlim=50) / UDP(sport=7000, dport=port) / b"back"
    lan, _, c = replay("udp_in", cfg, lan_in=[lan_udp()], wan_in=[back])
    same(lan, [IP(src=SERVER4, dst=HOST, ttl=49, id=0, flags=0) / UDP(sport=7000, dport=40123) /
               b"back"], "IPv4 to the LAN")
    have(c, wan_in=1, translated6=1, napt_in=1, lan_out=1)


def other_prefix_lengths():
    """RFC 6052 /40, /48, /56, /64 and /32: the server's address embedded
    around the u octet both ways."""
    for nat64 in ("2001:db8:100::/40", "2001:db8:122::/48", "2001:db8:122:300::/56",
                  "2001:db8:122:344::/64", "2001:db9::/32"):
        cfg = config(nat64)
        port = out_port(cfg, lan_udp())
        s6 = rfc6052(nat64, SERVER4)
        back = IPv6(src=s6, dst=CLAT6, hlim=50) / UDP(sport=7000, dport=port) / b"back"
        lan, wan, _ = replay("len", cfg, lan_in=[lan_udp()], wan_in=[back])
        same(wan, [IPv6(src=CLAT6, dst=s6, hlim=63) / UDP(sport=port, dport=7000) / b"hello"],
             "IPv6 out " + nat64)
        same(lan, [IP(src=SERVER4, dst=HOST, ttl=49, id=0) / UDP(sport=7000, dport=40123) / b"back"],
             "IPv4 in " + nat64)


def tcp_both_ways_mss():
    """TCP: a SYN's MSS clamped to fit the IPv6 MTU (1500 - 60), the SYN-ACK
    likewise on the way back."""
    cfg = config()
    syn = IP(src=HOST, dst=SERVER4, ttl=64, id=1) / TCP(sport=40000, dport=80, flags="S", seq=1000,
                                                        options=[("MSS", 1460)])
    port = out_port(cfg, syn)
    synack = IPv6(src=SERVER6, dst=CLAT6, hlim=60) / TCP(sport=80, dport=port, flags="SA", seq=5000,
                                                          ack=1001, options=[("MSS", 1460)])
    lan, wan, c = replay("tcp", cfg, lan_in=[syn], wan_in=[synack])
    same(wan, [IPv6(src=CLAT6, dst=SERVER6, hlim=63) /
               TCP(sport=port, dport=80, flags="S", seq=1000, options=[("MSS", 1440)])], "SYN")
    same(lan, [IP(src=SERVER4, dst=HOST, ttl=59, id=0) /
               TCP(sport=80, dport=40000, flags="SA", seq=5000, ack=1001, options=[("MSS", 1440)])],
         "SYN-ACK")
    have(c, mss_clamped=2, translated4=1, translated6=1)


def icmp_echo_both_ways():
    """Echo: the identifier mapped by the NAPT, ICMP <-> ICMPv6 types and
    checksums (the IPv6 pseudo-header)."""
    cfg = config()
    req = IP(src=HOST, dst=SERVER4, ttl=64, id=2) / ICMP(type=8, id=0x1234, seq=9) / b"ping"
    ident = out_port(cfg, req)
    rep = IPv6(src=SERVER6, dst=CLAT6, hlim=64) / ICMPv6EchoReply(id=ident, seq=9) / b"ping"
    lan, wan, c = replay("echo", cfg, lan_in=[req], wan_in=[rep])
    same(wan, [IPv6(src=CLAT6, dst=SERVER6, hlim=63) / ICMPv6EchoRequest(id=ident, seq=9) / b"ping"],
         "echo request")
    same(lan, [IP(src=SERVER4, dst=HOST, ttl=63, id=0) / ICMP(type=0, id=0x1234, seq=9) / b"ping"],
         "echo reply")
    have(c, translated4=1, translated6=1, napt_in=1)


def echo_to_ce_answered():
    """A ping to the CE's LAN address is answered on the LAN, not translated."""
    req = IP(src=HOST, dst=LAN4, ttl=64, id=2) / ICMP(type=8, id=5, seq=1) / b"x"
    lan, wan, c = replay("echo_ce", config(), lan_in=[req])
    same(wan, [], "IPv6 out")
    same(lan, [IP(src=LAN4, dst=HOST, ttl=64, id=2) / ICMP(type=0, id=5, seq=1) / b"x"], "reply")
    have(c, echo_replies=1)


# --- ICMP errors -------------------------------------------------------

def icmp_error_wan_to_lan():
    """ICMPv6 port unreachable from the server about our UDP: ICMPv4 3/3 to
    the LAN host, its quote translated (addresses, lengths, checksum) and
    then un-NAPTed (the host's address and port)."""
    cfg = config()
    port = out_port(cfg, lan_udp())
    quoted6 = IPv6(src=CLAT6, dst=SERVER6, hlim=63) / UDP(sport=port, dport=7000) / b"hello"
    err = IPv6(src=SERVER6, dst=CLAT6, hlim=60) / ICMPv6DestUnreach(code=4) / bytes(quoted6)
    lan, _, c = replay("err_in", cfg, lan_in=[lan_udp()], wan_in=[err])
    quoted4 = IP(src=HOST, dst=SERVER4, ttl=63, id=0, flags=0) / UDP(sport=40123, dport=7000) / b"hello"
    same(lan, [IP(src=SERVER4, dst=HOST, ttl=59, id=0) / ICMP(type=3, code=3) / bytes(quoted4)],
         "ICMPv4 error")
    have(c, translated6=1, napt_in=1)


def icmp_error_lan_to_wan():
    """A LAN host's port unreachable about a packet from the server: NAPTed
    (quote and all) then ICMPv6 1/4 to the server, its quote translated."""
    cfg = config()
    port = out_port(cfg, lan_udp())
    quoted4 = IP(src=SERVER4, dst=HOST, ttl=49, id=0) / UDP(sport=7000, dport=40123) / b"back"
    err = IP(src=HOST, dst=SERVER4, ttl=64, id=11) / ICMP(type=3, code=3) / bytes(quoted4)
    _, wan, c = replay("err_out", cfg, lan_in=[lan_udp(), err])
    quoted6 = IPv6(src=SERVER6, dst=CLAT6, hlim=49) / UDP(sport=7000, dport=port) / b"back"
    same(wan[1:], [IPv6(src=CLAT6, dst=SERVER6, hlim=63) / ICMPv6DestUnreach(code=4) / bytes(quoted6)],
         "ICMPv6 error")
    have(c, translated4=2)


def ttl_expiring_lan():
    """TTL 1 from the LAN: Time Exceeded to the host (before the NAPT)."""
    lan, wan, c = replay("ttl", config(), lan_in=[lan_udp(ttl=1)])
    same(wan, [], "IPv6 out")
    if len(lan) != 1:
        raise AssertionError("expected one ICMPv4 error")
    e = IP(lan[0])
    if e.src != LAN4 or e.dst != HOST or e[ICMP].type != 11 or e[IPerror].src != HOST or \
            e[UDPerror].sport != 40123:
        raise AssertionError("not Time Exceeded to the host: %s" % e.summary())
    have(c, icmp_errors_sent=1)


def source_route_lan():
    """An unexpired source route: ICMPv4 3/5 to the host (RFC 7915 §4.1),
    before the NAPT; nothing translated."""
    pkt = IP(src=HOST, dst=SERVER4, ttl=64, id=5, options=[IPOption_LSRR(routers=["10.9.9.9"])]) / \
        UDP(sport=40123, dport=7000) / b"sr"
    lan, wan, c = replay("srcroute", config(), lan_in=[pkt])
    same(wan, [], "IPv6 out")
    if len(lan) != 1:
        raise AssertionError("expected one ICMPv4 error")
    e = IP(lan[0])
    if e.src != LAN4 or e.dst != HOST or e[ICMP].type != 3 or e[ICMP].code != 5 or \
            e[IPerror].src != HOST:
        raise AssertionError("not 3/5 to the host: %s" % e.summary())
    have(c, icmp_errors_sent=1, napt_out=0, translated4=0)


def hop_limit_expiring_wan():
    """Hop limit 1 from the WAN: ICMPv6 Time Exceeded from the CLAT address."""
    cfg = config()
    port = out_port(cfg, lan_udp())
    back = IPv6(src=SERVER6, dst=CLAT6, hlim=1) / UDP(sport=7000, dport=port) / b"back"
    lan, wan, c = replay("hlim", cfg, lan_in=[lan_udp()], wan_in=[back])
    same(lan, [], "IPv4 out")
    e = IPv6(wan[1])
    if e.src != CLAT6 or e.dst != SERVER6 or ICMPv6TimeExceeded not in e or \
            e[IPerror6].dst != CLAT6:
        raise AssertionError("not Time Exceeded: %s" % e.summary())
    have(c, icmp_errors_sent=1)


# --- fragments ---------------------------------------------------------

def fragments_out():
    """UDP fragmented by the LAN host: reassembled (the NAPT needs the
    ports), translated whole and cut into IPv6 fragments for the IPv6 MTU
    (id = the IPv4 id); the UDP checksum covers the whole datagram."""
    cfg = config()
    port = out_port(cfg, lan_udp())
    data = bytes(range(256)) * 8
    big = IP(src=HOST, dst=SERVER4, ttl=64, id=0x77) / UDP(sport=40123, dport=7000) / data
    frags = fragment(big, fragsize=1000)
    _, wan, c = replay("frag_out", cfg, lan_in=frags)
    whole = bytes(IPv6(src=CLAT6, dst=SERVER6, hlim=63) / UDP(sport=port, dport=7000) / data)
    l4 = whole[40:]
    # DF clear: cut to the lowest IPv6 MTU, 1280 unless configured (RFC 7915 §4)
    first = (1280 - 48) // 8 * 8
    want = [IPv6(src=CLAT6, dst=SERVER6, hlim=63) / IPv6ExtHdrFragment(nh=17, offset=0, m=1, id=0x77) /
            Raw(l4[:first]),
            IPv6(src=CLAT6, dst=SERVER6, hlim=63) /
            IPv6ExtHdrFragment(nh=17, offset=first // 8, m=0, id=0x77) / Raw(l4[first:])]
    same(wan, want, "IPv6 fragments")
    have(c, fragments_held=len(frags) - 1, reassembled=1, fragmented=1, translated4=1, wan_out=2)


def fragments_in():
    """IPv6 fragments from the server: reassembled, translated whole (DF
    clear, an id), un-NAPTed, cut into IPv4 fragments for the LAN's MTU;
    the UDP checksum covers the whole datagram."""
    cfg = config()
    port = out_port(cfg, lan_udp())
    data = bytes(range(256)) * 8
    whole6 = IPv6(src=SERVER6, dst=CLAT6, hlim=50) / IPv6ExtHdrFragment(id=0x5678) / \
        UDP(sport=7000, dport=port) / data
    frags6 = fragment6(whole6, 1280)
    lan, _, c = replay("frag_in", cfg, lan_in=[lan_udp()], wan_in=frags6)
    # the IPv4 id is the translator's counter (RFC 7915 §5.1): taken from
    # the first fragment, the same in every one
    ident = IP(lan[0]).id if lan else 0
    whole4 = IP(src=SERVER4, dst=HOST, ttl=49, id=ident, flags=0) / UDP(sport=7000, dport=40123) / data
    want = fragment(whole4, fragsize=1480)
    same(lan, want, "IPv4 fragments")
    have(c, fragments_held=len(frags6) - 1, reassembled=1, translated6=1, fragmented=1,
         lan_out=len(want))


def fragments_in_small_lan():
    """A datagram under 1260 bytes that came in IPv6 fragments (DF clear
    once translated) is cut again for a LAN MTU smaller than it."""
    cfg = config(lan_mtu=600)
    port = out_port(cfg, lan_udp())
    data = bytes(range(200)) * 5
    whole6 = IPv6(src=SERVER6, dst=CLAT6, hlim=50) / IPv6ExtHdrFragment(id=0x99) / \
        UDP(sport=7000, dport=port) / data
    frags6 = fragment6(whole6, 600)
    lan, _, c = replay("frag_in_small", cfg, lan_in=[lan_udp()], wan_in=frags6)
    whole4 = IP(src=SERVER4, dst=HOST, ttl=49, id=0, flags=0) / UDP(sport=7000, dport=40123) / data
    same(lan, fragment(whole4, fragsize=576), "IPv4 fragments")
    have(c, reassembled=1, fragmented=1)


def fragment6(pkt, mtu):
    from scapy.all import fragment6 as f6
    return f6(pkt, mtu)


# --- Packet Too Big / Fragmentation Needed -------------------------------

def df_too_big_lan():
    """DF and too big once translated (1480 + 20 > 1500): Fragmentation
    Needed with MTU 1480 to the LAN host, quoting its own packet."""
    pkt = lan_udp(payload=b"d" * 1462, flags="DF")  # 1490 bytes
    lan, wan, c = replay("df_lan", config(), lan_in=[pkt])
    same(wan, [], "IPv6 out")
    if len(lan) != 1:
        raise AssertionError("expected one ICMPv4 error")
    e = IP(lan[0])
    if e.src != LAN4 or e.dst != HOST or e[ICMP].type != 3 or e[ICMP].code != 4 or \
            e[ICMP].nexthopmtu != 1480 or e[IPerror].src != HOST or e[UDPerror].sport != 40123:
        raise AssertionError("not Fragmentation Needed 1480 to the host: %s" % e.summary())
    have(c, icmp_errors_sent=1, napt_out=0)


def ptb_wan_to_lan():
    """Packet Too Big (1400) from a router outside the NAT64 prefix about our
    packet: Fragmentation Needed with MTU 1380 from 192.0.0.8 (RFC 6791,
    RFC 7600) to the LAN host, the quote un-NAPTed."""
    cfg = config()
    port = out_port(cfg, lan_udp())
    quoted6 = IPv6(src=CLAT6, dst=SERVER6, hlim=62) / UDP(sport=port, dport=7000) / b"hello"
    ptb = IPv6(src=ROUTER6, dst=CLAT6, hlim=64) / ICMPv6PacketTooBig(mtu=1400) / bytes(quoted6)
    lan, _, c = replay("ptb_in", cfg, lan_in=[lan_udp()], wan_in=[ptb])
    quoted4 = IP(src=HOST, dst=SERVER4, ttl=62, id=0) / UDP(sport=40123, dport=7000) / b"hello"
    same(lan, [IP(src=DUMMY4, dst=HOST, ttl=63, id=0) / ICMP(type=3, code=4, nexthopmtu=1380) /
               bytes(quoted4)], "Fragmentation Needed")
    have(c, wan_rfc6791=1, translated6=1, napt_in=1)


def frag_needed_lan_to_wan():
    """A LAN host's Fragmentation Needed (1400) about the server's packet:
    ICMPv6 Packet Too Big with MTU 1420 to the server."""
    cfg = config()
    port = out_port(cfg, lan_udp())
    quoted4 = IP(src=SERVER4, dst=HOST, ttl=49, id=0) / UDP(sport=7000, dport=40123) / b"back"
    err = IP(src=HOST, dst=SERVER4, ttl=64, id=12) / ICMP(type=3, code=4, nexthopmtu=1400) / bytes(quoted4)
    _, wan, c = replay("fn_out", cfg, lan_in=[lan_udp(), err])
    quoted6 = IPv6(src=SERVER6, dst=CLAT6, hlim=49) / UDP(sport=7000, dport=port) / b"back"
    same(wan[1:], [IPv6(src=CLAT6, dst=SERVER6, hlim=63) / ICMPv6PacketTooBig(mtu=1420) /
                   bytes(quoted6)], "Packet Too Big")
    have(c, translated4=2)


def too_big_for_lan():
    """An unfragmented IPv6 packet too big for the LAN (lan_mtu 1400): ICMPv6
    Packet Too Big with MTU 1420 back from the CLAT address."""
    cfg = config(lan_mtu=1400)
    port = out_port(cfg, lan_udp())
    big = IPv6(src=SERVER6, dst=CLAT6, hlim=50) / UDP(sport=7000, dport=port) / (b"b" * 1432)
    lan, wan, c = replay("big_in", cfg, lan_in=[lan_udp()], wan_in=[big])
    same(lan, [], "IPv4 out")
    e = IPv6(wan[1])
    if e.src != CLAT6 or e.dst != SERVER6 or ICMPv6PacketTooBig not in e or \
            e[ICMPv6PacketTooBig].mtu != 1420:
        raise AssertionError("not Packet Too Big 1420: %s" % e.summary())
    have(c, icmp_errors_sent=1)


# --- drops -------------------------------------------------------------

def drops_counted():
    """Every refusal is counted by its name: from outside the NAT64 prefix
    (or from our own address), to another address, without a mapping, an
    echo request the reverse NAPT cannot take, a protocol the NAPT does not
    translate."""
    cfg = config()
    port = out_port(cfg, lan_udp())
    wan_in = [
        IPv6(src="2001:db8:ffff::5", dst=CLAT6) / UDP(sport=7000, dport=port) / b"x",
        IPv6(src=SERVER6, dst="2001:db8:12:3400::1") / UDP(sport=7000, dport=port) / b"x",
        IPv6(src=SERVER6, dst=CLAT6) / UDP(sport=7000, dport=port ^ 0x100) / b"x",
        IPv6(src=CLAT6, dst=CLAT6) / UDP(sport=7000, dport=port) / b"x",
        IPv6(src=SERVER6, dst=CLAT6) / ICMPv6EchoRequest(id=port) / b"x",
    ]
    lan_in = [lan_udp(), IP(src=HOST, dst=SERVER4) / GRE() / b"gre"]
    lan, wan, c = replay("drops", cfg, lan_in=lan_in, wan_in=wan_in)
    same(lan, [], "IPv4 out")
    have(c, drop_wan_src_not_nat64=2, drop_wan_not_clat_address=1, drop_napt_no_mapping=1,
         drop_inner_malformed=1, drop_lan_unsupported_proto=1, translated4=1, drop_unfinished=0)


def bad_config_refused():
    """A NAT64 prefix of a length RFC 6052 does not have is refused, and so
    is one holding the CLAT's own address."""
    err = G.replay("badcfg", config("64:ff9b::/80"), expect_fail=True)
    if "nat64prefix" not in err:
        raise AssertionError("unexpected error: %s" % err)
    err = G.replay("badcfg2", config("2001:db8::/32"), expect_fail=True)
    if "outside the NAT64 prefix" not in err:
        raise AssertionError("unexpected error: %s" % err)


for fn in (udp_out, udp_in, other_prefix_lengths, tcp_both_ways_mss, icmp_echo_both_ways,
           echo_to_ce_answered, icmp_error_wan_to_lan, icmp_error_lan_to_wan, ttl_expiring_lan,
           source_route_lan,
           hop_limit_expiring_wan, fragments_out, fragments_in, fragments_in_small_lan, df_too_big_lan, ptb_wan_to_lan,
           frag_needed_lan_to_wan, too_big_for_lan, drops_counted, bad_config_refused):
    case(fn)
G.finish()
