/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Safe intake of a document from a cage's home: resolve the path the cage
 * gave, open it without following anything the cage could have planted, and
 * snapshot its content into the core's staging directory.  What the user
 * approves is the snapshot; the source may change afterwards.
 */
#pragma once

#include <glib.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#define CL_INTAKE_PATH_MAX 4096

#define CL_TRANSFER_ERROR (cl_transfer_error_quark())
GQuark cl_transfer_error_quark(void);

typedef enum {
	CL_TRANSFER_ERROR_INVALID_PATH, /* empty, too long, outside the home */
	CL_TRANSFER_ERROR_NOT_FOUND,
	CL_TRANSFER_ERROR_FORBIDDEN_PATH, /* symlink, magic link, .., other mount */
	CL_TRANSFER_ERROR_NOT_REGULAR,    /* directory, FIFO, socket, device */
	CL_TRANSFER_ERROR_TOO_LARGE,      /* over the limit, before or during copy */
	CL_TRANSFER_ERROR_NO_SPACE,       /* staging or target file system full */
	CL_TRANSFER_ERROR_CANCELLED,
	CL_TRANSFER_ERROR_IO,
	CL_TRANSFER_ERROR_LANDING,        /* Incoming directory unusable */
	CL_TRANSFER_ERROR_SOURCE_CHANGED, /* move: source changed, kept */
} ClTransferError;

/*
 * Open a cage home given as an absolute host path (e.g.
 * $XDG_DATA_HOME/cloison/cages/CAGE/home) with O_DIRECTORY|O_NOFOLLOW on
 * every component, so a symlinked home (or parent) is refused
 * (FORBIDDEN_PATH).  Its owner must be our euid; when we run as root any
 * owner is accepted (the launcher gives the home to the cage account).
 * Returns an O_RDONLY directory fd, its fstat in *ret_st (may be NULL), or -1.
 */
int cl_intake_open_home(const char *path, struct stat *ret_st, GError **error);

/*
 * Stale-staging reclaim at broker start: remove every entry of staging_fd
 * (named temporaries left by a broker killed on a file system without
 * O_TMPFILE).  Returns the number removed, or -1 with an error (IO).
 */
int cl_staging_reclaim(int staging_fd, GError **error);

/*
 * Turn the path a cage sent into a path relative to its home: an absolute
 * path must lie under the in-cage home (CL_CAGE_HOME, "/home/user"); a
 * relative path is taken from the home.  Refuses (INVALID_PATH, naming the
 * problem) empty paths, paths longer than CL_INTAKE_PATH_MAX, absolute paths
 * outside the home, the home itself, and any ".." component.  Repeated and
 * trailing slashes and "." components are removed.  *ret_rel is newly
 * allocated (g_free()).
 */
bool cl_intake_resolve(const char *cage_path, char **ret_rel, GError **error);

/*
 * Open rel_path beneath home_fd with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV), first as
 * O_PATH|O_NOFOLLOW: the type is checked on that descriptor, so a FIFO,
 * socket, device or directory is refused without ever being opened (never
 * blocks, no device side effect); then that same inode is reopened
 * O_RDONLY|O_NOCTTY|O_CLOEXEC through /proc/self/fd.  Returns the fd and its
 * fstat in *ret_st (may be NULL), or -1 with an error (NOT_FOUND,
 * FORBIDDEN_PATH, NOT_REGULAR, IO).
 */
int cl_intake_open(int home_fd, const char *rel_path, struct stat *ret_st, GError **error);

typedef struct {
	int fd;             /* unlinked O_TMPFILE in staging, O_RDWR; -1 when cleared */
	uint64_t size;      /* bytes in the snapshot */
	char sha256[65];    /* lower-case hex of the snapshot */
	struct stat source; /* fstat of the source after the copy (move check) */
} ClSnapshot;

/* Called from the copying thread; return false to cancel. */
typedef bool (*ClIntakeProgress)(uint64_t done, uint64_t total, void *userdata);

/*
 * Copy src_fd (from cl_intake_open) into a new unlinked O_TMPFILE in
 * staging_fd (same file system as the cage homes, so landing is a link),
 * with copy_file_range (read/write fallback on EXDEV, EOPNOTSUPP, ENOSYS…),
 * computing the SHA-256 of what was written (of the snapshot, never of a
 * second read of the source), in a pipeline so hashing overlaps copying.
 * Fails with TOO_LARGE when the source has or reaches more than max_size
 * bytes, NO_SPACE on ENOSPC/EDQUOT, CANCELLED when *cancel becomes true or
 * progress returns false (progress may be NULL; it is called at most every
 * 64 MiB and at the end).  On failure nothing is left in staging and *snap
 * is cleared.  Safe to call from several threads at once.
 */
bool cl_intake_snapshot(int src_fd, int staging_fd, uint64_t max_size, atomic_bool *cancel,
                        ClIntakeProgress progress, void *userdata, ClSnapshot *snap,
                        GError **error);

void cl_snapshot_clear(ClSnapshot *snap);

/*
 * MIME type of a snapshot by content (libmagic, never the name), normalised
 * by cl_mime_normalize(); "application/octet-stream" when libmagic cannot
 * tell.  A ClMagic is not thread-safe: one per thread.
 */
typedef struct ClMagic ClMagic;
ClMagic *cl_magic_new(GError **error);
void cl_magic_free(ClMagic *magic);
char *cl_magic_mime_type(ClMagic *magic, int fd, GError **error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ClMagic, cl_magic_free)
