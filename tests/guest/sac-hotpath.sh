#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The allocation hot path is not traceable and takes no sleeping lock
# (issue 12, defect 2). Everything of iommu_sac's that the ftrace callback
# or the replacement allocator reaches is notrace or inlined: none of it is
# in available_filter_functions (the module's other functions are, which
# shows the check can see them). Then contention: one CPU re-arms the EDU
# and flips its policy (the device's state lock, and on 6.12+ the kernel's
# native bit changing under policy kernel, which the callback follows under
# that lock) while the other CPU maps and exhausts the EDU's 32-bit space
# (switches under policy auto take the lock in the replacement). On a
# PREEMPT_RT kernel a sleeping lock there is "scheduling while atomic".
# Afterwards nothing is in flight: each redirected call counted one outcome.
# lanes: core
# timeout: 600
. ./lib.sh

SAC=/sys/kernel/debug/iommu_sac
E=/sys/kernel/debug/sac_edu/$EDU
ST=$SAC/devices/$EDU/state
AFF=/sys/kernel/tracing/available_filter_functions

# Reached from sac_ftrace_handler() or the replacements, directly or not.
HOT="sac_ftrace_handler sac_redirect sac_hook_slow sac_unknown_target
sac_alloc sac_alloc_full sac_alloc_try32 sac_alloc_clamp32
sac_alloc_full_tsc sac_alloc_try32_tsc sac_alloc_clamp32_tsc sac_alloc_full_lclock
sac_alloc_try32_lclock sac_alloc_clamp32_lclock sac_alloc_clock
sac_alloc_miss sac_alloc_failed sac_alloc_untried sac_alloc_traced
sac_alloc_trace sac_alloc_time sac_alloc_time_trace sac_tried32
sac_alloc_return sac_layout_verify sac_dev_lookup
sac_dev_bucket sac_dev_policy sac_dev_hot_refresh
sac_dev_target sac_dev_retarget_locked sac_dev_native_follow_locked
sac_dev_native_report sac_dev_switch sac_dev_set_state_locked
sac_dev_record_switch_locked sac_count sac_clock sac_lat_bucket
sac_clock_units_to_ns sac_timing_on sac_forcedac sac_domain_iovad
sac_domain_has_iova_cookie sac_native_bit sac_native_bit_set
__traceiter_sac_alloc __traceiter_sac_switch
__traceiter_sac_rearm trace_event_raw_event_sac_alloc
trace_event_raw_event_sac_switch trace_event_raw_event_sac_rearm
perf_trace_sac_alloc perf_trace_sac_switch perf_trace_sac_rearm"

unload_sac iommu_sac
check "sac_edu.ko loads" load_sac sac_edu
check "iommu_sac.ko loads" load_sac iommu_sac

mine=$(grep '\[iommu_sac\]$' $AFF | awk '{ print $1 }')
n=$(echo "$mine" | grep -c .)
check "available_filter_functions lists iommu_sac's cold functions ($n, e.g. sac_hook_init)" \
	sh -c "echo '$mine' | grep -qx sac_hook_init"
bad=
for f in $HOT; do
	echo "$mine" | grep -q "^$f\(\..*\)\?$" && bad="$bad $f"
done
check_eq "hot-path functions in available_filter_functions" "" "${bad# }"

# Contention. Writer on CPU 0, mapper on CPU 1.
echo all > $SAC/rearm
sw0=$(kv $ST switches)
dmesg -c > /dev/null
taskset 1 sh -c "
	i=0
	while [ \$i -lt 400 ]; do
		echo $EDU > $SAC/rearm
		cat $ST > /dev/null
		case \$((i % 4)) in
		0) echo kernel > $SAC/devices/$EDU/policy ;;
		1) echo sac > $SAC/devices/$EDU/policy ;;
		2) echo dac > $SAC/devices/$EDU/policy ;;
		3) echo auto > $SAC/devices/$EDU/policy ;;
		esac
		i=\$((i + 1))
	done" &
writer=$!
taskset 2 sh -c "
	for r in 1 2 3 4; do
		echo '2048 512' > $E/fill
		echo all > $E/release
		echo '200 4096' > $E/maploop
	done" &
mapper=$!
wait $writer
check "writer (400 re-arms and policy writes) finished" [ $? -eq 0 ]
wait $mapper
check "mapper (4 x exhaust the 32-bit space, 200 maps) finished" [ $? -eq 0 ]
echo auto > $SAC/devices/$EDU/policy
echo all > $E/release
sw1=$(kv $ST switches)
# How often the mapper hit a 32-bit failure under auto depends on the
# interleaving (under dac, sac or kernel nothing switches on 6.1).
diag "switches under contention: $((sw1 - sw0))"
# The state machine still works: re-arm, exhaust under auto, one switch.
echo "$EDU" > $SAC/rearm
echo "2048 512" > $E/fill
echo all > $E/release
check "after the contention: a re-armed EDU switches under auto ($(( $(kv $ST switches) - sw1 )))" \
	[ "$(kv $ST switches)" -gt "$sw1" ]
check_eq "dmesg: scheduling while atomic" 0 "$(dmesg | grep -c 'scheduling while atomic')"
check_eq "dmesg: sleeping function called from invalid context" 0 \
	"$(dmesg | grep -c 'sleeping function called from invalid context')"
check_eq "dmesg: Invalid wait context" 0 "$(dmesg | grep -c 'Invalid wait context')"
echo 64 > $E/roundtrip
set -- $(cat $E/roundtrip)
check_eq "EDU roundtrip afterwards" result=ok "$1"
# Every redirected call counted its outcome exactly once (allocs minus
# hits, dac_allocs and failed: what the unload and entry freeing wait on).
check_eq "stats: inflight after the contention" "$(idle_inflight)" "$(kv $SAC/stats inflight)"

# Leave EDU as it was found: the last switch above left it on dac, and on
# 6.12+ the unload hands that state to the kernel's own bit.
echo "$EDU" > $SAC/rearm
check_eq "EDU re-armed before the unload" sac "$(kv $ST state)"
check "iommu_sac.ko unloads" unload_sac iommu_sac
check "sac_edu.ko unloads" unload_sac sac_edu
done_testing
