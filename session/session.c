/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The session supervisor (session.h).
 *
 * Children, in start order (their "stage"): the core bus (dbus-daemon), the
 * compositor (which starts the bar), cloison-transferd, cloison-notifyd, then
 * every autostart cage (one `cloison-cage run CAGE` each); a cage asked for
 * on the core bus (org.cloison.Session1.StartCage, the bar's cages dialog)
 * becomes a child of the cage stage when it is first started.  Each core child
 * gets a pipe as its fd 3 and says it is ready on it (dbus-daemon prints its
 * address there, the others write "READY=1\n"); the next stage starts only
 * then.  Every child is its own process group, dies with the session
 * (PR_SET_PDEATHSIG) and is watched and reaped through a pidfd.  Stopping
 * goes stage by stage in reverse order: SIGTERM, then SIGKILL after
 * CL_SESSION_STOP_TIMEOUT_MS.
 */
#include "cloison-build-config.h"

#include "session.h"

#include <dirent.h>
#include <json-glib/json-glib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "i18n.h"
#include "launcher.h"
#include "listen.h"
#include "log.h"
#include "paths.h"
#include "security-events.h"
#include "session-bus.h"
#include "util.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define READY_FD           3
#define READY_MAX          1024
#define READY_EOF_GRACE_MS 1000
#define SESSION_LOCK_FILE  "session.lock"
#define COMP_LOCK_FILE     "compositor.lock" /* compositor/server.c */
#define CORE_BUS_SOCKET    "bus"
#define DEMO_CONFIG_FILE   "demo.conf" /* in core/ */
#define DEMO_CHECK_MS      250
/* Room for any pid in LISTEN_PID=, written in the child (child_setup()). */
#define LISTEN_PID_PLACEHOLDER "0000000000000000000"

typedef enum {
	STAGE_BUS,
	STAGE_COMPOSITOR,
	STAGE_BROKER,
	STAGE_NOTIFYD,
	STAGE_CAGES,
	N_STAGES,
} Stage;

typedef enum {
	STATE_STARTING,
	STATE_RUNNING,
	STATE_STOPPING,
} State;

typedef struct {
	ClSession *session;
	Stage stage;
	char *name;            /* for messages: "the core bus", "cage low"… */
	const ClCage *cage;    /* STAGE_CAGES only */
	const int *listen_fds; /* broker, notifyd: one per configured cage (the session's) */
	pid_t pid;             /* > 0 while the process exists (until reaped) */
	int pidfd;
	guint pid_source;
	int ready_fd; /* read end of the readiness pipe */
	guint ready_source;
	GString *ready_buf;
	guint ready_timeout;
	bool ready; /* said ready since its last start */
	bool ever_ready;
	bool stopping;     /* we sent SIGTERM */
	gint64 started_us; /* monotonic */
	unsigned failures; /* consecutive short-lived runs */
	guint restart_source;
	guint stop_source; /* StopCage: SIGKILL if still there after the timeout */
	bool given_up;
} Child;

struct ClSession {
	ClConfig *config;
	ClSessionPrograms programs;
	ClSessionOptions options;
	char *xdg_runtime_dir;
	char *runtime_dir; /* XDG_RUNTIME_DIR/cloison */
	char *data_home;
	char *state_home;
	char *core_bus_address;
	GDBusConnection *bus;
	guint bus_object; /* org.cloison.Session1, registered on bus */
	bool post_warned;
	char *config_error; /* the last one posted, while the file is invalid */
	int runtime_fd;
	int lock_fd;
	/*
	 * A copy of our standard error, given as the children's standard
	 * output: GLib 2.74 closes the child's fd 2 when stdout_fd is 2.
	 */
	int stderr_copy;
	bool created_runtime;
	GPtrArray *children; /* Child*, in start order */
	/*
	 * The cages' transfer and notify sockets, one per configured cage in
	 * the configuration's order: created once, passed to every start of the
	 * broker and notifyd (LISTEN_FDS), so that a cage started before a
	 * restart keeps reaching the same socket.
	 */
	int *transfer_fds;
	int *notify_fds;
	State state;
	Stage start_stage;
	int stop_stage;
	guint stop_timer;
	guint signal_sources[3];
	bool done;
	int exit_code;
	guint demo_timer;
	gint64 demo_started_us;
	int demo_seen; /* checks in a row that found every cage's window */
};

static void child_start(Child *c);
static void stage_start(ClSession *s, Stage stage);
static void session_stop(ClSession *s, int exit_code);
static void stop_next_stage(ClSession *s);
static void demo_start_watch(ClSession *s);
static void serve_core_bus(ClSession *s);

/* ---- Programs -------------------------------------------------------------------- */

static bool find_program(const char *env, const char *installed, const char *in_path, char **ret,
                         GError **error)
{
	const char *value = g_getenv(env);
	g_autofree char *path = NULL;

	if (value && *value)
		path = g_strdup(value);
	else if (installed && g_file_test(installed, G_FILE_TEST_IS_EXECUTABLE))
		path = g_strdup(installed);
	else if (in_path)
		path = g_find_program_in_path(in_path);
	if (!path)
		path = g_strdup(installed ? installed : in_path);
	if (!g_path_is_absolute(path) || !g_file_test(path, G_FILE_TEST_IS_REGULAR) ||
	    access(path, X_OK) < 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
		            _("cannot find the program %s (looked at “%s”; set $%s to its "
		              "absolute path)"),
		            in_path ? in_path : env, path, env);
		return false;
	}
	*ret = g_steal_pointer(&path);
	return true;
}

bool cl_session_programs_find(ClSessionPrograms *p, GError **error)
{
	g_autofree char *comp = g_build_filename(CLOISON_BINDIR, "cloison-compositor", NULL);
	g_autofree char *bar = g_build_filename(CLOISON_LIBEXECDIR, "cloison-bar", NULL);
	g_autofree char *transferd = g_build_filename(CLOISON_BINDIR, "cloison-transferd", NULL);
	g_autofree char *notifyd = g_build_filename(CLOISON_BINDIR, "cloison-notifyd", NULL);
	g_autofree char *cage = g_build_filename(CLOISON_BINDIR, "cloison-cage", NULL);

	memset(p, 0, sizeof(*p));
	if (!find_program("CLOISON_DBUS_DAEMON", NULL, "dbus-daemon", &p->dbus_daemon, error) ||
	    !find_program("CLOISON_COMPOSITOR", comp, "cloison-compositor", &p->compositor,
	                  error) ||
	    !find_program("CLOISON_BAR", bar, "cloison-bar", &p->bar, error) ||
	    !find_program("CLOISON_TRANSFERD", transferd, "cloison-transferd", &p->transferd,
	                  error) ||
	    !find_program("CLOISON_NOTIFYD", notifyd, "cloison-notifyd", &p->notifyd, error) ||
	    !find_program("CLOISON_CAGE_COMMAND", cage, "cloison-cage", &p->cage, error)) {
		cl_session_programs_clear(p);
		return false;
	}
	return true;
}

void cl_session_programs_clear(ClSessionPrograms *p)
{
	g_clear_pointer(&p->dbus_daemon, g_free);
	g_clear_pointer(&p->compositor, g_free);
	g_clear_pointer(&p->bar, g_free);
	g_clear_pointer(&p->transferd, g_free);
	g_clear_pointer(&p->notifyd, g_free);
	g_clear_pointer(&p->cage, g_free);
}

/* ---- Small helpers ------------------------------------------------------------------ */

static char *describe_status(int status)
{
	if (WIFEXITED(status))
		return g_strdup_printf("exited with status %d", WEXITSTATUS(status));
	if (WIFSIGNALED(status)) {
		const char *abbrev = sigabbrev_np(WTERMSIG(status));

		return g_strdup_printf("killed by signal %d (SIG%s)%s", WTERMSIG(status),
		                       abbrev ? abbrev : "?",
		                       WCOREDUMP(status) ? ", core dumped" : "");
	}
	return g_strdup_printf("ended with wait status %#x", (unsigned)status);
}

