#!/usr/bin/python3
"""Golden tests of the lwAFTR pipeline (RFC 7596) through `s46 replay`.

Each case crafts input packets with scapy, builds the expected output packets
independently (scapy computes every length and checksum), runs the real
`s46 replay --config lwaftr.json`, and compares what leaves each side byte
for byte, plus the counters. Every output file is dissected by tshark, which
must report no malformed packet. Prints one PASS/FAIL line per case.
"""

from golden import Golden, counters_have, eq
from scapy.all import (ICMP, IP, UDP, TCP, IPerror, IPv6, ICMPv6EchoRequest, ICMPv6EchoReply,
                       ICMPv6PacketTooBig, ICMPv6DestUnreach, ICMPv6ParamProblem,
                       IPv6ExtHdrFragment, IPv6ExtHdrRouting, Raw,
                       fragment, fragment6, conf)

conf.verb = 0
G = Golden("lwaftr")
case = G.case

AFTR1 = "2001:db8:ffff::1"
AFTR2 = "2001:db8:ffff::2"
AFTR4 = "203.0.113.1"
B4A = "2001:db8:1::2"     # 192.0.2.1 PSID 1 of 6 (ports 1024-2047), at AFTR1
B4B = "2001:db8:1::3"     # 192.0.2.1 PSID 2 (ports 2048-3071), at AFTR2
B4C = "2001:db8:1::4"     # 192.0.2.2, the whole address (from the CSV file)
NET = "198.51.100.7"


def config(bindings_file=True, **extra):
    lw = {"ipv6": [AFTR1, AFTR2], "ipv4": AFTR4,
          "bindings": [
              {"b4": B4A, "ipv4": "192.0.2.1", "psid": 1, "psid_length": 6, "psid_offset": 0},
              {"b4": B4B, "ipv4": "192.0.2.1", "psid": 2, "psid_length": 6, "lwaftr": AFTR2}]}
    if bindings_file:
        lw["bindings_file"] = "bindings.csv"
    lw.update(extra)
    return {"lwaftr": lw}


def replay(name, cfg, v4_in=(), v6_in=(), csv="%s,192.0.2.2,0,0\n" % B4C, expect_fail=False):
    got = G.replay(name, cfg, v4_in, v6_in, conf="lwaftr.json", expect_fail=expect_fail,
                   files={"bindings.csv": "# b4_ipv6,ipv4,psid,psid_length[,psid_offset[,lwaftr_ipv6]]\n" + csv})
    if expect_fail:
        return got
    c, d, doc, _ = got
    if doc.get("pipeline") != "lwaftr":
        raise AssertionError("pipeline %s" % doc.get("pipeline"))
    return c, d, doc["counters"]


def only_drop(c, name):
    """name is 1 and no other drop_ counter moved."""
    moved = {k: v for k, v in c.items() if k.startswith("drop_") and v}
    if moved != {name: 1}:
        raise AssertionError("drops %s, want only %s" % (moved, name))


def dec(ip):
    p = IP(bytes(ip))
    p.ttl -= 1
    del p.chksum
    return IP(bytes(p))


def tunnel(src, dst, inner):
    return bytes(IPv6(src=src, dst=dst, hlim=64, nh=4) / inner)


def inner(src="192.0.2.1", sport=1500, dst=NET, dport=7777, ttl=64, proto=UDP):
    return IP(src=src, dst=dst, ttl=ttl, id=11) / proto(sport=sport, dport=dport) / Raw(b"q" * 12)


# ------------------------------------------------------------------- config
def the_issue_minimal_config():
    cfg = {"lwaftr": {"ipv6": "2001:db8:ffff::1", "bindings": [
        {"b4": "2001:db8:1::2", "ipv4": "192.0.2.1", "psid": 1, "psid_length": 6, "psid_offset": 0}]}}
    ip = IP(src=NET, dst="192.0.2.1", id=3) / UDP(sport=7777, dport=1024) / Raw(b"x" * 20)
    back = inner(sport=2047)
    c, d, n = replay("minimal", cfg, v4_in=[ip], v6_in=[IPv6(src=B4A, dst=AFTR1) / back])
    eq(d, [tunnel(AFTR1, B4A, dec(ip))])
    eq(c, [bytes(dec(back))])
    counters_have(n, v4_in=1, v4_encapsulated=1, v6_out=1, v6_in=1, v6_decapsulated=1, v4_out=1)


