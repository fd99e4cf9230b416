/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cl-test-bar: a raw Wayland stand-in for the trusted bar, for the
 * compositor tests.  Started by cloison-compositor as its --bar program
 * (WAYLAND_SOCKET), it binds zcloison_shell_v1, shows a bar and dialogs
 * filled with one colour (wl_shm) and reports what the compositor tells it.
 *
 *   cl-test-bar --out FILE [--commands FIFO] [--bar toplevel|surface|none]
 *               [--bar-colour RRGGBB] [--early] [--dialog W,H,RRGGBB]...
 *               [--notification W,H,RRGGBB]... [--shell-version 1|2]
 *
 * --bar toplevel (default): an xdg_toplevel given to set_bar; it draws the
 * size the compositor configures (CL_BAR_DEFAULT_W x _H when 0x0).
 * --bar surface: a role-less wl_surface of that default size given to
 * set_bar.  --early: set_bar and set_dialog come before the toplevel's
 * first commit (otherwise after its first configure).  --dialog creates a
 * dialog toplevel (set_dialog) at start; it draws the configured size, or
 * W x H when the compositor leaves the size to it; --notification likewise a
 * notification toplevel (set_notification, shell version 2).
 * --shell-version binds zcloison_shell_v1 at that version (default 2).
 *
 * Lines appended to FILE (each process starts with "start PID"):
 *   env NAME=VALUE | env NAME unset   (DBUS_SESSION_BUS_ADDRESS, DISPLAY,
 *                                      XAUTHORITY, WAYLAND_DISPLAY,
 *                                      GDK_BACKEND; WAYLAND_SOCKET set|unset)
 *   shell                             zcloison_shell_v1 bound
 *   level ID / window ID CAGE LEVEL / window-closed ID / focus ID LEVEL
 *   secure-attention
 *   bar-configure W H [activated] / bar-mapped
 *   dialog-configure N W H [activated] / dialog-mapped N
 *   notification-configure N W H [activated] / notification-mapped N
 *   keyboard-enter WHO / keyboard-leave WHO / key CODE pressed|released
 *   pointer-enter WHO / button WHO CODE pressed|released
 *     (WHO: "bar", "dialog-N", "notification-N" or "other")
 *   protocol-error INTERFACE CODE / disconnected ERROR / sigterm
 *
 * Commands, one per line on the FIFO:
 *   dialog W H RRGGBB      a new dialog (numbered from 1, --dialog first)
 *   dialog-big W H RRGGBB  a dialog that draws W x H whatever it is told
 *   close-dialog N         destroy dialog N
 *   notification W H RRGGBB      a new notification toplevel (numbered
 *                                from 1, --notification first)
 *   notification-big W H RRGGBB  one that draws W x H whatever it is told
 *   close-notification N   destroy notification toplevel N
 *   notification-requests N  notification toplevel N asks to be maximised,
 *                          fullscreen, moved and resized (all ignored)
 *   release                release_focus
 *   focus-window ID        focus_window
 *   bar-draw W H           draw the bar W x H, whatever it was told
 *   bad KIND               a request the compositor must refuse with
 *                          invalid_surface: "dialog-roleless" (set_dialog
 *                          on a role-less surface), "dialog-popup" (on an
 *                          xdg_popup), "dialog-bar" (on the bar's
 *                          toplevel), "bar-dialog" (set_bar on dialog 1),
 *                          "bar-xdg-surface" (set_bar on an xdg_surface
 *                          without a role), "notification-roleless",
 *                          "notification-popup", "notification-bar" (on
 *                          the bar's toplevel), "notification-dialog" (on
 *                          dialog 1), "dialog-notification" (set_dialog on
 *                          notification 1), "bar-notification" (set_bar
 *                          on notification 1)
 *   quit                   exit 0
 * Exit status: 0 on quit or SIGTERM, 3 when the compositor disconnected it,
 * 2 on usage or set-up errors.  On SIGTERM, what the socket still holds
 * (up to 1 s) is read first: a protocol error is still reported.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <wayland-client.h>

