/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cl-test-pointer: an xdg toplevel filled with one colour that does
 * pointer-driven things, for the compositor tests: drag-and-drop (as the
 * source or as a receiver), interactive moves, and window geometry or
 * buffer offsets far outside its surface.
 *
 *   cl-test-pointer [--app-id ID] [--title T] [--colour RRGGBB] [--size WxH]
 *                   [--drag TEXT [--icon W,H] [--icon-colour RRGGBB]
 *                    [--bad-serial] [--no-source]]
 *                   [--receive] [--move-on-press]
 *                   [--geometry X,Y,W,H] [--offset DX,DY]
 *
 * Prints on stdout, line-buffered: "configure W H", "mapped",
 * "pointer-enter", "pointer-leave", "button CODE pressed|released".
 * --drag TEXT: on a press of a pointer button on the window, starts a drag
 * (wl_data_device.start_drag, with the press's serial) offering TEXT as
 * text/plain;charset=utf-8 with the copy action; prints "drag-start", then
 * what its source is told: "source-target MIME|none", "source-action N",
 * "source-send MIME" (TEXT is written), "source-dropped", "source-finished",
 * "source-cancelled".  --icon gives the drag a W x H icon (--icon-colour,
 * default ff00ff); --bad-serial starts it with a serial the compositor never
 * sent; --no-source starts a drag without a data source.  On SIGUSR1 it
 * destroys its source and its icon surface mid-drag and prints "destroyed".
 * --receive: for every drag that enters the window, prints "dnd-enter",
 * "dnd-offer MIME" for each type offered, "dnd-motion" (first motion of
 * each entry only), "dnd-leave", "dnd-drop", and on a drop reads the text
 * and prints "dnd-data TEXT" (accepting text with the copy action).
 * --move-on-press: asks for an interactive move (xdg_toplevel.move) on every
 * button press; prints "move-requested".
 * --geometry sets that window geometry (any numbers, e.g. far negative) on
 * every commit; --offset attaches every buffer with that offset.
 * Exits 0 when closed by the compositor or on SIGTERM, 3 when disconnected,
 * 2 on usage or set-up errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <wayland-client.h>

#include "xdg-shell-client-protocol.h"
#include "cl-test-client.h"

#define TEXT_MIME "text/plain;charset=utf-8"
#define MAX_SIDE  8192
#define MAX_TEXT  4096

struct app {
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm_base;
	struct wl_seat *seat;
	struct wl_pointer *pointer;
	struct wl_data_device_manager *ddm;
	struct wl_data_device *data_device;

	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *xdg_toplevel;
	struct wl_buffer *buffer;
	int buffer_w, buffer_h;
	bool mapped, closed;

	const char *app_id, *title;
	uint32_t colour;
	int width, height;
	/* --drag */
	const char *drag_text;
	int icon_w, icon_h;
	uint32_t icon_colour;
	bool bad_serial, no_source;
	struct wl_data_source *source;
	struct wl_surface *icon;
	struct wl_buffer *icon_buffer;
	/* --receive */
	bool receive;
	struct wl_data_offer *offer; /* the drag's offer while it is over us */
	bool offer_text, motion_seen;
	uint32_t enter_serial;
	/* --move-on-press */
	bool move_on_press;
	/* --geometry, --offset */
	bool set_geometry;
	int geometry[4];
	bool set_offset;
	int offset[2];
};

/* ---- buffers ---- */

static struct wl_buffer *solid_buffer(struct app *app, int width, int height, uint32_t colour)
{
	struct wl_buffer *buffer = cl_test_solid_buffer(app->shm, width, height, colour);

	if (!buffer)
		cl_test_die("shm: %s", strerror(errno));
	return buffer;
}

static void draw(struct app *app, int width, int height)
{
	if (!app->buffer || app->buffer_w != width || app->buffer_h != height) {
		if (app->buffer)
			wl_buffer_destroy(app->buffer);
		app->buffer = solid_buffer(app, width, height, app->colour);
		app->buffer_w = width;
		app->buffer_h = height;
	}
	if (app->set_offset)
		wl_surface_attach(app->surface, app->buffer, app->offset[0], app->offset[1]);
	else
		wl_surface_attach(app->surface, app->buffer, 0, 0);
	wl_surface_damage(app->surface, 0, 0, INT32_MAX, INT32_MAX);
	if (app->set_geometry)
		xdg_surface_set_window_geometry(app->xdg_surface, app->geometry[0],
		                                app->geometry[1], app->geometry[2],
		                                app->geometry[3]);
	wl_surface_commit(app->surface);
	if (!app->mapped) {
		app->mapped = true;
		printf("mapped\n");
	}
}

/* ---- xdg-shell ---- */

static void handle_toplevel_configure(void *data, struct xdg_toplevel *toplevel, int32_t width,
                                      int32_t height, struct wl_array *states)
{
	struct app *app = data;

	if (width > 0 && width <= MAX_SIDE)
		app->width = width;
	if (height > 0 && height <= MAX_SIDE)
		app->height = height;
	printf("configure %d %d\n", app->width, app->height);
}

static void handle_toplevel_close(void *data, struct xdg_toplevel *toplevel)
{
	struct app *app = data;

	app->closed = true;
}

static const struct xdg_toplevel_listener toplevel_listener = {
        .configure = handle_toplevel_configure,
        .close = handle_toplevel_close,
};

static void handle_surface_configure(void *data, struct xdg_surface *xdg_surface, uint32_t serial)
{
	struct app *app = data;

	xdg_surface_ack_configure(xdg_surface, serial);
	draw(app, app->width, app->height);
}

static const struct xdg_surface_listener surface_listener = {.configure = handle_surface_configure};

/* ---- drag source ---- */

static void handle_source_target(void *data, struct wl_data_source *source, const char *mime)
{
	printf("source-target %s\n", mime ? mime : "none");
}

static void handle_source_send(void *data, struct wl_data_source *source, const char *mime,
                               int32_t fd)
{
	struct app *app = data;
	size_t len = strlen(app->drag_text), done = 0;

	while (done < len) {
		ssize_t n = write(fd, app->drag_text + done, len - done);

		if (n <= 0)
			break;
		done += (size_t)n;
	}
	close(fd);
	printf("source-send %s\n", mime);
}

/* The drag is over (or abandoned): its source and icon go. */
static void source_forget(struct app *app)
{
	if (app->source)
		wl_data_source_destroy(app->source);
	app->source = NULL;
	if (app->icon)
		wl_surface_destroy(app->icon);
	app->icon = NULL;
	if (app->icon_buffer)
		wl_buffer_destroy(app->icon_buffer);
	app->icon_buffer = NULL;
}

static void handle_source_cancelled(void *data, struct wl_data_source *source)
{
	printf("source-cancelled\n");
	source_forget(data);
}

static void handle_source_dropped(void *data, struct wl_data_source *source)
{
	printf("source-dropped\n");
}

static void handle_source_finished(void *data, struct wl_data_source *source)
{
	printf("source-finished\n");
	source_forget(data);
}

static void handle_source_action(void *data, struct wl_data_source *source, uint32_t action)
{
	printf("source-action %u\n", action);
}

static const struct wl_data_source_listener source_listener = {
        .target = handle_source_target,
        .send = handle_source_send,
        .cancelled = handle_source_cancelled,
        .dnd_drop_performed = handle_source_dropped,
        .dnd_finished = handle_source_finished,
        .action = handle_source_action,
};

static void start_drag(struct app *app, uint32_t serial)
{
	if (!app->data_device)
		cl_test_die("no wl_data_device_manager");
	if (app->source)
		return;     /* one drag at a time */
	source_forget(app); /* an icon left by a drag without source */
	if (!app->no_source) {
		app->source = wl_data_device_manager_create_data_source(app->ddm);
		wl_data_source_add_listener(app->source, &source_listener, app);
		wl_data_source_offer(app->source, TEXT_MIME);
		wl_data_source_set_actions(app->source, WL_DATA_DEVICE_MANAGER_DND_ACTION_COPY);
	}
	if (app->icon_w > 0) {
		app->icon = wl_compositor_create_surface(app->compositor);
		app->icon_buffer = solid_buffer(app, app->icon_w, app->icon_h, app->icon_colour);
		wl_surface_attach(app->icon, app->icon_buffer, 0, 0);
		wl_surface_damage(app->icon, 0, 0, INT32_MAX, INT32_MAX);
	}
	wl_data_device_start_drag(app->data_device, app->source, app->surface, app->icon,
	                          app->bad_serial ? serial + 1000 : serial);
	/* The icon's buffer is applied by the commit after start_drag. */
	if (app->icon)
		wl_surface_commit(app->icon);
	printf("drag-start\n");
}

/* SIGUSR1: the source and the icon go away in the middle of the drag. */
static void destroy_drag_objects(struct app *app)
{
	source_forget(app);
	printf("destroyed\n");
}

/* ---- drag receiver ---- */

static void handle_offer_offer(void *data, struct wl_data_offer *offer, const char *mime)
{
	struct app *app = data;

	printf("dnd-offer %s\n", mime);
	if (strcmp(mime, TEXT_MIME) == 0)
		app->offer_text = true;
}

static void handle_offer_source_actions(void *data, struct wl_data_offer *offer, uint32_t actions)
{
}

static void handle_offer_action(void *data, struct wl_data_offer *offer, uint32_t action)
{
}

static const struct wl_data_offer_listener offer_listener = {
        .offer = handle_offer_offer,
        .source_actions = handle_offer_source_actions,
        .action = handle_offer_action,
};

static void drop_offer(struct app *app)
{
	if (app->offer)
		wl_data_offer_destroy(app->offer);
	app->offer = NULL;
	app->offer_text = false;
}

static void handle_dd_data_offer(void *data, struct wl_data_device *dd, struct wl_data_offer *o)
{
	struct app *app = data;

	/* A new offer (drag or selection): keep it until enter or selection says which. */
	drop_offer(app);
	app->offer = o;
	wl_data_offer_add_listener(o, &offer_listener, app);
}

static void handle_dd_enter(void *data, struct wl_data_device *dd, uint32_t serial,
                            struct wl_surface *surface, wl_fixed_t x, wl_fixed_t y,
                            struct wl_data_offer *o)
{
	struct app *app = data;

	printf("dnd-enter\n");
	app->motion_seen = false;
	app->enter_serial = serial;
	if (!o || o != app->offer)
		return;
	if (app->offer_text)
		wl_data_offer_accept(o, serial, TEXT_MIME);
	wl_data_offer_set_actions(o, WL_DATA_DEVICE_MANAGER_DND_ACTION_COPY,
	                          WL_DATA_DEVICE_MANAGER_DND_ACTION_COPY);
}

static void handle_dd_leave(void *data, struct wl_data_device *dd)
{
	struct app *app = data;

	printf("dnd-leave\n");
	drop_offer(app);
}

static void handle_dd_motion(void *data, struct wl_data_device *dd, uint32_t time, wl_fixed_t x,
                             wl_fixed_t y)
{
	struct app *app = data;

	if (!app->motion_seen)
		printf("dnd-motion\n");
	app->motion_seen = true;
}

/* Read what the source writes (2 s at most) and print "dnd-data TEXT". */
static void receive_text(struct app *app, struct wl_data_offer *o)
{
	char buf[MAX_TEXT + 1];
	size_t len = 0;
	int fds[2];

	if (pipe2(fds, O_CLOEXEC) < 0)
		cl_test_die("pipe2: %s", strerror(errno));
	wl_data_offer_receive(o, TEXT_MIME, fds[1]);
	close(fds[1]);
	wl_display_flush(app->display);
	for (;;) {
		struct pollfd p = {.fd = fds[0], .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, 2000) <= 0 || len >= MAX_TEXT)
			break;
		n = read(fds[0], buf + len, MAX_TEXT - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fds[0]);
	buf[len] = '\0';
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)buf[i] < 0x20)
			buf[i] = '?';
	}
	printf("dnd-data %s\n", len ? buf : "(empty)");
}

