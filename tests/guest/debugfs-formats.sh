#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Every file of the module's debugfs tree against the grammar of
# docs/interfaces.md (what sacctl's parsers rely on): "key value" lines with
# the documented keys and value forms, one-value control files, the latency
# histogram's 32 "lo hi count" lines (contiguous, increasing; loaded with
# timing=1, so they count), the iova32 view. Each file's content
# (of the global files and the two edu devices) is also printed as "# | "
# comment lines after a "# file REL" line: the real output that
# tools/sacctl/fuzz/corpus-from-tap.sh turns into the fuzz seed corpus.
# timeout: 180
. ./lib.sh

D=/sys/kernel/debug/iommu_sac
check "iommu_sac from an earlier test is unloaded" unload_sac iommu_sac
check "iommu_sac.ko loads with an override and timing=1" insmod /lib/sac/iommu_sac.ko "devices=$EDU32=dma32" timing=1
check "sac_edu.ko loads" load_sac sac_edu
# Something to count: round trips on both edu, a switch on EDU.
rt "$EDU" 4095 > /dev/null
rt "$EDU32" 4095 > /dev/null
echo all > /sys/kernel/debug/sac_edu/$EDU/release
echo "2200 512" > /sys/kernel/debug/sac_edu/$EDU/fill 2>/dev/null
echo all > /sys/kernel/debug/sac_edu/$EDU/release

dump() {
	echo "# file $1"
	sed 's/^/# | /' "$D/$1"
}
# grammar FILE AWK-CONDITION DESC: every line satisfies the condition.
grammar() {
	local bad
	bad=$(awk "!($2) { print NR \": \" \$0; exit }" "$D/$1")
	# (debugfs files report size 0: count lines, not bytes)
	if [ -z "$bad" ] && [ "$(wc -l < "$D/$1")" -gt 0 ]; then
		ok "$1: $3 ($(wc -l < "$D/$1") lines)"
	else
		not_ok "$1: $3 (first bad line: ${bad:-the file is empty})"
	fi
}
N='[0-9]+'
for f in version default_policy stats; do dump $f; done
grammar version "/^[0-9]+\\.[0-9]+\\.[0-9]+\$/" "one version number"
grammar default_policy "/^(auto|sac|dac|dma32|kernel)\$/" "one policy"
grammar timing "/^[01]\$/" "0 or 1"
check_eq "timing: 1 (timing=1 at load), the parameter too" "1 1" \
	"$(cat $D/timing) $(cat /sys/module/iommu_sac/parameters/timing)"
grammar stats "NF == 2 && \$1 ~ /^[a-z0-9_]+\$/ && (\$1 != \"timing\" || \$2 ~ /^(on|off)\$/) && \$1 != \"recursion_misses\"" \
	"key value lines, timing on|off, no recursion_misses"
check_eq "stats: timing on, after the counters and hook lines" "timing on" "$(tail -n1 $D/stats)"
for d in $D/devices/*; do
	n=devices/${d##*/}
	# The two edu devices' files go into the corpus (the rest would
	# only repeat them in the suite's output).
	case ${d##*/} in
	"$EDU" | "$EDU32") for f in state stats latency iova32; do dump $n/$f; done ;;
	esac
	grammar $n/policy "/^(default|auto|sac|dac|dma32|kernel)\$/" "one policy or default"
	grammar $n/state "NF == 2 && (\$1 ~ /^(switches|last_switch_ns|last_switch_size|dma_limit_bits)\$/ ? \$2 ~ /^$N\$/ : \
		\$1 == \"state\" ? \$2 ~ /^(sac|dac)\$/ : \
		\$1 ~ /^(policy|effective_policy)\$/ ? \$2 ~ /^(default|auto|sac|dac|dma32|kernel)\$/ : \
		\$1 ~ /^[a-z0-9_]+\$/)" "the documented keys and values"
	grammar $n/stats "NF == 2 && \$1 ~ /^[a-z0-9_]+\$/ && \$2 ~ /^$N\$/" "key N lines"
	grammar $n/latency "NF == 3 && \$1 ~ /^$N\$/ && \$2 ~ /^$N\$/ && \$3 ~ /^$N\$/ && \$1 <= \$2 && \$1 == (NR == 1 ? 0 : hi + 1) && (hi = \$2) >= 0" \
		"lo hi count lines, from 0, each lo one above the previous hi"
	check_eq "$n/latency: 32 buckets, the last one open" "32 18446744073709551615" \
		"$(wc -l < $D/$n/latency) $(tail -n1 $D/$n/latency | cut -d' ' -f2)"
	grammar $n/iova32 "NF >= 2 && \$1 ~ /^[a-z0-9_]+\$/" "key value lines"
done
check_eq "EDU switched (a state file with a real switch in the corpus)" dac "$(kv $D/devices/$EDU/state state)"
check_eq "EDU's latency histogram counted every allocation (timing on since load)" \
	"$(kv $D/devices/$EDU/stats allocs)" "$(awk '{ s += $3 } END { print s }' $D/devices/$EDU/latency)"
# Leave EDU as it was found: on 6.12+ the unload leaves the kernel's own
# bit equal to the state, and later tests expect 32-bit IOVAs first.
echo "$EDU" > $D/rearm
check_eq "EDU re-armed before the unload" sac "$(kv $D/devices/$EDU/state state)"
check "sac_edu unloads" unload_sac sac_edu
check "iommu_sac unloads" unload_sac iommu_sac
done_testing
