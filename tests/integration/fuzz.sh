#!/usr/bin/env bash
# Bounded libFuzzer runs over the data planes and the HB46PP parsers (longer: make fuzz).
exec bash "$(dirname "$0")/../fuzz.sh" short
