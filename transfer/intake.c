/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Safe intake: path resolution, opening beneath a hostile home, snapshot
 * with a copy/hash pipeline, MIME type by content.
 */
#include "cloison-build-config.h"

#include "intake.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <magic.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "i18n.h"
#include "init-protocol.h"
#include "intake-private.h"
#include "log.h"
#include "policy.h"
#include "util.h"

#define SNAPSHOT_CHUNK     (8u << 20)  /* bytes per copy_file_range round */
#define PROGRESS_EVERY     (64u << 20) /* bytes between two progress calls */
#define HASH_BUFFER        (256u << 10)
#define RW_BUFFER          (128u << 10)
#define MAGIC_BYTES_LIMIT  (8u << 20) /* at most this much is read for libmagic */
#define STAGING_TEMP_TRIES 100

int cl_openat2_beneath(int dirfd, const char *path, uint64_t flags, mode_t mode)
{
	struct open_how how = {
	        .flags = flags,
	        .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
	        .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
	                   RESOLVE_NO_XDEV,
	};
	long fd;

	do
		fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	while (fd < 0 && errno == EINTR);
	return fd < 0 ? -errno : (int)fd;
}

const char *cl_file_type_name(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return _("a regular file");
	case S_IFDIR:
		return _("a directory");
	case S_IFIFO:
		return _("a FIFO");
	case S_IFSOCK:
		return _("a socket");
	case S_IFCHR:
		return _("a character device");
	case S_IFBLK:
		return _("a block device");
	case S_IFLNK:
		return _("a symbolic link");
	default:
		return _("a special file");
	}
}

int cl_transfer_error_from_errno(int err)
{
	switch (err) {
	case ENOSPC:
	case EDQUOT:
		return CL_TRANSFER_ERROR_NO_SPACE;
	case ENOENT:
	case ENOTDIR:
		return CL_TRANSFER_ERROR_NOT_FOUND;
	case ELOOP:
	case EXDEV:
		return CL_TRANSFER_ERROR_FORBIDDEN_PATH;
	case EFBIG:
		return CL_TRANSFER_ERROR_TOO_LARGE;
	default:
		return CL_TRANSFER_ERROR_IO;
	}
}

/* ---- Path resolution ---------------------------------------------------- */

bool cl_intake_resolve(const char *cage_path, char **ret_rel, GError **error)
{
	size_t len = cage_path ? strnlen(cage_path, CL_INTAKE_PATH_MAX + 1) : 0;

	if (len == 0) {
		g_set_error_literal(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_INVALID_PATH,
		                    _("the path is empty"));
		return false;
	}
	if (len > CL_INTAKE_PATH_MAX) {
		g_set_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_INVALID_PATH,
		            _("the path is longer than %d bytes"), CL_INTAKE_PATH_MAX);
		return false;
	}

	g_auto(GStrv) parts = g_strsplit(cage_path, "/", -1);
	g_autoptr(GPtrArray) kept = g_ptr_array_new();
	for (char **p = parts; *p; p++) {
		if (**p == '\0' || strcmp(*p, ".") == 0)
			continue;
		if (strcmp(*p, "..") == 0) {
			g_set_error_literal(error, CL_TRANSFER_ERROR,
			                    CL_TRANSFER_ERROR_INVALID_PATH,
			                    _("the path contains a “..” component"));
			return false;
		}
		g_ptr_array_add(kept, *p);
	}

	unsigned skip = 0;
	if (cage_path[0] == '/') {
		g_auto(GStrv) home = g_strsplit(&CL_CAGE_HOME[1], "/", -1);
		unsigned n = g_strv_length(home);

		for (unsigned i = 0; i < n; i++) {
			if (i >= kept->len || strcmp(kept->pdata[i], home[i]) != 0) {
				g_set_error(error, CL_TRANSFER_ERROR,
				            CL_TRANSFER_ERROR_INVALID_PATH,
				            _("the path is outside the home directory %s"),
				            CL_CAGE_HOME);
				return false;
			}
		}
		skip = n;
	}
	if (kept->len <= skip) {
		g_set_error_literal(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_INVALID_PATH,
		                    _("the path is the home directory itself, not a file"));
		return false;
	}

	GString *rel = g_string_sized_new(len);
	for (unsigned i = skip; i < kept->len; i++) {
		if (rel->len > 0)
			g_string_append_c(rel, '/');
		g_string_append(rel, kept->pdata[i]);
	}
	*ret_rel = g_string_free(rel, false);
	return true;
}

