# The lab's translators (sourced by lab.sh): SIIT-DC always, a MAP-T BR
# when a CE runs MAP-T (S46_LAB_CE2=map_t), a stateful NAT64 with DNS64
# when a CE runs 464XLAT (S46_LAB_CE3=464xlat). All in TUN mode, whatever
# S46_LAB_IO says (the kernel routes into each one's TUN device).
#
#   s46-inet eth4 203.0.113.166/29 -- v4 203.0.113.161 [s46-siit: s46-br siit] v6 2001:db8:6::1/64
#                                          -- eth0 2001:db8:6::80 s46-v6srv (IPv6 only: a web server)
#     EAM 203.0.113.170 <-> 2001:db8:6::80; every other IPv4 address inside
#     pool6 2001:db8:6:64::/96 (RFC 6052), so the server sees the Internet
#     host 203.0.113.166 as 2001:db8:6:64::cb00:71a6.
#   s46-isp tomt 2001:db8:f0fb::1/64 -- v6 ::2 [s46-mt: s46-br map_t] v4 203.0.113.153/29
#                                          -- eth5 203.0.113.158 s46-inet
#     DMR 2001:db8:fff4::/64, FMR 2001:db8:12:d000::/52 -> 203.0.113.208/28,
#     EA 4 (one address per CE: the second CE gets 203.0.113.209)
#   s46-isp ton64 2001:db8:f0fa::1/64 -- v6 ::2 [s46-nat64: s46-br nat64] v4 203.0.113.233/29
#                                          -- eth6 203.0.113.238 s46-inet
#     pool6 2001:db8:46::/96, pool4 203.0.113.224/29; DNS64 in the ISP's
#     unbound with that prefix. unbound answers its local zones before its
#     dns64 module sees them, so with DNS64 on the names of the IPv4
#     Internet (inet.example) and the A records of ipv4only.arpa (RFC 7050)
#     come from a second unbound (2001:db8:f0f0::5353, a stub zone of the
#     first): the AAAA answers are DNS64's own synthesis.
# Functions used by lab.sh: xlat_topology, xlat_configs, xlat_daemons,
# xlat_dns_start, xlat_dns_conf, xlat_check.

NS_SIIT=$LAB_PREFIX-siit NS_V6SRV=$LAB_PREFIX-v6srv NS_MT=$LAB_PREFIX-mt NS_N64=$LAB_PREFIX-nat64
SIIT_EAM4=203.0.113.170 SIIT_SRV6=2001:db8:6::80 SIIT_POOL6=2001:db8:6:64::/96
MT_DMR=2001:db8:fff4::/64 MT_R6=2001:db8:12:d000::/52 MT_R4=203.0.113.208/28 MT_CE4=203.0.113.209
N64_POOL6=2001:db8:46::/96 N64_POOL4=203.0.113.224/29
XLAT_NS="$NS_SIIT $NS_V6SRV"
xlat_uses() { [ "$CE2_MECH" = "$1" ] || [ "$CE3_MECH" = "$1" ]; }
xlat_uses map_t && XLAT_NS="$XLAT_NS $NS_MT"
xlat_uses 464xlat && XLAT_NS="$XLAT_NS $NS_N64"

xlat_router() { # ns: forwards, no DAD
    nsx "$1" sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv4.ip_forward=1
    nsx "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
    nsx "$1" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
}

