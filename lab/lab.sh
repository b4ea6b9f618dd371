#!/usr/bin/env bash
# The s46 lab: an IPv6-only access network with MAP-E, in network namespaces.
#
#   s46-lan  --  s46-ce  --\                      /-- s46-br -- s46-inet
#   s46-lan2 --  s46-ce2 ---+-- s46-isp (IPv6) --+      (IPv4 Internet host,
#                                                       web server)
# Usage: lab.sh up | check | down | status
# Namespaces and addresses (documentation prefixes only):
#   LAN      192.168.1.0/24 behind each CE (CE 192.168.1.1, host 192.168.1.2)
#   CE WAN   2001:db8:f001::2/64 (ce), 2001:db8:f002::2/64 (ce2); ISP ::1
#   BR link  2001:db8:f0ff::2/64 (br), ISP ::1; BR address 2001:db8:ffff::1
#   PD       ce 2001:db8:12:3400::/56, ce2 2001:db8:12:d100::/56
#   Rule     2001:db8::/40 -> 192.0.2.0/24, EA 16, offset 6 (RFC 7597 App. A)
#            both CEs share 192.0.2.18 (PSID 0x34 and 0xd1)
#   IPv4 Internet 198.51.100.0/24: BR 198.51.100.1, web server 198.51.100.80
set -u
LAB_PREFIX=${S46_LAB_PREFIX:-s46}
NS_LAN=$LAB_PREFIX-lan NS_CE=$LAB_PREFIX-ce NS_LAN2=$LAB_PREFIX-lan2 NS_CE2=$LAB_PREFIX-ce2
NS_ISP=$LAB_PREFIX-isp NS_BR=$LAB_PREFIX-br NS_INET=$LAB_PREFIX-inet
ALL_NS="$NS_LAN $NS_CE $NS_LAN2 $NS_CE2 $NS_ISP $NS_BR $NS_INET"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN=${S46_BIN:-$ROOT/build/bin}
RUN=${S46_LAB_RUN:-/run/s46-lab/$LAB_PREFIX}

