#!/usr/bin/env bash
# BR redundancy in the lab (S46_LAB_BRS=2, both CEs MAP-E, fixed
# configuration): two s46-br with the same configuration announced by BGP
# (FRR), ECMP on the ISP router and the Internet host.
# - flows from each CE (8 UDP flows, echoed by the Internet host) go through
#   both BRs: both BRs' counters move;
# - kill -9 of the first BR during an iperf3 TCP transfer (4 streams of 25
#   Mbit/s: the loss measured is the routing's, not a full queue's) from
#   LAN 1 and a UDP stream (8 flows, 2000 packets/s, echoed) from LAN 2: the
#   transfer completes, the UDP flows that lost packets get echoes again
#   within 1 s of the kill (printed: the time from the kill to the first
#   echo through the other BR, and to the route change on the ISP router and
#   the Internet host), nothing is lost afterwards, every flow is alive at
#   the end; the routers keep one path; the CEs are the same processes with
#   the same configuration (s46 show);
# - the BR restarted: the watcher puts its routes back, both routers have
#   two paths again (time printed) and flows from both CEs go through it;
# - the second BR hung (SIGSTOP): only the watcher can see it (its TUN
#   device stays): it withdraws the BR, the UDP flows get echoes again
#   within 1.5 s; SIGCONT brings it back.
set -u
cd "$(dirname "$0")/../.."
BIN=${S46_BIN:-build/bin}
PY=/usr/bin/python3
FLOWS=tests/integration/lib/udp_flows.py
. tests/integration/lib/wait.sh
if [ ! -x /usr/lib/frr/bgpd ] || ! command -v vtysh >/dev/null; then
    echo "SKIP br_redundancy: FRR (Debian frr) not installed"; exit 0
fi
base=$(mktemp -d)
pre=s46r$$
export S46_LAB_PREFIX=$pre S46_LAB_RUN=$base/run S46_LAB_BRS=2 S46_LAB_CE2=map_e S46_LAB_CE_MODE=fixed
RUN=$S46_LAB_RUN
bg=()
cleanup() {
    for p in "${bg[@]}"; do kill "$p" 2>/dev/null; done
    "$BIN/s46" lab down >/dev/null 2>&1
    for ns in $(ip netns list | awk '{print $1}' | grep "^$pre-"); do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    rm -rf "$base"
}
trap cleanup EXIT
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
paths() { # NS 4|6 PREFIX: next hops of the route
    nsx "$1" ip -"$2" route show "$3" | awk 'NR == 1 && NF { n = 1 } /nexthop/ { m++ } END { print (m > 0 ? m : n + 0) }'
}
both_paths() { [ "$(paths $pre-isp 6 2001:db8:ffff::1)" = "$1" ] && [ "$(paths $pre-inet 4 192.0.2.0/24)" = "$1" ]; }
carried() { # SOCK: packets the BR carried both ways
    "$BIN/s46" show --json --ctl "$1" 2>/dev/null |
        $PY -c 'import json,sys; c = json.load(sys.stdin)["counters"]; print(c["v6_decapsulated"] + c["v4_encapsulated"])' 2>/dev/null || echo 0
}
ce_state() { # N: pid and configuration of CE N
    echo "pid $(cat "$RUN/ce$1.pid")"
    "$BIN/s46" show --json --ctl "$RUN/ce$1.sock" | $PY -c '
import json, sys
j = json.load(sys.stdin)
print({k: j.get(k) for k in ("mechanism", "prefix", "ipv4", "psid", "psid_len", "ports", "ce_ipv6", "br", "provisioning")})'
}
# first route change of PREFIX at or after T in an `ip -ts monitor` log, ms after T
route_change_ms() { # LOG PREFIX T
    $PY - "$@" <<'PY'
import datetime, re, sys
log, prefix, t = sys.argv[1], sys.argv[2], float(sys.argv[3])
for line in open(log):
    m = re.match(r"\[(\S+)\]", line)
    if m and prefix in line:
        ts = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f").timestamp()
        if ts >= t:
            print("%.1f" % ((ts - t) * 1e3)); break
else:
    print("none")
PY
}
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; } # SUMMARY NAME

out=$("$BIN/s46" lab up 2>&1)
if [ $? -ne 0 ]; then
    fail br_redundancy_up "$(tail -n 15 <<<"$out")"; exit 0