static void handle_dd_drop(void *data, struct wl_data_device *dd)
{
	struct app *app = data;

	printf("dnd-drop\n");
	if (!app->offer)
		return;
	if (app->offer_text) {
		receive_text(app, app->offer);
		if (wl_data_offer_get_version(app->offer) >= 3)
			wl_data_offer_finish(app->offer);
	}
	drop_offer(app);
}

static void handle_dd_selection(void *data, struct wl_data_device *dd, struct wl_data_offer *o)
{
	struct app *app = data;

	/* Selections are not this client's business. */
	if (o && o == app->offer)
		drop_offer(app);
	else if (o)
		wl_data_offer_destroy(o);
}

static const struct wl_data_device_listener data_device_listener = {
        .data_offer = handle_dd_data_offer,
        .enter = handle_dd_enter,
        .leave = handle_dd_leave,
        .motion = handle_dd_motion,
        .drop = handle_dd_drop,
        .selection = handle_dd_selection,
};

/* ---- pointer ---- */

static void handle_pointer_enter(void *data, struct wl_pointer *pointer, uint32_t serial,
                                 struct wl_surface *surface, wl_fixed_t sx, wl_fixed_t sy)
{
	printf("pointer-enter\n");
}

static void handle_pointer_leave(void *data, struct wl_pointer *pointer, uint32_t serial,
                                 struct wl_surface *surface)
{
	printf("pointer-leave\n");
}

