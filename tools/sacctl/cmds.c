// SPDX-License-Identifier: GPL-2.0
/*
 * sacctl: the commands that read and write the module's debugfs files:
 * status, list, show, set, default, rearm, reset, stats and watch (advise
 * is in advise.c and uses the device set read here; timing, in timing.c,
 * says when a latency histogram was not measured).
 *
 * Each command parses its arguments, checks the environment (root,
 * debugfs, module), reads everything it needs and only then prints, so an
 * error never leaves half a table or half a JSON document behind.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "prom.h"
#include "sacctl.h"

static const struct option no_longopts[] = { { NULL, 0, NULL, 0 } };

/*
 * Parse a command without options of its own; between min and max
 * positional arguments (max < 0: any number). Returns -1 to go on, or the
 * exit code to return.
 */
static int simple_args(int argc, char **argv, int min, int max)
{
	int code, c;

	c = sacctl_getopt(argc, argv, "", no_longopts, argv[0], &code);
	if (c == -2)
		return code;
	if (c != -1)
		return sacctl_err(SACCTL_EUSAGE, "%s: unexpected option",
				  argv[0]);
	if (argc - optind < min || (max >= 0 && argc - optind > max)) {
		code = sacctl_err(SACCTL_EUSAGE,
				  "%s: expected %s (see sacctl %s --help)",
				  argv[0], max == 0 ? "no arguments" :
				  min == max ? "exactly the arguments shown" :
				  "other arguments", argv[0]);
		if (!sacctl_opts.json)
			sacctl_usage(stderr, argv[0]);
		return code;
	}
	return -1;
}

int resolve_dev(const char *dev, char *name, size_t size)
{
	char why[256];

	if (sac_resolve(dev, name, size, why, sizeof(why)))
		return sacctl_err(SACCTL_ENODEV, "%s: unknown device: %s", dev,
				  why);
	if (!sacfs_dev_exists(name))
		return sacctl_err(SACCTL_ENODEV,
				  "%s: unknown device: %s is not in iommu_sac's device table (sacctl list)",
				  dev, name);
	return SACCTL_OK;
}

static int check_policy(const char *p, bool allow_default)
{
	if (sac_policy_valid(p, allow_default))
		return SACCTL_OK;
	return sacctl_err(SACCTL_ENOPOLICY,
			  "unknown policy '%s' (one of %sauto, sac, dac, dma32, kernel)",
			  p, allow_default ? "default, " : "");
}

/*
 * The global stats' inflight: allocations the hook redirected that have
 * not returned. Only a plain N is a count (a module that does not keep it
 * may print -1).
 */
static bool inflight_known(const struct sac_kvs *g)
{
	const char *v = kvs_get(g, "inflight");

	return v && *v && strspn(v, "0123456789") == strlen(v);
}

/* 32-bit hits per 32-bit attempt, NAN without attempts. */
static double hit_rate(const struct sac_kvs *stats)
{
	uint64_t tries = kvs_u64(stats, "sac_tries");

	return tries ? (double)kvs_u64(stats, "sac_hits") / tries : NAN;
}

static void fmt_rate(char *buf, size_t size, double r)
{
	if (isnan(r))
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.1f%%", 100.0 * r);
}

static uint64_t boottime_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_BOOTTIME, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void fmt_age(char *buf, size_t size, uint64_t then_ns)
{
	uint64_t now = boottime_ns(), s;

	if (!then_ns) {
		snprintf(buf, size, "never");
		return;
	}
	s = now > then_ns ? (now - then_ns) / 1000000000ull : 0;
	if (s < 120)
		snprintf(buf, size, "%" PRIu64 "s ago", s);
	else if (s < 7200)
		snprintf(buf, size, "%" PRIu64 "m ago", s / 60);
	else if (s < 172800)
		snprintf(buf, size, "%" PRIu64 "h ago", s / 3600);
	else
		snprintf(buf, size, "%" PRIu64 "d ago", s / 86400);
}

static void json_kvs(const char *name, const struct sac_kvs *kvs)
{
	int i;

	if (name)
		jsonw_name(jw, name);
	jsonw_start_object(jw);
	for (i = 0; i < kvs->n; i++)
		jsonw_auto_field(jw, kvs->kv[i].key, kvs->kv[i].val);
	jsonw_end_object(jw);
}

/* JSON: "timing": "on"|"off", null from a module that times always. */
static void json_timing(const char *timing)
{
	jsonw_name(jw, "timing");
	if (timing)
		jsonw_string(jw, timing);
	else
		jsonw_null(jw);
}

/* ---------------------------------------------------------------------- */
/* Reading every device                                                    */

void dev_set_free(struct dev_set *s)
{
	free(s->devs);
	s->devs = NULL;
	s->n = 0;
}

