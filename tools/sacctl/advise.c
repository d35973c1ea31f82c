// SPDX-License-Identifier: GPL-2.0
/*
 * sacctl advise: a policy recommendation per device, each with the rule
 * that made it and a one-line reason with the numbers behind it. It reads
 * a device's state, stats and iova32 view (and, for the fault rule, the
 * kernel log) and changes nothing unless --apply is given.
 *
 * The rules, first match wins (sacctl.8, ADVICE RULES, says the same):
 *
 *   unavailable  no iova32 view (identity or unmanaged domain, no driver,
 *                a module without the file)                        -> none
 *   fault        IOMMU faults logged for the device while it gets IOVAs
 *                above 4 GiB                                       -> dma32
 *   idle         fewer than ADVISE_IDLE_ALLOCS allocations         -> none
 *   pressure     auto or sac, the 32-bit space nearly full, and 32-bit
 *                tries keep missing (or auto switched again)       -> dac
 *   wasted       sac, 32-bit tries keep missing though the space is not
 *                nearly full (fragmentation)                       -> auto
 *   ok           none of the above                                 -> none
 *
 * Advice is only given when it differs from the effective policy; "none"
 * is "-" in the table and null in JSON. Every threshold is one of the
 * ADVISE_* constants below.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sacctl.h"

/* Thresholds: sacctl.8, ADVICE RULES. */
#define ADVISE_IDLE_ALLOCS	1000	/* fewer allocations: too few to judge */
#define ADVISE_FULL_PCT		90	/* used32, % of the allocatable space */
#define ADVISE_MISS_MIN		16	/* 32-bit misses that matter ... */
#define ADVISE_MISS_PCT		10	/* ... if also this % of the tries */
#define ADVISE_SWITCH_MIN	2	/* auto: switched again after a rearm */
#define ADVISE_FAULT_MIN	1	/* logged IOMMU faults */
#define ADVISE_FAULT_SLACK_S	1.0	/* printk time vs CLOCK_BOOTTIME */

/* A fault window: from when a device's faults count. */
#define WINDOW_NONE	(-2.0)	/* it gets no IOVAs above 4 GiB */
#define WINDOW_ALL	(-1.0)	/* the whole log */

struct advice {
	const char *rule;
	const char *policy;	/* the advised policy; NULL: no change */
	long faults;		/* counted in the window; -1: not looked at */
	char reason[640];
};

/* The log, read once when the first device needs it. */
struct advise_log {
	bool tried;
	int err;
	struct sac_kmsg kmsg;
};

static bool is(const char *a, const char *b)
{
	return a && !strcmp(a, b);
}

static void fmt_pct(char *buf, size_t size, double pct)
{
	if (isnan(pct))
		snprintf(buf, size, "?%%");
	else
		snprintf(buf, size, "%.1f%%", pct);
}

/*
 * From when the device's DMA goes to IOVAs above 4 GiB, in seconds since
 * boot (with slack for the two clocks), WINDOW_ALL when that is unknown
 * but it does, WINDOW_NONE when it does not. how describes it.
 */
static double fault_window(const struct sac_dev *d, char *how, size_t size)
{
	const char *eff = kvs_get(&d->state, "effective_policy");
	const char *state = kvs_get(&d->state, "state");
	uint64_t bits = kvs_u64(&d->state, "dma_limit_bits");
	uint64_t sw_ns = kvs_u64(&d->state, "last_switch_ns");
	uint64_t dac = kvs_u64(&d->stats, "dac_allocs");

	/* Nothing above 4 GiB: dma32, or a limit of 32 bits or less. */
	if (is(eff, "dma32") || bits <= 32)
		return WINDOW_NONE;
	if ((is(eff, "dac") || is(eff, "sac")) && dac) {
		snprintf(how, size,
			 "while under policy %s with %" PRIu64 " allocations above 4 GiB",
			 eff, dac);
		return WINDOW_ALL;
	}
	if (is(state, "dac") && sw_ns) {
		snprintf(how, size, "since it moved above 4 GiB at %.1f s",
			 sw_ns / 1e9);
		return sw_ns / 1e9 - ADVISE_FAULT_SLACK_S;
	}
	if (is(state, "dac") && dac) {
		snprintf(how, size,
			 "while in state dac (switched before iommu_sac saw it) with %" PRIu64 " allocations above 4 GiB",
			 dac);
		return WINDOW_ALL;
	}
	return WINDOW_NONE;
}

