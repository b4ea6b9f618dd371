#!/usr/bin/python3
"""Prints the rows of the `rules` table of tests/unit/test_xlat.c: one
RFC 7915 rule each, an input packet and the packet expected from it, both
built here with scapy (its own headers, lengths and checksums; nothing is
taken from our translator). Run it and paste its output when a row changes:

    /usr/bin/python3 tests/tools/xlat_vectors.py

Addresses are those of the unit test's SIIT map: EAM 198.51.100.0/24 <->
2001:db8:6::/120, pool6 64:ff9b::/96. Each row: name, direction (0: 4->6,
1: 6->4), mtu4, mtu6, lowest IPv6 MTU, RFC 6791 source (0: defaults or none),
input hex, expected result, expected packet hex ("" when refused: the input
must come back untouched), ICMP type/code/word the caller may send, and
frag_mtu (0: no fragmentation asked). The IPv4 id counter starts at 0x4242
for every row.
"""

from scapy.all import (ICMP, IP, UDP, TCP, IPv6, IPv6ExtHdrFragment, IPv6ExtHdrDestOpt,
                       ICMPv6EchoRequest, ICMPv6DestUnreach, ICMPv6PacketTooBig,
                       ICMPv6TimeExceeded, ICMPv6ParamProblem, Raw, conf)

conf.verb = 0
CLIENT4, CLIENT6 = "203.0.113.5", "64:ff9b::cb00:7105"
SERVER4, SERVER6 = "198.51.100.10", "2001:db8:6::a"
ROUTER4, ROUTER4_6 = "192.0.2.99", "64:ff9b::c000:263"
ID = 0x4242
PAY = Raw(b"rfc7915-vector")

rows = []


def row(name, six, inp, res, out=None, mtu4=0, mtu6=0, lowest=0, r6791=0, t=0, c=0, w=0,
        frag=0):
    rows.append((name, six, mtu4, mtu6, lowest, r6791, bytes(inp).hex(), res,
                 bytes(out).hex() if out is not None else "", t, c, w, frag))


# --- IPv4 -> IPv6 -----------------------------------------------------------
inner4 = IP(src=SERVER4, dst=CLIENT4, ttl=50, flags="DF") / TCP(sport=80, dport=40000, flags="A") / \
    Raw(b"t" * 600)
inner6 = IPv6(src=SERVER6, dst=CLIENT6, hlim=50) / TCP(sport=80, dport=40000, flags="A") / Raw(b"t" * 600)
row("s5_frag_needed_mtu_floor_1280", 0,
    IP(src=ROUTER4, dst=SERVER4, ttl=64) / ICMP(type=3, code=4, nexthopmtu=576) / bytes(inner4)[:548],
    "OK", IPv6(src=ROUTER4_6, dst=SERVER6, hlim=63) / ICMPv6PacketTooBig(mtu=1280) /
    bytes(inner6)[:568])

row("s4_2_igmp_not_translated", 0,
    IP(src=CLIENT4, dst=SERVER4, ttl=1 + 63, proto=2) / Raw(b"\x11\x64\xee\x9b\x00\x00\x00\x00"),
    "ICMP_TYPE")

innermost = bytes(IP(src=CLIENT4, dst=SERVER4, ttl=9) / UDP(sport=1, dport=2) / Raw(b"n" * 8))
row("s4_3_quote_of_an_error_refused", 0,
    IP(src=ROUTER4, dst=SERVER4, ttl=64) / ICMP(type=11, code=0) /
    bytes(IP(src=SERVER4, dst=CLIENT4, ttl=40) / ICMP(type=3, code=3) / innermost),
    "QUOTE")

row("s4_3_quoted_echo_translated", 0,
    IP(src=ROUTER4, dst=SERVER4, ttl=64) / ICMP(type=3, code=1) /
    bytes(IP(src=SERVER4, dst=CLIENT4, ttl=50) / ICMP(type=8, id=1, seq=2) / PAY),
    "OK", IPv6(src=ROUTER4_6, dst=SERVER6, hlim=63) / ICMPv6DestUnreach(code=0) /
    bytes(IPv6(src=SERVER6, dst=CLIENT6, hlim=50) / ICMPv6EchoRequest(id=1, seq=2) / PAY))

