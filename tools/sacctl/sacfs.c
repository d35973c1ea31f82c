// SPDX-License-Identifier: GPL-2.0
/*
 * sacctl: reading and writing the module's debugfs files,
 * <debugfs>/iommu_sac/ (formats: debugfs/debugfs.c in the module tree).
 *
 * Read-only files hold "key value" lines; they are read whole into a
 * struct sac_kvs so that a key the tool does not know is still shown (and a
 * missing one reads as 0 or NULL, never as garbage). Controls take one value
 * per write. Under kernel lockdown debugfs lets root read 0400 files but
 * refuses to open any writable file (EPERM), so state is read from the 0400
 * files only and EPERM on a write is reported as lockdown.
 *
 * The debugfs and sysfs roots can be moved with SACCTL_DEBUGFS and
 * SACCTL_SYSFS: for the unit tests only, which also skip the root and
 * mount checks then.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "sacctl.h"

#define DEBUGFS_MAGIC	0x64626720
#define SAC_DIR		"iommu_sac"
#define LOCKDOWN_FILE	"/sys/kernel/security/lockdown"

const char *sacfs_debugfs_root(void)
{
	const char *r = getenv("SACCTL_DEBUGFS");

	return r && *r ? r : "/sys/kernel/debug";
}

const char *sacfs_sysfs_root(void)
{
	const char *r = getenv("SACCTL_SYSFS");

	return r && *r ? r : "/sys";
}

static bool sacfs_test_mode(void)
{
	const char *r = getenv("SACCTL_DEBUGFS");

	return r && *r;
}

static void sacfs_path(char *buf, size_t size, const char *rel)
{
	snprintf(buf, size, "%s/" SAC_DIR "%s%s", sacfs_debugfs_root(),
		 rel && *rel ? "/" : "", rel ? rel : "");
}

static bool is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/* The active lockdown mode ("integrity", "confidentiality"), or NULL. */
static const char *sacfs_lockdown(char *buf, size_t size)
{
	char line[128], *a, *b;
	FILE *f = fopen(LOCKDOWN_FILE, "r");

	if (!f)
		return NULL;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return NULL;
	}
	fclose(f);
	a = strchr(line, '[');
	b = a ? strchr(a, ']') : NULL;
	if (!a || !b)
		return NULL;
	*b = '\0';
	if (!strcmp(a + 1, "none"))
		return NULL;
	sac_strlcpy(buf, a + 1, size);
	return buf;
}

int sacfs_check(void)
{
	const char *root = sacfs_debugfs_root();
	char path[512];
	struct statfs sfs;

	if (!sacfs_test_mode()) {
		if (geteuid() != 0)
			return sacctl_err(SACCTL_ENOTROOT,
					  "must be run as root (the iommu_sac debugfs files are root only)");
		if (statfs(root, &sfs) || sfs.f_type != DEBUGFS_MAGIC)
			return sacctl_err(SACCTL_ENODEBUGFS,
					  "debugfs is not mounted at %s (mount -t debugfs debugfs %s)",
					  root, root);
	} else if (!is_dir(root)) {
		return sacctl_err(SACCTL_ENODEBUGFS,
				  "debugfs is not mounted at %s", root);
	}
	sacfs_path(path, sizeof(path), NULL);
	if (!is_dir(path))
		return sacctl_err(SACCTL_ENOMODULE,
				  "the iommu_sac module is not loaded (%s is missing; modprobe iommu_sac)",
				  path);
	return SACCTL_OK;
}

int sacfs_errno(int err, const char *path, const char *what)
{
	char mode[32], dir[512];

	if (err == EPERM || err == EACCES) {
		if (!sacfs_test_mode() && geteuid() != 0)
			return sacctl_err(SACCTL_ENOTROOT,
					  "%s: %s: must be run as root", what,
					  path);
		if (sacfs_lockdown(mode, sizeof(mode)) || err == EPERM)
			return sacctl_err(SACCTL_ELOCKDOWN,
					  "%s: %s: denied by kernel lockdown (%s); debugfs controls are unavailable",
					  what, path,
					  sacfs_lockdown(mode, sizeof(mode)) ?: "mode unknown");
	}
	if (err == ENOENT) {
		sacfs_path(dir, sizeof(dir), NULL);
		if (!is_dir(dir))
			return sacctl_err(SACCTL_ENOMODULE,
					  "%s: the iommu_sac module is not loaded (any more)",
					  what);
	}
	return sacctl_err(SACCTL_EFAIL, "%s: %s: %s", what, path,
			  strerror(err));
}

int sacfs_read_line(const char *rel, char *buf, size_t size)
{
	char path[512];
	size_t len;
	FILE *f;

	sacfs_path(path, sizeof(path), rel);
	f = fopen(path, "r");
	if (!f)
		return sacfs_errno(errno, path, "read");
	if (!fgets(buf, size, f))
		buf[0] = '\0';
	fclose(f);
	len = strlen(buf);
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	return SACCTL_OK;
}

FILE *sacfs_fopen(const char *rel)
{
	char path[512];

	sacfs_path(path, sizeof(path), rel);
	return fopen(path, "re");
}

int sacfs_read_kvs(const char *rel, struct sac_kvs *kvs)
{
	char path[512], line[256], *sp, *nl;
	struct sac_kv *kv;
	FILE *f;

	kvs->n = 0;
	sacfs_path(path, sizeof(path), rel);
	f = fopen(path, "r");
	if (!f)
		return sacfs_errno(errno, path, "read");
	while (kvs->n < SAC_KV_MAX && fgets(line, sizeof(line), f)) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		sp = strchr(line, ' ');
		if (!sp || sp == line)
			continue;
		*sp++ = '\0';
		kv = &kvs->kv[kvs->n++];
		sac_strlcpy(kv->key, line, sizeof(kv->key));
		sac_strlcpy(kv->val, sp, sizeof(kv->val));
	}
	fclose(f);
	return SACCTL_OK;
}

