# SPDX-License-Identifier: GPL-2.0
#
# Helpers for the in-guest tests (busybox sh). A test script sources this
# file, makes checks and ends with done_testing; it prints TAP (kselftest
# style) that the host runner parses:
#   ok N - what was checked (and the value seen)
#   not ok N - what was checked (expected vs. seen)
#   ok N - what # SKIP why
# A script may carry header lines the host reads:
#   # boot: ARGS        extra kernel arguments (tests with equal ARGS share a boot)
#   # kernels: A B      only on these kernels (others: skipped with a reason)
#   # timeout: SECONDS  time this test may take inside the guest
#   # allow: iommu-fault DEV...
#                       IOMMU faults of these devices (full PCI addresses, as
#                       in /etc/sac/devices.env, e.g. 0000:00:05.0) are expected
#                       while this test runs, and at least one per device must
#                       appear; any other IOMMU fault, and any other token,
#                       fails the test (tests/vm/logscan.py)
# The host also requires the plan ("1..N" matching the results, done_testing
# prints it; or skip_all's "1..0 # SKIP why"), fails a test that set a new
# taint bit (O and E, our own modules, excepted) and any kernel complaint on
# the console while it ran.

. /etc/sac/devices.env

_n=0
_failed=0

ok()     { _n=$((_n + 1)); echo "ok $_n - $*"; }
not_ok() { _n=$((_n + 1)); _failed=$((_failed + 1)); echo "not ok $_n - $*"; }
skip()   { _n=$((_n + 1)); echo "ok $_n - $1 # SKIP $2"; }
diag()   { echo "# $*"; }

# check DESC CMD...: ok when CMD succeeds.
check() {
	local d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}

# check_eq DESC EXPECTED SEEN
check_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1 ($3)"
	else
		not_ok "$1 (expected '$2', saw '$3')"
	fi
}

# skip_all REASON: the whole script does not apply here.
skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

done_testing() {
	echo "1..$_n"
	[ "$_failed" -eq 0 ]
	exit $?
}

# iommu_sac.ko depends on iommu_sac_fops.ko, the file operations of its
# debugfs files (debugfs/fops.c); modprobe would load that first. The tests
# insmod iommu_sac.ko by path, so every test starts with it loaded (a test
# of modprobe or the packages unloads it first: unload_sac_all). A script
# that shows the loads itself (make run's demo) sets SAC_FOPS_PRELOAD=0.
if [ "${SAC_FOPS_PRELOAD:-1}" = 1 ] && [ -e /lib/sac/iommu_sac_fops.ko ] &&
	! grep -q '^iommu_sac_fops ' /proc/modules &&
	! insmod /lib/sac/iommu_sac_fops.ko; then
	echo "# lib.sh: insmod /lib/sac/iommu_sac_fops.ko failed: iommu_sac.ko cannot load"
fi

# Load one of the project's modules (/lib/sac/NAME.ko) with arguments.
# Already loaded: without arguments that is success (a diag line says so);
# with arguments it is a failure of its own (not ok, status 1), since the
# arguments in force are not the ones asked for: unload first.
load_sac() {
	local m=$1 p
	shift
	if grep -q "^$m " /proc/modules; then
		if [ $# -eq 0 ]; then
			diag "load_sac $m: already loaded, not loaded again"
			return 0
		fi
		p=$(cd /sys/module/$m/parameters 2>/dev/null &&
			for p in *; do printf '%s=%s ' "$p" "$(cat "$p" 2>/dev/null)"; done)
		not_ok "load_sac $m $*: $m is already loaded (parameters ${p:-unreadable}); refusing to pretend it loaded with these"
		return 1
	fi
	insmod "/lib/sac/$m.ko" "$@"
}

# Unload one of the project's modules; not loaded is success. The module
# must be gone afterwards.
unload_sac() {
	grep -q "^$1 " /proc/modules || return 0
	rmmod "$1" || return 1
	! grep -q "^$1 " /proc/modules
}

# Unload iommu_sac and the module it depends on, as a fresh system has
# neither loaded.
unload_sac_all() {
	unload_sac iommu_sac && unload_sac iommu_sac_fops
}

# kv FILE KEY: the value of "KEY VALUE" in a key-value file.
kv() {
	awk -v k="$2" '$1 == k { print $2; f = 1 } END { exit !f }' "$1"
}

# is_iova X: X is a DMA address as sac_edu prints it ("0x" and hex digits)
# and not 0 (sac_edu reads 0 for a buffer it did not map).
is_iova() {
	case $1 in
	0x | 0x*[!0-9a-fA-F]*) return 1 ;;
	0x*) [ $(( $1 )) -ne 0 ] ;;
	*) return 1 ;;
	esac
}

