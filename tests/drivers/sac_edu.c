// SPDX-License-Identifier: GPL-2.0
/*
 * iommu-sac test driver for QEMU's "edu" PCI device (1234:11e8)
 *
 * The VM suite proves IOVA allocation (the kernel's and iommu_sac.ko's)
 * through this driver. Every bound edu gets a debugfs directory
 * /sys/kernel/debug/sac_edu/<pci name>/ with:
 *
 *   dma_bits   rw  DMA mask in bits (12..64), dma_set_mask_and_coherent()
 *   roundtrip  rw  write SIZE: RAM -> device -> RAM DMA through two streaming
 *                  mappings and a byte compare; read: the last result
 *   fill       w   "COUNT PAGES": hold COUNT more mappings of PAGES pages
 *   release    w   "all", "N" (newest N), "stride K [OFFSET]" or "at IOVA"
 *                  (the held mapping at that IOVA, hex with 0x or decimal;
 *                  EINVAL and nothing released if none is held there)
 *   held       r   key value statistics of the held mappings
 *   iovas      r   every held mapping as "0xIOVA PAGES", in holding order
 *   maploop    rw  write "COUNT BYTES": map/unmap loop; read: its result
 *
 * Module parameter timeout_ms (default 1000) bounds each device transfer.
 *
 * The edu DMA engine (QEMU hw/misc/edu.c) copies between RAM and a 4 KiB
 * buffer inside the device, at device address 0x40000; QEMU runs each
 * transfer from a timer 100 ms after the command is written. Its dma_mask
 * property masks every address the device issues, modelling hardware that
 * drops high address bits: a DMA through an IOVA above that mask faults in
 * the IOMMU and the roundtrip reports a mismatch (or a timeout).
 *
 * Invariants:
 * - every operation on a device runs under that device's mutex;
 * - no transfer exceeds SAC_EDU_DMA_MAX (QEMU 7.2's edu aborts QEMU on a
 *   DMA of exactly 4096 bytes);
 * - a transfer that does not finish in time leaves its buffers mapped and
 *   allocated ("parked") until the device is seen idle; nothing the device
 *   may still write to is ever unmapped or freed;
 * - fill maps one physically contiguous buffer again and again, so holding
 *   gigabytes of IOVA space costs SAC_EDU_FILL_MAX_PAGES pages of memory.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/iopoll.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/random.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#ifndef writeq
#error "sac_edu needs 64-bit MMIO (writeq): the edu DMA registers are 64 bits wide"
#endif

/* ---------------------------------------------------------------------- */
/* The edu device (QEMU hw/misc/edu.c), BAR 0                              */

#define EDU_REG_ID		0x00	/* 0x010000ed: version 1.0, 0xed */
#define EDU_REG_LIVE		0x04	/* reads back ~(last value written) */
#define EDU_REG_DMA_SRC		0x80	/* 64 bits */
#define EDU_REG_DMA_DST		0x88	/* 64 bits */
#define EDU_REG_DMA_CNT		0x90	/* 64 bits */
#define EDU_REG_DMA_CMD		0x98
#define  EDU_DMA_CMD_RUN	BIT(0)	/* start; reads 1 while busy */
#define  EDU_DMA_CMD_TO_RAM	BIT(1)	/* device buffer -> RAM */

#define EDU_ID_MAGIC		0xed
#define EDU_DMA_BUF		0x40000	/* device address of its buffer */
#define SAC_EDU_DMA_MAX		4095	/* QEMU 7.2 aborts on 4096 */

#define SAC_EDU_POLL_US		1000
#define SAC_EDU_TIMEOUT_MAX_MS	60000
/* After a timeout, how many more timeout_ms to watch for a late finish. */
#define SAC_EDU_LATE_FACTOR	5

/* Limits of the debugfs controls. */
#define SAC_EDU_INPUT_MAX	64
#define SAC_EDU_MIN_BITS	12
#define SAC_EDU_FILL_MAX_PAGES	512
#define SAC_EDU_MAX_HELD	(2UL << 20)
#define SAC_EDU_HELD_MIN_CAP	1024UL
#define SAC_EDU_LOOP_MAX_COUNT	100000000UL
#define SAC_EDU_LOOP_MAX_BYTES	(256 * 1024)

static_assert(SAC_EDU_DMA_MAX < 4096);

/* ---------------------------------------------------------------------- */
/* Per-device state                                                        */

