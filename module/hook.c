// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_sac: the ftrace redirection of iommu_dma_alloc_iova() and the
 * allocator that runs in its place. This is the hot path.
 *
 * The ftrace callback (sac_ftrace_handler) sees the four arguments of
 * iommu_dma_alloc_iova(domain, size, dma_limit, dev) in the saved registers
 * and decides: it leaves the IP alone, so the kernel's own function runs,
 * for a domain that is not a DMA-API domain (MSI cookies live on unmanaged
 * domains), for a domain whose private layout did not verify, and under
 * policy kernel. Otherwise it points the IP at sac_alloc_iova(), which has
 * the same signature: the trampoline "returns" into it with the original
 * arguments and return address, so it returns to the original caller. The
 * original is never called through a pointer (IBT seals it on 6.12+).
 *
 * sac_alloc_iova() is the running kernel's iommu_dma_alloc_iova() (6.1,
 * 6.12 and 7.2 agree apart from the SAC condition; the size round-up lives
 * in alloc_iova_fast() on all of them), except that the policy decides the
 * 32-bit attempt. It allocates nothing, sleeps on nothing, and touches only
 * per-CPU counters unless a device changes state.
 *
 * Hot-path rules: the callback and everything it reaches (the table lookup,
 * the layout check, sac_dev_native_sync(), sac_dev_new_domain()) run with
 * preemption disabled by the recursion trylock; sac_alloc_iova() and what
 * it calls of ours run under rcu_read_lock(). All of it is notrace or
 * __always_inline (nothing of ours in available_filter_functions), takes
 * no lock but a device's raw spinlock (policy.c: a few stores, never a
 * sleeping lock, on PREEMPT_RT either) and allocates nothing.
 *
 * The ops is FTRACE_OPS_FL_PERMANENT, as livepatch's: while it is
 * registered, a write of 0 to kernel.ftrace_enabled fails with EBUSY
 * instead of turning the call site back into a NOP behind our back (a
 * dma32 device would get IOVAs above 4 GiB again). A failed recursion
 * trylock leaves that one call to the kernel: counted in
 * sac_recursion_misses (debugfs stats), warned once.
 *
 * Unload: unregister_ftrace_function() waits, for our dynamic ops, until
 * no CPU is in the callback (synchronize_rcu_tasks_rude()) and, on
 * preemptible kernels, synchronize_rcu_tasks(). The callback counts every
 * redirection in sac_inflight and the replacement uncounts it on its way
 * out; sac_hook_exit() waits for the count to drain, then always waits for
 * a tasks-RCU grace period of its own: a task between its this_cpu_dec()
 * and its final RET must be gone before the text is freed. The wait cannot
 * be skipped when the count read 0: alloc_iova_fast() takes spinlocks,
 * which are sleeping rtlocks on PREEMPT_RT, and tasks-RCU counts a task
 * blocked on one as quiescent, so the grace period inside
 * unregister_ftrace_function() may have ended while a task was still in
 * sac_alloc_iova(). If unregistering fails, a call site may still reach
 * the callback: sac_hook_exit() then never returns (the module's text and
 * tables stay, the hook keeps working), and says so.
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
#include <linux/trace_recursion.h>
#include <linux/utsname.h>

#include "internal.h"
#include "trace.h"

static const char sac_target[] = "iommu_dma_alloc_iova";

/* Redirections not yet returned, per CPU (a task may migrate: sum them). */
static DEFINE_PER_CPU(long, sac_inflight);

/* Calls left to the kernel because the recursion trylock failed. */
static DEFINE_PER_CPU(unsigned long, sac_recursion_misses);

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
static bool notrace sac_layout_verify(const struct iommu_domain *domain)
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

/* The verdict for @domain, cached per device entry. */
static __always_inline bool sac_dev_domain_ok(struct sac_dev *sd,
					      struct iommu_domain *domain)
{
	unsigned long seen = READ_ONCE(sd->domain);
	bool ok;

	if ((seen & ~SAC_DOMAIN_OK) == (unsigned long)domain)
		return seen & SAC_DOMAIN_OK;

	ok = sac_layout_verify(domain);
	WRITE_ONCE(sd->domain, (unsigned long)domain | (ok ? SAC_DOMAIN_OK : 0));
	/* A fresh IOVA space: re-arm, as iommu_setup_dma_ops() does on 6.6+. */
	if (!SAC_HAVE_NATIVE_BIT && seen && ok)
		sac_dev_new_domain(sd);
	return ok;
}

/*
 * A driver unbound. While the device has none, its group's default domain
 * may change (6.1: DMA -> identity -> DMA), and a new domain can come back
 * at the old one's address (the slab object reused): the pointer alone
 * would not show it. So forget it: whatever domain is seen next counts as
 * new (a fresh layout verdict; on 6.1, where a new domain re-arms the
 * device as iommu_setup_dma_ops() does on 6.6+, a re-arm). On 6.12+ the
 * native bit tells a new domain from the old one, the re-arm follows it.
 */
