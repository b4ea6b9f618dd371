#!/usr/bin/env bash
# The project's lwB4 (s46-ce, mechanism lw4o6, fixed mode) against its own
# lwAFTR (s46-br with an "lwaftr" config on a TUN), in namespaces:
#
#   lan 192.168.1.2 -- ce (B4 from 2001:db8:1a::/56) -- isp -- lwaftr -- inet 198.51.100.80/81
#
# The CE's binding: 192.0.2.1, PSID 1 of length 6, offset 0 (ports
# 1024-2047). Checks: ping, a TCP download and UDP both ways; a real STUN
# client sees endpoint-independent mapping; every source port the server
# sees, and every mapping the CE shows, is in the set.
# Then the live update of issue 13: a UDP stream both ways through that
# binding while 100 000 other bindings are added and removed (bulk reloads
# of a bindings_file, and single edits over the control socket): no packet
# of the stream is lost; once the binding is removed its packets are
# dropped and counted at once, and once added again they flow at once.
# Last, s46-provd serves the lw4o6 object to a CE announcing lw4o6.
# s46-test-timeout: 200
set -u
cd "$(dirname "$0")/../.."
BIN=${S46_BIN:-build/bin}
ABIN=${S46_ASAN_BIN:-$BIN}
[ -x "$ABIN/s46-br" ] || ABIN=$BIN
PY=/usr/bin/python3
P=s46l$$
LAN=$P-lan CE=$P-ce ISP=$P-isp LW=$P-lw INET=$P-inet
tmp=$(mktemp -d "${TMPDIR:-/tmp}/s46-lw4o6.XXXXXX")
cleanup() {
    for ns in $LAN $CE $ISP $LW $INET; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
waitfor() { # seconds, command...
    local end=$((SECONDS + $1)); shift
    until "$@"; do [ $SECONDS -ge $end ] && return 1; sleep 0.1; done
}
LW6=2001:db8:ffff::1
B4=2001:db8:1a::c000:201:1 # RFC 7597 §6 IID of 192.0.2.1, PSID 1 in 2001:db8:1a::/56
show() { "$BIN/s46" show --ctl "$tmp/$1.sock" --json; }
field() { show "$1" | $PY -c "import json,sys; j=json.load(sys.stdin); print($2)"; }
nonzero() { field "$1" '{k: v for k, v in j["counters"].items() if v}'; }

for ns in $LAN $CE $ISP $LW $INET; do
    ip netns add "$ns" || { echo "FAIL lw4o6_netns: cannot create namespaces"; exit 1; }
    nsx "$ns" ip link set lo up
    nsx "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
ip link add eth0 netns $LAN type veth peer name lan0 netns $CE
ip link add wan0 netns $CE type veth peer name toce netns $ISP
ip link add tolw netns $ISP type veth peer name v6 netns $LW
ip link add v4 netns $LW type veth peer name eth0 netns $INET
for x in $LAN:eth0 $CE:lan0 $CE:wan0 $ISP:toce $ISP:tolw $LW:v6 $LW:v4 $INET:eth0; do
    nsx "${x%%:*}" ip link set "${x#*:}" up
done
nsx $LAN ip addr add 192.168.1.2/24 dev eth0
nsx $LAN ip route add default via 192.168.1.1
nsx $CE sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
nsx $CE ip addr add 192.168.1.1/24 dev lan0
nsx $CE ip -6 addr add 2001:db8:f001::2/64 dev wan0 nodad
nsx $CE ip -6 route add default via 2001:db8:f001::1
nsx $ISP sysctl -qw net.ipv6.conf.all.forwarding=1
nsx $ISP ip -6 addr add 2001:db8:f001::1/64 dev toce nodad
nsx $ISP ip -6 route add 2001:db8:1a::/48 via 2001:db8:f001::2
nsx $ISP ip -6 addr add 2001:db8:fa::1/64 dev tolw nodad
nsx $ISP ip -6 route add $LW6/128 via 2001:db8:fa::2
nsx $LW sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
nsx $LW ip -6 addr add 2001:db8:fa::2/64 dev v6 nodad
nsx $LW ip -6 route add default via 2001:db8:fa::1
nsx $LW ip addr add 198.51.100.1/24 dev v4
nsx $INET ip addr add 198.51.100.80/24 dev eth0
nsx $INET ip addr add 198.51.100.81/24 dev eth0
nsx $INET ip route add 192.0.2.0/24 via 198.51.100.1

cat >"$tmp/ce.json" <<J
{"prefix": "2001:db8:1a::/56", "lan_ipv4": "192.0.0.1",
 "lw4o6": {"lwaftr": "$LW6", "ipv6": "2001:db8:1a::/56", "ipv4": "192.0.2.1",
           "psid": 1, "psid_length": 6, "psid_offset": 0}}
J
cat >"$tmp/lw.json" <<J
{"lwaftr": {"ipv6": "$LW6", "ipv4": "198.51.100.2", "icmp_unreachable": false,
  "bindings": [{"b4": "$B4", "ipv4": "192.0.2.1", "psid": 1, "psid_length": 6, "psid_offset": 0}],
  "bindings_file": "others.csv"}}
J
: >"$tmp/others.csv"
ip netns exec $LW "$ABIN/s46-br" --config "$tmp/lw.json" --tun s46lw0 --workers 2 \
    --ctl "$tmp/lw.sock" 2>"$tmp/lw.log" &
waitfor 10 test -S "$tmp/lw.sock" || { fail lw4o6_lwaftr_started "$(tail -3 "$tmp/lw.log")"; exit 0; }
nsx $LW ip -6 route replace $LW6/128 dev s46lw0
nsx $LW ip route replace 192.0.2.0/24 dev s46lw0
ip netns exec $CE "$ABIN/s46-ce" --config "$tmp/ce.json" --ctl "$tmp/ce.sock" 2>"$tmp/ce.log" &
waitfor 10 test -S "$tmp/ce.sock"
if waitfor 10 grep -q 'lw4o6 running' "$tmp/ce.log" &&
   [ "$(field ce '" ".join(map(str, [j["mechanism"], j["b4"], j["ipv4"], j["ports"]]))')" = \
     "lw4o6 $B4 192.0.2.1 [[1024, 2047]]" ]; then
    pass lw4o6_ce_runs
else
    fail lw4o6_ce_runs "$(tail -3 "$tmp/ce.log") $(show ce 2>&1 | head -c 300)"
    exit 0
fi

# servers on the IPv4 Internet: a UDP echo saying whom it saw, HTTP, STUN
nsx $INET $PY -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("198.51.100.80", 7001))
while True:
    d, a = s.recvfrom(2048); s.sendto(("%s:%d" % a).encode(), a)' >/dev/null 2>&1 &
