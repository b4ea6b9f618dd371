#!/usr/bin/env bash
# The MAP-E CE end to end, in the lab's namespaces with the real s46-ce and
# s46-br: UDP and TCP both ways, unsolicited inbound, flows over all port
# ranges, path MTU and MSS clamping, spoofed and malformed packets, CE to CE
# in hub and spoke and in mesh, hairpinning, both IID layouts (and a
# mismatch that must fail visibly), NAT behaviour seen by a real STUN
# client, and port exhaustion in the 15-port world.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
. tests/integration/lib/wait.sh
BIN=${S46_BIN:-$ROOT/build/bin}
PY=/usr/bin/python3
export S46_LAB_PREFIX=s46t$$ S46_LAB_RUN=$(mktemp -d)/run
# these tests edit the CE files by hand: the CEs run in fixed mode (the
# HB46PP client has tests of its own, ce_hb46pp.sh)
export S46_LAB_CE_MODE=fixed S46_LAB_CE2=map_e  # both CEs MAP-E (CE to CE, mesh)
P=$S46_LAB_PREFIX
LAN=$P-lan LAN2=$P-lan2 INET=$P-inet ISP=$P-isp
RUN=$S46_LAB_RUN
trap 'bash lab/lab.sh down >/dev/null 2>&1; rm -rf "$(dirname "$RUN")"' EXIT
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
lab_up() { # env settings are passed by the caller
    bash lab/lab.sh up >"$RUN.up.log" 2>&1 || { echo "lab up failed: $(tail -5 "$RUN.up.log")"; return 1; }
    # a UDP echo server on the IPv4 Internet, and STUN
    nsx "$INET" $PY -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.51.100.80", 7000))
while True:
    d, a = s.recvfrom(2048)
    s.sendto(d, a)' >/dev/null 2>&1 &
    nsx "$INET" stund -h 198.51.100.80 -a 198.51.100.81 >/dev/null 2>&1 &
    # the servers answer before the tests begin (python starts slowly on a busy machine)
    wait_for 10 eval 'ip netns exec "$INET" ss -Hlun "sport = :7000" | grep -q .'
}
lab_down() { bash lab/lab.sh down >/dev/null 2>&1; }
show() { "$BIN/s46" show --ctl "$RUN/$1.sock" --json; }
counter() { show "$1" | $PY -c "import json,sys; print(json.load(sys.stdin)['counters']['$2'])"; }

# ---------------------------------------------------------------- default lab
lab_up || { fail ce_lab_up "lab did not come up"; exit 1; }

out=$(nsx "$LAN" $PY - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
for _ in range(3):  # the first may meet a neighbour cache still resolving
    s.sendto(b"hello", ("198.51.100.80", 7000))
    try:
        print(s.recvfrom(100)[0].decode())
        break
    except OSError:
        pass
PY
)
[ "$out" = hello ] && pass ce_udp_out_and_reply || fail ce_udp_out_and_reply "got '$out'"

# an ICMP error from the Internet (port unreachable) reaches the LAN host
# with its quoted packet translated back: a connected UDP socket sees it
out=$(nsx "$LAN" $PY - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
s.connect(("198.51.100.80", 9))
s.send(b"anyone?")
try:
    s.recv(10); print("answer")
except ConnectionRefusedError:
    print("refused")
except OSError as e:
    print("error", e)
PY
)
[ "$out" = refused ] && pass ce_icmp_error_translated_to_lan || fail ce_icmp_error_translated_to_lan "got '$out'"

# and a LAN host's own ICMP error about an inbound packet goes out translated
d0=$(counter ce1 drop_lan_icmp_no_mapping)
p=$(nsx "$LAN" $PY -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("192.168.1.2", 42000)); s.settimeout(2)
s.sendto(b"x", ("198.51.100.80", 7000)); s.recvfrom(10)' 2>/dev/null; show ce1 | $PY -c 'import json,sys; print([m["external_port"] for m in json.load(sys.stdin)["mappings"] if m["internal_port"]==42000][0])')
nsx "$INET" $PY - "$p" >"$RUN/icmp.out" 2>&1 <<'PY' &
import sys
from scapy.all import sniff, ICMP, IPerror, UDPerror, conf
conf.verb = 0
pk = sniff(iface="eth0", timeout=4, count=1, lfilter=lambda x: x.haslayer(ICMP) and x[ICMP].type == 3 and x.haslayer(UDPerror),
           started_callback=lambda: print("sniffing", file=sys.stderr, flush=True))
