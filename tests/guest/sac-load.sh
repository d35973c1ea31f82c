#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# iommu_sac.ko loads and hooks iommu_dma_alloc_iova(); its debugfs tree has
# the top-level files and one directory per test device, every file is
# root-only and a non-root user can neither read the stats nor change a
# policy; DMA (edu round trips, nvme I/O) stays byte-exact while it is
# loaded and the module serves those allocations; unloading removes the
# tree and leaves DMA working.
# lanes: core
# timeout: 240
. ./lib.sh

SAC=/sys/kernel/debug/iommu_sac
EDU_DIR=/sys/kernel/debug/sac_edu/$EDU

# mode PATH: the octal permission bits of PATH.
mode() { stat -c %a "$1"; }

# nobody CMD...: run CMD as uid/gid 65534 without supplementary groups (and
# so without capabilities).
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

# roundtrip SIZE: one edu round trip on $EDU; sets rt_res rt_to rt_from.
roundtrip() {
	echo "$1" > "$EDU_DIR/roundtrip"
	set -- $(cat "$EDU_DIR/roundtrip")
	rt_res=${1#result=}
	rt_to=${3#iova_to=}
	rt_from=${4#iova_from=}
}

# nvme_rw BS COUNT SEEK: write random data with O_DIRECT, read it back.
nvme_rw() {
	dd if=/dev/urandom of=/tmp/pattern bs="$1" count="$2" 2>/dev/null
	want=$(sha256sum < /tmp/pattern | cut -d' ' -f1)
	dd if=/tmp/pattern of=/dev/nvme0n1 bs="$1" seek="$3" count="$2" \
		oflag=direct conv=fsync 2>/dev/null
	echo 3 > /proc/sys/vm/drop_caches
	got=$(dd if=/dev/nvme0n1 bs="$1" skip="$3" count="$2" iflag=direct \
		2>/dev/null | sha256sum | cut -d' ' -f1)
	rm -f /tmp/pattern
	check_eq "nvme write+read of $2 x $1 bytes (sha256)" "$want" "$got"
}

unload_sac iommu_sac
check "sac_edu.ko loads" load_sac sac_edu
for i in 1 2 3 4 5 6 7 8 9 10; do
	[ -b /dev/nvme0n1 ] && break
	sleep 1
done

loadmsg='iommu_sac: version .*: hooked iommu_dma_alloc_iova(), default policy auto'
n0=$(dmesg | grep -c "$loadmsg")
check "iommu_sac.ko loads" load_sac iommu_sac
check_eq "dmesg: one new load message" 1 $(( $(dmesg | grep -c "$loadmsg") - n0 ))
check "debugfs directory $SAC exists" [ -d "$SAC" ]

# busybox modinfo wants a modules.dep: read the .modinfo string itself.
want=$(strings /lib/sac/iommu_sac.ko | sed -n 's/^version=//p')
check_eq "version file equals the module's modinfo version" "$want" "$(cat $SAC/version)"
check_eq "stats: hook" registered "$(kv $SAC/stats hook)"
check_eq "stats: default_policy" auto "$(kv $SAC/stats default_policy)"
check_eq "stats: inflight (idle)" "$(idle_inflight)" "$(kv $SAC/stats inflight)"
ndirs=$(ls $SAC/devices | wc -l)
check_eq "stats: devices equals the device directories" "$ndirs" \
	"$(kv $SAC/stats devices)"
# What the module should serve, from sysfs and not from the module: every
# PCI device in an IOMMU group whose default domain is a DMA-API domain
# (type DMA or DMA-FQ; iommu-dma allocates its IOVAs). q35 has no
# platform device behind the IOMMU.
for g in /sys/kernel/iommu_groups/*; do
	case $(cat $g/type 2>/dev/null) in
	DMA | DMA-FQ) ;;
	*) continue ;;
	esac
	for d in $g/devices/*; do
		[ -e "/sys/bus/pci/devices/${d##*/}" ] && echo "${d##*/}"
	done
done | sort > /tmp/sac-load.want
nwant=$(wc -l < /tmp/sac-load.want)
check "sysfs: the five test devices are PCI devices in DMA-API IOMMU groups ($nwant in all)" \
	eval '(for a in $EDU $EDU32 $NVME $NIC0 $NIC1; do grep -qx "$a" /tmp/sac-load.want || exit 1; done)'
check_eq "stats: devices equals the PCI devices in DMA-API IOMMU groups (sysfs)" "$nwant" \
	"$(kv $SAC/stats devices)"
check_eq "device directories: exactly those PCI devices" "$(tr '\n' ' ' < /tmp/sac-load.want)" \
	"$(ls $SAC/devices | sort | tr '\n' ' ')"
rm -f /tmp/sac-load.want
case $(kernel_mm) in
6.1) check_eq "stats: native_bit (6.1 has none)" no "$(kv $SAC/stats native_bit)"
     check_eq "stats: forcedac (not booted with it)" 0 "$(kv $SAC/stats forcedac)" ;;
*)   check_eq "stats: native_bit ($(kernel_mm) has it)" yes "$(kv $SAC/stats native_bit)"
     check_eq "stats: forcedac (not booted with it)" 0 "$(kv $SAC/stats forcedac)" ;;
esac

for f in version:400 stats:400 default_policy:600 rearm:200 reset_stats:200 timing:600 statistics:600; do
	check_eq "mode of ${f%:*}" "${f#*:}" "$(mode $SAC/${f%:*})"
done
for d in EDU EDU32 NVME NIC0 NIC1; do
	eval addr=\$$d
	dir=$SAC/devices/$addr
	if [ ! -d "$dir" ]; then
		not_ok "$d ($addr) has a device directory"
		continue
	fi
	check_eq "$d ($addr) files, modes" \
		"iova32:400 latency:400 policy:600 state:400 stats:400" \
		"$(cd "$dir" && for f in *; do printf '%s:%s ' "$f" "$(mode "$f")"; done | sed 's/ $//')"
	check_eq "$d policy" default "$(cat "$dir/policy")"
	check_eq "$d state" sac "$(kv "$dir/state" state)"
	check_eq "$d effective_policy" auto "$(kv "$dir/state" effective_policy)"
	check_eq "$d pci" yes "$(kv "$dir/state" pci)"
done
wide=$(find $SAC -type f -perm /077 | wc -l)
check_eq "files with group/other permission bits" 0 "$wide"
check_eq "mode of the debugfs mount point (no traversal by others)" 700 \
	"$(mode /sys/kernel/debug)"

# A non-root user (no capabilities) gets nothing.
for f in stats version devices/$EDU/stats devices/$EDU/state; do
	if nobody cat "$SAC/$f" >/dev/null 2>&1; then
		not_ok "uid 65534 cannot read $f (it could)"
	else
		ok "uid 65534 cannot read $f"
	fi
done
for f in devices/$EDU/policy default_policy; do
	before=$(cat "$SAC/$f")
	if nobody sh -c "echo dac > $SAC/$f" 2>/dev/null; then
		not_ok "uid 65534 cannot write $f (the write succeeded)"
	else
		ok "uid 65534 cannot write $f"
	fi
	check_eq "$f unchanged after the refused write" "$before" "$(cat "$SAC/$f")"
done
if nobody sh -c "echo all > $SAC/rearm" 2>/dev/null; then
	not_ok "uid 65534 cannot write rearm (the write succeeded)"
else
	ok "uid 65534 cannot write rearm"
fi

# DMA with the module loaded: it serves the allocations.
echo 1 > $SAC/reset_stats
for size in 1 2048 4095; do
	roundtrip $size
	check_eq "EDU roundtrip of $size bytes (module loaded)" ok "$rt_res"
	check "EDU roundtrip of $size bytes used 32-bit IOVAs ($rt_to, $rt_from)" \
		sh -c "[ $(( rt_to >> 32 )) -eq 0 ] && [ $(( rt_from >> 32 )) -eq 0 ] && [ $(( rt_to )) -ne 0 ]"
done
st=$SAC/devices/$EDU/stats
check_eq "EDU allocs = 2 mappings x 3 round trips" 6 "$(kv $st allocs)"
check_eq "EDU sac_tries" 6 "$(kv $st sac_tries)"
check_eq "EDU sac_hits" 6 "$(kv $st sac_hits)"
check_eq "EDU dac_allocs" 0 "$(kv $st dac_allocs)"
check_eq "EDU kernel_calls" 0 "$(kv $st kernel_calls)"
nvme_rw 4096 1 0
nvme_rw 65536 64 17
n=$(kv $SAC/devices/$NVME/stats allocs)
check "NVME allocations served by the module ($n)" [ "$n" -gt 0 ]
n=$(kv $SAC/devices/$NVME/stats failed)
check_eq "NVME failed allocations" 0 "$n"

n0=$(dmesg | grep -c 'iommu_sac: unloaded')
check "iommu_sac.ko unloads" unload_sac iommu_sac
check "debugfs directory removed" [ ! -e "$SAC" ]
check_eq "dmesg: one new unload message" 1 $(( $(dmesg | grep -c 'iommu_sac: unloaded') - n0 ))
roundtrip 4095
check_eq "EDU roundtrip after unload" ok "$rt_res"
nvme_rw 65536 16 5
check "sac_edu.ko unloads" unload_sac sac_edu
done_testing
