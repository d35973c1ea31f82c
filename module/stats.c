// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_sac: counters and the allocation latency histogram.
 *
 * Every counter exists per CPU twice: in the global set (every allocation,
 * known device or not) and in the device's own set. The hook only does
 * this_cpu_inc() (internal.h); readers sum over the possible CPUs, so a
 * total is exact once the allocations it counts have returned. A reset
 * zeroes the per-CPU slots while allocations may go on: an increment racing
 * with it may survive or be lost, nothing else.
 */
#include <linux/cpumask.h>
#include <linux/string.h>

#include "internal.h"

DEFINE_PER_CPU(struct sac_stats, sac_global_pcpu);

static const char *const sac_counter_names[] = {
	[SAC_CNT_ALLOCS]		= "allocs",
	[SAC_CNT_SAC_TRIES]		= "sac_tries",
	[SAC_CNT_SAC_HITS]		= "sac_hits",
	[SAC_CNT_SAC_MISSES]		= "sac_misses",
	[SAC_CNT_DAC_ALLOCS]		= "dac_allocs",
	[SAC_CNT_FAILED]		= "failed",
	[SAC_CNT_DMA32_REFUSALS]	= "dma32_refusals",
	[SAC_CNT_SWITCHES]		= "switches",
	[SAC_CNT_KERNEL_CALLS]		= "kernel_calls",
};
static_assert(ARRAY_SIZE(sac_counter_names) == SAC_CNT_NR);

const char *sac_counter_name(enum sac_counter c)
{
	return c < SAC_CNT_NR ? sac_counter_names[c] : "?";
}

static void sac_stats_add(struct sac_stats *out, const struct sac_stats *s)
{
	int i;

	for (i = 0; i < SAC_CNT_NR; i++)
		out->cnt[i] += READ_ONCE(s->cnt[i]);
	for (i = 0; i < SAC_LAT_BUCKETS; i++)
		out->lat[i] += READ_ONCE(s->lat[i]);
}

void sac_dev_stats(const struct sac_dev *sd, struct sac_stats *out)
{
	int cpu;

	memset(out, 0, sizeof(*out));
	for_each_possible_cpu(cpu)
		sac_stats_add(out, per_cpu_ptr(sd->stats, cpu));
}

void sac_global_stats(struct sac_stats *out)
{
	int cpu;

	memset(out, 0, sizeof(*out));
	for_each_possible_cpu(cpu)
		sac_stats_add(out, per_cpu_ptr(&sac_global_pcpu, cpu));
}

static void sac_stats_zero(struct sac_stats __percpu *s)
{
	int cpu;

	for_each_possible_cpu(cpu)
		memset(per_cpu_ptr(s, cpu), 0, sizeof(struct sac_stats));
}

void sac_stats_reset(void)
{
	struct sac_dev *sd;
	int bkt;

	sac_stats_zero(&sac_global_pcpu);
	rcu_read_lock();
	sac_for_each_dev_rcu(bkt, sd)
		sac_stats_zero(sd->stats);
	rcu_read_unlock();
}
