#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Failed allocations in the module's load and hotplug paths (the debug
# lane: CONFIG_FAILSLAB, CONFIG_FAULT_INJECTION_STACKTRACE_FILTER,
# CONFIG_DEBUG_KMEMLEAK). failslab fails only slab allocations made by the
# test's own task (task-filter, /proc/self/make-it-fail) with module code
# on the stack (require-start/-end: the module area), so the kernel's own
# work in those paths (exec, load_module, the PCI rescan) is not touched.
#
# load: insmod with the first such allocation failing, then 20 loads with
#       each failing at 25%: a load either succeeds or fails cleanly (no
#       module left, one error line from iommu_sac at most, the devices
#       DMA as before).
# hotplug: with the module loaded, the edu removed and rescanned while its
#       table entry cannot be allocated: the edu is not tracked (no
#       devices/ entry), says so in exactly one line, and DMAs through the
#       kernel's allocation.
# Then kmemleak: no unreferenced object allocated by iommu_sac.
# lanes: debug
# timeout: 900
. ./lib.sh

F=/sys/kernel/debug/failslab
K=/sys/kernel/debug/kmemleak
SAC=/sys/kernel/debug/iommu_sac
[ -d $F ] || skip_all "no failslab in this kernel (CONFIG_FAILSLAB: the debug lane)"
[ -e $F/require-start ] || skip_all "no failslab stack filter (CONFIG_FAULT_INJECTION_STACKTRACE_FILTER)"

unload_sac iommu_sac
check "sac_edu.ko loads" load_sac sac_edu
[ -e $K ] && echo clear > $K

# x86_64 without KASLR: modules live in [MODULES_VADDR, MODULES_END).
echo 0xffffffffa0000000 > $F/require-start
echo 0xffffffffff000000 > $F/require-end
echo N > $F/ignore-gfp-wait
echo Y > $F/task-filter
echo 1 > $F/verbose
echo 1 > $F/interval

# failing P TIMES CMD...: run CMD in a task whose module-code slab
# allocations fail with probability P% (at most TIMES of them).
failing() {
	echo "$1" > $F/probability
	echo "$2" > $F/times
	shift 2
	sh -c 'echo 1 > /proc/self/make-it-fail && exec "$@"' sh "$@"
	rc=$?
	echo 0 > $F/probability
	return $rc
}
injected() { dmesg | grep -c 'FAULT_INJECTION: forcing a failure'; }
errlines() { dmesg | grep -c 'iommu_sac'; }

edu_ok() {
	echo 64 > /sys/kernel/debug/sac_edu/$EDU/roundtrip
	set -- $(cat /sys/kernel/debug/sac_edu/$EDU/roundtrip)
	[ "$1" = result=ok ]
}

# --- load
loads=0 fails=0 bad=0
try_load() {
	local i0 e0 nmsg
	i0=$(injected)
	e0=$(errlines)
	if failing "$1" 1 insmod /lib/sac/iommu_sac.ko 2>/tmp/insmod.err; then
		loads=$((loads + 1))
		unload_sac iommu_sac || { not_ok "unload after a load with failslab"; bad=$((bad + 1)); }
		return
	fi
	fails=$((fails + 1))
	nmsg=$(( $(errlines) - e0 ))
	diag "load $2: insmod failed ($(head -n1 /tmp/insmod.err)), $(( $(injected) - i0 )) injected, $nmsg iommu_sac line(s): $(dmesg | grep iommu_sac | tail -n "$nmsg" | sed 's/^\[[^]]*\] //' | tr '\n' '|')"
	if grep -q '^iommu_sac ' /proc/modules; then
		not_ok "load $2: failed insmod left the module loaded"; bad=$((bad + 1))
	fi
	if [ "$nmsg" -gt 1 ]; then
		not_ok "load $2: $nmsg iommu_sac lines for one failed load (want at most 1)"; bad=$((bad + 1))
	fi
	if ! edu_ok; then
		not_ok "load $2: the edu DMAs after the failed load"; bad=$((bad + 1))
	fi
}
i0=$(injected)
try_load 100 first
check "the first module-code allocation of a load was failed ($(( $(injected) - i0 )) injected)" \
	[ $(( $(injected) - i0 )) -ge 1 ]
n=1
while [ $n -le 20 ]; do
	try_load 25 "$n"
	n=$((n + 1))
done
check_eq "load with failslab: clean outcomes ($loads loaded, $fails failed cleanly)" 0 "$bad"
check "at least one failed load ($fails)" [ "$fails" -ge 1 ]

# --- hotplug
check "iommu_sac.ko loads (no failslab)" load_sac iommu_sac
check "EDU is tracked before the removal" [ -d $SAC/devices/$EDU ]
echo 1 > /sys/bus/pci/devices/$EDU/remove
sleep 1
w0=$(dmesg | grep -c "$EDU: out of memory")
i0=$(injected)
failing 100 1 sh -c 'echo 1 > /sys/bus/pci/rescan'
sleep 1
check "EDU is back after the rescan" [ -e /sys/bus/pci/devices/$EDU ]
check "an allocation was failed in the rescan ($(( $(injected) - i0 )))" [ $(( $(injected) - i0 )) -ge 1 ]
check_eq "one 'out of memory' line for EDU" 1 $(( $(dmesg | grep -c "$EDU: out of memory") - w0 ))
check "EDU has no devices/ entry (not tracked)" [ ! -e $SAC/devices/$EDU ]
check "EDU DMAs (roundtrip ok)" edu_ok
check "iommu_sac.ko unloads" unload_sac iommu_sac
echo 1 > /sys/bus/pci/devices/$EDU/remove
sleep 1
echo 1 > /sys/bus/pci/rescan
sleep 1
check "EDU DMAs after a clean rescan" edu_ok

# --- kmemleak
if [ -e $K ]; then
	sleep 6
	echo scan > $K
	sleep 1
	echo scan > $K
	cat $K > /tmp/leaks
	diag "kmemleak: $(grep -c '^unreferenced object' /tmp/leaks) unreferenced object(s) in all"
	grep -B2 -A20 '^unreferenced object' /tmp/leaks | grep -q 'iommu_sac' &&
		sed -n '1,40p' /tmp/leaks | sed 's/^/# /'
	check "kmemleak: nothing allocated by iommu_sac is leaked" \
		sh -c '! grep -q "\[iommu_sac\]" /tmp/leaks'
else
	skip "kmemleak" "no /sys/kernel/debug/kmemleak"
fi
done_testing
