#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# provision.sh NAME...: make each named kernel (see kernels.conf) ready to
# build modules for and to boot, and write its descriptor
# $SAC_CACHE/desc/NAME.env.
#
# Every kernel lives in the cache, none on the host: a "chroot" kernel gets a
# debootstrap'd chroot of its own suite (its gcc, linux-headers,
# linux-image, kmod, make, dkms) under $SAC_CACHE/chroot/SUITE; the host's
# /boot, /lib/modules and package set are never touched.
#
# The cache is trusted only when it is complete and fresh: a descriptor is
# written last, after every check passed; it records a stamp of the cache
# format and of the kernel's own kernels.conf row (name, suite, where: a row
# added or changed elsewhere leaves the other kernels' caches alone), and
# its age. A mismatching stamp means rebuild; a missing file or a package
# dpkg does not call installed means install what is missing. A complete
# chroot without a descriptor (e.g. made before descriptors moved from
# $SAC_CACHE/kernels/, which older checkouts still use) is adopted as it is,
# its age taken from its last apt run. After SAC_REFRESH_DAYS (default 7)
# the suite's packages are upgraded in place.

set -euo pipefail
. "$(dirname "$0")/lib.sh"

REFRESH_DAYS=${SAC_REFRESH_DAYS:-7}
# perl: kernel-doc, which W=1 builds run, needs its Pod modules.
# dkms and the -cloud/-rt headers: the DKMS and build-only checks (setup.d/dkms.sh).
PKGS_CHROOT="linux-image-amd64 linux-headers-amd64 make kmod libc6-dev perl dkms linux-headers-cloud-amd64 linux-headers-rt-amd64"

# Bump when what a provisioned root must hold changes: every cached kernel
# made by an older format is then rebuilt.
CACHE_FORMAT=1

# stamp NAME: the cache format and NAME's own row of kernels.conf (name,
# suite, where), so changing or adding another kernel's row leaves this
# kernel's cache alone. Lanes (rt, amd, debug) keep their own checks.
stamp() {
	echo "$CACHE_FORMAT $(awk -v n="$1" '!/^#/ && $1 == n { print $1, $2, $3 }' "$SAC_KCONF")" |
		sha256sum | cut -c1-16
}

# KVER of the kernel the linux-image-amd64 metapackage pulls into ROOT (the
# metapackages name the versioned image or headers package among their
# dependencies, in an order that differs between suites).
root_kver() {
	local root=$1

	dpkg-query --admindir="$root/var/lib/dpkg" -W -f '${Depends}\n' \
		linux-image-amd64 linux-headers-amd64 2>/dev/null |
		grep -oE 'linux-(image|headers)-[0-9][^ ,]*' | head -n1 |
		sed -E 's/^linux-(image|headers)-//' | grep .
}

root_pkg_ok() {
	local root=$1 p
	shift
	for p in "$@"; do
		dpkg-query --admindir="$root/var/lib/dpkg" -W -f '${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || return 1
	done
}

# Check a provisioned root really holds what a build and a boot need.
root_complete() {
	local root=$1 kver=$2 r=${1%/}

	[ -e "$r/boot/vmlinuz-$kver" ] &&
	[ -e "$r/lib/modules/$kver/modules.dep.bin" ] &&
	root_has "$r" "/lib/modules/$kver/build/Makefile" &&
	root_has "$r" "/lib/modules/$kver/build/Module.symvers" &&
	root_pkg_ok "$root" "linux-image-$kver" "linux-headers-$kver" $PKGS_CHROOT
}

