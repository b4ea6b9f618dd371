#!/usr/bin/env bash
# s46-ce on two Ethernet interfaces (no TUN, no kernel routing on its
# path): it answers ARP for its LAN address and NDP for its MAP address
# itself, and runs MAP-E with its NAPT shared out over 2 workers. Behind it
# an s46-br on TUN and an IPv4 server. Per I/O kind (afpacket, xdp):
#  - LAN hosts resolve the CE's address by ARP, the BR's kernel resolves the
#    MAP address by NDP: both answered by the CE, with its MAC;
#  - ping and a TCP download through CE and BR; pings to the CE's LAN
#    address answered by the CE, which is traceroute's first hop;
#  - 96 UDP flows from 8 LAN addresses all get their replies, the mappings
#    were made on both workers, `s46 show` sums the workers; on AF_PACKET the
#    fanout program put every packet on its owner's queue (nothing handed
#    over), on AF_XDP return traffic on the other queue was handed over;
#  - hairpinning between LAN hosts whose mappings are on different workers;
#  - zero loss under capacity: iperf3 UDP at a modest fixed rate through CE
#    and BR loses nothing (the receiver's count), and so does the port.
set -u
cd "$(dirname "$0")/../.."
BIN=${S46_BIN:-build/bin}
. tests/integration/lib/wait.sh
P=s46e$$
LAN=$P-lan CE=$P-ce BR=$P-br INET=$P-inet
tmp=$(mktemp -d)
cleanup() {
    for ns in $LAN $CE $BR $INET; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
}
trap 'cleanup; rm -rf "$tmp"' EXIT
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
mac() { nsx "$1" cat "/sys/class/net/$2/address"; }
MAPADDR=2001:db8:12:3400:0:c000:212:34
PY=/usr/bin/python3

diag() { # the CE's and the BR's counters that moved, for a failure message
    for d in ce br; do
        "$BIN/s46" show --ctl "$tmp/$d.sock" --json 2>/dev/null | $PY -c "
import json,sys
j = json.load(sys.stdin)
c = {k: v for k, v in j.get('counters', {}).items() if v}
i = {s: {k: v for k, v in p.items() if v and k not in ('interface', 'kind')} for s, p in j.get('interfaces', {}).items()}
print('$d', 'counters', c, 'interfaces', i, 'redirected', j.get('redirected'))"
    done | tr '\n' ' ' | head -c 1500
}
show_field() { # json path expression on `s46 show --json` of the CE
    "$BIN/s46" show --ctl "$tmp/ce.sock" --json | $PY -c "import json,sys; j=json.load(sys.stdin); print($1)"
}

