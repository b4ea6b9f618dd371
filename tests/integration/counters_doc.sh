#!/usr/bin/env bash
# docs/counters.md is generated from the counter lists in the headers
# (scripts/counters-doc): it must be what the generator writes now, every
# counter must have a description, and the counters a real binary prints must
# be the documented ones. The generator's refusals are checked on a copy of
# the tree (a counter without a description, an empty one, a stale page).
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
S46=${S46_ASAN_BIN:-build/asan/bin}/s46
[ -x "$S46" ] || S46=${S46_BIN:-build/bin}/s46 # `make all` without the sanitized build
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }

# 1. The page in the repository is the generator's output of today.
if python3 scripts/counters-doc --check 2>"$tmp/err"; then
    pass counters_doc_current
else
    fail counters_doc_current "$(head -c 400 "$tmp/err")"
fi

# 2. Every list has entries and every entry a non-empty description (the
# generator checks it; this reads the page independently).
python3 - "$ROOT/docs/counters.md" >"$tmp/rows" 2>&1 <<'PY'
import re, sys
rows = [l for l in open(sys.argv[1]) if re.match(r"^\| `\w+` \|", l)]
bad = [l.strip() for l in rows if re.match(r"^\| `\w+` \|\s*\|\s*$", l)]
print(len(rows))
for b in bad:
    print("empty:", b)
PY
n=$(head -1 "$tmp/rows")
if [ "${n:-0}" -gt 50 ] && ! grep -q '^empty:' "$tmp/rows"; then
    pass counters_doc_all_described
else
    fail counters_doc_all_described "$(head -c 400 "$tmp/rows")"
fi

# 3. The BR counters `s46 replay` prints are exactly the documented ones, in
# order (empty pcap files in, counters out).
python3 - "$tmp" <<'PY' 2>"$tmp/pyerr"
import json, struct, sys
d = sys.argv[1]
hdr = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101)
for n in ("a", "b"):
    open(f"{d}/{n}.pcap", "wb").write(hdr)
json.dump({"version": 1, "br": "2001:db8:ffff::1",
           "rules": [{"ipv6": "2001:db8::/40", "ipv4": "192.0.2.0/24",
                      "ea_length": 16, "psid_offset": 6}]}, open(f"{d}/br.json", "w"))
PY
if "$S46" replay --config "$tmp/br.json" --v4-in "$tmp/a.pcap" --v6-in "$tmp/b.pcap" \
        --v4-out "$tmp/c.pcap" --v6-out "$tmp/d.pcap" --counters "$tmp/cnt.json" 2>"$tmp/err"; then
    got=$(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["counters"]))' "$tmp/cnt.json")
    doc=$(awk '/^## MAP-E Border Relay/{s=1; next} /^## /{s=0} s && /^\| `/{gsub(/`/, "", $2); printf "%s ", $2}' docs/counters.md)
    if [ "$got" = "${doc% }" ]; then
        pass counters_doc_matches_br_binary
    else
        fail counters_doc_matches_br_binary "binary: $got; doc: $doc"
    fi
else
    fail counters_doc_matches_br_binary "s46 replay failed: $(head -c 300 "$tmp/err")"
fi

# 4. On a copy of the tree, the generator refuses what it must refuse.
copy() {
    rm -rf "$tmp/t"; mkdir -p "$tmp/t"
    cp -r scripts src docs "$tmp/t/"
}
# a counter added without a description
copy
sed -i 's/^\(#define S46_BR_COUNTERS(X) \\\)$/\1\n    X(brand_new) \\/' "$tmp/t/src/dp/br_mape.h"
if ! grep -q 'X(brand_new)' "$tmp/t/src/dp/br_mape.h"; then
    fail counters_doc_refuses_undescribed "could not edit the copy"
elif python3 "$tmp/t/scripts/counters-doc" --check 2>"$tmp/err"; then
    fail counters_doc_refuses_undescribed "--check passed with X(brand_new)"
elif ! grep -q 'brand_new has no description' "$tmp/err"; then
    fail counters_doc_refuses_undescribed "wrong complaint: $(head -c 300 "$tmp/err")"
else
    pass counters_doc_refuses_undescribed
fi
# an empty description
copy
sed -i 's/X(v4_in, "[^"]*")/X(v4_in, " ")/' "$tmp/t/src/dp/br_mape.h"
if python3 "$tmp/t/scripts/counters-doc" --stdout >/dev/null 2>"$tmp/err"; then
    fail counters_doc_refuses_empty "generated a page with an empty description"
elif ! grep -q 'v4_in has no description' "$tmp/err"; then
    fail counters_doc_refuses_empty "wrong complaint: $(head -c 300 "$tmp/err")"
else
    pass counters_doc_refuses_empty
fi
# a description changed but the page not regenerated; then regenerated
copy
sed -i 's/X(v6_in, "[^"]*")/X(v6_in, "changed meaning")/' "$tmp/t/src/dp/br_mape.h"
if python3 "$tmp/t/scripts/counters-doc" --check 2>"$tmp/err"; then
    fail counters_doc_refuses_stale "--check passed on a stale page"
elif ! python3 "$tmp/t/scripts/counters-doc" || ! python3 "$tmp/t/scripts/counters-doc" --check ||
        ! grep -q '^| `v6_in` | changed meaning |$' "$tmp/t/docs/counters.md"; then
    fail counters_doc_refuses_stale "regenerating did not give the new description"
else
    pass counters_doc_refuses_stale
fi
