/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Drives cloison-cage-init outside any sandbox through its control protocol
 * (cages/init-protocol.h): a SOCK_SEQPACKET socketpair end as its fd 3, and a
 * session bus socket in a private temporary directory.
 *
 * The test process is a child subreaper, so that anything the init leaves
 * behind is re-parented here, found by a /proc scan, reported and killed by
 * pid.  Assertions are non-fatal: a failing test still runs its teardown,
 * which kills the init and every leftover process by pid and removes the
 * temporary directory.
 *
 * Environment: CLOISON_CAGE_INIT_BIN (default: cages/cloison-cage-init under
 * CLOISON_BUILD_ROOT).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "init-protocol.h"

#define TIMEOUT_MS  10000
#define DBUS_DAEMON CL_CAGE_DBUS_DAEMON
#define DBUS_SEND   "/usr/bin/dbus-send"

static char *init_bin;
static int stderr_copy; /* the init's stdout (GLib 2.74 mishandles stdout_fd 2) */

typedef struct {
	char *dir;
	char *bus_path;
	const char *notify_forward; /* --notify-forward, or NULL */
	int ctl;                    /* our end of the control socket */
	GPid pid;                   /* the init (or unshare, for the pid 1 tests) */
	gboolean running;
	int status; /* wait status once reaped */
} Fixture;

typedef struct {
	uint32_t type;
	uint32_t length;
	uint32_t id;
	int32_t value;
} Msg;

/* ---- processes --------------------------------------------------------- */

/* The parent pid and command name of PID from /proc, or FALSE. */
static gboolean proc_stat(pid_t pid, pid_t *ppid, char *comm, size_t comm_size)
{
	char path[64], buf[1024];
	const char *open_paren, *close_paren;
	int fd, ppid_v;
	ssize_t n;

	g_snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return FALSE;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return FALSE;
	buf[n] = '\0';
	open_paren = strchr(buf, '(');
	close_paren = strrchr(buf, ')');
	if (!open_paren || !close_paren || close_paren < open_paren)
		return FALSE;
	if (sscanf(close_paren + 1, " %*c %d", &ppid_v) != 1)
		return FALSE;
	*ppid = ppid_v;
	if (comm) {
		size_t len = (size_t)(close_paren - open_paren - 1);

		if (len >= comm_size)
			len = comm_size - 1;
		memcpy(comm, open_paren + 1, len);
		comm[len] = '\0';
	}
	return TRUE;
}

/* Children of PARENT (named NAME, if given), up to max of them. */
static int find_children(pid_t parent, const char *name, pid_t *out, int max)
{
	GDir *dir = g_dir_open("/proc", 0, NULL);
	const char *e;
	int n = 0;

	if (!dir)
		return 0;
	while ((e = g_dir_read_name(dir))) {
		char comm[64];
		gint64 v;
		pid_t ppid;

		if (!g_ascii_string_to_signed(e, 10, 1, G_MAXINT, &v, NULL))
			continue;
		if (!proc_stat((pid_t)v, &ppid, comm, sizeof(comm)) || ppid != parent)
			continue;
		if (name && strcmp(comm, name) != 0)
			continue;
		if (n < max)
			out[n] = (pid_t)v;
		n++;
	}
	g_dir_close(dir);
	return n;
}

/* Checks that FD (a pipe's read end) reaches EOF within TIMEOUT_MS, without blocking. */
static void assert_eof_soon(int fd, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char c;

	if (poll(&p, 1, timeout_ms) != 1) {
		g_test_fail_printf("no EOF within %d ms: a write end is still open", timeout_ms);
		return;
	}
	g_assert_cmpint(read(fd, &c, 1), ==, 0);
}

/* TRUE when PID no longer exists (not even as a zombie). */
static gboolean pid_gone(pid_t pid)
{
	return pid > 0 && kill(pid, 0) < 0 && errno == ESRCH;
}

static gboolean wait_file(const char *path)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)TIMEOUT_MS * 1000;

	while (!g_file_test(path, G_FILE_TEST_EXISTS)) {
		if (g_get_monotonic_time() > deadline) {
			g_test_fail_printf("%s did not appear", path);
			return FALSE;
		}
		g_usleep(2000);
	}
	return TRUE;
}

/*
 * Kills by pid, and reaps, every process re-parented to this subreaper
 * (except EXCEPT); returns how many there were.
 */
static int kill_orphans(pid_t except)
{
	int total = 0, round, n, i;

	for (round = 0; round < 50; round++) {
		pid_t pids[256];
		int killed = 0;

		n = find_children(getpid(), NULL, pids, G_N_ELEMENTS(pids));
		for (i = 0; i < n && i < (int)G_N_ELEMENTS(pids); i++) {
			if (pids[i] == except)
				continue;
			kill(pids[i], SIGKILL);
			waitpid(pids[i], NULL, 0);
			killed++;
		}
		total += killed;
		if (killed == 0)
			break;
	}
	return total;
}

/* Waits up to TIMEOUT_MS for the init to exit; its wait status in f->status. */
static gboolean wait_init(Fixture *f, int timeout_ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	pid_t r;

	if (!f->running)
		return TRUE;
	for (;;) {
		r = waitpid(f->pid, &f->status, WNOHANG);
		if (r == f->pid) {
			f->running = FALSE;
			return TRUE;
		}
		if (r < 0 || g_get_monotonic_time() > deadline)
			return FALSE;
		g_usleep(2000);
	}
}

/* The exit code of the init (-1 if it did not exit in time, 1000+sig if killed). */
static int init_exit_code(Fixture *f, int timeout_ms)
{
	if (!wait_init(f, timeout_ms)) {
		g_test_fail_printf("init still running after %d ms", timeout_ms);
		return -1;
	}
	if (WIFSIGNALED(f->status))
		return 1000 + WTERMSIG(f->status);
	return WEXITSTATUS(f->status);
}

static void assert_no_orphans(void)
{
	gint64 deadline = g_get_monotonic_time() + 1000 * 1000;
	int n;

	/*
	 * A grandchild the init signalled may still be exiting (or be a zombie
	 * reparented to us) when the init is gone: reap what dies within 1 s;
	 * only what is still alive then was left behind.
	 */
	for (;;) {
		pid_t pids[256];
		int alive = 0;

		n = find_children(getpid(), NULL, pids, G_N_ELEMENTS(pids));
		for (int i = 0; i < n && i < (int)G_N_ELEMENTS(pids); i++)
			if (waitpid(pids[i], NULL, WNOHANG) == 0)
				alive++;
		if (alive == 0 || g_get_monotonic_time() > deadline)
			break;
		g_usleep(10000);
	}
	n = kill_orphans(0);

	if (n)
		g_test_fail_printf("%d process(es) left behind by the init", n);
}

static void assert_gone(pid_t pid)
{
	if (!pid_gone(pid)) {
		g_test_fail_printf("process %d still exists", (int)pid);
		kill(pid, SIGKILL);
	}
}

