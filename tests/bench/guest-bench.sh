#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In-guest part of the iommu-sac benchmark (tests/bench/bench.py packs it
# into the initramfs as /tests/bench.sh with /etc/sac/bench.conf, and
# tests/guest/bench-smoke.sh exercises the same sac_bench commands).
#
# It drives sac_bench.ko (tests/drivers/sac_bench.c) and prints, for every
# measured run, on stdout:
#   BENCH-RUN key=value ...        what ran (scenario, config, sizes)
#   key value                      sac_bench's result lines, and what
#                                  iommu_sac saw: sac_loaded, sac_hook,
#                                  sac_policy, sac_timing and the sac_allocs /
#                                  sac_kernel_calls deltas of its global
#                                  counters (bench.py checks them)
#   BENCH-HIST                     then "lo_ns hi_ns count" lines
#   BENCH-END
# Phases, each walking the configurations in the order CONFIGS gives
# (bench.py shuffles it with a recorded seed):
#   A  an untimed warm-up; then per config the steady runs, each config on
#      a device of its own (one no other config has mapped on) whose IOVA
#      caches are flushed first (sac_bench "flush"); then per config the
#      scale runs over the first 1/8/32 devices, flushed first (the per-CPU
#      caches would hand one config's IOVAs, below or above 4 GiB, to the
#      next: policy dac measured 0 allocations above 4 GiB that way);
#      every run after an untimed warm-up of WARMUP ops (scale: at least
#      SCALE_WARMUP_PER_DEV per device);
#   B  exhaustion per config, each on a fresh device (a filled IOVA space
#      and, on 6.6+, the kernel's own switch are per device), caches
#      flushed after the fill; configs in VERDICT_CONFIGS (the ones a
#      target compares) run CHURN_OPS_VERDICT flip-churn ops, the others
#      CHURN_OPS;
#   C  load/unload of iommu_sac during a steady loop.
# Configs: vanilla (iommu_sac not loaded), a default policy (kernel, auto,
# sac, dac, dma32: latency timing off), timing (policy auto with latency
# timing on); forcedac is vanilla in a boot with iommu.forcedac=1.

B=/sys/kernel/debug/sac_bench
S=/sys/kernel/debug/iommu_sac
# iommu_sac.ko needs iommu_sac_fops.ko (debugfs/fops.c), as modprobe would
# load it; the configurations below insmod iommu_sac.ko by path. Loaded
# once: nothing of it runs on the DMA path.
if [ -e /lib/sac/iommu_sac_fops.ko ] && ! grep -q '^iommu_sac_fops ' /proc/modules; then
	insmod /lib/sac/iommu_sac_fops.ko || echo "guest-bench: insmod iommu_sac_fops.ko failed"
fi

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
CHURN_OPS_VERDICT=100
VERDICT_CONFIGS="auto"
B_CONFIGS=""
SCALE_WARMUP_PER_DEV=100
LU_OPS=1500000
LU_CONFIG=auto
PHASES="A B C"
[ -r /etc/sac/bench.conf ] && . /etc/sac/bench.conf
# Exhaustion: every config but dma32 (its 64-bit probes would all fail)
# and timing (auto's exhaustion, plus two clock reads per op).
[ -n "$B_CONFIGS" ] || B_CONFIGS=$(echo $CONFIGS | tr ' ' '\n' | grep -vx 'dma32\|timing' | tr '\n' ' ')

bench_fail() { echo "BENCH-ERROR $*"; }

# sac_total NAME: a global counter of iommu_sac, 0 when not loaded.
sac_total() {
	if [ -r $S/stats ]; then
		awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }' $S/stats
	else
		echo 0
	fi
}

