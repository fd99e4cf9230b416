/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "paths.h"
#include "util.h"

#define NOBODY_UID 65534

/* A private temporary directory with $XDG_RUNTIME_DIR = DIR/run (0700). */
typedef struct {
	char *dir;
	char *run;
} TestEnv;

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if (remove(path) < 0)
		g_error("Cannot remove %s: %s", path, g_strerror(errno));
	return 0;
}

static void test_env_free(TestEnv *env)
{
	g_assert_no_errno(nftw(env->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS));
	g_free(env->dir);
	g_free(env->run);
	g_free(env);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TestEnv, test_env_free)

static TestEnv *test_env_new(void)
{
	g_autoptr(GError) error = NULL;
	TestEnv *env = g_new0(TestEnv, 1);

	env->dir = g_dir_make_tmp("cloison-test-paths-XXXXXX", &error);
	g_assert_no_error(error);
	env->run = g_build_filename(env->dir, "run", NULL);
	g_assert_no_errno(mkdir(env->run, 0700));
	g_setenv("XDG_RUNTIME_DIR", env->run, TRUE);
	return env;
}

static char *path_in(TestEnv *env, const char *relative)
{
	return g_build_filename(env->dir, relative, NULL);
}

/* Skip, or fail when $CLOISON_TESTS_MUST_RUN asks for every test to run. */
static void skip_or_fail(const char *why)
{
	const char *must = g_getenv("CLOISON_TESTS_MUST_RUN");

	if (must && *must && strcmp(must, "0") != 0) {
		g_test_message("cannot run: %s (and CLOISON_TESTS_MUST_RUN is set)", why);
		g_test_fail();
	} else {
		g_test_skip(why);
	}
}

static unsigned mode_of(const char *path)
{
	struct stat st;

	g_assert_no_errno(lstat(path, &st));
	return st.st_mode & 07777;
}

static void assert_private_dir(const char *path)
{
	struct stat st;

	g_test_message("checking %s", path);
	g_assert_no_errno(lstat(path, &st));
	g_assert_true(S_ISDIR(st.st_mode));
	g_assert_cmpuint(st.st_uid, ==, geteuid());
	g_assert_cmpuint(st.st_mode & 07777, ==, 0700);
}

/* fd refers to path. */
static void assert_fd_is(int fd, const char *path)
{
	struct stat a, b;

	g_assert_cmpint(fd, >=, 0);
	g_assert_no_errno(fstat(fd, &a));
	g_assert_no_errno(stat(path, &b));
	g_assert_true(a.st_dev == b.st_dev && a.st_ino == b.st_ino);
	g_assert_cmpint(fcntl(fd, F_GETFD), ==, FD_CLOEXEC);
}

static void assert_error_contains(const GError *error, int code, const char *substring)
{
	g_assert_error(error, G_FILE_ERROR, code);
	if (!strstr(error->message, substring))
		g_error("\"%s\" is not in the error message \"%s\"", substring, error->message);
}

/* ---- $XDG_RUNTIME_DIR ---- */

static void test_runtime_ok(void)
{
	g_autoptr(TestEnv) env = test_env_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = NULL;

	dir = cl_paths_xdg_runtime_dir(&error);
	g_assert_no_error(error);
	g_assert_cmpstr(dir, ==, env->run);
	g_clear_pointer(&dir, g_free);

	/* Readable by others is acceptable for the runtime directory itself. */
	g_assert_no_errno(chmod(env->run, 0755));
	dir = cl_paths_xdg_runtime_dir(&error);
	g_assert_no_error(error);
	g_assert_cmpstr(dir, ==, env->run);
	g_assert_cmpuint(mode_of(env->run), ==, 0755);
}

static void test_runtime_unset(void)
{
	g_autoptr(TestEnv) env = test_env_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = NULL;

	g_unsetenv("XDG_RUNTIME_DIR");
	dir = cl_paths_xdg_runtime_dir(&error);
	g_assert_null(dir);
	assert_error_contains(error, G_FILE_ERROR_NOENT, "XDG_RUNTIME_DIR is not set");
	assert_error_contains(error, G_FILE_ERROR_NOENT, "mode 0700");
	g_clear_error(&error);

	g_setenv("XDG_RUNTIME_DIR", "", TRUE);
	dir = cl_paths_xdg_runtime_dir(&error);
	g_assert_null(dir);
	assert_error_contains(error, G_FILE_ERROR_NOENT, "XDG_RUNTIME_DIR is not set");
}

static void test_runtime_relative(void)
{
	g_autoptr(TestEnv) env = test_env_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = NULL;

	g_setenv("XDG_RUNTIME_DIR", "run/user/1000", TRUE);
	dir = cl_paths_xdg_runtime_dir(&error);
	g_assert_null(dir);
	assert_error_contains(error, G_FILE_ERROR_INVAL, "not an absolute path");
	assert_error_contains(error, G_FILE_ERROR_INVAL, "run/user/1000");
}

