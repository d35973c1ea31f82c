#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Why policy dma32 exists (the second half of sac-dma32, apart because it
# needs the IOMMU's fault log): the edu that drops high address bits
# corrupts its data under dac (IOVA above 4 GiB: the IOMMU faults, the
# driver sees a mismatch or a timeout) and works under dma32. Not on the
# amd lanes: QEMU's AMD-Vi (7.2 and trixie's 10.0) never writes its event
# log, so no IO_PAGE_FAULT line can appear (docs/kernels-notes.md).
# allow: iommu-fault 0000:00:05.0
# lanes: core
# timeout: 300
. ./lib.sh

SAC=/sys/kernel/debug/iommu_sac

# roundtrip DIR SIZE: one round trip; sets rt_res rt_to rt_from.
roundtrip() {
	echo "$2" > "$1/roundtrip"
	set -- $(cat "$1/roundtrip")
	rt_res=${1#result=}
	rt_to=${3#iova_to=}
	rt_from=${4#iova_from=}
}

unload_sac iommu_sac
check "sac_edu.ko loads" load_sac sac_edu
check "iommu_sac.ko loads" load_sac iommu_sac
echo all > $SAC/rearm
echo all > /sys/kernel/debug/sac_edu/$EDU32/release
sleep 1

E32=/sys/kernel/debug/sac_edu/$EDU32
echo dac > $SAC/devices/$EDU32/policy
drain_iova_caches $E32
f0=$(iommu_faults $EDU32)
roundtrip $E32 256
echo all > $E32/release
check "EDU32 under dac: both IOVAs above 4 GiB ($rt_to, $rt_from)" \
	[ $(( rt_to >> 32 )) -ne 0 -a $(( rt_from >> 32 )) -ne 0 ]
case $rt_res in
mismatch|timeout) ok "EDU32 under dac: data does not arrive ($rt_res)" ;;
*) not_ok "EDU32 under dac: data does not arrive (expected mismatch or timeout, saw $rt_res)" ;;
esac
f1=$(wait_iommu_fault $EDU32 "$f0")
check "EDU32 under dac: the IOMMU faults its DMA (dmesg: $((f1 - f0)) new fault reports naming $EDU32)" \
	[ "$f1" -gt "$f0" ]
sleep 1
f1=$(iommu_faults $EDU32)
echo dma32 > $SAC/devices/$EDU32/policy
for size in 1 4095; do
	roundtrip $E32 $size
	check_eq "EDU32 under dma32: roundtrip of $size bytes" ok "$rt_res"
	check "EDU32 under dma32: IOVAs below 4 GiB ($rt_to, $rt_from)" \
		eval 'is_below_4g "$rt_to" && is_below_4g "$rt_from"'
done
sleep 1
check_eq "EDU32 under dma32: no new IOMMU fault reports naming it" "$f1" "$(iommu_faults $EDU32)"
echo default > $SAC/devices/$EDU32/policy

check "iommu_sac.ko unloads" unload_sac iommu_sac
check "sac_edu.ko unloads" unload_sac sac_edu
done_testing
