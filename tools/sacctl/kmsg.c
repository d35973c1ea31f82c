// SPDX-License-Identifier: GPL-2.0
/*
 * sacctl: IOMMU DMA faults in the kernel log, for the fault rule of
 * "sacctl advise".
 *
 * The log is read with klogctl(SYSLOG_ACTION_READ_ALL) (root, or
 * kernel.dmesg_restrict=0), or from the file named by $SACCTL_KMSG, in
 * the same format or dmesg's (for the unit tests). A line may start with
 * a "<N>" level and a "[seconds.micros]" time stamp: printk's local_clock,
 * seconds since boot that do not advance during suspend.
 *
 * The lines recognised are what the supported kernels print (checked in
 * the Debian sources of 6.1, 6.12 and 7.2):
 *
 *   Intel VT-d, drivers/iommu/intel/dmar.c dmar_fault_do_one():
 *     DMAR: [DMA Read NO_PASID] Request device [00:05.0] fault addr 0xf000 [fault reason 0x06] PTE Read access is not set
 *     DMAR: [DMA Write PASID 0x1] Request device [00:05.0] fault addr ...
 *   with the PCI segment from 7.2 on: Request device [0000:00:05.0].
 *   "[INTR-REMAP]" faults are interrupt remapping, not DMA: not counted.
 *
 *   AMD-Vi, drivers/iommu/amd/iommu.c amd_iommu_report_page_fault():
 *     nvme 0000:05:00.0: AMD-Vi: Event logged [IO_PAGE_FAULT domain=0x000b address=0xfff000 flags=0x0020]
 *     AMD-Vi: Event logged [IO_PAGE_FAULT device=0000:05:00.0 domain=0x000b address=... flags=...]
 *   (the second when the IOMMU has no device for the requester ID; older
 *   kernels print device=05:00.0).
 *
 *   Arm SMMUv3, drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c
 *   arm_smmu_evtq_thread() (6.1, 6.12), arm_smmu_dump_raw_event() (7.2):
 *     arm-smmu-v3 9050000.smmuv3: event 0x10 received:
 *     arm-smmu-v3 9050000.smmuv3: \t0x0000002800000010
 *   and three more raw dwords; dword 0 holds the StreamID in bits 63:32,
 *   dword 2 the input address (the IOVA). Events 0x10-0x13 (translation,
 *   address size, access, permission) are DMA faults. The StreamID is
 *   taken as the PCI requester ID in segment 0000, which it is where the
 *   SMMU's iommu-map is the identity (QEMU virt, the arm64 test machine).
 *   7.2 decodes the event in further lines ("event: F_TRANSLATION client:
 *   0000:00:05.0 sid: 0x28 ..."): not counted again.
 *
 * A device printed without its PCI segment is taken to be in segment 0000:
 * on 6.1 and 6.12 a VT-d fault in another segment cannot be told apart and
 * is attributed to no device there. Both drivers rate-limit these lines,
 * so a count is a lower bound.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>

#include "sacctl.h"

#ifndef SYSLOG_ACTION_READ_ALL
#define SYSLOG_ACTION_READ_ALL		3	/* include/linux/syslog.h */
#endif
#ifndef SYSLOG_ACTION_SIZE_BUFFER
#define SYSLOG_ACTION_SIZE_BUFFER	10
#endif

#define KMSG_LINE_MAX	1024
#define KMSG_FILE_MAX	(64u << 20)	/* a test file, not a real log */

/* The text after an optional "<N>" and "[ seconds]"; *ts < 0 without. */
static const char *kmsg_prefix(const char *line, double *ts)
{
	const char *p = line, *q;
	char *end;
	double t;

	*ts = -1;
	if (*p == '<') {
		q = strchr(p, '>');
		if (q)
			p = q + 1;
	}
	if (*p != '[')
		return p;
	q = p + 1;
	while (*q == ' ')
		q++;
	if (*q < '0' || *q > '9')
		return p;
	t = strtod(q, &end);
	if (*end != ']')
		return p;
	*ts = t;
	p = end + 1;
	return *p == ' ' ? p + 1 : p;
}