void sac_dev_domain_forget(struct sac_dev *sd)
{
	WRITE_ONCE(sd->domain, SAC_DOMAIN_FORGOTTEN);
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
		sac_dev_domain_ok(sd, domain);
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

/* Whether to try below 4 GiB first (every policy but dma32). */
static __always_inline bool sac_try32(struct sac_dev *sd, struct device *dev,
				      enum sac_policy policy, u64 dma_limit)
{
	if (dma_limit <= DMA_BIT_MASK(32) || !dev_is_pci(dev))
		return false;
	switch (policy) {
	case SAC_POLICY_DAC:
		return false;
	case SAC_POLICY_SAC:
		return sac_forcedac() != 1;
	default:
		/* auto (and kernel, should it change under our feet) */
		if (sd)
			return READ_ONCE(sd->state) == SAC_STATE_SAC &&
			       sac_forcedac() != 1;
		/* Unknown device: the kernel's own per-device bit, if any. */
		return SAC_HAVE_NATIVE_BIT ? sac_native_bit(dev) :
					     sac_forcedac() != 1;
	}
}

static __always_inline void sac_account(struct sac_dev *sd,
					enum sac_policy policy, bool tried32,
					bool hit32, unsigned long iova, u64 ns)
{
	/* Outcomes only: allocs and sac_tries are derived (stats.c). */
	if (hit32) {
		sac_count(sd, SAC_CNT_SAC_HITS);
	} else {
		if (tried32)
			sac_count(sd, SAC_CNT_SAC_MISSES);
		if (iova) {
			sac_count(sd, SAC_CNT_DAC_ALLOCS);
		} else {
			sac_count(sd, SAC_CNT_FAILED);
			if (policy == SAC_POLICY_DMA32)
				sac_count(sd, SAC_CNT_DMA32_REFUSALS);
		}
	}
	sac_count_lat(sd, ns);
}

/*
 * Entered from the ftrace trampoline in place of iommu_dma_alloc_iova(),
 * with its arguments, for a verified DMA-API domain only.
 */
static dma_addr_t notrace sac_alloc_iova(struct iommu_domain *domain,
					 size_t size, u64 dma_limit,
					 struct device *dev)
{
	struct iova_domain *iovad = sac_domain_iovad(domain);
	unsigned long shift, iova_len, iova = 0;
	bool tried32 = false, hit32 = false;
	enum sac_policy policy;
	struct sac_dev *sd;
	u64 t0, ns;

	t0 = sac_clock();
	shift = iova_shift(iovad);
	iova_len = size >> shift;

	dma_limit = min_not_zero(dma_limit, dev->bus_dma_limit);

	if (domain->geometry.force_aperture)
		dma_limit = min_t(u64, dma_limit,
				  domain->geometry.aperture_end);

	rcu_read_lock();
	sd = sac_dev_lookup(dev);
	policy = sac_dev_policy(sd);

	if (policy == SAC_POLICY_DMA32) {
		/* Below 4 GiB or nothing; reclaim cached IOVAs before failing. */
		tried32 = true;
		iova = alloc_iova_fast(iovad, iova_len,
				       min_t(u64, dma_limit, DMA_BIT_MASK(32)) >> shift,
				       true);
		hit32 = iova;
	} else {
		if (sac_try32(sd, dev, policy, dma_limit)) {
			tried32 = true;
			iova = alloc_iova_fast(iovad, iova_len,
					       DMA_BIT_MASK(32) >> shift, false);
			hit32 = iova;
			if (!iova && policy != SAC_POLICY_SAC)
				sac_dev_switch(sd, dev, dma_limit, size);
		}
		if (!iova)
			iova = alloc_iova_fast(iovad, iova_len,
					       dma_limit >> shift, true);
	}

	ns = sac_clock_ns(t0, sac_clock());
	sac_account(sd, policy, tried32, hit32, iova, ns);
	trace_sac_alloc(dev, size, dma_limit, (u64)iova << shift, tried32,
			hit32, ns, policy);
	rcu_read_unlock();

	/* Pairs with this_cpu_inc() in sac_ftrace_handler(). */
	this_cpu_dec(sac_inflight);
	return (dma_addr_t)iova << shift;
}

/* ---------------------------------------------------------------------- */
/* The ftrace callback                                                    */

/*
 * Should the module serve this call? Caller runs with preemption disabled,
 * which makes it an RCU reader of the device table.
 */
static __always_inline bool sac_hook_takes(struct sac_dev *sd,
					   struct iommu_domain *domain)
{
	if (!(domain->type & __IOMMU_DOMAIN_DMA_API))
		return false;
	if (sd) {
		sac_dev_native_check(sd);
		if (sac_dev_policy(sd) == SAC_POLICY_KERNEL)
			return false;
		return sac_dev_domain_ok(sd, domain);
	}
	if (sac_dev_policy(NULL) == SAC_POLICY_KERNEL)
		return false;
	return sac_layout_verify(domain);
}

/*
 * Called straight from our ftrace trampoline, with the argument registers
 * saved (all x86-64 kernels have DYNAMIC_FTRACE_WITH_ARGS; the frame is
 * enough to read arguments and set the IP, as livepatch does). It guards
 * itself against recursion like livepatch's handler: the trylock also
 * disables preemption, which is what the table lookup needs.
 */
static void notrace sac_ftrace_handler(unsigned long ip,
				       unsigned long parent_ip,
				       struct ftrace_ops *ops,
				       struct ftrace_regs *fregs)
{
	struct iommu_domain *domain;
	struct device *dev;
	struct sac_dev *sd;
	int bit;

	bit = ftrace_test_recursion_trylock(ip, parent_ip);
	if (unlikely(bit < 0)) {
		/* The kernel's own function serves this call. */
		this_cpu_inc(sac_recursion_misses);
		pr_warn_once("recursion in the ftrace hook at %pS: calls left to the kernel (recursion_misses in stats)\n",
			     (void *)parent_ip);
		return;
	}

	domain = (struct iommu_domain *)ftrace_regs_get_argument(fregs, 0);
	dev = (struct device *)ftrace_regs_get_argument(fregs, 3);

	sd = sac_dev_lookup(dev);
	if (sac_hook_takes(sd, domain)) {
		/* Pairs with this_cpu_dec() at the end of sac_alloc_iova(). */
		this_cpu_inc(sac_inflight);
		ftrace_regs_set_instruction_pointer(fregs,
						    (unsigned long)sac_alloc_iova);
	} else {
		sac_count(sd, SAC_CNT_KERNEL_CALLS);
	}

	ftrace_test_recursion_unlock(bit);
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

static unsigned long sac_recursion_misses_sum(void)
{
	unsigned long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu(sac_recursion_misses, cpu));
	return sum;
}

static long sac_inflight_sum(void)
{
	long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu(sac_inflight, cpu));
	return sum;
}

