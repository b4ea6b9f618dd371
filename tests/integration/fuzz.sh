#!/usr/bin/env bash
# A bounded libFuzzer run over both data planes (longer: make fuzz).
exec bash "$(dirname "$0")/../fuzz.sh" short
