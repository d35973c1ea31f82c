#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Host-side tests of sacctl (make -C tools/sacctl check). Builds a fake
# sysfs and a fake iommu_sac debugfs tree in a temporary directory (in the
# module's formats, debugfs/debugfs.c), points sacctl at them through
# SACCTL_SYSFS / SACCTL_DEBUGFS, and prints TAP: the C unit tests
# (tests/unit), then the command line against the fake trees. JSON is
# validated with python3's json module and jq, the Prometheus exposition
# with promtool (package prometheus) when installed, else a strict grammar.
set -u
cd "$(dirname "$0")/.."
SACCTL=$PWD/sacctl
T=$(mktemp -d /tmp/sacctl-test.XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM
n=0
fail=0

ok()     { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $*"; }
skip()   { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
check()  { d=$1; shift; if "$@" >/dev/null 2>&1; then ok "$d"; else not_ok "$d"; fi; }
check_eq() {
	if [ "$2" = "$3" ]; then ok "$1 ($3)"; else not_ok "$1 (expected '$2', saw '$3')"; fi
}
# check_lines DESC EXPECTED SEEN: multi-line values; a diff when they differ.
check_lines() {
	if [ "$2" = "$3" ]; then
		ok "$1 ($(printf '%s\n' "$3" | wc -l) lines)"
	else
		not_ok "$1"
		printf '%s\n' "$2" > "$T/want"
		printf '%s\n' "$3" > "$T/seen"
		diff "$T/want" "$T/seen" | sed 's/^/# /'
	fi
}
# rc DESC EXPECTED_CODE CMD...: the exit code of a command.
rc() {
	d=$1 want=$2
	shift 2
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	check_eq "$d: exit $want" "$want" "$got"
}
json_ok() { python3 -m json.tool "$1" >/dev/null 2>&1 && jq -e . "$1" >/dev/null 2>&1; }

# ---- fake sysfs ----------------------------------------------------------
S=$T/sys
pcid=$S/devices/pci0000:00
mkdir -p "$pcid/0000:00:04.0" "$pcid/0000:00:05.0" "$pcid/0000:00:09.0" \
	"$pcid/0000:00:06.0/nvme/nvme0/nvme0n1/nvme0n1p1" \
	"$pcid/0000:00:07.0/net/eth0" \
	"$pcid/0000:00:1c.0/0000:03:00.0/net/enp3s0" \
	"$S/devices/virtual/net/lo" "$S/devices/virtual/block/loop0" \
	"$S/class/net" "$S/class/block" "$S/class/nvme" \
	"$S/bus/pci/devices" "$S/bus/pci/drivers/nvme" "$S/bus/pci/drivers/sac_edu" \
	"$S/bus/pci/drivers/e1000e"
ln -s ../../devices/pci0000:00/0000:00:07.0/net/eth0 "$S/class/net/eth0"
ln -s ../../devices/pci0000:00/0000:00:1c.0/0000:03:00.0/net/enp3s0 "$S/class/net/enp3s0"
ln -s ../../devices/virtual/net/lo "$S/class/net/lo"
ln -s ../../devices/pci0000:00/0000:00:06.0/nvme/nvme0/nvme0n1 "$S/class/block/nvme0n1"
ln -s ../../devices/pci0000:00/0000:00:06.0/nvme/nvme0/nvme0n1/nvme0n1p1 "$S/class/block/nvme0n1p1"
ln -s ../../devices/virtual/block/loop0 "$S/class/block/loop0"
ln -s ../../devices/pci0000:00/0000:00:06.0/nvme/nvme0 "$S/class/nvme/nvme0"
for d in 0000:00:04.0 0000:00:05.0 0000:00:06.0 0000:00:07.0 0000:00:09.0 0000:03:00.0; do
	ln -s "$pcid/$d" "$S/bus/pci/devices/$d"
done
ln -s ../../../../bus/pci/drivers/nvme "$pcid/0000:00:06.0/driver"
ln -s ../../../../bus/pci/drivers/sac_edu "$pcid/0000:00:04.0/driver"
ln -s ../../../../bus/pci/drivers/e1000e "$pcid/0000:00:07.0/driver"

# ---- fake debugfs (the module's formats) ---------------------------------
D=$T/debug/iommu_sac
mkdir -p "$D/devices" "$T/empty"
echo 0.1.0 > "$D/version"
echo auto > "$D/default_policy"
: > "$D/rearm"
: > "$D/reset_stats"
counters() { # ALLOCS TRIES HITS DAC SWITCHES
	printf 'allocs %s\nsac_tries %s\nsac_hits %s\nsac_misses %s\ndac_allocs %s\nfailed 0\ndma32_refusals 0\nswitches %s\nkernel_calls 0\n' \
		"$1" "$2" "$3" $(($2 - $3)) "$4" "$5"
}
{ counters 1500 1200 1000 500 1; cat <<EOF2
hook registered
inflight 0
devices 4
default_policy auto
layout verified
native_bit no
forcedac 0
timing on
EOF2
} > "$D/stats"
echo 1 > "$D/timing"
mkdev() { # NAME POLICY STATE ALLOCS TRIES HITS DAC SWITCHES BITS
	dd=$D/devices/$1
	mkdir -p "$dd"
	echo "$2" > "$dd/policy"
	cat > "$dd/state" <<EOF2
state $3
policy $2
effective_policy $([ "$2" = default ] && echo auto || echo "$2")
switches $8
last_switch_ns $([ "$8" -gt 0 ] && echo 12000000000 || echo 0)
last_switch_size $([ "$8" -gt 0 ] && echo 65536 || echo 0)
last_switch_by $([ "$8" -gt 0 ] && echo alloc || echo none)
dma_limit_bits $9
pci yes
native_bit none
layout verified
EOF2
	counters "$4" "$5" "$6" "$7" "$8" > "$dd/stats"
	b=0
	while [ $b -lt 32 ]; do
		lo=$([ $b -eq 0 ] && echo 0 || echo $((1 << b)))
		hi=$([ $b -eq 31 ] && echo 18446744073709551615 || echo $(((2 << b) - 1)))
		c=0
		[ $b -eq 9 ] && c=$4
		echo "$lo $hi $c"
		b=$((b + 1))
	done > "$dd/latency"
}
mkdev 0000:00:04.0 default sac 1000 1000 1000 0 0 64
mkdev 0000:00:05.0 dac dac 500 200 0 500 1 32
mkdev 0000:00:06.0 default sac 0 0 0 0 0 64
mkdev 0000:00:07.0 default sac 0 0 0 0 0 64

# kvfile FILE DEFAULTS OVERRIDES: "key value" lines in the order of
# DEFAULTS ("k=v k=v ..."), each value replaced by OVERRIDES' if named
# there; '~' in a value is a blank.
kvfile() {
	awk -v d="$2" -v o="$3" 'BEGIN {
		m = split(o, b, " ")
		for (i = 1; i <= m; i++) { e = index(b[i], "="); ov[substr(b[i], 1, e - 1)] = substr(b[i], e + 1) }
		n = split(d, a, " ")
		for (i = 1; i <= n; i++) {
			e = index(a[i], "="); k = substr(a[i], 1, e - 1)
			v = (k in ov) ? ov[k] : substr(a[i], e + 1)
			gsub("~", " ", v); print k " " v
		}
	}' > "$1"
}
# iova32 FILE [OVERRIDES [HIST]]: devices/<dev>/iova32 as the module writes
# it (docs/interfaces.md), an available view of a q35-like 32-bit space
# (600000 allocatable pages) by default; HIST is "K:N,K:N" for the
# gap32_hist_K lines (21 of them, 4 KiB pages). "available=0 ..." writes
# the three-line form.
IOVA32_KEYS="available=1 domain=dma-fq group=3 group_devices=1 shared_with=- granule=4096
start_pfn=1 limit32_pfn=1048576 space32_pages=1048575 reserved32_pages=448575
used32_pages=72000 used32_iovas=900 free32_pages=528000 gaps32=3
largest_gap32_pages=520000 largest_fit32_pages=262144 max32_alloc_size=1048576
reserved_high_pages=0 used_high_pages=0 used_high_iovas=0 rcache=1
cached32_iovas=12 cached32_pages=12 cached_iovas=40 cached_pages=50
walked_iovas=912 lock_holds=1 truncated=0"
iova32() {
	case "${2-}" in
	available=0*) kvfile "$1" "available=0 domain=none reason=no~driver~bound" "$2"; return ;;
	esac
	kvfile "$1" "$(echo $IOVA32_KEYS)" "${2-}"
	k=0
	while [ $k -le 20 ]; do
		c=$(echo ",${3-18:1,9:1,0:1}," | sed -n "s/.*,$k:\([0-9]*\),.*/\1/p")
		echo "gap32_hist_$k ${c:-0}"
		k=$((k + 1))
	done >> "$1"
}
# 0000:00:04.0: 12% used, shared by three devices; 0000:00:05.0: identity;
# 0000:00:06.0: a module without the file; 0000:00:07.0: 90% used, the
# caches not read, the walk truncated.
iova32 "$D/devices/0000:00:04.0/iova32" "group_devices=3 shared_with=0000:00:1f.2,0000:00:1f.3"
iova32 "$D/devices/0000:00:05.0/iova32" "available=0 domain=identity reason=identity~domain:~DMA~is~not~translated"
iova32 "$D/devices/0000:00:07.0/iova32" "used32_pages=540000 free32_pages=60000 gaps32=5 largest_gap32_pages=200 largest_fit32_pages=128 max32_alloc_size=256 rcache=0 cached32_iovas=0 cached32_pages=0 cached_iovas=0 cached_pages=0 walked_iovas=64 lock_holds=1 truncated=1" "7:3,1:2"

export SACCTL_SYSFS=$S SACCTL_DEBUGFS=$T/debug

# ---- C unit tests ----------------------------------------------------------
# Renumbered into this script's TAP. tests/unit ends with its plan "1..N":
# a crash, an early exit or a lost result shows as a missing plan, a count
# that differs from it, or an exit status that disagrees with the results.
./tests/unit > "$T/unit.tap" 2>&1
unit_rc=$?
unit_n=0 unit_failed=0 unit_plan=
while IFS= read -r line; do
	case "$line" in
	"ok - "*) unit_n=$((unit_n + 1)); ok "${line#ok - }" ;;
	"not ok - "*) unit_n=$((unit_n + 1)); unit_failed=$((unit_failed + 1)); not_ok "${line#not ok - }" ;;
	1..*) unit_plan=${line#1..} ;;
	*) echo "$line" ;;
	esac
