#!/usr/bin/env python3
"""A user-space RFC 2473 IPv4-in-IPv6 tunnel end point for the CE's DS-Lite
and ipip tests (the test kernel has no ip6_tunnel module): it stands for the
AFTR / the ipip remote. It sniffs IPv6 packets with next header 4 whose
destination is one of the --remote addresses on --iface, logs every inner
IPv4 packet as one JSON line, and answers inner ICMP echo requests with an
encapsulated echo reply (outer source = the remote address the request was
sent to, outer destination = the request's outer source; inner addresses
swapped), sent at layer 2 back to the router the request came from.

The remote addresses must NOT be assigned to an interface of this namespace
(route them here, blackhole them, forwarding off): the kernel then drops the
packets silently and only this program answers.

Usage: tunnel_peer.py --iface IF --remote ADDR [--remote ADDR ...]
                      --log FILE [--ready FILE] [--no-reply]"""
import argparse
import json
import sys

from scapy.all import ICMP, IP, Ether, IPv6, Raw, conf, sendp, sniff

conf.verb = 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iface", required=True)
    ap.add_argument("--remote", action="append", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--ready")
    ap.add_argument("--no-reply", action="store_true")
    a = ap.parse_args()
    remotes = {r.lower() for r in a.remote}
    log = open(a.log, "a", buffering=1)

    def handle(p):
        if not p.haslayer(IPv6) or not p.haslayer(Ether):
            return
        o = p[IPv6]
        if o.nh != 4 or o.dst.lower() not in remotes or not isinstance(o.payload, IP):
            return
        i = o[IP]
        rec = {"outer_src": o.src, "outer_dst": o.dst, "hlim": o.hlim, "tc": o.tc,
               "src": i.src, "dst": i.dst, "proto": i.proto, "ttl": i.ttl, "tos": i.tos,
               "len": i.len}
        if i.haslayer(ICMP):
            rec["icmp_type"] = i[ICMP].type
            rec["icmp_id"] = i[ICMP].id
            rec["icmp_seq"] = i[ICMP].seq
        log.write(json.dumps(rec) + "\n")
        if a.no_reply or not i.haslayer(ICMP) or i[ICMP].type != 8 or i.frag or i.flags.MF:
            return
        q = i[ICMP]
        reply = (Ether(src=p[Ether].dst, dst=p[Ether].src) /
                 IPv6(src=o.dst, dst=o.src, nh=4, hlim=64, tc=o.tc) /
                 IP(src=i.dst, dst=i.src, ttl=64, tos=i.tos, proto=1) /
                 ICMP(type=0, code=0, id=q.id, seq=q.seq) /
                 Raw(bytes(q.payload)))
        sendp(reply, iface=a.iface)

    def started():
        if a.ready:
            open(a.ready, "w").write("ready\n")

    sniff(iface=a.iface, filter="ip6", prn=handle, store=False, started_callback=started)


if __name__ == "__main__":
    sys.exit(main())
