#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Failed allocations in iommu_sac's own code: its load (module init: the
# rule set, the free workqueue, one table entry per device, the ftrace
# registration) and the table entry of a device added by a PCI rescan or
# bound by a driver (the debug lane: CONFIG_FAILSLAB, CONFIG_DEBUG_KMEMLEAK).
#
# How the injection reaches the module and nothing else:
# - slub_debug=A,kmalloc-* (boot) marks the kmalloc caches, and failslab's
#   cache-filter limits injection to them: kmemleak's object cache, the
#   dentry/inode/file caches are never failed (a failed kmemleak object
#   disables kmemleak for the rest of the boot). ignore-gfp-wait N: the
#   module allocates with GFP_KERNEL. probability 0: only fail-nth injects.
# - The task that loads (kmod's insmod, which does not retry with
#   init_module as busybox's does) or writes rescan/bind stops itself; we
#   set its /proc/PID/fail-nth and let it go, so the count starts at its
#   exec or its open+write.
# - A kprobe on __should_failslab() (mm/failslab.c; lib/ is built without
#   ftrace, so should_fail_ex() cannot be probed), filtered on the cache's
#   SLAB_FAILSLAB flag and with __GFP_NOFAIL left out as failslab does: one
#   event per fail-nth step (should_fail_ex() counts in task context only).
#   A stacktrace trigger, traced for that pid only: a dry run (fail-nth far
#   too high to fire) lists which calls come from iommu_sac's code (a
#   "[iommu_sac]" frame); each of them is then failed alone, and the trace
#   of that run shows the Nth call was the module's (x86_64 has no failslab
#   stack filter: FAULT_INJECTION_STACKTRACE_FILTER depends on !X86_64).
#
# Each failed allocation must: leave a loaded module consistent (a device
# whose entry failed is not in devices/, gets the kernel's own allocator,
# not the default policy, and one "out of memory: not tracked by
# iommu_sac" line says so; a bind makes the entry later) or fail the load
# cleanly (no module left, exactly one line saying why, and for an
# out-of-memory failure not another cause); the edu DMAs afterwards;
# kmemleak finds nothing allocated from module code. Left out: the
# allocations inside vmalloc() (the ftrace trampoline), whose failure the
# kernel reports with warn_alloc()'s stack, by design.
# boot: slub_debug=A,kmalloc-*
# lanes: debug
# timeout: 1500
. ./lib.sh

F=/sys/kernel/debug/failslab
K=/sys/kernel/debug/kmemleak
T=/sys/kernel/tracing
I=$T/instances/sacfs
SAC=/sys/kernel/debug/iommu_sac
KO=/lib/sac/iommu_sac.ko
# default dac: an untracked device that got the module's default instead of
# the kernel's allocator would show (the kernel tries 32-bit first on 6.1).
ARGS="default_policy=dac devices=$NVME=sac,8086:10d3=auto"
[ -d $F ] || skip_all "no failslab in this kernel (CONFIG_FAILSLAB: the debug lane)"
[ -e /proc/self/fail-nth ] || skip_all "no /proc/self/fail-nth"

unload_sac iommu_sac
check "sac_edu.ko loads" load_sac sac_edu
[ -e $K ] && echo clear > $K

check_eq "kmalloc-64 is marked for failslab (boot: slub_debug=A,kmalloc-*)" \
	1 "$(cat /sys/kernel/slab/kmalloc-64/failslab 2>&1)"
echo N > $F/ignore-gfp-wait
echo Y > $F/cache-filter
echo 0 > $F/probability
echo 1 > $F/verbose
echo 100000 > $F/verbose_ratelimit_burst

mkdir -p /tmp/kmod
ln -sf /bin/kmod /tmp/kmod/insmod

