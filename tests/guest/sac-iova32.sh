#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# devices/<dev>/iova32, the 32-bit IOVA space of a device's domain, against
# what the test itself holds there. The edu gets a 32-bit mask (every IOVA
# below 4 GiB; fill stops at the first failure). Idle: nothing used, the
# free runs are exactly the pages that a complete fill uses. Full (2 MiB
# mappings, then single pages, until each fails): used = what sac_edu
# holds, no gap, max32_alloc_size 1. A released pattern of 2 MiB mappings
# (isolated and adjacent pairs) gives exactly those free runs, while
# released single pages stay in the per-CPU caches; once a failing
# allocation flushes the caches they are the only runs. Truncation with
# iova32_max_iovas=64, its bad values, group facts, an unavailable view.
# lanes: amd arm64
# timeout: 180
. ./lib.sh

SAC=/sys/kernel/debug/iommu_sac
E=/sys/kernel/debug/sac_edu/$EDU
V=$SAC/devices/$EDU/iova32
PAR=/sys/module/iommu_sac/parameters/iova32_max_iovas
PAGE=4096		# sac_edu's pages: x86-64 PAGE_SIZE
T=/tmp/sac-iova32
rm -rf $T && mkdir -p $T

# settle: let a flush queue free what was just unmapped (10 ms).
settle() { sleep 1; }

# snap NAME: read the view of EDU into $T/NAME; ok if the read succeeds.
snap() {
	if cat $V > $T/$1; then ok "$1: reading iova32 succeeds"
	else not_ok "$1: reading iova32 failed"; fi
}

# keys_full K: the key order of an available view, hist 0..K.
keys_full() {
	local k=0
	echo available domain group group_devices shared_with granule \
		start_pfn limit32_pfn space32_pages reserved32_pages \
		used32_pages used32_iovas free32_pages gaps32 \
		largest_gap32_pages largest_fit32_pages max32_alloc_size \
		reserved_high_pages used_high_pages used_high_iovas rcache \
		cached32_iovas cached32_pages cached_iovas cached_pages \
		walked_iovas lock_holds truncated | tr '\n' ' '
	while [ $k -le "$1" ]; do printf 'gap32_hist_%d ' $k; k=$((k + 1)); done
}
keys_of() { awk '{ printf "%s ", $1 }' "$1"; }
# keys_ok DESC FILE: FILE has the keys of an available view, in order.
keys_ok() {
	if [ "$(keys_full $K)" = "$(keys_of "$2")" ]; then
		ok "$1: keys in order, gap32_hist_0..$K ($(wc -l < "$2") lines)"
	else
		not_ok "$1: keys in order (expected '$(keys_full $K)', saw '$(keys_of "$2")')"
	fi
}
fields_ok() { awk 'NF != 2 { bad = 1 } END { exit bad }' "$1"; }

# expect RUNS K: the figures of a 32-bit space whose free runs are RUNS
# ("PFN PAGES" lines), as "key value" lines.
expect() {
	awk -v K="$2" '
	NF == 2 {
		n++; free += $2
		if ($2 > big) big = $2
		s = 1
		while (s * 2 <= $2)
			s *= 2
		for (; s >= 1; s /= 2) {	# largest aligned 2^k inside
			a = int(($1 + s - 1) / s) * s
			if (a + s <= $1 + $2) break
		}
		if (s > fit) fit = s
		k = 0
		for (p = 2; p <= $2; p *= 2) k++
		h[k]++
	}
	END {
		printf "free32_pages %d\ngaps32 %d\n", free, n
		printf "largest_gap32_pages %d\nlargest_fit32_pages %d\n", big, fit
		for (k = 0; k <= K; k++) printf "gap32_hist_%d %d\n", k, h[k]
	}' "$1"
}

# compare STEP RUNS: every figure expect() gives for RUNS against $T/STEP.
compare() {
	local key val
	expect "$T/$2" "$K" > $T/$1.expect
	while read -r key val; do
		check_eq "$1: $key" "$val" "$(kv $T/$1 $key)"
	done < $T/$1.expect
}

# hist_sum FILE: the gap32_hist_* counts added up.
hist_sum() { awk '/^gap32_hist_/ { s += $2 } END { print s + 0 }' "$1"; }

