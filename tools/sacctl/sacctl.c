// SPDX-License-Identifier: GPL-2.0
/*
 * sacctl: inspect and steer iommu_sac.ko, and analyse its trace events.
 *
 * This file holds the operations table, the usage text of every command
 * (data, printed by --help, "sacctl help CMD" and on bad usage), the
 * global options and error reporting. Each command lives in cmds.c,
 * advise.c, save.c, timing.c or trace.c and returns an exit code from
 * sacctl.h; it reports its own error through sacctl_err() exactly once.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sacctl.h"

#ifndef SACCTL_VERSION
#error "build with -DSACCTL_VERSION=\"x.y.z\" (the Makefile reads ../../VERSION)"
#endif

struct sacctl_opts sacctl_opts;
json_writer_t *jw;

struct sacctl_op {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *args;	/* synopsis after the command name */
	const char *summary;	/* one line for the command list */
	const char *details;	/* options and arguments, or NULL */
};

#define DEV_HELP \
	"  DEV is a PCI address (0000:03:00.0), a short one (03:00.0), a\n" \
	"  network interface (eth0) or a block device (nvme0n1, /dev/sda).\n"
#define POLICY_HELP \
	"  POLICY is auto, sac, dac, dma32 or kernel.\n"

static const struct sacctl_op sacctl_ops[] = {
	{ "status", cmd_status, "",
	  "kernel, hook state, default policy and global totals", NULL },
	{ "list", cmd_list, "",
	  "one row per device: driver, DMA bits, policy, state, hit rate",
	  NULL },
	{ "show", cmd_show, "DEV",
	  "everything about one device, with its latency histogram",
	  DEV_HELP },
	{ "set", cmd_set, "DEV POLICY",
	  "override one device's policy ('default' drops the override)",
	  DEV_HELP POLICY_HELP
	  "  'default' removes the override: the device follows the default.\n" },
	{ "default", cmd_default, "POLICY",
	  "set the policy of every device without an override",
	  POLICY_HELP },
	{ "rearm", cmd_rearm, "DEV|all",
	  "put a device (or all) back to trying 32-bit IOVAs first",
	  DEV_HELP },
	{ "reset", cmd_reset, "", "zero every counter and histogram", NULL },
	{ "timing", cmd_timing, "[on|off]",
	  "show or switch the timing of allocations (latency histograms)",
	  "  Without an argument: the switch and whether allocations are\n"
	  "  timed now (also while the sac_alloc trace event is enabled).\n"
	  "  on, off: set the switch (debugfs, or the module parameter in\n"
	  "  sysfs under lockdown). Timing costs two clock reads per\n"
	  "  allocation; it is off when the module loads (timing=1 at load\n"
	  "  turns it on).\n" },
	{ "save", cmd_save, "[--dry-run] [--file FILE]",
	  "write the running policies to /etc/modprobe.d/iommu-sac.conf",
	  "  -n, --dry-run     show the difference to the file in place; write nothing\n"
	  "  -f, --file FILE   another file (default /etc/modprobe.d/iommu-sac.conf)\n"
	  "  The default policy, the load-time vendor:device rules and every\n"
	  "  device's override, so that a reload or reboot brings them back.\n" },
	{ "stats", cmd_stats, "[--prometheus] [--output FILE] [DEV...]",
	  "counters of every device (or those named)",
	  "  -P, --prometheus  text exposition format for node_exporter's\n"
	  "                    textfile collector\n"
	  "  -o, --output FILE replace FILE atomically with the output\n"
	  "                    (a temporary file in its folder, renamed)\n"
	  "  -j, --json        JSON (also: sacctl -j stats)\n" DEV_HELP },
	{ "watch", cmd_watch, "[-n COUNT] [INTERVAL]",
	  "per-interval rates, refreshed on a terminal, lines when piped",
	  "  INTERVAL          seconds between samples (default 1, >= 0.1)\n"
	  "  -n, --count N     stop after N intervals (default: until ^C)\n"
	  "  -a, --all         include devices without activity\n" },
	{ "advise", cmd_advise, "[--apply] [DEV...]",
	  "advise a policy per device, with the reason for it",
	  "  -A, --apply       write the advised policy of every device whose\n"
	  "                    advice differs from its override (else nothing\n"
	  "                    is changed), and print 'applied DEV POLICY'\n"
	  "  One line per device: DEVICE, its effective POLICY, the ADVICE\n"
	  "  ('-': keep it) and the REASON. The rules and thresholds are in\n"
	  "  sacctl(8), ADVICE RULES; the fault rule reads the kernel log\n"
	  "  (SACCTL_KMSG=FILE reads a file instead).\n" DEV_HELP },
	{ "trace", cmd_trace, "[-d SECONDS] [-b KB] [DEV...] | -i FILE [DEV...]",
	  "record the iommu_sac trace events and summarise them per device",
	  "  -d, --duration S  record for S seconds (default: until ^C)\n"
	  "  -b, --buffer KB   per-CPU trace buffer size (default: kernel's)\n"
	  "  -i, --input FILE  summarise a trace.dat recorded with\n"
	  "                    trace-cmd record -e iommu_sac\n"
	  "  -H, --no-histogram  leave out the latency histograms\n"
	  "  Recording uses a private tracefs instance, so the tracing\n"
	  "  state found (top buffer, events, tracing_on) is left as it was.\n"
	  "  DEV limits the summary to those devices.\n" },
};

