#!/usr/bin/env bash
# Every reference a reader of the repository meets must resolve inside it:
# no path outside the repository (a shared folder, this machine's absolute
# paths), every docs/PAGE.md the code or tests name exists, every
# "docs/hb46pp.md, C9"-style id exists on that page, and every relative link
# of the Markdown pages (file and #anchor) resolves.
set -u
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - >"$tmp/out" 2>&1 <<'PY'
import os, re, subprocess

files = [f for f in subprocess.run(["git", "ls-files"], capture_output=True, text=True).stdout.split()
         if os.path.isfile(f)]
src = [f for f in files if f.split("/")[0] in ("src", "tests", "lab", "bench", "scripts", "examples")
       or f in ("Makefile", "README.md") or f.startswith("docs/")]
me = "tests/integration/docs_refs.sh"

def read(f):
    try:
        return open(f, encoding="utf-8").read()
    except (UnicodeDecodeError, OSError):
        return ""

# Anchors of a Markdown page: explicit <a id="..."> and headings (GitHub style).
def anchors(page):
    t = read(page)
    a = set(re.findall(r'<a id="([^"]+)"', t))
    for h in re.findall(r"^#+ (.+)$", t, re.M):
        s = re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-")
        a.add(s)
    return a

bad = []
outside = re.compile(r"(\.\./shared|shared/docs|/work/|/home/|/root/)")
for f in src:
    if f == me:
        continue
    for i, line in enumerate(read(f).split("\n"), 1):
        if outside.search(line):
            bad.append("outside: %s:%d: %s" % (f, i, line.strip()[:100]))
print("PASS docs_refs_nothing_outside" if not bad else
      "FAIL docs_refs_nothing_outside: " + "; ".join(bad[:5]))

# docs/PAGE.md named in code and tests, and "docs/PAGE.md, ID" / "docs/PAGE.md ID" ids.
bad = []
ref = re.compile(r"docs/([a-z0-9_-]+\.md)(?:#([\w-]+)|,? (?:steps )?((?:[A-Z]\d+|a-k)(?:[-/][A-Z]?\d+)?))?")
for f in src:
    if f.startswith("docs/") or f == me:
        continue
    for i, line in enumerate(read(f).split("\n"), 1):
        for m in ref.finditer(line):
            page = "docs/" + m.group(1)
            if not os.path.isfile(page):
                bad.append("%s:%d: no %s" % (f, i, page))
                continue
            ids = []
            if m.group(2):
                ids = [m.group(2)]
            elif m.group(3):
                g = m.group(3)
                if g == "a-k":
                    ids = ["a-k"]
                else:
                    parts = re.split(r"[-/]", g)
                    letter = parts[0][0]
                    ids = [parts[0]] + [p if p[0].isalpha() else letter + p for p in parts[1:]]
            have = anchors(page)
            text = read(page)
            for x in ids:
                if x.lower() not in have and not re.search(r"\*\*%s\b" % re.escape(x), text):
                    bad.append("%s:%d: %s has no %s" % (f, i, page, x))
print("PASS docs_refs_ids_exist" if not bad else "FAIL docs_refs_ids_exist: " + "; ".join(bad[:5]))

# Relative links of the Markdown pages.
bad = []
for f in [f for f in src if f.endswith(".md")]:
    for m in re.finditer(r"\]\(([^)\s]+)\)", read(f)):
        target = m.group(1)
        if re.match(r"[a-z]+:", target):
            continue
        path, _, frag = target.partition("#")
        dest = os.path.normpath(os.path.join(os.path.dirname(f), path)) if path else f
        if not os.path.exists(dest):
            bad.append("%s: %s (no file)" % (f, target))
        elif frag and dest.endswith(".md") and frag not in anchors(dest):
            bad.append("%s: %s (no anchor)" % (f, target))
print("PASS docs_refs_links_resolve" if not bad else "FAIL docs_refs_links_resolve: " + "; ".join(bad[:5]))
PY
cat "$tmp/out"
