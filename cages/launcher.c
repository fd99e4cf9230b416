/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cloison-build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "event-limit.h"
#include "i18n.h"
#include "init-protocol.h"
#include "launcher.h"
#include "log.h"
#include "paths.h"
#include "sandbox.h"
#include "seccomp-policy.h"
#include "security-events.h"
#include "util.h"

#define STOP_GRACE_S     10
#define MAX_EXEC_CLIENTS 32
#define MSG_MAX          (sizeof(ClInitHeader) + CL_INIT_MAX_PAYLOAD)
#define FIRST_CLIENT_ID  1000
#define STAGE_DIR        "/tmp" /* root only: private tmpfs in the child's mount ns */
#define CL_STAGE_MAX     7 /* home, 3 sockets, init, notification forwarder, Nautilus extensions */
#define POSTS_WAIT_MS    3000 /* how long the ending launcher waits for its poster */

/* ---- small helpers ------------------------------------------------------- */

char *cl_cage_describe_status(int status)
{
	if (WIFEXITED(status))
		return g_strdup_printf(_("exited with status %d"), WEXITSTATUS(status));
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		if (sig == SIGSYS)
			return g_strdup(_("killed by seccomp (SIGSYS)"));
		return g_strdup_printf(_("killed by signal %d (%s)"), sig, g_strsignal(sig));
	}
	return g_strdup_printf(_("ended with wait status 0x%x"), (unsigned)status);
}

static int exit_code_of(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return CL_CAGE_EXIT_LAUNCHER;
}

static int memfd_with(const char *name, const char *data)
{
	_cleanup_close_ int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (cl_write_all(fd, data, strlen(data)) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	return cl_steal_fd(&fd);
}

static bool fail(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static bool fail(GError **error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_set_error_literal(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "");
	g_free((*error)->message);
	(*error)->message = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	return false;
}

static const ClCage *find_cage(const ClConfig *config, const char *id, GError **error)
{
	const ClCage *cage = cl_config_get_cage(config, id);
	g_autoptr(GString) names = NULL;

	if (cage)
		return cage;
	names = g_string_new(NULL);
	for (guint i = 0; i < config->cages->len; i++) {
		const ClCage *c = g_ptr_array_index(config->cages, i);
		g_string_append_printf(names, "%s%s", i ? ", " : "", c->id);
	}
	g_autofree char *q = cl_log_escape(id ? id : "", 64);
	fail(error, _("unknown cage “%s” (configured cages: %s; see cloison-config)"), q,
	     names->str);
	return NULL;
}

/* ---- the host account bwrap runs as -------------------------------------- */

typedef struct {
	uid_t uid;
	gid_t gid;
	bool drop; /* we are root: switch to this account before bwrap */
} Account;

static bool find_account(const char *name, uid_t *uid, gid_t *gid)
{
	struct passwd *pw = getpwnam(name);

	if (!pw)
		return false;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return true;
}

static bool resolve_account(Account *acc, GError **error)
{
	uid_t uid;
	gid_t gid;

	if (geteuid() != 0) {
		*acc = (Account){.uid = geteuid(), .gid = getegid(), .drop = false};
		return true;
	}
	if (!find_account(CL_CAGE_ACCOUNT, &uid, &gid))
		return fail(error,
		            _("running as root, but the unprivileged account “%s” does not "
		              "exist, and a cage never runs as host root: create it with "
		              "“useradd --system --user-group --no-create-home --shell "
		              "/usr/sbin/nologin %s” (tools/install-deps does), or run "
		              "cloison-cage as an ordinary user"),
		            CL_CAGE_ACCOUNT, CL_CAGE_ACCOUNT);
	if (uid == 0 || gid == 0)
		return fail(error, _("the account “%s” has uid or gid 0; it must be unprivileged"),
		            CL_CAGE_ACCOUNT);
	*acc = (Account){.uid = uid, .gid = gid, .drop = true};
	return true;
}

/* ---- checks with remedies ------------------------------------------------ */

/*
 * Whether a sysctl file holds "0".  Plain system calls: this runs on every
 * cage start, in a freshly forked process where GLib's stdio-based file
 * reading costs page faults.
 */
static bool sysctl_is_zero(const char *path)
{
	_cleanup_free_ char *value = NULL;
	size_t len = 0;

	return cl_read_file_bounded(AT_FDCWD, path, 32, &value, &len) == 0 &&
	       g_strcmp0(g_strstrip(value), "0") == 0;
}

static bool check_host(GError **error)
{
	if (access(CL_CAGE_BWRAP_PATH, X_OK) < 0)
		return fail(error,
		            _("bubblewrap is not installed (%s: %s): run tools/install-deps, or "
		              "apt-get install bubblewrap"),
		            CL_CAGE_BWRAP_PATH, g_strerror(errno));
	if (sysctl_is_zero("/proc/sys/user/max_user_namespaces"))
		return fail(error, _("user namespaces are disabled "
		                     "(/proc/sys/user/max_user_namespaces is 0): enable them "
		                     "with “sysctl -w user.max_user_namespaces=15000”"));
	if (sysctl_is_zero("/proc/sys/kernel/unprivileged_userns_clone"))
		return fail(error, _("unprivileged user namespaces are disabled "
		                     "(/proc/sys/kernel/unprivileged_userns_clone is 0): enable "
		                     "them with “sysctl -w kernel.unprivileged_userns_clone=1”"));
	return true;
}

/*
 * Facts about the host that do not depend on the cage: bubblewrap is there,
 * user namespaces are enabled, and (as root) the account bwrap runs as.
 * Probed once per process: see cl_cage_prepare().
 */
static struct {
	bool probed;
	uid_t euid; /* probed for this effective uid */
	Account acc;
} host;

bool cl_cage_prepare(GError **error)
{
	Account acc;

	if (host.probed && host.euid == geteuid())
		return true;
	host.probed = false;
	if (!check_host(error) || !resolve_account(&acc, error))
		return false;
	host.acc = acc;
	host.euid = geteuid();
	host.probed = true;
	return true;
}

/* ---- launcher state ------------------------------------------------------ */

typedef struct Launcher Launcher;

/* A `cloison-cage exec` connection. */
typedef struct {
	Launcher *l;
	int fd;
	guint32 client_id; /* the id the client chose */
	guint32 id;        /* our id towards the init; 0 until forwarded */
	guint source;
} ExecClient;

struct Launcher {
	const ClConfig *config;
	const ClCage *cage;
	Account acc;
	char *runtime;   /* $XDG_RUNTIME_DIR */
	char *cage_dir;  /* $XDG_RUNTIME_DIR/cloison/cages/CAGE */
	int cage_run_fd; /* that directory */
	int lock_fd;
	int home_fd;
	int sock_fds[3];       /* wayland-0, transfer, notify (O_PATH) */
	int init_fd;           /* O_PATH */
	int forward_fd;        /* O_PATH, the notification forwarder to bind, or -1 */
	char *forward_in_cage; /* its path in the cage, or NULL: none */
	int nautilus_fd;       /* O_PATH, $CLOISON_NAUTILUS_EXTENSIONS to bind, or -1 */
	int machine_id_fd;

	pid_t pid;        /* bwrap */
	long cage_pid;    /* the init's host pid (bwrap's status) */
	int bwrap_status; /* wait status of bwrap */
	int ctl_fd;       /* our end of the init's control socket */
	int listen_fd;    /* host-side control socket for `exec` */
	guint ctl_source, listen_source, child_source, kill_source;
	guint sig_sources[3];

	bool session_mode;
	bool stopping;
	bool main_exited;
	int main_status;
	int main_errno;      /* the main command could not be started */
	GHashTable *clients; /* our id -> ExecClient* */
	GHashTable *apps;    /* our id -> application command line (not owned) */
	guint n_clients;     /* exec connections, forwarded or not */
	guint32 next_id;
	GMainLoop *loop;

	/* Security events (docs/notify-events.md); core_bus NULL: none. */
	const char *core_bus; /* $CLOISON_CORE_BUS_ADDRESS */
	char **command;       /* the main command, or NULL (session mode) */
	ClEventLimit *events; /* made at the first coalesced event */
	guint events_source;  /* end of the coalescing window */
	GPtrArray *posts;     /* queued events: 5 strings each, for cloison-post-event */
	guint posts_source;   /* the idle that sends them */
	int post_pidfd;       /* the last cloison-post-event, or -1 */
};

static void exec_client_free(ExecClient *c)
{
	if (!c)
		return;
	if (c->source)
		g_source_remove(c->source);
	cl_close(c->fd);
	c->l->n_clients--;
	g_free(c);
}

static void launcher_init(Launcher *l)
{
	*l = (Launcher){
	        .cage_run_fd = -1,
	        .lock_fd = -1,
	        .home_fd = -1,
	        .sock_fds = {-1, -1, -1},
	        .init_fd = -1,
	        .forward_fd = -1,
	        .nautilus_fd = -1,
	        .machine_id_fd = -1,
	        .pid = -1,
	        .cage_pid = -1,
	        .ctl_fd = -1,
	        .listen_fd = -1,
	        .post_pidfd = -1,
	        .next_id = FIRST_CLIENT_ID,
	};
}

/* What only the running cage needs: made after bwrap is started. */
static void launcher_init_tables(Launcher *l)
{
	l->clients = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
	                                   (GDestroyNotify)exec_client_free);
	l->apps = g_hash_table_new(g_direct_hash, g_direct_equal);
}

static void launcher_clear(Launcher *l)
{
	guint *sources[] = {&l->ctl_source,     &l->listen_source,  &l->child_source,
	                    &l->kill_source,    &l->sig_sources[0], &l->sig_sources[1],
	                    &l->sig_sources[2], &l->events_source,  &l->posts_source};

	for (size_t i = 0; i < G_N_ELEMENTS(sources); i++)
		if (*sources[i])
			g_source_remove(*sources[i]);
	g_clear_pointer(&l->clients, g_hash_table_unref);
	g_clear_pointer(&l->apps, g_hash_table_unref);
	g_clear_pointer(&l->events, cl_event_limit_free);
	g_clear_pointer(&l->posts, g_ptr_array_unref);
	cl_close(l->post_pidfd);
	if (l->listen_fd >= 0 && l->cage_run_fd >= 0)
		unlinkat(l->cage_run_fd, CL_CAGE_CONTROL, 0);
	cl_close(l->listen_fd);
	cl_close(l->ctl_fd);
	for (int i = 0; i < 3; i++)
		cl_close(l->sock_fds[i]);
	cl_close(l->init_fd);
	cl_close(l->forward_fd);
	g_free(l->forward_in_cage);
	cl_close(l->nautilus_fd);
	cl_close(l->machine_id_fd);
	cl_close(l->home_fd);
	cl_close(l->cage_run_fd);
	cl_close(l->lock_fd); /* releases the lock last */
	g_free(l->runtime);
	g_free(l->cage_dir);
	g_clear_pointer(&l->loop, g_main_loop_unref);
}

/* Write the cage's state file atomically (for `list`). */
static void write_state(Launcher *l, const char *state, const char *reason)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree char *data = NULL;
	gsize len = 0;
	int r;

	g_key_file_set_string(kf, "cage", "state", state);
	if (reason)
		g_key_file_set_string(kf, "cage", "reason", reason);
	if (l->cage_pid > 0)
		g_key_file_set_int64(kf, "cage", "pid", l->cage_pid);
	data = g_key_file_to_data(kf, &len, NULL);
	r = cl_write_file_atomic_at(l->cage_run_fd, CL_CAGE_STATE, data, len, 0600);
	if (r < 0)
		cl_log_errno(LOG_WARNING, r, "cannot record the state of cage %s", l->cage->id);
}