# The 32 low bits are what a 32-bit IOVA has; anything above is DAC. Both
# are false for anything that is not an IOVA (empty, 0, junk).
is_below_4g() {
	is_iova "$1" && [ $(( $1 >> 32 )) -eq 0 ]
}
is_above_4g() {
	is_iova "$1" && [ $(( $1 >> 32 )) -ne 0 ]
}

# iommu_faults DEV: how many DMA fault reports of the IOMMU in the kernel
# log name DEV (0000:BB:DD.F): Intel VT-d "[DMA Read NO_PASID] Request
# device [00:05.0] fault addr ..." (6.1, 6.12; 7.2 prints the domain
# "0000:00:05.0"), AMD-Vi "Event logged [IO_PAGE_FAULT ...]" with the
# device. Interrupt-remapping faults ("fault index") are not counted.
iommu_faults() {
	local s=${1#0000:} n
	n=$(dmesg | grep -E "Request device \[(0000:)?$s\] fault addr|IO_PAGE_FAULT" |
		grep -c "$s")
	echo $((n + $(smmu_faults "$1")))
}

# smmu_faults DEV: Arm SMMUv3 fault events (0x10-0x13: translation, address
# size, access, permission) of DEV. The kernel logs "event 0xNN received:"
# and the raw event; its first dword holds the StreamID in bits 63:32, on
# QEMU virt the PCI requester ID (tests/vm/logscan.py reads it the same way).
smmu_faults() {
	local c=0 raw sid
	for raw in $(dmesg | grep -A1 -E "arm-smmu-v3 .*: event 0x1[0-3] received:" |
			grep -oE "0x[0-9a-f]{16}"); do
		sid=$((raw >> 32))
		[ "$(printf '0000:%02x:%02x.%d' $((sid >> 8 & 0xff)) $((sid >> 3 & 0x1f)) $((sid & 7)))" = "$1" ] &&
			c=$((c + 1))
	done
	echo $c
}

# wait_iommu_fault DEV N0: wait up to 10 s for more than N0 fault reports
# of DEV (the IOMMU reports from an interrupt); prints the count seen.
wait_iommu_fault() {
	local i=0 n
	n=$(iommu_faults "$1")
	while [ "$n" -le "$2" ] && [ $i -lt 20 ]; do
		sleep 0.5
		i=$((i + 1))
		n=$(iommu_faults "$1")
	done
	echo "$n"
}

# The major.minor of the running kernel, e.g. "6.1".
# idle_inflight: what the stats' inflight line says when nothing is in the
# hook. Counted on PREEMPT_RT only (the unload and the freeing of entries
# wait for it there); "-" elsewhere (module/internal.h, SAC_COUNT_DONE).
idle_inflight() {
	case "$(uname -v)" in *PREEMPT_RT*) echo 0 ;; *) echo - ;; esac
}

kernel_mm() {
	uname -r | cut -d. -f1,2
}

# Debian's static busybox runs its own applets before anything on PATH, and
# its ip has no netns support: use iproute2's, copied in from the host.
ip() { /sbin/ip "$@"; }

# ifname DEV: the network interface of PCI device DEV, empty if none.
ifname() { ls "/sys/bus/pci/devices/$1/net" 2>/dev/null | head -n1; }

# wait_ifname DEV: up to 10 s for DEV's interface (a bind or a rescan
# creates it after the driver's probe returns); prints its name.
wait_ifname() {
	local i a
	for i in $(seq 1 40); do
		a=$(ifname "$1")
		[ -n "$a" ] && { echo "$a"; return 0; }
		sleep 0.25
	done
	return 1
}

# port_up IFNAME: the first port's side of the soaks' link, 10.99.0.1/24
# (an address already there is kept), and up.
port_up() {
	ip addr add 10.99.0.1/24 dev "$1" 2>/dev/null
	ip link set "$1" up
}

