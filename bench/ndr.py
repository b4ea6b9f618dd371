#!/usr/bin/env python3
"""RFC 2544 non-drop-rate (NDR) benchmark of s46-br / s46-ce on veth, next to
the kernel's own forwarding on the same path, in the same run.

Run by bench/io.sh (which cleans up after an interrupt too); not a test.

Topology, one set of namespaces per measurement (prefix $IO_PREFIX):
  PFX-g (generator: trafgen pinned to CPU 0) --veth g0|din-- PFX-d (the DUT,
  pinned to CPU 1; RPS steers its ingress to CPU 1) --veth dout|s0-- PFX-s
  (the sink: counts with the rx counter of s0 and drops in tc ingress).
Offered load: trafgen (its sendto path, -t 0) through a token bucket (tbf)
on g0 at the trial's rate: evenly spaced frames (trafgen's own -b sends a
second's worth of packets in one burst).
Sent = tx_packets + tx_dropped of g0 (a veth counts a packet its peer could
not queue as tx_dropped); received = rx_packets of s0; a trial passes when
(sent - received) <= 0.001 % of sent.
"Size" is the IPv4 packet length (IPv4 header + UDP + payload) on the IPv4
side; the encapsulated packet is 40 bytes more, plus 14 of Ethernet.
Flows: distinct CE addresses (BR) or LAN source ports (CE), made with
trafgen's per-byte counters of coprime periods (so 10 000 is 9 999 and
1 000 000 is 999 900 distinct values).
Environment: IO_TRIAL_S (10), IO_QUICK=1 (2 s trials, 550 B, 1 flow),
IO_CASES (comma list of br4,br6,ce4,ce6,lw4,lw6,aftr4,aftr6,nat64_4,nat64_6;
default all), IO_BUDGET_S (7200) and IO_CASE_BUDGET_S (600: a case's
remaining measurements are skipped once it spent that), IO_STEPS (7
trials per search at most), IO_SIZES (64,550,1500), IO_FLOWS (1,10000,1000000, or
2..255: one counter byte), IO_IO (--io value for the daemons when they support it),
S46_BIN (build/bin), IO_KERNEL_ONLY=1 (the kernel's side alone: checks the
generator, the packets and the topology), IO_PROFILE=1 (after each search of
s46 with one worker, one more trial at its NDR with `perf record` on the
DUT's CPU: where that CPU's time went, by binary and by symbol, printed
under the row: what a gap to the kernel is made of).
The center mechanisms (s46-br with another config): lw4/lw6 the lwAFTR
(one binding per flow: IPv4 address 10.x.y.z, PSID length 0, B4
2001:db8:1::x:yyzz), aftr4/aftr6 the DS-Lite AFTR (aftr6: one B4 per flow,
each a subscriber with one session; aftr4: the return traffic of sessions
made first, one packet definition per session, at most 64 512), nat64_4 /
nat64_6 the NAT64 (the IPv6 hosts as the AFTR's B4s, to 2001:db8:64::/96), each
next to the kernel forwarding the same input packets as plain IP, and the
NAT64 also next to tayga (stateless NAT64 on a TUN device, its dynamic
pool giving each host an IPv4 address) on the same path. Stateful cases
make their sessions first (the flows offered once at 100 kpps, or for the
return direction at 20 kpps with the external endpoints read off the
IPv4 side), so the search measures established traffic.
CPU per packet: non-idle time of the DUT's CPU(s) from /proc/stat over the
trial at the NDR, per forwarded packet (with 2 workers the DUT shares the
generator's CPU, so that figure is not printed), and the DUT process's own
utime+stime (s46) or the CPU's softirq time (kernel).
Exit status: 0, or 1 when a tool is missing or the namespaces cannot be
made; a failure inside one measurement is printed in its row.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("S46_BIN", os.path.join(ROOT, "build", "bin"))
PFX = os.environ.get("IO_PREFIX", "s46io%d" % os.getpid())
QUICK = os.environ.get("IO_QUICK", "") == "1"
TRIAL = float(os.environ.get("IO_TRIAL_S", "2" if QUICK else "10"))
BUDGET = float(os.environ.get("IO_BUDGET_S", "7200"))
CASE_BUDGET = float(os.environ.get("IO_CASE_BUDGET_S", "600"))
CASE_START = [time.monotonic()]
STEPS = int(os.environ.get("IO_STEPS", "7"))
LOSS_MAX = 0.00001  # 0.001 %
GEN_CPU, DUT_CPU = 0, 1
HZ = os.sysconf("SC_CLK_TCK")
SIZES = [int(x) for x in os.environ.get("IO_SIZES", "550" if QUICK else "64,550,1500").split(",")]
FLOWS = [int(x) for x in os.environ.get("IO_FLOWS", "1" if QUICK else "1,10000,1000000").split(",")]
KERNEL_ONLY = os.environ.get("IO_KERNEL_ONLY", "") == "1"  # checks the generator and paths
PROFILE = os.environ.get("IO_PROFILE", "") == "1"  # perf profile of the DUT's CPU at its NDR
CASES = os.environ.get("IO_CASES", "br4,br6,ce4,ce6,lw4,lw6,aftr4,aftr6,nat64_4,nat64_6").split(",")
PER_FLOW_MAX = 251 * 256  # return-direction cases: one trafgen packet definition per session
CE_MAX_FLOWS = 251 * 256  # source ports 1024..65279: the CE's port set has 64 512
START = time.monotonic()

# Addresses (documentation and private ranges, only inside our namespaces).
RULE = {"ipv6": "2001:db8::/40", "ipv4": "10.0.0.0/8", "ea_length": 24, "psid_offset": 6}
BR6 = "2001:db8:ffff::1"
INET4 = "198.51.100.80"
CE_PREFIX = "2001:db8:12:3456::/64"   # EA bits 0x123456: 10.18.52.86, psid_len 0
CE_V4 = "10.18.52.86"
CE_MAP6 = "2001:db8:12:3456:0:a12:3456:0"
LAN_HOST = "192.168.1.2"


def log(*a):
    print(*a, file=sys.stderr, flush=True)


class SetupError(Exception):
    pass


def run(args, check=True, quiet=True):
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and r.returncode != 0:
        raise SetupError("%s: %s" % (" ".join(args), r.stderr.strip()[:300]))
    return r.stdout


def nsx(ns, *args, check=True):
    return run(["ip", "netns", "exec", ns] + list(args), check=check)


# ------------------------------------------------------------------ packets
def b(*vals):
    return list(vals)


def ip4(s):
    return [int(x) for x in s.split(".")]


def ip6(s):
    import ipaddress
    return list(ipaddress.IPv6Address(s).packed)


def mac(s):
    return [int(x, 16) for x in s.split(":")]


def csum(words):
    s = 0
    for i in range(0, len(words), 2):
        s += (words[i] << 8) + words[i + 1]
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def periods(flows):
    """Coprime per-byte counter periods whose product is about `flows`."""
    return {1: [], 10000: [99, 101], 1000000: [99, 100, 101]}.get(flows) or [flows]


class Tok:
    """One byte of a trafgen packet: a constant or a runtime counter."""
    def __init__(self, v=None, period=None, lo=1, down=False):
        self.v, self.period, self.lo, self.down = v, period, lo, down

    def render(self):
        if self.period and self.down:   # 255 minus the up-counter of the same period
            return "ddec(%d, %d, 1)" % (255 - (self.lo + self.period - 1), 255 - self.lo)
        if self.period:
            return "dinc(%d, %d, 1)" % (self.lo, self.lo + self.period - 1)
        return "%d" % self.v


def const(bs):
    return [Tok(x) for x in bs]


def ipv4_hdr(size, src, dst, proto=17, dyn_csum_at=None):
    """Tokens of an IPv4 header (src/dst: token lists); checksum constant
    when no counter is in it, else trafgen's csumip at the given offset."""
    h = const(b(0x45, 0, size >> 8, size & 0xFF, 0, 0, 0, 0, 64, proto))
    dyn = any(t.period for t in src + dst)
    if not dyn:
        c = csum([t.v for t in h] + [0, 0] + [t.v for t in src + dst])
        return h + const(b(c >> 8, c & 0xFF)) + src + dst
    return h + [("csum", dyn_csum_at)] + src + dst