enum sac_edu_rt_result {
	SAC_EDU_RT_NONE,
	SAC_EDU_RT_OK,
	SAC_EDU_RT_MAPPING_ERROR,
	SAC_EDU_RT_MISMATCH,
	SAC_EDU_RT_TIMEOUT,
	SAC_EDU_RT_NR
};

static const char *const sac_edu_rt_names[] = {
	[SAC_EDU_RT_NONE]		= "none",
	[SAC_EDU_RT_OK]			= "ok",
	[SAC_EDU_RT_MAPPING_ERROR]	= "mapping_error",
	[SAC_EDU_RT_MISMATCH]		= "mismatch",
	[SAC_EDU_RT_TIMEOUT]		= "timeout",
};

static_assert(ARRAY_SIZE(sac_edu_rt_names) == SAC_EDU_RT_NR);

/* One held fill mapping. */
struct sac_edu_map {
	dma_addr_t iova;
	unsigned int pages;
};

/* The two buffers of one roundtrip and their streaming mappings. */
struct sac_edu_xfer {
	u8 *to;			/* RAM -> device, DMA_TO_DEVICE */
	u8 *from;		/* device -> RAM, DMA_FROM_DEVICE */
	dma_addr_t iova_to;
	dma_addr_t iova_from;
	bool mapped_to;
	bool mapped_from;
	size_t size;
};

struct sac_edu {
	struct pci_dev *pdev;
	void __iomem *mmio;
	struct dentry *dir;
	/* Serialises every operation; protects all fields below. */
	struct mutex lock;

	/* A transfer that timed out; parked.size == 0 when there is none. */
	struct sac_edu_xfer parked;

	/* Last roundtrip. */
	enum sac_edu_rt_result rt_result;
	size_t rt_size;
	dma_addr_t rt_iova_to;		/* 0 when not mapped */
	dma_addr_t rt_iova_from;	/* 0 when not mapped */

	/* fill / release: held[0 .. nr_held) in holding order. */
	struct page *fill_page;		/* SAC_EDU_FILL_MAX_PAGES, or NULL */
	struct sac_edu_map *held;	/* kvmalloc'd, held_cap entries */
	unsigned long nr_held;
	unsigned long held_cap;
	unsigned long map_failures;	/* since the last "release all" */

	/* Last maploop. */
	u64 loop_count;
	u64 loop_bytes;
	u64 loop_failures;
	u64 loop_above4g;
	u64 loop_ns;
};

static struct dentry *sac_edu_root;

/* Each edu transfer takes ~100 ms of QEMU virtual time. */
static unsigned int timeout_ms = 1000;
module_param(timeout_ms, uint, 0444);
MODULE_PARM_DESC(timeout_ms,
		 "time one edu DMA may take before it counts as a timeout (ms, 1..60000, default 1000)");

static struct device *sac_edu_dev(struct sac_edu *edu)
{
	return &edu->pdev->dev;
}

/* True if [iova, iova + len) lies wholly below 4 GiB. */
static bool sac_edu_below4g(dma_addr_t iova, size_t len)
{
	return (u64)iova + len - 1 <= U32_MAX;
}

/* ---------------------------------------------------------------------- */
/* Device DMA                                                              */

static bool sac_edu_busy(struct sac_edu *edu)
{
	return readl(edu->mmio + EDU_REG_DMA_CMD) & EDU_DMA_CMD_RUN;
}

static int sac_edu_wait_idle(struct sac_edu *edu)
{
	u32 cmd;

	return readl_poll_timeout(edu->mmio + EDU_REG_DMA_CMD, cmd,
				  !(cmd & EDU_DMA_CMD_RUN),
				  SAC_EDU_POLL_US,
				  (u64)timeout_ms * USEC_PER_MSEC);
}

/* Run one transfer and wait for it; -ETIMEDOUT if it did not finish. */
static int sac_edu_dma(struct sac_edu *edu, u64 src, u64 dst, size_t len,
		       u32 cmd)
{
	writeq(src, edu->mmio + EDU_REG_DMA_SRC);
	writeq(dst, edu->mmio + EDU_REG_DMA_DST);
	writeq(len, edu->mmio + EDU_REG_DMA_CNT);
	writel(cmd | EDU_DMA_CMD_RUN, edu->mmio + EDU_REG_DMA_CMD);
	return sac_edu_wait_idle(edu);
}

static void sac_edu_xfer_free(struct sac_edu *edu, struct sac_edu_xfer *x)
{
	struct device *dev = sac_edu_dev(edu);

	if (x->mapped_from)
		dma_unmap_single(dev, x->iova_from, x->size, DMA_FROM_DEVICE);
	if (x->mapped_to)
		dma_unmap_single(dev, x->iova_to, x->size, DMA_TO_DEVICE);
	kfree(x->from);
	kfree(x->to);
	memset(x, 0, sizeof(*x));
}

