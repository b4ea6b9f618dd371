#!/usr/bin/python3
"""Golden tests of the MAP-E BR pipeline through `s46 replay`.

Each case crafts input packets with scapy, builds the expected output
packets independently (scapy computes every length and checksum), runs the
real `s46 replay`, and compares what leaves each side byte for byte, plus the
counters. Every output file is then dissected by tshark, which must report no
malformed packet. Prints one PASS/FAIL line per case.
"""

from golden import Golden, counters_have, eq
from scapy.all import (ICMP, IP, TCP, UDP, UDPerror, IPerror, Ether, IPv6,
                       ICMPv6EchoRequest, ICMPv6EchoReply, ICMPv6PacketTooBig,
                       ICMPv6DestUnreach, ICMPv6ParamProblem, IPv6ExtHdrRouting,
                       IPv6ExtHdrDestOpt, PadN, Raw, conf, fragment)
from scapy.layers.inet6 import HBHOptUnknown

conf.verb = 0
G = Golden("br")
case = G.case

BR6 = "2001:db8:ffff::1"
BR4 = "198.51.100.1"
CE_A1 = "2001:db8:12:3400:0:c000:212:34"        # 192.0.2.18 PSID 0x34, rfc7597
CE_A1_LEGACY = "2001:db8:12:3400:c0:2:1200:3400"
CE_A2X = "2001:db8:12:d100:0:c000:212:d1"        # 192.0.2.18 PSID 0xd1
NET = "1.2.3.4"

def config(version=1, **extra):
    c = {"version": version, "mesh": False, "br": BR6, "br_ipv4": BR4,
         "rules": [{"ipv6": "2001:db8::/40", "ipv4": "192.0.2.0/24",
                    "ea_length": 16, "psid_offset": 6}]}
    c.update(extra)
    return c

def replay(name, cfg, v4_in=(), v6_in=(), linktype=101, dissect=True):
    c, d, doc, _ = G.replay(name, cfg, v4_in, v6_in, linktype, dissect, conf="br.json")
    return c, d, doc["counters"]

def dec(ip):
    """The IPv4 packet as the BR forwards it: TTL - 1, checksum recomputed."""
    p = IP(bytes(ip))
    p.ttl -= 1
    del p.chksum
    return IP(bytes(p))

def tunnel(src, dst, inner, **kw):
    return bytes(IPv6(src=src, dst=dst, hlim=64, nh=4, **kw) / inner)

# ---------------------------------------------------------------- IPv4 -> IPv6
def v4_udp_to_ce():
    ip = IP(src=NET, dst="192.0.2.18", ttl=64, id=7) / UDP(sport=7777, dport=1232) / Raw(b"x" * 20)
    c, d, n = replay("v4_udp", config(), v4_in=[ip])
    eq(c, [])
    eq(d, [tunnel(BR6, CE_A1, dec(ip))])
    counters_have(n, v4_in=1, v4_encapsulated=1, v6_out=1)

def v4_port_9030_goes_to_the_other_ce():
    ip = IP(src=NET, dst="192.0.2.18") / TCP(sport=80, dport=9030, flags="SA")
    c, d, n = replay("v4_9030", config(), v4_in=[ip])
    eq(d, [tunnel(BR6, CE_A2X, dec(ip))])

def v4_draft03_layout():
    ip = IP(src=NET, dst="192.0.2.18") / UDP(sport=7777, dport=1234)
    c, d, n = replay("v4_draft03", config(version=0), v4_in=[ip])
    eq(d, [tunnel(BR6, CE_A1_LEGACY, dec(ip))])

def v4_icmp_echo_reply_by_identifier():
    ip = IP(src=NET, dst="192.0.2.18") / ICMP(type=0, id=1233, seq=1) / Raw(b"ping")
    c, d, n = replay("v4_echo", config(), v4_in=[ip])
    eq(d, [tunnel(BR6, CE_A1, dec(ip))])

def v4_icmp_error_by_quoted_source_port():
    quoted = IP(src="192.0.2.18", dst=NET) / UDP(sport=1235, dport=7777)
    ip = IP(src=NET, dst="192.0.2.18") / ICMP(type=3, code=3) / IPerror(bytes(quoted))
    c, d, n = replay("v4_icmp_err", config(), v4_in=[ip])
    eq(d, [tunnel(BR6, CE_A1, dec(ip))])

