/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sacctl: a small streaming JSON writer (after bpftool's json_writer).
 *
 * The writer inserts commas and, when pretty, newlines and indentation;
 * callers only say what comes next. Strings are escaped per RFC 8259;
 * non-finite numbers are written as null.
 */
#ifndef SACCTL_JSON_H
#define SACCTL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct json_writer json_writer_t;

json_writer_t *jsonw_new(FILE *f, bool pretty);
/* Ends the output with a newline and frees the writer. */
void jsonw_destroy(json_writer_t **self);

void jsonw_start_object(json_writer_t *self);
void jsonw_end_object(json_writer_t *self);
void jsonw_start_array(json_writer_t *self);
void jsonw_end_array(json_writer_t *self);
void jsonw_name(json_writer_t *self, const char *name);

void jsonw_string(json_writer_t *self, const char *value);
void jsonw_uint(json_writer_t *self, uint64_t value);
void jsonw_int(json_writer_t *self, int64_t value);
void jsonw_float(json_writer_t *self, double value);
void jsonw_bool(json_writer_t *self, bool value);
void jsonw_null(json_writer_t *self);

void jsonw_string_field(json_writer_t *self, const char *name, const char *v);
void jsonw_uint_field(json_writer_t *self, const char *name, uint64_t v);
void jsonw_int_field(json_writer_t *self, const char *name, int64_t v);
void jsonw_float_field(json_writer_t *self, const char *name, double v);
void jsonw_bool_field(json_writer_t *self, const char *name, bool v);

/*
 * A string that is all decimal digits, or "-" and digits, as a number (no
 * leading zeros, within 64 bits); anything else quoted.
 */
void jsonw_auto_field(json_writer_t *self, const char *name, const char *v);

#endif /* SACCTL_JSON_H */
