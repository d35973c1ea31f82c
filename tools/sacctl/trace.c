// SPDX-License-Identifier: GPL-2.0
/*
 * sacctl trace: record the iommu_sac trace events live through libtracefs,
 * or read a trace.dat written by "trace-cmd record -e iommu_sac" through
 * libtracecmd, and summarise them per device. Events are decoded with
 * libtraceevent from the kernel's own format files; no trace text is
 * parsed.
 *
 * Live recording happens in a tracefs instance of our own
 * ("sacctl-<pid>"): the top-level buffer, its enabled events and its
 * tracing_on are never touched, so the tracing state found is the state
 * left. The instance is drained every 100 ms, so the buffer only has to
 * hold that long; events the kernel dropped anyway are counted and
 * reported. SIGINT/SIGTERM stop the recording, the summary is still
 * printed and the instance removed.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event-parse.h>
#include <trace-cmd.h>
#include <tracefs.h>

#include "sacctl.h"

#define TRACE_SYSTEM	"iommu_sac"
#define TRACE_HIST	64

struct trace_switch {
	uint64_t ts, size;
	unsigned int bits;
	int by;
};

struct trace_dev {
	char name[SAC_NAME_MAX];
	uint64_t allocs, tried32, hit32, full, failed, rearms, policies;
	uint64_t *ns;			/* every allocation's latency */
	size_t nns, cap;
	uint64_t hist[TRACE_HIST];	/* log2 buckets as the module's */
	struct trace_switch *sw;
	size_t nsw;
};

struct trace_sum {
	struct tep_handle *tep;		/* the events below belong to it */
	struct tep_event *alloc, *sw, *rearm, *policy;
	struct trace_dev *devs;
	size_t ndevs;
	char **filter;			/* DEV names to keep, or NULL */
	int nfilter;
	uint64_t events, lost, first_ts, last_ts;
	bool lost_unknown, oom;
};

/* module/sac.h, enum sac_cause: the order the sac_switch "by" field uses. */
static const char *const trace_causes[] = {
	"none", "alloc", "kernel", "user", "domain"
};

static const char *cause_name(int by)
{
	if (by >= 0 && by < (int)ARRAY_SIZE(trace_causes))
		return trace_causes[by];
	return "?";
}

static void trace_sum_free(struct trace_sum *s)
{
	size_t i;

	for (i = 0; i < s->ndevs; i++) {
		free(s->devs[i].ns);
		free(s->devs[i].sw);
	}
	free(s->devs);
	s->devs = NULL;
	s->ndevs = 0;
}

static struct trace_dev *trace_dev(struct trace_sum *s, const char *name)
{
	struct trace_dev *t;
	size_t i;
	int f;

	if (s->nfilter) {
		for (f = 0; f < s->nfilter; f++)
			if (!strcmp(s->filter[f], name))
				break;
		if (f == s->nfilter)
			return NULL;
	}
	for (i = 0; i < s->ndevs; i++)
		if (!strcmp(s->devs[i].name, name))
			return &s->devs[i];
	t = realloc(s->devs, (s->ndevs + 1) * sizeof(*t));
	if (!t) {
		s->oom = true;
		return NULL;
	}
	s->devs = t;
	t = &s->devs[s->ndevs++];
	memset(t, 0, sizeof(*t));
	sac_strlcpy(t->name, name, sizeof(t->name));
	return t;
}

static uint64_t field_u64(struct tep_event *ev, struct tep_record *rec,
			  const char *name)
{
	struct tep_format_field *f = tep_find_field(ev, name);
	unsigned long long v = 0;

	if (!f || tep_read_number_field(f, rec->data, &v))
		return 0;
	return v;
}

/* The dynamic "dev" string, bounded and NUL-terminated in buf. */
static const char *field_dev(struct tep_event *ev, struct tep_record *rec,
			     char *buf, size_t size)
{
	int len = 0;
	const char *p = tep_get_field_raw(NULL, ev, "dev", rec, &len, 0);

	if (!p || len <= 0)
		return NULL;
	snprintf(buf, size, "%.*s", len, p);
	return buf;
}

static int bucket(uint64_t ns)
{
	int b = 0;

	while (ns > 1 && b < TRACE_HIST - 1) {
		ns >>= 1;
		b++;
	}
	return b;
}