const char *kvs_get(const struct sac_kvs *kvs, const char *key)
{
	int i;

	for (i = 0; i < kvs->n; i++)
		if (!strcmp(kvs->kv[i].key, key))
			return kvs->kv[i].val;
	return NULL;
}

uint64_t kvs_u64(const struct sac_kvs *kvs, const char *key)
{
	const char *v = kvs_get(kvs, key);

	return v ? strtoull(v, NULL, 10) : 0;
}

int sacfs_write_value(const char *path, const char *val)
{
	size_t len = strlen(val);
	ssize_t n;
	int fd, err;

	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	err = errno;
	close(fd);
	if (n == (ssize_t)len)
		return 0;
	return n < 0 ? -err : -EIO;
}

int sacfs_write(const char *rel, const char *val, const char *what)
{
	char path[512];
	int err;

	sacfs_path(path, sizeof(path), rel);
	err = -sacfs_write_value(path, val);
	if (!err)
		return SACCTL_OK;
	if (err == EIO)
		return sacctl_err(SACCTL_EFAIL, "%s: %s: short write", what,
				  path);
	if (err == EINVAL)
		return sacctl_err(SACCTL_EFAIL,
				  "%s: the module refused \"%s\" (%s)", what,
				  val, path);
	return sacfs_errno(err, path, what);
}

int sacfs_sysfs_line(const char *rel, char *buf, size_t size)
{
	char path[512];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", sacfs_sysfs_root(), rel);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fread(buf, 1, size - 1, f);
	if (ferror(f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

bool sacfs_pci_ids(const char *dev, char *out, size_t size)
{
	char rel[256], v[16], d[16];

	snprintf(rel, sizeof(rel), "bus/pci/devices/%s/vendor", dev);
	if (sacfs_sysfs_line(rel, v, sizeof(v)) || strlen(v) != 6 ||
	    strncmp(v, "0x", 2))
		return false;
	snprintf(rel, sizeof(rel), "bus/pci/devices/%s/device", dev);
	if (sacfs_sysfs_line(rel, d, sizeof(d)) || strlen(d) != 6 ||
	    strncmp(d, "0x", 2))
		return false;
	snprintf(out, size, "%s:%s", v + 2, d + 2);
	return true;
}

static bool sacfs_name_ok(const char *name)
{
	return *name && strlen(name) < SAC_NAME_MAX && !strchr(name, '/') &&
	       strcmp(name, ".") && strcmp(name, "..");
}

bool sacfs_dev_exists(const char *name)
{
	char rel[SAC_NAME_MAX + 16], path[512];

	if (!sacfs_name_ok(name))
		return false;
	snprintf(rel, sizeof(rel), "devices/%s", name);
	sacfs_path(path, sizeof(path), rel);
	return is_dir(path);
}

static int sacfs_read_lat(const char *rel, struct sac_dev *d)
{
	char path[512], line[256];
	struct sac_lat *l;
	FILE *f;

	d->nlat = 0;
	sacfs_path(path, sizeof(path), rel);
	f = fopen(path, "r");
	if (!f)
		return sacfs_errno(errno, path, "read");
	while (d->nlat < SAC_LAT_MAX && fgets(line, sizeof(line), f)) {
		l = &d->lat[d->nlat];
		if (sscanf(line, "%" SCNu64 " %" SCNu64 " %" SCNu64,
			   &l->lo, &l->hi, &l->count) == 3)
			d->nlat++;
	}
	fclose(f);
	return SACCTL_OK;
}

int sacfs_read_dev(const char *name, struct sac_dev *d)
{
	char rel[SAC_NAME_MAX + 32];
	const char *p;
	int ret;

	memset(d, 0, sizeof(*d));
	if (!sacfs_name_ok(name))
		return sacctl_err(SACCTL_ENODEV, "%s: no such device", name);
	sac_strlcpy(d->name, name, sizeof(d->name));
	snprintf(rel, sizeof(rel), "devices/%s/state", name);
	ret = sacfs_read_kvs(rel, &d->state);
	if (ret)
		return ret;
	snprintf(rel, sizeof(rel), "devices/%s/stats", name);
	ret = sacfs_read_kvs(rel, &d->stats);
	if (ret)
		return ret;
	snprintf(rel, sizeof(rel), "devices/%s/latency", name);
	ret = sacfs_read_lat(rel, d);
	if (ret)
		return ret;
	p = kvs_get(&d->state, "policy");
	sac_strlcpy(d->policy, p ? p : "?", sizeof(d->policy));
	return SACCTL_OK;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

int sacfs_list_devs(char (**names)[SAC_NAME_MAX], int *n)
{
	char (*v)[SAC_NAME_MAX] = NULL, (*t)[SAC_NAME_MAX];
	char path[512];
	struct dirent *de;
	int cap = 0, err;
	DIR *dir;

	*n = 0;
	*names = NULL;
	sacfs_path(path, sizeof(path), "devices");
	dir = opendir(path);
	if (!dir)
		return sacfs_errno(errno, path, "list devices");
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.' || !sacfs_name_ok(de->d_name))
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 32;
			t = realloc(v, cap * sizeof(*v));
			if (!t) {
				err = errno;
				free(v);
				closedir(dir);
				return sacctl_err(SACCTL_EFAIL, "%s",
						  strerror(err));
			}
			v = t;
		}
		sac_strlcpy(v[(*n)++], de->d_name, SAC_NAME_MAX);
	}
	closedir(dir);
	if (*n)
		qsort(v, *n, sizeof(*v), name_cmp);
	*names = v;
	return SACCTL_OK;
}
