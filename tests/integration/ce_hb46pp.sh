#!/usr/bin/env bash
# The HB46PP client of s46-ce (requirement ids: docs/hb46pp.md) against a real DNS server (unbound), a real
# s46-provd (HTTP and HTTPS with a test CA) and a scripted server for the
# answers s46-provd never gives (tests/hb46pp_testserver.py). Every outcome
# of the access sequence is checked through `s46 show`: the state, which
# mechanism runs, and which wait was chosen (each outcome is configured
# with its own distinct wait so the test can tell them apart).
set -u
ROOT=${S46_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=${S46_BIN:-$ROOT/build/bin}
# s46-ce itself runs built with AddressSanitizer and UBSan when that build exists
CEBIN=${S46_ASAN_BIN:-$BIN}
[ -x "$CEBIN/s46-ce" ] || CEBIN=$BIN
PY=/usr/bin/python3
P=s46t$$
CE=$P-hce ISP=$P-hisp
TMP=$(mktemp -d "${TMPDIR:-/tmp}"/s46-hb46pp.XXXXXX)
PIDS=()
CEPID=
cleanup() {
    [ -n "$CEPID" ] && kill -9 "$CEPID" 2>/dev/null
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for ns in "$CE" "$ISP"; do  # servers started through nsi are not in PIDS (their shell is)
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    rm -rf "/etc/netns/$CE"
    [ -n "${S46_KEEP_TMP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT
nsc() { ip netns exec "$CE" "$@"; }
nsi() { ip netns exec "$ISP" "$@"; }
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
check() { # name, condition-command..., with "why" in $why
    local name=$1; shift
    if "$@"; then pass "$name"; else fail "$name" "${why:-condition false}"; fi
}

ip netns add "$CE" 2>/dev/null || { echo "SKIP ce_hb46pp: no netns"; exit 0; }
ip netns add "$ISP"
for ns in $CE $ISP; do
    ip netns exec "$ns" ip link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
ip link add wan0 netns "$CE" type veth peer name toce netns "$ISP"
# pd0 stands for the CE's LAN side holding subnet 0 of its delegated prefix
ip link add pd0 netns "$CE" type veth peer name pd1 netns "$CE"
nsc ip link set wan0 up; nsc ip link set pd0 up; nsc ip link set pd1 up; nsi ip link set toce up
nsc ip -6 addr add 2001:db8:f001::2/64 dev wan0 nodad
nsc ip -6 route add default via 2001:db8:f001::1
nsc ip -6 addr add 2001:db8:12:3400::1/64 dev pd0 nodad
# a lower, deprecated address the CE must not take its prefix from
nsc ip -6 addr add 2001:db8:12:1100::1/64 dev pd0 nodad preferred_lft 0
nsi ip -6 addr add 2001:db8:f001::1/64 dev toce nodad
for a in 53 443 80 8; do nsi ip -6 addr add 2001:db8:f0f0::$a/128 dev lo; done
nsi ip -6 route add 2001:db8:12::/48 via 2001:db8:f001::2
nsi ip -6 route add 2001:db8:77::/48 via 2001:db8:f001::2

# test CA; one server certificate for both server names
. "$ROOT/lab/common.sh"
s46_test_ca "$TMP" prov.s46.test test.s46.test

# DNS: the real discovery name plus one name per test case
txt() { printf "  local-data: '%s. 300 IN TXT \"%s\"'\n" "$1" "$2"; }
{
    s46_unbound_head "$TMP" 2001:db8:f0f0::53
    cat <<C
  local-zone: "4over6.info." static
  local-zone: "s46.test." static
  local-zone: "refused.s46.test." refuse
  local-data: "prov.s46.test. 300 IN AAAA 2001:db8:f0f0::443"
  local-data: "provh.s46.test. 300 IN AAAA 2001:db8:f0f0::80"
  local-data: "test.s46.test. 300 IN AAAA 2001:db8:f0f0::8"
  local-data: "nodata.s46.test. 300 IN A 192.0.2.1"
C
    txt 4over6.info "v=v6mig-1 url=https://prov.s46.test/config t=b"
    txt http.s46.test "v=v6mig-1 url=http://provh.s46.test/config t=a"
    txt badfmt.s46.test "v=v6mig-2 url=https://prov.s46.test/config t=b"
    txt httptb.s46.test "v=v6mig-1 url=http://provh.s46.test/config t=b"
    txt multi.s46.test "v=v6mig-1 url=https://prov.s46.test/config t=b"
    txt multi.s46.test "v=v6mig-1 url=https://test.s46.test:8443/ok t=b"
    txt down.s46.test "v=v6mig-1 url=https://test.s46.test:9/config t=b"
    for p in ok e403 e500 r1 loop1 far0 v4 malformed bigttl empty authbad badtoken norule flip \
             conflict6 conflict4 brmcast brself; do
        txt p-$p.s46.test "v=v6mig-1 url=http://test.s46.test:8080/$p t=a"
    done
    txt creds.s46.test "v=v6mig-1 url=https://test.s46.test:8443/ok t=b"
    txt creds-ta.s46.test "v=v6mig-1 url=https://test.s46.test:8443/ok t=a"
} >"$TMP/unbound.conf"
nsi unbound -d -c "$TMP/unbound.conf" >/dev/null 2>"$TMP/unbound.log" &
PIDS+=($!)
cat >"$TMP/profile.json" <<J
{"enabler_name": "provd VNE", "ttl": 600, "order": ["map_e"],
 "map_e": {"version": 1, "mesh": false, "br": "2001:db8:ffff::1",
           "rules": [{"ipv6": "2001:db8::/40", "ipv4": "192.0.2.0/24", "ea_length": 16, "psid_offset": 6}]}}
J
nsi "$BIN/s46-provd" serve --port 443 --tls-cert "$TMP/srv.pem" --tls-key "$TMP/srv.key" \
    --profile 2001:db8:12::/48="$TMP/profile.json" >/dev/null 2>"$TMP/provd-https.log" &
PIDS+=($!)
nsi "$BIN/s46-provd" serve --port 80 --profile 2001:db8:12::/48="$TMP/profile.json" \
    >/dev/null 2>"$TMP/provd-http.log" &
PIDS+=($!)
nsi $PY "$ROOT/tests/hb46pp_testserver.py" 2001:db8:f0f0::8 8080 "$TMP/req.log" >/dev/null 2>&1 &
PIDS+=($!)
nsi $PY "$ROOT/tests/hb46pp_testserver.py" 2001:db8:f0f0::8 8443 "$TMP/req.log" "$TMP/srv.pem" "$TMP/srv.key" \
    >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do
    nsi kdig +short +timeout=1 @2001:db8:f0f0::53 TXT 4over6.info 2>/dev/null | grep -q v6mig &&
        [ "$(nsi ss -Hltn '( sport = :443 or sport = :80 or sport = :8080 or sport = :8443 )' | grep -c LISTEN)" -ge 4 ] && break
    sleep 0.1
done

# mkconf NAME TXTNAME [extra provisioning members]: a CE settings file
mkconf() {
    local res=${RESOLVER-'"resolver": "[2001:db8:f0f0::53]:53",'} ca=${CA-"\"ca_file\": \"$TMP/ca.pem\","}
    cat >"$TMP/$1.json" <<J
{"prefix_from": {"interface": "pd0", "length": 56},
 "provisioning": {$res "txt_name": "$2",
   $ca "store": "$TMP/$1.store", "timeout": 3,
   "waits": {"boot": [0, 0], "notfound": [1000, 1000], "dns_error": [2000, 2000],
             "no_answer": [3000, 3000], "bad_data": [4000, 4000], "no_ttl": [5000, 5000],
             "min_ttl": ${MIN_TTL:-1}}${3:+, $3}}}
J
}
field() { s46_show_field "$BIN/s46" "$TMP/ce.sock" "$1"; } # dotted path -> value
stop_ce() {
    [ -n "$CEPID" ] || return 0
    kill "$CEPID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$CEPID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$CEPID" 2>/dev/null
    wait "$CEPID" 2>/dev/null
    CEPID=
    ip netns pids "$CE" 2>/dev/null | xargs -r kill -9 2>/dev/null  # nothing may outlive a case
}
# start_ce NAME: runs s46-ce and waits until its first attempt is over
start_ce() {
    stop_ce
    rm -f "$TMP/ce.sock"
    ip netns exec "$CE" "$CEBIN/s46-ce" --config "$TMP/$1.json" --tun hce0 --ctl "$TMP/ce.sock" 2>>"$TMP/$1.log" &
    CEPID=$!
    for _ in $(seq 150); do
        [ "$(field provisioning.attempts)" -ge "${2:-1}" ] 2>/dev/null && [ "$(field provisioning.state)" = waiting ] && return 0
        sleep 0.1
    done
    return 1
}
# expect NAME OUTCOME RUNNING WAIT: checks the CE after its first attempt
expect() {
    local name=$1 outcome=$2 running=$3 wait=$4
    local o r n
    o=$(field provisioning.last_outcome); r=$(field mechanism); n=$(field provisioning.next_attempt_in)
    if [ "$o" = "$outcome" ] && [ "$r" = "$running" ] && [ "$n" -le "$wait" ] && [ "$n" -ge $((wait - 20)) ]; then
        pass "$name"
    else
        fail "$name" "outcome $o (want $outcome), running $r (want $running), next attempt in $n s (want ~$wait); error: $(field provisioning.last_error)"
    fi
}

# --- happy paths -----------------------------------------------------------
mkconf good 4over6.info
# C2: SNI, seen on the access link by tshark
nsi tshark -i toce -f 'tcp port 443' -w "$TMP/tls.pcap" >/dev/null 2>&1 &
TSHARK=$!
for _ in $(seq 50); do [ -s "$TMP/tls.pcap" ] && break; sleep 0.1; done
if start_ce good; then
    sleep 0.5; kill "$TSHARK" 2>/dev/null; wait "$TSHARK" 2>/dev/null
    sni=$(tshark -r "$TMP/tls.pcap" -Y tls.handshake.type==1 -T fields -e tls.handshake.extensions_server_name 2>/dev/null | sort -u | tr '\n' ' ')
    why="ClientHello server names: '$sni'"
    check tls_client_hello_carries_sni [ "$sni" = "prov.s46.test " ]
    expect https_tb_provd_map_e_up ok map_e 600
    why="prefix $(field provisioning.prefix)"
    check prefix_skips_deprecated_address [ "$(field provisioning.prefix)" = 2001:db8:12:3400::/56 ]
    why="ipv4 $(field ipv4) psid $(field psid) ce_ipv6 $(field ce_ipv6)"
    check derived_from_fetched_rule [ "$(field ipv4)" = 192.0.2.18 -a "$(field psid)" = 52 \
        -a "$(field ce_ipv6)" = 2001:db8:12:3400:0:c000:212:34 ]
    why="$(nsc ip -6 route show dev hce0; nsc ip route show dev hce0)"
    check routes_installed_by_ce bash -c "ip netns exec $CE ip -6 route show dev hce0 | grep -q '^2001:db8:12:3400:0:c000:212:34 ' && ip netns exec $CE ip route show dev hce0 | grep -q '^default'"
    why="$(field provisioning.server) t=$(field provisioning.t) source $(field provisioning.config_source)"
    check show_tells_server_and_answer [ "$(field provisioning.server)" = https://prov.s46.test/config \
        -a "$(field provisioning.t)" = b -a "$(field provisioning.ttl)" = 600 -a "$(field provisioning.last_answer)" != null ]
    why=$(head -c 300 "$TMP/good.store")
    check store_written_with_token $PY -c '
import json, re, sys, zlib
raw = open(sys.argv[1], "rb").read()
head, body = raw.split(b"\n", 1)
_, _, crc, n = head.split(b" ")
body = body[:int(n)]
assert int(crc, 16) == zlib.crc32(body)
d = json.loads(body)
assert re.fullmatch("[0-9a-f]{64}", d["token"]) and d["prefix"] == "2001:db8:12:3400::/56"
assert d["response"]["map_e"]["rules"][0]["ipv4"] == "192.0.2.0/24"' "$TMP/good.store"
    why=$(grep -c . "$TMP/provd-https.log")
    check query_as_spec bash -c "grep -q 'vendorid=000000-s46 product=s46-ce version=[0-9_]* token=no user=no status=200' '$TMP/provd-https.log'"
    # token round trip: SIGHUP re-reads the settings and fetches at once, now with the token
    kill -HUP "$CEPID"
    for _ in $(seq 50); do [ "$(field provisioning.attempts)" -ge 2 ] && [ "$(field provisioning.state)" = waiting ] && break; sleep 0.1; done
    why=$(tail -n 2 "$TMP/provd-https.log")
    check token_sent_back bash -c "tail -n 1 '$TMP/provd-https.log' | grep -q 'token=yes .*status=200'"
    # C18: a new End-user prefix, outside every s46-provd profile: the
    # token still identifies the CE, which fetches at once and moves
    nsc ip -6 addr del 2001:db8:12:3400::1/64 dev pd0
    nsc ip -6 addr add 2001:db8:77:5600::1/64 dev pd0 nodad
    for _ in $(seq 50); do [ "$(field ce_ipv6)" = 2001:db8:77:5600:0:c000:277:56 ] && break; sleep 0.1; done
    why="ce_ipv6 $(field ce_ipv6) prefix $(field provisioning.prefix) attempts $(field provisioning.attempts) $(tail -n 1 "$TMP/provd-https.log")"
    check prefix_change_refetches_new_map_address [ "$(field ce_ipv6)" = 2001:db8:77:5600:0:c000:277:56 -a "$(field ipv4)" = 192.0.2.119 ]
    check new_map_address_routed bash -c "ip netns exec $CE ip -6 route show dev hce0 | grep -q '^2001:db8:77:5600:0:c000:277:56 ' && ! ip netns exec $CE ip -6 route show dev hce0 | grep -q '^2001:db8:12:3400:0:c000:212:34 '"
    nsc ip -6 addr del 2001:db8:77:5600::1/64 dev pd0
    nsc ip -6 addr add 2001:db8:12:3400::1/64 dev pd0 nodad
    for _ in $(seq 50); do [ "$(field ce_ipv6)" = 2001:db8:12:3400:0:c000:212:34 ] && [ "$(field provisioning.state)" = waiting ] && break; sleep 0.1; done
    why="$(head -c 200 "$TMP/good.store")"
    check store_follows_prefix grep -q '"prefix":"2001:db8:12:3400::/56"' "$TMP/good.store"
    stop_ce
else
    fail https_tb_provd_map_e_up "no first attempt: $(tail -n 3 "$TMP/good.log")"
fi
cp "$TMP/good.store" "$TMP/stored" 2>/dev/null

mkconf http http.s46.test
start_ce http && expect http_ta_provd_map_e_up ok map_e 600 || fail http_ta_provd_map_e_up "$(tail -n 3 "$TMP/http.log")"

# --- each outcome of the access sequence (a-k) ------------------------------
# name txt-name outcome running-after wait; every CE boots from a good store
# (MAP-E running) so that "keep running" and "disable" can be told apart
while read -r name tname outcome running wait; do
    mkconf "$name" "$tname"
    cp "$TMP/stored" "$TMP/$name.store"
    if start_ce "$name"; then expect "$name" "$outcome" "$running" "$wait"
    else fail "$name" "no attempt: $(tail -n 3 "$TMP/$name.log")"; fi
done <<'T'
nxdomain_disables_1_3h        nx.s46.test        notfound  none   1000
nodata_disables               nodata.s46.test    notfound  none   1000
txt_bad_format_disables       badfmt.s46.test    notfound  none   1000
txt_http_with_tb_disables     httptb.s46.test    notfound  none   1000
txt_two_records_disables      multi.s46.test     notfound  none   1000
dns_refused_keeps_running     refused.s46.test   dns_error map_e  2000
server_down_keeps_running     down.s46.test      no_answer map_e  3000
status_403_keeps_running      p-e403.s46.test    no_answer map_e  3000
status_500_keeps_running      p-e500.s46.test    no_answer map_e  3000
redirect_loop_keeps_running   p-loop1.s46.test   no_answer map_e  3000
redirect_chain_too_long       p-far0.s46.test    no_answer map_e  3000
redirect_to_ipv4_refused      p-v4.s46.test      no_answer map_e  3000
malformed_json_keeps_running  p-malformed.s46.test bad_data map_e 4000
ttl_too_large_keeps_running   p-bigttl.s46.test  bad_data  map_e  4000
order_empty_disables          p-empty.s46.test   empty     none   600
auth_bad_disables             p-authbad.s46.test empty     none   600
no_usable_rule_disables       p-norule.s46.test  empty     none   600
redirect_chain_followed       p-r1.s46.test      ok        map_e  600
malformed_token_dropped_rest_kept p-badtoken.s46.test ok   map_e  600
conflicting_ipv6_keeps_running p-conflict6.s46.test bad_data map_e 4000
conflicting_ports_keeps_running p-conflict4.s46.test bad_data map_e 4000
br_multicast_keeps_running    p-brmcast.s46.test bad_data  map_e  4000
br_own_prefix_keeps_running   p-brself.s46.test  bad_data  map_e  4000
T
# an answer that was not applied leaves the store as it was (the good answer)
for name in conflicting_ipv6_keeps_running conflicting_ports_keeps_running \
            br_multicast_keeps_running br_own_prefix_keeps_running; do
    why="$(head -c 300 "$TMP/$name.store")"
    check "${name}_store_kept" cmp -s "$TMP/stored" "$TMP/$name.store"
done
grep -q "token is not 64 lowercase hex digits: dropped" "$TMP/malformed_token_dropped_rest_kept.log" &&
    pass malformed_token_dropped_logged ||
    fail malformed_token_dropped_logged "$(tail -n 3 "$TMP/malformed_token_dropped_rest_kept.log")"
start_ce dnsdown_prep 2>/dev/null; stop_ce
RESOLVER='"resolver": "[2001:db8:f0f0::99]:53",' mkconf dns_unreachable 4over6.info
cp "$TMP/stored" "$TMP/dns_unreachable.store"
start_ce dns_unreachable && expect dns_unreachable_keeps_running dns_error map_e 2000 ||
    fail dns_unreachable_keeps_running "$(tail -n 3 "$TMP/dns_unreachable.log")"
grep -q 'redirect loop' "$TMP/redirect_loop_keeps_running.log" && pass redirect_loop_named_in_log ||
    fail redirect_loop_named_in_log "$(tail -n 2 "$TMP/redirect_loop_keeps_running.log")"
why=$(grep -c '^/r2 .*vendorid=' "$TMP/req.log")
check redirect_reappends_parameters grep -q '^/ok vendorid=000000-s46&product=s46-ce&version=[0-9_]*&capability=map_e' "$TMP/req.log"
why=$(grep -c '^/far' "$TMP/req.log")
check redirect_hops_bounded_at_5 [ "$(grep -c '^/far' "$TMP/req.log")" -eq 6 ]
mkconf badtoken_check p-badtoken.s46.test
cp "$TMP/stored" "$TMP/badtoken_check.store"
start_ce badtoken_check
why=$($PY -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().split("\n",1)[1]).get("token"))' "$TMP/badtoken_check.store")
check malformed_token_not_kept [ "$why" = "$($PY -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().split("\n",1)[1]).get("token"))' "$TMP/stored")" ]

# --- certificate checks (D2): t=b verifies, t=a does not ------------------------
CA= mkconf tb_untrusted 4over6.info
start_ce tb_untrusted && expect tb_untrusted_certificate_refused no_answer none 3000 ||
    fail tb_untrusted_certificate_refused "$(tail -n 3 "$TMP/tb_untrusted.log")"
grep -qi 'certificate' "$TMP/tb_untrusted.log" && pass tb_untrusted_error_names_certificate ||
    fail tb_untrusted_error_names_certificate "$(tail -n 2 "$TMP/tb_untrusted.log")"
CA= mkconf ta_untrusted creds-ta.s46.test
start_ce ta_untrusted && expect ta_https_without_verification ok map_e 600 ||
    fail ta_https_without_verification "$(tail -n 3 "$TMP/ta_untrusted.log")"
# the system resolver: ip netns exec puts /etc/netns/NS/resolv.conf in place
mkdir -p "/etc/netns/$CE"
echo "nameserver 2001:db8:f0f0::53" >"/etc/netns/$CE/resolv.conf"
RESOLVER= mkconf sysres 4over6.info
start_ce sysres && expect system_resolver_used ok map_e 600 || fail system_resolver_used "$(tail -n 3 "$TMP/sysres.log")"
rm -rf "/etc/netns/$CE"

# --- user/pass only under C10 --------------------------------------------------
: >"$TMP/req.log"
mkconf creds creds.s46.test '"user": "alice", "pass": "s3cret-1", "server_name": "test.s46.test"'
start_ce creds
why=$(cat "$TMP/req.log")
check creds_sent_https_tb_name_match grep -q '^/ok .*&user=alice&pass=s3cret-1' "$TMP/req.log"
: >"$TMP/req.log"
mkconf creds_other creds.s46.test '"user": "alice", "pass": "s3cret-1", "server_name": "prov.s46.test"'
start_ce creds_other
why=$(cat "$TMP/req.log")
check creds_not_sent_other_name bash -c "grep -q '^/ok ' '$TMP/req.log' && ! grep -q 'user=\|pass=' '$TMP/req.log'"
: >"$TMP/req.log"
mkconf creds_ta creds-ta.s46.test '"user": "alice", "pass": "s3cret-1", "server_name": "test.s46.test"'
start_ce creds_ta
why=$(cat "$TMP/req.log")
check creds_not_sent_with_ta bash -c "grep -q '^/ok ' '$TMP/req.log' && ! grep -q 'user=\|pass=' '$TMP/req.log'"
: >"$TMP/req.log"
mkconf creds_noname creds.s46.test '"user": "alice", "pass": "s3cret-1"'
start_ce creds_noname
why=$(cat "$TMP/req.log")
check creds_not_sent_without_server_name bash -c "grep -q '^/ok ' '$TMP/req.log' && ! grep -q 'user=\|pass=' '$TMP/req.log'"
why=$(grep -l 's3cret-1' "$TMP"/*.log | grep -v req.log)
check creds_never_logged [ -z "$why" ]
stop_ce

# --- power loss during store writes; boot from the store -----------------------
MIN_TTL=0 mkconf flip p-flip.s46.test
bad=0
for i in $(seq 15); do
    ip netns exec "$CE" "$CEBIN/s46-ce" --config "$TMP/flip.json" --tun hce0 --ctl "$TMP/ce.sock" 2>>"$TMP/flip.log" &
    CEPID=$!
    sleep "0.$((RANDOM % 9 + 2))"
    kill -9 "$CEPID"; wait "$CEPID" 2>/dev/null; CEPID=
    [ -f "$TMP/flip.store" ] || continue
    $PY -c '
import json, sys, zlib
raw = open(sys.argv[1], "rb").read()
head, body = raw.split(b"\n", 1)
_, _, crc, n = head.split(b" ")
body = body[:int(n)]
assert int(crc, 16) == zlib.crc32(body), "checksum"
r = json.loads(body)["response"]["map_e"]["rules"][0]["ipv4"]
assert r in ("192.0.2.0/24", "198.18.0.0/24"), r' "$TMP/flip.store" 2>>"$TMP/flip.check" || bad=$((bad + 1))
done
writes=$(grep -c '^/flip' "$TMP/req.log")
why="$bad corrupt of 15 kills ($writes answers fetched) $(tail -n 2 "$TMP/flip.check" 2>/dev/null)"
check store_old_or_new_after_kill9 [ "$bad" -eq 0 -a -f "$TMP/flip.store" -a "$writes" -ge 15 ]
mkconf fromstore down.s46.test
cp "$TMP/stored" "$TMP/fromstore.store"
start_ce fromstore
why="running $(field mechanism) source $(field provisioning.config_source) outcome $(field provisioning.last_outcome)"
check boots_from_store_server_down [ "$(field mechanism)" = map_e -a "$(field provisioning.config_source)" = store \
    -a "$(field provisioning.last_outcome)" = no_answer -a "$(field ipv4)" = 192.0.2.18 ]
stop_ce
printf 's46-nvstore 1 0000dead 5\n{"x":' >"$TMP/fromstore.store"
start_ce fromstore
why="running $(field mechanism); log: $(grep -i stored "$TMP/fromstore.log" | tail -n 1)"
check corrupt_store_ignored [ "$(field mechanism)" = none ] && grep -q 'corrupt' "$TMP/fromstore.log"
stop_ce
cp "$TMP/stored" "$TMP/fromstore.store"
why=$(nsc "$CEBIN/s46-ce" --config "$TMP/fromstore.json" --erase 2>&1)
check erase_removes_store [ ! -e "$TMP/fromstore.store" ]
start_ce fromstore
why="running $(field mechanism)"
check erased_boots_unconfigured [ "$(field mechanism)" = none -a "$(field provisioning.config_source)" = none ]
stop_ce
# bad settings are refused with one clear line and exit 2
echo '{"prefix_from": {"interface": "pd0", "length": 56}, "provisioning": {"resolverx": "::1"}}' >"$TMP/bad.json"
out=$("$CEBIN/s46-ce" --config "$TMP/bad.json" 2>&1); rc=$?
why="rc $rc: $out"
check bad_settings_exit_2 [ $rc -eq 2 ] && echo "$out" | grep -q 'provisioning.resolverx: unknown key'
bad=$(grep -l -E 'ERROR: AddressSanitizer|runtime error|LeakSanitizer' "$TMP"/*.log 2>/dev/null | head -3)
why="sanitizer reports in: $bad"
[ -z "$bad" ] && echo "PASS ce_no_sanitizer_reports" || echo "FAIL ce_no_sanitizer_reports: $why $(grep -h -A3 -E 'ERROR: AddressSanitizer|runtime error|LeakSanitizer' $bad | head -8 | tr '\n' ' ')"
exit 0
