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
 * At load they are parsed once; a malformed value fails the load with
 * -EINVAL and a message naming it. The parsed rules live until unload, for
 * devices that appear later.
 *
 * At run time default_policy and devices are also the sysfs control plane
 * (/sys/module/iommu_sac/parameters/, 0644: root writes), which kernel
 * lockdown leaves open where it closes debugfs' writable files, with two
 * write-only (0200) companions:
 *
 *   default_policy   read: the running default; write: as debugfs'
 *   devices          read: the running rule set: the rules as written
 *                    (address rules whose present device has another
 *                    override since left out), then an address rule for
 *                    every device whose override the rules do not give
 *                    (debugfs writes). Write: a whole new rule set (the
 *                    load syntax; empty clears it), applied to every
 *                    present device (its override becomes what the rules
 *                    give it, "default" where none matches) and kept for
 *                    devices added later.
 *   rearm            a device name, or "all"
 *   reset_stats      "1"
 *
 * A bad write is -EINVAL and changes nothing. Writers are serialised by
 * sac_params_lock, held across the swap of the rule set and its
 * application to every device, so two concurrent writers never leave a mix
 * of two rule sets; a device added meanwhile reads the rule set under the
 * table mutex, before or after the swap, and is then overwritten by the
 * application pass. iova32_max_iovas stays read-only.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/mutex.h>
#include <linux/stdarg.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "internal.h"

/*
 * The strings given at load, parsed by sac_params_init(). Set by
 * parse_args() before init runs; after that only through the ops below,
 * which act on the running module instead.
 */
static char *default_policy = "auto";
static char *devices = "";

static const struct kernel_param_ops sac_param_default_ops;
static const struct kernel_param_ops sac_param_devices_ops;
static const struct kernel_param_ops sac_param_rearm_ops;
static const struct kernel_param_ops sac_param_reset_ops;
static const struct kernel_param_ops sac_param_timing_ops;
static const struct kernel_param_ops sac_param_statistics_ops;

/* timing= at load; applied by sac_params_start(). */
static bool timing_at_load;
/* statistics= at load: read by sac_params_init(), before the hook. */
static bool statistics_at_load = true;

module_param_cb(default_policy, &sac_param_default_ops, &default_policy, 0644);
MODULE_PARM_DESC(default_policy,
		 "Policy of devices without an override: auto (default), sac, dac, dma32, kernel");
module_param_cb(devices, &sac_param_devices_ops, &devices, 0644);
MODULE_PARM_DESC(devices,
		 "Per-device policies: DDDD:BB:DD.F=POLICY or VVVV:DDDD=POLICY, comma separated");
module_param_cb(rearm, &sac_param_rearm_ops, NULL, 0200);
MODULE_PARM_DESC(rearm, "Write a device name or 'all' to re-arm (runtime only)");
module_param_cb(reset_stats, &sac_param_reset_ops, NULL, 0200);
MODULE_PARM_DESC(reset_stats, "Write 1 to zero every counter (runtime only)");
module_param_cb(statistics, &sac_param_statistics_ops, NULL, 0644);
MODULE_PARM_DESC(statistics,
		 "Count every allocation: 1 (default) or 0; with 0, on kernels with the per-device bit (6.6+), the hook is not registered while no device needs it (policies auto, dac, kernel)");
module_param_cb(timing, &sac_param_timing_ops, NULL, 0644);
MODULE_PARM_DESC(timing,
		 "Allocation latency timing: 0 (default: off, no cost) or 1; also on while the sac_alloc trace event is enabled");

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

struct sac_rules {
	unsigned int n;
	struct sac_rule r[];
};

/*
 * The rule set. Replaced (never changed in place) under sac_params_lock;
 * read by sac_params_policy_for() under the table mutex, and the old set is
 * freed only after a pass over the table (sac_devtable_for_each() takes
 * that mutex), so no reader still holds it. NULL: no rules.
 */
static struct sac_rules *sac_rules;
static enum sac_policy sac_param_default = SAC_POLICY_AUTO;

/* Serialises runtime writes and guards sac_params_phase. */
static DEFINE_MUTEX(sac_params_lock);
static enum {
	SAC_PARAMS_LOADING,	/* parse_args(): keep the strings */
	SAC_PARAMS_LIVE,	/* init done: act on the running module */
	SAC_PARAMS_GONE,	/* exit begun: -ENODEV */
} sac_params_phase;