/* ---- Opening ------------------------------------------------------------ */

int cl_intake_open_home(const char *path, struct stat *ret_st, GError **error)
{
	if (!path || path[0] != '/') {
		g_set_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_INVALID_PATH,
		            _("the home directory “%s” is not an absolute path"), path ? path : "");
		return -1;
	}

	_cleanup_close_ int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		g_set_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_IO,
		            _("cannot open “/”: %s"), g_strerror(errno));
		return -1;
	}
	g_auto(GStrv) parts = g_strsplit(path, "/", -1);
	for (char **p = parts; *p; p++) {
		if (**p == '\0' || strcmp(*p, ".") == 0)
			continue;
		if (strcmp(*p, "..") == 0) {
			g_set_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_INVALID_PATH,
			            _("the home directory “%s” contains a “..” component"), path);
			return -1;
		}
		int next = openat(fd, *p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			int err = errno;
			/* O_PATH|O_NOFOLLOW on a symlink gives ENOTDIR with O_DIRECTORY. */
			struct stat lst;
			if (err == ENOTDIR && fstatat(fd, *p, &lst, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISLNK(lst.st_mode))
				err = ELOOP;
			g_set_error(error, CL_TRANSFER_ERROR,
			            err == ELOOP ? CL_TRANSFER_ERROR_FORBIDDEN_PATH
			                         : cl_transfer_error_from_errno(err),
			            err == ELOOP
			                    ? _("the home directory “%s” goes through a "
			                        "symbolic link (%s)")
			                    : _("cannot open the home directory “%s” at “%s”: %s"),
			            path, *p, g_strerror(err));
			return -1;
		}
		cl_close(fd);
		fd = next;
	}

	/* Reopen the last one for reading (fsync, fdopendir, openat2). */
	_cleanup_close_ int home = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	if (home < 0 || fstat(home, &st) < 0) {
		g_set_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_IO,
		            _("cannot open the home directory “%s”: %s"), path, g_strerror(errno));
		return -1;
	}
	if (geteuid() != 0 && st.st_uid != geteuid()) {
		g_set_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_FORBIDDEN_PATH,
		            _("the home directory “%s” belongs to uid %u, not to us"), path,
		            (unsigned)st.st_uid);
		return -1;
	}
	if (ret_st)
		*ret_st = st;
	return cl_steal_fd(&home);
}

int cl_intake_open(int home_fd, const char *rel_path, struct stat *ret_st, GError **error)
{
	/*
	 * O_PATH first: nothing is opened for real (no FIFO or device open
	 * side effect) before the type is known to be a regular file.
	 */
	_cleanup_close_ int path_fd =
	        cl_openat2_beneath(home_fd, rel_path, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
	if (path_fd < 0) {
		int err = -path_fd;
		const char *why;

		switch (err) {
		case ELOOP:
			why = _("the path goes through a symbolic link");
			break;
		case EXDEV:
			why = _("the path leaves the home directory or crosses a mount point");
			break;
		case ENOENT:
			why = _("no such file");
			break;
		case ENOTDIR:
			why = _("a component of the path is not a directory");
			break;
		default:
			why = g_strerror(err);
		}
		g_set_error(error, CL_TRANSFER_ERROR, cl_transfer_error_from_errno(err),
		            _("cannot open “%s”: %s"), rel_path, why);
		return -1;
	}

	struct stat st;
	if (fstat(path_fd, &st) < 0) {
		g_set_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_IO,
		            _("cannot examine “%s”: %s"), rel_path, g_strerror(errno));
		return -1;
	}
	if (S_ISLNK(st.st_mode)) {
		g_set_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_FORBIDDEN_PATH,
		            _("“%s” is a symbolic link"), rel_path);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		g_set_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_NOT_REGULAR,
		            _("“%s” is %s, not a regular file"), rel_path,
		            cl_file_type_name(st.st_mode));
		return -1;
	}

	/* Reopen that very inode for reading. */
	char proc[64];
	g_snprintf(proc, sizeof(proc), "/proc/self/fd/%d", path_fd);
	_cleanup_close_ int fd = open(proc, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) /* no /proc: open again, then compare */
		fd = cl_openat2_beneath(home_fd, rel_path,
		                        O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
		                        0);
	else if (fd < 0)
		fd = -errno;
	struct stat st2;
	if (fd < 0 || fstat(fd, &st2) < 0) {
		int err = fd < 0 ? -fd : errno;
		g_set_error(error, CL_TRANSFER_ERROR, cl_transfer_error_from_errno(err),
		            _("cannot open “%s”: %s"), rel_path, g_strerror(err));
		return -1;
	}
	if (st2.st_dev != st.st_dev || st2.st_ino != st.st_ino || !S_ISREG(st2.st_mode)) {
		g_set_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_FORBIDDEN_PATH,
		            _("“%s” was replaced while it was being opened"), rel_path);
		return -1;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		g_set_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_IO,
		            _("cannot open “%s”: %s"), rel_path, g_strerror(errno));
		return -1;
	}
	if (ret_st)
		*ret_st = st2;
	return cl_steal_fd(&fd);
}