int dev_set_read(struct dev_set *s, char **names, int nnames, bool iova32)
{
	char (*all)[SAC_NAME_MAX] = NULL;
	char name[SAC_NAME_MAX];
	int i, n, ret;

	s->n = 0;
	if (names) {
		n = nnames;
	} else {
		ret = sacfs_list_devs(&all, &n);
		if (ret)
			return ret;
	}
	s->devs = calloc(n ? n : 1, sizeof(*s->devs));
	if (!s->devs) {
		free(all);
		return sacctl_err(SACCTL_EFAIL, "out of memory");
	}
	for (i = 0; i < n; i++) {
		if (names) {
			ret = resolve_dev(names[i], name, sizeof(name));
			if (ret)
				goto err;
		} else {
			sac_strlcpy(name, all[i], sizeof(name));
			/* Gone since the listing: not an error. */
			if (!sacfs_dev_exists(name))
				continue;
		}
		ret = sacfs_read_dev(name, &s->devs[s->n]);
		if (ret)
			goto err;
		if (iova32)
			iova32_read(name, &s->devs[s->n].iova32);
		s->n++;
	}
	free(all);
	return SACCTL_OK;
err:
	free(all);
	dev_set_free(s);
	return ret;
}

/* ---------------------------------------------------------------------- */
/* status                                                                  */

int cmd_status(int argc, char **argv)
{
	char version[SAC_VAL_MAX], hits[32];
	struct sac_kvs st;
	struct utsname u;
	int ret;

	ret = simple_args(argc, argv, 0, 0);
	if (ret >= 0)
		return ret;
	ret = sacfs_check();
	if (ret)
		return ret;
	ret = sacfs_read_line("version", version, sizeof(version));
	if (!ret)
		ret = sacfs_read_kvs("stats", &st);
	if (ret)
		return ret;
	if (uname(&u))
		snprintf(u.release, sizeof(u.release), "?");

	if (jw) {
		jsonw_start_object(jw);
		jsonw_string_field(jw, "kernel", u.release);
		jsonw_string_field(jw, "version", version);
		jsonw_name(jw, "stats");
		json_kvs(NULL, &st);
		jsonw_float_field(jw, "hit32_rate", hit_rate(&st));
		jsonw_end_object(jw);
		return SACCTL_OK;
	}
	fmt_rate(hits, sizeof(hits), hit_rate(&st));
	printf("kernel          %s\n", u.release);
	printf("module          iommu_sac %s\n", version);
	printf("hook            %s (layout %s, native bit %s, forcedac %s, %s in flight)\n",
	       kvs_get(&st, "hook") ?: "?", kvs_get(&st, "layout") ?: "?",
	       kvs_get(&st, "native_bit") ?: "?",
	       kvs_get(&st, "forcedac") ?: "?",
	       inflight_known(&st) ? kvs_get(&st, "inflight") : "?");
	printf("default policy  %s\n", kvs_get(&st, "default_policy") ?: "?");
	printf("devices         %s\n", kvs_get(&st, "devices") ?: "?");
	printf("allocations     %" PRIu64 " (failed %" PRIu64 ", left to the kernel %" PRIu64 ")\n",
	       kvs_u64(&st, "allocs"), kvs_u64(&st, "failed"),
	       kvs_u64(&st, "kernel_calls"));
	printf("32-bit          %" PRIu64 " hits of %" PRIu64 " tries (%s)\n",
	       kvs_u64(&st, "sac_hits"), kvs_u64(&st, "sac_tries"), hits);
	printf("full range      %" PRIu64 " allocations\n",
	       kvs_u64(&st, "dac_allocs"));
	printf("switches        %" PRIu64 "\n", kvs_u64(&st, "switches"));
	printf("dma32 refusals  %" PRIu64 "\n", kvs_u64(&st, "dma32_refusals"));
	if (timing_state(&st))
		printf("latency timing  %s%s\n", timing_state(&st),
		       strcmp(timing_state(&st), "off") ? "" :
		       " (sacctl timing on)");
	return SACCTL_OK;
}

/* ---------------------------------------------------------------------- */
/* list                                                                    */

