// SPDX-License-Identifier: GPL-2.0
/*
 * sacctl: replace a file atomically with what a command prints.
 *
 * out_file_begin() points standard output at a new temporary file in the
 * target's directory; out_file_commit() flushes it, syncs it, gives it mode
 * 0644 and renames it over the target, so a reader (node_exporter's
 * textfile collector, say) sees the old file or the new one, never half of
 * one. On any error the temporary file is removed, the target is left as it
 * was, and standard output is restored.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sacctl.h"

static void out_file_restore(struct out_file *of)
{
	fflush(stdout);
	dup2(of->saved, STDOUT_FILENO);
	close(of->saved);
	of->saved = -1;
	clearerr(stdout);
}

int out_file_begin(struct out_file *of, const char *path)
{
	char dir[PATH_MAX], base[PATH_MAX];
	struct stat st;
	int fd;

	of->saved = -1;
	if (!*path || strlen(path) >= sizeof(dir) - 16)
		return sacctl_err(SACCTL_EUSAGE, "--output: bad file name '%s'",
				  path);
	if (!stat(path, &st) && !S_ISREG(st.st_mode))
		return sacctl_err(SACCTL_EUSAGE,
				  "--output: %s is not a regular file", path);
	strcpy(dir, path);
	strcpy(base, path);
	snprintf(of->tmp, sizeof(of->tmp), "%s/.%s.XXXXXX", dirname(dir),
		 basename(base));
	strcpy(of->path, path);
	fd = mkstemp(of->tmp);
	if (fd < 0)
		return sacctl_err(SACCTL_EFAIL, "--output: %s: %s", of->tmp,
				  strerror(errno));
	fflush(stdout);
	of->saved = dup(STDOUT_FILENO);
	if (of->saved < 0 || dup2(fd, STDOUT_FILENO) < 0) {
		int e = errno;

		if (of->saved >= 0)
			close(of->saved);
		of->saved = -1;
		close(fd);
		unlink(of->tmp);
		return sacctl_err(SACCTL_EFAIL, "--output: %s", strerror(e));
	}
	close(fd);
	return SACCTL_OK;
}

void out_file_abort(struct out_file *of)
{
	if (of->saved < 0)
		return;
	out_file_restore(of);
	unlink(of->tmp);
}

int out_file_commit(struct out_file *of)
{
	int e = 0;

	if (of->saved < 0)
		return SACCTL_OK;
	if (fflush(stdout) || ferror(stdout))
		e = errno ? errno : EIO;
	else if (fchmod(STDOUT_FILENO, 0644) || fsync(STDOUT_FILENO))
		e = errno;
	out_file_restore(of);
	if (!e && rename(of->tmp, of->path))
		e = errno;
	if (e) {
		unlink(of->tmp);
		return sacctl_err(SACCTL_EFAIL, "--output: writing %s: %s",
				  of->path, strerror(e));
	}
	return SACCTL_OK;
}