static void test_runtime_missing(void)
{
	g_autoptr(TestEnv) env = test_env_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *missing = path_in(env, "missing");
	g_autofree char *file = path_in(env, "file");
	g_autofree char *dir = NULL;
	int fd;

	g_setenv("XDG_RUNTIME_DIR", missing, TRUE);
	dir = cl_paths_xdg_runtime_dir(&error);
	g_assert_null(dir);
	assert_error_contains(error, G_FILE_ERROR_NOENT, missing);
	g_clear_error(&error);

	g_assert_true(g_file_set_contents(file, "", 0, NULL));
	g_setenv("XDG_RUNTIME_DIR", file, TRUE);
	dir = cl_paths_xdg_runtime_dir(&error);
	g_assert_null(dir);
	assert_error_contains(error, G_FILE_ERROR_NOTDIR, file);
	g_clear_error(&error);

	fd = cl_paths_ensure_runtime(file, &error);
	g_assert_cmpint(fd, ==, -ENOTDIR);
	g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR);
}

static void test_runtime_group_writable(void)
{
	static const unsigned modes[] = {0770, 0720, 0702, 0777, 01777};
	g_autoptr(TestEnv) env = test_env_new();
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(modes); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree char *dir = NULL;
		g_autofree char *cloison = path_in(env, "run/cloison");
		int fd;

		g_test_message("mode %04o", modes[i]);
		g_assert_no_errno(chmod(env->run, modes[i]));
		dir = cl_paths_xdg_runtime_dir(&error);
		g_assert_null(dir);
		assert_error_contains(error, G_FILE_ERROR_PERM, "writable by group or others");
		assert_error_contains(error, G_FILE_ERROR_PERM, env->run);
		g_clear_error(&error);

		fd = cl_paths_ensure_runtime(env->run, &error);
		g_assert_cmpint(fd, ==, -EPERM);
		assert_error_contains(error, G_FILE_ERROR_PERM, "writable by group or others");
		/* Nothing was created inside. */
		g_assert_false(g_file_test(cloison, G_FILE_TEST_EXISTS));
	}
}

static void test_runtime_owned_by_other(void)
{
	g_autoptr(TestEnv) env = test_env_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = NULL;
	int fd;

	if (geteuid() != 0) {
		skip_or_fail("changing the owner of a directory needs root");
		return;
	}
	g_assert_no_errno(chown(env->run, NOBODY_UID, NOBODY_UID));

	dir = cl_paths_xdg_runtime_dir(&error);
	g_assert_null(dir);
	assert_error_contains(error, G_FILE_ERROR_PERM, "owned by uid 65534");
	assert_error_contains(error, G_FILE_ERROR_PERM, "not by you");
	g_clear_error(&error);

	fd = cl_paths_ensure_runtime(env->run, &error);
	g_assert_cmpint(fd, ==, -EPERM);
	assert_error_contains(error, G_FILE_ERROR_PERM, "owned by uid 65534");
}

static void test_runtime_symlink_ok(void)
{
	g_autoptr(TestEnv) env = test_env_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *link = path_in(env, "link");
	g_autofree char *dir = NULL;

	/* $XDG_RUNTIME_DIR itself may be a symlink to a private directory. */
	g_assert_no_errno(symlink(env->run, link));
	g_setenv("XDG_RUNTIME_DIR", link, TRUE);
	dir = cl_paths_xdg_runtime_dir(&error);
	g_assert_no_error(error);
	g_assert_cmpstr(dir, ==, link);
}

static void test_runtime_ensure(void)
{
	g_autoptr(TestEnv) env = test_env_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *cloison = path_in(env, "run/cloison");
	g_autofree char *core = path_in(env, "run/cloison/core");
	g_autofree char *cages = path_in(env, "run/cloison/cages");
	g_autofree char *work = path_in(env, "run/cloison/cages/work");
	int fd, round;

	for (round = 0; round < 2; round++) {
		_cleanup_close_ int cage_fd = -1;

		fd = cl_paths_ensure_runtime(env->run, &error);
		g_assert_no_error(error);
		assert_fd_is(fd, cloison);
		assert_private_dir(cloison);
		assert_private_dir(core);
		assert_private_dir(cages);

		cage_fd = cl_paths_ensure_cage_runtime(fd, "work", &error);
		g_assert_no_error(error);
		assert_fd_is(cage_fd, work);
		assert_private_dir(work);
		cl_close(fd);
	}
}

