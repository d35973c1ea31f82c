#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The walk-through of docs/guide.md on the DKMS-installed module: load with
# modprobe, inspect, override, trace, read the stats, persist in
# modprobe.d, unload. Every command's output is printed as TAP comments
# ("# $ command", then its output), which is what the guide quotes; the
# checks make sure the walk-through still does what the guide says.
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

unload_sac sac_edu
unload_sac iommu_sac
rm -f $CONF

# Load and inspect.
check "modprobe iommu_sac" run /tmp/kmod/modprobe iommu_sac
run "dmesg | grep iommu_sac"
check "modinfo iommu_sac" run "/tmp/kmod/modinfo iommu_sac | grep -E '^(filename|version|description|license|vermagic|parm):'"
check "sacctl --version" run sacctl --version
check "sacctl status" run sacctl status
check "sacctl list" run sacctl list
run ls $D $D/devices/$NVME

# Real DMA: 4 MiB through the nvme, then fill one edu device's 32-bit space.
dd if=/dev/urandom of=/tmp/r bs=64k count=64 2>/dev/null
dd if=/tmp/r of=/dev/nvme0n1 bs=64k oflag=direct 2>/dev/null
check "the test driver sac_edu loads" load_sac sac_edu
echo 1000 4096 > $E/maploop
echo 2048 512 > $E/fill
check "dmesg shows $EDU switching" run "dmesg | grep 'DMA addresses'"
check "sacctl show $EDU" run sacctl show $EDU
check_eq "$EDU switched to dac (policy auto)" dac "$(kv $D/devices/$EDU/state state)"
run cat $D/devices/$EDU/state
run cat $D/devices/$EDU/stats
check "sacctl stats" run sacctl stats
run cat $D/stats
echo all > $E/release

# Override at run time.
check "sacctl set $EDU32 dma32" run sacctl set $EDU32 dma32
check "sacctl rearm $EDU" run sacctl rearm $EDU
check "sacctl default dac" run sacctl default dac
check "sacctl list" run sacctl list
check_eq "debugfs: $EDU32 policy" dma32 "$(cat $D/devices/$EDU32/policy)"
check_eq "debugfs: default_policy" dac "$(cat $D/default_policy)"
run "echo auto > $D/default_policy; echo default > $D/devices/$EDU32/policy; cat $D/devices/$EDU32/policy"
check "sacctl reset" run sacctl reset

# Trace.
cd /tmp
check "trace-cmd record -e iommu_sac" run trace-cmd record -q -e iommu_sac -o /tmp/trace.dat \
	"sh -c \"echo '100 4096' > $E/maploop; echo '2048 512' > $E/fill\""
run "trace-cmd report -i /tmp/trace.dat 2>/dev/null | grep -v '^cpus=' | sed -n '1,4p;/switch/p' | cut -c1-160"
check "sacctl trace -i trace.dat" run sacctl trace -i /tmp/trace.dat
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
check_eq "persisted: $EDU32" dma32 "$(cat $D/devices/$EDU32/policy)"
check_eq "persisted: $EDU" dac "$(cat $D/devices/$EDU/policy)"
run "dmesg | grep iommu_sac | tail -n 4"
check "modprobe -r iommu_sac" run /tmp/kmod/modprobe -r iommu_sac
run "dmesg | tail -n 1"
rm -f $CONF /tmp/r /tmp/trace.dat /tmp/g.out
done_testing
