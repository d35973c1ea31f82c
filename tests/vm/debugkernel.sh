#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# debugkernel.sh NAME: build the debug kernel of lane NAME (e.g. 6.1-debug)
# from Debian's linux-source-V package (V = the lane's base, 6.1) with the
# config fragment tests/vm/debug/V.config merged over "make tinyconfig",
# once, inside the base kernel's chroot ($SAC_BUILD_ROOT, given by
# provision.sh; bookworm for 6.1: its gcc-12, the compiler of Debian's 6.1,
# and its apt for the sources), into /build/debug/NAME/ there:
#
#   src/      the extracted sources
#   build/    the O= build tree (also the KDIR modules are built against)
#   root/     boot/vmlinuz-KVER and lib/modules/KVER (modules_install)
#   ok        written last: "KVER PKGVER STAMP" of a complete build
#
# A build whose stamp (fragment, this script, the source package version)
# matches is reused; otherwise it is rebuilt from scratch. The build tools
# (flex, bison, libelf-dev, bc) are installed in the chroot when missing,
# never on the host. The build runs at nice 19. Prints the KVER on stdout;
# the build log is build.log there.

set -euo pipefail
. "$(dirname "$0")/lib.sh"

name=${1:?usage: SAC_BUILD_ROOT=CHROOT debugkernel.sh NAME}
root=${SAC_BUILD_ROOT:?the chroot of the base kernel, set by provision.sh}
base=${name%-debug}
frag=$SAC_TOP/tests/vm/debug/$base.config
[ -e "$frag" ] || die "$name: no config fragment $frag"
cdir=/build/debug/$name
dir=$root$cdir
mkdir -p "$dir"
exec 7> "$dir.lock"
flock 7

root_pkgs "$root" gcc make flex bison libelf-dev bc xz-utils
pkg=linux-source-$base
pkgver=$(in_root "$root" apt-cache policy "$pkg" 2>/dev/null | awk '/Candidate:/ { print $2 }')
[ -n "$pkgver" ] && [ "$pkgver" != "(none)" ] || die "$name: apt knows no $pkg in $root"
stamp=$(cat "$frag" "$0" | sha256sum | cut -c1-12)-$pkgver

if [ -e "$dir/ok" ]; then
	read -r kver _ okstamp < "$dir/ok"
	if [ "$okstamp" = "$stamp" ] && [ -e "$dir/root/boot/vmlinuz-$kver" ]; then
		echo "$kver"
		exit 0
	fi
	log "$name: cached debug kernel is stale ($okstamp, want $stamp): rebuilding"
fi
rm -rf "$dir/ok" "$dir/src" "$dir/build" "$dir/root" "$dir"/*.deb
t0=$(date +%s)
log "$name: downloading $pkg $pkgver (in ${root##*/}'s chroot)"
in_root "$root" sh -c 'cd "$1" && apt-get download -q "$2"' sh "$cdir" "$pkg=$pkgver" >/dev/null 2>&1 ||
	die "$name: apt-get download $pkg=$pkgver failed"
log "$name: extracting the sources"
mkdir -p "$dir/src"
dpkg-deb --fsys-tarfile "$dir"/"${pkg}"_*.deb |
	tar -xOf - "./usr/src/$pkg.tar.xz" | tar -xJf - -C "$dir/src" --strip-components=1
rm -f "$dir"/*.deb
cp "$frag" "$dir/fragment.config"
t1=$(date +%s)

b=$dir/build
mk() { in_root "$root" nice -n 19 make -C "$cdir/src" O="$cdir/build" ARCH=x86_64 "$@"; }
{
	mk tinyconfig
	in_root "$root" "$cdir/src/scripts/kconfig/merge_config.sh" -m -O "$cdir/build" \
		"$cdir/build/.config" "$cdir/fragment.config"
	echo 'CONFIG_LOCALVERSION="-sac-debug"' >> "$b/.config"
	mk olddefconfig
} > "$dir/build.log" 2>&1 || die "$name: configuring failed, see $dir/build.log"
# Every =y/=n of the fragment must have survived olddefconfig (a missing
# dependency silently drops an option).
bad=
while IFS= read -r l; do
	case $l in
	CONFIG_*=n) o=${l%=n}; grep -q "^$o=" "$b/.config" && bad="$bad $l" ;;
	CONFIG_*=*) grep -qxF "$l" "$b/.config" || bad="$bad $l" ;;
	esac
done < <(grep -E '^CONFIG_' "$frag")
[ -z "$bad" ] || die "$name: options of $frag not in the final config:$bad"

log "$name: building (make -j$(nproc)), log in $dir/build.log"
mk -j"$(nproc)" bzImage modules >> "$dir/build.log" 2>&1 ||
	die "$name: kernel build failed, see $dir/build.log"
kver=$(mk -s kernelrelease 2>/dev/null)
mkdir -p "$dir/root/boot"
mk INSTALL_MOD_PATH="$cdir/root" modules_install >> "$dir/build.log" 2>&1 ||
	die "$name: modules_install failed"
ln -sfn "$cdir/build" "$dir/root/lib/modules/$kver/build"
cp "$b/arch/x86/boot/bzImage" "$dir/root/boot/vmlinuz-$kver"
cp "$b/.config" "$dir/root/boot/config-$kver"
t2=$(date +%s)
log "$name: built $kver in $((t2 - t0))s (download+extract $((t1 - t0))s, build $((t2 - t1))s)"
echo "$kver $pkgver $stamp" > "$dir/ok"
echo "$kver"