if pk:
    q = pk[0]
    print(q[ICMP].code, q[IPerror].src, q[UDPerror].sport, q[UDPerror].dport)
PY
sniffer=$!
# send only once the sniffer listens (importing scapy is slow on a busy machine)
wait_for 10 grep -qs sniffing "$RUN/icmp.out"
nsx "$INET" $PY -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("198.51.100.80", 7001))
s.sendto(b"late", ("192.0.2.18", int(sys.argv[1])))' "$p"
wait "$sniffer"
got=$(grep -v sniffing "$RUN/icmp.out")
if [ "$got" = "3 198.51.100.80 7001 $p" ] && [ "$(counter ce1 drop_lan_icmp_no_mapping)" = "$d0" ]; then
    pass ce_lan_icmp_error_translated_out
else
    fail ce_lan_icmp_error_translated_out "inet saw '$got' (want '3 198.51.100.80 7001 $p')"
fi

before=$(counter ce1 drop_napt_no_mapping)
# three ports of the set that no UDP mapping holds (the NAPT takes ports in
# a random order)
free=$(show ce1 | $PY -c '
import json,sys
j = json.load(sys.stdin)
used = {m["external_port"] for m in j["mappings"] if m["proto"] == "udp"}
free = [p for a, b in j["ports"] for p in range(a, b + 1) if p not in used][:3]
print(" ".join(map(str, free)))')
nsx "$INET" $PY -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for port in sys.argv[1:]:
    s.sendto(b"unsolicited", ("192.0.2.18", int(port)))' $free
wait_for 5 eval '[ $(($(counter ce1 drop_napt_no_mapping) - before)) -ge 3 ]'
after=$(counter ce1 drop_napt_no_mapping)
[ $((after - before)) -eq 3 ] && pass ce_unsolicited_inbound_dropped || fail ce_unsolicited_inbound_dropped "counter $before -> $after"

# TCP inbound only where a mapping allows: a LAN server is unreachable from outside
nsx "$LAN" $PY -c 'import socket,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", 8080)); s.listen(); time.sleep(2)' >/dev/null 2>&1 &
wait_for 5 eval 'nsx "$LAN" ss -Hltn "sport = :8080" | grep -q .'
if nsx "$INET" curl -s --max-time 1 http://192.0.2.18:1232/ >/dev/null; then
    fail ce_tcp_inbound_refused "an unsolicited TCP connection got through"
else
    pass ce_tcp_inbound_refused
fi

n=$(nsx "$LAN" $PY - <<'PY'
import socket
socks = []
for i in range(120):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
    s.sendto(b"x", ("198.51.100.80", 7000)); socks.append(s)
got = 0
for s in socks:
    try:
        s.recvfrom(10); got += 1
    except OSError:
        pass
print(got)
PY
)
ranges=$(show ce1 | $PY -c '
import json,sys
j = json.load(sys.stdin)
ports = [m["external_port"] for m in j["mappings"] if m["proto"] == "udp"]
ok = all(any(a <= p <= b for a, b in j["ports"]) for p in ports)
print(len({p >> 10 for p in ports}) if ok else -1)')
if [ "$n" = 120 ] && [ "$ranges" -ge 40 ]; then
    pass ce_many_flows_use_all_ranges
else
    fail ce_many_flows_use_all_ranges "$n of 120 replies, external ports in $ranges of 63 ranges"
fi

out=$(nsx "$LAN" ping -M do -s 1472 -c 1 -W 2 198.51.100.80 2>&1)
grep -q 'mtu = 1460' <<<"$out" && pass ce_pmtu_frag_needed || fail ce_pmtu_frag_needed "$(tail -3 <<<"$out")"
out=$(nsx "$LAN" ping -M do -s 1432 -c 1 -W 2 198.51.100.80 2>&1)
grep -q '1 received' <<<"$out" && pass ce_pmtu_largest_fits || fail ce_pmtu_largest_fits "$(tail -2 <<<"$out")"

head -c 3000000 /dev/urandom >"$RUN/www/big.bin"
want=$(sha256sum <"$RUN/www/big.bin")
got=$(nsx "$LAN" curl -s --max-time 20 http://198.51.100.80/big.bin | sha256sum)
clamped=$(counter ce1 mss_clamped)
if [ "$got" = "$want" ] && [ "$clamped" -gt 0 ]; then
    pass ce_large_download_mss_clamped
else
    fail ce_large_download_mss_clamped "sha match: $([ "$got" = "$want" ] && echo yes || echo no), mss_clamped $clamped"
fi

MAP1=2001:db8:12:3400:0:c000:212:34
show ce1 >"$RUN/before.json"
nsx "$ISP" $PY - "$MAP1" <<'PY' 2>/dev/null
import sys
from scapy.all import IPv6, IP, UDP, Raw, send, conf
conf.verb = 0
m = sys.argv[1]; br = "2001:db8:ffff::1"
send(IPv6(src="2001:db8:f001::99", dst=m)/IP(src="198.51.100.80", dst="192.0.2.18")/UDP(sport=7000, dport=1232))
send(IPv6(src=br, dst=m)/IP(src="198.51.100.80", dst="192.0.2.18")/UDP(sport=7000, dport=80))
send(IPv6(src=br, dst=m)/IP(src="198.51.100.80", dst="192.0.2.99")/UDP(sport=7000, dport=1232))
send(IPv6(src=br, dst=m, nh=4)/Raw(b"\x45\x00\x00\x10garbage"))
send(IPv6(src=br, dst=m)/UDP(sport=1, dport=2))
PY
# each of the five is counted once: wait (5 s at most) until they are
spoof_counted() {
    show ce1 >"$RUN/after.json"
    res=$($PY - "$RUN/before.json" "$RUN/after.json" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))["counters"]; a = json.load(open(sys.argv[2]))["counters"]
want = ["drop_wan_src_unknown", "drop_inner_port_not_mine", "drop_inner_not_my_ipv4",
        "drop_inner_malformed", "drop_wan_not_ipip"]
print(" ".join("%s:%d" % (k, a[k] - b[k]) for k in want if a[k] - b[k] != 1) or "ok")
PY
)
    [ "$res" = ok ]
}
wait_for 5 spoof_counted
[ "$res" = ok ] && pass ce_spoofed_and_malformed_counted || fail ce_spoofed_and_malformed_counted "$res"

# CE to CE through the BR (hub and spoke): both sides punch a hole (ADF)
ce_to_ce() { # name, expect counter on ce1 (to_br / to_fmr)
    local name=$1 via=$2
    local p1 p2
    nsx "$LAN" $PY -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 40001)); s.settimeout(3)
