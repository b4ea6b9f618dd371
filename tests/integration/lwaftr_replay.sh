#!/usr/bin/env bash
# Golden pcap tests of the lwAFTR pipeline through `s46 replay`.
cd "$(dirname "$0")/../.." && exec /usr/bin/python3 tests/lwaftr_golden.py
