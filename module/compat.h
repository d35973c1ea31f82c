/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iommu_sac: every kernel version difference the module depends on.
 *
 * This is the only file that mentions LINUX_VERSION_CODE. Each shim is keyed
 * on the release that changed the API or layout, with a one-line "vX.Y: what
 * changed" comment; the rest of the module always uses the newest name.
 *
 * Private layouts (the DMA cookie of drivers/iommu/dma-iommu.c) were read
 * from the sources of the kernels named in SAC_KERNEL_VOUCHED; on any other
 * kernel the module verifies live domains at load and refuses to load when
 * none verifies (see sac_layout_check()).
 */
#ifndef _SAC_COMPAT_H
#define _SAC_COMPAT_H

#include <linux/version.h>
#include <linux/device.h>
#include <linux/ftrace.h>
#include <linux/iommu.h>
#include <linux/iova.h>
#include <linux/pci.h>
#include <linux/workqueue.h>

/* x86: the allocator's clock may be the TSC (stats.c sac_clock_init()) */
#ifdef CONFIG_X86_TSC
#include <asm/tsc.h>
#endif

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "iommu_sac supports Linux 6.1 and later (5.10's Intel VT-d does not use iommu_dma_alloc_iova())"
#endif

/*
 * Kernels whose iommu_dma_alloc_iova() and DMA cookie layout were read from
 * source: Debian's 6.1 (bookworm), 6.12 (trixie) and 7.2 (sid).
 */
#define SAC_KERNEL_VOUCHED						\
	((LINUX_VERSION_CODE >= KERNEL_VERSION(6, 1, 0) &&		\
	  LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)) ||		\
	 (LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0) &&		\
	  LINUX_VERSION_CODE < KERNEL_VERSION(6, 13, 0)) ||		\
	 (LINUX_VERSION_CODE >= KERNEL_VERSION(7, 2, 0) &&		\
	  LINUX_VERSION_CODE < KERNEL_VERSION(7, 3, 0)))

/* drivers/iommu/iova.c: the rbtree anchor's pfn_lo and pfn_hi (private). */
#define SAC_IOVA_ANCHOR		(~0UL)

/*
 * The redirection needs an ftrace frame whose saved PC the trampoline
 * returns to. x86-64 (every kernel) and arm64 from v6.2 have
 * DYNAMIC_FTRACE_WITH_ARGS; arm64 v6.1 has DYNAMIC_FTRACE_WITH_REGS only
 * (hook.c then asks for FTRACE_OPS_FL_SAVE_REGS). Either way the trampoline
 * reloads the PC from the frame and returns there: arm64's
 * entry-ftrace.S, "ldr x9, [sp, #S_PC]" (6.1) or "ldr x9, [sp, #FREGS_PC]"
 * (6.12, 7.2), then "ret x9". Without either, nothing can set the IP.
 */
#if !defined(CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS) && \
	!defined(CONFIG_DYNAMIC_FTRACE_WITH_REGS)
#error "iommu_sac needs DYNAMIC_FTRACE_WITH_ARGS or DYNAMIC_FTRACE_WITH_REGS: this kernel's ftrace cannot redirect a call"
#endif

/*
 * v6.2: ftrace_instruction_pointer_set() became
 * ftrace_regs_set_instruction_pointer(). Without WITH_ARGS (arm64 6.1)
 * include/linux/ftrace.h defines the old name as a no-op:
 *	#define ftrace_instruction_pointer_set(fregs, ip) do { } while (0)
 * so there the PC is set in the pt_regs the SAVE_REGS frame holds.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
#ifdef CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS
#define ftrace_regs_set_instruction_pointer(fregs, ip)			\
	ftrace_instruction_pointer_set(fregs, ip)
#else
#define ftrace_regs_set_instruction_pointer(fregs, ip)			\
	instruction_pointer_set(ftrace_get_regs(fregs), ip)
#endif
#endif

/*
 * v6.2: ftrace_regs_get_argument() added (6.1: struct ftrace_regs wraps the
 * pt_regs whose argument registers every x86-64 ftrace frame saves, and
 * arm64's: "Save function arguments" x0-x8, entry-ftrace.S)
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
#define ftrace_regs_get_argument(fregs, n)				\
	regs_get_kernel_argument(&(fregs)->regs, n)
#endif

/*
 * The ftrace callback hands the replacement the device's entry in the
 * saved frame's fifth argument register, which iommu_dma_alloc_iova()
 * (four arguments) does not use: x86-64's
 * ftrace_caller saves it and restores it before it "returns" to the
 * new IP ("movq R9(%rsp), %r9; movq R8(%rsp), %r8" in
 * restore_mcount_regs, arch/x86/kernel/ftrace_64.S of 6.1, 6.12 and 7.2).
 * struct ftrace_regs became opaque, the pt_regs behind the macro
 * arch_ftrace_regs() (include/linux/ftrace_regs.h: in Debian's 6.12.117 and
 * 7.2.13, not in 6.1.192, which has fregs->regs): keyed on the macro, not
 * on a release, as stable series differ in when they took it.
 */