static void test_runtime_ensure_umask(void)
{
	g_autoptr(TestEnv) env = test_env_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *cloison = path_in(env, "run/cloison");
	g_autofree char *core = path_in(env, "run/cloison/core");
	_cleanup_close_ int fd = -1;
	mode_t old = umask(0777);

	/* Even a umask that removes every bit gives usable 0700 directories. */
	fd = cl_paths_ensure_runtime(env->run, &error);
	umask(old);
	g_assert_no_error(error);
	assert_private_dir(cloison);
	assert_private_dir(core);
}

/* The launcher's path: the same directories and checks, without core/. */
static void test_runtime_open_cage(void)
{
	g_autoptr(TestEnv) env = test_env_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *cloison = path_in(env, "run/cloison");
	g_autofree char *core = path_in(env, "run/cloison/core");
	g_autofree char *cages = path_in(env, "run/cloison/cages");
	g_autofree char *work = path_in(env, "run/cloison/cages/work");
	g_autofree char *elsewhere = path_in(env, "elsewhere");
	int round;

	for (round = 0; round < 2; round++) {
		_cleanup_close_ int fd = cl_paths_open_cage_runtime(env->run, "work", &error);

		g_assert_no_error(error);
		assert_fd_is(fd, work);
		assert_private_dir(cloison);
		assert_private_dir(cages);
		assert_private_dir(work);
		g_assert_false(g_file_test(core, G_FILE_TEST_EXISTS));
	}

	/* Each directory is checked: a group-writable cage directory is refused. */
	g_assert_no_errno(chmod(work, 0770));
	g_assert_cmpint(cl_paths_open_cage_runtime(env->run, "work", &error), ==, -EPERM);
	assert_error_contains(error, G_FILE_ERROR_PERM, "writable by group or others");
	assert_error_contains(error, G_FILE_ERROR_PERM, work);
	g_clear_error(&error);
	g_assert_no_errno(chmod(work, 0700));

	/* So is a symbolic link in place of cages/. */
	g_assert_no_errno(rename(cages, elsewhere));
	g_assert_no_errno(symlink(elsewhere, cages));
	g_assert_cmpint(cl_paths_open_cage_runtime(env->run, "work", &error), <, 0);
	assert_error_contains(error, error->code, "symbolic link");
	assert_error_contains(error, error->code, cages);
	g_clear_error(&error);

	/* An invalid cage name, before anything is created. */
	g_assert_cmpint(cl_paths_open_cage_runtime(env->run, "../x", &error), ==, -EINVAL);
	assert_error_contains(error, G_FILE_ERROR_INVAL, "Invalid cage name");
	g_clear_error(&error);

	/* And $XDG_RUNTIME_DIR itself. */
	g_assert_cmpint(cl_paths_open_cage_runtime(NULL, "work", &error), ==, -ENOENT);
	assert_error_contains(error, G_FILE_ERROR_NOENT, "XDG_RUNTIME_DIR is not set");
	g_clear_error(&error);
	g_assert_no_errno(chmod(env->run, 0770));
	g_assert_cmpint(cl_paths_open_cage_runtime(env->run, "work", &error), ==, -EPERM);
	assert_error_contains(error, G_FILE_ERROR_PERM, "XDG_RUNTIME_DIR is unsafe");
	g_assert_no_errno(chmod(env->run, 0700));
}

static void test_runtime_cage_invalid(void)
{
	static const char *const names[] = {
	        "",      "../x",
	        "a/b",   "UPPER",
	        "-lead", ".",
	        "..",    "sp ace",
	        "é",     "abcdefghijklmnopqrstuvwxyz0123456", /* 33 characters */
	};
	g_autoptr(TestEnv) env = test_env_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *cages = path_in(env, "run/cloison/cages");
	_cleanup_close_ int fd = -1;
	g_autoptr(GDir) dir = NULL;
	size_t i;

	fd = cl_paths_ensure_runtime(env->run, &error);
	g_assert_no_error(error);

	for (i = 0; i < G_N_ELEMENTS(names); i++) {
		g_test_message("cage \"%s\"", names[i]);
		g_assert_cmpint(cl_paths_ensure_cage_runtime(fd, names[i], &error), ==, -EINVAL);
		assert_error_contains(error, G_FILE_ERROR_INVAL, "Invalid cage name");
		g_clear_error(&error);
	}
	g_assert_cmpint(cl_paths_ensure_cage_runtime(fd, NULL, &error), ==, -EINVAL);
	g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL);
	g_clear_error(&error);

	/* Nothing was created in cages/. */
	dir = g_dir_open(cages, 0, &error);
	g_assert_no_error(error);
	g_assert_null(g_dir_read_name(dir));
}

/* ---- cl_mkdir_secure_at ---- */

