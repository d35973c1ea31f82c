# SPDX-License-Identifier: GPL-2.0
#
# tap.sh: TAP on stdout for the host-side test scripts (tests/vm/setup.d/,
# dkms-arm64.sh, freshcheck.sh, tests/lint/lint.sh). Sourced after lib.sh;
# step and tail_log write to and read from the script's log file, $logf.

n=0
failed=0
ok()     { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
skip()   { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
# check_eq DESC EXPECTED SEEN
check_eq() {
	if [ "$2" = "$3" ]; then ok "$1 ($3)"; else not_ok "$1 (expected '$2', saw '$3')"; fi
}
# The plan, and the script's status: 0 if nothing failed.
finish() { echo "1..$n"; [ "$failed" -eq 0 ]; exit $?; }
# Show the end of the log as TAP comments after a failure.
tail_log() { tail -n "${1:-15}" "$logf" | sed 's/^/# /'; }

# step DESC CMD...: run CMD with its output in the log; TAP for the result.
step() {
	local d=$1
	shift
	echo "### $d: $*" >> "$logf"
	if "$@" >> "$logf" 2>&1; then
		ok "$d"
	else
		not_ok "$d (exit $?, see $logf)"
		tail_log 15
		return 1
	fi
}
