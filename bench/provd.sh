#!/usr/bin/env bash
# s46-provd benchmark (not a test): req/s for a token-identified CE over
# keep-alive HTTP on loopback, with wrk. Partial: no fresh-TLS or herd run yet.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/build/bin
DUR=${DUR:-10}
TMP=$(mktemp -d /tmp/s46-provbench.XXXXXX)
PID=
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; rm -rf "$TMP"' EXIT
cat >"$TMP/a.json" <<'J'
{ "ttl": 600, "order": ["dslite"], "dslite": { "aftr": "aftr.example.net" } }
J
"$BIN/s46-provd" serve --port 18480 --threads 2 --profile ::1/128="$TMP/a.json" >/dev/null 2>/dev/null &
PID=$!
sleep 0.5
Q='vendorid=acde48&product=P&version=1&capability=dslite'
tok=$(curl -s "http://[::1]:18480/config?$Q" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
echo "http keep-alive, token-identified CE, ${DUR}s:"
wrk -t2 -c64 -d"${DUR}s" --latency "http://[::1]:18480/config?$Q&token=$tok" | grep -E 'Requests/sec|50%|99%'
