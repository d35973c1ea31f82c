// SPDX-License-Identifier: GPL-2.0
/*
 * sacctl save: the running policies of iommu_sac as a modprobe.d file, so
 * that a reload or a reboot brings back exactly what runs now.
 *
 * What is saved: the default policy; the vendor:device rules given at load
 * (module parameter devices=), which also cover devices that appear later;
 * an address rule for every device whose override is not "default" (an
 * address rule beats an ID rule, docs/interfaces.md); iova32_max_iovas
 * when it is not the default. A device whose override was reset to
 * "default" while an ID rule matches it cannot be written (devices= has no
 * "default"): save says so and exits 1 without writing.
 *
 * The file is replaced atomically (outfile.c). --dry-run prints the
 * difference to the file in place (a unified diff) and writes nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sacctl.h"

#define SAVE_FILE		"/etc/modprobe.d/iommu-sac.conf"
#define SAVE_MAX		(64 * 1024)
#define IOVA32_MAX_DEFAULT	"1048576"

struct save_buf {
	char *s;
	size_t len, size;
};

__printf(2, 3) static void sb_add(struct save_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!b->s)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->s + b->len, b->size - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->size - b->len) {
		free(b->s);	/* too long: reported by the caller */
		b->s = NULL;
		return;
	}
	b->len += n;
}