/* ---- security events ----------------------------------------------------- */

static void handle_poster_exit(GPid pid, gint status, gpointer data)
{
	/* Reaped; its pidfd (if kept) still says it ended. */
}

/*
 * Send the queued events through one cloison-post-event, not waited for:
 * the launcher never loads libsystemd and never waits for the bus or
 * notifyd.  The poster gets the previous one's pidfd and waits for it to
 * end first, so that events arrive in order.
 */
static void posts_send(Launcher *l)
{
	const char *path = g_getenv("CLOISON_POST_EVENT");
	g_autofree char *def = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	bool verbose = cl_log_get_max_level() >= LOG_DEBUG;
	GSpawnFlags flags = G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
	                    G_SPAWN_STDIN_FROM_DEV_NULL;
	int source_fds[1] = {l->post_pidfd}, target_fds[1] = {3};
	GPid pid;

	if (!l->posts || l->posts->len == 0)
		return;
	if (!path || !*path)
		path = def = g_build_filename(CLOISON_LIBEXECDIR, "cloison-post-event", NULL);
	if (!verbose)
		flags |= G_SPAWN_STDERR_TO_DEV_NULL;
	g_ptr_array_add(argv, (char *)path);
	if (verbose)
		g_ptr_array_add(argv, (char *)"--verbose");
	if (l->post_pidfd >= 0) {
		g_ptr_array_add(argv, (char *)"--after-fd");
		g_ptr_array_add(argv, (char *)"3");
	}
	g_ptr_array_add(argv, (char *)l->core_bus);
	for (guint i = 0; i < l->posts->len; i++)
		g_ptr_array_add(argv, g_ptr_array_index(l->posts, i));
	g_ptr_array_add(argv, NULL);
	if (!g_spawn_async_with_pipes_and_fds(NULL, (const char *const *)argv->pdata, NULL, flags,
	                                      NULL, NULL, -1, -1, -1, source_fds, target_fds,
	                                      l->post_pidfd >= 0 ? 1 : 0, &pid, NULL, NULL, NULL,
	                                      &error)) {
		cl_debug("cage %s: %u security events not posted: %s", l->cage->id,
		         l->posts->len / 5, error->message);
		g_ptr_array_set_size(l->posts, 0);
		return;
	}
	g_ptr_array_set_size(l->posts, 0);
	cl_close(l->post_pidfd);
	/* Our unreaped child: its pid cannot be reused yet. */
	l->post_pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	g_child_watch_add(pid, handle_poster_exit, NULL);
}

static gboolean handle_posts(gpointer data)
{
	Launcher *l = data;

	l->posts_source = 0;
	posts_send(l);
	return G_SOURCE_REMOVE;
}

/*
 * Queue one security event; sent from an idle callback, or by posts_send()
 * as the cage ends.  Only ever called once the cage has started.
 */
static void post_now(Launcher *l, const char *severity, const char *category, const char *summary,
                     const char *body)
{
	const char *fields[5] = {severity, category, l->cage->id, summary, body};

	if (!l->posts)
		l->posts = g_ptr_array_new_with_free_func(g_free);
	for (int i = 0; i < 5; i++)
		g_ptr_array_add(l->posts, g_strdup(fields[i]));
	if (!l->posts_source && l->loop && g_main_loop_is_running(l->loop))
		l->posts_source = g_idle_add(handle_posts, l);
}

static void post_summary(const char *cage, const char *category, unsigned count, void *userdata)
{
	Launcher *l = userdata;
	g_autofree char *summary = g_strdup_printf(
	        g_dngettext(GETTEXT_PACKAGE, "%u more process of cage %s killed by seccomp",
	                    "%u more processes of cage %s killed by seccomp", count),
	        count, cage);
	g_autofree char *body = g_strdup_printf(_("Repeated by cage %s within a few seconds: "
	                                          "repeats are grouped so that a cage cannot "
	                                          "flood your notifications."),
	                                        cage);

	post_now(l, CL_SEVERITY_CRITICAL, category, summary, body);
}

static gboolean handle_events_window(gpointer data);

static void arm_events_window(Launcher *l)
{
	uint64_t next = cl_event_limit_next(l->events);
	gint64 now = g_get_monotonic_time();

	if (l->events_source)
		g_source_remove(l->events_source);
	l->events_source = 0;
	if (next)
		l->events_source = g_timeout_add(
		        next <= (uint64_t)now ? 1 : (guint)((next - (uint64_t)now + 999) / 1000),
		        handle_events_window, l);
}

static gboolean handle_events_window(gpointer data)
{
	Launcher *l = data;

	l->events_source = 0;
	cl_event_limit_flush(l->events, (uint64_t)g_get_monotonic_time(), post_summary, l);
	arm_events_window(l);
	return G_SOURCE_REMOVE;
}

/* A process of the cage was killed by seccomp: coalesced (a cage can loop). */
static void post_seccomp(Launcher *l, const char *who)
{
	g_autofree char *summary = NULL, *body = NULL;

	if (!l->core_bus)
		return;
	if (!l->events)
		l->events = cl_event_limit_new(0);
	if (!cl_event_limit_admit(l->events, l->cage->id, CL_EVENT_CAGE_SECCOMP,
	                          (uint64_t)g_get_monotonic_time())) {
		cl_debug("cage %s: seccomp event coalesced", l->cage->id);
		return;
	}
	summary = g_strdup_printf(_("Cage %s: a process was killed by seccomp"), l->cage->id);
	body = g_strdup_printf(_("A process of cage %s (level %s), %s, made a system call the "
	                         "cage forbids and was killed (SIGSYS)."),
	                       l->cage->id, l->cage->level->label, who);
	post_now(l, CL_SEVERITY_CRITICAL, CL_EVENT_CAGE_SECCOMP, summary, body);
	arm_events_window(l);
}