/* Exactly @n hex digits at *s, advancing *s. */
static bool sac_parse_hex(const char **s, unsigned int n, u32 *out)
{
	u32 v = 0;
	char c;

	while (n--) {
		/* The byte itself: _tolower() only lowers letters, and made
		 * control bytes digits (0x14 | 0x20 is '4').
		 */
		if (!isxdigit(**s))
			return false;
		c = tolower(**s);
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

/*
 * A rule set from a devices= list; an empty list is an empty set. @quiet:
 * a run-time write, whose refusal is its -EINVAL alone (no kernel message).
 */
static int sac_parse_devices(const char *list, struct sac_rules **out,
			     bool quiet)
{
	struct sac_rules *set;
	char *copy, *p, *entry;
	unsigned int n = 1;
	int ret = 0;

	*out = NULL;
	if (!list || !*list)
		return 0;
	for (p = (char *)list; *p; p++)
		n += *p == ',';
	set = kzalloc(struct_size(set, r, n), GFP_KERNEL);
	copy = kstrdup(list, GFP_KERNEL);
	if (!set || !copy) {
		pr_err("devices=: out of memory for the rule set\n");
		ret = -ENOMEM;
		goto out;
	}
	p = copy;
	while ((entry = strsep(&p, ",")) != NULL) {
		if (sac_parse_rule(entry, &set->r[set->n])) {
			if (!quiet)
				pr_err("devices=: malformed entry '%s' (want DDDD:BB:DD.F=POLICY or VVVV:DDDD=POLICY, POLICY one of auto sac dac dma32 kernel)\n",
				       entry);
			ret = -EINVAL;
			goto out;
		}
		set->n++;
	}
out:
	kfree(copy);
	if (ret)
		kfree(set);
	else
		*out = set;
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
	ret = sac_parse_devices(devices, &sac_rules, false);
	if (ret)
		return ret;
	WRITE_ONCE(sac_default_policy_value, sac_param_default);
	sac_statistics_init(statistics_at_load);
	return 0;
}

void sac_params_start(void)
{
	mutex_lock(&sac_params_lock);
	sac_params_phase = SAC_PARAMS_LIVE;
	if (timing_at_load)
		sac_timing_set(true);
	mutex_unlock(&sac_params_lock);
}

/*
 * Before anything is torn down: the parameter files outlive the module's
 * exit (they go with the module's sysfs directory after it), so from here
 * on runtime writes fail with -ENODEV instead of reaching freed tables.
 */
void sac_params_stop(void)
{
	mutex_lock(&sac_params_lock);
	sac_params_phase = SAC_PARAMS_GONE;
	mutex_unlock(&sac_params_lock);
}

void sac_params_exit(void)
{
	kfree(sac_rules);
	sac_rules = NULL;
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
	for (i = 0; sac_rules && i < sac_rules->n; i++) {
		const struct sac_rule *r = &sac_rules->r[i];

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

/* ---------------------------------------------------------------------- */
/* Runtime writes: the sysfs control plane                                */

/*
 * A write while the module loads. load_module() calls parse_args() before
 * mod_sysfs_setup() (kernel/module/main.c, 6.1 to 7.2), so a call before
 * the module's sysfs directory exists is parse_args() with the load's
 * string, kept for sac_params_init(). Once the directory exists (before
 * init runs), a call is a write to the parameter file: it must neither
 * change the load's parameters nor claim an effect, so -EBUSY until init
 * is done.
 */
static bool sac_params_sysfs_early(void)
{
	return THIS_MODULE->mkobj.kobj.state_in_sysfs;
}

static int sac_param_load_set(const char *val, const struct kernel_param *kp)
{
	return sac_params_sysfs_early() ? -EBUSY : param_set_charp(val, kp);
}

/*
 * The input of a parameter write, copied to buf: one token, the blanks and
 * newline around it stripped (the load syntax has no blanks inside).
 */
static int sac_param_input(const char *val, char *buf, size_t size)
{
	size_t n = val ? strlen(val) : 0;
	char *s;

	if (n >= size)
		return -EINVAL;
	memcpy(buf, val ? val : "", n + 1);
	s = strim(buf);
	memmove(buf, s, strlen(s) + 1);
	return strpbrk(buf, " \t\n") ? -EINVAL : 0;
}

static int sac_param_default_set(const char *val, const struct kernel_param *kp)
{
	char buf[32];
	enum sac_policy p;
	int ret;

	mutex_lock(&sac_params_lock);
	if (sac_params_phase != SAC_PARAMS_LIVE) {
		/* At load: parse_args(); sac_params_init() checks it. */
		ret = sac_params_phase == SAC_PARAMS_LOADING ?
		      sac_param_load_set(val, kp) : -ENODEV;
		goto out;
	}
	ret = sac_param_input(val, buf, sizeof(buf));
	if (!ret)
		ret = sac_policy_parse(buf, false, &p);
	if (!ret)
		ret = sac_set_default_policy(p);
	else
		ret = -EINVAL;
out:
	mutex_unlock(&sac_params_lock);
	return ret;
}

static int sac_param_default_get(char *buffer, const struct kernel_param *kp)
{
	int ret;

	mutex_lock(&sac_params_lock);
	if (sac_params_phase == SAC_PARAMS_LIVE)
		ret = sysfs_emit(buffer, "%s\n",
				 sac_policy_name(sac_default_policy()));
	else
		ret = param_get_charp(buffer, kp);
	mutex_unlock(&sac_params_lock);
	return ret;
}

static void sac_param_apply_one(struct sac_dev *sd, void *unused)
{
	__sac_dev_set_policy(sd, sac_params_policy_for(sd->dev));
}

/* Does a rule set hold a policy that needs the hook (sac, dma32)? */
static bool sac_rules_need_hook(const struct sac_rules *set)
{
	unsigned int i;

	for (i = 0; set && i < set->n; i++)
		if (sac_policy_needs_hook(set->r[i].policy))
			return true;
	return false;
}

/* Longest devices= value accepted at run time (what a read can return). */
#define SAC_DEVICES_MAX		(PAGE_SIZE - 1)

static int sac_param_devices_set(const char *val, const struct kernel_param *kp)
{
	struct sac_rules *set, *old;
	char *buf = NULL;
	int ret;

	mutex_lock(&sac_params_lock);
	if (sac_params_phase != SAC_PARAMS_LIVE) {
		ret = sac_params_phase == SAC_PARAMS_LOADING ?
		      sac_param_load_set(val, kp) : -ENODEV;
		goto out;
	}
	ret = -ENOMEM;
	buf = kmalloc(SAC_DEVICES_MAX, GFP_KERNEL);
	if (!buf)
		goto out;
	ret = sac_param_input(val, buf, SAC_DEVICES_MAX);
	if (!ret)
		ret = sac_parse_devices(buf, &set, true);
	if (ret) {
		ret = ret == -ENOMEM ? ret : -EINVAL;
		goto out;
	}
	if (sac_rules_need_hook(set)) {
		ret = sac_hook_require();
		if (ret) {
			kfree(set);
			goto out;
		}
	}
	old = sac_rules;
	/* Pairs with the table mutex in sac_params_policy_for()'s callers. */
	WRITE_ONCE(sac_rules, set);
	sac_devtable_for_each(sac_param_apply_one, NULL);
	kfree(old);
	sac_hook_relax();
out:
	mutex_unlock(&sac_params_lock);
	kfree(buf);
	return ret;
}

struct sac_param_emit {
	char *buf;
	int len;
	int err;
	bool *stale;		/* per rule: its device is here with another override */
};

__printf(2, 3) static void sac_param_emit(struct sac_param_emit *e,
					  const char *fmt, ...)
{
	va_list ap;
	int n;

	if (e->err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(e->buf + e->len, PAGE_SIZE - e->len, fmt, ap);
	va_end(ap);
	if (n >= PAGE_SIZE - 1 - e->len)
		e->err = -E2BIG;
	else
		e->len += n;
}

/* Address rules whose present device was given another override since. */
static void sac_param_mark_stale(struct sac_dev *sd, void *arg)
{
	struct sac_param_emit *e = arg;
	struct sac_dev_info info;
	struct pci_dev *pdev;
	unsigned int i;

	if (!dev_is_pci(sd->dev))
		return;
	pdev = to_pci_dev(sd->dev);
	sac_dev_info(sd, &info);
	for (i = 0; i < sac_rules->n; i++) {
		const struct sac_rule *r = &sac_rules->r[i];

		if (!r->by_id && r->domain == pci_domain_nr(pdev->bus) &&
		    r->bus == pdev->bus->number && r->devfn == pdev->devfn &&
		    r->policy != info.policy)
			e->stale[i] = true;
	}
}

/* An override the rule set does not give (set through debugfs or rearm). */
static void sac_param_emit_override(struct sac_dev *sd, void *arg)
{
	struct sac_param_emit *e = arg;
	struct sac_dev_info info;

	sac_dev_info(sd, &info);
	if (info.pci && info.policy != SAC_POLICY_DEFAULT &&
	    info.policy != sac_params_policy_for(sd->dev))
		sac_param_emit(e, "%s%s=%s", e->len ? "," : "", sac_dev_name(sd),
			       sac_policy_name(info.policy));
}

/*
 * The running rule set: the rules as written (the ID rules, and the address
 * rules whose device is absent or still has that policy), then an address
 * rule for every device whose override the rules do not give. Right after a
 * write, or a load, it reads back exactly what was written.
 */
static int sac_param_devices_get(char *buffer, const struct kernel_param *kp)
{
	struct sac_param_emit e = { .buf = buffer };
	unsigned int i;

	mutex_lock(&sac_params_lock);
	if (sac_params_phase != SAC_PARAMS_LIVE) {
		mutex_unlock(&sac_params_lock);
		return param_get_charp(buffer, kp);
	}
	if (sac_rules) {
		e.stale = kcalloc(sac_rules->n, sizeof(*e.stale), GFP_KERNEL);
		if (!e.stale) {
			mutex_unlock(&sac_params_lock);
			return -ENOMEM;
		}
		sac_devtable_for_each(sac_param_mark_stale, &e);
	}
	for (i = 0; sac_rules && i < sac_rules->n; i++) {
		const struct sac_rule *r = &sac_rules->r[i];

		if (r->by_id)
			sac_param_emit(&e, "%s%04x:%04x=%s", e.len ? "," : "",
				       r->vendor, r->device,
				       sac_policy_name(r->policy));
		else if (!e.stale[i])
			sac_param_emit(&e, "%s%04x:%02x:%02x.%x=%s",
				       e.len ? "," : "", r->domain, r->bus,
				       PCI_SLOT(r->devfn), PCI_FUNC(r->devfn),
				       sac_policy_name(r->policy));
	}
	sac_devtable_for_each(sac_param_emit_override, &e);
	mutex_unlock(&sac_params_lock);
	kfree(e.stale);
	if (e.err)
		return e.err;
	buffer[e.len++] = '\n';
	buffer[e.len] = '\0';
	return e.len;
}

/*
 * The write-only parameters act on the running module only: 0 when live
 * (with sac_params_lock held), else the error, the lock released.
 */
static int sac_param_runtime_begin(const struct kernel_param *kp)
{
	mutex_lock(&sac_params_lock);
	if (sac_params_phase == SAC_PARAMS_LIVE)
		return 0;
	if (sac_params_phase == SAC_PARAMS_LOADING && sac_params_sysfs_early()) {
		mutex_unlock(&sac_params_lock);
		return -EBUSY;
	}
	if (sac_params_phase == SAC_PARAMS_LOADING)
		pr_err("%s=: only at run time (write it to /sys/module/iommu_sac/parameters/%s)\n",
		       kp->name, kp->name);
	mutex_unlock(&sac_params_lock);
	return sac_params_phase == SAC_PARAMS_GONE ? -ENODEV : -EINVAL;
}

static int sac_param_rearm_set(const char *val, const struct kernel_param *kp)
{
	char buf[64];
	int ret;

	ret = sac_param_runtime_begin(kp);
	if (ret)
		return ret;
	ret = -EINVAL;
	if (!sac_param_input(val, buf, sizeof(buf)) && *buf &&
	    (!strcmp(buf, "all") || !sac_rearm_by_name(buf))) {
		if (!strcmp(buf, "all"))
			sac_rearm_all();
		ret = 0;
	}
	mutex_unlock(&sac_params_lock);
	return ret;
}

static int sac_param_reset_set(const char *val, const struct kernel_param *kp)
{
	char buf[8];
	int ret;

	ret = sac_param_runtime_begin(kp);
	if (ret)
		return ret;
	ret = -EINVAL;
	if (!sac_param_input(val, buf, sizeof(buf)) && !strcmp(buf, "1")) {
		sac_stats_reset();
		ret = 0;
	}
	mutex_unlock(&sac_params_lock);
	return ret;
}

static const struct kernel_param_ops sac_param_default_ops = {
	.set	= sac_param_default_set,
	.get	= sac_param_default_get,
	.free	= param_free_charp,
};

static const struct kernel_param_ops sac_param_devices_ops = {
	.set	= sac_param_devices_set,
	.get	= sac_param_devices_get,
	.free	= param_free_charp,
};

/*
 * A "0" or "1" parameter, at load and at run time. At load (parse_args())
 * the value is kept in *at_load and a bad one fails the load with a
 * message; once the module's sysfs directory exists and until init is
 * done, a write is -EBUSY (it must not reach the load in progress); at run
 * time live() applies it, and a bad value is -EINVAL without a message
 * (docs/interfaces.md: run-time errors are the write's errno).
 */
static int sac_param_bool_set(const char *val, const struct kernel_param *kp,
			      bool *at_load, int (*live)(bool on))
{
	char buf[8];
	bool ok, on;
	int ret;

	ok = !sac_param_input(val, buf, sizeof(buf)) &&
	     (!strcmp(buf, "0") || !strcmp(buf, "1"));
	on = ok && *buf == '1';
	mutex_lock(&sac_params_lock);
	switch (sac_params_phase) {
	case SAC_PARAMS_LOADING:
		if (sac_params_sysfs_early()) {
			ret = -EBUSY;
		} else if (!ok) {
			pr_err("%s=: '%s' is not 0 or 1\n", kp->name,
			       val ? val : "");
			ret = -EINVAL;
		} else {
			*at_load = on;
			ret = 0;
		}
		break;
	case SAC_PARAMS_LIVE:
		ret = ok ? live(on) : -EINVAL;
		break;
	default:
		ret = -ENODEV;
		break;
	}
	mutex_unlock(&sac_params_lock);
	return ret;
}

static int sac_param_timing_live(bool on)
{
	sac_timing_set(on);
	return 0;
}

static int sac_param_timing_set(const char *val, const struct kernel_param *kp)
{
	return sac_param_bool_set(val, kp, &timing_at_load,
				  sac_param_timing_live);
}

static int sac_param_timing_get(char *buffer, const struct kernel_param *kp)
{
	bool on;

	mutex_lock(&sac_params_lock);
	on = sac_params_phase == SAC_PARAMS_LIVE ? sac_timing_switched_on() :
						   timing_at_load;
	mutex_unlock(&sac_params_lock);
	return sysfs_emit(buffer, "%d\n", on);
}

static int sac_param_statistics_set(const char *val,
				    const struct kernel_param *kp)
{
	return sac_param_bool_set(val, kp, &statistics_at_load,
				  sac_statistics_set);
}

static int sac_param_statistics_get(char *buffer,
				    const struct kernel_param *kp)
{
	bool on;

	mutex_lock(&sac_params_lock);
	on = sac_params_phase == SAC_PARAMS_LIVE ? sac_statistics_on() :
						   statistics_at_load;
	mutex_unlock(&sac_params_lock);
	return sysfs_emit(buffer, "%d\n", on);
}

static const struct kernel_param_ops sac_param_statistics_ops = {
	.set	= sac_param_statistics_set,
	.get	= sac_param_statistics_get,
};

static const struct kernel_param_ops sac_param_timing_ops = {
	.set	= sac_param_timing_set,
	.get	= sac_param_timing_get,
};

static const struct kernel_param_ops sac_param_rearm_ops = {
	.set	= sac_param_rearm_set,
};

static const struct kernel_param_ops sac_param_reset_ops = {
	.set	= sac_param_reset_set,
};
