#!/usr/bin/env bash
# The s46 lab: an IPv6-only access network with MAP-E, DS-Lite and lw4o6,
# in network namespaces.
#
#   s46-lan  --  s46-ce  --\                      /-- s46-br ---\
#   s46-lan2 --  s46-ce2 ---+-- s46-isp (IPv6) --+--- s46-aftr --+ s46-inet
#   s46-lan3 --  s46-ce3 --/    DNS + s46-provd   \-- s46-lw ----/  (IPv4 Internet
#                                                                  host, web server)
#
# The CEs start with no configuration: they find the provisioning server
# through the TXT record of 4over6.info (unbound in s46-isp), fetch their
# parameters over HTTPS (s46-provd, certificate of a lab CA, t=b) and bring
# up what it answers for their prefix: MAP-E for the first CE, DS-Lite
# (through the AFTR, s46-br with an "aftr" config and its CGN) for the
# second (S46_LAB_CE2=map_e gives it MAP-E too), lw4o6 (through the lwAFTR,
# s46-br with an "lwaftr" config holding the third CE's binding) for the
# third (S46_LAB_CE3=lw4o6|dslite|map_e|464xlat|none: what it runs, none
# leaves it and the lwAFTR out); S46_LAB_CE2=map_t gives the second CE
# MAP-T through a MAP-T BR, S46_LAB_CE3=464xlat the third a CLAT through a
# NAT64 with DNS64 (S46_LAB_NAT64PREFIX=discover: found by RFC 7050), and an
# IPv6-only web server always sits behind SIIT-DC: see lab/xlat.sh.
# S46_LAB_CE_MODE=fixed gives the CEs a static configuration instead.
# Usage: lab.sh up | check | down | status | trace IPV4 PORT TIME [--json]
# Namespaces and addresses (documentation prefixes only):
#   LAN      192.168.1.0/24 behind each CE (CE 192.168.1.1, host 192.168.1.2)
#   CE WAN   2001:db8:f001::2/64 (ce), 2001:db8:f002::2/64 (ce2),
#            2001:db8:f003::2/64 (ce3); ISP ::1
#   BR link  2001:db8:f0ff::2/64 (br), ISP ::1; BR address 2001:db8:ffff::1
#   PD       ce 2001:db8:12:3400::/56, ce2 2001:db8:12:d100::/56,
#            ce3 2001:db8:12:e500::/56
#   Rule     2001:db8::/40 -> 192.0.2.0/24, EA 16, offset 6 (RFC 7597 App. A)
#            both CEs share 192.0.2.18 (PSID 0x34 and 0xd1)
#   IPv4 Internet 198.51.100.0/24: BR 198.51.100.1 (its kernel; s46-br's
#            own br_ipv4 198.51.100.3: on TUN an address of the kernel's
#            would see s46's ICMPv4 dropped as martians), web server .80
#   AFTR     2001:db8:fffe::1 (link 2001:db8:f0fe::2/64, ISP ::1); IPv4 side
#            203.0.113.1/25 (the web server also 203.0.113.80/25), its own
#            address 203.0.113.2, CGN pool 203.0.113.128/28; port-block log
#            $RUN/blocks.log
#   lwAFTR   2001:db8:fffd::1 (link 2001:db8:f0fc::2/64, ISP ::1); IPv4 side
#            203.0.113.145/29 (the web server also 203.0.113.150/29), its
#            own address 203.0.113.201; the third CE's binding 203.0.113.200
#            PSID 1/6 offset 0 (ports 1024-2047), B4 2001:db8:12:e500:0:cb00:71c8:1
#   ISP services  DNS 2001:db8:f0f0::53, s46-provd https://prov.isp.example
#                 (2001:db8:f0f0::443, port 443); each CE's LAN side holds
#                 subnet 0 of its PD (2001:db8:12:3400::1/64), the address
#                 it learns its End-user prefix from and asks from
#   DNS on the LAN  each CE's DNS proxy on 192.168.1.1 (UDP and TCP), the
#                 LAN hosts' resolver (/etc/netns/NS/resolv.conf), relays to
#                 2001:db8:f0f0::53 over IPv6; www.inet.example = 198.51.100.80
# S46_LAB_BRS=2: a second MAP-E BR (s46-br2) announced with the first by
# BGP (FRR), ECMP and a health check per BR: see lab/brs.sh
set -u
LAB_PREFIX=${S46_LAB_PREFIX:-s46}
NS_LAN=$LAB_PREFIX-lan NS_CE=$LAB_PREFIX-ce NS_LAN2=$LAB_PREFIX-lan2 NS_CE2=$LAB_PREFIX-ce2
NS_ISP=$LAB_PREFIX-isp NS_BR=$LAB_PREFIX-br NS_INET=$LAB_PREFIX-inet NS_AFTR=$LAB_PREFIX-aftr
NS_LAN3=$LAB_PREFIX-lan3 NS_CE3=$LAB_PREFIX-ce3 NS_LW=$LAB_PREFIX-lw
ALL_NS="$NS_LAN $NS_CE $NS_LAN2 $NS_CE2 $NS_ISP $NS_BR $NS_INET $NS_AFTR"
CE2_MECH=${S46_LAB_CE2:-dslite}
CE3_MECH=${S46_LAB_CE3:-lw4o6}
AFTR6=2001:db8:fffe::1 AFTR_POOL=203.0.113.128/28
LW6=2001:db8:fffd::1 LW_V4=203.0.113.201 LW_PREFIX=203.0.113.192/28
LW_BIND4=203.0.113.200 LW_PSID=1 LW_B4=2001:db8:12:e500:0:cb00:71c8:1
case "$CE2_MECH" in
    dslite|map_e|map_t) ;;
    *) echo "lab: S46_LAB_CE2 is dslite, map_e or map_t" >&2; exit 2 ;;