mkdir -p $I
echo 8192 > $I/buffer_size_kb
echo 0 > $I/tracing_on
echo 1 > $I/options/sym-offset
# struct kmem_cache (SLUB, 6.1): cpu_slab, then flags at offset 8;
# SLAB_FAILSLAB 0x02000000 (include/linux/slab.h).
echo 'p:sac_should_fail __should_failslab flags=+8(%di):x32 gfp=%si:x32' >> $T/kprobe_events
echo 'flags & 0x2000000' > $I/events/kprobes/sac_should_fail/filter
# (a trigger runs before the event's filter: it needs the condition too)
echo 'stacktrace if flags & 0x2000000' > $I/events/kprobes/sac_should_fail/trigger
echo 1 > $I/events/kprobes/sac_should_fail/enable
check "kprobe on __should_failslab, marked caches, with a stack trace" \
	grep -q stacktrace $I/events/kprobes/sac_should_fail/trigger

edu_ok() {
	echo 64 > /sys/kernel/debug/sac_edu/$EDU/roundtrip
	set -- $(cat /sys/kernel/debug/sac_edu/$EDU/roundtrip)
	[ "$1" = result=ok ]
}
# iommu_sac's lines but the progress lines a load prints before it fails,
# and the bare verdict "refusing to load" that sac_hook_init() adds after
# the line of sac_hook_register() giving the cause (one message)
SAC_NOT_CAUSE='latency clock: \|DMA cookie layout: \|iommu_sac: refusing to load$'
sac_lines() { dmesg | grep 'iommu_sac' | grep -vc "$SAC_NOT_CAUSE"; }
oom_lines() { dmesg | grep -c 'out of memory: not tracked by iommu_sac'; }

# run_nth N CMD...: run CMD (sh -c) in a task whose fail-nth is N from its
# first instruction on, traced; sets rc. The trace: $I/trace.
run_nth() {
	local n=$1 pid i=0 st
	shift
	sh -c 'kill -STOP $$; '"$*" &
	pid=$!
	while :; do
		st=$(cut -d' ' -f3 /proc/$pid/stat 2>/dev/null)
		[ "$st" = T ] && break
		i=$((i + 1))
		[ $i -gt 200 ] && { diag "run_nth: task $pid never stopped ($st)"; break; }
		sleep 0.05
	done
	echo $pid > $I/set_event_pid
	echo > $I/trace
	echo 1 > $I/tracing_on
	echo $n > /proc/$pid/fail-nth
	kill -CONT $pid
	wait $pid
	rc=$?
	echo 0 > $I/tracing_on
	echo > $I/set_event_pid
}

# calls: the failslab calls of the last trace that fail-nth counts (task
# context, no __GFP_NOFAIL), one line each: "N FRAMES SIG", FRAMES the
# module's frames joined by "<" (innermost first), "-" for none; SIG the
# kernel's named frames (the same in a run where the module's frames are
# bare addresses, its init having failed and the module gone). Bare
# addresses (the ftrace trampoline of the kprobe, unloaded module text)
# are left out of both.
calls() {
	awk '
	function hex(s,  v, i) {
		s = tolower(s); sub(/^0x/, "", s)
		for (i = 1; i <= length(s); i++)
			v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v
	}
	/ sac_should_fail: / {
		flush()
		# the irq-info column: hardirq/softirq/NMI in its third place
		for (i = 1; i <= NF; i++) if ($i ~ /^\[[0-9]+\]$/) break
		ctx = substr($(i + 1), 3, 1)
		# failslab never fails __GFP_NOFAIL (0x8000): no fail-nth step
		g = $0; sub(/.* gfp=/, "", g); sub(/ .*/, "", g)
		nofail = int(hex(g) / 32768) % 2
		cur = (ctx == "." && !nofail) ? ++n : 0
		fr = ""; sig = ""
		next
	}
	/^ => / {
		if (!cur || $2 ~ /^0x/) next
		f = $2; sub(/\+.*/, "", f)
		if ($0 ~ /\[iommu_sac\]/) fr = fr (fr ? "<" : "") f
		else sig = sig (sig ? "," : "") f
	}
	function flush() {
		if (cur) print cur, (fr ? fr : "-"), (sig ? sig : "-")
		cur = 0; sig = ""
	}
	END { flush() }' $I/trace
}

