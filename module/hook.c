// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_sac: the ftrace redirection of iommu_dma_alloc_iova() and the
 * allocator that runs in its place. This is the hot path.
 *
 * The ftrace callback (sac_ftrace_handler) sees the four arguments of
 * iommu_dma_alloc_iova(domain, size, dma_limit, dev) in the saved registers,
 * finds the device's entry (one RCU hash lookup) and loads its hot word: the
 * domain last seen | the target computed for it under the device's lock
 * whenever the policy, the default, the state or the domain changed
 * (policy.c). A different domain takes the slow path
 * (sac_dev_hot_refresh(): layout verification, 6.1's re-arm on a new
 * domain, the native bit). The callback counts the call by its target in
 * the entry's per-CPU counters, the one count of the common path. Target
 * kernel leaves the IP alone, so the kernel's own function runs; any other
 * target points the IP at that target's replacement (sac_alloc_full(),
 * _try32(), _clamp32(), or their timed copies), which has the signature of
 * the original plus a fifth argument the callback writes into the saved
 * frame's spare argument register: the entry (one store, on every kernel).
 * The trampoline "returns" into it with the original arguments and return
 * address, so it returns to the original caller. The original is never
 * called through a pointer (IBT seals it on 6.12+).
 *
 * The replacement is the running kernel's iommu_dma_alloc_iova() (6.1,
 * 6.12 and 7.2 agree apart from the SAC condition; the size round-up lives
 * in alloc_iova_fast() on all of them), except that the target decides the
 * 32-bit attempt. It looks nothing up and counts nothing on its common
 * path: a hit below 4 GiB under try32, a full-range IOVA under full, a
 * 32-bit one under clamp32 are what the callback's count already says.
 * The rare outcomes (a 32-bit miss, which may switch the device; a
 * failure; a try32 call whose limit is within 32 bits) are counted out of
 * line, in the entry handed over.
 *
 * Latency timing lives in the timed copies, which the callback picks only
 * while timing is on: off, it costs nothing. Their common path is two
 * clock reads around the allocation, the latency bucket (one per-CPU
 * increment in the entry handed over) and the sac_alloc event's static
 * key, tested first: while the event is enabled the call goes to
 * sac_alloc_traced(), which keeps the event's arguments across the
 * allocation; the timed copies keep only the clock value.
 *
 * Lifetime of the entry on this path (internal.h, SAC_COUNT_DONE): the
 * callback looks it up as a tasks-RCU reader; a removed entry is freed
 * only after an RCU and a tasks-RCU grace period, and nothing between the
 * callback and the replacement's return sleeps except, on PREEMPT_RT, an
 * rtlock inside alloc_iova_fast(). There the replacement counts its return
 * as its last access to the entry, and freeing waits for the count. So no
 * rcu_read_lock() and no second lookup on this path: the replacement uses
 * the entry the callback found.
 *
 * Recursion: the callback takes no recursion lock. Everything it reaches is
 * notrace or inlined and maps no DMA, so it cannot re-enter
 * iommu_dma_alloc_iova() from inside itself; printing (the switch notice,
 * a netconsole driver mapping a buffer) happens in the replacement, which
 * is an ordinary reentrant function. Where several ftrace ops share the
 * call site, ftrace's list function guards the callbacks with its own
 * recursion lock.
 *
 * The ops is FTRACE_OPS_FL_PERMANENT, as livepatch's: while it is
 * registered, a write of 0 to kernel.ftrace_enabled fails with EBUSY
 * instead of turning the call site back into a NOP behind our back (a
 * dma32 device would get IOVAs above 4 GiB again).
 *
 * Unload: unregister_ftrace_function() waits, for our dynamic ops, until
 * no CPU is in the callback (synchronize_rcu_tasks_rude()) and, on
 * preemptible kernels, synchronize_rcu_tasks(). On PREEMPT_RT
 * sac_hook_exit() then waits until every redirected call counted its
 * return (sac_inflight_total()). Then it always waits for a tasks-RCU grace
 * period of its own: a task between its last count and its final RET (or,
 * without the return count, anywhere in the replacement, where nothing
 * sleeps off PREEMPT_RT) must be gone before the text is freed. The wait
 * cannot be skipped: alloc_iova_fast() takes spinlocks, which are sleeping
 * rtlocks on PREEMPT_RT, and tasks-RCU counts a task blocked on one as
 * quiescent, so the grace period inside unregister_ftrace_function() may
 * have ended while a task was still in sac_alloc_iova(). If unregistering
 * fails, a call site may still reach the callback: sac_hook_exit() then
 * never returns (the module's text and tables stay, the hook keeps
 * working), and says so.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/ftrace.h>