s.sendto(b"x", ("198.51.100.80", 7000)); s.recvfrom(10)' 2>/dev/null
    nsx "$LAN2" $PY -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 40002)); s.settimeout(3)
s.sendto(b"x", ("198.51.100.80", 7000)); s.recvfrom(10)' 2>/dev/null
    p1=$(show ce1 | $PY -c 'import json,sys; print([m["external_port"] for m in json.load(sys.stdin)["mappings"] if m["internal_port"]==40001][0])')
    p2=$(show ce2 | $PY -c 'import json,sys; print([m["external_port"] for m in json.load(sys.stdin)["mappings"] if m["internal_port"]==40002][0])')
    local c0 h0
    c0=$(counter ce1 "$via"); h0=$(counter br hairpinned)
    # LAN2 listens; LAN1 sends to 192.0.2.18:p2 (opens CE1's side), LAN2
    # answers to 192.0.2.18:p1, LAN1 sends again and must be heard.
    nsx "$LAN2" $PY - "$p1" >"$RUN/l2.out" 2>&1 <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 40002)); s.settimeout(4)
s.sendto(b"punch", ("192.0.2.18", int(sys.argv[1])))
d, a = s.recvfrom(100)
print(d.decode(), a[0])
PY
    local lan2_pid=$!
    wait_for 5 eval 'nsx "$LAN2" ss -Hlun "sport = :40002" | grep -q .'
    local got
    got=$(nsx "$LAN" $PY - "$p2" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 40001)); s.settimeout(1)
