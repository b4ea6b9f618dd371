#!/usr/bin/env bash
# Builds the libFuzzer targets and runs them: the data planes
# (fuzz_pipelines) and the HB46PP client's parsers of TXT records and
# server answers (fuzz_hb46pp).
#   tests/fuzz.sh short   ~20 s + 10 s (part of `make test`), PASS/FAIL lines
#   tests/fuzz.sh long    10 minutes each (`make fuzz`), corpora kept in build/fuzz
set -u
cd "$(dirname "$0")/.."
mode=${1:-short}
out=build/fuzz
mkdir -p "$out/corpus" "$out/seeds" "$out/crashes"
srcs=$(ls src/lib/*.c src/dp/*.c src/prov/*.c)
if ! clang -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Isrc -D_GNU_SOURCE \
        -std=gnu11 -g -O1 -o "$out/fuzz_pipelines" tests/fuzz/fuzz_pipelines.c $srcs -ljansson -lcurl -lcares -lz \
        >"$out/build.log" 2>&1; then
    echo "FAIL fuzz_build: $(tail -5 "$out/build.log")"
    exit 1
fi
mkdir -p "$out/hb46pp_corpus"
if ! clang -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Isrc -D_GNU_SOURCE \
        -std=gnu11 -g -O1 -o "$out/fuzz_hb46pp" tests/fuzz/fuzz_hb46pp.c $srcs -ljansson -lcurl -lcares -lz \
        >"$out/build.log" 2>&1; then
    echo "FAIL fuzz_build_hb46pp: $(tail -5 "$out/build.log")"
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
hsecs=10
[ "$mode" = long ] && hsecs=${FUZZ_SECS:-600}
"$out/fuzz_hb46pp" -max_total_time=$hsecs -max_len=8192 -timeout=5 -rss_limit_mb=2048 \
    -artifact_prefix="$out/crashes/" -print_final_stats=1 "$out/hb46pp_corpus" tests/fuzz/hb46pp_seeds \
    >"$out/run_hb46pp.log" 2>&1
rc=$?
runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/run_hb46pp.log" | grep -o '[0-9]*$')
if [ $rc -eq 0 ]; then
    echo "PASS fuzz_hb46pp (${runs:-?} inputs in ${hsecs}s)"
else
    echo "FAIL fuzz_hb46pp: $(grep -E 'ERROR|SUMMARY|crash-' "$out/run_hb46pp.log" | head -5)"
    exit 1
fi
