#!/usr/bin/env bash
# The AF_XDP port (src/io/xdp.c) on a veth pair between two namespaces,
# driven by tests/tools/xdpcheck: frames crafted with scapy on the far side
# arrive through rx with exactly their IP bytes, spread over two queues; the
# reflect loop sends them back (addresses swapped) and the far side sees them
# with the port's MAC; ARP and Neighbor Solicitations for the interface's
# own addresses are still answered by the kernel while the port is open,
# those of the data plane (`own`) by the port;
# frames for another MAC are ignored and counted; counters match what was
# sent; frames lost to a full ring are counted once each in rx_dropped; the
# XDP program is detached on close. Generic (SKB) mode on a macvlan
# (no native XDP) is said in the note and receives. Kind auto on an interface
# where XDP cannot attach (an XDP program already there) falls back to
# afpacket with the reason in the note; kind xdp fails there with it.
set -u
cd "$(dirname "$0")/../.."
TOOL=${S46_TOOLS:-build/asan/tools}/xdpcheck
P=s46t$$
A=$P-a B=$P-b
tmp=$(mktemp -d)
cleanup() {
    for ns in $A $B; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
PY=/usr/bin/python3

if [ ! -x "$TOOL" ]; then
    fail port_xdp "no $TOOL (make tools)"
    exit 1
fi
for ns in $A $B; do ip netns add "$ns"; nsx "$ns" ip link set lo up; done
ip link add xa numtxqueues 2 numrxqueues 2 netns "$A" type veth peer name xb numtxqueues 2 numrxqueues 2 netns "$B"
nsx "$A" ip link add mv0 link xa type macvlan mode bridge
for i in xa mv0; do nsx "$A" ip link set "$i" up; done
nsx "$B" ip link set xb up
nsx "$A" ip addr add 10.9.0.1/24 dev xa
nsx "$A" ip -6 addr add 2001:db8:9::1/64 dev xa nodad
nsx "$B" ip addr add 10.9.0.2/24 dev xb
nsx "$B" ip -6 addr add 2001:db8:9::2/64 dev xb nodad
AMAC=$(nsx "$A" cat /sys/class/net/xa/address)
MVMAC=$(nsx "$A" cat /sys/class/net/mv0/address)

start_tool() { # out-file, args...: waits for the "open" line
    local out=$1; shift
    ip netns exec "$A" "$TOOL" "$@" >"$out" 2>"$out.err" &
    tool_pid=$!
    for _ in $(seq 300); do grep -q -E '^(open|error)' "$out" 2>/dev/null && break; sleep 0.1; done
}
stop_tool() {
    kill -TERM "$tool_pid" 2>/dev/null
    wait "$tool_pid" 2>/dev/null
}
counter() { # file, name: the counter from the tool's final JSON line
    tail -n 1 "$1" | $PY -c "import json,sys; print(json.load(sys.stdin).get('$2', 'none'))" 2>/dev/null
}

# --- native XDP on xa, two queues, reflecting ---
# The far side sends from addresses nobody has (.50), so the reflected
# packets die quietly in its kernel (forwarding off) instead of drawing
# ICMP errors that would come back as more traffic.
start_tool "$tmp/r.out" xdp xa reflect --queues 2 --dump "$tmp/dump" --own 10.9.0.77 --own 2001:db8:9::77 \
    --own-prefix 64:ff9b::/96
if grep -q '^open kind=xdp queues=2 note=$' "$tmp/r.out"; then
    pass xdp_open_native
else
    fail xdp_open_native "$(head -c 300 "$tmp/r.out") $(head -c 300 "$tmp/r.out.err")"
fi
if nsx "$A" ip link show xa | grep -q 'prog/xdp'; then
    pass xdp_program_attached
else
    fail xdp_program_attached "$(nsx "$A" ip link show xa)"
fi

nsx "$B" env AMAC="$AMAC" OUT="$tmp" $PY - >"$tmp/far.log" 2>&1 <<'EOF'
import os, time
from scapy.all import (ARP, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr, IP, IPv6, UDP, Ether,
                       AsyncSniffer, conf, get_if_hwaddr, raw, sendp, srp1)
conf.verb = 0
amac, out = os.environ["AMAC"], os.environ["OUT"]
me = get_if_hwaddr("xb")
frames, sent = [], []
for i in range(20):
    ip = IP(src="10.9.0.50", dst="10.9.0.60", id=i) / UDP(sport=20000 + i, dport=7) / (b"v4-%02d" % i * (i + 1))
    frames.append(Ether(src=me, dst=amac) / ip)
    sent.append(raw(ip))
for i in range(10):
    ip = IPv6(src="2001:db8:9::50", dst="2001:db8:9::77") / UDP(sport=30000 + i, dport=7) / (b"v6-%02d" % i * (i + 3))
    frames.append(Ether(src=me, dst=amac) / ip)
    sent.append(raw(ip))
# into an owned prefix (a NAT64's): taken as well
for i in range(5):
    ip = IPv6(src="2001:db8:9::50", dst="64:ff9b::c000:2%02x" % i) / UDP(sport=31000 + i, dport=7) / (b"p6-%02d" % i)
    frames.append(Ether(src=me, dst=amac) / ip)
    sent.append(raw(ip))
other = [Ether(src=me, dst="02:00:00:00:00:99") / IP(src="10.9.0.2", dst="10.9.0.60") / UDP(sport=1, dport=7) / b"x"
         for _ in range(5)]
# to the kernel's own address: the kernel's, never the port's (io/take.bpf.h)
other += [Ether(src=me, dst=amac) / IP(src="10.9.0.2", dst="10.9.0.1") / UDP(sport=2, dport=9) / b"k"
          for _ in range(5)]
with open(out + "/sent", "w") as f:
    for s in sent:
        f.write(s.hex() + "\n")
print("bytes", sum(len(s) for s in sent))

sn = AsyncSniffer(iface="xb", filter="ether src %s and udp" % amac)
sn.start()
time.sleep(0.5)
sendp(frames + other, iface="xb")
time.sleep(1.0)
got = sn.stop()
ok = 0
for p in got:
    if p.dst != me:
        continue
    if IP in p and p[IP].src == "10.9.0.60" and p[IP].dst == "10.9.0.50":
        q = p[IP].copy()
        q.src, q.dst = "10.9.0.50", "10.9.0.60"
        ok += raw(q) in sent
    elif IPv6 in p and p[IPv6].dst == "2001:db8:9::50":
        q = p[IPv6].copy()
        q.src, q.dst = "2001:db8:9::50", p[IPv6].src
        ok += raw(q) in sent
print("reflected", ok, "of", len(got))

r = srp1(Ether(dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, pdst="10.9.0.1", psrc="10.9.0.2", hwsrc=me),
         iface="xb", timeout=2)
print("arp", "ok" if r is not None and ARP in r and r[ARP].op == 2 and r[ARP].hwsrc == amac else "none")
ns = (Ether(dst="33:33:ff:00:00:01") / IPv6(src="2001:db8:9::2", dst="ff02::1:ff00:1") /
      ICMPv6ND_NS(tgt="2001:db8:9::1") / ICMPv6NDOptSrcLLAddr(lladdr=me))
r = srp1(ns, iface="xb", timeout=2, filter="icmp6")
print("nd", "ok" if r is not None and ICMPv6ND_NA in r and r[ICMPv6ND_NA].tgt == "2001:db8:9::1"
      and r.src == amac else "none")
# an address the data plane owns (not the kernel's): the port answers
r = srp1(Ether(dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, pdst="10.9.0.77", psrc="10.9.0.2", hwsrc=me),
         iface="xb", timeout=2)
print("own-arp", "ok" if r is not None and ARP in r and r[ARP].op == 2 and r[ARP].hwsrc == amac
      and r[ARP].psrc == "10.9.0.77" and r[ARP].pdst == "10.9.0.2" and r.dst == me else "none")
ns = (Ether(dst="33:33:ff:00:00:77") / IPv6(src="2001:db8:9::2", dst="ff02::1:ff00:77") /
      ICMPv6ND_NS(tgt="2001:db8:9::77") / ICMPv6NDOptSrcLLAddr(lladdr=me))
r = srp1(ns, iface="xb", timeout=2, filter="icmp6")
print("own-nd", "ok" if r is not None and ICMPv6ND_NA in r and r[ICMPv6ND_NA].tgt == "2001:db8:9::77"
      and r.src == amac and r[IPv6].dst == "2001:db8:9::2" else "none")
EOF
stop_tool

if grep -q '^reflected 35 of 35$' "$tmp/far.log"; then
    pass xdp_reflect_seen_by_far_side
else
    fail xdp_reflect_seen_by_far_side "$(tr '\n' ' ' <"$tmp/far.log" | tail -c 400)"
fi
if [ -f "$tmp/dump" ] && [ -f "$tmp/sent" ] &&
    diff <(cut -d' ' -f2 "$tmp/dump" | sort) <(sort "$tmp/sent") >/dev/null; then
    pass xdp_rx_exact_bytes
else
    fail xdp_rx_exact_bytes "$(wc -l <"$tmp/dump" 2>/dev/null) received, $(wc -l <"$tmp/sent" 2>/dev/null) sent"
fi
q0=$(grep -c '^0 ' "$tmp/dump"); q1=$(grep -c '^1 ' "$tmp/dump")
if [ "$q0" -gt 0 ] && [ "$q1" -gt 0 ]; then
    pass xdp_two_queues_used
else
    fail xdp_two_queues_used "queue 0: $q0, queue 1: $q1"
fi
grep -q '^arp ok$' "$tmp/far.log" && pass xdp_kernel_answers_arp || fail xdp_kernel_answers_arp "no ARP reply from $AMAC"
grep -q '^nd ok$' "$tmp/far.log" && pass xdp_kernel_answers_ns || fail xdp_kernel_answers_ns "no Neighbor Advertisement from $AMAC"
grep -q '^own-arp ok$' "$tmp/far.log" && pass xdp_port_answers_arp_for_owned || fail xdp_port_answers_arp_for_owned "no ARP reply for 10.9.0.77"
grep -q '^own-nd ok$' "$tmp/far.log" && pass xdp_port_answers_ns_for_owned || fail xdp_port_answers_ns_for_owned "no Neighbor Advertisement for 2001:db8:9::77"

bytes=$(awk '/^bytes/ {print $2}' "$tmp/far.log")
want="rx_packets=35 rx_bytes=$bytes tx_packets=35 tx_bytes=$bytes rx_ignored=5 rx_dropped=0 tx_errors=0 arp_replies=1 nd_adverts=1"
have=""
for c in rx_packets rx_bytes tx_packets tx_bytes rx_ignored rx_dropped tx_errors arp_replies nd_adverts; do
    have="$have $c=$(counter "$tmp/r.out" $c)"
done
if [ "${have# }" = "$want" ]; then
    pass xdp_counters
else
    fail xdp_counters "have${have}; want $want"
fi
if ! nsx "$A" ip link show xa | grep -q 'prog/xdp'; then
    pass xdp_detached_on_close
else
    fail xdp_detached_on_close "$(nsx "$A" ip link show xa | grep prog)"
fi

# --- rx_dropped: 100 frames at a port with 32 rx frames that is not reading ---
start_tool "$tmp/d.out" xdp xa rx --queues 2 --frames 64 --pause 1.5
nsx "$B" env MAC="$AMAC" $PY -c '
import os
from scapy.all import IP, UDP, Ether, conf, sendp
conf.verb = 0
sendp([Ether(dst=os.environ["MAC"]) / IP(src="10.9.0.50", dst="10.9.0.60") / UDP(dport=9) / b"d" for _ in range(100)], iface="xb")
'
sleep 1.5
stop_tool
rx=$(counter "$tmp/d.out" rx_packets) dropped=$(counter "$tmp/d.out" rx_dropped)
if [ "$rx" = 32 ] && [ "$dropped" = 68 ]; then
    pass xdp_rx_dropped_counted
else
    fail xdp_rx_dropped_counted "rx_packets $rx, rx_dropped $dropped; want 32 and 68"
fi

# --- generic mode: macvlan has no native XDP ---
start_tool "$tmp/g.out" xdp mv0 rx
nsx "$B" env MAC="$MVMAC" $PY -c '
import os
from scapy.all import IP, UDP, Ether, conf, sendp
conf.verb = 0
sendp([Ether(dst=os.environ["MAC"]) / IP(src="10.9.0.2", dst="10.9.0.3") / UDP() / b"g" for _ in range(5)], iface="xb")
'
sleep 0.3
stop_tool
if grep -q '^open kind=xdp queues=1 note=xdp on mv0: generic (SKB) mode: .*native' "$tmp/g.out" &&
    [ "$(counter "$tmp/g.out" rx_packets)" = 5 ]; then
    pass xdp_generic_mode_noted
else
    fail xdp_generic_mode_noted "$(head -c 300 "$tmp/g.out")"
fi

# --- auto on a veth: afpacket, said why (AF_XDP cannot see partial checksums) ---
start_tool "$tmp/v.out" auto xa rx
stop_tool
if grep -q '^open kind=afpacket queues=1 note=xa is a veth: .*: using afpacket$' "$tmp/v.out"; then
    pass xdp_auto_on_veth_uses_afpacket
else
    fail xdp_auto_on_veth_uses_afpacket "$(head -c 300 "$tmp/v.out")"
fi

# --- a program a killed s46 process left on mv0 (ours, attached by ip):
# detached at the next start, said, and the port runs on XDP ---
nsx "$A" ip link set dev mv0 xdpgeneric obj build/gen/xdp_redirect.bpf.o sec xdp
start_tool "$tmp/s.out" auto mv0 rx
stop_tool
if grep -q '^open kind=xdp queues=1 note=.*detached the program a stopped s46 process left' "$tmp/s.out"; then
    pass xdp_stale_program_replaced
else
    fail xdp_stale_program_replaced "$(head -c 400 "$tmp/s.out")"
fi
nsx "$A" ip link set dev mv0 xdpgeneric off 2>/dev/null

# --- fallback: another XDP program (not ours) already on mv0 and xa ---
cat >"$tmp/other.c" <<'C'
struct xdp_md;
__attribute__((section("xdp"), used)) int other_pass(struct xdp_md *c) { (void)c; return 2; /* XDP_PASS */ }
char lic[] __attribute__((section("license"), used)) = "GPL";
C
clang -O2 -target bpf -c "$tmp/other.c" -o "$tmp/other.o"
BPF_OBJ=$tmp/other.o
nsx "$A" ip link set dev xa xdpgeneric obj "$BPF_OBJ" sec xdp
nsx "$A" ip link set dev mv0 xdpgeneric obj "$BPF_OBJ" sec xdp
start_tool "$tmp/f.out" auto mv0 rx --dump "$tmp/fdump"
fhex=$(nsx "$B" env MAC="$MVMAC" $PY -c '
import os
from scapy.all import IP, UDP, Ether, conf, raw, sendp
conf.verb = 0
ip = IP(src="10.9.0.50", dst="10.9.0.3") / UDP(dport=9) / b"fallback"
sendp([Ether(dst=os.environ["MAC"]) / ip for _ in range(5)], iface="xb")
print(raw(ip).hex())
')
sleep 0.3
stop_tool
nsx "$A" ip link set dev mv0 xdpgeneric off
if grep -q '^open kind=afpacket queues=1 note=xdp on mv0: .*: using afpacket$' "$tmp/f.out" &&
    [ "$(grep -c "^0 $fhex\$" "$tmp/fdump")" = 5 ]; then
    pass xdp_auto_falls_back_to_afpacket
else
    fail xdp_auto_falls_back_to_afpacket "$(head -c 400 "$tmp/f.out")"
fi
start_tool "$tmp/x.out" xdp xa rx
wait "$tool_pid" 2>/dev/null
rc=$?
if [ "$rc" = 1 ] && grep -q '^error: xdp on xa: ' "$tmp/x.out"; then
    pass xdp_kind_xdp_fails_with_reason
else
    fail xdp_kind_xdp_fails_with_reason "exit $rc: $(head -c 300 "$tmp/x.out")"
fi
nsx "$A" ip link set dev xa xdpgeneric off
