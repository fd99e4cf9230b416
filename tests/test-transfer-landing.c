/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of transfer/landing.c: Incoming directories in a hostile home,
 * atomic collision-free landing, the EXDEV copy, a full file system, and
 * removing the source of a move.
 */
#include "cloison-build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "intake.h"
#include "landing.h"
#include "transfer-test-util.h"
#include "util.h"

#define FROM "low"

typedef struct {
	char *dir;
	char *src_home; /* the sending cage's home */
	int src_fd;
	char *dst_home; /* the receiving cage's home */
	int dst_fd;
	char *staging;
	int staging_fd;
	GPtrArray *garbage;
} Env;

static const char *keep(Env *env, char *s)
{
	g_ptr_array_add(env->garbage, s);
	return s;
}

static int open_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	g_assert_cmpint(fd, >=, 0);
	return fd;
}

static void env_setup(Env *env, gconstpointer data)
{
	env->garbage = g_ptr_array_new_with_free_func(g_free);
	env->dir = tt_make_dir();
	env->src_home = g_build_filename(env->dir, "src", NULL);
	env->dst_home = g_build_filename(env->dir, "dst", NULL);
	env->staging = g_build_filename(env->dir, "staging", NULL);
	g_assert_cmpint(g_mkdir(env->src_home, 0700), ==, 0);
	g_assert_cmpint(g_mkdir(env->dst_home, 0700), ==, 0);
	g_assert_cmpint(g_mkdir(env->staging, 0700), ==, 0);
	env->src_fd = open_dir(env->src_home);
	env->dst_fd = open_dir(env->dst_home);
	env->staging_fd = open_dir(env->staging);
}

static void env_teardown(Env *env, gconstpointer data)
{
	cl_close(env->src_fd);
	cl_close(env->dst_fd);
	cl_close(env->staging_fd);
	tt_remove_tree(env->dir);
	g_free(env->dir);
	g_free(env->src_home);
	g_free(env->dst_home);
	g_free(env->staging);
	g_ptr_array_unref(env->garbage);
}

static const char *dst_path(Env *env, const char *rel)
{
	return keep(env, g_build_filename(env->dst_home, rel, NULL));
}

/* Write content as src/rel and snapshot it into staging_fd. */
static void make_snapshot(Env *env, const char *rel, const void *content, size_t len,
                          int staging_fd, ClSnapshot *snap)
{
	g_autoptr(GError) error = NULL;

	tt_write_file(env->src_home, rel, content, len);
	_cleanup_close_ int fd = cl_intake_open(env->src_fd, rel, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(
	        cl_intake_snapshot(fd, staging_fd, 1ull << 30, NULL, NULL, NULL, snap, &error));
	g_assert_no_error(error);
}

static int open_incoming(Env *env, GError **error)
{
	return cl_landing_open_incoming(env->dst_fd, FROM, (uid_t)-1, (gid_t)-1, error);
}

static char *land(int incoming, const ClSnapshot *snap, const char *name, GError **error)
{
	ClLandingInfo info = {
	        .name = name,
	        .origin = "low (Low)",
	        .sha256 = snap->sha256,
	        .owner = (uid_t)-1,
	        .group = (gid_t)-1,
	};
	char *landed = NULL;

	if (!cl_landing_land(incoming, snap, &info, &landed, error))
		return NULL;
	return landed;
}

static void check_landed(Env *env, const char *name, const void *content, size_t len,
                         const char *sha)
{
	const char *path = dst_path(env, keep(env, g_build_filename("Incoming", FROM, name, NULL)));
	g_autofree char *got = NULL;
	gsize got_len = 0;
	struct stat st;
	char value[256];

	g_assert_true(g_file_get_contents(path, &got, &got_len, NULL));
	g_assert_cmpmem(got, got_len, content, len);
	g_assert_cmpint(lstat(path, &st), ==, 0);
	g_assert_true(S_ISREG(st.st_mode));
	g_assert_cmpuint(st.st_mode & 07777, ==, 0600);
	g_assert_cmpuint(st.st_nlink, ==, 1);
	ssize_t n = getxattr(path, CL_XATTR_ORIGIN, value, sizeof(value) - 1);
	g_assert_cmpint(n, >, 0);
	value[n] = '\0';
	g_assert_cmpstr(value, ==, "low (Low)");
	n = getxattr(path, CL_XATTR_SHA256, value, sizeof(value) - 1);
	g_assert_cmpint(n, ==, 64);
	value[n] = '\0';
	g_assert_cmpstr(value, ==, sha);
}

static void test_open_incoming(Env *env, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	struct stat st;

	_cleanup_close_ int fd = open_incoming(env, &error);
	g_assert_no_error(error);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(stat(dst_path(env, "Incoming"), &st), ==, 0);
	g_assert_true(S_ISDIR(st.st_mode));
	g_assert_cmpuint(st.st_mode & 07777, ==, 0700);
	g_assert_cmpint(stat(dst_path(env, "Incoming/" FROM), &st), ==, 0);
	g_assert_cmpuint(st.st_mode & 07777, ==, 0700);

	/* Existing directories are reused. */
	_cleanup_close_ int again = open_incoming(env, &error);
	g_assert_no_error(error);
	struct stat a, b;
	g_assert_cmpint(fstat(fd, &a), ==, 0);
	g_assert_cmpint(fstat(again, &b), ==, 0);
	g_assert_cmpuint(a.st_ino, ==, b.st_ino);

	static const char *const bad[] = {"", ".", "..", "a/b"};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_assert_cmpint(
		        cl_landing_open_incoming(env->dst_fd, bad[i], (uid_t)-1, (gid_t)-1, &error),
		        ==, -1);
		g_assert_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_LANDING);
		g_clear_error(&error);
	}
}

