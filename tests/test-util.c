/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "util.h"

/* A private temporary directory, removed (with its files) at the end. */
typedef struct {
	char *path;
	int fd;
} TmpDir;

static void tmp_dir_free(TmpDir *t)
{
	g_autoptr(GDir) dir = g_dir_open(t->path, 0, NULL);
	const char *name;

	while (dir && (name = g_dir_read_name(dir))) {
		g_autofree char *p = g_build_filename(t->path, name, NULL);

		g_assert_no_errno(g_remove(p));
	}
	g_assert_no_errno(g_rmdir(t->path));
	cl_close(t->fd);
	g_free(t->path);
	g_free(t);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TmpDir, tmp_dir_free)

static TmpDir *tmp_dir_new(void)
{
	g_autoptr(GError) error = NULL;
	TmpDir *t = g_new0(TmpDir, 1);

	t->path = g_dir_make_tmp("cloison-test-util-XXXXXX", &error);
	g_assert_no_error(error);
	t->fd = open(t->path, O_DIRECTORY | O_CLOEXEC | O_RDONLY);
	g_assert_cmpint(t->fd, >=, 0);
	return t;
}

static void write_file(TmpDir *t, const char *name, const char *data, size_t len)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *p = g_build_filename(t->path, name, NULL);

	g_file_set_contents(p, data, (gssize)len, &error);
	g_assert_no_error(error);
}

static void test_close_negative(void)
{
	errno = EDOM;
	g_assert_cmpint(cl_close(-1), ==, -1);
	g_assert_cmpint(errno, ==, EDOM);
}

static void test_close_preserves_errno(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	g_assert_cmpint(fd, >=, 0);
	errno = EDOM;
	g_assert_cmpint(cl_close(fd), ==, -1);
	g_assert_cmpint(errno, ==, EDOM);
	/* The descriptor really is closed. */
	g_assert_cmpint(fcntl(fd, F_GETFD), ==, -1);
	g_assert_cmpint(errno, ==, EBADF);
}

static void test_close_cleanup(void)
{
	int copy;

	{
		_cleanup_close_ int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

		g_assert_cmpint(fd, >=, 0);
		copy = fd;
	}
	g_assert_cmpint(fcntl(copy, F_GETFD), ==, -1);

	{
		_cleanup_close_ int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

		copy = cl_steal_fd(&fd);
		g_assert_cmpint(fd, ==, -1);
	}
	g_assert_cmpint(fcntl(copy, F_GETFD), >=, 0);
	cl_close(copy);
}

static void test_write_all_file(void)
{
	_cleanup_close_ int fd = memfd_create("test-write-all", MFD_CLOEXEC);
	const size_t len = 3 * 1024 * 1024 + 17;
	g_autofree char *buf = g_malloc(len);
	g_autofree char *back = g_malloc(len);
	size_t i;

	g_assert_cmpint(fd, >=, 0);
	for (i = 0; i < len; i++)
		buf[i] = (char)(i * 7 + i / 251);

	g_assert_cmpint(cl_write_all(fd, buf, len), ==, 0);
	g_assert_cmpint(cl_write_all(fd, buf, 0), ==, 0);
	g_assert_cmpint(lseek(fd, 0, SEEK_END), ==, (off_t)len);
	g_assert_cmpint(pread(fd, back, len, 0), ==, (ssize_t)len);
	g_assert_cmpmem(buf, len, back, len);
}

static void test_write_all_errors(void)
{
	int p[2];
	char big[65536 * 2] = {0};

	g_assert_cmpint(cl_write_all(-1, "x", 1), ==, -EINVAL);
	g_assert_cmpint(cl_write_all(1000000, "x", 1), ==, -EBADF);

	/* A full non-blocking pipe reports EAGAIN instead of spinning. */
	g_assert_no_errno(pipe2(p, O_CLOEXEC | O_NONBLOCK));
	g_assert_cmpint(cl_write_all(p[1], big, sizeof(big)), ==, -EAGAIN);
	cl_close(p[0]);

	/* No reader: EPIPE (SIGPIPE is ignored in main()). */
	g_assert_cmpint(cl_write_all(p[1], "x", 1), ==, -EPIPE);
	cl_close(p[1]);
}

