#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The debugfs files of iommu_sac under hostile use: every writable file
# rejects bad input (unknown value, empty, a 1 MiB write, binary junk,
# trailing garbage, an embedded NUL, an unknown device to rearm) with EINVAL and keeps its
# value; every readable file reads the same with 1-byte and 1 MiB reads;
# the write-only files cannot be read; latency timing is off by default
# (histogram empty) and the timing control switches it; with it on the
# latency histogram adds up to the allocations; reset_stats zeroes every
# counter.
# lanes: arm64
# timeout: 300
. ./lib.sh

SAC=/sys/kernel/debug/iommu_sac
E=/sys/kernel/debug/sac_edu/$EDU
ST=$SAC/devices/$EDU/state
DS=$SAC/devices/$EDU/stats
T=/tmp/sacdbg
mkdir -p $T

# wr FILE DATAFILE: one write(2) of DATAFILE's bytes; prints dd's error.
wr() { dd if="$2" of="$1" bs=2097152 count=1 conv=notrunc 2>&1 >/dev/null | grep -v records; }

# rejects DESC FILE DATAFILE READBACK-CMD: the write fails with EINVAL and
# READBACK-CMD prints the same before and after.
rejects() {
	local before after err
	before=$($4)
	err=$(wr "$2" "$3")
	after=$($4)
	case $err in
	*"Invalid argument"*) ok "$1: EINVAL" ;;
	*) not_ok "$1: EINVAL (saw '${err:-success}')" ;;
	esac
	check_eq "$1: unchanged" "$before" "$after"
}

# accepts DESC FILE DATAFILE
accepts() {
	local err
	err=$(wr "$2" "$3")
	check_eq "$1: accepted" "" "$err"
}

printf '\n' > $T/empty
head -c 1048576 /dev/zero | tr '\0' a > $T/huge
head -c 128 /dev/zero | tr '\0' a > $T/128
printf '\001\002\377\376\200\033[0m' > $T/junk
printf 'dac\000junk' > $T/nul
head -c 100 /dev/urandom | tr -d 'a-z0-9' > $T/random

unload_sac iommu_sac
check "sac_edu.ko loads" load_sac sac_edu
check "iommu_sac.ko loads" load_sac iommu_sac
echo all > $SAC/rearm
echo kernel > $SAC/default_policy
echo auto > $SAC/devices/$EDU/policy

# default_policy
rb_default() { cat $SAC/default_policy; }
for v in bogus default DAC "dac x" dacx "dac
sac" "auto," ; do
	printf '%s' "$v" > $T/v
	rejects "default_policy '$v'" $SAC/default_policy $T/v rb_default
done
for f in empty huge 128 junk random nul; do
	rejects "default_policy $f write" $SAC/default_policy $T/$f rb_default
done
printf 'sac' > $T/v
accepts "default_policy 'sac' without newline" $SAC/default_policy $T/v
check_eq "default_policy" sac "$(rb_default)"
printf '  dac \n' > $T/v
accepts "default_policy '  dac ' with blanks" $SAC/default_policy $T/v
check_eq "default_policy" dac "$(rb_default)"
echo kernel > $SAC/default_policy

# devices/EDU/policy
rb_policy() { cat $SAC/devices/$EDU/policy; }
for v in bogus AUTO "sac dac" dma32x "auto
sac" "-1" 3; do
	printf '%s' "$v" > $T/v
	rejects "EDU policy '$v'" $SAC/devices/$EDU/policy $T/v rb_policy
done
for f in empty huge 128 junk random nul; do
	rejects "EDU policy $f write" $SAC/devices/$EDU/policy $T/$f rb_policy
done
for v in default sac dac dma32 kernel auto; do
	printf '%s\n' "$v" > $T/v
	accepts "EDU policy '$v'" $SAC/devices/$EDU/policy $T/v
	check_eq "EDU policy reads" "$v" "$(rb_policy)"
done

# rearm: put EDU in state dac first (exhaust its 32-bit space under auto).
echo all > $E/release
sleep 1
echo "2048 512" > $E/fill
check_eq "EDU state after exhausting its 32-bit space" dac "$(kv $ST state)"
rb_state() { kv $ST state; kv $ST switches; }
for v in 0000:00:1f.7 nonexistent "$EDU x" "all x" ALL "$EDU,$EDU32" 0000:00:04.00; do
	printf '%s' "$v" > $T/v
	rejects "rearm '$v'" $SAC/rearm $T/v rb_state
done
printf '%s\000junk' "$EDU" > $T/nulrearm
for f in empty huge 128 junk random nulrearm; do
	rejects "rearm $f write" $SAC/rearm $T/$f rb_state
done
printf '  %s \n' "$EDU" > $T/v
accepts "rearm '  $EDU '" $SAC/rearm $T/v
check_eq "EDU state after rearm" sac "$(kv $ST state)"
echo all > $E/release
sleep 1

# timing: latency timing is off by default (no clock reads on the hot
# path); the histogram then stays empty while allocs count on.
check_eq "timing: control reads 0 by default" 0 "$(cat $SAC/timing)"
check_eq "stats: timing off by default" off "$(kv $SAC/stats timing)"
echo 1 > $SAC/reset_stats
echo "100 4096" > $E/maploop
check_eq "timing off: EDU allocs counted (100 mappings)" 100 "$(kv $DS allocs)"
check_eq "timing off: EDU latency histogram empty" 0 \
	"$(awk '{ s += $3 } END { print s }' $SAC/devices/$EDU/latency)"