def v4_no_rule_gets_unreachable():
    ip = IP(src=NET, dst="203.0.113.9", ttl=30) / UDP(sport=5, dport=1232)
    c, d, n = replay("v4_norule", config(), v4_in=[ip])
    want = IP(src=BR4, dst=NET, ttl=64, id=0) / ICMP(type=3, code=1) / bytes(ip)
    eq(c, [bytes(want)])
    eq(d, [])
    counters_have(n, icmp_errors_sent=1)
    c, d, n = replay("v4_norule_silent", config(icmp_unreachable=False), v4_in=[ip])
    eq(c, []); eq(d, [])
    counters_have(n, drop_v4_no_rule=1)

def v4_excluded_port_dropped():
    ip = IP(src=NET, dst="192.0.2.18") / TCP(sport=1000, dport=80)
    c, d, n = replay("v4_excluded", config(), v4_in=[ip])
    eq(c, []); eq(d, [])
    counters_have(n, drop_v4_port_excluded=1)

def v4_ttl_expired():
    ip = IP(src=NET, dst="192.0.2.18", ttl=1) / UDP(sport=7777, dport=1232)
    c, d, n = replay("v4_ttl", config(), v4_in=[ip])
    eq(c, [bytes(IP(src=BR4, dst=NET, ttl=64, id=0) / ICMP(type=11, code=0) / bytes(ip))])
    eq(d, [])

def v4_df_too_big_gets_frag_needed():
    ip = IP(src=NET, dst="192.0.2.18", flags="DF") / UDP(sport=7777, dport=1232) / Raw(b"z" * 1472)
    c, d, n = replay("v4_ptb", config(), v4_in=[ip])
    quote = bytes(ip)[:548]
    eq(c, [bytes(IP(src=BR4, dst=NET, ttl=64, id=0) / ICMP(type=3, code=4, nexthopmtu=1460) / quote)])
    eq(d, [])
    # a 1460-byte packet fits exactly
    ip2 = IP(src=NET, dst="192.0.2.18", flags="DF") / UDP(sport=7777, dport=1232) / Raw(b"z" * 1432)
    c, d, n = replay("v4_fit", config(), v4_in=[ip2])
    eq(d, [tunnel(BR6, CE_A1, dec(ip2))])

def v4_echo_to_br():
    ip = IP(src=NET, dst=BR4, ttl=50) / ICMP(type=8, id=9, seq=3) / Raw(b"hello")
    c, d, n = replay("v4_echo_br", config(), v4_in=[ip])
    eq(c, [bytes(IP(src=BR4, dst=NET, ttl=64, id=ip.id) / ICMP(type=0, id=9, seq=3) / Raw(b"hello"))])

def v4_encap_limit_option_sent():
    ip = IP(src=NET, dst="192.0.2.18") / UDP(sport=7777, dport=1232)
    c, d, n = replay("v4_encaplimit", config(encap_limit=4), v4_in=[ip])
    want = bytes(IPv6(src=BR6, dst=CE_A1, hlim=64, nh=60) /
                 IPv6ExtHdrDestOpt(nh=4, options=[HBHOptUnknown(otype=4, optdata=b"\x04"), PadN(optdata=b"\x00")]) /
                 dec(ip))
    eq(d, [want])
    if want[40:48] != bytes.fromhex("0400040104010100"):
        raise AssertionError("docs/vectors.md V10 option bytes: %s" % want[40:48].hex())

def v4_ethernet_input():
    ip = IP(src=NET, dst="192.0.2.18") / UDP(sport=7777, dport=1232)
    c, d, n = replay("v4_eth", config(), v4_in=[ip], linktype=1)
    eq(d, [tunnel(BR6, CE_A1, dec(ip))])

def empty_inputs():
    c, d, n = replay("empty", config())
    eq(c, []); eq(d, [])
    counters_have(n, v4_in=0, v6_in=0)

# ---------------------------------------------------------------- IPv6 -> IPv4
def inner(src="192.0.2.18", sport=1232, dst=NET, dport=7777, ttl=64):
    return IP(src=src, dst=dst, ttl=ttl) / UDP(sport=sport, dport=dport) / Raw(b"q" * 12)

