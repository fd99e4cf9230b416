/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The cages' listening sockets (cages/CAGE/transfer, cages/CAGE/notify):
 * created safely by whoever owns them (cloison-session, or a daemon started
 * by hand), or received by a daemon from the session with the systemd
 * socket-activation convention (LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES: one
 * socket per configured cage, named with the cage's id).  Reading the
 * environment is sd_listen_fds_with_names()'s job, in the daemons; the checks
 * of what was passed are here, without libsystemd.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "config.h"

/* The first file descriptor passed (SD_LISTEN_FDS_START). */
#define CL_LISTEN_FDS_START 3

/* Does something listen on the socket at path (a connection is accepted)? */
bool cl_listen_in_use(const char *path);

/*
 * Listen on dir_fd/name (a single component; path is its full path, which
 * must fit in sockaddr_un.sun_path).  A socket file nobody listens on is
 * replaced; one still listened on (another daemon, the session) is refused
 * with an error naming path and owner ("is another OWNER running?"), and
 * anything that is not a socket is refused: a failed call never removes
 * what it did not create.  The socket is made 0600, listens with a backlog
 * of 64 and is SOCK_CLOEXEC|SOCK_NONBLOCK.  Returns the fd, or -1 with
 * error set.
 */
int cl_listen_unix_at(int dir_fd, const char *name, const char *path, const char *owner,
                      GError **error);

/*
 * Is fd a listening AF_UNIX SOCK_STREAM socket bound to path (path NULL:
 * any address)?  false with an error naming the fd and what is wrong.
 */
bool cl_listen_check_fd(int fd, const char *path, GError **error);

/*
 * Match the sockets passed to a daemon (n of them, from
 * CL_LISTEN_FDS_START on, names[i] naming fds CL_LISTEN_FDS_START + i) to
 * the configured cages: each name must be a configured cage, named once,
 * every configured cage must have one, and each fd must be a listening
 * AF_UNIX stream socket bound to XDG_RUNTIME_DIR/cloison/cages/CAGE/WHICH.
 * Returns a newly allocated array of config->cages->len fds, in the
 * configuration's order (each set non-blocking); NULL with an error naming
 * the first problem.  The fds are not closed either way.
 */
int *cl_listen_fds_for_cages(const ClConfig *config, const char *xdg_runtime_dir, const char *which,
                             int n, char *const *names, GError **error);
