/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cl-test-toplevel: an xdg toplevel filled with one colour (wl_shm), for
 * the compositor tests.
 *
 *   cl-test-toplevel [--app-id ID] [--title T] [--colour RRGGBB] [--size WxH]
 *                    [--fullscreen] [--maximize] [--print-keys]
 *                    [--quit-after-configure] [--count N]
 *                    [--popup W,H,X,Y [--popup-colour RRGGBB]]
 *                    [--cursor W,H,HX,HY [--cursor-colour RRGGBB]]
 *                    [--set-selection TEXT] [--get-selection] [--primary] [--csd]
 *                    [--animate]
 *
 * Prints on stdout, line-buffered:
 *   "configure N W H [maximized] [fullscreen] [activated]" for each
 *   configure of toplevel N (1-based), "mapped N" when its first buffer is
 *   committed, and with --print-keys "keyboard" (keyboard object ready),
 *   "enter", "leave" and "key CODE pressed|released" (evdev codes).
 * --count N creates N toplevels in this one client (the flood test).
 * --popup opens one xdg_popup of W x H at offset X, Y from the first
 * toplevel's top-left corner, with no constraint adjustment (a client
 * trying to cover the bar strip); prints "popup-configure X Y W H",
 * "popup-mapped" and "popup-done".
 * --cursor sets a W x H cursor image with hotspot HX, HY on every pointer
 * enter (a client trying to draw over the strip with its cursor); prints
 * "pointer", "pointer-enter X Y", "pointer-leave", "button CODE STATE".
 * --set-selection offers TEXT as the clipboard (text/plain) on its first
 * keyboard focus ("selection-set", "selection-sent MIME",
 * "selection-cancelled"); --get-selection prints, for every clipboard the
 * compositor shows it, "selection TEXT", "selection none" or
 * "selection (no text)".  Both imply --print-keys.  With --primary they use
 * the primary selection (zwp_primary_selection_v1) instead of the clipboard.
 * --csd asks for client-side decorations (xdg-decoration) and prints the
 * mode the compositor decides: "decoration N server-side|client-side"
 * ("decoration-manager missing" if the global is not offered).
 * --animate redraws every toplevel in a new colour on each of its frame
 * callbacks (continuous damage, for the benchmarks), from a pool of shm
 * buffers; prints "first-frame" on the first frame callback, and "frames N"
 * (frame callbacks of toplevel 1 so far) on SIGUSR1, and on SIGTERM or
 * SIGINT, after which it exits 0.
 * Exits 0 when every toplevel was closed by the compositor, 3 when the
 * compositor disconnected it (protocol error or connection lost; the
 * reason on stderr), 2 on usage or set-up errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/input-event-codes.h>
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

#include "primary-selection-unstable-v1-client-protocol.h"
#include "xdg-decoration-unstable-v1-client-protocol.h"
#include "xdg-shell-client-protocol.h"
#include "cl-test-client.h"

#define MAX_COUNT 10000
#define MAX_SIDE  8192

struct buffer {
	struct wl_list link; // struct app.buffers
	struct wl_buffer *wl_buffer;
	int width, height;
	uint32_t *pixels; /* mapped for its whole life */
	size_t size;
	bool busy;
	bool obsolete;  /* destroy when released */
	bool animation; /* in the --animate pool */
};

struct toplevel {
	struct app *app;
	struct zxdg_toplevel_decoration_v1 *decoration;
	int index;
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *xdg_toplevel;
	struct buffer *buffer;
	int pending_width, pending_height;
	bool mapped;
	bool closed;
	/* --animate: the pending frame callback, size and frames drawn. */
	struct wl_callback *frame_callback;
	int width, height;
	uint32_t drawn;
};

struct popup {
	struct app *app;
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_popup *xdg_popup;
	struct buffer *buffer;
	int width, height;
	bool mapped;
};

struct app {
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm_base;
	struct wl_seat *seat;
	struct wl_keyboard *keyboard;
	struct wl_list buffers; // struct buffer.link
	/* --csd: ask for client-side decorations (the compositor must refuse). */
	bool want_csd;
	struct zxdg_decoration_manager_v1 *decoration_manager;
	/* --set-selection TEXT / --get-selection: the clipboard. */
	const char *set_selection;
	bool get_selection;
	bool selection_set;
	struct wl_data_device_manager *ddm;
	struct wl_data_device *data_device;
	struct wl_data_source *source;
	/* --primary: the same with the primary selection instead. */
	bool primary;
	struct zwp_primary_selection_device_manager_v1 *psm;
	struct zwp_primary_selection_device_v1 *primary_device;
	struct toplevel *toplevels;
	int count;
	int open;

	const char *app_id;
	const char *title;
	uint32_t colour; /* XRGB8888 */
	int width, height;
	bool fullscreen, maximize, print_keys, quit_after_configure;
	/* --popup W,H,X,Y: one xdg_popup on the first toplevel. */
	bool want_popup;
	int popup_w, popup_h, popup_x, popup_y;
	uint32_t popup_colour;
	struct popup *popup;
	/* --cursor W,H,HX,HY: a cursor image set on every pointer enter. */
	bool want_cursor;
	int cursor[4];
	uint32_t cursor_colour;
	struct wl_pointer *pointer;
	struct wl_surface *cursor_surface;
	struct buffer *cursor_buffer;
	bool configured_once;
	/* --animate: frame callbacks of toplevel 1. */
	bool animate;
	bool first_frame;
	unsigned long frames;
};

