#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The hook only while something needs it (issue 13). With statistics off,
# on kernels with the native per-device bit, the ftrace hook is not
# registered while every device is on auto, dac or kernel: the kernel's own
# iommu_dma_alloc_iova() runs unhooked (enabled_functions does not list it),
# auto devices try 32 bits first and switch by the kernel's bit, dac devices
# get IOVAs above 4 GiB because the module holds their bit clear. A policy
# the bit cannot express (sac, dma32: a device's, the default's, a devices=
# rule's) registers the hook before it takes effect, and going back
# unregisters it. With ftrace off such a policy is refused (EBUSY) and
# changes nothing. Statistics on registers it again. On 6.1 (no native bit)
# the hook stays registered whatever the statistics switch says.
# lanes: core
# timeout: 300
. ./lib.sh

SAC=/sys/kernel/debug/iommu_sac
P=/sys/module/iommu_sac/parameters
E=/sys/kernel/debug/sac_edu/$EDU
ST=$SAC/devices/$EDU/state
EF=/sys/kernel/tracing/enabled_functions
FE=/proc/sys/kernel/ftrace_enabled

# hooked: whether ftrace patches iommu_dma_alloc_iova() now (yes/no).
hooked() { grep -q '^iommu_dma_alloc_iova\b' $EF && echo yes || echo no; }
# wr FILE VALUE: one write(2); prints its error text (empty when accepted).
wr() {
	printf '%s' "$2" > /tmp/ondemand.v
	dd if=/tmp/ondemand.v of="$1" bs=4096 count=1 conv=notrunc 2>&1 >/dev/null |
		grep -v records | sed 's/.*: //'
}

unload_sac iommu_sac
check "sac_edu.ko loads" load_sac sac_edu
check "iommu_sac.ko loads" load_sac iommu_sac
check_eq "statistics: on by default (debugfs, sysfs)" "1 1" "$(cat $SAC/statistics) $(cat $P/statistics)"
check_eq "hook registered with statistics on" "registered yes" "$(kv $SAC/stats hook) $(hooked)"
for v in 2 yes "1 1" x; do
	check_eq "statistics '$v' refused" "Invalid argument" "$(wr $SAC/statistics "$v")"
done
check_eq "statistics unchanged by bad input" 1 "$(cat $SAC/statistics)"

if [ "$(kv $SAC/stats native_bit)" != yes ]; then
	# 6.1: the hook carries every policy.
	check_eq "statistics 0 accepted" "" "$(wr $SAC/statistics 0)"
	check_eq "no native bit: the hook stays registered" "registered yes" \
		"$(kv $SAC/stats hook) $(hooked)"
	a0=$(kv $SAC/devices/$EDU/stats allocs)
	echo "100 4096" > $E/maploop
	check_eq "EDU still served by the module" "$((a0 + 100))" "$(kv $SAC/devices/$EDU/stats allocs)"
	echo 1 > $SAC/statistics
	check "iommu_sac.ko unloads" unload_sac iommu_sac
	done_testing
fi

echo all > $SAC/rearm
dmesg -c > /dev/null
check_eq "statistics 0 accepted" "" "$(wr $SAC/statistics 0)"
check_eq "statistics 0, all devices on auto: hook unregistered" "unregistered no" \
	"$(kv $SAC/stats hook) $(hooked)"
check "dmesg says why" sh -c "dmesg | grep -q 'iommu_sac: hook unregistered: statistics off and no device needs it'"
a0=$(kv $SAC/devices/$EDU/stats allocs)
check_eq "auto EDU, kernel's own allocator: below 4 GiB first" below "$(fill_class "$EDU")"
check_eq "the module counted nothing" "$a0" "$(kv $SAC/devices/$EDU/stats allocs)"

echo dac > $SAC/devices/$EDU/policy
check_eq "dac EDU: hook still unregistered" "unregistered no" "$(kv $SAC/stats hook) $(hooked)"
check_eq "dac EDU: native bit held clear" 0 "$(kv $ST native_bit)"
check_eq "dac EDU, kernel's own allocator: above 4 GiB" above "$(fill_class "$EDU")"
echo auto > $SAC/devices/$EDU/policy
check_eq "auto again: native bit set (state sac)" "sac 1" "$(kv $ST state) $(kv $ST native_bit)"

