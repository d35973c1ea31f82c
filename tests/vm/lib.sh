# SPDX-License-Identifier: GPL-2.0
# Shared shell helpers for the VM test system (sourced, not run).
#
# Everything the suite downloads or builds outside the repository lives under
# $SAC_CACHE (default /var/cache/iommu-sac): chroots, kernel descriptors,
# source extracts. Nothing here names an archive host: the mirror is read from
# this machine's own apt configuration (or $SAC_MIRROR).

SAC_CACHE=${SAC_CACHE:-/var/cache/iommu-sac}
# kmod's tools where the host has none (sac_kmod): after the host's own.
PATH=$PATH:$SAC_CACHE/kmod/bin
SAC_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SAC_KCONF=$SAC_TOP/tests/vm/kernels.conf

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

need_root() {
	[ "$(id -u)" = 0 ] || die "must run as root (apt, debootstrap, chroot)"
}

# The Debian mirror this machine's apt already uses for its own suite.
sac_mirror() {
	local m=${SAC_MIRROR:-}

	if [ -z "$m" ]; then
		m=$(awk '/^URIs:/ { u = $2 }
			 /^Suites:/ && / (bookworm|bullseye|trixie|stable)( |$)/ { if (u) { print u; exit } }' \
			/etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
	fi
	if [ -z "$m" ]; then
		m=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/) { print $i; exit } }' \
			/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n1)
	fi
	[ -n "$m" ] || die "cannot find a Debian mirror in /etc/apt (set SAC_MIRROR)"
	echo "${m%/}"
}

# sac_host_suite_uris SUITE: "URI SUITE" for each suite this machine's apt
# uses whose name is SUITE or starts with SUITE- (SUITE-updates,
# SUITE-security), e.g. to give a chroot of the host's own release the
# same updates (the kernel a Debian machine of that release installs).
sac_host_suite_uris() {
	{
		awk '/^URIs:/ { u = $2 } /^Suites:/ { for (i = 2; i <= NF; i++) print u, $i }' \
			/etc/apt/sources.list.d/*.sources 2>/dev/null || true
		awk '$1 == "deb" { i = 2; while ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } print $i, $(i + 1) }' \
			/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true
	} | awk -v s="$1" '$2 == s || index($2, s "-") == 1 { sub(/\/$/, "", $1); print $1, $2 }' | sort -u
}

# kconf_field NAME COLUMN: a column (1-based) of NAME's line in kernels.conf.
kconf_field() {
	awk -v n="$1" -v c="$2" '!/^#/ && $1 == n { print $c; found = 1 } END { exit !found }' "$SAC_KCONF"
}

# All kernel names in kernels.conf, or only the required ones.
kconf_names() {
	awk -v want="${1:-all}" '!/^#/ && NF >= 4 && (want == "all" || $4 == want) { print $1 }' "$SAC_KCONF"
}

kconf_note() {
	awk -v n="$1" '!/^#/ && $1 == n { $1 = $2 = $3 = $4 = ""; sub(/^ +/, ""); print }' "$SAC_KCONF"
}

# Install the host packages named, if any is missing. apt-get update runs
# only when something has to be installed.
host_pkgs() {
	local missing=() p

	for p in "$@"; do
		dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	need_root
	log "installing host packages: ${missing[*]}"
	apt-get update -qq >&2 || die "apt-get update failed"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >&2 || die "apt-get install ${missing[*]} failed"
}

# root_pkgs ROOT PKG...: install the packages named into a kernel's chroot
# (never the host), if any is missing there. apt-get update runs only when
# the install fails from the lists the chroot has. Output goes to ROOT.apt.log.
root_pkgs() {
	local root=${1%/} missing=() p
	shift

	[ -n "$root" ] && [ "$root" != / ] || die "root_pkgs: no chroot given (the host is never installed into)"
	for p in "$@"; do
		dpkg-query --admindir="$root/var/lib/dpkg" -W -f '${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	need_root
	log "installing in ${root##*/}'s chroot: ${missing[*]}"
	local inst=(apt-get -y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold install "${missing[@]}")
	in_root "$root" "${inst[@]}" >> "$root.apt.log" 2>&1 || {
		in_root "$root" apt-get -q -o DPkg::Lock::Timeout=600 update >> "$root.apt.log" 2>&1 &&
			in_root "$root" "${inst[@]}" >> "$root.apt.log" 2>&1
	} || die "installing ${missing[*]} in $root failed, see $root.apt.log"
	in_root "$root" apt-get -q clean >/dev/null 2>&1 || true
}

