#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In-guest part of the iommu-sac benchmark (tests/bench/bench.py packs it
# into the initramfs as /tests/bench.sh with /etc/sac/bench.conf, and
# tests/guest/bench-smoke.sh sources it with small numbers).
#
# It drives sac_bench.ko (tests/drivers/sac_bench.c) and prints, for every
# measured run, on stdout:
#   BENCH-RUN key=value ...        what ran (scenario, config, sizes)
#   key value                      sac_bench's result lines (+ sac_* deltas
#                                  of iommu_sac's global counters)
#   BENCH-HIST                     then "lo_ns hi_ns count" lines
#   BENCH-END
# Phases: A steady + scale per config, B exhaustion per config (each on a
# fresh device: a filled IOVA space and, on 6.6+, the kernel's own switch
# are per device), C load/unload of iommu_sac during a steady loop.

B=/sys/kernel/debug/sac_bench
S=/sys/kernel/debug/iommu_sac

# Defaults (bench.conf overrides them).
CONFIGS="vanilla kernel auto sac dac"
STEADY_SIZES="4096 16384 65536"
STEADY_OPS=20000
WARMUP=2000
SCALE_DEVS="1 8 32"
SCALE_SIZE=4096
SCALE_OPS=20000
FILL_SIZE=4096
FILL_FRAC=250
FILL_MAX=0
SEED=1
FLIP_SIZE=65536
PROBE_OPS=2000
CHURN=8192
CHURN_OPS=30
LU_OPS=1500000
LU_CONFIG=auto
PHASES="A B C"
[ -r /etc/sac/bench.conf ] && . /etc/sac/bench.conf

bench_fail() { echo "BENCH-ERROR $*"; }

# sac_total NAME: a global counter of iommu_sac, 0 when not loaded.
sac_total() {
	if [ -r $S/stats ]; then
		awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }' $S/stats
	else
		echo 0
	fi
}

# use_config NAME: vanilla/forcedac (module not loaded) or a policy.
use_config() {
	case "$1" in
	vanilla|forcedac)
		if grep -q '^iommu_sac ' /proc/modules; then
			rmmod iommu_sac || { bench_fail "rmmod iommu_sac"; return 1; }
		fi ;;
	*)
		if ! grep -q '^iommu_sac ' /proc/modules; then
			insmod /lib/sac/iommu_sac.ko || { bench_fail "insmod iommu_sac"; return 1; }
		fi
		echo "$1" > $S/default_policy || { bench_fail "policy $1"; return 1; } ;;
	esac
}

# run_cmd "DESCRIPTION" "COMMAND": one measured sac_bench command.
run_cmd() {
	local a0 k0 a1 k1
	a0=$(sac_total allocs); k0=$(sac_total kernel_calls)
	if ! echo "$2" > $B/run; then
		bench_fail "$1: '$2' failed"
		return 1
	fi
	a1=$(sac_total allocs); k1=$(sac_total kernel_calls)
	echo "BENCH-RUN $1 cmdline=$(echo "$2" | tr ' ' ',')"
	cat $B/run
	echo "sac_allocs $((a1 - a0))"
	echo "sac_kernel_calls $((k1 - k0))"
	echo "BENCH-HIST"
	cat $B/hist
	echo "BENCH-END"
}

ndevs() { wc -l < $B/devices; }

phase_a() {
	local c=$1 s n
	if [ "$c" = vanilla ]; then
		# The floor of any ftrace redirection, and what a clock read costs.
		for f in 1 2 3; do
			run_cmd "scenario=ftrace-floor config=vanilla size=$SCALE_SIZE devs=1 ftrace=$f" \
				"steady size=$SCALE_SIZE ops=$STEADY_OPS devs=1 warmup=$WARMUP ftrace=$f"
		done
		run_cmd "scenario=clock config=vanilla" "clock ops=10000"
	fi
	for s in $STEADY_SIZES; do
		run_cmd "scenario=steady config=$c size=$s devs=1" \
			"steady size=$s ops=$STEADY_OPS devs=1 warmup=$WARMUP"
	done
	for n in $SCALE_DEVS; do
		[ "$n" -le "$(ndevs)" ] || { bench_fail "scale: only $(ndevs) edu devices, wanted $n"; continue; }
		run_cmd "scenario=scale config=$c size=$SCALE_SIZE devs=$n" \
			"steady size=$SCALE_SIZE ops=$SCALE_OPS devs=$n warmup=$WARMUP"
	done
}

