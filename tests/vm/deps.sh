#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install the host packages the VM suite needs, when missing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

host_pkgs qemu-system-x86 debootstrap busybox-static kmod cpio gzip xz-utils \
	zstd python3 iproute2 make gcc libc6-dev util-linux \
	dkms sparse linux-headers-cloud-amd64 linux-headers-rt-amd64
# tools/sacctl: build (libtracefs/libtraceevent/libtracecmd), trace-cmd for
# the guest, and the checkers of make -C tools/sacctl check
host_pkgs pkg-config libtracefs-dev libtraceevent-dev libtracecmd-dev \
	trace-cmd prometheus jq
# its fuzz targets (libFuzzer, ASan, UBSan), run briefly by make check
host_pkgs clang libclang-rt-14-dev
# tests/vm/setup.d/deb.sh: make deb (tests/deb/build.sh installs the same)
host_pkgs dpkg-dev debhelper dh-dkms lintian fakeroot git
