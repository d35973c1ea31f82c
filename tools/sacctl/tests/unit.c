// SPDX-License-Identifier: GPL-2.0
/*
 * sacctl unit tests, run by tests/run.sh (which numbers the TAP lines).
 *
 *   unit            PCI address parsing, policy names, device resolution
 *                   against the fake sysfs in $SACCTL_SYSFS, errno to exit
 *                   code mapping, writer details; prints "ok - what" lines
 *   unit json [-p]  a JSON document with every kind of value and nasty
 *                   strings, for a real parser to validate
 *   unit prom       an exposition with escapes, for promtool
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "prom.h"
#include "sacctl.h"

extern char stub_last_err[];
static int failed;

static void check(bool cond, const char *what)
{
	printf("%sok - %s\n", cond ? "" : "not ", what);
	if (!cond) {
		failed++;
		if (stub_last_err[0])
			printf("# last error: %s\n", stub_last_err);
	}
}

static void pci(const char *in, const char *want)
{
	char out[64] = "", what[256];
	bool ok = sac_parse_pci(in, out, sizeof(out));

	snprintf(what, sizeof(what), "parse PCI '%s' -> %s", in,
		 want ? want : "rejected");
	check(want ? ok && !strcmp(out, want) : !ok, what);
}

static void resolve(const char *in, const char *want, int code)
{
	char out[SAC_NAME_MAX] = "", why[256], what[512];
	int ret;

	stub_last_err[0] = '\0';
	ret = sac_resolve(in, out, sizeof(out), why, sizeof(why));
	snprintf(what, sizeof(what), "resolve '%s' -> %s (%s)", in,
		 want ? want : "unknown device", ret ? why : out);
	check(ret == code && (!want || !strcmp(out, want)), what);
}

static int unit(void)
{
	char buf[8], drv[64];

	pci("0000:03:00.0", "0000:03:00.0");
	pci("03:00.0", "0000:03:00.0");
	pci("0000:AB:1F.7", "0000:ab:1f.7");
	pci("10000:00:02.0", "10000:00:02.0");
	pci("03:20.0", NULL);		/* device > 0x1f */
	pci("03:00.8", NULL);		/* function > 7 */
	pci("3:00.0", NULL);
	pci("0000:03:00", NULL);
	pci("0000:03:00.0 ", NULL);
	pci("000:03:00.0", NULL);
	pci("0000:03:00.0:1", NULL);
	pci("", NULL);
	pci("eth0", NULL);
	pci("g0:00.0", NULL);

	check(sac_policy_valid("auto", false), "policy auto valid");
	check(sac_policy_valid("dma32", false), "policy dma32 valid");
	check(!sac_policy_valid("default", false),
	      "policy default rejected as a default policy");
	check(sac_policy_valid("default", true),
	      "policy default valid as a device override");
	check(!sac_policy_valid("AUTO", true), "policy names are exact");
	check(!sac_policy_valid("", true), "empty policy rejected");

	resolve("0000:00:04.0", "0000:00:04.0", 0);
	resolve("00:04.0", "0000:00:04.0", 0);
	resolve("eth0", "0000:00:07.0", 0);
	resolve("enp3s0", "0000:03:00.0", 0);
	resolve("nvme0n1", "0000:00:06.0", 0);
	resolve("/dev/nvme0n1", "0000:00:06.0", 0);
	resolve("nvme0n1p1", "0000:00:06.0", 0);
	resolve("nvme0", "0000:00:06.0", 0);
	resolve("lo", NULL, SACCTL_ENODEV);
	resolve("loop0", NULL, SACCTL_ENODEV);
	resolve("nosuch0", NULL, SACCTL_ENODEV);
	resolve("", NULL, SACCTL_ENODEV);
	resolve("../../etc", NULL, SACCTL_ENODEV);
	resolve("..", NULL, SACCTL_ENODEV);
	resolve("/dev/", NULL, SACCTL_ENODEV);

	sac_driver("0000:00:06.0", drv, sizeof(drv));
	check(!strcmp(drv, "nvme"), "driver of 0000:00:06.0 is nvme");
	sac_driver("0000:00:09.0", drv, sizeof(drv));
	check(!strcmp(drv, "-"), "driver of an unbound device is -");

	check(sacfs_errno(EPERM, "x", "write") == SACCTL_ELOCKDOWN,
	      "EPERM from debugfs as root means lockdown");
	check(sacfs_errno(EIO, "x", "write") == SACCTL_EFAIL,
	      "EIO is a plain failure");
	check(sacfs_dev_exists("0000:00:04.0"), "device dir found");
	check(!sacfs_dev_exists(".."), "'..' is no device");
	check(!sacfs_dev_exists("0000:00:04.0/../.."), "no path traversal");

	check(!sac_strlcpy(buf, "123456789", sizeof(buf)) &&
	      !strcmp(buf, "1234567"), "sac_strlcpy truncates");
	check(sac_strlcpy(buf, "1234567", sizeof(buf)), "sac_strlcpy fits");

	check(prom_name_valid("iommu_sac_allocations_total", false),
	      "prometheus metric name valid");
	check(!prom_name_valid("9abc", false), "metric name starting with a digit rejected");
	check(!prom_name_valid("a-b", false), "metric name with '-' rejected");
	check(!prom_name_valid("a:b", true), "label name with ':' rejected");
	return failed ? 1 : 0;
}