def bad_configs_refused():
    bad = [
        ({"lwaftr": {"bindings": []}}, "ipv6"),
        ({"lwaftr": {"ipv6": AFTR1, "bindings": [{"b4": B4A, "ipv4": "192.0.2.1", "psid": 64,
                                                  "psid_length": 6}]}}, "psid 64"),
        ({"lwaftr": {"ipv6": AFTR1, "bindings": [
            {"b4": B4A, "ipv4": "192.0.2.1", "psid": 1, "psid_length": 6},
            {"b4": B4B, "ipv4": "192.0.2.1", "psid": 1, "psid_length": 8}]}}, "psid_length 6"),
        ({"lwaftr": {"ipv6": AFTR1, "bindings": [{"b4": B4A, "ipv4": "192.0.2.1",
                                                  "lwaftr": AFTR2}]}}, "lwaftr"),
        ({"lwaftr": {"ipv6": AFTR1, "bindings_file": "missing.csv"}}, "missing.csv"),
    ]
    for i, (cfg, word) in enumerate(bad):
        err = replay("bad%d" % i, cfg, expect_fail=True)
        if word not in err:
            raise AssertionError("error for %s does not name %r: %s" % (cfg, word, err))


# ---------------------------------------------------------------- IPv4 -> IPv6
def v4_encapsulated_from_the_bindings_lwaftr_address():
    a = IP(src=NET, dst="192.0.2.1") / TCP(sport=80, dport=1500, flags="SA")
    b = IP(src=NET, dst="192.0.2.1") / UDP(sport=7777, dport=2500)
    c_ = IP(src=NET, dst="192.0.2.2") / UDP(sport=7777, dport=80)  # the CSV file's, any port
    c, d, n = replay("v4_encap", config(), v4_in=[a, b, c_])
    eq(c, [])
    eq(d, [tunnel(AFTR1, B4A, dec(a)), tunnel(AFTR2, B4B, dec(b)), tunnel(AFTR1, B4C, dec(c_))])
    counters_have(n, v4_encapsulated=3)


def v4_icmp_by_identifier_and_quoted_port():
    echo = IP(src=NET, dst="192.0.2.1") / ICMP(type=0, id=2100, seq=1) / Raw(b"ping")
    quoted = IP(src="192.0.2.1", dst=NET) / UDP(sport=1999, dport=7777)
    err = IP(src=NET, dst="192.0.2.1") / ICMP(type=3, code=3) / IPerror(bytes(quoted))
    c, d, n = replay("v4_icmp", config(), v4_in=[echo, err])
    eq(d, [tunnel(AFTR2, B4B, dec(echo)), tunnel(AFTR1, B4A, dec(err))])


def v4_unbound_gets_unreachable_or_is_dropped():
    no_addr = IP(src=NET, dst="192.0.2.9", ttl=30) / UDP(sport=5, dport=1500)
    no_port = IP(src=NET, dst="192.0.2.1", ttl=30) / UDP(sport=5, dport=5000)
    c, d, n = replay("v4_unbound", config(), v4_in=[no_addr, no_port])
    eq(d, [])
    eq(c, [bytes(IP(src=AFTR4, dst=NET, ttl=64, id=0) / ICMP(type=3, code=1) / bytes(no_addr)),
           bytes(IP(src=AFTR4, dst=NET, ttl=64, id=0) / ICMP(type=3, code=3) / bytes(no_port))])
    counters_have(n, icmp_errors_sent=2)
    c, d, n = replay("v4_unbound_silent", config(icmp_unreachable=False), v4_in=[no_addr])
    eq(c, []); eq(d, [])
    only_drop(n, "drop_v4_no_binding_address")
    c, d, n = replay("v4_unbound_port_silent", config(icmp_unreachable=False), v4_in=[no_port])
    only_drop(n, "drop_v4_no_binding_port")
    # ICMP errors are rate limited: a burst of 3 with icmp_rate 1 sends 1
    c, d, n = replay("v4_unbound_rate", config(icmp_rate=1), v4_in=[no_addr] * 3)
    if len(c) != 1:
        raise AssertionError("%d errors sent, want 1" % len(c))
    counters_have(n, drop_icmp_ratelimited=2, drop_v4_no_binding_address=2)