#include "cloison-shell-unstable-v1-client-protocol.h"
#include "xdg-shell-client-protocol.h"
#include "cl-test-client.h"

#define CL_BAR_DEFAULT_W  1280
#define CL_BAR_DEFAULT_H  28
#define MAX_DIALOGS       16
#define MAX_NOTIFICATIONS 8
#define MAX_SIDE          4096

enum kind { KIND_BAR, KIND_DIALOG, KIND_NOTIFICATION };

static const char *const kind_names[] = {"bar", "dialog", "notification"};

struct window {
	struct app *app;
	enum kind kind;
	int index; /* dialogs, notifications: 1.. */
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *xdg_toplevel;
	struct wl_buffer *buffer;
	uint32_t colour;
	int own_w, own_h;   /* size drawn when the compositor leaves it to us */
	int next_w, next_h; /* from the last configure */
	bool ignore_size;   /* draws own_w x own_h whatever it is told */
	bool activated;
	bool mapped;
	bool role_sent;
};

struct app {
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm_base;
	struct wl_seat *seat;
	struct wl_keyboard *keyboard;
	struct wl_pointer *pointer;
	struct zcloison_shell_v1 *shell;
	FILE *out;
	const char *commands;
	int commands_fd;
	char cmdbuf[4096];
	size_t cmdlen;
	const char *bar_mode;
	uint32_t bar_colour;
	bool early;
	struct window bar;
	struct wl_surface *bar_plain; /* --bar surface */
	struct window *dialogs[MAX_DIALOGS];
	int n_dialogs;
	struct window *notifications[MAX_NOTIFICATIONS];
	int n_notifications;
	uint32_t shell_version;
	struct wl_surface *pointer_surface;
	bool quit;
};

static void say(struct app *app, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct app *app, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(app->out, fmt, ap);
	va_end(ap);
	fputc('\n', app->out);
	fflush(app->out);
}

/* ---- Buffers ---- */

static void buffer_release(void *data, struct wl_buffer *buffer)
{
	wl_buffer_destroy(buffer);
}

static const struct wl_buffer_listener buffer_listener = {.release = buffer_release};

/* A W x H buffer of COLOUR; destroyed when the compositor releases it. */
static struct wl_buffer *buffer_create(struct app *app, int w, int h, uint32_t colour)
{
	struct wl_buffer *buffer = cl_test_solid_buffer(app->shm, w, h, colour);

	if (!buffer)
		cl_test_die("shm: %s", strerror(errno));
	wl_buffer_add_listener(buffer, &buffer_listener, NULL);
	return buffer;
}

static void window_draw(struct window *win, int w, int h)
{
	if (w <= 0 || h <= 0 || w > MAX_SIDE || h > MAX_SIDE)
		return;
	wl_surface_attach(win->surface, buffer_create(win->app, w, h, win->colour), 0, 0);
	wl_surface_damage(win->surface, 0, 0, w, h);
	wl_surface_commit(win->surface);
	if (!win->mapped) {
		win->mapped = true;
		if (win->kind == KIND_BAR)
			say(win->app, "bar-mapped");
		else
			say(win->app, "%s-mapped %d", kind_names[win->kind], win->index);
	}
}

/* ---- Toplevels ---- */

static void send_role(struct window *win)
{
	struct app *app = win->app;

	if (win->role_sent)
		return;
	win->role_sent = true;
	if (win->kind == KIND_BAR)
		zcloison_shell_v1_set_bar(app->shell, win->surface);
	else if (win->kind == KIND_DIALOG)
		zcloison_shell_v1_set_dialog(app->shell, win->surface);
	else
		zcloison_shell_v1_set_notification(app->shell, win->surface);
}

static void xdg_surface_configure(void *data, struct xdg_surface *xdg_surface, uint32_t serial)
{
	struct window *win = data;
	int w = win->next_w, h = win->next_h;

	xdg_surface_ack_configure(xdg_surface, serial);
	if (win->kind == KIND_BAR)
		say(win->app, "bar-configure %d %d%s", w, h, win->activated ? " activated" : "");
	else
		say(win->app, "%s-configure %d %d %d%s", kind_names[win->kind], win->index, w, h,
		    win->activated ? " activated" : "");
	/* After the first commit: the compositor has a view for it now. */
	send_role(win);
	if (win->ignore_size || w <= 0 || h <= 0) {
		w = win->own_w;
		h = win->own_h;
	}
	window_draw(win, w, h);
}