int cmd_list(int argc, char **argv)
{
	char drv[SAC_NAME_MAX], hits[32], age[32], pol[SAC_NAME_MAX + 2];
	char used[16], fit[16];
	bool overrides = false;
	struct dev_set s;
	struct sac_dev *d;
	const char *eff;
	int i, ret;

	ret = simple_args(argc, argv, 0, 0);
	if (ret >= 0)
		return ret;
	ret = sacfs_check();
	if (!ret)
		ret = dev_set_read(&s, NULL, 0, true);
	if (ret)
		return ret;

	if (jw)
		jsonw_start_array(jw);
	else
		printf("%-14s %-10s %4s %-8s %-5s %6s %10s %8s %6s %5s %s\n",
		       "DEVICE", "DRIVER", "BITS", "POLICY", "STATE", "HIT32",
		       "DAC", "SWITCHES", "USED32", "FIT32", "LAST SWITCH");
	for (i = 0; i < s.n; i++) {
		d = &s.devs[i];
		sac_driver(d->name, drv, sizeof(drv));
		eff = kvs_get(&d->state, "effective_policy") ?: d->policy;
		if (jw) {
			jsonw_start_object(jw);
			jsonw_string_field(jw, "device", d->name);
			jsonw_string_field(jw, "driver", drv);
			jsonw_uint_field(jw, "dma_limit_bits",
					 kvs_u64(&d->state, "dma_limit_bits"));
			jsonw_string_field(jw, "policy", d->policy);
			jsonw_string_field(jw, "effective_policy", eff);
			jsonw_string_field(jw, "state",
					   kvs_get(&d->state, "state") ?: "?");
			jsonw_float_field(jw, "hit32_rate",
					  hit_rate(&d->stats));
			jsonw_uint_field(jw, "dac_allocs",
					 kvs_u64(&d->stats, "dac_allocs"));
			jsonw_uint_field(jw, "switches",
					 kvs_u64(&d->state, "switches"));
			jsonw_uint_field(jw, "last_switch_ns",
					 kvs_u64(&d->state, "last_switch_ns"));
			jsonw_string_field(jw, "last_switch_by",
					   kvs_get(&d->state, "last_switch_by") ?: "none");
			iova32_json(&d->iova32);
			jsonw_end_object(jw);
			continue;
		}
		fmt_rate(hits, sizeof(hits), hit_rate(&d->stats));
		fmt_age(age, sizeof(age), kvs_u64(&d->state, "last_switch_ns"));
		iova32_cells(&d->iova32, used, sizeof(used), fit, sizeof(fit));
		snprintf(pol, sizeof(pol), "%s%s", eff,
			 strcmp(d->policy, "default") ? "*" : "");
		overrides |= strcmp(d->policy, "default") != 0;
		printf("%-14s %-10s %4" PRIu64 " %-8s %-5s %6s %10" PRIu64 " %8" PRIu64 " %6s %5s %s\n",
		       d->name, drv, kvs_u64(&d->state, "dma_limit_bits"), pol,
		       kvs_get(&d->state, "state") ?: "?", hits,
		       kvs_u64(&d->stats, "dac_allocs"),
		       kvs_u64(&d->state, "switches"), used, fit, age);
	}
	if (jw)
		jsonw_end_array(jw);
	else if (overrides)
		printf("* per-device policy override\n");
	dev_set_free(&s);
	return SACCTL_OK;
}

/* ---------------------------------------------------------------------- */
/* show                                                                    */

static void print_hist(const struct sac_dev *d, const char *indent)
{
	uint64_t max = 0;
	int i, w;

	for (i = 0; i < d->nlat; i++)
		if (d->lat[i].count > max)
			max = d->lat[i].count;
	if (!max) {
		printf("%s(no allocations)\n", indent);
		return;
	}
	for (i = 0; i < d->nlat; i++) {
		if (!d->lat[i].count)
			continue;
		w = (int)((d->lat[i].count * 40 + max - 1) / max);
		if (d->lat[i].hi == UINT64_MAX)
			printf("%s%12" PRIu64 " ..          max ns %10" PRIu64 " %.*s\n",
			       indent, d->lat[i].lo, d->lat[i].count, w,
			       "########################################");
		else
			printf("%s%12" PRIu64 " .. %12" PRIu64 " ns %10" PRIu64 " %.*s\n",
			       indent, d->lat[i].lo, d->lat[i].hi,
			       d->lat[i].count, w,
			       "########################################");
	}
}

/*
 * show: the latency section. Timing off (the module's stats say so) and
 * nothing counted: not measured, rather than an empty histogram; timing
 * off with counts: they are from while it was on.
 */
static void print_latency(const struct sac_dev *d, const char *timing)
{
	if (lat_not_measured(d, timing)) {
		printf("  allocation latency: not measured (timing off: sacctl timing on)\n");
		return;
	}
	if (timing && !strcmp(timing, "off"))
		printf("  allocation latency (counted while timing was on; off now):\n");
	else
		printf("  allocation latency:\n");
	print_hist(d, "    ");
}

