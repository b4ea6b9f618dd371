#!/usr/bin/env bash
# The lab with the daemons on their Ethernet interfaces: S46_LAB_IO=afpacket
# and S46_LAB_IO=xdp, each in namespaces of its own. `s46 lab up`, then the
# BR, the AFTR, the lwAFTR and the three CEs say in `s46 show` that they move packets that
# way, `s46 lab check` passes all its checks (discovery, HTTP, ping and
# traceroute from the three LANs, MAP-E, DS-Lite and lw4o6, iperf3, the AFTR's blocks,
# the traces) and its traceroute shows the BR as hop 2 and reaches the
# server, `s46 lab down` leaves no namespace behind.
set -u
cd "$(dirname "$0")/../.."
BIN=${S46_BIN:-build/bin}
PY=/usr/bin/python3
base=$(mktemp -d)
prefixes=
cleanup() {
    for pre in $prefixes; do
        S46_LAB_PREFIX=$pre S46_LAB_RUN=$base/$pre "$BIN/s46" lab down >/dev/null 2>&1
        for ns in $(ip netns list | awk '{print $1}' | grep "^$pre-"); do
            ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
            ip netns del "$ns" 2>/dev/null
        done
    done
    rm -rf "$base"
}
trap cleanup EXIT
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
io_of() { # ctl socket: the "io" of its `s46 show --json`
    "$BIN/s46" show --ctl "$1" --json 2>/dev/null | $PY -c "import json,sys; print(json.load(sys.stdin).get('io'))" 2>/dev/null
}

for io in ${LAB_IO_KINDS:-afpacket xdp}; do
    pre=s46i$$${io:0:1}
    prefixes="$prefixes $pre"
    export S46_LAB_PREFIX=$pre S46_LAB_RUN=$base/$pre S46_LAB_IO=$io
    out=$("$BIN/s46" lab up 2>&1)
    rc=$?
    if [ $rc -ne 0 ]; then
        fail lab_${io}_up "exit $rc: $(tail -n 20 <<<"$out")"
    else
        pass lab_${io}_up
        got="br=$(io_of "$S46_LAB_RUN/br.sock") aftr=$(io_of "$S46_LAB_RUN/aftr.sock") ce1=$(io_of "$S46_LAB_RUN/ce1.sock") ce2=$(io_of "$S46_LAB_RUN/ce2.sock") lw=$(io_of "$S46_LAB_RUN/lw.sock") ce3=$(io_of "$S46_LAB_RUN/ce3.sock")"
        [ "$got" = "br=$io aftr=$io ce1=$io ce2=$io lw=$io ce3=$io" ] && pass lab_${io}_show_io || fail lab_${io}_show_io "$got"
        out=$("$BIN/s46" lab check 2>&1)
        rc=$?
        # the lab's own traceroute check also matches the header line: here
        # the server must be a hop, and the BR the second one (on Ethernet
        # ports s46-br is the router hop: its br_ipv4, 198.51.100.3)
        grep -qE '^ *[0-9]+  198\.51\.100\.80 ' <<<"$out" && grep -q '^ 2  198.51.100.3 ' <<<"$out" &&
            pass lab_${io}_traceroute || fail lab_${io}_traceroute "$(grep -A7 '^traceroute to' <<<"$out" | tr '\n' ';')"
        if [ $rc -eq 0 ] && [ "$(grep 'lab check:' <<<"$out" | tail -n 1)" = "lab check: 18 ok, 0 failed" ]; then
            pass lab_${io}_check
        else
            fail lab_${io}_check "exit $rc: $(grep -E 'FAILED|lab check' <<<"$out" | tr '\n' ' ')"
            tail -n 40 <<<"$out"
            echo "--- iperf3 said:"; cat "$S46_LAB_RUN/iperf.txt" 2>/dev/null | tail -n 5
            for f in "$S46_LAB_RUN"/*.log; do echo "--- $(basename "$f"):"; tail -n 5 "$f"; done
            for s in br ce1 ce2 lw ce3; do
                echo "--- $s: $("$BIN/s46" show --ctl "$S46_LAB_RUN/$s.sock" --json 2>/dev/null |
                    $PY -c "import json,sys; j=json.load(sys.stdin); print(j.get('interfaces'), {k: v for k, v in j.get('counters', {}).items() if v and k.startswith('drop')}, 'redirected', j.get('redirected'), j.get('redirect_dropped'))" 2>&1)"
            done
        fi
    fi
    "$BIN/s46" lab down >/dev/null 2>&1
    left=$(ip netns list | awk '{print $1}' | grep "^$pre-" | tr '\n' ' ')
    [ -z "$left" ] && pass lab_${io}_teardown || fail lab_${io}_teardown "namespaces left: $left"
done
