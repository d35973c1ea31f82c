// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_sac: module init and exit.
 *
 * Init is a goto ladder in dependency order, and the hook comes last: by
 * the time the first allocation is redirected, parameters, device table
 * and front end are all in place. Exit is init in reverse: the hook goes
 * first and waits for allocations in flight, then nothing can reach the
 * tables any more.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>

#include "internal.h"
#include "debugfs/sac_debugfs.h"

const char *sac_version(void)
{
	return SAC_VERSION;
}

static int __init sac_init(void)
{
	int ret;

	ret = sac_params_init();
	if (ret)
		return ret;
	ret = sac_compat_init();
	if (ret)
		goto err_params;
	sac_clock_init();
	ret = sac_devtable_init();
	if (ret)
		goto err_params;
	ret = sac_layout_check();
	if (ret)
		goto err_devtable;
	ret = sac_debugfs_init();
	if (ret)
		goto err_devtable;
	ret = sac_hook_init();
	if (ret)
		goto err_debugfs;

	sac_params_start();
	pr_info("version %s: %s, default policy %s, %u devices\n",
		SAC_VERSION, sac_hook_serving() ? "hooked iommu_dma_alloc_iova()" :
		"iommu_dma_alloc_iova() left to the kernel until a policy needs the hook",
		sac_policy_name(sac_default_policy()), sac_devtable_count());
	return 0;

err_debugfs:
	sac_debugfs_exit();
err_devtable:
	sac_devtable_exit();
err_params:
	sac_params_exit();
	return ret;
}

static void __exit sac_exit(void)
{
	sac_params_stop();
	/*
	 * The files go first: on 6.13+ they may be open and written while
	 * rmmod runs (compat.h SAC_DEBUGFS_FOPS), and a write of a policy
	 * that needs the hook must not find it gone and register it again.
	 */
	sac_debugfs_exit();
	sac_hook_exit();
	sac_devtable_exit();
	sac_params_exit();
	pr_info("unloaded: devices are back with the kernel\n");
}

module_init(sac_init);
module_exit(sac_exit);

MODULE_DESCRIPTION("Per-device IOMMU SAC (32-bit IOVA first) policy engine");
MODULE_AUTHOR("iommu-sac project");
MODULE_LICENSE("GPL");
MODULE_VERSION(SAC_VERSION);
