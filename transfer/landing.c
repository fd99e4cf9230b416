/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Landing in the target cage's home, which is hostile: every directory is
 * opened with openat2 RESOLVE_BENEATH|NO_SYMLINKS|NO_MAGICLINKS|NO_XDEV, the
 * document appears by a single linkat() of a complete, fsync'd file, and an
 * existing name is never replaced (linkat fails with EEXIST).
 */
#include "cloison-build-config.h"

#include "landing.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "i18n.h"
#include "intake-private.h"
#include "log.h"
#include "names.h"
#include "util.h"

#define COPY_CHUNK (8u << 20)
#define RW_BUFFER  (128u << 10)

static bool dir_name_is_valid(const char *name)
{
	return name && *name && strlen(name) <= CL_NAME_MAX_BYTES && !strchr(name, '/') &&
	       strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

/* Open (creating it when missing) the directory parent_fd/name; never follows. */
static int open_or_create_dir(int parent_fd, const char *name, const char *shown, uid_t owner,
                              gid_t group, GError **error)
{
	const uint64_t flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	bool created = false;
	int fd = cl_openat2_beneath(parent_fd, name, flags, 0);

	if (fd == -ENOENT) {
		if (mkdirat(parent_fd, name, 0700) == 0)
			created = true;
		else if (errno != EEXIST) {
			int err = errno;
			g_set_error(error, CL_TRANSFER_ERROR,
			            err == ENOSPC || err == EDQUOT ? CL_TRANSFER_ERROR_NO_SPACE
			                                           : CL_TRANSFER_ERROR_LANDING,
			            _("cannot create the directory %s: %s"), shown,
			            g_strerror(err));
			return -1;
		}
		/* Opened again, never following: the cage may have raced us. */
		fd = cl_openat2_beneath(parent_fd, name, flags, 0);
	}
	if (fd < 0) {
		int err = -fd;
		const char *why;
		struct stat st;

		/* O_DIRECTORY|O_NOFOLLOW on a symlink says ENOTDIR: tell which. */
		if (err == ENOTDIR && fstatat(parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(st.st_mode))
			err = ELOOP;

		switch (err) {
		case ELOOP:
			why = _("it is a symbolic link");
			break;
		case ENOTDIR:
			why = _("it is not a directory");
			break;
		case EXDEV:
			why = _("it is a mount point");
			break;
		default:
			why = g_strerror(err);
		}
		g_set_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_LANDING,
		            _("cannot use the directory %s: %s"), shown, why);
		return -1;
	}
	if (created &&
	    ((owner != (uid_t)-1 && fchown(fd, owner, group) < 0) || fchmod(fd, 0700) < 0)) {
		int err = errno;
		cl_close(fd);
		g_set_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_LANDING,
		            _("cannot set up the directory %s: %s"), shown, g_strerror(err));
		return -1;
	}
	return fd;
}

int cl_landing_open_incoming(int home_fd, const char *from_cage, uid_t owner, gid_t group,
                             GError **error)
{
	if (!dir_name_is_valid(from_cage)) {
		g_set_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_LANDING,
		            _("invalid source cage name for the Incoming directory"));
		return -1;
	}

	_cleanup_close_ int incoming = open_or_create_dir(
	        home_fd, CL_INCOMING_DIR, "~/" CL_INCOMING_DIR, owner, group, error);
	if (incoming < 0)
		return -1;
	g_autofree char *shown = g_strdup_printf("~/%s/%s", CL_INCOMING_DIR, from_cage);
	return open_or_create_dir(incoming, from_cage, shown, owner, group, error);
}

/* An O_TMPFILE in dir_fd (never a named file: it would be visible). */
static int open_tmpfile(int dir_fd, GError **error)
{
	int fd = openat(dir_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0) {
		int err = errno;
		g_set_error(error, CL_TRANSFER_ERROR,
		            err == ENOSPC || err == EDQUOT       ? CL_TRANSFER_ERROR_NO_SPACE
		            : err == EOPNOTSUPP || err == EISDIR ? CL_TRANSFER_ERROR_LANDING
		                                                 : CL_TRANSFER_ERROR_IO,
		            _("cannot create a file in the Incoming directory: %s"),
		            g_strerror(err));
	}
	return fd;
}