#if defined(CONFIG_X86_64)
#ifdef arch_ftrace_regs
#define sac_fregs_pt_regs(fregs)	(&arch_ftrace_regs(fregs)->regs)
#else
#define sac_fregs_pt_regs(fregs)	(&(fregs)->regs)
#endif
/* The fifth argument register (x86-64: %r8) of the saved frame. */
static __always_inline void sac_fregs_set_arg4(struct ftrace_regs *fregs,
					       unsigned long val)
{
	sac_fregs_pt_regs(fregs)->r8 = val;
}
#elif defined(CONFIG_ARM64)
/*
 * arm64: x4 of the frame, which the trampoline restores before "ret x9"
 * (entry-ftrace.S: "ldp x4, x5, [sp, #S_X4]" in 6.1's
 * ftrace_common_return, "ldp x4, x5, [sp, #FREGS_X4]" in 6.12's
 * ftrace_caller): regs[4] of the opaque frame (6.12, 7.2), or of the
 * SAVE_REGS pt_regs (6.1).
 */
static __always_inline void sac_fregs_set_arg4(struct ftrace_regs *fregs,
					       unsigned long val)
{
#ifdef arch_ftrace_regs
	arch_ftrace_regs(fregs)->regs[4] = val;
#else
	ftrace_get_regs(fregs)->regs[4] = val;
#endif
}
#else
#error "iommu_sac: no ftrace frame accessors for this architecture (compat.h)"
#endif

/*
 * Orders a redirected call's accesses to its device entry before the
 * per-CPU increment that lets the entry be freed (hook.c). x86 is TSO:
 * stores are not reordered with older loads or stores, so a compiler
 * barrier suffices; weaker architectures need a full barrier.
 */
#ifdef CONFIG_X86
#define sac_release_barrier()	barrier()
#else
/* Orders the entry's loads and stores before the freeing increment. */
#define sac_release_barrier()	smp_mb()
#endif

/*
 * v6.6: the SAC attempt became per device (dev->iommu->pci_32bit_workaround,
 * reset to !iommu_dma_forcedac by iommu_setup_dma_ops()); before, it was
 * "!iommu_dma_forcedac && dev_is_pci(dev)" with the global, unexported bool.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
#define SAC_HAVE_NATIVE_BIT	1
static inline bool sac_native_bit(struct device *dev)
{
	return dev->iommu && dev->iommu->pci_32bit_workaround;
}

static inline void sac_native_bit_set(struct device *dev, bool on)
{
	if (dev->iommu)
		dev->iommu->pci_32bit_workaround = on;
}
#else
#define SAC_HAVE_NATIVE_BIT	0
static inline bool sac_native_bit(struct device *dev)
{
	return false;
}

static inline void sac_native_bit_set(struct device *dev, bool on)
{
}
#endif

/*
 * The module reads iommu_dma_forcedac (and, to explain a refusal,
 * ftrace_enabled) by resolving their addresses through kprobes' symbol
 * lookup (compat.c); every Debian amd64 kernel has KPROBES and
 * KALLSYMS_ALL. Debian's arm64 6.1 has no KALLSYMS_ALL: there compat.c
 * reads iommu.forcedac from the device tree's /chosen bootargs instead.
 */
#define SAC_CAN_RESOLVE							\
	(IS_ENABLED(CONFIG_KPROBES) && IS_ENABLED(CONFIG_KALLSYMS_ALL))

/* v6.10: __assign_str() lost its source argument (taken from __string()) */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 10, 0)
#define sac_assign_str(dst, src)	__assign_str(dst, src)
#else
#define sac_assign_str(dst, src)	__assign_str(dst)
#endif

/*
 * v6.13: debugfs_create_file() takes a struct debugfs_short_fops (read,
 * write, llseek) too, and gives such a file a proxy whose open takes no
 * module reference and which has no release (7.2 include/linux/debugfs.h:
 * "only read/write/llseek are supported and are proxied, so no module
 * reference or release are needed"; fs/debugfs/file.c
 * full_proxy_open_short()). 6.12's include/linux/debugfs.h has no such
 * type: there the fops need the module as owner, and simple_open() for
 * i_private. (Verified on 6.12 and 7.2; the release is from the upstream
 * series.) Used by iommu_sac_fops.ko only (debugfs/fops.c): the owner is
 * that module, never iommu_sac.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define SAC_DEBUGFS_FOPS(name, rd, wr, seek)				\
	const struct debugfs_short_fops name = {			\
		.read = rd, .write = wr, .llseek = seek,		\
	}
#else
#define SAC_DEBUGFS_FOPS(name, rd, wr, seek)				\
	const struct file_operations name = {				\
		.owner = THIS_MODULE, .open = simple_open,		\
		.read = rd, .write = wr, .llseek = seek,		\
	}
#endif

/* v6.12: dev->dma_iommu (use_dma_iommu()) tells that iommu-dma serves a device */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#include <linux/iommu-dma.h>
static inline bool sac_dev_uses_iommu_dma(struct device *dev)
{
	return use_dma_iommu(dev);
}
#else
static inline bool sac_dev_uses_iommu_dma(struct device *dev)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);

	return domain && iommu_is_dma_domain(domain);
}
#endif

