/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cloison-compositor: the server object.  Display, backend, renderer,
 * allocator, the protocols cages may use (and nothing more: no layer-shell,
 * screencopy, data-control, virtual input, foreign-toplevel, gamma, output
 * management, xdg-activation…), scene graph, seat and cursor; then the
 * per-cage sockets, the control socket and the trusted bar.
 */
#include "cloison-build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <wlr/backend/drm.h>
#include <wlr/backend/headless.h>
#include <wlr/backend/libinput.h>
#include <wlr/backend/multi.h>
#include <wlr/backend/session.h>
#include <wlr/backend/wayland.h>
#include <wlr/backend/x11.h>
#include <wlr/render/gles2.h>
#include <wlr/render/pixman.h>
#include <wlr/types/wlr_data_device.h>
#include <wlr/types/wlr_presentation_time.h>
#include <wlr/types/wlr_primary_selection_v1.h>
#include <wlr/types/wlr_viewporter.h>
#include <wlr/types/wlr_xdg_output_v1.h>
#include <wlr/util/log.h>

#include "log.h"
#include "paths.h"
#include "server.h"
#include "util.h"

#define CL_LOCK_FILE "compositor.lock"

/* xdg-decoration: every toplevel is decorated by the server, always. */
struct cl_decoration {
	struct wlr_xdg_toplevel_decoration_v1 *decoration;
	struct wl_listener request_mode;
	struct wl_listener destroy;
};

static void wlr_log_to_cl_log(enum wlr_log_importance importance, const char *fmt, va_list args)
{
	int priority;

	switch (importance) {
	case WLR_ERROR:
		priority = LOG_ERR;
		break;
	case WLR_INFO:
		/* wlroots' informational messages are chatty: debug for us. */
		priority = LOG_DEBUG;
		break;
	default:
		priority = LOG_DEBUG;
		break;
	}
	/* cl_logv escapes the message (it may carry client-supplied text). */
	cl_logv(priority, fmt, args);
}

static void decoration_set_server_side(struct cl_decoration *deco)
{
	/* wlroots emits new_toplevel_decoration after the surface's first commit. */
	struct wlr_xdg_surface *surface = deco->decoration->surface;

	if (!surface || surface->role != WLR_XDG_SURFACE_ROLE_TOPLEVEL)
		return;
	wlr_xdg_toplevel_decoration_v1_set_mode(deco->decoration,
	                                        WLR_XDG_TOPLEVEL_DECORATION_V1_MODE_SERVER_SIDE);
}

static void handle_decoration_request_mode(struct wl_listener *listener, void *data)
{
	struct cl_decoration *deco = wl_container_of(listener, deco, request_mode);

	/* Whatever the client asks for, the frame stays ours. */
	decoration_set_server_side(deco);
}

static void handle_decoration_destroy(struct wl_listener *listener, void *data)
{
	struct cl_decoration *deco = wl_container_of(listener, deco, destroy);

	wl_list_remove(&deco->request_mode.link);
	wl_list_remove(&deco->destroy.link);
	free(deco);
}

static void handle_new_decoration(struct wl_listener *listener, void *data)
{
	struct wlr_xdg_toplevel_decoration_v1 *decoration = data;
	struct cl_decoration *deco = calloc(1, sizeof(*deco));

	if (!deco) {
		cl_error("out of memory for an xdg-decoration");
		wl_resource_post_no_memory(decoration->resource);
		return;
	}
	deco->decoration = decoration;
	deco->request_mode.notify = handle_decoration_request_mode;
	wl_signal_add(&decoration->events.request_mode, &deco->request_mode);
	deco->destroy.notify = handle_decoration_destroy;
	wl_signal_add(&decoration->events.destroy, &deco->destroy);
	decoration_set_server_side(deco);
}