xlat_topology() {
    # SIIT-DC: the IPv6-only server has no IPv4 address, not even 127.0.0.1
    link "$NS_INET" eth4 "$NS_SIIT" v4
    link "$NS_SIIT" v6 "$NS_V6SRV" eth0
    xlat_router "$NS_SIIT"
    nsx "$NS_V6SRV" ip addr del 127.0.0.1/8 dev lo
    nsx "$NS_INET" ip addr add 203.0.113.166/29 dev eth4
    nsx "$NS_INET" ip route add "$SIIT_EAM4"/32 via 203.0.113.161
    nsx "$NS_SIIT" ip addr add 203.0.113.161/29 dev v4
    nsx "$NS_SIIT" ip -6 addr add 2001:db8:6::1/64 dev v6 nodad
    nsx "$NS_V6SRV" ip -6 addr add "$SIIT_SRV6"/64 dev eth0 nodad
    nsx "$NS_V6SRV" ip -6 route add "$SIIT_POOL6" via 2001:db8:6::1
    if xlat_uses map_t; then
        xlat_center "$NS_MT" tomt eth5 2001:db8:f0fb "$MT_DMR" 203.0.113.153 203.0.113.158 "$MT_R4"
    fi
    if xlat_uses 464xlat; then
        xlat_center "$NS_N64" ton64 eth6 2001:db8:f0fa "$N64_POOL6" 203.0.113.233 203.0.113.238 "$N64_POOL4"
    fi
}

# A translator's namespace between the ISP router and the Internet host:
# NS ISP_IF INET_IF NET6 ROUTE6 ADDR4 GW4 ROUTE4: its v6 side in NET6::/64
# (the ISP at ::1, it at ::2) and ROUTE6 routed to it by the ISP; its v4
# side ADDR4/29 with the Internet host at GW4, which routes ROUTE4 to it.
xlat_center() {
    local ns=$1 ispif=$2 inetif=$3 net6=$4 route6=$5 addr4=$6 gw4=$7 route4=$8
    link "$ns" v6 "$NS_ISP" "$ispif"
    link "$ns" v4 "$NS_INET" "$inetif"
    xlat_router "$ns"
    nsx "$NS_ISP" ip -6 addr add "$net6::1/64" dev "$ispif" nodad
    nsx "$ns" ip -6 addr add "$net6::2/64" dev v6 nodad
    nsx "$ns" ip -6 route add default via "$net6::1"
    nsx "$NS_ISP" ip -6 route add "$route6" via "$net6::2"
    nsx "$ns" ip addr add "$addr4/29" dev v4
    nsx "$ns" ip route add default via "$gw4"
    nsx "$NS_INET" ip addr add "$gw4/29" dev "$inetif"
    nsx "$NS_INET" ip route add "$route4" via "$addr4"
}

# the HB46PP objects of the translation mechanisms (profiles and fixed mode)
xlat_map_t() { echo "{\"dmr\": \"$MT_DMR\", \"rules\": [{\"ipv6\": \"$MT_R6\", \"ipv4\": \"$MT_R4\", \"ea_length\": 4, \"psid_offset\": 6}]}"; }
xlat_464xlat() { # S46_LAB_NAT64PREFIX=discover: no nat64prefix (RFC 7050)
    if [ "${S46_LAB_NAT64PREFIX:-}" = discover ]; then echo '{}'; else echo "{\"nat64prefix\": \"$N64_POOL6\"}"; fi
}

xlat_configs() {
    cat >"$RUN/siit.json" <<J
{"siit": {"pool6": "$SIIT_POOL6", "eam": [{"ipv4": "$SIIT_EAM4", "ipv6": "$SIIT_SRV6"}],
          "ipv4": "203.0.113.171", "ipv6": "2001:db8:6::1"}}
J
    cat >"$RUN/mapt_br.json" <<J
{"map_t": $(xlat_map_t), "br_ipv4": "203.0.113.153"}
J
    cat >"$RUN/nat64.json" <<J
{"nat64": {"pool6": "$N64_POOL6", "pool4": ["$N64_POOL4"], "ipv4": "203.0.113.233",
           "subscriber_prefix": 56, "log": {"path": "$RUN/nat64-blocks.log"}}}
J
    cat >"$RUN/profile_map_t.json" <<J
{"enabler_name": "s46 lab VNE", "service_name": "MAP-T", "ttl": 3600, "order": ["map_t"],
 "map_t": $(xlat_map_t)}
J
    cat >"$RUN/profile_464xlat.json" <<J
{"enabler_name": "s46 lab VNE", "service_name": "464XLAT", "ttl": 3600, "order": ["464xlat"],
 "464xlat": $(xlat_464xlat)}
J
}

