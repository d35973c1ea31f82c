// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_sac: the device table.
 *
 * One entry per PCI or platform device that iommu-dma serves, keyed by its
 * struct device pointer in an RCU hash table. Entries are made at load
 * (bus_for_each_dev) and kept current by a bus notifier: a device is looked
 * at again when it is added and when a driver binds (iommu-dma may only be
 * set up by then), its domain is forgotten when a driver unbinds (the
 * domain may change before the next one binds), and it is dropped when it
 * is deleted. An entry keeps its
 * device's policy override, state and counters; a device that comes back
 * starts afresh (with its devices= rule, if any).
 *
 * Locking: sac_table_lock (a mutex) serialises writers and the front end
 * callbacks; the hook and the front ends' handlers only read, under
 * rcu_read_lock(). An entry is unlinked, then freed after an RCU grace
 * period, so a reader never sees freed memory. Front end callbacks run under
 * sac_table_lock, so a front end never sees an entry it was not told about.
 *
 * Freeing: a removed device's entry goes to queue_rcu_work() on sac_free_wq
 * (its grace period, then the waits for redirected calls still using it,
 * then put_device(), which may sleep, in process context), so removing N
 * devices (SR-IOV VFs) costs no grace period under the mutex. At exit, sac_devtable_exit() waits for all of them:
 * rcu_barrier() for the grace periods queued, then destroy_workqueue()
 * drains the work items, before the module's text and data go away.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-mapping.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/delay.h>
#include <linux/slab.h>

#include "internal.h"

DEFINE_HASHTABLE(sac_devs, SAC_HASH_BITS);

static DEFINE_MUTEX(sac_table_lock);
/* sac_table_lock */
static const struct sac_frontend *sac_fe;
/* sac_table_lock for writers; read with READ_ONCE() for the stats. */
static unsigned int sac_ndevs;

/* typeof: const since v6.4-ish, without a version check here. */
static typeof(pci_bus_type) *const sac_buses[] = {
	&pci_bus_type,
	&platform_bus_type,
};

static struct notifier_block sac_nbs[ARRAY_SIZE(sac_buses)];

/* Frees removed entries (sac_dev_free_work()); drained at exit. */
static struct workqueue_struct *sac_free_wq;

const char *sac_dev_name(const struct sac_dev *sd)
{
	return dev_name(sd->dev);
}

void *sac_dev_frontend_area(struct sac_dev *sd)
{
	return sd->fe_area;
}

void sac_dev_info(struct sac_dev *sd, struct sac_dev_info *info)
{
	struct device *dev = sd->dev;
	unsigned long domain;
	unsigned long flags;
	u64 limit = 0;

	/* Show the kernel's latest word, not a stale one. */
	sac_dev_native_sync(sd);

	raw_spin_lock_irqsave(&sd->lock, flags);
	info->state = sd->state;
	info->switches = sd->switches;
	info->switch_ns = sd->switch_ns;
	info->switch_size = sd->switch_size;
	info->switch_by = sd->switch_by;
	info->native_bit = SAC_HAVE_NATIVE_BIT && sd->pci ?
			   sac_native_bit(dev) : -1;
	raw_spin_unlock_irqrestore(&sd->lock, flags);

	info->policy = READ_ONCE(sd->policy);
	info->effective = sac_dev_policy(sd);
	info->pci = sd->pci;
	if (dev->dma_mask && *dev->dma_mask)
		limit = min_not_zero(*dev->dma_mask, dev->bus_dma_limit);
	info->dma_limit_bits = limit ? bits_per(limit) : 0;
	domain = READ_ONCE(sd->domain);
	info->layout = domain && domain != SAC_DOMAIN_FORGOTTEN ?
		       !!(domain & SAC_DOMAIN_OK) : -1;
}

unsigned int sac_devtable_count(void)
{
	return READ_ONCE(sac_ndevs);
}

/* ---------------------------------------------------------------------- */
/* Entries (sac_table_lock)                                               */

static struct sac_dev *sac_dev_find_locked(struct device *dev)
{
	struct sac_dev *sd;

	lockdep_assert_held(&sac_table_lock);
	hash_for_each_possible(sac_devs, sd, node, (unsigned long)dev)
		if (sd->dev == dev)
			return sd;
	return NULL;
}

