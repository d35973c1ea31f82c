#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The Debian packages in use: the module iommu-sac-dkms built for this
# kernel (tests/vm/setup.d/deb.sh installed both packages in the kernel's
# chroot and put what they installed under /pkg), loaded and steered with
# the packaged sacctl (run with the libraries it resolved to in that root),
# and the exporter service's own ExecStart command, whose output
# node_exporter would read, checked with promtool.
# timeout: 180
. ./lib.sh

P=/pkg
[ -f $P/version ] || skip_all "no packages for this kernel (see its setup:deb results)"
want=$(cat $P/version)
# The packaged binary with the libraries of the root it was installed in.
pkg_sacctl() { $P/lib/ld-linux-x86-64.so.2 --library-path $P/lib $P/sacctl "$@"; }
D=/sys/kernel/debug/iommu_sac

check "iommu_sac from an earlier test is unloaded, and iommu_sac_fops" unload_sac_all
check "the packaged iommu_sac_fops loads (insmod $P/iommu_sac_fops.ko)" insmod $P/iommu_sac_fops.ko
check "the packaged module loads (insmod $P/iommu_sac.ko)" insmod $P/iommu_sac.ko
check_eq "iommu_sac_fops's version is VERSION" "$want" "$(cat /sys/module/iommu_sac_fops/version 2>/dev/null)"
check_eq "its version is VERSION" "$want" "$(cat /sys/module/iommu_sac/version 2>/dev/null)"
check "sac_edu.ko loads" load_sac sac_edu
check_eq "packaged sacctl --version" "sacctl $want" "$(pkg_sacctl --version 2>&1 | head -n1)"

pkg_sacctl list > /tmp/deb.list 2>&1
check_eq "packaged sacctl list: exit 0" 0 $?
check "sacctl list shows $EDU" grep -q "^$EDU " /tmp/deb.list
check_eq "packaged sacctl set $EDU dac: exit 0" 0 "$(pkg_sacctl set "$EDU" dac >/dev/null 2>&1; echo $?)"
check_eq "the override is in the module" dac "$(cat $D/devices/$EDU/policy)"
check_eq "one round trip on $EDU under dac" ok "$(rt "$EDU" 4095)"
allocs=$(kv $D/devices/$EDU/stats allocs)
check "$EDU has allocations to report ($allocs)" [ "${allocs:-0}" -gt 0 ]

# The exporter: the service as systemd runs it when its timer fires: the
# unit's ConditionPathIsDirectory= checks (a failed one skips the run),
# then its ExecStart= line ($$ is systemd's escape for $), with
# /usr/sbin/sacctl the packaged binary.
unit=$P/sacctl-prometheus.service
mkdir -p /usr/sbin
printf '#!/bin/sh\nexec %s/lib/ld-linux-x86-64.so.2 --library-path %s/lib %s/sacctl "$@"\n' $P $P $P > /usr/sbin/sacctl
chmod 755 /usr/sbin/sacctl
run_unit() {
	for c in $(sed -n 's/^ConditionPathIsDirectory=//p' $unit); do
		[ -d "$c" ] || { echo "# condition failed: $c: systemd skips the run"; return 0; }
	done
	eval "$(sed -n 's/^ExecStart=//p' $unit | sed 's/[$][$]/$/g')"
}
cmd=$(sed -n 's/^ExecStart=//p' $unit)
case $cmd in
*/usr/sbin/sacctl\ stats\ --prometheus\ --output\ *) ok "ExecStart runs the packaged sacctl stats --prometheus ($cmd)" ;;
*) not_ok "ExecStart runs /usr/sbin/sacctl stats --prometheus --output (saw '$cmd')" ;;
esac
file=$(echo "$cmd" | grep -o '/var/lib/prometheus/node-exporter/[^ ]*\.prom' | head -n1)
dir=/var/lib/prometheus/node-exporter
check_eq "the textfile is in node_exporter's textfile folder" "$dir" "$(dirname "${file:-/none/x}")"
mkdir -p "$dir"
rm -f "$file"
run_unit
check_eq "the exporter unit's run exits 0" 0 $?
check "it wrote $file" [ -s "$file" ]
check_eq "no temporary file left in $dir" "$(basename "$file")" "$(ls -A "$dir")"
check_eq "allocations of $EDU in the textfile" "$(kv $D/devices/$EDU/stats allocs)" \
	"$(awk -v d="iommu_sac_allocations_total{device=\"$EDU\"}" '$1 == d { print $2 }' "$file")"
if [ -x $P/promtool ]; then
	$P/promtool check metrics < "$file" > /tmp/deb.promtool 2>&1
	check_eq "promtool check metrics accepts the textfile" 0 $?
	sed 's/^/# promtool: /' /tmp/deb.promtool | head -n 5
else
	skip "promtool check metrics" "no promtool in the cache to copy in (tests/vm/deps.sh)"
fi

check "sac_edu unloads" unload_sac sac_edu
check "the packaged module unloads" unload_sac iommu_sac

# Unloaded, the next run must not leave the last statistics behind for
# node_exporter to export as current: no iommu_sac textfile at all.
run_unit
check_eq "the exporter unit's run without the module exits 0" 0 $?
if [ -e "$file" ]; then
	not_ok "no stale textfile once the module is unloaded ($file still holds $(grep -c '^iommu_sac' "$file") samples of the unloaded module)"
else
	ok "no stale textfile once the module is unloaded ($file removed)"
fi
check_eq "nothing else left in $dir" "" "$(ls -A "$dir")"
rm -f /usr/sbin/sacctl
done_testing
