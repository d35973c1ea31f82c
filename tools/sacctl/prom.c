// SPDX-License-Identifier: GPL-2.0
/*
 * sacctl: the Prometheus text format writer (see prom.h).
 *
 * Escaping per the format: in HELP text backslash and newline, in label
 * values also the double quote. Floats are written so that they read back
 * exactly enough for histogram bounds ("%.17g"), with +Inf/-Inf/NaN spelled
 * as the format wants.
 */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "prom.h"

bool prom_name_valid(const char *name, bool label)
{
	const char *p = name;

	if (!*p || isdigit((unsigned char)*p))
		return false;
	for (; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' &&
		    (label || *p != ':'))
			return false;
	return true;
}

static void prom_escape(FILE *f, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else if (quote && *s == '"')
			fputs("\\\"", f);
		else
			fputc(*s, f);
	}
}

void prom_family(FILE *f, const char *name, const char *type,
		 const char *help)
{
	fprintf(f, "# HELP %s ", name);
	prom_escape(f, help, false);
	fprintf(f, "\n# TYPE %s %s\n", name, type);
}

static void prom_head(FILE *f, const char *name,
		      const struct prom_label *labels, int nlabels)
{
	int i;

	fputs(name, f);
	if (!nlabels)
		return;
	fputc('{', f);
	for (i = 0; i < nlabels; i++) {
		fprintf(f, "%s%s=\"", i ? "," : "", labels[i].name);
		prom_escape(f, labels[i].value, true);
		fputc('"', f);
	}
	fputc('}', f);
}

void prom_sample(FILE *f, const char *name, const struct prom_label *labels,
		 int nlabels, uint64_t value)
{
	prom_head(f, name, labels, nlabels);
	fprintf(f, " %" PRIu64 "\n", value);
}

void prom_sample_f(FILE *f, const char *name, const struct prom_label *labels,
		   int nlabels, double value)
{
	prom_head(f, name, labels, nlabels);
	if (isnan(value))
		fputs(" NaN\n", f);
	else if (isinf(value))
		fputs(value > 0 ? " +Inf\n" : " -Inf\n", f);
	else
		fprintf(f, " %.17g\n", value);
}
