# SPDX-License-Identifier: GPL-2.0
"""docs/PERFORMANCE.md and docs/perf/*.png from the benchmark's JSON
(written by tests/bench/bench.py; `bench.py --report-only` reruns this)."""

import json
import os
import shutil
import subprocess
import tempfile

CONFIGS = ["vanilla", "kernel", "auto", "timing", "sac", "dac", "dma32", "forcedac"]
HOOKED = ["kernel", "auto", "timing", "sac", "dac", "dma32"]
# The policy each hooked config sets (timing: auto with latency timing on).
POLICY = {"timing": "auto"}
EXH = ["flip", "flip-churn", "same"]
NOTES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "analysis.md")
# The published figures of git 698558c (old method), for the comparison.
OLD_JSON = "results-698558c.json"
OLD_GIT = "698558c"
# make bench at git 9bda50f: the hot path before issue 13's rewrite,
# measured with the corrected method (the honest "before").
MID_JSON = "results-9bda50f.json"
MID_GIT = "9bda50f"
# Issue 13's targets: instructions added per steady 4 KiB map+unmap.
LIMITS = {"auto": 60, "kernel": 45, "dma32": 60, "dac": 60, "sac": 60, "timing": 90}

# What a config claims about where its IOVAs go.
ABOVE = {"dac", "forcedac"}          # never tries below 4 GiB
UNLOADED = {"vanilla", "forcedac"}   # iommu_sac not loaded
PLACED = {"steady", "scale", "ftrace-floor"}   # fresh or flushed, unfragmented
TIMED = PLACED | set(EXH)
# Boots reported apart from the main tables (their own vanilla): tsc runs
# vanilla, auto and timing on a CPU the guest gives a constant TSC
# (bench.py TSC_CPU), so that iommu_sac times with the TSC.
TSC_BOOT = "tsc"
SEPARATE = {TSC_BOOT}


def run_name(r):
    keys = ("scenario", "config", "size", "devs", "ftrace", "churn")
    return f"{r.get('kernel')}/{r.get('boot')} " + " ".join(f"{k}={r[k]}" for k in keys if k in r)


def check_run(r):
    """Why run r does not measure what its label says ([] when it does)."""
    why = []
    sc, c = r.get("scenario"), r.get("config")
    if sc == "loadunload":
        return why          # the module comes and goes under it by design
    loaded = str(r.get("sac_loaded", "?"))
    if c in UNLOADED:
        if loaded != "0":
            why.append(f"iommu_sac loaded ({loaded}) in a run labelled {c}")
    else:
        if loaded != "1":
            why.append(f"iommu_sac not loaded throughout ({loaded})")
        want = POLICY.get(c, c)
        if r.get("sac_policy") != want:
            why.append(f"default policy {r.get('sac_policy')}, not {want}")
        if r.get("sac_hook") != "registered":
            why.append(f"hook {r.get('sac_hook')}")
        # Latency timing: on for the timing config, off for every other
        # (a module without the switch has no "timing" in its stats: "-").
        tw = r.get("sac_timing")
        if c == "timing" and tw != "on":
            why.append(f"latency timing {tw or '?'}, not on")
        elif c != "timing" and tw not in (None, "-", "off"):
            why.append(f"latency timing {tw} under policy {c}, not off")
        # The tsc boot measures the TSC clock: the module must have chosen it.
        if c == "timing" and r.get("boot") == TSC_BOOT and r.get("sac_clock") != "tsc":
            why.append(f"latency clock {r.get('sac_clock', '?')}, not tsc, in the tsc boot")
    if sc not in TIMED:
        return why
    if r.get("done") != 1:
        why.append("did not finish")
    if r.get("errors"):
        why.append(f"{r['errors']} mapping errors")
    n = r.get("ops", 0) + r.get("warmup", 0) + r.get("churn", 0)
    allocs, kcalls = r.get("sac_allocs", 0), r.get("sac_kernel_calls", 0)
    if c == "kernel" and allocs:
        why.append(f"policy kernel, yet iommu_sac served {allocs} allocations")
    elif c in HOOKED and c != "kernel":
        if allocs < n:
            why.append(f"iommu_sac served {allocs} of the run's {n} allocations")
        if kcalls:
            why.append(f"{kcalls} allocations left to the kernel under policy {c}")
    timed, a4 = r.get("timed", 0), r.get("above4g", 0)
    if c in ABOVE and (sc in TIMED) and a4 != timed:
        why.append(f"claims above 4 GiB, but {a4}/{timed} ({pct(a4, timed)}) were")
    elif c not in ABOVE and sc in PLACED and a4:
        why.append(f"claims below 4 GiB first (unfragmented space), but {a4}/{timed} were above")
    return why


def validate(data):
    """Mark every run: r["invalid"] = reasons (empty: valid). Returns the
    invalid runs."""
    bad = []
    for b in data["boots"]:
        for r in b["runs"]:
            r["invalid"] = check_run(r)
            if r["invalid"]:
                bad.append(r)
    return bad


def pct(a, n):
    return "–" if not n else f"{100 * a / n:.0f} %"


def tm(r):
    """The trimmed mean (exact runs), else the mean."""
    if not r:
        return None
    return r.get("trim_mean_ns", r.get("mean_ns"))


