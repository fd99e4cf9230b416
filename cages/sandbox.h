/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The bubblewrap command line of a cage.  Pure: it only turns a description
 * of the cage (and of the file descriptors the launcher prepared) into the
 * argument list that goes to bwrap through --args, and a plan of which
 * launcher fd becomes which fd number in the bwrap process.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "config.h"
#include "seccomp-policy.h"

/* Where a bind mount comes from: a path bwrap can reach, or an open fd. */
typedef struct {
	int fd;           /* >= 0: --bind-fd / --ro-bind-fd */
	const char *path; /* else: --bind / --ro-bind */
} ClSource;

typedef struct {
	int from; /* fd in the launcher */
	int to;   /* fd number in the bwrap process */
} ClFdMove;

typedef struct {
	const ClCage *cage;
	const char *lang; /* already sanitised, or NULL for C.UTF-8 */
	const char *term; /* already sanitised, or NULL */

	ClSource home, wayland, transfer, notify, init;
	/* The notification forwarder: bind-mounted at CL_CAGE_NOTIFY_FORWARD
	 * when forward has an fd or a path; notify_forward is its in-cage path
	 * for the init (NULL: no notification service in the cage). */
	ClSource forward;
	const char *notify_forward;
	/* Tests from the build tree: a directory bind-mounted read-only at
	 * nautilus_ext_dir (Nautilus's extension directory, which exists in
	 * the cage's /usr) when nautilus_ext has an fd or a path. */
	ClSource nautilus_ext;
	const char *nautilus_ext_dir;

	/* Generated /etc files (memfds). */
	int passwd_fd, group_fd, hosts_fd, hostname_fd, machine_id_fd;

	int seccomp_fds[CL_SECCOMP_MAX_FDS];
	size_t n_seccomp;

	int status_fd;  /* --json-status-fd, or -1 */
	int control_fd; /* becomes CL_INIT_CONTROL_FD in the cage */

	char **command; /* NULL: session mode (the init waits for requests) */

	/* Host root to probe for /bin, /lib… layout and /etc files ("/" normally). */
	const char *host_root;

	/* Filled by cl_sandbox_build_args(). */
	GArray *moves; /* ClFdMove */
	int next_fd;
} ClSandbox;

void cl_sandbox_init(ClSandbox *sb);
void cl_sandbox_clear(ClSandbox *sb);

/*
 * The options for bwrap --args, in order (the command goes on argv).
 * sb->moves then lists every fd the bwrap process must receive.
 */
GPtrArray *cl_sandbox_build_args(ClSandbox *sb);

/*
 * bwrap's argv: "bwrap --args FD -- INIT [-- COMMAND…]".  bwrap 0.8 does not
 * accept the command inside --args, so only the options go there.
 */
char **cl_sandbox_build_argv(const ClSandbox *sb, const char *args_fd);

/* NUL-separated form of the arguments, as bwrap --args reads them. */
GBytes *cl_sandbox_serialize_args(GPtrArray *args);

/*
 * Put each fd where the plan says (dup2), clear their close-on-exec flag,
 * and close every other fd above 2.  For the child between fork and exec:
 * async-signal-safe, no allocation.  Returns 0 or -errno.
 */
int cl_sandbox_apply_moves(const ClFdMove *moves, size_t n);

/* LANG / TERM values safe to pass into a cage, or NULL. */
const char *cl_sandbox_sanitize_locale(const char *value);
const char *cl_sandbox_sanitize_term(const char *value);
