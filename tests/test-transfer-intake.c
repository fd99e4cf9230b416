/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of transfer/intake.c on real files: a temporary directory
 * stands for a cage home.  Mount-dependent cases (tmpfs full, bind mounts,
 * another file system) run in a private mount namespace when root.
 */
#include "cloison-build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include "intake.h"
#include "policy.h"
#include "transfer-test-util.h"
#include "util.h"

/* ---- cl_intake_resolve -------------------------------------------------- */

typedef struct {
	const char *name;
	const char *path;
	const char *expected; /* NULL: refused */
	const char *needle;   /* in the error message */
} ResolveCase;

static const ResolveCase resolve_cases[] = {
        {"relative", "Documents/a.txt", "Documents/a.txt", NULL},
        {"absolute", "/home/user/Documents/a.txt", "Documents/a.txt", NULL},
        {"double-slash", "/home/user//Documents///a.txt", "Documents/a.txt", NULL},
        {"leading-double-slash", "//home/user/a", "a", NULL},
        {"dot", "./Documents/./a.txt", "Documents/a.txt", NULL},
        {"trailing-slash", "Documents/", "Documents", NULL},
        {"dot-in-home", "/home/./user/a", "a", NULL},
        {"dotdot", "../etc/passwd", NULL, "“..”"},
        {"dotdot-middle", "Documents/../a", NULL, "“..”"},
        {"dotdot-absolute", "/home/user/../user/a", NULL, "“..”"},
        {"outside", "/etc/passwd", NULL, "outside the home"},
        {"prefix-trick", "/home/username/a", NULL, "outside the home"},
        {"home-parent", "/home", NULL, "outside the home"},
        {"root", "/", NULL, "outside the home"},
        {"home-itself", "/home/user", NULL, "home directory itself"},
        {"home-itself-slash", "/home/user/", NULL, "home directory itself"},
        {"home-dot", ".", NULL, "home directory itself"},
        {"home-dot-slash", "./", NULL, "home directory itself"},
        {"empty", "", NULL, "empty"},
};

static void test_resolve(gconstpointer data)
{
	const ResolveCase *c = data;
	g_autoptr(GError) error = NULL;
	g_autofree char *rel = NULL;
	bool ok = cl_intake_resolve(c->path, &rel, &error);

	if (c->expected) {
		g_assert_no_error(error);
		g_assert_true(ok);
		g_assert_cmpstr(rel, ==, c->expected);
	} else {
		g_assert_false(ok);
		g_assert_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_INVALID_PATH);
		g_assert_nonnull(strstr(error->message, c->needle));
	}
}

static void test_resolve_length(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *rel = NULL;
	g_autofree char *max = g_strnfill(CL_INTAKE_PATH_MAX, 'a');

	g_assert_true(cl_intake_resolve(max, &rel, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(strlen(rel), ==, CL_INTAKE_PATH_MAX);

	g_autofree char *over = g_strnfill(CL_INTAKE_PATH_MAX + 1, 'a');
	g_autofree char *rel2 = NULL;
	g_assert_false(cl_intake_resolve(over, &rel2, &error));
	g_assert_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_INVALID_PATH);
	g_assert_nonnull(strstr(error->message, "longer than 4096"));
	g_clear_error(&error);
	g_assert_false(cl_intake_resolve(NULL, &rel2, &error));
	g_assert_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_INVALID_PATH);
}

/* ---- A home with hostile content ---------------------------------------- */

typedef struct {
	char *dir;  /* stands for $XDG_DATA_HOME/cloison/cages/CAGE */
	char *home; /* dir/home */
	int home_fd;
	char *staging;
	int staging_fd;
	GPtrArray *garbage; /* strings freed at teardown */
} Env;

