#!/usr/bin/python3
"""A tiny test CE for the BR integration test: IPv4 packets the kernel routes
into a TUN device are sent to the BR inside IPv6 (RFC 2473, next header 4)
from a fixed MAP address through a raw socket, and IPv4-in-IPv6 packets that
arrive are written back into the TUN. No NAT, no rules: the test gives it a
full-address MAP rule. Usage: minice.py TUN MAP_ADDRESS BR_ADDRESS"""
import fcntl
import os
import select
import socket
import struct
import sys

TUNSETIFF, IFF_TUN, IFF_NO_PI = 0x400454ca, 0x0001, 0x1000
tun_name, src, br = sys.argv[1], sys.argv[2], sys.argv[3]
tun = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(tun, TUNSETIFF, struct.pack("16sH", tun_name.encode(), IFF_TUN | IFF_NO_PI))
raw = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 4)
raw.bind((src, 0))
print("minice: ready", flush=True)
while True:
    r, _, _ = select.select([tun, raw], [], [])
    if tun in r:
        pkt = os.read(tun, 65535)
        if pkt and pkt[0] >> 4 == 4:
            raw.sendto(pkt, (br, 0))
    if raw in r:
        data, addr = raw.recvfrom(65535)
        if addr[0] == br and data and data[0] >> 4 == 4:
            os.write(tun, data)
