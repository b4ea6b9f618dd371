#!/usr/bin/env bash
# BR failover (not a test): the lab with two BRs (S46_LAB_BRS=2, both CEs
# MAP-E), 8 UDP flows from LAN 2 at 2000 packets/s echoed by the Internet
# host, and BR_FAILOVER_N (default 4) failures of each kind, alternating
# between the two BRs, the failed BR brought back after each:
#   kill -9   s46-br dies: its TUN device goes, the kernel drops the routes
#             into it, bgpd (import-check) withdraws them
#   SIGSTOP   s46-br hangs: only the watcher sees it (no answer on the
#             control socket), deletes the routes, bgpd withdraws them
# Per failure: the detection-to-reroute time seen by the traffic (from the
# failure to the first echo, through the other BR, of the worst flow that
# lost packets) and the time the ISP router's route changed; then the
# minimum, median and maximum of each kind.
# Exit status: 0, or 1 when the lab does not come up.
set -u
cd "$(dirname "$0")/.."
BIN=${S46_BIN:-build/bin}
PY=/usr/bin/python3
FLOWS=tests/integration/lib/udp_flows.py
N=${BR_FAILOVER_N:-4}
[ -x /usr/lib/frr/bgpd ] || { echo "BR failover: FRR not installed, skipped"; exit 0; }
TMP=$(mktemp -d /tmp/s46-brfo.XXXXXX)
pre=s46bf$$
export S46_LAB_PREFIX=$pre S46_LAB_RUN=$TMP/run S46_LAB_BRS=2 S46_LAB_CE2=map_e S46_LAB_CE_MODE=fixed
RUN=$S46_LAB_RUN
bg=()
cleanup() {
    for p in "${bg[@]}"; do kill "$p" 2>/dev/null; done
    "$BIN/s46" lab down >/dev/null 2>&1
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
paths() { nsx "$1" ip -"$2" route show "$3" | awk 'NR == 1 && NF { n = 1 } /nexthop/ { m++ } END { print (m > 0 ? m : n + 0) }'; }
both_paths() { [ "$(paths $pre-isp 6 2001:db8:ffff::1)" = 2 ] && [ "$(paths $pre-inet 4 192.0.2.0/24)" = 2 ]; }
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }
first_change_ms() { # LOG T
    $PY - "$@" <<'PY'
import datetime, re, sys
t = float(sys.argv[2])
for line in open(sys.argv[1]):
    m = re.match(r"\[(\S+)\]", line)
    if m and "2001:db8:ffff::1" in line:
        ts = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f").timestamp()
        if ts >= t:
            print("%.1f" % ((ts - t) * 1e3)); break
else:
    print("nan")
PY
}

echo "BR failover: two BRs (BGP anycast, ECMP), 8 UDP flows at 2000 packets/s, $N failures of each kind"
"$BIN/s46" lab up >"$TMP/up.log" 2>&1 || { echo "BR failover: lab up failed: $(tail -3 "$TMP/up.log")"; exit 1; }
ip netns exec $pre-inet $PY $FLOWS echo 198.51.100.80 7007 &
bg+=($!)
declare -A results
for kind in kill stop; do
    for i in $(seq "$N"); do
        n=$(( (i - 1) % 2 + 1 )) sock=br ns=$pre-br
        [ $n = 2 ] && sock=br2 ns=$pre-br2
        both_paths || { sleep 1; both_paths; } || { echo "  not two paths before run $i"; continue; }
        ip netns exec $pre-isp ip -ts monitor route >"$TMP/mon.txt" &
        mon=$!
        ip netns exec $pre-lan2 $PY $FLOWS send 198.51.100.80 7007 --flows 8 --pps 2000 --seconds 3 --out "$TMP/u.json" &
        udp=$!
        sleep 1
        t=$EPOCHREALTIME
        pid=$(cat "$RUN/$sock.pid")
        if [ $kind = kill ]; then kill -9 "$pid"; else kill -STOP "$pid"; fi
        wait $udp
        kill $mon 2>/dev/null; wait $mon 2>/dev/null
        sum=$($PY $FLOWS report "$TMP/u.json" --event "$t" | grep '^summary')
        isp=$(first_change_ms "$TMP/mon.txt" "$t")
        printf '  %-7s BR %d: first echo through the other BR %7s ms, ISP route changed %7s ms (%s of 8 flows, %s lost)\n' \
            "$kind" $n "$(field "$sum" reroute_ms)" "$isp" "$(field "$sum" affected)" "$(field "$sum" lost)"
        results[$kind]="${results[$kind]:-} $(field "$sum" reroute_ms)"
        if [ $kind = kill ]; then
            ip netns exec $ns "$BIN/s46-br" --config "$RUN/br.json" --tun s46br0 --ctl "$RUN/$sock.sock" >"$RUN/$sock.log" 2>&1 &
            echo $! >"$RUN/$sock.pid"
        else
            kill -CONT "$pid"
        fi
        for _ in $(seq 100); do both_paths && break; sleep 0.1; done
    done
done
for kind in kill stop; do
    $PY - "$kind" ${results[$kind]:-} <<'PY'
import statistics, sys
what = {"kill": "kill -9 (TUN gone, import-check)", "stop": "SIGSTOP (watcher)"}[sys.argv[1]]
v = sorted(float(x) for x in sys.argv[2:] if x not in ("inf", "nan"))
if v:
    print("  detection-to-reroute, %-34s min %6.1f  median %6.1f  max %6.1f ms (%d runs)"
          % (what, v[0], statistics.median(v), v[-1], len(v)))
else:
    print("  detection-to-reroute, %s: no run measured" % what)
PY
done