/* ---- Staging ------------------------------------------------------------- */

int cl_open_anonymous(int dir_fd, GError **error)
{
	int fd = openat(dir_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
		int err = errno;
		g_set_error(error, CL_TRANSFER_ERROR, cl_transfer_error_from_errno(err),
		            _("cannot create a temporary file: %s"), g_strerror(err));
		return -1;
	}

	/* No O_TMPFILE on this file system: a named file, unlinked at once. */
	for (int i = 0; i < STAGING_TEMP_TRIES; i++) {
		char name[64];
		g_snprintf(name, sizeof(name), ".cloison-tmp-%08x%08x", g_random_int(),
		           g_random_int());
		fd = openat(dir_fd, name, O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno == EEXIST)
			continue;
		if (fd < 0)
			break;
		if (unlinkat(dir_fd, name, 0) < 0) {
			int err = errno;
			cl_close(fd);
			g_set_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_IO,
			            _("cannot unlink a temporary file: %s"), g_strerror(err));
			return -1;
		}
		return fd;
	}
	int err = fd < 0 ? errno : EEXIST;
	g_set_error(error, CL_TRANSFER_ERROR, cl_transfer_error_from_errno(err),
	            _("cannot create a temporary file: %s"), g_strerror(err));
	return -1;
}

int cl_staging_reclaim(int staging_fd, GError **error)
{
	int dfd = openat(staging_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = dfd >= 0 ? fdopendir(dfd) : NULL;
	int removed = 0;

	if (!dir) {
		g_set_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_IO,
		            _("cannot read the staging directory: %s"), g_strerror(errno));
		cl_close(dfd);
		return -1;
	}
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(dir);
		if (!de)
			break;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(dir), de->d_name, 0) < 0 &&
		    (errno != EISDIR || unlinkat(dirfd(dir), de->d_name, AT_REMOVEDIR) < 0)) {
			g_autofree char *shown = g_utf8_make_valid(de->d_name, -1);
			g_set_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_IO,
			            _("cannot remove “%s” from the staging directory: %s"), shown,
			            g_strerror(errno));
			closedir(dir);
			return -1;
		}
		removed++;
	}
	int err = errno;
	closedir(dir);
	if (err != 0) {
		g_set_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_IO,
		            _("cannot read the staging directory: %s"), g_strerror(err));
		return -1;
	}
	return removed;
}

/* ---- Snapshot: copy in this thread, hash in another ---------------------- */

/*
 * libcrypto is opened on the first snapshot instead of being linked: linked,
 * the dynamic loader resolves its ≈ 1200 symbol references on every start of
 * cloison-transferd (≈ 40 % of the instructions it ran until it was ready)
 * and it stays resident (≈ 1.4 MiB) in a broker that may never transfer.
 * Only these few functions are needed; a failure is remembered and logged
 * once.
 */