/* A PCI name at s up to one of the characters in stop, normalised. */
static bool kmsg_pci(const char *s, const char *stop, char *out, size_t size)
{
	size_t n = strcspn(s, stop);
	char buf[32];

	if (!n || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return sac_parse_pci(buf, out, size);
}

/* The device of a dev_printk() prefix, "<driver> 0000:05:00.0: ". */
static bool kmsg_dev_prefix(const char *msg, const char *until, char *out,
			    size_t size)
{
	const char *p = msg, *e;
	char tok[32];
	size_t n;

	while (p < until) {
		e = p + strcspn(p, " ");
		if (e > until)
			e = until;
		n = e - p;
		if (n > 1 && n < sizeof(tok) && p[n - 1] == ':') {
			memcpy(tok, p, n - 1);
			tok[n - 1] = '\0';
			/* dev_name() of PCI always carries the segment. */
			if (strchr(tok, ':') != strrchr(tok, ':') &&
			    sac_parse_pci(tok, out, size))
				return true;
		}
		p = e + 1;
	}
	return false;
}

static void kmsg_addr(const char *key, const char *from, struct sac_fault *f)
{
	const char *a = strstr(from, key);
	char *end;

	if (!a)
		return;
	a += strlen(key);
	f->addr = strtoull(a, &end, 16);
	f->has_addr = end != a;
}

bool kmsg_parse_fault(const char *line, struct sac_fault *f)
{
	static const char req[] = "] Request device [";
	const char *msg, *p, *q, *d;

	memset(f, 0, sizeof(*f));
	msg = kmsg_prefix(line, &f->ts);

	/* Intel VT-d */
	p = strstr(msg, "[DMA Read");
	if (!p)
		p = strstr(msg, "[DMA Write");
	if (p) {
		q = strstr(p, req);
		if (!q || !kmsg_pci(q + strlen(req), "]", f->dev,
				    sizeof(f->dev)))
			return false;
		kmsg_addr("fault addr ", q, f);
		return true;
	}

	/* AMD-Vi */
	p = strstr(msg, "[IO_PAGE_FAULT");
	if (!p)
		return false;
	d = strstr(p, "device=");
	q = strchr(p, ']');
	if (d && (!q || d < q)) {
		if (!kmsg_pci(d + strlen("device="), " ]", f->dev,
			      sizeof(f->dev)))
			return false;
	} else if (!kmsg_dev_prefix(msg, p, f->dev, sizeof(f->dev))) {
		return false;
	}
	kmsg_addr("address=", p, f);
	return true;
}

bool kmsg_smmu_line(struct kmsg_smmu *s, const char *line,
		    struct sac_fault *out)
{
	static const char pre[] = "arm-smmu-v3 ";
	unsigned long long v, sid;
	const char *msg, *p;
	unsigned long id;
	char *end;
	double ts;

	msg = kmsg_prefix(line, &ts);
	if (strncmp(msg, pre, sizeof(pre) - 1))
		return false;
	p = strchr(msg + sizeof(pre) - 1, ' ');
	if (!p || p[-1] != ':')
		return false;
	p++;
	if (!strncmp(p, "event 0x", 8)) {
		id = strtoul(p + 8, &end, 16);
		memset(s, 0, sizeof(*s));
		s->pending = end != p + 8 && !strncmp(end, " received:", 10) &&
			     id >= 0x10 && id <= 0x13;
		s->f.ts = ts;
		return false;
	}
	if (!s->pending)
		return false;
	while (*p == ' ' || *p == '\t')
		p++;
	if (strncmp(p, "0x", 2))
		return false;
	v = strtoull(p + 2, &end, 16);
	if (end != p + 18)
		return false;
	if (s->raw == 0) {
		sid = v >> 32;
		snprintf(s->f.dev, sizeof(s->f.dev), "0000:%02llx:%02llx.%llu",
			 (sid >> 8) & 0xff, (sid >> 3) & 0x1f, sid & 7);
	} else if (s->raw == 2) {
		s->f.addr = v;
		s->f.has_addr = true;
		*out = s->f;
		s->pending = false;
		return true;
	}
	s->raw++;
	return false;
}

static int kmsg_read_file(const char *path, struct sac_kmsg *k)
{
	size_t cap = 65536, n;
	char *t;
	FILE *f;
	int err;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	k->buf = malloc(cap + 1);
	if (!k->buf) {
		fclose(f);
		return -ENOMEM;
	}
	while ((n = fread(k->buf + k->len, 1, cap - k->len, f)) > 0) {
		k->len += n;
		if (k->len < cap)
			continue;
		if (cap >= KMSG_FILE_MAX)
			break;
		t = realloc(k->buf, 2 * cap + 1);
		if (!t) {
			fclose(f);
			return -ENOMEM;
		}
		k->buf = t;
		cap *= 2;
	}
	err = ferror(f) ? -EIO : 0;
	fclose(f);
	k->buf[k->len] = '\0';
	return err;
}

int kmsg_read(struct sac_kmsg *k)
{
	const char *file = getenv("SACCTL_KMSG");
	int size, n, err;

	memset(k, 0, sizeof(*k));
	if (file && *file) {
		snprintf(k->src, sizeof(k->src), "%s", file);
		err = kmsg_read_file(file, k);
		if (err)
			kmsg_free(k);
		return err;
	}
	snprintf(k->src, sizeof(k->src), "klogctl");
	size = klogctl(SYSLOG_ACTION_SIZE_BUFFER, NULL, 0);
	if (size < 0)
		return -errno;
	if (size < 4096)
		size = 1 << 20;
	k->buf = malloc(size + 1);
	if (!k->buf)
		return -ENOMEM;
	n = klogctl(SYSLOG_ACTION_READ_ALL, k->buf, size);
	if (n < 0) {
		err = -errno;
		kmsg_free(k);
		return err;
	}
	k->len = n;
	k->buf[n] = '\0';
	return 0;
}

void kmsg_free(struct sac_kmsg *k)
{
	free(k->buf);
	k->buf = NULL;
	k->len = 0;
}

void kmsg_count(const struct sac_kmsg *k, const char *dev, double since_s,
		struct sac_faults *c)
{
	char line[KMSG_LINE_MAX];
	struct kmsg_smmu smmu;
	size_t pos = 0, n;
	struct sac_fault f;
	const char *nl;

	memset(c, 0, sizeof(*c));
	memset(&smmu, 0, sizeof(smmu));
	while (k->buf && pos < k->len) {
		nl = memchr(k->buf + pos, '\n', k->len - pos);
		n = (nl ? (size_t)(nl - k->buf) : k->len) - pos;
		sac_strlcpy(line, k->buf + pos, n < sizeof(line) ? n + 1 :
			    sizeof(line));
		pos += n + 1;
		if (!kmsg_smmu_line(&smmu, line, &f) &&
		    !kmsg_parse_fault(line, &f))
			continue;
		if (strcmp(f.dev, dev))
			continue;
		if (since_s >= 0 && (f.ts < 0 || f.ts < since_s))
			continue;
		c->n++;
		c->last_ts = f.ts;
		c->has_addr = f.has_addr;
		c->last_addr = f.addr;
	}
}