def v4_drop_reasons():
    cases = [
        ("drop_v4_malformed", IP(src=NET, dst="192.0.2.1", ihl=4) / UDP(dport=1500)),
        ("drop_v4_to_lwaftr", IP(src=NET, dst=AFTR4) / UDP(dport=1500)),
        ("drop_v4_icmp_unmappable", IP(src=NET, dst="192.0.2.1") / ICMP(type=3, code=1) /
         IPerror(bytes(IP(src="192.0.2.77", dst=NET) / UDP(sport=1500, dport=7777)))),
        ("drop_v4_ttl_expired", IP(src=NET, dst="192.0.2.1", ttl=1) / UDP(dport=1500)),
        ("drop_v4_too_big", IP(src=NET, dst="192.0.2.1", flags="DF") / UDP(dport=1500) /
         Raw(b"z" * 1472)),
    ]
    for counter, pkt in cases:
        extra = {"ipv4": "0.0.0.0"} if counter in ("drop_v4_ttl_expired", "drop_v4_too_big") else {}
        cfg = config(**extra)
        if extra:
            del cfg["lwaftr"]["ipv4"]
        c, d, n = replay("v4_" + counter, cfg, v4_in=[pkt])
        eq(c, [], counter); eq(d, [], counter)
        only_drop(n, counter)


def v4_errors_from_the_lwaftr():
    ttl = IP(src=NET, dst="192.0.2.1", ttl=1) / UDP(sport=7, dport=1500)
    big = IP(src=NET, dst="192.0.2.1", flags="DF") / UDP(sport=7, dport=1500) / Raw(b"z" * 1472)
    echo = IP(src=NET, dst=AFTR4, ttl=50) / ICMP(type=8, id=9, seq=3) / Raw(b"hello")
    c, d, n = replay("v4_errors", config(), v4_in=[ttl, big, echo])
    eq(d, [])
    eq(c, [bytes(IP(src=AFTR4, dst=NET, ttl=64, id=0) / ICMP(type=11, code=0) / bytes(ttl)),
           bytes(IP(src=AFTR4, dst=NET, ttl=64, id=0) / ICMP(type=3, code=4, nexthopmtu=1460) /
                 bytes(big)[:548]),
           bytes(IP(src=AFTR4, dst=NET, ttl=64, id=echo.id) / ICMP(type=0, id=9, seq=3) / Raw(b"hello"))])
    counters_have(n, icmp_errors_sent=2, echo_replies=1)


def v4_fragments_out_of_order_reassembled():
    ip = IP(src=NET, dst="192.0.2.1", id=4242) / UDP(sport=7777, dport=1500) / Raw(b"G" * 1000)
    frags = fragment(ip, fragsize=400)
    c, d, n = replay("v4_reasm", config(), v4_in=[frags[2], frags[0], frags[1]])
    eq(d, [tunnel(AFTR1, B4A, dec(IP(bytes(ip))))])
    counters_have(n, reassembled=1, fragments_held=2)


# ---------------------------------------------------------------- IPv6 -> IPv4
def v6_decapsulated_at_each_lwaftr_address():
    a, b, c_ = inner(sport=1024), inner(sport=3071, proto=TCP), inner(src="192.0.2.2", sport=9)
    c, d, n = replay("v6_decap", config(), v6_in=[IPv6(src=B4A, dst=AFTR1) / a,
                                                   IPv6(src=B4B, dst=AFTR2) / b,
                                                   IPv6(src=B4C, dst=AFTR1) / c_])
    eq(d, [])
    eq(c, [bytes(dec(a)), bytes(dec(b)), bytes(dec(c_))])
    counters_have(n, v6_decapsulated=3)