#include <linux/iommu.h>
#include <linux/iova.h>
#include <linux/jiffies.h>
#include <linux/minmax.h>
#include <linux/sizes.h>
#include <linux/utsname.h>

#include "internal.h"
#include "trace.h"

static const char sac_target[] = "iommu_dma_alloc_iova";

/* Written at init and exit only. */
static bool sac_hook_registered;

/* ---------------------------------------------------------------------- */
/* Layout verification                                                    */

/*
 * Does @domain's private DMA cookie hold an iova_domain where compat.h says,
 * looking like init_iova_domain() made it? A wrong offset fails this with
 * overwhelming probability: the granule must be a power of two >= 4 KiB
 * equal to the domain's smallest page size, dma_32bit_pfn must match it,
 * and the rbtree anchor must hold IOVA_ANCHOR twice.
 */
bool notrace sac_layout_verify(const struct iommu_domain *domain)
{
	const struct iova_domain *iovad;
	unsigned long granule, shift;

	if (!(domain->type & __IOMMU_DOMAIN_DMA_API) ||
	    !sac_domain_has_iova_cookie(domain))
		return false;
	iovad = sac_domain_iovad(domain);
	granule = READ_ONCE(iovad->granule);
	if (granule < SZ_4K || !is_power_of_2(granule) ||
	    !domain->pgsize_bitmap ||
	    granule != 1UL << __ffs(domain->pgsize_bitmap))
		return false;
	shift = __ffs(granule);
	if (shift >= 32 ||
	    READ_ONCE(iovad->dma_32bit_pfn) != 1UL << (32 - shift))
		return false;
	return iovad->anchor.pfn_lo == SAC_IOVA_ANCHOR &&
	       iovad->anchor.pfn_hi == SAC_IOVA_ANCHOR &&
	       READ_ONCE(iovad->start_pfn) != 0;
}

bool sac_domain_layout_ok(const struct iommu_domain *domain)
{
	return sac_layout_verify(domain);
}

/*
 * A driver just bound to the device: look at its domain now, not only at its
 * next allocation, so that a new domain (group type change, re-probe)
 * re-arms the device before anyone reads its state.
 */
void sac_dev_domain_refresh(struct sac_dev *sd)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(sd->dev);

	if (domain && (domain->type & __IOMMU_DOMAIN_DMA_API))
		sac_dev_hot_refresh(sd, domain);
}

struct sac_layout_tally {
	unsigned int verified;
	unsigned int failed;
};

static void sac_layout_check_one(struct sac_dev *sd, void *arg)
{
	struct sac_layout_tally *t = arg;
	struct iommu_domain *domain;

	/*
	 * No device_lock(): bus notifiers run under it and take the table
	 * mutex, which the caller holds. Only a concurrent write of the
	 * group's type could change the domain under us.
	 */
	domain = iommu_get_domain_for_dev(sd->dev);
	if (domain && (domain->type & __IOMMU_DOMAIN_DMA_API)) {
		if (sac_layout_verify(domain)) {
			t->verified++;
		} else {
			t->failed++;
			dev_warn(sd->dev, "DMA cookie layout does not verify: left to the kernel\n");
		}
	}
}

