#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The sysfs control plane (/sys/module/iommu_sac/parameters/), which kernel
# lockdown leaves open: modes (root writes only), default_policy and
# devices read back what runs and apply what is written (a whole rule set
# for present and future devices), rearm and reset_stats; bad input is
# EINVAL and changes nothing; two concurrent writers of rule sets never
# leave a mix; sacctl through debugfs and through sysfs leaves the same
# state. The timing switch (also at load) agrees with debugfs.
# timeout: 300
. ./lib.sh

command -v sacctl >/dev/null || skip_all "sacctl not built (make -C tools/sacctl)"
P=/sys/module/iommu_sac/parameters
D=/sys/kernel/debug/iommu_sac
E=/sys/kernel/debug/sac_edu
check "iommu_sac from an earlier test is unloaded" unload_sac iommu_sac
check "iommu_sac.ko loads without parameters" insmod /lib/sac/iommu_sac.ko
check "sac_edu.ko loads" load_sac sac_edu
nic_id=$(sed 's/^0x//' /sys/bus/pci/devices/$NIC0/vendor):$(sed 's/^0x//' /sys/bus/pci/devices/$NIC0/device)

check_eq "modes of default_policy devices rearm reset_stats iova32_max_iovas" \
	"644 644 200 200 444" \
	"$(for f in default_policy devices rearm reset_stats iova32_max_iovas; do stat -c %a $P/$f; done | tr '\n' ' ' | sed 's/ $//')"
check_eq "owned by root" "0 0 0 0 0" \
	"$(for f in default_policy devices rearm reset_stats iova32_max_iovas; do stat -c %u $P/$f; done | tr '\n' ' ' | sed 's/ $//')"
check_eq "default_policy reads the running default" auto "$(cat $P/default_policy)"
check_eq "devices reads empty without rules or overrides" "" "$(cat $P/devices)"

# wr FILE VALUE: write like sh does; prints the exit status.
wr() { (printf '%s' "$2" > "$1") 2>/dev/null; echo $?; }
# sorted_set LIST: a comma list with its entries sorted (the module lists
# overrides in its table's order, not in the order they were written).
sorted_set() { echo "$1" | tr ',' '\n' | sort | tr '\n' , | sed 's/,$//'; }
state() {
	echo "default $(cat $D/default_policy) devices $(cat $P/devices)"
	for d in $D/devices/*; do echo "${d##*/} $(cat $d/policy)"; done
}

# timing: the latency switch, also in sysfs (boot: iommu_sac.timing=1).
check_eq "timing: mode 644, reads 0 by default" "644 0" "$(stat -c %a $P/timing) $(cat $P/timing)"
for v in 2 yes on "1 1" " " x -1; do
	check_eq "timing '$v': refused" 1 "$(wr $P/timing "$v")"
done
check_eq "timing: still 0, stats say off" "0 off" "$(cat $P/timing) $(kv $D/stats timing)"
check_eq "write timing 1" 0 "$(wr $P/timing 1)"
check_eq "timing: sysfs, debugfs and stats agree" "1 1 on" \
	"$(cat $P/timing) $(cat $D/timing) $(kv $D/stats timing)"
echo 0 > $D/timing
check_eq "a debugfs write shows in the parameter" "0 off" "$(cat $P/timing) $(kv $D/stats timing)"
check "iommu_sac reloads with timing=1" sh -c "rmmod iommu_sac && insmod /lib/sac/iommu_sac.ko timing=1"
check_eq "timing=1 at load: on" "1 on" "$(cat $P/timing) $(kv $D/stats timing)"
echo 1 > $D/reset_stats
echo "20 4096" > $E/$EDU/maploop
check_eq "timing=1 at load: the EDU's 20 mappings timed" 20 \
	"$(awk '{ s += $3 } END { print s }' $D/devices/$EDU/latency)"
check "iommu_sac refuses timing=2 at load" sh -c "rmmod iommu_sac && ! insmod /lib/sac/iommu_sac.ko timing=2 2>/dev/null"
check "dmesg names the bad timing value" sh -c "dmesg | tail -n 5 | grep -q \"timing=: '2' is not 0 or 1\""
check "iommu_sac.ko loads without parameters again" insmod /lib/sac/iommu_sac.ko
check_eq "timing: off again after the reload" "0 off" "$(cat $P/timing) $(kv $D/stats timing)"

