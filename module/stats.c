// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_sac: counters, the allocation latency histogram and its clock.
 *
 * The hook bumps one outcome counter and one histogram bucket per
 * allocation, per CPU, in the device's own set (the global set for devices
 * not in the table); see internal.h. Readers sum over the possible CPUs and
 * derive allocs and sac_tries, so a total is exact once the allocations it
 * counts have returned. The global figures are the global set plus every
 * device's set; a removed entry's counts are moved into the global set
 * after its grace period (a read in between misses them). A reset zeroes
 * the per-CPU slots while allocations may go on: an increment racing with
 * it may survive or be lost, nothing else.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpufeature.h>
#include <linux/cpumask.h>
#include <linux/string.h>
#include <linux/time64.h>

#include "internal.h"

DEFINE_PER_CPU(struct sac_stats, sac_global_pcpu);

DEFINE_STATIC_KEY_FALSE(sac_clock_tsc);
/* ns per TSC cycle << SAC_CYC2NS_SHIFT; written once, before the hook. */
u32 sac_cyc2ns_mult __read_mostly;

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

static void sac_stats_add_pcpu(struct sac_stats *out,
			       const struct sac_stats __percpu *s)
{
	int cpu;

	for_each_possible_cpu(cpu)
		sac_stats_add(out, per_cpu_ptr(s, cpu));
}

/* Derive the counters the hook does not count itself. */
static void sac_stats_finish(struct sac_stats *out)
{
	out->cnt[SAC_CNT_ALLOCS] = out->cnt[SAC_CNT_SAC_HITS] +
				   out->cnt[SAC_CNT_DAC_ALLOCS] +
				   out->cnt[SAC_CNT_FAILED];
	out->cnt[SAC_CNT_SAC_TRIES] = out->cnt[SAC_CNT_SAC_HITS] +
				      out->cnt[SAC_CNT_SAC_MISSES];
}

void sac_dev_stats(const struct sac_dev *sd, struct sac_stats *out)
{
	memset(out, 0, sizeof(*out));
	sac_stats_add_pcpu(out, sd->stats);
	sac_stats_finish(out);
}

void sac_global_stats(struct sac_stats *out)
{
	struct sac_dev *sd;
	int bkt;

	memset(out, 0, sizeof(*out));
	sac_stats_add_pcpu(out, &sac_global_pcpu);
	rcu_read_lock();
	sac_for_each_dev_rcu(bkt, sd)
		sac_stats_add_pcpu(out, sd->stats);
	rcu_read_unlock();
	sac_stats_finish(out);
}

void sac_stats_retire(struct sac_dev *sd)
{
	struct sac_stats sum = { 0 };
	int i;

	sac_stats_add_pcpu(&sum, sd->stats);
	/* this_cpu_add(): safe against the hook on this CPU. */
	for (i = 0; i < SAC_CNT_NR; i++)
		this_cpu_add(sac_global_pcpu.cnt[i], sum.cnt[i]);
	for (i = 0; i < SAC_LAT_BUCKETS; i++)
		this_cpu_add(sac_global_pcpu.lat[i], sum.lat[i]);
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

void sac_clock_init(void)
{
#ifdef CONFIG_X86_TSC
	/* tsc_khz >= 1000 keeps the multiplier within 32 bits. */
	if (boot_cpu_has(X86_FEATURE_TSC) &&
	    boot_cpu_has(X86_FEATURE_CONSTANT_TSC) &&
	    !check_tsc_unstable() && tsc_khz >= 1000) {
		sac_cyc2ns_mult = div_u64((u64)NSEC_PER_MSEC << SAC_CYC2NS_SHIFT,
					  tsc_khz);
		static_branch_enable(&sac_clock_tsc);
	}
#endif
	pr_info("latency clock: %s\n",
		static_branch_likely(&sac_clock_tsc) ? "tsc" : "local_clock");
}
