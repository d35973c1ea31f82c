// SPDX-License-Identifier: GPL-2.0
/*
 * sacctl unit tests: what sacctl.c provides to the other files, minus
 * main(). Errors are recorded (the last code and message) instead of shown.
 */
#include <stdarg.h>
#include <string.h>

#include "sacctl.h"

struct sacctl_opts sacctl_opts;
json_writer_t *jw;
char stub_last_err[1024];

int sacctl_err(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(stub_last_err, sizeof(stub_last_err), fmt, ap);
	va_end(ap);
	return code;
}

void sacctl_warn(const char *fmt, ...)
{
	(void)fmt;
}

void sacctl_usage(FILE *f, const char *cmd)
{
	(void)f;
	(void)cmd;
}

int sacctl_getopt(int argc, char **argv, const char *shortopts,
		  const void *longopts, const char *cmd, int *code)
{
	(void)argc;
	(void)argv;
	(void)shortopts;
	(void)longopts;
	(void)cmd;
	*code = 0;
	return -1;
}
