#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""VM test runner of iommu-sac.

For every selected kernel: provision it (tests/vm/provision.sh), build the
project's modules against it (tests/vm/kbuild.sh), build an initramfs
(busybox, the kernel's own driver modules resolved from its modules.dep, the
project's modules, the in-guest tests and a few host tools with their
libraries), then boot QEMU with an emulated Intel IOMMU and real devices once
per distinct set of boot arguments, and collect results.

A guest prints TAP on its second serial port; its kernel console goes to the
first one. A test fails on a "not ok", a non-zero exit, a test that did not
finish (hang, crash, timeout), or any kernel WARNING, BUG, Oops, panic, RCU
stall or unexpected DMAR fault logged while it ran. Every guest log is kept
under the results folder. The last line is "N passed, N failed, N skipped";
the exit status is non-zero when anything failed.
"""

import argparse
import glob
import lzma
import os
import re
import shlex
import shutil
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VM = os.path.join(TOP, "tests", "vm")
GUEST = os.path.join(TOP, "tests", "guest")
DEMO = os.path.join(TOP, "tests", "demo")
CACHE = os.environ.get("SAC_CACHE", "/var/cache/iommu-sac")

# Guest devices behind the IOMMU, at fixed PCI slots the tests know
# (written to /etc/sac/devices.env in the guest).
DEVICES = [
    # name        slot    qemu device
    ("EDU",     "04.0", "edu,dma_mask=0xffffffffffffffff"),
    ("EDU32",   "05.0", "edu,dma_mask=0xffffffff"),
    ("NVME",    "06.0", "nvme,serial=sac-nvme0,drive=nvm0"),
    ("NIC0",    "07.0", "e1000e,netdev=hub0p0,mac=52:54:00:5a:c0:01"),
    ("NIC1",    "08.0", "e1000e,netdev=hub0p1,mac=52:54:00:5a:c0:02"),
]
# Kernel drivers the devices need; their dependencies come from modules.dep.
GUEST_DRIVERS = ["nvme", "e1000e"]
# Programs copied into the guest with the libraries they link: see
# tests/vm/guest-programs.conf.
NVME_IMAGE_MB = 64
BOOT_SLACK = 120          # seconds a boot may take on top of its tests
DEFAULT_TEST_TIMEOUT = 300

BAD_PATTERNS = [
    ("WARNING", re.compile(r"WARNING: (CPU|at)")),
    ("BUG", re.compile(r"\bBUG: |kernel BUG at")),
    ("Oops", re.compile(r"\bOops\b|general protection fault")),
    ("panic", re.compile(r"Kernel panic")),
    ("RCU stall", re.compile(r"rcu: INFO: .*detected stalls|rcu_.*self-detected stall")),
    ("soft lockup", re.compile(r"soft lockup|hung_task|blocked for more than")),
    ("DMAR fault", re.compile(r"DMAR: \[DMA (Read|Write)|DMAR:.*fault addr")),
]


def log(msg):
    print(msg, flush=True)


class Test:
    """One in-guest test script and the header lines it carries."""

    def __init__(self, path):
        self.path = path
        self.name = os.path.basename(path)[:-3]
        self.boot = ""
        self.kernels = None
        self.timeout = DEFAULT_TEST_TIMEOUT
        self.allow = set()
        with open(path) as f:
            for line in f:
                m = re.match(r"#\s*(boot|kernels|timeout|allow):\s*(.*?)\s*$", line)
                if not m:
                    continue
                key, val = m.groups()
                if key == "boot":
                    self.boot = val
                elif key == "kernels":
                    self.kernels = val.split()
                elif key == "timeout":
                    self.timeout = int(val)
                else:
                    self.allow.update(val.split())


class Result:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.failures = []

    def add(self, other):
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped
        self.failures += other.failures


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def kernel_conf():
    rows = []
    with open(os.path.join(VM, "kernels.conf")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, suite, where, req, note = line.split(None, 4)
            rows.append(dict(name=name, suite=suite, where=where,
                             required=req == "required", note=note.strip()))
    return rows


def read_env(path):
    env = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("=")
            env[k] = v
    return env


def provision(name):
    out = subprocess.run(["bash", os.path.join(VM, "provision.sh"), name],
                         stdout=subprocess.PIPE, text=True)
    if out.returncode:
        raise RuntimeError(f"provisioning kernel {name} failed")
    return read_env(out.stdout.strip().splitlines()[-1])


def kbuild(name):
    if subprocess.run(["bash", os.path.join(VM, "kbuild.sh"), name]).returncode:
        raise RuntimeError(f"building the modules for kernel {name} failed")


def setup_hooks(name):
    """Run tests/vm/setup.d/*.sh NAME after the modules are built. A hook
    may leave files for the guest under out/NAME/overlay/ (copied over the
    initramfs) and prints TAP for what it checked on the host side."""
    res = Result()
    for hook in sorted(glob.glob(os.path.join(VM, "setup.d", "*.sh"))):
        tag = f"{name}/setup:{os.path.basename(hook)[:-3]}"
        p = subprocess.run(["bash", hook, name], stdout=subprocess.PIPE, text=True)
        res.add(count_tap(tag, {"lines": p.stdout.splitlines(), "rc": p.returncode}))
    return res


def resolve_drivers(kenv):
    """Module files (host paths) for GUEST_DRIVERS and their dependencies,
    in load order, from the kernel's own modules.dep (via modprobe)."""
    root = kenv["ROOT"].rstrip("/") or "/"
    out = subprocess.run(["modprobe", "-d", root, "-S", kenv["KVER"],
                          "--show-depends", "-a"] + GUEST_DRIVERS,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    if out.returncode:
        raise RuntimeError("modprobe --show-depends: " + out.stderr.strip())
    files = []
    for line in out.stdout.splitlines():
        words = line.split()
        if words and words[0] == "insmod":
            path = words[1]
            if root != "/" and not path.startswith(root):
                path = root + path
            if path not in files:
                files.append(path)
    return files


def copy_program(prog, stage, dest):
    """Copy a host program to dest in the guest, with its libraries."""
    libs = subprocess.run(["ldd", prog], stdout=subprocess.PIPE,
                          text=True).stdout
    for path, target in [(prog, dest)] + [(lib, lib) for lib in
                                          re.findall(r"(/\S+) \(0x", libs)]:
        target = stage + target
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(os.path.realpath(path), target)


def decompress_module(src, dst):
    if src.endswith(".xz"):
        with lzma.open(src) as f, open(dst, "wb") as g:
            shutil.copyfileobj(f, g)
    elif src.endswith(".zst"):
        with open(dst, "wb") as g:
            sh(["zstd", "-q", "-d", "-c", src], stdout=g)
    else:
        shutil.copy2(src, dst)


def build_initramfs(kname, kenv):
    stage = os.path.join(TOP, "out", kname, "initramfs")
    shutil.rmtree(stage, ignore_errors=True)
    for d in ("bin", "sbin", "etc/sac", "lib/sac", "tests", "proc", "sys",
              "dev", "tmp", "run", "root", "lib64", "usr/bin", "usr/sbin"):
        os.makedirs(os.path.join(stage, d), exist_ok=True)
    shutil.copy2("/bin/busybox", os.path.join(stage, "bin", "busybox"))
    shutil.copy2(os.path.join(VM, "init"), os.path.join(stage, "init"))
    os.chmod(os.path.join(stage, "init"), 0o755)

    order = []
    moddir = os.path.join(stage, "lib", "modules", kenv["KVER"])
    os.makedirs(moddir, exist_ok=True)
    for src in resolve_drivers(kenv):
        base = re.sub(r"\.(xz|zst|gz)$", "", os.path.basename(src))
        decompress_module(src, os.path.join(moddir, base))
        order.append(f"/lib/modules/{kenv['KVER']}/{base}")
    with open(os.path.join(stage, "etc", "sac", "modules.order"), "w") as f:
        f.write("\n".join(order) + "\n")

    outdir = os.path.join(TOP, "out", kname)
    for ko in sorted(os.listdir(outdir)):
        if ko.endswith(".ko"):
            shutil.copy2(os.path.join(outdir, ko), os.path.join(stage, "lib", "sac"))
    for prog, dest in guest_programs():
        copy_program(prog, stage, dest)
    for d in (GUEST, DEMO):
        for t in os.listdir(d):
            if t.endswith(".sh"):
                shutil.copy2(os.path.join(d, t), os.path.join(stage, "tests"))
    with open(os.path.join(stage, "etc", "sac", "devices.env"), "w") as f:
        for name, slot, _ in DEVICES:
            f.write(f"{name}=0000:00:{slot}\n")
        f.write(f"KNAME={kname}\n")
    overlay = os.path.join(TOP, "out", kname, "overlay")
    if os.path.isdir(overlay):
        shutil.copytree(overlay, stage, symlinks=True, dirs_exist_ok=True)
    # Modules installed in the guest's module tree (e.g. by DKMS) are
    # found by modprobe: give that tree its modules.dep.
    if os.path.isdir(os.path.join(moddir, "updates")):
        for f in ("modules.order", "modules.builtin", "modules.builtin.modinfo"):
            src = os.path.join(kenv["MODDIR"], f)
            if os.path.exists(src):
                shutil.copy2(src, moddir)
        sh(["depmod", "-b", stage, kenv["KVER"]])
    img = os.path.join(TOP, "out", kname, "initramfs.cpio.gz")
    sh(f"cd {shlex.quote(stage)} && find . | cpio -o -H newc --quiet | gzip -1 > {shlex.quote(img)}",
       shell=True)
    return img


def guest_programs():
    """(host path, guest path) of every program listed in
    tests/vm/guest-programs.conf: "/abs/path" is a host program (it must
    exist), "project:rel/path" one the project builds, copied to /usr/bin
    when it has been built."""
    progs = []
    with open(os.path.join(VM, "guest-programs.conf")) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            if line.startswith("project:"):
                path = os.path.join(TOP, line[len("project:"):])
                if os.path.exists(path):
                    progs.append((path, "/usr/bin/" + os.path.basename(path)))
            elif os.path.exists(line):
                progs.append((line, line))
            else:
                raise RuntimeError(f"guest program {line} is not installed on the host")
    return progs


def qemu_cmd(kenv, initrd, append, logdir, extra=()):
    nvme = os.path.join(logdir, "nvme.img")
    with open(nvme, "wb") as f:
        f.truncate(NVME_IMAGE_MB << 20)
    # Single-threaded TCG (both vCPUs on one host thread, interleaved).
    # Seen with multi-threaded TCG under host load: during an rmmod of
    # iommu_sac while both vCPUs mapped DMA, both vCPUs stayed at
    # iommu_dma_alloc_iova+0x0 for 800 s (soft lockups) although memory
    # there already held the NOP. Toggling the plain function tracer on
    # that function while a vCPU calls it reproduces it without iommu_sac.
    # The likely cause is QEMU 7.2 running a stale translation holding the
    # int3 that text_poke_bp() had removed: the kprobe int3 handler then
    # finds no int3 in memory and restarts the instruction, forever. Real
    # CPUs serialise in text_poke_sync(); with thread=single it passes.
    cmd = ["qemu-system-x86_64", "-accel", "tcg,thread=single", "-cpu", "max", "-smp", "2",
           "-m", "2G", "-M", "q35,kernel-irqchip=split",
           "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
           "-device", "intel-iommu,intremap=on",
           "-serial", "file:" + os.path.join(logdir, "console.log"),
           "-serial", "file:" + os.path.join(logdir, "tap.log"),
           "-drive", f"file={nvme},if=none,id=nvm0,format=raw",
           "-netdev", "hubport,id=hub0p0,hubid=0",
           "-netdev", "hubport,id=hub0p1,hubid=0",
           "-kernel", kenv["VMLINUZ"], "-initrd", initrd,
           "-append", append]
    for _, slot, dev in DEVICES:
        cmd += ["-device", f"{dev},addr={slot}"]
    return cmd + list(extra)


def watch(cmd, tests, tap_path, boot_timeout, echo=False):
    """Run QEMU, enforcing each test's own timeout by following the TAP
    stream. Returns (output, the name of the test that timed out or "boot"
    or None)."""
    limits = {t.name: t.timeout for t in tests}
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    t0 = time.time()
    current, since = None, t0
    expired = None
    seen = 0
    while p.poll() is None:
        time.sleep(0.5)
        now = time.time()
        lines = read(tap_path).splitlines()
        # Only whole lines not looked at yet.
        for line in lines[seen:len(lines) - 1]:
            if echo and not line.startswith("SAC-"):
                print(line, flush=True)
            m = re.match(r"SAC-TEST-(BEGIN|END) (\S+)", line)
            if m:
                current = m.group(2) if m.group(1) == "BEGIN" else None
                since = now
        seen = max(seen, len(lines) - 1)
        if current and now - since > limits.get(current, DEFAULT_TEST_TIMEOUT):
            expired = current
        elif now - t0 > boot_timeout:
            expired = current or "boot"
        if expired:
            p.kill()
            break
    out = p.communicate()[0].decode(errors="replace")
    return out, expired


def boot(kname, kenv, initrd, tests, args, logdir, echo=False):
    """Boot once, running tests; retry once a boot that never reached init."""
    append = ("console=ttyS0 intel_iommu=on panic=-1 oops=panic loglevel=7 "
              "sac.tests=" + ",".join(t.name for t in tests) + " " + args).strip()
    timeout = BOOT_SLACK + sum(t.timeout for t in tests)
    for attempt in (1, 2):
        os.makedirs(logdir, exist_ok=True)
        cmd = qemu_cmd(kenv, initrd, append, logdir)
        with open(os.path.join(logdir, "qemu.cmd"), "w") as f:
            f.write(shlex.join(cmd) + "\n")
        t0 = time.time()
        qemu_out, expired = watch(cmd, tests, os.path.join(logdir, "tap.log"), timeout, echo)
        took = time.time() - t0
        with open(os.path.join(logdir, "qemu.out"), "w") as f:
            f.write(qemu_out)
        os.unlink(os.path.join(logdir, "nvme.img"))
        tap = read(os.path.join(logdir, "tap.log"))
        if "SAC-INIT" in tap or attempt == 2:
            break
        log(f"  {kname}: boot never reached init (see {logdir}/console.log), retrying once")
        os.rename(logdir, logdir + f".failed-boot{attempt}")
    return tap, read(os.path.join(logdir, "console.log")), expired, took, qemu_out


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def console_problems(console, tests):
    """Map test name -> problem lines the kernel logged while it ran;
    problems outside any test go to the key None."""
    probs = {}
    current = None
    allow = {t.name: t.allow for t in tests}
    for line in console.splitlines():
        m = re.search(r"sac-test: (begin|end) (\S+)", line)
        if m:
            current = m.group(2) if m.group(1) == "begin" else None
            continue
        for kind, pat in BAD_PATTERNS:
            if pat.search(line):
                if kind == "DMAR fault" and "dmar-fault" in allow.get(current, ()):
                    continue
                probs.setdefault(current, []).append(f"{kind}: {line.strip()}")
                break
    return probs


def count_tap(tag, sec):
    """Count the TAP lines of one test's output."""
    res = Result()
    for line in sec["lines"]:
        if re.match(r"ok \d+", line):
            if "# SKIP" in line:
                res.skipped += 1
            else:
                res.passed += 1
            log(f"  {tag}: {line}")
        elif re.match(r"not ok \d+", line):
            res.failed += 1
            res.failures.append(f"{tag}: {line}")
            log(f"  {tag}: {line}")
        elif re.match(r"1\.\.0 # SKIP", line):
            res.skipped += 1
            log(f"  {tag}: skipped: {line.split('# SKIP', 1)[1].strip()}")
        elif line.startswith("#"):
            log(f"  {tag}: {line}")
    if sec["rc"] not in (None, 0) and not res.failed:
        res.failed += 1
        res.failures.append(f"{tag}: exited {sec['rc']} without a failed check")
        log(f"  not ok {tag}: exited {sec['rc']} without a failed check")
    return res


def parse_tap(kname, tap, tests, timed_out, console):
    """Count one boot's TAP lines; return a Result."""
    res = Result()
    probs = console_problems(console, tests)
    sections = {}
    cur = None
    for line in tap.splitlines():
        line = line.rstrip("\r")
        m = re.match(r"SAC-TEST-BEGIN (\S+)", line)
        if m:
            cur = m.group(1)
            sections[cur] = {"lines": [], "rc": None}
            continue
        m = re.match(r"SAC-TEST-END (\S+) (\d+)", line)
        if m and m.group(1) in sections:
            sections[m.group(1)]["rc"] = int(m.group(2))
            cur = None
            continue
        if cur:
            sections[cur]["lines"].append(line)

    for t in tests:
        tag = f"{kname}/{t.name}"
        sec = sections.get(t.name)
        if sec is None:
            res.failed += 1
            why = (f"not run: the guest was killed after {timed_out} timed out"
                   if timed_out else "never started (the guest died before it)")
            res.failures.append(f"{tag}: {why}")
            log(f"  not ok {tag}: {why}")
            continue
        res.add(count_tap(tag, sec))
        if sec["rc"] is None:
            res.failed += 1
            why = (f"did not finish within its {t.timeout}s timeout (hang)"
                   if timed_out == t.name else "did not finish (guest crashed or powered off)")
            res.failures.append(f"{tag}: {why}")
            log(f"  not ok {tag}: {why}")
        for p in probs.get(t.name, []):
            res.failed += 1
            res.failures.append(f"{tag}: kernel log: {p}")
            log(f"  not ok {tag}: kernel log: {p}")
    for p in probs.get(None, []):
        res.failed += 1
        res.failures.append(f"{kname}/(outside tests): kernel log: {p}")
        log(f"  not ok {kname}/(outside tests): kernel log: {p}")
    return res


def select_tests(names):
    all_tests = [Test(os.path.join(GUEST, f)) for f in sorted(os.listdir(GUEST))
                 if f.endswith(".sh") and f != "lib.sh"]
    if not names:
        return all_tests
    known = {t.name: t for t in all_tests}
    for n in names:
        if n not in known:
            raise SystemExit(f"unknown test '{n}' (known: {' '.join(known)})")
    return [known[n] for n in names]


def host_tools():
    """Build the project's userspace tools (they go into the guests) and
    run their host-side unit tests, which print TAP."""
    res = Result()
    for tool in sorted(glob.glob(os.path.join(TOP, "tools", "*", "Makefile"))):
        d = os.path.dirname(tool)
        name = os.path.relpath(d, TOP)
        log(f"== host: {name}")
        if subprocess.run(["make", "-s", "-C", d]).returncode:
            res.failed += 1
            res.failures.append(f"host/{name}: build failed")
            log(f"  not ok host/{name}: build failed")
            continue
        p = subprocess.run(["make", "-s", "-C", d, "check"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        sec = {"lines": p.stdout.splitlines(), "rc": p.returncode}
        res.add(count_tap(f"host/{name}", sec))
    return res


def run_kernel(kname, tests, resdir):
    res = Result()
    log(f"== kernel {kname}")
    try:
        kenv = provision(kname)
        kbuild(kname)
        shutil.rmtree(os.path.join(TOP, "out", kname, "overlay"), ignore_errors=True)
        res.add(setup_hooks(kname))
        initrd = build_initramfs(kname, kenv)
    except (RuntimeError, subprocess.CalledProcessError) as e:
        res.failed += 1
        res.failures.append(f"{kname}: setup: {e}")
        log(f"  not ok {kname}: setup: {e}")
        return res
    groups = {}
    for t in tests:
        if t.kernels and kname not in t.kernels:
            res.skipped += 1
            log(f"  {kname}/{t.name}: skipped: only for kernels {' '.join(t.kernels)}")
            continue
        groups.setdefault(t.boot, []).append(t)
    for i, (args, group) in enumerate(groups.items()):
        label = re.sub(r"[^A-Za-z0-9_.=-]+", "_", args) or "default"
        logdir = os.path.join(resdir, kname, f"boot{i}-{label}")
        tap, console, timed_out, took, qemu_out = boot(kname, kenv, initrd, group, args, logdir)
        log(f"  {kname}: boot '{args or 'default'}' ran {len(group)} test(s) in {took:.0f}s"
            + (f" (killed: {timed_out} timed out)" if timed_out else "") + f", logs in {logdir}")
        if "SAC-INIT" not in tap and qemu_out.strip():
            log("  qemu: " + qemu_out.strip().splitlines()[-1])
        res.add(parse_tap(kname, tap, group, timed_out, console))
    return res


def demo(kname, resdir):
    """The main job: boot one kernel and run tests/demo/demo.sh, showing its
    output as it goes."""
    log(f"== iommu-sac demo on kernel {kname}")
    kenv = provision(kname)
    host_tools()
    kbuild(kname)
    initrd = build_initramfs(kname, kenv)
    t = Test(os.path.join(DEMO, "demo.sh"))
    logdir = os.path.join(resdir, kname, "demo")
    log(f"== booting {kenv['KVER']} under QEMU (TCG) with an emulated Intel IOMMU")
    tap, console, expired, took, _ = boot(kname, kenv, initrd, [t], "", logdir, echo=True)
    probs = console_problems(console, [t])
    log(f"== guest ran {took:.0f}s; kernel console and logs in {logdir}")
    for p in sum(probs.values(), []):
        log("  kernel log: " + p)
    ok = "SAC-TEST-END demo 0" in tap and not probs and not expired
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kernels", default=os.environ.get("KERNELS", ""),
                    help="kernel names from kernels.conf (default: the required ones)")
    ap.add_argument("--tests", default=os.environ.get("TESTS", ""),
                    help="test names from tests/guest (default: all)")
    ap.add_argument("--results", default=os.path.join(TOP, "results"))
    ap.add_argument("--demo", metavar="KERNEL",
                    help="boot KERNEL and run the demo (make run) instead of the tests")
    a = ap.parse_args()

    conf = kernel_conf()
    known = {k["name"]: k for k in conf}
    names = a.kernels.replace(",", " ").split()
    for n in names:
        if n not in known:
            raise SystemExit(f"unknown kernel '{n}' (known: {' '.join(known)})")
    tests = select_tests(a.tests.replace(",", " ").split())
    stamp = time.strftime("%Y%m%d-%H%M%S")
    resdir = os.path.join(a.results, stamp)
    os.makedirs(resdir, exist_ok=True)
    latest = os.path.join(a.results, "latest")
    if os.path.islink(latest) or os.path.exists(latest):
        os.unlink(latest)
    os.symlink(stamp, latest)

    if a.demo:
        if a.demo not in known:
            raise SystemExit(f"unknown kernel '{a.demo}' (known: {' '.join(known)})")
        return demo(a.demo, resdir)

    total = Result()
    summary = []
    t0 = time.time()
    r = host_tools()
    if r.passed or r.failed:
        total.add(r)
        summary.append(f"{'host':6} {r.passed} passed, {r.failed} failed, {r.skipped} skipped")
    for k in conf:
        if names and k["name"] not in names:
            continue
        if not names and not k["required"]:
            total.skipped += 1
            summary.append(f"{k['name']:6} skipped: optional kernel ({k['note']}); run with KERNELS={k['name']}")
            log(f"== kernel {k['name']}: skipped: optional ({k['note']})")
            continue
        t1 = time.time()
        r = run_kernel(k["name"], tests, resdir)
        total.add(r)
        summary.append(f"{k['name']:6} {r.passed} passed, {r.failed} failed, "
                       f"{r.skipped} skipped ({time.time() - t1:.0f}s)")
    log("")
    log(f"== summary (results in {resdir}, {time.time() - t0:.0f}s)")
    for s in summary:
        log("  " + s)
    for f in total.failures:
        log("  FAILED " + f)
    log(f"{total.passed} passed, {total.failed} failed, {total.skipped} skipped")
    return 1 if total.failed or not (total.passed or total.failed) else 0


if __name__ == "__main__":
    sys.exit(main())
