/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iommu_sac trace events (system iommu_sac):
 *
 *   sac_alloc    every allocation the module serves
 *   sac_switch   a device went from sac to dac (our allocator or the kernel)
 *   sac_rearm    a device went back from dac to sac
 *   sac_policy   a policy changed (a device's override, or the default: dev=*)
 *
 * Tracepoints sit behind static keys: disabled, an event costs a patched
 * NOP. sac_alloc is emitted only while latency timing is on, which its
 * registration switches on (its ns field is then always measured).
 * CREATE_TRACE_POINTS is defined in trace.c only.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM iommu_sac

#if !defined(_SAC_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _SAC_TRACE_H

#include <linux/device.h>
#include <linux/tracepoint.h>

/* stats.c: latency timing is on while sac_alloc is enabled. */
int sac_trace_alloc_reg(void);
void sac_trace_alloc_unreg(void);

#include "compat.h"
#include "sac.h"

/*
 * The enums the events print symbolically: exported to the format files,
 * so that user space (trace-cmd, libtraceevent) can resolve them too.
 */
TRACE_DEFINE_ENUM(SAC_POLICY_DEFAULT);
TRACE_DEFINE_ENUM(SAC_POLICY_AUTO);
TRACE_DEFINE_ENUM(SAC_POLICY_SAC);
TRACE_DEFINE_ENUM(SAC_POLICY_DAC);
TRACE_DEFINE_ENUM(SAC_POLICY_DMA32);
TRACE_DEFINE_ENUM(SAC_POLICY_KERNEL);
TRACE_DEFINE_ENUM(SAC_STATE_SAC);
TRACE_DEFINE_ENUM(SAC_STATE_DAC);
TRACE_DEFINE_ENUM(SAC_CAUSE_NONE);
TRACE_DEFINE_ENUM(SAC_CAUSE_ALLOC);
TRACE_DEFINE_ENUM(SAC_CAUSE_KERNEL);
TRACE_DEFINE_ENUM(SAC_CAUSE_USER);
TRACE_DEFINE_ENUM(SAC_CAUSE_DOMAIN);

#define sac_show_policy(p)						\
	__print_symbolic(p,						\
		{ SAC_POLICY_DEFAULT,	"default" },			\
		{ SAC_POLICY_AUTO,	"auto" },			\
		{ SAC_POLICY_SAC,	"sac" },			\
		{ SAC_POLICY_DAC,	"dac" },			\
		{ SAC_POLICY_DMA32,	"dma32" },			\
		{ SAC_POLICY_KERNEL,	"kernel" })

#define sac_show_state(s)						\
	__print_symbolic(s,						\
		{ SAC_STATE_SAC,	"sac" },			\
		{ SAC_STATE_DAC,	"dac" })

#define sac_show_by(b)							\
	__print_symbolic(b,						\
		{ SAC_CAUSE_NONE,	"none" },			\
		{ SAC_CAUSE_ALLOC,	"alloc" },			\
		{ SAC_CAUSE_KERNEL,	"kernel" },			\
		{ SAC_CAUSE_USER,	"user" },			\
		{ SAC_CAUSE_DOMAIN,	"domain" })

TRACE_EVENT_FN(sac_alloc,

	TP_PROTO(struct device *dev, size_t size, u64 limit, u64 iova,
		 bool tried32, bool hit32, u64 ns, int policy),

	TP_ARGS(dev, size, limit, iova, tried32, hit32, ns, policy),

	TP_STRUCT__entry(
		__string(dev, dev_name(dev))
		__field(size_t, size)
		__field(u64, limit)
		__field(u64, iova)
		__field(u64, ns)
		__field(int, policy)
		__field(bool, tried32)
		__field(bool, hit32)
	),

	TP_fast_assign(
		sac_assign_str(dev, dev_name(dev));
		__entry->size = size;
		__entry->limit = limit;
		__entry->iova = iova;
		__entry->ns = ns;
		__entry->policy = policy;
		__entry->tried32 = tried32;
		__entry->hit32 = hit32;
	),

	TP_printk("dev=%s size=%zu limit=0x%llx iova=0x%llx tried32=%d hit32=%d ns=%llu policy=%s",
		  __get_str(dev), __entry->size, __entry->limit, __entry->iova,
		  __entry->tried32, __entry->hit32, __entry->ns,
		  sac_show_policy(__entry->policy)),

	sac_trace_alloc_reg, sac_trace_alloc_unreg
);

DECLARE_EVENT_CLASS(sac_state_change,

	TP_PROTO(struct device *dev, int state, unsigned int bits, u64 size,
		 int by),

	TP_ARGS(dev, state, bits, size, by),

	TP_STRUCT__entry(
		__string(dev, dev_name(dev))
		__field(u64, size)
		__field(int, state)
		__field(unsigned int, bits)
		__field(int, by)
	),

	TP_fast_assign(
		sac_assign_str(dev, dev_name(dev));
		__entry->size = size;
		__entry->state = state;
		__entry->bits = bits;
		__entry->by = by;
	),

	TP_printk("dev=%s state=%s bits=%u size=%llu by=%s",
		  __get_str(dev), sac_show_state(__entry->state),
		  __entry->bits, __entry->size, sac_show_by(__entry->by))
);

DEFINE_EVENT(sac_state_change, sac_switch,
	TP_PROTO(struct device *dev, int state, unsigned int bits, u64 size,
		 int by),
	TP_ARGS(dev, state, bits, size, by)
);

DEFINE_EVENT(sac_state_change, sac_rearm,
	TP_PROTO(struct device *dev, int state, unsigned int bits, u64 size,
		 int by),
	TP_ARGS(dev, state, bits, size, by)
);

TRACE_EVENT(sac_policy,

	TP_PROTO(const char *dev, int old, int new),

	TP_ARGS(dev, old, new),

	TP_STRUCT__entry(
		__string(dev, dev)
		__field(int, old)
		__field(int, new)
	),

	TP_fast_assign(
		sac_assign_str(dev, dev);
		__entry->old = old;
		__entry->new = new;
	),

	TP_printk("dev=%s old=%s new=%s", __get_str(dev),
		  sac_show_policy(__entry->old), sac_show_policy(__entry->new))
);

#endif /* _SAC_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
