#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""docs/RELIABILITY.md from the soak's and the fuzzers' figures.

`make soak` runs tests/vm/run.py --soak and then this script: it reads the
soak boots of the results folder (results/latest by default): the
"# figure KEY VALUE" lines of tests/guest/soak.sh in each tap.log, the
test's TAP verdict, and the kernel console judged again with
tests/vm/logscan.py. Each kernel's (or lane's) entry replaces its earlier
one in docs/reliability.json; the fuzzers' totals come from
tools/sacctl/fuzz/build/stats/ (tools/sacctl/fuzz/run.sh) when present.
The Markdown is then written from the whole JSON.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tests", "vm"))
import logscan  # noqa: E402

JSON = os.path.join(TOP, "docs", "reliability.json")
MD = os.path.join(TOP, "docs", "RELIABILITY.md")
FUZZ_STATS = os.path.join(TOP, "tools", "sacctl", "fuzz", "build", "stats")
FUZZ_TARGETS = ["kmsg", "kvs", "iova32", "resolve", "ctl", "args"]

GiB = 1 << 30
# The figures per kernel, one make soak each.
GOALS = [
    ("dma_verified_total", 4 * GiB, "DMA verified byte for byte"),
    ("policy_changes", 10000, "policy changes"),
    ("module_cycles", 500, "module load/unload cycles"),
    ("structure_remove_rescan", 200, "PCI remove/rescan cycles"),
    ("hostile_writes", 100000, "hostile debugfs/sysfs writes (the file open)"),
    ("hostile_loads", 1000, "hostile module loads"),
]
WRONG = ["nvme_wrong", "nvme_ioerr", "edu_mismatch", "edu_mapping_error", "edu_timeout",
         "edu32_mismatch", "edu32_mapping_error", "edu32_timeout", "edu32_high",
         "net_in_wrong", "net_out_wrong", "policy_unexpected", "hostile_unexpected",
         "modload_unexpected", "module_load_failures", "structure_failures"]


class _T:
    def __init__(self, name):
        self.name, self.allow_devices = name, set()


def git_rev():
    try:
        return subprocess.run(["git", "-C", TOP, "describe", "--always", "--dirty"],
                              stdout=subprocess.PIPE, text=True).stdout.strip()
    except OSError:
        return "?"


def soak_section(tap):
    """Lines of the soak test's TAP section, and its exit code."""
    lines, rc, inside = [], None, False
    for line in tap.splitlines():
        line = line.rstrip("\r")
        if line.startswith("SAC-TEST-BEGIN soak"):
            inside = True
            continue
        m = re.match(r"SAC-TEST-END soak (\d+)", line)
        if m:
            rc = int(m.group(1))
            break
        if inside:
            lines.append(line)
    return lines, rc


def read_boot(kname, bootdir):
    with open(os.path.join(bootdir, "tap.log"), errors="replace") as f:
        tap = f.read()
    try:
        with open(os.path.join(bootdir, "console.log"), errors="replace") as f:
            console = f.read()
    except FileNotFoundError:
        console = ""
    lines, rc = soak_section(tap)
    if not lines:
        return None
    fig = {}
    for line in lines:
        m = re.match(r"# figure (\S+) (\S+)$", line)
        if m:
            v = m.group(2)
            fig[m.group(1)] = int(v) if v.isdigit() else v
    res = logscan.check_tap(lines)
    finished = {"soak"} if rc is not None else set()
    probs = logscan.scan_console(console, [_T("soak")], finished)
    klog = sum(probs.values(), [])
    fails = [ln for kind, ln in res.lines if kind == "fail"] + list(res.problems)
    if rc is None:
        fails.append("the soak did not finish")
    cmd = ""
    try:
        with open(os.path.join(bootdir, "qemu.cmd")) as f:
            cmd = f.read()
    except FileNotFoundError:
        pass
    m = re.search(r"-smp (\d+)", cmd)
    uname = re.search(r"SAC-INIT (\S+)", tap)
    return {
        "kernel": kname, "release": uname.group(1) if uname else "?",
        "smp": int(m.group(1)) if m else None, "figures": fig,
        "passed": res.passed, "failed": res.failed + len(res.problems) + (rc is None),
        "failures": fails[:20], "kernel_log": klog[:20],
        "verdict": "clean" if not klog else f"{len(klog)} problem(s)",
        "control": fig.get("control") == 1,
        "date": time.strftime("%Y-%m-%d", time.gmtime(os.path.getmtime(os.path.join(bootdir, "tap.log")))),
        "git": git_rev(), "results": os.path.relpath(bootdir, TOP),
    }