static void test_mkdir_created(void)
{
	g_autoptr(TestEnv) env = test_env_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *sub = path_in(env, "run/sub");
	_cleanup_close_ int dirfd = open(env->run, O_DIRECTORY | O_CLOEXEC | O_RDONLY);
	_cleanup_close_ int fd = -1;

	fd = cl_mkdir_secure_at(dirfd, "sub", sub, &error);
	g_assert_no_error(error);
	assert_fd_is(fd, sub);
	assert_private_dir(sub);

	/* AT_FDCWD and no display path work too. */
	g_assert_no_errno(chdir(env->run));
	fd = cl_close(fd);
	fd = cl_mkdir_secure_at(AT_FDCWD, "sub2", NULL, &error);
	g_assert_no_error(error);
	g_assert_no_errno(chdir("/"));
	g_clear_pointer(&sub, g_free);
	sub = path_in(env, "run/sub2");
	assert_fd_is(fd, sub);
	assert_private_dir(sub);
}

static void test_mkdir_tighten(void)
{
	static const unsigned modes[] = {0755, 0750, 0711, 0705, 0500, 0300, 0000, 02755};
	g_autoptr(TestEnv) env = test_env_new();
	g_autofree char *sub = path_in(env, "run/sub");
	_cleanup_close_ int dirfd = open(env->run, O_DIRECTORY | O_CLOEXEC | O_RDONLY);
	size_t i;

	g_assert_no_errno(mkdir(sub, 0700));
	for (i = 0; i < G_N_ELEMENTS(modes); i++) {
		g_autoptr(GError) error = NULL;
		_cleanup_close_ int fd = -1;

		g_test_message("mode %04o", modes[i]);
		g_assert_no_errno(chmod(sub, modes[i]));
		fd = cl_mkdir_secure_at(dirfd, "sub", sub, &error);
		g_assert_no_error(error);
		assert_fd_is(fd, sub);
		assert_private_dir(sub);
	}
}

static void test_mkdir_refuse_writable(void)
{
	static const unsigned modes[] = {0777, 0775, 0770, 0757, 0720, 0702, 01777};
	g_autoptr(TestEnv) env = test_env_new();
	g_autofree char *sub = path_in(env, "run/sub");
	_cleanup_close_ int dirfd = open(env->run, O_DIRECTORY | O_CLOEXEC | O_RDONLY);
	size_t i;

	g_assert_no_errno(mkdir(sub, 0700));
	for (i = 0; i < G_N_ELEMENTS(modes); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree char *mode = g_strdup_printf("mode %04o", modes[i]);

		g_test_message("%s", mode);
		g_assert_no_errno(chmod(sub, modes[i]));
		g_assert_cmpint(cl_mkdir_secure_at(dirfd, "sub", sub, &error), ==, -EPERM);
		assert_error_contains(error, G_FILE_ERROR_PERM, "writable by group or others");
		assert_error_contains(error, G_FILE_ERROR_PERM, sub);
		assert_error_contains(error, G_FILE_ERROR_PERM, mode);
		assert_error_contains(error, G_FILE_ERROR_PERM, "chmod 700");
		/* Left as it was: the user decides. */
		g_assert_cmpuint(mode_of(sub), ==, modes[i]);
	}
}

static void test_mkdir_owned_by_other(void)
{
	g_autoptr(TestEnv) env = test_env_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *cloison = path_in(env, "run/cloison");
	g_autofree char *core = path_in(env, "run/cloison/core");

	if (geteuid() != 0) {
		skip_or_fail("changing the owner of a directory needs root");
		return;
	}
	g_assert_no_errno(mkdir(cloison, 0700));
	g_assert_no_errno(chown(cloison, NOBODY_UID, NOBODY_UID));

	g_assert_cmpint(cl_paths_ensure_runtime(env->run, &error), ==, -EPERM);
	assert_error_contains(error, G_FILE_ERROR_PERM, "owned by uid 65534");
	assert_error_contains(error, G_FILE_ERROR_PERM, cloison);
	g_assert_false(g_file_test(core, G_FILE_TEST_EXISTS));
}

