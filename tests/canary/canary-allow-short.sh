#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Canary: a device in the short form is refused (the header takes full PCI
# addresses, as /etc/sac/devices.env has them).
# allow: iommu-fault 00:05.0
# expect: ^header: '# allow: iommu-fault 00:05\.0': not a full PCI address
# timeout: 60
. ./lib.sh
check "nothing" true
done_testing