static void popup_create(struct app *app, struct toplevel *parent);

/* ---- buffers ------------------------------------------------------------ */

static void buffer_destroy(struct buffer *buffer)
{
	wl_list_remove(&buffer->link);
	wl_buffer_destroy(buffer->wl_buffer);
	munmap(buffer->pixels, buffer->size);
	free(buffer);
}

static void handle_buffer_release(void *data, struct wl_buffer *wl_buffer)
{
	struct buffer *buffer = data;

	buffer->busy = false;
	if (buffer->obsolete)
		buffer_destroy(buffer);
}

static const struct wl_buffer_listener buffer_listener = {
        .release = handle_buffer_release,
};

static struct buffer *buffer_create(struct app *app, int width, int height, uint32_t colour)
{
	size_t stride = (size_t)width * 4, size = stride * (size_t)height;
	struct buffer *buffer;
	struct wl_shm_pool *pool;
	uint32_t *pixels;
	int fd = cl_test_shm_fill(size, colour, &pixels);

	buffer = calloc(1, sizeof(*buffer));
	if (!buffer)
		cl_test_die("out of memory");
	pool = wl_shm_create_pool(app->shm, fd, (int32_t)size);
	buffer->wl_buffer = wl_shm_pool_create_buffer(pool, 0, width, height, (int32_t)stride,
	                                              WL_SHM_FORMAT_XRGB8888);
	wl_shm_pool_destroy(pool);
	close(fd);
	buffer->width = width;
	buffer->height = height;
	buffer->pixels = pixels;
	buffer->size = size;
	wl_buffer_add_listener(buffer->wl_buffer, &buffer_listener, buffer);
	wl_list_insert(&app->buffers, &buffer->link);
	return buffer;
}

/* --animate: a free buffer of that size from the pool (or a new one). */
static struct buffer *animation_buffer(struct app *app, int width, int height)
{
	struct buffer *buffer, *tmp;

	wl_list_for_each_safe (buffer, tmp, &app->buffers, link) {
		if (!buffer->animation || buffer->busy)
			continue;
		if (buffer->width == width && buffer->height == height)
			return buffer;
		buffer_destroy(buffer); /* left over from an older size */
	}
	buffer = buffer_create(app, width, height, app->colour);
	buffer->animation = true;
	return buffer;
}

static void toplevel_draw_animated(struct toplevel *t, int width, int height);

static void handle_frame_done(void *data, struct wl_callback *callback, uint32_t time)
{
	struct toplevel *t = data;
	struct app *app = t->app;

	wl_callback_destroy(callback);
	t->frame_callback = NULL;
	if (t->index == 1) {
		app->frames++;
		if (!app->first_frame) {
			app->first_frame = true;
			printf("first-frame\n");
		}
	}
	if (!t->closed)
		toplevel_draw_animated(t, t->width, t->height);
}

static const struct wl_callback_listener frame_listener = {
        .done = handle_frame_done,
};

/* A new colour over the whole surface, and a frame callback for the next. */
static void toplevel_draw_animated(struct toplevel *t, int width, int height)
{
	struct app *app = t->app;
	struct buffer *buffer = animation_buffer(app, width, height);
	uint32_t colour = 0xff000000u | ((app->colour + t->drawn * 0x030507u) & 0xffffffu);

	t->width = width;
	t->height = height;
	t->drawn++;
	for (size_t i = 0; i < buffer->size / 4; i++)
		buffer->pixels[i] = colour;
	wl_surface_attach(t->surface, buffer->wl_buffer, 0, 0);
	wl_surface_damage(t->surface, 0, 0, INT32_MAX, INT32_MAX);
	buffer->busy = true;
	if (!t->frame_callback) {
		t->frame_callback = wl_surface_frame(t->surface);
		wl_callback_add_listener(t->frame_callback, &frame_listener, t);
	}
	wl_surface_commit(t->surface);
	if (!t->mapped) {
		t->mapped = true;
		printf("mapped %d\n", t->index);
	}
}

static void toplevel_draw(struct toplevel *t, int width, int height)
{
	struct app *app = t->app;

	if (app->animate) {
		toplevel_draw_animated(t, width, height);
		return;
	}
	if (!t->buffer || t->buffer->width != width || t->buffer->height != height) {
		if (t->buffer) {
			if (t->buffer->busy)
				t->buffer->obsolete = true;
			else
				buffer_destroy(t->buffer);
		}
		t->buffer = buffer_create(app, width, height, app->colour);
	}
	wl_surface_attach(t->surface, t->buffer->wl_buffer, 0, 0);
	wl_surface_damage(t->surface, 0, 0, INT32_MAX, INT32_MAX);
	t->buffer->busy = true;
	wl_surface_commit(t->surface);
	if (!t->mapped) {
		t->mapped = true;
		printf("mapped %d\n", t->index);
	}
}

/* ---- xdg-shell ------------------------------------------------------------- */