int cmd_show(int argc, char **argv)
{
	char name[SAC_NAME_MAX], drv[SAC_NAME_MAX], hits[32], age[32];
	const char *timing;
	struct sac_kvs g;
	struct sac_dev *d;
	int i, ret;

	ret = simple_args(argc, argv, 1, 1);
	if (ret >= 0)
		return ret;
	ret = sacfs_check();
	if (!ret)
		ret = resolve_dev(argv[optind], name, sizeof(name));
	if (ret)
		return ret;
	d = malloc(sizeof(*d));
	if (!d)
		return sacctl_err(SACCTL_EFAIL, "out of memory");
	ret = sacfs_read_dev(name, d);
	if (!ret)
		ret = sacfs_read_kvs("stats", &g);
	if (ret) {
		free(d);
		return ret;
	}
	timing = timing_state(&g);
	iova32_read(name, &d->iova32);
	sac_driver(name, drv, sizeof(drv));

	if (jw) {
		jsonw_start_object(jw);
		jsonw_string_field(jw, "device", name);
		jsonw_string_field(jw, "driver", drv);
		json_kvs("state", &d->state);
		json_kvs("stats", &d->stats);
		jsonw_float_field(jw, "hit32_rate", hit_rate(&d->stats));
		json_timing(timing);
		jsonw_name(jw, "latency");
		jsonw_start_array(jw);
		for (i = 0; i < d->nlat; i++) {
			jsonw_start_object(jw);
			jsonw_uint_field(jw, "lo_ns", d->lat[i].lo);
			jsonw_uint_field(jw, "hi_ns", d->lat[i].hi);
			jsonw_uint_field(jw, "count", d->lat[i].count);
			jsonw_end_object(jw);
		}
		jsonw_end_array(jw);
		iova32_json(&d->iova32);
		jsonw_end_object(jw);
		free(d);
		return SACCTL_OK;
	}
	fmt_rate(hits, sizeof(hits), hit_rate(&d->stats));
	fmt_age(age, sizeof(age), kvs_u64(&d->state, "last_switch_ns"));
	printf("%s (driver %s)\n", name, drv);
	printf("  policy %s, effective %s, state %s, DMA limit %" PRIu64 " bits\n",
	       d->policy, kvs_get(&d->state, "effective_policy") ?: "?",
	       kvs_get(&d->state, "state") ?: "?",
	       kvs_u64(&d->state, "dma_limit_bits"));
	printf("  switches %" PRIu64 ", last %s (size %" PRIu64 ", by %s)\n",
	       kvs_u64(&d->state, "switches"), age,
	       kvs_u64(&d->state, "last_switch_size"),
	       kvs_get(&d->state, "last_switch_by") ?: "?");
	printf("  32-bit hit rate %s\n", hits);
	printf("  state:\n");
	for (i = 0; i < d->state.n; i++)
		printf("    %-20s %s\n", d->state.kv[i].key, d->state.kv[i].val);
	printf("  stats:\n");
	for (i = 0; i < d->stats.n; i++)
		printf("    %-20s %s\n", d->stats.kv[i].key, d->stats.kv[i].val);
	iova32_print(&d->iova32, "  ");
	print_latency(d, timing);
	free(d);
	return SACCTL_OK;
}

/* ---------------------------------------------------------------------- */
/* set, default, rearm, reset                                              */

int cmd_set(int argc, char **argv)
{
	char name[SAC_NAME_MAX], rel[SAC_NAME_MAX + 32];
	char old[SAC_VAL_MAX], now[SAC_VAL_MAX];
	struct sac_kvs st;
	int ret;

	ret = simple_args(argc, argv, 2, 2);
	if (ret >= 0)
		return ret;
	ret = check_policy(argv[optind + 1], true);
	if (!ret)
		ret = sacfs_check();
	if (!ret)
		ret = resolve_dev(argv[optind], name, sizeof(name));
	if (ret)
		return ret;
	snprintf(rel, sizeof(rel), "devices/%s/state", name);
	ret = sacfs_read_kvs(rel, &st);
	if (ret)
		return ret;
	sac_strlcpy(old, kvs_get(&st, "policy") ?: "?", sizeof(old));
	ret = ctl_set_policy(name, argv[optind + 1]);
	if (ret)
		return ret;
	snprintf(rel, sizeof(rel), "devices/%s/state", name);
	ret = sacfs_read_kvs(rel, &st);
	if (ret)
		return ret;
	sac_strlcpy(now, kvs_get(&st, "policy") ?: "?", sizeof(now));
	if (jw) {
		jsonw_start_object(jw);
		jsonw_string_field(jw, "device", name);
		jsonw_string_field(jw, "policy", now);
		jsonw_string_field(jw, "previous", old);
		jsonw_string_field(jw, "effective_policy",
				   kvs_get(&st, "effective_policy") ?: "?");
		jsonw_string_field(jw, "via", ctl_via);
		jsonw_end_object(jw);
	} else {
		printf("%s: policy %s (was %s), effective %s%s\n", name, now,
		       old, kvs_get(&st, "effective_policy") ?: "?",
		       ctl_via_note());
	}
	return SACCTL_OK;
}

int cmd_default(int argc, char **argv)
{
	char old[SAC_VAL_MAX], now[SAC_VAL_MAX];
	int ret;

	ret = simple_args(argc, argv, 1, 1);
	if (ret >= 0)
		return ret;
	ret = check_policy(argv[optind], false);
	if (!ret)
		ret = sacfs_check();
	if (!ret)
		ret = ctl_read_default(old, sizeof(old));
	if (!ret)
		ret = ctl_write("default_policy", "default_policy",
				argv[optind], "set the default policy");
	if (!ret)
		ret = ctl_read_default(now, sizeof(now));
	if (ret)
		return ret;
	if (jw) {
		jsonw_start_object(jw);
		jsonw_string_field(jw, "default_policy", now);
		jsonw_string_field(jw, "previous", old);
		jsonw_string_field(jw, "via", ctl_via);
		jsonw_end_object(jw);
	} else {
		printf("default policy %s (was %s)%s\n", now, old, ctl_via_note());
	}
	return SACCTL_OK;
}

