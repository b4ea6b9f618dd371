#!/usr/bin/env bash
# docs/hb46pp.md, D1/D2: the TXT line printed by `s46-provd txt` loads into a real DNS server
# (unbound, as local-data in a namespace) and kdig sees exactly that record.
set -u
ROOT=${S46_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=${S46_BIN:-$ROOT/build/bin}
NS=s46t-$$-provdns
TMP=$(mktemp -d "${TMPDIR:-/tmp}"/s46-provdns.XXXXXX)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; { ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null; ip netns del "$NS" 2>/dev/null; }; rm -rf "$TMP"; }
trap cleanup EXIT
command -v unbound >/dev/null && command -v kdig >/dev/null || { echo "SKIP provd_dns: unbound/kdig missing"; exit 0; }
ip netns add "$NS" 2>/dev/null || { echo "SKIP provd_dns: no netns"; exit 0; }
ip netns exec "$NS" ip link set lo up
line=$("$BIN/s46-provd" txt https://prov.example.net/config --t b)
cat >"$TMP/unbound.conf" <<C
server:
  interface: ::1
  port: 5353
  do-ip4: no
  access-control: ::1 allow
  chroot: ""
  username: ""
  directory: "$TMP"
  pidfile: ""
  use-syslog: no
  logfile: ""
  local-zone: "4over6.info." static
  local-data: '$line'
C
if ! unbound-checkconf "$TMP/unbound.conf" >"$TMP/check" 2>&1; then
    echo "FAIL txt_line_loads_in_unbound: $(cat "$TMP/check")"; exit 0
fi
echo "PASS txt_line_loads_in_unbound"
ip netns exec "$NS" unbound -d -c "$TMP/unbound.conf" >/dev/null 2>"$TMP/log" &
PID=$!
ans=
for _ in $(seq 50); do
    ans=$(ip netns exec "$NS" kdig +short -p 5353 @::1 TXT 4over6.info 2>/dev/null) && [ -n "$ans" ] && break
    sleep 0.1
done
if [ "$ans" = '"v=v6mig-1 url=https://prov.example.net/config t=b"' ]; then
    echo "PASS kdig_sees_txt"
else
    echo "FAIL kdig_sees_txt: got '$ans' $(tail -2 "$TMP/log")"
fi
exit 0
