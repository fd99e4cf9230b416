/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * common/listen.c: creating a cage socket without ever removing one that is
 * in use, and the checks of the sockets cloison-session passes to the
 * daemons (LISTEN_FDS).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib.h>

#include "config.h"
#include "listen.h"
#include "paths.h"
#include "util.h"

static const char config_text[] = "[level low]\nlabel=Low\ncolour=#00aa00\nrank=0\n\n"
                                  "[cage alpha]\nlevel=low\n\n"
                                  "[cage beta]\nlevel=low\n";

typedef struct {
	char *dir;
	char *run; /* $XDG_RUNTIME_DIR */
	ClConfig *config;
	int run_fd;     /* cloison/ */
	int cage_fd[2]; /* cloison/cages/alpha, …/beta */
} Fixture;

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if (remove(path) < 0)
		g_error("Cannot remove %s: %s", path, g_strerror(errno));
	return 0;
}

static void fixture_set_up(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	f->dir = g_dir_make_tmp("cloison-test-listen-XXXXXX", &error);
	g_assert_no_error(error);
	f->run = g_build_filename(f->dir, "run", NULL);
	g_assert_no_errno(mkdir(f->run, 0700));
	f->config = cl_config_load_data(config_text, strlen(config_text), "test.conf", &error);
	g_assert_no_error(error);
	f->run_fd = cl_paths_ensure_runtime(f->run, &error);
	g_assert_no_error(error);
	f->cage_fd[0] = cl_paths_ensure_cage_runtime(f->run_fd, "alpha", &error);
	g_assert_no_error(error);
	f->cage_fd[1] = cl_paths_ensure_cage_runtime(f->run_fd, "beta", &error);
	g_assert_no_error(error);
}

static void fixture_tear_down(Fixture *f, gconstpointer data)
{
	/* Passed sockets live at 3…: close whatever a test left there. */
	cl_close(f->cage_fd[0]);
	cl_close(f->cage_fd[1]);
	cl_close(f->run_fd);
	cl_config_free(f->config);
	g_assert_no_errno(nftw(f->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS));
	g_free(f->run);
	g_free(f->dir);
}

static char *sock_path(Fixture *f, const char *cage, const char *which)
{
	g_autoptr(GError) error = NULL;
	char *path = cl_paths_socket(f->run, cage, which, &error);

	g_assert_no_error(error);
	return path;
}

static int listen_at(Fixture *f, int cage, const char *which, GError **error)
{
	g_autofree char *path = sock_path(f, cage ? "beta" : "alpha", which);

	return cl_listen_unix_at(f->cage_fd[cage], which, path, "cloison-test", error);
}

static bool can_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
	return connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
}

static ino_t inode_of(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return 0;
	return st.st_ino;
}

/* A socket in use is refused and left alone; a stale one is replaced. */
static void test_listen_in_use(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *path = sock_path(f, "alpha", "transfer");
	_cleanup_close_ int first = listen_at(f, 0, "transfer", &error);
	_cleanup_close_ int second = -1, third = -1;
	struct stat st;
	ino_t ino;

	g_assert_no_error(error);
	g_assert_cmpint(first, >=, 0);
	g_assert_no_errno(lstat(path, &st));
	g_assert_true(S_ISSOCK(st.st_mode));
	g_assert_cmpint(st.st_mode & 07777, ==, 0600);
	g_assert_true(cl_listen_check_fd(first, path, NULL));
	ino = st.st_ino;

	second = listen_at(f, 0, "transfer", &error);
	g_assert_cmpint(second, ==, -1);
	g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_EXIST);
	g_assert_nonnull(strstr(error->message, path));
	g_assert_nonnull(strstr(error->message, "is another cloison-test running"));
	g_clear_error(&error);
	/* The first one's socket is still there and still reaches it. */
	g_assert_cmpuint(inode_of(path), ==, ino);
	g_assert_true(can_connect(path));

	/* Closed: stale, replaced by a new socket. */
	first = cl_close(first);
	g_assert_false(can_connect(path));
	third = listen_at(f, 0, "transfer", &error);
	g_assert_no_error(error);
	g_assert_cmpint(third, >=, 0);
	g_assert_true(can_connect(path));
}

/* Anything but a socket is never replaced. */
static void test_listen_not_socket(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *path = sock_path(f, "beta", "notify");
	_cleanup_close_ int fd = -1;

	g_assert_no_errno(symlink("/tmp", path));
	fd = listen_at(f, 1, "notify", &error);
	g_assert_cmpint(fd, ==, -1);
	g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_EXIST);
	g_assert_nonnull(strstr(error->message, "is not a socket"));
	g_assert_no_errno(unlink(path));
}

/* Put fd at CL_LISTEN_FDS_START + index, as sd_listen_fds() hands them over. */
static void pass_at(int fd, int index)
{
	int target = CL_LISTEN_FDS_START + index;

	if (fd != target) {
		g_assert_cmpint(dup2(fd, target), ==, target);
		close(fd);
	}
}

static void move_high(int *fd)
{
	int high = fcntl(*fd, F_DUPFD_CLOEXEC, 100);

	g_assert_cmpint(high, >=, 100);
	close(*fd);
	*fd = high;
}

/*
 * The fixture's directory fds sit at 3…; move them out of the way of the
 * passed sockets.
 */
