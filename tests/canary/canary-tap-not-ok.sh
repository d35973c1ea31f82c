#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Canary: a failed check.
# expect: ^not ok 1 - a failed check$
# timeout: 60
. ./lib.sh
check "a failed check" false
done_testing
