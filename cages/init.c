/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cloison-cage-init: pid 1 of a cage's pid namespace.
 *
 * It runs the main command (if any), the commands the launcher asks for over
 * the control socket (see init-protocol.h), a lazily started session bus, and
 * reaps every process of the cage.  Everything else in the cage is hostile:
 * the init is not dumpable, its descriptors are close-on-exec, and it never
 * trusts what it does not get from the launcher.  Design notes:
 * docs/cages-init.md.
 *
 * libc only, no heap allocation in the init itself, no GLib.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "cage-seed.h"
#include "init-protocol.h"

#define MAX_CHILDREN    1024 /* running EXEC children; the main command has its own slot */
#define MAIN_SLOT       0
#define GRACE_MAIN_MS   2000 /* after the main command exited */
#define GRACE_STOP_MS   5000 /* after STOP, a signal, a hang-up or a protocol error */
#define BUS_MAX_STARTS  5
#define BUS_WINDOW_SEC  60
#define EXIT_INIT_ERROR 125 /* the init itself failed (usage, setup, protocol error) */
#define MAX_RX_FDS      8   /* room for more than 3, so that 4 is seen (and refused) */
#define SEED_MARKER_DIR ".config/cloison"
#define SEED_MARKER     "home-seeded" /* in SEED_MARKER_DIR: the home was seeded */

enum slot_state {
	SLOT_FREE = 0,
	SLOT_PENDING, /* forked, exec result not known yet */
	SLOT_RUNNING, /* STARTED sent: EXITED is due */
	SLOT_FAILED,  /* FAILED sent: reaped silently, its id is free again */
};

struct child {
	enum slot_state state;
	pid_t pid;
	uint32_t id;
	/*
	 * Read end of the close-on-exec error pipe; only meaningful while
	 * SLOT_PENDING (free slots are left zeroed: writing -1 into every one
	 * at startup would fault in the whole table before the main command).
	 */
	int errfd;
	int err; /* errno of a failed exec */
};

enum stdio_mode {
	STDIO_INHERIT, /* the init's own 0, 1, 2 (main command) */
	STDIO_NULL_IN, /* /dev/null, then the init's stdout and stderr */
	STDIO_FDS,     /* three descriptors from the launcher */
};

static struct child children[1 + MAX_CHILDREN];
static unsigned int n_pending;

static struct {
	bool pid1;
	int ctl; /* control socket, -1 once closed */
	int sig; /* signalfd */
	int bus; /* session bus listening socket, -1 if none */
	int timer;
	const char *bus_path;
	const char *notify_forward; /* in-cage path of the forwarder, or NULL */
	bool notify_logged;
	pid_t dbus_pid;
	time_t bus_starts[BUS_MAX_STARTS]; /* ring of start times (monotonic seconds) */
	unsigned int bus_nstarts, bus_next;

	bool main_mode;
	int main_code;     /* exit code owed to the main command */
	int exit_override; /* -1, or 0 after STOP, EXIT_INIT_ERROR after a protocol error */

	bool stop_requested;
	int stop_grace_ms;
	bool stopping;
	bool done;
} st = {
        .ctl = -1,
        .sig = -1,
        .bus = -1,
        .timer = -1,
        .main_code = EXIT_INIT_ERROR,
        .exit_override = -1,
};

/* The command line of dbus-daemon; it finds its socket with sd_listen_fds(). */
static char *const dbus_argv[] = {
        (char *)CL_CAGE_DBUS_DAEMON,
        (char *)"--session",
        (char *)"--address=systemd:",
        (char *)"--nofork",
        (char *)"--nopidfile",
        (char *)"--nosyslog",
        NULL,
};

/* The receive buffer: one datagram at most this large; a larger one is truncated. */
static unsigned char rxbuf[sizeof(ClInitHeader) + CL_INIT_MAX_PAYLOAD];
static char *exec_argv[CL_INIT_MAX_ARGS + 1];

__attribute__((format(printf, 1, 2))) static void logmsg(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n, m;

	n = snprintf(buf, sizeof(buf), "cloison-cage-init: ");
	va_start(ap, fmt);
	m = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, (size_t)n) < 0) {
		/* Nowhere left to report it. */
	}
}