/* Is a lock file in core/ held by a live process?  Missing = no. */
static bool lock_is_held(const char *runtime_dir, const char *name)
{
	g_autofree char *path = g_build_filename(runtime_dir, "core", name, NULL);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return false;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0)
		return errno == EWOULDBLOCK;
	return false;
}

/* Remove dirfd/name and everything below it, never following a symlink. */
static int remove_tree_at(int parent, const char *name, int depth)
{
	_cleanup_close_ int fd = -1;
	DIR *d;
	struct dirent *e;
	int r = 0;

	if (unlinkat(parent, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -errno;
	if (depth > 16)
		return -ELOOP;
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d)
		return -errno;
	fd = -1; /* owned by d */
	while ((e = readdir(d))) {
		int k;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		k = remove_tree_at(dirfd(d), e->d_name, depth + 1);
		if (k < 0 && r == 0)
			r = k;
	}
	closedir(d);
	if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && r == 0)
		r = -errno;
	return r;
}

/* ---- Security events ------------------------------------------------------------------- */

static void handle_post_reply(GObject *source, GAsyncResult *res, gpointer data)
{
	ClSession *s = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply =
	        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);

	if (reply) {
		s->post_warned = false;
		return;
	}
	/* notifyd absent or busy: the event is logged already; say it once. */
	if (!s->post_warned)
		cl_warn("cannot post a security event to %s: %s", CL_NOTIFY_BUS_NAME,
		        error->message);
	s->post_warned = true;
}

/* Post on the core bus; never fails the session (the event is logged too). */
static void post_event(ClSession *s, const char *severity, const char *category,
                       const char *summary, const char *body, const char *cage)
{
	if (!s->bus || g_dbus_connection_is_closed(s->bus))
		return;
	g_dbus_connection_call(
	        s->bus, CL_NOTIFY_BUS_NAME, CL_NOTIFY_PATH, CL_SECURITY_EVENTS_IFACE, "Post",
	        g_variant_new("(sssss)", severity, category, summary, body, cage ? cage : ""),
	        G_VARIANT_TYPE("(u)"), G_DBUS_CALL_FLAGS_NO_AUTO_START, 5000, NULL,
	        handle_post_reply, s);
}

static void connect_core_bus(ClSession *s)
{
	g_autoptr(GError) error = NULL;

	s->bus = g_dbus_connection_new_for_address_sync(
	        s->core_bus_address,
	        G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
	                G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
	        NULL, NULL, &error);
	if (!s->bus)
		cl_warn("cannot connect to the core bus (no security event will be posted): %s",
		        error->message);
	else
		g_dbus_connection_set_exit_on_close(s->bus, FALSE);
	if (s->bus)
		serve_core_bus(s);
}

/* ---- Children ------------------------------------------------------------------------- */

static Child *child_new(ClSession *s, Stage stage, const char *name, const ClCage *cage)
{
	Child *c = g_new0(Child, 1);

	c->session = s;
	c->stage = stage;
	c->name = g_strdup(name);
	c->cage = cage;
	c->pidfd = -1;
	c->ready_fd = -1;
	return c;
}

static void child_clear_ready(Child *c)
{
	g_clear_handle_id(&c->ready_source, g_source_remove);
	g_clear_handle_id(&c->ready_timeout, g_source_remove);
	c->ready_fd = cl_close(c->ready_fd);
	if (c->ready_buf)
		g_string_free(c->ready_buf, TRUE);
	c->ready_buf = NULL;
}

static void child_free(Child *c)
{
	if (!c)
		return;
	child_clear_ready(c);
	g_clear_handle_id(&c->pid_source, g_source_remove);
	g_clear_handle_id(&c->restart_source, g_source_remove);
	g_clear_handle_id(&c->stop_source, g_source_remove);
	cl_close(c->pidfd);
	g_free(c->name);
	g_free(c);
}

static bool child_alive(const Child *c)
{
	return c->pid > 0;
}

static void child_kill(Child *c, int sig)
{
	if (!child_alive(c))
		return;
	/* The pid is ours until we reap it: no reuse is possible. */
	if (syscall(SYS_pidfd_send_signal, c->pidfd, sig, NULL, 0) < 0 && errno != ESRCH)
		cl_warn("cannot signal %s (pid %d): %s", c->name, (int)c->pid, g_strerror(errno));
}

/* The sockets passed to a child: fds 3…3+n-1, its readiness pipe after them. */
static unsigned child_n_listen_fds(const Child *c)
{
	return c->listen_fds ? c->session->config->cages->len : 0;
}

static char **child_argv(Child *c)
{
	ClSession *s = c->session;
	const char *config = s->config->source;
	bool file = strcmp(config, CL_BUILTIN_SOURCE_NAME) != 0;
	GPtrArray *a = g_ptr_array_new();

	switch (c->stage) {
	case STAGE_BUS:
		g_ptr_array_add(a, g_strdup(s->programs.dbus_daemon));
		g_ptr_array_add(a, g_strdup("--session"));
		g_ptr_array_add(a, g_strdup("--nofork"));
		g_ptr_array_add(a, g_strdup("--nopidfile"));
		g_ptr_array_add(a, g_strdup_printf("--address=unix:path=%s/core/%s", s->runtime_dir,
		                                   CORE_BUS_SOCKET));
		g_ptr_array_add(a, g_strdup_printf("--print-address=%d", READY_FD));
		break;
	case STAGE_COMPOSITOR: {
		g_autofree char *qbar = g_shell_quote(s->programs.bar);
		g_autofree char *qconf = file ? g_shell_quote(config) : NULL;

		g_ptr_array_add(a, g_strdup(s->programs.compositor));
		if (s->options.backend == CL_SESSION_BACKEND_HEADLESS) {
			g_ptr_array_add(a, g_strdup("--headless"));
			if (s->options.test_input)
				g_ptr_array_add(a, g_strdup("--test-input"));
		} else {
			const char *wl = g_getenv("WAYLAND_DISPLAY"), *x = g_getenv("DISPLAY");

			g_ptr_array_add(a, g_strdup("--backend"));
			g_ptr_array_add(a, g_strdup(wl && *wl ? "wayland"
			                            : x && *x ? "x11"
			                                      : "drm"));
		}
		if (s->options.width > 0) {
			g_ptr_array_add(a, g_strdup("--size"));
			g_ptr_array_add(
			        a, g_strdup_printf("%dx%d", s->options.width, s->options.height));
		}
		g_ptr_array_add(a, g_strdup("--bar"));
		g_ptr_array_add(a, file ? g_strdup_printf("%s --config %s", qbar, qconf)
		                        : g_strdup(qbar));
		g_ptr_array_add(a, g_strdup("--ready-fd"));
		g_ptr_array_add(a, g_strdup_printf("%d", READY_FD));
		break;
	}
	case STAGE_BROKER:
	case STAGE_NOTIFYD:
		g_ptr_array_add(a, g_strdup(c->stage == STAGE_BROKER ? s->programs.transferd
		                                                     : s->programs.notifyd));
		g_ptr_array_add(a, g_strdup("--bus"));
		g_ptr_array_add(a, g_strdup(s->core_bus_address));
		g_ptr_array_add(a, g_strdup("--ready-fd"));
		g_ptr_array_add(a, g_strdup_printf("%u", READY_FD + child_n_listen_fds(c)));
		break;
	case STAGE_CAGES:
		g_ptr_array_add(a, g_strdup(s->programs.cage));
		break;
	case N_STAGES:
		g_assert_not_reached();
	}
	if (file && c->stage != STAGE_BUS) {
		g_ptr_array_add(a, g_strdup("--config"));
		g_ptr_array_add(a, g_strdup(config));
	}
	if (s->options.verbose && c->stage != STAGE_BUS)
		g_ptr_array_add(a, g_strdup("--verbose"));
	if (c->stage == STAGE_CAGES) {
		g_ptr_array_add(a, g_strdup("run"));
		g_ptr_array_add(a, g_strdup(c->cage->id));
	}
	g_ptr_array_add(a, NULL);
	return (char **)g_ptr_array_free(a, FALSE);
}