/* Runs ARGV with ENVP; returns its wait status or -1 on timeout (then killed). */
static int run_cmd(const char *const *argv, char **envp, int timeout_ms, char **out)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	GString *buf = g_string_new(NULL);
	GError *error = NULL;
	GPid pid;
	int out_fd, status = -1;
	gboolean eof = FALSE;

	if (!g_spawn_async_with_pipes(NULL, (char **)argv, envp,
	                              G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL |
	                                      G_SPAWN_SEARCH_PATH,
	                              NULL, NULL, &pid, NULL, &out_fd, NULL, &error)) {
		g_test_fail_printf("cannot run %s: %s", argv[0], error->message);
		g_error_free(error);
		g_string_free(buf, TRUE);
		return -1;
	}
	while (!eof && g_get_monotonic_time() < deadline) {
		struct pollfd p = {.fd = out_fd, .events = POLLIN};
		char chunk[4096];
		ssize_t n;

		if (poll(&p, 1, 50) <= 0)
			continue;
		n = read(out_fd, chunk, sizeof(chunk));
		if (n <= 0)
			eof = TRUE;
		else
			g_string_append_len(buf, chunk, n);
	}
	close(out_fd);
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (g_get_monotonic_time() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			status = -1;
			break;
		}
		g_usleep(2000);
	}
	if (out)
		*out = g_string_free(buf, FALSE);
	else
		g_string_free(buf, TRUE);
	return status;
}

/* ---- fixture ----------------------------------------------------------- */

static void fixture_set_up(Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	GError *error = NULL;

	f->dir = g_dir_make_tmp("cloison-cage-init-XXXXXX", &error);
	g_assert_no_error(error);
	f->bus_path = g_build_filename(f->dir, "bus", NULL);
	f->ctl = -1;
}

static void fixture_tear_down(Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	const char *name;
	GDir *dir;

	if (f->ctl >= 0)
		close(f->ctl);
	if (f->running) {
		kill(f->pid, SIGKILL);
		waitpid(f->pid, NULL, 0);
		f->running = FALSE;
	}
	kill_orphans(0);
	dir = g_dir_open(f->dir, 0, NULL);
	while (dir && (name = g_dir_read_name(dir))) {
		char *path = g_build_filename(f->dir, name, NULL);

		g_unlink(path);
		g_free(path);
	}
	if (dir)
		g_dir_close(dir);
	{
		char *svc = g_build_filename(f->dir, "dbus-1", "services",
		                             "org.freedesktop.Notifications.service", NULL);
		char *services = g_path_get_dirname(svc), *dbus1 = g_path_get_dirname(services);

		g_unlink(svc);
		g_rmdir(services);
		g_rmdir(dbus1);
		g_free(svc);
		g_free(services);
		g_free(dbus1);
	}
	g_rmdir(f->dir);
	g_free(f->bus_path);
	g_free(f->dir);
}

/* A descriptor the init inherits without close-on-exec: its children must not get it. */
#define STRAY_FD 9

static void close_stdin(gpointer data G_GNUC_UNUSED)
{
	close(STDIN_FILENO);
}

/*
 * Starts the init (under PREFIX, e.g. unshare) with CMD as main command;
 * SETUP runs in its process before exec.
 */
static gboolean start_init_full(Fixture *f, const char *const *prefix, const char *const *cmd,
                                GSpawnChildSetupFunc setup)
{
	GPtrArray *argv = g_ptr_array_new();
	GError *error = NULL;
	int sv[2], source[2], target[2] = {CL_INIT_CONTROL_FD, STRAY_FD};
	int stdin_fd, one = 1;
	gboolean ok;

	for (; prefix && *prefix; prefix++)
		g_ptr_array_add(argv, (char *)*prefix);
	g_ptr_array_add(argv, init_bin);
	g_ptr_array_add(argv, (char *)"--bus-socket");
	g_ptr_array_add(argv, f->bus_path);
	if (f->notify_forward) {
		g_ptr_array_add(argv, (char *)"--notify-forward");
		g_ptr_array_add(argv, (char *)f->notify_forward);
	}
	if (cmd) {
		g_ptr_array_add(argv, (char *)"--");
		for (; *cmd; cmd++)
			g_ptr_array_add(argv, (char *)*cmd);
	}
	g_ptr_array_add(argv, NULL);

	/* Like the launcher: SO_PASSCRED on our end (the init must not see credentials). */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 ||
	    setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
		g_error("socketpair: %s", g_strerror(errno));
	source[0] = sv[1];
	source[1] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	/* Not /dev/null, so that EXEC children show they do not inherit it. */
	stdin_fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	/* The init's stdout goes to our stderr: TAP owns our stdout. */
	ok = g_spawn_async_with_pipes_and_fds(NULL, (const char *const *)argv->pdata, NULL,
	                                      G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH,
	                                      setup, NULL, stdin_fd, stderr_copy, -1, source,
	                                      target, 2, &f->pid, NULL, NULL, NULL, &error);
	close(sv[1]);
	close(source[1]);
	close(stdin_fd);
	g_ptr_array_free(argv, TRUE);
	if (!ok) {
		g_test_fail_printf("cannot start the init: %s", error->message);
		g_error_free(error);
		close(sv[0]);
		return FALSE;
	}
	f->running = TRUE;
	f->ctl = sv[0];
	return TRUE;
}

static gboolean start_init(Fixture *f, const char *const *cmd)
{
	return start_init_full(f, NULL, cmd, NULL);
}

/* ---- protocol ---------------------------------------------------------- */

/* Next message, or FALSE on timeout or end of stream (*eof set). */
static gboolean recv_msg(Fixture *f, int timeout_ms, Msg *m, gboolean *eof)
{
	unsigned char buf[256];
	struct pollfd p = {.fd = f->ctl, .events = POLLIN};
	ClInitHeader h;
	ClInitStatus s;
	ssize_t n;

	memset(m, 0, sizeof(*m));
	if (eof)
		*eof = FALSE;
	if (poll(&p, 1, timeout_ms) <= 0)
		return FALSE;
	n = recv(f->ctl, buf, sizeof(buf), MSG_DONTWAIT);
	if (n <= 0) {
		if (eof)
			*eof = n == 0 || errno == ECONNRESET;
		return FALSE;
	}
	if ((size_t)n < sizeof(h)) {
		g_test_fail_printf("short message from the init (%zd bytes)", n);
		return FALSE;
	}
	memcpy(&h, buf, sizeof(h));
	if ((size_t)n != sizeof(h) + h.length ||
	    (h.length != 0 && h.length != sizeof(ClInitStatus))) {
		g_test_fail_printf("malformed message from the init (%zd bytes)", n);
		return FALSE;
	}
	m->type = h.type;
	m->length = h.length;
	if (h.length) {
		memcpy(&s, buf + sizeof(h), sizeof(s));
		m->id = s.id;
		m->value = s.value;
	}
	return TRUE;
}

/* Waits for a message of TYPE for ID; fails the test otherwise. */
static gboolean expect_msg(Fixture *f, uint32_t type, uint32_t id, int32_t *value)
{
	Msg m;

	if (!recv_msg(f, TIMEOUT_MS, &m, NULL)) {
		g_test_fail_printf("no message (wanted type %u id %u)", type, id);
		return FALSE;
	}
	if (m.type != type || m.id != id) {
		g_test_fail_printf("got type %u id %u value %d, wanted type %u id %u", m.type, m.id,
		                   m.value, type, id);
		return FALSE;
	}
	if (value)
		*value = m.value;
	return TRUE;
}

static gboolean expect_ready(Fixture *f)
{
	return expect_msg(f, CL_INIT_READY, 0, NULL);
}

/* Waits until the init closes the control socket (skipping messages). */
static gboolean expect_eof(Fixture *f)
{
	gboolean eof;
	Msg m;
	int i;

	for (i = 0; i < 4096; i++) {
		if (recv_msg(f, TIMEOUT_MS, &m, &eof))
			continue;
		if (!eof)
			g_test_fail_printf("the init did not close the control socket");
		return eof;
	}
	return FALSE;
}