static int json_sample(bool pretty)
{
	json_writer_t *w = jsonw_new(stdout, pretty);

	jsonw_start_object(w);
	jsonw_string_field(w, "plain", "0000:00:04.0");
	jsonw_string_field(w, "quotes \"and\" \\", "tab\there\nnl\r\x01\x1f\x7f");
	jsonw_string_field(w, "high bytes", "\xc3\xa9\xff");
	jsonw_string_field(w, "empty", "");
	jsonw_uint_field(w, "u64max", UINT64_MAX);
	jsonw_int_field(w, "neg", -42);
	jsonw_float_field(w, "rate", 0.5);
	jsonw_float_field(w, "nan", NAN);
	jsonw_float_field(w, "inf", INFINITY);
	jsonw_bool_field(w, "t", true);
	jsonw_name(w, "null");
	jsonw_null(w);
	jsonw_auto_field(w, "auto_num", "1000");
	jsonw_auto_field(w, "auto_big", "18446744073709551615");
	jsonw_auto_field(w, "auto_huge", "99999999999999999999999");
	jsonw_auto_field(w, "auto_zero_lead", "007");
	jsonw_auto_field(w, "auto_str", "registered");
	jsonw_name(w, "empty_array");
	jsonw_start_array(w);
	jsonw_end_array(w);
	jsonw_name(w, "empty_object");
	jsonw_start_object(w);
	jsonw_end_object(w);
	jsonw_name(w, "nested");
	jsonw_start_array(w);
	jsonw_start_object(w);
	jsonw_uint_field(w, "a", 1);
	jsonw_end_object(w);
	jsonw_start_array(w);
	jsonw_uint(w, 1);
	jsonw_uint(w, 2);
	jsonw_end_array(w);
	jsonw_string(w, "x");
	jsonw_end_array(w);
	jsonw_end_object(w);
	jsonw_destroy(&w);
	return 0;
}

static int prom_sample_out(void)
{
	struct prom_label l[2] = {
		{ "device", "0000:00:04.0" },
		{ "driver", "we\"ird\\na\nme" },
	};

	prom_family(stdout, "sacctl_test_total", "counter",
		    "A help text with a backslash \\ and\na newline.");
	prom_sample(stdout, "sacctl_test_total", l, 2, UINT64_MAX);
	prom_family(stdout, "sacctl_test_seconds", "gauge", "Floats.");
	prom_sample_f(stdout, "sacctl_test_seconds", l, 1, 1.5e-9);
	prom_sample_f(stdout, "sacctl_test_seconds", NULL, 0, INFINITY);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "json"))
		return json_sample(argc > 2 && !strcmp(argv[2], "-p"));
	if (argc > 1 && !strcmp(argv[1], "prom"))
		return prom_sample_out();
	return unit();
}