say() { printf '%s\n' "lab: $*"; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

link() { # ns1 if1 ns2 if2
    ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
    nsx "$1" ip link set dev "$2" up
    nsx "$3" ip link set dev "$4" up
}

down() {
    for pidf in "$RUN"/*.pid; do
        [ -f "$pidf" ] || continue
        kill "$(cat "$pidf")" 2>/dev/null
    done
    sleep 0.2
    for pidf in "$RUN"/*.pid; do
        [ -f "$pidf" ] || continue
        kill -9 "$(cat "$pidf")" 2>/dev/null
        rm -f "$pidf"
    done
    for ns in $ALL_NS; do
        if ip netns list | grep -qw "^$ns"; then
            ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
            ip netns del "$ns" 2>/dev/null
        fi
    done
    return 0
}

topology() {
    for ns in $ALL_NS; do
        ip netns add "$ns" || return 1
        nsx "$ns" ip link set lo up
    done
    link "$NS_LAN" eth0 "$NS_CE" lan0
    link "$NS_LAN2" eth0 "$NS_CE2" lan0
    link "$NS_CE" wan0 "$NS_ISP" toce1
    link "$NS_CE2" wan0 "$NS_ISP" toce2
    link "$NS_BR" v6 "$NS_ISP" tobr
    link "$NS_BR" v4 "$NS_INET" eth0

    for ns in $NS_CE $NS_CE2 $NS_ISP $NS_BR; do
        nsx "$ns" sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv4.ip_forward=1
        nsx "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
    done
    for ns in $ALL_NS; do
        nsx "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0 2>/dev/null
        for i in $(nsx "$ns" ls /sys/class/net); do
            nsx "$ns" sysctl -qw "net.ipv6.conf.$i.accept_dad=0" 2>/dev/null
        done
    done
    # LANs (private IPv4 only: the CE's NAPT is the way out)
    for pair in "$NS_LAN:$NS_CE" "$NS_LAN2:$NS_CE2"; do
        local lan=${pair%%:*} ce=${pair##*:}
        nsx "$lan" ip addr add 192.168.1.2/24 dev eth0
        nsx "$lan" ip addr add 192.168.1.3/24 dev eth0  # a second LAN host (hairpin tests)
        nsx "$lan" ip route add default via 192.168.1.1
        nsx "$ce" ip addr add 192.168.1.1/24 dev lan0
    done
    # IPv6-only access network
    nsx "$NS_ISP" ip -6 addr add 2001:db8:f001::1/64 dev toce1 nodad
    nsx "$NS_ISP" ip -6 addr add 2001:db8:f002::1/64 dev toce2 nodad
    nsx "$NS_ISP" ip -6 addr add 2001:db8:f0ff::1/64 dev tobr nodad
    nsx "$NS_CE" ip -6 addr add 2001:db8:f001::2/64 dev wan0 nodad
    nsx "$NS_CE2" ip -6 addr add 2001:db8:f002::2/64 dev wan0 nodad
    nsx "$NS_CE" ip -6 route add default via 2001:db8:f001::1
    nsx "$NS_CE2" ip -6 route add default via 2001:db8:f002::1
    nsx "$NS_BR" ip -6 addr add 2001:db8:f0ff::2/64 dev v6 nodad
    nsx "$NS_BR" ip -6 route add default via 2001:db8:f0ff::1
    # delegated prefixes routed to the CEs, the BR address to the BR
    nsx "$NS_ISP" ip -6 route add 2001:db8:12:3400::/56 via 2001:db8:f001::2
    nsx "$NS_ISP" ip -6 route add 2001:db8:12:d100::/56 via 2001:db8:f002::2
    nsx "$NS_ISP" ip -6 route add 2001:db8:ffff::/64 via 2001:db8:f0ff::2
    # IPv4 Internet
    nsx "$NS_BR" ip addr add 198.51.100.1/24 dev v4
    nsx "$NS_INET" ip addr add 198.51.100.80/24 dev eth0
    nsx "$NS_INET" ip addr add 198.51.100.81/24 dev eth0  # a second address (STUN)
    nsx "$NS_INET" ip route add 192.0.2.0/24 via 198.51.100.1
}

# Knobs for tests: S46_LAB_RULE (IPV6,IPV4,EA,OFFSET), S46_LAB_MESH (true/
# false), S46_LAB_VERSION (HB46PP map_e version: 1 = RFC 7597 IID, 0 =
# draft-03) and S46_LAB_BR_VERSION for the BR alone, S46_LAB_FILTER (adf/eif).
write_configs() {
    mkdir -p "$RUN"
    local rule=${S46_LAB_RULE:-2001:db8::/40,192.0.2.0/24,16,6}
    local r6 r4 ea off
    IFS=, read -r r6 r4 ea off <<<"$rule"
    local rules="[{\"ipv6\": \"$r6\", \"ipv4\": \"$r4\", \"ea_length\": $ea, \"psid_offset\": $off}]"
    local ver=${S46_LAB_VERSION:-1}
    cat >"$RUN/br.json" <<J
{"version": ${S46_LAB_BR_VERSION:-$ver}, "mesh": false, "br": "2001:db8:ffff::1", "br_ipv4": "198.51.100.1",
 "rules": $rules}
J
    for n in 1 2; do
        local pd=2001:db8:12:3400::/56
        [ $n = 2 ] && pd=2001:db8:12:d100::/56
        cat >"$RUN/ce$n.json" <<J
{"prefix": "$pd", "filter": "${S46_LAB_FILTER:-adf}",
 "map_e": {"version": $ver, "mesh": ${S46_LAB_MESH:-false}, "br": "2001:db8:ffff::1",
   "rules": $rules}}
J
    done
}

listening() { ip netns exec "$1" ss -Hltn "sport = :$2" | grep -q LISTEN; }

start_bg() { # name ns cmd...
    local name=$1 ns=$2; shift 2
    ip netns exec "$ns" "$@" >"$RUN/$name.log" 2>&1 &
    echo $! >"$RUN/$name.pid"
}

wait_for() { # what, command...
    local what=$1; shift
    for _ in $(seq 100); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    say "timed out waiting for $what"
    return 1
}

map_addr() { "$BIN/s46" calc --rules "$RUN/ce$1.json" --prefix "$2" --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["ce_ipv6"])'; }

daemons() {
    start_bg br "$NS_BR" "$BIN/s46-br" --config "$RUN/br.json" --tun s46br0 --ctl "$RUN/br.sock"
    wait_for "s46-br" test -S "$RUN/br.sock" || return 1
    nsx "$NS_BR" ip -6 route add 2001:db8:ffff::1/128 dev s46br0
    local r4
    IFS=, read -r _ r4 _ _ <<<"${S46_LAB_RULE:-2001:db8::/40,192.0.2.0/24,16,6}"
    nsx "$NS_BR" ip route add "$r4" dev s46br0
    local n ns pd
    for n in 1 2; do
        ns=$NS_CE; pd=2001:db8:12:3400::/56
        [ $n = 2 ] && { ns=$NS_CE2; pd=2001:db8:12:d100::/56; }
        start_bg ce$n "$ns" "$BIN/s46-ce" --config "$RUN/ce$n.json" --tun s46ce0 --ctl "$RUN/ce$n.sock"
        wait_for "s46-ce $n" test -S "$RUN/ce$n.sock" || return 1
        nsx "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
        nsx "$ns" ip route add default dev s46ce0
        nsx "$ns" ip -6 route add "$(map_addr $n $pd)/128" dev s46ce0
    done
    # the IPv4 Internet: a web server and an iperf3 server
    mkdir -p "$RUN/www"
    echo "Hello from the IPv4 Internet, through MAP-E" >"$RUN/www/index.html"
    start_bg web "$NS_INET" /usr/bin/python3 -m http.server 80 --bind 198.51.100.80 --directory "$RUN/www"
    start_bg iperf "$NS_INET" iperf3 -s -B 198.51.100.80
    wait_for "web server" listening "$NS_INET" 80
}

up() {
    down
    command -v "$BIN/s46-ce" >/dev/null || { say "build first: make"; return 1; }
    say "building namespaces"
    topology || { down; return 1; }
    write_configs
    say "starting s46-br and two s46-ce"
    if ! daemons; then
        say "daemons failed; logs:"; tail -n 5 "$RUN"/*.log; down; return 1
    fi
    wait_for "iperf3 server" listening "$NS_INET" 5201
    say "up: run 's46 lab check', then 's46 lab down'"
}

step() { printf '\n== %s\n' "$*"; }

check() {
    local ok=0 bad=0
    result() { if [ "$1" -eq 0 ]; then ok=$((ok+1)); echo "-> ok: $2"; else bad=$((bad+1)); echo "-> FAILED: $2"; fi; }
    step "what the CE derived (s46 show)"
    "$BIN/s46" show --ctl "$RUN/ce1.sock" | grep -E '^(prefix|ipv4|psid|port_count|ce_ipv6|br|iid|ports) '
    step "LAN host fetches a page from the IPv4 web server"
    local page
    page=$(nsx "$NS_LAN" curl -s --max-time 10 http://198.51.100.80/)
    echo "$page"
    [ "$page" = "Hello from the IPv4 Internet, through MAP-E" ]; result $? "HTTP through CE -> BR"
    step "ping"
    nsx "$NS_LAN" ping -c 3 -i 0.2 -W 2 198.51.100.80; result $? "ping through the tunnel"
    step "traceroute"
    nsx "$NS_LAN" traceroute -n -w 2 -q 1 -m 6 198.51.100.80 | tee "$RUN/traceroute.txt"
    grep -q ' 198.51.100.80 ' "$RUN/traceroute.txt"; result $? "traceroute reaches the server"
    step "iperf3 (3 s, TCP, LAN -> Internet)"
    nsx "$NS_LAN" iperf3 -c 198.51.100.80 -t 3 -f m >"$RUN/iperf.txt" 2>&1
    local rc=$?
    grep -E 'sender|receiver' "$RUN/iperf.txt"
    [ $rc -eq 0 ]; result $? "iperf3 through the tunnel"
    step "second CE shares 192.0.2.18 with other ports"
    page=$(nsx "$NS_LAN2" curl -s --max-time 10 http://198.51.100.80/)
    [ "$page" = "Hello from the IPv4 Internet, through MAP-E" ]; result $? "HTTP from the second CE"
    "$BIN/s46" show --ctl "$RUN/ce2.sock" | grep -E '^(ipv4|psid) '
    step "counters"
    echo "-- CE"; "$BIN/s46" show --ctl "$RUN/ce1.sock" | grep '^counters\.' | grep -v ' 0$'
    echo "-- BR"; "$BIN/s46" show --ctl "$RUN/br.sock" | grep '^counters\.' | grep -v ' 0$'
    printf '\nlab check: %d ok, %d failed\n' "$ok" "$bad"
    [ "$bad" -eq 0 ]
}

status() {
    for ns in $ALL_NS; do ip netns list | grep -qw "^$ns" && echo "$ns up"; done
    for pidf in "$RUN"/*.pid; do [ -f "$pidf" ] && echo "$(basename "$pidf" .pid): pid $(cat "$pidf")"; done
    return 0
}

case "${1:-}" in
    up) up ;;
    check) check ;;
    down) down; say "down" ;;
    status) status ;;
    run) up && { check; rc=$?; down; say "down"; exit $rc; } ;;
    *) echo "usage: s46 lab up | check | down | status | run" >&2; exit 2 ;;
esac
