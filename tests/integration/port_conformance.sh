#!/usr/bin/env bash
# Port conformance: every Ethernet port kind in KINDS (AF_PACKET and AF_XDP;
# S46_PORT_KINDS picks), opened through
# s46_port_open() by tests/tools/portcheck on one end of a veth pair, the
# other end a namespace with a real IP stack, scapy and ping:
#  - ARP requests and Neighbor Solicitations for the port's own addresses
#    answered byte-correct (link headers, flags, option, checksum); an NS
#    with hop limit != 255, or for another address, is not; ping over IPv4
#    and IPv6 works through `portcheck reflect` (echo turned around);
#  - TCP and UDP checksums the far stack left partial (veth offload) are
#    completed: the reflected segments verify, and rx_csum_completed counts;
#  - counters match what was sent: rx/tx packets, rx_ignored for non-IP and
#    other hosts' frames, a VLAN-tagged frame accepted; none of 3000 UDP
#    datagrams at a modest rate is lost there and back;
#  - ring full: while the port does not read, a flood overflows the ring
#    and rx_dropped counts exactly what was lost;
#  - 2 queues (fanout): both receive, nothing lost;
#  - super-packets (the far stack's TSO, veth): a TCP connection that the
#    reflection turns back onto itself carries 8 MB intact; the port cut
#    the far side's super-packets (rx_gso_split) and sent the reflected
#    segments as super-packets again (tx_gso), no checksum error far away.
# The port is opened with offloads, as the daemons open it.
set -u
cd "$(dirname "$0")/../.."
KINDS=${S46_PORT_KINDS:-afpacket xdp}
PC=${S46_PORTCHECK:-build/asan/tools/portcheck}
PY=/usr/bin/python3
P=s46pc$$
FAR=$P-far PORT=$P-port
tmp=$(mktemp -d)
ns_down() {
    for ns in $FAR $PORT; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
}
cleanup() {
    ns_down
    rm -rf "$tmp"
}
trap cleanup EXIT
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
j() { $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, d))' "$@"; }
snmp() { # protocol field: a counter of the far stack
    nsx "$FAR" awk -v p="$1:" -v f="$2" '$1==p { if (!n) { for (i=2;i<=NF;i++) h[i]=$i; n=1 } else for (i=2;i<=NF;i++) if (h[i]==f) print $i }' /proc/net/snmp
}

if [ ! -x "$PC" ]; then
    fail port_conformance "$PC missing (make tools)"
    exit 1
fi

# The far side's helpers (scapy for crafted frames, sockets for the stack).
cat >"$tmp/far.py" <<'PY'
import os, select, socket, sys, time
mode = sys.argv[1]
if mode in ("ndp", "raw"):
    from scapy.all import (ARP, Dot1Q, Ether, ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr, IPv6, IP, UDP,
                           Raw, conf, in6_getnsma, in6_getnsmac, inet_pton, srp1, sendp, AsyncSniffer,
                           TCP, ICMPv6ND_NA, ICMPv6NDOptDstLLAddr)
    import socket as s_
    conf.verb = 0
kind, ifc, pmac = sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else ""
fmac = open(f"/sys/class/net/{ifc}/address").read().strip() if ifc else ""
def ok(name, cond, why):
    print(f"PASS {kind}_{name}" if cond else f"FAIL {kind}_{name}: {why}", flush=True)

def csum_ok(pkt, layer):  # the checksum as received equals the one scapy computes
    f = "cksum" if hasattr(pkt[layer], "cksum") and layer.__name__.startswith("ICMPv6") else "chksum"
    have = getattr(pkt[layer], f)
    again = pkt.__class__(bytes(pkt))
    delattr(again[layer], f)
    return have == getattr(again.__class__(bytes(again))[layer], f)