/* Copy size bytes of src into dst from offset 0.  0 or -errno. */
static int copy_all(int src, int dst, uint64_t size)
{
	loff_t in = 0, out = 0;
	bool use_cfr = true;
	g_autofree unsigned char *buf = NULL;

	while ((uint64_t)out < size) {
		size_t want = (size_t)MIN((uint64_t)COPY_CHUNK, size - (uint64_t)out);
		ssize_t n;

		if (use_cfr) {
			n = copy_file_range(src, &in, dst, &out, want, 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EXDEV || errno == EOPNOTSUPP || errno == ENOSYS ||
			              errno == EINVAL || errno == EPERM)) {
				use_cfr = false;
				continue;
			}
			if (n < 0)
				return -errno;
			if (n == 0)
				return -EIO; /* the snapshot is shorter than it was */
			continue;
		}
		if (!buf)
			buf = g_malloc(RW_BUFFER);
		n = pread(src, buf, MIN(want, (size_t)RW_BUFFER), in);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		for (ssize_t w = 0; w < n;) {
			ssize_t k = pwrite(dst, buf + w, (size_t)(n - w), out + w);
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				return k < 0 ? -errno : -EIO;
			w += k;
		}
		in += n;
		out += n;
	}
	return 0;
}

/* Mode, owner, xattrs, then fsync: the file is complete before it has a name. */
static bool prepare_file(int fd, const ClLandingInfo *info, GError **error)
{
	const struct {
		const char *name, *value;
	} attrs[] = {
	        {CL_XATTR_ORIGIN, info->origin},
	        {CL_XATTR_SHA256, info->sha256},
	};

	if (fchmod(fd, 0600) < 0)
		goto fail;
	if (info->owner != (uid_t)-1 && fchown(fd, info->owner, info->group) < 0)
		goto fail;
	for (size_t i = 0; i < G_N_ELEMENTS(attrs); i++) {
		if (!attrs[i].value)
			continue;
		if (fsetxattr(fd, attrs[i].name, attrs[i].value, strlen(attrs[i].value), 0) == 0)
			continue;
		if (errno == EOPNOTSUPP) {
			/* Origin is informative; the audit log has it in any case. */
			cl_warn("the target file system has no user extended attributes: "
			        "%s not set",
			        attrs[i].name);
			break;
		}
		if (errno == ENOSPC || errno == EDQUOT) {
			g_set_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_NO_SPACE,
			            _("no space left for the document's attributes: %s"),
			            g_strerror(errno));
			return false;
		}
		goto fail;
	}
	if (fsync(fd) < 0) {
		g_set_error(error, CL_TRANSFER_ERROR,
		            errno == ENOSPC || errno == EDQUOT ? CL_TRANSFER_ERROR_NO_SPACE
		                                               : CL_TRANSFER_ERROR_IO,
		            _("cannot write the document to disk: %s"), g_strerror(errno));
		return false;
	}
	return true;
fail:
	g_set_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_IO,
	            _("cannot prepare the document for landing: %s"), g_strerror(errno));
	return false;
}

/* Give the unlinked fd the name dir_fd/name.  0 or -errno (EEXIST: taken). */
static int link_fd(int fd, int dir_fd, const char *name)
{
	if (linkat(fd, "", dir_fd, name, AT_EMPTY_PATH) == 0)
		return 0;
	/* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; the /proc link does not. */
	if (errno != ENOENT && errno != EPERM)
		return -errno;
	char proc[64];
	g_snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (linkat(AT_FDCWD, proc, dir_fd, name, AT_SYMLINK_FOLLOW) == 0)
		return 0;
	return -errno;
}

/*
 * Link fd under the first free candidate name.  Returns 0 and the name,
 * or -errno (EXDEV, ENOENT for a file that cannot be linked, …).
 */
static int link_first_free(int fd, int dir_fd, const char *name, char **ret_name)
{
	for (unsigned n = 1; n <= CL_LANDING_MAX_TRIES; n++) {
		g_autofree char *candidate = cl_name_candidate(name, n);
		int r = link_fd(fd, dir_fd, candidate);

		if (r == 0) {
			*ret_name = g_steal_pointer(&candidate);
			return 0;
		}
		if (r != -EEXIST)
			return r;
	}
	return -EEXIST;
}

static bool link_failed(int err, GError **error)
{
	if (err == EEXIST)
		g_set_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_LANDING,
		            _("no free name in the Incoming directory after %d tries"),
		            CL_LANDING_MAX_TRIES);
	else
		g_set_error(error, CL_TRANSFER_ERROR,
		            err == ENOSPC || err == EDQUOT ? CL_TRANSFER_ERROR_NO_SPACE
		                                           : CL_TRANSFER_ERROR_IO,
		            _("cannot link the document into the Incoming directory: %s"),
		            g_strerror(err));
	return false;
}