for i in range(4):
    s.sendto(b"hi-from-ce1", ("192.0.2.18", int(sys.argv[1])))
    try:
        d, a = s.recvfrom(100); print(d.decode(), a[0]); break
    except OSError:
        pass
PY
)
    wait "$lan2_pid"
    local c1 h1
    c1=$(counter ce1 "$via"); h1=$(counter br hairpinned)
    if grep -q 'hi-from-ce1 192.0.2.18' "$RUN/l2.out" && [ "$c1" -gt "$c0" ] &&
       { [ "$via" = to_fmr ] || [ "$h1" -gt "$h0" ]; }; then
        pass "$name"
    else
        fail "$name" "ports $p1/$p2, LAN2 got '$(cat "$RUN/l2.out")', LAN1 got '$got', $via $c0->$c1, br hairpinned $h0->$h1"
    fi
}
ce_to_ce ce_to_ce_hub_and_spoke to_br

out=$(nsx "$LAN" timeout 10 stun 198.51.100.80 -v 2>&1 | grep '^Primary')
grep -q 'Independent Mapping, Address Dependent Filter' <<<"$out" && pass ce_stun_eim_adf || fail ce_stun_eim_adf "$out"

# the CE's own traffic is NATed into its port set too
i0=$(counter ce1 napt_mappings_created)
nsx "$P-ce" ping -c 1 -W 2 198.51.100.80 >/dev/null && [ "$(counter ce1 napt_mappings_created)" -gt "$i0" ] &&
    pass ce_own_traffic_natted || fail ce_own_traffic_natted "no reply or no mapping"

# SIGHUP applies a changed file without a restart; mappings survive when the
# address and port set stay
m0=$(show ce1 | $PY -c 'import json,sys; print(json.load(sys.stdin)["napt"]["mappings"])')
sed -i 's/"filter": "adf"/"filter": "eif"/' "$RUN/ce1.json"
kill -HUP "$(cat "$RUN/ce1.pid")"
wait_for 5 grep -q 'configuration reloaded' "$RUN/ce1.log"
res=$(show ce1 | $PY -c 'import json,sys; j=json.load(sys.stdin); print(j["napt"]["filtering"], j["napt"]["mappings"])')
if grep -q 'configuration reloaded' "$RUN/ce1.log" && [ "$res" = "endpoint-independent $m0" ]; then
    pass ce_sighup_reload
else
    fail ce_sighup_reload "after reload: '$res' (mappings before $m0); log: $(tail -2 "$RUN/ce1.log")"
fi
lab_down

# ---------------------------------------------------------------- mesh, EIF
export S46_LAB_MESH=true S46_LAB_FILTER=eif
lab_up || { fail ce_lab_up_mesh "lab did not come up"; exit 1; }
ce_to_ce ce_to_ce_mesh to_fmr
out=$(nsx "$LAN" timeout 10 stun 198.51.100.80 -v 2>&1 | grep '^Primary')
grep -q 'Independent Mapping, Independent Filter' <<<"$out" && pass ce_stun_eim_eif || fail ce_stun_eim_eif "$out"
# hairpinning on one CE (RFC 4787 REQ-9): LAN host 192.168.1.3 reaches LAN
# host 192.168.1.2 through the CE's public address and port
h0=$(counter ce1 hairpinned)
nsx "$LAN" $PY -c '
import socket
a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); a.bind(("192.168.1.2", 41000)); a.settimeout(2)
a.sendto(b"x", ("198.51.100.80", 7000)); a.recvfrom(10)' 2>/dev/null
p=$(show ce1 | $PY -c 'import json,sys; print([m["external_port"] for m in json.load(sys.stdin)["mappings"] if m["internal_port"]==41000][0])')
out=$(nsx "$LAN" $PY - "$p" <<'PY'
import socket, sys
a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); a.bind(("192.168.1.2", 41000)); a.settimeout(2)
b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); b.bind(("192.168.1.3", 41001)); b.settimeout(2)
b.sendto(b"hairpin", ("192.0.2.18", int(sys.argv[1])))
d, src = a.recvfrom(100)
print(d.decode(), src[0])
PY
)
h1=$(counter ce1 hairpinned)
[ "$out" = "hairpin 192.0.2.18" ] && [ "$h1" -gt "$h0" ] && pass ce_hairpin_two_lan_hosts || fail ce_hairpin_two_lan_hosts "got '$out', hairpinned $h0->$h1"
lab_down
unset S46_LAB_MESH S46_LAB_FILTER

