// SPDX-License-Identifier: GPL-2.0
/*
 * sacctl fuzz targets: the fake trees they read, in the module's formats
 * (docs/interfaces.md), built once per process under a private folder that
 * is removed at exit.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

static char root[64];	/* tmpfs where there is one: files are rewritten per input */
static char dbg[128];

static void rm_tree(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		return;
}

static void put_path(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	if (!f)
		abort();
	fputs(s, f);
	fclose(f);
}

static void mkdirs(const char *path)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
	if (system(cmd))
		abort();
}

/* The fake tree: folders end in '/', files have their content. */
static const struct {
	const char *rel;
	const char *content;
} fake[] = {
	{ "debug/iommu_sac/devices/0000:00:04.0/", NULL },
	{ "debug/iommu_sac/version", "0.1.0\n" },
	{ "debug/iommu_sac/default_policy", "auto\n" },
	{ "debug/iommu_sac/stats",
	  "allocs 10\nsac_tries 10\nsac_hits 9\nhook registered\ndevices 1\n"
	  "timing off\n" },
	{ "debug/iommu_sac/timing", "0\n" },
	{ "debug/iommu_sac/devices/0000:00:04.0/policy", "default\n" },
	{ "debug/iommu_sac/devices/0000:00:04.0/state",
	  "state sac\npolicy default\neffective_policy auto\nswitches 0\n" },
	{ "debug/iommu_sac/devices/0000:00:04.0/stats",
	  "allocs 10\nsac_tries 10\nsac_hits 9\n" },
	{ "debug/iommu_sac/devices/0000:00:04.0/latency", "0 1 0\n2 3 10\n" },
	{ "sys/bus/pci/devices/0000:00:04.0/", NULL },
	{ "sys/bus/pci/devices/0000:00:04.0/vendor", "0x1234\n" },
	{ "sys/bus/pci/devices/0000:00:04.0/device", "0x11e8\n" },
	{ "sys/module/iommu_sac/parameters/", NULL },
	{ "sys/module/iommu_sac/parameters/devices", "\n" },
	{ "sys/module/iommu_sac/parameters/timing", "0\n" },
	{ "sys/class/net/", NULL },
};

const char *fuzz_fake_tree(void)
{
	char p[512];
	size_t i;

	if (root[0])
		return dbg;
	strcpy(root, access("/dev/shm", W_OK) ? "/tmp/sacctl-fuzz.XXXXXX" :
					      "/dev/shm/sacctl-fuzz.XXXXXX");
	if (!mkdtemp(root))
		abort();
	atexit(rm_tree);
	for (i = 0; i < sizeof(fake) / sizeof(fake[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", root, fake[i].rel);
		if (fake[i].content)
			put_path(p, fake[i].content);
		else
			mkdirs(p);
	}
	snprintf(dbg, sizeof(dbg), "%s/debug/iommu_sac", root);
	snprintf(p, sizeof(p), "%s/debug", root);
	setenv("SACCTL_DEBUGFS", p, 1);
	snprintf(p, sizeof(p), "%s/sys", root);
	setenv("SACCTL_SYSFS", p, 1);
	setenv("SACCTL_KMSG", "/dev/null", 1);
	if (chdir(root))
		abort();
	return dbg;
}

void fuzz_put(const char *rel, const uint8_t *data, size_t size)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", fuzz_fake_tree(), rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
}

char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Before libFuzzer reads a corpus: the tree, and its folder as the cwd. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_fake_tree();
	return 0;
}
