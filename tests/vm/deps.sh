#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# deps.sh [run|check|list-run|list-check]: install the host packages the
# VM suite needs, when missing (run: what "make run" needs; check, the
# default: what "make check" needs). list-*: print the package names only.
#
# The host gets only the tools that run things: QEMU, debootstrap, busybox,
# cpio and the like, gcc/make and sacctl's -dev libraries to build sacctl
# (which goes into the guests), clang for sacctl's fuzz targets. Nothing
# of a kernel (image, headers, DKMS), no package build tools and no
# service: every kernel, with its gcc, headers, dkms, sparse and the
# packaging tools of "make deb", lives in a chroot under $SAC_CACHE
# (tests/vm/provision.sh), and promtool is unpacked from Debian's
# prometheus package into $SAC_CACHE/promtool, never installed. So is kmod
# (modprobe, depmod, modinfo) where the host lacks it: into $SAC_CACHE/kmod
# (installing it would enable its boot script).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mode=${1:-check}

# make run: boot a kernel of the cache with the module and sacctl.
RUN_PKGS="qemu-system-x86 debootstrap busybox-static cpio gzip xz-utils
	zstd python3 iproute2 make gcc libc6-dev util-linux
	pkg-config libtracefs-dev libtraceevent-dev libtracecmd-dev trace-cmd"
# make check, on top: the checkers of make -C tools/sacctl check (jq,
# promtool below), its fuzz targets (libFuzzer, ASan, UBSan), objdump for
# setup.d/inline-guard.sh, git for make deb's list of files, perl for
# checkpatch.pl (make lint).
CHECK_PKGS="$RUN_PKGS jq clang libclang-rt-14-dev binutils git perl"

case $mode in
list-run)   echo $RUN_PKGS; exit 0 ;;
list-check) echo $CHECK_PKGS; exit 0 ;;
run)        host_pkgs $RUN_PKGS; sac_kmod ;;
check)      host_pkgs $CHECK_PKGS; sac_kmod; sac_promtool >/dev/null ;;
*)          die "usage: deps.sh [run|check|list-run|list-check]" ;;
esac