big4 = IP(src=CLIENT4, dst=SERVER4, ttl=64, id=0x77) / UDP(sport=7, dport=9) / Raw(b"q" * 1272)
big6 = IPv6(src=CLIENT6, dst=SERVER6, hlim=63) / UDP(sport=7, dport=9) / Raw(b"q" * 1272)
row("s4_1_df_clear_beyond_1280_fragmented", 0, big4, "OK", big6, frag=1280)
row("s4_1_df_clear_lowest_mtu_configured", 0, big4, "OK", big6, lowest=1300, frag=1300)
row("s4_1_df_clear_within_lowest_mtu", 0, big4, "OK", big6, lowest=1400)
big4df = IP(src=CLIENT4, dst=SERVER4, ttl=64, id=0x77, flags="DF") / UDP(sport=7, dport=9) / \
    Raw(b"q" * 1272)
row("s4_1_df_set_not_fragmented", 0, big4df, "OK", big6)
row("s4_1_df_set_too_big", 0, big4df, "TOO_BIG", mtu6=1300, t=3, c=4, w=1280)

row("s4_1_df_set_fragment_too_big", 0,
    IP(src=CLIENT4, dst=SERVER4, ttl=64, id=0x78, flags="DF+MF", proto=17) / Raw(b"g" * 1280),
    "TOO_BIG", mtu6=1300, t=3, c=4, w=1272)
row("s4_1_illegal_source_dropped", 0,
    IP(src="127.0.0.1", dst=SERVER4, ttl=64) / UDP(sport=1, dport=2) / PAY, "NO_MAPPING")
row("s4_1_illegal_source_multicast_dropped", 0,
    IP(src="224.0.0.9", dst=SERVER4, ttl=64) / UDP(sport=1, dport=2) / PAY, "NO_MAPPING")
quote4 = bytes(IP(src=SERVER4, dst=CLIENT4, ttl=50) / UDP(sport=53, dport=5000) / PAY)
quote6 = bytes(IPv6(src=SERVER6, dst=CLIENT6, hlim=50) / UDP(sport=53, dport=5000) / PAY)
row("s4_1_illegal_source_kept_in_icmp_error", 0,
    IP(src="0.0.0.0", dst=SERVER4, ttl=64) / ICMP(type=3, code=3) / quote4,
    "OK", IPv6(src="64:ff9b::", dst=SERVER6, hlim=63) / ICMPv6DestUnreach(code=4) / quote6)

# --- IPv6 -> IPv4 -----------------------------------------------------------
row("s5_1_id_generated_when_df_set", 1,
    IPv6(src=SERVER6, dst=CLIENT6, hlim=64) / UDP(sport=9, dport=7) / Raw(b"b" * 1272),
    "OK", IP(src=SERVER4, dst=CLIENT4, ttl=63, id=ID, flags="DF") / UDP(sport=9, dport=7) /
    Raw(b"b" * 1272))
row("s5_1_id_generated_df_clear_up_to_1260", 1,
    IPv6(src=SERVER6, dst=CLIENT6, hlim=64) / UDP(sport=9, dport=7) / Raw(b"b" * 1232),
    "OK", IP(src=SERVER4, dst=CLIENT4, ttl=63, id=ID) / UDP(sport=9, dport=7) / Raw(b"b" * 1232))

pp_inner6 = bytes(IPv6(src=CLIENT6, dst=SERVER6, hlim=60) / UDP(sport=1, dport=2) / PAY)
pp_inner4 = bytes(IP(src=CLIENT4, dst=SERVER4, ttl=60, id=0) / UDP(sport=1, dport=2) / PAY)
row("s5_2_pointer_flow_label_not_translated", 1,
    IPv6(src=SERVER6, dst=CLIENT6, hlim=64) / ICMPv6ParamProblem(code=0, ptr=2) / pp_inner6,
    "ICMP_TYPE")
