#!/usr/bin/env bash
# Builds the libFuzzer targets and runs them: the data planes
# (fuzz_pipelines) and the HB46PP client's parsers of TXT records and
# server answers (fuzz_hb46pp).
#   tests/fuzz.sh short   20 s + 10 s (part of `make test`), PASS/FAIL lines
#   tests/fuzz.sh long    10 minutes each (`make fuzz`), corpora kept in build/fuzz
set -u
cd "$(dirname "$0")/.."
mode=${1:-short}
out=build/fuzz
mkdir -p "$out/corpus" "$out/seeds" "$out/hb46pp_corpus" "$out/crashes"
srcs=$(ls src/lib/*.c src/dp/*.c src/prov/*.c src/conf/*.c src/io/*.c | grep -v '\.bpf\.c$')
# src/io's AF_XDP port embeds the XDP program make builds into build/gen
libs="-Ibuild/gen -ljansson -lcurl -lcares -lz -lmnl -lpcap -lxdp -lbpf -lpthread $(ls src/prov/*.c | xargs grep -l '<sqlite3.h>' >/dev/null 2>&1 && echo -lsqlite3)"

# fuzz NAME SECONDS MAXLEN CORPUS... : builds tests/fuzz/NAME.c and runs it
fuzz() {
    local name=$1 secs=$2 maxlen=$3; shift 3
    # shellcheck disable=SC2086
    if ! clang -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Isrc -D_GNU_SOURCE \
            -std=gnu11 -g -O1 -o "$out/$name" "tests/fuzz/$name.c" $srcs $libs >"$out/build.log" 2>&1; then
        echo "FAIL ${name}_build: $(tail -5 "$out/build.log")"
        return 1
    fi
    "$out/$name" -max_total_time="$secs" -max_len="$maxlen" -timeout=5 -rss_limit_mb=2048 \
        -artifact_prefix="$out/crashes/" -print_final_stats=1 "$@" >"$out/run_$name.log" 2>&1
    local rc=$? runs
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/run_$name.log" | grep -o '[0-9]*$')
    if [ $rc -eq 0 ]; then
        echo "PASS $name (${runs:-?} inputs in ${secs}s)"
    else
        echo "FAIL $name: $(grep -E 'ERROR|SUMMARY|crash-' "$out/run_$name.log" | head -5)"
        return 1
    fi
}

/usr/bin/python3 tests/fuzz/seeds.py "$out/seeds" 2>/dev/null || { echo "FAIL fuzz_seeds: scapy"; exit 1; }
long=${FUZZ_SECS:-600}
rc=0
fuzz fuzz_pipelines "$([ "$mode" = long ] && echo "$long" || echo 20)" 4096 "$out/corpus" "$out/seeds" || rc=1
fuzz fuzz_hb46pp "$([ "$mode" = long ] && echo "$long" || echo 10)" 8192 "$out/hb46pp_corpus" tests/fuzz/hb46pp_seeds || rc=1
exit $rc
