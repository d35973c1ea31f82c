#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The emulated Intel IOMMU is active and every test device sits behind it in
# a DMA-API domain (iommu-dma allocates its IOVAs).
# timeout: 60
. ./lib.sh

check "DMAR unit dmar0 registered" [ -e /sys/class/iommu/dmar0 ]
ngroups=$(ls /sys/kernel/iommu_groups | wc -l)
check "IOMMU groups exist ($ngroups)" [ "$ngroups" -gt 0 ]
for d in EDU EDU32 NVME NIC0 NIC1; do
	eval addr=\$$d
	g=/sys/bus/pci/devices/$addr/iommu_group
	if [ ! -e "$g" ]; then
		not_ok "$d ($addr) is in an IOMMU group"
		continue
	fi
	type=$(cat "$g/type")
	case "$type" in
	DMA|DMA-FQ) ok "$d ($addr) in group $(basename "$(readlink "$g")") type $type" ;;
	*) not_ok "$d ($addr) group type is DMA or DMA-FQ (saw $type)" ;;
	esac
	check "$d ($addr) listed under dmar0" [ -e "/sys/class/iommu/dmar0/devices/$addr" ]
done
done_testing