/*
 * The environment: the session's own, plus the core bus.  Core children use
 * it as their session bus; cages keep the user's (the launcher needs it for
 * systemd scopes) and find the core bus in CLOISON_CORE_BUS_ADDRESS only.
 */
static char **child_envp(Child *c)
{
	ClSession *s = c->session;
	char **envp = g_get_environ();
	unsigned n = child_n_listen_fds(c);

	envp = g_environ_unsetenv(envp, "WAYLAND_SOCKET");
	envp = g_environ_unsetenv(envp, "LISTEN_FDS");
	envp = g_environ_unsetenv(envp, "LISTEN_PID");
	envp = g_environ_unsetenv(envp, "LISTEN_FDNAMES");
	if (n > 0) {
		g_autoptr(GString) names = g_string_new(NULL);
		g_autofree char *count = g_strdup_printf("%u", n);

		/* Cage ids are [a-z0-9-]: valid socket names, no ':' in them. */
		for (unsigned i = 0; i < n; i++)
			g_string_append_printf(names, "%s%s", i ? ":" : "",
			                       ((const ClCage *)s->config->cages->pdata[i])->id);
		envp = g_environ_setenv(envp, "LISTEN_FDS", count, TRUE);
		envp = g_environ_setenv(envp, "LISTEN_FDNAMES", names->str, TRUE);
		/* The child's pid is written over this in child_setup(). */
		envp = g_environ_setenv(envp, "LISTEN_PID", LISTEN_PID_PLACEHOLDER, TRUE);
	}
	if (!s->core_bus_address)
		return envp;
	envp = g_environ_setenv(envp, CL_CORE_BUS_ENV, s->core_bus_address, TRUE);
	if (c->stage != STAGE_CAGES)
		envp = g_environ_setenv(envp, "DBUS_SESSION_BUS_ADDRESS", s->core_bus_address,
		                        TRUE);
	return envp;
}

typedef struct {
	pid_t parent;
	char *listen_pid; /* the value of LISTEN_PID= in the child's envp, or NULL */
} ChildSetup;

/* In the child, between fork and exec (async-signal-safe calls only). */
static void child_setup(gpointer data)
{
	const ChildSetup *setup = data;
	pid_t parent = setup->parent;
	sigset_t none;

	if (setup->listen_pid) {
		/* Our copy of the environment: no allocation, no lock. */
		char digits[sizeof(LISTEN_PID_PLACEHOLDER)];
		unsigned long pid = (unsigned long)getpid();
		size_t n = 0;

		do {
			digits[n++] = (char)('0' + pid % 10);
			pid /= 10;
		} while (pid && n < sizeof(digits) - 1);
		for (size_t i = 0; i < n; i++)
			setup->listen_pid[i] = digits[n - 1 - i];
		setup->listen_pid[n] = '\0';
	}
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(127);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static void child_became_ready(Child *c)
{
	ClSession *s = c->session;
	bool restarted = c->ever_ready;

	child_clear_ready(c);
	c->ready = true;
	c->ever_ready = true;
	cl_info("%s is ready (pid %d)", c->name, (int)c->pid);
	if (c->stage == STAGE_BUS && !s->bus)
		connect_core_bus(s);
	if (restarted && (c->stage == STAGE_BROKER || c->stage == STAGE_NOTIFYD)) {
		g_autofree char *body =
		        g_strdup_printf(_("%s stopped unexpectedly and was restarted."), c->name);

		post_event(s, CL_SEVERITY_WARNING, CL_EVENT_SERVICE_RESTART,
		           _("A core service was restarted"), body, NULL);
	}
	if (s->state == STATE_STARTING && c->stage == s->start_stage)
		stage_start(s, c->stage + 1);
}

/* A child that will not say it is ready: a failed start. */
static void child_not_ready(Child *c, const char *why)
{
	ClSession *s = c->session;

	cl_error("%s (pid %d) %s", c->name, (int)c->pid, why);
	child_clear_ready(c);
	if (s->state == STATE_STARTING && c->stage == s->start_stage) {
		session_stop(s, CL_SESSION_EXIT_START);
		return;
	}
	/* A restart that does not come up: its exit schedules the next try. */
	child_kill(c, SIGKILL);
}

static gboolean handle_ready_timeout(gpointer data)
{
	Child *c = data;

	c->ready_timeout = 0;
	child_not_ready(c, "did not say it was ready in time");
	return G_SOURCE_REMOVE;
}

static gboolean handle_ready_eof(gpointer data)
{
	Child *c = data;

	c->ready_timeout = 0;
	child_not_ready(c, "closed its readiness pipe without saying it was ready");
	return G_SOURCE_REMOVE;
}

static gboolean handle_ready_fd(int fd, GIOCondition cond, gpointer data)
{
	Child *c = data;
	char buf[256];
	ssize_t n = read(fd, buf, sizeof(buf));
	const char *nl;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return G_SOURCE_CONTINUE;
	if (n <= 0) {
		/*
		 * Usually the child is exiting: give its exit a moment to be
		 * reported as such (it says more than the closed pipe).
		 */
		c->ready_source = 0;
		g_clear_handle_id(&c->ready_timeout, g_source_remove);
		c->ready_timeout = g_timeout_add(READY_EOF_GRACE_MS, handle_ready_eof, c);
		return G_SOURCE_REMOVE;
	}
	g_string_append_len(c->ready_buf, buf, n);
	if (c->ready_buf->len > READY_MAX) {
		c->ready_source = 0;
		child_not_ready(c, "wrote too much on its readiness pipe");
		return G_SOURCE_REMOVE;
	}
	nl = memchr(c->ready_buf->str, '\n', c->ready_buf->len);
	if (!nl)
		return G_SOURCE_CONTINUE;
	if (c->stage == STAGE_BUS) {
		g_autofree char *address = g_strndup(c->ready_buf->str, nl - c->ready_buf->str);

		if (!g_str_has_prefix(address, "unix:") || !g_dbus_is_address(address)) {
			g_autofree char *q = cl_log_escape(address, 256);
			g_autofree char *why =
			        g_strdup_printf("printed an invalid address “%s”", q);

			c->ready_source = 0;
			child_not_ready(c, why);
			return G_SOURCE_REMOVE;
		}
		g_free(c->session->core_bus_address);
		c->session->core_bus_address = g_steal_pointer(&address);
	} else if (!g_str_has_prefix(c->ready_buf->str, "READY=1\n")) {
		c->ready_source = 0;
		child_not_ready(c, "wrote something other than READY=1 on its readiness pipe");
		return G_SOURCE_REMOVE;
	}
	c->ready_source = 0;
	child_became_ready(c);
	return G_SOURCE_REMOVE;
}

/*
 * A restarted child reads the configuration file again: check it first.  A
 * file that no longer validates (edited or damaged while the session runs)
 * is a security event, posted once per distinct error; the child is not
 * started until the file is valid again (tried again with the backoff,
 * never given up on for that reason).
 */
static bool config_still_valid(ClSession *s, Child *c)
{
	g_autoptr(ClConfig) now = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *body = NULL;

	if (strcmp(s->config->source, CL_BUILTIN_SOURCE_NAME) == 0)
		return true;
	now = cl_config_load_file(s->config->source, &error);
	if (now) {
		if (s->config_error)
			cl_info("the configuration is valid again");
		g_clear_pointer(&s->config_error, g_free);
		return true;
	}
	if (g_strcmp0(s->config_error, error->message) == 0)
		return false;
	cl_error("the configuration is no longer valid: %s; %s is not restarted until it is "
	         "fixed",
	         error->message, c->name);
	g_free(s->config_error);
	s->config_error = g_strdup(error->message);
	body = g_strdup_printf(
	        _("The configuration is no longer valid: %s. Not restarting %s until "
	          "it is fixed; the running session keeps the configuration it "
	          "started with."),
	        error->message, c->name);
	post_event(s, CL_SEVERITY_CRITICAL, CL_EVENT_CONFIG_ERROR, _("Configuration error"), body,
	           c->cage ? c->cage->id : NULL);
	return false;
}

static gboolean handle_restart(gpointer data)
{
	Child *c = data;
	ClSession *s = c->session;

	c->restart_source = 0;
	if (s->state == STATE_STOPPING)
		return G_SOURCE_REMOVE;
	if (!config_still_valid(s, c)) {
		unsigned delay = CL_SESSION_BACKOFF_MIN_MS << MIN(c->failures, 5u);

		c->failures = MIN(c->failures + 1, 5u);
		c->restart_source = g_timeout_add(delay, handle_restart, c);
		return G_SOURCE_REMOVE;
	}
	child_start(c);
	return G_SOURCE_REMOVE;
}

/* After an unexpected exit: restart with backoff, or give up. */
static void child_schedule_restart(Child *c)
{
	unsigned delay;

	if (c->failures >= CL_SESSION_MAX_FAILURES) {
		cl_error("%s failed %u times in a row: not restarting it again", c->name,
		         c->failures);
		c->given_up = true;
		return;
	}
	delay = CL_SESSION_BACKOFF_MIN_MS << MIN(c->failures, 6u);
	delay = MIN(delay, (unsigned)CL_SESSION_BACKOFF_MAX_MS);
	c->failures++;
	cl_info("restarting %s in %u ms", c->name, delay);
	c->restart_source = g_timeout_add(delay, handle_restart, c);
}

static bool stage_alive(ClSession *s, Stage stage)
{
	for (guint i = 0; i < s->children->len; i++) {
		Child *c = s->children->pdata[i];

		if (c->stage == stage && child_alive(c))
			return true;
	}
	return false;
}

static void child_exited(Child *c, int status)
{
	ClSession *s = c->session;
	g_autofree char *how = describe_status(status);
	gint64 lived_ms = (g_get_monotonic_time() - c->started_us) / 1000;
	bool was_ready = c->ready;

	child_clear_ready(c);
	g_clear_handle_id(&c->stop_source, g_source_remove);
	c->ready = false;
	if (lived_ms >= CL_SESSION_STABLE_MS)
		c->failures = 0;

	if (s->state == STATE_STOPPING) {
		cl_debug("%s %s", c->name, how);
		if ((int)c->stage == s->stop_stage && !stage_alive(s, c->stage))
			stop_next_stage(s);
		return;
	}
	if (!was_ready && c->stage != STAGE_CAGES && s->state == STATE_STARTING &&
	    c->stage == s->start_stage) {
		cl_error("%s %s before it was ready", c->name, how);
		session_stop(s, CL_SESSION_EXIT_START);
		return;
	}
	switch (c->stage) {
	case STAGE_BUS:
		cl_error("the core bus %s: ending the session", how);
		session_stop(s, CL_SESSION_EXIT_CORE);
		return;
	case STAGE_COMPOSITOR:
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			cl_info("the compositor quit: ending the session");
			session_stop(s, CL_SESSION_EXIT_OK);
		} else {
			cl_error("the compositor %s: ending the session", how);
			session_stop(s, CL_SESSION_EXIT_CORE);
		}
		return;
	case STAGE_BROKER:
	case STAGE_NOTIFYD:
		cl_warn("%s %s", c->name, how);
		child_schedule_restart(c);
		return;
	case STAGE_CAGES: {
		g_autofree char *body = NULL;

		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			cl_info("%s stopped", c->name);
			return;
		}
		if (c->stopping) { /* StopCage, then SIGKILL after the timeout */
			cl_info("%s stopped (%s after it was asked to stop)", c->name, how);
			return;
		}
		cl_warn("%s %s%s", c->name, how, c->cage->restart ? "" : " (restart=false)");
		/*
		 * A launcher that exits by itself has posted what its cage did
		 * (cage.crashed when the cage ended abnormally): one event per
		 * crash.  Only a launcher killed by a signal could not post.
		 */
		if (WIFSIGNALED(status)) {
			body = g_strdup_printf(_("The launcher of cage %s was killed (%s): the "
			                         "cage stopped with it."),
			                       c->cage->id, how);
			post_event(s, CL_SEVERITY_WARNING, CL_EVENT_CAGE_CRASHED,
			           _("A cage stopped"), body, c->cage->id);
		}
		if (c->cage->restart)
			child_schedule_restart(c);
		return;
	}
	case N_STAGES:
		break;
	}
	g_assert_not_reached();
}

