#!/usr/bin/python3
"""UDP flows with sequence numbers, echoed back, to see a path fail over.

  udp_flows.py echo ADDR PORT
      an echo server: sends every datagram back to where it came from
  udp_flows.py send ADDR PORT --flows N --pps R --seconds S --out FILE
      N sockets (N source ports, so N flows for an ECMP hash), R packets/s
      in all, round robin over the flows, for S seconds; each packet carries
      its flow, sequence number and send time; every echo is recorded with
      its arrival time. FILE (JSON): the send times per flow and the echoes.
  udp_flows.py report FILE --event T [--window W]
      what the flows saw around the event at time T (s since the epoch,
      the clock the send times use): per flow whose packets sent in
      [T - 0.1, T + W] (W = 2 s) went missing, how many, for how long (from
      the first lost packet's send time to the last one's, plus one
      interval), and the reroute time: the arrival of the first echo after
      the loss, minus T. Then a summary line:
        summary flows=N affected=K lost=L reroute_ms=X outage_ms=Y late_lost=Z silent_flows=F
      (the worst flow's reroute and outage; late_lost: losses after
      T + W; silent_flows: flows with no echo in the last 0.5 s sent).
"""
import argparse
import json
import select
import socket
import struct
import sys
import time

FMT = "!IId"  # flow, sequence number, send time


def echo(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.bind((addr, port))
    while True:
        data, peer = s.recvfrom(2048)
        s.sendto(data, peer)


def send(a):
    socks = []
    for _ in range(a.flows):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        s.connect((a.addr, a.port))
        s.setblocking(False)
        socks.append(s)
    sent = [[] for _ in socks]
    recv = []
    interval = 1.0 / a.pps
    start = time.time()
    end = start + a.seconds
    nxt, i = start, 0
    pad = b"\0" * 32

    def drain(timeout):
        r, _, _ = select.select(socks, [], [], max(timeout, 0))
        for s in r:
            while True:
                try:
                    data = s.recv(2048)
                except BlockingIOError:
                    break
                except OSError:  # e.g. an ICMP error reported on the socket
                    continue
                f, q, t = struct.unpack_from(FMT, data)
                recv.append((f, q, t, time.time()))

    while True:
        now = time.time()
        if now >= end:
            break
        while nxt <= now:
            f = i % a.flows
            t = time.time()
            try:
                socks[f].send(struct.pack(FMT, f, len(sent[f]), t) + pad)
            except OSError:
                pass
            sent[f].append(t)
            i += 1
            nxt += interval
        drain(nxt - time.time())
    quiet = time.time() + 0.5  # the last echoes
    while time.time() < quiet:
        drain(quiet - time.time())
    with open(a.out, "w") as fh:
        json.dump({"flows": a.flows, "pps": a.pps, "start": start, "end": end,
                   "sent": sent, "recv": recv}, fh)


def report(a):
    with open(a.file) as fh:
        d = json.load(fh)
    flows, T, W = d["flows"], a.event, a.window
    per_flow_interval = flows / d["pps"]
    got = [dict() for _ in range(flows)]
    for f, q, t, r in d["recv"]:
        got[f][q] = r
    affected = lost_total = late = silent = 0
    worst_reroute = worst_outage = 0.0
    for f in range(flows):
        sent = d["sent"][f]
        lost = [q for q in range(len(sent)) if q not in got[f]]
        inwin = [q for q in lost if T - 0.1 <= sent[q] <= T + W]
        late += sum(1 for q in lost if sent[q] > T + W and sent[q] < d["end"] - 0.1)
        tail = [q for q in range(len(sent)) if sent[q] >= d["end"] - 0.5]
        if tail and not any(q in got[f] for q in tail):
            silent += 1
        if not inwin:
            continue
        affected += 1
        lost_total += len(inwin)
        outage = sent[inwin[-1]] - sent[inwin[0]] + per_flow_interval
        after = [got[f][q] for q in range(inwin[-1] + 1, len(sent)) if q in got[f]]
        reroute = (min(after) - T) if after else float("inf")
        worst_reroute = max(worst_reroute, reroute)
        worst_outage = max(worst_outage, outage)
        print("flow %d: %d lost, outage %.1f ms, first echo after the loss %.1f ms after the event"
              % (f, len(inwin), outage * 1e3, reroute * 1e3))
    print("summary flows=%d affected=%d lost=%d reroute_ms=%.1f outage_ms=%.1f late_lost=%d silent_flows=%d"
          % (flows, affected, lost_total, worst_reroute * 1e3, worst_outage * 1e3, late, silent))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("echo")
    e.add_argument("addr")
    e.add_argument("port", type=int)
    s = sub.add_parser("send")
    s.add_argument("addr")
    s.add_argument("port", type=int)
    s.add_argument("--flows", type=int, default=8)
    s.add_argument("--pps", type=float, default=2000)
    s.add_argument("--seconds", type=float, default=5)
    s.add_argument("--out", required=True)
    r = sub.add_parser("report")
    r.add_argument("file")
    r.add_argument("--event", type=float, required=True)
    r.add_argument("--window", type=float, default=2.0)
    a = p.parse_args()
    if a.cmd == "echo":
        echo(a.addr, a.port)
    elif a.cmd == "send":
        send(a)
    else:
        report(a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
