#!/usr/bin/python3
"""Golden tests of the SIIT-DC translator (RFC 7915, RFC 6052, RFC 7757)
through `s46 replay`.

Each case crafts the input with scapy, runs the real `s46 replay`, and
compares what leaves each side byte for byte with packets scapy builds
independently from the RFC's rules (its own checksums, lengths and quoted
packets: nothing is taken from our output). Every output is dissected by
tshark. One PASS/FAIL line per case.
"""

from golden import Golden
from scapy.all import (ICMP, IP, UDP, TCP, IPv6, IPv6ExtHdrFragment, IPv6ExtHdrDestOpt,
                       ICMPv6EchoRequest,
                       ICMPv6EchoReply, ICMPv6DestUnreach, ICMPv6PacketTooBig,
                       ICMPv6TimeExceeded, ICMPv6ParamProblem, IPerror6, UDPerror, TCPerror,
                       IPerror, Raw, fragment, conf)

conf.verb = 0
G = Golden("siit_golden")
case = G.case

POOL6 = "64:ff9b::/96"
XLAT4 = "192.0.2.1"          # the translator's IPv4 address
XLAT6 = "2001:db8:ffff::1"   # and its IPv6 one
CLIENT4 = "203.0.113.5"      # an IPv4 client on the Internet ...
CLIENT6 = "64:ff9b::cb00:7105"  # ... as IPv6 sees it (RFC 6052 /96)
SERVER4 = "198.51.100.10"    # an IPv6-only server by its EAM IPv4 address ...
SERVER6 = "2001:db8:6::a"    # ... (198.51.100.0/24 <-> 2001:db8:6::/120)
ROUTER4 = "192.0.2.99"
ROUTER4_6 = "64:ff9b::c000:263"
ROUTER6 = "2001:db8:ffff::99"  # in neither the EAM table nor pool6
DUMMY4 = "192.0.0.8"          # RFC 6791 source


def config(**extra):
    c = {"siit": {"pool6": POOL6,
                  "eam": [{"ipv4": "198.51.100.0/24", "ipv6": "2001:db8:6::/120"}],
                  "ipv4": XLAT4, "ipv6": XLAT6, "rfc6791": DUMMY4}}
    c["siit"].update(extra)
    return c


def replay(name, cfg, v4_in=(), v6_in=()):
    c, d, doc, _ = G.replay(name, cfg, v4_in, v6_in, conf="siit.json", in_dir=True)
    return c, d, doc["counters"]


def same(got, want, what):
    want = [bytes(w) for w in want]
    if len(got) != len(want):
        raise AssertionError("%s: %d packets, expected %d" % (what, len(got), len(want)))
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            raise AssertionError("%s #%d differs:\n got  %s\n want %s" % (what, i, g.hex(), w.hex()))


def expect_counts(c, **want):
    for k, v in want.items():
        if c.get(k) != v:
            raise AssertionError("counter %s = %s, expected %s" % (k, c.get(k), v))


PAY = Raw(b"siit-golden-payload" * 3)


def v6(src, dst, hlim, tc=0, nh=None):
    p = IPv6(src=src, dst=dst, hlim=hlim, tc=tc, fl=0)
    if nh is not None:
        p.nh = nh
    return p


def v4(src, dst, ttl, tos=0, ident=0, flags=0, proto=None):
    p = IP(src=src, dst=dst, ttl=ttl, tos=tos, id=ident, flags=flags)
    if proto is not None:
        p.proto = proto
    return p


# --- IPv4 -> IPv6 -------------------------------------------------------

def udp_4to6():
    """UDP: TOS -> traffic class, TTL - 1, EAM destination, pool6 source,
    DF dropped, checksum for the new pseudo-header."""
    pkt = v4(CLIENT4, SERVER4, 64, tos=0xb8, ident=77, flags="DF") / UDP(sport=5000, dport=9000) / PAY
    o4, o6, c = replay("udp_4to6", config(), v4_in=[pkt])
    same(o4, [], "IPv4 out")
    same(o6, [v6(CLIENT6, SERVER6, 63, tc=0xb8) / UDP(sport=5000, dport=9000) / PAY], "IPv6 out")
    expect_counts(c, translated4=1, v6_out=1)


