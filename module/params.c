// SPDX-License-Identifier: GPL-2.0
/*
 * iommu_sac: module parameters, for modprobe.d.
 *
 *   default_policy=auto|sac|dac|dma32|kernel      (default: auto)
 *   devices=KEY=POLICY[,KEY=POLICY...]
 *       KEY is a PCI address DDDD:BB:DD.F (one device) or a vendor:device
 *       ID VVVV:DDDD (every matching PCI device, also ones added later);
 *       POLICY is auto|sac|dac|dma32|kernel. Hex digits, either case,
 *       exactly as many as shown. An address rule beats an ID rule; among
 *       rules of one kind the last wins.
 *
 *   iova32_max_iovas=N  (64..16777216, default 1048576)
 *       IOVAs one read of a device's iova32 view visits at most.
 *
 * All are read-only (0444) and parsed once at load; a malformed value
 * fails the load with -EINVAL and a message naming it. Runtime changes go
 * through a front end. The parsed rules live until unload, for devices that
 * appear later.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "internal.h"

static char *default_policy = "auto";
module_param(default_policy, charp, 0444);
MODULE_PARM_DESC(default_policy,
		 "Policy of devices without an override: auto (default), sac, dac, dma32, kernel");

static char *devices = "";
module_param(devices, charp, 0444);
MODULE_PARM_DESC(devices,
		 "Per-device policies: DDDD:BB:DD.F=POLICY or VVVV:DDDD=POLICY, comma separated");

#define SAC_IOVA32_MAX_IOVAS_MIN	64U
#define SAC_IOVA32_MAX_IOVAS_MAX	16777216U

static unsigned int iova32_max_iovas = 1U << 20;

/* Any bad value is -EINVAL (kstrtouint() alone says -ERANGE on overflow). */
static int sac_param_iova32_max_set(const char *val,
				    const struct kernel_param *kp)
{
	unsigned int n;

	if (kstrtouint(val ? val : "", 0, &n) ||
	    n < SAC_IOVA32_MAX_IOVAS_MIN || n > SAC_IOVA32_MAX_IOVAS_MAX) {
		pr_err("iova32_max_iovas=: '%s' is not a number in %u..%u\n",
		       val ? val : "", SAC_IOVA32_MAX_IOVAS_MIN,
		       SAC_IOVA32_MAX_IOVAS_MAX);
		return -EINVAL;
	}
	*(unsigned int *)kp->arg = n;
	return 0;
}

static const struct kernel_param_ops sac_param_iova32_max_ops = {
	.set	= sac_param_iova32_max_set,
	.get	= param_get_uint,
};

module_param_cb(iova32_max_iovas, &sac_param_iova32_max_ops,
		&iova32_max_iovas, 0444);
MODULE_PARM_DESC(iova32_max_iovas,
		 "IOVAs one read of devices/<dev>/iova32 visits at most (64..16777216, default 1048576)");

struct sac_rule {
	bool by_id;
	u16 vendor;
	u16 device;
	u32 domain;
	u8 bus;
	u8 devfn;
	enum sac_policy policy;
};

/* Written at load only; read by sac_params_policy_for() under the table mutex. */
static struct sac_rule *sac_rules;
static unsigned int sac_nrules;
static enum sac_policy sac_param_default = SAC_POLICY_AUTO;

/* Exactly @n hex digits at *s, advancing *s. */
static bool sac_parse_hex(const char **s, unsigned int n, u32 *out)
{
	u32 v = 0;
	char c;

	while (n--) {
		c = _tolower(**s);
		if (!isxdigit(c))
			return false;
		v = v << 4 | (isdigit(c) ? c - '0' : c - 'a' + 10);
		(*s)++;
	}
	*out = v;
	return true;
}

static bool sac_parse_char(const char **s, char c)
{
	if (**s != c)
		return false;
	(*s)++;
	return true;
}

/* "VVVV:DDDD", nothing else. */
static bool sac_parse_id(const char *s, struct sac_rule *r)
{
	u32 vendor, device;

	if (!sac_parse_hex(&s, 4, &vendor) || !sac_parse_char(&s, ':') ||
	    !sac_parse_hex(&s, 4, &device) || *s)
		return false;
	r->by_id = true;
	r->vendor = vendor;
	r->device = device;
	return true;
}

