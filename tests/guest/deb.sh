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

check "iommu_sac from an earlier test is unloaded" unload_sac iommu_sac
check "the packaged module loads (insmod $P/iommu_sac.ko)" insmod $P/iommu_sac.ko
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

# The exporter: the service's command as the package ships it.
cmd=$(sed -n 's/^ExecStart=//p' $P/sacctl-prometheus.service)
case $cmd in
/usr/sbin/sacctl\ *) ok "ExecStart runs the packaged sacctl ($cmd)" ;;
*) not_ok "ExecStart runs /usr/sbin/sacctl (saw '$cmd')" ;;
esac
file=${cmd##* }
dir=$(dirname "$file")
mkdir -p "$dir"
rm -f "$file"
# shellcheck disable=SC2086
pkg_sacctl ${cmd#/usr/sbin/sacctl }
check_eq "the exporter command exits 0" 0 $?
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
done_testing
