/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sacctl: shared declarations.
 *
 * One file per job: sacctl.c (operations table, usage text, options, error
 * reporting), sacfs.c (the module's debugfs files), resolve.c (DEV names to
 * device names), cmds.c (the debugfs subcommands), iova32.c (the 32-bit IOVA
 * space view), advise.c (the advise command and its rules), kmsg.c (IOMMU
 * faults in the kernel log), json.c and prom.c (the two writers), trace.c
 * (ftrace recording and summary), timing.c (the latency timing switch),
 * ctl.c (control writes through debugfs or sysfs), save.c (save),
 * outfile.c (atomic output files).
 *
 * Every command returns one of the SACCTL_E* exit codes; a failing command
 * reports its error once, through sacctl_err(), which writes to stderr or,
 * with --json, a JSON object to stdout.
 */
#ifndef SACCTL_H
#define SACCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "json.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif
#ifndef __printf
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#endif

/* Copy src into dst[size], truncating; true if it fit. */
static inline bool sac_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = 0;

	while (src[len] && len + 1 < size) {
		dst[len] = src[len];
		len++;
	}
	if (size)
		dst[len] = '\0';
	return !src[len];
}

/* "s" unless n is 1: "%llu page%s". */
static inline const char *sac_s(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* Exit codes: documented in sacctl.8, EXIT STATUS. */
enum {
	SACCTL_OK		= 0,
	SACCTL_EFAIL		= 1,	/* any other failure */
	SACCTL_EUSAGE		= 2,	/* bad usage */
	SACCTL_ENOTROOT		= 3,	/* not root */
	SACCTL_ENODEBUGFS	= 4,	/* debugfs (or tracefs) not mounted */
	SACCTL_ENOMODULE	= 5,	/* iommu_sac not loaded */
	SACCTL_ELOCKDOWN	= 6,	/* kernel lockdown denies debugfs */
	SACCTL_ENODEV		= 7,	/* unknown device */
	SACCTL_ENOPOLICY	= 8,	/* unknown policy */
};

#define SAC_NAME_MAX	64	/* a device name (dev_name()) */
#define SAC_VAL_MAX	128
#define SAC_KV_MAX	64
#define SAC_LAT_MAX	64

/* Global options, set before a command runs. */
struct sacctl_opts {
	bool json;
	bool pretty;
};

extern struct sacctl_opts sacctl_opts;
extern json_writer_t *jw;	/* non-NULL with --json */

__printf(2, 3) int sacctl_err(int code, const char *fmt, ...);
__printf(1, 2) void sacctl_warn(const char *fmt, ...);
/* Print usage of one command (NULL: the tool) to f. */
void sacctl_usage(FILE *f, const char *cmd);
/* getopt_long over a command's argv, with -h and -j/-p added. */
int sacctl_getopt(int argc, char **argv, const char *shortopts,
		  const void *longopts, const char *cmd, int *code);

/* ctl.c: controls through debugfs, or sysfs when lockdown closes debugfs */
extern const char *ctl_via;	/* "debugfs" or "sysfs": the last write's plane */
extern const char *ctl_why;	/* why sysfs */
int ctl_write(const char *rel, const char *param, const char *val,
	      const char *what);
int ctl_set_policy(const char *name, const char *policy);
/* A control's value, from debugfs or, where it is locked down, sysfs. */
int ctl_read(const char *rel, const char *param, char *buf, size_t size);
int ctl_read_default(char *buf, size_t size);
/* " (through sysfs: why)" after the last write went through sysfs, else "". */
const char *ctl_via_note(void);
/* The rule set cur with name's address rule replaced by name=policy. */
int ctl_devices_with(const char *cur, const char *name, const char *policy,
		     const char *ids, char *out, size_t size);

/* outfile.c: a command's standard output replaces a file atomically */
struct out_file {
	char path[4096];
	char tmp[4096 * 2 + 16];
	int saved;		/* the real stdout while redirected, else -1 */
};

int out_file_begin(struct out_file *of, const char *path);
int out_file_commit(struct out_file *of);
void out_file_abort(struct out_file *of);

/* sacfs.c: "key value" files */
struct sac_kv {
	char key[SAC_NAME_MAX];
	char val[SAC_VAL_MAX];
};

struct sac_kvs {
	int n;
	struct sac_kv kv[SAC_KV_MAX];
};

struct sac_lat {
	uint64_t lo, hi, count;
};

/*
 * devices/<dev>/iova32 (docs/interfaces.md). A module without the file is
 * no error: err says why there is no view, and every reader shows "-".
 */
#define SAC_IOVA32_HIST_MAX	64
#define SAC_IOVA32_SHARED_MAX	1280	/* 16 names, commas and "..." */

struct sac_iova32 {
	int err;		/* 0: read; ENOENT: no such file; else errno */
	bool available;
	char domain[SAC_NAME_MAX];
	char reason[SAC_VAL_MAX];	/* available 0 (or err): why */
	char shared_with[SAC_IOVA32_SHARED_MAX];
	struct sac_kvs kvs;	/* the other "key N" lines, in file order */
	int nhist;
	uint64_t hist[SAC_IOVA32_HIST_MAX];	/* gap32_hist_0.. */
};

struct sac_dev {
	char name[SAC_NAME_MAX];
	char policy[SAC_NAME_MAX];
	struct sac_kvs state;
	struct sac_kvs stats;
	int nlat;
	struct sac_lat lat[SAC_LAT_MAX];
	struct sac_iova32 iova32;	/* only if read (dev_set_read) */
};

const char *sacfs_debugfs_root(void);
const char *sacfs_sysfs_root(void);
/* Checks root, debugfs and module; returns SACCTL_OK or reports an error. */
int sacfs_check(void);
int sacfs_read_kvs(const char *rel, struct sac_kvs *kvs);
int sacfs_read_line(const char *rel, char *buf, size_t size);
/* fopen of a debugfs file for reading; NULL with errno, nothing reported. */
FILE *sacfs_fopen(const char *rel);
int sacfs_write(const char *rel, const char *val, const char *what);
/* Write val to the file at path in one write; 0 or -errno (-EIO: short). */
int sacfs_write_value(const char *path, const char *val);
/* The first line of a file under the sysfs root; 0 or -errno. */
int sacfs_sysfs_line(const char *rel, char *buf, size_t size);
/* "vvvv:dddd" of a PCI device from sysfs; false if unreadable. */
bool sacfs_pci_ids(const char *dev, char *out, size_t size);
const char *kvs_get(const struct sac_kvs *kvs, const char *key);
uint64_t kvs_u64(const struct sac_kvs *kvs, const char *key);
bool sacfs_dev_exists(const char *name);
int sacfs_read_dev(const char *name, struct sac_dev *d);
/* Sorted device names; *names is freed by the caller. */
int sacfs_list_devs(char (**names)[SAC_NAME_MAX], int *n);
/* errno of a failed debugfs access to an exit code, with a message. */
int sacfs_errno(int err, const char *path, const char *what);

/* resolve.c */
bool sac_parse_pci(const char *s, char *out, size_t size);
/* DEV (address, short address, interface, block device) to a PCI name. */
int sac_resolve(const char *dev, char *out, size_t size, char *why,
		size_t why_size);
/* The device's driver from sysfs, or "-". */
void sac_driver(const char *name, char *out, size_t size);
bool sac_policy_valid(const char *s, bool allow_default);
extern const char *const sac_policies[];

/* iova32.c */
void iova32_read(const char *name, struct sac_iova32 *v);
uint64_t iova32_u64(const struct sac_iova32 *v, const char *key);
/* Pages below 4 GiB a 32-bit request can get: space32 - reserved32. */
uint64_t iova32_alloc_pages(const struct sac_iova32 *v);
/* used32 in % of the allocatable pages; NAN without a view. */
double iova32_used_pct(const struct sac_iova32 *v);
/* Why there is no view (err, or available 0); "" when there is one. */
const char *iova32_why_not(const struct sac_iova32 *v, char *buf,
			   size_t size);
/* list cells: USED32 ("12.5%") and FIT32 ("2M", "512K"); "-" without. */
void iova32_cells(const struct sac_iova32 *v, char *used, size_t used_size,
		  char *fit, size_t fit_size);
/* show: the human section, lines starting with indent. */
void iova32_print(const struct sac_iova32 *v, const char *indent);
/* JSON: the field "iova32" with the view as an object. */
void iova32_json(const struct sac_iova32 *v);

/* kmsg.c: IOMMU DMA faults in the kernel log */
struct sac_fault {
	char dev[SAC_NAME_MAX];	/* "0000:00:05.0" */
	double ts;		/* seconds since boot; < 0: no timestamp */
	bool has_addr;
	uint64_t addr;
};

struct sac_kmsg {
	char *buf;
	size_t len;
	char src[256];		/* "klogctl" or the file, for messages */
};

struct sac_faults {
	unsigned int n;
	double last_ts;
	bool has_addr;
	uint64_t last_addr;
};

/* One log line; true if it reports a DMA fault of a PCI device. */
bool kmsg_parse_fault(const char *line, struct sac_fault *f);
/*
 * An SMMUv3 event spans lines ("event 0xNN received:", then raw dwords):
 * fed the log's lines in order, true when line completes a DMA fault.
 */
struct kmsg_smmu {
	bool pending;		/* a fault event's raw dwords follow */
	int raw;		/* raw dwords seen */
	struct sac_fault f;
};

bool kmsg_smmu_line(struct kmsg_smmu *s, const char *line,
		    struct sac_fault *out);
/* The kernel log (klogctl, or the file $SACCTL_KMSG); 0 or -errno. */
int kmsg_read(struct sac_kmsg *k);
void kmsg_free(struct sac_kmsg *k);
/* Faults of dev logged at since_s or later (since_s < 0: any, untimed too). */
void kmsg_count(const struct sac_kmsg *k, const char *dev, double since_s,
		struct sac_faults *c);

/* cmds.c: shared with advise.c */
struct dev_set {
	int n;
	struct sac_dev *devs;
};

/* DEV to a device in the module's table, or an error reported. */
int resolve_dev(const char *dev, char *name, size_t size);
/* All devices (names == NULL) or the DEVs named; iova32 views too if asked. */
int dev_set_read(struct dev_set *s, char **names, int nnames, bool iova32);
void dev_set_free(struct dev_set *s);

/* cmds.c */
int cmd_status(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_set(int argc, char **argv);
int cmd_default(int argc, char **argv);
int cmd_rearm(int argc, char **argv);
int cmd_reset(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_watch(int argc, char **argv);
/* save.c */
int cmd_save(int argc, char **argv);

/* advise.c */
int cmd_advise(int argc, char **argv);

/* trace.c */
int cmd_trace(int argc, char **argv);

/* timing.c */
int cmd_timing(int argc, char **argv);
/* The global stats' effective timing state, "on" or "off"; NULL when the
 * module has no such line (it times every allocation). */
const char *timing_state(const struct sac_kvs *g);
/* The allocations a device's latency histogram counted. */
uint64_t lat_total(const struct sac_dev *d);
/* Timing off and nothing counted: the histogram says nothing. */
bool lat_not_measured(const struct sac_dev *d, const char *timing);

#endif /* SACCTL_H */
