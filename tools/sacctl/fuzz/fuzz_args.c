// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz sacctl's command line: the input, split at NUL bytes, is argv[1..]
 * of the real main() (sacctl.c built with main renamed), against a fake
 * debugfs and sysfs, in its folder. Commands that wait (watch, trace), save
 * and any path are left out; output goes to /dev/null. Every exit code must be one of SACCTL_E*.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sacctl.h"
#include "fuzz.h"

int sacctl_main(int argc, char **argv);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size), *argv[18];
	size_t off = 0;
	int argc = 1, i, ret;

	if (!stdout || !freopen("/dev/null", "w", stdout))
		__builtin_trap();
	fuzz_fake_tree();
	argv[0] = "sacctl";
	while (off < size && argc < 17) {
		argv[argc++] = s + off;
		off += strlen(s + off) + 1;
	}
	argv[argc] = NULL;
	/*
	 * Nothing that waits, and nothing that could write outside the fake
	 * tree: no paths at all, and no save (its default file is the
	 * host's /etc/modprobe.d/iommu-sac.conf). Relative names (stats -o)
	 * land in the fake tree's folder, the working directory.
	 */
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "watch") || !strcmp(argv[i], "trace") ||
		    !strcmp(argv[i], "save") || strchr(argv[i], '/')) {
			free(s);
			return 0;
		}
	optind = 0;
	memset(&sacctl_opts, 0, sizeof(sacctl_opts));
	ret = sacctl_main(argc, argv);
	if (ret < 0 || ret > SACCTL_ENOPOLICY)
		__builtin_trap();
	free(s);
	return 0;
}