/* A sysfs attribute of the module or of a PCI device, one line. */
static int read_sysfs(const char *rel, char *buf, size_t size)
{
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", sacfs_sysfs_root(), rel);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* "8086" from a sysfs "0x8086" file; false if unreadable. */
static bool pci_id(const char *dev, const char *attr, char *out)
{
	char rel[256], v[32];

	snprintf(rel, sizeof(rel), "bus/pci/devices/%s/%s", dev, attr);
	if (read_sysfs(rel, v, sizeof(v)) || strncmp(v, "0x", 2) ||
	    strlen(v) != 6)
		return false;
	memcpy(out, v + 2, 5);
	return true;
}

/*
 * The load-time rules of devices= that the device table cannot show,
 * comma-joined into ids: every ID rule (VVVV:DDDD=POLICY), and the address
 * rules of devices not present now (a present device's override is saved
 * from its state instead).
 */
static void id_rules(char *ids, size_t size)
{
	char param[4096], *tok, *save = NULL;
	size_t len = 0;

	ids[0] = '\0';
	if (read_sysfs("module/iommu_sac/parameters/devices", param,
		       sizeof(param)))
		return;
	for (tok = strtok_r(param, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		const char *eq = strchr(tok, '=');
		char addr[SAC_NAME_MAX];

		if (!eq)
			continue;
		if (eq - tok != 9 || tok[4] != ':') {
			/* An address rule: DDDD:BB:DD.F=POLICY. */
			snprintf(addr, sizeof(addr), "%.*s", (int)(eq - tok), tok);
			if (!sac_parse_pci(addr, addr, sizeof(addr)) ||
			    sacfs_dev_exists(addr))
				continue;
		}
		len += snprintf(ids + len, size - len, "%s%s",
				len ? "," : "", tok);
		if (len >= size) {
			ids[size - 1] = '\0';
			return;
		}
	}
}

/* The policy an ID rule in ids gives dev (the last match), or NULL. */
static const char *id_match(const char *ids, const char *dev, char *buf,
			    size_t size)
{
	char ven[8] = "", did[8] = "", key[16];
	const char *p, *hit = NULL;

	if (!pci_id(dev, "vendor", ven) || !pci_id(dev, "device", did))
		return NULL;
	snprintf(key, sizeof(key), "%s:%s=", ven, did);
	for (p = ids; (p = strcasestr(p, key)); p++)
		if (p == ids || p[-1] == ',')
			hit = p + strlen(key);
	if (!hit)
		return NULL;
	snprintf(buf, size, "%.*s", (int)strcspn(hit, ","), hit);
	return buf;
}

/* The file's new content; NULL after an error was reported. */
static char *save_content(const char *path, int *code)
{
	char def[SAC_VAL_MAX], ids[2048], addrs[4096] = "", version[64];
	char max[32] = IOVA32_MAX_DEFAULT, when[64], idp[SAC_NAME_MAX];
	char (*names)[SAC_NAME_MAX] = NULL;
	struct save_buf b = { .size = SAVE_MAX };
	size_t alen = 0;
	time_t now = time(NULL);
	int i, n, ret;

	*code = ctl_read_default(def, sizeof(def));
	if (!*code)
		*code = sacfs_read_line("version", version, sizeof(version));
	if (!*code)
		*code = sacfs_list_devs(&names, &n);
	if (*code)
		return NULL;
	id_rules(ids, sizeof(ids));
	read_sysfs("module/iommu_sac/parameters/iova32_max_iovas", max,
		   sizeof(max));
	for (i = 0; i < n; i++) {
		char rel[SAC_NAME_MAX + 32];
		const char *pol, *idpol;
		struct sac_kvs st;

		snprintf(rel, sizeof(rel), "devices/%s/state", names[i]);
		ret = sacfs_read_kvs(rel, &st);
		if (ret) {
			*code = ret;
			goto out;
		}
		pol = kvs_get(&st, "policy");
		if (!pol || !sac_policy_valid(pol, true)) {
			*code = sacctl_err(SACCTL_EFAIL,
					   "%s: no valid policy in its state file",
					   names[i]);
			goto out;
		}
		idpol = id_match(ids, names[i], idp, sizeof(idp));
		if (!strcmp(pol, "default")) {
			if (!idpol)
				continue;
			*code = sacctl_err(SACCTL_EFAIL,
					   "%s follows the default policy, but the load-time rule for its ID gives it '%s' after a reload; set its policy explicitly (sacctl set %s %s) and save again",
					   names[i], idpol, names[i], def);
			goto out;
		}
		alen += snprintf(addrs + alen, sizeof(addrs) - alen, "%s%s=%s",
				 alen ? "," : "", names[i], pol);
		if (alen >= sizeof(addrs)) {
			*code = sacctl_err(SACCTL_EFAIL, "too many overrides to save");
			goto out;
		}
	}

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", localtime(&now));
	b.s = malloc(b.size);
	sb_add(&b, "# %s: generated by sacctl save on %s\n", path, when);
	sb_add(&b, "# from the policies iommu_sac %s was running. A reload of the module\n",
	       version);
	sb_add(&b, "# or a reboot applies them; sacctl save replaces this file.\n");
	sb_add(&b, "# Format: modprobe.d(5) and docs/interfaces.md (module parameters).\n");
	sb_add(&b, "options iommu_sac default_policy=%s", def);
	if (*ids || *addrs)
		sb_add(&b, " devices=%s%s%s", ids, *ids && *addrs ? "," : "",
		       addrs);
	if (strcmp(max, IOVA32_MAX_DEFAULT))
		sb_add(&b, " iova32_max_iovas=%s", max);
	sb_add(&b, "\n");
	if (!b.s)
		*code = sacctl_err(SACCTL_EFAIL, "the saved configuration is too long");
out:
	free(names);
	return *code ? NULL : b.s;
}

/* Lines of a text, split in place. */
static int split_lines(char *s, char ***lines)
{
	int n = 0, cap = 16;
	char **v = malloc(cap * sizeof(*v)), *p = s;

	if (!v)
		return -1;
	while (*p) {
		char *nl = strchr(p, '\n');

		if (n == cap) {
			char **w = realloc(v, 2 * cap * sizeof(*v));

			if (!w) {
				free(v);
				return -1;
			}
			v = w;
			cap *= 2;
		}
		v[n++] = p;
		if (!nl)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	*lines = v;
	return n;
}

/*
 * A unified diff of old and new (whole files as one hunk: they are short),
 * from the longest common subsequence of their lines.
 */
static int print_diff(const char *path, char *old, char *new)
{
	char **a = NULL, **b = NULL;
	int na, nb, i, j, ret = SACCTL_EFAIL;
	unsigned short *l = NULL;

	na = split_lines(old, &a);
	nb = split_lines(new, &b);
	if (na < 0 || nb < 0 || na > 2000 || nb > 2000)
		goto out;
	l = calloc((size_t)(na + 1) * (nb + 1), sizeof(*l));
	if (!l)
		goto out;
#define L(x, y) l[(size_t)(x) * (nb + 1) + (y)]
	for (i = na - 1; i >= 0; i--)
		for (j = nb - 1; j >= 0; j--)
			L(i, j) = !strcmp(a[i], b[j]) ? L(i + 1, j + 1) + 1 :
				  L(i + 1, j) > L(i, j + 1) ? L(i + 1, j) :
				  L(i, j + 1);
	printf("--- %s\n+++ %s (sacctl save)\n@@ -%d,%d +%d,%d @@\n", path, path,
	       na ? 1 : 0, na, nb ? 1 : 0, nb);
	for (i = 0, j = 0; i < na || j < nb;) {
		if (i < na && j < nb && !strcmp(a[i], b[j])) {
			printf(" %s\n", a[i++]);
			j++;
		} else if (j < nb && (i == na || L(i, j + 1) >= L(i + 1, j))) {
			printf("+%s\n", b[j++]);
		} else {
			printf("-%s\n", a[i++]);
		}
	}
#undef L
	ret = SACCTL_OK;
out:
	free(l);
	free(a);
	free(b);
	return ret == SACCTL_OK ? ret :
	       sacctl_err(SACCTL_EFAIL, "--dry-run: cannot compare with %s", path);
}

/* The file in place, or "" when there is none; NULL after an error. */
static char *read_current(const char *path)
{
	char *buf = calloc(1, SAVE_MAX + 1);
	FILE *f;
	size_t n;

	if (!buf) {
		sacctl_err(SACCTL_EFAIL, "out of memory");
		return NULL;
	}
	f = fopen(path, "r");
	if (!f) {
		if (errno == ENOENT)
			return buf;
		sacctl_err(SACCTL_EFAIL, "%s: %s", path, strerror(errno));
		free(buf);
		return NULL;
	}
	n = fread(buf, 1, SAVE_MAX, f);
	if (ferror(f) || !feof(f)) {
		sacctl_err(SACCTL_EFAIL, "%s: %s", path,
			   ferror(f) ? strerror(errno) : "larger than 64 KiB");
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	return buf;
}

int cmd_save(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "file", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = SAVE_FILE;
	bool dry = false;
	char *content, *cur;
	struct out_file of;
	int c, ret;

	while ((c = sacctl_getopt(argc, argv, "nf:", longopts, argv[0],
				  &ret)) != -1) {
		if (c == -2)
			return ret;
		if (c == 'n')
			dry = true;
		else
			path = optarg;
	}
	if (optind < argc)
		return sacctl_err(SACCTL_EUSAGE, "save: unexpected argument '%s'",
				  argv[optind]);
	if (!*path)
		return sacctl_err(SACCTL_EUSAGE, "save: --file needs a path");
	if (dry && jw)
		return sacctl_err(SACCTL_EUSAGE, "save: --dry-run prints a diff, not JSON");
	ret = sacfs_check();
	if (ret)
		return ret;
	content = save_content(path, &ret);
	if (!content)
		return ret;
	if (dry) {
		cur = read_current(path);
		ret = cur ? print_diff(path, cur, content) : SACCTL_EFAIL;
		free(cur);
		free(content);
		return ret;
	}
	ret = out_file_begin(&of, path);
	if (!ret) {
		fputs(content, stdout);
		ret = out_file_commit(&of);
	}
	free(content);
	if (ret)
		return ret;
	if (jw) {
		jsonw_start_object(jw);
		jsonw_string_field(jw, "saved", path);
		jsonw_end_object(jw);
	} else {
		printf("saved the running policies to %s\n", path);
	}
	return SACCTL_OK;
}
