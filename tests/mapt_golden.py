#!/usr/bin/python3
"""Golden tests of the MAP-T BR and CE (RFC 7599) through `s46 replay`.

The domain is RFC 7599 Appendix A's: the FMR 2001:db8::/40, 192.0.2.0/24,
16 EA bits, PSID offset 6, and the DMR 2001:db8:ffff::/64. Each case crafts
the input with scapy, runs the real `s46 replay`, and compares what leaves
each side byte for byte with packets scapy builds independently (RFC 6052
and RFC 7597 §6 addresses written out here, scapy's own lengths and
checksums), plus the counters; tshark dissects every output. One PASS/FAIL
line per case.
"""

import shutil

from golden import Golden, counters_have, eq
from scapy.all import (ICMP, IP, TCP, UDP, IPv6, IPv6ExtHdrFragment, ICMPv6EchoRequest,
                       ICMPv6EchoReply, ICMPv6DestUnreach, ICMPv6PacketTooBig,
                       ICMPv6TimeExceeded, Raw, fragment, fragment6, conf)

conf.verb = 0
G = Golden("mapt_br")
case = G.case

DMR = "2001:db8:ffff::/64"
BR4 = "198.51.100.1"
BR6 = "2001:db8:ffff:0:c6:3364:100:0"          # BR4 inside the DMR (RFC 6052 /64)
CE_A = "2001:db8:12:3400:0:c000:212:34"        # 192.0.2.18, PSID 0x34 (RFC 7599 A ex. 1)
CE_B = "2001:db8:12:d100:0:c000:212:d1"        # 192.0.2.18, PSID 0xd1 (port 9030)
CE4 = "192.0.2.18"
NET = "10.2.3.4"                               # RFC 7599 A ex. 2
NET6 = "2001:db8:ffff:0:a:203:400:0"           # ... as the DMR gives it
ROUTER = "10.9.9.9"
ROUTER6 = "2001:db8:ffff:0:a:909:900:0"
CE4_6 = "2001:db8:ffff:0:c0:2:1200:0"          # 192.0.2.18 by the DMR (hairpin source)
PAY = Raw(b"map-t-golden" * 4)


def config(**extra):
    c = {"map_t": {"dmr": DMR,
                   "rules": [{"ipv6": "2001:db8::/40", "ipv4": "192.0.2.0/24",
                              "ea_length": 16, "psid_offset": 6}]},
         "br_ipv4": BR4}
    c.update(extra)
    return c


def replay(name, cfg, v4_in=(), v6_in=()):
    c, d, doc, _ = G.replay(name, cfg, v4_in, v6_in, conf="mapt_br.json")
    return c, d, doc["counters"]


def b(pkts):
    return [bytes(p) for p in pkts]


def v6(src, dst, hlim, tc=0):
    return IPv6(src=src, dst=dst, hlim=hlim, tc=tc, fl=0)


def v4(src, dst, ttl, tos=0, ident=0, flags=0):
    return IP(src=src, dst=dst, ttl=ttl, tos=tos, id=ident, flags=flags)


# --- IPv4 -> IPv6 -------------------------------------------------------

def rfc7599_example2_tcp_4to6():
    """RFC 7599 A ex. 2: 10.2.3.4:80 -> 192.0.2.18:1232 becomes
    2001:db8:ffff:0:a:203:400:: -> 2001:db8:12:3400:0:c000:212:34."""
    p = v4(NET, CE4, 64, tos=0x10, flags="DF") / TCP(sport=80, dport=1232, flags="SA", seq=5) / PAY
    o4, o6, n = replay("ex2_tcp", config(), v4_in=[p])
    eq(o4, [])
    eq(o6, b([v6(NET6, CE_A, 63, tc=0x10) / TCP(sport=80, dport=1232, flags="SA", seq=5) / PAY]))
    counters_have(n, v4_in=1, translated4=1, v6_out=1)


def udp_port_9030_goes_to_the_other_ce():
    """The same address, port 9030: PSID 0xd1, another CE."""
    p = v4(NET, CE4, 64) / UDP(sport=7777, dport=9030) / PAY
    _, o6, _ = replay("udp_9030", config(), v4_in=[p])
    eq(o6, b([v6(NET6, CE_B, 63) / UDP(sport=7777, dport=9030) / PAY]))