#define SACCTL_NR_OPS	ARRAY_SIZE(sacctl_ops)

static const char sacctl_global_help[] =
	"Global options:\n"
	"  -j, --json     JSON output (errors too)\n"
	"  -p, --pretty   indented JSON (implies --json)\n"
	"  -h, --help     this text; 'sacctl CMD --help' for one command\n"
	"  -V, --version  the version\n";

static const struct sacctl_op *sacctl_find(const char *name)
{
	size_t i;

	for (i = 0; i < SACCTL_NR_OPS; i++)
		if (!strcmp(sacctl_ops[i].name, name))
			return &sacctl_ops[i];
	return NULL;
}

void sacctl_usage(FILE *f, const char *cmd)
{
	const struct sacctl_op *op = cmd ? sacctl_find(cmd) : NULL;
	size_t i;

	if (op) {
		fprintf(f, "Usage: sacctl [-j|-p] %s%s%s\n\n%s.\n", op->name,
			*op->args ? " " : "", op->args, op->summary);
		if (op->details)
			fprintf(f, "\n%s", op->details);
		fprintf(f, "\n%s", sacctl_global_help);
		return;
	}
	fprintf(f, "Usage: sacctl [OPTIONS] COMMAND [ARGS]\n\n"
		   "Inspect and steer iommu_sac.ko, the per-device PCI SAC policy.\n\n"
		   "Commands:\n");
	for (i = 0; i < SACCTL_NR_OPS; i++)
		fprintf(f, "  %-8s %s\n", sacctl_ops[i].name,
			sacctl_ops[i].summary);
	fprintf(f, "  %-8s %s\n\n%s\nSee sacctl(8).\n", "help",
		"help on one command", sacctl_global_help);
}

static void sacctl_json_begin(void)
{
	if (sacctl_opts.json && !jw) {
		jw = jsonw_new(stdout, sacctl_opts.pretty);
		if (!jw) {
			fprintf(stderr, "sacctl: out of memory\n");
			exit(SACCTL_EFAIL);
		}
	}
}

int sacctl_err(int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (sacctl_opts.json) {
		/* A fresh top-level value: output before it stays intact. */
		jsonw_destroy(&jw);
		sacctl_json_begin();
		jsonw_start_object(jw);
		jsonw_string_field(jw, "error", msg);
		jsonw_int_field(jw, "exit_code", code);
		jsonw_end_object(jw);
	} else {
		fprintf(stderr, "sacctl: %s\n", msg);
	}
	return code;
}

