#!/usr/bin/env bash
# s46-provd protocol tests (docs/hb46pp.md, S1-S11, C4-C9) over HTTP and HTTPS.
# Runs the server inside a private network namespace; the CE sources are
# documentation addresses (2001:db8::/32) on that namespace's loopback.
set -u
ROOT=${S46_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=${S46_BIN:-$ROOT/build/bin}
NS=s46t-$$-prov
TMP=$(mktemp -d "${TMPDIR:-/tmp}"/s46-provd.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    { ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null; ip netns del "$NS" 2>/dev/null; }
    rm -rf "$TMP"
}
trap cleanup EXIT
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
ok() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name" "${WHY:-check failed}"; fi; }

if ! ip netns add "$NS" 2>/dev/null; then
    echo "SKIP provd_protocol: cannot create a network namespace"; exit 0
fi
nse() { ip netns exec "$NS" "$@"; }
nse ip link set lo up
for a in 2001:db8:4::10 2001:db8:4:1::10 2001:db8:1::10 2001:db8:1:5::10 2001:db8:2::10 2001:db8:3::10 2001:db8:9::10; do
    nse ip -6 addr add "$a/128" dev lo nodad
done

cat >"$TMP/a.json" <<'J'
{ "enabler_name": "Test VNE", "service_name": "s46 test", "ttl": 3600,
  "order": ["map_e", "dslite", "464xlat"],
  "map_e": { "version": 1, "mesh": true, "br": "2001:db8:ff::1",
    "rules": [ { "ipv6": "2001:db8:1::/48", "ipv4": "203.0.113.0/24", "ea_length": 16, "psid_offset": 4 } ] },
  "dslite": { "aftr": "aftr.example.net" },
  "464xlat": { "nat64prefix": "64:ff9b::/96" },
  "s46_server": { "ttl_jitter": 600 } }
J
cat >"$TMP/a5.json" <<'J'
{ "enabler_name": "Test VNE", "ttl": 600, "order": ["dslite"],
  "dslite": { "aftr": "2001:db8:ff::2" } }
J
HASH=$("$BIN/s46-provd" passwd s3cret-pw)
cat >"$TMP/u.json" <<J
{ "ttl": 600, "order": ["dslite"], "dslite": { "aftr": "aftr.example.net" },
  "s46_server": { "auth_required": true, "users": { "alice": "$HASH" } } }
J
cat >"$TMP/r.json" <<'J'
{ "s46_server": { "redirect": "https://other.example.net/config" } }
J

# Test CA and server certificate (SNI name prov.example.net).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=s46-test-ca -keyout "$TMP/ca.key" -out "$TMP/ca.pem" >/dev/null 2>&1
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=prov.example.net \
    -keyout "$TMP/srv.key" -out "$TMP/srv.csr" >/dev/null 2>&1
printf 'subjectAltName=DNS:prov.example.net\n' >"$TMP/ext"
openssl x509 -req -in "$TMP/srv.csr" -CA "$TMP/ca.pem" -CAkey "$TMP/ca.key" -CAcreateserial \
    -days 2 -extfile "$TMP/ext" -out "$TMP/srv.pem" >/dev/null 2>&1

PROFILES=(--profile 2001:db8:1::/48="$TMP/a.json" --profile 2001:db8:1:5::/64="$TMP/a5.json"
          --profile 2001:db8:3::/48="$TMP/r.json" --profile 2001:db8:4::/48="$TMP/u.json")
# ip netns exec execs the server, so $! is the server's own pid.
ip netns exec "$NS" "$BIN/s46-provd" serve --port 8080 --ctl "$TMP/http.sock" "${PROFILES[@]}" \
    >/dev/null 2>"$TMP/http.log" &
PIDS+=($!)
ip netns exec "$NS" "$BIN/s46-provd" serve --port 8443 --unknown-status 404 --tls-cert "$TMP/srv.pem" \
    --tls-key "$TMP/srv.key" "${PROFILES[@]}" >/dev/null 2>"$TMP/https.log" &
PIDS+=($!)
for _ in $(seq 50); do
    nse curl -s -o /dev/null "http://[::1]:8080/" && break; sleep 0.1
done

Q='vendorid=acde48-v6pc_swg_hgw&product=V6MIG-ROUTER&version=1_32'
# get SRC QUERY -> sets CODE, BODY, HDR
get() {
    local src=$1 q=$2
    CODE=$(nse curl -s -m 5 --interface "$src" -D "$TMP/hdr" -o "$TMP/body" -w '%{http_code}' \
           "http://[::1]:8080/config?$q")
    BODY=$(cat "$TMP/body")
}
gets() {
    local src=$1 q=$2
    CODE=$(nse curl -s -m 5 --interface "$src" --cacert "$TMP/ca.pem" \
           --resolve "prov.example.net:8443:[::1]" -D "$TMP/hdr" -o "$TMP/body" -w '%{http_code}' \
           "https://prov.example.net:8443/config?$q")
    BODY=$(cat "$TMP/body")
}
jq_() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$BODY" "$1" 2>/dev/null; }

get 2001:db8:1::10 "$Q&capability=map_e,dslite,464xlat"
WHY="code $CODE body $BODY"
ok http_200_full_order test "$CODE" = 200 -a "$(jq_ 'd["order"]')" = "['map_e', 'dslite', '464xlat']"
ttl=$(jq_ 'd["ttl"]')
ok ttl_jitter_bounded test "${ttl:-0}" -ge 3600 -a "${ttl:-0}" -le 4200
TOKEN=$(jq_ 'd["token"]')
ok token_issued_64_hex bash -c "[[ '$TOKEN' =~ ^[0-9a-f]{64}$ ]]"

get 2001:db8:1::10 "$Q&capability=dslite%2C464xlat&foo=bar&x"
WHY="code $CODE body $BODY"
ok capability_pct2c_and_unknown_params test "$CODE" = 200 -a "$(jq_ 'd["order"]')" = "['dslite', '464xlat']" \
    -a "$(jq_ '"map_e" in d')" = False

get 2001:db8:1::10 "$Q&capability=map_e,hubspoke"
WHY="code $CODE body $BODY"
ok hubspoke_ce_gets_no_mesh_map_e test "$CODE" = 200 -a "$(jq_ 'd["order"]')" = "[]"
get 2001:db8:1::10 "$Q&capability=map_e,mesh"
ok mesh_ce_gets_mesh_map_e test "$(jq_ 'd["order"]')" = "['map_e']"

get 2001:db8:1::10 "$Q&capability=ipip"
WHY="code $CODE body $BODY"
ok nothing_fits_empty_order test "$CODE" = 200 -a "$(jq_ 'd["order"]')" = "[]"

get 2001:db8:1:5::10 "$Q&capability=map_e,dslite"
WHY="code $CODE body $BODY"
ok longest_prefix_match test "$CODE" = 200 -a "$(jq_ 'd["dslite"]["aftr"]')" = 2001:db8:ff::2

get 2001:db8:2::10 "$Q&capability=map_e"
WHY="code $CODE"
ok unknown_source_403 test "$CODE" = 403
gets 2001:db8:2::10 "$Q&capability=map_e"
WHY="code $CODE"
ok unknown_source_404_configured_https test "$CODE" = 404

get 2001:db8:2::10 "$Q&capability=map_e,dslite&token=$TOKEN"
WHY="code $CODE body $BODY"
ok token_from_other_prefix test "$CODE" = 200 -a "$(jq_ 'd["order"]')" = "['map_e', 'dslite']" \
    -a "$(jq_ 'd["token"]')" = "$TOKEN"

get 2001:db8:2::10 "$Q&capability=map_e&token=$(printf '%064d' 0)"
WHY="code $CODE body $BODY"
ok unknown_token_out_of_scope_empty_order test "$CODE" = 200 -a "$(jq_ 'd["order"]')" = "[]"

get 2001:db8:3::10 "$Q&capability=map_e"
loc=$(tr -d '\r' <"$TMP/hdr" | sed -n 's/^[Ll]ocation: //p')
WHY="code $CODE location $loc"
ok redirect_307 test "$CODE" = 307 -a "$loc" = https://other.example.net/config

get 2001:db8:1::10 "$Q&capability=map_e&capability=dslite&vendorid=zzz"
WHY="code $CODE body $BODY"
ok duplicated_params_first_wins test "$CODE" = 200

bad=0
for q in "vendorid=acde4&product=P&version=1&capability=map_e" \
         "vendorid=acde48&product=P%20Q&version=1&capability=map_e" \
         "vendorid=acde48&product=P&version=1.2&capability=map_e" \
         "vendorid=acde48&product=P&version=1&capability=MAP_E" \
         "vendorid=acde48&product=P&version=1&capability=map_e&token=ABC" \
         "vendorid=acde48&product=P&version=1&capability=map_e&user=u" \
         "vendorid=acde48&product=P&version=1&capability=map_e&user=u&pass=p%C3%A9" \
         "vendorid=acde48&product=%FF%FE&version=1&capability=map_e" \
         "product=P&version=1&capability=map_e"; do
    get 2001:db8:1::10 "$q"
    [ "$CODE" = 400 ] || { bad=1; WHY="$q -> $CODE"; }
done
ok malformed_params_400 test $bad = 0

get 2001:db8:1::10 "$Q&capability=dslite"
ok auth_absent_when_no_users test "$(jq_ '"auth" in d')" = False
get 2001:db8:4::10 "$Q&capability=dslite"
WHY="code $CODE body $BODY"
ok auth_req_without_credentials test "$CODE" = 200 -a "$(jq_ 'd["auth"]')" = req -a "$(jq_ 'd["order"]')" = "[]"
get 2001:db8:4::10 "$Q&capability=dslite&user=alice&pass=wrong"
WHY="code $CODE body $BODY"
ok auth_bad_empty_order test "$CODE" = 200 -a "$(jq_ 'd["auth"]')" = bad -a "$(jq_ 'd["order"]')" = "[]"
get 2001:db8:4::10 "$Q&capability=dslite&user=alice&pass=s3cret-pw"
WHY="code $CODE body $BODY"
ok auth_ok test "$CODE" = 200 -a "$(jq_ 'd["auth"]')" = ok -a "$(jq_ 'd["order"]')" = "['dslite']"
for i in 1 2 3 4 5 6; do get 2001:db8:4:1::10 "$Q&capability=dslite&user=alice&pass=guess$i"; done
get 2001:db8:4:1::10 "$Q&capability=dslite&user=alice&pass=s3cret-pw"
WHY="after 6 failures the /64 still authenticated: $BODY"
ok auth_rate_limited_per_64 test "$(jq_ 'd["auth"]')" = bad
get 2001:db8:4::10 "$Q&capability=dslite&user=alice&pass=s3cret-pw"
WHY="other /64 blocked: $BODY"
ok auth_rate_limit_other_64_unaffected test "$(jq_ 'd["auth"]')" = ok
ok log_scrubs_password bash -c "! grep -q -e s3cret -e guess '$TMP/http.log'"

gets 2001:db8:1::10 "$Q&capability=map_e,dslite"
WHY="code $CODE body $BODY"
ok https_sni_verified_200 test "$CODE" = 200 -a "$(jq_ 'd["order"]')" = "['map_e', 'dslite']"

# HTTP/1.1 keep-alive: three requests (token, first contact, token) over one
# connection, over HTTP and over HTTPS
conns=$(nse curl -s -m 5 --interface 2001:db8:1::10 -o /dev/null -o /dev/null -o /dev/null -w '%{num_connects} ' \
        "http://[::1]:8080/config?$Q&capability=dslite&token=$TOKEN" "http://[::1]:8080/config?$Q&capability=dslite" \
        "http://[::1]:8080/config?$Q&capability=dslite&token=$TOKEN")
WHY="connections opened per request: $conns"
ok http_keepalive_one_connection test "$conns" = "1 0 0 "
conns=$(nse curl -s -m 5 --interface 2001:db8:1::10 --cacert "$TMP/ca.pem" --resolve "prov.example.net:8443:[::1]" \
        -o /dev/null -o /dev/null -w '%{num_connects} ' \
        "https://prov.example.net:8443/config?$Q&capability=dslite" "https://prov.example.net:8443/config?$Q&capability=dslite")
WHY="connections opened per request: $conns"
ok https_keepalive_one_connection test "$conns" = "1 0 "

# TLS parameters the server picks: AES-128-GCM and X25519 first (no
# HelloRetryRequest for a client sending an X25519 key share), yet a client
# that only offers AES-256-GCM or only P-256 is still served.
tls() { echo | nse timeout 5 openssl s_client -connect "[::1]:${PORT:-8443}" -servername prov.example.net \
            -CAfile "$TMP/ca.pem" -verify_return_error -brief "$@" 2>&1; }
OUT=$(tls -groups X25519:P-256)
WHY="$OUT"
ok tls_default_aes128_x25519 bash -c 'grep -q "Ciphersuite: TLS_AES_128_GCM_SHA256" <<<"$1" && grep -q "Temp Key: X25519" <<<"$1"' _ "$OUT"
OUT=$(tls -ciphersuites TLS_AES_256_GCM_SHA384 -groups P-256)
WHY="$OUT"
ok tls_aes256_p256_client_served bash -c 'grep -q "Ciphersuite: TLS_AES_256_GCM_SHA384" <<<"$1" && grep -q "prime256v1" <<<"$1"' _ "$OUT"
OUT=$(tls -tls1_2)
WHY="$OUT"
ok tls12_client_served bash -c 'grep -q "Protocol version: TLSv1.2" <<<"$1" && grep -q "Ciphersuite: ECDHE-ECDSA-AES128-GCM-SHA256" <<<"$1"' _ "$OUT"
ip netns exec "$NS" "$BIN/s46-provd" serve --port 8444 --tls-cert "$TMP/srv.pem" --tls-key "$TMP/srv.key" \
    --tls-priority 'NORMAL:-VERS-ALL:+VERS-TLS1.2' "${PROFILES[@]}" >/dev/null 2>"$TMP/prio.log" &
PIDS+=($!)
for _ in $(seq 50); do nse curl -sk -o /dev/null "https://[::1]:8444/" && break; sleep 0.1; done
OUT=$(PORT=8444 tls)
WHY="$OUT"
ok tls_priority_option_applied grep -q "Protocol version: TLSv1.2" <<<"$OUT"
# Any path (HB46PP: the URL comes from the TXT record): --path serves there
# and nowhere else.
ip netns exec "$NS" "$BIN/s46-provd" serve --port 8446 --path /v6mig/prov/config "${PROFILES[@]}" \
    >/dev/null 2>"$TMP/path.log" &
PIDS+=($!)
for _ in $(seq 50); do nse curl -s -o /dev/null "http://[::1]:8446/" && break; sleep 0.1; done
pc() { nse curl -s -m 5 --interface 2001:db8:1::10 -o /dev/null -w '%{http_code}' "http://[::1]:8446$1?$Q&capability=dslite"; }
c1=$(pc /v6mig/prov/config); c2=$(pc /config)
WHY="configured path $c1, default path $c2"
ok path_option_serves_only_there test "$c1" = 200 -a "$c2" = 404
WHY=
bad_cli() { # NAME ARGS...: exit status 2 and a message naming the problem, no server
    local name=$1; shift
    local out rc
    out=$(timeout 5 "$BIN/s46-provd" serve "$@" --profile 2001:db8:1::/48="$TMP/a.json" 2>&1 >/dev/null); rc=$?
    WHY="rc $rc: $out"
    ok "$name" test "$rc" = 2 -a -n "$out"
}
bad_cli cli_port_zero --port 0
bad_cli cli_port_not_number --port 80x
bad_cli cli_port_too_large --port 65536
bad_cli cli_threads_zero --threads 0
bad_cli cli_unknown_status_405 --unknown-status 405
bad_cli cli_tls_priority_bogus --port 8445 --tls-cert "$TMP/srv.pem" --tls-key "$TMP/srv.key" --tls-priority 'NORMAL:+NO-SUCH-THING'
bad_cli cli_tls_priority_without_cert --port 8445 --tls-priority NORMAL

# Counters (s46 show over the control socket) agree with the request log,
# line for line, for every status and outcome seen above.
"$BIN/s46" show --ctl "$TMP/http.sock" --json >"$TMP/show.json" 2>&1
cnt() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["counters"][sys.argv[2]])' "$TMP/show.json" "$1" 2>/dev/null; }
logn() { grep '^provd src=' "$TMP/http.log" | grep -c -- "$1"; }
WHY="$(head -c 300 "$TMP/show.json")"
ok show_names_the_server python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(d["program"] != "s46-provd" or d["scheme"] != "http" or d["profiles"] != 4)' "$TMP/show.json"
for pair in requests:. status_200:status=200 status_307:status=307 status_400:status=400 \
            status_403:status=403 auth_bad:auth=bad auth_ok:auth=ok auth_req:auth=req \
            answered_by_token:by-token; do
    c=${pair%%:*} pat=${pair#*:}
    WHY="counter $c = $(cnt "$c"), log lines with '$pat' = $(logn "$pat")"
    ok "counter_${c}_matches_log" test "$(cnt "$c")" = "$(logn "$pat")" -a "$(logn "$pat")" -gt 0
done
WHY="logins_rate_limited = $(cnt logins_rate_limited)"
ok counter_logins_rate_limited test "$(cnt logins_rate_limited)" -gt 0
issued=$(grep '^provd src=' "$TMP/http.log" | grep 'status=200 ' | grep ' by-source' | grep -v 'tokhash=- ' | grep -vc 'order=- ')
WHY="tokens_issued = $(cnt tokens_issued), answers by source with a token and an order = $issued"
ok counter_tokens_issued_matches_log test "$(cnt tokens_issued)" = "$issued" -a "$issued" -gt 0
OUT=$("$BIN/s46" show --ctl "$TMP/http.sock")
WHY="$OUT"
ok show_text_lists_counters grep -q '^counters.requests  *[1-9]' <<<"$OUT"

ok log_scrubs_token bash -c "! grep -q '$TOKEN' '$TMP/http.log' '$TMP/https.log'"
ok log_one_line_per_request test "$(grep -c '^provd src=' "$TMP/http.log")" -ge 10

for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
wait 2>/dev/null
exit 0
