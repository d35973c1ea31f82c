// SPDX-License-Identifier: GPL-2.0
/*
 * sacctl timing: the module's latency timing switch, and how the other
 * commands tell a latency histogram that was not measured from an empty
 * one.
 *
 * Timing an allocation costs two clock reads, so the module only does it
 * while timing is on: while its switch is 1 (debugfs timing, or the module
 * parameter timing) or while the sac_alloc trace event is enabled (which
 * always carries a measured ns=). The global stats' "timing on|off" line is
 * that effective state; the switch is read from the control file (under
 * lockdown from the parameter: debugfs will not open a 0600 file then). A
 * module without the "timing" line times every allocation.
 *
 * "sacctl timing on|off" writes the switch through ctl.c, the same control
 * plane as set, default, rearm and reset.
 */
#include <getopt.h>
#include <string.h>

#include "sacctl.h"

const char *timing_state(const struct sac_kvs *g)
{
	const char *t = kvs_get(g, "timing");

	if (t && (!strcmp(t, "on") || !strcmp(t, "off")))
		return t;
	return NULL;
}

uint64_t lat_total(const struct sac_dev *d)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < d->nlat; i++)
		n += d->lat[i].count;
	return n;
}

bool lat_not_measured(const struct sac_dev *d, const char *timing)
{
	return timing && !strcmp(timing, "off") && !lat_total(d);
}

/* The switch as the control file or parameter reads it: "on" or "off". */
static int timing_switch(const char **sw)
{
	char buf[SAC_VAL_MAX];
	int ret;

	ret = ctl_read("timing", "timing", buf, sizeof(buf));
	if (ret)
		return ret;
	if (!strcmp(buf, "1"))
		*sw = "on";
	else if (!strcmp(buf, "0"))
		*sw = "off";
	else
		return sacctl_err(SACCTL_EFAIL,
				  "timing: the module's switch reads '%s', not 0 or 1",
				  buf);
	return SACCTL_OK;
}

/*
 * Why the effective state is what it is. With the switch off, timing is on
 * exactly while the sac_alloc trace event is enabled (by any tracer:
 * trace-cmd, perf, sacctl trace); with it on, the event makes no
 * difference and cannot be told from here.
 */
static const char *timing_why(const char *eff, const char *sw, int *event)
{
	*event = -1;
	if (strcmp(sw, "off"))
		return "";
	*event = !strcmp(eff, "on");
	return *event ? "; on while the sac_alloc trace event is enabled" :
			"; the sac_alloc trace event is not enabled";
}

int cmd_timing(int argc, char **argv)
{
	static const struct option none[] = { { NULL, 0, NULL, 0 } };
	const char *want = NULL, *old = NULL, *sw, *eff, *why;
	struct sac_kvs g;
	int code, c, ret, event;

	c = sacctl_getopt(argc, argv, "", none, argv[0], &code);
	if (c == -2)
		return code;
	if (c != -1)
		return sacctl_err(SACCTL_EUSAGE, "timing: unexpected option");
	if (argc - optind > 1)
		return sacctl_err(SACCTL_EUSAGE,
				  "timing: expected at most one argument, on or off (see sacctl timing --help)");
	if (optind < argc) {
		want = argv[optind];
		if (strcmp(want, "on") && strcmp(want, "off"))
			return sacctl_err(SACCTL_EUSAGE,
					  "timing: expected on or off, not '%s'",
					  want);
	}
	ret = sacfs_check();
	if (!ret)
		ret = sacfs_read_kvs("stats", &g);
	if (ret)
		return ret;
	if (!timing_state(&g))
		return sacctl_err(SACCTL_EFAIL,
				  "timing: this iommu_sac has no timing switch (no 'timing' line in its stats): it times every allocation");
	ret = timing_switch(&sw);
	if (ret)
		return ret;
	if (want) {
		old = sw;
		ret = ctl_write("timing", "timing",
				!strcmp(want, "on") ? "1" : "0",
				!strcmp(want, "on") ? "switch timing on" :
						      "switch timing off");
		if (!ret)
			ret = timing_switch(&sw);
		if (!ret)
			ret = sacfs_read_kvs("stats", &g);
		if (ret)
			return ret;
	}
	eff = timing_state(&g) ?: "?";
	why = timing_why(eff, sw, &event);
	if (jw) {
		jsonw_start_object(jw);
		jsonw_string_field(jw, "timing", eff);
		jsonw_string_field(jw, "switch", sw);
		if (old)
			jsonw_string_field(jw, "previous", old);
		jsonw_name(jw, "sac_alloc_event");
		if (event < 0)
			jsonw_null(jw);
		else
			jsonw_bool(jw, event);
		if (want)
			jsonw_string_field(jw, "via", ctl_via);
		jsonw_end_object(jw);
		return SACCTL_OK;
	}
	printf("timing: %s (switch %s%s%s%s)%s\n", eff, sw, old ? ", was " : "",
	       old ?: "", why, want ? ctl_via_note() : "");
	return SACCTL_OK;
}
