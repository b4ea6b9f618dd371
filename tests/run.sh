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

run_one() { # label, command...
    local label=$1; shift
    local out="$log/$(echo "$label" | tr '/ ' '__').out"
    local start=$SECONDS
    "$@" >"$out" 2>&1
    local rc=$?
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
