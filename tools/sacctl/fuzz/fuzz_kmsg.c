// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz the kernel-log fault parser: one line (kmsg_parse_fault) and a whole
 * log (kmsg_count, as advise reads it), for a device the input may name.
 */
#include <stdlib.h>
#include <string.h>

#include "../sacctl.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	struct sac_kmsg k = { .buf = s, .len = size };
	struct sac_fault f;
	struct sac_faults c;

	if (kmsg_parse_fault(s, &f)) {
		/* What it reports must be a sane device name. */
		if (strlen(f.dev) >= sizeof(f.dev))
			__builtin_trap();
		kmsg_count(&k, f.dev, -1, &c);
		kmsg_count(&k, f.dev, f.ts, &c);
	}
	kmsg_count(&k, "0000:00:05.0", -1, &c);
	free(s);
	return 0;
}