static void send_datagram(Fixture *f, const void *buf, size_t len, const int *fds, int nfds)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(8 * sizeof(int))];
	} cbuf;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cm;

	g_assert_cmpint(nfds, <=, 8);
	if (nfds > 0) {
		memset(&cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, (size_t)nfds * sizeof(int));
	}
	if (sendmsg(f->ctl, &msg, MSG_NOSIGNAL) != (ssize_t)len)
		g_test_fail_printf("sendmsg: %s", g_strerror(errno));
}

/* An EXEC datagram: header, ClInitExec{id, flags, argc}, then STRINGS (bytes). */
static GByteArray *build_exec(uint32_t id, uint32_t flags, uint32_t argc, const void *strings,
                              size_t len)
{
	GByteArray *b = g_byte_array_new();
	ClInitHeader h = {.type = CL_INIT_EXEC, .length = (uint32_t)(sizeof(ClInitExec) + len)};
	ClInitExec e = {.id = id, .flags = flags, .argc = argc};

	g_byte_array_append(b, (const guint8 *)&h, sizeof(h));
	g_byte_array_append(b, (const guint8 *)&e, sizeof(e));
	g_byte_array_append(b, strings, (guint)len);
	return b;
}

static void send_exec(Fixture *f, uint32_t id, const char *const *argv, const int *stdio)
{
	GByteArray *s = g_byte_array_new();
	GByteArray *b;
	uint32_t argc = 0;

	for (; argv[argc]; argc++)
		g_byte_array_append(s, (const guint8 *)argv[argc], (guint)strlen(argv[argc]) + 1);
	b = build_exec(id, stdio ? CL_INIT_EXEC_STDIO : 0, argc, s->data, s->len);
	send_datagram(f, b->data, b->len, stdio, stdio ? 3 : 0);
	g_byte_array_free(b, TRUE);
	g_byte_array_free(s, TRUE);
}

static void send_stop(Fixture *f)
{
	ClInitHeader h = {.type = CL_INIT_STOP, .length = 0};

	send_datagram(f, &h, sizeof(h), NULL, 0);
}

/* EXEC, then STARTED: returns the child's pid or 0. */
static pid_t exec_started(Fixture *f, uint32_t id, const char *const *argv, const int *stdio)
{
	int32_t pid = 0;

	send_exec(f, id, argv, stdio);
	if (!expect_msg(f, CL_INIT_STARTED, id, &pid))
		return 0;
	g_assert_cmpint(pid, >, 1);
	return pid;
}

/* STARTED then EXITED for ID: returns the wait status, or -1. */
static int expect_started_exited(Fixture *f, uint32_t id)
{
	int32_t v;

	if (!expect_msg(f, CL_INIT_STARTED, id, &v))
		return -1;
	if (!expect_msg(f, CL_INIT_EXITED, id, &v))
		return -1;
	return v;
}

static const char *const sleeper[] = {"sleep", "1000", NULL};
/* Ignores SIGTERM (and so does the sleep it becomes). */
static const char *const stubborn[] = {"sh", "-c", "trap '' TERM; exec sleep 1000", NULL};

/* EXEC of stubborn; returns its pid once it ignores SIGTERM (it is sleep), or 0. */
static pid_t exec_stubborn(Fixture *f, uint32_t id)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)TIMEOUT_MS * 1000;
	pid_t pid = exec_started(f, id, stubborn, NULL);
	pid_t ppid;
	char comm[64] = "";

	while (pid > 0 && (!proc_stat(pid, &ppid, comm, sizeof(comm)) || strcmp(comm, "sleep"))) {
		if (g_get_monotonic_time() > deadline) {
			g_test_fail_printf("%d did not become sleep", (int)pid);
			return 0;
		}
		g_usleep(1000);
	}
	return pid;
}

/* ---- tests: basics and EXEC --------------------------------------------- */

/* Every descriptor the init opens itself (and its control socket) is close-on-exec. */
static void assert_init_fds_cloexec(pid_t pid)
{
	char *dirname = g_strdup_printf("/proc/%d/fdinfo", (int)pid);
	GDir *dir = g_dir_open(dirname, 0, NULL);
	const char *e;
	int seen = 0;

	while (dir && (e = g_dir_read_name(dir))) {
		char *path = g_build_filename(dirname, e, NULL);
		char *info = NULL;
		const char *flags;
		guint64 fd;

		if (g_ascii_string_to_unsigned(e, 10, 0, G_MAXINT, &fd, NULL) && fd >= 3 &&
		    fd != STRAY_FD && g_file_get_contents(path, &info, NULL, NULL)) {
			flags = strstr(info, "flags:");
			if (!flags || !(g_ascii_strtoull(flags + 6, NULL, 8) & O_CLOEXEC))
				g_test_fail_printf("fd %u of the init is not close-on-exec",
				                   (unsigned)fd);
			seen++;
		}
		g_free(info);
		g_free(path);
	}
	if (dir)
		g_dir_close(dir);
	/* control socket, signalfd, bus socket */
	g_assert_cmpint(seen, >=, 3);
	g_free(dirname);
}

static void test_ready(Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	if (!start_init(f, NULL) || !expect_ready(f))
		return;
	assert_init_fds_cloexec(f->pid);
	send_stop(f);
	g_assert_cmpint(init_exit_code(f, TIMEOUT_MS), ==, 0);
	assert_no_orphans();
}

static void test_exec_exit_status(Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	const char *const argv[] = {"sh", "-c", "exit 3", NULL};
	int status;

	if (!start_init(f, NULL) || !expect_ready(f))
		return;
	send_exec(f, 42, argv, NULL);
	status = expect_started_exited(f, 42);
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 3);
	/* An id is free again once its EXITED came. */
	send_exec(f, 42, argv, NULL);
	status = expect_started_exited(f, 42);
	g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 3);
	send_stop(f);
	g_assert_cmpint(init_exit_code(f, TIMEOUT_MS), ==, 0);
	assert_no_orphans();
}