static void handle_new_output(struct wl_listener *listener, void *data)
{
	struct cl_server *server = wl_container_of(listener, server, new_output);
	struct wlr_output *wlr_output = data;

	/* A nested window has no modes: ask for --size (the parent may resize it). */
	if (server->nested_width > 0 && server->nested_height > 0 &&
	    (wlr_output_is_wl(wlr_output) || wlr_output_is_x11(wlr_output)))
		wlr_output_set_custom_mode(wlr_output, server->nested_width, server->nested_height,
		                           0);
	cl_output_create(server, wlr_output);
}

static void handle_new_input(struct wl_listener *listener, void *data)
{
	struct cl_server *server = wl_container_of(listener, server, new_input);

	cl_input_new_device(server, data);
}

static void handle_new_xdg_surface(struct wl_listener *listener, void *data)
{
	struct cl_server *server = wl_container_of(listener, server, new_xdg_surface);

	cl_view_create(server, data);
}

static int handle_terminate_signal(int signal_number, void *data)
{
	struct cl_server *server = data;

	cl_info("signal %d received, quitting", signal_number);
	wl_display_terminate(server->display);
	return 0;
}

const ClLevel *cl_server_focused_level(struct cl_server *server)
{
	struct cl_view *view = server->focused;

	if (view && view->client && view->client->cage && view->client->cage->level)
		return view->client->cage->level;
	if (server->config && server->config->levels->len > 0)
		return g_ptr_array_index(server->config->levels, 0); /* lowest rank */
	return NULL;
}

/*
 * $XDG_RUNTIME_DIR/cloison with its core/ and cages/, and a lock so that two
 * compositors never fight over the same sockets.
 */