# In a chroot, never build an initramfs for the installed kernel: we make
# our own, and update-initramfs would only cost minutes.
chroot_setup_apt() {
	local dir=$1 suite=$2 mirror=$3

	cat > "$dir/etc/apt/apt.conf.d/90iommu-sac" <<-EOF
	APT::Install-Recommends "false";
	APT::Install-Suggests "false";
	Acquire::Check-Valid-Until "false";
	Acquire::Retries "3";
	EOF
	cat > "$dir/etc/dpkg/dpkg.cfg.d/90iommu-sac" <<-EOF
	path-exclude=/usr/share/doc/*
	path-exclude=/usr/share/man/*
	path-exclude=/usr/share/locale/*
	path-exclude=/usr/share/info/*
	EOF
	echo "deb $mirror $suite main" > "$dir/etc/apt/sources.list"
	# The host's own release: its -updates and -security suites as well
	# (bookworm's current kernel comes from bookworm-security).
	sac_host_suite_uris "$suite" | awk -v s="$suite" '$2 != s { print "deb", $1, $2, "main" }' \
		>> "$dir/etc/apt/sources.list"
	for f in /usr/sbin/update-initramfs /usr/bin/dracut; do
		in_root "$dir" dpkg-divert --local --rename --add "$f" >/dev/null
		ln -sf /bin/true "$dir$f"
	done
}

provision_chroot() {
	local name=$1 suite=$2 dir=$SAC_CACHE/chroot/$2 mirror tmp

	mirror=$(sac_mirror)
	if [ ! -e "$dir/.sac-debootstrap-ok" ]; then
		tmp=$dir.tmp
		rm -rf "$tmp" "$dir"
		mkdir -p "$SAC_CACHE/chroot"
		log "$name: debootstrap $suite (minbase) into $dir"
		debootstrap --variant=minbase --keyring=/usr/share/keyrings/debian-archive-keyring.gpg "$suite" "$tmp" "$mirror" \
			> "$SAC_CACHE/chroot/$suite.debootstrap.log" 2>&1 ||
			die "$name: debootstrap $suite failed, see $SAC_CACHE/chroot/$suite.debootstrap.log"
		chroot_setup_apt "$tmp" "$suite" "$mirror"
		touch "$tmp/.sac-debootstrap-ok"
		mv "$tmp" "$dir"
	fi
	log "$name: installing $PKGS_CHROOT in the $suite chroot"
	in_root "$dir" apt-get -q update > "$dir.apt.log" 2>&1 ||
		die "$name: apt-get update in $suite chroot failed, see $dir.apt.log"
	in_root "$dir" apt-get -y -q -o Dpkg::Options::=--force-confold install $PKGS_CHROOT \
		>> "$dir.apt.log" 2>&1 ||
		die "$name: apt-get install in $suite chroot failed, see $dir.apt.log"
	in_root "$dir" apt-get -q clean >/dev/null 2>&1 || true
}

# write_desc DESC KEY=VALUE...: a descriptor, written last and atomically.
write_desc() {
	local desc=$1
	shift
	printf '%s\n' "$@" > "$desc.tmp"
	mv "$desc.tmp" "$desc"
}

# The Debian -rt-amd64 image of a base kernel, installed in the base's
# chroot next to the generic one, from the lists the chroot already has (no
# apt-get update: the -rt headers installed with the base are of that same
# ABI).
provision_rt() {
	local name=$1 base=$2 bdesc root kver pkgver

	bdesc=$(provision_one "$base")
	# shellcheck disable=SC1090
	. "$bdesc"
	[ "$WHERE" = chroot ] || die "$name: the base kernel $base is not a chroot kernel"
	root=$ROOT
	# The kernel's postinst runs DKMS autoinstall: not while
	# setup.d/dkms.sh has iommu-sac added in this chroot.
	exec 8> "$SAC_CACHE/dkms-$SUITE.lock"
	flock 8
	if ! in_root "$root" apt-get -y -q -o Dpkg::Options::=--force-confold install \
		linux-image-rt-amd64 linux-headers-rt-amd64 >> "$root.apt.log" 2>&1; then
		in_root "$root" apt-get -q update >> "$root.apt.log" 2>&1 || true
		in_root "$root" apt-get -y -q -o Dpkg::Options::=--force-confold install \
			linux-image-rt-amd64 linux-headers-rt-amd64 >> "$root.apt.log" 2>&1 ||
			die "$name: installing linux-image-rt-amd64 in $root failed, see $root.apt.log"
	fi
	in_root "$root" apt-get -q clean >/dev/null 2>&1 || true
	exec 8>&-
	kver=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f '${Depends}\n' linux-image-rt-amd64 |
		grep -oE 'linux-image-[0-9][^ ,]*-rt-amd64' | head -n1 | sed 's/^linux-image-//')
	[ -n "$kver" ] || die "$name: cannot tell the -rt kernel of $root"
	root_pkg_ok "$root" "linux-image-$kver" "linux-headers-$kver" ||
		die "$name: linux-image/headers-$kver not both installed in $root"
	pkgver=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f '${Version}' "linux-image-$kver")
	write_desc "$desc" KNAME="$name" SUITE="$SUITE" WHERE=chroot ROOT="$root" KVER="$kver" \
		PKGVER="$pkgver" VMLINUZ="$root/boot/vmlinuz-$kver" MODDIR="$root/lib/modules/$kver" \
		KDIR="/lib/modules/$kver/build" BASE="$base" LANE=rt
}

# A lane booting its base kernel behind QEMU's AMD-Vi: the base's
# descriptor under the lane's name.
provision_amd() {
	local name=$1 base=$2 bdesc

	bdesc=$(provision_one "$base")
	grep -vE '^(KNAME|STAMP)=' "$bdesc" > "$desc.tmp"
	printf '%s\n' "KNAME=$name" "BASE=$base" LANE=amd >> "$desc.tmp"
	mv "$desc.tmp" "$desc"
}

# The debug kernel built from Debian's sources (tests/vm/debugkernel.sh) in
# the base kernel's chroot. ROOT is where its image and modules are (for the
# initramfs), BUILDROOT the chroot modules are built in (tests/vm/kbuild.sh).
provision_debug() {
	local name=$1 base=$2 bdesc broot kver dir

	bdesc=$(provision_one "$base")
	broot=$(. "$bdesc"; echo "$ROOT")
	dir=$broot/build/debug/$name
	kver=$(SAC_BUILD_ROOT=$broot bash "$SAC_TOP/tests/vm/debugkernel.sh" "$name") ||
		die "$name: building the debug kernel failed"
	write_desc "$desc" KNAME="$name" SUITE="$SUITE" WHERE=chroot ROOT="$dir/root" BUILDROOT="$broot" \
		KVER="$kver" PKGVER="$(cut -d' ' -f2 "$dir/ok")" VMLINUZ="$dir/root/boot/vmlinuz-$kver" \
		MODDIR="$dir/root/lib/modules/$kver" KDIR="/build/debug/$name/build" BASE="$base" LANE=debug
}

provision_one() {
	local name=$1 suite where desc root kver state=new

	suite=$(kconf_field "$name" 2) || die "unknown kernel '$name' (see $SAC_KCONF)"
	SUITE=$suite
	where=$(kconf_field "$name" 3)
	desc=$(kdesc "$name")
	mkdir -p "$(dirname "$desc")"
	case $where in
	arm64)
		# Debian's arm64 kernels: tests/vm/provision-arm64.sh
		bash "$SAC_TOP/tests/vm/provision-arm64.sh" "$name" | tail -n1
		return 0 ;;
	rt | amd | debug)
		rm -f "$desc"
		"provision_$where" "$name" "${name%-"$where"}"
		log "$name: ready: $(grep ^KVER= "$desc" | cut -d= -f2) ($where lane)"
		echo "$desc"
		return 0 ;;
	esac
	[ "$where" = chroot ] || die "$name: unknown \"where\" '$where' in $SAC_KCONF"
	root=$SAC_CACHE/chroot/$suite

	# What the cache holds: fresh (reuse as is), old (upgrade in place),
	# incomplete (install what is missing), of another format (rebuild),
	# or a complete chroot with no descriptor yet (adopt it as it is).
	if [ -e "$desc" ]; then
		# shellcheck disable=SC1090
		state=$(. "$desc"
			if [ "$STAMP" != "$(stamp "$name")" ]; then
				echo format
			elif ! root_complete "$ROOT" "$KVER"; then
				echo incomplete
			elif [ $(( ($(date +%s) - $(stat -c %Y "$desc")) / 86400 )) -ge "$REFRESH_DAYS" ]; then
				echo old
			else
				echo fresh
			fi)
	elif [ -e "$root/.sac-debootstrap-ok" ] && [ -e "$root.apt.log" ] &&
	     kver=$(root_kver "$root") && root_complete "$root" "$kver"; then
		state=adopt
	fi
	case $state in
	fresh)
		echo "$desc"
		return 0 ;;
	adopt)
		log "$name: adopting the complete $suite chroot ($kver) as it is" ;;
	old)
		log "$name: cache older than $REFRESH_DAYS days, upgrading its packages" ;;
	incomplete)
		log "$name: cached kernel is incomplete, installing what is missing" ;;
	format)
		log "$name: cache made by another provision.sh format, rebuilding"
		rm -f "$root/.sac-debootstrap-ok" ;;
	esac
	rm -f "$desc"
	[ "$state" = adopt ] || provision_chroot "$name" "$suite"

	kver=$(root_kver "$root") || die "$name: linux-image-amd64 is not installed in $root"
	root_complete "$root" "$kver" ||
		die "$name: $root lacks the image, modules or headers of $kver after provisioning"
	cat > "$desc.tmp" <<-EOF
	KNAME=$name
	SUITE=$suite
	WHERE=$where
	ROOT=$root
	KVER=$kver
	PKGVER=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f '${Version}' "linux-image-$kver")
	VMLINUZ=${root%/}/boot/vmlinuz-$kver
	MODDIR=${root%/}/lib/modules/$kver
	KDIR=/lib/modules/$kver/build
	STAMP=$(stamp "$name")
	EOF
	# An adopted chroot is as old as its last apt run.
	[ "$state" != adopt ] || touch -r "$root.apt.log" "$desc.tmp"
	mv "$desc.tmp" "$desc"
	log "$name: ready: $kver ($where)"
	echo "$desc"
}

need_root
host_pkgs debootstrap
sac_kmod
mkdir -p "$(dirname "$SAC_CACHE")"
exec 9> "$SAC_CACHE.lock"
flock 9
mkdir -p "$SAC_CACHE"
[ $# -gt 0 ] || set -- $(kconf_names required)
for k in "$@"; do
	provision_one "$k"
done