/* Only before the first child is forked. */
__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...)
{
	char buf[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	logmsg("%s", buf);
	exit(EXIT_INIT_ERROR);
}

/* ---- children ---------------------------------------------------------- */

/* close_range(2) through syscall(): musl 1.2 has no wrapper for it. */
static int close_fds(unsigned int first, unsigned int last)
{
	return (int)syscall(SYS_close_range, first, last, 0);
}

/* In a child after fork(): default dispositions, nothing blocked. */
static void child_reset_signals(void)
{
	struct sigaction sa;
	sigset_t none;
	int s;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	/* SIGKILL, SIGSTOP and the libc-internal signals refuse: fine. */
	for (s = 1; s < NSIG; s++)
		sigaction(s, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static _Noreturn void child_fail(int errfd, int err)
{
	if (write(errfd, &err, sizeof(err)) < 0) {
		/* The init then sees EOF and reports a start; the exit code says 126/127. */
	}
	_exit(err == ENOENT ? 127 : 126);
}

/*
 * execve(path), and a file the kernel cannot run (ENOEXEC: no #! line)
 * through /bin/sh, as glibc's execvp() does and musl's does not.  Returns
 * only on failure, errno set.
 */
static void exec_file(const char *path, char *const argv[])
{
	char *sh_argv[CL_INIT_MAX_ARGS + 2];
	size_t n = 0;

	execve(path, argv, environ);
	if (errno != ENOEXEC)
		return;
	while (argv[n])
		n++;
	if (n > CL_INIT_MAX_ARGS) {
		errno = E2BIG;
		return;
	}
	sh_argv[0] = (char *)"/bin/sh";
	sh_argv[1] = (char *)path;
	/* argv[1..n], with its terminating NULL (n >= 1: argv[0] is there). */
	memcpy(sh_argv + 2, argv + 1, n * sizeof(*argv));
	execve("/bin/sh", sh_argv, environ);
	errno = ENOEXEC;
}

/*
 * execvp() with glibc's semantics whichever libc the init is linked with:
 * a name without a slash is looked up in $PATH (default "/bin:/usr/bin"; an
 * empty entry is the current directory), EACCES is reported if some
 * candidate had it and none ran, any error other than ENOENT, ENOTDIR and
 * EACCES stops the search.  No allocation: it runs in a vfork() child.
 */
static void exec_command(char *const argv[])
{
	const char *file = argv[0], *path = getenv("PATH"), *p, *end;
	size_t file_len = strlen(file), dir_len;
	char buf[4096];
	bool eacces = false;

	if (strchr(file, '/')) {
		exec_file(file, argv);
		return;
	}
	if (!path)
		path = "/bin:/usr/bin";
	for (p = path;; p = end + 1) {
		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		dir_len = (size_t)(end - p);
		if (dir_len + 1 + file_len + 1 > sizeof(buf)) {
			errno = ENAMETOOLONG;
		} else {
			memcpy(buf, p, dir_len);
			if (dir_len)
				buf[dir_len++] = '/';
			memcpy(buf + dir_len, file, file_len + 1);
			exec_file(buf, argv);
		}
		if (errno == EACCES)
			eacces = true;
		else if (errno != ENOENT && errno != ENOTDIR && errno != ENAMETOOLONG)
			return;
		if (!*end)
			break;
	}
	errno = eacces ? EACCES : ENOENT;
}

/*
 * In the child: new session, stdio, every other descriptor closed (errfd is
 * close-on-exec), then exec_command().  Errors go to errfd as an errno.
 */
static _Noreturn void child_exec(int errfd, enum stdio_mode mode, const int fds[3],
                                 char *const argv[])
{
	int i, fd;

	if (setsid() < 0)
		child_fail(errfd, errno);
	if (mode == STDIO_FDS) {
		for (i = 0; i < 3; i++)
			if (dup2(fds[i], i) < 0)
				child_fail(errfd, errno);
	} else if (mode == STDIO_NULL_IN) {
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd < 0 || dup2(fd, STDIN_FILENO) < 0)
			child_fail(errfd, errno);
		close(fd);
	}
	/* 0, 1 and 2 are always open in the init, so errfd >= 3. */
	if (errfd > 3 && close_fds(3, (unsigned int)errfd - 1) < 0)
		child_fail(errfd, errno);
	if (close_fds((unsigned int)errfd + 1, ~0U) < 0)
		child_fail(errfd, errno);
	child_reset_signals();
	exec_command(argv);
	child_fail(errfd, errno);
}

/*
 * Starts argv in slot c; returns 0 or an errno (nothing started).  vfork():
 * the child only makes system calls and writes to its own stack before it
 * execs or exits, and the cold start of every cage waits on this spawn, so
 * copying the init's page tables would be wasted time.
 */
static int spawn(struct child *c, uint32_t id, enum stdio_mode mode, const int fds[3],
                 char *const argv[])
{
	int p[2], err;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return errno;
	pid = vfork();
	if (pid < 0) {
		err = errno;
		close(p[0]);
		close(p[1]);
		return err;
	}
	if (pid == 0)
		child_exec(p[1], mode, fds, argv);
	close(p[1]);
	c->state = SLOT_PENDING;
	c->pid = pid;
	c->id = id;
	c->errfd = p[0];
	c->err = 0;
	n_pending++;
	return 0;
}

/* ---- control socket ---------------------------------------------------- */

static void request_stop(int grace_ms)
{
	if (st.stop_requested)
		return;
	st.stop_requested = true;
	st.stop_grace_ms = grace_ms;
}

/* The launcher is gone (or must be treated so): stop everything. */
static void control_lost(void)
{
	if (st.ctl >= 0) {
		close(st.ctl);
		st.ctl = -1;
	}
	request_stop(GRACE_STOP_MS);
}

static void protocol_error(const char *why)
{
	logmsg("protocol error: %s; stopping the cage", why);
	st.exit_override = EXIT_INIT_ERROR;
	control_lost();
}

static void send_msg(uint32_t type, const void *payload, uint32_t length)
{
	unsigned char buf[sizeof(ClInitHeader) + sizeof(ClInitStatus)];
	ClInitHeader h = {.type = type, .length = length};
	ssize_t n;
	int flags = MSG_NOSIGNAL;

	if (st.ctl < 0 || length > sizeof(ClInitStatus))
		return;
	memcpy(buf, &h, sizeof(h));
	if (length)
		memcpy(buf + sizeof(h), payload, length);
	/* While stopping, reports are best effort: never block on the launcher. */
	if (st.stopping)
		flags |= MSG_DONTWAIT;
	do
		n = send(st.ctl, buf, sizeof(h) + length, flags);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)(sizeof(h) + length))
		return;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && st.stopping)
		return;
	if (n < 0 && errno != EPIPE && errno != ECONNRESET)
		logmsg("control socket: %s", strerror(errno));
	control_lost();
}