static const struct xdg_surface_listener xdg_surface_listener = {
        .configure = xdg_surface_configure,
};

static void toplevel_configure(void *data, struct xdg_toplevel *toplevel, int32_t width,
                               int32_t height, struct wl_array *states)
{
	struct window *win = data;
	uint32_t *state;

	win->next_w = width;
	win->next_h = height;
	win->activated = false;
	wl_array_for_each(state, states)
	{
		if (*state == XDG_TOPLEVEL_STATE_ACTIVATED)
			win->activated = true;
	}
}

static void toplevel_close(void *data, struct xdg_toplevel *toplevel)
{
}

static const struct xdg_toplevel_listener toplevel_listener = {
        .configure = toplevel_configure,
        .close = toplevel_close,
};

static void window_init(struct app *app, struct window *win, enum kind kind, int index,
                        uint32_t colour, int own_w, int own_h)
{
	char title[32];

	win->app = app;
	win->kind = kind;
	win->index = index;
	win->colour = colour;
	win->own_w = own_w;
	win->own_h = own_h;
	win->surface = wl_compositor_create_surface(app->compositor);
	wl_surface_set_user_data(win->surface, win);
	win->xdg_surface = xdg_wm_base_get_xdg_surface(app->wm_base, win->surface);
	xdg_surface_add_listener(win->xdg_surface, &xdg_surface_listener, win);
	win->xdg_toplevel = xdg_surface_get_toplevel(win->xdg_surface);
	xdg_toplevel_add_listener(win->xdg_toplevel, &toplevel_listener, win);
	if (kind == KIND_BAR)
		snprintf(title, sizeof(title), "cloison-bar");
	else
		snprintf(title, sizeof(title), "%s %d", kind_names[kind], index);
	xdg_toplevel_set_title(win->xdg_toplevel, title);
	if (app->early)
		send_role(win);
	wl_surface_commit(win->surface);
}

static void window_destroy(struct window *win)
{
	if (win->xdg_toplevel)
		xdg_toplevel_destroy(win->xdg_toplevel);
	if (win->xdg_surface)
		xdg_surface_destroy(win->xdg_surface);
	if (win->surface)
		wl_surface_destroy(win->surface);
	memset(win, 0, sizeof(*win));
}

static struct window *dialog_new(struct app *app, int w, int h, uint32_t colour, bool big)
{
	struct window *win;

	if (app->n_dialogs >= MAX_DIALOGS)
		cl_test_die("too many dialogs");
	win = calloc(1, sizeof(*win));
	if (!win)
		cl_test_die("out of memory");
	win->ignore_size = big;
	app->dialogs[app->n_dialogs] = win;
	app->n_dialogs++;
	window_init(app, win, KIND_DIALOG, app->n_dialogs, colour, w, h);
	return win;
}

static struct window *notification_new(struct app *app, int w, int h, uint32_t colour, bool big)
{
	struct window *win;

	if (app->n_notifications >= MAX_NOTIFICATIONS)
		cl_test_die("too many notification toplevels");
	win = calloc(1, sizeof(*win));
	if (!win)
		cl_test_die("out of memory");
	win->ignore_size = big;
	app->notifications[app->n_notifications] = win;
	app->n_notifications++;
	window_init(app, win, KIND_NOTIFICATION, app->n_notifications, colour, w, h);
	return win;
}

/* "bar", "dialog-N", "notification-N" or "other" for a surface of ours. */
static void who(struct app *app, struct wl_surface *surface, char *out, size_t n)
{
	if (surface && surface == app->bar.surface) {
		snprintf(out, n, "bar");
		return;
	}
	if (surface && surface == app->bar_plain) {
		snprintf(out, n, "bar");
		return;
	}
	for (int i = 0; i < app->n_dialogs; i++) {
		if (app->dialogs[i] && surface && app->dialogs[i]->surface == surface) {
			snprintf(out, n, "dialog-%d", app->dialogs[i]->index);
			return;
		}
	}
	for (int i = 0; i < app->n_notifications; i++) {
		if (app->notifications[i] && surface && app->notifications[i]->surface == surface) {
			snprintf(out, n, "notification-%d", app->notifications[i]->index);
			return;
		}
	}
	snprintf(out, n, "other");
}

