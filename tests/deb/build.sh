#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make deb: build the Debian packages iommu-sac-dkms and sacctl into
# out/deb/ and run lintian on them, inside the chroot of kernel 6.1
# (Debian 12, bookworm, tests/vm/provision.sh), where the build tools
# (build-essential, debhelper, dh-dkms, lintian and sacctl's -dev
# libraries) are installed when missing: nothing is installed on the host.
# Runs as root (the chroot).
#
# The build runs in a copy of the files git tracks (as they are in the work
# tree) under the chroot's /build, so neither a build nor its clean step
# touches the checkout. Prints the paths of the packages last; exits
# non-zero when the build fails or lintian reports an error. (On a Debian
# build machine of your own, "dpkg-buildpackage -b" in the checkout does
# the same with that machine's tools.)

set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/vm/lib.sh"

need_root
version=$(cat "$top/VERSION")
deb_version=$(sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p' "$top/debian/changelog")
[ "${deb_version%-*}" = "$version" ] ||
	die "debian/changelog is at $deb_version, VERSION says $version: add a changelog entry"

desc=$(bash "$top/tests/vm/provision.sh" 6.1) || die "provisioning kernel 6.1 (the build chroot) failed"
root=$(. "$desc"; echo "$ROOT")
root_pkgs "$root" build-essential dpkg-dev debhelper dh-dkms lintian fakeroot pkg-config \
	libtracefs-dev libtraceevent-dev libtracecmd-dev

out=$top/out/deb
rm -rf "$out"
mkdir -p "$out" "$root/build"
work=$(mktemp -d "$root/build/deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
src=$work/iommu-sac-$version
mkdir -p "$src"
(cd "$top" && git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
	[ -e "$f" ] && printf '%s\0' "$f"
done | cpio -0 -pdm --quiet "$src")

log "dpkg-buildpackage in the $(. "$desc"; echo "$SUITE") chroot (${src#"$root"})"
in_root "$root" sh -c 'cd "$1" && dpkg-buildpackage -us -uc -b' sh "${src#"$root"}" \
	> "$out/build.log" 2>&1 ||
	{ tail -n 30 "$out/build.log" >&2; die "dpkg-buildpackage failed (see $out/build.log)"; }
cp "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out/"

changes=$(cd "$work" && ls iommu-sac_"$deb_version"_*.changes)
log "lintian $changes"
# Errors fail the build; warnings are shown.
set +e
in_root "$root" lintian --fail-on error --no-tag-display-limit "${work#"$root"}/$changes" > "$out/lintian.log" 2>&1
rc=$?
set -e
cat "$out/lintian.log" >&2
[ "$rc" -eq 0 ] || die "lintian reports errors (see $out/lintian.log)"
ls "$out"/*.deb
