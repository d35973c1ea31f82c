#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Canary: the old header syntax "# allow: dmar-fault" (whole test, every
# device) is refused.
# allow: dmar-fault
# expect: ^header: unknown allow token 'dmar-fault'
# timeout: 60
. ./lib.sh
check "nothing" true
done_testing