done < "$T/unit.tap"
want_rc=0
[ "$unit_failed" -eq 0 ] || want_rc=1
check_eq "tests/unit exit status matches its results ($unit_failed failed)" "$want_rc" "$unit_rc"
check_eq "tests/unit printed its plan and every planned result" \
	"plan 1..$unit_n" "plan 1..${unit_plan:-(none)}"

./tests/unit json > "$T/j1"
check "JSON writer output parses (python3 json, jq)" json_ok "$T/j1"
./tests/unit json -p > "$T/j2"
check "pretty JSON writer output parses" json_ok "$T/j2"
check "pretty and compact JSON are the same document" \
	sh -c "[ \"\$(jq -cS . '$T/j1')\" = \"\$(jq -cS . '$T/j2')\" ]"
check "JSON: escaped string round-trips" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(d["quotes \"and\" \\"] != "tab\there\nnl\r\x01\x1f\x7f" or d["high bytes"] != "\u00e9\ufffd")' "$T/j1"
check_eq "JSON: u64 max stays exact" 18446744073709551615 "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["u64max"])' "$T/j1")"
check_eq "JSON: auto fields, numbers where decimal within 64 bits (signed too), else strings" \
	"1000 18446744073709551615 \"99999999999999999999999\" \"007\" \"registered\" -1 -9223372036854775808 \"-9223372036854775809\" \"-0\" \"-\"" \
	"$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(" ".join(json.dumps(d["auto_" + k]) for k in "num big huge zero_lead str neg neg_min neg_over neg_zero dash".split()))' "$T/j1")"

# Prometheus text format: promtool when Debian's prometheus is installed,
# else a strict line grammar.
prom_check() {
	if command -v promtool >/dev/null 2>&1; then
		promtool check metrics < "$1"
	else
		grep -Evq '^(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*|[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? ([-+]?[0-9.eE+-]+|[+-]Inf|NaN))$' "$1" &&
			return 1
		return 0
	fi
}
./tests/unit prom > "$T/p1"
check "Prometheus writer output passes $(command -v promtool >/dev/null && echo 'promtool check metrics' || echo 'the line grammar')" prom_check "$T/p1"

# ---- the command line ----------------------------------------------------
check_eq "--version prints ../../VERSION" "sacctl $(cat ../../VERSION)" "$($SACCTL --version)"
check_eq "-j --version is JSON" "$(cat ../../VERSION)" "$($SACCTL -j --version | jq -r .version)"
rc "no command" 2 "$SACCTL"
rc "unknown command" 2 "$SACCTL" frobnicate
rc "unknown global option" 2 "$SACCTL" --frob status
rc "unknown command option" 2 "$SACCTL" list --frob
rc "set with one argument" 2 "$SACCTL" set 00:04.0
rc "status with an argument" 2 "$SACCTL" status extra
rc "watch -n 0" 2 "$SACCTL" watch -n 0
rc "watch -n abc" 2 "$SACCTL" watch -n abc
rc "watch interval 0.01" 2 "$SACCTL" watch 0.01
rc "watch interval nan" 2 "$SACCTL" watch nan
rc "trace -d -1" 2 "$SACCTL" trace -d -1
rc "trace -i with -d" 2 "$SACCTL" trace -i x -d 1
rc "stats --json --prometheus" 2 "$SACCTL" -j stats --prometheus
rc "trace -b missing value" 2 "$SACCTL" trace -b
for c in status list show set default rearm reset timing stats watch trace advise; do
	"$SACCTL" "$c" --help > "$T/out" 2>&1
	r=$?
	check "$c --help (exit 0, usage of $c)" \
		sh -c "[ $r -eq 0 ] && grep -q '^Usage: sacctl .*$c' '$T/out'"
done
rc "help show" 0 "$SACCTL" help show
# comp WORDS...: what the bash completion offers for the last word.
comp() {
	bash -c '. ./sacctl.bash-completion; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _sacctl; echo "${COMPREPLY[*]}"' comp "$@"
}
if command -v bash >/dev/null; then
	check_eq "bash completion: adv -> advise" advise "$(comp sacctl adv)"
	check_eq "bash completion: advise --a -> --apply" --apply "$(comp sacctl advise --a)"
	check_eq "bash completion: stats --ou -> --output" --output "$(comp sacctl stats --ou)"
	check_eq "bash completion: save --d -> --dry-run" --dry-run "$(comp sacctl save --d)"
	check_eq "bash completion: tim -> timing" timing "$(comp sacctl tim)"
	check_eq "bash completion: timing '' -> on off" "on off" "$(comp sacctl timing '')"
	check_eq "bash completion: timing on '' -> nothing" "" "$(comp sacctl timing on '')"
	# DEVs come from the live system: the host's loopback interface.
	check_eq "bash completion: advise completes DEVs (interfaces)" lo \
		"$(comp sacctl advise lo | tr ' ' '\n' | grep -x lo)"
else
	skip "bash completion of advise" "no bash"
fi
rc "help nosuch" 2 "$SACCTL" help nosuch

rc "unknown policy" 8 "$SACCTL" set 00:04.0 fast
rc "'default' is no default policy" 8 "$SACCTL" default default
rc "unknown policy, JSON" 8 "$SACCTL" -j set 00:04.0 fast
check "error in JSON mode is a JSON object with error and exit_code" \
	sh -c "jq -e '.error and .exit_code == 8' '$T/out'"
check "error in JSON mode leaves stderr empty" [ ! -s "$T/err" ]
rc "unknown PCI address" 7 "$SACCTL" show 0000:99:00.0
check "unknown device message names the device" grep -q '0000:99:00.0' "$T/err"
rc "virtual interface" 7 "$SACCTL" show lo
rc "PCI device not in the table" 7 "$SACCTL" show 0000:00:09.0
rc "path traversal" 7 "$SACCTL" show ../../..
rc "empty name" 7 "$SACCTL" show ''
rc "very long name" 7 "$SACCTL" show "$(head -c 5000 /dev/zero | tr '\0' x)"
rc "module not loaded" 5 env SACCTL_DEBUGFS="$T/empty" "$SACCTL" status
rc "module not loaded, JSON" 5 env SACCTL_DEBUGFS="$T/empty" "$SACCTL" -j list
check "module-not-loaded error is JSON" jq -e '.exit_code == 5' "$T/out"
rc "debugfs not mounted" 4 env SACCTL_DEBUGFS="$T/nonexistent" "$SACCTL" list
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	rc "not root" 3 env -u SACCTL_DEBUGFS setpriv --reuid=65534 --regid=65534 --clear-groups "$SACCTL" status
else
	skip "not root: exit 3" "needs root and setpriv to drop it"
fi

rc "status" 0 "$SACCTL" status
check "status shows the default policy" grep -q '^default policy  *auto' "$T/out"
check "status shows latency timing on" grep -qx 'latency timing  on' "$T/out"
rc "status --json" 0 "$SACCTL" status --json
check_eq "status --json: stats.allocs" 1500 "$(jq .stats.allocs "$T/out")"
check_eq "status --json: stats.hook" registered "$(jq -r .stats.hook "$T/out")"

