#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make deb: build the Debian packages iommu-sac-dkms and sacctl into
# out/deb/ and run lintian on them. Installs the build tools it needs
# (debhelper, dh-dkms, lintian and sacctl's -dev libraries) when missing.
#
# The build runs in out/deb/iommu-sac-VERSION/, a copy of the files git
# tracks (as they are in the work tree), so neither a build nor its clean
# step touches the checkout. Prints the paths of the packages last; exits
# non-zero when the build fails or lintian reports an error.

set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/vm/lib.sh"

host_pkgs dpkg-dev debhelper dh-dkms lintian fakeroot pkg-config \
	libtracefs-dev libtraceevent-dev libtracecmd-dev git

version=$(cat "$top/VERSION")
deb_version=$(cd "$top" && dpkg-parsechangelog -S Version)
[ "${deb_version%-*}" = "$version" ] ||
	die "debian/changelog is at $deb_version, VERSION says $version: add a changelog entry"

out=$top/out/deb
src=$out/iommu-sac-$version
rm -rf "$out"
mkdir -p "$src"
(cd "$top" && git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
	[ -e "$f" ] && printf '%s\0' "$f"
done | cpio -0 -pdm --quiet "$src")

log "dpkg-buildpackage in $src"
(cd "$src" && dpkg-buildpackage -us -uc -b) > "$out/build.log" 2>&1 ||
	{ tail -n 30 "$out/build.log" >&2; die "dpkg-buildpackage failed (see $out/build.log)"; }

changes=$(ls "$out"/iommu-sac_"$deb_version"_*.changes)
log "lintian $(basename "$changes")"
# Errors fail the build; warnings are shown.
lintian --fail-on error --no-tag-display-limit "$changes" | tee "$out/lintian.log" >&2 ||
	die "lintian reports errors (see $out/lintian.log)"
ls "$out"/*.deb
