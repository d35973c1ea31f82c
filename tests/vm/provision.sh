#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# provision.sh NAME...: make each named kernel (see kernels.conf) ready to
# build modules for and to boot, and write its descriptor
# $SAC_CACHE/kernels/NAME.env.
#
# "host" kernels are installed with apt on this machine; "chroot" kernels get
# a debootstrap'd chroot of their own suite (its gcc, linux-headers,
# linux-image, kmod, make) under $SAC_CACHE/chroot/SUITE.
#
# The cache is trusted only when it is complete and fresh: a descriptor is
# written last, after every check passed; it records a hash of this script
# and kernels.conf and its age. A missing or mismatching descriptor, a missing
# file or a package dpkg does not call installed means rebuild. After
# SAC_REFRESH_DAYS (default 7) the suite's packages are upgraded in place.

set -euo pipefail
. "$(dirname "$0")/lib.sh"

REFRESH_DAYS=${SAC_REFRESH_DAYS:-7}
# perl: kernel-doc, which W=1 builds run, needs its Pod modules.
# dkms and the -cloud/-rt headers: the DKMS and build-only checks (setup.d/dkms.sh).
PKGS_CHROOT="linux-image-amd64 linux-headers-amd64 make kmod libc6-dev perl dkms linux-headers-cloud-amd64 linux-headers-rt-amd64"

# Bump when what a provisioned root must hold changes: every cached kernel
# made by an older format is then rebuilt.
CACHE_FORMAT=1

stamp() {
	echo "$CACHE_FORMAT $(grep -v '^#' "$SAC_KCONF")" | sha256sum | cut -c1-16
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
	[ -e "$r/lib/modules/$kver/build/Makefile" ] &&
	[ -e "$r/lib/modules/$kver/build/Module.symvers" ] &&
	root_pkg_ok "$root" "linux-image-$kver" "linux-headers-$kver" make &&
	{ [ "$root" = / ] || root_pkg_ok "$root" $PKGS_CHROOT; }
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

provision_host() {
	local name=$1

	host_pkgs linux-image-amd64 linux-headers-amd64
	if [ "${2:-}" = old ]; then
		log "$name: upgrading the host's linux-image-amd64 linux-headers-amd64"
		apt-get update -qq >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			linux-image-amd64 linux-headers-amd64 >&2
	fi
}

provision_one() {
	local name=$1 suite where desc root kver state=new

	suite=$(kconf_field "$name" 2) || die "unknown kernel '$name' (see $SAC_KCONF)"
	where=$(kconf_field "$name" 3)
	desc=$(kdesc "$name")
	mkdir -p "$SAC_CACHE/kernels"
	[ "$where" = host ] && root=/ || root=$SAC_CACHE/chroot/$suite

	# What the cache holds: fresh (reuse as is), old (upgrade in place),
	# incomplete (install what is missing), or of another format (rebuild).
	if [ -e "$desc" ]; then
		# shellcheck disable=SC1090
		state=$(. "$desc"
			if [ "$STAMP" != "$(stamp)" ]; then
				echo format
			elif ! root_complete "$ROOT" "$KVER"; then
				echo incomplete
			elif [ $(( ($(date +%s) - $(stat -c %Y "$desc")) / 86400 )) -ge "$REFRESH_DAYS" ]; then
				echo old
			else
				echo fresh
			fi)
	fi
	case $state in
	fresh)
		echo "$desc"
		return 0 ;;
	old)
		log "$name: cache older than $REFRESH_DAYS days, upgrading its packages" ;;
	incomplete)
		log "$name: cached kernel is incomplete, installing what is missing" ;;
	format)
		log "$name: cache made by another provision.sh format, rebuilding"
		[ "$where" = chroot ] && rm -f "$root/.sac-debootstrap-ok" ;;
	esac
	rm -f "$desc"
	if [ "$where" = host ]; then
		provision_host "$name" "$state"
	else
		provision_chroot "$name" "$suite"
	fi

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
	STAMP=$(stamp)
	EOF
	mv "$desc.tmp" "$desc"
	log "$name: ready: $kver ($where)"
	echo "$desc"
}

need_root
host_pkgs debootstrap kmod
mkdir -p "$(dirname "$SAC_CACHE")"
exec 9> "$SAC_CACHE.lock"
flock 9
mkdir -p "$SAC_CACHE"
[ $# -gt 0 ] || set -- $(kconf_names required)
for k in "$@"; do
	provision_one "$k"
done