int sac_layout_check(void)
{
	struct sac_layout_tally t = { 0 };

	sac_devtable_for_each(sac_layout_check_one, &t);
	if (!SAC_KERNEL_VOUCHED && (!t.verified || t.failed)) {
		pr_err("kernel %s is not one whose DMA cookie layout was read from source (6.1, 6.12, 7.2), and its live domains do not prove it (%u verified, %u failed): refusing to load\n",
		       utsname()->release, t.verified, t.failed);
		return -EOPNOTSUPP;
	}
	pr_info("DMA cookie layout: %s, %u domains verified, %u failed\n",
		SAC_KERNEL_VOUCHED ? "known kernel" : "verified at load",
		t.verified, t.failed);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* The replacement allocator                                              */

/*
 * How a copy of the replacement times its calls: not at all, the latency
 * bucket only with the clock named (the clock is chosen once, at load,
 * before the hook: stats.c sac_clock_init(); the copy follows it, so the
 * timed copies read their clock without testing its static key), or the
 * bucket and the sac_alloc event. The timed copies test the event's
 * static key first and leave a traced call to sac_alloc_traced(), so that
 * their common path keeps nothing but the clock value and the entry
 * across the allocation.
 */
enum sac_alloc_mode {
	SAC_M_PLAIN,
	SAC_M_TSC,	/* get_cycles() */
	SAC_M_LCLOCK,	/* local_clock() */
	SAC_M_TRACED,	/* sac_clock(), and the event */
};

/* The clock of a timed mode: the same one sac_clock() reads. */
static __always_inline u64 sac_alloc_clock(enum sac_alloc_mode mode)
{
	if (mode == SAC_M_TSC)
		return get_cycles();
	if (mode == SAC_M_LCLOCK)
		return local_clock();
	return sac_clock();
}

/*
 * The end of every redirected call. On PREEMPT_RT its last access to the
 * entry is counting its return (internal.h: SAC_COUNT_DONE); elsewhere
 * nothing is counted here.
 */
static __always_inline void sac_alloc_return(struct sac_dev *sd)
{
	if (SAC_COUNT_DONE) {
		/* Every access to the entry before the count that frees it. */
		sac_release_barrier();
		this_cpu_inc(sd->stats->raw[SAC_RAW_DONE]);
	}
}

/* Did a call of @target with (clamped) @dma_limit try 32 bits first? */
static __always_inline bool sac_tried32(enum sac_target target, u64 dma_limit)
{
	return target == SAC_T_CLAMP32 ||
	       (target == SAC_T_TRY32 && dma_limit > DMA_BIT_MASK(32));
}

/* A timed call's sac_alloc event (the event is enabled). Out of line. */
static noinline void notrace sac_alloc_trace(struct sac_dev *sd,
					     enum sac_target target,
					     bool hit32, u64 addr, size_t size,
					     u64 dma_limit, s64 units)
{
	trace_sac_alloc(sd->dev, size, dma_limit, addr,
			sac_tried32(target, dma_limit), hit32,
			sac_clock_units_to_ns(units > 0 ? units : 0),
			sac_dev_policy(sd));
}

/* A timed call ends: its latency bucket. @t0: the clock when it began. */
static __always_inline s64 sac_alloc_time(struct sac_dev *sd, u64 t0,
					  enum sac_alloc_mode mode)
{
	/* Signed: the task may have moved to a CPU whose clock is behind. */
	s64 units = sac_alloc_clock(mode) - t0;

	this_cpu_inc(sd->stats->lat[sac_lat_bucket(units)]);
	return units;
}

/* The same, and the sac_alloc event while it is enabled. */
static __always_inline void sac_alloc_time_trace(struct sac_dev *sd, u64 t0,
						 enum sac_alloc_mode mode,
						 enum sac_target target,
						 bool hit32, u64 addr,
						 size_t size, u64 dma_limit)
{
	s64 units = sac_alloc_time(sd, t0, mode);

	if (trace_sac_alloc_enabled())
		sac_alloc_trace(sd, target, hit32, addr, size, dma_limit, units);
}

/* Target try32: the 32-bit attempt failed. Out of line. */
static noinline dma_addr_t notrace sac_alloc_miss(struct iova_domain *iovad,
						  unsigned long iova_len,
						  unsigned long shift,
						  u64 dma_limit,
						  struct sac_dev *sd,
						  enum sac_alloc_mode mode,
						  u64 t0)
{
	unsigned long iova;

	this_cpu_inc(sd->stats->raw[SAC_RAW_MISSES]);
	/* Policy sac keeps trying 32 bits first; auto switches once. */
	if (sac_dev_policy(sd) != SAC_POLICY_SAC)
		sac_dev_switch(sd, sd->dev, dma_limit, iova_len << shift);
	iova = alloc_iova_fast(iovad, iova_len, dma_limit >> shift, true);
	if (!iova)
		this_cpu_inc(sd->stats->raw[SAC_RAW_FAILED]);
	if (mode != SAC_M_PLAIN)
		sac_alloc_time_trace(sd, t0, mode, SAC_T_TRY32, false,
				     (u64)iova << shift, iova_len << shift,
				     dma_limit);
	sac_alloc_return(sd);
	return (dma_addr_t)iova << shift;
}

/*
 * No IOVA in the full (or, for dma32, the 32-bit) range. Out of line.
 * @size and @dma_limit: for the event (SAC_M_TRACED) only.
 */
static noinline dma_addr_t notrace sac_alloc_failed(struct sac_dev *sd,
						    enum sac_target target,
						    enum sac_alloc_mode mode,
						    u64 t0, size_t size,
						    u64 dma_limit)
{
	this_cpu_inc(sd->stats->raw[SAC_RAW_FAILED]);
	if (target == SAC_T_CLAMP32)
		this_cpu_inc(sd->stats->raw[SAC_RAW_REFUSALS]);
	if (mode == SAC_M_TRACED)
		sac_alloc_time_trace(sd, t0, mode, target, false, 0, size,
				     dma_limit);
	else if (mode != SAC_M_PLAIN)
		sac_alloc_time(sd, t0, mode);
	sac_alloc_return(sd);
	return 0;
}

/* Target try32 with a limit within 32 bits: no attempt. Out of line. */
static noinline void notrace sac_alloc_untried(struct sac_dev *sd)
{
	this_cpu_inc(sd->stats->raw[SAC_RAW_UNTRIED]);
}

static noinline dma_addr_t notrace sac_alloc_traced(struct iommu_domain *domain,
						    size_t size, u64 dma_limit,
						    struct device *dev,
						    struct sac_dev *sd,
						    enum sac_target target);

/*
 * The replacement for one target (constant where it is inlined, but in
 * sac_alloc_traced()) and mode (always constant): the running kernel's
 * iommu_dma_alloc_iova() with the target's 32-bit rule. @sd: the entry the
 * callback counted the call in (never NULL: a device without one is left
 * to the kernel).
 */
static __always_inline dma_addr_t sac_alloc(struct iommu_domain *domain,
					    size_t size, u64 dma_limit,
					    struct device *dev,
					    struct sac_dev *sd,
					    const enum sac_target target,
					    const enum sac_alloc_mode mode)
{
	struct iova_domain *iovad;
	unsigned long shift, iova_len, limit_pfn, iova;
	dma_addr_t addr;
	u64 t0 = 0;

	if ((mode == SAC_M_TSC || mode == SAC_M_LCLOCK) &&
	    trace_sac_alloc_enabled())
		return sac_alloc_traced(domain, size, dma_limit, dev, sd,
					target);

	dma_limit = min_not_zero(dma_limit, dev->bus_dma_limit);

	if (domain->geometry.force_aperture)
		dma_limit = min_t(u64, dma_limit,
				  domain->geometry.aperture_end);

	iovad = sac_domain_iovad(domain);
	shift = iova_shift(iovad);
	iova_len = size >> shift;

	limit_pfn = dma_limit >> shift;
	/*
	 * The clock brackets the allocations, not the arithmetic above:
	 * read here, it keeps nothing alive that the allocation does not.
	 */
	if (mode != SAC_M_PLAIN)
		t0 = sac_alloc_clock(mode);
	if (target == SAC_T_TRY32) {
		if (likely(dma_limit > DMA_BIT_MASK(32))) {
			iova = alloc_iova_fast(iovad, iova_len,
					       DMA_BIT_MASK(32) >> shift, false);
			if (unlikely(!iova))
				return sac_alloc_miss(iovad, iova_len, shift,
						      dma_limit, sd, mode, t0);
			goto done;
		}
		/* A limit within 32 bits: the kernel makes no attempt either. */
		sac_alloc_untried(sd);
	} else if (target == SAC_T_CLAMP32) {
		/* dma32: below 4 GiB or nothing, reclaiming cached IOVAs first. */
		limit_pfn = min_t(u64, dma_limit, DMA_BIT_MASK(32)) >> shift;
	}
	iova = alloc_iova_fast(iovad, iova_len, limit_pfn, true);
	if (unlikely(!iova))
		return sac_alloc_failed(sd, target, mode, t0,
					mode == SAC_M_TRACED ?
					iova_len << shift : 0,
					mode == SAC_M_TRACED ? dma_limit : 0);
done:
	/* Now: the shift is dead across the clock read below. */
	addr = (dma_addr_t)iova << shift;
	if (mode == SAC_M_TRACED)
		sac_alloc_time_trace(sd, t0, mode, target,
				     sac_tried32(target, dma_limit), addr,
				     iova_len << shift, dma_limit);
	else if (mode != SAC_M_PLAIN)
		sac_alloc_time(sd, t0, mode);
	sac_alloc_return(sd);
	return addr;
}

/*
 * A timed call while the sac_alloc event is enabled: the event's arguments
 * kept across the allocation. One copy for every target.
 */
static noinline dma_addr_t notrace sac_alloc_traced(struct iommu_domain *domain,
						    size_t size, u64 dma_limit,
						    struct device *dev,
						    struct sac_dev *sd,
						    enum sac_target target)
{
	return sac_alloc(domain, size, dma_limit, dev, sd, target,
			 SAC_M_TRACED);
}

/*
 * Entered from the ftrace trampoline in place of iommu_dma_alloc_iova(),
 * with its arguments and, in the frame's fifth argument register, the
 * entry the callback counted the call in; the callback picked the target's
 * function: plain, or timed with the TSC or with local_clock().
 */
#define SAC_DEFINE_ALLOC(name, target)					\
static dma_addr_t notrace						\
sac_alloc_##name(struct iommu_domain *domain, size_t size,		\
		 u64 dma_limit, struct device *dev, struct sac_dev *sd)	\
{									\
	return sac_alloc(domain, size, dma_limit, dev, sd, target,	\
			 SAC_M_PLAIN);					\
}									\
									\
