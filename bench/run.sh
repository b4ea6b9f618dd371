#!/usr/bin/env bash
# make bench: data-plane throughput next to the copy baseline (one run, one
# core). Pass a per-measurement duration in seconds as $1 (default 0.3).
set -eu
cd "$(dirname "$0")/.."
mkdir -p build/bench
cc -std=gnu11 -O2 -g -Wall -Wextra -Werror -Isrc -D_GNU_SOURCE -o build/bench/bench_dp \
    bench/bench_dp.c build/libs46.a -ljansson
taskset -c 0 build/bench/bench_dp "${1:-0.3}" 2>/dev/null || build/bench/bench_dp "${1:-0.3}"