static void handle_pointer_button(void *data, struct wl_pointer *pointer, uint32_t serial,
                                  uint32_t time, uint32_t button, uint32_t state)
{
	struct app *app = data;
	bool pressed = state == WL_POINTER_BUTTON_STATE_PRESSED;

	printf("button %u %s\n", button, pressed ? "pressed" : "released");
	if (!pressed)
		return;
	if (app->move_on_press) {
		xdg_toplevel_move(app->xdg_toplevel, app->seat, serial);
		printf("move-requested\n");
	}
	if (app->drag_text)
		start_drag(app, serial);
}

static const struct wl_pointer_listener pointer_listener = {
        .enter = handle_pointer_enter,
        .leave = handle_pointer_leave,
        .button = handle_pointer_button,
        CL_TEST_POINTER_IGNORED,
};

static void handle_seat_capabilities(void *data, struct wl_seat *seat, uint32_t caps)
{
	struct app *app = data;

	if ((caps & WL_SEAT_CAPABILITY_POINTER) && !app->pointer) {
		app->pointer = wl_seat_get_pointer(seat);
		wl_pointer_add_listener(app->pointer, &pointer_listener, app);
	}
}

static const struct wl_seat_listener seat_listener = {
        .capabilities = handle_seat_capabilities,
        .name = cl_test_ignore_seat_name,
};