static dma_addr_t notrace						\
sac_alloc_##name##_tsc(struct iommu_domain *domain, size_t size,	\
		       u64 dma_limit, struct device *dev,		\
		       struct sac_dev *sd)				\
{									\
	return sac_alloc(domain, size, dma_limit, dev, sd, target,	\
			 SAC_M_TSC);					\
}									\
									\
static dma_addr_t notrace						\
sac_alloc_##name##_lclock(struct iommu_domain *domain, size_t size,	\
			  u64 dma_limit, struct device *dev,		\
			  struct sac_dev *sd)				\
{									\
	return sac_alloc(domain, size, dma_limit, dev, sd, target,	\
			 SAC_M_LCLOCK);					\
}

SAC_DEFINE_ALLOC(full, SAC_T_FULL)
SAC_DEFINE_ALLOC(try32, SAC_T_TRY32)
SAC_DEFINE_ALLOC(clamp32, SAC_T_CLAMP32)

static const unsigned long sac_alloc_plain[] = {
	[SAC_T_FULL]	= (unsigned long)sac_alloc_full,
	[SAC_T_TRY32]	= (unsigned long)sac_alloc_try32,
	[SAC_T_CLAMP32]	= (unsigned long)sac_alloc_clamp32,
};

static const unsigned long sac_alloc_tsc[] = {
	[SAC_T_FULL]	= (unsigned long)sac_alloc_full_tsc,
	[SAC_T_TRY32]	= (unsigned long)sac_alloc_try32_tsc,
	[SAC_T_CLAMP32]	= (unsigned long)sac_alloc_clamp32_tsc,
};