phase_b() {
	local c=$1 dev=$2 line
	if ! echo "fill dev=$dev size=$FILL_SIZE frac=$FILL_FRAC seed=$SEED max=$FILL_MAX" > $B/run; then
		bench_fail "fill on device $dev"
		return 1
	fi
	echo "BENCH-FILL config=$c dev=$dev"
	cat $B/run
	echo "BENCH-END"
	run_cmd "scenario=flip config=$c size=$FLIP_SIZE churn=0" \
		"probe dev=$dev size=$FLIP_SIZE ops=$PROBE_OPS"
	run_cmd "scenario=same config=$c size=$FILL_SIZE churn=0" \
		"probe dev=$dev size=$FILL_SIZE ops=$PROBE_OPS"
	if [ "$CHURN" -gt 0 ]; then
		run_cmd "scenario=flip-churn config=$c size=$FLIP_SIZE churn=$CHURN" \
			"probe dev=$dev size=$FLIP_SIZE ops=$CHURN_OPS churn=$CHURN seed=$SEED"
	fi
	if [ -d $S/devices ]; then
		line=$(sed -n 'p' "$S/devices/$(sed -n "$((dev + 1))p" $B/devices | cut -d' ' -f2)/state" 2>/dev/null |
			awk '$1 == "state" || $1 == "switches" { printf "%s=%s ", $1, $2 }')
		echo "BENCH-STATE config=$c $line"
	fi
	echo release > $B/run
}

phase_c() {
	local cycles=0 pid
	use_config vanilla || return 1
	run_cmd "scenario=loadunload-base config=vanilla size=4096 devs=1" \
		"steady size=4096 ops=$LU_OPS devs=1 warmup=$WARMUP"
	echo "steady size=4096 ops=$LU_OPS devs=1 warmup=$WARMUP" > $B/run &
	pid=$!
	while kill -0 $pid 2>/dev/null; do
		insmod /lib/sac/iommu_sac.ko default_policy=$LU_CONFIG 2>/dev/null || break
		kill -0 $pid 2>/dev/null || { rmmod iommu_sac; cycles=$((cycles + 1)); break; }
		rmmod iommu_sac || break
		cycles=$((cycles + 1))
	done
	wait $pid || bench_fail "loadunload: steady failed"
	grep -q '^iommu_sac ' /proc/modules && rmmod iommu_sac
	echo "BENCH-RUN scenario=loadunload config=$LU_CONFIG size=4096 devs=1 cycles=$cycles"
	cat $B/run
	echo "BENCH-HIST"
	cat $B/hist
	echo "BENCH-END"
}

bench_main() {
	local c i n
	grep -q '^sac_bench ' /proc/modules || insmod /lib/sac/sac_bench.ko || { bench_fail "insmod sac_bench"; return 1; }
	echo "BENCH-INFO kernel=$(uname -r) clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource) edu=$(ndevs) cmdline=$(tr ' ' ',' < /proc/cmdline)"
	n=$(ndevs)
	case " $PHASES " in *" A "*)
		for c in $CONFIGS; do use_config "$c" && phase_a "$c"; done ;;
	esac
	case " $PHASES " in *" B "*)
		# One fresh device per config, from the end of the root bus
		# (each its own IOMMU group, hence its own IOVA space).
		set -- $(awk '$2 ~ /^0000:00:/ { print $1 }' $B/devices | sort -rn)
		for c in $CONFIGS; do
			[ $# -gt 0 ] || { bench_fail "no fresh root-bus edu device for $c"; break; }
			use_config "$c" && phase_b "$c" "$1"
			shift
		done ;;
	esac
	case " $PHASES " in *" C "*) phase_c ;; esac
	use_config vanilla
	rmmod sac_bench
	echo "BENCH-DONE"
}

[ "${BENCH_SOURCED:-0}" = 1 ] || bench_main
