#!/usr/bin/env bash
# Builds the libFuzzer target for the data planes and runs it.
#   tests/fuzz.sh short   ~20 s (part of `make test`), PASS/FAIL lines
#   tests/fuzz.sh long    10 minutes (`make fuzz`), keeps its corpus in build/fuzz
set -u
cd "$(dirname "$0")/.."
mode=${1:-short}
out=build/fuzz
mkdir -p "$out/corpus" "$out/seeds" "$out/crashes"
# Every library source (src/prov/store.c needs SQLite, unused by the target).
srcs=$(ls src/lib/*.c src/dp/*.c src/prov/*.c)
if ! clang -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Isrc -D_GNU_SOURCE \
        -std=gnu11 -g -O1 -o "$out/fuzz_pipelines" tests/fuzz/fuzz_pipelines.c $srcs -ljansson -lsqlite3 \
        >"$out/build.log" 2>&1; then
    echo "FAIL fuzz_build: $(tail -5 "$out/build.log")"
    exit 1
fi
/usr/bin/python3 tests/fuzz/seeds.py "$out/seeds" 2>/dev/null || { echo "FAIL fuzz_seeds: scapy"; exit 1; }
secs=20
[ "$mode" = long ] && secs=${FUZZ_SECS:-600}
"$out/fuzz_pipelines" -max_total_time=$secs -max_len=4096 -timeout=5 -rss_limit_mb=2048 \
    -artifact_prefix="$out/crashes/" -print_final_stats=1 "$out/corpus" "$out/seeds" >"$out/run.log" 2>&1
rc=$?
runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/run.log" | grep -o '[0-9]*$')
if [ $rc -eq 0 ]; then
    echo "PASS fuzz_pipelines (${runs:-?} inputs in ${secs}s)"
else
    echo "FAIL fuzz_pipelines: $(grep -E 'ERROR|SUMMARY|crash-' "$out/run.log" | head -5)"
    exit 1
fi
