// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_sac: counters, the allocation latency histogram and its clock.
 *
 * The hook counts per CPU, in the device's own set (the global set for
 * devices not in the table); see internal.h. Readers sum over the possible
 * CPUs, subtract the base recorded by the last reset, and derive sac_tries,
 * so a total is exact once the allocations it counts have returned. The
 * global figures are the global set plus every device's set plus the
 * retired set (the counts of removed entries, moved there once the entry
 * drained). A reset records bases instead of zeroing the per-CPU slots: the
 * raw slots also tell how many redirected calls are still in flight, which
 * the unload and the freeing of entries rely on.
 *
 * Latency timing costs two clock reads per allocation and is off by
 * default; it is on while it has a user (the timing parameter or debugfs
 * control, and the sac_alloc trace event while it is enabled), and then
 * the callback sends calls to the timed copies of the replacement.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpufeature.h>
#include <linux/cpumask.h>
#include <linux/mutex.h>
#include <linux/string.h>
#include <linux/time64.h>

#include "internal.h"
#include "trace.h"

DEFINE_PER_CPU(struct sac_pcpu, sac_global_pcpu);

/* Bases and the retired set: readers, resets and retirements. */
static DEFINE_MUTEX(sac_stats_lock);
static struct sac_pcpu sac_global_base;
static struct sac_pcpu sac_retired;

/* Latency timing on (any user): the hook's timed copies (hook.c). */
static bool sac_timing;
DEFINE_STATIC_KEY_FALSE(sac_clock_tsc);

#define SAC_CYC2NS_SHIFT	22
/* ns per TSC cycle << SAC_CYC2NS_SHIFT; written once, before the hook. */
static u32 sac_cyc2ns_mult __read_mostly;

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

static void sac_raw_add(struct sac_pcpu *out, const struct sac_pcpu *s)
{
	int i;

	for (i = 0; i < SAC_RAW_NR; i++)
		out->raw[i] += READ_ONCE(s->raw[i]);
	for (i = 0; i < SAC_RAW_LAT; i++)
		out->lat[i] += READ_ONCE(s->lat[i]);
}

static void sac_raw_sub(struct sac_pcpu *out, const struct sac_pcpu *s)
{
	int i;

	for (i = 0; i < SAC_RAW_NR; i++)
		out->raw[i] -= s->raw[i];
	for (i = 0; i < SAC_RAW_LAT; i++)
		out->lat[i] -= s->lat[i];
}

/* Add a per-CPU set's sums to @out (no base subtracted). */
static void sac_raw_add_pcpu(struct sac_pcpu *out,
			     const struct sac_pcpu __percpu *s)
{
	int cpu;

	for_each_possible_cpu(cpu)
		sac_raw_add(out, per_cpu_ptr(s, cpu));
}

/* The sums of a per-CPU set (no base subtracted). */
static void sac_raw_sum(struct sac_pcpu *out,
			const struct sac_pcpu __percpu *s)
{
	memset(out, 0, sizeof(*out));
	sac_raw_add_pcpu(out, s);
}

/*
 * The counters of enum sac_counter from the raw ones (internal.h). Every
 * redirected call counted its target; a try32 call with a limit within 32
 * bits made no attempt (untried), a failed attempt is a miss followed by a
 * full-range attempt, a dma32 call is a 32-bit attempt whose failure is a
 * miss and a refusal. So: allocs = full + try32 + clamp32; sac_tries =
 * try32 - untried + clamp32; sac_misses = misses + refusals; sac_hits =
 * tries - sac_misses; failed = failed; dac_allocs = the rest of allocs.
 * Exact once the calls counted have returned.
 */
static u64 sac_sub0(u64 a, u64 b)
{
	return a > b ? a - b : 0;
}

/*
 * The exported histogram from the raw one: bucket 0 takes the negative
 * differences too, the last bucket everything from 2^(SAC_LAT_BUCKETS - 1).
 */
static void sac_lat_fold(u64 *lat, const u64 *raw)
{
	int i;

	memcpy(lat, raw, (SAC_LAT_BUCKETS - 1) * sizeof(*lat));
	lat[0] += raw[SAC_RAW_LAT - 1];
	lat[SAC_LAT_BUCKETS - 1] = 0;
	for (i = SAC_LAT_BUCKETS - 1; i < SAC_RAW_LAT - 1; i++)
		lat[SAC_LAT_BUCKETS - 1] += raw[i];
}
static_assert(SAC_LAT_BUCKETS < SAC_RAW_LAT);

