#!/usr/bin/env bash
# Builds the libFuzzer targets and runs them: the data planes
# (fuzz_pipelines), the HB46PP client's parsers of TXT records and server
# answers (fuzz_hb46pp), and the differential targets that compare a module
# with a plain model of it and abort on any disagreement: reassembly
# (fuzz_frag), the NAPT (fuzz_napt), the ICMP quote parser (fuzz_quote).
#   tests/fuzz.sh short   a few seconds each (part of `make test`), PASS/FAIL lines
#   tests/fuzz.sh long    FUZZ_SECONDS each (default 600; `make fuzz`), corpora
#                         kept in build/fuzz
# With FUZZ_CPU_SECONDS set, a long run ends when the target has used that
# much CPU time instead (for campaigns on a machine that does other work:
# run them under nice; libFuzzer's own limit counts wall-clock time).
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
cpu_budget=${FUZZ_CPU_SECONDS:-}
[ "$mode" = long ] || cpu_budget=
if [ -n "$cpu_budget" ] && ! [[ $cpu_budget =~ ^[0-9]+$ ]]; then
    echo "fuzz.sh: FUZZ_CPU_SECONDS is a whole number of seconds" >&2; exit 2
fi

# cpu_of PID: the CPU seconds (user + system) the process has used so far.
cpu_of() {
    local f
    f=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    f=${f##*) }  # the fields after the command name, which may hold spaces
    # shellcheck disable=SC2086
    set -- $f
    echo $(( (${12} + ${13}) / $(getconf CLK_TCK) ))
}

# run_budget SECONDS CMD...: runs CMD until it has used SECONDS of CPU, then
# interrupts it (libFuzzer then prints its final stats and exits 72).
run_budget() {
    local budget=$1; shift
    "$@" &
    local pid=$! used
    while kill -0 "$pid" 2>/dev/null; do
        used=$(cpu_of "$pid") || break
        if [ "$used" -ge "$budget" ]; then kill -INT "$pid"; break; fi
        sleep 5
    done
    wait "$pid"
    local rc=$?
    [ "$rc" = 72 ] && [ "${used:-0}" -ge "$budget" ] && rc=0
    return $rc
}

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
    local TIMEFORMAT='%U %S' cpu rc wall=$secs budget=() t0=$SECONDS
    if [ -n "$cpu_budget" ]; then
        wall=$((cpu_budget * 100))  # the CPU budget ends it, not the clock
        budget=(run_budget "$cpu_budget")
    fi
    cpu=$( { time "${budget[@]}" "$out/$name" -max_total_time="$wall" -max_len="$maxlen" -timeout=10 \
                 -rss_limit_mb=2048 -artifact_prefix="$out/crashes/$name-" -print_final_stats=1 \
                 "$corpus" "$@" >"$out/run_$name.log" 2>&1; echo "rc=$?" >"$out/rc_$name"; } 2>&1 )
    rc=$(sed 's/rc=//' "$out/rc_$name")
    local runs files
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/run_$name.log" | grep -o '[0-9]*$')
    files=$(find "$corpus" -type f | wc -l)
    cpu=$(echo "$cpu" | awk 'NF == 2 { printf "%.1f", $1 + $2 }')
    [ -n "$cpu_budget" ] && secs=$((SECONDS - t0))
    local fig="${secs:-?} s, ${cpu:-?} CPU-s, ${runs:-?} executions, corpus ${files} inputs"
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