static void env_setup(Env *env, gconstpointer data)
{
	env->garbage = g_ptr_array_new_with_free_func(g_free);
	env->dir = tt_make_dir();
	env->home = g_build_filename(env->dir, "home", NULL);
	g_assert_cmpint(g_mkdir(env->home, 0700), ==, 0);
	g_autoptr(GError) error = NULL;
	env->home_fd = cl_intake_open_home(env->home, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(env->home_fd, >=, 0);
	env->staging = g_build_filename(env->dir, "staging", NULL);
	g_assert_cmpint(g_mkdir(env->staging, 0700), ==, 0);
	env->staging_fd = open(env->staging, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	g_assert_cmpint(env->staging_fd, >=, 0);
}

static void env_teardown(Env *env, gconstpointer data)
{
	cl_close(env->home_fd);
	cl_close(env->staging_fd);
	tt_remove_tree(env->dir);
	g_free(env->dir);
	g_free(env->home);
	g_free(env->staging);
	g_ptr_array_unref(env->garbage);
}

static const char *home_path(Env *env, const char *rel)
{
	char *path = g_build_filename(env->home, rel, NULL);

	g_ptr_array_add(env->garbage, path);
	return path;
}

static void expect_open_error(Env *env, const char *rel, int code, const char *needle)
{
	g_autoptr(GError) error = NULL;
	struct stat st;
	int fd = cl_intake_open(env->home_fd, rel, &st, &error);

	g_assert_cmpint(fd, ==, -1);
	g_assert_error(error, CL_TRANSFER_ERROR, code);
	if (needle && !strstr(error->message, needle))
		g_error("“%s” not in “%s”", needle, error->message);
}

static void test_open_regular(Env *env, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	struct stat st;

	g_assert_cmpint(g_mkdir(home_path(env, "Documents"), 0700), ==, 0);
	tt_write_file(env->home, "Documents/a.txt", "hello", 5);
	_cleanup_close_ int fd = cl_intake_open(env->home_fd, "Documents/a.txt", &st, &error);
	g_assert_no_error(error);
	g_assert_cmpint(fd, >=, 0);
	g_assert_true(S_ISREG(st.st_mode));
	g_assert_cmpint(st.st_size, ==, 5);
	g_assert_cmpint(fcntl(fd, F_GETFL) & O_NONBLOCK, ==, 0);
	g_assert_cmpint(fcntl(fd, F_GETFL) & O_ACCMODE, ==, O_RDONLY);
	g_assert_cmpint(fcntl(fd, F_GETFD) & FD_CLOEXEC, ==, FD_CLOEXEC);

	expect_open_error(env, "Documents/missing", CL_TRANSFER_ERROR_NOT_FOUND, "no such file");
	expect_open_error(env, "Documents/a.txt/x", CL_TRANSFER_ERROR_NOT_FOUND, NULL);
}

static void test_open_symlinks(Env *env, gconstpointer data)
{
	g_assert_cmpint(g_mkdir(home_path(env, "real"), 0700), ==, 0);
	g_assert_cmpint(g_mkdir(home_path(env, "real/sub"), 0700), ==, 0);
	tt_write_file(env->home, "real/sub/f", "x", 1);
	tt_write_file(env->dir, "secret", "top secret", 10);

	/* A symlink at every position of the path. */
	g_assert_cmpint(symlink("real", home_path(env, "l1")), ==, 0);
	g_assert_cmpint(symlink("sub", home_path(env, "real/l2")), ==, 0);
	g_assert_cmpint(symlink("f", home_path(env, "real/sub/l3")), ==, 0);
	expect_open_error(env, "l1/sub/f", CL_TRANSFER_ERROR_FORBIDDEN_PATH, "symbolic link");
	expect_open_error(env, "real/l2/f", CL_TRANSFER_ERROR_FORBIDDEN_PATH, "symbolic link");
	expect_open_error(env, "real/sub/l3", CL_TRANSFER_ERROR_FORBIDDEN_PATH, "symbolic link");

	/* Absolute and escaping symlinks. */
	g_autofree char *secret = g_build_filename(env->dir, "secret", NULL);
	g_assert_cmpint(symlink(secret, home_path(env, "abs")), ==, 0);
	g_assert_cmpint(symlink("../secret", home_path(env, "rel")), ==, 0);
	g_assert_cmpint(symlink("/etc", home_path(env, "etc")), ==, 0);
	expect_open_error(env, "abs", CL_TRANSFER_ERROR_FORBIDDEN_PATH, NULL);
	expect_open_error(env, "rel", CL_TRANSFER_ERROR_FORBIDDEN_PATH, NULL);
	expect_open_error(env, "etc/passwd", CL_TRANSFER_ERROR_FORBIDDEN_PATH, NULL);

	/* A dangling symlink is not "not found": it is refused as a link. */
	g_assert_cmpint(symlink("nowhere", home_path(env, "dangling")), ==, 0);
	expect_open_error(env, "dangling", CL_TRANSFER_ERROR_FORBIDDEN_PATH, NULL);

	/* /proc/self/fd/N through a symlink, and the magic link itself. */
	_cleanup_close_ int sfd = open(secret, O_RDONLY | O_CLOEXEC);
	g_autofree char *magic = g_strdup_printf("/proc/self/fd/%d", sfd);
	g_assert_cmpint(symlink(magic, home_path(env, "fdlink")), ==, 0);
	expect_open_error(env, "fdlink", CL_TRANSFER_ERROR_FORBIDDEN_PATH, NULL);
	g_assert_cmpint(symlink("/proc/self", home_path(env, "proc")), ==, 0);
	g_autofree char *through = g_strdup_printf("proc/fd/%d", sfd);
	expect_open_error(env, through, CL_TRANSFER_ERROR_FORBIDDEN_PATH, NULL);
}

static void test_open_traversal(Env *env, gconstpointer data)
{
	tt_write_file(env->dir, "secret", "top secret", 10);
	g_assert_cmpint(g_mkdir(home_path(env, "d"), 0700), ==, 0);
	/* cl_intake_resolve refuses ".."; open refuses it too, by itself. */
	expect_open_error(env, "../secret", CL_TRANSFER_ERROR_FORBIDDEN_PATH, "leaves the home");
	expect_open_error(env, "d/../../secret", CL_TRANSFER_ERROR_FORBIDDEN_PATH, NULL);
	g_autofree char *abs = g_build_filename(env->dir, "secret", NULL);
	expect_open_error(env, abs, CL_TRANSFER_ERROR_FORBIDDEN_PATH, NULL);
}

static void on_alarm(int sig)
{
	/* Reaching this means an open blocked: the test fails loudly. */
	static const char msg[] = "intake open blocked\n";
	ssize_t r = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	(void)r;
	_exit(99);
}

static void test_open_special(Env *env, gconstpointer data)
{
	signal(SIGALRM, on_alarm);
	alarm(10);

	/* A FIFO with no writer: an ordinary open would block for ever. */
	g_assert_cmpint(mkfifo(home_path(env, "fifo"), 0600), ==, 0);
	expect_open_error(env, "fifo", CL_TRANSFER_ERROR_NOT_REGULAR, "a FIFO");

	/* A socket with a listener. */
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	const char *sock = home_path(env, "sock");
	g_assert_cmpuint(strlen(sock), <, sizeof(sa.sun_path));
	memcpy(sa.sun_path, sock, strlen(sock));
	g_assert_cmpint(bind(s, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
	g_assert_cmpint(listen(s, 1), ==, 0);
	expect_open_error(env, "sock", CL_TRANSFER_ERROR_NOT_REGULAR, "a socket");
	close(s);

	/* A directory. */
	g_assert_cmpint(g_mkdir(home_path(env, "dir"), 0700), ==, 0);
	expect_open_error(env, "dir", CL_TRANSFER_ERROR_NOT_REGULAR, "a directory");

	alarm(0);
}

static void test_open_device(Env *env, gconstpointer data)
{
	if (geteuid() != 0) {
		tt_skip_or_fail("mknod of a device needs root");
		return;
	}
	/* Like /dev/null (1,3) and /dev/tty (5,0): opening either is never tried. */
	g_assert_cmpint(mknod(home_path(env, "null"), S_IFCHR | 0666, makedev(1, 3)), ==, 0);
	g_assert_cmpint(mknod(home_path(env, "tty"), S_IFCHR | 0666, makedev(5, 0)), ==, 0);
	g_assert_cmpint(mknod(home_path(env, "blk"), S_IFBLK | 0600, makedev(7, 0)), ==, 0);
	expect_open_error(env, "null", CL_TRANSFER_ERROR_NOT_REGULAR, "a character device");
	expect_open_error(env, "tty", CL_TRANSFER_ERROR_NOT_REGULAR, "a character device");
	expect_open_error(env, "blk", CL_TRANSFER_ERROR_NOT_REGULAR, "a block device");
}

static void test_open_mount_crossing(Env *env, gconstpointer data)
{
	if (!tt_require_mounts())
		return;
	/* A bind mount inside the home (e.g. planted by a privileged helper). */
	g_autofree char *outside = g_build_filename(env->dir, "outside", NULL);
	g_assert_cmpint(g_mkdir(outside, 0700), ==, 0);
	tt_write_file(outside, "f", "x", 1);
	const char *mnt = home_path(env, "mnt");
	g_assert_cmpint(g_mkdir(mnt, 0700), ==, 0);
	g_assert_cmpint(mount(outside, mnt, NULL, MS_BIND, NULL), ==, 0);
	expect_open_error(env, "mnt/f", CL_TRANSFER_ERROR_FORBIDDEN_PATH, "mount point");
	g_assert_cmpint(umount2(mnt, MNT_DETACH), ==, 0);
}

static void test_open_home(void)
{
	g_autofree char *dir = tt_make_dir();
	g_autofree char *real = g_build_filename(dir, "real", NULL);
	g_autofree char *home = g_build_filename(real, "home", NULL);
	g_autofree char *link = g_build_filename(dir, "link", NULL);
	g_autofree char *via_link = g_build_filename(link, "home", NULL);
	g_autofree char *home_link = g_build_filename(dir, "home-link", NULL);
	g_autoptr(GError) error = NULL;
	struct stat st;

	g_assert_cmpint(g_mkdir_with_parents(home, 0700), ==, 0);
	g_assert_cmpint(symlink(real, link), ==, 0);
	g_assert_cmpint(symlink(home, home_link), ==, 0);

	_cleanup_close_ int fd = cl_intake_open_home(home, &st, &error);
	g_assert_no_error(error);
	g_assert_cmpint(fd, >=, 0);
	g_assert_true(S_ISDIR(st.st_mode));
	g_assert_cmpint(fsync(fd), ==, 0);

	g_assert_cmpint(cl_intake_open_home(via_link, NULL, &error), ==, -1);
	g_assert_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_FORBIDDEN_PATH);
	g_assert_nonnull(strstr(error->message, "symbolic link"));
	g_clear_error(&error);
	g_assert_cmpint(cl_intake_open_home(home_link, NULL, &error), ==, -1);
	g_assert_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_FORBIDDEN_PATH);
	g_clear_error(&error);
	g_assert_cmpint(cl_intake_open_home("relative/home", NULL, &error), ==, -1);
	g_assert_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_INVALID_PATH);
	g_clear_error(&error);
	g_autofree char *missing = g_build_filename(dir, "missing", NULL);
	g_assert_cmpint(cl_intake_open_home(missing, NULL, &error), ==, -1);
	g_assert_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_NOT_FOUND);
	tt_remove_tree(dir);
}

