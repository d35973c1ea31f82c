# SPDX-License-Identifier: GPL-2.0
#
# Developer targets of iommu-sac. The module itself is built by kbuild from
# ./Kbuild; the VM suite builds it for every kernel it boots.

KDIR ?= /lib/modules/$(shell uname -r)/build
KERNELS ?=
TESTS ?=

KERNEL ?= 6.1

.PHONY: all modules clean check check-debug check-arm64 deps deps-run run bench soak

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/drivers clean 2>/dev/null || true
	rm -rf out

# Host packages (installed only when missing): "deps" what make check
# needs, "deps-run" what make run needs. Tools only: every kernel, with its
# build tools, lives in a chroot under /var/cache/iommu-sac (tests/vm/deps.sh).
deps:
	@bash tests/vm/deps.sh check

deps-run:
	@bash tests/vm/deps.sh run

# What the host's /boot, kernel trees and enabled systemd units were before
# deps: run.py compares at the end (tests/vm/hostcheck.sh, host/unchanged).
HOSTSNAP = $(CURDIR)/out/host-before-$@.txt
define host_snapshot
	@mkdir -p out && bash tests/vm/hostcheck.sh snapshot $(HOSTSNAP)
endef

# The whole suite: every required kernel, every test (KERNELS=, TESTS= select).
check:
	$(host_snapshot)
	@bash tests/vm/deps.sh check
	@SAC_HOST_BEFORE=$(HOSTSNAP) python3 tests/vm/run.py --kernels "$(KERNELS)" --tests "$(TESTS)"

# The debug kernel lane (tests/vm/kernels.conf: 6.1-debug): Debian's
# linux-source-6.1 built once in the bookworm chroot with lockdep, KASAN, kmemleak
# and failslab (tests/vm/debugkernel.sh), booted with the core tests. Not in
# "make check": its cold build alone does not fit CI's budget next to the
# other lanes (docs/kernels-notes.md has the numbers).
check-debug:
	$(host_snapshot)
	@bash tests/vm/deps.sh check
	@SAC_HOST_BEFORE=$(HOSTSNAP) python3 tests/vm/run.py --kernels "$(or $(KERNELS),6.1-debug)" --tests "$(TESTS)"

# The arm64 lanes (tests/vm/kernels.conf: 6.1-arm64 6.12-arm64 7.2-arm64):
# Debian's arm64 kernels, modules cross-built, booted under
# qemu-system-aarch64 behind an emulated SMMUv3 (tests/vm/provision-arm64.sh,
# docs/kernels-notes.md). Apart from "make check": see the notes for times.
check-arm64: deps
	@python3 tests/vm/run.py --kernels "$(or $(KERNELS),6.1-arm64 6.12-arm64 7.2-arm64)" --tests "$(TESTS)"

# The main job: boot KERNEL (default 6.1) under QEMU with an emulated Intel
# IOMMU and real devices, load the module, drive DMA, show policy and stats.
run:
	$(host_snapshot)
	@bash tests/vm/deps.sh run
	@SAC_HOST_BEFORE=$(HOSTSNAP) python3 tests/vm/run.py --demo "$(KERNEL)"

# The benchmark: regenerates docs/PERFORMANCE.md, docs/perf/*.png and JSON.
bench: deps
	@python3 tests/bench/bench.py

# The soak (docs/RELIABILITY.md, tests/guest/soak.sh): one boot per kernel or
# lane of KERNELS (default the base kernels), DURATION long (20m, 90s, 1h),
# then docs/RELIABILITY.md is rewritten from the figures. CONTROL=1: the
# control, the same boot with iommu_sac never loaded (its own entry).
DURATION ?= 20m
CONTROL ?=
ifneq ($(filter-out 0 1 no yes,$(CONTROL)),)
$(error CONTROL=$(CONTROL): want 1 (the control: iommu_sac never loaded) or 0)
endif
soak: deps
	@secs=$$(echo "$(DURATION)" | awk '/^[0-9]+[smh]?$$/ { n = $$0 + 0; u = substr($$0, length($$0)); \
		print (u == "m") ? n * 60 : (u == "h") ? n * 3600 : n; next } { exit 1 }') || \
		{ echo "DURATION=$(DURATION): want N, Ns, Nm or Nh" >&2; exit 1; }; \
	python3 tests/vm/run.py --kernels "$(or $(KERNELS),6.1 6.12 7.2)" --soak $$secs $(if $(filter 1 yes,$(CONTROL)),--soak-control); rc=$$?; \
	python3 tests/soak/report.py || rc=1; exit $$rc

# ---------------------------------------------------------------------------
# Installation (docs/guide.md). The version comes from ./VERSION only.

VERSION := $(shell cat $(CURDIR)/VERSION)
KVER ?= $(shell uname -r)
PREFIX ?= /usr/local
DESTDIR ?=
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/iommu-sac
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
MODDIR = $(DESTDIR)/lib/modules/$(KVER)/updates
DKMS_SRC = $(DESTDIR)/usr/src/iommu-sac-$(VERSION)
SACCTL = tools/sacctl
SACCTL_MAN = $(wildcard $(SACCTL)/sacctl.8)
SACCTL_COMP = $(firstword $(wildcard $(SACCTL)/sacctl.bash-completion $(SACCTL)/bash-completion/sacctl $(SACCTL)/sacctl.bash))
MODPROBE_CONF = $(DESTDIR)/etc/modprobe.d/iommu-sac.conf