fi
if both_paths 2 && vtysh --vty_socket "$RUN/frr-isp" -c 'show bgp ipv6 unicast 2001:db8:ffff::1/128' | grep -q 'multipath'; then
    pass br_redundancy_ecmp
else
    fail br_redundancy_ecmp "$(nsx $pre-isp ip -6 route show 2001:db8:ffff::1; nsx $pre-inet ip route show 192.0.2.0/24)"
fi
ip netns exec $pre-inet $PY $FLOWS echo 198.51.100.80 7007 &
bg+=($!)

# flows from each CE through both BRs
ok=1 msg=
for n in 1 2; do
    lan=$pre-lan; [ $n = 2 ] && lan=$pre-lan2
    a1=$(carried "$RUN/br.sock") a2=$(carried "$RUN/br2.sock")
    nsx $lan $PY $FLOWS send 198.51.100.80 7007 --flows 8 --pps 1000 --seconds 1 --out "$base/spread$n.json"
    d1=$(( $(carried "$RUN/br.sock") - a1 )) d2=$(( $(carried "$RUN/br2.sock") - a2 ))
    echo "CE $n, 8 UDP flows for 1 s (echoed): BR 1 carried $d1 packets, BR 2 $d2"
    msg="$msg CE $n: BR1 $d1, BR2 $d2;"
    [ "$d1" -ge 50 ] && [ "$d2" -ge 50 ] || ok=0
done
[ $ok = 1 ] && pass br_redundancy_both_brs_carry || fail br_redundancy_both_brs_carry "$msg"

# kill -9 of BR 1 under a TCP transfer and a UDP stream
before1=$(ce_state 1) before2=$(ce_state 2)
ip netns exec $pre-isp ip -ts monitor route >"$base/mon-isp.txt" &
bg+=($!)
ip netns exec $pre-inet ip -ts monitor route >"$base/mon-inet.txt" &
bg+=($!)
ip netns exec $pre-lan iperf3 -c 198.51.100.80 -P 4 -b 25M -t 6 -J >"$base/iperf.json" 2>&1 &
tcp=$!
ip netns exec $pre-lan2 $PY $FLOWS send 198.51.100.80 7007 --flows 8 --pps 2000 --seconds 7 --out "$base/kill.json" &
udp=$!
sleep 2
tkill=$EPOCHREALTIME
kill -9 "$(cat "$RUN/br.pid")"
wait $udp
wait $tcp
tcprc=$?
if [ $tcprc -eq 0 ] && $PY -c '
import json, sys
e = json.load(open(sys.argv[1]))["end"]["sum_received"]
print("iperf3 through the kill: %.0f Mbit/s over %.1f s" % (e["bits_per_second"] / 1e6, e["seconds"]))
sys.exit(0 if e["bytes"] > 0 and e["seconds"] >= 5.5 else 1)' "$base/iperf.json"; then
    pass br_redundancy_tcp_survives_kill
else
    fail br_redundancy_tcp_survives_kill "iperf3 exit $tcprc: $(tail -c 400 "$base/iperf.json")"
fi
rep=$($PY $FLOWS report "$base/kill.json" --event "$tkill")
echo "$rep"
sum=$(grep '^summary' <<<"$rep")
isp_ms=$(route_change_ms "$base/mon-isp.txt" 2001:db8:ffff::1 "$tkill")
inet_ms=$(route_change_ms "$base/mon-inet.txt" 192.0.2.0/24 "$tkill")
watch_ms=$(awk -v t="$tkill" '/ down: / && $1 >= t - 0.001 { printf "%.0f", ($1 - t) * 1000; exit }' "$RUN/watch-br1.log")
echo "BR failover (kill -9): first echo through the other BR $(field "$sum" reroute_ms) ms after the kill" \
     "(worst flow; $(field "$sum" affected) of 8 flows affected, $(field "$sum" lost) packets lost);" \
     "route changed on the ISP router after $isp_ms ms, on the Internet host after $inet_ms ms;" \
     "the watcher saw the BR down after ${watch_ms:-?} ms"
