#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# 20 load/unload cycles of iommu_sac.ko while DMA runs: map/unmap loops on
# the full edu, byte-checked round trips on the edu that drops high address
# bits, nvme writes and reads with checksums. Odd cycles send the full edu
# to dac (devices=), so IOVAs the module handed out are freed by the kernel
# and the other way round. No mapping may fail, no data may be lost, and
# the kernel may not complain (the host checks the console).
# lanes: core
# smp: 4
# timeout: 900
. ./lib.sh

SAC=/sys/kernel/debug/iommu_sac
E=/sys/kernel/debug/sac_edu/$EDU
E32=/sys/kernel/debug/sac_edu/$EDU32
CYCLES=20
W=/tmp/cycles

unload_sac iommu_sac
check "sac_edu.ko loads" load_sac sac_edu
load_sac iommu_sac && echo all > $SAC/rearm && unload_sac iommu_sac
for i in 1 2 3 4 5 6 7 8 9 10; do
	[ -b /dev/nvme0n1 ] && break
	sleep 1
done
rm -rf $W
mkdir -p $W

# Background DMA until $W/stop exists; each job appends one line per pass.
# A write that fails leaves the previous result in the file: record the
# failure instead of reading it.
( while [ ! -e $W/stop ]; do
	if echo "2000 4096" > $E/maploop; then
		cat $E/maploop >> $W/maploop
	else
		echo "write failed" >> $W/maploop
	fi
done ) &
( while [ ! -e $W/stop ]; do
	if echo 4095 > $E32/roundtrip; then
		cat $E32/roundtrip >> $W/roundtrip
	else
		echo "write failed" >> $W/roundtrip
	fi
done ) &
( i=0
while [ ! -e $W/stop ]; do
	seek=$(( (i % 16) * 4 ))
	dd if=/dev/urandom of=$W/pat bs=65536 count=4 2>/dev/null
	want=$(sha256sum < $W/pat | cut -d' ' -f1)
	dd if=$W/pat of=/dev/nvme0n1 bs=65536 seek=$seek count=4 oflag=direct conv=fsync 2>/dev/null
	got=$(dd if=/dev/nvme0n1 bs=65536 skip=$seek count=4 iflag=direct 2>/dev/null |
		sha256sum | cut -d' ' -f1)
	[ "$want" = "$got" ] && echo ok >> $W/nvme || echo "bad $seek" >> $W/nvme
	i=$((i + 1))
done ) &
sleep 2

w0=$(dmesg | grep -c 'iommu_sac: still waiting')
loaded=0 unloaded=0 served=0 asked=0
for c in $(seq 1 $CYCLES); do
	if [ $((c % 2)) -eq 1 ]; then
		load_sac iommu_sac devices=$EDU=dac && loaded=$((loaded + 1))
		want=dac
	else
		load_sac iommu_sac && loaded=$((loaded + 1))
		want=default
	fi
	[ "$(cat $SAC/devices/$EDU/policy 2>/dev/null)" = $want ] && asked=$((asked + 1))
	sleep 0.5
	n=$(kv $SAC/stats allocs 2>/dev/null)
	[ "${n:-0}" -gt 0 ] && served=$((served + 1))
	unload_sac iommu_sac && unloaded=$((unloaded + 1))
	sleep 0.3
done
touch $W/stop
wait

check_eq "cycles loaded" $CYCLES "$loaded"
check_eq "cycles unloaded" $CYCLES "$unloaded"
check_eq "cycles in which the module served allocations" $CYCLES "$served"
check_eq "cycles with EDU's policy as loaded (dac by devices= on odd ones, default on even)" \
	$CYCLES "$asked"
check "iommu_sac not loaded at the end" sh -c "! grep -q '^iommu_sac ' /proc/modules"
passes=$(wc -l < $W/maploop)
fails=$(sed -n 's/.*failures=\([0-9]*\).*/\1/p' $W/maploop | awk '{ s += $1 } END { print s + 0 }')
diag "EDU maploop passes $passes (2000 mappings each)"
check "EDU maploop passes ran ($passes)" [ "$passes" -gt 0 ]
check_eq "EDU maploop failed mappings" 0 "$fails"
check_eq "EDU maploop writes that failed" 0 "$(grep -c '^write failed' $W/maploop)"
check_eq "EDU maploop passes that ran all 2000 mappings" "$passes" \
	"$(grep -c '^count=2000 bytes=4096 ' $W/maploop)"
n=$(wc -l < $W/roundtrip)
bad=$(grep -vc '^result=ok size=4095 ' $W/roundtrip)
check "EDU32 round trips ran ($n)" [ "$n" -gt 0 ]
check_eq "EDU32 round trips not byte-exact (a failed write counts)" 0 "$bad"
check_eq "EDU32 round-trip writes that failed" 0 "$(grep -c '^write failed' $W/roundtrip)"
n=$(wc -l < $W/nvme)
bad=$(grep -vc '^ok$' $W/nvme)
check "nvme write/read passes ran ($n)" [ "$n" -gt 0 ]
check_eq "nvme passes with a checksum mismatch" 0 "$bad"
check_eq "dmesg: new 'still waiting for allocations in flight' (10 s+ unloads)" 0 \
	$(( $(dmesg | grep -c 'iommu_sac: still waiting') - w0 ))
rm -rf $W
check "sac_edu.ko unloads" unload_sac sac_edu
done_testing