run_kind() { # afpacket | xdp
kind=$1
rm -f "$tmp"/*.sock  # a daemon killed by the last cleanup left its socket: waiting on it would not wait
for ns in $LAN $CE $BR $INET; do ip netns add "$ns"; nsx "$ns" ip link set lo up; done
# two queues on the CE's veths so that both workers have one
ip link add eth0 netns "$LAN" numtxqueues 2 numrxqueues 2 type veth peer name lan0 netns "$CE" numtxqueues 2 numrxqueues 2
ip link add wan0 netns "$CE" numtxqueues 2 numrxqueues 2 type veth peer name toce netns "$BR" numtxqueues 2 numrxqueues 2
ip link add b4 netns "$BR" type veth peer name i0 netns "$INET"
nsx "$LAN" ip link set eth0 up; nsx "$CE" ip link set lan0 up; nsx "$CE" ip link set wan0 up
nsx "$BR" ip link set toce up; nsx "$BR" ip link set b4 up; nsx "$INET" ip link set i0 up
# the CE's kernel has no address and forwards nothing: s46-ce is the router
nsx "$CE" sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0
for i in 2 3 4 5 6 7 8 9; do nsx "$LAN" ip addr add 192.168.1.$i/24 dev eth0; done
nsx "$LAN" ip route add default via 192.168.1.1
nsx "$BR" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
nsx "$BR" ip -6 addr add 2001:db8:f0::1/64 dev toce nodad
nsx "$BR" ip -6 route add 2001:db8:12:3400::/56 dev toce
nsx "$BR" ip addr add 198.51.100.1/24 dev b4
nsx "$INET" ip addr add 198.51.100.80/24 dev i0
nsx "$INET" ip route add 192.0.2.0/24 via 198.51.100.1
if [ "$kind" = xdp ]; then # AF_XDP sees no partial checksums: full ones from the senders
    nsx "$LAN" ethtool -K eth0 tx off >/dev/null
    nsx "$BR" ethtool -K toce tx off >/dev/null
fi
cat >"$tmp/br.json" <<'J'
{"version": 1, "br": "2001:db8:ffff::1", "br_ipv4": "198.51.100.1",
 "rules": [{"ipv6": "2001:db8::/40", "ipv4": "192.0.2.0/24", "ea_length": 16, "psid_offset": 6}]}
J
cat >"$tmp/ce.json" <<'J'
{"prefix": "2001:db8:12:3400::/56", "lan_ipv4": "192.168.1.1",
 "map_e": {"version": 1, "br": "2001:db8:ffff::1",
  "rules": [{"ipv6": "2001:db8::/40", "ipv4": "192.0.2.0/24", "ea_length": 16, "psid_offset": 6}]}}
J
ip netns exec "$BR" "$BIN/s46-br" --config "$tmp/br.json" --tun s46br0 --workers 1 --ctl "$tmp/br.sock" 2>"$tmp/br.log" &
for _ in $(seq 300); do [ -S "$tmp/br.sock" ] && break; sleep 0.1; done
nsx "$BR" ip -6 route add 2001:db8:ffff::1/128 dev s46br0
nsx "$BR" ip route add 192.0.2.0/24 dev s46br0
ip netns exec "$CE" "$BIN/s46-ce" --config "$tmp/ce.json" --lan-if lan0 --wan-if wan0 --io "$kind" \
    --workers 2 --wan-peer-mac "$(mac "$BR" toce)" --ctl "$tmp/ce.sock" 2>"$tmp/ce.log" &
cepid=$!
wait_for 5 test -S "$tmp/ce.sock"
wait_for 5 grep -q "running on lan0 and wan0" "$tmp/ce.log"
# servers on the IPv4 side: UDP echo, HTTP, iperf3
nsx "$INET" $PY -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("198.51.100.80", 7000))
while True:
    d, a = s.recvfrom(2048); s.sendto(d, a)' >/dev/null 2>&1 &
nsx "$INET" $PY -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("198.51.100.80", 7001))
while True:
    d, a = s.recvfrom(2048); s.sendto(("%s:%d" % a).encode(), a)' >/dev/null 2>&1 &
head -c 3000000 /dev/urandom >"$tmp/blob"
(cd "$tmp" && nsx "$INET" $PY -m http.server -b 198.51.100.80 8080 >/dev/null 2>&1 &)
nsx "$INET" iperf3 -s -B 198.51.100.80 >/dev/null 2>&1 &
# until the servers listen (UDP 7000, 7001; TCP 8080, 5201)
servers_up() {
    [ "$(nsx "$INET" ss -Hlun '( sport = :7000 or sport = :7001 )' | wc -l)" -ge 2 ] &&
        [ "$(nsx "$INET" ss -Hltn '( sport = :8080 or sport = :5201 )' | wc -l)" -ge 2 ]
}
wait_for 10 servers_up

if grep -q "running on lan0 and wan0 ($kind, 2 workers)" "$tmp/ce.log"; then
    pass ce_eth_${kind}_started
else
    fail ce_eth_${kind}_started "$(tail -3 "$tmp/ce.log")"
fi
if nsx "$LAN" ping -c 2 -W 2 -I 192.168.1.2 198.51.100.80 >/dev/null 2>&1; then
    pass ce_eth_${kind}_ping_through
else
    fail ce_eth_${kind}_ping_through "no reply; ce: $(tail -2 "$tmp/ce.log"); $(diag)"
fi
# the CE itself: pings to its LAN address answered, and it is traceroute's
# first hop (the router hop's Time Exceeded from that address)
if nsx "$LAN" ping -c 2 -W 2 -I 192.168.1.2 192.168.1.1 >/dev/null 2>&1; then
    pass ce_eth_${kind}_ping_ce
else
    fail ce_eth_${kind}_ping_ce "no reply from 192.168.1.1; $(diag)"
fi
hop1=$(nsx "$LAN" traceroute -n -q 1 -w 2 -m 1 -s 192.168.1.2 198.51.100.80 2>/dev/null | awk '$1 == 1 {print $2}')
[ "$hop1" = 192.168.1.1 ] && pass ce_eth_${kind}_traceroute_hop1 ||
    fail ce_eth_${kind}_traceroute_hop1 "hop 1 is '$hop1', not 192.168.1.1; $(diag)"
lanmac=$(nsx "$LAN" ip neigh show 192.168.1.1 | awk '{print $5}')
[ "$lanmac" = "$(mac "$CE" lan0)" ] && pass ce_eth_${kind}_arp_answered ||
    fail ce_eth_${kind}_arp_answered "LAN sees 192.168.1.1 at '$lanmac', lan0 is $(mac "$CE" lan0)"
wanmac=$(nsx "$BR" ip -6 neigh show $MAPADDR | awk '{print $5}')
[ "$wanmac" = "$(mac "$CE" wan0)" ] && pass ce_eth_${kind}_ndp_answered ||
    fail ce_eth_${kind}_ndp_answered "BR sees the MAP address at '$wanmac', wan0 is $(mac "$CE" wan0)"
if nsx "$LAN" curl -s --max-time 10 -o "$tmp/got" http://198.51.100.80:8080/blob && cmp -s "$tmp/got" "$tmp/blob"; then
    pass ce_eth_${kind}_tcp_download
else
    fail ce_eth_${kind}_tcp_download "download differs or failed ($(stat -c %s "$tmp/got" 2>/dev/null) bytes)"
fi
# many flows from many hosts: both workers make mappings; replies find them
got=$(nsx "$LAN" $PY - <<'PY'
import select, socket, time
socks = []
for h in range(2, 10):
    for i in range(12):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.setblocking(False)
        s.bind(("192.168.1.%d" % h, 0)); s.sendto(b"x%d" % i, ("198.51.100.80", 7000)); socks.append(s)
got, left, end = 0, set(socks), time.time() + 4
while left and time.time() < end:
    r, _, _ = select.select(list(left), [], [], max(0, end - time.time()))
    for s in r:
        s.recvfrom(64); got += 1; left.discard(s)
print(got)
PY
)
per=$(show_field '" ".join(str(w["counters"].get("napt_mappings_created", 0)) for w in j["per_worker"])')
red=$(show_field 'j["redirected"]')
sum=$(show_field 'j["counters"]["napt_mappings_created"]')
read -r m0 m1 <<<"$per"
# AF_PACKET's fanout program spreads packets as the CE steers them (LAN by
# source address, WAN by the NAPT port's share): nothing to hand over. With
# AF_XDP the NIC's queues decide, and replies on the other queue are handed
# to the owner.
if [ "$kind" = afpacket ]; then red_ok=$([ "${red:-99}" -le 2 ] && echo 1); else red_ok=$([ "${red:-0}" -gt 0 ] && echo 1); fi
if [ "$got" = 96 ] && [ "${m0:-0}" -gt 0 ] && [ "${m1:-0}" -gt 0 ] && [ -n "$red_ok" ] &&
   [ "$sum" = $((m0 + m1)) ]; then
    pass ce_eth_${kind}_two_workers_napt
else
    fail ce_eth_${kind}_two_workers_napt "replies $got/96, mappings per worker '$per' (sum $sum), redirected $red; $(diag)"
fi
# hairpinning across workers: each LAN host learns its external port from a
# server that answers with the address it saw, then sends to every other
# host's external address and port; the CE sends it back to that host (the
# mapping lives in the worker that made it: the packet is handed there)
hp=$(nsx "$LAN" $PY - <<'PY'
import select, socket, time
hosts = ["192.168.1.%d" % h for h in range(2, 10)]
socks, ext = {}, {}
for h in hosts:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.setblocking(False)
    s.bind((h, 0)); s.sendto(b"who", ("198.51.100.80", 7001)); socks[h] = s
end = time.time() + 4
while len(ext) < len(hosts) and time.time() < end:
    r, _, _ = select.select(list(socks.values()), [], [], 0.2)
    for s in r:
        d, _ = s.recvfrom(64); a, p = d.decode().split(":"); ext[s.getsockname()[0]] = (a, int(p))
want = {(a, b) for a in ext for b in ext if a != b}
# the first round opens each mapping's filter toward the CE's own address
# (address-dependent filtering: a hole punch), the second must all arrive
for a, b in want:
    socks[a].sendto(b"punch", ext[b])
time.sleep(0.5)
for s in socks.values():
    try:
        while s.recvfrom(64): pass
    except BlockingIOError:
        pass
for a, b in want:
    socks[a].sendto(("%s>%s" % (a, b)).encode(), ext[b])
got, end = set(), time.time() + 4
while len(got) < len(want) and time.time() < end:
    r, _, _ = select.select(list(socks.values()), [], [], 0.2)
    for s in r:
        d, src = s.recvfrom(64)
        if b">" not in d:
            continue
        a, b = d.decode().split(">")
        if b == s.getsockname()[0] and src == ext[a]:
            got.add((a, b))
print(len(ext), len(got), len(want))
PY
)
read -r hn hg hw <<<"$hp"
if [ "${hn:-0}" = 8 ] && [ "${hg:-0}" = 56 ] && [ "${hw:-0}" = 56 ]; then
    pass ce_eth_${kind}_hairpin_across_workers
else
    fail ce_eth_${kind}_hairpin_across_workers "hosts with a mapping / hairpinned / sent: '$hp'; $(diag)"
fi
# zero loss under capacity: 3 s of UDP at 20 Mbit/s (about 5000 packets/s).
# A second try when the first loses: on a loaded machine (other tests, the
# CI's neighbours) the sender can be descheduled and burst past a socket
# buffer outside s46; a loss of s46's own (the old AF_PACKET port lost a
# third at every rate) fails both.
tries=
for try in 1 2; do
    before=$(show_field 'j["interfaces"]["v4"]["rx_dropped"] + j["interfaces"]["v6"]["rx_dropped"]')
    nsx "$LAN" iperf3 -c 198.51.100.80 -B 192.168.1.2 -u -b 20M -l 500 -t 3 -J >"$tmp/iperf.json" 2>&1
    lost=$($PY -c "import json; s=json.load(open('$tmp/iperf.json'))['end']['sum']; print(s['lost_packets'], s['packets'])" 2>/dev/null)
    after=$(show_field 'j["interfaces"]["v4"]["rx_dropped"] + j["interfaces"]["v6"]["rx_dropped"]')
    read -r l n <<<"$lost"
    tries="$tries try $try: iperf3 lost/packets '$lost', port drops $before -> $after;"
    ok=
    [ "${l:-x}" = 0 ] && [ "${n:-0}" -gt 10000 ] && [ "$before" = "$after" ] && ok=1
    [ -n "$ok" ] && break
done
if [ -n "$ok" ]; then
    pass ce_eth_${kind}_zero_loss_under_capacity
else
    fail ce_eth_${kind}_zero_loss_under_capacity "$tries"
    [ -n "${S46_DEBUG:-}" ] && { "$BIN/s46" show --ctl "$tmp/ce.sock"; "$BIN/s46" show --ctl "$tmp/br.sock"; for ns in $LAN $CE $BR $INET; do nsx $ns ip -s link; done; }
fi
pid=$cepid
kill -TERM "$pid" 2>/dev/null
for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if ! kill -0 "$pid" 2>/dev/null && grep -q stopped "$tmp/ce.log"; then
    pass ce_eth_${kind}_clean_stop
else
    fail ce_eth_${kind}_clean_stop "$(tail -2 "$tmp/ce.log"; for t in /proc/$pid/task/*; do echo "$t $(cat $t/wchan 2>/dev/null) $(cut -d' ' -f3 $t/stat 2>/dev/null)"; done)"
fi
cleanup
}

for k in ${S46_CE_ETH_KINDS:-afpacket xdp}; do run_kind "$k"; done
