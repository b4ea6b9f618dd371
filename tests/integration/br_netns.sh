#!/usr/bin/env bash
# s46-br forwarding real traffic between namespaces, once over a TUN device
# and once in AF_PACKET mode on its two veth interfaces (forwarding off and
# blackhole routes in its namespace, so the kernel leaves transit traffic to
# s46-br): a tiny test CE (tests/minice.py, full-address MAP rule) fetches a
# page from an IPv4 web server, pings through the BR and pings the BR
# address; spoofed packets crafted with scapy are dropped and counted; the
# daemon stops cleanly on SIGTERM.
set -u
cd "$(dirname "$0")/../.."
BIN=${S46_BIN:-build/bin}
. tests/integration/lib/wait.sh
P=s46t$$
CE=$P-ce BR=$P-br INET=$P-inet
tmp=
cleanup() {
    for ns in $CE $BR $INET; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
mac() { ip netns exec "$1" cat "/sys/class/net/$2/address"; }
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

run_mode() { # tun | afpacket | xdp
mode=$1 io=$1
tmp=$(mktemp -d)
for ns in $CE $BR $INET; do ip netns add "$ns"; nsx "$ns" ip link set lo up; done
ip link add c0 netns "$CE" type veth peer name b6 netns "$BR"
ip link add b4 netns "$BR" type veth peer name i0 netns "$INET"
nsx "$CE" ip link set c0 up; nsx "$BR" ip link set b6 up; nsx "$BR" ip link set b4 up; nsx "$INET" ip link set i0 up
if [ "$mode" = tun ]; then
    nsx "$BR" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
else
    nsx "$BR" sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0
    nsx "$BR" ip -6 route add blackhole 2001:db8:ffff::1/128
    nsx "$BR" ip route add blackhole 192.0.2.0/24
fi
nsx "$CE" ip -6 addr add 2001:db8:f0::2/64 dev c0 nodad
nsx "$CE" ip -6 addr add 2001:db8:12::c000:212:0/128 dev lo nodad
nsx "$CE" ip -6 route add 2001:db8:ffff::1/128 via 2001:db8:f0::1
nsx "$BR" ip -6 addr add 2001:db8:f0::1/64 dev b6 nodad
[ "$mode" = tun ] && nsx "$BR" ip -6 route add 2001:db8:12::/48 via 2001:db8:f0::2
nsx "$BR" ip addr add 198.51.100.1/24 dev b4
nsx "$INET" ip addr add 198.51.100.80/24 dev i0
nsx "$INET" ip route add 192.0.2.0/24 via 198.51.100.1

cat >"$tmp/br.json" <<'J'
{"version": 1, "br": "2001:db8:ffff::1", "br_ipv4": "198.51.100.1",
 "rules": [{"ipv6": "2001:db8::/40", "ipv4": "192.0.2.0/24", "ea_length": 8, "psid_offset": 6}]}
J
if [ "$mode" = tun ]; then
    ip netns exec "$BR" "$BIN/s46-br" --config "$tmp/br.json" --tun s46br0 --ctl "$tmp/br.sock" 2>"$tmp/br.log" &
    brpid=$!
    for _ in $(seq 300); do [ -S "$tmp/br.sock" ] && break; sleep 0.1; done
    nsx "$BR" ip -6 route add 2001:db8:ffff::1/128 dev s46br0
    nsx "$BR" ip route add 192.0.2.0/24 dev s46br0
else
    # AF_XDP cannot see the partial checksums of a veth's local senders
    [ "$mode" = xdp ] && nsx "$INET" ethtool -K i0 tx off >/dev/null
    ip netns exec "$BR" "$BIN/s46-br" --config "$tmp/br.json" --v4-if b4 --v6-if b6 --v4-peer-mac "$(mac "$INET" i0)" \
        --v6-peer-mac "$(mac "$CE" c0)" --io "$mode" --workers "$([ "$mode" = xdp ] && echo 1 || echo 2)" --ctl "$tmp/br.sock" 2>"$tmp/br.log" &
    brpid=$!
    for _ in $(seq 300); do [ -S "$tmp/br.sock" ] && break; sleep 0.1; done
fi

nsx "$CE" /usr/bin/python3 tests/minice.py mce0 2001:db8:12::c000:212:0 2001:db8:ffff::1 >"$tmp/ce.log" 2>&1 &
for _ in $(seq 300); do grep -q ready "$tmp/ce.log" 2>/dev/null && break; sleep 0.1; done
nsx "$CE" ip link set mce0 up
nsx "$CE" ip addr add 192.0.2.18/32 dev mce0
nsx "$CE" ip route add 198.51.100.0/24 dev mce0 src 192.0.2.18

mkdir -p "$tmp/www" && echo "hello from the IPv4 Internet" >"$tmp/www/index.html"
nsx "$INET" /usr/bin/python3 -m http.server 8080 --bind 198.51.100.80 --directory "$tmp/www" >/dev/null 2>&1 &
for _ in $(seq 300); do nsx "$INET" ss -ltn | grep -q 8080 && break; sleep 0.1; done

if out=$(nsx "$CE" curl -s --max-time 10 http://198.51.100.80:8080/index.html) && [ "$out" = "hello from the IPv4 Internet" ]; then
    pass br_${mode}_http_through_br
else
    fail br_${mode}_http_through_br "got '$out'; br log: $(tail -3 "$tmp/br.log")"
fi
nsx "$CE" ping -c 2 -W 2 198.51.100.80 >/dev/null && pass br_${mode}_ping_v4_through_br || fail br_${mode}_ping_v4_through_br "no reply"
nsx "$CE" ping -6 -c 2 -W 2 2001:db8:ffff::1 >/dev/null && pass br_${mode}_ping_br_v6 || fail br_${mode}_ping_br_v6 "no reply"
# spoofed inner source and a non-IPIP packet to the BR address
nsx "$CE" /usr/bin/python3 - <<'PY' 2>/dev/null
from scapy.all import IPv6, IP, UDP, send, conf
conf.verb = 0
send(IPv6(src="2001:db8:12::c000:212:0", dst="2001:db8:ffff::1")/IP(src="192.0.2.99", dst="198.51.100.80")/UDP(sport=1, dport=2), count=3)
send(IPv6(src="2001:db8:12::c000:212:0", dst="2001:db8:ffff::1")/UDP(sport=1, dport=2), count=2)
PY
# until the BR has counted what was sent (bounded)
counters_ok() {
    "$BIN/s46" show --ctl "$tmp/br.sock" --json >"$tmp/show.json" 2>"$tmp/show.err" &&
    /usr/bin/python3 -c "
import json,sys; c=json.load(open('$tmp/show.json'))['counters']
sys.exit(0 if c['drop_inner_spoofed_address']==3 and c['drop_v6_not_ipip']==2 and c['v6_decapsulated']>=3 and c['v4_encapsulated']>=3 and c['echo_replies']>=2 else 1)"
}
if wait_for 5 counters_ok && grep -q "\"io\": \"$io\"" "$tmp/show.json"; then
    pass br_${mode}_counters
else
    fail br_${mode}_counters "$(cat "$tmp/show.json" "$tmp/show.err" | head -c 600)"
fi
"$BIN/s46" show --ctl "$tmp/br.sock" | grep -q '^counters.v6_decapsulated' && pass br_${mode}_show_human || fail br_${mode}_show_human "no counters line"
# clean stop on SIGTERM
pid=$brpid
kill -TERM "$pid" 2>/dev/null
for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if ! kill -0 "$pid" 2>/dev/null && grep -q stopped "$tmp/br.log" && [ ! -S "$tmp/br.sock" ]; then
    pass br_${mode}_clean_stop
else
    fail br_${mode}_clean_stop "still running or no clean exit: $(tail -2 "$tmp/br.log")"
fi
cleanup
}

run_mode tun
run_mode afpacket
run_mode xdp
