#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# edu DMA round trips through the IOMMU are byte-exact, and a 64-bit capable
# PCI device gets 32-bit IOVAs first (the kernel's SAC trick), both on the
# full edu and on the one that drops high address bits.
# lanes: arm64
# timeout: 120
. ./lib.sh

# On 6.12+ an earlier test of this boot may have switched EDU (a user's
# guide walk-through, a fill) and unloaded iommu_sac, which leaves the
# kernel's own per-device bit equal to the device's state: re-arm every
# device through the module once, so the kernel's default is what is seen.
if [ -e /lib/sac/iommu_sac.ko ] && ! grep -q '^iommu_sac ' /proc/modules; then
	insmod /lib/sac/iommu_sac.ko &&
		echo all > /sys/kernel/debug/iommu_sac/rearm &&
		rmmod iommu_sac
	check_eq "every device re-armed through iommu_sac and the module unloaded" 0 $?
fi
check "sac_edu.ko loads" load_sac sac_edu
for d in EDU EDU32; do
	eval addr=\$$d
	dir=/sys/kernel/debug/sac_edu/$addr
	check "$d ($addr) bound to sac_edu" [ -d "$dir" ]
	check_eq "$d DMA mask" 64 "$(cat "$dir/dma_bits")"
	for size in 1 512 4095; do
		echo "$size" > "$dir/roundtrip"
		r=$(cat "$dir/roundtrip")
		set -- $r
		check_eq "$d roundtrip of $size bytes is byte-exact" result=ok "$1"
		to=${3#iova_to=}
		from=${4#iova_from=}
		check "$d roundtrip of $size bytes used 32-bit IOVAs ($to, $from)" \
			sh -c "[ $(( to >> 32 )) -eq 0 ] && [ $(( from >> 32 )) -eq 0 ] && [ $(( to )) -ne 0 ]"
	done
done
check "sac_edu.ko unloads" unload_sac sac_edu
done_testing
