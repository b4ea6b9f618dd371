#!/usr/bin/env bash
# Golden pcap tests of the MAP-T BR (and CE) through `s46 replay`.
cd "$(dirname "$0")/../.." && exec /usr/bin/python3 tests/mapt_golden.py