static void post_started(Launcher *l)
{
	g_autofree char *summary = NULL, *body = NULL, *q = NULL;

	if (!l->core_bus)
		return;
	summary = g_strdup_printf(_("Cage %s started"), l->cage->id);
	if (l->command) {
		q = cl_log_escape(l->command[0], 256);
		body = g_strdup_printf(_("Cage %s (level %s) started to run “%s”."), l->cage->id,
		                       l->cage->level->label, q);
	} else {
		body = g_strdup_printf(_("Cage %s (level %s) started with its configured "
		                         "applications."),
		                       l->cage->id, l->cage->level->label);
	}
	post_now(l, CL_SEVERITY_INFO, CL_EVENT_CAGE_STARTED, summary, body);
}

/*
 * The launcher is about to exit: give its last poster a moment to hand the
 * events over.  cloison-session kills what a launcher leaves in its
 * process group once it has exited, the poster included; a poster that
 * did not finish in time loses its events (bounded: the bus or notifyd
 * may hang, the launcher must still end).
 */
static void posts_wait(Launcher *l)
{
	struct pollfd p = {.fd = l->post_pidfd, .events = POLLIN};
	gint64 end = g_get_monotonic_time() + POSTS_WAIT_MS * G_GINT64_CONSTANT(1000);
	int left;

	if (l->post_pidfd < 0)
		return;
	while ((left = (int)((end - g_get_monotonic_time()) / 1000)) > 0)
		if (poll(&p, 1, left) != -1 || errno != EINTR)
			break;
	if (!(p.revents & POLLIN))
		cl_debug("cage %s: the last security events may not have been posted "
		         "(cloison-post-event still runs after %d ms)",
		         l->cage->id, POSTS_WAIT_MS);
}

/* The cage ended: first what seccomp summaries are owed, then the end. */
static void post_ended(Launcher *l, bool crashed, const char *reason)
{
	g_autofree char *summary = NULL, *body = NULL;

	if (!l->core_bus)
		return;
	if (l->events)
		cl_event_limit_flush(l->events, G_MAXUINT64, post_summary, l);
	if (crashed) {
		summary = g_strdup_printf(_("Cage %s crashed"), l->cage->id);
		body = g_strdup_printf(_("Cage %s (level %s) ended abnormally: %s."), l->cage->id,
		                       l->cage->level->label, reason);
		post_now(l, CL_SEVERITY_WARNING, CL_EVENT_CAGE_CRASHED, summary, body);
	} else {
		summary = g_strdup_printf(_("Cage %s stopped"), l->cage->id);
		body = g_strdup_printf(_("Cage %s (level %s) stopped: %s."), l->cage->id,
		                       l->cage->level->label, reason);
		post_now(l, CL_SEVERITY_INFO, CL_EVENT_CAGE_STOPPED, summary, body);
	}
	posts_send(l);
	posts_wait(l);
}

/* ---- preparing what goes into the cage ------------------------------------ */