def tcp_4to6_tos_zero():
    """TCP with "tos": "zero": the traffic class is 0."""
    pkt = v4(CLIENT4, SERVER4, 30, tos=0x10) / TCP(sport=40000, dport=80, flags="S", seq=9) / PAY
    _, o6, _ = replay("tcp_4to6_tos_zero", config(tos="zero"), v4_in=[pkt])
    same(o6, [v6(CLIENT6, SERVER6, 29) / TCP(sport=40000, dport=80, flags="S", seq=9) / PAY],
         "IPv6 out")


def echo_4to6():
    """ICMPv4 echo request -> ICMPv6 echo request (type and checksum with
    the IPv6 pseudo-header)."""
    pkt = v4(CLIENT4, SERVER4, 64) / ICMP(type=8, id=0x1234, seq=7) / PAY
    _, o6, _ = replay("echo_4to6", config(), v4_in=[pkt])
    same(o6, [v6(CLIENT6, SERVER6, 63) / ICMPv6EchoRequest(id=0x1234, seq=7) / PAY], "IPv6 out")


def udp_zero_checksum_4to6():
    """UDP with checksum 0 (RFC 7915 §4.5): computed when whole (default),
    dropped when so configured, its first fragment dropped."""
    pkt = v4(CLIENT4, SERVER4, 64) / UDP(sport=1, dport=2, chksum=0) / PAY
    _, o6, c = replay("udp_zero_compute", config(), v4_in=[pkt])
    same(o6, [v6(CLIENT6, SERVER6, 63) / UDP(sport=1, dport=2) / PAY], "computed")
    _, o6, c = replay("udp_zero_drop", config(udp_zero_checksum="drop"), v4_in=[pkt])
    same(o6, [], "dropped by policy")
    expect_counts(c, drop_udp_zero_checksum=1)
    big = v4(CLIENT4, SERVER4, 64, ident=5) / UDP(sport=1, dport=2, chksum=0) / Raw(b"z" * 600)
    _, o6, c = replay("udp_zero_frag", config(), v4_in=fragment(big, fragsize=256))
    # the first fragment (with the UDP header) is refused; the later ones
    # cannot be told apart from any fragment and go on, never to be
    # reassembled into a datagram by the receiver
    if len(o6) != 2 or any(IPv6(p)[IPv6ExtHdrFragment].offset == 0 for p in o6):
        raise AssertionError("fragments: %d translated" % len(o6))
    expect_counts(c, drop_udp_zero_checksum=1)


def fragments_4to6():
    """IPv4 fragments translated one by one, no reassembly: a Fragment
    header with the IPv4 id, offset and MF; the first fragment's UDP
    checksum updated for the pseudo-header."""
    big = v4(CLIENT4, SERVER4, 64, ident=0x4242) / UDP(sport=7, dport=9) / Raw(bytes(range(256)) * 3)
    frags = fragment(big, fragsize=400)
    want = []
    whole = bytes(v6(CLIENT6, SERVER6, 63) / UDP(sport=7, dport=9) / Raw(bytes(range(256)) * 3))
    l4 = whole[40:]
    for f in frags:
        off = f.frag * 8
        n = len(f[IP].payload)
        want.append(v6(CLIENT6, SERVER6, 63) /
                    IPv6ExtHdrFragment(nh=17, offset=f.frag, m=1 if f.flags.MF else 0, id=0x4242) /
                    Raw(l4[off:off + n]))
    _, o6, c = replay("fragments_4to6", config(), v4_in=frags)
    same(o6, want, "IPv6 fragments")
    expect_counts(c, translated4=len(frags))


