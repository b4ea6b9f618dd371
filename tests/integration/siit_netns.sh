#!/usr/bin/env bash
# SIIT-DC through real interfaces: an IPv4 client reaches an IPv6-only
# server through s46-br with a "siit" config (RFC 7915, EAM RFC 7757,
# pool6 RFC 6052), once with a TUN device and then on the Ethernet ports,
# AF_PACKET and AF_XDP (which takes only what the program hands it: the
# translator's prefixes must be the data plane's):
#
#   c4 192.0.2.10 -- v4 [s46-br siit] v6 -- s6 2001:db8:6::80 (no IPv4 at all)
#
# EAM 198.51.100.80 <-> 2001:db8:6::80; every other IPv4 address by
# 64:ff9b::/96, so the server sees the client as 64:ff9b::c000:20a.
# Checks per mode: ping both ways of translation, a TCP download (the
# server's own log names the client's embedded address), a UDP exchange, an
# upload larger than the translator's IPv6 MTU (ICMPv4 Fragmentation Needed
# back to the client, whose kernel then sends smaller segments), and the
# translator's counters.
# s46-test-timeout: 150
set -u
cd "$(dirname "$0")/../.."
BIN=${S46_BIN:-build/bin}
ABIN=${S46_ASAN_BIN:-$BIN}
[ -x "$ABIN/s46-br" ] || ABIN=$BIN
PY=/usr/bin/python3
P=s46s$$
C4=$P-c4 X=$P-x S6=$P-s6
tmp=$(mktemp -d "${TMPDIR:-/tmp}/s46-siit.XXXXXX")
cleanup() {
    for ns in $C4 $X $S6; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
. tests/integration/lib/wait.sh
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
counters() { "$BIN/s46" show --ctl "$tmp/x.sock" --json |
    $PY -c 'import json,sys; print(" ".join("%s=%s" % kv for kv in json.load(sys.stdin)["counters"].items() if kv[1]))'; }

for ns in $C4 $X $S6; do
    ip netns add "$ns" || { echo "FAIL siit_netns: cannot create namespaces"; exit 1; }
    nsx "$ns" ip link set lo up
    nsx "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
ip link add eth0 netns $C4 type veth peer name v4 netns $X
ip link add v6 netns $X type veth peer name eth0 netns $S6
for x in $C4:eth0 $X:v4 $X:v6 $S6:eth0; do nsx "${x%%:*}" ip link set "${x#*:}" up; done
nsx $C4 ip addr add 192.0.2.10/24 dev eth0
nsx $C4 ip route add default via 192.0.2.1
nsx $X ip addr add 192.0.2.1/24 dev v4
nsx $X ip -6 addr add 2001:db8:6::1/64 dev v6 nodad
# the server: IPv6 only
nsx $S6 sysctl -qw net.ipv4.conf.all.disable_policy=1
nsx $S6 ip -6 addr add 2001:db8:6::80/64 dev eth0 nodad
nsx $S6 ip -6 route add 64:ff9b::/96 via 2001:db8:6::1

cat >"$tmp/siit.json" <<J
{"siit": {"pool6": "64:ff9b::/96",
          "eam": [{"ipv4": "198.51.100.80", "ipv6": "2001:db8:6::80"}],
          "ipv4": "198.51.100.1", "ipv6": "2001:db8:6::1", "ipv6_mtu": 1300}}
J

# servers on the IPv6-only host
head -c 1000000 /dev/urandom >"$tmp/blob"
nsx $S6 $PY -c '
import http.server, socketserver, sys, os
os.chdir(sys.argv[1])
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    address_family = __import__("socket").AF_INET6
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, fmt, *a):
        sys.stderr.write("client %s\n" % self.client_address[0]); sys.stderr.flush()
    def do_POST(self):
        n = int(self.headers["Content-Length"]); got = self.rfile.read(n)
        body = ("%d" % len(got)).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
S(("::", 8080), H).serve_forever()' "$tmp" 2>"$tmp/http.log" >/dev/null &
nsx $S6 $PY -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("::", 7001))
while True:
    d, a = s.recvfrom(2048); s.sendto(("%s:%d" % a[:2]).encode(), a)' >/dev/null 2>&1 &
wait_for 10 eval "ip netns exec $S6 ss -Hltn 'sport = :8080' | grep -q LISTEN" ||
    { fail siit_netns "the IPv6 web server did not start"; exit 1; }