static void test_mkdir_symlink(void)
{
	g_autoptr(TestEnv) env = test_env_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *target = path_in(env, "target");
	g_autofree char *marker = path_in(env, "target/marker");
	g_autofree char *link = path_in(env, "run/cloison");
	g_autofree char *core = path_in(env, "target/core");
	g_autofree char *read_back = NULL;
	g_autoptr(GDir) dir = NULL;
	struct stat st;

	g_assert_no_errno(mkdir(target, 0755));
	g_assert_true(g_file_set_contents(marker, "x", 1, NULL));
	g_assert_no_errno(symlink(target, link));

	g_assert_cmpint(cl_paths_ensure_runtime(env->run, &error), <, 0);
	g_assert_true(g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_LOOP) ||
	              g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR));
	assert_error_contains(error, error->code, "symbolic link");
	assert_error_contains(error, error->code, link);

	/* The link and its target are untouched. */
	g_assert_no_errno(lstat(link, &st));
	g_assert_true(S_ISLNK(st.st_mode));
	read_back = g_file_read_link(link, NULL);
	g_assert_cmpstr(read_back, ==, target);
	g_assert_cmpuint(mode_of(target), ==, 0755);
	g_assert_false(g_file_test(core, G_FILE_TEST_EXISTS));
	dir = g_dir_open(target, 0, NULL);
	g_assert_cmpstr(g_dir_read_name(dir), ==, "marker");
	g_assert_null(g_dir_read_name(dir));
}

static void test_mkdir_dangling_symlink(void)
{
	g_autoptr(TestEnv) env = test_env_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *target = path_in(env, "nowhere");
	g_autofree char *link = path_in(env, "run/cloison");

	g_assert_no_errno(symlink(target, link));
	g_assert_cmpint(cl_paths_ensure_runtime(env->run, &error), <, 0);
	assert_error_contains(error, error->code, "symbolic link");
	g_assert_false(g_file_test(target, G_FILE_TEST_EXISTS));
}

static void test_mkdir_not_directory(void)
{
	g_autoptr(TestEnv) env = test_env_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *file = path_in(env, "run/cloison");

	g_assert_true(g_file_set_contents(file, "", 0, NULL));
	g_assert_cmpint(cl_paths_ensure_runtime(env->run, &error), ==, -ENOTDIR);
	assert_error_contains(error, G_FILE_ERROR_NOTDIR, "is not a directory");
	assert_error_contains(error, G_FILE_ERROR_NOTDIR, file);
}

static void test_mkdir_bad_names(void)
{
	static const char *const names[] = {"", ".", "..", "a/b", "/abs", "trailing/"};
	g_autoptr(TestEnv) env = test_env_new();
	_cleanup_close_ int dirfd = open(env->run, O_DIRECTORY | O_CLOEXEC | O_RDONLY);
	g_autoptr(GDir) dir = NULL;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autoptr(GError) error = NULL;

		g_test_message("name \"%s\"", names[i]);
		g_assert_cmpint(cl_mkdir_secure_at(dirfd, names[i], "x", &error), ==, -EINVAL);
		assert_error_contains(error, G_FILE_ERROR_INVAL, "single path component");
	}
	g_assert_cmpint(cl_mkdir_secure_at(dirfd, NULL, "x", NULL), ==, -EINVAL);

	dir = g_dir_open(env->run, 0, NULL);
	g_assert_null(g_dir_read_name(dir));
}

/* ---- Sockets ---- */

static void check_socket(const char *runtime, const char *cage, const char *which,
                         const char *expected)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *path = cl_paths_socket(runtime, cage, which, &error);

	g_assert_no_error(error);
	g_assert_cmpstr(path, ==, expected);
}

static void test_socket_paths(void)
{
	check_socket("/run/user/1000", "work", CL_SOCKET_WAYLAND,
	             "/run/user/1000/cloison/cages/work/wayland-0");
	check_socket("/run/user/1000", "work", CL_SOCKET_TRANSFER,
	             "/run/user/1000/cloison/cages/work/transfer");
	check_socket("/run/user/1000", "secret-2", CL_SOCKET_NOTIFY,
	             "/run/user/1000/cloison/cages/secret-2/notify");
	check_socket("/run/user/1000", NULL, CL_CTL_SOCKET, "/run/user/1000/cloison/core/ctl");
	check_socket("/run/user/1000", NULL, NULL, "/run/user/1000/cloison/core/ctl");
	check_socket("/run/user/1000/", "w", CL_SOCKET_WAYLAND,
	             "/run/user/1000/cloison/cages/w/wayland-0");
}