# pages_of FILE: pages of "0xIOVA PAGES" lines.
pages_of() { awk '{ s += $2 } END { print s + 0 }' "$1"; }

# The kernels whose per-CPU cache layout the module vouches for (compat.h,
# SAC_KERNEL_VOUCHED): there it must read the caches (rcache 1), or the
# cached* figures below compare nothing.
case $(kernel_mm) in
6.1 | 6.12 | 7.2) vouched=1 ;;
*) vouched= ;;
esac

# rcache_ok STEP FILE: whether the cached* figures of FILE can be compared:
# on a vouched kernel rcache must be 1 (a check of its own, and the figures
# are compared either way); elsewhere only with rcache 1.
rcache_ok() {
	if [ -n "$vouched" ]; then
		check_eq "$1: rcache (the caches are read on $(kernel_mm), a vouched kernel)" \
			1 "$(kv "$2" rcache)"
		return 0
	fi
	[ "$(kv "$2" rcache)" = 1 ]
}

# fit_ok FIT GAP: FIT is a power of two, 0 < FIT <= GAP.
fit_ok() { [ "$1" -gt 0 ] && [ $(( $1 & ($1 - 1) )) -eq 0 ] && [ "$1" -le "$2" ]; }

unload_sac iommu_sac
check "sac_edu.ko loads" load_sac sac_edu
check "iommu_sac.ko loads" load_sac iommu_sac
echo all > $SAC/rearm
echo all > $E/release
check "iova32 exists for EDU" [ -f $V ]
check_eq "iova32 mode" 400 "$(stat -c %a $V 2>/dev/null)"
check_eq "iova32_max_iovas default" 1048576 "$(cat $PAR 2>/dev/null)"
echo 32 > $E/dma_bits
check_eq "EDU dma_limit_bits with a 32-bit mask" 32 "$(kv $SAC/devices/$EDU/state dma_limit_bits)"

# --- 1. idle ---------------------------------------------------------------
# Earlier mappings may sit in the per-CPU IOVA caches (they stay in the
# tree). A 32-bit allocation that fails flushes every cache of the domain
# back into the tree: fill with 2 MiB mappings until one fails, release
# them (2 MiB is too big for the caches: freed at once, after the flush
# queue) and nothing of this domain is allocated any more.
echo "4096 512" > $E/fill
check_eq "priming fill: 2 MiB mappings until one fails" 1 "$(kv $E/held map_failures)"
diag "priming fill held $(kv $E/held mappings) x 2 MiB"
echo all > $E/release
settle
snap idle
I=$T/idle
check_eq "idle: available" 1 "$(kv $I available)"
dom=$(kv $I domain)
check "idle: domain dma or dma-fq ($dom)" [ "$dom" = dma -o "$dom" = dma-fq ]
gran=$(kv $I granule)
check_eq "idle: granule (VT-d on x86-64: the CPU page)" $PAGE "$gran"
lim=$(kv $I limit32_pfn)
check_eq "idle: limit32_pfn = 2^32 / granule" $(((1 << 32) / PAGE)) "$lim"
K=0		# log2(limit32_pfn)
while [ $((1 << (K + 1))) -le "$lim" ]; do K=$((K + 1)); done
keys_ok idle $I
check "idle: every line is KEY VALUE" fields_ok $I
start=$(kv $I start_pfn)
space=$(kv $I space32_pages)
res=$(kv $I reserved32_pages)
check_eq "idle: space32_pages = limit32_pfn - start_pfn" $((lim - start)) "$space"
check "idle: reserved32_pages > 0 (PCI window below 4 GiB) ($res)" [ "$res" -gt 0 ]
check_eq "idle: used32_pages" 0 "$(kv $I used32_pages)"
check_eq "idle: used32_iovas" 0 "$(kv $I used32_iovas)"
check_eq "idle: free32_pages = space32 - reserved32" $((space - res)) "$(kv $I free32_pages)"
check_eq "idle: gap32_hist_* add up to gaps32" "$(kv $I gaps32)" "$(hist_sum $I)"
lg=$(kv $I largest_gap32_pages)
lf=$(kv $I largest_fit32_pages)
check "idle: 0 < largest_gap32_pages ($lg) <= free32_pages" \
	[ "$lg" -gt 0 -a "$lg" -le "$(kv $I free32_pages)" ]
