#!/usr/bin/env bash
# make bench: the data planes' throughput next to the copy baseline (one run,
# one core; $1 = seconds per measurement, default 0.3), then every other
# benchmark script bench/*.sh (the provisioning server's).
set -u
cd "$(dirname "$0")/.."
mkdir -p build/bench
cc -std=gnu11 -O2 -g -Wall -Wextra -Werror -Isrc -D_GNU_SOURCE -o build/bench/bench_dp \
    bench/bench_dp.c build/libs46.a -ljansson -lpcap -lxdp -lbpf -lpthread || exit 1
taskset -c 0 build/bench/bench_dp "${1:-0.3}" 2>/dev/null || build/bench/bench_dp "${1:-0.3}"
# the lwAFTR, the DS-Lite AFTR, the NAT64 and the 464XLAT CLAT (each next
# to its own baseline, the AFTR, the NAT64 and the CLAT next to the MAP-E BR
# in the same run)
for only in lw aftr nat64 clat; do
    taskset -c 0 build/bench/bench_dp "${1:-0.3}" $only 2>/dev/null | sed -n '/^$/,$p' ||
        build/bench/bench_dp "${1:-0.3}" $only | sed -n '/^$/,$p'
done
# through the run loop with 1 and 2 workers: both CPUs
build/bench/bench_dp "${1:-0.3}" loop
# the CGN's state (lib/cgn.h): new sessions, lookups, bytes per session
echo
cc -std=gnu11 -O2 -g -Wall -Wextra -Werror -Isrc -D_GNU_SOURCE -o build/bench/bench_cgn \
    bench/bench_cgn.c build/libs46.a -ljansson || exit 1
taskset -c 0 build/bench/bench_cgn "${1:-0.3}" 2>/dev/null || build/bench/bench_cgn "${1:-0.3}"
# what this machine charges for the CGN's table reads (no s46 code)
echo
cc -std=gnu11 -O2 -g -Wall -Wextra -Werror -o build/bench/bench_misses bench/misses.c || exit 1
taskset -c 0 build/bench/bench_misses "${1:-0.3}" 2>/dev/null || build/bench/bench_misses "${1:-0.3}"
for b in bench/*.sh; do
    [ "$b" = bench/run.sh ] && continue
    echo
    bash "$b"
done