int cmd_rearm(int argc, char **argv)
{
	char name[SAC_NAME_MAX];
	int ret;

	ret = simple_args(argc, argv, 1, 1);
	if (ret >= 0)
		return ret;
	ret = sacfs_check();
	if (ret)
		return ret;
	if (!strcmp(argv[optind], "all"))
		snprintf(name, sizeof(name), "all");
	else
		ret = resolve_dev(argv[optind], name, sizeof(name));
	if (!ret)
		ret = ctl_write("rearm", "rearm", name, "rearm");
	if (ret)
		return ret;
	if (jw) {
		jsonw_start_object(jw);
		jsonw_string_field(jw, "rearmed", name);
		jsonw_string_field(jw, "via", ctl_via);
		jsonw_end_object(jw);
	} else {
		printf("rearmed %s%s\n", !strcmp(name, "all") ? "all devices" :
		       name, ctl_via_note());
	}
	return SACCTL_OK;
}

int cmd_reset(int argc, char **argv)
{
	int ret;

	ret = simple_args(argc, argv, 0, 0);
	if (ret >= 0)
		return ret;
	ret = sacfs_check();
	if (!ret)
		ret = ctl_write("reset_stats", "reset_stats", "1", "reset");
	if (ret)
		return ret;
	if (jw) {
		jsonw_start_object(jw);
		jsonw_bool_field(jw, "reset", true);
		jsonw_string_field(jw, "via", ctl_via);
		jsonw_end_object(jw);
	} else {
		printf("counters and histograms reset%s\n", ctl_via_note());
	}
	return SACCTL_OK;
}

/* ---------------------------------------------------------------------- */
/* stats                                                                   */

/* The module's counters and their Prometheus families. */
static const struct {
	const char *key, *metric, *help;
} prom_counters[] = {
	{ "allocs", "iommu_sac_allocations_total",
	  "IOVA allocations served by iommu_sac." },
	{ "sac_tries", "iommu_sac_sac_attempts_total",
	  "Attempts to allocate a 32-bit IOVA first." },
	{ "sac_hits", "iommu_sac_sac_hits_total",
	  "32-bit attempts that succeeded." },
	{ "sac_misses", "iommu_sac_sac_misses_total",
	  "32-bit attempts that failed." },
	{ "dac_allocs", "iommu_sac_dac_allocations_total",
	  "Successful allocations from the device's full range." },
	{ "failed", "iommu_sac_failed_allocations_total",
	  "Allocations that returned no IOVA." },
	{ "dma32_refusals", "iommu_sac_dma32_refusals_total",
	  "Policy dma32: mappings failed rather than exceed 4 GiB." },
	{ "switches", "iommu_sac_switches_total",
	  "Switches from 32-bit first to the full range." },
	{ "kernel_calls", "iommu_sac_kernel_calls_total",
	  "Allocations left to the kernel's own function." },
};

#define PROM_NR_COUNTERS ARRAY_SIZE(prom_counters)