static void test_exec_stdio_fds(Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	const char *const argv[] = {"sh", "-c", "echo out; echo err >&2; read x || echo eof", NULL};
	const char *want = "out\nerr\neof\n";
	GString *got = g_string_new(NULL);
	int p[2], stdio[3], status;
	gboolean eof = FALSE;

	if (!start_init(f, NULL) || !expect_ready(f))
		goto out;
	g_assert_no_errno(pipe2(p, O_CLOEXEC));
	stdio[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	stdio[1] = p[1];
	stdio[2] = p[1];
	send_exec(f, 7, argv, stdio);
	close(stdio[0]);
	close(p[1]);
	status = expect_started_exited(f, 7);
	g_assert_true(WIFEXITED(status));
	/* EOF only comes if the init closed its copies of the descriptors. */
	while (!eof) {
		struct pollfd pfd = {.fd = p[0], .events = POLLIN};
		char buf[256];
		ssize_t n;

		if (poll(&pfd, 1, TIMEOUT_MS) <= 0) {
			g_test_fail_printf("no EOF on the child's stdout");
			break;
		}
		n = read(p[0], buf, sizeof(buf));
		if (n <= 0)
			eof = TRUE;
		else
			g_string_append_len(got, buf, n);
	}
	close(p[0]);
	g_assert_cmpstr(got->str, ==, want);
	send_stop(f);
	g_assert_cmpint(init_exit_code(f, TIMEOUT_MS), ==, 0);
	assert_no_orphans();
out:
	g_string_free(got, TRUE);
}

/* Without STDIO: stdin is /dev/null, stdout the init's; and the child's setup. */
static void test_exec_default_stdio(Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	char *script;
	const char *argv[] = {"sh", "-c", NULL, NULL};
	int status;

	if (!start_init(f, NULL) || !expect_ready(f))
		return;
	/*
	 * The signal state first, with builtins only: a shell blocks every
	 * signal around each fork or vfork it makes, so once it has started one
	 * (a command substitution, grep) its own mask is no longer the one the
	 * init gave it, and a child reading /proc/$$/status may see that.
	 */
	script = g_strdup_printf(
	        "blk=; ign=; "
	        "while read -r key value; do case $key in "
	        "SigBlk:) blk=$value;; SigIgn:) ign=$value;; esac; done < /proc/$$/status; "
	        "case $blk in '' | *[!0]*) exit 5;; esac; "
	        "case $ign in '' | *[!0]*) exit 6;; esac; "
	        "[ \"$(readlink /proc/$$/fd/0)\" = /dev/null ] || exit 1; "
	        "[ \"$(readlink /proc/$$/fd/1)\" = \"$(readlink /proc/%d/fd/1)\" ] || exit 2; "
	        "for fd in 3 4 5 6 7 8 9 10 11 12; do [ -e /proc/$$/fd/$fd ] && exit 3; done; "
	        "read -r pid comm state ppid pgrp sid rest < /proc/$$/stat; "
	        "[ \"$sid\" = $$ ] && [ \"$pgrp\" = $$ ] || exit 4; "
	        "exit 0",
	        (int)f->pid);
	argv[2] = script;
	send_exec(f, 1, argv, NULL);
	status = expect_started_exited(f, 1);
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
	g_free(script);
	send_stop(f);
	g_assert_cmpint(init_exit_code(f, TIMEOUT_MS), ==, 0);
	assert_no_orphans();
}

static void test_exec_missing(Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	const char *const missing[] = {"cloison-test-no-such-program", NULL};
	const char *const missing_path[] = {"/nonexistent/program", "arg", NULL};
	const char *const directory[] = {"/", NULL};
	const char *const ok[] = {"true", NULL};
	int32_t err;
	int status;

	if (!start_init(f, NULL) || !expect_ready(f))
		return;
	send_exec(f, 1, missing, NULL);
	if (expect_msg(f, CL_INIT_FAILED, 1, &err))
		g_assert_cmpint(err, ==, ENOENT);
	send_exec(f, 2, missing_path, NULL);
	if (expect_msg(f, CL_INIT_FAILED, 2, &err))
		g_assert_cmpint(err, ==, ENOENT);
	send_exec(f, 3, directory, NULL);
	if (expect_msg(f, CL_INIT_FAILED, 3, &err))
		g_assert_cmpint(err, ==, EACCES);
	/* A failed id may be used again at once, and no EXITED comes for it. */
	send_exec(f, 1, ok, NULL);
	status = expect_started_exited(f, 1);
	g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	send_stop(f);
	g_assert_cmpint(init_exit_code(f, TIMEOUT_MS), ==, 0);
	assert_no_orphans();
}

/* A file without a #! line runs through /bin/sh, with its arguments (as glibc's execvp). */
static void test_exec_no_shebang(Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("cloison-test-init-XXXXXX", &error);
	g_autofree char *script = NULL;
	const char *argv[] = {NULL, "6", NULL};
	int status;

	g_assert_no_error(error);
	script = g_build_filename(dir, "script", NULL);
	g_assert_true(g_file_set_contents(script, "exit \"$1\"\n", -1, NULL));
	g_assert_no_errno(chmod(script, 0755));
	argv[0] = script;
	if (start_init(f, NULL) && expect_ready(f)) {
		send_exec(f, 9, argv, NULL);
		status = expect_started_exited(f, 9);
		g_assert_true(WIFEXITED(status));
		g_assert_cmpint(WEXITSTATUS(status), ==, 6);
		send_stop(f);
		g_assert_cmpint(init_exit_code(f, TIMEOUT_MS), ==, 0);
		assert_no_orphans();
	}
	g_assert_no_errno(unlink(script));
	g_assert_no_errno(rmdir(dir));
}

/* 1024 running children at most; the 1025th gets FAILED EAGAIN, fds closed. */
static void test_exec_limit(Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	const int n = 1024;
	pid_t *pids = g_new0(pid_t, n);
	int p[2], stdio[3], i;
	int32_t err;

	if (!start_init(f, NULL) || !expect_ready(f))
		goto out;
	for (i = 0; i < n; i++) {
		pids[i] = exec_started(f, (uint32_t)i + 1, sleeper, NULL);
		if (!pids[i])
			goto out;
	}
	g_assert_no_errno(pipe2(p, O_CLOEXEC));
	stdio[0] = stdio[1] = stdio[2] = p[1];
	send_exec(f, 5000, sleeper, stdio);
	close(p[1]);
	if (expect_msg(f, CL_INIT_FAILED, 5000, &err))
		g_assert_cmpint(err, ==, EAGAIN);
	assert_eof_soon(p[0], TIMEOUT_MS);
	close(p[0]);
	send_stop(f);
	g_assert_cmpint(init_exit_code(f, 3 * TIMEOUT_MS), ==, 0);
	for (i = 0; i < n; i++)
		assert_gone(pids[i]);
	assert_no_orphans();
out:
	g_free(pids);
}

/* Started with fd 0 closed, the init still gives its children a stdin. */
static void test_closed_stdin(Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	const char *const cmd[] = {"sh", "-c", "[ \"$(readlink /proc/$$/fd/0)\" = /dev/null ]",
	                           NULL};
	int32_t status;

	if (!start_init_full(f, NULL, cmd, close_stdin) || !expect_ready(f) ||
	    !expect_msg(f, CL_INIT_STARTED, 0, NULL))
		return;
	if (expect_msg(f, CL_INIT_EXITED, 0, &status))
		g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	g_assert_cmpint(init_exit_code(f, TIMEOUT_MS), ==, 0);
	assert_no_orphans();
}

/*
 * Not dumpable: /proc/PID/fd of a non-dumpable process belongs to root, not
 * to its user.  Needs root, to run the init as another user.
 */
static void test_not_dumpable(Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	const char *const setpriv[] = {"setpriv", "--reuid=65534", "--regid=65534",
	                               "--clear-groups", NULL};
	char *path;
	struct stat sb;

	if (getuid() != 0) {
		g_test_skip("needs root (runs the init as uid 65534)");
		return;
	}
	path = g_find_program_in_path("setpriv");
	g_free(path);
	if (!path) {
		g_test_skip("setpriv missing");
		return;
	}
	g_assert_no_errno(chmod(f->dir, 0777));
	if (!start_init_full(f, setpriv, NULL, NULL) || !expect_ready(f))
		return;
	path = g_strdup_printf("/proc/%d", (int)f->pid);
	g_assert_no_errno(stat(path, &sb));
	g_assert_cmpuint(sb.st_uid, ==, 65534); /* it is the right process */
	g_free(path);
	path = g_strdup_printf("/proc/%d/fd", (int)f->pid);
	g_assert_no_errno(stat(path, &sb));
	g_assert_cmpuint(sb.st_uid, ==, 0);
	g_free(path);
	send_stop(f);
	g_assert_cmpint(init_exit_code(f, TIMEOUT_MS), ==, 0);
	assert_no_orphans();
}

/* ---- tests: main command ------------------------------------------------ */

static void test_main_exit_code(Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	const char *const cmd[] = {"sh", "-c", "exit 7", NULL};
	int32_t pid, status;

	if (!start_init(f, cmd) || !expect_ready(f))
		return;
	if (expect_msg(f, CL_INIT_STARTED, 0, &pid))
		g_assert_cmpint(pid, >, 1);
	if (expect_msg(f, CL_INIT_EXITED, 0, &status))
		g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 7);
	g_assert_cmpint(init_exit_code(f, TIMEOUT_MS), ==, 7);
	assert_no_orphans();
}