rc "list" 0 "$SACCTL" list
check_eq "list: one row per device" 4 "$(grep -c '^0000:' "$T/out")"
check "list: 0000:00:05.0 row (driver, bits, policy override, state, hit rate, dac)" \
	grep -Eq '^0000:00:05.0 +- +32 +dac\* +dac +0.0% +500 +1 ' "$T/out"
check "list: 0000:00:04.0 row (driver sac_edu, 100% hits, 12% of its 32-bit space used, fit 1 GiB)" \
	grep -Eq '^0000:00:04.0 +sac_edu +64 +auto +sac +100.0% +0 +0 +12.0% +1G +never' "$T/out"
check "list: USED32 and FIT32 of a 90% used space (fit 128 pages = 512K)" \
	grep -Eq '^0000:00:07.0 .* +90.0% +512K +never' "$T/out"
check "list: USED32 and FIT32 '-' for an identity domain" \
	grep -Eq '^0000:00:05.0 .* +1 +- +- +' "$T/out"
check "list: USED32 and FIT32 '-' without an iova32 file" \
	grep -Eq '^0000:00:06.0 .* +0 +- +- +never' "$T/out"
check "list: header names USED32 and FIT32" grep -Eq '^DEVICE .* SWITCHES +USED32 +FIT32 +LAST SWITCH$' "$T/out"
rc "-p list" 0 "$SACCTL" -p list
check "list --pretty parses" json_ok "$T/out"
check_eq "list JSON: devices" 4 "$(jq length "$T/out")"
check_eq "list JSON: driver of the nvme" nvme "$(jq -r '.[] | select(.device == "0000:00:06.0") | .driver' "$T/out")"
check_eq "list JSON: iova32.used32_pages of 0000:00:04.0 is a number" 72000 \
	"$(jq '.[] | select(.device == "0000:00:04.0") | .iova32.used32_pages | numbers' "$T/out")"
check_eq "list JSON: identity domain is {available: false, domain, reason}" \
	'false identity "identity domain: DMA is not translated"' \
	"$(jq -r '.[] | select(.device == "0000:00:05.0") | .iova32 | "\(.available) \(.domain) \(.reason | tojson)"' "$T/out")"
check_eq "list JSON: no iova32 file: available false, domain null" "false null" \
	"$(jq -r '.[] | select(.device == "0000:00:06.0") | .iova32 | "\(.available) \(.domain)"' "$T/out")"

rc "show by short address" 0 "$SACCTL" show 00:04.0
check "show names the device and driver" grep -q '^0000:00:04.0 (driver sac_edu)' "$T/out"
check "show has the latency histogram" grep -Eq '512 \.\. +1023 ns +1000 #' "$T/out"
rc "show nvme0n1 -j" 0 "$SACCTL" show nvme0n1 -j
check_eq "show nvme0n1 resolves to the controller" 0000:00:06.0 "$(jq -r .device "$T/out")"
check_eq "show JSON: 32 latency buckets" 32 "$(jq '.latency | length' "$T/out")"
check_eq "show JSON: last bucket's upper bound is u64 max" 18446744073709551615 "$(python3 -c 'import sys,json; print(json.load(open(sys.argv[1]))["latency"][31]["hi_ns"])' "$T/out")"
rc "show eth0" 0 "$SACCTL" show eth0
check "show eth0 resolves to 0000:00:07.0" grep -q '^0000:00:07.0 (driver e1000e)' "$T/out"

# show: the iova32 section
rc "show 00:04.0 (iova32 available)" 0 "$SACCTL" show 00:04.0
check "show: domain, group and the devices sharing it" \
	grep -Eq '^    domain +dma-fq, IOMMU group 3, shared with 0000:00:1f.2,0000:00:1f.3 \(3 devices' "$T/out"
check "show: 32-bit space in pages and MiB" grep -Eq '^    32-bit space +1048575 pages +4096.0 MiB +\(pfns 1\.\.1048575, 4096-byte pages\)' "$T/out"
check "show: reserved pages, MiB, % of the space" grep -Eq '^    reserved +448575 pages +1752.2 MiB +42.8% of the space' "$T/out"
check "show: used pages, MiB, % of the allocatable, IOVAs" \
	grep -Eq '^    used +72000 pages +281.2 MiB +12.0% of the 600000 allocatable, in 900 IOVAs' "$T/out"
check "show: free pages and gaps" grep -Eq '^    free +528000 pages +2062.5 MiB +88.0%, in 3 gaps' "$T/out"
check "show: largest gap and fit" grep -Eq '^    largest gap +520000 pages, largest fit 262144 pages \(1024.0 MiB\)' "$T/out"
check "show: max32_alloc_size with no failing size" grep -q 'max32_alloc_size 1048576 pages (no 32-bit size known to fail)' "$T/out"
check_eq "show: gap histogram, non-empty buckets largest first" \
	"gaps          262144-524287 pages: 1, 512-1023 pages: 1, 1-1 pages: 1" \
	"$(grep -E '^    gaps ' "$T/out" | sed 's/^    //')"
check "show: cached IOVAs (rcache 1)" grep -Eq '^    cached +12 IOVAs, 12 pages below 4 GiB.*40 IOVAs, 50 pages in all' "$T/out"
check "show: one lock hold is one snapshot" grep -q '912 IOVAs visited, 1 lock hold (one snapshot)' "$T/out"
check "show: no truncation warning" sh -c "! grep -q truncated '$T/out'"
rc "show 00:07.0 (rcache 0, truncated)" 0 "$SACCTL" show 00:07.0
check "show: rcache 0 says the caches were not read" grep -Eq '^    cached +- \(rcache 0' "$T/out"
check "show: truncated warning" grep -q 'WARNING: truncated' "$T/out"
check "show: max32_alloc_size hint" grep -q 'max32_alloc_size 256 pages: 32-bit requests that large or larger fail without a search' "$T/out"
check "show: not shared" grep -q 'IOMMU group 3, not shared' "$T/out"
check_eq "show: gap histogram of 00:07.0" "gaps          128-255 pages: 3, 2-3 pages: 2" \
	"$(grep -E '^    gaps ' "$T/out" | sed 's/^    //')"
rc "show 00:05.0 (identity domain)" 0 "$SACCTL" show 00:05.0
check "show: not available, with the domain and the reason" \
	grep -q '^  iova32: not available (domain identity): identity domain: DMA is not translated$' "$T/out"
rc "show 00:06.0 (no iova32 file: no failure)" 0 "$SACCTL" show 00:06.0
check "show: a module without the file" grep -q '^  iova32: not available: this iommu_sac has no iova32 file$' "$T/out"
check "show: latency still shown after it" grep -q '^  allocation latency:' "$T/out"
rc "show --json 00:04.0" 0 "$SACCTL" show --json 00:04.0
check "show --json parses" json_ok "$T/out"
check_eq "show JSON: every iova32 key of the file, the histogram as one array, and two derived" \
	"$(for k in $IOVA32_KEYS gap32_hist= allocatable32_pages= used32_pct=; do echo "${k%%=*}"; done | LC_ALL=C sort | tr '\n' ' ')" \
	"$(jq -r '.iova32 | keys[]' "$T/out" | LC_ALL=C sort | tr '\n' ' ')"
check_eq "show JSON: numbers are numbers" "number number number" \
	"$(jq -r '.iova32 | [.space32_pages, .largest_fit32_pages, .max32_alloc_size] | map(type) | join(" ")' "$T/out")"
check_eq "show JSON: gap32_hist has 21 buckets summing to gaps32" "21 3 3" \
	"$(jq -r '.iova32 | "\(.gap32_hist | length) \(.gap32_hist | add) \(.gaps32)"' "$T/out")"
check_eq "show JSON: shared_with" '["0000:00:1f.2","0000:00:1f.3"]' "$(jq -c .iova32.shared_with "$T/out")"
check_eq "show JSON: flags are booleans (available, rcache, truncated)" "true true false" \
	"$(jq -r '.iova32 | "\(.available) \(.rcache) \(.truncated)"' "$T/out")"
check_eq "show JSON: used32_pct of the allocatable space" 12 "$(jq .iova32.used32_pct "$T/out")"
rc "show -p 00:05.0" 0 "$SACCTL" show -p 00:05.0
check "show --pretty (identity) parses" json_ok "$T/out"
check_eq "show JSON: identity domain is exactly available, domain, reason" \
	'{"available":false,"domain":"identity","reason":"identity domain: DMA is not translated"}' "$(jq -c .iova32 "$T/out")"