bool cl_landing_land(int incoming_fd, const ClSnapshot *snap, const ClLandingInfo *info,
                     char **ret_name, GError **error)
{
	g_autofree char *check = cl_name_sanitize(info->name);
	g_autofree char *name = NULL;
	struct stat sst, dst;

	if (!info->name || strcmp(check, info->name) != 0) {
		g_set_error_literal(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_LANDING,
		                    _("the document name was not sanitised"));
		return false;
	}
	if (snap->fd < 0 || fstat(snap->fd, &sst) < 0 || fstat(incoming_fd, &dst) < 0 ||
	    (uint64_t)sst.st_size != snap->size) {
		g_set_error_literal(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_IO,
		                    _("the snapshot is not usable"));
		return false;
	}

	/* Same file system: the snapshot itself gets the name. */
	int r = -EXDEV;
	if (sst.st_dev == dst.st_dev) {
		if (!prepare_file(snap->fd, info, error))
			return false;
		r = link_first_free(snap->fd, incoming_fd, info->name, &name);
		if (r < 0 && r != -EXDEV && r != -ENOENT)
			return link_failed(-r, error);
	}

	/*
	 * On another file system or mount, or for a snapshot that cannot be
	 * linked (from a staging without O_TMPFILE): a full copy in an
	 * O_TMPFILE of the Incoming directory, then the same link.
	 */
	if (r < 0) {
		_cleanup_close_ int tmp = open_tmpfile(incoming_fd, error);
		if (tmp < 0)
			return false;
		int c = copy_all(snap->fd, tmp, snap->size);
		if (c < 0) {
			g_set_error(error, CL_TRANSFER_ERROR,
			            c == -ENOSPC || c == -EDQUOT ? CL_TRANSFER_ERROR_NO_SPACE
			                                         : CL_TRANSFER_ERROR_IO,
			            _("cannot copy the document into the Incoming directory: %s"),
			            g_strerror(-c));
			return false;
		}
		if (!prepare_file(tmp, info, error))
			return false;
		r = link_first_free(tmp, incoming_fd, info->name, &name);
		if (r < 0)
			return link_failed(-r, error);
	}

	if (fsync(incoming_fd) < 0) {
		int err = errno;
		/* Not durable: take it back rather than report a half success. */
		unlinkat(incoming_fd, name, 0);
		g_set_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_IO,
		            _("cannot write the Incoming directory to disk: %s"), g_strerror(err));
		return false;
	}
	*ret_name = g_steal_pointer(&name);
	return true;
}

bool cl_landing_remove_source(int home_fd, const char *rel_path, const ClSnapshot *snap,
                              GError **error)
{
	const char *slash = strrchr(rel_path, '/');
	const char *base = slash ? slash + 1 : rel_path;
	g_autofree char *dir = slash ? g_strndup(rel_path, (size_t)(slash - rel_path)) : NULL;

	if (!dir_name_is_valid(base)) {
		g_set_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_INVALID_PATH,
		            _("cannot remove “%s”: not a file name"), rel_path);
		return false;
	}
	_cleanup_close_ int parent = cl_openat2_beneath(
	        home_fd, dir ? dir : ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
	if (parent < 0) {
		int err = -parent;
		g_set_error(error, CL_TRANSFER_ERROR,
		            err == ENOENT || err == ENOTDIR || err == ELOOP || err == EXDEV
		                    ? CL_TRANSFER_ERROR_SOURCE_CHANGED
		                    : CL_TRANSFER_ERROR_IO,
		            _("the source “%s” was kept: its directory cannot be opened (%s)"),
		            rel_path, g_strerror(err));
		return false;
	}

	struct stat st;
	const struct stat *old = &snap->source;
	if (fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		g_set_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_SOURCE_CHANGED,
		            _("the source “%s” is no longer there: %s"), rel_path,
		            g_strerror(errno));
		return false;
	}
	if (st.st_dev != old->st_dev || st.st_ino != old->st_ino) {
		g_set_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_SOURCE_CHANGED,
		            _("the source “%s” was kept: it was replaced by another file"),
		            rel_path);
		return false;
	}
	if (st.st_size != old->st_size || st.st_mtim.tv_sec != old->st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != old->st_mtim.tv_nsec ||
	    st.st_ctim.tv_sec != old->st_ctim.tv_sec ||
	    st.st_ctim.tv_nsec != old->st_ctim.tv_nsec) {
		g_set_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_SOURCE_CHANGED,
		            _("the source “%s” was kept: it changed after it was sent"), rel_path);
		return false;
	}
	if (unlinkat(parent, base, 0) < 0 || fsync(parent) < 0) {
		g_set_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_IO,
		            _("cannot remove the source “%s”: %s"), rel_path, g_strerror(errno));
		return false;
	}
	return true;
}