static gboolean handle_pidfd(int fd, GIOCondition cond, gpointer data)
{
	Child *c = data;
	siginfo_t si = {0};
	int status;

	/*
	 * The process has exited but is not reaped: its pid (and so its
	 * process group id) cannot be reused yet.  Whatever it left behind in
	 * its group goes with it.
	 */
	if (kill(-c->pid, SIGKILL) < 0 && errno != ESRCH)
		cl_debug("kill process group %d: %s", (int)c->pid, g_strerror(errno));
	if (waitid((idtype_t)P_PIDFD, (id_t)fd, &si, WEXITED | WNOHANG) < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return G_SOURCE_CONTINUE;
		cl_error("waitid on %s (pid %d): %s", c->name, (int)c->pid, g_strerror(errno));
		status = 0xff << 8;
	} else if (si.si_pid == 0) {
		return G_SOURCE_CONTINUE;
	} else if (si.si_code == CLD_EXITED) {
		status = (si.si_status & 0xff) << 8;
	} else {
		status = (si.si_status & 0x7f) | (si.si_code == CLD_DUMPED ? 0x80 : 0);
	}
	c->pid_source = 0;
	c->pidfd = cl_close(c->pidfd);
	c->pid = 0;
	child_exited(c, status);
	return G_SOURCE_REMOVE;
}

static void child_start(Child *c)
{
	ClSession *s = c->session;
	g_auto(GStrv) argv = child_argv(c);
	g_auto(GStrv) envp = child_envp(c);
	g_autoptr(GError) error = NULL;
	int pipefd[2] = {-1, -1};
	bool wants_ready = c->stage != STAGE_CAGES;
	unsigned n_listen = child_n_listen_fds(c);
	g_autofree int *source_fds = g_new(int, n_listen + 1);
	g_autofree int *target_fds = g_new(int, n_listen + 1);
	ChildSetup setup = {.parent = getpid()};
	GPid pid;
	int pidfd;

	for (char **e = envp; n_listen > 0 && *e; e++)
		if (g_str_has_prefix(*e, "LISTEN_PID="))
			setup.listen_pid = *e + strlen("LISTEN_PID=");
	/* The cages' sockets at 3…, the readiness pipe after them. */
	for (unsigned i = 0; i < n_listen; i++) {
		source_fds[i] = c->listen_fds[i];
		target_fds[i] = CL_LISTEN_FDS_START + (int)i;
	}
	target_fds[n_listen] = READY_FD + (int)n_listen;

	if (wants_ready && pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) < 0) {
		cl_error("cannot start %s: pipe: %s", c->name, g_strerror(errno));
		goto failed;
	}
	/*
	 * The child's end is blocking: a core program writes one line there.
	 * Children write to our stderr only (standard output is the session's,
	 * for the demo's answer); their standard input is /dev/null.
	 */
	if (wants_ready)
		fcntl(pipefd[1], F_SETFL, 0);
	source_fds[n_listen] = pipefd[1];
	if (!g_spawn_async_with_pipes_and_fds(
	            NULL, (const char *const *)argv, (const char *const *)envp,
	            G_SPAWN_DO_NOT_REAP_CHILD, child_setup, &setup, -1,
	            s->stderr_copy >= 0 ? s->stderr_copy : STDERR_FILENO, -1,
	            wants_ready ? source_fds : NULL, wants_ready ? target_fds : NULL,
	            wants_ready ? n_listen + 1 : 0, &pid, NULL, NULL, NULL, &error)) {
		cl_error("cannot start %s: %s", c->name, error->message);
		cl_close(pipefd[0]);
		cl_close(pipefd[1]);
		goto failed;
	}
	cl_close(pipefd[1]);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		/* Cannot happen for an unreaped child of ours, short of EMFILE. */
		cl_error("pidfd_open(%d) for %s: %s", (int)pid, c->name, g_strerror(errno));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		cl_close(pipefd[0]);
		goto failed;
	}
	fcntl(pidfd, F_SETFD, FD_CLOEXEC);
	c->pid = pid;
	c->pidfd = pidfd;
	c->stopping = false;
	c->ready = false;
	c->started_us = g_get_monotonic_time();
	c->pid_source = g_unix_fd_add(pidfd, G_IO_IN, handle_pidfd, c);
	cl_info("started %s (pid %d)", c->name, (int)pid);
	if (wants_ready) {
		c->ready_fd = pipefd[0];
		c->ready_buf = g_string_new(NULL);
		c->ready_source = g_unix_fd_add(c->ready_fd, G_IO_IN | G_IO_HUP | G_IO_ERR,
		                                handle_ready_fd, c);
		c->ready_timeout =
		        g_timeout_add(CL_SESSION_READY_TIMEOUT_MS, handle_ready_timeout, c);
	}
	return;