rc "set 00:04.0 dac" 0 "$SACCTL" set 00:04.0 dac
check_eq "set wrote the device's policy file" dac "$(cat "$D/devices/0000:00:04.0/policy")"
rc "set nvme0n1 default" 0 "$SACCTL" set /dev/nvme0n1 default
check_eq "set wrote the nvme's policy file" default "$(cat "$D/devices/0000:00:06.0/policy")"
rc "default sac" 0 "$SACCTL" -j default sac
check_eq "default wrote default_policy" sac "$(cat "$D/default_policy")"
check "default --json parses" json_ok "$T/out"
rc "rearm all" 0 "$SACCTL" rearm all
check_eq "rearm all wrote 'all'" all "$(cat "$D/rearm")"
rc "rearm eth0" 0 "$SACCTL" rearm eth0
check_eq "rearm eth0 wrote its PCI name" 0000:00:07.0 "$(cat "$D/rearm")"
rc "rearm unknown" 7 "$SACCTL" rearm eth9
rc "reset" 0 "$SACCTL" reset
check_eq "reset wrote 1 to reset_stats" 1 "$(cat "$D/reset_stats")"

rc "stats" 0 "$SACCTL" stats
check "stats text has a total row" grep -Eq '^total +1500 +1200 +1000 ' "$T/out"
rc "stats --json" 0 "$SACCTL" stats --json
check "stats --json parses" json_ok "$T/out"
check_eq "stats --json: allocations of 0000:00:04.0" 1000 \
	"$(jq '.devices[] | select(.device == "0000:00:04.0") | .allocs' "$T/out")"
check_eq "stats --json: hit rate of 0000:00:05.0" 0 \
	"$(jq '.devices[] | select(.device == "0000:00:05.0") | .hit32_rate' "$T/out")"
check_eq "stats --json: null hit rate without tries" null \
	"$(jq '.devices[] | select(.device == "0000:00:06.0") | .hit32_rate' "$T/out")"
rc "stats -j DEV" 0 "$SACCTL" stats -j eth0
check_eq "stats DEV: only that device" 0000:00:07.0 "$(jq -r '[.devices[].device] | join(",")' "$T/out")"
rc "stats --prometheus" 0 "$SACCTL" stats --prometheus
cp "$T/out" "$T/prom"
check "stats --prometheus passes $(command -v promtool >/dev/null && echo 'promtool check metrics' || echo 'the line grammar')" prom_check "$T/prom"
check "prometheus: allocations counter of 0000:00:04.0" \
	grep -qx 'iommu_sac_allocations_total{device="0000:00:04.0"} 1000' "$T/prom"
check "prometheus: histogram +Inf bucket equals _count" \
	sh -c "grep -q 'iommu_sac_allocation_latency_seconds_bucket{device=\"0000:00:04.0\",le=\"+Inf\"} 1000' '$T/prom' &&
	       grep -q 'iommu_sac_allocation_latency_seconds_count{device=\"0000:00:04.0\"} 1000' '$T/prom'"

# --output: the file is replaced whole (rename), mode 0644, nothing on
# stdout, no temporary file left; a failure leaves the old file as it was.
mkdir -p "$T/tf"
echo "old" > "$T/tf/iommu_sac.prom"
rc "stats --prometheus --output FILE" 0 "$SACCTL" stats --prometheus --output "$T/tf/iommu_sac.prom"
check_eq "--output: nothing on stdout" "" "$(cat "$T/out")"
check "--output: the file holds what stdout held" cmp -s "$T/prom" "$T/tf/iommu_sac.prom"
check_eq "--output: mode 0644" 644 "$(stat -c %a "$T/tf/iommu_sac.prom")"
check_eq "--output: no temporary file left" "iommu_sac.prom" "$(ls -A "$T/tf")"
rc "stats -j -o FILE" 0 "$SACCTL" -j stats -o "$T/tf/s.json"
check "stats -j -o: the file is one JSON document" json_ok "$T/tf/s.json"
rc "stats --output into a missing folder" 1 "$SACCTL" stats -P --output "$T/nosuch/x.prom"
check "--output error names the file" grep -q "$T/nosuch" "$T/err"
rc "stats --output ''" 2 "$SACCTL" stats -P --output ""
mkdir -p "$T/tf/sub.prom"
rc "stats --output onto a folder" 2 "$SACCTL" stats -P --output "$T/tf/sub.prom"
check_eq "failed --output runs left no temporary file" "iommu_sac.prom s.json sub.prom" "$(ls -A "$T/tf" | sort | tr '\n' ' ' | sed 's/ $//')"
check "--output: the previous file is intact after the failures" cmp -s "$T/prom" "$T/tf/iommu_sac.prom"

rc "watch -n 2 0.1 (piped)" 0 "$SACCTL" watch -n 2 -a 0.1
check_eq "watch piped: a header and two interval marks" "1 2" \
	"$(grep -c '^DEVICE' "$T/out") $(grep -c '^-- ' "$T/out")"
rc "watch -j -n 2 0.1" 0 "$SACCTL" -j watch -n 2 -a 0.1
check_eq "watch --json: one JSON document per interval" 2 "$(jq -s length "$T/out")"

rc "trace -i missing file" 1 "$SACCTL" trace -i "$T/nosuch.dat"
head -c 4096 /dev/urandom > "$T/garbage.dat"
rc "trace -i garbage" 1 "$SACCTL" trace -i "$T/garbage.dat"
rc "trace -i empty file" 1 "$SACCTL" trace -i /dev/null
if [ -w /dev/full ]; then
	"$SACCTL" list > /dev/full 2>/dev/null
	r=$?
	check "list to a full disk fails (exit $r)" [ "$r" -ne 0 ]
fi


