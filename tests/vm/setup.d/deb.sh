#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# setup.d/deb.sh KNAME: the Debian packages a fleet installs, on kernel
# KNAME's root, as TAP on stdout (apt's and dkms's output go to
# out/KNAME/deb.log).
#
#   make deb                 iommu-sac-dkms and sacctl, lintian clean (built
#                            once per source tree: out/deb/stamp)
#   apt-get install          both packages into KNAME's chroot; the DKMS
#                            postinst builds the module for every kernel
#                            whose headers are installed there
#   what they installed      the module for KVER (version, vermagic), sacctl,
#                            its man page, completion, examples, the
#                            exporter's service and timer (timer enabled)
#   apt-get purge --autoremove   and the chroot holds exactly the files it
#                            held before the install
#
# For the guest (tests/guest/deb.sh) it leaves, under out/KNAME/overlay/pkg/:
# the module the package built for KVER, the packaged sacctl with the
# libraries it resolves to in that root (run through that root's dynamic
# loader), the exporter's service file, promtool (unpacked into the cache by
# tests/vm/deps.sh, never installed), and the expected VERSION.
#
# Packages need a root of their own, the kernel's chroot (every base kernel
# has one); lanes (rt, amd, debug) run their base kernel's package test
# once, not again.

set -uo pipefail
. "$(dirname "$0")/../lib.sh"

name=${1:?usage: deb.sh KNAME}
desc=$(kdesc "$name")
# shellcheck disable=SC1090
. "$desc" || { echo "not ok 1 - kernel $name is provisioned"; exit 1; }

if [ -n "${LANE:-}" ]; then
	echo "1..0 # SKIP the packages are tested on ${BASE:-the base kernel}, not again on its $LANE lane"
	exit 0
fi
if [ "$WHERE" != chroot ]; then
	echo "1..0 # SKIP $name is not a chroot kernel: packages are never installed on the host's root"
	exit 0
fi

VERSION=$(cat "$SAC_TOP/VERSION")
out=$SAC_TOP/out/$name
pkgdir=$out/overlay/pkg
logf=$out/deb.log
mkdir -p "$out"
: > "$logf"

. "$SAC_TOP/tests/vm/tap.sh"

# ---- make deb, once per source tree -------------------------------------
debs=$SAC_TOP/out/deb
tree_id() {
	(cd "$SAC_TOP" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 sha1sum 2>/dev/null | sha1sum | cut -c1-16)
}
exec 7> "$SAC_TOP/out/deb.lock"
flock 7
id=$(tree_id)
if [ "$(cat "$debs/stamp" 2>/dev/null)" = "$id" ]; then
	ok "make deb (built earlier in this run from the same tree)"
elif step "make deb" make -s -C "$SAC_TOP" deb; then
	echo "$id" > "$debs/stamp"
else
	finish
fi
flock -u 7
dkms_deb=$(ls "$debs"/iommu-sac-dkms_*_all.deb 2>/dev/null | head -n1)
sacctl_deb=$(ls "$debs"/sacctl_*_amd64.deb 2>/dev/null | head -n1)
[ -n "$dkms_deb" ] && [ -n "$sacctl_deb" ] && ok "both packages built" ||
	{ not_ok "both packages built (in $debs)"; finish; }
errs=$(grep -c '^E: ' "$debs/lintian.log")
check_eq "lintian: no errors" 0 "$errs"

# ---- install into the kernel's chroot -----------------------------------
# One DKMS user of a chroot at a time (setup.d/dkms.sh, the rt lane).
exec 8> "$SAC_CACHE/dkms-$SUITE.lock"
flock 8
# What a previous run that died half way left goes first: a dpkg run it
# interrupted (apt refuses to work until "dpkg --configure -a"), then its
# packages.
in_root "$ROOT" dpkg --configure -a >> "$logf" 2>&1 || true
in_root "$ROOT" apt-get -y -q -o DPkg::Lock::Timeout=600 purge --autoremove iommu-sac-dkms sacctl >> "$logf" 2>&1 || true

