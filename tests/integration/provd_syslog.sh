#!/usr/bin/env bash
# s46-provd --syslog: one line per request reaches syslog (a datagram socket
# standing in for /dev/log, seen only by the server through a private mount
# namespace), with the request's fields and without token, user or pass.
set -u
ROOT=${S46_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$ROOT/tests/integration/lib/wait.sh"
BIN=${S46_BIN:-$ROOT/build/bin}
NS=s46t-$$-provsl
TMP=$(mktemp -d "${TMPDIR:-/tmp}"/s46-provsl.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; { ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null; ip netns del "$NS" 2>/dev/null; }; rm -rf "$TMP"; }
trap cleanup EXIT
ok() { local n=$1; shift; if "$@"; then echo "PASS $n"; else echo "FAIL $n: ${WHY:-check failed}"; fi; }
ip netns add "$NS" 2>/dev/null || { echo "SKIP provd_syslog: no netns"; exit 0; }
command -v unshare >/dev/null || { echo "SKIP provd_syslog: no unshare"; exit 0; }
nse() { ip netns exec "$NS" "$@"; }
nse ip link set lo up
nse ip -6 addr add 2001:db8:1::10/128 dev lo nodad
HASH=$("$BIN/s46-provd" passwd sl-secret-pw)
cat >"$TMP/a.json" <<J
{ "ttl": 600, "order": ["dslite"], "dslite": { "aftr": "aftr.example.net" },
  "s46_server": { "users": { "slalice": "$HASH" } } }
J
# The syslog stand-in: every datagram becomes one line of $TMP/syslog.
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1])
with open(sys.argv[2], "ab", 0) as f:
    while True: f.write(s.recv(65536).rstrip(b"\0\n") + b"\n")' "$TMP/log.sock" "$TMP/syslog" &
PIDS+=($!)
wait_for 10 test -S "$TMP/log.sock"
# Private mount namespace: an empty /dev whose "log" is our socket.
ip netns exec "$NS" unshare -m bash -c 'mount -t tmpfs none /dev && touch /dev/log &&
    mount --bind "$1" /dev/log && exec "$2" serve --syslog --port 8080 --profile 2001:db8:1::/48="$3"' \
    - "$TMP/log.sock" "$BIN/s46-provd" "$TMP/a.json" >/dev/null 2>"$TMP/stderr" &
PIDS+=($!)
wait_for 10 nse curl -s -o /dev/null "http://[::1]:8080/"
Q='vendorid=acde48&product=SLTEST&version=1_2&capability=dslite'
body=$(nse curl -s --interface 2001:db8:1::10 "http://[::1]:8080/config?$Q&user=slalice&pass=sl-secret-pw")
tok=$(echo "$body" | sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p')
nse curl -s -o /dev/null --interface 2001:db8:1::10 "http://[::1]:8080/config?$Q&token=$tok"
# Both requests' lines reach syslog and stderr (bounded wait).
wait_for 10 eval '[ "$(grep -c "s46-provd\[[0-9]*\]: src=2001:db8:1::10 " "$TMP/syslog" 2>/dev/null)" -ge 2 ] &&
    [ "$(grep -c "^provd src=2001:db8:1::10" "$TMP/stderr")" -ge 2 ]'
WHY="syslog got: $(head -c 400 "$TMP/syslog" 2>/dev/null); stderr: $(tail -2 "$TMP/stderr")"
ok syslog_line_per_request test "$(grep -c 's46-provd\[[0-9]*\]: src=2001:db8:1::10 .*product=SLTEST.*status=200' "$TMP/syslog" 2>/dev/null)" = 2
ok syslog_daemon_info bash -c "grep -q '^<30>' '$TMP/syslog'"
# the login (credentials, no token) and the token standing for it (no credentials)
ok syslog_auth_recorded bash -c "grep -q 'token=no user=yes status=200 prefix=2001:db8:1::/48 capability=dslite tokhash=[0-9a-f]\{16\} order=dslite auth=ok' '$TMP/syslog' &&
    grep -q 'token=yes user=no status=200 prefix=2001:db8:1::/48 capability=dslite tokhash=[0-9a-f]\{16\} order=dslite auth=ok' '$TMP/syslog'"
ok syslog_same_lines_on_stderr test "$(grep -c '^provd src=2001:db8:1::10' "$TMP/stderr")" = 2
WHY="token ${tok:0:8}... or credentials found"
ok syslog_no_secrets bash -c "[ -n '$tok' ] && ! grep -q -e '$tok' -e sl-secret-pw -e slalice '$TMP/syslog' '$TMP/stderr'"
exit 0
