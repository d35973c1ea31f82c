#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Canary: two plans (two TAP streams concatenated).
# expect: ^2 TAP plans
# timeout: 60
echo "1..1"
echo "ok 1 - one"
echo "1..1"