static bool open_runtime(Launcher *l, GError **error)
{
	/* Checked (set, absolute, ours, private) by cl_paths_open_cage_runtime(). */
	l->runtime = g_strdup(g_getenv("XDG_RUNTIME_DIR"));
	l->cage_run_fd = cl_paths_open_cage_runtime(l->runtime, l->cage->id, error);
	if (l->cage_run_fd < 0)
		return false;
	l->cage_dir = g_build_filename(l->runtime, "cloison", "cages", l->cage->id, NULL);

	l->lock_fd = openat(l->cage_run_fd, CL_CAGE_LOCK,
	                    O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (l->lock_fd < 0)
		return fail(error, _("cannot open %s/%s: %s"), l->cage_dir, CL_CAGE_LOCK,
		            g_strerror(errno));
	if (flock(l->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			return fail(error,
			            _("cage “%s” is already running (use “cloison-cage exec %s "
			              "-- COMMAND” to run more programs in it)"),
			            l->cage->id, l->cage->id);
		return fail(error, _("cannot lock %s/%s: %s"), l->cage_dir, CL_CAGE_LOCK,
		            g_strerror(errno));
	}
	return true;
}

static bool open_sockets(Launcher *l, GError **error)
{
	static const struct {
		const char *name;
		const char *provider;
	} socks[3] = {
	        {CL_SOCKET_WAYLAND, "cloison-compositor"},
	        {CL_SOCKET_TRANSFER, "cloison-transferd"},
	        {CL_SOCKET_NOTIFY, "cloison-notifyd"},
	};

	for (int i = 0; i < 3; i++) {
		struct stat st;
		int fd = openat(l->cage_run_fd, socks[i].name, O_PATH | O_NOFOLLOW | O_CLOEXEC);

		if (fd < 0)
			return fail(error,
			            _("the socket %s/%s is missing (%s): start %s first "
			              "(cloison-session starts everything in order)"),
			            l->cage_dir, socks[i].name, g_strerror(errno),
			            socks[i].provider);
		l->sock_fds[i] = fd;
		if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
			return fail(error,
			            _("%s/%s is not a socket; refusing to give it to the cage"),
			            l->cage_dir, socks[i].name);
		if (l->acc.drop && fchownat(fd, "", l->acc.uid, l->acc.gid,
		                            AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
			return fail(error, _("cannot give %s/%s to the cage account: %s"),
			            l->cage_dir, socks[i].name, g_strerror(errno));
	}
	return true;
}

/*
 * The cage's home.  Owned by the account bwrap runs as (the session user, or
 * the cage account when we are root), 0700, a real directory.
 */
static bool open_home(Launcher *l, int data_fd, const char *display, GError **error)
{
	struct stat st;

	if (mkdirat(data_fd, "home", 0700) < 0 && errno != EEXIST)
		return fail(error, _("cannot create %s/home: %s"), display, g_strerror(errno));
	l->home_fd = openat(data_fd, "home", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (l->home_fd < 0)
		return fail(error, _("cannot open %s/home: %s (it must be a real directory)"),
		            display, g_strerror(errno));
	if (fstat(l->home_fd, &st) < 0)
		return fail(error, _("cannot stat %s/home: %s"), display, g_strerror(errno));
	if (st.st_uid != geteuid() && st.st_uid != l->acc.uid)
		return fail(error,
		            _("%s/home is owned by uid %u, not by the cage's account: fix "
		              "its owner or remove it"),
		            display, (unsigned)st.st_uid);
	if (st.st_mode & 022)
		return fail(error,
		            _("%s/home is writable by group or others (mode %04o): run "
		              "“chmod 700” on it after checking its contents"),
		            display, (unsigned)(st.st_mode & 07777));
	if ((st.st_mode & 07777) != 0700 && fchmod(l->home_fd, 0700) < 0)
		return fail(error, _("cannot set the mode of %s/home: %s"), display,
		            g_strerror(errno));
	if (l->acc.drop && (st.st_uid != l->acc.uid || st.st_gid != l->acc.gid) &&
	    fchown(l->home_fd, l->acc.uid, l->acc.gid) < 0)
		return fail(error, _("cannot give %s/home to the cage account: %s"), display,
		            g_strerror(errno));
	return true;
}

/* A stable random machine id per cage, kept outside its home. */
static bool open_machine_id(Launcher *l, int data_fd, const char *display, GError **error)
{
	g_autofree char *id = NULL;
	size_t len = 0;
	int r;

	r = cl_read_file_bounded(data_fd, "machine-id", 64, &id, &len);
	if (r == 0 && len == 33 && id[32] == '\n') {
		bool hex = true;
		for (int i = 0; i < 32; i++)
			hex = hex && g_ascii_isxdigit(id[i]) && !g_ascii_isupper(id[i]);
		if (hex)
			goto have;
	}
	{
		guint8 raw[16];

		if (getrandom(raw, sizeof(raw), 0) != sizeof(raw))
			return fail(error, _("cannot get random bytes: %s"), g_strerror(errno));
		g_free(id);
		id = g_malloc(34);
		for (int i = 0; i < 16; i++)
			g_snprintf(id + 2 * i, 3, "%02x", raw[i]);
		id[32] = '\n';
		id[33] = '\0';
		r = cl_write_file_atomic_at(data_fd, "machine-id", id, 33, 0600);
		if (r < 0)
			return fail(error, _("cannot write %s/machine-id: %s"), display,
			            g_strerror(-r));
	}
have:
	l->machine_id_fd = memfd_with("machine-id", id);
	return l->machine_id_fd >= 0 || fail(error, "memfd: %s", g_strerror(-l->machine_id_fd));
}

static bool open_data(Launcher *l, GError **error)
{
	g_autofree char *data_home = cl_paths_data_home(error);
	g_autofree char *display = NULL;
	_cleanup_close_ int data_fd = -1;

	if (!data_home)
		return false;
	data_fd = cl_paths_ensure_cage_data(data_home, l->cage->id, error);
	if (data_fd < 0)
		return false;
	display = g_build_filename(data_home, "cloison", "cages", l->cage->id, NULL);
	return open_home(l, data_fd, display, error) && open_machine_id(l, data_fd, display, error);
}

static bool open_init(Launcher *l, GError **error)
{
	const char *path = g_getenv("CLOISON_CAGE_INIT");
	g_autofree char *def = g_build_filename(CLOISON_LIBEXECDIR, "cloison-cage-init", NULL);
	struct stat st;

	if (!path || !*path)
		path = def;
	l->init_fd = open(path, O_PATH | O_CLOEXEC);
	if (l->init_fd < 0)
		return fail(error, _("cannot open the cage init %s: %s (is Cloison installed?)"),
		            path, g_strerror(errno));
	if (fstat(l->init_fd, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & S_IXOTH))
		return fail(error,
		            _("the cage init %s is not a regular file executable by everyone"),
		            path);
	return true;
}

/*
 * The notification forwarder.  Installed under /usr, the cage sees it at
 * the same path (its /usr is the host's, read-only): nothing to mount.
 * Otherwise (another prefix, or $CLOISON_NOTIFY_FORWARD for tests from the
 * build tree, which must then be usable) it is bind-mounted at
 * CL_CAGE_NOTIFY_FORWARD.  Without an installed one the cage has no
 * notification service.  The init gets the in-cage path and writes the
 * D-Bus service file when it first starts the cage's bus.
 */
static bool open_forward(Launcher *l, GError **error)
{
	const char *path = g_getenv("CLOISON_NOTIFY_FORWARD");
	g_autofree char *def = g_build_filename(CLOISON_LIBEXECDIR, "cloison-notify-forward", NULL);
	g_autofree char *real = NULL;
	bool explicit = path && *path;
	struct stat st;

	if (!explicit)
		path = def;
	l->forward_fd = open(path, O_PATH | O_CLOEXEC);
	if (l->forward_fd < 0) {
		if (explicit || errno != ENOENT)
			return fail(error, _("cannot open the notification forwarder %s: %s"), path,
			            g_strerror(errno));
		cl_debug("no %s: the cage has no notification service", path);
		return true;
	}
	if (fstat(l->forward_fd, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & S_IXOTH))
		return fail(error,
		            _("the notification forwarder %s is not a regular file executable "
		              "by everyone"),
		            path);
	real = realpath(path, NULL);
	if (!explicit && real && g_str_has_prefix(real, "/usr/") && !strpbrk(real, " \t\n\"'\\%")) {
		l->forward_fd = cl_close(l->forward_fd);
		l->forward_in_cage = g_steal_pointer(&real);
	} else {
		l->forward_in_cage = g_strdup(CL_CAGE_NOTIFY_FORWARD);
	}
	return true;
}

/*
 * Tests from the build tree: $CLOISON_NAUTILUS_EXTENSIONS (trusted, like
 * the rest of the launcher's environment) names a directory that is
 * bind-mounted read-only over Nautilus's extension directory in the cage
 * (CLOISON_NAUTILUS_EXTENSION_DIR, the host's, from pkg-config at build
 * time), so that the Nautilus of the cage loads the extension just built.
 * Installed, the extension is in that directory under /usr, which every
 * cage sees: nothing is mounted.
 */
static bool open_nautilus_extensions(Launcher *l, GError **error)
{
	const char *path = g_getenv("CLOISON_NAUTILUS_EXTENSIONS");
	struct stat st;

	if (!path || !*path)
		return true;
#ifdef CLOISON_NAUTILUS_EXTENSION_DIR
	if (stat(CLOISON_NAUTILUS_EXTENSION_DIR, &st) < 0 || !S_ISDIR(st.st_mode))
		return fail(error,
		            _("$CLOISON_NAUTILUS_EXTENSIONS is set but Nautilus's extension "
		              "directory %s is missing (is Nautilus installed?)"),
		            CLOISON_NAUTILUS_EXTENSION_DIR);
	l->nautilus_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (l->nautilus_fd < 0)
		return fail(error,
		            _("cannot open the Nautilus extension directory %s "
		              "($CLOISON_NAUTILUS_EXTENSIONS): %s"),
		            path, g_strerror(errno));
	cl_debug("Nautilus extensions from %s at %s", path, CLOISON_NAUTILUS_EXTENSION_DIR);
	return true;
#else
	(void)l;
	(void)st;
	return fail(error, _("$CLOISON_NAUTILUS_EXTENSIONS is set but Cloison was built without "
	                     "libnautilus-extension-4: unset it"));
#endif
}

/* ---- resource limits ----------------------------------------------------- */

/*
 * With a systemd user manager, the cage goes into a transient scope with
 * TasksMax/MemoryMax (real cgroup limits for the whole cage), made by the
 * small cloison-cage-scope helper so that the launcher never loads
 * libsystemd.  Without one, the child sets rlimits before exec: RLIMIT_NPROC
 * (counted per host user) and RLIMIT_AS (per process).  docs/cages.md
 * explains the difference.
 */
static bool user_bus_likely(void)
{
	const char *rt = g_getenv("XDG_RUNTIME_DIR");
	g_autofree char *bus = rt ? g_build_filename(rt, "bus", NULL) : NULL;

	return g_getenv("DBUS_SESSION_BUS_ADDRESS") || (bus && access(bus, F_OK) == 0);
}

/* 0: the scope holds pid; 1: no user manager (use rlimits); -1: failed. */
static int make_scope(const ClCage *cage, pid_t pid)
{
	const char *path = g_getenv("CLOISON_CAGE_SCOPE");
	g_autofree char *def = g_build_filename(CLOISON_LIBEXECDIR, "cloison-cage-scope", NULL);
	g_autofree char *pid_s = g_strdup_printf("%d", (int)pid);
	g_autofree char *unit = g_strdup_printf("cloison-cage-%s-%d.scope", cage->id, (int)pid);
	g_autofree char *tasks = g_strdup_printf("%" G_GUINT64_FORMAT, cage->tasks_max);
	g_autofree char *memory = g_strdup_printf("%" G_GUINT64_FORMAT, cage->memory_max);
	g_autoptr(GError) error = NULL;
	int status = 0;

	if (!path || !*path)
		path = def;
	char *argv[] = {(char *)path, pid_s, unit, tasks, memory, NULL};
	if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, NULL,
	                  &status, &error)) {
		cl_warn("cannot run %s: %s", path, error->message);
		return -1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		cl_debug("cage %s runs in %s", cage->id, unit);
		return 0;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
		return 1;
	return -1;
}

/* ---- the bwrap child ----------------------------------------------------- */

typedef struct {
	/* prepared before fork: the child does no allocation */
	ClFdMove moves[32];
	size_t n_moves;
	char args_fd_str[16];
	char **argv; /* bwrap's */
	bool drop;
	uid_t uid;
	gid_t gid;
	struct rlimit nproc, as;
	bool set_nproc, set_as;
	int go_fd; /* wait for 'g' (go) or 'r' (set the rlimits, then go), or -1 */
	pid_t parent;
	/* root only: stage the bind sources in a private mount namespace */
	bool stage;
	int n_stage;
	int stage_src[CL_STAGE_MAX];
	char stage_dst[CL_STAGE_MAX][64];
	bool stage_is_dir[CL_STAGE_MAX];
} ChildPlan;

static _Noreturn void child_fail(const char *what, int err)
{
	char buf[160];
	int n = snprintf(buf, sizeof(buf), "cloison-cage: %s: %s\n", what, strerror(err));

	if (n > 0)
		(void)!write(STDERR_FILENO, buf, (size_t)MIN(n, (int)sizeof(buf) - 1));
	_exit(CL_CAGE_EXIT_LAUNCHER);
}

static void child_stage(const ChildPlan *p)
{
	int tree[CL_STAGE_MAX];

	/*
	 * Detached copies of the sources, taken in the launcher's namespace
	 * (a plain bind from an fd of another namespace is refused), then
	 * attached in the private one.
	 */
	for (int i = 0; i < p->n_stage; i++) {
		tree[i] = open_tree(p->stage_src[i], "",
		                    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
		if (tree[i] < 0)
			child_fail("open_tree", errno);
	}
	if (unshare(CLONE_NEWNS) < 0)
		child_fail("unshare(CLONE_NEWNS)", errno);
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		child_fail("making mounts private", errno);
	if (mount("cloison-stage", STAGE_DIR, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=16k") <
	    0)
		child_fail("mounting the staging tmpfs", errno);
	for (int i = 0; i < p->n_stage; i++) {
		if (p->stage_is_dir[i]) {
			if (mkdir(p->stage_dst[i], 0755) < 0)
				child_fail("staging a directory", errno);
		} else {
			int fd = open(p->stage_dst[i], O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC,
			              0644);
			if (fd < 0)
				child_fail("staging a file", errno);
			close(fd);
		}
		if (move_mount(tree[i], "", AT_FDCWD, p->stage_dst[i], MOVE_MOUNT_F_EMPTY_PATH) < 0)
			child_fail("staging a bind mount", errno);
		close(tree[i]);
	}
}

static _Noreturn void child_run(const ChildPlan *p)
{
	char *const envp[] = {NULL};
	bool limits = p->go_fd < 0;
	int r;

	if (p->stage)
		child_stage(p);
	if (p->drop) {
		/*
		 * Raw system calls: glibc's wrappers would try to change the
		 * credentials of every thread of the process, and after vfork()
		 * those are the launcher's.
		 */
		if (syscall(SYS_setgroups, 0, NULL) < 0 ||
		    syscall(SYS_setresgid, p->gid, p->gid, p->gid) < 0 ||
		    syscall(SYS_setresuid, p->uid, p->uid, p->uid) < 0)
			child_fail("dropping privileges", errno);
		if (getuid() == 0 || geteuid() == 0)
			child_fail("dropping privileges", EPERM);
	}
	/* After the credential change, which clears it: die with the launcher. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		child_fail("prctl(PR_SET_PDEATHSIG)", errno);
	if (getppid() != p->parent)
		_exit(CL_CAGE_EXIT_LAUNCHER);
	if (p->go_fd >= 0) {
		char c;
		if (read(p->go_fd, &c, 1) != 1)
			_exit(CL_CAGE_EXIT_LAUNCHER);
		limits = c == 'r';
	}
	/* Lowering limits needs no privilege. */
	if (limits && p->set_nproc && setrlimit(RLIMIT_NPROC, &p->nproc) < 0)
		child_fail("setrlimit(RLIMIT_NPROC)", errno);
	if (limits && p->set_as && setrlimit(RLIMIT_AS, &p->as) < 0)
		child_fail("setrlimit(RLIMIT_AS)", errno);
	r = cl_sandbox_apply_moves(p->moves, p->n_moves);
	if (r < 0)
		child_fail("arranging file descriptors", -r);
	execve(CL_CAGE_BWRAP_PATH, p->argv, envp);
	child_fail("exec " CL_CAGE_BWRAP_PATH, errno);
}

/* Kept apart from its caller, whose variables vfork() could clobber. */
static __attribute__((noinline)) pid_t start_child(const ChildPlan *plan, bool use_vfork)
{
	pid_t pid = use_vfork ? vfork() : fork();

	if (pid == 0)
		child_run(plan); /* never returns */
	return pid;
}

/* ---- talking to the init ------------------------------------------------- */

static int send_msg(int fd, uint32_t type, const void *payload, size_t len, const int *fds,
                    size_t n_fds)
{
	ClInitHeader h = {.type = type, .length = (uint32_t)len};
	struct iovec iov[2] = {{&h, sizeof(h)}, {(void *)payload, len}};
	union {
		char buf[CMSG_SPACE(sizeof(int) * 3)];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};

	if (n_fds > 3)
		return -EINVAL;
	if (n_fds) {
		struct cmsghdr *c;
		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n_fds);
	}
	if (sendmsg(fd, &msg, MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

/* Build an EXEC payload: ClInitExec + argv. */
static GBytes *exec_payload(guint32 id, guint32 flags, char **argv)
{
	GByteArray *b = g_byte_array_new();
	ClInitExec e = {.id = id, .flags = flags, .argc = g_strv_length(argv)};

	g_byte_array_append(b, (const guint8 *)&e, sizeof(e));
	for (size_t i = 0; argv[i]; i++)
		g_byte_array_append(b, (const guint8 *)argv[i], (guint)strlen(argv[i]) + 1);
	return g_byte_array_free_to_bytes(b);
}

/*
 * Validate an EXEC payload (from an exec client): argc strings exactly
 * filling it, argv[0] not empty.
 */
static bool exec_payload_valid(const guint8 *p, size_t len)
{
	ClInitExec e;
	size_t off = sizeof(e), n = 0;

	if (len < sizeof(e) || len > CL_INIT_MAX_PAYLOAD)
		return false;
	memcpy(&e, p, sizeof(e));
	if (e.argc < 1 || e.argc > CL_INIT_MAX_ARGS)
		return false;
	while (off < len) {
		const guint8 *nul = memchr(p + off, '\0', len - off);
		if (!nul || (n == 0 && nul == p + off))
			return false;
		off = (size_t)(nul - p) + 1;
		n++;
	}
	return n == e.argc;
}

static void launcher_stop(Launcher *l);

static gboolean handle_kill_timeout(gpointer data)
{
	Launcher *l = data;

	l->kill_source = 0;
	if (l->pid > 0) {
		cl_warn("cage %s did not stop within %d s; killing it", l->cage->id, STOP_GRACE_S);
		kill(l->pid, SIGKILL);
	}
	return G_SOURCE_REMOVE;
}

static void launcher_stop(Launcher *l)
{
	if (l->stopping)
		return;
	l->stopping = true;
	if (l->ctl_fd >= 0 && send_msg(l->ctl_fd, CL_INIT_STOP, NULL, 0, NULL, 0) < 0 && l->pid > 0)
		kill(l->pid, SIGTERM);
	l->kill_source = g_timeout_add_seconds(STOP_GRACE_S, handle_kill_timeout, l);
}

static void forward_to_client(Launcher *l, uint32_t type, const ClInitStatus *st)
{
	ExecClient *c = g_hash_table_lookup(l->clients, GUINT_TO_POINTER(st->id));
	ClInitStatus out;

	if (!c)
		return;
	out = (ClInitStatus){.id = c->client_id, .value = st->value};
	if (send_msg(c->fd, type, &out, sizeof(out), NULL, 0) < 0 || type != CL_INIT_STARTED)
		g_hash_table_remove(l->clients, GUINT_TO_POINTER(st->id));
}

static void handle_init_message(Launcher *l, uint32_t type, const ClInitStatus *st)
{
	const char *app = g_hash_table_lookup(l->apps, GUINT_TO_POINTER(st->id));
	g_autofree char *how = NULL;

	switch (type) {
	case CL_INIT_STARTED:
		/*
		 * A command's cage: once the command was exec'd, so that posting
		 * (a fork) never competes with the cold start.
		 */
		if (st->id == 0 && !l->session_mode)
			post_started(l);
		if (app)
			cl_debug("cage %s: started “%s” (pid %d in the cage)", l->cage->id, app,
			         st->value);
		break;
	case CL_INIT_FAILED:
		if (app)
			cl_warn("cage %s: cannot start “%s”: %s", l->cage->id, app,
			        g_strerror(st->value));
		if (st->id == 0 && !l->session_mode)
			l->main_errno = st->value > 0 ? st->value : EIO;
		g_hash_table_remove(l->apps, GUINT_TO_POINTER(st->id));
		break;
	case CL_INIT_EXITED:
		how = cl_cage_describe_status(st->value);
		if (st->id == 0) {
			l->main_exited = true;
			l->main_status = st->value;
		} else if (app) {
			int level = WIFSIGNALED(st->value) && !l->stopping ? LOG_WARNING : LOG_INFO;
			cl_log(level, "cage %s: “%s” %s", l->cage->id, app, how);
			g_hash_table_remove(l->apps, GUINT_TO_POINTER(st->id));
		}
		if (WIFSIGNALED(st->value) && WTERMSIG(st->value) == SIGSYS) {
			g_autofree char *who = NULL, *q = NULL;

			cl_warn("security: a process in cage %s was killed by seccomp",
			        l->cage->id);
			if (st->id == 0 && l->command) {
				q = cl_log_escape(l->command[0], 256);
				who = g_strdup_printf(_("its main command “%s”"), q);
			} else if (app) {
				q = cl_log_escape(app, 256);
				who = g_strdup_printf(_("the application “%s”"), q);
			} else {
				who = g_strdup(_("a command run in it with cloison-cage exec"));
			}
			post_seccomp(l, who);
		}
		break;
	}
	if (st->id >= FIRST_CLIENT_ID)
		forward_to_client(l, type, st);
}

/* One message from the init: 1 handled, 0 nothing queued, -1 gone or bad. */
static int ctl_read_one(Launcher *l)
{
	guint8 buf[256];
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {buf, sizeof(buf)};
	struct msghdr msg = {.msg_iov = &iov,
	                     .msg_iovlen = 1,
	                     .msg_control = u.buf,
	                     .msg_controllen = sizeof(u.buf)};
	struct ucred cred = {.pid = -1};
	ClInitHeader h;
	ClInitStatus st;
	ssize_t n;

	n = recvmsg(l->ctl_fd, &msg, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return -1; /* the init is gone; bwrap's exit tells the rest */
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len == CMSG_LEN(sizeof(cred)))
			memcpy(&cred, CMSG_DATA(c), sizeof(cred));
		else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			goto bad; /* the init never sends descriptors */
	}
	/* The init runs inside the cage: check everything. */
	if ((size_t)n < sizeof(h) || (size_t)n > sizeof(buf))
		goto bad;
	memcpy(&h, buf, sizeof(h));
	if (h.length != (size_t)n - sizeof(h))
		goto bad;
	if (h.type == CL_INIT_READY && h.length == 0) {
		if (l->cage_pid < 0 && cred.pid > 0) {
			l->cage_pid = cred.pid;
			cl_debug("cage %s: init has host pid %ld", l->cage->id, l->cage_pid);
			write_state(l, "running", NULL);
			/* A session's cage is started once its init is ready. */
			if (l->session_mode)
				post_started(l);
		}
		return 1;
	}
	if ((h.type != CL_INIT_STARTED && h.type != CL_INIT_FAILED && h.type != CL_INIT_EXITED) ||
	    h.length != sizeof(st))
		goto bad;
	memcpy(&st, buf + sizeof(h), sizeof(st));
	handle_init_message(l, h.type, &st);
	return 1;
bad:
	cl_warn("cage %s: malformed message from the cage init; stopping the cage", l->cage->id);
	launcher_stop(l);
	if (l->pid > 0)
		kill(l->pid, SIGKILL);
	return -1;
}

static gboolean handle_ctl(int fd, GIOCondition cond, gpointer data)
{
	Launcher *l = data;

	if (ctl_read_one(l) >= 0)
		return G_SOURCE_CONTINUE;
	l->ctl_source = 0;
	return G_SOURCE_REMOVE;
}

static void handle_child_exit(GPid pid, gint status, gpointer data)
{
	Launcher *l = data;

	l->child_source = 0;
	l->pid = -1;
	l->bwrap_status = status;
	/* Messages the init sent just before it exited may still be queued. */
	if (l->ctl_source)
		while (ctl_read_one(l) > 0)
			;
	g_main_loop_quit(l->loop);
}

static gboolean handle_signal(gpointer data)
{
	Launcher *l = data;

	cl_info("stopping cage %s", l->cage->id);
	launcher_stop(l);
	return G_SOURCE_CONTINUE;
}

/* ---- exec clients (host side) -------------------------------------------- */

static void client_forget(ExecClient *c)
{
	Launcher *l = c->l;

	c->source = 0; /* called from its own callback */
	if (c->id && g_hash_table_lookup(l->clients, GUINT_TO_POINTER(c->id)) == c)
		g_hash_table_remove(l->clients, GUINT_TO_POINTER(c->id));
	else
		exec_client_free(c);
}

/* Receive one EXEC request from an exec client and forward it to the init. */
static bool client_request(ExecClient *c)
{
	Launcher *l = c->l;
	g_autofree guint8 *buf = g_malloc(MSG_MAX);
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} u;
	struct iovec iov = {buf, MSG_MAX};
	struct msghdr msg = {.msg_iov = &iov,
	                     .msg_iovlen = 1,
	                     .msg_control = u.buf,
	                     .msg_controllen = sizeof(u.buf)};
	int fds[4] = {-1, -1, -1, -1};
	size_t n_fds = 0;
	ClInitHeader h;
	ClInitExec e;
	ssize_t n;
	bool ok = false;

	n = recvmsg(c->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return true;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); n > 0 && cm; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int f;
			memcpy(&f, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (n_fds < G_N_ELEMENTS(fds))
				fds[n_fds++] = f;
			else
				close(f);
		}
	}
	if (n <= 0 || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || (size_t)n < sizeof(h))
		goto out;
	memcpy(&h, buf, sizeof(h));
	if (h.type != CL_INIT_EXEC || h.length != (size_t)n - sizeof(h) ||
	    !exec_payload_valid(buf + sizeof(h), h.length))
		goto out;
	memcpy(&e, buf + sizeof(h), sizeof(e));
	if ((e.flags & ~CL_INIT_EXEC_STDIO) ||
	    ((e.flags & CL_INIT_EXEC_STDIO) ? n_fds != 3 : n_fds != 0))
		goto out;
	c->client_id = e.id;
	e.id = l->next_id++;
	memcpy(buf + sizeof(h), &e, sizeof(e));
	if (l->ctl_fd < 0 || l->stopping ||
	    send_msg(l->ctl_fd, CL_INIT_EXEC, buf + sizeof(h), h.length, fds, n_fds) < 0) {
		ClInitStatus st = {.id = c->client_id, .value = ESRCH};
		send_msg(c->fd, CL_INIT_FAILED, &st, sizeof(st), NULL, 0);
		goto out;
	}
	c->id = e.id;
	g_hash_table_insert(l->clients, GUINT_TO_POINTER(c->id), c);
	ok = true;
out:
	for (size_t i = 0; i < n_fds; i++)
		cl_close(fds[i]);
	return ok;
}

static gboolean handle_client(int fd, GIOCondition cond, gpointer data)
{
	ExecClient *c = data;

	/* One request per connection; after it, only the hang-up matters. */
	if (!c->id && client_request(c))
		return G_SOURCE_CONTINUE;
	client_forget(c);
	return G_SOURCE_REMOVE;
}

static gboolean handle_accept(int fd, GIOCondition cond, gpointer data)
{
	Launcher *l = data;
	int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	struct ucred cred;
	socklen_t len = sizeof(cred);
	ExecClient *c;

	if (cfd < 0)
		return G_SOURCE_CONTINUE;
	/* The socket is 0600 in a 0700 directory; check the peer all the same. */
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    (cred.uid != geteuid() && cred.uid != 0) || l->n_clients >= MAX_EXEC_CLIENTS ||
	    l->stopping) {
		close(cfd);
		return G_SOURCE_CONTINUE;
	}
	c = g_new0(ExecClient, 1);
	c->l = l;
	c->fd = cfd;
	l->n_clients++;
	c->source = g_unix_fd_add(cfd, G_IO_IN | G_IO_HUP | G_IO_ERR, handle_client, c);
	return G_SOURCE_CONTINUE;
}

static bool listen_control(Launcher *l, GError **error)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	g_autofree char *path = g_build_filename(l->cage_dir, CL_CAGE_CONTROL, NULL);
	mode_t old;
	int r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return fail(error, _("the control socket path %s is too long"), path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	/* We hold the cage's lock: a socket left there is stale. */
	unlinkat(l->cage_run_fd, CL_CAGE_CONTROL, 0);
	l->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (l->listen_fd < 0)
		return fail(error, "socket: %s", g_strerror(errno));
	old = umask(0077);
	r = bind(l->listen_fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(l->listen_fd, 8) < 0)
		return fail(error, _("cannot listen on %s: %s"), path, g_strerror(errno));
	l->listen_source = g_unix_fd_add(l->listen_fd, G_IO_IN, handle_accept, l);
	return true;
}

/* ---- run ----------------------------------------------------------------- */

static bool prepare_child(Launcher *l, ChildPlan *plan, ClSandbox *sb, int *args_fd, GError **error)
{
	g_autoptr(GPtrArray) args = NULL;
	g_autoptr(GBytes) bytes = NULL;
	const void *data;
	gsize len;
	int fd;

	args = cl_sandbox_build_args(sb);
	bytes = cl_sandbox_serialize_args(args);
	fd = memfd_create("bwrap-args", MFD_CLOEXEC);
	if (fd < 0)
		return fail(error, "memfd_create: %s", g_strerror(errno));
	*args_fd = fd;
	data = g_bytes_get_data(bytes, &len);
	if (cl_write_all(fd, data, len) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return fail(error, _("cannot write the bwrap arguments: %s"), g_strerror(errno));
	if (sb->moves->len + 1 > G_N_ELEMENTS(plan->moves))
		return fail(error, "too many file descriptors for the cage");
	memcpy(plan->moves, sb->moves->data, sizeof(ClFdMove) * sb->moves->len);
	plan->n_moves = sb->moves->len;
	plan->moves[plan->n_moves] = (ClFdMove){.from = fd, .to = sb->next_fd};
	g_snprintf(plan->args_fd_str, sizeof(plan->args_fd_str), "%d", sb->next_fd);
	plan->n_moves++;
	plan->argv = cl_sandbox_build_argv(sb, plan->args_fd_str);

	if (cl_log_get_max_level() >= LOG_DEBUG) {
		g_autoptr(GString) s = g_string_new("bwrap");
		for (guint i = 0; i < args->len; i++)
			g_string_append_printf(s, " %s", (char *)g_ptr_array_index(args, i));
		cl_debug("%s", s->str);
	}
	return true;
}

int cl_cage_run(const ClConfig *config, const char *cage_id, char **command)
{
	g_autoptr(GError) error = NULL;
	Launcher l;
	ClSandbox sb;
	ChildPlan plan = {.go_fd = -1};
	_cleanup_close_ int passwd_fd = -1, group_fd = -1, hosts_fd = -1, hostname_fd = -1;
	_cleanup_close_ int ctl_child = -1, args_fd = -1, go_w = -1, go_r = -1;
	int seccomp_fds[CL_SECCOMP_MAX_FDS] = {-1, -1};
	size_t n_seccomp = 0;
	int pair[2], one = 1;
	bool scope = false;
	int result = CL_CAGE_EXIT_LAUNCHER;
	g_autofree char *passwd = NULL, *hosts = NULL, *hostname = NULL;
	g_autofree char *reason = NULL;
	bool prepared;
	pid_t pid;

	launcher_init(&l);
	cl_sandbox_init(&sb);
	l.config = config;
	l.cage = find_cage(config, cage_id, &error);
	prepared = host.probed && host.euid == geteuid();
	if (!l.cage || !cl_cage_prepare(&error))
		goto out;
	l.acc = host.acc;
	if (!open_runtime(&l, &error) || !open_sockets(&l, &error) || !open_data(&l, &error) ||
	    !open_init(&l, &error) || !open_forward(&l, &error) ||
	    !open_nautilus_extensions(&l, &error))
		goto out;
	l.session_mode = command == NULL;
	l.command = command;
	/* The core bus for security events; unset: none, and no cost. */
	l.core_bus = g_getenv(CL_CORE_BUS_ENV);
	if (l.core_bus && !*l.core_bus)
		l.core_bus = NULL;

	/* Generated /etc files. */
	passwd = g_strdup_printf("root:x:0:0:root:/root:/usr/sbin/nologin\n"
	                         "%s:x:%d:%d:Cloison cage %s:%s:/bin/sh\n"
	                         "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
	                         CL_CAGE_USER, CL_CAGE_UID, CL_CAGE_GID, l.cage->id, CL_CAGE_HOME);
	hosts = g_strdup_printf("127.0.0.1\tlocalhost %s\n::1\tlocalhost ip6-localhost "
	                        "ip6-loopback\n",
	                        l.cage->id);
	hostname = g_strdup_printf("%s\n", l.cage->id);
	passwd_fd = memfd_with("passwd", passwd);
	group_fd = memfd_with("group", "root:x:0:\n" CL_CAGE_USER
	                               ":x:" G_STRINGIFY(CL_CAGE_GID) ":\nnogroup:x:65534:\n");
	hosts_fd = memfd_with("hosts", hosts);
	hostname_fd = memfd_with("hostname", hostname);
	if (passwd_fd < 0 || group_fd < 0 || hosts_fd < 0 || hostname_fd < 0) {
		fail(&error, "memfd: %s", g_strerror(ENOMEM));
		goto out;
	}
	if (cl_seccomp_export(seccomp_fds, &n_seccomp) < 0) {
		fail(&error, _("cannot build the seccomp filter"));
		goto out;
	}
	/*
	 * SO_PASSCRED: the kernel attaches the init's credentials to what it
	 * sends, translated into our pid namespace: its READY message tells
	 * us the init's host pid, and nobody can fake it.
	 */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0 ||
	    setsockopt(pair[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0) {
		fail(&error, "socketpair: %s", g_strerror(errno));
		goto out;
	}
	l.ctl_fd = pair[0];
	ctl_child = pair[1];

	/* The sandbox description. */
	sb.cage = l.cage;
	sb.lang = cl_sandbox_sanitize_locale(g_getenv("LANG"));
	sb.term = command ? cl_sandbox_sanitize_term(g_getenv("TERM")) : NULL;
	sb.passwd_fd = passwd_fd;
	sb.group_fd = group_fd;
	sb.hosts_fd = hosts_fd;
	sb.hostname_fd = hostname_fd;
	sb.machine_id_fd = l.machine_id_fd;
	sb.notify_forward = l.forward_in_cage;
#ifdef CLOISON_NAUTILUS_EXTENSION_DIR
	sb.nautilus_ext_dir = CLOISON_NAUTILUS_EXTENSION_DIR;
#endif
	memcpy(sb.seccomp_fds, seccomp_fds, sizeof(seccomp_fds));
	sb.n_seccomp = n_seccomp;
	sb.control_fd = ctl_child;
	sb.command = command;
	if (l.acc.drop) {
		/*
		 * bwrap (as the cage account) must reach the bind sources by path,
		 * and root's directories are closed to it: the child stages them
		 * in a private mount namespace first.
		 */
		static const char *const names[CL_STAGE_MAX] = {
		        "home", "wayland-0", "transfer", "notify", "init", "forward", "nautilus"};
		static const bool is_dir[CL_STAGE_MAX] = {true,  false, false, false,
		                                          false, false, true};
		int src[CL_STAGE_MAX] = {l.home_fd, l.sock_fds[0], l.sock_fds[1], l.sock_fds[2],
		                         l.init_fd, l.forward_fd,  l.nautilus_fd};
		ClSource *dst[CL_STAGE_MAX] = {&sb.home, &sb.wayland, &sb.transfer,    &sb.notify,
		                               &sb.init, &sb.forward, &sb.nautilus_ext};

		plan.stage = true;
		plan.n_stage = 0;
		/* The optional ones (forwarder, extensions) only when there. */
		for (int i = 0; i < CL_STAGE_MAX; i++) {
			int k = plan.n_stage;

			if (src[i] < 0)
				continue;
			plan.stage_src[k] = src[i];
			g_snprintf(plan.stage_dst[k], sizeof(plan.stage_dst[k]), "%s/%s", STAGE_DIR,
			           names[i]);
			plan.stage_is_dir[k] = is_dir[i];
			dst[i]->path = plan.stage_dst[k];
			plan.n_stage++;
		}
	} else {
		sb.home.fd = l.home_fd;
		sb.wayland.fd = l.sock_fds[0];
		sb.transfer.fd = l.sock_fds[1];
		sb.notify.fd = l.sock_fds[2];
		sb.init.fd = l.init_fd;
		sb.forward.fd = l.forward_fd;
		sb.nautilus_ext.fd = l.nautilus_fd;
	}
	if (!prepare_child(&l, &plan, &sb, &args_fd, &error))
		goto out;
	plan.moves[plan.n_moves - 1].from = args_fd;

	/* Limits: a user scope if possible, else rlimits in the child. */
	if (l.cage->tasks_max) {
		plan.set_nproc = true;
		plan.nproc.rlim_cur = plan.nproc.rlim_max = l.cage->tasks_max;
	}
	if (l.cage->memory_max) {
		plan.set_as = true;
		plan.as.rlim_cur = plan.as.rlim_max = l.cage->memory_max;
	}
	scope = (plan.set_nproc || plan.set_as) && user_bus_likely();
	if (scope) {
		int go[2];
		if (pipe2(go, O_CLOEXEC) < 0) {
			fail(&error, "pipe: %s", g_strerror(errno));
			goto out;
		}
		go_r = go[0];
		go_w = go[1];
		plan.go_fd = go_r;
	}
	plan.drop = l.acc.drop;
	plan.uid = l.acc.uid;
	plan.gid = l.acc.gid;
	plan.parent = getpid();

	fflush(NULL);
	/*
	 * vfork(): the child only reads the plan and makes system calls until
	 * it execs bwrap, and a cage's cold start waits on it.  With a scope to
	 * set up first, the child must wait for us: then a real fork().
	 */
	pid = start_child(&plan, !scope);
	if (pid < 0) {
		fail(&error, "fork: %s", g_strerror(errno));
		goto out;
	}

	l.pid = pid;
	cl_close(ctl_child);
	ctl_child = -1;
	cl_close(go_r);
	go_r = -1;
	if (scope) {
		int r = make_scope(l.cage, pid);
		char go = r == 0 ? 'g' : 'r';

		if (r == 0)
			cl_debug("cage %s: limits through a systemd user scope", l.cage->id);
		else
			cl_debug("cage %s: no systemd user scope; limits through rlimits",
			         l.cage->id);
		if (write(go_w, &go, 1) != 1)
			cl_warn("cannot release the cage launcher child: %s", g_strerror(errno));
	} else if (plan.set_nproc || plan.set_as) {
		cl_debug("cage %s: no user bus; limits through rlimits", l.cage->id);
	}

	launcher_init_tables(&l);
	l.loop = g_main_loop_new(NULL, FALSE);
	l.child_source = g_child_watch_add(pid, handle_child_exit, &l);
	l.ctl_source = g_unix_fd_add(l.ctl_fd, G_IO_IN | G_IO_HUP | G_IO_ERR, handle_ctl, &l);
	l.sig_sources[0] = g_unix_signal_add(SIGTERM, handle_signal, &l);
	l.sig_sources[1] = g_unix_signal_add(SIGINT, handle_signal, &l);
	l.sig_sources[2] = g_unix_signal_add(SIGHUP, handle_signal, &l);
	if (!listen_control(&l, &error)) {
		launcher_stop(&l);
		cl_error("%s", error->message);
		g_clear_error(&error);
	}

	if (l.session_mode) {
		for (size_t i = 0; l.cage->applications[i]; i++) {
			g_auto(GStrv) argv = cl_cage_application_argv(l.cage, i);
			g_autoptr(GBytes) p = exec_payload((guint32)(i + 1), 0, argv);
			gsize len;
			const void *d = g_bytes_get_data(p, &len);

			g_hash_table_insert(l.apps, GUINT_TO_POINTER(i + 1),
			                    l.cage->applications[i]);
			if (send_msg(l.ctl_fd, CL_INIT_EXEC, d, len, NULL, 0) < 0)
				cl_warn("cage %s: cannot ask for “%s”", l.cage->id,
				        l.cage->applications[i]);
		}
	}
	/* The state file is written once the init reports (off the cold-start
	 * path); until then the lock alone says the cage is running. */
	g_main_loop_run(l.loop);

	/* bwrap has exited; work out why. */
	if (l.main_errno) {
		g_autofree char *q = cl_log_escape(command[0], 256);
		result = l.main_errno == ENOENT ? CL_CAGE_EXIT_NOTFOUND : CL_CAGE_EXIT_CANNOT;
		reason = g_strdup_printf(_("cannot run “%s”: %s"), q, g_strerror(l.main_errno));
		write_state(&l, "failed", reason);
		cl_error("cage %s: %s", l.cage->id, reason);
		post_ended(&l, false, reason);
		goto out;
	}
	if (l.main_exited) {
		result = exit_code_of(l.main_status);
		reason = cl_cage_describe_status(l.main_status);
	} else {
		g_autofree char *how = cl_cage_describe_status(l.bwrap_status);
		result = exit_code_of(l.bwrap_status);
		reason = l.cage_pid > 0 ? g_strdup_printf(_("the cage init %s"), how)
		                        : g_strdup(_("bwrap failed before the cage started"));
	}
	if (l.cage_pid < 0) {
		g_autoptr(GError) why = NULL;

		/* Host facts probed before this run may no longer hold: say so. */
		if (prepared && !check_host(&why)) {
			g_autofree char *msg = cl_log_escape(why->message, 4096);
			cl_error("%s", msg);
		}
		write_state(&l, "failed", reason);
		cl_error("cage %s did not start: %s (see bwrap's message above; if it is about "
		         "namespaces, see README.md, Troubleshooting)",
		         l.cage->id, reason);
		result = CL_CAGE_EXIT_LAUNCHER;
	} else if (l.session_mode ? (l.stopping && result == 0)
	                          : (l.main_exited && !WIFSIGNALED(l.main_status))) {
		write_state(&l, "stopped", l.session_mode ? NULL : reason);
		post_ended(&l, false, l.session_mode ? _("it was asked to stop") : reason);
	} else {
		write_state(&l, "crashed", reason);
		cl_warn("cage %s: %s", l.cage->id, reason);
		post_ended(&l, true, reason);
	}
out:
	if (error) {
		g_autofree char *msg = cl_log_escape(error->message, 4096);
		cl_error("%s", msg);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(seccomp_fds); i++)
		cl_close(seccomp_fds[i]);
	g_strfreev(plan.argv);
	cl_sandbox_clear(&sb);
	launcher_clear(&l);
	return result;
}

/* ---- exec ---------------------------------------------------------------- */

static char *control_path(const char *cage_id, GError **error)
{
	g_autofree char *runtime = cl_paths_xdg_runtime_dir(error);

	if (!runtime)
		return NULL;
	return g_build_filename(runtime, "cloison", "cages", cage_id, CL_CAGE_CONTROL, NULL);
}

int cl_cage_exec(const ClConfig *config, const char *cage_id, char **command)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *path = NULL;
	g_autoptr(GBytes) payload = NULL;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;
	int stdio[3] = {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO};
	const void *d;
	gsize len;
	bool started = false;

	if (!find_cage(config, cage_id, &error) || !(path = control_path(cage_id, &error)))
		goto fail;
	if (!command || !command[0] || !*command[0]) {
		fail(&error, _("no command given (cloison-cage exec CAGE -- COMMAND…)"));
		goto fail;
	}
	if (g_strv_length(command) > CL_INIT_MAX_ARGS) {
		fail(&error, _("too many arguments (at most %d)"), CL_INIT_MAX_ARGS);
		goto fail;
	}
	payload = exec_payload(1, CL_INIT_EXEC_STDIO, command);
	d = g_bytes_get_data(payload, &len);
	if (len > CL_INIT_MAX_PAYLOAD) {
		fail(&error, _("the command line is too long (at most %d bytes)"),
		     CL_INIT_MAX_PAYLOAD);
		goto fail;
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fail(&error, _("the control socket path %s is too long"), path);
		goto fail;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == ENOENT || errno == ECONNREFUSED)
			fail(&error,
			     _("cage “%s” is not running (start it with “cloison-cage run "
			       "%s”)"),
			     cage_id, cage_id);
		else
			fail(&error, _("cannot reach cage “%s” (%s): %s"), cage_id, path,
			     g_strerror(errno));
		goto fail;
	}
	if (send_msg(fd, CL_INIT_EXEC, d, len, stdio, 3) < 0) {
		fail(&error, _("cannot send the request to cage “%s”: %s"), cage_id,
		     g_strerror(errno));
		goto fail;
	}
	for (;;) {
		guint8 buf[64];
		ClInitHeader h;
		ClInitStatus st;
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_TRUNC);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fail(&error,
			     started ? _("cage “%s” stopped while the command ran")
			             : _("cage “%s” refused the request"),
			     cage_id);
			goto fail;
		}
		if ((size_t)n != sizeof(h) + sizeof(st))
			continue;
		memcpy(&h, buf, sizeof(h));
		memcpy(&st, buf + sizeof(h), sizeof(st));
		if (h.length != sizeof(st))
			continue;
		switch (h.type) {
		case CL_INIT_STARTED:
			started = true;
			break;
		case CL_INIT_FAILED: {
			g_autofree char *q = cl_log_escape(command[0], 256);
			cl_error("cannot run “%s” in cage %s: %s", q, cage_id,
			         g_strerror(st.value));
			return st.value == ENOENT ? CL_CAGE_EXIT_NOTFOUND : CL_CAGE_EXIT_CANNOT;
		}
		case CL_INIT_EXITED:
			return exit_code_of(st.value);
		}
	}
fail : {
	g_autofree char *msg = cl_log_escape(error->message, 4096);
	cl_error("%s", msg);
}
	return CL_CAGE_EXIT_LAUNCHER;
}

/* ---- list ---------------------------------------------------------------- */

/* s left-aligned in width characters (not bytes: headers may be translated). */
static void put_column(GString *line, const char *s, long width)
{
	long n = g_utf8_strlen(s, -1);

	g_string_append(line, s);
	for (; n < width; n++)
		g_string_append_c(line, ' ');
	g_string_append_c(line, ' ');
}

int cl_cage_list(const ClConfig *config, FILE *out)
{
	g_autoptr(GString) line = g_string_new(NULL);

	put_column(line, _("CAGE"), CL_ID_MAX_LEN);
	put_column(line, _("LEVEL"), CL_ID_MAX_LEN / 2);
	put_column(line, _("NETWORK"), 8);
	g_string_append_printf(line, "%s\n", _("STATE"));
	for (guint i = 0; i < config->cages->len; i++) {
		const ClCage *c = g_ptr_array_index(config->cages, i);
		g_autofree char *state = cl_cage_state(config, c->id);
		g_autofree char *safe = cl_log_escape(state, 256);

		put_column(line, c->id, CL_ID_MAX_LEN);
		put_column(line, c->level->id, CL_ID_MAX_LEN / 2);
		put_column(line, c->network ? _("yes") : _("no"), 8);
		g_string_append_printf(line, "%s\n", safe);
	}
	fputs(line->str, out);
	return fflush(out) == 0 ? 0 : 1;
}
