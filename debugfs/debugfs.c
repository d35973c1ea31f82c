// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_sac: the debugfs front end, /sys/kernel/debug/iommu_sac/.
 *
 *   version            r   the module version
 *   default_policy     rw  auto|sac|dac|dma32|kernel
 *   rearm              w   a device name, or "all"
 *   reset_stats        w   "1": zero every counter and histogram
 *   statistics         rw  0|1: count every allocation (0: on 6.6+ the hook
 *                          goes while no device needs it)
 *   timing             rw  0|1: latency timing (also on while the sac_alloc
 *                          trace event is enabled; see stats "timing")
 *   stats              r   global counters and hook state, "key value" lines
 *   devices/<name>/
 *     policy           rw  default|auto|sac|dac|dma32|kernel
 *     state            r   "key value" lines
 *     stats            r   "key value" lines
 *     latency          r   "lo_ns hi_ns count" lines, one per log2 bucket
 *                          (counted only while timing is on)
 *     iova32           r   "key value" lines: the domain's 32-bit IOVA space
 *
 * The exact formats are documented in docs/interfaces.md; tools parse them.
 * One value per control file. A bad write returns -EINVAL and changes
 * nothing. Everything is root only: 0400 to read, 0600/0200 to write.
 *
 * The files' operations are not in this module: they are in
 * iommu_sac_fops.ko (debugfs/fops.c), which calls the read and write
 * handlers below through the struct sac_fops_file each file was created
 * with. An open therefore never takes a reference on iommu_sac: rmmod goes
 * ahead while files are open (their reads and writes fail with EIO once
 * the files are removed), and an open racing rmmod cannot meet the
 * kernel's "debugfs file owner did not clean up at exit" warning, on any
 * kernel (tests/guest/debugfs-unload-race.sh). The handlers keep no state
 * between calls: each read formats the whole text anew (sac_dbg_read()).
 *
 * This file only uses the core's API (sac.h). Device directories follow the
 * core's device table through the sac_frontend callbacks, which run under
 * the core's table mutex; the handlers below never take that mutex, so
 * removing a directory (which waits for its handlers) cannot deadlock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/limits.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/seq_buf.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "sac.h"
#include "sac_debugfs.h"
#include "sac_fops.h"

/* Longest write accepted, including a trailing newline. */
#define SAC_DBG_INPUT_MAX	128

/* A text is formatted in a page, or in twice that until it fits, up to: */
#define SAC_DBG_TEXT_MAX	(64 * 1024)

/*
 * Where a read that returned the end of a text leaves the file offset:
 * past any text, so the next read returns 0 (end of file) and does not
 * format the text again. Any offset from here on reads as end of file.
 */
#define SAC_DBG_EOF		((loff_t)INT_MAX)

static struct dentry *sac_dbg_root;
static struct dentry *sac_dbg_devices;

/*
 * A device's directory and its files' handlers (sac_dbg_dev_add()), in the
 * room the core keeps for us in the device's entry.
 */
#define SAC_DBG_DEV_FILES	5
struct sac_dbg_dev {
	struct dentry *dir;
	struct sac_fops_file files[SAC_DBG_DEV_FILES];
};

/* Copy a user write once, bounded and NUL-terminated, and strip it. */
static char *sac_dbg_input(const char __user *ubuf, size_t count,
			   loff_t *ppos, char *buf)
{
	if (*ppos != 0 || count == 0 || count >= SAC_DBG_INPUT_MAX)
		return ERR_PTR(-EINVAL);
	if (copy_from_user(buf, ubuf, count))
		return ERR_PTR(-EFAULT);
	buf[count] = '\0';
	/* "dac\0junk" is not "dac": an embedded NUL is bad input too. */
	if (strlen(buf) != count)
		return ERR_PTR(-EINVAL);
	return strstrip(buf);
}

/*
 * Read: format the whole text with show(), into a buffer of this call's
 * own, and copy the part asked for. A read from offset 0 gets a new
 * snapshot; one that returns the end of the text moves the offset to
 * SAC_DBG_EOF, so cat and read-to-end loops see one snapshot. A reader
 * whose buffer is smaller than the text gets the rest of a newer snapshot
 * on its next read (the texts are small: stats is under 1 KiB).
 */