def v6_valid_decapsulated():
    i = inner()
    c, d, n = replay("v6_ok", config(), v6_in=[IPv6(src=CE_A1, dst=BR6) / i])
    eq(c, [bytes(dec(i))])
    eq(d, [])
    counters_have(n, v6_in=1, v6_decapsulated=1, v4_out=1)

def v6_security_checks():
    cases = [
        ("drop_inner_spoofed_port", IPv6(src=CE_A1, dst=BR6) / inner(sport=1236)),
        ("drop_inner_spoofed_address", IPv6(src=CE_A1, dst=BR6) / inner(src="192.0.2.19")),
        ("drop_v6_not_br_address", IPv6(src=CE_A1, dst="2001:db8:ffff::2") / inner()),
        ("drop_v6_src_no_rule", IPv6(src="2001:db9::1", dst=BR6) / inner()),
        ("drop_v6_not_ipip", IPv6(src=CE_A1, dst=BR6) / UDP(sport=1, dport=2)),
        ("drop_v6_src_not_map_address", IPv6(src="2001:db8:12:3400::99", dst=BR6) / inner()),
        ("drop_inner_malformed", IPv6(src=CE_A1, dst=BR6, nh=4) / Raw(b"\x45\x00\x00")),
        ("drop_inner_dst_in_domain", None),
    ]
    for counter, pkt in cases:
        cfg = config()
        if pkt is None:
            cfg = config(hairpin=False)
            pkt = IPv6(src=CE_A1, dst=BR6) / inner(dst="192.0.2.18", dport=9030)
        c, d, n = replay("v6_" + counter, cfg, v6_in=[pkt])
        eq(c, [], counter); eq(d, [], counter)
        counters_have(n, **{counter: 1})

def v6_layout_mismatch_fails_visibly():
    # a draft03 CE talking to an rfc7597 BR: dropped and counted, never forwarded
    c, d, n = replay("v6_layout", config(version=1),
                     v6_in=[IPv6(src=CE_A1_LEGACY, dst=BR6) / inner()])
    eq(c, [])
    counters_have(n, drop_v6_src_not_map_address=1)

def v6_hairpin_ce_to_ce():
    i = inner(dst="192.0.2.18", dport=9031)
    c, d, n = replay("v6_hairpin", config(), v6_in=[IPv6(src=CE_A1, dst=BR6) / i])
    eq(c, [])
    eq(d, [tunnel(BR6, CE_A2X, dec(i))])
    counters_have(n, hairpinned=1)

def v6_encap_limit_option_accepted():
    i = inner()
    pkt = IPv6(src=CE_A1, dst=BR6, nh=60) / IPv6ExtHdrDestOpt(
        nh=4, options=[HBHOptUnknown(otype=4, optdata=b"\x03"), PadN(optdata=b"\x00")]) / i
    c, d, n = replay("v6_encaplimit", config(), v6_in=[pkt])
    eq(c, [bytes(dec(i))])

def v6_echo_to_br():
    pkt = IPv6(src=CE_A1, dst=BR6, hlim=60) / ICMPv6EchoRequest(id=5, seq=6, data=b"abc")
    c, d, n = replay("v6_echo", config(), v6_in=[pkt])
    eq(d, [bytes(IPv6(src=BR6, dst=CE_A1, hlim=64) / ICMPv6EchoReply(id=5, seq=6, data=b"abc"))])

def v6_packet_too_big_relayed():
    orig_inner = IP(src=NET, dst="192.0.2.18", flags="DF", ttl=63) / UDP(sport=7777, dport=1232) / Raw(b"p" * 1300)
    tunnel_pkt = IPv6(src=BR6, dst=CE_A1, hlim=64, nh=4) / orig_inner
    ptb = IPv6(src="2001:db8:f0ff::1", dst=BR6) / ICMPv6PacketTooBig(mtu=1280) / bytes(tunnel_pkt)[:1232]
    c, d, n = replay("v6_ptb", config(), v6_in=[ptb])
    quote = bytes(tunnel_pkt)[40:1232][:548]
    eq(c, [bytes(IP(src=BR4, dst=NET, ttl=64, id=0) / ICMP(type=3, code=4, nexthopmtu=1240) / quote)])
    counters_have(n, icmp_relayed=1)