# The chroot's files (not the package manager's own state and caches, nor
# /build, where tests/vm/kbuild.sh builds the modules of other runs at any
# time).
snapshot() {
	(cd "$ROOT" && find . -xdev \( -path ./proc -o -path ./dev -o -path ./sys \
		-o -path ./tmp -o -path ./run -o -path ./var/cache -o -path ./var/log \
		-o -path ./build \
		-o -path ./var/lib/apt -o -path ./var/lib/dpkg \) -prune -o -print | sort)
}
# Kernel trees with headers but no image (e.g. the -cloud-amd64 headers
# setup.d/dkms.sh builds against): dkms installs the module there too and
# runs depmod, and what becomes of depmod's index files (modules.dep, ...)
# at the purge depends on dkms: bookworm's 3.0.10 leaves them, sid's removes
# them with the tree's last module (a cold run: '< ./usr/lib/modules/
# 7.2.13+deb14-cloud-amd64/modules.alias' and the rest gone after the
# purge). They belong to no package: the comparison leaves them out for
# those trees (where the image is installed they belong to its tree and
# are compared like everything else).
idx_re=
for b in "$ROOT"/lib/modules/*; do
	k=${b##*/}
	root_has "$ROOT" "/lib/modules/$k/build/Makefile" || continue
	root_has "$ROOT" "/lib/modules/$k/kernel" && continue
	idx_re="$idx_re|$(printf '%s' "$k" | sed 's/[.+]/\\&/g')"
	echo "# $k: headers only, no image: depmod's index files there are not compared"
done
idx_re="^\\./(usr/)?lib/modules/(${idx_re#|})/modules\\.[^/]*\$"
[ "$idx_re" = "^\\./(usr/)?lib/modules/()/modules\\.[^/]*\$" ] && idx_re='^$'
snapshot > "$out/deb.before"

mkdir -p "$ROOT/tmp/sac-debs"
cp "$dkms_deb" "$sacctl_deb" "$ROOT/tmp/sac-debs/"
step "apt-get install iommu-sac-dkms sacctl in the $SUITE chroot" \
	in_root "$ROOT" apt-get -y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold install \
	"/tmp/sac-debs/$(basename "$dkms_deb")" "/tmp/sac-debs/$(basename "$sacctl_deb")"
rm -rf "$ROOT/tmp/sac-debs"

for p in iommu-sac-dkms sacctl; do
	st=$(dpkg-query --admindir="$ROOT/var/lib/dpkg" -W -f '${Status} ${Version}' "$p" 2>/dev/null)
	check_eq "$p is installed" "install ok installed ${VERSION}-1" "$st"
done