static ssize_t sac_dbg_read(void *data, char __user *ubuf,
			    size_t count, loff_t *ppos,
			    int (*show)(struct seq_buf *s, void *data))
{
	size_t size = PAGE_SIZE;
	struct seq_buf s;
	ssize_t ret;
	char *buf;

	if (*ppos < 0)
		return -EINVAL;
	if (*ppos >= SAC_DBG_EOF)
		return 0;
	for (;;) {
		buf = kvmalloc(size, GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
		seq_buf_init(&s, buf, size);
		ret = show(&s, data);
		if (ret || !seq_buf_has_overflowed(&s))
			break;
		kvfree(buf);
		/* Never seen: every text is far below the cap. */
		if (size >= SAC_DBG_TEXT_MAX)
			return -EFBIG;
		size *= 2;
	}
	if (!ret) {
		ret = simple_read_from_buffer(ubuf, count, ppos, buf,
					      seq_buf_used(&s));
		if (ret > 0 && *ppos >= seq_buf_used(&s))
			*ppos = SAC_DBG_EOF;
	}
	kvfree(buf);
	return ret;
}

/*
 * A file NAME read through NAME_show(), written through WR (NULL: read
 * only): its handlers are NAME_file (data NULL; a device's files get a copy
 * with the device as data).
 */
#define SAC_DBG_FILE(name, wr)						\
static ssize_t name##_read(void *data, char __user *ubuf,		\
			   size_t count, loff_t *ppos)			\
{									\
	return sac_dbg_read(data, ubuf, count, ppos, name##_show);	\
}									\
static const struct sac_fops_file name##_file = {			\
	.read = name##_read, .write = wr,				\
}

/* A write of "0" or "1" (a switch): 0 and *on, or the error. */
static int sac_dbg_input_bool(const char __user *ubuf, size_t count,
			      loff_t *ppos, bool *on)
{
	char buf[SAC_DBG_INPUT_MAX];
	char *s;

	s = sac_dbg_input(ubuf, count, ppos, buf);
	if (IS_ERR(s))
		return PTR_ERR(s);
	if (strcmp(s, "0") && strcmp(s, "1"))
		return -EINVAL;
	*on = *s == '1';
	return 0;
}

static void sac_dbg_show_counters(struct seq_buf *m, const struct sac_stats *s)
{
	int i;

	for (i = 0; i < SAC_CNT_NR; i++)
		seq_buf_printf(m, "%s %llu\n", sac_counter_name(i), s->cnt[i]);
}

/* ---------------------------------------------------------------------- */
/* Top level                                                              */

static int sac_dbg_version_show(struct seq_buf *m, void *data)
{
	seq_buf_printf(m, "%s\n", sac_version());
	return 0;
}
SAC_DBG_FILE(sac_dbg_version, NULL);

static int sac_dbg_stats_show(struct seq_buf *m, void *data)
{
	struct sac_hook_info hi;
	struct sac_stats s;

	sac_global_stats(&s);
	sac_hook_info(&hi);
	sac_dbg_show_counters(m, &s);
	seq_buf_printf(m, "hook %s\n", hi.registered ? "registered" : "unregistered");
	if (hi.inflight < 0)
		seq_buf_printf(m, "inflight -\n");
	else
		seq_buf_printf(m, "inflight %ld\n", hi.inflight);
	seq_buf_printf(m, "devices %u\n", hi.devices);
	seq_buf_printf(m, "default_policy %s\n",
		       sac_policy_name(sac_default_policy()));
	seq_buf_printf(m, "layout %s\n", hi.vouched ? "known" : "verified");
	seq_buf_printf(m, "native_bit %s\n", hi.native_bit ? "yes" : "no");
	seq_buf_printf(m, "forcedac %s\n",
		       hi.forcedac < 0 ? "unknown" : hi.forcedac ? "1" : "0");
	seq_buf_printf(m, "timing %s\n", hi.timing ? "on" : "off");
	return 0;
}
SAC_DBG_FILE(sac_dbg_stats, NULL);

static int sac_dbg_default_policy_show(struct seq_buf *m, void *data)
{
	seq_buf_printf(m, "%s\n", sac_policy_name(sac_default_policy()));
	return 0;
}

