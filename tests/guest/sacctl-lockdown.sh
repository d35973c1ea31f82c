#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# sacctl under kernel lockdown: raised at run time to "integrity" (it cannot
# be lowered again, hence a boot of its own), debugfs still lets root read
# the 0400 files, so list works, but writes are refused: exit 6.
# boot: sacctl.lockdown=1
# timeout: 120
. ./lib.sh

command -v sacctl >/dev/null || skip_all "sacctl not built (make -C tools/sacctl)"
check "iommu_sac.ko loads" load_sac iommu_sac
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
L=/sys/kernel/security/lockdown
[ -w "$L" ] || { skip "lockdown" "no lockdown LSM in this kernel"; done_testing; }
check "raise lockdown to integrity" sh -c "echo integrity > $L"
check "lockdown is integrity" grep -q '\[integrity\]' "$L"
D=/sys/kernel/debug/iommu_sac
sacctl list > /tmp/l.out 2>&1
check_eq "list still works (0400 files)" 0 "$?"
check_eq "list under lockdown: one row per device" "$(kv $D/stats devices)" \
	"$(grep -c '^[0-9a-f]\{4\}:' /tmp/l.out)"
check "list under lockdown: EDU's row with its policy (auto)" \
	grep -Eq "^$EDU +[^ ]+ +[0-9]+ +auto +(sac|dac) " /tmp/l.out
# (the 0600 policy file cannot be opened under lockdown; state is 0400)
p0=$(kv $D/devices/$EDU/state policy)
sacctl set "$EDU" dac > /tmp/l.out 2>&1
check_eq "set under lockdown: exit 6" 6 "$?"
check "the message names lockdown" grep -q lockdown /tmp/l.out
check_eq "set under lockdown: EDU's policy unchanged (state file, before and after)" "default default" "$p0 $(kv $D/devices/$EDU/state policy)"
sacctl -j reset > /tmp/l.out 2>&1
check_eq "reset under lockdown: exit 6" 6 "$?"
check "the JSON error names lockdown" grep -q '"error":".*lockdown' /tmp/l.out
rm -f /tmp/l.out
done_testing
