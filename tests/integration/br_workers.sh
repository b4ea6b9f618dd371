#!/usr/bin/env bash
# s46-br with --workers 2 on each port kind (tun, afpacket, xdp), between a
# CE namespace (a MAP address, full-address rule) and an IPv4 host:
#  - zero loss under capacity: a fixed modest rate (5000 UDP datagrams of
#    500 bytes per second, ~20 Mbit/s) each way at once for 3 s; the far
#    side receives every datagram, and the BR's ports count no rx_dropped;
#  - reload under traffic: while a stream flows both ways, SIGHUP three
#    times (one of them a configuration with one more rule) and once with a
#    file that does not load (kept the running configuration): nothing lost;
#  - `s46 show --json` sums the workers: every counter is the sum of the
#    per_worker ones, workers is 2;
#  - fragments: IPv4 datagrams cut in fragments sent alternately from both
#    CPUs (XPS maps each CPU to its own queue, so on AF_XDP the fragments of
#    one datagram arrive on both queues), and IPv4-in-IPv6 packets cut in
#    IPv6 fragments the same way, all reach the far side whole; the BR
#    reassembled them, fragments that reached the worker not owning their
#    datagram handed over to the owner (`redirected`);
#  - AF_XDP with one worker on the same 2-queue veths: what arrives on
#    queue 1 is not lost either.
# The senders and receivers are small python programs (raw IPv4-in-IPv6
# socket on the CE side, UDP on the IPv4 side) that count each datagram by
# its sequence number.
set -u
cd "$(dirname "$0")/../.."
BIN=${S46_BIN:-build/bin}
BRBIN=${S46_ASAN_BIN:-build/asan/bin}
[ -x "$BRBIN/s46-br" ] || BRBIN=$BIN
P=s46w$$
CE=$P-ce BR=$P-br INET=$P-inet
PY=/usr/bin/python3
MAP6=2001:db8:12::c000:212:0 BR6=2001:db8:ffff::1 CE4=192.0.2.18 H4=198.51.100.80
RATE=5000 SECS=3
tmp=$(mktemp -d)
cleanup() {
    for ns in $CE $BR $INET; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
}
trap 'cleanup; rm -rf "$tmp"' EXIT
mac() { ip netns exec "$1" cat "/sys/class/net/$2/address"; }
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

cat >"$tmp/flow.py" <<'EOF'
# send4 DST PORT N RATE SIZE [FIRST]  UDP datagrams to DST:PORT (sequence
#                                     numbers from FIRST)
# send6 SRC6 BR6 SRC4 DST4 PORT N RATE SIZE
#                                     the same inside IPv6 (raw IPv4-in-IPv6)
# recv4 ADDR PORT N SIZE SECS         counts datagrams of SIZE bytes on ADDR:PORT
# recv6 MAP6 PORT N SIZE SECS         the same for IPv4-in-IPv6 sent to MAP6
# A receiver prints "ready", then stops when it has all N, when nothing came
# for 3 s after the first, or after SECS; it prints "got K of N bad B" (bad:
# not whole, or not SIZE bytes). A sender never bursts more than 32 ahead
# of its schedule (a stall shifts the schedule instead).
import socket, struct, sys, time
MAGIC = b"S46W"
def payload(i, size):
    return (MAGIC + struct.pack("!I", i)).ljust(size, b"x")
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
def paced(n, rate, send):
    start, i = time.monotonic(), 0
    while i < n:
        due = min(n, int((time.monotonic() - start) * rate) + 1)
        if due - i > 32:
            start += (due - i - 32) / rate
            due = i + 32
        while i < due:
            send(i)
            i += 1
        time.sleep(0.002)
    print("sent", n, flush=True)
def receive(sock, n, secs, parse):
    print("ready", flush=True)
    seen, bad, first, last = set(), 0, None, None
    end = time.monotonic() + secs
    sock.settimeout(0.2)
    while len(seen) < n and time.monotonic() < end and not (last and time.monotonic() - last > 3):
        try:
            data = sock.recv(65535)
        except socket.timeout:
            continue
        r = parse(data)
        if r is None:
            continue
        last = time.monotonic()
        if r < 0:
            bad += 1
        else:
            seen.add(r)
    print("got %d of %d bad %d" % (len(seen), n, bad), flush=True)