/* ---- Snapshots ---------------------------------------------------------- */

static int open_source(Env *env, const char *rel)
{
	g_autoptr(GError) error = NULL;
	int fd = cl_intake_open(env->home_fd, rel, NULL, &error);

	g_assert_no_error(error);
	return fd;
}

static GBytes *random_bytes(size_t len)
{
	unsigned char *buf = g_malloc(len);
	GRand *rand = g_rand_new_with_seed(42);

	for (size_t i = 0; i < len; i += 4) {
		guint32 v = g_rand_int(rand);
		memcpy(buf + i, &v, MIN(4, len - i));
	}
	g_rand_free(rand);
	return g_bytes_new_take(buf, len);
}

static void check_snapshot(const ClSnapshot *snap, GBytes *expected)
{
	g_autoptr(GBytes) got = tt_read_fd(snap->fd);
	gsize len;
	const void *data = g_bytes_get_data(expected, &len);
	g_autofree char *sha = tt_sha256_hex(data, len);

	g_assert_cmpuint(snap->size, ==, len);
	g_assert_true(g_bytes_equal(got, expected));
	g_assert_cmpstr(snap->sha256, ==, sha);
}

static void test_snapshot_vectors(Env *env, gconstpointer data)
{
	static const struct {
		const char *content, *sha;
	} vectors[] = {
	        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(vectors); i++) {
		g_autoptr(GError) error = NULL;
		ClSnapshot snap;

		tt_write_file(env->home, "v", vectors[i].content, strlen(vectors[i].content));
		_cleanup_close_ int src = open_source(env, "v");
		g_assert_true(cl_intake_snapshot(src, env->staging_fd, 1 << 20, NULL, NULL, NULL,
		                                 &snap, &error));
		g_assert_no_error(error);
		g_assert_cmpstr(snap.sha256, ==, vectors[i].sha);
		g_assert_cmpuint(snap.size, ==, strlen(vectors[i].content));
		g_assert_cmpint(snap.fd, >=, 0);
		/* The snapshot is an unlinked file in staging, writable by us only. */
		struct stat st;
		g_assert_cmpint(fstat(snap.fd, &st), ==, 0);
		g_assert_cmpuint(st.st_nlink, ==, 0);
		g_assert_cmpuint(st.st_mode & 07777, ==, 0600);
		g_assert_cmpuint(tt_count_entries(env->staging), ==, 0);
		cl_snapshot_clear(&snap);
		g_assert_cmpint(snap.fd, ==, -1);
		cl_snapshot_clear(&snap);
	}
}