static void stats_prom(const struct sac_kvs *g, const char *version,
		       const struct dev_set *s)
{
	char drv[SAC_NAME_MAX], le[32], next[32];
	struct prom_label l[5];
	const struct sac_dev *d;
	double last;
	uint64_t cum;
	size_t c;
	int i, b;

	prom_family(stdout, "iommu_sac_info", "gauge",
		    "iommu_sac module version, hook state and default policy.");
	l[0] = (struct prom_label){ "version", version };
	l[1] = (struct prom_label){ "hook", kvs_get(g, "hook") ?: "" };
	l[2] = (struct prom_label){ "default_policy",
				    kvs_get(g, "default_policy") ?: "" };
	prom_sample(stdout, "iommu_sac_info", l, 3, 1);
	prom_family(stdout, "iommu_sac_devices", "gauge",
		    "Devices in iommu_sac's device table.");
	prom_sample(stdout, "iommu_sac_devices", NULL, 0,
		    kvs_u64(g, "devices"));
	if (inflight_known(g)) {
		prom_family(stdout, "iommu_sac_inflight", "gauge",
			    "Allocations inside the allocation hook when read.");
		prom_sample(stdout, "iommu_sac_inflight", NULL, 0,
			    kvs_u64(g, "inflight"));
	}
	if (timing_state(g)) {
		prom_family(stdout, "iommu_sac_timing_enabled", "gauge",
			    "1 while allocations are timed (the timing switch, or the sac_alloc trace event enabled): the latency histogram counts only then.");
		prom_sample(stdout, "iommu_sac_timing_enabled", NULL, 0,
			    !strcmp(timing_state(g), "on"));
	}

	prom_family(stdout, "iommu_sac_device_info", "gauge",
		    "Per-device driver, policy (override or default), effective policy and state.");
	for (i = 0; i < s->n; i++) {
		d = &s->devs[i];
		sac_driver(d->name, drv, sizeof(drv));
		l[0] = (struct prom_label){ "device", d->name };
		l[1] = (struct prom_label){ "driver", drv };
		l[2] = (struct prom_label){ "policy", d->policy };
		l[3] = (struct prom_label){ "effective_policy",
			kvs_get(&d->state, "effective_policy") ?: "" };
		l[4] = (struct prom_label){ "state",
			kvs_get(&d->state, "state") ?: "" };
		prom_sample(stdout, "iommu_sac_device_info", l, 5, 1);
	}
	prom_family(stdout, "iommu_sac_device_dac", "gauge",
		    "1 when the device has switched to its full DMA range.");
	for (i = 0; i < s->n; i++) {
		l[0] = (struct prom_label){ "device", s->devs[i].name };
		prom_sample(stdout, "iommu_sac_device_dac", l, 1,
			    !strcmp(kvs_get(&s->devs[i].state, "state") ?: "",
				    "dac"));
	}
	prom_family(stdout, "iommu_sac_device_dma_address_width", "gauge",
		    "Width in bits of the device's DMA limit (0: no mask).");
	for (i = 0; i < s->n; i++) {
		l[0] = (struct prom_label){ "device", s->devs[i].name };
		prom_sample(stdout, "iommu_sac_device_dma_address_width", l, 1,
			    kvs_u64(&s->devs[i].state, "dma_limit_bits"));
	}
	prom_family(stdout, "iommu_sac_device_last_switch_boottime_seconds",
		    "gauge",
		    "CLOCK_BOOTTIME of the device's last switch, 0 if it never switched.");
	for (i = 0; i < s->n; i++) {
		l[0] = (struct prom_label){ "device", s->devs[i].name };
		prom_sample_f(stdout,
			      "iommu_sac_device_last_switch_boottime_seconds",
			      l, 1, kvs_u64(&s->devs[i].state,
					    "last_switch_ns") / 1e9);
	}
	for (c = 0; c < PROM_NR_COUNTERS; c++) {
		prom_family(stdout, prom_counters[c].metric, "counter",
			    prom_counters[c].help);
		for (i = 0; i < s->n; i++) {
			l[0] = (struct prom_label){ "device", s->devs[i].name };
			prom_sample(stdout, prom_counters[c].metric, l, 1,
				    kvs_u64(&s->devs[i].stats,
					    prom_counters[c].key));
		}
	}
	/*
	 * The module keeps no latency sum: buckets and _count only. Counted
	 * only while timing is on (iommu_sac_timing_enabled); all zero
	 * otherwise, still a valid histogram.
	 */
	prom_family(stdout, "iommu_sac_allocation_latency_seconds", "histogram",
		    "Time iommu_sac spent per allocation, while timing is on (log2 buckets; no _sum is kept).");
	for (i = 0; i < s->n; i++) {
		d = &s->devs[i];
		l[0] = (struct prom_label){ "device", d->name };
		l[1] = (struct prom_label){ "le", le };
		cum = 0;
		last = -1;
		for (b = 0; b < d->nlat; b++) {
			cum += d->lat[b].count;
			if (d->lat[b].hi == UINT64_MAX)
				continue;
			/* Integer ns up to hi are all below hi + 1. */
			snprintf(le, sizeof(le), "%.9g",
				 (d->lat[b].hi + 1) / 1e9);
			/*
			 * Bounds converted from clock cycles may meet at
			 * the low end: one bucket per le, the last one
			 * (counting all before it), never a smaller le.
			 */
			if (b + 1 < d->nlat && d->lat[b + 1].hi != UINT64_MAX) {
				snprintf(next, sizeof(next), "%.9g",
					 (d->lat[b + 1].hi + 1) / 1e9);
				if (!strcmp(le, next))
					continue;
			}
			if (strtod(le, NULL) <= last)
				continue;
			last = strtod(le, NULL);
			prom_sample(stdout,
				    "iommu_sac_allocation_latency_seconds_bucket",
				    l, 2, cum);
		}
		snprintf(le, sizeof(le), "+Inf");
		prom_sample(stdout, "iommu_sac_allocation_latency_seconds_bucket",
			    l, 2, cum);
		prom_sample(stdout, "iommu_sac_allocation_latency_seconds_count",
			    l, 1, cum);
	}
}

