#!/usr/bin/python3
"""Golden tests of the CE pipeline (MAP-E with its NAPT, DS-Lite B4) through
`s46 replay` with "mode": "ce", the same run loop and pcap ports as the BR's.

Each case crafts input packets with scapy, builds the expected output
independently (scapy computes lengths and checksums), runs the real
`s46 replay` and compares what leaves each side byte for byte, plus the
counters; tshark must find nothing malformed in any output. The NAPT picks
its ports in a fixed order in replay (napt_seed), so a first run tells the
external port and a second run with the reply gets the same one.
Prints one PASS/FAIL line per case.
"""

from golden import Golden, counters_have, eq
from scapy.all import (ICMP, IP, UDP, TCP, IPerror, UDPerror, IPv6, conf)

conf.verb = 0
G = Golden("ce")
case = G.case
have = counters_have

BR6 = "2001:db8:ffff::1"
MAP6 = "2001:db8:12:3400:0:c000:212:34"   # 192.0.2.18, PSID 0x34 (rfc7597 IID)
PUB4 = "192.0.2.18"
HOST = "192.168.1.2"
NET = "198.51.100.80"
AFTR = "2001:db8:aaaa::1"
B4 = "2001:db8:12:3400::b4"


def mape_config(**extra):
    c = {"mode": "ce", "prefix": "2001:db8:12:3400::/56",
         "map_e": {"version": 1, "br": BR6,
                   "rules": [{"ipv6": "2001:db8::/40", "ipv4": "192.0.2.0/24",
                              "ea_length": 16, "psid_offset": 6}]}}
    c.update(extra)
    return c


def replay(name, cfg, lan_in=(), wan_in=()):
    lan, wan, doc, _ = G.replay(name, cfg, lan_in, wan_in, conf="ce.json")
    if doc.get("pipeline") != "ce":
        raise AssertionError("pipeline %s" % doc.get("pipeline"))
    return lan, wan, doc["counters"]


def in_port_set(port):
    """192.0.2.18's ports: PSID 0x34 at offset 6 with an 8-bit PSID."""
    return port >= 1024 and (port >> 2) & 0xff == 0x34


def lan_udp(sport=40123, ttl=64, payload=b"hello"):
    return IP(src=HOST, dst=NET, ttl=ttl, id=7) / UDP(sport=sport, dport=7000) / payload


def out_port(cfg, pkt):
    """The external port the NAPT gives pkt (a first run)."""
    _, wan, _ = replay("probe", cfg, lan_in=[pkt])
    if len(wan) != 1:
        raise AssertionError("probe: %d packets to the WAN" % len(wan))
    return IPv6(wan[0])[UDP].sport


def lan_udp_encapsulated():
    pkt = lan_udp()
    lan, wan, c = replay("udp_out", mape_config(), lan_in=[pkt])
    eq(lan, [])
    if len(wan) != 1:
        raise AssertionError("%d packets to the WAN" % len(wan))
    got = IPv6(wan[0])
    port = got[UDP].sport
    if not in_port_set(port):
        raise AssertionError("external port %d outside the port set" % port)
    inner = IP(src=PUB4, dst=NET, ttl=63, id=7) / UDP(sport=port, dport=7000) / b"hello"
    want = IPv6(src=MAP6, dst=BR6, hlim=64, nh=4) / inner
    eq(wan, [bytes(want)])
    have(c, lan_in=1, encapsulated=1, to_br=1, napt_mappings_created=1, wan_out=1)


def reply_finds_mapping():
    cfg = mape_config()
    port = out_port(cfg, lan_udp())
    reply = IPv6(src=BR6, dst=MAP6, nh=4) / IP(src=NET, dst=PUB4, ttl=50, id=9) / \
        UDP(sport=7000, dport=port) / b"back"
    lan, wan, c = replay("udp_back", cfg, lan_in=[lan_udp()], wan_in=[reply])
    eq(lan, [bytes(IP(src=NET, dst=HOST, ttl=50, id=9) / UDP(sport=7000, dport=40123) / b"back")])
    have(c, decapsulated=1, lan_out=1, wan_in=1)


def reply_without_mapping_dropped():
    cfg = mape_config()
    port = out_port(cfg, lan_udp())
    other = port ^ 1 if in_port_set(port ^ 1) else port ^ 2
    stray = IPv6(src=BR6, dst=MAP6, nh=4) / IP(src=NET, dst=PUB4) / UDP(sport=7000, dport=other)
    lan, wan, c = replay("udp_stray", cfg, lan_in=[lan_udp()], wan_in=[stray])
    eq(lan, [])
    have(c, drop_napt_no_mapping=1)


def wan_source_not_br_dropped():
    cfg = mape_config()
    port = out_port(cfg, lan_udp())
    spoof = IPv6(src="2001:db8:9999::1", dst=MAP6, nh=4) / IP(src=NET, dst=PUB4) / \
        UDP(sport=7000, dport=port)
    lan, _, c = replay("spoof", cfg, lan_in=[lan_udp()], wan_in=[spoof])
    eq(lan, [])
    have(c, drop_wan_src_unknown=1)


PEER6 = "2001:db8:13:1000:0:c000:213:10"  # 192.0.2.19, PSID 0x10: an FMR CE
PEER4 = "192.0.2.19"