static void test_main_signal(Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	const char *const cmd[] = {"sh", "-c", "kill -KILL $$", NULL};
	int32_t status;

	if (!start_init(f, cmd) || !expect_ready(f) || !expect_msg(f, CL_INIT_STARTED, 0, NULL))
		return;
	if (expect_msg(f, CL_INIT_EXITED, 0, &status))
		g_assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	g_assert_cmpint(init_exit_code(f, TIMEOUT_MS), ==, 128 + SIGKILL);
	assert_no_orphans();
}

static void test_main_exec_failure(Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	const char *const missing[] = {"cloison-test-no-such-program", NULL};
	const char *const directory[] = {"/", NULL};
	int32_t err;

	if (!start_init(f, missing) || !expect_ready(f))
		return;
	if (expect_msg(f, CL_INIT_FAILED, 0, &err))
		g_assert_cmpint(err, ==, ENOENT);
	g_assert_cmpint(init_exit_code(f, TIMEOUT_MS), ==, 127);
	close(f->ctl);
	f->ctl = -1;

	if (!start_init(f, directory) || !expect_ready(f))
		return;
	if (expect_msg(f, CL_INIT_FAILED, 0, &err))
		g_assert_cmpint(err, ==, EACCES);
	g_assert_cmpint(init_exit_code(f, TIMEOUT_MS), ==, 126);
	assert_no_orphans();
}

/* When the main command exits, the others get SIGTERM, then SIGKILL after 2 s. */
static void test_main_stops_others(Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	char *go = g_build_filename(f->dir, "go", NULL);
	char *script = g_strdup_printf("while [ ! -e '%s' ]; do sleep 0.01; done; exit 5", go);
	const char *const cmd[] = {"sh", "-c", script, NULL};
	pid_t obedient, stubborn_pid;
	gint64 t0, elapsed;
	int32_t status;
	int i;

	if (!start_init(f, cmd) || !expect_ready(f) || !expect_msg(f, CL_INIT_STARTED, 0, NULL))
		goto out;
	obedient = exec_started(f, 1, sleeper, NULL);
	stubborn_pid = exec_stubborn(f, 2);
	if (!obedient || !stubborn_pid)
		goto out;
	g_assert_true(g_file_set_contents(go, "", 0, NULL));
	t0 = g_get_monotonic_time();
	if (expect_msg(f, CL_INIT_EXITED, 0, &status))
		g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 5);
	for (i = 0; i < 2; i++) {
		Msg m;

		if (!recv_msg(f, TIMEOUT_MS, &m, NULL) || m.type != CL_INIT_EXITED) {
			g_test_fail_printf("no EXITED for the other children");
			break;
		}
		if (m.id == 1)
			g_assert_true(WIFSIGNALED(m.value) && WTERMSIG(m.value) == SIGTERM);
		else
			g_assert_true(WIFSIGNALED(m.value) && WTERMSIG(m.value) == SIGKILL);
	}
	g_assert_cmpint(init_exit_code(f, TIMEOUT_MS), ==, 5);
	elapsed = (g_get_monotonic_time() - t0) / 1000;
	g_assert_cmpint(elapsed, >=, 1800);
	g_assert_cmpint(elapsed, <, 4500);
	assert_gone(obedient);
	assert_gone(stubborn_pid);
	assert_no_orphans();
out:
	g_free(script);
	g_free(go);
}

/* A signal to the init in main mode stops all; the exit code is the main's. */
static void test_main_sigterm(Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	int32_t status;

	if (!start_init(f, sleeper) || !expect_ready(f) || !expect_msg(f, CL_INIT_STARTED, 0, NULL))
		return;
	kill(f->pid, SIGTERM);
	if (expect_msg(f, CL_INIT_EXITED, 0, &status))
		g_assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	g_assert_cmpint(init_exit_code(f, TIMEOUT_MS), ==, 128 + SIGTERM);
	assert_no_orphans();
}

/* STOP in main mode: exit 0 (a requested stop), not the main's 143. */
static void test_main_stop(Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	if (!start_init(f, sleeper) || !expect_ready(f) || !expect_msg(f, CL_INIT_STARTED, 0, NULL))
		return;
	send_stop(f);
	g_assert_cmpint(init_exit_code(f, TIMEOUT_MS), ==, 0);
	assert_no_orphans();
}

/* ---- tests: stopping ---------------------------------------------------- */

static void test_stop(Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	const char *const nested[] = {"sh", "-c", "sleep 1000; exit 0", NULL};
	unsigned int seen = 0;
	pid_t a, b;
	int i;

	if (!start_init(f, NULL) || !expect_ready(f))
		return;
	a = exec_started(f, 1, sleeper, NULL);
	b = exec_started(f, 2, nested, NULL);
	if (!a || !b)
		return;
	send_stop(f);
	for (i = 0; i < 2; i++) {
		Msg m;

		if (!recv_msg(f, TIMEOUT_MS, &m, NULL) || m.type != CL_INIT_EXITED || m.id > 2) {
			g_test_fail_printf("no EXITED after STOP");
			break;
		}
		seen |= 1u << m.id;
		if (m.id == 1)
			g_assert_true(WIFSIGNALED(m.value) && WTERMSIG(m.value) == SIGTERM);
	}
	g_assert_cmpuint(seen, ==, 6);
	g_assert_cmpint(init_exit_code(f, 4000), ==, 0);
	assert_gone(a);
	assert_gone(b);
	assert_no_orphans();
}

static void test_stop_grace(Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	gint64 t0, elapsed;
	int32_t status;
	pid_t a;

	if (!start_init(f, NULL) || !expect_ready(f))
		return;
	a = exec_stubborn(f, 1);
	if (!a)
		return;
	t0 = g_get_monotonic_time();
	send_stop(f);
	if (expect_msg(f, CL_INIT_EXITED, 1, &status))
		g_assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	g_assert_cmpint(init_exit_code(f, TIMEOUT_MS), ==, 0);
	elapsed = (g_get_monotonic_time() - t0) / 1000;
	g_assert_cmpint(elapsed, >=, 4800);
	g_assert_cmpint(elapsed, <, 8000);
	assert_gone(a);
	assert_no_orphans();
}

static void test_hangup(Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	pid_t a;

	if (!start_init(f, NULL) || !expect_ready(f))
		return;
	a = exec_started(f, 1, sleeper, NULL);
	if (!a)
		return;
	close(f->ctl);
	f->ctl = -1;
	g_assert_cmpint(init_exit_code(f, 4000), ==, 0);
	assert_gone(a);
	assert_no_orphans();
}

