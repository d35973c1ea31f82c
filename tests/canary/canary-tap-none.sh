#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Canary (a test of the runner, never counted): prints no TAP at all and
# exits 0. The runner must fail it.
# expect: ^no TAP output: no plan and no result$
# timeout: 60
: nothing
