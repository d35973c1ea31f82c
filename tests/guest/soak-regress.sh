#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Defects the soak (tests/guest/soak.sh) found, each reproduced on its own
# so the ordinary suite keeps them fixed.
#  1. Run-time writes of a malformed rule set to
#     /sys/module/iommu_sac/parameters/devices logged "devices=: malformed
#     entry ..." every time, although docs/interfaces.md promises no kernel
#     message for bad run-time writes (the soak's hostile writer filled the
#     console with them). A malformed devices= at load still names the entry.
#  2. A write to /sys/module/iommu_sac/parameters/ while the module loads
#     (its sysfs directory exists before its init runs) went to the load's
#     parameter string: "bogus" was accepted, and the load then failed
#     naming "bogus" (or ignored the write after parsing). Such a write must
#     be refused (EBUSY) and leave the load alone. The same for
#     statistics= and timing= (run-time messages, writes while loading).
#  3. The devices= parser read a hex digit through _tolower(), which only
#     lowers letters: control bytes 0x10..0x19 passed as '0'..'9', so
#     "123<0x14>:11e8=dac" was the rule 1234:11e8=dac (at load and at run
#     time), and the edu that drops high address bits could lose its own
#     rule to garbage.
#  4. A debugfs write that needs the hook (policy sac or dma32, statistics
#     1) while the module loaded or unloaded registered the ftrace ops on
#     its own: before init's registration (which then hit the WARN_ON in
#     __register_ftrace_function() for an ops already enabled, and the load
#     failed leaving the ops registered) or after the unload's
#     unregistration. Either way the module's text was freed under a live
#     trampoline: "BUG: unable to handle page fault" in the next DMA map
#     (sacsoak on 6.12, a cold make check). Such writes must fail
#     (EBUSY loading, ENODEV unloading) and leave the load and the unload
#     alone.
# timeout: 300
. ./lib.sh

P=/sys/module/iommu_sac/parameters
unload_sac iommu_sac
check "iommu_sac.ko loads" load_sac iommu_sac
n0=$(dmesg | grep -c 'iommu_sac: ')
refused=0
for v in bogus "$EDU=bogus" "$EDU=dac,,x" "1234:11e=dac" "$EDU=default" ","; do
	echo "$v" > $P/devices 2>/dev/null || refused=$((refused + 1))
	echo "$v" > $P/default_policy 2>/dev/null || refused=$((refused + 1))
	echo "$v" > $P/rearm 2>/dev/null || refused=$((refused + 1))
	echo "$v" > $P/reset_stats 2>/dev/null || refused=$((refused + 1))
	echo "$v" > $P/statistics 2>/dev/null || refused=$((refused + 1))
	echo "$v" > $P/timing 2>/dev/null || refused=$((refused + 1))
done
check_eq "36 malformed run-time parameter writes refused" 36 $refused
n1=$(dmesg | grep -c 'iommu_sac: ')
check_eq "kernel log lines of iommu_sac from them (docs/interfaces.md: none)" 0 $((n1 - n0))
[ $((n1 - n0)) -eq 0 ] || dmesg | grep 'iommu_sac: ' | tail -n 3 | sed 's/^/# /'
check "iommu_sac.ko unloads" unload_sac iommu_sac
n0=$(dmesg | grep -c "malformed entry '$EDU=bogus'")
load_sac iommu_sac devices=$EDU=bogus 2>/dev/null
check "a malformed devices= at load is refused" sh -c "! grep -q '^iommu_sac ' /proc/modules"
n1=$(dmesg | grep -c "malformed entry '$EDU=bogus'")
check "a malformed devices= at load still names the entry ($((n1 - n0)) lines)" [ $((n1 - n0)) -ge 1 ]

# 2: writers hammer the parameter files while the module is loaded and
# unloaded 30 times with a valid devices=.
W=/tmp/regress
rm -rf $W
mkdir -p $W
for f in devices default_policy; do
	( while [ ! -e $W/stop ]; do
		echo bogus > $P/$f 2>/dev/null && echo "$f" >> $W/accepted
	done ) &
