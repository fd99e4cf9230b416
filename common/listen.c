/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The cages' listening sockets (listen.h). */
#include "cloison-build-config.h"

#include "listen.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "i18n.h"
#include "paths.h"
#include "util.h"

#define LISTEN_BACKLOG 64

static int fail_errno(GError **error, int err, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static int fail_errno(GError **error, int err, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err), "%s: %s", msg,
	            g_strerror(err));
	return -1;
}

bool cl_listen_in_use(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int probe = -1;

	if (strlen(path) >= sizeof(sa.sun_path))
		return false;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (probe < 0)
		return false;
	return connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EAGAIN;
}

int cl_listen_unix_at(int dir_fd, const char *name, const char *path, const char *owner,
                      GError **error)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NAMETOOLONG,
		            _("the socket path %s is too long"), path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);

	/* Only a socket is ever replaced, and only one nobody listens on. */
	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
			            _("%s exists and is not a socket: remove it"), path);
			return -1;
		}
		/* Probed with another socket: failing here removes nothing. */
		if (cl_listen_in_use(path)) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
			            _("%s is in use: is another %s running?"), path, owner);
			return -1;
		}
		if (unlinkat(dir_fd, name, 0) < 0 && errno != ENOENT)
			return fail_errno(error, errno, _("cannot remove the old socket %s"), path);
	} else if (errno != ENOENT) {
		return fail_errno(error, errno, _("cannot look at %s"), path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return fail_errno(error, errno, "socket %s", path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return fail_errno(error, errno, _("cannot bind %s"), path);
	if (fchmodat(dir_fd, name, 0600, 0) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
		int err = errno;

		unlinkat(dir_fd, name, 0); /* ours: bound just now */
		return fail_errno(error, err, _("cannot listen on %s"), path);
	}
	return cl_steal_fd(&fd);
}

bool cl_listen_check_fd(int fd, const char *path, GError **error)
{
	struct sockaddr_un sa = {0};
	socklen_t salen = sizeof(sa);
	int domain = 0, type = 0, listening = 0;
	socklen_t len = sizeof(int);
	struct stat st;

	if (fstat(fd, &st) < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
		            _("file descriptor %d: %s"), fd, g_strerror(errno));
		return false;
	}
	if (!S_ISSOCK(st.st_mode)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
		            _("file descriptor %d is not a socket"), fd);
		return false;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0 || domain != AF_UNIX ||
	    (len = sizeof(int), getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) ||
	    type != SOCK_STREAM) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
		            _("file descriptor %d is not an AF_UNIX stream socket"), fd);
		return false;
	}
	len = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 || !listening) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
		            _("file descriptor %d is not a listening socket"), fd);
		return false;
	}
	if (!path)
		return true;
	if (getsockname(fd, (struct sockaddr *)&sa, &salen) < 0 ||
	    salen <= offsetof(struct sockaddr_un, sun_path) ||
	    strnlen(sa.sun_path, sizeof(sa.sun_path)) == sizeof(sa.sun_path) ||
	    strcmp(sa.sun_path, path) != 0) {
		g_autofree char *got = g_strndup(sa.sun_path, sizeof(sa.sun_path));
		g_autofree char *q = g_strescape(got, NULL);

		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
		            _("file descriptor %d is bound to “%s”, not to %s"), fd, q, path);
		return false;
	}
	return true;
}

int *cl_listen_fds_for_cages(const ClConfig *config, const char *xdg_runtime_dir, const char *which,
                             int n, char *const *names, GError **error)
{
	guint ncages = config->cages->len;
	g_autofree int *fds = g_new(int, MAX(ncages, 1));

	for (guint i = 0; i < ncages; i++)
		fds[i] = -1;
	for (int i = 0; i < n; i++) {
		const char *name = names ? names[i] : NULL;
		int fd = CL_LISTEN_FDS_START + i;
		g_autofree char *path = NULL;
		g_autoptr(GError) e = NULL;
		guint k;

		if (!name || !*name) {
			g_set_error(
			        error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			        _("file descriptor %d was passed without a name (LISTEN_FDNAMES "
			          "must name each socket with its cage)"),
			        fd);
			return NULL;
		}
		for (k = 0; k < ncages; k++)
			if (strcmp(((const ClCage *)config->cages->pdata[k])->id, name) == 0)
				break;
		if (k == ncages) {
			g_autofree char *q = g_strescape(name, NULL);

			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			            _("file descriptor %d was passed for “%s”, which is not a "
			              "configured cage"),
			            fd, q);
			return NULL;
		}
		if (fds[k] >= 0) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			            _("two sockets were passed for cage %s (file descriptors %d "
			              "and %d)"),
			            name, fds[k], fd);
			return NULL;
		}
		path = cl_paths_socket(xdg_runtime_dir, name, which, error);
		if (!path)
			return NULL;
		if (!cl_listen_check_fd(fd, path, &e)) {
			g_set_error(error, G_FILE_ERROR,
			            e->domain == G_FILE_ERROR ? e->code : G_FILE_ERROR_INVAL,
			            _("the socket passed for cage %s: %s"), name, e->message);
			return NULL;
		}
		fds[k] = fd;
	}
	for (guint k = 0; k < ncages; k++) {
		if (fds[k] < 0) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
			            _("no socket was passed for cage %s (%d passed)"),
			            ((const ClCage *)config->cages->pdata[k])->id, n);
			return NULL;
		}
	}
	for (guint k = 0; k < ncages; k++) {
		int flags = fcntl(fds[k], F_GETFL);

		if (flags < 0 || fcntl(fds[k], F_SETFL, flags | O_NONBLOCK) < 0 ||
		    fcntl(fds[k], F_SETFD, FD_CLOEXEC) < 0) {
			g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			            _("file descriptor %d: %s"), fds[k], g_strerror(errno));
			return NULL;
		}
	}
	return g_steal_pointer(&fds);
}
