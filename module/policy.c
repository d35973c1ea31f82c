// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_sac: policies and the per-device SAC state machine.
 *
 * A device's state is sac (32-bit first) or dac (switched). Every transition
 * happens here, under the device's raw spinlock (sd->lock), so that
 * concurrent failures on several CPUs switch a device exactly once:
 *
 *   sac -> dac   policy auto, a 32-bit attempt failed  (sac_dev_switch)
 *                the kernel cleared its native bit      (sac_dev_native_sync)
 *   dac -> sac   re-arm through a front end             (sac_dev_rearm)
 *                the kernel set its native bit again    (sac_dev_native_sync)
 *                a new domain, without a native bit     (sac_dev_hot_refresh)
 *
 * Invariant (kernels with dev->iommu->pci_32bit_workaround, PCI devices):
 * the native bit equals "state == sac && !forcedac" whenever the device's
 * lock is free: with iommu.forcedac=1 the kernel never sets the bit
 * (iommu_setup_dma_ops(): "pci_32bit_workaround = !iommu_dma_forcedac"),
 * and neither do we, so a device's state under forcedac is kept as on 6.1
 * (sac unless switched or set) while no 32-bit attempt is made, here or by
 * the kernel after unload.
 * We write the bit together with the state; the kernel writes it behind our
 * back (iommu_setup_dma_ops(), which runs at the device's first IOMMU
 * probe and when a group type change gives it a new DMA domain, but not on
 * a driver re-bind: __iommu_probe_device() returns early once
 * dev->iommu_group is set; and the kernel's own iommu_dma_alloc_iova()
 * under policy kernel), and the hook and
 * sac_dev_info() notice and follow it. On unload the bit therefore already
 * equals the state, and the kernel carries on from there.
 *
 * Every transition, and every change of a policy or of the default, ends
 * with sac_dev_retarget_locked(): the hook never dispatches on policy and
 * state itself, it loads sd->hot (the domain | the target computed here).
 * The native bit is followed here too, not in the hook: the kernel writes
 * it only in iommu_setup_dma_ops() (a new domain, which the hook sees as a
 * domain change, or a driver unbind before, which forgets the domain) and
 * in its own iommu_dma_alloc_iova() (which runs only while a device's
 * target is kernel: leaving that target resyncs first).
 *
 * Hot path: sac_dev_switch() (from sac_alloc_iova()) and
 * sac_dev_hot_refresh() (from the ftrace callback, preemption disabled)
 * are notrace, and sd->lock is a raw_spinlock_t: on PREEMPT_RT a
 * spinlock_t is a sleeping rtmutex, which the callback must not take. Its
 * critical sections are a handful of stores and the clock read of
 * ktime_get_boottime_ns() (a seqcount read, no lock); nothing in them
 * sleeps, allocates, prints or loops. Printing and trace events come after
 * the unlock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-mapping.h>
#include <linux/string.h>
#include <linux/timekeeping.h>

#include "internal.h"
#include "trace.h"

/*
 * The global default, enum sac_policy: set once by sac_params_init(), then
 * by xchg() in sac_set_default_policy(); read with READ_ONCE() by
 * sac_dev_policy() and sac_default_policy().
 */
int sac_default_policy_value __read_mostly = SAC_POLICY_AUTO;

bool sac_hook_idle;

static const char *const sac_policy_names[] = {
	[SAC_POLICY_DEFAULT]	= "default",
	[SAC_POLICY_AUTO]	= "auto",
	[SAC_POLICY_SAC]	= "sac",
	[SAC_POLICY_DAC]	= "dac",
	[SAC_POLICY_DMA32]	= "dma32",
	[SAC_POLICY_KERNEL]	= "kernel",
};
static_assert(ARRAY_SIZE(sac_policy_names) == SAC_POLICY_NR);

static const char *const sac_state_names[] = {
	[SAC_STATE_SAC]		= "sac",
	[SAC_STATE_DAC]		= "dac",
};
static_assert(ARRAY_SIZE(sac_state_names) == SAC_STATE_NR);

static const char *const sac_cause_names[] = {
	[SAC_CAUSE_NONE]	= "none",
	[SAC_CAUSE_ALLOC]	= "alloc",
	[SAC_CAUSE_KERNEL]	= "kernel",
	[SAC_CAUSE_USER]	= "user",
	[SAC_CAUSE_DOMAIN]	= "domain",
};
static_assert(ARRAY_SIZE(sac_cause_names) == SAC_CAUSE_NR);

