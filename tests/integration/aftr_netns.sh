#!/usr/bin/env bash
# The DS-Lite AFTR (s46-br with an "aftr" config) against the project's own
# B4 (s46-ce in DS-Lite mode), in namespaces:
#
#   lanA 192.168.1.2 -- ceA (B4 2001:db8:1a::b4) --\
#                                                  isp -- aftr (s46-br, TUN) -- inet 198.51.100.80/81
#   lanB 192.168.1.2 -- ceB (B4 2001:db8:1b::b4) --/
#
# Both LANs use the same private addresses: the CGN keeps them apart by
# softwire. Checks: ping, a TCP download and UDP both ways through B4 and
# AFTR; a real STUN client sees endpoint-independent mapping and the
# configured filtering (adf, then eif after SIGHUP); one subscriber
# hairpins to the other through the pool; a subscriber over its limit of
# mappings is refused while the other is not; `s46 show` of the AFTR (pool,
# blocks, counters); every block that carried traffic is in the port-block
# log after a kill -9 of the AFTR, and `s46 trace` names the B4 that used
# an address and port.
set -u
cd "$(dirname "$0")/../.."
BIN=${S46_BIN:-build/bin}
ABIN=${S46_ASAN_BIN:-$BIN}
[ -x "$ABIN/s46-br" ] || ABIN=$BIN
PY=/usr/bin/python3
P=s46a$$
LANA=$P-lana LANB=$P-lanb CEA=$P-cea CEB=$P-ceb ISP=$P-isp AFTR=$P-aftr INET=$P-inet
tmp=$(mktemp -d "${TMPDIR:-/tmp}/s46-aftr.XXXXXX")
cleanup() {
    for ns in $LANA $LANB $CEA $CEB $ISP $AFTR $INET; do
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
AFTR6=2001:db8:ffff::2
show() { "$BIN/s46" show --ctl "$tmp/$1.sock" --json; }
field() { show "$1" | $PY -c "import json,sys; j=json.load(sys.stdin); print($2)"; }

for ns in $LANA $LANB $CEA $CEB $ISP $AFTR $INET; do
    ip netns add "$ns" || { echo "FAIL aftr_netns: cannot create namespaces"; exit 1; }
    nsx "$ns" ip link set lo up
    nsx "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
ip link add eth0 netns $LANA type veth peer name lan0 netns $CEA
ip link add eth0 netns $LANB type veth peer name lan0 netns $CEB
ip link add wan0 netns $CEA type veth peer name toa netns $ISP
ip link add wan0 netns $CEB type veth peer name tob netns $ISP
ip link add toaftr netns $ISP type veth peer name v6 netns $AFTR
ip link add v4 netns $AFTR type veth peer name eth0 netns $INET
for x in $LANA:eth0 $LANB:eth0 $CEA:lan0 $CEA:wan0 $CEB:lan0 $CEB:wan0 $ISP:toa $ISP:tob \
         $ISP:toaftr $AFTR:v6 $AFTR:v4 $INET:eth0; do
    nsx "${x%%:*}" ip link set "${x#*:}" up
done
for l in $LANA $LANB; do
    for i in 2 3; do nsx $l ip addr add 192.168.1.$i/24 dev eth0; done
    nsx $l ip route add default via 192.168.1.1
done
n=0
for c in $CEA $CEB; do
    n=$((n + 1)); s=$([ $n = 1 ] && echo a || echo b)
    nsx $c sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
    nsx $c ip addr add 192.168.1.1/24 dev lan0
    nsx $c ip -6 addr add 2001:db8:f00$n::2/64 dev wan0 nodad
    nsx $c ip -6 route add default via 2001:db8:f00$n::1
    nsx $ISP ip -6 addr add 2001:db8:f00$n::1/64 dev to$s nodad
    nsx $ISP ip -6 route add 2001:db8:1$s::/48 via 2001:db8:f00$n::2
    cat >"$tmp/ce$s.json" <<J
{"prefix": "2001:db8:1$s::/56", "b4_ipv6": "2001:db8:1$s::b4", "lan_ipv4": "192.0.0.1",
 "dslite": {"aftr": "$AFTR6"}}
J
done
nsx $ISP sysctl -qw net.ipv6.conf.all.forwarding=1
nsx $ISP ip -6 addr add 2001:db8:fa::1/64 dev toaftr nodad
nsx $ISP ip -6 route add $AFTR6/128 via 2001:db8:fa::2
nsx $AFTR sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
nsx $AFTR ip -6 addr add 2001:db8:fa::2/64 dev v6 nodad
nsx $AFTR ip -6 route add default via 2001:db8:fa::1
nsx $AFTR ip addr add 198.51.100.1/24 dev v4
nsx $INET ip addr add 198.51.100.80/24 dev eth0
nsx $INET ip addr add 198.51.100.81/24 dev eth0
nsx $INET ip route add 192.0.2.0/24 via 198.51.100.1

aftr_conf() { # filtering
    cat >"$tmp/aftr.json" <<J
{"aftr": {"ipv6": "$AFTR6", "ipv4": "198.51.100.2", "pool": ["192.0.2.128/30"],
  "block_size": 512, "filtering": "$1", "limits": {"mappings": 100},
  "log": {"path": "$tmp/blocks.log"}}}
J
}
aftr_conf adf
start_aftr() {
    rm -f "$tmp/aftr.sock"
    ip netns exec $AFTR "$ABIN/s46-br" --config "$tmp/aftr.json" --tun s46aftr0 --workers 2 \
        --ctl "$tmp/aftr.sock" 2>>"$tmp/aftr.log" &
    aftrpid=$!
    waitfor 10 test -S "$tmp/aftr.sock" || return 1
    nsx $AFTR ip -6 route replace $AFTR6/128 dev s46aftr0
    nsx $AFTR ip route replace 192.0.2.128/30 dev s46aftr0
}
start_aftr || { fail aftr_started "$(tail -3 "$tmp/aftr.log")"; exit 1; }
grep -q 'AFTR, 1 pool prefixes' "$tmp/aftr.log" && pass aftr_started ||
    fail aftr_started "$(tail -2 "$tmp/aftr.log")"
for s in a b; do
    c=$([ $s = a ] && echo $CEA || echo $CEB)
    rm -f "$tmp/ce$s.sock"
    ip netns exec $c "$ABIN/s46-ce" --config "$tmp/ce$s.json" --ctl "$tmp/ce$s.sock" \
        2>"$tmp/ce$s.log" &
    waitfor 10 test -S "$tmp/ce$s.sock"
done
waitfor 10 sh -c "grep -q dslite '$tmp/cea.log' && grep -q dslite '$tmp/ceb.log'"

# servers on the IPv4 Internet
nsx $INET $PY -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("198.51.100.80", 7001))
while True:
    d, a = s.recvfrom(2048); s.sendto(("%s:%d" % a).encode(), a)' >/dev/null 2>&1 &
