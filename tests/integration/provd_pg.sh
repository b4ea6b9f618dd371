#!/usr/bin/env bash
# s46-provd on PostgreSQL (docs/provd.md, PostgreSQL): a real server
# (initdb + pg_ctl as the postgres user, on a unix socket in a temp dir, no
# TCP) and two fronts (two s46-provd processes, ports 8081 and 8082, in a
# namespace whose loopback owns 2001:db8:7700::/40 so CEs can come from
# thousands of /56s). Checked: both fronts give the same CE the same
# answer; a token issued by one is recognised by the other (both ways); an
# admin command's change (profile import, token revoke) reaches the other
# front within a second (time printed); kill -9 of a front under
# first-contact load loses no token it had answered; an immediate stop and
# restart of PostgreSQL under load loses none either and the front carries
# on; the schema is the one the admin commands migrate to (s46_schema 4).
set -u
ROOT=${S46_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=${S46_BIN:-$ROOT/build/bin}
P=$BIN/s46-provd
NS=s46t-$$-pg
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
TMP=$(mktemp -d /tmp/s46-provpg.XXXXXX)
APID= BPID=
pgctl() { runuser -u postgres -- "$PGBIN/pg_ctl" -D "$TMP/data" "$@"; }
cleanup() {
    for p in $APID $BPID; do kill -9 "$p" 2>/dev/null; done
    { ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null; ip netns del "$NS" 2>/dev/null; }
    [ -f "$TMP/data/postmaster.pid" ] && pgctl -m immediate stop >/dev/null 2>&1
    rm -rf "$TMP"
}
trap cleanup EXIT
ok() { local n=$1; shift; if "$@"; then echo "PASS $n"; else echo "FAIL $n: ${WHY:-check failed}"; fi; }
[ -n "$PGBIN" ] && [ -x "$PGBIN/initdb" ] || { echo "SKIP provd_pg: no PostgreSQL server (Debian postgresql)"; exit 0; }
id postgres >/dev/null 2>&1 || { echo "SKIP provd_pg: no postgres user"; exit 0; }
command -v psql >/dev/null || { echo "SKIP provd_pg: no psql"; exit 0; }
ip netns add "$NS" 2>/dev/null || { echo "SKIP provd_pg: no netns"; exit 0; }
nse() { ip netns exec "$NS" "$@"; }
nse ip link set lo up
# CEs from any address of 2001:db8:7700::/40 (the client binds with IPV6_TRANSPARENT)
nse ip -6 route add local 2001:db8:7700::/40 dev lo table local

# --- PostgreSQL in the temp dir, unix socket only ------------------------------
chown postgres "$TMP"
mkdir "$TMP/sock" && chown postgres "$TMP/sock"
(cd / && runuser -u postgres -- "$PGBIN/initdb" -D "$TMP/data" -A trust -U s46 --no-sync) \
    >"$TMP/initdb.log" 2>&1 || { echo "FAIL provd_pg: initdb: $(tail -1 "$TMP/initdb.log")"; exit 0; }
pgstart() { (cd / && pgctl -o "-k $TMP/sock -c listen_addresses=''" -l "$TMP/pg.log" -w start) >/dev/null; }
pgstart || { echo "FAIL provd_pg: postgres did not start: $(tail -2 "$TMP/pg.log")"; exit 0; }
DB="postgresql:///postgres?host=$TMP/sock&user=s46"
sql() { psql -X -q -At "$DB" -c "$1"; }

cat >"$TMP/v1.json" <<'J'
{ "ttl": 600, "order": ["dslite"], "dslite": { "aftr": "aftr-1.example.net" } }
J
cat >"$TMP/v2.json" <<'J'
{ "ttl": 600, "order": ["dslite"], "dslite": { "aftr": "aftr-2.example.net" } }
J
"$P" profile add 2001:db8:7700::/40 "$TMP/v1.json" --db "$DB" >/dev/null
WHY="s46_schema: $(sql 'select version from s46_schema' 2>&1)"
ok schema_migrated test "$(sql 'select version from s46_schema')" = 4

front() { # PORT: starts a front, prints its pid
    nse "$P" serve --db "$DB" --port "$1" --ctl "$TMP/ctl$1.sock" >/dev/null 2>"$TMP/srv$1.log" &
    echo $!
}
up() { for _ in $(seq 100); do nse curl -s -o /dev/null "http://[::1]:$1/" && return 0; sleep 0.1; done; return 1; }
APID=$(front 8081); BPID=$(front 8082)
up 8081 && up 8082 || { echo "FAIL provd_pg: fronts did not start: $(cat "$TMP"/srv*.log | tail -3)"; exit 0; }

cat >"$TMP/ce.py" <<'PY'
# ce.py PORT SRC [TOKEN]: one request, prints the answer's JSON (or an error line)
# bound to SRC, any address of the namespace's local /40
import http.client, json, socket, sys
class C(http.client.HTTPConnection):
    def __init__(self, port, src):
        super().__init__("::1", port, timeout=15); self.src = src
    def connect(self):
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_IPV6, 75, 1)  # IPV6_TRANSPARENT
        s.settimeout(15); s.bind((self.src, 0)); s.connect(("::1", self.port)); self.sock = s