if mode == "ndp":
    r = srp1(Ether(dst="ff:ff:ff:ff:ff:ff", src=fmac) / ARP(op=1, hwsrc=fmac, psrc="10.0.0.1", pdst="10.0.0.2"),
             iface=ifc, timeout=2)
    ok("arp_reply", r is not None and ARP in r and r[Ether].src == pmac and r[Ether].dst == fmac
       and r[Ether].type == 0x0806 and r[ARP].op == 2 and r[ARP].hwsrc == pmac and r[ARP].psrc == "10.0.0.2"
       and r[ARP].hwdst == fmac and r[ARP].pdst == "10.0.0.1", f"got {r!r}")
    r = srp1(Ether(dst="ff:ff:ff:ff:ff:ff", src=fmac) / ARP(op=1, hwsrc=fmac, psrc="10.0.0.1", pdst="10.0.0.9"),
             iface=ifc, timeout=0.7)
    ok("arp_not_ours", r is None, f"answered {r!r}")
    def ns(target, hlim=255):
        sn = in6_getnsma(inet_pton(s_.AF_INET6, target))
        return (Ether(dst=in6_getnsmac(sn), src=fmac) /
                IPv6(src="fd00::1", dst=s_.inet_ntop(s_.AF_INET6, sn), hlim=hlim) /
                ICMPv6ND_NS(tgt=target) / ICMPv6NDOptSrcLLAddr(lladdr=fmac))
    r = srp1(ns("fd00::2"), iface=ifc, timeout=2)
    good = (r is not None and ICMPv6ND_NA in r and r[Ether].src == pmac and r[Ether].dst == fmac
            and r[Ether].type == 0x86dd and r[IPv6].src == "fd00::2" and r[IPv6].dst == "fd00::1"
            and r[IPv6].hlim == 255 and r[ICMPv6ND_NA].tgt == "fd00::2" and r[ICMPv6ND_NA].S == 1
            and r[ICMPv6ND_NA].O == 1 and ICMPv6NDOptDstLLAddr in r
            and r[ICMPv6NDOptDstLLAddr].lladdr == pmac and csum_ok(r, ICMPv6ND_NA))
    ok("ns_answered", good, f"got {r!r}")
    r = srp1(ns("fd00::2", hlim=64), iface=ifc, timeout=0.7)
    ok("ns_hoplimit_ignored", r is None, f"answered {r!r}")
    r = srp1(ns("fd00::9"), iface=ifc, timeout=0.7)
    ok("ns_not_ours", r is None, f"answered {r!r}")
    # partial checksums from the stack: a TCP SYN and a UDP datagram, the
    # port completes them, reflects them; they must verify here
    sn = AsyncSniffer(iface=ifc, filter="ip src 10.0.0.2 and (tcp or udp)")
    sn.start(); time.sleep(0.3)
    t = socket.socket(); t.setblocking(False)
    try: t.connect(("10.0.0.2", 80))
    except BlockingIOError: pass
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("10.0.0.1", 4000))
    u.sendto(b"x" * 100, ("10.0.0.2", 4001))
    time.sleep(1.0); sn.stop(); t.close()
    got = sn.results or []
    tcp = [p for p in got if TCP in p]; udp = [p for p in got if UDP in p]
    ok("tcp_csum_completed", tcp and all(csum_ok(p, TCP) for p in tcp), f"{len(tcp)} reflected TCP segments")
    ok("udp_csum_completed", udp and all(csum_ok(p, UDP) for p in udp), f"{len(udp)} reflected UDP datagrams")
elif mode == "raw":
    n_other, n_nonip, n_vlan = int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
    fr = []
    fr += [Ether(dst="02:00:00:00:00:99", src=fmac) / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=5000, dport=7)] * n_other
    fr += [Ether(dst=pmac, src=fmac, type=0x88b5) / Raw(b"\0" * 50)] * n_nonip
    fr += [Ether(dst=pmac, src=fmac) / Dot1Q(vlan=5) / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=5000, dport=7) / Raw(b"v" * 20)] * n_vlan
    sendp(fr, iface=ifc)
elif mode == "udp":  # udp COUNT FLOWS PPS [EXTRA]: send COUNT, count what comes back
    # (up to COUNT + EXTRA datagrams, or 3 s after the last one sent)
    count, flows, pps = int(sys.argv[5]), int(sys.argv[6]), float(sys.argv[7])
    extra = int(sys.argv[8]) if len(sys.argv) > 8 else 0
    socks = []
    for i in range(flows):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.bind(("10.0.0.1", 5000 + i)); s.setblocking(False); socks.append(s)
    seen = set(); total = [0]; burst = 50; t0 = time.time()
    def drain():
        while True:
            r, _, _ = select.select(socks, [], [], 0)
            if not r: return
            for s in r:
                try:
                    while True:
                        seen.add(s.recv(2048)); total[0] += 1
                except BlockingIOError: pass
    for i in range(count):
        socks[i % flows].sendto(b"%08d" % i + b"." * 40, ("10.0.0.2", 7))
        if i % burst == burst - 1:
            drain()
            lag = t0 + (i + 1) / pps - time.time()
            if lag > 0: time.sleep(lag)
    end = time.time() + 3
    while time.time() < end and total[0] < count + extra:
        drain(); time.sleep(0.02)
    print(len(seen), total[0])
