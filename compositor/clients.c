/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Clients and who they are.  Each cage has its own listening socket; a client
 * is tagged with the cage of the socket it connected through, right after
 * accept() and before libwayland reads a single request from it.  Nothing the
 * client says changes that.  The trusted bar is the only other client: the
 * compositor creates it over a socketpair and starts its program.
 *
 * The global filter shows cage clients only the ordinary desktop protocols.
 */
#include "cloison-build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "i18n.h"
#include "log.h"
#include "paths.h"
#include "server.h"
#include "util.h"

/* Accept at most this many connections per wake-up (fairness between cages). */
#define ACCEPT_BURST 16
/* After EMFILE/ENFILE, stop accepting on that socket for this long. */
#define ACCEPT_PAUSE_MS 500

#define BAR_BACKOFF_MIN_MS 1000
#define BAR_BACKOFF_MAX_MS 30000
/* A bar that ran this long before dying restarts after the minimum delay again. */
#define BAR_STABLE_MS 30000
/*
 * A bar whose connection closed (a protocol error, say) gets this long to
 * read why and exit before it is sent SIGTERM.
 */
#define BAR_TERM_GRACE_MS 500

struct cl_bar {
	struct cl_server *server;
	char **argv;              /* parsed --bar command */
	pid_t pid;                /* running bar program, or 0 */
	struct wl_client *client; /* our end of its socketpair, or NULL */
	struct wl_event_source *sigchld;
	struct wl_event_source *restart_timer;
	struct wl_event_source *term_timer; /* SIGTERM to term_pid after the grace */
	pid_t term_pid;
	int backoff_ms;
	int64_t started_ms;
};