def get(port, src, token=None):
    q = "/config?vendorid=acde48&product=P&version=1&capability=dslite"
    if token: q += "&token=" + token
    c = C(port, src); c.request("GET", q); r = c.getresponse(); b = r.read(); c.close()
    return r.status, b
if __name__ == "__main__":
    st, b = get(int(sys.argv[1]), sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
    print(b.decode() if st == 200 else "status %d" % st)
PY
cat >"$TMP/load.py" <<'PY'
# load.py PORT FIRST SECONDS OUT: first-contact CEs, each from its own /56
# (2001:db8:77xx:yy00::1, numbered from FIRST), 8 at a time, for SECONDS or
# until the front stops answering; each token answered is appended to OUT
# at once (what the CE would have stored).
import sys, threading, time
sys.path.insert(0, sys.argv[0].rsplit("/", 1)[0]); import json
from ce import get
port, first, secs, out = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
f = open(out, "a", buffering=1); lock = threading.Lock(); nxt = [first]; end = time.time() + secs
def src(i): return "2001:db8:77%02x:%02x00::1" % ((i >> 8) & 0xff, i & 0xff)
def run():
    fails = 0
    while time.time() < end and fails < 3:
        with lock: i = nxt[0]; nxt[0] += 1
        try:
            st, b = get(port, src(i))
            if st == 200:
                with lock: f.write(json.loads(b)["token"] + "\n")
                fails = 0
        except Exception:
            fails += 1; time.sleep(0.05)
ts = [threading.Thread(target=run) for _ in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]
PY
ce() { nse python3 "$TMP/ce.py" "$@" 2>&1; }
field() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null; }
hashes() { python3 -c 'import hashlib,sys
for l in open(sys.argv[1]): print(hashlib.blake2b(bytes.fromhex(l.strip()), digest_size=32).hexdigest())' "$1"; }
show() { "$BIN/s46" show --ctl "$TMP/ctl$1.sock" --json 2>/dev/null | python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$2"; }

# --- one CE, two fronts: the same answer; tokens known across fronts -------------
CE1=2001:db8:7701:100::1
RA=$(ce 8081 $CE1); RB=$(ce 8082 $CE1)
TA=$(field "$RA" 'd["token"]'); TB=$(field "$RB" 'd["token"]')
strip() { field "$1" 'json.dumps({k: v for k, v in d.items() if k != "token"}, sort_keys=True)'; }
WHY="A: $RA B: $RB"
ok same_answer_both_fronts test -n "$TA" -a -n "$TB" -a "$(strip "$RA")" = "$(strip "$RB")" \
    -a "$(field "$RA" 'd["dslite"]["aftr"]')" = aftr-1.example.net
R=$(ce 8082 $CE1 "$TA"); WHY="B with A's token: $R"
ok token_from_a_known_to_b test "$(field "$R" 'd["token"]')" = "$TA"
R=$(ce 8081 2001:db8:7702:200::1 "$TB"); WHY="A with B's token from another /56: $R"
ok token_from_b_known_to_a test "$(field "$R" 'd["token"]')" = "$TB"
WHY="B tokens_from_database: $(show 8082 'd["counters"]["tokens_from_database"]')"
ok b_found_it_in_the_database test "$(show 8082 'd["counters"]["tokens_from_database"]')" -ge 1

# --- an admin change reaches the other front within a second ---------------------
ms_until() { # PORT SRC WANT-AFTR: ms until the front answers it (max 3000)
    nse python3 - "$TMP" "$@" <<'PY'
import json, sys, time
sys.path.insert(0, sys.argv[1]); from ce import get
t0 = time.time()
while time.time() - t0 < 3:
    st, b = get(int(sys.argv[2]), sys.argv[3])
    if st == 200 and json.loads(b)["dslite"]["aftr"] == sys.argv[4]:
        break
    time.sleep(0.01)
print(int((time.time() - t0) * 1000))
PY
}
"$P" import 2001:db8:7700::/40 "$TMP/v2.json" --db "$DB" >/dev/null
msb=$(ms_until 8082 2001:db8:7703:300::1 aftr-2.example.net)
msa=$(ms_until 8081 2001:db8:7703:300::1 aftr-2.example.net)
echo "  profile import seen by front B after ${msb} ms, front A after ${msa} ms"
WHY="B ${msb} ms, A ${msa} ms"
ok admin_change_reaches_fronts_within_1s test "$msb" -lt 1000 -a "$msa" -lt 1000
# revoke A's token (B holds it since it looked it up): both forget it within a second
"$P" token revoke "$(hashes <(echo "$TA") | cut -c1-16)" --db "$DB" >/dev/null
sleep 1
R=$(ce 8082 $CE1 "$TA"); WHY="B after revoke: $R"
ok revoke_reaches_other_front test -n "$(field "$R" 'd["token"]')" -a "$(field "$R" 'd["token"]')" != "$TA"

# --- one owner's burst: a batch that issues and forgets in one transaction ------
# 24 first contacts from one /56, 8 at a time, land in a few write batches in
# which a token is added and, once its owner holds more than 4, deleted again:
# the database must end with exactly the owner's 4 newest, all answered ones.
nse python3 - "$TMP" 8081 >"$TMP/burst" <<'PY'
import json, sys, threading
sys.path.insert(0, sys.argv[1]); from ce import get
out, lock = [], threading.Lock()
def run():
    for _ in range(3):
        st, b = get(int(sys.argv[2]), "2001:db8:7766:6600::1")
        if st == 200:
            with lock: out.append(json.loads(b)["token"])
ts = [threading.Thread(target=run) for _ in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]
print("\n".join(out))
PY
hashes "$TMP/burst" | sort >"$TMP/burst.h"
sql "select hash from tokens where owner = '2001:db8:7766:6600::/56' and revoked = 0" | sort >"$TMP/burst.db"
WHY="$(wc -l <"$TMP/burst.h") answered, database holds $(wc -l <"$TMP/burst.db") for the owner, $(comm -13 "$TMP/burst.h" "$TMP/burst.db" | wc -l) never answered"
ok burst_keeps_owner_bound_in_database test "$(wc -l <"$TMP/burst.h")" = 24 -a "$(wc -l <"$TMP/burst.db")" = 4 \
    -a "$(comm -13 "$TMP/burst.h" "$TMP/burst.db" | wc -l)" = 0

# --- kill -9 of a front under load: no answered token lost -----------------------
nse python3 "$TMP/load.py" 8081 1000 3 "$TMP/acked_a" &
LP=$!
sleep 1.5
kill -9 "$APID"; wait "$APID" 2>/dev/null; APID=
wait $LP
hashes "$TMP/acked_a" | sort >"$TMP/acked_a.h"
sql "select hash from tokens where revoked = 0" | sort >"$TMP/db.h"
n=$(wc -l <"$TMP/acked_a.h"); lost=$(comm -23 "$TMP/acked_a.h" "$TMP/db.h" | wc -l)
echo "  kill -9: front A answered $n new tokens before it died; $lost of them not in the database"
WHY="$lost of $n lost"
ok kill9_front_loses_no_answered_token test "$n" -gt 20 -a "$lost" = 0
# B recognises the ones A answered last
ok b_knows_tokens_of_killed_front bash -c '
    for t in $(tail -5 "$1"); do
        r=$(ip netns exec "$2" python3 "$3/ce.py" 8082 2001:db8:7704:400::1 "$t")
        case "$r" in *"$t"*) ;; *) exit 1 ;; esac
    done' _ "$TMP/acked_a" "$NS" "$TMP"