/* "DDDD:BB:DD.F", nothing else. */
static bool sac_parse_addr(const char *s, struct sac_rule *r)
{
	u32 dom, bus, dev, fn;

	if (!sac_parse_hex(&s, 4, &dom) || !sac_parse_char(&s, ':') ||
	    !sac_parse_hex(&s, 2, &bus) || !sac_parse_char(&s, ':') ||
	    !sac_parse_hex(&s, 2, &dev) || !sac_parse_char(&s, '.') ||
	    !sac_parse_hex(&s, 1, &fn) || *s || dev > 0x1f || fn > 7)
		return false;
	r->by_id = false;
	r->domain = dom;
	r->bus = bus;
	r->devfn = PCI_DEVFN(dev, fn);
	return true;
}

static int sac_parse_rule(char *entry, struct sac_rule *r)
{
	char *eq = strrchr(entry, '=');

	if (!eq)
		return -EINVAL;
	*eq = '\0';
	if (sac_policy_parse(eq + 1, false, &r->policy) || strchr(eq + 1, '\n'))
		goto bad;
	if (!sac_parse_addr(entry, r) && !sac_parse_id(entry, r))
		goto bad;
	*eq = '=';
	return 0;
bad:
	*eq = '=';
	return -EINVAL;
}

static int sac_parse_devices(const char *list)
{
	char *copy, *p, *entry;
	unsigned int n = 1;
	int ret = 0;

	if (!list || !*list)
		return 0;
	for (p = (char *)list; *p; p++)
		n += *p == ',';
	sac_rules = kcalloc(n, sizeof(*sac_rules), GFP_KERNEL);
	copy = kstrdup(list, GFP_KERNEL);
	if (!sac_rules || !copy) {
		ret = -ENOMEM;
		goto out;
	}
	p = copy;
	while ((entry = strsep(&p, ",")) != NULL) {
		if (sac_parse_rule(entry, &sac_rules[sac_nrules])) {
			pr_err("devices=: malformed entry '%s' (want DDDD:BB:DD.F=POLICY or VVVV:DDDD=POLICY, POLICY one of auto sac dac dma32 kernel)\n",
			       entry);
			ret = -EINVAL;
			goto out;
		}
		sac_nrules++;
	}
out:
	kfree(copy);
	if (ret) {
		kfree(sac_rules);
		sac_rules = NULL;
		sac_nrules = 0;
	}
	return ret;
}

int sac_params_init(void)
{
	int ret;

	if (sac_policy_parse(default_policy ? default_policy : "", false,
			     &sac_param_default)) {
		pr_err("default_policy=: unknown policy '%s' (want auto, sac, dac, dma32 or kernel)\n",
		       default_policy ? default_policy : "");
		return -EINVAL;
	}
	ret = sac_parse_devices(devices);
	if (ret)
		return ret;
	WRITE_ONCE(sac_default_policy_value, sac_param_default);
	return 0;
}

void sac_params_exit(void)
{
	kfree(sac_rules);
	sac_rules = NULL;
	sac_nrules = 0;
}

enum sac_policy sac_params_default_policy(void)
{
	return sac_param_default;
}

unsigned int sac_params_iova32_max_iovas(void)
{
	return iova32_max_iovas;
}

enum sac_policy sac_params_policy_for(struct device *dev)
{
	enum sac_policy by_id = SAC_POLICY_DEFAULT;
	enum sac_policy by_addr = SAC_POLICY_DEFAULT;
	struct pci_dev *pdev;
	unsigned int i;

	if (!dev_is_pci(dev))
		return SAC_POLICY_DEFAULT;
	pdev = to_pci_dev(dev);
	for (i = 0; i < sac_nrules; i++) {
		const struct sac_rule *r = &sac_rules[i];

		if (r->by_id) {
			if (r->vendor == pdev->vendor &&
			    r->device == pdev->device)
				by_id = r->policy;
		} else if (r->domain == pci_domain_nr(pdev->bus) &&
			   r->bus == pdev->bus->number &&
			   r->devfn == pdev->devfn) {
			by_addr = r->policy;
		}
	}
	return by_addr != SAC_POLICY_DEFAULT ? by_addr : by_id;
}