static void sac_stats_derive(struct sac_stats *out, const struct sac_pcpu *r)
{
	u64 allocs = r->raw[SAC_RAW_FULL] + r->raw[SAC_RAW_TRY32] +
		     r->raw[SAC_RAW_CLAMP32];
	u64 tries = sac_sub0(r->raw[SAC_RAW_TRY32], r->raw[SAC_RAW_UNTRIED]) +
		    r->raw[SAC_RAW_CLAMP32];
	u64 misses = r->raw[SAC_RAW_MISSES] + r->raw[SAC_RAW_REFUSALS];
	/* A call in flight during the read: never below 0. */
	u64 hits = sac_sub0(tries, misses);

	memset(out, 0, sizeof(*out));
	out->cnt[SAC_CNT_ALLOCS] = allocs;
	out->cnt[SAC_CNT_SAC_TRIES] = tries;
	out->cnt[SAC_CNT_SAC_HITS] = hits;
	out->cnt[SAC_CNT_SAC_MISSES] = misses;
	out->cnt[SAC_CNT_FAILED] = r->raw[SAC_RAW_FAILED];
	out->cnt[SAC_CNT_DAC_ALLOCS] = sac_sub0(allocs, hits + r->raw[SAC_RAW_FAILED]);
	out->cnt[SAC_CNT_DMA32_REFUSALS] = r->raw[SAC_RAW_REFUSALS];
	out->cnt[SAC_CNT_SWITCHES] = r->raw[SAC_RAW_SWITCHES];
	out->cnt[SAC_CNT_KERNEL_CALLS] = r->raw[SAC_RAW_KERNEL];
	sac_lat_fold(out->lat, r->lat);
}

long sac_stats_inflight(struct sac_pcpu __percpu *stats)
{
	long allocs = 0, done = 0;
	int cpu;

	if (!SAC_COUNT_DONE)
		return -1;
	/*
	 * Returns first: read later, the calls counted can only be more, so
	 * a concurrent return never makes the difference look drained early.
	 */
	for_each_possible_cpu(cpu)
		done += READ_ONCE(per_cpu_ptr(stats, cpu)->raw[SAC_RAW_DONE]);
	/* The returns' reads above before the calls' reads below. */
	smp_rmb();
	for_each_possible_cpu(cpu) {
		const struct sac_pcpu *s = per_cpu_ptr(stats, cpu);

		allocs += READ_ONCE(s->raw[SAC_RAW_FULL]) +
			  READ_ONCE(s->raw[SAC_RAW_TRY32]) +
			  READ_ONCE(s->raw[SAC_RAW_CLAMP32]);
	}
	return allocs - done;
}

long sac_inflight_total(void)
{
	struct sac_dev *sd;
	long sum;
	int bkt;

	sum = sac_stats_inflight(&sac_global_pcpu);
	if (sum < 0)
		return sum;
	rcu_read_lock();
	sac_for_each_dev_rcu(bkt, sd)
		sum += sac_stats_inflight(sd->stats);
	rcu_read_unlock();
	return sum;
}

void sac_dev_stats(const struct sac_dev *sd, struct sac_stats *out)
{
	struct sac_pcpu r;

	sac_raw_sum(&r, sd->stats);
	mutex_lock(&sac_stats_lock);
	sac_raw_sub(&r, &sd->base);
	mutex_unlock(&sac_stats_lock);
	sac_stats_derive(out, &r);
}

void sac_global_stats(struct sac_stats *out)
{
	struct sac_pcpu r;
	struct sac_dev *sd;
	int bkt;

	mutex_lock(&sac_stats_lock);
	sac_raw_sum(&r, &sac_global_pcpu);
	sac_raw_sub(&r, &sac_global_base);
	sac_raw_add(&r, &sac_retired);
	rcu_read_lock();
	/* Each device's sums less its base, added in place (mod 2^64). */
	sac_for_each_dev_rcu(bkt, sd) {
		sac_raw_add_pcpu(&r, sd->stats);
		sac_raw_sub(&r, &sd->base);
	}
	rcu_read_unlock();
	mutex_unlock(&sac_stats_lock);
	sac_stats_derive(out, &r);
}