static void test_socket_too_long(void)
{
	/* "/" + n × 'a' + "/cloison/cages/" + "abcd" + "/wayland-0": n + 30 bytes. */
	const size_t fixed = strlen("/cloison/cages/abcd/wayland-0") + 1;
	g_autofree char *fits = g_strnfill(107 - fixed, 'a');
	g_autofree char *too_long = g_strnfill(108 - fixed, 'a');
	g_autofree char *runtime_fits = g_strconcat("/", fits, NULL);
	g_autofree char *runtime_too_long = g_strconcat("/", too_long, NULL);
	g_autoptr(GError) error = NULL;
	g_autofree char *path = NULL;

	path = cl_paths_socket(runtime_fits, "abcd", CL_SOCKET_WAYLAND, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(strlen(path), ==, 107);
	g_clear_pointer(&path, g_free);

	path = cl_paths_socket(runtime_too_long, "abcd", CL_SOCKET_WAYLAND, &error);
	g_assert_null(path);
	assert_error_contains(error, G_FILE_ERROR_NAMETOOLONG, "is 108 bytes long");
	assert_error_contains(error, G_FILE_ERROR_NAMETOOLONG, "shorter than 108 bytes");
	assert_error_contains(error, G_FILE_ERROR_NAMETOOLONG, "shorter XDG_RUNTIME_DIR");
	g_clear_error(&error);

	path = cl_paths_socket(runtime_too_long, NULL, NULL, &error);
	g_assert_no_error(error);
	g_clear_pointer(&path, g_free);

	g_clear_pointer(&runtime_too_long, g_free);
	runtime_too_long = g_strconcat("/", too_long, too_long, too_long, NULL);
	path = cl_paths_socket(runtime_too_long, NULL, NULL, &error);
	g_assert_null(path);
	g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NAMETOOLONG);
}

static void test_socket_invalid(void)
{
	static const struct {
		const char *runtime, *cage, *which, *message;
	} cases[] = {
	        {"/run/user/1", "../x", CL_SOCKET_WAYLAND, "Invalid cage name"},
	        {"/run/user/1", "a/b", CL_SOCKET_WAYLAND, "Invalid cage name"},
	        {"/run/user/1", "", CL_SOCKET_WAYLAND, "Invalid cage name"},
	        {"/run/user/1", "UPPER", CL_SOCKET_WAYLAND, "Invalid cage name"},
	        {"/run/user/1", "work", NULL, "Invalid socket name"},
	        {"/run/user/1", "work", "../../core/ctl", "Invalid socket name"},
	        {"/run/user/1", "work", "..", "Invalid socket name"},
	        {"/run/user/1", NULL, "", "Invalid socket name"},
	        {"run/user/1", "work", CL_SOCKET_WAYLAND, "not an absolute path"},
	        {NULL, "work", CL_SOCKET_WAYLAND, "not an absolute path"},
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree char *path = NULL;

		g_test_message("case %zu", i);
		path = cl_paths_socket(cases[i].runtime, cases[i].cage, cases[i].which, &error);
		g_assert_null(path);
		assert_error_contains(error, G_FILE_ERROR_INVAL, cases[i].message);
	}
}

/* ---- Data, state and config homes ---- */

typedef char *(*HomeFunc)(GError **error);

static const struct {
	const char *name;
	const char *env_var;
	const char *fallback;
	HomeFunc func;
} homes[] = {
        {"data", "XDG_DATA_HOME", "/home/u/.local/share", cl_paths_data_home},
        {"state", "XDG_STATE_HOME", "/home/u/.local/state", cl_paths_state_home},
        {"config", "XDG_CONFIG_HOME", "/home/u/.config", cl_paths_config_home},
};

static void test_home(gconstpointer data)
{
	const size_t i = GPOINTER_TO_SIZE(data);
	const char *var = homes[i].env_var;
	g_autoptr(GError) error = NULL;
	g_autofree char *path = NULL;

	g_setenv("HOME", "/home/u", TRUE);

	g_setenv(var, "/elsewhere/x", TRUE);
	path = homes[i].func(&error);
	g_assert_no_error(error);
	g_assert_cmpstr(path, ==, "/elsewhere/x");
	g_clear_pointer(&path, g_free);

	/* Unset, empty or relative: $HOME/… (the XDG spec ignores relative values). */
	g_unsetenv(var);
	path = homes[i].func(&error);
	g_assert_no_error(error);
	g_assert_cmpstr(path, ==, homes[i].fallback);
	g_clear_pointer(&path, g_free);

	g_setenv(var, "", TRUE);
	path = homes[i].func(&error);
	g_assert_no_error(error);
	g_assert_cmpstr(path, ==, homes[i].fallback);
	g_clear_pointer(&path, g_free);

	g_setenv(var, "relative/dir", TRUE);
	path = homes[i].func(&error);
	g_assert_no_error(error);
	g_assert_cmpstr(path, ==, homes[i].fallback);
	g_clear_pointer(&path, g_free);

	/* $HOME needed but unusable. */
	g_unsetenv("HOME");
	path = homes[i].func(&error);
	g_assert_null(path);
	assert_error_contains(error, G_FILE_ERROR_NOENT, "HOME is not set");
	assert_error_contains(error, G_FILE_ERROR_NOENT, var);
	g_clear_error(&error);

	g_setenv("HOME", "home/u", TRUE);
	path = homes[i].func(&error);
	g_assert_null(path);
	assert_error_contains(error, G_FILE_ERROR_INVAL, "not an absolute path");
	g_clear_error(&error);

	/* ...but not needed when the variable is set. */
	g_setenv(var, "/elsewhere/y", TRUE);
	path = homes[i].func(&error);
	g_assert_no_error(error);
	g_assert_cmpstr(path, ==, "/elsewhere/y");

	g_unsetenv(var);
}

