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
# hotplug: the device table entry of a hot-added device is made by the same
#       function as at load (sac_dev_add_locked(), from the bus notifier),
#       which the load sweep fails. A fail-nth sweep of "echo 1 >
#       /sys/bus/pci/rescan" itself cannot be run: the kernel's own PCI code
#       does not survive a failed allocation there (6.1.192-sac-debug:
#       WARNING at drivers/pci/probe.c:2631 pci_device_add, then a general
#       protection fault in __device_attach), so the hotplug part removes
#       and rescans the edu 5 times with the module loaded, for kmemleak.
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
# included; one "FAULT_INJECTION: forcing a failure." line per injection
# (no stack dump) tells a run that injected from one that did not.
echo N > $F/ignore-gfp-wait
echo 1 > $F/verbose

edu_ok() {
	echo 64 > /sys/kernel/debug/sac_edu/$EDU/roundtrip
	set -- $(cat /sys/kernel/debug/sac_edu/$EDU/roundtrip)
	[ "$1" = result=ok ]
}
sac_lines() { dmesg | grep -c 'iommu_sac'; }
oom_lines() { dmesg | grep -c 'out of memory: not tracked by iommu_sac'; }
injected() { dmesg | grep -c 'FAULT_INJECTION: forcing a failure'; }

# --- load
n=1 loaded=0 failed=0 untracked=0 bad=0 clean=0
while [ $n -le $MAXN ] && [ $clean -lt 3 ]; do
	e0=$(sac_lines)
	o0=$(oom_lines)
	i0=$(injected)
	sh -c 'echo "$1" > /proc/self/fail-nth && exec insmod /lib/sac/iommu_sac.ko' sh $n \
		2>/tmp/insmod.err
	rc=$?
	ne=$(( $(sac_lines) - e0 ))
	no=$(( $(oom_lines) - o0 ))
	ni=$(( $(injected) - i0 ))
	if [ $rc -eq 0 ]; then
		loaded=$((loaded + 1))
		if [ $no -gt 0 ]; then
			untracked=$((untracked + 1))
			clean=0
			[ $no -eq 1 ] || { not_ok "load N=$n: $no 'not tracked' lines (want 1)"; bad=$((bad + 1)); }
			t=$(ls $SAC/devices | wc -l)
			diag "load N=$n: loaded with one device untracked ($t tracked)"
		elif [ $ni -eq 0 ]; then
			clean=$((clean + 1))
		else
			clean=0
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
# A sweep that never made a load fail or a device go untracked did not
# reach the module's own allocations (seen on 6.1.192-sac-debug: N=1..32
# all loaded, busybox insmod retrying init_module after a failed
# finit_module, and fewer FAULT_INJECTION lines than runs).
check "load sweep reached the module's allocations ($failed failed loads, $untracked with a device untracked)" \
	[ $((failed + untracked)) -gt 0 ]
check_eq "load sweep: every run clean" 0 $bad
check "the edu DMAs after the load sweep" edu_ok

# --- hotplug (no injection: see the header)
check "iommu_sac.ko loads" load_sac iommu_sac
i=1
while [ $i -le 5 ]; do
	echo 1 > /sys/bus/pci/devices/$EDU/remove
	echo 1 > /sys/bus/pci/rescan
	i=$((i + 1))
done
check "EDU is tracked after 5 remove/rescan" [ -d $SAC/devices/$EDU ]
check "EDU DMAs after 5 remove/rescan" edu_ok
check "iommu_sac.ko unloads" unload_sac iommu_sac

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
