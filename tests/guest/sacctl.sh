#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# sacctl against the live module: every debugfs subcommand, with its output
# checked against what the test did (reset, a map/unmap loop of known
# length, a policy override seen in debugfs and in where the IOVAs land, a
# switch to DAC by filling the 32-bit space, a rearm), name resolution of
# the nvme block device and an e1000e interface, and the exit codes for an
# unknown device, an unknown policy and a module that is not loaded. The
# latency timing switch: off after a fresh load (show says "not measured"),
# switched on by sacctl timing on for the counted loop, off again, a bad
# argument refused with the state unchanged.
# lanes: arm64
# timeout: 300
. ./lib.sh

command -v sacctl >/dev/null || skip_all "sacctl not built (make -C tools/sacctl)"
# A fresh load: the timing switch's default is what is checked below.
check "iommu_sac from an earlier test is unloaded" unload_sac iommu_sac
check "iommu_sac.ko loads" load_sac iommu_sac
check "sac_edu.ko loads" load_sac sac_edu
D=/sys/kernel/debug/iommu_sac
E=/sys/kernel/debug/sac_edu/$EDU
[ -d "$D/devices/$EDU" ] || { not_ok "$EDU in iommu_sac's table"; done_testing; }

# jnum FIELD: every "FIELD":NUMBER in JSON on stdin, one per line.
jnum() { grep -o "\"$1\":[0-9.e+-]*" | cut -d: -f2; }
# rc CODE CMD...: exit code of a command; its stdout in /tmp/sacctl.out.
rc() {
	local want=$1
	shift
	"$@" > /tmp/sacctl.out 2> /tmp/sacctl.err
	check_eq "sacctl ${*#sacctl }: exit $want" "$want" "$?"
}

rc 0 sacctl --version
check "--version prints a version" grep -q '^sacctl [0-9]' /tmp/sacctl.out

# status
rc 0 sacctl status
check "status: hook registered" grep -q '^hook  *registered' /tmp/sacctl.out
check_eq "status: default policy as in debugfs" "$(cat $D/default_policy)" \
	"$(awk '/^default policy/ { print $3 }' /tmp/sacctl.out)"
check_eq "status: kernel" "$(uname -r)" "$(awk '/^kernel/ { print $2 }' /tmp/sacctl.out)"
rc 0 sacctl -j status
check_eq "status --json: devices as in debugfs" "$(kv $D/stats devices)" \
	"$(jnum devices < /tmp/sacctl.out)"

# list
rc 0 sacctl list
check_eq "list: one row per device directory" "$(ls $D/devices | wc -l)" \
	"$(grep -c '^[0-9a-f]\{4\}:' /tmp/sacctl.out)"
for d in EDU EDU32 NVME NIC0; do
	eval a=\$$d
	bits=$(kv "$D/devices/$a/state" dma_limit_bits)
	st=$(kv "$D/devices/$a/state" state)
	drv=$(basename "$(readlink /sys/bus/pci/devices/$a/driver)")
	check "list: $d row ($a $drv $bits bits, state $st)" \
		grep -Eq "^$a +$drv +$bits +[a-z0-9]+\*? +$st " /tmp/sacctl.out
done
rc 0 sacctl -j list
check_eq "list --json: one object per device" "$(ls $D/devices | wc -l)" \
	"$(grep -o '"device":' /tmp/sacctl.out | wc -l)"

# latency timing: off after load, nothing measured
rc 0 sacctl timing
check_eq "timing: off after load" "timing: off (switch off; the sac_alloc trace event is not enabled)" \
	"$(cat /tmp/sacctl.out)"
check_eq "timing: debugfs timing reads 0, stats say off" "0 off" "$(cat $D/timing) $(kv $D/stats timing)"
rc 0 sacctl reset
echo "10 4096" > "$E/maploop"
rc 0 sacctl show "$EDU"
check "show: EDU latency not measured while timing is off" \
	grep -qx '  allocation latency: not measured (timing off: sacctl timing on)' /tmp/sacctl.out
check_eq "with timing off EDU's latency histogram counted none of its $(kv $D/devices/$EDU/stats allocs) allocations" 0 \
	"$(awk '{ s += $3 } END { print s + 0 }' $D/devices/$EDU/latency)"
rc 0 sacctl stats --prometheus
check "stats --prometheus: iommu_sac_timing_enabled 0" grep -qx 'iommu_sac_timing_enabled 0' /tmp/sacctl.out
rc 0 sacctl timing on
check_eq "timing on: the line" "timing: on (switch on, was off)" "$(cat /tmp/sacctl.out)"
check_eq "timing on: debugfs timing reads 1, stats say on" "1 on" "$(cat $D/timing) $(kv $D/stats timing)"
check_eq "timing on: the parameter reads 1 too" 1 "$(cat /sys/module/iommu_sac/parameters/timing)"