# ---- advise ----------------------------------------------------------------
# A tree of its own: one device per rule and per corner of a rule, and a
# kernel log with Intel (6.1 and 7.2 forms) and AMD fault lines.
A=$T/adv
STATE_KEYS="state=sac policy=default effective_policy=auto switches=0 last_switch_ns=0
last_switch_size=0 last_switch_by=none dma_limit_bits=64 pci=yes native_bit=none layout=verified"
STATS_KEYS="allocs=0 sac_tries=0 sac_hits=0 sac_misses=0 dac_allocs=0 failed=0
dma32_refusals=0 switches=0 kernel_calls=0"
# advdev NAME STATE STATS IOVA32: overrides of each file; IOVA32 is
# "missing" (a module without the file), "bad" (not the format), or the
# overrides of an available view, or "available=0 ...".
advdev() {
	dd=$A/iommu_sac/devices/$1
	mkdir -p "$dd"
	kvfile "$dd/state" "$(echo $STATE_KEYS)" "$2"
	kvfile "$dd/stats" "$(echo $STATS_KEYS)" "$3"
	awk '$1 == "policy" { print $2 }' "$dd/state" > "$dd/policy"
	b=0
	while [ $b -lt 32 ]; do echo "$b $b 0"; b=$((b + 1)); done > "$dd/latency"
	case $4 in
	missing) ;;
	bad) printf 'used32_pages 5\navailable 1\n' > "$dd/iova32" ;;
	*) iova32 "$dd/iova32" "$4" "${5-}" ;;
	esac
}
mkadv() {
	rm -rf "$A"
	mkdir -p "$A/iommu_sac/devices"
	echo 0.1.0 > "$A/iommu_sac/version"
	advdev 0000:00:02.0 "" "allocs=5000 sac_tries=5000 sac_hits=5000" \
		"available=0 domain=identity reason=identity~domain:~DMA~is~not~translated"
	advdev 0000:00:03.0 "" "allocs=5000 sac_tries=5000 sac_hits=5000" missing
	advdev 0000:00:04.0 "policy=sac effective_policy=sac" \
		"allocs=4096 sac_tries=4096 sac_hits=1160 sac_misses=2936 dac_allocs=2936" \
		"used32_pages=593920 free32_pages=6080 largest_gap32_pages=6000 largest_fit32_pages=4096 max32_alloc_size=512" "12:1,6:1,0:1"
	advdev 0000:00:05.0 "state=dac switches=1 last_switch_ns=812400000000 last_switch_size=65536 last_switch_by=alloc" \
		"allocs=5000 sac_tries=3001 sac_hits=3000 sac_misses=1 dac_allocs=2000 switches=1" \
		"used32_pages=300000 free32_pages=300000"
	advdev 0000:00:06.0 "" "allocs=10 sac_tries=10 sac_hits=10" ""
	advdev 0000:00:07.0 "" "allocs=52000 sac_tries=52000 sac_hits=52000" ""
	advdev 0000:00:08.0 "state=dac switches=3 last_switch_ns=900000000000 last_switch_size=2097152 last_switch_by=alloc" \
		"allocs=5000 sac_tries=3 sac_misses=3 dac_allocs=5000 switches=3" \
		"used32_pages=360000 free32_pages=240000 largest_fit32_pages=64"
	advdev 0000:00:09.0 "policy=sac effective_policy=sac" \
		"allocs=2000 sac_tries=2000 sac_hits=1700 sac_misses=300 dac_allocs=300" \
		"used32_pages=270000 free32_pages=330000 largest_fit32_pages=64"
	advdev 0000:00:0a.0 "state=dac switches=1 last_switch_ns=900000000000 last_switch_size=4096 last_switch_by=alloc" \
		"allocs=5000 sac_tries=10 sac_hits=9 sac_misses=1 dac_allocs=4991 switches=1" ""
	advdev 0000:00:0b.0 "policy=dac effective_policy=dac" "allocs=3000 dac_allocs=3000" ""
	advdev 0000:00:0c.0 "policy=dac effective_policy=dac" "allocs=3000 dac_allocs=3000" ""
	advdev 0000:05:00.0 "policy=dac effective_policy=dac" "allocs=3000 dac_allocs=3000" ""
	advdev 0000:06:00.0 "policy=sac effective_policy=sac" \
		"allocs=3000 sac_tries=3000 sac_hits=2990 sac_misses=10 dac_allocs=10" ""
	advdev 0000:00:0d.0 "policy=dma32 effective_policy=dma32" \
		"allocs=3000 sac_tries=3000 sac_hits=3000" ""
	advdev 0000:00:0e.0 "" "allocs=5000 sac_tries=5000 sac_hits=5000" bad
	advdev 0000:00:0f.0 "policy=dac effective_policy=dac dma_limit_bits=32" \
		"allocs=3000 dac_allocs=3000" ""
	advdev 0000:00:10.0 "policy=kernel effective_policy=kernel" "kernel_calls=500" ""
}
K=$T/kmsg
cat > "$K" <<'EOF2'
<6>[    0.000000] Linux version 6.1.0-test (fake)
<3>[  700.000000] DMAR: DRHD: handling fault status reg 2
<3>[  700.000100] DMAR: [DMA Read NO_PASID] Request device [00:05.0] fault addr 0xfffff000 [fault reason 0x06] PTE Read access is not set
[  807.000000] DMAR: [DMA Read NO_PASID] Request device [00:05.0] fault addr 0xffffe000 [fault reason 0x06] PTE Read access is not set
<3>[  813.000000] DMAR: [DMA Write NO_PASID] Request device [00:05.0] fault addr 0xffffd000 [fault reason 0x05] PTE Write access is not set
[  815.200000] DMAR: [DMA Read PASID 0x1] Request device [00:05.0] fault addr 0x1000 [fault reason 0x06] PTE Read access is not set
[  100.000000] DMAR: [DMA Read NO_PASID] Request device [00:0a.0] fault addr 0x8000 [fault reason 0x06] PTE Read access is not set
DMAR: [DMA Read NO_PASID] Request device [00:0a.0] fault addr 0x9000 [fault reason 0x06] PTE Read access is not set
[  820.000000] DMAR: [DMA Read NO_PASID] Request device [0000:00:0b.0] fault addr 0x2000 [fault reason 0x06] PTE Read access is not set
[  830.000000] DMAR: [INTR-REMAP] Request device [00:0c.0] fault index 0x12 [fault reason 0x25] Present field in the IRTE entry is clear
[  840.000000] nvme 0000:05:00.0: AMD-Vi: Event logged [IO_PAGE_FAULT domain=0x000b address=0xfffff000 flags=0x0020]
[  840.100000] nvme 0000:05:00.0: AMD-Vi: Event logged [IO_PAGE_FAULT domain=0x000b address=0xffffe000 flags=0x0020]
[  841.000000] AMD-Vi: Event logged [IO_PAGE_FAULT device=06:00.0 domain=0x000c address=0x3000 flags=0x0000]
[  850.000000] DMAR: [DMA Read NO_PASID] Request device [00:0d.0] fault addr 0x4000 [fault reason 0x06] PTE Read access is not set
[  851.000000] DMAR: [DMA Write NO_PASID] Request device [00:0f.0] fault addr 0x5000 [fault reason 0x05] PTE Write access is not set
EOF2
# Every device's "DEVICE RULE ADVICE" (JSON; null: no change).
ADV_RULES="0000:00:02.0 unavailable null
0000:00:03.0 unavailable null
0000:00:04.0 pressure dac
0000:00:05.0 fault dma32
0000:00:06.0 idle null
0000:00:07.0 ok null
0000:00:08.0 pressure dac
0000:00:09.0 wasted auto
0000:00:0a.0 ok null
0000:00:0b.0 fault dma32
0000:00:0c.0 ok null
0000:00:0d.0 ok null
0000:00:0e.0 unavailable null
0000:00:0f.0 ok null
0000:00:10.0 idle null
0000:05:00.0 fault dma32
0000:06:00.0 fault dma32"
ADV_APPLIED="0000:00:04.0 dac
0000:00:05.0 dma32
0000:00:08.0 dac
0000:00:09.0 auto
0000:00:0b.0 dma32
0000:05:00.0 dma32
0000:06:00.0 dma32"
policies() { for f in "$A"/iommu_sac/devices/*/policy; do echo "$(basename "$(dirname "$f")") $(cat "$f")"; done; }
adv() { env SACCTL_DEBUGFS="$A" SACCTL_KMSG="$K" "$SACCTL" "$@"; }
# row DEV EFFECTIVE ADVICE REASON_ERE: one line of the plain table.
row() {
	check_eq "advise: $1 policy and advice" "$2 $3" "$(awk -v d="$1" '$1 == d { print $2, $3 }' "$T/out")"
	check "advise: $1 reason /$4/" grep -Eq "^$1 +$2 +[a-z0-9-]+ +$4" "$T/out"
}

mkadv
policies > "$T/pol0"
rc "advise" 0 adv advise
cp "$T/out" "$T/advise.txt"
check_eq "advise: header" "DEVICE POLICY ADVICE REASON" "$(head -n1 "$T/out" | awk '{ print $1, $2, $3, $4 }')"
check_eq "advise: one line per device" 17 "$(grep -c '^0000:' "$T/out")"
check "advise: the log was readable, stderr empty" [ ! -s "$T/err" ]
row 0000:00:02.0 auto - 'no 32-bit IOVA view: identity domain: DMA is not translated$'
row 0000:00:03.0 auto - 'no 32-bit IOVA view: this iommu_sac has no iova32 file$'
row 0000:00:04.0 sac dac '32-bit space 99.0% used \(largest free run 6000 pages, largest fit 4096\); 2936 of 4096 32-bit tries missed \(71.7%\): '
row 0000:00:05.0 auto dma32 '2 IOMMU faults logged since it moved above 4 GiB at 812.4 s \(last at 815.2 s, addr 0x1000\): its DMA may drop high address bits'
row 0000:00:06.0 auto - 'idle: 10 allocations since the last reset \(fewer than 1000'
row 0000:00:07.0 auto - '32-bit space 12.0% used, 0 of 52000 32-bit tries missed \(0.0%\): nothing to change$'
row 0000:00:08.0 auto dac '32-bit space 60.0% used, but its largest fit, 64 pages, is below the 512 pages of the last failed 32-bit request; policy auto switched 3 times'
row 0000:00:09.0 sac auto 'policy sac: 300 of 2000 32-bit tries missed \(15.0%\) with the 32-bit space only 45.0% used \(largest fit 64 pages\)'
row 0000:00:0a.0 auto - '32-bit space 12.0% used, 1 of 10 32-bit tries missed'
row 0000:00:0b.0 dac dma32 '1 IOMMU fault logged while under policy dac with 3000 allocations above 4 GiB \(last at 820.0 s, addr 0x2000\)'
row 0000:00:0c.0 dac - 'policy dac: 3000 allocations above 4 GiB without an IOMMU fault logged, 32-bit space 12.0% used: nothing to change$'
row 0000:00:0d.0 dma32 - 'policy dma32: 0 of 3000 allocations refused'
row 0000:00:0e.0 auto - 'no 32-bit IOVA view: iova32 is not in the documented format$'
row 0000:00:0f.0 dac - 'policy dac: 3000 allocations above 4 GiB, 32-bit space'
row 0000:00:10.0 kernel - 'idle: policy kernel, iommu_sac serves none of its allocations \(500 left to the kernel\)$'
row 0000:05:00.0 dac dma32 '2 IOMMU faults logged while under policy dac with 3000 allocations above 4 GiB \(last at 840.1 s, addr 0xffffe000\)'
row 0000:06:00.0 sac dma32 '1 IOMMU fault logged while under policy sac with 10 allocations above 4 GiB \(last at 841.0 s, addr 0x3000\)'
check "advise: no 'applied' line without --apply" sh -c "! grep -q '^applied' '$T/out'"
check_lines "advise without --apply changed no policy file" "$(cat "$T/pol0")" "$(policies)"

rc "advise --json" 0 adv advise --json
check "advise --json parses (python3, jq)" json_ok "$T/out"
check_lines "advise --json: rule and advice of every device" "$ADV_RULES" \
	"$(jq -r '.devices[] | "\(.device) \(.rule) \(.advice)"' "$T/out")"
check_eq "advise --json: device keys" "advice device effective faults policy reason rule state" \
	"$(jq -r '.devices[0] | keys | join(" ")' "$T/out")"
check_eq "advise --json: faults counted after the switch only (05.0), none before it (0a.0), no INTR-REMAP (0c.0)" "2 0 0" \
	"$(jq -r '[.devices[] | select(.device == "0000:00:05.0" or .device == "0000:00:0a.0" or .device == "0000:00:0c.0") | .faults] | join(" ")' "$T/out")"
check_eq "advise --json: faults null where not looked at (idle, dma32, 32-bit limit)" "null null null" \
	"$(jq -r '[.devices[] | select(.device == "0000:00:06.0" or .device == "0000:00:0d.0" or .device == "0000:00:0f.0") | .faults] | map(tostring) | join(" ")' "$T/out")"
check_eq "advise --json: policy is the override, effective the policy in force" "default auto" \
	"$(jq -r '.devices[] | select(.device == "0000:00:05.0") | "\(.policy) \(.effective)"' "$T/out")"
check_eq "advise --json: the reason is the table's" \
	"$(awk '$1 == "0000:00:04.0" { sub(/^[^ ]+ +[^ ]+ +[^ ]+ +/, ""); print }' "$T/advise.txt")" \
	"$(jq -r '.devices[] | select(.device == "0000:00:04.0") | .reason' "$T/out")"
check_eq "advise --json: nothing applied, log read" '[] read' "$(jq -rc '"\(.applied) \(.kernel_log)"' "$T/out")"
check_lines "advise --json changed no policy file" "$(cat "$T/pol0")" "$(policies)"

rc "advise --apply" 0 adv advise --apply
check_lines "advise --apply: one 'applied DEV POLICY' line per change" "$ADV_APPLIED" \
	"$(awk '$1 == "applied" { print $2, $3 }' "$T/out")"
check_eq "advise --apply: the table comes first" 18 "$(grep -n '^applied' "$T/out" | head -n1 | cut -d: -f1 | awk '{ print $1 - 1 }')"
check_lines "advise --apply wrote exactly the advised policy files" \
	"$(printf '%s\n%s\n' "$ADV_APPLIED" "$(cat "$T/pol0")" | sort -k1,1 -u)" "$(policies)"
mkadv
rc "advise -j --apply DEV (one device)" 0 adv -j advise --apply 00:09.0
check_eq "advise -j --apply DEV: applied" '[{"device":"0000:00:09.0","policy":"auto"}]' "$(jq -c .applied "$T/out")"
check_eq "advise -j --apply DEV: only that device listed" 0000:00:09.0 "$(jq -r '[.devices[].device] | join(",")' "$T/out")"
check_lines "advise -j --apply DEV wrote only its policy file" \
	"$(sed 's/^0000:00:09.0 sac$/0000:00:09.0 auto/' "$T/pol0")" "$(policies)"
mkadv
rc "advise -A on a device with no advice" 0 adv advise -A 00:07.0
check_eq "advise -A: nothing to apply" "nothing to apply" "$(tail -n1 "$T/out")"
check_lines "advise -A with no advice changed nothing" "$(cat "$T/pol0")" "$(policies)"
rc "advise a device named twice (once by short address)" 0 adv advise 00:04.0 0000:00:04.0
check_eq "advise: a device named twice is one line" 1 "$(grep -c '^0000:00:04.0' "$T/out")"
rc "advise --apply with an unknown device" 7 adv advise --apply 00:04.0 0000:7f:00.0
check "advise: the unknown device is named" grep -q '0000:7f:00.0' "$T/err"
check_lines "advise --apply with an unknown device changed nothing" "$(cat "$T/pol0")" "$(policies)"
rc "advise --apply --frob" 2 adv advise --apply --frob
check_lines "advise with an unknown option changed nothing" "$(cat "$T/pol0")" "$(policies)"
rc "advise --apply=yes (takes no value)" 2 adv advise --apply=yes
rc "advise without the module" 5 env SACCTL_DEBUGFS="$T/empty" SACCTL_KMSG="$K" "$SACCTL" advise --apply
rm "$A/iommu_sac/devices/0000:00:08.0/policy"
mkdir "$A/iommu_sac/devices/0000:00:08.0/policy"
rc "advise --apply with a policy file that cannot be written" 1 adv advise --apply
check "advise --apply: the write error names the file" grep -q '0000:00:08.0/policy' "$T/err"
check_eq "advise --apply: changes before the failing one were applied and reported" \
	"0000:00:04.0 dac 0000:00:05.0 dma32" "$(awk '$1 == "applied" { printf "%s%s %s", s, $2, $3; s = " " }' "$T/out")"
rc "advise -j --apply with a policy file that cannot be written" 1 adv -j advise --apply
check_eq "advise -j --apply: the error is JSON" 1 "$(jq .exit_code "$T/out")"
mkadv
rc "advise with an unreadable kernel log" 0 env SACCTL_DEBUGFS="$A" SACCTL_KMSG="$T/nosuch" "$SACCTL" advise
check_eq "advise: an unreadable log is said once on stderr" 1 "$(grep -c 'cannot read the kernel log' "$T/err")"
check_eq "advise: without the log no fault advice (0000:00:05.0)" "auto -" \
	"$(awk '$1 == "0000:00:05.0" { print $2, $3 }' "$T/out")"
check_eq "advise: other rules still apply without the log" "dac auto" \
	"$(awk '$1 == "0000:00:04.0" { a = $3 } $1 == "0000:00:09.0" { b = $3 } END { print a, b }' "$T/out")"
rc "advise -j with an unreadable kernel log" 0 env SACCTL_DEBUGFS="$A" SACCTL_KMSG="$T/nosuch" "$SACCTL" -j advise
check "advise -j: kernel_log says unreadable" jq -e '.kernel_log | startswith("unreadable")' "$T/out"
check_eq "advise -j: faults null without the log" null "$(jq '.devices[] | select(.device == "0000:00:05.0") | .faults' "$T/out")"

# ---- save -------------------------------------------------------------------
# The fake module's parameters and the devices' PCI IDs.
P=$S/module/iommu_sac/parameters
mkdir -p "$P"
echo "" > "$P/devices"
echo 1048576 > "$P/iova32_max_iovas"
for d in 0000:00:04.0 0000:00:05.0 0000:00:06.0; do
	echo 0x1234 > "$pcid/$d/vendor"
	echo 0x11e8 > "$pcid/$d/device"
done
echo 0x8086 > "$pcid/0000:00:07.0/vendor"
echo 0x10d3 > "$pcid/0000:00:07.0/device"
C=$T/modprobe.d/iommu-sac.conf
mkdir -p "$T/modprobe.d"
echo auto > "$D/default_policy"	# earlier tests wrote other policies
opts() { grep -v '^#' "$1"; }
rc "save --file" 0 "$SACCTL" save --file "$C"
check_eq "save: the options line (default, the one override)" \
	"options iommu_sac default_policy=auto devices=0000:00:05.0=dac" "$(opts "$C")"
check "save: a header says it was generated, by what and when" \
	grep -Eq '^# .*generated by sacctl save on [0-9]{4}-[0-9]{2}-[0-9]{2} ' "$C"
check_eq "save: mode 0644, no temporary file left" "644 iommu-sac.conf" \
	"$(stat -c %a "$C") $(ls -A "$T/modprobe.d")"
check "save: says where it saved" grep -q "saved the running policies to $C" "$T/out"
echo dac > "$D/default_policy"
echo "15b3:101b=dac,8086:10D3=sac,0000:00:1f.0=dma32,0000:00:05.0=sac" > "$P/devices"
echo 4096 > "$P/iova32_max_iovas"
sed -i 's/^policy default$/policy sac/' "$D/devices/0000:00:07.0/state"
rc "save --dry-run" 0 "$SACCTL" save --dry-run --file "$C"
check_eq "save --dry-run: the old options line removed" \
	"-options iommu_sac default_policy=auto devices=0000:00:05.0=dac" "$(grep '^-options' "$T/out")"
check_eq "save --dry-run: ID rules, absent devices' rules, overrides, iova32_max_iovas" \
	"+options iommu_sac default_policy=dac devices=15b3:101b=dac,8086:10D3=sac,0000:00:1f.0=dma32,0000:00:05.0=dac,0000:00:07.0=sac iova32_max_iovas=4096" \
	"$(grep '^+options' "$T/out")"
check "save --dry-run: a unified diff header" sh -c "head -n 3 '$T/out' | grep -q '^@@ -1,5 +1,5 @@'"
check_eq "save --dry-run wrote nothing" \
	"options iommu_sac default_policy=auto devices=0000:00:05.0=dac" "$(opts "$C")"
rc "save --dry-run against no file" 0 "$SACCTL" save -n --file "$T/modprobe.d/none.conf"
check_eq "save --dry-run against no file: all lines added" 5 "$(grep -c '^+[^+]' "$T/out")"
# A device that follows the default while an ID rule names it cannot be
# written in devices=: refused, the file in place stays.
sed -i 's/^policy sac$/policy default/' "$D/devices/0000:00:07.0/state"
cp "$C" "$T/conf.before"
rc "save with a default-following device under an ID rule" 1 "$SACCTL" save --file "$C"
check "save: the refusal names the device and the rule's policy" \
	grep -q "0000:00:07.0 follows the default policy, but the load-time rule for its ID gives it 'sac'" "$T/err"
check "save: refused, the file in place is unchanged" cmp -s "$T/conf.before" "$C"
rc "save with an argument" 2 "$SACCTL" save extra
rc "save --file ''" 2 "$SACCTL" save --file ""
rc "save -j --dry-run" 2 "$SACCTL" -j save --dry-run --file "$C"
rc "save into a missing folder" 1 "$SACCTL" save --file "$T/nosuch/iommu-sac.conf"
echo auto > "$D/default_policy"
echo "" > "$P/devices"
echo 1048576 > "$P/iova32_max_iovas"

# ---- the sysfs control plane (what lockdown leaves open) -------------------
# SACCTL_CONTROL=sysfs takes the path sacctl takes when debugfs refuses to
# open its writable files: the module parameters.
echo auto > "$P/default_policy"
echo "8086:10d3=sac,0000:00:05.0=dac" > "$P/devices"
: > "$P/rearm"
: > "$P/reset_stats"
cp "$D/default_policy" "$T/dbg.default"
sy() { SACCTL_CONTROL=sysfs "$SACCTL" "$@"; }
rc "sysfs: default dac" 0 sy default dac
check_eq "sysfs: default_policy parameter written" dac "$(cat "$P/default_policy")"
check "sysfs: the line says which plane" grep -q "default policy dac (was auto) (through sysfs: SACCTL_CONTROL=sysfs)" "$T/out"
check "sysfs: debugfs' default_policy untouched" cmp -s "$T/dbg.default" "$D/default_policy"
rc "sysfs: set 0000:00:04.0 dma32" 0 sy set 00:04.0 dma32
check_eq "sysfs: the device's rule appended to the rule set" \
	"8086:10d3=sac,0000:00:05.0=dac,0000:00:04.0=dma32" "$(cat "$P/devices")"
rc "sysfs: set 0000:00:05.0 sac" 0 sy set 0000:00:05.0 sac
check_eq "sysfs: the device's old rule replaced" \
	"8086:10d3=sac,0000:00:04.0=dma32,0000:00:05.0=sac" "$(cat "$P/devices")"
rc "sysfs: set 0000:00:04.0 default" 0 sy set 0000:00:04.0 default
check_eq "sysfs: 'default' drops the device's rule" \
	"8086:10d3=sac,0000:00:05.0=sac" "$(cat "$P/devices")"
rc "sysfs: set eth0 default under its ID rule" 1 sy set eth0 default
check "sysfs: the refusal names the ID rule" grep -q "8086:10d3=sac gives every 8086:10d3 device a policy" "$T/err"
check_eq "sysfs: refused, the rule set unchanged" "8086:10d3=sac,0000:00:05.0=sac" "$(cat "$P/devices")"
rc "sysfs: -j set eth0 dac" 0 sy -j set eth0 dac
check_eq "sysfs: JSON says via sysfs" sysfs "$(jq -r .via "$T/out")"
rc "sysfs: rearm eth0" 0 sy rearm eth0
check_eq "sysfs: rearm parameter written" 0000:00:07.0 "$(cat "$P/rearm")"
rc "sysfs: reset" 0 sy reset
check_eq "sysfs: reset_stats parameter written" 1 "$(cat "$P/reset_stats")"
rm -f "$P/rearm"
rc "sysfs: a module without the parameter" 5 sy rearm all
check "sysfs: the error says so" grep -q "parameters/rearm" "$T/err"
rc "debugfs plane: -j default auto" 0 env SACCTL_CONTROL=debugfs "$SACCTL" -j default auto
check_eq "debugfs plane: JSON says via debugfs" debugfs "$(jq -r .via "$T/out")"
echo auto > "$D/default_policy"

# ---- latency timing ----------------------------------------------------------
# The switch (debugfs timing, the parameter timing: "0" or "1") and the
# effective state (the global stats' "timing on|off": the switch or the
# sac_alloc trace event). The fake files do not follow each other: each
# check sets what it needs.
# tstate SWITCH EFFECTIVE: the fake module's switch and stats line.
tstate() {
	echo "$1" > "$D/timing"
	sed -i "s/^timing .*/timing $2/" "$D/stats"
}
echo 0 > "$P/timing"
tstate 0 off
rc "timing" 0 "$SACCTL" timing
check_eq "timing: off by default, the switch off, the trace event not enabled" \
	"timing: off (switch off; the sac_alloc trace event is not enabled)" "$(cat "$T/out")"
