#!/usr/bin/python3
"""Writes a seed corpus for fuzz_pipelines: valid packets of every kind the
pipelines handle, prefixed with the selector byte (0 BR IPv4 side, 1 BR IPv6
side, 2 CE LAN, 3 CE WAN, 4/5 DS-Lite B4 LAN/WAN, 6/7 ipip CE LAN/WAN,
8/9 464XLAT CLAT LAN/WAN, 10/11 MAP-T CE, 12/13 lwB4, 14/15 lwAFTR, 16/17
DS-Lite AFTR, 18/19 NAT64, 20/21 SIIT, 22/23 MAP-T BR: even the IPv4 side,
odd the IPv6 side, with the addresses of tests/fuzz/fuzz_pipelines.c)."""
import os
import sys
from scapy.all import IP, IPv6, UDP, TCP, ICMP, IPerror, Raw, IPv6ExtHdrDestOpt, PadN, ICMPv6EchoRequest, ICMPv6EchoReply, ICMPv6PacketTooBig, IPv6ExtHdrFragment, fragment, fragment6
from scapy.layers.inet6 import HBHOptUnknown

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
BR, CE = "2001:db8:ffff::1", "2001:db8:12:3400:0:c000:212:34"
inner = IP(src="192.0.2.18", dst="198.51.100.80") / UDP(sport=1232, dport=7) / Raw(b"x" * 20)
down = IP(src="198.51.100.80", dst="192.0.2.18") / TCP(sport=80, dport=1233, flags="SA", options=[("MSS", 1460)])
seeds = {
    "br4_udp": (0, [IP(src="1.2.3.4", dst="192.0.2.18") / UDP(sport=53, dport=1232)]),
    "br4_icmp_err": (0, [IP(src="1.2.3.4", dst="192.0.2.18") / ICMP(type=3, code=3) / IPerror(bytes(inner))]),
    "br4_frags": (0, fragment(IP(src="1.2.3.4", dst="192.0.2.18") / UDP(sport=5, dport=1232) / Raw(b"y" * 900), 300)),
    "br6_ok": (1, [IPv6(src=CE, dst=BR) / inner]),
    "br6_destopt": (1, [IPv6(src=CE, dst=BR) / IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=4, optdata=b"\x04"), PadN(optdata=b"\x00")]) / inner]),
    "br6_echo": (1, [IPv6(src=CE, dst=BR) / ICMPv6EchoRequest()]),
    "br6_ptb": (1, [IPv6(src="2001:db8::9", dst=BR) / ICMPv6PacketTooBig(mtu=1280) / bytes(IPv6(src=BR, dst=CE) / down)]),
    "ce_lan": (2, [IP(src="192.168.1.2", dst="198.51.100.80") / TCP(sport=40000, dport=80, flags="S", options=[("MSS", 1460)]),
                   IP(src="192.168.1.2", dst="198.51.100.80") / UDP(sport=40001, dport=53),
                   IP(src="192.168.1.2", dst="198.51.100.80") / ICMP(id=77)]),
    "ce_wan": (3, [IPv6(src=BR, dst=CE) / down,
                   IPv6(src=BR, dst=CE) / IP(src="198.51.100.80", dst="192.0.2.18") / ICMP(type=3, code=4) / IPerror(bytes(inner))]),
}
B4, FIX = "2001:db8:f001::2", "203.0.113.3"
big = IP(src="192.168.1.2", dst="198.51.100.80", flags=0) / UDP(sport=40002, dport=9) / Raw(b"z" * 1300)
seeds.update({
    "dslite_lan": (4, [IP(src="192.168.1.2", dst="198.51.100.80", ttl=1) / UDP(sport=40001, dport=53),
                       IP(src="192.168.1.2", dst="198.51.100.80", flags="DF") / TCP(sport=40000, dport=80, flags="S", options=[("MSS", 1460)]) / Raw(b"d" * 1300),
                       big]),
    "dslite_wan": (5, [IPv6(src=BR, dst=B4) / IP(src="198.51.100.80", dst="192.168.1.2") / down[TCP]]
                   + [IPv6(src=BR, dst=B4) / f for f in fragment(IP(src="198.51.100.80", dst="192.168.1.2") / UDP(sport=9, dport=40002) / Raw(b"w" * 900), 400)]),
    "ipip_lan": (6, [IP(src=FIX, dst="198.51.100.80") / UDP(sport=5000, dport=53),
                     IP(src="192.168.1.2", dst="198.51.100.80") / TCP(sport=40000, dport=80, flags="S"),
                     IP(src="192.168.1.2", dst="198.51.100.80") / ICMP(id=78)]),
    "ipip_wan": (7, [IPv6(src=BR, dst=B4) / IP(src="198.51.100.80", dst=FIX) / UDP(sport=53, dport=5000),
                     IPv6(src=BR, dst=B4) / IP(src="198.51.100.80", dst="203.0.113.1") / ICMP(type=3, code=4) / IPerror(bytes(IP(src="203.0.113.1", dst="198.51.100.80") / UDP(sport=1024, dport=53)))]),
})
CLAT6, SRV6 = "2001:db8:12:3400::c1a7", "64:ff9b::c633:6450"
quoted6 = IPv6(src=CLAT6, dst=SRV6) / UDP(sport=1024, dport=7) / Raw(b"q" * 20)
seeds.update({
    "clat_lan": (8, [IP(src="192.168.1.2", dst="198.51.100.80") / TCP(sport=40000, dport=80, flags="S", options=[("MSS", 1460)]),
                     IP(src="192.168.1.2", dst="198.51.100.80") / UDP(sport=40001, dport=7),
                     IP(src="192.168.1.2", dst="198.51.100.80") / ICMP(id=79),
                     IP(src="192.168.1.2", dst="198.51.100.80", flags="DF") / UDP(sport=40002, dport=7) / Raw(b"d" * 1480)]
                 + fragment(IP(src="192.168.1.2", dst="198.51.100.80") / UDP(sport=40003, dport=7) / Raw(b"f" * 1900), 800)),
    "clat_wan": (9, [IPv6(src=SRV6, dst=CLAT6) / UDP(sport=7, dport=1024) / Raw(b"r" * 20),
                     IPv6(src=SRV6, dst=CLAT6) / ICMPv6EchoReply(id=1025),
                     IPv6(src="2001:db8::9", dst=CLAT6) / ICMPv6PacketTooBig(mtu=1280) / bytes(quoted6)]
                 + fragment6(IPv6(src=SRV6, dst=CLAT6) / IPv6ExtHdrFragment(id=9) / UDP(sport=7, dport=1024) / Raw(b"g" * 1900), 1280)),
})
DMR_SRV = "2001:db8:ffff:0:c6:3364:5000:0"   # 198.51.100.80 in the DMR 2001:db8:ffff::/64
LWB4, LWAFTR, AFTR, H6 = "2001:db8:1::2", "2001:db8:ffff::1", "2001:db8:ffff::2", "2001:db8:1::9"
N64SRV = "64:ff9b::c633:6450"
seeds.update({
    "mapt_ce_lan": (10, [IP(src="192.168.1.2", dst="198.51.100.80") / TCP(sport=40000, dport=80, flags="S", options=[("MSS", 1460)]),
                         IP(src="192.168.1.2", dst="198.51.100.80") / UDP(sport=40001, dport=53),
                         IP(src="192.168.1.2", dst="198.51.100.80") / ICMP(id=80)]),
    "mapt_ce_wan": (11, [IPv6(src=DMR_SRV, dst=CE) / UDP(sport=53, dport=1232) / Raw(b"a" * 20),
                         IPv6(src=DMR_SRV, dst=CE) / ICMPv6EchoReply(id=1233)]),
    "lwb4_lan": (12, [IP(src="192.168.1.2", dst="198.51.100.80") / UDP(sport=40001, dport=53),
                      IP(src="192.168.1.2", dst="198.51.100.80") / TCP(sport=40000, dport=80, flags="S")]),
    "lwb4_wan": (13, [IPv6(src=LWAFTR, dst=LWB4) / IP(src="198.51.100.80", dst="192.0.2.1") / UDP(sport=53, dport=1040)]),
    "lwaftr4": (14, [IP(src="198.51.100.80", dst="192.0.2.1") / UDP(sport=53, dport=1040),
                     IP(src="198.51.100.80", dst="192.0.2.2") / ICMP(type=0, id=5)]),
    "lwaftr6": (15, [IPv6(src=LWB4, dst=LWAFTR) / IP(src="192.0.2.1", dst="198.51.100.80") / UDP(sport=1040, dport=53),
                     IPv6(src="2001:db8:1::4", dst=LWAFTR) / IP(src="192.0.2.2", dst="192.0.2.1") / UDP(sport=9, dport=1041)]),
    "aftr4": (16, [IP(src="198.51.100.80", dst="192.0.2.129") / UDP(sport=53, dport=1100)]),
    "aftr6": (17, [IPv6(src=H6, dst=AFTR) / IP(src="192.168.1.2", dst="198.51.100.80") / UDP(sport=40001, dport=53),
                   IPv6(src=H6, dst=AFTR) / IP(src="192.168.1.2", dst="198.51.100.80") / TCP(sport=40000, dport=80, flags="S"),
                   IPv6(src=H6, dst=AFTR) / IP(src="192.168.1.2", dst="192.0.2.129") / ICMP(id=81)]),
    "nat64_4": (18, [IP(src="198.51.100.80", dst="198.51.100.129") / UDP(sport=53, dport=1100)]),
    "nat64_6": (19, [IPv6(src=H6, dst=N64SRV) / UDP(sport=40001, dport=53),
                     IPv6(src=H6, dst=N64SRV) / TCP(sport=40000, dport=80, flags="S"),
                     IPv6(src=H6, dst=N64SRV) / ICMPv6EchoRequest(id=82)]),
    # host 2 opens a mapping, the host sends it a datagram too big for the
    # way back (ipv6_mtu 1280) through the pool: a hairpin refused, its error
    "nat64_hairpin": (19, [IPv6(src=H6.replace("::", "::2:"), dst=N64SRV) / UDP(sport=40002, dport=53),
                           IPv6(src=H6, dst="64:ff9b::c633:6480") / UDP(sport=40003, dport=1024) /
                           Raw(b"h" * 1300)]),
    "siit4": (20, [IP(src="192.0.2.5", dst="198.51.100.5") / UDP(sport=53, dport=1100),
                   IP(src="192.0.2.5", dst="198.51.100.5") / ICMP(type=8, id=83)]),
    "siit6": (21, [IPv6(src="2001:db8:6::5", dst="64:ff9b::c000:205") / UDP(sport=1100, dport=53),
                   IPv6(src="2001:db8:6::5", dst="64:ff9b::c000:205") / ICMPv6EchoReply(id=83)]),
    "mapt_br4": (22, [IP(src="198.51.100.80", dst="192.0.2.18") / UDP(sport=53, dport=1232)]),
    "mapt_br6": (23, [IPv6(src=CE, dst=DMR_SRV) / UDP(sport=1232, dport=53) / Raw(b"b" * 20)]),
})
for name, (sel, pkts) in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes([sel]) + b"S46|".join(bytes(p) for p in pkts))
