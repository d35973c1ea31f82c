#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# setup.d/inline-guard.sh KNAME: is the hook's target still a function of
# its own in this kernel's image, called where the module expects it?
# (issue 12, defect 8.) iommu_sac redirects iommu_dma_alloc_iova(), a
# static function of drivers/iommu/dma-iommu.c: a release whose compiler
# inlined it into a caller would map DMA without ever reaching the hook.
#
# From the kernel's own image: vmlinux unpacked from vmlinuz (by hand: the
# compressed payload's magic, then xz/zstd/gzip), symbols from System.map
# (the real one: Debian's image packages ship a stub, see below). The code within 96 KiB
# around iommu_dma_alloc_iova (all of dma-iommu.c and its neighbours) is
# disassembled; every direct call is attributed to the function that holds
# it. It fails, naming the function, when:
#   - iommu_dma_alloc_iova or alloc_iova_fast is not in System.map;
#   - anything but iommu_dma_alloc_iova calls alloc_iova_fast there (its
#     body was inlined into that function);
#   - a caller the kernel's source has (EXPECT below, read from the
#     dma-iommu.c of each release) no longer calls iommu_dma_alloc_iova.
# A new caller is listed, not failed: it still goes through the hook.
# To see it fail: SAC_GUARD_PLANT=caller expects a caller that does not
# exist; SAC_GUARD_PLANT=inline pretends iommu_dma_alloc_iova is not the
# function allowed to call alloc_iova_fast (as if it had been inlined).
# Prints TAP; prints nothing for a kernel that is not provisioned.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"

name=${1:?usage: inline-guard.sh KNAME}
desc=$(kdesc "$name")
[ -e "$desc" ] || exit 0
# shellcheck disable=SC1090
. "$desc"

# The functions that call iommu_dma_alloc_iova() in each Debian image
# (from their dma-iommu.c; static callers may be inlined into theirs, so
# the names are the ones the images hold, compiler suffixes such as
# .constprop.0 dropped):
#   6.1, 6.12: __iommu_dma_map, __iommu_dma_alloc_noncontiguous,
#     iommu_dma_map_sg, and iommu_dma_get_msi_page inlined into
#     iommu_dma_prepare_msi;
#   7.2: the same, dma_iova_try_alloc, and iommu_dma_get_msi_page inlined
#     into iommu_dma_sw_msi.
declare -A EXPECT=(
	[6.1]="__iommu_dma_map __iommu_dma_alloc_noncontiguous iommu_dma_map_sg iommu_dma_prepare_msi"
	[6.12]="__iommu_dma_map __iommu_dma_alloc_noncontiguous iommu_dma_map_sg iommu_dma_prepare_msi"
	[7.2]="__iommu_dma_map __iommu_dma_alloc_noncontiguous iommu_dma_map_sg dma_iova_try_alloc iommu_dma_sw_msi"
)

. "$SAC_TOP/tests/vm/tap.sh"

expect=${EXPECT[$name]:-${EXPECT[${name%%-*}]:-}}
if [ -z "$expect" ]; then
	echo "ok 1 - callers of iommu_dma_alloc_iova on $name # SKIP no expectation recorded for $name"
	echo "1..1"
	exit 0
fi
plant=${SAC_GUARD_PLANT:-}
[ "$plant" = caller ] && expect="$expect iommu_dma_planted_caller"
owner=iommu_dma_alloc_iova
[ "$plant" = inline ] && owner=iommu_dma_planted_owner

# Debian's image packages ship a stub System.map ("The real System.map is
# in the linux-image-KVER-dbg package"): the real one comes from the -dbg
# package, fetched once with the kernel root's own apt and kept in
# $SAC_CACHE/sysmap (only System.map is extracted from it).
real_map() { [ -s "$1" ] && [ "$(wc -l < "$1")" -gt 1000 ]; }
cache=$SAC_CACHE/sysmap
map=
for m in "$ROOT/boot/System.map-$KVER" "$MODDIR/System.map" "$cache/System.map-$KVER"; do
	real_map "$m" && { map=$m; break; }