typedef struct {
	EVP_MD_CTX *(*ctx_new)(void);
	void (*ctx_free)(EVP_MD_CTX *ctx);
	const EVP_MD *(*sha256)(void);
	int (*init)(EVP_MD_CTX *ctx, const EVP_MD *type, ENGINE *impl);
	int (*update)(EVP_MD_CTX *ctx, const void *data, size_t len);
	int (*final)(EVP_MD_CTX *ctx, unsigned char *md, unsigned int *len);
} Crypto;

/*
 * dlopen(soname) and dlsym() each names[i] into *slots[i] (a function
 * pointer's address); the library then stays open for the process's
 * lifetime.  NULL on success, else what went wrong (to free).
 */
static char *open_library(const char *soname, const char *const *names, void **const *slots,
                          size_t n)
{
	void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

	if (!lib)
		return g_strdup_printf("cannot load %s: %s", soname, dlerror());
	for (size_t i = 0; i < n; i++) {
		*slots[i] = dlsym(lib, names[i]);
		if (!*slots[i]) {
			dlclose(lib);
			return g_strdup_printf("%s has no %s", soname, names[i]);
		}
	}
	return NULL;
}

static const Crypto *crypto_get(void)
{
	static const char *const names[] = {"EVP_MD_CTX_new",   "EVP_MD_CTX_free",
	                                    "EVP_sha256",       "EVP_DigestInit_ex",
	                                    "EVP_DigestUpdate", "EVP_DigestFinal_ex"};
	static GMutex lock;
	static Crypto crypto;
	static bool tried, loaded;

	g_mutex_lock(&lock);
	if (!tried) {
		void **const slots[] = {(void **)&crypto.ctx_new, (void **)&crypto.ctx_free,
		                        (void **)&crypto.sha256,  (void **)&crypto.init,
		                        (void **)&crypto.update,  (void **)&crypto.final};
		g_autofree char *failure =
		        open_library(CL_LIBCRYPTO_SONAME, names, slots, G_N_ELEMENTS(names));

		G_STATIC_ASSERT(G_N_ELEMENTS(names) == G_N_ELEMENTS(slots));
		tried = true;
		loaded = !failure;
		if (failure)
			cl_error("SHA-256: %s", failure);
	}
	g_mutex_unlock(&lock);
	return loaded ? &crypto : NULL;
}

typedef struct {
	const Crypto *crypto;
	GMutex lock;
	GCond cond;
	int fd;           /* the snapshot, read back with pread */
	uint64_t written; /* bytes the copier has finished */
	bool copy_done;   /* no more bytes will come */
	bool stop;        /* the copy failed: give up */
	int error;        /* errno of a failed pread, or 0 */
	EVP_MD_CTX *md;
	unsigned char *buf;
} Hasher;

static gpointer hasher_thread(gpointer data)
{
	Hasher *h = data;
	uint64_t hashed = 0;

	for (;;) {
		g_mutex_lock(&h->lock);
		while (h->written == hashed && !h->copy_done && !h->stop)
			g_cond_wait(&h->cond, &h->lock);
		uint64_t target = h->written;
		bool finished = h->copy_done || h->stop;
		bool stop = h->stop;
		g_mutex_unlock(&h->lock);

		if (stop)
			return NULL;
		while (hashed < target) {
			size_t want = MIN((uint64_t)HASH_BUFFER, target - hashed);
			ssize_t n = pread(h->fd, h->buf, want, (off_t)hashed);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				g_mutex_lock(&h->lock);
				h->error = n < 0 ? errno : EIO;
				g_mutex_unlock(&h->lock);
				return NULL;
			}
			if (h->crypto->update(h->md, h->buf, (size_t)n) != 1) {
				g_mutex_lock(&h->lock);
				h->error = EIO;
				g_mutex_unlock(&h->lock);
				return NULL;
			}
			hashed += (uint64_t)n;
		}
		if (finished && hashed == target)
			return NULL;
	}
}