static void handle_xdg_surface_configure(void *data, struct xdg_surface *xdg_surface,
                                         uint32_t serial)
{
	struct toplevel *t = data;
	struct app *app = t->app;
	int w = t->pending_width > 0 ? t->pending_width : app->width;
	int h = t->pending_height > 0 ? t->pending_height : app->height;

	if (w > MAX_SIDE)
		w = MAX_SIDE;
	if (h > MAX_SIDE)
		h = MAX_SIDE;
	xdg_surface_ack_configure(xdg_surface, serial);
	toplevel_draw(t, w, h);
	app->configured_once = true;
	if (app->want_popup && !app->popup && t->index == 1)
		popup_create(app, t);
}

static const struct xdg_surface_listener xdg_surface_listener = {
        .configure = handle_xdg_surface_configure,
};

static void handle_toplevel_configure(void *data, struct xdg_toplevel *xdg_toplevel, int32_t width,
                                      int32_t height, struct wl_array *states)
{
	struct toplevel *t = data;
	uint32_t *state;

	t->pending_width = width;
	t->pending_height = height;
	printf("configure %d %d %d", t->index, width, height);
	wl_array_for_each(state, states)
	{
		switch (*state) {
		case XDG_TOPLEVEL_STATE_MAXIMIZED:
			printf(" maximized");
			break;
		case XDG_TOPLEVEL_STATE_FULLSCREEN:
			printf(" fullscreen");
			break;
		case XDG_TOPLEVEL_STATE_ACTIVATED:
			printf(" activated");
			break;
		default:
			break;
		}
	}
	printf("\n");
}

static void handle_toplevel_close(void *data, struct xdg_toplevel *xdg_toplevel)
{
	struct toplevel *t = data;

	if (t->closed)
		return;
	t->closed = true;
	printf("close %d\n", t->index);
	if (t->index == 1 && t->app->popup) {
		xdg_popup_destroy(t->app->popup->xdg_popup);
		xdg_surface_destroy(t->app->popup->xdg_surface);
		wl_surface_destroy(t->app->popup->surface);
		free(t->app->popup);
		t->app->popup = NULL;
	}
	if (t->decoration)
		zxdg_toplevel_decoration_v1_destroy(t->decoration);
	t->decoration = NULL;
	if (t->frame_callback)
		wl_callback_destroy(t->frame_callback);
	t->frame_callback = NULL;
	xdg_toplevel_destroy(t->xdg_toplevel);
	xdg_surface_destroy(t->xdg_surface);
	wl_surface_destroy(t->surface);
	t->xdg_toplevel = NULL;
	t->xdg_surface = NULL;
	t->surface = NULL;
	t->app->open--;
}

static const struct xdg_toplevel_listener toplevel_listener = {
        .configure = handle_toplevel_configure,
        .close = handle_toplevel_close,
};

static void handle_popup_surface_configure(void *data, struct xdg_surface *xdg_surface,
                                           uint32_t serial)
{
	struct popup *p = data;

	xdg_surface_ack_configure(xdg_surface, serial);
	if (!p->buffer || p->buffer->width != p->width || p->buffer->height != p->height) {
		if (p->buffer) {
			if (p->buffer->busy)
				p->buffer->obsolete = true;
			else
				buffer_destroy(p->buffer);
		}
		p->buffer = buffer_create(p->app, p->width, p->height, p->app->popup_colour);
	}
	wl_surface_attach(p->surface, p->buffer->wl_buffer, 0, 0);
	wl_surface_damage(p->surface, 0, 0, INT32_MAX, INT32_MAX);
	p->buffer->busy = true;
	wl_surface_commit(p->surface);
	if (!p->mapped) {
		p->mapped = true;
		printf("popup-mapped\n");
	}
}

static const struct xdg_surface_listener popup_surface_listener = {
        .configure = handle_popup_surface_configure,
};

static void handle_popup_configure(void *data, struct xdg_popup *xdg_popup, int32_t x, int32_t y,
                                   int32_t width, int32_t height)
{
	struct popup *p = data;

	printf("popup-configure %d %d %d %d\n", x, y, width, height);
	p->width = width > 0 ? (width > MAX_SIDE ? MAX_SIDE : width) : p->app->popup_w;
	p->height = height > 0 ? (height > MAX_SIDE ? MAX_SIDE : height) : p->app->popup_h;
}

static void handle_popup_done(void *data, struct xdg_popup *xdg_popup)
{
	printf("popup-done\n");
}

static const struct xdg_popup_listener popup_listener = {
        .configure = handle_popup_configure,
        .popup_done = handle_popup_done,
};

/* A popup placed by the client's wishes, with no constraint adjustment. */
static void popup_create(struct app *app, struct toplevel *parent)
{
	struct popup *p = calloc(1, sizeof(*p));
	struct xdg_positioner *pos;

	if (!p)
		cl_test_die("out of memory");
	p->app = app;
	p->width = app->popup_w;
	p->height = app->popup_h;
	pos = xdg_wm_base_create_positioner(app->wm_base);
	xdg_positioner_set_size(pos, app->popup_w, app->popup_h);
	xdg_positioner_set_anchor_rect(pos, 0, 0, 1, 1);
	xdg_positioner_set_anchor(pos, XDG_POSITIONER_ANCHOR_TOP_LEFT);
	xdg_positioner_set_gravity(pos, XDG_POSITIONER_GRAVITY_BOTTOM_RIGHT);
	xdg_positioner_set_offset(pos, app->popup_x, app->popup_y);
	xdg_positioner_set_constraint_adjustment(pos, 0);
	p->surface = wl_compositor_create_surface(app->compositor);
	p->xdg_surface = xdg_wm_base_get_xdg_surface(app->wm_base, p->surface);
	xdg_surface_add_listener(p->xdg_surface, &popup_surface_listener, p);
	p->xdg_popup = xdg_surface_get_popup(p->xdg_surface, parent->xdg_surface, pos);
	xdg_popup_add_listener(p->xdg_popup, &popup_listener, p);
	xdg_positioner_destroy(pos);
	wl_surface_commit(p->surface);
	app->popup = p;
}