check "idle: largest_fit32_pages ($lf) a power of two <= largest_gap32_pages" \
	fit_ok "$lf" "$lg"
check_eq "idle: max32_alloc_size (limit32_pfn after a free below 4 GiB)" \
	"$lim" "$(kv $I max32_alloc_size)"
check_eq "idle: used_high_iovas (nothing held or cached above 4 GiB)" 0 "$(kv $I used_high_iovas)"
check_eq "idle: used_high_pages" 0 "$(kv $I used_high_pages)"
check_eq "idle: truncated" 0 "$(kv $I truncated)"
lh=$(kv $I lock_holds)
wk=$(kv $I walked_iovas)
check "idle: lock_holds ($lh) >= 1 and >= walked_iovas ($wk) / 1024" \
	[ "$lh" -ge 1 -a $((lh * 1024)) -ge "$wk" ]
rc=$(kv $I rcache)
check "idle: rcache 0 or 1 ($rc)" [ "$rc" = 0 -o "$rc" = 1 ]
rcache_ok idle $I ||
	diag "idle: rcache $rc on $(kernel_mm) (not vouched): the cached* zeros below read nothing"
for k in cached32_iovas cached32_pages cached_iovas cached_pages; do
	check_eq "idle: $k (the failed allocation flushed the caches)" 0 "$(kv $I $k)"
done
diag "idle: start_pfn $start space32 $space reserved32 $res free32 $(kv $I free32_pages) gaps32 $(kv $I gaps32) largest $lg fit $lf walked $wk holds $lh domain $dom rcache $rc"

# --- 2. full ---------------------------------------------------------------
echo "4096 512" > $E/fill
m1=$(kv $E/held mappings)
check_eq "fill 2 MiB mappings until one fails: map_failures" 1 "$(kv $E/held map_failures)"
echo "1048576 1" > $E/fill
m=$(kv $E/held mappings)
pg=$(kv $E/held pages)
check_eq "then single pages until one fails: map_failures" 2 "$(kv $E/held map_failures)"
check_eq "all held mappings below 4 GiB" "$m" "$(kv $E/held below4g)"
check "single pages were needed ($((m - m1)))" [ $((m - m1)) -gt 0 ]
diag "held $m1 x 512 pages + $((m - m1)) x 1 page = $pg pages"
cat $E/iovas > $T/held_full
check_eq "iovas lists every held mapping" "$m" "$(wc -l < $T/held_full)"
iovas_runs < $T/held_full > $T/runs_full
lo=$(head -n1 $T/runs_full | cut -d' ' -f1)
hi=$(tail -n1 $T/runs_full | awk '{ print $1 + $2 - 1 }')
check "held pfns $lo..$hi within start_pfn..limit32_pfn - 1" [ "$lo" -ge "$start" -a "$hi" -lt "$lim" ]
check_eq "the fill reached the last pfn below 4 GiB (limit32_pfn - 1; not reserved on q35)" \
	$((lim - 1)) "$hi"
snap full
F=$T/full
check_eq "full: available" 1 "$(kv $F available)"
check_eq "full: used32_pages = pages sac_edu holds" "$pg" "$(kv $F used32_pages)"
check_eq "full: used32_iovas = mappings sac_edu holds" "$m" "$(kv $F used32_iovas)"
check_eq "full: reserved32_pages = space32 - held pages" $((space - pg)) "$(kv $F reserved32_pages)"
check_eq "full: reserved32_pages as when idle" "$res" "$(kv $F reserved32_pages)"
: > $T/none
compare full none
check_eq "full: max32_alloc_size (the last failed 32-bit request: 1 page)" 1 "$(kv $F max32_alloc_size)"
check_eq "full: used_high_iovas" 0 "$(kv $F used_high_iovas)"
check_eq "full: truncated" 0 "$(kv $F truncated)"
wk=$(kv $F walked_iovas)
lh=$(kv $F lock_holds)
check "full: walked_iovas ($wk) > used32_iovas (plus reserved nodes)" [ "$wk" -gt "$m" ]
check "full: lock_holds ($lh) >= walked_iovas / 1024" [ $((lh * 1024)) -ge "$wk" ]
if rcache_ok full $F; then
	check_eq "full: cached32_iovas" 0 "$(kv $F cached32_iovas)"
