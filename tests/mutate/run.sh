#!/usr/bin/env bash
# `make mutate`: plants each mutant of tests/mutate/mutants.txt in a scratch
# copy of the tree and runs the tests named to catch it (see mutate.py).
exec /usr/bin/python3 "$(dirname "$0")/mutate.py" "$@"
