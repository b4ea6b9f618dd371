#!/usr/bin/env bash
# I/O benchmark (not a test): RFC 2544 non-drop rate of s46-br and s46-ce on
# veth interfaces (trafgen as generator, interface counters as the sink),
# each next to the kernel's own forwarding on the same path, in one run.
# The work is done by bench/ndr.py (its header says what is measured and
# how); this wrapper removes the namespaces whatever happens.
# IO_QUICK=1: 2 s trials, 550 B, 1 flow. IO_TRIAL_S, IO_CASES=br4,br6,ce4,ce6,
# IO_BUDGET_S, IO_STEPS, IO_IO: see bench/ndr.py.
set -u
cd "$(dirname "$0")/.."
export IO_PREFIX=s46io$$
cleanup() {
    [ -n "${PY:-}" ] && kill "$PY" 2>/dev/null && wait "$PY" 2>/dev/null
    for ns in $(ip netns list | awk -v p="$IO_PREFIX-" 'index($1, p) == 1 { print $1 }'); do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if [ ! -x build/bin/s46-br ]; then
    echo "io bench: build first (make)"; exit 1
fi
python3 bench/ndr.py &
PY=$!
wait "$PY"
rc=$?
PY=
exit $rc