static ssize_t sac_dbg_default_policy_write(void *data,
					    const char __user *ubuf,
					    size_t count, loff_t *ppos)
{
	char buf[SAC_DBG_INPUT_MAX];
	enum sac_policy policy;
	int ret;
	char *s;

	s = sac_dbg_input(ubuf, count, ppos, buf);
	if (IS_ERR(s))
		return PTR_ERR(s);
	if (sac_policy_parse(s, false, &policy))
		return -EINVAL;
	/* EBUSY: the policy needs the hook, which cannot be registered. */
	ret = sac_set_default_policy(policy);
	if (ret)
		return ret;
	*ppos += count;
	return count;
}

SAC_DBG_FILE(sac_dbg_default_policy, sac_dbg_default_policy_write);

static ssize_t sac_dbg_rearm_write(void *data, const char __user *ubuf,
				   size_t count, loff_t *ppos)
{
	char buf[SAC_DBG_INPUT_MAX];
	char *s;

	s = sac_dbg_input(ubuf, count, ppos, buf);
	if (IS_ERR(s))
		return PTR_ERR(s);
	if (!strcmp(s, "all"))
		sac_rearm_all();
	else if (!*s || sac_rearm_by_name(s))
		return -EINVAL;
	*ppos += count;
	return count;
}

static const struct sac_fops_file sac_dbg_rearm_file = {
	.write = sac_dbg_rearm_write,
};

static ssize_t sac_dbg_reset_stats_write(void *data,
					 const char __user *ubuf,
					 size_t count, loff_t *ppos)
{
	char buf[SAC_DBG_INPUT_MAX];
	char *s;

	s = sac_dbg_input(ubuf, count, ppos, buf);
	if (IS_ERR(s))
		return PTR_ERR(s);
	if (strcmp(s, "1"))
		return -EINVAL;
	sac_stats_reset();
	*ppos += count;
	return count;
}

static const struct sac_fops_file sac_dbg_reset_stats_file = {
	.write = sac_dbg_reset_stats_write,
};

static int sac_dbg_statistics_show(struct seq_buf *m, void *data)
{
	seq_buf_printf(m, "%d\n", sac_statistics_on());
	return 0;
}

static ssize_t sac_dbg_statistics_write(void *data,
					const char __user *ubuf,
					size_t count, loff_t *ppos)
{
	bool on;
	int ret;

	ret = sac_dbg_input_bool(ubuf, count, ppos, &on);
	if (!ret)
		ret = sac_statistics_set(on);
	if (ret)
		return ret;
	*ppos += count;
	return count;
}

SAC_DBG_FILE(sac_dbg_statistics, sac_dbg_statistics_write);

static int sac_dbg_timing_show(struct seq_buf *m, void *data)
{
	seq_buf_printf(m, "%d\n", sac_timing_switched_on());
	return 0;
}

static ssize_t sac_dbg_timing_write(void *data, const char __user *ubuf,
				    size_t count, loff_t *ppos)
{
	bool on;
	int ret;

	ret = sac_dbg_input_bool(ubuf, count, ppos, &on);
	if (ret)
		return ret;
	sac_timing_set(on);
	*ppos += count;
	return count;
}

SAC_DBG_FILE(sac_dbg_timing, sac_dbg_timing_write);

/* ---------------------------------------------------------------------- */
/* devices/<name>/                                                        */

static int sac_dbg_dev_policy_show(struct seq_buf *m, void *data)
{
	struct sac_dev_info info;

	sac_dev_info(data, &info);
	seq_buf_printf(m, "%s\n", sac_policy_name(info.policy));
	return 0;
}

static ssize_t sac_dbg_dev_policy_write(void *data,
					const char __user *ubuf,
					size_t count, loff_t *ppos)
{
	char buf[SAC_DBG_INPUT_MAX];
	enum sac_policy policy;
	int ret;
	char *s;

	s = sac_dbg_input(ubuf, count, ppos, buf);
	if (IS_ERR(s))
		return PTR_ERR(s);
	if (sac_policy_parse(s, true, &policy))
		return -EINVAL;
	/* EBUSY: the policy needs the hook, which cannot be registered. */
	ret = sac_dev_set_policy(data, policy);
	if (ret)
		return ret;
	*ppos += count;
	return count;
}

SAC_DBG_FILE(sac_dbg_dev_policy, sac_dbg_dev_policy_write);