def df_clear_fragmented_4to6():
    """DF clear and over the lowest IPv6 MTU (1280 unless "lowest_ipv6_mtu"
    says more, RFC 7915 §4.1) or the IPv6 MTU: cut into IPv6 fragments
    (id = IPv4 id) no bigger than that; within it, sent whole."""
    def frags(o6, total, limit, ident):
        whole = bytes(v6(CLIENT6, SERVER6, 63) / UDP(sport=7, dport=9) / Raw(b"q" * total))
        l4 = whole[40:]
        chunk = (limit - 48) & ~7
        want = []
        for off in range(0, len(l4), chunk):
            want.append(v6(CLIENT6, SERVER6, 63) /
                        IPv6ExtHdrFragment(nh=17, offset=off // 8, m=int(off + chunk < len(l4)),
                                           id=ident) / Raw(l4[off:off + chunk]))
        same(o6, want, "IPv6 fragments of %d bytes at most" % limit)

    pkt = v4(CLIENT4, SERVER4, 64, ident=0x99) / UDP(sport=7, dport=9) / Raw(b"q" * 1472)
    _, o6, c = replay("df_clear_fragmented", config(), v4_in=[pkt])
    frags(o6, 1472, 1280, 0x99)
    expect_counts(c, fragmented=1)
    _, o6, c = replay("df_clear_fragmented_lowest", config(lowest_ipv6_mtu=1500), v4_in=[pkt])
    frags(o6, 1472, 1500, 0x99)
    mid = v4(CLIENT4, SERVER4, 64, ident=0x98) / UDP(sport=7, dport=9) / Raw(b"q" * 1272)
    _, o6, c = replay("df_clear_fragmented_mid", config(), v4_in=[mid])
    frags(o6, 1272, 1280, 0x98)
    _, o6, c = replay("df_clear_whole_mid", config(lowest_ipv6_mtu=1400), v4_in=[mid])
    same(o6, [v6(CLIENT6, SERVER6, 63) / UDP(sport=7, dport=9) / Raw(b"q" * 1272)], "whole")
    if c.get("fragmented", 0):
        raise AssertionError("fragmented within the lowest IPv6 MTU")


def df_too_big_4to6():
    """DF set and over the IPv6 MTU: ICMPv4 3/4 with MTU 1480 back from the
    translator's IPv4 address, quoting the packet."""
    pkt = v4(CLIENT4, SERVER4, 64, ident=3, flags="DF") / UDP(sport=7, dport=9) / Raw(b"d" * 1472)
    o4, o6, c = replay("df_too_big", config(), v4_in=[pkt])
    same(o6, [], "IPv6 out")
    if len(o4) != 1:
        raise AssertionError("expected one ICMPv4 error")
    e = IP(o4[0])
    if e.src != XLAT4 or e.dst != CLIENT4 or e[ICMP].type != 3 or e[ICMP].code != 4 or \
            e[ICMP].nexthopmtu != 1480:
        raise AssertionError("bad error: %s" % e.summary())
    expect_counts(c, icmp_errors_sent=1)


def ttl_expired_4to6():
    """TTL 1: ICMPv4 time exceeded from the translator, nothing translated."""
    pkt = v4(CLIENT4, SERVER4, 1) / UDP(sport=7, dport=9) / PAY
    o4, o6, _ = replay("ttl_expired", config(), v4_in=[pkt])
    same(o6, [], "IPv6 out")
    if len(o4) != 1 or IP(o4[0])[ICMP].type != 11 or IP(o4[0]).src != XLAT4:
        raise AssertionError("expected time exceeded from %s" % XLAT4)


