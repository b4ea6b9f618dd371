#!/usr/bin/env bash
# s46-provd benchmark (not a test), on loopback, with wrk and openssl
# s_time, every part bounded in time:
#  1. token-identified requests/s over keep-alive HTTP;
#  2. a herd after a regional power cut: 100 000 simulated CEs, each one a
#     distinct token (pre-provisioned in the database, as CEs that stored
#     their token would send it), every request carrying the next token, for
#     at most one minute (HERD_DUR, default 60 s): it prints how many
#     distinct CEs were answered (by token) in that time and p50/p99
#     latency; all from ::1 (distinct source addresses are not simulated);
#  3. first contact: CEs without a token, each answered with a new token
#     once it is on disk (group commit: one fsync per batch);
#  4. fresh TLS handshakes per second: 4 parallel `openssl s_time -new`
#     clients, each a new TCP connection, a full TLS handshake (ECDSA P-256
#     certificate, no session resumption) and one GET; the clients share the
#     cores with the server, so this is a lower bound (wrk cannot be used:
#     it sends the URL's IPv6 literal as SNI, which RFC 6066 forbids and
#     GnuTLS answers by aborting the handshake).
# The server runs with --db (tokens and the provisioning log are written).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/build/bin
DUR=${DUR:-10}
HERD_DUR=${HERD_DUR:-60}
[ "$HERD_DUR" -gt 60 ] && HERD_DUR=60
TMP=$(mktemp -d /tmp/s46-provbench.XXXXXX)
PID=
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; rm -rf "$TMP"' EXIT
cat >"$TMP/a.json" <<'J'
{ "ttl": 600, "order": ["dslite"], "dslite": { "aftr": "aftr.example.net" } }
J
DB=$TMP/prov.db
"$BIN/s46-provd" profile add ::1/128 "$TMP/a.json" --db "$DB" >/dev/null || exit 1
echo "s46-provd: generating 100000 tokens for the herd..."
python3 - "$TMP/tokens" "$TMP/tokens.sql" <<'PY'
import hashlib, os, sys, time
now = int(time.time())
with open(sys.argv[1], "w") as t, open(sys.argv[2], "w") as s:
    s.write("BEGIN;\n")
    for i in range(100000):
        raw = os.urandom(32)
        t.write(raw.hex() + "\n")
        h = hashlib.blake2b(raw, digest_size=32).hexdigest()
        s.write(f"INSERT INTO tokens (hash, prefix, created, last_seen) VALUES ('{h}', '::1/128', {now}, {now});\n")
    s.write("COMMIT;\n")
PY
sqlite3 "$DB" <"$TMP/tokens.sql" || exit 1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
    -keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1

serve() { # extra args...
    "$BIN/s46-provd" serve --port 18480 --threads 2 --db "$DB" "$@" >/dev/null 2>"$TMP/srv.log" &
    PID=$!
    for _ in $(seq 100); do curl -sk -o /dev/null "$SCHEME://[::1]:18480/" && return 0; sleep 0.1; done
    echo "s46-provd did not start"; exit 1
}
stop() { kill $PID; wait $PID 2>/dev/null; PID=; }
# CPU seconds the server has used so far (user + system)
cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$PID/stat"; }
Q='vendorid=acde48&product=P&version=1&capability=dslite'
pct() { grep -E 'Requests/sec|^ +50%|^ +99%' | sed 's/^ */  /'; }

SCHEME=http serve
tok=$(head -1 "$TMP/tokens")
echo "1. http keep-alive, one token-identified CE, ${DUR}s, 48 connections:"
c0=$(cpu)
wrk -t2 -c48 -d"${DUR}s" --latency "http://[::1]:18480/config?$Q&token=$tok" >"$TMP/wrk1"
c1=$(cpu)
pct <"$TMP/wrk1"
awk -v cpu="$(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }')" -v d="$DUR" '/^Requests\/sec/ { n = $2 * d;
    if (cpu > 0) printf "  server CPU %.2f s: %.1f us per request, so %.0f req/s on 2 cores for the server alone\n",
                        cpu, cpu * 1e6 / n, 2 * n / cpu }' "$TMP/wrk1"

echo "2. herd: 100000 distinct CEs by token, keep-alive, ${HERD_DUR}s, 48 connections:"
HERD_TOKENS=$TMP/tokens wrk -t2 -c48 -d"${HERD_DUR}s" -s "$ROOT/bench/provd_herd.lua" \
    "http://[::1]:18480/config" -- "$TMP/tokens" 2 "/config?$Q" |
    grep -E '^  [0-9]+ requests in [0-9.]+ s \(|^  latency p50'
echo "  (a few read errors are the per-address connection limit, 64, met when wrk reconnects)"
before=$(sqlite3 "$DB" 'select count(*) from tokens')
echo "3. first contact: CEs without a token (each answered once its new token is on disk), ${DUR}s:"
wrk -t2 -c48 -d"${DUR}s" --latency "http://[::1]:18480/config?$Q" | pct
stop
echo "  tokens persisted during the run: $(( $(sqlite3 "$DB" 'select count(*) from tokens') - before ))"
echo "  provisioning log rows: $(sqlite3 "$DB" 'select count(*) from provlog')," \
     "log rows dropped (queue full): $(grep -o 'queue full: [0-9]*' "$TMP/srv.log" | awk '{s+=$3} END {print s+0}')"

SCHEME=https serve --tls-cert "$TMP/cert.pem" --tls-key "$TMP/key.pem"
ST=()
echo "4. https, a fresh TLS handshake per request (4 openssl s_time clients), ${DUR}s:"
c0=$(cpu)
for i in 1 2 3 4; do
    timeout $((DUR + 20)) openssl s_time -connect '[::1]:18480' -new -time "$DUR" \
        -www "/config?$Q&token=$tok" >"$TMP/st$i" 2>&1 &
    ST+=($!)
done
wait "${ST[@]}"
c1=$(cpu)
awk -v cpu="$(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }')" '/connections in [0-9.]+ real seconds/ {n += $1; t = $4 > t ? $4 : t}
     END { if (t > 0) {
               printf "  %d handshakes+requests in %d s: %.0f per second (clients on the same 2 cores)\n", n, t, n / t;
               if (n > 0 && cpu > 0)
                   printf "  server CPU %.2f s: %.3f ms per handshake, so %.0f per second on 2 cores for the server alone\n",
                          cpu, cpu * 1000 / n, 2 * n / cpu }
           else print "  openssl s_time gave no result" }' "$TMP"/st?
stop