static const unsigned long sac_alloc_lclock[] = {
	[SAC_T_FULL]	= (unsigned long)sac_alloc_full_lclock,
	[SAC_T_TRY32]	= (unsigned long)sac_alloc_try32_lclock,
	[SAC_T_CLAMP32]	= (unsigned long)sac_alloc_clamp32_lclock,
};

/*
 * The replacement of each target (kernel: none), the plain or the timed
 * copy: the callback loads the IP from here, so switching timing costs
 * the common path nothing (not even a patched NOP). A call that picked
 * one copy runs it to the end.
 */
static unsigned long sac_alloc_fns[ARRAY_SIZE(sac_alloc_plain)] __read_mostly = {
	[SAC_T_FULL]	= (unsigned long)sac_alloc_full,
	[SAC_T_TRY32]	= (unsigned long)sac_alloc_try32,
	[SAC_T_CLAMP32]	= (unsigned long)sac_alloc_clamp32,
};

/*
 * Timing went on or off, or the clock was chosen (stats.c, under its
 * timing lock): the timed copies of the clock sac_clock() reads.
 */
void sac_hook_set_timed(bool on)
{
	const unsigned long *fns = sac_alloc_plain;
	int t;

	if (on)
		fns = static_key_enabled(&sac_clock_tsc) ? sac_alloc_tsc :
							   sac_alloc_lclock;
	for (t = SAC_T_FULL; t < ARRAY_SIZE(sac_alloc_fns); t++)
		WRITE_ONCE(sac_alloc_fns[t], fns[t]);
}

