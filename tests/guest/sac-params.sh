#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Module parameters take effect at load: default_policy=, devices= by PCI
# address and by vendor:device ID (both edus are 1234:11e8), and their
# combinations (an address rule beats an ID rule; among rules of one kind
# the last wins), seen in the policy files and in the IOVAs the edus get;
# sac, dma32 and the default (auto) also by what a full 32-bit IOVA space
# does to them (sac keeps missing, dma32 refuses, auto switches), since
# their IOVAs on an unfragmented space are the same.
# A malformed value refuses the load, dmesg names it, nothing stays loaded.
# lanes: arm64
# timeout: 300
. ./lib.sh

SAC=/sys/kernel/debug/iommu_sac

# policies: "EDU EDU32 NVME" policy files, then effective policies.
policies() {
	local p e
	for a in $EDU $EDU32 $NVME; do
		p="$p $(cat $SAC/devices/$a/policy)"
		e="$e $(kv $SAC/devices/$a/state effective_policy)"
	done
	echo "${p# } /${e}"
}

# exhaust DEV: 2 MiB mappings on DEV, counters reset first, until one fails
# or 2048 are held (more than its 32-bit IOVA space holds), then released.
# Sets x_below x_above x_fail (held below/above 4 GiB, failed mappings) and
# x_ref x_miss x_sw x_state (dma32_refusals, sac_misses, switches, state).
# What tells the policies apart on a full 32-bit space: auto switches (one
# miss, state dac), sac keeps trying (a miss per mapping above 4 GiB, state
# sac), dma32 refuses (a failure, nothing above 4 GiB).
exhaust() {
	local d=/sys/kernel/debug/sac_edu/$1 s=$SAC/devices/$1
	echo all > $d/release
	sleep 1
	echo 1 > $SAC/reset_stats
	echo "2048 512" > $d/fill
	x_below=$(kv $d/held below4g)
	x_above=$(kv $d/held above4g)
	x_fail=$(kv $d/held map_failures)
	x_ref=$(kv $s/stats dma32_refusals)
	x_miss=$(kv $s/stats sac_misses)
	x_sw=$(kv $s/stats switches)
	x_state=$(kv $s/state state)
	echo all > $d/release
	sleep 1
	diag "exhaust $1: $x_below below, $x_above above 4 GiB, $x_fail failed;" \
		"dma32_refusals $x_ref, sac_misses $x_miss, switches $x_sw, state $x_state"
}
# is_dma32 WHAT: the last exhaust shows dma32: the 32-bit space filled, the
# next mapping refused and counted, nothing above 4 GiB, no switch.
is_dma32() {
	check "$1: 32-bit space full, then refused ($x_below below, $x_above above, $x_fail failed, dma32_refusals $x_ref)" \
		eval '[ "${x_below:-0}" -gt 0 ] && [ "$x_above" = 0 ] && [ "$x_fail" = 1 ] && [ "$x_ref" = 1 ]'
	check_eq "$1: no switch (state, switches)" "sac 0" "$x_state $x_sw"
}
# is_sac WHAT: the last exhaust shows sac: every mapping past the full
# 32-bit space missed below 4 GiB and landed above, and no switch.
is_sac() {
	check "$1: past the full 32-bit space, mappings above 4 GiB ($x_below below, $x_above above, $x_fail failed)" \
		eval '[ "${x_below:-0}" -gt 0 ] && [ "${x_above:-0}" -gt 0 ] && [ "$x_fail" = 0 ]'
	check_eq "$1: a 32-bit miss for each of them (sac_misses)" "$x_above" "$x_miss"
	check_eq "$1: no switch (state, switches)" "sac 0" "$x_state $x_sw"
}

# with ARGS...: load with ARGS (prints what it checked), unload after the
# caller's checks through "done_with".
with() {
	if load_sac iommu_sac "$@"; then
		ok "insmod iommu_sac $* loads"
	else
		not_ok "insmod iommu_sac $* loads"
	fi
}
done_with() {
	check "unloads" unload_sac iommu_sac
}