rc "timing -j" 0 "$SACCTL" timing -j
check_eq "timing -j: timing, switch, sac_alloc_event" '{"timing":"off","switch":"off","sac_alloc_event":false}' "$(jq -c . "$T/out")"
tstate 0 on
rc "timing (switch off, trace event on)" 0 "$SACCTL" timing
check_eq "timing: on while the trace event is enabled" \
	"timing: on (switch off; on while the sac_alloc trace event is enabled)" "$(cat "$T/out")"
check_eq "timing -j: sac_alloc_event true" true "$("$SACCTL" -j timing | jq .sac_alloc_event)"
tstate 1 on
rc "timing (switch on)" 0 "$SACCTL" timing
check_eq "timing: on by the switch" "timing: on (switch on)" "$(cat "$T/out")"
check_eq "timing -j: with the switch on the event cannot be told" null "$("$SACCTL" -j timing | jq .sac_alloc_event)"
tstate 0 off
rc "timing on" 0 "$SACCTL" timing on
check_eq "timing on: 1 written to debugfs timing" 1 "$(cat "$D/timing")"
check_eq "timing on: the parameter untouched" 0 "$(cat "$P/timing")"
check_eq "timing on: the line (the fake's stats stay off)" "timing: off (switch on, was off)" "$(cat "$T/out")"
sed -i "s/^timing .*/timing on/" "$D/stats"
rc "timing off" 0 "$SACCTL" -j timing off
check_eq "timing off: 0 written to debugfs timing" 0 "$(cat "$D/timing")"
check_eq "timing off -j: timing, switch, previous, via" \
	'{"timing":"on","switch":"off","previous":"on","sac_alloc_event":true,"via":"debugfs"}' "$(jq -c . "$T/out")"
