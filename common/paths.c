/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cloison-build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "i18n.h"
#include "log.h"
#include "paths.h"
#include "util.h"

#define CAGE_ID_MAX_LEN 32
/* Longest part of a user-supplied string quoted in an error message. */
#define QUOTE_MAX_BYTES 256

/* Sets *error from a negative errno and returns it. */
static int G_GNUC_PRINTF(3, 4) set_error_errno(GError **error, int r, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *message = NULL;

	va_start(ap, fmt);
	message = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error_literal(error, G_FILE_ERROR, g_file_error_from_errno(-r), message);
	return r;
}

/* Quote a value from the environment or the caller for an error message. */
static char *quote(const char *s)
{
	return cl_log_escape(s, QUOTE_MAX_BYTES);
}

static bool name_is_component(const char *name)
{
	return name && *name && strchr(name, '/') == NULL && strcmp(name, ".") != 0 &&
	       strcmp(name, "..") != 0;
}

/* Same rule as cl_id_is_valid() in config.c: [a-z0-9-]{1,32}, no leading '-'. */
static bool cage_id_is_valid(const char *id)
{
	size_t i;

	if (!id || !*id || id[0] == '-')
		return false;
	for (i = 0; id[i]; i++) {
		char c = id[i];

		if (i >= CAGE_ID_MAX_LEN)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

static int check_cage_id(const char *cage, GError **error)
{
	g_autofree char *q = NULL;

	if (cage_id_is_valid(cage))
		return 0;
	q = quote(cage);
	return set_error_errno(
	        error, -EINVAL,
	        _("Invalid cage name \"%s\": a cage name has 1 to %d characters among "
	          "a-z, 0-9 and '-', and does not start with '-'"),
	        q, CAGE_ID_MAX_LEN);
}

/* Check the owner and mode of a directory: ours, and writable only by us. */
static int check_dir_stat(const struct stat *st, const char *display, GError **error)
{
	uid_t euid = geteuid();

	if (!S_ISDIR(st->st_mode))
		return set_error_errno(error, -ENOTDIR, _("%s is not a directory"), display);
	if (st->st_uid != euid)
		return set_error_errno(
		        error, -EPERM,
		        _("%s is owned by uid %u, not by you (uid %u): remove it, or "
		          "give it to your user"),
		        display, (unsigned)st->st_uid, (unsigned)euid);
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return set_error_errno(
		        error, -EPERM,
		        _("%s is writable by group or others (mode %04o), so another "
		          "user may have tampered with it: remove it, or check its "
		          "contents and run \"chmod 700\" on it"),
		        display, (unsigned)(st->st_mode & 07777));
	return 0;
}

/*
 * Open the directory that path_fd (O_PATH) refers to for reading, setting its
 * mode to 0700.  When the mode does not let us open it (a umask of 0777, or
 * an existing 0300 directory), change it through /proc first.
 */
static int open_and_tighten(int path_fd, mode_t mode, const char *display, GError **error)
{
	_cleanup_close_ int fd = -1;
	int r;

	fd = openat(path_fd, ".", O_DIRECTORY | O_CLOEXEC | O_RDONLY);
	if (fd < 0 && errno == EACCES && (mode & 0700) != 0700) {
		g_autofree char *proc = g_strdup_printf("/proc/self/fd/%d", path_fd);

		if (chmod(proc, 0700) < 0) {
			r = -errno;
			return set_error_errno(error, r,
			                       _("Cannot change the mode of %s (%04o) to 0700: %s"),
			                       display, (unsigned)mode, g_strerror(-r));
		}
		mode = 0700;
		fd = openat(path_fd, ".", O_DIRECTORY | O_CLOEXEC | O_RDONLY);
	}
	if (fd < 0) {
		r = -errno;
		return set_error_errno(error, r, _("Cannot open directory %s: %s"), display,
		                       g_strerror(-r));
	}

	if (mode != 0700 && fchmod(fd, 0700) < 0) {
		r = -errno;
		return set_error_errno(error, r, _("Cannot change the mode of %s to 0700: %s"),
		                       display, g_strerror(-r));
	}
	return cl_steal_fd(&fd);
}

int cl_mkdir_secure_at(int dirfd, const char *name, const char *display_path, GError **error)
{
	_cleanup_close_ int path_fd = -1;
	g_autofree char *q = NULL;
	g_autofree char *display = NULL;
	struct stat st;
	int r;

	if (!name_is_component(name)) {
		q = quote(name);
		return set_error_errno(error, -EINVAL,
		                       _("Invalid directory name \"%s\": expected a single path "
		                         "component"),
		                       q);
	}
	/* Paths may come from the environment: never print them raw. */
	display = quote(display_path ? display_path : name);

	if (mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		return set_error_errno(error, r, _("Cannot create directory %s: %s"), display,
		                       g_strerror(-r));
	}

	/* O_PATH: checking the directory must not need any permission on it. */
	path_fd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (path_fd < 0) {
		r = -errno;
		if (r == -ELOOP || r == -ENOTDIR) {
			if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISLNK(st.st_mode))
				return set_error_errno(
				        error, r,
				        _("%s is a symbolic link; Cloison only uses a "
				          "real directory there: remove the link"),
				        display);
			return set_error_errno(
			        error, r,
			        _("%s is not a directory: move it away so that Cloison "
			          "can create its directory there"),
			        display);
		}
		return set_error_errno(error, r, _("Cannot open directory %s: %s"), display,
		                       g_strerror(-r));
	}

	if (fstat(path_fd, &st) < 0) {
		r = -errno;
		return set_error_errno(error, r, _("Cannot stat %s: %s"), display, g_strerror(-r));
	}

	r = check_dir_stat(&st, display, error);
	if (r < 0)
		return r;

	return open_and_tighten(path_fd, st.st_mode & 07777, display, error);
}

/* Open and check $XDG_RUNTIME_DIR (given as path); returns an fd. */
static int open_runtime_dir(const char *path, GError **error)
{
	_cleanup_close_ int fd = -1;
	g_autofree char *q = NULL;
	struct stat st;
	int r;

	if (!path || !*path)
		return set_error_errno(
		        error, -ENOENT,
		        _("XDG_RUNTIME_DIR is not set: log in through a session "
		          "manager that sets it (such as systemd-logind), or create a "
		          "private directory with mode 0700 and export "
		          "XDG_RUNTIME_DIR=/path/to/it"));

	q = quote(path);
	if (!g_path_is_absolute(path))
		return set_error_errno(
		        error, -EINVAL,
		        _("XDG_RUNTIME_DIR (\"%s\") is not an absolute path: set it to "
		          "the absolute path of a private directory (mode 0700)"),
		        q);

	/* Following a symlink here is fine: what matters is the directory. */
	fd = open(path, O_DIRECTORY | O_CLOEXEC | O_RDONLY);
	if (fd < 0) {
		r = -errno;
		return set_error_errno(error, r, _("Cannot open XDG_RUNTIME_DIR %s: %s"), q,
		                       g_strerror(-r));
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		return set_error_errno(error, r, _("Cannot stat XDG_RUNTIME_DIR %s: %s"), q,
		                       g_strerror(-r));
	}

	r = check_dir_stat(&st, q, error);
	if (r < 0) {
		/* Translators: put before a message such as "%s is not a directory". */
		g_prefix_error(error, _("XDG_RUNTIME_DIR is unsafe: "));
		return r;
	}

	return cl_steal_fd(&fd);
}

char *cl_paths_xdg_runtime_dir(GError **error)
{
	_cleanup_close_ int fd = -1;
	const char *path = g_getenv("XDG_RUNTIME_DIR");

	fd = open_runtime_dir(path, error);
	if (fd < 0)
		return NULL;
	return g_strdup(path);
}

int cl_paths_ensure_runtime(const char *xdg_runtime_dir, GError **error)
{
	_cleanup_close_ int runtime_fd = -1;
	_cleanup_close_ int cloison_fd = -1;
	_cleanup_close_ int sub_fd = -1;
	g_autofree char *cloison = NULL;
	g_autofree char *core = NULL;
	g_autofree char *cages = NULL;

	runtime_fd = open_runtime_dir(xdg_runtime_dir, error);
	if (runtime_fd < 0)
		return runtime_fd;

	cloison = g_build_filename(xdg_runtime_dir, "cloison", NULL);
	cloison_fd = cl_mkdir_secure_at(runtime_fd, "cloison", cloison, error);
	if (cloison_fd < 0)
		return cloison_fd;

	core = g_build_filename(cloison, "core", NULL);
	sub_fd = cl_mkdir_secure_at(cloison_fd, "core", core, error);
	if (sub_fd < 0)
		return sub_fd;
	sub_fd = cl_close(sub_fd);

	cages = g_build_filename(cloison, "cages", NULL);
	sub_fd = cl_mkdir_secure_at(cloison_fd, "cages", cages, error);
	if (sub_fd < 0)
		return sub_fd;

	return cl_steal_fd(&cloison_fd);
}

/* A path naming fd for messages (its /proc link), or fallback. */
static char *fd_display_path(int fd, const char *fallback)
{
	g_autofree char *link = g_strdup_printf("/proc/self/fd/%d", fd);
	g_autofree char *target = g_file_read_link(link, NULL);

	if (target && g_path_is_absolute(target))
		return g_steal_pointer(&target);
	return g_strdup(fallback);
}

int cl_paths_ensure_cage_runtime(int runtime_fd, const char *cage, GError **error)
{
	_cleanup_close_ int cages_fd = -1;
	g_autofree char *base = NULL;
	g_autofree char *cages = NULL;
	g_autofree char *cage_path = NULL;
	int r;

	r = check_cage_id(cage, error);
	if (r < 0)
		return r;

	base = fd_display_path(runtime_fd, "$XDG_RUNTIME_DIR/cloison");
	cages = g_build_filename(base, "cages", NULL);
	cages_fd = cl_mkdir_secure_at(runtime_fd, "cages", cages, error);
	if (cages_fd < 0)
		return cages_fd;

	cage_path = g_build_filename(cages, cage, NULL);
	return cl_mkdir_secure_at(cages_fd, cage, cage_path, error);
}

int cl_paths_open_cage_runtime(const char *xdg_runtime_dir, const char *cage, GError **error)
{
	_cleanup_close_ int runtime_fd = -1;
	_cleanup_close_ int cloison_fd = -1;
	_cleanup_close_ int cages_fd = -1;
	g_autofree char *cloison = NULL;
	g_autofree char *cages = NULL;
	g_autofree char *cage_path = NULL;
	int r;

	r = check_cage_id(cage, error);
	if (r < 0)
		return r;
	runtime_fd = open_runtime_dir(xdg_runtime_dir, error);
	if (runtime_fd < 0)
		return runtime_fd;

	cloison = g_build_filename(xdg_runtime_dir, "cloison", NULL);
	cloison_fd = cl_mkdir_secure_at(runtime_fd, "cloison", cloison, error);
	if (cloison_fd < 0)
		return cloison_fd;
	cages = g_build_filename(cloison, "cages", NULL);
	cages_fd = cl_mkdir_secure_at(cloison_fd, "cages", cages, error);
	if (cages_fd < 0)
		return cages_fd;
	cage_path = g_build_filename(cages, cage, NULL);
	return cl_mkdir_secure_at(cages_fd, cage, cage_path, error);
}

char *cl_paths_socket(const char *xdg_runtime_dir, const char *cage, const char *which,
                      GError **error)
{
	const size_t max = sizeof(((struct sockaddr_un *)NULL)->sun_path);
	g_autofree char *path = NULL;
	g_autofree char *q = NULL;
	size_t len;

	if (!xdg_runtime_dir || !g_path_is_absolute(xdg_runtime_dir)) {
		q = quote(xdg_runtime_dir);
		set_error_errno(error, -EINVAL,
		                _("XDG_RUNTIME_DIR (\"%s\") is not an absolute path: set it to the "
		                  "absolute path of a private directory (mode 0700)"),
		                q);
		return NULL;
	}
	if (cage && check_cage_id(cage, error) < 0)
		return NULL;
	if (!which && !cage)
		which = CL_CTL_SOCKET;
	if (!name_is_component(which)) {
		q = quote(which);
		set_error_errno(error, -EINVAL, _("Invalid socket name \"%s\""), q);
		return NULL;
	}

	if (cage)
		path = g_build_filename(xdg_runtime_dir, "cloison", "cages", cage, which, NULL);
	else
		path = g_build_filename(xdg_runtime_dir, "cloison", "core", which, NULL);

	len = strlen(path);
	if (len >= max) {
		q = quote(path);
		set_error_errno(
		        error, -ENAMETOOLONG,
		        _("Socket path %s is %zu bytes long, but a Unix socket path must be "
		          "shorter than %zu bytes: use a shorter XDG_RUNTIME_DIR (such as "
		          "/run/user/%u)"),
		        q, len, max, (unsigned)getuid());
		return NULL;
	}

	return g_steal_pointer(&path);
}

/* $env_var if set and absolute (the XDG spec ignores other values), else $HOME/suffix. */
static char *xdg_home(const char *env_var, const char *suffix, GError **error)
{
	const char *value = g_getenv(env_var);
	const char *home;
	g_autofree char *q = NULL;

	if (value && g_path_is_absolute(value))
		return g_strdup(value);

	home = g_getenv("HOME");
	if (!home || !*home) {
		set_error_errno(
		        error, -ENOENT,
		        _("HOME is not set, and neither is %s: set HOME to your home directory"),
		        env_var);
		return NULL;
	}
	if (!g_path_is_absolute(home)) {
		q = quote(home);
		set_error_errno(
		        error, -EINVAL,
		        _("HOME (\"%s\") is not an absolute path, and %s is not set: set HOME "
		          "to the absolute path of your home directory"),
		        q, env_var);
		return NULL;
	}
	return g_build_filename(home, suffix, NULL);
}

char *cl_paths_data_home(GError **error)
{
	return xdg_home("XDG_DATA_HOME", ".local/share", error);
}

char *cl_paths_state_home(GError **error)
{
	return xdg_home("XDG_STATE_HOME", ".local/state", error);
}

char *cl_paths_config_home(GError **error)
{
	return xdg_home("XDG_CONFIG_HOME", ".config", error);
}

/* mkdir -p base (0700 for what is created), and open it. */
static int open_base_dir(const char *base, const char *what, GError **error)
{
	g_autofree char *q = NULL;
	int fd, r;

	q = quote(base);
	if (!base || !g_path_is_absolute(base))
		/* Translators: %s is "the data directory" or "the state directory", then a path. */
		return set_error_errno(error, -EINVAL, _("%s (\"%s\") is not an absolute path"),
		                       what, q);
	if (g_mkdir_with_parents(base, 0700) < 0) {
		r = -errno;
		/* Translators: "the data directory" (or state), a path, the reason. */
		return set_error_errno(error, r, _("Cannot create %s %s: %s"), what, q,
		                       g_strerror(-r));
	}
	fd = open(base, O_DIRECTORY | O_CLOEXEC | O_RDONLY);
	if (fd < 0) {
		r = -errno;
		/* Translators: "the data directory" (or state), a path, the reason. */
		return set_error_errno(error, r, _("Cannot open %s %s: %s"), what, q,
		                       g_strerror(-r));
	}
	return fd;
}

int cl_paths_ensure_cage_data(const char *data_home, const char *cage, GError **error)
{
	static const char *const components[] = {"cloison", "cages", NULL};
	_cleanup_close_ int fd = -1;
	g_autofree char *path = NULL;
	size_t i;
	int r;

	r = check_cage_id(cage, error);
	if (r < 0)
		return r;

	/* Translators: inserted in "Cannot create %s %s: %s" and the like. */
	fd = open_base_dir(data_home, _("the data directory"), error);
	if (fd < 0)
		return fd;

	path = g_strdup(data_home);
	for (i = 0; i < G_N_ELEMENTS(components); i++) {
		const char *name = components[i] ? components[i] : cage;
		char *next = g_build_filename(path, name, NULL);
		int child;

		g_free(path);
		path = next;
		child = cl_mkdir_secure_at(fd, name, path, error);
		if (child < 0)
			return child;
		cl_close(fd);
		fd = child;
	}

	return cl_steal_fd(&fd);
}

int cl_paths_ensure_cage_home(const char *data_home, const char *cage, GError **error)
{
	_cleanup_close_ int fd = -1;
	g_autofree char *path = NULL;

	fd = cl_paths_ensure_cage_data(data_home, cage, error);
	if (fd < 0)
		return fd;
	path = g_build_filename(data_home, "cloison", "cages", cage, "home", NULL);
	return cl_mkdir_secure_at(fd, "home", path, error);
}

int cl_paths_ensure_state_dir(const char *state_home, GError **error)
{
	_cleanup_close_ int fd = -1;
	g_autofree char *path = NULL;

	/* Translators: inserted in "Cannot create %s %s: %s" and the like. */
	fd = open_base_dir(state_home, _("the state directory"), error);
	if (fd < 0)
		return fd;

	path = g_build_filename(state_home, "cloison", NULL);
	return cl_mkdir_secure_at(fd, "cloison", path, error);
}
