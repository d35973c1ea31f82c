#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Canary: every check passes, the script exits 3.
# expect: ^exited 3 without a failed check$
# timeout: 60
. ./lib.sh
check "a passing check" true
echo "1..$_n"
exit 3
