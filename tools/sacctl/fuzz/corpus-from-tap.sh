#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# corpus-from-tap.sh TAP.LOG: the debugfs files that tests/guest/
# debugfs-formats.sh printed in a guest ("# file REL" then "# | LINE"
# lines) into the seed corpus: tests/corpus/kvs/ (stats, state, latency)
# and tests/corpus/iova32/ (iova32 views), one file each, named after the
# kernel and the file. KNAME names the kernel (default: the log's folder).
set -eu
log=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
kname=${KNAME:-$(basename "$(dirname "$(dirname "$log")")")}
cd "$(dirname "$0")/../tests/corpus"
# (the guest's serial port ends lines with CR LF)
tr -d '\r' < "$log" | awk -v k="$kname" '
	/^# file / { f = $3; gsub(/[:\/]/, "_", f); n = 0
		     dir = ($3 ~ /iova32$/) ? "iova32" : "kvs"
		     out = ($3 ~ /(version|default_policy|policy)$/) ? "" : dir "/" k "-" f
		     if (out != "") printf "" > out; next }
	/^# \| / && out != "" { sub(/^# \| /, ""); print >> out }
'
ls kvs iova32 | wc -l
