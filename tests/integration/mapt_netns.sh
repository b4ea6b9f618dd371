#!/usr/bin/env bash
# Our MAP-T CE (s46-ce, fixed map_t) against our MAP-T BR (s46-br, map_t)
# in namespaces, both on TUN devices: a LAN host behind the CE fetches a
# page with curl and runs iperf3 both ways to an IPv4 server behind the BR;
# a STUN-like UDP server reports the address and port it sees for several
# LAN sockets (all 192.0.2.18, all inside the CE's port set), a real STUN
# client (stun, against stund) gets a mapped address in the set too; ping
# goes through (the echo identifier mapped like a port); both daemons count
# what they translated. The domain is RFC 7599 Appendix A's.
# s46-test-timeout: 120
set -u
cd "$(dirname "$0")/../.."
BIN=${S46_BIN:-build/bin}
. tests/integration/lib/wait.sh
P=s46t$$
LAN=$P-lan CE=$P-ce BR=$P-br INET=$P-inet
tmp=$(mktemp -d)
cleanup() {
    for ns in $LAN $CE $BR $INET; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
counter() { "$BIN/s46" show --ctl "$tmp/$1.sock" --json |
    /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['counters']['$2'])"; }

for ns in $LAN $CE $BR $INET; do ip netns add "$ns"; nsx "$ns" ip link set lo up; done
ip link add l0 netns "$LAN" type veth peer name lan0 netns "$CE"
ip link add wan0 netns "$CE" type veth peer name b6 netns "$BR"
ip link add b4 netns "$BR" type veth peer name i0 netns "$INET"
for p in "$LAN l0" "$CE lan0" "$CE wan0" "$BR b6" "$BR b4" "$INET i0"; do
    set -- $p; nsx "$1" ip link set "$2" up
done
for ns in $CE $BR; do
    nsx "$ns" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
        net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
done
nsx "$LAN" ip addr add 192.168.1.2/24 dev l0
nsx "$LAN" ip route add default via 192.168.1.1
nsx "$CE" ip addr add 192.168.1.1/24 dev lan0
nsx "$CE" ip -6 addr add 2001:db8:f0::2/64 dev wan0 nodad
nsx "$CE" ip -6 route add 2001:db8:ffff::/64 via 2001:db8:f0::1
nsx "$BR" ip -6 addr add 2001:db8:f0::1/64 dev b6 nodad
nsx "$BR" ip -6 route add 2001:db8:12:3400::/56 via 2001:db8:f0::2
nsx "$BR" ip addr add 198.51.100.1/24 dev b4
nsx "$INET" ip addr add 198.51.100.80/24 dev i0
nsx "$INET" ip addr add 198.51.100.81/24 dev i0
nsx "$INET" ip route add 192.0.2.0/24 via 198.51.100.1

RULES='[{"ipv6": "2001:db8::/40", "ipv4": "192.0.2.0/24", "ea_length": 16, "psid_offset": 6}]'
cat >"$tmp/br.json" <<J
{"map_t": {"dmr": "2001:db8:ffff::/64", "rules": $RULES}, "br_ipv4": "198.51.100.1"}
J
cat >"$tmp/ce.json" <<J
{"prefix": "2001:db8:12:3400::/56", "map_t": {"dmr": "2001:db8:ffff::/64", "rules": $RULES}}
J
nsx "$BR" "$BIN/s46-br" --config "$tmp/br.json" --tun s46br0 --ctl "$tmp/br.sock" 2>"$tmp/br.log" &
wait_for 10 test -S "$tmp/br.sock" || { fail mapt_br_starts "$(tail -3 "$tmp/br.log")"; exit 1; }
nsx "$BR" ip route add 192.0.2.0/24 dev s46br0
nsx "$BR" ip -6 route add 2001:db8:ffff::/64 dev s46br0
# s46-ce routes the LAN's IPv4 and its MAP address into its TUN itself
nsx "$CE" "$BIN/s46-ce" --config "$tmp/ce.json" --tun s46ce0 --ctl "$tmp/ce.sock" 2>"$tmp/ce.log" &
wait_for 10 test -S "$tmp/ce.sock" || { fail mapt_ce_starts "$(tail -3 "$tmp/ce.log")"; exit 1; }
wait_for 10 grep -q "MAP-T running" "$tmp/ce.log" || { fail mapt_ce_starts "$(tail -3 "$tmp/ce.log")"; exit 1; }

# the servers: a web page, iperf3, a STUN-like UDP server that answers
# with the address and port it saw, and stund
head -c 300000 /dev/urandom >"$tmp/page.bin"
(cd "$tmp" && exec ip netns exec "$INET" /usr/bin/python3 -m http.server 8080 --bind 198.51.100.80) >/dev/null 2>&1 &
nsx "$INET" iperf3 -s -B 198.51.100.80 -D --logfile "$tmp/iperf.log"
nsx "$INET" /usr/bin/python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.51.100.80", 7000))
while True:
    d, a = s.recvfrom(2048)
    s.sendto(("%s %d" % a).encode(), a)' >/dev/null 2>&1 &
nsx "$INET" stund -h 198.51.100.80 -a 198.51.100.81 >/dev/null 2>&1 &
wait_for 10 eval 'nsx "$INET" ss -Hltn "sport = :8080" | grep -q . && nsx "$INET" ss -Hlun "sport = :7000" | grep -q .'

# ping first (the neighbours get resolved on the way)
if nsx "$LAN" ping -c 3 -i 0.2 -W 2 198.51.100.80 >"$tmp/ping.out" 2>&1 ||
   nsx "$LAN" ping -c 2 -i 0.2 -W 2 198.51.100.80 >"$tmp/ping.out" 2>&1; then
    pass mapt_ping_through
else
    fail mapt_ping_through "$(tail -2 "$tmp/ping.out")"
fi

if nsx "$LAN" curl -s --max-time 10 -o "$tmp/got.bin" http://198.51.100.80:8080/page.bin &&
   cmp -s "$tmp/page.bin" "$tmp/got.bin"; then
    pass mapt_curl_page
else
    fail mapt_curl_page "$(ls -l "$tmp/got.bin" 2>&1)"
fi

for dir in up down; do
    flag=; [ $dir = down ] && flag=-R
    if nsx "$LAN" iperf3 -c 198.51.100.80 -t 2 $flag -J >"$tmp/iperf.$dir.json" 2>&1 &&
       bps=$(/usr/bin/python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
print(int(j["end"]["sum_received"]["bits_per_second"]))' "$tmp/iperf.$dir.json") && [ "$bps" -gt 1000000 ]; then
        pass mapt_iperf3_$dir
        echo "    iperf3 $dir: $((bps / 1000000)) Mbit/s"
    else
        fail mapt_iperf3_$dir "$(tail -c 300 "$tmp/iperf.$dir.json")"
    fi
    nsx "$INET" iperf3 -s -B 198.51.100.80 -D --logfile "$tmp/iperf.log" 2>/dev/null
done

# the port set seen from outside: 192.0.2.18, PSID 0x34 at offset 6 (k 8)
out=$(nsx "$LAN" /usr/bin/python3 - <<'PY'
import socket
# every socket stays open: a closed one's LAN port could be reused by the next,
# which the NAPT rightly maps to the same outside port
bad, seen, socks = [], set(), []
for i in range(40):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
    socks.append(s)
    for _ in range(3):
        s.sendto(b"who am i", ("198.51.100.80", 7000))
        try:
            a, p = s.recvfrom(100)[0].decode().split()
            break
        except OSError:
            a, p = "none", "0"
    p = int(p)
    seen.add(p)
    if a != "192.0.2.18" or p < 1024 or (p >> 2) & 0xff != 0x34:
        bad.append("%s:%d" % (a, p))
print("ok %d" % len(seen) if not bad and len(seen) == 40 else "bad %s (%d ports)" % (bad[:5], len(seen)))
PY
)
[ "$out" = "ok 40" ] && pass mapt_udp_ports_in_port_set || fail mapt_udp_ports_in_port_set "$out"

# a real STUN client against stund: its mapped address is ours, in the set
nsx "$LAN" stun 198.51.100.80 -v >"$tmp/stun.out" 2>&1
m=$(grep -o 'MappedAddress = [0-9.]*:[0-9]*' "$tmp/stun.out" | head -1 | cut -d' ' -f3)
port=${m##*:}
if [ "${m%%:*}" = 192.0.2.18 ] && [ -n "$port" ] && [ "$port" -ge 1024 ] && [ $(((port >> 2) & 255)) = 52 ]; then
    pass mapt_stun_mapped_address
else
    fail mapt_stun_mapped_address "mapped '$m': $(grep -m3 -i 'mapped\|error\|fail' "$tmp/stun.out")"
fi

t4=$(counter ce translated4) t6=$(counter ce translated6)
b4=$(counter br translated4) b6=$(counter br translated6)
if [ "$t4" -gt 100 ] && [ "$t6" -gt 100 ] && [ "$b4" -gt 100 ] && [ "$b6" -gt 100 ]; then
    pass mapt_counters
else
    fail mapt_counters "ce translated4 $t4 translated6 $t6, br translated4 $b4 translated6 $b6"
fi
