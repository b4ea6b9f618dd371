#!/usr/bin/env bash
# s46-provd's tokens (docs/provd.md, Tokens): at most 4 live tokens per
# source /56 (the oldest replaced, in memory and in the database), `token
# prune --unused-since` forgotten by the running server, a token issued on
# a login authenticates without user/pass until `user remove` revokes it,
# tokens_issued vs tokens_held; no 16-hex-digit slice of a token or
# password in any log; and the "on disk before we answer" promises seen
# from outside with strace: an answer carrying a new token is written only
# after an fsync/fdatasync of the database, an admin command exits only
# after one.
set -u
ROOT=${S46_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=${S46_BIN:-$ROOT/build/bin}
P=$BIN/s46-provd
NS=s46t-$$-tok
TMP=$(mktemp -d /tmp/s46-provtok.XXXXXX)
DB=$TMP/prov.db
SPID=
cleanup() {
    [ -n "$SPID" ] && kill "$SPID" 2>/dev/null
    { ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null; ip netns del "$NS" 2>/dev/null; }
    rm -rf "$TMP"
}
trap cleanup EXIT
ok() { local n=$1; shift; if "$@"; then echo "PASS $n"; else echo "FAIL $n: ${WHY:-check failed}"; fi; }
command -v sqlite3 >/dev/null || { echo "SKIP provd_tokens: no sqlite3 CLI"; exit 0; }
command -v strace >/dev/null || { echo "SKIP provd_tokens: no strace"; exit 0; }
ip netns add "$NS" 2>/dev/null || { echo "SKIP provd_tokens: no netns"; exit 0; }
nse() { ip netns exec "$NS" "$@"; }
nse ip link set lo up
for a in 2001:db8:1:100::1 2001:db8:1:100::2 2001:db8:1:200::1 2001:db8:2::1; do
    nse ip -6 addr add "$a/128" dev lo nodad
done
cat >"$TMP/open.json" <<'J'
{ "ttl": 600, "order": ["dslite"], "dslite": { "aftr": "aftr-o.example.net" } }
J
cat >"$TMP/auth.json" <<'J'
{ "ttl": 600, "order": ["dslite"], "dslite": { "aftr": "aftr-u.example.net" },
  "s46_server": { "auth_required": true } }
J
"$P" profile add 2001:db8:1::/48 "$TMP/open.json" --db "$DB" >/dev/null
"$P" profile add 2001:db8:2::/48 "$TMP/auth.json" --db "$DB" >/dev/null
PW=Pw0123456789abcdefABCDEF
"$P" user add alice --password "$PW" --prefix 2001:db8:2::/48 --db "$DB" >/dev/null

# The server under strace: every fsync/fdatasync and every write of an answer.
nse strace -f -qq -e trace=fsync,fdatasync,sendto,sendmsg,writev,write -e signal=none -s 4096 -o "$TMP/strace" \
    "$P" serve --db "$DB" --port 8080 --ctl "$TMP/ctl.sock" >/dev/null 2>"$TMP/srv.log" &
SPID=$!
for _ in $(seq 100); do nse curl -s -o /dev/null "http://[::1]:8080/" && break; sleep 0.1; done
Q='vendorid=acde48&product=P&version=1&capability=dslite'
get() { # SOURCE QUERY: sets CODE, BODY
    CODE=$(nse curl -s -m 5 --interface "$1" -o "$TMP/body" -w '%{http_code}' "http://[::1]:8080/config?$2")
    BODY=$(cat "$TMP/body")
}
jq_() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$BODY" "$1" 2>/dev/null; }
hash_of() { python3 -c 'import hashlib,sys; print(hashlib.blake2b(bytes.fromhex(sys.argv[1]), digest_size=32).hexdigest())' "$1"; }
in_db() { sqlite3 "$DB" "select count(*) from tokens where hash = '$(hash_of "$1")' and revoked = 0"; }
show() { "$BIN/s46" show --ctl "$TMP/ctl.sock" --json 2>/dev/null | python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

# --- at most 4 live tokens per source /56 ------------------------------------
TOKS=()
for i in 1 2 3 4 5 6; do
    src=2001:db8:1:100::1; [ $((i % 2)) = 0 ] && src=2001:db8:1:100::2  # one /56
    get $src "$Q"; TOKS+=("$(jq_ 'd["token"]')")
done
get 2001:db8:1:200::1 "$Q"; OTHER=$(jq_ 'd["token"]')   # another /56
sleep 0.3
get 2001:db8:2::1 "$Q&token=${TOKS[0]}"; WHY="$BODY"
ok oldest_token_replaced test "$(jq_ 'd["order"]')" = "[]"   # unknown token, source outside: S5
get 2001:db8:2::1 "$Q&token=${TOKS[5]}"; WHY="$BODY"
ok newest_token_known test "$(jq_ 'd["token"]')" = "${TOKS[5]}"
WHY="in db: ${TOKS[*]/#/ }"
ok replaced_tokens_gone_from_db test "$(in_db "${TOKS[0]}")" = 0 -a "$(in_db "${TOKS[1]}")" = 0 \
    -a "$(in_db "${TOKS[2]}")" = 1 -a "$(in_db "${TOKS[5]}")" = 1 -a "$(in_db "$OTHER")" = 1
n=$(sqlite3 "$DB" "select count(*) from tokens where owner = '2001:db8:1:100::/56'")
WHY="$n rows for the /56"
ok four_per_source_56 test "$n" = 4
WHY="show: held $(show 'd["tokens_held"]') issued $(show 'd["counters"]["tokens_issued"]') replaced $(show 'd["counters"]["tokens_replaced"]')"
ok issued_vs_held test "$(show 'd["tokens_held"]')" = 5 -a "$(show 'd["counters"]["tokens_issued"]')" = 7 \
    -a "$(show 'd["counters"]["tokens_replaced"]')" = 2

# --- a token issued on a login authenticates; user remove revokes it ----------
get 2001:db8:2::1 "$Q"; WHY="$BODY"
ok auth_required_without_credentials test "$(jq_ 'd["auth"]')" = req -a "$(jq_ 'd["order"]')" = "[]"
get 2001:db8:2::1 "$Q&user=alice&pass=$PW"; AT=$(jq_ 'd["token"]'); WHY="$BODY"
ok login_ok_gets_token test "$(jq_ 'd["auth"]')" = ok -a -n "$AT"
get 2001:db8:1:200::1 "$Q&token=$AT"; WHY="$BODY"
ok token_authenticates_without_credentials test "$(jq_ 'd["auth"]')" = ok \
    -a "$(jq_ 'd["order"]')" = "['dslite']" -a "$(jq_ 'd["dslite"]["aftr"]')" = aftr-u.example.net
ok token_owned_by_subscriber test "$(sqlite3 "$DB" "select owner || ' ' || user from tokens where hash = '$(hash_of "$AT")'")" = "user:alice alice"
"$P" user remove alice --db "$DB" >"$TMP/out"; WHY="$(cat "$TMP/out")"
ok user_remove_says_revoked grep -q 'revoked 1 tokens' "$TMP/out"
for _ in $(seq 50); do   # the server sees the database change within a second
    get 2001:db8:2::1 "$Q&token=$AT"; [ "$(jq_ 'd["order"]')" = "[]" ] && break; sleep 0.1
done
WHY="$BODY"
ok removed_user_token_no_longer_authenticates test "$(jq_ 'd["order"]')" = "[]"

# --- token prune --unused-since: gone from the database and from the server ----
sleep 0.3
cut=$(( $(date +%s) + 1 ))
"$P" token prune --unused-since "$cut" --db "$DB" >"$TMP/out"; WHY="$(cat "$TMP/out")"
ok token_prune_deletes grep -q "^pruned [1-9][0-9]* tokens unused since $cut" "$TMP/out"
for _ in $(seq 50); do
    [ "$(show 'd["tokens_held"]')" = 0 ] && break; sleep 0.1
done
WHY="held $(show 'd["tokens_held"]')"
ok server_forgets_pruned_tokens test "$(show 'd["tokens_held"]')" = 0
get 2001:db8:2::1 "$Q&token=$OTHER"; WHY="$BODY"
ok pruned_token_unknown test "$(jq_ 'd["order"]')" = "[]" -a "$(jq_ 'd.get("token")')" = None

# --- durability seen from outside ---------------------------------------------
# Each answer carrying a new token (its text is in the written buffer) must
# come after an fsync/fdatasync the server made since the token was issued:
# we check that between two answers with new tokens there is a sync.
kill "$SPID"; wait "$SPID" 2>/dev/null; SPID=
python3 - "$TMP/strace" "${TOKS[@]}" "$OTHER" "$AT" >"$TMP/dur" 2>&1 <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
toks = sys.argv[2:]
synced, bad, first = False, [], set()
for l in lines:
    if re.search(r"\b(fsync|fdatasync)\(", l) and re.search(r"= 0$", l):
        synced = True
    elif re.search(r"\b(sendto|sendmsg|writev|write)\(", l):
        new = [t for t in toks if t in l and t not in first]
        if new:  # the first time a token goes out: it was issued just now
            first.update(new)
            if not synced:
                bad.append(new[0][:8])
            synced = False
print("answers with a new token", len(first), "of", len(toks), "unsynced", bad)
sys.exit(1 if bad or len(first) < len(toks) else 0)
PY
rc=$?
WHY="$(cat "$TMP/dur")"
ok new_token_answer_after_fsync test $rc = 0
# Admin transactions: the command syncs before it exits 0.
strace -f -qq -e trace=fsync,fdatasync,exit_group -o "$TMP/strace2" \
    "$P" profile add 2001:db8:7::/48 "$TMP/open.json" --db "$DB" >/dev/null 2>&1; rc=$?
WHY="rc $rc; $(tr '\n' ';' <"$TMP/strace2" | head -c 300)"
ok admin_write_synced_before_exit bash -c "[ $rc = 0 ] && grep -qE '(fsync|fdatasync)\\(.*= 0' '$TMP/strace2' &&
    [ \"\$(grep -nE '(fsync|fdatasync)\\(' '$TMP/strace2' | tail -1 | cut -d: -f1)\" -lt \"\$(grep -n exit_group '$TMP/strace2' | cut -d: -f1)\" ]"

# --- no 16-hex-digit slice of a token or password in any log -------------------
"$P" log --db "$DB" >"$TMP/provlog" 2>&1
python3 - "$PW" "${TOKS[@]}" "$OTHER" "$AT" -- "$TMP/srv.log" "$TMP/provlog" >"$TMP/slices" 2>&1 <<'PY'
import sys
i = sys.argv.index("--")
secrets, files = sys.argv[1:i], sys.argv[i + 1:]
text = "".join(open(f, errors="replace").read() for f in files).lower()
found = []
for s in secrets:
    s = s.lower()
    for k in range(0, len(s) - 15):
        if s[k:k + 16] in text:
            found.append(s[k:k + 16])
            break
print("slices found:", found)
sys.exit(1 if found else 0)
PY
rc=$?
WHY="$(cat "$TMP/slices")"
ok no_secret_slice_in_logs test $rc = 0
exit 0
