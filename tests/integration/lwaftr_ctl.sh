#!/usr/bin/env bash
# s46-br with an "lwaftr" config: it runs the lwAFTR pipeline; `s46 binding`
# adds, replaces and removes bindings over the control socket; SIGHUP and
# `s46 binding reload` reload the bindings from the config; a bad reload
# keeps the running table. No traffic (the golden tests cover packets).
set -u
cd "$(dirname "$0")/../.."
BIN=${S46_ASAN_BIN:-build/asan/bin}
NS=s46tlw$$
D=$(mktemp -d /tmp/s46-lwctl.XXXXXX)
SOCK=$D/ctl.sock
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    ip netns del "$NS" 2>/dev/null
    rm -rf "$D"
}
trap cleanup EXIT
ok() { echo "PASS lwaftr_ctl_$1"; }
bad() { echo "FAIL lwaftr_ctl_$1: $2"; }
show() { "$BIN/s46" show --ctl "$SOCK" --json; }
field() { show | python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }

cat >"$D/lw.json" <<J
{"lwaftr": {"ipv6": ["2001:db8:ffff::1", "2001:db8:ffff::2"], "ipv4": "203.0.113.1",
  "bindings": [{"b4": "2001:db8:1::2", "ipv4": "192.0.2.1", "psid": 1, "psid_length": 6, "psid_offset": 0}],
  "bindings_file": "b.csv"}}
J
printf '2001:db8:1::3,192.0.2.1,2,6,0,2001:db8:ffff::2\n' >"$D/b.csv"
ip netns add "$NS"
ip netns exec "$NS" "$BIN/s46-br" --config "$D/lw.json" --tun lw0 --workers 2 --ctl "$SOCK" 2>"$D/log" &
pid=$!
for _ in $(seq 300); do [ -S "$SOCK" ] && break; sleep 0.1; done

if [ "$(field '" ".join(map(str, [j["bindings"], j["binding_addresses"], j["stages"]["ipv4"][0], j["stages"]["ipv4"][4]]))' 2>/dev/null)" = "2 1 fast_path binding4" ]; then
    ok starts_as_lwaftr
else
    bad starts_as_lwaftr "$(show 2>&1 | head -c 600) $(cat "$D/log")"
fi

out=$("$BIN/s46" binding --ctl "$SOCK" add 2001:db8:1::9 192.0.2.7 0 0 2>&1)
out2=$("$BIN/s46" binding --ctl "$SOCK" replace 2001:db8:1::8 192.0.2.1 3 6 0 2001:db8:ffff::2 2>&1)
if [ "$(field 'j["bindings"]')" = 4 ] && echo "$out$out2" | grep -q '"ok": true'; then
    ok add_replace
else
    bad add_replace "$out $out2"
fi
out=$("$BIN/s46" binding --ctl "$SOCK" add 2001:db8:1::9 192.0.2.1 4 8 2>&1); rc=$?
out2=$("$BIN/s46" binding --ctl "$SOCK" add 2001:db8:1::9 192.0.2.1 3 6 0 2001:db8:ffff::7 2>&1); rc2=$?
if [ $rc = 1 ] && echo "$out" | grep -q "psid_length 6" && [ $rc2 = 1 ] &&
   echo "$out2" | grep -q "not one of" && [ "$(field 'j["bindings"]')" = 4 ]; then
    ok bad_edits_refused
else
    bad bad_edits_refused "$rc $out / $rc2 $out2"
fi
out=$("$BIN/s46" binding --ctl "$SOCK" remove 192.0.2.7 0 2>&1)
out2=$("$BIN/s46" binding --ctl "$SOCK" remove 192.0.2.7 0 2>&1); rc2=$?
if [ "$(field 'j["bindings"]')" = 3 ] && [ $rc2 = 1 ] && echo "$out2" | grep -q "no such binding"; then
    ok remove
else
    bad remove "$out / $out2"
fi

printf '2001:db8:1::3,192.0.2.1,2,6,0,2001:db8:ffff::2\n2001:db8:1::4,192.0.2.2,0,0\n2001:db8:1::5,192.0.2.3,0,0\n' >"$D/b.csv"
kill -HUP "$pid"
for _ in $(seq 50); do [ "$(field 'j["bindings"]')" = 4 ] && break; sleep 0.1; done
if [ "$(field 'j["bindings"]')" = 4 ]; then ok sighup_reloads; else bad sighup_reloads "$(field 'j["bindings"]') $(tail -3 "$D/log")"; fi

printf '2001:db8:1::3,192.0.2.1,2,6,0,2001:db8:ffff::2\n2001:db8:1::4,192.0.2.1,9,8\n' >"$D/b.csv"
out=$("$BIN/s46" binding --ctl "$SOCK" reload 2>&1); rc=$?
if [ $rc = 1 ] && [ "$(field 'j["bindings"]')" = 4 ]; then ok bad_reload_keeps_table; else bad bad_reload_keeps_table "$rc $out"; fi
printf '2001:db8:1::3,192.0.2.1,2,6,0,2001:db8:ffff::2\n' >"$D/b.csv"
out=$("$BIN/s46" binding --ctl "$SOCK" reload 2>&1)
if echo "$out" | grep -q '"bindings": 2'; then ok reload_command; else bad reload_command "$out"; fi