for bad in maybe 1 0 ON ""; do
	rc "timing '$bad' (a usage error)" 2 "$SACCTL" timing "$bad"
	check_eq "timing '$bad': nothing written" 0 "$(cat "$D/timing")"
done
rc "timing on off (a usage error)" 2 "$SACCTL" timing on off
check_eq "timing on off: nothing written" 0 "$(cat "$D/timing")"
rc "timing maybe: the message" 2 "$SACCTL" timing maybe
check_eq "timing maybe: says what it expects" "sacctl: timing: expected on or off, not 'maybe'" "$(cat "$T/err")"
rc "-j timing maybe" 2 "$SACCTL" -j timing maybe
check_eq "-j timing maybe: a JSON error" 2 "$(jq .exit_code "$T/out")"
rc "timing --frob" 2 "$SACCTL" timing --frob
rc "SACCTL_CONTROL=sysfs timing on" 0 env SACCTL_CONTROL=sysfs "$SACCTL" timing on
check_eq "sysfs: timing parameter written" 1 "$(cat "$P/timing")"
check_eq "sysfs: debugfs timing untouched" 0 "$(cat "$D/timing")"
check "sysfs: the line says which plane" grep -qx "timing: on (switch on, was off) (through sysfs: SACCTL_CONTROL=sysfs)" "$T/out"
echo 0 > "$P/timing"
rc "SACCTL_CONTROL=sysfs -j timing off" 0 env SACCTL_CONTROL=sysfs "$SACCTL" -j timing off
check_eq "sysfs -j: the switch read from the parameter, via sysfs" "off off sysfs" "$(jq -r '"\(.previous) \(.switch) \(.via)"' "$T/out")"
rm "$P/timing"
rc "sysfs: a module without the timing parameter" 5 env SACCTL_CONTROL=sysfs "$SACCTL" timing on
echo 2 > "$D/timing"
rc "timing: a switch that reads neither 0 nor 1" 1 "$SACCTL" timing
check "timing: the odd value is named" grep -q "reads '2', not 0 or 1" "$T/err"
rm "$D/timing"
rc "timing: no control file" 1 "$SACCTL" timing off