static void send_status(uint32_t type, uint32_t id, int32_t value)
{
	ClInitStatus s = {.id = id, .value = value};

	send_msg(type, &s, sizeof(s));
}

/* ---- exec results and exits -------------------------------------------- */

/* Reads the exec result of a pending child: EOF means exec succeeded. */
static void resolve_exec(struct child *c)
{
	ssize_t n;
	int err = 0;

	do
		n = read(c->errfd, &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	close(c->errfd);
	c->errfd = -1;
	n_pending--;
	if (n == 0) {
		c->state = SLOT_RUNNING;
		send_status(CL_INIT_STARTED, c->id, (int32_t)c->pid);
		return;
	}
	if (n != (ssize_t)sizeof(err) || err <= 0) {
		/* Cannot happen; make sure a child we call failed is not running. */
		err = EIO;
		kill(c->pid, SIGKILL);
	}
	c->state = SLOT_FAILED;
	c->err = err;
	send_status(CL_INIT_FAILED, c->id, err);
}

static struct child *find_child(pid_t pid)
{
	unsigned int i;

	for (i = 0; i <= MAX_CHILDREN; i++)
		if (children[i].state != SLOT_FREE && children[i].pid == pid)
			return &children[i];
	return NULL;
}

static void child_exited(pid_t pid, int status)
{
	struct child *c;

	if (pid == st.dbus_pid) {
		st.dbus_pid = 0; /* the listening socket is polled again */
		return;
	}
	c = find_child(pid);
	if (!c)
		return; /* an orphan: reaped, not reported */
	if (c->state == SLOT_PENDING)
		resolve_exec(c);
	if (c == &children[MAIN_SLOT]) {
		if (c->state == SLOT_RUNNING)
			st.main_code =
			        WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		else
			st.main_code = c->err == ENOENT ? 127 : 126;
		request_stop(GRACE_MAIN_MS);
	}
	if (c->state == SLOT_RUNNING)
		send_status(CL_INIT_EXITED, c->id, status);
	memset(c, 0, sizeof(*c));
	c->errfd = -1;
}

static void reap_children(void)
{
	int status;
	pid_t pid;

	for (;;) {
		pid = waitpid(-1, &status, WNOHANG | __WALL);
		if (pid > 0) {
			child_exited(pid, status);
			continue;
		}
		if (pid < 0 && errno == ECHILD && st.stopping)
			st.done = true;
		return;
	}
}

/*
 * As pid 1 of the namespace, every other process of the cage.  Outside a pid
 * namespace (tests), only the process groups of the children still running:
 * kill(-1) there would hit every process of the user.
 */
static void signal_all(int sig)
{
	unsigned int i;

	if (st.pid1) {
		kill(-1, sig);
		return;
	}
	for (i = 0; i <= MAX_CHILDREN; i++)
		if (children[i].state != SLOT_FREE && kill(-children[i].pid, sig) < 0)
			kill(children[i].pid, sig); /* not yet in its own session */
	if (st.dbus_pid > 0 && kill(-st.dbus_pid, sig) < 0)
		kill(st.dbus_pid, sig);
}

/* ---- session bus ------------------------------------------------------- */

static void setup_bus(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t len = strlen(st.bus_path);
	int fd;

	if (len == 0 || len >= sizeof(sa.sun_path)) {
		logmsg("bus socket path too long; no session bus");
		return;
	}
	memcpy(sa.sun_path, st.bus_path, len + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		logmsg("bus socket: %s; no session bus", strerror(errno));
		return;
	}
	/* The mode of the socket inode becomes the mode of the file bind() creates. */
	if (fchmod(fd, 0600) < 0 || (unlink(st.bus_path) < 0 && errno != ENOENT) ||
	    bind(fd, (struct sockaddr *)&sa,
	         (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1)) < 0 ||
	    listen(fd, 128) < 0) {
		logmsg("bus socket %s: %s; no session bus", st.bus_path, strerror(errno));
		close(fd);
		return;
	}
	st.bus = fd;
}

static _Noreturn void dbus_child(void)
{
	char pid[24];

	setsid();
	if (st.bus == 3) {
		if (fcntl(3, F_SETFD, 0) < 0)
			_exit(127);
	} else if (dup2(st.bus, 3) < 0) {
		_exit(127);
	}
	if (close_fds(4, ~0U) < 0)
		_exit(127);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	if (setenv("LISTEN_FDS", "1", 1) < 0 || setenv("LISTEN_PID", pid, 1) < 0)
		_exit(127);
	child_reset_signals();
	execv(dbus_argv[0], dbus_argv);
	logmsg("cannot run %s: %s", dbus_argv[0], strerror(errno));
	_exit(127);
}

/*
 * The D-Bus service file that lets the cage's bus start the notification
 * forwarder, in the directory beside the bus socket ($XDG_RUNTIME_DIR):
 * dbus-daemon --session reads $XDG_RUNTIME_DIR/dbus-1/services before the
 * host's /usr/share/dbus-1/services.  Written before each dbus-daemon start,
 * so cage start-up pays nothing.  The cage may change it: it only changes
 * what answers its own notifications (notifyd trusts no forwarder).
 */
static void write_notify_service(void)
{
	static const char name[] = "/org.freedesktop.Notifications.service";
	const char *slash = strrchr(st.bus_path, '/');
	char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 64];
	char text[512];
	int n, len, fd;

	if (!slash)
		return;
	n = snprintf(path, sizeof(path), "%.*s/dbus-1/services%s", (int)(slash - st.bus_path),
	             st.bus_path, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return;
	/* …/dbus-1, then …/dbus-1/services, then the file. */
	path[n - (int)strlen(name) - 9] = 0;
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		goto fail;
	path[n - (int)strlen(name) - 9] = '/';
	path[n - (int)strlen(name)] = 0;
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		goto fail;
	path[n - (int)strlen(name)] = '/';
	len = snprintf(text, sizeof(text),
	               "[D-BUS Service]\nName=org.freedesktop.Notifications\nExec=%s\n",
	               st.notify_forward);
	if (len < 0 || (size_t)len >= sizeof(text))
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0)
		goto fail;
	if (write(fd, text, (size_t)len) != len) {
		close(fd);
		goto fail;
	}
	close(fd);
	return;
fail:
	if (!st.notify_logged)
		logmsg("cannot write %s: %s; no notification service", path, strerror(errno));
	st.notify_logged = true;
}