row("s5_2_pointer_flow_label_3_not_translated", 1,
    IPv6(src=SERVER6, dst=CLIENT6, hlim=64) / ICMPv6ParamProblem(code=0, ptr=3) / pp_inner6,
    "ICMP_TYPE")
row("s5_2_pointer_traffic_class", 1,
    IPv6(src=SERVER6, dst=CLIENT6, hlim=64) / ICMPv6ParamProblem(code=0, ptr=1) / pp_inner6,
    "OK", IP(src=SERVER4, dst=CLIENT4, ttl=63, id=ID) / ICMP(type=12, code=0, ptr=1) / pp_inner4)

row("s5_3_quote_of_an_error_refused", 1,
    IPv6(src=SERVER6, dst=CLIENT6, hlim=64) / ICMPv6TimeExceeded(code=0) /
    bytes(IPv6(src=CLIENT6, dst=SERVER6, hlim=30) / ICMPv6DestUnreach(code=4) / pp_inner6),
    "QUOTE")
row("s5_3_quoted_echo_translated", 1,
    IPv6(src=SERVER6, dst=CLIENT6, hlim=64) / ICMPv6TimeExceeded(code=0) /
    bytes(IPv6(src=CLIENT6, dst=SERVER6, hlim=1) / ICMPv6EchoRequest(id=3, seq=4) / PAY),
    "OK", IP(src=SERVER4, dst=CLIENT4, ttl=63, id=ID) / ICMP(type=11, code=0) /
    bytes(IP(src=CLIENT4, dst=SERVER4, ttl=1, id=0) / ICMP(type=8, id=3, seq=4) / PAY))

row("s5_1_extension_header_after_fragment_header", 1,
    IPv6(src=SERVER6, dst=CLIENT6, hlim=64) / IPv6ExtHdrFragment(nh=60, m=1, id=7) /
    IPv6ExtHdrDestOpt(nh=17) / UDP(sport=1, dport=2) / Raw(b"x" * 16), "MALFORMED")

row("s5_1_illegal_source_loopback_error_dropped", 1,
    IPv6(src="::1", dst=CLIENT6, hlim=64) / ICMPv6TimeExceeded(code=0) / pp_inner6,
    "NO_MAPPING", r6791=0xc0000008)

mid6 = IPv6(src=SERVER6, dst=CLIENT6, hlim=64) / UDP(sport=9, dport=7) / Raw(b"m" * 952)
mid4 = IP(src=SERVER4, dst=CLIENT4, ttl=63, id=ID) / UDP(sport=9, dport=7) / Raw(b"m" * 952)
row("s5_df_clear_beyond_mtu4_fragmented", 1, mid6, "OK", mid4, mtu4=576, frag=576)
df6 = IPv6(src=SERVER6, dst=CLIENT6, hlim=64) / UDP(sport=9, dport=7) / Raw(b"d" * 1372)
row("s5_df_set_beyond_mtu4_ptb_floor_1280", 1, df6, "TOO_BIG", mtu4=1000, t=2, w=1280)
row("s5_df_set_beyond_mtu4_ptb", 1, df6, "TOO_BIG", mtu4=1300, t=2, w=1320)
row("s5_1_1_fragment_beyond_mtu4_fragmented", 1,
    IPv6(src=SERVER6, dst=CLIENT6, hlim=64) / IPv6ExtHdrFragment(nh=17, offset=100, m=1, id=0xabcd1234) /
    Raw(b"f" * 1352), "OK",
    IP(src=SERVER4, dst=CLIENT4, ttl=63, id=0x1234, flags="MF", frag=100, proto=17) / Raw(b"f" * 1352),
    mtu4=1300, frag=1300)

for r in rows:
    (name, six, mtu4, mtu6, lowest, r6791, inp, res, out, t, c, w, frag) = r
    print('    {"%s", %d, %d, %d, %d, 0x%x,\n     "%s",\n     S46_XR_%s, "%s",\n     %d, %d, %d, %d},'
          % (name, six, mtu4, mtu6, lowest, r6791, inp, res, out, t, c, w, frag))