def v6_ttl_expired_inside():
    i = inner(ttl=1)
    c, d, n = replay("v6_ttl", config(), v6_in=[IPv6(src=CE_A1, dst=BR6) / i])
    err = IP(src=BR4, dst="192.0.2.18", ttl=64, id=0) / ICMP(type=11, code=0) / bytes(i)
    eq(d, [tunnel(BR6, CE_A1, err)])

def v4_df0_too_big_outer_fragments():
    from scapy.all import IPv6ExtHdrFragment
    ip = IP(src=NET, dst="192.0.2.18", flags=0) / UDP(sport=7777, dport=1232) / Raw(bytes(range(256)) * 6)
    c, d, n = replay("v4_outer_frag", config(), v4_in=[ip])
    if len(d) != 2:
        raise AssertionError("expected 2 fragments, got %d" % len(d))
    ids, data = set(), {}
    for f in d:
        if len(f) > 1500:
            raise AssertionError("fragment of %d bytes > MTU 1500" % len(f))
        pkt = IPv6(f)
        fh = pkt[IPv6ExtHdrFragment]
        if pkt.src != BR6 or pkt.dst != CE_A1 or pkt.nh != 44 or fh.nh != 4:
            raise AssertionError("bad fragment header: %s" % pkt.summary())
        ids.add(fh.id)
        data[fh.offset * 8] = (bytes(fh.payload), fh.m)
    whole = b"".join(v[0] for k, v in sorted(data.items()))
    if len(ids) != 1 or whole != bytes(dec(ip)) or data[max(data)][1] != 0 or data[0][1] != 1:
        raise AssertionError("reassembled payload differs")
    counters_have(n, fragmented=1)

def v6_fragments_reassembled():
    from scapy.all import IPv6ExtHdrFragment, fragment6
    i = inner() / Raw(b"F" * 1200)
    frags = fragment6(IPv6(src=CE_A1, dst=BR6) / IPv6ExtHdrFragment(id=77) / i, 600)
    c, d, n = replay("v6_reasm", config(), v6_in=list(reversed(frags)))
    eq(c, [bytes(dec(i))])
    counters_have(n, reassembled=1, fragments_held=len(frags) - 1)

def v4_fragments_reassembled():
    from scapy.all import fragment
    ip = IP(src=NET, dst="192.0.2.18", id=4242) / UDP(sport=7777, dport=1232) / Raw(b"G" * 1000)
    frags = fragment(ip, fragsize=400)
    c, d, n = replay("v4_reasm", config(), v4_in=[frags[1], frags[0], frags[2]])
    eq(d, [tunnel(BR6, CE_A1, dec(IP(bytes(ip))))])
    counters_have(n, reassembled=1)

def overlapping_fragments_dropped():
    from scapy.all import IPv6ExtHdrFragment
    i = bytes(inner() / Raw(b"H" * 64))
    a = IPv6(src=CE_A1, dst=BR6) / IPv6ExtHdrFragment(id=9, nh=4, offset=0, m=1) / Raw(i[:48])
    b = IPv6(src=CE_A1, dst=BR6) / IPv6ExtHdrFragment(id=9, nh=4, offset=5, m=0) / Raw(i[40:])
    c, d, n = replay("v6_overlap", config(), v6_in=[a, b])
    eq(c, []); eq(d, [])
    counters_have(n, drop_reassembly_failed=1)

def v4_frags(ip, cuts):
    """IPv4 fragments of ip: (offset, length, more) each, from its bytes."""
    raw = bytes(ip)
    h = IP(raw)
    pay = raw[h.ihl * 4:]
    out = []
    for off, n, more in cuts:
        f = IP(raw[:h.ihl * 4])
        f.flags = "MF" if more else 0
        f.frag = off // 8
        del f.len, f.chksum
        out.append(IP(bytes(f / Raw(pay[off:off + n]))))
    return out

