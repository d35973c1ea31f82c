#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Policy auto (upstream 6.6 semantics): the full edu switches to its full
# range exactly once, at its first 32-bit exhaustion: state dac, one switch,
# the size that failed, one "Using N-bit DMA addresses" notice and one
# sac_switch trace event; the other devices stay on 32-bit. rearm (by name
# and "all") brings it back: the next allocation tries 32-bit again. Where
# the kernel has the native bit (6.12+) it equals the state at every step.
# On the amd lanes the edu maps with a 48-bit DMA mask, the one QEMU's AMD-Vi
# emulation keeps apart from other devices (docs/kernels-notes.md).
# lanes: core amd
# timeout: 300
. ./lib.sh

SAC=/sys/kernel/debug/iommu_sac
E=/sys/kernel/debug/sac_edu/$EDU
ST=$SAC/devices/$EDU/state
DS=$SAC/devices/$EDU/stats
EV=/sys/kernel/tracing/events/iommu_sac
TRACE=/sys/kernel/tracing/trace

# native_matches WHEN: on kernels with the native bit, it equals the state.
native_matches() {
	local st nb want
	for d in EDU EDU32; do
		eval addr=\$$d
		st=$(kv "$SAC/devices/$addr/state" state)
		nb=$(kv "$SAC/devices/$addr/state" native_bit)
		# (by the kernel, not by what the module says of it)
		if [ "$(kernel_mm)" = 6.1 ]; then
			check_eq "$1: $d native_bit (none on $(kernel_mm))" none "$nb"
			continue
		fi
		[ "$st" = sac ] && want=1 || want=0
		check_eq "$1: $d native_bit equals state $st" "$want" "$nb"
	done
}

notices() { dmesg | grep -c "$EDU: Using [0-9]*-bit DMA addresses"; }
events() { grep -c "$1: .*dev=$EDU " $TRACE; }

unload_sac iommu_sac
check "sac_edu.ko loads" load_sac sac_edu
check "iommu_sac.ko loads" load_sac iommu_sac
echo all > $SAC/rearm
for d in $EDU $EDU32; do
	echo all > /sys/kernel/debug/sac_edu/$d/release
done
sleep 1
check_eq "default_policy" auto "$(cat $SAC/default_policy)"

echo 0 > $EV/enable
echo > $TRACE
echo 1 > $EV/sac_switch/enable
echo 1 > $EV/sac_rearm/enable
check_eq "EDU state before" sac "$(kv $ST state)"
sw0=$(kv $ST switches)
native_matches "before"

# The expected notice: bits_per() of the device's limit, capped by the
# IOMMU's address width (the domain aperture). VT-d: MGAW from the cap
# register. SMMUv3: its stage-1 input size. AMD-Vi: the edu's mask is 48
# bits, at or below the aperture of every kernel (6.1: 64 bits, 7.2: 48;
# amd-iommu.sh measures it).
if [ -e /sys/class/iommu/dmar0/intel-iommu/cap ]; then
	cap=0x$(cat /sys/class/iommu/dmar0/intel-iommu/cap)
	mgaw=$(( ((cap >> 16) & 0x3f) + 1 ))
	iommu="IOMMU MGAW $mgaw"
elif ls -d /sys/class/iommu/smmu3.* >/dev/null 2>&1; then
	# Arm SMMUv3 stage 1 (arm-smmu-v3.c, arm_smmu_domain_finalise():
	# "ias = (smmu->features & ARM_SMMU_FEAT_VAX) ? 52 : 48; ias =
	# min_t(unsigned long, ias, VA_BITS)", aperture_end = 2^ias - 1).
	# ARM_SMMU_FEAT_VAX is bit 14 of the features the driver logs; with
	# it, VA_BITS decides (Debian: 48 on 6.1, 52 from 6.12).
	feat=$(dmesg | grep -m1 -oE 'arm-smmu-v3 .*\(features 0x[0-9a-f]+\)' | grep -oE '0x[0-9a-f]+\)$' | tr -d ')')
	mgaw=48
	if [ -n "$feat" ] && [ $(( feat & (1 << 14) )) -ne 0 ]; then
		case $(kernel_mm) in 6.1) mgaw=48 ;; *) mgaw=52 ;; esac
	fi
	iommu="SMMUv3 stage-1 input size $mgaw"
else
	echo 48 > $E/dma_bits
	mgaw=48
	iommu="AMD-Vi, edu mask $(cat $E/dma_bits) bits"
fi
lim=$(kv $ST dma_limit_bits)
bits=$(( lim < mgaw ? lim : mgaw ))
diag "EDU dma_limit_bits $lim, $iommu: expect a $bits-bit notice"

echo 1 > $SAC/reset_stats
n0=$(notices)
echo "2048 512" > $E/fill
below=$(kv $E/held below4g)
above=$(kv $E/held above4g)
check_eq "fill 2048 x 2 MiB: mappings" 2048 $((below + above))
check "fill ran the 32-bit space out ($below below, $above above 4 GiB)" [ "$above" -gt 0 ]
check_eq "EDU state after the exhaustion" dac "$(kv $ST state)"
check_eq "EDU switches" $((sw0 + 1)) "$(kv $ST switches)"
check_eq "EDU last_switch_size (the 2 MiB mapping that failed)" 2097152 \
	"$(kv $ST last_switch_size)"
