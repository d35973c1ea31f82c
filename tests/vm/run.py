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
first one. A test fails on a "not ok", TAP without a plan matching its
results (tests/vm/logscan.py check_tap), a non-zero exit, a test that did not
finish (hang, crash, timeout), a new taint bit, a kernel complaint logged
while it ran (WARNING, BUG, Oops, panic, lockdep, UBSAN, KASAN, KFENCE, SLUB,
kmemleak, RCU stalls, lockups, hung tasks, ...: logscan.KERNEL_PATTERNS), an
IOMMU fault it did not declare for the device it names, a declared fault that
did not happen, or its begin/end markers missing from the console.

Before the kernels, the runner's own selftests run on the host
(tests/vm/selftest/). After each kernel's tests, one more boot runs the
canaries (tests/canary/): tests built to fail, one per detection path; each
must fail for its expected reason (CANARIES=0 skips them). Every guest log is
kept under the results folder. The last line is "N passed, N failed,
N skipped"; the exit status is non-zero when anything failed.
"""

import argparse
import fcntl
import glob
import json
import lzma
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import logscan  # noqa: E402  (tests/vm/logscan.py)
import arm64  # noqa: E402  (tests/vm/arm64.py: the arm64 lanes)

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VM = os.path.join(TOP, "tests", "vm")
GUEST = os.path.join(TOP, "tests", "guest")
DEMO = os.path.join(TOP, "tests", "demo")
CANARY = os.path.join(TOP, "tests", "canary")
SELFTEST = os.path.join(VM, "selftest")
CANARY_GEN = os.path.join(TOP, "out", "canary")
CANARY_TIMEOUT = 60
CACHE = os.environ.get("SAC_CACHE", "/var/cache/iommu-sac")
# kmod's tools where the host has none (tests/vm/lib.sh: sac_kmod).
os.environ["PATH"] = os.environ.get("PATH", "/usr/bin:/bin") + ":" + os.path.join(CACHE, "kmod", "bin")

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


def log(msg):
    print(msg, flush=True)


class Test:
    """One in-guest test script and the header lines it carries (see the
    top of tests/guest/lib.sh). A header error (an unknown allow token, a
    device that is no full PCI address) fails the test with its message."""

    def __init__(self, path):
        self.path = path
        self.name = os.path.basename(path)[:-3]
        self.boot = ""
        self.kernels = None
        self.timeout = DEFAULT_TEST_TIMEOUT
        self.allow_devices = set()
        self.header_errors = []
        self.expect = None        # canaries: why they must fail, or "pass"
        with open(path) as f:
            for line in f:
                m = re.match(r"#\s*(boot|kernels|timeout|allow|expect):\s*(.*?)\s*$", line)
                if not m:
                    continue
                key, val = m.groups()
                if key == "boot":
                    self.boot = val
                elif key == "kernels":
                    self.kernels = val.split()
                elif key == "timeout":
                    self.timeout = int(val)
                elif key == "expect":
                    self.expect = val
                else:
                    devs, errors = logscan.parse_allow(val)
                    self.allow_devices |= devs
                    self.header_errors += errors


class Result:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.caught = 0           # canaries that failed as they must
        self.failures = []

    def add(self, other):
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped
        self.caught += other.caught
        self.failures += other.failures


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


# Lanes (kernels.conf "where" rt, amd, debug): a base kernel booted another
# way. A lane runs the tests whose "# lanes:" header names one of its sets,
# and the tests whose "# kernels:" header names the lane itself.
LANES = {
    "rt": dict(tests={"core"}),             # Debian's -rt-amd64 image of the base
    "amd": dict(tests={"amd"}),             # the base kernel behind QEMU's AMD-Vi
    "debug": dict(tests={"core", "debug"}),  # built from Debian's sources, debug options
    "arm64": dict(tests={"core", "arm64"}),  # Debian's arm64 image behind an SMMUv3 (arm64.py)
}


def kernel_conf():
    rows = []
    with open(os.path.join(VM, "kernels.conf")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, suite, where, req, note = line.split(None, 4)
            lane = LANES.get(where)
            rows.append(dict(name=name, suite=suite, where=where,
                             required=req == "required", note=note.strip(),
                             lane=where if lane else None,
                             base=name.rsplit("-", 1)[0] if lane else name))
    return rows


def test_header(t, key):
    """The words of a test's "# KEY:" header line (lanes, smp), or []."""
    with open(t.path) as f:
        for line in f:
            m = re.match(r"#\s*" + key + r":\s*(.*?)\s*$", line)
            if m:
                return m.group(1).split()
    return []


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
    initramfs) and prints TAP for what it checked on the host side.
    SAC_SETUP=none skips them (a quick run of a few guest tests while
    working: not for make check, whose package tests need their output)."""
    res = Result()
    if os.environ.get("SAC_SETUP") == "none":
        print(f"== {name}: setup hooks skipped (SAC_SETUP=none)", flush=True)
        return res
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
    shutil.copy2(arm64.busybox(kenv) if arm64.is_arm64(kenv) else "/bin/busybox",
                 os.path.join(stage, "bin", "busybox"))
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
    if arm64.is_arm64(kenv):
        for prog, dest in arm64.guest_programs(kenv, guest_program_lines()):
            arm64.copy_program(kenv, prog, stage, dest)
    else:
        for prog, dest in guest_programs():
            copy_program(prog, stage, dest)
    for d in (GUEST, DEMO, CANARY, CANARY_GEN):
        if not os.path.isdir(d):
            continue
        for t in os.listdir(d):
            if t.endswith(".sh"):
                shutil.copy2(os.path.join(d, t), os.path.join(stage, "tests"))
    # The canaries are too many to name on the kernel command line (2048
    # bytes): their boot passes sac.tests=@canaries, the init reads this.
    canaries = sorted(t[:-3] for d in (CANARY, CANARY_GEN) if os.path.isdir(d)
                      for t in os.listdir(d) if t.endswith(".sh"))
    with open(os.path.join(stage, "etc", "sac", "canaries"), "w") as f:
        f.write("".join(c + "\n" for c in canaries))
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


def guest_program_lines():
    """The entries of tests/vm/guest-programs.conf."""
    with open(os.path.join(VM, "guest-programs.conf")) as f:
        return [x for x in (line.split("#", 1)[0].strip() for line in f) if x]


def guest_programs():
    """(host path, guest path) of every program listed in
    tests/vm/guest-programs.conf: "/abs/path" is a host program (it must
    exist, or be kmod's, unpacked into the cache), "project:rel/path" one the project builds, copied to /usr/bin
    when it has been built."""
    progs = []
    kmod_root = os.path.join(CACHE, "kmod", "root")
    for line in guest_program_lines():
        if line.startswith("project:"):
            path = os.path.join(TOP, line[len("project:"):])
            if os.path.exists(path):
                progs.append((path, "/usr/bin/" + os.path.basename(path)))
        elif os.path.exists(line):
            progs.append((line, line))
        elif os.path.exists(kmod_root + line):
            # kmod unpacked into the cache where the host has none
            # (tests/vm/lib.sh: sac_kmod); its library is the host's.
            progs.append((kmod_root + line, line))
        else:
            raise RuntimeError(f"guest program {line} is not installed on the host")
    return progs


def qemu_cmd(kenv, initrd, append, logdir, extra=()):
    nvme = os.path.join(logdir, "nvme.img")
    with open(nvme, "wb") as f:
        f.truncate(NVME_IMAGE_MB << 20)
    if arm64.is_arm64(kenv):
        return arm64.qemu_cmd(kenv, initrd, append, logdir, nvme, DEVICES) + list(extra)
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
    # The IOMMU: Intel VT-d, or AMD-Vi on the amd lanes (docs/kernels-notes.md).
    iommu = "amd-iommu" if kenv.get("LANE") == "amd" else "intel-iommu"
    cmd = ["qemu-system-x86_64", "-accel", "tcg,thread=single", "-cpu", "max",
           "-smp", str(kenv.get("SMP", 2)),
           "-m", "2G", "-M", "q35,kernel-irqchip=split",
           "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
           "-device", iommu + ",intremap=on",
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


def boot(kname, kenv, initrd, tests, args, logdir, echo=False, tests_arg=None):
    """Boot once, running tests; retry once a boot that never reached init.
    tests_arg: the value of sac.tests= when it is not the tests' names
    ("@canaries": the list in the initramfs' /etc/sac/canaries)."""
    iommu_arg = "" if kenv.get("LANE") == "amd" else "intel_iommu=on "
    # no_timer_check: setup_IO_APIC()'s timer_irq_works() counts ticks in
    # an mdelay() calibrated by TCG under load ("tsc: Fast TSC calibration
    # failed"); seen twice in a row on 6.1-rt: "Kernel panic - not syncing:
    # timer doesn't work through Interrupt-remapped IO-APIC".
    append = ("console=ttyS0 " + iommu_arg + "no_timer_check panic=-1 oops=panic loglevel=7 "
              "sac.tests=" + (tests_arg or ",".join(t.name for t in tests)) + " " + args).strip()
    if arm64.is_arm64(kenv):
        append = arm64.append(tests_arg or ",".join(t.name for t in tests), args)
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


def console_problems(console, tests, finished=None, skipped=()):
    """Map test name -> problems on the kernel console while it ran;
    problems outside any test go to the key None (logscan.scan_console)."""
    return logscan.scan_console(console, tests, finished, skipped)


def count_tap(tag, sec, say=log):
    """Count one test's TAP lines (strictly: logscan.check_tap) and its
    exit status; return a Result."""
    res = Result()
    tap = logscan.check_tap(sec["lines"])
    res.passed, res.failed, res.skipped = tap.passed, tap.failed, tap.skipped
    for kind, line in tap.lines:
        if kind == "skipall":
            say(f"  {tag}: skipped: {line}")
        else:
            say(f"  {tag}: {line}")
        if kind == "fail":
            res.failures.append(f"{tag}: {line}")
    for p in tap.problems:
        fail(res, tag, p, say)
    if sec["rc"] not in (None, 0) and not res.failed:
        fail(res, tag, f"exited {sec['rc']} without a failed check", say)
    return res


def fail(res, tag, why, say=log):
    res.failed += 1
    res.failures.append(f"{tag}: {why}")
    say(f"  not ok {tag}: {why}")


def split_tap(tap):
    """One boot's TAP stream -> ({test: {"lines", "rc", "taint"}}, boot taint)."""
    sections = {}
    boot_taint = None
    cur = None
    for line in tap.splitlines():
        line = line.rstrip("\r")
        m = re.match(r"SAC-TAINT (\S+) (\d+) (\d+)$", line)
        if m:
            name, before, after = m.group(1), int(m.group(2)), int(m.group(3))
            if name == "(boot)":
                boot_taint = (before, after)
            elif name in sections:
                sections[name]["taint"] = (before, after)
            continue
        m = re.match(r"SAC-TEST-BEGIN (\S+)", line)
        if m:
            cur = m.group(1)
            sections[cur] = {"lines": [], "rc": None, "taint": None}
            continue
        m = re.match(r"SAC-TEST-END (\S+) (\d+)", line)
        if m and m.group(1) in sections:
            sections[m.group(1)]["rc"] = int(m.group(2))
            cur = None
            continue
        if cur:
            sections[cur]["lines"].append(line)
    return sections, boot_taint


def parse_tap(kname, tap, tests, timed_out, console, say=log):
    """Judge one boot: each test's TAP, exit status, taint and kernel
    console; return a Result."""
    res = Result()
    sections, boot_taint = split_tap(tap)
    finished = {n for n, sec in sections.items() if sec["rc"] is not None}
    skipped = {n for n, sec in sections.items()
               if any(re.match(r"1\.\.0\s*#\s*SKIP", line) for line in sec["lines"])}
    probs = console_problems(console, tests, finished, skipped)
    for t in tests:
        tag = f"{kname}/{t.name}"
        for e in t.header_errors:
            fail(res, tag, f"header: {e}", say)
        sec = sections.get(t.name)
        if sec is None:
            why = (f"not run: the guest was killed after {timed_out} timed out"
                   if timed_out else "never started (the guest died before it)")
            fail(res, tag, why, say)
            continue
        res.add(count_tap(tag, sec, say))
        if sec["rc"] is None:
            why = (f"did not finish within its {t.timeout}s timeout (hang)"
                   if timed_out == t.name else "did not finish (guest crashed or powered off)")
            fail(res, tag, why, say)
        elif sec["taint"] is None:
            fail(res, tag, "no taint record (SAC-TAINT) from the guest init", say)
        else:
            p = logscan.taint_problem(*sec["taint"])
            if p:
                fail(res, tag, p, say)
        for p in probs.get(t.name, []):
            structural = p.startswith(("console log missing", "expected IOMMU fault"))
            fail(res, tag, p if structural else f"kernel log: {p}", say)
    if boot_taint:
        p = logscan.taint_problem(*boot_taint)
        if p:
            fail(res, f"{kname}/(boot)", p, say)
    elif "SAC-INIT" in tap:
        fail(res, f"{kname}/(boot)", "no boot taint record (SAC-TAINT (boot)) from the guest init", say)
    for p in probs.get(None, []):
        fail(res, f"{kname}/(outside tests)", f"kernel log: {p}", say)
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


def runner_selftests():
    """The runner's own tests (tests/vm/selftest/run.py): fixtures of real
    kernel log excerpts, TAP streams and taint values fed to logscan."""
    log("== host: tests/vm (runner selftests)")
    p = subprocess.run([sys.executable, os.path.join(SELFTEST, "run.py")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return count_tap("host/runner", {"lines": p.stdout.splitlines(), "rc": p.returncode})


def select_canaries():
    """The canaries: tests/canary/*.sh, and one script per line of
    tests/canary/kmsg.txt (generated into out/canary/), each planting one
    kernel line. Every canary says in "# expect: REGEX" why it must fail
    (or "# expect: pass")."""
    shutil.rmtree(CANARY_GEN, ignore_errors=True)
    os.makedirs(CANARY_GEN)
    with open(os.path.join(CANARY, "kmsg.txt")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, expect, text = line.rstrip("\n").split("\t", 2)
            path = os.path.join(CANARY_GEN, f"canary-kmsg-{name}.sh")
            with open(path, "w") as g:
                g.write("#!/bin/sh\n"
                        "# SPDX-License-Identifier: GPL-2.0\n"
                        "# Generated from tests/canary/kmsg.txt by tests/vm/run.py:\n"
                        "# plants one kernel line, which the runner must catch.\n"
                        f"# expect: {expect}\n"
                        f"# timeout: {CANARY_TIMEOUT}\n"
                        ". ./lib.sh\n"
                        f"printf '<3>%s\\n' {shlex.quote(text)} > /dev/kmsg\n"
                        "check \"planted a kernel line in /dev/kmsg\" true\n"
                        "done_testing\n")
    return load_canaries()


def load_canaries():
    paths = glob.glob(os.path.join(CANARY, "*.sh")) + glob.glob(os.path.join(CANARY_GEN, "*.sh"))
    canaries = sorted((Test(p) for p in paths), key=lambda t: t.name)
    for t in canaries:
        if not t.expect:
            raise SystemExit(f"canary {t.path} has no '# expect:' header")
    return canaries


def run_canaries(kname, kenv, initrd, canaries, resdir):
    """Boot once with every canary; each must fail, and only for the reason
    its "# expect:" names (or pass, for "# expect: pass"). A canary that is
    not caught is a failure of the suite; caught ones are counted apart."""
    res = Result()
    logdir = os.path.join(resdir, kname, "canaries")
    tap, console, timed_out, took, _ = boot(kname, kenv, initrd, canaries, "", logdir,
                                            tests_arg="@canaries")
    verdicts = []
    judged = parse_tap(kname, tap, canaries, timed_out, console, say=verdicts.append)
    with open(os.path.join(logdir, "verdicts.txt"), "w") as f:
        f.write("\n".join(verdicts) + "\n")
    tags = {}
    for failure in judged.failures:
        tag, _, why = failure.partition(": ")
        tags.setdefault(tag, []).append(why)
    for t in canaries:
        tag = f"{kname}/{t.name}"
        why = tags.pop(tag, [])
        if t.expect == "pass":
            if why:
                fail(res, tag, "canary expected to pass failed: " + "; ".join(why))
            else:
                res.caught += 1
                log(f"  {tag}: canary passed as it must")
            continue
        pat = re.compile(t.expect)
        if not why:
            fail(res, tag, f"canary NOT caught: the runner passed it (expected a failure matching '{t.expect}')")
        elif not all(pat.search(w) for w in why):
            fail(res, tag, f"canary failed for another reason than '{t.expect}': " + "; ".join(why))
        else:
            res.caught += 1
            for w in why:
                log(f"  {tag}: canary caught: {w}")
    for tag, why in tags.items():
        for w in why:
            fail(res, tag, f"in the canary boot: {w}")
    log(f"  {kname}: canaries: {res.caught} caught, {res.failed} not, in {took:.0f}s, logs in {logdir}")
    return res


def host_tools(check=True):
    """Build the project's userspace tools (they go into the guests) and,
    with check, run their host-side unit tests, which print TAP (with the
    promtool tests/vm/deps.sh unpacked into the cache on the PATH)."""
    res = Result()
    env = dict(os.environ, PATH=os.path.join(CACHE, "promtool", "bin") + ":" + os.environ.get("PATH", ""))
    for tool in sorted(glob.glob(os.path.join(TOP, "tools", "*", "Makefile"))
                       + glob.glob(os.path.join(TOP, "tests", "soak", "Makefile"))):
        d = os.path.dirname(tool)
        name = os.path.relpath(d, TOP)
        log(f"== host: {name}")
        if subprocess.run(["make", "-s", "-C", d]).returncode:
            res.failed += 1
            res.failures.append(f"host/{name}: build failed")
            log(f"  not ok host/{name}: build failed")
            continue
        if not check:
            continue
        p = subprocess.run(["make", "-s", "-C", d, "check"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, env=env)
        sec = {"lines": p.stdout.splitlines(), "rc": p.returncode}
        res.add(count_tap(f"host/{name}", sec))
    return res


def host_unchanged():
    """With SAC_HOST_BEFORE (make check and make run take that snapshot
    before tests/vm/deps.sh): the host's /boot, kernel trees and enabled
    systemd units are as they were (tests/vm/hostcheck.sh, TAP)."""
    before = os.environ.get("SAC_HOST_BEFORE")
    if not before:
        return Result()
    p = subprocess.run(["bash", os.path.join(VM, "hostcheck.sh"), "compare", before],
                       stdout=subprocess.PIPE, text=True)
    return count_tap("host/unchanged", {"lines": p.stdout.splitlines(), "rc": p.returncode})


class setup_lock:
    """flock on out/.setup.lock for the with-block."""

    def __enter__(self):
        os.makedirs(os.path.join(TOP, "out"), exist_ok=True)
        self.f = open(os.path.join(TOP, "out", ".setup.lock"), "w")
        fcntl.flock(self.f, fcntl.LOCK_EX)

    def __exit__(self, *exc):
        fcntl.flock(self.f, fcntl.LOCK_UN)
        self.f.close()


def run_kernel(kname, tests, resdir, canaries=()):
    res = Result()
    log(f"== kernel {kname}")
    conf = {k["name"]: k for k in kernel_conf()}[kname]
    lane = LANES.get(conf["lane"])
    try:
        # One kernel's setup at a time (--jobs): the host kernel's module
        # build writes into the source tree the chroot builds copy from.
        with setup_lock():
            kenv = provision(kname)
            kbuild(kname)
            shutil.rmtree(os.path.join(TOP, "out", kname, "overlay"), ignore_errors=True)
            # The setup hooks (DKMS, lint) check building, which the
            # base kernels cover: lanes only boot.
            if not lane:
                res.add(setup_hooks(kname))
            elif arm64.is_arm64(kenv):
                res.add(count_tap(f"{kname}/setup:dkms-arm64", arm64.dkms(kname)))
            initrd = build_initramfs(kname, kenv)
    except (RuntimeError, subprocess.CalledProcessError) as e:
        res.failed += 1
        res.failures.append(f"{kname}: setup: {e}")
        log(f"  not ok {kname}: setup: {e}")
        return res
    groups = {}
    for t in tests:
        named = t.kernels and kname in t.kernels
        if lane and not named and not lane["tests"] & set(test_header(t, "lanes")):
            continue    # not a test of this lane: not counted
        if t.kernels and not named and conf["base"] not in t.kernels:
            res.skipped += 1
            log(f"  {kname}/{t.name}: skipped: only for kernels {' '.join(t.kernels)}")
            continue
        # Tests with "# smp: N" boot with N vCPUs (others: 2), apart.
        smp = (test_header(t, "smp") or ["2"])[0]
        groups.setdefault((t.boot, smp), []).append(t)
    for i, ((args, smp), group) in enumerate(groups.items()):
        label = re.sub(r"[^A-Za-z0-9_.=-]+", "_", args) or "default"
        label += f"-smp{smp}" if smp != "2" else ""
        logdir = os.path.join(resdir, kname, f"boot{i}-{label}")
        tap, console, timed_out, took, qemu_out = boot(kname, dict(kenv, SMP=smp), initrd,
                                                       group, args, logdir)
        log(f"  {kname}: boot '{args or 'default'}' ran {len(group)} test(s) in {took:.0f}s"
            + (f" (killed: {timed_out} timed out)" if timed_out else "") + f", logs in {logdir}")
        if "SAC-INIT" not in tap and qemu_out.strip():
            log("  qemu: " + qemu_out.strip().splitlines()[-1])
        res.add(parse_tap(kname, tap, group, timed_out, console))
    # The canaries check the runner, not the kernel: the base kernels
    # boot them; a lane would only add a boot.
    if canaries and not lane:
        res.add(run_canaries(kname, kenv, initrd, canaries, resdir))
    return res


def run_parallel(kernels, a, resdir):
    """Run up to a.jobs kernels at once, each in a child run.py (its own
    process, so the provisioning and build tools' output comes through it
    too); every output line is shown as it comes, prefixed with [KERNEL].
    Returns {kernel: (Result, seconds)}."""
    pending = list(kernels)
    running = {}
    results = {}
    lock = threading.Lock()

    def pump(k, p):
        res = None
        for line in p.stdout:
            line = line.rstrip("\n")
            if line.startswith("SAC-RESULT "):
                res = json.loads(line[len("SAC-RESULT "):])
                continue
            with lock:
                print(f"[{k}] {line}", flush=True)
        rc = p.wait()
        r = Result()
        if res:
            took = res.pop("took")
            for key, val in res.items():
                setattr(r, key, val)
        else:
            took = 0
            r.failed = 1
            r.failures = [f"{k}: the runner for this kernel exited {rc} without a result"]
            with lock:
                print(f"[{k}]   not ok {k}: the runner for this kernel exited {rc} without a result", flush=True)
        results[k] = (r, took)

    while pending or running:
        while pending and len(running) < a.jobs:
            k = pending.pop(0)
            cmd = [sys.executable, os.path.abspath(__file__), "--child", resdir,
                   "--kernels", k, "--tests", a.tests, "--canaries", a.canaries]
            p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 text=True, errors="replace", bufsize=1)
            th = threading.Thread(target=pump, args=(k, p))
            th.start()
            running[k] = th
        for k, th in list(running.items()):
            th.join(timeout=0.5)
            if not th.is_alive():
                del running[k]
    return results


def demo(kname, resdir):
    """The main job: boot one kernel and run tests/demo/demo.sh, showing its
    output as it goes."""
    log(f"== iommu-sac demo on kernel {kname}")
    kenv = provision(kname)
    host_tools(check=False)
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
    host = host_unchanged()
    return 0 if ok and not host.failed else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kernels", default=os.environ.get("KERNELS", ""),
                    help="kernel names from kernels.conf (default: the required ones)")
    ap.add_argument("--tests", default=os.environ.get("TESTS", ""),
                    help="test names from tests/guest (default: all)")
    ap.add_argument("--results", default=os.path.join(TOP, "results"))
    ap.add_argument("--canaries", default=os.environ.get("CANARIES", "1"),
                    help="1 (default): after each kernel's tests, boot the canaries "
                    "(tests/canary/) and assert each fails as it must; 0: skip them")
    ap.add_argument("--jobs", type=int,
                    default=int(os.environ.get("JOBS") or (2 if (os.cpu_count() or 1) >= 2 else 1)),
                    help="kernels run at once (default 2 with two or more CPUs, else 1); "
                    "each one's output lines are prefixed with [KERNEL]")
    ap.add_argument("--soak", metavar="SECONDS", type=int,
                    help="make soak: only tests/guest/soak.sh, booted with sac.soak=SECONDS, "
                    "on every selected kernel or lane, one at a time (tests/soak/report.py "
                    "reads the results)")
    ap.add_argument("--soak-control", action="store_true",
                    help="with --soak: the control, booted with sac.soakctl=1 as well: "
                    "the same soak with iommu_sac never loaded (tests/guest/soak.sh)")
    ap.add_argument("--child", metavar="RESDIR", help=argparse.SUPPRESS)
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
    if a.soak:
        tests = select_tests(["soak"])
        for t in tests:
            t.boot = f"sac.soak={a.soak}" + (" sac.soakctl=1" if a.soak_control else "")
            t.timeout = a.soak + 600
            t.kernels = names or None      # lanes too, when named
        a.canaries, a.jobs = "0", 1
    if a.soak_control and not a.soak:
        raise SystemExit("--soak-control goes with --soak SECONDS")
    if a.child:
        # One kernel of a --jobs run: its Result goes back as JSON.
        canaries = load_canaries() if a.canaries not in ("0", "no", "") else []
        t1 = time.time()
        r = run_kernel(names[0], tests, a.child, canaries)
        log("SAC-RESULT " + json.dumps(dict(vars(r), took=time.time() - t1)))
        return 0
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

    canaries = select_canaries() if a.canaries not in ("0", "no", "") else []
    total = Result()
    summary = []
    t0 = time.time()
    r = runner_selftests()
    total.add(r)
    summary.append(f"{'runner':6} {r.passed} passed, {r.failed} failed, {r.skipped} skipped")
    r = host_tools()
    if r.passed or r.failed:
        total.add(r)
        summary.append(f"{'host':6} {r.passed} passed, {r.failed} failed, {r.skipped} skipped")
    run = []
    for k in conf:
        if names and k["name"] not in names:
            continue
        if not names and not k["required"]:
            total.skipped += 1
            log(f"== kernel {k['name']}: skipped: optional ({k['note']})")
            continue
        run.append(k["name"])
    if a.jobs > 1 and len(run) > 1:
        results = run_parallel(run, a, resdir)
    else:
        results = {}
        for k in run:
            t1 = time.time()
            results[k] = (run_kernel(k, tests, resdir, canaries), time.time() - t1)
    r = host_unchanged()
    if r.passed or r.failed:
        total.add(r)
        summary.append(f"host unchanged: {r.passed} passed, {r.failed} failed (/boot, kernel trees, enabled units)")
    for k in conf:
        if k["name"] in results:
            r, took = results[k["name"]]
            total.add(r)
            summary.append(f"{k['name']:6} {r.passed} passed, {r.failed} failed, "
                           f"{r.skipped} skipped ({took:.0f}s)"
                           + (f"; canaries: {r.caught} caught" if canaries else ""))
        elif not names and not k["required"]:
            summary.append(f"{k['name']:6} skipped: optional kernel ({k['note']}); run with KERNELS={k['name']}")
    log("")
    log(f"== summary (results in {resdir}, {time.time() - t0:.0f}s)")
    for s in summary:
        log("  " + s)
    for f in total.failures:
        log("  FAILED " + f)
    if canaries:
        log(f"canaries: {total.caught} caught (of {len(canaries)} per kernel; not in the counts below)")
    else:
        log("canaries: skipped (CANARIES=0)")
    log(f"{total.passed} passed, {total.failed} failed, {total.skipped} skipped")
    return 1 if total.failed or not (total.passed or total.failed) else 0


if __name__ == "__main__":
    sys.exit(main())