/* ---- Cage homes and the state directory ---- */

static void test_cage_home_create(void)
{
	static const char *const components[] = {
	        "a",
	        "a/b",
	        "a/b/data",
	        "a/b/data/cloison",
	        "a/b/data/cloison/cages",
	        "a/b/data/cloison/cages/work",
	        "a/b/data/cloison/cages/work/home",
	};
	g_autoptr(TestEnv) env = test_env_new();
	g_autofree char *data_home = path_in(env, "a/b/data");
	g_autofree char *home = path_in(env, "a/b/data/cloison/cages/work/home");
	int round;
	size_t i;

	for (round = 0; round < 2; round++) {
		g_autoptr(GError) error = NULL;
		_cleanup_close_ int fd = -1;

		fd = cl_paths_ensure_cage_home(data_home, "work", &error);
		g_assert_no_error(error);
		assert_fd_is(fd, home);
		for (i = 0; i < G_N_ELEMENTS(components); i++) {
			g_autofree char *p = path_in(env, components[i]);

			assert_private_dir(p);
		}
	}
}

static void test_cage_home_existing(void)
{
	g_autoptr(TestEnv) env = test_env_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *data_home = path_in(env, "data");
	g_autofree char *cloison = path_in(env, "data/cloison");
	g_autofree char *cages = path_in(env, "data/cloison/cages");
	g_autofree char *home = path_in(env, "data/cloison/cages/x/home");
	_cleanup_close_ int fd = -1;

	/* An existing data home is the user's: its mode is left alone. */
	g_assert_no_errno(mkdir(data_home, 0755));
	g_assert_no_errno(mkdir(cloison, 0755));
	fd = cl_paths_ensure_cage_home(data_home, "x", &error);
	g_assert_no_error(error);
	assert_fd_is(fd, home);
	g_assert_cmpuint(mode_of(data_home), ==, 0755);
	assert_private_dir(cloison);
	fd = cl_close(fd);

	/* A loose component further down is refused, naming it. */
	g_assert_no_errno(chmod(cages, 0777));
	fd = cl_paths_ensure_cage_home(data_home, "x", &error);
	g_assert_cmpint(fd, ==, -EPERM);
	assert_error_contains(error, G_FILE_ERROR_PERM, cages);
	assert_error_contains(error, G_FILE_ERROR_PERM, "writable by group or others");
}

static void test_cage_home_symlink(void)
{
	g_autoptr(TestEnv) env = test_env_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *data_home = path_in(env, "data");
	g_autofree char *target = path_in(env, "elsewhere");
	g_autofree char *link = path_in(env, "data/cloison/cages/x/home");
	g_autofree char *cage = path_in(env, "data/cloison/cages/x");

	g_assert_no_errno(g_mkdir_with_parents(cage, 0700));
	g_assert_no_errno(mkdir(target, 0700));
	g_assert_no_errno(symlink(target, link));
	g_assert_cmpint(cl_paths_ensure_cage_home(data_home, "x", &error), <, 0);
	assert_error_contains(error, error->code, "symbolic link");
	assert_error_contains(error, error->code, link);
}

static void test_cage_home_invalid(void)
{
	static const char *const names[] = {
	        "",      "../x", "a/b",
	        "UPPER", "-x",   ".",
	        "..",    "x\n",  "abcdefghijklmnopqrstuvwxyz0123456", /* 33 characters */
	};
	g_autoptr(TestEnv) env = test_env_new();
	g_autofree char *data_home = path_in(env, "data");
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autoptr(GError) error = NULL;

		g_test_message("cage \"%s\"", names[i]);
		g_assert_cmpint(cl_paths_ensure_cage_home(data_home, names[i], &error), ==,
		                -EINVAL);
		assert_error_contains(error, G_FILE_ERROR_INVAL, "Invalid cage name");
		/* Refused before anything is created. */
		g_assert_false(g_file_test(data_home, G_FILE_TEST_EXISTS));
	}
}

static void test_cage_home_longest_name(void)
{
	g_autoptr(TestEnv) env = test_env_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *data_home = path_in(env, "data");
	const char *name = "abcdefghijklmnopqrstuvwxyz-01234"; /* 32 characters */
	g_autofree char *home = g_build_filename(data_home, "cloison/cages", name, "home", NULL);
	_cleanup_close_ int fd = -1;

	g_assert_cmpuint(strlen(name), ==, 32);
	fd = cl_paths_ensure_cage_home(data_home, name, &error);
	g_assert_no_error(error);
	assert_fd_is(fd, home);
}