def holey_datagram_not_forwarded_v4():
    # issue 16 item 1: datagram 2 has a hole at 16-23 and a fragment at 800
    # beyond the end its last fragment (24 + 8) sets; it once completed with
    # datagram 1's bytes in the hole and was forwarded to the CE
    d1 = IP(src=NET, dst="192.0.2.18", id=1) / UDP(sport=7777, dport=1232) / Raw(b"A" * 992)
    d2 = IP(src=NET, dst="192.0.2.18", id=2) / UDP(sport=7777, dport=1232) / Raw(b"B" * 24)
    f1 = v4_frags(d1, [(0, 800, True), (800, 200, False)])
    f2 = v4_frags(d2, [(0, 16, True)]) + v4_frags(
        IP(src=NET, dst="192.0.2.18", id=2) / UDP(sport=7777, dport=1232) / Raw(b"B" * 808),
        [(800, 16, True)]) + v4_frags(d2, [(24, 8, False)])
    c, d, n = replay("v4_holey", config(), v4_in=f1 + f2)
    eq(c, [])
    eq(d, [tunnel(BR6, CE_A1, dec(IP(bytes(d1))))])
    counters_have(n, reassembled=1, fragments_held=3, drop_reassembly_failed=1)

def holey_datagram_not_forwarded_v6():
    from scapy.all import IPv6ExtHdrFragment
    def frag(raw, ident, off, n, more):
        return IPv6(src=CE_A1, dst=BR6) / IPv6ExtHdrFragment(id=ident, nh=4, offset=off // 8,
                                                            m=int(more)) / Raw(raw[off:off + n])
    i1 = inner() / Raw(b"A" * 972)
    r1 = bytes(i1)
    r2 = bytes(inner() / Raw(b"B" * 780))
    pkts = [frag(r1, 1, 0, 800, True), frag(r1, 1, 800, len(r1) - 800, False),
            frag(r2, 2, 0, 16, True), frag(r2, 2, 800, 16, True), frag(r2, 2, 24, 8, False)]
    c, d, n = replay("v6_holey", config(), v6_in=pkts)
    eq(d, [])
    eq(c, [bytes(dec(IP(r1)))])
    counters_have(n, reassembled=1, fragments_held=3, drop_reassembly_failed=1)

def sixty_five_thousand_fmrs():
    import ipaddress
    rules = [{"ipv6": "2001:db8:%x::/48" % i, "ipv4": "10.%d.%d.0/24" % (i >> 8, i & 255),
              "ea_length": 8, "psid_offset": 6} for i in range(65536)]
    cfg = config()
    cfg["rules"] = rules
    pkts = []
    want = []
    for i, host in ((0xc807, 9), (0, 1), (0xffff, 254), (0x1234, 77)):
        v4 = "10.%d.%d.%d" % (i >> 8, i & 255, host)
        ip = IP(src=NET, dst=v4) / UDP(sport=7777, dport=40000)
        pkts.append(ip)
        # End-user prefix 2001:db8:<i>:<host>00::/56, IID 0 | IPv4 | PSID 0
        eu = int(ipaddress.IPv6Address("2001:db8::")) | (i << 80) | (host << 72)
        ce = eu | (int(ipaddress.IPv4Address(v4)) << 16)
        want.append(tunnel(BR6, str(ipaddress.IPv6Address(ce)), dec(ip)))
    c, d, n = replay("fmr65536", cfg, v4_in=pkts)
    eq(d, want)

def hostile_bytes_never_crash():
    import random
    rnd = random.Random(46)
    base6 = bytes(IPv6(src=CE_A1, dst=BR6) / inner())
    base4 = bytes(IP(src=NET, dst="192.0.2.18") / ICMP(type=3, code=3) / IPerror(bytes(IP(src="192.0.2.18", dst=NET) / UDP(sport=1232, dport=7777))))
    v6, v4 = [], []
    for n in range(len(base6)):
        v6.append(Raw(base6[:n]))
    for n in range(len(base4)):
        v4.append(Raw(base4[:n]))
    for _ in range(300):
        b = bytearray(base6); b[rnd.randrange(len(b))] = rnd.randrange(256); v6.append(Raw(bytes(b)))
        b = bytearray(base4); b[rnd.randrange(len(b))] = rnd.randrange(256); v4.append(Raw(bytes(b)))
    replay("hostile", config(), v4_in=v4, v6_in=v6, dissect=False)

# ------------------------------------------------- hardening (issue 16: 4-6)
CE_FULL = "2001:db8:f005::cb00:7105:0"         # 203.0.113.5, the whole address