static void test_signal(Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	int sig = GPOINTER_TO_INT(data);
	pid_t a;

	if (!start_init(f, NULL) || !expect_ready(f))
		return;
	a = exec_started(f, 1, sleeper, NULL);
	if (!a)
		return;
	kill(f->pid, sig);
	g_assert_cmpint(init_exit_code(f, 4000), ==, 0);
	assert_gone(a);
	assert_no_orphans();
}

/* ---- tests: malformed requests ------------------------------------------ */

enum malformed {
	BAD_SHORT,
	BAD_EMPTY,
	BAD_LENGTH_MISMATCH,
	BAD_LENGTH_OVER,
	BAD_OVERSIZE,
	BAD_ARGC_ZERO,
	BAD_ARGC_TOO_LARGE,
	BAD_ARGC_MORE_THAN_STRINGS,
	BAD_TRAILING_BYTES,
	BAD_MISSING_NUL,
	BAD_EMPTY_ARGV0,
	BAD_ID_ZERO,
	BAD_DUPLICATE_ID,
	BAD_UNKNOWN_FLAGS,
	BAD_FDS_WITHOUT_FLAG,
	BAD_TOO_FEW_FDS,
	BAD_TOO_MANY_FDS,
	BAD_UNKNOWN_TYPE,
	BAD_REPLY_TYPE,
	BAD_STOP_PAYLOAD,
	BAD_SHORT_EXEC,
};

static void test_malformed(Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	enum malformed what = GPOINTER_TO_INT(data);
	static const char two[] = "true\0x"; /* two strings, 7 bytes with the NULs */
	GByteArray *b = NULL;
	int p[2], fds[4], nfds = 0, i;
	pid_t a;

	if (!start_init(f, NULL) || !expect_ready(f))
		return;
	a = exec_started(f, 1, sleeper, NULL);
	if (!a)
		return;
	g_assert_no_errno(pipe2(p, O_CLOEXEC));

	switch (what) {
	case BAD_SHORT:
		b = g_byte_array_new();
		g_byte_array_append(b, (const guint8 *)"\x01\0\0\0", 4);
		break;
	case BAD_EMPTY:
		b = g_byte_array_new();
		break;
	case BAD_LENGTH_MISMATCH:
		/* A valid EXEC, and 4 bytes more than its header says. */
		b = build_exec(2, 0, 1, "true", 5);
		g_byte_array_append(b, (const guint8 *)"junk", 4);
		break;
	case BAD_LENGTH_OVER:
		b = build_exec(2, 0, 1, "true", 5);
		((ClInitHeader *)b->data)->length += 4;
		break;
	case BAD_OVERSIZE: {
		guint8 *junk = g_malloc0(CL_INIT_MAX_PAYLOAD);

		b = build_exec(2, 0, 1, "true", 5);
		g_byte_array_append(b, junk, CL_INIT_MAX_PAYLOAD);
		((ClInitHeader *)b->data)->length = b->len - sizeof(ClInitHeader);
		g_free(junk);
		break;
	}
	case BAD_ARGC_ZERO:
		b = build_exec(2, 0, 0, "", 0);
		break;
	case BAD_ARGC_TOO_LARGE: {
		/* "x" and 1024 empty strings: well formed but for argc. */
		guint8 *zeros = g_malloc0(CL_INIT_MAX_ARGS + 2);

		zeros[0] = 'x';
		b = build_exec(2, 0, CL_INIT_MAX_ARGS + 1, zeros, CL_INIT_MAX_ARGS + 2);
		g_free(zeros);
		break;
	}
	case BAD_ARGC_MORE_THAN_STRINGS:
		b = build_exec(2, 0, 3, two, sizeof(two));
		break;
	case BAD_TRAILING_BYTES:
		b = build_exec(2, 0, 1, two, sizeof(two));
		break;
	case BAD_MISSING_NUL:
		b = build_exec(2, 0, 1, "true", 4);
		break;
	case BAD_EMPTY_ARGV0:
		b = build_exec(2, 0, 2, "\0true", 6);
		break;
	case BAD_ID_ZERO:
		b = build_exec(0, 0, 1, "true", 5);
		break;
	case BAD_DUPLICATE_ID:
		b = build_exec(1, 0, 1, "true", 5);
		break;
	case BAD_UNKNOWN_FLAGS:
		b = build_exec(2, 0x2, 1, "true", 5);
		break;
	case BAD_FDS_WITHOUT_FLAG:
		b = build_exec(2, 0, 1, "true", 5);
		nfds = 1;
		break;
	case BAD_TOO_FEW_FDS:
		b = build_exec(2, CL_INIT_EXEC_STDIO, 1, "true", 5);
		nfds = 2;
		break;
	case BAD_TOO_MANY_FDS:
		b = build_exec(2, CL_INIT_EXEC_STDIO, 1, "true", 5);
		nfds = 4;
		break;
	case BAD_UNKNOWN_TYPE:
	case BAD_REPLY_TYPE: {
		ClInitHeader h = {.type = what == BAD_UNKNOWN_TYPE ? 99 : CL_INIT_READY};

		b = g_byte_array_new();
		g_byte_array_append(b, (const guint8 *)&h, sizeof(h));
		break;
	}
	case BAD_STOP_PAYLOAD: {
		ClInitHeader h = {.type = CL_INIT_STOP, .length = 4};

		b = g_byte_array_new();
		g_byte_array_append(b, (const guint8 *)&h, sizeof(h));
		g_byte_array_append(b, (const guint8 *)"abcd", 4);
		break;
	}
	case BAD_SHORT_EXEC: {
		ClInitHeader h = {.type = CL_INIT_EXEC, .length = 8};

		b = g_byte_array_new();
		g_byte_array_append(b, (const guint8 *)&h, sizeof(h));
		g_byte_array_append(b, (const guint8 *)"\x02\0\0\0\0\0\0\0", 8);
		break;
	}
	}
	for (i = 0; i < nfds; i++)
		fds[i] = p[1];
	send_datagram(f, b->data, b->len, fds, nfds);
	g_byte_array_free(b, TRUE);
	close(p[1]);

	/* The init closes the channel at once and sends nothing more. */
	expect_eof(f);
	g_assert_cmpint(init_exit_code(f, TIMEOUT_MS), ==, 125);
	assert_gone(a);
	assert_no_orphans();
	close(p[0]);
}

/* A refused request's descriptors are closed while the init still runs. */
static void test_malformed_fds_closed(Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	GByteArray *b;
	int p[2], fds[3];
	pid_t a;

	if (!start_init(f, NULL) || !expect_ready(f))
		return;
	/* Keeps the init in its 5 s grace period. */
	a = exec_stubborn(f, 1);
	if (!a)
		return;
	g_assert_no_errno(pipe2(p, O_CLOEXEC));
	fds[0] = fds[1] = fds[2] = p[1];
	b = build_exec(2, CL_INIT_EXEC_STDIO, 1, "true", 4); /* missing NUL */
	send_datagram(f, b->data, b->len, fds, 3);
	g_byte_array_free(b, TRUE);
	close(p[1]);
	assert_eof_soon(p[0], 2000);
	g_assert_true(f->running && waitpid(f->pid, NULL, WNOHANG) == 0);
	close(p[0]);
	g_assert_cmpint(init_exit_code(f, TIMEOUT_MS), ==, 125);
	assert_gone(a);
	assert_no_orphans();
}

/* ---- tests: session bus ------------------------------------------------- */