elif mode == "tcp":  # tcp BYTES: a connection the reflection turns onto itself
    import hashlib, threading
    n = int(sys.argv[5])
    s = socket.socket(); s.settimeout(10)
    s.bind(("10.0.0.1", 41000)); s.connect(("10.0.0.2", 42000))
    data = os.urandom(n); got = []
    def rd():
        left = n
        try:
            while left > 0:
                b = s.recv(1 << 20)
                if not b: break
                got.append(b); left -= len(b)
        except OSError:
            pass
    t = threading.Thread(target=rd); t.start()
    s.sendall(data); t.join(15)
    print("ok" if hashlib.sha256(b"".join(got)).digest() == hashlib.sha256(data).digest() else
          "got %d of %d bytes" % (sum(map(len, got)), n))
elif mode == "kudp":  # kudp COUNT: datagrams to the port namespace kernel's own address
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("10.0.0.1", 6500))
    for i in range(int(sys.argv[5])):
        s.sendto(b"k" * 18, ("10.0.0.3", 9))
        time.sleep(0.001)
elif mode == "flood":  # flood COUNT: as fast as the stack takes them
    count = int(sys.argv[5])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("10.0.0.1", 6000))
    for i in range(count):
        s.sendto(b"f" * 18, ("10.0.0.2", 7))
    time.sleep(float(sys.argv[6]))  # open until the reflections are in: no ICMP errors
PY

pc_start() { # portcheck in the port's namespace; waits for "ready" (up to
    # 30 s: a loaded machine with sanitizers can take seconds to open a ring,
    # and traffic sent before it is open never reaches the port)
    # (emptied here: the background job's own redirection may come after
    # the first look below, which would then see the last run's "ready")
    : >"$tmp/pc.err"; : >"$tmp/pc.json"
    nsx "$PORT" "$PC" --kind "$kind" --if p0 --offloads --own 10.0.0.2 --own fd00::2 "$@" >"$tmp/pc.json" 2>"$tmp/pc.err" &
    pc_pid=$!
    for _ in $(seq 600); do grep -q ready "$tmp/pc.err" 2>/dev/null && return 0
        kill -0 "$pc_pid" 2>/dev/null || return 1; sleep 0.05; done
    return 1
}
pc_wait() { wait "$pc_pid"; [ -s "$tmp/pc.json" ]; }
far() { nsx "$FAR" $PY "$tmp/far.py" "$1" "$kind" f0 "$PMAC" "${@:2}"; }