def echo_reply_4to6_by_identifier():
    """An ICMP echo reply picks its CE by the identifier (RFC 7599 §9)."""
    p = v4(NET, CE4, 64) / ICMP(type=0, id=1233, seq=1) / PAY
    _, o6, _ = replay("echo_4to6", config(), v4_in=[p])
    eq(o6, b([v6(NET6, CE_A, 63) / ICMPv6EchoReply(id=1233, seq=1) / PAY]))


def icmp_error_4to6_quote_translated():
    """Port unreachable from a router about the CE's packet: the CE by the
    quoted source port, the quote translated (CE address, DMR address)."""
    q4 = v4(CE4, NET, 60) / UDP(sport=1234, dport=7777) / PAY
    err = v4(ROUTER, CE4, 64) / ICMP(type=3, code=3) / bytes(q4)
    _, o6, n = replay("icmp_err_4to6", config(), v4_in=[err])
    q6 = v6(CE_A, NET6, 60) / UDP(sport=1234, dport=7777) / PAY
    eq(o6, b([v6(ROUTER6, CE_A, 63) / ICMPv6DestUnreach(code=4) / bytes(q6)]))
    counters_have(n, translated4=1)


def ptb_4to6():
    """Fragmentation needed (MTU 1400) from an IPv4 router about the CE's
    packet: Packet Too Big with 1420 (RFC 7915 §4.2) to the CE."""
    q4 = v4(CE4, NET, 60, flags="DF") / TCP(sport=1232, dport=80, flags="A") / Raw(b"p" * 1400)
    err = v4(ROUTER, CE4, 64) / ICMP(type=3, code=4, nexthopmtu=1400) / bytes(q4)[:548]
    _, o6, _ = replay("ptb_4to6", config(), v4_in=[err])
    q6 = bytes(v6(CE_A, NET6, 60) / TCP(sport=1232, dport=80, flags="A") / Raw(b"p" * 1400))
    eq(o6, b([v6(ROUTER6, CE_A, 63) / ICMPv6PacketTooBig(mtu=1420) / q6[:548 + 20]]))


def df_too_big_4to6_answered():
    """DF and over the IPv6 MTU: ICMPv4 3/4 with 1480 from br_ipv4."""
    p = v4(NET, CE4, 64, flags="DF") / UDP(sport=1, dport=1232) / Raw(b"d" * 1472)
    o4, o6, n = replay("df_too_big", config(), v4_in=[p])
    eq(o6, [])
    e = IP(o4[0]) if len(o4) == 1 else None
    if not e or e.src != BR4 or e.dst != NET or e[ICMP].type != 3 or e[ICMP].code != 4 or \
            e[ICMP].nexthopmtu != 1480:
        raise AssertionError("expected fragmentation needed 1480 from %s: %s" % (BR4, o4))
    counters_have(n, icmp_errors_sent=1)


def ttl_expired_4to6_answered():
    p = v4(NET, CE4, 1) / UDP(sport=1, dport=1232) / PAY
    o4, o6, n = replay("ttl_4to6", config(), v4_in=[p])
    eq(o6, [])
    if len(o4) != 1 or IP(o4[0]).src != BR4 or IP(o4[0])[ICMP].type != 11:
        raise AssertionError("expected time exceeded from %s" % BR4)