# use_config NAME: vanilla/forcedac (module not loaded), a policy with
# latency timing off, or timing (policy auto, latency timing on). A module
# without the timing switch (before issue 13) runs every policy as it is
# (its stats say no "timing"); the timing config needs the switch.
use_config() {
	local p=$1 t=0
	case "$1" in
	vanilla|forcedac)
		if grep -q '^iommu_sac ' /proc/modules; then
			rmmod iommu_sac || { bench_fail "rmmod iommu_sac"; return 1; }
		fi
		return 0 ;;
	timing) p=auto t=1 ;;
	esac
	if ! grep -q '^iommu_sac ' /proc/modules; then
		insmod /lib/sac/iommu_sac.ko || { bench_fail "insmod iommu_sac"; return 1; }
	fi
	echo "$p" > $S/default_policy || { bench_fail "policy $p"; return 1; }
	if [ -e $S/timing ]; then
		echo $t > $S/timing || { bench_fail "timing $t"; return 1; }
	elif [ $t = 1 ]; then
		bench_fail "config timing: iommu_sac has no latency timing switch ($S/timing)"
		return 1
	fi
}

# sac_word KEY: a word of iommu_sac's stats file ("-" when not loaded).
sac_word() {
	if [ -r $S/stats ]; then
		awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print "-" }' $S/stats
	else
		echo -
	fi
}

sac_loaded() { grep -q '^iommu_sac ' /proc/modules && echo 1 || echo 0; }

# The latency clock iommu_sac chose at its last load ("-" when not loaded):
# its own log line, "latency clock: tsc" or "latency clock: local_clock".
sac_clock() {
	if [ "$(sac_loaded)" = 1 ]; then
		dmesg | sed -n 's/.*iommu_sac: latency clock: \([a-z_]*\).*/\1/p' | tail -n 1 | grep . || echo "?"
	else
		echo -
	fi
}

# flush FIRST COUNT: empty the IOVA caches of those devices' domains.
flush() {
	echo "flush first=$1 devs=$2" > $B/run || { bench_fail "flush first=$1 devs=$2"; return 1; }
}

# run_cmd "DESCRIPTION" "COMMAND": one measured sac_bench command.
run_cmd() {
	local a0 k0 a1 k1 l0
	l0=$(sac_loaded)
	a0=$(sac_total allocs); k0=$(sac_total kernel_calls)
	if ! echo "$2" > $B/run; then
		bench_fail "$1: '$2' failed"
		return 1
	fi
	a1=$(sac_total allocs); k1=$(sac_total kernel_calls)
	echo "BENCH-RUN $1 cmdline=$(echo "$2" | tr ' ' ',')"
	cat $B/run
	# Loaded before and after (1), neither (0), or changed under the run (x).
	[ "$l0" = "$(sac_loaded)" ] && echo "sac_loaded $l0" || echo "sac_loaded x"
	echo "sac_hook $(sac_word hook)"
	echo "sac_policy $(sac_word default_policy)"
	echo "sac_timing $(sac_word timing)"
	echo "sac_clock $(sac_clock)"
	echo "sac_allocs $((a1 - a0))"
	echo "sac_kernel_calls $((k1 - k0))"
	echo "BENCH-HIST"
	cat $B/hist
	echo "BENCH-END"
}

ndevs() { wc -l < $B/devices; }

# vendor/family/model of the first CPU, as the kernel read them.
cpu_id() {
	awk -F': *' '$1 ~ /^vendor_id/ { v = $2 } $1 ~ /^cpu family/ { f = $2 }
		$1 ~ /^model$|^model\t/ { m = $2 } /^$/ { exit }
		END { printf "%s/%s/%s", v, f, m }' /proc/cpuinfo
}

# steady_a CONFIG DEV: the steady runs of one config on its own device.
steady_a() {
	local c=$1 d=$2 s f
	flush "$d" 1 || return 1
	for s in $STEADY_SIZES; do
		run_cmd "scenario=steady config=$c size=$s devs=1" \
			"steady size=$s ops=$STEADY_OPS devs=1 first=$d warmup=$WARMUP"
		[ "$c" = vanilla ] && [ "$s" = "$SCALE_SIZE" ] || continue
		# The floors of an ftrace redirection (same device, same
		# state): four ftrace_ops callbacks, two direct calls.
		for f in 1 2 3 4 5 6; do
			run_cmd "scenario=ftrace-floor config=vanilla size=$s devs=1 ftrace=$f" \
				"steady size=$s ops=$STEADY_OPS devs=1 first=$d warmup=$WARMUP ftrace=$f"
		done
	done
	if [ "$c" = vanilla ]; then
		run_cmd "scenario=clock config=vanilla" "clock ops=10000"
	fi
}

