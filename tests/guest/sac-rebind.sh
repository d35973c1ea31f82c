#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A driver re-bind and a domain change while unbound (issue 12, defects 4
# and 6).
# 6.12/7.2: iommu_setup_dma_ops() runs at the device's first IOMMU probe
# and on a group type change, not on a driver re-bind (__iommu_probe_device()
# returns early once dev->iommu_group is set): a switched device unbound and
# bound again keeps its native bit clear and stays dac.
# 6.1 (no native bit): the module forgets the device's domain when its
# driver unbinds, because the group's default domain may change while it is
# unbound and come back at the same address (DMA -> identity -> DMA, the
# slab object reused): whatever domain the next driver gets counts as new
# and re-arms the device (sac_rearm by=domain), with a fresh layout check.
# On every kernel: switched, unbound, DMA -> identity -> DMA, bound again:
# state sac, 32-bit IOVAs, layout verified.
# lanes: core
# timeout: 300
. ./lib.sh

SAC=/sys/kernel/debug/iommu_sac
E=/sys/kernel/debug/sac_edu/$EDU
ST=$SAC/devices/$EDU/state
DRV=/sys/bus/pci/drivers/sac_edu
TRACE=/sys/kernel/tracing/trace
EV=/sys/kernel/tracing/events/iommu_sac
GROUP=/sys/kernel/iommu_groups/$(basename "$(readlink /sys/bus/pci/devices/$EDU/iommu_group)")

exhaust() {
	echo all > $E/release
	echo "2048 512" > $E/fill
	echo all > $E/release
}

# iova: where the EDU's mappings go, "below" or "above" 4 GiB (lib.sh's
# fill_class: 256 KiB mappings, too big for the IOVA caches, which may
# still hold 32-bit IOVAs of earlier tests in this boot).
iova() {
	fill_class $EDU
}

unload_sac iommu_sac
check "sac_edu.ko loads" load_sac sac_edu
check "iommu_sac.ko loads" load_sac iommu_sac
echo 0 > $EV/enable
echo > $TRACE
echo 1 > $EV/sac_rearm/enable
echo all > $SAC/rearm
exhaust
check_eq "switched (policy auto)" dac "$(kv $ST state)"

# 1. Re-bind only.
echo > $TRACE
echo "$EDU" > $DRV/unbind
echo "$EDU" > $DRV/bind
check "EDU bound again" [ -e $E/roundtrip ]
case $(kv $SAC/stats native_bit) in
yes)
	check_eq "re-bind: native_bit stays clear (no iommu_setup_dma_ops)" 0 "$(kv $ST native_bit)"
	check_eq "re-bind: state stays dac" dac "$(kv $ST state)"
	check_eq "re-bind: IOVA" above "$(iova)"
	check_eq "re-bind: no sac_rearm" 0 "$(grep -c "sac_rearm: dev=$EDU " $TRACE)"
	;;
*)
	check_eq "re-bind (6.1: domain forgotten at unbind): state re-armed" sac "$(kv $ST state)"
	check "re-bind: trace sac_rearm by=domain" \
		grep -q "sac_rearm: dev=$EDU state=sac .*by=domain" $TRACE
	check_eq "re-bind: layout checked again" verified "$(kv $ST layout)"
	;;
esac

# 2. Switched, unbound, DMA -> identity -> DMA, bound again.
type0=$(cat $GROUP/type)
exhaust
check_eq "switched again" dac "$(kv $ST state)"
echo > $TRACE
echo "$EDU" > $DRV/unbind
check_eq "unbound: layout unchecked (forgotten)" unchecked "$(kv $ST layout)"
echo identity > $GROUP/type
check_eq "group type identity" identity "$(cat $GROUP/type)"
echo DMA > $GROUP/type
check_eq "group type DMA" DMA "$(cat $GROUP/type)"
echo "$EDU" > $DRV/bind
check "EDU bound again" [ -e $E/roundtrip ]
check_eq "new domain: state re-armed" sac "$(kv $ST state)"
check "new domain: trace sac_rearm" grep -q "sac_rearm: dev=$EDU state=sac" $TRACE
check_eq "new domain: layout" verified "$(kv $ST layout)"
check_eq "new domain: IOVA" below "$(iova)"
echo "$EDU" > $DRV/unbind
echo "$type0" > $GROUP/type
echo "$EDU" > $DRV/bind
check_eq "group type back to $type0" "$type0" "$(cat $GROUP/type)"

echo 0 > $EV/enable
echo > $TRACE
check "iommu_sac.ko unloads" unload_sac iommu_sac
check "sac_edu.ko unloads" unload_sac sac_edu
done_testing