rb_timing() { cat $SAC/timing; kv $SAC/stats timing; }
for v in 2 yes on true "1 1" 11 1x -1 01; do
	printf '%s' "$v" > $T/v
	rejects "timing '$v'" $SAC/timing $T/v rb_timing
done
for f in empty huge 128 junk random; do
	rejects "timing $f write" $SAC/timing $T/$f rb_timing
done
printf '1\n' > $T/v
accepts "timing '1'" $SAC/timing $T/v
check_eq "timing: control reads 1" 1 "$(cat $SAC/timing)"
check_eq "stats: timing on" on "$(kv $SAC/stats timing)"

# reset_stats
echo 1 > $SAC/reset_stats
echo "100 4096" > $E/maploop
rb_stats() { cat $DS; }
for v in 0 2 yes "1 1" 11 1x -1; do
	printf '%s' "$v" > $T/v
	rejects "reset_stats '$v'" $SAC/reset_stats $T/v rb_stats
done
for f in empty huge 128 junk random; do
	rejects "reset_stats $f write" $SAC/reset_stats $T/$f rb_stats
done
check_eq "EDU allocs before the reset (100 mappings)" 100 "$(kv $DS allocs)"
lat=$(awk '{ s += $3 } END { print s }' $SAC/devices/$EDU/latency)
check_eq "EDU latency histogram counts add up to allocs" 100 "$lat"
check_eq "EDU latency: 32 buckets" 32 "$(wc -l < $SAC/devices/$EDU/latency)"
check_eq "EDU latency: first bucket" "0 1" "$(head -n1 $SAC/devices/$EDU/latency | cut -d' ' -f1,2)"
check_eq "EDU latency: bucket 10" "1024 2047" "$(sed -n 11p $SAC/devices/$EDU/latency | cut -d' ' -f1,2)"
check_eq "EDU latency: last bucket's upper end" 18446744073709551615 \
	"$(tail -n1 $SAC/devices/$EDU/latency | cut -d' ' -f2)"
printf '1\n' > $T/v
accepts "reset_stats '1'" $SAC/reset_stats $T/v
check_eq "EDU counters after reset_stats (all zero)" 0 \
	"$(awk '{ s += $2 } END { print s }' $DS)"
check_eq "EDU latency after reset_stats (all zero)" 0 \
	"$(awk '{ s += $3 } END { print s }' $SAC/devices/$EDU/latency)"
# Other devices are on policy kernel: only kernel_calls may move globally.
check_eq "global counters but kernel_calls after reset_stats" 0 \
	"$(head -n 9 $SAC/stats | grep -v '^kernel_calls ' | awk '{ s += $2 } END { print s }')"
check_eq "global counters but kernel_calls after reset_stats, by name (8 of them, each 0)" \
	"allocs=0 sac_tries=0 sac_hits=0 sac_misses=0 dac_allocs=0 failed=0 dma32_refusals=0 switches=0" \
	"$(for k in allocs sac_tries sac_hits sac_misses dac_allocs failed dma32_refusals switches; do
		printf '%s=%s ' $k "$(kv $SAC/stats $k)"; done | sed 's/ $//')"
printf '0' > $T/v
accepts "timing '0'" $SAC/timing $T/v
check_eq "stats: timing off again" off "$(kv $SAC/stats timing)"
echo "10 4096" > $E/maploop
check_eq "timing off again: EDU allocs counted (10 mappings)" 10 "$(kv $DS allocs)"
check_eq "timing off again: EDU latency histogram stays empty" 0 \
	"$(awk '{ s += $3 } END { print s }' $SAC/devices/$EDU/latency)"

# Reads: 1-byte and 1 MiB reads give what cat gives (files that hold still).
for f in version default_policy devices/$EDU/policy devices/$EDU/state \
	devices/$EDU/stats devices/$EDU/latency devices/$EDU32/state; do
	a=$(cat $SAC/$f | sha256sum)
	b=$(dd if=$SAC/$f bs=1 2>/dev/null | sha256sum)
	c=$(dd if=$SAC/$f bs=1048576 2>/dev/null | sha256sum)
	check "$f: 1-byte and 1 MiB reads equal cat ($(cat $SAC/$f | wc -c) bytes)" \
		sh -c '[ "$1" = "$2" ] && [ "$1" = "$3" ]' - "$a" "$b" "$c"
done
for f in stats devices/$NVME/stats devices/$NIC0/latency; do
	n=$(dd if=$SAC/$f bs=1 2>/dev/null | wc -l)
	m=$(dd if=$SAC/$f bs=1048576 2>/dev/null | wc -l)
	check_eq "$f: lines with 1-byte reads equal lines with 1 MiB reads" "$m" "$n"
done
check_eq "stats: lines (9 counters, 8 hook lines)" 17 "$(wc -l < $SAC/stats)"
check_eq "EDU state: lines" 11 "$(wc -l < $ST)"
check_eq "EDU stats: lines" 9 "$(wc -l < $DS)"
for f in rearm reset_stats; do
	if cat $SAC/$f >/dev/null 2>&1; then
		not_ok "$f (write-only) cannot be read"
	else
		ok "$f (write-only) cannot be read"
	fi
done

rm -rf $T
check "iommu_sac.ko unloads" unload_sac iommu_sac
check "sac_edu.ko unloads" unload_sac sac_edu
done_testing