def icmp_error_4to6():
    """ICMPv4 port unreachable from an IPv4 router about a packet the
    server sent: ICMPv6 1/4, the router by pool6, the quoted packet
    translated (addresses, lengths, inner UDP checksum), new checksum."""
    inner4 = v4(SERVER4, CLIENT4, 50, ident=11) / UDP(sport=53, dport=5000) / PAY
    err = v4(ROUTER4, SERVER4, 64) / ICMP(type=3, code=3) / bytes(inner4)
    _, o6, _ = replay("icmp_error_4to6", config(), v4_in=[err])
    inner6 = v6(SERVER6, CLIENT6, 50) / UDP(sport=53, dport=5000) / PAY
    same(o6, [v6(ROUTER4_6, SERVER6, 63) / ICMPv6DestUnreach(code=4) / bytes(inner6)], "IPv6 out")


def icmp_error_truncated_4to6():
    """A quote cut short (the IPv4 header and 8 bytes): translated as far as
    it goes, the inner lengths as quoted."""
    inner4 = bytes(v4(SERVER4, CLIENT4, 50, ident=11) / UDP(sport=53, dport=5000) / PAY)
    err = v4(ROUTER4, SERVER4, 64) / ICMP(type=11, code=0) / inner4[:28]
    _, o6, _ = replay("icmp_error_truncated", config(), v4_in=[err])
    inner6 = bytes(v6(SERVER6, CLIENT6, 50) / UDP(sport=53, dport=5000) / PAY)
    same(o6, [v6(ROUTER4_6, SERVER6, 63) / ICMPv6TimeExceeded(code=0) / inner6[:48]], "IPv6 out")


def frag_needed_4to6():
    """Fragmentation needed (MTU 1400) -> Packet Too Big 1420; MTU 0 -> the
    RFC 1191 plateau below the quoted length (1492 for 2000 bytes) + 20."""
    inner4 = bytes(v4(SERVER4, CLIENT4, 50, flags="DF") / TCP(sport=80, dport=40000, flags="A") /
                   Raw(b"t" * 1360))
    err = v4(ROUTER4, SERVER4, 64) / ICMP(type=3, code=4, nexthopmtu=1400) / inner4[:548]
    _, o6, _ = replay("frag_needed", config(), v4_in=[err])
    inner6 = bytes(v6(SERVER6, CLIENT6, 50) / TCP(sport=80, dport=40000, flags="A") / Raw(b"t" * 1360))
    same(o6, [v6(ROUTER4_6, SERVER6, 63) / ICMPv6PacketTooBig(mtu=1420) / inner6[:568]], "mtu 1400")
    inner4 = bytes(v4(SERVER4, CLIENT4, 50, flags="DF") / UDP(sport=80, dport=4) / Raw(b"t" * 1972))
    err = v4(ROUTER4, SERVER4, 64) / ICMP(type=3, code=4, nexthopmtu=0) / inner4[:100]
    _, o6, _ = replay("frag_needed_plateau", config(), v4_in=[err])
    if len(o6) != 1 or IPv6(o6[0])[ICMPv6PacketTooBig].mtu != 1500:
        raise AssertionError("plateau: %s" % (IPv6(o6[0]).summary() if o6 else "nothing"))
    # an IPv4 MTU of 576: the IPv6 host is told 1280, never less (RFC 7915 §5)
    inner4 = bytes(v4(SERVER4, CLIENT4, 50, flags="DF") / UDP(sport=80, dport=4) / Raw(b"s" * 700))
    err = v4(ROUTER4, SERVER4, 64) / ICMP(type=3, code=4, nexthopmtu=576) / inner4[:548]
    _, o6, _ = replay("frag_needed_576", config(), v4_in=[err])
    inner6 = bytes(v6(SERVER6, CLIENT6, 50) / UDP(sport=80, dport=4) / Raw(b"s" * 700))
    same(o6, [v6(ROUTER4_6, SERVER6, 63) / ICMPv6PacketTooBig(mtu=1280) / inner6[:568]], "mtu 576")