run_kind() {
kind=$1
for ns in $FAR $PORT; do ip netns add "$ns"; nsx "$ns" ip link set lo up; done
# room for two queues each way (the fanout case, step 4), one in use until
# then: AF_XDP has a socket per receive queue and wants a worker for each
ip link add f0 netns "$FAR" numtxqueues 2 numrxqueues 2 type veth peer name p0 netns "$PORT" \
    numtxqueues 2 numrxqueues 2
queues() { nsx "$FAR" ethtool -L f0 rx "$1" tx "$1" && nsx "$PORT" ethtool -L p0 rx "$1" tx "$1"; }
queues 1
nsx "$PORT" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \
    net.ipv4.ip_forward=0
nsx "$PORT" ip link set p0 up
nsx "$FAR" ip link set f0 up
nsx "$FAR" ip addr add 10.0.0.1/24 dev f0
nsx "$FAR" ip -6 addr add fd00::1/64 dev f0 nodad
PMAC=$(nsx "$PORT" cat /sys/class/net/p0/address)

# 1. ARP / NDP, ping, partial checksums
if ! pc_start reflect 7; then
    fail ${kind}_open "$(cat "$tmp/pc.err")"; ns_down; return
fi
far ndp
if nsx "$FAR" ping -c 3 -i 0.2 -W 1 10.0.0.2 >/dev/null; then pass ${kind}_ping; else fail ${kind}_ping "no echo reply over IPv4"; fi
if nsx "$FAR" ping -6 -c 3 -i 0.2 -W 1 fd00::2 >/dev/null; then pass ${kind}_ping6; else fail ${kind}_ping6 "no echo reply over IPv6"; fi
if pc_wait; then
    a=$(j "$tmp/pc.json" 'total["arp_replies"]') n=$(j "$tmp/pc.json" 'total["nd_adverts"]')
    c=$(j "$tmp/pc.json" 'total["rx_csum_completed"]')
    [ "$a" -ge 1 ] && [ "$n" -ge 1 ] && pass ${kind}_reply_counters || fail ${kind}_reply_counters "arp_replies $a nd_adverts $n"
    [ "$c" -ge 2 ] && pass ${kind}_csum_counter || fail ${kind}_csum_counter "rx_csum_completed $c, expected >= 2"
else
    fail ${kind}_reflect "portcheck: $(tail -2 "$tmp/pc.err")"
fi

# From here on the far stack stays quiet (no IPv6: no MLD / RS; a fixed
# neighbour entry: no ARP), so every frame the port sees is one we sent.
nsx "$FAR" sysctl -qw net.ipv6.conf.f0.disable_ipv6=1
nsx "$FAR" ip neigh replace 10.0.0.2 lladdr "$PMAC" dev f0 nud permanent

# 2. exact counters, no loss at a modest rate
u0=$(snmp Udp InCsumErrors)
pc_start reflect 5
got=$(far udp 3000 1 20000)
far raw 7 11 0
sleep 0.3
if pc_wait; then
    rx=$(j "$tmp/pc.json" 'total["rx_packets"]') tx=$(j "$tmp/pc.json" 'total["tx_packets"]')
    ig=$(j "$tmp/pc.json" 'total["rx_ignored"]') cs=$(j "$tmp/pc.json" 'total["rx_csum_completed"]')
    dr=$(j "$tmp/pc.json" 'total["rx_dropped"]') te=$(j "$tmp/pc.json" 'total["tx_errors"]')
    [ "$got" = "3000 3000" ] && pass ${kind}_no_loss || fail ${kind}_no_loss "3000 sent, came back (distinct, all): $got"
    [ "$rx" = 3000 ] && [ "$tx" = 3000 ] && [ "$dr" = 0 ] && [ "$te" = 0 ] && pass ${kind}_rx_tx_counters ||
        fail ${kind}_rx_tx_counters "rx_packets $rx tx_packets $tx (3000 sent), rx_dropped $dr, tx_errors $te"
    # AF_XDP: the program hands frames that are not IP to the kernel (ARP for
    # the interface's own addresses goes there): the port sees only the 7
    want=18; [ "$kind" = xdp ] && want=7
    [ "$ig" = $want ] && pass ${kind}_ignored_counter || fail ${kind}_ignored_counter "rx_ignored $ig (want $want), sent 7 to another MAC and 11 non-IP"
    [ "$cs" = 3000 ] && pass ${kind}_csum_exact || fail ${kind}_csum_exact "rx_csum_completed $cs of 3000 partial"
    [ "$(snmp Udp InCsumErrors)" = "$u0" ] && pass ${kind}_udp_csum_far || fail ${kind}_udp_csum_far "far stack saw UDP checksum errors"
else
    fail ${kind}_counters "portcheck: $(tail -2 "$tmp/pc.err")"
fi

# VLAN-tagged frames (802.1Q, VID 5) are accepted and come back untagged
pc_start reflect 4
got=$( (sleep 0.4; far raw 0 0 4) & far udp 0 1 1000 4; wait)
if pc_wait; then
    rx=$(j "$tmp/pc.json" 'total["rx_packets"]')
    [ "$got" = "1 4" ] && [ "$rx" = 4 ] && pass ${kind}_vlan_accepted ||
        fail ${kind}_vlan_accepted "4 tagged datagrams: rx_packets $rx, came back (distinct, all): $got"
else
    fail ${kind}_vlan "portcheck: $(tail -2 "$tmp/pc.err")"
fi

# The kernel does not receive what the port takes (the XDP program
# redirects it, the AF_PACKET port's tc ingress filter drops the kernel's
# copy), but keeps what goes to its own IPv4 addresses: 500 datagrams to
# the port's address, 50 to the kernel's 10.0.0.3 (the port sees those too
# on AF_PACKET and reflects them: the far stack's port unreachable errors
# come back to the kernel, up to 50 more)
nsx "$PORT" ip addr add 10.0.0.3/32 dev p0
kin() { nsx "$PORT" awk '$1 == "Ip:" { if (n++) print $4 }' /proc/net/snmp; }
pc_start reflect 4
if [ "$kind" = afpacket ]; then
    f=$(nsx "$PORT" tc filter show dev p0 ingress)
    case $f in *s46_tc_take*) pass afpacket_tc_filter_attached ;;
    *) fail afpacket_tc_filter_attached "tc filter show dev p0 ingress: ${f:-nothing}; $(cat "$tmp/pc.err")" ;; esac
fi
k0=$(kin)
got=$(far udp 500 1 5000)
far kudp 50
sleep 0.5
k1=$(kin)
if [ $((k1 - k0)) -ge 50 ] && [ $((k1 - k0)) -lt 300 ] && [ "$got" = "500 500" ]; then pass ${kind}_kernel_spared
else fail ${kind}_kernel_spared "kernel IP InReceives grew by $((k1 - k0)) (want 50..299: 500 to the port, 50 to the kernel), $got of 500 came back"; fi
pc_wait
if [ "$kind" = afpacket ]; then
    f=$(nsx "$PORT" tc filter show dev p0 ingress)
    [ -z "$f" ] && pass afpacket_tc_filter_detached || fail afpacket_tc_filter_detached "left after the port closed: $f"
