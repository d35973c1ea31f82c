#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The main job's guest script (make run): load iommu_sac.ko, drive real DMA
# through the emulated IOMMU (edu DMA engine, nvme, e1000e), exhaust one
# device's 32-bit IOVA space, and show what the module saw and did.
SAC_FOPS_PRELOAD=0
. ./lib.sh

D=/sys/kernel/debug/iommu_sac
step() { echo; echo "### $*"; }
show() { echo "\$ $*"; "$@" 2>&1 | sed 's/^/    /'; }
kvline() { awk '{ printf "%s=%s ", $1, $2 } END { print "" }' "$1"; }
devrow() {
	local d=$1
	printf '%-14s policy=%-7s ' "$d" "$(cat $D/devices/$d/policy)"
	awk '$1 == "state" || $1 == "switches" || $1 == "dma_limit_bits" { printf "%s=%s ", $1, $2 }' \
		"$D/devices/$d/state"
	awk '$1 == "allocs" || $1 == "sac_hits" || $1 == "sac_misses" || $1 == "dac_allocs" { printf "%s=%s ", $1, $2 }' \
		"$D/devices/$d/stats"
	echo
}
devices() {
	for d in $(ls $D/devices); do devrow "$d"; done
}
sacctl_or() { # prefer sacctl when it is in the guest
	if command -v sacctl >/dev/null 2>&1; then show sacctl "$@"; return 0; fi
	return 1
}

step "kernel $(uname -r), IOMMU: $(ls /sys/class/iommu) with $(ls /sys/kernel/iommu_groups | wc -l) groups"
# iommu_sac.ko needs iommu_sac_fops.ko (its debugfs files' operations):
# modprobe loads it first; by path, insmod it first.
show insmod /lib/sac/iommu_sac_fops.ko
show insmod /lib/sac/iommu_sac.ko
show insmod /lib/sac/sac_edu.ko
# Latency timing is off by default (it costs the clock reads on every
# allocation); the demo shows the histogram, so it switches it on.
sacctl_or timing on || { echo 1 > $D/timing; echo "    latency timing: $(cat $D/timing)"; }
sacctl_or status || show cat $D/stats

step "drive DMA: nvme write/read, edu round trips, e1000e ping"
dd if=/dev/urandom of=/tmp/r bs=64k count=64 2>/dev/null
dd if=/tmp/r of=/dev/nvme0n1 bs=64k oflag=direct 2>/dev/null
echo 3 > /proc/sys/vm/drop_caches
a=$(sha256sum < /tmp/r | cut -c1-16)
b=$(dd if=/dev/nvme0n1 bs=64k count=64 iflag=direct 2>/dev/null | sha256sum | cut -c1-16)
echo "    nvme 4 MiB written and read back: $a / $b $([ "$a" = "$b" ] && echo identical || echo DIFFERENT)"
for d in $EDU $EDU32; do
	echo 4095 > /sys/kernel/debug/sac_edu/$d/roundtrip
	echo "    edu $d: $(cat /sys/kernel/debug/sac_edu/$d/roundtrip)"
done
nic=$(ls /sys/bus/pci/devices/$NIC0/net)
ip link set "$nic" up
echo 1000 4096 > /sys/kernel/debug/sac_edu/$EDU/maploop
echo "    edu $EDU maploop: $(cat /sys/kernel/debug/sac_edu/$EDU/maploop)"
step "per-device policy, state and counters"
sacctl_or list || devices

step "exhaust $EDU's 32-bit IOVA space (policy auto = upstream 6.6 semantics)"
echo 2048 512 > /sys/kernel/debug/sac_edu/$EDU/fill
echo "    held: $(kvline /sys/kernel/debug/sac_edu/$EDU/held)"
show sh -c "dmesg | grep 'DMA addresses'"
sacctl_or show $EDU || show cat $D/devices/$EDU/state
echo 4095 > /sys/kernel/debug/sac_edu/$EDU/roundtrip
echo "    edu $EDU after the switch: $(cat /sys/kernel/debug/sac_edu/$EDU/roundtrip)"

step "what the 32-bit IOVA space looks like now, and advice per device"
sacctl_or advise || show cat $D/devices/$EDU/iova32

step "runtime overrides: pin $EDU32 (drops high address bits) to dma32, re-arm $EDU"
echo dma32 > $D/devices/$EDU32/policy
echo "$EDU" > $D/rearm
echo 1 > /sys/kernel/debug/sac_edu/$EDU/release 2>/dev/null
echo all > /sys/kernel/debug/sac_edu/$EDU/release
sacctl_or list || devices
step "latency histogram of $EDU (ns)"
awk '$3 > 0 { printf "    %8s-%-8s %s\n", $1, $2, $3 }' $D/devices/$EDU/latency
step "global statistics"
sacctl_or stats || show cat $D/stats
show rmmod sac_edu
show rmmod iommu_sac
echo
