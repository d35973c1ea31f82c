/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iommu_sac: what the core's files share with each other (not with front
 * ends, which only see sac.h).
 *
 * The hot path (hook.c) reaches the device table, the policy and the
 * counters through the inline helpers here: one RCU hash lookup, one load of
 * the entry's hot word (the domain last seen and the target precomputed for
 * it) and two per-CPU increments; nothing allocates, nothing sleeps. Every
 * state transition of a device (switch, re-arm, following the kernel's
 * native bit, a new policy or domain) is a slow path in policy.c under the
 * device's raw spinlock, notrace like everything the hook reaches (see
 * hook.c and policy.c), and ends by recomputing the hot word.
 */
#ifndef _SAC_INTERNAL_H
#define _SAC_INTERNAL_H

#include <linux/device.h>
#include <linux/hashtable.h>
#include <linux/jump_label.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/iommu.h>
#include <linux/percpu.h>
#include <linux/rculist.h>
#include <linux/sched/clock.h>
#include <linux/spinlock.h>
#include <linux/timex.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "sac.h"

/* 1024 buckets: a bucket rarely holds two devices (each costs ~4 instructions). */
#define SAC_HASH_BITS		10

/*
 * What the hook does with a device's allocation: the low bits of
 * sac_dev::hot, computed under the device's lock (sac_dev_retarget_locked())
 * whenever the policy, the default, the state or the domain changes.
 */
enum sac_target {
	SAC_T_KERNEL,		/* the kernel's own function (policy kernel, layout unknown) */
	SAC_T_FULL,		/* full range at once (dac; auto switched; sac under forcedac) */
	SAC_T_TRY32,		/* 32-bit first, then full range (auto armed, sac) */
	SAC_T_CLAMP32,		/* below 4 GiB or nothing (dma32) */
};
#define SAC_HOT_TARGET		3UL

/*
 * The hook's raw per-CPU counters. The first four are indexed by enum
 * sac_target: the callback counts every call it sees, by target, with one
 * increment, and that is the only count on the common path. The rest are
 * the rare outcomes, counted out of line (and, on PREEMPT_RT, the calls
 * that returned: see SAC_COUNT_DONE). Readers derive the counters of enum
 * sac_counter (stats.c, sac_stats_derive()).
 */
enum sac_raw {
	SAC_RAW_KERNEL,		/* target kernel: calls left to the kernel */
	SAC_RAW_FULL,		/* target full: full range at once */
	SAC_RAW_TRY32,		/* target try32 */
	SAC_RAW_CLAMP32,	/* target clamp32 (dma32) */
	SAC_RAW_UNTRIED,	/* try32 with a limit within 32 bits: no attempt */
	SAC_RAW_MISSES,		/* try32: the 32-bit attempt failed */
	SAC_RAW_FAILED,		/* a redirected call returned no IOVA */
	SAC_RAW_REFUSALS,	/* clamp32: nothing below 4 GiB */
	SAC_RAW_SWITCHES,	/* sac -> dac switches (ours and the kernel's) */
	SAC_RAW_DONE,		/* redirected calls returned (PREEMPT_RT only) */
	SAC_RAW_NR
};
static_assert((int)SAC_RAW_KERNEL == (int)SAC_T_KERNEL &&
	      (int)SAC_RAW_FULL == (int)SAC_T_FULL &&
	      (int)SAC_RAW_TRY32 == (int)SAC_T_TRY32 &&
	      (int)SAC_RAW_CLAMP32 == (int)SAC_T_CLAMP32);

/*
 * The per-CPU latency counts: one per bit of a signed clock difference, so
 * that the hot path indexes them by ilog2 without a bound (a negative
 * difference lands in the last). Readers fold them into SAC_LAT_BUCKETS
 * (stats.c: sac_lat_fold()).
 */
#define SAC_RAW_LAT		64

struct sac_pcpu {
	u64 raw[SAC_RAW_NR];
	u64 lat[SAC_RAW_LAT];
};

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
	/*
	 * The hook's one word: the DMA-API domain last seen (a struct
	 * iommu_domain pointer, 8-byte aligned) | enum sac_target for it; 0
	 * when none (then the next call takes the slow path). Written under
	 * @lock with WRITE_ONCE() (sac_dev_retarget_locked()); read by the
	 * ftrace callback with READ_ONCE().
	 */
	unsigned long hot;
	/* Per-CPU raw counters and histogram: this_cpu_inc() from the hook. */
	struct sac_pcpu __percpu *stats;
	/* What the counters held at the last reset (sac_stats_lock). */
	struct sac_pcpu base;
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
	/*
	 * The front end's per-device data (sac_dev_frontend_area()); zeroed
	 * with the entry; sac_table_lock.
	 */
	unsigned long fe_area[SAC_FRONTEND_DEV_SIZE / sizeof(unsigned long)];
	/* On the list of entries being freed at unload; sac_table_lock. */
	struct list_head dead;
	/* Frees a removed entry after a grace period (sac_dev_del_locked()). */
	struct rcu_work free_work;
};

/* ---------------------------------------------------------------------- */
/* devtable.c                                                             */

extern struct hlist_head sac_devs[1 << SAC_HASH_BITS];

static __always_inline struct hlist_head *sac_dev_bucket(struct device *dev)
{
	return &sac_devs[hash_min((unsigned long)dev, SAC_HASH_BITS)];
}

/*
 * The entry of @dev, or NULL. The caller is an RCU reader, or a tasks-RCU
 * reader: the hot path, which never sleeps voluntarily between the ftrace
 * callback and the replacement's return (entries are freed only after both
 * grace periods, devtable.c). rcu_dereference_raw(): lockdep cannot see a
 * tasks-RCU reader.
 */