if [ "$(field "$sum" affected)" -ge 1 ] && $PY -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= 1000 else 1)' "$(field "$sum" reroute_ms)" &&
   [ "$(field "$sum" late_lost)" = 0 ] && [ "$(field "$sum" silent_flows)" = 0 ]; then
    pass br_redundancy_udp_loss_bounded
else
    fail br_redundancy_udp_loss_bounded "$sum"
fi
if both_paths 1 && grep -q ' down: ' "$RUN/watch-br1.log"; then
    pass br_redundancy_withdrawn
else
    fail br_redundancy_withdrawn "$(nsx $pre-isp ip -6 route show 2001:db8:ffff::1; cat "$RUN/watch-br1.log")"
fi
after1=$(ce_state 1) after2=$(ce_state 2)
if [ "$before1" = "$after1" ] && [ "$before2" = "$after2" ] &&
   kill -0 "$(cat "$RUN/ce1.pid")" && kill -0 "$(cat "$RUN/ce2.pid")"; then
    pass br_redundancy_ces_untouched
else
    fail br_redundancy_ces_untouched "before: $before1 $before2; after: $after1 $after2"
fi

# BR 1 back: the watcher announces it again, it takes traffic from both CEs
tstart=$EPOCHREALTIME
ip netns exec $pre-br "$BIN/s46-br" --config "$RUN/br.json" --tun s46br0 --ctl "$RUN/br.sock" >"$RUN/br.log" 2>&1 &
echo $! >"$RUN/br.pid"
if wait_for 10 both_paths 2; then
    echo "BR 1 restarted: two paths on both routers again after $(( (${EPOCHREALTIME/[.,]/} - ${tstart/[.,]/}) / 1000 )) ms"
    ok=1 msg=
    for n in 1 2; do
        lan=$pre-lan; [ $n = 2 ] && lan=$pre-lan2
        a1=$(carried "$RUN/br.sock")
        nsx $lan $PY $FLOWS send 198.51.100.80 7007 --flows 8 --pps 1000 --seconds 1 --out "$base/back$n.json"
        d1=$(( $(carried "$RUN/br.sock") - a1 ))
        msg="$msg CE $n: $d1 packets through BR 1;"
        [ "$d1" -ge 50 ] || ok=0
    done
    echo "after the restart:$msg"
    [ $ok = 1 ] && pass br_redundancy_br_back || fail br_redundancy_br_back "$msg"
else
    fail br_redundancy_br_back "not two paths 10 s after the restart: $(tail -n 3 "$RUN/watch-br1.log")"
fi

# BR 2 hangs (SIGSTOP): its TUN device and routes stay, only the watcher sees it
br2=$(cat "$RUN/br2.pid")
ip netns exec $pre-lan2 $PY $FLOWS send 198.51.100.80 7007 --flows 8 --pps 2000 --seconds 5 --out "$base/hang.json" &
udp=$!
sleep 1.5
thang=$EPOCHREALTIME
kill -STOP "$br2"
sleep 2.5
paths_hung=$(paths $pre-isp 6 2001:db8:ffff::1)/$(paths $pre-inet 4 192.0.2.0/24)
kill -CONT "$br2"
wait $udp
rep=$($PY $FLOWS report "$base/hang.json" --event "$thang" --window 2.5)
sum=$(grep '^summary' <<<"$rep")
watch_ms=$(awk -v t="$thang" '/ down: / && $1 >= t - 0.001 { printf "%.0f", ($1 - t) * 1000; exit }' "$RUN/watch-br2.log")
echo "BR failover (hang, SIGSTOP): the watcher withdrew the BR after ${watch_ms:-?} ms, first echo through" \
     "the other BR $(field "$sum" reroute_ms) ms after the hang ($(field "$sum" affected) of 8 flows affected," \
     "$(field "$sum" lost) packets lost)"
if [ "$paths_hung" = 1/1 ] && [ -n "$watch_ms" ] && [ "$(field "$sum" affected)" -ge 1 ] &&
   $PY -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= 1500 else 1)' "$(field "$sum" reroute_ms)" &&
   [ "$(field "$sum" silent_flows)" = 0 ] && wait_for 5 both_paths 2; then
    pass br_redundancy_hang_withdrawn
else
    fail br_redundancy_hang_withdrawn "paths while hung $paths_hung, watcher ${watch_ms:-no down line}: $sum"
fi