check_eq "EDU last_switch_by" alloc "$(kv $ST last_switch_by)"
check "EDU last_switch_ns set ($(kv $ST last_switch_ns))" [ "$(kv $ST last_switch_ns)" -gt 0 ]
check_eq "EDU counter switches" 1 "$(kv $DS switches)"
check_eq "EDU sac_misses (one failed 32-bit attempt)" 1 "$(kv $DS sac_misses)"
check_eq "EDU sac_tries (each 32-bit mapping and the one that failed)" $((below + 1)) \
	"$(kv $DS sac_tries)"
check_eq "EDU dac_allocs" "$above" "$(kv $DS dac_allocs)"
check_eq "dmesg: new 'Using N-bit DMA addresses' notices for EDU" 1 $(( $(notices) - n0 ))
check_eq "dmesg: the notice" "sac_edu $EDU: Using $bits-bit DMA addresses" \
	"$(dmesg | grep "$EDU: Using [0-9]*-bit DMA addresses" | tail -n1 | sed 's/^\[[^]]*\] //')"
check_eq "trace: sac_switch events for EDU" 1 "$(events sac_switch)"
check "trace: sac_switch says bits=$bits size=2097152 by=alloc" \
	grep -q "sac_switch: dev=$EDU state=dac bits=$bits size=2097152 by=alloc" $TRACE
native_matches "after the switch"
for d in EDU32 NVME NIC0 NIC1; do
	eval addr=\$$d
	check_eq "$d stays sac" sac "$(kv $SAC/devices/$addr/state state)"
done
echo 64 > /sys/kernel/debug/sac_edu/$EDU32/roundtrip
set -- $(cat /sys/kernel/debug/sac_edu/$EDU32/roundtrip)
check_eq "EDU32 roundtrip" result=ok "$1"
check "EDU32 still gets 32-bit IOVAs (${3#iova_to=})" is_below_4g "${3#iova_to=}"

# No second switch: more mappings, holes punched below 4 GiB, more mappings.
echo "stride 2" > $E/release
sleep 1
echo "64 512" > $E/fill
tail -n 64 $E/iovas | grep -vc '^0x[0-9a-f]\{1,8\} ' > /tmp/n
check_eq "after holes below 4 GiB: new mappings above 4 GiB (no 32-bit attempt)" 64 "$(cat /tmp/n)"
check_eq "EDU switches still" $((sw0 + 1)) "$(kv $ST switches)"
check_eq "EDU sac_misses still" 1 "$(kv $DS sac_misses)"
check_eq "dmesg: notices for EDU still" 1 $(( $(notices) - n0 ))
check_eq "trace: sac_switch events for EDU still" 1 "$(events sac_switch)"

# rearm by name on a freed space: 32-bit attempts again, and a second
# exhaustion switches it a second time.
echo all > $E/release
sleep 1
echo 1 > $SAC/reset_stats
echo "$EDU" > $SAC/rearm
check_eq "rearm $EDU: state" sac "$(kv $ST state)"
native_matches "after rearm by name"
check_eq "trace: sac_rearm events for EDU" 1 "$(events sac_rearm)"
check "trace: sac_rearm says by=user" grep -q "sac_rearm: dev=$EDU state=sac .*by=user" $TRACE
echo "2048 512" > $E/fill
below=$(kv $E/held below4g)
check "after rearm: 32-bit IOVAs again ($below)" [ "$below" -gt 0 ]
check_eq "after rearm: EDU sac_hits" "$below" "$(kv $DS sac_hits)"
check_eq "after rearm: EDU sac_misses" 1 "$(kv $DS sac_misses)"
check_eq "EDU state" dac "$(kv $ST state)"
check_eq "EDU switches" $((sw0 + 2)) "$(kv $ST switches)"
check_eq "dmesg: notices for EDU" 2 $(( $(notices) - n0 ))
check_eq "trace: sac_switch events for EDU" 2 "$(events sac_switch)"
native_matches "after the second switch"

# rearm all, on a freed space: 32-bit again, every mapping.
echo all > $E/release
sleep 1
echo all > $SAC/rearm
check_eq "rearm all: EDU state" sac "$(kv $ST state)"
native_matches "after rearm all"
echo 1 > $SAC/reset_stats
echo "500 4096" > $E/maploop
set -- $(cat $E/maploop)
check_eq "maploop 500 after rearm all: above 4 GiB" above4g=0 "$4"
check_eq "EDU sac_hits" 500 "$(kv $DS sac_hits)"
check_eq "EDU state stays" sac "$(kv $ST state)"

echo 0 > $EV/enable
echo > $TRACE
echo 64 > $E/dma_bits
check "iommu_sac.ko unloads" unload_sac iommu_sac
check "sac_edu.ko unloads" unload_sac sac_edu
done_testing