static void test_open_incoming_owner(Env *env, gconstpointer data)
{
	if (geteuid() != 0) {
		tt_skip_or_fail("giving files to another account needs root");
		return;
	}
	g_autoptr(GError) error = NULL;
	struct stat st;
	_cleanup_close_ int fd = cl_landing_open_incoming(env->dst_fd, FROM, 4242, 4343, &error);
	g_assert_no_error(error);
	g_assert_cmpint(stat(dst_path(env, "Incoming"), &st), ==, 0);
	g_assert_cmpuint(st.st_uid, ==, 4242);
	g_assert_cmpuint(st.st_gid, ==, 4343);
	g_assert_cmpint(stat(dst_path(env, "Incoming/" FROM), &st), ==, 0);
	g_assert_cmpuint(st.st_uid, ==, 4242);

	ClSnapshot snap;
	make_snapshot(env, "f", "owned", 5, env->staging_fd, &snap);
	ClLandingInfo info = {.name = "f",
	                      .origin = "low (Low)",
	                      .sha256 = snap.sha256,
	                      .owner = 4242,
	                      .group = 4343};
	g_autofree char *name = NULL;
	g_assert_true(cl_landing_land(fd, &snap, &info, &name, &error));
	g_assert_no_error(error);
	g_assert_cmpint(stat(dst_path(env, "Incoming/" FROM "/f"), &st), ==, 0);
	g_assert_cmpuint(st.st_uid, ==, 4242);
	g_assert_cmpuint(st.st_gid, ==, 4343);
	g_assert_cmpuint(st.st_mode & 07777, ==, 0600);
	cl_snapshot_clear(&snap);
}

static void test_incoming_symlinked(Env *env, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	const char *elsewhere = keep(env, g_build_filename(env->dir, "elsewhere", NULL));

	/* ~/Incoming -> a directory outside the home. */
	g_assert_cmpint(g_mkdir(elsewhere, 0700), ==, 0);
	g_assert_cmpint(symlink(elsewhere, dst_path(env, "Incoming")), ==, 0);
	g_assert_cmpint(open_incoming(env, &error), ==, -1);
	g_assert_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_LANDING);
	g_assert_nonnull(strstr(error->message, "symbolic link"));
	g_clear_error(&error);
	g_assert_cmpuint(tt_count_entries(elsewhere), ==, 0);

	/* ~/Incoming/low -> elsewhere. */
	g_assert_cmpint(unlink(dst_path(env, "Incoming")), ==, 0);
	g_assert_cmpint(g_mkdir(dst_path(env, "Incoming"), 0700), ==, 0);
	g_assert_cmpint(symlink(elsewhere, dst_path(env, "Incoming/" FROM)), ==, 0);
	g_assert_cmpint(open_incoming(env, &error), ==, -1);
	g_assert_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_LANDING);
	g_clear_error(&error);
	g_assert_cmpuint(tt_count_entries(elsewhere), ==, 0);

	/* A relative symlink to a directory inside the home is refused too. */
	g_assert_cmpint(unlink(dst_path(env, "Incoming/" FROM)), ==, 0);
	g_assert_cmpint(g_mkdir(dst_path(env, "inside"), 0700), ==, 0);
	g_assert_cmpint(symlink("../inside", dst_path(env, "Incoming/" FROM)), ==, 0);
	g_assert_cmpint(open_incoming(env, &error), ==, -1);
	g_assert_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_LANDING);
	g_clear_error(&error);
	g_assert_cmpuint(tt_count_entries(dst_path(env, "inside")), ==, 0);
}