fi
nsx "$PORT" ip addr del 10.0.0.3/32 dev p0

# 3. ring full: the port reads nothing for 2 s while the far side floods
# (softnet: frames the kernel's per-CPU input backlog dropped, machine-wide)
softnet() { local t=0 x; while read -r _ x _; do t=$((t + 16#$x)); done </proc/net/softnet_stat; echo $t; }
d0=$(nsx "$FAR" cat /sys/class/net/f0/statistics/tx_dropped) s0=$(softnet)
if ! pc_start --ring-frames 64 --hold 2 reflect 1.5; then
    fail ${kind}_ring_full "portcheck not ready: $(tail -2 "$tmp/pc.err")"
elif far flood 20000 2.5; pc_wait; then
    rx=$(j "$tmp/pc.json" 'total["rx_packets"]') dr=$(j "$tmp/pc.json" 'total["rx_dropped"]')
    vd=$(( $(nsx "$FAR" cat /sys/class/net/f0/statistics/tx_dropped) - d0 )) sd=$(( $(softnet) - s0 ))
    # every frame is counted somewhere: read, dropped by the full ring, or
    # (a loaded machine) by the veth or the input backlog before the port
    if [ "$dr" -gt 0 ] && [ $((rx + dr + vd)) -le 20000 ] && [ $((rx + dr + vd + sd)) -ge 20000 ]; then
        pass ${kind}_ring_full_dropped
    else fail ${kind}_ring_full_dropped "20000 sent: rx_packets $rx + rx_dropped $dr + veth drops $vd + backlog drops $sd"; fi
else
    fail ${kind}_ring_full "portcheck: $(tail -2 "$tmp/pc.err")"
fi

# 4. two queues in one fanout group, 64 flows
queues 2
pc_start --queues 2 reflect 4
got=$(far udp 2000 64 10000)
if pc_wait; then
    q0=$(j "$tmp/pc.json" 'queues[0]["rx_packets"]') q1=$(j "$tmp/pc.json" 'queues[1]["rx_packets"]')
    [ "$q0" -gt 0 ] && [ "$q1" -gt 0 ] && [ $((q0 + q1)) = 2000 ] && [ "$got" = "2000 2000" ] && pass ${kind}_fanout_2_queues ||
        fail ${kind}_fanout_2_queues "queue 0 got $q0, queue 1 $q1 (2000 sent), $got came back"
else
    fail ${kind}_fanout "portcheck: $(tail -2 "$tmp/pc.err")"
fi

queues 1
# 5. super-packets both ways (the far veth's TSO is on)
t0=$(snmp Tcp InCsumErrors)
pc_start reflect 6
got=$(far tcp 8000000)
if pc_wait; then
    sp=$(j "$tmp/pc.json" 'total["rx_gso_split"]') tg=$(j "$tmp/pc.json" 'total["tx_gso"]')
    ig=$(j "$tmp/pc.json" 'total["rx_ignored"]')
    [ "$got" = ok ] && pass ${kind}_tcp_super_packets_intact || fail ${kind}_tcp_super_packets_intact "$got"
    if [ "$kind" = xdp ]; then
        # XDP sees frames: the kernel cut the super-packets before the
        # program, and an AF_XDP socket sends frames one by one
        [ "$sp" = 0 ] && [ "$tg" = 0 ] && [ "$ig" = 0 ] && pass ${kind}_super_packets_cut_by_the_kernel ||
            fail ${kind}_super_packets_cut_by_the_kernel "rx_gso_split $sp, tx_gso $tg, rx_ignored $ig"
    else
        [ "$sp" -gt 0 ] && [ "$tg" -gt 0 ] && [ "$ig" = 0 ] && pass ${kind}_super_packets_cut_and_coalesced ||
            fail ${kind}_super_packets_cut_and_coalesced "rx_gso_split $sp, tx_gso $tg, rx_ignored $ig"
    fi
    [ "$(snmp Tcp InCsumErrors)" = "$t0" ] && pass ${kind}_tcp_csum_far || fail ${kind}_tcp_csum_far "far stack saw TCP checksum errors"
else
    fail ${kind}_super_packets "portcheck: $(tail -2 "$tmp/pc.err")"
fi
ns_down
}

for k in $KINDS; do
    run_kind "$k"
done
