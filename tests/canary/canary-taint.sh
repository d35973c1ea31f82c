#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Canary: sets taint bit 6 (U, "taint requested by userspace") through
# /proc/sys/kernel/tainted, as a real new taint (W after a WARN, R after
# rmmod -f, ...) would appear; the runner must name the bit.
# expect: ^kernel tainted: new taint U \(bit 6: taint requested by userspace\)
# timeout: 60
. ./lib.sh
check "taint bit 6 (U) set" sh -c "echo 64 > /proc/sys/kernel/tainted"
done_testing