def ok_mark(r):
    return "" if not r or not r.get("invalid") else " **INVALID**"


def runs_of(data, boot=None):
    """The runs of the main tables (every boot but the separate ones), or
    of one boot."""
    out = []
    for b in data["boots"]:
        if (b.get("boot") == boot) if boot else b.get("boot") not in SEPARATE:
            out += b["runs"]
    return out


def find(runs, kernel, scenario, config, **kw):
    for r in runs:
        if r.get("kernel") == kernel and r.get("scenario") == scenario and r.get("config") == config \
                and all(r.get(k) == v for k, v in kw.items()):
            return r
    return None


def fmt_ns(v):
    if v is None:
        return "–"
    if v >= 10_000_000:
        return f"{v / 1e6:.0f} ms"
    if v >= 1_000_000:
        return f"{v / 1e6:.1f} ms"
    if v >= 10_000:
        return f"{v / 1e3:.0f} µs"
    return f"{v:,}".replace(",", " ") + " ns" if v >= 1000 else f"{v} ns"


def ratio(a, b):
    if not a or not b:
        return None
    return a / b


def fmt_ratio(x, digits=2):
    if x is None:
        return "–"
    if x >= 100:
        return f"{x:.0f}×"
    if x >= 10:
        return f"{x:.1f}×"
    return f"{x:.{digits}f}×"


def fmt_pct(x):
    return "–" if x is None else f"{x * 100:+.1f} %"


def size_s(n):
    return f"{n // 1024} KiB"


def table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "|".join(" --- " for _ in head) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


# ---------------------------------------------------------------------------
# Plots

def cdf_points(hist, n):
    seen = 0
    pts = []
    for lo, hi, c in hist:
        seen += c
        pts.append((hi, seen / n))
    return pts


