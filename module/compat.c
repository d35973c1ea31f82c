// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_sac: the run-time half of compat.h.
 *
 * Before v6.6 the kernel's own iommu_dma_alloc_iova() skips the 32-bit
 * attempt when the boot parameter iommu.forcedac=1 set the global bool
 * iommu_dma_forcedac. The module must do the same, so it reads that bool.
 *
 * Why the variable and not the command line: it is exactly what the kernel
 * tests on every allocation, whatever set it (command line or bootconfig),
 * with the kernel's own parsing; saved_command_line is not exported, and
 * re-parsing /proc/cmdline from a module would duplicate early_param
 * semantics with file I/O.
 *
 * How: iommu_dma_forcedac is not exported, so its address comes from
 * kallsyms_lookup_name(), itself found through a kprobe and called through
 * a pointer. That call is only made where compat.h allows it
 * (SAC_CAN_RESOLVE_FORCEDAC: no CONFIG_X86_KERNEL_IBT, whose boot-time
 * sealing makes such a call a #CP; Debian's 6.1 has no IBT). The result is
 * sanity-checked before use: the address must resolve back to exactly
 * "iommu_dma_forcedac+0x0" and hold a bool (0 or 1). It is read once at
 * load: the parameter is __init-only, nothing writes the bool later.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/string.h>

#include "compat.h"

int sac_forcedac_value __read_mostly = -1;

#if SAC_CAN_RESOLVE_FORCEDAC
static unsigned long sac_kallsyms_lookup(const char *name)
{
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };
	unsigned long (*lookup)(const char *name);

	if (register_kprobe(&kp) < 0)
		return 0;
	lookup = (void *)kp.addr;
	unregister_kprobe(&kp);
	return lookup ? lookup(name) : 0;
}

static int sac_forcedac_read(void)
{
	static const char sym[] = "iommu_dma_forcedac";
	char buf[KSYM_SYMBOL_LEN];
	unsigned long addr;
	u8 val;

	addr = sac_kallsyms_lookup(sym);
	if (!addr) {
		pr_warn("cannot resolve %s\n", sym);
		return -1;
	}
	sprint_symbol(buf, addr);
	if (strncmp(buf, sym, sizeof(sym) - 1) ||
	    strncmp(buf + sizeof(sym) - 1, "+0x0/", 5)) {
		pr_warn("%s resolved to %s, not to the variable\n", sym, buf);
		return -1;
	}
	val = READ_ONCE(*(u8 *)addr);
	if (val > 1) {
		pr_warn("%s holds %u, not a bool\n", sym, val);
		return -1;
	}
	return val;
}
#endif

int sac_compat_init(void)
{
#if SAC_CAN_RESOLVE_FORCEDAC
	sac_forcedac_value = sac_forcedac_read();
	if (sac_forcedac_value < 0)
		pr_warn("iommu.forcedac unknown: assuming 0, the kernel's default\n");
	else if (sac_forcedac_value)
		pr_info("iommu.forcedac=1: no 32-bit attempts (policies auto and sac)\n");
#elif SAC_NEED_FORCEDAC
	pr_warn("iommu.forcedac cannot be read on this kernel: assuming 0, the kernel's default\n");
#endif
	return 0;
}