void sacctl_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("sacctl: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The option getopt just complained about, for the message. */
static void sacctl_opt_name(char *buf, size_t size, char **argv)
{
	if (optopt)
		snprintf(buf, size, "-%c", optopt);
	else
		snprintf(buf, size, "%s", argv[optind - 1]);
}

/*
 * getopt_long for a command: its own options plus -h/--help, -j/--json,
 * -p/--pretty anywhere on its command line. Returns the next option of the
 * command's own, -1 at the end, or -2 when the command must return *code
 * (help printed, or bad usage reported).
 */
int sacctl_getopt(int argc, char **argv, const char *shortopts,
		  const void *longopts, const char *cmd, int *code)
{
	static const struct option common[] = {
		{ "help",	no_argument,	NULL, 'h' },
		{ "json",	no_argument,	NULL, 'j' },
		{ "pretty",	no_argument,	NULL, 'p' },
	};
	const struct option *own = longopts;
	struct option all[32];
	char so[64], opt[64];
	size_t n = 0;
	int c;

	for (; own && own->name && n < 28; own++)
		all[n++] = *own;
	memcpy(&all[n], common, sizeof(common));
	memset(&all[n + 3], 0, sizeof(all[0]));
	snprintf(so, sizeof(so), ":%shjp", shortopts);

	for (;;) {
		c = getopt_long(argc, argv, so, all, NULL);
		switch (c) {
		case 'h':
			sacctl_usage(stdout, cmd);
			*code = SACCTL_OK;
			return -2;
		case 'j':
			sacctl_opts.json = true;
			continue;
		case 'p':
			sacctl_opts.json = sacctl_opts.pretty = true;
			continue;
		case '?':
			sacctl_opt_name(opt, sizeof(opt), argv);
			*code = sacctl_err(SACCTL_EUSAGE,
					   "%s: unknown option '%s' (see sacctl %s --help)",
					   cmd, opt, cmd);
			return -2;
		case ':':
			sacctl_opt_name(opt, sizeof(opt), argv);
			*code = sacctl_err(SACCTL_EUSAGE,
					   "%s: option '%s' needs a value",
					   cmd, opt);
			return -2;
		case -1:
			sacctl_json_begin();
			return -1;
		default:
			return c;
		}
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help",	no_argument,	NULL, 'h' },
		{ "json",	no_argument,	NULL, 'j' },
		{ "pretty",	no_argument,	NULL, 'p' },
		{ "version",	no_argument,	NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const struct sacctl_op *op;
	int c, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+hjpV", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			sacctl_usage(stdout, NULL);
			return SACCTL_OK;
		case 'j':
			sacctl_opts.json = true;
			break;
		case 'p':
			sacctl_opts.json = sacctl_opts.pretty = true;
			break;
		case 'V':
			sacctl_json_begin();
			if (jw) {
				jsonw_start_object(jw);
				jsonw_string_field(jw, "version", SACCTL_VERSION);
				jsonw_end_object(jw);
				jsonw_destroy(&jw);
			} else {
				printf("sacctl %s\n", SACCTL_VERSION);
			}
			return SACCTL_OK;
		default: {
			char opt[64];

			sacctl_opt_name(opt, sizeof(opt), argv);
			ret = sacctl_err(SACCTL_EUSAGE,
					 "unknown option '%s' (see sacctl --help)",
					 opt);
			jsonw_destroy(&jw);
			return ret;
		}
		}
	}
	if (optind >= argc) {
		sacctl_usage(stderr, NULL);
		return SACCTL_EUSAGE;
	}
	argc -= optind;
	argv += optind;
	optind = 0;	/* GNU getopt: start over for the command */

	if (!strcmp(argv[0], "help")) {
		if (argc > 1 && !sacctl_find(argv[1])) {
			ret = sacctl_err(SACCTL_EUSAGE, "unknown command '%s'",
					 argv[1]);
			jsonw_destroy(&jw);
			return ret;
		}
		sacctl_usage(stdout, argc > 1 ? argv[1] : NULL);
		return SACCTL_OK;
	}
	op = sacctl_find(argv[0]);
	if (!op) {
		ret = sacctl_err(SACCTL_EUSAGE,
				 "unknown command '%s' (see sacctl --help)",
				 argv[0]);
		jsonw_destroy(&jw);
		return ret;
	}
	ret = op->fn(argc, argv);
	jsonw_destroy(&jw);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "sacctl: writing output: %s\n",
			strerror(errno));
		return ret ? ret : SACCTL_EFAIL;
	}
	return ret;
}