/* ---- registry ---- */

static void handle_global(void *data, struct wl_registry *registry, uint32_t name,
                          const char *interface, uint32_t version)
{
	struct app *app = data;

	if (cl_test_bind_core(registry, name, interface, version, &app->compositor, &app->shm,
	                      &app->wm_base))
		return;
	if (strcmp(interface, wl_seat_interface.name) == 0 && !app->seat) {
		app->seat = wl_registry_bind(registry, name, &wl_seat_interface,
		                             cl_test_min_u32(version, 5));
		wl_seat_add_listener(app->seat, &seat_listener, app);
	} else if (strcmp(interface, wl_data_device_manager_interface.name) == 0 && !app->ddm) {
		app->ddm = wl_registry_bind(registry, name, &wl_data_device_manager_interface,
		                            cl_test_min_u32(version, 3));
	}
}

static const struct wl_registry_listener registry_listener = {
        .global = handle_global,
        .global_remove = cl_test_ignore_global_remove,
};

/* ---- arguments ---- */

/* N comma-separated integers in [min, max] (or x-separated when sep is 'x'). */
static bool parse_ints(const char *s, char sep, int n, long min, long max, int *v)
{
	const char *p = s;

	for (int i = 0; i < n; i++) {
		char *end;
		long x;

		errno = 0;
		x = strtol(p, &end, 10);
		if (errno || end == p || x < min || x > max)
			return false;
		v[i] = (int)x;
		if (i + 1 < n) {
			if (*end != sep)
				return false;
			p = end + 1;
		} else if (*end) {
			return false;
		}
	}
	return true;
}

static const char *need_arg(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc)
		cl_test_die("%s needs an argument", argv[*i]);
	return argv[++*i];
}

