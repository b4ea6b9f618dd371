#!/usr/bin/env bash
# 464XLAT end to end against a NAT64 we did not write: s46-ce's CLAT
# (provisioned over HB46PP) and tayga as the PLAT, in network namespaces:
#
#   lan 192.168.1.2 -- ce (lan0 192.168.1.1, 2001:db8:12:3400::1/64;
#                          wan0 2001:db8:f001::2; s46-ce on TUN)
#     -- isp (router; unbound, s46-provd; tayga: 2001:db8:64::/96 on its TUN,
#             dynamic pool 192.0.2.128/25; 198.51.100.1)
#     -- srv 198.51.100.80 (web server)
#
# The LAN host pings and fetches a page from the IPv4 server: the CE NAPTs
# it onto 192.0.0.1 and translates it to its CLAT address toward
# 2001:db8:64::c633:6450, tayga translates that statelessly with an IPv4 address
# of its pool for our CLAT address. First with the answer's nat64prefix,
# then with none (the CE finds 2001:db8:64::/96 by RFC 7050 through unbound,
# which answers ipv4only.arpa as a DNS64 does); then with two workers.
set -u
ROOT=${S46_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=${S46_BIN:-$ROOT/build/bin}
. "$ROOT/tests/integration/lib/wait.sh"
. "$ROOT/lab/common.sh"
CEBIN=${S46_ASAN_BIN:-$BIN}
[ -x "$CEBIN/s46-ce" ] || CEBIN=$BIN
PY=/usr/bin/python3
P=s46x$$
LAN=$P-lan CE=$P-ce ISP=$P-isp SRV=$P-srv
TMP=$(mktemp -d "${TMPDIR:-/tmp}"/s46-clat.XXXXXX)
PIDS=()
CEPID='' PROVPID='' TAYGAPID=''
CLAT6=2001:db8:12:3400::c1a7
cleanup() {
    [ -n "$CEPID" ] && { kill -9 "$CEPID"; wait "$CEPID"; } 2>/dev/null
    for p in $PROVPID $TAYGAPID "${PIDS[@]}"; do { kill "$p"; wait "$p"; } 2>/dev/null; done
    for ns in $LAN $CE $ISP $SRV; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    [ -n "${S46_KEEP_TMP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT
nsl() { ip netns exec "$LAN" "$@"; }
nsc() { ip netns exec "$CE" "$@"; }
nsi() { ip netns exec "$ISP" "$@"; }
nss() { ip netns exec "$SRV" "$@"; }
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
why=
check() { # name, condition-command..., with "why" in $why
    local name=$1; shift
    if "$@"; then pass "$name"; else fail "$name" "${why:-condition false}"; fi
    why=
}

command -v tayga >/dev/null || { echo "SKIP clat_tayga: no tayga (scripts/setup installs it)"; exit 0; }
ip netns add "$CE" 2>/dev/null || { echo "SKIP clat_tayga: no netns"; exit 0; }
for ns in $LAN $ISP $SRV; do ip netns add "$ns"; done
for ns in $LAN $CE $ISP $SRV; do
    ip netns exec "$ns" ip link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
ip link add eth0 netns "$LAN" type veth peer name lan0 netns "$CE"
ip link add wan0 netns "$CE" type veth peer name toce netns "$ISP"
ip link add tosrv netns "$ISP" type veth peer name eth0 netns "$SRV"
nsl ip link set eth0 up; nsc ip link set lan0 up; nsc ip link set wan0 up
nsi ip link set toce up; nsi ip link set tosrv up; nss ip link set eth0 up
nsl ip addr add 192.168.1.2/24 dev eth0
nsl ip route add default via 192.168.1.1
nsc sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
    net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
nsc ip addr add 192.168.1.1/24 dev lan0
nsc ip -6 addr add 2001:db8:12:3400::1/64 dev lan0 nodad
nsc ip -6 addr add 2001:db8:f001::2/64 dev wan0 nodad
nsc ip -6 route add default via 2001:db8:f001::1
nsi sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
nsi ip -6 addr add 2001:db8:f001::1/64 dev toce nodad
nsi ip addr add 198.51.100.1/24 dev tosrv
for a in 53 80; do nsi ip -6 addr add 2001:db8:f0f0::$a/128 dev lo; done
nsi ip -6 route add 2001:db8:12::/48 via 2001:db8:f001::2
nss ip addr add 198.51.100.80/24 dev eth0
nss ip route add default via 198.51.100.1
echo "464xlat page" >"$TMP/index.html"
(cd "$TMP" && exec ip netns exec "$SRV" $PY -m http.server 80 --bind 198.51.100.80 >/dev/null 2>&1) &
PIDS+=($!)

# tayga: the PLAT (stateless NAT64 with a dynamic pool, one address per
# IPv6 host it sees: our CLAT address gets one)
cat >"$TMP/tayga.conf" <<C
tun-device nat64
ipv4-addr 192.0.2.1
prefix 2001:db8:64::/96
dynamic-pool 192.0.2.128/25
C
nsi tayga --mktun -c "$TMP/tayga.conf" >/dev/null 2>&1
nsi ip link set nat64 up
nsi ip route add 192.0.2.128/25 dev nat64
nsi ip -6 route add 2001:db8:64::/96 dev nat64
ip netns exec "$ISP" tayga -c "$TMP/tayga.conf" --nodetach >"$TMP/tayga.log" 2>&1 &
TAYGAPID=$!

# DNS: the TXT record of the provisioning server, and ipv4only.arpa as a
# DNS64 synthesizes it (RFC 7050: 192.0.0.170 and .171 in 2001:db8:64::/96)
{
    s46_unbound_head "$TMP" 2001:db8:f0f0::53
    cat <<C
  local-zone: "4over6.info." static
  local-zone: "s46.test." static
  local-zone: "ipv4only.arpa." static
  local-data: "prov.s46.test. 300 IN AAAA 2001:db8:f0f0::80"
  local-data: '4over6.info. 300 IN TXT "v=v6mig-1 url=http://prov.s46.test/config t=a"'
  local-data: "ipv4only.arpa. 300 IN AAAA 2001:db8:64::c000:aa"
  local-data: "ipv4only.arpa. 300 IN AAAA 2001:db8:64::c000:ab"
C
} >"$TMP/unbound.conf"
ip netns exec "$ISP" unbound -d -c "$TMP/unbound.conf" >/dev/null 2>"$TMP/unbound.log" &
PIDS+=($!)

answer() { # NAME MEMBERS
    printf '{"enabler_name": "464xlat VNE", "ttl": 600, "order": ["464xlat"], %s}\n' "$2" >"$TMP/$1.profile"
}
answer given '"464xlat": {"nat64prefix": "2001:db8:64::/96"}'
answer discover '"464xlat": {}'
serve() { # PROFILE: (re)starts s46-provd serving that answer to the CE's /48
    if [ -n "$PROVPID" ]; then
        kill "$PROVPID" 2>/dev/null; wait "$PROVPID" 2>/dev/null; PROVPID=
    fi
    ip netns exec "$ISP" "$BIN/s46-provd" serve --port 80 --profile 2001:db8:12::/48="$TMP/$1.profile" \
        >/dev/null 2>>"$TMP/provd.log" &
    PROVPID=$!
    wait_for 5 eval 'nsi ss -Hltn "( sport = :80 )" | grep -q LISTEN'
}
serve given
wait_for 10 eval 'nsi kdig +short +timeout=1 @2001:db8:f0f0::53 TXT 4over6.info 2>/dev/null | grep -q v6mig'

cat >"$TMP/ce.json" <<J
{"prefix_from": {"interface": "lan0", "length": 56}, "lan_ipv4": "192.168.1.1",
 "provisioning": {"resolver": "[2001:db8:f0f0::53]:53", "timeout": 3, "waits": {"boot": [0, 0]}}}
J
field() { s46_show_field "$BIN/s46" "$TMP/ce.sock" "$1"; }
ip netns exec "$CE" "$CEBIN/s46-ce" --config "$TMP/ce.json" --tun tce0 --ctl "$TMP/ce.sock" 2>>"$TMP/ce.log" &
CEPID=$!

running() { grep -c '^s46-ce: 464XLAT CLAT running:' "$TMP/ce.log"; }
wait_for 15 eval '[ "$(running)" -ge 1 ]'
why="$(tail -n 3 "$TMP/ce.log" | tr '\n' ' ')"
check clat_tayga_provisioned grep -q "^s46-ce: 464XLAT CLAT running: 192.0.0.1 as $CLAT6, NAT64 prefix 2001:db8:64::/96 (answer)" "$TMP/ce.log"
why="$(field mechanism) $(field nat64prefix) $(field clat_ipv6)"
check clat_tayga_show [ "$(field mechanism) $(field nat64prefix) $(field clat_ipv6)" = "464xlat 2001:db8:64::/96 $CLAT6" ]
wait_for 5 eval 'nsc ip -6 route show '"$CLAT6"' | grep -q tce0'
why="$(nsc ip -6 route; nsc ip route | tr '\n' ' ')"
check clat_tayga_routes bash -c "ip netns exec $CE ip -6 route show $CLAT6 | grep -q tce0 && ip netns exec $CE ip route show default | grep -q tce0"

ping_ok() { # NAME: 3 echo requests from the LAN host to the server answered
    local out
    out=$(nsl ping -n -c 3 -i 0.2 -W 2 198.51.100.80 2>&1)
    why="$(echo "$out" | tail -n 2 | tr '\n' ' '); ce: $(tail -n 2 "$TMP/ce.log" | tr '\n' ' ')"
    check "$1" bash -c "echo '$out' | grep -q ' 3 received'"
}
curl_ok() { # NAME: the page fetched from the LAN host
    local page
    page=$(nsl curl -s --max-time 5 http://198.51.100.80/ 2>&1)
    why="got '$page'"
    check "$1" [ "$page" = "464xlat page" ]
}
ping_ok clat_tayga_ping
curl_ok clat_tayga_http
# and the CLAT counted what it did
c=$("$BIN/s46" show --json --ctl "$TMP/ce.sock" 2>/dev/null | $PY -c '
import json, sys
c = json.load(sys.stdin)["counters"]
print(c["translated4"] > 0 and c["translated6"] > 0 and c["napt_mappings_created"] > 0 and c["drop_unfinished"] == 0)' 2>&1)
why="counters: $c"
check clat_tayga_counters [ "$c" = True ]
# a bigger download: TCP segments of the full MSS through both translators
head -c 300000 /dev/urandom >"$TMP/big.bin"
want=$(sha256sum <"$TMP/big.bin")
got=$(nsl curl -s --max-time 20 http://198.51.100.80/big.bin | sha256sum)
why="checksum $got, want $want"
check clat_tayga_download [ "$got" = "$want" ]
# DF-clear UDP datagram bigger than the IPv6 MTU: fragments through tayga
nss $PY -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.51.100.80", 7000))
s.settimeout(10)
d, a = s.recvfrom(65535)
s.sendto(d, a)' &
echo_pid=$!
PIDS+=($echo_pid)
sleep 0.3
got=$(nsl $PY -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, 10, 0)  # IP_MTU_DISCOVER: IP_PMTUDISC_DONT (DF clear)
s.settimeout(5)
s.sendto(bytes(range(256)) * 12, ("198.51.100.80", 7000))
d, _ = s.recvfrom(65535)
print(len(d), d == bytes(range(256)) * 12)' 2>&1)
# the CLAT cut it into IPv6 fragments and reassembled tayga's reply
frag=$("$BIN/s46" show --json --ctl "$TMP/ce.sock" 2>/dev/null | $PY -c '
import json, sys
c = json.load(sys.stdin)["counters"]
print(c["fragmented"] > 0 and c["reassembled"] > 0)' 2>&1)
why="got '$got', fragmented and reassembled: $frag"
check clat_tayga_udp_fragments [ "$got $frag" = "3072 True True" ]

# no nat64prefix in the answer: RFC 7050 discovery through the resolver
n=$(running)
serve discover
kill -HUP "$CEPID"
wait_for 15 eval '[ "$(running)" -gt '"$n"' ]'
why="$(tail -n 3 "$TMP/ce.log" | tr '\n' ' ')"
check clat_tayga_rfc7050_discovered bash -c "tail -n +$((n + 1)) '$TMP/ce.log' | grep '^s46-ce: 464XLAT CLAT running:' | grep -q 'NAT64 prefix 2001:db8:64::/96 (rfc7050)'"
ping_ok clat_tayga_ping_after_discovery
curl_ok clat_tayga_http_after_discovery
kill -0 "$CEPID" 2>/dev/null && pass clat_tayga_ce_alive || fail clat_tayga_ce_alive "s46-ce exited: $(tail -n 3 "$TMP/ce.log")"

# two workers: the NAPT's ports shared out, WAN packets steered to the
# worker owning their port (s46_steer_clat6); 16 UDP flows and a page
{ kill "$CEPID"; wait "$CEPID"; } 2>/dev/null
CEPID=
n=$(running)
ip netns exec "$CE" "$CEBIN/s46-ce" --config "$TMP/ce.json" --tun tce0 --workers 2 --ctl "$TMP/ce.sock" 2>>"$TMP/ce.log" &
CEPID=$!
wait_for 15 eval '[ "$(running)" -gt '"$n"' ]'
nss $PY -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.51.100.80", 7001))
s.settimeout(15)
for _ in range(64):
    d, a = s.recvfrom(2048)
    s.sendto(d, a)' &
PIDS+=($!)
sleep 0.3
got=$(nsl $PY -c '
import socket
socks = []
for i in range(16):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    socks.append(s)
ok = 0
for i, s in enumerate(socks):
    for k in range(3):
        s.sendto(b"flow %d" % i, ("198.51.100.80", 7001))
        try:
            if s.recv(100) == b"flow %d" % i:
                ok += 1
                break
        except socket.timeout:
            pass
print(ok)' 2>&1)
why="$got of 16 flows echoed; $("$BIN/s46" show --json --ctl "$TMP/ce.sock" 2>/dev/null | $PY -c 'import json,sys; d=json.load(sys.stdin); print({k:v for k,v in d["counters"].items() if v})' 2>&1)"
check clat_tayga_two_workers_udp [ "$got" = 16 ]
curl_ok clat_tayga_two_workers_http
