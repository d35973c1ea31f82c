// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_sac: instantiates the trace events of trace.h (system iommu_sac).
 * The one place that defines CREATE_TRACE_POINTS.
 */
#define CREATE_TRACE_POINTS
#include "trace.h"
