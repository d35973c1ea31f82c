#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Canary, run last in its boot (names sort): lowers the console loglevel so
# that its own end marker never reaches the console, as with a truncated or
# missing console log. The runner must fail it rather than scan nothing.
# expect: ^console log missing/truncated: no 'sac-test: end canary-zz-console-quiet'
# timeout: 60
. ./lib.sh
check "console loglevel set to 1" sh -c "echo 1 > /proc/sys/kernel/printk"
done_testing
