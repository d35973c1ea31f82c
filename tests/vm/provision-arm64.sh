#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# provision-arm64.sh NAME: make the arm64 kernel NAME of kernels.conf (a
# lane "BASE-arm64", where "arm64") ready to cross-build modules for and to
# boot under qemu-system-aarch64, and write its descriptor
# $SAC_CACHE/kernels/NAME.env (last line of stdout: its path).
#
# Nothing of arm64 is installed anywhere, and no dpkg database learns of a
# foreign architecture: the packages are fetched with apt-get download
# through an apt configuration of their own under $SAC_CACHE/arm64/apt/SUITE
# (APT::Architecture arm64, the suite's own sources and keyring) and
# unpacked with dpkg-deb -x:
#   $SAC_CACHE/arm64/NAME/root   linux-image-KVER (vmlinuz, modules; depmod -b)
#   $SAC_CACHE/arm64/NAME/src    linux-headers-KVER (the arch part; its
#                                -common part is arch:all and the base
#                                kernel's build root has it already)
#   $SAC_CACHE/arm64/userland    busybox-static and the guest programs'
#                                packages of bookworm arm64
#
# Modules are cross-built in the base kernel's build root (the host or the
# suite's chroot, as kernels.conf says for the base) with the amd64 linux-kbuild
# of the same version already there (the headers' scripts/ and tools/ are
# relative symlinks into it) and Debian's aarch64-linux-gnu cross gcc of
# the major the kernel was built with (CONFIG_CC_VERSION_TEXT), installed
# in that build root. kbuild-arm64.sh overlays src/ on the build root's
# /usr/src in a private mount namespace, so nothing is added to the build
# root's /usr/src. docs/kernels-notes.md says why.

set -euo pipefail
. "$(dirname "$0")/lib.sh"

name=${1:?usage: provision-arm64.sh NAME}
base=${name%-arm64}
suite=$(kconf_field "$name" 2) || die "unknown kernel '$name' (see $SAC_KCONF)"
A=$SAC_CACHE/arm64
desc=$(kdesc "$name")
REFRESH_DAYS=${SAC_REFRESH_DAYS:-7}
# Bump when what a provisioned arm64 kernel must hold changes.
ARM64_FORMAT=1

# The guest's userland: one set for every arm64 kernel, from bookworm (as
# the amd64 guests' programs come from this bookworm host).
USERLAND_SUITE=bookworm
# busybox, the programs of tests/vm/guest-programs.conf and what sacctl's
# cross build links against (with their dependencies: apt resolves them
# from an empty dpkg status; nothing is installed).
USERLAND_PKGS="busybox-static iproute2 kmod trace-cmd libc6-dev libtracefs-dev libtraceevent-dev libtracecmd-dev"
# The cross gcc of the userland's suite (sacctl, kbuild-arm64.sh).
USERLAND_CC=aarch64-linux-gnu-gcc-12

# The suite's build root: where the amd64 kbuild tools and the
# -common headers of the base kernel live.
build_root() {
	case $(kconf_field "$base" 3) in
	host) echo / ;;
	chroot) echo "$SAC_CACHE/chroot/$(kconf_field "$base" 2)" ;;
	*) die "$name: base kernel $base is neither host nor chroot" ;;
	esac
}

# arm64_apt SUITE ARGS...: apt-get or apt-cache (first ARG) with an arm64
# configuration of its own (no dpkg status, no host architecture).
arm64_apt() {
	local s=$1 tool=$2 d=$A/apt/$1
	shift 2
	APT_CONFIG=$d/apt.conf "$tool" "$@"
}