const char *sac_policy_name(enum sac_policy policy)
{
	return policy < SAC_POLICY_NR ? sac_policy_names[policy] : "?";
}

int sac_policy_parse(const char *buf, bool allow_default, enum sac_policy *out)
{
	int i;

	for (i = 0; i < SAC_POLICY_NR; i++) {
		if (i == SAC_POLICY_DEFAULT && !allow_default)
			continue;
		if (sysfs_streq(buf, sac_policy_names[i])) {
			*out = i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *sac_state_name(enum sac_state state)
{
	return state < SAC_STATE_NR ? sac_state_names[state] : "?";
}

const char *sac_cause_name(enum sac_cause cause)
{
	return cause < SAC_CAUSE_NR ? sac_cause_names[cause] : "?";
}

enum sac_policy sac_default_policy(void)
{
	return READ_ONCE(sac_default_policy_value);
}

void sac_retarget_all(void)
{
	struct sac_dev *sd;
	int bkt;

	rcu_read_lock();
	sac_for_each_dev_rcu(bkt, sd)
		sac_dev_native_sync(sd);
	rcu_read_unlock();
}

int sac_set_default_policy(enum sac_policy policy)
{
	enum sac_policy old;
	int ret;

	if (policy <= SAC_POLICY_DEFAULT || policy >= SAC_POLICY_NR)
		return -EINVAL;
	if (sac_policy_needs_hook(policy)) {
		ret = sac_hook_require();
		if (ret)
			return ret;
	}
	old = xchg(&sac_default_policy_value, policy);
	if (old != policy) {
		sac_retarget_all();
		trace_sac_policy("*", old, policy);
	}
	sac_hook_relax();
	return 0;
}

int __sac_dev_set_policy(struct sac_dev *sd, enum sac_policy policy)
{
	enum sac_policy old;

	if (policy >= SAC_POLICY_NR)
		return -EINVAL;
	old = xchg(&sd->policy, policy);
	if (old != policy) {
		sac_dev_native_sync(sd);
		trace_sac_policy(dev_name(sd->dev), old, policy);
	}
	return 0;
}

int sac_dev_set_policy(struct sac_dev *sd, enum sac_policy policy)
{
	enum sac_policy eff = policy == SAC_POLICY_DEFAULT ?
			      sac_default_policy() : policy;
	int ret;

	if (policy >= SAC_POLICY_NR)
		return -EINVAL;
	if (sac_policy_needs_hook(eff)) {
		ret = sac_hook_require();
		if (ret)
			return ret;
	}
	ret = __sac_dev_set_policy(sd, policy);
	sac_hook_relax();
	return ret;
}

/* ---------------------------------------------------------------------- */
/* State transitions (sd->lock)                                           */

/* What the hook does for @sd's allocations in its current domain. */
static enum sac_target notrace sac_dev_target(struct sac_dev *sd)
{
	if (!(READ_ONCE(sd->domain) & SAC_DOMAIN_OK))
		return SAC_T_KERNEL;
	switch (sac_dev_policy(sd)) {
	case SAC_POLICY_KERNEL:
		return SAC_T_KERNEL;
	case SAC_POLICY_DAC:
		return SAC_T_FULL;
	case SAC_POLICY_DMA32:
		return SAC_T_CLAMP32;
	case SAC_POLICY_SAC:
		return sd->pci && sac_forcedac() != 1 ? SAC_T_TRY32 : SAC_T_FULL;
	default:
		return sd->pci && sd->state == SAC_STATE_SAC &&
		       sac_forcedac() != 1 ? SAC_T_TRY32 : SAC_T_FULL;
	}
}

void notrace sac_dev_retarget_locked(struct sac_dev *sd)
{
	unsigned long hot = sd->hot;
	enum sac_policy eff;
	bool nb;

	lockdep_assert_held(&sd->lock);
	/* No domain seen yet: the hook's next call computes it. */
	if (hot & ~SAC_HOT_TARGET)
		WRITE_ONCE(sd->hot, (hot & ~SAC_HOT_TARGET) | sac_dev_target(sd));
	if (!SAC_HAVE_NATIVE_BIT || !sd->pci)
		return;
	/*
	 * The native bit follows the state (the invariant at the top), but
	 * while the hook is off the bit carries policy dac too: held clear,
	 * so the kernel's own function allocates from the full range. Under
	 * policy kernel the bit is the kernel's.
	 */
	eff = sac_dev_policy(sd);
	if (eff == SAC_POLICY_KERNEL)
		return;
	nb = sd->state == SAC_STATE_SAC && sac_forcedac() != 1 &&
	     !(READ_ONCE(sac_hook_idle) && eff == SAC_POLICY_DAC);
	if (nb != sd->native_seen) {
		sac_native_bit_set(sd->dev, nb);
		WRITE_ONCE(sd->native_seen, nb);
	}
}

/* Set the state and, where it exists, the native bit with it. */
static void notrace sac_dev_set_state_locked(struct sac_dev *sd, enum sac_state state)
{
	bool nb = state == SAC_STATE_SAC && sac_forcedac() != 1;

	lockdep_assert_held(&sd->lock);
	WRITE_ONCE(sd->state, state);
	if (SAC_HAVE_NATIVE_BIT && sd->pci) {
		sac_native_bit_set(sd->dev, nb);
		WRITE_ONCE(sd->native_seen, nb);
	}
	sac_dev_retarget_locked(sd);
}

static void notrace sac_dev_record_switch_locked(struct sac_dev *sd, u64 size,
					 enum sac_cause by)
{
	sd->switches++;
	sd->switch_ns = ktime_get_boottime_ns();
	sd->switch_size = size;
	sd->switch_by = by;
}

void sac_dev_state_init(struct sac_dev *sd)
{
	bool nb;

	raw_spin_lock_init(&sd->lock);
	sd->state = SAC_STATE_SAC;
	sd->switch_by = SAC_CAUSE_NONE;
	if (!SAC_HAVE_NATIVE_BIT || !sd->pci)
		return;
	/*
	 * The kernel may have switched it already. Under iommu.forcedac=1
	 * the bit was never set and says nothing: the state starts sac, as
	 * on 6.1, and no 32-bit attempt follows (sac_dev_target()).
	 */
	nb = sac_native_bit(sd->dev);
	sd->native_seen = nb;
	if (!nb && sac_forcedac() != 1) {
		sd->state = SAC_STATE_DAC;
		sd->switch_by = SAC_CAUSE_KERNEL;
	}
}

void notrace sac_dev_switch(struct sac_dev *sd, struct device *dev, u64 dma_limit,
		    size_t size)
{
	unsigned long flags;
	bool won = false;

	if (sd) {
		raw_spin_lock_irqsave(&sd->lock, flags);
		if (sd->state == SAC_STATE_SAC) {
			sac_dev_set_state_locked(sd, SAC_STATE_DAC);
			sac_dev_record_switch_locked(sd, size, SAC_CAUSE_ALLOC);
			won = true;
		}
		raw_spin_unlock_irqrestore(&sd->lock, flags);
	} else if (SAC_HAVE_NATIVE_BIT && sac_native_bit(dev)) {
		/* Not in the table: the kernel's per-device bit is the state. */
		sac_native_bit_set(dev, false);
		won = true;
	}
	if (!won)
		return;
	sac_count(sd, SAC_RAW_SWITCHES);
	dev_notice(dev, "Using %d-bit DMA addresses\n", bits_per(dma_limit));
	trace_sac_switch(dev, SAC_STATE_DAC, bits_per(dma_limit), size,
			 SAC_CAUSE_ALLOC);
}

/*
 * Follow the kernel's native bit (sd->lock held): the state it moved the
 * device to, or SAC_STATE_NR. Pairs with sac_dev_native_report().
 */
static enum sac_state notrace sac_dev_native_follow_locked(struct sac_dev *sd)
{
	enum sac_state to = SAC_STATE_NR;
	bool nb;

	if (!SAC_HAVE_NATIVE_BIT || !sd->pci)
		return to;
	nb = sac_native_bit(sd->dev);
	if (nb == sd->native_seen)
		return to;
	WRITE_ONCE(sd->native_seen, nb);
	if (nb && sd->state == SAC_STATE_DAC)
		to = SAC_STATE_SAC;	/* group type change */
	else if (!nb && sd->state == SAC_STATE_SAC)
		to = SAC_STATE_DAC;	/* the kernel's allocator switched */
	if (to != SAC_STATE_NR)
		WRITE_ONCE(sd->state, to);
	if (to == SAC_STATE_DAC)
		sac_dev_record_switch_locked(sd, 0, SAC_CAUSE_KERNEL);
	return to;
}

static void notrace sac_dev_native_report(struct sac_dev *sd, enum sac_state to)
{
	if (to == SAC_STATE_DAC) {
		sac_count(sd, SAC_RAW_SWITCHES);
		trace_sac_switch(sd->dev, to, 0, 0, SAC_CAUSE_KERNEL);
	} else if (to == SAC_STATE_SAC) {
		trace_sac_rearm(sd->dev, to, 0, 0, SAC_CAUSE_KERNEL);
	}
}

void notrace sac_dev_native_sync(struct sac_dev *sd)
{
	enum sac_state to;
	unsigned long flags;

	raw_spin_lock_irqsave(&sd->lock, flags);
	to = sac_dev_native_follow_locked(sd);
	sac_dev_retarget_locked(sd);
	raw_spin_unlock_irqrestore(&sd->lock, flags);
	sac_dev_native_report(sd, to);
}

unsigned long notrace sac_dev_hot_refresh(struct sac_dev *sd,
					  struct iommu_domain *domain)
{
	enum sac_state to = SAC_STATE_NR;
	unsigned long flags, seen, hot;
	bool ok, rearmed = false;

	/* MSI cookies live on unmanaged domains: never remembered. */
	if (!(domain->type & __IOMMU_DOMAIN_DMA_API))
		return SAC_T_KERNEL;
	ok = sac_layout_verify(domain);

	raw_spin_lock_irqsave(&sd->lock, flags);
	seen = sd->domain;
	if ((seen & ~SAC_DOMAIN_OK) != (unsigned long)domain) {
		WRITE_ONCE(sd->domain,
			   (unsigned long)domain | (ok ? SAC_DOMAIN_OK : 0));
		/*
		 * A fresh IOVA space on a kernel without the native bit:
		 * re-arm, as iommu_setup_dma_ops() does on 6.6+.
		 */
		if (!SAC_HAVE_NATIVE_BIT && seen && ok &&
		    sd->state != SAC_STATE_SAC) {
			sac_dev_set_state_locked(sd, SAC_STATE_SAC);
			rearmed = true;
		}
	}
	to = sac_dev_native_follow_locked(sd);
	hot = (unsigned long)domain | sac_dev_target(sd);
	WRITE_ONCE(sd->hot, hot);
	raw_spin_unlock_irqrestore(&sd->lock, flags);

	sac_dev_native_report(sd, to);
	if (rearmed)
		trace_sac_rearm(sd->dev, SAC_STATE_SAC, 0, 0, SAC_CAUSE_DOMAIN);
	return hot;
}

void sac_dev_domain_forget(struct sac_dev *sd)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&sd->lock, flags);
	WRITE_ONCE(sd->domain, SAC_DOMAIN_FORGOTTEN);
	WRITE_ONCE(sd->hot, 0);
	raw_spin_unlock_irqrestore(&sd->lock, flags);
}

static bool sac_dev_rearm_cause(struct sac_dev *sd, enum sac_cause by)
{
	enum sac_state to;
	unsigned long flags;
	bool changed;

	raw_spin_lock_irqsave(&sd->lock, flags);
	to = sac_dev_native_follow_locked(sd);
	changed = sd->state != SAC_STATE_SAC;
	sac_dev_set_state_locked(sd, SAC_STATE_SAC);
	raw_spin_unlock_irqrestore(&sd->lock, flags);
	sac_dev_native_report(sd, to);
	if (changed)
		trace_sac_rearm(sd->dev, SAC_STATE_SAC, 0, 0, by);
	return changed;
}

void sac_dev_rearm(struct sac_dev *sd)
{
	sac_dev_rearm_cause(sd, SAC_CAUSE_USER);
}

int sac_rearm_by_name(const char *name)
{
	struct sac_dev *sd;
	int bkt, ret = -ENODEV;

	rcu_read_lock();
	sac_for_each_dev_rcu(bkt, sd) {
		if (sysfs_streq(name, dev_name(sd->dev))) {
			sac_dev_rearm(sd);
			ret = 0;
			break;
		}
	}
	rcu_read_unlock();
	return ret;
}

void sac_rearm_all(void)
{
	struct sac_dev *sd;
	int bkt;

	rcu_read_lock();
	sac_for_each_dev_rcu(bkt, sd)
		sac_dev_rearm(sd);
	rcu_read_unlock();
}
