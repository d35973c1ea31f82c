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
# Each target's figures (wall and CPU seconds, executions, corpus size,
# result) go to fuzz/build/stats/TARGET, one "key value" a line, added to
# what earlier runs recorded there (tests/soak/report.py reads them for
# docs/RELIABILITY.md); the CPU time is measured by /usr/bin/time when
# installed.
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
	# Per run: make check's short runs may overlap a long "make fuzz".
	log=$top/fuzz/build/$t.$$.log
	tfile=$top/fuzz/build/$t.$$.time
	mkdir -p "$work" "$top/fuzz/build/stats"
	timer=
	[ -x /usr/bin/time ] && timer="/usr/bin/time -o $tfile -f %U_%S"
	start=$(date +%s)
	# -close_fd_mask=3: the target's own stdout/stderr (sacctl's error
	# messages) are dropped; sanitizer and libFuzzer reports still show.
	$timer "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-max_len=4096 -close_fd_mask=3 -print_final_stats=1 \
		-artifact_prefix="$top/fuzz/build/$t-" "$work" "$top/tests/corpus/$t" \
		> "$log" 2>&1
	rc=$?
	wall=$(($(date +%s) - start))
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	new=$(sed -n 's/^stat::new_units_added: *//p' "$log")
	seeds=$(ls "tests/corpus/$t" 2>/dev/null | wc -l)
	cpu=0
	[ -n "$timer" ] && cpu=$(awk -F_ '/^[0-9.]+_[0-9.]+$/ { printf "%.0f", $1 + $2 }' "$tfile")
	rm -f "$tfile"
	corpus=$(ls "$work" | wc -l)
	result=pass
	[ $rc -eq 0 ] && [ -n "$runs" ] && [ "$runs" -gt "$seeds" ] || result=fail
	st=$top/fuzz/build/stats/$t
	exec 9>>"$st.lock"
	flock 9
	touch "$st"
	awk -v w="$wall" -v c="${cpu:-0}" -v r="${runs:-0}" -v n="${new:-0}" \
	    -v k="$corpus" -v s="$seeds" -v res="$result" '
		{ v[$1] = $2 }
		END {
			printf "sessions %d\nwall_s %d\ncpu_s %d\nruns %d\nnew %d\n", v["sessions"] + 1, v["wall_s"] + w, v["cpu_s"] + c, v["runs"] + r, v["new"] + n
			printf "corpus %d\nseeds %d\nfailures %d\nlast %s\n", k, s, v["failures"] + (res == "fail"), res
		}' "$st" > "$st.new"
	mv "$st.new" "$st"
	flock -u 9
	if [ $result = pass ]; then
		mv "$log" "$top/fuzz/build/$t.log"
		log=$top/fuzz/build/$t.log
		echo "ok - fuzz $t: ${runs} runs in ${secs}s from ${seeds} seeds, ${new:-0} new inputs, no crash, leak or UB"
	else
		status=1
		echo "not ok - fuzz $t: exit $rc after ${runs:-0} runs (see $log)"
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -n 8 | sed 's/^/# /'
	fi
done
exit $status