static bool advise_fault(const struct sac_dev *d, struct advise_log *log,
			 struct advice *a)
{
	char how[192], last[96] = "";
	struct sac_faults fc;
	double since;

	since = fault_window(d, how, sizeof(how));
	if (since == WINDOW_NONE)
		return false;
	if (!log->tried) {
		log->tried = true;
		log->err = -kmsg_read(&log->kmsg);
		if (log->err)
			sacctl_warn("cannot read the kernel log (%s: %s): the fault rule is skipped",
				    log->kmsg.src, strerror(log->err));
	}
	if (log->err)
		return false;
	kmsg_count(&log->kmsg, d->name, since, &fc);
	a->faults = fc.n;
	if (fc.n < ADVISE_FAULT_MIN)
		return false;
	if (fc.last_ts >= 0 && fc.has_addr)
		snprintf(last, sizeof(last), " (last at %.1f s, addr 0x%" PRIx64 ")",
			 fc.last_ts, fc.last_addr);
	else if (fc.last_ts >= 0)
		snprintf(last, sizeof(last), " (last at %.1f s)", fc.last_ts);
	a->rule = "fault";
	a->policy = "dma32";
	snprintf(a->reason, sizeof(a->reason),
		 "%u IOMMU fault%s logged %s%s: its DMA may drop high address bits; dma32 keeps its IOVAs below 4 GiB",
		 fc.n, sac_s(fc.n), how, last);
	return true;
}

/* Pages of the device's last failed 32-bit request, as a power of two. */
static uint64_t need_pages(const struct sac_dev *d)
{
	uint64_t size = kvs_u64(&d->state, "last_switch_size");
	uint64_t gran = iova32_u64(&d->iova32, "granule");
	uint64_t pages, p = 1;

	if (!size || !gran)
		return 0;
	pages = (size + gran - 1) / gran;
	while (p < pages)
		p <<= 1;
	return p;
}

static void advise_dev(const struct sac_dev *d, struct advise_log *log,
		       struct advice *a)
{
	const struct sac_iova32 *v = &d->iova32;
	const char *eff = kvs_get(&d->state, "effective_policy") ?: "?";
	uint64_t allocs = kvs_u64(&d->stats, "allocs");
	uint64_t tries = kvs_u64(&d->stats, "sac_tries");
	uint64_t misses = kvs_u64(&d->stats, "sac_misses");
	uint64_t switches = kvs_u64(&d->state, "switches");
	uint64_t fit = iova32_u64(v, "largest_fit32_pages");
	uint64_t gap = iova32_u64(v, "largest_gap32_pages");
	uint64_t need = need_pages(d);
	double used = iova32_used_pct(v), miss_pct;
	bool full_used, full_fit, missing, reswitch, try32;
	char why[SAC_VAL_MAX + 64], upct[16], space[192], miss[160];

	a->rule = "ok";
	a->policy = NULL;
	a->faults = -1;

	if (!v->available) {
		a->rule = "unavailable";
		snprintf(a->reason, sizeof(a->reason),
			 "no 32-bit IOVA view: %s",
			 iova32_why_not(v, why, sizeof(why)));
		return;
	}
	if (advise_fault(d, log, a))
		return;
	if (allocs < ADVISE_IDLE_ALLOCS) {
		a->rule = "idle";
		if (is(eff, "kernel"))
			snprintf(a->reason, sizeof(a->reason),
				 "idle: policy kernel, iommu_sac serves none of its allocations (%" PRIu64 " left to the kernel)",
				 kvs_u64(&d->stats, "kernel_calls"));
		else
			snprintf(a->reason, sizeof(a->reason),
				 "idle: %" PRIu64 " allocations since the last reset (fewer than %d: too few to judge)",
				 allocs, ADVISE_IDLE_ALLOCS);
		return;
	}

