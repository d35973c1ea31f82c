#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The walk-through of docs/guide.md on the DKMS-installed module: load with
# modprobe, inspect, override, trace, read the stats, persist in
# modprobe.d, unload. Every command's output is printed as TAP comments
# ("# $ command", then its output), which is what the guide quotes; the
# checks make sure the walk-through still does what the guide says: each
# command's output says what the module really did (the version installed,
# the device count, the named device's switch notice, the counters, the
# policies), not only that the command exited 0.
# timeout: 240
. ./lib.sh

[ -s /etc/sac/version ] || skip_all "no DKMS-installed module in this guest (see the setup:dkms results)"
command -v sacctl >/dev/null || skip_all "sacctl not built (make -C tools/sacctl)"
mkdir -p /tmp/kmod
for t in modprobe modinfo; do ln -sf /bin/kmod /tmp/kmod/$t; done
export PATH=/tmp/kmod:$PATH
D=/sys/kernel/debug/iommu_sac
E=/sys/kernel/debug/sac_edu/$EDU
CONF=/etc/modprobe.d/iommu-sac.conf

# run CMD...: print "$ CMD" and its output as comments; return its status.
run() {
	echo "# \$ $*"
	sh -c "$*" > /tmp/g.out 2>&1
	rc=$?
	sed 's/^/#   /' /tmp/g.out
	return $rc
}

# says DESC ERE: the last run's output has a line matching ERE.
says() { check "$1" grep -Eq "$2" /tmp/g.out; }
# row DEV: DEV's line of the last run's output (a table of sacctl).
row() { awk -v d="$1" '$1 == d' /tmp/g.out; }
# notices: the kernel's "Using N-bit DMA addresses" notices naming EDU.
notices() { dmesg | grep -c "sac_edu $EDU: Using [0-9]*-bit DMA addresses"; }
ver=$(cat /etc/sac/version)
KVER=$(uname -r)
# KVER as an ERE (6.12's is "6.12.117+deb13-amd64": the '+' is no operator).
KRE=$(printf '%s' "$KVER" | sed 's/[][\\.*+?^$(){}|]/\\&/g')

unload_sac sac_edu
unload_sac_all
rm -f $CONF

# Load and inspect.
check "modprobe iommu_sac" run /tmp/kmod/modprobe iommu_sac
check_eq "modprobe iommu_sac: loaded, version (sysfs)" "$ver" "$(cat /sys/module/iommu_sac/version 2>/dev/null)"
check_eq "modprobe iommu_sac: loaded iommu_sac_fops first, version (sysfs)" "$ver" \
	"$(cat /sys/module/iommu_sac_fops/version 2>/dev/null)"
ndev=$(kv $D/stats devices)
check "the module serves devices ($ndev)" [ "${ndev:-0}" -gt 0 ]
run "dmesg | grep iommu_sac"
check "dmesg: the last iommu_sac line is this load (version $ver, default policy auto, $ndev devices)" \
	sh -c "tail -n1 /tmp/g.out | grep -q 'iommu_sac: version $ver: hooked iommu_dma_alloc_iova(), default policy auto, $ndev devices\$'"
check "modinfo iommu_sac" run "/tmp/kmod/modinfo iommu_sac | grep -E '^(filename|version|description|license|vermagic|parm):'"
says "modinfo: filename is the DKMS-installed module" "^filename: +/lib/modules/$KRE/updates/dkms/iommu_sac\.ko$"
says "modinfo: version $ver" "^version: +$ver$"
says "modinfo: vermagic of $KVER" "^vermagic: +$KRE "
says "modinfo: parameter devices" "^parm: +devices:"
check "sacctl --version" run sacctl --version
check_eq "sacctl --version: the output" "sacctl $ver" "$(cat /tmp/g.out)"
check "sacctl status" run sacctl status
says "sacctl status: module iommu_sac $ver" "^module +iommu_sac $ver$"
says "sacctl status: hook registered" "^hook +registered "
says "sacctl status: default policy auto" "^default policy +auto$"
says "sacctl status: devices $ndev" "^devices +$ndev$"
check "sacctl list" run sacctl list
check_eq "sacctl list: one row per device" "$ndev" "$(grep -c '^[0-9a-f]\{4\}:' /tmp/g.out)"
says "sacctl list: NVME's row (driver nvme, policy auto, state sac)" "^$NVME +nvme +64 +auto +sac "
run ls $D $D/devices/$NVME

# Real DMA: 4 MiB through the nvme, then fill one edu device's 32-bit space.
a0=$(kv $D/devices/$NVME/stats allocs)
dd if=/dev/urandom of=/tmp/r bs=64k count=64 2>/dev/null
dd if=/tmp/r of=/dev/nvme0n1 bs=64k oflag=direct 2>/dev/null
a1=$(kv $D/devices/$NVME/stats allocs)
check "4 MiB to the nvme: the module served its mappings (NVME allocs $a0 -> $a1)" \
	[ "${a1:-0}" -gt "${a0:-0}" ]
check "the test driver sac_edu loads" load_sac sac_edu
# (An earlier test may have left EDU switched: the fill must switch it.)
echo "$EDU" > $D/rearm
n0=$(notices)
echo 1000 4096 > $E/maploop
echo 2048 512 > $E/fill
check "dmesg shows $EDU switching" run "dmesg | grep 'DMA addresses'"
check_eq "dmesg: one new 'Using N-bit DMA addresses' notice naming $EDU" $((n0 + 1)) \
	"$(grep -c "sac_edu $EDU: Using [0-9]*-bit DMA addresses" /tmp/g.out)"
