# SPDX-License-Identifier: GPL-2.0
# Shared shell helpers for the VM test system (sourced, not run).
#
# Everything the suite downloads or builds outside the repository lives under
# $SAC_CACHE (default /var/cache/iommu-sac): chroots, kernel descriptors,
# source extracts. Nothing here names an archive host: the mirror is read from
# this machine's own apt configuration (or $SAC_MIRROR).

SAC_CACHE=${SAC_CACHE:-/var/cache/iommu-sac}
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

# Descriptor of a provisioned kernel: KNAME SUITE KVER ROOT VMLINUZ KDIR ...
kdesc() { echo "$SAC_CACHE/kernels/$1.env"; }

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
