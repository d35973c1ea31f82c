// SPDX-License-Identifier: GPL-2.0
/*
 * iommu-sac test driver: hold a module's unload in the kernel's window
 * between "no reference left" and "going".
 *
 * delete_module() drops the module's last reference, then marks it going
 * (kernel/module/main.c, try_stop_module() inlined into the syscall):
 *
 *	if (try_release_module_ref(mod) != 0) {     atomic_sub_return() on refcnt
 *		...
 *	}
 *	mod->state = MODULE_STATE_GOING;
 *
 * Between the two, try_module_get() fails while the state still says live.
 * An open of the module's debugfs file there reaches debugfs's proxy open,
 * whose fops_get() fails, and full_proxy_open() takes the failure for a
 * module that "did not clean up at exit": a WARNING (fs/debugfs/file.c). On
 * bare metal the window is a few instructions; this module makes it
 * hold_ms wide, so a test can open files in it on purpose.
 *
 * How: a kprobe on the store of MODULE_STATE_GOING. The driver finds it in
 * __do_sys_delete_module (x86-64; __x64_sys_delete_module where that is
 * inlined): the first "movl $2, (reg)" after the
 * "lock xadd" of the reference count. The kprobe's handler runs before the
 * store; if the module being removed is @target, still live, and
 * try_module_get() fails on it (which proves the window), it spins for
 * hold_ms with the vCPU's interrupts off. The other vCPUs run on.
 *
 * Parameters: target (module name, default iommu_sac), hold_ms (1..2000,
 * default 300). Read-only counters in /sys/module/sac_unload_race/
 * parameters/: held (windows held open), missed (probe hits on @target
 * outside the window: the probe is not where this driver thinks), holding
 * (1 while a window is held).
 *
 * Test equipment, x86-64 only (tests/drivers/Kbuild): it patches the
 * kernel's unload path.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/uaccess.h>

static char target[MODULE_NAME_LEN] = "iommu_sac";
module_param_string(target, target, sizeof(target), 0444);
MODULE_PARM_DESC(target, "the module whose unload is held (default iommu_sac)");

static unsigned int hold_ms = 300;
module_param(hold_ms, uint, 0444);
MODULE_PARM_DESC(hold_ms, "how long the window is held, 1..2000 ms (default 300)");

static unsigned int held;
module_param(held, uint, 0444);
MODULE_PARM_DESC(held, "unloads of target held in the window (read only)");

static unsigned int missed;
module_param(missed, uint, 0444);
MODULE_PARM_DESC(missed, "probe hits on target outside the window (read only)");

static unsigned int holding;
module_param(holding, uint, 0444);
MODULE_PARM_DESC(holding, "1 while the window is held (read only)");

/* How far into that function the store may be (6.1..7.2: < 0x2c0). */
#define RACE_SCAN_MAX	1024
/* How far the store may follow the refcount's lock xadd (6.1..7.2: 0x42). */
#define RACE_XADD_DIST	128

/* pt_regs offsets of the x86-64 registers a ModRM rm field names, 0..15. */
static const unsigned int race_reg_offs[16] = {
	offsetof(struct pt_regs, ax), offsetof(struct pt_regs, cx),
	offsetof(struct pt_regs, dx), offsetof(struct pt_regs, bx),
	0, 0, /* rsp (SIB) and rbp (disp8) never name "(reg)" with mod 00 */
	offsetof(struct pt_regs, si), offsetof(struct pt_regs, di),
	offsetof(struct pt_regs, r8), offsetof(struct pt_regs, r9),
	offsetof(struct pt_regs, r10), offsetof(struct pt_regs, r11),
	offsetof(struct pt_regs, r12), offsetof(struct pt_regs, r13),
	offsetof(struct pt_regs, r14), offsetof(struct pt_regs, r15),
};

static unsigned int race_reg_off;