static void handle_decoration_configure(void *data, struct zxdg_toplevel_decoration_v1 *deco,
                                        uint32_t mode)
{
	struct toplevel *t = data;

	printf("decoration %d %s\n", t->index,
	       mode == ZXDG_TOPLEVEL_DECORATION_V1_MODE_SERVER_SIDE   ? "server-side"
	       : mode == ZXDG_TOPLEVEL_DECORATION_V1_MODE_CLIENT_SIDE ? "client-side"
	                                                              : "unknown");
}

static const struct zxdg_toplevel_decoration_v1_listener decoration_listener = {
        .configure = handle_decoration_configure,
};

static void toplevel_create(struct app *app, struct toplevel *t, int index)
{
	t->app = app;
	t->index = index;
	t->surface = wl_compositor_create_surface(app->compositor);
	t->xdg_surface = xdg_wm_base_get_xdg_surface(app->wm_base, t->surface);
	xdg_surface_add_listener(t->xdg_surface, &xdg_surface_listener, t);
	t->xdg_toplevel = xdg_surface_get_toplevel(t->xdg_surface);
	xdg_toplevel_add_listener(t->xdg_toplevel, &toplevel_listener, t);
	if (app->app_id)
		xdg_toplevel_set_app_id(t->xdg_toplevel, app->app_id);
	if (app->title)
		xdg_toplevel_set_title(t->xdg_toplevel, app->title);
	if (app->maximize)
		xdg_toplevel_set_maximized(t->xdg_toplevel);
	if (app->fullscreen)
		xdg_toplevel_set_fullscreen(t->xdg_toplevel, NULL);
	if (app->want_csd && app->decoration_manager) {
		t->decoration = zxdg_decoration_manager_v1_get_toplevel_decoration(
		        app->decoration_manager, t->xdg_toplevel);
		zxdg_toplevel_decoration_v1_add_listener(t->decoration, &decoration_listener, t);
		zxdg_toplevel_decoration_v1_set_mode(t->decoration,
		                                     ZXDG_TOPLEVEL_DECORATION_V1_MODE_CLIENT_SIDE);
	}
	wl_surface_commit(t->surface);
	app->open++;
}

/* ---- clipboard ------------------------------------------------------------------- */

#define TEXT_MIME "text/plain;charset=utf-8"

static void handle_source_target(void *data, struct wl_data_source *source, const char *mime)
{
}

/* Write our selection text to a requester's fd. */
static void send_text(struct app *app, const char *mime, int fd)
{
	size_t len = strlen(app->set_selection), done = 0;

	while (done < len) {
		ssize_t n = write(fd, app->set_selection + done, len - done);

		if (n <= 0)
			break;
		done += (size_t)n;
	}
	close(fd);
	printf("selection-sent %s\n", mime);
}

static void handle_source_send(void *data, struct wl_data_source *source, const char *mime,
                               int32_t fd)
{
	send_text(data, mime, fd);
}

static void handle_source_cancelled(void *data, struct wl_data_source *source)
{
	struct app *app = data;

	printf("selection-cancelled\n");
	wl_data_source_destroy(source);
	if (app->source == source)
		app->source = NULL;
}

static const struct wl_data_source_listener source_listener = {
        .target = handle_source_target,
        .send = handle_source_send,
        .cancelled = handle_source_cancelled,
};

static void set_selection(struct app *app, uint32_t serial)
{
	app->source = wl_data_device_manager_create_data_source(app->ddm);
	wl_data_source_add_listener(app->source, &source_listener, app);
	wl_data_source_offer(app->source, TEXT_MIME);
	wl_data_source_offer(app->source, "text/plain");
	wl_data_device_set_selection(app->data_device, app->source, serial);
	app->selection_set = true;
	printf("selection-set\n");
}

struct offer {
	bool text;
};

static void handle_offer_offer(void *data, struct wl_data_offer *wl_offer, const char *mime)
{
	struct offer *offer = data;

	if (strcmp(mime, TEXT_MIME) == 0)
		offer->text = true;
}

static void handle_offer_source_actions(void *data, struct wl_data_offer *wl_offer,
                                        uint32_t actions)
{
}

static void handle_offer_action(void *data, struct wl_data_offer *wl_offer, uint32_t action)
{
}

static const struct wl_data_offer_listener offer_listener = {
        .offer = handle_offer_offer,
        .source_actions = handle_offer_source_actions,
        .action = handle_offer_action,
};

static void handle_dd_data_offer(void *data, struct wl_data_device *dd, struct wl_data_offer *o)
{
	struct offer *offer = calloc(1, sizeof(*offer));

	if (!offer)
		cl_test_die("out of memory");
	wl_data_offer_add_listener(o, &offer_listener, offer);
}

static void offer_destroy(struct wl_data_offer *o)
{
	free(wl_data_offer_get_user_data(o));
	wl_data_offer_destroy(o);
}