def config_full(**extra):
    """config() plus a rule whose CEs hold whole addresses (PSID length 0)."""
    c = config(**extra)
    c["rules"].append({"ipv6": "2001:db8:f000::/40", "ipv4": "203.0.113.0/24", "ea_length": 8,
                       "psid_offset": 6})
    return c

def tunnel_quote(dst=CE_A1, src=NET, idst="192.0.2.18", dport=1232, df=False, size=20):
    """A BR -> CE tunnel packet as the BR would send it (or a forged one)."""
    return bytes(IPv6(src=BR6, dst=dst, hlim=64, nh=4) /
                 IP(src=src, dst=idst, ttl=63, flags="DF" if df else 0) /
                 UDP(sport=7777, dport=dport) / Raw(b"p" * size))

def v6_spoofed_icmp_errors_not_relayed():
    # an ICMPv6 error from anywhere is relayed only when it quotes a packet
    # the BR could have sent: toward the MAP address owning the inner
    # destination and port, from outside the domain, not from br_ipv4
    ok = tunnel_quote()
    forged = [
        tunnel_quote(dst="2001:db8:12:3400::99"),      # not a MAP address
        tunnel_quote(dport=9030),                       # CE_A2X's port, sent to CE_A1
        tunnel_quote(idst="203.0.113.9"),               # a destination in no rule
        tunnel_quote(src=BR4),                          # would make the BR write to itself
        tunnel_quote(src="192.0.2.50"),                 # in the domain
        tunnel_quote(dst=CE_A2X, src="192.0.2.18", dport=9030),  # a CE's, hairpinned
    ]
    rtr = "2001:db8:f0ff::1"
    pk = [IPv6(src=rtr, dst=BR6) / ICMPv6DestUnreach(code=0) / q for q in forged + [ok]]
    c, d, n = replay("v6_spoofed_errors", config(), v6_in=pk)
    eq(c, [bytes(IP(src=BR4, dst=NET, ttl=64, id=0) / ICMP(type=3, code=1) / ok[40:])])
    eq(d, [])
    counters_have(n, drop_icmpv6_spoofed=len(forged), icmp_relayed=1, drop_icmpv6_other=0)
    # the same forgeries as Packet Too Big
    pk = [IPv6(src=rtr, dst=BR6) / ICMPv6PacketTooBig(mtu=1280) / q for q in forged]
    c, d, n = replay("v6_spoofed_ptb", config(), v6_in=pk)
    eq(c, []); eq(d, [])
    counters_have(n, drop_icmpv6_spoofed=len(forged), icmp_relayed=0)

def v6_packet_too_big_mtu_clamped():
    q = tunnel_quote(df=True)
    quote = q[40:]
    def ptb(mtu):
        return IPv6(src="2001:db8:f0ff::1", dst=BR6) / ICMPv6PacketTooBig(mtu=mtu) / q
    def frag_needed(mtu):
        return bytes(IP(src=BR4, dst=NET, ttl=64, id=0) / ICMP(type=3, code=4, nexthopmtu=mtu) / quote)
    # what IPv4 has of the reported MTU, never more than the BR's own tunnel MTU allows
    c, d, n = replay("v6_ptb_clamp", config(), v6_in=[ptb(0xffffffff), ptb(65535), ptb(1400)])
    eq(c, [frag_needed(1460), frag_needed(1460), frag_needed(1360)])
    c, d, n = replay("v6_ptb_clamp_mtu", config(ipv6_mtu=1400), v6_in=[ptb(1450)])
    eq(c, [frag_needed(1360)])
    c, d, n = replay("v6_ptb_clamp_limit", config(encap_limit=4), v6_in=[ptb(1300)])
    eq(c, [frag_needed(1252)])
    # below the IPv6 minimum MTU: dropped, counted (RFC 8201 §4, RFC 8021)
    c, d, n = replay("v6_ptb_small", config(), v6_in=[ptb(0), ptb(68), ptb(1279)])
    eq(c, []); eq(d, [])
    counters_have(n, drop_icmpv6_ptb_too_small=3, icmp_relayed=0)