# ---------------------------------------------------------------- IID layouts
export S46_LAB_VERSION=0
lab_up || { fail ce_lab_up_draft03 "lab did not come up"; exit 1; }
page=$(nsx "$LAN" curl -s --max-time 5 http://198.51.100.80/)
iid=$(show ce1 | $PY -c 'import json,sys; j=json.load(sys.stdin); print(j["iid"], j["ce_ipv6"])')
[ -n "$page" ] && [ "$iid" = "draft03 2001:db8:12:3400:c0:2:1200:3400" ] && pass ce_draft03_layout_works || fail ce_draft03_layout_works "page '$page', $iid"
lab_down
export S46_LAB_BR_VERSION=1
lab_up || { fail ce_lab_up_mismatch "lab did not come up"; exit 1; }
if nsx "$LAN" curl -s --max-time 2 http://198.51.100.80/ >/dev/null; then
    fail ce_layout_mismatch_fails_visibly "traffic passed with different layouts"
else
    wait_for 5 eval 'd=$(counter br drop_v6_src_not_map_address); [ "$d" -gt 0 ]'
    [ "$d" -gt 0 ] && pass ce_layout_mismatch_fails_visibly ||
        fail ce_layout_mismatch_fails_visibly "no BR counter: $(show br | $PY -c 'import json,sys; print({k: v for k, v in json.load(sys.stdin)["counters"].items() if v})')"
fi
lab_down
unset S46_LAB_VERSION S46_LAB_BR_VERSION

# ---------------------------------------------------------------- 15 ports
export S46_LAB_RULE=2001:db8::/40,192.0.2.0/28,16,4
lab_up || { fail ce_lab_up_15 "lab did not come up"; exit 1; }
nsx "$INET" $PY -c '
import socket, threading
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("198.51.100.80", 7100)); srv.listen()
def echo(c):
    while True:
        d = c.recv(100)
        if not d: return
        c.sendall(d)
while True:
    c, _ = srv.accept(); threading.Thread(target=echo, args=(c,), daemon=True).start()' >/dev/null 2>&1 &
wait_for 10 eval 'nsx "$INET" ss -Hltn "sport = :7100" | grep -q .'
out=$(nsx "$LAN" $PY - <<'PY'
import socket
t = socket.create_connection(("198.51.100.80", 7100), timeout=3)   # an established flow
t.sendall(b"a"); assert t.recv(10) == b"a"
socks, ok = [], 0
for i in range(16):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1)
    s.sendto(b"u", ("198.51.100.80", 7000)); socks.append(s)
for s in socks:
    try:
        s.recvfrom(10); ok += 1
    except OSError:
        pass
# the flows that got a port keep working, and so does the TCP connection
again = 0
for s in socks[:15]:
    s.sendto(b"v", ("198.51.100.80", 7000))
    try:
        s.recvfrom(10); again += 1
    except OSError:
        pass
t.sendall(b"b"); tcp = t.recv(10) == b"b"
print(ok, again, tcp)
PY
)
refused=$(counter ce1 drop_napt_no_port)
ports=$(show ce1 | $PY -c 'import json,sys; j=json.load(sys.stdin); print(j["port_count"], j["ipv4"], j["psid"])')
if [ "$out" = "15 15 True" ] && [ "$refused" -ge 1 ] && [ "$ports" = "15 192.0.2.1 564" ]; then
    pass ce_15_port_exhaustion
else
    fail ce_15_port_exhaustion "udp ok/again/tcp: '$out', refused $refused, ports '$ports'"
fi
lab_down
