#!/usr/bin/env bash
# The stateful NAT64 (s46-br with a "nat64" config) between a plain
# IPv6-only client and an IPv4 server, with real kernel sockets, in
# namespaces:
#
#   client 2001:db8:c::2 -- nat64 (s46-br, TUN, 2 workers) -- server 203.0.113.9
#            (64:ff9b::/96)          pool4 198.51.100.0/30
#
# Checks: ping to 64:ff9b::203.0.113.9, a TCP download with curl, a UDP
# exchange in which the server sees the client as a pool4 address and
# port; an unsolicited IPv4 packet does not reach the client (counted);
# `s46 show` of the NAT64 (mechanism, sessions); `s46 trace` names the
# client's IPv6 address from the port-block log; hairpinning, and a Packet
# Too Big back to the sender of a hairpinned datagram too big for the way
# back; a warning for an ICMPv4 source that is an address of the host.
set -u
cd "$(dirname "$0")/../.."
BIN=${S46_BIN:-build/bin}
ABIN=${S46_ASAN_BIN:-$BIN}
[ -x "$ABIN/s46-br" ] || ABIN=$BIN
PY=/usr/bin/python3
P=s46n$$
CL=$P-cl NAT=$P-nat SRV=$P-srv
tmp=$(mktemp -d "${TMPDIR:-/tmp}/s46-nat64.XXXXXX")
cleanup() {
    for ns in $CL $NAT $SRV; do
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
show() { "$BIN/s46" show --ctl "$tmp/nat64.sock" --json; }
SRV6=64:ff9b::cb00:7109

for ns in $CL $NAT $SRV; do
    ip netns add "$ns" || { echo "FAIL nat64_netns: cannot create namespaces"; exit 1; }
    nsx "$ns" ip link set lo up
    nsx "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
ip link add eth0 netns $CL type veth peer name v6 netns $NAT
ip link add v4 netns $NAT type veth peer name eth0 netns $SRV
for x in $CL:eth0 $NAT:v6 $NAT:v4 $SRV:eth0; do nsx "${x%%:*}" ip link set "${x#*:}" up; done
nsx $CL ip -6 addr add 2001:db8:c::2/64 dev eth0 nodad
nsx $CL ip -6 route add default via 2001:db8:c::1
nsx $NAT sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
nsx $NAT ip -6 addr add 2001:db8:c::1/64 dev v6 nodad
nsx $NAT ip addr add 203.0.113.1/24 dev v4
nsx $SRV ip addr add 203.0.113.9/24 dev eth0
nsx $SRV ip route add default via 203.0.113.1

cat >"$tmp/nat64.json" <<J
{"nat64": {"pool6": "64:ff9b::/96", "pool4": ["198.51.100.0/30"], "ipv4": "192.0.2.1",
  "block_size": 512, "ipv6_mtu": 1280, "log": {"path": "$tmp/blocks.log"}}}
J
ip netns exec $NAT "$ABIN/s46-br" --config "$tmp/nat64.json" --tun s46n64 --workers 2 \
    --ctl "$tmp/nat64.sock" 2>>"$tmp/nat64.log" &
natpid=$!
waitfor 10 test -S "$tmp/nat64.sock" || { fail nat64_started "$(tail -3 "$tmp/nat64.log")"; exit 1; }
nsx $NAT ip link set s46n64 up 2>/dev/null
nsx $NAT ip -6 route replace 64:ff9b::/96 dev s46n64
nsx $NAT ip route replace 198.51.100.0/30 dev s46n64
grep -q 'NAT64, 1 pool4 prefixes' "$tmp/nat64.log" && pass nat64_started ||
    fail nat64_started "$(tail -2 "$tmp/nat64.log")"

# the IPv4 server: HTTP, and UDP answering with what it saw as the source
head -c 1000000 /dev/urandom >"$tmp/blob"
(cd "$tmp" && nsx $SRV $PY -m http.server -b 203.0.113.9 8080 >/dev/null 2>&1 &)
nsx $SRV $PY -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("203.0.113.9", 7001))
while True:
    d, a = s.recvfrom(2048); s.sendto(("%s:%d" % a).encode(), a)' >/dev/null 2>&1 &
waitfor 10 sh -c "ip netns exec $SRV ss -Hltn 'sport = :8080' | grep -q LISTEN && ip netns exec $SRV ss -Hlun 'sport = :7001' | grep -q ."

out=$(nsx $CL ping -6 -c 3 -i 0.2 -W 2 $SRV6 2>&1)
grep -q ' 0% packet loss' <<<"$out" && pass nat64_ping || fail nat64_ping "$(tail -2 <<<"$out")"

if nsx $CL curl -s --max-time 15 -o "$tmp/got" "http://[$SRV6]:8080/blob" && cmp -s "$tmp/got" "$tmp/blob"; then
    pass nat64_tcp_download
else
    fail nat64_tcp_download "download failed or differs"
fi

seen=$(nsx $CL $PY -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.settimeout(3)
s.bind(("2001:db8:c::2", 5555))
s.sendto(b"hello", ("'$SRV6'", 7001))
print(s.recvfrom(2048)[0].decode())' 2>&1)
case $seen in
198.51.100.[0-3]:*) pass nat64_udp_exchange ;;
*) fail nat64_udp_exchange "server saw '$seen'" ;;
esac