/*
 * A transfer did not finish within timeout_ms of its command. Watch the
 * device SAC_EDU_LATE_FACTOR times as long again, only to tell a transfer
 * QEMU finished late (its edu timer ran late) from one it never finished,
 * and say which. The roundtrip stays a timeout either way.
 */
static void sac_edu_report_timeout(struct sac_edu *edu, const char *what,
				   size_t len, ktime_t start)
{
	struct device *dev = sac_edu_dev(edu);
	u32 cmd;
	int ret;

	ret = readl_poll_timeout(edu->mmio + EDU_REG_DMA_CMD, cmd,
				 !(cmd & EDU_DMA_CMD_RUN), SAC_EDU_POLL_US,
				 (u64)SAC_EDU_LATE_FACTOR * timeout_ms *
				 USEC_PER_MSEC);
	if (ret)
		dev_warn(dev,
			 "DMA timed out (%s, %zu bytes): still busy %lld ms after its command, parking its buffers\n",
			 what, len, ktime_ms_delta(ktime_get(), start));
	else
		dev_warn(dev,
			 "DMA timed out (%s, %zu bytes): the device finished it %lld ms after its command, late; parking its buffers\n",
			 what, len, ktime_ms_delta(ktime_get(), start));
}

/*
 * Release the parked transfer once the device is idle. Returns 0 when
 * nothing is parked any more, -ETIMEDOUT if the device is still busy.
 */
static int sac_edu_unpark(struct sac_edu *edu)
{
	if (!edu->parked.size)
		return 0;
	if (sac_edu_wait_idle(edu))
		return -ETIMEDOUT;
	sac_edu_xfer_free(edu, &edu->parked);
	return 0;
}

/*
 * RAM -> device buffer -> RAM through two streaming mappings, then compare.
 * The result is recorded for the roundtrip file; only a failure to allocate
 * the buffers (the operation did not run) is returned.
 */
