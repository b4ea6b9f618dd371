#!/usr/bin/env bash
# The CE's DNS proxy in the 15-port world: the lab (fixed MAP-E, TUN) with a
# rule that leaves the CE 15 ports (192.0.2.0/28, EA-bits 16, PSID offset 4),
# the ISP's unbound on 2001:db8:f0f0::53, the CE's dns_proxy on
# 192.168.1.1. With all 15 ports held by TCP connections of a LAN host (a
# 16th cannot get out), the LAN host still resolves names through the CE
# over UDP and TCP (kdig, and getent through the LAN's resolv.conf), the
# NAPT still holds 15 mappings (DNS spent no port), and the counters say
# what was relayed. Then bad input: malformed UDP, a flood of it, a huge TCP
# length prefix, more TCP clients than allowed; counted, and the proxy still
# answers. s46-test-timeout: 150
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
. tests/integration/lib/wait.sh
BIN=${S46_BIN:-$ROOT/build/bin}
PY=/usr/bin/python3
export S46_LAB_PREFIX=s46d$$ S46_LAB_RUN=$(mktemp -d)/run
export S46_LAB_CE_MODE=fixed S46_LAB_RULE=2001:db8::/40,192.0.2.0/28,16,4
P=$S46_LAB_PREFIX
LAN=$P-lan INET=$P-inet CE=$P-ce
RUN=$S46_LAB_RUN
holder=
cleanup() {
    [ -n "$holder" ] && kill "$holder" 2>/dev/null
    bash lab/lab.sh down >/dev/null 2>&1
    rm -rf "$(dirname "$RUN")"
}
trap cleanup EXIT
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
show() { "$BIN/s46" show --ctl "$RUN/$1.sock" --json; }
dnsc() { # counter of the CE's DNS proxy
    show ce1 | $PY -c "import json,sys; print(json.load(sys.stdin)['dns_proxy']['counters']['$1'])"
}

bash lab/lab.sh up >"$RUN.up.log" 2>&1 || { fail ce_dns_lab_up "$(tail -5 "$RUN.up.log")"; exit 1; }
grep -q "DNS proxy on \[\"192.168.1.1:53\"\]" "$RUN/ce1.log" &&
    pass ce_dns_proxy_started || fail ce_dns_proxy_started "$(grep -i dns "$RUN/ce1.log")"

# a TCP server on the IPv4 Internet that keeps connections open
nsx "$INET" $PY -c '
import socket, threading, time
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("198.51.100.80", 7100)); srv.listen(64)
held = []
while True:
    c, _ = srv.accept(); held.append(c)' >/dev/null 2>&1 &
wait_for 10 eval 'nsx "$INET" ss -Hltn "sport = :7100" | grep -q .'

# the LAN host takes every port: connections until one fails (15 expected)
nsx "$LAN" $PY -c '
import socket, sys, time
held, refused = [], 0
for i in range(17):
    s = socket.socket(); s.settimeout(1.5)
    try:
        s.connect(("198.51.100.80", 7100)); held.append(s)
    except OSError:
        refused += 1
print(len(held), refused, flush=True)
open(sys.argv[1], "w").write("%d %d\n" % (len(held), refused))
time.sleep(120)' "$RUN/held" >/dev/null 2>&1 &
holder=$!
wait_for 30 test -s "$RUN/held"
read -r held refused <"$RUN/held"
mappings() { show ce1 | $PY -c 'import json,sys; print(json.load(sys.stdin)["napt"]["mappings"])'; }
m_before=$(mappings)
if [ "$held" = 15 ] && [ "$refused" -ge 1 ] && [ "$m_before" = 15 ]; then
    pass ce_dns_15_ports_held
else
    fail ce_dns_15_ports_held "held $held, refused $refused, mappings $m_before"
fi

# with no port left, names still resolve through the CE: UDP and TCP
a=$(nsx "$LAN" kdig +short +timeout=3 +retry=0 @192.168.1.1 A www.inet.example)
t=$(nsx "$LAN" kdig +short +tcp +timeout=3 +retry=0 @192.168.1.1 A www.inet.example)
g=$(nsx "$LAN" getent ahostsv4 www.inet.example | awk 'NR == 1 { print $1 }')
[ "$a" = 198.51.100.80 ] && pass ce_dns_udp_with_ports_exhausted ||
    fail ce_dns_udp_with_ports_exhausted "got '$a'"