static void handle_dd_enter(void *data, struct wl_data_device *dd, uint32_t serial,
                            struct wl_surface *surface, wl_fixed_t x, wl_fixed_t y,
                            struct wl_data_offer *o)
{
	printf("dnd-enter\n");
	if (o)
		offer_destroy(o);
}

static void handle_dd_leave(void *data, struct wl_data_device *dd)
{
}

static void handle_dd_motion(void *data, struct wl_data_device *dd, uint32_t time, wl_fixed_t x,
                             wl_fixed_t y)
{
}

static void handle_dd_drop(void *data, struct wl_data_device *dd)
{
}

/* Read the text written to fd (2 s at most) and print "selection TEXT". */
static void print_received(struct app *app, int fd)
{
	char buf[4096];
	size_t len = 0;

	wl_display_flush(app->display);
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, 2000) <= 0 || len >= sizeof(buf) - 1)
			break;
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)buf[i] < 0x20)
			buf[i] = '?';
	}
	printf("selection %s\n", len ? buf : "(empty)");
}

/* Ask for the offered text and print it. */
static void print_offer(struct app *app, struct wl_data_offer *o)
{
	struct offer *offer = wl_data_offer_get_user_data(o);
	int fds[2];

	if (!offer->text) {
		printf("selection (no text)\n");
		return;
	}
	if (pipe2(fds, O_CLOEXEC) < 0)
		cl_test_die("pipe2: %s", strerror(errno));
	wl_data_offer_receive(o, TEXT_MIME, fds[1]);
	close(fds[1]);
	print_received(app, fds[0]);
}

static void handle_dd_selection(void *data, struct wl_data_device *dd, struct wl_data_offer *o)
{
	struct app *app = data;

	if (!app->get_selection) {
		if (o)
			offer_destroy(o);
		return;
	}
	if (!o) {
		printf("selection none\n");
		return;
	}
	print_offer(app, o);
	offer_destroy(o);
}

static const struct wl_data_device_listener data_device_listener = {
        .data_offer = handle_dd_data_offer,
        .enter = handle_dd_enter,
        .leave = handle_dd_leave,
        .motion = handle_dd_motion,
        .drop = handle_dd_drop,
        .selection = handle_dd_selection,
};

/* ---- primary selection (--primary) ------------------------------------------------ */

static void handle_psource_send(void *data, struct zwp_primary_selection_source_v1 *source,
                                const char *mime, int32_t fd)
{
	send_text(data, mime, fd);
}

static void handle_psource_cancelled(void *data, struct zwp_primary_selection_source_v1 *source)
{
	printf("selection-cancelled\n");
	zwp_primary_selection_source_v1_destroy(source);
}

static const struct zwp_primary_selection_source_v1_listener psource_listener = {
        .send = handle_psource_send,
        .cancelled = handle_psource_cancelled,
};

static void set_primary(struct app *app, uint32_t serial)
{
	struct zwp_primary_selection_source_v1 *source =
	        zwp_primary_selection_device_manager_v1_create_source(app->psm);

	zwp_primary_selection_source_v1_add_listener(source, &psource_listener, app);
	zwp_primary_selection_source_v1_offer(source, TEXT_MIME);
	zwp_primary_selection_device_v1_set_selection(app->primary_device, source, serial);
	app->selection_set = true;
	printf("selection-set\n");
}

/* An offer's user data: whether it has text (set by the offer event). */
static void handle_poffer_offer(void *data, struct zwp_primary_selection_offer_v1 *o,
                                const char *mime)
{
	bool *text = zwp_primary_selection_offer_v1_get_user_data(o);

	if (strcmp(mime, TEXT_MIME) == 0)
		*text = true;
}

static const struct zwp_primary_selection_offer_v1_listener poffer_listener = {
        .offer = handle_poffer_offer,
};

static void handle_pd_data_offer(void *data, struct zwp_primary_selection_device_v1 *d,
                                 struct zwp_primary_selection_offer_v1 *o)
{
	zwp_primary_selection_offer_v1_add_listener(o, &poffer_listener, calloc(1, sizeof(bool)));
}

static void poffer_destroy(struct zwp_primary_selection_offer_v1 *o)
{
	free(zwp_primary_selection_offer_v1_get_user_data(o));
	zwp_primary_selection_offer_v1_destroy(o);
}

static void handle_pd_selection(void *data, struct zwp_primary_selection_device_v1 *d,
                                struct zwp_primary_selection_offer_v1 *o)
{
	struct app *app = data;
	int fds[2];

	if (!app->get_selection || !o) {
		if (app->get_selection)
			printf("selection none\n");
		if (o)
			poffer_destroy(o);
		return;
	}
	if (!*(bool *)zwp_primary_selection_offer_v1_get_user_data(o)) {
		printf("selection (no text)\n");
		poffer_destroy(o);
		return;
	}
	if (pipe2(fds, O_CLOEXEC) < 0)
		cl_test_die("pipe2: %s", strerror(errno));
	zwp_primary_selection_offer_v1_receive(o, TEXT_MIME, fds[1]);
	close(fds[1]);
	print_received(app, fds[0]);
	poffer_destroy(o);
}

static const struct zwp_primary_selection_device_v1_listener primary_device_listener = {
        .data_offer = handle_pd_data_offer,
        .selection = handle_pd_selection,
};