failed:
	if (s->state == STATE_STARTING && c->stage == s->start_stage)
		session_stop(s, CL_SESSION_EXIT_START);
	else if (s->state != STATE_STOPPING && (c->stage != STAGE_CAGES || c->cage->restart))
		child_schedule_restart(c);
}

/* ---- Starting and stopping -------------------------------------------------------------- */

static void stage_start(ClSession *s, Stage stage)
{
	s->start_stage = stage;
	if (stage == N_STAGES) {
		s->state = STATE_RUNNING;
		cl_info("the session is running");
		if (s->options.demo && s->options.backend == CL_SESSION_BACKEND_HEADLESS)
			demo_start_watch(s);
		return;
	}
	for (guint i = 0; i < s->children->len; i++) {
		Child *c = s->children->pdata[i];

		if (c->stage == stage)
			child_start(c);
		if (s->state != STATE_STARTING)
			return;
	}
	/* Cages have no readiness: the session runs once they are started. */
	if (stage == STAGE_CAGES)
		stage_start(s, N_STAGES);
}

static gboolean handle_stop_timeout(gpointer data)
{
	ClSession *s = data;

	s->stop_timer = 0;
	for (guint i = 0; i < s->children->len; i++) {
		Child *c = s->children->pdata[i];

		if ((int)c->stage == s->stop_stage && child_alive(c)) {
			cl_warn("%s (pid %d) still runs %d ms after SIGTERM: killing it", c->name,
			        (int)c->pid, CL_SESSION_STOP_TIMEOUT_MS);
			child_kill(c, SIGKILL);
			/* Not reaped yet: the group id is still its own. */
			kill(-c->pid, SIGKILL);
		}
	}
	return G_SOURCE_REMOVE;
}

static void stop_next_stage(ClSession *s)
{
	g_clear_handle_id(&s->stop_timer, g_source_remove);
	for (; s->stop_stage >= 0; s->stop_stage--) {
		bool any = false;

		for (guint i = 0; i < s->children->len; i++) {
			Child *c = s->children->pdata[i];

			if (c->stage != (Stage)s->stop_stage || !child_alive(c))
				continue;
			any = true;
			if (!c->stopping) {
				c->stopping = true;
				child_kill(c, SIGTERM);
			}
		}
		if (any) {
			s->stop_timer =
			        g_timeout_add(CL_SESSION_STOP_TIMEOUT_MS, handle_stop_timeout, s);
			return;
		}
	}
	s->done = true;
}

static void session_stop(ClSession *s, int exit_code)
{
	if (s->state == STATE_STOPPING)
		return;
	cl_info("stopping the session");
	s->state = STATE_STOPPING;
	s->exit_code = exit_code;
	for (guint i = 0; i < s->children->len; i++) {
		Child *c = s->children->pdata[i];

		g_clear_handle_id(&c->restart_source, g_source_remove);
		child_clear_ready(c);
	}
	s->stop_stage = N_STAGES - 1;
	stop_next_stage(s);
}

static gboolean handle_signal(gpointer data)
{
	ClSession *s = data;

	session_stop(s, CL_SESSION_EXIT_OK);
	return G_SOURCE_CONTINUE;
}

/* ---- org.cloison.Session1 on the core bus --------------------------------------------------- */

static const char session_bus_xml[] =
        "<node>"
        " <interface name='" CL_SESSION_IFACE "'>"
        "  <method name='StartCage'><arg type='s' name='cage' direction='in'/></method>"
        "  <method name='StopCage'><arg type='s' name='cage' direction='in'/></method>"
        "  <method name='ListCages'><arg type='a(ssb)' name='cages' direction='out'/></method>"
        " </interface>"
        "</node>";

/* The child of a configured cage, or NULL if it was never started. */
static Child *cage_child(ClSession *s, const ClCage *cage)
{
	for (guint i = 0; i < s->children->len; i++) {
		Child *c = s->children->pdata[i];

		if (c->stage == STAGE_CAGES && c->cage == cage)
			return c;
	}
	return NULL;
}

static void return_error(GDBusMethodInvocation *inv, const char *name, const char *format, ...)
        G_GNUC_PRINTF(3, 4);

static void return_error(GDBusMethodInvocation *inv, const char *name, const char *format, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, format);
	msg = g_strdup_vprintf(format, ap);
	va_end(ap);
	cl_warn("%s: %s", g_dbus_method_invocation_get_method_name(inv), msg);
	g_dbus_method_invocation_return_dbus_error(inv, name, msg);
}

/* The configured cage an argument names, or NULL + a D-Bus error naming it. */
static const ClCage *cage_arg(ClSession *s, const char *id, GDBusMethodInvocation *inv)
{
	g_autofree char *q = cl_log_escape(id, 64);
	const ClCage *cage;

	if (strlen(id) > CL_SESSION_MAX_ARG || !cl_id_is_valid(id)) {
		return_error(inv, CL_SESSION_ERROR_UNKNOWN_CAGE,
		             _("“%s” is not a cage id (1 to 32 characters a-z, 0-9, -)"), q);
		return NULL;
	}
	cage = cl_config_get_cage(s->config, id);
	if (!cage)
		return_error(inv, CL_SESSION_ERROR_UNKNOWN_CAGE,
		             _("there is no cage “%s” in the configuration (%s)"), q,
		             s->config->source);
	return cage;
}

/* StartCage: the autostart path (child_start), with the cage's restart policy. */
static void start_cage(ClSession *s, const ClCage *cage, GDBusMethodInvocation *inv)
{
	Child *c = cage_child(s, cage);
	g_autofree char *state = NULL;

	if (s->state != STATE_RUNNING) {
		return_error(inv, CL_SESSION_ERROR_FAILED,
		             s->state == STATE_STOPPING
		                     ? _("cannot start cage %s: the session is stopping")
		                     : _("cannot start cage %s: the session is still starting"),
		             cage->id);
		return;
	}
	if (c && child_alive(c)) {
		return_error(inv, CL_SESSION_ERROR_ALREADY_RUNNING, _("cage %s is already running"),
		             cage->id);
		return;
	}
	/* Started by hand (`cloison-cage run`): a second launcher would fail at once. */
	state = cl_cage_state(s->config, cage->id);
	if (g_str_has_prefix(state, "running")) {
		return_error(inv, CL_SESSION_ERROR_ALREADY_RUNNING,
		             _("cage %s is already running, started outside the session"),
		             cage->id);
		return;
	}
	if (!c) {
		g_autofree char *name = g_strdup_printf("cage %s", cage->id);

		c = child_new(s, STAGE_CAGES, name, cage);
		g_ptr_array_add(s->children, c);
	}
	/* Asked for by the user: a pending restart or a given-up cage starts afresh. */
	g_clear_handle_id(&c->restart_source, g_source_remove);
	c->failures = 0;
	c->given_up = false;
	child_start(c);
	if (!child_alive(c)) {
		g_clear_handle_id(&c->restart_source, g_source_remove);
		return_error(inv, CL_SESSION_ERROR_FAILED,
		             _("cannot start cage %s: its launcher did not start (see the "
		               "session's log)"),
		             cage->id);
		return;
	}
	g_dbus_method_invocation_return_value(inv, NULL);
}