# host_deb PKG DIR: download the host suite's package PKG into DIR (apt-get
# update first only if the lists do not have it) and print the .deb's path.
# For tools unpacked into the cache, never installed.
host_deb() {
	(cd "$2" && { apt-get download -q "$1" || { apt-get update -qq && apt-get download -q "$1"; }; } \
		>/dev/null 2>&1) || return 1
	ls "$2/$1"_*.deb
}

# cache_tool DIR PKG MARKER FILL: a host tool unpacked into the cache,
# never installed. Unless DIR/MARKER is executable, PKG is downloaded
# (host_deb) under DIR.lock into a scratch folder, "FILL DEB SCRATCH DIR"
# puts the tool there (DIR: where the scratch folder will be), and the
# scratch folder, with the package's name in it, replaces DIR.
cache_tool() {
	local dir=$1 pkg=$2 marker=$3 fill=$4 tmp deb lk

	[ -x "$dir/$marker" ] && return 0
	need_root
	mkdir -p "$SAC_CACHE"
	exec {lk}> "$dir.lock"
	flock "$lk"
	if [ ! -x "$dir/$marker" ]; then
		tmp=$(mktemp -d "$dir.XXXXXX")
		log "unpacking $pkg into $dir (not installed)"
		deb=$(host_deb "$pkg" "$tmp") || { rm -rf "$tmp"; die "apt-get download $pkg failed"; }
		"$fill" "$deb" "$tmp" "$dir" || { rm -rf "$tmp"; die "$pkg: no $marker from $deb"; }
		basename "$deb" > "$tmp/package"
		rm -f "$deb"
		rm -rf "$dir"
		mv "$tmp" "$dir"
	fi
	exec {lk}>&-
}

# sac_promtool: the path of promtool (for make -C tools/sacctl check and
# the package test), from Debian's prometheus package, in
# $SAC_CACHE/promtool/bin: never installed, so no prometheus service on the
# host.
promtool_fill() {
	dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" ./usr/bin/promtool &&
		mkdir -p "$2/bin" && mv "$2/usr/bin/promtool" "$2/bin/promtool" &&
		rm -rf "${2:?}/usr"
}
sac_promtool() {
	cache_tool "$SAC_CACHE/promtool" prometheus bin/promtool promtool_fill
	echo "$SAC_CACHE/promtool/bin/promtool"
}

# sac_kmod: modprobe, depmod and modinfo for the scripts (tests/vm/run.py
# builds each guest's module tree with them). A host without kmod gets
# Debian's kmod package unpacked once into $SAC_CACHE/kmod/root (never
# installed: installing it would enable its boot script, /etc/rcS.d/S01kmod,
# on the host) and its tools as links to that kmod binary in
# $SAC_CACHE/kmod/bin, which lib.sh and run.py put on PATH after the host's
# own.
kmod_fill() {
	local t

	dpkg-deb -x "$1" "$2/root" && [ -x "$2/root/bin/kmod" ] && mkdir -p "$2/bin" || return 1
	for t in depmod insmod lsmod modinfo modprobe rmmod; do
		ln -s "$3/root/bin/kmod" "$2/bin/$t" || return 1
	done
}
sac_kmod() {
	depmod --version >/dev/null 2>&1 && modprobe --version >/dev/null 2>&1 &&
		modinfo --version >/dev/null 2>&1 && return 0
	cache_tool "$SAC_CACHE/kmod" kmod bin/depmod kmod_fill
	hash -r
}

# root_has ROOT PATH: PATH exists in ROOT, symlinks resolved inside ROOT
# (bookworm's /lib/modules/KVER/build is an absolute link to /usr/src).
root_has() { chroot "$1" /usr/bin/test -e "$2"; }

# Descriptor of a provisioned kernel: KNAME SUITE KVER ROOT VMLINUZ KDIR ...
# (Not $SAC_CACHE/kernels/: older checkouts keep theirs there, with 6.1 on
# the host and one stamp for all rows.)
kdesc() { echo "$SAC_CACHE/desc/$1.env"; }

# Run a command inside a kernel's root (chroot or host) with /proc mounted
# in a private mount namespace, so nothing stays mounted afterwards.
in_root() {
	local root=$1
	shift
	if [ "$root" = / ]; then
		"$@"
	else
		unshare -m --propagation private sh -c '
			r=$1; shift
			mount -t proc proc "$r/proc" || exit 1
			mount -t devtmpfs dev "$r/dev" 2>/dev/null || mount --bind /dev "$r/dev"
			exec chroot "$r" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
				HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"' \
			sh "$root" "$@"
	fi
}
