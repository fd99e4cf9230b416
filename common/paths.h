/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Runtime, data and state paths of design.md §3, created with safe modes.
 *
 * Every directory Cloison creates is 0700 and owned by the effective user.
 * An existing directory on these paths is accepted only if it is a real
 * directory (not a symlink) owned by the effective user and not writable by
 * group or others; looser read/execute bits are tightened to 0700.  Anything
 * else is refused with an error naming the path and the problem.
 *
 * Functions that return an int return a file descriptor (O_DIRECTORY,
 * O_CLOEXEC) or a negative errno, and set *error on failure.
 */
#pragma once

#include <glib.h>

#define CL_SOCKET_WAYLAND  "wayland-0"
#define CL_SOCKET_TRANSFER "transfer"
#define CL_SOCKET_NOTIFY   "notify"
#define CL_CTL_SOCKET      "ctl"

/*
 * Open (creating it 0700 if missing) the directory NAME inside dirfd, and
 * check it as described above.  NAME is a single path component.
 */
int cl_mkdir_secure_at(int dirfd, const char *name, const char *display_path, GError **error);

/*
 * $XDG_RUNTIME_DIR: must be set, absolute, a directory owned by the
 * effective user and not group/world-writable.  Returns a newly allocated
 * path, or NULL with an error that explains how to fix it.
 */
char *cl_paths_xdg_runtime_dir(GError **error);

/*
 * Check xdg_runtime_dir and create cloison/, cloison/core/ and
 * cloison/cages/ inside it.  Returns an fd on cloison/.
 */
int cl_paths_ensure_runtime(const char *xdg_runtime_dir, GError **error);

/* Create cloison/cages/CAGE (runtime_fd is the cloison/ fd).  Returns its fd. */
int cl_paths_ensure_cage_runtime(int runtime_fd, const char *cage, GError **error);

/*
 * Check xdg_runtime_dir and create (or check) cloison/, cloison/cages/ and
 * cloison/cages/CAGE in it, with the same checks as the two functions above,
 * but without cloison/core/ and each directory checked once.  Returns the
 * fd of the cage's directory.  For the cage launcher, on every cage start.
 */
int cl_paths_open_cage_runtime(const char *xdg_runtime_dir, const char *cage, GError **error);

/*
 * Path of a cage socket: XDG_RUNTIME_DIR/cloison/cages/CAGE/WHICH, or of the
 * control socket when cage is NULL (XDG_RUNTIME_DIR/cloison/core/ctl).
 * Fails (NULL) if the result does not fit in sockaddr_un.sun_path.
 * which is a single component (CL_SOCKET_*); with cage NULL it names the
 * socket in core/ and may be NULL for CL_CTL_SOCKET.
 */
char *cl_paths_socket(const char *xdg_runtime_dir, const char *cage, const char *which,
                      GError **error);

/* $XDG_DATA_HOME, else $HOME/.local/share; NULL + error if neither is usable. */
char *cl_paths_data_home(GError **error);
/* $XDG_STATE_HOME, else $HOME/.local/state. */
char *cl_paths_state_home(GError **error);
/* $XDG_CONFIG_HOME, else $HOME/.config. */
char *cl_paths_config_home(GError **error);

/*
 * Create DATA_HOME/cloison/cages/CAGE (the cage's core-side data: its home
 * and files the cage must not change) and return its fd.
 */
int cl_paths_ensure_cage_data(const char *data_home, const char *cage, GError **error);

/*
 * Create DATA_HOME/cloison/cages/CAGE/home (every component Cloison owns is
 * 0700; DATA_HOME itself is created 0700 if missing) and return its fd.
 */
int cl_paths_ensure_cage_home(const char *data_home, const char *cage, GError **error);

/* Create STATE_HOME/cloison and return its fd (the audit log lives there). */
int cl_paths_ensure_state_dir(const char *state_home, GError **error);