/* ---- Seat ---- */

static void kb_enter(void *data, struct wl_keyboard *kb, uint32_t serial,
                     struct wl_surface *surface, struct wl_array *keys)
{
	struct app *app = data;
	char w[32];

	who(app, surface, w, sizeof(w));
	say(app, "keyboard-enter %s", w);
}

static void kb_leave(void *data, struct wl_keyboard *kb, uint32_t serial,
                     struct wl_surface *surface)
{
	struct app *app = data;
	char w[32];

	who(app, surface, w, sizeof(w));
	say(app, "keyboard-leave %s", w);
}

static void kb_key(void *data, struct wl_keyboard *kb, uint32_t serial, uint32_t time, uint32_t key,
                   uint32_t state)
{
	say(data, "key %u %s", key,
	    state == WL_KEYBOARD_KEY_STATE_PRESSED ? "pressed" : "released");
}

static const struct wl_keyboard_listener keyboard_listener = {
        .keymap = cl_test_ignore_keymap,
        .enter = kb_enter,
        .leave = kb_leave,
        .key = kb_key,
        .modifiers = cl_test_ignore_modifiers,
        .repeat_info = cl_test_ignore_repeat_info,
};

static void ptr_enter(void *data, struct wl_pointer *pointer, uint32_t serial,
                      struct wl_surface *surface, wl_fixed_t x, wl_fixed_t y)
{
	struct app *app = data;
	char w[32];

	app->pointer_surface = surface;
	who(app, surface, w, sizeof(w));
	say(app, "pointer-enter %s", w);
}

static void ptr_leave(void *data, struct wl_pointer *pointer, uint32_t serial,
                      struct wl_surface *surface)
{
	struct app *app = data;

	app->pointer_surface = NULL;
}

static void ptr_button(void *data, struct wl_pointer *pointer, uint32_t serial, uint32_t time,
                       uint32_t button, uint32_t state)
{
	struct app *app = data;
	char w[32];

	who(app, app->pointer_surface, w, sizeof(w));
	say(app, "button %s %u %s", w, button,
	    state == WL_POINTER_BUTTON_STATE_PRESSED ? "pressed" : "released");
}

static const struct wl_pointer_listener pointer_listener = {
        .enter = ptr_enter,
        .leave = ptr_leave,
        .button = ptr_button,
        CL_TEST_POINTER_IGNORED,
};

static void seat_capabilities(void *data, struct wl_seat *seat, uint32_t caps)
{
	struct app *app = data;

	if ((caps & WL_SEAT_CAPABILITY_KEYBOARD) && !app->keyboard) {
		app->keyboard = wl_seat_get_keyboard(seat);
		wl_keyboard_add_listener(app->keyboard, &keyboard_listener, app);
	}
	if ((caps & WL_SEAT_CAPABILITY_POINTER) && !app->pointer) {
		app->pointer = wl_seat_get_pointer(seat);
		wl_pointer_add_listener(app->pointer, &pointer_listener, app);
	}
}

static const struct wl_seat_listener seat_listener = {
        .capabilities = seat_capabilities,
        .name = cl_test_ignore_seat_name,
};

/* ---- zcloison_shell_v1 ---- */

static void shell_secure_attention(void *data, struct zcloison_shell_v1 *shell)
{
	say(data, "secure-attention");
}

static void shell_level(void *data, struct zcloison_shell_v1 *shell, const char *id,
                        const char *label, uint32_t colour, int32_t rank)
{
	say(data, "level %s", id);
}

static void shell_window(void *data, struct zcloison_shell_v1 *shell, uint32_t id, const char *cage,
                         const char *level, const char *title, const char *app_id)
{
	say(data, "window %u %s %s", id, cage, level);
}

