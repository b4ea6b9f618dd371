#!/usr/bin/env bash
# Runs every test: the sanitized unit-test programs, then the integration
# scripts tests/integration/*.sh. Each prints "PASS name" / "FAIL name: why"
# lines (a "SKIP name: why" line counts as skipped). A program that exits
# non-zero without a FAIL line, or crashes, counts as one more failure.
# Ends with "N passed, N failed" and exits non-zero on any failure.
# An argument keeps only the tests whose label (unit/test_x, integration/y)
# contains it: `tests/run.sh unit`, `tests/run.sh test_ce`.
set -u
cd "$(dirname "$0")/.."
export S46_ROOT=$PWD S46_BIN=$PWD/build/bin S46_ASAN_BIN=$PWD/build/asan/bin
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
pass=0 fail=0 skip=0
log=$(mktemp -d /tmp/s46-test.XXXXXX)
only=${1:-}

# Processes a test may start (ours, the peers it drives, anything with the
# tree's or the tests' paths in its command line), one pid per line;
# zombies are not counted (here nobody may reap them).
ours() {
    ps -eo pid=,comm=,stat=,args= | awk -v root="$S46_ROOT" -v me=$$ '
        $1 != me && $2 != "ps" && $2 != "awk" && $3 !~ /^Z/ &&
        (index($0, root) || index($0, "/tmp/s46") || index($0, "/run/s46") ||
         $2 ~ /^(s46|s46-br|s46-ce|s46-provd|unbound|tshark|dumpcap|iperf3|wrk)$/) { print $1 }' | sort
}

run_one() { # label, command...
    local label=$1; shift
    local out="$log/$(echo "$label" | tr '/ ' '__').out"
    local start=$SECONDS
    local before; before=$(ours)
    "$@" >"$out" 2>&1
    local rc=$?
    # Nothing a test started may outlive it (a server left running keeps
    # ports, spins or answers the next test): give stragglers 2 s, then fail.
    local left=
    for _ in $(seq 20); do
        left=$(comm -13 <(echo "$before") <(ours))
        [ -z "$left" ] && break
        sleep 0.1
    done
    if [ -n "$left" ]; then
        echo "FAIL $label/no_process_left: still running: $(ps -o pid=,args= -p "$(echo $left | tr ' ' ,)" | cut -c1-100 | tr '\n' ';')" >>"$out"
        kill -9 $left 2>/dev/null
    fi
    local p f s
    p=$(grep -c '^PASS ' "$out"); f=$(grep -c '^FAIL ' "$out"); s=$(grep -c '^SKIP ' "$out")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1; echo "FAIL $label: exited $rc without a FAIL line" >>"$out"
    fi
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
    printf '%-44s %3d passed %3d failed %3d skipped (%ds)\n' "$label" "$p" "$f" "$s" $((SECONDS - start))
    if [ "$f" -ne 0 ]; then
        grep -E '^FAIL ' "$out" | sed 's/^/    /'
        echo "    --- last lines of $out:"; tail -n 25 "$out" | sed 's/^/    | /'
    fi
}

for t in build/asan/tests/test_*; do
    [ -x "$t" ] || continue
    [ -n "$only" ] && [[ "unit/$(basename "$t")" != *"$only"* ]] && continue
    run_one "unit/$(basename "$t")" "$t"
done
for t in tests/integration/*.sh; do
    [ -f "$t" ] || continue
    [ -n "$only" ] && [[ "integration/$(basename "$t" .sh)" != *"$only"* ]] && continue
    run_one "integration/$(basename "$t" .sh)" bash "$t"
done
[ "$skip" -gt 0 ] && echo "($skip skipped)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
