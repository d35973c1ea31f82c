/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iommu_sac: the core's API for its front ends (debugfs/ today).
 *
 * A front end sees devices as opaque struct sac_dev handles, which the core
 * hands to it through struct sac_frontend callbacks: ->dev_add() once a
 * device is in the table, ->dev_del() before it leaves. A handle is valid
 * from the end of ->dev_add() until ->dev_del() returns; both run in process
 * context with the table mutex held, so they must not call back into the
 * functions below that say "takes the table mutex".
 *
 * Everything else may be called from any process context, at any time
 * between sac_frontend_register() and sac_frontend_unregister(). Nothing here
 * sleeps on the table mutex unless it says so; none of it is for the
 * allocation hot path.
 */
#ifndef _SAC_H
#define _SAC_H

#include <linux/types.h>

struct sac_dev;

/* Policies. SAC_POLICY_DEFAULT only ever means "no per-device override". */
enum sac_policy {
	SAC_POLICY_DEFAULT,
	SAC_POLICY_AUTO,
	SAC_POLICY_SAC,
	SAC_POLICY_DAC,
	SAC_POLICY_DMA32,
	SAC_POLICY_KERNEL,
	SAC_POLICY_NR
};

/* A device's SAC state: trying 32-bit first, or switched to its full range. */
enum sac_state {
	SAC_STATE_SAC,
	SAC_STATE_DAC,
	SAC_STATE_NR
};

/* What caused a state change. */
enum sac_cause {
	SAC_CAUSE_NONE,		/* no change yet */
	SAC_CAUSE_ALLOC,	/* our allocator: a 32-bit attempt failed */
	SAC_CAUSE_KERNEL,	/* the kernel changed its native bit */
	SAC_CAUSE_USER,		/* a re-arm through a front end */
	SAC_CAUSE_DOMAIN,	/* a new domain (kernels without the native bit) */
	SAC_CAUSE_NR
};

/* Counters, per device and global. Names: sac_counter_name(). */
enum sac_counter {
	SAC_CNT_ALLOCS,		/* allocations served by the module */
	SAC_CNT_SAC_TRIES,	/* 32-bit attempts */
	SAC_CNT_SAC_HITS,	/* 32-bit attempts that succeeded */
	SAC_CNT_SAC_MISSES,	/* 32-bit attempts that failed */
	SAC_CNT_DAC_ALLOCS,	/* successful allocations from the full range */
	SAC_CNT_FAILED,		/* allocations that returned no IOVA */
	SAC_CNT_DMA32_REFUSALS,	/* policy dma32: failed rather than exceed 4 GiB */
	SAC_CNT_SWITCHES,	/* sac -> dac switches (ours and the kernel's) */
	SAC_CNT_KERNEL_CALLS,	/* calls left to the kernel's own function */
	SAC_CNT_NR
};

/*
 * Latency histogram, in units of the allocator's clock (ns, or TSC cycles):
 * bucket 0 holds 0..1, bucket b >= 1 2^b..2^(b+1)-1, the last bucket
 * everything above. sac_lat_bounds() gives the bounds in ns.
 */
#define SAC_LAT_BUCKETS		32

struct sac_stats {
	u64 cnt[SAC_CNT_NR];
	u64 lat[SAC_LAT_BUCKETS];
};

/* A consistent copy of one device's state. */
struct sac_dev_info {
	enum sac_state state;
	enum sac_policy policy;		/* override, or SAC_POLICY_DEFAULT */
	enum sac_policy effective;	/* what the hook applies now */
	unsigned int switches;
	u64 switch_ns;			/* CLOCK_BOOTTIME of the last switch, 0 = never */
	u64 switch_size;		/* bytes of the failed 32-bit attempt, 0 = unknown */
	enum sac_cause switch_by;	/* NONE, ALLOC or KERNEL */
	unsigned int dma_limit_bits;	/* bits of min(DMA mask, bus limit), 0 = no mask */
	bool pci;
	int native_bit;			/* dev->iommu->pci_32bit_workaround, -1 = none */
	int layout;			/* last domain seen: 1 verified, 0 not, -1 none yet */
};

/* Hook and kernel state for the global stats. */
struct sac_hook_info {
	bool registered;
	long inflight;			/* calls inside the hook now; -1: not counted (!RT) */
	bool timing;			/* latency timing on (switch or trace event) */
	bool timing_switch;		/* the timing switch (parameter, control) */
	bool vouched;			/* kernel's layouts read from source */
	int forcedac;			/* 0, 1, -1 = not read (see compat.h) */
	bool native_bit;		/* kernel has dev->iommu->pci_32bit_workaround */
	unsigned int devices;		/* devices in the table */
};

/*
 * The 32-bit IOVA space of the domain a device allocates from
 * (sac_dev_iova32()). Pages are IOVA pages of @granule bytes; the 32-bit
 * space is [start_pfn, limit32_pfn). docs/interfaces.md explains each field.
 */
#define SAC_IOVA32_HIST		21	/* log2 buckets of free runs (4 KiB: 0..20) */
#define SAC_IOVA32_SHARED_MAX	16	/* names listed in shared_with */

