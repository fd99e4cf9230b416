/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers shared by the benchmarks (bench/). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

double bench_now_ms(void);
/* Sorts v in place. */
double bench_median(double *v, int n);

/* The temporary directory bench_fail() and bench_remove_tmp_dir() remove. */
void bench_set_tmp_dir(const char *dir);
void bench_remove_tmp_dir(void);

/* Children bench_fail() stops (by pid) before exiting. */
void bench_child_add(pid_t pid);
void bench_child_remove(pid_t pid);

/* Cannot measure: say why, stop every child, clean up, exit 1. */
void bench_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * Fork + exec argv with envp: stdout to out (or /dev/null), ready_fd (if
 * >= 0) as fd 3, stderr and stdin /dev/null, as uid/gid when drop.
 */
pid_t bench_spawn(char **argv, char **envp, int out, int ready_fd, bool drop, uid_t uid, gid_t gid);
/* SIGTERM, up to 5 s, then SIGKILL; reaped. */
void bench_stop_pid(pid_t pid);

/*
 * The workspace of a benchmark against sway: a new temporary directory
 * (mode 0711, removed by bench_fail() and bench_remove_tmp_dir()) holding
 * rt/ (0700, cloison's runtime directory), sway/ (0700, sway's, given to the
 * account sway runs as) and cloison.conf (conf_text).  As root sway runs as
 * nobody: *drop, *uid and *gid say as whom.  Returns the directory
 * (g_free()), or NULL after saying why on stderr when root has no nobody.
 */
char *bench_sway_workspace(const char *name, const char *conf_text, bool *drop, uid_t *uid,
                           gid_t *gid);