static void stats_json_dev(const struct sac_dev *d)
{
	int i;

	jsonw_start_object(jw);
	jsonw_string_field(jw, "device", d->name);
	jsonw_string_field(jw, "policy", d->policy);
	jsonw_string_field(jw, "effective_policy",
			   kvs_get(&d->state, "effective_policy") ?: "?");
	jsonw_string_field(jw, "state", kvs_get(&d->state, "state") ?: "?");
	for (i = 0; i < d->stats.n; i++)
		jsonw_auto_field(jw, d->stats.kv[i].key, d->stats.kv[i].val);
	jsonw_float_field(jw, "hit32_rate", hit_rate(&d->stats));
	jsonw_name(jw, "latency_ns");
	jsonw_start_array(jw);
	for (i = 0; i < d->nlat; i++) {
		jsonw_start_array(jw);
		jsonw_uint(jw, d->lat[i].lo);
		jsonw_uint(jw, d->lat[i].hi);
		jsonw_uint(jw, d->lat[i].count);
		jsonw_end_array(jw);
	}
	jsonw_end_array(jw);
	jsonw_end_object(jw);
}

static void stats_text_row(const char *name, const struct sac_kvs *k)
{
	char hits[32];

	fmt_rate(hits, sizeof(hits), hit_rate(k));
	printf("%-14s %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %6s %10" PRIu64
	       " %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %10" PRIu64 "\n",
	       name, kvs_u64(k, "allocs"), kvs_u64(k, "sac_tries"),
	       kvs_u64(k, "sac_hits"), hits, kvs_u64(k, "dac_allocs"),
	       kvs_u64(k, "failed"), kvs_u64(k, "dma32_refusals"),
	       kvs_u64(k, "switches"), kvs_u64(k, "kernel_calls"));
}

int cmd_stats(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "prometheus", no_argument, NULL, 'P' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	char version[SAC_VAL_MAX];
	const char *output = NULL;
	struct out_file of;
	bool prom = false;
	struct sac_kvs g;
	struct dev_set s;
	int c, ret, i;

	while ((c = sacctl_getopt(argc, argv, "Po:", longopts, argv[0],
				  &ret)) != -1) {
		if (c == -2)
			return ret;
		if (c == 'o')
			output = optarg;
		else
			prom = true;
	}
	if (prom && jw)
		return sacctl_err(SACCTL_EUSAGE,
				  "stats: --json and --prometheus conflict");
	ret = sacfs_check();
	if (!ret)
		ret = sacfs_read_kvs("stats", &g);
	if (!ret)
		ret = sacfs_read_line("version", version, sizeof(version));
	if (!ret)
		ret = dev_set_read(&s, optind < argc ? argv + optind : NULL,
				   argc - optind, false);
	if (ret)
		return ret;
	if (output) {
		ret = out_file_begin(&of, output);
		if (ret) {
			dev_set_free(&s);
			return ret;
		}
	}

	if (prom) {
		stats_prom(&g, version, &s);
	} else if (jw) {
		jsonw_start_object(jw);
		json_kvs("global", &g);
		json_timing(timing_state(&g));
		jsonw_name(jw, "devices");
		jsonw_start_array(jw);
		for (i = 0; i < s.n; i++)
			stats_json_dev(&s.devs[i]);
		jsonw_end_array(jw);
		jsonw_end_object(jw);
	} else {
		printf("%-14s %10s %10s %10s %6s %10s %8s %8s %8s %10s\n",
		       "DEVICE", "ALLOCS", "SAC_TRIES", "SAC_HITS", "HIT32",
		       "DAC_ALLOCS", "FAILED", "DMA32REF", "SWITCHES",
		       "KERNEL");
		for (i = 0; i < s.n; i++)
			stats_text_row(s.devs[i].name, &s.devs[i].stats);
		if (optind >= argc)
			stats_text_row("total", &g);
	}
	dev_set_free(&s);
	if (!output)
		return SACCTL_OK;
	jsonw_destroy(&jw);	/* the document's last newline goes in too */
	return out_file_commit(&of);
}

/* ---------------------------------------------------------------------- */
/* watch                                                                   */

static volatile sig_atomic_t watch_stop;

static void watch_sig(int sig)
{
	(void)sig;
	watch_stop = 1;
}

static const struct sac_dev *find_dev(const struct dev_set *s,
				      const char *name)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->devs[i].name, name))
			return &s->devs[i];
	return NULL;
}

static uint64_t delta(const struct sac_dev *a, const struct sac_dev *b,
		      const char *key)
{
	uint64_t x = kvs_u64(&a->stats, key), y = kvs_u64(&b->stats, key);

	/* A reset in between: count from zero. */
	return y >= x ? y - x : y;
}