# show, stats: "not measured" only with timing off and nothing counted
tstate 0 off
rc "show 00:06.0 (timing off, empty histogram)" 0 "$SACCTL" show 00:06.0
check_eq "show: not measured instead of an empty histogram" \
	"  allocation latency: not measured (timing off: sacctl timing on)" "$(sed -n '/allocation latency/,$p' "$T/out")"
rc "show 00:04.0 (timing off, counts from before)" 0 "$SACCTL" show 00:04.0
check "show: counts from while timing was on" grep -qx '  allocation latency (counted while timing was on; off now):' "$T/out"
check "show: and the histogram" grep -Eq '512 \.\. +1023 ns +1000 #' "$T/out"
rc "show -j 00:06.0 (timing off)" 0 "$SACCTL" show -j 00:06.0
check_eq "show JSON: timing off, the 32 buckets still there" "off 32" "$(jq -r '"\(.timing) \(.latency | length)"' "$T/out")"
rc "status (timing off)" 0 "$SACCTL" status
check "status: latency timing off, and how to switch it on" grep -qx 'latency timing  off (sacctl timing on)' "$T/out"
rc "stats -j (timing off)" 0 "$SACCTL" stats -j
check_eq "stats JSON: timing, top level and global" "off off" "$(jq -r '"\(.timing) \(.global.timing)"' "$T/out")"
rc "stats --prometheus (timing off)" 0 "$SACCTL" stats --prometheus
cp "$T/out" "$T/prom-off"
check "stats --prometheus (timing off) passes $(command -v promtool >/dev/null && echo 'promtool check metrics' || echo 'the line grammar')" prom_check "$T/prom-off"
check "prometheus: iommu_sac_timing_enabled 0" grep -qx 'iommu_sac_timing_enabled 0' "$T/prom-off"
check "prometheus: iommu_sac_timing_enabled is a gauge" grep -qx '# TYPE iommu_sac_timing_enabled gauge' "$T/prom-off"
check "prometheus: an unmeasured histogram is all zero, +Inf and _count 0" \
	sh -c "grep -qx 'iommu_sac_allocation_latency_seconds_bucket{device=\"0000:00:06.0\",le=\"+Inf\"} 0' '$T/prom-off' &&
	       grep -qx 'iommu_sac_allocation_latency_seconds_count{device=\"0000:00:06.0\"} 0' '$T/prom-off'"
tstate 1 on
rc "show 00:06.0 (timing on, empty histogram)" 0 "$SACCTL" show 00:06.0
check_eq "show: timing on, nothing counted yet" "  allocation latency:
    (no allocations)" "$(sed -n '/allocation latency/,$p' "$T/out")"
rc "stats --prometheus (timing on)" 0 "$SACCTL" stats --prometheus
check "prometheus: iommu_sac_timing_enabled 1" grep -qx 'iommu_sac_timing_enabled 1' "$T/out"
# Bounds converted from TSC cycles (the module's sac_lat_bounds(), 0.4 ns
# a cycle): each bucket its own le, increasing.
cp "$D/devices/0000:00:07.0/latency" "$T/lat07"
awk 'BEGIN { l = 0; for (b = 0; b < 32; b++) {
	n = int(2 ^ (b + 1) * 0.4); if (n < l + 1) n = l + 1
	print l, (b == 31 ? "18446744073709551615" : n - 1), b; l = n } }' > "$D/devices/0000:00:07.0/latency"
rc "stats --prometheus (converted bounds)" 0 "$SACCTL" stats --prometheus 00:07.0
check "prometheus: converted bounds pass $(command -v promtool >/dev/null && echo 'promtool check metrics' || echo 'the line grammar')" prom_check "$T/out"
check_eq "prometheus: converted bounds, 31 finite buckets and +Inf with every count" "32 496" \
	"$(grep -c '^iommu_sac_allocation_latency_seconds_bucket' "$T/out") $(sed -n 's/^iommu_sac_allocation_latency_seconds_count{.*} //p' "$T/out")"
check "prometheus: the first bucket's le is its hi + 1 ns" grep -q 'le="1e-09"} 0$' "$T/out"
# A module that broke its promise (two buckets with one bound): one le each.
printf '0 0 1\n0 0 2\n1 3 4\n4 18446744073709551615 8\n' > "$D/devices/0000:00:07.0/latency"
rc "stats --prometheus (a repeated bound)" 0 "$SACCTL" stats --prometheus 00:07.0
check "prometheus: a repeated bound still passes $(command -v promtool >/dev/null && echo 'promtool check metrics' || echo 'the line grammar')" prom_check "$T/out"
check_eq "prometheus: a repeated bound is one bucket with both counts" \
	'le="1e-09"} 3 le="4e-09"} 7 le="+Inf"} 15' \
	"$(grep '^iommu_sac_allocation_latency_seconds_bucket' "$T/out" | sed 's/.*,//' | tr '\n' ' ' | sed 's/ $//')"
cp "$T/lat07" "$D/devices/0000:00:07.0/latency"
# A module without timing: histograms as they are, no gauge, JSON null.
sed -i '/^timing /d' "$D/stats"
rc "show 00:06.0 (a module that always times)" 0 "$SACCTL" show 00:06.0
check_eq "show: no timing line, no 'not measured'" "  allocation latency:
    (no allocations)" "$(sed -n '/allocation latency/,$p' "$T/out")"
check_eq "show -j: timing null" null "$("$SACCTL" -j show 00:06.0 | jq .timing)"
rc "timing (a module without it)" 1 "$SACCTL" timing
check "timing: says the module has no switch" grep -q "has no timing switch" "$T/err"
rc "stats --prometheus (a module without timing)" 0 "$SACCTL" stats --prometheus
check "prometheus: no timing gauge" sh -c "! grep -q iommu_sac_timing_enabled '$T/out'"
# An in-flight count the module does not keep (-1): no gauge, "?" in status.
sed -i 's/^inflight .*/inflight -1/' "$D/stats"
rc "stats --prometheus (inflight -1)" 0 "$SACCTL" stats --prometheus
check "prometheus: no inflight gauge from -1" sh -c "! grep -q '^iommu_sac_inflight' '$T/out'"
rc "status (inflight -1)" 0 "$SACCTL" status
check "status: '? in flight' from -1" grep -q ', ? in flight)$' "$T/out"
check_eq "status -j: inflight -1 is a number" -1 "$("$SACCTL" -j status | jq .stats.inflight)"
# The module's own form of it: "inflight -" off PREEMPT_RT.
sed -i 's/^inflight .*/inflight -/' "$D/stats"
rc "stats --prometheus (inflight -)" 0 "$SACCTL" stats --prometheus
check "prometheus: no inflight gauge from -" sh -c "! grep -q '^iommu_sac_inflight' '$T/out'"
rc "status (inflight -)" 0 "$SACCTL" status
check "status: '? in flight' from -" grep -q ', ? in flight)$' "$T/out"
sed -i 's/^inflight .*/inflight 0/' "$D/stats"
echo "timing on" >> "$D/stats"
echo 1 > "$D/timing"

# ---- fuzz targets, briefly (make fuzz runs them for longer) ---------------
# Each target from its seed corpus (tests/corpus/) and what earlier runs
# found, under AddressSanitizer and UBSan: a crash, leak or UB fails.
if ! command -v clang >/dev/null 2>&1; then
	skip "fuzz targets" "clang is not installed (apt install clang libclang-rt-14-dev)"
elif ! make -s fuzz-build > "$T/fuzz-build" 2>&1; then
	not_ok "fuzz targets build (clang, libFuzzer)"
	tail -n 5 "$T/fuzz-build" | sed 's/^/# /'
else
	sh fuzz/run.sh "${SACCTL_FUZZ_SECONDS:-5}" > "$T/fuzz" 2>&1
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "${line#ok - }" ;;
		"not ok - "*) not_ok "${line#not ok - }" ;;
		*) echo "$line" ;;
		esac
	done < "$T/fuzz"
fi

echo "1..$n"
echo "# $((n - fail)) passed, $fail failed"
[ "$fail" -eq 0 ]
