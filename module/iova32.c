// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_sac: the 32-bit IOVA space of a device's domain, for front ends.
 *
 * Computed on demand (a debugfs read), never from the allocation hook. The
 * allocator's red-black tree (struct iova_domain, include/linux/iova.h)
 * holds one node per allocated IOVA range, reserved ranges included, plus
 * an anchor at the top; nodes are ordered by pfn_lo and never overlap. The
 * walk visits them in order under the allocator's own spinlock, at most
 * SAC_IOVA32_BATCH nodes per hold: between holds it drops the lock and
 * resumes after the last pfn it saw, so a huge tree never stalls the CPUs
 * that map DMA, and iova32_max_iovas bounds a read's total work.
 *
 * Domain lifetime: a DMA domain is freed only when the group's default
 * domain changes or the group goes away. Both need the device without a
 * driver that uses the DMA API (6.1: the type change takes the device lock
 * and checks for a driver; 6.12+: it refuses while the group has DMA
 * owners, which such a driver is). So the view is computed with the device
 * lock held and such a driver bound; otherwise it says why there is none.
 * The lock is only tried (for up to a second): a reader never waits on a
 * probe, and never blocks the unloading of this module (which waits for
 * readers while holding the table mutex that bus notifiers take under the
 * device lock).
 *
 * Reserved ranges are not marked in the tree. A node counts as reserved
 * when it overlaps a range that iommu_dma_init_domain() reserves: the PCI
 * host bridge's memory windows and what lies outside its DMA ranges, and
 * the group's reserved regions other than software MSI. The allocator never
 * hands out IOVAs overlapping those, so the split is exact.
 *
 * The per-CPU caches (private to iova.c, mirrored in compat.h) are read
 * before the tree, each magazine under its own lock, never nested with the
 * tree lock (iova.c takes the tree lock inside the cache locks).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/iommu.h>
#include <linux/iova.h>
#include <linux/jiffies.h>
#include <linux/minmax.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/rbtree.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>

#include "internal.h"

/* Tree nodes visited per hold of the tree lock. */
#define SAC_IOVA32_BATCH	1024
/* How long a reader tries to get the device lock. */
#define SAC_IOVA32_LOCK_MS	1000
/* Reserved ranges considered (windows + regions); more is not plausible. */
#define SAC_IOVA32_RESV_MAX	64

static const char *const sac_iova32_domain_names[] = {
	[SAC_IOVA32_DOM_NONE]		= "none",
	[SAC_IOVA32_DOM_IDENTITY]	= "identity",
	[SAC_IOVA32_DOM_BLOCKED]	= "blocked",
	[SAC_IOVA32_DOM_UNMANAGED]	= "unmanaged",
	[SAC_IOVA32_DOM_DMA]		= "dma",
	[SAC_IOVA32_DOM_DMA_FQ]		= "dma-fq",
};

static_assert(ARRAY_SIZE(sac_iova32_domain_names) == SAC_IOVA32_DOM_NR);

const char *sac_iova32_domain_name(enum sac_iova32_domain d)
{
	return d < SAC_IOVA32_DOM_NR ? sac_iova32_domain_names[d] : "?";
}

/* ---------------------------------------------------------------------- */
/* The domain                                                             */

static enum sac_iova32_domain sac_iova32_domain_type(struct iommu_domain *d)
{
	if (!d)
		return SAC_IOVA32_DOM_NONE;
	switch (d->type) {
	case IOMMU_DOMAIN_IDENTITY:
		return SAC_IOVA32_DOM_IDENTITY;
	case IOMMU_DOMAIN_BLOCKED:
		return SAC_IOVA32_DOM_BLOCKED;
	case IOMMU_DOMAIN_DMA:
		return SAC_IOVA32_DOM_DMA;
	case IOMMU_DOMAIN_DMA_FQ:
		return SAC_IOVA32_DOM_DMA_FQ;
	default:
		return SAC_IOVA32_DOM_UNMANAGED;
	}
}

static const char *sac_iova32_domain_reason(enum sac_iova32_domain d)
{
	switch (d) {
	case SAC_IOVA32_DOM_NONE:
		return "no domain attached";
	case SAC_IOVA32_DOM_IDENTITY:
		return "identity domain: DMA is not translated";
	case SAC_IOVA32_DOM_BLOCKED:
		return "blocked domain: DMA is refused";
	default:
		return "unmanaged domain: owned by a driver (VFIO)";
	}
}

