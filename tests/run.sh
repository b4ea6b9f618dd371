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

# Every process the tests start carries S46_TEST_RUN in its environment;
# ours lists the live ones (not zombies, not this shell or its subshell).
export S46_TEST_RUN="$$.$RANDOM.$(date +%s%N)"
ours() {
    env -u S46_TEST_RUN python3 - "$S46_TEST_RUN" $$ "$BASHPID" <<'PY'
import os, sys
tag = ("S46_TEST_RUN=" + sys.argv[1]).encode()
for p in sorted(os.listdir("/proc")):
    if not p.isdigit() or p in sys.argv[2:]:
        continue
    try:
        with open(f"/proc/{p}/environ", "rb") as f:
            env = f.read().split(b"\0")
        with open(f"/proc/{p}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        continue
    if tag in env and state != "Z":
        print(p)
PY
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
    local left= now
    for _ in $(seq 20); do
        now=$(ours)
        left=$(comm -13 <(echo "$before") <(echo "$now"))
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
