// SPDX-License-Identifier: GPL-2.0
/*
 * sacctl unit tests, run by tests/run.sh (which numbers the TAP lines).
 *
 *   unit            PCI address parsing, policy names, device resolution
 *                   against the fake sysfs in $SACCTL_SYSFS, errno to exit
 *                   code mapping, writer details, IOMMU fault lines of the
 *                   kernel log; prints "ok - what" lines, then the plan
 *                   "1..N" (N the number of checks that ran)
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
static int failed, checks;

static void check(bool cond, const char *what)
{
	checks++;
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

/* A kernel log line: a fault of dev at ts (and addr), or no fault. */
static void log_line(const char *line, const char *dev, double ts,
		     long long addr)
{
	struct sac_fault f;
	char what[512];
	bool ok = kmsg_parse_fault(line, &f);

	snprintf(what, sizeof(what), "kernel log '%.80s' -> %s", line,
		 dev ? dev : "no fault");
	if (dev)
		ok = ok && !strcmp(f.dev, dev) && f.ts == ts &&
		     (addr < 0 ? !f.has_addr :
		      f.has_addr && f.addr == (uint64_t)addr);
	else
		ok = !ok;
	check(ok, what);
}

/* Arm SMMUv3 events: lines of a real 6.1-arm64 guest (QEMU virt), fed in
 * order; want: how many complete a fault of dev (at ts, addr). */
static void smmu_log(const char *what, const char *const *lines, int want,
		     const char *dev, double ts, unsigned long long addr)
{
	struct kmsg_smmu st;
	struct sac_fault f;
	int i, got = 0;
	bool match = true;
	char d[256];

	memset(&st, 0, sizeof(st));
	for (i = 0; lines[i]; i++) {
		if (!kmsg_smmu_line(&st, lines[i], &f))
			continue;
		got++;
		match = match && !strcmp(f.dev, dev) && f.ts == ts &&
			f.has_addr && f.addr == addr;
	}
	snprintf(d, sizeof(d), "SMMUv3 log: %s -> %d fault(s) of %s", what,
		 want, dev);
	check(got == want && match, d);
}

static void smmu_faults(void)
{
	static const char *const fault[] = {
		"[   19.404512] arm-smmu-v3 9050000.smmuv3: event 0x10 received:",
		"[   19.404771] arm-smmu-v3 9050000.smmuv3: \t0x0000002800000010",
		"[   19.404902] arm-smmu-v3 9050000.smmuv3: \t0x0000000800000000",
		"[   19.405011] arm-smmu-v3 9050000.smmuv3: \t0x00000000e2b41d00",
		"[   19.405123] arm-smmu-v3 9050000.smmuv3: \t0x0000000000000000",
		"[   19.405200] arm-smmu-v3 9050000.smmuv3: event: F_TRANSLATION client: 0000:00:05.0 sid: 0x28 ssid: 0x0 iova: 0xe2b41d00 ipa: 0x0",
		NULL,
	};
	static const char *const other[] = {
		"[   19.5] arm-smmu-v3 9050000.smmuv3: event 0x04 received:",
		"[   19.5] arm-smmu-v3 9050000.smmuv3: \t0x0000002800000004",
		"[   19.5] arm-smmu-v3 9050000.smmuv3: \t0x0000000000000000",
		"[   19.5] arm-smmu-v3 9050000.smmuv3: \t0x0000000000001000",
		NULL,
	};
	static const char *const stray[] = {
		"[   19.6] arm-smmu-v3 9050000.smmuv3: \t0x0000002800000010",
		"[   19.6] arm-smmu-v3 9050000.smmuv3: \t0x0000000800000000",
		"[   19.6] arm-smmu-v3 9050000.smmuv3: \t0x0000000000001000",
		"[   19.6] arm-smmu-v3 9050000.smmuv3: ias 44-bit, oas 44-bit (features 0x00008305)",
		NULL,
	};

	smmu_log("F_TRANSLATION of StreamID 0x28, 7.2's decoded line not counted again",
		 fault, 1, "0000:00:05.0", 19.404512, 0xe2b41d00);
	smmu_log("event 0x04 (not a DMA fault)", other, 0, "", 0, 0);
	smmu_log("raw dwords without their headline", stray, 0, "", 0, 0);
}

