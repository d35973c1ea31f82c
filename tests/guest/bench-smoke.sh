#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Smoke test of the benchmark (tests/bench, make bench): every scenario of
# sac_bench.ko runs for a moment on the edu devices, its output is
# well-formed and its counts add up. No timing thresholds. Nothing is left
# behind: fills stay far from exhausting the 32-bit IOVA space (so no device
# switches to DAC), every held mapping is released, the modules unloaded.
# timeout: 120
. ./lib.sh

B=/sys/kernel/debug/sac_bench
S=/sys/kernel/debug/iommu_sac

check "sac_bench.ko loads" load_sac sac_bench
[ -d $B ] || { not_ok "sac_bench debugfs directory"; done_testing; }
n=$(wc -l < $B/devices)
check "sac_bench found the edu devices ($n)" [ "$n" -ge 1 ]
check_eq "sac_bench's devices are the two edus, EDU and EDU32" "$EDU $EDU32" \
	"$(awk '{ print $2 }' $B/devices | sort | tr '\n' ' ' | sed 's/ $//')"

for bad in "bogus" "steady size=100 ops=10" "steady size=4096 ops=10 nope=1" \
	"steady size=4096 ops=10 devs=999" "probe dev=0 size=4096 ops=10" "fill dev=0 size=4096 frac=1001"; do
	if echo "$bad" > $B/run 2>/dev/null; then
		not_ok "'$bad' is refused"
	else
		ok "'$bad' is refused"
	fi
done

# timed_ok DESC: the last run's result is well-formed and adds up.
timed_ok() {
	local f=/tmp/bench.res ops errors timed hc hs mn md p99 mx mean a4 tm
	cat $B/run > $f
	ops=$(kv $f ops); errors=$(kv $f errors); timed=$(kv $f timed)
	hc=$(kv $f hist_count); mn=$(kv $f min_ns); md=$(kv $f median_ns)
	p99=$(kv $f p99_ns); mx=$(kv $f max_ns); mean=$(kv $f mean_ns); a4=$(kv $f above4g)
	tm=$(kv $f trim_mean_ns)
	hs=$(awk '{ s += $3 } END { print s + 0 }' $B/hist)
	if [ "$(kv $f done)" = 1 ] && [ -n "$ops" ] && [ "$ops" -gt 0 ] && [ "$timed" -gt 0 ] &&
	   [ "$((timed + errors))" -eq "$ops" ] &&
	   [ "$hc" -eq "$timed" ] && [ "$hs" -eq "$hc" ] && [ "$a4" -le "$timed" ] &&
	   [ "$mn" -le "$md" ] && [ "$md" -le "$p99" ] && [ "$p99" -le "$mx" ] &&
	   [ "$mn" -le "$mean" ] && [ "$mean" -le "$mx" ] &&
	   [ "$(kv $f exact)" = 1 ] && [ -n "$tm" ] && [ "$mn" -le "$tm" ] && [ "$tm" -le "$mx" ] &&
	   awk 'NF != 3 || $1 >= $2 || $3 < 1 { exit 1 }' $B/hist; then
		ok "$1 (ops $ops, mean $mean ns, median $md, trimmed mean $tm, p99 $p99, max $mx)"
	else
		not_ok "$1: counts do not add up: $(tr '\n' ' ' < $f)"
	fi
}

run() { echo "$1" > $B/run; }

check "steady 4 KiB runs" run "steady size=4096 ops=2000 devs=1 warmup=100"
timed_ok "steady 4 KiB"
check "steady 64 KiB runs" run "steady size=65536 ops=1000 devs=1"
timed_ok "steady 64 KiB"
check "scale over $n devices runs" run "steady size=4096 ops=1000 devs=$n"
timed_ok "scale over $n devices"
check_eq "scale reports its device count" "$n" "$(kv $B/run ndevs)"
# 1-4: ftrace_ops callbacks; 5, 6: ftrace direct calls (x86-64 trampolines).
floors="1 2 3 4"
[ "$(uname -m)" = x86_64 ] && floors="$floors 5 6"
for f in $floors; do
	check "steady with an empty ftrace hook ($f) on iommu_dma_alloc_iova runs" \
		run "steady size=4096 ops=500 devs=1 ftrace=$f"
	timed_ok "steady with the ftrace floor ($f)"
