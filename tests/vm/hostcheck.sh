#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# hostcheck.sh snapshot FILE | compare FILE: the suite leaves the host as it
# was (issue 15). "snapshot" records what a kernel or a service installed on
# the host would change:
#   /boot             every entry with its size and mtime (a kernel image, a
#                     regenerated initramfs, a new boot entry)
#   /lib/modules      the kernel trees (an image or headers package)
#   enabled units     the enable links under /etc/systemd/system and
#                     /etc/rc?.d (what deb-systemd-helper enable creates),
#                     and systemctl list-unit-files --state=enabled when
#                     systemd answers
# "compare" prints TAP: one result per part, the differences as comments.
# make check takes the snapshot before tests/vm/deps.sh and run.py compares
# at the end (host/unchanged); make run compares after the demo.
set -uo pipefail

state() {
	echo "## /boot"
	(cd /boot 2>/dev/null && find . -mindepth 1 -printf '%p %s %T@\n' | sort)
	echo "## /lib/modules"
	ls -1 /lib/modules 2>/dev/null
	echo "## enabled units"
	find /etc/systemd/system /etc/rc[0-6S].d -mindepth 1 -type l -printf '%p -> %l\n' 2>/dev/null | sort
	systemctl list-unit-files --state=enabled --no-legend --no-pager 2>/dev/null |
		awk '{ print "systemctl:", $1, $2 }' | sort
}

# part NAME FILE: the lines of section NAME
part() { awk -v s="## $1" '/^## / { on = ($0 == s); next } on' "$2"; }

case ${1:-} in
snapshot)
	state > "${2:?usage: hostcheck.sh snapshot FILE}" ;;
compare)
	before=${2:?usage: hostcheck.sh compare FILE}
	[ -s "$before" ] || { echo "1..0 # SKIP no snapshot $before"; exit 0; }
	now=$(mktemp)
	trap 'rm -f "$now"' EXIT
	state > "$now"
	n=0 failed=0
	for p in /boot /lib/modules "enabled units"; do
		n=$((n + 1))
		d=$(diff <(part "$p" "$before") <(part "$p" "$now") | grep '^[<>]')
		if [ -z "$d" ]; then
			echo "ok $n - the host's $p unchanged by the run ($(part "$p" "$now" | grep -c .) entries)"
		else
			failed=$((failed + 1))
			echo "not ok $n - the host's $p unchanged by the run ($(echo "$d" | grep -c .) lines differ: < before, > after)"
			echo "$d" | head -n 20 | sed 's/^/# /'
		fi
	done
	echo "1..$n"
	[ "$failed" -eq 0 ] ;;
*)
	echo "usage: hostcheck.sh snapshot FILE | compare FILE" >&2
	exit 2 ;;
esac