def v6_shared_address_sends_only_checkable_protocols():
    gre = Raw(b"\x00\x00\x08\x00" + bytes(IP(src="10.0.0.1", dst="10.0.0.2") / UDP()))
    quoted = bytes(IP(src=NET, dst="192.0.2.18") / UDP(sport=7777, dport=1233))
    drops = [
        ("drop_inner_no_port", IP(src="192.0.2.18", dst=NET, proto=47) / gre),
        ("drop_inner_no_port", IP(src="192.0.2.18", dst=NET, proto=50) / Raw(b"e" * 24)),
        ("drop_inner_no_port", IP(src="192.0.2.18", dst=NET) / ICMP(type=10)),
        ("drop_inner_icmp_unverifiable", IP(src="192.0.2.18", dst=NET) / ICMP(type=3, code=3)),
        ("drop_inner_icmp_unverifiable",
         IP(src="192.0.2.18", dst=NET) / ICMP(type=3, code=3) / Raw(quoted[:22])),
    ]
    for i, (counter, ip) in enumerate(drops):
        c, d, n = replay("v6_shared_%d" % i, config(), v6_in=[IPv6(src=CE_A1, dst=BR6) / ip])
        eq(c, [], counter); eq(d, [], counter)
        counters_have(n, **{counter: 1, "v6_decapsulated": 0})
    # what shows its port passes: an echo by its identifier, an error by its quote
    ok = [IP(src="192.0.2.18", dst=NET) / ICMP(type=8, id=1233, seq=1),
          IP(src="192.0.2.18", dst=NET) / ICMP(type=3, code=3) / Raw(quoted)]
    # a CE holding its whole address may send anything
    full = [IP(src="203.0.113.5", dst=NET, proto=47) / gre,
            IP(src="203.0.113.5", dst=NET) / ICMP(type=3, code=3)]
    c, d, n = replay("v6_shared_ok", config_full(),
                     v6_in=[IPv6(src=CE_A1, dst=BR6) / ip for ip in ok] +
                           [IPv6(src=CE_FULL, dst=BR6) / ip for ip in full])
    eq(c, [bytes(dec(ip)) for ip in ok + full])

def echo_from_non_unicast_sources_not_answered():
    srcs = ["0.0.0.0", "0.1.2.3", "127.0.0.1", "224.0.0.1", "239.255.255.250", "240.0.0.1",
            "255.255.255.255"]
    v4 = [IP(src=s, dst=BR4) / ICMP(type=8, id=9, seq=1) for s in srcs]
    v6 = [IPv6(src=s, dst=BR6) / ICMPv6EchoRequest(id=5, seq=6) for s in ("ff02::1", "::", "::1")]
    c, d, n = replay("echo_non_unicast", config(), v4_in=v4, v6_in=v6)
    eq(c, []); eq(d, [])
    counters_have(n, drop_echo_not_unicast=len(v4) + len(v6), echo_replies=0)

def v6_routing_header_type0_refused():
    # RFC 5095: Segments Left not 0 -> discarded, Parameter Problem code 0
    # pointing at the Routing Type; Segments Left 0 -> the header is skipped
    i = inner()
    rh0 = IPv6(src=CE_A1, dst=BR6) / IPv6ExtHdrRouting(type=0, segleft=1,
                                                        addresses=["2001:db8:ffff::9"]) / i
    done = IPv6(src=CE_A1, dst=BR6) / IPv6ExtHdrRouting(type=0, segleft=0,
                                                         addresses=["2001:db8:ffff::9"]) / i
    c, d, n = replay("v6_rh0", config(), v6_in=[rh0, done])
    eq(c, [bytes(dec(i))])
    eq(d, [bytes(IPv6(src=BR6, dst=CE_A1, hlim=64) / ICMPv6ParamProblem(code=0, ptr=42) / bytes(rh0))])
    counters_have(n, drop_v6_routing_header=1, v6_decapsulated=1)
    # an ICMPv6 echo carrying one is not answered either
    echo = IPv6(src=CE_A1, dst=BR6) / IPv6ExtHdrRouting(type=0, segleft=1,
                                                         addresses=["2001:db8:ffff::9"]) / ICMPv6EchoRequest()
    c, d, n = replay("v6_rh0_echo", config(icmp_rate=1), v6_in=[rh0, echo])
    eq(c, [])
    if len(d) != 1:
        raise AssertionError("%d packets out, want the one rate-limited error" % len(d))
    counters_have(n, drop_v6_routing_header=2, echo_replies=0, drop_icmp_ratelimited=1)

