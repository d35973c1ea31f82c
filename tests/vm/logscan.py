#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""What the VM test runner (tests/vm/run.py) reads, and how strictly.

One job: turn a guest's two streams into verdicts. It has no QEMU and no
provisioning in it, so the host selftests (tests/vm/selftest/) can feed it
fixture logs.

  scan_console()   the kernel console (ttyS0) split by the init's
                   "sac-test: begin/end NAME" markers; every kernel complaint
                   (KERNEL_PATTERNS) and every IOMMU fault (Intel VT-d, AMD-Vi)
                   is a problem of the test that was running, unless that test
                   declared the fault for the device it names; a declared fault
                   that never shows up, and a finished test whose markers are
                   not on the console, are problems too.
  check_tap()      one test's TAP (ttyS1): a plan "1..N" first or last that
                   matches the results, or "1..0 # SKIP why"; no plan, a wrong
                   count, a plan twice, results out of order, "Bail out!", or
                   no result at all is a failure.
  taint_problem()  /proc/sys/kernel/tainted before and after a test: a new
                   bit fails it, named by letter and meaning.
  parse_allow()    the "# allow:" header of a test.

Where the strings come from: the kernel sources of 6.1, 6.12 and 7.2
(kernel/panic.c, kernel/locking/lockdep.c, kernel/rcu/tree_stall.h and
tasks.h, kernel/watchdog*.c, kernel/hung_task.c, kernel/sched/core.c,
lib/ubsan.c, mm/slub.c, mm/kmemleak.c, mm/page_alloc.c, mm/kasan/report.c,
mm/kfence/report.c, drivers/iommu/intel/dmar.c, drivers/iommu/amd/iommu.c).
The fixtures under tests/vm/selftest/ hold one example of every form.
"""

import re
import sys

# --------------------------------------------------------------------------
# Kernel complaints. First match wins, so the specific kinds come before the
# generic "WARNING:" and "BUG:" ones and the failure names what it was.

KERNEL_PATTERNS = [
    # kernel/locking/lockdep.c: every report starts with one of these
    # (identical in 6.1 and 7.2), print_lockdep_off() with "BUG: MAX_...".
    ("lockdep", re.compile(
        r"WARNING: (possible circular locking dependency detected"
        r"|possible recursive locking detected"
        r"|inconsistent lock state"
        r"|possible irq lock inversion dependency detected"
        r"|\S+-safe -> \S+-unsafe lock order detected"
        r"|bad unlock balance detected"
        r"|bad contention detected"
        r"|held lock freed"
        r"|Nested lock was not taken"
        r"|chain_key collision"
        r"|lock held when returning to user space"
        r"|\S+ still has locks held)"
        r"|INFO: trying to register non-static key"
        r"|BUG: (MAX_\w+ too low|key \S+ has not been registered"
        r"|looking up invalid subclass)")),
    # lockdep_rcu_suspicious() in kernel/locking/lockdep.c
    ("suspicious RCU usage", re.compile(r"WARNING: suspicious RCU usage")),
    # kernel/rcu/tree_stall.h, kernel/rcu/tasks.h ("INFO: rcu_tasks detected
    # stalls on tasks:", "INFO: rcu_preempt detected expedited stalls ...")
    ("RCU stall", re.compile(
        r"INFO: \S+ (detected (expedited )?stalls|self-detected stall)"
        r"|rcu_.*self-detected stall")),
    # kernel/watchdog.c (7.2 "CPU%u: Watchdog detected hard LOCKUP on cpu
    # %u"), kernel/watchdog_hld.c (6.1), the panic string "Hard LOCKUP"
    ("hard lockup", re.compile(r"Watchdog detected hard LOCKUP|\bHard LOCKUP\b")),
    ("soft lockup", re.compile(r"BUG: soft lockup|\bsoft lockup - CPU")),
    # kernel/hung_task.c: "INFO: task %s:%d blocked for more than %ld
    # seconds." and 7.2's "INFO: task %s:%d is blocked on a mutex ..."
    ("hung task", re.compile(r"INFO: task \S+ .*blocked|blocked for more than \d+ seconds")),
    # lib/ubsan.c: "UBSAN: shift-out-of-bounds in FILE:LINE" (6.1 prologue)
    # and the 7.2 trap reasons "UBSAN: shift out of bounds"
    ("UBSAN", re.compile(r"\bUBSAN: ")),
    ("KASAN", re.compile(r"BUG: KASAN: ")),
    ("KFENCE", re.compile(r"BUG: KFENCE: ")),
    ("KMSAN", re.compile(r"BUG: KMSAN: ")),
    # mm/slub.c slab_bug(): pr_err("BUG %s (%s): %pV\n", s->name,
    # print_tainted(), ...): no colon after BUG, e.g. "BUG kmalloc-64 (Not
    # tainted): Poison overwritten" or "BUG kmalloc-64 (Tainted: G  B O):"
    ("SLUB", re.compile(r"(^|\s)BUG [^\s()]+ \((Not tainted|Tainted: [^)]*)\): ")),
    # mm/kmemleak.c: "kmemleak: unreferenced object 0x%08lx (size %zu):",
    # "kmemleak: %d new suspected memory leaks (see ...)"
    ("kmemleak", re.compile(r"unreferenced object 0x[0-9a-f]+|new suspected memory leaks")),
    # mm/page_alloc.c warn_alloc(): "%s: page allocation failure: order:%u"
    ("page allocation failure", re.compile(r"page allocation failure")),
    # kernel/sched/core.c
    ("scheduling while atomic", re.compile(r"BUG: scheduling while atomic|BUG: scheduling in a non-blocking")),
    ("sleeping in atomic context", re.compile(r"BUG: sleeping function called from invalid context")),
    ("Oops", re.compile(r"\bOops\b|general protection fault|BUG: unable to handle|kernel BUG at|invalid opcode: ")),
    ("panic", re.compile(r"Kernel panic")),
    # Everything else the kernel calls a warning or a bug: WARN() is
    # "WARNING: CPU: 0 PID: 1 at FILE:LINE FUNC" up to 6.12 and
    # "WARNING: FILE:LINE at FUNC, CPU#0: comm/pid" in 7.2 (kernel/panic.c
    # __warn()); "BUG: Bad page state", "BUG: workqueue lockup", ...
    ("WARNING", re.compile(r"\bWARNING: ")),
    ("BUG", re.compile(r"\bBUG: ")),
    # The frames of a report. Alone they are a problem (a dump_stack() or a
    # WARN whose first line was lost); next to a report they are part of it.
    ("cut here", re.compile(r"-+\[ cut here \]-+")),
    ("Call Trace", re.compile(r"\bCall Trace:")),
]

# Kinds that are the frame of a report: merged into the report they belong
# to (one report, one failure) instead of counted on their own.
FRAME_KINDS = ("cut here", "Call Trace")
# A "cut here" opens a report whose headline follows within a few lines; a
# "Call Trace:" closes one whose headline may be far above (lockdep prints
# the dependency chain first).
CUT_HERE_LOOKAHEAD = 8
CALL_TRACE_LOOKBACK = 400

# --------------------------------------------------------------------------
# IOMMU faults.
#
# Intel VT-d, drivers/iommu/intel/dmar.c dmar_fault_do_one() (pr_fmt "DMAR: "):
#   6.1/6.12  "[%s NO_PASID] Request device [%02x:%02x.%d] fault addr 0x%llx
#              [fault reason 0x%02x] %s" (%s: "DMA Read" or "DMA Write"),
#             "[%s PASID 0x%x] Request device [...] ...",
#             "[INTR-REMAP] Request device [%02x:%02x.%d] fault index 0x%llx ..."
#   7.2       the same with "[%04x:%02x:%02x.%d]" (the segment first)
#   older     "[DMA Write] Request device [00:05.0] PASID ffffffff fault addr"
#             and "DMAR:[DMA Read] Request device [00:05.0] fault addr"
# and dmar_fault(): "DRHD: handling fault status reg %x" before the records.
VTD_RECORD = re.compile(r"\[(DMA Read|DMA Write|INTR-REMAP)[^\]]*\] Request device \[([^\]]*)\]")
VTD_STATUS = re.compile(r"DMAR: DRHD: handling fault status reg ([0-9a-fA-F]+)")
# The fault status register's invalidation error bits (IQE, ICE, ITE): such
# a status line is an invalidation queue error, never a device's DMA fault.
VTD_FSTS_QI_ERRORS = 0x70
# Any other VT-d fault or invalidation error line.
VTD_OTHER = re.compile(r"DMAR:.*\bfault (addr|index)\b|VT-d detected Invalidation"
                       r"|Invalidation (Queue|Time-out|Completion) Error")
# AMD-Vi, drivers/iommu/amd/iommu.c (pr_fmt and dev_fmt "AMD-Vi: "):
#   pci_err(pdev, "Event logged [IO_PAGE_FAULT domain=0x%04x address=0x%llx
#     flags=0x%04x]")   -> "sac_edu 0000:00:05.0: AMD-Vi: Event logged [...]"
#   pr_err_ratelimited("Event logged [IO_PAGE_FAULT device=%04x:%02x:%02x.%x
#     domain=...")      -> "AMD-Vi: Event logged [IO_PAGE_FAULT device=0000:00:05.0 ..."
#   older kernels: dev_err(iommu dev, "Event logged [IO_PAGE_FAULT
#     device=%02x:%02x.%x ...") -> "iommu ivhd0: AMD-Vi: Event logged [...]"
#   every other event (ILLEGAL_DEV_TABLE_ENTRY, IOTLB_INV_TIMEOUT, hardware
#   errors, "Device not attached to domain properly") is never allowed.
AMD_EVENT = re.compile(r"AMD-Vi: Event logged \[(\S+)")
AMD_DEVICE = re.compile(r"\bdevice=([0-9a-fA-F:.]+)")
AMD_PREFIX = re.compile(r"(?:^|\s)\S+ ((?:[0-9a-fA-F]{4,}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]): AMD-Vi: ")

# Arm SMMUv3 (the arm64 lanes), drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c
# arm_smmu_evtq_thread() (6.1, 6.12) and arm_smmu_dump_raw_event() (7.2):
#   "event 0x%02x received:" then four lines "\t0x%016llx", the raw event
#   (dword 0: event ID in bits 7:0, StreamID in bits 63:32). scan_console()
#   joins the first raw line to the headline: "... received: 0x...". On
#   QEMU virt the StreamID is the PCI requester ID (iommu-map identity,
#   one segment), so it names the device. The fault events (0x10
#   F_TRANSLATION, 0x11 F_ADDR_SIZE, 0x12 F_ACCESS, 0x13 F_PERMISSION) are
#   allowable; any other event, "EVTQ overflow detected" and the command
#   queue's errors never are. 7.2's decoded line ("event: F_TRANSLATION
#   client: 0000:00:05.0 sid: ...") repeats the record: not counted again.
SMMU_EVENT = re.compile(r"arm-smmu-v3 \S+: event 0x([0-9a-fA-F]{2}) received:(?: (0x[0-9a-fA-F]{16}))?")
SMMU_RAW = re.compile(r"arm-smmu-v3 \S+:\s+(0x[0-9a-fA-F]{16})\s*$")
SMMU_DECODED = re.compile(r"arm-smmu-v3 \S+: event: \S+ client: ")
SMMU_ERROR = re.compile(r"arm-smmu-v3 \S+: .*(EVTQ overflow|CMDQ timeout|CMD_SYNC timeout"
                        r"|CMDQ error|gerror|unexpected global error)")
SMMU_FAULTS = {0x10: "F_TRANSLATION", 0x11: "F_ADDR_SIZE", 0x12: "F_ACCESS", 0x13: "F_PERMISSION"}

PCI_FULL = re.compile(r"^[0-9a-f]{4,}:[0-9a-f]{2}:[0-1][0-9a-f]\.[0-7]$")
PCI_ANY = re.compile(r"^(?:([0-9a-fA-F]{4,}):)?([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])$")

MARKER = re.compile(r"sac-test: (begin|end) (\S+)")
# "[   12.345678] " and with CONFIG_PRINTK_CALLER "[   12.345678][  T123] "
STAMP = re.compile(r"^(\[\s*\d+\.\d+\])?(\[\s*[TC]\d+\])?\s*")


def norm_pci(addr):
    """'00:05.0' or '0000:00:05.0' (any case) -> '0000:00:05.0'; None if
    it is no PCI address."""
    m = PCI_ANY.match(addr.strip())
    if not m:
        return None
    seg, bus, dev, fn = m.groups()
    if int(dev, 16) > 0x1f:
        return None
    return f"{int(seg or '0', 16):04x}:{bus.lower()}:{dev.lower()}.{fn}"


# --------------------------------------------------------------------------
# Test headers

ALLOW_HELP = "known: 'iommu-fault DDDD:BB:DD.F ...' (a full PCI address as in /etc/sac/devices.env)"


def parse_allow(value):
    """The value of one "# allow:" header line -> (set of devices whose
    IOMMU faults are expected, list of errors). The only token is
    "iommu-fault" followed by one or more full PCI addresses."""
    devs, errors = set(), []
    words = value.split()
    if not words:
        return devs, ["empty '# allow:' header (" + ALLOW_HELP + ")"]
    if words[0] != "iommu-fault":
        return devs, [f"unknown allow token '{words[0]}' in '# allow: {value}' ({ALLOW_HELP})"]
    if len(words) == 1:
        errors.append(f"'# allow: iommu-fault' names no device ({ALLOW_HELP})")
    for w in words[1:]:
        if not PCI_FULL.match(w):
            errors.append(f"'# allow: iommu-fault {w}': not a full PCI address ({ALLOW_HELP})")
        else:
            devs.add(w)
    return devs, errors


# --------------------------------------------------------------------------
# The console

class Problem:
    def __init__(self, kind, line, lineno):
        self.kind, self.line, self.lineno = kind, line, lineno
        self.last = lineno
        self.frames = []
        self.report = False       # a kernel complaint (not an IOMMU fault)

    def __str__(self):
        s = f"{self.kind}: {self.line}"
        if self.frames:
            s += f" (with {', '.join(self.frames)})"
        return s


def classify(text):
    """The kind of kernel complaint a console line is, or None."""
    for kind, pat in KERNEL_PATTERNS:
        if pat.search(text):
            return kind
    return None


def iommu_fault(text):
    """An IOMMU fault line -> (what, device or None, allowable); None if the
    line is no IOMMU fault. 'status' lines (DRHD: handling fault status reg)
    are returned as ('status', None, allowable-as-companion)."""
    m = VTD_RECORD.search(text)
    if m:
        kind, dev = m.groups()
        # An interrupt remapping fault is no DMA fault: never expected.
        return (f"VT-d {kind} fault", norm_pci(dev), kind != "INTR-REMAP")
    m = VTD_STATUS.search(text)
    if m:
        return ("status", None, not int(m.group(1), 16) & VTD_FSTS_QI_ERRORS)
    m = AMD_EVENT.search(text)
    if m:
        event = m.group(1).rstrip("]")
        dev = AMD_DEVICE.search(text)
        dev = dev or AMD_PREFIX.search(text)
        dev = norm_pci(dev.group(1)) if dev else None
        return (f"AMD-Vi {event} event", dev, event == "IO_PAGE_FAULT")
    m = SMMU_EVENT.search(text)
    if m:
        event = int(m.group(1), 16)
        what = f"SMMUv3 event 0x{event:02x} ({SMMU_FAULTS.get(event, 'not a fault')})"
        dev = None
        if m.group(2):
            sid = int(m.group(2), 16) >> 32
            dev = f"0000:{sid >> 8 & 0xff:02x}:{sid >> 3 & 0x1f:02x}.{sid & 7}"
        return (what, dev, event in SMMU_FAULTS)
    if SMMU_DECODED.search(text):
        return ("companion", None, True)
    if SMMU_ERROR.search(text):
        return ("SMMUv3 error", None, False)
    if VTD_OTHER.search(text):
        return ("VT-d fault", None, False)
    return None


def scan_console(console, tests, finished=None, skipped=()):
    """Scan one boot's kernel console.

    tests: objects with .name and .allow_devices (a set of full PCI
    addresses), in the order they ran. finished: names of the tests whose
    end the TAP stream saw (their markers must be on the console); None:
    all of them. skipped: names of the tests that skipped as a whole
    ("1..0 # SKIP"): a declared fault is not required of them.

    Returns {test name or None (outside any test): [problem strings]}.

    An allowed fault is one naming a device in the running test's
    allow_devices. "DRHD: handling fault status reg" names no device; it is
    the companion of the fault records that follow it (dmar_fault() prints
    it, then one line per record), so it takes their verdict: allowed when
    the next record in the same test is an allowed one, part of the failure
    when that record fails. When no record follows before the test's end (dmar_fault() shares one ratelimit between the
    status line and the records, so a burst's records may be suppressed,
    followed by "dmar_fault: N callbacks suppressed"), it is allowed only if
    the test already saw an allowed fault; else it is a fault naming no
    device. A status with invalidation error bits is never allowed.
    """
    allow = {t.name: set(t.allow_devices) for t in tests}
    names = [t.name for t in tests]
    out = {}
    seen_begin, seen_end = set(), set()
    seen_fault = {n: set() for n in names}
    current = None
    reports = []          # the current section's Problems
    pending = []          # status lines waiting for their records
    lines = console.splitlines()
    # An SMMUv3 event's headline takes its first raw line (SMMU_EVENT).
    for i in range(len(lines) - 1):
        if SMMU_EVENT.search(lines[i]):
            m = SMMU_RAW.search(STAMP.sub("", lines[i + 1].rstrip("\r")))
            if m:
                lines[i] = lines[i].rstrip("\r") + " " + m.group(1)

    def flush_section():
        nonlocal reports, pending
        had_allowed = current in allow and seen_fault.get(current)
        for lineno, text in pending:
            if not had_allowed:
                reports.append(Problem("IOMMU fault naming no device", text, lineno))
        pending = []
        if reports:
            out.setdefault(current, []).extend(str(p) for p in reports)
        reports = []

    for lineno, raw in enumerate(lines):
        text = STAMP.sub("", raw.rstrip("\r")).strip()
        m = MARKER.search(text)
        if m:
            flush_section()
            what, name = m.groups()
            if what == "begin":
                current = name
                seen_begin.add(name)
            else:
                seen_end.add(name)
                current = None
            continue

        fault = iommu_fault(text)
        if fault:
            what, dev, allowable = fault
            if what == "companion":
                continue
            if what == "status":
                if not allowable:
                    reports.append(Problem("VT-d invalidation error", text, lineno))
                    continue
                pending.append((lineno, text))
                continue
            ok = allowable and dev and dev in allow.get(current, ())
            if ok:
                seen_fault[current].add(dev)
                pending = []
                continue
            if dev is None:
                p = Problem("IOMMU fault naming no device", text, lineno)
            elif allowable:
                why = ("not declared by this test" if current else "outside any test")
                p = Problem(f"IOMMU fault of {dev} ({what}, {why})", text, lineno)
            else:
                p = Problem(f"IOMMU error of {dev} ({what}, never allowed)", text, lineno)
            p.frames += [f"'{t}'" for _, t in pending]
            pending = []
            reports.append(p)
            continue

        kind = classify(text)
        if not kind:
            continue
        prev = reports[-1] if reports and reports[-1].report else None
        if prev and kind == "Call Trace" and lineno - prev.last <= CALL_TRACE_LOOKBACK:
            # the trace of the report above (lockdep prints several)
            if "Call Trace" not in prev.frames:
                prev.frames.append("Call Trace")
            prev.last = lineno
            continue
        if prev and prev.kind == "cut here" and not prev.frames \
                and kind not in FRAME_KINDS and lineno - prev.lineno <= CUT_HERE_LOOKAHEAD:
            # the headline of the report the "cut here" opened
            prev.kind, prev.line, prev.last = kind, text, lineno
            prev.frames.append("cut here")
            continue
        if prev and prev.kind == kind and lineno - prev.last <= CUT_HERE_LOOKAHEAD:
            # the next line of the same report ("BUG: unable to handle page
            # fault" then "Oops: 0010 [#1] ...")
            prev.last = lineno
            continue
        p = Problem(kind, text, lineno)
        p.report = True
        reports.append(p)
    flush_section()

    for t in tests:
        must_finish = finished is None or t.name in finished
        if must_finish and (t.name not in seen_begin or t.name not in seen_end):
            missing = " and ".join(f"'sac-test: {w} {t.name}'" for w, s in
                                   (("begin", seen_begin), ("end", seen_end)) if t.name not in s)
            out.setdefault(t.name, []).append(
                f"console log missing/truncated: no {missing} on the kernel console")
            continue
        if must_finish and t.name not in skipped:
            for dev in sorted(allow[t.name] - seen_fault[t.name]):
                out.setdefault(t.name, []).append(
                    f"expected IOMMU fault for {dev} not seen (declared by '# allow: iommu-fault')")
    return out


# --------------------------------------------------------------------------
# TAP

RESULT = re.compile(r"^(not ok|ok)\b\s*(\d+)?(.*)$")
PLAN = re.compile(r"^1\.\.(\d+)\s*(#\s*(.*))?$")


class TapResult:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.lines = []         # (kind, line) for the runner to show
        self.problems = []      # why the stream itself is wrong


def check_tap(lines):
    """Count one test's TAP lines strictly. Returns a TapResult; its
    problems list says what is wrong with the stream as a whole."""
    r = TapResult()
    plan = None
    plan_at = None
    plans = 0
    results = 0
    numbers_ok = True
    for line in lines:
        line = line.rstrip("\r")
        m = RESULT.match(line)
        if m:
            results += 1
            status, num, rest = m.groups()
            if num is None or int(num) != results:
                numbers_ok = False
            if status == "ok":
                # a directive is an unescaped '#' (TAP: "\#" is a literal one)
                if re.search(r"(?<!\\)#\s*SKIP\b", rest, re.I):
                    r.skipped += 1
                    r.lines.append(("skip", line))
                elif re.search(r"(?<!\\)#\s*TODO\b", rest, re.I):
                    r.failed += 1
                    r.lines.append(("fail", line + " (a TODO result counts as failed)"))
                else:
                    r.passed += 1
                    r.lines.append(("pass", line))
            else:
                r.failed += 1
                r.lines.append(("fail", line))
            continue
        m = PLAN.match(line)
        if m:
            plans += 1
            plan = int(m.group(1))
            plan_at = "first" if results == 0 else "after results"
            if plan == 0:
                if m.group(2) and re.match(r"SKIP\b", m.group(3) or "", re.I):
                    r.skipped += 1
                    r.lines.append(("skipall", (m.group(3)[4:].strip() or "no reason given")))
                    if not (m.group(3)[4:].strip()):
                        r.problems.append("plan '1..0 # SKIP' gives no reason")
                else:
                    r.problems.append("plan 1..0 without '# SKIP reason': no result at all")
            continue
        if line.startswith("Bail out!"):
            r.problems.append(f"TAP: {line}")
            continue
        if line.startswith("#"):
            r.lines.append(("diag", line))
    if plans == 0:
        r.problems.append(f"no TAP plan (1..N) in its output ({results} result(s))"
                          if results else "no TAP output: no plan and no result")
    elif plans > 1:
        r.problems.append(f"{plans} TAP plans in its output")
    elif plan == 0 and results:
        r.problems.append(f"plan 1..0 but {results} result(s)")
    elif plan != results and plan:
        r.problems.append(f"plan 1..{plan} but {results} result(s)")
    elif plan and plan_at == "after results" and lines and not _plan_is_last(lines):
        r.problems.append("plan 1..N is neither before the first result nor after the last")
    if results and not numbers_ok and not r.problems:
        r.problems.append("result numbers are not 1, 2, 3, ... in order")
    return r


def _plan_is_last(lines):
    seen_plan = False
    for line in lines:
        if PLAN.match(line.rstrip("\r")):
            seen_plan = True
        elif seen_plan and RESULT.match(line):
            return False
    return True


# --------------------------------------------------------------------------
# Taint

# include/linux/panic.h (7.2), letters from kernel/panic.c taint_flags[].
TAINT_BITS = {
    0: ("P", "proprietary module loaded"),
    1: ("F", "module force-loaded"),
    2: ("S", "CPU out of spec / SMP unsafe"),
    3: ("R", "module force-unloaded (rmmod -f)"),
    4: ("M", "machine check"),
    5: ("B", "bad page referenced or unexpected page flags"),
    6: ("U", "taint requested by userspace"),
    7: ("D", "kernel died (oops or BUG)"),
    8: ("A", "ACPI table overridden"),
    9: ("W", "kernel issued a warning"),
    10: ("C", "staging driver loaded"),
    11: ("I", "firmware bug workaround applied"),
    12: ("O", "out-of-tree module loaded"),
    13: ("E", "unsigned module loaded"),
    14: ("L", "soft lockup occurred"),
    15: ("K", "kernel live patched"),
    16: ("X", "auxiliary taint (distribution-defined)"),
    17: ("T", "built with struct randomization plugin"),
    18: ("N", "in-kernel test run (KUnit)"),
    19: ("J", "fwctl used"),
}
# Loading the project's modules (iommu_sac.ko, iommu_sac_fops.ko, sac_edu.ko,
# built out of tree and not signed) sets O (TAINT_OOT_MODULE, bit 12) and,
# on kernels that enforce nothing but record it, E (TAINT_UNSIGNED_MODULE,
# bit 13).
# These are what the tests are for: allowed in every test, and nothing else.
TAINT_ALLOWED = (1 << 12) | (1 << 13)


def taint_names(mask):
    out = []
    for bit in range(64):
        if mask >> bit & 1:
            letter, meaning = TAINT_BITS.get(bit, ("?", "unknown taint"))
            out.append(f"{letter} (bit {bit}: {meaning})")
    return out


def taint_problem(before, after):
    """A problem string for the taint bits that appeared, or None."""
    new = after & ~before & ~TAINT_ALLOWED
    if not new:
        return None
    return (f"kernel tainted: new taint {', '.join(taint_names(new))}"
            f" (/proc/sys/kernel/tainted {before} -> {after})")


# --------------------------------------------------------------------------

class _Named:
    def __init__(self, name, allow_devices=()):
        self.name, self.allow_devices = name, set(allow_devices)


def main(argv):
    """logscan.py CONSOLE.LOG [NAME=DEV,DEV ...]: scan a saved console."""
    if len(argv) < 2:
        print("usage: logscan.py console.log [test=0000:00:05.0,... ...]", file=sys.stderr)
        return 2
    with open(argv[1], errors="replace") as f:
        console = f.read()
    names = [m.group(2) for m in MARKER.finditer(console) if m.group(1) == "begin"]
    allow = {}
    for a in argv[2:]:
        n, _, d = a.partition("=")
        allow[n] = set(d.split(","))
    tests = [_Named(n, allow.get(n, ())) for n in names]
    probs = scan_console(console, tests)
    for name, ps in probs.items():
        for p in ps:
            print(f"{name or '(outside tests)'}: {p}")
    return 1 if probs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