static int sac_edu_roundtrip(struct sac_edu *edu, size_t size)
{
	struct device *dev = sac_edu_dev(edu);
	struct sac_edu_xfer x = { .size = size };
	enum sac_edu_rt_result res;
	const char *what;
	ktime_t start;
	int timedout;
	size_t i;

	x.to = kmalloc(size, GFP_KERNEL);
	x.from = kmalloc(size, GFP_KERNEL);
	if (!x.to || !x.from) {
		kfree(x.to);
		kfree(x.from);
		return -ENOMEM;
	}
	/* "from" starts as the complement: a transfer that did not happen shows. */
	get_random_bytes(x.to, size);
	for (i = 0; i < size; i++)
		x.from[i] = ~x.to[i];

	edu->rt_size = size;
	edu->rt_iova_to = 0;
	edu->rt_iova_from = 0;

	if (sac_edu_unpark(edu)) {
		res = SAC_EDU_RT_TIMEOUT;
		goto out_free;
	}

	x.iova_to = dma_map_single(dev, x.to, size, DMA_TO_DEVICE);
	if (dma_mapping_error(dev, x.iova_to)) {
		res = SAC_EDU_RT_MAPPING_ERROR;
		goto out_free;
	}
	x.mapped_to = true;
	edu->rt_iova_to = x.iova_to;

	x.iova_from = dma_map_single(dev, x.from, size, DMA_FROM_DEVICE);
	if (dma_mapping_error(dev, x.iova_from)) {
		res = SAC_EDU_RT_MAPPING_ERROR;
		goto out_free;
	}
	x.mapped_from = true;
	edu->rt_iova_from = x.iova_from;

	what = "RAM to device";
	start = ktime_get();
	timedout = sac_edu_dma(edu, x.iova_to, EDU_DMA_BUF, size, 0);
	if (!timedout) {
		what = "device to RAM";
		start = ktime_get();
		timedout = sac_edu_dma(edu, EDU_DMA_BUF, x.iova_from, size,
				       EDU_DMA_CMD_TO_RAM);
	}
	if (timedout) {
		sac_edu_report_timeout(edu, what, size, start);
		edu->parked = x;
		edu->rt_result = SAC_EDU_RT_TIMEOUT;
		return 0;
	}

	dma_unmap_single(dev, x.iova_from, size, DMA_FROM_DEVICE);
	x.mapped_from = false;
	dma_unmap_single(dev, x.iova_to, size, DMA_TO_DEVICE);
	x.mapped_to = false;
	res = memcmp(x.to, x.from, size) ? SAC_EDU_RT_MISMATCH : SAC_EDU_RT_OK;
out_free:
	sac_edu_xfer_free(edu, &x);
	edu->rt_result = res;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Held mappings: fill and release                                         */

static int sac_edu_held_reserve(struct sac_edu *edu, unsigned long want)
{
	struct sac_edu_map *held;
	unsigned long cap;

	if (want <= edu->held_cap)
		return 0;
	cap = max3(want, 2 * edu->held_cap, SAC_EDU_HELD_MIN_CAP);
	cap = min(cap, SAC_EDU_MAX_HELD);
	held = kvmalloc_array(cap, sizeof(*held), GFP_KERNEL);
	if (!held)
		return -ENOMEM;
	if (edu->nr_held)
		memcpy(held, edu->held, edu->nr_held * sizeof(*held));
	kvfree(edu->held);
	edu->held = held;
	edu->held_cap = cap;
	return 0;
}

static void sac_edu_unmap_held(struct sac_edu *edu, const struct sac_edu_map *m)
{
	dma_unmap_page_attrs(sac_edu_dev(edu), m->iova,
			     (size_t)m->pages * PAGE_SIZE, DMA_BIDIRECTIONAL,
			     DMA_ATTR_SKIP_CPU_SYNC);
}

/* Map the fill buffer @count more times; stop at the first failure. */
static int sac_edu_fill(struct sac_edu *edu, unsigned long count,
			unsigned int pages)
{
	struct device *dev = sac_edu_dev(edu);
	size_t len = (size_t)pages * PAGE_SIZE;
	unsigned long i;
	dma_addr_t iova;
	int ret;

	if (count > SAC_EDU_MAX_HELD - edu->nr_held)
		return -ENOSPC;
	ret = sac_edu_held_reserve(edu, edu->nr_held + count);
	if (ret)
		return ret;
	if (!edu->fill_page) {
		edu->fill_page = alloc_pages(GFP_KERNEL | __GFP_NOWARN,
					     get_order(SAC_EDU_FILL_MAX_PAGES *
						       PAGE_SIZE));
		if (!edu->fill_page)
			return -ENOMEM;
	}

	for (i = 0; i < count; i++) {
		if (fatal_signal_pending(current))
			break;
		iova = dma_map_page_attrs(dev, edu->fill_page, 0, len,
					  DMA_BIDIRECTIONAL,
					  DMA_ATTR_SKIP_CPU_SYNC);
		if (dma_mapping_error(dev, iova)) {
			edu->map_failures++;
			break;
		}
		edu->held[edu->nr_held].iova = iova;
		edu->held[edu->nr_held].pages = pages;
		edu->nr_held++;
		cond_resched();
	}
	return 0;
}

/* Unmap the @n most recently made mappings. */
static void sac_edu_release_last(struct sac_edu *edu, unsigned long n)
{
	while (n--) {
		sac_edu_unmap_held(edu, &edu->held[--edu->nr_held]);
		cond_resched();
	}
}

static void sac_edu_release_all(struct sac_edu *edu)
{
	sac_edu_release_last(edu, edu->nr_held);
	kvfree(edu->held);
	edu->held = NULL;
	edu->held_cap = 0;
	edu->map_failures = 0;
}

/* Unmap every mapping whose index % @k == @offset; compact the rest. */
static void sac_edu_release_stride(struct sac_edu *edu, unsigned long k,
				   unsigned long offset)
{
	unsigned long i, kept = 0;

	for (i = 0; i < edu->nr_held; i++) {
		if (i % k == offset)
			sac_edu_unmap_held(edu, &edu->held[i]);
		else
			edu->held[kept++] = edu->held[i];
		cond_resched();
	}
	edu->nr_held = kept;
}

/*
 * Unmap the held mapping at @iova; keep the others in their order.
 * Returns -ENOENT if no held mapping starts there.
 */
static int sac_edu_release_at(struct sac_edu *edu, dma_addr_t iova)
{
	unsigned long i;

	for (i = 0; i < edu->nr_held; i++) {
		if (edu->held[i].iova != iova)
			continue;
		sac_edu_unmap_held(edu, &edu->held[i]);
		memmove(&edu->held[i], &edu->held[i + 1],
			(edu->nr_held - i - 1) * sizeof(*edu->held));
		edu->nr_held--;
		return 0;
	}
	return -ENOENT;
}

/* ---------------------------------------------------------------------- */
/* maploop                                                                 */

static int sac_edu_maploop(struct sac_edu *edu, unsigned long count,
			   size_t bytes)
{
	struct device *dev = sac_edu_dev(edu);
	u64 done, failures = 0, above4g = 0, start;
	dma_addr_t iova;
	void *buf;

	buf = kmalloc(bytes, GFP_KERNEL | __GFP_NOWARN);
	if (!buf)
		return -ENOMEM;

	start = ktime_get_ns();
	for (done = 0; done < count; done++) {
		if (fatal_signal_pending(current))
			break;
		iova = dma_map_single(dev, buf, bytes, DMA_TO_DEVICE);
		if (dma_mapping_error(dev, iova)) {
			failures++;
		} else {
			if (!sac_edu_below4g(iova, bytes))
				above4g++;
			dma_unmap_single(dev, iova, bytes, DMA_TO_DEVICE);
		}
		cond_resched();
	}
	edu->loop_ns = ktime_get_ns() - start;
	edu->loop_count = done;
	edu->loop_bytes = bytes;
	edu->loop_failures = failures;
	edu->loop_above4g = above4g;
	kfree(buf);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* debugfs                                                                 */

/* Copy a write once, NUL-terminate it and strip blanks around it. */
static char *sac_edu_input(char *buf, size_t size, const char __user *ubuf,
			   size_t count)
{
	if (!count || count >= size)
		return ERR_PTR(-EINVAL);
	if (copy_from_user(buf, ubuf, count))
		return ERR_PTR(-EFAULT);
	buf[count] = '\0';
	return strstrip(buf);
}

/*
 * Split @s into at most @max blank-separated words. Returns the number of
 * words, or -EINVAL if there are more than @max.
 */
static int sac_edu_words(char *s, char **words, int max)
{
	int n = 0;
	char *w;

	for (;;) {
		s = skip_spaces(s);
		if (!*s)
			return n;
		w = strsep(&s, " \t\n");
		if (n == max)
			return -EINVAL;
		words[n++] = w;
		if (!s)
			return n;
	}
}

/* Handlers of rw files are single_open() seq files: private is the edu. */
static struct sac_edu *sac_edu_of_seq(struct file *file)
{
	struct seq_file *m = file->private_data;

	return m->private;
}

#define SAC_EDU_RW_FOPS(name)						\
static int name##_open(struct inode *inode, struct file *file)		\
{									\
	return single_open(file, name##_show, inode->i_private);	\
}									\
static const struct file_operations name##_fops = {			\
	.owner		= THIS_MODULE,					\
	.open		= name##_open,					\
	.read		= seq_read,					\
	.write		= name##_write,					\
	.llseek		= seq_lseek,					\
	.release	= single_release,				\
}

#define SAC_EDU_WO_FOPS(name)						\
static const struct file_operations name##_fops = {			\
	.owner		= THIS_MODULE,					\
	.open		= simple_open,					\
	.write		= name##_write,					\
}

/* dma_bits */

static int sac_edu_dma_bits_show(struct seq_file *m, void *v)
{
	struct sac_edu *edu = m->private;

	mutex_lock(&edu->lock);
	seq_printf(m, "%d\n", fls64(dma_get_mask(sac_edu_dev(edu))));
	mutex_unlock(&edu->lock);
	return 0;
}

static ssize_t sac_edu_dma_bits_write(struct file *file,
				      const char __user *ubuf, size_t count,
				      loff_t *ppos)
{
	struct sac_edu *edu = sac_edu_of_seq(file);
	char buf[SAC_EDU_INPUT_MAX];
	unsigned int bits;
	char *s;
	int ret;

	s = sac_edu_input(buf, sizeof(buf), ubuf, count);
	if (IS_ERR(s))
		return PTR_ERR(s);
	if (kstrtouint(s, 10, &bits) || bits < SAC_EDU_MIN_BITS || bits > 64)
		return -EINVAL;

	mutex_lock(&edu->lock);
	ret = dma_set_mask_and_coherent(sac_edu_dev(edu), DMA_BIT_MASK(bits));
	mutex_unlock(&edu->lock);
	return ret ? -EIO : count;
}

SAC_EDU_RW_FOPS(sac_edu_dma_bits);

/* roundtrip */

static int sac_edu_roundtrip_show(struct seq_file *m, void *v)
{
	struct sac_edu *edu = m->private;

	mutex_lock(&edu->lock);
	seq_printf(m, "result=%s size=%zu iova_to=0x%llx iova_from=0x%llx\n",
		   sac_edu_rt_names[edu->rt_result], edu->rt_size,
		   (u64)edu->rt_iova_to, (u64)edu->rt_iova_from);
	mutex_unlock(&edu->lock);
	return 0;
}

static ssize_t sac_edu_roundtrip_write(struct file *file,
				       const char __user *ubuf, size_t count,
				       loff_t *ppos)
{
	struct sac_edu *edu = sac_edu_of_seq(file);
	char buf[SAC_EDU_INPUT_MAX];
	unsigned int size;
	char *s;
	int ret;

	s = sac_edu_input(buf, sizeof(buf), ubuf, count);
	if (IS_ERR(s))
		return PTR_ERR(s);
	if (kstrtouint(s, 10, &size) || !size || size > SAC_EDU_DMA_MAX)
		return -EINVAL;

	mutex_lock(&edu->lock);
	ret = sac_edu_roundtrip(edu, size);
	mutex_unlock(&edu->lock);
	return ret ?: count;
}

SAC_EDU_RW_FOPS(sac_edu_roundtrip);

/* fill */

static ssize_t sac_edu_fill_write(struct file *file, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	struct sac_edu *edu = file->private_data;
	char buf[SAC_EDU_INPUT_MAX];
	unsigned long nr;
	unsigned int pages;
	char *s, *w[2];
	int ret;

	s = sac_edu_input(buf, sizeof(buf), ubuf, count);
	if (IS_ERR(s))
		return PTR_ERR(s);
	if (sac_edu_words(s, w, 2) != 2 ||
	    kstrtoul(w[0], 10, &nr) || !nr ||
	    kstrtouint(w[1], 10, &pages) || !pages ||
	    pages > SAC_EDU_FILL_MAX_PAGES)
		return -EINVAL;

	mutex_lock(&edu->lock);
	ret = sac_edu_fill(edu, nr, pages);
	mutex_unlock(&edu->lock);
	return ret ?: count;
}

SAC_EDU_WO_FOPS(sac_edu_fill);

/* release */

static ssize_t sac_edu_release_write(struct file *file,
				     const char __user *ubuf, size_t count,
				     loff_t *ppos)
{
	struct sac_edu *edu = file->private_data;
	unsigned long n, k, offset = 0;
	char buf[SAC_EDU_INPUT_MAX];
	u64 iova;
	char *s, *w[3];
	int nw, ret = 0;

	s = sac_edu_input(buf, sizeof(buf), ubuf, count);
	if (IS_ERR(s))
		return PTR_ERR(s);
	nw = sac_edu_words(s, w, 3);
	if (nw < 1)
		return -EINVAL;

	mutex_lock(&edu->lock);
	if (nw == 1 && !strcmp(w[0], "all")) {
		sac_edu_release_all(edu);
	} else if (nw == 1) {
		if (kstrtoul(w[0], 10, &n) || !n || n > edu->nr_held)
			ret = -EINVAL;
		else
			sac_edu_release_last(edu, n);
	} else if (!strcmp(w[0], "stride")) {
		if (kstrtoul(w[1], 10, &k) || !k ||
		    (nw == 3 && kstrtoul(w[2], 10, &offset)) || offset >= k)
			ret = -EINVAL;
		else
			sac_edu_release_stride(edu, k, offset);
	} else if (nw == 2 && !strcmp(w[0], "at")) {
		if (kstrtou64(w[1], 0, &iova) ||
		    sac_edu_release_at(edu, (dma_addr_t)iova))
			ret = -EINVAL;
	} else {
		ret = -EINVAL;
	}
	mutex_unlock(&edu->lock);
	return ret ?: count;
}

SAC_EDU_WO_FOPS(sac_edu_release);

/* held */

static int sac_edu_held_show(struct seq_file *m, void *v)
{
	struct sac_edu *edu = m->private;
	u64 pages = 0, below = 0, lo = 0, hi = 0;
	unsigned long i;

	mutex_lock(&edu->lock);
	for (i = 0; i < edu->nr_held; i++) {
		const struct sac_edu_map *h = &edu->held[i];
		size_t len = (size_t)h->pages * PAGE_SIZE;
		u64 last = (u64)h->iova + len - 1;

		pages += h->pages;
		if (sac_edu_below4g(h->iova, len))
			below++;
		if (!i || h->iova < lo)
			lo = h->iova;
		hi = max(hi, last);
	}
	seq_printf(m, "mappings %lu\n", edu->nr_held);
	seq_printf(m, "pages %llu\n", pages);
	seq_printf(m, "below4g %llu\n", below);
	seq_printf(m, "above4g %llu\n", edu->nr_held - below);
	seq_printf(m, "map_failures %lu\n", edu->map_failures);
	seq_printf(m, "min_iova 0x%llx\n", lo);
	seq_printf(m, "max_iova 0x%llx\n", hi);
	mutex_unlock(&edu->lock);
	return 0;
}

DEFINE_SHOW_ATTRIBUTE(sac_edu_held);

/* iovas: the lock is held from start to stop, i.e. per chunk read. */

static void *sac_edu_iovas_start(struct seq_file *m, loff_t *pos)
{
	struct sac_edu *edu = m->private;

	mutex_lock(&edu->lock);
	return (unsigned long)*pos < edu->nr_held ? &edu->held[*pos] : NULL;
}

static void *sac_edu_iovas_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct sac_edu *edu = m->private;

	++*pos;
	return (unsigned long)*pos < edu->nr_held ? &edu->held[*pos] : NULL;
}

