#!/usr/bin/env bash
# s46-provd with its database: the admin CLI (round trips, bad input, exit
# codes), reload on SIGHUP and on database change while requests keep
# flowing, tokens across restarts and revocation, subscribers from the
# database, the provisioning log, and crash safety of acknowledged admin
# writes under kill -9. The server runs in a private network namespace; the
# CE sources are documentation addresses on its loopback. The server under
# test is the sanitized build when it exists (a reload bug shows up there).
set -u
ROOT=${S46_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$ROOT/tests/integration/lib/wait.sh"
BIN=${S46_BIN:-$ROOT/build/bin}
SRV=$BIN/s46-provd
[ -x "${S46_ASAN_BIN:-$ROOT/build/asan/bin}/s46-provd" ] && SRV=${S46_ASAN_BIN:-$ROOT/build/asan/bin}/s46-provd
P=$BIN/s46-provd
NS=s46t-$$-store
TMP=$(mktemp -d "${TMPDIR:-/tmp}"/s46-provstore.XXXXXX)
DB=$TMP/prov.db
PIDS=()
SPID=
cleanup() {
    for p in "${PIDS[@]}" $SPID; do kill "$p" 2>/dev/null; done
    { ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null; ip netns del "$NS" 2>/dev/null; }
    rm -rf "$TMP"
}
trap cleanup EXIT
ok() { local n=$1; shift; if "$@"; then echo "PASS $n"; else echo "FAIL $n: ${WHY:-check failed}"; fi; }
command -v sqlite3 >/dev/null || { echo "SKIP provd_store: no sqlite3 CLI"; exit 0; }

cat >"$TMP/a.json" <<'J'
{ "enabler_name": "VNE A", "ttl": 600, "order": ["map_e", "dslite"],
  "map_e": { "version": 1, "mesh": true, "br": "2001:db8:ff::1",
    "rules": [ { "ipv6": "2001:db8:1::/48", "ipv4": "203.0.113.0/24", "ea_length": 16, "psid_offset": 4 } ] },
  "dslite": { "aftr": "aftr-a.example.net" } }
J
cat >"$TMP/b.json" <<'J'
{ "enabler_name": "VNE B", "ttl": 600, "order": ["dslite"], "dslite": { "aftr": "aftr-b.example.net" } }
J
# A captured HB46PP response (token and auth are per CE: import drops them).
cat >"$TMP/resp.json" <<'J'
{ "enabler_name": "VNE C", "ttl": 600, "order": ["dslite"], "dslite": { "aftr": "aftr-c.example.net" },
  "token": "6407aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaf17a", "auth": "ok" }
J
# Impossible rule: IPv4 /24 with 30 EA bits gives a 22-bit PSID.
cat >"$TMP/bad.json" <<'J'
{ "order": ["map_e"], "map_e": { "br": "2001:db8::1",
  "rules": [ { "ipv6": "2001:db8::/40", "ipv4": "192.0.2.0/24", "ea_length": 30, "psid_offset": 6 } ] } }
J
cat >"$TMP/auth.json" <<'J'
{ "ttl": 600, "order": ["dslite"], "dslite": { "aftr": "aftr-u.example.net" },
  "s46_server": { "auth_required": true } }
J
cat >"$TMP/redir.json" <<'J'
{ "s46_server": { "redirect": "https://other.example.net/config" } }
J
echo '{ "order": [' >"$TMP/broken.json"

# run CMD... : sets RC, OUT, ERR (stderr lines counted in ERRN)
run() { "$@" >"$TMP/out" 2>"$TMP/err"; RC=$?; OUT=$(cat "$TMP/out"); ERR=$(cat "$TMP/err"); ERRN=$(wc -l <"$TMP/err"); }
A() { run "$P" "$@" --db "$DB"; }

# --- admin CLI round trips ----------------------------------------------------
A profile add 2001:db8:1::/48 "$TMP/a.json" --name vne-a; WHY="rc $RC $ERR"
ok cli_profile_add test $RC = 0
A profile add 2001:db8:0001:0::/48 "$TMP/b.json"; WHY="rc $RC err $ERR"
ok cli_profile_add_existing_refused test $RC = 2 -a "$ERRN" = 1
A import 2001:db8:3::/48 "$TMP/resp.json"; WHY="rc $RC $ERR"
ok cli_import_response_file test $RC = 0
A profile add 2001:db8:5::/48 "$TMP/redir.json"; WHY="rc $RC $ERR"
ok cli_profile_add_redirect_only test $RC = 0
A profile add 2001:db8:4::/48 "$TMP/auth.json"; WHY="rc $RC $ERR"
ok cli_profile_add_auth test $RC = 0
A profile list; WHY="rc $RC out $OUT"
ok cli_profile_list test $RC = 0 -a "$(echo "$OUT" | grep -c '^2001:db8:')" = 4 \
    -a "$(echo "$OUT" | grep '^2001:db8:1::/48' | grep -c 'name=vne-a.*order=map_e,dslite')" = 1
ok cli_import_dropped_per_ce_fields test "$(sqlite3 "$DB" "select count(*) from profiles where template like '%token%' or template like '%\"auth\"%'")" = 0
A profile add 2001:db8:6::/48 "$TMP/bad.json"; WHY="rc $RC err $ERR"
ok cli_impossible_rule_refused test $RC = 2 -a "$ERRN" = 1 && echo "$ERR" | grep -q 'PSID'
A import 2001:db8:1::/48 "$TMP/bad.json"; WHY="rc $RC err $ERR"
ok cli_import_impossible_rule_refused test $RC = 2 -a "$ERRN" = 1
A profile add 2001:db8:6::1/48 "$TMP/b.json"; WHY="rc $RC err $ERR"
ok cli_bad_prefix test $RC = 2 -a "$ERRN" = 1
A profile add 2001:db8:6::/48 "$TMP/broken.json"; WHY="rc $RC err $ERR"
ok cli_broken_json test $RC = 2 -a "$ERRN" = 1
A profile add 2001:db8:6::/48 "$TMP/nonexistent.json"; WHY="rc $RC err $ERR"
ok cli_missing_file test $RC = 2 -a "$ERRN" = 1
A profile remove 2001:db8:7::/48; WHY="rc $RC err $ERR"
ok cli_profile_remove_not_found test $RC = 1 -a "$ERRN" = 1
A profile add 2001:db8:7::/48 "$TMP/b.json"; A profile remove 2001:db8:7:0::/48; WHY="rc $RC err $ERR"
ok cli_profile_remove test $RC = 0 -a "$(sqlite3 "$DB" "select count(*) from profiles where prefix='2001:db8:7::/48'")" = 0
run "$P" profile list --db "$TMP/none.db"; WHY="rc $RC err $ERR"
ok cli_missing_db_not_created test $RC = 1 -a ! -e "$TMP/none.db"
run "$P" profile list; WHY="rc $RC err $ERR"
ok cli_db_required test $RC = 2 -a "$ERRN" = 1
A profile frobnicate; WHY="rc $RC err $ERR"
ok cli_unknown_command test $RC = 2 -a "$ERRN" = 1
A user add bob --password bob-pw --prefix 2001:db8:4::/48; WHY="rc $RC $ERR"
ok cli_user_add_password_option test $RC = 0
echo carol-pw | "$P" user add carol --db "$DB" >/dev/null 2>&1; RC=$?
ok cli_user_add_password_stdin test $RC = 0
A user add 'b@d' --password x; WHY="rc $RC err $ERR"
ok cli_user_bad_name test $RC = 2 -a "$ERRN" = 1
A user add dave --password 'has space'; WHY="rc $RC err $ERR"
ok cli_user_bad_password test $RC = 2 -a "$ERRN" = 1
A user add dave --password pw --prefix nonsense; WHY="rc $RC err $ERR"
ok cli_user_bad_binding test $RC = 2 -a "$ERRN" = 1
A user list; WHY="$OUT"
ok cli_user_list test $RC = 0 -a "$(echo "$OUT" | grep -c '^bob.*profile=2001:db8:4::/48')" = 1 \
    -a "$(echo "$OUT" | grep -c '^carol.*profile=\*')" = 1
ok cli_user_hash_argon2id test "$(sqlite3 "$DB" "select count(*) from subscribers where hash like '\$argon2id\$%'")" = 2 \
    -a "$(sqlite3 "$DB" "select count(*) from subscribers where hash like '%bob-pw%' or hash like '%carol-pw%'")" = 0
A user remove nobody; WHY="rc $RC err $ERR"
ok cli_user_remove_not_found test $RC = 1 -a "$ERRN" = 1
A token revoke 'xyz!'; WHY="rc $RC err $ERR"
ok cli_token_revoke_bad_input test $RC = 2 -a "$ERRN" = 1
A token revoke abcdef12; WHY="rc $RC err $ERR"
ok cli_token_revoke_not_found test $RC = 1 -a "$ERRN" = 1
A log --since yesterday; WHY="rc $RC err $ERR"
ok cli_log_bad_since test $RC = 2 -a "$ERRN" = 1
run "$P" txt --url https://prov.example.net/config --t b; WHY="$OUT"
ok cli_txt_url_option test "$OUT" = '4over6.info. 300 IN TXT "v=v6mig-1 url=https://prov.example.net/config t=b"'
run "$P" txt https://prov.example.net/config --t b; WHY="$OUT"
ok cli_txt_positional test "$OUT" = '4over6.info. 300 IN TXT "v=v6mig-1 url=https://prov.example.net/config t=b"'
run "$P" txt --url http://prov.example.net/config --t b; WHY="rc $RC"
ok cli_txt_http_needs_t_a test $RC = 2 -a "$ERRN" = 1
ok db_wal_and_schema test "$(sqlite3 "$DB" 'pragma journal_mode')" = wal -a "$(sqlite3 "$DB" 'pragma user_version')" = 4

# --- the server on the database -------------------------------------------------
if ! ip netns add "$NS" 2>/dev/null; then
    echo "SKIP provd_store_server: cannot create a network namespace"; exit 0
fi
nse() { ip netns exec "$NS" "$@"; }
nse ip link set lo up
for a in 2001:db8:1::10 2001:db8:2::10 2001:db8:3::10 2001:db8:4::10 2001:db8:5::10 2001:db8:8::10 2001:db8:9::10; do
    nse ip -6 addr add "$a/128" dev lo nodad
done
cp "$TMP/b.json" "$TMP/file.json"
start() {
    ip netns exec "$NS" "$SRV" serve --db "$DB" --port 8080 --profile 2001:db8:9::/48="$TMP/file.json" \
        --ctl "$TMP/ctl.sock" >/dev/null 2>>"$TMP/srv.log" &
    SPID=$!
    for _ in $(seq 100); do nse curl -s -o /dev/null "http://[::1]:8080/" && return 0; sleep 0.1; done
    return 1
}
Q='vendorid=acde48-v6pc_swg_hgw&product=V6MIG-ROUTER&version=1_32'
get() {
    CODE=$(nse curl -s -m 5 --interface "$1" -o "$TMP/body" -w '%{http_code}' "http://[::1]:8080/config?$2")
    BODY=$(cat "$TMP/body")
}
# hup: SIGHUP, then wait (up to 10 s) for the reload it causes to finish.
hup() {
    local n; n=$(grep -c ': SIGHUP: ' "$TMP/srv.log")
    kill -HUP "$SPID"
    for _ in $(seq 100); do [ "$(grep -c ': SIGHUP: ' "$TMP/srv.log")" -gt "$n" ] && return 0; sleep 0.1; done
    return 1
}
# log_settled: a marker request, then wait (up to 10 s) until its log row is
# in the database; rows are written in order, so every earlier one is too.
log_settled() {
    local m=9_$RANDOM$RANDOM
    nse curl -s -m 5 -o /dev/null "http://[::1]:8080/config?vendorid=acde48&product=MARK&version=$m&capability=dslite"
    wait_for 10 eval '[ "$(sqlite3 "$DB" "select count(*) from provlog where version = '"'$m'"'")" = 1 ]'
}
jq_() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$BODY" "$1" 2>/dev/null; }
aftr() { jq_ 'd.get("dslite",{}).get("aftr","-")'; }

WHY="server did not start: $(tail -3 "$TMP/srv.log" 2>/dev/null)"
ok server_starts_on_db start
get 2001:db8:1::10 "$Q&capability=map_e,dslite"; WHY="$CODE $BODY"
ok served_from_db_profile test "$CODE" = 200 -a "$(aftr)" = aftr-a.example.net
TOKEN=$(jq_ 'd["token"]')
get 2001:db8:3::10 "$Q&capability=dslite"; WHY="$CODE $BODY"
ok served_imported_profile test "$CODE" = 200 -a "$(aftr)" = aftr-c.example.net -a "$(jq_ 'd["token"]')" != 6407aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaf17a
get 2001:db8:5::10 "$Q&capability=dslite"; WHY="$CODE"
ok served_redirect_from_db test "$CODE" = 307
get 2001:db8:9::10 "$Q&capability=dslite"; WHY="$CODE $BODY"
ok profile_file_next_to_db test "$CODE" = 200 -a "$(aftr)" = aftr-b.example.net

# Subscribers from the database: bob is bound to 2001:db8:4::/48, carol to any.
get 2001:db8:4::10 "$Q&capability=dslite"; WHY="$BODY"
ok db_auth_req test "$(jq_ 'd["auth"]')" = req -a "$(jq_ 'd["order"]')" = "[]"
get 2001:db8:4::10 "$Q&capability=dslite&user=bob&pass=bob-pw"; WHY="$BODY"
ok db_user_bound_ok test "$(jq_ 'd["auth"]')" = ok -a "$(jq_ 'd["order"]')" = "['dslite']"
get 2001:db8:4::10 "$Q&capability=dslite&user=carol&pass=carol-pw"; WHY="$BODY"
ok db_user_unbound_ok test "$(jq_ 'd["auth"]')" = ok
get 2001:db8:1::10 "$Q&capability=dslite&user=bob&pass=bob-pw"; WHY="$BODY"
ok db_user_bound_elsewhere_bad test "$(jq_ 'd["auth"]')" = bad
"$P" user remove carol --db "$DB" >/dev/null; hup
get 2001:db8:4::10 "$Q&capability=dslite&user=carol&pass=carol-pw"; WHY="$BODY"
ok db_user_removed_bad_after_reload test "$(jq_ 'd["auth"]')" = bad

# Reload: a changed profile file is served after SIGHUP.
sed 's/aftr-b/aftr-b2/' "$TMP/b.json" >"$TMP/file.json"
hup
get 2001:db8:9::10 "$Q&capability=dslite"; WHY="$CODE $BODY"
ok sighup_reloads_profile_file test "$CODE" = 200 -a "$(aftr)" = aftr-b2.example.net
# An admin write alone is picked up (PRAGMA data_version, checked each second).
"$P" profile add 2001:db8:8::/48 "$TMP/b.json" --db "$DB" >/dev/null
for _ in $(seq 60); do get 2001:db8:8::10 "$Q&capability=dslite"; [ "$CODE" = 200 ] && break; sleep 0.1; done
WHY="$CODE $BODY"
ok admin_write_reloaded_without_signal test "$CODE" = 200 -a "$(aftr)" = aftr-b.example.net

# Requests keep flowing while profiles change and reloads happen: one
# keep-alive connection with 400 requests and 150 fresh connections.
U="http://[::1]:8080/config?$Q&capability=dslite"
for _ in $(seq 400); do printf 'url = "%s"\noutput = "/dev/null"\n' "$U"; done >"$TMP/curl.cfg"
nse curl -s --interface 2001:db8:1::10 -w '%{http_code}\n' -K "$TMP/curl.cfg" >"$TMP/codes1" &
L1=$!
nse bash -c "for i in \$(seq 150); do curl -s -m 5 --interface 2001:db8:8::10 -o /dev/null -w '%{http_code}\n' '$U'; done" >"$TMP/codes2" &
L2=$!
for i in $(seq 8); do
    if [ $((i % 2)) = 1 ]; then f=a.json; else f=b.json; fi
    "$P" import 2001:db8:1::/48 "$TMP/$f" --db "$DB" >/dev/null
    kill -HUP "$SPID"
    sleep 0.15
done
wait $L1 $L2
n200=$(cat "$TMP/codes1" "$TMP/codes2" | grep -c '^200$'); nall=$(cat "$TMP/codes1" "$TMP/codes2" | wc -l)
WHY="$n200 of $nall answered 200 (expected 550)"
ok reload_drops_no_request test "$n200" = 550 -a "$nall" = 550
hup
get 2001:db8:1::10 "$Q&capability=dslite"; WHY="$BODY"
ok reload_serves_last_import test "$(aftr)" = aftr-b.example.net
"$P" import 2001:db8:1::/48 "$TMP/a.json" --db "$DB" >/dev/null; hup

# Tokens: persisted (as hashes) before they are sent, known after a restart
# and after kill -9, from another source prefix; a revoked token no longer
# identifies the CE.
# (A fresh token: the requests above came from the same /56 without one, so
# the first token was replaced by newer ones long ago: tokens.h.)
get 2001:db8:1::10 "$Q&capability=map_e,dslite"; TOKEN=$(jq_ 'd["token"]')
WHY="the log rows were not written within 10 s"
ok log_rows_written log_settled
ok token_stored_as_hash_only bash -c "! grep -qa '$TOKEN' '$DB' '$DB-wal' 2>/dev/null && ! sqlite3 '$DB' .dump | grep -q '$TOKEN'"
A token list; WHY="$OUT"
ok token_listed test "$(echo "$OUT" | grep -c 'profile=2001:db8:1::/48.*live')" -ge 1
# The counters saw every reload this server did (start excluded) and no
# database failure.
"$BIN/s46" show --ctl "$TMP/ctl.sock" --json >"$TMP/show.json" 2>&1
nrel=$(grep -cE ': (SIGHUP|database changed): [0-9]+ profiles' "$TMP/srv.log")
WHY="reloads in the log: $nrel; show: $(tr -d ' \n' <"$TMP/show.json" | head -c 400)"
ok counters_reloads_and_no_db_failure python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["counters"]
sys.exit(not (c["reloads"] == int(sys.argv[2]) > 0 and c["reload_failures"] == 0
              and c["db_write_failures"] == 0 and c["tokens_issued"] > 0))' "$TMP/show.json" "$nrel"
kill "$SPID"; wait "$SPID"; SRC=$?; SPID=
WHY="server exit status $SRC: $(grep -m3 -e ERROR -e SUMMARY "$TMP/srv.log")"
ok server_clean_exit_after_reloads test "$SRC" = 0
start
get 2001:db8:2::10 "$Q&capability=map_e,dslite&token=$TOKEN"; WHY="$CODE $BODY"
ok token_survives_restart_other_prefix test "$CODE" = 200 -a "$(jq_ 'd["order"]')" = "['map_e', 'dslite']" \
    -a "$(jq_ 'd["token"]')" = "$TOKEN"
# A new token is only sent once it is on disk: kill -9 right after the answer.
get 2001:db8:1::10 "$Q&capability=dslite"; T2=$(jq_ 'd["token"]')
kill -9 "$SPID"; wait "$SPID" 2>/dev/null; SPID=
H2=$(python3 -c 'import hashlib,sys; print(hashlib.blake2b(bytes.fromhex(sys.argv[1]), digest_size=32).hexdigest())' "$T2")
WHY="token hash $H2 not in the database after kill -9"
ok token_on_disk_when_answered test "$(sqlite3 "$DB" "select count(*) from tokens where hash = '$H2'")" = 1
start
get 2001:db8:2::10 "$Q&capability=dslite&token=$T2"; WHY="$CODE $BODY"
ok token_survives_kill9 test "$CODE" = 200 -a "$(jq_ 'd["order"]')" = "['dslite']"
HP=$(python3 -c 'import hashlib,sys; print(hashlib.blake2b(bytes.fromhex(sys.argv[1]), digest_size=32).hexdigest()[:12])' "$TOKEN")
A token revoke "$HP"; WHY="rc $RC $OUT $ERR"
ok cli_token_revoke_by_hash_prefix test $RC = 0
ok token_revoked_in_db test "$(sqlite3 "$DB" "select revoked from tokens where hash like '$HP%'")" = 1
# No signal: the server notices the write (data_version) within a second.
for _ in $(seq 50); do
    get 2001:db8:2::10 "$Q&capability=map_e,dslite&token=$TOKEN"
    [ "$(jq_ 'd["order"]')" = "[]" ] && break; sleep 0.1
done
WHY="$CODE $BODY"
ok revoked_token_other_prefix_empty_order test "$CODE" = 200 -a "$(jq_ 'd["order"]')" = "[]"
get 2001:db8:1::10 "$Q&capability=dslite&token=$TOKEN"; WHY="$CODE $BODY"
ok revoked_token_falls_back_to_source test "$CODE" = 200 -a "$(jq_ 'd["token"]')" != "$TOKEN" -a -n "$(jq_ 'd["token"]')"
ID=$(sqlite3 "$DB" "select id from tokens where revoked = 0 limit 1")
A token revoke "$ID"; WHY="rc $RC $OUT $ERR"
ok cli_token_revoke_by_id test $RC = 0 -a "$OUT" = "revoked token $ID"

# The provisioning log.
WHY="the log rows were not written within 10 s"
ok log_rows_written_after_restart log_settled
A log --source 2001:db8:2::/48; WHY="$OUT"
ok log_records_requests test "$(echo "$OUT" | grep -c 'src=2001:db8:2::10')" -ge 3 \
    -a "$(echo "$OUT" | grep -c 'status=200 order=map_e,dslite')" -ge 1
ok log_source_filter test "$(echo "$OUT" | grep -vc 'src=2001:db8:2::10')" = 0
ok log_fields test "$(echo "$OUT" | grep -c 'prefix=2001:db8:1::/48 token=[0-9a-f]\{16\} vendorid=acde48-v6pc_swg_hgw product=V6MIG-ROUTER version=1_32 capability=map_e,dslite status=200')" -ge 1
ok log_records_auth_result test "$(sqlite3 "$DB" "select count(*) from provlog where auth = 'ok'")" -ge 2 \
    -a "$(sqlite3 "$DB" "select count(*) from provlog where status = 307")" -ge 1
A log --since $(( $(date +%s) + 3600 )); WHY="$OUT"
ok log_since_filter test $RC = 0 -a -z "$OUT"
ok log_has_no_secrets bash -c "! sqlite3 '$DB' .dump | grep -q -e '$TOKEN' -e bob-pw -e carol-pw && ! grep -q -e '$TOKEN' -e bob-pw -e carol-pw '$TMP/srv.log'"
# Retention: log prune deletes exactly the rows older than --before, while
# the server keeps logging.
rows() { sqlite3 "$DB" "select count(*) from provlog${1:+ where $1}"; }
total=$(rows)
A log prune --before 2000-01-01; WHY="rc $RC $OUT $ERR"
ok log_prune_old_date_keeps_all test $RC = 0 -a "$OUT" = "pruned 0 log rows older than 946684800" -a "$(rows)" = "$total"
cut=$(( $(date +%s) + 1 )); wait_for 3 eval '[ "$(date +%s)" -ge "$cut" ]'
get 2001:db8:1::10 "$Q&capability=dslite"; log_settled  # rows after the cut
older=$(rows "t_ms < $cut * 1000")
A log prune --before "$cut"; WHY="rc $RC $OUT $ERR (rows older: $older of $total)"
ok log_prune_deletes_older_rows test $RC = 0 -a "$OUT" = "pruned $older log rows older than $cut" \
    -a "$older" -ge "$total" -a "$(rows "t_ms < $cut * 1000")" = 0 -a "$(rows)" -ge 1
A log prune --db "$DB"; WHY="rc $RC $ERR"
ok log_prune_needs_before test $RC = 2 -a "$ERRN" = 1
A log prune --before yesterday; WHY="rc $RC $ERR"
ok log_prune_bad_time_refused test $RC = 2 -a "$ERRN" = 1
A log prune --before 2000-01-01 --since 2000-01-01; WHY="rc $RC $ERR"
ok log_prune_rejects_since test $RC = 2 -a "$ERRN" = 1
kill "$SPID"; wait "$SPID"; SRC=$?; SPID=
WHY="server exit status $SRC"
ok server_clean_exit test "$SRC" = 0

# --- crash safety ---------------------------------------------------------------
# 200 admin writes (profile add / user add alternating), each recorded when
# acknowledged (exit 0), while kill -9 hits the writer processes and the
# server (writing tokens and log rows to the same file) at random moments.
HASH=$("$P" passwd crash-pw)
start
nse bash -c "for i in \$(seq 3000); do curl -s -o /dev/null --interface 2001:db8:1::10 'http://[::1]:8080/config?$Q&capability=dslite'; done" >/dev/null 2>&1 &
PIDS+=($!)
: >"$TMP/acked"; : >"$TMP/cur"
(
    for i in $(seq 200); do
        if [ $((i % 2)) = 0 ]; then
            "$P" profile add "2001:db8:c:$(printf %x "$i")::/64" "$TMP/b.json" --db "$DB" >/dev/null 2>&1 &
            what="profile 2001:db8:c:$(printf %x "$i")::/64"
        else
            "$P" user add "crash$i" --hash "$HASH" --db "$DB" >/dev/null 2>&1 &
            what="user crash$i"
        fi
        echo $! >"$TMP/cur"
        wait $! && echo "$what" >>"$TMP/acked"
    done
) &
W=$!
kills=0
for k in $(seq 12); do
    sleep "0.$((RANDOM % 3))$((RANDOM % 10))"
    c=$(cat "$TMP/cur")
    if [ -n "$c" ] && grep -q s46-provd "/proc/$c/cmdline" 2>/dev/null && kill -9 "$c" 2>/dev/null; then
        kills=$((kills + 1))
    fi
    if [ "$k" = 6 ] && [ -n "$SPID" ]; then kill -9 "$SPID"; wait "$SPID" 2>/dev/null; SPID=; start; fi
done
wait $W
nacked=$(wc -l <"$TMP/acked")
echo "# crash test: $kills writer processes killed, $nacked of 200 writes acknowledged"
ic=$(sqlite3 "$DB" 'pragma integrity_check'); WHY="$ic"
ok crash_integrity_check test "$ic" = ok
"$P" profile list --db "$DB" >"$TMP/plist"; "$P" user list --db "$DB" >"$TMP/ulist"
missing=0
while read -r kind key; do
    if [ "$kind" = profile ]; then grep -q "^$key	" "$TMP/plist" || { missing=$((missing + 1)); echo "# missing $kind $key"; }
    else grep -q "^$key	" "$TMP/ulist" || { missing=$((missing + 1)); echo "# missing $kind $key"; }; fi
done <"$TMP/acked"
WHY="$missing acknowledged writes missing"
ok crash_acknowledged_writes_present test "$missing" = 0 -a "$nacked" -ge 150
WHY="no writer was killed"
ok crash_writers_were_killed test "$kills" -ge 1
ok crash_server_still_serves bash -c "[ \"\$(ip netns exec $NS curl -s -o /dev/null -w '%{http_code}' --interface 2001:db8:1::10 'http://[::1]:8080/config?$Q&capability=dslite')\" = 200 ]"
exit 0