static void hasher_publish(Hasher *h, uint64_t written, bool done, bool stop)
{
	g_mutex_lock(&h->lock);
	h->written = written;
	h->copy_done = done;
	h->stop = stop;
	g_cond_signal(&h->cond);
	g_mutex_unlock(&h->lock);
}

/* Copy at most len bytes from src at *in_off to dst at *out_off.  Bytes or -errno. */
static ssize_t copy_chunk(int src, int dst, uint64_t *in_off, uint64_t *out_off, size_t len,
                          bool *use_cfr, unsigned char **rw_buf)
{
	if (*use_cfr) {
		loff_t in = (loff_t)*in_off, out = (loff_t)*out_off;
		ssize_t n;

		do
			n = copy_file_range(src, &in, dst, &out, len, 0);
		while (n < 0 && errno == EINTR);
		if (n >= 0) {
			*in_off = (uint64_t)in;
			*out_off = (uint64_t)out;
			return n;
		}
		if (errno != EXDEV && errno != EOPNOTSUPP && errno != ENOSYS && errno != EINVAL &&
		    errno != EPERM)
			return -errno;
		*use_cfr = false; /* fall back to read/write for the rest */
	}

	if (!*rw_buf)
		*rw_buf = g_malloc(RW_BUFFER);
	ssize_t n;
	do
		n = pread(src, *rw_buf, MIN(len, (size_t)RW_BUFFER), (off_t)*in_off);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n < 0 ? -errno : 0;
	for (ssize_t w = 0; w < n;) {
		ssize_t k =
		        pwrite(dst, *rw_buf + w, (size_t)(n - w), (off_t)(*out_off + (uint64_t)w));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		w += k;
	}
	*in_off += (uint64_t)n;
	*out_off += (uint64_t)n;
	return n;
}