def mesh_peer_port_outside_its_set_dropped():
    """Mesh: a CE-to-CE packet comes straight from the peer CE; its inner
    source port must be one of the peer's (PSID 0x10 at offset 6: 16448 is,
    16452 is not). The NAPT mapping exists for both (same remote address)."""
    cfg = mape_config()
    cfg["map_e"]["mesh"] = True
    out = IP(src=HOST, dst=PEER4, ttl=64, id=7) / UDP(sport=40123, dport=16448) / b"hi"
    _, wan, c = replay("mesh_probe", cfg, lan_in=[out])
    if len(wan) != 1 or IPv6(wan[0]).dst != PEER6:
        raise AssertionError("want one packet to the peer CE %s, got %s (%s)" %
                             (PEER6, [IPv6(w).summary() for w in wan], c))
    port = IPv6(wan[0])[UDP].sport
    good = IPv6(src=PEER6, dst=MAP6, nh=4) / IP(src=PEER4, dst=PUB4, ttl=50, id=9) / \
        UDP(sport=16448, dport=port) / b"back"
    bad = IPv6(src=PEER6, dst=MAP6, nh=4) / IP(src=PEER4, dst=PUB4, ttl=50, id=10) / \
        UDP(sport=16452, dport=port) / b"spoof"
    lan, _, c = replay("mesh_spoofed_port", cfg, lan_in=[out], wan_in=[good, bad])
    eq(lan, [bytes(IP(src=PEER4, dst=HOST, ttl=50, id=9) / UDP(sport=16448, dport=40123) /
                   b"back")])
    have(c, drop_wan_spoofed_port=1, decapsulated=1, lan_out=1)


def ttl_expiring_gets_time_exceeded():
    pkt = lan_udp(ttl=1)
    lan, wan, c = replay("ttl1", mape_config(), lan_in=[pkt])
    eq(wan, [])
    if len(lan) != 1:
        raise AssertionError("%d packets back to the LAN" % len(lan))
    got = IP(lan[0])
    if got[ICMP].type != 11 or got[ICMP].code != 0 or got.dst != HOST or \
            got[IPerror].src != HOST or got[UDPerror].sport != 40123:
        raise AssertionError("not a time exceeded about the packet: %s" % got.summary())
    have(c, icmp_errors_sent=1, lan_out=1)


def icmp_error_from_wan_translated_to_lan():
    cfg = mape_config()
    port = out_port(cfg, lan_udp())
    quoted = IP(src=PUB4, dst=NET, ttl=63, id=7) / UDP(sport=port, dport=7000) / b"hello"
    err = IPv6(src=BR6, dst=MAP6, nh=4) / IP(src=NET, dst=PUB4, id=11) / \
        ICMP(type=3, code=3) / bytes(quoted)
    lan, _, c = replay("icmp_in", cfg, lan_in=[lan_udp()], wan_in=[err])
    if len(lan) != 1:
        raise AssertionError("%d packets to the LAN (counters %s)" % (len(lan), {a: b for a, b in c.items() if b}))
    got = IP(lan[0])
    if got.dst != HOST or got[ICMP].type != 3 or got[IPerror].src != HOST or \
            got[UDPerror].sport != 40123:
        raise AssertionError("quote not translated back: %s" % got.summary())


def tcp_mss_clamped():
    syn = IP(src=HOST, dst=NET) / TCP(sport=40000, dport=80, flags="S", options=[("MSS", 1460)])
    _, wan, c = replay("mss", mape_config(), lan_in=[syn])
    got = IPv6(wan[0])
    mss = dict(got[TCP].options).get("MSS")
    # 1500 - 40 (IPv6) - 20 (IPv4) - 20 (TCP)
    if mss != 1420:
        raise AssertionError("MSS %s, want 1420" % mss)
    have(c, mss_clamped=1)


def dslite_encapsulates_unchanged():
    cfg = {"mode": "ce", "dslite": {"aftr": AFTR}, "b4_ipv6": B4}
    pkt = IP(src=HOST, dst=NET, ttl=64, id=3) / UDP(sport=40123, dport=7000) / b"ds"
    lan, wan, c = replay("dslite", cfg, lan_in=[pkt])
    inner = IP(src=HOST, dst=NET, ttl=63, id=3) / UDP(sport=40123, dport=7000) / b"ds"
    eq(wan, [bytes(IPv6(src=B4, dst=AFTR, hlim=64, nh=4) / inner)])
    back = IPv6(src=AFTR, dst=B4, nh=4) / IP(src=NET, dst=HOST) / UDP(sport=7000, dport=40123)
    lan, _, c = replay("dslite_back", cfg, wan_in=[back])
    eq(lan, [bytes(IP(src=NET, dst=HOST) / UDP(sport=7000, dport=40123))])
    have(c, decapsulated=1)


def bad_config_refused():
    err = G.replay("bad", {"mode": "ce", "map_e": mape_config()["map_e"]},  # no prefix
                   conf="ce.json", expect_fail=True)
    if "prefix" not in err:
        raise AssertionError("refused without naming the prefix: %s" % err.strip())


try:
    for f in (lan_udp_encapsulated, reply_finds_mapping, reply_without_mapping_dropped,
              wan_source_not_br_dropped, mesh_peer_port_outside_its_set_dropped,
              ttl_expiring_gets_time_exceeded,
              icmp_error_from_wan_translated_to_lan, tcp_mss_clamped,
              dslite_encapsulates_unchanged, bad_config_refused):
        case(f)
finally:
    G.finish()