# same_call N CALLS: the Nth call of the last trace is the Nth call of the
# dry run whose calls are in file CALLS (its kernel frames); prints the
# dry run's module frames, or "-" (not the same call) or "" (no Nth call).
# Where a failed init unloaded the module, its frames are bare addresses:
# then a call made under do_one_initcall() (the module's init) in both runs
# counts (the kernel's own frames in there may differ between runs).
same_call() {
	calls > /tmp/run.calls
	awk -v n="$1" 'NR == FNR { if ($1 == n) { want = $3; fr = $2 }; next }
		$1 == n { init = want ~ /do_one_initcall/ && $3 ~ /do_one_initcall/
			print ($3 == want || ($2 == "-" && init) ? fr : "-") }' "$2" /tmp/run.calls
}
# module_hit FRAMES: same_call matched a call with a frame of iommu_sac's code.
module_hit() { [ -n "$1" ] && [ "$1" != - ]; }

# --- load: the dry run, then each of the module's allocations alone
run_nth 1000000 "exec /tmp/kmod/insmod $KO $ARGS"
check_eq "dry run: insmod $ARGS" 0 $rc
calls > /tmp/load.calls
# Not the allocations inside vmalloc() (the ftrace trampoline's
# module_alloc()): a failed vmalloc prints warn_alloc()'s stack by design
# (mm/vmalloc.c), which the console scan takes for a kernel complaint.
awk '$2 != "-" && $3 !~ /__vmalloc_node_range/' /tmp/load.calls > /tmp/load.targets
diag "load: $(wc -l < /tmp/load.calls) kmalloc calls from exec to init's end, $(awk '$2 != "-"' /tmp/load.calls | wc -l) from iommu_sac's code, $(wc -l < /tmp/load.targets) of them outside vmalloc:"
awk '{ print $2 }' /tmp/load.targets | sort | uniq -c | sed 's/^ */# /'
check "load: the dry run saw allocations from iommu_sac's code" [ -s /tmp/load.targets ]
ndev=$(ls $SAC/devices | wc -l)
check "iommu_sac.ko unloads" unload_sac iommu_sac

bad=0 nloaded=0 nfailed=0 nuntracked=0 edu_target=
while read -r n frames sig; do
	e0=$(sac_lines)
	o0=$(oom_lines)
	run_nth $n "exec /tmp/kmod/insmod $KO $ARGS 2>/tmp/insmod.err"
	ne=$(( $(sac_lines) - e0 ))
	no=$(( $(oom_lines) - o0 ))
	hit=$(same_call $n /tmp/load.calls)
	if ! module_hit "$hit"; then
		not_ok "load N=$n ($frames): the failed call was not iommu_sac's (trace: '${hit:-no call $n}')"
		bad=$((bad + 1))
	fi
	if [ $rc -eq 0 ]; then
		nloaded=$((nloaded + 1))
		t=$(ls $SAC/devices 2>/dev/null | wc -l)
		if [ $no -gt 0 ]; then
			nuntracked=$((nuntracked + 1))
			dev=$(dmesg | grep 'out of memory: not tracked by iommu_sac' | tail -n1 |
				sed -n 's/.* \([0-9a-f]\{4\}:[0-9a-f:.]*\): out of memory.*/\1/p')
			diag "load N=$n ($frames): loaded, $dev not tracked ($t of $ndev tracked)"
			[ $no -eq 1 ] || { not_ok "load N=$n: $no 'not tracked' lines (want 1)"; bad=$((bad + 1)); }
			[ $t -eq $((ndev - 1)) ] || { not_ok "load N=$n: $t devices tracked (want $((ndev - 1)))"; bad=$((bad + 1)); }
			if [ -n "$dev" ] && [ -d $SAC/devices/$dev ]; then
				not_ok "load N=$n: $dev said not tracked but has devices/$dev"; bad=$((bad + 1))
			fi
			[ "$dev" = "$EDU" ] && [ -z "$edu_target" ] && edu_target=$n
		else
			diag "load N=$n ($frames): loaded, the failure absorbed ($t of $ndev tracked, $ne iommu_sac lines)"
			[ $t -eq $ndev ] || { not_ok "load N=$n: $t devices tracked (want $ndev)"; bad=$((bad + 1)); }
		fi
		unload_sac iommu_sac || { not_ok "load N=$n: unload"; bad=$((bad + 1)); }
	else
		nfailed=$((nfailed + 1))
		diag "load N=$n ($frames): failed: $(tr '\n' ' ' < /tmp/insmod.err)"
		if grep -q '^iommu_sac ' /proc/modules; then
			not_ok "load N=$n: a failed insmod left the module loaded"; bad=$((bad + 1))
			unload_sac iommu_sac
		fi
		line=$(dmesg | grep iommu_sac | grep -v "$SAC_NOT_CAUSE" | tail -n1 | sed 's/^\[[^]]*\] //')
		if [ $ne -ne 1 ]; then
			not_ok "load N=$n ($frames): $ne iommu_sac lines for one failed load (want 1):$(dmesg | grep iommu_sac | tail -n 3 | tr '\n' '|')"
			bad=$((bad + 1))
		elif grep -q 'Cannot allocate memory' /tmp/insmod.err &&
			echo "$line" | grep -q 'not in available_filter_functions'; then
			not_ok "load N=$n ($frames): out of memory, but the log says: $line"
			bad=$((bad + 1))
		else
			diag "load N=$n: $line"
		fi
	fi
	edu_ok || { not_ok "load N=$n: the edu does not DMA afterwards"; bad=$((bad + 1)); }