arm64_apt_setup() {
	local s=$1 d=$A/apt/$1 root keyring mirror f

	mkdir -p "$d/lists/partial" "$d/archives/partial" "$d/parts"
	: > "$d/status"
	cat > "$d/apt.conf" <<-EOF
	Dir::State "$d";
	Dir::State::lists "$d/lists";
	Dir::State::status "$d/status";
	Dir::Cache "$d";
	Dir::Cache::archives "$d/archives";
	Dir::Etc::SourceList "$d/sources.list";
	Dir::Etc::SourceParts "$d/parts";
	Dir::Etc::Preferences "$d/preferences";
	Dir::Etc::PreferencesParts "$d/parts";
	APT::Architecture "arm64";
	APT::Architectures { "arm64"; };
	Acquire::Check-Valid-Until "false";
	Acquire::Languages "none";
	Acquire::Retries "3";
	EOF
	if [ "$s" = "$(. /etc/os-release && echo "$VERSION_CODENAME")" ]; then
		# The host's own suite: the host's sources (updates and security
		# included), so the arm64 kernel is the version of the host's
		# amd64 linux-kbuild.
		rm -f "$d/sources.list"
		touch "$d/sources.list"
		for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
			[ -e "$f" ] && cp "$f" "$d/parts/"
		done
		[ -e "$d/parts/sources.list" ] && mv "$d/parts/sources.list" "$d/sources.list"
	else
		root=$SAC_CACHE/chroot/$s
		keyring=$root/usr/share/keyrings/debian-archive-keyring.gpg
		[ -e "$keyring" ] || keyring=/usr/share/keyrings/debian-archive-keyring.gpg
		mirror=$(sac_mirror)
		echo "deb [signed-by=$keyring] $mirror $s main" > "$d/sources.list"
	fi
	touch "$d/preferences"
}

arm64_apt_update() {
	local s=$1 d=$A/apt/$1

	if [ ! -e "$d/.updated" ] || [ ! -e "$d/apt.conf" ] ||
	   [ $(( ($(date +%s) - $(stat -c %Y "$d/.updated")) / 86400 )) -ge "$REFRESH_DAYS" ]; then
		arm64_apt_setup "$s"
		log "$name: apt-get update of $s arm64 (own apt configuration in $d)"
		arm64_apt "$s" apt-get -q update > "$d/update.log" 2>&1 ||
			die "$name: apt-get update ($s arm64) failed, see $d/update.log"
		touch "$d/.updated"
	fi
}

# arm64_download SUITE DIR PKG...: the .deb files of PKG (exact names) into DIR.
arm64_download() {
	local s=$1 dir=$2
	shift 2
	mkdir -p "$dir"
	(cd "$dir" && arm64_apt "$s" apt-get -q download "$@") > "$dir/download.log" 2>&1 ||
		die "$name: apt-get download $* ($s arm64) failed, see $dir/download.log"
}

# The versioned package the metapackage PKG names.
meta_target() {
	local s=$1 pkg=$2 prefix=$3

	arm64_apt "$s" apt-cache show --no-all-versions "$pkg" 2>/dev/null |
		sed -n 's/^Depends: //p' | head -n1 | tr ',' '\n' |
		grep -oE "^ *${prefix}[0-9][^ (]*" | head -n1 | tr -d ' '
}

# The packages of this kernel release (names holding KVER) PKG depends on,
# and theirs.
kver_deps() {
	local s=$1 pkg=$2 kver=$3 d seen=" $2 " todo=$2

	while [ -n "$todo" ]; do
		set -- $todo
		todo=
		for pkg in "$@"; do
			for d in $(arm64_apt "$s" apt-cache show --no-all-versions "$pkg" 2>/dev/null |
				   sed -n 's/^\(Pre-\)\?Depends: //p' | tr ',|' '\n\n' |
				   sed 's/(.*//; s/ //g' | grep -F -- "$kver"); do
				case $seen in *" $d "*) continue ;; esac
				seen="$seen$d "
				todo="$todo $d"
				echo "$d"
			done
		done
	done
}

# The gcc major the kernel was built with, from its headers' .config.
cc_major() {
	sed -n 's/^CONFIG_GCC_VERSION=\([0-9]*\)[0-9][0-9][0-9][0-9]$/\1/p' "$1"
}

# Install the cross gcc in the build root (a host package on the host, an
# amd64 package of the suite in a chroot).
install_cross_gcc() {
	local root=$1 major=$2 pkg=gcc-$2-aarch64-linux-gnu

	if [ "$root" = / ]; then
		host_pkgs "$pkg"
		return
	fi
	dpkg-query --admindir="$root/var/lib/dpkg" -W -f '${Status}' "$pkg" 2>/dev/null |
		grep -q 'install ok installed' && return 0
	log "$name: installing $pkg in $root"
	exec 8> "$SAC_CACHE/dkms-$suite.lock"
	flock 8
	if ! in_root "$root" apt-get -y -q install "$pkg" >> "$root.apt.log" 2>&1; then
		in_root "$root" apt-get -q update >> "$root.apt.log" 2>&1 || true
		in_root "$root" apt-get -y -q install "$pkg" >> "$root.apt.log" 2>&1 ||
			die "$name: installing $pkg in $root failed (see $root.apt.log): no cross gcc-$major for $suite"
	fi
	in_root "$root" apt-get -q clean >/dev/null 2>&1 || true
	exec 8>&-
}

