#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Failed allocations in the module's load and hotplug paths (the debug
# lane: CONFIG_FAILSLAB, CONFIG_DEBUG_KMEMLEAK). /proc/self/fail-nth makes
# the Nth slab allocation of one task fail (x86_64 has no failslab stack
# filter), swept over N = 1, 2, ... until a run sees no failure:
#
# load: "exec insmod iommu_sac.ko" from a shell whose fail-nth is N: the
#       Nth allocation of exec + load_module + the module's init fails. Each
#       run either loads (then a failed table entry shows as exactly one
#       "out of memory: not tracked" line and no devices/ entry for that
#       device) or fails cleanly: no module left, at most one error line
#       from iommu_sac, the edu DMAs.
# hotplug: with the module loaded, the edu removed and "echo 1 >
#       /sys/bus/pci/rescan" run by a shell builtin with fail-nth N: when
#       the module's entry for the edu is what failed, the edu comes back
#       untracked (no devices/ entry), says so in exactly one line, and
#       DMAs (left to the kernel's allocation).
# Then kmemleak: no unreferenced object allocated from module code.
# lanes: debug
# timeout: 1500
. ./lib.sh

F=/sys/kernel/debug/failslab
K=/sys/kernel/debug/kmemleak
SAC=/sys/kernel/debug/iommu_sac
MAXN=${MAXN:-800}
[ -d $F ] || skip_all "no failslab in this kernel (CONFIG_FAILSLAB: the debug lane)"
[ -e /proc/self/fail-nth ] || skip_all "no /proc/self/fail-nth"

unload_sac iommu_sac
check "sac_edu.ko loads" load_sac sac_edu
[ -e $K ] && echo clear > $K
# fail-nth injects through failslab's attributes: sleeping allocations
# included, nothing printed per failure (the sweep reads fail-nth back).
echo N > $F/ignore-gfp-wait
echo 0 > $F/verbose

edu_ok() {
	echo 64 > /sys/kernel/debug/sac_edu/$EDU/roundtrip
	set -- $(cat /sys/kernel/debug/sac_edu/$EDU/roundtrip)
	[ "$1" = result=ok ]
}
sac_lines() { dmesg | grep -c 'iommu_sac'; }
oom_lines() { dmesg | grep -c 'out of memory: not tracked by iommu_sac'; }

# --- load
n=1 loaded=0 failed=0 untracked=0 bad=0 clean=0
while [ $n -le $MAXN ] && [ $clean -lt 3 ]; do
	e0=$(sac_lines)
	o0=$(oom_lines)
	sh -c 'echo "$1" > /proc/self/fail-nth && exec insmod /lib/sac/iommu_sac.ko' sh $n \
		2>/tmp/insmod.err
	rc=$?
	ne=$(( $(sac_lines) - e0 ))
	no=$(( $(oom_lines) - o0 ))
	if [ $rc -eq 0 ]; then
		loaded=$((loaded + 1))
		if [ $no -gt 0 ]; then
			untracked=$((untracked + 1))
			clean=0
			[ $no -eq 1 ] || { not_ok "load N=$n: $no 'not tracked' lines (want 1)"; bad=$((bad + 1)); }
			t=$(ls $SAC/devices | wc -l)
			diag "load N=$n: loaded with one device untracked ($t tracked)"
		else
			clean=$((clean + 1))
		fi
		unload_sac iommu_sac || { not_ok "load N=$n: unload"; bad=$((bad + 1)); }
	else
		failed=$((failed + 1))
		clean=0
		if grep -q '^iommu_sac ' /proc/modules; then
			not_ok "load N=$n: a failed insmod left the module loaded"; bad=$((bad + 1))
		fi
		if [ $ne -gt 1 ]; then
			not_ok "load N=$n: $ne iommu_sac lines for one failed load (want at most 1):$(dmesg | grep iommu_sac | tail -n $ne | tr '\n' '|')"
			bad=$((bad + 1))
		fi
		[ $ne -eq 1 ] && diag "load N=$n: $(dmesg | grep iommu_sac | tail -n1 | sed 's/^\[[^]]*\] //')"
	fi
	n=$((n + 1))
done
diag "load sweep: N=1..$((n - 1)): $failed failed, $untracked loaded with a device untracked, $((n - 1 - failed - untracked)) loaded"
check "load sweep reached a run with no failure left (N < $MAXN)" [ $clean -ge 3 ]
check_eq "load sweep: every run clean" 0 $bad
check "the edu DMAs after the load sweep" edu_ok

# --- hotplug
check "iommu_sac.ko loads" load_sac iommu_sac
n=1 hits=0 bad=0 done=0
while [ $n -le $MAXN ] && [ $done -eq 0 ]; do
	echo 1 > /sys/bus/pci/devices/$EDU/remove
	o0=$(oom_lines)
	left=$(sh -c 'echo "$1" > /proc/self/fail-nth; echo 1 > /sys/bus/pci/rescan; read r < /proc/self/fail-nth; echo $r' sh $n)
	[ "$left" != 0 ] && done=1
	no=$(( $(oom_lines) - o0 ))
	# a rescan that failed somewhere in the kernel may miss the edu
	[ -e /sys/bus/pci/devices/$EDU ] || echo 1 > /sys/bus/pci/rescan
	if [ $no -gt 0 ]; then
		hits=$((hits + 1))
		[ $no -eq 1 ] || { not_ok "rescan N=$n: $no 'not tracked' lines (want 1)"; bad=$((bad + 1)); }
		if dmesg | grep 'out of memory: not tracked' | tail -n1 | grep -q "$EDU"; then
			[ ! -e $SAC/devices/$EDU ] || { not_ok "rescan N=$n: untracked EDU has a devices/ entry"; bad=$((bad + 1)); }
			edu_ok || { not_ok "rescan N=$n: untracked EDU DMAs"; bad=$((bad + 1)); }
		fi
	fi
	n=$((n + 1))
done
diag "rescan sweep: N=1..$((n - 1)), the module's entry failed in $hits"
check "rescan sweep reached a run with no failure left (N < $MAXN)" [ $done -eq 1 ]
check "the module's entry allocation was failed at least once ($hits)" [ $hits -ge 1 ]
check_eq "rescan sweep: every run clean" 0 $bad
check "iommu_sac.ko unloads" unload_sac iommu_sac
echo 1 > /sys/bus/pci/devices/$EDU/remove
echo 1 > /sys/bus/pci/rescan
check "the edu DMAs after a clean rescan" edu_ok

# --- kmemleak: objects allocated with module code on the stack (symbol
# "[iommu_sac]" while loaded, a bare module-area address after unload).
if [ -e $K ]; then
	sleep 6
	echo scan > $K
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
