// SPDX-License-Identifier: GPL-2.0
/*
 * sacctl: the 32-bit IOVA space view, devices/<dev>/iova32 (its format is
 * in docs/interfaces.md): reading it, the figures derived from it, and its
 * three presentations (show's section, list's cells, the JSON object).
 *
 * A module older than the file has no view: reading it is never an error,
 * struct sac_iova32.err says why there is none and every reader shows "-"
 * (JSON: "available": false with the reason). A file whose first line is
 * not "available 0|1" is treated the same way (EBADMSG), never guessed at.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sacctl.h"

#define HIST_KEY	"gap32_hist_"

static void iova32_line(struct sac_iova32 *v, char *key, const char *val)
{
	struct sac_kv *kv;
	char *end;
	long k;

	if (!strcmp(key, "domain")) {
		sac_strlcpy(v->domain, val, sizeof(v->domain));
	} else if (!strcmp(key, "reason")) {
		sac_strlcpy(v->reason, val, sizeof(v->reason));
	} else if (!strcmp(key, "shared_with")) {
		sac_strlcpy(v->shared_with, val, sizeof(v->shared_with));
	} else if (!strncmp(key, HIST_KEY, strlen(HIST_KEY))) {
		k = strtol(key + strlen(HIST_KEY), &end, 10);
		/* Buckets come in order from 0; anything else is malformed. */
		if (*end || k != v->nhist || k >= SAC_IOVA32_HIST_MAX) {
			v->err = EBADMSG;
			return;
		}
		v->hist[v->nhist++] = strtoull(val, NULL, 10);
	} else if (v->kvs.n < SAC_KV_MAX) {
		kv = &v->kvs.kv[v->kvs.n++];
		sac_strlcpy(kv->key, key, sizeof(kv->key));
		sac_strlcpy(kv->val, val, sizeof(kv->val));
	}
}