def seq(pl, size):
    if not pl.startswith(MAGIC):
        return None
    return struct.unpack("!I", pl[4:8])[0] if len(pl) == size else -1
m = sys.argv[1]
a = sys.argv[2:]
if m == "send4":
    dst, port, n, rate, size = a[0], int(a[1]), int(a[2]), float(a[3]), int(a[4])
    first = int(a[5]) if len(a) > 5 else 0
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    paced(n, rate, lambda i: s.sendto(payload(first + i, size), (dst, port)))
elif m == "send6":
    src6, br6, src4, dst4, port, n, rate, size = a[0], a[1], a[2], a[3], int(a[4]), int(a[5]), float(a[6]), int(a[7])
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 4)
    s.bind((src6, 0))
    s4, d4 = socket.inet_aton(src4), socket.inet_aton(dst4)
    def one(i):
        udp = struct.pack("!HHHH", 40000 + i % 16, port, 8 + size, 0) + payload(i, size)
        h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xffff, 0, 64, 17, 0, s4, d4)
        h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
        s.sendto(h + udp, (br6, 0))
    paced(n, rate, one)
elif m == "recv4":
    addr, port, n, size, secs = a[0], int(a[1]), int(a[2]), int(a[3]), float(a[4])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)  # SO_RCVBUFFORCE
    s.bind((addr, port))
    receive(s, n, secs, lambda d: seq(d, size))
elif m == "recv6":
    map6, port, n, size, secs = a[0], int(a[1]), int(a[2]), int(a[3]), float(a[4])
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 4)
    s.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)
    s.bind((map6, 0))
    def parse(d):
        if len(d) < 28 or d[0] >> 4 != 4 or d[9] != 17:
            return None
        ihl = (d[0] & 15) * 4
        if struct.unpack("!H", d[ihl + 2:ihl + 4])[0] != port:
            return None
        if struct.unpack("!H", d[6:8])[0] & 0x3fff:
            return -1  # a fragment, not a whole datagram
        return seq(d[ihl + 8:], size)
    receive(s, n, secs, parse)
EOF

cat >"$tmp/frags.py" <<'EOF'
# v4 IFACE DSTMAC SRC4 DST4 PORT N SIZE: N UDP datagrams cut in IPv4 fragments
# v6 IFACE DSTMAC SRC6 BR6 SRC4 DST4 PORT N SIZE: the same datagrams whole, in
#    IPv4-in-IPv6 packets cut in IPv6 fragments
# Fragment k of every datagram is sent from CPU k % 2 (XPS then picks tx
# queue k % 2, which is the peer's rx queue); the last fragment first.
import os, struct, sys
from scapy.all import Ether, IP, IPv6, IPv6ExtHdrFragment, UDP, Raw, conf, fragment, fragment6, raw
conf.verb = 0
m, a = sys.argv[1], sys.argv[2:]
s = conf.L2socket(iface=a[0])
cpus = sorted(os.sched_getaffinity(0))
def pl(i, size):
    return (b"S46W" + struct.pack("!I", i)).ljust(size, b"x")
for i in range(int(a[-2])):
    size = int(a[-1])
    if m == "v4":
        d = IP(raw(IP(src=a[2], dst=a[3], id=0x4000 + i, flags=0) / UDP(sport=50000 + i, dport=int(a[4])) / Raw(pl(i, size))))
        frags = fragment(d, fragsize=408)
    else:
        inner = raw(IP(src=a[4], dst=a[5], id=0x5000 + i, flags=0) / UDP(sport=51000 + i, dport=int(a[6])) / Raw(pl(i, size)))
        d = IPv6(src=a[2], dst=a[3]) / IPv6ExtHdrFragment(id=0x60000 + i, nh=4) / Raw(inner)
        frags = fragment6(d, 800)
    assert len(frags) >= 2
    for k, f in reversed(list(enumerate(frags))):
        os.sched_setaffinity(0, {cpus[k % len(cpus)]})
        s.send(Ether(dst=a[1]) / f)
