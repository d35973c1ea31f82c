#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Opens of iommu_sac's debugfs files while rmmod unloads it, in the kernel's
# window between "last reference dropped" and "module going"
# (kernel/module/main.c try_stop_module()). There try_module_get() fails
# while the module still looks live, and debugfs's proxy open, which takes a
# reference for a file whose fops name an owner, WARNs "debugfs file owner
# did not clean up at exit". The soak met it once in 3 382 unloads (6.12,
# docs/notes.md); sac_unload_race.ko holds the window open for 300 ms so
# that opens land in it every time.
#
# What must hold, on every kernel: the unload goes through at the first
# rmmod while four processes open, read and write the files (none forks:
# shell builtins), opens land in the held window, the kernel logs no such
# warning (the host's console scan fails the test on any WARNING), and the
# module loads again. Then, with no window held: rmmod goes through with a
# file held open, and the file reads an error after it.
#
# How: the files' fops belong to iommu_sac_fops.ko (debugfs/fops.c), which
# iommu_sac depends on, so an open pins that module and never iommu_sac.
# At the code before (fops in iommu_sac: .owner on 6.1/6.12, short fops on
# 7.2) this failed on 6.1 and 6.12 with 35-36 warnings; on 7.2 short fops
# alone already passed.
# lanes: core
# timeout: 300
. ./lib.sh

SAC=/sys/kernel/debug/iommu_sac
RACE=/sys/module/sac_unload_race/parameters
[ -e /lib/sac/sac_unload_race.ko ] ||
	skip_all "no sac_unload_race.ko: it finds its probe point in x86-64 code"

check "iommu_sac.ko loads" load_sac iommu_sac
check "sac_unload_race.ko loads (hold_ms=300)" \
	load_sac sac_unload_race target=iommu_sac hold_ms=300
diag "$(dmesg | grep 'sac_unload_race: holding' | tail -1)"

W=$(mktemp -d)
# opener NAME FILE r|w: open FILE again and again until $W/stop, reading a
# line or writing "auto"; counts tries, successes and the tries made while
# sac_unload_race held the window ($RACE/holding read 1 right after).
opener() {
	local n=0 ok=0 win=0 winok=0 h r x
	while [ ! -e $W/stop ]; do
		n=$((n + 1))
		if [ "$3" = r ]; then
			read -r x 2>/dev/null < "$2"
		else
			echo auto 2>/dev/null > "$2"
		fi
		r=$?
		[ $r -eq 0 ] && ok=$((ok + 1))
		read -r h < $RACE/holding
		if [ "$h" = 1 ]; then
			win=$((win + 1))
			[ $r -eq 0 ] && winok=$((winok + 1))
		fi
	done
	echo "$n $ok $win $winok" > $W/$1
}
opener state $SAC/devices/$EDU/state r &
opener stats $SAC/stats r &
opener default $SAC/default_policy r &
opener policy $SAC/devices/$EDU/policy w &
sleep 1

w0=$(dmesg | grep -c 'debugfs file owner did not clean up')
# Were an open to pin the module, rmmod would go through only between two
# opens: count the refusals.
tries=0
until unload_sac iommu_sac 2>/dev/null || [ $tries -ge 2000 ]; do
	tries=$((tries + 1))
done
check "rmmod iommu_sac goes through while its files are opened" \
	sh -c "! grep -q '^iommu_sac ' /proc/modules"
check_eq "... at the first try: no open pinned iommu_sac (rmmod refusals)" 0 $tries
sleep 0.5
touch $W/stop
wait
check_eq "sac_unload_race held the window once, on a live module at refcount 0 (held missed)" \
	"1 0" "$(cat $RACE/held) $(cat $RACE/missed)"
set -- $(cat $W/state $W/stats $W/default $W/policy)
win=$(($3 + $7 + ${11} + ${15}))
winok=$(($4 + $8 + ${12} + ${16}))
diag "opens: state $1 ($2 ok), stats $5 ($6 ok), default_policy $9 (${10} ok), policy ${13} (${14} ok)"
check "opens landed in the held window ($win, $winok of them worked)" \
	[ "$win" -ge 1 ]
check_eq "no 'debugfs file owner did not clean up at exit' in the kernel log" 0 \
	$(($(dmesg | grep -c 'debugfs file owner did not clean up') - w0))
rm -rf $W
check_eq "iommu_sac_fops holds no reference once the files are closed (refcnt)" 0 \
	"$(cat /sys/module/iommu_sac_fops/refcnt)"

# A file held open across an unload: no reference on iommu_sac, so rmmod
# goes ahead, and the file reads an error once its module is gone.
check "iommu_sac.ko loads again" load_sac iommu_sac
check "iommu_sac_fops cannot unload while iommu_sac is loaded" \
	sh -c "! rmmod iommu_sac_fops 2>/dev/null && grep -q '^iommu_sac_fops ' /proc/modules"
exec 3< $SAC/stats
check "rmmod iommu_sac goes through with a file held open" unload_sac iommu_sac
if read -r x <&3 2>/dev/null; then
	not_ok "that file reads an error after the unload (read '$x')"
else
	ok "that file reads an error after the unload"
fi
exec 3<&-

check "sac_unload_race.ko unloads" unload_sac sac_unload_race
check "iommu_sac.ko loads a third time" load_sac iommu_sac
check_eq "... with the EDU's files back (policy)" default "$(cat $SAC/devices/$EDU/policy)"
check "iommu_sac.ko unloads" unload_sac iommu_sac
done_testing