static void sac_dev_free(struct sac_dev *sd)
{
	free_percpu(sd->stats);
	put_device(sd->dev);
	kfree(sd);
}

/*
 * A removed entry, an RCU grace period after its unlinking: no callback can
 * find it any more, but a task may still be between the callback that found
 * it and the end of the replacement (hook.c). Nothing sleeps there but, on
 * PREEMPT_RT, an rtlock: a tasks-RCU grace period covers the others, the
 * entry's return count (SAC_COUNT_DONE) those.
 */
static void sac_dev_free_work(struct work_struct *work)
{
	struct sac_dev *sd = container_of(to_rcu_work(work), struct sac_dev,
					  free_work);

	synchronize_rcu_tasks();
	while (sac_stats_inflight(sd->stats) > 0)
		usleep_range(100, 200);
	/* Pairs with sac_release_barrier() before the return's count. */
	smp_mb();
	sac_stats_retire(sd);
	sac_dev_free(sd);
}

static void sac_dev_add_locked(struct device *dev)
{
	struct sac_dev *sd;

	lockdep_assert_held(&sac_table_lock);
	if (sac_dev_find_locked(dev) || !sac_dev_uses_iommu_dma(dev))
		return;

	sd = kzalloc(sizeof(*sd), GFP_KERNEL);
	if (!sd)
		goto nomem;
	sd->stats = alloc_percpu(struct sac_pcpu);
	if (!sd->stats) {
		kfree(sd);
		goto nomem;
	}
	sd->dev = get_device(dev);
	sd->pci = dev_is_pci(dev);
	sd->policy = sac_params_policy_for(dev);
	sac_dev_state_init(sd);

	hash_add_rcu(sac_devs, &sd->node, (unsigned long)dev);
	WRITE_ONCE(sac_ndevs, sac_ndevs + 1);
	if (sd->policy != SAC_POLICY_DEFAULT)
		dev_info(dev, "policy %s (devices=)\n",
			 sac_policy_name(sd->policy));
	/* The hook is off (nothing needed it): a devices= rule may now. */
	if (READ_ONCE(sac_hook_idle) &&
	    sac_policy_needs_hook(sac_dev_policy(sd)) && sac_hook_require())
		dev_warn(dev, "policy %s needs the hook, which cannot be registered: the kernel's own allocator serves this device\n",
			 sac_policy_name(sac_dev_policy(sd)));
	if (sac_fe)
		sac_fe->dev_add(sd);
	return;
nomem:
	/* The hook treats it as unknown: default policy, global counters. */
	dev_warn(dev, "out of memory: not tracked by %s\n", KBUILD_MODNAME);
}

static void sac_dev_del_locked(struct device *dev)
{
	struct sac_dev *sd;

	lockdep_assert_held(&sac_table_lock);
	sd = sac_dev_find_locked(dev);
	if (!sd)
		return;
	if (sac_fe)
		sac_fe->dev_del(sd);
	hash_del_rcu(&sd->node);
	WRITE_ONCE(sac_ndevs, sac_ndevs - 1);
	INIT_RCU_WORK(&sd->free_work, sac_dev_free_work);
	queue_rcu_work(sac_free_wq, &sd->free_work);
}

void sac_devtable_for_each(void (*fn)(struct sac_dev *sd, void *arg),
			   void *arg)
{
	struct sac_dev *sd;
	int bkt;

	mutex_lock(&sac_table_lock);
	hash_for_each(sac_devs, bkt, sd, node)
		fn(sd, arg);
	mutex_unlock(&sac_table_lock);
}

/* ---------------------------------------------------------------------- */
/* Front ends                                                             */

int sac_frontend_register(const struct sac_frontend *fe)
{
	struct sac_dev *sd;
	int bkt, ret = 0;

	mutex_lock(&sac_table_lock);
	if (sac_fe) {
		ret = -EBUSY;
		goto out;
	}
	sac_fe = fe;
	hash_for_each(sac_devs, bkt, sd, node)
		fe->dev_add(sd);
out:
	mutex_unlock(&sac_table_lock);
	return ret;
}