def v6_drop_reasons():
    cases = [
        ("drop_v6_malformed", Raw(bytes(IPv6(src=B4A, dst=AFTR1, plen=200) / inner())[:60])),
        ("drop_v6_not_lwaftr_address", IPv6(src=B4A, dst="2001:db8:ffff::3") / inner()),
        ("drop_v6_not_ipip", IPv6(src=B4A, dst=AFTR1) / UDP(sport=1, dport=2)),
        ("drop_inner_malformed", IPv6(src=B4A, dst=AFTR1, nh=4) / Raw(b"\x45\x00\x00")),
        ("drop_v6_no_binding", IPv6(src=B4A, dst=AFTR1) / inner(src="192.0.2.9")),
        ("drop_v6_no_binding", IPv6(src=B4A, dst=AFTR1) / inner(sport=5000)),
        # B4B using B4A's port, B4A at the other lwAFTR address, a stranger
        ("drop_v6_src_mismatch", IPv6(src=B4B, dst=AFTR2) / inner(sport=1500)),
        ("drop_v6_src_mismatch", IPv6(src=B4A, dst=AFTR2) / inner(sport=1500)),
        ("drop_v6_src_mismatch", IPv6(src="2001:db8:9::1", dst=AFTR1) / inner(sport=1500)),
        ("drop_hairpin_unbound", IPv6(src=B4A, dst=AFTR1) / inner(dst="192.0.2.1", dport=5000)),
        ("drop_icmpv6_other", IPv6(src=B4A, dst=AFTR1) /
         ICMPv6DestUnreach() / bytes(IPv6(src=AFTR1, dst=B4A, nh=17) / UDP())),
    ]
    for i, (counter, pkt) in enumerate(cases):
        c, d, n = replay("v6_%d_%s" % (i, counter), config(), v6_in=[pkt])
        eq(c, [], counter); eq(d, [], counter)
        only_drop(n, counter)


def v6_icmpv6_policy_error_back():
    pkt = IPv6(src=B4B, dst=AFTR2, hlim=60) / inner(sport=1500)
    c, d, n = replay("v6_policy", config(icmpv6_policy=True), v6_in=[pkt])
    eq(c, [])
    eq(d, [bytes(IPv6(src=AFTR2, dst=B4B, hlim=64) / ICMPv6DestUnreach(code=5) / bytes(pkt))])
    counters_have(n, icmpv6_errors_sent=1, drop_v6_src_mismatch=0)


def v6_hairpin_between_b4s():
    i = inner(dst="192.0.2.1", dport=2100)  # B4A -> B4B's port, B4B is at AFTR2
    c, d, n = replay("v6_hairpin", config(), v6_in=[IPv6(src=B4A, dst=AFTR1) / i])
    eq(c, [])
    eq(d, [tunnel(AFTR2, B4B, dec(i))])
    counters_have(n, hairpinned=1, v6_out=1)
    c, d, n = replay("v6_hairpin_off", config(hairpin=False), v6_in=[IPv6(src=B4A, dst=AFTR1) / i])
    eq(d, [])
    eq(c, [bytes(dec(i))])
    counters_have(n, hairpinned=0, v6_decapsulated=1)


def v6_echo_and_ptb_relay():
    echo = IPv6(src=B4B, dst=AFTR2, hlim=60) / ICMPv6EchoRequest(id=5, seq=6, data=b"abc")
    orig = IP(src=NET, dst="192.0.2.1", flags="DF", ttl=63) / UDP(sport=7777, dport=2100) / Raw(b"p" * 1300)
    tun = IPv6(src=AFTR2, dst=B4B, hlim=64, nh=4) / orig
    ptb = IPv6(src="2001:db8:f0ff::1", dst=AFTR2) / ICMPv6PacketTooBig(mtu=1280) / bytes(tun)[:1232]
    c, d, n = replay("v6_icmp", config(), v6_in=[echo, ptb])
    eq(d, [bytes(IPv6(src=AFTR2, dst=B4B, hlim=64) / ICMPv6EchoReply(id=5, seq=6, data=b"abc"))])
    eq(c, [bytes(IP(src=AFTR4, dst=NET, ttl=64, id=0) / ICMP(type=3, code=4, nexthopmtu=1240) /
                 bytes(tun)[40:1232][:548])])
    counters_have(n, echo_replies=1, icmp_relayed=1, path_mtu_lowered=1)


