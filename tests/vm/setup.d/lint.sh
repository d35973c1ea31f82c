#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# setup.d/lint.sh KNAME: make lint (tests/lint/lint.sh: checkpatch, sparse
# C=2 against 6.1, tools with -Werror) as part of make check. Its sparse
# pass builds against 6.1, so it runs once, with kernel 6.1; for any other
# kernel it prints a skip plan (the runner requires a plan from every hook).
[ "${1:?usage: lint.sh KNAME}" = 6.1 ] || { echo "1..0 # SKIP lint runs once, with kernel 6.1"; exit 0; }
exec bash "$(dirname "$0")/../../lint/lint.sh"
