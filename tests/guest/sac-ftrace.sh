#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The hook cannot be switched off behind the module's back (issue 12,
# defects 1 and 3). While iommu_sac is loaded its ftrace ops is
# FTRACE_OPS_FL_PERMANENT: a write of 0 to kernel.ftrace_enabled fails with
# EBUSY, ftrace stays on, and a dma32 device is still served by the module
# (IOVAs below 4 GiB, counted in its stats). With ftrace_enabled already 0
# the module refuses to load and says why. Nothing stays in flight.
# The unload waits for a tasks-RCU grace period of its own (on PREEMPT_RT
# the one inside unregister_ftrace_function() can end while a task is still
# in the replacement): the function tracer sees synchronize_rcu_tasks()
# called by rmmod from somewhere other than ftrace.c.
# lanes: core
# timeout: 240
. ./lib.sh

SAC=/sys/kernel/debug/iommu_sac
E=/sys/kernel/debug/sac_edu/$EDU
DS=$SAC/devices/$EDU/stats
FE=/proc/sys/kernel/ftrace_enabled
T=/sys/kernel/tracing

unload_sac iommu_sac
check "sac_edu.ko loads" load_sac sac_edu
check_eq "kernel.ftrace_enabled before the load" 1 "$(cat $FE)"
check "iommu_sac.ko loads" load_sac iommu_sac
echo dma32 > $SAC/devices/$EDU/policy

err=$( (echo 0 > $FE) 2>&1 )
rc=$?
check "echo 0 > kernel.ftrace_enabled fails while loaded (rc $rc, '$err')" [ $rc -ne 0 ]
case $err in
*[Bb]usy*) ok "... with EBUSY" ;;
*) not_ok "... with EBUSY (saw '$err')" ;;
esac
check_eq "kernel.ftrace_enabled still 1" 1 "$(cat $FE)"
check_eq "stats: hook" registered "$(kv $SAC/stats hook)"

a0=$(kv $DS allocs)
echo "100 4096" > $E/maploop
set -- $(cat $E/maploop)
check_eq "dma32 EDU after the write: maploop 100 without failures" failures=0 "$3"
check_eq "dma32 EDU after the write: none above 4 GiB" above4g=0 "$4"
check_eq "dma32 EDU after the write: the module served all 100" 100 \
	$(( $(kv $DS allocs) - a0 ))
echo 64 > $E/roundtrip
set -- $(cat $E/roundtrip)
check_eq "dma32 EDU roundtrip" result=ok "$1"
check "dma32 EDU roundtrip: IOVA below 4 GiB (${3#iova_to=})" is_below_4g "${3#iova_to=}"
check_eq "stats: inflight when idle (counted on PREEMPT_RT, - elsewhere)" "$(idle_inflight)" "$(kv $SAC/stats inflight)"
echo default > $SAC/devices/$EDU/policy
# Should the write have got through (the defect), switch ftrace back on.
[ "$(cat $FE)" = 1 ] || echo 1 > $FE

check "iommu_sac.ko unloads" unload_sac iommu_sac
check "with the module unloaded, kernel.ftrace_enabled=0 is accepted" \
	sh -c "echo 0 > $FE"
dmesg -c > /dev/null
if load_sac iommu_sac 2>/dev/null; then
	not_ok "iommu_sac.ko refuses to load while kernel.ftrace_enabled is 0 (it loaded)"
	unload_sac iommu_sac
else
	ok "iommu_sac.ko refuses to load while kernel.ftrace_enabled is 0"
fi
msg=$(dmesg | grep -m1 'iommu_sac: kernel.ftrace_enabled is 0')
check "dmesg says why ('${msg#*iommu_sac: }')" [ -n "$msg" ]
echo 1 > $FE
check_eq "kernel.ftrace_enabled back to 1" 1 "$(cat $FE)"
check "iommu_sac.ko loads with ftrace on again" load_sac iommu_sac
check_eq "stats: hook" registered "$(kv $SAC/stats hook)"

# The unload's own tasks-RCU grace period (defect 3), with the module idle
# (inflight 0: the old code skipped the wait then).
check_eq "stats: inflight (idle)" "$(idle_inflight)" "$(kv $SAC/stats inflight)"
if grep -qx synchronize_rcu_tasks $T/available_filter_functions; then
	echo 0 > $T/tracing_on
	echo synchronize_rcu_tasks > $T/set_ftrace_filter
	echo function > $T/current_tracer
	echo > $T/trace
	echo 1 > $T/tracing_on
	check "iommu_sac.ko unloads (traced)" unload_sac iommu_sac
	echo 0 > $T/tracing_on
	# Read before switching the tracer, which empties the buffer.
	calls=$(grep 'rmmod-.*synchronize_rcu_tasks <-' $T/trace)
	echo nop > $T/current_tracer
	echo > $T/set_ftrace_filter
	diag "synchronize_rcu_tasks() during rmmod:"
	echo "$calls" | sed 's/^ */# /'
	own=$(echo "$calls" | grep -v '<-ftrace_shutdown\|<-unregister_ftrace_function\|^$' | wc -l)
	check_eq "rmmod: synchronize_rcu_tasks() calls not from ftrace.c (the module's own wait)" 1 "$own"
	echo 1 > $T/tracing_on
	echo > $T/trace
else
	skip "the module's own tasks-RCU wait at unload" "synchronize_rcu_tasks is not traceable here"
	unload_sac iommu_sac
fi
check "sac_edu.ko unloads" unload_sac sac_edu
done_testing
