#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# sacctl under kernel lockdown: raised at run time to "integrity" (it cannot
# be lowered again, hence a boot of its own). debugfs still lets root read
# the 0400 files, so list works, and refuses to open its writable files; the
# controls then go through the module parameters in sysfs, which lockdown
# leaves open: set, default, rearm, reset, timing and save work and say so, and the
# fixed sequence of lib.sh's ctl_sequence leaves the state it leaves
# without lockdown (sac-sysfs checks that one).
# boot: sacctl.lockdown=1
# timeout: 120
. ./lib.sh

command -v sacctl >/dev/null || skip_all "sacctl not built (make -C tools/sacctl)"
D=/sys/kernel/debug/iommu_sac
check "iommu_sac.ko loads" load_sac iommu_sac
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
L=/sys/kernel/security/lockdown
[ -w "$L" ] || { skip "lockdown" "no lockdown LSM in this kernel"; done_testing; }
check "raise lockdown to integrity" sh -c "echo integrity > $L"
check "lockdown is integrity" grep -q '\[integrity\]' "$L"
(echo dac > $D/default_policy) 2>/dev/null
check_eq "debugfs refuses its writable files now" 1 $?
sacctl list > /tmp/l.out 2>&1
check_eq "list still works (0400 files)" 0 "$?"
check_eq "list under lockdown: one row per device" "$(kv $D/stats devices)" \
	"$(grep -c '^[0-9a-f]\{4\}:' /tmp/l.out)"
check "list under lockdown: EDU's row with its policy (auto)" \
	grep -Eq "^$EDU +[^ ]+ +[0-9]+ +auto +(sac|dac) " /tmp/l.out

sacctl set "$EDU" dac > /tmp/l.out 2>&1
check_eq "set under lockdown: exit 0" 0 "$?"
check "set says it went through sysfs because of lockdown" \
	grep -q "through sysfs: debugfs is locked down" /tmp/l.out
check_eq "EDU's override is dac" dac "$(kv $D/devices/$EDU/state policy)"
# sac_edu is steered through debugfs too, closed now: show the policy at
# work on nvme, whose reads need no debugfs.
sacctl set "$NVME" dac > /dev/null 2>&1
check_eq "NVME set to dac under lockdown" dac "$(kv $D/devices/$NVME/state policy)"
t0=$(kv $D/devices/$NVME/stats sac_tries)
d0=$(kv $D/devices/$NVME/stats dac_allocs)
dd if=/dev/nvme0n1 of=/dev/null bs=64k count=64 iflag=direct 2>/dev/null
check_eq "4 MiB of direct nvme reads" 0 $?
check "NVME's reads were mapped from the full range ($d0 -> $(kv $D/devices/$NVME/stats dac_allocs) dac_allocs)" \
	[ "$(kv $D/devices/$NVME/stats dac_allocs)" -gt "$d0" ]
check_eq "and never tried 32-bit" "$t0" "$(kv $D/devices/$NVME/stats sac_tries)"
sacctl set "$NVME" default > /dev/null 2>&1
sacctl -j reset > /tmp/l.out 2>&1
check_eq "reset under lockdown: exit 0" 0 "$?"
check "the JSON says via sysfs" grep -q '"via":"sysfs"' /tmp/l.out
check_eq "EDU's counters are zero" 0 "$(kv $D/devices/$EDU/stats allocs)"

seq=$(ctl_sequence)
diag "$seq"
want="default=dac"
for d in $D/devices/*; do
	n=${d##*/}
	case $n in
	"$EDU") p=sac ;;
	"$EDU32") p=dma32 ;;
	*) p=default ;;
	esac
	want="$want $n=$p"
done
check_eq "ctl_sequence under lockdown: every command succeeded, the same state as without" \
	"$want allocs(EDU)=0 rc=0,0,0,0,0,0,0" "$seq"

sacctl save --file /tmp/l.conf > /tmp/l.out 2>&1
check_eq "save under lockdown: exit 0" 0 "$?"
check_eq "the saved options" "options iommu_sac default_policy=dac devices=$EDU=sac,$EDU32=dma32" \
	"$(grep -v '^#' /tmp/l.conf)"
sacctl set "$EDU" bogus > /tmp/l.out 2>&1
check_eq "a bad policy is still a usage error (exit 8)" 8 "$?"

# latency timing: the switch is a 0600 debugfs file, closed now; sacctl
# reads and writes the parameter instead.
T=/sys/module/iommu_sac/parameters/timing
cat $D/timing > /dev/null 2>&1
check_eq "debugfs refuses to open timing (0600), even to read" 1 $?
sacctl timing > /tmp/l.out 2>&1
check_eq "timing under lockdown: exit 0" 0 "$?"
check_eq "timing under lockdown: off, the switch read from sysfs" \
	"timing: off (switch off; the sac_alloc trace event is not enabled)" "$(cat /tmp/l.out)"
sacctl timing on > /tmp/l.out 2>&1
check_eq "timing on under lockdown: exit 0" 0 "$?"
check_eq "timing on under lockdown: on, through sysfs because of lockdown" \
	"timing: on (switch on, was off) (through sysfs: debugfs is locked down)" "$(cat /tmp/l.out)"
check_eq "the parameter reads 1, stats say on" "1 on" "$(cat $T) $(kv $D/stats timing)"
sacctl -j timing off > /tmp/l.out 2>&1
check_eq "timing off under lockdown: exit 0" 0 "$?"
check "timing off: the JSON says via sysfs, switch off" \
	grep -q '"timing":"off","switch":"off","previous":"on",.*"via":"sysfs"' /tmp/l.out
check_eq "the parameter reads 0, stats say off" "0 off" "$(cat $T) $(kv $D/stats timing)"
rm -f /tmp/l.out /tmp/l.conf
done_testing