/*
 * v6.15: the DMA cookie's type moved out of the private struct
 * iommu_dma_cookie into domain->cookie_type, MSI cookies got a struct of
 * their own, and iovad moved from offset 8 (after "enum type") to offset 0.
 * (Verified on 6.1, 6.12 and 7.2; the release is from the upstream series.)
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 15, 0)
#define SAC_COOKIE_IOVAD_OFFSET	0
static inline bool sac_domain_has_iova_cookie(const struct iommu_domain *domain)
{
	return domain->cookie_type == IOMMU_COOKIE_DMA_IOVA &&
	       domain->iova_cookie;
}
#else
#define SAC_COOKIE_IOVAD_OFFSET	8
/* struct iommu_dma_cookie starts with "enum iommu_dma_cookie_type type" */
#define SAC_IOMMU_DMA_IOVA_COOKIE	0
static inline bool sac_domain_has_iova_cookie(const struct iommu_domain *domain)
{
	const void *cookie = domain->iova_cookie;

	return cookie &&
	       *(const int *)cookie == SAC_IOMMU_DMA_IOVA_COOKIE;
}
#endif

static inline struct iova_domain *
sac_domain_iovad(const struct iommu_domain *domain)
{
	return (struct iova_domain *)((char *)domain->iova_cookie +
				      SAC_COOKIE_IOVAD_OFFSET);
}

/*
 * drivers/iommu/iova.c's per-CPU IOVA caches (private), read by iova32.c
 * under their own locks on the kernels in SAC_KERNEL_VOUCHED only (elsewhere
 * the caches are not read). The mirrors use the kernel's own types, so
 * their sizes follow the configuration as the originals do.
 * v6.7: the depot became a list of full magazines ("next" shares the size
 * field) and struct iova_rcache gained iovad and a delayed work (6.1 and
 * 6.12/7.2 read from source; the release is from the upstream series).
 */
#define SAC_HAVE_RCACHE_LAYOUT		SAC_KERNEL_VOUCHED
#define SAC_IOVA_RANGE_CACHE_MAX_SIZE	6	/* orders 0..5: 1..32 pages */
#define SAC_IOVA_MAG_SIZE		127

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 7, 0)
#define SAC_IOVA_DEPOT_LIST		0
#define SAC_IOVA_MAX_GLOBAL_MAGS	32

struct sac_iova_magazine {
	unsigned long size;
	unsigned long pfns[SAC_IOVA_MAG_SIZE];
};

struct sac_iova_rcache {
	spinlock_t lock;		/* the depot */
	unsigned long depot_size;
	struct sac_iova_magazine *depot[SAC_IOVA_MAX_GLOBAL_MAGS];
	struct sac_iova_cpu_rcache __percpu *cpu_rcaches;
};
#else
#define SAC_IOVA_DEPOT_LIST		1

struct sac_iova_magazine {
	union {
		unsigned long size;
		struct sac_iova_magazine *next;
	};
	unsigned long pfns[SAC_IOVA_MAG_SIZE];
};

struct sac_iova_rcache {
	spinlock_t lock;		/* the depot */
	unsigned int depot_size;
	struct sac_iova_magazine *depot;
	struct sac_iova_cpu_rcache __percpu *cpu_rcaches;
	struct iova_domain *iovad;
	struct delayed_work work;
};
#endif

struct sac_iova_cpu_rcache {
	spinlock_t lock;		/* loaded and prev */
	struct sac_iova_magazine *loaded;
	struct sac_iova_magazine *prev;
};

/* compat.c */
int sac_compat_init(void);

/* kernel.ftrace_enabled: 0 or 1, -1 if it cannot be read. */
int sac_ftrace_enabled(void);

/*
 * iommu.forcedac as the kernel sees it: 0 or 1; -1 when it could not be
 * read (treated as 0, the kernel's default). Written once by
 * sac_compat_init(), before the hook is registered.
 */
extern int sac_forcedac_value;

static __always_inline int sac_forcedac(void)
{
	return sac_forcedac_value;
}

#endif /* _SAC_COMPAT_H */
