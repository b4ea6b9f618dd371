#!/usr/bin/env bash
# The mutants of `make mutate` (tests/mutate/mutants.txt) still apply to the
# tree: each one's pattern is in its file exactly once and every test it
# names exists. A refactoring that moves the code a mutant was written for
# fails here at once, not in the next slow `make mutate` run (where it would
# be an error, not a survivor).
# s46-test-timeout: 60
set -u
cd "$(dirname "$0")/../.."
bash tests/mutate/run.sh --check
