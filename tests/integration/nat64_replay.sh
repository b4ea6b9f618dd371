#!/usr/bin/env bash
# Golden pcap tests of the stateful NAT64 pipeline through `s46 replay`.
cd "$(dirname "$0")/../.." && exec /usr/bin/python3 tests/nat64_golden.py