esac
case "$CE3_MECH" in
    lw4o6) CES="1 2 3"; ALL_NS="$ALL_NS $NS_LAN3 $NS_CE3 $NS_LW" ;;
    dslite|map_e|464xlat) CES="1 2 3"; ALL_NS="$ALL_NS $NS_LAN3 $NS_CE3" ;;
    none) CES="1 2" ;;
    *) echo "lab: S46_LAB_CE3 is lw4o6, dslite, map_e, 464xlat or none" >&2; exit 2 ;;
esac
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/common.sh"
. "$HERE/xlat.sh"
ALL_NS="$ALL_NS $XLAT_NS"
ROOT=$(cd "$HERE/.." && pwd)
BIN=${S46_BIN:-$ROOT/build/bin}
RUN=${S46_LAB_RUN:-/run/s46-lab/$LAB_PREFIX}
BRS=${S46_LAB_BRS:-1}
if [ "$BRS" = 2 ]; then
    [ "${S46_LAB_IO:-tun}" = tun ] || { echo "lab: S46_LAB_BRS=2 runs in TUN mode only" >&2; exit 2; }
    . "$HERE/brs.sh"
    ALL_NS="$ALL_NS $NS_BR2"
elif [ "$BRS" != 1 ]; then
    echo "lab: S46_LAB_BRS is 1 or 2" >&2; exit 2
fi

say() { printf '%s\n' "lab: $*"; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
# CE number (1, 2, 3): its namespace, its LAN's, its delegated prefix
ce_ns() { case $1 in 1) echo "$NS_CE" ;; 2) echo "$NS_CE2" ;; *) echo "$NS_CE3" ;; esac; }
lan_ns() { case $1 in 1) echo "$NS_LAN" ;; 2) echo "$NS_LAN2" ;; *) echo "$NS_LAN3" ;; esac; }
ce_pd() { case $1 in 1) echo 2001:db8:12:3400::/56 ;; 2) echo 2001:db8:12:d100::/56 ;; *) echo 2001:db8:12:e500::/56 ;; esac; }

link() { # ns1 if1 ns2 if2 (two queues each way, one per worker)
    ip link add "$2" netns "$1" numtxqueues 2 numrxqueues 2 type veth peer name "$4" netns "$3" numtxqueues 2 numrxqueues 2
    nsx "$1" ip link set dev "$2" up
    nsx "$3" ip link set dev "$4" up
}

