#!/usr/bin/env bash
# TCP through the lab (not a test): iperf3, 4 streams, LAB_TCP_S seconds
# (default 10), LAN host -> s46-ce -> ISP router -> s46-br -> Internet host,
# next to the kernel forwarding plain IPv4 across the same namespaces and
# hops (lan -- ce -- isp -- br -- inet, veth, no s46). Prints Gbit/s of each
# and the ratio (target >= 0.5). S46_LAB_IO (tun|afpacket|xdp) is passed to
# the lab as is; the I/O mode the daemons report is printed. A profile
# line follows for each daemon (CE 1, BR) over the s46 run: its share of a
# core and how much of it the kernel's (system time: its reads and writes,
# with the forwarding they trigger), CPU per packet sent, and how many
# packets a super-packet carried into it (rx_gso_split) and out of it
# (tx_gso, tx_coalesced). Where the time goes, with perf: docs/testing.md
# ("Lab TCP through s46 and the kernel").
# Exit status: 0, or 1 when a setup fails.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${S46_BIN:-$ROOT/build/bin}
DUR=${LAB_TCP_S:-10}
export S46_LAB_PREFIX=s46lt$$ S46_LAB_CE_MODE=fixed
TMP=$(mktemp -d /tmp/s46-labtcp.XXXXXX)
export S46_LAB_RUN=$TMP/run
K=s46kt$$
T0=$(date +%s)
cleanup() {
    bash lab/lab.sh down >/dev/null 2>&1
    for ns in $K-lan $K-ce $K-isp $K-br $K-inet; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
# Gbit/s received, from iperf3 -J on stdin
gbps() { python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))' 2>/dev/null; }

echo "lab TCP: iperf3 -P 4, ${DUR} s, LAN host -> CE -> ISP -> BR -> Internet host"
bash lab/lab.sh up >"$TMP/up.log" 2>&1 || { echo "lab TCP: lab up failed: $(tail -3 "$TMP/up.log")"; exit 1; }
mode() { "$BIN/s46" show --json --ctl "$S46_LAB_RUN/$1.sock" 2>/dev/null |
         python3 -c 'import json,sys; print(json.load(sys.stdin).get("io", "tun (no io in show)"))' 2>/dev/null || echo "?"; }
io="CE $(mode ce1), BR $(mode br) (S46_LAB_IO=${S46_LAB_IO:-unset})"
# CPU ticks (user system) of a daemon, and its counters
ticks() { awk '{print $14, $15}' "/proc/$(cat "$S46_LAB_RUN/$1.pid" 2>/dev/null)/stat" 2>/dev/null || echo "0 0"; }
snap() { # name file
    echo "$(ticks "$1")" >"$2.cpu"
    "$BIN/s46" show --json --ctl "$S46_LAB_RUN/$1.sock" >"$2.json" 2>/dev/null
}
# packets and bytes an interface received (the ISP's from the CE: what
# crossed the middle hop, super-packets counted once)
ifst() { nsx "$1" cat "/sys/class/net/$2/statistics/rx_packets" "/sys/class/net/$2/statistics/rx_bytes" 2>/dev/null | paste -sd' '; }
for d in ce1 br; do snap $d "$TMP/$d.0"; done
ifst "$S46_LAB_PREFIX-isp" toce1 >"$TMP/hop.s46.0"
t0=$(date +%s.%N)
nsx "$S46_LAB_PREFIX-lan" timeout $((DUR + 30)) iperf3 -c 198.51.100.80 -P 4 -t "$DUR" -J >"$TMP/s46.iperf" 2>/dev/null
s46=$(gbps <"$TMP/s46.iperf")
t1=$(date +%s.%N)
for d in ce1 br; do snap $d "$TMP/$d.1"; done
ifst "$S46_LAB_PREFIX-isp" toce1 >"$TMP/hop.s46.1"
bash lab/lab.sh down >/dev/null 2>&1

