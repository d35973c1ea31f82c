#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# lint.sh (make lint; also run by make check through setup.d/lint.sh):
# static checks, TAP on stdout, findings as "# file:line: message" lines.
#
#   checkpatch.pl --file     every .c/.h of module/, debugfs/, tests/drivers/
#                            (compat.h may keep its LINUX_VERSION_CODE
#                            warnings: it is the one file allowed them)
#   sparse (C=2)             the module and the test drivers, built against
#                            kernel 6.1 in its chroot; any sparse or compiler
#                            warning fails
#   -Wall -Wextra -Werror    every tools/*/ with a Makefile
#
# checkpatch.pl and the two data files it reads come from Debian's
# linux-source-6.1 package, downloaded with apt and cached (three files
# only) under $SAC_CACHE/lint/. Builds run in a scratch copy, never in the
# working tree.

set -uo pipefail
. "$(dirname "$0")/../vm/lib.sh"

LINT=$SAC_CACHE/lint
KSRC=$LINT/linux-6.1
CHECKPATCH=$KSRC/scripts/checkpatch.pl
SCRIPTS="scripts/checkpatch.pl scripts/spelling.txt scripts/const_structs.checkpatch"
# Warnings that are the compat header's job (see STYLE.md): its version
# tests, "LINUX_VERSION_CODE < KERNEL_VERSION(...)", compare two constants.
COMPAT_IGNORE=LINUX_VERSION_CODE,CONSTANT_COMPARISON

. "$SAC_TOP/tests/vm/tap.sh"
diag()   { sed 's/^/# /'; }

# The three checkpatch files, from linux-source-6.1 (apt), cached.
provision_checkpatch() {
	local deb tmp

	have_scripts && return 0
	mkdir -p "$LINT"
	exec 7> "$LINT.lock"
	flock 7
	have_scripts && return 0
	# The package the VM suite may already hold (read only), else apt.
	deb=$(ls "$SAC_CACHE"/src/linux-source-6.1_*_all.deb "$LINT"/linux-source-6.1_*_all.deb 2>/dev/null | tail -n1)
	if [ -z "$deb" ]; then
		log "lint: downloading linux-source-6.1 for checkpatch.pl (once)"
		host_pkgs xz-utils
		(cd "$LINT" && apt-get download -q linux-source-6.1 >&2) ||
			die "apt-get download linux-source-6.1 failed"
		deb=$(ls "$LINT"/linux-source-6.1_*_all.deb | tail -n1)
	fi
	log "lint: extracting $SCRIPTS from $(basename "$deb")"
	tmp=$(mktemp -d "$LINT/x.XXXXXX")
	dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/src/linux-source-6.1.tar.xz |
		tar -xJ -C "$tmp" --strip-components=1 $(printf 'linux-source-6.1/%s ' $SCRIPTS) ||
		die "extracting checkpatch.pl from $deb failed"
	rm -rf "$KSRC"
	mv "$tmp" "$KSRC"
	rm -f "$LINT"/linux-source-6.1_*_all.deb
	have_scripts || die "linux-source-6.1 lacks $SCRIPTS"
}

have_scripts() {
	local f

	for f in $SCRIPTS; do
		[ -s "$KSRC/$f" ] || return 1
	done
}

run_checkpatch() {
	local f out extra

	for f in $(cd "$SAC_TOP" && ls module/*.[ch] debugfs/*.[ch] tests/drivers/*.[ch] 2>/dev/null |
		grep -v '\.mod\.c$'); do
		extra=
		[ "$f" = module/compat.h ] && extra="--ignore $COMPAT_IGNORE"
		# shellcheck disable=SC2086
		out=$(cd "$SAC_TOP" && perl "$CHECKPATCH" --no-tree --file --terse \
			--show-types --no-summary $extra "$f" 2>&1)
		if [ -z "$out" ]; then
			ok "checkpatch $f${extra:+ ($extra)}"
		else
			not_ok "checkpatch $f: $(echo "$out" | grep -c ': \(WARNING\|ERROR\|CHECK\):') finding(s)"
			echo "$out" | diag
		fi
	done
}

# sparse over a scratch copy of the module trees, against the 6.1 headers,
# in kernel 6.1's chroot (sparse installed there, not on the host).
run_sparse() {
	local desc tmp t out kdir root

	desc=$(bash "$SAC_TOP/tests/vm/provision.sh" 6.1) || { not_ok "sparse: kernel 6.1 provisioned"; return; }
	kdir=$(. "$desc"; echo "$KDIR")
	root=$(. "$desc"; echo "$ROOT")
	root_pkgs "$root" sparse
	mkdir -p "$root/build"
	tmp=$(mktemp -d "$root/build/iommu-sac-lint.XXXXXX")
	tar -C "$SAC_TOP" --exclude=./out --exclude=./results --exclude=./.git \
		--exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' --exclude='*.mod*' \
		-cf - Kbuild VERSION module debugfs tests/drivers | tar -C "$tmp" -xf -
	for t in . tests/drivers; do
		[ -e "$tmp/$t/Kbuild" ] || continue
		out=$(in_root "$root" make -s -C "$kdir" M="${tmp#"$root"}/$t" C=2 CHECK=sparse modules 2>&1)
		rc=$?
		out=$(echo "$out" | grep -E '(warning|error):' | sed "s|${tmp#"$root"}/||g")
		if [ $rc -eq 0 ] && [ -z "$out" ]; then
			ok "sparse C=2 on 6.1: ${t/#./iommu_sac.ko} clean"
		else
			not_ok "sparse C=2 on 6.1: ${t/#./iommu_sac.ko}: $(echo "$out" | grep -c .) finding(s), make exit $rc"
			echo "$out" | diag
		fi
	done
	rm -rf "$tmp"
}

# Every tool built with -Wall -Wextra -Werror (added to CC, so whatever
# CFLAGS the tool's Makefile sets, these apply too).
run_tools() {
	local mk d tmp out

	for mk in "$SAC_TOP"/tools/*/Makefile; do
		[ -e "$mk" ] || continue
		d=$(dirname "$mk")
		tmp=$(mktemp -d /tmp/iommu-sac-lint.XXXXXX)
		mkdir -p "$tmp/tools"
		cp "$SAC_TOP/VERSION" "$tmp/"
		cp -r "$d" "$tmp/tools/"
		make -s -C "$tmp/tools/$(basename "$d")" clean >/dev/null 2>&1
		if out=$(make -s -C "$tmp/tools/$(basename "$d")" CC="gcc -Wall -Wextra -Werror" 2>&1); then
			ok "${d#"$SAC_TOP"/} builds with -Wall -Wextra -Werror"
		else
			not_ok "${d#"$SAC_TOP"/} builds with -Wall -Wextra -Werror"
			echo "$out" | sed "s|$tmp/||g" | tail -n 30 | diag
		fi
		rm -rf "$tmp"
	done
}

provision_checkpatch
run_checkpatch
run_sparse
run_tools
echo "1..$n"
[ "$failed" -eq 0 ]
