#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# freshcheck.sh: what "make run" and "make check" would install on a fresh
# Debian 12 machine, and that none of it touches /boot or enables a service
# (issue 15). TAP on stdout, the package lists as comments.
#
# A fresh bookworm root (debootstrap's default variant: required and
# important packages, i.e. a Debian 12 machine before any task; with the
# host's apt suites, so bookworm-updates and -security too) is cached in
# $SAC_CACHE/freshcheck/root. In it, for each of "run" and "check", apt
# resolves exactly the host packages tests/vm/deps.sh asks for
# (apt-get -s install --no-install-recommends, as host_pkgs does); the
# packages it would install are downloaded (never installed) and
# inspected:
#   - none is a kernel image (linux-image-*) or headers package
#   - none ships a file under /boot
#   - none would enable a unit: no shipped systemd unit with an [Install]
#     section (WantedBy=, RequiredBy=, Also=), no postinst calling
#     "deb-systemd-helper enable" or "update-rc.d ... defaults|enable",
#     no /etc/init.d script
# SAC_FRESH_PLANT=PKG adds PKG to the check list, to see a check fail
# (e.g. prometheus: a service enabled at install).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

need_root
fresh=$SAC_CACHE/freshcheck
root=$fresh/root
mkdir -p "$fresh"
exec 7> "$fresh.lock"
flock 7

if [ ! -e "$root/.sac-debootstrap-ok" ]; then
	rm -rf "$root"
	t0=$(date +%s)
	log "freshcheck: debootstrap bookworm (default variant) into $root"
	debootstrap --keyring=/usr/share/keyrings/debian-archive-keyring.gpg bookworm "$root" "$(sac_mirror)" \
		> "$fresh/debootstrap.log" 2>&1 || die "debootstrap failed, see $fresh/debootstrap.log"
	sac_host_suite_uris bookworm | awk '{ print "deb", $1, $2, "main" }' > "$root/etc/apt/sources.list"
	touch "$root/.sac-debootstrap-ok"
	log "freshcheck: fresh root in $(( $(date +%s) - t0 )) s"
fi
in_root "$root" apt-get -q update > "$fresh/apt.log" 2>&1 || die "apt-get update in $root failed"

. "$SAC_TOP/tests/vm/tap.sh"
verdict() {	# DESC FINDINGS
	if [ -z "$2" ]; then ok "$1"; else not_ok "$1: $(echo "$2" | tr '\n' ' ')"; fi
}

echo "# fresh root: $(dpkg-query --admindir="$root/var/lib/dpkg" -W | wc -l) packages (debootstrap default variant, bookworm)"
for mode in run check; do
	# shellcheck disable=SC2046
	pkgs=$(bash "$SAC_TOP/tests/vm/deps.sh" "list-$mode")
	[ "$mode" = check ] && pkgs="$pkgs ${SAC_FRESH_PLANT:-}"
	sim=$(in_root "$root" apt-get -s -q install --no-install-recommends $pkgs 2>&1)
	if [ $? -ne 0 ]; then
		not_ok "make $mode: apt-get -s install resolves ($(echo "$sim" | tail -n 2 | tr '\n' ' '))"
		continue
	fi
	# "Inst P (ver ...)": new; "Inst P [old] (ver ...)": an upgrade of a
	# package the fresh root has (to its -updates/-security version).
	inst=$(echo "$sim" | awk '$1 == "Inst" { print $2 }' | sort)
	new=$(echo "$sim" | awk '$1 == "Inst" && $3 !~ /^\[/ { print $2 }' | sort)
	upg=$(echo "$sim" | awk '$1 == "Inst" && $3 ~ /^\[/ { print $2 }' | sort)
	ok "make $mode: apt would install $(echo "$new" | grep -c .) new packages and upgrade $(echo "$upg" | grep -c .) for: $(echo $pkgs)"
	echo "$new" | fmt -w 100 | sed "s/^/# $mode new: /"
	echo "$upg" | fmt -w 100 | sed "s/^/# $mode upgraded: /"

	verdict "make $mode: no kernel image or headers among them" \
		"$(echo "$inst" | grep -E '^linux-(image|headers)-')"

	# Download (not install) what it would install, and look inside.
	mkdir -p "$root/var/cache/sac-freshcheck/partial"
	in_root "$root" apt-get -q -y --download-only --no-install-recommends \
		-o Dir::Cache::archives=/var/cache/sac-freshcheck install $pkgs >> "$fresh/apt.log" 2>&1 ||
		{ not_ok "make $mode: downloading the packages"; continue; }
	boot="" units="" scripts=""
	for p in $inst; do
		deb=$(ls "$root"/var/cache/sac-freshcheck/"${p%%:*}"_*.deb 2>/dev/null | head -n1)
		[ -n "$deb" ] || { boot="$boot $p(no .deb)"; continue; }
		list=$(dpkg-deb -c "$deb" | awk '{ print substr($6, 2) }')
		grep -q '^/boot/.' <<< "$list" && boot="$boot $p"
		# Units with an [Install] section get enabled by
		# deb-systemd-helper at install (dh_installsystemd's default).
		tmp=$(mktemp -d)
		dpkg-deb -x "$deb" "$tmp"
		for u in $(echo "$list" | grep -E '^/(usr/)?lib/systemd/system/[^/]+\.(service|socket|timer|path)$'); do
			[ -f "$tmp$u" ] && grep -Eq '^(WantedBy|RequiredBy|Also)=' "$tmp$u" && units="$units $p:${u##*/}"
		done
		grep -Eq '^/etc/init\.d/.' <<< "$list" && units="$units $p:$(echo "$list" | grep '^/etc/init\.d/.' | head -n1)"
		rm -rf "$tmp"
		dpkg-deb -e "$deb" "$tmp"
		if [ -f "$tmp/postinst" ] &&
		   grep -Eq 'deb-systemd-helper +(--quiet +)?enable|update-rc\.d +[^ ]+ +(defaults|enable)' "$tmp/postinst"; then
			scripts="$scripts $p"
		fi
		rm -rf "$tmp"
	done
	rm -rf "$root/var/cache/sac-freshcheck"
	verdict "make $mode: none puts anything in /boot" "$boot"
	verdict "make $mode: none ships a unit or init script that install enables" "$units"
	verdict "make $mode: no postinst enables a unit (deb-systemd-helper enable, update-rc.d defaults)" "$scripts"
done
echo "1..$n"
[ "$failed" -eq 0 ]
