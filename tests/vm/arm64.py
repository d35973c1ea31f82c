# SPDX-License-Identifier: GPL-2.0
"""The arm64 lanes of the VM runner (tests/vm/run.py): Debian's arm64
kernels (tests/vm/provision-arm64.sh) booted under qemu-system-aarch64
behind an emulated SMMUv3.

The machine: -M virt,iommu=smmuv3 puts the SMMUv3 in front of virt's PCIe
host (pcie.0, bus 0000:00), so the devices keep the slots of the amd64
machine (0000:00:04.0 ...) and the tests find them at the same addresses.
The kernel is booted directly (-kernel, no firmware: virt hands it a device
tree). virt has one PL011 UART: it carries the kernel console (ttyAMA0);
the tests' TAP goes to the second port of a pci-serial-2x (ttyS1 in the
guest, as on amd64; a 16550 does no DMA).

The guest's programs come from the arm64 userland that provision-arm64.sh
unpacked (busybox-static and the packages of the programs in
tests/vm/guest-programs.conf); the libraries they link are resolved from
their ELF DT_NEEDED entries inside that tree (ldd cannot run them).
"""

import os
import re
import shutil
import subprocess

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Slot of the serial card carrying the TAP stream (port 2 = ttyS1).
SERIAL_SLOT = "1f.0"
LIBDIRS = ["lib/aarch64-linux-gnu", "usr/lib/aarch64-linux-gnu", "lib", "usr/lib"]


def is_arm64(kenv):
    return kenv.get("LANE") == "arm64"


def qemu_cmd(kenv, initrd, append, logdir, nvme, devices):
    """The qemu-system-aarch64 command line of an arm64 boot."""
    cmd = ["qemu-system-aarch64", "-accel", "tcg,thread=single",
           "-cpu", "max,pauth-impdef=on",
           "-smp", str(kenv.get("SMP", 2)), "-m", "2G",
           "-M", "virt,iommu=smmuv3,gic-version=3",
           "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
           "-serial", "file:" + os.path.join(logdir, "console.log"),
           "-chardev", "null,id=sacnull",
           "-chardev", "file,id=sactap,path=" + os.path.join(logdir, "tap.log"),
           "-device", f"pci-serial-2x,chardev1=sacnull,chardev2=sactap,addr={SERIAL_SLOT}",
           "-drive", f"file={nvme},if=none,id=nvm0,format=raw",
           "-netdev", "hubport,id=hub0p0,hubid=0",
           "-netdev", "hubport,id=hub0p1,hubid=0",
           "-kernel", kenv["VMLINUZ"], "-initrd", initrd,
           "-append", append]
    for _, slot, dev in devices:
        cmd += ["-device", f"{dev},addr={slot}"]
    return cmd


def append(tests_value, args):
    """The kernel command line of an arm64 boot (the amd64 one without its
    x86 options)."""
    return ("console=ttyAMA0 panic=-1 oops=panic loglevel=7 "
            "sac.tests=" + tests_value + " " + args).strip()


def dkms(kname):
    """The DKMS check of an arm64 kernel (tests/vm/dkms-arm64.sh): its TAP
    lines and exit status, for run.py's count_tap(). It leaves the module
    DKMS built in out/KNAME/overlay/ for tests/guest/dkms.sh."""
    p = subprocess.run(["bash", os.path.join(TOP, "tests", "vm", "dkms-arm64.sh"), kname],
                       stdout=subprocess.PIPE, text=True)
    return {"lines": p.stdout.splitlines(), "rc": p.returncode}


def busybox(kenv):
    return os.path.join(kenv["USERLAND"], "bin", "busybox")


def _needed(path):
    out = subprocess.run(["readelf", "-dW", path], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)


def _interp(path):
    out = subprocess.run(["readelf", "-lW", path], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True).stdout
    m = re.search(r"Requesting program interpreter: (\S+)\]", out)
    return m.group(1) if m else None


def _find_lib(userland, name):
    for d in LIBDIRS:
        p = os.path.join(userland, d, name)
        if os.path.exists(p):
            return "/" + d + "/" + name
    return None


def copy_program(kenv, prog, stage, dest):
    """Copy an arm64 program (a path on the host, or one inside the
    userland) to dest in the guest, with the libraries it links, found in
    the userland."""
    userland = kenv["USERLAND"]
    todo = [(prog, dest)]
    seen = set()
    while todo:
        src, target = todo.pop()
        if target in seen:
            continue
        seen.add(target)
        real = os.path.realpath(src)
        out = stage + target
        os.makedirs(os.path.dirname(out), exist_ok=True)
        shutil.copy2(real, out)
        libs = _needed(real)
        interp = _interp(real)
        if interp:
            todo.append((_resolve(userland, interp), interp))
        for lib in libs:
            found = _find_lib(userland, lib)
            if not found:
                raise RuntimeError(f"{prog}: {lib} not found in the arm64 userland {userland}")
            todo.append((_resolve(userland, found), found))


def _resolve(userland, path):
    """A path inside the userland tree, following its symlinks inside it."""
    p = path
    for _ in range(16):
        full = userland + p
        if not os.path.islink(full):
            return full
        link = os.readlink(full)
        p = link if link.startswith("/") else os.path.normpath(os.path.join(os.path.dirname(p), link))
    return userland + p


def guest_programs(kenv, conf_lines):
    """(source, guest path) of the programs of guest-programs.conf for an
    arm64 guest: "/abs/path" from the userland tree, "project:rel/path"
    from its arm64 build (out/NAME/bin/), when built."""
    progs = []
    for line in conf_lines:
        if line.startswith("project:"):
            path = os.path.join(TOP, "out", kenv["KNAME"], "bin",
                                os.path.basename(line[len("project:"):]))
            if os.path.exists(path):
                progs.append((path, "/usr/bin/" + os.path.basename(path)))
        else:
            path = _resolve(kenv["USERLAND"], line)
            if not os.path.exists(path):
                raise RuntimeError(f"guest program {line} is not in the arm64 userland {kenv['USERLAND']}")
            progs.append((path, line))
    return progs