start() { # mode
    rm -f "$tmp/x.sock"
    if [ "$1" = tun ]; then
        nsx $X sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
        nsx $X "$ABIN/s46-br" --config "$tmp/siit.json" --tun s46siit0 --workers 1 \
            --ctl "$tmp/x.sock" 2>>"$tmp/x.log" &
        xpid=$!
        wait_for 10 test -S "$tmp/x.sock" || return 1
        nsx $X ip route replace 198.51.100.80/32 dev s46siit0
        nsx $X ip -6 route replace 64:ff9b::/96 dev s46siit0
    else
        # Ethernet: the kernel neither forwards nor answers what s46-br takes
        nsx $X sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0
        nsx $X ip route replace blackhole 198.51.100.80/32
        nsx $X ip -6 route replace blackhole 64:ff9b::/96
        # AF_XDP: the prefixes are the data plane's (io/take.bpf.h), and a
        # frame must fit a UMEM frame: the far ends send no super-packets
        if [ "$1" = xdp ]; then
            for ns in $C4 $S6; do nsx $ns ethtool -K eth0 tso off gso off gro off >/dev/null 2>&1; done
        fi
        nsx $X "$ABIN/s46-br" --config "$tmp/siit.json" --io "$1" --v4-if v4 --v6-if v6 \
            --v4-peer-mac "$(nsx $C4 cat /sys/class/net/eth0/address)" \
            --v6-peer-mac "$(nsx $S6 cat /sys/class/net/eth0/address)" --workers 1 \
            --ctl "$tmp/x.sock" 2>>"$tmp/x.log" &
        xpid=$!
        wait_for 10 test -S "$tmp/x.sock" || return 1
    fi
}
stop() {
    kill "$xpid" 2>/dev/null
    wait "$xpid" 2>/dev/null
    nsx $X ip route del 198.51.100.80/32 2>/dev/null
    nsx $X ip -6 route del 64:ff9b::/96 2>/dev/null
    nsx $C4 ip route flush cache 2>/dev/null
}

for mode in tun afpacket xdp; do
    if ! start $mode; then fail siit_${mode}_started "$(tail -3 "$tmp/x.log")"; continue; fi
    pass siit_${mode}_started
    if nsx $C4 ping -c 3 -i 0.2 -W 2 198.51.100.80 >/dev/null 2>&1; then pass siit_${mode}_ping
    else fail siit_${mode}_ping "no echo reply ($(counters))"; fi
    : >"$tmp/http.log"
    if nsx $C4 curl -s --max-time 15 -o "$tmp/got" http://198.51.100.80:8080/blob &&
        cmp -s "$tmp/got" "$tmp/blob"; then pass siit_${mode}_tcp_download
    else fail siit_${mode}_tcp_download "download failed or differs ($(counters))"; fi
    if grep -q '^client 64:ff9b::c000:20a$' "$tmp/http.log"; then pass siit_${mode}_server_sees_rfc6052_address
    else fail siit_${mode}_server_sees_rfc6052_address "$(head -2 "$tmp/http.log")"; fi
    got=$(nsx $C4 $PY -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
s.bind(("192.0.2.10", 40001)); s.sendto(b"hi", ("198.51.100.80", 7001))
print(s.recvfrom(100)[0].decode())' 2>&1)
    if [ "$got" = "64:ff9b::c000:20a:40001" ]; then pass siit_${mode}_udp
    else fail siit_${mode}_udp "got '$got'"; fi
    # 200 kB up: 1500-byte IPv4 segments exceed ipv6_mtu 1300 once
    # translated; Fragmentation Needed makes the client's TCP send less
    head -c 200000 /dev/urandom >"$tmp/up"
    got=$(nsx $C4 curl -s --max-time 20 --data-binary @"$tmp/up" http://198.51.100.80:8080/up)
    if [ "$got" = 200000 ]; then pass siit_${mode}_upload_past_the_ipv6_mtu
    else fail siit_${mode}_upload_past_the_ipv6_mtu "server got '$got' ($(counters))"; fi
    c=$(counters)
    if [[ " $c " == *" icmp_errors_sent="[1-9]* ]] && [[ " $c " == *" v4_out="[1-9]* ]]; then
        pass siit_${mode}_counters
    else fail siit_${mode}_counters "$c"; fi
    stop
done