check_eq "write default_policy dac" 0 "$(wr $P/default_policy dac)"
check_eq "debugfs sees the default" dac "$(cat $D/default_policy)"
check_eq "default_policy reads it back" dac "$(cat $P/default_policy)"
echo auto > $D/default_policy
check_eq "a debugfs write shows in the parameter" auto "$(cat $P/default_policy)"

rules="$EDU=dac,$EDU32=dma32"
check_eq "write devices=$rules" 0 "$(wr $P/devices "$rules")"
check_eq "EDU's override" dac "$(cat $D/devices/$EDU/policy)"
check_eq "EDU32's override" dma32 "$(cat $D/devices/$EDU32/policy)"
check_eq "devices reads back exactly what was written" "$rules" "$(cat $P/devices)"
check_eq "EDU maps above 4 GiB now" above "$(fill_class "$EDU")"
echo sac > $D/devices/$NIC0/policy
check_eq "a debugfs override shows in devices, after the rules" "$EDU=dac,$EDU32=dma32,$NIC0=sac" \
	"$(cat $P/devices)"
echo sac > $D/devices/$EDU/policy
check_eq "a debugfs override replaces the device's own rule" "$(sorted_set "$EDU32=dma32,$EDU=sac,$NIC0=sac")" \
	"$(sorted_set "$(cat $P/devices)")"

# A new rule set replaces the old one on every device.
check_eq "write devices=$nic_id=dac (an ID rule)" 0 "$(wr $P/devices "$nic_id=dac")"
check_eq "NIC0 follows the new set" dac "$(cat $D/devices/$NIC0/policy)"
check_eq "NIC1 follows the new set" dac "$(cat $D/devices/$NIC1/policy)"
check_eq "EDU lost its old rule" default "$(cat $D/devices/$EDU/policy)"
check_eq "devices reads back the ID rule alone (the overrides are what it gives)" \
	"$nic_id=dac" "$(cat $P/devices)"
# ... and on devices added later.
echo 1 > /sys/bus/pci/devices/$NIC1/remove
echo 1 > /sys/bus/pci/rescan
sleep 1
check_eq "a re-added NIC1 gets the ID rule" dac "$(cat $D/devices/$NIC1/policy 2>/dev/null)"
check_eq "an empty write clears every rule" 0 "$(wr $P/devices "
")"
check_eq "NIC0 back to default" default "$(cat $D/devices/$NIC0/policy)"

# Bad input: EINVAL, nothing changes.
echo "$EDU=sac,$nic_id=dma32" > $P/devices
echo kernel > $P/default_policy
state > /tmp/sysfs.before
# (A zero-length write never reaches the module: "" is a lone newline.)
nl='
'
for bad in bogus "dac sac" default "$nl" "DAC,"; do
	check_eq "default_policy '$bad' is refused" 1 "$(wr $P/default_policy "$bad")"
done
for bad in "$EDU=bogus" "$EDU=dac," ",$EDU=dac" "$EDU=default" "0000:00:20.0=dac" "8086=dac" \
	"$EDU =dac" "$EDU=dac $EDU32=sac" "$(head -c 5000 /dev/zero | tr '\0' a)"; do
	check_eq "devices '$(echo "$bad" | cut -c1-40)' is refused" 1 "$(wr $P/devices "$bad")"
done
for bad in "$nl" nosuch "0000:00:1f.7" "all all"; do
	check_eq "rearm '$bad' is refused" 1 "$(wr $P/rearm "$bad")"
done
for bad in "$nl" 0 2 yes; do
	check_eq "reset_stats '$bad' is refused" 1 "$(wr $P/reset_stats "$bad")"
done
state > /tmp/sysfs.after
if cmp -s /tmp/sysfs.before /tmp/sysfs.after; then
	ok "refused writes changed nothing ($(wc -l < /tmp/sysfs.after) lines of state)"
else
	not_ok "refused writes changed nothing"
	diff /tmp/sysfs.before /tmp/sysfs.after | sed 's/^/# /'
