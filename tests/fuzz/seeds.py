#!/usr/bin/python3
"""Writes a seed corpus for fuzz_pipelines: valid packets of every kind the
pipelines handle, prefixed with the selector byte (0 BR IPv4 side, 1 BR IPv6
side, 2 CE LAN, 3 CE WAN)."""
import os
import sys
from scapy.all import IP, IPv6, UDP, TCP, ICMP, IPerror, Raw, IPv6ExtHdrDestOpt, PadN, ICMPv6EchoRequest, ICMPv6PacketTooBig, fragment
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
for name, (sel, pkts) in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes([sel]) + b"S46|".join(bytes(p) for p in pkts))
