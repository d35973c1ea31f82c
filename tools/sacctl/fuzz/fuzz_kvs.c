// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz the readers of the module's debugfs files: "key value" files
 * (sacfs_read_kvs, kvs_get, kvs_u64), one-line files, and a whole device
 * (sacfs_read_dev: state, stats, policy and the latency histogram), each
 * with the input as the file's content.
 */
#include "../sacctl.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[SAC_VAL_MAX];
	struct sac_kvs kvs;
	struct sac_dev d;
	int i;

	fuzz_fake_tree();
	fuzz_put("stats", data, size);
	if (!sacfs_read_kvs("stats", &kvs)) {
		if (kvs.n < 0 || kvs.n > SAC_KV_MAX)
			__builtin_trap();
		for (i = 0; i < kvs.n; i++)
			(void)kvs_u64(&kvs, kvs.kv[i].key);
		(void)kvs_get(&kvs, "allocs");
	}
	sacfs_read_line("stats", line, sizeof(line));
	fuzz_put("devices/0000:00:04.0/latency", data, size);
	fuzz_put("devices/0000:00:04.0/state", data, size);
	if (!sacfs_read_dev("0000:00:04.0", &d) &&
	    (d.nlat < 0 || d.nlat > SAC_LAT_MAX))
		__builtin_trap();
	return 0;
}
