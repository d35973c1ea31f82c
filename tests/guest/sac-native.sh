#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Kernels with the native per-device bit (dev->iommu->pci_32bit_workaround):
# it equals the module's state after our switch, after a rearm, after the
# kernel's own switch (policy kernel) and after a group type change, where
# iommu_setup_dma_ops() sets the bit again behind the module's back; the
# module follows and says so (trace event sac_rearm/sac_switch by=kernel).
# On unload the bit is left equal to the state.
# kernels: 6.12 7.2
# lanes: core
# timeout: 300
. ./lib.sh

SAC=/sys/kernel/debug/iommu_sac
E=/sys/kernel/debug/sac_edu/$EDU
ST=$SAC/devices/$EDU/state
TRACE=/sys/kernel/tracing/trace
EV=/sys/kernel/tracing/events/iommu_sac

# same WHEN STATE: the state is STATE and the native bit equals it.
same() {
	local want
	[ "$2" = sac ] && want=1 || want=0
	check_eq "$1: EDU state" "$2" "$(kv $ST state)"
	check_eq "$1: EDU native_bit" "$want" "$(kv $ST native_bit)"
}

exhaust() {
	echo all > $E/release
	sleep 1
	echo "2048 512" > $E/fill
	echo all > $E/release
	sleep 1
}

# set_type TYPE: unbind sac_edu, write the group type, bind again.
set_type() {
	echo "$EDU" > /sys/bus/pci/drivers/sac_edu/unbind
	echo "$1" > $GROUP/type
	echo "$EDU" > /sys/bus/pci/drivers/sac_edu/bind
	check_eq "group type set to $1" "$1" "$(cat $GROUP/type)"
}

unload_sac iommu_sac
check "sac_edu.ko loads" load_sac sac_edu
# After the bind: on arm64 (device tree) the group comes with the first
# driver bind (of_dma_configure() at probe), not at boot.
GROUP=/sys/kernel/iommu_groups/$(basename "$(readlink /sys/bus/pci/devices/$EDU/iommu_group)")
check "iommu_sac.ko loads" load_sac iommu_sac
check_eq "stats: native_bit" yes "$(kv $SAC/stats native_bit)"
echo all > $SAC/rearm
same "after rearm all" sac
echo 0 > $EV/enable
echo > $TRACE
echo 1 > $EV/sac_switch/enable
echo 1 > $EV/sac_rearm/enable

exhaust
same "after our switch (policy auto)" dac
check_eq "last_switch_by" alloc "$(kv $ST last_switch_by)"
echo "$EDU" > $SAC/rearm
same "after rearm" sac

# The kernel's own allocator switches the device under policy kernel.
echo kernel > $SAC/devices/$EDU/policy
sw=$(kv $ST switches)
exhaust
same "after the kernel's own switch (policy kernel)" dac
check_eq "the module followed: last_switch_by" kernel "$(kv $ST last_switch_by)"
check_eq "the module followed: switches" $((sw + 1)) "$(kv $ST switches)"
check "trace: sac_switch by=kernel" grep -q "sac_switch: dev=$EDU state=dac .*by=kernel" $TRACE
echo auto > $SAC/devices/$EDU/policy
same "policy back to auto" dac

# Group type change DMA-FQ -> DMA: a new default domain, and
# iommu_setup_dma_ops() sets the bit again; the module follows.
type0=$(cat $GROUP/type)
case $type0/$(uname -m) in
DMA-FQ/*)
	ok "EDU's group type at the start (DMA-FQ)" ;;
DMA/aarch64)
	# Debian's arm64 kernels default to strict invalidation
	# (CONFIG_IOMMU_DEFAULT_DMA_STRICT=y): add the flush queue first,
	# which keeps the domain, so the bit and the state stay as they are.
	ok "EDU's group type at the start (DMA: strict invalidation by default)"
	set_type DMA-FQ
	same "after DMA -> DMA-FQ at the start (same domain)" dac ;;
*)
	not_ok "EDU's group type at the start (expected DMA-FQ, or DMA on arm64; saw '$type0')" ;;
esac
echo > $TRACE
set_type DMA
same "after the group type change to DMA" sac
check "trace: sac_rearm by=kernel (followed the kernel's reset)" \
	grep -q "sac_rearm: dev=$EDU state=sac .*by=kernel" $TRACE
echo 64 > $E/roundtrip
set -- $(cat $E/roundtrip)
check_eq "roundtrip after the type change" result=ok "$1"
check "roundtrip after the type change: 32-bit IOVA (${3#iova_to=})" is_below_4g "${3#iova_to=}"
same "after a roundtrip" sac

# Switched, then DMA -> DMA-FQ: the kernel adds a flush queue to the same
# domain without iommu_setup_dma_ops(): the bit stays clear, so does the
# state.
exhaust
same "switched again in the new domain" dac
echo > $TRACE
set_type DMA-FQ
same "after DMA -> DMA-FQ (same domain)" dac
check_eq "trace: no sac_rearm for EDU" 0 "$(grep -c "sac_rearm: dev=$EDU " $TRACE)"
# Switched, DMA-FQ -> DMA: reset again, from dac this time.
set_type DMA
same "after DMA-FQ -> DMA from state dac" sac
check "trace: sac_rearm by=kernel" grep -q "sac_rearm: dev=$EDU state=sac .*by=kernel" $TRACE

# A policy override survives the re-probe.
echo dac > $SAC/devices/$EDU/policy
set_type DMA-FQ
set_type DMA
check_eq "policy override survives the type changes" dac "$(cat $SAC/devices/$EDU/policy)"
same "policy dac after the type changes" sac
set_type "$type0"
echo auto > $SAC/devices/$EDU/policy

# Unload leaves the bit equal to the state: switch, unload, the kernel
# carries on with DAC; rearm, unload, the kernel tries 32-bit.
exhaust
same "before unload" dac
check "iommu_sac.ko unloads" unload_sac iommu_sac
echo 64 > $E/roundtrip
set -- $(cat $E/roundtrip)
check "unloaded in state dac: the kernel gives IOVAs above 4 GiB (${3#iova_to=})" \
	is_above_4g "${3#iova_to=}"
check "iommu_sac.ko loads again" load_sac iommu_sac
same "reloaded: state from the native bit" dac
echo "$EDU" > $SAC/rearm
check "iommu_sac.ko unloads in state sac" unload_sac iommu_sac
echo 64 > $E/roundtrip
set -- $(cat $E/roundtrip)
check "unloaded in state sac: the kernel gives 32-bit IOVAs (${3#iova_to=})" \
	is_below_4g "${3#iova_to=}"

echo 0 > $EV/enable
echo > $TRACE
check "sac_edu.ko unloads" unload_sac sac_edu
done_testing