.PHONY: install uninstall dkms-install dkms-uninstall lint deb fuzz

# iommu_sac.ko and iommu_sac_fops.ko (its debugfs file operations, which
# modprobe loads first) into /lib/modules/$(KVER)/updates (+ depmod), sacctl, its
# man page and completion under $(PREFIX), the example configuration (also
# as /etc/modprobe.d/iommu-sac.conf when there is none: it is all comments).
install: modules
	@v=$$(modinfo -F vermagic iommu_sac.ko | cut -d' ' -f1); [ "$$v" = "$(KVER)" ] || \
		{ echo "iommu_sac.ko is built for $$v, not KVER=$(KVER): make clean, then set KDIR too" >&2; exit 1; }
	install -D -m 0644 iommu_sac.ko $(MODDIR)/iommu_sac.ko
	install -D -m 0644 iommu_sac_fops.ko $(MODDIR)/iommu_sac_fops.ko
	[ -n "$(DESTDIR)" ] || depmod -a $(KVER)
	@if [ -f $(SACCTL)/Makefile ]; then \
		$(MAKE) -C $(SACCTL) && \
		install -D -m 0755 $(SACCTL)/sacctl $(DESTDIR)$(SBINDIR)/sacctl; \
	fi
	$(if $(SACCTL_MAN),install -D -m 0644 $(SACCTL_MAN) $(DESTDIR)$(MANDIR)/man8/sacctl.8)
	$(if $(SACCTL_COMP),install -D -m 0644 $(SACCTL_COMP) $(DESTDIR)$(BASHCOMPDIR)/sacctl)
	install -D -m 0644 etc/modprobe.d/iommu-sac.conf $(DESTDIR)$(DOCDIR)/examples/modprobe.d/iommu-sac.conf
	install -D -m 0644 etc/modules-load.d/iommu-sac.conf $(DESTDIR)$(DOCDIR)/examples/modules-load.d/iommu-sac.conf
	[ -e $(MODPROBE_CONF) ] || install -D -m 0644 etc/modprobe.d/iommu-sac.conf $(MODPROBE_CONF)

# The reverse. /etc/modprobe.d/iommu-sac.conf stays when it was edited.
uninstall:
	rm -f $(MODDIR)/iommu_sac.ko $(MODDIR)/iommu_sac_fops.ko
	[ -n "$(DESTDIR)" ] || depmod -a $(KVER)
	rm -f $(DESTDIR)$(SBINDIR)/sacctl $(DESTDIR)$(MANDIR)/man8/sacctl.8 $(DESTDIR)$(BASHCOMPDIR)/sacctl
	rm -rf $(DESTDIR)$(DOCDIR)
	@if cmp -s etc/modprobe.d/iommu-sac.conf $(MODPROBE_CONF); then rm -f $(MODPROBE_CONF); \
	elif [ -e $(MODPROBE_CONF) ]; then echo "keeping $(MODPROBE_CONF) (edited)"; fi

# The module sources to /usr/src/iommu-sac-$(VERSION)/ with the version
# written into dkms.conf; then (unless DESTDIR is set, as for a package or
# the test chroots) dkms add, build and install for $(KVER).
dkms-install:
	rm -rf $(DKMS_SRC)
	install -d $(DKMS_SRC)/module $(DKMS_SRC)/debugfs
	install -m 0644 Kbuild VERSION $(DKMS_SRC)/
	install -m 0644 $(wildcard module/*.[ch]) $(DKMS_SRC)/module/
	install -m 0644 $(wildcard debugfs/*.[ch]) $(DKMS_SRC)/debugfs/
	sed 's/@VERSION@/$(VERSION)/' dkms.conf > $(DKMS_SRC)/dkms.conf
	@if [ -z "$(DESTDIR)" ]; then \
		set -e; \
		dkms status -m iommu-sac -v $(VERSION) | grep -q . && \
			dkms remove -m iommu-sac -v $(VERSION) --all; \
		dkms add -m iommu-sac -v $(VERSION); \
		dkms build -m iommu-sac -v $(VERSION) -k $(KVER); \
		dkms install -m iommu-sac -v $(VERSION) -k $(KVER); \
	fi

dkms-uninstall:
	-[ -n "$(DESTDIR)" ] || dkms remove -m iommu-sac -v $(VERSION) --all
	rm -rf $(DKMS_SRC)

# checkpatch.pl (from Debian's linux-source-6.1, cached outside the tree),
# sparse (C=2) against 6.1, the tools with -Wall -Wextra -Werror.
lint:
	@bash tests/lint/lint.sh

# Debian packages iommu-sac-dkms (all) and sacctl (this architecture) into
# out/deb/, built with dpkg-buildpackage from a copy of the tracked files
# (debian/ is the packaging), then checked with lintian. The version of
# debian/changelog must be VERSION plus a Debian revision.
deb:
	@bash tests/deb/build.sh

# sacctl's fuzz targets (libFuzzer with ASan and UBSan), each for
# FUZZ_SECONDS (default 600); make check runs them for 5 s each.
FUZZ_SECONDS ?= 600
fuzz: deps
	$(MAKE) -C tools/sacctl fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)
	python3 tests/soak/report.py --fuzz-only