/* A client is connecting: hand the listening socket to a new dbus-daemon. */
static void start_dbus(void)
{
	struct timespec now;
	pid_t pid;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (st.bus_nstarts == BUS_MAX_STARTS &&
	    now.tv_sec - st.bus_starts[st.bus_next] < BUS_WINDOW_SEC) {
		logmsg("dbus-daemon started %d times in %d s; session bus disabled", BUS_MAX_STARTS,
		       BUS_WINDOW_SEC);
		close(st.bus);
		st.bus = -1;
		return;
	}
	if (st.notify_forward)
		write_notify_service();
	st.bus_starts[st.bus_next] = now.tv_sec;
	st.bus_next = (st.bus_next + 1) % BUS_MAX_STARTS;
	if (st.bus_nstarts < BUS_MAX_STARTS)
		st.bus_nstarts++;
	pid = fork();
	if (pid < 0) {
		logmsg("cannot start dbus-daemon: %s", strerror(errno));
		return;
	}
	if (pid == 0)
		dbus_child();
	st.dbus_pid = pid;
}

/* ---- the home's first start --------------------------------------------- */

/*
 * The directory DIR (relative, "a/b") under the home, made 0700 where
 * missing, each component opened without following a symlink: the home is
 * the cage's, and what the cage planted there must not send our writes
 * elsewhere (we are the cage user, but a symlink could still point into a
 * read-write bind the cage did not mean).  -1 when a component is not a
 * plain directory.
 */