static void sac_edu_iovas_stop(struct seq_file *m, void *v)
{
	struct sac_edu *edu = m->private;

	mutex_unlock(&edu->lock);
}

static int sac_edu_iovas_show(struct seq_file *m, void *v)
{
	const struct sac_edu_map *h = v;

	seq_printf(m, "0x%llx %u\n", (u64)h->iova, h->pages);
	return 0;
}

static const struct seq_operations sac_edu_iovas_sops = {
	.start	= sac_edu_iovas_start,
	.next	= sac_edu_iovas_next,
	.stop	= sac_edu_iovas_stop,
	.show	= sac_edu_iovas_show,
};

DEFINE_SEQ_ATTRIBUTE(sac_edu_iovas);

/* maploop */

static int sac_edu_maploop_show(struct seq_file *m, void *v)
{
	struct sac_edu *edu = m->private;

	mutex_lock(&edu->lock);
	seq_printf(m, "count=%llu bytes=%llu failures=%llu above4g=%llu ns_total=%llu\n",
		   edu->loop_count, edu->loop_bytes, edu->loop_failures,
		   edu->loop_above4g, edu->loop_ns);
	mutex_unlock(&edu->lock);
	return 0;
}

static ssize_t sac_edu_maploop_write(struct file *file,
				     const char __user *ubuf, size_t count,
				     loff_t *ppos)
{
	struct sac_edu *edu = sac_edu_of_seq(file);
	char buf[SAC_EDU_INPUT_MAX];
	unsigned int bytes;
	unsigned long nr;
	char *s, *w[2];
	int ret;

	s = sac_edu_input(buf, sizeof(buf), ubuf, count);
	if (IS_ERR(s))
		return PTR_ERR(s);
	if (sac_edu_words(s, w, 2) != 2 ||
	    kstrtoul(w[0], 10, &nr) || !nr || nr > SAC_EDU_LOOP_MAX_COUNT ||
	    kstrtouint(w[1], 10, &bytes) || !bytes ||
	    bytes > SAC_EDU_LOOP_MAX_BYTES)
		return -EINVAL;

	mutex_lock(&edu->lock);
	ret = sac_edu_maploop(edu, nr, bytes);
	mutex_unlock(&edu->lock);
	return ret ?: count;
}