static void shell_window_closed(void *data, struct zcloison_shell_v1 *shell, uint32_t id)
{
	say(data, "window-closed %u", id);
}

static void shell_focus(void *data, struct zcloison_shell_v1 *shell, uint32_t id, const char *level)
{
	say(data, "focus %u %s", id, *level ? level : "-");
}

static void shell_done(void *data, struct zcloison_shell_v1 *shell)
{
}

static const struct zcloison_shell_v1_listener shell_listener = {
        .secure_attention = shell_secure_attention,
        .level = shell_level,
        .window = shell_window,
        .window_closed = shell_window_closed,
        .focus = shell_focus,
        .done = shell_done,
};

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
                            const char *iface, uint32_t version)
{
	struct app *app = data;

	if (cl_test_bind_core(registry, name, iface, version, &app->compositor, &app->shm,
	                      &app->wm_base))
		return;
	if (strcmp(iface, wl_seat_interface.name) == 0 && !app->seat) {
		app->seat = wl_registry_bind(registry, name, &wl_seat_interface, 5);
		wl_seat_add_listener(app->seat, &seat_listener, app);
	} else if (strcmp(iface, zcloison_shell_v1_interface.name) == 0) {
		if (version < app->shell_version)
			cl_test_die("the compositor offers zcloison_shell_v1 version %u, not %u",
			            version, app->shell_version);
		app->shell = wl_registry_bind(registry, name, &zcloison_shell_v1_interface,
		                              app->shell_version);
		zcloison_shell_v1_add_listener(app->shell, &shell_listener, app);
	}
}

static const struct wl_registry_listener registry_listener = {
        .global = registry_global,
        .global_remove = cl_test_ignore_global_remove,
};

/* ---- Commands ---- */

static void bad_request(struct app *app, const char *kind)
{
	struct wl_surface *surface;

	if (strcmp(kind, "dialog-roleless") == 0) {
		surface = wl_compositor_create_surface(app->compositor);
		zcloison_shell_v1_set_dialog(app->shell, surface);
	} else if (strcmp(kind, "dialog-popup") == 0) {
		struct xdg_positioner *pos = xdg_wm_base_create_positioner(app->wm_base);
		struct xdg_surface *xs;

		if (!app->bar.xdg_surface)
			cl_test_die("dialog-popup needs the bar toplevel");
		surface = wl_compositor_create_surface(app->compositor);
		xs = xdg_wm_base_get_xdg_surface(app->wm_base, surface);
		xdg_positioner_set_size(pos, 50, 50);
		xdg_positioner_set_anchor_rect(pos, 0, 0, 10, 10);
		xdg_surface_get_popup(xs, app->bar.xdg_surface, pos);
		zcloison_shell_v1_set_dialog(app->shell, surface);
	} else if (strcmp(kind, "dialog-bar") == 0) {
		if (!app->bar.surface)
			cl_test_die("dialog-bar needs the bar toplevel");
		zcloison_shell_v1_set_dialog(app->shell, app->bar.surface);
	} else if (strcmp(kind, "bar-dialog") == 0) {
		if (app->n_dialogs < 1)
			cl_test_die("bar-dialog needs a dialog");
		zcloison_shell_v1_set_bar(app->shell, app->dialogs[0]->surface);
	} else if (strcmp(kind, "bar-xdg-surface") == 0) {
		surface = wl_compositor_create_surface(app->compositor);
		xdg_wm_base_get_xdg_surface(app->wm_base, surface);
		zcloison_shell_v1_set_bar(app->shell, surface);
	} else if (strcmp(kind, "notification-roleless") == 0) {
		surface = wl_compositor_create_surface(app->compositor);
		zcloison_shell_v1_set_notification(app->shell, surface);
	} else if (strcmp(kind, "notification-popup") == 0) {
		struct xdg_positioner *pos = xdg_wm_base_create_positioner(app->wm_base);
		struct xdg_surface *xs;

		if (!app->bar.xdg_surface)
			cl_test_die("notification-popup needs the bar toplevel");
		surface = wl_compositor_create_surface(app->compositor);
		xs = xdg_wm_base_get_xdg_surface(app->wm_base, surface);
		xdg_positioner_set_size(pos, 50, 50);
		xdg_positioner_set_anchor_rect(pos, 0, 0, 10, 10);
		xdg_surface_get_popup(xs, app->bar.xdg_surface, pos);
		zcloison_shell_v1_set_notification(app->shell, surface);
	} else if (strcmp(kind, "notification-bar") == 0) {
		if (!app->bar.surface)
			cl_test_die("notification-bar needs the bar toplevel");
		zcloison_shell_v1_set_notification(app->shell, app->bar.surface);
	} else if (strcmp(kind, "notification-dialog") == 0) {
		if (app->n_dialogs < 1)
			cl_test_die("notification-dialog needs a dialog");
		zcloison_shell_v1_set_notification(app->shell, app->dialogs[0]->surface);
	} else if (strcmp(kind, "dialog-notification") == 0) {
		if (app->n_notifications < 1)
			cl_test_die("dialog-notification needs a notification toplevel");
		zcloison_shell_v1_set_dialog(app->shell, app->notifications[0]->surface);
	} else if (strcmp(kind, "bar-notification") == 0) {
		if (app->n_notifications < 1)
			cl_test_die("bar-notification needs a notification toplevel");
		zcloison_shell_v1_set_bar(app->shell, app->notifications[0]->surface);
	} else {
		say(app, "unknown bad kind %s", kind);
		return;
	}
	say(app, "sent bad %s", kind);
}