static gboolean have_dbus(void)
{
	if (g_file_test(DBUS_DAEMON, G_FILE_TEST_IS_EXECUTABLE) &&
	    g_file_test(DBUS_SEND, G_FILE_TEST_IS_EXECUTABLE))
		return TRUE;
	g_test_skip(DBUS_DAEMON " or " DBUS_SEND " missing");
	return FALSE;
}

static pid_t dbus_child_of(pid_t parent)
{
	pid_t pid[4];
	int n = find_children(parent, "dbus-daemon", pid, 4);

	return n == 1 ? pid[0] : (n == 0 ? 0 : -1);
}

/* dbus-send ListNames to the test's bus: wait status, or -1. */
static int list_names(Fixture *f)
{
	const char *const argv[] = {DBUS_SEND,
	                            "--session",
	                            "--print-reply",
	                            "--reply-timeout=5000",
	                            "--dest=org.freedesktop.DBus",
	                            "/",
	                            "org.freedesktop.DBus.ListNames",
	                            NULL};
	char *addr = g_strconcat("unix:path=", f->bus_path, NULL);
	char **envp = g_environ_setenv(g_get_environ(), "DBUS_SESSION_BUS_ADDRESS", addr, TRUE);
	char *out = NULL;
	int status = run_cmd(argv, envp, TIMEOUT_MS, &out);

	if (status == 0 && !strstr(out, "string \"org.freedesktop.DBus\"")) {
		g_test_fail_printf("unexpected ListNames reply: %s", out);
		status = -1;
	}
	g_free(out);
	g_strfreev(envp);
	g_free(addr);
	return status;
}

static gboolean wait_gone(pid_t pid, int timeout_ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

	while (!pid_gone(pid)) {
		if (g_get_monotonic_time() > deadline)
			return FALSE;
		g_usleep(2000);
	}
	return TRUE;
}

/*
 * --notify-forward: the service file that activates the notification
 * forwarder appears beside the bus socket when the bus first starts, not at
 * start-up.
 */
static void test_bus_notify_service(Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	char *svc = g_build_filename(f->dir, "dbus-1", "services",
	                             "org.freedesktop.Notifications.service", NULL);
	char *text = NULL;

	f->notify_forward = "/run/cloison/notify-forward";
	if (!have_dbus() || !start_init(f, NULL) || !expect_ready(f)) {
		g_free(svc);
		return;
	}
	g_assert_false(g_file_test(svc, G_FILE_TEST_EXISTS));
	g_assert_cmpint(list_names(f), ==, 0);
	g_assert_true(g_file_get_contents(svc, &text, NULL, NULL));
	g_assert_cmpstr(text, ==,
	                "[D-BUS Service]\nName=org.freedesktop.Notifications\n"
	                "Exec=/run/cloison/notify-forward\n");
	send_stop(f);
	g_assert_cmpint(init_exit_code(f, TIMEOUT_MS), ==, 0);
	assert_no_orphans();
	g_free(text);
	g_free(svc);
}

/* A forwarder path the service file could not hold safely is a usage error. */
static void test_bus_notify_bad_path(Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	f->notify_forward = "/x y";
	if (!start_init(f, NULL))
		return;
	g_assert_cmpint(init_exit_code(f, TIMEOUT_MS), ==, 125);
}

static void test_bus_lazy(Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	struct stat sb;
	pid_t daemon;

	if (!have_dbus() || !start_init(f, NULL) || !expect_ready(f))
		return;
	g_assert_no_errno(lstat(f->bus_path, &sb));
	g_assert_true(S_ISSOCK(sb.st_mode));
	g_assert_cmpint(sb.st_mode & 07777, ==, 0600);
	g_usleep(100000);
	g_assert_cmpint(dbus_child_of(f->pid), ==, 0);

	g_assert_cmpint(list_names(f), ==, 0);
	daemon = dbus_child_of(f->pid);
	g_assert_cmpint(daemon, >, 0);
	/* The same daemon serves the next client. */
	g_assert_cmpint(list_names(f), ==, 0);
	g_assert_cmpint(dbus_child_of(f->pid), ==, daemon);

	send_stop(f);
	g_assert_cmpint(init_exit_code(f, TIMEOUT_MS), ==, 0);
	if (daemon > 0)
		assert_gone(daemon);
	g_assert_false(g_file_test(f->bus_path, G_FILE_TEST_EXISTS));
	assert_no_orphans();
}

static void test_bus_restart(Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	pid_t first, second;

	if (!have_dbus() || !start_init(f, NULL) || !expect_ready(f))
		return;
	g_assert_cmpint(list_names(f), ==, 0);
	first = dbus_child_of(f->pid);
	g_assert_cmpint(first, >, 0);
	if (first <= 0)
		return;
	kill(first, SIGKILL);
	g_assert_true(wait_gone(first, TIMEOUT_MS)); /* reaped by the init */
	g_assert_cmpint(dbus_child_of(f->pid), ==, 0);
	g_assert_cmpint(list_names(f), ==, 0);
	second = dbus_child_of(f->pid);
	g_assert_cmpint(second, >, 0);
	g_assert_cmpint(second, !=, first);
	send_stop(f);
	g_assert_cmpint(init_exit_code(f, TIMEOUT_MS), ==, 0);
	if (second > 0)
		assert_gone(second);
	assert_no_orphans();
}

static int connect_bus(Fixture *f)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	g_strlcpy(sa.sun_path, f->bus_path, sizeof(sa.sun_path));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

/* Five starts a minute; then the socket is closed (clients are refused). */
static void test_bus_rate_limit(Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	struct pollfd pfd;
	pid_t daemon;
	char c;
	int i, fd;

	if (!have_dbus() || !start_init(f, NULL) || !expect_ready(f))
		return;
	for (i = 0; i < 5; i++) {
		g_assert_cmpint(list_names(f), ==, 0);
		daemon = dbus_child_of(f->pid);
		g_assert_cmpint(daemon, >, 0);
		if (daemon <= 0)
			return;
		kill(daemon, SIGKILL);
		g_assert_true(wait_gone(daemon, TIMEOUT_MS));
	}
	/* The sixth client: queued, then dropped when the init closes the socket. */
	fd = connect_bus(f);
	g_assert_cmpint(fd, >=, 0);
	if (fd >= 0) {
		pfd = (struct pollfd){.fd = fd, .events = POLLIN};
		if (poll(&pfd, 1, TIMEOUT_MS) == 1)
			g_assert_cmpint(read(fd, &c, 1), <=, 0);
		else
			g_test_fail_printf("the sixth client was not dropped");
		close(fd);
	}
	g_assert_cmpint(connect_bus(f), ==, -ECONNREFUSED);
	g_assert_cmpint(dbus_child_of(f->pid), ==, 0);
	send_stop(f);
	g_assert_cmpint(init_exit_code(f, TIMEOUT_MS), ==, 0);
	assert_no_orphans();
}

/* ---- tests: as pid 1 of a pid namespace (unshare) ------------------------ */

static const char *const unshare_pid[] = {"unshare", "--pid", "--fork", "--kill-child", NULL};

static gboolean can_unshare(void)
{
	const char *const argv[] = {"unshare", "--pid", "--fork", "true", NULL};

	if (run_cmd(argv, NULL, TIMEOUT_MS, NULL) == 0)
		return TRUE;
	g_test_skip("cannot create a pid namespace here");
	return FALSE;
}