def fragments_4to6_reassembled():
    """IPv4 fragments are reassembled (RFC 7599 §10.2: the PSID needs the
    first fragment's port), translated whole with the UDP checksum for the
    new pseudo-header; a datagram over the IPv6 MTU (DF clear) leaves as
    IPv6 fragments whose UDP checksum covers the whole datagram."""
    small = v4(NET, CE4, 64, ident=0x111) / UDP(sport=5, dport=1232) / Raw(bytes(range(200)) * 3)
    o4, o6, n = replay("frag_4to6", config(), v4_in=list(reversed(fragment(small, fragsize=256))))
    eq(o6, b([v6(NET6, CE_A, 63) / UDP(sport=5, dport=1232) / Raw(bytes(range(200)) * 3)]))
    counters_have(n, fragments_held=2, reassembled=1, translated4=1)
    big = v4(NET, CE4, 64, ident=0x222) / UDP(sport=5, dport=1232) / Raw(bytes(range(250)) * 8)
    _, o6, n = replay("frag_4to6_big", config(), v4_in=fragment(big, fragsize=1000))
    whole = bytes(v6(NET6, CE_A, 63) / UDP(sport=5, dport=1232) / Raw(bytes(range(250)) * 8))
    l4 = whole[40:]
    if len(o6) != 2:
        raise AssertionError("%d IPv6 packets, want 2 fragments" % len(o6))
    first = len(o6[0]) - 48
    eq(o6, b([v6(NET6, CE_A, 63) / IPv6ExtHdrFragment(nh=17, offset=0, m=1, id=0x222) / Raw(l4[:first]),
              v6(NET6, CE_A, 63) / IPv6ExtHdrFragment(nh=17, offset=first // 8, m=0, id=0x222) /
              Raw(l4[first:])]))
    counters_have(n, fragmented=1, translated4=1, v6_out=2)


def v4_drops():
    """Every IPv4-side drop reason, each counted by name."""
    cases = [
        ("no_rule", config(icmp_unreachable=False), v4(NET, "203.0.113.1", 64) / UDP(dport=1) / PAY,
         "drop_v4_no_rule"),
        ("port_excluded", config(), v4(NET, CE4, 64) / UDP(sport=1, dport=80) / PAY,
         "drop_v4_port_excluded"),
        ("to_br", config(), v4(NET, BR4, 64) / UDP(sport=1, dport=80) / PAY, "drop_v4_to_br"),
        ("unmappable", config(), v4(ROUTER, CE4, 64) / ICMP(type=3, code=3) / Raw(b"\x45\x00"),
         "drop_v4_icmp_unmappable"),
        ("malformed", config(), v4(NET, CE4, 64) / UDP(sport=1, dport=1232), "drop_v4_malformed"),
        ("ttl_no_error", config(br_ipv4=None), v4(NET, CE4, 1) / UDP(sport=1, dport=1232) / PAY,
         "drop_ttl_expired"),
        ("too_big_no_error", config(br_ipv4=None),
         v4(NET, CE4, 64, flags="DF") / UDP(sport=1, dport=1232) / Raw(b"d" * 1472), "drop_too_big"),
        ("icmp_untranslatable", config(), v4(NET, CE4, 64) / ICMP(type=13, id=1232), "drop_icmp_untranslatable"),
        ("echo_not_unicast", config(), v4("224.0.0.1", BR4, 64) / ICMP(type=8, id=1), "drop_echo_not_unicast"),
    ]
    for name, cfg, p, ctr in cases:
        if cfg.get("br_ipv4") is None:
            cfg.pop("br_ipv4")
        raw = bytes(p)
        if name == "malformed":
            raw = raw[:10] + b"\x00\x00" + raw[12:]  # a bad header checksum
        o4, o6, n = replay("v4drop_" + name, cfg, v4_in=[raw])
        eq(o4 + o6, [], name)
        counters_have(n, **{ctr: 1})


def no_rule_unreachable():
    """A destination in no rule: ICMPv4 host unreachable from br_ipv4."""
    o4, o6, n = replay("no_rule_unreach", config(), v4_in=[v4(NET, "203.0.113.1", 64) / UDP(dport=1) / PAY])
    if len(o4) != 1 or IP(o4[0])[ICMP].type != 3 or IP(o4[0])[ICMP].code != 1:
        raise AssertionError("expected host unreachable")


def echo_to_br4_answered():
    o4, _, n = replay("echo_br", config(), v4_in=[v4(NET, BR4, 64) / ICMP(type=8, id=9, seq=2) / PAY])
    eq(o4, b([IP(src=BR4, dst=NET, ttl=64, id=IP(o4[0]).id if o4 else 0) / ICMP(type=0, id=9, seq=2) / PAY]))
    counters_have(n, echo_replies=1)


# --- IPv6 -> IPv4 -------------------------------------------------------

def rfc7599_example3_tcp_6to4():
    """The reverse of A ex. 2/3: from the CE's MAP address to the DMR
    address of 10.2.3.4; TC -> TOS, hop limit - 1, id from the counter."""
    a = v6(CE_A, NET6, 64, tc=0x28) / TCP(sport=1232, dport=80, flags="S", seq=1) / PAY
    c = v6(CE_A, NET6, 64) / UDP(sport=1235, dport=7777) / PAY
    o4, o6, n = replay("ex3_6to4", config(), v6_in=[a, c])
    eq(o6, [])
    eq(o4, b([v4(CE4, NET, 63, tos=0x28, ident=0) / TCP(sport=1232, dport=80, flags="S", seq=1) / PAY,
              v4(CE4, NET, 63, ident=1) / UDP(sport=1235, dport=7777) / PAY]))
    counters_have(n, v6_in=2, translated6=2, v4_out=2)


def echo_request_6to4():
    p = v6(CE_A, NET6, 64) / ICMPv6EchoRequest(id=1234, seq=3) / PAY
    o4, _, _ = replay("echo_6to4", config(), v6_in=[p])
    eq(o4, b([v4(CE4, NET, 63) / ICMP(type=8, id=1234, seq=3) / PAY]))


def ptb_6to4():
    """Packet Too Big 1300 from the CE about a packet toward it: ICMPv4 3/4
    with 1280 (RFC 7915 §5.2) from the CE's address, quote translated; the
    quoted destination port is the CE's."""
    q6 = bytes(v6(NET6, CE_A, 60) / TCP(sport=80, dport=1232, flags="A") / Raw(b"q" * 1400))
    err = v6(CE_A, NET6, 64) / ICMPv6PacketTooBig(mtu=1300) / q6[:1232]
    o4, _, n = replay("ptb_6to4", config(), v6_in=[err])
    q4 = bytes(v4(NET, CE4, 60, flags="DF") / TCP(sport=80, dport=1232, flags="A") / Raw(b"q" * 1400))
    # the IPv4 id of the quote is 0; the quote keeps the bytes that were there
    eq(o4, b([v4(CE4, NET, 63) / ICMP(type=3, code=4, nexthopmtu=1280) / q4[:1232 - 20]]))
    counters_have(n, translated6=1)


def too_big_6to4_answered():
    """Over ipv4_mtu and over 1260 bytes as IPv4 (DF set, RFC 7915 §5.1):
    ICMPv6 Packet Too Big (ipv4_mtu + 20, at least 1280) from br_ipv6."""
    p = v6(CE_A, NET6, 64) / UDP(sport=1232, dport=7777) / Raw(b"t" * 1400)
    o4, o6, n = replay("too_big_6to4", config(ipv4_mtu=1300), v6_in=[p])
    eq(o4, [])
    e = IPv6(o6[0]) if len(o6) == 1 else None
    if not e or e.src != BR6 or e.dst != CE_A or ICMPv6PacketTooBig not in e or \
            e[ICMPv6PacketTooBig].mtu != 1320:
        raise AssertionError("expected Packet Too Big 1320 from %s" % BR6)
    counters_have(n, icmp_errors_sent=1)


def small_over_ipv4_mtu_fragmented_6to4():
    """At most 1260 bytes as IPv4 the translation has DF clear (RFC 7915
    §5.1): beyond ipv4_mtu the BR cuts it into IPv4 fragments (RFC 791)."""
    p = v6(CE_A, NET6, 64) / UDP(sport=1232, dport=7777) / Raw(b"s" * 1100)
    o4, o6, n = replay("small_6to4_frag", config(ipv4_mtu=1000), v6_in=[p])
    eq(o6, [])
    if len(o4) != 2:
        raise AssertionError("want 2 IPv4 fragments, got %d" % len(o4))
    a, b = IP(o4[0]), IP(o4[1])
    if a.flags != "MF" or a.frag != 0 or b.frag != (len(o4[0]) - 20) // 8 or b.flags != 0 or \
            a.id != b.id or len(o4[0]) > 1000 or len(o4[0]) - 20 + len(o4[1]) - 20 != 8 + 1100:
        raise AssertionError("bad fragments: %s / %s" % (a.summary(), b.summary()))
    whole = IP(bytes(a)[:20]) / (bytes(a)[20:] + bytes(b)[20:])
    if UDP not in IP(bytes(whole)) or IP(bytes(whole))[UDP].sport != 1232:
        raise AssertionError("the fragments do not make the datagram")
    counters_have(n, fragmented=1)


def hop_limit_6to4_answered():
    p = v6(CE_A, NET6, 1) / UDP(sport=1232, dport=7777) / PAY
    _, o6, _ = replay("hlim_6to4", config(), v6_in=[p])
    if len(o6) != 1 or ICMPv6TimeExceeded not in IPv6(o6[0]) or IPv6(o6[0]).src != BR6:
        raise AssertionError("expected time exceeded from %s" % BR6)


def hairpin_ce_to_ce():
    """CE A to 192.0.2.18:9030 (by the DMR): CE B, from the DMR address of
    A's IPv4 address, the hop counted once."""
    p = v6(CE_A, CE4_6, 64) / UDP(sport=1232, dport=9030) / PAY
    o4, o6, n = replay("hairpin", config(), v6_in=[p])
    eq(o4, [])
    eq(o6, b([v6(CE4_6, CE_B, 63) / UDP(sport=1232, dport=9030) / PAY]))
    counters_have(n, hairpinned=1, translated6=0, v6_out=1)


def hairpin_too_big_answered_into_the_domain():
    """Hairpinned, then too big for the IPv6 MTU on the way back into the
    domain (DF: over 1260 bytes as IPv4, RFC 7915 5.1): the sender, a CE
    too, gets Packet Too Big (ipv6_mtu) from the BR's DMR address, not an
    ICMPv4 error out of the IPv4 side."""
    p = v6(CE_A, CE4_6, 64) / UDP(sport=1232, dport=9030) / Raw(b"h" * 1402)
    o4, o6, n = replay("hairpin_too_big", config(ipv6_mtu=1400), v6_in=[p])
    eq(o4, [])
    e = IPv6(o6[0]) if len(o6) == 1 else None
    if not e or e.src != BR6 or e.dst != CE_A or ICMPv6PacketTooBig not in e or \
            e[ICMPv6PacketTooBig].mtu != 1400:
        raise AssertionError("expected Packet Too Big 1400 from %s to %s: %s" %
                             (BR6, CE_A, [IPv6(x).summary() for x in o6]))
    # the quote shows the packet as A sent it (A's own addresses and ports),
    # so that A's stack finds the flow it belongs to
    q = e[ICMPv6PacketTooBig].payload
    if (q.src, q.dst, q.nh, q.payload.sport, q.payload.dport) != (CE_A, CE4_6, 17, 1232, 9030):
        raise AssertionError("the quote is not A's packet: %r" % q)
    counters_have(n, icmp_errors_sent=1, v6_out=1, v4_out=0)


def fragments_6to4_reassembled():
    """IPv6 fragments from the CE reassembled, then translated whole (the
    UDP checksum of the datagram for the IPv4 pseudo-header)."""
    whole = v6(CE_A, NET6, 64) / IPv6ExtHdrFragment(id=0xabcd1234) / UDP(sport=1232, dport=7) / \
        Raw(bytes(range(200)) * 4)
    o4, _, n = replay("frag_6to4", config(), v6_in=fragment6(whole, 400))
    eq(o4, b([v4(CE4, NET, 63) / UDP(sport=1232, dport=7) / Raw(bytes(range(200)) * 4)]))
    counters_have(n, reassembled=1, translated6=1)


def v6_drops():
    """Every IPv6-side drop reason, each counted by name."""
    gre = v6(CE_A, NET6, 64)
    gre.nh = 47
    cases = [
        ("not_dmr", config(), v6(CE_A, "2001:db8:eeee::1", 64) / UDP(sport=1232, dport=7777) / PAY,
         "drop_v6_not_dmr"),
        ("src_no_rule", config(), v6("2001:db9::1", NET6, 64) / UDP(sport=1232, dport=7777) / PAY,
         "drop_v6_src_no_rule"),
        ("src_not_map", config(), v6("2001:db8:12:3400::1", NET6, 64) / UDP(sport=1232, dport=7777) / PAY,
         "drop_v6_src_not_map_address"),
        ("spoofed_port", config(), v6(CE_A, NET6, 64) / UDP(sport=9030, dport=7777) / PAY,
         "drop_v6_spoofed_port"),
        ("no_port", config(), gre / Raw(b"\x00" * 8), "drop_v6_no_port"),
        ("unverifiable", config(), v6(CE_A, NET6, 64) / ICMPv6DestUnreach(code=4) /
         bytes(IPv6(src=NET6, dst=CE_A, nh=17, plen=20)),
         "drop_v6_icmp_unverifiable"),
        ("dst_in_domain", config(hairpin=False),
         v6(CE_A, CE4_6, 64) / UDP(sport=1232, dport=9030) / PAY, "drop_dst_in_domain"),
        ("udp_zero", config(), v6(CE_A, NET6, 64) / UDP(sport=1232, dport=7777, chksum=0) / PAY,
         "drop_udp_zero_checksum"),
        ("icmp_untranslatable", config(), v6(CE_A, NET6, 64) / Raw(b"\x8f\x00\x00\x00\x00\x00\x00\x00"),
         "drop_icmp_untranslatable"),
        ("ttl_no_error", config(br_ipv4=None), v6(CE_A, NET6, 1) / UDP(sport=1232, dport=7777) / PAY,
         "drop_ttl_expired"),
        ("malformed", config(), v6(CE_A, NET6, 64) / UDP(sport=1232, dport=7777) / PAY, "drop_v6_malformed"),
    ]
    for name, cfg, p, ctr in cases:
        if cfg.get("br_ipv4") is None:
            cfg.pop("br_ipv4")
        if name == "icmp_untranslatable":
            p.nh = 58
            raw = bytes(p)
        else:
            raw = bytes(p)
        if name == "malformed":
            raw = raw[:4] + b"\x05\x00" + raw[6:]  # a payload length past the end
        o4, o6, n = replay("v6drop_" + name, cfg, v6_in=[raw])
        eq(o4 + o6, [], name)
        counters_have(n, **{ctr: 1})


def config_refused():
    """A DMR that is no RFC 6052 prefix is refused."""
    cfg = config()
    cfg["map_t"]["dmr"] = "2001:db8:ffff::/72"
    err = G.replay("bad_dmr", cfg, conf="mapt_br.json", expect_fail=True)
    if "map_t.dmr" not in err:
        raise AssertionError("error does not name map_t.dmr: %s" % err)


# --- the MAP-T CE -------------------------------------------------------
# The CE of RFC 7599 Appendix A example 1 (End-user prefix
# 2001:db8:12:3400::/56: 192.0.2.18, PSID 0x34), a LAN host behind its NAPT.

GC = Golden("mapt_ce")
HOST = "192.168.1.2"


def ce_config(**extra):
    c = {"mode": "ce", "prefix": "2001:db8:12:3400::/56",
         "map_t": {"dmr": DMR,
                   "rules": [{"ipv6": "2001:db8::/40", "ipv4": "192.0.2.0/24",
                              "ea_length": 16, "psid_offset": 6}]}}
    c.update(extra)
    return c


def ce_replay(name, cfg, lan_in=(), wan_in=()):
    lan, wan, doc, _ = GC.replay(name, cfg, lan_in, wan_in, conf="mapt_ce.json")
    return lan, wan, doc["counters"]


def in_port_set(port):
    return port >= 1024 and (port >> 2) & 0xff == 0x34


def lan_udp(sport=40123, payload=PAY):
    return v4(HOST, NET, 64, ident=7) / UDP(sport=sport, dport=7000) / payload


def ext_port(wan):
    if len(wan) != 1:
        raise AssertionError("%d packets to the WAN, want 1" % len(wan))
    p = IPv6(wan[0])
    port = p[UDP].sport if UDP in p else p[TCP].sport if TCP in p else p[ICMPv6EchoRequest].id
    if not in_port_set(port):
        raise AssertionError("external port %d outside the port set" % port)
    return port


def ce_udp_out_and_back():
    """LAN UDP: NAPT into the port set, translated from the MAP address to
    the DMR address of the destination (hop limit = TTL - 1); the reply
    translated back (IPv4 id from the counter, DF clear) and un-NAPTed."""
    lan, wan, n = ce_replay("ce_udp_out", ce_config(), lan_in=[lan_udp()])
    eq(lan, [])
    port = ext_port(wan)
    eq(wan, b([v6(CE_A, NET6, 63) / UDP(sport=port, dport=7000) / PAY]))
    counters_have(n, translated4=1, napt_mappings_created=1, wan_out=1)
    reply = v6(NET6, CE_A, 50) / UDP(sport=7000, dport=port) / Raw(b"back")
    lan, wan, n = ce_replay("ce_udp_back", ce_config(), lan_in=[lan_udp()], wan_in=[reply])
    eq(lan, b([v4(NET, HOST, 49) / UDP(sport=7000, dport=40123) / Raw(b"back")]))
    counters_have(n, translated6=1, lan_out=1)


def ce_tcp_and_echo():
    """TCP and ICMP echo (the identifier is the NAPTed port)."""
    syn = v4(HOST, NET, 64) / TCP(sport=40000, dport=80, flags="S", seq=1)
    ping = v4(HOST, NET, 64) / ICMP(type=8, id=777, seq=1) / PAY
    _, wan, _ = ce_replay("ce_tcp", ce_config(), lan_in=[syn])
    port = ext_port(wan)
    eq(wan, b([v6(CE_A, NET6, 63) / TCP(sport=port, dport=80, flags="S", seq=1)]))
    _, wan, _ = ce_replay("ce_echo", ce_config(), lan_in=[ping])
    ident = ext_port(wan)
    eq(wan, b([v6(CE_A, NET6, 63) / ICMPv6EchoRequest(id=ident, seq=1) / PAY]))
    pong = v6(NET6, CE_A, 60) / ICMPv6EchoReply(id=ident, seq=1) / PAY
    lan, _, _ = ce_replay("ce_echo_back", ce_config(), lan_in=[ping], wan_in=[pong])
    eq(lan, b([v4(NET, HOST, 59) / ICMP(type=0, id=777, seq=1) / PAY]))


def ce_ptb_from_wan():
    """Packet Too Big 1400 from a router (by the DMR) about our packet:
    fragmentation needed 1380 (RFC 7915 §5.2) to the LAN host, its quote
    translated and un-NAPTed."""
    _, wan, _ = ce_replay("ce_ptb_probe", ce_config(), lan_in=[lan_udp()])
    port = ext_port(wan)
    q6 = bytes(v6(CE_A, NET6, 63) / UDP(sport=port, dport=7000) / PAY)
    err = v6(ROUTER6, CE_A, 64) / ICMPv6PacketTooBig(mtu=1400) / q6
    lan, _, n = ce_replay("ce_ptb", ce_config(), lan_in=[lan_udp()], wan_in=[err])
    q4 = bytes(v4(HOST, NET, 63) / UDP(sport=40123, dport=7000) / PAY)
    eq(lan, b([v4(ROUTER, HOST, 63) / ICMP(type=3, code=4, nexthopmtu=1380) / q4]))
    counters_have(n, translated6=1)


def ce_lan_too_big():
    """DF set: up to 1480 bytes (1500 as IPv6, no Fragment Header) the
    packet is translated whole; one byte more gets fragmentation needed 1480
    from the CE, quoting the packet as it came; the TCP MSS is clamped to
    1440 (1500 - 40 - 20)."""
    fits = v4(HOST, NET, 64, flags="DF") / UDP(sport=40123, dport=7000) / Raw(b"d" * 1452)
    lan, wan, n = ce_replay("ce_df_fits", ce_config(), lan_in=[fits])
    eq(lan, [])
    port = ext_port(wan)
    eq(wan, b([v6(CE_A, NET6, 63) / UDP(sport=port, dport=7000) / Raw(b"d" * 1452)]))
    big = v4(HOST, NET, 64, flags="DF") / UDP(sport=40123, dport=7000) / Raw(b"d" * 1453)
    lan, wan, n = ce_replay("ce_too_big", ce_config(), lan_in=[big])
    eq(wan, [])
    e = IP(lan[0]) if len(lan) == 1 else None
    if not e or e.dst != HOST or e[ICMP].type != 3 or e[ICMP].code != 4 or \
            e[ICMP].nexthopmtu != 1480:
        raise AssertionError("expected fragmentation needed 1480 to the host: %s" % lan)
    syn = v4(HOST, NET, 64) / TCP(sport=40000, dport=80, flags="S", seq=1, options=[("MSS", 1460)])
    _, wan, _ = ce_replay("ce_mss", ce_config(), lan_in=[syn])
    mss = dict(IPv6(wan[0])[TCP].options).get("MSS") if len(wan) == 1 else None
    if mss != 1440:
        raise AssertionError("MSS %s toward the WAN, want 1440" % mss)


def ce_lowest_ipv6_mtu():
    """DF clear: a 1400-byte datagram becomes IPv6 fragments of at most 1280
    bytes by default (RFC 7915 §4.1), one packet with lowest_ipv6_mtu 1500."""
    p = v4(HOST, NET, 64) / UDP(sport=40123, dport=7000) / Raw(b"e" * 1372)
    _, wan, _ = ce_replay("ce_lowest_default", ce_config(), lan_in=[p])
    if len(wan) != 2 or any(len(f) > 1280 for f in wan) or \
            any(IPv6ExtHdrFragment not in IPv6(f) for f in wan):
        raise AssertionError("want 2 fragments of at most 1280 bytes: %s" % [len(f) for f in wan])
    _, wan, _ = ce_replay("ce_lowest_1500", ce_config(lowest_ipv6_mtu=1500), lan_in=[p])
    if len(wan) != 1 or IPv6ExtHdrFragment in IPv6(wan[0]) or len(wan[0]) != 1420:
        raise AssertionError("want one 1420-byte packet: %s" % [len(f) for f in wan])


def ce_fragments_both_ways():
    """LAN fragments reassembled, NAPTed, translated whole (UDP checksum of
    the datagram); WAN fragments reassembled, translated, un-NAPTed."""
    whole = lan_udp(payload=Raw(bytes(range(200)) * 4))
    frags = fragment(whole, fragsize=256)
    lan, wan, n = ce_replay("ce_frag_out", ce_config(), lan_in=frags)
    port = ext_port(wan)
    eq(wan, b([v6(CE_A, NET6, 63) / UDP(sport=port, dport=7000) / Raw(bytes(range(200)) * 4)]))
    counters_have(n, reassembled=1, translated4=1)
    back = v6(NET6, CE_A, 60) / IPv6ExtHdrFragment(id=0x55) / UDP(sport=7000, dport=port) / \
        Raw(bytes(range(250)) * 4)
    lan, _, n = ce_replay("ce_frag_in", ce_config(), lan_in=[lan_udp()],
                          wan_in=fragment6(back, 400))
    eq(lan, b([v4(NET, HOST, 59) / UDP(sport=7000, dport=40123) / Raw(bytes(range(250)) * 4)]))
    counters_have(n, translated6=1)


def ce_wan_drops():
    """WAN packets the CE refuses, each counted by name."""
    _, wan, _ = ce_replay("ce_drop_probe", ce_config(), lan_in=[lan_udp()])
    port = ext_port(wan)
    peer = "2001:db8:12:d100:0:c000:212:d1"  # CE B: an FMR CE, in mesh only
    cases = [
        ("not_mine", ce_config(), v6(NET6, CE_B, 60) / UDP(sport=7000, dport=port) / PAY,
         "drop_wan_not_map_address"),
        ("src_unknown", ce_config(), v6("2001:db8:eeee::1", CE_A, 60) / UDP(sport=7000, dport=port) / PAY,
         "drop_wan_src_unknown"),
        ("no_mapping", ce_config(), v6(NET6, CE_A, 60) / UDP(sport=7000, dport=port ^ 1) / PAY,
         "drop_napt_no_mapping"),
        ("spoofed_port", dict(ce_config(), map_t=dict(ce_config()["map_t"], mesh=True)),
         v6(peer, CE_A, 60) / UDP(sport=1232, dport=port) / PAY, "drop_wan_spoofed_port"),
        ("udp_zero", ce_config(), v6(NET6, CE_A, 60) / UDP(sport=7000, dport=port, chksum=0) / PAY,
         "drop_xlat_udp_zero"),
    ]
    for name, cfg, p, ctr in cases:
        lan, wan, n = ce_replay("ce_drop_" + name, cfg, lan_in=[lan_udp()], wan_in=[p])
        eq(lan, [], name)
        counters_have(n, **{ctr: 1})


def ce_mesh_fmr_peer():
    """Mesh: 192.0.2.18:9030 (CE B, PSID 0xd1) goes straight to CE B's MAP
    address, not by the DMR; CE B's answer from its address and port is
    taken."""
    cfg = ce_config()
    cfg["map_t"]["mesh"] = True
    pkt = v4(HOST, CE4, 64) / UDP(sport=40123, dport=9030) / PAY
    _, wan, n = ce_replay("ce_mesh", cfg, lan_in=[pkt])
    port = ext_port(wan)
    eq(wan, b([v6(CE_A, CE_B, 63) / UDP(sport=port, dport=9030) / PAY]))
    back = v6(CE_B, CE_A, 60) / UDP(sport=9030, dport=port) / PAY
    lan, _, _ = ce_replay("ce_mesh_back", cfg, lan_in=[pkt], wan_in=[back])
    eq(lan, b([v4(CE4, HOST, 59) / UDP(sport=9030, dport=40123) / PAY]))


for fn in (ce_udp_out_and_back, ce_tcp_and_echo, ce_ptb_from_wan, ce_lan_too_big, ce_lowest_ipv6_mtu,
           ce_fragments_both_ways, ce_wan_drops, ce_mesh_fmr_peer):
    GC.case(fn)
G.failures += GC.failures
shutil.rmtree(GC.tmp, ignore_errors=True)


for fn in (rfc7599_example2_tcp_4to6, udp_port_9030_goes_to_the_other_ce,
           echo_reply_4to6_by_identifier, icmp_error_4to6_quote_translated, ptb_4to6,
           df_too_big_4to6_answered, ttl_expired_4to6_answered, fragments_4to6_reassembled,
           v4_drops, no_rule_unreachable, echo_to_br4_answered, rfc7599_example3_tcp_6to4,
           echo_request_6to4, ptb_6to4, too_big_6to4_answered, small_over_ipv4_mtu_fragmented_6to4,
           hop_limit_6to4_answered,
           hairpin_ce_to_ce, hairpin_too_big_answered_into_the_domain, fragments_6to4_reassembled, v6_drops, config_refused):
    case(fn)
G.finish()