static void trace_sum_bind(struct trace_sum *s, struct tep_handle *tep)
{
	if (s->tep == tep)
		return;
	s->tep = tep;
	s->alloc = tep_find_event_by_name(tep, TRACE_SYSTEM, "sac_alloc");
	s->sw = tep_find_event_by_name(tep, TRACE_SYSTEM, "sac_switch");
	s->rearm = tep_find_event_by_name(tep, TRACE_SYSTEM, "sac_rearm");
	s->policy = tep_find_event_by_name(tep, TRACE_SYSTEM, "sac_policy");
}

static void trace_sum_record(struct trace_sum *s, struct tep_handle *tep,
			     struct tep_record *rec)
{
	struct tep_event *ev;
	struct trace_switch *nsw;
	struct trace_dev *d;
	char name[SAC_NAME_MAX];
	uint64_t *nns, ns;
	int type;

	trace_sum_bind(s, tep);
	if (rec->missed_events > 0)
		s->lost += rec->missed_events;
	else if (rec->missed_events < 0)
		s->lost_unknown = true;
	type = tep_data_type(tep, rec);
	if (s->alloc && type == s->alloc->id)
		ev = s->alloc;
	else if (s->sw && type == s->sw->id)
		ev = s->sw;
	else if (s->rearm && type == s->rearm->id)
		ev = s->rearm;
	else if (s->policy && type == s->policy->id)
		ev = s->policy;
	else
		return;
	if (!field_dev(ev, rec, name, sizeof(name)))
		return;
	s->events++;
	if (!s->first_ts || rec->ts < s->first_ts)
		s->first_ts = rec->ts;
	if (rec->ts > s->last_ts)
		s->last_ts = rec->ts;
	if (ev == s->policy) {
		d = strcmp(name, "*") ? trace_dev(s, name) : NULL;
		if (d)
			d->policies++;
		return;
	}
	d = trace_dev(s, name);
	if (!d)
		return;
	if (ev == s->rearm) {
		d->rearms++;
		return;
	}
	if (ev == s->sw) {
		nsw = realloc(d->sw, (d->nsw + 1) * sizeof(*nsw));
		if (!nsw) {
			s->oom = true;
			return;
		}
		d->sw = nsw;
		d->sw[d->nsw].ts = rec->ts;
		d->sw[d->nsw].size = field_u64(ev, rec, "size");
		d->sw[d->nsw].bits = field_u64(ev, rec, "bits");
		d->sw[d->nsw].by = (int)field_u64(ev, rec, "by");
		d->nsw++;
		return;
	}
	d->allocs++;
	if (field_u64(ev, rec, "tried32"))
		d->tried32++;
	if (field_u64(ev, rec, "hit32"))
		d->hit32++;
	else if (field_u64(ev, rec, "iova"))
		d->full++;
	if (!field_u64(ev, rec, "iova"))
		d->failed++;
	ns = field_u64(ev, rec, "ns");
	d->hist[bucket(ns)]++;
	if (d->nns == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 1024;
		nns = realloc(d->ns, d->cap * sizeof(*nns));
		if (!nns) {
			s->oom = true;
			d->cap = d->nns;
			return;
		}
		d->ns = nns;
	}
	d->ns[d->nns++] = ns;
}

/* ---------------------------------------------------------------------- */
/* The summary                                                             */

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[0..n). */
static uint64_t pct(const uint64_t *v, size_t n, unsigned int p)
{
	size_t r;

	if (!n)
		return 0;
	r = (n * p + 99) / 100;
	return v[r ? r - 1 : 0];
}