static int open_home_dir(int home, const char *dir)
{
	char part[256];
	int fd = dup(home), next;
	const char *p = dir;

	while (fd >= 0 && *p) {
		size_t len = strcspn(p, "/");

		if (len == 0 || len >= sizeof(part)) {
			close(fd);
			return -1;
		}
		memcpy(part, p, len);
		part[len] = 0;
		if (mkdirat(fd, part, 0700) < 0 && errno != EEXIST) {
			close(fd);
			return -1;
		}
		next = openat(fd, part, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
		p += len;
		if (*p == '/')
			p++;
	}
	return fd;
}

/* Creates NAME in DIR (under the home) with DATA; never replaces anything. */
static void seed_file(int home, const char *dir, const char *name, const void *data, size_t size)
{
	int dfd = open_home_dir(home, dir), fd;
	const char *p = data;

	if (dfd < 0)
		return;
	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
	            0644);
	if (fd < 0) {
		/* EEXIST: the user's own file (or anything planted there) stays. */
		if (errno != EEXIST)
			logmsg("cannot seed ~/%s/%s: %s", dir, name, strerror(errno));
		close(dfd);
		return;
	}
	while (size > 0) {
		ssize_t n = write(fd, p, size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			logmsg("cannot write ~/%s/%s: %s", dir, name, strerror(errno));
			/* A half-written file would be taken for the user's: remove it. */
			unlinkat(dfd, name, 0);
			break;
		}
		p += n;
		size -= (size_t)n;
	}
	close(fd);
	close(dfd);
}

/*
 * On a cage's first start, the files the cage set-up provides in every home
 * (cage-seed.h: Thunar's custom actions, which Thunar reads only from
 * ~/.config/Thunar/uca.xml), then the marker SEED_MARKER: later starts do
 * nothing, so a file the user removed stays removed.  Files already there
 * are left alone.  Runs as the cage user, inside the cage, before the main
 * command (which may be the file manager that reads them).
 */
static void seed_home(void)
{
	struct stat marker;
	char dir[256];
	int home = open(CL_CAGE_HOME, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), mdir;

	if (home < 0)
		return;
	mdir = open_home_dir(home, SEED_MARKER_DIR);
	if (mdir >= 0 && fstatat(mdir, SEED_MARKER, &marker, AT_SYMLINK_NOFOLLOW) == 0) {
		close(mdir);
		close(home);
		return;
	}
	if (mdir >= 0)
		close(mdir);
	for (size_t i = 0; i < sizeof(cl_seed_files) / sizeof(cl_seed_files[0]); i++) {
		const char *path = cl_seed_files[i].path, *slash = strrchr(path, '/');
		size_t len = slash ? (size_t)(slash - path) : 0;

		if (len >= sizeof(dir))
			continue;
		memcpy(dir, path, len);
		dir[len] = 0;
		seed_file(home, dir, slash ? slash + 1 : path, cl_seed_files[i].data,
		          cl_seed_files[i].size);
	}
	seed_file(home, SEED_MARKER_DIR, SEED_MARKER, "", 0);
	close(home);
}

/* ---- requests ---------------------------------------------------------- */

static bool id_in_use(uint32_t id)
{
	unsigned int i;

	for (i = 0; i <= MAX_CHILDREN; i++)
		if ((children[i].state == SLOT_PENDING || children[i].state == SLOT_RUNNING) &&
		    children[i].id == id)
			return true;
	return false;
}

