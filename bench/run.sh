#!/usr/bin/env bash
# Runs every benchmark script bench/*.sh except this one.
cd "$(dirname "$0")" || exit 1
for b in *.sh; do [ "$b" = run.sh ] || bash "$b"; done