/* ---------------------------------------------------------------------- */
/* The ftrace callback                                                    */

/*
 * Send this call to the replacement of @target, with its entry in the
 * frame's fifth argument register (one store): the replacement never looks
 * the device up again.
 */
static __always_inline void sac_redirect(struct ftrace_regs *fregs,
					 unsigned long target,
					 struct sac_dev *sd)
{
	sac_fregs_set_arg4(fregs, (unsigned long)sd);
	ftrace_regs_set_instruction_pointer(fregs, READ_ONCE(sac_alloc_fns[target]));
}

/*
 * The callback's slow path, out of line so that its common path needs no
 * stack frame: the device is not in the table (left to the kernel, counted
 * in the global counters), or its domain is not the one in the entry's hot
 * word.
 */
static noinline void notrace sac_hook_slow(struct ftrace_regs *fregs,
					   struct sac_dev *sd,
					   struct iommu_domain *domain,
					   struct device *dev)
{
	enum sac_target target = SAC_T_KERNEL;
	unsigned long hot;

	if (sd) {
		hot = READ_ONCE(sd->hot);
		if ((hot & ~SAC_HOT_TARGET) != (unsigned long)domain)
			hot = sac_dev_hot_refresh(sd, domain);
		target = hot & SAC_HOT_TARGET;
	}
	/*
	 * Not in the table: its entry could not be made (out of memory,
	 * logged once as "not tracked by iommu_sac"). The kernel's, as that
	 * line says, whatever the default policy.
	 */
	/* enum sac_raw counts a target at its own index (internal.h). */
	sac_count(sd, (enum sac_raw)target);
	if (target != SAC_T_KERNEL)
		sac_redirect(fregs, target, sd);
}

/*
 * Called straight from our ftrace trampoline, with the argument registers
 * saved (all x86-64 kernels have DYNAMIC_FTRACE_WITH_ARGS; the frame is
 * enough to read arguments, write a spare one and set the IP, as livepatch
 * does). No lock, no preemption toggling: the callback is a tasks-RCU
 * reader of the device table (see the top), and this_cpu_inc() is one
 * instruction that preemption cannot split.
 */
static void notrace sac_ftrace_handler(unsigned long ip,
				       unsigned long parent_ip,
				       struct ftrace_ops *ops,
				       struct ftrace_regs *fregs)
{
	struct iommu_domain *domain;
	struct device *dev;
	struct sac_dev *sd;
	unsigned long t;

	domain = (struct iommu_domain *)ftrace_regs_get_argument(fregs, 0);
	dev = (struct device *)ftrace_regs_get_argument(fregs, 3);

	sd = sac_dev_lookup(dev);
	if (likely(sd)) {
		/* The domain's pointer has its low bits clear: t is the target. */
		t = READ_ONCE(sd->hot) ^ (unsigned long)domain;
		if (likely(t <= SAC_HOT_TARGET)) {
			/* The one count of the common path: by target. */
			this_cpu_inc(sd->stats->raw[t]);
			if (t != SAC_T_KERNEL)
				sac_redirect(fregs, t, sd);
			return;
		}
	}
	sac_hook_slow(fregs, sd, domain, dev);
}

/*
 * PERMANENT: kernel/trace/ftrace.c, ftrace_enable_sysctl() refuses to turn
 * ftrace off while such an ops is registered, and __register_ftrace_function()
 * refuses to register one while ftrace_enabled is 0 (sac_hook_init()).
 */
static struct ftrace_ops sac_ftrace_ops = {
	.func	= sac_ftrace_handler,
	.flags	= FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_PERMANENT
#ifndef CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS
		| FTRACE_OPS_FL_SAVE_REGS
#endif
		,
};

void sac_hook_info(struct sac_hook_info *info)
{
	info->registered = READ_ONCE(sac_hook_registered);
	info->inflight = sac_inflight_total();
	info->timing = sac_timing_enabled();
	info->timing_switch = sac_timing_switched_on();
	info->vouched = SAC_KERNEL_VOUCHED;
	info->forcedac = sac_forcedac();
	info->native_bit = SAC_HAVE_NATIVE_BIT;
	info->devices = sac_devtable_count();
}

/*
 * Registration. On kernels with the native bit (6.6+) the hook is
 * registered only while something needs it (sac_hook_needed()): with
 * statistics off and every device on auto, dac or kernel, the kernel's own
 * iommu_dma_alloc_iova() carries those policies through the per-device bit
 * (dac: the bit held clear while the hook is off, policy.c), and the call
 * site is left as the kernel made it. sac_hook_lock serialises changes.
 */