xlat_tun() { # name ns config dev routes... (v4 or v6 prefixes into the device)
    local name=$1 ns=$2 conf=$3 dev=$4 r; shift 4
    start_bg "$name" "$ns" "$BIN/s46-br" --config "$conf" --tun "$dev" --ctl "$RUN/$name.sock"
    wait_for "$name" test -S "$RUN/$name.sock" || return 1
    for r in "$@"; do
        case $r in *:*) nsx "$ns" ip -6 route add "$r" dev "$dev" ;; *) nsx "$ns" ip route add "$r" dev "$dev" ;; esac
    done
}

xlat_daemons() {
    xlat_tun siit "$NS_SIIT" "$RUN/siit.json" s46siit0 "$SIIT_EAM4"/32 203.0.113.171/32 "$SIIT_POOL6" || return 1
    if xlat_uses map_t; then
        xlat_tun mt "$NS_MT" "$RUN/mapt_br.json" s46mt0 "$MT_R4" "$MT_DMR" || return 1
    fi
    if xlat_uses 464xlat; then
        xlat_tun nat64 "$NS_N64" "$RUN/nat64.json" s46n64 "$N64_POOL4" "$N64_POOL6" || return 1
    fi
    # the IPv6-only web server: its log names each client's address
    mkdir -p "$RUN/www6"
    echo "Hello from the IPv6-only server" >"$RUN/www6/index.html"
    start_bg web6 "$NS_V6SRV" /usr/bin/python3 -u -m http.server 80 --bind :: --directory "$RUN/www6"
    wait_for "IPv6-only web server" listening "$NS_V6SRV" 80
}

# With DNS64 (a 464XLAT CE): the second unbound (the IPv4 Internet's names
# and ipv4only.arpa) and the lines of the first that use it. Otherwise the
# first serves inet.example itself (lab.sh).
xlat_dns_start() {
    nsx "$NS_ISP" ip -6 addr add 2001:db8:f0f0::5353/128 dev lo
    {
        s46_unbound_head "$RUN" 2001:db8:f0f0::5353
        cat <<C
  local-zone: "inet.example." static
  local-data: "www.inet.example. 300 IN A 198.51.100.80"
  local-zone: "ipv4only.arpa." static
  local-data: "ipv4only.arpa. 300 IN A 192.0.0.170"
  local-data: "ipv4only.arpa. 300 IN A 192.0.0.171"
C
    } >"$RUN/unbound_inet.conf"
    start_bg dns_inet "$NS_ISP" unbound -d -c "$RUN/unbound_inet.conf"
    wait_for "the IPv4 Internet's DNS server" nsx "$NS_ISP" kdig +short +timeout=1 @2001:db8:f0f0::5353 A www.inet.example
}
xlat_dns_conf() {
    cat <<C
  module-config: "dns64 iterator"
  dns64-prefix: $N64_POOL6
  do-not-query-localhost: no
stub-zone:
  name: "inet.example."
  stub-addr: 2001:db8:f0f0::5353
stub-zone:
  name: "ipv4only.arpa."
  stub-addr: 2001:db8:f0f0::5353
server:
C
}

