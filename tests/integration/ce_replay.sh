#!/usr/bin/env bash
# Golden pcap tests of the CE pipeline (MAP-E NAPT, DS-Lite) through `s46 replay`.
cd "$(dirname "$0")/../.." && exec /usr/bin/python3 tests/ce_golden.py