static DEFINE_MUTEX(sac_hook_lock);
/* The ops' filter holds iommu_dma_alloc_iova (sac_hook_lock). */
static bool sac_hook_filtered;

/*
 * Where the module is (sac_hook_lock). Only sac_hook_init() and
 * sac_hook_exit() register and unregister outside SAC_HOOK_LIVE: the front
 * end's files exist before the hook's init and after its exit, and a
 * change written there that needs the hook must not register the ops on
 * its own. Before init, init's own registration would then find the ops
 * enabled (__register_ftrace_function(): WARN_ON and -EBUSY), fail the
 * load and leave the ops registered; after exit, the module's text would
 * be freed under a live trampoline.
 */
static enum {
	SAC_HOOK_LOADING,
	SAC_HOOK_LIVE,
	SAC_HOOK_GONE,
} sac_hook_phase;

/* @then: what follows a refusal ("refusing to load", ...), for the log. */
static int sac_hook_register(const char *then)
{
	/* ftrace_set_filter() wants a writable buffer. */
	char buf[sizeof(sac_target)];
	int ret;

	lockdep_assert_held(&sac_hook_lock);
	if (!sac_hook_filtered) {
		memcpy(buf, sac_target, sizeof(buf));
		ret = ftrace_set_filter(&sac_ftrace_ops, buf, strlen(buf), 1);
		if (ret) {
			/* ftrace_set_hash(): -EINVAL when no function matches */
			pr_err("cannot hook %s(): %s (%d)\n", sac_target,
			       ret == -EINVAL ?
			       "not in available_filter_functions" :
			       "cannot set the ftrace filter", ret);
			return ret;
		}
		sac_hook_filtered = true;
	}
	ret = register_ftrace_function(&sac_ftrace_ops);
	/*
	 * EBUSY: __register_ftrace_function() refuses a PERMANENT ops while
	 * ftrace is off ("if (!ftrace_enabled && (ops->flags &
	 * FTRACE_OPS_FL_PERMANENT)) return -EBUSY;"), and
	 * ftrace_hash_ipmodify_enable() refuses a second IPMODIFY owner.
	 */
	if (ret == -EBUSY && !sac_ftrace_enabled()) {
		pr_err("kernel.ftrace_enabled is 0: the hook would not run, %s (sysctl kernel.ftrace_enabled=1 first)\n",
		       then);
	} else if (ret == -EBUSY) {
		pr_err("%s() already has an IPMODIFY ftrace user (a livepatch, kpatch or kprobe post_handler)%s: %s\n",
		       sac_target, sac_ftrace_enabled() < 0 ?
		       ", or kernel.ftrace_enabled is 0" : "", then);
	} else if (ret) {
		pr_err("cannot register the ftrace hook on %s(): %d\n",
		       sac_target, ret);
	}
	if (ret)
		return ret;
	WRITE_ONCE(sac_hook_registered, true);
	return 0;
}

/*
 * The filter is set once and freed once, at exit: ftrace_free_filter()
 * frees the ops' hashes without resetting its pointers (kernel/trace/
 * ftrace.c, 6.1 and 6.12: "free_ftrace_hash(ops->func_hash->filter_hash);"
 * and nothing after), so a later ftrace_set_filter() on the same ops would
 * free them again: "kernel BUG at mm/slub.c:550!" in __slab_free, from
 * sac_hook_register() re-registering after a runtime unregistration.
 */
static void sac_hook_free_filter(void)
{
	if (sac_hook_filtered) {
		ftrace_free_filter(&sac_ftrace_ops);
		sac_hook_filtered = false;
	}
}

/*
 * Wait until no task can be in our text any more (the unload). On
 * PREEMPT_RT first until every redirected call counted its return, then
 * always a tasks-RCU grace period (see the top of this file).
 */
static void sac_hook_quiesce(void)
{
	unsigned long warn_at = jiffies + 10 * HZ;

	/* No new redirections from here on: the sum can only fall (RT). */
	while (sac_inflight_total() > 0) {
		if (time_after(jiffies, warn_at)) {
			pr_warn("still waiting for %ld allocations in flight\n",
				sac_inflight_total());
			warn_at = jiffies + 10 * HZ;
		}
		usleep_range(500, 1000);
	}
	/*
	 * Unconditionally: on PREEMPT_RT a task blocked on an rtlock in
	 * alloc_iova_fast() was quiescent for the grace period inside
	 * unregister_ftrace_function(), and may still be between its last
	 * count and its RET.
	 */
	synchronize_rcu_tasks();
}