# vmlinuz as QEMU's -kernel takes it. Debian's arm64 vmlinuz is a gzip'd
# Image or, where EFI zboot is configured, a PE file whose payload QEMU 7.2
# cannot unpack: then the payload is cut out and decompressed here.
make_image() {
	local vmlinuz=$1 out=$2 off size comp

	if [ "$(head -c2 "$vmlinuz" | od -An -tx1 | tr -d ' ')" = 1f8b ]; then
		gzip -dc "$vmlinuz" > "$out.tmp"
	elif [ "$(dd if="$vmlinuz" bs=1 skip=4 count=4 2>/dev/null)" = zimg ]; then
		off=$(od -An -tu4 -j8 -N4 "$vmlinuz" | tr -d ' ')
		size=$(od -An -tu4 -j12 -N4 "$vmlinuz" | tr -d ' ')
		comp=$(dd if="$vmlinuz" bs=1 skip=24 count=8 2>/dev/null | tr -d '\0')
		case $comp in
		gzip) tail -c +$((off + 1)) "$vmlinuz" | head -c "$size" | gzip -dc > "$out.tmp" ;;
		zstd|zstd22) tail -c +$((off + 1)) "$vmlinuz" | head -c "$size" | zstd -qdc > "$out.tmp" ;;
		xz) tail -c +$((off + 1)) "$vmlinuz" | head -c "$size" | xz -dc > "$out.tmp" ;;
		*) die "$name: EFI zboot image with payload '$comp' in $vmlinuz" ;;
		esac
	else
		cp "$vmlinuz" "$out.tmp"
	fi
	# An arm64 Image carries "ARM\x64" at offset 56.
	[ "$(dd if="$out.tmp" bs=1 skip=56 count=4 2>/dev/null | od -An -tx1 | tr -d ' ')" = 41524d64 ] ||
		die "$name: $vmlinuz did not give an arm64 Image"
	mv "$out.tmp" "$out"
}