static void test_read_basic(void)
{
	g_autoptr(TmpDir) t = tmp_dir_new();
	g_autofree char *path = g_build_filename(t->path, "f", NULL);
	char *data = NULL;
	size_t len = 0;

	write_file(t, "f", "hello\nworld", 11);

	g_assert_cmpint(cl_read_file_bounded(t->fd, "f", 1024, &data, &len), ==, 0);
	g_assert_cmpuint(len, ==, 11);
	g_assert_cmpstr(data, ==, "hello\nworld");
	g_clear_pointer(&data, free);

	/* Absolute path with AT_FDCWD, and no length wanted. */
	g_assert_cmpint(cl_read_file_bounded(AT_FDCWD, path, 1024, &data, NULL), ==, 0);
	g_assert_cmpstr(data, ==, "hello\nworld");
	g_clear_pointer(&data, free);
}

static void test_read_binary(void)
{
	g_autoptr(TmpDir) t = tmp_dir_new();
	char *data = NULL;
	size_t len = 0;

	write_file(t, "bin", "a\0b\0", 4);
	g_assert_cmpint(cl_read_file_bounded(t->fd, "bin", 4, &data, &len), ==, 0);
	g_assert_cmpuint(len, ==, 4);
	g_assert_cmpmem(data, 5, "a\0b\0\0", 5);
	free(data);
}

static void test_read_limit(void)
{
	g_autoptr(TmpDir) t = tmp_dir_new();
	char *data = NULL;
	size_t len = 0;

	write_file(t, "ten", "0123456789", 10);

	g_assert_cmpint(cl_read_file_bounded(t->fd, "ten", 10, &data, &len), ==, 0);
	g_assert_cmpuint(len, ==, 10);
	g_assert_cmpstr(data, ==, "0123456789");
	g_clear_pointer(&data, free);

	g_assert_cmpint(cl_read_file_bounded(t->fd, "ten", 9, &data, &len), ==, -EFBIG);
	g_assert_null(data);
	g_assert_cmpint(cl_read_file_bounded(t->fd, "ten", 0, &data, &len), ==, -EFBIG);
	g_assert_null(data);

	write_file(t, "empty", "", 0);
	g_assert_cmpint(cl_read_file_bounded(t->fd, "empty", 0, &data, &len), ==, 0);
	g_assert_cmpuint(len, ==, 0);
	g_assert_cmpstr(data, ==, "");
	g_clear_pointer(&data, free);

	g_assert_cmpint(cl_read_file_bounded(t->fd, "ten", SIZE_MAX, &data, &len), ==, -EINVAL);
	g_assert_null(data);
}

static void test_read_fifo(void)
{
	g_autoptr(TmpDir) t = tmp_dir_new();
	char *data = NULL;
	gint64 start;

	g_assert_no_errno(mkfifoat(t->fd, "fifo", 0600));
	/* If it blocked, the alarm would kill the test. */
	alarm(10);
	start = g_get_monotonic_time();
	g_assert_cmpint(cl_read_file_bounded(t->fd, "fifo", 1024, &data, NULL), ==, -EINVAL);
	alarm(0);
	g_assert_cmpint(g_get_monotonic_time() - start, <, 5 * G_USEC_PER_SEC);
	g_assert_null(data);
}

static void test_read_not_regular(void)
{
	g_autoptr(TmpDir) t = tmp_dir_new();
	char *data = NULL;

	g_assert_no_errno(mkdirat(t->fd, "dir", 0700));
	g_assert_cmpint(cl_read_file_bounded(t->fd, "dir", 1024, &data, NULL), ==, -EINVAL);
	g_assert_cmpint(cl_read_file_bounded(AT_FDCWD, "/dev/null", 1024, &data, NULL), ==,
	                -EINVAL);
	g_assert_cmpint(cl_read_file_bounded(t->fd, "missing", 1024, &data, NULL), ==, -ENOENT);
	g_assert_cmpint(cl_read_file_bounded(t->fd, NULL, 1024, &data, NULL), ==, -EINVAL);
	g_assert_cmpint(cl_read_file_bounded(t->fd, "dir", 1024, NULL, NULL), ==, -EINVAL);
	g_assert_null(data);
}