def udp(sport, dport, size):
    ln = size - 20
    return sport + dport + const(b(ln >> 8, ln & 0xFF, 0, 0))  # checksum 0: none (IPv4)


def port(p):
    return const(b(p >> 8, p & 0xFF))


def render(frame, payload):
    out = []
    i = 0
    while i < len(frame):
        t = frame[i]
        if isinstance(t, tuple):  # ("csum", offset of the IPv4 header)
            off = t[1]
            out.append("csumip(%d, %d)" % (off, off + 19))  # two bytes
            i += 1
            continue
        out.append(t.render())
        i += 1
    if payload > 0:
        out.append("fill(0, %d)" % payload)
    return "{ " + ", ".join(out) + " }\n"


def ce_addr_tokens(flows):
    """The varying bytes 1..3 of a CE address 10.x.y.z: counters (mirrored
    wherever the address appears, so every copy moves in step)."""
    ps = periods(flows)
    if not ps:
        return const(b(0, 0, 18))
    toks = const(b(0, 0, 0))
    for i, p in enumerate(reversed(ps)):
        toks[2 - i] = Tok(period=p)
    return toks


def cfg_br4(size, flows, dmac, smac):
    """IPv4 from the Internet to CE addresses of the rule (10.0.0.0/8)."""
    eth = const(mac(dmac) + mac(smac) + b(0x08, 0x00))
    dst = const(b(10)) + ce_addr_tokens(flows)
    f = eth + ipv4_hdr(size, const(ip4(INET4)), dst, dyn_csum_at=14) + udp(port(7000), port(10000), size)
    return render(f, size - 28)


def ce6_tokens(flows):
    """IPv6 address of the CE 10.x.y.z under RULE (RFC 7597 IID, PSID 0)."""
    v = ce_addr_tokens(flows)
    return const(b(0x20, 0x01, 0x0d, 0xb8, 0)) + v + const(b(0, 0, 10)) + \
        [Tok(t.v, t.period, t.lo) for t in v] + const(b(0, 0))


def ipv6_hdr(size4, src, dst):
    pl = size4
    return const(b(0x60, 0, 0, 0, pl >> 8, pl & 0xFF, 4, 64)) + src + dst


def cfg_br6(size, flows, dmac, smac, src6=None):
    """IPv4-in-IPv6 from CEs of the rule to the BR, inner source = the CE's
    (src6: the outer sources' tokens, default the CEs' MAP addresses)."""
    eth = const(mac(dmac) + mac(smac) + b(0x86, 0xdd))
    outer = ipv6_hdr(size, (src6 or ce6_tokens)(flows), const(ip6(BR6)))
    src4 = const(b(10)) + [Tok(t.v, t.period, t.lo) for t in ce_addr_tokens(flows)]
    f = eth + outer + ipv4_hdr(size, src4, const(ip4(INET4)), dyn_csum_at=54) + \
        udp(port(10000), port(7000), size)
    return render(f, size - 28)


def lan_port_tokens(flows):
    if flows <= 1:
        return port(40000)
    if flows >= CE_MAX_FLOWS:
        return [Tok(period=251, lo=4), Tok(period=256, lo=0)]  # 1024..65279
    ps = periods(flows)
    return [Tok(period=ps[0], lo=4), Tok(period=ps[1])]


def cfg_ce4(size, flows, dmac, smac):
    """LAN host UDP flows (distinct source ports) to one Internet host."""
    eth = const(mac(dmac) + mac(smac) + b(0x08, 0x00))
    sp = lan_port_tokens(flows)
    return render(eth + ipv4_hdr(size, const(ip4(LAN_HOST)), const(ip4(INET4))) +
                  udp(sp, port(7000), size), size - 28)


def cfg_ce6(size, ports, dmac, smac):
    """Replies from the Internet host to the CE's external ports (one packet
    per port, so one line per flow)."""
    eth = const(mac(dmac) + mac(smac) + b(0x86, 0xdd))
    outer = ipv6_hdr(size, const(ip6(BR6)), const(ip6(CE_MAP6)))
    head = eth + outer + ipv4_hdr(size, const(ip4(INET4)), const(ip4(CE_V4))) + port(7000)
    pre = ", ".join(t.render() for t in head)
    ln = size - 20
    return "".join("{ %s, %d, %d, %d, %d, 0, 0, fill(0, %d) }\n" %
                   (pre, p >> 8, p & 0xFF, ln >> 8, ln & 0xFF, size - 28) for p in ports)


# ------------------------------------------------ center mechanisms' packets
B4_PFX = [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0]   # 2001:db8:1::/104
POOL6 = "2001:db8:64::/96"     # the NAT64 prefix (network-specific: tayga, as RFC 6052 §3.1
                               # asks, translates no private or documentation IPv4 in 64:ff9b::/96)
NAT64_DST = "2001:db8:64::c633:6450"                             # 198.51.100.80 in POOL6
POOL4 = "10.64.0.0/20"   # the AFTR's and NAT64's pool (4096 addresses, 1008 blocks of 64 each)
TAYGA_POOL = "10.64.0.0/12"   # tayga maps each IPv6 host to an address of its own
B4_INNER = "192.0.0.2"   # the DS-Lite hosts' address (RFC 6333 B4 range)


def flow_values(flows):
    """The (x, y, z) byte triples trafgen's counters of ce_addr_tokens go
    through: one per flow."""
    import itertools
    per = [range(t.lo, t.lo + t.period) if t.period else [t.v] for t in ce_addr_tokens(flows)]
    return itertools.product(*per)


def b4_addr(x, y, z):
    import ipaddress
    return str(ipaddress.IPv6Address(bytes(B4_PFX + [x, y, z])))


def b4_tokens(flows):
    """The B4 (or IPv6 host) of flow x.y.z: 2001:db8:1::x:yyzz, in step with
    the IPv4 address 10.x.y.z of the same flow."""
    return const(B4_PFX) + [Tok(t.v, t.period, t.lo) for t in ce_addr_tokens(flows)]


def cfg_lw6(size, flows, dmac, smac):
    """IPv4-in-IPv6 from each binding's B4 to the lwAFTR, inner source the
    binding's IPv4 address."""
    return cfg_br6(size, flows, dmac, smac, src6=b4_tokens)


def cfg_aftr6(size, flows, dmac, smac):
    """IPv4-in-IPv6 from B4s to the AFTR: each B4's host 192.0.0.2:10000 to
    the Internet host (the inner packet is the same for every B4)."""
    eth = const(mac(dmac) + mac(smac) + b(0x86, 0xdd))
    outer = ipv6_hdr(size, b4_tokens(flows), const(ip6(BR6)))
    f = eth + outer + ipv4_hdr(size, const(ip4(B4_INNER)), const(ip4(INET4))) + \
        udp(port(10000), port(7000), size)
    return render(f, size - 28)


def cfg_nat64_6(size, flows, dmac, smac):
    """UDP from IPv6 hosts to the Internet host's address in POOL6; the
    IPv6 packet is 20 bytes longer than the IPv4 one it becomes. The
    payload's first bytes count down as the host's bytes count up (255 - x
    at the same parity), so every flow's UDP checksum is the same, computed
    here (trafgen's csumudp6 would send a sum of 0 as 0, which IPv6 forbids)."""
    eth = const(mac(dmac) + mac(smac) + b(0x86, 0xdd))
    pl = size - 20
    host = b4_tokens(flows)
    h6 = const(b(0x60, 0, 0, 0, pl >> 8, pl & 0xFF, 17, 64)) + host + const(ip6(NAT64_DST))
    mirror = [Tok(255 - t.v) if not t.period else Tok(period=t.period, lo=t.lo, down=True)
              for t in host[13:]]
    first = [t.v if not t.period else t.lo for t in host]
    data = [0] + [255 - x for x in first[13:]] + [0] * (size - 28 - 4)
    udp_h = [10000 >> 8, 10000 & 0xFF, 7000 >> 8, 7000 & 0xFF, pl >> 8, pl & 0xFF]
    c = csum(first + ip6(NAT64_DST) + [0, 0, pl >> 8, pl & 0xFF, 0, 0, 0, 17] + udp_h + [0, 0] + data) or 0xFFFF
    f = eth + h6 + const(udp_h + [c >> 8, c & 0xFF, 0]) + mirror
    return render(f, size - 28 - 4)