void sac_stats_retire(struct sac_dev *sd)
{
	struct sac_pcpu r;

	sac_raw_sum(&r, sd->stats);
	mutex_lock(&sac_stats_lock);
	sac_raw_sub(&r, &sd->base);
	sac_raw_add(&sac_retired, &r);
	mutex_unlock(&sac_stats_lock);
}

void sac_stats_reset(void)
{
	struct sac_dev *sd;
	int bkt;

	mutex_lock(&sac_stats_lock);
	sac_raw_sum(&sac_global_base, &sac_global_pcpu);
	memset(&sac_retired, 0, sizeof(sac_retired));
	rcu_read_lock();
	sac_for_each_dev_rcu(bkt, sd)
		sac_raw_sum(&sd->base, sd->stats);
	rcu_read_unlock();
	mutex_unlock(&sac_stats_lock);
}

u64 notrace sac_clock_units_to_ns(u64 units)
{
	if (static_branch_likely(&sac_clock_tsc))
		return mul_u64_u32_shr(units, sac_cyc2ns_mult,
				       SAC_CYC2NS_SHIFT);
	return units;
}

void sac_lat_bounds(unsigned int b, u64 *lo, u64 *hi)
{
	u64 l = 0, next;
	unsigned int i;

	/* Strictly increasing even where a bucket is below 1 ns wide. */
	for (i = 1; i <= b; i++)
		l = max(sac_clock_units_to_ns(1ULL << i), l + 1);
	*lo = l;
	if (b >= SAC_LAT_BUCKETS - 1) {
		*hi = U64_MAX;
		return;
	}
	next = max(sac_clock_units_to_ns(2ULL << b), l + 1);
	*hi = next - 1;
}

/* sac_timing_lock held: timing goes on or off for every user. */
static void sac_timing_change(bool on)
{
	WRITE_ONCE(sac_timing, on);
	sac_hook_set_timed(on);
}

/* Users of the timing key: the switch (parameter/control), the trace event. */
static DEFINE_MUTEX(sac_timing_lock);
static unsigned int sac_timing_users;
static bool sac_timing_switch;

void sac_timing_get(void)
{
	mutex_lock(&sac_timing_lock);
	if (!sac_timing_users++)
		sac_timing_change(true);
	mutex_unlock(&sac_timing_lock);
}

void sac_timing_put(void)
{
	mutex_lock(&sac_timing_lock);
	if (!WARN_ON_ONCE(!sac_timing_users) && !--sac_timing_users)
		sac_timing_change(false);
	mutex_unlock(&sac_timing_lock);
}

bool sac_timing_enabled(void)
{
	return READ_ONCE(sac_timing);
}

void sac_timing_set(bool on)
{
	mutex_lock(&sac_timing_lock);
	if (on != sac_timing_switch) {
		sac_timing_switch = on;
		if (on && !sac_timing_users++)
			sac_timing_change(true);
		else if (!on && !--sac_timing_users)
			sac_timing_change(false);
	}
	mutex_unlock(&sac_timing_lock);
}

bool sac_timing_switched_on(void)
{
	return READ_ONCE(sac_timing_switch);
}

/*
 * Statistics: on by default. Off, on kernels with the native bit, the hook
 * is unregistered while no device needs it (hook.c), and what the kernel
 * then allocates is not counted.
 */
static DEFINE_MUTEX(sac_statistics_lock);
static bool sac_statistics = true;

void sac_statistics_init(bool on)
{
	sac_statistics = on;
}

bool sac_statistics_on(void)
{
	return READ_ONCE(sac_statistics);
}

int sac_statistics_set(bool on)
{
	int ret = 0;

	mutex_lock(&sac_statistics_lock);
	if (on)
		ret = sac_hook_require();
	if (!ret) {
		WRITE_ONCE(sac_statistics, on);
		if (!on)
			sac_hook_relax();
	}
	mutex_unlock(&sac_statistics_lock);
	return ret;
}

/* The sac_alloc trace event's registration (trace.h): timing follows it. */
int sac_trace_alloc_reg(void)
{
	sac_timing_get();
	return 0;
}

void sac_trace_alloc_unreg(void)
{
	sac_timing_put();
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
	/* The hook's timed copies read this clock (hook.c). */
	mutex_lock(&sac_timing_lock);
	sac_hook_set_timed(sac_timing);
	mutex_unlock(&sac_timing_lock);
}