typedef struct {
	unsigned calls;
	uint64_t last_done, last_total;
	int grow_fd; /* >= 0: extend this file at the first call */
	uint64_t grow_to;
	unsigned stop_at; /* return false at this call (0: never) */
} ProgressLog;

static bool on_progress(uint64_t done, uint64_t total, void *userdata)
{
	ProgressLog *log = userdata;

	log->calls++;
	g_assert_cmpuint(done, >=, log->last_done);
	log->last_done = done;
	log->last_total = total;
	if (log->grow_fd >= 0 && log->calls == 1)
		g_assert_cmpint(ftruncate(log->grow_fd, (off_t)log->grow_to), ==, 0);
	return log->stop_at == 0 || log->calls < log->stop_at;
}

static void test_snapshot_large(Env *env, gconstpointer data)
{
	/* 130 MiB: several chunks, two progress calls plus the final one. */
	size_t len = 130u << 20;
	g_autoptr(GBytes) content = random_bytes(len);
	tt_write_file(env->home, "big", g_bytes_get_data(content, NULL), len);
	_cleanup_close_ int src = open_source(env, "big");
	g_autoptr(GError) error = NULL;
	ProgressLog log = {.grow_fd = -1};
	ClSnapshot snap;

	g_assert_true(cl_intake_snapshot(src, env->staging_fd, len, NULL, on_progress, &log, &snap,
	                                 &error));
	g_assert_no_error(error);
	check_snapshot(&snap, content);
	g_assert_cmpuint(log.calls, ==, 3);
	g_assert_cmpuint(log.last_done, ==, len);
	g_assert_cmpuint(log.last_total, ==, len);
	/* The source's identity after the copy, for the move check. */
	struct stat st;
	g_assert_cmpint(fstat(src, &st), ==, 0);
	g_assert_cmpuint(snap.source.st_ino, ==, st.st_ino);
	g_assert_cmpuint(snap.source.st_size, ==, len);
	cl_snapshot_clear(&snap);
}