def udp4_csum(src, dst, sport, dport, payload_len):
    ln = 8 + payload_len
    words = ip4(src) + ip4(dst) + [0, 17, ln >> 8, ln & 0xFF] + \
        [sport >> 8, sport & 0xFF, dport >> 8, dport & 0xFF, ln >> 8, ln & 0xFF, 0, 0]
    c = csum(words)   # the payload is zeros
    return c or 0xFFFF


def cfg_to_endpoints(size, eps, dmac, smac):
    """Replies from the Internet host to external endpoints (address, port)
    of sessions (one packet definition each), UDP checksum filled."""
    eth = mac(dmac) + mac(smac) + [0x08, 0x00]
    out = []
    for a, p in eps:
        h = b(0x45, 0, size >> 8, size & 0xFF, 0, 0, 0, 0, 64, 17)
        c = csum(h + [0, 0] + ip4(INET4) + ip4(a))
        u = udp4_csum(INET4, a, 7000, p, size - 28)
        ln = size - 20
        f = eth + h + [c >> 8, c & 0xFF] + ip4(INET4) + ip4(a) + \
            [7000 >> 8, 7000 & 0xFF, p >> 8, p & 0xFF, ln >> 8, ln & 0xFF, u >> 8, u & 0xFF]
        out.append("{ %s, fill(0, %d) }\n" % (", ".join(str(x) for x in f), size - 28))
    return "".join(out)


# ------------------------------------------------------------------ topology
class Topo:
    """PFX-g --(g0|din)-- PFX-d --(dout|s0)-- PFX-s, one anchor process per
    namespace (its /proc/PID/net/dev gives the counters without a fork)."""
    n = 0

    def __init__(self):
        Topo.n += 1
        p = "%s-%d" % (PFX, Topo.n)
        self.g, self.d, self.s = p + "-g", p + "-d", p + "-s"
        self.anchor = {}
        self.procs = []
        try:
            for ns in (self.g, self.d, self.s):
                run(["ip", "netns", "add", ns])
                nsx(ns, "ip", "link", "set", "lo", "up")
                for k in ("all", "default"):
                    nsx(ns, "sysctl", "-qw", "net.ipv6.conf.%s.accept_dad=0" % k,
                        "net.ipv6.conf.%s.accept_ra=0" % k, "net.ipv6.conf.%s.router_solicitations=0" % k,
                        "net.ipv4.conf.%s.rp_filter=0" % k)
            # two queues each way, so a DUT can put one worker on each
            q = ["numtxqueues", "2", "numrxqueues", "2"]
            run(["ip", "link", "add", "g0", "netns", self.g, "mtu", "1600"] + q + ["type", "veth",
                 "peer", "name", "din", "netns", self.d, "mtu", "1600"] + q)
            run(["ip", "link", "add", "dout", "netns", self.d, "mtu", "1600"] + q + ["type", "veth",
                 "peer", "name", "s0", "netns", self.s, "mtu", "1600"] + q)
            for ns, i in ((self.g, "g0"), (self.d, "din"), (self.d, "dout"), (self.s, "s0")):
                nsx(ns, "ip", "link", "set", i, "up")
            # the DUT's ingress on its CPU (else the generator's CPU does it)
            self.rps(1 << DUT_CPU)
            # the sink drops in tc ingress after counting, all but ARP and
            # ICMPv6 (so it answers neighbour discovery): classic BPF,
            # direct action, 0 = TC_ACT_OK, 2 = TC_ACT_SHOT
            nsx(self.s, "tc", "qdisc", "add", "dev", "s0", "clsact", check=False)
            nsx(self.s, "tc", "filter", "add", "dev", "s0", "ingress", "bpf", "da", "bytecode",
                "7,40 0 0 12,21 3 0 2054,21 0 3 34525,48 0 0 20,21 0 1 58,6 0 0 0,6 0 0 2", check=False)
            nsx(self.s, "ip", "addr", "add", "203.0.113.2/24", "dev", "s0")
            nsx(self.s, "ip", "-6", "addr", "add", "2001:db8:f1ff::2/64", "dev", "s0", "nodad")
            nsx(self.g, "ip", "addr", "add", "192.0.2.2/24", "dev", "g0")
            for ns in (self.g, self.d, self.s):
                a = subprocess.Popen(["ip", "netns", "exec", ns, "sleep", "100000"])
                self.anchor[ns] = a
            self.mac = {k: self.read(ns, "/sys/class/net/%s/address" % k)
                        for ns, k in ((self.g, "g0"), (self.d, "din"), (self.d, "dout"), (self.s, "s0"))}
        except Exception:
            self.close()
            raise

    def rps(self, mask):
        nsx(self.d, "sh", "-c", "for q in /sys/class/net/din/queues/rx-*; do echo %x > $q/rps_cpus; done" % mask)

    def read(self, ns, path):
        return nsx(ns, "cat", path).strip()

    def dev(self, ns, ifname):
        """(rx_packets, tx_packets, tx_dropped) from /proc/PID/net/dev."""
        with open("/proc/%d/net/dev" % self.anchor[ns].pid) as f:
            for line in f:
                if line.strip().startswith(ifname + ":"):
                    v = line.split(":", 1)[1].split()
                    return int(v[1]), int(v[9]), int(v[11])
        raise SetupError("no interface %s in %s" % (ifname, ns))

    def kernel_forwarding(self):
        d = self.d
        nsx(d, "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1")
        nsx(d, "ip", "addr", "add", "192.0.2.1/24", "dev", "din")
        nsx(d, "ip", "-6", "addr", "add", "2001:db8:f0ff::1/64", "dev", "din", "nodad")
        nsx(d, "ip", "addr", "add", "203.0.113.1/24", "dev", "dout")
        nsx(d, "ip", "-6", "addr", "add", "2001:db8:f1ff::1/64", "dev", "dout", "nodad")
        nsx(d, "ip", "neigh", "replace", "203.0.113.2", "lladdr", self.mac["s0"], "dev", "dout", "nud", "permanent")
        nsx(d, "ip", "-6", "neigh", "replace", "2001:db8:f1ff::2", "lladdr", self.mac["s0"], "dev", "dout",
            "nud", "permanent")
        for p in ("10.0.0.0/8", "198.51.100.0/24", "192.168.1.0/24"):
            nsx(d, "ip", "route", "add", p, "via", "203.0.113.2")
        nsx(d, "ip", "-6", "route", "add", "2001:db8::/32", "via", "2001:db8:f1ff::2")

    def close(self):
        for p in self.procs:
            stop(p)
        for ns in (self.g, self.d, self.s):
            pids = run(["ip", "netns", "pids", ns], check=False).split()
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            run(["ip", "netns", "del", ns], check=False)
        for a in self.anchor.values():
            try:
                a.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass


def stop(p, sig=signal.SIGTERM):
    if p.poll() is None:
        try:
            p.send_signal(sig)
            p.wait(timeout=3)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


# ------------------------------------------------------------------ trials
def softnet_drops():
    """Frames the kernel's per-CPU input backlogs dropped (netdev_max_backlog
    reached), all CPUs, since boot: machine-wide."""
    with open("/proc/net/softnet_stat") as f:
        return sum(int(line.split()[1], 16) for line in f if line.strip())


def dut_port_drops(sock):
    """The s46 DUT's frames lost before its pipeline (the ports' rx_dropped:
    ring full, and the loop's redirect_dropped, summed) and its pipeline's
    drop counters (name: value, summed over workers); None without one."""
    try:
        j = json.loads(run([os.path.join(BIN, "s46"), "show", "--json", "--ctl", sock]))
    except (SetupError, ValueError):
        return None
    n = sum(v.get("rx_dropped", 0) for v in j.get("interfaces", {}).values() if isinstance(v, dict))
    drops = {k: v for k, v in j.get("counters", {}).items()
             if k.startswith("drop_") and isinstance(v, int)}
    return n + j.get("redirect_dropped", 0), drops  # (the loop's counters are at the top)