void iova32_read(const char *name, struct sac_iova32 *v)
{
	char rel[SAC_NAME_MAX + 32], *line = NULL, *sp;
	bool first = true;
	size_t cap = 0;
	ssize_t len;
	FILE *f;

	memset(v, 0, sizeof(*v));
	snprintf(rel, sizeof(rel), "devices/%s/iova32", name);
	f = sacfs_fopen(rel);
	if (!f) {
		v->err = errno;
		return;
	}
	errno = 0;
	while (!v->err && (len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		sp = strchr(line, ' ');
		if (!sp || sp == line) {
			v->err = EBADMSG;
			break;
		}
		*sp++ = '\0';
		if (first) {
			if (strcmp(line, "available") ||
			    (strcmp(sp, "0") && strcmp(sp, "1")))
				v->err = EBADMSG;
			v->available = !strcmp(sp, "1");
			first = false;
			continue;
		}
		iova32_line(v, line, sp);
	}
	if (!v->err && ferror(f))
		v->err = errno ? errno : EIO;
	if (!v->err && first)
		v->err = EBADMSG;	/* empty */
	fclose(f);
	free(line);
	if (v->err)
		v->available = false;
}

uint64_t iova32_u64(const struct sac_iova32 *v, const char *key)
{
	return kvs_u64(&v->kvs, key);
}

uint64_t iova32_alloc_pages(const struct sac_iova32 *v)
{
	uint64_t space = iova32_u64(v, "space32_pages");
	uint64_t rsv = iova32_u64(v, "reserved32_pages");

	return space > rsv ? space - rsv : 0;
}

double iova32_used_pct(const struct sac_iova32 *v)
{
	uint64_t alloc = iova32_alloc_pages(v);

	if (!v->available || !alloc)
		return NAN;
	return 100.0 * iova32_u64(v, "used32_pages") / alloc;
}

const char *iova32_why_not(const struct sac_iova32 *v, char *buf,
			   size_t size)
{
	if (v->err == ENOENT)
		snprintf(buf, size, "this iommu_sac has no iova32 file");
	else if (v->err == EBADMSG)
		snprintf(buf, size, "iova32 is not in the documented format");
	else if (v->err)
		snprintf(buf, size, "iova32: %s", strerror(v->err));
	else if (!v->available)
		snprintf(buf, size, "%s", *v->reason ? v->reason :
			 "not available");
	else
		buf[0] = '\0';
	return buf;
}

/* Bytes as "2M", "512K", "1G" (exact for the power-of-two sizes here). */
static void fmt_bytes(char *buf, size_t size, uint64_t bytes)
{
	static const char units[] = "BKMGTPE";
	int u = 0;

	while (bytes >= 1024 && !(bytes % 1024) && u < 6) {
		bytes /= 1024;
		u++;
	}
	if (!bytes)
		snprintf(buf, size, "0");
	else
		snprintf(buf, size, "%" PRIu64 "%c", bytes, units[u]);
}

void iova32_cells(const struct sac_iova32 *v, char *used, size_t used_size,
		  char *fit, size_t fit_size)
{
	double pct = iova32_used_pct(v);

	snprintf(used, used_size, "-");
	snprintf(fit, fit_size, "-");
	if (!v->available)
		return;
	if (!isnan(pct))
		snprintf(used, used_size, "%.1f%%", pct);
	fmt_bytes(fit, fit_size, iova32_u64(v, "largest_fit32_pages") *
		  iova32_u64(v, "granule"));
}

static double mib(const struct sac_iova32 *v, uint64_t pages)
{
	return (double)pages * iova32_u64(v, "granule") / (1024.0 * 1024.0);
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * part / whole : 0.0;
}

/* "512-1023 pages: 10, 1-1 pages: 3": the non-empty buckets, largest first. */
static void print_gaps(const struct sac_iova32 *v)
{
	bool any = false;
	int k;

	for (k = v->nhist - 1; k >= 0; k--) {
		if (!v->hist[k])
			continue;
		printf("%s%" PRIu64 "-%" PRIu64 " pages: %" PRIu64,
		       any ? ", " : "", (uint64_t)1 << k,
		       ((uint64_t)2 << k) - 1, v->hist[k]);
		any = true;
	}
	printf("%s\n", any ? "" : "none");
}

void iova32_print(const struct sac_iova32 *v, const char *in)
{
	uint64_t space = iova32_u64(v, "space32_pages");
	uint64_t rsv = iova32_u64(v, "reserved32_pages");
	uint64_t used = iova32_u64(v, "used32_pages");
	uint64_t free32 = iova32_u64(v, "free32_pages");
	uint64_t alloc = iova32_alloc_pages(v);
	uint64_t gran = iova32_u64(v, "granule");
	uint64_t fit = iova32_u64(v, "largest_fit32_pages");
	uint64_t max32 = iova32_u64(v, "max32_alloc_size");
	uint64_t ndev = iova32_u64(v, "group_devices");
	uint64_t holds = iova32_u64(v, "lock_holds");
	char why[SAC_VAL_MAX + 64];

	if (!v->available) {
		printf("%siova32: not available%s%s%s: %s\n", in,
		       v->err ? "" : " (domain ", v->err ? "" : v->domain,
		       v->err ? "" : ")", iova32_why_not(v, why, sizeof(why)));
		return;
	}
	printf("%siova32 (the 32-bit IOVA space of its domain):\n", in);
	printf("%s  domain        %s, IOMMU group %" PRIu64, in, v->domain,
	       iova32_u64(v, "group"));
	if (ndev > 1)
		printf(", shared with %s (%" PRIu64 " devices, one view)\n",
		       v->shared_with, ndev);
	else
		printf(", not shared\n");
	printf("%s  32-bit space  %10" PRIu64 " pages %10.1f MiB         (pfns %" PRIu64 "..%" PRIu64 ", %" PRIu64 "-byte pages)\n",
	       in, space, mib(v, space), iova32_u64(v, "start_pfn"),
	       iova32_u64(v, "limit32_pfn") - !!iova32_u64(v, "limit32_pfn"),
	       gran);
	printf("%s  reserved      %10" PRIu64 " pages %10.1f MiB %6.1f%% of the space\n",
	       in, rsv, mib(v, rsv), pct(rsv, space));
	printf("%s  used          %10" PRIu64 " pages %10.1f MiB %6.1f%% of the %" PRIu64 " allocatable, in %" PRIu64 " IOVAs\n",
	       in, used, mib(v, used), pct(used, alloc), alloc,
	       iova32_u64(v, "used32_iovas"));
	printf("%s  free          %10" PRIu64 " pages %10.1f MiB %6.1f%%, in %" PRIu64 " gaps\n",
	       in, free32, mib(v, free32), pct(free32, alloc),
	       iova32_u64(v, "gaps32"));
	printf("%s  largest gap   %10" PRIu64 " pages, largest fit %" PRIu64 " page%s (%.1f MiB): a 32-bit request of more fails\n",
	       in, iova32_u64(v, "largest_gap32_pages"), fit, sac_s(fit),
	       mib(v, fit));
	/* limit32_pfn (or more): no hint since the last free. */
	if (max32 >= iova32_u64(v, "limit32_pfn"))
		printf("%s  max32_alloc_size %" PRIu64 " pages (no 32-bit size known to fail)\n",
		       in, max32);
	else
		printf("%s  max32_alloc_size %" PRIu64 " page%s: 32-bit requests that large or larger fail without a search\n",
		       in, max32, sac_s(max32));
	printf("%s  gaps          ", in);
	print_gaps(v);
	if (iova32_u64(v, "rcache"))
		printf("%s  cached        %" PRIu64 " IOVAs, %" PRIu64 " pages below 4 GiB (counted as used); %" PRIu64 " IOVAs, %" PRIu64 " pages in all\n",
		       in, iova32_u64(v, "cached32_iovas"),
		       iova32_u64(v, "cached32_pages"),
		       iova32_u64(v, "cached_iovas"),
		       iova32_u64(v, "cached_pages"));
	else
		printf("%s  cached        - (rcache 0: the per-CPU IOVA caches were not read)\n",
		       in);
	printf("%s  above 4 GiB   %" PRIu64 " pages (%.1f MiB) used in %" PRIu64 " IOVAs, %" PRIu64 " reserved\n",
	       in, iova32_u64(v, "used_high_pages"),
	       mib(v, iova32_u64(v, "used_high_pages")),
	       iova32_u64(v, "used_high_iovas"),
	       iova32_u64(v, "reserved_high_pages"));
	printf("%s  walk          %" PRIu64 " IOVAs visited, %" PRIu64 " lock hold%s (%s)\n",
	       in, iova32_u64(v, "walked_iovas"), holds, sac_s(holds),
	       holds > 1 ? "the figures may mix moments" : "one snapshot");
	if (iova32_u64(v, "truncated"))
		printf("%s  WARNING: truncated: the walk stopped after iova32_max_iovas IOVAs; the figures cover only the lowest part of the space\n",
		       in);
}

void iova32_json(const struct sac_iova32 *v)
{
	char why[SAC_VAL_MAX + 64], names[SAC_IOVA32_SHARED_MAX], *tok, *save;
	const struct sac_kv *kv;
	int i;

	jsonw_name(jw, "iova32");
	jsonw_start_object(jw);
	jsonw_bool_field(jw, "available", v->available);
	if (!v->available) {
		if (v->err) {
			jsonw_name(jw, "domain");
			jsonw_null(jw);
		} else {
			jsonw_string_field(jw, "domain", v->domain);
		}
		jsonw_string_field(jw, "reason",
				   iova32_why_not(v, why, sizeof(why)));
		jsonw_end_object(jw);
		return;
	}
	jsonw_string_field(jw, "domain", v->domain);
	jsonw_name(jw, "shared_with");
	jsonw_start_array(jw);
	if (strcmp(v->shared_with, "-")) {
		sac_strlcpy(names, v->shared_with, sizeof(names));
		for (tok = strtok_r(names, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save))
			jsonw_string(jw, tok);
	}
	jsonw_end_array(jw);
	for (i = 0; i < v->kvs.n; i++) {
		kv = &v->kvs.kv[i];
		if (!strcmp(kv->key, "rcache") || !strcmp(kv->key, "truncated"))
			jsonw_bool_field(jw, kv->key, strcmp(kv->val, "0"));
		else
			jsonw_auto_field(jw, kv->key, kv->val);
	}
	jsonw_name(jw, "gap32_hist");
	jsonw_start_array(jw);
	for (i = 0; i < v->nhist; i++)
		jsonw_uint(jw, v->hist[i]);
	jsonw_end_array(jw);
	jsonw_uint_field(jw, "allocatable32_pages", iova32_alloc_pages(v));
	jsonw_float_field(jw, "used32_pct", iova32_used_pct(v));
	jsonw_end_object(jw);
}
