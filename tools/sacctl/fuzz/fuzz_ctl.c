// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz the sysfs control plane's rule-set rewrite (ctl_devices_with): the
 * input is "CUR\0NAME\0POLICY\0IDS" (missing parts are empty).
 */
#include <stdlib.h>
#include <string.h>

#include "../sacctl.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size), *part[4] = { "", "", "", "" };
	char out[4096];
	size_t off = 0;
	int i;

	for (i = 0; i < 4 && off <= size; i++) {
		part[i] = s + off;
		off += strlen(s + off) + 1;
	}
	if (!ctl_devices_with(part[0], part[1], part[2], part[3], out,
			      sizeof(out)) && strlen(out) >= sizeof(out))
		__builtin_trap();
	free(s);
	return 0;
}
