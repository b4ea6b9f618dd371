#!/usr/bin/env bash
# s46-ce's DS-Lite B4 (RFC 6333) and HB46PP ipip mechanisms, provisioned
# over HB46PP (unbound for the TXT/AAAA records, s46-provd for the answers),
# end to end in network namespaces:
#
#   lan 192.168.1.2 -- ce (lan0 192.168.1.1, 2001:db8:12:3400::1/64;
#                          wan0 2001:db8:f001::2) -- isp (router, DNS,
#   s46-provd) -- peer (2001:db8:f002::2: the AFTR 2001:db8:aa::1/::2 and the
#   ipip remote 2001:db8:bb::1, answered by tests/tunnel_peer.py in user
#   space; those addresses are routed to the peer but blackholed there,
#   forwarding off, so its kernel drops them silently).
#
# Checks what can be observed: `s46 show`, the CE's routes, ping replies on
# the LAN host, what the peer received (inner and outer headers), tshark's
# dissection of the ISP link, and a switch of mechanism at run time (the
# server's answer changes, SIGHUP, no restart).
set -u
ROOT=${S46_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=${S46_BIN:-$ROOT/build/bin}
. "$ROOT/tests/integration/lib/wait.sh"
# s46-ce itself runs built with AddressSanitizer and UBSan when that build exists
CEBIN=${S46_ASAN_BIN:-$BIN}
[ -x "$CEBIN/s46-ce" ] || CEBIN=$BIN
PY=/usr/bin/python3
P=s46t$$
LAN=$P-tlan CE=$P-tce ISP=$P-tisp PEER=$P-tpeer
TMP=$(mktemp -d "${TMPDIR:-/tmp}"/s46-tunnel.XXXXXX)
PIDS=()
CEPID='' PROVPID='' PEERPID='' CAPPID=''
B4=2001:db8:12:3400::b4
AFTR1=2001:db8:aa::1 AFTR2=2001:db8:aa::2 IPIPR=2001:db8:bb::1 IPIPL=2001:db8:12:3400::7
cleanup() {
    [ -n "$CEPID" ] && { kill -9 "$CEPID"; wait "$CEPID"; } 2>/dev/null
    for p in $PROVPID $PEERPID $CAPPID "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for ns in $LAN $CE $ISP $PEER; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    [ -n "${S46_KEEP_TMP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT
nsl() { ip netns exec "$LAN" "$@"; }
nsc() { ip netns exec "$CE" "$@"; }
nsi() { ip netns exec "$ISP" "$@"; }
nsp() { ip netns exec "$PEER" "$@"; }
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
check() { # name, condition-command..., with "why" in $why
    local name=$1; shift
    if "$@"; then pass "$name"; else fail "$name" "${why:-condition false}"; fi
    why=
}

command -v tshark >/dev/null || { echo "SKIP ce_tunnel_netns: no tshark"; exit 0; }
ip netns add "$CE" 2>/dev/null || { echo "SKIP ce_tunnel_netns: no netns"; exit 0; }
for ns in $LAN $ISP $PEER; do ip netns add "$ns"; done
for ns in $LAN $CE $ISP $PEER; do
    ip netns exec "$ns" ip link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
ip link add eth0 netns "$LAN" type veth peer name lan0 netns "$CE"
ip link add wan0 netns "$CE" type veth peer name toce netns "$ISP"
ip link add topeer netns "$ISP" type veth peer name eth0 netns "$PEER"
nsl ip link set eth0 up; nsc ip link set lan0 up; nsc ip link set wan0 up
nsi ip link set toce up; nsi ip link set topeer up; nsp ip link set eth0 up
# LAN host
nsl ip addr add 192.168.1.2/24 dev eth0
nsl ip route add default via 192.168.1.1
# CE: an IPv4 router towards its TUN, an IPv6 router towards the ISP
nsc sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
    net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
nsc ip addr add 192.168.1.1/24 dev lan0
nsc ip -6 addr add 2001:db8:12:3400::1/64 dev lan0 nodad   # subnet 0 of its /56
nsc ip -6 addr add 2001:db8:f001::2/64 dev wan0 nodad
nsc ip -6 route add default via 2001:db8:f001::1
# ISP: router, DNS, provisioning server
nsi sysctl -qw net.ipv6.conf.all.forwarding=1
nsi ip -6 addr add 2001:db8:f001::1/64 dev toce nodad
nsi ip -6 addr add 2001:db8:f002::1/64 dev topeer nodad
for a in 53 80; do nsi ip -6 addr add 2001:db8:f0f0::$a/128 dev lo; done
nsi ip -6 route add 2001:db8:12::/48 via 2001:db8:f001::2
nsi ip -6 route add 2001:db8:aa::/64 via 2001:db8:f002::2
nsi ip -6 route add 2001:db8:bb::/64 via 2001:db8:f002::2
# peer: the remote addresses arrive here but belong to no interface; the
# kernel (forwarding off, blackhole routes) drops them without a word
nsp sysctl -qw net.ipv6.conf.all.forwarding=0
nsp ip -6 addr add 2001:db8:f002::2/64 dev eth0 nodad
nsp ip -6 route add default via 2001:db8:f002::1
nsp ip -6 route add blackhole 2001:db8:aa::/64
nsp ip -6 route add blackhole 2001:db8:bb::/64

# DNS
. "$ROOT/lab/common.sh"
{
    s46_unbound_head "$TMP" 2001:db8:f0f0::53
    cat <<C
  local-zone: "4over6.info." static
  local-zone: "s46.test." static
  local-data: "prov.s46.test. 300 IN AAAA 2001:db8:f0f0::80"
  local-data: "aftr.s46.test. 300 IN AAAA $AFTR1"
  local-data: '4over6.info. 300 IN TXT "v=v6mig-1 url=http://prov.s46.test/config t=a"'
C
} >"$TMP/unbound.conf"
ip netns exec "$ISP" unbound -d -c "$TMP/unbound.conf" >/dev/null 2>"$TMP/unbound.log" &
PIDS+=($!)

# the peer (AFTR and ipip remote)
ip netns exec "$PEER" $PY "$ROOT/tests/tunnel_peer.py" --iface eth0 --remote $AFTR1 --remote $AFTR2 --remote $IPIPR \
    --log "$TMP/peer.log" --ready "$TMP/peer.ready" >/dev/null 2>"$TMP/peer.err" &
PEERPID=$!
: >"$TMP/peer.log"

# the answers s46-provd serves (one profile file per answer; a change of
# answer restarts s46-provd with another file)
MAPE='"map_e": {"version": 1, "mesh": false, "br": "2001:db8:ffff::1",
       "rules": [{"ipv6": "2001:db8::/40", "ipv4": "192.0.2.0/24", "ea_length": 16, "psid_offset": 6}]}'
answer() { # NAME ORDER MEMBERS
    printf '{"enabler_name": "tunnel VNE", "ttl": 600, "order": %s, %s}\n' "$2" "$3" >"$TMP/$1.profile"
}
answer ds_name '["dslite"]' '"dslite": {"aftr": "aftr.s46.test"}'
answer ds_literal '["dslite"]' "\"dslite\": {\"aftr\": \"$AFTR2\"}"
answer ds_nx_fallback '["dslite", "map_e"]' "\"dslite\": {\"aftr\": \"noaftr.s46.test\"}, $MAPE"
answer ds_nx_only '["dslite"]' '"dslite": {"aftr": "noaftr.s46.test"}'
answer ipip '["ipip"]' "\"ipip\": [{\"ipv6_local\": \"$IPIPL\", \"ipv6_remote\": \"$IPIPR\", \"ipv4\": \"203.0.113.0/29\"}]"
answer ipip_pick '["ipip"]' "\"ipip\": [{\"ipv6_local\": \"2001:db8:99::7\", \"ipv6_remote\": \"2001:db8:bb::99\", \"ipv4\": \"198.18.0.0/29\"},
    {\"ipv6_local\": \"$IPIPL\", \"ipv6_remote\": \"$IPIPR\", \"ipv4\": \"203.0.113.8/29\"}]"
answer ipip_bare '["ipip"]' "\"ipip\": [{\"ipv6_local\": \"$IPIPL\", \"ipv6_remote\": \"$IPIPR\", \"ipv4\": \"203.0.113.9\"}]"
serve() { # PROFILE: (re)starts s46-provd serving that answer to the CE's /48
    if [ -n "$PROVPID" ]; then
        kill "$PROVPID" 2>/dev/null; wait "$PROVPID" 2>/dev/null; PROVPID=
    fi
    ip netns exec "$ISP" "$BIN/s46-provd" serve --port 80 --profile 2001:db8:12::/48="$TMP/$1.profile" \
        >/dev/null 2>>"$TMP/provd.log" &
    PROVPID=$!
    for _ in $(seq 50); do
        nsi ss -Hltn '( sport = :80 )' | grep -q LISTEN && return 0
        sleep 0.1
    done
    echo "s46-provd did not start for $1: $(tail -n 2 "$TMP/provd.log")"
    return 1
}
serve ds_name
for _ in $(seq 100); do
    nsi kdig +short +timeout=1 @2001:db8:f0f0::53 TXT 4over6.info 2>/dev/null | grep -q v6mig &&
        [ -e "$TMP/peer.ready" ] && break
    sleep 0.1
done
[ -e "$TMP/peer.ready" ] || echo "tunnel_peer.py not ready: $(tail -n 3 "$TMP/peer.err")"

cat >"$TMP/ce.json" <<J
{"prefix_from": {"interface": "lan0", "length": 56},
 "provisioning": {"resolver": "[2001:db8:f0f0::53]:53", "timeout": 3, "waits": {"boot": [0, 0]}}}
J
show() { "$BIN/s46" show --json --ctl "$TMP/ce.sock" 2>/dev/null; }
field() { s46_show_field "$BIN/s46" "$TMP/ce.sock" "$1"; } # dotted path -> value
# done_attempts: attempts the CE has finished (it logs each outcome)
done_attempts() { grep -c '^s46-ce: provisioning [a-z_]*; next attempt in' "$TMP/ce.log"; }
# wait_attempt N: until the CE's attempt N is over (logged, and waiting again)
wait_attempt() {
    for _ in $(seq 150); do
        [ "$(done_attempts)" -ge "$1" ] && [ "$(field provisioning.state)" = waiting ] && return 0
        sleep 0.1
    done
    return 1
}
# refetch PROFILE: the server answers PROFILE; SIGHUP; wait for the new attempt
refetch() {
    local n
    n=$(done_attempts)
    serve "$1" || return 1
    kill -HUP "$CEPID"
    wait_attempt $((n + 1)) && return 0
    echo "no new attempt after $1: $(tail -n 3 "$TMP/ce.log" | tr '\n' ' ')"
    return 1
}
# peer_since LINE FILTER-EXPR: the peer's records after line LINE matching a
# python expression over r (one record); prints them, one per line
peer_since() {
    $PY -c '
import json, sys
for l in open(sys.argv[1]).read().splitlines()[int(sys.argv[2]):]:
    r = json.loads(l)
    if eval(sys.argv[3]):
        print(json.dumps(r, sort_keys=True))' "$TMP/peer.log" "$1" "$2"
}
plines() { wc -l <"$TMP/peer.log"; }
counters() { # NAME...: the tunnel's counters, space separated
    show | $PY -c '
import json, sys
c = json.load(sys.stdin)["counters"]
print(" ".join(str(c.get(k, -1)) for k in sys.argv[1:]))' "$@" 2>/dev/null
}
# lan_ping NAME [ping args]: 3 echo requests from the LAN host to 198.51.100.80
lan_ping() {
    local name=$1; shift
    local out
    out=$(nsl ping -n -c 3 -i 0.2 -W 2 "$@" 198.51.100.80 2>&1)
    why="$(echo "$out" | tail -n 2 | tr '\n' ' ')"
    check "$name" bash -c "echo '$out' | grep -q ' 3 received'"
}
routes() { # the CE's routes into its TUN
    nsc ip -6 route show dev tce0 2>&1 | tr '\n' ';'
    nsc ip route show dev tce0 2>&1 | tr '\n' ';'
}

START=$SECONDS
# ============================================================== DS-Lite
ip netns exec "$CE" "$CEBIN/s46-ce" --config "$TMP/ce.json" --tun tce0 --ctl "$TMP/ce.sock" 2>>"$TMP/ce.log" &
CEPID=$!
if ! wait_attempt 1; then
    fail dslite_first_attempt "no attempt over: $(tail -n 3 "$TMP/ce.log")"
fi
why="mechanism $(field mechanism) outcome $(field provisioning.last_outcome) error $(field provisioning.last_error)"
check dslite_aftr_name_running [ "$(field mechanism)" = dslite -a "$(field provisioning.last_outcome)" = ok ]
why="local $(field local) remote $(field remote)"
check dslite_aftr_name_resolved_b4_default [ "$(field remote)" = $AFTR1 -a "$(field local)" = $B4 ]
why=$(routes)
check dslite_routes_b4_and_default bash -c "ip netns exec $CE ip -6 route show dev tce0 | grep -q '^$B4 ' &&
    ip netns exec $CE ip route show dev tce0 | grep -q '^default'"

# capture the ISP link while the LAN host pings through the B4
ip netns exec "$ISP" tshark -i toce -f ip6 -a duration:30 -w "$TMP/ds.pcap" >/dev/null 2>"$TMP/tshark.err" &
CAPPID=$!
for _ in $(seq 100); do grep -q 'Capturing on' "$TMP/tshark.err" && break; sleep 0.1; done
sleep 0.3
n0=$(plines)
lan_ping dslite_lan_ping_replies
sleep 0.5
kill -TERM "$CAPPID" 2>/dev/null; wait "$CAPPID" 2>/dev/null; CAPPID=
req=$(peer_since "$n0" 'r.get("icmp_type") == 8')
why="peer saw: $(echo "$req" | head -n 1)"
check dslite_no_nat_inner_source_is_lan_host bash -c "[ \$(echo '$req' | grep -c '\"src\": \"192.168.1.2\"') -eq 3 ] &&
    ! echo '$req' | grep -v -q '\"src\": \"192.168.1.2\"'"
check dslite_outer_source_is_b4_to_aftr bash -c "[ \$(echo '$req' | grep '\"outer_src\": \"$B4\"' | grep -c '\"outer_dst\": \"$AFTR1\"') -eq 3 ]"
# exactly one IPv4 router hop (the CE kernel into the TUN), proto ICMP
check dslite_inner_ttl_one_hop_proto_icmp bash -c "[ \$(echo '$req' | grep '\"ttl\": 63' | grep -c '\"proto\": 1,') -eq 3 ]"
# tshark: IPv6 next header 4 carrying the LAN host's echo request, nothing malformed
dis=$(tshark -r "$TMP/ds.pcap" -Y 'ipv6.nxt == 4 && icmp.type == 8' \
    -T fields -e ipv6.src -e ipv6.dst -e ip.src -e ip.dst -e icmp.type 2>/dev/null)
why="dissected: $(echo "$dis" | head -n 1)"
check dslite_tshark_ipv6_nh4_inner_icmp bash -c "[ \$(echo '$dis' | grep -c \"^$B4	$AFTR1	192.168.1.2	198.51.100.80	8\") -eq 3 ]"
rep=$(tshark -r "$TMP/ds.pcap" -Y "ipv6.nxt == 4 && icmp.type == 0 && ipv6.src == $AFTR1" -T fields -e ip.dst 2>/dev/null | grep -c 192.168.1.2)
why="$rep encapsulated replies on the link"
check dslite_tshark_replies_encapsulated [ "$rep" -eq 3 ]
bad=$(tshark -r "$TMP/ds.pcap" -Y '_ws.malformed || _ws.expert.severity >= error' 2>/dev/null | wc -l)
why="$bad packets: $(tshark -r "$TMP/ds.pcap" -Y '_ws.malformed || _ws.expert.severity >= error' 2>/dev/null | head -n 2)"
check dslite_tshark_nothing_malformed [ "$bad" -eq 0 -a -s "$TMP/ds.pcap" ]
noise=$(tshark -r "$TMP/ds.pcap" -Y 'icmpv6.type < 128' -T fields -e ipv6.src -e icmpv6.type -e icmpv6.code 2>/dev/null)
why="ICMPv6 errors on the link: $noise"
check dslite_no_icmpv6_errors_on_link [ -z "$noise" ]
c=$(counters encapsulated decapsulated)
why="encapsulated decapsulated: $c"
check dslite_counters_count_both_ways bash -c "set -- $c; [ \$1 -ge 3 -a \$2 -ge 3 ]"
# the B4 address answers ICMPv6 echo (ce_tunnel.h)
out=$(nsi ping -6 -n -c 2 -i 0.2 -W 2 $B4 2>&1)
why=$(echo "$out" | tail -n 2 | tr '\n' ' ')
check dslite_b4_answers_ping6 bash -c "echo '$out' | grep -q ' 2 received'"
# a tunnel packet from anyone but the AFTR is not decapsulated
d0=$(counters drop_wan_src_not_remote decapsulated)
ip netns exec "$PEER" $PY -c '
import sys
from scapy.all import IPv6, IP, ICMP, send, conf
conf.verb = 0
send(IPv6(src="2001:db8:aa::99", dst=sys.argv[1], nh=4) / IP(src="198.51.100.80", dst="192.168.1.2") / ICMP(type=0, id=7, seq=7))' $B4 2>/dev/null
# until the drop is counted (bounded; the check then wants exactly one)
wait_for 5 eval '[ "$(counters drop_wan_src_not_remote decapsulated)" != "$d0" ]'
d1=$(counters drop_wan_src_not_remote decapsulated)
why="drop_wan_src_not_remote decapsulated before: $d0 after: $d1"
check dslite_spoofed_aftr_source_dropped bash -c "set -- $d0 $d1; [ \$3 -eq \$((\$1 + 1)) -a \$4 -eq \$2 ]"
# the IPv4 TOS becomes the outer traffic class (RFC 6333 §5.2)
n0=$(plines)
nsl ping -n -c 1 -W 2 -Q 0x28 198.51.100.80 >/dev/null 2>&1
req=$(peer_since "$n0" 'r.get("icmp_type") == 8')
why="peer saw: $req"
check dslite_tos_copied_to_traffic_class bash -c "echo '$req' | grep -q '\"tc\": 40,'"

# the AFTR as a literal IPv6 address (SIGHUP: fetch again at once)
if refetch ds_literal; then
    why="mechanism $(field mechanism) remote $(field remote) error $(field provisioning.last_error)"
    check dslite_aftr_literal_running [ "$(field mechanism)" = dslite -a "$(field remote)" = $AFTR2 -a "$(field local)" = $B4 ]
    n0=$(plines)
    lan_ping dslite_literal_lan_ping_replies
    req=$(peer_since "$n0" 'r.get("icmp_type") == 8')
    why="peer saw: $(echo "$req" | head -n 1)"
    check dslite_literal_tunnel_to_new_aftr bash -c "[ \$(echo '$req' | grep '\"outer_dst\": \"$AFTR2\"' | grep '\"outer_src\": \"$B4\"' | grep -c '\"src\": \"192.168.1.2\"') -eq 3 ]"
else
    fail dslite_aftr_literal_running "no new attempt: $(tail -n 3 "$TMP/ce.log")"
fi

# ============================================================== switch to ipip at run time
cepid0=$CEPID
if refetch ipip; then
    why="mechanism $(field mechanism) error $(field provisioning.last_error) pid $CEPID"
    check switch_dslite_to_ipip_without_restart [ "$(field mechanism)" = ipip ] && kill -0 "$cepid0"
    why="local $(field local) remote $(field remote) ipv4 $(field ipv4) nat $(field nat_address)"
    check ipip_tunnel_as_answered [ "$(field local)" = $IPIPL -a "$(field remote)" = $IPIPR \
        -a "$(field ipv4)" = 203.0.113.0/29 -a "$(field nat_address)" = 203.0.113.1 ]
    why=$(routes)
    check ipip_routes_local_and_default_b4_gone bash -c "ip netns exec $CE ip -6 route show dev tce0 | grep -q '^$IPIPL ' &&
        ! ip netns exec $CE ip -6 route show dev tce0 | grep -q '^$B4 ' &&
        ip netns exec $CE ip route show dev tce0 | grep -q '^default'"
    n0=$(plines)
    lan_ping ipip_private_host_ping_replies
    req=$(peer_since "$n0" 'r.get("icmp_type") == 8')
    why="peer saw: $(echo "$req" | head -n 1)"
    check ipip_napt_onto_first_host_address bash -c "[ \$(echo '$req' | grep -c '\"src\": \"203.0.113.1\"') -eq 3 ] &&
        ! echo '$req' | grep -v -q '\"src\": \"203.0.113.1\"'"
    check ipip_outer_local_to_remote bash -c "[ \$(echo '$req' | grep '\"outer_src\": \"$IPIPL\"' | grep -c '\"outer_dst\": \"$IPIPR\"') -eq 3 ]"
    # nothing reached the old AFTR once switched
    old=$(peer_since "$n0" "r[\"outer_dst\"] in (\"$AFTR1\", \"$AFTR2\") or r[\"outer_src\"] == \"$B4\"")
    why="$old"
    check switch_traffic_left_dslite [ -z "$old" ]
    # a LAN host numbered inside the fixed prefix passes unchanged
    nsl ip addr add 203.0.113.2/29 dev eth0
    nsc ip route add 203.0.113.2/32 via 192.168.1.2 dev lan0
    n0=$(plines)
    lan_ping ipip_fixed_prefix_host_ping_replies -I 203.0.113.2
    req=$(peer_since "$n0" 'r.get("icmp_type") == 8')
    why="peer saw: $(echo "$req" | head -n 1)"
    check ipip_fixed_prefix_source_unchanged bash -c "[ \$(echo '$req' | grep '\"outer_src\": \"$IPIPL\"' | grep -c '\"src\": \"203.0.113.2\"') -eq 3 ]"
    c=$(counters lan_fixed_source wan_fixed_destination lan_napt wan_napt)
    why="lan_fixed_source wan_fixed_destination lan_napt wan_napt: $c"
    check ipip_counters_fixed_and_napt bash -c "set -- $c; [ \$1 -ge 3 -a \$2 -ge 3 -a \$3 -ge 3 -a \$4 -ge 3 ]"
    out=$(nsi ping -6 -n -c 2 -i 0.2 -W 2 $IPIPL 2>&1)
    why=$(echo "$out" | tail -n 2 | tr '\n' ' ')
    check ipip_local_answers_ping6 bash -c "echo '$out' | grep -q ' 2 received'"
    nsl ip addr del 203.0.113.2/29 dev eth0
    nsc ip route del 203.0.113.2/32 via 192.168.1.2 dev lan0
else
    fail switch_dslite_to_ipip_without_restart "no new attempt: $(tail -n 3 "$TMP/ce.log")"
fi

# the ipip entry whose ipv6_local is inside the End-user prefix wins over the first
if refetch ipip_pick; then
    why="mechanism $(field mechanism) local $(field local) remote $(field remote) ipv4 $(field ipv4) error $(field provisioning.last_error)"
    check ipip_picks_entry_inside_prefix [ "$(field mechanism)" = ipip -a "$(field local)" = $IPIPL \
        -a "$(field remote)" = $IPIPR -a "$(field ipv4)" = 203.0.113.8/29 ]
    n0=$(plines)
    lan_ping ipip_picked_entry_ping_replies
    req=$(peer_since "$n0" 'r.get("icmp_type") == 8')
    why="peer saw: $(echo "$req" | head -n 1)"
    check ipip_picked_entry_napt_address bash -c "[ \$(echo '$req' | grep -c '\"src\": \"203.0.113.9\"') -eq 3 ]"
fi

# HB46PP allows a bare IPv4 address in ipip.ipv4 (a /32; s46-provd and the
# CE's validator accept it): the CE must run it with that address as NAT address
if refetch ipip_bare; then
    why="mechanism $(field mechanism) outcome $(field provisioning.last_outcome) error $(field provisioning.last_error)"
    check ipip_bare_ipv4_address_runs [ "$(field mechanism)" = ipip -a "$(field nat_address)" = 203.0.113.9 ]
fi

# ============================================================== back to DS-Lite, then failures
if refetch ds_name; then
    why="mechanism $(field mechanism) remote $(field remote)"
    check switch_ipip_to_dslite [ "$(field mechanism)" = dslite -a "$(field remote)" = $AFTR1 ]
    why=$(routes)
    check dslite_again_routes bash -c "ip netns exec $CE ip -6 route show dev tce0 | grep -q '^$B4 ' &&
        ! ip netns exec $CE ip -6 route show dev tce0 | grep -q '^$IPIPL '"
    n0=$(plines)
    lan_ping dslite_again_lan_ping_replies
    req=$(peer_since "$n0" 'r.get("icmp_type") == 8')
    why="peer saw: $(echo "$req" | head -n 1)"
    check dslite_again_no_nat bash -c "[ \$(echo '$req' | grep '\"outer_src\": \"$B4\"' | grep -c '\"src\": \"192.168.1.2\"') -eq 3 ]"
fi
# an AFTR name that does not resolve: dslite cannot run, order falls back to map_e
if refetch ds_nx_fallback; then
    why="mechanism $(field mechanism) outcome $(field provisioning.last_outcome) error $(field provisioning.last_error)"
    check dslite_aftr_nxdomain_order_fallback_map_e [ "$(field mechanism)" = map_e -a "$(field provisioning.last_outcome)" = ok ]
    why="ipv4 $(field ipv4) ce_ipv6 $(field ce_ipv6)"
    check fallback_map_e_derived [ "$(field ipv4)" = 192.0.2.18 -a "$(field ce_ipv6)" = 2001:db8:12:3400:0:c000:212:34 ]
    why=$(grep -i 'noaftr' "$TMP/ce.log" | tail -n 1)
    check fallback_reason_logged grep -q 'order\[0\] dslite cannot run here: .*noaftr.s46.test' "$TMP/ce.log"
    why=$(routes)
    check fallback_routes_map_address bash -c "ip netns exec $CE ip -6 route show dev tce0 | grep -q '^2001:db8:12:3400:0:c000:212:34 ' &&
        ! ip netns exec $CE ip -6 route show dev tce0 | grep -q '^$B4 '"
fi
# ... and with nothing to fall back to, no mechanism runs
if refetch ds_nx_only; then
    why="mechanism $(field mechanism) outcome $(field provisioning.last_outcome) error $(field provisioning.last_error)"
    check dslite_aftr_nxdomain_alone_disables [ "$(field mechanism)" = none -a "$(field provisioning.last_outcome)" = empty ]
    why=$(routes)
    check disabled_routes_removed bash -c "[ -z \"\$(ip netns exec $CE ip -6 route show dev tce0 | grep -v '^fe80')\" ] &&
        ! ip netns exec $CE ip route show dev tce0 | grep -q '^default'"
    out=$(nsl ping -n -c 1 -W 1 198.51.100.80 2>&1)
    why=$(echo "$out" | tail -n 2 | tr '\n' ' ')
    check disabled_no_ipv4 bash -c "! echo '$out' | grep -q ' 1 received'"
fi

# the B4 address set by hand ("b4_ipv6"): SIGHUP re-reads the settings
cat >"$TMP/ce.json" <<J
{"prefix_from": {"interface": "lan0", "length": 56}, "b4_ipv6": "2001:db8:12:3401::b4b4",
 "provisioning": {"resolver": "[2001:db8:f0f0::53]:53", "timeout": 3, "waits": {"boot": [0, 0]}}}
J
if refetch ds_name; then
    why="mechanism $(field mechanism) local $(field local)"
    check dslite_b4_override [ "$(field mechanism)" = dslite -a "$(field local)" = 2001:db8:12:3401::b4b4 ]
    n0=$(plines)
    lan_ping dslite_b4_override_ping_replies
    req=$(peer_since "$n0" 'r.get("icmp_type") == 8')
    why="peer saw: $(echo "$req" | head -n 1)"
    check dslite_b4_override_outer_source bash -c "[ \$(echo '$req' | grep -c '\"outer_src\": \"2001:db8:12:3401::b4b4\"') -eq 3 ]"
fi

# each switch is logged with the tunnel it set up: the log must name the
# addresses actually in use (the main thread logs from the plan it applied)
badlog=$(grep -E '^s46-ce: (DS-Lite|ipip) running:' "$TMP/ce.log" | grep -v -E \
    "^s46-ce: DS-Lite running: B4 ($B4|2001:db8:12:3401::b4b4), AFTR ($AFTR1|$AFTR2)\$|^s46-ce: ipip running: (203\.0\.113\.(0|8)/29|203\.0\.113\.9/32) over $IPIPL -> $IPIPR\$")
why="$(echo "$badlog" | grep -c .) of $(grep -c -E '^s46-ce: (DS-Lite|ipip) running:' "$TMP/ce.log") lines wrong, e.g. '$(echo "$badlog" | head -n 1)'"
check ce_log_names_running_tunnel [ -z "$badlog" ]
kill -0 "$CEPID" 2>/dev/null && pass ce_survived_all_switches || fail ce_survived_all_switches "s46-ce exited: $(tail -n 3 "$TMP/ce.log")"
grep -q 'ERROR: AddressSanitizer\|runtime error' "$TMP/ce.log" && fail ce_sanitizer "$(grep -m1 'ERROR\|runtime error' "$TMP/ce.log")"
echo "# tunnel checks took $((SECONDS - START)) s"
bad=$(grep -l -E 'ERROR: AddressSanitizer|runtime error|LeakSanitizer' "$TMP"/*.log 2>/dev/null | head -3)
why="sanitizer reports in: $bad"
[ -z "$bad" ] && echo "PASS ce_no_sanitizer_reports" || echo "FAIL ce_no_sanitizer_reports: $why $(grep -h -A3 -E 'ERROR: AddressSanitizer|runtime error|LeakSanitizer' $bad | head -8 | tr '\n' ' ')"
exit 0
