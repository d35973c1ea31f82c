// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz device-name resolution: PCI addresses in every form (sac_parse_pci)
 * and DEV arguments (sac_resolve) against a fake sysfs, and policy names.
 */
#include <stdlib.h>
#include <string.h>

#include "../sacctl.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	char out[SAC_NAME_MAX], why[256];

	fuzz_fake_tree();
	/* DDDD:BB:DD.F with a domain of 4 to 8 digits */
	if (sac_parse_pci(s, out, sizeof(out)) &&
	    (strlen(out) < 12 || strlen(out) > 16))
		__builtin_trap();
	sac_parse_pci(s, out, 4);	/* too small a buffer: must say no */
	sac_resolve(s, out, sizeof(out), why, sizeof(why));
	(void)sac_policy_valid(s, true);
	free(s);
	return 0;
}