static void handle_enter(void *data, struct wl_keyboard *kb, uint32_t serial,
                         struct wl_surface *surface, struct wl_array *keys)
{
	struct app *app = data;

	printf("enter\n");
	if (app->set_selection && !app->selection_set && app->primary_device)
		set_primary(app, serial);
	else if (app->set_selection && !app->selection_set && app->data_device)
		set_selection(app, serial);
}

static void handle_leave(void *data, struct wl_keyboard *kb, uint32_t serial,
                         struct wl_surface *surface)
{
	printf("leave\n");
}

static void handle_key(void *data, struct wl_keyboard *kb, uint32_t serial, uint32_t time,
                       uint32_t key, uint32_t state)
{
	printf("key %u %s\n", key, state == WL_KEYBOARD_KEY_STATE_PRESSED ? "pressed" : "released");
}

static const struct wl_keyboard_listener keyboard_listener = {
        .keymap = cl_test_ignore_keymap,
        .enter = handle_enter,
        .leave = handle_leave,
        .key = handle_key,
        .modifiers = cl_test_ignore_modifiers,
        .repeat_info = cl_test_ignore_repeat_info,
};

static void handle_pointer_enter(void *data, struct wl_pointer *pointer, uint32_t serial,
                                 struct wl_surface *surface, wl_fixed_t sx, wl_fixed_t sy)
{
	struct app *app = data;

	if (!app->cursor_surface) {
		app->cursor_surface = wl_compositor_create_surface(app->compositor);
		app->cursor_buffer =
		        buffer_create(app, app->cursor[0], app->cursor[1], app->cursor_colour);
		wl_surface_attach(app->cursor_surface, app->cursor_buffer->wl_buffer, 0, 0);
		wl_surface_damage(app->cursor_surface, 0, 0, INT32_MAX, INT32_MAX);
		wl_surface_commit(app->cursor_surface);
	}
	wl_pointer_set_cursor(pointer, serial, app->cursor_surface, app->cursor[2], app->cursor[3]);
	printf("pointer-enter %d %d\n", wl_fixed_to_int(sx), wl_fixed_to_int(sy));
}

static void handle_pointer_leave(void *data, struct wl_pointer *pointer, uint32_t serial,
                                 struct wl_surface *surface)
{
	printf("pointer-leave\n");
}

static void handle_pointer_button(void *data, struct wl_pointer *pointer, uint32_t serial,
                                  uint32_t time, uint32_t button, uint32_t state)
{
	printf("button %u %s\n", button,
	       state == WL_POINTER_BUTTON_STATE_PRESSED ? "pressed" : "released");
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

	if (app->want_cursor && (caps & WL_SEAT_CAPABILITY_POINTER) && !app->pointer) {
		app->pointer = wl_seat_get_pointer(seat);
		wl_pointer_add_listener(app->pointer, &pointer_listener, app);
		printf("pointer\n");
	}
	if (!app->print_keys)
		return;

	if ((caps & WL_SEAT_CAPABILITY_KEYBOARD) && !app->keyboard) {
		app->keyboard = wl_seat_get_keyboard(seat);
		wl_keyboard_add_listener(app->keyboard, &keyboard_listener, app);
		printf("keyboard\n");
	} else if (!(caps & WL_SEAT_CAPABILITY_KEYBOARD) && app->keyboard) {
		wl_keyboard_release(app->keyboard);
		app->keyboard = NULL;
	}
}

static const struct wl_seat_listener seat_listener = {
        .capabilities = handle_seat_capabilities,
        .name = cl_test_ignore_seat_name,
};

/* ---- registry ------------------------------------------------------------------ */

static void handle_global(void *data, struct wl_registry *registry, uint32_t name,
                          const char *interface, uint32_t version)
{
	struct app *app = data;

	if (cl_test_bind_core(registry, name, interface, version, &app->compositor, &app->shm,
	                      &app->wm_base))
		return;
	if (strcmp(interface, zxdg_decoration_manager_v1_interface.name) == 0 &&
	    !app->decoration_manager && app->want_csd) {
		app->decoration_manager =
		        wl_registry_bind(registry, name, &zxdg_decoration_manager_v1_interface, 1);
	} else if (strcmp(interface, zwp_primary_selection_device_manager_v1_interface.name) == 0 &&
	           !app->psm && app->primary && (app->set_selection || app->get_selection)) {
		app->psm = wl_registry_bind(registry, name,
		                            &zwp_primary_selection_device_manager_v1_interface, 1);
	} else if (strcmp(interface, wl_data_device_manager_interface.name) == 0 && !app->ddm &&
	           !app->primary && (app->set_selection || app->get_selection)) {
		app->ddm = wl_registry_bind(registry, name, &wl_data_device_manager_interface,
		                            cl_test_min_u32(version, 3));
	} else if (strcmp(interface, wl_seat_interface.name) == 0 && !app->seat &&
	           (app->print_keys || app->want_cursor)) {
		app->seat = wl_registry_bind(registry, name, &wl_seat_interface,
		                             cl_test_min_u32(version, 5));
		wl_seat_add_listener(app->seat, &seat_listener, app);
	}
}

static const struct wl_registry_listener registry_listener = {
        .global = handle_global,
        .global_remove = cl_test_ignore_global_remove,
};

/* ---- main -------------------------------------------------------------------------- */

