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

const char *fuzz_fake_tree(void)
{
	char p[512];

	if (root[0])
		return dbg;
	strcpy(root, access("/dev/shm", W_OK) ? "/tmp/sacctl-fuzz.XXXXXX" :
					      "/dev/shm/sacctl-fuzz.XXXXXX");
	if (!mkdtemp(root))
		abort();
	atexit(rm_tree);
	snprintf(dbg, sizeof(dbg), "%s/debug/iommu_sac", root);
	snprintf(p, sizeof(p), "%s/devices/0000:00:04.0", dbg);
	mkdirs(p);
	snprintf(p, sizeof(p), "%s/version", dbg);
	put_path(p, "0.1.0\n");
	snprintf(p, sizeof(p), "%s/default_policy", dbg);
	put_path(p, "auto\n");
	snprintf(p, sizeof(p), "%s/stats", dbg);
	put_path(p, "allocs 10\nsac_tries 10\nsac_hits 9\nhook registered\ndevices 1\n");
	snprintf(p, sizeof(p), "%s/devices/0000:00:04.0/policy", dbg);
	put_path(p, "default\n");
	snprintf(p, sizeof(p), "%s/devices/0000:00:04.0/state", dbg);
	put_path(p, "state sac\npolicy default\neffective_policy auto\nswitches 0\n");
	snprintf(p, sizeof(p), "%s/devices/0000:00:04.0/stats", dbg);
	put_path(p, "allocs 10\nsac_tries 10\nsac_hits 9\n");
	snprintf(p, sizeof(p), "%s/devices/0000:00:04.0/latency", dbg);
	put_path(p, "0 1 0\n2 3 10\n");
	snprintf(p, sizeof(p), "%s/sys/bus/pci/devices/0000:00:04.0", root);
	mkdirs(p);
	snprintf(p, sizeof(p), "%s/sys/bus/pci/devices/0000:00:04.0/vendor", root);
	put_path(p, "0x1234\n");
	snprintf(p, sizeof(p), "%s/sys/bus/pci/devices/0000:00:04.0/device", root);
	put_path(p, "0x11e8\n");
	snprintf(p, sizeof(p), "%s/sys/module/iommu_sac/parameters", root);
	mkdirs(p);
	snprintf(p, sizeof(p), "%s/sys/module/iommu_sac/parameters/devices", root);
	put_path(p, "\n");
	snprintf(p, sizeof(p), "%s/sys/class/net", root);
	mkdirs(p);
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