# scale_a CONFIG: round robin over the first 1, 8, 32 devices.
scale_a() {
	local c=$1 n w max=0
	for n in $SCALE_DEVS; do [ "$n" -gt "$max" ] && max=$n; done
	[ "$max" -le "$(ndevs)" ] || max=$(ndevs)
	flush 0 "$max" || return 1
	for n in $SCALE_DEVS; do
		[ "$n" -le "$(ndevs)" ] || { bench_fail "scale: only $(ndevs) edu devices, wanted $n"; continue; }
		w=$((n * SCALE_WARMUP_PER_DEV))
		[ "$w" -ge "$WARMUP" ] || w=$WARMUP
		run_cmd "scenario=scale config=$c size=$SCALE_SIZE devs=$n" \
			"steady size=$SCALE_SIZE ops=$SCALE_OPS devs=$n warmup=$w"
	done
}

phase_b() {
	local c=$1 dev=$2 line ops
	# The scale runs mapped on every device: start from an empty cache.
	flush "$dev" 1 || return 1
	if ! echo "fill dev=$dev size=$FILL_SIZE frac=$FILL_FRAC seed=$SEED max=$FILL_MAX" > $B/run; then
		bench_fail "fill on device $dev"
		return 1
	fi
	echo "BENCH-FILL config=$c dev=$dev"
	cat $B/run
	echo "BENCH-END"
	# What the fill released sits in the IOVA caches: into the rbtree
	# with it, so that every config starts from the same tree and no
	# cached 32-bit IOVA answers a config that claims 64-bit ones.
	flush "$dev" 1 || return 1
	run_cmd "scenario=flip config=$c size=$FLIP_SIZE churn=0" \
		"probe dev=$dev size=$FLIP_SIZE ops=$PROBE_OPS"
	run_cmd "scenario=same config=$c size=$FILL_SIZE churn=0" \
		"probe dev=$dev size=$FILL_SIZE ops=$PROBE_OPS"
	if [ "$CHURN" -gt 0 ]; then
		ops=$CHURN_OPS
		case " $VERDICT_CONFIGS " in *" $c "*) ops=$CHURN_OPS_VERDICT ;; esac
		run_cmd "scenario=flip-churn config=$c size=$FLIP_SIZE churn=$CHURN" \
			"probe dev=$dev size=$FLIP_SIZE ops=$ops churn=$CHURN seed=$SEED"
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
	local c n r s
	grep -q '^sac_bench ' /proc/modules || insmod /lib/sac/sac_bench.ko || { bench_fail "insmod sac_bench"; return 1; }
	echo "BENCH-INFO kernel=$(uname -r) clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource) edu=$(ndevs) order=$(echo $CONFIGS | tr ' ' ',') cpu=$(cpu_id) constant_tsc=$(grep -qw constant_tsc /proc/cpuinfo && echo 1 || echo 0) cmdline=$(tr ' ' ',' < /proc/cmdline)"
	n=$(ndevs)
	# Root-bus devices (each its own IOMMU group, hence its own IOVA
	# space), by index: steady takes them from the front (after the
	# warm-up's), exhaustion from the end.
	r=$(awk '$2 ~ /^0000:00:/ { print $1 }' $B/devices | sort -n | tr '\n' ' ')
	case " $PHASES " in *" A "*)
		set -- $r
		# Untimed: first touches of the mapping path (slabs, page
		# tables, magazines) belong to no config.
		use_config vanilla
		for s in $STEADY_SIZES; do
			echo "steady size=$s ops=$WARMUP devs=1 first=$1 warmup=$WARMUP" > $B/run ||
				bench_fail "warm-up size $s"
		done
		shift
		for c in $CONFIGS; do
			[ $# -gt 0 ] || { bench_fail "no fresh root-bus edu device for steady $c"; break; }
			use_config "$c" && steady_a "$c" "$1"
			shift
		done
		for c in $CONFIGS; do use_config "$c" && scale_a "$c"; done ;;
	esac
	case " $PHASES " in *" B "*)
		# One fresh device per config, from the end of the root bus.
		set -- $(echo $r | tr ' ' '\n' | sort -rn)
		for c in $B_CONFIGS; do
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