SAC_EDU_RW_FOPS(sac_edu_maploop);

static void sac_edu_debugfs_add(struct sac_edu *edu)
{
	struct dentry *d = debugfs_create_dir(pci_name(edu->pdev), sac_edu_root);

	edu->dir = d;
	debugfs_create_file("dma_bits", 0600, d, edu, &sac_edu_dma_bits_fops);
	debugfs_create_file("roundtrip", 0600, d, edu, &sac_edu_roundtrip_fops);
	debugfs_create_file("fill", 0200, d, edu, &sac_edu_fill_fops);
	debugfs_create_file("release", 0200, d, edu, &sac_edu_release_fops);
	debugfs_create_file("held", 0400, d, edu, &sac_edu_held_fops);
	debugfs_create_file("iovas", 0400, d, edu, &sac_edu_iovas_fops);
	debugfs_create_file("maploop", 0600, d, edu, &sac_edu_maploop_fops);
}

/* Waits for running handlers; later calls on open files get -EIO. */
static void sac_edu_debugfs_del(struct sac_edu *edu)
{
	debugfs_remove_recursive(edu->dir);
	edu->dir = NULL;
}

/* ---------------------------------------------------------------------- */
/* PCI driver                                                              */

static int sac_edu_check(struct sac_edu *edu)
{
	u32 id = readl(edu->mmio + EDU_REG_ID);
	u32 probe = 0x5ac0ed00;

	writel(probe, edu->mmio + EDU_REG_LIVE);
	if ((id & 0xff) != EDU_ID_MAGIC ||
	    readl(edu->mmio + EDU_REG_LIVE) != ~probe) {
		dev_err(sac_edu_dev(edu), "not an edu device (id 0x%08x)\n",
			id);
		return -ENODEV;
	}
	if (sac_edu_busy(edu) && sac_edu_wait_idle(edu)) {
		dev_err(sac_edu_dev(edu), "DMA engine stuck busy\n");
		return -EBUSY;
	}
	return 0;
}

