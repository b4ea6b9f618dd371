#!/usr/bin/env bash
# Bounded libFuzzer runs over the data planes, the HB46PP parsers and the
# differential targets (longer: make fuzz).
exec bash "$(dirname "$0")/../fuzz.sh" short
