#!/usr/bin/env bash
# Golden pcap tests of the DS-Lite AFTR pipeline through `s46 replay`.
cd "$(dirname "$0")/../.." && exec /usr/bin/python3 tests/aftr_golden.py