fi
dmesg | grep -c 'WARNING\|BUG' > /tmp/sysfs.warn
check_eq "no kernel complaint from the bad input" 0 "$(cat /tmp/sysfs.warn)"

# rearm and reset_stats.
echo auto > $D/devices/$EDU/policy
echo all > $E/$EDU/release
echo "2200 512" > "$E/$EDU/fill" 2>/dev/null
echo all > $E/$EDU/release
check_eq "EDU switched to dac by a full 32-bit space" dac "$(kv $D/devices/$EDU/state state)"
check_eq "write rearm $EDU" 0 "$(wr $P/rearm "$EDU")"
check_eq "EDU is back to sac" sac "$(kv $D/devices/$EDU/state state)"
check "EDU has counted allocations" [ "$(kv $D/devices/$EDU/stats allocs)" -gt 0 ]
check_eq "write reset_stats 1" 0 "$(wr $P/reset_stats 1)"
check_eq "EDU's counters are zero" 0 "$(kv $D/devices/$EDU/stats allocs)"

# Two writers, 200 rule sets each: the end state is one whole set.
A="$EDU=dac,$EDU32=dac,$NVME=dac"
B="$EDU=sac,$EDU32=dma32,$NVME=kernel"
(i=0; while [ $i -lt 200 ]; do printf '%s' "$A" > $P/devices; i=$((i + 1)); done) &
pa=$!
(i=0; while [ $i -lt 200 ]; do printf '%s' "$B" > $P/devices; i=$((i + 1)); done) &
pb=$!
wait $pa
wait $pb
end="$(cat $D/devices/$EDU/policy),$(cat $D/devices/$EDU32/policy),$(cat $D/devices/$NVME/policy)"
case "$end|$(sorted_set "$(cat $P/devices)")" in
"dac,dac,dac|$(sorted_set "$A")" | "sac,dma32,kernel|$(sorted_set "$B")") ok "after 2 x 200 concurrent writes the devices hold one whole set ($end)" ;;
*) not_ok "after concurrent writes the devices hold one whole set (saw $end, devices $(cat $P/devices))" ;;
esac
echo > $P/devices
echo auto > $P/default_policy

# Not root: no write (busybox su as root needs no password; the guest's
# /etc has no passwd of its own).
grep -q '^nobody:' /etc/passwd 2>/dev/null || echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >> /etc/passwd
grep -q '^nogroup:' /etc/group 2>/dev/null || echo 'nogroup:x:65534:' >> /etc/group
check_eq "su runs a shell as uid 65534" 65534 "$(su nobody -s /bin/sh -c 'id -u' 2>/dev/null)"
su nobody -s /bin/sh -c "printf dac > $P/default_policy" 2>/dev/null
check_eq "a non-root write to default_policy is refused" 1 $?
su nobody -s /bin/sh -c "printf '$EDU=dac' > $P/devices" 2>/dev/null
check_eq "a non-root write to devices is refused" 1 $?
check_eq "and changed nothing" "auto " "$(cat $P/default_policy) $(cat $P/devices)"

# sacctl through either plane leaves the same state.
via_dbg=$(SACCTL_CONTROL=debugfs ctl_sequence)
echo > $P/devices
echo auto > $P/default_policy
via_sys=$(SACCTL_CONTROL=sysfs ctl_sequence)
diag "debugfs: $via_dbg"
diag "sysfs:   $via_sys"
check_eq "sacctl through sysfs leaves the state it leaves through debugfs" "$via_dbg" "$via_sys"
check "the sequence's commands all succeeded" sh -c "echo '$via_sys' | grep -q 'rc=0,0,0,0,0,0,0$'"
check "and set what it says" sh -c "echo '$via_sys' | grep -q '^default=dac .* $EDU=sac $EDU32=dma32 '"
SACCTL_CONTROL=sysfs sacctl set "$EDU" dac > /tmp/sysfs.out 2>&1
check "sacctl says which plane it used" grep -q "through sysfs" /tmp/sysfs.out

check "sac_edu unloads" unload_sac sac_edu
check "iommu_sac unloads" unload_sac iommu_sac
check_eq "the parameters are gone with the module" no "$([ -e $P/devices ] && echo yes || echo no)"
done_testing
