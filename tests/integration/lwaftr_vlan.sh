#!/usr/bin/env bash
# 802.1Q VLANs on the Ethernet ports, with the lwAFTR (its config says
# ipv4_interface {"vlan": 10}, ipv6_interface {"vlan": 20}), over AF_PACKET
# and AF_XDP, in namespaces:
#
#   n4 (e4) -- v4 [lw: s46-br] v6 -- (e6) n6
#
# This kernel has no 8021q module, so the peers are scapy writing tagged
# frames on their veth, and tshark on the peers' veths checks what s46
# sent, tags included. Checks: a frame of VLAN 10 to a bound address and
# port leaves encapsulated toward its B4 tagged with VLAN 20; a frame of
# VLAN 20 from the B4 leaves decapsulated tagged with VLAN 10; a Neighbor
# Solicitation for the lwAFTR address in VLAN 20 is answered in VLAN 20;
# untagged frames and frames of VLAN 11 are not forwarded, and over
# AF_PACKET (which sees every frame) counted in rx_vlan_dropped (AF_XDP's
# program leaves them to the kernel). Then the CLI's --v4-vlan overrides
# the config, and a VLAN in TUN mode is refused.
# s46-test-timeout: 120
set -u
cd "$(dirname "$0")/../.."
BIN=${S46_BIN:-build/bin}
PY=/usr/bin/python3
P=s46v$$
LW=$P-lw N4=$P-n4 N6=$P-n6
tmp=$(mktemp -d "${TMPDIR:-/tmp}/s46-vlan.XXXXXX")
cleanup() {
    for ns in $LW $N4 $N6; do
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
mac() { nsx "$1" cat "/sys/class/net/$2/address"; }
LW6=2001:db8:ffff::1 B4=2001:db8:1::2

for ns in $LW $N4 $N6; do
    ip netns add "$ns" || { fail lwaftr_vlan "cannot create namespaces"; exit 0; }
    nsx "$ns" ip link set lo up
    nsx "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
ip link add v4 netns $LW type veth peer name e4 netns $N4
ip link add v6 netns $LW type veth peer name e6 netns $N6
for x in $LW:v4 $LW:v6 $N4:e4 $N6:e6; do nsx "${x%%:*}" ip link set "${x#*:}" up; done
nsx $LW sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0
# no kernel speaks on these links (scapy and s46 do): nothing untagged
# of their own in the counts and captures
for ns in $LW $N4 $N6; do nsx $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1; done
for x in $N4:e4 $N6:e6; do nsx "${x%%:*}" ethtool -K "${x#*:}" tx off >/dev/null 2>&1; done
M4=$(mac $LW v4) M6=$(mac $LW v6) P4=$(mac $N4 e4) P6=$(mac $N6 e6)

cat >"$tmp/lw.json" <<J
{"lwaftr": {"ipv6": "$LW6", "ipv4": "198.51.100.2", "icmp_unreachable": false,
  "ipv4_interface": {"vlan": 10}, "ipv6_interface": {"vlan": 20},
  "bindings": [{"b4": "$B4", "ipv4": "192.0.2.1", "psid": 1, "psid_length": 6, "psid_offset": 0}]}}
J
cat >"$tmp/send.py" <<'PY'
# the frames of one round, from both peers (scapy on their veths)
import sys
from scapy.all import Ether, Dot1Q, IP, IPv6, UDP, ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr, sendp, conf
conf.verb = 0
side, lw_mac, my_mac = sys.argv[1], sys.argv[2], sys.argv[3]
def v4(tag, dport):
    l2 = Ether(src=my_mac, dst=lw_mac)
    if tag is not None:
        l2 = l2 / Dot1Q(vlan=tag)
    return l2 / IP(src="198.51.100.80", dst="192.0.2.1", ttl=64) / UDP(sport=7000, dport=dport) / (b"x" * 20)
def v6(tag, sport, dport):
    l2 = Ether(src=my_mac, dst=lw_mac)
    if tag is not None:
        l2 = l2 / Dot1Q(vlan=tag)
    return (l2 / IPv6(src="2001:db8:1::2", dst="2001:db8:ffff::1", hlim=64) /
            IP(src="192.0.2.1", dst="198.51.100.80", ttl=64) / UDP(sport=sport, dport=dport) / (b"y" * 20))
if side == "4":
    # VLAN 10: forwarded; untagged and VLAN 11: dropped
    frames = [v4(10, 1500), v4(None, 1501), v4(11, 1502)]
    iface = "e4"
else:
    ns = (Ether(src=my_mac, dst="33:33:ff:00:00:01") / Dot1Q(vlan=20) /
          IPv6(src="fe80::1", dst="ff02::1:ff00:1", hlim=255) /
          ICMPv6ND_NS(tgt="2001:db8:ffff::1") / ICMPv6NDOptSrcLLAddr(lladdr=my_mac))
    frames = [v6(20, 1500, 7000), v6(None, 1501, 7001), v6(21, 1502, 7002), ns]
    iface = "e6"
for f in frames:
    sendp(f, iface=iface)
PY

# fields of the frames s46 sent (source MAC mac) in a capture
sent() { # pcap mac fields...
    local f=$1 m=$2; shift 2
    local args=()
    for x in "$@"; do args+=(-e "$x"); done
    tshark -r "$f" -Y "eth.src == $m" -T fields -E separator=, "${args[@]}" 2>/dev/null
}
counter() { # side name
    "$BIN/s46" show --ctl "$tmp/lw.sock" --json |
        $PY -c "import json,sys; print(json.load(sys.stdin)['interfaces']['$1']['$2'])"
}

for io in afpacket xdp; do
    ip netns exec $LW "$BIN/s46-br" --config "$tmp/lw.json" --v4-if v4 --v6-if v6 --io $io \
        --v4-peer-mac "$P4" --v6-peer-mac "$P6" --workers 1 --ctl "$tmp/lw.sock" 2>"$tmp/lw.log" &
    lwpid=$!
    if ! waitfor 10 test -S "$tmp/lw.sock"; then
        fail lwaftr_vlan_${io}_started "$(tail -3 "$tmp/lw.log")"
        kill $lwpid 2>/dev/null; wait $lwpid 2>/dev/null
        continue
    fi
    for n in 4 6; do
        ns=$N4; [ $n = 6 ] && ns=$N6
        rm -f "$tmp/c$n.pcap"
        ip netns exec $ns tshark -q -i e$n -w "$tmp/c$n.pcap" 2>"$tmp/t$n.log" &
        eval "tpid$n=\$!"
    done
    waitfor 10 grep -q 'Capturing on' "$tmp/t4.log" && waitfor 10 grep -q 'Capturing on' "$tmp/t6.log"
    nsx $N4 $PY "$tmp/send.py" 4 "$M4" "$P4"
    nsx $N6 $PY "$tmp/send.py" 6 "$M6" "$P6"
    sleep 1
    kill "$tpid4" "$tpid6"; wait "$tpid4" "$tpid6" 2>/dev/null
    # toward the B4: VLAN 20, IPv6 to the B4, the inner destination port 1500 only
    got6=$(sent "$tmp/c6.pcap" "$M6" vlan.id ipv6.dst udp.dstport icmpv6.type | sort | tr '\n' ' ')
    got4=$(sent "$tmp/c4.pcap" "$M4" vlan.id ip.dst udp.dstport | sort | tr '\n' ' ')
    want6="20,$B4,1500, 20,fe80::1,,136 "
    [ "$got6" = "$want6" ] && pass lwaftr_vlan_${io}_to_b4_tagged ||
        fail lwaftr_vlan_${io}_to_b4_tagged "sent on the IPv6 side: '$got6', want '$want6'"
    want4="10,198.51.100.80,7000 "
    [ "$got4" = "$want4" ] && pass lwaftr_vlan_${io}_to_internet_tagged ||
        fail lwaftr_vlan_${io}_to_internet_tagged "sent on the IPv4 side: '$got4', want '$want4'"
    d4=$(counter v4 rx_vlan_dropped) d6=$(counter v6 rx_vlan_dropped)
    e4=$(counter v4 rx_packets) e6=$(counter v6 rx_packets)
    if [ $io = afpacket ]; then w="2 2 1 1"; else w="0 0 1 1"; fi
    [ "$d4 $d6 $e4 $e6" = "$w" ] && pass lwaftr_vlan_${io}_counted ||
        fail lwaftr_vlan_${io}_counted "rx_vlan_dropped v4 $d4 v6 $d6, rx_packets v4 $e4 v6 $e6 (want $w)"
    kill $lwpid; wait $lwpid 2>/dev/null
    rm -f "$tmp/lw.sock"
done

# the command line overrides the config: --v4-vlan 11 takes VLAN 11 now
ip netns exec $LW "$BIN/s46-br" --config "$tmp/lw.json" --v4-if v4 --v6-if v6 --io afpacket \
    --v4-peer-mac "$P4" --v6-peer-mac "$P6" --v4-vlan 11 --workers 1 --ctl "$tmp/lw.sock" 2>"$tmp/lw.log" &
lwpid=$!
if waitfor 10 test -S "$tmp/lw.sock"; then
    nsx $N4 $PY "$tmp/send.py" 4 "$M4" "$P4"
    sleep 0.5
    r="$(counter v4 rx_vlan_dropped) $(counter v4 rx_packets)"
    [ "$r" = "2 1" ] && pass lwaftr_vlan_cli_overrides || fail lwaftr_vlan_cli_overrides "dropped, taken: $r (want 2 1)"
else
    fail lwaftr_vlan_cli_overrides "$(tail -3 "$tmp/lw.log")"
fi
kill $lwpid; wait $lwpid 2>/dev/null
out=$(ip netns exec $LW timeout 5 "$BIN/s46-br" --config "$tmp/lw.json" --tun s46v0 --ctl "$tmp/lw2.sock" 2>&1)
rc=$?
[ $rc = 2 ] && grep -q 'VLANs need Ethernet ports' <<<"$out" && pass lwaftr_vlan_tun_refused ||
    fail lwaftr_vlan_tun_refused "exit $rc: $out"
exit 0
