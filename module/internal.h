/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iommu_sac: what the core's files share with each other (not with front
 * ends, which only see sac.h).
 *
 * The hot path (hook.c) reaches the device table, the policy and the
 * counters through the inline helpers here: an RCU hash lookup, a few
 * READ_ONCE()s and per-CPU increments; nothing allocates, nothing sleeps.
 * Every state transition of a device (switch, re-arm, following the kernel's
 * native bit) is a slow path in policy.c under the device's raw spinlock,
 * notrace like everything the hook reaches (see hook.c and policy.c).
 */
#ifndef _SAC_INTERNAL_H
#define _SAC_INTERNAL_H

#include <linux/device.h>
#include <linux/hashtable.h>
#include <linux/jump_label.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/percpu.h>
#include <linux/rculist.h>
#include <linux/sched/clock.h>
#include <linux/spinlock.h>
#include <linux/timex.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "sac.h"

#define SAC_HASH_BITS		8

/* Low bit of sac_dev::domain: the layout of that domain verified. */
#define SAC_DOMAIN_OK		1UL
/*
 * sac_dev::domain after a driver unbound: no domain (never a pointer), but
 * not 0 either, so the next domain seen counts as a new one.
 */
#define SAC_DOMAIN_FORGOTTEN	2UL

struct sac_dev {
	/* In sac_devs: writers hold sac_table_lock, readers rcu_read_lock(). */
	struct hlist_node node;
	/*
	 * Holds a reference; dropped after removal and an RCU grace period,
	 * from a work item (@free_work: put_device() may sleep).
	 */
	struct device *dev;
	/* Per-CPU counters and histogram: this_cpu_inc() from the hook. */
	struct sac_stats __percpu *stats;
	/*
	 * The last domain the hook saw for this device, or'ed with
	 * SAC_DOMAIN_OK when its layout verified; 0 before the first call;
	 * SAC_DOMAIN_FORGOTTEN once a driver unbound (sac_dev_domain_forget(),
	 * from the bus notifier under sac_table_lock).
	 * Written by the hook with WRITE_ONCE() (any CPU; all store the same
	 * verdict for the same domain), read with READ_ONCE() by the hook
	 * and by sac_dev_info().
	 */
	unsigned long domain;
	/*
	 * enum sac_policy override (SAC_POLICY_DEFAULT: none). WRITE_ONCE()
	 * in sac_dev_set_policy(), READ_ONCE() in sac_dev_policy().
	 */
	int policy;
	/*
	 * enum sac_state. Written under @lock with WRITE_ONCE(); read
	 * locklessly by the hook with READ_ONCE().
	 */
	int state;
	/* dev_is_pci(): constant. */
	bool pci;
	/*
	 * The kernel's native bit as we last wrote or saw it (6.6+, PCI).
	 * Written under @lock with WRITE_ONCE(); the hook compares it with
	 * the live bit (READ_ONCE()) to notice the kernel changing the bit.
	 */
	bool native_seen;
	/*
	 * Serialises state transitions; protects the fields below. Raw: the
	 * ftrace callback takes it with preemption disabled (PREEMPT_RT).
	 */
	raw_spinlock_t lock;
	unsigned int switches;
	u64 switch_ns;
	u64 switch_size;
	int switch_by;		/* enum sac_cause */
	/* The front end's per-device data; sac_table_lock. */
	void *fe_data;
	/* On the list of entries being freed at unload; sac_table_lock. */
	struct list_head dead;
	/* Frees a removed entry after a grace period (sac_dev_del_locked()). */
	struct rcu_work free_work;
};

/* ---------------------------------------------------------------------- */
/* devtable.c                                                             */

extern struct hlist_head sac_devs[1 << SAC_HASH_BITS];

/* Caller holds rcu_read_lock() or runs with preemption disabled. */
static __always_inline struct sac_dev *sac_dev_lookup(struct device *dev)
{
	struct sac_dev *sd;

	hash_for_each_possible_rcu(sac_devs, sd, node, (unsigned long)dev)
		if (sd->dev == dev)
			return sd;
	return NULL;
}

/* Every device in the table; caller holds rcu_read_lock(). */
#define sac_for_each_dev_rcu(bkt, sd)					\
	hash_for_each_rcu(sac_devs, bkt, sd, node)

int sac_devtable_init(void);
void sac_devtable_exit(void);
unsigned int sac_devtable_count(void);
/* Call fn for every device, with the table mutex held (may sleep). */
void sac_devtable_for_each(void (*fn)(struct sac_dev *sd, void *arg),
			   void *arg);

/* ---------------------------------------------------------------------- */
/* policy.c                                                               */

extern int sac_default_policy_value;