done
# statistics=0 is valid at run time: it must not reach a load in progress.
( while [ ! -e $W/stop ]; do
	echo 0 > $P/statistics 2>/dev/null
done ) &
loads=0 failed=0
# 6.6+: a load with statistics off and only auto/dac leaves the hook off
# and says so; these loads have statistics on (the default).
s0=$(dmesg | grep -c 'iommu_sac: hook not registered: statistics off')
for i in $(seq 1 30); do
	if load_sac iommu_sac devices=$EDU=dac 2>/dev/null; then
		loads=$((loads + 1))
		[ "$(cat /sys/kernel/debug/iommu_sac/devices/$EDU/policy)" = dac ] ||
			failed=$((failed + 1))
		unload_sac iommu_sac
	else
		failed=$((failed + 1))
	fi
done
touch $W/stop
wait
check_eq "loads with devices=$EDU=dac under concurrent bogus writes that worked as given" \
	"30 0" "$loads $failed"
check_eq "loads that started with statistics off (a run-time statistics=0 reached them)" 0 \
	$(( $(dmesg | grep -c 'iommu_sac: hook not registered: statistics off') - s0 ))
check_eq "bogus parameter writes accepted (during load, unload or run time)" 0 \
	"$(cat $W/accepted 2>/dev/null | wc -l)"
[ -s $W/accepted ] && diag "accepted by: $(sort $W/accepted | uniq -c | tr -s ' \n' ' ')"
rm -rf $W

# 3: a control byte is no hex digit (printf: octal 024 is 0x14).
bad=$(printf '123\024:11e8=dac')
bad2=$(printf '\023000:00:04.0=dac')
load_sac iommu_sac "devices=$bad" 2>/dev/null
check "devices=123<0x14>:11e8=dac at load is refused" sh -c "! grep -q '^iommu_sac ' /proc/modules"
unload_sac iommu_sac
load_sac iommu_sac "devices=$bad2" 2>/dev/null
check "devices=<0x13>000:00:04.0=dac at load is refused" sh -c "! grep -q '^iommu_sac ' /proc/modules"
unload_sac iommu_sac
check "iommu_sac.ko loads" load_sac iommu_sac devices=$EDU32=dma32
printf '%s\n' "$bad" > $P/devices 2>/dev/null
check_eq "run-time devices=123<0x14>:11e8=dac: refused, the rules unchanged" \
	"$EDU32=dma32" "$(head -c 12 $P/devices)=$(kv /sys/kernel/debug/iommu_sac/devices/$EDU32/state policy)"
check_eq "EDU keeps its policy" default "$(cat /sys/kernel/debug/iommu_sac/devices/$EDU/policy)"
check "iommu_sac.ko unloads" unload_sac iommu_sac

# 4: debugfs writes that need the hook, around loads and unloads.
D=/sys/kernel/debug/iommu_sac
W=$(mktemp -d)
r0=$(dmesg | grep -c 'iommu_sac: hook registered: needed again')
for f in default_policy "devices/$EDU/policy" statistics; do
	( v=sac
	[ $f = statistics ] && v=1
	while [ ! -e $W/stop ]; do
		{ echo $v > $D/$f; } 2>/dev/null
	done ) &
done
# rmmod fails while a writer holds one of the files open (the module is
# in use): it is tried again until it gets through between two writes.
loads=0 unloads=0 busy=0
for i in $(seq 1 20); do
	load_sac iommu_sac 2>/dev/null && loads=$((loads + 1))
	t=0
	until unload_sac iommu_sac 2>/dev/null || [ $t -ge 1000 ]; do
		t=$((t + 1))
	done
	busy=$((busy + t))
	grep -q '^iommu_sac ' /proc/modules || unloads=$((unloads + 1))
done
touch $W/stop
wait
rm -rf $W
check_eq "20 loads and unloads while debugfs writes of sac and statistics=1 run: all worked" \
	"20 20" "$loads $unloads"
diag "rmmod refused $busy times (module in use: a writer had a file open)"
TR=/sys/kernel/tracing
[ -e $TR/enabled_functions ] || TR=/sys/kernel/debug/tracing
check_eq "iommu_dma_alloc_iova traced by nothing once the module is gone (enabled_functions)" 0 \
	"$(grep -c '^iommu_dma_alloc_iova' $TR/enabled_functions)"
check_eq "no 'hook registered: needed again' from those writes" 0 \
	$(( $(dmesg | grep -c 'iommu_sac: hook registered: needed again') - r0 ))
check "DMA still maps after it (4 MiB read from nvme0n1, O_DIRECT)" \
	dd if=/dev/nvme0n1 of=/dev/null bs=64k count=64 iflag=direct
done_testing
