"""What every golden test of a pipeline through `s46 replay` does the same
way: run the real `s46 replay` on packets crafted with scapy, read what left
each side, have tshark dissect it (it must find nothing malformed), compare
packets byte for byte and counters by name, and print one PASS/FAIL line
per case. The test files (br_golden.py, ce_golden.py, lwaftr_golden.py,
aftr_golden.py, siit_golden.py) hold only their cases and the expected
packets they build independently.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

from scapy.all import Ether, rdpcap, wrpcap

S46 = os.path.abspath(os.path.join(os.environ.get("S46_ASAN_BIN", "build/asan/bin"), "s46"))


class Golden:
    def __init__(self, prefix):
        self.prefix = prefix
        self.tmp = tempfile.mkdtemp(prefix="s46-%s-golden-" % prefix)
        self.failures = 0

    def dir(self, name):
        """A fresh directory for one replay."""
        d = os.path.join(self.tmp, name)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        return d

    def replay(self, name, cfg, v4_in=(), v6_in=(), linktype=101, dissect=True, conf="conf.json",
               in_dir=False, expect_fail=False, files=None):
        """Runs `s46 replay` with cfg (written as conf in a directory of its
        own, with the extra files {name: text}) over the v4_in and v6_in
        packets; returns (IPv4-side output, IPv6-side output, the counters
        document, the directory). in_dir: run inside the directory (paths in
        cfg relative to it). expect_fail: the replay must refuse the config
        (exit 2); returns its stderr instead."""
        d = self.dir(name)
        paths = {k: os.path.join(d, k + ".pcap") for k in ("a", "b", "c", "d")}
        with open(os.path.join(d, conf), "w") as f:
            json.dump(cfg, f)
        for fname, text in (files or {}).items():
            with open(os.path.join(d, fname), "w") as f:
                f.write(text)
        for key, pkts in (("a", v4_in), ("b", v6_in)):
            if linktype == 1:
                pkts = [Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / p for p in pkts]
                wrpcap(paths[key], pkts, linktype=1)
            else:
                wrpcap(paths[key], [bytes(p) for p in pkts], linktype=101)
        r = subprocess.run([S46, "replay", "--config", os.path.join(d, conf),
                            "--v4-in", paths["a"], "--v6-in", paths["b"],
                            "--v4-out", paths["c"], "--v6-out", paths["d"],
                            "--counters", os.path.join(d, "counters.json")],
                           capture_output=True, text=True, timeout=60, cwd=d if in_dir else None)
        if expect_fail:
            if r.returncode != 2:
                raise AssertionError("replay exited %d, want 2 (a refused config)" % r.returncode)
            return r.stderr
        if r.returncode != 0:
            raise AssertionError("replay exited %d: %s" % (r.returncode, r.stderr.strip()))
        outs = []
        for key in ("c", "d"):
            outs.append([bytes(p) for p in rdpcap(paths[key])]
                        if os.path.getsize(paths[key]) > 24 else [])
            if dissect:
                check_tshark(paths[key])
        with open(os.path.join(d, "counters.json")) as f:
            doc = json.load(f)
        return outs[0], outs[1], doc, d

    def case(self, fn):
        try:
            fn()
            print("PASS %s_%s" % (self.prefix, fn.__name__))
        except Exception as e:  # noqa: BLE001 - every failure is a FAIL line
            self.failures += 1
            print("FAIL %s_%s: %s" % (self.prefix, fn.__name__, str(e).replace("\n", " ")[:600]))
        sys.stdout.flush()

    def finish(self):
        shutil.rmtree(self.tmp, ignore_errors=True)
        sys.exit(1 if self.failures else 0)


def check_tshark(path):
    """tshark dissects the pcap at path and finds nothing malformed."""
    if os.path.getsize(path) <= 24:
        return
    r = subprocess.run(["tshark", "-r", path, "-V"], capture_output=True, text=True, timeout=60)
    if r.returncode != 0 or "Malformed" in r.stdout or "[Expert Info (Error" in r.stdout:
        bad = [l for l in r.stdout.splitlines() if "Malformed" in l or "Expert Info (Error" in l]
        raise AssertionError("tshark flags %s: %s %s" % (path, bad[:3], r.stderr[:200]))


def eq(got, want, what="packets"):
    """Lists of packets (bytes) equal, shown in hex when not."""
    if got != want:
        raise AssertionError("%s differ:\n got  %s\n want %s" %
                             (what, [p.hex() for p in got], [p.hex() for p in want]))


def counters_have(c, **want):
    """The named counters have exactly these values (the others shown)."""
    for k, v in want.items():
        if c.get(k) != v:
            raise AssertionError("counter %s = %s, want %s (all: %s)" %
                                 (k, c.get(k), v, {a: b for a, b in c.items() if b}))