provision_userland() {
	local dir=$A/userland want

	want="$ARM64_FORMAT $USERLAND_PKGS"
	[ "$(cat "$dir/.sac-unpacked" 2>/dev/null)" = "$want" ] && [ -x "$dir/root/bin/busybox" ] && return 0
	arm64_apt_update "$USERLAND_SUITE"
	rm -rf "$dir"
	mkdir -p "$dir/deb/partial"
	arm64_apt "$USERLAND_SUITE" apt-get -q -y -o Debug::NoLocking=1 \
		-o Dir::Cache::archives="$dir/deb" --download-only --no-install-recommends \
		install $USERLAND_PKGS > "$dir/download.log" 2>&1 ||
		die "$name: downloading the arm64 userland failed, see $dir/download.log"
	mkdir -p "$dir/root"
	for f in "$dir"/deb/*.deb; do
		dpkg-deb -x "$f" "$dir/root"
	done
	file -L "$dir/root/bin/busybox" | grep -q 'ARM aarch64' ||
		die "$name: $dir/root/bin/busybox is not an arm64 program"
	rm -rf "$dir/deb"
	echo "$want" > "$dir/.sac-unpacked"
}

provision() {
	local root dir=$A/$name kimg khdr kver pkgver stamp cfg major parts p vmlinuz

	root=$(build_root)
	arm64_apt_update "$suite"
	kimg=$(meta_target "$suite" linux-image-arm64 linux-image-)
	khdr=$(meta_target "$suite" linux-headers-arm64 linux-headers-)
	[ -n "$kimg" ] && [ -n "$khdr" ] || die "$name: cannot tell the kernel linux-image-arm64 pulls in ($suite)"
	kver=${khdr#linux-headers-}
	pkgver=$(arm64_apt "$suite" apt-cache show --no-all-versions "$khdr" | sed -n 's/^Version: //p' | head -n1)
	stamp="$ARM64_FORMAT $kimg $khdr $pkgver"

	if [ "$(cat "$dir/.sac-unpacked" 2>/dev/null)" != "$stamp" ] ||
	   [ ! -e "$dir/Image" ] || [ ! -e "$dir/root/lib/modules/$kver/modules.dep.bin" ] ||
	   [ ! -e "$dir/src/linux-headers-$kver/.config" ]; then
		log "$name: fetching $kimg and $khdr $pkgver (arm64)"
		rm -rf "$dir" "$dir.tmp"
		# 7.2 splits the image: linux-image-KVER depends on
		# linux-binary-KVER (vmlinuz) and linux-modules-KVER.
		parts=$(kver_deps "$suite" "$kimg" "$kver")
		arm64_download "$suite" "$dir.tmp/deb" "$kimg" $parts "$khdr"
		mkdir -p "$dir.tmp/root" "$dir.tmp/hdr"
		for p in "$kimg" $parts; do
			dpkg-deb -x "$dir.tmp/deb/${p}"_*.deb "$dir.tmp/root"
		done
		dpkg-deb -x "$dir.tmp/deb/${khdr}"_*.deb "$dir.tmp/hdr"
		[ -d "$dir.tmp/root/lib/modules/$kver" ] ||
			{ mkdir -p "$dir.tmp/root/lib"; ln -s ../usr/lib/modules "$dir.tmp/root/lib/modules"; }
		depmod -b "$dir.tmp/root" "$kver" || die "$name: depmod in $dir.tmp/root failed"
		mv "$dir.tmp/hdr/usr/src" "$dir.tmp/src"
		rm -rf "$dir.tmp/hdr" "$dir.tmp/deb"
		# 7.2 ships it as /usr/lib/modules/KVER/vmlinuz
		vmlinuz=$dir.tmp/root/boot/vmlinuz-$kver
		[ -e "$vmlinuz" ] || vmlinuz=$dir.tmp/root/lib/modules/$kver/vmlinuz
		make_image "$vmlinuz" "$dir.tmp/Image"
		echo "$stamp" > "$dir.tmp/.sac-unpacked"
		mv "$dir.tmp" "$dir"
	fi
	cfg=$dir/src/linux-headers-$kver/.config
	# The headers' kbuild tools and -common part come from the build root.
	local kb common
	kb=$(readlink "$dir/src/linux-headers-$kver/scripts")
	kb=${kb#../../}
	kb=${kb%/scripts}
	[ -e "${root%/}/usr/$kb/scripts/basic/fixdep" ] ||
		die "$name: the build root $root has no amd64 /usr/$kb (linux-kbuild of the base kernel $base): provision $base first, or its version differs from $pkgver"
	common=$(sed -n 's|^include /usr/src/\(.*\)/Makefile$|\1|p' "$dir/src/linux-headers-$kver/Makefile")
	[ -e "${root%/}/usr/src/$common/Makefile" ] ||
		die "$name: the build root $root has no /usr/src/$common (linux-headers -common of $pkgver)"
	major=$(cc_major "$cfg")
	[ -n "$major" ] || die "$name: no CONFIG_GCC_VERSION in $cfg"
	install_cross_gcc "$root" "$major"
	provision_userland

	write_desc_arm64 "$desc" KNAME="$name" SUITE="$suite" WHERE=arm64 ROOT="$dir/root" KVER="$kver" \
		PKGVER="$pkgver" VMLINUZ="$dir/Image" MODDIR="$dir/root/lib/modules/$kver" \
		KDIR="/usr/src/linux-headers-$kver" KSRC="$dir/src" BUILDROOT="$root" \
		CROSS_COMPILE=aarch64-linux-gnu- CC="aarch64-linux-gnu-gcc-$major" \
		USERLAND="$A/userland/root" USERLAND_CC="$USERLAND_CC" BASE="$base" LANE=arm64 ARCH=arm64
}

write_desc_arm64() {
	local d=$1
	shift
	printf '%s\n' "$@" > "$d.tmp"
	mv "$d.tmp" "$d"
}

need_root
host_pkgs qemu-system-arm zstd xz-utils file gcc-12-aarch64-linux-gnu
mkdir -p "$A" "$SAC_CACHE/kernels"
exec 7> "$A.lock"
flock 7
rm -f "$desc"
provision
log "$name: ready: $(grep ^KVER= "$desc" | cut -d= -f2) (arm64, modules built in $(grep ^BUILDROOT= "$desc" | cut -d= -f2))"
echo "$desc"