def v6_icmp_error_from_b4_by_quoted_port():
    quoted = IP(src=NET, dst="192.0.2.1") / UDP(sport=7777, dport=1600)
    err = IP(src="192.0.2.1", dst=NET) / ICMP(type=3, code=3) / IPerror(bytes(quoted))
    bad = IP(src="192.0.2.1", dst=NET) / ICMP(type=3, code=3) / IPerror(
        bytes(IP(src=NET, dst="192.0.2.1") / UDP(sport=7777, dport=2600)))
    c, d, n = replay("v6_b4_icmp", config(), v6_in=[IPv6(src=B4A, dst=AFTR1) / err,
                                                     IPv6(src=B4A, dst=AFTR1) / bad])
    eq(c, [bytes(dec(err))])
    counters_have(n, drop_v6_src_mismatch=1)


def v6_ttl_expired_inside_gets_time_exceeded_back():
    i = inner(ttl=1)
    c, d, n = replay("v6_ttl", config(), v6_in=[IPv6(src=B4B, dst=AFTR2) / inner(sport=2049, ttl=1)])
    err = IP(src=AFTR4, dst="192.0.2.1", ttl=64, id=0) / ICMP(type=11, code=0) / bytes(inner(sport=2049, ttl=1))
    eq(d, [tunnel(AFTR2, B4B, err)])
    del i


def v6_fragments_out_of_order_reassembled():
    i = inner() / Raw(b"F" * 1200)
    frags = fragment6(IPv6(src=B4A, dst=AFTR1) / IPv6ExtHdrFragment(id=77) / i, 600)
    c, d, n = replay("v6_reasm", config(), v6_in=list(reversed(frags)))
    eq(c, [bytes(dec(i))])
    counters_have(n, reassembled=1, fragments_held=len(frags) - 1)


def v6_inner_fragments_checked_by_address():
    """A shared address's datagram is made whole (a later fragment shows no
    port) and leaves whole; a stranger's fragment is refused."""
    ip = IP(src="192.0.2.1", dst=NET, id=99, ttl=64) / UDP(sport=1500, dport=7777) / Raw(b"I" * 600)
    f = fragment(ip, fragsize=304)
    ok = [IPv6(src=B4A, dst=AFTR1) / x for x in f]
    stranger = IPv6(src="2001:db8:9::1", dst=AFTR1) / f[1]
    c, d, n = replay("v6_inner_frag", config(), v6_in=ok + [stranger])
    eq(c, [bytes(dec(IP(bytes(ip))))])
    counters_have(n, reassembled=1, drop_v6_no_binding=1)


def v6_inner_fragments_of_another_b4_never_join():
    """B4B shares 192.0.2.1: its fragments with B4A's datagram key stay
    apart; fragments after a first one with B4B's port go nowhere."""
    ip = IP(src="192.0.2.1", dst=NET, id=98, ttl=64) / UDP(sport=1500, dport=7777) / Raw(b"a" * 600)
    other = IP(src="192.0.2.1", dst=NET, id=98, ttl=64) / UDP(sport=1500, dport=7777) / Raw(b"x" * 600)
    f, g = fragment(ip, fragsize=200), fragment(other, fragsize=200)
    spoof = IP(src="192.0.2.1", dst=NET, id=97, ttl=64) / UDP(sport=2500, dport=7777) / Raw(b"s" * 600)
    h = fragment(spoof, fragsize=200)
    c, d, n = replay("v6_inner_frag_join", config(),
                     v6_in=[IPv6(src=B4A, dst=AFTR1) / f[0], IPv6(src=B4B, dst=AFTR2) / g[1],
                            IPv6(src=B4B, dst=AFTR2) / g[2], IPv6(src=B4A, dst=AFTR1) / f[1],
                            IPv6(src=B4A, dst=AFTR1) / f[2], IPv6(src=B4A, dst=AFTR1) / f[3]] +
                     [IPv6(src=B4A, dst=AFTR1) / x for x in h])
    eq(d, [])
    eq(c, [bytes(dec(IP(bytes(ip))))])
    counters_have(n, reassembled=1, drop_v6_src_mismatch=1)


