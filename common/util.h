/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Small fd and cleanup helpers shared by all programs. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

/* Close fd if >= 0, preserving errno; always returns -1. */
int cl_close(int fd);

static inline void cl_closep(int *fd)
{
	cl_close(*fd);
	*fd = -1;
}
#define _cleanup_close_ _cleanup_(cl_closep)

static inline void cl_freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(cl_freep)

/* Take ownership of an fd: returns it and sets the variable to -1. */
static inline int cl_steal_fd(int *fd)
{
	int r = *fd;
	*fd = -1;
	return r;
}

/* Write all of buf, retrying on EINTR and short writes.  0 or -errno. */
int cl_write_all(int fd, const void *buf, size_t len);

/*
 * Read a whole file of at most max_bytes through dirfd/path (regular files
 * only; O_NOCTTY|O_NONBLOCK so a FIFO never blocks).  *ret is NUL-terminated.
 * (*ret comes from malloc(): release it with free() or g_free().)
 * Returns 0, -EFBIG when larger than max_bytes, -EINVAL when not a regular
 * file, or another -errno.
 */
int cl_read_file_bounded(int dirfd, const char *path, size_t max_bytes, char **ret,
                         size_t *ret_len);

/*
 * Replace dirfd/name with data, atomically: written to "name.new" (never
 * following a symlink), then renamed over name.  On failure nothing is left
 * behind and name is untouched.  Returns 0 or -errno.
 */
int cl_write_file_atomic_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode);

/* Parse a whole decimal unsigned number (no sign, no spaces).  -EINVAL/-ERANGE. */
int cl_parse_u64(const char *s, unsigned long long *ret);

/*
 * Command-line options: argv[*i] is "--name VALUE" (the value is the next
 * argument, and *i moves past it) or "--name=VALUE".  Returns the value, or
 * NULL when argv[*i] is another option or the value is missing.
 */
const char *cl_option_value(int argc, char **argv, int *i, const char *name);
/* arg is "--name" or "--name=…". */
bool cl_option_is(const char *arg, const char *name);