enum sac_iova32_domain {
	SAC_IOVA32_DOM_NONE,
	SAC_IOVA32_DOM_IDENTITY,
	SAC_IOVA32_DOM_BLOCKED,
	SAC_IOVA32_DOM_UNMANAGED,
	SAC_IOVA32_DOM_DMA,
	SAC_IOVA32_DOM_DMA_FQ,
	SAC_IOVA32_DOM_NR
};

struct sac_iova32 {
	bool available;
	enum sac_iova32_domain domain;
	const char *reason;		/* why not available (static text) */
	int group;			/* iommu_group_id() */
	unsigned int group_devices;
	char shared_with[SAC_IOVA32_SHARED_MAX * 16];	/* "" = none */
	unsigned long granule;
	unsigned long start_pfn;
	unsigned long limit32_pfn;
	unsigned int hist_buckets;	/* gap32_hist[0 .. hist_buckets) */
	u64 space32_pages;
	u64 reserved32_pages;
	u64 used32_pages;
	u64 used32_iovas;
	u64 free32_pages;
	u64 gaps32;
	u64 largest_gap32_pages;
	u64 largest_fit32_pages;
	unsigned long max32_alloc_size;
	u64 reserved_high_pages;
	u64 used_high_pages;
	u64 used_high_iovas;
	bool rcache;			/* the per-CPU caches were read */
	u64 cached32_iovas;
	u64 cached32_pages;
	u64 cached_iovas;
	u64 cached_pages;
	u64 walked_iovas;
	unsigned int lock_holds;
	bool truncated;
	u64 gap32_hist[SAC_IOVA32_HIST];
};

struct sac_frontend {
	void (*dev_add)(struct sac_dev *sd);
	void (*dev_del)(struct sac_dev *sd);
};

/* policy.c */
const char *sac_policy_name(enum sac_policy policy);
/* Parse a policy name (sysfs_streq); "default" only when allow_default. */
int sac_policy_parse(const char *buf, bool allow_default, enum sac_policy *out);
const char *sac_state_name(enum sac_state state);
const char *sac_cause_name(enum sac_cause cause);
enum sac_policy sac_default_policy(void);
int sac_set_default_policy(enum sac_policy policy);
int sac_dev_set_policy(struct sac_dev *sd, enum sac_policy policy);
void sac_dev_rearm(struct sac_dev *sd);
/* Re-arm one device by name; -ENODEV if it is not in the table. */
int sac_rearm_by_name(const char *name);
void sac_rearm_all(void);

/* devtable.c */
const char *sac_dev_name(const struct sac_dev *sd);
void sac_dev_info(struct sac_dev *sd, struct sac_dev_info *info);
/*
 * The front end's room in a device's entry: SAC_FRONTEND_DEV_SIZE bytes,
 * aligned for pointers, zeroed when the entry is made, the front end's
 * from ->dev_add() to ->dev_del(). In the entry so that a front end needs
 * no allocation of its own per device: a device in the table always has
 * its front end's files (an entry that cannot be allocated is reported,
 * and the device is not tracked at all).
 */
#define SAC_FRONTEND_DEV_SIZE	(16 * sizeof(void *))
void *sac_dev_frontend_area(struct sac_dev *sd);
/* Takes the table mutex; calls ->dev_add for every device already known. */
int sac_frontend_register(const struct sac_frontend *fe);
/* Takes the table mutex; calls ->dev_del for every device. */
void sac_frontend_unregister(const struct sac_frontend *fe);

/* stats.c */
const char *sac_counter_name(enum sac_counter c);
void sac_dev_stats(const struct sac_dev *sd, struct sac_stats *out);
void sac_global_stats(struct sac_stats *out);
/* Zero the global and every device's counters and histograms. */
void sac_stats_reset(void);
/*
 * Latency timing: the switch (the timing parameter and control file), and
 * bucket b's bounds in ns (lo..hi inclusive, contiguous and increasing;
 * the last bucket's hi is U64_MAX), converted from the clock's units.
 */
void sac_timing_set(bool on);
/*
 * Statistics (on by default): off lets the hook go on kernels with the
 * native bit while no device needs it. Turning it on may fail (the hook
 * cannot be registered: kernel.ftrace_enabled is 0) and then changes
 * nothing. May sleep.
 */
int sac_statistics_set(bool on);
bool sac_statistics_on(void);
bool sac_timing_switched_on(void);
bool sac_timing_enabled(void);
void sac_lat_bounds(unsigned int b, u64 *lo, u64 *hi);

/* hook.c */
void sac_hook_info(struct sac_hook_info *info);

/* iova32.c */
const char *sac_iova32_domain_name(enum sac_iova32_domain d);
/*
 * Fill @out for the device's domain. Sleeps (device lock, IOMMU group
 * mutex, allocations); holds the allocator's tree lock at most 1024 nodes
 * at a time. 0 with out->available false when there is nothing to show;
 * -EBUSY when the device stays locked (driver probing or unbinding) for a
 * second, -EINTR on a signal, -ENOMEM.
 */
int sac_dev_iova32(struct sac_dev *sd, struct sac_iova32 *out);

/* main.c */
const char *sac_version(void);

#endif /* _SAC_H */
