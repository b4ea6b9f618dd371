#!/usr/bin/env bash
# Runs every test: the sanitized unit-test programs, then the integration
# scripts tests/integration/*.sh. Each prints "PASS name" / "FAIL name: why"
# lines (a "SKIP name: why" line counts as skipped). A program that exits
# non-zero without a FAIL line, or crashes, counts as one more failure.
# Ends with "N passed, N failed" and exits non-zero on any failure.
# An argument keeps only the tests whose label (unit/test_x, integration/y)
# contains it: `tests/run.sh unit`, `tests/run.sh test_ce`.
#
# Time limit: each test runs in its own process group under a limit, 120 s
# for a unit test and 300 s for an integration script unless its source has
# a line `s46-test-timeout: N` (S46_TEST_TIMEOUT=N sets every limit). A test
# over its limit gets SIGTERM (its cleanup trap runs), SIGKILL 10 s later,
# and counts as "FAIL <label>: timed out after N s".
# CI=true: a SKIP line counts as a failure (CI has every tool; a skip there
# means an install step is missing).
# Temporary files: each test gets its own directory as TMPDIR (and
# S46_TEST_TMP), removed when it ends unless it failed; the failure line
# names it. The run's own directory is removed when everything passed.
set -u
cd "$(dirname "$0")/.."
export S46_ROOT=$PWD S46_BIN=$PWD/build/bin S46_ASAN_BIN=$PWD/build/asan/bin
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
pass=0 fail=0 skip=0
log=$(mktemp -d "${TMPDIR:-/tmp}/s46-test.XXXXXX")
only=${1:-}
ci=0; [ "${CI:-}" = true ] && ci=1

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

# The time limit of a test: its source's `s46-test-timeout: N`, else the
# default for its kind.
limit_of() { # source file, default
    local n
    [ -n "${S46_TEST_TIMEOUT:-}" ] && { echo "$S46_TEST_TIMEOUT"; return; }
    n=$(grep -m1 -o 's46-test-timeout: *[0-9]\+' "$1" 2>/dev/null | grep -o '[0-9]\+$')
    echo "${n:-$2}"
}

run_one() { # label, time limit (s), command...
    local label=$1 limit=$2; shift 2
    local name; name=$(echo "$label" | tr '/ ' '__')
    local out="$log/$name.out" tmp="$log/$name.tmp"
    local start=$SECONDS
    local before; before=$(ours)
    mkdir -p "$tmp"
    # timeout runs the test in a process group of its own and signals the
    # whole group: TERM at the limit, KILL 10 s later.
    TMPDIR=$tmp S46_TEST_TMP=$tmp timeout -k 10 "$limit" "$@" >"$out" 2>&1
    local rc=$?
    local timed_out=0
    if [ "$rc" -eq 124 ] || { [ "$rc" -eq 137 ] && [ $((SECONDS - start)) -ge "$limit" ]; }; then
        timed_out=1
    fi
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
    if [ "$timed_out" -eq 1 ]; then
        echo "FAIL $label: timed out after $limit s" >>"$out"
    fi
    if [ "$ci" -eq 1 ]; then
        grep '^SKIP ' "$out" | sed 's/^SKIP \([^:]*\):\? *\(.*\)/FAIL \1: skipped under CI=true (a tool or an install step is missing): \2/' >>"$out.ci"
        cat "$out.ci" >>"$out"; rm -f "$out.ci"
    fi
    local p f s
    p=$(grep -c '^PASS ' "$out"); f=$(grep -c '^FAIL ' "$out"); s=$(grep -c '^SKIP ' "$out")
    [ "$ci" -eq 1 ] && s=0
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1; echo "FAIL $label: exited $rc without a FAIL line" >>"$out"
    fi
    local kept=
    if [ "$f" -ne 0 ] && [ -n "$(ls -A "$tmp")" ]; then
        kept=$tmp
    else
        rm -rf "$tmp"
    fi
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
    printf '%-44s %3d passed %3d failed %3d skipped (%ds)\n' "$label" "$p" "$f" "$s" $((SECONDS - start))
    if [ "$f" -ne 0 ]; then
        grep -E '^FAIL ' "$out" | sed 's/^/    /'
        [ -n "$kept" ] && echo "    temporary files of $label kept in $kept"
        echo "    --- last lines of $out:"; tail -n 25 "$out" | sed 's/^/    | /'
    else
        rm -f "$out"
    fi
}

for t in build/asan/tests/test_*; do
    [ -x "$t" ] || continue
    [ -n "$only" ] && [[ "unit/$(basename "$t")" != *"$only"* ]] && continue
    run_one "unit/$(basename "$t")" "$(limit_of "tests/unit/$(basename "$t").c" 120)" "$t"
done
for t in tests/integration/*.sh; do
    [ -f "$t" ] || continue
    [ -n "$only" ] && [[ "integration/$(basename "$t" .sh)" != *"$only"* ]] && continue
    run_one "integration/$(basename "$t" .sh)" "$(limit_of "$t" 300)" bash "$t"
done
[ "$skip" -gt 0 ] && echo "($skip skipped)"
if [ "$fail" -eq 0 ]; then
    rm -rf "$log"
else
    echo "(output of the failed tests kept in $log)"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
