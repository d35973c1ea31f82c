#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# sacctl save: the running policies (a load-time vendor:device rule, runtime
# overrides, a changed default) written as modprobe options; unload, load
# with exactly the saved line, and every device's policy and the default
# are what they were. Also --dry-run (a diff, nothing written) and the
# refusal for a device that follows the default under an ID rule.
# timeout: 180
. ./lib.sh

command -v sacctl >/dev/null || skip_all "sacctl not built (make -C tools/sacctl)"
D=/sys/kernel/debug/iommu_sac
C=/tmp/save/iommu-sac.conf
mkdir -p /tmp/save
rm -f $C
id=$(sed 's/^0x//' /sys/bus/pci/devices/$NIC0/vendor):$(sed 's/^0x//' /sys/bus/pci/devices/$NIC0/device)
diag "e1000e ID $id (NIC0 $NIC0, NIC1 $NIC1)"

check "iommu_sac from an earlier test is unloaded" unload_sac iommu_sac
check "loads with devices=$id=sac" insmod /lib/sac/iommu_sac.ko "devices=$id=sac"
check_eq "NIC1 has the ID rule's policy" sac "$(cat $D/devices/$NIC1/policy)"
check_eq "sacctl set EDU dac" 0 "$(sacctl set "$EDU" dac >/dev/null 2>&1; echo $?)"
check_eq "sacctl set EDU32 dma32" 0 "$(sacctl set "$EDU32" dma32 >/dev/null 2>&1; echo $?)"
check_eq "sacctl set NIC0 dac (beats the ID rule)" 0 "$(sacctl set "$NIC0" dac >/dev/null 2>&1; echo $?)"
check_eq "sacctl default kernel" 0 "$(sacctl default kernel >/dev/null 2>&1; echo $?)"

# The running policies: "DEV POLICY" of every device, and the default.
policies() {
	for d in $D/devices/*; do echo "$(basename "$d") $(cat "$d/policy")"; done
	echo "default $(cat $D/default_policy)"
}
policies > /tmp/save/before
diag "running: $(tr '\n' ' ' < /tmp/save/before)"

sacctl save --dry-run --file $C > /tmp/save/diff 2>&1
check_eq "save --dry-run: exit 0" 0 $?
check "save --dry-run wrote nothing" [ ! -e $C ]
check "save --dry-run shows the options line as added" grep -q "^+options iommu_sac default_policy=kernel " /tmp/save/diff
sacctl save --file $C > /tmp/save/out 2>&1
check_eq "save: exit 0" 0 $?
opts=$(sed -n 's/^options iommu_sac //p' $C)
diag "saved: $opts"
check_eq "save: one options line" 1 "$(grep -c '^options iommu_sac ' $C)"
check "save: the ID rule is kept" sh -c "echo '$opts' | grep -q 'devices=$id=sac'"

check "unload" unload_sac iommu_sac
# What modprobe would pass: the saved line's parameters.
# shellcheck disable=SC2086
check "load with the saved options" insmod /lib/sac/iommu_sac.ko $opts
policies > /tmp/save/after
if cmp -s /tmp/save/before /tmp/save/after; then
	ok "after the reload every policy and the default are as saved ($(wc -l < /tmp/save/after) lines)"
else
	not_ok "after the reload every policy and the default are as saved"
	diff /tmp/save/before /tmp/save/after | sed 's/^/# /'
fi

# NIC1 follows the default while the ID rule names it: not expressible.
echo default > $D/devices/$NIC1/policy
cp $C /tmp/save/conf.before
sacctl save --file $C > /tmp/save/out 2> /tmp/save/err
check_eq "save refuses a default-following device under an ID rule: exit 1" 1 $?
check "the refusal names NIC1" grep -q "$NIC1 follows the default policy" /tmp/save/err
check "refused: the saved file is unchanged" cmp -s /tmp/save/conf.before $C

check "unload at the end" unload_sac iommu_sac
done_testing
