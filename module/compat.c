// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_sac: the run-time half of compat.h: two kernel variables the module
 * must read but the kernel does not export.
 *
 * iommu_dma_forcedac: the boot parameter iommu.forcedac=1 sets this global
 * bool. Before v6.6 the kernel's own iommu_dma_alloc_iova() skips the
 * 32-bit attempt when it is set; from v6.6 iommu_setup_dma_ops() starts
 * every device's native bit at !iommu_dma_forcedac. The module honours it
 * the same way on every kernel (policies auto and sac make no 32-bit
 * attempt, a re-arm does not set the native bit), so it reads the bool.
 * Why the variable and not the command line: it is exactly what the kernel
 * tests, whatever set it (command line or bootconfig), with the kernel's own
 * parsing; saved_command_line is not exported either. It is read once at
 * load: the parameter is __init-only, nothing writes the bool later
 * (s390's IOMMU driver sets it at its init; not a Debian amd64 concern).
 *
 * ftrace_enabled: only read when registering the hook failed with EBUSY, to
 * tell "kernel.ftrace_enabled is 0" from "another IPMODIFY user" (where
 * the symbol cannot be resolved, from /proc/sys/kernel/ftrace_enabled).
 *
 * How: the address comes from a kprobe registration on the symbol, which
 * resolves the name (kprobe_lookup_name(), kallsyms) and stores the address
 * in kp.addr before it refuses an address outside kernel text:
 *   kernel/kprobes.c, register_kprobe() (6.1, 6.12, 7.2):
 *	addr = _kprobe_addr(p->addr, p->symbol_name, p->offset, &on_func_entry);
 *	if (IS_ERR(addr))
 *		return PTR_ERR(addr);
 *	p->addr = addr;
 *	...
 *	ret = check_kprobe_address_safe(p, &probed_mod);   (-EINVAL: not text)
 * Nothing is called through a pointer, so IBT (6.12+) is no obstacle. The
 * result is checked before use: the address must resolve back to exactly
 * "NAME+0x0" and the value must be in range (a bool: 0 or 1).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/kstrtox.h>
#include <linux/minmax.h>
#include <linux/of.h>
#include <linux/string.h>

#include "compat.h"

int sac_forcedac_value __read_mostly = -1;

#if SAC_CAN_RESOLVE
/* The address of the kernel symbol @name, 0 if it cannot be resolved. */
static unsigned long sac_symbol_addr(const char *name)
{
	struct kprobe kp = { .symbol_name = name };
	char buf[KSYM_SYMBOL_LEN];
	size_t len = strlen(name);
	unsigned long addr;

	if (!register_kprobe(&kp))
		unregister_kprobe(&kp);		/* a text symbol after all */
	addr = (unsigned long)kp.addr;
	if (!addr)
		return 0;
	sprint_symbol(buf, addr);
	if (strncmp(buf, name, len) || strncmp(buf + len, "+0x0/", 5)) {
		pr_warn("%s resolved to %s, not to the variable\n", name, buf);
		return 0;
	}
	return addr;
}

static int sac_forcedac_read(void)
{
	static const char sym[] = "iommu_dma_forcedac";
	unsigned long addr = sac_symbol_addr(sym);
	u8 val;

	if (!addr) {
		pr_warn("cannot resolve %s\n", sym);
		return -1;
	}
	val = READ_ONCE(*(u8 *)addr);
	if (val > 1) {
		pr_warn("%s holds %u, not a bool\n", sym, val);
		return -1;
	}
	return val;
}

int sac_ftrace_enabled(void)
{
	unsigned long addr = sac_symbol_addr("ftrace_enabled");

	return addr ? !!READ_ONCE(*(int *)addr) : -1;
}
#elif IS_ENABLED(CONFIG_OF)
/*
 * Without KALLSYMS_ALL (Debian's arm64 6.1) kallsyms holds no data symbols.
 * There the boot command line comes from the device tree's /chosen
 * "bootargs" (the arm64 EFI stub writes it on ACPI machines too), read as
 * the kernel's own early_param("iommu.forcedac", iommu_dma_forcedac_setup)
 * does, drivers/iommu/dma-iommu.c (6.1):
 *	int ret = kstrtobool(str, &iommu_dma_forcedac);
 * every occurrence in order, a value kstrtobool() refuses leaving the bool
 * as it was, parameters after "--" belonging to init. What bootconfig
 * adds is not seen: that kernel's own message, "Forcing DAC for PCI
 * devices", then disagrees with ours.
 */
static int sac_forcedac_read(void)
{
	static const char key[] = "iommu.forcedac";
	const char *args, *p, *end;
	char val[8];
	bool on = false, b;
	size_t n;

	if (!of_chosen || of_property_read_string(of_chosen, "bootargs", &args))
		return -1;
	for (p = skip_spaces(args); *p; p = skip_spaces(end)) {
		end = p + strcspn(p, " \t\n");
		if (end - p == 2 && !strncmp(p, "--", 2))
			break;
		if (strncmp(p, key, sizeof(key) - 1) || p[sizeof(key) - 1] != '=')
			continue;
		p += sizeof(key);
		n = min_t(size_t, end - p, sizeof(val) - 1);
		memcpy(val, p, n);
		val[n] = '\0';
		if (!kstrtobool(val, &b))
			on = b;
	}
	return on;
}
#else
static int sac_forcedac_read(void)
{
	return -1;
}
#endif

#if !SAC_CAN_RESOLVE
/*
 * Without a data symbol to read, kernel.ftrace_enabled from its sysctl
 * file. Only on the failure path of sac_hook_init() (process context, the
 * modprobe's): registering failed with EBUSY, and this tells why.
 */
int sac_ftrace_enabled(void)
{
	struct file *f;
	char buf[4] = "";
	loff_t pos = 0;
	ssize_t n;

	f = filp_open("/proc/sys/kernel/ftrace_enabled", O_RDONLY, 0);
	if (IS_ERR(f))
		return -1;
	n = kernel_read(f, buf, sizeof(buf) - 1, &pos);
	filp_close(f, NULL);
	if (n < 1 || (buf[0] != '0' && buf[0] != '1'))
		return -1;
	return buf[0] == '1';
}
#endif

int sac_compat_init(void)
{
	sac_forcedac_value = sac_forcedac_read();
	if (sac_forcedac_value < 0)
		pr_warn("iommu.forcedac cannot be read on this kernel: assuming 0, the kernel's default\n");
	else if (sac_forcedac_value)
		pr_info("iommu.forcedac=1: no 32-bit attempts (policies auto and sac)\n");
	return 0;
}
