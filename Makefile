# SPDX-License-Identifier: GPL-2.0
#
# Developer targets of iommu-sac. The module itself is built by kbuild from
# ./Kbuild; the VM suite builds it for every kernel it boots.

KDIR ?= /lib/modules/$(shell uname -r)/build
KERNELS ?=
TESTS ?=

KERNEL ?= 6.1

.PHONY: all modules clean check deps run bench

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/drivers clean 2>/dev/null || true
	rm -rf out

# Host packages the suite needs (installed only when missing).
deps:
	@bash tests/vm/deps.sh

# The whole suite: every required kernel, every test (KERNELS=, TESTS= select).
check: deps
	@python3 tests/vm/run.py --kernels "$(KERNELS)" --tests "$(TESTS)"

# The main job: boot KERNEL (default 6.1) under QEMU with an emulated Intel
# IOMMU and real devices, load the module, drive DMA, show policy and stats.
run: deps
	@python3 tests/vm/run.py --demo "$(KERNEL)"

# The benchmark: regenerates docs/PERFORMANCE.md, docs/perf/*.png and JSON.
bench: deps
	@python3 tests/bench/bench.py