static void test_incoming_not_dir(Env *env, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	tt_write_file(env->dst_home, "Incoming", "file", 4);
	g_assert_cmpint(open_incoming(env, &error), ==, -1);
	g_assert_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_LANDING);
	g_assert_nonnull(strstr(error->message, "not a directory"));
	g_clear_error(&error);
	g_assert_cmpint(g_unlink(dst_path(env, "Incoming")), ==, 0);
	g_assert_cmpint(mkfifo(dst_path(env, "Incoming"), 0600), ==, 0);
	g_assert_cmpint(open_incoming(env, &error), ==, -1);
	g_assert_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_LANDING);
}

static void test_land_collisions(Env *env, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	_cleanup_close_ int incoming = open_incoming(env, &error);
	g_assert_no_error(error);

	/* An existing "report (3).pdf" belongs to the cage: never overwritten. */
	tt_write_file(dst_path(env, "Incoming/" FROM), "report (3).pdf", "mine", 4);

	static const char *const expected[] = {"report.pdf", "report (2).pdf", "report (4).pdf"};
	for (size_t i = 0; i < G_N_ELEMENTS(expected); i++) {
		ClSnapshot snap;
		g_autofree char *content = g_strdup_printf("version %zu", i);
		make_snapshot(env, "report.pdf", content, strlen(content), env->staging_fd, &snap);
		g_autofree char *name = land(incoming, &snap, "report.pdf", &error);
		g_assert_no_error(error);
		g_assert_cmpstr(name, ==, expected[i]);
		check_landed(env, name, content, strlen(content), snap.sha256);
		cl_snapshot_clear(&snap);
	}
	g_autofree char *mine = NULL;
	g_assert_true(g_file_get_contents(dst_path(env, "Incoming/" FROM "/report (3).pdf"), &mine,
	                                  NULL, NULL));
	g_assert_cmpstr(mine, ==, "mine");
	g_assert_cmpuint(tt_count_entries(dst_path(env, "Incoming/" FROM)), ==, 4);

	/* A symlink or directory in the way is a taken name, never followed. */
	g_assert_cmpint(symlink("/etc/passwd", dst_path(env, "Incoming/" FROM "/x")), ==, 0);
	g_assert_cmpint(g_mkdir(dst_path(env, "Incoming/" FROM "/x (2)"), 0700), ==, 0);
	ClSnapshot snap;
	make_snapshot(env, "x", "payload", 7, env->staging_fd, &snap);
	g_autofree char *name = land(incoming, &snap, "x", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(name, ==, "x (3)");
	check_landed(env, name, "payload", 7, snap.sha256);
	cl_snapshot_clear(&snap);

	/* A name that did not go through cl_name_sanitize is refused. */
	make_snapshot(env, "y", "y", 1, env->staging_fd, &snap);
	g_assert_null(land(incoming, &snap, "../y", &error));
	g_assert_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_LANDING);
	g_clear_error(&error);
	g_assert_null(land(incoming, &snap, ".hidden", &error));
	g_assert_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_LANDING);
	cl_snapshot_clear(&snap);
}

