#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# dkms-arm64.sh NAME: the DKMS path for the arm64 kernel NAME, as TAP on
# stdout (run.py counts it for the arm64 lanes; dkms's own output goes to
# out/NAME/dkms.log).
#
#   make dkms-install DESTDIR=...        the sources and dkms.conf
#   dkms add / build -k KVER -a aarch64  in the kernel's build root (its
#                                        suite's dkms: 3.0.10 for 6.1,
#                                        3.2.2 for 6.12 and 7.2),
#                                        cross: the arm64 headers overlaid
#                                        on /usr/src as kbuild-arm64.sh does
#   the built module                     aarch64, vermagic KVER, version
#   dkms remove --all
#
# Everything dkms writes goes to private trees (--sourcetree, --dkmstree,
# --installtree) and a private signing key (dkms 3.0.10 reads its location
# from the environment) under the build root's /build (or $SAC_CACHE/dkms
# for the host), removed at the end. The module goes to
# out/NAME/overlay/lib/modules/KVER/updates/dkms/ with the example
# modprobe.d file and /etc/sac/version, for tests/guest/dkms.sh in the
# guest. dkms strips with the host's strip, which does not know aarch64
# objects ("Unable to recognise the format"): the module stays unstripped.

set -uo pipefail
. "$(dirname "$0")/lib.sh"

name=${1:?usage: dkms-arm64.sh NAME}
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

root=${BUILDROOT%/}
if [ -n "$root" ]; then
	mkdir -p "$root/build"
	priv=$(mktemp -d "$root/build/dkms-arm64.XXXXXX")
	exec 8> "$SAC_CACHE/dkms-$SUITE.lock"
else
	mkdir -p "$SAC_CACHE/dkms"
	priv=$(mktemp -d "$SAC_CACHE/dkms/$name.XXXXXX")
	exec 8> "$SAC_CACHE/dkms/$name.lock"
fi
flock 8
trap 'rm -rf "$priv"' EXIT
p=${priv#"$root"}

# dk ARGS...: dkms with the private trees, in the build root, the arm64
# headers overlaid on its /usr/src. 6.1's headers cross-compile when
# DEB_HOST_ARCH differs from DEB_BUILD_ARCH (their .kernelvariables); the
# 6.12 and 7.2 ones always do.
dk() {
	unshare -m --propagation private sh -c '
		r=$1 k=$2 p=$3; shift 3
		mount -t overlay overlay -o "lowerdir=$k:$r/usr/src" "$r/usr/src" || exit 1
		set -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
			DEB_BUILD_ARCH=amd64 DEB_HOST_ARCH=arm64 DEB_HOST_GNU_TYPE=aarch64-linux-gnu \
			mok_signing_key="$p/mok.key" mok_certificate="$p/mok.pub" "$@"
		if [ -n "$r" ]; then
			mount -t proc proc "$r/proc" || exit 1
			mount -t devtmpfs dev "$r/dev" 2>/dev/null || mount --bind /dev "$r/dev"
			exec chroot "$r" "$@"
		fi
		exec "$@"' sh "$root" "$KSRC" "$p" \
		dkms --sourcetree "$p/src" --dkmstree "$p/tree" --installtree "$p/install" "$@"
}

mkdir -p "$priv/tree" "$priv/install/$KVER"
step "make dkms-install DESTDIR=$priv (sources to /usr/src/$PKG-$VERSION)" \
	make -s -C "$SAC_TOP" dkms-install DESTDIR="$priv" || { echo "1..$n"; exit 1; }
mv "$priv/usr/src" "$priv/src"

dkver=$(dk --version 2>/dev/null | head -n1)
echo "# $dkver, kernel $KVER (arm64, cross, build root ${BUILDROOT})"
# Both modules of dkms.conf (iommu_sac and iommu_sac_fops) into the
# guest's module tree, each an arm64 object of VERSION for KVER.
built=
if step "dkms add ($dkver)" dk add -m "$PKG" -v "$VERSION" &&
   step "dkms build -k $KVER -a aarch64" dk build -m "$PKG" -v "$VERSION" -k "$KVER" -a aarch64 \
	--kernelsourcedir "$KDIR"; then
	built=yes
fi
guestdir=$overlay/lib/modules/$KVER/updates/dkms
for m in iommu_sac iommu_sac_fops; do
	[ -n "$built" ] || break
	mod=$(find "$priv/tree/$PKG/$VERSION/$KVER/aarch64/module" -maxdepth 1 -name "$m.ko*" 2>/dev/null | head -n1)
	if [ -n "$mod" ]; then
		ok "dkms built ${mod#"$priv/"}"
	else
		not_ok "dkms built $m in tree/$PKG/$VERSION/$KVER/aarch64/module"
		built=
		break
	fi
	mkdir -p "$guestdir"
	case $mod in
	*.xz)  xz -dc "$mod" > "$guestdir/$m.ko" ;;
	*.zst) zstd -q -dc "$mod" > "$guestdir/$m.ko" ;;
	*.gz)  gzip -dc "$mod" > "$guestdir/$m.ko" ;;
	*)     cp "$mod" "$guestdir/$m.ko" ;;
	esac
	if file "$guestdir/$m.ko" | grep -q 'ARM aarch64'; then
		ok "$m is an arm64 object"
	else
		not_ok "$m is an arm64 object ($(file -b "$guestdir/$m.ko"))"
	fi
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
done
if [ -n "$built" ]; then
	mkdir -p "$overlay/etc/modprobe.d" "$overlay/etc/sac"
	cp "$SAC_TOP/etc/modprobe.d/iommu-sac.conf" "$overlay/etc/modprobe.d/"
	echo "$VERSION" > "$overlay/etc/sac/version"
fi
step "dkms remove --all" dk remove -m "$PKG" -v "$VERSION" --all
echo "1..$n"
[ "$failed" -eq 0 ]