# reset, then a loop of exactly 1000 mappings on EDU
rc 0 sacctl reset
check_eq "reset: EDU allocs in debugfs" 0 "$(kv $D/devices/$EDU/stats allocs)"
echo "1000 4096" > "$E/maploop"
check_eq "maploop 1000 ran" count=1000 "$(cut -d' ' -f1 "$E/maploop")"
rc 0 sacctl stats --json "$EDU"
check_eq "stats --json: EDU allocations after maploop 1000" 1000 \
	"$(grep -o "\"device\":\"$EDU\"[^]]*" /tmp/sacctl.out | jnum allocs)"
check_eq "stats --json: global allocations include them" 1 \
	"$(grep -o '"global":{[^}]*}' /tmp/sacctl.out | jnum allocs | awk '{ print ($1 >= 1000) }')"
rc 0 sacctl stats
check_eq "stats: EDU row allocations" 1000 \
	"$(awk -v d="$EDU" '$1 == d { print $2 }' /tmp/sacctl.out)"
rc 0 sacctl stats --prometheus
check "stats --prometheus: EDU allocations counter 1000" \
	grep -qx "iommu_sac_allocations_total{device=\"$EDU\"} 1000" /tmp/sacctl.out
check "stats --prometheus: EDU latency histogram count 1000" \
	grep -qx "iommu_sac_allocation_latency_seconds_count{device=\"$EDU\"} 1000" /tmp/sacctl.out
check "stats --prometheus: iommu_sac_timing_enabled 1" grep -qx 'iommu_sac_timing_enabled 1' /tmp/sacctl.out
rc 0 sacctl show "$EDU"
check "show: EDU stats allocs 1000" grep -Eq '^ +allocs +1000$' /tmp/sacctl.out
check_eq "show: latency histogram sums to 1000" 1000 \
	"$(awk '/ ns +[0-9]+ #/ { s += $(NF - 1) } END { print s + 0 }' /tmp/sacctl.out)"
rc 0 sacctl -j show "$EDU"
check "show --json: timing on" grep -q '"timing":"on"' /tmp/sacctl.out

# timing off again; a bad argument changes nothing
rc 0 sacctl timing off
check_eq "timing off: the line" "timing: off (switch off, was on; the sac_alloc trace event is not enabled)" \
	"$(cat /tmp/sacctl.out)"
check_eq "timing off: debugfs timing reads 0, stats say off" "0 off" "$(cat $D/timing) $(kv $D/stats timing)"
echo "10 4096" > "$E/maploop"
check_eq "timing off: 10 more EDU mappings, the histogram still at 1000" 1000 \
	"$(awk '{ s += $3 } END { print s + 0 }' $D/devices/$EDU/latency)"
rc 0 sacctl show "$EDU"
check "show: the counts from while timing was on" \
	grep -qx '  allocation latency (counted while timing was on; off now):' /tmp/sacctl.out
for bad in maybe 1; do
	rc 2 sacctl timing "$bad"
	check "timing $bad: says what it expects" grep -q "expected on or off, not '$bad'" /tmp/sacctl.err
	check_eq "timing $bad: the switch unchanged (debugfs, stats)" "0 off" "$(cat $D/timing) $(kv $D/stats timing)"
done

