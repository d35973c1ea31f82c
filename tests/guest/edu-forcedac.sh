#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# With iommu.forcedac=1 the kernel skips the SAC trick: the full edu's
# round trips run byte-exact through IOVAs above 4 GiB, and the edu that
# drops high address bits cannot reach its buffers (the IOMMU faults, the
# driver sees a mismatch or a timeout instead of silent success).
# boot: iommu.forcedac=1
# allow: iommu-fault 0000:00:05.0
# lanes: arm64
# timeout: 120
. ./lib.sh

grep -q 'iommu.forcedac=1' /proc/cmdline || skip_all "not booted with iommu.forcedac=1"
check "kernel reports forced DAC" sh -c "dmesg | grep -q 'Forcing DAC for PCI devices'"
check "sac_edu.ko loads" load_sac sac_edu
dir=/sys/kernel/debug/sac_edu/$EDU
# IOVAs an earlier test of this boot freed below 4 GiB wait in the domain's
# per-CPU caches, which hand them out before the tree whatever the limit
# (seen on 6.1-arm64, strict invalidation: 0xfffff800): empty them first.
flush_iova_caches "$dir"
for size in 1 4095; do
	echo "$size" > "$dir/roundtrip"
	set -- $(cat "$dir/roundtrip")
	check_eq "EDU roundtrip of $size bytes is byte-exact" result=ok "$1"
	to=${3#iova_to=}
	check "EDU roundtrip of $size bytes used an IOVA above 4 GiB ($to)" \
		[ $(( to >> 32 )) -ne 0 ]
done
dir=/sys/kernel/debug/sac_edu/$EDU32
n0=$(iommu_faults $EDU32)
echo 64 > "$dir/roundtrip"
set -- $(cat "$dir/roundtrip")
to=${3#iova_to=}
from=${4#iova_from=}
check "EDU32 got an IOVA above 4 GiB ($to)" [ $(( to >> 32 )) -ne 0 ]
check "EDU32 got IOVAs above 4 GiB for both buffers ($to, $from)" \
	eval 'is_above_4g "$to" && is_above_4g "$from"'
# Not ok means the driver saw the DMA go wrong: the data did not arrive
# (mismatch) or the device never finished (timeout); anything else
# (ok, none, mapping_error, no output) is a failure.
case $1 in
result=mismatch | result=timeout)
	ok "EDU32 (drops high address bits) roundtrip is not reported ok ($1)" ;;
*)	not_ok "EDU32 (drops high address bits) roundtrip is not reported ok (expected result=mismatch or result=timeout, saw '$1')" ;;
esac
n1=$(wait_iommu_fault $EDU32 "$n0")
check "the IOMMU faulted EDU32's DMA (dmesg: $((n1 - n0)) new fault reports naming $EDU32)" \
	[ "$n1" -gt "$n0" ]
diag "$(dmesg | grep -E "Request device \[(0000:)?${EDU32#0000:}\]" | tail -n1)"
check "sac_edu.ko unloads" unload_sac sac_edu
done_testing