[ "$t" = 198.51.100.80 ] && pass ce_dns_tcp_with_ports_exhausted ||
    fail ce_dns_tcp_with_ports_exhausted "got '$t'"
[ "$g" = 198.51.100.80 ] && pass ce_dns_lan_resolv_conf || fail ce_dns_lan_resolv_conf "got '$g'"
# a name that does not exist: NXDOMAIN relayed as it is
nx=$(nsx "$LAN" kdig +timeout=3 +retry=0 @192.168.1.1 A nothing.inet.example | grep -o 'status: [A-Z]*')
[ "$nx" = "status: NXDOMAIN" ] && pass ce_dns_nxdomain_relayed || fail ce_dns_nxdomain_relayed "got '$nx'"
m_after=$(mappings)
qu=$(dnsc queries_udp) qt=$(dnsc queries_tcp) au=$(dnsc answers_udp) at=$(dnsc answers_tcp)
if [ "$m_after" = "$m_before" ] && [ "$qu" -ge 3 ] && [ "$qt" -ge 1 ] && [ "$au" -ge 3 ] && [ "$at" -ge 1 ]; then
    pass ce_dns_no_port_spent
else
    fail ce_dns_no_port_spent "mappings $m_before -> $m_after, udp $qu/$au tcp $qt/$at"
fi
kill "$holder" 2>/dev/null; holder=

# bad input: malformed datagrams, a flood of them, a huge TCP length,
# a malformed TCP query, more TCP clients than allowed
nsx "$LAN" $PY - <<'PY' >"$RUN/bad.out" 2>&1
import os, socket, struct, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for m in (b"", b"x", b"\x00" * 11, b"\x12\x34\x81\x80" + b"\x00" * 8, os.urandom(3000)):
    u.sendto(m, ("192.168.1.1", 53))
for _ in range(3000):
    u.sendto(os.urandom(40), ("192.168.1.1", 53))
t = socket.create_connection(("192.168.1.1", 53), timeout=3)
t.sendall(b"\xff\xff" + b"A" * 100)
print("huge_closed", t.recv(10) == b"")
t = socket.create_connection(("192.168.1.1", 53), timeout=3)
t.sendall(struct.pack("!H", 20) + b"\x00" * 20)
print("malformed_closed", t.recv(10) == b"")
conns = []
for i in range(40):
    c = socket.create_connection(("192.168.1.1", 53), timeout=3); conns.append(c)
time.sleep(0.3)
closed = 0
for c in conns:
    c.settimeout(0.05)
    try:
        if c.recv(10) == b"": closed += 1
    except OSError:
        pass
print("refused_clients", closed)
PY
sleep 0.3
a=$(nsx "$LAN" kdig +short +timeout=3 +retry=0 @192.168.1.1 A www.inet.example)
t=$(nsx "$LAN" kdig +short +tcp +timeout=3 +retry=0 @192.168.1.1 A www.inet.example)
mal=$(dnsc drop_query_malformed) len=$(dnsc drop_tcp_length) cli=$(dnsc drop_tcp_clients)
if grep -q "huge_closed True" "$RUN/bad.out" && grep -q "malformed_closed True" "$RUN/bad.out" &&
    [ "$mal" -ge 100 ] && [ "$len" -ge 2 ] && [ "$cli" -ge 1 ] &&
    [ "$a" = 198.51.100.80 ] && [ "$t" = 198.51.100.80 ] && kill -0 "$(cat "$RUN/ce1.pid")"; then
    pass ce_dns_bad_input_counted
else
    fail ce_dns_bad_input_counted "$(tr '\n' ' ' <"$RUN/bad.out") malformed $mal, tcp_length $len, tcp_clients $cli, after: '$a' '$t'"
fi

# the text form of s46 show lists the proxy's counters
"$BIN/s46" show --ctl "$RUN/ce1.sock" | grep -q '^dns_proxy.counters.answers_udp ' &&
    pass ce_dns_show_text || fail ce_dns_show_text "no dns_proxy.counters in s46 show"