unload_sac iommu_sac
check "sac_edu.ko loads" load_sac sac_edu
# Fresh 32-bit state for both edus (an earlier test may have switched one).
load_sac iommu_sac && echo all > $SAC/rearm && unload_sac iommu_sac

with
check_eq "no parameters: default_policy" auto "$(cat $SAC/default_policy)"
check_eq "no parameters: EDU EDU32 NVME policies / effective" \
	"default default default / auto auto auto" "$(policies)"
# The default, for comparison with sac and dma32 below: auto switches.
exhaust $EDU
check "no parameters: EDU (auto) past the full 32-bit space: above 4 GiB ($x_below below, $x_above above, $x_fail failed)" \
	eval '[ "${x_below:-0}" -gt 0 ] && [ "${x_above:-0}" -gt 0 ] && [ "$x_fail" = 0 ]'
check_eq "no parameters: EDU (auto) switched once: state, switches, sac_misses" "dac 1 1" \
	"$x_state $x_sw $x_miss"
echo "$EDU" > $SAC/rearm
done_with

with default_policy=dac
check_eq "default_policy=dac: default_policy file" dac "$(cat $SAC/default_policy)"
check_eq "default_policy=dac: stats" dac "$(kv $SAC/stats default_policy)"
check_eq "default_policy=dac: policies / effective" \
	"default default default / dac dac dac" "$(policies)"
check_eq "default_policy=dac: EDU roundtrip" ok "$(rt $EDU 4095)"
check_eq "default_policy=dac: EDU: IOVAs of 8 x 256 KiB mappings" above "$(fill_class $EDU)"
done_with

n0=$(dmesg | grep -c "$EDU: policy dac (devices=)")
with devices=$EDU=dac
check_eq "devices=$EDU=dac: policies / effective" \
	"dac default default / dac auto auto" "$(policies)"
check_eq "devices=$EDU=dac: dmesg names the device's policy" 1 \
	$(( $(dmesg | grep -c "$EDU: policy dac (devices=)") - n0 ))
check_eq "devices=$EDU=dac: EDU roundtrip" ok "$(rt $EDU 4095)"
check_eq "devices=$EDU=dac: EDU: IOVAs of 8 x 256 KiB mappings" above "$(fill_class $EDU)"
check_eq "devices=$EDU=dac: EDU32 roundtrip" ok "$(rt $EDU32 4095)"
check_eq "devices=$EDU=dac: EDU32: IOVAs of 8 x 256 KiB mappings" below "$(fill_class $EDU32)"
done_with

with devices=1234:11e8=dma32
check_eq "devices=1234:11e8=dma32: policies / effective" \
	"dma32 dma32 default / dma32 dma32 auto" "$(policies)"
check_eq "devices=1234:11e8=dma32: EDU roundtrip" ok "$(rt $EDU 64)"
check_eq "devices=1234:11e8=dma32: EDU: IOVAs of 8 x 256 KiB mappings" below "$(fill_class $EDU)"
check_eq "devices=1234:11e8=dma32: EDU32 roundtrip" ok "$(rt $EDU32 64)"
check_eq "devices=1234:11e8=dma32: EDU32: IOVAs of 8 x 256 KiB mappings" below "$(fill_class $EDU32)"
exhaust $EDU
is_dma32 "devices=1234:11e8=dma32: EDU"
done_with

with default_policy=dac devices=1234:11E8=dma32,$EDU=sac
check_eq "default dac, ID dma32 (upper-case hex), EDU address sac: policies / effective" \
	"sac dma32 default / sac dma32 dac" "$(policies)"