def nested_quote_4to6():
    """A quote that is itself an ICMP error: translation stops at the first
    embedded header, so the error is dropped (RFC 7915 §4.3); a quoted echo
    request is translated (type and checksum)."""
    innermost = bytes(v4(CLIENT4, SERVER4, 9) / UDP(sport=1, dport=2) / Raw(b"n" * 8))
    inner = v4(SERVER4, CLIENT4, 40) / ICMP(type=3, code=3) / innermost
    err = v4(ROUTER4, SERVER4, 64) / ICMP(type=11, code=0) / bytes(inner)
    echo4 = v4(SERVER4, CLIENT4, 40) / ICMP(type=8, id=5, seq=6) / PAY
    err2 = v4(ROUTER4, SERVER4, 64) / ICMP(type=11, code=0) / bytes(echo4)
    _, o6, c = replay("nested_quote", config(), v4_in=[err, err2])
    echo6 = v6(SERVER6, CLIENT6, 40) / ICMPv6EchoRequest(id=5, seq=6) / PAY
    same(o6, [v6(ROUTER4_6, SERVER6, 63) / ICMPv6TimeExceeded(code=0) / bytes(echo6)], "IPv6 out")
    expect_counts(c, drop_quote=1)


def untranslatable_4to6():
    """ICMPv4 timestamp and redirect have no ICMPv6 counterpart, IGMP is not
    translated (RFC 7915 §4.2); source route unexpired: ICMPv4 3/5 back; a
    loopback source is dropped (§4.1)."""
    ts = v4(CLIENT4, SERVER4, 64) / ICMP(type=13)
    red = v4(ROUTER4, SERVER4, 64) / ICMP(type=5, code=1, gw="1.1.1.1") / \
        bytes(v4(SERVER4, CLIENT4, 5) / UDP())
    lsrr = IP(src=CLIENT4, dst=SERVER4, ttl=64, options=[b"\x83\x07\x04\x0a\x00\x00\x01\x00"]) / UDP() / PAY
    igmp = v4(CLIENT4, SERVER4, 1 + 63, proto=2) / Raw(b"\x11\x64\xee\x9b\x00\x00\x00\x00")
    lo = v4("127.0.0.1", SERVER4, 64) / UDP(sport=1, dport=2) / PAY
    o4, o6, c = replay("untranslatable_4to6", config(), v4_in=[ts, red, lsrr, igmp, lo])
    same(o6, [], "IPv6 out")
    expect_counts(c, drop_icmp_untranslatable=3, drop_no_mapping=1)
    if len(o4) != 1 or IP(o4[0])[ICMP].type != 3 or IP(o4[0])[ICMP].code != 5:
        raise AssertionError("expected ICMPv4 3/5 for the source route")


# --- IPv6 -> IPv4 -------------------------------------------------------

def tcp_6to4():
    """TCP: traffic class -> TOS, hop limit - 1, EAM source, pool6
    destination, an id from the counter for every unfragmented packet
    (RFC 7915 §5.1), DF clear up to 1260 bytes and set above."""
    a = v6(SERVER6, CLIENT6, 64, tc=0x28) / TCP(sport=80, dport=40000, flags="SA", seq=1, ack=10) / PAY
    b = v6(SERVER6, CLIENT6, 64) / TCP(sport=80, dport=40000, flags="A") / Raw(b"b" * 1300)
    o4, _, c = replay("tcp_6to4", config(), v6_in=[a, b])
    same(o4, [v4(SERVER4, CLIENT4, 63, tos=0x28, ident=0) /
              TCP(sport=80, dport=40000, flags="SA", seq=1, ack=10) / PAY,
              v4(SERVER4, CLIENT4, 63, ident=1, flags="DF") / TCP(sport=80, dport=40000, flags="A") /
              Raw(b"b" * 1300)], "IPv4 out")
    expect_counts(c, translated6=2)


def echo_reply_6to4():
    """ICMPv6 echo reply -> ICMPv4 echo reply."""
    pkt = v6(SERVER6, CLIENT6, 64) / ICMPv6EchoReply(id=0x1234, seq=7) / PAY
    o4, _, _ = replay("echo_6to4", config(), v6_in=[pkt])
    same(o4, [v4(SERVER4, CLIENT4, 63) / ICMP(type=0, id=0x1234, seq=7) / PAY], "IPv4 out")


