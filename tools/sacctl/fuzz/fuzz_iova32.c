// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz the iova32 view: the input as devices/<dev>/iova32, read by
 * iova32_read() and shown every way sacctl shows it (show's section, JSON,
 * list's cells, advise's figures).
 */
#include <math.h>
#include <stdio.h>

#include "../sacctl.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char used[32], fit[32], why[SAC_VAL_MAX];
	struct sac_iova32 v;
	static FILE *null;

	if (!null) {
		null = fopen("/dev/null", "w");
		if (!null || !freopen("/dev/null", "w", stdout))
			__builtin_trap();
	}
	fuzz_fake_tree();
	fuzz_put("devices/0000:00:04.0/iova32", data, size);
	iova32_read("0000:00:04.0", &v);
	iova32_why_not(&v, why, sizeof(why));
	iova32_cells(&v, used, sizeof(used), fit, sizeof(fit));
	(void)iova32_alloc_pages(&v);
	(void)iova32_used_pct(&v);
	if (v.nhist < 0 || v.nhist > SAC_IOVA32_HIST_MAX)
		__builtin_trap();
	iova32_print(&v, "  ");
	jw = jsonw_new(stdout, false);
	if (jw) {
		jsonw_start_object(jw);
		iova32_json(&v);
		jsonw_end_object(jw);
		jsonw_destroy(&jw);
	}
	return 0;
}