void sac_frontend_unregister(const struct sac_frontend *fe)
{
	struct sac_dev *sd;
	int bkt;

	mutex_lock(&sac_table_lock);
	if (sac_fe == fe) {
		hash_for_each(sac_devs, bkt, sd, node)
			fe->dev_del(sd);
		sac_fe = NULL;
	}
	mutex_unlock(&sac_table_lock);
}

/* ---------------------------------------------------------------------- */
/* Bus notifier and load-time scan                                        */

static int sac_bus_notify(struct notifier_block *nb, unsigned long action,
			  void *data)
{
	struct device *dev = data;
	struct sac_dev *sd;

	switch (action) {
	case BUS_NOTIFY_ADD_DEVICE:
	case BUS_NOTIFY_BIND_DRIVER:
		mutex_lock(&sac_table_lock);
		sac_dev_add_locked(dev);
		mutex_unlock(&sac_table_lock);
		break;
	case BUS_NOTIFY_BOUND_DRIVER:
		mutex_lock(&sac_table_lock);
		sac_dev_add_locked(dev);
		sd = sac_dev_find_locked(dev);
		if (sd)
			sac_dev_domain_refresh(sd);
		mutex_unlock(&sac_table_lock);
		break;
	case BUS_NOTIFY_UNBOUND_DRIVER:
		mutex_lock(&sac_table_lock);
		sd = sac_dev_find_locked(dev);
		if (sd)
			sac_dev_domain_forget(sd);
		mutex_unlock(&sac_table_lock);
		break;
	case BUS_NOTIFY_DEL_DEVICE:
		mutex_lock(&sac_table_lock);
		sac_dev_del_locked(dev);
		mutex_unlock(&sac_table_lock);
		break;
	}
	return NOTIFY_DONE;
}

static int sac_scan_one(struct device *dev, void *unused)
{
	mutex_lock(&sac_table_lock);
	sac_dev_add_locked(dev);
	mutex_unlock(&sac_table_lock);
	return 0;
}

static void sac_devtable_clear(void)
{
	struct sac_dev *sd, *next;
	struct hlist_node *tmp;
	LIST_HEAD(dead);
	int bkt;

	mutex_lock(&sac_table_lock);
	hash_for_each_safe(sac_devs, bkt, tmp, sd, node) {
		if (sac_fe)
			sac_fe->dev_del(sd);
		/* sd->node stays intact for readers until the grace period. */
		hash_del_rcu(&sd->node);
		list_add(&sd->dead, &dead);
	}
	WRITE_ONCE(sac_ndevs, 0);
	mutex_unlock(&sac_table_lock);

	/* One grace period for all of them. */
	synchronize_rcu();
	list_for_each_entry_safe(sd, next, &dead, dead)
		sac_dev_free(sd);
}

int sac_devtable_init(void)
{
	int i, ret;

	sac_free_wq = alloc_workqueue("iommu_sac_free", WQ_UNBOUND, 0);
	if (!sac_free_wq) {
		pr_err("out of memory: cannot create the workqueue iommu_sac_free\n");
		return -ENOMEM;
	}
	/* Notifier first, then the scan: no device slips between them. */
	for (i = 0; i < ARRAY_SIZE(sac_buses); i++) {
		sac_nbs[i].notifier_call = sac_bus_notify;
		ret = bus_register_notifier(sac_buses[i], &sac_nbs[i]);
		if (ret)
			goto err;
	}
	for (i = 0; i < ARRAY_SIZE(sac_buses); i++)
		bus_for_each_dev(sac_buses[i], NULL, NULL, sac_scan_one);
	return 0;
err:
	while (--i >= 0)
		bus_unregister_notifier(sac_buses[i], &sac_nbs[i]);
	destroy_workqueue(sac_free_wq);
	return ret;
}

void sac_devtable_exit(void)
{
	int i;

	for (i = ARRAY_SIZE(sac_buses) - 1; i >= 0; i--)
		bus_unregister_notifier(sac_buses[i], &sac_nbs[i]);
	sac_devtable_clear();
	/* Entries removed earlier: their grace periods, then their work. */
	rcu_barrier();
	destroy_workqueue(sac_free_wq);
}