static void print_dev_text(const struct trace_dev *d, bool hist)
{
	uint64_t max = 0;
	size_t i;
	int b, w;

	printf("%s: %" PRIu64 " allocations, 32-bit %" PRIu64 " tried / %" PRIu64
	       " hit", d->name, d->allocs, d->tried32, d->hit32);
	if (d->tried32)
		printf(" (%.1f%%)", 100.0 * d->hit32 / d->tried32);
	printf(", full range %" PRIu64 ", failed %" PRIu64 "\n", d->full,
	       d->failed);
	if (d->nns)
		printf("  latency ns: p50 %" PRIu64 "  p90 %" PRIu64 "  p99 %" PRIu64
		       "  max %" PRIu64 "\n", pct(d->ns, d->nns, 50),
		       pct(d->ns, d->nns, 90), pct(d->ns, d->nns, 99),
		       d->ns[d->nns - 1]);
	printf("  switches %zu, rearms %" PRIu64 ", policy changes %" PRIu64 "\n",
	       d->nsw, d->rearms, d->policies);
	for (i = 0; i < d->nsw; i++)
		printf("    at %" PRIu64 ".%06" PRIu64 " s: size %" PRIu64
		       ", now %u-bit, by %s\n", d->sw[i].ts / UINT64_C(1000000000),
		       d->sw[i].ts % UINT64_C(1000000000) / 1000, d->sw[i].size,
		       d->sw[i].bits, cause_name(d->sw[i].by));
	if (!hist || !d->allocs)
		return;
	for (b = 0; b < TRACE_HIST; b++)
		if (d->hist[b] > max)
			max = d->hist[b];
	printf("  latency histogram (ns):\n");
	for (b = 0; b < TRACE_HIST; b++) {
		if (!d->hist[b])
			continue;
		w = (int)((d->hist[b] * 40 + max - 1) / max);
		printf("    %12" PRIu64 " .. %12" PRIu64 " %10" PRIu64 " %.*s\n",
		       b ? (uint64_t)1 << b : 0,
		       ((uint64_t)2 << b) - 1, d->hist[b], w,
		       "########################################");
	}
}

static void print_dev_json(const struct trace_dev *d, bool hist)
{
	size_t i;
	int b;

	jsonw_start_object(jw);
	jsonw_string_field(jw, "device", d->name);
	jsonw_uint_field(jw, "allocs", d->allocs);
	jsonw_uint_field(jw, "tried32", d->tried32);
	jsonw_uint_field(jw, "hit32", d->hit32);
	jsonw_float_field(jw, "hit32_rate",
			  d->tried32 ? (double)d->hit32 / d->tried32 : NAN);
	jsonw_uint_field(jw, "full_range", d->full);
	jsonw_uint_field(jw, "failed", d->failed);
	jsonw_uint_field(jw, "rearms", d->rearms);
	jsonw_uint_field(jw, "policy_changes", d->policies);
	jsonw_name(jw, "latency_ns");
	jsonw_start_object(jw);
	jsonw_uint_field(jw, "p50", pct(d->ns, d->nns, 50));
	jsonw_uint_field(jw, "p90", pct(d->ns, d->nns, 90));
	jsonw_uint_field(jw, "p99", pct(d->ns, d->nns, 99));
	jsonw_uint_field(jw, "max", d->nns ? d->ns[d->nns - 1] : 0);
	jsonw_end_object(jw);
	jsonw_name(jw, "switches");
	jsonw_start_array(jw);
	for (i = 0; i < d->nsw; i++) {
		jsonw_start_object(jw);
		jsonw_float_field(jw, "time_s", d->sw[i].ts / 1e9);
		jsonw_uint_field(jw, "size", d->sw[i].size);
		jsonw_uint_field(jw, "bits", d->sw[i].bits);
		jsonw_string_field(jw, "by", cause_name(d->sw[i].by));
		jsonw_end_object(jw);
	}
	jsonw_end_array(jw);
	if (hist) {
		jsonw_name(jw, "histogram");
		jsonw_start_array(jw);
		for (b = 0; b < TRACE_HIST; b++) {
			if (!d->hist[b])
				continue;
			jsonw_start_object(jw);
			jsonw_uint_field(jw, "lo_ns", b ? 1ull << b : 0);
			jsonw_uint_field(jw, "hi_ns", (2ull << b) - 1);
			jsonw_uint_field(jw, "count", d->hist[b]);
			jsonw_end_object(jw);
		}
		jsonw_end_array(jw);
	}
	jsonw_end_object(jw);
}

static int dev_cmp(const void *a, const void *b)
{
	return strcmp(((const struct trace_dev *)a)->name,
		      ((const struct trace_dev *)b)->name);
}