static int sac_edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct sac_edu *edu;
	u32 ver;
	int ret;

	edu = kzalloc(sizeof(*edu), GFP_KERNEL);
	if (!edu)
		return -ENOMEM;
	edu->pdev = pdev;
	mutex_init(&edu->lock);

	ret = pci_enable_device(pdev);
	if (ret)
		goto err_free;
	ret = pci_request_region(pdev, 0, KBUILD_MODNAME);
	if (ret)
		goto err_disable;
	edu->mmio = pci_iomap(pdev, 0, 0);
	if (!edu->mmio) {
		ret = -ENOMEM;
		goto err_release;
	}
	ret = sac_edu_check(edu);
	if (ret)
		goto err_unmap;
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret) {
		dev_err(&pdev->dev, "cannot set a 64-bit DMA mask: %d\n", ret);
		goto err_unmap;
	}
	pci_set_master(pdev);
	pci_set_drvdata(pdev, edu);
	sac_edu_debugfs_add(edu);

	ver = readl(edu->mmio + EDU_REG_ID);
	dev_info(&pdev->dev, "edu %u.%u bound, debugfs sac_edu/%s\n",
		 ver >> 24, (ver >> 16) & 0xff, pci_name(pdev));
	return 0;

err_unmap:
	pci_iounmap(pdev, edu->mmio);