# The kernel's own switch, followed by the module's state.
echo all > $E/release
echo "2048 512" > $E/fill
echo all > $E/release
check_eq "the kernel switched EDU (its bit), the module follows" "dac kernel" \
	"$(kv $ST state) $(kv $ST last_switch_by)"
echo "$EDU" > $SAC/rearm
check_eq "rearm sets the bit again" "sac 1" "$(kv $ST state) $(kv $ST native_bit)"

for p in sac dma32; do
	check_eq "EDU $p accepted" "" "$(wr $SAC/devices/$EDU/policy $p)"
	check_eq "EDU $p: hook registered first" "registered yes" "$(kv $SAC/stats hook) $(hooked)"
	echo auto > $SAC/devices/$EDU/policy
	check_eq "EDU auto again: hook unregistered" "unregistered no" "$(kv $SAC/stats hook) $(hooked)"
done
echo dma32 > $SAC/devices/$EDU/policy
check_eq "dma32 EDU served by the module: below 4 GiB" below "$(fill_class "$EDU")"
echo default > $SAC/devices/$EDU/policy

check_eq "default sac accepted" "" "$(wr $SAC/default_policy sac)"
check_eq "default sac: hook registered" "registered yes" "$(kv $SAC/stats hook) $(hooked)"
echo auto > $SAC/default_policy
check_eq "default auto: hook unregistered" "unregistered no" "$(kv $SAC/stats hook) $(hooked)"
check_eq "devices=$EDU=dma32 (sysfs) accepted" "" "$(wr $P/devices "$EDU=dma32")"
check_eq "a dma32 rule: hook registered" "registered yes" "$(kv $SAC/stats hook) $(hooked)"
echo "" > $P/devices
check_eq "rules cleared: hook unregistered" "unregistered no" "$(kv $SAC/stats hook) $(hooked)"

# With ftrace off, a policy that needs the hook is refused and changes nothing.
echo 0 > $FE
check_eq "ftrace_enabled 0 allowed while the hook is off" 0 "$(cat $FE)"
check_eq "EDU sac refused: the hook cannot be registered" "Device or resource busy" \
	"$(wr $SAC/devices/$EDU/policy sac)"
check_eq "EDU's policy unchanged" default "$(cat $SAC/devices/$EDU/policy)"
check_eq "statistics 1 refused as well" "Device or resource busy" "$(wr $SAC/statistics 1)"
check_eq "statistics unchanged" 0 "$(cat $SAC/statistics)"
echo 1 > $FE

check_eq "statistics 1 accepted" "" "$(wr $P/statistics 1)"
check_eq "statistics on: hook registered" "registered yes" "$(kv $SAC/stats hook) $(hooked)"
a1=$(kv $SAC/devices/$EDU/stats allocs)
echo "10 4096" > $E/maploop
check_eq "EDU served and counted again" "$((a1 + 10))" "$(kv $SAC/devices/$EDU/stats allocs)"

check "iommu_sac reloads with statistics=0" sh -c "rmmod iommu_sac && insmod /lib/sac/iommu_sac.ko statistics=0"
check_eq "statistics=0 at load: hook never registered" "0 unregistered no" \
	"$(cat $P/statistics) $(kv $SAC/stats hook) $(hooked)"
check "dmesg says so" sh -c "dmesg | grep -q 'iommu_sac: hook not registered: statistics off'"
check "iommu_sac unloads" unload_sac iommu_sac
check_eq "unloaded: iommu_dma_alloc_iova not patched" no "$(hooked)"
check "iommu_sac reloads with statistics=0 devices=$EDU=sac" sh -c "insmod /lib/sac/iommu_sac.ko statistics=0 devices=$EDU=sac"
check_eq "a sac rule at load: hook registered" "registered yes" "$(kv $SAC/stats hook) $(hooked)"
check "iommu_sac unloads" unload_sac iommu_sac
done_testing
