#!/usr/bin/env bash
# The TUN port with real traffic: tests/tools/tuncheck reads every packet
# of a TUN device through the port interface and writes it back. Between
# two namespaces A and B sits M, which forwards A<->B through that TUN
# (policy routing: what arrives on a veth goes into the TUN, what the
# reflector writes back is routed on to the other veth). B's TCP and UDP
# send super-packets (TSO/USO), which reach the TUN whole when offloads are
# on.
#   - offloads on: a 16 MB file fetched over IPv4 and over IPv6 arrives
#     intact (sha256), super-packets were received and cut (rx_gso_split),
#     every packet the port handed over fits a buffer and has correct
#     checksums (tuncheck --verify), and tshark finds every packet received
#     in A within the MTU with correct IP/TCP checksums; a UDP_SEGMENT send
#     arrives as the right datagrams;
#   - counters: what the reflector sent equals what the kernel counted as
#     received on the device (one packet for a run of segments the port
#     merged into a super-packet: tx_coalesced), nothing failed;
#   - tx coalescing: the segments the port cut, written back in batches,
#     leave merged into super-packets (tx_coalesced), and what A receives
#     is still intact, within the MTU, with correct checksums;
#   - two queues (IFF_MULTI_QUEUE) with offloads: 12 parallel flows, both
#     queues carry traffic, transfer intact;
#   - tx: super-packets the reflector sends itself (tuncheck --super) reach
#     B as the right datagrams: handed to the kernel whole (tx_gso) with a
#     partial checksum, cut by the port without one or without offloads;
#   - offloads off: the same fetch, no super-packet seen.
set -u
cd "$(dirname "$0")/../.."
TOOLS=${S46_ROOT:-.}/build/asan/tools
. tests/integration/lib/wait.sh
P=s46t$$
A=$P-a M=$P-m B=$P-b
TUN=s46tq$$
TUN=${TUN:0:15}
tmp=$(mktemp -d)
cleanup() {
    for ns in $A $M $B; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

if [ ! -x "$TOOLS/tuncheck" ]; then
    fail port_tun_tool "no $TOOLS/tuncheck (make tools)"
    exit 1
fi

for ns in $A $M $B; do ip netns add "$ns"; nsx "$ns" ip link set lo up; done
ip link add a0 netns "$A" type veth peer name a1 netns "$M"
ip link add b0 netns "$B" type veth peer name b1 netns "$M"
nsx "$A" ip link set a0 up; nsx "$M" ip link set a1 up; nsx "$M" ip link set b1 up; nsx "$B" ip link set b0 up
# A sees what a wire would carry: the kernel cuts what leaves M towards A
# (the reflector's merged super-packets too) and completes its checksums
nsx "$M" ethtool -K a1 tso off gso off tx off >/dev/null
nsx "$M" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
    net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
nsx "$A" ip addr add 192.0.2.2/24 dev a0
nsx "$M" ip addr add 192.0.2.1/24 dev a1
nsx "$B" ip addr add 198.51.100.2/24 dev b0
nsx "$M" ip addr add 198.51.100.1/24 dev b1
nsx "$A" ip -6 addr add 2001:db8:a::2/64 dev a0 nodad
nsx "$M" ip -6 addr add 2001:db8:a::1/64 dev a1 nodad
nsx "$B" ip -6 addr add 2001:db8:b::2/64 dev b0 nodad
nsx "$M" ip -6 addr add 2001:db8:b::1/64 dev b1 nodad
nsx "$A" ip route add default via 192.0.2.1
nsx "$B" ip route add default via 198.51.100.1
nsx "$A" ip -6 route add default via 2001:db8:a::1
nsx "$B" ip -6 route add default via 2001:db8:b::1
# what arrives from a veth goes into the TUN (table 100); what comes out of
# the TUN follows the main table
for f in -4 -6; do
    nsx "$M" ip $f rule add iif a1 lookup 100 pref 100
    nsx "$M" ip $f rule add iif b1 lookup 100 pref 100
done

# a web server in B with a random file
head -c 16000000 /dev/urandom >"$tmp/big.bin"
want=$(sha256sum <"$tmp/big.bin" | cut -d' ' -f1)
nsx "$B" /usr/bin/python3 -m http.server 8080 --bind :: --directory "$tmp" >/dev/null 2>&1 &
for _ in $(seq 300); do nsx "$B" ss -ltn | grep -q 8080 && break; sleep 0.1; done

TC=
start_tun() { # label, tuncheck options...
    local label=$1; shift
    : >"$tmp/$label.json" # (a reused label's old "ready" must not be seen first)
    ip netns exec "$M" "$TOOLS/tuncheck" --dev "$TUN" --verify "$@" >"$tmp/$label.json" 2>"$tmp/$label.err" &
    TC=$!
    for _ in $(seq 300); do grep -q ready "$tmp/$label.json" 2>/dev/null && break; sleep 0.1; done
    nsx "$M" sysctl -qw "net.ipv4.conf.$TUN.rp_filter=0"
    nsx "$M" ip route add 192.0.2.0/24 dev "$TUN" table 100
    nsx "$M" ip route add 198.51.100.0/24 dev "$TUN" table 100
    nsx "$M" ip -6 route add 2001:db8:a::/64 dev "$TUN" table 100
    nsx "$M" ip -6 route add 2001:db8:b::/64 dev "$TUN" table 100
}
# stops the reflector; its counters (total, or queue N) as shell variables
KRX=0 KRXB=0
stop_tun() { # label
    sleep 0.3
    # the reflector's counters and the kernel's at one moment: a snapshot
    # between two equal reads of the kernel's count (a straggler between
    # the reads made them differ on a loaded machine); `get` reads it
    local k1 k2 st=/sys/class/net/$TUN/statistics
    for _ in $(seq 10); do
        k1=$(nsx "$M" cat "$st/rx_packets" "$st/rx_bytes")
        snap "$1"
        k2=$(nsx "$M" cat "$st/rx_packets" "$st/rx_bytes")
        [ "$k1" = "$k2" ] && break
        sleep 0.1
    done
    read -r KRX KRXB <<<"$(echo $k2)"
    cp "$tmp/$1.json" "$tmp/$1.snap.json"
    kill "$TC"; wait "$TC" 2>/dev/null
}
snap() { # label: the reflector prints its counters now
    local n; n=$(grep -c '^{' "$tmp/$1.json")
    kill -USR1 "$TC"
    for _ in $(seq 50); do [ "$(grep -c '^{' "$tmp/$1.json")" -gt "$n" ] && break; sleep 0.05; done
}
get() { # label, key [queue]: from its last counters
    /usr/bin/python3 -c '
import json, sys
import os
f = sys.argv[1][:-5] + ".snap.json" if os.path.exists(sys.argv[1][:-5] + ".snap.json") else sys.argv[1]
lines = [l for l in open(f) if l.startswith("{")]
j = json.loads(lines[-1]) if lines else {}
o = j.get("total", {}) if len(sys.argv) < 4 else j["queues"][int(sys.argv[3])]
print(o.get(sys.argv[2], -1))' "$tmp/$1.json" "${@:2}"
}
fetch() { # url -> sha256 of the body
    nsx "$A" curl -gs --max-time 30 "$1" | sha256sum | cut -d' ' -f1
}
# counters the reflector must agree with, for label
consistent() { # label [packets bytes the reflector sent of its own]
    local rx tx rxb txb err bad shape checked co kb
    rx=$(get "$1" rx_packets); tx=$(get "$1" tx_packets); rxb=$(get "$1" rx_bytes); txb=$(get "$1" tx_bytes)
    err=$(get "$1" tx_errors); bad=$(get "$1" bad_csum); shape=$(get "$1" bad_shape); checked=$(get "$1" checked)
    co=$(get "$1" tx_coalesced)
    # a merged packet's IP and TCP headers (40 to 120 bytes) reach the
    # kernel once per run, not once per packet
    kb=$(( KRXB <= txb - 40 * co && KRXB >= txb - 120 * co ))
    if [ "$rx" -gt 0 ] && [ $((rx + ${2:-0})) = "$tx" ] && [ $((rxb + ${3:-0})) = "$txb" ] && [ "$err" = 0 ] &&
        [ $((tx - co)) = "$KRX" ] && [ "$kb" = 1 ]; then
        pass "port_tun_${1}_counters"
    else
        fail "port_tun_${1}_counters" "rx $rx/$rxb tx $tx/$txb tx_coalesced $co tx_errors $err; kernel rx $KRX/$KRXB"
    fi
    if [ "$checked" = "$rx" ] && [ "$bad" = 0 ] && [ "$shape" = 0 ]; then
        pass "port_tun_${1}_packets_fit_and_verify"
    else
        fail "port_tun_${1}_packets_fit_and_verify" "checked $checked of $rx: $bad bad checksums, $shape too big or with offload metadata"
    fi
}

# B receives n datagrams of 1000 bytes on port (the tuncheck --super
# pattern, repeated every 8); prints ok or what came
udp_rx() { # port count
    nsx "$B" /usr/bin/python3 - "$1" "$2" <<'PY'
import socket, sys
port, count = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.51.100.2", port)); s.settimeout(3)
print("bound", flush=True)
got = []
try:
    while len(got) < count:
        got.append(s.recv(4000))
except socket.timeout:
    pass
want = [bytes(((i % 8) * 7 + k) % 251 for k in range(1000)) for i in range(count)]
# the kernel may reorder what one thread writes (per-CPU backlogs)
print("ok" if sorted(got) == sorted(want) else "got %d datagrams, sizes %s, %d as expected" % (len(got), sorted(set(len(g) for g in got)), sum(g in want for g in got)))
PY
}
# the reflector's two UDP super-packets (tuncheck --super) reach B whole
super_tx() { # label
    udp_rx 9001 16 >"$tmp/super.out" 2>&1 &
    local r=$!
    for _ in $(seq 50); do grep -q bound "$tmp/super.out" && break; sleep 0.1; done
    kill -USR2 "$TC"
    wait "$r"
    grep -v bound "$tmp/super.out"
}

# ---- offloads on, one queue ----
start_tun off1 --offloads --super 192.0.2.2,198.51.100.2,9001
nsx "$A" dumpcap -q -i a0 -f "tcp and src port 8080" -w "$tmp/a0.pcapng" 2>/dev/null &
CAP=$!
wait_for 5 test -s "$tmp/a0.pcapng" # dumpcap writes its header once capturing
got4=$(fetch http://198.51.100.2:8080/big.bin)
snap off1; split4=$(get off1 rx_gso_split)
got6=$(fetch "http://[2001:db8:b::2]:8080/big.bin")
sleep 0.3
snap off1; split6=$(get off1 rx_gso_split)
kill "$CAP"; wait "$CAP" 2>/dev/null
# UDP_SEGMENT: one 12000-byte send cut into 1000-byte datagrams
nsx "$B" /usr/bin/python3 - >"$tmp/udp.out" 2>&1 <<'PY' &
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.51.100.2", 9000)); s.settimeout(3)
got = []
try:
    while len(got) < 12:
        got.append(s.recv(4000))
except socket.timeout:
    pass
want = [bytes((i * 7 + k) % 251 for k in range(1000)) for i in range(12)]
# the kernel may reorder what one thread writes (per-CPU backlogs)
print("ok" if sorted(got) == sorted(want) else "got %d datagrams, sizes %s, %d as expected" % (len(got), sorted(set(len(g) for g in got)), sum(g in want for g in got)))
PY
UDP=$!
wait_for 5 eval 'nsx "$B" ss -Hlun "( sport = :9000 )" | grep -q .'
nsx "$A" /usr/bin/python3 - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_UDP, 103, 1000)  # UDP_SEGMENT
s.sendto(b"".join(bytes((i * 7 + k) % 251 for k in range(1000)) for i in range(12)), ("198.51.100.2", 9000))
PY
wait "$UDP"
snap off1; splitu=$(get off1 rx_gso_split) gso0=$(get off1 tx_gso)
sup=$(super_tx off1)
stop_tun off1

[ "$got4" = "$want" ] && pass port_tun_offloads_tcp4_intact || fail port_tun_offloads_tcp4_intact "sha256 $got4"
[ "$got6" = "$want" ] && pass port_tun_offloads_tcp6_intact || fail port_tun_offloads_tcp6_intact "sha256 $got6"
if [ "$split4" -gt 0 ] && [ "$split6" -gt "$split4" ]; then
    pass port_tun_offloads_super_packets_split
else
    fail port_tun_offloads_super_packets_split "rx_gso_split after IPv4 $split4, after IPv6 $split6"
fi
[ "$(get off1 rx_csum_completed)" -gt 0 ] && pass port_tun_offloads_partial_csum_completed ||
    fail port_tun_offloads_partial_csum_completed "rx_csum_completed $(get off1 rx_csum_completed)"
udp=$(cat "$tmp/udp.out")
[ "$udp" = ok ] && pass port_tun_offloads_udp_segment || fail port_tun_offloads_udp_segment "$udp"
# USO reaches the TUN whole where the kernel has it (Linux 6.2)
if [ "$splitu" -gt "$split6" ]; then
    pass port_tun_offloads_uso_split
else
    fail port_tun_offloads_uso_split "rx_gso_split $split6 before the UDP send, $splitu after"
fi
if [ "$sup" = ok ] && [ "$(get off1 tx_gso)" = $((gso0 + 1)) ]; then
    pass port_tun_offloads_tx_super_packets
else
    fail port_tun_offloads_tx_super_packets "B: $sup; tx_gso $gso0 before, $(get off1 tx_gso) after (1 more expected)"
fi
# the fetches' segments went back merged (the far side's checks below and
# the sha256 above say the kernel cut them back right)
if [ "$(get off1 tx_coalesced)" -gt 1000 ] && [ "$gso0" -gt 100 ]; then
    pass port_tun_offloads_tx_coalesced
else
    fail port_tun_offloads_tx_coalesced "tx_coalesced $(get off1 tx_coalesced), tx_gso $gso0"
fi
# sent of its own: one super-packet whole, one cut into 8 (1028 bytes each)
consistent off1 9 $((8028 + 8 * 1028))
# what A received: within the MTU, checksums correct (tshark recomputes)
tshark -r "$tmp/a0.pcapng" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -T fields \
    -e ip.version -e ip.checksum.status -e tcp.checksum.status -e frame.len >"$tmp/a0.txt" 2>/dev/null
n=$(wc -l <"$tmp/a0.txt")
# status 1 is Good (0 Bad, 2 Unverified); IPv6 has no header checksum; 14: Ethernet
badn=$(awk -F'\t' '!(($1 == 6 || $2 == 1) && $3 == 1 && $4 <= 1514)' "$tmp/a0.txt" | wc -l)
if [ "$n" -gt 10000 ] && [ "$badn" = 0 ]; then
    pass port_tun_far_side_checksums
else
    fail port_tun_far_side_checksums "$badn of $n captured packets bad, unverified or larger than the MTU"
fi

# ---- offloads on, two queues, several flows ----
start_tun mq --offloads --queues 2
nsx "$B" iperf3 -s -1 -B 198.51.100.2 >/dev/null 2>&1 &
IPF=$!
wait_for 5 eval 'nsx "$B" ss -Hltn "( sport = :5201 )" | grep -q .'
nsx "$A" timeout 20 iperf3 -c 198.51.100.2 -R -P 12 -t 2 -J >"$tmp/iperf.json" 2>&1
wait "$IPF" 2>/dev/null
gotmq=$(fetch http://198.51.100.2:8080/big.bin)
stop_tun mq
q0=$(get mq rx_packets 0) q1=$(get mq rx_packets 1)
if [ "$q0" -gt 100 ] && [ "$q1" -gt 100 ]; then
    pass port_tun_two_queues_both_carry
else
    fail port_tun_two_queues_both_carry "rx_packets per queue: $q0, $q1"
fi
bps=$(/usr/bin/python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bytes"]))' "$tmp/iperf.json" 2>/dev/null || echo 0)
if [ "$gotmq" = "$want" ] && [ "$bps" -gt 1000000 ]; then
    pass port_tun_two_queues_transfer
else
    fail port_tun_two_queues_transfer "sha256 $gotmq, iperf3 received $bps bytes"
fi
[ "$(get mq rx_gso_split)" -gt 0 ] && pass port_tun_two_queues_super_packets ||
    fail port_tun_two_queues_super_packets "rx_gso_split $(get mq rx_gso_split)"
consistent mq

# ---- offloads off ----
start_tun plain --super 192.0.2.2,198.51.100.2,9001
gotp=$(fetch http://198.51.100.2:8080/big.bin)
supp=$(super_tx plain)
stop_tun plain
if [ "$supp" = ok ] && [ "$(get plain tx_gso)" = 0 ] && [ "$(get plain tx_coalesced)" = 0 ]; then
    pass port_tun_plain_tx_super_packets_cut
else
    fail port_tun_plain_tx_super_packets_cut "B: $supp; tx_gso $(get plain tx_gso), tx_coalesced $(get plain tx_coalesced) (0 expected)"
fi
[ "$gotp" = "$want" ] && pass port_tun_plain_intact || fail port_tun_plain_intact "sha256 $gotp"
[ "$(get plain rx_gso_split)" = 0 ] && [ "$(get plain rx_csum_completed)" = 0 ] &&
    pass port_tun_plain_no_offload_metadata ||
    fail port_tun_plain_no_offload_metadata "rx_gso_split $(get plain rx_gso_split), rx_csum_completed $(get plain rx_csum_completed)"
consistent plain 16 $((16 * 1028))
exit 0