/* Files in /proc say st_size == 0: the limit must still hold. */
static void test_read_proc(void)
{
	char *data = NULL;
	size_t len = 0;

	g_assert_cmpint(cl_read_file_bounded(AT_FDCWD, "/proc/self/status", 1 << 20, &data, &len),
	                ==, 0);
	g_assert_cmpuint(len, >, 0);
	g_assert_cmpuint(strlen(data), ==, len);
	g_assert_true(g_str_has_prefix(data, "Name:"));
	g_clear_pointer(&data, free);

	g_assert_cmpint(cl_read_file_bounded(AT_FDCWD, "/proc/self/status", 16, &data, &len), ==,
	                -EFBIG);
	g_assert_null(data);
}

/* A /proc file larger than the first read buffer: exercise growing it. */
static void test_read_proc_large(void)
{
	const long page = sysconf(_SC_PAGESIZE);
	const int pages = 512;
	char *map =
	        mmap(NULL, (size_t)(page * pages), PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *data = NULL;
	size_t len = 0;
	int i;

	g_assert_true(map != MAP_FAILED);
	/* Every other page inaccessible: one line per page in /proc/self/maps. */
	for (i = 0; i < pages; i += 2)
		g_assert_no_errno(mprotect(map + i * page, (size_t)page, PROT_NONE));

	g_assert_cmpint(cl_read_file_bounded(AT_FDCWD, "/proc/self/maps", 1 << 24, &data, &len), ==,
	                0);
	g_assert_cmpuint(len, >, 16384);
	g_assert_cmpuint(strlen(data), ==, len);
	g_assert_cmpint(data[len - 1], ==, '\n');
	g_clear_pointer(&data, free);

	g_assert_cmpint(cl_read_file_bounded(AT_FDCWD, "/proc/self/maps", 10000, &data, &len), ==,
	                -EFBIG);
	g_assert_null(data);

	g_assert_no_errno(munmap(map, (size_t)(page * pages)));
}

static void test_parse_u64_valid(void)
{
	static const struct {
		const char *s;
		unsigned long long v;
	} cases[] = {
	        {"0", 0},
	        {"7", 7},
	        {"007", 7},
	        {"42", 42},
	        {"4294967296", 4294967296ULL},
	        {"18446744073709551615", ULLONG_MAX},
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		unsigned long long v = 12345;

		g_test_message("parsing \"%s\"", cases[i].s);
		g_assert_cmpint(cl_parse_u64(cases[i].s, &v), ==, 0);
		g_assert_cmpuint(v, ==, cases[i].v);
	}
}

static void test_parse_u64_invalid(void)
{
	static const struct {
		const char *s;
		int r;
	} cases[] = {
	        {"", -EINVAL},
	        {"-1", -EINVAL},
	        {"+1", -EINVAL},
	        {" 1", -EINVAL},
	        {"1 ", -EINVAL},
	        {"1\n", -EINVAL},
	        {"0x10", -EINVAL},
	        {"1.5", -EINVAL},
	        {"1e3", -EINVAL},
	        {"12a", -EINVAL},
	        {"\xd9\xa3", -EINVAL}, /* ARABIC-INDIC DIGIT THREE */
	        {"18446744073709551616", -ERANGE},
	        {"18446744073709551620", -ERANGE},
	        {"99999999999999999999999999", -ERANGE},
	        {"99999999999999999999999999x", -EINVAL},
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		unsigned long long v = 12345;

		g_test_message("parsing \"%s\"", cases[i].s);
		g_assert_cmpint(cl_parse_u64(cases[i].s, &v), ==, cases[i].r);
		g_assert_cmpuint(v, ==, 12345);
	}
	g_assert_cmpint(cl_parse_u64(NULL, NULL), ==, -EINVAL);
}

/* Replaces the file whole; on failure leaves neither a temporary nor a change. */
static void test_write_atomic(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("cloison-util-XXXXXX", &error);
	g_autofree char *file = NULL, *tmp = NULL, *sub = NULL, *data = NULL;
	int dfd;
	struct stat st;

	g_assert_no_error(error);
	file = g_build_filename(dir, "state", NULL);
	tmp = g_build_filename(dir, "state.new", NULL);
	sub = g_build_filename(dir, "busy", NULL);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	g_assert_cmpint(dfd, >=, 0);

	g_assert_cmpint(cl_write_file_atomic_at(dfd, "state", "one", 3, 0600), ==, 0);
	g_assert_cmpint(cl_write_file_atomic_at(dfd, "state", "second", 6, 0600), ==, 0);
	g_assert_true(g_file_get_contents(file, &data, NULL, NULL));
	g_assert_cmpstr(data, ==, "second");
	g_assert_cmpint(stat(file, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);
	g_assert_cmpint(access(tmp, F_OK), <, 0);

	/* A directory in the way: rename fails, the temporary is removed. */
	g_assert_cmpint(mkdir(sub, 0700), ==, 0);
	g_assert_cmpint(mkdirat(dfd, "busy/x", 0700), ==, 0);
	g_assert_cmpint(cl_write_file_atomic_at(dfd, "busy", "x", 1, 0600), <, 0);
	g_assert_cmpint(faccessat(dfd, "busy.new", F_OK, 0), <, 0);

	/* A symlink planted as the temporary is never followed. */
	g_assert_cmpint(symlinkat("state", dfd, "link.new"), ==, 0);
	g_assert_cmpint(cl_write_file_atomic_at(dfd, "link", "evil", 4, 0600), ==, -ELOOP);
	g_clear_pointer(&data, g_free);
	g_assert_true(g_file_get_contents(file, &data, NULL, NULL));
	g_assert_cmpstr(data, ==, "second");

	unlinkat(dfd, "link.new", 0);
	unlinkat(dfd, "busy/x", AT_REMOVEDIR);
	unlinkat(dfd, "busy", AT_REMOVEDIR);
	unlinkat(dfd, "state", 0);
	close(dfd);
	g_assert_cmpint(g_rmdir(dir), ==, 0);
}

static void test_options(void)
{
	char *argv[] = {(char *)"prog",
	                (char *)"--config",
	                (char *)"a.conf",
	                (char *)"--size=1x2",
	                (char *)"--configx",
	                (char *)"--bar",
	                NULL};
	int argc = 6, i;

	i = 1;
	g_assert_cmpstr(cl_option_value(argc, argv, &i, "--config"), ==, "a.conf");
	g_assert_cmpint(i, ==, 2); /* moved past the value */
	i = 3;
	g_assert_cmpstr(cl_option_value(argc, argv, &i, "--size"), ==, "1x2");
	g_assert_cmpint(i, ==, 3);
	g_assert_null(cl_option_value(argc, argv, &i, "--config"));
	i = 4; /* another option that only starts like --config */
	g_assert_null(cl_option_value(argc, argv, &i, "--config"));
	g_assert_false(cl_option_is(argv[4], "--config"));
	i = 5; /* the last argument: no value */
	g_assert_null(cl_option_value(argc, argv, &i, "--bar"));
	g_assert_cmpint(i, ==, 5);
	g_assert_true(cl_option_is(argv[1], "--config"));
	g_assert_true(cl_option_is(argv[3], "--size"));
	g_assert_false(cl_option_is(argv[3], "--siz"));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	signal(SIGPIPE, SIG_IGN);

	g_test_add_func("/util/close/negative", test_close_negative);
	g_test_add_func("/util/close/preserves-errno", test_close_preserves_errno);
	g_test_add_func("/util/close/cleanup", test_close_cleanup);
	g_test_add_func("/util/write-all/file", test_write_all_file);
	g_test_add_func("/util/write-all/errors", test_write_all_errors);
	g_test_add_func("/util/read-file/basic", test_read_basic);
	g_test_add_func("/util/read-file/binary", test_read_binary);
	g_test_add_func("/util/read-file/limit", test_read_limit);
	g_test_add_func("/util/read-file/fifo", test_read_fifo);
	g_test_add_func("/util/read-file/not-regular", test_read_not_regular);
	g_test_add_func("/util/read-file/proc", test_read_proc);
	g_test_add_func("/util/read-file/proc-large", test_read_proc_large);
	g_test_add_func("/util/parse-u64/valid", test_parse_u64_valid);
	g_test_add_func("/util/parse-u64/invalid", test_parse_u64_invalid);
	g_test_add_func("/util/write-atomic", test_write_atomic);
	g_test_add_func("/util/options", test_options);

	return g_test_run();
}