# DKMS built the module for every kernel with headers in the chroot.
for b in "$ROOT"/lib/modules/*/build; do
	k=$(basename "$(dirname "$b")")
	root_has "$ROOT" "/lib/modules/$k/build/Makefile" || continue
	st=$(in_root "$ROOT" dkms status -m iommu-sac -v "$VERSION" -k "$k" 2>/dev/null)
	case $st in
	*": installed"*) ok "DKMS built and installed it for $k" ;;
	*) not_ok "DKMS built and installed it for $k (dkms status: '$st')" ;;
	esac
done
# Both modules of dkms.conf: iommu_sac and iommu_sac_fops.
mods=
for m in iommu_sac iommu_sac_fops; do
	mod=$(find "$ROOT/lib/modules/$KVER/updates/dkms" -maxdepth 1 -name "$m.ko*" 2>/dev/null | head -n1)
	if [ -n "$mod" ]; then
		ok "$m for $KVER at ${mod#"$ROOT"}"
		mods="$mods $mod"
	else
		not_ok "$m for $KVER under /lib/modules/$KVER/updates/dkms"
	fi
done

# What the packages ship (the chroot's dpkg excludes /usr/share/doc and
# /usr/share/man from what it unpacks: see provision.sh).
shipped=$( (dpkg-deb -c "$sacctl_deb"; dpkg-deb -c "$dkms_deb") | awk '{ print substr($6, 2) }')
for f in /usr/sbin/sacctl /usr/share/man/man8/sacctl.8.gz \
	 /usr/share/bash-completion/completions/sacctl \
	 /usr/share/doc/sacctl/examples/modprobe.d/iommu-sac.conf \
	 /usr/share/doc/sacctl/examples/modules-load.d/iommu-sac.conf \
	 /lib/systemd/system/sacctl-prometheus.service \
	 /lib/systemd/system/sacctl-prometheus.timer \
	 /usr/src/iommu-sac-$VERSION/dkms.conf \
	 /usr/src/iommu-sac-$VERSION/Kbuild; do
	if ! echo "$shipped" | grep -qx "$f"; then
		not_ok "the packages ship $f"
	else
		case $f in
		/usr/share/doc/* | /usr/share/man/*) ok "the packages ship $f" ;;
		*) [ -e "$ROOT$f" ] && ok "shipped and installed: $f" || not_ok "installed $f" ;;
		esac
	fi
done
if [ -L "$ROOT/etc/systemd/system/timers.target.wants/sacctl-prometheus.timer" ]; then
	ok "the exporter timer is enabled"
else
	not_ok "the exporter timer is enabled (no link in /etc/systemd/system/timers.target.wants)"
fi
check_eq "the packaged sacctl's version" "sacctl $VERSION" \
	"$(in_root "$ROOT" /usr/sbin/sacctl --version 2>&1 | head -n1)"

# ---- what the guest gets ------------------------------------------------
rm -rf "$pkgdir"
mkdir -p "$pkgdir/lib"
for mod in $mods; do
	m=$(basename "$mod"); m=${m%%.ko*}
	case $mod in
	*.xz)  xz -dc "$mod" > "$pkgdir/$m.ko" ;;
	*.zst) zstd -q -dc "$mod" > "$pkgdir/$m.ko" ;;
	*)     cp "$mod" "$pkgdir/$m.ko" ;;
	esac
	check_eq "the packaged $m's version" "$VERSION" "$(modinfo -F version "$pkgdir/$m.ko")"
	check_eq "the packaged $m's vermagic" "$KVER" \
		"$(modinfo -F vermagic "$pkgdir/$m.ko" | cut -d' ' -f1)"
done
cp "$ROOT/usr/sbin/sacctl" "$pkgdir/sacctl"
cp "$ROOT/lib/systemd/system/sacctl-prometheus.service" "$pkgdir/"
# The libraries the packaged binary resolves to in its own root, and that
# root's dynamic loader to run it with them.
libs=$(in_root "$ROOT" ldd /usr/sbin/sacctl | awk '/=> \// { print $3 } /^\t\/.*ld-linux/ { print $1 }')
nlib=0
for l in $libs; do
	cp -L "$ROOT$l" "$pkgdir/lib/" && nlib=$((nlib + 1))
done
[ -e "$pkgdir/lib/ld-linux-x86-64.so.2" ] && ok "the packaged sacctl and its $nlib libraries from the $SUITE root" ||
	not_ok "the $SUITE root's dynamic loader for the packaged sacctl"
promtool=$(sac_promtool) && cp "$promtool" "$pkgdir/promtool"
echo "$VERSION" > "$pkgdir/version"

# ---- purge: nothing left behind -----------------------------------------
# The exporter's last textfile, as the timer would have left it: removing
# the package must remove it (nothing would update it any more).
tf=/var/lib/prometheus/node-exporter/iommu_sac.prom
made=
[ -d "$ROOT/var/lib/prometheus" ] || made=yes
mkdir -p "$ROOT${tf%/*}"
echo 'iommu_sac_allocations_total{device="0000:00:04.0"} 1' > "$ROOT$tf"
step "apt-get purge --autoremove iommu-sac-dkms sacctl" \
	in_root "$ROOT" apt-get -y -q -o DPkg::Lock::Timeout=600 purge --autoremove iommu-sac-dkms sacctl
if [ -e "$ROOT$tf" ]; then
	not_ok "the purge removes the exporter's textfile $tf (still there)"
else
	ok "the purge removes the exporter's textfile $tf"
fi
[ -z "$made" ] || rm -rf "$ROOT/var/lib/prometheus"
rm -f "$ROOT$tf"
snapshot > "$out/deb.after"
# Except dkms's own module signing key: dkms 3.x makes /var/lib/dkms/mok.key
# and mok.pub at its first signing (dkms: "openssl req -new -x509 ...
# -keyout $mok_signing_key") and keeps them, owned by no package, so that a
# key enrolled with mokutil stays valid for later modules. In a fresh chroot
# the packages' install is that first signing.
left=$(diff <(grep -v -E "$idx_re" "$out/deb.before") <(grep -v -E "$idx_re" "$out/deb.after") |
	grep '^[<>]' | grep -v -x -e '> ./var/lib/dkms/mok.key' -e '> ./var/lib/dkms/mok.pub')
if grep -q -x -e './var/lib/dkms/mok.key' "$out/deb.after" &&
	! grep -q -x -e './var/lib/dkms/mok.key' "$out/deb.before"; then
	echo "# dkms made its signing key /var/lib/dkms/mok.key (and mok.pub) at this first install: dkms's, kept by design"
fi
if [ -z "$left" ]; then
	ok "after the purge the chroot holds exactly the files it held before ($(wc -l < "$out/deb.after") paths)"
else
	not_ok "after the purge the chroot holds exactly the files it held before"
	echo "$left" | head -n 20 | sed 's/^/# /'
fi
finish
