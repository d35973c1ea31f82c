#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The device's DMA limit under policy auto: a device limited to 32 bits
# never switches (its whole range is the 32-bit space; exhaustion is a
# plain mapping failure), and a 36-bit device switches with a "Using 36-bit
# DMA addresses" notice and IOVAs below 2^36.
# timeout: 240
. ./lib.sh

SAC=/sys/kernel/debug/iommu_sac
E=/sys/kernel/debug/sac_edu/$EDU
ST=$SAC/devices/$EDU/state
DS=$SAC/devices/$EDU/stats

notices() { dmesg | grep -c "$EDU: Using [0-9]*-bit DMA addresses"; }

unload_sac iommu_sac
check "sac_edu.ko loads" load_sac sac_edu
check "iommu_sac.ko loads" load_sac iommu_sac
echo all > $SAC/rearm
echo all > $E/release
sleep 1

echo 32 > $E/dma_bits
check_eq "EDU dma_limit_bits with a 32-bit mask" 32 "$(kv $ST dma_limit_bits)"
echo 1 > $SAC/reset_stats
n0=$(notices)
echo "4096 512" > $E/fill
m=$(kv $E/held mappings)
check_eq "32-bit EDU: fill stops at the first failure" 1 "$(kv $E/held map_failures)"
check_eq "32-bit EDU: nothing above 4 GiB" 0 "$(kv $E/held above4g)"
check_eq "32-bit EDU: state (never switches)" sac "$(kv $ST state)"
check_eq "32-bit EDU: switches" 0 "$(kv $DS switches)"
check_eq "32-bit EDU: sac_tries (no SAC trick for a 32-bit device)" 0 "$(kv $DS sac_tries)"
check_eq "32-bit EDU: allocs" $((m + 1)) "$(kv $DS allocs)"
check_eq "32-bit EDU: failed" 1 "$(kv $DS failed)"
check_eq "32-bit EDU: no notice" 0 $(( $(notices) - n0 ))
if [ "$(kernel_mm)" = 6.1 ]; then
	check_eq "32-bit EDU: native_bit (none on 6.1)" none "$(kv $ST native_bit)"
else
	check_eq "32-bit EDU: native_bit" 1 "$(kv $ST native_bit)"
fi
echo all > $E/release
sleep 1

echo 36 > $E/dma_bits
check_eq "EDU dma_limit_bits with a 36-bit mask" 36 "$(kv $ST dma_limit_bits)"
echo 1 > $SAC/reset_stats
echo "2048 512" > $E/fill
check_eq "36-bit EDU: state after exhaustion" dac "$(kv $ST state)"
check_eq "36-bit EDU: switches" 1 "$(kv $DS switches)"
check_eq "36-bit EDU: one notice" 1 $(( $(notices) - n0 ))
check_eq "36-bit EDU: the notice says 36 bits" "sac_edu $EDU: Using 36-bit DMA addresses" \
	"$(dmesg | grep "$EDU: Using [0-9]*-bit DMA addresses" | tail -n1 | sed 's/^\[[^]]*\] //')"
hi=$(kv $E/held max_iova)
check "36-bit EDU: highest IOVA below 2^36 ($hi)" eval 'is_iova "$hi" && [ $(( hi >> 36 )) -eq 0 ]'
check "36-bit EDU: IOVAs above 4 GiB ($(kv $E/held above4g))" [ "$(kv $E/held above4g)" -gt 0 ]
echo all > $E/release
sleep 1

echo 64 > $E/dma_bits
echo all > $SAC/rearm
check "iommu_sac.ko unloads" unload_sac iommu_sac
check "sac_edu.ko unloads" unload_sac sac_edu
done_testing