down() {
    for pidf in "$RUN"/*.pid; do
        [ -f "$pidf" ] || continue
        kill "$(cat "$pidf")" 2>/dev/null
    done
    for pidf in "$RUN"/*.pid; do  # up to 3 s to stop cleanly, then -9 (said)
        [ -f "$pidf" ] || continue
        for _ in $(seq 30); do kill -0 "$(cat "$pidf")" 2>/dev/null || break; sleep 0.1; done
        if kill -9 "$(cat "$pidf")" 2>/dev/null; then
            echo "lab: $(basename "$pidf" .pid) did not stop on SIGTERM within 3 s: killed" >&2
        fi
        rm -f "$pidf"
    done
    # br2, lan3, ce3, lw: also when S46_LAB_BRS or S46_LAB_CE3 changed since up
    for ns in $ALL_NS $LAB_PREFIX-br2 $NS_LAN3 $NS_CE3 $NS_LW $NS_MT $NS_N64; do
        if ip netns list | grep -qw "^$ns"; then
            ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
            ip netns del "$ns" 2>/dev/null
        fi
        rm -rf "/etc/netns/$ns"
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
    link "$NS_AFTR" v6 "$NS_ISP" toaftr
    link "$NS_AFTR" v4 "$NS_INET" eth1
    if [ "$CE3_MECH" != none ]; then
        link "$NS_LAN3" eth0 "$NS_CE3" lan0
        link "$NS_CE3" wan0 "$NS_ISP" toce3
    fi
    if [ "$CE3_MECH" = lw4o6 ]; then
        link "$NS_LW" v6 "$NS_ISP" tolw
        link "$NS_LW" v4 "$NS_INET" eth3
    fi

    for ns in $NS_CE $NS_CE2 $NS_ISP $NS_BR $NS_AFTR; do
        nsx "$ns" sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv4.ip_forward=1
        nsx "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
    done
    for ns in $NS_CE3 $NS_LW; do
        ip netns list | grep -qw "^$ns" || continue
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
    local n
    for n in $CES; do
        local lan ce
        lan=$(lan_ns "$n") ce=$(ce_ns "$n")
        nsx "$lan" ip addr add 192.168.1.2/24 dev eth0
        nsx "$lan" ip addr add 192.168.1.3/24 dev eth0  # a second LAN host (hairpin tests)
        nsx "$lan" ip route add default via 192.168.1.1
        nsx "$ce" ip addr add 192.168.1.1/24 dev lan0
        # the CE's DNS proxy is the LAN hosts' resolver (ip netns exec
        # mounts this file over /etc/resolv.conf)
        mkdir -p "/etc/netns/$lan" && echo "nameserver 192.168.1.1" >"/etc/netns/$lan/resolv.conf"
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
    nsx "$NS_ISP" ip -6 addr add 2001:db8:f0fe::1/64 dev toaftr nodad
    nsx "$NS_AFTR" ip -6 addr add 2001:db8:f0fe::2/64 dev v6 nodad
    nsx "$NS_AFTR" ip -6 route add default via 2001:db8:f0fe::1
    nsx "$NS_ISP" ip -6 route add 2001:db8:fffe::/64 via 2001:db8:f0fe::2
    # delegated prefixes routed to the CEs, the BR address to the BR
    nsx "$NS_ISP" ip -6 route add 2001:db8:12:3400::/56 via 2001:db8:f001::2
    nsx "$NS_ISP" ip -6 route add 2001:db8:12:d100::/56 via 2001:db8:f002::2
    nsx "$NS_ISP" ip -6 route add 2001:db8:ffff::/64 via 2001:db8:f0ff::2
    # ISP services, and subnet 0 of each PD on the CE's LAN side
    nsx "$NS_ISP" ip -6 addr add 2001:db8:f0f0::53/128 dev lo
    nsx "$NS_ISP" ip -6 addr add 2001:db8:f0f0::443/128 dev lo
    nsx "$NS_CE" ip -6 addr add 2001:db8:12:3400::1/64 dev lan0 nodad
    nsx "$NS_CE2" ip -6 addr add 2001:db8:12:d100::1/64 dev lan0 nodad
    # IPv4 Internet
    nsx "$NS_BR" ip addr add 198.51.100.1/24 dev v4
    nsx "$NS_INET" ip addr add 198.51.100.80/24 dev eth0
    nsx "$NS_INET" ip addr add 198.51.100.81/24 dev eth0  # a second address (STUN)
    # CEs that share an IPv4 address (MAP-E) share the kernel's ICMP rate
    # limit per destination: one CE's traceroute must not starve the next's
    nsx "$NS_INET" sysctl -qw net.ipv4.icmp_ratelimit=0
    nsx "$NS_INET" ip route add 192.0.2.0/24 via 198.51.100.1
    nsx "$NS_AFTR" ip addr add 203.0.113.1/25 dev v4
    nsx "$NS_AFTR" ip route add default via 203.0.113.80
    nsx "$NS_INET" ip addr add 203.0.113.80/25 dev eth1
    nsx "$NS_INET" ip route add "$AFTR_POOL" via 203.0.113.1
    nsx "$NS_INET" ip route add 203.0.113.2/32 via 203.0.113.1
    if [ "$CE3_MECH" != none ]; then
        nsx "$NS_ISP" ip -6 addr add 2001:db8:f003::1/64 dev toce3 nodad
        nsx "$NS_CE3" ip -6 addr add 2001:db8:f003::2/64 dev wan0 nodad
        nsx "$NS_CE3" ip -6 route add default via 2001:db8:f003::1
        nsx "$NS_ISP" ip -6 route add "$(ce_pd 3)" via 2001:db8:f003::2
        nsx "$NS_CE3" ip -6 addr add 2001:db8:12:e500::1/64 dev lan0 nodad
    fi
    if [ "$CE3_MECH" = lw4o6 ]; then
        nsx "$NS_ISP" ip -6 addr add 2001:db8:f0fc::1/64 dev tolw nodad
        nsx "$NS_LW" ip -6 addr add 2001:db8:f0fc::2/64 dev v6 nodad
        nsx "$NS_LW" ip -6 route add default via 2001:db8:f0fc::1
        nsx "$NS_ISP" ip -6 route add 2001:db8:fffd::/64 via 2001:db8:f0fc::2
        nsx "$NS_LW" ip addr add 203.0.113.145/29 dev v4
        nsx "$NS_LW" ip route add default via 203.0.113.150
        nsx "$NS_INET" ip addr add 203.0.113.150/29 dev eth3
        nsx "$NS_INET" ip route add "$LW_PREFIX" via 203.0.113.145
    fi
    xlat_topology || return 1
    if [ "$BRS" = 2 ]; then brs_topology || return 1; fi
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
{"version": ${S46_LAB_BR_VERSION:-$ver}, "mesh": false, "br": "2001:db8:ffff::1", "br_ipv4": "198.51.100.3",
 "rules": $rules}
J
    local mape="{\"version\": $ver, \"mesh\": ${S46_LAB_MESH:-false}, \"br\": \"2001:db8:ffff::1\", \"rules\": $rules}"
    local dslite="{\"aftr\": \"$AFTR6\"}"
    local lw4o6="{\"lwaftr\": \"$LW6\", \"ipv6\": \"$(ce_pd 3)\", \"ipv4\": \"$LW_BIND4\", \"psid\": $LW_PSID, \"psid_length\": 6, \"psid_offset\": 0}"
    local n pd
    for n in $CES; do
        pd=$(ce_pd $n)
        if [ "${S46_LAB_CE_MODE:-hb46pp}" = fixed ] && [ "$(ce_mech $n)" != map_e ]; then
            local obj=$lw4o6
            case $(ce_mech $n) in dslite) obj=$dslite ;; map_t) obj=$(xlat_map_t) ;; 464xlat) obj=$(xlat_464xlat) ;; esac
            cat >"$RUN/ce$n.json" <<J
{"prefix": "$pd", "$(ce_mech $n)": $obj,
 "dns_proxy": {"listen": ["192.168.1.1"], "forwarders": ["2001:db8:f0f0::53"]}}
J
        elif [ "${S46_LAB_CE_MODE:-hb46pp}" = fixed ]; then
            cat >"$RUN/ce$n.json" <<J
{"prefix": "$pd", "filter": "${S46_LAB_FILTER:-adf}", "map_e": $mape,
 "dns_proxy": {"listen": ["192.168.1.1"], "forwarders": ["2001:db8:f0f0::53"]}}
J
        else
            cat >"$RUN/ce$n.json" <<J
{"prefix_from": {"interface": "lan0", "length": 56}, "filter": "${S46_LAB_FILTER:-adf}",
 "provisioning": {"resolver": "[2001:db8:f0f0::53]:53", "ca_file": "$RUN/ca.pem",
                  "store": "$RUN/ce$n.store", "waits": {"boot": [0, 0]}},
 "dns_proxy": {"listen": ["192.168.1.1"]}}
J
        fi
    done
    # the VNE's provisioning profiles: every CE of 2001:db8:12::/48 gets the
    # MAP-E rule, but the second CE's prefix (longest match) DS-Lite and the
    # third CE's lw4o6 (its binding), unless S46_LAB_CE2/3 say otherwise
    cat >"$RUN/profile.json" <<J
{"enabler_name": "s46 lab VNE", "service_name": "MAP-E", "ttl": 3600, "order": ["map_e"],
 "map_e": $mape}
J
    cat >"$RUN/profile_dslite.json" <<J
{"enabler_name": "s46 lab VNE", "service_name": "DS-Lite", "ttl": 3600, "order": ["dslite"],
 "dslite": $dslite}
J
    cat >"$RUN/profile_lw4o6.json" <<J
{"enabler_name": "s46 lab VNE", "service_name": "lw4o6", "ttl": 3600, "order": ["lw4o6"],
 "lw4o6": $lw4o6}
J
    xlat_configs
    # the lwAFTR: one binding, the third CE's
    cat >"$RUN/lw.json" <<J
{"lwaftr": {"ipv6": "$LW6", "ipv4": "$LW_V4",
  "bindings": [{"b4": "$LW_B4", "ipv4": "$LW_BIND4", "psid": $LW_PSID, "psid_length": 6, "psid_offset": 0}]}}
J
    # the AFTR: its CGN over a pool of 16 addresses, blocks of 512 ports
    cat >"$RUN/aftr.json" <<J
{"aftr": {"ipv6": "$AFTR6", "ipv4": "203.0.113.2", "pool": ["$AFTR_POOL"],
  "block_size": 512, "max_blocks_per_subscriber": 4, "filtering": "${S46_LAB_FILTER:-adf}",
  "log": {"path": "$RUN/blocks.log"}}}
J
}

# The ISP's DNS server (unbound): a name on the IPv4 Internet for the LAN
# hosts (through the CEs' DNS proxies) and, in HB46PP mode, the records of
# the provisioning side.
dns() {
    local txt=
    if [ "${S46_LAB_CE_MODE:-hb46pp}" != fixed ]; then
        txt=$("$BIN/s46-provd" txt https://prov.isp.example/config --t b) || return 1
    fi
    if xlat_uses 464xlat; then xlat_dns_start || return 1; fi
    {
        s46_unbound_head "$RUN" 2001:db8:f0f0::53
        if xlat_uses 464xlat; then xlat_dns_conf; else cat <<C
  local-zone: "inet.example." static
  local-data: "www.inet.example. 300 IN A 198.51.100.80"
C
        fi
        [ -z "$txt" ] || cat <<C
  local-zone: "4over6.info." static
  local-data: '$txt'
  local-zone: "isp.example." static
  local-data: "prov.isp.example. 300 IN AAAA 2001:db8:f0f0::443"
C
    } >"$RUN/unbound.conf"
    start_bg dns "$NS_ISP" unbound -d -c "$RUN/unbound.conf"
    wait_for "DNS server" nsx "$NS_ISP" kdig +short +timeout=1 @2001:db8:f0f0::53 A www.inet.example
}

# The ISP's provisioning side: a lab CA and certificate for prov.isp.example
# and s46-provd over HTTPS.
provisioning() {
    s46_test_ca "$RUN" prov.isp.example || return 1
    local ce2profile=() n
    for n in $CES; do
        [ "$(ce_mech $n)" = map_e ] || ce2profile+=(--profile "$(ce_pd $n)=$RUN/profile_$(ce_mech $n).json")
    done
    start_bg provd "$NS_ISP" "$BIN/s46-provd" serve --port 443 --tls-cert "$RUN/srv.pem" \
        --tls-key "$RUN/srv.key" --profile 2001:db8:12::/48="$RUN/profile.json" "${ce2profile[@]}" \
        --db "$RUN/provd.db" --ctl "$RUN/provd.sock"
    wait_for "s46-provd" listening "$NS_ISP" 443
}

ce_up() { # ctl socket, mechanism: running
    "$BIN/s46" show --json --ctl "$1" 2>/dev/null | grep -q "\"mechanism\": *\"$2\""
}
ce_mech() { # CE number: the mechanism it runs in the lab
    case $1 in 2) echo "$CE2_MECH" ;; 3) echo "$CE3_MECH" ;; *) echo map_e ;; esac
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

mac() { nsx "$1" cat "/sys/class/net/$2/address"; }

# S46_LAB_IO picks how the daemons move packets: tun (default: the kernel
# routes into TUN devices), afpacket or xdp (the daemons take the frames of
# their veth interfaces: the kernel of the BR's and the CEs' namespaces
# forwards no IPv4, blackhole routes keep it from answering for the BR's
# addresses; AF_XDP also needs full checksums from the veths' local senders)
daemons() {
    local io=${S46_LAB_IO:-tun} r4
    IFS=, read -r _ r4 _ _ <<<"${S46_LAB_RULE:-2001:db8::/40,192.0.2.0/24,16,6}"
    if [ "$io" = tun ]; then
        start_bg br "$NS_BR" "$BIN/s46-br" --config "$RUN/br.json" --tun s46br0 --ctl "$RUN/br.sock"
        wait_for "s46-br" test -S "$RUN/br.sock" || return 1
        nsx "$NS_BR" ip -6 route add 2001:db8:ffff::1/128 dev s46br0
        nsx "$NS_BR" ip route add "$r4" dev s46br0
    else
        nsx "$NS_BR" sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0
        nsx "$NS_BR" ip -6 route add blackhole 2001:db8:ffff::1/128
        nsx "$NS_BR" ip route add blackhole "$r4"
        # a veth hands over its sender's TCP super-packets (TSO/GSO) whole:
        # AF_PACKET takes and sends them as such (virtio header); AF_XDP
        # cannot (frames larger than a UMEM frame, checksums it cannot see
        # are partial), so for it the senders cut them and complete checksums
        if [ "$io" = xdp ]; then
            for x in "$NS_LAN:eth0" "$NS_LAN2:eth0" "$NS_INET:eth0" "$NS_ISP:toce1" "$NS_ISP:toce2" \
                     "$NS_ISP:tobr"; do
                nsx "${x%%:*}" ethtool -K "${x##*:}" tso off gso off tx off >/dev/null
            done
        fi
        start_bg br "$NS_BR" "$BIN/s46-br" --config "$RUN/br.json" --v4-if v4 --v6-if v6 --io "$io" \
            --v4-peer-mac "$(mac "$NS_INET" eth0)" --v6-peer-mac "$(mac "$NS_ISP" tobr)" --ctl "$RUN/br.sock"
        wait_for "s46-br" test -S "$RUN/br.sock" || return 1
    fi
    if [ "$BRS" = 2 ]; then brs_daemons || return 1; fi
    if [ "$io" = tun ]; then
        start_bg aftr "$NS_AFTR" "$BIN/s46-br" --config "$RUN/aftr.json" --tun s46aftr0 --ctl "$RUN/aftr.sock"
        wait_for "AFTR" test -S "$RUN/aftr.sock" || return 1
        nsx "$NS_AFTR" ip -6 route add "$AFTR6"/128 dev s46aftr0
        nsx "$NS_AFTR" ip route add "$AFTR_POOL" dev s46aftr0
        nsx "$NS_AFTR" ip route add 203.0.113.2/32 dev s46aftr0
    else
        nsx "$NS_AFTR" sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0
        nsx "$NS_AFTR" ip -6 route add blackhole "$AFTR6"/128
        nsx "$NS_AFTR" ip route add blackhole "$AFTR_POOL"
        nsx "$NS_AFTR" ip route add blackhole 203.0.113.2/32
        [ "$io" = xdp ] && for x in "$NS_INET:eth1" "$NS_ISP:toaftr"; do
            nsx "${x%%:*}" ethtool -K "${x##*:}" tso off gso off tx off >/dev/null
        done
        start_bg aftr "$NS_AFTR" "$BIN/s46-br" --config "$RUN/aftr.json" --v4-if v4 --v6-if v6 \
            --io "$io" --v4-peer-mac "$(mac "$NS_INET" eth1)" --v6-peer-mac "$(mac "$NS_ISP" toaftr)" \
            --ctl "$RUN/aftr.sock"
        wait_for "AFTR" test -S "$RUN/aftr.sock" || return 1
    fi
    if [ "$CE3_MECH" = lw4o6 ]; then lwaftr "$io" || return 1; fi
    xlat_daemons || return 1
    dns || return 1
    if [ "${S46_LAB_CE_MODE:-hb46pp}" != fixed ]; then
        provisioning || return 1
    fi
    local n ns
    for n in $CES; do
        ns=$(ce_ns $n)
        [ "$io" = xdp ] && [ $n = 3 ] && for x in "$NS_LAN3:eth0" "$NS_ISP:toce3"; do
            nsx "${x%%:*}" ethtool -K "${x##*:}" tso off gso off tx off >/dev/null
        done
        nsx "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
        if [ "$io" = tun ]; then
            # s46-ce routes the LAN's IPv4 and its MAP address into its TUN itself
            start_bg ce$n "$ns" "$BIN/s46-ce" --config "$RUN/ce$n.json" --tun s46ce0 --ctl "$RUN/ce$n.sock"
        else
            nsx "$ns" sysctl -qw net.ipv4.ip_forward=0
            start_bg ce$n "$ns" "$BIN/s46-ce" --config "$RUN/ce$n.json" --lan-if lan0 --wan-if wan0 \
                --io "$io" --workers 2 --wan-peer-mac "$(mac "$NS_ISP" toce$n)" --ctl "$RUN/ce$n.sock"
        fi
        wait_for "s46-ce $n" test -S "$RUN/ce$n.sock" || return 1
    done
    for n in $CES; do
        wait_for "$(ce_mech $n) on CE $n" ce_up "$RUN/ce$n.sock" "$(ce_mech $n)" || return 1
    done
    # the IPv4 Internet: a web server and an iperf3 server
    mkdir -p "$RUN/www"
    echo "Hello from the IPv4 Internet" >"$RUN/www/index.html"
    start_bg web "$NS_INET" /usr/bin/python3 -m http.server 80 --bind 198.51.100.80 --directory "$RUN/www"
    start_bg iperf "$NS_INET" iperf3 -s -B 198.51.100.80
    # "who am I": answers a TCP connection with the address and port it came from
    start_bg whoami "$NS_INET" /usr/bin/python3 -c '
import socketserver
class H(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.sendall(("%s %d\n" % self.client_address).encode())
socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer(("198.51.100.80", 8000), H).serve_forever()'
    wait_for "web server" listening "$NS_INET" 80
    wait_for "whoami server" listening "$NS_INET" 8000
}

# The lwAFTR (s46-br with lw.json) in its namespace, the way the AFTR runs
lwaftr() { # io
    if [ "$1" = tun ]; then
        start_bg lw "$NS_LW" "$BIN/s46-br" --config "$RUN/lw.json" --tun s46lw0 --ctl "$RUN/lw.sock"
        wait_for "lwAFTR" test -S "$RUN/lw.sock" || return 1
        nsx "$NS_LW" ip -6 route add "$LW6"/128 dev s46lw0
        nsx "$NS_LW" ip route add "$LW_PREFIX" dev s46lw0
    else
        nsx "$NS_LW" sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0
        nsx "$NS_LW" ip -6 route add blackhole "$LW6"/128
        nsx "$NS_LW" ip route add blackhole "$LW_PREFIX"
        [ "$1" = xdp ] && for x in "$NS_INET:eth3" "$NS_ISP:tolw"; do
            nsx "${x%%:*}" ethtool -K "${x##*:}" tso off gso off tx off >/dev/null
        done
        start_bg lw "$NS_LW" "$BIN/s46-br" --config "$RUN/lw.json" --v4-if v4 --v6-if v6 \
            --io "$1" --v4-peer-mac "$(mac "$NS_INET" eth3)" --v6-peer-mac "$(mac "$NS_ISP" tolw)" \
            --ctl "$RUN/lw.sock"
        wait_for "lwAFTR" test -S "$RUN/lw.sock" || return 1
    fi
}

up() {
    down
    command -v "$BIN/s46-ce" >/dev/null || { say "build first: make"; return 1; }
    say "building namespaces"
    topology || { down; return 1; }
    write_configs
    rm -f "$RUN"/ce*.store  # the CEs start with nothing stored
    local what="MAP-E BR and DS-Lite AFTR" nce=two
    [ "$CE3_MECH" = lw4o6 ] && what="MAP-E BR, DS-Lite AFTR and lw4o6 lwAFTR"
    [ "$CE3_MECH" != none ] && nce=three
    xlat_uses map_t && what="$what, MAP-T BR"
    xlat_uses 464xlat && what="$what, NAT64"
    what="$what; SIIT-DC"
    say "starting s46-br ($what), DNS, s46-provd and $nce s46-ce (I/O: ${S46_LAB_IO:-tun})"
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
    if [ "${S46_LAB_CE_MODE:-hb46pp}" != fixed ]; then
        step "discovery: the TXT record of 4over6.info (as the CE's resolver serves it)"
        nsx "$NS_CE" kdig +short @2001:db8:f0f0::53 TXT 4over6.info
        step "provisioning: what the CE did (its log, s46 show)"
        grep -E 'HB46PP|discovered|answer|running|provisioning|applied|prefix' "$RUN/ce1.log" | head -n 8
        "$BIN/s46" show --ctl "$RUN/ce1.sock" | grep -E '^provisioning\.(state|server|t|last_outcome|ttl|config_source|running|enabler_name) '
        echo "  s46-provd's side (s46 show --ctl $RUN/provd.sock):"
        "$BIN/s46" show --ctl "$RUN/provd.sock" |
            grep -E '^counters\.(requests|status_200|answered_by_source|tokens_issued) ' | sed 's/^/  /'
        "$BIN/s46" show --ctl "$RUN/ce1.sock" | grep -q '^provisioning.last_outcome *"ok"' &&
            "$BIN/s46" show --ctl "$RUN/provd.sock" | awk -v n="$(wc -w <<<"$CES")" '$1 == "counters.status_200" { ok = $2 >= n } END { exit !ok }'
        result $? "every CE discovered s46-provd and fetched its configuration over HTTPS (t=b)"
    fi
    step "what the CE derived (s46 show)"
    "$BIN/s46" show --ctl "$RUN/ce1.sock" | grep -E '^(mechanism|prefix|ipv4|psid|port_count|ce_ipv6|br|iid|ports) '
    local n lan page want="Hello from the IPv4 Internet"
    for n in $CES; do
        lan=$(lan_ns $n)
        local via="MAP-E (CE -> BR)"
        [ "$(ce_mech $n)" = dslite ] && via="DS-Lite (B4 -> AFTR)"
        [ "$(ce_mech $n)" = lw4o6 ] && via="lw4o6 (lwB4 -> lwAFTR)"
        [ "$(ce_mech $n)" = map_t ] && via="MAP-T (CE -> MAP-T BR)"
        [ "$(ce_mech $n)" = 464xlat ] && via="464XLAT (CLAT -> NAT64)"
        step "LAN $n ($via): HTTP, ping and traceroute to the IPv4 web server"
        page=$(nsx "$lan" curl -s --max-time 10 http://198.51.100.80/)
        echo "$page"
        [ "$page" = "$want" ]; result $? "HTTP from LAN $n through $via"
        nsx "$lan" ping -c 3 -i 0.2 -W 2 198.51.100.80; result $? "ping from LAN $n through $via"
        nsx "$lan" traceroute -n -w 2 -q 1 -m 8 198.51.100.80 | tee "$RUN/traceroute$n.txt"
        grep -Eq '^ *[0-9]+ +198\.51\.100\.80 ' "$RUN/traceroute$n.txt"
        result $? "traceroute from LAN $n reaches the server"
    done
    step "iperf3 (3 s, TCP, LAN 1 -> Internet)"
    nsx "$NS_LAN" iperf3 -c 198.51.100.80 -t 3 -f m >"$RUN/iperf.txt" 2>&1
    local rc=$?
    grep -E 'sender|receiver' "$RUN/iperf.txt"
    [ $rc -eq 0 ]; result $? "iperf3 through the tunnel"
    if [ "$CE2_MECH" = dslite ] || [ "$CE3_MECH" = dslite ]; then
        step "the AFTR (s46 show): its pool, the port blocks of its subscribers"
        "$BIN/s46" show --ctl "$RUN/aftr.sock" | grep -E '^(mechanism|aftr|pool\.(addresses|blocks|subscribers|mappings|sessions)) '
        "$BIN/s46" show --ctl "$RUN/aftr.sock" --json | /usr/bin/python3 -c '
import json, sys
j = json.load(sys.stdin)
for b in j.get("blocks", []):
    print("  block %s ports %d-%d of %s (%d mappings)" % (b["external"], b["first"], b["last"], b["subscriber"], b["mappings"]))
sys.exit(0 if j.get("blocks") else 1)'
        result $? "the AFTR holds a port block for the DS-Lite CE's B4"
    fi
    if [ "$CE3_MECH" = lw4o6 ]; then
        step "the third CE's lwB4 and its binding at the lwAFTR (s46 show)"
        "$BIN/s46" show --ctl "$RUN/ce3.sock" | grep -E '^(mechanism|ipv4|psid|ports|b4|lwaftr) '
        "$BIN/s46" show --ctl "$RUN/lw.sock" | grep -E '^(mechanism|bindings|bytes_per_binding|counters\.(v4_encapsulated|v6_decapsulated)) '
        "$BIN/s46" show --ctl "$RUN/lw.sock" --json | /usr/bin/python3 -c '
import json, sys
c = json.load(sys.stdin)["counters"]
sys.exit(0 if c["v4_encapsulated"] > 0 and c["v6_decapsulated"] > 0 and c["drop_v6_no_binding"] == 0 else 1)'
        result $? "the lwAFTR carried the third CE's traffic both ways through its binding, none unbound"
    fi
    if [ "$CE2_MECH" = map_e ]; then
        step "second CE shares 192.0.2.18 with other ports"
        "$BIN/s46" show --ctl "$RUN/ce2.sock" | grep -E '^(ipv4|psid) '
    fi
    step "traceback: who used this IPv4 address and port just now? (s46 lab trace)"
    local t who b4 want1
    for n in $CES; do
        lan=$(lan_ns $n)
        if [ "$(ce_mech $n)" = lw4o6 ]; then
            echo "LAN $n (lw4o6): its IPv4 address and ports are its binding at the lwAFTR, $LW_BIND4 PSID $LW_PSID -> $LW_B4"
            continue
        fi
        if [ "$(ce_mech $n)" = map_t ]; then
            echo "LAN $n (MAP-T): $MT_CE4 is the MAP-T rule's address of $(ce_pd $n) ($RUN/mapt_br.json)"
            continue
        fi
        if [ "$(ce_mech $n)" = 464xlat ]; then
            echo "LAN $n (464XLAT): the NAT64's port blocks are in $RUN/nat64-blocks.log"
            continue
        fi
        who=$(nsx "$lan" /usr/bin/python3 -c '
import socket
s = socket.create_connection(("198.51.100.80", 8000), timeout=5)
print(s.recv(64).decode().strip())' 2>/dev/null)
        t=$(date -u +%Y-%m-%dT%H:%M:%SZ)
        echo "LAN $n: the server saw $who at $t"
        want1=$(ce_pd $n); want1=${want1%::/56}
        [ "$(ce_mech $n)" = dslite ] && want1=$want1::b4
        [ -n "$who" ] && trace $who "$t" | tee "$RUN/trace$n.txt" | sed 's/^/  /'
        [ -n "$who" ] && grep -q "$want1" "$RUN/trace$n.txt"
        result $? "s46 lab trace $who names CE $n ($want1)"
    done
    step "counters"
    echo "-- CE"; "$BIN/s46" show --ctl "$RUN/ce1.sock" | grep '^counters\.' | grep -v ' 0$'
    echo "-- BR"; "$BIN/s46" show --ctl "$RUN/br.sock" | grep '^counters\.' | grep -v ' 0$'
    if [ "$CE3_MECH" = lw4o6 ]; then
        echo "-- lwAFTR"; "$BIN/s46" show --ctl "$RUN/lw.sock" | grep '^counters\.' | grep -v ' 0$'
    fi
    if [ "$CE2_MECH" = dslite ] || [ "$CE3_MECH" = dslite ]; then
        echo "-- AFTR"; "$BIN/s46" show --ctl "$RUN/aftr.sock" | grep '^counters\.' | grep -v ' 0$'
    fi
    xlat_check
    if [ "$BRS" = 2 ]; then brs_check; fi
    printf '\nlab check: %d ok, %d failed\n' "$ok" "$bad"
    [ "$bad" -eq 0 ]
}

# s46 trace against the lab's own records: the AFTR's port-block log, the
# BR's rules, the provisioning server's database.
trace() { # IPV4 PORT TIME [--json]
    local db=()
    [ -f "$RUN/provd.db" ] && db=(--provd-db "$RUN/provd.db")
    "$BIN/s46" trace "$@" --block-log "$RUN/blocks.log" --rules "$RUN/br.json" "${db[@]}"
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
    trace) shift; [ $# -ge 3 ] || { echo "usage: s46 lab trace IPV4 PORT TIME [--json]" >&2; exit 2; }
        trace "$@" ;;
    *) echo "usage: s46 lab up | check | down | status | run | trace IPV4 PORT TIME [--json]" >&2; exit 2 ;;
esac
