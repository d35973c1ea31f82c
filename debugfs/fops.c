// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_sac_fops.ko: the one struct of file operations behind every debugfs
 * file of iommu_sac, in a module iommu_sac depends on.
 *
 * Why a module of its own. Up to 6.12 debugfs's proxy open takes a
 * reference on the module that owns a file's fops (fs/debugfs/file.c
 * full_proxy_open(): fops_get()), and WARNs "debugfs file owner did not
 * clean up at exit" when that fails on a module that is not yet marked
 * going. delete_module() drops the last reference before it marks the
 * module going (kernel/module/main.c), so an open of one of iommu_sac's
 * files in that window WARNed whatever iommu_sac did, as long as it owned
 * the fops; and fops in iommu_sac without it as their owner would be read
 * by the proxy's release after iommu_sac is gone. Here the fops are owned
 * by this module, which is never unloaded before iommu_sac: an open pins
 * this module, not iommu_sac, so rmmod iommu_sac has nothing to race with
 * and goes ahead while files are open. From 6.13 the fops are debugfs short fops, whose
 * open takes no reference at all (module/compat.h SAC_DEBUGFS_FOPS).
 *
 * The handlers run only while their file exists: debugfs brackets each
 * read and write with debugfs_file_get()/debugfs_file_put(), and
 * debugfs_remove() waits for those in progress. After iommu_sac removed its
 * files, a file still open reads and writes EIO and never gets here.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/module.h>

#include "compat.h"
#include "sac_fops.h"

static ssize_t sac_fops_read(struct file *file, char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	const struct sac_fops_file *f = file->private_data;

	if (!f->read)
		return -EINVAL;
	return f->read(f->data, ubuf, count, ppos);
}

static ssize_t sac_fops_write(struct file *file, const char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	const struct sac_fops_file *f = file->private_data;

	if (!f->write)
		return -EINVAL;
	return f->write(f->data, ubuf, count, ppos);
}

/* A write-only file keeps its offset at 0: its writes must start there. */
static loff_t sac_fops_llseek(struct file *file, loff_t offset, int whence)
{
	const struct sac_fops_file *f = file->private_data;

	if (!f->read)
		return noop_llseek(file, offset, whence);
	return default_llseek(file, offset, whence);
}

static SAC_DEBUGFS_FOPS(sac_fops, sac_fops_read, sac_fops_write,
			sac_fops_llseek);

/**
 * sac_fops_create - create a debugfs file served by @f
 * @name: the file's name
 * @mode: its permissions
 * @parent: its directory
 * @f: its handlers and their data; must stay valid until the file is
 *     removed (debugfs_remove() returned)
 *
 * Return: the file's dentry, or an ERR_PTR() as debugfs_create_file()
 * returns it.
 */
struct dentry *sac_fops_create(const char *name, umode_t mode,
			       struct dentry *parent,
			       const struct sac_fops_file *f)
{
	return debugfs_create_file(name, mode, parent, (void *)f, &sac_fops);
}
EXPORT_SYMBOL_GPL(sac_fops_create);

MODULE_DESCRIPTION("iommu_sac's debugfs file operations, kept apart so that opens never race its unload");
MODULE_AUTHOR("iommu-sac project");
MODULE_LICENSE("GPL");
MODULE_VERSION(SAC_VERSION);
