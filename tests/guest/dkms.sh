#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The module DKMS installed (tests/vm/setup.d/dkms.sh put it in this
# guest's /lib/modules/KVER/updates/dkms/, and the host ran depmod) loads
# with kmod's real "modprobe iommu_sac", and the options of
# /etc/modprobe.d/iommu-sac.conf take effect: the default policy, a rule by
# PCI address and a rule by vendor:device ID (the address rule wins); a
# malformed option fails the load with a message; the version matches
# ./VERSION everywhere.
# lanes: arm64
# timeout: 120
. ./lib.sh

D=/sys/kernel/debug/iommu_sac
P=/sys/module/iommu_sac/parameters
CONF=/etc/modprobe.d/iommu-sac.conf
KVER=$(uname -r)
want=$(cat /etc/sac/version 2>/dev/null)
[ -n "$want" ] || skip_all "no DKMS-installed module in this guest (see the setup:dkms results)"

# kmod is one binary that acts by the name it was called with.
mkdir -p /tmp/kmod
for t in modprobe modinfo; do ln -sf /bin/kmod /tmp/kmod/$t; done
modprobe() { /tmp/kmod/modprobe "$@"; }
modinfo() { /tmp/kmod/modinfo "$@"; }

path=$(modprobe --show-depends iommu_sac 2>&1)
check_eq "modprobe resolves iommu_sac to the DKMS-installed modules, iommu_sac_fops first" \
	"insmod /lib/modules/$KVER/updates/dkms/iommu_sac_fops.ko insmod /lib/modules/$KVER/updates/dkms/iommu_sac.ko" "$(echo $path)"
check_eq "modinfo version is VERSION" "$want" "$(modinfo -F version iommu_sac)"
check "the shipped example config is only comments (no options)" \
	sh -c "! grep -q '^[^#]' $CONF"

# On arm64 (device tree) a PCI device joins its IOMMU group when a driver
# first binds (of_dma_configure() at probe): bind sac_edu once, so the edu
# are in the module's table at load, as they are from boot on amd64.
load_sac sac_edu >/dev/null 2>&1
unload_sac sac_edu
unload_sac_all
cat > $CONF <<EOC
# written by tests/guest/dkms.sh
options iommu_sac default_policy=sac devices=1234:11e8=dac,$EDU32=dma32
EOC
check "modprobe iommu_sac (options from $CONF)" modprobe iommu_sac
check_eq "parameter default_policy" sac "$(cat $P/default_policy)"
check_eq "parameter devices" "1234:11e8=dac,$EDU32=dma32" "$(cat $P/devices)"
check_eq "debugfs default_policy" sac "$(cat $D/default_policy)"
check_eq "$EDU policy (vendor:device rule)" dac "$(cat $D/devices/$EDU/policy)"
check_eq "$EDU32 policy (address rule beats the ID rule)" dma32 "$(cat $D/devices/$EDU32/policy)"
check_eq "$NVME policy (no rule)" default "$(cat $D/devices/$NVME/policy)"
check_eq "$NVME effective policy is the default" sac "$(kv $D/devices/$NVME/state effective_policy)"
check_eq "debugfs version is VERSION" "$want" "$(cat $D/version)"
check_eq "/sys/module/iommu_sac/version is VERSION" "$want" "$(cat /sys/module/iommu_sac/version)"
check "iommu_sac_fops was loaded with it" grep -q '^iommu_sac_fops ' /proc/modules
check "modprobe -r iommu_sac" modprobe -r iommu_sac
check "iommu_sac is unloaded" sh -c "! grep -q '^iommu_sac ' /proc/modules"
check "... and iommu_sac_fops with it" sh -c "! grep -q '^iommu_sac_fops ' /proc/modules"

echo "options iommu_sac devices=0000:00:04=dac" > $CONF
check "a malformed devices= fails the load" sh -c "! /tmp/kmod/modprobe iommu_sac 2>/dev/null"
check "... with a message naming the entry" sh -c "dmesg | tail -n 20 | grep -q \"malformed entry '0000:00:04=dac'\""
check "... and leaves nothing loaded" sh -c "! grep -q '^iommu_sac ' /proc/modules"
rm -f $CONF
done_testing
