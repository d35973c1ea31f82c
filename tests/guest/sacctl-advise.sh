#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# sacctl advise against the live module, and the iova32 view in sacctl show
# and list. EDU under policy sac fills its 32-bit IOVA space with 2 MiB
# mappings and keeps filling: every further mapping misses below 4 GiB and
# lands above it. advise must then say dac for EDU (rule pressure) and
# nothing for the idle EDU32, change nothing without --apply, write EDU's
# policy with --apply, and say nothing more for EDU afterwards. The fault
# rule (EDU32, whose hardware drops address bits above 32, faulting under
# dac) is sacctl-advise-fault: it needs the IOMMU's fault log, which QEMU's
# AMD-Vi never writes (docs/kernels-notes.md). On the amd lanes the edu
# maps above 4 GiB with a 48-bit DMA mask, the one QEMU's AMD-Vi emulation
# keeps apart from other devices.
# lanes: amd arm64
# timeout: 420
. ./lib.sh

command -v sacctl >/dev/null || skip_all "sacctl not built (make -C tools/sacctl)"
SAC=/sys/kernel/debug/iommu_sac
E=/sys/kernel/debug/sac_edu/$EDU
E32=/sys/kernel/debug/sac_edu/$EDU32
DS=$SAC/devices/$EDU/stats

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
check "EDU has an iova32 view" [ -r "$SAC/devices/$EDU/iova32" ]
echo all > $SAC/rearm
echo all > $E/release
echo all > $E32/release
# The DMA mask of an edu above 4 GiB: 64 bits, or 48 behind AMD-Vi.
wide=64
[ -e /sys/class/iommu/dmar0 ] || wide=48
echo $wide > $E/dma_bits
diag "the edus map above 4 GiB with $wide-bit DMA masks"
sleep 1

# printk's clock against CLOCK_BOOTTIME (/proc/uptime), which the fault
# rule compares: how far apart are they here?
u0=$(cut -d' ' -f1 /proc/uptime)
echo "sacctl-advise: clock probe" > /dev/kmsg
u1=$(cut -d' ' -f1 /proc/uptime)
pk=$(dmesg | grep 'sacctl-advise: clock probe' | tail -n1 | sed 's/^\[ *\([0-9.]*\)\].*/\1/')
diag "printk time $pk s, CLOCK_BOOTTIME $u0..$u1 s"

# ---- pressure: EDU under sac with its 32-bit space full ----
# Start from empty caches: on 6.12+ a big depot left by earlier tests of
# the boot is trimmed by a worker every 100 ms, so two reads would differ.
flush_iova_caches $E
check_eq "EDU: caches flushed" 0 "$(kv $SAC/devices/$EDU/iova32 cached_iovas)"
rc 0 sacctl set "$EDU" sac
check_eq "EDU policy file" sac "$(cat $SAC/devices/$EDU/policy)"
rc 0 sacctl reset
echo "4096 512" > $E/fill
below=$(kv $E/held below4g)
above=$(kv $E/held above4g)
diag "EDU holds $(kv $E/held mappings) x 2 MiB: $below below 4 GiB, $above above"
check_eq "fill: every mapping held" 4096 "$(kv $E/held mappings)"
check "fill: the 32-bit space ran out ($above mappings above 4 GiB)" [ "$above" -ge 300 ]
tries=$(kv $DS sac_tries)
misses=$(kv $DS sac_misses)
check_eq "EDU: every mapping above 4 GiB is a 32-bit miss" "$above" "$misses"
check "EDU: >= 16 misses, >= 10% of $tries tries ($misses)" \
	[ "$misses" -ge 16 -a $((misses * 10)) -ge "$tries" ]
check "EDU: >= 1000 allocations ($(kv $DS allocs))" [ "$(kv $DS allocs)" -ge 1000 ]

rc 0 sacctl show "$EDU"
sed -n '/^  iova32/,/^  allocation latency/p' /tmp/advise.out | sed 's/^/#   /'
V=$SAC/devices/$EDU/iova32
pct=$(awk '$1 == "space32_pages" { s = $2 } $1 == "reserved32_pages" { r = $2 }
	$1 == "used32_pages" { u = $2 } END { printf "%.1f%%", 100 * u / (s - r) }' $V)
check "show: used pages with the view's figure ($pct)" \
	grep -Eq "^    used +$(kv $V used32_pages) pages +[0-9.]+ MiB +$pct of the" /tmp/advise.out
check "show: the 32-bit space is nearly full ($pct)" \
	[ "$(kv $V used32_pages)" -ge $(( ($(kv $V space32_pages) - $(kv $V reserved32_pages)) * 9 / 10 )) ]
# Other tests of the same boot may leave freed IOVAs of this domain in the
# per-CPU caches: they are in the tree too, so the view counts them as used.
hi=$(kv $V used_high_iovas)
check "show: IOVAs above 4 GiB as in the view ($hi)" \
	grep -Eq "^    above 4 GiB +[0-9]+ pages .* in $hi IOVAs" /tmp/advise.out
case $(kernel_mm) in
6.1 | 6.12 | 7.2)	# the cache layout is vouched for: the caches must be read
	check_eq "view: rcache (vouched kernel $(kernel_mm))" 1 "$(kv $V rcache)" ;;
