/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers shared by intake.c and landing.c; not part of the library's API. */
#pragma once

#include <glib.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * openat2() with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
 * RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV: nothing planted in a hostile
 * directory tree is followed.  Returns the fd or -errno.
 */
int cl_openat2_beneath(int dirfd, const char *path, uint64_t flags, mode_t mode);

/* "a directory", "a FIFO"… (translated) for error messages. */
const char *cl_file_type_name(mode_t mode);

/* The ClTransferError code for an errno (NO_SPACE, NOT_FOUND, …, IO). */
int cl_transfer_error_from_errno(int err);

/*
 * A new unlinked file in dir_fd, O_RDWR, mode 0600: O_TMPFILE, or a named
 * file unlinked at once when the file system lacks O_TMPFILE.
 */
int cl_open_anonymous(int dir_fd, GError **error);
