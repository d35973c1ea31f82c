#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Removing many devices costs no grace period each under the table mutex
# (issue 12, defect 7). QEMU gives us few devices, so the two edus are
# removed and rescanned 16 times: 32 removals. The function_graph tracer
# follows the module's bus notifier and everything it calls in each
# removal: no synchronize_rcu() (or other grace-period wait) may appear
# there; its times and the wall time of the 32 removals are printed. Afterwards
# every device is back in the table, the removed entries' counts moved into
# the global stats, and the module unloads cleanly (rcu_barrier and the
# work drained: no use-after-free).
# lanes: core
# timeout: 400
. ./lib.sh

SAC=/sys/kernel/debug/iommu_sac
T=/sys/kernel/tracing
ROUNDS=16

uptime_cs() { awk '{ split($1, a, "."); print a[1] * 100 + a[2] }' /proc/uptime; }

unload_sac iommu_sac
check "sac_edu.ko loads" load_sac sac_edu
check "iommu_sac.ko loads" load_sac iommu_sac
n0=$(kv $SAC/stats devices)
echo 1 > $SAC/reset_stats
for d in $EDU $EDU32; do
	echo 64 > /sys/kernel/debug/sac_edu/$d/roundtrip
done
g0=$(kv $SAC/stats allocs)
check "the edus' round trips counted ($g0 allocations)" [ "$g0" -ge 4 ]

graph=0
if grep -q function_graph $T/available_tracers &&
   grep -q '^sac_bus_notify' $T/available_filter_functions; then
	graph=1
	echo 0 > $T/tracing_on
	# The notifier and everything it calls: a synchronize_rcu() in there
	# shows by name, whatever the timing.
	echo sac_bus_notify > $T/set_graph_function
	# Patch only what the graph needs: the module, the grace-period
	# waits and what a notifier calls. Enabling function_graph on every
	# function (~50000 call sites poked one by one under TCG) took long
	# enough on a loaded host to trip the soft-lockup watchdog
	# ("BUG: soft lockup - CPU#0 stuck for 23s!" in __text_poke).
	echo ':mod:iommu_sac' > $T/set_ftrace_filter
	for f in 'synchronize_rcu*' 'synchronize_srcu*' 'rcu_barrier*' \
		mutex_lock mutex_unlock queue_rcu_work call_rcu kfree \
		_raw_spin_lock_irqsave _raw_spin_unlock_irqrestore; do
		echo "$f" >> $T/set_ftrace_filter 2>/dev/null
	done
	echo 16384 > $T/buffer_size_kb
	echo function_graph > $T/current_tracer
	echo funcgraph-abstime > $T/trace_options 2>/dev/null
	echo funcgraph-tail > $T/trace_options 2>/dev/null
	echo > $T/trace
fi
total=0
r=0
while [ $r -lt $ROUNDS ]; do
	t0=$(uptime_cs)
	[ $graph = 1 ] && echo 1 > $T/tracing_on
	echo 1 > /sys/bus/pci/devices/$EDU/remove
	echo 1 > /sys/bus/pci/devices/$EDU32/remove
	[ $graph = 1 ] && echo 0 > $T/tracing_on
	t1=$(uptime_cs)
	total=$((total + t1 - t0))
	echo 1 > /sys/bus/pci/rescan
	r=$((r + 1))
done
diag "32 removals took $((total * 10)) ms in all (wall time, 10 ms ticks)"
if [ $graph = 1 ]; then
	# "  0) ! 12345.67 us |  } /* sac_bus_notify */" closes each call
	times=$(grep '} /\* sac_bus_notify[ */]' $T/trace | sed -n 's/.* \([0-9][0-9.]*\) us .*/\1/p')
	inner=$(grep -c '|  ' $T/trace)
	sync=$(grep -c 'synchronize_rcu\|synchronize_srcu\|rcu_barrier' $T/trace)
	# Calls by their opening lines ("sac_bus_notify() {", or a leaf
	# "sac_bus_notify();"), whatever the closing lines say.
	calls=$(grep -c 'sac_bus_notify[^/]*()' $T/trace)
	max=$(echo "$times" | awk 'BEGIN { m = 0 } $1 > m { m = $1 } END { printf "%d", m }')
	sum=$(echo "$times" | awk '{ s += $1 } END { printf "%d", s }')
	diag "sac_bus_notify during the removals: $calls calls, $sum us in all, longest $max us"
	check "the notifier ran for the removals ($calls calls)" [ "$calls" -ge 32 ]
	check "the graph shows what the notifier calls ($inner lines)" [ "$inner" -gt $((calls * 2)) ]
	# Before the fix, each of the 32 removals called synchronize_rcu()
	# here (and took milliseconds: the times above stay a diagnostic, as
	# TCG and PREEMPT_RT stretch single calls under load).
	check_eq "no grace-period wait inside the notifier (synchronize_rcu/srcu, rcu_barrier calls)" 0 "$sync"
	[ "$sync" -eq 0 ] || grep -m 5 'synchronize_rcu\|synchronize_srcu\|rcu_barrier' $T/trace | sed 's/^/# /'
	echo nop > $T/current_tracer
	echo nofuncgraph-tail > $T/trace_options 2>/dev/null
	echo > $T/set_graph_function
	echo > $T/set_ftrace_filter
	echo 1408 > $T/buffer_size_kb
	echo 1 > $T/tracing_on
else
	skip "notifier time per removal" "no function_graph tracer or sac_bus_notify not traceable"
fi

sleep 1
check "EDU is back" [ -e /sys/bus/pci/devices/$EDU/driver ]
check "EDU32 is back" [ -e /sys/bus/pci/devices/$EDU32/driver ]
check_eq "every device back in the table" "$n0" "$(kv $SAC/stats devices)"
check "EDU has its debugfs directory again" [ -d $SAC/devices/$EDU ]
check "the removed entries' counts stayed in the global stats ($(kv $SAC/stats allocs) >= $g0)" \
	[ "$(kv $SAC/stats allocs)" -ge "$g0" ]
echo 64 > /sys/kernel/debug/sac_edu/$EDU/roundtrip
set -- $(cat /sys/kernel/debug/sac_edu/$EDU/roundtrip)
check_eq "EDU roundtrip after the rescans" result=ok "$1"
# Remove once more and unload at once: the entry's grace period and work
# are still pending when the module goes.
echo 1 > /sys/bus/pci/devices/$EDU/remove
check "iommu_sac.ko unloads right after a removal" unload_sac iommu_sac
echo 1 > /sys/bus/pci/rescan
sleep 1
check "EDU is back after the unload" [ -e /sys/bus/pci/devices/$EDU/driver ]
check "sac_edu.ko unloads" unload_sac sac_edu
done_testing