static gboolean handle_cage_stop_timeout(gpointer data)
{
	Child *c = data;

	c->stop_source = 0;
	if (child_alive(c)) {
		cl_warn("%s (pid %d) still runs %d ms after SIGTERM: killing it", c->name,
		        (int)c->pid, CL_SESSION_STOP_TIMEOUT_MS);
		child_kill(c, SIGKILL);
		kill(-c->pid, SIGKILL);
	}
	return G_SOURCE_REMOVE;
}

static void stop_cage(ClSession *s, const ClCage *cage, GDBusMethodInvocation *inv)
{
	Child *c = cage_child(s, cage);

	if (s->state == STATE_STOPPING) {
		return_error(inv, CL_SESSION_ERROR_FAILED,
		             _("cannot stop cage %s: the session is stopping"), cage->id);
		return;
	}
	if (c && !child_alive(c) && c->restart_source) {
		g_clear_handle_id(&c->restart_source, g_source_remove);
		cl_info("%s: its restart is cancelled (StopCage)", c->name);
		g_dbus_method_invocation_return_value(inv, NULL);
		return;
	}
	if (!c || !child_alive(c)) {
		g_autofree char *state = cl_cage_state(s->config, cage->id);

		return_error(inv, CL_SESSION_ERROR_NOT_RUNNING,
		             g_str_has_prefix(state, "running")
		                     ? _("cage %s was not started by the session: it cannot stop "
		                         "it")
		                     : _("cage %s is not running"),
		             cage->id);
		return;
	}
	if (!c->stopping) {
		cl_info("stopping %s (pid %d, StopCage)", c->name, (int)c->pid);
		c->stopping = true;
		child_kill(c, SIGTERM);
		c->stop_source =
		        g_timeout_add(CL_SESSION_STOP_TIMEOUT_MS, handle_cage_stop_timeout, c);
	}
	g_dbus_method_invocation_return_value(inv, NULL);
}

static void handle_session_method(GDBusConnection *bus, const char *sender, const char *path,
                                  const char *iface, const char *method, GVariant *params,
                                  GDBusMethodInvocation *inv, gpointer data)
{
	ClSession *s = data;

	/* GDBus checked the arguments against the interface's signatures. */
	if (strcmp(method, "ListCages") == 0) {
		GVariantBuilder b;

		g_variant_builder_init(&b, G_VARIANT_TYPE("a(ssb)"));
		for (guint i = 0; i < s->config->cages->len; i++) {
			const ClCage *cage = s->config->cages->pdata[i];
			Child *c = cage_child(s, cage);

			g_variant_builder_add(&b, "(ssb)", cage->id, cage->level->id,
			                      c && child_alive(c));
		}
		g_dbus_method_invocation_return_value(inv, g_variant_new("(a(ssb))", &b));
	} else if (strcmp(method, "StartCage") == 0 || strcmp(method, "StopCage") == 0) {
		const char *id;
		const ClCage *cage;

		g_variant_get(params, "(&s)", &id);
		cage = cage_arg(s, id, inv);
		if (!cage)
			return;
		cl_info("%s(%s) from %s", method, cage->id, sender ? sender : "?");
		if (strcmp(method, "StartCage") == 0)
			start_cage(s, cage, inv);
		else
			stop_cage(s, cage, inv);
	} else {
		/* Not reached: GDBus answers calls of methods not in the interface. */
		g_dbus_method_invocation_return_dbus_error(
		        inv, "org.freedesktop.DBus.Error.UnknownMethod", "no such method");
	}
}

static const GDBusInterfaceVTable session_vtable = {.method_call = handle_session_method};

/*
 * Before the compositor (and so the bar) starts: the name is owned when the
 * bar first looks for it.  A failure leaves the bar starting cages itself.
 */
static void serve_core_bus(ClSession *s)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GDBusNodeInfo) info = g_dbus_node_info_new_for_xml(session_bus_xml, &error);
	g_autoptr(GVariant) reply = NULL;
	guint32 result = 0;

	if (info)
		s->bus_object = g_dbus_connection_register_object(s->bus, CL_SESSION_PATH,
		                                                  info->interfaces[0],
		                                                  &session_vtable, s, NULL, &error);
	if (s->bus_object)
		reply = g_dbus_connection_call_sync(
		        s->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
		        "org.freedesktop.DBus", "RequestName",
		        g_variant_new("(su)", CL_SESSION_BUS_NAME, 4u /* DO_NOT_QUEUE */),
		        G_VARIANT_TYPE("(u)"), G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
	if (reply)
		g_variant_get(reply, "(u)", &result);
	if (result == 1) /* primary owner */
		return;
	if (!error)
		g_set_error(&error, G_IO_ERROR, G_IO_ERROR_EXISTS, "the name is taken");
	cl_warn("cannot serve %s on the core bus (cages started from the bar will not be "
	        "supervised): %s",
	        CL_SESSION_BUS_NAME, error->message);
	if (s->bus_object)
		g_dbus_connection_unregister_object(s->bus, s->bus_object);
	s->bus_object = 0;
}

/* ---- The demo ------------------------------------------------------------------------------ */

const char *cl_session_demo_file_manager(void)
{
	/* Nautilus first: it shows where documents came from (issue 9). */
	static const char *const managers[] = {"nautilus", "thunar", "nemo", "dolphin", "pcmanfm"};

	for (size_t i = 0; i < G_N_ELEMENTS(managers); i++) {
		g_autofree char *path = g_build_filename("/usr/bin", managers[i], NULL);

		if (g_file_test(path, G_FILE_TEST_IS_EXECUTABLE))
			return managers[i];
	}
	return NULL;
}

char *cl_session_demo_config(void)
{
	GString *t = g_string_new(NULL);
	const char *fm = cl_session_demo_file_manager();
	g_autofree char *more = fm ? g_strconcat(";", fm, NULL) : g_strdup("");

	g_string_append(t, "[level low]\nlabel=Low\nlabel[fr]=Bas\ncolour=#2e7d32\nrank=0\n\n"
	                   "[level high]\nlabel=High\nlabel[fr]=Haut\ncolour=#c62828\nrank=10\n\n");
	g_string_append_printf(
	        t, "[cage " CL_SESSION_DEMO_LOW "]\nlevel=low\napplications=foot%s\n\n", more);
	g_string_append_printf(
	        t, "[cage " CL_SESSION_DEMO_HIGH "]\nlevel=high\napplications=foot%s", more);
	if (g_file_test("/usr/bin/gtk4-demo", G_FILE_TEST_IS_EXECUTABLE))
		g_string_append(t, ";gtk4-demo");
	g_string_append(t, "\n\n[transfer low high]\naction=ask\ntypes=*/*\n\n"
	                   "[transfer high low]\naction=ask-declassify\ntypes=text/plain\n");
	return g_string_free(t, FALSE);
}

/* The demo's configuration goes to core/demo.conf, which every child reads. */
static bool demo_write_config(ClSession *s, GError **error)
{
	g_autofree char *text = cl_session_demo_config();
	g_autofree char *path = g_build_filename(s->runtime_dir, "core", DEMO_CONFIG_FILE, NULL);
	_cleanup_close_ int core =
	        openat(s->runtime_fd, "core", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int r = core < 0
	                ? -errno
	                : cl_write_file_atomic_at(core, DEMO_CONFIG_FILE, text, strlen(text), 0600);

	if (r < 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r), _("cannot write %s: %s"),
		            path, g_strerror(-r));
		return false;
	}
	g_free(s->config->source);
	s->config->source = g_steal_pointer(&path);
	return true;
}

/*
 * The sample document in the low cage's home, unless one is there: created
 * without following a symlink (the home belongs to a cage), owned like the
 * home.
 */
