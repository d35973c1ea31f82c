#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# kbuild-arm64.sh NAME [make args]: cross-build the project's kernel modules
# for the arm64 kernel NAME (provisioned by provision-arm64.sh) into
# out/NAME/; called by kbuild.sh for arm64 kernels.
#
# The sources are copied to a build folder of their own in the build root
# (the host or the suite's chroot: its amd64 linux-kbuild and -common
# headers, and the aarch64-linux-gnu cross gcc of the kernel's major). In a
# private mount namespace the arm64 headers ($KSRC) are overlaid on the
# build root's /usr/src, so the headers sit where their Makefile and their
# scripts/ symlinks expect them, and nothing is left behind.

set -euo pipefail
. "$(dirname "$0")/lib.sh"

name=${1:?usage: kbuild-arm64.sh NAME [make args]}
shift
desc=$(kdesc "$name")
[ -e "$desc" ] || die "kernel $name is not provisioned (run tests/vm/provision.sh $name)"
# shellcheck disable=SC1090
. "$desc"
[ "${LANE:-}" = arm64 ] || die "$name is not an arm64 kernel"

out=$SAC_TOP/out/$name
mkdir -p "$out"
rm -f "$out"/*.ko

trees=()
[ -e "$SAC_TOP/Kbuild" ] && trees+=(.)
[ -e "$SAC_TOP/tests/drivers/Kbuild" ] && trees+=(tests/drivers)
[ ${#trees[@]} -gt 0 ] || { log "$name: no module trees to build"; exit 0; }

root=${BUILDROOT%/}
if [ -n "$root" ]; then
	mkdir -p "$root/build"
	tmp=$(mktemp -d "$root/build/iommu-sac-arm64.XXXXXX")
else
	tmp=$(mktemp -d "$out/build.XXXXXX")
fi
trap 'rm -rf "$tmp"' EXIT
src=${tmp#"$root"}
tar -C "$SAC_TOP" --exclude=./out --exclude=./results --exclude=./.git \
	--exclude=./tools/sacctl/fuzz/build \
	--exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' -cf - . |
	tar -C "$tmp" -xf -

# in_cross CMD...: CMD in the build root with the arm64 headers overlaid
# on its /usr/src.
in_cross() {
	unshare -m --propagation private sh -c '
		r=$1 k=$2; shift 2
		mount -t overlay overlay -o "lowerdir=$k:$r/usr/src" "$r/usr/src" || exit 1
		if [ -z "$r" ]; then
			exec "$@"
		fi
		mount -t proc proc "$r/proc" || exit 1
		mount -t devtmpfs dev "$r/dev" 2>/dev/null || mount --bind /dev "$r/dev"
		exec chroot "$r" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LANG=C.UTF-8 "$@"' \
		sh "$root" "$KSRC" "$@"
}

for t in "${trees[@]}"; do
	in_cross make -s -C "$KDIR" M="$src/$t" ARCH=arm64 CROSS_COMPILE="$CROSS_COMPILE" "$@" modules >&2 ||
		die "$name: module build failed in $t (cross, build root ${BUILDROOT})"
done
for t in "${trees[@]}"; do
	find "$tmp/$t" -maxdepth 1 -name '*.ko' -exec cp -t "$out" {} +
done
ls "$out"/*.ko >/dev/null 2>&1 || die "$name: no modules were built"
for k in "$out"/*.ko; do
	v=$(modinfo -F vermagic "$k" | cut -d' ' -f1)
	[ "$v" = "$KVER" ] || die "$k: vermagic $v does not match $KVER"
	file "$k" | grep -q 'ARM aarch64' || die "$k: not an arm64 object"
done

# The guest's sacctl: cross-built on the host against the arm64 userland
# (its libtracefs/libtraceevent/libtracecmd), into out/NAME/bin/.
if [ -e "$tmp/tools/sacctl/Makefile" ]; then
	u=$USERLAND
	mkdir -p "$out/bin"
	rm -f "$out/bin/sacctl"
	make -s -C "$tmp/tools/sacctl" CC="$USERLAND_CC --sysroot=$u" \
		PKG_CONFIG="env PKG_CONFIG_SYSROOT_DIR=$u PKG_CONFIG_LIBDIR=$u/usr/lib/aarch64-linux-gnu/pkgconfig:$u/usr/share/pkgconfig pkg-config" \
		sacctl >&2 || die "$name: cross-building sacctl failed"
	cp "$tmp/tools/sacctl/sacctl" "$out/bin/sacctl"
	file "$out/bin/sacctl" | grep -q 'ARM aarch64' || die "$out/bin/sacctl: not an arm64 program"
fi
log "$name: built $(cd "$out" && echo *.ko) and sacctl (arm64)"