def fragments_6to4():
    """IPv6 fragments: the IPv4 id is the Fragment header's low 16 bits,
    offset and MF copied, DF clear."""
    whole = v6(SERVER6, CLIENT6, 64) / IPv6ExtHdrFragment(id=0x1234abcd) / UDP(sport=9, dport=7) / \
        Raw(bytes(range(200)) * 4)
    from scapy.all import fragment6
    frags = fragment6(whole, 400)
    o4, _, c = replay("fragments_6to4", config(), v6_in=frags)
    l4 = bytes(v4(SERVER4, CLIENT4, 63) / UDP(sport=9, dport=7) / Raw(bytes(range(200)) * 4))[20:]
    want = []
    for f in frags:
        fh = f[IPv6ExtHdrFragment]
        n = len(fh.payload)
        off = fh.offset * 8
        p = IP(src=SERVER4, dst=CLIENT4, ttl=63, id=0xabcd, flags="MF" if fh.m else 0,
               frag=fh.offset, proto=17) / Raw(l4[off:off + n])
        want.append(p)
    same(o4, want, "IPv4 fragments")


def ptb_6to4():
    """Packet Too Big 1400 from the server about a client packet ->
    fragmentation needed with MTU 1380; the quote translated back."""
    inner6 = bytes(v6(CLIENT6, SERVER6, 60) / TCP(sport=40000, dport=80, flags="A") / Raw(b"p" * 1400))
    err = v6(SERVER6, CLIENT6, 64) / ICMPv6PacketTooBig(mtu=1400) / inner6[:1232]
    o4, _, _ = replay("ptb_6to4", config(), v6_in=[err])
    inner4 = bytes(v4(CLIENT4, SERVER4, 60, flags="DF") / TCP(sport=40000, dport=80, flags="A") /
                   Raw(b"p" * 1400))
    same(o4, [v4(SERVER4, CLIENT4, 63) / ICMP(type=3, code=4, nexthopmtu=1380) / inner4[:1212]],
         "IPv4 out")


def fragmented_6to4():
    """Beyond the IPv4 MTU (576 here): DF clear (1260 bytes at most as IPv4)
    is fragmented by the translator as the IPv4 router it is; DF set gets a
    Packet Too Big from the translator that never says less than 1280
    (RFC 7915 §5)."""
    small = v6(SERVER6, CLIENT6, 64) / UDP(sport=9, dport=7) / Raw(bytes(range(250)) * 4)
    big = v6(SERVER6, CLIENT6, 64) / UDP(sport=9, dport=7) / Raw(b"B" * 1300)
    o4, o6, c = replay("fragmented_6to4", config(ipv4_mtu=576), v6_in=[small, big])
    whole = v4(SERVER4, CLIENT4, 63, ident=0) / UDP(sport=9, dport=7) / Raw(bytes(range(250)) * 4)
    same(o4, fragment(IP(bytes(whole)), fragsize=552), "IPv4 fragments")
    if len(o6) != 1:
        raise AssertionError("expected one Packet Too Big, got %d packets" % len(o6))
    e = IPv6(o6[0])
    if e.src != XLAT6 or e.dst != SERVER6 or ICMPv6PacketTooBig not in e or \
            e[ICMPv6PacketTooBig].mtu != 1280:
        raise AssertionError("bad error: %s" % e.summary())
    expect_counts(c, fragmented=1, icmp_errors_sent=1, translated6=1)