check_eq "EDU roundtrip (sac)" ok "$(rt $EDU 64)"
check_eq "EDU (sac): IOVAs of 8 x 256 KiB mappings" below "$(fill_class $EDU)"
check_eq "EDU32 roundtrip (dma32)" ok "$(rt $EDU32 64)"
check_eq "EDU32 (dma32): IOVAs of 8 x 256 KiB mappings" below "$(fill_class $EDU32)"
exhaust $EDU
is_sac "EDU (sac by address)"
exhaust $EDU32
is_dma32 "EDU32 (dma32 by ID)"
done_with

with "devices=$EDU=dac,1234:11e8=sac,$EDU32=kernel"
check_eq "address rules beat the ID rule in either order: policies" \
	"dac kernel default / dac kernel auto" "$(policies)"
done_with

with "devices=$EDU=dac,$EDU=sac,1234:11e8=dac,1234:11e8=dma32"
check_eq "duplicates: the last rule of each kind wins: policies" \
	"sac dma32 default / sac dma32 auto" "$(policies)"
done_with

with devices=
check_eq "devices= (empty list): policies" \
	"default default default / auto auto auto" "$(policies)"
done_with

# Malformed values: the load fails, dmesg names the value, nothing loaded.
bad() { # PARAM VALUE DMESG-TEXT
	local n0 n1
	n0=$(dmesg | grep -cF "$3")
	if insmod /lib/sac/iommu_sac.ko "$1=$2" 2>/dev/null; then
		not_ok "$1=$2 refuses the load (it loaded)"
		rmmod iommu_sac
		return
	fi
	ok "$1=$2 refuses the load"
	n1=$(dmesg | grep -cF "$3")
	# (busybox insmod tries finit_module, then init_module: one or two lines)
	check "$1=$2: dmesg names it ($3, $((n1 - n0)) new)" [ $((n1 - n0)) -ge 1 ]
	check "$1=$2: not loaded, no debugfs tree" \
		sh -c "! grep -q '^iommu_sac ' /proc/modules && [ ! -e $SAC ]"
}
bad default_policy bogus "default_policy=: unknown policy 'bogus'"
bad default_policy default "default_policy=: unknown policy 'default'"
bad default_policy "" "default_policy=: unknown policy ''"
bad default_policy "DAC" "default_policy=: unknown policy 'DAC'"
bad devices "$EDU=bogus" "malformed entry '$EDU=bogus'"
bad devices "$EDU=default" "malformed entry '$EDU=default'"
bad devices "$EDU=" "malformed entry '$EDU='"
bad devices "$EDU" "malformed entry '$EDU'"
bad devices "0000:00:4.0=dac" "malformed entry '0000:00:4.0=dac'"
bad devices "00:04.0=dac" "malformed entry '00:04.0=dac'"
bad devices "0000:00:20.0=dac" "malformed entry '0000:00:20.0=dac'"
bad devices "0000:00:04.8=dac" "malformed entry '0000:00:04.8=dac'"
bad devices "0000:00:04.0x=dac" "malformed entry '0000:00:04.0x=dac'"
bad devices "1234:11e=dac" "malformed entry '1234:11e=dac'"
bad devices "12345:11e8=dac" "malformed entry '12345:11e8=dac'"
bad devices "1234:11g8=dac" "malformed entry '1234:11g8=dac'"
bad devices "$EDU=dac,,1234:11e8=sac" "malformed entry ''"
bad devices "$EDU=dac," "malformed entry ''"
bad devices "1234:11e8=dac,$EDU32=dma32x" "malformed entry '$EDU32=dma32x'"
check "after all the refused loads: iommu_sac not loaded" \
	sh -c "! grep -q '^iommu_sac ' /proc/modules"
check_eq "EDU roundtrip with nothing loaded" ok "$(rt $EDU 64)"
check_eq "EDU with nothing loaded: IOVAs of 8 x 256 KiB mappings" below "$(fill_class $EDU)"
check "sac_edu.ko unloads" unload_sac sac_edu
done_testing