/* Returns NULL, or why the request is malformed.  Never takes the fds. */
static const char *handle_exec(unsigned char *p, uint32_t len, const int *fds, int nfds)
{
	ClInitExec req;
	char *s;
	char *nul;
	size_t left;
	uint32_t i;
	int err;

	if (len < sizeof(req))
		return "short EXEC";
	memcpy(&req, p, sizeof(req));
	if (req.id == 0)
		return "EXEC with id 0 (the main command's)";
	if (req.flags & ~CL_INIT_EXEC_STDIO)
		return "unknown EXEC flags";
	if (req.argc < 1 || req.argc > CL_INIT_MAX_ARGS)
		return "EXEC argc out of range";
	if (nfds != ((req.flags & CL_INIT_EXEC_STDIO) ? 3 : 0))
		return "wrong number of descriptors";
	s = (char *)p + sizeof(req);
	left = len - sizeof(req);
	for (i = 0; i < req.argc; i++) {
		nul = memchr(s, '\0', left);
		if (!nul)
			return "EXEC argument missing or not NUL-terminated";
		exec_argv[i] = s;
		left -= (size_t)(nul - s) + 1;
		s = nul + 1;
	}
	if (left != 0)
		return "bytes after the last EXEC argument";
	if (exec_argv[0][0] == '\0')
		return "empty argv[0]";
	exec_argv[req.argc] = NULL;
	if (id_in_use(req.id))
		return "EXEC id already in use";

	for (i = 1; i <= MAX_CHILDREN; i++)
		if (children[i].state == SLOT_FREE)
			break;
	if (i > MAX_CHILDREN) {
		send_status(CL_INIT_FAILED, req.id, EAGAIN);
		return NULL;
	}
	err = spawn(&children[i], req.id, nfds ? STDIO_FDS : STDIO_NULL_IN, fds, exec_argv);
	if (err)
		send_status(CL_INIT_FAILED, req.id, err);
	return NULL;
}

static const char *handle_datagram(size_t n, const int *fds, int nfds)
{
	ClInitHeader h;

	if (n < sizeof(h))
		return "short datagram";
	memcpy(&h, rxbuf, sizeof(h));
	if (h.length > CL_INIT_MAX_PAYLOAD || n != sizeof(h) + h.length)
		return "datagram size does not match its header";
	switch (h.type) {
	case CL_INIT_EXEC:
		return handle_exec(rxbuf + sizeof(h), h.length, fds, nfds);
	case CL_INIT_STOP:
		if (h.length != 0 || nfds != 0)
			return "STOP with a payload";
		if (st.exit_override < 0)
			st.exit_override = 0;
		request_stop(GRACE_STOP_MS);
		return NULL;
	default:
		return "unknown message type";
	}
}

/* A zero-byte read: the launcher closed its end, or sent an empty datagram. */
static bool peer_closed(void)
{
	struct pollfd p = {.fd = st.ctl, .events = POLLRDHUP};

	return poll(&p, 1, 0) < 0 || (p.revents & (POLLHUP | POLLRDHUP | POLLERR));
}

/* Receives one datagram; returns false when there is nothing more to read. */
static bool receive_one(void)
{
	union {
		struct cmsghdr align;
		unsigned char buf[CMSG_SPACE(MAX_RX_FDS * sizeof(int))];
	} cbuf;
	struct iovec iov = {.iov_base = rxbuf, .iov_len = sizeof(rxbuf)};
	struct msghdr msg = {
	        .msg_iov = &iov,
	        .msg_iovlen = 1,
	        .msg_control = cbuf.buf,
	        .msg_controllen = sizeof(cbuf.buf),
	};
	struct cmsghdr *cm;
	int fds[MAX_RX_FDS];
	int nfds = 0, fd, i;
	size_t k, count;
	bool stray = false;
	const char *why = NULL;
	ssize_t n;

	do
		n = recvmsg(st.ctl, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return false;
		control_lost();
		return false;
	}

	/* Take every descriptor first, so that all of them are closed on error. */
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) {
			stray = true;
			continue;
		}
		count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (k = 0; k < count; k++) {
			memcpy(&fd, CMSG_DATA(cm) + k * sizeof(int), sizeof(int));
			if (nfds < MAX_RX_FDS)
				fds[nfds++] = fd;
			else
				close(fd);
		}
	}

	if (n == 0 && nfds == 0 && !stray && peer_closed()) {
		control_lost();
		return false;
	}
	if (msg.msg_flags & MSG_TRUNC)
		why = "datagram too large";
	else if (msg.msg_flags & MSG_CTRUNC)
		why = "too many descriptors";
	else if (stray)
		why = "unexpected control message";
	else
		why = handle_datagram((size_t)n, fds, nfds);
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	if (why) {
		protocol_error(why);
		return false;
	}
	return true;
}

/* ---- stop sequence ----------------------------------------------------- */

