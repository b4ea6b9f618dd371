#!/usr/bin/env bash
# Golden pcap tests of the SIIT-DC translator through `s46 replay`.
cd "$(dirname "$0")/../.." && exec /usr/bin/python3 tests/siit_golden.py
