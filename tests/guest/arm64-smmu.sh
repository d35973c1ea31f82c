#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The arm64 lanes: QEMU virt's emulated SMMUv3 (-M virt,iommu=smmuv3) is
# active, translates for every test device on pcie.0 (each in a DMA-API
# group, listed under the SMMU's iommu class device), and its reserved
# regions are the software MSI window iommu-dma maps for GICv3 ITS doorbells
# (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c: MSI_IOVA_BASE 0x8000000,
# MSI_IOVA_LENGTH 0x100000, IOMMU_RESV_SW_MSI).
# lanes: arm64
# timeout: 60
. ./lib.sh

[ "$(uname -m)" = aarch64 ] || skip_all "not an arm64 guest (arm64 lanes only)"

# The SMMU's iommu class device: "smmu3.0x<base>" (arm_smmu_device_probe(),
# iommu_device_sysfs_add(..., "smmu3.%pa", &ioaddr)).
smmu=
for c in /sys/class/iommu/smmu3.*; do
	[ -e "$c" ] && smmu=$c
done
check "an SMMUv3 registered in /sys/class/iommu (${smmu:-none})" [ -n "$smmu" ]
dmesg | grep -m1 'arm-smmu-v3.*oas' | sed 's/^/# /'
# On arm64 (device tree) a PCI device gets its IOMMU group when a driver
# binds (of_dma_configure() at probe): bind sac_edu to the two edu first.
check "sac_edu.ko loads" load_sac sac_edu
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
	check "$d ($addr) listed under $(basename "${smmu:-smmu}")" [ -e "$smmu/devices/$addr" ]
	resv=$(cat "$g/reserved_regions")
	check_eq "$d ($addr) reserved regions: the software MSI window" \
		"0x0000000008000000 0x00000000080fffff msi" "$resv"
done
check "sac_edu.ko unloads" unload_sac sac_edu
done_testing