head -c 2000000 /dev/urandom >"$tmp/blob"
(cd "$tmp" && nsx $INET $PY -m http.server -b 198.51.100.80 8080 >/dev/null 2>&1 &)
nsx $INET stund -h 198.51.100.80 -a 198.51.100.81 >/dev/null 2>&1 &
waitfor 10 sh -c "ip netns exec $INET ss -Hltn 'sport = :8080' | grep -q LISTEN && ip netns exec $INET ss -Hlun 'sport = :7001' | grep -q ."

if nsx $LAN ping -c 3 -W 2 198.51.100.80 >/dev/null 2>&1; then pass lw4o6_ping
else fail lw4o6_ping "no reply; ce $(nonzero ce); lwaftr $(nonzero lw)"; fi
if nsx $LAN curl -s --max-time 15 -o "$tmp/got" http://198.51.100.80:8080/blob && cmp -s "$tmp/got" "$tmp/blob"; then
    pass lw4o6_tcp_download
else
    fail lw4o6_tcp_download "download failed or differs; ce $(nonzero ce)"
fi
# UDP both ways from 60 source ports: the server sees 192.0.2.1 and a port
# of the set every time
seen=$(nsx $LAN $PY -c '
import socket
out = []
for p in range(41000, 41060):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
    s.bind(("192.168.1.2", p)); s.sendto(b"who", ("198.51.100.80", 7001))
    try:
        out.append(s.recvfrom(64)[0].decode())
    except OSError:
        out.append("none")
print(" ".join(out))' 2>&1)
bad=$($PY -c '
import sys
eps = sys.argv[1].split()
bad = [e for e in eps if e == "none" or e.split(":")[0] != "192.0.2.1" or not 1024 <= int(e.split(":")[1]) <= 2047]
print(len(eps), " ".join(bad[:5]))' "$seen")
[ "$bad" = "60 " ] && pass lw4o6_udp_port_set || fail lw4o6_udp_port_set "of $bad"
out=$(nsx $LAN timeout 10 stun 198.51.100.80 -v 2>&1 | grep '^Primary')
grep -q 'Independent Mapping' <<<"$out" && pass lw4o6_stun_eim || fail lw4o6_stun_eim "$out"
maps=$(show ce | $PY -c '
import json, sys
j = json.load(sys.stdin)
m = j["mappings"]
print(len(m) >= 60, all(1024 <= x["external_port"] <= 2047 for x in m))')
[ "$maps" = "True True" ] && pass lw4o6_ce_mappings_in_set || fail lw4o6_ce_mappings_in_set "$maps"

# ---- live update: a stream through the binding while 100 000 others come and go
cat >"$tmp/others.py" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    for i in range(n):
        # 10.0.0.0/8, 64 PSIDs (length 6) per address: 1563 addresses
        a, psid = divmod(i, 64)
        f.write("2001:db8:100::%x:%x,10.%d.%d.%d,%d,6\n" % (i >> 16, i & 0xffff,
                (a >> 16) & 255, (a >> 8) & 255, a & 255, psid))
PY
cat >"$tmp/edits.py" <<'PY'
# single edits over the control socket: add then remove n bindings
import socket, sys
path, n = sys.argv[1], int(sys.argv[2])
def q(cmd):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.connect(path)
    s.sendall((cmd + "\n").encode()); r = b""
    while True:
        d = s.recv(4096)
        if not d: break
        r += d
    s.close()
    return b'"ok": true' in r
ok = 0
for i in range(n):
    ok += q("binding add 2001:db8:200::%x 172.16.%d.%d 0 0" % (i, i >> 8, i & 255))
for i in range(n):
    ok += q("binding remove 172.16.%d.%d 0" % (i >> 8, i & 255))
print(ok)
PY
cat >"$tmp/echo.py" <<'PY'
# the Internet end of the stream: echoes every packet back, counts them
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
s.bind(("198.51.100.80", 7200)); s.settimeout(4)
got = 0
open(sys.argv[1] + ".ready", "w").close()
try:
    while True:
        d, a = s.recvfrom(64); got += 1; s.sendto(d, a)
except socket.timeout:
    pass
open(sys.argv[1], "w").write("%d\n" % got)
PY
cat >"$tmp/stream.py" <<'PY'
# the LAN end: n packets at rate pps to the echo, counts the echoes
import socket, sys, time, threading
n, pps, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
s.bind(("192.168.1.2", 45000))
seen = set()
def rx():
    s.settimeout(3)
    try:
        while True:
            seen.add(int(s.recv(64)))
    except socket.timeout:
        pass
t = threading.Thread(target=rx); t.start()
start = time.monotonic()
for i in range(n):
    s.sendto(b"%d" % i, ("198.51.100.80", 7200))
    d = start + (i + 1) / pps - time.monotonic()
    if d > 0:
        time.sleep(d)
t.join()
open(out, "w").write("%d %d\n" % (len(seen), n))
PY
$PY "$tmp/others.py" 100000 "$tmp/big.csv"
nsx $INET $PY "$tmp/echo.py" "$tmp/echo.count" &
waitfor 5 test -e "$tmp/echo.count.ready"
N=24000 RATE=1500
nsx $LAN $PY "$tmp/stream.py" $N $RATE "$tmp/stream.count" &
spid=$!
sleep 1
# until the stream ends (its last 4 s excepted): reload 100 000 more, then
# none of them, and 4000 single edits now and then
t0=$SECONDS reloads=0 rc_all=0 maxb=0 edits=0
while kill -0 $spid 2>/dev/null && [ $((SECONDS - t0)) -lt $((N / RATE - 4)) ]; do
    cp "$tmp/big.csv" "$tmp/others.csv"
    "$BIN/s46" binding --ctl "$tmp/lw.sock" reload >"$tmp/r1" 2>&1 || rc_all=1
    b=$(field lw 'j["bindings"]'); [ "$b" -gt "$maxb" ] && maxb=$b
    : >"$tmp/others.csv"
    "$BIN/s46" binding --ctl "$tmp/lw.sock" reload >"$tmp/r2" 2>&1 || rc_all=1
    reloads=$((reloads + 2))
    [ $((reloads % 6)) = 2 ] && edits=$((edits + $($PY "$tmp/edits.py" "$tmp/lw.sock" 2000)))
done
t1=$SECONDS
wait $spid
waitfor 10 test -s "$tmp/echo.count"
read -r got n <"$tmp/stream.count"
echoed=$(cat "$tmp/echo.count")
final=$(field lw 'j["bindings"]')
if [ "$rc_all" = 0 ] && [ "$maxb" = 100001 ] && [ "$final" = 1 ] && [ "$edits" -ge 4000 ] && [ $((edits % 4000)) = 0 ] &&
   [ "$echoed" = "$N" ] && [ "$got" = "$N" ]; then
    pass lw4o6_live_update_no_loss
else
    fail lw4o6_live_update_no_loss "sent $N, echo got $echoed, back $got; reload rc $rc_all ($(cat "$tmp/r1" "$tmp/r2" | tr '\n' ' ')), max bindings $maxb, final $final, edits ok $edits; lwaftr $(nonzero lw)"
fi
echo "# live update: $reloads bulk reloads (100000 bindings in, then out) and $edits single edits in $((t1 - t0)) s under the stream"

# remove the binding: its packets are dropped and counted at once, both ways
ep=$(nsx $LAN $PY -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
s.bind(("192.168.1.2", 46000)); s.sendto(b"who", ("198.51.100.80", 7001))
print(s.recvfrom(64)[0].decode())' 2>/dev/null)
d4=$(field lw 'j["counters"]["drop_v4_no_binding_address"]')
d6=$(field lw 'j["counters"]["drop_v6_no_binding"]')
"$BIN/s46" binding --ctl "$tmp/lw.sock" remove 192.0.2.1 1 >"$tmp/rm" 2>&1
nsx $INET $PY -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("198.51.100.80", 7300))
for i in range(100): s.sendto(b"x", (sys.argv[1], int(sys.argv[2])))' "${ep%:*}" "${ep#*:}"
nsx $LAN $PY -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("192.168.1.2", 46000))
for i in range(100): s.sendto(b"x", ("198.51.100.80", 9))'
sleep 0.5
e4=$(field lw 'j["counters"]["drop_v4_no_binding_address"]')
e6=$(field lw 'j["counters"]["drop_v6_no_binding"]')
if [ -n "$ep" ] && [ $((e4 - d4)) = 100 ] && [ $((e6 - d6)) = 100 ]; then
    pass lw4o6_removed_binding_stops_at_once
else
    fail lw4o6_removed_binding_stops_at_once "endpoint '$ep', drop_v4_no_binding_address +$((e4 - d4)), drop_v6_no_binding +$((e6 - d6)) (want 100 each); $(cat "$tmp/rm")"
fi
"$BIN/s46" binding --ctl "$tmp/lw.sock" add $B4 192.0.2.1 1 6 0 >/dev/null 2>&1
again=$(nsx $LAN $PY -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
s.bind(("192.168.1.2", 46000)); s.sendto(b"who", ("198.51.100.80", 7001))
print(s.recvfrom(64)[0].decode())' 2>/dev/null)
[ -n "$again" ] && [ "$again" = "$ep" ] && pass lw4o6_added_binding_flows_at_once ||
    fail lw4o6_added_binding_flows_at_once "got '$again', before '$ep'"

# s46-provd serves this CE's lw4o6 object from a profile, to a CE that
# announces lw4o6 (as s46-ce does), and leaves it out for one that does not
cat >"$tmp/prof.json" <<J
{"ttl": 600, "order": ["lw4o6", "dslite"], "dslite": {"aftr": "2001:db8:ff::2"},
 "lw4o6": {"lwaftr": "$LW6", "ipv6": "2001:db8:1a::/56", "ipv4": "192.0.2.1",
           "psid": 1, "psid_length": 6, "psid_offset": 0}}
J
ip netns exec $ISP "$BIN/s46-provd" serve --port 8080 --profile 2001:db8:f001::/64="$tmp/prof.json" \
    >/dev/null 2>"$tmp/provd.log" &
waitfor 10 sh -c "ip netns exec $CE curl -s -o /dev/null 'http://[2001:db8:f001::1]:8080/'"
Q='vendorid=000000-s46&product=s46-ce&version=1_0'
cap=$(grep -o 'CE_CAPABILITY "[^"]*"' src/cmd/s46-ce/ce.h | cut -d'"' -f2)
a1=$(nsx $CE curl -s -m 5 "http://[2001:db8:f001::1]:8080/config?$Q&capability=$cap" |
     $PY -c 'import json,sys; j=json.load(sys.stdin); print(j["order"], j["lw4o6"]["ipv4"])' 2>&1)
a2=$(nsx $CE curl -s -m 5 "http://[2001:db8:f001::1]:8080/config?$Q&capability=map_e,dslite" |
     $PY -c 'import json,sys; j=json.load(sys.stdin); print(j["order"], "lw4o6" in j)' 2>&1)
if [ "$a1" = "['lw4o6', 'dslite'] 192.0.2.1" ] && [ "$a2" = "['dslite'] False" ]; then
    pass lw4o6_provd_serves_by_capability
else
    fail lw4o6_provd_serves_by_capability "capability $cap: $a1; without lw4o6: $a2; $(tail -2 "$tmp/provd.log")"
fi
exit 0