static void test_land_unlinkable_snapshot(Env *env, gconstpointer data)
{
	/* A staging without O_TMPFILE keeps a named file unlinked at once:
	 * it cannot be linked again, so landing copies it. */
	g_autoptr(GError) error = NULL;
	_cleanup_close_ int incoming = open_incoming(env, &error);
	g_assert_no_error(error);
	const char *named = keep(env, g_build_filename(env->staging, "named", NULL));
	tt_write_file(env->staging, "named", "named content", 13);
	ClSnapshot snap = {.fd = open(named, O_RDWR | O_CLOEXEC), .size = 13};
	g_assert_cmpint(snap.fd, >=, 0);
	g_assert_cmpint(unlink(named), ==, 0);
	g_autofree char *sha = tt_sha256_hex("named content", 13);
	g_strlcpy(snap.sha256, sha, sizeof(snap.sha256));

	g_autofree char *name = land(incoming, &snap, "doc.txt", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(name, ==, "doc.txt");
	check_landed(env, name, "named content", 13, sha);
	cl_snapshot_clear(&snap);
}

static void test_land_exdev(Env *env, gconstpointer data)
{
	if (!tt_require_mounts())
		return;
	/* Staging on a tmpfs, the target home on /tmp: copied, then linked. */
	g_autofree char *other = tt_mount_tmpfs(64 << 10);
	_cleanup_close_ int staging = open_dir(other);
	g_autoptr(GError) error = NULL;
	_cleanup_close_ int incoming = open_incoming(env, &error);
	g_assert_no_error(error);
	size_t len = 20u << 20;
	g_autofree unsigned char *content = g_malloc(len);
	for (size_t i = 0; i < len; i++)
		content[i] = (unsigned char)(i * 7 + (i >> 12));

	ClSnapshot snap;
	make_snapshot(env, "big.bin", content, len, staging, &snap);
	g_autofree char *name = land(incoming, &snap, "big.bin", &error);
	g_assert_no_error(error);
	check_landed(env, name, content, len, snap.sha256);
	cl_snapshot_clear(&snap);
	tt_remove_tree(other);
}

static void test_land_full(Env *env, gconstpointer data)
{
	if (!tt_require_mounts())
		return;
	/* The target home is a 1 MiB tmpfs; the document is 4 MiB. */
	g_autofree char *home = tt_mount_tmpfs(1024);
	_cleanup_close_ int home_fd = open_dir(home);
	g_autoptr(GError) error = NULL;
	_cleanup_close_ int incoming =
	        cl_landing_open_incoming(home_fd, FROM, (uid_t)-1, (gid_t)-1, &error);
	g_assert_no_error(error);
	uint64_t used = tt_fs_used(home);
	size_t len = 4u << 20;
	g_autofree unsigned char *content = g_malloc0(len);
	ClSnapshot snap;

	make_snapshot(env, "big.bin", content, len, env->staging_fd, &snap);
	g_autofree char *name = land(incoming, &snap, "big.bin", &error);
	g_assert_null(name);
	g_assert_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_NO_SPACE);
	g_clear_error(&error);
	/* Nothing partial: no entry, and the space is back. */
	g_autofree char *dir = g_build_filename(home, "Incoming", FROM, NULL);
	g_assert_cmpuint(tt_count_entries(dir), ==, 0);
	g_assert_cmpuint(tt_fs_used(home), ==, used);
	cl_snapshot_clear(&snap);

	/* A document that fits still lands afterwards. */
	make_snapshot(env, "small", "small", 5, env->staging_fd, &snap);
	g_autofree char *small = land(incoming, &snap, "small", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(small, ==, "small");
	cl_snapshot_clear(&snap);
	incoming = cl_close(incoming);
	home_fd = cl_close(home_fd);
	tt_remove_tree(home);
}

/* ---- Move: removing the source ---------------------------------------------- */

static void snapshot_src(Env *env, const char *rel, const char *content, ClSnapshot *snap)
{
	make_snapshot(env, rel, content, strlen(content), env->staging_fd, snap);
}

static const char *src_path(Env *env, const char *rel)
{
	return keep(env, g_build_filename(env->src_home, rel, NULL));
}

static void test_remove_source(Env *env, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	ClSnapshot snap;

	g_assert_cmpint(g_mkdir(src_path(env, "Docs"), 0700), ==, 0);
	snapshot_src(env, "Docs/a", "aaa", &snap);
	g_assert_true(cl_landing_remove_source(env->src_fd, "Docs/a", &snap, &error));
	g_assert_no_error(error);
	g_assert_false(g_file_test(src_path(env, "Docs/a"), G_FILE_TEST_EXISTS));
	cl_snapshot_clear(&snap);

	/* At the top of the home. */
	snapshot_src(env, "top", "top", &snap);
	g_assert_true(cl_landing_remove_source(env->src_fd, "top", &snap, &error));
	g_assert_no_error(error);
	g_assert_false(g_file_test(src_path(env, "top"), G_FILE_TEST_EXISTS));
	cl_snapshot_clear(&snap);
}

static void expect_kept(Env *env, const char *rel, const ClSnapshot *snap)
{
	g_autoptr(GError) error = NULL;

	g_assert_false(cl_landing_remove_source(env->src_fd, rel, snap, &error));
	g_assert_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_SOURCE_CHANGED);
	g_assert_true(g_file_test(src_path(env, rel), G_FILE_TEST_EXISTS));
}

