/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iommu_sac: the debugfs front end's entry points, called by module/main.c.
 */
#ifndef _SAC_DEBUGFS_H
#define _SAC_DEBUGFS_H

int sac_debugfs_init(void);
void sac_debugfs_exit(void);

#endif /* _SAC_DEBUGFS_H */