def cpu_jiffies(cpus):
    busy = soft = 0
    with open("/proc/stat") as f:
        for line in f:
            if not line.startswith("cpu") or line.startswith("cpu "):
                continue
            v = line.split()
            if int(v[0][3:]) in cpus:
                n = [int(x) for x in v[1:]]
                busy += sum(n[:8]) - n[3] - n[4]   # all but idle and iowait
                soft += n[6]
    return busy, soft


def proc_jiffies(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            v = f.read().rsplit(")", 1)[1].split()
        return int(v[11]) + int(v[12])
    except (OSError, IndexError):
        return 0


class Gen:
    """trafgen on the generator's CPU, paced by a token bucket (tbf) on its
    interface: trafgen's own -b sends each second's packets in one burst,
    so it only fills the bucket's queue (through the qdisc path, -q) and
    the bucket lets frames out evenly. Offered = what left the interface."""
    def __init__(self, topo, cfg_text, framelen, ns=None, dev="g0"):
        self.topo, self.ns, self.dev, self.framelen = topo, ns or topo.g, dev, framelen
        fd, self.cfg = tempfile.mkstemp(prefix="s46io", suffix=".cfg")
        with os.fdopen(fd, "w") as f:
            f.write(cfg_text)

    def tx(self):
        _, tx, txd = self.topo.dev(self.ns, self.dev)
        return tx + txd

    def pace(self, rate):
        if rate is None:
            nsx(self.ns, "tc", "qdisc", "del", "dev", self.dev, "root", check=False)
            return
        fl = self.framelen
        nsx(self.ns, "tc", "qdisc", "replace", "dev", self.dev, "root", "tbf", "rate",
            "%dbit" % int(rate * fl * 8), "burst", str(max(fl * 16, 4096)), "limit", str(fl * 256))

    def start(self, count=None):
        args = ["timeout", "-s", "KILL", str(int(TRIAL + 120)), "ip", "netns", "exec", self.ns,
                "taskset", "-c", str(GEN_CPU), "trafgen", "--no-sock-mem", "-q", "-Q", "-C", "-P", "1",
                "-t", "0", "-o", self.dev, "-i", self.cfg]
        if count:
            args += ["-n", str(count)]
        return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def trial(self, rate, secs, sink_ns=None, sink_if="s0", dut_pid=None, dut_cpus=(DUT_CPU,),
              dut_sock=None):
        """Offers `rate` pps (None: as fast as it goes) for `secs`; returns
        a dict of the counters, with where the lost packets went: the
        input backlogs, the DUT's ring (dut_sock: an s46 control socket),
        its output veth (tx_dropped of dout)."""
        t = self.topo
        sink_ns = sink_ns or t.s
        self.pace(rate)
        tx0 = self.tx()
        rx0 = t.dev(sink_ns, sink_if)[0]
        sn0, vo0 = softnet_drops(), t.dev(t.d, "dout")[2]
        ring0 = dut_port_drops(dut_sock) if dut_sock else None
        p = self.start()
        # the measurement window starts once packets flow (trafgen compiles first)
        deadline = time.monotonic() + 110
        while self.tx() == tx0:
            if p.poll() is not None or time.monotonic() > deadline:
                err = p.stderr.read() if p.poll() is not None else "no packet within 110 s"
                stop(p, signal.SIGKILL)
                raise SetupError("trafgen: " + err.strip()[-300:])
            time.sleep(0.01)
        time.sleep(0.1)
        c0, s0 = cpu_jiffies(dut_cpus)
        j0 = proc_jiffies(dut_pid) if dut_pid else 0
        a0, w0 = self.tx(), time.monotonic()
        time.sleep(secs)
        a1, w1 = self.tx(), time.monotonic()
        c1, s1 = cpu_jiffies(dut_cpus)
        j1 = proc_jiffies(dut_pid) if dut_pid else 0
        stop(p, signal.SIGINT)
        time.sleep(0.3)   # queues drain
        sent = self.tx() - tx0
        recv = t.dev(sink_ns, sink_if)[0] - rx0
        ring1 = dut_port_drops(dut_sock) if ring0 is not None else None
        where = {"backlog": softnet_drops() - sn0, "veth_out": t.dev(t.d, "dout")[2] - vo0,
                 "ring": None, "dropped": None}
        if ring1 is not None:
            grew = {k: v - ring0[1].get(k, 0) for k, v in ring1[1].items()}
            where.update(ring=ring1[0] - ring0[0], dropped={k: d for k, d in grew.items() if d > 0})
        win = a1 - a0
        fwd = win * (recv / sent) if sent else 0
        ns_per = lambda j: (j * 1e9 / HZ / fwd) if fwd > 0 else None
        # with the DUT on the generator's CPU too (2 workers) the generator's
        # time is in the DUT CPUs' figure: not separable, shown as is
        return {"rate": rate, "achieved": win / (w1 - w0), "sent": sent, "recv": recv,
                "loss": (sent - recv) / sent if sent else 1.0, "lost": sent - recv, "where": where,
                "cpu_all": ns_per(c1 - c0), "cpu_soft": ns_per(s1 - s0),
                "cpu_proc": ns_per(j1 - j0) if dut_pid else None}

    def close(self):
        try:
            os.unlink(self.cfg)
        except OSError:
            pass


def profile_trial(gen, rate, secs, cpus, tmp):
    """One trial at `rate` with perf sampling the DUT's CPUs (process,
    kernel and softirq time alike). Returns (by binary, by symbol): lists
    of (percent, name), or None when perf is missing or failed."""
    data = os.path.join(tmp, "perf.data")
    try:
        p = subprocess.Popen(["perf", "record", "-q", "-F", "2999", "-C", ",".join(map(str, cpus)),
                              "-o", data, "--", "sleep", "%g" % (secs + 1.5)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError:
        return None
    time.sleep(0.5)
    gen.trial(rate, secs, dut_cpus=cpus)
    p.wait()
    if p.returncode != 0:
        return None

    def report(sort, limit):
        out = run(["perf", "report", "-i", data, "--stdio", "--no-children", "--sort", sort,
                   "--percent-limit", str(limit)], check=False)
        rows = []
        for line in out.splitlines():
            v = line.split(None, 1)
            if len(v) == 2 and v[0].endswith("%") and not line.startswith("#"):
                try:  # perf pads empty sort columns with "-"
                    rows.append((float(v[0][:-1]), " ".join(t for t in v[1].split() if t != "-")))
                except ValueError:
                    pass
        return rows
    return report("dso", 1), report("symbol", 2)[:8]


def ndr(gen, top, secs, **kw):
    """Binary search of the offered rate in [0, top] (top: what the generator
    reached with nobody forwarding). Returns (best passing trial or None,
    generator_limited, trials)."""
    trials = []
    t = gen.trial(top, secs, **kw)
    trials.append(t)
    if t["loss"] <= LOSS_MAX:
        return t, True, trials
    lo, hi, best = 0.0, float(top), None
    gen.lowest = top
    # a first guess from what came through, then halve the interval
    guess = min(hi * 0.95, max(t["achieved"] * (1 - t["loss"]) * 0.97, hi * 0.01))
    for _ in range(STEPS - 1):
        if hi - lo <= 0.04 * hi or time_left() <= 0:
            break
        mid = guess if guess is not None else (lo + hi) / 2
        guess = None
        t = gen.trial(mid, secs, **kw)
        trials.append(t)
        gen.lowest = min(gen.lowest, t["achieved"])
        if t["loss"] <= LOSS_MAX:
            lo, best = mid, t
        else:
            hi = mid
    return best, False, trials


def time_left():
    now = time.monotonic()
    return min(BUDGET - (now - START), CASE_BUDGET - (now - CASE_START[0]))


# ------------------------------------------------------------------ DUTs
def helptext(prog):
    r = subprocess.run([os.path.join(BIN, prog), "--help"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    return r.stdout


def io_args(h):
    io = os.environ.get("IO_IO", "")
    if "--io" in h:
        return ["--io", io or "auto"]
    return []


def start_br(topo, direction, workers, tmp):
    """s46-br as the MAP-E BR of RULE."""
    return start_s46br(topo, direction.endswith("4"), {"version": 1, "br": BR6, "br_ipv4": "198.51.100.1",
                                                       "ipv6_mtu": 1600, "rules": [RULE]},
                       [BR6 + "/128"], [RULE["ipv4"]], workers, tmp)


def start_s46br(topo, v4_first, conf_obj, black6, black4, workers, tmp):
    """s46-br with config conf_obj between the DUT's interfaces, its IPv4
    side toward the generator when v4_first; the kernel's forwarding off
    and blackhole routes for what the daemon serves (black6, black4)."""
    d = topo.d
    v4, v6 = ("din", "dout") if v4_first else ("dout", "din")
    nsx(d, "sysctl", "-qw", "net.ipv4.ip_forward=0", "net.ipv6.conf.all.forwarding=0")
    nsx(d, "ip", "addr", "add", "198.51.100.1/24", "dev", v4)
    nsx(d, "ip", "-6", "addr", "add", "2001:db8:f0ff::1/64", "dev", v6, "nodad")
    for p in black6:
        nsx(d, "ip", "-6", "route", "add", "blackhole", p)
    for p in black4:
        nsx(d, "ip", "route", "add", "blackhole", p)
    conf = os.path.join(tmp, "br.json")
    with open(conf, "w") as f:
        json.dump(conf_obj, f)
    peer = {"din": topo.mac["g0"], "dout": topo.mac["s0"]}
    h = helptext("s46-br")
    args = [os.path.join(BIN, "s46-br"), "--config", conf, "--v4-if", v4, "--v6-if", v6,
            "--v4-peer-mac", peer[v4], "--v6-peer-mac", peer[v6], "--ctl", os.path.join(tmp, "br.sock")]
    args += io_args(h)
    cpus = str(DUT_CPU)
    if "--workers" in h:
        args += ["--workers", str(workers)]
        if workers > 1:
            cpus = "%d-%d" % (0, workers - 1)
            args += ["--pin"] if "--pin" in h else []
    return start_dut(topo, ["taskset", "-c", cpus] + args, os.path.join(tmp, "br.sock"), tmp, "br")


def start_ce(topo, direction, workers, tmp):
    """s46-ce with its LAN on the generator side (ce4) or the sink side (ce6)."""
    d = topo.d
    lan, wan = ("din", "dout") if direction == "ce4" else ("dout", "din")
    lan_ns, wan_ns = (topo.g, topo.s) if direction == "ce4" else (topo.s, topo.g)
    lan_peer, wan_peer = ("g0", "s0") if direction == "ce4" else ("s0", "g0")
    nsx(d, "sysctl", "-qw", "net.ipv4.ip_forward=0", "net.ipv6.conf.all.forwarding=0")
    nsx(d, "ip", "addr", "add", "192.168.1.1/24", "dev", lan)
    nsx(d, "ip", "-6", "addr", "add", "2001:db8:f001::2/64", "dev", wan, "nodad")
    nsx(d, "ip", "-6", "route", "add", "default", "via", "2001:db8:f001::1")
    nsx(lan_ns, "ip", "addr", "add", LAN_HOST + "/24", "dev", lan_peer)
    nsx(wan_ns, "ip", "-6", "addr", "add", "2001:db8:f001::1/64", "dev", wan_peer, "nodad")
    nsx(d, "ping", "-6", "-c", "1", "-W", "1", "2001:db8:f001::1", check=False)  # the router's MAC known
    conf = os.path.join(tmp, "ce.json")
    with open(conf, "w") as f:
        json.dump({"prefix": CE_PREFIX, "filter": "eif", "udp_timeout": 3600, "ipv6_mtu": 1600,
                   "max_mappings": 1 << 17, "max_sessions": 1 << 18, "lan_ipv4": "192.168.1.1",
                   "map_e": {"version": 1, "br": BR6, "rules": [RULE]}}, f)
    h = helptext("s46-ce")
    args = [os.path.join(BIN, "s46-ce"), "--config", conf, "--lan-if", lan, "--wan-if", wan,
            "--ctl", os.path.join(tmp, "ce.sock")] + io_args(h)
    if "--lan-peer-mac" in h:
        args += ["--lan-peer-mac", topo.mac[lan_peer], "--wan-peer-mac", topo.mac[wan_peer]]
    cpus = str(DUT_CPU)
    if "--workers" in h:
        args += ["--workers", str(workers)]
        if workers > 1:
            cpus = "0-%d" % (workers - 1)
            args += ["--pin"] if "--pin" in h else []
    return start_dut(topo, ["taskset", "-c", cpus] + args, os.path.join(tmp, "ce.sock"), tmp, "ce")


def center_conf(case, tmp, flows):
    """The s46-br config of a center mechanism's case."""
    cgn = {"pool" if case.startswith("aftr") else "pool4": [POOL4], "block_size": 64,
           "max_blocks_per_subscriber": 1, "block_idle": 86400,
           "timeouts": {"udp": 86400},
           "limits": {"new_per_second": 0},
           "capacity": {k: max(2 * flows, 1024) for k in ("subscribers", "blocks", "mappings",
                                                          "sessions")},
           "log": {"path": os.path.join(tmp, "blocks.log")}}
    if case.startswith("lw"):
        with open(os.path.join(tmp, "bindings.csv"), "w") as f:
            for x, y, z in flow_values(flows):
                f.write("%s,10.%d.%d.%d,0,0\n" % (b4_addr(x, y, z), x, y, z))
        return {"lwaftr": {"ipv6": BR6, "ipv4": "198.51.100.1", "ipv6_mtu": 1600,
                           "bindings_file": "bindings.csv"}}
    if case.startswith("aftr"):
        return {"aftr": dict(cgn, ipv6=BR6, ipv4="198.51.100.1", ipv6_mtu=1600)}
    return {"nat64": dict(cgn, pool6=POOL6, ipv4="198.51.100.1", ipv6_mtu=1600)}


def start_center(topo, case, workers, tmp, flows):
    """s46-br running the case's mechanism, its IPv4 side toward the
    generator when the case measures IPv4 -> IPv6 (names ending in 4)."""
    return start_s46br(topo, case.endswith("4"), center_conf(case, tmp, flows), [BR6 + "/128", POOL6],
                       ["10.0.0.0/8"], workers, tmp)


def start_tayga(topo, case, tmp):
    """tayga (stateless NAT64, one packet per read/write on its TUN device)
    translating between the same interfaces, the kernel routing into it."""
    d = topo.d
    topo.kernel_forwarding()
    conf = os.path.join(tmp, "tayga.conf")
    with open(conf, "w") as f:
        f.write("tun-device s46tayga\nipv4-addr 10.255.255.1\nipv6-addr 2001:db8:f0ff::64\n"
                "prefix %s\n"
                "dynamic-pool %s\ndata-dir %s\n" % (POOL6, TAYGA_POOL, tmp))
    nsx(d, "tayga", "-c", conf, "--mktun")
    nsx(d, "ip", "link", "set", "s46tayga", "up")
    nsx(d, "ip", "route", "add", TAYGA_POOL, "dev", "s46tayga")
    nsx(d, "ip", "route", "add", "10.255.255.1/32", "dev", "s46tayga")
    nsx(d, "ip", "-6", "route", "replace", POOL6, "dev", "s46tayga")
    logf = open(os.path.join(tmp, "tayga.log"), "w")
    p = subprocess.Popen(["ip", "netns", "exec", d, "taskset", "-c", str(DUT_CPU), "tayga", "-c", conf,
                          "--nodetach"], stdout=logf, stderr=logf)
    topo.procs.append(p)
    time.sleep(0.5)
    if p.poll() is not None:
        raise SetupError("tayga exited: %s" % tail(os.path.join(tmp, "tayga.log")))
    return p


def start_dut(topo, args, sock, tmp, name):
    logf = open(os.path.join(tmp, name + ".log"), "w")
    p = subprocess.Popen(["ip", "netns", "exec", topo.d] + args, stdout=logf, stderr=logf)
    topo.procs.append(p)
    for _ in range(100):
        if os.path.exists(sock) or p.poll() is not None:
            break
        time.sleep(0.05)
    time.sleep(0.2)
    if p.poll() is not None:
        raise SetupError("%s exited: %s" % (name, tail(os.path.join(tmp, name + ".log"))))
    return p


def tail(path, n=3):
    try:
        with open(path) as f:
            return " | ".join(f.read().strip().splitlines()[-n:])
    except OSError:
        return ""


def io_mode(tmp, name):
    try:
        out = run([os.path.join(BIN, "s46"), "show", "--json", "--ctl", os.path.join(tmp, name + ".sock")])
        return json.loads(out).get("io", "?")
    except (SetupError, ValueError):
        return "?"


# ------------------------------------------------------------------ one cell
def framelen(case, size):
    if case.endswith("4"):
        return size + 14
    return size + (34 if case == "nat64_6" else 54)


def config_for(case, size, flows, topo, ports=None):
    """ports: the CE's external ports (ce6) or the sessions' external
    endpoints (aftr4, nat64_4), from priming."""
    dmac, smac = topo.mac["din"], topo.mac["g0"]
    if case in ("br4", "lw4"):
        return cfg_br4(size, flows, dmac, smac)
    if case == "ce4":
        return cfg_ce4(size, flows, dmac, smac)
    if case == "ce6":
        return cfg_ce6(size, ports, dmac, smac)
    if case in ("aftr4", "nat64_4"):
        return cfg_to_endpoints(size, ports, dmac, smac)
    return {"br6": cfg_br6, "lw6": cfg_lw6, "aftr6": cfg_aftr6, "nat64_6": cfg_nat64_6}[case](
        size, flows, dmac, smac)


def kernel_endpoints(flows):
    """For the kernel's forwarding of aftr4 / nat64_4: as many endpoints in
    the pool as the DUT would have made."""
    return [("10.64.%d.%d" % (i // 64512 // 256, i // 64512 % 256), 1024 + i % 64512) for i in range(flows)]


def pcap_frames(path):
    """The frames of a classic pcap file (dumpcap -P)."""
    import struct
    try:
        data = open(path, "rb").read()
    except OSError:
        return
    if data[:4] != b"\xd4\xc3\xb2\xa1":
        return
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack("<I", data[off + 8:off + 12])[0]
        yield data[off + 16:off + 16 + incl]
        off += 16 + incl


def send_once(topo, cfg, flen, count, rate, ns=None, dev="g0"):
    """Offers each of `count` packets of cfg once, at `rate` pps."""
    g = Gen(topo, cfg, flen, ns=ns, dev=dev)
    try:
        g.pace(rate)
        p = g.start(count=count)
        try:
            p.wait(timeout=count / rate + 60)
        except subprocess.TimeoutExpired:
            stop(p, signal.SIGKILL)
        g.pace(None)
    finally:
        g.close()


def prime_captured(topo, cfg, flen, count, cap_ns, cap_dev, filt, tmp):
    """The priming of a return direction: the sink namespace offers cfg's
    `count` packets once at 20 kpps into the DUT's far side while dumpcap
    records what comes out toward `cap_dev`; returns the captured frames."""
    pcap = os.path.join(tmp, "prime.pcap")
    cap = subprocess.Popen(["ip", "netns", "exec", cap_ns, "dumpcap", "-q", "-P", "-B", "32", "-i", cap_dev,
                            "-f", filt, "-w", pcap], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    try:
        send_once(topo, cfg, flen, count, 20000, ns=topo.s, dev="s0")
    finally:
        time.sleep(0.5)
        stop(cap, signal.SIGINT)
    return list(pcap_frames(pcap))


def prime_ce(topo, flows, tmp):
    """ce6: the LAN host (in the sink namespace) opens `flows` UDP mappings
    through the CE; the external ports are read off the WAN side (the
    generator namespace). Returns the ports."""
    cfg = cfg_ce4(64, flows, topo.mac["dout"], topo.mac["s0"])
    frames = prime_captured(topo, cfg, framelen("ce4", 64), flows, topo.g, "g0", "ip6 and ip6[6] == 4", tmp)
    return sorted({(fr[74] << 8) | fr[75] for fr in frames
                   if len(fr) >= 14 + 40 + 20 + 4 and fr[12:14] == b"\x86\xdd" and fr[20] == 4})


REVERSE_OF = {"aftr4": cfg_aftr6, "nat64_4": cfg_nat64_6}


def prime_endpoints(topo, case, flows, tmp, tayga=False):
    """aftr4 / nat64_4: the hosts on the IPv6 side (the sink namespace) send
    one packet per flow through the DUT; the external endpoints (IPv4
    source address and port) are read off the IPv4 side (the generator's
    interface; tayga's IPv4 leaves by the kernel's routes, toward the
    sink). Returns them, in the order they appeared."""
    cfg = REVERSE_OF[case](64, flows, topo.mac["dout"], topo.mac["s0"])
    ns, dev = (topo.s, "s0") if tayga else (topo.g, "g0")
    frames = prime_captured(topo, cfg, framelen(case[:-1] + "6", 64), flows, ns, dev, "ip and udp", tmp)
    eps = {}
    for fr in frames:
        if len(fr) >= 14 + 20 + 8 and fr[12:14] == b"\x08\x00" and fr[14] == 0x45 and fr[23] == 17:
            eps[("%d.%d.%d.%d" % tuple(fr[26:30]), (fr[34] << 8) | fr[35])] = True
    return list(eps)


def prime_forward(topo, cfg, case, size, flows):
    """aftr6 / nat64_6: each flow's session made before the search (the
    flows offered once at 100 kpps), so the search sees established traffic."""
    send_once(topo, cfg, framelen(case, size), flows, 100000)
    time.sleep(0.5)


def wrong_output(case, pcap):
    """What is wrong with the frames the sink captured, or None: a case
    named ...4 must deliver IPv6 (IPv4-in-IPv6, or UDP for the NAT64), one
    named ...6 IPv4 UDP; up to 5 % others pass (neighbour discovery)."""
    n = bad = 0
    for fr in pcap_frames(pcap):
        n += 1
        if case.endswith("4"):
            want = 17 if case == "nat64_4" else 4
            ok = fr[12:14] == b"\x86\xdd" and len(fr) > 20 and fr[20] == want
        else:
            ok = fr[12:14] == b"\x08\x00" and len(fr) > 23 and fr[23] == 17
        bad += not ok
    if n == 0:
        return None   # nothing came through: the caller's count says so
    return "%d of %d frames not the expected output (e.g. ICMP errors)" % (bad, n) if bad > n // 20 else None


def gen_top(topo, cfg, flen):
    """What the generator reaches with nobody forwarding (the DUT namespace
    drops everything): the top of the search, 'generator limit'."""
    g = Gen(topo, cfg, flen)
    try:
        t = g.trial(None, min(TRIAL, 2.0), dut_cpus=())
        return t["achieved"]
    finally:
        g.close()


def measure(case, size, flows, kind, workers=1):
    """kind: 'kernel' or 's46'. Returns a result dict."""
    tmp = tempfile.mkdtemp(prefix="s46io")
    topo = Topo()
    res = {"case": case, "size": size, "flows": flows, "kind": kind, "workers": workers}
    gen = None
    try:
        ports = None
        name = "ce" if case.startswith("ce") else "br"
        if kind == "kernel":
            topo.kernel_forwarding()
            pid = p = None
        elif kind == "tayga":
            p = start_tayga(topo, case, tmp)
            pid = p.pid
            res["io"] = "tun"
            name = "tayga"
        elif case.startswith(("lw", "aftr", "nat64")):
            p = start_center(topo, case, workers, tmp, flows)
            pid = p.pid
            res["io"] = io_mode(tmp, "br")
        else:
            start = start_br if case.startswith("br") else start_ce
            p = start(topo, case, workers, tmp)
            pid = p.pid
            res["io"] = io_mode(tmp, name)
        if case == "ce6":
            if kind == "kernel":
                ports = list(range(1024, 1024 + min(flows, CE_MAX_FLOWS)))
            else:
                ports = prime_ce(topo, min(flows, CE_MAX_FLOWS), tmp)
                res["flows_made"] = len(ports)
                if not ports:
                    res["error"] = "no mapping made by LAN->WAN priming"
                    return res
        if case in ("aftr4", "nat64_4"):
            if kind == "kernel":
                ports = kernel_endpoints(flows)
            else:
                ports = prime_endpoints(topo, case, flows, tmp, tayga=kind == "tayga")
                res["flows_made"] = len(ports)
                if not ports:
                    res["error"] = "no session made by IPv6->IPv4 priming"
                    return res
        cfg = config_for(case, size, flows, topo, ports)
        if case in ("aftr6", "nat64_6") and kind != "kernel":
            prime_forward(topo, cfg, case, size, flows)
        if workers > 1:  # the DUT's ingress spread over its CPUs
            topo.rps((1 << workers) - 1)
        top = GEN_TOP.get((case, size, flows))
        if not top or top < 1000:
            # trafgen with one packet definition per flow of big frames
            # (the CE's return direction) may send nothing at all
            res["error"] = ("the generator reached %.0f pps with nobody forwarding (trafgen, %d "
                            "flows of %d bytes): nothing to measure" % (top or 0, flows, size))
            return res
        gen = Gen(topo, cfg, framelen(case, size))
        # sanity: something comes through at a low rate, and what reaches the
        # sink is the translated or encapsulated packet, not an ICMP error
        # the DUT sent back along the sink's route
        pcap = os.path.join(tmp, "sanity.pcap")
        cap = subprocess.Popen(["ip", "netns", "exec", topo.s, "dumpcap", "-q", "-P", "-B", "8", "-c", "200",
                                "-i", "s0", "-f", "ip or ip6", "-w", pcap],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
        t = gen.trial(min(10000, top / 10), 1.0, dut_pid=pid)
        stop(cap, signal.SIGINT)
        bad = wrong_output(case, pcap) if kind != "kernel" else None  # the kernel forwards the input as is
        if bad:
            res["error"] = "the sink got %s" % bad
            return res
        if t["recv"] < 0.01 * t["sent"]:
            res["error"] = "forwards %d of %d packets at 10 kpps" % (t["recv"], t["sent"])
            if pid:
                res["error"] += " (log: %s)" % tail(os.path.join(tmp, name + ".log"))
            return res
        cpus = (DUT_CPU,) if workers == 1 else tuple(range(workers))
        sock = os.path.join(tmp, name + ".sock") if kind == "s46" else None
        best, limited, trials = ndr(gen, top, TRIAL, dut_pid=pid, dut_cpus=cpus, dut_sock=sock)
        if kind != "kernel" and p.poll() is not None:
            res["error"] = "the DUT exited during the search: %s" % tail(os.path.join(tmp, name + ".log"))
            return res
        if PROFILE and kind == "s46" and workers == 1 and best and best["rate"]:
            res["profile"] = profile_trial(gen, best["rate"], min(TRIAL, 5.0), cpus, tmp)
        res.update({"best": best, "gen_limited": limited, "top": top, "trials": len(trials),
                    "lossy_all": best is None, "lowest": getattr(gen, "lowest", top),
                    "worst_loss": max(x["loss"] for x in trials),
                    # the lowest offered rate that lost packets: where they went
                    "first_loss": min((x for x in trials if x["loss"] > LOSS_MAX),
                                      key=lambda x: x["achieved"], default=None),
                    # a trial without loss where the generator offered clearly
                    # less than asked (its CPU is shared): the DUT took all of it
                    "gen_short": any(x["loss"] <= LOSS_MAX and x["achieved"] < 0.9 * x["rate"]
                                     for x in trials)})
        return res
    except SetupError as e:
        res["error"] = str(e)
        return res
    finally:
        if gen:
            gen.close()
        topo.close()
        subprocess.run(["rm", "-rf", tmp])


GEN_TOP = {}


def measure_top(case, size, flows):
    topo = Topo()
    try:
        if case == "ce6":
            ports = list(range(1024, 1024 + min(flows, CE_MAX_FLOWS)))
            cfg = config_for(case, size, flows, topo, ports)
        elif case in ("aftr4", "nat64_4"):
            cfg = config_for(case, size, flows, topo, kernel_endpoints(flows))
        else:
            cfg = config_for(case, size, flows, topo)
        GEN_TOP[(case, size, flows)] = gen_top(topo, cfg, framelen(case, size))
    finally:
        topo.close()


# ------------------------------------------------------------------ output
NAMES = {"br4": "BR IPv4->IPv6", "br6": "BR IPv6->IPv4", "ce4": "CE LAN->WAN", "ce6": "CE WAN->LAN",
         "lw4": "lwAFTR 4->6", "lw6": "lwAFTR 6->4", "aftr4": "AFTR 4->6", "aftr6": "AFTR 6->4",
         "nat64_4": "NAT64 4->6", "nat64_6": "NAT64 6->4"}
DAEMON = {"br": "br", "ce": "ce", "lw": "br", "af": "br", "na": "br"}


def fmt_ndr(r):
    if r is None:
        return "-"
    if "error" in r:
        return "error"
    if r.get("lossy_all"):
        return "0 (lossy>=%.0fk)" % (r["lowest"] / 1e3)
    pps = r["best"]["achieved"]
    s = "%s%.0fk %.2fG" % (">=" if r["gen_limited"] else "", pps / 1e3, pps * r["size"] * 8 / 1e9)
    return s


def fmt_cpu(r, key):
    if not r or "error" in r or r.get("lossy_all") or r["best"].get(key) is None:
        return "-"
    return "%.0f" % r["best"][key]


def pps(r):
    if not r or "error" in r or r.get("lossy_all"):
        return 0.0
    return r["best"]["achieved"]


def main():
    for tool in ("trafgen", "taskset", "tc"):
        if subprocess.run(["sh", "-c", "command -v " + tool], stdout=subprocess.DEVNULL).returncode:
            log("io bench: %s is missing (scripts/setup installs it)" % tool)
            return 1
    odd = [f for f in FLOWS if f not in (1, 10000, 1000000) and not 1 < f <= 255]
    if odd:
        log("io bench: IO_FLOWS: %s (1, 10000, 1000000 or 2..255)" % odd)
        return 1
    if os.cpu_count() < 2:
        log("io bench: needs 2 CPUs (generator and DUT on their own)")
        return 1
    hb, hc = helptext("s46-br"), helptext("s46-ce")
    ce_ok = "--lan-if" in hc
    workers_ok = {"br": "--workers" in hb, "ce": "--workers" in hc}
    tayga_ok = subprocess.run(["sh", "-c", "command -v tayga"], stdout=subprocess.DEVNULL).returncode == 0
    print("I/O benchmark: RFC 2544 NDR (loss <= 0.001 %% over %g s trials), generator trafgen on CPU %d, "
          "DUT on CPU %d" % (TRIAL, GEN_CPU, DUT_CPU), flush=True)
    print("  size = IPv4 packet length (IPv4 side; +40 encapsulated, +14 Ethernet); Gbit/s of those "
          "IPv4 packets; cpu = non-idle ns of the DUT's CPU per forwarded packet (/proc/stat; includes "
          "softirq and the sink's tc drop; other load on that CPU adds); own = s46 process utime+stime, "
          "kernel: softirq", flush=True)
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    print("  load average %s at the start: other processes on the DUT's CPU are counted in cpu "
          "(nice time too): measure on an idle machine" % load, flush=True)
    rows = []
    try:
        # probe the setup once: a failure here is a setup failure (exit 1)
        Topo().close()
        for case in CASES:
            if case not in NAMES:
                continue
            if case.startswith("ce") and not ce_ok and not KERNEL_ONLY:
                rows.append((case, None, None, "CE on Ethernet: not supported by this build"))
                continue
            CASE_START[0] = time.monotonic()
            for size in SIZES:
                for flows in FLOWS:
                    if time_left() <= 0:
                        rows.append((case, size, flows, "skipped: time budget IO_BUDGET_S or "
                                     "IO_CASE_BUDGET_S spent"))
                        continue
                    f = min(flows, CE_MAX_FLOWS) if case.startswith("ce") else flows
                    if case in ("aftr4", "nat64_4"):
                        f = min(flows, PER_FLOW_MAX)
                    log("io bench: %s %d B %d flows ..." % (case, size, f))
                    measure_top(case, size, f)
                    k = measure(case, size, f, "kernel")
                    s = measure(case, size, f, "s46") if not KERNEL_ONLY else {"error": "IO_KERNEL_ONLY"}
                    w = None
                    if workers_ok[DAEMON[case[:2]]] and time_left() > 0 and not KERNEL_ONLY:
                        w = measure(case, size, f, "s46", workers=2)
                    t = None
                    if case.startswith("nat64") and time_left() > 0 and not KERNEL_ONLY:
                        t = measure(case, size, f, "tayga") if tayga_ok else {"error": "tayga not installed"}
                    rows.append((case, size, f, (k, s, w, t)))
                    print_row(rows[-1], flush=True)
    except SetupError as e:
        log("io bench: setup failed: %s" % e)
        return 1
    print()
    print_table(rows)
    print("io bench: total %.0f s" % (time.monotonic() - START))
    return 0


HDR = "%-14s %5s %7s | %-15s %5s %5s | %-15s %5s %5s %-9s | %5s %-8s %-8s | %-15s %s" % (
    "case", "size", "flows", "kernel NDR", "cpu", "soft", "s46 NDR", "cpu", "own", "io", "ratio",
    "NDR>=k", "cpu<=k", "s46 2 workers", "2w/1w")


def row_text(row):
    case, size, flows, data = row
    if isinstance(data, str):
        return "%-14s %5s %7s | %s" % (NAMES[case], size or "", flows or "", data)
    k, s, w, t = data
    werr = None
    if w and "error" in w:
        werr, w = w["error"], None
    for r, who in ((k, "kernel"), (s, "s46")):
        if r and "error" in r:
            pre = "%-14s %5d %7d | " % (NAMES[case], size, flows)
            if who != "kernel" and "error" not in k:
                pre += "%-15s %5s %5s | " % (fmt_ndr(k), fmt_cpu(k, "cpu_all"), fmt_cpu(k, "cpu_soft"))
            return pre + "%s error: %s" % (who, r["error"][:200])
    kp, sp = pps(k), pps(s)
    ratio = "%.2f" % (sp / kp) if kp > 0 else "-"
    if kp > 0 and sp >= kp:
        ndr_t = "met"
    elif s.get("gen_limited"):
        ndr_t = "? gen"   # the generator stopped short, not the DUT
    else:
        ndr_t = "NOT met"
    kc, sc = fmt_cpu(k, "cpu_all"), fmt_cpu(s, "cpu_all")
    cpu_t = "-" if "-" in (kc, sc) else ("met" if float(sc) <= float(kc) else "NOT met")
    wtxt, wr = "-", ""
    if werr:
        wtxt = "error: " + werr[:150]
    if w:
        wtxt = fmt_ndr(w)
        if w.get("gen_limited") or w.get("gen_short") or s.get("gen_limited"):
            wr = "generator is the limit"
        elif sp > 0:
            x = pps(w) / sp
            wr = "%.2fx %s" % (x, "met" if x >= 1.8 else "NOT met")
    made = s.get("flows_made")
    txt = "%-14s %5d %7s | %-15s %5s %5s | %-15s %5s %5s %-9s | %5s %-8s %-8s | %-15s %s" % (
        NAMES[case], size, flows if made is None or made >= flows else "%d/%d" % (made, flows), fmt_ndr(k), kc, fmt_cpu(k, "cpu_soft"), fmt_ndr(s), sc,
        fmt_cpu(s, "cpu_proc"), s.get("io", "?"), ratio, ndr_t, cpu_t, wtxt, wr)
    if t is not None:  # the NAT64 next to tayga on the same path
        if "error" in t:
            txt += " | tayga error: %s" % t["error"][:150]
        else:
            tp = pps(t)
            txt += " | tayga %s cpu %s, s46/tayga %s" % (fmt_ndr(t), fmt_cpu(t, "cpu_all"),
                                                         "%.1f" % (sp / tp) if tp > 0 else "-")
    return txt


def loss_text(r):
    """Where the packets of the lowest lossy trial went, or None."""
    x = r.get("first_loss") if r and "error" not in r else None
    if not x or x["lost"] <= 0:
        return None
    w = x["where"]
    parts = ["input backlogs %d (machine-wide)" % w["backlog"], "DUT output veth %d" % w["veth_out"]]
    known = w["backlog"] + w["veth_out"]
    if w.get("ring") is not None:
        parts.append("DUT ring %d" % w["ring"])
        known += w["ring"]
    if w.get("dropped") is not None:
        dr = w["dropped"]
        parts.append("DUT pipeline drops %d%s" % (
            sum(dr.values()), " (%s)" % ", ".join("%s %d" % kv for kv in sorted(
                dr.items(), key=lambda kv: -kv[1])[:3]) if dr else ""))
        known += sum(dr.values())
    parts.append("elsewhere %d" % max(x["lost"] - known, 0))
    return "lost %d of %d at %.0fk offered: %s" % (x["lost"], x["sent"], x["achieved"] / 1e3, ", ".join(parts))


def profile_text(r):
    """The DUT CPU's profile at the NDR (IO_PROFILE=1), or None."""
    pr = r.get("profile") if r and "error" not in r else None
    if not pr:
        return None
    by_bin, by_sym = pr
    return ("by binary " + ", ".join("%s %.0f %%" % (n, v) for v, n in by_bin) +
            "; top symbols " + ", ".join("%s %.1f %%" % (n.replace("[k] ", "").replace("[.] ", ""), v)
                                         for v, n in by_sym))


def print_row(row, flush=False):
    log("  " + row_text(row))
    data = row[3]
    if not isinstance(data, str):
        for r, who in ((data[0], "kernel"), (data[1], "s46"), (data[2], "s46 2 workers")):
            lt = loss_text(r)
            if lt:
                log("    %s: %s" % (who, lt))
        pt = profile_text(data[1])
        if pt:
            log("    s46 profile at its NDR: %s" % pt)


def print_table(rows):
    print(HDR)
    print("-" * len(HDR))
    for r in rows:
        print(row_text(r))
    lost = [(case, size, flows, who, loss_text(r)) for case, size, flows, data in rows
            if not isinstance(data, str)
            for r, who in ((data[0], "kernel"), (data[1], "s46"), (data[2], "s46 2w"))
            if loss_text(r)]
    if lost:
        print("  where the lowest lossy trial of each search lost its packets (above the NDR):")
    for case, size, flows, who, lt in lost:
        print("    %-14s %5d %7d %-6s %s" % (NAMES[case], size, flows, who, lt))
    prof = [(case, size, flows, profile_text(data[1])) for case, size, flows, data in rows
            if not isinstance(data, str) and profile_text(data[1])]
    if prof:
        print("  where the DUT's CPU went at s46's NDR (perf, one worker; IO_PROFILE=1):")
    for case, size, flows, pt in prof:
        print("    %-14s %5d %7d %s" % (NAMES[case], size, flows, pt))
    print("  '>=' : the generator's ceiling (trafgen as fast as it goes, measured with nobody forwarding) "
          "passed: the generator is the limit, the DUT may do more")
    print("  flows 10000 / 1000000: 9 999 / 999 900 distinct values (coprime per-byte counters)")
    print("  targets: s46 NDR >= kernel NDR on the same path; s46 cpu/packet <= kernel's; "
          "2 workers >= 1.8x 1 worker where the generator is not the limit")
    print("  '? gen': s46 passed at the most the generator offered in that trial, so its limit is not "
          "known; 2 workers: the DUT runs on the generator's CPU too, and a trial without loss at "
          "clearly less than the rate asked means the generator is the limit")
    if any(r[0].startswith("ce") and not isinstance(r[3], str) for r in rows):
        print("  CE flows: LAN source ports; at most %d (ports 1024-65279; the CE's port set with "
              "psid_len 0 has 64 512 above 1023)" % CE_MAX_FLOWS)


if __name__ == "__main__":
    def on_signal(sig, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_signal)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        log("io bench: interrupted")
        sys.exit(130)