# ------------------------------------------- inner fragments, shared address
def shared_ce_frags(ident, sport, fill, size=2000, fragsize=800):
    ip = IP(src="192.0.2.18", dst=NET, ttl=64, id=ident, flags=0) / \
        UDP(sport=sport, dport=7777) / Raw(fill * size)
    return IP(bytes(ip)), fragment(IP(bytes(ip)), fragsize=fragsize)

def v6_shared_ce_fragments_checked_whole():
    """A later fragment shows no port: the BR makes a shared address's
    datagram whole, checks its port, and sends it on cut to ipv4_mtu."""
    ip, frags = shared_ce_frags(41, 1232, b"q")
    c, d, n = replay("inner_frag_ok", config(ipv4_mtu=1500),
                     v6_in=[tunnel(CE_A1, BR6, f) for f in (frags[2], frags[0], frags[1])])
    eq(d, [])
    eq(c, [bytes(f) for f in fragment(dec(ip), fragsize=1480)])
    counters_have(n, reassembled=1, fragments_held=2, fragmented=1, v4_out=2)

def v6_shared_ce_fragments_with_a_foreign_port_dropped():
    """Ports of the other CE on the address: the first fragment was refused,
    the later ones once went out unchecked."""
    ip, frags = shared_ce_frags(42, 9030, b"s")
    c, d, n = replay("inner_frag_spoof", config(),
                     v6_in=[tunnel(CE_A1, BR6, f) for f in frags])
    eq(c, []); eq(d, [])
    counters_have(n, reassembled=1, drop_inner_spoofed_port=1)

def v6_other_ce_cannot_add_to_a_datagram():
    """CE_A2X shares 192.0.2.18: its fragment with CE_A1's datagram key
    stays apart, and CE_A1's datagram completes from its own bytes."""
    ip, frags = shared_ce_frags(43, 1232, b"a", size=1000, fragsize=400)
    _, other = shared_ce_frags(43, 1232, b"x", size=1000, fragsize=400)
    c, d, n = replay("inner_frag_inject", config(),
                     v6_in=[tunnel(CE_A1, BR6, frags[0]), tunnel(CE_A2X, BR6, other[1]),
                            tunnel(CE_A2X, BR6, other[2]), tunnel(CE_A1, BR6, frags[1]),
                            tunnel(CE_A1, BR6, frags[2])])
    eq(d, [])
    eq(c, [bytes(dec(ip))])
    counters_have(n, reassembled=1, fragments_held=4)


try:
    for f in (v4_udp_to_ce, v4_port_9030_goes_to_the_other_ce, v4_draft03_layout,
              v4_icmp_echo_reply_by_identifier, v4_icmp_error_by_quoted_source_port,
              v4_no_rule_gets_unreachable, v4_excluded_port_dropped, v4_ttl_expired,
              v4_df_too_big_gets_frag_needed, v4_echo_to_br, v4_encap_limit_option_sent,
              v4_ethernet_input, empty_inputs, v6_valid_decapsulated, v6_security_checks,
              v6_layout_mismatch_fails_visibly, v6_hairpin_ce_to_ce, v6_encap_limit_option_accepted,
              v6_echo_to_br, v6_packet_too_big_relayed, v6_ttl_expired_inside,
              v4_df0_too_big_outer_fragments, v6_fragments_reassembled, v4_fragments_reassembled,
              overlapping_fragments_dropped, holey_datagram_not_forwarded_v4,
              holey_datagram_not_forwarded_v6, sixty_five_thousand_fmrs,
              v6_spoofed_icmp_errors_not_relayed, v6_packet_too_big_mtu_clamped,
              v6_shared_address_sends_only_checkable_protocols,
              echo_from_non_unicast_sources_not_answered, v6_routing_header_type0_refused,
              v6_shared_ce_fragments_checked_whole,
              v6_shared_ce_fragments_with_a_foreign_port_dropped,
              v6_other_ce_cannot_add_to_a_datagram, hostile_bytes_never_crash):
        case(f)
finally:
    G.finish()