else
	skip "full: cached32_iovas" "rcache 0: the caches are not read on this kernel"
fi
# Full, every page below 4 GiB is held or reserved: the idle free runs are
# exactly the held ranges, merged.
compare idle runs_full

# --- 3. a released pattern -------------------------------------------------
# Holding order is allocation order; the picks are by line of the listing.
# pair FROM ALIGN: the first line >= FROM of a 2 MiB mapping whose next one
# is adjacent in IOVA, their lower pfn % 1024 == ALIGN.
pair() {
	awk -v from="$1" -v al="$2" -v m1="$m1" '
	function hex(s,  v, i) {
		s = tolower(s); sub(/^0x/, "", s)
		for (i = 1; i <= length(s); i++)
			v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v
	}
	{ p[NR] = hex($1) / 4096 }
	END {
		for (i = from; i < m1; i++) {
			d = p[i] - p[i + 1]
			lo = d > 0 ? p[i + 1] : p[i]
			if ((d == 512 || d == -512) && lo % 1024 == al) { print i; exit }
		}
	}' $T/held_full
}
p1=$(pair 60 0)
p2=$(pair $((p1 + 10)) 512)
check "adjacent 2 MiB pairs found (lines $p1, $p2)" [ -n "$p1" -a -n "$p2" ]
n1=$((m - m1))
picks="10 20 30 40 $p1 $((p1 + 1)) $p2 $((p2 + 1)) $((m1 + 1)) $((m1 + n1 / 2)) $m"
for i in $picks; do
	sed -n "${i}p" $T/held_full
done > $T/picked
check "release at 0x1 (no mapping there) is EINVAL" \
	sh -c "! echo 'at 0x1' > $E/release 2>/dev/null"
a=$(head -n1 $T/picked | cut -d' ' -f1)
check "release at an IOVA inside a mapping (not its start) is EINVAL" \
	sh -c "! echo 'at $(printf 0x%x $((a + PAGE)))' > $E/release 2>/dev/null"
check "release at (no IOVA) is EINVAL" sh -c "! echo at > $E/release 2>/dev/null"
check "release at zz is EINVAL" sh -c "! echo 'at zz' > $E/release 2>/dev/null"
check_eq "bad release input changes nothing: mappings" "$m" "$(kv $E/held mappings)"
while read -r a p; do
	echo "at $a" > $E/release || not_ok "release at $a"
done < $T/picked
settle
cat $E/iovas > $T/held_after
# Released: in the full listing and not after.
awk 'NR == FNR { kept[$1] = 1; next } !($1 in kept)' $T/held_after $T/held_full > $T/released
sort $T/picked > $T/picked.s
sort $T/released > $T/released.s
check "sac_edu released exactly the $(wc -l < $T/picked) picked mappings ($(wc -l < $T/released) gone)" \
	cmp -s $T/picked.s $T/released.s
awk '$2 > 32' $T/released > $T/released_big
awk '$2 <= 32' $T/released > $T/released_small
iovas_runs < $T/released_big > $T/runs_released
nsmall=$(wc -l < $T/released_small)
psmall=$(pages_of $T/released_small)
check "the pattern has >= 3 isolated 512-page runs and >= 2 of 1024 ($(cut -d' ' -f2 $T/runs_released | tr '\n' ' '))" \
	[ "$(awk '$2 == 512' $T/runs_released | wc -l)" -ge 3 -a \
	  "$(awk '$2 == 1024' $T/runs_released | wc -l)" -ge 2 ]
diag "released: $(wc -l < $T/released_big) x 512 pages, $nsmall single pages; runs $(tr '\n' ',' < $T/runs_released)"
snap released
R=$T/released
check_eq "released: available" 1 "$(kv $R available)"
compare released runs_released
mh=$(kv $E/held mappings)
check_eq "released: used32_iovas = held + released single pages (cached)" \
	$((mh + nsmall)) "$(kv $R used32_iovas)"
check_eq "released: used32_pages = held + released single pages" \
	$(( $(kv $E/held pages) + psmall )) "$(kv $R used32_pages)"
check_eq "released: reserved32_pages as when idle" "$res" "$(kv $R reserved32_pages)"
check_eq "released: max32_alloc_size (limit32_pfn after a free below 4 GiB)" \
	"$lim" "$(kv $R max32_alloc_size)"