static void run_command(struct app *app, char *line)
{
	char colour[16], kind[64];
	uint32_t c, id;
	int w, h, n;

	if (sscanf(line, "dialog %d %d %15s", &w, &h, colour) == 3 &&
	    cl_test_parse_colour(colour, &c)) {
		dialog_new(app, w, h, c, false);
	} else if (sscanf(line, "dialog-big %d %d %15s", &w, &h, colour) == 3 &&
	           cl_test_parse_colour(colour, &c)) {
		dialog_new(app, w, h, c, true);
	} else if (sscanf(line, "close-dialog %d", &n) == 1 && n >= 1 && n <= app->n_dialogs &&
	           app->dialogs[n - 1]) {
		window_destroy(app->dialogs[n - 1]);
		free(app->dialogs[n - 1]);
		app->dialogs[n - 1] = NULL;
		say(app, "closed dialog %d", n);
	} else if (sscanf(line, "notification %d %d %15s", &w, &h, colour) == 3 &&
	           cl_test_parse_colour(colour, &c)) {
		notification_new(app, w, h, c, false);
	} else if (sscanf(line, "notification-big %d %d %15s", &w, &h, colour) == 3 &&
	           cl_test_parse_colour(colour, &c)) {
		notification_new(app, w, h, c, true);
	} else if (sscanf(line, "close-notification %d", &n) == 1 && n >= 1 &&
	           n <= app->n_notifications && app->notifications[n - 1]) {
		window_destroy(app->notifications[n - 1]);
		free(app->notifications[n - 1]);
		app->notifications[n - 1] = NULL;
		say(app, "closed notification %d", n);
	} else if (sscanf(line, "notification-requests %d", &n) == 1 && n >= 1 &&
	           n <= app->n_notifications && app->notifications[n - 1]) {
		struct xdg_toplevel *t = app->notifications[n - 1]->xdg_toplevel;

		xdg_toplevel_set_maximized(t);
		xdg_toplevel_set_fullscreen(t, NULL);
		if (app->seat) {
			xdg_toplevel_move(t, app->seat, 0);
			xdg_toplevel_resize(t, app->seat, 0, XDG_TOPLEVEL_RESIZE_EDGE_BOTTOM_LEFT);
		}
		say(app, "sent notification-requests %d", n);
	} else if (strcmp(line, "release") == 0) {
		zcloison_shell_v1_release_focus(app->shell);
	} else if (sscanf(line, "focus-window %u", &id) == 1) {
		zcloison_shell_v1_focus_window(app->shell, id);
	} else if (sscanf(line, "bar-draw %d %d", &w, &h) == 2 && app->bar.surface) {
		app->bar.own_w = w;
		app->bar.own_h = h;
		app->bar.ignore_size = true;
		window_draw(&app->bar, w, h);
	} else if (sscanf(line, "bad %63s", kind) == 1) {
		bad_request(app, kind);
	} else if (strcmp(line, "quit") == 0) {
		app->quit = true;
	} else if (*line) {
		say(app, "unknown command %s", line);
	}
}