static int sac_dbg_dev_state_show(struct seq_buf *m, void *data)
{
	struct sac_dev_info info;

	sac_dev_info(data, &info);
	seq_buf_printf(m, "state %s\n", sac_state_name(info.state));
	seq_buf_printf(m, "policy %s\n", sac_policy_name(info.policy));
	seq_buf_printf(m, "effective_policy %s\n", sac_policy_name(info.effective));
	seq_buf_printf(m, "switches %u\n", info.switches);
	seq_buf_printf(m, "last_switch_ns %llu\n", info.switch_ns);
	seq_buf_printf(m, "last_switch_size %llu\n", info.switch_size);
	seq_buf_printf(m, "last_switch_by %s\n", sac_cause_name(info.switch_by));
	seq_buf_printf(m, "dma_limit_bits %u\n", info.dma_limit_bits);
	seq_buf_printf(m, "pci %s\n", info.pci ? "yes" : "no");
	if (info.native_bit < 0)
		seq_buf_printf(m, "native_bit none\n");
	else
		seq_buf_printf(m, "native_bit %d\n", info.native_bit);
	seq_buf_printf(m, "layout %s\n", info.layout < 0 ? "unchecked" :
		       info.layout ? "verified" : "failed");
	return 0;
}
SAC_DBG_FILE(sac_dbg_dev_state, NULL);

static int sac_dbg_dev_stats_show(struct seq_buf *m, void *data)
{
	struct sac_stats s;

	sac_dev_stats(data, &s);
	sac_dbg_show_counters(m, &s);
	return 0;
}
SAC_DBG_FILE(sac_dbg_dev_stats, NULL);

static int sac_dbg_dev_latency_show(struct seq_buf *m, void *data)
{
	struct sac_stats s;
	u64 lo, hi;
	int b;

	sac_dev_stats(data, &s);
	for (b = 0; b < SAC_LAT_BUCKETS; b++) {
		sac_lat_bounds(b, &lo, &hi);
		seq_buf_printf(m, "%llu %llu %llu\n", lo, hi, s.lat[b]);
	}
	return 0;
}
SAC_DBG_FILE(sac_dbg_dev_latency, NULL);

static int sac_dbg_dev_iova32_show(struct seq_buf *m, void *data)
{
	struct sac_iova32 *v;
	unsigned int k;
	int ret;

	v = kmalloc(sizeof(*v), GFP_KERNEL);
	if (!v)
		return -ENOMEM;
	ret = sac_dev_iova32(data, v);
	if (ret)
		goto out;
	seq_buf_printf(m, "available %d\n", v->available);
	seq_buf_printf(m, "domain %s\n", sac_iova32_domain_name(v->domain));
	if (!v->available) {
		seq_buf_printf(m, "reason %s\n", v->reason);
		goto out;
	}
	seq_buf_printf(m, "group %d\n", v->group);
	seq_buf_printf(m, "group_devices %u\n", v->group_devices);
	seq_buf_printf(m, "shared_with %s\n",
		       v->shared_with[0] ? v->shared_with : "-");
	seq_buf_printf(m, "granule %lu\n", v->granule);
	seq_buf_printf(m, "start_pfn %lu\n", v->start_pfn);
	seq_buf_printf(m, "limit32_pfn %lu\n", v->limit32_pfn);
	seq_buf_printf(m, "space32_pages %llu\n", v->space32_pages);
	seq_buf_printf(m, "reserved32_pages %llu\n", v->reserved32_pages);
	seq_buf_printf(m, "used32_pages %llu\n", v->used32_pages);
	seq_buf_printf(m, "used32_iovas %llu\n", v->used32_iovas);
	seq_buf_printf(m, "free32_pages %llu\n", v->free32_pages);
	seq_buf_printf(m, "gaps32 %llu\n", v->gaps32);
	seq_buf_printf(m, "largest_gap32_pages %llu\n", v->largest_gap32_pages);
	seq_buf_printf(m, "largest_fit32_pages %llu\n", v->largest_fit32_pages);
	seq_buf_printf(m, "max32_alloc_size %lu\n", v->max32_alloc_size);
	seq_buf_printf(m, "reserved_high_pages %llu\n", v->reserved_high_pages);
	seq_buf_printf(m, "used_high_pages %llu\n", v->used_high_pages);
	seq_buf_printf(m, "used_high_iovas %llu\n", v->used_high_iovas);
	seq_buf_printf(m, "rcache %d\n", v->rcache);
	seq_buf_printf(m, "cached32_iovas %llu\n", v->cached32_iovas);
	seq_buf_printf(m, "cached32_pages %llu\n", v->cached32_pages);
	seq_buf_printf(m, "cached_iovas %llu\n", v->cached_iovas);
	seq_buf_printf(m, "cached_pages %llu\n", v->cached_pages);
	seq_buf_printf(m, "walked_iovas %llu\n", v->walked_iovas);
	seq_buf_printf(m, "lock_holds %u\n", v->lock_holds);
	seq_buf_printf(m, "truncated %d\n", v->truncated);
	for (k = 0; k < v->hist_buckets; k++)
		seq_buf_printf(m, "gap32_hist_%u %llu\n", k, v->gap32_hist[k]);
out:
	kfree(v);
	return ret;
}
SAC_DBG_FILE(sac_dbg_dev_iova32, NULL);