if rcache_ok released $R; then
	check "released: single pages were released into the caches ($nsmall)" [ "$nsmall" -gt 0 ]
	check_eq "released: cached32_iovas = released single pages" "$nsmall" "$(kv $R cached32_iovas)"
	check_eq "released: cached32_pages" "$psmall" "$(kv $R cached32_pages)"
	check_eq "released: cached_iovas (all below 4 GiB)" "$nsmall" "$(kv $R cached_iovas)"
else
	skip "released: cached32_iovas = released single pages" \
		"rcache 0: the per-CPU caches are not read on this kernel"
fi

# Refill the 2 MiB slots: exactly as many fit as the runs hold; the next
# one fails, which flushes the caches: the released single pages are then
# the only free runs.
slots=$(awk '{ s += int($2 / 512) } END { print s + 0 }' $T/runs_released)
mf=$(kv $E/held map_failures)
echo "$((slots + 1)) 512" > $E/fill
check_eq "refill: $slots x 2 MiB fit" $((mh + slots)) "$(kv $E/held mappings)"
check_eq "refill: the next 2 MiB mapping fails" $((mf + 1)) "$(kv $E/held map_failures)"
iovas_runs < $T/released_small > $T/runs_small
snap refilled
Q=$T/refilled
compare refilled runs_small
check_eq "refilled: used32_iovas = held" "$(kv $E/held mappings)" "$(kv $Q used32_iovas)"
check_eq "refilled: used32_pages = held" "$(kv $E/held pages)" "$(kv $Q used32_pages)"
check_eq "refilled: max32_alloc_size (the failed 512-page request)" 512 "$(kv $Q max32_alloc_size)"
rcache_ok refilled $Q || diag "refilled: rcache 0: the cached32_iovas zero below reads nothing"
check_eq "refilled: cached32_iovas (flushed)" 0 "$(kv $Q cached32_iovas)"

# --- 4. truncation -----------------------------------------------------------
held=$(kv $E/held mappings)
check "unload iommu_sac while $held IOVAs are held" unload_sac iommu_sac
check "load iommu_sac iova32_max_iovas=64" load_sac iommu_sac iova32_max_iovas=64
check_eq "parameter iova32_max_iovas" 64 "$(cat $PAR 2>/dev/null)"
snap trunc
check_eq "trunc: available" 1 "$(kv $T/trunc available)"
check_eq "trunc: truncated" 1 "$(kv $T/trunc truncated)"
check_eq "trunc: walked_iovas" 64 "$(kv $T/trunc walked_iovas)"
check "trunc: used32_iovas <= 64 ($(kv $T/trunc used32_iovas))" [ "$(kv $T/trunc used32_iovas)" -le 64 ]
check "iommu_sac unloads" unload_sac iommu_sac
for val in 0 63 16777217 abc 99999999999 -1 ""; do
	msg="iova32_max_iovas=: '$val' is not a number in 64..16777216"
	n0=$(dmesg | grep -cF "$msg")
	if insmod /lib/sac/iommu_sac.ko "iova32_max_iovas=$val" 2> $T/err; then
		not_ok "iova32_max_iovas=$val refuses the load (it loaded)"
		rmmod iommu_sac
		continue
	fi
	check "iova32_max_iovas=$val refuses the load with EINVAL ($(tail -n1 $T/err))" \
		grep -q "Invalid argument" $T/err
	check "iova32_max_iovas=$val: not loaded, no debugfs tree" \
		sh -c "! grep -q '^iommu_sac ' /proc/modules && [ ! -e $SAC ]"
	n1=$(( $(dmesg | grep -cF "$msg") - n0 ))
	check "iova32_max_iovas=$val: dmesg: $msg ($n1 new)" [ "$n1" -ge 1 ]
done
check "load iommu_sac iova32_max_iovas=16777216" load_sac iommu_sac iova32_max_iovas=16777216
check_eq "iova32_max_iovas=16777216: truncated" 0 "$(kv $V truncated)"
check "iommu_sac unloads" unload_sac iommu_sac
check "load iommu_sac with defaults" load_sac iommu_sac
check_eq "parameter iova32_max_iovas" 1048576 "$(cat $PAR 2>/dev/null)"
snap again
check_eq "again: truncated" 0 "$(kv $T/again truncated)"
check_eq "again: used32_iovas = held" "$held" "$(kv $T/again used32_iovas)"

