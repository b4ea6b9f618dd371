#!/usr/bin/python3
"""Mutation testing of our own: plants one bug at a time and runs the tests
that should catch it.

tests/mutate/mutants.txt lists the mutants (see its head for the format).
For each mutant, in a scratch copy of the tree (the working tree with its
build, so only what a mutant touches is rebuilt): replace the pattern (it
must occur exactly once), build what the named tests need, run them in
order through tests/run.sh (per-test time limits apply) and stop at the
first that fails. Prints one line per mutant:

  caught    NAME  by LABEL (first FAIL line)
  SURVIVED  NAME  (tests run)
  ERROR     NAME  pattern not found | pattern ambiguous (N) | build failed

then the score: caught / (caught + survived); errors are listed apart (a
pattern that no longer applies after a refactoring is fixed in
mutants.txt, it is no survival). The scratch copy is removed at the end.

Usage: tests/mutate/run.sh [--keep] [--baseline] [NAME-FILTER...]
       tests/mutate/run.sh --check
  --baseline  first run every named test on the unmutated copy (a test
              failing there makes every "caught" by it meaningless)
  --keep      keep the scratch copy (its path is printed)
  --check     plant nothing: say whether every mutant still applies to the
              working tree (its pattern there exactly once, a replacement
              that differs, every test it names exists), as `make test`
              does after each change (tests/integration/mutants_apply.sh)
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LIST = os.path.join(ROOT, "tests", "mutate", "mutants.txt")


def parse(path):
    """Blocks of `key: value` lines separated by blank lines; `#` lines are
    comments. In find/replace, \\n is a newline and \\t a tab."""
    mutants, cur = [], {}
    with open(path) as f:
        lines = f.read().split("\n")
    for n, line in enumerate(lines + [""], 1):
        if line.startswith("#"):
            continue
        if not line.strip():
            if cur:
                mutants.append(cur)
                cur = {}
            continue
        m = re.match(r"^(mutant|file|find|replace|tests|why):\s?(.*)$", line)
        if not m:
            sys.exit("%s:%d: not a `key: value` line: %s" % (path, n, line))
        key, val = m.group(1), m.group(2)
        if key in ("find", "replace"):
            val = val.replace("\\n", "\n").replace("\\t", "\t")
        if key in cur:
            sys.exit("%s:%d: %s given twice" % (path, n, key))
        cur[key] = val
        cur.setdefault("line", n)
    names = set()
    for m in mutants:
        for k in ("mutant", "file", "find", "replace", "tests"):
            if k not in m:
                sys.exit("%s:%d: mutant without %s" % (path, m["line"], k))
        if m["mutant"] in names:
            sys.exit("%s: mutant %s listed twice" % (path, m["mutant"]))
        names.add(m["mutant"])
        m["tests"] = m["tests"].split()
    return mutants


def unit_labels(tree, flt):
    return [os.path.basename(p)[:-2] for p in sorted(os.listdir(os.path.join(tree, "tests", "unit")))
            if p.startswith("test_") and p.endswith(".c") and flt in "unit/" + p[:-2]]


def build_targets(tree, filters):
    """What the named tests need: the unit-test programs they name; for an
    integration test, every program, sanitized program and test tool."""
    targets = []
    for flt in filters:
        for u in unit_labels(tree, flt):
            targets.append("build/asan/tests/" + u)
        integ = [p for p in os.listdir(os.path.join(tree, "tests", "integration"))
                 if p.endswith(".sh") and flt in "integration/" + p[:-3]]
        if integ:
            targets += ["all", "tools"]
            progs = sorted(os.listdir(os.path.join(tree, "src", "cmd")))
            targets += ["build/asan/bin/" + p for p in progs]
    return list(dict.fromkeys(targets))


def run_tests(tree, filters, limit):
    """Runs the filters in order; returns (label, fail line) of the first
    failing one, or None."""
    env = dict(os.environ)
    env.pop("CI", None)
    # run.sh keeps the output of failed tests: inside the scratch copy
    env["TMPDIR"] = os.path.dirname(tree)
    for flt in filters:
        try:
            r = subprocess.run(["bash", "tests/run.sh", flt], cwd=tree, env=env,
                               capture_output=True, text=True, timeout=limit)
        except subprocess.TimeoutExpired:
            return (flt, "harness limit of %d s" % limit)
        out = r.stdout
        if "0 passed, 0 failed" in out.splitlines()[-1:]:
            return ("-", "no test matches %r" % flt)
        if r.returncode != 0:
            label, first = flt, ""
            for line in out.splitlines():
                m = re.match(r"^(\S+)\s+\d+ passed\s+(\d+) failed", line)
                if m and int(m.group(2)) > 0 and label == flt:
                    label = m.group(1)
                if line.startswith("    FAIL ") and not first:
                    first = line.strip()[5:]
            return (label, first[:150])
    return None


def tests_named(flt):
    unit = unit_labels(ROOT, flt)
    integ = [p for p in os.listdir(os.path.join(ROOT, "tests", "integration"))
             if p.endswith(".sh") and flt in "integration/" + p[:-3]]
    return unit + integ


def check(mutants):
    """PASS/FAIL lines: every mutant applies to the working tree."""
    bad = []
    for m in mutants:
        path = os.path.join(ROOT, m["file"])
        try:
            with open(path) as f:
                n = f.read().count(m["find"])
        except OSError:
            bad.append("%s: no file %s" % (m["mutant"], m["file"]))
            continue
        if n != 1:
            bad.append("%s: pattern %s in %s" % (m["mutant"], "not found" if n == 0 else
                                                  "found %d times" % n, m["file"]))
        if m["find"] == m["replace"]:
            bad.append("%s: replacement equals the pattern" % m["mutant"])
        for flt in m["tests"]:
            if not tests_named(flt):
                bad.append("%s: no test matches %s" % (m["mutant"], flt))
    print("PASS mutants_apply (%d mutants)" % len(mutants) if not bad else
          "FAIL mutants_apply: " + "; ".join(bad[:8]) +
          (" (+%d more)" % (len(bad) - 8) if len(bad) > 8 else ""))
    return 0 if not bad else 1


def main():
    args = sys.argv[1:]
    if "--check" in args:
        return check(parse(LIST))
    keep = "--keep" in args
    baseline = "--baseline" in args
    names = [a for a in args if not a.startswith("--")]
    mutants = parse(LIST)
    if names:
        mutants = [m for m in mutants if any(n in m["mutant"] for n in names)]
    base = os.environ.get("TMPDIR", "/tmp")
    scratch = tempfile.mkdtemp(prefix="s46-mutate.", dir=base)
    tree = os.path.join(scratch, "tree")
    t0 = time.time()
    print("copying the tree to %s" % tree, flush=True)
    shutil.copytree(ROOT, tree, symlinks=True,
                    ignore=lambda d, names: [n for n in names if
                                             (d == ROOT and n == ".git") or
                                             (d == os.path.join(ROOT, "build") and n == "fuzz")])
    limit = int(os.environ.get("MUTATE_LIMIT", "900"))
    results = []
    try:
        r = subprocess.run(["make", "-j2", "all", "unit", "tools"] +
                           ["build/asan/bin/" + p for p in sorted(os.listdir(os.path.join(tree, "src", "cmd")))],
                           cwd=tree, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit("the unmutated tree does not build:\n" + r.stdout[-2000:] + r.stderr[-2000:])
        if baseline:
            filters = list(dict.fromkeys(f for m in mutants for f in m["tests"]))
            for flt in filters:
                bad = run_tests(tree, [flt], limit)
                if bad:
                    sys.exit("baseline: %s fails on the unmutated tree: %s" % bad)
            print("baseline: %d test filters pass unmutated (%ds)" % (len(filters), time.time() - t0),
                  flush=True)
        for m in mutants:
            start = time.time()
            path = os.path.join(tree, m["file"])
            try:
                with open(path) as f:
                    orig = f.read()
            except OSError:
                orig = None
            n = orig.count(m["find"]) if orig is not None else 0
            if n != 1:
                status, detail = "ERROR", ("pattern not found" if n == 0 else "pattern ambiguous (%d)" % n)
            else:
                with open(path, "w") as f:
                    f.write(orig.replace(m["find"], m["replace"]))
                try:
                    b = subprocess.run(["make", "-j2"] + build_targets(tree, m["tests"]), cwd=tree,
                                       capture_output=True, text=True)
                    if b.returncode != 0:
                        err = [l for l in (b.stdout + b.stderr).splitlines() if "error:" in l]
                        status, detail = "ERROR", "build failed: " + (err[0] if err else "")[:150]
                    else:
                        hit = run_tests(tree, m["tests"], limit)
                        if hit is None:
                            status, detail = "SURVIVED", "(ran %s)" % " ".join(m["tests"])
                        elif hit[0] == "-":
                            status, detail = "ERROR", hit[1]
                        else:
                            status, detail = "caught", "by %s (%s)" % hit
                finally:
                    with open(path, "w") as f:
                        f.write(orig)
            results.append((m, status, detail))
            print("%-8s %-40s %s  [%ds]" % (status, m["mutant"], detail, time.time() - start),
                  flush=True)
    finally:
        if keep:
            print("scratch copy kept in %s" % scratch)
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    caught = sum(1 for _, s, _ in results if s == "caught")
    survived = [m for m, s, _ in results if s == "SURVIVED"]
    errors = [(m, d) for m, s, d in results if s == "ERROR"]
    print()
    for m in survived:
        print("survived: %s (%s)%s" % (m["mutant"], m["file"],
                                        ": " + m["why"] if m.get("why") else ""))
    for m, d in errors:
        print("error: %s (%s): %s" % (m["mutant"], m["file"], d))
    total = caught + len(survived)
    print("mutation score: %d of %d caught (%.1f %%), %d errors, %d s" %
          (caught, total, 100.0 * caught / total if total else 0.0, len(errors), time.time() - t0))
    return 0 if not survived and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