static int race_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct module *mod;

	mod = (struct module *)regs_get_register(regs, race_reg_off);
	if (strcmp(mod->name, target))
		return 0;
	if (mod->state != MODULE_STATE_LIVE) {
		WRITE_ONCE(missed, missed + 1);
		return 0;
	}
	if (try_module_get(mod)) {
		module_put(mod);
		WRITE_ONCE(missed, missed + 1);
		return 0;
	}
	WRITE_ONCE(held, held + 1);
	WRITE_ONCE(holding, 1);
	mdelay(hold_ms);
	WRITE_ONCE(holding, 0);
	return 0;
}

static struct kprobe race_kp = {
	.pre_handler = race_pre,
};

/*
 * Find the GOING store: "c7 /0 02 00 00 00" with mod 00 (an optional REX.B
 * prefix 41 for r8..r15), after a "f0 0f c1" (lock xadd) at most
 * RACE_XADD_DIST bytes before it. Returns its address or NULL.
 */
static void *race_find_store(const u8 *fn)
{
	u8 code[RACE_SCAN_MAX];
	int i, xadd = -1;

	if (copy_from_kernel_nofault(code, fn, sizeof(code)))
		return NULL;
	for (i = 0; i + 6 <= RACE_SCAN_MAX; i++) {
		u8 rm = code[i + 1] & 7;

		if (code[i] == 0xf0 && code[i + 1] == 0x0f &&
		    code[i + 2] == 0xc1) {
			xadd = i;
			continue;
		}
		if (xadd < 0 || i - xadd > RACE_XADD_DIST)
			continue;
		if (code[i] != 0xc7 || (code[i + 1] & 0xf8) || rm == 4 ||
		    rm == 5 || code[i + 2] != 2 || code[i + 3] || code[i + 4] ||
		    code[i + 5])
			continue;
		if (i > 0 && code[i - 1] == 0x41) {
			race_reg_off = race_reg_offs[rm + 8];
			return (void *)(fn + i - 1);
		}
		race_reg_off = race_reg_offs[rm];
		return (void *)(fn + i);
	}
	return NULL;
}

/*
 * Where delete_module()'s body is: __do_sys_delete_module, or, where the
 * compiler inlined that into its syscall wrapper (the 6.1 debug lane's
 * kernel), __x64_sys_delete_module.
 */
static const char * const race_fns[] = {
	"__do_sys_delete_module", "__x64_sys_delete_module",
};

static int __init race_init(void)
{
	struct kprobe probe;
	void *store;
	int i, ret = -ENOENT;

	if (hold_ms < 1 || hold_ms > 2000) {
		pr_err("hold_ms=%u: must be 1..2000\n", hold_ms);
		return -EINVAL;
	}
	/* The first that exists; a kprobe resolves the static symbol. */
	for (i = 0; i < ARRAY_SIZE(race_fns); i++) {
		memset(&probe, 0, sizeof(probe));
		probe.symbol_name = race_fns[i];
		ret = register_kprobe(&probe);
		if (!ret)
			break;
	}
	if (ret) {
		pr_err("cannot find %s or %s: %d\n", race_fns[0], race_fns[1], ret);
		return ret;
	}
	store = race_find_store((const u8 *)probe.addr);
	unregister_kprobe(&probe);
	if (!store) {
		pr_err("no MODULE_STATE_GOING store after a lock xadd in %s\n",
		       race_fns[i]);
		return -ENOENT;
	}
	race_kp.addr = store;
	ret = register_kprobe(&race_kp);
	if (ret) {
		pr_err("kprobe at %pS: %d\n", store, ret);
		return ret;
	}
	pr_info("holding %s's unload for %u ms at %pS\n", target, hold_ms, store);
	return 0;
}

static void __exit race_exit(void)
{
	unregister_kprobe(&race_kp);
}

module_init(race_init);
module_exit(race_exit);
MODULE_DESCRIPTION("iommu-sac test driver: widen the unload window of a module");
MODULE_LICENSE("GPL");