static void read_commands(struct app *app)
{
	ssize_t r;
	char *nl;

	r = read(app->commands_fd, app->cmdbuf + app->cmdlen,
	         sizeof(app->cmdbuf) - 1 - app->cmdlen);
	if (r <= 0)
		return;
	app->cmdlen += (size_t)r;
	app->cmdbuf[app->cmdlen] = '\0';
	while ((nl = strchr(app->cmdbuf, '\n'))) {
		*nl = '\0';
		run_command(app, app->cmdbuf);
		memmove(app->cmdbuf, nl + 1, app->cmdlen - (size_t)(nl + 1 - app->cmdbuf) + 1);
		app->cmdlen -= (size_t)(nl + 1 - app->cmdbuf);
	}
	if (app->cmdlen == sizeof(app->cmdbuf) - 1)
		app->cmdlen = 0; /* an endless line: dropped */
}

/* ---- Main ---- */

static int connection_lost(struct app *app)
{
	int err = wl_display_get_error(app->display);

	/*
	 * A write can fail (EPIPE: libwayland does not make that fatal) before
	 * the protocol error the compositor sent us has been read: read what is
	 * left until the compositor's error or the end of the connection.
	 */
	for (int i = 0; err == 0 && i < 100; i++) {
		if (wl_display_dispatch(app->display) < 0)
			err = wl_display_get_error(app->display);
	}

	if (err == EPROTO) {
		const struct wl_interface *iface = NULL;
		uint32_t id = 0;
		uint32_t code = wl_display_get_protocol_error(app->display, &iface, &id);

		say(app, "protocol-error %s %u", iface ? iface->name : "?", code);
	} else {
		say(app, "disconnected %s", strerror(err ? err : EPIPE));
	}
	return 3;
}

static void report_env(struct app *app)
{
	static const char *const names[] = {"DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "XAUTHORITY",
	                                    "WAYLAND_DISPLAY", "GDK_BACKEND"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = getenv(names[i]);

		if (v)
			say(app, "env %s=%s", names[i], v);
		else
			say(app, "env %s unset", names[i]);
	}
	say(app, "env WAYLAND_SOCKET %s", getenv("WAYLAND_SOCKET") ? "set" : "unset");
}

static void parse_args(struct app *app, int argc, char **argv)
{
	const char *out = NULL;
	int i;

	app->bar_mode = "toplevel";
	app->bar_colour = 0xff224488u;
	app->commands_fd = -1;
	app->shell_version = 2;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--out") == 0 && v) {
			out = v;
			i++;
		} else if (strcmp(a, "--commands") == 0 && v) {
			app->commands = v;
			i++;
		} else if (strcmp(a, "--bar") == 0 && v) {
			if (strcmp(v, "toplevel") && strcmp(v, "surface") && strcmp(v, "none"))
				cl_test_die("--bar: toplevel, surface or none");
			app->bar_mode = v;
			i++;
		} else if (strcmp(a, "--bar-colour") == 0 && v) {
			if (!cl_test_parse_colour(v, &app->bar_colour))
				cl_test_die("--bar-colour: RRGGBB");
			i++;
		} else if (strcmp(a, "--early") == 0) {
			app->early = true;
		} else if ((strcmp(a, "--dialog") == 0 || strcmp(a, "--notification") == 0) && v) {
			i++; /* created once connected */
		} else if (strcmp(a, "--shell-version") == 0 && v) {
			if (strcmp(v, "1") && strcmp(v, "2"))
				cl_test_die("--shell-version: 1 or 2");
			app->shell_version = v[0] == '1' ? 1 : 2;
			i++;
		} else {
			cl_test_die("usage: cl-test-bar --out FILE [--commands FIFO] "
			            "[--bar toplevel|surface|none] [--bar-colour RRGGBB] [--early] "
			            "[--dialog W,H,RRGGBB]... [--notification W,H,RRGGBB]... "
			            "[--shell-version 1|2]");
		}
	}
	if (!out)
		cl_test_die("--out FILE is needed");
	app->out = fopen(out, "a");
	if (!app->out)
		cl_test_die("%s: %s", out, strerror(errno));
}

