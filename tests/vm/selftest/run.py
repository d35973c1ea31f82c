#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Host-side tests of the VM test runner's judgement (tests/vm/logscan.py).

Run by tests/vm/run.py before any kernel (make check), counted in the total;
prints TAP. No QEMU: the fixtures beside this file are fed to the scanner.

  reports/*.log   real kernel reports, whole (the kernel's own formats, from
                  its sources and real logs): each must give exactly the
                  number of failures its "## reports:" line says, the first
                  one of the kind its "## kind:" line names
  benign.log      console lines of real boots and of iommu_sac at work: none
                  may give a failure
  scenarios/*.log consoles with test markers and "## " lines saying which
                  tests ran, what they declared and which failures each must
                  get (IOMMU fault declarations, markers, report framing)
  tap/*.tap       TAP streams with the counts and problems they must give
  taint.txt       taint values before and after a test, and the verdict
  allow.txt       "# allow:" header values, and what they must parse to
  ../../canary/kmsg.txt  every line the canaries plant: the failure each
                  must give (the same regex the canary boot asserts)
  boots/*/        a boot's tap.log and console.log judged whole by run.py's
                  parse_tap() (taint records, headers, a hang), expect.txt
                  saying each test's failures
"""

import glob
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import logscan  # noqa: E402

n = 0
failed = 0


def ok(cond, what, why=""):
    global n, failed
    n += 1
    what = what.replace("#", "\\#")     # TAP: a literal '#' in a description
    if cond:
        print(f"ok {n} - {what}")
    else:
        failed += 1
        print(f"not ok {n} - {what}")
        for line in str(why).splitlines():
            print(f"# {line}")


class T:
    def __init__(self, name, devs=()):
        self.name, self.allow_devices = name, set(devs)


def wrap(lines, name="t"):
    """Console lines inside one test's markers, as the guest init writes
    them (kmsg level and time stamps as on a real console)."""
    out = [f"[   10.000000] sac-test: begin {name}"]
    out += lines
    out.append(f"[   99.000000] sac-test: end {name}")
    return "\n".join(out) + "\n"


def read_fixture(path):
    meta, body = [], []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            (meta if line.startswith("## ") else body).append(line)
    return [m[3:] for m in meta], body


def reports():
    for path in sorted(glob.glob(os.path.join(HERE, "reports", "*.log"))):
        meta, body = read_fixture(path)
        kind = next(m.split(":", 1)[1].strip() for m in meta if m.startswith("kind:"))
        count = int(next(m.split(":", 1)[1] for m in meta if m.startswith("reports:")))
        probs = logscan.scan_console(wrap(body), [T("t")]).get("t", [])
        name = os.path.basename(path)
        ok(len(probs) == count and probs and probs[0].startswith(kind),
           f"reports/{name}: {count} failure(s), the first a '{kind}' "
           f"({len(probs)}: {probs[0][:100] if probs else 'none'})",
           "\n".join(probs))


def benign():
    meta, body = read_fixture(os.path.join(HERE, "benign.log"))
    lines = [b for b in body if b.strip()]
    probs = logscan.scan_console(wrap(lines), [T("t")]).get("t", [])
    ok(not probs, f"benign.log: none of {len(lines)} benign console lines is a failure",
       "\n".join(probs))
    # each line alone too: no line may be a fault or a complaint by itself
    bad = [b for b in lines if logscan.classify(logscan.STAMP.sub("", b))
           or logscan.iommu_fault(logscan.STAMP.sub("", b))]
    ok(not bad, "benign.log: no line classifies as a complaint or an IOMMU fault", "\n".join(bad))


def kmsg_rows():
    path = os.path.join(HERE, "..", "..", "canary", "kmsg.txt")
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, expect, text = line.rstrip("\n").split("\t", 2)
            # as the console shows a line written to /dev/kmsg at level 3
            probs = logscan.scan_console(wrap([f"[   12.345678] {text}"]), [T("t")]).get("t", [])
            whys = ["kernel log: " + p for p in probs]
            ok(len(whys) == 1 and re.search(expect, whys[0]),
               f"kmsg.txt {name}: caught as /{expect}/",
               "\n".join(whys) or "not caught")
            # and without a time stamp (printk.time=0)
            probs = logscan.scan_console(wrap([text]), [T("t")]).get("t", [])
            ok(len(probs) == 1 and re.search(expect, "kernel log: " + probs[0]),
               f"kmsg.txt {name}: caught without a time stamp", "\n".join(probs) or "not caught")


def scenarios():
    for path in sorted(glob.glob(os.path.join(HERE, "scenarios", "*.log"))):
        meta, body = read_fixture(path)
        tests, expect, finished, skipped, title = [], {}, None, set(), ""
        for m in meta:
            key, _, val = m.partition(":")
            val = val.strip()
            if key == "title":
                title = val
            elif key == "tests":
                for w in val.split():
                    name, _, devs = w.partition("=")
                    tests.append(T(name, devs.split(",") if devs else ()))
            elif key == "finished":
                finished = set(val.split())
            elif key == "skipped":
                skipped = set(val.split())
            elif key.startswith("expect "):
                who = key[len("expect "):].strip()
                expect.setdefault(None if who == "-" else who, []).append(val)
        probs = logscan.scan_console("\n".join(body) + "\n", tests, finished, skipped)
        name = os.path.basename(path)
        for who in sorted(set(probs) | set(expect), key=str):
            got, want = probs.get(who, []), expect.get(who, [])
            good = len(got) == len(want) and all(
                any(re.search(w, g) for g in got) for w in want)
            ok(good, f"scenarios/{name} ({title}): {who or '(outside tests)'} gets "
               f"{len(want)} failure(s)",
               "expected:\n" + "\n".join(want) + "\ngot:\n" + "\n".join(got))


def tap():
    for path in sorted(glob.glob(os.path.join(HERE, "tap", "*.tap"))):
        meta, body = read_fixture(path)
        counts = next(m.split(":", 1)[1].split() for m in meta if m.startswith("counts:"))
        problems = [m.split(":", 1)[1].strip() for m in meta if m.startswith("problem:")]
        r = logscan.check_tap(body)
        got = [str(r.passed), str(r.failed), str(r.skipped)]
        good = got == counts and len(r.problems) == len(problems) and all(
            re.search(p, q) for p, q in zip(problems, r.problems))
        ok(good, f"tap/{os.path.basename(path)}: {' '.join(counts)} (passed failed skipped), "
           f"{len(problems)} problem(s)" + (f": {r.problems[0]}" if r.problems else ""),
           f"got {' '.join(got)}, problems: {r.problems}")


def taint():
    with open(os.path.join(HERE, "taint.txt")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            before, after, expect = line.rstrip("\n").split(None, 2)
            p = logscan.taint_problem(int(before), int(after))
            good = p is None if expect == "none" else bool(p and re.search(expect, p))
            ok(good, f"taint {before} -> {after}: {p or 'no failure'}", f"expected {expect}")


def allow():
    with open(os.path.join(HERE, "allow.txt")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            value, verdict = line.rstrip("\n").split("\t")
            devs, errors = logscan.parse_allow(value)
            kind, _, arg = verdict.partition(" ")
            if kind == "devices":
                good = not errors and devs == set(arg.split(","))
            else:
                good = bool(errors) and re.search(arg, errors[0]) is not None
            ok(good, f"'# allow: {value}' -> {verdict}", f"got {sorted(devs)} {errors}")


def pci():
    for addr, want in (("00:05.0", "0000:00:05.0"), ("0000:00:05.0", "0000:00:05.0"),
                       ("0001:AB:1f.7", "0001:ab:1f.7"), ("00:20.0", None),
                       ("00:05.8", None), ("zz:05.0", None), ("", None)):
        got = logscan.norm_pci(addr)
        ok(got == want, f"PCI address '{addr}' -> {want}", f"got {got}")


def boots():
    import run      # tests/vm/run.py: parse_tap() as make check calls it
    for d in sorted(glob.glob(os.path.join(HERE, "boots", "*"))):
        tap = open(os.path.join(d, "tap.log")).read()
        console = open(os.path.join(d, "console.log")).read()
        tests, want = [], {}
        with open(os.path.join(d, "expect.txt")) as f:
            for line in f:
                if line.startswith("#") or not line.strip():
                    continue
                name, allow, expect = line.rstrip("\n").split("\t")
                t = T(name)
                t.timeout, t.header_errors = 300, []
                if allow:
                    t.allow_devices, t.header_errors = logscan.parse_allow(allow)
                tests.append(t)
                want[name] = [] if expect == "pass" else expect.split(" && ")
        r = run.parse_tap("6.1", tap, tests, "t-hang", console, say=lambda s: None)
        got = {}
        for f in r.failures:
            tag, _, why = f.partition(": ")
            got.setdefault(tag.split("/", 1)[1], []).append(why)
        for name in sorted(set(want) | set(got)):
            g, w = got.get(name, []), want.get(name, [])
            good = len(g) == len(w) and all(any(re.search(x, y) for y in g) for x in w)
            ok(good, f"boots/{os.path.basename(d)}: {name}: "
               + (f"{len(w)} failure(s)" if w else "passes"),
               "expected:\n" + "\n".join(w) + "\ngot:\n" + "\n".join(g))


def main():
    reports()
    benign()
    kmsg_rows()
    scenarios()
    tap()
    taint()
    allow()
    pci()
    boots()
    print(f"1..{n}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
