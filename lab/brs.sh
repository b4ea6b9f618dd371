# BR redundancy in the lab (S46_LAB_BRS=2), sourced by lab.sh: a second
# MAP-E BR with the same configuration (anycast), FRR (zebra + bgpd) in
# the ISP router, both BRs and the Internet host, ECMP on both sides, and a
# health check per BR (lab/br_watch.sh) that withdraws its announcement.
#
#                 /- tobr  (2001:db8:f0ff::/64) -- s46-br  v4 198.51.100.1 -\
#   s46-isp (IPv6)                                                         br0 of s46-inet
#                 \- tobr2 (2001:db8:f0fd::/64) -- s46-br2 v4 198.51.100.2 -/  198.51.100.80
#
# BGP (documentation AS numbers, RFC 5398): the ISP router AS 64496, the
# BRs AS 64497 (both), the Internet host AS 64498. Each BR announces the BR
# address 2001:db8:ffff::1/128 to the ISP router (IPv6 session) and the
# rule's IPv4 prefix to the Internet host (IPv4 session), with `network`
# and import-check: a prefix is announced only while the BR's namespace
# routes it into the BR's TUN device. The watcher adds those routes while
# s46-br answers on its control socket and deletes them when it stops (a
# killed s46-br also takes its TUN device, and so the routes, with it).
# The ISP router and the Internet host keep both paths (maximum-paths 2)
# and hash flows over them: the ISP router on the inner ports of the
# IPv4-in-IPv6 packets (the CE sets no flow label), the Internet host on
# the ports (L4 hash).
# Only the TUN mode (S46_LAB_IO=tun) is supported.
# Functions used by lab.sh: brs_topology, brs_daemons, brs_check.

NS_BR2=$LAB_PREFIX-br2
FRR=${S46_FRR:-/usr/lib/frr}
IFS=, read -r _ BRS_R4 _ _ <<<"${S46_LAB_RULE:-2001:db8::/40,192.0.2.0/24,16,6}"

brs_topology() {
    link "$NS_BR2" v6 "$NS_ISP" tobr2
    link "$NS_BR2" v4 "$NS_INET" eth2
    nsx "$NS_BR2" sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv4.ip_forward=1
    local i
    for i in v6 v4; do nsx "$NS_BR2" sysctl -qw "net.ipv6.conf.$i.accept_dad=0"; done
    nsx "$NS_ISP" sysctl -qw net.ipv6.conf.tobr2.accept_dad=0
    nsx "$NS_INET" sysctl -qw net.ipv6.conf.eth2.accept_dad=0
    nsx "$NS_ISP" ip -6 addr add 2001:db8:f0fd::1/64 dev tobr2 nodad
    nsx "$NS_BR2" ip -6 addr add 2001:db8:f0fd::2/64 dev v6 nodad
    nsx "$NS_BR2" ip -6 route add default via 2001:db8:f0fd::1
    # the BR address is BGP's now, not a static route to the first BR
    nsx "$NS_ISP" ip -6 route del 2001:db8:ffff::/64 via 2001:db8:f0ff::2
    # the Internet host: both BRs on one IPv4 segment (a bridge of its
    # eth0 and eth2), its addresses moved onto the bridge; the rule's
    # prefix is BGP's
    nsx "$NS_INET" ip route del 192.0.2.0/24 via 198.51.100.1
    nsx "$NS_INET" ip link add br0 type bridge forward_delay 0
    nsx "$NS_INET" ip link set eth0 master br0
    nsx "$NS_INET" ip link set eth2 master br0
    nsx "$NS_INET" ip -4 addr flush dev eth0
    nsx "$NS_INET" ip addr add 198.51.100.80/24 dev br0
    nsx "$NS_INET" ip addr add 198.51.100.81/24 dev br0
    nsx "$NS_INET" ip link set br0 up
    nsx "$NS_BR2" ip addr add 198.51.100.2/24 dev v4
    # ECMP hashes: the ISP router looks into the IPv4-in-IPv6 packets
    # (policy 3, fields: outer addresses and protocol, inner protocol and
    # ports), the Internet host hashes on the ports (policy 1)
    nsx "$NS_ISP" sysctl -qw net.ipv6.fib_multipath_hash_policy=3 net.ipv6.fib_multipath_hash_fields=0x0d07
    nsx "$NS_INET" sysctl -qw net.ipv4.fib_multipath_hash_policy=1
}

# frr_head ROUTER-ID AS: the head of a bgpd configuration
frr_head() {
    cat <<C
log stdout informational
router bgp $2
 bgp router-id $1
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 bgp network import-check
 timers bgp 1 3
C
}
frr_neighbor() { # ADDR AS
    printf ' neighbor %s remote-as %s\n neighbor %s timers connect 1\n neighbor %s advertisement-interval 0\n' \
        "$1" "$2" "$1" "$1"
}