static void test_snapshot_rewrite_after(Env *env, gconstpointer data)
{
	g_autoptr(GBytes) content = random_bytes(3 << 20);
	tt_write_file(env->home, "doc", g_bytes_get_data(content, NULL), 3 << 20);
	_cleanup_close_ int src = open_source(env, "doc");
	g_autoptr(GError) error = NULL;
	ClSnapshot snap;

	g_assert_true(cl_intake_snapshot(src, env->staging_fd, 10 << 20, NULL, NULL, NULL, &snap,
	                                 &error));
	g_assert_no_error(error);

	/* The cage rewrites its file in place and then replaces it. */
	const char *path = home_path(env, "doc");
	int w = open(path, O_WRONLY | O_CLOEXEC);
	g_assert_cmpint(w, >=, 0);
	g_assert_cmpint(pwrite(w, "EVIL", 4, 0), ==, 4);
	g_assert_cmpint(ftruncate(w, 100), ==, 0);
	close(w);
	tt_write_file(env->home, "doc", "replaced", 8);

	check_snapshot(&snap, content);
	cl_snapshot_clear(&snap);
}

static void test_snapshot_too_large(Env *env, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	ClSnapshot snap;

	tt_write_file(env->home, "f", "0123456789", 10);
	_cleanup_close_ int src = open_source(env, "f");
	g_assert_false(
	        cl_intake_snapshot(src, env->staging_fd, 9, NULL, NULL, NULL, &snap, &error));
	g_assert_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_TOO_LARGE);
	g_assert_cmpint(snap.fd, ==, -1);
	g_clear_error(&error);

	/* At the limit exactly: accepted. */
	g_assert_true(
	        cl_intake_snapshot(src, env->staging_fd, 10, NULL, NULL, NULL, &snap, &error));
	g_assert_no_error(error);
	cl_snapshot_clear(&snap);
}

