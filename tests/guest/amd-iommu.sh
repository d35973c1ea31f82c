#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Behind QEMU's AMD-Vi (the amd lanes): what the emulation does with DMA
# above 4 GiB, and the reserved regions the iova32 view counts.
#
# 1. One device alone above 4 GiB (docs/kernels-notes.md). The full edu
#    (QEMU dma_mask all ones) on policy dac, DMA mask N bits from 64 down
#    to 33: the kernel's allocator hands out IOVAs just below 2^N; one
#    byte-checked round trip per N. QEMU's AMD-Vi translates every width for
#    a device alone; what it breaks is two devices at the same high IOVAs.
# 2. The iova32 view's reserved pages = the union of the host bridge's
#    memory windows (/proc/iomem "PCI Bus 0000:00") and the group's
#    /sys/kernel/iommu_groups/N/reserved_regions (AMD-Vi: its MSI range and
#    the HyperTransport range 0xfd00000000-0xffffffffff), below and above
#    4 GiB.
# lanes: amd
# timeout: 300
. ./lib.sh

ls /sys/class/iommu/ 2>/dev/null | grep -q '^ivhd' || skip_all "no AMD-Vi IOMMU (not an amd lane)"
SAC=/sys/kernel/debug/iommu_sac
E=/sys/kernel/debug/sac_edu/$EDU

unload_sac iommu_sac
check "sac_edu.ko loads" load_sac sac_edu
check "iommu_sac.ko loads with $EDU on dac" load_sac iommu_sac devices=$EDU=dac

# Widest first, after emptying the domain's IOVA caches: every width then
# gets fresh IOVAs just below 2^N (a cached IOVA of a wider mask never fits
# a narrower one), which the check on the IOVA proves.
flush_iova_caches $E
# bitlen IOVA: its number of significant bits (64-bit signed arithmetic).
bitlen() {
	local v=$(($1)) n=0
	[ "$v" -lt 0 ] && { echo 64; return; }
	while [ "$v" -ne 0 ]; do v=$((v >> 1)); n=$((n + 1)); done
	echo $n
}
# The kernel's aperture A (bits): where the 64-bit mask's IOVA lands
# (6.1: 64; 7.2 limits AMD-Vi domains to 48). A width N then gets IOVAs
# just below 2^min(N, A). Widths whose top is free: the q35 64-bit PCI
# window (below 36 GiB) and AMD-Vi's HyperTransport range (just below
# 2^40, so 40 lands under it) are reserved.
A=
good= bad=
for bits in 64 63 60 57 56 53 52 50 49 48 47 44 40 39 36; do
	echo "$bits" > $E/dma_bits || { not_ok "dma_bits $bits"; continue; }
	echo 64 > $E/roundtrip
	set -- $(cat $E/roundtrip)
	to=${3#iova_to=}
	[ -n "$A" ] || { A=$(bitlen "$to"); diag "aperture of the edu's domain: $A bits"; }
	w=$bits
	[ "$w" -gt "$A" ] && w=$A
	check_eq "dma_bits $bits: round trip, IOVA $to of $w bits (min($bits, aperture $A))" \
		"result=ok $w" "$1 $(bitlen "$to")"
	if [ "$1" = result=ok ]; then good="$good $bits"; else bad="$bad $bits"; fi
done
check "the aperture reaches above 2^44 ($A bits)" [ "$A" -ge 45 ]
diag "round trips ok with masks of:$good bits; lost with:${bad:- none}"
echo 64 > $E/dma_bits
# The rule of the amd lanes: no second device above 4 GiB next to the edu.
for d in NVME NIC0 NIC1; do
	eval addr=\$$d
	check_eq "$d stays below 4 GiB (state)" sac "$(kv $SAC/devices/$addr/state state)"
done

# The union of [lo, hi] hex ranges on stdin, split at 4 GiB: prints
# "PAGES_BELOW PAGES_ABOVE" (4 KiB pages). busybox awk computes in doubles:
# exact below 2^53, enough for these addresses.
pages_of() {
	awk 'function h(s,  i, v, c) { v = 0; s = tolower(s); sub(/^0x/, "", s)
		for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)) - 1; v = v * 16 + c }
		return v }
	{ lo[NR] = h($1); hi[NR] = h($2); n = NR }
	END {
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (lo[j] < lo[i]) {
			t = lo[i]; lo[i] = lo[j]; lo[j] = t; t = hi[i]; hi[i] = hi[j]; hi[j] = t }
		G = 4294967296; b = 0; a = 0; cl = -1; ch = -1
		for (i = 1; i <= n + 1; i++) {
			if (i <= n && cl >= 0 && lo[i] <= ch + 1) { if (hi[i] > ch) ch = hi[i]; continue }
			if (cl >= 0) {
				s = int(cl / 4096); e = int(ch / 4096)
				if (s < G / 4096) { m = (e < G / 4096 - 1) ? e : G / 4096 - 1; b += m - s + 1 }
				if (e >= G / 4096) { m = (s > G / 4096) ? s : G / 4096; a += e - m + 1 }
			}
			if (i <= n) { cl = lo[i]; ch = hi[i] }
		}
		printf "%d %d\n", b, a }'
}

for d in EDU NVME; do
	eval addr=\$$d
	g=$(basename "$(readlink /sys/bus/pci/devices/$addr/iommu_group)")
	R=/sys/kernel/iommu_groups/$g/reserved_regions
	diag "$d group $g reserved_regions: $(tr '\n' ';' < $R)"
	check "$d: AMD-Vi's HyperTransport range 0xfd00000000-0xffffffffff is reserved" \
		grep -q '^0x000000fd00000000 0x000000ffffffffff reserved' $R
	{
		# the host bridge's memory windows, then the group's regions
		# but software MSI (there is none on x86: "msi" is the
		# IOMMU's own interrupt range)
		sed -n 's/^\([0-9a-f]*\)-\([0-9a-f]*\) : PCI Bus 0000:00$/\1 \2/p' /proc/iomem
		awk '{ print $1, $2 }' $R
	} > /tmp/resv.$d
	set -- $(pages_of < /tmp/resv.$d)
	V=$SAC/devices/$addr/iova32
	check_eq "$d: iova32 reserved32_pages = windows + reserved_regions below 4 GiB" \
		"$1" "$(kv $V reserved32_pages)"
	check_eq "$d: iova32 reserved_high_pages = windows + reserved_regions above 4 GiB" \
		"$2" "$(kv $V reserved_high_pages)"
done

check "iommu_sac.ko unloads" unload_sac iommu_sac
done_testing
