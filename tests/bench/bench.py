#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""iommu-sac benchmark (make bench): map+unmap cost with and without iommu_sac.ko.

For every kernel (6.1, 6.12, 7.2 by default) it reuses the VM harness
(tests/vm/run.py: provision, kbuild, build_initramfs, boot) and boots QEMU
with -icount shift=0 (guest time counts instructions: one guest ns is one
instruction, so numbers repeat run to run) and 32 edu devices, twice:
  main boot     configs vanilla (module not loaded), kernel, auto, sac, dac,
                dma32 (default policies, latency timing off), timing (policy
                auto with latency timing on), in an order shuffled per
                kernel with a recorded seed (--order-seed)
  forcedac boot iommu.forcedac=1, module not loaded
  tsc boot      configs vanilla, auto, timing on a CPU the guest kernel gives
                a constant TSC (BENCH_TSC_CPU), so that the module times with
                the TSC: the timing figure with the clock fleets have, its own
                vanilla in the same boot (reported apart from the main tables)
The guest side (tests/bench/guest-bench.sh) drives tests/drivers/sac_bench.ko.
Results go to docs/perf/results.json, docs/PERFORMANCE.md and docs/perf/*.png
(gnuplot). --report-only regenerates the documents from the JSON.

Every run is checked (report.validate): the module served it as its config
says (sac_allocs / sac_kernel_calls), its IOVAs are on the side of 4 GiB its
config claims, nothing failed. Any invalid run, incomplete boot or guest
error makes the exit status 1.
"""

import argparse
import concurrent.futures
import datetime
import json
import os
import random
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "vm"))
import run  # noqa: E402  (tests/vm/run.py: the VM harness)

import report  # noqa: E402  (tests/bench/report.py)

TOP = run.TOP
DOCS = os.path.join(TOP, "docs")
PERF = os.path.join(DOCS, "perf")
EDU_TOTAL = 32
KERNELS = ["6.1", "6.12", "7.2"]
MAIN_CONFIGS = ["vanilla", "kernel", "auto", "sac", "dac", "dma32", "timing"]
ORDER_SEED = 13
# The configs a target compares in flip-churn (they get CHURN_OPS_VERDICT ops).
VERDICT_CONFIGS = {"6.1": "auto forcedac"}
VERDICT_DEFAULT = "auto vanilla"

# Guest parameters (tests/bench/guest-bench.sh variables).
FULL = dict(STEADY_SIZES="4096 16384 65536", STEADY_OPS=10000, WARMUP=1000,
            SCALE_DEVS="1 8 32", SCALE_SIZE=4096, SCALE_OPS=10000,
            SCALE_WARMUP_PER_DEV=100,
            FILL_SIZE=4096, FILL_FRAC=250, FILL_MAX=0, SEED=1,
            FLIP_SIZE=65536, PROBE_OPS=1000, CHURN=8192, CHURN_OPS=20,
            CHURN_OPS_VERDICT=60, LU_OPS=500000, LU_CONFIG="auto")
QUICK = dict(FULL, STEADY_SIZES="4096 65536", STEADY_OPS=5000, WARMUP=500,
             SCALE_OPS=5000, PROBE_OPS=300, CHURN_OPS=5, CHURN_OPS_VERDICT=10,
             LU_OPS=200000)
# Plumbing only (minutes): the fill stops far below exhaustion.
SMOKE = dict(FULL, STEADY_SIZES="4096 65536", STEADY_OPS=500, WARMUP=100,
             SCALE_OPS=500, SCALE_WARMUP_PER_DEV=10, FILL_MAX=5000, PROBE_OPS=50,
             CHURN=64, CHURN_OPS=3, CHURN_OPS_VERDICT=5, LU_OPS=20000)


def config_order(kernel, seed):
    """The main boot's configs in a seeded pseudo-random order (per kernel,
    so an order effect would show as a difference between kernels)."""
    order = list(MAIN_CONFIGS)
    random.Random(f"{seed}/{kernel}").shuffle(order)
    return order

_print_lock = threading.Lock()


def log(msg):
    with _print_lock:
        print(msg, flush=True)


def host_deps():
    """The harness's host packages plus gnuplot (installed when missing)."""
    subprocess.run(["bash", os.path.join(run.VM, "deps.sh")], check=True)
    subprocess.run(["bash", "-c", f". {shlex.quote(os.path.join(run.VM, 'lib.sh'))} && "
                    "host_pkgs gnuplot-nox"], check=True)


def edu_devices():
    """QEMU arguments for the edu devices beyond the harness's two (00:04.0,
    00:05.0): free root-bus slots first (each its own IOMMU group), the rest
    behind a PCI bridge (one group, aliased to the bridge)."""
    used = {int(slot.split(".")[0], 16) for _, slot, _ in run.DEVICES}
    free = [s for s in range(1, 0x1e) if s not in used]
    have = sum(1 for _, _, d in run.DEVICES if d.startswith("edu"))
    want = EDU_TOTAL - have
    args = []
    for s in free[:want]:
        args += ["-device", f"edu,dma_mask=0xffffffffffffffff,addr={s:02x}.0"]
    rest = want - len(free[:want])
    if rest > 0:
        args += ["-device", "pci-bridge,id=sacbr1,chassis_nr=1,addr=1e.0"]
        for i in range(rest):
            args += ["-device", f"edu,dma_mask=0xffffffffffffffff,bus=sacbr1,addr={i + 1:02x}.0"]
    return args


_orig_qemu_cmd = run.qemu_cmd
QEMU_CPU = os.environ.get("BENCH_CPU", "")
QEMU_SMP = os.environ.get("BENCH_SMP", "1")  # icount with -smp 2 hangs at AP bring-up (QEMU 7.2)
QEMU_ICOUNT = os.environ.get("BENCH_ICOUNT", "shift=0")
# The tsc boot's CPU. Under TCG, QEMU's "max" CPU is AuthenticAMD family 6
# model 6 without an invariant TSC (TCG refuses +invtsc), so the guest
# kernel leaves X86_FEATURE_CONSTANT_TSC clear and iommu_sac times with
# local_clock() ("latency clock: local_clock"). The same CPU presented as
# GenuineIntel family 6 model 0x3a (Ivy Bridge) gets it from
# early_init_intel(), which sets it for Intel CPUs known to have a constant
# TSC without saying so in CPUID 0x80000007: family 6 model >= 0x0e in 6.1,
# Core Yonah (0x0e) to Ivy Bridge (0x3a) since upstream limited the check
# (Linux 6.16). The module then times with get_cycles(), as on the
# invariant-TSC CPUs fleets run. Nothing in the module is forced: it picks
# the TSC by its own rule (stats.c, sac_clock_init()), and every timed run
# of that boot is checked to have used it (report.check_run). Another
# vendor changes the guest kernel's mitigations and alternatives, hence
# the boot's own vanilla.
TSC_CPU = os.environ.get("BENCH_TSC_CPU", "max,vendor=GenuineIntel,family=6,model=58")
TSC_CONFIGS = ["vanilla", "auto", "timing"]
# The -cpu of the boot a worker thread is running (one_boot sets it).
_boot = threading.local()


def bench_qemu_cmd(kenv, initrd, append, logdir, extra=()):
    """run.qemu_cmd plus -icount shift=0 and the extra edu devices."""
    cmd = _orig_qemu_cmd(kenv, initrd, append, logdir,
                         list(extra) + ["-icount", QEMU_ICOUNT] + edu_devices())
    cpu = getattr(_boot, "cpu", "") or QEMU_CPU
    for opt, val in (("-cpu", cpu), ("-smp", QEMU_SMP)):
        if val and opt in cmd:
            cmd[cmd.index(opt) + 1] = val
    return cmd


def bench_initramfs(kname, base_img, tag, conf):
    """The harness's initramfs with a second cpio archive appended (the
    kernel unpacks concatenated archives in order): /tests/bench.sh and
    /etc/sac/bench.conf."""
    stage = os.path.join(TOP, "out", kname, f"bench-{tag}")
    shutil.rmtree(stage, ignore_errors=True)
    os.makedirs(os.path.join(stage, "tests"))
    os.makedirs(os.path.join(stage, "etc", "sac"))
    shutil.copy2(os.path.join(HERE, "guest-bench.sh"), os.path.join(stage, "tests", "bench.sh"))
    with open(os.path.join(stage, "etc", "sac", "bench.conf"), "w") as f:
        for k, v in conf.items():
            f.write(f"{k}={shlex.quote(str(v))}\n")
    extra = stage + "-extra.cpio.gz"
    subprocess.run(f"cd {shlex.quote(stage)} && find . | cpio -o -H newc --quiet | gzip -1 > {shlex.quote(extra)}",
                   shell=True, check=True)
    img = os.path.join(TOP, "out", kname, f"bench-{tag}.cpio.gz")
    with open(img, "wb") as out:
        for part in (base_img, extra):
            with open(part, "rb") as f:
                shutil.copyfileobj(f, out)
    return img


def parse_guest(text):
    """BENCH-* blocks of the guest output -> (runs, fills, info, errors)."""
    runs, fills, states, info, errors = [], [], [], {}, []
    cur = None
    for line in text.splitlines():
        line = line.rstrip("\r")
        if line.startswith("BENCH-INFO "):
            info = dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)
        elif line.startswith("BENCH-ERROR"):
            errors.append(line[len("BENCH-ERROR "):])
        elif line.startswith("BENCH-STATE "):
            states.append(dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv))
        elif line.startswith("BENCH-RUN ") or line.startswith("BENCH-FILL "):
            cur = dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)
            cur["_kind"] = "run" if line.startswith("BENCH-RUN") else "fill"
            cur["hist"] = []
            cur["_inhist"] = False
        elif cur is not None and line == "BENCH-HIST":
            cur["_inhist"] = True
        elif cur is not None and line == "BENCH-END":
            kind = cur.pop("_kind")
            cur.pop("_inhist")
            (runs if kind == "run" else fills).append(cur)
            cur = None
        elif cur is not None:
            w = line.split()
            if cur["_inhist"] and len(w) == 3 and all(x.isdigit() for x in w):
                cur["hist"].append([int(x) for x in w])
            elif len(w) == 2:
                k, v = w
                cur[k] = int(v) if re.fullmatch(r"-?\d+", v) else v
    for r in runs + fills:
        for k in ("size", "devs", "churn", "cycles", "dev", "ftrace"):
            if k in r and isinstance(r[k], str) and r[k].isdigit():
                r[k] = int(r[k])
        if not r["hist"]:
            del r["hist"]
    return runs, fills, states, info, errors


def one_boot(kname, kenv, base_img, tag, args, conf, resdir):
    cpu = conf.pop("_cpu", "")
    img = bench_initramfs(kname, base_img, tag, conf)
    t = run.Test(os.path.join(HERE, "guest-bench.sh"))
    t.name = "bench"
    t.timeout = conf.pop("_timeout")
    logdir = os.path.join(resdir, kname, tag)
    log(f"  {kname}/{tag}: booting (icount, {EDU_TOTAL} edu) '{args or 'default'}'"
        + (f", -cpu {cpu}" if cpu else ""))
    _boot.cpu = cpu
    try:
        tap, console, expired, took, _ = run.boot(kname, kenv, img, [t], args, logdir)
    finally:
        _boot.cpu = ""
    probs = run.console_problems(console, [t])
    runs, fills, states, info, errors = parse_guest(tap)
    done = "BENCH-DONE" in tap
    log(f"  {kname}/{tag}: {len(runs)} runs in {took:.0f}s"
        + ("" if done else " (INCOMPLETE)") + (f", timed out in {expired}" if expired else "")
        + f", logs in {logdir}")
    for e in errors:
        log(f"  {kname}/{tag}: guest error: {e}")
    for p in sum(probs.values(), []):
        log(f"  {kname}/{tag}: kernel log: {p}")
        errors.append("kernel log: " + p)
    for r in runs + fills + states:
        r["kernel"] = kname
        r["boot"] = tag
    return dict(kernel=kname, boot=tag, args=args, cpu=cpu or QEMU_CPU or "max", info=info,
                runs=runs, fills=fills, states=states, errors=errors, complete=done,
                wall_s=round(took), logdir=os.path.relpath(logdir, TOP))


def prepare(kname):
    kenv = run.provision(kname)
    run.kbuild(kname)
    if not os.path.exists(os.path.join(TOP, "out", kname, "sac_bench.ko")):
        raise RuntimeError(f"{kname}: sac_bench.ko was not built")
    return kenv, run.build_initramfs(kname, kenv)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kernels", default=os.environ.get("KERNELS", "") or " ".join(KERNELS))
    ap.add_argument("--quick", action="store_true", help="fewer ops (a few minutes)")
    ap.add_argument("--smoke", action="store_true",
                    help="plumbing only: tiny runs, no exhaustion (not for publishing)")
    ap.add_argument("--order-seed", type=int, default=ORDER_SEED,
                    help="seed of the configs' order in the main boot (recorded)")
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("BENCH_JOBS", "3")),
                    help="boots run at the same time (icount: wall time does not change the numbers)")
    ap.add_argument("--boots", default="main forcedac tsc",
                    help="main, forcedac, tsc (default: all three)")
    ap.add_argument("--phases", default="", help="guest phases (default: A B C / A B)")
    ap.add_argument("--results", default=os.path.join(TOP, "results"))
    ap.add_argument("--json", default=os.path.join(PERF, "results.json"))
    ap.add_argument("--report-only", action="store_true",
                    help="regenerate PERFORMANCE.md and the plots from --json")
    a = ap.parse_args()
    cmdline = "make bench" if os.environ.get("MAKELEVEL") else \
        "python3 tests/bench/bench.py " + " ".join(shlex.quote(x) for x in sys.argv[1:])

    if a.report_only:
        with open(a.json) as f:
            data = json.load(f)
        report.validate(data)
        report.write(data, DOCS, PERF)
        return 0

    host_deps()
    kernels = a.kernels.replace(",", " ").split()
    known = {k["name"] for k in run.kernel_conf()}
    for k in kernels:
        if k not in known:
            raise SystemExit(f"unknown kernel '{k}' (known: {' '.join(sorted(known))})")
    params = SMOKE if a.smoke else QUICK if a.quick else FULL
    stamp = time.strftime("%Y%m%d-%H%M%S")
    resdir = os.path.join(a.results, "bench-" + stamp)
    os.makedirs(resdir, exist_ok=True)
    run.qemu_cmd = bench_qemu_cmd
    t0 = time.time()

    log(f"== iommu-sac benchmark: kernels {' '.join(kernels)}, results in {resdir}")
    prepared = {}
    for k in kernels:
        log(f"== {k}: provision, build modules, initramfs")
        prepared[k] = prepare(k)

    jobs = []
    boots = a.boots.split()
    for k in kernels:
        for b in boots:
            conf = dict(params)
            conf["VERDICT_CONFIGS"] = VERDICT_CONFIGS.get(k, VERDICT_DEFAULT)
            if b == "main":
                conf.update(CONFIGS=" ".join(config_order(k, a.order_seed)), PHASES="A B C",
                            _timeout=5400)
                args = ""
            elif b == "forcedac":
                conf.update(CONFIGS="forcedac", PHASES="A B", _timeout=2400)
                args = "iommu.forcedac=1"
            elif b == "tsc":
                # Steady and scale only: the clock's cost, not exhaustion.
                conf.update(CONFIGS=" ".join(TSC_CONFIGS), PHASES="A", _timeout=2400,
                            _cpu=TSC_CPU)
                args = ""
            else:
                raise SystemExit(f"unknown boot '{b}' (main, forcedac, tsc)")
            if a.phases:
                conf["PHASES"] = a.phases
            jobs.append((k, b, args, conf))
    boots_out = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as ex:
        futs = [ex.submit(one_boot, k, prepared[k][0], prepared[k][1], b, args, dict(conf), resdir)
                for k, b, args, conf in jobs]
        for f, (k, b, args, conf) in zip(futs, jobs):
            out = f.result()
            out["configs"] = conf["CONFIGS"].split()
            out["verdict_configs"] = conf["VERDICT_CONFIGS"].split()
            boots_out.append(out)

    qv = subprocess.run(["qemu-system-x86_64", "--version"], stdout=subprocess.PIPE,
                        text=True).stdout.splitlines()[0]
    data = dict(
        meta=dict(command=cmdline, icount=QEMU_ICOUNT, smp=QEMU_SMP or "2", cpu=QEMU_CPU or "max",
                  tsc_cpu=TSC_CPU, date=datetime.datetime.now().isoformat(timespec="seconds"),
                  qemu=qv, params=params, kernels=kernels, edu_devices=EDU_TOTAL,
                  order_seed=a.order_seed, smoke=a.smoke, quick=a.quick,
                  git=subprocess.run(["git", "-C", TOP, "describe", "--always", "--dirty"],
                                     stdout=subprocess.PIPE, text=True).stdout.strip(),
                  wall_s=round(time.time() - t0)),
        boots=boots_out)
    invalid = report.validate(data)
    os.makedirs(PERF, exist_ok=True)
    with open(a.json, "w") as f:
        json.dump(data, f, indent=1)
    report.write(data, DOCS, PERF)
    bad = [b for b in boots_out if not b["complete"] or b["errors"]]
    log(f"== done in {time.time() - t0:.0f}s: {a.json}, docs/PERFORMANCE.md, docs/perf/*.png")
    for b in bad:
        log(f"  INCOMPLETE or errors: {b['kernel']}/{b['boot']} ({b['logdir']})")
    for r in invalid:
        log(f"  INVALID: {report.run_name(r)}: {'; '.join(r['invalid'])}")
    return 1 if bad or invalid else 0


if __name__ == "__main__":
    sys.exit(main())
