#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Booted with iommu.forcedac=1, iommu_sac under policy auto respects it: the
# full edu gets IOVAs above 4 GiB at once, byte-exact, without a 32-bit
# attempt (6.1: the module read the kernel's bool, stats say forcedac 1;
# 6.12+: the module reads it too, the kernel's native bit is clear and the
# state says sac, as on 6.1). dma32 still
# keeps it below 4 GiB.
# boot: iommu.forcedac=1
# lanes: arm64
# timeout: 180
. ./lib.sh

SAC=/sys/kernel/debug/iommu_sac
E=/sys/kernel/debug/sac_edu/$EDU
ST=$SAC/devices/$EDU/state
DS=$SAC/devices/$EDU/stats

grep -q 'iommu.forcedac=1' /proc/cmdline || skip_all "not booted with iommu.forcedac=1"
unload_sac iommu_sac
check "sac_edu.ko loads" load_sac sac_edu
check "iommu_sac.ko loads" load_sac iommu_sac
check_eq "EDU effective policy" auto "$(kv $ST effective_policy)"
case $(kernel_mm) in
6.1)
	check_eq "stats: forcedac" 1 "$(kv $SAC/stats forcedac)"
	check_eq "dmesg: the module saw it" 1 \
		"$(dmesg | grep -c 'iommu_sac: iommu.forcedac=1: no 32-bit attempts')"
	;;
*)
	check_eq "stats: forcedac (read on every kernel)" 1 "$(kv $SAC/stats forcedac)"
	check_eq "EDU native_bit" 0 "$(kv $ST native_bit)"
	check_eq "EDU state sac as on 6.1 (forcedac, not a switch, cleared the bit)" sac "$(kv $ST state)"
	;;
esac

echo 1 > $SAC/reset_stats
for size in 1 4095; do
	echo $size > $E/roundtrip
	set -- $(cat $E/roundtrip)
	check_eq "EDU roundtrip of $size bytes" result=ok "$1"
	check "EDU roundtrip of $size bytes: IOVA above 4 GiB (${3#iova_to=})" \
		[ $(( ${3#iova_to=} >> 32 )) -ne 0 ]
done
echo "500 4096" > $E/maploop
set -- $(cat $E/maploop)
check_eq "maploop 500: above 4 GiB" above4g=500 "$4"
check_eq "EDU allocs" 504 "$(kv $DS allocs)"
check_eq "EDU sac_tries (none)" 0 "$(kv $DS sac_tries)"
check_eq "EDU dac_allocs" 504 "$(kv $DS dac_allocs)"
check_eq "EDU switches (nothing to switch)" 0 "$(kv $DS switches)"

echo dma32 > $SAC/devices/$EDU/policy
echo 64 > $E/roundtrip
set -- $(cat $E/roundtrip)
check_eq "dma32: EDU roundtrip" result=ok "$1"
check "dma32: IOVA below 4 GiB (${3#iova_to=})" is_below_4g "${3#iova_to=}"
echo default > $SAC/devices/$EDU/policy

check "iommu_sac.ko unloads" unload_sac iommu_sac
check "sac_edu.ko unloads" unload_sac sac_edu
done_testing