static void parse_args(struct app *app, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int v[4];

		if (strcmp(a, "--app-id") == 0) {
			app->app_id = need_arg(argc, argv, &i);
		} else if (strcmp(a, "--title") == 0) {
			app->title = need_arg(argc, argv, &i);
		} else if (strcmp(a, "--colour") == 0) {
			if (!cl_test_parse_colour(need_arg(argc, argv, &i), &app->colour))
				cl_test_die("--colour needs RRGGBB");
		} else if (strcmp(a, "--size") == 0) {
			if (!parse_ints(need_arg(argc, argv, &i), 'x', 2, 1, MAX_SIDE, v))
				cl_test_die("--size needs WxH (1-%d)", MAX_SIDE);
			app->width = v[0];
			app->height = v[1];
		} else if (strcmp(a, "--drag") == 0) {
			app->drag_text = need_arg(argc, argv, &i);
			if (strlen(app->drag_text) > MAX_TEXT)
				cl_test_die("--drag: at most %d bytes", MAX_TEXT);
		} else if (strcmp(a, "--icon") == 0) {
			if (!parse_ints(need_arg(argc, argv, &i), ',', 2, 1, MAX_SIDE, v))
				cl_test_die("--icon needs W,H (1-%d)", MAX_SIDE);
			app->icon_w = v[0];
			app->icon_h = v[1];
		} else if (strcmp(a, "--icon-colour") == 0) {
			if (!cl_test_parse_colour(need_arg(argc, argv, &i), &app->icon_colour))
				cl_test_die("--icon-colour needs RRGGBB");
		} else if (strcmp(a, "--bad-serial") == 0) {
			app->bad_serial = true;
		} else if (strcmp(a, "--no-source") == 0) {
			app->no_source = true;
		} else if (strcmp(a, "--receive") == 0) {
			app->receive = true;
		} else if (strcmp(a, "--move-on-press") == 0) {
			app->move_on_press = true;
		} else if (strcmp(a, "--geometry") == 0) {
			if (!parse_ints(need_arg(argc, argv, &i), ',', 4, INT_MIN / 2, INT_MAX / 2,
			                app->geometry))
				cl_test_die("--geometry needs X,Y,W,H");
			app->set_geometry = true;
		} else if (strcmp(a, "--offset") == 0) {
			if (!parse_ints(need_arg(argc, argv, &i), ',', 2, INT_MIN / 2, INT_MAX / 2,
			                app->offset))
				cl_test_die("--offset needs DX,DY");
			app->set_offset = true;
		} else {
			cl_test_die("unknown option %s", a);
		}
	}
	if ((app->icon_w || app->bad_serial || app->no_source) && !app->drag_text)
		cl_test_die("--icon, --bad-serial and --no-source go with --drag");
}

/* ---- main ---- */

int main(int argc, char **argv)
{
	struct app app = {
	        .app_id = "cl-test-pointer",
	        .title = "cl-test-pointer",
	        .colour = 0x808080,
	        .icon_colour = 0xff00ff,
	        .width = 300,
	        .height = 200,
	};
	struct pollfd fds[2];
	int sfd;

	cl_test_name = "cl-test-pointer";
	setvbuf(stdout, NULL, _IOLBF, 0);
	parse_args(&app, argc, argv);

	sfd = cl_test_signalfd(SIGUSR1, SIGTERM, SIGINT, 0);
	app.display = cl_test_connect(&registry_listener, &app, &app.registry);
	if (wl_display_roundtrip(app.display) < 0)
		cl_test_die("roundtrip failed");
	if (!app.compositor || !app.shm || !app.wm_base || !app.seat)
		cl_test_die("missing wl_compositor, wl_shm, xdg_wm_base or wl_seat");
	if ((app.drag_text || app.receive) && !app.ddm)
		cl_test_die("missing wl_data_device_manager");
	if (app.ddm) {
		app.data_device = wl_data_device_manager_get_data_device(app.ddm, app.seat);
		if (app.receive || app.drag_text)
			wl_data_device_add_listener(app.data_device, &data_device_listener, &app);
	}

	app.surface = wl_compositor_create_surface(app.compositor);
	app.xdg_surface = xdg_wm_base_get_xdg_surface(app.wm_base, app.surface);
	xdg_surface_add_listener(app.xdg_surface, &surface_listener, &app);
	app.xdg_toplevel = xdg_surface_get_toplevel(app.xdg_surface);
	xdg_toplevel_add_listener(app.xdg_toplevel, &toplevel_listener, &app);
	xdg_toplevel_set_app_id(app.xdg_toplevel, app.app_id);
	xdg_toplevel_set_title(app.xdg_toplevel, app.title);
	wl_surface_commit(app.surface);

	fds[1] = (struct pollfd){.fd = sfd, .events = POLLIN};
	while (!app.closed) {
		if (cl_test_dispatch_poll(app.display, fds, 2) < 0)
			break;
		if (fds[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGUSR1)
					destroy_drag_objects(&app);
				else
					return 0;
			}
		}
	}
	if (!app.closed) {
		int err = wl_display_get_error(app.display);

		fprintf(stderr, "cl-test-pointer: disconnected: %s\n",
		        err ? strerror(err) : "connection lost");
		return 3;
	}
	return 0;
}
