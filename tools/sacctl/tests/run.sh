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
EOF2
} > "$D/stats"
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
start_pfn=1 limit32_pfn=1048575 space32_pages=1048574 reserved32_pages=448574
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
./tests/unit > "$T/unit.tap" 2>&1
while IFS= read -r line; do
	case "$line" in
	"ok - "*) ok "${line#ok - }" ;;
	"not ok - "*) not_ok "${line#not ok - }" ;;
	*) echo "$line" ;;
	esac
done < "$T/unit.tap"

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
for c in status list show set default rearm reset stats watch trace; do
	"$SACCTL" "$c" --help > "$T/out" 2>&1
	r=$?
	check "$c --help (exit 0, usage of $c)" \
		sh -c "[ $r -eq 0 ] && grep -q '^Usage: sacctl .*$c' '$T/out'"
done
rc "help show" 0 "$SACCTL" help show
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
check "show: 32-bit space in pages and MiB" grep -Eq '^    32-bit space +1048574 pages +4096.0 MiB' "$T/out"
check "show: reserved pages, MiB, % of the space" grep -Eq '^    reserved +448574 pages +1752.2 MiB +42.8% of the space' "$T/out"
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

echo "1..$n"
echo "# $((n - fail)) passed, $fail failed"
[ "$fail" -eq 0 ]