done < /tmp/load.targets
diag "load: $(wc -l < /tmp/load.targets) runs: $nfailed failed loads, $nuntracked loaded with a device untracked, $((nloaded - nuntracked)) loaded whole"
check_eq "load: every failed allocation left a clean state" 0 $bad
check "load: the edu's table entry was among the failed allocations" [ -n "$edu_target" ]

# --- a device left untracked: the kernel's allocator, then bind retries
if [ -n "$edu_target" ]; then
	o0=$(oom_lines)
	run_nth $edu_target "exec /tmp/kmod/insmod $KO $ARGS"
	check_eq "insmod with the edu's entry failing (N=$edu_target)" 0 $rc
	check_eq "one 'not tracked' line" 1 $(( $(oom_lines) - o0 ))
	check "the untracked edu has no devices/ entry" [ ! -d $SAC/devices/$EDU ]
	# default dac; the kernel's allocator tries below 4 GiB first (6.1,
	# and 6.12+ with the kernel's bit still set)
	check_eq "the untracked edu gets the kernel's allocator, not the default dac (where it maps)" \
		below "$(fill_class $EDU)"
	check "the untracked edu DMAs" edu_ok

	# bind: the entry is made when a driver binds; fail that one
	echo $EDU > /sys/bus/pci/drivers/sac_edu/unbind
	run_nth 1000000 "echo $EDU > /sys/bus/pci/drivers/sac_edu/bind"
	calls > /tmp/bind.calls
	bind_target=$(awk '$2 != "-" { print $1; exit }' /tmp/bind.calls)
	diag "bind: $(wc -l < /tmp/bind.calls) kmalloc calls, iommu_sac's: $(awk '$2 != "-" { print $1, $2 }' /tmp/bind.calls | tr '\n' ' ')"
	check "bind of an untracked edu makes its entry (dry run)" [ -d $SAC/devices/$EDU ]
	check "bind: the dry run saw the entry's allocation" [ -n "$bind_target" ]
	check "iommu_sac.ko unloads" unload_sac iommu_sac
	if [ -n "$bind_target" ]; then
		run_nth $edu_target "exec /tmp/kmod/insmod $KO $ARGS"
		echo $EDU > /sys/bus/pci/drivers/sac_edu/unbind
		o0=$(oom_lines)
		run_nth $bind_target "echo $EDU > /sys/bus/pci/drivers/sac_edu/bind"
		check_eq "bind with the entry failing (N=$bind_target): the bind itself succeeds" 0 $rc
		hit=$(same_call $bind_target /tmp/bind.calls)
		check "bind: the failed call was iommu_sac's ($hit)" module_hit "$hit"
		check_eq "bind: one 'not tracked' line" 1 $(( $(oom_lines) - o0 ))
		# BUS_NOTIFY_BIND_DRIVER's entry failed; BUS_NOTIFY_BOUND_DRIVER
		# (after the probe) makes it
		check "bind: the edu is tracked once its driver bound" [ -d $SAC/devices/$EDU ]
		check_eq "bind: the edu is on the default dac" above "$(fill_class $EDU)"
		check "bind: the edu DMAs" edu_ok
		check "iommu_sac.ko unloads" unload_sac iommu_sac
	fi
