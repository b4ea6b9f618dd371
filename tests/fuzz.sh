#!/usr/bin/env bash
# Builds the libFuzzer targets and runs them: the data planes
# (fuzz_pipelines), the HB46PP client's parsers of TXT records and server
# answers (fuzz_hb46pp), and the differential targets that compare a module
# with a plain model of it and abort on any disagreement: reassembly
# (fuzz_frag), the NAPT (fuzz_napt), the ICMP quote parser (fuzz_quote).
#   tests/fuzz.sh short   a few seconds each (part of `make test`), PASS/FAIL lines
#   tests/fuzz.sh long    FUZZ_SECONDS each (default 600; `make fuzz`), corpora
#                         kept in build/fuzz
# Each target prints its CPU seconds, executions and corpus size. An
# argument after the mode (an extended regular expression) keeps only the
# targets whose name matches it: tests/fuzz.sh long 'frag|napt'.
set -u
cd "$(dirname "$0")/.."
mode=${1:-short}
only=${2:-}
out=build/fuzz
mkdir -p "$out/obj" "$out/seeds" "$out/crashes"
srcs=$(ls src/lib/*.c src/dp/*.c src/prov/*.c src/conf/*.c src/io/*.c | grep -v '\.bpf\.c$')
# src/io's AF_XDP port embeds the XDP program make builds into build/gen
libs="-ljansson -lcurl -lcares -lz -lmnl -lpcap -lxdp -lbpf -lpthread $(ls src/prov/*.c | xargs grep -l '<sqlite3.h>' >/dev/null 2>&1 && echo -lsqlite3) $(ls src/prov/*.c | xargs grep -l 'libpq-fe.h' >/dev/null 2>&1 && echo -lpq)"
cflags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -Isrc -Ibuild/gen -Itests/unit -D_GNU_SOURCE -std=gnu11 -g -O1"
long=${FUZZ_SECONDS:-${FUZZ_SECS:-600}}

# The library, instrumented once for every target.
build_lib() {
    # shellcheck disable=SC2086
    if ! printf '%s\n' $srcs | xargs -P2 -I{} sh -c \
            'o='"$out"'/obj/$(echo {} | tr / _).o; clang '"$cflags"' -c {} -o "$o" || exit 255' \
            >"$out/build.log" 2>&1; then
        echo "FAIL fuzz_build: $(grep -m3 error "$out/build.log")"
        exit 1
    fi
}

# fuzz NAME SECONDS MAXLEN CORPUS [SEEDS...]: links tests/fuzz/NAME.c and runs
# it on CORPUS (new inputs go there) and SEEDS.
fuzz() {
    local name=$1 secs=$2 maxlen=$3 corpus=$4; shift 4
    [[ $name =~ $only ]] || return 0
    mkdir -p "$corpus"
    # shellcheck disable=SC2046
    if ! clang -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Isrc -Itests/unit \
            -D_GNU_SOURCE -std=gnu11 -g -O1 -o "$out/$name" "tests/fuzz/$name.c" \
            $(printf '%s\n' $srcs | sed "s|/|_|g; s|^|$out/obj/|; s|\$|.o|") $libs \
            >"$out/build_$name.log" 2>&1; then
        echo "FAIL ${name}_build: $(tail -5 "$out/build_$name.log")"
        return 1
    fi
    local TIMEFORMAT='%U %S' cpu rc
    cpu=$( { time "$out/$name" -max_total_time="$secs" -max_len="$maxlen" -timeout=10 \
                 -rss_limit_mb=2048 -artifact_prefix="$out/crashes/$name-" -print_final_stats=1 \
                 "$corpus" "$@" >"$out/run_$name.log" 2>&1; echo "rc=$?" >"$out/rc_$name"; } 2>&1 )
    rc=$(sed 's/rc=//' "$out/rc_$name")
    local runs files
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/run_$name.log" | grep -o '[0-9]*$')
    files=$(find "$corpus" -type f | wc -l)
    cpu=$(echo "$cpu" | awk 'NF == 2 { printf "%.1f", $1 + $2 }')
    local fig="${secs} s, ${cpu:-?} CPU-s, ${runs:-?} executions, corpus ${files} inputs"
    if [ "$rc" = 0 ]; then
        echo "PASS $name ($fig)"
    else
        echo "FAIL $name: $(grep -E 'ERROR|SUMMARY|differs|crash-|Test unit written' "$out/run_$name.log" | head -5) ($fig)"
        return 1
    fi
}

secs() { [ "$mode" = long ] && echo "$long" || echo "$1"; }

/usr/bin/python3 tests/fuzz/seeds.py "$out/seeds" 2>/dev/null || { echo "FAIL fuzz_seeds: scapy"; exit 1; }
build_lib
rc=0
fuzz fuzz_pipelines "$(secs 20)" 4096 "$out/corpus" "$out/seeds" || rc=1
fuzz fuzz_hb46pp "$(secs 10)" 8192 "$out/hb46pp_corpus" tests/fuzz/hb46pp_seeds || rc=1
fuzz fuzz_frag "$(secs 5)" 4096 "$out/frag_corpus" || rc=1
fuzz fuzz_napt "$(secs 5)" 2048 "$out/napt_corpus" || rc=1
fuzz fuzz_quote "$(secs 5)" 2048 "$out/quote_corpus" || rc=1
exit $rc