# --- PostgreSQL stops (immediate: no checkpoint, like a crash) and restarts --------
nse python3 "$TMP/load.py" 8082 5000 5 "$TMP/acked_b" &
LP=$!
sleep 1
pgctl -m immediate stop >/dev/null 2>&1
sleep 1
pgstart || echo "FAIL provd_pg: postgres did not restart"
wait $LP
hashes "$TMP/acked_b" | sort >"$TMP/acked_b.h"
sql "select hash from tokens where revoked = 0" | sort >"$TMP/db.h"
n=$(wc -l <"$TMP/acked_b.h"); lost=$(comm -23 "$TMP/acked_b.h" "$TMP/db.h" | wc -l)
echo "  postgres restart: front B answered $n new tokens around it; $lost of them not in the database"
WHY="$lost of $n lost"
ok pg_restart_loses_no_answered_token test "$n" -gt 20 -a "$lost" = 0
R=$(ce 8082 2001:db8:7705:500::1); T=$(field "$R" 'd["token"]'); sleep 0.3
WHY="after the restart: $R; db: $(sql "select count(*) from tokens where hash = '$(hashes <(echo "$T"))'")"
ok front_works_after_pg_restart test -n "$T" \
    -a "$(sql "select count(*) from tokens where hash = '$(hashes <(echo "$T"))'")" = 1
WHY="$(grep -c 'database write failed' "$TMP/srv8082.log") failure lines; $(grep 'work again' "$TMP/srv8082.log")"
ok failure_and_recovery_logged grep -q 'database writes work again' "$TMP/srv8082.log"
kill "$BPID"; wait "$BPID" 2>/dev/null; BPID=
n=$(sql "select count(*) from provlog")
WHY="$n log rows"
ok provisioning_log_shared test "$n" -gt 40
