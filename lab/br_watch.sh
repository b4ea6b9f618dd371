#!/usr/bin/env bash
# The health check of one BR of the lab (S46_LAB_BRS=2), run in the BR's
# namespace: asks s46-br on its control socket (`s46 show`) every
# S46_BR_WATCH_INTERVAL seconds (0.1); an answer missing S46_BR_WATCH_MISSES
# times in a row (2; a missing answer: refused, or none within
# S46_BR_WATCH_TIMEOUT = 0.25 s) withdraws the BR: the routes of the
# prefixes into its TUN device are deleted, and bgpd (`network` with
# import-check) withdraws their announcement. The first answer again (s46-br
# restarted, or resumed) puts the routes back, and so the announcement;
# so does a new TUN device (s46-br restarted between two polls).
# Each change is one line on stdout: the time (s since the epoch, ms), "up"
# or "down" and why.
# Usage: br_watch.sh S46 CTL-SOCKET TUN-DEVICE PREFIX...
set -u
s46=$1 ctl=$2 dev=$3
shift 3
interval=${S46_BR_WATCH_INTERVAL:-0.1} tmo=${S46_BR_WATCH_TIMEOUT:-0.25} need=${S46_BR_WATCH_MISSES:-2}
state=starting miss=0 idx=

ifindex() { local i=; read -r i <"/sys/class/net/$dev/ifindex" 2>/dev/null; echo "$i"; }
announce() { local p; for p in "$@"; do ip route replace "$p" dev "$dev" || return 1; done; }
withdraw() { local p; for p in "$@"; do ip route del "$p" dev "$dev" 2>/dev/null; done; return 0; }
now() { date +%s.%3N; }
trap 'withdraw "$@"; exit 0' TERM INT

while :; do
    if timeout "$tmo" "$s46" show --ctl "$ctl" >/dev/null 2>&1; then
        miss=0
        cur=$(ifindex)
        if [ "$state" != up ] || [ "$cur" != "$idx" ]; then
            if [ -n "$cur" ] && announce "$@"; then
                echo "$(now) up: s46-br answers on $ctl, routes into $dev (ifindex $cur): $*"
                state=up idx=$cur
            fi
        fi
    else
        miss=$((miss + 1))
        if [ "$state" != down ] && [ "$miss" -ge "$need" ]; then
            withdraw "$@"
            echo "$(now) down: no answer on $ctl $miss times in a row, routes withdrawn: $*"
            state=down idx=
        fi
    fi
    sleep "$interval"
done
