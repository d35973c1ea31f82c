/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sacctl: Prometheus text exposition format (version 0.0.4), as read by
 * node_exporter's textfile collector. A family is announced once with
 * prom_family() (# HELP, # TYPE); its samples follow with prom_sample().
 */
#ifndef SACCTL_PROM_H
#define SACCTL_PROM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct prom_label {
	const char *name;
	const char *value;
};

/* type: "counter", "gauge", "histogram", "untyped". */
void prom_family(FILE *f, const char *name, const char *type,
		 const char *help);
void prom_sample(FILE *f, const char *name, const struct prom_label *labels,
		 int nlabels, uint64_t value);
void prom_sample_f(FILE *f, const char *name, const struct prom_label *labels,
		   int nlabels, double value);
/* Metric and label names: [a-zA-Z_:][a-zA-Z0-9_:]* (labels without ':'). */
bool prom_name_valid(const char *name, bool label);

#endif /* SACCTL_PROM_H */