void sac_hook_info(struct sac_hook_info *info)
{
	info->registered = READ_ONCE(sac_hook_registered);
	info->inflight = sac_inflight_sum();
	info->recursion_misses = sac_recursion_misses_sum();
	info->vouched = SAC_KERNEL_VOUCHED;
	info->forcedac = sac_forcedac();
	info->native_bit = SAC_HAVE_NATIVE_BIT;
	info->devices = sac_devtable_count();
}

int sac_hook_init(void)
{
	/* ftrace_set_filter() wants a writable buffer. */
	char buf[sizeof(sac_target)];
	int ret;

	memcpy(buf, sac_target, sizeof(buf));
	ret = ftrace_set_filter(&sac_ftrace_ops, buf, strlen(buf), 1);
	if (ret) {
		pr_err("cannot hook %s(): not in available_filter_functions (%d)\n",
		       sac_target, ret);
		return ret;
	}
	ret = register_ftrace_function(&sac_ftrace_ops);
	/*
	 * EBUSY: __register_ftrace_function() refuses a PERMANENT ops while
	 * ftrace is off ("if (!ftrace_enabled && (ops->flags &
	 * FTRACE_OPS_FL_PERMANENT)) return -EBUSY;"), and
	 * ftrace_hash_ipmodify_enable() refuses a second IPMODIFY owner.
	 */
	if (ret == -EBUSY && !sac_ftrace_enabled()) {
		pr_err("kernel.ftrace_enabled is 0: the hook would not run, refusing to load (sysctl kernel.ftrace_enabled=1 first)\n");
	} else if (ret == -EBUSY) {
		pr_err("%s() already has an IPMODIFY ftrace user (a livepatch, kpatch or kprobe post_handler)%s: refusing to load\n",
		       sac_target, sac_ftrace_enabled() < 0 ?
		       ", or kernel.ftrace_enabled is 0" : "");
	} else if (ret) {
		pr_err("cannot register the ftrace hook on %s(): %d\n",
		       sac_target, ret);
	}
	if (ret) {
		ftrace_free_filter(&sac_ftrace_ops);
		return ret;
	}
	WRITE_ONCE(sac_hook_registered, true);
	return 0;
}

void sac_hook_exit(void)
{
	unsigned long warn_at = jiffies + 10 * HZ;
	int ret;

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
	ftrace_free_filter(&sac_ftrace_ops);
	WRITE_ONCE(sac_hook_registered, false);

	/* No new redirections from here on: the sum can only fall. */
	while (sac_inflight_sum() > 0) {
		if (time_after(jiffies, warn_at)) {
			pr_warn("still waiting for %ld allocations in flight\n",
				sac_inflight_sum());
			warn_at = jiffies + 10 * HZ;
		}
		usleep_range(500, 1000);
	}
	/*
	 * Unconditionally (see the top of this file): on PREEMPT_RT a task
	 * blocked on an rtlock in alloc_iova_fast() was quiescent for the
	 * grace period inside unregister_ftrace_function(), and may still be
	 * between its this_cpu_dec() and its RET.
	 */
	synchronize_rcu_tasks();
}