print("sent", flush=True)
EOF

# show JSON of the BR
show() { "$BIN/s46" show --ctl "$tmp/br.sock" --json 2>/dev/null; }
jget() { $PY -c "import json,sys; j=json.load(sys.stdin); print($1)" 2>/dev/null; }
port_drops() { show | jget "sum(v.get('rx_dropped', 0) for v in j['interfaces'].values())"; }

# receiver in NS, sender in NS2: starts the receiver, waits for its "ready"
start_recv() { # out ns args...
    local out=$1 ns=$2; shift 2
    : >"$out" # (a reused file's old "ready" must not be seen before the job truncates it)
    ip netns exec "$ns" $PY "$tmp/flow.py" "$@" >"$out" 2>&1 &
    for _ in $(seq 300); do grep -q ready "$out" 2>/dev/null && return 0; sleep 0.1; done
    return 1
}
got_all() { grep -qE "^got ([0-9]+) of \1 bad 0$" "$1"; }
streams() { # tag port n: both directions at once; waits for both receivers
    local tag=$1 port=$2 n=$3 secs=$(($3 / RATE + 20))
    start_recv "$tmp/$tag.r6" "$CE" recv6 "$MAP6" "$port" "$n" 500 "$secs"
    start_recv "$tmp/$tag.r4" "$INET" recv4 "$H4" "$port" "$n" 500 "$secs"
    ip netns exec "$INET" $PY "$tmp/flow.py" send4 "$CE4" "$port" "$n" "$RATE" 500 >"$tmp/$tag.s4" 2>&1 &
    s4pid=$!
    ip netns exec "$CE" $PY "$tmp/flow.py" send6 "$MAP6" "$BR6" "$CE4" "$H4" "$port" "$n" "$RATE" 500 >"$tmp/$tag.s6" 2>&1 &
    s6pid=$!
}
streams_wait() { # tag
    wait "$s4pid" "$s6pid"
    for _ in $(seq 300); do grep -q '^got' "$tmp/$1.r6" && grep -q '^got' "$tmp/$1.r4" && break; sleep 0.1; done
}

start_br() { # workers (mode from run_mode)
    rm -f "$tmp/br.sock"
    if [ "$mode" = tun ]; then
        ip netns exec "$BR" "$BRBIN/s46-br" --config "$tmp/br.json" --tun s46br0 --workers "$1" --ctl "$tmp/br.sock" 2>"$tmp/br.log" &
    else
        ip netns exec "$BR" "$BRBIN/s46-br" --config "$tmp/br.json" --v4-if b4 --v6-if b6 --v4-peer-mac "$(mac "$INET" i0)" \
            --v6-peer-mac "$(mac "$CE" c0)" --io "$mode" --workers "$1" --ctl "$tmp/br.sock" 2>"$tmp/br.log" &
    fi
    brpid=$!
    for _ in $(seq 300); do [ -S "$tmp/br.sock" ] && break; sleep 0.1; done
}
stop_br() { # name of the check
    kill -TERM "$brpid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$brpid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$brpid" 2>/dev/null || ! grep -q stopped "$tmp/br.log"; then
        fail "$1" "$(tail -3 "$tmp/br.log")"
    else
        pass "$1"
    fi
    grep -q 'ERROR: \(Address\|Undefined\|Leak\)Sanitizer\|runtime error' "$tmp/br.log" && fail "$1_sanitizer" "$(grep -A5 -m1 'Sanitizer\|runtime error' "$tmp/br.log")"
}

