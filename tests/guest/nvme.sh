#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Real block DMA through the IOMMU: random data written to the nvme
# namespace with O_DIRECT reads back identical after the page cache is
# dropped.
# lanes: arm64
# timeout: 120
. ./lib.sh

dev=
for i in 1 2 3 4 5 6 7 8 9 10; do
	[ -b /dev/nvme0n1 ] && dev=/dev/nvme0n1 && break
	sleep 1
done
[ -n "$dev" ] || { not_ok "nvme namespace /dev/nvme0n1 appeared"; done_testing; }
ok "nvme namespace $dev appeared ($(cat /sys/block/nvme0n1/size) sectors)"
drv=$(basename "$(readlink /sys/bus/pci/devices/$NVME/driver)")
check_eq "nvme controller $NVME bound to" nvme "$drv"

for spec in "4096 1 0" "65536 64 17" "1048576 8 3"; do
	set -- $spec
	bs=$1 count=$2 seek=$3
	dd if=/dev/urandom of=/tmp/pattern bs="$bs" count="$count" 2>/dev/null
	want=$(sha256sum < /tmp/pattern | cut -d' ' -f1)
	dd if=/tmp/pattern of="$dev" bs="$bs" seek="$seek" count="$count" oflag=direct conv=fsync 2>/dev/null
	echo 3 > /proc/sys/vm/drop_caches
	got=$(dd if="$dev" bs="$bs" skip="$seek" count="$count" iflag=direct 2>/dev/null |
		sha256sum | cut -d' ' -f1)
	check_eq "nvme write+read of $count x $bs bytes at block $seek (sha256)" "$want" "$got"
done
rm -f /tmp/pattern
done_testing