# ------------------------------------------------- hardening (issue 16: 4-6)
def tunnel_quote(src_aftr=AFTR1, b4=B4A, isrc=NET, idst="192.0.2.1", dport=1500, df=False):
    """An lwAFTR -> B4 tunnel packet as the lwAFTR would send it (or a forged one)."""
    return bytes(IPv6(src=src_aftr, dst=b4, hlim=64, nh=4) /
                 IP(src=isrc, dst=idst, ttl=63, flags="DF" if df else 0) /
                 UDP(sport=7777, dport=dport) / Raw(b"p" * 20))


def v6_spoofed_icmp_errors_not_relayed():
    # relayed only when the quote is a packet the lwAFTR could have sent: to
    # the B4 of the binding of its inner destination and port, from that
    # binding's lwAFTR address, from outside the bound addresses, not from
    # the lwAFTR's own IPv4 address
    ok = tunnel_quote()
    forged = [
        tunnel_quote(src_aftr=AFTR2),                   # B4A is bound at AFTR1
        tunnel_quote(dport=2100),                        # B4B's port
        tunnel_quote(b4="2001:db8:9::1"),                # no B4 of ours
        tunnel_quote(idst="192.0.2.9"),                  # no binding
        tunnel_quote(isrc=AFTR4),                        # the lwAFTR itself
        tunnel_quote(isrc="192.0.2.2"),                  # a bound address (B4C's)
    ]
    rtr = "2001:db8:f0ff::1"
    # each error goes where its quote came from
    pk = [IPv6(src=rtr, dst=IPv6(q).src) / ICMPv6DestUnreach(code=0) / q for q in forged + [ok]]
    c, d, n = replay("v6_spoofed_errors", config(), v6_in=pk)
    eq(c, [bytes(IP(src=AFTR4, dst=NET, ttl=64, id=0) / ICMP(type=3, code=1) / ok[40:])])
    eq(d, [])
    counters_have(n, drop_icmpv6_spoofed=len(forged), icmp_relayed=1, drop_icmpv6_other=0)
    pk = [IPv6(src=rtr, dst=AFTR1) / ICMPv6PacketTooBig(mtu=1280) / tunnel_quote(isrc=AFTR4, df=True)]
    c, d, n = replay("v6_spoofed_ptb", config(), v6_in=pk)
    eq(c, []); eq(d, [])
    counters_have(n, drop_icmpv6_spoofed=1, path_mtu_lowered=0)


def v6_packet_too_big_mtu_bounds():
    q = tunnel_quote(df=True)
    def ptb(mtu):
        return IPv6(src="2001:db8:f0ff::1", dst=AFTR1) / ICMPv6PacketTooBig(mtu=mtu) / q
    c, d, n = replay("v6_ptb_huge", config(), v6_in=[ptb(0xffffffff)])
    eq(c, [bytes(IP(src=AFTR4, dst=NET, ttl=64, id=0) / ICMP(type=3, code=4, nexthopmtu=1460) / q[40:])])
    counters_have(n, path_mtu_lowered=0)
    c, d, n = replay("v6_ptb_small", config(), v6_in=[ptb(0), ptb(1279)])
    eq(c, []); eq(d, [])
    counters_have(n, drop_icmpv6_ptb_too_small=2, path_mtu_lowered=0, icmp_relayed=0)