static void demo_write_document(ClSession *s)
{
	static const char text[] =
	        "Welcome to Cloison.\n\n"
	        "This document lives in the cage demo-low (level Low). Send it to the High\n"
	        "level from a terminal of this cage:\n\n"
	        "    cloison-transfer --to demo-high \"Welcome to Cloison.txt\"\n\n"
	        "and confirm on the trusted dialog. Nothing crosses levels otherwise.\n";
	g_autoptr(GError) error = NULL;
	_cleanup_close_ int cage =
	        cl_paths_ensure_cage_data(s->data_home, CL_SESSION_DEMO_LOW, &error);
	_cleanup_close_ int home = -1, fd = -1;
	struct stat st;

	if (cage < 0) {
		cl_warn("demo: %s", error->message);
		return;
	}
	if (mkdirat(cage, "home", 0700) < 0 && errno != EEXIST)
		goto fail;
	home = openat(cage, "home", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (home < 0 || fstat(home, &st) < 0)
		goto fail;
	fd = openat(home, CL_SESSION_DEMO_DOCUMENT,
	            O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0 && errno == EEXIST)
		return;
	if (fd < 0 || cl_write_all(fd, text, sizeof(text) - 1) < 0 ||
	    (st.st_uid != geteuid() && fchown(fd, st.st_uid, st.st_gid) < 0))
		goto fail;
	cl_info("demo: sample document “%s” in cage %s", CL_SESSION_DEMO_DOCUMENT,
	        CL_SESSION_DEMO_LOW);
	return;
fail:
	cl_warn("demo: cannot write the sample document in cage %s: %s", CL_SESSION_DEMO_LOW,
	        g_strerror(errno));
}

/* One request on the compositor's control socket; the parsed reply or NULL. */
static JsonObject *ctl_request(ClSession *s, const char *request)
{
	g_autofree char *path = cl_paths_socket(s->xdg_runtime_dir, NULL, CL_CTL_SOCKET, NULL);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = 5};
	g_autoptr(GString) reply = g_string_new(NULL);
	g_autoptr(JsonParser) parser = json_parser_new();
	_cleanup_close_ int fd = -1;
	JsonNode *root;
	char buf[4096];

	if (!path || strlen(path) >= sizeof(sa.sun_path))
		return NULL;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    cl_write_all(fd, request, strlen(request)) < 0)
		return NULL;
	while (!memchr(reply->str, '\n', reply->len) && reply->len < 16 * 1024 * 1024) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n <= 0)
			break;
		g_string_append_len(reply, buf, n);
	}
	if (!json_parser_load_from_data(parser, reply->str, (gssize)reply->len, NULL))
		return NULL;
	root = json_parser_get_root(parser);
	if (!root || !JSON_NODE_HOLDS_OBJECT(root) ||
	    !json_object_get_boolean_member_with_default(json_node_get_object(root), "ok", FALSE))
		return NULL;
	return json_object_ref(json_node_get_object(root));
}

/* How many windows of this role (and cage, if not NULL) are mapped? */
static guint demo_count_mapped(JsonArray *windows, const char *role, const char *cage)
{
	guint n = 0;

	for (guint j = 0; j < json_array_get_length(windows); j++) {
		JsonObject *w = json_array_get_object_element(windows, j);

		if (json_object_get_boolean_member_with_default(w, "mapped", FALSE) &&
		    g_strcmp0(json_object_get_string_member_with_default(w, "role", ""), role) ==
		            0 &&
		    (!cage || g_strcmp0(json_object_get_string_member_with_default(w, "cage", ""),
		                        cage) == 0))
			n++;
	}
	return n;
}

/* Is a window of this role (and cage, if not NULL) mapped? */
static bool demo_has_mapped(JsonArray *windows, const char *role, const char *cage)
{
	for (guint j = 0; windows && j < json_array_get_length(windows); j++) {
		JsonObject *w = json_array_get_object_element(windows, j);

		if (json_object_get_boolean_member_with_default(w, "mapped", FALSE) &&
		    g_strcmp0(json_object_get_string_member_with_default(w, "role", ""), role) ==
		            0 &&
		    (!cage || g_strcmp0(json_object_get_string_member_with_default(w, "cage", ""),
		                        cage) == 0))
			return true;
	}
	return false;
}

/* Are the bar and a window of each application of every autostart cage mapped? */
static bool demo_all_mapped(ClSession *s)
{
	g_autoptr(JsonObject) reply = ctl_request(s, "{\"command\":\"windows\"}\n");
	JsonArray *windows;

	if (!reply || !json_object_has_member(reply, "windows"))
		return false;
	windows = json_object_get_array_member(reply, "windows");
	if (!demo_has_mapped(windows, "bar", NULL))
		return false;
	for (guint i = 0; i < s->children->len; i++) {
		Child *c = s->children->pdata[i];

		guint want;

		if (c->stage != STAGE_CAGES)
			continue;
		/* A window per application: foot, the file manager… */
		want = c->cage->applications ? g_strv_length(c->cage->applications) : 0;
		if (demo_count_mapped(windows, "window", c->cage->id) < MAX(want, 1))
			return false;
	}
	return true;
}

static gboolean handle_demo_check(gpointer data)
{
	ClSession *s = data;
	g_autofree char *shot = NULL, *request = NULL, *quoted = NULL;
	g_autoptr(JsonObject) reply = NULL;
	g_autoptr(JsonNode) node = NULL;

	if (s->state != STATE_RUNNING) {
		s->demo_timer = 0;
		return G_SOURCE_REMOVE;
	}
	if ((g_get_monotonic_time() - s->demo_started_us) / 1000 > CL_SESSION_DEMO_WAIT_MS) {
		cl_error("demo: the bar and the cages' windows did not all appear within %d s",
		         CL_SESSION_DEMO_WAIT_MS / 1000);
		s->demo_timer = 0;
		session_stop(s, CL_SESSION_EXIT_START);
		return G_SOURCE_REMOVE;
	}
	/* Mapped in two checks in a row: the applications drew their content. */
	s->demo_seen = demo_all_mapped(s) ? s->demo_seen + 1 : 0;
	if (s->demo_seen < 2)
		return G_SOURCE_CONTINUE;
	s->demo_timer = 0;
	shot = g_build_filename(s->state_home, "cloison", CL_SESSION_DEMO_SHOT, NULL);
	node = json_node_init_string(json_node_alloc(), shot);
	quoted = json_to_string(node, FALSE);
	request = g_strdup_printf("{\"command\":\"screenshot\",\"path\":%s}\n", quoted);
	reply = ctl_request(s, request);
	if (!reply) {
		cl_error("demo: the compositor did not write the screenshot %s", shot);
		session_stop(s, CL_SESSION_EXIT_START);
		return G_SOURCE_REMOVE;
	}
	printf(_("Screenshot of the demo session: %s\n"), shot);
	fflush(stdout);
	session_stop(s, CL_SESSION_EXIT_OK);
	return G_SOURCE_REMOVE;
}

static void demo_start_watch(ClSession *s)
{
	s->demo_started_us = g_get_monotonic_time();
	s->demo_timer = g_timeout_add(DEMO_CHECK_MS, handle_demo_check, s);
}

/* ---- Public ------------------------------------------------------------------------------ */