int main(int argc, char **argv)
{
	struct app app = {0};
	struct pollfd fds[3];
	int sfd;

	cl_test_name = "cl-test-bar";
	parse_args(&app, argc, argv);
	sfd = cl_test_signalfd(SIGTERM, 0);
	say(&app, "start %d", (int)getpid());
	report_env(&app);
	if (app.commands) {
		/* Read-write: the FIFO never reports end-of-file between writers. */
		app.commands_fd = open(app.commands, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (app.commands_fd < 0)
			cl_test_die("%s: %s", app.commands, strerror(errno));
	}
	app.display = cl_test_connect(&registry_listener, &app, &app.registry);
	if (wl_display_roundtrip(app.display) < 0 || wl_display_roundtrip(app.display) < 0)
		return connection_lost(&app);
	if (!app.compositor || !app.shm || !app.wm_base || !app.shell)
		cl_test_die("the compositor lacks wl_compositor, wl_shm, xdg_wm_base or "
		            "zcloison_shell_v1");
	say(&app, "shell");

	if (strcmp(app.bar_mode, "toplevel") == 0) {
		window_init(&app, &app.bar, KIND_BAR, 0, app.bar_colour, CL_BAR_DEFAULT_W,
		            CL_BAR_DEFAULT_H);
	} else if (strcmp(app.bar_mode, "surface") == 0) {
		app.bar_plain = wl_compositor_create_surface(app.compositor);
		zcloison_shell_v1_set_bar(app.shell, app.bar_plain);
		wl_surface_attach(
		        app.bar_plain,
		        buffer_create(&app, CL_BAR_DEFAULT_W, CL_BAR_DEFAULT_H, app.bar_colour), 0,
		        0);
		wl_surface_damage(app.bar_plain, 0, 0, CL_BAR_DEFAULT_W, CL_BAR_DEFAULT_H);
		wl_surface_commit(app.bar_plain);
		say(&app, "bar-mapped");
	}
	for (int i = 1; i + 1 < argc; i++) {
		int w, h;
		char colour[16];
		uint32_t c;
		bool dialog = strcmp(argv[i], "--dialog") == 0;

		if (!dialog && strcmp(argv[i], "--notification") != 0)
			continue;
		if (sscanf(argv[i + 1], "%d,%d,%15s", &w, &h, colour) != 3 ||
		    !cl_test_parse_colour(colour, &c))
			cl_test_die("%s W,H,RRGGBB", argv[i]);
		if (dialog)
			dialog_new(&app, w, h, c, false);
		else
			notification_new(&app, w, h, c, false);
	}

	fds[1] = (struct pollfd){.fd = sfd, .events = POLLIN};
	fds[2] = (struct pollfd){.fd = app.commands_fd, .events = POLLIN};
	while (!app.quit) {
		if (cl_test_dispatch_poll(app.display, fds, app.commands_fd >= 0 ? 3 : 2) < 0)
			return connection_lost(&app);
		if (fds[1].revents & POLLIN) {
			struct pollfd p = {.fd = fds[0].fd, .events = POLLIN};

			/* Whatever the compositor wrote before closing comes first. */
			if (poll(&p, 1, 1000) > 0 && wl_display_dispatch(app.display) < 0)
				return connection_lost(&app);
			say(&app, "sigterm");
			return 0;
		}
		if (app.commands_fd >= 0 && (fds[2].revents & POLLIN))
			read_commands(&app);
	}
	if (!cl_test_flush(app.display))
		return connection_lost(&app);
	say(&app, "quit");
	return 0;
}
