#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# PCI hot remove and rescan through sysfs while iommu_sac is loaded: a
# removed device's directory goes, a rescanned one comes back afresh (the
# default policy, no runtime override, zero counters), sac_edu binds again
# and its DMA works; a devices= rule by address applies again.
# lanes: core
# smp: 4
# timeout: 300
. ./lib.sh

SAC=/sys/kernel/debug/iommu_sac

# wait_for PATH: up to 10 s for PATH to exist.
wait_for() {
	for i in $(seq 1 20); do
		[ -e "$1" ] && return 0
		sleep 0.5
	done
	return 1
}

unload_sac iommu_sac
check "sac_edu.ko loads" load_sac sac_edu
load_sac iommu_sac && echo all > $SAC/rearm && unload_sac iommu_sac
check "iommu_sac.ko loads with devices=$EDU=dac" load_sac iommu_sac devices=$EDU=dac
ndev=$(kv $SAC/stats devices)
check_eq "EDU policy (devices=)" dac "$(cat $SAC/devices/$EDU/policy)"
echo sac > $SAC/devices/$EDU32/policy
check_eq "EDU32 runtime policy" sac "$(cat $SAC/devices/$EDU32/policy)"
check_eq "EDU32 roundtrip before" ok "$(rt $EDU32 64)"
check_eq "EDU32 before: IOVAs of 8 x 256 KiB mappings" below "$(fill_class $EDU32)"
check_eq "EDU32 allocs before (one round trip, 8 mappings)" 10 "$(kv $SAC/devices/$EDU32/stats allocs)"

for round in 1 2; do
	echo 1 > /sys/bus/pci/devices/$EDU32/remove
	check "round $round: EDU32 removed from sysfs" [ ! -e /sys/bus/pci/devices/$EDU32 ]
	check "round $round: EDU32 device directory gone" [ ! -e $SAC/devices/$EDU32 ]
	check_eq "round $round: stats devices" $((ndev - 1)) "$(kv $SAC/stats devices)"
	echo 1 > /sys/bus/pci/rescan
	check "round $round: EDU32 device directory back after rescan" wait_for $SAC/devices/$EDU32
	check "round $round: sac_edu bound to EDU32 again" wait_for /sys/kernel/debug/sac_edu/$EDU32
	check_eq "round $round: stats devices" "$ndev" "$(kv $SAC/stats devices)"
	check_eq "round $round: EDU32 policy (the runtime override is gone)" default \
		"$(cat $SAC/devices/$EDU32/policy)"
	check_eq "round $round: EDU32 effective policy" auto \
		"$(kv $SAC/devices/$EDU32/state effective_policy)"
	check_eq "round $round: EDU32 state" sac "$(kv $SAC/devices/$EDU32/state state)"
	check_eq "round $round: EDU32 allocs start at zero" 0 \
		"$(kv $SAC/devices/$EDU32/stats allocs)"
	check_eq "round $round: EDU32 roundtrip" ok "$(rt $EDU32 4095)"
	check_eq "round $round: EDU32: IOVAs of 8 x 256 KiB mappings" below "$(fill_class $EDU32)"
	check_eq "round $round: EDU32 allocs (one round trip, 8 mappings)" 10 \
		"$(kv $SAC/devices/$EDU32/stats allocs)"
	echo dma32 > $SAC/devices/$EDU32/policy
done

check_eq "EDU roundtrip before (dac)" ok "$(rt $EDU 64)"
check_eq "EDU before (dac): IOVAs of 8 x 256 KiB mappings" above "$(fill_class $EDU)"
echo 1 > /sys/bus/pci/devices/$EDU/remove
check "EDU device directory gone" [ ! -e $SAC/devices/$EDU ]
echo 1 > /sys/bus/pci/rescan
check "EDU device directory back after rescan" wait_for $SAC/devices/$EDU
check "sac_edu bound to EDU again" wait_for /sys/kernel/debug/sac_edu/$EDU
check_eq "EDU policy after rescan: the devices= rule again" dac \
	"$(cat $SAC/devices/$EDU/policy)"
check_eq "EDU roundtrip after rescan" ok "$(rt $EDU 4095)"
check_eq "EDU after rescan: IOVAs of 8 x 256 KiB mappings" above "$(fill_class $EDU)"
check_eq "EDU allocs (one round trip, 8 mappings)" 10 "$(kv $SAC/devices/$EDU/stats allocs)"
check_eq "EDU dac_allocs" 10 "$(kv $SAC/devices/$EDU/stats dac_allocs)"

check "iommu_sac.ko unloads" unload_sac iommu_sac
check_eq "EDU roundtrip after unload" ok "$(rt $EDU 64)"
check_eq "EDU after unload: IOVAs of 8 x 256 KiB mappings" below "$(fill_class $EDU)"
check "sac_edu.ko unloads" unload_sac sac_edu
done_testing