static void test_snapshot_grows(Env *env, gconstpointer data)
{
	/*
	 * The file is under the limit when it is examined and grows past it
	 * during the copy (extended from the first progress call, at 64 MiB).
	 */
	size_t len = 65u << 20;
	g_autoptr(GBytes) content = random_bytes(len);
	tt_write_file(env->home, "grow", g_bytes_get_data(content, NULL), len);
	_cleanup_close_ int src = open_source(env, "grow");
	const char *path = home_path(env, "grow");
	int w = open(path, O_WRONLY | O_CLOEXEC);
	g_assert_cmpint(w, >=, 0);
	g_autoptr(GError) error = NULL;
	ProgressLog log = {.grow_fd = w, .grow_to = 200u << 20};
	ClSnapshot snap;

	g_assert_false(cl_intake_snapshot(src, env->staging_fd, 70u << 20, NULL, on_progress, &log,
	                                  &snap, &error));
	close(w);
	g_assert_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_TOO_LARGE);
	g_assert_nonnull(strstr(error->message, "grew past"));
	g_assert_cmpint(snap.fd, ==, -1);
	g_assert_cmpuint(tt_count_entries(env->staging), ==, 0);
}

typedef struct {
	int fd;
	atomic_bool stop;
	uint64_t written;
} Writer;

static gpointer writer_thread(gpointer data)
{
	Writer *w = data;
	static const char block[64 << 10] = {'w'};

	while (!atomic_load(&w->stop) && w->written < (256u << 20)) {
		ssize_t n = write(w->fd, block, sizeof(block));
		if (n <= 0)
			break;
		w->written += (uint64_t)n;
	}
	return NULL;
}

static void test_snapshot_concurrent_writer(Env *env, gconstpointer data)
{
	/*
	 * A writer keeps appending while the copy runs.  Whichever wins, the
	 * result is consistent: TOO_LARGE, or a snapshot within the limit
	 * whose SHA-256 is that of its own content.
	 */
	tt_write_file(env->home, "live", "start", 5);
	_cleanup_close_ int src = open_source(env, "live");
	const char *path = home_path(env, "live");
	Writer w = {.fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)};
	g_assert_cmpint(w.fd, >=, 0);
	GThread *thread = g_thread_new("writer", writer_thread, &w);
	g_autoptr(GError) error = NULL;
	ClSnapshot snap;
	uint64_t limit = 64u << 20;

	g_usleep(2000);
	bool ok = cl_intake_snapshot(src, env->staging_fd, limit, NULL, NULL, NULL, &snap, &error);
	atomic_store(&w.stop, true);
	g_thread_join(thread);
	close(w.fd);
	if (!ok) {
		g_test_message("the writer outran the copy: %s", error->message);
		g_assert_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_TOO_LARGE);
		g_assert_cmpint(snap.fd, ==, -1);
		return;
	}
	g_test_message("the copy caught up with the writer at %" G_GUINT64_FORMAT " bytes",
	               (guint64)snap.size);
	g_assert_cmpuint(snap.size, <=, limit);
	g_autoptr(GBytes) got = tt_read_fd(snap.fd);
	gsize len;
	const char *bytes = g_bytes_get_data(got, &len);
	g_autofree char *sha = tt_sha256_hex(bytes, len);
	g_assert_cmpuint(len, ==, snap.size);
	g_assert_cmpstr(sha, ==, snap.sha256);
	g_assert_cmpmem(bytes, 5, "start", 5);
	cl_snapshot_clear(&snap);
}

static void test_snapshot_cancel(Env *env, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	atomic_bool cancel = true;
	ClSnapshot snap;

	tt_write_file(env->home, "f", "data", 4);
	_cleanup_close_ int src = open_source(env, "f");
	g_assert_false(
	        cl_intake_snapshot(src, env->staging_fd, 100, &cancel, NULL, NULL, &snap, &error));
	g_assert_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_CANCELLED);
	g_assert_cmpint(snap.fd, ==, -1);
	g_clear_error(&error);

	/* Cancelled from the progress callback in the middle of a copy. */
	size_t len = 70u << 20;
	g_autoptr(GBytes) content = random_bytes(len);
	tt_write_file(env->home, "big", g_bytes_get_data(content, NULL), len);
	_cleanup_close_ int big = open_source(env, "big");
	ProgressLog log = {.grow_fd = -1, .stop_at = 1};
	g_assert_false(cl_intake_snapshot(big, env->staging_fd, len, NULL, on_progress, &log, &snap,
	                                  &error));
	g_assert_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_CANCELLED);
	g_assert_cmpuint(log.calls, ==, 1);
	g_assert_cmpuint(log.last_done, <, len);
	g_assert_cmpuint(tt_count_entries(env->staging), ==, 0);
}