static void begin_stop(void)
{
	struct itimerspec its = {
	        .it_value.tv_sec = st.stop_grace_ms / 1000,
	        .it_value.tv_nsec = (long)(st.stop_grace_ms % 1000) * 1000000L,
	};

	st.stopping = true;
	if (st.bus >= 0) {
		close(st.bus);
		st.bus = -1;
		unlink(st.bus_path);
	}
	signal_all(SIGTERM);
	st.timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (st.timer < 0 || timerfd_settime(st.timer, 0, &its, NULL) < 0) {
		logmsg("stop timer: %s; killing at once", strerror(errno));
		signal_all(SIGKILL);
	}
	reap_children();
}

/* After the grace period: SIGKILL whatever is left and wait for all of it. */
static void kill_and_reap_all(void)
{
	int status;
	pid_t pid;

	for (;;) {
		signal_all(SIGKILL);
		pid = waitpid(-1, &status, __WALL);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break; /* ECHILD: nothing left */
		}
		child_exited(pid, status);
	}
	st.done = true;
}

/* ---- main loop --------------------------------------------------------- */

static void handle_signals(void)
{
	struct signalfd_siginfo si[8];
	bool chld = false;
	ssize_t n;
	size_t i;

	for (;;) {
		n = read(st.sig, si, sizeof(si));
		if (n <= 0)
			break;
		for (i = 0; i < (size_t)n / sizeof(si[0]); i++) {
			if (si[i].ssi_signo == SIGCHLD) {
				chld = true;
				continue;
			}
			/*
			 * As pid 1, honour only signals from outside the pid
			 * namespace (the pid reads as 0 there) or from the
			 * kernel.  kill(), tkill() and the kernel set codes that
			 * a sigqueue() from a cage process cannot forge.
			 */
			if (st.pid1 && si[i].ssi_code != SI_KERNEL &&
			    !((si[i].ssi_code == SI_USER || si[i].ssi_code == SI_TKILL) &&
			      si[i].ssi_pid == 0))
				continue;
			request_stop(GRACE_STOP_MS);
		}
	}
	if (chld)
		reap_children();
}

static _Noreturn void main_loop(void)
{
	static struct pollfd pfd[4 + 1 + MAX_CHILDREN];
	static unsigned int slot_of[4 + 1 + MAX_CHILDREN];
	int i_sig, i_ctl, i_bus, i_timer;
	unsigned int i, n, first_errfd;
	uint64_t ticks;
	int r;

	for (;;) {
		if (st.stop_requested && !st.stopping)
			begin_stop();
		if (st.done)
			break;

		n = 0;
		i_ctl = i_bus = i_timer = -1;
		i_sig = (int)n;
		pfd[n++] = (struct pollfd){.fd = st.sig, .events = POLLIN};
		if (!st.stopping && st.ctl >= 0) {
			i_ctl = (int)n;
			pfd[n++] = (struct pollfd){.fd = st.ctl, .events = POLLIN};
		}
		if (!st.stopping && st.bus >= 0 && st.dbus_pid == 0) {
			i_bus = (int)n;
			pfd[n++] = (struct pollfd){.fd = st.bus, .events = POLLIN};
		}
		if (st.stopping && st.timer >= 0) {
			i_timer = (int)n;
			pfd[n++] = (struct pollfd){.fd = st.timer, .events = POLLIN};
		}
		first_errfd = n;
		for (i = 0; n_pending && i <= MAX_CHILDREN; i++) {
			if (children[i].state != SLOT_PENDING)
				continue;
			slot_of[n] = i;
			pfd[n++] = (struct pollfd){.fd = children[i].errfd, .events = POLLIN};
		}

		r = poll(pfd, n, -1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			logmsg("poll: %s; killing the cage", strerror(errno));
			st.exit_override = EXIT_INIT_ERROR;
			kill_and_reap_all();
			break;
		}

		/* Exec results first: nothing has reused their descriptors yet. */
		for (i = first_errfd; i < n; i++) {
			struct child *c = &children[slot_of[i]];

			if (pfd[i].revents && c->state == SLOT_PENDING && c->errfd == pfd[i].fd)
				resolve_exec(c);
		}
		if (pfd[i_sig].revents)
			handle_signals();
		if (i_timer >= 0 && pfd[i_timer].revents) {
			if (read(st.timer, &ticks, sizeof(ticks)) < 0) {
				/* Expired either way. */
			}
			kill_and_reap_all();
			continue;
		}
		if (i_ctl >= 0 && pfd[i_ctl].revents) {
			while (!st.stop_requested && st.ctl >= 0 && receive_one()) {
			}
		}
		if (i_bus >= 0 && pfd[i_bus].revents && !st.stop_requested && st.bus >= 0 &&
		    st.dbus_pid == 0)
			start_dbus();
	}

	if (st.exit_override >= 0)
		exit(st.exit_override);
	exit(st.main_mode ? st.main_code : 0);
}