def ext_header_after_fragment_6to4():
    """An extension header right after the Fragment header: dropped
    (RFC 7915 §5.1); before it, skipped."""
    bad = v6(SERVER6, CLIENT6, 64) / IPv6ExtHdrFragment(nh=60, m=1, id=7) / IPv6ExtHdrDestOpt(nh=17) / \
        UDP(sport=1, dport=2) / Raw(b"x" * 16)
    good = v6(SERVER6, CLIENT6, 64) / IPv6ExtHdrDestOpt() / IPv6ExtHdrFragment(m=1, id=7) / \
        UDP(sport=1, dport=2) / Raw(b"y" * 16)
    o4, _, c = replay("ext_after_frag", config(), v6_in=[bad, good])
    expect_counts(c, drop_xlat_malformed=1, translated6=1)
    if len(o4) != 1 or IP(o4[0]).id != 7 or not IP(o4[0]).flags.MF:
        raise AssertionError("expected the second one as an IPv4 fragment")


def icmp_error_rfc6791_6to4():
    """Time exceeded from an IPv6 router with no IPv4 mapping: source
    192.0.0.8 (RFC 6791); without "rfc6791" it is dropped and counted."""
    inner6 = bytes(v6(CLIENT6, SERVER6, 1) / UDP(sport=5000, dport=53) / PAY)
    err = v6(ROUTER6, CLIENT6, 64) / ICMPv6TimeExceeded(code=0) / inner6
    o4, _, _ = replay("rfc6791", config(), v6_in=[err])
    inner4 = bytes(v4(CLIENT4, SERVER4, 1) / UDP(sport=5000, dport=53) / PAY)
    same(o4, [v4(DUMMY4, CLIENT4, 63) / ICMP(type=11, code=0) / inner4], "IPv4 out")
    cfg = config()
    del cfg["siit"]["rfc6791"]
    o4, _, c = replay("rfc6791_none", cfg, v6_in=[err])
    same(o4, [], "IPv4 out without rfc6791")
    expect_counts(c, drop_no_mapping=1)


def param_problem_6to4():
    """Parameter problem pointer 7 (hop limit) -> 12/0 pointer 8 (TTL);
    4/1 (next header) -> 3/2."""
    inner6 = bytes(v6(CLIENT6, SERVER6, 60) / UDP(sport=1, dport=2) / PAY)
    a = v6(SERVER6, CLIENT6, 64) / ICMPv6ParamProblem(code=0, ptr=7) / inner6
    b = v6(SERVER6, CLIENT6, 64) / ICMPv6ParamProblem(code=1, ptr=6) / inner6
    o4, _, _ = replay("param_problem", config(), v6_in=[a, b])
    inner4 = bytes(v4(CLIENT4, SERVER4, 60) / UDP(sport=1, dport=2) / PAY)
    same(o4, [v4(SERVER4, CLIENT4, 63, ident=0) / ICMP(type=12, code=0, ptr=8) / inner4,
              v4(SERVER4, CLIENT4, 63, ident=1) / ICMP(type=3, code=2) / inner4], "IPv4 out")


def nested_quote_6to4():
    """An ICMPv6 error quoting an ICMPv6 error is dropped (RFC 7915 §5.3);
    one quoting an echo request is translated, the quoted echo too."""
    inner6 = bytes(v6(CLIENT6, SERVER6, 60) / UDP(sport=1, dport=2) / PAY)
    err = v6(SERVER6, CLIENT6, 64) / ICMPv6TimeExceeded(code=0) / \
        bytes(v6(CLIENT6, SERVER6, 30) / ICMPv6DestUnreach(code=4) / inner6)
    echo6 = v6(CLIENT6, SERVER6, 1) / ICMPv6EchoRequest(id=3, seq=4) / PAY
    err2 = v6(SERVER6, CLIENT6, 64) / ICMPv6TimeExceeded(code=0) / bytes(echo6)
    o4, _, c = replay("nested_quote_6to4", config(), v6_in=[err, err2])
    echo4 = v4(CLIENT4, SERVER4, 1) / ICMP(type=8, id=3, seq=4) / PAY
    same(o4, [v4(SERVER4, CLIENT4, 63) / ICMP(type=11, code=0) / bytes(echo4)], "IPv4 out")
    expect_counts(c, drop_quote=1)