# name resolution
rc 0 sacctl -j show 00:04.0
check_eq "short address 00:04.0" "$EDU" "$(grep -o '"device":"[^"]*"' /tmp/sacctl.out | cut -d'"' -f4)"
if [ -b /dev/nvme0n1 ] || [ -e /sys/class/block/nvme0n1 ]; then
	rc 0 sacctl -j show nvme0n1
	check_eq "block device nvme0n1 resolves to NVME" "$NVME" \
		"$(grep -o '"device":"[^"]*"' /tmp/sacctl.out | cut -d'"' -f4)"
else
	skip "block device nvme0n1 resolves" "no nvme0n1"
fi
ifc=$(ls /sys/bus/pci/devices/$NIC0/net 2>/dev/null | head -n1)
if [ -n "$ifc" ]; then
	rc 0 sacctl -j show "$ifc"
	check_eq "interface $ifc resolves to NIC0" "$NIC0" \
		"$(grep -o '"device":"[^"]*"' /tmp/sacctl.out | cut -d'"' -f4)"
else
	skip "interface of NIC0 resolves" "NIC0 has no interface in this namespace"
fi
rc 7 sacctl show 0000:7f:1f.7
rc 7 sacctl show lo
rc 8 sacctl set "$EDU" warp
rc 8 sacctl default default

# set: the override shows in debugfs and in where EDU's IOVAs land
rc 0 sacctl set "$EDU" dac
check_eq "set dac: policy file" dac "$(cat $D/devices/$EDU/policy)"
check_eq "set dac: effective policy" dac "$(kv $D/devices/$EDU/state effective_policy)"
# Sizes not mapped before on EDU: freed IOVAs of a size come back from the
# IOVA caches whatever the policy.
echo "10 65536" > "$E/maploop"
check_eq "set dac: maploop IOVAs above 4 GiB" above4g=10 "$(cut -d' ' -f4 "$E/maploop")"
rc 0 sacctl list
check "list marks the override" grep -Eq "^$EDU +[^ ]+ +[0-9]+ +dac\* " /tmp/sacctl.out
rc 0 sacctl set "$EDU" default
check_eq "set default: policy file" default "$(cat $D/devices/$EDU/policy)"
echo "10 32768" > "$E/maploop"
check_eq "set default: maploop IOVAs below 4 GiB again" above4g=0 "$(cut -d' ' -f4 "$E/maploop")"
check_eq "set default: that maploop mapped all 10 (none failed)" "count=10 bytes=32768 failures=0" \
	"$(cut -d' ' -f1-3 "$E/maploop")"

# default
old=$(cat $D/default_policy)
rc 0 sacctl default sac
check_eq "default sac: default_policy file" sac "$(cat $D/default_policy)"
check_eq "default sac: EDU effective policy" sac "$(kv $D/devices/$EDU/state effective_policy)"
rc 0 sacctl default "$old"
check_eq "default restored" "$old" "$(cat $D/default_policy)"

# rearm: fill EDU's 32-bit IOVA space (2 MiB mappings) until it switches
sacctl set "$EDU" auto >/dev/null
sw0=$(kv $D/devices/$EDU/state switches)
echo "2200 512" > "$E/fill" 2>/dev/null
check_eq "fill: EDU switched to dac" dac "$(kv $D/devices/$EDU/state state)"
check_eq "fill: one more switch" $((sw0 + 1)) "$(kv $D/devices/$EDU/state switches)"
rc 0 sacctl show "$EDU"
check "show: state dac" grep -q ', state dac,' /tmp/sacctl.out
check "show: last switch of 2097152 bytes by alloc" \
	grep -q 'size 2097152, by alloc' /tmp/sacctl.out
rc 0 sacctl -j list
check "list --json: EDU dac" sh -c "grep -q '\"device\":\"$EDU\",[^}]*\"state\":\"dac\"' /tmp/sacctl.out"
echo all > "$E/release"
rc 0 sacctl rearm "$EDU"
check_eq "rearm: EDU back to sac" sac "$(kv $D/devices/$EDU/state state)"
rc 0 sacctl rearm all
rc 7 sacctl rearm 0000:7f:00.0
sacctl set "$EDU" default >/dev/null

# watch: 500 mappings while it samples
sacctl -j watch -n 6 0.5 > /tmp/sacctl.watch &
wpid=$!
sleep 1
echo "500 4096" > "$E/maploop"
wait $wpid
check_eq "watch --json: six samples" 6 "$(grep -c '"devices"' /tmp/sacctl.watch)"
check_eq "watch --json: EDU allocations over the samples" 500 \
	"$(grep -o "\"device\":\"$EDU\",[^}]*" /tmp/sacctl.watch | jnum allocs | awk '{ s += $1 } END { print s + 0 }')"
sacctl watch -n 2 0.3 > /tmp/sacctl.watch
check_eq "watch piped: header and two sample marks" "1 2" \
	"$(grep -c '^DEVICE' /tmp/sacctl.watch) $(grep -c '^-- ' /tmp/sacctl.watch)"

# module not loaded (a module that does not unload is a bug: it fails)
if unload_sac iommu_sac; then
	ok "iommu_sac.ko unloads (for the exit-5 checks)"
	rc 5 sacctl status
	rc 5 sacctl -j list
	check "module-not-loaded error in JSON" grep -q '"exit_code":5' /tmp/sacctl.out
	rc 5 sacctl trace -d 1
	check "iommu_sac loads again" load_sac iommu_sac
else
	not_ok "iommu_sac.ko unloads (for the exit-5 checks): rmmod failed or it stayed loaded"
fi
rm -f /tmp/sacctl.out /tmp/sacctl.err /tmp/sacctl.watch
done_testing
