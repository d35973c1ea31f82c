#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Canary: declares faults of EDU32 (00:05.0); one of 00:05.0 comes (allowed)
# and one of EDU (00:04.0), which must fail the test.
# allow: iommu-fault 0000:00:05.0
# expect: ^kernel log: IOMMU fault of 0000:00:04\.0 \(VT-d DMA Write fault, not declared by this test\)
# timeout: 60
. ./lib.sh
echo '<3>DMAR: DRHD: handling fault status reg 2' > /dev/kmsg
echo '<3>DMAR: [DMA Write NO_PASID] Request device [00:05.0] fault addr 0x100000000 [fault reason 0x05] PTE Write access is not set' > /dev/kmsg
echo '<3>DMAR: DRHD: handling fault status reg 2' > /dev/kmsg
echo '<3>DMAR: [DMA Write NO_PASID] Request device [00:04.0] fault addr 0x100000000 [fault reason 0x05] PTE Write access is not set' > /dev/kmsg
check "planted two faults" true
done_testing