/* ---- startup ----------------------------------------------------------- */

static _Noreturn void usage(void)
{
	die("usage: cloison-cage-init [--bus-socket PATH] [--control-fd N] "
	    "[--notify-forward PATH] [-- COMMAND ARGS...]");
}

static int parse_fd(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < 3 || v > 65535)
		usage();
	return (int)v;
}

/*
 * Landlock scoping (Linux 6.12, ABI 6): every process of the cage, all of
 * them descendants of the init, may neither connect to abstract Unix sockets
 * made outside the cage nor signal processes outside it.  It matters for
 * cages with network=true, which share the host's network namespace and so
 * its abstract socket namespace.  On older kernels this is a no-op: the
 * network namespace of network=false cages already separates abstract
 * sockets, and docs/cages.md documents the rest.  Returns the ABI version
 * found (0: no Landlock).
 */
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_restrict_self  446
#endif
#define LANDLOCK_VERSION_FLAG   (1U << 0)
#define LANDLOCK_SCOPE_ABSTRACT (1ULL << 0)
#define LANDLOCK_SCOPE_SIGNALS  (1ULL << 1)

struct landlock_attr_v6 {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

static int scope_cage(void)
{
	struct landlock_attr_v6 attr = {
	        .scoped = LANDLOCK_SCOPE_ABSTRACT | LANDLOCK_SCOPE_SIGNALS,
	};
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_VERSION_FLAG);
	int fd;

	if (abi < 6)
		return abi < 0 ? 0 : (int)abi;
	fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (fd < 0)
		die("landlock_create_ruleset: %s", strerror(errno));
	/* no_new_privs is set by bwrap; a failure here means a broken cage. */
	if (syscall(SYS_landlock_restrict_self, fd, 0) < 0)
		die("landlock_restrict_self: %s", strerror(errno));
	close(fd);
	return (int)abi;
}

int main(int argc, char **argv)
{
	struct sigaction ign;
	sigset_t mask;
	char **cmd = NULL;
	int i, fd, type, err;
	socklen_t len = sizeof(type);

	/* Cage processes of the same uid must not reach our fds via /proc/1/fd. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		die("PR_SET_DUMPABLE: %s", strerror(errno));

	/* Keep 0, 1 and 2 taken, so that no descriptor of ours lands there. */
	for (fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		if (open("/dev/null", O_RDWR) != fd)
			die("cannot open /dev/null");
	}

	st.ctl = CL_INIT_CONTROL_FD;
	st.bus_path = CL_CAGE_BUS_SOCKET;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			if (argv[i + 1])
				cmd = &argv[i + 1];
			break;
		} else if (strcmp(argv[i], "--bus-socket") == 0 && i + 1 < argc) {
			st.bus_path = argv[++i];
		} else if (strcmp(argv[i], "--notify-forward") == 0 && i + 1 < argc) {
			st.notify_forward = argv[++i];
			if (st.notify_forward[0] != '/' ||
			    strpbrk(st.notify_forward, " \t\n\"'\\%"))
				usage();
		} else if (strcmp(argv[i], "--control-fd") == 0 && i + 1 < argc) {
			st.ctl = parse_fd(argv[++i]);
		} else {
			usage();
		}
	}
	if (cmd && cmd[0][0] == '\0')
		usage();

	if (fcntl(st.ctl, F_SETFD, FD_CLOEXEC) < 0 ||
	    getsockopt(st.ctl, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_SEQPACKET)
		die("fd %d is not the control socket (SOCK_SEQPACKET)", st.ctl);

	/* A vanished reader must give EPIPE, not kill us. */
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, NULL);

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGQUIT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		die("sigprocmask: %s", strerror(errno));
	st.sig = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (st.sig < 0)
		die("signalfd: %s", strerror(errno));
	st.pid1 = getpid() == 1;
	/* Only as the cage's pid 1: the tests also run the init outside a cage. */
	if (st.pid1) {
		scope_cage();
		seed_home();
	}

	/* The main command first: the cold start is on the clock. */
	if (cmd) {
		st.main_mode = true;
		err = spawn(&children[MAIN_SLOT], 0, STDIO_INHERIT, NULL, cmd);
		if (err) {
			logmsg("cannot start %s: %s", cmd[0], strerror(err));
			send_status(CL_INIT_FAILED, 0, err);
			exit(err == ENOENT ? 127 : 126);
		}
	}

	setup_bus();
	send_msg(CL_INIT_READY, NULL, 0);
	main_loop();
}
