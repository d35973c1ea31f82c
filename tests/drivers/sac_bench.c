// SPDX-License-Identifier: GPL-2.0
/*
 * iommu-sac benchmark driver: the cost of dma_map_page() + dma_unmap_page()
 * through the IOMMU, on QEMU's edu devices (1234:11e8).
 *
 * It binds to nothing: at load it takes a reference on every edu device
 * present (sac_edu may or may not be bound to them) and maps one private
 * buffer through the DMA API with &pdev->dev. The devices never DMA; only
 * the mapping path (IOVA allocation, page tables, IOTLB flush queue) runs.
 * Each device's DMA mask is set for a command and restored afterwards.
 *
 * debugfs, root only (0400/0600), /sys/kernel/debug/sac_bench/:
 *   devices  r   "index pci_name" lines, in pci_get_device() order
 *   run      w   one command (below); blocks until done; a bad command is
 *                -EINVAL, a command while another runs -EBUSY
 *            r   "key value" lines: the result of the last command
 *   hist     r   "lo_ns hi_ns count" lines: the non-empty buckets of the
 *                last timed command's per-op latency histogram
 *
 * Commands ("name key=value ..."; sizes in bytes, 4096..262144, multiple
 * of 4096):
 *   steady size=S ops=N [devs=K] [first=I] [warmup=W]
 *        N timed ops of map+unmap of S bytes, round robin over devices
 *        first..first+K-1 (64-bit DMA mask), after W untimed ones
 *   fill dev=I size=S [frac=P] [seed=X] [max=M]
 *        with a 32-bit DMA mask, hold mappings of S bytes on device I
 *        until a mapping fails (the 32-bit IOVA space is full) or M are
 *        held; then release a pseudo-random P/1000 of them (prandom,
 *        seeded with X: repeatable). The mappings stay held.
 *   probe dev=I size=S ops=N [churn=C] [seed=X]
 *        N timed ops of map+unmap of S bytes on the filled device I
 *        (64-bit DMA mask); with churn=C, before every op (untimed)
 *        release up to C random held mappings, then map as many anew at
 *        the fill size (traffic at the old size goes on, in bursts)
 *   release
 *        unmap everything fill holds
 *   flush [first=I] [devs=K]
 *        empty the IOVA caches (per-CPU magazines and depot) of the
 *        domains of devices first..first+K-1: wait for the lazy flush
 *        queue to hand its IOVAs back, then map 8 GiB under a 32-bit
 *        mask; that allocation cannot succeed, and a failed 32-bit
 *        allocation with flush_rcache set returns every cached IOVA to
 *        the rbtree (alloc_iova_fast() on 6.1, 6.12 and 7.2). Nothing is
 *        mapped and nothing touches memory. Each device's mask is restored.
 *   clock ops=N
 *        cost of local_clock(), ktime_get_ns() and get_cycles() (the
 *        module's two latency clocks, and the benchmark's): N calls of each
 *   steady ... ftrace=1|2|3|4|5|6
 *        the same loop with an empty ftrace callback on
 *        iommu_dma_alloc_iova; 1: SAVE_REGS | RECURSION, 2: RECURSION,
 *        3: no flags, 4: no flags and the callback takes and drops
 *        ftrace_test_recursion_trylock() (the guard iommu_sac's own
 *        callback uses): the floor any ftrace-based redirection pays (a
 *        plain ops like this one coexists with iommu_sac's IPMODIFY ops);
 *        or an ftrace direct call (what BPF trampolines use) to a
 *        trampoline of this module: 5: empty (the bare direct call),
 *        6: saves the argument registers, calls an empty C function and
 *        restores them (what a direct-call redirection would pay for its
 *        state alone). A direct ops and an IPMODIFY ops exclude each
 *        other on a function (-EBUSY): 5 and 6 need iommu_sac unloaded.
 *   steady/probe ... budget=NS
 *        stop the timed loop once it has run NS (guest ns), whatever
 *        ops says; "ops" in the result is what ran
 *
 * Per op (map + unmap) the module keeps exact min/max/sum, a log-linear
 * histogram (32 sub-buckets per power of two: ~3 % resolution, for the
 * plots) and, for up to BENCH_MAX_SAMPLES timed ops, every op's time: the
 * median, the trimmed mean (BENCH_TRIM_PCT % cut off at each end) and the
 * p90/p99/p999 are then exact ("exact 1"); for longer runs they are read
 * from the histogram (bucket midpoints, "exact 0", no trimmed mean). Time
 * is ktime_get_ns(); under QEMU -icount shift=0 one guest ns is one
 * instruction.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/ftrace.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/prandom.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/timex.h>
#include <linux/trace_recursion.h>
#include <linux/uaccess.h>

#define BENCH_VENDOR		0x1234
#define BENCH_DEVICE		0x11e8
#define BENCH_MAX_DEVS		64
#define BENCH_BUF_ORDER		6		/* 256 KiB */
#define BENCH_MAX_SIZE		(PAGE_SIZE << BENCH_BUF_ORDER)
#define BENCH_MAX_OPS		100000000UL
#define BENCH_MAX_HELD		(2UL << 20)
#define BENCH_MAX_CHURN		65536UL
#define BENCH_INPUT_MAX		256
#define BENCH_MAX_SAMPLES	262144UL	/* exact statistics up to this */
#define BENCH_TRIM_PCT		5		/* trimmed mean: cut at each end */
/* Bigger than any 32-bit IOVA space: the allocation that flushes the caches. */
#define BENCH_FLUSH_SIZE	(8ULL << 30)