static void test_snapshot_not_regular(Env *env, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	ClSnapshot snap;

	g_assert_false(cl_intake_snapshot(env->home_fd, env->staging_fd, 100, NULL, NULL, NULL,
	                                  &snap, &error));
	g_assert_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_NOT_REGULAR);
}

static void test_snapshot_disk_full(Env *env, gconstpointer data)
{
	if (!tt_require_mounts())
		return;
	g_autofree char *small = tt_mount_tmpfs(1024);
	_cleanup_close_ int staging = open(small, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	uint64_t used = tt_fs_used(small);
	g_autoptr(GBytes) content = random_bytes(4 << 20);
	tt_write_file(env->home, "f", g_bytes_get_data(content, NULL), 4 << 20);
	_cleanup_close_ int src = open_source(env, "f");
	g_autoptr(GError) error = NULL;
	ClSnapshot snap;

	g_assert_false(
	        cl_intake_snapshot(src, staging, 100 << 20, NULL, NULL, NULL, &snap, &error));
	g_assert_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_NO_SPACE);
	g_assert_cmpint(snap.fd, ==, -1);
	g_assert_cmpuint(tt_count_entries(small), ==, 0);
	g_assert_cmpuint(tt_fs_used(small), ==, used);
	tt_remove_tree(small);
}