# unsolicited: a packet from the server to a pool4 port with no session
before=$(show | $PY -c 'import json,sys; print(json.load(sys.stdin)["counters"].get("drop_in_no_mapping", 0))')
nsx $SRV $PY -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for p in range(40000, 40004): s.sendto(b"x", ("198.51.100.1", p))'
sleep 0.5
after=$(show | $PY -c 'import json,sys; print(json.load(sys.stdin)["counters"].get("drop_in_no_mapping", 0))')
[ "$after" -ge $((before + 4)) ] && pass nat64_unsolicited_dropped ||
    fail nat64_unsolicited_dropped "drop_in_no_mapping $before -> $after"

st=$(show | $PY -c '
import json, sys
j = json.load(sys.stdin)
print(j.get("mechanism"), sorted({b["subscriber"] for b in j.get("blocks", [])}),
      "cgn_out" in j.get("stages", {}).get("ipv6", []))' 2>&1)
grep -q "nat64 \['2001:db8:c::2'\] True" <<<"$st" && pass nat64_show || fail nat64_show "$st"

# the port-block log names the client for the external endpoint it used
ea=${seen%%$'\n'*}
now=$(date +%s)
tr=$("$BIN/s46" trace "${ea%:*}" "${ea#*:}" "$now" --block-log "$tmp/blocks.log" 2>&1)
rc=$?
[ $rc = 0 ] && grep -q '2001:db8:c::2' <<<"$tr" && pass nat64_trace_names_host ||
    fail nat64_trace_names_host "exit $rc: $tr"

# hairpinning (RFC 6146 §3.8): the client reaches its own other socket
# through the pool4 endpoint that socket got; a datagram too big for the
# way back (ipv6_mtu 1280 here, the links 1500) gets its Packet Too Big
# back to the sender (not an ICMPv4 error out of the IPv4 side toward a
# pool address), so the client learns the path MTU. (On TUN the kernel is
# the router hop: s46 leaves hop limits alone, no Time Exceeded case.)
cnt() { show | $PY -c 'import json,sys; print(json.load(sys.stdin)["counters"].get("'$1'", 0))'; }
hp0=$(cnt hairpinned) err0=$(cnt icmp_errors_sent)
hp=$(nsx $CL $PY -c '
import select, socket
SRV6 = "'$SRV6'"
b = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); b.settimeout(3)
b.bind(("2001:db8:c::2", 6000))
b.sendto(b"where am I", (SRV6, 7001))
addr, port = b.recvfrom(2048)[0].decode().split(":")   # B as the IPv4 server sees it
dst = ("64:ff9b::" + addr, int(port))
a = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); a.settimeout(3)
a.bind(("2001:db8:c::2", 5000))
a.sendto(b"through the pool", dst)
got, src = b.recvfrom(2048)
print("delivered" if got == b"through the pool" and src[0].startswith("64:ff9b::") else "wrong %r %r" % (got, src))
a.setsockopt(socket.IPPROTO_IPV6, 25, 1)        # IPV6_RECVERR
a.setsockopt(socket.IPPROTO_IPV6, 23, 0)        # IPV6_MTU_DISCOVER: IPV6_PMTUDISC_DONT (send 1448 bytes)
a.connect(dst)
a.send(b"b" * 1400)
select.select([a], [], [], 3)
try:
    _, anc, _, _ = a.recvmsg(2048, 1024, 0x2000)  # MSG_ERRQUEUE
    ee = [d for lvl, t, d in anc if lvl == socket.IPPROTO_IPV6][0]
    print("icmp6 origin %d type %d code %d info %d" % (ee[4], ee[5], ee[6], int.from_bytes(ee[8:12], "little")))
except (BlockingIOError, IndexError, OSError) as e:
    print("no error queued: %s" % e)
' 2>&1)
grep -q '^delivered$' <<<"$hp" && [ "$(cnt hairpinned)" -ge $((hp0 + 1)) ] && pass nat64_hairpin ||
    fail nat64_hairpin "$hp; hairpinned $hp0 -> $(cnt hairpinned)"
# SO_EE_ORIGIN_ICMP6 = 3, Packet Too Big = type 2, the MTU in ee_info
if grep -q '^icmp6 origin 3 type 2 code 0 info 1280$' <<<"$hp" &&
    [ "$(cnt icmp_errors_sent)" -ge $((err0 + 1)) ] && [ "$(cnt drop_hairpin_error)" = 0 ]; then
    pass nat64_hairpin_too_big_error_to_sender
else
    fail nat64_hairpin_too_big_error_to_sender "$hp; icmp_errors_sent $err0 -> $(cnt icmp_errors_sent)"
fi

# an ICMPv4 source that is an address of the host: said when the config is
# read (through the TUN the kernel would drop its errors as martians)
if grep -q 'warning: the ICMPv4 source' "$tmp/nat64.log"; then
    fail nat64_local_icmp4_source_warned "warned about 192.0.2.1: $(grep warning "$tmp/nat64.log")"
else
    sed -i 's/"ipv4": "192.0.2.1"/"ipv4": "203.0.113.1"/' "$tmp/nat64.json"
    kill -HUP $natpid
    waitfor 5 grep -q 'configuration reloaded' "$tmp/nat64.log"
    grep -q 'warning: the ICMPv4 source 203.0.113.1 is an address of this host (v4)' "$tmp/nat64.log" &&
        pass nat64_local_icmp4_source_warned ||
        fail nat64_local_icmp4_source_warned "$(tail -3 "$tmp/nat64.log")"
fi