static int setup_runtime(struct cl_server *server)
{
	g_autoptr(GError) error = NULL;

	server->xdg_runtime_dir = cl_paths_xdg_runtime_dir(&error);
	if (!server->xdg_runtime_dir) {
		cl_error("%s", error->message);
		return -EINVAL;
	}
	server->runtime_fd = cl_paths_ensure_runtime(server->xdg_runtime_dir, &error);
	if (server->runtime_fd < 0) {
		cl_error("%s", error->message);
		return server->runtime_fd;
	}
	server->runtime_dir = g_build_filename(server->xdg_runtime_dir, "cloison", NULL);

	server->lock_fd = openat(server->runtime_fd, "core/" CL_LOCK_FILE,
	                         O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (server->lock_fd < 0)
		return cl_log_errno(LOG_ERR, errno, "cannot open %s/core/%s", server->runtime_dir,
		                    CL_LOCK_FILE);
	if (flock(server->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK) {
			cl_error("another cloison-compositor already runs on %s (lock %s/core/%s)",
			         server->runtime_dir, server->runtime_dir, CL_LOCK_FILE);
			return -EBUSY;
		}
		return cl_log_errno(LOG_ERR, errno, "cannot lock %s/core/%s", server->runtime_dir,
		                    CL_LOCK_FILE);
	}
	return 0;
}

/* ---- Backends ---- */

/*
 * Nothing may block the start for ever: a parent display that accepts the
 * connection but never answers (wlroots waits for its replies), a seat that
 * never comes.  SIGALRM ends the process with a message naming the backend.
 */
#define CL_BACKEND_START_TIMEOUT_S 10

static char watchdog_message[512];
static size_t watchdog_message_len;

static void handle_watchdog(int signal_number)
{
	ssize_t r = write(STDERR_FILENO, watchdog_message, watchdog_message_len);

	(void)r;
	(void)signal_number;
	_exit(1);
}

static void watchdog_arm(const char *what)
{
	struct sigaction sa = {.sa_handler = handle_watchdog};
	int n;

	n = snprintf(watchdog_message, sizeof(watchdog_message),
	             "cloison-compositor: error: %s did not answer within %d s; giving up\n", what,
	             CL_BACKEND_START_TIMEOUT_S);
	if (n < 0)
		n = 0;
	watchdog_message_len = MIN((size_t)n, sizeof(watchdog_message) - 1);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm(CL_BACKEND_START_TIMEOUT_S);
}

static void watchdog_disarm(void)
{
	struct sigaction sa = {.sa_handler = SIG_DFL};

	alarm(0);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
}

static const char *const backend_names[] = {
        [CL_BACKEND_AUTO] = "auto",       [CL_BACKEND_HEADLESS] = "headless",
        [CL_BACKEND_WAYLAND] = "wayland", [CL_BACKEND_X11] = "x11",
        [CL_BACKEND_DRM] = "drm",
};

const char *cl_backend_name(enum cl_backend_kind kind)
{
	if ((size_t)kind >= G_N_ELEMENTS(backend_names))
		return "?";
	return backend_names[kind];
}

int cl_backend_from_name(const char *name, enum cl_backend_kind *kind)
{
	for (size_t i = 0; i < G_N_ELEMENTS(backend_names); i++) {
		if (name && strcmp(name, backend_names[i]) == 0) {
			*kind = (enum cl_backend_kind)i;
			return 0;
		}
	}
	return -EINVAL;
}

static bool env_set(const char *name)
{
	const char *v = getenv(name);

	return v && *v;
}

/*
 * The only inputs are the option and WAYLAND_DISPLAY (or WAYLAND_SOCKET),
 * then DISPLAY: WLR_BACKENDS is never read (wlr_backend_autocreate is not
 * used), so a variable left over from a parent session cannot change where
 * the trusted path is shown.
 */
enum cl_backend_kind cl_backend_choose(enum cl_backend_kind kind)
{
	if (kind != CL_BACKEND_AUTO)
		return kind;
	if (env_set("WAYLAND_DISPLAY") || env_set("WAYLAND_SOCKET"))
		return CL_BACKEND_WAYLAND;
	if (env_set("DISPLAY"))
		return CL_BACKEND_X11;
	return CL_BACKEND_DRM;
}

/*
 * A DRM card must exist before a session is opened: as root without seatd
 * or logind, libseat starts an embedded seatd on a VT, and wlroots then waits
 * for a card to appear.  Returns 0, or -ENODEV after saying what is missing.
 */
static int check_drm_devices(void)
{
	const char *explicit = getenv("WLR_DRM_DEVICES");
	g_autoptr(GDir) dir = NULL;
	const char *name;

	if (explicit && *explicit) {
		g_auto(GStrv) paths = g_strsplit(explicit, ":", 0);

		for (size_t i = 0; paths[i]; i++) {
			struct stat st;

			if (stat(paths[i], &st) < 0 || !S_ISCHR(st.st_mode)) {
				g_autofree char *q = cl_log_escape(paths[i], 256);

				cl_error("no DRM device %s (from WLR_DRM_DEVICES): use --headless, "
				         "or run nested (WAYLAND_DISPLAY or DISPLAY set)",
				         q);
				return -ENODEV;
			}
		}
		return 0;
	}
	dir = g_dir_open("/dev/dri", 0, NULL);
	while (dir && (name = g_dir_read_name(dir))) {
		if (g_str_has_prefix(name, "card"))
			return 0;
	}
	cl_error("no DRM device found (no /dev/dri/card*): use --headless, or run nested "
	         "(WAYLAND_DISPLAY or DISPLAY set)");
	return -ENODEV;
}

static struct wlr_backend *create_drm_backend(struct cl_server *server)
{
	struct wlr_device *gpus[8];
	struct wlr_backend *multi, *libinput, *primary = NULL;
	ssize_t n;

	if (check_drm_devices() < 0)
		return NULL;
	server->session = wlr_session_create(server->display);
	if (!server->session) {
		cl_error("cannot open a seat through libseat (no seatd, no logind session, no "
		         "free VT?): use --headless, or run nested (WAYLAND_DISPLAY or DISPLAY "
		         "set)");
		return NULL;
	}
	multi = wlr_multi_backend_create(server->display);
	if (!multi)
		return NULL;
	libinput = wlr_libinput_backend_create(server->display, server->session);
	if (!libinput || !wlr_multi_backend_add(multi, libinput)) {
		cl_error("cannot create the libinput backend");
		if (libinput)
			wlr_backend_destroy(libinput);
		wlr_backend_destroy(multi);
		return NULL;
	}
	n = wlr_session_find_gpus(server->session, G_N_ELEMENTS(gpus), gpus);
	for (ssize_t i = 0; i < n; i++) {
		struct wlr_backend *drm =
		        wlr_drm_backend_create(server->display, server->session, gpus[i], primary);

		if (!drm) {
			cl_warn("cannot use the DRM device %zd of %zd; skipped", i + 1, n);
			continue;
		}
		if (!primary)
			primary = drm;
		wlr_multi_backend_add(multi, drm);
	}
	if (!primary) {
		cl_error("cannot open any DRM device through the seat: use --headless, or run "
		         "nested (WAYLAND_DISPLAY or DISPLAY set)");
		wlr_backend_destroy(multi);
		return NULL;
	}
	return multi;
}

static struct wlr_backend *create_backend(struct cl_server *server)
{
	g_autofree char *where = NULL;
	struct wlr_backend *backend = NULL;
	const char *v;

	switch (server->backend_kind) {
	case CL_BACKEND_HEADLESS:
		backend = wlr_headless_backend_create(server->display);
		if (!backend)
			cl_error("cannot create the headless backend");
		server->headless = backend;
		return backend;
	case CL_BACKEND_WAYLAND:
		v = getenv("WAYLAND_DISPLAY");
		where = env_set("WAYLAND_SOCKET") ? g_strdup("WAYLAND_SOCKET")
		                                  : cl_log_escape(v && *v ? v : "wayland-0", 256);
		watchdog_arm("the parent Wayland compositor");
		/* NULL: WAYLAND_SOCKET, else WAYLAND_DISPLAY, the libwayland way. */
		backend = wlr_wl_backend_create(server->display, NULL);
		watchdog_disarm();
		if (!backend)
			cl_error(
			        "cannot open a window on the parent Wayland compositor %s (it must "
			        "offer wl_compositor, xdg_wm_base and wl_shm or linux-dmabuf)",
			        where);
		else
			cl_info("backend: a window on the parent Wayland compositor %s", where);
		return backend;
	case CL_BACKEND_X11:
		v = getenv("DISPLAY");
		where = cl_log_escape(v && *v ? v : ":0", 256);
		watchdog_arm("the X server");
		backend = wlr_x11_backend_create(server->display, NULL);
		watchdog_disarm();
		if (!backend)
			cl_error("cannot open a window on the X server %s (wlroots 0.15 needs the "
			         "XInput 2, XFixes 4, Present and MIT-SHM 1.2 or DRI3 extensions; "
			         "see the message above)",
			         where);
		else
			cl_info("backend: a window on the X server %s", where);
		return backend;
	case CL_BACKEND_DRM:
		watchdog_arm("the seat or the DRM device");
		backend = create_drm_backend(server);
		watchdog_disarm();
		if (backend)
			cl_info("backend: DRM and libinput on seat %s",
			        server->session->seat[0] ? server->session->seat : "?");
		return backend;
	case CL_BACKEND_AUTO:
		break;
	}
	cl_error("no backend chosen");
	return NULL;
}

static int setup_backend(struct cl_server *server, const struct cl_server_options *opts)
{
	server->backend_kind = cl_backend_choose(opts->backend);
	server->backend = create_backend(server);
	if (!server->backend)
		return -ENODEV;
	if (server->backend_kind == CL_BACKEND_WAYLAND || server->backend_kind == CL_BACKEND_X11) {
		server->nested_width = opts->width;
		server->nested_height = opts->height;
		/* One window; before the start this only asks for it (opened by the start). */
		if (server->backend_kind == CL_BACKEND_WAYLAND)
			wlr_wl_output_create(server->backend);
		else
			wlr_x11_output_create(server->backend);
	}
	/*
	 * Headless: pixman, always (stable pixels, no GPU needed).  Otherwise
	 * wlroots' choice: GLES2 when the backend has a DRM device (a GPU, or a
	 * parent offering one), else pixman; WLR_RENDERER overrides it.
	 */
	if (server->backend_kind == CL_BACKEND_HEADLESS)
		server->renderer = wlr_pixman_renderer_create();
	else
		server->renderer = wlr_renderer_autocreate(server->backend);
	if (!server->renderer) {
		cl_error("cannot create a renderer");
		return -ENODEV;
	}
	cl_info("renderer: %s", wlr_renderer_is_pixman(server->renderer)  ? "pixman"
	                        : wlr_renderer_is_gles2(server->renderer) ? "gles2"
	                                                                  : "other");
	if (!wlr_renderer_init_wl_display(server->renderer, server->display)) {
		cl_error("cannot initialise the renderer's buffer protocols");
		return -ENODEV;
	}
	server->allocator = wlr_allocator_autocreate(server->backend, server->renderer);
	if (!server->allocator) {
		if (server->backend_kind == CL_BACKEND_X11)
			cl_error("cannot create a buffer allocator: the X server offers neither "
			         "MIT-SHM 1.2 (shared memory) nor DRI3 (GPU buffers)");
		else if (server->backend_kind == CL_BACKEND_WAYLAND)
			cl_error("cannot create a buffer allocator: the parent Wayland compositor "
			         "offers neither wl_shm nor linux-dmabuf");
		else
			cl_error("cannot create a buffer allocator");
		return -ENODEV;
	}
	/*
	 * The parent's display is ours alone: nothing started by the compositor
	 * (the bar) may open a window there, outside the trusted strip.  wlroots
	 * has connected already.
	 */
	unsetenv("WAYLAND_DISPLAY");
	unsetenv("WAYLAND_SOCKET");
	unsetenv("DISPLAY");
	unsetenv("XAUTHORITY");

	return 0;
}

static int setup_protocols(struct cl_server *server, bool headless)
{
	struct wlr_presentation *presentation;

	server->compositor = wlr_compositor_create(server->display, server->renderer);
	if (!server->compositor)
		return -ENOMEM;
	/* wlroots 0.15: wlr_compositor_create also makes wl_subcompositor. */
	if (!wlr_data_device_manager_create(server->display) ||
	    !wlr_primary_selection_v1_device_manager_create(server->display) ||
	    !wlr_viewporter_create(server->display))
		return -ENOMEM;

	server->output_layout = wlr_output_layout_create();
	if (!server->output_layout)
		return -ENOMEM;
	if (!wlr_xdg_output_manager_v1_create(server->display, server->output_layout))
		return -ENOMEM;

	server->scene = wlr_scene_create();
	if (!server->scene || !wlr_scene_attach_output_layout(server->scene, server->output_layout))
		return -ENOMEM;
	presentation = wlr_presentation_create(server->display, server->backend);
	if (!presentation)
		return -ENOMEM;
	wlr_scene_set_presentation(server->scene, presentation);
	/* Created in this order: layer_core is drawn above layer_views. */
	server->layer_views = wlr_scene_tree_create(&server->scene->node);
	server->layer_core = wlr_scene_tree_create(&server->scene->node);
	if (!server->layer_views || !server->layer_core)
		return -ENOMEM;
	/* First in layer_core: below the bar and the strips (output.c keeps it so). */
	server->layer_dialogs = wlr_scene_tree_create(&server->layer_core->node);
	if (!server->layer_dialogs)
		return -ENOMEM;
	/* Below the dialogs, above every cage window and popup: the notifications. */
	server->layer_notifications = wlr_scene_tree_create(&server->layer_core->node);
	if (!server->layer_notifications)
		return -ENOMEM;
	wlr_scene_node_lower_to_bottom(&server->layer_notifications->node);

	server->xdg_shell = wlr_xdg_shell_create(server->display);
	if (!server->xdg_shell)
		return -ENOMEM;
	server->new_xdg_surface.notify = handle_new_xdg_surface;
	wl_signal_add(&server->xdg_shell->events.new_surface, &server->new_xdg_surface);

	server->decoration_manager = wlr_xdg_decoration_manager_v1_create(server->display);
	if (!server->decoration_manager)
		return -ENOMEM;
	server->new_decoration.notify = handle_new_decoration;
	wl_signal_add(&server->decoration_manager->events.new_toplevel_decoration,
	              &server->new_decoration);

	server->seat = wlr_seat_create(server->display, "seat0");
	if (!server->seat)
		return -ENOMEM;
	server->cursor = wlr_cursor_create();
	if (!server->cursor)
		return -ENOMEM;
	wlr_cursor_attach_output_layout(server->cursor, server->output_layout);
	server->cursor_manager = wlr_xcursor_manager_create(NULL, 24);
	if (!server->cursor_manager)
		return -ENOMEM;
	/*
	 * Headless: no pointer image at all.  Loading the theme costs tens of
	 * milliseconds at start, and a software cursor would only add noise to
	 * screenshots.
	 */
	if (!headless && !wlr_xcursor_manager_load(server->cursor_manager, 1))
		cl_warn("cannot load the cursor theme; the pointer may be invisible");
	return 0;
}

static void reap_dead_clients(void *data)
{
	struct cl_server *server = data;
	struct cl_client *client, *tmp;

	server->reap_idle = NULL;
	wl_list_for_each_safe (client, tmp, &server->clients, link) {
		if (!client->dead)
			continue;
		wl_list_remove(&client->link);
		free(client);
	}
}

/* Called by clients.c when a client has gone (its cl_client is now dead). */
void cl_server_schedule_reap(struct cl_server *server)
{
	if (!server->reap_idle)
		server->reap_idle = wl_event_loop_add_idle(server->loop, reap_dead_clients, server);
}

struct cl_server *cl_server_create(const struct cl_server_options *opts)
{
	struct cl_server *server = calloc(1, sizeof(*server));
	g_autoptr(GError) error = NULL;
	g_autofree char *ctl_path = NULL;
	bool headless;
	int r;

	if (!server) {
		cl_error("out of memory");
		return NULL;
	}
	server->config = opts->config;
	server->test_input = opts->test_input;
	server->runtime_fd = -1;
	server->lock_fd = -1;
	server->ready_fd = opts->ready_fd;
	server->next_view_id = 1;
	wl_list_init(&server->cage_sockets);
	wl_list_init(&server->outputs);
	wl_list_init(&server->views);
	wl_list_init(&server->keyboards);
	wl_list_init(&server->clients);
	wl_list_init(&server->new_output.link);
	wl_list_init(&server->new_input.link);
	wl_list_init(&server->new_xdg_surface.link);
	wl_list_init(&server->new_decoration.link);
	wl_list_init(&server->layout_change.link);
	wl_list_init(&server->bar_surface_destroy.link);

	wlr_log_init(cl_log_get_max_level() >= LOG_DEBUG ? WLR_DEBUG : WLR_ERROR,
	             wlr_log_to_cl_log);

	/*
	 * Every cage may hold CL_MAX_CLIENTS_PER_CAGE connections: raise the
	 * soft fd limit to the hard one so that one cage cannot starve the
	 * others (or the core) of file descriptors.  Children get the original.
	 */
	if (getrlimit(RLIMIT_NOFILE, &server->nofile) == 0) {
		struct rlimit raised = {server->nofile.rlim_max, server->nofile.rlim_max};

		if (server->nofile.rlim_cur < raised.rlim_cur &&
		    setrlimit(RLIMIT_NOFILE, &raised) < 0)
			cl_log_errno(LOG_WARNING, errno, "cannot raise the file descriptor limit");
	} else {
		server->nofile.rlim_cur = server->nofile.rlim_max = RLIM_INFINITY;
	}

	if (setup_runtime(server) < 0)
		goto fail;

	server->display = wl_display_create();
	if (!server->display) {
		cl_error("cannot create the Wayland display");
		goto fail;
	}
	server->loop = wl_display_get_event_loop(server->display);
	/* Before any global exists: cages must never see a privileged one. */
	wl_display_set_global_filter(server->display, cl_global_filter, server);

	/* Before any client: the protocol logger sees every protocol error. */
	if (cl_notify_create(server) < 0) {
		cl_error("cannot set up security events");
		goto fail;
	}

	server->sigterm =
	        wl_event_loop_add_signal(server->loop, SIGTERM, handle_terminate_signal, server);
	server->sigint =
	        wl_event_loop_add_signal(server->loop, SIGINT, handle_terminate_signal, server);

	if (setup_backend(server, opts) < 0)
		goto fail;
	headless = server->backend_kind == CL_BACKEND_HEADLESS;
	r = setup_protocols(server, headless);
	if (r < 0) {
		cl_log_errno(LOG_ERR, -r, "cannot create the compositor's protocols");
		goto fail;
	}

	server->new_output.notify = handle_new_output;
	wl_signal_add(&server->backend->events.new_output, &server->new_output);
	server->new_input.notify = handle_new_input;
	wl_signal_add(&server->backend->events.new_input, &server->new_input);

	cl_input_init(server);
	if (cl_shell_create(server) < 0)
		goto fail;

	if (headless) {
		int w = opts->width > 0 ? opts->width : 1280;
		int h = opts->height > 0 ? opts->height : 720;

		/* Announced by wlr_backend_start(), in cl_server_run(). */
		if (!wlr_headless_add_output(server->backend, (unsigned)w, (unsigned)h)) {
			cl_error("cannot create the headless output");
			goto fail;
		}
	}

	if (cl_cage_sockets_create(server) < 0)
		goto fail;

	ctl_path = cl_paths_socket(server->xdg_runtime_dir, NULL, CL_CTL_SOCKET, &error);
	if (!ctl_path) {
		cl_error("%s", error->message);
		goto fail;
	}
	server->ctl = cl_ctl_create(server, ctl_path);
	if (!server->ctl) {
		cl_error("cannot create the control socket %s", ctl_path);
		goto fail;
	}

	if (opts->bar_command && cl_bar_start(server, opts->bar_command) < 0)
		goto fail;

	return server;
fail:
	cl_server_destroy(server);
	return NULL;
}

static void signal_ready(struct cl_server *server)
{
	static const char ready[] = "READY=1\n";
	int r;

	if (server->ready_fd < 0)
		return;
	r = cl_write_all(server->ready_fd, ready, sizeof(ready) - 1);
	if (r < 0)
		cl_log_errno(LOG_WARNING, -r, "cannot write to the readiness fd %d",
		             server->ready_fd);
	server->ready_fd = cl_close(server->ready_fd);
}

int cl_server_run(struct cl_server *server)
{
	bool started;

	watchdog_arm(server->backend_kind == CL_BACKEND_WAYLAND ? "the parent Wayland compositor"
	             : server->backend_kind == CL_BACKEND_X11   ? "the X server"
	                                                        : "the backend");
	started = wlr_backend_start(server->backend);
	watchdog_disarm();
	if (!started) {
		cl_error("cannot start the %s backend", cl_backend_name(server->backend_kind));
		return -ENODEV;
	}
	if (wl_list_empty(&server->outputs)) {
		if (server->backend_kind == CL_BACKEND_WAYLAND ||
		    server->backend_kind == CL_BACKEND_X11) {
			cl_error("the %s backend opened no window; see the messages above",
			         cl_backend_name(server->backend_kind));
			return -ENODEV;
		}
		cl_warn("no output yet; windows will be placed when one appears");
	}
	/* Every cage socket listens, core/ctl exists, the outputs are announced. */
	signal_ready(server);
	cl_info("running (%d cage sockets)", wl_list_length(&server->cage_sockets));
	wl_display_run(server->display);
	return 0;
}

/*
 * wlroots 0.15's Wayland backend keeps a lock on every buffer the parent has
 * not released yet, and never drops it when the backend goes (a leak at
 * every exit): detach the buffers from our windows on the parent and wait
 * for its answer (the releases) first.
 */
static void release_parent_buffers(struct cl_server *server)
{
	struct wl_display *remote = wlr_wl_backend_get_remote_display(server->backend);
	struct cl_output *output;

	if (!remote || wl_display_get_error(remote) != 0)
		return;
	/* The cursor image is a buffer on the parent too. */
	if (server->cursor)
		wlr_cursor_set_image(server->cursor, NULL, 0, 0, 0, 0, 0, 0);
	wl_list_for_each (output, &server->outputs, link) {
		struct wl_surface *surface;

		if (!wlr_output_is_wl(output->wlr_output))
			continue;
		surface = wlr_wl_output_get_surface(output->wlr_output);
		wl_surface_attach(surface, NULL, 0, 0);
		wl_surface_commit(surface);
	}
	wl_display_roundtrip(remote);
}

void cl_server_destroy(struct cl_server *server)
{
	struct cl_client *client, *tmp;

	if (!server)
		return;

	if (server->display) {
		cl_bar_stop(server);
		if (server->ctl) {
			cl_ctl_destroy(server->ctl);
			server->ctl = NULL;
		}
		cl_cage_sockets_destroy(server);
		wl_display_destroy_clients(server->display);
		cl_shell_destroy(server);
		cl_input_finish(server);
		cl_notify_destroy(server);
	}
	/* The bar's surface is gone with its client; no listener may remain. */
	wl_list_remove(&server->bar_surface_destroy.link);
	wl_list_init(&server->bar_surface_destroy.link);
	server->bar_surface = NULL;
	server->bar_node = NULL;
	server->bar_view = NULL;

	wl_list_remove(&server->new_xdg_surface.link);
	wl_list_remove(&server->new_decoration.link);
	wl_list_remove(&server->new_output.link);
	wl_list_remove(&server->new_input.link);

	if (server->backend && server->backend_kind == CL_BACKEND_WAYLAND)
		release_parent_buffers(server);
	if (server->backend)
		wlr_backend_destroy(server->backend); /* destroys outputs and input devices */
	if (server->session)
		wlr_session_destroy(server->session);
	cl_outputs_destroy(server);
	if (server->cursor_manager)
		wlr_xcursor_manager_destroy(server->cursor_manager);
	if (server->cursor)
		wlr_cursor_destroy(server->cursor);
	/*
	 * The layout before the scene: the scene's output-layout helper listens
	 * to the layout's destruction and frees itself then; destroying the
	 * scene first leaves that listener dangling.
	 */
	if (server->output_layout)
		wlr_output_layout_destroy(server->output_layout);
	if (server->scene)
		wlr_scene_node_destroy(&server->scene->node);

	if (server->reap_idle)
		wl_event_source_remove(server->reap_idle);
	server->reap_idle = NULL;
	if (server->sigterm)
		wl_event_source_remove(server->sigterm);
	if (server->sigint)
		wl_event_source_remove(server->sigint);
	if (server->display)
		wl_display_destroy(server->display);
	if (server->allocator)
		wlr_allocator_destroy(server->allocator);
	if (server->renderer)
		wlr_renderer_destroy(server->renderer);

	wl_list_for_each_safe (client, tmp, &server->clients, link) {
		wl_list_remove(&client->link);
		free(client);
	}
	cl_close(server->ready_fd);
	cl_close(server->lock_fd);
	cl_close(server->runtime_fd);
	g_free(server->runtime_dir);
	g_free(server->xdg_runtime_dir);
	free(server);
}