static bool snapshot_fail(GError **error, int code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static bool snapshot_fail(GError **error, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error_literal(error, CL_TRANSFER_ERROR, code, msg);
	return false;
}

static void hex_encode(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

bool cl_intake_snapshot(int src_fd, int staging_fd, uint64_t max_size, atomic_bool *cancel,
                        ClIntakeProgress progress, void *userdata, ClSnapshot *snap, GError **error)
{
	struct stat st;

	*snap = (ClSnapshot){.fd = -1};
	if (fstat(src_fd, &st) < 0)
		return snapshot_fail(error, CL_TRANSFER_ERROR_IO, _("cannot examine the file: %s"),
		                     g_strerror(errno));
	if (!S_ISREG(st.st_mode))
		return snapshot_fail(error, CL_TRANSFER_ERROR_NOT_REGULAR,
		                     _("the file is %s, not a regular file"),
		                     cl_file_type_name(st.st_mode));
	if ((uint64_t)st.st_size > max_size)
		return snapshot_fail(error, CL_TRANSFER_ERROR_TOO_LARGE,
		                     _("the file (%" PRIu64
		                       " bytes) is larger than the limit of %" PRIu64 " bytes"),
		                     (uint64_t)st.st_size, (uint64_t)max_size);

	_cleanup_close_ int dst = cl_open_anonymous(staging_fd, error);
	if (dst < 0)
		return false;

	const Crypto *crypto = crypto_get();
	if (!crypto)
		return snapshot_fail(error, CL_TRANSFER_ERROR_IO,
		                     _("cannot initialise SHA-256 hashing"));
	Hasher h = {
	        .crypto = crypto, .fd = dst, .md = crypto->ctx_new(), .buf = g_malloc(HASH_BUFFER)};
	g_mutex_init(&h.lock);
	g_cond_init(&h.cond);
	if (!h.md || crypto->init(h.md, crypto->sha256(), NULL) != 1) {
		crypto->ctx_free(h.md);
		g_free(h.buf);
		g_mutex_clear(&h.lock);
		g_cond_clear(&h.cond);
		return snapshot_fail(error, CL_TRANSFER_ERROR_IO,
		                     _("cannot initialise SHA-256 hashing"));
	}
	GThread *thread = g_thread_try_new("cl-hash", hasher_thread, &h, NULL);
	if (!thread) {
		crypto->ctx_free(h.md);
		g_free(h.buf);
		g_mutex_clear(&h.lock);
		g_cond_clear(&h.cond);
		return snapshot_fail(error, CL_TRANSFER_ERROR_IO,
		                     _("cannot start the hashing thread"));
	}

	uint64_t in_off = 0, out_off = 0, next_progress = PROGRESS_EVERY;
	uint64_t total = (uint64_t)st.st_size;
	bool use_cfr = true, ok = true;
	unsigned char *rw_buf = NULL;
	int code = 0, err = 0;

	for (;;) {
		if ((cancel && atomic_load(cancel)) ||
		    (progress && out_off >= next_progress && !progress(out_off, total, userdata))) {
			code = CL_TRANSFER_ERROR_CANCELLED;
			break;
		}
		if (out_off >= next_progress)
			next_progress = out_off + PROGRESS_EVERY;
		/* Ask for one byte more than allowed to notice growth past the limit. */
		uint64_t room = max_size - out_off + 1;
		ssize_t n =
		        copy_chunk(src_fd, dst, &in_off, &out_off,
		                   (size_t)MIN((uint64_t)SNAPSHOT_CHUNK, room), &use_cfr, &rw_buf);
		if (n < 0) {
			err = (int)-n;
			code = cl_transfer_error_from_errno(err);
			if (code != CL_TRANSFER_ERROR_NO_SPACE)
				code = CL_TRANSFER_ERROR_IO;
			break;
		}
		if (n == 0)
			break;
		if (out_off > max_size) {
			code = CL_TRANSFER_ERROR_TOO_LARGE;
			break;
		}
		if (out_off > total)
			total = out_off;
		hasher_publish(&h, out_off, false, false);
		/* Start writing the chunk back now, while the hash catches up, so
		 * that the landing's fsync has little left to do.  Only a hint:
		 * its failure changes nothing, the landing's fsync decides. */
		(void)sync_file_range(dst, (off64_t)(out_off - (uint64_t)n), (off64_t)n,
		                      SYNC_FILE_RANGE_WRITE);
	}
	g_free(rw_buf);

	if (code == 0)
		hasher_publish(&h, out_off, true, false);
	else
		hasher_publish(&h, out_off, false, true);
	g_thread_join(thread);

	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned digest_len = 0;
	if (code == 0 && h.error != 0) {
		code = CL_TRANSFER_ERROR_IO;
		err = h.error;
	}
	if (code == 0 && crypto->final(h.md, digest, &digest_len) != 1) {
		code = CL_TRANSFER_ERROR_IO;
		err = EIO;
	}
	crypto->ctx_free(h.md);
	g_free(h.buf);
	g_mutex_clear(&h.lock);
	g_cond_clear(&h.cond);

	switch (code) {
	case 0:
		break;
	case CL_TRANSFER_ERROR_CANCELLED:
		return snapshot_fail(error, code, _("the transfer was cancelled"));
	case CL_TRANSFER_ERROR_TOO_LARGE:
		return snapshot_fail(
		        error, code,
		        _("the file grew past the limit of %" PRIu64 " bytes while it was copied"),
		        (uint64_t)max_size);
	case CL_TRANSFER_ERROR_NO_SPACE:
		return snapshot_fail(error, code, _("no space left in the staging area: %s"),
		                     g_strerror(err));
	default:
		return snapshot_fail(error, code, _("cannot copy the file: %s"), g_strerror(err));
	}
	ok = fstat(src_fd, &snap->source) == 0;
	if (!ok)
		return snapshot_fail(error, CL_TRANSFER_ERROR_IO, _("cannot examine the file: %s"),
		                     g_strerror(errno));
	if (progress)
		progress(out_off, out_off, userdata);

	hex_encode(digest, digest_len, snap->sha256);
	snap->size = out_off;
	snap->fd = cl_steal_fd(&dst);
	return true;
}

void cl_snapshot_clear(ClSnapshot *snap)
{
	if (!snap)
		return;
	cl_close(snap->fd);
	*snap = (ClSnapshot){.fd = -1};
}

/* ---- MIME type ----------------------------------------------------------- */

/*
 * libmagic is opened with dlopen() by the first worker that needs a type,
 * like libcrypto: linked, it and the libraries it needs (libz, libbz2,
 * liblzma) would be resident in the broker from start-up, for a session
 * that may never transfer anything.
 */
typedef struct {
	__typeof__(magic_open) *open;
	__typeof__(magic_load) *load;
	__typeof__(magic_error) *error;
	__typeof__(magic_close) *close;
	__typeof__(magic_getparam) *getparam;
	__typeof__(magic_buffer) *buffer;
} Magic;

/* The libmagic functions, or NULL (then *why says why). */
static const Magic *magic_get(const char **why)
{
	static const char *const names[] = {"magic_open",  "magic_load",     "magic_error",
	                                    "magic_close", "magic_getparam", "magic_buffer"};
	static GMutex lock;
	static Magic fns;
	static bool tried;
	static char *failure; /* kept: *why points into it */

	g_mutex_lock(&lock);
	if (!tried) {
		void **const slots[] = {(void **)&fns.open,     (void **)&fns.load,
		                        (void **)&fns.error,    (void **)&fns.close,
		                        (void **)&fns.getparam, (void **)&fns.buffer};

		G_STATIC_ASSERT(G_N_ELEMENTS(names) == G_N_ELEMENTS(slots));
		tried = true;
		failure = open_library(CL_LIBMAGIC_SONAME, names, slots, G_N_ELEMENTS(names));
		if (failure)
			cl_error("%s", failure);
	}
	g_mutex_unlock(&lock);
	if (failure && why)
		*why = failure;
	return failure ? NULL : &fns;
}

struct ClMagic {
	const Magic *fns;
	magic_t cookie;
	size_t bytes_max; /* what libmagic looks at (MAGIC_PARAM_BYTES_MAX) */
	unsigned char *buf;
};

ClMagic *cl_magic_new(GError **error)
{
	const char *why = NULL;
	const Magic *fns = magic_get(&why);
	magic_t cookie;

	if (!fns) {
		g_set_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_IO,
		            _("cannot initialise libmagic: %s"), why);
		return NULL;
	}
	cookie = fns->open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_ENCODING |
	                   MAGIC_ERROR);
	if (!cookie) {
		g_set_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_IO,
		            _("cannot initialise libmagic: %s"), g_strerror(errno));
		return NULL;
	}
	if (fns->load(cookie, NULL) != 0) {
		g_set_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_IO,
		            _("cannot load the libmagic database: %s"),
		            fns->error(cookie) ? fns->error(cookie) : g_strerror(errno));
		fns->close(cookie);
		return NULL;
	}
	ClMagic *magic = g_new0(ClMagic, 1);
	magic->fns = fns;
	magic->cookie = cookie;
	size_t bytes_max = 0;
	if (fns->getparam(cookie, MAGIC_PARAM_BYTES_MAX, &bytes_max) != 0 || bytes_max == 0)
		bytes_max = 1u << 20;
	magic->bytes_max = MIN(bytes_max, (size_t)MAGIC_BYTES_LIMIT);
	return magic;
}

void cl_magic_free(ClMagic *magic)
{
	if (!magic)
		return;
	magic->fns->close(magic->cookie);
	g_free(magic->buf);
	g_free(magic);
}

char *cl_magic_mime_type(ClMagic *magic, int fd, GError **error)
{
	/*
	 * pread the head of the file and give libmagic a buffer: the fd's
	 * offset is never touched (another thread may use the fd) and
	 * libmagic cannot reach anything else through it.
	 */
	size_t max = magic->bytes_max, have = 0;

	if (!magic->buf)
		magic->buf = g_malloc(max);
	while (have < max) {
		ssize_t n = pread(fd, magic->buf + have, max - have, (off_t)have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			g_set_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_IO,
			            _("cannot read the document to find its type: %s"),
			            g_strerror(errno));
			return NULL;
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	/* libmagic 5.44 answers garbage for an empty buffer now and then. */
	if (have == 0)
		return g_strdup("application/x-empty");
	const char *type = magic->fns->buffer(magic->cookie, magic->buf, have);
	char *normalized = type ? cl_mime_normalize(type) : NULL;
	return normalized ? normalized : g_strdup("application/octet-stream");
}