/*
 * Unregister. At run time the text stays: a call still in the replacement
 * finishes there, and its entry lives on (devtable.c); the unload then
 * waits (sac_hook_quiesce()).
 */
static void sac_hook_unregister(void)
{
	int ret;

	lockdep_assert_held(&sac_hook_lock);
	ret = unregister_ftrace_function(&sac_ftrace_ops);
	if (ret) {
		/*
		 * The call site may still reach the callback, and through it
		 * sac_alloc_iova(): freeing the module would free text in use.
		 * Keep everything: the hook goes on working, this never returns.
		 */
		pr_crit("unregistering the ftrace hook failed (%d): call sites may still reach the module, so it stays in memory and this unload never completes; reboot to remove it\n",
			ret);
		for (;;)
			schedule_timeout_idle(MAX_SCHEDULE_TIMEOUT);
	}
	WRITE_ONCE(sac_hook_registered, false);
}

bool sac_hook_serving(void)
{
	return READ_ONCE(sac_hook_registered);
}

/* Does anything need the hook now? */
static bool sac_hook_needed(void)
{
	struct sac_dev *sd;
	bool needed = false;
	int bkt;

	if (!SAC_HAVE_NATIVE_BIT || sac_statistics_on() ||
	    sac_policy_needs_hook(sac_default_policy()))
		return true;
	rcu_read_lock();
	sac_for_each_dev_rcu(bkt, sd) {
		if (sac_policy_needs_hook(sac_dev_policy(sd))) {
			needed = true;
			break;
		}
	}
	rcu_read_unlock();
	return needed;
}

/*
 * A change needs the hook: register it if it is off. -EBUSY while the
 * module loads (its init decides from the state it finds), -ENODEV once it
 * unloads.
 */
int sac_hook_require(void)
{
	int ret = 0;

	mutex_lock(&sac_hook_lock);
	if (sac_hook_phase != SAC_HOOK_LIVE) {
		ret = sac_hook_phase == SAC_HOOK_LOADING ? -EBUSY : -ENODEV;
	} else if (!sac_hook_registered) {
		ret = sac_hook_register("the change that needs it is refused");
		if (!ret) {
			pr_info("hook registered: needed again\n");
			WRITE_ONCE(sac_hook_idle, false);
			sac_retarget_all();
		}
	}
	mutex_unlock(&sac_hook_lock);
	return ret;
}

void sac_hook_relax(void)
{
	mutex_lock(&sac_hook_lock);
	if (sac_hook_phase == SAC_HOOK_LIVE && sac_hook_registered &&
	    !sac_hook_needed()) {
		/* First the bits that carry dac, then the kernel takes over. */
		WRITE_ONCE(sac_hook_idle, true);
		sac_retarget_all();
		sac_hook_unregister();
		pr_info("hook unregistered: statistics off and no device needs it (the kernel's per-device bit carries auto and dac)\n");
	}
	mutex_unlock(&sac_hook_lock);
}

int sac_hook_init(void)
{
	int ret = 0;

	mutex_lock(&sac_hook_lock);
	if (sac_hook_needed()) {
		ret = sac_hook_register("refusing to load");
		if (ret)
			sac_hook_free_filter();
	} else {
		WRITE_ONCE(sac_hook_idle, true);
		sac_retarget_all();
		pr_info("hook not registered: statistics off and no device needs it (the kernel's per-device bit carries auto and dac)\n");
	}
	if (!ret)
		sac_hook_phase = SAC_HOOK_LIVE;
	mutex_unlock(&sac_hook_lock);
	return ret;
}

void sac_hook_exit(void)
{
	mutex_lock(&sac_hook_lock);
	sac_hook_phase = SAC_HOOK_GONE;
	if (sac_hook_registered)
		sac_hook_unregister();
	/* Also after a runtime unregistration: a task may be in our text. */
	sac_hook_quiesce();
	sac_hook_free_filter();
	/* Hand every device to the kernel with the bit its state says. */
	WRITE_ONCE(sac_hook_idle, false);
	sac_retarget_all();
	mutex_unlock(&sac_hook_lock);
}