static __always_inline struct sac_dev *sac_dev_lookup(struct device *dev)
{
	struct hlist_node *n;
	struct sac_dev *sd;

	for (n = rcu_dereference_raw(hlist_first_rcu(sac_dev_bucket(dev))); n;
	     n = rcu_dereference_raw(hlist_next_rcu(n))) {
		sd = hlist_entry(n, struct sac_dev, node);
		if (sd->dev == dev)
			return sd;
	}
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
/* The kernel may have changed the native bit: follow it (slow path). */
void sac_dev_native_sync(struct sac_dev *sd);
/*
 * The hook met a domain that is not the one in sd->hot: verify it, re-arm
 * on a new domain (kernels without the native bit), follow the native bit,
 * and return the new hot word. From the ftrace callback (preemption off).
 */
unsigned long sac_dev_hot_refresh(struct sac_dev *sd,
				  struct iommu_domain *domain);
/* Recompute sd->hot's target and the native bit it implies (sd->lock held). */
void sac_dev_retarget_locked(struct sac_dev *sd);
/* Follow the native bit and retarget every device. */
void sac_retarget_all(void);
/*
 * The hook is off because nothing needs it (6.6+): the native bit carries
 * dac too (held clear). Written under the hook's mutex, read under the
 * devices' locks.
 */
extern bool sac_hook_idle;
/* Set a policy without registering or unregistering the hook (params.c). */
int __sac_dev_set_policy(struct sac_dev *sd, enum sac_policy policy);

/* ---------------------------------------------------------------------- */
/* stats.c                                                                */

/*
 * Lifetime of an entry on the hot path: the callback finds it with
 * preemption disabled; the replacement uses it until it returns. A removed
 * entry is freed after an RCU grace period (no callback can find it any
 * more) and a tasks-RCU grace period (no task is between the callback and
 * the end of the replacement, where nothing sleeps: a task there is
 * running or preempted, never voluntarily switched out). On PREEMPT_RT
 * alloc_iova_fast() can block on an rtlock, which tasks-RCU counts as
 * quiescent: there the replacement counts SAC_RAW_DONE as its last access
 * to the entry, and the freeing (and the unload) also wait until every
 * redirected call counted so (sac_stats_inflight()). Elsewhere that second
 * increment is not needed and not made.
 */
#define SAC_COUNT_DONE	IS_ENABLED(CONFIG_PREEMPT_RT)

DECLARE_PER_CPU(struct sac_pcpu, sac_global_pcpu);

static __always_inline void sac_count(struct sac_dev *sd, enum sac_raw c)
{
	if (sd)
		this_cpu_inc(sd->stats->raw[c]);
	else
		this_cpu_inc(sac_global_pcpu.raw[c]);
}

/*
 * Redirected calls counted in @stats and not yet returned (any context);
 * -1 where they are not counted (!SAC_COUNT_DONE).
 */
long sac_stats_inflight(struct sac_pcpu __percpu *stats);

/* Move a departing entry's counts to the retired set (after it drained). */
void sac_stats_retire(struct sac_dev *sd);

/*
 * Latency timing: off by default (no cost: the callback sends calls to the
 * plain copies of the replacement, hook.c). On while
 * the timing parameter/control says so or the sac_alloc trace event is
 * enabled (sac_timing_get()/sac_timing_put() count the users). The
 * allocator's clock is raw TSC cycles where the TSC ticks at a constant
 * rate and the kernel trusts it, local_clock() ns otherwise; buckets hold
 * ilog2 of clock units, converted to ns only when read
 * (sac_clock_units_to_ns()).
 */
DECLARE_STATIC_KEY_FALSE(sac_clock_tsc);

static __always_inline u64 sac_clock(void)
{
	if (static_branch_likely(&sac_clock_tsc))
		return get_cycles();
	return local_clock();
}

/*
 * The raw bucket of a latency: ilog2 (0 and 1 in 0), a negative one (from a
 * CPU whose clock is behind) in SAC_RAW_LAT - 1. No compare, no clamp: the
 * mask only tells the compiler the range (bounds-checking kernels test the
 * index otherwise).
 */
static __always_inline unsigned long sac_lat_bucket(s64 units)
{
	return __fls((u64)units | 1) & (SAC_RAW_LAT - 1);
}
static_assert(SAC_RAW_LAT == 8 * sizeof(s64));

/* statistics= at load, before the hook (params.c). */
void sac_statistics_init(bool on);

/* Clock units (cycles or ns) to ns; not for the hot path. */
u64 sac_clock_units_to_ns(u64 units);
void sac_timing_get(void);
void sac_timing_put(void);
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
/* Does @domain's private layout verify (notrace; hook and slow paths)? */
bool sac_layout_verify(const struct iommu_domain *domain);
/* Redirected calls not yet returned, over every set (unload). */
long sac_inflight_total(void);
int sac_hook_init(void);
void sac_hook_exit(void);
/* Timing went on or off: the callback picks the timed copies or not. */
void sac_hook_set_timed(bool on);
/* Is the hook registered (serving allocations)? */
bool sac_hook_serving(void);
/*
 * Before a change that needs the hook (a policy sac or dma32, statistics
 * on): register it if it is not (may sleep; an error means: do not make
 * the change). After a change that may leave nothing needing it:
 * unregister it (6.6+; may sleep).
 */
int sac_hook_require(void);
void sac_hook_relax(void);

/* Policies the native bit cannot express (6.6+): they need the hook. */
static inline bool sac_policy_needs_hook(enum sac_policy p)
{
	return p == SAC_POLICY_SAC || p == SAC_POLICY_DMA32;
}

#endif /* _SAC_INTERNAL_H */