/* What a cage client may see, by interface name. */
static const char *const cage_globals[] = {
        "wl_compositor",
        "wl_subcompositor",
        "wl_shm",
        "wl_seat",
        "wl_output",
        "wl_data_device_manager",
        "zwp_primary_selection_device_manager_v1",
        "xdg_wm_base",
        "zxdg_decoration_manager_v1",
        "wp_viewporter",
        "zxdg_output_manager_v1",
        "wp_presentation",
        /* Buffer sharing, only present with a GPU renderer. */
        "wl_drm",
        "zwp_linux_dmabuf_v1",
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int handle_bar_term(void *data)
{
	struct cl_bar *bar = data;

	if (bar->pid > 0 && bar->pid == bar->term_pid) {
		cl_warn("the bar (pid %d) lost its Wayland connection and still runs; stopping it",
		        (int)bar->pid);
		kill(bar->pid, SIGTERM);
	}
	bar->term_pid = 0;
	return 0;
}

static void handle_client_destroy(struct wl_listener *listener, void *data)
{
	struct cl_client *client = wl_container_of(listener, client, destroy);
	struct cl_server *server = client->server;
	struct cl_bar *bar = server->bar;

	wl_list_remove(&client->destroy.link);
	wl_list_init(&client->destroy.link);
	if (client->socket)
		client->socket->n_clients--;
	if (bar && bar->client == client->wl_client) {
		bar->client = NULL;
		/*
		 * A bar that dropped its connection is useless: restart it.  The
		 * protocol error that may have closed it is written after this
		 * listener runs: the bar gets a moment to read it and exit.
		 */
		if (bar->pid > 0) {
			cl_warn("the bar (pid %d) closed its Wayland connection; restarting it",
			        (int)bar->pid);
			if (!bar->term_timer)
				bar->term_timer =
				        wl_event_loop_add_timer(server->loop, handle_bar_term, bar);
			bar->term_pid = bar->pid;
			if (!bar->term_timer ||
			    wl_event_source_timer_update(bar->term_timer, BAR_TERM_GRACE_MS) < 0)
				kill(bar->pid, SIGTERM);
		}
	}
	/*
	 * The client's resources are destroyed after this listener runs, and
	 * their destructors may still look at the cl_client (view->client):
	 * free it at the next idle instead.
	 */
	client->wl_client = NULL;
	client->dead = true;
	cl_server_schedule_reap(server);
}

static struct cl_client *client_attach(struct cl_server *server, struct wl_client *wl_client,
                                       struct cl_cage_socket *socket, bool trusted)
{
	struct cl_client *client = calloc(1, sizeof(*client));

	if (!client)
		return NULL;
	client->server = server;
	client->wl_client = wl_client;
	client->socket = socket;
	client->cage = socket ? socket->cage : NULL;
	client->trusted = trusted;
	client->destroy.notify = handle_client_destroy;
	wl_client_add_destroy_listener(wl_client, &client->destroy);
	wl_list_insert(&server->clients, &client->link);
	if (socket)
		socket->n_clients++;
	return client;
}

struct cl_client *cl_client_from_wl_client(struct wl_client *wl_client)
{
	struct wl_listener *listener;
	struct cl_client *client;

	if (!wl_client)
		return NULL;
	listener = wl_client_get_destroy_listener(wl_client, handle_client_destroy);
	if (!listener)
		return NULL;
	client = wl_container_of(listener, client, destroy);
	return client;
}

bool cl_global_filter(const struct wl_client *wl_client, const struct wl_global *global, void *data)
{
	/* libwayland hands us a const client; the lookup does not modify it. */
	struct cl_client *client = cl_client_from_wl_client((struct wl_client *)wl_client);
	const struct wl_interface *iface;

	/* The trusted bar sees everything. */
	if (client && client->trusted)
		return true;
	/*
	 * Every client we create is tagged before its first request; one
	 * without a tag is being destroyed (or was never ours): cage rules.
	 */
	iface = wl_global_get_interface(global);
	if (iface && iface->name)
		for (size_t i = 0; i < G_N_ELEMENTS(cage_globals); i++)
			if (strcmp(iface->name, cage_globals[i]) == 0) {
				if (client)
					client->binding = false;
				return true;
			}
	/*
	 * libwayland asks us last when a client binds by number a global with
	 * the right interface and version: a refusal then is that client
	 * reaching for a hidden protocol (notify.c armed the flag).
	 */
	if (client && client->binding) {
		client->binding = false;
		cl_notify_hidden_global(client->server, client,
		                        iface && iface->name ? iface->name : "?");
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* Cage sockets */

static int handle_accept_resume(void *data)
{
	struct cl_cage_socket *sock = data;

	wl_event_source_fd_update(sock->source, WL_EVENT_READABLE);
	return 0;
}

static void pause_accepting(struct cl_cage_socket *sock)
{
	/* Without this, a full fd table would make the listener spin. */
	if (!sock->resume_timer)
		sock->resume_timer =
		        wl_event_loop_add_timer(sock->server->loop, handle_accept_resume, sock);
	if (!sock->resume_timer)
		return;
	wl_event_source_fd_update(sock->source, 0);
	wl_event_source_timer_update(sock->resume_timer, ACCEPT_PAUSE_MS);
}

static int handle_cage_socket(int fd, uint32_t mask, void *data)
{
	struct cl_cage_socket *sock = data;
	struct cl_server *server = sock->server;

	for (int n = 0; n < ACCEPT_BURST; n++) {
		struct wl_client *wl_client;
		int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			cl_log_errno(LOG_WARNING, errno, "cage %s: cannot accept a connection",
			             sock->cage->id);
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM)
				pause_accepting(sock);
			break;
		}
		if (sock->n_clients >= CL_MAX_CLIENTS_PER_CAGE) {
			/* Logged on the 1st, 2nd, 4th, 8th… refusal: a flood cannot flood the log.
			 */
			sock->n_refused++;
			if ((sock->n_refused & (sock->n_refused - 1)) == 0)
				cl_warn("cage %s: refusing a connection, it already has %d clients "
				        "(%u refused so far)",
				        sock->cage->id, sock->n_clients, sock->n_refused);
			cl_notify_limit(server, NULL, sock->cage, _("more than %d clients at once"),
			                CL_MAX_CLIENTS_PER_CAGE);
			close(cfd);
			continue;
		}
		wl_client = wl_client_create(server->display, cfd);
		if (!wl_client) {
			cl_log_errno(LOG_WARNING, errno, "cage %s: cannot create a client",
			             sock->cage->id);
			close(cfd);
			continue;
		}
		/* Tagged now, before libwayland dispatches any of its requests. */
		if (!client_attach(server, wl_client, sock, false)) {
			cl_error("cage %s: out of memory for a client", sock->cage->id);
			wl_client_destroy(wl_client);
			continue;
		}
		cl_debug("cage %s: new client (%d)", sock->cage->id, sock->n_clients);
	}
	return 0;
}

static void cage_socket_destroy(struct cl_cage_socket *sock)
{
	if (sock->source)
		wl_event_source_remove(sock->source);
	if (sock->resume_timer)
		wl_event_source_remove(sock->resume_timer);
	if (sock->fd >= 0) {
		/* Only remove the file if it is still the socket we bound. */
		struct stat st;

		if (sock->path && stat(sock->path, &st) == 0 && S_ISSOCK(st.st_mode) &&
		    st.st_ino == sock->ino && st.st_dev == sock->dev)
			unlink(sock->path);
		close(sock->fd);
	}
	wl_list_remove(&sock->link);
	g_free(sock->path);
	free(sock);
}

static int cage_socket_create(struct cl_server *server, const ClCage *cage)
{
	g_autoptr(GError) error = NULL;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct cl_cage_socket *sock;
	_cleanup_close_ int dir_fd = -1;
	struct stat st;
	mode_t old_umask;
	int r;

	sock = calloc(1, sizeof(*sock));
	if (!sock)
		return -ENOMEM;
	sock->server = server;
	sock->cage = cage;
	sock->fd = -1;
	wl_list_insert(server->cage_sockets.prev, &sock->link);

	dir_fd = cl_paths_ensure_cage_runtime(server->runtime_fd, cage->id, &error);
	if (dir_fd < 0) {
		cl_error("%s", error->message);
		return dir_fd;
	}
	sock->path = cl_paths_socket(server->xdg_runtime_dir, cage->id, CL_SOCKET_WAYLAND, &error);
	if (!sock->path) {
		cl_error("%s", error->message);
		return -ENAMETOOLONG;
	}
	if (g_strlcpy(addr.sun_path, sock->path, sizeof(addr.sun_path)) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;

	/* A stale socket from an earlier run (we hold the runtime lock). */
	if (unlinkat(dir_fd, CL_SOCKET_WAYLAND, 0) < 0 && errno != ENOENT)
		return cl_log_errno(LOG_ERR, errno, "cannot remove the stale socket %s",
		                    sock->path);

	sock->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (sock->fd < 0)
		return cl_log_errno(LOG_ERR, errno, "cannot create a socket for cage %s", cage->id);
	/* 0600 from the start: no window where another user could connect. */
	old_umask = umask(0177);
	r = bind(sock->fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old_umask);
	if (r < 0) {
		r = cl_log_errno(LOG_ERR, errno, "cannot bind %s", sock->path);
		close(sock->fd);
		sock->fd = -1;
		return r;
	}
	if (fstatat(dir_fd, CL_SOCKET_WAYLAND, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISSOCK(st.st_mode))
		return cl_log_errno(LOG_ERR, errno ? errno : EINVAL, "cannot check %s", sock->path);
	sock->ino = st.st_ino;
	sock->dev = st.st_dev;
	if (listen(sock->fd, 128) < 0)
		return cl_log_errno(LOG_ERR, errno, "cannot listen on %s", sock->path);

	sock->source = wl_event_loop_add_fd(server->loop, sock->fd, WL_EVENT_READABLE,
	                                    handle_cage_socket, sock);
	if (!sock->source)
		return -ENOMEM;
	cl_info("cage %s (level %s): listening on %s", cage->id, cage->level->id, sock->path);
	return 0;
}

int cl_cage_sockets_create(struct cl_server *server)
{
	if (!server->config)
		return -EINVAL;
	for (guint i = 0; i < server->config->cages->len; i++) {
		const ClCage *cage = g_ptr_array_index(server->config->cages, i);
		int r = cage_socket_create(server, cage);

		if (r < 0) {
			cl_cage_sockets_destroy(server);
			return r;
		}
	}
	return 0;
}

void cl_cage_sockets_destroy(struct cl_server *server)
{
	struct cl_cage_socket *sock, *tmp;

	wl_list_for_each_safe (sock, tmp, &server->cage_sockets, link) {
		struct cl_client *client;

		/* Clients outlive their socket entry: forget the pointer. */
		wl_list_for_each (client, &server->clients, link)
			if (client->socket == sock)
				client->socket = NULL;
		cage_socket_destroy(sock);
	}
}

/* ------------------------------------------------------------------ */
/* The trusted bar */

static void bar_schedule_restart(struct cl_bar *bar);

/*
 * Environment for the bar: ours (DBUS_SESSION_BUS_ADDRESS, the core bus, goes
 * through), minus any display of a parent (Wayland or X11), with GTK told to
 * use Wayland, plus WAYLAND_SOCKET: the bar can only show up here.
 */
static const char bar_gdk_backend[] = "GDK_BACKEND=wayland";

static char **bar_environment(int fd)
{
	static const char *const dropped[] = {
	        "WAYLAND_DISPLAY=", "WAYLAND_SOCKET=", "DISPLAY=", "XAUTHORITY=", "GDK_BACKEND="};
	extern char **environ;
	size_t n = 0, j = 0;
	char **envp;

	while (environ[n])
		n++;
	envp = calloc(n + 3, sizeof(*envp));
	if (!envp)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		bool drop = false;

		for (size_t k = 0; k < G_N_ELEMENTS(dropped); k++)
			drop = drop || g_str_has_prefix(environ[i], dropped[k]);
		if (!drop)
			envp[j++] = environ[i];
	}
	envp[j++] = (char *)bar_gdk_backend;
	envp[j] = g_strdup_printf("WAYLAND_SOCKET=%d", fd);
	if (!envp[j]) {
		free(envp);
		return NULL;
	}
	return envp;
}

static void bar_free_environment(char **envp)
{
	size_t i = 0;

	if (!envp)
		return;
	while (envp[i] && !g_str_has_prefix(envp[i], "WAYLAND_SOCKET="))
		i++;
	g_free(envp[i]); /* the only string we allocated */
	free(envp);
}

static int bar_spawn(struct cl_bar *bar)
{
	struct cl_server *server = bar->server;
	g_autofree char *exe = NULL;
	char **envp = NULL;
	struct wl_client *wl_client;
	int sv[2];
	pid_t pid;

	exe = g_find_program_in_path(bar->argv[0]);
	if (!exe) {
		cl_error("bar: cannot find the program %s", bar->argv[0]);
		return -ENOENT;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return cl_log_errno(LOG_ERR, errno, "bar: cannot create a socket pair");
	envp = bar_environment(sv[1]);
	if (!envp) {
		close(sv[0]);
		close(sv[1]);
		return -ENOMEM;
	}
	wl_client = wl_client_create(server->display, sv[0]);
	if (!wl_client) {
		close(sv[0]);
		close(sv[1]);
		bar_free_environment(envp);
		return cl_log_errno(LOG_ERR, errno ? errno : ENOMEM,
		                    "bar: cannot create its Wayland client");
	}
	if (!client_attach(server, wl_client, NULL, true)) {
		wl_client_destroy(wl_client);
		close(sv[1]);
		bar_free_environment(envp);
		return -ENOMEM;
	}

	pid = fork();
	if (pid < 0) {
		int r = -errno;

		wl_client_destroy(wl_client);
		close(sv[1]);
		bar_free_environment(envp);
		return cl_log_errno(LOG_ERR, -r, "bar: cannot fork");
	}
	if (pid == 0) {
		/* Child: async-signal-safe calls only. */
		sigset_t none;
		struct sigaction dfl = {.sa_handler = SIG_DFL};

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL); /* the event loop blocked some */
		sigaction(SIGPIPE, &dfl, NULL);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (server->nofile.rlim_cur != RLIM_INFINITY)
			setrlimit(RLIMIT_NOFILE, &server->nofile);
		/* Nothing of ours leaks into the bar but its end of the socketpair. */
		syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */);
		if (fcntl(sv[1], F_SETFD, 0) < 0)
			_exit(127);
		execve(exe, bar->argv, envp);
		_exit(127);
	}

	close(sv[1]);
	bar_free_environment(envp);
	bar->pid = pid;
	bar->client = wl_client;
	bar->started_ms = now_ms();
	cl_info("bar: started %s (pid %d)", exe, (int)pid);
	return 0;
}

static int handle_bar_restart(void *data)
{
	struct cl_bar *bar = data;

	if (bar->pid > 0)
		return 0;
	if (bar_spawn(bar) < 0)
		bar_schedule_restart(bar);
	return 0;
}

static void bar_schedule_restart(struct cl_bar *bar)
{
	if (!bar->restart_timer) {
		bar->restart_timer =
		        wl_event_loop_add_timer(bar->server->loop, handle_bar_restart, bar);
		if (!bar->restart_timer) {
			cl_error("bar: cannot schedule its restart");
			return;
		}
	}
	cl_info("bar: restarting in %d ms", bar->backoff_ms);
	wl_event_source_timer_update(bar->restart_timer, bar->backoff_ms);
	bar->backoff_ms =
	        bar->backoff_ms * 2 > BAR_BACKOFF_MAX_MS ? BAR_BACKOFF_MAX_MS : bar->backoff_ms * 2;
}

static int handle_sigchld(int signal_number, void *data)
{
	struct cl_bar *bar = data;
	int status;
	pid_t r;

	if (bar->pid <= 0)
		return 0;
	r = waitpid(bar->pid, &status, WNOHANG);
	if (r <= 0)
		return 0;
	if (WIFEXITED(status))
		cl_warn("bar: pid %d exited with status %d", (int)r, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		cl_warn("bar: pid %d killed by signal %d", (int)r, WTERMSIG(status));
	bar->pid = 0;
	if (bar->client) {
		struct wl_client *c = bar->client;

		bar->client = NULL;
		wl_client_destroy(c);
	}
	if (now_ms() - bar->started_ms >= BAR_STABLE_MS)
		bar->backoff_ms = BAR_BACKOFF_MIN_MS;
	bar_schedule_restart(bar);
	return 0;
}

int cl_bar_start(struct cl_server *server, const char *command)
{
	g_autoptr(GError) error = NULL;
	struct cl_bar *bar;
	int argc = 0;

	if (server->bar)
		return -EBUSY;
	bar = calloc(1, sizeof(*bar));
	if (!bar)
		return -ENOMEM;
	bar->server = server;
	bar->backoff_ms = BAR_BACKOFF_MIN_MS;
	if (!g_shell_parse_argv(command, &argc, &bar->argv, &error)) {
		cl_error("--bar: cannot parse the command: %s", error->message);
		free(bar);
		return -EINVAL;
	}
	server->bar = bar;
	bar->sigchld = wl_event_loop_add_signal(server->loop, SIGCHLD, handle_sigchld, bar);
	if (!bar->sigchld) {
		cl_error("bar: cannot watch SIGCHLD");
		cl_bar_stop(server);
		return -ENOMEM;
	}
	/* A bar that cannot start now is retried; the fallback strip shows meanwhile. */
	if (bar_spawn(bar) < 0)
		bar_schedule_restart(bar);
	return 0;
}

void cl_bar_stop(struct cl_server *server)
{
	struct cl_bar *bar = server->bar;

	if (!bar)
		return;
	server->bar = NULL; /* the client destroy handler must not restart it */
	if (bar->client)
		wl_client_destroy(bar->client);
	if (bar->pid > 0) {
		int status;

		kill(bar->pid, SIGTERM);
		for (int i = 0; i < 50 && waitpid(bar->pid, &status, WNOHANG) == 0; i++) {
			struct timespec ts = {0, 10 * 1000 * 1000};

			nanosleep(&ts, NULL);
			if (i == 49) {
				kill(bar->pid, SIGKILL);
				waitpid(bar->pid, &status, 0);
			}
		}
	}
	if (bar->sigchld)
		wl_event_source_remove(bar->sigchld);
	if (bar->restart_timer)
		wl_event_source_remove(bar->restart_timer);
	if (bar->term_timer)
		wl_event_source_remove(bar->term_timer);
	g_strfreev(bar->argv);
	free(bar);
}