fi

# --- hotplug: remove and rescan the edu, its entry's allocation failing
check "iommu_sac.ko loads" load_sac iommu_sac $ARGS
echo 1 > /sys/bus/pci/devices/$EDU/remove
run_nth 1000000 "echo 1 > /sys/bus/pci/rescan"
calls > /tmp/rescan.calls
awk '$2 != "-"' /tmp/rescan.calls > /tmp/rescan.targets
diag "rescan: $(wc -l < /tmp/rescan.calls) kmalloc calls, iommu_sac's: $(awk '{ print $1, $2 }' /tmp/rescan.targets | tr '\n' ' ')"
check "rescan: the dry run saw the entry's allocation" [ -s /tmp/rescan.targets ]
bad=0
while read -r n frames sig; do
	echo 1 > /sys/bus/pci/devices/$EDU/remove
	o0=$(oom_lines)
	run_nth $n "echo 1 > /sys/bus/pci/rescan"
	no=$(( $(oom_lines) - o0 ))
	hit=$(same_call $n /tmp/rescan.calls)
	diag "rescan N=$n ($frames): failed call '$hit', $no 'not tracked' lines, edu $( [ -d $SAC/devices/$EDU ] && echo tracked || echo untracked)"
	module_hit "$hit" || { not_ok "rescan N=$n: the failed call was not iommu_sac's"; bad=$((bad + 1)); }
	[ -d /sys/bus/pci/devices/$EDU ] || { not_ok "rescan N=$n: the edu did not come back"; bad=$((bad + 1)); continue; }
	[ $no -eq 1 ] || { not_ok "rescan N=$n: $no 'not tracked' lines (want 1)"; bad=$((bad + 1)); }
	# The entry failed at BUS_NOTIFY_ADD_DEVICE; the driver's bind makes it.
	[ -d $SAC/devices/$EDU ] || { not_ok "rescan N=$n: the edu is not tracked after its driver bound"; bad=$((bad + 1)); }
	edu_ok || { not_ok "rescan N=$n: the edu does not DMA"; bad=$((bad + 1)); }
done < /tmp/rescan.targets
check_eq "rescan: every failed allocation left a clean state" 0 $bad
i=1
while [ $i -le 3 ]; do
	echo 1 > /sys/bus/pci/devices/$EDU/remove
	echo 1 > /sys/bus/pci/rescan
	i=$((i + 1))
done
check "EDU is tracked after 3 more remove/rescan" [ -d $SAC/devices/$EDU ]
check "EDU DMAs" edu_ok
check "iommu_sac.ko unloads" unload_sac iommu_sac

echo 0 > $I/events/kprobes/sac_should_fail/enable
echo '!stacktrace if flags & 0x2000000' > $I/events/kprobes/sac_should_fail/trigger
echo '-:sac_should_fail' >> $T/kprobe_events
rmdir $I

# --- kmemleak: objects allocated with module code on the stack (symbol
# "[iommu_sac]" while loaded, a bare module-area address after unload).
if [ -e $K ]; then
	sleep 6
	# a write fails with EPERM once kmemleak disabled itself
	check "kmemleak is on (a scan is accepted)" sh -c "echo scan > $K"
	sleep 1
	echo scan > $K
	cat $K > /tmp/leaks
	diag "kmemleak: $(grep -c '^unreferenced object' /tmp/leaks) unreferenced object(s) in all"
	if grep -qE '\[iommu_sac\]|\[<ffffffff[a-f][0-9a-f]{7}>\] 0x' /tmp/leaks; then
		sed -n '1,60p' /tmp/leaks | sed 's/^/# /'
		not_ok "kmemleak: objects allocated from module code are leaked"
	else
		ok "kmemleak: nothing allocated from module code is leaked"
	fi
else
	skip "kmemleak" "no /sys/kernel/debug/kmemleak"
fi
done_testing