head -c 2000000 /dev/urandom >"$tmp/blob"
(cd "$tmp" && nsx $INET $PY -m http.server -b 198.51.100.80 8080 >/dev/null 2>&1 &)
nsx $INET stund -h 198.51.100.80 -a 198.51.100.81 >/dev/null 2>&1 &
waitfor 10 sh -c "ip netns exec $INET ss -Hltn 'sport = :8080' | grep -q LISTEN && ip netns exec $INET ss -Hlun 'sport = :7001' | grep -q ."

for s in a b; do
    l=$([ $s = a ] && echo $LANA || echo $LANB)
    if nsx $l ping -c 2 -W 2 198.51.100.80 >/dev/null 2>&1; then pass aftr_ping_$s
    else fail aftr_ping_$s "no reply; aftr $(field aftr '{k: v for k, v in j["counters"].items() if v}')"; fi
    if nsx $l curl -s --max-time 15 -o "$tmp/got$s" http://198.51.100.80:8080/blob && cmp -s "$tmp/got$s" "$tmp/blob"; then
        pass aftr_tcp_download_$s
    else
        fail aftr_tcp_download_$s "download failed or differs"
    fi
done
# UDP: the server sees each LAN's host on a pool address, the two on
# different external endpoints although both are 192.168.1.2:40000
who() { # lan -> ext seen by the server
    nsx "$1" $PY -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
s.bind(("192.168.1.2", 40000)); s.sendto(b"who", ("198.51.100.80", 7001))
print(s.recvfrom(64)[0].decode())' 2>/dev/null
}
ea=$(who $LANA) eb=$(who $LANB)
if [[ "$ea" == 192.0.2.12[89]:* || "$ea" == 192.0.2.13[01]:* ]] && [[ -n "$eb" && "$ea" != "$eb" ]]; then
    pass aftr_udp_two_subscribers
else
    fail aftr_udp_two_subscribers "A seen as '$ea', B as '$eb'"
fi
out=$(nsx $LANA timeout 10 stun 198.51.100.80 -v 2>&1 | grep '^Primary')
grep -q 'Independent Mapping, Address Dependent Filter' <<<"$out" && pass aftr_stun_eim_adf ||
    fail aftr_stun_eim_adf "$out"
aftr_conf eif
kill -HUP $aftrpid
waitfor 5 grep -q 'configuration reloaded' "$tmp/aftr.log"
out=$(nsx $LANA timeout 10 stun 198.51.100.80 -v -p 41000 2>&1 | grep '^Primary')
grep -q 'Independent Mapping, Independent Filter' <<<"$out" && pass aftr_stun_eim_eif ||
    fail aftr_stun_eim_eif "$out"