done
# The direct floors measure a direct call only if ftrace patched one in:
# enabled_functions names the trampoline while a run is under way.
EF=/sys/kernel/tracing/enabled_functions
for f in $floors; do
	case $f in 5) tramp=bench_direct_empty ;; 6) tramp=bench_direct_saved ;; *) continue ;; esac
	echo "steady size=4096 ops=1000000 devs=1 ftrace=$f budget=4000000000" > $B/run &
	pid=$!
	seen=
	while kill -0 $pid 2>/dev/null; do
		# "iommu_dma_alloc_iova (1) ... D ...", then "<tab>direct-->tramp"
		seen=$(grep -A1 '^iommu_dma_alloc_iova ' $EF 2>/dev/null | grep "direct.*-->$tramp")
		[ -n "$seen" ] && break
		sleep 0.1
	done
	wait $pid
	st=$?
	check "ftrace=$f: iommu_dma_alloc_iova calls $tramp directly during the run (exit $st; $(echo $seen | tr -s ' \t' ' '))" \
		[ $st -eq 0 -a -n "$seen" ]
	check_eq "ftrace=$f: no direct call left after the run" "" \
		"$(grep '^iommu_dma_alloc_iova ' $EF 2>/dev/null)"
done
check "ftrace=7 is refused" sh -c "! echo 'steady size=4096 ops=5 ftrace=7' > $B/run 2>/dev/null"
check "ftrace=0x100000005 is refused" \
	sh -c "! echo 'steady size=4096 ops=5 ftrace=0x100000005' > $B/run 2>/dev/null"
check "steady with budget= stops early" run "steady size=4096 ops=100000 devs=1 budget=2000000"
check "budget= ran fewer ops than asked ($(kv $B/run ops) of 100000)" [ "$(kv $B/run ops)" -lt 100000 ]
check "flush over $n devices runs" run "flush first=0 devs=$n"
check_eq "flush reports every device" "$n" "$(kv $B/run flushed)"
check "clock runs" run "clock ops=1000"
check "clock reports local_clock, ktime_get_ns and get_cycles costs" \
	sh -c "[ \$(awk '\$1 == \"local_clock_ns\" || \$1 == \"ktime_get_ns_ns\" || \$1 == \"get_cycles_ns\"' $B/run | wc -l) -eq 3 ]"

# Exhaustion plumbing (capped: the 32-bit space is not exhausted here).
fill() { run "fill dev=0 size=65536 frac=500 seed=7 max=2000"; }
check "fill holds mappings" fill
filled=$(kv $B/run filled); released=$(kv $B/run released); held=$(kv $B/run held)
check "fill: some mappings stay held, some were released ($held held, $released released)" \
	[ "${held:-0}" -gt 0 -a "${released:-0}" -gt 0 ]
check_eq "fill: filled = released + held" "$filled" "$((released + held))"
check_eq "fill stopped at max" 2000 "$filled"
check_eq "fill kept every mapping below 4 GiB (32-bit mask)" 0 "$(kv $B/run fill_above4g)"
check "a second fill while one is held is refused" sh -c "! echo 'fill dev=0 size=4096' > $B/run 2>/dev/null"
check "probe (flip) runs" run "probe dev=0 size=16384 ops=300"
timed_ok "probe flip"
check "probe with churn runs" run "probe dev=0 size=16384 ops=50 churn=8 seed=3"
timed_ok "probe with churn"
churned=$(kv $B/run churn)
check "churn remapped what it released ($churned of at most 400)" sh -c "[ $churned -gt 0 ] && [ $churned -le 400 ]"
check_eq "churn keeps the held count" "$held" "$(kv $B/run held)"
check "release runs" run release
check_eq "release dropped every held mapping" "$held" "$(kv $B/run released)"
fill
check_eq "the seeded release is repeatable" "$released" "$(kv $B/run released)"
run release

