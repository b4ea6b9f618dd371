#!/usr/bin/env bash
# Golden pcap tests of the MAP-E BR pipeline through `s46 replay`.
cd "$(dirname "$0")/../.." && exec /usr/bin/python3 tests/br_golden.py