static void test_snapshot_exdev(Env *env, gconstpointer data)
{
	if (!tt_require_mounts())
		return;
	/* Staging on a tmpfs, the source on /tmp: copy_file_range gives EXDEV. */
	g_autofree char *other = tt_mount_tmpfs(64 << 10);
	_cleanup_close_ int staging = open(other, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	g_autoptr(GBytes) content = random_bytes(20 << 20);
	tt_write_file(env->home, "f", g_bytes_get_data(content, NULL), 20 << 20);
	_cleanup_close_ int src = open_source(env, "f");
	g_autoptr(GError) error = NULL;
	ClSnapshot snap;

	g_assert_true(cl_intake_snapshot(src, staging, 100 << 20, NULL, NULL, NULL, &snap, &error));
	g_assert_no_error(error);
	check_snapshot(&snap, content);
	cl_snapshot_clear(&snap);
	tt_remove_tree(other);
}

typedef struct {
	int src;
	int staging;
	GBytes *content;
} ThreadJob;

static gpointer snapshot_thread(gpointer data)
{
	ThreadJob *job = data;
	g_autoptr(GError) error = NULL;
	ClSnapshot snap;

	g_assert_true(cl_intake_snapshot(job->src, job->staging, 64 << 20, NULL, NULL, NULL, &snap,
	                                 &error));
	g_assert_no_error(error);
	check_snapshot(&snap, job->content);
	cl_snapshot_clear(&snap);
	return NULL;
}

static void test_snapshot_threads(Env *env, gconstpointer data)
{
	/* Two snapshots at once (the broker's two intake workers). */
	g_autoptr(GBytes) a = random_bytes(12 << 20);
	g_autoptr(GBytes) b = g_bytes_new_static("small document", 14);
	tt_write_file(env->home, "a", g_bytes_get_data(a, NULL), 12 << 20);
	tt_write_file(env->home, "b", "small document", 14);
	ThreadJob ja = {open_source(env, "a"), env->staging_fd, a};
	ThreadJob jb = {open_source(env, "b"), env->staging_fd, b};
	GThread *ta = g_thread_new("a", snapshot_thread, &ja);
	GThread *tb = g_thread_new("b", snapshot_thread, &jb);
	g_thread_join(ta);
	g_thread_join(tb);
	close(ja.src);
	close(jb.src);
}

static void test_staging_reclaim(Env *env, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(cl_staging_reclaim(env->staging_fd, &error), ==, 0);
	g_assert_no_error(error);
	tt_write_file(env->staging, ".cloison-tmp-0001", "stale", 5);
	tt_write_file(env->staging, "other", "stale", 5);
	g_autofree char *sub = g_build_filename(env->staging, "emptydir", NULL);
	g_assert_cmpint(g_mkdir(sub, 0700), ==, 0);
	g_autofree char *target = g_build_filename(env->dir, "keep", NULL);
	tt_write_file(env->dir, "keep", "keep", 4);
	g_autofree char *link = g_build_filename(env->staging, "link", NULL);
	g_assert_cmpint(symlink(target, link), ==, 0);

	g_assert_cmpint(cl_staging_reclaim(env->staging_fd, &error), ==, 4);
	g_assert_no_error(error);
	g_assert_cmpuint(tt_count_entries(env->staging), ==, 0);
	/* The symlink was removed, not followed. */
	g_assert_true(g_file_test(target, G_FILE_TEST_IS_REGULAR));
}

/* ---- MIME type ------------------------------------------------------------ */

static char *mime_of(Env *env, ClMagic *magic, const void *data, size_t len)
{
	tt_write_file(env->home, "m", data, len);
	_cleanup_close_ int fd = open_source(env, "m");
	g_autoptr(GError) error = NULL;

	/* The fd's offset is neither used nor moved. */
	g_assert_cmpint(lseek(fd, 1, SEEK_SET), ==, 1);
	char *type = cl_magic_mime_type(magic, fd, &error);
	g_assert_no_error(error);
	g_assert_cmpint(lseek(fd, 0, SEEK_CUR), ==, 1);
	return type;
}

static void test_magic(Env *env, gconstpointer data)
{
	static const unsigned char png[] = {
	        0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I',  'H',  'D',  'R', 0,
	        0,    0,   1,   0,   0,    0,    1,    8,    2, 0, 0, 0,  0x90, 0x77, 0x53, 0xde};
	static const char pdf[] = "%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(ClMagic) magic = cl_magic_new(&error);
	g_assert_no_error(error);

	g_autofree char *t1 = mime_of(env, magic, png, sizeof(png));
	g_assert_cmpstr(t1, ==, "image/png");
	g_autofree char *t2 = mime_of(env, magic, "hello world\n", 12);
	g_assert_cmpstr(t2, ==, "text/plain");
	g_autofree char *t3 = mime_of(env, magic, pdf, sizeof(pdf) - 1);
	g_assert_cmpstr(t3, ==, "application/pdf");
	/* The name says PNG, the content says text: the content wins. */
	tt_write_file(env->home, "fake.png", "just text\n", 10);
	_cleanup_close_ int fd = open_source(env, "fake.png");
	g_autofree char *t4 = cl_magic_mime_type(magic, fd, &error);
	g_assert_cmpstr(t4, ==, "text/plain");
	g_autofree char *t5 = mime_of(env, magic, "", 0);
	g_assert_cmpstr(t5, ==, "application/x-empty");
	g_autoptr(GBytes) noise = random_bytes(4096);
	g_autofree char *t6 = mime_of(env, magic, g_bytes_get_data(noise, NULL), 4096);
	g_assert_cmpstr(t6, ==, "application/octet-stream");
}

int main(int argc, char **argv)
{
	const char *why = NULL;

	setlocale(LC_ALL, "");
	g_test_init(&argc, &argv, NULL);
	if (!tt_private_mounts(&why))
		g_test_message("mount tests cannot run: %s", why);

	for (size_t i = 0; i < G_N_ELEMENTS(resolve_cases); i++) {
		g_autofree char *path =
		        g_strdup_printf("/transfer/intake/resolve/%s", resolve_cases[i].name);
		g_test_add_data_func(path, &resolve_cases[i], test_resolve);
	}
	g_test_add_func("/transfer/intake/resolve/length", test_resolve_length);
	g_test_add_func("/transfer/intake/open-home", test_open_home);
#define ADD(name, fn) g_test_add("/transfer/intake/" name, Env, NULL, env_setup, fn, env_teardown)
	ADD("open/regular", test_open_regular);
	ADD("open/symlinks", test_open_symlinks);
	ADD("open/traversal", test_open_traversal);
	ADD("open/special", test_open_special);
	ADD("open/device", test_open_device);
	ADD("open/mount-crossing", test_open_mount_crossing);
	ADD("snapshot/vectors", test_snapshot_vectors);
	ADD("snapshot/large", test_snapshot_large);
	ADD("snapshot/rewrite-after", test_snapshot_rewrite_after);
	ADD("snapshot/too-large", test_snapshot_too_large);
	ADD("snapshot/grows", test_snapshot_grows);
	ADD("snapshot/concurrent-writer", test_snapshot_concurrent_writer);
	ADD("snapshot/cancel", test_snapshot_cancel);
	ADD("snapshot/not-regular", test_snapshot_not_regular);
	ADD("snapshot/disk-full", test_snapshot_disk_full);
	ADD("snapshot/exdev", test_snapshot_exdev);
	ADD("snapshot/threads", test_snapshot_threads);
	ADD("staging-reclaim", test_staging_reclaim);
	ADD("magic", test_magic);
#undef ADD
	return g_test_run();
}
