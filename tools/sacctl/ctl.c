// SPDX-License-Identifier: GPL-2.0
/*
 * sacctl: the module's controls through whichever plane works.
 *
 * debugfs (<debugfs>/iommu_sac/default_policy, rearm, reset_stats,
 * timing, devices/<dev>/policy) is the first choice. Kernel lockdown (Secure Boot)
 * makes debugfs refuse to open any writable file, so then the same change
 * goes through the module parameters in sysfs, which lockdown leaves open
 * (/sys/module/iommu_sac/parameters/default_policy, devices, rearm,
 * reset_stats, timing; docs/interfaces.md). Lockdown also refuses to open
 * a writable debugfs file for reading, so a control's current value is
 * read from the same plane it would be written through. A device's policy has no file of its
 * own there: the running rule set (devices) is read, the device's address
 * rule replaced, and the whole set written back in one write, which the
 * module applies atomically.
 *
 * SACCTL_CONTROL=debugfs|sysfs forces a plane (tests run both on one
 * kernel and compare).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sacctl.h"

#define DEVICES_MAX	4096

const char *ctl_via = "debugfs";
const char *ctl_why = "";

static void param_path(char *buf, size_t size, const char *param)
{
	snprintf(buf, size, "%s/module/iommu_sac/parameters/%s",
		 sacfs_sysfs_root(), param);
}

/* Does debugfs refuse to open rel for writing (lockdown)? */
static bool use_sysfs(const char *rel)
{
	const char *force = getenv("SACCTL_CONTROL");
	char path[512];
	int fd;

	if (force && !strcmp(force, "sysfs")) {
		ctl_why = "SACCTL_CONTROL=sysfs";
		return true;
	}
	if (force && !strcmp(force, "debugfs"))
		return false;
	snprintf(path, sizeof(path), "%s/iommu_sac/%s", sacfs_debugfs_root(),
		 rel);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return false;
	}
	if (errno != EPERM)
		return false;	/* sacfs_write() says what is wrong */
	ctl_why = "debugfs is locked down";
	return true;
}

static int param_read(const char *param, char *buf, size_t size)
{
	char rel[128];
	int err;

	snprintf(rel, sizeof(rel), "module/iommu_sac/parameters/%s", param);
	err = -sacfs_sysfs_line(rel, buf, size);
	if (!err)
		return SACCTL_OK;
	return sacctl_err(err == ENOENT ? SACCTL_ENOMODULE : SACCTL_EFAIL,
			  "%s/%s: %s", sacfs_sysfs_root(), rel, strerror(err));
}

static int param_write(const char *param, const char *val, const char *what)
{
	char path[512];
	int err;

	param_path(path, sizeof(path), param);
	/* An empty value: a newline, which the module strips. */
	err = -sacfs_write_value(path, *val ? val : "\n");
	if (!err)
		return SACCTL_OK;
	if (err == EINVAL)
		return sacctl_err(SACCTL_EFAIL, "%s: the module refused \"%s\" (%s)",
				  what, val, path);
	return sacctl_err(err == ENOENT ? SACCTL_ENOMODULE : SACCTL_EFAIL,
			  "%s: %s: %s%s", what, path,
			  err == EIO ? "short write" : strerror(err),
			  err == ENOENT ? " (a module without the sysfs controls?)" : "");
}

int ctl_write(const char *rel, const char *param, const char *val,
	      const char *what)
{
	if (!use_sysfs(rel)) {
		ctl_via = "debugfs";
		return sacfs_write(rel, val, what);
	}
	ctl_via = "sysfs";
	return param_write(param, val, what);
}

int ctl_read(const char *rel, const char *param, char *buf, size_t size)
{
	if (!use_sysfs(rel))
		return sacfs_read_line(rel, buf, size);
	return param_read(param, buf, size);
}

int ctl_read_default(char *buf, size_t size)
{
	return ctl_read("default_policy", "default_policy", buf, size);
}

const char *ctl_via_note(void)
{
	static char note[96];

	if (strcmp(ctl_via, "sysfs"))
		return "";
	snprintf(note, sizeof(note), " (through sysfs: %s)", ctl_why);
	return note;
}

int ctl_devices_with(const char *cur, const char *name, const char *policy,
		     const char *ids, char *out, size_t size)
{
	char copy[DEVICES_MAX], *tok, *save = NULL;
	size_t len = 0;

	if (strlen(cur) >= sizeof(copy))
		return sacctl_err(SACCTL_EFAIL, "the module's rule set is too long");
	strcpy(copy, cur);
	out[0] = '\0';
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char key[SAC_NAME_MAX], addr[SAC_NAME_MAX];
		const char *eq = strchr(tok, '=');

		if (!eq || (size_t)(eq - tok) >= sizeof(key))
			return sacctl_err(SACCTL_EFAIL,
					  "unexpected rule '%s' in the module's rule set",
					  tok);
		snprintf(key, sizeof(key), "%.*s", (int)(eq - tok), tok);
		if (sac_parse_pci(key, addr, sizeof(addr)) &&
		    !strcmp(addr, name))
			continue;
		if (!strcmp(policy, "default") && *ids &&
		    !strcasecmp(key, ids))
			return sacctl_err(SACCTL_EFAIL,
					  "%s: 'default' cannot be set through sysfs while the rule %s gives every %s device a policy (set a policy instead)",
					  name, tok, ids);
		len += snprintf(out + len, size - len, "%s%s", len ? "," : "",
				tok);
		if (len >= size)
			return sacctl_err(SACCTL_EFAIL, "too many rules");
	}
	if (strcmp(policy, "default"))
		len += snprintf(out + len, size - len, "%s%s=%s",
				len ? "," : "", name, policy);
	if (len >= size)
		return sacctl_err(SACCTL_EFAIL, "too many rules");
	return SACCTL_OK;
}

int ctl_set_policy(const char *name, const char *policy)
{
	char rel[SAC_NAME_MAX + 32], cur[DEVICES_MAX], next[DEVICES_MAX];
	char ids[16];
	int ret;

	snprintf(rel, sizeof(rel), "devices/%s/policy", name);
	if (!use_sysfs(rel)) {
		ctl_via = "debugfs";
		return sacfs_write(rel, policy, "set policy");
	}
	ctl_via = "sysfs";
	if (!sacfs_pci_ids(name, ids, sizeof(ids)))
		ids[0] = '\0';
	ret = param_read("devices", cur, sizeof(cur));
	if (!ret)
		ret = ctl_devices_with(cur, name, policy, ids, next,
				       sizeof(next));
	if (!ret)
		ret = param_write("devices", next, "set policy");
	return ret;
}