run_mode() { # tun | afpacket | xdp
mode=$1
for ns in $CE $BR $INET; do ip netns add "$ns"; nsx "$ns" ip link set lo up; done
ip link add c0 numtxqueues 2 numrxqueues 2 netns "$CE" type veth peer name b6 numtxqueues 2 numrxqueues 2 netns "$BR"
ip link add b4 numtxqueues 2 numrxqueues 2 netns "$BR" type veth peer name i0 numtxqueues 2 numrxqueues 2 netns "$INET"
nsx "$CE" ip link set c0 up; nsx "$BR" ip link set b6 up; nsx "$BR" ip link set b4 up; nsx "$INET" ip link set i0 up
# XPS: each CPU sends on its own queue (the fragment test picks the queue by CPU)
for x in "$CE c0" "$INET i0"; do
    set -- $x
    nsx "$1" sh -c "echo 1 >/sys/class/net/$2/queues/tx-0/xps_cpus; echo 2 >/sys/class/net/$2/queues/tx-1/xps_cpus" 2>/dev/null
done
if [ "$mode" = tun ]; then
    nsx "$BR" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
else
    nsx "$BR" sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0
    nsx "$BR" ip -6 route add blackhole $BR6/128
    nsx "$BR" ip route add blackhole 192.0.2.0/24
fi
nsx "$CE" ip -6 addr add 2001:db8:f0::2/64 dev c0 nodad
nsx "$CE" ip -6 addr add $MAP6/128 dev lo nodad
nsx "$CE" ip -6 route add $BR6/128 via 2001:db8:f0::1
nsx "$BR" ip -6 addr add 2001:db8:f0::1/64 dev b6 nodad
[ "$mode" = tun ] && nsx "$BR" ip -6 route add 2001:db8:12::/48 via 2001:db8:f0::2
nsx "$BR" ip addr add 198.51.100.1/24 dev b4
nsx "$INET" ip addr add $H4/24 dev i0
nsx "$INET" ip route add 192.0.2.0/24 via 198.51.100.1
# AF_XDP cannot see the partial checksums of a veth's local senders
[ "$mode" = xdp ] && { nsx "$INET" ethtool -K i0 tx off >/dev/null; nsx "$CE" ethtool -K c0 tx off >/dev/null; }

cat >"$tmp/br1.json" <<'J'
{"version": 1, "br": "2001:db8:ffff::1", "br_ipv4": "198.51.100.1",
 "rules": [{"ipv6": "2001:db8::/40", "ipv4": "192.0.2.0/24", "ea_length": 8, "psid_offset": 6}]}
J
cat >"$tmp/br2.json" <<'J'
{"version": 1, "br": "2001:db8:ffff::1", "br_ipv4": "198.51.100.1",
 "rules": [{"ipv6": "2001:db8::/40", "ipv4": "192.0.2.0/24", "ea_length": 8, "psid_offset": 6},
           {"ipv6": "2001:db8:100::/40", "ipv4": "203.0.113.0/24", "ea_length": 8, "psid_offset": 6}]}
J
cp "$tmp/br1.json" "$tmp/br.json"
rm -f "$tmp/br.sock"
start_br 2
if [ "$mode" = tun ]; then
    nsx "$BR" ip link set s46br0 up 2>/dev/null
    nsx "$BR" ip -6 route add $BR6/128 dev s46br0
    nsx "$BR" ip route add 192.0.2.0/24 dev s46br0
fi
if ! show | grep -q "\"io\": \"$mode\""; then
    fail brw_${mode}_start "$(head -c 400 "$tmp/br.log")"
    cleanup
    return
fi
# neighbours resolved before the counted traffic
nsx "$CE" ping -6 -c 1 -W 5 $BR6 >/dev/null
nsx "$INET" ping -c 1 -W 5 -I $H4 $CE4 >/dev/null 2>&1

# a. zero loss under capacity, both directions at once
d0=$(port_drops)
n=$((RATE * SECS))
streams zl 7001 "$n"
streams_wait zl
d1=$(port_drops)
if got_all "$tmp/zl.r6" && got_all "$tmp/zl.r4" && [ -n "$d0" ] && [ "$d0" = "$d1" ]; then
    pass brw_${mode}_zero_loss
else
    fail brw_${mode}_zero_loss "v4->v6: $(cat "$tmp/zl.r6" | tr '\n' ' ') v6->v4: $(cat "$tmp/zl.r4" | tr '\n' ' ') port rx_dropped $d0 -> $d1; $(show | jget "j['counters']" | head -c 600)"
fi

# b. reloads under traffic: three good ones, one that fails
n=$((RATE * 7))
d0=$(port_drops)
streams rl 7002 "$n"
sleep 1
okr=0 badr=0
reload_wait() { # pattern count: waits for the count-th line matching pattern
    for _ in $(seq 60); do [ "$(grep -c "$1" "$tmp/br.log")" -ge "$2" ] && return 0; sleep 0.1; done
    return 1
}
cp "$tmp/br2.json" "$tmp/br.json"; kill -HUP "$brpid"; reload_wait 'configuration reloaded: 2 rules' 1 && okr=$((okr + 1))
echo '{"version": 1, "br": "nonsense"' >"$tmp/br.json"; kill -HUP "$brpid"; reload_wait 'keeping the running configuration' 1 && badr=1
kept=$(show | jget "j['rules']")
cp "$tmp/br1.json" "$tmp/br.json"; kill -HUP "$brpid"; reload_wait 'configuration reloaded: 1 rules' 1 && okr=$((okr + 1))
kill -HUP "$brpid"; reload_wait 'configuration reloaded: 1 rules' 2 && okr=$((okr + 1))
rules=$(show | jget "j['rules']")
# the reloads happened while the stream flowed
flowing=no
kill -0 "$s4pid" 2>/dev/null && kill -0 "$s6pid" 2>/dev/null && flowing=yes
streams_wait rl
d1=$(port_drops)
if [ "$okr" = 3 ] && [ "$badr" = 1 ] && [ "$kept" = 2 ] && [ "$rules" = 1 ] && [ $flowing = yes ] &&
    got_all "$tmp/rl.r6" && got_all "$tmp/rl.r4" && [ -n "$d0" ] && [ "$d0" = "$d1" ]; then
    pass brw_${mode}_reload_under_traffic
else
    fail brw_${mode}_reload_under_traffic "reloads ok $okr/3, failed reload logged $badr/1, rules after it $kept (want 2), at the end $rules (want 1), stream still flowing after the reloads: $flowing; v4->v6: $(cat "$tmp/rl.r6" | tr '\n' ' ') v6->v4: $(cat "$tmp/rl.r4" | tr '\n' ' ') port rx_dropped $d0 -> $d1; log: $(grep -i reload "$tmp/br.log" | tr '\n' ' ' | head -c 500)"
fi
if kill -0 "$brpid" 2>/dev/null; then pass brw_${mode}_alive_after_reloads; else fail brw_${mode}_alive_after_reloads "$(tail -5 "$tmp/br.log")"; fi

# d. fragments spread over both queues
qstat() { # per rx queue XDP packet counts of the BR's interfaces: "b4q0 b4q1 b6q0 b6q1"
    local i q
    for i in b4 b6; do
        for q in 0 1; do
            nsx "$BR" ethtool -S $i 2>/dev/null | awk -v k="rx_queue_${q}_xdp_packets:" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }'
        done
    done | tr '\n' ' '
}
q0=($(qstat))
before=$(show)
start_recv "$tmp/f.r6" "$CE" recv6 "$MAP6" 7003 40 1200 20
start_recv "$tmp/f.r4" "$INET" recv4 "$H4" 7003 40 1400 20
nsx "$INET" $PY "$tmp/frags.py" v4 i0 "$(mac "$BR" b4)" $H4 $CE4 7003 40 1200 >"$tmp/f.s4" 2>&1
nsx "$CE" $PY "$tmp/frags.py" v6 c0 "$(mac "$BR" b6)" $MAP6 $BR6 $CE4 $H4 7003 40 1400 >"$tmp/f.s6" 2>&1
for _ in $(seq 200); do grep -q '^got' "$tmp/f.r6" && grep -q '^got' "$tmp/f.r4" && break; sleep 0.1; done
after=$(show)
q1=($(qstat))
spread=
for k in 0 1 2 3; do spread="$spread $(( ${q1[$k]:-0} - ${q0[$k]:-0} ))"; done
delta() { # counter path: after - before
    local a b
    a=$(jget "$1" <<<"$after"); b=$(jget "$1" <<<"$before")
    echo $(( ${a:-0} - ${b:-0} ))
}
reasm=$(delta "j['counters'].get('reassembled', 0)")
redir=$(delta "j.get('redirected', 0)")
why="v4 frags -> CE: $(tr '\n' ' ' <"$tmp/f.r6") v6 frags -> host: $(tr '\n' ' ' <"$tmp/f.r4") reassembled +$reasm redirected +$redir $(tail -q -n 2 "$tmp/f.s4" "$tmp/f.s6" | tr '\n' ' '); BR counters after: $(jget "{k: v for k, v in j['counters'].items() if v}" <<<"$after")"
if got_all "$tmp/f.r6" && got_all "$tmp/f.r4"; then
    pass brw_${mode}_fragments_whole
