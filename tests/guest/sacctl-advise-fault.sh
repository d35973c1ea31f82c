#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# sacctl advise's fault rule against the live module (the second half of
# sacctl-advise, apart because it needs the IOMMU's fault log): EDU32 (its
# hardware drops address bits above 32) under policy dac gets IOVAs above
# 4 GiB, its DMA faults in the IOMMU, and advise says dma32 for it,
# counting the new faults; applied, its round trips work. Not on the
# amd lanes, as QEMU's AMD-Vi (7.2 and trixie's 10.0) never writes its event
# log, so no IO_PAGE_FAULT line can appear (docs/kernels-notes.md). On the
# arm64 lanes QEMU's SMMUv3 logs the faults.
# allow: iommu-fault 0000:00:05.0
# lanes: arm64
# timeout: 300
. ./lib.sh

command -v sacctl >/dev/null || skip_all "sacctl not built (make -C tools/sacctl)"
SAC=/sys/kernel/debug/iommu_sac
E32=/sys/kernel/debug/sac_edu/$EDU32

# rc CODE CMD...: exit code of a command; its stdout in /tmp/advise.out.
rc() {
	local want=$1
	shift
	"$@" > /tmp/advise.out 2> /tmp/advise.err
	check_eq "${*#sacctl }: exit $want" "$want" "$?"
}
# field DEV N: field N of DEV's line in /tmp/advise.out.
field() { awk -v d="$1" -v n="$2" '$1 == d { print $n }' /tmp/advise.out; }
# reason DEV: the REASON column of DEV's advise line.
reason() {
	awk -v d="$1" '$1 == d { sub(/^[^ ]+ +[^ ]+ +[^ ]+ +/, ""); print }' /tmp/advise.out
}
# faults DEV: "faults" of DEV in advise --json output.
faults() {
	grep -o "\"device\":\"$1\"[^}]*" /tmp/advise.out |
		grep -o '"faults":[0-9a-z]*' | cut -d: -f2
}
show_diag() { sed 's/^/#   /' /tmp/advise.out; }

unload_sac iommu_sac
check "sac_edu.ko loads" load_sac sac_edu
check "iommu_sac.ko loads" load_sac iommu_sac
echo all > $SAC/rearm
echo all > $E32/release
sleep 1

echo 64 > $E32/dma_bits
rc 0 sacctl set "$EDU32" dac
# The IOVA caches hold 32-bit IOVAs from earlier mappings: take them out.
drain_iova_caches $E32
rc 0 sacctl -j advise "$EDU32"
n0=$(faults "$EDU32")
diag "EDU32 faults logged so far (this boot): $n0"
k0=$(iommu_faults $EDU32)
echo 64 > $E32/roundtrip
set -- $(cat $E32/roundtrip)
res=${1#result=}
to=${3#iova_to=}
echo all > $E32/release
check "EDU32 under dac: IOVA above 4 GiB ($to)" [ $(( to >> 32 )) -ne 0 ]
case $res in
mismatch|timeout) ok "EDU32 under dac: the data does not arrive ($res)" ;;
*) not_ok "EDU32 under dac: the data does not arrive (expected mismatch or timeout, saw $res)" ;;
esac
short=${EDU32#0000:}
k1=$(wait_iommu_fault $EDU32 "$k0")
check "EDU32 under dac: the IOMMU faults its DMA (dmesg: $((k1 - k0)) new fault reports naming $EDU32)" \
	[ "$k1" -gt "$k0" ]
diag "$(dmesg | grep -E "Request device \[(0000:)?$short\]|IO_PAGE_FAULT.*$short" | tail -n1)"
rc 0 sacctl -j advise "$EDU32"
n1=$(faults "$EDU32")
check "advise --json: EDU32's roundtrip added faults ($n0 -> $n1)" [ "${n1:-0}" -gt "${n0:-0}" ]
rc 0 sacctl advise "$EDU32"
show_diag
check_eq "advise: EDU32's advice" dma32 "$(field "$EDU32" 3)"
reason "$EDU32" > /tmp/advise.line
check "advise: EDU32's reason names the faults ($(cat /tmp/advise.line))" \
	grep -q "^$n1 IOMMU faults\? logged while under policy dac" /tmp/advise.line
rc 0 sacctl advise --apply "$EDU32"
check_eq "advise --apply EDU32: the applied line" "applied $EDU32 dma32" "$(grep '^applied' /tmp/advise.out)"
check_eq "advise --apply EDU32: policy file" dma32 "$(cat $SAC/devices/$EDU32/policy)"
echo 64 > $E32/roundtrip
set -- $(cat $E32/roundtrip)
check_eq "EDU32 under dma32: roundtrip" result=ok "$1"
rc 0 sacctl advise "$EDU32"
check_eq "advise after dma32: nothing more for EDU32" - "$(field "$EDU32" 3)"
diag "EDU32: $(reason "$EDU32")"

sacctl set "$EDU32" default > /dev/null
sacctl rearm all > /dev/null
echo 64 > $E32/dma_bits
check "iommu_sac.ko unloads" unload_sac iommu_sac
check "sac_edu.ko unloads" unload_sac sac_edu
rm -f /tmp/advise.out /tmp/advise.err /tmp/advise.line
done_testing