/* The policy the hook applies to a device (NULL: unknown device). */
static __always_inline enum sac_policy sac_dev_policy(const struct sac_dev *sd)
{
	int p = sd ? READ_ONCE(sd->policy) : SAC_POLICY_DEFAULT;

	return p != SAC_POLICY_DEFAULT ? p : READ_ONCE(sac_default_policy_value);
}

/* Initial state of a new entry, following the native bit where it exists. */
void sac_dev_state_init(struct sac_dev *sd);
/* The 32-bit attempt failed under policy auto: switch once. */
void sac_dev_switch(struct sac_dev *sd, struct device *dev, u64 dma_limit,
		    size_t size);
/* The kernel changed the native bit: follow it (slow path). */
void sac_dev_native_sync(struct sac_dev *sd);
/* The device got a new domain (kernels without the native bit). */
void sac_dev_new_domain(struct sac_dev *sd);

/* Cheap check, from the hook, that the native bit still equals our state. */
static __always_inline void sac_dev_native_check(struct sac_dev *sd)
{
	if (!SAC_HAVE_NATIVE_BIT || !sd->pci)
		return;
	if (unlikely(sac_native_bit(sd->dev) != READ_ONCE(sd->native_seen)))
		sac_dev_native_sync(sd);
}

/* ---------------------------------------------------------------------- */
/* stats.c                                                                */

/*
 * Each allocation is counted once, in its device's set, or in the global
 * set for a device not in the table (and, when an entry is removed, its
 * counts move there). Only outcomes are counted; readers derive the rest
 * (sac_stats_finish()): allocs = sac_hits + dac_allocs + failed and
 * sac_tries = sac_hits + sac_misses.
 */
DECLARE_PER_CPU(struct sac_stats, sac_global_pcpu);

static __always_inline void sac_count(struct sac_dev *sd, enum sac_counter c)
{
	if (sd)
		this_cpu_inc(sd->stats->cnt[c]);
	else
		this_cpu_inc(sac_global_pcpu.cnt[c]);
}

static __always_inline unsigned int sac_lat_bucket(u64 ns)
{
	unsigned int b = ns < 2 ? 0 : ilog2(ns);

	return b < SAC_LAT_BUCKETS ? b : SAC_LAT_BUCKETS - 1;
}

static __always_inline void sac_count_lat(struct sac_dev *sd, u64 ns)
{
	unsigned int b = sac_lat_bucket(ns);

	if (sd)
		this_cpu_inc(sd->stats->lat[b]);
	else
		this_cpu_inc(sac_global_pcpu.lat[b]);
}

/* Move a departing entry's counts to the global set (after its grace period). */
void sac_stats_retire(struct sac_dev *sd);

/*
 * The allocator's clock. Where the TSC ticks at a constant rate and is
 * trusted by the kernel, raw cycles (a few instructions), converted to ns
 * once per allocation; otherwise local_clock(). Set up by sac_clock_init().
 */
DECLARE_STATIC_KEY_FALSE(sac_clock_tsc);
extern u32 sac_cyc2ns_mult;

#define SAC_CYC2NS_SHIFT	22

static __always_inline u64 sac_clock(void)
{
	if (static_branch_likely(&sac_clock_tsc))
		return get_cycles();
	return local_clock();
}

/* ns between two sac_clock() readings (0 if a migration made it negative). */
static __always_inline u64 sac_clock_ns(u64 t0, u64 t1)
{
	if (unlikely(t1 < t0))
		return 0;
	if (static_branch_likely(&sac_clock_tsc))
		return mul_u64_u32_shr(t1 - t0, sac_cyc2ns_mult,
				       SAC_CYC2NS_SHIFT);
	return t1 - t0;
}

void sac_clock_init(void);

/* ---------------------------------------------------------------------- */
/* params.c                                                               */

int sac_params_init(void);
void sac_params_exit(void);
/* The devices= rule for a device, or SAC_POLICY_DEFAULT. */
enum sac_policy sac_params_policy_for(struct device *dev);
/* Runtime writes of the parameters: allowed from start until stop. */
void sac_params_start(void);
void sac_params_stop(void);
/* default_policy= as parsed at load. */
enum sac_policy sac_params_default_policy(void);
/* iova32_max_iovas=: tree nodes one iova32 read visits at most. */
unsigned int sac_params_iova32_max_iovas(void);

/* ---------------------------------------------------------------------- */
/* hook.c                                                                 */

int sac_layout_check(void);
/* Does @domain's private layout verify (not cached; any context)? */
bool sac_domain_layout_ok(const struct iommu_domain *domain);
/* A driver bound to the device: take note of its (possibly new) domain. */
void sac_dev_domain_refresh(struct sac_dev *sd);
/* A driver unbound from the device: forget the domain seen. */
void sac_dev_domain_forget(struct sac_dev *sd);
int sac_hook_init(void);
void sac_hook_exit(void);

#endif /* _SAC_INTERNAL_H */