brs_frr_configs() {
    local r4=$1 n v6peer v6addr v4addr
    for n in 1 2; do
        if [ $n = 1 ]; then v6peer=2001:db8:f0ff::1 v4addr=198.51.100.1; else v6peer=2001:db8:f0fd::1 v4addr=198.51.100.2; fi
        mkdir -p "$RUN/frr-br$n"
        {
            frr_head 0.0.1.$n 64497
            frr_neighbor $v6peer 64496
            frr_neighbor 198.51.100.80 64498
            cat <<C
 address-family ipv4 unicast
  network $r4
  neighbor 198.51.100.80 activate
 exit-address-family
 address-family ipv6 unicast
  network 2001:db8:ffff::1/128
  neighbor $v6peer activate
 exit-address-family
C
        } >"$RUN/frr-br$n/bgpd.conf"
    done
    mkdir -p "$RUN/frr-isp" "$RUN/frr-inet"
    {
        frr_head 0.0.0.1 64496
        for v6addr in 2001:db8:f0ff::2 2001:db8:f0fd::2; do frr_neighbor $v6addr 64497; done
        printf ' address-family ipv6 unicast\n  maximum-paths 2\n'
        printf '  neighbor %s activate\n' 2001:db8:f0ff::2 2001:db8:f0fd::2
        printf ' exit-address-family\n'
    } >"$RUN/frr-isp/bgpd.conf"
    {
        frr_head 0.0.0.2 64498
        for v4addr in 198.51.100.1 198.51.100.2; do frr_neighbor $v4addr 64497; done
        printf ' address-family ipv4 unicast\n  maximum-paths 2\n'
        printf '  neighbor %s activate\n' 198.51.100.1 198.51.100.2
        printf ' exit-address-family\n'
    } >"$RUN/frr-inet/bgpd.conf"
    for n in br1 br2 isp inet; do echo "log stdout informational" >"$RUN/frr-$n/zebra.conf"; done
}

# frr_start NAME NS: zebra and bgpd of one router, everything of theirs
# (configuration, pid files, zebra's API socket, the vty sockets vtysh
# talks to) in $RUN/frr-NAME; no vty TCP port; as root (the run directory
# may be one only root can reach) in group frrvty (Debian's FRR wants its
# daemons' user in the group of its vty sockets)
frr_start() {
    local d=$RUN/frr-$1
    start_bg "frr-$1-zebra" "$2" "$FRR/zebra" -f "$d/zebra.conf" -i "$d/zebra.pid" -z "$d/zserv.api" \
        --vty_socket "$d" -u root -g frrvty -P 0 --log stdout
    wait_for "zebra ($1)" test -S "$d/zserv.api" || return 1
    start_bg "frr-$1-bgpd" "$2" "$FRR/bgpd" -f "$d/bgpd.conf" -i "$d/bgpd.pid" -z "$d/zserv.api" \
        --vty_socket "$d" -u root -g frrvty -P 0 --log stdout
    wait_for "bgpd ($1)" test -S "$d/bgpd.vty"
}

# vtysh against one router of the lab: brs_vtysh NAME COMMAND
brs_vtysh() { vtysh --vty_socket "$RUN/frr-$1" -c "$2"; }

# brs_paths NS 4|6 PREFIX: how many next hops the namespace's route has
brs_paths() {
    nsx "$1" ip -"$2" route show "$3" | awk 'NR == 1 && NF { n = 1 } /nexthop/ { m++ } END { print (m > 0 ? m : n + 0) }'
}
brs_has_paths() { [ "$(brs_paths "$1" "$2" "$3")" = "$4" ]; } # NS 4|6 PREFIX N

# brs_watch N: the health check of BR N (1 or 2): lab/br_watch.sh in the
# BR's namespace
brs_watch() {
    local ns=$NS_BR sock=br
    [ "$1" = 2 ] && ns=$NS_BR2 sock=br2
    start_bg "watch-br$1" "$ns" bash "$HERE/br_watch.sh" "$BIN/s46" "$RUN/$sock.sock" s46br0 \
        2001:db8:ffff::1/128 "$BRS_R4"
}

# brs_start_br2: the second s46-br (same configuration as the first)
brs_start_br2() {
    start_bg br2 "$NS_BR2" "$BIN/s46-br" --config "$RUN/br.json" --tun s46br0 --ctl "$RUN/br2.sock"
    wait_for "s46-br 2" test -S "$RUN/br2.sock"
}

brs_daemons() {
    [ -x "$FRR/bgpd" ] || { say "S46_LAB_BRS=2 needs FRR ($FRR/bgpd: apt-get install frr)"; return 1; }
    brs_start_br2 || return 1
    brs_frr_configs "$BRS_R4"
    frr_start isp "$NS_ISP" || return 1
    frr_start inet "$NS_INET" || return 1
    frr_start br1 "$NS_BR" || return 1
    frr_start br2 "$NS_BR2" || return 1
    brs_watch 1
    brs_watch 2
    wait_for "ECMP to the BR address on the ISP router (2 paths)" \
        brs_has_paths "$NS_ISP" 6 2001:db8:ffff::1 2 || return 1
    wait_for "ECMP to $BRS_R4 on the Internet host (2 paths)" \
        brs_has_paths "$NS_INET" 4 "$BRS_R4" 2
}

brs_check() {
    step "BR redundancy: BGP routes (ECMP) and what each BR carried"
    local n
    nsx "$NS_ISP" ip -6 route show 2001:db8:ffff::1
    nsx "$NS_INET" ip route show "$BRS_R4"
    [ "$(brs_paths "$NS_ISP" 6 2001:db8:ffff::1)" = 2 ] && [ "$(brs_paths "$NS_INET" 4 "$BRS_R4")" = 2 ]
    result $? "the ISP router and the Internet host route to both BRs (ECMP)"
    for n in 1 2; do
        local sock=br
        [ $n = 2 ] && sock=br2
        echo "-- BR $n"; "$BIN/s46" show --ctl "$RUN/$sock.sock" | grep -E '^counters\.(v4_encapsulated|v6_decapsulated) '
    done
}