static bool parse_int(const char *s, int min, int max, int *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return false;
	*ret = (int)v;
	return true;
}

static bool parse_size(const char *s, int *w, int *h)
{
	const char *x = strchr(s, 'x');
	char wbuf[16];
	size_t n;

	if (!x || (n = (size_t)(x - s)) == 0 || n >= sizeof(wbuf))
		return false;
	memcpy(wbuf, s, n);
	wbuf[n] = '\0';
	return parse_int(wbuf, 1, MAX_SIDE, w) && parse_int(x + 1, 1, MAX_SIDE, h);
}

/* "W,H,X,Y": a size (1..MAX_SIDE) and a point; false if malformed. */
static bool parse_quad(const char *s, int v[4])
{
	char buf[64];
	char *p = buf, *comma;

	if (strlen(s) >= sizeof(buf))
		return false;
	memcpy(buf, s, strlen(s) + 1);
	for (int i = 0; i < 4; i++) {
		comma = strchr(p, ',');
		if ((i < 3) != (comma != NULL))
			return false;
		if (comma)
			*comma = '\0';
		if (!parse_int(p, i < 2 ? 1 : -100000, i < 2 ? MAX_SIDE : 100000, &v[i]))
			return false;
		p = comma ? comma + 1 : p;
	}
	return true;
}

static void parse_args(struct app *app, int argc, char **argv)
{
	app->colour = 0xff808080u;
	app->popup_colour = 0xffff00ffu;
	app->cursor_colour = 0xffff00ffu;
	app->width = 320;
	app->height = 240;
	app->count = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--app-id") == 0 && v) {
			app->app_id = v;
			i++;
		} else if (strcmp(a, "--title") == 0 && v) {
			app->title = v;
			i++;
		} else if ((strcmp(a, "--colour") == 0 || strcmp(a, "--color") == 0) && v) {
			if (!cl_test_parse_colour(v, &app->colour))
				cl_test_die("bad colour '%s' (RRGGBB)", v);
			i++;
		} else if (strcmp(a, "--size") == 0 && v) {
			if (!parse_size(v, &app->width, &app->height))
				cl_test_die("bad size '%s' (WxH)", v);
			i++;
		} else if (strcmp(a, "--count") == 0 && v) {
			if (!parse_int(v, 1, MAX_COUNT, &app->count))
				cl_test_die("bad count '%s'", v);
			i++;
		} else if (strcmp(a, "--popup") == 0 && v) {
			int q[4];

			if (!parse_quad(v, q))
				cl_test_die("bad popup '%s' (W,H,X,Y)", v);
			app->popup_w = q[0];
			app->popup_h = q[1];
			app->popup_x = q[2];
			app->popup_y = q[3];
			app->want_popup = true;
			i++;
		} else if (strcmp(a, "--cursor") == 0 && v) {
			if (!parse_quad(v, app->cursor))
				cl_test_die("bad cursor '%s' (W,H,HOTSPOT_X,HOTSPOT_Y)", v);
			app->want_cursor = true;
			i++;
		} else if (strcmp(a, "--cursor-colour") == 0 && v) {
			if (!cl_test_parse_colour(v, &app->cursor_colour))
				cl_test_die("bad colour '%s' (RRGGBB)", v);
			i++;
		} else if (strcmp(a, "--popup-colour") == 0 && v) {
			if (!cl_test_parse_colour(v, &app->popup_colour))
				cl_test_die("bad colour '%s' (RRGGBB)", v);
			i++;
		} else if (strcmp(a, "--set-selection") == 0 && v) {
			app->set_selection = v;
			app->print_keys = true;
			i++;
		} else if (strcmp(a, "--primary") == 0) {
			app->primary = true;
		} else if (strcmp(a, "--get-selection") == 0) {
			app->get_selection = true;
			app->print_keys = true;
		} else if (strcmp(a, "--animate") == 0) {
			app->animate = true;
		} else if (strcmp(a, "--csd") == 0) {
			app->want_csd = true;
		} else if (strcmp(a, "--fullscreen") == 0) {
			app->fullscreen = true;
		} else if (strcmp(a, "--maximize") == 0 || strcmp(a, "--maximise") == 0) {
			app->maximize = true;
		} else if (strcmp(a, "--print-keys") == 0) {
			app->print_keys = true;
		} else if (strcmp(a, "--quit-after-configure") == 0) {
			app->quit_after_configure = true;
		} else {
			cl_test_die("unknown or incomplete option '%s'", a);
		}
	}
}