static void trace_print(struct trace_sum *s, const char *source,
			double secs, bool hist)
{
	size_t i;

	for (i = 0; i < s->ndevs; i++)
		qsort(s->devs[i].ns, s->devs[i].nns, sizeof(uint64_t),
		      u64_cmp);
	if (s->ndevs)
		qsort(s->devs, s->ndevs, sizeof(*s->devs), dev_cmp);
	if (jw) {
		jsonw_start_object(jw);
		jsonw_string_field(jw, "source", source);
		if (secs >= 0)
			jsonw_float_field(jw, "duration_s", secs);
		jsonw_uint_field(jw, "events", s->events);
		jsonw_uint_field(jw, "lost", s->lost);
		jsonw_bool_field(jw, "lost_unknown", s->lost_unknown);
		jsonw_name(jw, "devices");
		jsonw_start_array(jw);
		for (i = 0; i < s->ndevs; i++)
			print_dev_json(&s->devs[i], hist);
		jsonw_end_array(jw);
		jsonw_end_object(jw);
		return;
	}
	printf("iommu_sac events from %s", source);
	if (secs >= 0)
		printf(", %.1f s", secs);
	printf(": %" PRIu64 " events, %" PRIu64 " lost%s\n", s->events,
	       s->lost, s->lost_unknown ? " (and an unknown number more)" : "");
	if (!s->ndevs)
		printf("no device events\n");
	for (i = 0; i < s->ndevs; i++)
		print_dev_text(&s->devs[i], hist);
}

/* ---------------------------------------------------------------------- */
/* Sources                                                                 */

static int tracecmd_cb(struct tracecmd_input *h, struct tep_record *rec,
		       int cpu, void *data)
{
	(void)cpu;
	trace_sum_record(data, tracecmd_get_tep(h), rec);
	return 0;
}

static int trace_file(struct trace_sum *s, const char *file)
{
	struct tracecmd_input *h;

	if (access(file, R_OK))
		return sacctl_err(SACCTL_EFAIL, "trace: %s: %s", file,
				  strerror(errno));
	tracecmd_set_loglevel(TEP_LOG_CRITICAL);
	h = tracecmd_open(file, TRACECMD_FL_LOAD_NO_PLUGINS);
	if (!h)
		return sacctl_err(SACCTL_EFAIL,
				  "trace: %s: not a trace-cmd data file it can read",
				  file);
	tracecmd_iterate_events(h, NULL, 0, tracecmd_cb, s);
	/* Its tep goes with the handle: no dangling pointers afterwards. */
	s->tep = NULL;
	tracecmd_close(h);
	return SACCTL_OK;
}

static volatile sig_atomic_t trace_stop;

static void trace_sig(int sig)
{
	(void)sig;
	trace_stop = 1;
}