static void make_room(Fixture *f)
{
	move_high(&f->run_fd);
	move_high(&f->cage_fd[0]);
	move_high(&f->cage_fd[1]);
}

static void clear_passed(int n)
{
	for (int i = 0; i < n; i++)
		close(CL_LISTEN_FDS_START + i);
}

static void expect_refused(Fixture *f, int n, char **names, const char *which, const char *what)
{
	g_autoptr(GError) error = NULL;
	g_autofree int *fds = cl_listen_fds_for_cages(f->config, f->run, which, n, names, &error);

	g_assert_null(fds);
	g_assert_nonnull(error);
	if (!strstr(error->message, what))
		g_error("expected “%s” in “%s”", what, error->message);
	g_test_message("refused: %s", error->message);
}

static void test_passed_valid(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree int *fds = NULL;
	char *names[] = {"beta", "alpha", NULL};
	int a, b;

	make_room(f);
	b = listen_at(f, 1, "notify", &error);
	g_assert_no_error(error);
	pass_at(b, 0);
	a = listen_at(f, 0, "notify", &error);
	g_assert_no_error(error);
	pass_at(a, 1);
	/* Blocking and inheritable, as a parent passes them. */
	fcntl(3, F_SETFL, 0);
	fcntl(3, F_SETFD, 0);

	fds = cl_listen_fds_for_cages(f->config, f->run, "notify", 2, names, &error);
	g_assert_no_error(error);
	/* In the configuration's order: alpha, beta. */
	g_assert_cmpint(fds[0], ==, 4);
	g_assert_cmpint(fds[1], ==, 3);
	g_assert_true(fcntl(3, F_GETFL) & O_NONBLOCK);
	g_assert_true(fcntl(3, F_GETFD) & FD_CLOEXEC);
	/* The transfer daemon must not take notify sockets. */
	expect_refused(f, 2, names, "transfer", "is bound to");
	clear_passed(2);
}

static void test_passed_invalid(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	char *ab[] = {"alpha", "beta", NULL};
	char *aa[] = {"alpha", "alpha", NULL};
	char *ag[] = {"alpha", "gamma", NULL};
	char *a[] = {"alpha", NULL};
	char *abc[] = {"alpha", "beta", "beta", NULL};
	char *anon[] = {"alpha", "", NULL};
	int pair[2];
	int fd;

	make_room(f);
	pass_at(listen_at(f, 0, "transfer", &error), 0);
	g_assert_no_error(error);
	pass_at(listen_at(f, 1, "transfer", &error), 1);
	g_assert_no_error(error);

	expect_refused(f, 2, aa, "transfer", "two sockets were passed for cage alpha");
	expect_refused(f, 2, ag, "transfer", "“gamma”, which is not a configured cage");
	expect_refused(f, 1, a, "transfer", "no socket was passed for cage beta");
	expect_refused(f, 2, anon, "transfer", "without a name");
	expect_refused(f, 2, NULL, "transfer", "without a name");

	/* A third one, whatever it is, is one too many (here: beta twice). */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	pass_at(fd, 2);
	expect_refused(f, 3, abc, "transfer", "two sockets were passed for cage beta");
	close(CL_LISTEN_FDS_START + 2);

	/* Not a socket. */
	close(CL_LISTEN_FDS_START + 1);
	pass_at(open("/dev/null", O_RDONLY), 1);
	expect_refused(f, 2, ab, "transfer", "file descriptor 4 is not a socket");
	close(CL_LISTEN_FDS_START + 1);

	/* A datagram socket. */
	pass_at(socket(AF_UNIX, SOCK_DGRAM, 0), 1);
	expect_refused(f, 2, ab, "transfer", "file descriptor 4 is not an AF_UNIX stream socket");
	close(CL_LISTEN_FDS_START + 1);

	/* An IP socket. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd >= 0) {
		pass_at(fd, 1);
		expect_refused(f, 2, ab, "transfer",
		               "file descriptor 4 is not an AF_UNIX stream socket");
		close(CL_LISTEN_FDS_START + 1);
	}

	/* A connected stream socket, not a listening one. */
	g_assert_no_errno(socketpair(AF_UNIX, SOCK_STREAM, 0, pair));
	pass_at(pair[0], 1);
	expect_refused(f, 2, ab, "transfer", "file descriptor 4 is not a listening socket");
	close(pair[1]);
	close(CL_LISTEN_FDS_START + 1);

	/* Listening, but alpha's socket named beta. */
	fd = fcntl(CL_LISTEN_FDS_START, F_DUPFD, 0);
	pass_at(fd, 1);
	expect_refused(f, 2, ab, "transfer", "the socket passed for cage beta");
	expect_refused(f, 2, ab, "transfer", "is bound to");
	clear_passed(2);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/listen/in-use", Fixture, NULL, fixture_set_up, test_listen_in_use,
	           fixture_tear_down);
	g_test_add("/listen/not-a-socket", Fixture, NULL, fixture_set_up, test_listen_not_socket,
	           fixture_tear_down);
	g_test_add("/listen/passed-valid", Fixture, NULL, fixture_set_up, test_passed_valid,
	           fixture_tear_down);
	g_test_add("/listen/passed-invalid", Fixture, NULL, fixture_set_up, test_passed_invalid,
	           fixture_tear_down);
	return g_test_run();
}
