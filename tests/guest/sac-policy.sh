#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Each policy's effect on the IOVAs the full edu gets, set through its
# per-device policy file:
#   auto, sac  32-bit IOVAs on an unfragmented space; once the 32-bit space
#              is full and holes are punched in it, sac fills the holes again
#              while auto has switched to the full range for good;
#   dac        above 4 GiB at once, round trips byte-exact;
#   dma32      below 4 GiB;
#   kernel     the module leaves the allocation to the kernel: the same
#              IOVAs as without the module (6.1 keeps trying 32-bit, 6.12+
#              switch the device natively), nothing counted as served.
# The per-device counters equal what the driver did, exactly; so do the
# global ones, with every other device on policy kernel.
# lanes: core amd
# timeout: 300
. ./lib.sh

SAC=/sys/kernel/debug/iommu_sac
E=/sys/kernel/debug/sac_edu/$EDU
DS=$SAC/devices/$EDU/stats
FILL=2048	# mappings of 2 MiB: more than the 32-bit IOVA space holds
REFILL=64

# roundtrip SIZE: one edu round trip on $EDU; sets rt_res rt_to rt_from.
roundtrip() {
	echo "$1" > "$E/roundtrip"
	set -- $(cat "$E/roundtrip")
	rt_res=${1#result=}
	rt_to=${3#iova_to=}
	rt_from=${4#iova_from=}
}

# Whether both IOVAs of the last round trip are below 4 GiB: "below" or "above".
rt_class() {
	if is_below_4g "$rt_to" && is_below_4g "$rt_from"; then
		echo below
	elif is_above_4g "$rt_to" && is_above_4g "$rt_from"; then
		echo above
	else
		echo mixed
	fi
}

# Release every held mapping and let the flush queue hand the IOVAs back.
release_all() {
	echo all > "$E/release"
	sleep 1
}

# maploop COUNT BYTES: sets ml_count ml_failures ml_above.
maploop() {
	echo "$1 $2" > "$E/maploop"
	set -- $(cat "$E/maploop")
	ml_count=${1#count=}
	ml_failures=${3#failures=}
	ml_above=${4#above4g=}
}

# exhaust: fill the 32-bit space and beyond ($FILL x 2 MiB), free every
# second mapping (holes below 4 GiB), map $REFILL more. Sets ex_below
# ex_above (the first fill) and ex_new_below (of the refill).
exhaust() {
	local iova pages
	release_all
	echo "$FILL 512" > "$E/fill"
	ex_below=$(kv "$E/held" below4g)
	ex_above=$(kv "$E/held" above4g)
	echo "stride 2" > "$E/release"
	sleep 1
	echo "$REFILL 512" > "$E/fill"
	ex_new_below=0
	tail -n "$REFILL" "$E/iovas" > /tmp/refill
	while read -r iova pages; do
		is_below_4g "$iova" && ex_new_below=$((ex_new_below + 1))
	done < /tmp/refill
	rm -f /tmp/refill
	ex_failures=$(kv "$E/held" map_failures)
	release_all
}

# What the kernel does by itself on an exhausted, then holed space.
case $(kernel_mm) in
6.1) kernel_refill=$REFILL ;;	# never switches: fills the holes below 4 GiB
*) kernel_refill=0 ;;		# switched the device at the first failure
esac

unload_sac iommu_sac
check "sac_edu.ko loads" load_sac sac_edu
# Start from the kernel's default state (an earlier test may have left the
# native bit cleared): load, re-arm, unload leaves the bit set.
load_sac iommu_sac && echo "$EDU" > $SAC/rearm && unload_sac iommu_sac

# Baseline: the kernel alone.
release_all
roundtrip 64
check_eq "without the module: EDU roundtrip" ok "$rt_res"
check_eq "without the module: EDU IOVAs ($rt_to, $rt_from)" below "$(rt_class)"
exhaust
diag "without the module: first fill $ex_below below / $ex_above above 4 GiB"
check_eq "without the module: refill into a holed 32-bit space, mappings below 4 GiB" \
	"$kernel_refill" "$ex_new_below"

check "iommu_sac.ko loads" load_sac iommu_sac
echo kernel > $SAC/default_policy
check_eq "default_policy set to kernel (other devices are not served)" kernel \
	"$(cat $SAC/default_policy)"
echo "$EDU" > $SAC/rearm

# kernel
echo kernel > $SAC/devices/$EDU/policy
check_eq "EDU policy file" kernel "$(cat $SAC/devices/$EDU/policy)"
echo 1 > $SAC/reset_stats
roundtrip 64
check_eq "policy kernel: EDU roundtrip" ok "$rt_res"
check_eq "policy kernel: EDU IOVAs ($rt_to, $rt_from) as without the module" below "$(rt_class)"
exhaust
check_eq "policy kernel: refill mappings below 4 GiB, as without the module" \
	"$kernel_refill" "$ex_new_below"
check_eq "policy kernel: EDU allocs (none served by the module)" 0 "$(kv $DS allocs)"
check_eq "policy kernel: EDU kernel_calls = 2 + $FILL + $REFILL" \
	$((2 + FILL + REFILL)) "$(kv $DS kernel_calls)"
check_eq "policy kernel: global allocs" 0 "$(kv $SAC/stats allocs)"

# sac
echo "$EDU" > $SAC/rearm
echo sac > $SAC/devices/$EDU/policy
check_eq "EDU policy file" sac "$(cat $SAC/devices/$EDU/policy)"
echo 1 > $SAC/reset_stats
maploop 1000 4096
check_eq "policy sac: maploop 1000 x 4096: failures" 0 "$ml_failures"
check_eq "policy sac: maploop mappings above 4 GiB" 0 "$ml_above"
check_eq "policy sac: EDU allocs" 1000 "$(kv $DS allocs)"
check_eq "policy sac: EDU sac_tries" 1000 "$(kv $DS sac_tries)"
check_eq "policy sac: EDU sac_hits" 1000 "$(kv $DS sac_hits)"
check_eq "policy sac: EDU dac_allocs" 0 "$(kv $DS dac_allocs)"
for k in allocs sac_tries sac_hits sac_misses dac_allocs failed; do
	check_eq "policy sac: global $k equals EDU's" "$(kv $DS $k)" "$(kv $SAC/stats $k)"
done
echo 1 > $SAC/reset_stats
exhaust
diag "policy sac: first fill $ex_below below / $ex_above above 4 GiB"
check_eq "policy sac: first fill, mappings" $FILL $((ex_below + ex_above))
check "policy sac: the first fill exhausted the 32-bit space ($ex_above above)" \
	[ "$ex_above" -gt 0 ]
check_eq "policy sac: refill goes into the holes below 4 GiB" $REFILL "$ex_new_below"
check_eq "policy sac: EDU state (never switches)" sac "$(kv $SAC/devices/$EDU/state state)"
check_eq "policy sac: EDU allocs" $((FILL + REFILL)) "$(kv $DS allocs)"
check_eq "policy sac: EDU sac_tries (every mapping)" $((FILL + REFILL)) "$(kv $DS sac_tries)"
check_eq "policy sac: EDU sac_hits" $((ex_below + REFILL)) "$(kv $DS sac_hits)"
check_eq "policy sac: EDU sac_misses" "$ex_above" "$(kv $DS sac_misses)"
check_eq "policy sac: EDU dac_allocs" "$ex_above" "$(kv $DS dac_allocs)"
check_eq "policy sac: EDU switches" 0 "$(kv $DS switches)"
for k in allocs sac_tries sac_hits sac_misses dac_allocs failed switches; do
	check_eq "policy sac: global $k equals EDU's" "$(kv $DS $k)" "$(kv $SAC/stats $k)"
done

# auto
echo "$EDU" > $SAC/rearm
echo auto > $SAC/devices/$EDU/policy
check_eq "EDU policy file" auto "$(cat $SAC/devices/$EDU/policy)"
echo 1 > $SAC/reset_stats
roundtrip 4095
check_eq "policy auto: EDU roundtrip" ok "$rt_res"
check_eq "policy auto: EDU IOVAs ($rt_to, $rt_from)" below "$(rt_class)"
maploop 1000 4096
check_eq "policy auto: maploop mappings above 4 GiB" 0 "$ml_above"
check_eq "policy auto: EDU allocs" 1002 "$(kv $DS allocs)"
check_eq "policy auto: EDU sac_hits" 1002 "$(kv $DS sac_hits)"
echo 1 > $SAC/reset_stats
exhaust
check_eq "policy auto: first fill, mappings" $FILL $((ex_below + ex_above))
check_eq "policy auto: refill goes above 4 GiB (switched)" 0 "$ex_new_below"
check_eq "policy auto: EDU state" dac "$(kv $SAC/devices/$EDU/state state)"
check_eq "policy auto: EDU allocs" $((FILL + REFILL)) "$(kv $DS allocs)"
check_eq "policy auto: EDU sac_tries (until the first failure)" $((ex_below + 1)) \
	"$(kv $DS sac_tries)"
check_eq "policy auto: EDU sac_hits" "$ex_below" "$(kv $DS sac_hits)"
check_eq "policy auto: EDU sac_misses" 1 "$(kv $DS sac_misses)"
check_eq "policy auto: EDU dac_allocs" $((ex_above + REFILL)) "$(kv $DS dac_allocs)"
check_eq "policy auto: EDU switches" 1 "$(kv $DS switches)"
for k in allocs sac_tries sac_hits sac_misses dac_allocs failed switches; do
	check_eq "policy auto: global $k equals EDU's" "$(kv $DS $k)" "$(kv $SAC/stats $k)"
done

# dac
echo "$EDU" > $SAC/rearm
echo dac > $SAC/devices/$EDU/policy
check_eq "EDU policy file" dac "$(cat $SAC/devices/$EDU/policy)"
release_all
drain_iova_caches $E
check_eq "policy dac: drained the cached IOVAs (held mappings)" $(( 40000 * $(nproc) )) \
	"$(kv $E/held mappings)"
check "policy dac: the drain ended in the tree above 4 GiB ($(kv $E/held above4g) above)" \
	[ "$(kv $E/held above4g)" -gt 0 ]
echo 1 > $SAC/reset_stats
for size in 1 1000 4095; do
	roundtrip $size
	check_eq "policy dac: EDU roundtrip of $size bytes is byte-exact" ok "$rt_res"
	check_eq "policy dac: EDU IOVAs ($rt_to, $rt_from)" above "$(rt_class)"
done
maploop 1000 4096
check_eq "policy dac: maploop mappings above 4 GiB" 1000 "$ml_above"
check_eq "policy dac: EDU allocs" 1006 "$(kv $DS allocs)"
check_eq "policy dac: EDU sac_tries" 0 "$(kv $DS sac_tries)"
check_eq "policy dac: EDU dac_allocs" 1006 "$(kv $DS dac_allocs)"
check_eq "policy dac: EDU state stays sac (dac is a policy, not a switch)" sac \
	"$(kv $SAC/devices/$EDU/state state)"
for k in allocs sac_tries dac_allocs failed; do
	check_eq "policy dac: global $k equals EDU's" "$(kv $DS $k)" "$(kv $SAC/stats $k)"
done
release_all

# dma32
echo dma32 > $SAC/devices/$EDU/policy
check_eq "EDU policy file" dma32 "$(cat $SAC/devices/$EDU/policy)"
echo 1 > $SAC/reset_stats
roundtrip 4095
check_eq "policy dma32: EDU roundtrip" ok "$rt_res"
check_eq "policy dma32: EDU IOVAs ($rt_to, $rt_from)" below "$(rt_class)"
maploop 1000 4096
check_eq "policy dma32: maploop mappings above 4 GiB" 0 "$ml_above"
check_eq "policy dma32: EDU allocs" 1002 "$(kv $DS allocs)"
check_eq "policy dma32: EDU sac_tries" 1002 "$(kv $DS sac_tries)"
check_eq "policy dma32: EDU sac_hits" 1002 "$(kv $DS sac_hits)"
check_eq "policy dma32: EDU dac_allocs" 0 "$(kv $DS dac_allocs)"
for k in allocs sac_tries sac_hits dac_allocs failed; do
	check_eq "policy dma32: global $k equals EDU's" "$(kv $DS $k)" "$(kv $SAC/stats $k)"
done

# default: back to the global default
echo default > $SAC/devices/$EDU/policy
check_eq "EDU policy file after writing default" default "$(cat $SAC/devices/$EDU/policy)"
check_eq "EDU effective_policy follows default_policy" kernel \
	"$(kv $SAC/devices/$EDU/state effective_policy)"
echo "$EDU" > $SAC/rearm
check "iommu_sac.ko unloads" unload_sac iommu_sac
check "sac_edu.ko unloads" unload_sac sac_edu
done_testing