# hairpinning: B sends to A's external endpoint (EIF now), A gets it from
# B's external endpoint
nsx $LANA $PY -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
s.bind(("192.168.1.2", 40000)); s.sendto(b"who", ("198.51.100.80", 7001)); s.recvfrom(64)
open("'"$tmp"'/ready", "w").close()
d, a = s.recvfrom(64); print(d.decode(), "%s:%d" % a)' >"$tmp/hairpin" 2>&1 &
hpid=$!
waitfor 5 test -e "$tmp/ready"
nsx $LANB $PY -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('192.168.1.2', 40000))
for _ in range(3): s.sendto(b'from-b', ('${ea%:*}', ${ea#*:}))"
wait $hpid
if grep -q "from-b $eb" "$tmp/hairpin"; then
    pass aftr_hairpin
else
    fail aftr_hairpin "A got '$(cat "$tmp/hairpin")' (B is $eb); aftr $(field aftr '{k: v for k, v in j["counters"].items() if v}')"
fi

# EIF across workers: remotes A never sent to reach its external endpoint;
# the kernel hands their packets to either worker (no earlier packet of
# those flows to follow), so each must be steered to the worker that owns
# the block: all eight arrive
nsx $LANA $PY -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
s.bind(("192.168.1.2", 40000)); s.sendto(b"who", ("198.51.100.80", 7001)); s.recvfrom(64)
open("'"$tmp"'/ready2", "w").close()
got = set()
try:
    while len(got) < 8:
        d, a = s.recvfrom(64); got.add(a[1])
except OSError:
    pass
print(len(got))' >"$tmp/eif_remotes" 2>&1 &
epid=$!
waitfor 5 test -e "$tmp/ready2"
nsx $INET $PY -c "
import socket
for p in range(7100, 7108):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('198.51.100.80', p))
    s.sendto(b'in', ('${ea%:*}', ${ea#*:}))"
wait $epid
if [ "$(cat "$tmp/eif_remotes")" = 8 ]; then
    pass aftr_eif_new_remotes_steered
else
    fail aftr_eif_new_remotes_steered "A got $(cat "$tmp/eif_remotes") of 8; aftr $(field aftr '{k: v for k, v in j["counters"].items() if v}')"
fi

# a subscriber over its limit of mappings (100) is refused, the other not
before=$(field aftr 'j["counters"]["drop_sub_mappings"]')
nsx $LANA $PY -c '
import socket
for p in range(42000, 42150):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("192.168.1.3", p))
    s.sendto(b"x", ("198.51.100.80", 9))'
after=$(field aftr 'j["counters"]["drop_sub_mappings"]')
eb2=$(who $LANB)
if [ "$((after - before))" -gt 0 ] && [ -n "$eb2" ]; then
    pass aftr_subscriber_limit_isolated
else
    fail aftr_subscriber_limit_isolated "drop_sub_mappings $before -> $after, B now '$eb2'"
fi

# s46 show: the blocks of both workers, each subscriber's on one address
# (paired pooling), the stages
blocks=$(show aftr | $PY -c '
import json, sys
j = json.load(sys.stdin)
by = {}
for b in j.get("blocks", []):
    by.setdefault(b["subscriber"], set()).add(b["external"])
print(len(j.get("blocks", [])), sorted(by), all(len(v) == 1 for v in by.values()),
      "cgn_out" in j.get("stages", {}).get("ipv6", []), j.get("mechanism"))')
grep -q "\['2001:db8:1a::b4', '2001:db8:1b::b4'\] True True aftr" <<<"$blocks" &&
    pass aftr_show_blocks || fail aftr_show_blocks "show: $blocks"

# kill -9: every block that carried traffic is in the log; trace names the B4
kill -9 $aftrpid; wait $aftrpid 2>/dev/null
missing=$($PY - "$tmp/blocks.log" "$ea" "$eb" <<'PY'
import sys
lines = [l.split() for l in open(sys.argv[1])]
miss = []
for b4, ep in (("2001:db8:1a::b4", sys.argv[2]), ("2001:db8:1b::b4", sys.argv[3])):
    a, p = ep.split(":"); p = int(p)
    if not any(len(f) == 5 and f[1] == "alloc" and f[2] == b4 and f[3] == a and
               int(f[4].split("-")[0]) <= p <= int(f[4].split("-")[1]) for f in lines):
        miss.append(b4 + " " + ep)
print(" ".join(miss))
PY
)
[ -z "$missing" ] && [ -s "$tmp/blocks.log" ] && pass aftr_log_survives_kill9 ||
    fail aftr_log_survives_kill9 "not logged: $missing"
now=$(date +%s)
tr=$("$BIN/s46" trace "${ea%:*}" "${ea#*:}" "$now" --block-log "$tmp/blocks.log" 2>&1)
rc=$?
[ $rc = 0 ] && grep -q '2001:db8:1a::b4' <<<"$tr" && pass aftr_trace_names_b4 ||
    fail aftr_trace_names_b4 "exit $rc: $tr"
exit 0