else
    fail brw_${mode}_fragments_whole "$why"
fi
# The BR reassembled every datagram it saw in fragments (AF_PACKET's fanout
# group reassembles IPv4 itself: there only the 40 IPv6 ones) and handed
# the fragments that came in on the other worker to the datagram's owner.
want=80
[ "$mode" = afpacket ] && want=40
# On AF_XDP, the veths' per-queue counters show that the fragments came in
# on both queues of both interfaces (b4 q0 q1, b6 q0 q1).
why="$why; rx per queue (b4 q0 q1 b6 q0 q1):$spread"
spread_ok=yes
if [ "$mode" = xdp ]; then
    for d in $spread; do [ "$d" -ge 40 ] || spread_ok=no; done
fi
if [ "$reasm" -ge $want ] && [ "$redir" -gt 0 ] && [ $spread_ok = yes ]; then
    pass brw_${mode}_fragments_reassembled
else
    fail brw_${mode}_fragments_reassembled "want reassembled >= $want; $why"
fi

# c. show sums the workers
show >"$tmp/show.json"
if $PY - "$tmp/show.json" >"$tmp/sum.err" 2>&1 <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
pw = j["per_worker"]
bad = []
if j["workers"] != 2 or len(pw) != 2:
    bad.append("workers %s, per_worker %d" % (j["workers"], len(pw)))
