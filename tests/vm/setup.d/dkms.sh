#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# setup.d/dkms.sh KNAME: the DKMS path a user takes, on kernel KNAME, as
# TAP on stdout (run.py counts it; dkms's own output goes to
# out/KNAME/dkms.log).
#
#   make dkms-install DESTDIR=...   the sources and dkms.conf, version from ./VERSION
#   dkms add / build -k / install -k   for KNAME's kernel
#   modinfo of the installed module    version = VERSION, vermagic = KVER
#   dkms build -k                      against the suite's -cloud-amd64 and
#                                      -rt-amd64 headers (build only)
#   dkms remove --all                  leaves nothing behind
#
# Everything runs in the kernel's chroot with its own dkms and default
# trees (serialised by a lock; removed again at the end): the host has no
# dkms, and its /usr/src, /var/lib/dkms and /lib/modules are not touched.
#
# The installed module goes, decompressed, to
# out/KNAME/overlay/lib/modules/KVER/updates/dkms/ (run.py copies the
# overlay into the guest and runs depmod there, so "modprobe iommu_sac"
# finds it), with the project's example /etc/modprobe.d/iommu-sac.conf
# and the expected version in /etc/sac/version (tests/guest/dkms.sh).

set -uo pipefail
. "$(dirname "$0")/../lib.sh"

name=${1:?usage: dkms.sh KNAME}
desc=$(kdesc "$name")
# shellcheck disable=SC1090
. "$desc" || { echo "not ok 1 - kernel $name is provisioned"; exit 1; }

VERSION=$(cat "$SAC_TOP/VERSION")
PKG=iommu-sac
out=$SAC_TOP/out/$name
overlay=$out/overlay
logf=$out/dkms.log
mkdir -p "$out"
: > "$logf"

. "$SAC_TOP/tests/vm/tap.sh"

# Packages go into a root of their own: the kernel's chroot.
if [ "$WHERE" != chroot ]; then
	echo "1..0 # SKIP $name is not a chroot kernel: DKMS never runs on the host's root"
	exit 0
fi
dest=$ROOT
dkms_tree=$ROOT/var/lib/dkms
install_tree=$ROOT/lib/modules
dk() { in_root "$ROOT" dkms "$@"; }
exec 8> "$SAC_CACHE/dkms-$SUITE.lock"
flock 8

# A previous run that died half way may have left the package registered.
dk remove -m "$PKG" -v "$VERSION" --all >> "$logf" 2>&1 || true
rm -rf "$dest/usr/src/$PKG-$VERSION"

step "make dkms-install DESTDIR=$dest (sources to /usr/src/$PKG-$VERSION)" \
	make -s -C "$SAC_TOP" dkms-install DESTDIR="$dest" || { echo "1..$n"; exit 1; }
conf=$dest/usr/src/$PKG-$VERSION/dkms.conf
v=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$conf")
if [ "$v" = "$VERSION" ]; then
	ok "dkms.conf PACKAGE_VERSION is VERSION ($v)"
else
	not_ok "dkms.conf PACKAGE_VERSION is VERSION (expected '$VERSION', saw '$v')"
fi
if grep -Eq '^[^#]*(\$\(|`|;|&&|\|\|)' "$conf"; then
	not_ok "dkms.conf is declarative (no shell logic)"
else
	ok "dkms.conf is declarative (no shell logic)"
fi

dkver=$(dk --version 2>/dev/null | head -n1)
echo "# $dkver, kernel $KVER ($WHERE)"
installed=
if step "dkms add ($dkver)" dk add -m "$PKG" -v "$VERSION" &&
   step "dkms build -k $KVER" dk build -m "$PKG" -v "$VERSION" -k "$KVER" &&
   step "dkms install -k $KVER" dk install -m "$PKG" -v "$VERSION" -k "$KVER"; then
	installed=yes
fi

