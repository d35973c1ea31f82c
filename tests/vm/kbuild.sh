#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# kbuild.sh NAME [W=1 ...]: build the project's kernel modules against the
# provisioned kernel NAME and collect them in out/NAME/.
#
# Module trees built: the top level (iommu_sac.ko, when a Kbuild exists
# there) and tests/drivers (the test drivers). The sources are copied into
# the kernel's chroot and built there with that suite's gcc and kbuild
# binaries (/proc mounted, or objtool fails). Extra arguments go to make
# (e.g. W=1, C=2).

set -euo pipefail
. "$(dirname "$0")/lib.sh"

name=${1:?usage: kbuild.sh NAME [make args]}
shift
desc=$(kdesc "$name")
[ -e "$desc" ] || die "kernel $name is not provisioned (run tests/vm/provision.sh $name)"
# shellcheck disable=SC1090
. "$desc"
# arm64 kernels are cross-built: tests/vm/kbuild-arm64.sh
[ "${LANE:-}" != arm64 ] || exec bash "$SAC_TOP/tests/vm/kbuild-arm64.sh" "$name" "$@"

out=$SAC_TOP/out/$name
mkdir -p "$out"
rm -f "$out"/*.ko

trees=()
[ -e "$SAC_TOP/Kbuild" ] && trees+=(.)
[ -e "$SAC_TOP/tests/drivers/Kbuild" ] && trees+=(tests/drivers)
if [ ${#trees[@]} -eq 0 ]; then
	log "$name: no module trees to build"
	exit 0
fi

[ "$WHERE" != host ] || die "kernel $name has WHERE=host: nothing is built on the host (an old descriptor? run tests/vm/provision.sh $name)"
# The chroot to build in: the kernel's own root, or (the debug lane) the
# base kernel's chroot its build tree lives in.
broot=${BUILDROOT:-$ROOT}
# Copy the tree (without build products) into a build folder of its own in
# the chroot: several builds for one kernel may run at once.
mkdir -p "$broot/build"
tmp=$(mktemp -d "$broot/build/iommu-sac.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
src=${tmp#"$broot"}
tar -C "$SAC_TOP" --exclude=./out --exclude=./results --exclude=./.git \
	--exclude=./tools/sacctl/fuzz/build \
	--exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' -cf - . |
	tar -C "$broot$src" -xf -
for t in "${trees[@]}"; do
	in_root "$broot" make -s -C "$KDIR" M="$src/$t" "$@" modules >&2 ||
		die "$name: module build failed in $t (chroot $SUITE)"
done
src=$broot$src
for t in "${trees[@]}"; do
	find "$src/$t" -maxdepth 1 -name '*.ko' -exec cp -t "$out" {} +
done
ls "$out"/*.ko >/dev/null 2>&1 || die "$name: no modules were built"
for k in "$out"/*.ko; do
	v=$(modinfo -F vermagic "$k" | cut -d' ' -f1)
	[ "$v" = "$KVER" ] || die "$k: vermagic $v does not match $KVER"
done
log "$name: built $(cd "$out" && echo *.ko)"
