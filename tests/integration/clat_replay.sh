#!/usr/bin/env bash
# Golden pcap tests of the 464XLAT CLAT through `s46 replay`.
cd "$(dirname "$0")/../.." && exec /usr/bin/python3 tests/clat_golden.py
