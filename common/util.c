/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* Initial buffer for files whose size fstat() does not tell (procfs, sysfs). */
#define READ_CHUNK 4096

int cl_close(int fd)
{
	if (fd >= 0) {
		int saved_errno = errno;

		/* On Linux the fd is gone even when close() fails: never retry. */
		(void)close(fd);
		errno = saved_errno;
	}
	return -1;
}

int cl_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	if (fd < 0 || (!buf && len > 0))
		return -EINVAL;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read from fd until EOF or until limit bytes are in *buf (grown as needed). */
static int read_up_to(int fd, char **buf, size_t *cap, size_t limit, size_t *ret_len)
{
	size_t len = 0;

	while (len < limit) {
		ssize_t n;

		if (len == *cap) {
			size_t new_cap = *cap > limit / 2 ? limit : *cap * 2;
			char *p = realloc(*buf, new_cap);

			if (!p)
				return -ENOMEM;
			*buf = p;
			*cap = new_cap;
		}

		n = read(fd, *buf + len, *cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}

	*ret_len = len;
	return 0;
}

int cl_read_file_bounded(int dirfd, const char *path, size_t max_bytes, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t cap, len = 0;
	int r;

	if (!path || !ret)
		return -EINVAL;
	/* We read max_bytes + 1 to see whether the file is larger. */
	if (max_bytes >= SIZE_MAX / 2)
		return -EINVAL;

	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (st.st_size > 0 && (uintmax_t)st.st_size > max_bytes)
		return -EFBIG;

	/* st_size is only a hint: it is 0 in /proc, and the file may grow. */
	if (st.st_size > 0)
		cap = (size_t)st.st_size + 1;
	else
		cap = READ_CHUNK;
	if (cap > max_bytes + 1)
		cap = max_bytes + 1;

	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;

	r = read_up_to(fd, &buf, &cap, max_bytes + 1, &len);
	if (r < 0)
		return r;
	if (len > max_bytes)
		return -EFBIG;

	/* read_up_to() leaves room after the data unless it hit the limit. */
	if (len == cap) {
		char *p = realloc(buf, cap + 1);

		if (!p)
			return -ENOMEM;
		buf = p;
	}
	buf[len] = '\0';

	*ret = buf;
	buf = NULL;
	if (ret_len)
		*ret_len = len;
	return 0;
}

int cl_parse_u64(const char *s, unsigned long long *ret)
{
	unsigned long long v = 0;
	const char *p;

	if (!s || !*s)
		return -EINVAL;
	for (p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return -EINVAL;

	for (p = s; *p; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (ULLONG_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}

	if (ret)
		*ret = v;
	return 0;
}

int cl_write_file_atomic_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode)
{
	char tmp[PATH_MAX];
	int fd, r;

	if (snprintf(tmp, sizeof(tmp), "%s.new", name) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	r = cl_write_all(fd, data, len);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(dirfd, tmp, 0);
	return r;
}

const char *cl_option_value(int argc, char **argv, int *i, const char *name)
{
	size_t len = strlen(name);

	if (strcmp(argv[*i], name) == 0)
		return *i + 1 < argc ? argv[++*i] : NULL;
	if (strncmp(argv[*i], name, len) == 0 && argv[*i][len] == '=')
		return argv[*i] + len + 1;
	return NULL;
}

bool cl_option_is(const char *arg, const char *name)
{
	size_t len = strlen(name);

	return strncmp(arg, name, len) == 0 && (arg[len] == '\0' || arg[len] == '=');
}