static void test_remove_source_changed(Env *env, gconstpointer data)
{
	ClSnapshot snap;

	/* Appended to (size). */
	snapshot_src(env, "size", "abc", &snap);
	int fd = open(src_path(env, "size"), O_WRONLY | O_APPEND | O_CLOEXEC);
	g_assert_cmpint(write(fd, "d", 1), ==, 1);
	close(fd);
	expect_kept(env, "size", &snap);
	cl_snapshot_clear(&snap);

	/* Rewritten in place, same size: mtime and ctime move. */
	snapshot_src(env, "mtime", "abc", &snap);
	struct timespec times[2] = {{0, UTIME_OMIT}, {12345, 678}};
	g_assert_cmpint(utimensat(AT_FDCWD, src_path(env, "mtime"), times, 0), ==, 0);
	expect_kept(env, "mtime", &snap);
	cl_snapshot_clear(&snap);

	/* Swapped for another inode with the same content. */
	snapshot_src(env, "swap", "abc", &snap);
	tt_write_file(env->src_home, "swap", "abc", 3);
	expect_kept(env, "swap", &snap);
	cl_snapshot_clear(&snap);

	/* Gone. */
	g_autoptr(GError) error = NULL;
	snapshot_src(env, "gone", "abc", &snap);
	g_assert_cmpint(unlink(src_path(env, "gone")), ==, 0);
	g_assert_false(cl_landing_remove_source(env->src_fd, "gone", &snap, &error));
	g_assert_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_SOURCE_CHANGED);
	cl_snapshot_clear(&snap);
}

static void test_remove_source_symlinked_dir(Env *env, gconstpointer data)
{
	/* The directory of the source is swapped for a symlink to a directory
	 * holding the same inode (a hard link): nothing is followed. */
	g_autoptr(GError) error = NULL;
	ClSnapshot snap;

	g_assert_cmpint(g_mkdir(src_path(env, "d"), 0700), ==, 0);
	snapshot_src(env, "d/f", "abc", &snap);
	g_assert_cmpint(g_mkdir(src_path(env, "other"), 0700), ==, 0);
	g_assert_cmpint(link(src_path(env, "d/f"), src_path(env, "other/f")), ==, 0);
	g_assert_cmpint(unlink(src_path(env, "d/f")), ==, 0);
	g_assert_cmpint(rmdir(src_path(env, "d")), ==, 0);
	g_assert_cmpint(symlink("other", src_path(env, "d")), ==, 0);

	g_assert_false(cl_landing_remove_source(env->src_fd, "d/f", &snap, &error));
	g_assert_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_SOURCE_CHANGED);
	g_assert_true(g_file_test(src_path(env, "other/f"), G_FILE_TEST_IS_REGULAR));
	cl_snapshot_clear(&snap);
}

int main(int argc, char **argv)
{
	const char *why = NULL;

	setlocale(LC_ALL, "");
	g_test_init(&argc, &argv, NULL);
	if (!tt_private_mounts(&why))
		g_test_message("mount tests cannot run: %s", why);
#define ADD(name, fn) g_test_add("/transfer/landing/" name, Env, NULL, env_setup, fn, env_teardown)
	ADD("incoming/open", test_open_incoming);
	ADD("incoming/owner", test_open_incoming_owner);
	ADD("incoming/symlinked", test_incoming_symlinked);
	ADD("incoming/not-dir", test_incoming_not_dir);
	ADD("land/collisions", test_land_collisions);
	ADD("land/unlinkable-snapshot", test_land_unlinkable_snapshot);
	ADD("land/exdev", test_land_exdev);
	ADD("land/full", test_land_full);
	ADD("remove-source/unchanged", test_remove_source);
	ADD("remove-source/changed", test_remove_source_changed);
	ADD("remove-source/symlinked-dir", test_remove_source_symlinked_dir);
#undef ADD
	return g_test_run();
}