def eam_precedence():
    """EAM before pool6 both ways: 198.51.100.10 goes to its EAM address,
    not 64:ff9b::c633:640a; 64:ff9b::c633:640a as a source still maps by
    pool6; an address in neither is refused and counted."""
    a = v4(CLIENT4, SERVER4, 64) / UDP(sport=1, dport=2) / PAY
    b = v6("64:ff9b::c633:640a", CLIENT6, 64) / UDP(sport=3, dport=4) / PAY
    c6 = v6("2001:db8:77::1", CLIENT6, 64) / UDP(sport=3, dport=4) / PAY
    o4, o6, c = replay("eam_precedence", config(), v4_in=[a], v6_in=[b, c6])
    same(o6, [v6(CLIENT6, SERVER6, 63) / UDP(sport=1, dport=2) / PAY], "IPv6 out")
    same(o4, [v4(SERVER4, CLIENT4, 63) / UDP(sport=3, dport=4) / PAY], "IPv4 out")
    expect_counts(c, drop_no_mapping=1)


def untranslatable_6to4():
    """Neighbor solicitation, an unknown ICMPv6 error type, UDP checksum 0,
    a Routing header with segments left (ICMPv6 4/0 pointing at it)."""
    from scapy.all import ICMPv6ND_NS, IPv6ExtHdrRouting
    ns = v6(SERVER6, CLIENT6, 255) / ICMPv6ND_NS(tgt=CLIENT6)
    u0 = v6(SERVER6, CLIENT6, 64) / UDP(sport=1, dport=2, chksum=0) / PAY
    rh = v6(SERVER6, CLIENT6, 64) / IPv6ExtHdrRouting(addresses=["2001:db8::1"], segleft=1) / \
        UDP(sport=1, dport=2) / PAY
    o4, o6, c = replay("untranslatable_6to4", config(), v6_in=[ns, u0, rh])
    same(o4, [], "IPv4 out")
    expect_counts(c, drop_icmp_untranslatable=1, drop_udp_zero_checksum=1)
    if len(o6) != 1 or IPv6(o6[0])[ICMPv6ParamProblem].ptr != 43:
        raise AssertionError("expected ICMPv6 4/0 pointer 43 for segments left")


def round_trip():
    """4->6 then the IPv6 packet's mirror 6->4: what RFC 7915 keeps
    (addresses, ports, TOS, payload, TTL less the two hops) survives."""
    pkt = v4(CLIENT4, SERVER4, 64, tos=0x20) / UDP(sport=1234, dport=4321) / PAY
    _, o6, _ = replay("round_trip_a", config(), v4_in=[pkt])
    p6 = IPv6(o6[0])
    back = IPv6(src=p6.dst, dst=p6.src, hlim=p6.hlim, tc=p6.tc) / UDP(sport=p6[UDP].dport,
                                                                     dport=p6[UDP].sport) / PAY
    o4, _, _ = replay("round_trip_b", config(), v6_in=[back])
    same(o4, [v4(SERVER4, CLIENT4, 62, tos=0x20) / UDP(sport=4321, dport=1234) / PAY], "back")


for f in (udp_4to6, tcp_4to6_tos_zero, echo_4to6, udp_zero_checksum_4to6, fragments_4to6,
          df_clear_fragmented_4to6, df_too_big_4to6, ttl_expired_4to6, icmp_error_4to6,
          icmp_error_truncated_4to6, frag_needed_4to6, nested_quote_4to6, untranslatable_4to6,
          tcp_6to4, echo_reply_6to4, fragments_6to4, ptb_6to4, fragmented_6to4,
          ext_header_after_fragment_6to4, icmp_error_rfc6791_6to4,
          param_problem_6to4, nested_quote_6to4, eam_precedence, untranslatable_6to4, round_trip):
    case(f)
G.finish()
