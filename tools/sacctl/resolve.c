// SPDX-License-Identifier: GPL-2.0
/*
 * sacctl: DEV arguments to the device names the module uses (dev_name(),
 * "0000:03:00.0" for PCI), and policy names.
 *
 * A DEV is, in this order: a name in the module's device table; a full PCI
 * address; a short one (03:00.0 means domain 0000); a network interface,
 * block device (a partition too) or NVMe controller name, with or without
 * /dev/, resolved through sysfs: the class entry is a link into the device
 * tree, and the nearest directory above it named like a PCI address is the
 * PCI function that does the DMA (nvme0n1 -> nvme0 -> 0000:00:06.0).
 */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sacctl.h"

const char *const sac_policies[] = {
	"default", "auto", "sac", "dac", "dma32", "kernel", NULL
};

bool sac_policy_valid(const char *s, bool allow_default)
{
	int i;

	for (i = allow_default ? 0 : 1; sac_policies[i]; i++)
		if (!strcmp(s, sac_policies[i]))
			return true;
	return false;
}

/* Exactly n hex digits at s. */
static bool hexn(const char *s, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/*
 * [DDDD:]BB:DD.F, with a domain of 4 to 8 hex digits, device 00-1f and
 * function 0-7; written to out in the kernel's lower-case form.
 */
bool sac_parse_pci(const char *s, char *out, size_t size)
{
	const char *colon = strchr(s, ':');
	char buf[32];
	int dlen, i;

	if (!colon)
		return false;
	if (strchr(colon + 1, ':')) {
		dlen = colon - s;
		if (dlen < 4 || dlen > 8 || !hexn(s, dlen))
			return false;
		sac_strlcpy(buf, s, sizeof(buf));
	} else {
		snprintf(buf, sizeof(buf), "0000:%s", s);
		dlen = 4;
	}
	s = buf + dlen + 1;
	if (strlen(s) != 7 || !hexn(s, 2) || s[2] != ':' || !hexn(s + 3, 2) ||
	    s[5] != '.' || s[6] < '0' || s[6] > '7' ||
	    strtoul(s + 3, NULL, 16) > 0x1f)
		return false;
	for (i = 0; buf[i]; i++)
		buf[i] = tolower((unsigned char)buf[i]);
	if (strlen(buf) >= size)
		return false;
	strcpy(out, buf);
	return true;
}

/* The PCI function a sysfs device path sits under, if any. */
static bool pci_ancestor(const char *real, char *out, size_t size)
{
	char buf[PATH_MAX], *slash;

	sac_strlcpy(buf, real, sizeof(buf));
	while ((slash = strrchr(buf, '/'))) {
		/* Only the full form: "00:1f.0" alone is no PCI name. */
		if (strchr(slash + 1, ':') != strrchr(slash + 1, ':') &&
		    sac_parse_pci(slash + 1, out, size) &&
		    !strcmp(out, slash + 1))
			return true;
		*slash = '\0';
	}
	return false;
}

int sac_resolve(const char *dev, char *out, size_t size, char *why,
		size_t why_size)
{
	static const char *const classes[] = { "net", "block", "nvme", NULL };
	char path[PATH_MAX], real[PATH_MAX];
	const char *name = dev;
	int i;

	why[0] = '\0';
	if (!*dev) {
		snprintf(why, why_size, "empty device name");
		return SACCTL_ENODEV;
	}
	if (sacfs_dev_exists(dev)) {
		sac_strlcpy(out, dev, size);
		return SACCTL_OK;
	}
	if (sac_parse_pci(dev, out, size))
		return SACCTL_OK;
	if (!strncmp(name, "/dev/", 5))
		name += 5;
	if (!*name || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, "..")) {
		snprintf(why, why_size,
			 "not a PCI address, interface or block device name");
		return SACCTL_ENODEV;
	}
	for (i = 0; classes[i]; i++) {
		snprintf(path, sizeof(path), "%s/class/%s/%s",
			 sacfs_sysfs_root(), classes[i], name);
		if (access(path, F_OK))
			continue;
		if (!realpath(path, real)) {
			snprintf(why, why_size, "cannot resolve %s", path);
			return SACCTL_ENODEV;
		}
		if (pci_ancestor(real, out, size))
			return SACCTL_OK;
		snprintf(why, why_size, "%s device %s is not on a PCI device",
			 classes[i], name);
		return SACCTL_ENODEV;
	}
	snprintf(why, why_size,
		 "no such PCI address, network interface or block device");
	return SACCTL_ENODEV;
}

void sac_driver(const char *name, char *out, size_t size)
{
	char path[PATH_MAX], link[PATH_MAX], *base;
	ssize_t n;

	snprintf(out, size, "-");
	if (strchr(name, '/'))
		return;
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/driver",
		 sacfs_sysfs_root(), name);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return;
	link[n] = '\0';
	base = strrchr(link, '/');
	sac_strlcpy(out, base ? base + 1 : link, size);
}