static void faults(void)
{
	/* 6.1/6.12 dmar_fault_do_one(), klogctl form with the level */
	log_line("<3>[  813.000000] DMAR: [DMA Read NO_PASID] Request device [00:05.0] fault addr 0xfffff000 [fault reason 0x06] PTE Read access is not set",
		 "0000:00:05.0", 813.0, 0xfffff000);
	log_line("[  815.250000] DMAR: [DMA Write NO_PASID] Request device [00:1f.7] fault addr 0x1000 [fault reason 0x05] PTE Write access is not set",
		 "0000:00:1f.7", 815.25, 0x1000);
	log_line("[    9.5] DMAR: [DMA Read PASID 0x1] Request device [AB:00.1] fault addr 0x2000 [fault reason 0x06] x",
		 "0000:ab:00.1", 9.5, 0x2000);
	/* 7.2: with the segment */
	log_line("[   20.000001] DMAR: [DMA Read NO_PASID] Request device [0001:00:0b.0] fault addr 0x3000 [fault reason 0x06] x",
		 "0001:00:0b.0", 20.000001, 0x3000);
	/* no time stamp (printk.time=0) */
	log_line("DMAR: [DMA Write NO_PASID] Request device [00:05.0] fault addr 0x4000 [fault reason 0x05] x",
		 "0000:00:05.0", -1, 0x4000);
	/* interrupt remapping is no DMA fault */
	log_line("[  830.0] DMAR: [INTR-REMAP] Request device [00:0c.0] fault index 0x12 [fault reason 0x25] Present field in the IRTE entry is clear",
		 NULL, 0, 0);
	log_line("[  700.0] DMAR: DRHD: handling fault status reg 2", NULL, 0, 0);
	log_line("[  701.0] DMAR: [DMA Read NO_PASID] Request device [zz:05.0] fault addr 0x1",
		 NULL, 0, 0);
	/* AMD-Vi with a struct device: the dev_printk prefix names it */
	log_line("[  840.0] nvme 0000:05:00.0: AMD-Vi: Event logged [IO_PAGE_FAULT domain=0x000b address=0xfffff000 flags=0x0020]",
		 "0000:05:00.0", 840.0, 0xfffff000);
	log_line("<3>[  840.5] pci 0000:06:00.1: AMD-Vi: Event logged [IO_PAGE_FAULT domain=0x000c address=0x10 flags=0x0000]",
		 "0000:06:00.1", 840.5, 0x10);
	/* AMD-Vi without one, and the older short form */
	log_line("[  841.0] AMD-Vi: Event logged [IO_PAGE_FAULT device=0000:07:00.0 domain=0x000c address=0x3000 flags=0x0000]",
		 "0000:07:00.0", 841.0, 0x3000);
	log_line("[  842.0] AMD-Vi: Event logged [IO_PAGE_FAULT device=08:00.0 domain=0x000c address=0x5000 flags=0x0000]",
		 "0000:08:00.0", 842.0, 0x5000);
	log_line("[  843.0] AMD-Vi: Event logged [IO_PAGE_FAULT domain=0x000c address=0x5000 flags=0x0000]",
		 NULL, 0, 0);
	log_line("[  844.0] iommu_sac: unloaded: devices are back with the kernel",
		 NULL, 0, 0);
	log_line("", NULL, 0, 0);
	smmu_faults();
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
	faults();
	/*
	 * The plan last, once every check ran: tests/run.sh fails a run that
	 * ends without it (a crash, an early exit) or whose count differs.
	 */
	printf("1..%d\n", checks);
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
	jsonw_auto_field(w, "auto_neg", "-1");
	jsonw_auto_field(w, "auto_neg_min", "-9223372036854775808");
	jsonw_auto_field(w, "auto_neg_over", "-9223372036854775809");
	jsonw_auto_field(w, "auto_neg_zero", "-0");
	jsonw_auto_field(w, "auto_dash", "-");
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