def plot(path, title, series, xlabel="map+unmap latency (guest ns = instructions)"):
    """One PNG: CDF curves, log x. series: [(label, hist, n)]."""
    if not shutil.which("gnuplot"):
        return False
    with tempfile.TemporaryDirectory() as tmp:
        plots = []
        for i, (label, hist, n) in enumerate(series):
            if not hist or not n:
                continue
            f = os.path.join(tmp, f"s{i}.dat")
            with open(f, "w") as g:
                lo0 = hist[0][0]
                g.write(f"{max(lo0, 1)} 0\n")
                for x, y in cdf_points(hist, n):
                    g.write(f"{x} {y}\n")
            plots.append(f"'{f}' using 1:2 with steps lw 2 dt {i % 5 + 1} title '{label}'")
        if not plots:
            return False
        script = "\n".join([
            "set terminal png size 900,520",
            f"set output '{path}'",
            f"set title '{title}'",
            "set logscale x",
            "set format x '10^{%L}'",
            f"set xlabel '{xlabel}'",
            "set ylabel 'fraction of ops ≤ x'",
            "set yrange [0:1.02]",
            "set grid",
            "set key center right",
            "plot " + ", ".join(plots),
        ])
        p = subprocess.run(["gnuplot"], input=script, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if p.returncode:
            print("gnuplot: " + p.stderr.strip())
            return False
    return True


# ---------------------------------------------------------------------------

def write(data, docs, perf):
    os.makedirs(perf, exist_ok=True)
    runs = runs_of(data)
    tsc_runs = runs_of(data, TSC_BOOT)
    meta = data["meta"]
    kernels = meta["kernels"]
    p = meta["params"]
    trim = next((r.get("trim_pct") for r in runs if r.get("trim_pct")), 5)
    L = []
    A = L.append

    A("# Performance: the 32-bit IOVA exhaustion pathology and what iommu_sac costs")
    A("")
    A("Generated by `tests/bench/bench.py` (issues 5, 13) — do not edit by hand; the analysis")
    A("below the tables comes from `tests/bench/analysis.md`.")
    A("")
    A(f"- command: `{meta['command']}` ({meta['date']}, git {meta['git']}, {meta['wall_s']} s wall)"
      + (" — **smoke run: plumbing only, not for publishing**" if meta.get("smoke") else ""))
    A(f"- {meta['qemu']}, `-accel tcg -icount {meta.get('icount', 'shift=0')}`, "
      f"-smp {meta.get('smp', '?')} (icount with -smp 2 hangs at AP bring-up in QEMU 7.2), "
      f"{meta['edu_devices']} edu devices, emulated Intel IOMMU "
      "(lazy IOTLB flush queue: Debian's default)")
    A("- time is guest `ktime_get_ns()`; with `-icount shift=0` one guest ns is one guest "
      "instruction, so every number below is an instruction count and repeats run to run "
      "(wall-clock load on the host does not change it)")
    A("- op = `dma_map_page()` + `dma_unmap_page()` of one buffer on an edu device, timed "
      "around both calls (includes one clock read); the device never DMAs")
    A(f"- statistics per run: mean, exact median and **trimmed mean** (the {trim} % fastest and "
      f"{trim} % slowest ops dropped) from every op's time; a timer tick or a flush-queue "
      "drain lands on single ops and moves the mean, not these. *Added* instructions are "
      "differences of trimmed means against vanilla in the same boot (a hook that adds c "
      "instructions to every op moves the trimmed mean and the median by exactly c).")
    A(f"- steady: {p['STEADY_OPS']} timed ops after {p['WARMUP']} warm-up ops per size, each "
      "config on an edu device of its own that no other config mapped on, its IOVA caches "
      f"flushed first; scale: {p['SCALE_OPS']} ops of {size_s(p['SCALE_SIZE'])} round robin "
      f"over 1, 8, 32 devices after {p.get('SCALE_WARMUP_PER_DEV', 0)} warm-up ops per device "
      "(at least the steady warm-up), the devices' caches flushed before each config")
    orders = [f"{b['kernel']}: {', '.join(b['configs'])}" for b in data["boots"]
              if b.get("boot") == "main" and b.get("configs")]
    if orders:
        A(f"- order of the configs in the main boot: shuffled per kernel with seed "
          f"{meta.get('order_seed')} (`--order-seed`): " + "; ".join(orders)
          + ". An untimed warm-up on a device of its own runs before the first config.")
    A(f"- exhaustion: fill the 32-bit IOVA space of a fresh device with {size_s(p['FILL_SIZE'])} "
      f"mappings (32-bit DMA mask until a mapping fails), release a seeded pseudo-random "
      f"{p['FILL_FRAC'] / 10:g} % (seed {p['SEED']}), flush the device's IOVA caches, then "
      f"with a 64-bit mask: **flip** = {p['PROBE_OPS']} ops of {size_s(p['FLIP_SIZE'])} (the "
      f"MTU flip), **same** = {p['PROBE_OPS']} ops of {size_s(p['FILL_SIZE'])}, "
      f"**flip-churn** = {p['CHURN_OPS_VERDICT'] if 'CHURN_OPS_VERDICT' in p else p['CHURN_OPS']} "
      f"ops for the configs a target compares (6.1: auto and forcedac; 6.12/7.2: auto and "
      f"vanilla), {p['CHURN_OPS']} for the others, of {size_s(p['FLIP_SIZE'])}, each after "
      f"{p['CHURN']} random held {size_s(p['FILL_SIZE'])} mappings were released and mapped "
      "anew (untimed: traffic at the old size goes on, as on a NIC whose other queues still "
      "use the old MTU)")
    A("- configs: **vanilla** = iommu_sac not loaded; **kernel/auto/sac/dac/dma32** = "
      "iommu_sac loaded with that default policy, latency timing off (the default); "
      "**timing** = policy auto with latency timing on (`echo 1 > "
      "/sys/kernel/debug/iommu_sac/timing`); **forcedac** = a boot with "
      "`iommu.forcedac=1`, module not loaded. On 6.12 and 7.2 vanilla is the kernel's native "
      "per-device fix.")
    A("- every run is checked (see *Validity*): a run the module did not serve as its config "
      "says, or whose IOVAs are not where its config claims, is marked **INVALID** and makes "
      "`make bench` exit non-zero")
    if meta.get("tsc_cpu"):
        A(f"- the *tsc* boot (vanilla, auto, timing; `-cpu {meta['tsc_cpu']}`, so that the "
          "guest kernel has `constant_tsc` and iommu_sac times with the TSC) is reported in its "
          "own section, *Latency timing with the TSC clock*, against its own vanilla")
    A("- raw numbers (every run, with its histogram and its checks): `docs/perf/results.json`")
    A("")

    # --- validity -------------------------------------------------------
    A("## Validity")
    A("")
    checked = [r for r in runs + tsc_runs if "invalid" in r]
    bad = [r for r in checked if r["invalid"]]
    A(f"{len(checked)} runs checked, **{len(bad)} invalid**. Checks: vanilla/forcedac runs "
      "with iommu_sac not loaded; every other run with it loaded throughout, its hook "
      "registered and the run's config as default policy (timing: auto), latency timing on "
      "for *timing* and off for every other config (when the module has the switch); under "
      "`kernel` the module served "
      "no allocation (`sac_allocs` 0); under auto/timing/sac/dac/dma32 it served at least every "
      "allocation of the run (timed + warm-up + churn, `sac_allocs`) and left none to the "
      "kernel (`sac_kernel_calls` 0); no mapping error; in steady, scale and floor runs "
      "dac/forcedac map **every** IOVA above 4 GiB and the other configs none (a fresh or "
      "flushed, unfragmented space tries 32 bits first); in the exhaustion scenarios "
      "dac/forcedac map every IOVA above 4 GiB.")
    A("")
    for r in bad:
        A(f"- **INVALID** {run_name(r)}: " + "; ".join(r["invalid"]))
    if bad:
        A("")
    rows = []
    for k in kernels:
        row = [k]
        for c in CONFIGS:
            rs = [r for r in runs if r.get("kernel") == k and r.get("config") == c
                  and r.get("scenario") in ("steady", "scale")]
            if not rs:
                row.append("–")
                continue
            a4 = sum(r.get("above4g", 0) for r in rs)
            n = sum(r.get("timed", 0) for r in rs)
            row.append(f"{a4}/{n} ({pct(a4, n)})")
        rows.append(row)
    A("IOVAs above 4 GiB, all steady and scale runs of a config:")
    A("")
    A(table(["kernel"] + CONFIGS, rows))
    A("")

    # --- targets --------------------------------------------------------
    A("## Targets (issue 13)")
    A("")
    A("Reported, never asserted by a timed test. *Added* = trimmed-mean instructions per "
      "4 KiB map+unmap against vanilla in the same boot, steady state, trampoline included. "
      "Every policy runs with latency timing off (the default) but *timing*: policy auto "
      "with latency timing on.")
    notimer = sorted({r["kernel"] for r in runs if r.get("config") in HOOKED
                      and r.get("sac_timing") == "-"})
    if notimer:
        A("")
        A(f"iommu_sac at git {meta['git']} has no latency timing switch on "
          f"{', '.join(notimer)}: its timing is on in every hooked config there, and the "
          "*timing* config does not run.")
    A("")
    rows = []
    for k in kernels:
        base = find(runs, k, "steady", "vanilla", size=4096)
        for c in ("auto", "kernel", "dma32", "dac", "sac", "timing"):
            r = find(runs, k, "steady", c, size=4096)
            d = tm(r) - tm(base) if r and base else None
            what = ("policy auto with latency timing on" if c == "timing"
                    else f"policy {c}")
            rows.append([k, f"steady 4 KiB, {what}: added ≤ {LIMITS[c]}",
                         "–" if d is None else f"{d:+d}{ok_mark(r)}",
                         verdict(d is not None and d <= LIMITS[c])])
        tb = find(tsc_runs, k, "steady", "vanilla", size=4096)
        tr = find(tsc_runs, k, "steady", "timing", size=4096)
        if tb and tr:
            d = tm(tr) - tm(tb)
            rows.append([k, "steady 4 KiB, policy auto with latency timing on, **TSC clock** "
                         f"(the tsc boot: its own CPU and vanilla, see *Latency timing with the "
                         f"TSC clock*): added ≤ {LIMITS['timing']}",
                         f"{d:+d}{ok_mark(tr)}", verdict(d <= LIMITS["timing"])])
        if k == "6.1":
            au, fd = find(runs, k, "flip-churn", "auto"), find(runs, k, "flip-churn", "forcedac")
            x = ratio(tm(au), tm(fd))
            rows.append([k, "exhaustion (flip-churn): auto within 1.02× of iommu.forcedac=1 "
                         "(trimmed means)",
                         "–" if x is None else f"{fmt_ratio(x, 3)} ({au.get('timed')} / "
                         f"{fd.get('timed')} ops; means {fmt_ratio(ratio(au.get('mean_ns'), fd.get('mean_ns')), 3)})",
                         verdict(x is not None and x <= 1.02)])
        else:
            worst, where = worst_native(runs, k, p["STEADY_SIZES"], tm)
            rows.append([k, "auto within 1.03× of native in every scenario (worst, trimmed means)",
                         "–" if worst is None else f"{fmt_ratio(worst, 3)} ({where})",
                         verdict(worst is not None and worst <= 1.03)])
        adds = [added(runs, k, "scale", p["SCALE_SIZE"], n) for n in (1, 8, 32)]
        ok = all(a is not None for a in adds) and max(adds) <= min(adds) * 1.1 + 10
        rows.append([k, "scale: added cost independent of devices (auto, at 1 / 8 / 32)",
                     " / ".join("–" if a is None else f"{a:+d}" for a in adds), verdict(ok)])
    A(table(["kernel", "target", "measured", "verdict"], rows))
    A("")

    # --- added per config ---------------------------------------------------
    A("## Instructions added per 4 KiB map+unmap (steady, one device)")
    A("")
    A("Trimmed mean of the config minus trimmed mean of vanilla, same boot; in brackets the "
      "same difference of medians and of means.")
    A("")
    rows = []
    for k in kernels:
        base = find(runs, k, "steady", "vanilla", size=4096)
        row = [k, f"{tm(base)} / {base.get('median_ns')} / {base.get('mean_ns')}" if base else "–"]
        for c in ("kernel", "auto", "timing", "sac", "dac", "dma32", "forcedac"):
            r = find(runs, k, "steady", c, size=4096)
            if not r or not base:
                row.append("–")
                continue
            row.append(f"**{tm(r) - tm(base):+d}** ({r['median_ns'] - base['median_ns']:+d}, "
                       f"{r['mean_ns'] - base['mean_ns']:+d}){ok_mark(r)}")
        rows.append(row)
    A(table(["kernel", "vanilla trimmed / median / mean", "kernel", "auto", "timing", "sac",
             "dac", "dma32", "forcedac boot"], rows))
    A("")

    # --- exhaustion ------------------------------------------------------
    A("## Exhaustion (the pathology)")
    A("")
    for k in kernels:
        A(f"### {k}")
        A("")
        fills = [f for b in data["boots"] if b["kernel"] == k for f in b["fills"]]
        if fills:
            f0 = fills[0]
            A(f"Fill: {f0.get('filled')} mappings of {size_s(p['FILL_SIZE'])} "
              f"({f0.get('lowest')}..{f0.get('highest')}), {f0.get('released')} released, "
              f"{f0.get('held')} held (every config's fill: "
              + ", ".join(f"{f['config']} {f.get('filled')}/{f.get('held')}" for f in fills) + ").")
            A("")
        rows = []
        for sc in EXH:
            base = find(runs, k, sc, "vanilla")
            for c in CONFIGS:
                r = find(runs, k, sc, c)
                if not r:
                    continue
                rows.append([sc, c, r.get("timed", 0), fmt_ns(r.get("mean_ns")),
                             fmt_ns(r.get("median_ns")), fmt_ns(tm(r)), fmt_ns(r.get("first_ns")),
                             fmt_ns(r.get("p99_ns")), fmt_ns(r.get("max_ns")),
                             f"{r.get('above4g', 0)}/{r.get('timed', 0)}",
                             fmt_ratio(ratio(tm(base), tm(r))) + ok_mark(r)])
        A(table(["scenario", "config", "ops", "mean", "median", "trimmed mean", "1st op", "p99",
                 "max", "above 4 GiB", "vanilla/this (trimmed)"], rows))
        A("")
        for sc in ("flip-churn", "flip"):
            img = f"exhaustion-{k}-{sc}.png"
            series = []
            for c in CONFIGS:
                r = find(runs, k, sc, c)
                if r and r.get("hist"):
                    series.append((c, r["hist"], r.get("hist_count") or r.get("timed")))
            if plot(os.path.join(perf, img), f"{k}: {sc}, {size_s(p['FLIP_SIZE'])} map+unmap after the fill", series):
                A(f"![{k} {sc} latency CDF](perf/{img})")
                A("")
        states = [s for b in data["boots"] if b["kernel"] == k for s in b["states"]]
        if states:
            A("Device state after the probes (iommu_sac): " + ", ".join(
                f"{s['config']}: {s.get('state', '?')} ({s.get('switches', '?')} switch)" for s in states) + ".")
            A("")

    # --- steady -----------------------------------------------------------
    A("## Steady state (unfragmented IOVA space, one device per config)")
    A("")
    A("ns (= instructions) per map+unmap. *added* = trimmed mean minus vanilla's (same boot).")
    A("")
    rows = []
    for k in kernels:
        for s in p["STEADY_SIZES"].split():
            s = int(s)
            base = find(runs, k, "steady", "vanilla", size=s)
            for c in CONFIGS:
                r = find(runs, k, "steady", c, size=s)
                if not r:
                    continue
                d = "" if c == "vanilla" or not base else f"{tm(r) - tm(base):+d} ({fmt_pct((tm(r) - tm(base)) / tm(base))})"
                rows.append([k, size_s(s), c, r.get("timed"), r["mean_ns"], r["median_ns"], tm(r),
                             r.get("p99_ns"), fmt_ns(r.get("max_ns")),
                             f"{r.get('above4g', 0)}/{r.get('timed', 0)}", d,
                             "**INVALID**" if r.get("invalid") else "ok"])
    A(table(["kernel", "size", "config", "ops", "mean", "median", "trimmed", "p99", "max",
             "above 4 GiB", "added", "checks"], rows))
    A("")
    for k in kernels:
        series = []
        for c in CONFIGS:
            r = find(runs, k, "steady", c, size=4096)
            if r and r.get("hist"):
                series.append((c, r["hist"], r.get("hist_count") or r.get("timed")))
        img = f"steady-{k}.png"
        if plot(os.path.join(perf, img), f"{k}: steady 4 KiB map+unmap", series):
            A(f"![{k} steady latency CDF](perf/{img})")
    A("")

    # --- breakdown ----------------------------------------------------------
    breakdown(A, runs, kernels, tsc_runs)
    tsc_section(A, data, runs, tsc_runs, kernels)

    # --- scale --------------------------------------------------------------
    A("## Scale: 1, 8 and 32 active edu devices")
    A("")
    A(f"{size_s(p['SCALE_SIZE'])} map+unmap round robin over N devices; trimmed mean and, in "
      "brackets, the instructions the module adds against vanilla at the same N; dac's share "
      "above 4 GiB.")
    A("")
    rows = []
    for k in kernels:
        for n in (1, 8, 32):
            base = find(runs, k, "scale", "vanilla", devs=n)
            row = [k, n, tm(base) if base else "–"]
            for c in ("kernel", "auto", "timing", "sac", "dac", "dma32"):
                r = find(runs, k, "scale", c, devs=n)
                row.append(f"{tm(r)} ({tm(r) - tm(base):+d}){ok_mark(r)}" if r and base else "–")
            r = find(runs, k, "scale", "dac", devs=n)
            row.append(f"{r.get('above4g', 0)}/{r.get('timed', 0)}" if r else "–")
            rows.append(row)
    A(table(["kernel", "devices", "vanilla", "kernel", "auto", "timing", "sac", "dac", "dma32",
             "dac above 4 GiB"], rows))
    A("")

    # --- load/unload --------------------------------------------------------
    A("## Load/unload of iommu_sac during a steady loop")
    A("")
    A(f"{p['LU_OPS']} ops of 4 KiB; iommu_sac loaded and unloaded (policy {p['LU_CONFIG']}) "
      "in a loop beside it.")
    A("")
    rows = []
    for k in kernels:
        b = find(runs, k, "loadunload-base", "vanilla")
        r = next((x for x in runs if x.get("kernel") == k and x.get("scenario") == "loadunload"), None)
        if not r:
            continue
        rows.append([k, r.get("cycles"), fmt_ns(b and b.get("p99_ns")), fmt_ns(r.get("p99_ns")),
                     fmt_ns(b and b.get("p999_ns")), fmt_ns(r.get("p999_ns")),
                     fmt_ns(b and b.get("max_ns")), fmt_ns(r.get("max_ns")),
                     fmt_ns(b and b.get("max_gap_ns")), fmt_ns(r.get("max_gap_ns"))])
    A(table(["kernel", "load+unload cycles", "p99 base", "p99 during", "p999 base", "p999 during",
             "max op base", "max op during", "max gap base", "max gap during"], rows))
    A("")

    compare_old(A, data, perf)

    if os.path.exists(NOTES):
        with open(NOTES) as f:
            A(f.read().rstrip())
        A("")
    incomplete = [f"{b['kernel']}/{b['boot']}" for b in data["boots"] if not b["complete"] or b["errors"]]
    if incomplete:
        A("## Incomplete runs")
        A("")
        for b in data["boots"]:
            if not b["complete"] or b["errors"]:
                A(f"- {b['kernel']}/{b['boot']}: " + ("; ".join(b["errors"]) or "did not finish")
                  + f" (logs: {b['logdir']})")
        A("")
    with open(os.path.join(docs, "PERFORMANCE.md"), "w") as f:
        f.write("\n".join(L) + "\n")


# The floors: sac_bench's own hooks on iommu_dma_alloc_iova (ftrace=N).
FLOORS = {
    1: "(1) ops SAVE_REGS+RECURSION",
    2: "(2) ops RECURSION",
    3: "(3) ops, no flags",
    4: "(4) ops, no flags + trylock",
    5: "(5) direct, empty trampoline",
    6: "(6) direct, save args + call",
}


def breakdown(A, runs, kernels, tsc_runs=()):
    """'Where the hook's cost goes': the parts against their budgets, then
    the floors of the technique they rest on."""
    A("## Where the hook's cost goes (steady 4 KiB, one device)")
    A("")
    A("Instructions added per map+unmap (one IOVA allocation each), differences of trimmed "
      "means in the same boot. The parts: **trampoline** = floor (3), sac_bench's empty "
      "ftrace_ops callback without flags (the shape of iommu_sac's ops) with iommu_sac not "
      "loaded; **callback** = policy `kernel` − floor (3) (iommu_sac's callback runs and "
      "lets the kernel's function run); **replacement** = auto − kernel (iommu_sac's "
      "replacement over the kernel's own body); **latency timing** = timing − auto; "
      "**total** = auto − vanilla. Budgets from issue 13's targets: total ≤ 60 (auto); "
      "kernel ≤ 45 leaves the callback 45 − floor (3); the replacement 60 − 45 = 15; "
      "latency timing 90 − 60 = 30. The trampoline is the technique's floor: no budget, "
      "any ftrace_ops hook pays it.")
    A("")
    rows = []
    for k in kernels:
        base = find(runs, k, "steady", "vanilla", size=4096)
        f3 = find(runs, k, "ftrace-floor", "vanilla", ftrace=3)
        ke = find(runs, k, "steady", "kernel", size=4096)
        au = find(runs, k, "steady", "auto", size=4096)
        ti = find(runs, k, "steady", "timing", size=4096)

        def diff(a, b):
            return tm(a) - tm(b) if a and b else None
        tramp = diff(f3, base)
        parts = [
            ("trampoline (floor 3)", tramp, None, [f3]),
            ("callback (kernel − floor 3)", diff(ke, f3),
             None if tramp is None else LIMITS["kernel"] - tramp, [ke, f3]),
            ("replacement (auto − kernel)", diff(au, ke),
             LIMITS["auto"] - LIMITS["kernel"], [au, ke]),
            ("latency timing (timing − auto), local_clock()", diff(ti, au),
             LIMITS["timing"] - LIMITS["auto"], [ti, au]),
        ]
        tau = find(tsc_runs, k, "steady", "auto", size=4096)
        tti = find(tsc_runs, k, "steady", "timing", size=4096)
        if tau and tti:
            parts.append(("latency timing (timing − auto), TSC clock: the tsc boot",
                          diff(tti, tau), LIMITS["timing"] - LIMITS["auto"], [tti, tau]))
        parts.append(("total (auto − vanilla)", diff(au, base), LIMITS["auto"], [au]))
        for name, v, budget, rs in parts:
            bad = any(r and r.get("invalid") for r in rs)
            rows.append([k, name, "–" if v is None else f"{v:+d}" + (" **INVALID**" if bad else ""),
                         "floor" if budget is None else f"≤ {budget}",
                         "–" if budget is None else
                         "–" if v is None else
                         ("met" if v <= budget else f"**over by {v - budget}**")])
    A(table(["kernel", "part", "measured", "budget", "verdict"], rows))
    A("")
    A("### The floors of the technique")
    A("")
    A("sac_bench's own hooks on `iommu_dma_alloc_iova`, iommu_sac not loaded, on vanilla's "
      "device right after vanilla's runs. ftrace_ops callbacks: (1) `SAVE_REGS | RECURSION`, "
      "(2) `RECURSION` (ftrace's recursion wrapper around the callback), (3) no flags (the "
      "bare ftrace trampoline with the argument registers: iommu_sac's flags), (4) no flags "
      "and a callback that takes and drops `ftrace_test_recursion_trylock()`. ftrace direct "
      "calls (`register_ftrace_direct()`, what BPF trampolines use; the call site calls the "
      "module's trampoline without ftrace's): (5) an empty trampoline (`ENDBR`, call depth "
      "accounting where the kernel has it, return), (6) a trampoline that saves the argument "
      "registers and rax, calls an empty C function and restores them. "
      "`local_clock()`, `ktime_get_ns()` and `get_cycles()` are timed on their own (10 000 calls "
      "each, the loop included).")
    A("")
    rows = []
    for k in kernels:
        base = find(runs, k, "steady", "vanilla", size=4096)
        fl = {f: find(runs, k, "ftrace-floor", "vanilla", ftrace=f) for f in FLOORS}
        ke = find(runs, k, "steady", "kernel", size=4096)
        au = find(runs, k, "steady", "auto", size=4096)
        ck = find(runs, k, "clock", "vanilla")
        if not base:
            continue

        def d(r):
            return "–" if not r else f"{tm(r) - tm(base):+d}{ok_mark(r)}"
        lc = ck.get("local_clock_ns") if ck else None
        gc = ck.get("get_cycles_ns") if ck else None
        rows.append([k, tm(base)] + [d(fl[f]) for f in FLOORS] + [
            "–" if not (fl[5] and fl[3]) else f"{tm(fl[5]) - tm(fl[3]):+d}",
            d(ke), d(au),
            "–" if lc is None else f"{lc} (×2 = {2 * lc})",
            "–" if not ck else ck.get("ktime_get_ns_ns"),
            "–" if gc is None else gc])
    A(table(["kernel", "vanilla (trimmed)"] + [FLOORS[f] for f in FLOORS]
            + ["(5) − (3)", "kernel policy", "auto", "local_clock() ns", "ktime_get_ns() ns",
               "get_cycles() ns"],
            rows))
    A("")


def tsc_section(A, data, runs, tsc_runs, kernels):
    """The tsc boot: what latency timing costs when iommu_sac times with
    the TSC, against that boot's own vanilla."""
    boots = {b["kernel"]: b for b in data["boots"] if b.get("boot") == TSC_BOOT}
    if not boots:
        return
    A("## Latency timing with the TSC clock (a boot of its own)")
    A("")
    A("In the main boot QEMU's TCG CPU (`-cpu max`: AuthenticAMD, no invariant TSC, which TCG "
      "refuses) leaves the guest kernel without `constant_tsc`, so iommu_sac times with "
      "`local_clock()`. Fleets run CPUs with an invariant TSC, where it times with "
      "`get_cycles()` (`rdtsc`). The *tsc* boot runs vanilla, auto and timing on the same "
      f"QEMU CPU presented as an Intel one the kernel gives `constant_tsc` (`-cpu "
      f"{data['meta'].get('tsc_cpu', '?')}`; Linux's `early_init_intel()`); the module chooses "
      "its clock by its own rule, and every timing run of this boot is checked to have timed "
      "with the TSC (the *clock* column: the module's `latency clock:` line). Another CPU "
      "vendor changes the kernel's mitigations and alternatives, so every figure here is "
      "against this boot's own vanilla and none is mixed into the tables above. *Clock pair* "
      "= two calls of the module's clock, measured on their own in the same boot "
      "(`sac_bench clock`, loop included).")
    A("")
    rows = []
    for k in kernels:
        b = boots.get(k)
        if not b:
            continue
        info = b.get("info", {})
        base = find(tsc_runs, k, "steady", "vanilla", size=4096)
        au = find(tsc_runs, k, "steady", "auto", size=4096)
        ti = find(tsc_runs, k, "steady", "timing", size=4096)
        ck = find(tsc_runs, k, "clock", "vanilla")
        mck = find(runs, k, "clock", "vanilla")
        mau = find(runs, k, "steady", "auto", size=4096)
        mti = find(runs, k, "steady", "timing", size=4096)

        def add(r):
            return "–" if not (r and base) else f"{tm(r) - tm(base):+d}{ok_mark(r)}"
        d = tm(ti) - tm(base) if ti and base else None
        gc = ck.get("get_cycles_ns") if ck else None
        lc = mck.get("local_clock_ns") if mck else None
        rows.append([
            k, f"{info.get('cpu', '?')}, constant_tsc {info.get('constant_tsc', '?')}",
            ti.get("sac_clock", "?") if ti else "–",
            tm(base) if base else "–", add(au), add(ti),
            "–" if not (ti and au) else f"{tm(ti) - tm(au):+d}",
            "–" if gc is None else 2 * gc,
            "–" if not (mti and mau) else f"{tm(mti) - tm(mau):+d}",
            "–" if lc is None else 2 * lc,
            verdict(d is not None and d <= LIMITS["timing"])])
    A(table(["kernel", "guest CPU (vendor/family/model)", "clock", "vanilla (trimmed)",
             "auto added", "timing added", "timing − auto", "clock pair (2 × get_cycles())",
             "main boot: timing − auto (local_clock)", "main boot: clock pair "
             "(2 × local_clock())", f"timing ≤ {LIMITS['timing']}, TSC clock"], rows))
    A("")


def steady_added(runs, k, c, stat):
    b = find(runs, k, "steady", "vanilla", size=4096)
    r = find(runs, k, "steady", c, size=4096)
    if not b or not r or stat(r) is None or stat(b) is None:
        return None
    return stat(r) - stat(b)


def worst_native(runs, k, sizes, stat):
    """auto / vanilla (the native fix on 6.12/7.2): the worst over the
    exhaustion scenarios and the steady sizes -> (ratio, where)."""
    worst, where = None, ""
    for sc in EXH:
        x = ratio(stat(find(runs, k, sc, "auto")), stat(find(runs, k, sc, "vanilla")))
        if x is not None and (worst is None or x > worst):
            worst, where = x, sc
    for sz in str(sizes).split():
        x = ratio(stat(find(runs, k, "steady", "auto", size=int(sz))),
                  stat(find(runs, k, "steady", "vanilla", size=int(sz))))
        if x is not None and (worst is None or x > worst):
            worst, where = x, f"steady {size_s(int(sz))}"
    return worst, where


def mean(r):
    return r.get("mean_ns") if r else None


def compare_old(A, data, perf):
    """Before/after: the figures git 698558c published (old method), those
    of git 9bda50f (the old hot path, corrected method) and this run's."""
    cols = []       # (label, runs, stat, steady sizes)
    for name, git, stat, label in ((OLD_JSON, OLD_GIT, mean, "old method, means"),
                                   (MID_JSON, MID_GIT, tm, "before issue 13's hot path, trimmed")):
        path = os.path.join(perf, name)
        if os.path.exists(path):
            with open(path) as f:
                d = json.load(f)
            cols.append((f"git {git} ({label})", runs_of(d), stat,
                         d["meta"]["params"].get("STEADY_SIZES", "4096")))
    if not cols:
        return
    runs = runs_of(data)
    cols.append((f"now: git {data['meta']['git']} (trimmed)", runs, tm,
                 data["meta"]["params"].get("STEADY_SIZES", "4096")))
    kernels = data["meta"]["kernels"]
    A(f"## Before and after: against git {OLD_GIT}")
    A("")
    A(f"git {OLD_GIT}: the figures published then (`docs/perf/{OLD_JSON}`; means, every "
      "config on the same device, vanilla first, caches never flushed: its dac column never "
      "allocated above 4 GiB). "
      + (f"git {MID_GIT}: the hot path before issue 13's rewrite measured with the corrected "
         f"method (`docs/perf/{MID_JSON}`: trimmed means, one device per config, shuffled "
         "order, caches flushed, every run checked). " if any(MID_GIT in c[0] for c in cols)
         else "")
      + "Now: this run, same method. Before issue 13 latency timing could not be switched "
      "off: the earlier columns' *timing* row repeats their auto figure. Steady figures are "
      "instructions added per 4 KiB map+unmap against vanilla in the same boot.")
    A("")
    rows = []

    def row(k, what, fn, target=""):
        rows.append([k, what] + [fn(c) for c in cols] + [target])
    for k in kernels:
        for c in ("auto", "kernel", "sac", "dac", "dma32", "timing"):
            def f(col, c=c):
                cc = c
                if c == "timing" and col is not cols[-1]:
                    cc = "auto"
                v = steady_added(col[1], k, cc, col[2])
                return "–" if v is None else f"{v:+d}"
            what = "auto, latency timing on" if c == "timing" else c
            row(k, f"steady 4 KiB {what}: added", f, f"≤ {LIMITS[c]}")

        def a4(col):
            r = find(col[1], k, "steady", "dac", size=4096)
            return f"{r.get('above4g', 0)}/{r.get('timed', 0)}" if r else "–"
        row(k, "steady 4 KiB dac: above 4 GiB", a4, "all")
        for c in ("kernel", "auto"):
            def sc32(col, c=c):
                r = find(col[1], k, "scale", c, devs=32)
                b = find(col[1], k, "scale", "vanilla", devs=32)
                return f"{col[2](r) - col[2](b):+d}" if r and b else "–"
            row(k, f"scale 32 devices {c}: added", sc32)
        if k == "6.1":
            def fc(col):
                a = find(col[1], k, "flip-churn", "auto")
                f_ = find(col[1], k, "flip-churn", "forcedac")
                if not (a and f_):
                    return "–"
                return (f"{fmt_ratio(ratio(col[2](a), col[2](f_)), 3)} "
                        f"({a.get('timed')}+{f_.get('timed')} ops)")
            row(k, "flip-churn auto / forcedac", fc, "≤ 1.02×")
        else:
            def wn(col):
                x, where = worst_native(col[1], k, col[3], col[2])
                return "–" if x is None else f"{fmt_ratio(x, 3)} ({where})"
            row(k, "auto / native: worst of every scenario", wn, "≤ 1.03×")
    A(table(["kernel", "figure"] + [c[0] for c in cols] + ["target"], rows))
    A("")


def verdict(ok):
    return "met" if ok else "**missed**"


def added(runs, k, scenario, size, devs):
    b = find(runs, k, scenario, "vanilla", size=size, devs=devs)
    r = find(runs, k, scenario, "auto", size=size, devs=devs)
    if not b or not r:
        return None
    return tm(r) - tm(b)
