/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The cage's seccomp policy (see docs/cages.md for the full list and the
 * reasons).  Two classic-BPF programs are produced:
 *
 *  1. the deny list, built with libseccomp for the native (x86_64), x86 and
 *     x32 ABIs: listed syscalls fail with EPERM (clone3 with ENOSYS so that
 *     glibc falls back to clone, whose namespace flags are then refused);
 *  2. a guard for syscall numbers above the highest one libseccomp knows on
 *     each ABI (those would otherwise pass a deny list unnoticed): they fail
 *     with ENOSYS.  libseccomp cannot express "every number above N", so this
 *     small program is written by hand.  It also kills the process on any
 *     x32 system call or unknown architecture, and holds the allow-lists
 *     that libseccomp 2.5 cannot express either (one condition per argument):
 *     personality() (PER_LINUX, PER_LINUX32, the 0xffffffff query) and
 *     socket() families (AF_UNIX, AF_INET, AF_INET6, AF_NETLINK; i386
 *     socketcall(), whose arguments no filter can read, fails with ENOSYS).
 *
 * The kernel runs every loaded filter and applies the strictest verdict.
 */
#pragma once

#include <stddef.h>

#define CL_SECCOMP_MAX_FDS 2

/*
 * Both programs as sealed memfds (close-on-exec, offset 0), ready for bwrap
 * --add-seccomp-fd.  cl_seccomp_export() gives the programs compiled into
 * the binary at build time (cages/seccomp-gen.c runs cl_seccomp_build()
 * then), so a cage start does not pay for libseccomp; cl_seccomp_build()
 * builds them now with libseccomp (the generator and the tests use it, and a
 * test checks that both give the same bytes).  Return 0, or -errno (logged).
 */
int cl_seccomp_export(int fds[CL_SECCOMP_MAX_FDS], size_t *n_fds);
int cl_seccomp_build(int fds[CL_SECCOMP_MAX_FDS], size_t *n_fds);

/*
 * Install both programs in the calling process (sets no_new_privs first).
 * For tests, and for anything that must apply the cage policy to itself.
 * Returns 0, or -errno.
 */
int cl_seccomp_install_self(void);
