/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cloison-cage: start a cage (bubblewrap + seccomp + the cage init), run
 * more programs in a running cage, list cages.  See docs/cages.md.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdio.h>

#include "config.h"

/* Exit status of the launcher itself when it fails (like env(1), podman). */
#define CL_CAGE_EXIT_LAUNCHER 125
#define CL_CAGE_EXIT_CANNOT   126
#define CL_CAGE_EXIT_NOTFOUND 127

#define CL_CAGE_ACCOUNT    "cloison-cage"
#define CL_CAGE_BWRAP_PATH "/usr/bin/bwrap"
#define CL_CAGE_CONTROL    "control"
#define CL_CAGE_LOCK       "lock"
#define CL_CAGE_STATE      "state"

/*
 * Probe, once per process, what every cage start needs from the host:
 * bubblewrap is installed, user namespaces are enabled and, when running as
 * root, the unprivileged account bwrap runs as.  cl_cage_run() calls it
 * itself; a long-running caller that forks a launcher per cage (as
 * cloison-session is to) calls it once at start-up, so that each fork
 * inherits the result.  When a cage then fails to start, the launcher probes the host
 * again to explain why.  Returns false (error set, naming the remedy) when
 * this host cannot run cages.
 */
bool cl_cage_prepare(GError **error);

/*
 * Run cage_id.  With a command: run it inside and return its exit status
 * (128 + signal if it was killed).  Without: start the cage's configured
 * applications and keep the cage until SIGTERM/SIGINT/SIGHUP.  Returns
 * CL_CAGE_EXIT_LAUNCHER after printing why when the cage cannot start.
 */
int cl_cage_run(const ClConfig *config, const char *cage_id, char **command);

/* Run command in the running cage cage_id, with our stdio; its exit status. */
int cl_cage_exec(const ClConfig *config, const char *cage_id, char **command);

/* Print the configured cages with their level and state.  Returns 0. */
int cl_cage_list(const ClConfig *config, FILE *out);

/* "running", "stopped", "crashed: …" (newly allocated). */
char *cl_cage_state(const ClConfig *config, const char *cage_id);

/*
 * How a cage (or its main command) ended, from a wait status, for logs and
 * for `list`: "exited with status N", "killed by seccomp (SIGSYS)", …
 */
char *cl_cage_describe_status(int wait_status);
