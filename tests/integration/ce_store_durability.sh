#!/usr/bin/env bash
# The CE's store (prov/nvstore.h, docs/hb46pp.md C16) seen from outside
# with strace: the new document goes to a temporary file that is fsync'ed
# before it is renamed over the store, and the directory is fsync'ed after
# the rename (else a power cut can lose the file or the rename; kill -9
# cannot show that, the page cache survives it).
set -u
ROOT=${S46_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
TOOL=${S46_TOOLS:-$ROOT/build/asan/tools}/nvstore_save
TMP=$(mktemp -d /tmp/s46-cestore.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
command -v strace >/dev/null || { echo "SKIP ce_store_durability: no strace"; exit 0; }
[ -x "$TOOL" ] || { echo "FAIL ce_store_durability: $TOOL missing (make tools)"; exit 0; }
for round in first overwrite; do
    ASAN_OPTIONS=detect_leaks=0 strace -qq -e trace=openat,fsync,fdatasync,rename,renameat,renameat2,close -o "$TMP/trace" \
        "$TOOL" "$TMP/ce.store"; rc=$?
    python3 - "$TMP/trace" "$TMP/ce.store" >"$TMP/why" 2>&1 <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
path = sys.argv[2]
role = {}  # open descriptor -> what it is (numbers are reused after close)
steps = []
for l in lines:
    m = re.match(r'openat\(AT_FDCWD, "([^"]*)", ([^)]*)\)\s*= (\d+)', l)
    if m:
        if m.group(1) == path + ".tmp" and "O_WRONLY" in m.group(2):
            role[m.group(3)] = "tmp"; steps.append("open-tmp")
        elif "O_DIRECTORY" in m.group(2) and path.startswith(m.group(1).rstrip("/") + "/"):
            role[m.group(3)] = "dir"; steps.append("open-dir")
        continue
    m = re.match(r'close\((\d+)\)', l)
    if m:
        role.pop(m.group(1), None)
        continue
    m = re.match(r'(fsync|fdatasync)\((\d+)\)\s*= 0', l)
    if m:
        steps.append("sync-" + role.get(m.group(2), "other"))
        continue
    if re.match(r'rename(at2?)?\(.*"%s\.tmp".*"%s".*= 0' % (re.escape(path), re.escape(path)), l):
        steps.append("rename")
want = ["open-tmp", "sync-tmp", "rename", "open-dir", "sync-dir"]
print("steps:", steps)
sys.exit(0 if steps == want else 1)
PY
    ok=$?
    if [ "$rc" = 0 ] && [ "$ok" = 0 ]; then echo "PASS store_fsync_rename_fsync_dir_$round"
    else echo "FAIL store_fsync_rename_fsync_dir_$round: rc $rc, $(cat "$TMP/why")"; fi
done
exit 0