def v6_shared_address_sends_only_checkable_protocols():
    gre = Raw(b"\x00\x00\x08\x00" + bytes(IP(src="10.0.0.1", dst="10.0.0.2") / UDP()))
    quoted = bytes(IP(src=NET, dst="192.0.2.1") / UDP(sport=7777, dport=1600))
    drops = [
        ("drop_inner_no_port", IP(src="192.0.2.1", dst=NET, proto=47) / gre),
        ("drop_inner_no_port", IP(src="192.0.2.1", dst=NET) / ICMP(type=10)),
        ("drop_inner_icmp_unverifiable", IP(src="192.0.2.1", dst=NET) / ICMP(type=3, code=3)),
        ("drop_inner_icmp_unverifiable",
         IP(src="192.0.2.1", dst=NET) / ICMP(type=3, code=3) / Raw(quoted[:22])),
    ]
    for i, (counter, ip) in enumerate(drops):
        c, d, n = replay("v6_shared_%d" % i, config(), v6_in=[IPv6(src=B4A, dst=AFTR1) / ip])
        eq(c, [], counter); eq(d, [], counter)
        only_drop(n, counter)
    # B4C holds 192.0.2.2 whole: anything goes, but only from B4C
    full = [IP(src="192.0.2.2", dst=NET, proto=47) / gre,
            IP(src="192.0.2.2", dst=NET) / ICMP(type=3, code=3)]
    c, d, n = replay("v6_full_ok", config(), v6_in=[IPv6(src=B4C, dst=AFTR1) / ip for ip in full] +
                     [IPv6(src=B4A, dst=AFTR1) / full[0]])
    eq(c, [bytes(dec(ip)) for ip in full])
    only_drop(n, "drop_v6_src_mismatch")


def echo_from_non_unicast_sources_not_answered():
    v4 = [IP(src=s, dst=AFTR4) / ICMP(type=8, id=9, seq=1)
          for s in ("0.0.0.0", "127.0.0.1", "224.0.0.5", "240.0.0.1", "255.255.255.255")]
    v6 = [IPv6(src=s, dst=AFTR2) / ICMPv6EchoRequest(id=5, seq=6) for s in ("ff02::1", "::")]
    c, d, n = replay("echo_non_unicast", config(), v4_in=v4, v6_in=v6)
    eq(c, []); eq(d, [])
    counters_have(n, drop_echo_not_unicast=len(v4) + len(v6), echo_replies=0)


def v6_routing_header_type0_refused():
    i = inner(sport=2100)
    rh0 = IPv6(src=B4B, dst=AFTR2) / IPv6ExtHdrRouting(type=0, segleft=1,
                                                        addresses=["2001:db8:ffff::9"]) / i
    done = IPv6(src=B4B, dst=AFTR2) / IPv6ExtHdrRouting(type=0, segleft=0,
                                                         addresses=["2001:db8:ffff::9"]) / i
    c, d, n = replay("v6_rh0", config(), v6_in=[rh0, done])
    eq(c, [bytes(dec(i))])
    eq(d, [bytes(IPv6(src=AFTR2, dst=B4B, hlim=64) / ICMPv6ParamProblem(code=0, ptr=42) / bytes(rh0))])
    counters_have(n, drop_v6_routing_header=1, v6_decapsulated=1)


for t in (the_issue_minimal_config, bad_configs_refused,
          v4_encapsulated_from_the_bindings_lwaftr_address, v4_icmp_by_identifier_and_quoted_port,
          v4_unbound_gets_unreachable_or_is_dropped, v4_drop_reasons, v4_errors_from_the_lwaftr,
          v4_fragments_out_of_order_reassembled, v6_decapsulated_at_each_lwaftr_address,
          v6_drop_reasons, v6_icmpv6_policy_error_back, v6_hairpin_between_b4s,
          v6_echo_and_ptb_relay, v6_icmp_error_from_b4_by_quoted_port,
          v6_ttl_expired_inside_gets_time_exceeded_back, v6_fragments_out_of_order_reassembled,
          v6_inner_fragments_checked_by_address, v6_inner_fragments_of_another_b4_never_join, v6_spoofed_icmp_errors_not_relayed,
          v6_packet_too_big_mtu_bounds, v6_shared_address_sends_only_checkable_protocols,
          echo_from_non_unicast_sources_not_answered, v6_routing_header_type0_refused):
    case(t)
G.finish()