# the same hops, the kernel forwarding IPv4
for ns in lan ce isp br inet; do ip netns add "$K-$ns" || { echo "lab TCP: netns failed"; exit 1; }; nsx "$K-$ns" ip link set lo up; done
n=0
for pair in lan:ce ce:isp isp:br br:inet; do
    a=${pair%%:*} b=${pair##*:}; n=$((n + 1))
    ip link add e$n netns "$K-$a" type veth peer name w$n netns "$K-$b" || { echo "lab TCP: veth failed"; exit 1; }
    nsx "$K-$a" ip link set e$n up; nsx "$K-$b" ip link set w$n up
    nsx "$K-$a" ip addr add 10.99.$n.1/24 dev e$n; nsx "$K-$b" ip addr add 10.99.$n.2/24 dev w$n
done
for ns in ce isp br; do nsx "$K-$ns" sysctl -qw net.ipv4.ip_forward=1; done
nsx "$K-lan" ip route add default via 10.99.1.2
nsx "$K-ce" ip route add default via 10.99.2.2
nsx "$K-isp" ip route add default via 10.99.3.2; nsx "$K-isp" ip route add 10.99.1.0/24 via 10.99.2.1
nsx "$K-br" ip route add 10.99.1.0/24 via 10.99.3.1; nsx "$K-br" ip route add 10.99.2.0/24 via 10.99.3.1
nsx "$K-inet" ip route add default via 10.99.4.1
nsx "$K-inet" iperf3 -s -B 10.99.4.2 >/dev/null 2>&1 &
for _ in $(seq 50); do nsx "$K-inet" ss -Hltn 'sport = :5201' | grep -q LISTEN && break; sleep 0.1; done
ifst "$K-isp" w2 >"$TMP/hop.kern.0"
nsx "$K-lan" timeout $((DUR + 30)) iperf3 -c 10.99.4.2 -P 4 -t "$DUR" -J >"$TMP/kern.iperf" 2>/dev/null
kern=$(gbps <"$TMP/kern.iperf")
ifst "$K-isp" w2 >"$TMP/hop.kern.1"

printf '  %-34s %8s Gbit/s   (%s)\n' "s46 (CE + BR, MAP-E)" "${s46:-failed}" "$io"
printf '  %-34s %8s Gbit/s\n' "kernel IPv4 forwarding, same hops" "${kern:-failed}"
python3 - "$TMP" "$t0" "$t1" "$(getconf CLK_TCK)" <<'PY' 2>/dev/null
import json, sys
tmp, secs, hz = sys.argv[1], float(sys.argv[3]) - float(sys.argv[2]), int(sys.argv[4])
def iperf(name):  # Gbit/s, cores the client and the server used
    e = json.load(open("%s/%s.iperf" % (tmp, name)))["end"]
    c = e["cpu_utilization_percent"]
    return e["sum_received"]["bits_per_second"] / 1e9, (c["host_total"] + c["remote_total"]) / 100
def load(base, i):
    u, s = (int(x) for x in open("%s.%d.cpu" % (base, i)).read().split())
    try:
        ifs = json.load(open("%s.%d.json" % (base, i))).get("interfaces", {})
    except ValueError:
        ifs = {}
    c = {}
    for v in ifs.values():
        for k, x in v.items():
            if isinstance(x, int):
                c[k] = c.get(k, 0) + x
    return u, s, c
cores = {}
for d, name in (("ce1", "CE"), ("br", "BR")):
    u0, s0, c0 = load("%s/%s" % (tmp, d), 0)
    u1, s1, c1 = load("%s/%s" % (tmp, d), 1)
    dc = {k: c1.get(k, 0) - c0.get(k, 0) for k in c1}
    cpu = (u1 - u0 + s1 - s0) / hz
    cores[name] = cpu / secs
    split, gso, co = dc.get("rx_gso_split", 0), dc.get("tx_gso", 0), dc.get("tx_coalesced", 0)
    print("  profile %s %3.0f %% of a core (%2.0f %% of it in the kernel), %4.1f us per packet sent; "
          "packets per super-packet in %s, out %s" % (
          name, 100 * cores[name], 100 * (s1 - s0) / max(1, u1 - u0 + s1 - s0),
          1e6 * cpu / max(1, dc.get("tx_packets", 0)),
          "%.1f" % (dc.get("rx_packets", 0) / split) if split else "-",
          "%.1f" % (co / gso + 1) if co else "-"))
g, ic = iperf("s46")
gk, kc = iperf("kern")
s46c = ic + cores["CE"] + cores["BR"]
print("  cores per Gbit/s: s46 %.2f (CE %.2f, BR %.2f, iperf3 client and server %.2f), kernel %.2f "
      "(iperf3 client and server, the forwarding in their softirqs)" % (
      s46c / g, cores["CE"] / g, cores["BR"] / g, ic / g, kc / gk))
def hop(name):  # bytes per packet the ISP received from the CE
    a, b = (open("%s/hop.%s.%d" % (tmp, name, i)).read().split() for i in (0, 1))
    return (int(b[1]) - int(a[1])) / max(1, int(b[0]) - int(a[0]))
print("  bytes per packet across the middle hop (ISP from CE): s46 %.0f, kernel %.0f" % (hop("s46"), hop("kern")))
PY
if [ -n "$s46" ] && [ -n "$kern" ]; then
    python3 -c "import sys; r = $s46 / $kern if $kern > 0 else 0; print('  ratio s46/kernel %.3f: target >= 0.5 %s' % (r, 'met' if r >= 0.5 else 'NOT met'))"
fi
echo "lab TCP: total $(( $(date +%s) - T0 )) s"
