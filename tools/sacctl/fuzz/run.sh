#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# fuzz/run.sh SECONDS [TARGET...]: run each fuzz target (default: all) for
# SECONDS with libFuzzer, AddressSanitizer (leaks included) and UBSan, from
# the committed seed corpus tests/corpus/TARGET/ plus what earlier runs
# found (fuzz/build/corpus/TARGET/, not committed). Prints one TAP line per
# target ("N runs, M new inputs") without a plan: tests/run.sh and
# "make fuzz" number and count them. A crash, leak or UB report fails the
# target; its reproducer and log stay in fuzz/build/.
set -u
cd "$(dirname "$0")/.."
top=$PWD	# absolute: the targets work in a folder of their own
secs=$1
shift
[ $# -gt 0 ] || set -- kmsg kvs iova32 resolve ctl args
status=0
for t in "$@"; do
	bin=$top/fuzz/build/fuzz_$t
	work=$top/fuzz/build/corpus/$t
	log=$top/fuzz/build/$t.log
	mkdir -p "$work"
	# -close_fd_mask=3: the target's own stdout/stderr (sacctl's error
	# messages) are dropped; sanitizer and libFuzzer reports still show.
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-max_len=4096 -close_fd_mask=3 -print_final_stats=1 \
		-artifact_prefix="$top/fuzz/build/$t-" "$work" "$top/tests/corpus/$t" \
		> "$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	new=$(sed -n 's/^stat::new_units_added: *//p' "$log")
	seeds=$(ls "tests/corpus/$t" 2>/dev/null | wc -l)
	if [ $rc -eq 0 ] && [ -n "$runs" ] && [ "$runs" -gt "$seeds" ]; then
		echo "ok - fuzz $t: ${runs} runs in ${secs}s from ${seeds} seeds, ${new:-0} new inputs, no crash, leak or UB"
	else
		status=1
		echo "not ok - fuzz $t: exit $rc after ${runs:-0} runs (see $log)"
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -n 8 | sed 's/^/# /'
	fi
done
exit $status