/* Cage processes cannot stop the init with a signal; kill(-1) reaches orphans. */
static void test_pid1(Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	const char *const signaller[] = {
	        "sh", "-c", "kill -TERM 1; kill -INT 1; kill -HUP 1; kill -QUIT 1; exit 4", NULL};
	const char *const ok[] = {"true", NULL};
	char *mark = g_build_filename(f->dir, "orphan", NULL);
	char *ready = g_build_filename(f->dir, "ready", NULL);
	char *script = g_strdup_printf("(trap 'echo term > %s; exit 0' TERM; : > %s; "
	                               "while :; do sleep 0.02; done) & exit 0",
	                               mark, ready);
	const char *const orphan[] = {"sh", "-c", script, NULL};
	char *contents = NULL;
	int status;

	if (!can_unshare() || !start_init_full(f, unshare_pid, NULL, NULL) || !expect_ready(f))
		goto out;
	send_exec(f, 1, signaller, NULL);
	status = expect_started_exited(f, 1);
	g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 4);
	/* Still serving requests. */
	send_exec(f, 2, ok, NULL);
	status = expect_started_exited(f, 2);
	g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	send_exec(f, 3, orphan, NULL);
	status = expect_started_exited(f, 3);
	g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	wait_file(ready);
	send_stop(f);
	g_assert_cmpint(init_exit_code(f, TIMEOUT_MS), ==, 0);
	/* SIGTERM from the init, not the SIGKILL of the namespace teardown. */
	g_assert_true(g_file_get_contents(mark, &contents, NULL, NULL));
	g_assert_cmpstr(contents, ==, "term\n");
	assert_no_orphans();
out:
	g_free(contents);
	g_free(script);
	g_free(ready);
	g_free(mark);
}

/* A signal from outside the namespace is honoured. */
static void test_pid1_outside_signal(Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
	pid_t init_pid[2];
	int32_t status;
	pid_t a;

	if (!can_unshare() || !start_init_full(f, unshare_pid, NULL, NULL) || !expect_ready(f))
		return;
	a = exec_started(f, 1, sleeper, NULL); /* its pid inside the namespace */
	if (!a)
		return;
	if (find_children(f->pid, NULL, init_pid, 2) != 1) {
		g_test_fail_printf("cannot find the init under unshare");
		return;
	}
	kill(init_pid[0], SIGTERM);
	if (expect_msg(f, CL_INIT_EXITED, 1, &status))
		g_assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	g_assert_cmpint(init_exit_code(f, TIMEOUT_MS), ==, 0);
	assert_no_orphans();
}

/* ---- main --------------------------------------------------------------- */

static void add(const char *path, gconstpointer data, void (*fn)(Fixture *, gconstpointer))
{
	g_test_add(path, Fixture, data, fixture_set_up, fn, fixture_tear_down);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		enum malformed what;
	} malformed[] = {
	        {"short", BAD_SHORT},
	        {"empty", BAD_EMPTY},
	        {"length-mismatch", BAD_LENGTH_MISMATCH},
	        {"length-over", BAD_LENGTH_OVER},
	        {"oversize", BAD_OVERSIZE},
	        {"argc-zero", BAD_ARGC_ZERO},
	        {"argc-too-large", BAD_ARGC_TOO_LARGE},
	        {"argc-more-than-strings", BAD_ARGC_MORE_THAN_STRINGS},
	        {"trailing-bytes", BAD_TRAILING_BYTES},
	        {"missing-nul", BAD_MISSING_NUL},
	        {"empty-argv0", BAD_EMPTY_ARGV0},
	        {"id-zero", BAD_ID_ZERO},
	        {"duplicate-id", BAD_DUPLICATE_ID},
	        {"unknown-flags", BAD_UNKNOWN_FLAGS},
	        {"fds-without-flag", BAD_FDS_WITHOUT_FLAG},
	        {"too-few-fds", BAD_TOO_FEW_FDS},
	        {"too-many-fds", BAD_TOO_MANY_FDS},
	        {"unknown-type", BAD_UNKNOWN_TYPE},
	        {"reply-type", BAD_REPLY_TYPE},
	        {"stop-payload", BAD_STOP_PAYLOAD},
	        {"short-exec", BAD_SHORT_EXEC},
	};
	const char *env = g_getenv("CLOISON_CAGE_INIT_BIN");
	const char *build = g_getenv("CLOISON_BUILD_ROOT");
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	size_t i;
	int ret;

	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	stderr_copy = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (stderr_copy < 0)
		g_error("dup: %s", g_strerror(errno));

	if (env)
		init_bin = g_strdup(env);
	else
		init_bin =
		        g_build_filename(build ? build : ".", "cages", "cloison-cage-init", NULL);
	if (!g_file_test(init_bin, G_FILE_TEST_IS_EXECUTABLE))
		g_error("%s not found: set CLOISON_CAGE_INIT_BIN", init_bin);

	/* Whatever the init leaves behind comes back to us. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		g_error("PR_SET_CHILD_SUBREAPER: %s", g_strerror(errno));
	sigaction(SIGCHLD, &dfl, NULL);

	add("/cage-init/ready", NULL, test_ready);
	add("/cage-init/exec/exit-status", NULL, test_exec_exit_status);
	add("/cage-init/exec/stdio-fds", NULL, test_exec_stdio_fds);
	add("/cage-init/exec/default-stdio", NULL, test_exec_default_stdio);
	add("/cage-init/exec/missing", NULL, test_exec_missing);
	add("/cage-init/exec/no-shebang", NULL, test_exec_no_shebang);
	add("/cage-init/exec/limit", NULL, test_exec_limit);
	add("/cage-init/closed-stdin", NULL, test_closed_stdin);
	add("/cage-init/not-dumpable", NULL, test_not_dumpable);
	add("/cage-init/main/exit-code", NULL, test_main_exit_code);
	add("/cage-init/main/signal", NULL, test_main_signal);
	add("/cage-init/main/exec-failure", NULL, test_main_exec_failure);
	add("/cage-init/main/stops-others", NULL, test_main_stops_others);
	add("/cage-init/main/sigterm", NULL, test_main_sigterm);
	add("/cage-init/main/stop", NULL, test_main_stop);
	add("/cage-init/stop/children", NULL, test_stop);
	add("/cage-init/stop/grace", NULL, test_stop_grace);
	add("/cage-init/stop/hangup", NULL, test_hangup);
	add("/cage-init/stop/sigterm", GINT_TO_POINTER(SIGTERM), test_signal);
	add("/cage-init/stop/sigint", GINT_TO_POINTER(SIGINT), test_signal);
	add("/cage-init/stop/sighup", GINT_TO_POINTER(SIGHUP), test_signal);
	for (i = 0; i < G_N_ELEMENTS(malformed); i++) {
		char *path = g_strconcat("/cage-init/malformed/", malformed[i].name, NULL);

		add(path, GINT_TO_POINTER(malformed[i].what), test_malformed);
		g_free(path);
	}
	add("/cage-init/malformed/fds-closed", NULL, test_malformed_fds_closed);
	add("/cage-init/bus/lazy", NULL, test_bus_lazy);
	add("/cage-init/bus/notify-service", NULL, test_bus_notify_service);
	add("/cage-init/bus/notify-bad-path", NULL, test_bus_notify_bad_path);
	add("/cage-init/bus/restart", NULL, test_bus_restart);
	add("/cage-init/bus/rate-limit", NULL, test_bus_rate_limit);
	add("/cage-init/pid1/cage-signals", NULL, test_pid1);
	add("/cage-init/pid1/outside-signal", NULL, test_pid1_outside_signal);

	ret = g_test_run();
	g_free(init_bin);
	return ret;
}