done
if [ -z "$map" ]; then
	mkdir -p "$cache"
	tmp=$(mktemp -d "${ROOT%/}/tmp/sac-dbg.XXXXXX")
	in_root "$ROOT" sh -c "cd '/tmp/${tmp##*/}' && apt-get download -qq 'linux-image-$KVER-dbg'" \
		> "$cache/dbg-$KVER.log" 2>&1
	deb=$(ls "$tmp"/*.deb 2>/dev/null | head -1)
	if [ -n "$deb" ]; then
		dpkg-deb --fsys-tarfile "$deb" 2>/dev/null |
			tar -xO --wildcards --occurrence=1 \
				"./usr/lib/debug/boot/System.map-$KVER" \
				"./usr/lib/debug/lib/modules/$KVER/System.map" \
			> "$cache/System.map-$KVER.part" 2>/dev/null
		real_map "$cache/System.map-$KVER.part" &&
			mv "$cache/System.map-$KVER.part" "$cache/System.map-$KVER"
		rm -f "$cache/System.map-$KVER.part"
	fi
	rm -rf "$tmp"
	real_map "$cache/System.map-$KVER" && map=$cache/System.map-$KVER
fi
if [ -z "$map" ]; then
	not_ok "System.map of $KVER (stubs in /boot; linux-image-$KVER-dbg not fetched: $cache/dbg-$KVER.log)"
	finish
fi
ok "System.map of $KVER (${map#"${ROOT%/}"})"

work=$SAC_TOP/out/$name/inline-guard
mkdir -p "$work"
vmlinux=$work/vmlinux
if [ ! -s "$vmlinux" ] || [ "$VMLINUZ" -nt "$vmlinux" ]; then
	python3 - "$VMLINUZ" "$vmlinux" <<'PY'
import lzma, subprocess, sys, zlib
src, dst = sys.argv[1:]
data = open(src, "rb").read()
for magic, how in ((b"\xfd7zXZ\x00", "xz"), (b"\x28\xb5\x2f\xfd", "zstd"),
                   (b"\x1f\x8b\x08\x00", "gzip")):
    i = data.find(magic)
    while i >= 0:
        blob = data[i:]
        try:
            if how == "xz":
                out = lzma.LZMADecompressor().decompress(blob)
            elif how == "gzip":
                out = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(blob)
            else:
                out = subprocess.run(["zstd", "-dc"], input=blob,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL).stdout
        except Exception:
            out = b""
        if out[:4] == b"\x7fELF":
            open(dst, "wb").write(out)
            sys.exit(0)
        i = data.find(magic, i + 1)
sys.exit(1)
PY
	if [ $? -ne 0 ]; then
		rm -f "$vmlinux"
		not_ok "vmlinux unpacked from $(basename "$VMLINUZ")"
		finish
	fi
fi
ok "vmlinux unpacked from $(basename "$VMLINUZ") ($(( $(stat -c %s "$vmlinux") >> 20 )) MiB)"

addr_of() { awk -v s="$1" '$3 == s { print $1; exit }' "$map"; }
target=$(addr_of iommu_dma_alloc_iova)
fast=$(addr_of alloc_iova_fast)
if [ -z "$target" ]; then
	not_ok "iommu_dma_alloc_iova is a function of its own in $KVER (not in System.map: inlined into its callers, the hook would never run)"
	finish
fi
ok "iommu_dma_alloc_iova is a function of its own (0x$target)"
if [ -z "$fast" ]; then
	not_ok "alloc_iova_fast in System.map of $KVER"
	finish
fi

lo=$(printf '0x%x' $(( 0x$target - 0xc000 )))
hi=$(printf '0x%x' $(( 0x$target + 0xc000 )))
# "site target" for every direct call in the window, then the function
# holding each site (System.map text symbols, sorted).
objdump -d --no-show-raw-insn --start-address="$lo" --stop-address="$hi" \
	"$vmlinux" 2>/dev/null |
	awk '$2 == "call" && $3 ~ /^0x[0-9a-f]+$/ {
		sub(":", "", $1); sub("^0x", "", $3); print $1, $3 }' \
	> "$work/calls"
awk 'tolower($2) == "t" { print $1, $3 }' "$map" | sort > "$work/text"
attribute() {	# TARGET: the functions holding a direct call to TARGET
	{ awk -v t="$1" '$2 == t { print $1, "@" }' "$work/calls"; cat "$work/text"; } |
		sort | awk '$2 == "@" { if (f != "") print f; next } { f = $2 }' |
		sed 's/\..*//' | sort -u
}
ncalls=$(wc -l < "$work/calls")
if [ "$ncalls" -lt 50 ]; then
	not_ok "disassembly of $lo..$hi has direct calls ($ncalls)"
	finish
fi

fast_callers=$(attribute "$fast" | tr '\n' ' ')
bad=$(echo "$fast_callers" | tr ' ' '\n' | grep -v '^$' | grep -vx "$owner" | tr '\n' ' ')
if [ -n "$bad" ]; then
	not_ok "only $owner calls alloc_iova_fast near it: ${bad% } call(s) it directly (iommu_dma_alloc_iova inlined there: those mappings bypass the hook)"
else
	ok "only $owner calls alloc_iova_fast near it (${fast_callers% })"
fi

callers=$(attribute "$target" | tr '\n' ' ')
echo "# callers of iommu_dma_alloc_iova on $KVER: ${callers% }"
for f in $expect; do
	if echo " $callers " | grep -q " $f "; then
		ok "$f calls iommu_dma_alloc_iova"
	else
		not_ok "$f calls iommu_dma_alloc_iova (it no longer does: inlined, or the source changed; the hook may be bypassed there)"
	fi
done
for f in $callers; do
	echo " $expect " | grep -q " $f " ||
		echo "# new caller of iommu_dma_alloc_iova on $KVER: $f (goes through the hook)"
done
finish