	fmt_pct(upct, sizeof(upct), used);
	miss_pct = tries ? 100.0 * misses / tries : 0;
	full_used = !isnan(used) && used >= ADVISE_FULL_PCT;
	full_fit = need && fit < need;
	missing = misses >= ADVISE_MISS_MIN &&
		  misses * 100 >= tries * ADVISE_MISS_PCT;
	try32 = is(eff, "auto") || is(eff, "sac");
	reswitch = is(eff, "auto") && switches >= ADVISE_SWITCH_MIN;

	if (full_used)
		snprintf(space, sizeof(space),
			 "32-bit space %s used (largest free run %" PRIu64 " page%s, largest fit %" PRIu64 ")",
			 upct, gap, sac_s(gap), fit);
	else if (full_fit)
		snprintf(space, sizeof(space),
			 "32-bit space %s used, but its largest fit, %" PRIu64 " page%s, is below the %" PRIu64 " pages of the last failed 32-bit request",
			 upct, fit, sac_s(fit), need);
	else
		snprintf(space, sizeof(space), "32-bit space %s used", upct);
	snprintf(miss, sizeof(miss), "%" PRIu64 " of %" PRIu64 " 32-bit tries missed (%.1f%%)",
		 misses, tries, miss_pct);

	if (try32 && (full_used || full_fit) && (missing || reswitch)) {
		a->rule = "pressure";
		a->policy = "dac";
		if (missing)
			snprintf(a->reason, sizeof(a->reason),
				 "%s; %s: dac skips the 32-bit search that keeps failing",
				 space, miss);
		else
			snprintf(a->reason, sizeof(a->reason),
				 "%s; policy auto switched %" PRIu64 " times (a rearm only buys another failed 32-bit search): dac skips it",
				 space, switches);
		return;
	}
	if (is(eff, "sac") && missing) {
		a->rule = "wasted";
		a->policy = "auto";
		snprintf(a->reason, sizeof(a->reason),
			 "policy sac: %s with the 32-bit space only %s used (largest fit %" PRIu64 " page%s): every miss is a search of a fragmented space in vain; auto stops trying after the first miss",
			 miss, upct, fit, sac_s(fit));
		return;
	}

	if (try32)
		snprintf(a->reason, sizeof(a->reason),
			 "%s, %s: nothing to change", space, miss);
	else if (is(eff, "dac"))
		snprintf(a->reason, sizeof(a->reason),
			 "policy dac: %" PRIu64 " allocations above 4 GiB%s, %s: nothing to change",
			 kvs_u64(&d->stats, "dac_allocs"),
			 a->faults == 0 ? " without an IOMMU fault logged" : "",
			 space);
	else if (is(eff, "dma32"))
		snprintf(a->reason, sizeof(a->reason),
			 "policy dma32: %" PRIu64 " of %" PRIu64 " allocations refused, %s: nothing to change",
			 kvs_u64(&d->stats, "dma32_refusals"), allocs, space);
	else
		snprintf(a->reason, sizeof(a->reason),
			 "policy %s, %s: nothing to change", eff, space);
}

/* Drop devices named twice (eth0 and its PCI address). */
static void dedup(struct dev_set *s)
{
	int i, j, n = 0;

	for (i = 0; i < s->n; i++) {
		for (j = 0; j < n; j++)
			if (!strcmp(s->devs[j].name, s->devs[i].name))
				break;
		if (j < n)
			continue;
		if (n != i)
			s->devs[n] = s->devs[i];
		n++;
	}
	s->n = n;
}