err_release:
	pci_release_region(pdev, 0);
err_disable:
	pci_disable_device(pdev);
err_free:
	mutex_destroy(&edu->lock);
	kfree(edu);
	return ret;
}

static void sac_edu_remove(struct pci_dev *pdev)
{
	struct sac_edu *edu = pci_get_drvdata(pdev);
	bool leak = false;

	sac_edu_debugfs_del(edu);

	mutex_lock(&edu->lock);
	if (sac_edu_unpark(edu)) {
		/* Stop the device reaching memory; never free under it. */
		pci_clear_master(pdev);
		dev_warn(&pdev->dev, "DMA still busy: leaking %zu-byte buffers\n",
			 edu->parked.size);
		leak = true;
	}
	sac_edu_release_all(edu);
	if (edu->fill_page)
		__free_pages(edu->fill_page,
			     get_order(SAC_EDU_FILL_MAX_PAGES * PAGE_SIZE));
	mutex_unlock(&edu->lock);

	if (!leak)
		pci_clear_master(pdev);
	pci_iounmap(pdev, edu->mmio);
	pci_release_region(pdev, 0);
	pci_disable_device(pdev);
	mutex_destroy(&edu->lock);
	kfree(edu);
}

static const struct pci_device_id sac_edu_ids[] = {
	{ PCI_DEVICE(0x1234, 0x11e8) },
	{ }
};
MODULE_DEVICE_TABLE(pci, sac_edu_ids);

static struct pci_driver sac_edu_driver = {
	.name		= KBUILD_MODNAME,
	.id_table	= sac_edu_ids,
	.probe		= sac_edu_probe,
	.remove		= sac_edu_remove,
};

static int __init sac_edu_init(void)
{
	int ret;

	if (!timeout_ms || timeout_ms > SAC_EDU_TIMEOUT_MAX_MS) {
		pr_err("timeout_ms=%u is out of range (1..%u)\n", timeout_ms,
		       SAC_EDU_TIMEOUT_MAX_MS);
		return -EINVAL;
	}
	sac_edu_root = debugfs_create_dir(KBUILD_MODNAME, NULL);
	ret = pci_register_driver(&sac_edu_driver);
	if (ret)
		debugfs_remove_recursive(sac_edu_root);
	return ret;
}

static void __exit sac_edu_exit(void)
{
	pci_unregister_driver(&sac_edu_driver);
	debugfs_remove_recursive(sac_edu_root);
}

module_init(sac_edu_init);
module_exit(sac_edu_exit);

MODULE_DESCRIPTION("iommu-sac test driver for QEMU's edu device");
MODULE_LICENSE("GPL");