def fuzz_entry():
    if not os.path.isdir(FUZZ_STATS):
        return None
    out = {}
    for t in FUZZ_TARGETS:
        p = os.path.join(FUZZ_STATS, t)
        if not os.path.exists(p):
            continue
        d = {}
        with open(p) as f:
            for line in f:
                k, _, v = line.strip().partition(" ")
                d[k] = int(v) if v.isdigit() else v
        out[t] = d
    if not out:
        return None
    return {"targets": out, "date": time.strftime("%Y-%m-%d", time.gmtime()), "git": git_rev()}


def count(n):
    return f"{n:,}".replace(",", " ") if isinstance(n, int) else str(n)


def human(n):
    """Bytes."""
    if not isinstance(n, int):
        return str(n)
    if n >= GiB:
        return f"{n / GiB:.2f} GiB"
    if n >= 1 << 20:
        return f"{n / (1 << 20):.1f} MiB"
    return f"{n:,}".replace(",", " ")


def rate(v, secs):
    if not isinstance(v, int) or not secs:
        return ""
    return f" ({v / secs:,.1f}/s)".replace(",", " ")


def lane_order(name):
    """Sort key of a table's columns: by name, so each kernel is followed by its lanes."""
    return (name.split("-")[0].count("."), name)


def verdict_rows(w, entries, names, goals):
    """The last rows of a figures table (with its goal column when @goals:
    0 wrong, a clean log), then each run's failures and log problems."""
    def line(label, goal, cells):
        g = (f" {goal} |" if goal else " |") if goals else ""
        w(f"| {label} |{g} " + " | ".join(cells) + " |")
    line("bytes wrong, I/O errors, unexpected outcomes", "0",
         [str(sum(entries[n]["figures"].get(k, 0) for k in WRONG
                  if isinstance(entries[n]["figures"].get(k), int))) for n in names])
    line("checks passed / failed", "",
         [f"{entries[n]['passed']} / {entries[n]['failed']}" for n in names])
    line("kernel log", "clean", [entries[n]["verdict"] for n in names])
    line("kernel release", "", [entries[n]["release"] for n in names])
    line("run (date, git)", "", [f"{entries[n]['date']} {entries[n]['git']}" for n in names])
    w("")
    for n in names:
        e = entries[n]
        if e["failures"] or e["kernel_log"]:
            w(f"**{n}**: " + "; ".join(e["failures"] + e["kernel_log"])[:2000])
            w("")


