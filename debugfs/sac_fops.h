/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iommu_sac_fops.ko: the file operations of iommu_sac's debugfs files,
 * kept in a module of their own (debugfs/fops.c says why).
 *
 * A file's i_private is a struct sac_fops_file of iommu_sac's: its handlers
 * and their data. The handlers run only while the file exists (debugfs's
 * proxy brackets every read and write with debugfs_file_get()), so
 * iommu_sac may free the struct once debugfs_remove() of the file returns.
 *
 * iommu_sac links to sac_fops_create(), so modprobe loads this module first
 * and it cannot be unloaded while iommu_sac is loaded. Its interface is
 * checked at load by the symbol's CRC where the kernel has MODVERSIONS
 * (Debian's have): change struct sac_fops_file only together with it.
 */
#ifndef _SAC_FOPS_H
#define _SAC_FOPS_H

#include <linux/types.h>

struct dentry;

struct sac_fops_file {
	/* NULL: the file cannot be read (EINVAL) */
	ssize_t (*read)(void *data, char __user *ubuf, size_t count,
			loff_t *ppos);
	/* NULL: the file cannot be written (EINVAL) */
	ssize_t (*write)(void *data, const char __user *ubuf, size_t count,
			 loff_t *ppos);
	void *data;
};

struct dentry *sac_fops_create(const char *name, umode_t mode,
			       struct dentry *parent,
			       const struct sac_fops_file *f);

#endif /* _SAC_FOPS_H */