esac
if [ "$(kv $V rcache)" = 1 ]; then
	cached_hi=$(( $(kv $V cached_iovas) - $(kv $V cached32_iovas) ))
	check_eq "view: IOVAs above 4 GiB = $above held + $cached_hi cached" \
		$((above + cached_hi)) "$hi"
else
	skip "view: IOVAs above 4 GiB = held + cached" "rcache 0: the caches were not read"
fi
rc 0 sacctl list
show_diag
check_eq "list: EDU USED32" "$pct" "$(field "$EDU" 9)"
check_eq "list: EDU FIT32 (largest fit $(kv $V largest_fit32_pages) pages)" \
	"$(awk '$1 == "largest_fit32_pages" { p = $2 } $1 == "granule" { g = $2 }
		END { b = p * g; u = ""; split("K M G", U, " "); i = 0
			while (b >= 1024 && b % 1024 == 0 && i < 3) { b /= 1024; i++ }
			print (p ? b (i ? U[i] : "B") : 0) }' $V)" "$(field "$EDU" 10)"
rc 0 sacctl -j show "$EDU"
check "show --json: iova32 available with used32_pages a number" \
	grep -q "\"iova32\":{\"available\":true,.*\"used32_pages\":$(kv $V used32_pages)," /tmp/advise.out

rc 0 sacctl advise
show_diag
check_eq "advise: header" "DEVICE POLICY ADVICE REASON" "$(head -n1 /tmp/advise.out | awk '{ print $1, $2, $3, $4 }')"
check_eq "advise: one line per device" "$(ls $SAC/devices | wc -l)" "$(grep -c '^[0-9a-f]\{4\}:' /tmp/advise.out)"
check_eq "advise: EDU's policy" sac "$(field "$EDU" 2)"
check_eq "advise: EDU's advice" dac "$(field "$EDU" 3)"
reason "$EDU" > /tmp/advise.line
check "advise: EDU's reason: the space $pct used" grep -q "^32-bit space $pct used" /tmp/advise.line
check "advise: EDU's reason: $misses of $tries tries missed" grep -q "; $misses of $tries 32-bit tries missed" /tmp/advise.line
check_eq "advise: EDU32's advice (idle)" - "$(field "$EDU32" 3)"
reason "$EDU32" > /tmp/advise.line
check "advise: EDU32 is idle ($(cat /tmp/advise.line))" grep -q '^idle: ' /tmp/advise.line
check_eq "advise without --apply: EDU policy file unchanged" sac "$(cat $SAC/devices/$EDU/policy)"

rc 0 sacctl advise --apply
show_diag
check "advise --apply: 'applied $EDU dac'" grep -qx "applied $EDU dac" /tmp/advise.out
check_eq "advise --apply: one applied line per advice in its table" \
	"$(awk 'NR > 1 && $1 ~ /^[0-9a-f]+:/ && $3 != "-"' /tmp/advise.out | wc -l)" \
	"$(grep -c '^applied ' /tmp/advise.out)"
check_eq "advise --apply: EDU policy file" dac "$(cat $SAC/devices/$EDU/policy)"
check_eq "advise --apply: EDU effective policy" dac "$(kv $SAC/devices/$EDU/state effective_policy)"
rc 0 sacctl advise
check_eq "advise after --apply: EDU's policy" dac "$(field "$EDU" 2)"
check_eq "advise after --apply: nothing more for EDU" - "$(field "$EDU" 3)"
diag "EDU: $(reason "$EDU")"
rc 0 sacctl -j advise "$EDU"
check "advise --json: EDU rule ok, no advice" \
	grep -q "\"device\":\"$EDU\",\"policy\":\"dac\",\"effective\":\"dac\",\"state\":\"[a-z]*\",\"advice\":null,\"rule\":\"ok\"" /tmp/advise.out
rc 7 sacctl advise --apply "$EDU" 0000:7f:1f.7
check_eq "advise with an unknown device changed nothing" dac "$(cat $SAC/devices/$EDU/policy)"
rc 2 sacctl advise --frob

echo all > $E/release
sacctl set "$EDU" default > /dev/null
sacctl rearm "$EDU" > /dev/null
check_eq "cleanup: EDU policy default" default "$(cat $SAC/devices/$EDU/policy)"

echo 64 > $E/dma_bits
check "iommu_sac.ko unloads" unload_sac iommu_sac
check "sac_edu.ko unloads" unload_sac sac_edu
rm -f /tmp/advise.out /tmp/advise.err /tmp/advise.line
done_testing