/* Histogram: values < 32 exact, then 32 sub-buckets per power of two. */
#define HIST_SUB_BITS		5
#define HIST_SUB		(1 << HIST_SUB_BITS)
#define HIST_MAX_LOG		44		/* ~4.9 hours */
#define HIST_BUCKETS		(HIST_SUB + (HIST_MAX_LOG - HIST_SUB_BITS + 1) * HIST_SUB)

struct bench_res {
	char cmd[16];
	int dev;		/* first device, -1: none */
	unsigned int ndevs;
	size_t size;
	u64 ops;		/* timed ops attempted */
	u64 errors;		/* mapping errors (not in the histogram) */
	u64 above4g;		/* mappings whose IOVA ended above 4 GiB */
	u64 sum_ns, min_ns, max_ns, max_at;
	u64 map_ns;		/* sum of the map halves */
	u64 loop_ns;		/* wall time of the whole timed loop */
	u64 last_end, max_gap_ns; /* longest time between two timed ops */
	u64 first_ns;		/* the first timed op (a switch or a tree walk) */
	u64 churn;		/* mappings churned (released + remapped) */
	u64 warmup;		/* untimed ops before the timed loop */
	u64 flushed;		/* flush: devices whose caches were flushed */
	/* exact statistics from samples[] (valid when exact) */
	int exact;
	u64 median_ns, trim_mean_ns, p90_ns, p99_ns, p999_ns;
	/* fill */
	u64 filled, released, held, fill_ns, fill_above4g;
	u64 lowest, highest;
	int done;
	int min_ns_set;		/* first_ns is set */
};

static struct dentry *bench_root;
static struct pci_dev *bench_devs[BENCH_MAX_DEVS];
static unsigned int bench_ndevs;
static struct page *bench_page;

/* Serialises commands; protects everything below. */
static DEFINE_MUTEX(bench_lock);
static struct bench_res res;
static u64 *hist;			/* HIST_BUCKETS */
static u32 *samples;			/* BENCH_MAX_SAMPLES, timed op times */

/* fill's held mappings */
static int held_dev = -1;
static size_t held_size;
static dma_addr_t *held;
static unsigned long nr_held;
static unsigned long *churn_idx;	/* BENCH_MAX_CHURN */

static unsigned int hist_index(u64 ns)
{
	unsigned int e;

	if (ns < HIST_SUB)
		return ns;
	e = ilog2(ns);
	if (e > HIST_MAX_LOG)
		return HIST_BUCKETS - 1;
	return HIST_SUB + (e - HIST_SUB_BITS) * HIST_SUB +
	       ((ns >> (e - HIST_SUB_BITS)) & (HIST_SUB - 1));
}

static void hist_bounds(unsigned int i, u64 *lo, u64 *hi)
{
	unsigned int e, sub;

	if (i < HIST_SUB) {
		*lo = i;
		*hi = i + 1;
		return;
	}
	e = (i - HIST_SUB) / HIST_SUB + HIST_SUB_BITS;
	sub = (i - HIST_SUB) % HIST_SUB;
	*lo = (1ULL << e) + ((u64)sub << (e - HIST_SUB_BITS));
	*hi = *lo + (1ULL << (e - HIST_SUB_BITS));
}

/* The value at quantile num/den: midpoint of its bucket, clamped to max. */
static u64 hist_quantile(u64 num, u64 den)
{
	u64 n = res.ops - res.errors, want, seen = 0, lo, hi;
	unsigned int i;

	if (!n)
		return 0;
	want = div64_u64(n * num + den - 1, den);
	if (!want)
		want = 1;
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += hist[i];
		if (seen >= want) {
			hist_bounds(i, &lo, &hi);
			return clamp((lo + hi) / 2, res.min_ns, res.max_ns);
		}
	}
	return res.max_ns;
}

static void res_start(const char *cmd, int dev, unsigned int ndevs, size_t size)
{
	memset(&res, 0, sizeof(res));
	memset(hist, 0, HIST_BUCKETS * sizeof(*hist));
	strscpy(res.cmd, cmd, sizeof(res.cmd));
	res.dev = dev;
	res.ndevs = ndevs;
	res.size = size;
	res.min_ns = U64_MAX;
}

static void res_op(u64 t0, u64 t1, u64 t2, dma_addr_t iova, size_t size)
{
	u64 ns = t2 - t0;

	if (res.last_end && t0 - res.last_end > res.max_gap_ns)
		res.max_gap_ns = t0 - res.last_end;
	res.last_end = t2;
	if (!res.min_ns_set) {
		res.first_ns = ns;
		res.min_ns_set = 1;
	}
	res.sum_ns += ns;
	res.map_ns += t1 - t0;
	if (ns < res.min_ns)
		res.min_ns = ns;
	if (ns > res.max_ns) {
		res.max_ns = ns;
		res.max_at = res.ops;
	}
	hist[hist_index(ns)]++;
	if (res.ops - res.errors <= BENCH_MAX_SAMPLES)
		samples[res.ops - res.errors - 1] = min_t(u64, ns, U32_MAX);
	if ((u64)iova + size - 1 > U32_MAX)
		res.above4g++;
}