# What dkms installed, where a user's modprobe finds it: iommu_sac.ko and
# iommu_sac_fops.ko (dkms.conf), both into the guest's module tree.
# place_mod NAME: decompress NAME.ko* into the overlay, check its version
# and vermagic; fails when dkms did not install it.
guestdir=$overlay/lib/modules/$KVER/updates/dkms
place_mod() {
	local m mod mv vm
	m=$1
	mod=$(find "$install_tree/$KVER/updates/dkms" -maxdepth 1 -name "$m.ko*" 2>/dev/null | head -n1)
	if [ -z "$mod" ]; then
		not_ok "installed $m in $install_tree/$KVER/updates/dkms"
		return 1
	fi
	ok "installed as ${mod#"${dest%/}"}"
	mkdir -p "$guestdir"
	case $mod in
	*.xz)  xz -dc "$mod" > "$guestdir/$m.ko" ;;
	*.zst) zstd -q -dc "$mod" > "$guestdir/$m.ko" ;;
	*.gz)  gzip -dc "$mod" > "$guestdir/$m.ko" ;;
	*)     cp "$mod" "$guestdir/$m.ko" ;;
	esac
	mv=$(modinfo -F version "$guestdir/$m.ko")
	if [ "$mv" = "$VERSION" ]; then
		ok "$m: modinfo version is VERSION ($mv)"
	else
		not_ok "$m: modinfo version is VERSION (expected '$VERSION', saw '$mv')"
	fi
	vm=$(modinfo -F vermagic "$guestdir/$m.ko" | cut -d' ' -f1)
	if [ "$vm" = "$KVER" ]; then
		ok "$m: vermagic is $KVER"
	else
		not_ok "$m: vermagic is $KVER (saw '$vm')"
	fi
	if modinfo -F signer "$guestdir/$m.ko" | grep -q .; then
		echo "# $m signed by dkms: $(modinfo -F signer "$guestdir/$m.ko")"
	fi
}
placed=
if [ -n "$installed" ]; then
	st=$(dk status -m "$PKG" -v "$VERSION" -k "$KVER" 2>/dev/null)
	case $st in
	*": installed"*) ok "dkms status: $st" ;;
	*) not_ok "dkms status says installed (saw '$st')" ;;
	esac
	placed=yes
	for m in iommu_sac iommu_sac_fops; do
		place_mod $m || placed=
	done
	check_eq "modinfo: iommu_sac depends on iommu_sac_fops" iommu_sac_fops \
		"$(modinfo -F depends "$guestdir/iommu_sac.ko" 2>/dev/null)"
fi
if [ -n "$placed" ]; then
	mkdir -p "$overlay/etc/modprobe.d" "$overlay/etc/sac"
	cp "$SAC_TOP/etc/modprobe.d/iommu-sac.conf" "$overlay/etc/modprobe.d/"
	echo "$VERSION" > "$overlay/etc/sac/version"
fi

# Build-only checks against the suite's other flavours.
base=${KVER%-amd64}
for fl in cloud rt; do
	fk=$base-$fl-amd64
	if ! root_has "$ROOT" "/lib/modules/$fk/build/Makefile"; then
		not_ok "dkms build -k $fk (headers not installed: linux-headers-$fl-amd64)"
		continue
	fi
	if step "dkms build -k $fk (build only)" dk build -m "$PKG" -v "$VERSION" -k "$fk"; then
		ko=$(find "$dkms_tree/$PKG/$VERSION/$fk" -name 'iommu_sac.ko*' | head -n1)
		case $ko in
		*.xz) vm=$(xz -dc "$ko" > "$out/flavour.ko" && modinfo -F vermagic "$out/flavour.ko") ;;
		*.zst) vm=$(zstd -q -dc "$ko" > "$out/flavour.ko" && modinfo -F vermagic "$out/flavour.ko") ;;
		*) vm=$(modinfo -F vermagic "$ko") ;;
		esac
		rm -f "$out/flavour.ko"
		vm=${vm%% *}
		if [ "$vm" = "$fk" ]; then
			ok "$fl flavour module has vermagic $fk"
		else
			not_ok "$fl flavour module has vermagic $fk (saw '$vm')"
		fi
	fi
done

step "dkms remove --all" dk remove -m "$PKG" -v "$VERSION" --all
left=$(find "$install_tree"/*/updates/dkms -name 'iommu_sac*.ko*' 2>/dev/null)
if [ -z "$left" ]; then
	ok "nothing left in the module trees after dkms remove"
else
	not_ok "nothing left in the module trees after dkms remove (found: $left)"
fi
rm -rf "$dest/usr/src/$PKG-$VERSION"

echo "1..$n"
[ "$failed" -eq 0 ]