# With iommu_sac: the hook serves every allocation; load/unload mid-loop.
if [ -e /lib/sac/iommu_sac.ko ]; then
	check "iommu_sac.ko loads" load_sac iommu_sac
	echo auto > $S/default_policy
	a0=$(kv $S/stats allocs)
	check "steady under iommu_sac runs" run "steady size=4096 ops=1000 devs=1 warmup=100"
	timed_ok "steady under iommu_sac"
	check_eq "iommu_sac served every allocation (ops + warm-up)" 1100 "$(( $(kv $S/stats allocs) - a0 ))"
	mean=$(kv /tmp/bench.res mean_ns)
	# The benchmark's timing config (guest-bench.sh use_config timing):
	# policy auto with latency timing on; every other config switches it off.
	if [ -e $S/timing ]; then
		check_eq "latency timing off by default (stats)" off "$(kv $S/stats timing)"
		check "latency timing switches on" sh -c "echo 1 > $S/timing"
		check_eq "stats say timing on" on "$(kv $S/stats timing)"
		a0=$(kv $S/stats allocs)
		check "steady with latency timing on runs" run "steady size=4096 ops=500 devs=1 warmup=100"
		timed_ok "steady with latency timing on"
		check_eq "iommu_sac served every allocation with timing on" 600 "$(( $(kv $S/stats allocs) - a0 ))"
		check "latency timing switches off" sh -c "echo 0 > $S/timing"
		check_eq "stats say timing off" off "$(kv $S/stats timing)"
	else
		skip "latency timing config" "iommu_sac has no timing switch ($S/timing)"
	fi
	# Device 0's caches hold 32-bit IOVAs from the runs above; policy dac
	# gets IOVAs above 4 GiB only once they are flushed.
	echo dac > $S/default_policy
	check "flush of device 0 under policy dac runs" run "flush first=0 devs=1"
	check "steady under policy dac runs" run "steady size=4096 ops=500 devs=1 warmup=100"
	check_eq "policy dac after a flush: every IOVA above 4 GiB" "$(kv $B/run timed)" "$(kv $B/run above4g)"
	check "iommu_sac.ko unloads" unload_sac iommu_sac
	# Up to 5 s of map+unmap at the rate just measured, and at most the
	# 262144 ops sac_bench keeps exact statistics for (timed_ok wants
	# exact 1): about 1 s (6.12) to 2 s (6.1) under TCG. The whole loop is
	# one write(2): tasks-RCU counts its task as inside the hooked function
	# until it ends, so an unload begun mid-loop completes only after it
	# (kept under 10 s, when rcu_tasks starts to log a slow grace period).
	ops=$(( 5000000000 / ${mean:-1000} ))
	[ $ops -lt 20000 ] && ops=20000
	[ $ops -gt 262144 ] && ops=262144
	echo "steady size=4096 ops=$ops devs=1" > $B/run &
	pid=$!
	cycles=0 during=0 bad=
	while kill -0 $pid 2>/dev/null && [ $cycles -lt 20 ]; do
		if ! insmod /lib/sac/iommu_sac.ko; then
			bad="insmod failed after $cycles cycles"
			break
		fi
		# The hook serves the loop's mappings while it runs.
		a=$(kv $S/stats allocs)
		sleep 0.1
		b=$(kv $S/stats allocs)
		alive=
		kill -0 $pid 2>/dev/null && alive=1
		if ! unload_sac iommu_sac; then
			bad="rmmod failed after $cycles cycles"
			break
		fi
		cycles=$((cycles + 1))
		# Loaded mid-loop, served it, and the unload began mid-loop.
		[ -n "$alive" ] && [ "${b:-0}" -gt "${a:-0}" ] && during=$((during + 1))
	done
	wait $pid
	st=$?
	check_eq "load/unload cycles beside the steady loop ($ops ops): none failed" "" "$bad"
	check "steady loop survives load/unload ($cycles cycles; in $during iommu_sac served the loop and its unload began mid-loop; exit $st)" \
		[ $st -eq 0 -a $during -gt 0 ]
	timed_ok "steady during load/unload"
	check_eq "steady during load/unload: every op ran" "$ops" "$(kv /tmp/bench.res ops)"
	unload_sac iommu_sac
	check "iommu_sac not loaded after the cycles" sh -c "! grep -q '^iommu_sac ' /proc/modules"
else
	skip "iommu_sac scenarios" "iommu_sac.ko not built"
fi

check "sac_bench.ko unloads" unload_sac sac_bench
done_testing