/* Destroy every object and disconnect (also after the connection broke). */
static void app_destroy(struct app *app)
{
	struct buffer *buffer, *tmp;

	if (app->popup) {
		xdg_popup_destroy(app->popup->xdg_popup);
		xdg_surface_destroy(app->popup->xdg_surface);
		wl_surface_destroy(app->popup->surface);
		free(app->popup);
	}
	for (int i = 0; app->toplevels && i < app->count; i++) {
		struct toplevel *t = &app->toplevels[i];

		if (t->decoration)
			zxdg_toplevel_decoration_v1_destroy(t->decoration);
		if (t->frame_callback)
			wl_callback_destroy(t->frame_callback);
		if (t->xdg_toplevel) {
			xdg_toplevel_destroy(t->xdg_toplevel);
			xdg_surface_destroy(t->xdg_surface);
			wl_surface_destroy(t->surface);
		}
	}
	free(app->toplevels);
	if (app->cursor_surface)
		wl_surface_destroy(app->cursor_surface);
	wl_list_for_each_safe (buffer, tmp, &app->buffers, link)
		buffer_destroy(buffer);
	if (app->source)
		wl_data_source_destroy(app->source);
	if (app->data_device)
		wl_data_device_destroy(app->data_device);
	if (app->ddm)
		wl_data_device_manager_destroy(app->ddm);
	if (app->keyboard)
		wl_keyboard_destroy(app->keyboard);
	if (app->pointer)
		wl_pointer_destroy(app->pointer);
	if (app->seat)
		wl_seat_destroy(app->seat);
	if (app->decoration_manager)
		zxdg_decoration_manager_v1_destroy(app->decoration_manager);
	if (app->wm_base)
		xdg_wm_base_destroy(app->wm_base);
	if (app->shm)
		wl_shm_destroy(app->shm);
	if (app->compositor)
		wl_compositor_destroy(app->compositor);
	if (app->registry)
		wl_registry_destroy(app->registry);
	wl_display_disconnect(app->display);
}

/* Report why the connection ended; returns the exit status. */
static int connection_lost(struct app *app)
{
	int err = wl_display_get_error(app->display);

	if (err == EPROTO) {
		const struct wl_interface *iface = NULL;
		uint32_t id = 0;
		uint32_t code = wl_display_get_protocol_error(app->display, &iface, &id);

		fprintf(stderr, "cl-test-toplevel: protocol error %u on %s@%u\n", code,
		        iface ? iface->name : "?", id);
	} else {
		fprintf(stderr, "cl-test-toplevel: connection lost: %s\n",
		        strerror(err ? err : EPIPE));
	}
	printf("disconnected\n");
	app_destroy(app);
	return 3;
}

/*
 * --animate: the event loop, also watching SIGUSR1 (print the frame count)
 * and SIGTERM/SIGINT (print it and exit 0).
 */
static int animate_loop(struct app *app)
{
	struct signalfd_siginfo info;
	struct pollfd fds[2];
	int sfd = cl_test_signalfd(SIGTERM, SIGINT, SIGUSR1, 0);

	fds[1] = (struct pollfd){.fd = sfd, .events = POLLIN};
	while (app->open > 0) {
		if (cl_test_dispatch_poll(app->display, fds, 2) < 0)
			return connection_lost(app);
		if (fds[1].revents & POLLIN) {
			if (read(sfd, &info, sizeof(info)) != (ssize_t)sizeof(info))
				continue;
			printf("frames %lu\n", app->frames);
			if (info.ssi_signo != SIGUSR1)
				break;
		}
	}
	close(sfd);
	app_destroy(app);
	return 0;
}

int main(int argc, char **argv)
{
	struct app app = {0};

	cl_test_name = "cl-test-toplevel";
	setvbuf(stdout, NULL, _IOLBF, 0);
	wl_list_init(&app.buffers);
	parse_args(&app, argc, argv);

	app.display = cl_test_connect(&registry_listener, &app, &app.registry);
	if (wl_display_roundtrip(app.display) < 0)
		return connection_lost(&app);
	if (!app.compositor || !app.shm || !app.wm_base)
		cl_test_die("the compositor lacks wl_compositor, wl_shm or xdg_wm_base");
	if (app.want_csd && !app.decoration_manager)
		printf("decoration-manager missing\n");
	if ((app.set_selection || app.get_selection) && !app.seat)
		cl_test_die("the compositor lacks wl_seat");
	if ((app.set_selection || app.get_selection) && !(app.primary ? !!app.psm : !!app.ddm))
		cl_test_die("the compositor lacks %s", app.primary ? "the primary selection manager"
		                                                   : "wl_data_device_manager");
	if (app.psm) {
		app.primary_device =
		        zwp_primary_selection_device_manager_v1_get_device(app.psm, app.seat);
		zwp_primary_selection_device_v1_add_listener(app.primary_device,
		                                             &primary_device_listener, &app);
	}
	if (app.ddm) {
		app.data_device = wl_data_device_manager_get_data_device(app.ddm, app.seat);
		wl_data_device_add_listener(app.data_device, &data_device_listener, &app);
	}
	if ((app.print_keys || app.want_cursor) && wl_display_roundtrip(app.display) < 0)
		return connection_lost(&app);

	app.toplevels = calloc((size_t)app.count, sizeof(*app.toplevels));
	if (!app.toplevels)
		cl_test_die("out of memory");
	for (int i = 0; i < app.count; i++) {
		toplevel_create(&app, &app.toplevels[i], i + 1);
		/* Keep the socket flowing during a flood. */
		if (!cl_test_flush(app.display) || wl_display_dispatch_pending(app.display) < 0)
			return connection_lost(&app);
		if ((i + 1) % 8 == 0 && wl_display_roundtrip(app.display) < 0)
			return connection_lost(&app);
	}

	if (app.animate)
		return animate_loop(&app);
	while (app.open > 0) {
		if (wl_display_dispatch(app.display) < 0)
			return connection_lost(&app);
		if (app.quit_after_configure && app.configured_once) {
			if (wl_display_roundtrip(app.display) < 0)
				return connection_lost(&app);
			break;
		}
	}
	app_destroy(&app);
	return 0;
}