static void watch_print(const struct dev_set *prev, const struct dev_set *cur,
			double secs, bool tty, bool all, double interval)
{
	const struct sac_dev *a, *b;
	uint64_t allocs, tries, hits;
	char hr[32], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int i;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
	if (jw) {
		jsonw_start_object(jw);
		jsonw_int_field(jw, "time", (int64_t)now);
		jsonw_float_field(jw, "interval_s", secs);
		jsonw_name(jw, "devices");
		jsonw_start_array(jw);
	} else if (tty) {
		printf("\033[H\033[2J");
		printf("sacctl watch: every %.1f s, %s (^C to stop)\n\n",
		       interval, stamp);
		printf("%-14s %10s %7s %10s %10s %9s %-5s\n", "DEVICE",
		       "ALLOCS/s", "HIT32", "DAC/s", "FAILED/s", "SWITCHES",
		       "STATE");
	}
	for (i = 0; i < cur->n; i++) {
		b = &cur->devs[i];
		a = find_dev(prev, b->name);
		if (!a)
			continue;
		allocs = delta(a, b, "allocs");
		if (!allocs && !all && !delta(a, b, "switches"))
			continue;
		tries = delta(a, b, "sac_tries");
		hits = delta(a, b, "sac_hits");
		if (jw) {
			jsonw_start_object(jw);
			jsonw_string_field(jw, "device", b->name);
			jsonw_float_field(jw, "allocs_per_s", allocs / secs);
			jsonw_float_field(jw, "hit32_rate",
					  tries ? (double)hits / tries : NAN);
			jsonw_float_field(jw, "dac_per_s",
					  delta(a, b, "dac_allocs") / secs);
			jsonw_float_field(jw, "failed_per_s",
					  delta(a, b, "failed") / secs);
			jsonw_uint_field(jw, "allocs", allocs);
			jsonw_uint_field(jw, "switches",
					 delta(a, b, "switches"));
			jsonw_string_field(jw, "state",
					   kvs_get(&b->state, "state") ?: "?");
			jsonw_end_object(jw);
			continue;
		}
		fmt_rate(hr, sizeof(hr), tries ? (double)hits / tries : NAN);
		printf("%-14s %10.1f %7s %10.1f %10.1f %9" PRIu64 " %-5s\n",
		       b->name, allocs / secs, hr,
		       delta(a, b, "dac_allocs") / secs,
		       delta(a, b, "failed") / secs,
		       delta(a, b, "switches"),
		       kvs_get(&b->state, "state") ?: "?");
	}
	if (jw) {
		jsonw_end_array(jw);
		jsonw_end_object(jw);
		/* One JSON document per line (JSON Lines). */
		jsonw_destroy(&jw);
		jw = jsonw_new(stdout, sacctl_opts.pretty);
	} else if (!tty) {
		printf("-- %s\n", stamp);
	}
	fflush(stdout);
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int cmd_watch(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 }
	};
	struct dev_set prev = { 0 }, cur = { 0 };
	double interval = 1.0, t0, t1;
	unsigned long count = 0, done;
	struct sigaction sa = { 0 };
	struct timespec ts;
	bool all = false, tty;
	char *end;
	int c, ret;

	while ((c = sacctl_getopt(argc, argv, "n:a", longopts, argv[0],
				  &ret)) != -1) {
		if (c == -2)
			return ret;
		if (c == 'a') {
			all = true;
			continue;
		}
		errno = 0;
		count = strtoul(optarg, &end, 10);
		if (errno || *end || !*optarg || !count || optarg[0] == '-')
			return sacctl_err(SACCTL_EUSAGE,
					  "watch: -n needs a positive count, not '%s'",
					  optarg);
	}
	if (argc - optind > 1)
		return sacctl_err(SACCTL_EUSAGE,
				  "watch: expected at most one INTERVAL");
	if (optind < argc) {
		interval = strtod(argv[optind], &end);
		if (*end || end == argv[optind] || !isfinite(interval) ||
		    interval < 0.1 || interval > 86400)
			return sacctl_err(SACCTL_EUSAGE,
					  "watch: INTERVAL must be 0.1 to 86400 seconds, not '%s'",
					  argv[optind]);
	}
	ret = sacfs_check();
	if (ret)
		return ret;
	tty = isatty(STDOUT_FILENO) && !jw;
	if (!jw && !tty)
		printf("%-14s %10s %7s %10s %10s %9s %-5s\n", "DEVICE",
		       "ALLOCS/s", "HIT32", "DAC/s", "FAILED/s", "SWITCHES",
		       "STATE");

	sa.sa_handler = watch_sig;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	ret = dev_set_read(&prev, NULL, 0, false);
	if (ret)
		return ret;
	t0 = mono_s();
	for (done = 0; !watch_stop && (!count || done < count); done++) {
		ts.tv_sec = (time_t)interval;
		ts.tv_nsec = (long)((interval - ts.tv_sec) * 1e9);
		while (nanosleep(&ts, &ts) && errno == EINTR && !watch_stop)
			;
		if (watch_stop)
			break;
		ret = dev_set_read(&cur, NULL, 0, false);
		if (ret)
			break;
		t1 = mono_s();
		watch_print(&prev, &cur, t1 - t0, tty, all, interval);
		dev_set_free(&prev);
		prev = cur;
		cur.devs = NULL;
		cur.n = 0;
		t0 = t1;
	}
	dev_set_free(&prev);
	dev_set_free(&cur);
	return ret;
}
