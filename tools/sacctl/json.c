// SPDX-License-Identifier: GPL-2.0
/*
 * sacctl: the JSON writer (see json.h).
 *
 * Invariant: depth counts the open objects and arrays; first[depth] is true
 * until the current container has a member, so the next member needs no
 * comma; after_name is true between a name and its value.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define JSONW_DEPTH_MAX	32

struct json_writer {
	FILE *out;
	bool pretty;
	bool after_name;
	bool written;		/* anything output yet */
	int depth;
	bool first[JSONW_DEPTH_MAX];
};

json_writer_t *jsonw_new(FILE *f, bool pretty)
{
	json_writer_t *self = calloc(1, sizeof(*self));

	if (!self)
		return NULL;
	self->out = f;
	self->pretty = pretty;
	self->first[0] = true;
	return self;
}

void jsonw_destroy(json_writer_t **self)
{
	if (!*self)
		return;
	if ((*self)->written)
		fputc('\n', (*self)->out);
	fflush((*self)->out);
	free(*self);
	*self = NULL;
}

static void jsonw_indent(json_writer_t *self)
{
	int i;

	if (!self->pretty)
		return;
	fputc('\n', self->out);
	for (i = 0; i < self->depth; i++)
		fputs("    ", self->out);
}

/* Separator before a new member or value. */
static void jsonw_sep(json_writer_t *self)
{
	self->written = true;
	if (self->after_name) {
		self->after_name = false;
		return;
	}
	if (!self->first[self->depth])
		fputc(',', self->out);
	if (self->depth > 0)
		jsonw_indent(self);
	self->first[self->depth] = false;
}

/* Length of the well-formed UTF-8 sequence at p, 0 if it is not one. */
static int utf8_len(const unsigned char *p)
{
	int n, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	/* Overlong 3/4-byte forms, surrogates and beyond U+10FFFF. */
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
		return 0;
	return n;
}

static void jsonw_puts(json_writer_t *self, const char *s)
{
	const unsigned char *p;
	int n;

	fputc('"', self->out);
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", self->out);
			break;
		case '\\':
			fputs("\\\\", self->out);
			break;
		case '\n':
			fputs("\\n", self->out);
			break;
		case '\t':
			fputs("\\t", self->out);
			break;
		case '\r':
			fputs("\\r", self->out);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				fprintf(self->out, "\\u%04x", *p);
			} else if (*p >= 0x80) {
				n = utf8_len(p);
				if (n) {
					fwrite(p, 1, n, self->out);
					p += n - 1;
				} else {
					/* Not UTF-8: keep the document valid. */
					fputs("\\ufffd", self->out);
				}
			} else {
				fputc(*p, self->out);
			}
		}
	}
	fputc('"', self->out);
}

static void jsonw_open(json_writer_t *self, char c)
{
	jsonw_sep(self);
	fputc(c, self->out);
	if (self->depth < JSONW_DEPTH_MAX - 1)
		self->depth++;
	self->first[self->depth] = true;
}

static void jsonw_close(json_writer_t *self, char c)
{
	bool empty = self->first[self->depth];

	if (self->depth > 0)
		self->depth--;
	if (!empty)
		jsonw_indent(self);
	fputc(c, self->out);
}

void jsonw_start_object(json_writer_t *self)
{
	jsonw_open(self, '{');
}

void jsonw_end_object(json_writer_t *self)
{
	jsonw_close(self, '}');
}

void jsonw_start_array(json_writer_t *self)
{
	jsonw_open(self, '[');
}

void jsonw_end_array(json_writer_t *self)
{
	jsonw_close(self, ']');
}

void jsonw_name(json_writer_t *self, const char *name)
{
	jsonw_sep(self);
	jsonw_puts(self, name);
	fputs(self->pretty ? ": " : ":", self->out);
	self->after_name = true;
}

void jsonw_string(json_writer_t *self, const char *value)
{
	jsonw_sep(self);
	jsonw_puts(self, value ? value : "");
}

void jsonw_uint(json_writer_t *self, uint64_t value)
{
	jsonw_sep(self);
	fprintf(self->out, "%" PRIu64, value);
}

void jsonw_int(json_writer_t *self, int64_t value)
{
	jsonw_sep(self);
	fprintf(self->out, "%" PRId64, value);
}

void jsonw_float(json_writer_t *self, double value)
{
	jsonw_sep(self);
	if (isfinite(value))
		fprintf(self->out, "%.6g", value);
	else
		fputs("null", self->out);
}

void jsonw_bool(json_writer_t *self, bool value)
{
	jsonw_sep(self);
	fputs(value ? "true" : "false", self->out);
}

void jsonw_null(json_writer_t *self)
{
	jsonw_sep(self);
	fputs("null", self->out);
}

void jsonw_string_field(json_writer_t *self, const char *name, const char *v)
{
	jsonw_name(self, name);
	jsonw_string(self, v);
}

void jsonw_uint_field(json_writer_t *self, const char *name, uint64_t v)
{
	jsonw_name(self, name);
	jsonw_uint(self, v);
}

void jsonw_int_field(json_writer_t *self, const char *name, int64_t v)
{
	jsonw_name(self, name);
	jsonw_int(self, v);
}

void jsonw_float_field(json_writer_t *self, const char *name, double v)
{
	jsonw_name(self, name);
	jsonw_float(self, v);
}

void jsonw_bool_field(json_writer_t *self, const char *name, bool v)
{
	jsonw_name(self, name);
	jsonw_bool(self, v);
}

void jsonw_auto_field(json_writer_t *self, const char *name, const char *v)
{
	const char *digits = v[0] == '-' ? v + 1 : v, *p = digits;
	char *end;
	uint64_t n;
	int64_t i;

	while (*p && isdigit((unsigned char)*p))
		p++;
	/* All digits, no leading zero, fits in 64 bits: a number. */
	if (*digits && !*p && (digits[0] != '0' || !digits[1]) &&
	    strlen(digits) <= 20) {
		errno = 0;
		if (digits == v) {
			n = strtoull(v, &end, 10);
			if (!*end && errno != ERANGE) {
				jsonw_uint_field(self, name, n);
				return;
			}
		} else if (strcmp(digits, "0")) {
			/* "-N" (a signed value such as inflight), not "-0". */
			i = strtoll(v, &end, 10);
			if (!*end && errno != ERANGE) {
				jsonw_int_field(self, name, i);
				return;
			}
		}
	}
	jsonw_string_field(self, name, v);
}