static int bench_cmp_u32(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

/* The exact value at quantile num/den of the n sorted samples. */
static u64 bench_sample_quantile(u64 n, u64 num, u64 den)
{
	u64 want = div64_u64(n * num + den - 1, den);

	return samples[want ? want - 1 : 0];
}

/*
 * After a timed loop: sort the samples; the median (the mean of the two
 * middle ones for an even count), the trimmed mean and the tail quantiles.
 */
static void res_finish(void)
{
	u64 n = res.ops - res.errors, i, k, sum = 0;

	if (!n || n > BENCH_MAX_SAMPLES)
		return;
	sort(samples, n, sizeof(*samples), bench_cmp_u32, NULL);
	res.median_ns = n & 1 ? samples[n / 2] :
		((u64)samples[n / 2 - 1] + samples[n / 2]) / 2;
	k = div64_u64(n * BENCH_TRIM_PCT, 100);
	for (i = k; i < n - k; i++)
		sum += samples[i];
	res.trim_mean_ns = div64_u64(sum, n - 2 * k);
	res.p90_ns = bench_sample_quantile(n, 9, 10);
	res.p99_ns = bench_sample_quantile(n, 99, 100);
	res.p999_ns = bench_sample_quantile(n, 999, 1000);
	res.exact = 1;
}

struct bench_mask {
	u64 dma, coherent;
};

static int bench_set_mask(struct device *dev, unsigned int bits,
			  struct bench_mask *save)
{
	if (save) {
		save->dma = dev->dma_mask ? *dev->dma_mask : 0;
		save->coherent = dev->coherent_dma_mask;
	}
	return dma_set_mask_and_coherent(dev, DMA_BIT_MASK(bits));
}

static void bench_restore_mask(struct device *dev, const struct bench_mask *m)
{
	if (m->dma)
		dma_set_mask(dev, m->dma);
	dma_set_coherent_mask(dev, m->coherent);
}

static inline dma_addr_t bench_map(struct device *dev, size_t size)
{
	return dma_map_page_attrs(dev, bench_page, 0, size, DMA_TO_DEVICE,
				  DMA_ATTR_SKIP_CPU_SYNC);
}

static inline void bench_unmap(struct device *dev, dma_addr_t iova, size_t size)
{
	dma_unmap_page_attrs(dev, iova, size, DMA_TO_DEVICE,
			     DMA_ATTR_SKIP_CPU_SYNC);
}

/* One timed op; returns false on a mapping error. */
static bool bench_timed_op(struct device *dev, size_t size)
{
	dma_addr_t iova;
	u64 t0, t1, t2;

	t0 = ktime_get_ns();
	iova = bench_map(dev, size);
	t1 = ktime_get_ns();
	if (dma_mapping_error(dev, iova)) {
		res.errors++;
		res.last_end = t1;
		return false;
	}
	bench_unmap(dev, iova, size);
	t2 = ktime_get_ns();
	res_op(t0, t1, t2, iova, size);
	return true;
}

/* ---------------------------------------------------------------------- */
/* Commands                                                               */

struct bench_args {
	unsigned long size, ops, devs, first, warmup, dev, frac, seed, max, churn, ftrace;
	unsigned long budget;
};

/* ---------------------------------------------------------------------- */
/* The floor of an ftrace hook: an empty callback with SAVE_REGS           */

static void notrace bench_ftrace_empty(unsigned long ip, unsigned long parent_ip,
				       struct ftrace_ops *ops,
				       struct ftrace_regs *fregs)
{
}

/* Empty but for the recursion guard iommu_sac's callback takes. */
static void notrace bench_ftrace_guarded(unsigned long ip, unsigned long parent_ip,
					 struct ftrace_ops *ops,
					 struct ftrace_regs *fregs)
{
	int bit = ftrace_test_recursion_trylock(ip, parent_ip);

	if (bit >= 0)
		ftrace_test_recursion_unlock(bit);
}

#if defined(CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS) && defined(CONFIG_X86_64)
#define BENCH_DIRECT 1
#include <asm/ibt.h>
#include <asm/nospec-branch.h>
#include "sac_bench.h"

#ifndef CALL_DEPTH_ACCOUNT
#define CALL_DEPTH_ACCOUNT ""	/* no call depth tracking (6.1) */
#endif

/* What bench_direct_saved calls: nothing. */
static noinline void notrace __used bench_direct_func(void)
{
}

/*
 * The direct-call trampolines, shaped as samples/ftrace/ftrace-direct.c
 * (x86-64) of each kernel: ftrace patches the traced function's
 * "call __fentry__" into "call <trampoline>" when no other ftrace_ops is
 * on that function (else ftrace_regs_caller returns into the trampoline,
 * with the same stack). Both return into the traced function, the
 * contract of register_ftrace_direct(): "save the parameters of the
 * function being traced, and restore them ... before returning".
 * CALL_DEPTH_ACCOUNT: the call site's call was not accounted (call depth
 * tracking, 6.2+), the ret will be. bench_direct_saved saves what
 * ftrace's own save_mcount_regs saves (rax and the six argument
 * registers; seven pushes after the frame also keep the stack 16-byte
 * aligned at the call).
 */
asm (
"	.pushsection	.text, \"ax\", @progbits\n"
"	.type		bench_direct_empty, @function\n"
"	.globl		bench_direct_empty\n"
"bench_direct_empty:\n"
	ASM_ENDBR
	CALL_DEPTH_ACCOUNT
	ASM_RET
"	.size		bench_direct_empty, .-bench_direct_empty\n"
"	.type		bench_direct_saved, @function\n"
"	.globl		bench_direct_saved\n"
"bench_direct_saved:\n"
	ASM_ENDBR
"	pushq	%rbp\n"
"	movq	%rsp, %rbp\n"
	CALL_DEPTH_ACCOUNT
"	pushq	%rdi\n"
"	pushq	%rsi\n"
"	pushq	%rdx\n"
"	pushq	%rcx\n"
"	pushq	%r8\n"
"	pushq	%r9\n"
"	pushq	%rax\n"
"	call	bench_direct_func\n"
"	popq	%rax\n"
"	popq	%r9\n"
"	popq	%r8\n"
"	popq	%rcx\n"
"	popq	%rdx\n"
"	popq	%rsi\n"
"	popq	%rdi\n"
"	leave\n"
	ASM_RET
"	.size		bench_direct_saved, .-bench_direct_saved\n"
"	.popsection\n"
);

/*
 * 6.1 has the ftrace_ops form as register_ftrace_direct_multi() (its
 * register_ftrace_direct() takes an address, which a module cannot look
 * up for a static function); 6.5 renamed it register_ftrace_direct() and
 * gave unregister_ftrace_direct() a free_filters argument (tests/drivers/
 * Kbuild tells which by the kernel's linux/ftrace.h).
 */
static int bench_direct_register(struct ftrace_ops *ops, unsigned long addr)
{
#ifdef SAC_BENCH_DIRECT_MULTI
	return register_ftrace_direct_multi(ops, addr);
#else
	return register_ftrace_direct(ops, addr);
#endif
}

static void bench_direct_unregister(struct ftrace_ops *ops, unsigned long addr)
{
#ifdef SAC_BENCH_DIRECT_MULTI
	WARN_ON(unregister_ftrace_direct_multi(ops, addr));
#else
	WARN_ON(unregister_ftrace_direct(ops, addr, false));
#endif
}
#else
#define BENCH_DIRECT 0
static void bench_direct_empty(void) { }
static void bench_direct_saved(void) { }
static int bench_direct_register(struct ftrace_ops *ops, unsigned long addr)
{
	return -EOPNOTSUPP;
}

static void bench_direct_unregister(struct ftrace_ops *ops, unsigned long addr)
{
}
#endif

/*
 * A fresh ops for every run, freed after unregistering (as livepatch does):
 * an ftrace_ops is not reused or given new flags once it was registered.
 */
static struct ftrace_ops *bench_fops;
/* The direct trampoline of the registered ops (0: a callback ops). */
static unsigned long bench_direct_addr;

/*
 * ftrace=1: SAVE_REGS | RECURSION;
 * ftrace=2: RECURSION only (ftrace_regs with the argument registers);
 * ftrace=3: no flags (as livepatch on x86: its own recursion handling);
 * ftrace=4: no flags, the callback takes ftrace_test_recursion_trylock();
 * ftrace=5: a direct call to an empty trampoline;
 * ftrace=6: a direct call to a trampoline that saves the argument
 *           registers, calls an empty C function and restores them.
 */
static int bench_ftrace_on(unsigned long mode)
{
	static const unsigned long flags[] = {
		[1] = FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_RECURSION,
		[2] = FTRACE_OPS_FL_RECURSION,
		[3] = 0,
		[4] = 0,
	};
	char name[] = "iommu_dma_alloc_iova";
	unsigned long direct = 0;
	int ret;

	if (mode < 1 || mode > 6)
		return -EINVAL;
	if (mode >= 5) {
		if (!BENCH_DIRECT)
			return -EOPNOTSUPP;
		direct = mode == 5 ? (unsigned long)bench_direct_empty :
				     (unsigned long)bench_direct_saved;
	}
	bench_fops = kzalloc(sizeof(*bench_fops), GFP_KERNEL);
	if (!bench_fops)
		return -ENOMEM;
	/* A direct ops gets its func and flags from register_ftrace_direct(). */
	if (!direct) {
		bench_fops->func = mode == 4 ? bench_ftrace_guarded : bench_ftrace_empty;
		bench_fops->flags = flags[mode];
	}
	ret = ftrace_set_filter(bench_fops, name, strlen(name), 1);
	if (!ret) {
		ret = direct ? bench_direct_register(bench_fops, direct) :
			       register_ftrace_function(bench_fops);
		if (!ret) {
			bench_direct_addr = direct;
			return 0;
		}
	}
	ftrace_free_filter(bench_fops);
	kfree(bench_fops);
	bench_fops = NULL;
	return ret;
}

/*
 * unregister_ftrace_function() (also under unregister_ftrace_direct())
 * waits until no CPU can be in the callback or the trampoline.
 */
static void bench_ftrace_off(void)
{
	if (bench_direct_addr)
		bench_direct_unregister(bench_fops, bench_direct_addr);
	else
		unregister_ftrace_function(bench_fops);
	bench_direct_addr = 0;
	ftrace_free_filter(bench_fops);
	kfree(bench_fops);
	bench_fops = NULL;
}

static int bench_clock(struct bench_args *a)
{
	unsigned long i;
	u64 t, sink = 0;

	res_start("clock", -1, 0, 0);
	t = ktime_get_ns();
	for (i = 0; i < a->ops; i++)
		sink += local_clock();
	res.sum_ns = ktime_get_ns() - t;
	t = ktime_get_ns();
	for (i = 0; i < a->ops; i++)
		sink += ktime_get_ns();
	res.map_ns = ktime_get_ns() - t;
	t = ktime_get_ns();
	for (i = 0; i < a->ops; i++)
		sink += get_cycles();
	res.loop_ns = ktime_get_ns() - t;
	res.ops = a->ops;
	res.lowest = sink & 1;	/* keep the loops */
	res.done = 1;
	return 0;
}

static int bench_steady(struct bench_args *a)
{
	static struct bench_mask masks[BENCH_MAX_DEVS];	/* bench_lock */
	unsigned long i;
	unsigned int k;
	u64 t;
	int ret = 0;

	if (!a->devs)
		a->devs = 1;
	if (a->first >= bench_ndevs || a->devs > bench_ndevs - a->first)
		return -EINVAL;
	for (k = 0; k < a->devs; k++) {
		ret = bench_set_mask(&bench_devs[a->first + k]->dev, 64, &masks[k]);
		if (ret) {
			while (k--)
				bench_restore_mask(&bench_devs[a->first + k]->dev, &masks[k]);
			return ret;
		}
	}
	if (a->ftrace) {
		ret = bench_ftrace_on(a->ftrace);
		if (ret) {
			for (k = 0; k < a->devs; k++)
				bench_restore_mask(&bench_devs[a->first + k]->dev, &masks[k]);
			return ret;
		}
	}
	res_start("steady", a->first, a->devs, a->size);
	res.warmup = a->warmup;
	for (i = 0; i < a->warmup; i++) {
		struct device *dev = &bench_devs[a->first + i % a->devs]->dev;
		dma_addr_t iova = bench_map(dev, a->size);

		if (!dma_mapping_error(dev, iova))
			bench_unmap(dev, iova, a->size);
		if (!(i & 63))
			cond_resched();
	}
	t = ktime_get_ns();
	for (i = 0; i < a->ops; i++) {
		res.ops++;
		bench_timed_op(&bench_devs[a->first + i % a->devs]->dev, a->size);
		if (a->budget && res.last_end - t >= a->budget)
			break;
		if (!(i & 15)) {
			cond_resched();
			if (fatal_signal_pending(current)) {
				ret = -EINTR;
				break;
			}
		}
	}
	res.loop_ns = ktime_get_ns() - t;
	res_finish();
	if (a->ftrace)
		bench_ftrace_off();
	for (k = 0; k < a->devs; k++)
		bench_restore_mask(&bench_devs[a->first + k]->dev, &masks[k]);
	res.done = !ret;
	return ret;
}

static void bench_release_all(void)
{
	struct device *dev;
	unsigned long i;

	if (held_dev < 0)
		return;
	dev = &bench_devs[held_dev]->dev;
	for (i = 0; i < nr_held; i++) {
		bench_unmap(dev, held[i], held_size);
		if (!(i & 255))
			cond_resched();
	}
	nr_held = 0;
	held_dev = -1;
}

static int bench_fill(struct bench_args *a)
{
	struct device *dev;
	struct bench_mask mask;
	struct rnd_state rnd;
	unsigned long i, j, max = a->max ? a->max : BENCH_MAX_HELD;
	u64 t;
	int ret;

	if (a->dev >= bench_ndevs || a->frac > 1000 || max > BENCH_MAX_HELD)
		return -EINVAL;
	if (held_dev >= 0)
		return -EBUSY;		/* "release" first */
	dev = &bench_devs[a->dev]->dev;
	ret = bench_set_mask(dev, 32, &mask);
	if (ret)
		return ret;
	res_start("fill", a->dev, 1, a->size);
	held_dev = a->dev;
	held_size = a->size;
	res.lowest = U64_MAX;
	t = ktime_get_ns();
	while (nr_held < max) {
		dma_addr_t iova = bench_map(dev, a->size);

		if (dma_mapping_error(dev, iova))
			break;
		held[nr_held++] = iova;
		res.lowest = min_t(u64, res.lowest, iova);
		res.highest = max_t(u64, res.highest, iova);
		if ((u64)iova + a->size - 1 > U32_MAX)
			res.fill_above4g++;
		if (!(nr_held & 255)) {
			cond_resched();
			if (fatal_signal_pending(current)) {
				ret = -EINTR;
				break;
			}
		}
	}
	res.filled = nr_held;
	res.fill_ns = ktime_get_ns() - t;
	/* Fragment: release a seeded pseudo-random fraction, keep the rest in order. */
	prandom_seed_state(&rnd, a->seed);
	for (i = j = 0; i < nr_held; i++) {
		if (prandom_u32_state(&rnd) % 1000 < a->frac) {
			bench_unmap(dev, held[i], a->size);
			res.released++;
		} else {
			held[j++] = held[i];
		}
		if (!(i & 255))
			cond_resched();
	}
	nr_held = j;
	res.held = nr_held;
	bench_restore_mask(dev, &mask);
	/* Let the lazy IOTLB flush queue hand the released IOVAs back. */
	msleep(50);
	res.done = !ret;
	return ret;
}

static int bench_probe(struct bench_args *a)
{
	struct device *dev;
	struct bench_mask mask;
	struct rnd_state rnd;
	unsigned long i, c, j, nchurn = 0, churn_failed = 0;
	u64 t;
	int ret;

	if (held_dev < 0 || a->dev != held_dev || a->churn > BENCH_MAX_CHURN)
		return -EINVAL;
	if (a->churn && nr_held < 1)
		return -EINVAL;
	dev = &bench_devs[a->dev]->dev;
	ret = bench_set_mask(dev, 64, &mask);
	if (ret)
		return ret;
	res_start("probe", a->dev, 1, a->size);
	prandom_seed_state(&rnd, a->seed);
	t = ktime_get_ns();
	for (i = 0; i < a->ops; i++) {
		/*
		 * Traffic at the fill size, in a burst: release C random held
		 * mappings, then map C anew (a burst larger than the IOVA
		 * caches reaches the rbtree, as frees on other CPUs do).
		 */
		for (c = 0; c < a->churn && nr_held; c++) {
			unsigned long k = prandom_u32_state(&rnd) % nr_held;

			if (held[k] == DMA_MAPPING_ERROR)
				continue;
			bench_unmap(dev, held[k], held_size);
			held[k] = DMA_MAPPING_ERROR;
			churn_idx[nchurn++] = k;
		}
		while (nchurn) {
			unsigned long k = churn_idx[--nchurn];
			dma_addr_t iova = bench_map(dev, held_size);

			held[k] = iova;
			if (dma_mapping_error(dev, iova))
				churn_failed++;
			else
				res.churn++;
		}
		res.ops++;
		bench_timed_op(dev, a->size);
		if (a->budget && res.last_end - t >= a->budget)
			break;
		if (!(i & 15)) {
			cond_resched();
			if (fatal_signal_pending(current)) {
				ret = -EINTR;
				break;
			}
		}
	}
	res.loop_ns = ktime_get_ns() - t;
	res_finish();
	/* Drop the slots whose remap failed, keeping the array dense. */
	if (churn_failed) {
		for (i = j = 0; i < nr_held; i++)
			if (held[i] != DMA_MAPPING_ERROR)
				held[j++] = held[i];
		nr_held = j;
	}
	res.held = nr_held;
	bench_restore_mask(dev, &mask);
	res.done = !ret;
	return ret;
}

/*
 * Empty the IOVA caches of each device's domain: after the flush queue's
 * timer (IOVA_FQ_TIMEOUT, 10 ms) has freed what it holds into the caches,
 * an allocation that cannot fit below 4 GiB under a 32-bit mask fails in
 * the rbtree, and alloc_iova_fast() (called with flush_rcache true for a
 * 32-bit limit by the kernel and by iommu_sac alike) then runs
 * free_cpu_cached_iovas() on every CPU and free_global_cached_iovas().
 */
static int bench_flush(struct bench_args *a)
{
	struct bench_mask mask;
	unsigned int k;
	int ret;

	if (!a->devs)
		a->devs = 1;
	if (a->first >= bench_ndevs || a->devs > bench_ndevs - a->first)
		return -EINVAL;
	res_start("flush", a->first, a->devs, 0);
	msleep(50);
	for (k = 0; k < a->devs; k++) {
		struct device *dev = &bench_devs[a->first + k]->dev;
		dma_addr_t iova;

		ret = bench_set_mask(dev, 32, &mask);
		if (ret)
			return ret;
		iova = dma_map_page_attrs(dev, bench_page, 0, BENCH_FLUSH_SIZE,
					  DMA_TO_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
		if (!dma_mapping_error(dev, iova)) {
			/* Cannot happen below 4 GiB; undo it and say so. */
			bench_unmap(dev, iova, BENCH_FLUSH_SIZE);
			bench_restore_mask(dev, &mask);
			return -EIO;
		}
		bench_restore_mask(dev, &mask);
		res.flushed++;
	}
	res.done = 1;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* debugfs                                                                */

/* The "key=value" arguments of a command: each an unsigned long field. */
static const struct {
	const char *name;
	size_t offset;
} bench_keys[] = {
	{ "size",	offsetof(struct bench_args, size) },
	{ "ops",	offsetof(struct bench_args, ops) },
	{ "devs",	offsetof(struct bench_args, devs) },
	{ "first",	offsetof(struct bench_args, first) },
	{ "warmup",	offsetof(struct bench_args, warmup) },
	{ "dev",	offsetof(struct bench_args, dev) },
	{ "frac",	offsetof(struct bench_args, frac) },
	{ "seed",	offsetof(struct bench_args, seed) },
	{ "max",	offsetof(struct bench_args, max) },
	{ "churn",	offsetof(struct bench_args, churn) },
	{ "ftrace",	offsetof(struct bench_args, ftrace) },
	{ "budget",	offsetof(struct bench_args, budget) },
};

static int bench_parse(char *s, char **cmd, struct bench_args *a)
{
	unsigned int i;
	char *tok;

	memset(a, 0, sizeof(*a));
	a->seed = 1;
	*cmd = strsep(&s, " \t");
	if (!*cmd || !**cmd)
		return -EINVAL;
	while ((tok = strsep(&s, " \t"))) {
		char *val;
		unsigned long *dst;

		if (!*tok)
			continue;
		val = strchr(tok, '=');
		if (!val)
			return -EINVAL;
		*val++ = '\0';
		for (i = 0; i < ARRAY_SIZE(bench_keys); i++)
			if (!strcmp(tok, bench_keys[i].name))
				break;
		if (i == ARRAY_SIZE(bench_keys))
			return -EINVAL;
		dst = (unsigned long *)((char *)a + bench_keys[i].offset);
		if (kstrtoul(val, 0, dst))
			return -EINVAL;
	}
	return 0;
}

static bool bench_size_ok(unsigned long size)
{
	return size >= PAGE_SIZE && size <= BENCH_MAX_SIZE &&
	       IS_ALIGNED(size, PAGE_SIZE);
}

static ssize_t bench_run_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	char buf[BENCH_INPUT_MAX], *cmd;
	struct bench_args a;
	int ret;

	if (*ppos != 0 || count == 0 || count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	ret = bench_parse(strstrip(buf), &cmd, &a);
	if (ret)
		return ret;
	if (strcmp(cmd, "release") && strcmp(cmd, "clock") && strcmp(cmd, "flush") &&
	    !bench_size_ok(a.size))
		return -EINVAL;
	if (a.ops > BENCH_MAX_OPS || a.warmup > BENCH_MAX_OPS)
		return -EINVAL;
	if (!mutex_trylock(&bench_lock))
		return -EBUSY;
	if (!strcmp(cmd, "steady"))
		ret = a.ops ? bench_steady(&a) : -EINVAL;
	else if (!strcmp(cmd, "fill"))
		ret = bench_fill(&a);
	else if (!strcmp(cmd, "probe"))
		ret = a.ops ? bench_probe(&a) : -EINVAL;
	else if (!strcmp(cmd, "clock"))
		ret = a.ops ? bench_clock(&a) : -EINVAL;
	else if (!strcmp(cmd, "flush"))
		ret = bench_flush(&a);
	else if (!strcmp(cmd, "release")) {
		res_start("release", held_dev, held_dev >= 0, held_size);
		res.released = nr_held;
		bench_release_all();
		res.done = 1;
		ret = 0;
	} else
		ret = -EINVAL;
	mutex_unlock(&bench_lock);
	return ret ? ret : count;
}

static int bench_run_show(struct seq_file *m, void *unused)
{
	u64 n;

	mutex_lock(&bench_lock);
	n = res.ops - res.errors;
	seq_printf(m, "cmd %s\n", res.cmd[0] ? res.cmd : "none");
	seq_printf(m, "done %d\n", res.done);
	seq_printf(m, "dev %s\n", res.dev >= 0 && res.dev < bench_ndevs ?
		   pci_name(bench_devs[res.dev]) : "-");
	seq_printf(m, "ndevs %u\n", res.ndevs);
	seq_printf(m, "size %zu\n", res.size);
	if (!strcmp(res.cmd, "steady") || !strcmp(res.cmd, "probe")) {
		u64 hsum = 0;
		unsigned int i;

		for (i = 0; i < HIST_BUCKETS; i++)
			hsum += hist[i];
		seq_printf(m, "ops %llu\n", res.ops);
		seq_printf(m, "errors %llu\n", res.errors);
		seq_printf(m, "timed %llu\n", n);
		seq_printf(m, "hist_count %llu\n", hsum);
		seq_printf(m, "above4g %llu\n", res.above4g);
		seq_printf(m, "sum_ns %llu\n", res.sum_ns);
		seq_printf(m, "mean_ns %llu\n", n ? div64_u64(res.sum_ns, n) : 0);
		seq_printf(m, "map_mean_ns %llu\n", n ? div64_u64(res.map_ns, n) : 0);
		seq_printf(m, "unmap_mean_ns %llu\n",
			   n ? div64_u64(res.sum_ns - res.map_ns, n) : 0);
		seq_printf(m, "min_ns %llu\n", n ? res.min_ns : 0);
		seq_printf(m, "exact %d\n", res.exact);
		seq_printf(m, "median_ns %llu\n",
			   res.exact ? res.median_ns : hist_quantile(1, 2));
		if (res.exact)
			seq_printf(m, "trim_mean_ns %llu\ntrim_pct %d\n",
				   res.trim_mean_ns, BENCH_TRIM_PCT);
		seq_printf(m, "p90_ns %llu\n", res.exact ? res.p90_ns : hist_quantile(9, 10));
		seq_printf(m, "p99_ns %llu\n", res.exact ? res.p99_ns : hist_quantile(99, 100));
		seq_printf(m, "p999_ns %llu\n",
			   res.exact ? res.p999_ns : hist_quantile(999, 1000));
		seq_printf(m, "max_ns %llu\n", res.max_ns);
		seq_printf(m, "max_at %llu\n", res.max_at);
		seq_printf(m, "first_ns %llu\n", n ? res.first_ns : 0);
		seq_printf(m, "mean_after_first_ns %llu\n",
			   n > 1 ? div64_u64(res.sum_ns - res.first_ns, n - 1) : 0);
		seq_printf(m, "max_gap_ns %llu\n", res.max_gap_ns);
		seq_printf(m, "loop_ns %llu\n", res.loop_ns);
		seq_printf(m, "churn %llu\n", res.churn);
		seq_printf(m, "held %llu\n", res.held);
		seq_printf(m, "warmup %llu\n", res.warmup);
	} else if (!strcmp(res.cmd, "fill")) {
		seq_printf(m, "filled %llu\n", res.filled);
		seq_printf(m, "fill_above4g %llu\n", res.fill_above4g);
		seq_printf(m, "released %llu\n", res.released);
		seq_printf(m, "held %llu\n", res.held);
		seq_printf(m, "fill_ns %llu\n", res.fill_ns);
		seq_printf(m, "lowest 0x%llx\n", res.filled ? res.lowest : 0);
		seq_printf(m, "highest 0x%llx\n", res.highest);
	} else if (!strcmp(res.cmd, "clock")) {
		seq_printf(m, "ops %llu\n", res.ops);
		seq_printf(m, "local_clock_ns %llu\n", div64_u64(res.sum_ns, res.ops));
		seq_printf(m, "ktime_get_ns_ns %llu\n", div64_u64(res.map_ns, res.ops));
		seq_printf(m, "get_cycles_ns %llu\n", div64_u64(res.loop_ns, res.ops));
	} else if (!strcmp(res.cmd, "release")) {
		seq_printf(m, "released %llu\n", res.released);
	} else if (!strcmp(res.cmd, "flush")) {
		seq_printf(m, "flushed %llu\n", res.flushed);
	}
	mutex_unlock(&bench_lock);
	return 0;
}

static int bench_run_open(struct inode *inode, struct file *file)
{
	return single_open(file, bench_run_show, NULL);
}

static const struct file_operations bench_run_fops = {
	.owner		= THIS_MODULE,
	.open		= bench_run_open,
	.read		= seq_read,
	.llseek		= seq_lseek,
	.release	= single_release,
	.write		= bench_run_write,
};

static int bench_hist_show(struct seq_file *m, void *unused)
{
	unsigned int i;
	u64 lo, hi;

	mutex_lock(&bench_lock);
	for (i = 0; i < HIST_BUCKETS; i++) {
		if (!hist[i])
			continue;
		hist_bounds(i, &lo, &hi);
		seq_printf(m, "%llu %llu %llu\n", lo, hi, hist[i]);
	}
	mutex_unlock(&bench_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(bench_hist);

static int bench_devices_show(struct seq_file *m, void *unused)
{
	unsigned int i;

	for (i = 0; i < bench_ndevs; i++)
		seq_printf(m, "%u %s\n", i, pci_name(bench_devs[i]));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(bench_devices);

static void bench_put_devs(void)
{
	while (bench_ndevs)
		pci_dev_put(bench_devs[--bench_ndevs]);
}

static int __init sac_bench_init(void)
{
	struct pci_dev *pdev = NULL;

	while ((pdev = pci_get_device(BENCH_VENDOR, BENCH_DEVICE, pdev))) {
		if (bench_ndevs == BENCH_MAX_DEVS) {
			pci_dev_put(pdev);
			break;
		}
		bench_devs[bench_ndevs++] = pci_dev_get(pdev);
	}
	bench_page = alloc_pages(GFP_KERNEL, BENCH_BUF_ORDER);
	hist = kvcalloc(HIST_BUCKETS, sizeof(*hist), GFP_KERNEL);
	held = kvmalloc_array(BENCH_MAX_HELD, sizeof(*held), GFP_KERNEL);
	churn_idx = kvmalloc_array(BENCH_MAX_CHURN, sizeof(*churn_idx), GFP_KERNEL);
	samples = kvmalloc_array(BENCH_MAX_SAMPLES, sizeof(*samples), GFP_KERNEL);
	if (!bench_page || !hist || !held || !churn_idx || !samples) {
		if (bench_page)
			__free_pages(bench_page, BENCH_BUF_ORDER);
		kvfree(hist);
		kvfree(held);
		kvfree(churn_idx);
		kvfree(samples);
		bench_put_devs();
		return -ENOMEM;
	}
	res.dev = -1;
	bench_root = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("devices", 0400, bench_root, NULL, &bench_devices_fops);
	debugfs_create_file("run", 0600, bench_root, NULL, &bench_run_fops);
	debugfs_create_file("hist", 0400, bench_root, NULL, &bench_hist_fops);
	pr_info("%u edu device(s)\n", bench_ndevs);
	return 0;
}

static void __exit sac_bench_exit(void)
{
	debugfs_remove_recursive(bench_root);
	mutex_lock(&bench_lock);
	bench_release_all();
	mutex_unlock(&bench_lock);
	bench_put_devs();
	__free_pages(bench_page, BENCH_BUF_ORDER);
	kvfree(hist);
	kvfree(held);
	kvfree(churn_idx);
	kvfree(samples);
}

module_init(sac_bench_init);
module_exit(sac_bench_exit);
MODULE_DESCRIPTION("iommu-sac benchmark: map+unmap cost on QEMU's edu devices");
MODULE_LICENSE("GPL");