/* Does the bound driver use the DMA API (and so pin the default domain)? */
static bool sac_driver_uses_dma_api(struct device *dev)
{
	struct device_driver *drv = dev->driver;

	if (dev_is_pci(dev))
		return !to_pci_driver(drv)->driver_managed_dma;
	if (dev_is_platform(dev))
		return !to_platform_driver(drv)->driver_managed_dma;
	return false;
}

static int sac_device_trylock(struct device *dev)
{
	unsigned long end = jiffies + msecs_to_jiffies(SAC_IOVA32_LOCK_MS);

	while (!device_trylock(dev)) {
		if (signal_pending(current))
			return -EINTR;
		if (time_after(jiffies, end))
			return -EBUSY;
		usleep_range(5000, 10000);
	}
	return 0;
}

struct sac_group_walk {
	struct device *self;
	struct sac_iova32 *out;
	unsigned int listed;
	bool full;
};

static int sac_iova32_group_dev(struct device *dev, void *data)
{
	struct sac_group_walk *g = data;
	struct sac_iova32 *out = g->out;
	size_t len = strlen(out->shared_with);
	size_t room = sizeof(out->shared_with) - len;
	const char *sep = len ? "," : "";

	out->group_devices++;
	if (dev == g->self || g->full)
		return 0;
	/* Leave room for ",..." after the last name that fits. */
	if (g->listed == SAC_IOVA32_SHARED_MAX ||
	    strlen(sep) + strlen(dev_name(dev)) + 4 >= room) {
		strlcat(out->shared_with, ",...", sizeof(out->shared_with));
		g->full = true;
		return 0;
	}
	snprintf(out->shared_with + len, room, "%s%s", sep, dev_name(dev));
	g->listed++;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Reserved ranges                                                        */

struct sac_resv {
	unsigned long lo, hi;	/* pfns, inclusive */
};

struct sac_resv_set {
	struct sac_resv r[SAC_IOVA32_RESV_MAX];
	unsigned int nr;
	bool overflow;
};

static void sac_resv_add(struct sac_resv_set *rs, unsigned long shift,
			 u64 start, u64 end)
{
	if (end < start)
		return;
	if (rs->nr == SAC_IOVA32_RESV_MAX) {
		rs->overflow = true;
		return;
	}
	rs->r[rs->nr].lo = start >> shift;
	rs->r[rs->nr].hi = end >> shift;
	rs->nr++;
}

static int sac_resv_cmp(const void *a, const void *b)
{
	const struct sac_resv *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return 0;
}

/* Sort and merge into disjoint ranges in ascending order. */
static void sac_resv_normalise(struct sac_resv_set *rs)
{
	unsigned int i, n = 0;

	if (!rs->nr)
		return;
	sort(rs->r, rs->nr, sizeof(rs->r[0]), sac_resv_cmp, NULL);
	for (i = 1; i < rs->nr; i++) {
		if (rs->r[i].lo <= rs->r[n].hi + 1 && rs->r[n].hi != ~0UL)
			rs->r[n].hi = max(rs->r[n].hi, rs->r[i].hi);
		else if (rs->r[i].lo > rs->r[n].hi)
			rs->r[++n] = rs->r[i];
	}
	rs->nr = n + 1;
}

/* What iova_reserve_pci_windows() reserves. */
static void sac_resv_pci(struct sac_resv_set *rs, struct pci_dev *pdev,
			 unsigned long shift)
{
	struct pci_host_bridge *bridge = pci_find_host_bridge(pdev->bus);
	struct resource_entry *win;
	u64 start = 0;
	bool any = false;

	if (!bridge)
		return;
	resource_list_for_each_entry(win, &bridge->windows) {
		if (resource_type(win->res) != IORESOURCE_MEM)
			continue;
		sac_resv_add(rs, shift, win->res->start - win->offset,
			     win->res->end - win->offset);
	}
	/* Everything outside the DMA ranges (none on x86). */
	resource_list_for_each_entry(win, &bridge->dma_ranges) {
		u64 lo = win->res->start - win->offset;

		if (lo > start)
			sac_resv_add(rs, shift, start, lo - 1);
		start = max(start, (u64)(win->res->end - win->offset) + 1);
		any = true;
	}
	if (any && start)
		sac_resv_add(rs, shift, start, ~0ULL);
}

/* What iova_reserve_iommu_regions() reserves, for the whole group. */
static int sac_resv_collect(struct sac_resv_set *rs, struct device *dev,
			    struct iommu_group *group, unsigned long shift)
{
	struct iommu_resv_region *region, *next;
	LIST_HEAD(regions);
	int ret;

	if (dev_is_pci(dev))
		sac_resv_pci(rs, to_pci_dev(dev), shift);
	ret = iommu_get_group_resv_regions(group, &regions);
	list_for_each_entry_safe(region, next, &regions, list) {
		if (region->type != IOMMU_RESV_SW_MSI && region->length)
			sac_resv_add(rs, shift, region->start,
				     region->start + region->length - 1);
		kfree(region);
	}
	if (ret)
		return ret;
	if (rs->overflow)
		pr_warn_once("%s: more than %d reserved ranges: the rest count as used\n",
			     dev_name(dev), SAC_IOVA32_RESV_MAX);
	sac_resv_normalise(rs);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* The per-CPU caches                                                     */

#if SAC_HAVE_RCACHE_LAYOUT
/*
 * The layouts are trusted by kernel version (compat.h), but a stable
 * backport could change them: every pointer is checked before it is
 * followed, every count against its bound, and anything implausible makes
 * the whole view unavailable with a reason, rather than chasing a bad
 * pointer with interrupts off.
 */

/* Depot magazines one read follows at most (6.7+: a list, trimmed by a
 * delayed work to about one per CPU; 6.1: an array of 32).
 */
#define SAC_IOVA_DEPOT_MAX	4096

/* Does @p look like memory that kzalloc()/kmem_cache_alloc() returned? */
static bool sac_kmem_ok(const void *p, size_t size)
{
	return p && virt_addr_valid(p) &&
	       virt_addr_valid((const char *)p + size - 1);
}

/* Per-CPU memory: the embedded first chunk or a vmalloc'ed one. */
static bool sac_pcpu_ok(const void *p)
{
	return p && (virt_addr_valid(p) || is_vmalloc_addr(p));
}

/*
 * Count the @n pfns of @mag, IOVAs of 2^@order pages. NULL for a reason
 * (static text) when the magazine does not look like one.
 */
static const char *sac_mag_count(const struct sac_iova_magazine *mag,
				 unsigned long n, unsigned int order,
				 struct iova_domain *iovad, unsigned long limit,
				 struct sac_iova32 *out)
{
	unsigned long i;

	if (n > SAC_IOVA_MAG_SIZE)
		return "IOVA cache layout does not verify: a magazine holds more than 127 IOVAs";
	for (i = 0; i < n; i++) {
		if (mag->pfns[i] < iovad->start_pfn)
			return "IOVA cache layout does not verify: a cached IOVA lies below start_pfn";
		out->cached_iovas++;
		out->cached_pages += 1UL << order;
		if (mag->pfns[i] < limit) {
			out->cached32_iovas++;
			out->cached32_pages += 1UL << order;
		}
	}
	return NULL;
}

/* A CPU's loaded or prev magazine (may be NULL). */
static const char *sac_cpu_mag_count(const struct sac_iova_magazine *mag,
				     unsigned int order,
				     struct iova_domain *iovad,
				     unsigned long limit,
				     struct sac_iova32 *out)
{
	if (!mag)
		return NULL;
	if (!sac_kmem_ok(mag, sizeof(*mag)))
		return "IOVA cache layout does not verify: a per-CPU magazine pointer is not kernel memory";
	return sac_mag_count(mag, mag->size, order, iovad, limit, out);
}

static const char *sac_depot_count(struct sac_iova_rcache *rc,
				   unsigned int order,
				   struct iova_domain *iovad,
				   unsigned long limit, struct sac_iova32 *out)
{
	const char *bad;
#if SAC_IOVA_DEPOT_LIST
	struct sac_iova_magazine *mag = rc->depot;
	unsigned int i;

	if (rc->depot_size > SAC_IOVA_DEPOT_MAX)
		return "IOVA cache layout does not verify: the depot holds more than 4096 magazines";
	/* Depot magazines are full; "next" overlays their size. */
	for (i = 0; i < rc->depot_size; i++) {
		if (!sac_kmem_ok(mag, sizeof(*mag)))
			return "IOVA cache layout does not verify: a depot magazine pointer is not kernel memory";
		bad = sac_mag_count(mag, SAC_IOVA_MAG_SIZE, order, iovad,
				    limit, out);
		if (bad)
			return bad;
		mag = mag->next;
	}
	if (mag)
		return "IOVA cache layout does not verify: the depot list is longer than depot_size";
	return NULL;
#else
	unsigned long i;

	if (rc->depot_size > SAC_IOVA_MAX_GLOBAL_MAGS)
		return "IOVA cache layout does not verify: depot_size above 32";
	for (i = 0; i < rc->depot_size; i++) {
		struct sac_iova_magazine *mag = rc->depot[i];

		if (!sac_kmem_ok(mag, sizeof(*mag)))
			return "IOVA cache layout does not verify: a depot magazine pointer is not kernel memory";
		bad = sac_mag_count(mag, mag->size, order, iovad, limit, out);
		if (bad)
			return bad;
	}
	return NULL;
#endif
}

/* The rcache array and its per-CPU parts, before any lock in them is taken. */
static const char *sac_rcache_check(struct iova_domain *iovad,
				    struct sac_iova_rcache *rcaches)
{
	unsigned int order, cpu;

	if (!sac_kmem_ok(rcaches, sizeof(*rcaches) *
			 SAC_IOVA_RANGE_CACHE_MAX_SIZE))
		return "IOVA cache layout does not verify: rcaches is not kernel memory";
	for (order = 0; order < SAC_IOVA_RANGE_CACHE_MAX_SIZE; order++) {
		struct sac_iova_rcache *rc = &rcaches[order];

#if SAC_IOVA_DEPOT_LIST
		if (READ_ONCE(rc->iovad) != iovad)
			return "IOVA cache layout does not verify: an rcache does not point back at its iova_domain";
#endif
		if (!rc->cpu_rcaches)
			return "IOVA cache layout does not verify: an rcache has no cpu_rcaches";
		for_each_possible_cpu(cpu)
			if (!sac_pcpu_ok(per_cpu_ptr(rc->cpu_rcaches, cpu)))
				return "IOVA cache layout does not verify: a CPU's rcache is not per-CPU memory";
	}
	return NULL;
}

/*
 * 1: counted; 0: there are no caches to count; -1: the layout did not
 * verify, *why says what.
 */
static int sac_rcache_count(struct iova_domain *iovad, unsigned long limit,
			    struct sac_iova32 *out, const char **why)
{
	struct sac_iova_rcache *rcaches = (void *)READ_ONCE(iovad->rcaches);
	const char *bad = NULL;
	unsigned long flags;
	unsigned int order, cpu;

	if (!rcaches)
		return 0;
	bad = sac_rcache_check(iovad, rcaches);
	for (order = 0; !bad && order < SAC_IOVA_RANGE_CACHE_MAX_SIZE; order++) {
		struct sac_iova_rcache *rc = &rcaches[order];

		for_each_possible_cpu(cpu) {
			struct sac_iova_cpu_rcache *c;

			c = per_cpu_ptr(rc->cpu_rcaches, cpu);
			spin_lock_irqsave(&c->lock, flags);
			bad = sac_cpu_mag_count(c->loaded, order, iovad, limit,
						out);
			if (!bad)
				bad = sac_cpu_mag_count(c->prev, order, iovad,
							limit, out);
			spin_unlock_irqrestore(&c->lock, flags);
			if (bad)
				break;
		}
		if (bad)
			break;
		spin_lock_irqsave(&rc->lock, flags);
		bad = sac_depot_count(rc, order, iovad, limit, out);
		spin_unlock_irqrestore(&rc->lock, flags);
		cond_resched();
	}
	if (!bad)
		return 1;
	*why = bad;
	return -1;
}
#else
static int sac_rcache_count(struct iova_domain *iovad, unsigned long limit,
			    struct sac_iova32 *out, const char **why)
{
	return 0;
}
#endif

/* ---------------------------------------------------------------------- */
/* The tree                                                               */

struct sac_walk {
	struct iova_domain *iovad;
	const struct sac_resv_set *rs;
	unsigned int ri;		/* first reserved range not below */
	unsigned long start, limit;	/* the 32-bit space [start, limit) */
	unsigned long next_free;	/* lowest pfn not yet accounted */
	unsigned long last_lo;		/* resume after this pfn_lo */
	bool started;
	bool done;
	u64 max_nodes;
	struct sac_iova32 *out;
};

/* The first node with pfn_lo > @key; the tree is ordered by pfn_lo. */
static struct rb_node *sac_iova_after(struct iova_domain *iovad,
				      unsigned long key)
{
	struct rb_node *node = iovad->rbroot.rb_node, *best = NULL;

	while (node) {
		struct iova *iova = rb_entry(node, struct iova, node);

		if (iova->pfn_lo > key) {
			best = node;
			node = node->rb_left;
		} else {
			node = node->rb_right;
		}
	}
	return best;
}

static bool sac_walk_reserved(struct sac_walk *w, unsigned long lo,
			      unsigned long hi)
{
	const struct sac_resv_set *rs = w->rs;

	while (w->ri < rs->nr && rs->r[w->ri].hi < lo)
		w->ri++;
	return w->ri < rs->nr && rs->r[w->ri].lo <= hi;
}

/* A free run [lo, hi] of the 32-bit space. */
static void sac_walk_gap(struct sac_walk *w, unsigned long lo,
			 unsigned long hi)
{
	struct sac_iova32 *out = w->out;
	u64 len = hi - lo + 1;
	unsigned int k = ilog2(len);

	out->gaps32++;
	out->free32_pages += len;
	out->largest_gap32_pages = max(out->largest_gap32_pages, len);
	out->gap32_hist[min_t(unsigned int, k, SAC_IOVA32_HIST - 1)]++;
	/* The largest size-aligned power of two that fits, as alloc_iova(). */
	for (;; k--) {
		unsigned long a = ALIGN(lo, 1UL << k);

		if (a >= lo && a + (1UL << k) - 1 <= hi) {
			out->largest_fit32_pages =
				max_t(u64, out->largest_fit32_pages, 1UL << k);
			break;
		}
		if (!k)
			break;
	}
}

static void sac_walk_node(struct sac_walk *w, unsigned long lo,
			  unsigned long hi)
{
	struct sac_iova32 *out = w->out;
	bool resv = sac_walk_reserved(w, lo, hi);

	if (lo < w->limit && hi >= w->start) {
		u64 n = min(hi, w->limit - 1) - max(lo, w->start) + 1;

		if (resv) {
			out->reserved32_pages += n;
		} else {
			out->used32_pages += n;
			out->used32_iovas++;
		}
	}
	if (hi >= w->limit) {
		u64 n = hi - max(lo, w->limit) + 1;

		if (resv) {
			out->reserved_high_pages += n;
		} else {
			out->used_high_pages += n;
			out->used_high_iovas++;
		}
	}
	if (lo > w->next_free && w->next_free < w->limit)
		sac_walk_gap(w, w->next_free, min(lo, w->limit) - 1);
	if (hi >= w->next_free)
		w->next_free = hi == ~0UL ? hi : hi + 1;
}

/* One hold of the tree lock: up to SAC_IOVA32_BATCH nodes. */
static void sac_walk_batch(struct sac_walk *w)
{
	struct iova_domain *iovad = w->iovad;
	struct sac_iova32 *out = w->out;
	struct rb_node *node;
	unsigned long flags;
	unsigned int n;

	spin_lock_irqsave(&iovad->iova_rbtree_lock, flags);
	node = w->started ? sac_iova_after(iovad, w->last_lo) :
			    rb_first(&iovad->rbroot);
	for (n = 0; n < SAC_IOVA32_BATCH; n++, node = rb_next(node)) {
		struct iova *iova;

		if (!node || node == &iovad->anchor.node) {
			w->done = true;
			break;
		}
		if (out->walked_iovas == w->max_nodes) {
			out->truncated = true;
			w->done = true;
			break;
		}
		iova = rb_entry(node, struct iova, node);
		sac_walk_node(w, iova->pfn_lo, iova->pfn_hi);
		w->last_lo = iova->pfn_lo;
		w->started = true;
		out->walked_iovas++;
	}
	out->max32_alloc_size = READ_ONCE(iovad->max32_alloc_size);
	spin_unlock_irqrestore(&iovad->iova_rbtree_lock, flags);
	out->lock_holds++;
}

static int sac_walk_tree(struct sac_walk *w)
{
	struct sac_iova32 *out = w->out;

	while (!w->done) {
		sac_walk_batch(w);
		if (w->done)
			break;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	/* The top of the 32-bit space, when the walk got past it. */
	if (!out->truncated && w->next_free < w->limit)
		sac_walk_gap(w, w->next_free, w->limit - 1);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* The view                                                               */

static void sac_iova32_unavailable(struct sac_iova32 *out,
				   enum sac_iova32_domain d, const char *why)
{
	out->available = false;
	out->domain = d;
	out->reason = why;
}

static int sac_iova32_fill(struct device *dev, struct iommu_group *group,
			   struct iommu_domain *domain, struct sac_iova32 *out)
{
	struct iova_domain *iovad = sac_domain_iovad(domain);
	struct sac_group_walk g = { .self = dev, .out = out };
	unsigned long shift = __ffs(iovad->granule);
	struct sac_resv_set *rs;
	struct sac_walk w = { 0 };
	const char *why;
	int ret;

	rs = kzalloc(sizeof(*rs), GFP_KERNEL);
	if (!rs)
		return -ENOMEM;
	ret = sac_resv_collect(rs, dev, group, shift);
	if (ret)
		goto out;

	out->group = iommu_group_id(group);
	iommu_group_for_each_dev(group, &g, sac_iova32_group_dev);

	out->granule = iovad->granule;
	out->start_pfn = iovad->start_pfn;
	/* The first pfn at 4 GiB (iovad->dma_32bit_pfn, as verified). */
	out->limit32_pfn = 1UL << (32 - shift);
	out->space32_pages = out->limit32_pfn > out->start_pfn ?
			     out->limit32_pfn - out->start_pfn : 0;
	out->hist_buckets = min_t(unsigned int, SAC_IOVA32_HIST,
				  ilog2(out->limit32_pfn) + 1);

	ret = sac_rcache_count(iovad, out->limit32_pfn, out, &why);
	if (ret < 0) {
		/* Counts up to an implausible magazine mean nothing. */
		pr_warn_once("%s: %s: iova32 view unavailable\n",
			     dev_name(dev), why);
		sac_iova32_unavailable(out, out->domain, why);
		ret = 0;
		goto out;
	}
	out->rcache = ret;

	w.iovad = iovad;
	w.rs = rs;
	w.start = out->start_pfn;
	w.limit = out->limit32_pfn;
	w.next_free = out->start_pfn;
	w.max_nodes = sac_params_iova32_max_iovas();
	w.out = out;
	ret = sac_walk_tree(&w);
	out->available = !ret;
out:
	kfree(rs);
	return ret;
}

int sac_dev_iova32(struct sac_dev *sd, struct sac_iova32 *out)
{
	struct device *dev = sd->dev;
	struct iommu_domain *domain;
	struct iommu_group *group;
	enum sac_iova32_domain type;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = sac_device_trylock(dev);
	if (ret)
		return ret;
	group = iommu_group_get(dev);
	if (!group) {
		sac_iova32_unavailable(out, SAC_IOVA32_DOM_NONE,
				       "no IOMMU group");
		goto unlock;
	}
	/*
	 * Without a driver that uses the DMA API nothing pins the domain
	 * (6.12+ lets the group's type change then): do not touch it.
	 */
	if (!dev->driver) {
		sac_iova32_unavailable(out, SAC_IOVA32_DOM_NONE,
				       "no driver bound (only a bound driver pins the domain)");
		goto put;
	}
	if (!sac_driver_uses_dma_api(dev)) {
		sac_iova32_unavailable(out, SAC_IOVA32_DOM_NONE,
				       "the driver manages DMA itself (VFIO)");
		goto put;
	}
	domain = iommu_get_domain_for_dev(dev);
	type = sac_iova32_domain_type(domain);
	if (type != SAC_IOVA32_DOM_DMA && type != SAC_IOVA32_DOM_DMA_FQ)
		sac_iova32_unavailable(out, type,
				       sac_iova32_domain_reason(type));
	else if (!sac_domain_layout_ok(domain))
		sac_iova32_unavailable(out, type,
				       "DMA cookie layout not verified");
	else
		ret = sac_iova32_fill(dev, group, domain, out);
	out->domain = type;
put:
	iommu_group_put(group);
unlock:
	device_unlock(dev);
	return ret;
}