static int tracefs_cb(struct tep_event *ev, struct tep_record *rec, int cpu,
		      void *data)
{
	struct trace_sum *s = data;

	(void)ev;
	(void)cpu;
	trace_sum_record(s, s->tep, rec);
	return 0;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int trace_live(struct trace_sum *s, double duration, long buf_kb,
		      double *secs)
{
	static const char *const systems[] = { TRACE_SYSTEM, NULL };
	struct tracefs_instance *inst;
	struct sigaction sa = { 0 };
	struct tep_handle *tep;
	struct timespec ts = { 0, 100000000 };
	char iname[64];
	double t0;
	int ret;

	if (geteuid() != 0)
		return sacctl_err(SACCTL_ENOTROOT,
				  "trace: must be run as root (tracefs)");
	if (!tracefs_tracing_dir())
		return sacctl_err(SACCTL_ENODEBUGFS,
				  "trace: tracefs is not mounted (mount -t tracefs tracefs /sys/kernel/tracing)");
	if (!tracefs_event_file_exists(NULL, TRACE_SYSTEM, "sac_alloc",
				       "format"))
		return sacctl_err(SACCTL_ENOMODULE,
				  "trace: no iommu_sac trace events: the iommu_sac module is not loaded");
	tep = tracefs_local_events_system(NULL, systems);
	if (!tep)
		return sacctl_err(SACCTL_EFAIL,
				  "trace: cannot read the iommu_sac event formats: %s",
				  strerror(errno));
	trace_sum_bind(s, tep);

	snprintf(iname, sizeof(iname), "sacctl-%d", (int)getpid());
	inst = tracefs_instance_create(iname);
	if (!inst) {
		ret = errno == EPERM ?
		      sacctl_err(SACCTL_ELOCKDOWN,
				 "trace: creating a tracefs instance: %s (kernel lockdown?)",
				 strerror(errno)) :
		      sacctl_err(SACCTL_EFAIL,
				 "trace: creating tracefs instance %s: %s",
				 iname, strerror(errno));
		tep_free(tep);
		return ret;
	}
	sa.sa_handler = trace_sig;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	ret = SACCTL_OK;
	if (buf_kb && tracefs_instance_set_buffer_size(inst, buf_kb, -1))
		sacctl_warn("cannot set the buffer to %ld KiB per CPU", buf_kb);
	if (tracefs_event_enable(inst, TRACE_SYSTEM, NULL) ||
	    tracefs_trace_on(inst)) {
		ret = sacctl_err(errno == EPERM ? SACCTL_ELOCKDOWN : SACCTL_EFAIL,
				 "trace: enabling the iommu_sac events: %s",
				 strerror(errno));
		goto out;
	}
	if (!jw)
		fprintf(stderr, "sacctl: recording iommu_sac events%s\n",
			duration > 0 ? "" : " until ^C");
	t0 = mono_s();
	while (!trace_stop && (duration <= 0 || mono_s() - t0 < duration)) {
		nanosleep(&ts, NULL);
		tracefs_iterate_raw_events(tep, inst, NULL, 0, tracefs_cb, s);
	}
	*secs = mono_s() - t0;
	tracefs_trace_off(inst);
	tracefs_event_disable(inst, TRACE_SYSTEM, NULL);
	tracefs_iterate_raw_events(tep, inst, NULL, 0, tracefs_cb, s);
out:
	tracefs_instance_destroy(inst);
	tracefs_instance_free(inst);
	s->tep = NULL;
	tep_free(tep);
	return ret;
}

int cmd_trace(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "buffer", required_argument, NULL, 'b' },
		{ "input", required_argument, NULL, 'i' },
		{ "no-histogram", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 }
	};
	struct trace_sum s = { 0 };
	const char *input = NULL;
	double duration = 0, secs = -1;
	char names[16][SAC_NAME_MAX];
	char *filter[16], why[256];
	bool hist = true;
	long buf_kb = 0;
	int c, ret, i;
	char *end;

	while ((c = sacctl_getopt(argc, argv, "d:b:i:H", longopts, argv[0],
				  &ret)) != -1) {
		switch (c) {
		case -2:
			return ret;
		case 'd':
			duration = strtod(optarg, &end);
			if (*end || end == optarg || !isfinite(duration) ||
			    duration <= 0 || duration > 30 * 86400)
				return sacctl_err(SACCTL_EUSAGE,
						  "trace: --duration needs seconds > 0, not '%s'",
						  optarg);
			break;
		case 'b':
			errno = 0;
			buf_kb = strtol(optarg, &end, 10);
			if (errno || *end || buf_kb <= 0 || buf_kb > 4194304)
				return sacctl_err(SACCTL_EUSAGE,
						  "trace: --buffer needs KiB (1 to 4194304), not '%s'",
						  optarg);
			break;
		case 'i':
			input = optarg;
			break;
		case 'H':
			hist = false;
			break;
		}
	}
	if (input && (duration > 0 || buf_kb))
		return sacctl_err(SACCTL_EUSAGE,
				  "trace: --input conflicts with --duration and --buffer");
	if (argc - optind > 16)
		return sacctl_err(SACCTL_EUSAGE, "trace: at most 16 devices");
	for (i = 0; optind + i < argc; i++) {
		/* Names are resolved here; the table may not hold them now. */
		if (sac_resolve(argv[optind + i], names[i], sizeof(names[i]),
				why, sizeof(why)))
			return sacctl_err(SACCTL_ENODEV,
					  "%s: unknown device: %s",
					  argv[optind + i], why);
		filter[i] = names[i];
	}
	s.filter = filter;
	s.nfilter = i;

	if (input)
		ret = trace_file(&s, input);
	else
		ret = trace_live(&s, duration, buf_kb, &secs);
	if (!ret && s.oom)
		sacctl_warn("out of memory: the summary is incomplete");
	if (!ret)
		trace_print(&s, input ? input : "live", secs, hist);
	trace_sum_free(&s);
	return ret;
}
