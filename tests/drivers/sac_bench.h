/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sac_bench's ftrace direct-call trampolines (asm in sac_bench.c): the
 * addresses register_ftrace_direct() patches the traced function to call.
 * They follow no C calling convention; never call them from C.
 */
#ifndef SAC_BENCH_H
#define SAC_BENCH_H

void bench_direct_empty(void);
void bench_direct_saved(void);

#endif
