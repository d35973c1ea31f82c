/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sacctl fuzz targets (libFuzzer, with AddressSanitizer and UBSan): what
 * they share. Each target is one fuzz_<name>.c with LLVMFuzzerTestOneInput;
 * "make -C tools/sacctl fuzz" builds and runs them (fuzz/run.sh).
 */
#ifndef _SACCTL_FUZZ_H
#define _SACCTL_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* A fake debugfs and sysfs under a private temporary folder; sets
 * SACCTL_DEBUGFS and SACCTL_SYSFS. Returns the debugfs module folder. */
const char *fuzz_fake_tree(void);
/* Replace the file rel (under the debugfs module folder) with data. */
void fuzz_put(const char *rel, const uint8_t *data, size_t size);
/* A NUL-terminated copy of data (free() it). */
char *fuzz_str(const uint8_t *data, size_t size);

#endif