static void advise_json(const struct dev_set *s, const struct advice *adv,
			const bool *applied, const struct advise_log *log)
{
	const struct sac_dev *d;
	char msg[sizeof(log->kmsg.src) + 160];
	int i;

	jsonw_start_object(jw);
	jsonw_name(jw, "devices");
	jsonw_start_array(jw);
	for (i = 0; i < s->n; i++) {
		d = &s->devs[i];
		jsonw_start_object(jw);
		jsonw_string_field(jw, "device", d->name);
		jsonw_string_field(jw, "policy", d->policy);
		jsonw_string_field(jw, "effective",
				   kvs_get(&d->state, "effective_policy") ?: "?");
		jsonw_string_field(jw, "state",
				   kvs_get(&d->state, "state") ?: "?");
		jsonw_name(jw, "advice");
		if (adv[i].policy)
			jsonw_string(jw, adv[i].policy);
		else
			jsonw_null(jw);
		jsonw_string_field(jw, "rule", adv[i].rule);
		jsonw_string_field(jw, "reason", adv[i].reason);
		jsonw_name(jw, "faults");
		if (adv[i].faults >= 0)
			jsonw_uint(jw, adv[i].faults);
		else
			jsonw_null(jw);
		jsonw_end_object(jw);
	}
	jsonw_end_array(jw);
	jsonw_name(jw, "applied");
	jsonw_start_array(jw);
	for (i = 0; i < s->n; i++) {
		if (!applied[i])
			continue;
		jsonw_start_object(jw);
		jsonw_string_field(jw, "device", s->devs[i].name);
		jsonw_string_field(jw, "policy", adv[i].policy);
		jsonw_end_object(jw);
	}
	jsonw_end_array(jw);
	if (!log->tried)
		snprintf(msg, sizeof(msg), "not needed");
	else if (log->err)
		snprintf(msg, sizeof(msg), "unreadable (%s: %s)",
			 log->kmsg.src, strerror(log->err));
	else
		snprintf(msg, sizeof(msg), "read");
	jsonw_string_field(jw, "kernel_log", msg);
	jsonw_end_object(jw);
}

/* Write the advice of device i; reports a failure itself. */
static int advise_apply(const struct sac_dev *d, const struct advice *a,
			bool *applied)
{
	char rel[SAC_NAME_MAX + 32];
	int ret;

	*applied = false;
	if (!a->policy || !strcmp(a->policy, d->policy))
		return SACCTL_OK;
	snprintf(rel, sizeof(rel), "devices/%s/policy", d->name);
	ret = sacfs_write(rel, a->policy, "apply");
	if (ret)
		return ret;
	*applied = true;
	if (!jw)
		printf("applied %s %s\n", d->name, a->policy);
	return SACCTL_OK;
}

int cmd_advise(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "apply", no_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 }
	};
	struct advise_log log = { 0 };
	struct advice *adv = NULL;
	bool apply = false, *applied = NULL;
	struct dev_set s = { 0 };
	int c, ret, i, napplied = 0;

	while ((c = sacctl_getopt(argc, argv, "A", longopts, argv[0],
				  &ret)) != -1) {
		if (c == -2)
			return ret;
		apply = true;
	}
	ret = sacfs_check();
	if (!ret)
		ret = dev_set_read(&s, optind < argc ? argv + optind : NULL,
				   argc - optind, true);
	if (ret)
		return ret;
	dedup(&s);
	adv = calloc(s.n ? s.n : 1, sizeof(*adv));
	applied = calloc(s.n ? s.n : 1, sizeof(*applied));
	if (!adv || !applied) {
		ret = sacctl_err(SACCTL_EFAIL, "out of memory");
		goto out;
	}
	for (i = 0; i < s.n; i++)
		advise_dev(&s.devs[i], &log, &adv[i]);

	if (!jw) {
		printf("%-14s %-8s %-7s %s\n", "DEVICE", "POLICY", "ADVICE",
		       "REASON");
		for (i = 0; i < s.n; i++)
			printf("%-14s %-8s %-7s %s\n", s.devs[i].name,
			       kvs_get(&s.devs[i].state, "effective_policy") ?: "?",
			       adv[i].policy ?: "-", adv[i].reason);
	}
	for (i = 0; apply && i < s.n; i++) {
		ret = advise_apply(&s.devs[i], &adv[i], &applied[i]);
		if (ret)
			break;
		napplied += applied[i];
	}
	if (ret) {
		/* The error is out; say what had been changed before it. */
		if (jw && napplied)
			for (i = 0; i < s.n; i++)
				if (applied[i])
					sacctl_warn("applied %s %s before the failure",
						    s.devs[i].name, adv[i].policy);
		goto out;
	}
	if (jw)
		advise_json(&s, adv, applied, &log);
	else if (apply && !napplied)
		printf("nothing to apply\n");
out:
	kmsg_free(&log.kmsg);
	free(adv);
	free(applied);
	dev_set_free(&s);
	return ret;
}