xlat_check() { # result function of check()
    local page
    step "SIIT-DC: the IPv4 Internet host (203.0.113.166) -> $SIIT_EAM4 (EAM) -> the IPv6-only server $SIIT_SRV6"
    page=$(nsx "$NS_INET" curl -s --max-time 10 --interface 203.0.113.166 http://$SIIT_EAM4/)
    echo "$page"
    [ "$page" = "Hello from the IPv6-only server" ]; result $? "HTTP from the IPv4 Internet to the IPv6-only server through SIIT-DC"
    nsx "$NS_INET" ping -c 3 -i 0.2 -W 2 -I 203.0.113.166 "$SIIT_EAM4"; result $? "ping from the IPv4 Internet to the IPv6-only server through SIIT-DC"
    echo "the server's log (its clients):"
    grep -E 'GET / ' "$RUN/web6.log" | tail -n 1 | sed 's/^/  /'
    grep -q '^2001:db8:6:64::cb00:71a6 .*GET / ' "$RUN/web6.log"
    result $? "the IPv6-only server saw the IPv4 host as 2001:db8:6:64::cb00:71a6 (RFC 6052, pool6 $SIIT_POOL6)"
    echo "-- SIIT-DC translator"; "$BIN/s46" show --ctl "$RUN/siit.sock" | grep '^counters\.' | grep -v ' 0$'
    if xlat_uses map_t; then
        step "the MAP-T CE and BR (s46 show)"
        echo "(traceroute: the IPv6 routers between CE and BR, hops 2-4, answer from IPv6 addresses outside"
        echo " the DMR and the rules, which have no IPv4 form: the MAP-T CE drops their errors, so \"*\")"
        "$BIN/s46" show --ctl "$RUN/ce$(xlat_ce map_t).sock" | grep -E '^(mechanism|ipv4|psid|ce_ipv6|dmr) '
        echo "-- MAP-T BR"; "$BIN/s46" show --ctl "$RUN/mt.sock" | grep '^counters\.' | grep -v ' 0$'
        "$BIN/s46" show --ctl "$RUN/mt.sock" --json | /usr/bin/python3 -c '
import json, sys
c = json.load(sys.stdin)["counters"]
sys.exit(0 if c.get("v4_out", 0) > 0 and c.get("v6_out", 0) > 0 else 1)'
        result $? "the MAP-T BR translated the MAP-T CE's traffic both ways"
    fi
    if xlat_uses 464xlat; then
        local n; n=$(xlat_ce 464xlat)
        step "464XLAT: the CLAT of CE $n, DNS64 and the NAT64 (s46 show)"
        "$BIN/s46" show --ctl "$RUN/ce$n.sock" | grep -E '^(mechanism|clat|nat64|prefix)'
        grep -E 'CLAT running' "$RUN/ce$n.log" | tail -n 1
        echo "DNS64 for RFC 7050 (AAAA of ipv4only.arpa at the ISP's resolver):"
        page=$(nsx "$NS_CE3" kdig +short +timeout=2 @2001:db8:f0f0::53 AAAA ipv4only.arpa | sort | tr '\n' ' ')
        echo "  $page"
        [ "$page" = "2001:db8:46::c000:aa 2001:db8:46::c000:ab " ]
        result $? "DNS64 answers ipv4only.arpa with the NAT64 prefix (RFC 7050)"
        echo "DNS64 (AAAA of www.inet.example through the LAN host's resolver, the CE's DNS proxy):"
        page=$(nsx "$(lan_ns $n)" kdig +short +timeout=2 AAAA www.inet.example)
        echo "  $page"
        [ "$page" = 2001:db8:46::c633:6450 ]; result $? "DNS64 synthesizes www.inet.example's AAAA in $N64_POOL6"
        page=$(nsx "$(lan_ns $n)" curl -s --max-time 10 http://www.inet.example/)
        echo "$page"
        [ "$page" = "Hello from the IPv4 Internet" ]; result $? "HTTP by name (www.inet.example) from LAN $n through 464XLAT"
        echo "-- NAT64"; "$BIN/s46" show --ctl "$RUN/nat64.sock" | grep -E '^(counters\.|pool\.)' | grep -v ' 0$'
    fi
}
xlat_ce() { if [ "$CE2_MECH" = "$1" ]; then echo 2; else echo 3; fi; }