/* A device's files, in the order of struct sac_dbg_dev's files[]. */
static const struct {
	const char *name;
	umode_t mode;
	const struct sac_fops_file *file;
} sac_dbg_dev_files[SAC_DBG_DEV_FILES] = {
	{ "policy",	0600, &sac_dbg_dev_policy_file },
	{ "state",	0400, &sac_dbg_dev_state_file },
	{ "stats",	0400, &sac_dbg_dev_stats_file },
	{ "latency",	0400, &sac_dbg_dev_latency_file },
	{ "iova32",	0400, &sac_dbg_dev_iova32_file },
};

static void sac_dbg_dev_add(struct sac_dev *sd)
{
	struct sac_dbg_dev *dd = sac_dev_frontend_area(sd);
	int i;

	BUILD_BUG_ON(sizeof(*dd) > SAC_FRONTEND_DEV_SIZE);
	dd->dir = debugfs_create_dir(sac_dev_name(sd), sac_dbg_devices);
	for (i = 0; i < SAC_DBG_DEV_FILES; i++) {
		dd->files[i] = *sac_dbg_dev_files[i].file;
		dd->files[i].data = sd;
		sac_fops_create(sac_dbg_dev_files[i].name,
				sac_dbg_dev_files[i].mode, dd->dir,
				&dd->files[i]);
	}
}

static void sac_dbg_dev_del(struct sac_dev *sd)
{
	struct sac_dbg_dev *dd = sac_dev_frontend_area(sd);

	/*
	 * Waits for running handlers of these files, then none can start:
	 * dd->files[] may go with the entry.
	 */
	debugfs_remove_recursive(dd->dir);
	dd->dir = NULL;
}

static const struct sac_frontend sac_dbg_frontend = {
	.dev_add	= sac_dbg_dev_add,
	.dev_del	= sac_dbg_dev_del,
};

int sac_debugfs_init(void)
{
	int ret;

	sac_dbg_root = debugfs_create_dir(KBUILD_MODNAME, NULL);
	sac_fops_create("version", 0400, sac_dbg_root, &sac_dbg_version_file);
	sac_fops_create("default_policy", 0600, sac_dbg_root,
			&sac_dbg_default_policy_file);
	sac_fops_create("rearm", 0200, sac_dbg_root, &sac_dbg_rearm_file);
	sac_fops_create("reset_stats", 0200, sac_dbg_root,
			&sac_dbg_reset_stats_file);
	sac_fops_create("timing", 0600, sac_dbg_root, &sac_dbg_timing_file);
	sac_fops_create("statistics", 0600, sac_dbg_root,
			&sac_dbg_statistics_file);
	sac_fops_create("stats", 0400, sac_dbg_root, &sac_dbg_stats_file);
	sac_dbg_devices = debugfs_create_dir("devices", sac_dbg_root);

	ret = sac_frontend_register(&sac_dbg_frontend);
	if (ret)
		debugfs_remove_recursive(sac_dbg_root);
	return ret;
}

void sac_debugfs_exit(void)
{
	sac_frontend_unregister(&sac_dbg_frontend);
	debugfs_remove_recursive(sac_dbg_root);
	sac_dbg_root = NULL;
}