ClSession *cl_session_new(ClConfig *config, ClSessionPrograms *programs,
                          const ClSessionOptions *options, GError **error)
{
	g_autoptr(ClSession) s = g_new0(ClSession, 1);

	s->runtime_fd = -1;
	s->lock_fd = -1;
	s->stderr_copy = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	s->options = *options;
	s->children = g_ptr_array_new_with_free_func((GDestroyNotify)child_free);
	s->xdg_runtime_dir = cl_paths_xdg_runtime_dir(error);
	if (!s->xdg_runtime_dir)
		return NULL;
	s->runtime_dir = g_build_filename(s->xdg_runtime_dir, "cloison", NULL);
	s->data_home = cl_paths_data_home(error);
	if (!s->data_home)
		return NULL;
	s->state_home = cl_paths_state_home(error);
	if (!s->state_home)
		return NULL;
	if (lock_is_held(s->runtime_dir, SESSION_LOCK_FILE) ||
	    lock_is_held(s->runtime_dir, COMP_LOCK_FILE)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_BUSY,
		            _("another Cloison session already runs on %s"), s->runtime_dir);
		return NULL;
	}
	/* A broker or notifyd started by hand: its sockets are not ours to replace. */
	for (guint i = 0; i < config->cages->len; i++) {
		static const char *const which[][2] = {{CL_SOCKET_TRANSFER, "cloison-transferd"},
		                                       {CL_SOCKET_NOTIFY, "cloison-notifyd"}};
		const ClCage *cage = config->cages->pdata[i];

		for (size_t k = 0; k < G_N_ELEMENTS(which); k++) {
			g_autofree char *path =
			        cl_paths_socket(s->xdg_runtime_dir, cage->id, which[k][0], error);

			if (!path)
				return NULL;
			if (cl_listen_in_use(path)) {
				g_set_error(error, G_IO_ERROR, G_IO_ERROR_BUSY,
				            _("%s is in use: is another %s running?"), path,
				            which[k][1]);
				return NULL;
			}
		}
	}
	s->config = config;
	s->programs = *programs;
	memset(programs, 0, sizeof(*programs));
	s->transfer_fds = g_new(int, MAX(config->cages->len, 1));
	s->notify_fds = g_new(int, MAX(config->cages->len, 1));
	for (guint i = 0; i < config->cages->len; i++)
		s->transfer_fds[i] = s->notify_fds[i] = -1;

	g_ptr_array_add(s->children, child_new(s, STAGE_BUS, "the core bus", NULL));
	g_ptr_array_add(s->children, child_new(s, STAGE_COMPOSITOR, "the compositor", NULL));
	g_ptr_array_add(s->children, child_new(s, STAGE_BROKER, "cloison-transferd", NULL));
	g_ptr_array_add(s->children, child_new(s, STAGE_NOTIFYD, "cloison-notifyd", NULL));
	if (config->cages->len > 0) {
		((Child *)s->children->pdata[STAGE_BROKER])->listen_fds = s->transfer_fds;
		((Child *)s->children->pdata[STAGE_NOTIFYD])->listen_fds = s->notify_fds;
	}
	for (guint i = 0; i < config->cages->len; i++) {
		const ClCage *cage = config->cages->pdata[i];
		g_autofree char *name = NULL;

		if (!cage->autostart)
			continue;
		name = g_strdup_printf("cage %s", cage->id);
		g_ptr_array_add(s->children, child_new(s, STAGE_CAGES, name, cage));
	}
	return g_steal_pointer(&s);
}

/*
 * Every cage's transfer and notify socket, once for the session: a daemon
 * started by hand that still listens on one is refused, stale ones replaced.
 */
static bool create_sockets(ClSession *s, GError **error)
{
	for (guint i = 0; i < s->config->cages->len; i++) {
		const ClCage *cage = s->config->cages->pdata[i];
		_cleanup_close_ int dir_fd =
		        cl_paths_ensure_cage_runtime(s->runtime_fd, cage->id, error);
		g_autofree char *transfer = NULL, *notify = NULL;

		if (dir_fd < 0)
			return false;
		transfer = cl_paths_socket(s->xdg_runtime_dir, cage->id, CL_SOCKET_TRANSFER, error);
		if (!transfer)
			return false;
		s->transfer_fds[i] = cl_listen_unix_at(dir_fd, CL_SOCKET_TRANSFER, transfer,
		                                       "cloison-transferd", error);
		if (s->transfer_fds[i] < 0)
			return false;
		notify = cl_paths_socket(s->xdg_runtime_dir, cage->id, CL_SOCKET_NOTIFY, error);
		if (!notify)
			return false;
		s->notify_fds[i] = cl_listen_unix_at(dir_fd, CL_SOCKET_NOTIFY, notify,
		                                     "cloison-notifyd", error);
		if (s->notify_fds[i] < 0)
			return false;
	}
	return true;
}

static bool prepare_dirs(ClSession *s, GError **error)
{
	_cleanup_close_ int state_fd = -1;
	struct stat st;

	s->created_runtime = stat(s->runtime_dir, &st) < 0 && errno == ENOENT;
	s->runtime_fd = cl_paths_ensure_runtime(s->xdg_runtime_dir, error);
	if (s->runtime_fd < 0)
		return false;
	s->lock_fd = openat(s->runtime_fd, "core/" SESSION_LOCK_FILE,
	                    O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (s->lock_fd < 0 || flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
		            _("cannot lock %s/core/%s: %s"), s->runtime_dir, SESSION_LOCK_FILE,
		            g_strerror(errno));
		return false;
	}
	s->created_runtime = true; /* ours now: removed at the end */
	if (s->options.demo) {
		if (!demo_write_config(s, error))
			return false;
		demo_write_document(s);
	}
	state_fd = cl_paths_ensure_state_dir(s->state_home, error);
	if (state_fd < 0)
		return false;
	/*
	 * Each cage's data directory; its home inside is the launcher's to
	 * create and check (started by root, it belongs to the cage account).
	 */
	for (guint i = 0; i < s->config->cages->len; i++) {
		const ClCage *cage = s->config->cages->pdata[i];
		int fd = cl_paths_ensure_cage_data(s->data_home, cage->id, error);

		if (fd < 0)
			return false;
		cl_close(fd);
	}
	return create_sockets(s, error);
}

static void remove_runtime_dir(ClSession *s)
{
	_cleanup_close_ int parent = -1;
	int r;

	if (!s->created_runtime)
		return;
	parent = open(s->xdg_runtime_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (parent < 0) {
		cl_warn("cannot open %s: %s", s->xdg_runtime_dir, g_strerror(errno));
		return;
	}
	r = remove_tree_at(parent, "cloison", 0);
	if (r < 0)
		cl_warn("cannot remove %s: %s", s->runtime_dir, g_strerror(-r));
}

int cl_session_run(ClSession *s)
{
	g_autoptr(GError) error = NULL;
	static const int signals[] = {SIGTERM, SIGINT, SIGHUP};

	for (size_t i = 0; i < G_N_ELEMENTS(signals); i++)
		s->signal_sources[i] = g_unix_signal_add(signals[i], handle_signal, s);
	signal(SIGPIPE, SIG_IGN);

	if (!prepare_dirs(s, &error)) {
		g_autofree char *msg = cl_log_escape(error->message, 4096);

		cl_error("%s", msg);
		remove_runtime_dir(s);
		return CL_SESSION_EXIT_START;
	}
	cl_info("configuration: %s; runtime directory: %s", s->config->source, s->runtime_dir);
	s->state = STATE_STARTING;
	stage_start(s, STAGE_BUS);
	while (!s->done)
		g_main_context_iteration(NULL, TRUE);

	if (s->bus && s->bus_object)
		g_dbus_connection_unregister_object(s->bus, s->bus_object);
	s->bus_object = 0;
	g_clear_object(&s->bus);
	remove_runtime_dir(s);
	cl_info("the session ended (exit status %d)", s->exit_code);
	return s->exit_code;
}

void cl_session_free(ClSession *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < G_N_ELEMENTS(s->signal_sources); i++)
		g_clear_handle_id(&s->signal_sources[i], g_source_remove);
	g_clear_handle_id(&s->stop_timer, g_source_remove);
	g_clear_handle_id(&s->demo_timer, g_source_remove);
	if (s->bus && s->bus_object)
		g_dbus_connection_unregister_object(s->bus, s->bus_object);
	g_ptr_array_unref(s->children);
	g_clear_object(&s->bus);
	for (guint i = 0; s->config && i < s->config->cages->len; i++) {
		cl_close(s->transfer_fds[i]);
		cl_close(s->notify_fds[i]);
	}
	g_free(s->transfer_fds);
	g_free(s->notify_fds);
	cl_close(s->lock_fd);
	cl_close(s->runtime_fd);
	cl_close(s->stderr_copy);
	cl_config_free(s->config);
	g_free(s->config_error);
	cl_session_programs_clear(&s->programs);
	g_free(s->xdg_runtime_dir);
	g_free(s->runtime_dir);
	g_free(s->data_home);
	g_free(s->state_home);
	g_free(s->core_bus_address);
	g_free(s);
}
