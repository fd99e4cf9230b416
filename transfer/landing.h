/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Landing an approved snapshot in the target cage: ~/Incoming/FROM-CAGE/,
 * atomically (linkat of the unlinked snapshot), never overwriting, with its
 * origin in extended attributes.  The target home belongs to a hostile cage:
 * nothing in it is followed.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "intake.h"

#define CL_INCOMING_DIR      "Incoming"
#define CL_XATTR_ORIGIN      "user.cloison.origin"
#define CL_XATTR_SHA256      "user.cloison.sha256"
#define CL_LANDING_MAX_TRIES 1000

/*
 * Open (creating them 0700 when missing) home_fd/Incoming and
 * home_fd/Incoming/FROM_CAGE without following symlinks (openat2 with the
 * intake's RESOLVE_* flags); anything that is not a real directory is
 * refused (LANDING).  When owner is not (uid_t)-1, created directories are
 * given to owner:group (the cage account when the core runs as root).
 * Returns the fd of Incoming/FROM_CAGE or -1 with an error.
 */
int cl_landing_open_incoming(int home_fd, const char *from_cage, uid_t owner, gid_t group,
                             GError **error);

typedef struct {
	const char *name;   /* sanitised (cl_name_sanitize) */
	const char *origin; /* value of user.cloison.origin, e.g. "low (Low)" */
	const char *sha256;
	uid_t owner; /* (uid_t)-1: keep ours */
	gid_t group;
} ClLandingInfo;

/*
 * Land snap in incoming_fd: set mode 0600, owner, the two xattrs, fsync the
 * file, link it under the first free cl_name_candidate() (EEXIST → next; at
 * most CL_LANDING_MAX_TRIES), fsync the directory.  When linking fails with
 * EXDEV (the snapshot is on another file system or mount), or the snapshot
 * cannot be linked (a named temporary from a staging without O_TMPFILE), it
 * is first copied into an O_TMPFILE in incoming_fd, so a partial file is
 * never visible.  Returns the name used in
 * *ret_name (g_free()), or false with an error (NO_SPACE, LANDING, IO);
 * on failure nothing is left in incoming_fd.
 */
bool cl_landing_land(int incoming_fd, const ClSnapshot *snap, const ClLandingInfo *info,
                     char **ret_name, GError **error);

/*
 * Move: remove the source rel_path beneath home_fd after a durable landing,
 * only if it is still the file that was snapshotted (same device, inode,
 * size, mtime and ctime as snap->source).  Otherwise SOURCE_CHANGED and the
 * source is kept.  The parent directory is opened with the intake's
 * RESOLVE_* flags; nothing is followed.
 */
bool cl_landing_remove_source(int home_fd, const char *rel_path, const ClSnapshot *snap,
                              GError **error);
