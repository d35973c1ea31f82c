#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Canary: declares an IOMMU fault for EDU32 and causes none.
# allow: iommu-fault 0000:00:05.0
# expect: ^expected IOMMU fault for 0000:00:05\.0 not seen
# timeout: 60
. ./lib.sh
check "no DMA at all" true
done_testing
