#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Canary that must PASS: declares EDU32's faults, and they come in every
# form the scanner knows for it (6.1/6.12 and 7.2 VT-d records with their
# status line, AMD-Vi with and without the device prefix). Guards against
# a scanner that fails everything.
# allow: iommu-fault 0000:00:05.0
# expect: pass
# timeout: 60
. ./lib.sh
echo '<3>DMAR: DRHD: handling fault status reg 2' > /dev/kmsg
echo '<3>DMAR: [DMA Read NO_PASID] Request device [00:05.0] fault addr 0x100000000 [fault reason 0x06] PTE Read access is not set' > /dev/kmsg
echo '<3>DMAR: DRHD: handling fault status reg 302' > /dev/kmsg
echo '<3>DMAR: [DMA Write NO_PASID] Request device [0000:00:05.0] fault addr 0x100001000 [fault reason 0x05] PTE Write access is not set' > /dev/kmsg
echo '<3>sac_edu 0000:00:05.0: AMD-Vi: Event logged [IO_PAGE_FAULT domain=0x0002 address=0x100000000 flags=0x0000]' > /dev/kmsg
echo '<3>AMD-Vi: Event logged [IO_PAGE_FAULT device=0000:00:05.0 domain=0x0002 address=0x100000000 flags=0x0020]' > /dev/kmsg
check "planted allowed faults" true
done_testing