def write_md(db):
    out = []
    w = out.append
    w("# Reliability: the soak and the fuzzers")
    w("")
    w("Generated by `make soak` (tests/soak/report.py) from the figures of real runs; "
      "each kernel's or lane's entry is the last `make soak` that named it. Do not edit: "
      "rerun `make soak KERNELS=... DURATION=...` (and `make fuzz FUZZ_SECONDS=...` for the "
      "fuzzers' part).")
    w("")
    w("## What the soak does")
    w("")
    w("One boot per kernel (or lane) with `-smp 4` under QEMU/TCG (`-accel tcg,thread=single`: "
      "the four vCPUs share one host thread), `iommu_sac` loaded with "
      "`devices=0000:00:05.0=dma32`, and all of these at once until the time is up "
      "(tests/guest/soak.sh, workers in tests/soak/sacsoak.c):")
    w("")
    w("1. **verified DMA**: O_DIRECT writes of 4 KiB to 1 MiB at random places of the nvme "
      "namespace, each read back and compared with a seeded generator (splitmix64 per "
      "8-byte word), plus re-reads of earlier writes elsewhere (data at rest); round trips "
      "of 1..4095 bytes through both edu devices (random data, compared byte for byte by "
      "sac_edu); a TCP stream each way between the two e1000e ports across a network "
      "namespace, every byte checked by the receiver against the generator;")
    w("2. **policy churn**: device policies (debugfs), the default (debugfs and sysfs), whole "
      "rule sets (`/sys/module/iommu_sac/parameters/devices`), `rearm` and `reset_stats` "
      "(both planes), at random; the edu that drops high address bits only ever gets "
      "`dma32` or `sac` (anything else would fault by design);")
    w("3. **structure churn**: PCI remove/rescan and driver unbind/bind of both edus and the "
      "first e1000e port (its address set again after each; the port is unbound before "
      "its removal and its ring registers cleared while unbound, \"The e1000e read "
      "faults\" below), and on 6.12/7.2 IOMMU group "
      "type changes (`identity`, `DMA`, `DMA-FQ`) while unbound; module unload/load cycles "
      "(the module loaded 0.3-3 s each time);")
    w("4. **hostile input**: random bytes, lengths up to 3 pages, words bent (a byte changed, "
      "cut, upper case, a NUL inside, padded to 127-129 bytes), writes at offsets, in two "
      "pieces, from a bad buffer, and on descriptors kept open while their device goes, into "
      "every debugfs file of the module and every parameter file; each outcome is predicted "
      "from docs/interfaces.md (accepted exactly when it is a valid value) and any other "
      "outcome counts as unexpected. Between load cycles, hostile module loads (random "
      "`devices=`, `default_policy=`, `iova32_max_iovas=`, most of them close to valid): "
      "each must load with exactly the policies it gives every present device, or be "
      "refused with `EINVAL` and exactly one message of the module naming the bad entry "
      "(docs/interfaces.md's wording; the kernel's own parse_args() line for "
      "`iova32_max_iovas` is not the module's).")
    w("")
    w("At the end: every device back, known policies, counters reset, 10 round trips per edu "
      "and a 3 s nvme run, and the counters must match what was done (2 allocations per "
      "round trip, `allocs = sac_hits + dac_allocs + failed` per device and globally, no "
      "failed allocation, `inflight 0`); then the module unloads. The kernel console of the "
      "whole boot is judged by tests/vm/logscan.py (WARNING, BUG, Oops, lockdep, KASAN, "
      "RCU stalls, soft lockups, any DMAR or AMD-Vi fault, ...), as in make check.")
    w("")
    w("`make check` runs the same test for 90 s on the base kernels 6.1, 6.12 and 7.2 "
      "(no `# lanes:` header: not on the -rt, amd or debug lanes there), so it cannot rot. "
      "`make soak KERNELS=\"6.1 6.12-rt 7.2-amd\" DURATION=20m` runs it on any kernel or "
      "lane, one boot at a time, and rewrites this file. `make soak CONTROL=1 KERNELS=...` "
      "runs the control: the same boot with `iommu_sac` never loaded, the verified DMA and "
      "the structure churn as above, three syscall loops in place of the module's workers, "
      "the kernel log judged the same way; what the control logs too does not come from "
      "the module.")
    w("")
    allsoaks = db.get("soak", {})
    soaks = {k: v for k, v in allsoaks.items() if not v.get("control")}
    controls = {k: v for k, v in allsoaks.items() if v.get("control")}
    if soaks:
        w("## Soak figures")
        w("")
        names = sorted(soaks, key=lane_order)
        w("| figure | goal | " + " | ".join(names) + " |")
        w("| --- | --- | " + " | ".join("---" for _ in names) + " |")

        def row(label, goal, key):
            fmt = human if re.search(r"verified|written|reread|dma_", key) else count
            cells = []
            for n in names:
                f = soaks[n]["figures"]
                v = f.get(key, "-")
                secs = f.get("seconds", 0)
                least = key == "hostile_writes" and isinstance(v, int) and \
                    "hostile_noopen" not in f
                if least:
                    v -= f.get("hostile_away", 0)
                c = ("≥ " if least else "") + fmt(v) + \
                    (rate(v, secs) if key in ("policy_changes", "hostile_writes",
                                              "hostile_loads", "module_cycles",
                                              "structure_remove_rescan") else "")
                if goal and isinstance(v, int):
                    c += " ✓" if v >= goal else " (below goal)"
                cells.append(c)
            w(f"| {label} | {fmt(goal) if goal else ''} | " + " | ".join(cells) + " |")

        row("seconds of soak", None, "seconds")
        for key, goal, label in GOALS:
            row(label, goal, key)
        for key, label in [("nvme_verified", "nvme bytes verified"),
                           ("nvme_reread", "  of which re-reads of earlier writes"),
                           ("nvme_ops", "nvme O_DIRECT I/Os"),
                           ("edu_verified", "edu (64-bit) bytes verified"),
                           ("edu_roundtrips", "edu round trips"),
                           ("edu32_verified", "edu32 (drops high bits) bytes verified"),
                           ("edu32_roundtrips", "edu32 round trips"),
                           ("net_in_verified", "TCP into the namespace, bytes verified"),
                           ("net_out_verified", "TCP out of the namespace, bytes verified"),
                           ("structure_unbind_bind", "driver unbind/bind"),
                           ("structure_group_type", "IOMMU group type changes"),
                           ("hostile_loads_loaded", "hostile loads that loaded (policies checked)"),
                           ("hostile_loads_message_ok", "hostile loads refused with the one right message"),
                           ("module_unload_ms_avg", "unload, average ms"),
                           ("module_load_ms_avg", "load, average ms"),
                           ("hostile_skipped_unsafe", "hostile writes not made (valid and unsafe)"),
                           ("hostile_noopen", "hostile writes not made (the file gone at open)")]:
            row(label, None, key)
        verdict_rows(w, soaks, names, goals=True)
        old = [n for n in names if "hostile_noopen" not in soaks[n]["figures"]]
        w("A hostile write counts when its file opened for writing (or its mode refused "
          "it); an attempt that found the file gone, the module or its device away, is no "
          "write and has a row of its own." + (
              f" The runs of {', '.join(old)} come from before that rule: they counted "
              "those attempts as writes, and not apart. Their \"≥\" figure is a lower bound: "
              "all their writes less every one judged \"away\" (gone at open, or refused by "
              "a module loading, unloading or losing the device)." if old else ""))
        w("")
    if controls:
        w("## Control runs: the same soak without iommu_sac")
        w("")
        names = sorted(controls, key=lane_order)
        w("| figure | " + " | ".join(names) + " |")
        w("| --- | " + " | ".join("---" for _ in names) + " |")
        for key, label in [("seconds", "seconds of soak"),
                           ("dma_verified_total", "DMA verified byte for byte"),
                           ("nvme_verified", "nvme bytes verified"),
                           ("net_in_verified", "TCP into the namespace, bytes verified"),
                           ("net_out_verified", "TCP out of the namespace, bytes verified"),
                           ("edu_roundtrips", "edu round trips"),
                           ("edu32_roundtrips", "edu32 round trips"),
                           ("structure_remove_rescan", "PCI remove/rescan cycles"),
                           ("structure_unbind_bind", "driver unbind/bind"),
                           ("structure_group_type", "IOMMU group type changes")]:
            fmt = human if "verified" in key else count
            w(f"| {label} | " + " | ".join(
                fmt(controls[n]["figures"].get(key, "-")) for n in names) + " |")
        verdict_rows(w, controls, names, goals=False)
    notes = os.path.join(os.path.dirname(os.path.abspath(__file__)), "notes.md")
    if os.path.exists(notes):
        with open(notes) as f:
            w(f.read().rstrip("\n"))
        w("")
    fz = db.get("fuzz")
    if fz:
        w("## Fuzzing sacctl's parsers")
        w("")
        w("libFuzzer with AddressSanitizer (leaks included) and UBSan, "
          "`-fno-sanitize-recover=all`, targets in tools/sacctl/fuzz/, seeds from real guest "
          "output in tools/sacctl/tests/corpus/; `make fuzz FUZZ_SECONDS=N` runs each target "
          "N seconds and adds its figures (CPU time measured with /usr/bin/time) to "
          "tools/sacctl/fuzz/build/stats/, from which this table is written "
          f"({fz['date']}, git {fz['git']}). The record adds up several runs on this "
          "machine's two cores: some ran three targets at a time under `nice -n 19` beside "
          "VM boots, one ran them one after the other beside a soak boot; the CPU time is "
          "what the targets got, the wall time how long they ran.")
        w("")
        w("| target | what it parses | CPU time | wall time | executions | corpus | crashes, leaks, UB |")
        w("| --- | --- | --- | --- | --- | --- | --- |")
        what = {"kmsg": "kernel-log fault lines (sacctl advise)",
                "kvs": "debugfs key-value files (stats, state, latency)",
                "iova32": "the iova32 view", "resolve": "device names",
                "ctl": "control writes (set/default/rearm)", "args": "the command line"}
        tc = tr = tw = 0
        for t, d in fz["targets"].items():
            tc += d.get("cpu_s", 0)
            tr += d.get("runs", 0)
            tw += d.get("wall_s", 0)
            w(f"| {t} | {what.get(t, '')} | {d.get('cpu_s', 0) / 60:.1f} min | "
              f"{d.get('wall_s', 0) / 60:.0f} min | "
              f"{count(d.get('runs', 0))} | {d.get('corpus', 0)} | {d.get('failures', 0)} |")
        w(f"| all | | **{tc / 3600:.2f} h** | {tw / 3600:.1f} h | {count(tr)} | | "
          f"{sum(d.get('failures', 0) for d in fz['targets'].values())} |")
        w("")
    os.makedirs(os.path.dirname(MD), exist_ok=True)
    with open(MD, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("results", nargs="?", default=os.path.join(TOP, "results", "latest"))
    ap.add_argument("--fuzz-only", action="store_true",
                    help="only take the fuzzers' figures (make fuzz)")
    a = ap.parse_args()
    db = {}
    if os.path.exists(JSON):
        with open(JSON) as f:
            db = json.load(f)
    found = 0
    if not a.fuzz_only:
        for kname in sorted(os.listdir(a.results)) if os.path.isdir(a.results) else []:
            kdir = os.path.join(a.results, kname)
            for boot in sorted(os.listdir(kdir)) if os.path.isdir(kdir) else []:
                if "sac.soak=" not in boot:
                    continue
                e = read_boot(kname, os.path.join(kdir, boot))
                if e:
                    key = kname + (" control" if e["control"] else "")
                    db.setdefault("soak", {})[key] = e
                    found += 1
                    print(f"{key}: {e['passed']} passed, {e['failed']} failed, kernel log "
                          f"{e['verdict']}, {human(e['figures'].get('dma_verified_total', 0))} verified")
        if not found:
            print(f"no soak boot (sac.soak=) under {a.results}", file=sys.stderr)
    fz = fuzz_entry()

    def cpu(e):
        return sum(d.get("cpu_s", 0) for d in e["targets"].values()) if e else 0
    # A checkout's stats may hold only make check's 5 s runs: keep the
    # larger record unless make fuzz asks (--fuzz-only).
    if fz and (a.fuzz_only or cpu(fz) >= cpu(db.get("fuzz"))):
        db["fuzz"] = fz
    with open(JSON, "w") as f:
        json.dump(db, f, indent=1, sort_keys=True)
        f.write("\n")
    write_md(db)
    print(f"wrote {os.path.relpath(MD, TOP)}")
    return 0 if found or a.fuzz_only else 1


if __name__ == "__main__":
    sys.exit(main())