# --- 5. group facts --------------------------------------------------------
# others DEV: the other devices of DEV's IOMMU group, sorted, one a line.
others() {
	ls "$(readlink -f /sys/bus/pci/devices/$1/iommu_group)/devices" |
		grep -vx "$1" | tr '\n' ' '
}
shared() { # FILE: shared_with, sorted, as others() prints it
	kv "$1" shared_with | tr ',' '\n' | grep -vx -- - | sort | tr '\n' ' '
}
grp=$(basename "$(readlink -f /sys/bus/pci/devices/$EDU/iommu_group)")
check_eq "EDU group (sysfs)" "$grp" "$(kv $T/again group)"
check_eq "EDU group_devices (sysfs)" $(( $(others $EDU | wc -w) + 1 )) "$(kv $T/again group_devices)"
check_eq "EDU shared_with (alone on q35)" - "$(kv $T/again shared_with)"
found=
seen=
for g in /sys/kernel/iommu_groups/*; do
	n=$(ls $g/devices | wc -l)
	[ "$n" -gt 1 ] || continue
	for d in $(ls $g/devices); do
		f=$SAC/devices/$d/iova32
		[ -f "$f" ] || { seen="$seen $d:no-view"; continue; }
		cat $f > $T/grp || not_ok "reading $d iova32"
		if [ "$(kv $T/grp available)" != 1 ]; then
			seen="$seen $d:$(kv $T/grp domain)/$(sed -n 's/^reason //p' $T/grp | tr ' ' _)"
			continue
		fi
		check_eq "$d (group $(basename $g)): group_devices" "$n" "$(kv $T/grp group_devices)"
		check_eq "$d: shared_with names the others" "$(others $d)" "$(shared $T/grp)"
		found=1
	done
done
[ -n "$found" ] || skip "a shared group's view names the others" \
	"no multi-device group with an available view here:${seen:- no multi-device group}"

# --- 6. unavailable views --------------------------------------------------
echo $EDU32 > /sys/bus/pci/drivers/sac_edu/unbind
check "EDU32 unbound" [ ! -e /sys/bus/pci/devices/$EDU32/driver ]
check "EDU32 keeps its directory" [ -d $SAC/devices/$EDU32 ]
U=$T/unbound
check "EDU32 unbound: reading iova32 succeeds" sh -c "cat $SAC/devices/$EDU32/iova32 > $U"
check_eq "EDU32 unbound: three lines" "available domain reason " "$(keys_of $U)"
check_eq "EDU32 unbound: available" 0 "$(kv $U available)"
why=$(sed -n 's/^reason //p' $U)
case $why in
"no driver bound"*) ok "EDU32 unbound: reason ($why)" ;;
*) not_ok "EDU32 unbound: reason (expected 'no driver bound...', saw '$why')" ;;
esac
case $(kv $U domain) in
none|identity|blocked|unmanaged|dma|dma-fq) ok "EDU32 unbound: domain ($(kv $U domain))" ;;
*) not_ok "EDU32 unbound: domain (saw '$(kv $U domain)')" ;;
esac
echo $EDU32 > /sys/bus/pci/drivers/sac_edu/bind
check "EDU32 bound again" [ -e /sys/kernel/debug/sac_edu/$EDU32 ]
check_eq "EDU32 bound: available" 1 "$(kv $SAC/devices/$EDU32/iova32 available)"
# Every view reads, in one of the two forms.
for f in $SAC/devices/*/iova32; do
	d=$(basename $(dirname $f))
	if ! cat $f > $T/any; then
		not_ok "$d: reading iova32 failed"
		continue
	fi
	if [ "$(kv $T/any available)" = 1 ]; then
		keys_ok "$d: available view" $T/any
	else
		check_eq "$d: unavailable view ($(sed -n 's/^reason //p' $T/any))" \
			"available domain reason " "$(keys_of $T/any)"
	fi
done

# --- 7. clean up -------------------------------------------------------------
echo all > $E/release
echo 64 > $E/dma_bits
echo default > $SAC/devices/$EDU/policy
echo all > $SAC/rearm
check "iommu_sac.ko unloads" unload_sac iommu_sac
check "sac_edu.ko unloads" unload_sac sac_edu
done_testing