check "sacctl show $EDU" run sacctl show $EDU
check_eq "sacctl show $EDU: first line" "$EDU (driver sac_edu)" "$(head -n1 /tmp/g.out)"
says "sacctl show $EDU: policy default, effective auto, state dac" \
	"^  policy default, effective auto, state dac, DMA limit 64 bits$"
says "sacctl show $EDU: the switch of a 2 MiB allocation" "^  switches [0-9]+, last .* \(size 2097152, by alloc\)$"
check_eq "$EDU switched to dac (policy auto)" dac "$(kv $D/devices/$EDU/state state)"
run cat $D/devices/$EDU/state
run cat $D/devices/$EDU/stats
allocs=$(kv $D/devices/$EDU/stats allocs)
check "sacctl stats" run sacctl stats
check_eq "sacctl stats: $EDU's allocations (1000 + 2048), debugfs and sacctl" \
	"3048 3048" "$allocs $(row $EDU | awk '{ print $2 }')"
run cat $D/stats
echo all > $E/release

# Override at run time.
check "sacctl set $EDU32 dma32" run sacctl set $EDU32 dma32
check_eq "sacctl set: what it says" "$EDU32: policy dma32 (was default), effective dma32" "$(cat /tmp/g.out)"
check "sacctl rearm $EDU" run sacctl rearm $EDU
check_eq "sacctl rearm: what it says" "rearmed $EDU" "$(cat /tmp/g.out)"
check_eq "sacctl rearm: $EDU's state" sac "$(kv $D/devices/$EDU/state state)"
check "sacctl default dac" run sacctl default dac
check_eq "sacctl default: what it says" "default policy dac (was auto)" "$(cat /tmp/g.out)"
check "sacctl list" run sacctl list
says "sacctl list: $EDU32 on its override dma32*" "^$EDU32 +sac_edu +64 +dma32\* +sac "
says "sacctl list: $EDU on the new default dac (no override)" "^$EDU +sac_edu +64 +dac +sac "
check_eq "debugfs: $EDU32 policy" dma32 "$(cat $D/devices/$EDU32/policy)"
check_eq "debugfs: default_policy" dac "$(cat $D/default_policy)"
run "echo auto > $D/default_policy; echo default > $D/devices/$EDU32/policy; cat $D/devices/$EDU32/policy"
check_eq "debugfs writes: $EDU32 policy back to default" default "$(cat /tmp/g.out)"
check "sacctl reset" run sacctl reset
check_eq "sacctl reset: $EDU allocs" 0 "$(kv $D/devices/$EDU/stats allocs)"

# Trace. The workload starts a second late: trace-cmd 3.1.6 loses the
# events of a CPU whose recorder child had not entered its loop when the
# command ended (tests/guest/sacctl-trace.sh, tc_record), as docs/guide.md
# tells.
cd /tmp
check "trace-cmd record -e iommu_sac" run trace-cmd record -q -e iommu_sac -o /tmp/trace.dat \
	"sh -c \"sleep 1; echo '100 4096' > $E/maploop; echo '2048 512' > $E/fill\""
run "trace-cmd report -i /tmp/trace.dat 2>/dev/null | grep -v '^cpus=' | sed -n '1,4p;/switch/p' | cut -c1-160"
says "trace-cmd report: $EDU's switch (a 2 MiB allocation)" \
	"sac_switch: +dev=$EDU state=dac bits=[0-9]+ size=2097152 by=alloc"
check "sacctl trace -i trace.dat" run sacctl trace -i /tmp/trace.dat
says "sacctl trace -i: $EDU's 2148 allocations (100 + 2048)" "^$EDU: 2148 allocations, "
says "sacctl trace -i: $EDU switched once" "^  switches 1, "
cd - >/dev/null
echo all > $E/release
unload_sac sac_edu

# Persist.
cat > $CONF <<EOC
options iommu_sac default_policy=auto devices=1234:11e8=dac,$EDU32=dma32
EOC
run cat $CONF
check "modprobe -r iommu_sac" run /tmp/kmod/modprobe -r iommu_sac
check "modprobe iommu_sac" run /tmp/kmod/modprobe iommu_sac
check "sacctl list" run sacctl list
says "sacctl list: $EDU on its ID rule dac*" "^$EDU +[^ ]+ +[0-9]+ +dac\* +(sac|dac) "
says "sacctl list: $EDU32 on its address rule dma32*" "^$EDU32 +[^ ]+ +[0-9]+ +dma32\* +(sac|dac) "
says "sacctl list: $NVME on the default auto" "^$NVME +nvme +64 +auto +sac "
check_eq "persisted: $EDU32" dma32 "$(cat $D/devices/$EDU32/policy)"
check_eq "persisted: $EDU" dac "$(cat $D/devices/$EDU/policy)"
run "dmesg | grep iommu_sac | tail -n 4"
check "dmesg: the last iommu_sac line is the reload (default policy auto)" \
	sh -c "tail -n1 /tmp/g.out | grep -q 'iommu_sac: version $ver: hooked iommu_dma_alloc_iova(), default policy auto, [0-9]* devices\$'"
check "modprobe -r iommu_sac" run /tmp/kmod/modprobe -r iommu_sac
check "modprobe -r: iommu_sac is gone" sh -c "! grep -q '^iommu_sac ' /proc/modules"
check "modprobe -r: iommu_sac_fops is gone with it" sh -c "! grep -q '^iommu_sac_fops ' /proc/modules"
run "dmesg | tail -n 1"
says "dmesg: the unload message" "iommu_sac: unloaded: devices are back with the kernel$"
rm -f $CONF /tmp/r /tmp/trace.dat /tmp/g.out
done_testing