static void test_cage_home_relative(void)
{
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(cl_paths_ensure_cage_home("data", "x", &error), ==, -EINVAL);
	assert_error_contains(error, G_FILE_ERROR_INVAL, "not an absolute path");
	g_clear_error(&error);
	g_assert_cmpint(cl_paths_ensure_state_dir("state", &error), ==, -EINVAL);
	assert_error_contains(error, G_FILE_ERROR_INVAL, "not an absolute path");
}

static void test_state_dir(void)
{
	g_autoptr(TestEnv) env = test_env_new();
	g_autofree char *state_home = path_in(env, "s/state");
	g_autofree char *s = path_in(env, "s");
	g_autofree char *cloison = path_in(env, "s/state/cloison");
	int round;

	for (round = 0; round < 2; round++) {
		g_autoptr(GError) error = NULL;
		_cleanup_close_ int fd = -1;

		fd = cl_paths_ensure_state_dir(state_home, &error);
		g_assert_no_error(error);
		assert_fd_is(fd, cloison);
		assert_private_dir(s);
		assert_private_dir(state_home);
		assert_private_dir(cloison);
	}
}

static void test_state_dir_unsafe(void)
{
	g_autoptr(TestEnv) env = test_env_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *state_home = path_in(env, "state");
	g_autofree char *cloison = path_in(env, "state/cloison");

	g_assert_no_errno(g_mkdir_with_parents(cloison, 0700));
	g_assert_no_errno(chmod(cloison, 0722));
	g_assert_cmpint(cl_paths_ensure_state_dir(state_home, &error), ==, -EPERM);
	assert_error_contains(error, G_FILE_ERROR_PERM, cloison);
}

int main(int argc, char **argv)
{
	size_t i;

	g_test_init(&argc, &argv, NULL);
	umask(022);

	g_test_add_func("/paths/runtime/ok", test_runtime_ok);
	g_test_add_func("/paths/runtime/unset", test_runtime_unset);
	g_test_add_func("/paths/runtime/relative", test_runtime_relative);
	g_test_add_func("/paths/runtime/missing", test_runtime_missing);
	g_test_add_func("/paths/runtime/group-writable", test_runtime_group_writable);
	g_test_add_func("/paths/runtime/owned-by-other", test_runtime_owned_by_other);
	g_test_add_func("/paths/runtime/symlink-ok", test_runtime_symlink_ok);
	g_test_add_func("/paths/runtime/ensure", test_runtime_ensure);
	g_test_add_func("/paths/runtime/ensure-umask", test_runtime_ensure_umask);
	g_test_add_func("/paths/runtime/cage-invalid", test_runtime_cage_invalid);
	g_test_add_func("/paths/runtime/open-cage", test_runtime_open_cage);
	g_test_add_func("/paths/mkdir/created", test_mkdir_created);
	g_test_add_func("/paths/mkdir/tighten", test_mkdir_tighten);
	g_test_add_func("/paths/mkdir/refuse-writable", test_mkdir_refuse_writable);
	g_test_add_func("/paths/mkdir/owned-by-other", test_mkdir_owned_by_other);
	g_test_add_func("/paths/mkdir/symlink", test_mkdir_symlink);
	g_test_add_func("/paths/mkdir/dangling-symlink", test_mkdir_dangling_symlink);
	g_test_add_func("/paths/mkdir/not-directory", test_mkdir_not_directory);
	g_test_add_func("/paths/mkdir/bad-names", test_mkdir_bad_names);
	g_test_add_func("/paths/socket/paths", test_socket_paths);
	g_test_add_func("/paths/socket/too-long", test_socket_too_long);
	g_test_add_func("/paths/socket/invalid", test_socket_invalid);
	for (i = 0; i < G_N_ELEMENTS(homes); i++) {
		g_autofree char *name = g_strdup_printf("/paths/home/%s", homes[i].name);

		g_test_add_data_func(name, GSIZE_TO_POINTER(i), test_home);
	}
	g_test_add_func("/paths/cage-home/create", test_cage_home_create);
	g_test_add_func("/paths/cage-home/existing", test_cage_home_existing);
	g_test_add_func("/paths/cage-home/symlink", test_cage_home_symlink);
	g_test_add_func("/paths/cage-home/invalid", test_cage_home_invalid);
	g_test_add_func("/paths/cage-home/longest-name", test_cage_home_longest_name);
	g_test_add_func("/paths/cage-home/relative", test_cage_home_relative);
	g_test_add_func("/paths/state-dir/create", test_state_dir);
	g_test_add_func("/paths/state-dir/unsafe", test_state_dir_unsafe);

	return g_test_run();
}