# fill_class DEV: map 8 x 256 KiB on DEV (too big for the IOVA caches,
# which may still hold IOVAs below 4 GiB from earlier mappings), release
# them; prints "below", "above" or "mixed".
fill_class() {
	local d=/sys/kernel/debug/sac_edu/$1 b a
	echo all > "$d/release"
	echo "8 64" > "$d/fill"
	b=$(kv "$d/held" below4g)
	a=$(kv "$d/held" above4g)
	echo all > "$d/release"
	if [ "$b" = 8 ]; then echo below
	elif [ "$a" = 8 ]; then echo above
	else echo "mixed ($b below, $a above)"
	fi
}

# rt DEV SIZE: one round trip on DEV; prints its result.
rt() {
	local d=/sys/kernel/debug/sac_edu/$1
	echo "$2" > "$d/roundtrip"
	set -- $(cat "$d/roundtrip")
	echo "${1#result=}"
}

# drain_iova_caches EDUDIR: hold every cached 1- and 2-page IOVA of that
# edu's domain. The rcaches keep IOVAs below 4 GiB from earlier mappings
# and hand them out, whatever the limit, before the tree is asked; from
# each CPU (its own magazines, then the shared depot) map until the tree
# answers. Run under policy dac; release the mappings after the checks.
drain_iova_caches() {
	local cpu
	for cpu in $(seq 0 $(( $(nproc) - 1 ))); do
		taskset $(printf %x $((1 << cpu))) sh -c \
			"echo '20000 1' > $1/fill && echo '20000 2' > $1/fill"
	done
}

# flush_iova_caches EDUDIR: empty the per-CPU IOVA caches of that edu
# device's domain (depot included). A 32-bit allocation that fails flushes
# them all back into the tree, so fill 2 MiB mappings under a 32-bit mask
# until one fails, then release them (2 MiB is never cached). Needs nothing
# else held by the device; restores its mask.
flush_iova_caches() {
	local bits
	bits=$(cat "$1/dma_bits")
	echo 32 > "$1/dma_bits"
	echo "4096 512" > "$1/fill" 2>/dev/null
	echo all > "$1/release"
	echo "$bits" > "$1/dma_bits"
	sleep 0.1
}

# iovas_runs: "0xIOVA PAGES" lines (sac_edu's iovas format) on stdin; prints
# the ranges they cover, adjacent ones merged, as "PFN PAGES" lines lowest
# first (PFN = IOVA / 4096; 4 KiB pages).
iovas_runs() {
	awk 'function hex(s,  v, i) {
		s = tolower(s); sub(/^0x/, "", s)
		for (i = 1; i <= length(s); i++)
			v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v
	}
	NF == 2 { printf "%d %d\n", hex($1) / 4096, $2 }' | sort -n |
	awk '$1 == lo + n { n += $2; next }
	     n { print lo, n }
	     { lo = $1; n = $2 }
	     END { if (n) print lo, n }'
}

# ctl_sequence: one fixed series of sacctl control commands (default, set,
# set back to default, rearm, reset), through whichever plane sacctl picks
# (SACCTL_CONTROL may force one); prints the state it leaves, one line:
# the default and every device's override, then sacctl's exit codes.
# sac-sysfs runs it through debugfs and through sysfs, sacctl-lockdown
# under lockdown: all three must print the same line.
ctl_sequence() {
	local rcs="" d
	sacctl default dac > /dev/null; rcs="$rcs $?"
	sacctl set "$EDU" sac > /dev/null; rcs="$rcs $?"
	sacctl set "$EDU32" dma32 > /dev/null; rcs="$rcs $?"
	sacctl set "$NIC0" kernel > /dev/null; rcs="$rcs $?"
	sacctl set "$NIC0" default > /dev/null; rcs="$rcs $?"
	sacctl rearm all > /dev/null; rcs="$rcs $?"
	sacctl reset > /dev/null; rcs="$rcs $?"
	printf 'default=%s' "$(sacctl status | awk '/^default policy/ { print $3 }')"
	for d in /sys/kernel/debug/iommu_sac/devices/*; do
		printf ' %s=%s' "${d##*/}" "$(kv "$d/state" policy)"
	done
	echo " allocs(EDU)=$(kv /sys/kernel/debug/iommu_sac/devices/$EDU/stats allocs) rc=$(echo $rcs | tr ' ' ,)"
}