keys = set(j["counters"]) | {k for w in pw for k in w.get("counters", {})}
for k in sorted(keys):
    s = sum(w.get("counters", {}).get(k, 0) for w in pw)
    if j["counters"].get(k) != s:
        bad.append("counters.%s=%s, sum %s" % (k, j["counters"].get(k), s))
for k in ("redirected", "redirect_dropped", "dropped_unconfigured"):
    s = sum(w.get(k, 0) for w in pw)
    if j.get(k, 0) != s:
        bad.append("%s=%s, sum %s" % (k, j.get(k), s))
busy = [w.get("counters", {}).get("v4_in", 0) + w.get("counters", {}).get("v6_in", 0) for w in pw]
if j["counters"].get("v4_in", 0) < 15000:
    bad.append("v4_in %s: the traffic is not in the counters" % j["counters"].get("v4_in"))
print("; ".join(bad) or "ok", "per worker v4_in+v6_in:", busy)
sys.exit(1 if bad else 0)
EOF
then
    pass brw_${mode}_show_sums_workers
else
    fail brw_${mode}_show_sums_workers "$(head -c 600 "$tmp/sum.err")"
fi

stop_br brw_${mode}_clean_stop

# e. AF_XDP with fewer workers than the interface has queues: a queue
# without a socket would hand its packets to the kernel, so s46-br refuses
# to start and says why (it exits; nothing is silently lost)
if [ "$mode" = xdp ]; then
    start_br 1
    alive=1
    for _ in $(seq 50); do kill -0 "$brpid" 2>/dev/null || { alive=0; break; }; sleep 0.1; done
    [ $alive = 1 ] && kill -9 "$brpid" 2>/dev/null
    wait "$brpid" 2>/dev/null
    rc=$?
    if [ $alive = 0 ] && [ $rc -ne 0 ] && grep -q 'xdp on b[46]: 2 receive queues but 1 worker' "$tmp/br.log"; then
        pass brw_xdp_fewer_workers_than_queues_refused
    else
        fail brw_xdp_fewer_workers_than_queues_refused "alive $alive, exit $rc: $(tail -2 "$tmp/br.log")"
    fi
fi
cleanup
}

for m in ${BRW_MODES:-tun afpacket xdp}; do run_mode "$m"; done
